package qualys

import (
	"bytes"
	"context"
	"crypto/tls"
	"crypto/x509"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net"
	"net/http"
	"net/http/httptrace"
	"net/url"
	"strconv"
	"strings"
	"sync"
	"time"
)

// ErrInsecureTransport is wrapped when a request or gateway URL is not
// https, except plain http to a loopback host with WithPlainHTTPLoopback.
var ErrInsecureTransport = errors.New("qualys: insecure transport")

// peekLimit bounds how much of an error body is read to classify it (a 409
// throttle code) and how much is drained before a retry.
const peekLimit = 64 << 10

// authTransport is an http.RoundTripper that adds a gateway token, retries
// safely, honours Qualys throttling and the PCRS request budget, and logs.
//
// What it does per request:
//   - refuses anything but https (see WithPlainHTTPLoopback);
//   - waits for the PCRS budget of the API the path belongs to;
//   - sets Authorization: Bearer with a token from its jwtSource, only
//     when the request goes to the token's gateway (same scheme, host and
//     port) and carries no Authorization header of its own;
//   - after a 401 to such a request, drops the token and re-sends once
//     with a fresh one;
//   - on throttling (429, or 409 with classic code 1960/1965) waits what
//     X-RateLimit-ToWait-Sec says, else Retry-After, else the backoff,
//     and re-sends; a wait above WithMaxThrottleWait fails at once with a
//     *RateLimitError;
//   - re-sends after a 5xx or a connection error only when retryableRequest says
//     the operation is safe to repeat (or the connection was never made);
//   - bounds the body it returns: an error body yields at most 64 KiB
//     (the rest is never read), a success body at most WithMaxResponseSize
//     (default 64 MiB) before reads fail with ErrBodyTooLarge. Posture
//     info bodies are exempt: they are streamed, and PostureStream bounds
//     each record instead. The bounds count decoded bytes, so a
//     compressed body cannot expand past them.
//
// Re-sending a request with a body needs req.GetBody, which
// http.NewRequest sets for in-memory bodies. When retries run out, the
// last response is returned as it is, so callers see the real status.
type authTransport struct {
	base              http.RoundTripper
	tokens            *jwtSource
	maxRetries        int
	backoffMin        time.Duration
	backoffMax        time.Duration
	maxThrottleWait   time.Duration
	attemptTimeout    time.Duration
	plainHTTPLoopback bool
	logger            *slog.Logger
	onRetry           func(Retry)
	maxBody           int64 // bound on a success body that is read whole
	limiters          *limiterSet
	client            *http.Client // template for Client
	rates             rateBook

	now    func() time.Time
	sleep  func(context.Context, time.Duration) error
	jitter func(int64) int64
}

// newAuthTransport builds a authTransport from options. The gateway comes from
// WithGatewayURL, WithPlatform, QUALYS_GATEWAY_URL or QUALYS_PLATFORM; the
// credentials from WithCredentials or QUALYS_USERNAME/QUALYS_PASSWORD.
func newAuthTransport(opts ...Option) (*authTransport, error) {
	cfg, err := newConfig(opts...)
	if err != nil {
		return nil, err
	}
	t, _, err := newTransport(cfg)
	return t, err
}

// newTransport builds the transport and the token source it uses from a
// filled config.
func newTransport(cfg *config) (*authTransport, *jwtSource, error) {
	gw, err := resolveGateway(cfg)
	if err != nil {
		return nil, nil, err
	}
	creds, err := cfg.credentials()
	if err != nil {
		return nil, nil, err
	}
	ts, err := newTokenSource(cfg, gw, creds)
	if err != nil {
		return nil, nil, err
	}
	t := &authTransport{
		base:              cfg.baseTransport(),
		tokens:            ts,
		maxRetries:        cfg.maxRetries,
		backoffMin:        cfg.backoffMin,
		backoffMax:        cfg.backoffMax,
		maxThrottleWait:   cfg.maxThrottleWait,
		attemptTimeout:    cfg.attemptTimeout,
		plainHTTPLoopback: cfg.plainHTTPLoopback,
		logger:            cfg.logger,
		onRetry:           cfg.onRetry,
		maxBody:           cfg.maxBody,
		limiters:          newLimiterSet(cfg.pcrsRequests, cfg.pcrsWindow, cfg.now, cfg.sleep),
		client:            cfg.baseClient(),
		now:               cfg.now,
		sleep:             cfg.sleep,
		jitter:            cfg.jitter,
	}
	return t, ts, nil
}

