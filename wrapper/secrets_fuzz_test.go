package qualys

import (
	"bytes"
	"context"
	"encoding/base64"
	"encoding/json"
	"errors"
	"fmt"
	"html"
	"io"
	"net/http"
	"net/url"
	"strings"
	"testing"
	"time"
)

// roundTripFunc answers requests in memory: fuzz targets must not open
// sockets.
type roundTripFunc func(*http.Request) (*http.Response, error)

func (f roundTripFunc) RoundTrip(r *http.Request) (*http.Response, error) { return f(r) }

// FuzzGatewayURL: whatever string a caller passes as a gateway, an
// accepted URL is https (or loopback http after the opt-in), has no user
// information, query or fragment, no trailing slash, and is accepted
// again unchanged; a rejected one never panics.
func FuzzGatewayURL(f *testing.F) {
	for _, s := range []string{
		"https://gateway.qg2.apps.qualys.com", "https://gateway.qg2.apps.qualys.com/", "HTTPS://Gateway.Example:8443/base//",
		"http://127.0.0.1:8080", "http://localhost", "http://[::1]:1", "http://127.0.0.1.nip.io", "http://gateway.example.com",
		"ftp://example.com", "//example.com", "example.com", "https://u:p@example.com", "https://example.com/?q=1",
		"https://example.com/#f", "https://[::1", "https://exa mple.com", "https://%zz", " https://example.com ", "",
	} {
		f.Add(s, true)
		f.Add(s, false)
	}
	f.Fuzz(func(t *testing.T, raw string, plain bool) {
		u, err := parseGatewayURLQuietly(raw, plain)
		if err != nil {
			if u != nil {
				t.Fatalf("%q: a URL and an error", raw)
			}
			return
		}
		switch {
		case u.Scheme == "https":
		case u.Scheme == "http" && plain && isLoopbackHost(u.Hostname()):
		default:
			t.Fatalf("%q accepted as %s (plain http allowed: %v)", raw, u, plain)
		}
		if u.User != nil || u.RawQuery != "" || u.Fragment != "" || u.Hostname() == "" || strings.HasSuffix(u.Path, "/") {
			t.Fatalf("%q accepted as %#v", raw, u)
		}
		again, err := parseGatewayURLQuietly(u.String(), plain)
		if err != nil || again.String() != u.String() {
			t.Fatalf("%q gave %s, which parses as %v, %v", raw, u, again, err)
		}
	})
}

// FuzzGatewayURLUserinfo: a password written into a gateway URL never
// reaches the error that rejects the URL, whichever way the URL is broken
// and whichever entry point (client, token source, platform name) got it.
func FuzzGatewayURLUserinfo(f *testing.F) {
	f.Add("acme", "S3cret", "gateway.example.com", "")
	f.Add("acme", "S3cret", "gate\x7fway.example", "")
	f.Add("acme", "S3cret", "gateway.example", "/%zz")
	f.Add("acme", "S3cret", "[::1", "")
	f.Add("acme", "pa/ss", "gateway.example", "")
	f.Add("acme", "pa#ss?x", "", "")
	f.Add("", "x@y", "host:12ab", "?q")
	f.Fuzz(func(t *testing.T, user, pass, host, rest string) {
		const marker = "Zq9"
		secret := marker + pass
		around := user + host + rest
		for _, s := range []string{around, unescapeAll(around)} {
			if strings.Contains(strings.ToLower(s), strings.ToLower(marker)) {
				return // the marker is not only in the password
			}
		}
		for _, raw := range []string{
			"https://" + user + ":" + secret + "@" + host + rest,
			user + ":" + secret + "@" + host + rest, // scheme forgotten
			"http://" + user + ":" + secret + "@" + host + rest,
		} {
			var errs []error
			_, err := NewClient(WithGatewayURL(raw), WithCredentials("u", "p"))
			errs = append(errs, err)
			_, err = NewClient(WithPlatform(raw), WithCredentials("u", "p"))
			errs = append(errs, err)
			_, err = newTokenSourceFor(raw, userCredentials{Username: "u", Password: "p"}, WithPlainHTTPLoopback())
			errs = append(errs, err)
			_, err = newConfigFromEnv(raw)
			errs = append(errs, err)
			for _, err := range errs {
				if err == nil {
					continue
				}
				if text := fmt.Sprintf("%v %+v", err, err); strings.Contains(text, marker) {
					t.Fatalf("%q: the password reaches the error: %s", raw, text)
				}
			}
		}
	})
}

