package qualys

import (
	"context"
	"errors"
	"io"
	"net/http"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/qualyskit/qualys-go/wire"
)

func TestNewClientNeedsPlatformAndCredentials(t *testing.T) {
	env := map[string]string{}
	getenv := func(k string) string { return env[k] }
	withEnv := func(cfg *config) { cfg.getenv = getenv }

	if _, err := NewClient(withEnv, WithCredentials("u", "p")); !errors.Is(err, ErrUnknownPlatform) {
		t.Errorf("no platform: got %v, want ErrUnknownPlatform", err)
	}
	if _, err := NewClient(withEnv, WithPlatform("US9"), WithCredentials("u", "p")); !errors.Is(err, ErrUnknownPlatform) ||
		!strings.Contains(err.Error(), "US2") {
		t.Errorf("unknown platform: got %v, want ErrUnknownPlatform listing the valid ones", err)
	}
	if _, err := NewClient(withEnv, WithPlatform("US2")); !errors.Is(err, ErrMissingCredentials) {
		t.Errorf("no credentials: got %v, want ErrMissingCredentials", err)
	}
	if _, err := NewClient(withEnv, WithGatewayURL("http://gateway.example.com"), WithCredentials("u", "p")); !errors.Is(err, ErrInsecureTransport) {
		t.Errorf("plain http: got %v, want ErrInsecureTransport", err)
	}
	env[EnvPlatform] = "eu2"
	c, err := NewClient(withEnv, WithCredentials("u", "p"))
	if err != nil {
		t.Fatal(err)
	}
	if c.GatewayURL() != "https://gateway.qg2.apps.qualys.eu" {
		t.Errorf("gateway %s", c.GatewayURL())
	}
}

// TestTypedCallsReportBadBodies covers what the generated parsers alone
// get wrong: a 200 that is not JSON comes back as nil with no error, and
// a truncated body as a bare JSON error without the status.
func TestTypedCallsReportBadBodies(t *testing.T) {
	tests := []struct {
		name    string
		status  int
		ct      string
		body    string
		cut     bool // declare a longer Content-Length than sent
		want    []error
		wantMsg string
	}{
		{"HTML page with 200", 200, "text/html", "<html><body>Maintenance</body></html>", false, []error{ErrUnexpectedBody}, "text/html"},
		{"truncated JSON", 200, "application/json", `{"subscriptionId":1,"policyList":[{"id":1,`, false, []error{ErrUnexpectedBody}, "HTTP 200"},
		{"connection cut mid-body", 200, "application/json", `{"subscriptionId":1,"policyList":[`, true, []error{ErrUnexpectedBody, io.ErrUnexpectedEOF}, "body cut"},
		{"empty 200", 200, "application/json", "", false, []error{ErrUnexpectedBody}, "HTTP 200"},
		{"XML error", 500, "text/xml", "<SIMPLE_RETURN><RESPONSE><CODE>999</CODE><TEXT>Internal error</TEXT></RESPONSE></SIMPLE_RETURN>", false, []error{ErrServer}, "Internal error"},
		{"gateway 401", 401, "application/json", `{"status":401,"error":"Unauthorized","message":"JWT expired"}`, false, []error{ErrUnauthorized, ErrTokenExpired}, "JWT expired"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			c := newTestServer(t, func(w http.ResponseWriter, r *http.Request) {
				w.Header().Set("Content-Type", tt.ct)
				if tt.cut {
					w.Header().Set("Content-Length", strconv.Itoa(len(tt.body)+100))
				}
				w.WriteHeader(tt.status)
				io.WriteString(w, tt.body)
			}, withHTTP2()).client(t, WithMaxRetries(0))
			list, err := collect(c.Policies(context.Background(), time.Time{}))
			if len(list) != 0 {
				t.Errorf("got a result %+v with a bad body", list)
			}
			for _, target := range tt.want {
				if !errors.Is(err, target) {
					t.Errorf("%v does not match %v", err, target)
				}
			}
			if err == nil || !strings.Contains(err.Error(), tt.wantMsg) {
				t.Errorf("error %v does not mention %q", err, tt.wantMsg)
			}
		})
	}
}

