package qualys

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"math/rand/v2"
	"net/http"
	"net/url"
	"os"
	"strings"
	"time"
)

// Environment variables read by resolveGateway when no option chose the
// platform. QUALYS_GATEWAY_URL wins over QUALYS_PLATFORM.
const (
	EnvPlatform   = "QUALYS_PLATFORM"
	EnvGatewayURL = "QUALYS_GATEWAY_URL"
)

// Defaults for the transport options.
const (
	defaultMaxRetries      = 3
	defaultBackoffMin      = 500 * time.Millisecond
	defaultBackoffMax      = 30 * time.Second
	defaultMaxThrottleWait = 5 * time.Minute // what Qualys' own clients pause for
)

// Option configures the transport, the token source and (later) the
// client built on them.
type Option func(*config)

// config is what the options fill. client code builds the generated
// clients from it through resolveGateway and newTransport.
type config struct {
	httpClient        *http.Client
	maxRetries        int
	backoffMin        time.Duration
	backoffMax        time.Duration
	maxThrottleWait   time.Duration
	attemptTimeout    time.Duration
	logger            *slog.Logger
	onRetry           func(Retry)
	plainHTTPLoopback bool
	pcrsRequests      int
	pcrsWindow        time.Duration
	refreshMargin     time.Duration
	maxBody           int64
	maxRecord         int64

	creds      *userCredentials // nil: read the environment
	platform   string
	gatewayURL string

	// Seams for tests; production uses the real clock, timers and
	// randomness.
	getenv func(string) string
	now    func() time.Time
	sleep  func(context.Context, time.Duration) error
	jitter func(n int64) int64 // uniform in [0, n)

	errs []error // invalid option values, reported by newConfig
}

func defaultConfig() *config {
	return &config{
		maxRetries:      defaultMaxRetries,
		backoffMin:      defaultBackoffMin,
		backoffMax:      defaultBackoffMax,
		maxThrottleWait: defaultMaxThrottleWait,
		pcrsRequests:    defaultPCRSRequests,
		pcrsWindow:      defaultPCRSWindow,
		refreshMargin:   defaultRefreshMargin,
		maxBody:         defaultMaxBody,
		maxRecord:       defaultMaxRecord,
		getenv:          os.Getenv,
		now:             time.Now,
		sleep:           sleepContext,
		jitter:          rand.Int64N,
	}
}

// newConfig applies opts over the defaults and reports every invalid
// option value at once.
func newConfig(opts ...Option) (*config, error) {
	cfg := defaultConfig()
	for _, o := range opts {
		if o != nil {
			o(cfg)
		}
	}
	if err := errors.Join(cfg.errs...); err != nil {
		return nil, err
	}
	return cfg, nil
}

func (c *config) fail(format string, args ...any) {
	c.errs = append(c.errs, fmt.Errorf("qualys: "+format, args...))
}

// baseClient is the caller's client, or a fresh one. If the caller passed
// a client that already uses this package's authTransport, its inner
// transport is used so that /auth does not recurse into token handling.
func (c *config) baseClient() *http.Client {
	if c.httpClient == nil {
		return &http.Client{}
	}
	cl := *c.httpClient
	if t, ok := cl.Transport.(*authTransport); ok {
		cl.Transport = t.base
	}
	return &cl
}

// baseTransport is what the authTransport sends through.
func (c *config) baseTransport() http.RoundTripper {
	if rt := c.baseClient().Transport; rt != nil {
		return rt
	}
	return http.DefaultTransport
}

// WithHTTPClient sets the client whose authTransport carries the requests and
// /auth (default: http.DefaultTransport). Its Timeout, Jar and
// CheckRedirect carry over to the client built on top; note that Timeout
// then bounds a whole call, retries and waits included.
func WithHTTPClient(c *http.Client) Option {
	return func(cfg *config) { cfg.httpClient = c }
}

// WithMaxRetries sets how many times one request may be re-sent after a
// throttle, a 5xx or a connection error (default 3). 0 disables retries;
// the single re-send after a 401 with a fresh token is separate.
func WithMaxRetries(n int) Option {
	return func(cfg *config) {
		if n < 0 {
			cfg.fail("WithMaxRetries(%d): must not be negative", n)
			return
		}
		cfg.maxRetries = n
	}
}

