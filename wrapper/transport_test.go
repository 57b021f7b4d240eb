package qualys

import (
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net"
	"net/http"
	"net/url"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/qualyskit/qualys-go/internal/syncbuf"
)

func respond(status int, header map[string]string, body string) http.HandlerFunc {
	return func(w http.ResponseWriter, _ *http.Request) {
		for k, v := range header {
			w.Header().Set(k, v)
		}
		w.WriteHeader(status)
		io.WriteString(w, body)
	}
}

var ok200 = respond(200, map[string]string{"Content-Type": "application/json"}, `{"body":{"ok":true}}`)

// hangUp starts an answer and drops the connection: a lost response. The
// partial status line matters: with no byte received, net/http re-sends
// idempotent requests on reused connections by itself, which would hide
// what the authTransport does.
func hangUp(w http.ResponseWriter, _ *http.Request) {
	conn, rw, err := w.(http.Hijacker).Hijack()
	if err != nil {
		return
	}
	rw.WriteString("HTTP/1.1 200 OK\r\nContent-Le")
	rw.Flush()
	conn.Close()
}

func TestTransportAttachesTokenOnlyToGateway(t *testing.T) {
	h := newHarness(t, []http.HandlerFunc{ok200})
	resp, _, err := h.do(t, "GET", "/sm/v1/script-library/7", "")
	if err != nil || resp.StatusCode != 200 {
		t.Fatalf("%v %v", resp, err)
	}
	want := "Bearer " + h.gw.tokens()[0]
	if got := h.api.Calls()[0].Auth; got != want {
		t.Fatalf("Authorization = %q, want %q", got, want)
	}

	// Another host (here: another port on loopback) never gets the token.
	var otherAuth []string
	var mu sync.Mutex
	other := newTestServer(t, func(w http.ResponseWriter, r *http.Request) {
		mu.Lock()
		otherAuth = append(otherAuth, r.Header.Get("Authorization"))
		mu.Unlock()
	})
	resp, err = h.hc.Get(other.URL + "/sm/v1/script-library/7")
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()

	// Redirects from the gateway to another host do not carry it either.
	h.api.mu.Lock()
	h.api.steps = []http.HandlerFunc{func(w http.ResponseWriter, r *http.Request) {
		http.Redirect(w, r, other.URL+"/elsewhere", http.StatusFound)
	}}
	h.api.mu.Unlock()
	if _, _, err := h.do(t, "GET", "/sm/v1/script-library/8", ""); err != nil {
		t.Fatal(err)
	}
	mu.Lock()
	defer mu.Unlock()
	if diff := cmp.Diff([]string{"", ""}, otherAuth); diff != "" {
		t.Fatalf("other host saw Authorization (-want +got):\n%s", diff)
	}

	// A caller's own Authorization header is left alone.
	req, _ := http.NewRequest("GET", h.gw.URL+"/sm/v1/script-library/9", nil)
	req.Header.Set("Authorization", "Bearer caller-token")
	h.api.mu.Lock()
	h.api.steps = []http.HandlerFunc{ok200}
	h.api.mu.Unlock()
	resp, err = h.hc.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	calls := h.api.Calls()
	if got := calls[len(calls)-1].Auth; got != "Bearer caller-token" {
		t.Fatalf("caller header replaced: %q", got)
	}
}

func TestSameOrigin(t *testing.T) {
	gw := mustURL(t, "https://gateway.qg2.apps.qualys.com")
	for raw, want := range map[string]bool{
		"https://gateway.qg2.apps.qualys.com/sm/v1/x":    true,
		"https://GATEWAY.qg2.apps.qualys.com:443/x":      true,
		"https://gateway.qg2.apps.qualys.com./x":         true,
		"https://gateway.qg2.apps.qualys.com:8443/x":     false,
		"http://gateway.qg2.apps.qualys.com/x":           false,
		"https://gateway.qg2.apps.qualys.com.evil.com/x": false,
		"https://qualysapi.qg2.apps.qualys.com/x":        false,
		"https://evil.com/gateway.qg2.apps.qualys.com/x": false,
		"https://gateway.qg2.apps.qualys.com@evil.com/x": false,
		"https://gateway.qg3.apps.qualys.com/sm/v1/x":    false,
		"https://gateway.qg2.apps.qualys.com:443@evil/x": false,
	} {
		if got := sameOrigin(mustURL(t, raw), gw); got != want {
			t.Errorf("sameOrigin(%s) = %v, want %v", raw, got, want)
		}
	}
}

