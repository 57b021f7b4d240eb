package qualys

import (
	"context"
	"errors"
	"math"
	"net/http"
	"slices"
	"sort"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
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

// empty reports whether no rate-limit header was present.
func (r RateLimit) empty() bool {
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

	mu      sync.Mutex
	sent    []time.Time // ascending; events of the last two windows
	widened uint        // times the guard was doubled after a throttle (see span)
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
	_, err := l.take(ctx)
	return err
}

// take is Wait, returning the time it recorded for the event.
func (l *windowLimiter) take(ctx context.Context) (time.Time, error) {
	if l == nil {
		return time.Time{}, ctx.Err()
	}
	for {
		if err := ctx.Err(); err != nil {
			return time.Time{}, err
		}
		l.mu.Lock()
		now := l.now()
		l.prune(now)
		if l.inWindow(now) < l.n {
			l.sent = append(l.sent, now)
			l.mu.Unlock()
			return now, nil
		}
		// The call fits once the n-th newest event leaves the window.
		wait := l.sent[len(l.sent)-l.n].Add(l.span()).Sub(now)
		l.mu.Unlock()
		// Another caller may take the freed slot first; the loop then
		// simply waits for the next one.
		if err := l.sleep(ctx, wait); err != nil {
			return time.Time{}, err
		}
	}
}

// span is the window the limiter paces calls over: the server's window
// plus a guard of 1%. A server counts a call when it arrives, a little
// after the client sent it, and not every call takes as long to get there
// (a new connection, a busy server), so a client that paced calls over
// exactly the server's window would now and then send one just before the
// server's window ends. The guard costs 1% of the budget (600 ms of the
// default 60 s window) and avoids those 429s; each throttle the server
// still answers doubles it, up to 8%. The caller holds l.mu.
func (l *windowLimiter) span() time.Duration {
	return l.window + (l.window/100)<<min(l.widened, maxWidening)
}

const maxWidening = 3

// throttled widens the guard after the server throttled a call that the
// limiter let through: the server's clock or its way of counting is
// further from the limiter's than the guard allowed for.
func (l *windowLimiter) throttled() {
	if l == nil {
		return
	}
	l.mu.Lock()
	defer l.mu.Unlock()
	l.widened = min(l.widened+1, maxWidening)
}

// restamp moves the event recorded at old to now: the request it stands
// for was written to the connection only now (after a token refresh or a
// TLS handshake), and the server counts it from its arrival. It returns
// the event's time, old if it was no longer held.
func (l *windowLimiter) restamp(old time.Time) time.Time {
	if l == nil {
		return old
	}
	l.mu.Lock()
	defer l.mu.Unlock()
	i := sort.Search(len(l.sent), func(i int) bool { return !l.sent[i].Before(old) })
	if i == len(l.sent) || !l.sent[i].Equal(old) {
		return old // pruned meanwhile
	}
	l.sent = slices.Delete(l.sent, i, i+1)
	now := l.now()
	at := sort.Search(len(l.sent), func(i int) bool { return l.sent[i].After(now) })
	l.sent = slices.Insert(l.sent, at, now)
	return now
}

// prune drops events older than two windows. The window before the
// current one is kept for observe, which reasons about past send times.
func (l *windowLimiter) prune(now time.Time) {
	keep := now.Add(-2 * l.span())
	i := 0
	for i < len(l.sent) && !l.sent[i].After(keep) {
		i++
	}
	l.sent = append(l.sent[:0], l.sent[i:]...)
}

// inWindow counts the events in the window that ends at t.
func (l *windowLimiter) inWindow(t time.Time) int {
	cut := t.Add(-l.span())
	n := 0
	for i := len(l.sent) - 1; i >= 0 && l.sent[i].After(cut); i-- {
		if !l.sent[i].After(t) {
			n++
		}
	}
	return n
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

// record keeps the rate-limit state of a response and returns it.
func (b *rateBook) record(path string, h http.Header) RateLimit {
	rl := parseRateLimit(h)
	key := rateKey(path)
	if rl.empty() || key == "" {
		return rl
	}
	b.mu.Lock()
	defer b.mu.Unlock()
	if b.m == nil {
		b.m = map[string]RateLimit{}
	}
	b.m[key] = rl
	return rl
}

func (b *rateBook) last(path string) (RateLimit, bool) {
	b.mu.Lock()
	defer b.mu.Unlock()
	rl, ok := b.m[rateKey(path)]
	return rl, ok
}

// observe brings the limiter in line with the server's count, from a
// response to a request whose event is at sentAt that says remaining
// calls are left in the server's window. When the server has counted more
// calls than the limiter made from the window before sentAt until now (another client spends the
// same subscription's budget), the difference is recorded as calls made
// at sentAt, so the next requests wait instead of being throttled. A
// response from before the current window (a slow one that crossed into a
// new window) says nothing about it and is ignored, and the limiter never
// counts fewer calls than it made.
func (l *windowLimiter) observe(sentAt time.Time, remaining int) {
	if l == nil || remaining < 0 || remaining >= l.n {
		return
	}
	l.mu.Lock()
	defer l.mu.Unlock()
	now := l.now()
	if now.Sub(sentAt) >= l.span() {
		return
	}
	l.prune(now)
	// The server counted at most the calls that reached it from the window
	// before sentAt up to now: it admits calls in the order they arrive,
	// which need not be the order they were sent.
	cut := sentAt.Add(-l.span())
	ours := 0
	for i := len(l.sent) - 1; i >= 0 && l.sent[i].After(cut); i-- {
		ours++
	}
	missing := l.n - remaining - ours
	if missing <= 0 {
		return
	}
	at := sort.Search(len(l.sent), func(i int) bool { return l.sent[i].After(sentAt) })
	l.sent = slices.Insert(l.sent, at, slices.Repeat([]time.Time{sentAt}, missing)...)
}

// admission is a limiter slot taken ahead of a request by a caller that
// paces its own requests (FetchPosture). The transport uses it in place of
// its own Wait on the request's first attempt; retries wait as usual.
type admission struct {
	limiter *windowLimiter
	at      time.Time // the event take recorded
	used    atomic.Bool
}

type admissionKey struct{}

func withAdmission(ctx context.Context, a *admission) context.Context {
	return context.WithValue(ctx, admissionKey{}, a)
}

// admitted reports whether ctx carries an unused admission for l, and
// uses it, returning the time of its event.
func admitted(ctx context.Context, l *windowLimiter) (time.Time, bool) {
	a, ok := ctx.Value(admissionKey{}).(*admission)
	if ok && l != nil && a.limiter == l && a.used.CompareAndSwap(false, true) {
		return a.at, true
	}
	return time.Time{}, false
}
