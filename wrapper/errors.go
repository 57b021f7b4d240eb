package qualys

import (
	"bytes"
	"encoding/json"
	"encoding/xml"
	"errors"
	"fmt"
	"html"
	"net/http"
	"regexp"
	"strconv"
	"strings"
	"time"
	"unicode"

	"github.com/qualyskit/qualys-go/wire"
)

// Sentinel errors. Match them with errors.Is against any error this package
// returns; *APIError and *RateLimitError map onto them.
var (
	// ErrUnauthorized: HTTP 401, from /auth (bad credentials) or from an API
	// call whose token was rejected.
	ErrUnauthorized = errors.New("qualys: unauthorized")
	// ErrTokenExpired: a 401 whose message is "JWT expired". Such an error
	// matches ErrUnauthorized too.
	ErrTokenExpired = errors.New("qualys: token expired")
	// ErrForbidden: HTTP 403, e.g. a CAR configuration call by a
	// non-Manager user.
	ErrForbidden = errors.New("qualys: forbidden")
	// ErrNotFound: HTTP 404 (except PCRS's "Invalid input Parameter.", see
	// ErrInvalidRequest), and a PCRS hostids element reporting that the
	// policy does not exist.
	ErrNotFound = errors.New("qualys: not found")
	// ErrInvalidRequest: HTTP 400, classic code 1905 (parameter error), and
	// the 404 "Invalid input Parameter." that PCRS postureInfo sends for a
	// bad 0/1 flag. That 404 maps here and not to ErrNotFound because
	// retrying or treating it as "no data" would hide a caller bug.
	ErrInvalidRequest = errors.New("qualys: invalid request")
	// ErrConflict: HTTP 409 that is not throttling (codes 1960/1965), e.g.
	// a schedule title that already exists.
	ErrConflict = errors.New("qualys: conflict")
	// ErrRateLimited: HTTP 429, or classic code 1960 (concurrency) or 1965
	// (rate) which the classic API sends with 409.
	ErrRateLimited = errors.New("qualys: rate limited")
	// ErrServer: HTTP 5xx.
	ErrServer = errors.New("qualys: server error")
	// ErrInBody: a successful (2xx) response whose body reports a failure;
	// see carBodyError and pcrsBodyError.
	ErrInBody = errors.New("qualys: error reported in a successful response")
	// ErrBodyTooLarge: a response body, or one posture record, larger than
	// the client accepts (WithMaxResponseSize, WithMaxPostureRecordSize).
	// The error names the operation and the limit.
	ErrBodyTooLarge = errors.New("qualys: response body too large")
)

// Classic Qualys API codes that PCRS and the classic server pass through.
const (
	codeParameterError   = "1905"
	codeConcurrencyLimit = "1960"
	codeRateLimit        = "1965"
)

// APIError is a Qualys error response, or a failure reported inside a
// successful one.
type APIError struct {
	StatusCode int
	// Code is the Qualys error code when the body has one: CAR errorCode,
	// a classic code (1905, 1960, 1965), or the gateway/PCRS "error" text
	// ("Unauthorized").
	Code string
	// Message is the server's text, or for bodies without one (HTML pages,
	// empty or truncated bodies) a description of the status and content
	// type with a short sanitized snippet of the body.
	Message   string
	Operation string // method and path, e.g. "POST /sm/v1/scripts/search"
	RateLimit RateLimit
	RequestID string // X-Request-Id or X-Qualys-Request-Id, when sent
	// ContentType is the response's Content-Type header.
	ContentType string
}

// Error names the operation, status, code and message.
func (e *APIError) Error() string {
	var b strings.Builder
	b.WriteString("qualys: ")
	if e.Operation != "" {
		b.WriteString(e.Operation)
		b.WriteString(": ")
	}
	fmt.Fprintf(&b, "HTTP %d", e.StatusCode)
	if t := http.StatusText(e.StatusCode); t != "" {
		b.WriteString(" " + t)
	}
	if e.Code != "" {
		fmt.Fprintf(&b, ", code %s", e.Code)
	}
	if e.Message != "" {
		b.WriteString(": " + e.Message)
	}
	if e.RequestID != "" {
		fmt.Fprintf(&b, " (request id %s)", e.RequestID)
	}
	return b.String()
}