func TestTransport401RefreshesOnce(t *testing.T) {
	expired := respond(401, map[string]string{"Content-Type": "application/json"}, `{"status":401,"error":"Unauthorized","message":"JWT expired"}`)
	body := `{"assetIds":"1,2"}`

	t.Run("second token works", func(t *testing.T) {
		h := newHarness(t, []http.HandlerFunc{expired, ok200})
		// A create-like operation: 401 means it was not acted on, so it
		// is re-sent, with its body.
		resp, _, err := h.do(t, "POST", "/sm/v1/scripts/12/execute", body)
		if err != nil || resp.StatusCode != 200 {
			t.Fatalf("%v %v", resp, err)
		}
		tokens := h.gw.tokens()
		want := []apiCall{
			{"POST", "/sm/v1/scripts/12/execute", "Bearer " + tokens[0], body},
			{"POST", "/sm/v1/scripts/12/execute", "Bearer " + tokens[1], body},
		}
		if diff := cmp.Diff(want, h.api.Calls()); diff != "" {
			t.Fatalf("calls (-want +got):\n%s", diff)
		}
		if len(h.clk.Sleeps()) != 0 {
			t.Fatalf("slept before the re-send: %v", h.clk.Sleeps())
		}
	})

	t.Run("only once", func(t *testing.T) {
		h := newHarness(t, []http.HandlerFunc{expired})
		resp, got, err := h.do(t, "GET", "/sm/v1/script-library/1", "")
		if err != nil || resp.StatusCode != 401 || !strings.Contains(got, "JWT expired") {
			t.Fatalf("%v %q %v", resp, got, err)
		}
		if len(h.api.Calls()) != 2 || h.gw.count("/auth") != 2 {
			t.Fatalf("%d API calls, %d /auth calls; want 2 and 2", len(h.api.Calls()), h.gw.count("/auth"))
		}
		apiErr := parseErrorResponse(resp, []byte(got))
		if !errors.Is(apiErr, ErrTokenExpired) {
			t.Fatalf("%v", apiErr)
		}
	})

	t.Run("body cannot be replayed", func(t *testing.T) {
		h := newHarness(t, []http.HandlerFunc{expired, ok200})
		// A plain io.Reader leaves GetBody nil.
		req, _ := http.NewRequest("POST", h.gw.URL+"/sm/v1/scripts/search", io.MultiReader(strings.NewReader(body)))
		resp, err := h.hc.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		resp.Body.Close()
		if resp.StatusCode != 401 || len(h.api.Calls()) != 1 {
			t.Fatalf("status %d after %d calls", resp.StatusCode, len(h.api.Calls()))
		}
	})
}

func TestTransportRetries(t *testing.T) {
	s503 := respond(503, map[string]string{"Content-Type": "text/html"}, "<html>busy</html>")
	s500 := respond(500, map[string]string{"Content-Type": "application/json"}, `{"errorCode":"500","message":"boom"}`)
	ms := time.Millisecond
	cases := []struct {
		name       string
		method     string
		path       string
		steps      []http.HandlerFunc
		opts       []Option
		wantStatus int
		wantCalls  int
		wantSleeps []time.Duration
	}{
		{"GET 503 twice", "GET", "/sm/v1/script-library/1", []http.HandlerFunc{s503, s503, ok200}, nil, 200, 3, []time.Duration{ms, 2 * ms}},
		{"search 500", "POST", "/sm/v1/scripts/search", []http.HandlerFunc{s500, ok200}, nil, 200, 2, []time.Duration{ms}},
		{"search with trailing slash", "POST", "/sm/v1/jobs/search/", []http.HandlerFunc{s500, ok200}, nil, 200, 2, []time.Duration{ms}},
		{"postureInfo 502", "POST", "/pcrs/5.0/posture/postureInfo", []http.HandlerFunc{respond(502, nil, ""), ok200}, nil, 200, 2, []time.Duration{ms}},
		{"execute 503 not retried", "POST", "/sm/v1/scripts/5/execute", []http.HandlerFunc{s503, ok200}, nil, 503, 1, nil},
		{"create 500 not retried", "POST", "/sm/v5/script", []http.HandlerFunc{s500, ok200}, nil, 500, 1, nil},
		{"update 500 not retried", "PATCH", "/sm/v4/script/9", []http.HandlerFunc{s500, ok200}, nil, 500, 1, nil},
		{"import 500 not retried", "POST", "/sm/v2/script-library/import", []http.HandlerFunc{s500, ok200}, nil, 500, 1, nil},
		{"schedule update 502 not retried", "POST", "/sm/v1/scheduler/abc", []http.HandlerFunc{respond(502, nil, ""), ok200}, nil, 502, 1, nil},
		{"delete 503 not retried", "POST", "/sm/v2/block-commands/delete", []http.HandlerFunc{s503, ok200}, nil, 503, 1, nil},
		{"501 not retried", "GET", "/sm/v1/script-types", []http.HandlerFunc{respond(501, nil, ""), ok200}, nil, 501, 1, nil},
		{"4xx not retried", "GET", "/sm/v1/script-types", []http.HandlerFunc{respond(404, nil, ""), ok200}, nil, 404, 1, nil},
		{"retries run out", "GET", "/sm/v1/script-types", []http.HandlerFunc{s503}, nil, 503, 4, []time.Duration{ms, 2 * ms, 4 * ms}},
		{"backoff capped", "GET", "/sm/v1/script-types", []http.HandlerFunc{s503}, []Option{WithMaxRetries(5)}, 503, 6,
			[]time.Duration{ms, 2 * ms, 4 * ms, 8 * ms, 8 * ms}},
		{"MaxRetries 0", "GET", "/sm/v1/script-types", []http.HandlerFunc{s503, ok200}, []Option{WithMaxRetries(0)}, 503, 1, nil},
		{"Retry-After on 503", "GET", "/sm/v1/script-types", []http.HandlerFunc{respond(503, map[string]string{"Retry-After": "2"}, ""), ok200}, nil, 200, 2,
			[]time.Duration{2 * time.Second}},
		{"Retry-After above cap ignored on 5xx", "GET", "/sm/v1/script-types", []http.HandlerFunc{respond(503, map[string]string{"Retry-After": "86400"}, ""), ok200}, nil, 200, 2,
			[]time.Duration{ms}},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			h := newHarness(t, tc.steps, tc.opts...)
			body := ""
			if tc.method != "GET" {
				body = `{"filter":"x"}`
			}
			resp, got, err := h.do(t, tc.method, tc.path, body)
			if err != nil {
				t.Fatal(err)
			}
			if resp.StatusCode != tc.wantStatus {
				t.Errorf("status %d, want %d", resp.StatusCode, tc.wantStatus)
			}
			if resp.StatusCode == 503 && tc.name != "Retry-After on 503" && !strings.Contains(got, "busy") && got != "" {
				t.Errorf("final body lost: %q", got)
			}
			calls := h.api.Calls()
			if len(calls) != tc.wantCalls {
				t.Errorf("%d calls, want %d", len(calls), tc.wantCalls)
			}
			for i, c := range calls {
				if c.Body != body {
					t.Errorf("attempt %d sent body %q, want %q", i+1, c.Body, body)
				}
			}
			if diff := cmp.Diff(tc.wantSleeps, h.clk.Sleeps()); diff != "" {
				t.Errorf("sleeps (-want +got):\n%s", diff)
			}
		})
	}
}

