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

// fakeClock is a manual clock whose Sleep advances time instead of
// waiting, so timing tests run instantly and deterministically.
type fakeClock struct {
	mu     sync.Mutex
	t      time.Time
	sleeps []time.Duration
}

func newFakeClock() *fakeClock {
	return &fakeClock{t: time.Date(2026, 1, 2, 3, 4, 5, 0, time.UTC)}
}

func (c *fakeClock) Now() time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.t
}

func (c *fakeClock) Advance(d time.Duration) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.t = c.t.Add(d)
}

func (c *fakeClock) Sleep(ctx context.Context, d time.Duration) error {
	if err := ctx.Err(); err != nil {
		return err
	}
	c.mu.Lock()
	defer c.mu.Unlock()
	c.sleeps = append(c.sleeps, d)
	c.t = c.t.Add(d)
	return nil
}

func (c *fakeClock) Sleeps() []time.Duration {
	c.mu.Lock()
	defer c.mu.Unlock()
	return append([]time.Duration(nil), c.sleeps...)
}

// withFakeClock makes the transport, token source and limiters use c, and
// makes backoff jitter always pick the upper bound.
func withFakeClock(c *fakeClock) Option {
	return func(cfg *config) {
		cfg.now = c.Now
		cfg.sleep = c.Sleep
		cfg.jitter = func(n int64) int64 { return n - 1 }
	}
}

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
			if got.IsZero() != (len(tc.h) == 0 || tc.name == "garbage and negatives are absent") {
				t.Errorf("IsZero = %v", got.IsZero())
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
	// three to leave the window.
	want := []time.Duration{0, time.Second, 2 * time.Second, 60 * time.Second, 61 * time.Second, 62 * time.Second, 120 * time.Second}
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
	if len(l.sent) > 5 {
		t.Fatalf("limiter holds %d events in its window", len(l.sent))
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
	if diff := cmp.Diff([]time.Duration{time.Minute}, c.Sleeps()); diff != "" {
		t.Fatalf("sleeps (-want +got):\n%s", diff)
	}
}