// Is maps the error onto the package's sentinels (see their docs).
func (e *APIError) Is(target error) bool {
	msg := strings.ToLower(e.Message)
	switch target {
	case ErrUnauthorized:
		return e.StatusCode == http.StatusUnauthorized
	case ErrTokenExpired:
		return e.StatusCode == http.StatusUnauthorized && strings.Contains(msg, "jwt expired")
	case ErrForbidden:
		return e.StatusCode == http.StatusForbidden
	case ErrNotFound:
		if e.StatusCode == http.StatusNotFound {
			return !e.invalidInput()
		}
		return isSuccess(e.StatusCode) && strings.Contains(msg, "does not exist")
	case ErrInvalidRequest:
		return e.StatusCode == http.StatusBadRequest || e.invalidInput() ||
			(!isSuccess(e.StatusCode) && e.Code == codeParameterError)
	case ErrConflict:
		return e.StatusCode == http.StatusConflict && !e.throttled()
	case ErrRateLimited:
		return e.throttled()
	case ErrServer:
		return e.StatusCode >= 500 && e.StatusCode <= 599
	case ErrInBody:
		return isSuccess(e.StatusCode)
	}
	return false
}

// invalidInput recognises PCRS's 404 "Invalid input Parameter.".
func (e *APIError) invalidInput() bool {
	return e.StatusCode == http.StatusNotFound && strings.HasPrefix(strings.ToLower(e.Message), "invalid input")
}

func (e *APIError) throttled() bool {
	if e.StatusCode == http.StatusTooManyRequests {
		return true
	}
	return !isSuccess(e.StatusCode) && (e.Code == codeConcurrencyLimit || e.Code == codeRateLimit)
}

func isSuccess(status int) bool { return status >= 200 && status <= 299 }

// RateLimitError is returned instead of waiting when the server asks for a
// longer wait than the transport is allowed (WithMaxThrottleWait). It
// matches ErrRateLimited and wraps the server's *APIError.
type RateLimitError struct {
	Wait     time.Duration // what the server asked for
	MaxWait  time.Duration // the configured limit
	APIError *APIError
}

func (e *RateLimitError) Error() string {
	op := ""
	if e.APIError != nil && e.APIError.Operation != "" {
		op = e.APIError.Operation + ": "
	}
	s := fmt.Sprintf("qualys: %srate limited: the server asks to wait %s, more than the %s allowed", op, e.Wait, e.MaxWait)
	if e.APIError != nil {
		if e.APIError.Code != "" {
			s += ", code " + e.APIError.Code
		}
		if e.APIError.Message != "" {
			s += ": " + e.APIError.Message
		}
	}
	return s
}

// Unwrap exposes both ErrRateLimited and the server's error.
func (e *RateLimitError) Unwrap() []error {
	if e.APIError == nil {
		return []error{ErrRateLimited}
	}
	return []error{ErrRateLimited, e.APIError}
}

// parseErrorResponse builds an *APIError from a response and its body (the
// caller reads the body; pass what was read, even if truncated). It
// understands every error shape Qualys documents:
//
//   - CAR: {"errorCode": "...", "message": "..."}
//   - gateway: {"message": "..."}
//   - gateway auth: {"status": 401, "error": "Unauthorized", "message": "JWT expired"}
//   - PCRS classic pass-through: [{"response": {"datetime", "code": 1905, "text"}}]
//   - /auth credentials: {"authentication_exceptions": [["..."]]}
//   - classic XML: <SIMPLE_RETURN><RESPONSE><CODE>1965</CODE><TEXT>...</TEXT>
//
// Anything else (HTML or text pages, empty or truncated bodies) gives a
// message naming the status and content type with a short, sanitized
// snippet. resp.Request, when set, supplies Operation.
//
// Only the first 64 KiB of body are looked at, so the cost is bounded
// whatever the server sent. Every string taken from the server (code,
// message, content type, request id) is sanitized: valid UTF-8, no control
// characters, no token-shaped text, bounded length.
func parseErrorResponse(resp *http.Response, body []byte) *APIError {
	return parseErrorScrubbed(resp, body, nil)
}