func TestTransportFullJitter(t *testing.T) {
	tr := &authTransport{backoffMin: 100 * time.Millisecond, backoffMax: time.Second}
	var bounds []int64
	tr.jitter = func(n int64) int64 { bounds = append(bounds, n); return 0 }
	for i := range 6 {
		if d := tr.backoff(i); d != 0 {
			t.Fatalf("backoff(%d) = %s with zero jitter", i, d)
		}
	}
	ms := int64(time.Millisecond)
	want := []int64{100*ms + 1, 200*ms + 1, 400*ms + 1, 800*ms + 1, 1000*ms + 1, 1000*ms + 1}
	if diff := cmp.Diff(want, bounds); diff != "" {
		t.Fatalf("jitter bounds (-want +got):\n%s", diff)
	}
	// The default jitter stays within the bound.
	tr.jitter = defaultConfig().jitter
	for i := range 100 {
		if d := tr.backoff(i % 8); d < 0 || d > time.Second {
			t.Fatalf("backoff = %s", d)
		}
	}
}

func TestTransportThrottling(t *testing.T) {
	clkDate := newFakeClock().Now().Add(90 * time.Second).UTC().Format(http.TimeFormat)
	ms := time.Millisecond
	conflict := respond(409, map[string]string{"Content-Type": "application/json"},
		`{"errorCode":"SM-409","message":"Scheduler with the same title already exists: nightly"}`)
	cases := []struct {
		name       string
		method     string
		path       string
		steps      []http.HandlerFunc
		opts       []Option
		wantStatus int
		wantCalls  int
		wantSleeps []time.Duration
	}{
		{"429 ToWait", "GET", "/pcrs/1.0/posture/hostids", []http.HandlerFunc{
			respond(429, map[string]string{"X-RateLimit-ToWait-Sec": "7", "Retry-After": "99"}, ""), ok200,
		}, nil, 200, 2, []time.Duration{7 * time.Second}},
		{"429 Retry-After seconds", "GET", "/sm/v1/script-types", []http.HandlerFunc{
			respond(429, map[string]string{"Retry-After": "3"}, ""), ok200,
		}, nil, 200, 2, []time.Duration{3 * time.Second}},
		{"429 Retry-After date", "GET", "/sm/v1/script-types", []http.HandlerFunc{
			respond(429, map[string]string{"Retry-After": clkDate}, ""), ok200,
		}, nil, 200, 2, []time.Duration{90 * time.Second}},
		{"429 no hint: backoff", "GET", "/sm/v1/script-types", []http.HandlerFunc{
			respond(429, nil, ""), respond(429, nil, ""), ok200,
		}, nil, 200, 3, []time.Duration{ms, 2 * ms}},
		{"409 classic XML 1965", "GET", "/pcrs/1.0/posture/policy/list", []http.HandlerFunc{
			respond(409, map[string]string{"Content-Type": "text/xml", "X-RateLimit-ToWait-Sec": "5"}, classicXML1965), ok200,
		}, nil, 200, 2, []time.Duration{5 * time.Second}},
		{"409 JSON 1960", "GET", "/sm/v1/script-types", []http.HandlerFunc{
			respond(409, map[string]string{"Content-Type": "application/json"}, `{"errorCode":"1960","message":"concurrency"}`), ok200,
		}, nil, 200, 2, []time.Duration{ms}},
		{"409 PCRS array 1965", "GET", "/pcrs/1.0/posture/hostids", []http.HandlerFunc{
			respond(409, nil, `[{"response":{"datetime":"x","code":1965,"text":"rate"}}]`), ok200,
		}, nil, 200, 2, []time.Duration{ms}},
		{"409 conflict is not a throttle", "POST", "/sm/v1/scheduler", []http.HandlerFunc{conflict, ok200}, nil, 409, 1, nil},
		{"429 on execute is re-sent", "POST", "/sm/v1/scripts/3/execute", []http.HandlerFunc{
			respond(429, map[string]string{"X-RateLimit-ToWait-Sec": "2"}, ""), ok200,
		}, nil, 200, 2, []time.Duration{2 * time.Second}},
		{"throttle retries run out", "GET", "/sm/v1/script-types", []http.HandlerFunc{
			respond(429, map[string]string{"X-RateLimit-ToWait-Sec": "1"}, "still throttled"),
		}, []Option{WithMaxRetries(2)}, 429, 3, []time.Duration{time.Second, time.Second}},
		{"MaxRetries 0 returns the 429", "GET", "/sm/v1/script-types", []http.HandlerFunc{
			respond(429, map[string]string{"X-RateLimit-ToWait-Sec": "9999"}, ""),
		}, []Option{WithMaxRetries(0)}, 429, 1, nil},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			h := newHarness(t, tc.steps, tc.opts...)
			body := ""
			if tc.method == "POST" {
				body = `{"title":"nightly"}`
			}
			resp, got, err := h.do(t, tc.method, tc.path, body)
			if err != nil {
				t.Fatal(err)
			}
			if resp.StatusCode != tc.wantStatus {
				t.Errorf("status %d, want %d", resp.StatusCode, tc.wantStatus)
			}
			if tc.wantStatus == 409 && !strings.Contains(got, "already exists") {
				t.Errorf("conflict body not passed on intact: %q", got)
			}
			if tc.wantStatus == 429 && tc.name == "throttle retries run out" && got != "still throttled" {
				t.Errorf("final body: %q", got)
			}
			if n := len(h.api.Calls()); n != tc.wantCalls {
				t.Errorf("%d calls, want %d", n, tc.wantCalls)
			}
			if diff := cmp.Diff(tc.wantSleeps, h.clk.Sleeps()); diff != "" {
				t.Errorf("sleeps (-want +got):\n%s", diff)
			}
		})
	}
}