// newConfigFromEnv resolves a gateway given in QUALYS_GATEWAY_URL.
func newConfigFromEnv(raw string) (*Client, error) {
	env := func(k string) string {
		if k == EnvGatewayURL {
			return raw
		}
		return ""
	}
	return NewClient(func(c *config) { c.getenv = env }, WithCredentials("u", "p"))
}

// unescapeAll undoes the escapes a URL parser or error printer might
// apply, so that the marker check cannot be fooled by %5A or \x5a.
func unescapeAll(s string) string {
	if u, err := url.PathUnescape(s); err == nil {
		s += u
	}
	if u, err := url.QueryUnescape(s); err == nil {
		s += u
	}
	return s + html.UnescapeString(s)
}

// FuzzRetryAfter: Retry-After never gives a negative or zero wait, and
// whole seconds give exactly that many seconds (huge values are clamped,
// never wrapped into a short wait).
func FuzzRetryAfter(f *testing.F) {
	now := time.Date(2026, 11, 23, 8, 0, 0, 0, time.UTC)
	for _, s := range []string{"0", "1", "120", "-5", " 30 ", "1.5", "9223372036854775807", "99999999999999999999",
		now.Add(time.Minute).Format(http.TimeFormat), now.Add(-time.Minute).Format(http.TimeFormat), "Mon, 02 Jan 2006", ""} {
		f.Add(s, now.Unix())
	}
	f.Fuzz(func(t *testing.T, v string, unix int64) {
		at := time.Unix(unix, 0)
		d, ok := retryAfter(v, at)
		if ok != (d > 0) {
			t.Fatalf("%q: %v, %v", v, d, ok)
		}
		var n int64
		if _, err := fmt.Sscanf(strings.TrimSpace(v), "%d", &n); err == nil && fmt.Sprint(n) == strings.TrimSpace(v) && n > 0 {
			if want := time.Duration(min(n, maxRateValue)) * time.Second; d != want {
				t.Fatalf("%q: %v, want %v", v, d, want)
			}
		}
		// The throttle path must see the same answer.
		tr := &authTransport{now: func() time.Time { return at }, backoffMin: time.Millisecond, backoffMax: time.Millisecond,
			jitter: func(n int64) int64 { return n - 1 }}
		resp := &http.Response{Header: http.Header{"Retry-After": {v}}}
		w, source := tr.throttleWait(resp, RateLimit{}, 0)
		if w < 0 || (ok && (w != d || source != "Retry-After")) {
			t.Fatalf("%q: throttle wait %v from %s, Retry-After %v %v", v, w, source, d, ok)
		}
	})
}