// Format prints the gateway only, never the token source's secrets.
func (t *authTransport) Format(f fmt.State, verb rune) {
	fmt.Fprintf(f, "qualys.authTransport{tokens: %v}", t.tokens)
}

// tokenSource returns the token source the transport authenticates with.
func (t *authTransport) tokenSource() *jwtSource { return t.tokens }

// Client returns an *http.Client that sends through t, keeping the
// Timeout, Jar and CheckRedirect of the client given to WithHTTPClient.
func (t *authTransport) Client() *http.Client {
	c := *t.client
	c.Transport = t
	return &c
}

// LastRateLimit returns the rate-limit state of the latest response that
// reported one for the API path belongs to (see rateKey).
func (t *authTransport) LastRateLimit(path string) (RateLimit, bool) {
	return t.rates.last(path)
}

// retryableRequest reports whether an operation may be sent again after a 5xx
// or a lost response, i.e. whether repeating it cannot change anything:
// GET, HEAD and OPTIONS; POST to a path ending in /search (CAR searches
// only read); and POST to PCRS .../posture/postureInfo, which reads
// posture data despite its method. Everything else (creating, updating,
// executing, importing, deleting, scheduling) is not retried, because a
// request whose answer was lost may already have taken effect.
//
// Throttled requests (429, 409 with 1960/1965) and 401s are re-sent for
// every operation: the server rejected them without acting on them.
func retryableRequest(method, path string) bool {
	path = strings.TrimRight(path, "/")
	switch strings.ToUpper(method) {
	case http.MethodGet, http.MethodHead, http.MethodOptions:
		return true
	case http.MethodPost:
		if strings.HasSuffix(path, "/search") {
			return true
		}
		return strings.Contains(path, "/pcrs/") && strings.HasSuffix(path, "/posture/postureInfo")
	}
	return false
}

// RoundTrip implements http.RoundTripper.
func (t *authTransport) RoundTrip(req *http.Request) (*http.Response, error) {
	if err := checkScheme(req.URL, t.plainHTTPLoopback); err != nil {
		closeRequestBody(req)
		return nil, err
	}
	ctx := req.Context()
	ex := exchange{
		t:          t,
		req:        req,
		op:         req.Method + " " + req.URL.Path,
		retryable:  retryableRequest(req.Method, req.URL.Path),
		replayable: req.Body == nil || req.Body == http.NoBody || req.GetBody != nil,
		auth:       t.tokens != nil && req.Header.Get("Authorization") == "" && sameOrigin(req.URL, t.tokens.gateway),
		limiter:    t.limiters.get(pcrsAPI(req.URL.Path)),
	}
	resp, err := ex.run(ctx)
	if resp != nil {
		t.boundBody(resp, ex.op, req.URL.Path)
	}
	return resp, err
}

// boundBody caps what can be read of a response body (see authTransport).
func (t *authTransport) boundBody(resp *http.Response, op, path string) {
	switch {
	case !isSuccess(resp.StatusCode):
		resp.Body = &cappedBody{rc: resp.Body, left: maxErrorBody}
	case pcrsAPI(path) == "postureInfo" || t.maxBody <= 0:
	default:
		resp.Body = &cappedBody{rc: resp.Body, left: t.maxBody, fail: func() error {
			return fmt.Errorf("qualys: %s: HTTP %d: the body is larger than the %d-byte limit (WithMaxResponseSize): %w",
				op, resp.StatusCode, t.maxBody, ErrBodyTooLarge)
		}}
	}
}

// cappedBody lets left more bytes through. Past them it ends the body
// early (io.EOF) when fail is nil, which suits error bodies whose head
// says all there is to say; otherwise reads fail with fail's error.
type cappedBody struct {
	rc   io.ReadCloser
	left int64
	fail func() error
}

func (c *cappedBody) Read(p []byte) (int, error) {
	if c.left <= 0 {
		if c.fail == nil {
			return 0, io.EOF
		}
		// Tell a body that ends exactly at the limit from a longer one.
		var one [1]byte
		if n, err := c.rc.Read(one[:]); n == 0 && err != nil {
			return 0, err
		}
		return 0, c.fail()
	}
	if int64(len(p)) > c.left {
		p = p[:c.left]
	}
	n, err := c.rc.Read(p)
	c.left -= int64(n)
	return n, err
}

func (c *cappedBody) Close() error { return c.rc.Close() }