func TestTransportThrottleAboveCap(t *testing.T) {
	cases := []struct {
		name    string
		header  map[string]string
		body    string
		opts    []Option
		wait    string
		maxWait string
	}{
		{"ToWait above default cap", map[string]string{"X-RateLimit-ToWait-Sec": "600"}, "", nil, "10m0s", "5m0s"},
		{"huge Retry-After", map[string]string{"Retry-After": "999999999999"}, "", nil, "", "5m0s"},
		{"custom cap", map[string]string{"X-RateLimit-ToWait-Sec": "31"}, "", []Option{WithMaxThrottleWait(30 * time.Second)}, "31s", "30s"},
		{"cap 0 fails at once", map[string]string{"X-RateLimit-ToWait-Sec": "1"}, "", []Option{WithMaxThrottleWait(0)}, "1s", "0s"},
		{"classic 409", map[string]string{"Content-Type": "text/xml", "X-RateLimit-ToWait-Sec": "86274"}, classicXML1965, nil, "23h57m54s", "5m0s"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			status := 429
			if tc.body != "" {
				status = 409
			}
			h := newHarness(t, []http.HandlerFunc{respond(status, tc.header, tc.body), ok200}, tc.opts...)
			resp, _, err := h.do(t, "GET", "/pcrs/1.0/posture/hostids", "")
			if resp != nil {
				t.Fatalf("got a response: %d", resp.StatusCode)
			}
			if !errors.Is(err, ErrRateLimited) {
				t.Fatalf("err = %v, want ErrRateLimited", err)
			}
			var rle *RateLimitError
			if !errors.As(err, &rle) || rle.APIError == nil || rle.APIError.StatusCode != status {
				t.Fatalf("err = %#v", err)
			}
			if !strings.Contains(err.Error(), "wait "+tc.wait) || !strings.Contains(err.Error(), tc.maxWait+" allowed") {
				t.Errorf("error does not state the wait: %v", err)
			}
			if len(h.api.Calls()) != 1 || len(h.clk.Sleeps()) != 0 {
				t.Errorf("%d calls, sleeps %v: want 1 call and no sleep", len(h.api.Calls()), h.clk.Sleeps())
			}
		})
	}
}