// FuzzTokenRefreshTime: whatever claims a token carries, its refresh is
// scheduled no earlier than its arrival and no later than its expiry by
// the claims (or the documented lifetime when the claims are unusable).
func FuzzTokenRefreshTime(f *testing.F) {
	f.Add(`{"exp":1731400000,"iat":1731385600}`, int64(1731385600), int64(300))
	f.Add(`{"exp":1731400000}`, int64(1731385600), int64(0))
	f.Add(`{"exp":1731385601,"iat":1731385600}`, int64(1731385600), int64(3600))
	f.Add(`{"exp":1e300,"iat":1}`, int64(0), int64(1))
	f.Add(`{"exp":1731385600.0000001,"iat":1731385600}`, int64(1731385600), int64(300))
	f.Add(`{"iat":-1}`, int64(-62135596800), int64(-5))
	f.Add(`[]`, int64(253402300799), int64(1<<40))
	f.Fuzz(func(t *testing.T, payload string, unix, marginSec int64) {
		if unix < -1<<40 || unix > 1<<40 {
			return // beyond the years time.Time arithmetic is meant for
		}
		margin := time.Duration(max(0, min(marginSec, 1<<30))) * time.Second
		tok := "eyJhbGciOiJSUzI1NiJ9." + base64.RawURLEncoding.EncodeToString([]byte(payload)) + ".c2ln"
		received := time.Unix(unix, 0)
		s := &jwtSource{margin: margin}
		at := s.refreshTime(tok, received)
		if at.Before(received) {
			t.Fatalf("%s: refresh at %v, before the token arrived at %v", payload, at, received)
		}
		exp, iat, hasExp, hasIat := jwtTimes(tok)
		if !hasExp {
			if want := received.Add(defaultTokenLifetime); at.After(want) {
				t.Fatalf("%s: no exp, refresh at %v after the default expiry %v", payload, at, want)
			}
			return
		}
		if hasIat && exp > iat {
			if limit := received.Add(secondsDuration(exp - iat)); at.After(limit) {
				t.Fatalf("%s: refresh at %v, after the token's lifetime ends at %v", payload, at, limit)
			}
		}
	})
}

// FuzzErrorBodySecrets: an error body that echoes a JWT, a bearer header
// or a form-encoded password, anywhere and in any shape, never puts them
// into the error text, whether the body is parsed as an error (4xx/5xx)
// or described as an unexpected 2xx body.
func FuzzErrorBodySecrets(f *testing.F) {
	f.Add("<html><body>", "</body></html>", 500, "text/html", uint8(0))
	f.Add(`{"message":"`, `"}`, 401, "application/json", uint8(1))
	f.Add(`{"errorCode":"`, `","message":"x"}`, 409, "application/json", uint8(2))
	f.Add(`<SIMPLE_RETURN><RESPONSE><CODE>`, `</CODE><TEXT>x</TEXT></RESPONSE></SIMPLE_RETURN>`, 400, "text/xml", uint8(3))
	f.Add(`[{"response":{"code":1905,"text":"`, `"}}]`, 400, "application/json", uint8(0))
	f.Add("GET /pcrs/1.0/posture/policy/list HTTP/1.1\r\n", "\r\n\r\n", 502, "text/plain", uint8(1))
	f.Add(strings.Repeat("x", 495), "", 500, "", uint8(0))
	f.Fuzz(func(t *testing.T, prefix, suffix string, status int, ct string, shape uint8) {
		const (
			jwt      = "eyJhbGciOiJSUzI1NiJ9.eyJzdWIiOiJhY21lX2FiMTIiLCJleHAiOjE3MzE0MDAwMDB9.Zm9vYmFyYmF6cXV4"
			payload  = "eyJzdWIiOiJhY21lX2FiMTIiLCJleHAiOjE3MzE0MDAwMDB9"
			password = "Tr0ub4dor-3xyz"
		)
		if strings.Contains(prefix+suffix, payload) || strings.Contains(prefix+suffix, password) ||
			strings.Contains(unescapeAll(prefix+suffix), "Tr0ub4dor") {
			return
		}
		secret := []string{
			jwt,
			"Authorization: Bearer " + jwt,
			"username=acme_ab12&password=" + password + "&token=true",
			"password=" + url.QueryEscape(password),
		}[shape%4]
		body := []byte(prefix + secret + suffix)
		req, _ := http.NewRequest(http.MethodPost, "https://gateway.example/sm/v1/jobs/search", nil)
		status = 100 + (status%500+500)%500
		resp := &http.Response{StatusCode: status, Header: http.Header{"Content-Type": {ct}}, Request: req}
		var texts []string
		e := parseErrorResponse(resp, body)
		texts = append(texts, e.Error(), fmt.Sprintf("%+v", e), e.Code, e.Message)
		texts = append(texts, unexpectedBody("POST /sm/v1/jobs/search", resp, body, errors.New("cause")).Error())
		for _, text := range texts {
			if strings.Contains(text, payload) || strings.Contains(text, "Tr0ub4dor") {
				t.Fatalf("a secret in %q reaches the error: %s", body, text)
			}
		}
	})
}

