package qualys

import (
	"errors"
	"fmt"
	"net/http"
	"net/url"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/qualyskit/qualys-go/wire"
)

var sentinels = map[string]error{
	"Unauthorized":   ErrUnauthorized,
	"TokenExpired":   ErrTokenExpired,
	"Forbidden":      ErrForbidden,
	"NotFound":       ErrNotFound,
	"InvalidRequest": ErrInvalidRequest,
	"Conflict":       ErrConflict,
	"RateLimited":    ErrRateLimited,
	"Server":         ErrServer,
	"InBody":         ErrInBody,
}

// matching lists the sentinels err matches, sorted by name.
func matching(err error) []string {
	var out []string
	for _, name := range []string{"Conflict", "Forbidden", "InBody", "InvalidRequest", "NotFound", "RateLimited", "Server", "TokenExpired", "Unauthorized"} {
		if errors.Is(err, sentinels[name]) {
			out = append(out, name)
		}
	}
	return out
}

func errResponse(status int, contentType string, header map[string]string) *http.Response {
	h := http.Header{}
	if contentType != "" {
		h.Set("Content-Type", contentType)
	}
	for k, v := range header {
		h.Set(k, v)
	}
	return &http.Response{
		StatusCode: status,
		Header:     h,
		Request:    &http.Request{Method: http.MethodPost, URL: &url.URL{Scheme: "https", Host: "gw", Path: "/sm/v1/scripts/search"}},
	}
}

const classicXML1965 = `<?xml version="1.0" encoding="UTF-8" ?>
<!DOCTYPE SIMPLE_RETURN SYSTEM "https://qualysapi.qualys.com/api/2.0/simple_return.dtd">
<SIMPLE_RETURN>
  <RESPONSE>
    <DATETIME>2017-04-12T14:56:02Z</DATETIME>
    <CODE>1965</CODE>
    <TEXT>This API cannot be run again for another 23 hours, 57 minutes and 54 seconds.</TEXT>
    <ITEM_LIST><ITEM><KEY>SECONDS_TO_WAIT</KEY><VALUE>86274</VALUE></ITEM></ITEM_LIST>
  </RESPONSE>
</SIMPLE_RETURN>`

const classicXML1960 = `<?xml version="1.0" encoding="UTF-8" ?>
<SIMPLE_RETURN><RESPONSE><DATETIME>2017-04-12T14:56:02Z</DATETIME><CODE>1960</CODE><TEXT>Concurrency limit of 2 exceeded.</TEXT></RESPONSE></SIMPLE_RETURN>`