// exchange is one call through the transport, across its attempts.
type exchange struct {
	t          *authTransport
	req        *http.Request
	op         string
	retryable  bool // safe to repeat after a 5xx or lost response
	replayable bool // the body can be sent again
	auth       bool // the transport supplies the token
	limiter    *windowLimiter

	retries  int  // re-sends counted against MaxRetries
	reauthed bool // the one re-send after a 401 has been used
}

func (x *exchange) run(ctx context.Context) (*http.Response, error) {
	t := x.t
	for attempt := 1; ; attempt++ {
		r, err := x.attemptRequest(ctx, attempt)
		if err != nil {
			return nil, err
		}
		stamp, ok := time.Time{}, false
		if attempt == 1 {
			stamp, ok = admitted(ctx, x.limiter)
		}
		if !ok {
			if stamp, err = x.limiter.take(ctx); err != nil {
				closeRequestBody(r)
				return nil, err
			}
		}
		var token string
		if x.auth {
			token, err = t.tokens.Token(ctx)
			if err != nil {
				closeRequestBody(r)
				// Nothing was sent yet, so a passing gateway failure
				// may be retried for any operation.
				if transientAuthError(err) && x.canRetry() && ctx.Err() == nil {
					if werr := x.wait(ctx, attempt, "token request failed", t.backoff(x.retries), "backoff"); werr != nil {
						return nil, werr
					}
					continue
				}
				return nil, fmt.Errorf("qualys: %s: obtaining a token: %w", x.op, err)
			}
			r.Header.Set("Authorization", "Bearer "+token)
		}

		wrote := &writeStamp{at: stamp}
		if x.limiter != nil {
			r = r.WithContext(restampOnWrite(r.Context(), x.limiter, wrote))
		}
		start := t.now()
		resp, err := t.send(r)
		dur := t.now().Sub(start)
		if err != nil {
			t.log(ctx, "qualys request failed", x.attrs(attempt, slog.Duration("duration", dur), slog.String("error", scrubServerText(err.Error(), 1000, nil)))...)
			if ctx.Err() != nil {
				return nil, err
			}
			if (x.retryable || notSent(err)) && !certificateError(err) && x.canRetry() {
				if werr := x.wait(ctx, attempt, "connection error", t.backoff(x.retries), "backoff"); werr != nil {
					return nil, werr
				}
				continue
			}
			return nil, err
		}
		t.log(ctx, "qualys request", x.attrs(attempt, slog.Int("status", resp.StatusCode), slog.Duration("duration", dur))...)
		if rl := t.rates.record(x.req.URL.Path, resp.Header); rl.Remaining != nil {
			x.limiter.observe(wrote.get(), *rl.Remaining)
		}

		switch code := resp.StatusCode; {
		case code == http.StatusUnauthorized && x.auth && !x.reauthed && x.replayable:
			x.reauthed = true
			t.tokens.Invalidate(token)
			discard(resp)
			t.log(ctx, "qualys retry", x.attrs(attempt, slog.String("reason", "401: fetching a new token"))...)
			t.retried(Retry{Operation: x.op, Attempt: attempt, Reason: "HTTP 401: fetching a new token"})
			continue

		case code == http.StatusTooManyRequests || code == http.StatusConflict:
			apiErr := parseErrorResponse(resp, peek(resp))
			if apiErr.throttled() {
				x.limiter.throttled()
			}
			if !apiErr.throttled() || !x.canRetry() {
				return resp, nil
			}
			wait, source := t.throttleWait(resp, apiErr.RateLimit, x.retries)
			if wait > t.maxThrottleWait {
				discard(resp)
				t.log(ctx, "qualys throttled beyond the wait limit", x.attrs(attempt, slog.Int("status", code),
					slog.String("code", apiErr.Code), slog.Duration("wait", wait), slog.String("wait_source", source),
					slog.Duration("max_wait", t.maxThrottleWait))...)
				return nil, &RateLimitError{Wait: wait, MaxWait: t.maxThrottleWait, APIError: apiErr}
			}
			discard(resp)
			t.log(ctx, "qualys throttled", x.attrs(attempt, slog.Int("status", code), slog.String("code", apiErr.Code),
				slog.Duration("wait", wait), slog.String("wait_source", source))...)
			t.retried(Retry{Operation: x.op, Attempt: attempt, Reason: "HTTP " + strconv.Itoa(code), Wait: wait, Throttled: true})
			if werr := x.sleep(ctx, wait); werr != nil {
				return nil, werr
			}
			continue

		case retryableStatus(code) && x.retryable && x.canRetry():
			wait, source := t.backoff(x.retries), "backoff"
			if d, ok := retryAfter(resp.Header.Get("Retry-After"), t.now()); ok && d <= t.maxThrottleWait {
				wait, source = d, "Retry-After"
			}
			discard(resp)
			if werr := x.wait(ctx, attempt, "HTTP "+strconv.Itoa(code), wait, source); werr != nil {
				return nil, werr
			}
			continue
		}
		return resp, nil
	}
}