func TestTypedCallsAcceptUnlabelledJSON(t *testing.T) {
	c := newTestServer(t, func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "text/plain")
		io.WriteString(w, `{"subscriptionId":"1337821","policyList":[{"id":1438626,"title":"CIS"}]}`)
	}, withHTTP2()).client(t)
	list, err := collect(c.Policies(context.Background(), time.Time{}))
	if err != nil {
		t.Fatal(err)
	}
	if len(list) != 1 || list[0].ID.String() != "1438626" || list[0].Title != "CIS" {
		t.Errorf("got %+v", list)
	}
}

func TestHostIDsKeepsEveryPolicy(t *testing.T) {
	var query string
	c := newTestServer(t, func(w http.ResponseWriter, r *http.Request) {
		query = r.URL.RawQuery
		w.Header().Set("Content-Type", "application/json")
		io.WriteString(w, `[{"policyId":"1","subscriptionId":"9","hostIds":["10","11"]},
			{"policyId":"2","subscriptionId":"9","hostIds":[],"error":"Error: Compliance Policy does not exist."}]`)
	}, withHTTP2()).client(t)
	list, err := c.HostIDs(context.Background(), []wire.ID{wire.NewID(1), wire.NewID(2)}, time.Date(2024, 11, 1, 0, 0, 0, 0, time.UTC))
	if query != "policyId=1%2C2&statusChangedSince=2024-11-01T00%3A00%3A00Z" && query != "policyId=1,2&statusChangedSince=2024-11-01T00%3A00%3A00Z" {
		t.Errorf("query %q", query)
	}
	if len(list) != 2 || len(list[0].HostIDs) != 2 {
		t.Errorf("got %+v, want both policies", list)
	}
	if !errors.Is(err, ErrNotFound) || !errors.Is(err, ErrInBody) || !strings.Contains(err.Error(), "policy 2") {
		t.Errorf("got %v, want a not-found error naming policy 2", err)
	}
}

func TestLastRateLimit(t *testing.T) {
	c := newTestServer(t, func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("X-RateLimit-Limit", "25")
		w.Header().Set("X-RateLimit-Window-Sec", "60")
		w.Header().Set("X-RateLimit-Remaining", "24")
		w.Header().Set("Content-Type", "application/json")
		io.WriteString(w, `{"subscriptionId":1,"policyList":[]}`)
	}, withHTTP2()).client(t)
	if _, ok := c.LastRateLimit("/pcrs/2.0/posture/policy/list"); ok {
		t.Fatal("rate state before any call")
	}
	if _, err := collect(c.Policies(context.Background(), time.Time{})); err != nil {
		t.Fatal(err)
	}
	rl, ok := c.LastRateLimit("/pcrs/1.0/posture/policy/list") // versions share a budget
	if !ok || rl.Remaining == nil || *rl.Remaining != 24 || *rl.Limit != 25 {
		t.Errorf("got %+v, %v", rl, ok)
	}
	if _, ok := c.LastRateLimit("/pcrs/5.0/posture/postureInfo"); ok {
		t.Error("postureInfo has its own budget and was never called")
	}
}

func TestRateKey(t *testing.T) {
	for path, want := range map[string]string{
		"/sm/v1/scripts/search":          "car",
		"/pcrs/3.0/posture/hostids":      "pcrs/hostids",
		"/pcrs/5.0/posture/postureInfo":  "pcrs/postureInfo",
		"/pcrs/2.0/posture/policy/list/": "pcrs/policy/list",
		"/auth":                          "auth",
		"/other":                         "",
	} {
		if got := rateKey(path); got != want {
			t.Errorf("rateKey(%q) = %q, want %q", path, got, want)
		}
	}
}
