package qualys

import (
	"context"
	"errors"
	"net/http"
	"sync"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
)

func ptr(n int) *int { return &n }

func TestParseRateLimit(t *testing.T) {
	cases := []struct {
		name string
		h    map[string]string
		want RateLimit
	}{
		{"none", nil, RateLimit{}},
		{"gateway", map[string]string{
			"X-RateLimit-Limit": "300", "X-RateLimit-Window-Sec": "3600", "X-RateLimit-Remaining": "0",
			"X-RateLimit-ToWait-Sec": "42", "X-ConcurrencyLimit-Limit": "2",
		}, RateLimit{Limit: ptr(300), WindowSec: ptr(3600), Remaining: ptr(0), ToWaitSec: ptr(42), ConcurrencyLimit: ptr(2)}},
		{"classic concurrency", map[string]string{
			"X-Concurrency-Limit-Limit": "5", "X-Concurrency-Limit-Running": "5",
		}, RateLimit{ConcurrencyLimit: ptr(5), ConcurrencyRunning: ptr(5)}},
		{"gateway spelling wins", map[string]string{
			"X-ConcurrencyLimit-Limit": "2", "X-Concurrency-Limit-Limit": "9",
		}, RateLimit{ConcurrencyLimit: ptr(2)}},
		{"garbage and negatives are absent", map[string]string{
			"X-RateLimit-Limit": "lots", "X-RateLimit-Remaining": "-1", "X-RateLimit-ToWait-Sec": "",
		}, RateLimit{}},
		{"fraction rounds up", map[string]string{"X-RateLimit-ToWait-Sec": " 0.2 "}, RateLimit{ToWaitSec: ptr(1)}},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			h := http.Header{}
			for k, v := range tc.h {
				h.Set(k, v)
			}
			got := parseRateLimit(h)
			if diff := cmp.Diff(tc.want, got); diff != "" {
				t.Fatalf("mismatch (-want +got):\n%s", diff)
			}
			if got.empty() != (len(tc.h) == 0 || tc.name == "garbage and negatives are absent") {
				t.Errorf("empty = %v", got.empty())
			}
		})
	}
	if d, ok := (RateLimit{ToWaitSec: ptr(42)}).ToWait(); !ok || d != 42*time.Second {
		t.Errorf("ToWait = %v, %v", d, ok)
	}
	if _, ok := (RateLimit{ToWaitSec: ptr(0)}).ToWait(); ok {
		t.Error("ToWait reported a zero wait")
	}
}

func newTestLimiter(n int, window time.Duration, c *fakeClock) *windowLimiter {
	l := newLimiter(n, window)
	l.now, l.sleep = c.Now, c.Sleep
	return l
}

func TestLimiterSlidingWindow(t *testing.T) {
	c := newFakeClock()
	l := newTestLimiter(3, time.Minute, c)
	ctx := context.Background()
	start := c.Now()
	var at []time.Duration
	for range 7 {
		if err := l.Wait(ctx); err != nil {
			t.Fatal(err)
		}
		at = append(at, c.Now().Sub(start))
		c.Advance(time.Second) // one second of work between calls
	}
	// Three fit at once; each later call waits for the oldest of the last
	// three to leave the window, which the limiter makes 1% longer than
	// the server's.
	w := time.Minute + 600*time.Millisecond
	want := []time.Duration{0, time.Second, 2 * time.Second, w, w + time.Second, w + 2*time.Second, 2 * w}
	if diff := cmp.Diff(want, at); diff != "" {
		t.Fatalf("grant times (-want +got):\n%s", diff)
	}
}

func TestLimiterConcurrent(t *testing.T) {
	c := newFakeClock()
	l := newTestLimiter(5, time.Minute, c)
	start := c.Now()
	var mu sync.Mutex
	var grants []time.Time
	var wg sync.WaitGroup
	for range 20 {
		wg.Go(func() {
			if err := l.Wait(context.Background()); err != nil {
				t.Error(err)
				return
			}
			mu.Lock()
			grants = append(grants, c.Now())
			mu.Unlock()
		})
	}
	wg.Wait()
	if len(grants) != 20 {
		t.Fatalf("%d grants", len(grants))
	}
	// 20 events at 5 per window need at least three further windows.
	l.mu.Lock()
	defer l.mu.Unlock()
	if n := l.inWindow(c.Now()); n > 5 {
		t.Fatalf("limiter holds %d events in its window", n)
	}
	if c.Now().Sub(start) < 3*time.Minute {
		t.Fatalf("20 events at 5 per minute finished after %s", c.Now().Sub(start))
	}
}