// attemptRequest copies the caller's request for one attempt; the first
// attempt uses the original body, later ones a fresh copy from GetBody.
func (x *exchange) attemptRequest(ctx context.Context, attempt int) (*http.Request, error) {
	r := x.req.Clone(ctx)
	if attempt > 1 && x.req.Body != nil && x.req.Body != http.NoBody {
		body, err := x.req.GetBody()
		if err != nil {
			return nil, fmt.Errorf("qualys: %s: replaying the request body: %w", x.op, err)
		}
		r.Body = body
	}
	return r, nil
}

func (x *exchange) canRetry() bool { return x.replayable && x.retries < x.t.maxRetries }

// wait logs a retry, tells the retry hook and sleeps before it.
func (x *exchange) wait(ctx context.Context, attempt int, reason string, d time.Duration, source string) error {
	x.t.log(ctx, "qualys retry", x.attrs(attempt, slog.String("reason", reason), slog.Duration("wait", d), slog.String("wait_source", source))...)
	x.t.retried(Retry{Operation: x.op, Attempt: attempt, Reason: reason, Wait: d})
	return x.sleep(ctx, d)
}

func (x *exchange) sleep(ctx context.Context, d time.Duration) error {
	x.retries++
	return x.t.sleep(ctx, d)
}

func (x *exchange) attrs(attempt int, more ...slog.Attr) []slog.Attr {
	return append([]slog.Attr{
		slog.String("method", x.req.Method),
		slog.String("path", x.req.URL.Path),
		slog.Int("attempt", attempt),
	}, more...)
}

// send performs one attempt, bounded by the attempt timeout until the
// response headers arrive. The attempt's context lives on until the body
// is closed, so the timeout never cuts a body being read.
func (t *authTransport) send(r *http.Request) (*http.Response, error) {
	if t.attemptTimeout <= 0 {
		return t.base.RoundTrip(r)
	}
	ctx, cancel := context.WithCancel(r.Context())
	timer := time.AfterFunc(t.attemptTimeout, cancel)
	resp, err := t.base.RoundTrip(r.WithContext(ctx))
	if !timer.Stop() {
		// The timer fired: whatever came back is unusable.
		if resp != nil {
			resp.Body.Close()
		}
		cancel()
		if r.Context().Err() != nil {
			return nil, r.Context().Err()
		}
		return nil, fmt.Errorf("qualys: %s %s: no response within the attempt timeout of %s: %w",
			r.Method, r.URL.Path, t.attemptTimeout, context.DeadlineExceeded)
	}
	if err != nil {
		cancel()
		return nil, err
	}
	resp.Body = &cancelOnClose{ReadCloser: resp.Body, cancel: cancel}
	return resp, nil
}

type cancelOnClose struct {
	io.ReadCloser
	cancel context.CancelFunc
}

func (c *cancelOnClose) Close() error {
	err := c.ReadCloser.Close()
	c.cancel()
	return err
}

// backoff is the capped exponential backoff with full jitter for the
// given number of retries already made.
func (t *authTransport) backoff(retries int) time.Duration {
	bound := t.backoffMin
	for i := 0; i < retries && bound < t.backoffMax; i++ {
		bound *= 2
	}
	bound = min(bound, t.backoffMax)
	if bound <= 0 {
		return 0
	}
	return time.Duration(t.jitter(int64(bound) + 1))
}

// throttleWait decides how long to wait after a throttle: the gateway's
// X-RateLimit-ToWait-Sec, else Retry-After (not documented by Qualys but
// standard), else the backoff.
func (t *authTransport) throttleWait(resp *http.Response, rl RateLimit, retries int) (time.Duration, string) {
	if d, ok := rl.ToWait(); ok {
		return d, "X-RateLimit-ToWait-Sec"
	}
	if d, ok := retryAfter(resp.Header.Get("Retry-After"), t.now()); ok {
		return d, "Retry-After"
	}
	return t.backoff(retries), "backoff"
}