func TestParseErrorResponse(t *testing.T) {
	cases := []struct {
		name        string
		status      int
		contentType string
		body        string
		wantCode    string
		wantMsg     string // exact, or a prefix when it ends in "*"
		wantIs      []string
	}{
		{"CAR errorCode", 400, "application/json", `{"errorCode":"SM-400","message":"Invalid filter","body":null}`,
			"SM-400", "Invalid filter", []string{"InvalidRequest"}},
		{"CAR numeric errorCode", 500, "application/json", `{"errorCode":500,"message":"Internal error"}`,
			"500", "Internal error", []string{"Server"}},
		{"gateway message", 404, "application/json", `{"message":"No route matched with those values"}`,
			"", "No route matched with those values", []string{"NotFound"}},
		{"gateway JWT expired", 401, "application/json", `{"status":401,"error":"Unauthorized","message":"JWT expired"}`,
			"Unauthorized", "JWT expired", []string{"TokenExpired", "Unauthorized"}},
		{"gateway not authenticated", 401, "application/json", `{"status":401,"error":"Unauthorized","message":"Not authenticated"}`,
			"Unauthorized", "Not authenticated", []string{"Unauthorized"}},
		{"authentication exceptions", 401, "application/json", `{"authentication_exceptions":[["Invalid username/password"],["Account locked"]]}`,
			"", "Invalid username/password; Account locked", []string{"Unauthorized"}},
		{"PCRS classic array 1905", 400, "application/json",
			`[{"response":{"datetime":"2022-05-25T18:48:16Z","code":1905,"text":"parameter policy_ids has invalid value: abc"}}]`,
			"1905", "parameter policy_ids has invalid value: abc", []string{"InvalidRequest"}},
		{"PCRS invalid input 404", 404, "application/json", `{"message":"Invalid input Parameter."}`,
			"", "Invalid input Parameter.", []string{"InvalidRequest"}},
		{"forbidden", 403, "application/json", `{"errorCode":"403","message":"Access denied"}`,
			"403", "Access denied", []string{"Forbidden"}},
		{"classic XML 1965 on 409", 409, "text/xml", classicXML1965,
			"1965", "This API cannot be run again for another 23 hours, 57 minutes and 54 seconds.", []string{"RateLimited"}},
		{"classic XML 1960 on 409", 409, "application/xml", classicXML1960,
			"1960", "Concurrency limit of 2 exceeded.", []string{"RateLimited"}},
		{"JSON 1965 on 409", 409, "application/json", `{"errorCode":"1965","message":"Rate limit exceeded"}`,
			"1965", "Rate limit exceeded", []string{"RateLimited"}},
		{"plain conflict", 409, "application/json", `{"errorCode":"SM-409","message":"Scheduler with the same title already exists: nightly"}`,
			"SM-409", "Scheduler with the same title already exists: nightly", []string{"Conflict"}},
		{"429 empty", 429, "", ``,
			"", "HTTP 429 Too Many Requests with an empty body (no content type)", []string{"RateLimited"}},
		{"HTML page", 502, "text/html; charset=utf-8",
			"<html><head><title>502 Bad Gateway</title><style>body{color:red}</style></head>\n<body><h1>502  Bad Gateway</h1><script>var x=1</script><p>nginx &amp; co</p></body></html>",
			"", "HTTP 502 Bad Gateway (text/html; charset=utf-8): 502 Bad Gateway 502 Bad Gateway nginx & co", []string{"Server"}},
		{"truncated JSON", 500, "application/json", `{"errorCode":"SM-500","mess`,
			"", `HTTP 500 Internal Server Error (application/json): {"errorCode":"SM-500","mess`, []string{"Server"}},
		{"text page", 503, "text/plain", "Service Unavailable\r\n\x00\x1b[31m",
			"", "HTTP 503 Service Unavailable (text/plain): Service Unavailable [31m", []string{"Server"}},
		{"empty JSON object", 500, "application/json", `{}`,
			"", "HTTP 500 Internal Server Error (application/json): {}", []string{"Server"}},
		{"whitespace only", 404, "text/html", " \n ",
			"", "HTTP 404 Not Found with an empty body (text/html)", []string{"NotFound"}},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			e := parseErrorResponse(errResponse(tc.status, tc.contentType, nil), []byte(tc.body))
			if e.StatusCode != tc.status || e.Code != tc.wantCode || e.Message != tc.wantMsg {
				t.Errorf("got status %d code %q message %q\nwant status %d code %q message %q",
					e.StatusCode, e.Code, e.Message, tc.status, tc.wantCode, tc.wantMsg)
			}
			if e.Operation != "POST /sm/v1/scripts/search" || e.ContentType != tc.contentType {
				t.Errorf("operation %q content type %q", e.Operation, e.ContentType)
			}
			if diff := cmp.Diff(tc.wantIs, matching(e)); diff != "" {
				t.Errorf("sentinels (-want +got):\n%s", diff)
			}
		})
	}
}

func TestParseErrorResponseSnippetIsShortAndSanitized(t *testing.T) {
	jwt := "eyJhbGciOiJIUzI1NiJ9.eyJzdWIiOiJ4In0.c2lnbmF0dXJl"
	body := "<html><body>echo: Authorization: Bearer abc.def.ghi token " + jwt + " password=hunter2&x=1 " +
		strings.Repeat("é", 1000) + "</body></html>"
	e := parseErrorResponse(errResponse(500, "text/html", nil), []byte(body))
	for _, secret := range []string{jwt, "abc.def.ghi", "hunter2"} {
		if strings.Contains(e.Message, secret) || strings.Contains(e.Error(), secret) {
			t.Errorf("message keeps %q: %s", secret, e.Message)
		}
	}
	if n := len([]rune(e.Message)); n > 260 {
		t.Errorf("message is %d runes long", n)
	}
	if !strings.HasSuffix(e.Message, "…") {
		t.Errorf("truncation not marked: %q", e.Message)
	}
	// Invalid UTF-8 is replaced, not passed on.
	e = parseErrorResponse(errResponse(500, "text/plain", nil), []byte("bad \xff\xfe bytes"))
	if !strings.Contains(e.Message, "bad � bytes") {
		t.Errorf("message %q", e.Message)
	}
}

