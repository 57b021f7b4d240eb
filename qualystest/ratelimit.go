package qualystest

import (
	"math"
	"net/http"
	"strconv"
	"strings"
	"sync"
	"time"
)

// rateLimiter counts requests per API in fixed windows, the way the
// gateway describes its limit: n calls per window, the window starting at
// the first call after the previous one ended.
type rateLimiter struct {
	n      int
	window time.Duration

	mu      sync.Mutex
	buckets map[string]*rateWindow
}

type rateWindow struct {
	start time.Time
	used  int
}

func newRateLimiter(n int, window time.Duration) *rateLimiter {
	return &rateLimiter{n: n, window: window, buckets: map[string]*rateWindow{}}
}

// take counts one call against a bucket. It returns whether the call is
// allowed, the calls left in the window and how long until the next call
// is allowed (0 while calls are left).
func (l *rateLimiter) take(bucket string, now time.Time) (ok bool, remaining int, wait time.Duration) {
	l.mu.Lock()
	defer l.mu.Unlock()
	b := l.buckets[bucket]
	if b == nil || !now.Before(b.start.Add(l.window)) {
		b = &rateWindow{start: now}
		l.buckets[bucket] = b
	}
	left := b.start.Add(l.window).Sub(now)
	if b.used >= l.n {
		return false, 0, left
	}
	b.used++
	remaining = l.n - b.used
	if remaining == 0 {
		wait = left
	}
	return true, remaining, wait
}

// rateBucket names the limit a request counts against: CAR as a whole, and
// each of the three PCRS APIs separately.
func rateBucket(c *call, path string) string {
	if c.api == apiCAR {
		return "car"
	}
	switch {
	case strings.HasSuffix(path, "/policy/list"):
		return "pcrs-policy-list"
	case strings.HasSuffix(path, "/hostids"):
		return "pcrs-hostids"
	default:
		return "pcrs-postureinfo"
	}
}

// admit applies the rate limit of the call's API: it sets the rate-limit
// headers on the response and answers 429 when the window is used up.
func (s *Server) admit(w http.ResponseWriter, r *http.Request, c *call) bool {
	l := s.limiter
	if l.n <= 0 {
		return true
	}
	ok, remaining, wait := l.take(rateBucket(c, c.route.Path), time.Now())
	h := w.Header()
	h.Set("X-RateLimit-Limit", strconv.Itoa(l.n))
	h.Set("X-RateLimit-Window-Sec", strconv.Itoa(int(math.Ceil(l.window.Seconds()))))
	h.Set("X-RateLimit-Remaining", strconv.Itoa(remaining))
	h.Set("X-RateLimit-ToWait-Sec", strconv.Itoa(int(math.Ceil(wait.Seconds()))))
	if ok {
		return true
	}
	s.tooManyRequests(w, r, c)
	return false
}

// tooManyRequests sends the 429 of a used-up window. Qualys documents no
// body for it; the simulator sends the API's usual error body.
func (s *Server) tooManyRequests(w http.ResponseWriter, r *http.Request, c *call) {
	s.fail(w, r, c, http.StatusTooManyRequests, "API rate limit exceeded; retry after X-RateLimit-ToWait-Sec seconds")
}
