package qualys

import (
	"net/http"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
)

// retryLog collects what the retry hook is told; the transport may call
// it from several goroutines.
type retryLog struct {
	mu   sync.Mutex
	seen []Retry
}

func (l *retryLog) add(r Retry) {
	l.mu.Lock()
	defer l.mu.Unlock()
	l.seen = append(l.seen, r)
}

func (l *retryLog) all() []Retry {
	l.mu.Lock()
	defer l.mu.Unlock()
	return append([]Retry(nil), l.seen...)
}

// Each re-send is told to the hook before its wait: the operation, the
// attempt that failed, why, how long, and whether the rate limit asked.
func TestRetryHook(t *testing.T) {
	expired := respond(401, map[string]string{"Content-Type": "application/json"}, `{"status":401,"error":"Unauthorized","message":"JWT expired"}`)
	busy := respond(503, map[string]string{"Content-Type": "text/html"}, "<html>busy</html>")
	throttled := respond(429, map[string]string{"X-RateLimit-ToWait-Sec": "7"}, "")
	ms := time.Millisecond
	cases := []struct {
		name, method, path string
		steps              []http.HandlerFunc
		want               []Retry
	}{
		{"401, 503, 429, then 200", "GET", "/sm/v1/script-types", []http.HandlerFunc{expired, busy, throttled, ok200}, []Retry{
			{Operation: "GET /sm/v1/script-types", Attempt: 1, Reason: "HTTP 401: fetching a new token"},
			{Operation: "GET /sm/v1/script-types", Attempt: 2, Reason: "HTTP 503", Wait: ms},
			{Operation: "GET /sm/v1/script-types", Attempt: 3, Reason: "HTTP 429", Wait: 7 * time.Second, Throttled: true},
		}},
		{"lost response on a search", "POST", "/sm/v1/jobs/search", []http.HandlerFunc{hangUp, ok200}, []Retry{
			{Operation: "POST /sm/v1/jobs/search", Attempt: 1, Reason: "connection error", Wait: ms},
		}},
		{"throttled execute is re-sent", "POST", "/sm/v1/scripts/3/execute", []http.HandlerFunc{throttled, ok200}, []Retry{
			{Operation: "POST /sm/v1/scripts/3/execute", Attempt: 1, Reason: "HTTP 429", Wait: 7 * time.Second, Throttled: true},
		}},
		// Nothing re-sent, nothing told.
		{"503 on execute is not re-sent", "POST", "/sm/v1/scripts/3/execute", []http.HandlerFunc{busy, ok200}, nil},
		{"throttle above the wait limit fails at once", "GET", "/sm/v1/script-types",
			[]http.HandlerFunc{respond(429, map[string]string{"X-RateLimit-ToWait-Sec": "86400"}, ""), ok200}, nil},
		{"success", "GET", "/sm/v1/script-types", []http.HandlerFunc{ok200}, nil},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			var log retryLog
			h := newHarness(t, tc.steps, WithRetryHook(log.add))
			body := ""
			if tc.method == "POST" {
				body = `{"pageSize":10}`
			}
			h.do(t, tc.method, tc.path, body) // the outcome is TestTransportRetries' and TestTransportThrottling's
			got := log.all()
			if diff := cmp.Diff(tc.want, got); diff != "" {
				t.Errorf("retries told (-want +got):\n%s", diff)
			}
			// What the hook is told is what the transport does.
			var waits []time.Duration
			for _, r := range got {
				if r.Wait > 0 {
					waits = append(waits, r.Wait)
				}
			}
			if diff := cmp.Diff(waits, h.clk.Sleeps()); diff != "" {
				t.Errorf("waits told vs slept (-told +slept):\n%s", diff)
			}
		})
	}
}

// The hook is told nothing a server sent or a credential: only fixed
// reasons, the method and the path.
func TestRetryHookCarriesNoServerText(t *testing.T) {
	var log retryLog
	echo := respond(503, map[string]string{"Content-Type": "application/json"}, `{"message":"`+testPass+` Bearer abc"}`)
	h := newHarness(t, []http.HandlerFunc{echo, ok200}, WithRetryHook(log.add))
	if _, _, err := h.do(t, "GET", "/sm/v1/script-types?password="+testPass, ""); err != nil {
		t.Fatal(err)
	}
	got := log.all()
	if len(got) != 1 {
		t.Fatalf("retries %+v", got)
	}
	if text := got[0].Operation + got[0].Reason; strings.Contains(text, testPass) || strings.Contains(text, "Bearer") {
		t.Errorf("the hook was told %q", text)
	}
}
