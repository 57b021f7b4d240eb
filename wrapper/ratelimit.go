package qualys

import (
	"context"
	"errors"
	"math"
	"net/http"
	"strconv"
	"strings"
	"sync"
	"time"
)

// RateLimit is the rate and concurrency state a Qualys response reports in
// its headers. Every field is nil when its header is absent or unreadable:
// Qualys does not promise the headers on every API, and "absent" must not
// read as "zero remaining".
type RateLimit struct {
	Limit     *int // X-RateLimit-Limit: calls allowed per window
	WindowSec *int // X-RateLimit-Window-Sec: window length in seconds
	Remaining *int // X-RateLimit-Remaining: calls left in the window
	ToWaitSec *int // X-RateLimit-ToWait-Sec: seconds to wait before the next call
	// ConcurrencyLimit is X-ConcurrencyLimit-Limit (gateway spelling) or,
	// when that is absent, X-Concurrency-Limit-Limit (classic API spelling).
	ConcurrencyLimit   *int
	ConcurrencyRunning *int // X-Concurrency-Limit-Running (classic API)
}

// parseRateLimit reads the rate-limit headers of a response. It never fails;
// unreadable values are treated as absent.
func parseRateLimit(h http.Header) RateLimit {
	rl := RateLimit{
		Limit:              headerInt(h, "X-RateLimit-Limit"),
		WindowSec:          headerInt(h, "X-RateLimit-Window-Sec"),
		Remaining:          headerInt(h, "X-RateLimit-Remaining"),
		ToWaitSec:          headerInt(h, "X-RateLimit-ToWait-Sec"),
		ConcurrencyLimit:   headerInt(h, "X-ConcurrencyLimit-Limit"),
		ConcurrencyRunning: headerInt(h, "X-Concurrency-Limit-Running"),
	}
	if rl.ConcurrencyLimit == nil {
		rl.ConcurrencyLimit = headerInt(h, "X-Concurrency-Limit-Limit")
	}
	return rl
}

// IsZero reports whether no rate-limit header was present.
func (r RateLimit) IsZero() bool {
	return r.Limit == nil && r.WindowSec == nil && r.Remaining == nil && r.ToWaitSec == nil &&
		r.ConcurrencyLimit == nil && r.ConcurrencyRunning == nil
}

// ToWait returns X-RateLimit-ToWait-Sec as a duration, and false when the
// header is absent or not positive.
func (r RateLimit) ToWait() (time.Duration, bool) {
	if r.ToWaitSec == nil || *r.ToWaitSec <= 0 {
		return 0, false
	}
	return time.Duration(min(*r.ToWaitSec, maxRateValue)) * time.Second, true
}

// maxRateValue caps every rate-limit header value: about 68 years as a
// wait, longer than any throttle cap, and small enough that no count or
// wait derived from it overflows.
const maxRateValue = math.MaxInt32

// headerInt parses a rate-limit header. Every value takes one path: it is
// read as a decimal number, integer or not; a fraction rounds up (a wait
// of "0.5" seconds is not "no wait"); anything above maxRateValue, a huge
// integer, a huge float or +Inf alike, reads as maxRateValue, so a huge
// wait always fails at once against WithMaxThrottleWait; a negative value,
// NaN or anything unreadable reads as absent.
func headerInt(h http.Header, name string) *int {
	v := strings.TrimSpace(h.Get(name))
	if v == "" {
		return nil
	}
	f, err := strconv.ParseFloat(v, 64)
	if err != nil && !errors.Is(err, strconv.ErrRange) {
		return nil
	}
	switch {
	case math.IsNaN(f) || f < 0:
		return nil
	case f >= maxRateValue:
		n := maxRateValue
		return &n
	}
	n := int(math.Ceil(f))
	return &n
}

// windowLimiter allows at most n events in any sliding window of the given
// length. It keeps the times of the last n events, so it never lets a burst
// exceed what a server counting the same window would accept. A nil
// *windowLimiter never waits.
type windowLimiter struct {
	n      int
	window time.Duration
	now    func() time.Time
	sleep  func(context.Context, time.Duration) error

	mu   sync.Mutex
	sent []time.Time // ascending; only events inside the current window
}

// newLimiter returns a windowLimiter for n events per window. n <= 0 or
// window <= 0 gives nil, a limiter that never waits.
func newLimiter(n int, window time.Duration) *windowLimiter {
	if n <= 0 || window <= 0 {
		return nil
	}
	return &windowLimiter{n: n, window: window, now: time.Now, sleep: sleepContext}
}