// parseErrorScrubbed is parseErrorResponse with an extra scrubber for
// secrets the caller knows (the /auth password), applied to the body
// before parsing and to every field after.
func parseErrorScrubbed(resp *http.Response, body []byte, secret func(string) string) *APIError {
	if len(body) > maxErrorBody {
		body = body[:maxErrorBody]
	}
	clean := func(s string, n int) string { return scrubServerText(s, n, secret) }
	if secret != nil {
		body = []byte(secret(string(body)))
	}
	e := &APIError{}
	if resp == nil {
		e.Message = clean(describeBody(0, "", body), maxMessage)
		return e
	}
	e.StatusCode = resp.StatusCode
	e.ContentType = clean(resp.Header.Get("Content-Type"), 100)
	e.RateLimit = parseRateLimit(resp.Header)
	e.RequestID = clean(firstHeader(resp.Header, "X-Request-Id", "X-Qualys-Request-Id"), 128)
	if resp.Request != nil && resp.Request.URL != nil {
		e.Operation = resp.Request.Method + " " + resp.Request.URL.Path
	}
	code, msg, ok := parseErrorBody(body)
	if ok {
		e.Code = clean(code, 64)
		e.Message = clean(msg, maxMessage)
	}
	if e.Message == "" {
		e.Message = clean(describeBody(e.StatusCode, e.ContentType, body), maxMessage)
	}
	return e
}

const (
	maxMessage = 500 // runes kept of a server message
	maxSnippet = 200 // runes kept of an unstructured body
	// maxErrorBody bounds what is read of an error body and what the
	// error parser looks at: Qualys error bodies are a few hundred bytes.
	maxErrorBody = 64 << 10
)

func firstHeader(h http.Header, names ...string) string {
	for _, n := range names {
		if v := strings.TrimSpace(h.Get(n)); v != "" {
			return v
		}
	}
	return ""
}

// scrubServerText is the one scrubber for text a server supplied (bodies,
// header values, content types, transport errors quoting a response) on
// its way into an error, a log line or a panic: secret removes what the
// caller knows to be secret, before and after sanitize, which removes
// token-shaped text, control characters and excess length.
func scrubServerText(s string, n int, secret func(string) string) string {
	if secret != nil {
		s = secret(s)
	}
	s = sanitize(s, n)
	if secret != nil {
		s = secret(s)
	}
	return s
}

// scrubbedError shows a scrubbed message for an error whose own text may
// quote the server (net/http quotes malformed responses), and still
// unwraps to it for errors.Is and errors.As.
type scrubbedError struct {
	msg string
	err error
}

func (e *scrubbedError) Error() string { return e.msg }
func (e *scrubbedError) Unwrap() error { return e.err }

// scrubError wraps err so that its message passes through the scrubber.
func scrubError(prefix string, err error, secret func(string) string) error {
	if err == nil {
		return nil
	}
	return &scrubbedError{msg: prefix + scrubServerText(err.Error(), 1000, secret), err: err}
}

// parseErrorBody extracts a code and message from a structured body; ok is
// false when the body has no recognised structure.
func parseErrorBody(body []byte) (code, msg string, ok bool) {
	b := bytes.TrimSpace(bytes.TrimPrefix(body, []byte("\xef\xbb\xbf")))
	if len(b) == 0 {
		return "", "", false
	}
	switch b[0] {
	case '{', '[':
		return parseJSONError(b)
	case '<':
		return parseXMLError(b)
	}
	return "", "", false
}