func TestLimiterContext(t *testing.T) {
	l := newLimiter(1, time.Hour) // real clock and timer
	ctx, cancel := context.WithCancel(context.Background())
	if err := l.Wait(ctx); err != nil {
		t.Fatal(err)
	}
	done := make(chan error, 1)
	go func() { done <- l.Wait(ctx) }()
	cancel()
	select {
	case err := <-done:
		if !errors.Is(err, context.Canceled) {
			t.Fatalf("err = %v", err)
		}
	case <-time.After(5 * time.Second):
		t.Fatal("Wait ignored cancellation")
	}
	// The cancelled wait did not take a slot.
	if len(l.sent) != 1 {
		t.Fatalf("%d events recorded", len(l.sent))
	}
}

func TestNilLimiter(t *testing.T) {
	if l := newLimiter(0, time.Minute); l != nil {
		t.Fatal("newLimiter(0) is not nil")
	}
	var l *windowLimiter
	if err := l.Wait(context.Background()); err != nil {
		t.Fatal(err)
	}
	var s *limiterSet
	if s.get("hostids") != nil {
		t.Fatal("nil set returned a limiter")
	}
}

func TestPCRSAPI(t *testing.T) {
	for path, want := range map[string]string{
		"/pcrs/1.0/posture/policy/list":        "policy/list",
		"/pcrs/2.0/posture/policy/list":        "policy/list",
		"/pcrs/1.0/posture/hostids":            "hostids",
		"/pcrs/5.0/posture/hostids/":           "hostids",
		"/pcrs/3.0/posture/postureInfo":        "postureInfo",
		"/prefix/pcrs/5.0/posture/postureInfo": "postureInfo",
		"/sm/v1/scripts/search":                "",
		"/pcrs":                                "",
		"/auth":                                "",
	} {
		if got := pcrsAPI(path); got != want {
			t.Errorf("pcrsAPI(%q) = %q, want %q", path, got, want)
		}
	}
}

func TestLimiterSetKeysSeparately(t *testing.T) {
	c := newFakeClock()
	s := newLimiterSet(1, time.Minute, c.Now, c.Sleep)
	ctx := context.Background()
	for _, key := range []string{"policy/list", "hostids", "postureInfo"} {
		if err := s.get(key).Wait(ctx); err != nil {
			t.Fatal(err)
		}
	}
	if len(c.Sleeps()) != 0 {
		t.Fatalf("separate APIs waited on each other: %v", c.Sleeps())
	}
	if first, again := s.get("hostids"), s.get("hostids"); first != again {
		t.Fatal("limiter not reused")
	}
	if err := s.get("hostids").Wait(ctx); err != nil {
		t.Fatal(err)
	}
	if diff := cmp.Diff([]time.Duration{time.Minute + 600*time.Millisecond}, c.Sleeps()); diff != "" {
		t.Fatalf("sleeps (-want +got):\n%s", diff)
	}
}