// WithBackoff sets the exponential backoff range: the first retry waits up
// to min, each next one up to twice as long, never more than max. Waits
// are drawn uniformly from zero to that bound (full jitter) so that many
// clients do not retry in step.
func WithBackoff(min, max time.Duration) Option {
	return func(cfg *config) {
		if min <= 0 || max < min {
			cfg.fail("WithBackoff(%s, %s): want 0 < min <= max", min, max)
			return
		}
		cfg.backoffMin, cfg.backoffMax = min, max
	}
}

// WithMaxThrottleWait caps how long the transport waits when throttled
// (default 5 minutes). A longer wait asked for by the server fails at once
// with a *RateLimitError; d <= 0 makes every throttle fail at once.
func WithMaxThrottleWait(d time.Duration) Option {
	return func(cfg *config) { cfg.maxThrottleWait = max(d, 0) }
}

// WithAttemptTimeout bounds each attempt until the response headers
// arrive (default: none). Reading the body is bounded only by the
// request's context, because posture streams legitimately take minutes.
func WithAttemptTimeout(d time.Duration) Option {
	return func(cfg *config) {
		if d < 0 {
			cfg.fail("WithAttemptTimeout(%s): must not be negative", d)
			return
		}
		cfg.attemptTimeout = d
	}
}

// Defaults of WithMaxResponseSize and WithMaxPostureRecordSize: far above
// any documented page or record, far below what would hurt a process.
const (
	defaultMaxBody   = 64 << 20
	defaultMaxRecord = 16 << 20
)

// WithMaxResponseSize bounds a successful response body that is read whole
// (every call except posture streams), in bytes after decompression
// (default 64 MiB). A longer body fails the call with an error that names
// the operation and the limit and matches ErrBodyTooLarge.
func WithMaxResponseSize(n int64) Option {
	return func(cfg *config) {
		if n <= 0 {
			cfg.fail("WithMaxResponseSize(%d): must be positive", n)
			return
		}
		cfg.maxBody = n
	}
}

// WithMaxPostureRecordSize bounds one streamed posture record, with the
// white space before it, in bytes after decompression (default 16 MiB).
// A bigger record, or a longer run of white space, ends the stream with an
// error matching ErrBodyTooLarge. The bound is what keeps the memory of a
// stream flat: a record is held whole while it is decoded.
func WithMaxPostureRecordSize(n int64) Option {
	return func(cfg *config) {
		if n <= 0 {
			cfg.fail("WithMaxPostureRecordSize(%d): must be positive", n)
			return
		}
		cfg.maxRecord = n
	}
}

// WithLogger logs each request, retry, throttle and token fetch at debug
// level. Headers, bodies, credentials and tokens are never logged.
func WithLogger(l *slog.Logger) Option {
	return func(cfg *config) { cfg.logger = l }
}

// WithRetryHook calls f before each re-send of a request, with the
// operation, the reason and the wait: what a person watching needs to
// know that the client is not stuck. f runs on the goroutine sending the
// request and may be called from several at once (FetchPosture, or
// concurrent calls), so it must be safe for concurrent use; the re-send
// waits for it to return. The client's debug log (WithLogger) says the
// same in more detail, for reading rather than parsing.
func WithRetryHook(f func(Retry)) Option {
	return func(cfg *config) { cfg.onRetry = f }
}

// WithPlainHTTPLoopback allows plain http, but only to loopback hosts
// (localhost, 127.0.0.0/8, ::1): for local simulators in tests. Every
// other host still requires https.
func WithPlainHTTPLoopback() Option {
	return func(cfg *config) { cfg.plainHTTPLoopback = true }
}

// WithPCRSRateLimit sets the client-side budget for PCRS: at most n
// requests per window for each PCRS API (policy list, host ids, posture
// info counted separately, all versions of one API together). The default
// is Qualys' documented 25 per 60 s; n = 0 disables the limiter, e.g. when
// Qualys raised the subscription's limit.
func WithPCRSRateLimit(n int, window time.Duration) Option {
	return func(cfg *config) {
		if n < 0 || (n > 0 && window <= 0) {
			cfg.fail("WithPCRSRateLimit(%d, %s): want n >= 0 and a positive window", n, window)
			return
		}
		cfg.pcrsRequests, cfg.pcrsWindow = n, window
	}
}