func parseJSONError(b []byte) (code, msg string, ok bool) {
	dec := json.NewDecoder(bytes.NewReader(b))
	dec.UseNumber()
	var v any
	if err := dec.Decode(&v); err != nil {
		return "", "", false
	}
	switch v := v.(type) {
	case map[string]any:
		return jsonObjectError(v)
	case []any:
		// PCRS passes classic errors through as an array of
		// {"response": {...}}; collect every distinct text.
		var texts []string
		for _, el := range v {
			obj, _ := el.(map[string]any)
			if r, isObj := obj["response"].(map[string]any); isObj {
				if c := scalarString(r["code"]); c != "" && code == "" {
					code = c
				}
				if t := scalarString(r["text"]); t != "" && !contains(texts, t) {
					texts = append(texts, t)
				}
				continue
			}
			if c, m, found := jsonObjectError(obj); found {
				if code == "" {
					code = c
				}
				if m != "" && !contains(texts, m) {
					texts = append(texts, m)
				}
			}
		}
		return code, strings.Join(texts, "; "), code != "" || len(texts) > 0
	}
	return "", "", false
}

func jsonObjectError(v map[string]any) (code, msg string, ok bool) {
	if v == nil {
		return "", "", false
	}
	if r, isObj := v["response"].(map[string]any); isObj {
		return scalarString(r["code"]), scalarString(r["text"]), true
	}
	if ex, has := v["authentication_exceptions"]; has {
		return "", strings.Join(flattenStrings(ex, nil), "; "), true
	}
	code = scalarString(v["errorCode"])
	errText := scalarString(v["error"])
	if code == "" {
		code = errText
	}
	msg = scalarString(v["message"])
	if msg == "" && errText != "" && errText != code {
		msg = errText
	}
	if msg == "" {
		msg = scalarString(v["errorMessage"])
	}
	return code, msg, code != "" || msg != ""
}

func flattenStrings(v any, out []string) []string {
	switch v := v.(type) {
	case []any:
		for _, el := range v {
			out = flattenStrings(el, out)
		}
	case string:
		if s := strings.TrimSpace(v); s != "" {
			out = append(out, s)
		}
	}
	return out
}

// scalarString renders a JSON scalar as text; objects, arrays and null give "".
func scalarString(v any) string {
	switch v := v.(type) {
	case string:
		return strings.TrimSpace(v)
	case json.Number:
		return v.String()
	case bool:
		return strconv.FormatBool(v)
	}
	return ""
}

func contains(list []string, s string) bool {
	for _, x := range list {
		if x == s {
			return true
		}
	}
	return false
}

// parseXMLError finds the first CODE and TEXT inside a classic RESPONSE
// element. The decoder is lenient so HTML pages fail quietly and fall back
// to a snippet.
func parseXMLError(b []byte) (code, msg string, ok bool) {
	dec := xml.NewDecoder(bytes.NewReader(b))
	dec.Strict = false
	dec.AutoClose = xml.HTMLAutoClose
	dec.Entity = xml.HTMLEntity
	var stack []string
	var text strings.Builder
	for {
		tok, err := dec.Token()
		if err != nil {
			break
		}
		switch t := tok.(type) {
		case xml.StartElement:
			stack = append(stack, strings.ToUpper(t.Name.Local))
			text.Reset()
		case xml.CharData:
			text.Write(t)
		case xml.EndElement:
			if len(stack) == 0 {
				continue
			}
			name := stack[len(stack)-1]
			stack = stack[:len(stack)-1]
			inResponse := len(stack) > 0 && stack[len(stack)-1] == "RESPONSE"
			if inResponse && name == "CODE" && code == "" {
				code = strings.TrimSpace(text.String())
			}
			if inResponse && name == "TEXT" && msg == "" {
				msg = strings.TrimSpace(text.String())
			}
			text.Reset()
		}
		if code != "" && msg != "" {
			break
		}
	}
	return code, msg, code != "" || msg != ""
}