func TestParseErrorResponseMetadata(t *testing.T) {
	resp := errResponse(429, "application/json", map[string]string{
		"X-Request-Id":           "req-123",
		"X-RateLimit-Limit":      "300",
		"X-RateLimit-Remaining":  "0",
		"X-RateLimit-ToWait-Sec": "17",
	})
	e := parseErrorResponse(resp, []byte(`{"message":"API rate limit exceeded"}`))
	want := &APIError{
		StatusCode:  429,
		Message:     "API rate limit exceeded",
		Operation:   "POST /sm/v1/scripts/search",
		RateLimit:   RateLimit{Limit: ptr(300), Remaining: ptr(0), ToWaitSec: ptr(17)},
		RequestID:   "req-123",
		ContentType: "application/json",
	}
	if diff := cmp.Diff(want, e); diff != "" {
		t.Fatalf("mismatch (-want +got):\n%s", diff)
	}
	wantText := "qualys: POST /sm/v1/scripts/search: HTTP 429 Too Many Requests: API rate limit exceeded (request id req-123)"
	if e.Error() != wantText {
		t.Errorf("Error() = %q\nwant      %q", e.Error(), wantText)
	}

	resp = errResponse(409, "text/xml", map[string]string{"X-Qualys-Request-Id": "q-9"})
	e = parseErrorResponse(resp, []byte(classicXML1960))
	if e.RequestID != "q-9" {
		t.Errorf("RequestID = %q", e.RequestID)
	}
	wantText = "qualys: POST /sm/v1/scripts/search: HTTP 409 Conflict, code 1960: Concurrency limit of 2 exceeded. (request id q-9)"
	if e.Error() != wantText {
		t.Errorf("Error() = %q\nwant      %q", e.Error(), wantText)
	}

	if e := parseErrorResponse(nil, []byte("x")); e == nil || e.Message == "" {
		t.Errorf("nil response: %#v", e)
	}
}

func TestCARBodyError(t *testing.T) {
	msg := "Script created from library successfully"
	for _, code := range []string{"", "0", " 0 "} {
		if err := carBodyError("POST /sm/v1/script-library/import", code, msg); err != nil {
			t.Errorf("carBodyError(%q) = %v, want nil", code, err)
		}
	}

	failMsg := "Invalid category"
	for _, code := range []string{"SM-1001", "42", " 7 "} {
		err := carBodyError("POST /sm/v2/script-library/import", code, failMsg)
		var apiErr *APIError
		if !errors.As(err, &apiErr) {
			t.Fatalf("carBodyError(%q) = %v, want *APIError", code, err)
		}
		if apiErr.Code != strings.TrimSpace(code) || apiErr.Message != failMsg || apiErr.StatusCode != 200 || apiErr.Operation != "POST /sm/v2/script-library/import" {
			t.Errorf("carBodyError(%q) = %#v", code, apiErr)
		}
		if diff := cmp.Diff([]string{"InBody"}, matching(err)); diff != "" {
			t.Errorf("sentinels (-want +got):\n%s", diff)
		}
	}
	if err := carBodyError("op", "E1", ""); err == nil || !strings.Contains(err.Error(), "code E1") {
		t.Errorf("no message: %v", err)
	}
}

func TestPCRSBodyError(t *testing.T) {
	if err := pcrsBodyError("GET /pcrs/1.0/posture/hostids", wire.NewID(1), ""); err != nil {
		t.Fatal(err)
	}
	blank := "  "
	if err := pcrsBodyError("GET /pcrs/1.0/posture/hostids", wire.NewID(1), blank); err != nil {
		t.Fatal(err)
	}
	text := "Error: Compliance Policy does not exist."
	err := pcrsBodyError("GET /pcrs/1.0/posture/hostids", wire.IDFromString("4677689"), text)
	want := "qualys: GET /pcrs/1.0/posture/hostids: HTTP 200 OK: policy 4677689: Error: Compliance Policy does not exist."
	if err == nil || err.Error() != want {
		t.Fatalf("err = %v\nwant  %s", err, want)
	}
	if diff := cmp.Diff([]string{"InBody", "NotFound"}, matching(err)); diff != "" {
		t.Errorf("sentinels (-want +got):\n%s", diff)
	}
	other := "Error: something else"
	if diff := cmp.Diff([]string{"InBody"}, matching(pcrsBodyError("op", wire.ID{}, other))); diff != "" {
		t.Errorf("sentinels (-want +got):\n%s", diff)
	}
}

func TestRateLimitError(t *testing.T) {
	apiErr := &APIError{StatusCode: 409, Code: "1965", Message: "slow down", Operation: "GET /pcrs/1.0/posture/hostids"}
	err := fmt.Errorf("wrapped: %w", &RateLimitError{Wait: 23 * time.Hour, MaxWait: 5 * time.Minute, APIError: apiErr})
	if !errors.Is(err, ErrRateLimited) {
		t.Error("does not match ErrRateLimited")
	}
	var got *APIError
	if !errors.As(err, &got) || got != apiErr {
		t.Error("does not expose the APIError")
	}
	for _, s := range []string{"23h0m0s", "5m0s", "GET /pcrs/1.0/posture/hostids", "1965", "slow down"} {
		if !strings.Contains(err.Error(), s) {
			t.Errorf("%q does not mention %q", err, s)
		}
	}
	if !errors.Is(&RateLimitError{Wait: time.Hour}, ErrRateLimited) {
		t.Error("RateLimitError without APIError")
	}
}