func TestTransportConnectionErrors(t *testing.T) {
	t.Run("lost response on GET is retried", func(t *testing.T) {
		h := newHarness(t, []http.HandlerFunc{hangUp, ok200})
		resp, _, err := h.do(t, "GET", "/sm/v1/script-library/1", "")
		if err != nil || resp.StatusCode != 200 {
			t.Fatalf("%v %v", resp, err)
		}
		// The re-send is the transport's (after its backoff), not one the
		// standard library made on its own.
		if diff := cmp.Diff([]time.Duration{time.Millisecond}, h.clk.Sleeps()); diff != "" {
			t.Fatalf("sleeps (-want +got):\n%s", diff)
		}
	})
	t.Run("lost response on search is retried", func(t *testing.T) {
		h := newHarness(t, []http.HandlerFunc{hangUp, ok200})
		resp, _, err := h.do(t, "POST", "/sm/v1/assetjobs/search", `{"pageSize":10}`)
		if err != nil || resp.StatusCode != 200 {
			t.Fatalf("%v %v", resp, err)
		}
		if calls := h.api.Calls(); len(calls) != 2 || calls[1].Body != `{"pageSize":10}` {
			t.Fatalf("calls %+v", calls)
		}
		if n := len(h.clk.Sleeps()); n != 1 {
			t.Fatalf("%d backoff sleeps, want 1", n)
		}
	})
	t.Run("lost response on execute is not retried", func(t *testing.T) {
		h := newHarness(t, []http.HandlerFunc{hangUp, ok200})
		_, _, err := h.do(t, "POST", "/sm/v1/scripts/5/execute", `{"assetIds":"1"}`)
		if err == nil {
			t.Fatal("no error")
		}
		if n := len(h.api.Calls()); n != 1 {
			t.Fatalf("execute sent %d times", n)
		}
		if len(h.clk.Sleeps()) != 0 {
			t.Fatalf("slept: %v", h.clk.Sleeps())
		}
	})
	t.Run("refused connection: nothing sent, so even a create is retried", func(t *testing.T) {
		h := newHarness(t, []http.HandlerFunc{ok200}, WithMaxRetries(2))
		closed := closedLoopbackURL(t)
		req, _ := http.NewRequest("POST", closed+"/sm/v5/script", strings.NewReader(`{}`))
		_, err := h.hc.Do(req)
		if err == nil || !notSent(err) {
			t.Fatalf("err = %v", err)
		}
		if diff := cmp.Diff([]time.Duration{time.Millisecond, 2 * time.Millisecond}, h.clk.Sleeps()); diff != "" {
			t.Fatalf("sleeps (-want +got):\n%s", diff)
		}
	})
}

// closedLoopbackURL returns an https URL on loopback where nothing listens.
func closedLoopbackURL(t *testing.T) string {
	t.Helper()
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	addr := l.Addr().String()
	l.Close()
	return "https://" + addr
}

func TestTransportTokenErrors(t *testing.T) {
	t.Run("gateway failure before sending is retried", func(t *testing.T) {
		h := newHarness(t, []http.HandlerFunc{ok200})
		h.gw.setAuth(func(w http.ResponseWriter, _ *http.Request, n int) {
			if n == 1 {
				w.WriteHeader(http.StatusServiceUnavailable)
				return
			}
			w.WriteHeader(http.StatusCreated)
			fmt.Fprintf(w, "token-%d", n)
		})
		resp, _, err := h.do(t, "POST", "/sm/v1/scripts/5/execute", `{"assetIds":"1"}`)
		if err != nil || resp.StatusCode != 200 {
			t.Fatalf("%v %v", resp, err)
		}
		want := []apiCall{{"POST", "/sm/v1/scripts/5/execute", "Bearer token-2", `{"assetIds":"1"}`}}
		if diff := cmp.Diff(want, h.api.Calls()); diff != "" {
			t.Fatalf("calls (-want +got):\n%s", diff)
		}
	})
	t.Run("bad credentials fail at once", func(t *testing.T) {
		h := newHarness(t, []http.HandlerFunc{ok200})
		h.gw.setAuth(func(w http.ResponseWriter, _ *http.Request, _ int) {
			w.WriteHeader(http.StatusUnauthorized)
			fmt.Fprint(w, `{"authentication_exceptions":[["Bad credentials"]]}`)
		})
		_, _, err := h.do(t, "GET", "/sm/v1/script-types", "")
		if !errors.Is(err, ErrUnauthorized) {
			t.Fatalf("err = %v", err)
		}
		if h.gw.count("/auth") != 1 || len(h.api.Calls()) != 0 || len(h.clk.Sleeps()) != 0 {
			t.Fatalf("%d /auth calls, %d API calls, sleeps %v", h.gw.count("/auth"), len(h.api.Calls()), h.clk.Sleeps())
		}
	})
}