// Wait blocks until one more event fits in the window, then records it. It
// returns the context's error, without recording, if ctx ends first. Wait
// starts no goroutines.
func (l *windowLimiter) Wait(ctx context.Context) error {
	if l == nil {
		return ctx.Err()
	}
	for {
		if err := ctx.Err(); err != nil {
			return err
		}
		l.mu.Lock()
		now := l.now()
		cut := now.Add(-l.window)
		i := 0
		for i < len(l.sent) && !l.sent[i].After(cut) {
			i++
		}
		l.sent = append(l.sent[:0], l.sent[i:]...)
		if len(l.sent) < l.n {
			l.sent = append(l.sent, now)
			l.mu.Unlock()
			return nil
		}
		wait := l.sent[0].Add(l.window).Sub(now)
		l.mu.Unlock()
		// Another caller may take the freed slot first; the loop then
		// simply waits for the next one.
		if err := l.sleep(ctx, wait); err != nil {
			return err
		}
	}
}

// sleepContext sleeps for d or until ctx ends, whichever is first.
func sleepContext(ctx context.Context, d time.Duration) error {
	if d <= 0 {
		return ctx.Err()
	}
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-t.C:
		return nil
	case <-ctx.Done():
		return ctx.Err()
	}
}

// Default PCRS budget: Qualys documents 25 requests per subscription per 60
// seconds, counted separately for policy list, host-id resolution and
// posture info.
const (
	defaultPCRSRequests = 25
	defaultPCRSWindow   = 60 * time.Second
)

// limiterSet holds one windowLimiter per PCRS API, created on first use.
type limiterSet struct {
	n      int
	window time.Duration
	now    func() time.Time
	sleep  func(context.Context, time.Duration) error

	mu sync.Mutex
	m  map[string]*windowLimiter
}

func newLimiterSet(n int, window time.Duration, now func() time.Time, sleep func(context.Context, time.Duration) error) *limiterSet {
	if n <= 0 || window <= 0 {
		return nil
	}
	return &limiterSet{n: n, window: window, now: now, sleep: sleep, m: map[string]*windowLimiter{}}
}

// get returns the limiter for key; a nil set gives a nil (no-op) limiter.
func (s *limiterSet) get(key string) *windowLimiter {
	if s == nil || key == "" {
		return nil
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	l, ok := s.m[key]
	if !ok {
		l = &windowLimiter{n: s.n, window: s.window, now: s.now, sleep: s.sleep}
		s.m[key] = l
	}
	return l
}

// pcrsAPI names the PCRS API a request path belongs to, the unit Qualys
// counts its budget in: "policy/list", "hostids" or "postureInfo". Versions
// of one API share a key because the budget is per API, not per version.
// Paths outside /pcrs/ give "".
func pcrsAPI(path string) string {
	i := strings.Index(path, "/pcrs/")
	if i < 0 {
		return ""
	}
	rest := path[i+len("/pcrs/"):]
	// Drop the version segment ("1.0", "5.0").
	j := strings.IndexByte(rest, '/')
	if j < 0 {
		return ""
	}
	rest = strings.Trim(rest[j+1:], "/")
	rest = strings.TrimPrefix(rest, "posture/")
	return rest
}

// rateKey names the unit Qualys counts a request path's budget in: "car"
// for /sm paths, "pcrs/policy/list", "pcrs/hostids" or "pcrs/postureInfo"
// for PCRS (versions share a budget), "auth" for /auth, and "" otherwise.
func rateKey(path string) string {
	switch {
	case strings.Contains(path, "/sm/"):
		return "car"
	case strings.Contains(path, "/pcrs/"):
		if api := pcrsAPI(path); api != "" {
			return "pcrs/" + api
		}
		return ""
	case strings.HasSuffix(strings.TrimRight(path, "/"), "/auth"):
		return "auth"
	}
	return ""
}

// rateBook keeps the latest rate-limit state seen per rateKey, so callers
// of iterators and streams, which never see a response, can read it.
type rateBook struct {
	mu sync.Mutex
	m  map[string]RateLimit
}

func (b *rateBook) record(path string, h http.Header) {
	rl := parseRateLimit(h)
	key := rateKey(path)
	if rl.IsZero() || key == "" {
		return
	}
	b.mu.Lock()
	defer b.mu.Unlock()
	if b.m == nil {
		b.m = map[string]RateLimit{}
	}
	b.m[key] = rl
}

func (b *rateBook) last(path string) (RateLimit, bool) {
	b.mu.Lock()
	defer b.mu.Unlock()
	rl, ok := b.m[rateKey(path)]
	return rl, ok
}