// TestLimiterObservesServerCount: a server that has counted calls the
// limiter did not make (another client on the same subscription) holds
// the next calls back; a late answer from the previous window does not.
func TestLimiterObservesServerCount(t *testing.T) {
	ctx := context.Background()
	c := newFakeClock()
	l := newTestLimiter(5, time.Minute, c)
	for range 2 {
		if err := l.Wait(ctx); err != nil {
			t.Fatal(err)
		}
	}
	sent := c.Now()
	c.Advance(time.Second)
	l.observe(sent, 1) // the server counted 4 calls; the limiter made 2
	if n := l.inWindow(c.Now()); n != 4 {
		t.Fatalf("%d calls in the window after observing, want 4", n)
	}
	before := c.Now()
	for range 2 {
		if err := l.Wait(ctx); err != nil {
			t.Fatal(err)
		}
	}
	if c.Now().Sub(before) < 58*time.Second {
		t.Fatalf("the second call after observing waited %s, want most of a window", c.Now().Sub(before))
	}

	// A slow response to the last call of a full window says 0 left: the
	// limiter's own count up to the send time already explains it, so
	// nothing is added, and the window frees up when it would have.
	c2 := newFakeClock()
	l2 := newTestLimiter(3, time.Minute, c2)
	for range 3 {
		if err := l2.Wait(ctx); err != nil {
			t.Fatal(err)
		}
	}
	lastSent := c2.Now()
	c2.Advance(30 * time.Second)
	l2.observe(lastSent, 0)
	if len(l2.sent) != 3 {
		t.Fatalf("an answer the limiter's own calls explain added %d calls", len(l2.sent)-3)
	}
	c2.Advance(32 * time.Second)
	if n := l2.inWindow(c2.Now()); n != 0 {
		t.Fatalf("%d calls still in the window after it passed", n)
	}
	l2.observe(lastSent.Add(-time.Hour), 0) // older than a window: ignored
	if n := l2.inWindow(c2.Now()); n != 0 {
		t.Fatalf("an answer older than a window added %d calls", n)
	}
	// The server's budget is larger than the limiter's: nothing to add.
	l2.observe(c2.Now(), 10)
	if n := l2.inWindow(c2.Now()); n != 0 {
		t.Fatalf("a larger server budget added %d calls", n)
	}
}

func TestAdmissionIsUsedOnce(t *testing.T) {
	l := newLimiter(1, time.Minute)
	other := newLimiter(1, time.Minute)
	ctx := withAdmission(context.Background(), &admission{limiter: l})
	if _, ok := admitted(ctx, other); ok {
		t.Fatal("an admission for one limiter was used for another")
	}
	if _, ok := admitted(ctx, l); !ok {
		t.Fatal("the admission was not used")
	}
	if _, ok := admitted(ctx, l); ok {
		t.Fatal("the admission was used twice")
	}
	if _, ok := admitted(context.Background(), l); ok {
		t.Fatal("admitted without an admission")
	}
}

// TestLimiterRestamp: an event moved to the time its request was written
// holds the window from then on.
func TestLimiterRestamp(t *testing.T) {
	c := newFakeClock()
	l := newTestLimiter(1, time.Minute, c)
	at, err := l.take(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	c.Advance(10 * time.Second) // a token refresh, a TLS handshake
	l.restamp(at)
	c.Advance(51 * time.Second) // 61 s after take, 51 s after the write
	if n := l.inWindow(c.Now()); n != 1 {
		t.Fatalf("%d events in the window, want the restamped one", n)
	}
	l.restamp(at) // already moved: nothing to do
	if len(l.sent) != 1 {
		t.Fatalf("%d events after a second restamp", len(l.sent))
	}
}

// TestLimiterWidensAfterThrottle: each throttle the server answers
// doubles the guard over the window, up to 8%.
func TestLimiterWidensAfterThrottle(t *testing.T) {
	ctx := context.Background()
	for _, c := range []struct {
		throttles int
		guard     time.Duration
	}{
		{0, 600 * time.Millisecond},
		{1, 1200 * time.Millisecond},
		{3, 4800 * time.Millisecond},
		{10, 4800 * time.Millisecond},
	} {
		clk := newFakeClock()
		l := newTestLimiter(1, time.Minute, clk)
		for range c.throttles {
			l.throttled()
		}
		for range 2 {
			if err := l.Wait(ctx); err != nil {
				t.Fatal(err)
			}
		}
		if diff := cmp.Diff([]time.Duration{time.Minute + c.guard}, clk.Sleeps()); diff != "" {
			t.Errorf("after %d throttles, sleeps (-want +got):\n%s", c.throttles, diff)
		}
	}
	var nilLimiter *windowLimiter
	nilLimiter.throttled() // a nil limiter never waits and never widens
}