func TestTransportHTTPSOnly(t *testing.T) {
	plain := newTestServer(t, func(w http.ResponseWriter, r *http.Request) {
		fmt.Fprint(w, r.Header.Get("Authorization"))
	}, withPlainHTTP(), withAuth(func(w http.ResponseWriter, _ *http.Request, _ int) {
		w.WriteHeader(http.StatusCreated)
		fmt.Fprint(w, "plain-token")
	}))
	base := []Option{WithCredentials(testUser, testPass), withEnv(nil)}

	// Without the opt-in, an http gateway is refused up front.
	if _, err := newAuthTransport(append(base, WithGatewayURL(plain.URL))...); !errors.Is(err, ErrInsecureTransport) {
		t.Fatalf("http gateway accepted: %v", err)
	}
	// A transport for an https gateway refuses http requests.
	tr, err := newAuthTransport(append(base, WithPlatform("US2"))...)
	if err != nil {
		t.Fatal(err)
	}
	for _, u := range []string{plain.URL + "/sm/v1/script-types", "http://gateway.qg2.apps.qualys.com/sm/v1/script-types"} {
		req, _ := http.NewRequest("POST", u, strings.NewReader("{}"))
		if _, err := tr.RoundTrip(req); !errors.Is(err, ErrInsecureTransport) {
			t.Errorf("%s: err = %v", u, err)
		}
	}

	// With the opt-in, loopback http works and other http hosts still fail.
	tr, err = newAuthTransport(append(base, WithGatewayURL(plain.URL), WithPlainHTTPLoopback())...)
	if err != nil {
		t.Fatal(err)
	}
	resp, err := tr.Client().Get(plain.URL + "/sm/v1/script-types")
	if err != nil {
		t.Fatal(err)
	}
	got, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	if string(got) != "Bearer plain-token" {
		t.Fatalf("loopback http: %q", got)
	}
	for _, u := range []string{"http://example.invalid/sm/v1/script-types", "http://10.0.0.1/x", "ftp://127.0.0.1/x"} {
		req, _ := http.NewRequest("GET", u, nil)
		if _, err := tr.RoundTrip(req); !errors.Is(err, ErrInsecureTransport) {
			t.Errorf("%s: err = %v", u, err)
		}
	}
	if _, err := newAuthTransport(append(base, WithGatewayURL("http://gateway.example.com"), WithPlainHTTPLoopback())...); !errors.Is(err, ErrInsecureTransport) {
		t.Errorf("non-loopback http gateway accepted with the opt-in: %v", err)
	}
}

func TestTransportAttemptTimeout(t *testing.T) {
	stall := func(w http.ResponseWriter, r *http.Request) { <-r.Context().Done() }

	t.Run("stalled GET is retried", func(t *testing.T) {
		// The timeout also bounds the retry's TLS handshake and answer
		// (and /auth), so it must outlast them on a machine whose every
		// core is busy (make stress), or the retry times out too.
		h := newHarness(t, []http.HandlerFunc{stall, ok200}, WithAttemptTimeout(5*time.Second))
		resp, _, err := h.do(t, "GET", "/sm/v1/script-types", "")
		if err != nil || resp.StatusCode != 200 {
			t.Fatalf("%v %v", resp, err)
		}
		if n := len(h.api.Calls()); n != 2 || len(h.clk.Sleeps()) != 1 {
			t.Fatalf("%d calls, sleeps %v", n, h.clk.Sleeps())
		}
	})
	t.Run("stalled execute is not retried", func(t *testing.T) {
		h := newHarness(t, []http.HandlerFunc{stall, ok200}, WithAttemptTimeout(50*time.Millisecond))
		_, _, err := h.do(t, "POST", "/sm/v1/scripts/1/execute", "{}")
		if !errors.Is(err, context.DeadlineExceeded) || !strings.Contains(err.Error(), "attempt timeout") {
			t.Fatalf("err = %v", err)
		}
		if n := len(h.api.Calls()); n != 1 {
			t.Fatalf("%d calls", n)
		}
	})
	t.Run("slow body is not cut", func(t *testing.T) {
		slow := func(w http.ResponseWriter, r *http.Request) {
			io.WriteString(w, "[")
			w.(http.Flusher).Flush()
			time.Sleep(3 * time.Second)
			io.WriteString(w, "1]")
		}
		// The headers must arrive within the timeout even on a busy
		// machine; the body then takes longer than it.
		h := newHarness(t, []http.HandlerFunc{slow}, WithAttemptTimeout(time.Second))
		resp, got, err := h.do(t, "POST", "/pcrs/5.0/posture/postureInfo", "[]")
		if err != nil || resp.StatusCode != 200 || got != "[1]" {
			t.Fatalf("%v %q %v", resp, got, err)
		}
	})
}