// WithTokenRefreshMargin sets how long before expiry a token is replaced
// (default 5 minutes).
func WithTokenRefreshMargin(d time.Duration) Option {
	return func(cfg *config) {
		if d < 0 {
			cfg.fail("WithTokenRefreshMargin(%s): must not be negative", d)
			return
		}
		cfg.refreshMargin = d
	}
}

// WithCredentials sets the username and password for /auth. Without it,
// QUALYS_USERNAME and QUALYS_PASSWORD are read.
func WithCredentials(username, password string) Option {
	return func(cfg *config) { cfg.creds = &userCredentials{Username: username, Password: password} }
}

// WithPlatform chooses a shared platform by name or URL (see
// LookupPlatform). WithGatewayURL wins when both are given.
func WithPlatform(name string) Option {
	return func(cfg *config) { cfg.platform = name }
}

// WithGatewayURL sets the gateway directly, e.g. for a private cloud. It
// must be https (or loopback http with WithPlainHTTPLoopback).
func WithGatewayURL(u string) Option {
	return func(cfg *config) { cfg.gatewayURL = u }
}

// resolveGateway decides which gateway to talk to. Options given in code
// come first, then the environment; at each level a gateway URL wins over
// a platform name. There is no default platform: guessing one would send
// the credentials to the wrong pod.
func resolveGateway(cfg *config) (*url.URL, error) {
	pick := func(gateway, platform, gatewaySrc, platformSrc string) (*url.URL, bool, error) {
		if gateway != "" {
			u, err := parseGatewayURLQuietly(gateway, cfg.plainHTTPLoopback)
			if err != nil {
				return nil, true, fmt.Errorf("%s: %w", gatewaySrc, err)
			}
			return u, true, nil
		}
		if platform != "" {
			p, err := LookupPlatform(platform)
			if err != nil {
				if red, ok := redactUserinfo(platform); ok {
					_, err = LookupPlatform(red) // the same error, without the user information
				}
				return nil, true, fmt.Errorf("%s: %w", platformSrc, err)
			}
			u, err := parseGatewayURL(p.GatewayURL, false)
			return u, true, err
		}
		return nil, false, nil
	}
	if u, ok, err := pick(cfg.gatewayURL, cfg.platform, "WithGatewayURL", "WithPlatform"); ok {
		return u, err
	}
	if u, ok, err := pick(cfg.getenv(EnvGatewayURL), cfg.getenv(EnvPlatform), EnvGatewayURL, EnvPlatform); ok {
		return u, err
	}
	return nil, fmt.Errorf("%w: no platform chosen: use WithPlatform or WithGatewayURL, or set %s or %s",
		ErrUnknownPlatform, EnvPlatform, EnvGatewayURL)
}

// credentials returns the configured credentials or those in the
// environment.
func (c *config) credentials() (userCredentials, error) {
	if c.creds != nil {
		return *c.creds, c.creds.validate()
	}
	return credentialsFromEnv(c.getenv)
}

// parseGatewayURLQuietly is parseGatewayURL for URLs from callers and the
// environment, whose errors must not echo user information: url.Parse
// quotes the whole URL in its errors, so "https://user:password@host" with
// one bad character would carry the password into the message. On failure
// the URL is parsed again with the user information replaced, and that
// error (same cause, same sentinels) is returned.
func parseGatewayURLQuietly(raw string, allowPlainLoopback bool) (*url.URL, error) {
	u, err := parseGatewayURL(raw, allowPlainLoopback)
	if err == nil {
		return u, nil
	}
	red, ok := redactUserinfo(raw)
	if !ok {
		return nil, err
	}
	if _, rerr := parseGatewayURL(red, allowPlainLoopback); rerr != nil {
		return nil, rerr
	}
	return nil, fmt.Errorf("qualys: gateway URL %q is not valid", truncate(red, 100))
}

// redactUserinfo replaces everything between the scheme (if any) and the
// last "@" with REDACTED; ok is false when s has no "@". It errs on the
// side of hiding too much: a password may itself hold "/", "?" or "#".
func redactUserinfo(s string) (string, bool) {
	at := strings.LastIndex(s, "@")
	if at < 0 {
		return s, false
	}
	start := 0
	if i := strings.Index(s, "://"); i >= 0 && i < strings.Index(s, "@") {
		start = i + 3
	}
	return s[:start] + "REDACTED" + s[at:], true
}