// FuzzAuthErrorScrub: a /auth endpoint that echoes the password back in
// its error answer, in any of the ways servers echo a login form (raw,
// form-encoded, inside JSON, inside an HTML page, as the error code),
// never gets it into the error, even with a password of spaces, quotes
// and markup. It runs the real jwtSource against an in-memory gateway.
func FuzzAuthErrorScrub(f *testing.F) {
	f.Add("S3cret!", "bad login: ", "", 401, uint8(0))
	f.Add("p@ss w0rd&x=1", "", " rejected", 401, uint8(1))
	f.Add("a\"b<c>&d", "user ", "", 400, uint8(2))
	f.Add("tab\there  two  spaces", "<p>", "</p>", 403, uint8(3))
	f.Add("\u00e9\u00e8", "", "", 500, uint8(4))
	f.Add("x", strings.Repeat("y", 498), "", 401, uint8(5))
	f.Fuzz(func(t *testing.T, pass, prefix, suffix string, status int, shape uint8) {
		status = 400 + (status%200+200)%200
		run := func(password string) string {
			cfg := defaultConfig()
			cfg.httpClient = &http.Client{Transport: roundTripFunc(func(r *http.Request) (*http.Response, error) {
				form, _ := io.ReadAll(r.Body)
				body, ct := echo(shape, string(form), password, prefix, suffix)
				return &http.Response{StatusCode: status, Header: http.Header{"Content-Type": {ct}},
					Body: io.NopCloser(bytes.NewReader(body)), Request: r}, nil
			})}
			gw, _ := url.Parse("https://gateway.example")
			ts, err := newTokenSource(cfg, gw, userCredentials{Username: "acme_ab12", Password: password})
			if err != nil {
				t.Fatal(err)
			}
			_, err = ts.Token(context.Background())
			if err == nil {
				t.Fatalf("status %d accepted", status)
			}
			var apiErr *APIError
			text := fmt.Sprintf("%v | %+v", err, err)
			if errors.As(err, &apiErr) {
				text += " | " + apiErr.Code + " | " + apiErr.Message
			}
			return text
		}
		const marker = "Zq9"
		text := run(marker + pass)
		if !strings.Contains(text, marker) {
			return
		}
		// The marker may come from the prefix or suffix (entities, escapes):
		// then it shows with another password too, and is no leak.
		if !strings.Contains(run("Xk7"+pass), marker) {
			t.Fatalf("the password %q leaks (shape %d): %s", marker+pass, shape%6, text)
		}
	})
}

// echo builds a /auth error answer that echoes the login form or the
// password in one of the shapes real servers use.
func echo(shape uint8, form, password, prefix, suffix string) ([]byte, string) {
	jsonString := func(s string) string { b, _ := json.Marshal(s); return string(b) }
	switch shape % 6 {
	case 0: // the raw form body
		return []byte(prefix + form + suffix), "text/plain"
	case 1: // the decoded password, as text
		return []byte(prefix + password + suffix), "text/plain"
	case 2: // inside a JSON message
		return []byte(`{"status":401,"message":` + jsonString(prefix+password+suffix) + `}`), "application/json"
	case 3: // inside an HTML page, escaped
		return []byte("<html><body>" + html.EscapeString(prefix+password+suffix) + "</body></html>"), "text/html"
	case 4: // as the error code
		return []byte(`{"error":` + jsonString(prefix+password+suffix) + `}`), "application/json"
	default: // the form echoed in a JSON message
		return []byte(`{"message":` + jsonString(prefix+form+suffix) + `}`), "application/json"
	}
}