func TestTransportContextCancelledDuringWait(t *testing.T) {
	h := newHarness(t, []http.HandlerFunc{respond(503, nil, "")}, withRealSleep(), WithBackoff(time.Hour, time.Hour))
	ctx, cancel := context.WithCancel(context.Background())
	time.AfterFunc(20*time.Millisecond, cancel)
	start := time.Now()
	_, _, err := h.doCtx(ctx, t, "GET", "/sm/v1/script-types", "")
	if !errors.Is(err, context.Canceled) {
		t.Fatalf("err = %v", err)
	}
	if time.Since(start) > 5*time.Second {
		t.Fatal("the wait ignored cancellation")
	}
}

func TestTransportPCRSBudget(t *testing.T) {
	t.Run("per API", func(t *testing.T) {
		h := newHarness(t, []http.HandlerFunc{ok200}, WithPCRSRateLimit(2, time.Minute))
		for _, p := range []string{
			"/pcrs/1.0/posture/hostids", "/pcrs/3.0/posture/hostids", // two versions, one budget
			"/pcrs/1.0/posture/policy/list", "/pcrs/2.0/posture/policy/list",
			"/sm/v1/script-types", "/sm/v1/script-types", "/sm/v1/script-types", // CAR is not limited
		} {
			if _, _, err := h.do(t, "GET", p, ""); err != nil {
				t.Fatal(err)
			}
		}
		if len(h.clk.Sleeps()) != 0 {
			t.Fatalf("waited within budget: %v", h.clk.Sleeps())
		}
		if _, _, err := h.do(t, "GET", "/pcrs/5.0/posture/hostids", ""); err != nil {
			t.Fatal(err)
		}
		// The limiter paces over the window plus its 1% guard.
		if diff := cmp.Diff([]time.Duration{time.Minute + 600*time.Millisecond}, h.clk.Sleeps()); diff != "" {
			t.Fatalf("sleeps (-want +got):\n%s", diff)
		}
	})
	t.Run("default 25 per 60 s", func(t *testing.T) {
		h := newHarness(t, []http.HandlerFunc{ok200})
		for range 26 {
			if _, _, err := h.do(t, "POST", "/pcrs/5.0/posture/postureInfo", "[]"); err != nil {
				t.Fatal(err)
			}
		}
		// The limiter paces over the window plus its 1% guard.
		if diff := cmp.Diff([]time.Duration{time.Minute + 600*time.Millisecond}, h.clk.Sleeps()); diff != "" {
			t.Fatalf("sleeps (-want +got):\n%s", diff)
		}
	})
	t.Run("disabled", func(t *testing.T) {
		h := newHarness(t, []http.HandlerFunc{ok200}, WithPCRSRateLimit(0, 0))
		for range 30 {
			if _, _, err := h.do(t, "GET", "/pcrs/1.0/posture/hostids", ""); err != nil {
				t.Fatal(err)
			}
		}
		if len(h.clk.Sleeps()) != 0 {
			t.Fatalf("sleeps %v", h.clk.Sleeps())
		}
	})
}

func TestTransportLeavesRequestUnchanged(t *testing.T) {
	h := newHarness(t, []http.HandlerFunc{respond(503, nil, ""), ok200})
	req, _ := http.NewRequest("GET", h.gw.URL+"/sm/v1/script-types", nil)
	resp, err := h.tr.RoundTrip(req)
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if len(req.Header) != 0 {
		t.Fatalf("request headers changed: %v", req.Header)
	}
}

func TestRetryable(t *testing.T) {
	for _, tc := range []struct {
		method, path string
		want         bool
	}{
		{"GET", "/sm/v1/script-library/1", true},
		{"get", "/pcrs/1.0/posture/hostids", true},
		{"HEAD", "/sm/v1/script-types", true},
		{"POST", "/sm/v1/scripts/search", true},
		{"POST", "/sm/v1/script-library/search", true},
		{"POST", "/sm/v1/scheduler/search/", true},
		{"POST", "/pcrs/1.0/posture/postureInfo", true},
		{"POST", "/pcrs/5.0/posture/postureInfo", true},
		{"POST", "/sm/v1/scripts/5/execute", false},
		{"POST", "/sm/v5/script", false},
		{"PATCH", "/sm/v4/script/5", false},
		{"POST", "/sm/v2/script-library/import", false},
		{"POST", "/sm/v1/scheduler/abc", false},
		{"POST", "/sm/v1/block-assets/delete", false},
		{"DELETE", "/sm/v1/scheduler/abc", false},
		{"PUT", "/sm/v1/scheduler/abc", false},
		{"POST", "/sm/v1/block-commands/searchable", false},
		{"POST", "/sm/v1/postureInfo", false},
		{"POST", "/auth", false},
	} {
		if got := retryableRequest(tc.method, tc.path); got != tc.want {
			t.Errorf("retryableRequest(%s, %s) = %v, want %v", tc.method, tc.path, got, tc.want)
		}
	}
}