// describeBody is the message for a body without a recognised structure.
func describeBody(status int, contentType string, body []byte) string {
	if len(body) > maxErrorBody {
		body = body[:maxErrorBody]
	}
	ct := sanitize(contentType, 100) // the header is server text too
	if ct == "" {
		ct = "no content type"
	}
	head := fmt.Sprintf("HTTP %d", status)
	if t := http.StatusText(status); t != "" {
		head += " " + t
	}
	snippet := sanitize(stripTags(string(body)), maxSnippet)
	if snippet == "" {
		return fmt.Sprintf("%s with an empty body (%s)", head, ct)
	}
	return fmt.Sprintf("%s (%s): %s", head, ct, snippet)
}

var (
	tagRE        = regexp.MustCompile(`(?s)<(script|style)\b.*?</(script|style)\s*>|<!--.*?-->|<[^>]*>`)
	jwtRE        = regexp.MustCompile(`eyJ[A-Za-z0-9_-]{2,}\.[A-Za-z0-9_-]{2,}\.[A-Za-z0-9_-]*`)
	bearerRE     = regexp.MustCompile(`(?i)(bearer\s+)[^\s"',;]+`)
	passwordPair = regexp.MustCompile(`(?i)(password=)[^&\s"']*`)
)

func stripTags(s string) string {
	if !strings.Contains(s, "<") {
		return s
	}
	return html.UnescapeString(tagRE.ReplaceAllString(s, " "))
}

// sanitize makes server text safe to show: valid UTF-8, no control
// characters, collapsed white space, no token-like strings, at most n runes.
func sanitize(s string, n int) string {
	s = strings.ToValidUTF8(s, "�")
	s = redactSecrets(s)
	var b strings.Builder
	space := false
	for _, r := range s {
		if unicode.IsSpace(r) || unicode.IsControl(r) {
			space = true
			continue
		}
		if space && b.Len() > 0 {
			b.WriteByte(' ')
		}
		space = false
		b.WriteRune(r)
	}
	return truncate(b.String(), n)
}

// redactSecrets removes anything shaped like a JWT, a bearer credential or
// a form-encoded password, in case a server echoes one back.
func redactSecrets(s string) string {
	s = jwtRE.ReplaceAllString(s, "[REDACTED]")
	s = bearerRE.ReplaceAllString(s, "${1}[REDACTED]")
	return passwordPair.ReplaceAllString(s, "${1}[REDACTED]")
}

// carBodyError reports a failure that a CAR response signals inside a 2xx
// body: the envelope's errorCode and message, as the generated types hold
// them. It returns nil when errorCode is empty (absent or null) or "0",
// which is what CAR sends on success; otherwise an *APIError with
// StatusCode 200 that matches ErrInBody. op is the operation, e.g.
// "POST /sm/v1/script-library/import".
func carBodyError(op, errorCode, message string) error {
	code := strings.TrimSpace(errorCode)
	if code == "" || code == "0" {
		return nil
	}
	return &APIError{StatusCode: http.StatusOK, Operation: op, Code: sanitize(code, 64), Message: sanitize(message, maxMessage)}
}

// pcrsBodyError reports the error a PCRS hostids response puts inside a
// 200 array element, e.g. "Error: Compliance Policy does not exist." for
// an unknown policy. It returns nil when errText is blank; otherwise
// an *APIError with StatusCode 200 that matches ErrInBody, and ErrNotFound
// when the text says the policy does not exist. policyID is named in the
// message because one response covers several policies.
func pcrsBodyError(op string, policyID wire.ID, errText string) error {
	if strings.TrimSpace(errText) == "" {
		return nil
	}
	msg := sanitize(errText, maxMessage)
	if !policyID.IsZero() {
		msg = "policy " + sanitize(policyID.String(), 64) + ": " + msg
	}
	return &APIError{StatusCode: http.StatusOK, Operation: op, Message: msg}
}