// retryAfter parses Retry-After as seconds or an HTTP date; ok is false
// when absent, unreadable or not in the future.
func retryAfter(v string, now time.Time) (time.Duration, bool) {
	v = strings.TrimSpace(v)
	if v == "" {
		return 0, false
	}
	if n, err := strconv.ParseInt(v, 10, 64); err == nil || errors.Is(err, strconv.ErrRange) {
		if n <= 0 {
			return 0, false
		}
		// Clamped like the rate-limit headers, before converting, so a
		// huge value cannot overflow into a short wait; the throttle cap
		// then rejects it.
		return time.Duration(min(n, maxRateValue)) * time.Second, true
	}
	if at, err := http.ParseTime(v); err == nil {
		if d := at.Sub(now); d > 0 {
			return d, true
		}
	}
	return 0, false
}

// retryableStatus lists the 5xx answers worth repeating: not 501 or 505,
// which will not change on a second try.
func retryableStatus(code int) bool {
	return code >= 500 && code <= 599 && code != http.StatusNotImplemented && code != http.StatusHTTPVersionNotSupported
}

// notSent reports a failure to connect, after which the request cannot
// have reached the server, so even a create may be repeated.
func notSent(err error) bool {
	var op *net.OpError
	return errors.As(err, &op) && op.Op == "dial"
}

// transientAuthError reports /auth failures worth retrying: the gateway
// was unreachable, throttled or failing, not a credential problem.
func transientAuthError(err error) bool {
	if certificateError(err) {
		return false
	}
	var apiErr *APIError
	if errors.As(err, &apiErr) {
		return apiErr.throttled() || retryableStatus(apiErr.StatusCode)
	}
	var netErr net.Error
	return errors.As(err, &netErr) || notSent(err)
}

// certificateError reports whether err is a failed TLS certificate check:
// retrying cannot fix it, and it is never skipped.
func certificateError(err error) bool {
	var verify *tls.CertificateVerificationError
	var unknown x509.UnknownAuthorityError
	var host x509.HostnameError
	var invalid x509.CertificateInvalidError
	return errors.As(err, &verify) || errors.As(err, &unknown) || errors.As(err, &host) || errors.As(err, &invalid)
}

// sameOrigin reports whether u has the scheme, host and port of gateway.
func sameOrigin(u, gateway *url.URL) bool {
	return strings.EqualFold(u.Scheme, gateway.Scheme) &&
		strings.EqualFold(strings.TrimSuffix(u.Hostname(), "."), strings.TrimSuffix(gateway.Hostname(), ".")) &&
		portOf(u) == portOf(gateway)
}

func portOf(u *url.URL) string {
	if p := u.Port(); p != "" {
		return p
	}
	if strings.EqualFold(u.Scheme, "http") {
		return "80"
	}
	return "443"
}

// peek reads the start of the body for classification and puts it back,
// so the caller still receives the whole body.
func peek(resp *http.Response) []byte {
	buf, _ := io.ReadAll(io.LimitReader(resp.Body, peekLimit))
	resp.Body = readCloser{Reader: io.MultiReader(bytes.NewReader(buf), resp.Body), Closer: resp.Body}
	return buf
}

type readCloser struct {
	io.Reader
	io.Closer
}

// discard drains a little of a response that will not be returned, so the
// connection can be reused, and closes it.
func discard(resp *http.Response) {
	_, _ = io.CopyN(io.Discard, resp.Body, peekLimit)
	resp.Body.Close()
}

func closeRequestBody(r *http.Request) {
	if r.Body != nil {
		r.Body.Close()
	}
}

func (t *authTransport) log(ctx context.Context, msg string, attrs ...slog.Attr) {
	if t.logger != nil {
		t.logger.LogAttrs(ctx, slog.LevelDebug, msg, attrs...)
	}
}

// restampOnWrite moves the limiter's event for a request to the moment the
// request is written to the connection, nearer to when the server counts
// it than the moment the limiter let it through.
func restampOnWrite(ctx context.Context, l *windowLimiter, w *writeStamp) context.Context {
	var once sync.Once
	return httptrace.WithClientTrace(ctx, &httptrace.ClientTrace{
		WroteRequest: func(httptrace.WroteRequestInfo) {
			once.Do(func() {
				w.mu.Lock()
				defer w.mu.Unlock()
				w.at = l.restamp(w.at)
			})
		},
	})
}

// writeStamp is the time of a request's limiter event, which the
// connection's goroutine moves when it writes the request.
type writeStamp struct {
	mu sync.Mutex
	at time.Time
}

func (w *writeStamp) get() time.Time {
	w.mu.Lock()
	defer w.mu.Unlock()
	return w.at
}