func TestRetryAfter(t *testing.T) {
	now := time.Date(2026, 1, 2, 3, 4, 5, 0, time.UTC)
	for v, want := range map[string]time.Duration{
		"":     -1,
		"0":    -1,
		"-5":   -1,
		"soon": -1,
		"12":   12 * time.Second,
		now.Add(time.Minute).Format(http.TimeFormat):  time.Minute,
		now.Add(-time.Minute).Format(http.TimeFormat): -1,
	} {
		d, ok := retryAfter(v, now)
		if (want < 0 && ok) || (want >= 0 && (!ok || d != want)) {
			t.Errorf("retryAfter(%q) = %s, %v; want %s", v, d, ok, want)
		}
	}
}

// TestNoSecretsInLogsOrErrors drives success, retry, throttle, 401,
// failure and error paths with a debug logger and checks that neither the
// password nor any token appears in the logs or in the returned errors.
func TestNoSecretsInLogsOrErrors(t *testing.T) {
	var logs syncbuf.Buffer
	logger := slog.New(slog.NewJSONHandler(&logs, &slog.HandlerOptions{Level: slog.LevelDebug}))

	expired := respond(401, nil, `{"status":401,"error":"Unauthorized","message":"JWT expired"}`)
	h := newHarness(t, []http.HandlerFunc{
		ok200,                        // 1 success
		respond(503, nil, ""), ok200, // 2 retry
		expired, ok200, // 3 401 refresh
		respond(429, map[string]string{"X-RateLimit-ToWait-Sec": "1"}, ""), ok200, // 4 throttle
		respond(429, map[string]string{"X-RateLimit-ToWait-Sec": "9999"}, ""), // 5 over the cap
		hangUp, // 6 lost response
		ok200,
	}, WithLogger(logger))

	var errs []error
	record := func(resp *http.Response, _ string, err error) {
		if err != nil {
			errs = append(errs, err)
		}
	}
	record(h.do(t, "GET", "/sm/v1/script-types", ""))
	record(h.do(t, "GET", "/sm/v1/script-types", ""))
	record(h.do(t, "POST", "/sm/v1/scripts/search", `{"filter":"a"}`))
	record(h.do(t, "GET", "/sm/v1/script-types", ""))
	record(h.do(t, "GET", "/sm/v1/script-types", ""))
	record(h.do(t, "POST", "/sm/v1/scripts/1/execute", `{}`))
	if len(errs) != 2 {
		t.Fatalf("want 2 errors (throttle cap, lost response), got %v", errs)
	}

	// Auth failure whose body echoes the password.
	h.gw.setAuth(func(w http.ResponseWriter, _ *http.Request, _ int) {
		w.WriteHeader(http.StatusUnauthorized)
		fmt.Fprintf(w, `{"authentication_exceptions":[["bad password %s for Bearer xyz"]]}`, testPass)
	})
	h.tr.tokenSource().Invalidate(h.gw.tokens()[len(h.gw.tokens())-1])
	_, _, err := h.do(t, "GET", "/sm/v1/script-types", "")
	if !errors.Is(err, ErrUnauthorized) {
		t.Fatalf("err = %v", err)
	}
	errs = append(errs, err)

	out := logs.String()
	secrets := append([]string{testPass}, h.gw.tokens()...)
	if len(secrets) < 3 {
		t.Fatalf("expected several tokens to check, got %d", len(secrets)-1)
	}
	for _, s := range secrets {
		if strings.Contains(out, s) {
			t.Errorf("logs contain a secret %.12q…", s)
		}
		for _, e := range errs {
			for _, text := range []string{fmt.Sprint(e), fmt.Sprintf("%+v", e), fmt.Sprintf("%#v", e)} {
				if strings.Contains(text, s) {
					t.Errorf("error contains a secret: %s", text)
				}
			}
		}
	}
	for _, want := range []string{
		`"msg":"qualys request"`, `"method":"GET"`, `"path":"/sm/v1/script-types"`, `"status":200`, `"attempt":2`,
		`"msg":"qualys retry"`, `"msg":"qualys throttled"`, `"wait_source":"X-RateLimit-ToWait-Sec"`,
		`"msg":"qualys throttled beyond the wait limit"`, `"msg":"qualys request failed"`, `"msg":"qualys auth"`,
		`"path":"/auth"`, `"duration"`,
	} {
		if !strings.Contains(out, want) {
			t.Errorf("logs lack %s", want)
		}
	}
	if strings.Contains(out, "password") || strings.Contains(strings.ToLower(out), "bearer") {
		t.Errorf("logs mention credentials:\n%s", out)
	}
}

func mustURL(t *testing.T, raw string) *url.URL {
	t.Helper()
	u, err := url.Parse(raw)
	if err != nil {
		t.Fatal(err)
	}
	return u
}
