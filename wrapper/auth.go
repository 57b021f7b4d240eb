package qualys

import (
	"bytes"
	"cmp"
	"context"
	"encoding/base64"
	"encoding/json"
	"errors"
	"fmt"
	"html"
	"io"
	"log/slog"
	"math"
	"net/http"
	"net/url"
	"os"
	"sort"
	"strings"
	"sync"
	"time"
	"unicode/utf8"
)

// ErrMissingCredentials is wrapped when a username or password is missing.
var ErrMissingCredentials = errors.New("qualys: missing credentials")

// Environment variables read by credentialsFromEnvironment.
const (
	EnvUsername = "QUALYS_USERNAME"
	EnvPassword = "QUALYS_PASSWORD"
)

// defaultTokenLifetime is how long Qualys gateway tokens are valid; used
// when a token carries no exp claim.
const defaultTokenLifetime = 4 * time.Hour

// defaultRefreshMargin is how long before expiry a token is replaced, so a
// request never leaves with a token about to die in flight.
const defaultRefreshMargin = 5 * time.Minute

// maxAuthBody bounds what is read from /auth; a JWT is a few KB.
const maxAuthBody = 64 << 10

const redacted = "[REDACTED]"

// userCredentials are a Qualys username and password. Every way of printing
// them (fmt verbs, slog, JSON) hides the password.
type userCredentials struct {
	Username string
	Password string
}

// credentialsFromEnvironment reads QUALYS_USERNAME and QUALYS_PASSWORD. The error
// names the variables that are missing or empty, never their values.
func credentialsFromEnvironment() (userCredentials, error) {
	return credentialsFromEnv(os.Getenv)
}

func credentialsFromEnv(getenv func(string) string) (userCredentials, error) {
	c := userCredentials{Username: getenv(EnvUsername), Password: getenv(EnvPassword)}
	var missing []string
	if c.Username == "" {
		missing = append(missing, EnvUsername)
	}
	if c.Password == "" {
		missing = append(missing, EnvPassword)
	}
	if len(missing) > 0 {
		return userCredentials{}, fmt.Errorf("%w: %s not set", ErrMissingCredentials, strings.Join(missing, " and "))
	}
	return c, nil
}

// validate names the missing fields.
func (c userCredentials) validate() error {
	switch {
	case c.Username == "" && c.Password == "":
		return fmt.Errorf("%w: username and password are empty", ErrMissingCredentials)
	case c.Username == "":
		return fmt.Errorf("%w: username is empty", ErrMissingCredentials)
	case c.Password == "":
		return fmt.Errorf("%w: password is empty", ErrMissingCredentials)
	}
	return nil
}

func (c userCredentials) maskedPassword() string {
	if c.Password == "" {
		return `""`
	}
	return redacted
}

// String shows the username and hides the password.
func (c userCredentials) String() string {
	return fmt.Sprintf("{Username:%q Password:%s}", c.Username, c.maskedPassword())
}

// GoString is String with the type name, for %#v.
func (c userCredentials) GoString() string {
	return fmt.Sprintf("qualys.userCredentials{Username:%q, Password:%s}", c.Username, c.maskedPassword())
}

// Format routes every fmt verb through String or GoString, so that no verb
// (%v, %+v, %x, ...) can print the password.
func (c userCredentials) Format(f fmt.State, verb rune) {
	if verb == 'v' && f.Flag('#') {
		io.WriteString(f, c.GoString())
		return
	}
	io.WriteString(f, c.String())
}

// LogValue hides the password from log/slog.
func (c userCredentials) LogValue() slog.Value {
	return slog.GroupValue(slog.String("username", c.Username), slog.String("password", c.maskedPassword()))
}

// MarshalJSON hides the password, so a configuration dump cannot leak it.
// userCredentials are therefore not meant to be stored as JSON.
func (c userCredentials) MarshalJSON() ([]byte, error) {
	return json.Marshal(struct {
		Username string `json:"username"`
		Password string `json:"password"`
	}{c.Username, c.maskedPassword()})
}

// jwtSource obtains gateway JWTs with POST /auth, caches them, and
// replaces them shortly before they expire. It is safe for concurrent use:
// however many goroutines ask at once, one /auth request is made. A token
// belongs to the gateway it was minted for (GatewayURL) and the transport
// sends it to that scheme, host and port only.
type jwtSource struct {
	gateway *url.URL
	authURL string
	creds   userCredentials
	client  *http.Client
	margin  time.Duration
	timeout time.Duration // bound on one /auth request
	logger  *slog.Logger
	now     func() time.Time

	mu        sync.Mutex
	token     string
	refreshAt time.Time
	inflight  *refreshCall
}

// refreshCall is one /auth request that concurrent callers share.
type refreshCall struct {
	done  chan struct{}
	token string
	err   error
}

// defaultAuthTimeout bounds one /auth request when WithAttemptTimeout does
// not: a token is a few KB, and a request that hangs must not hold every
// caller waiting for it.
const defaultAuthTimeout = 30 * time.Second

// newTokenSourceFor returns a jwtSource for the gateway at gatewayURL (see
// Platform.GatewayURL). It uses WithHTTPClient, WithLogger,
// WithTokenRefreshMargin and WithPlainHTTPLoopback from opts and ignores
// the rest. No request is made until Token is called.
func newTokenSourceFor(gatewayURL string, creds userCredentials, opts ...Option) (*jwtSource, error) {
	cfg, err := newConfig(opts...)
	if err != nil {
		return nil, err
	}
	u, err := parseGatewayURLQuietly(gatewayURL, cfg.plainHTTPLoopback)
	if err != nil {
		return nil, err
	}
	return newTokenSource(cfg, u, creds)
}

func newTokenSource(cfg *config, gateway *url.URL, creds userCredentials) (*jwtSource, error) {
	if err := creds.validate(); err != nil {
		return nil, err
	}
	// /auth must not follow redirects: a 307 or 308 would re-send the
	// password to wherever the Location header points.
	client := *cfg.baseClient()
	client.CheckRedirect = func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }
	return &jwtSource{
		gateway: gateway,
		authURL: gateway.String() + "/auth",
		creds:   creds,
		client:  &client,
		margin:  cfg.refreshMargin,
		timeout: cmp.Or(cfg.attemptTimeout, defaultAuthTimeout),
		logger:  cfg.logger,
		now:     cfg.now,
	}, nil
}

// Format prints the gateway and user only: the password and the token
// stay out of %v, %+v and %#v, and so out of logs and panics.
func (s *jwtSource) Format(f fmt.State, verb rune) {
	fmt.Fprintf(f, "qualys.jwtSource{gateway: %s, username: %s}", s.gateway, s.creds.Username)
}

// GatewayURL is the gateway the tokens are minted for and may be sent to.
func (s *jwtSource) GatewayURL() string { return s.gateway.String() }

// Token returns a valid token, fetching a new one when none is cached or
// the cached one is within the refresh margin of its expiry.
//
// The /auth request runs on its own, bounded by the attempt timeout
// (WithAttemptTimeout, else 30 s) and not by the context of the caller
// that happened to start it; every caller waits for it only as long as its
// own ctx allows. So a caller giving up does not fail the others, and a
// request that never answers holds nobody past the attempt timeout, after
// which the next caller asks again.
func (s *jwtSource) Token(ctx context.Context) (string, error) {
	s.mu.Lock()
	if s.token != "" && s.now().Before(s.refreshAt) {
		tok := s.token
		s.mu.Unlock()
		return tok, nil
	}
	c := s.inflight
	if c == nil {
		c = &refreshCall{done: make(chan struct{})}
		s.inflight = c
		go s.refresh(context.WithoutCancel(ctx), c)
	}
	s.mu.Unlock()
	select {
	case <-c.done:
		return c.token, c.err
	case <-ctx.Done():
		return "", ctx.Err()
	}
}

// refresh performs one shared /auth request under its own timeout.
func (s *jwtSource) refresh(ctx context.Context, c *refreshCall) {
	ctx, cancel := context.WithTimeout(ctx, s.timeout)
	tok, refreshAt, err := s.fetch(ctx)
	if err != nil && ctx.Err() != nil {
		err = fmt.Errorf("qualys: POST /auth: no answer within the attempt timeout of %s: %w", s.timeout, err)
	}
	cancel()
	s.mu.Lock()
	s.inflight = nil
	if err == nil {
		s.token, s.refreshAt = tok, refreshAt
	}
	c.token, c.err = tok, err
	s.mu.Unlock()
	close(c.done)
}

// Invalidate drops token if it is still the cached one, so the next Token
// call fetches a new one. Call it after a 401. Passing the token that was
// rejected (rather than clearing unconditionally) means that many requests
// failing with the same old token cause one refresh, not one each.
func (s *jwtSource) Invalidate(token string) {
	if token == "" {
		return
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.token == token {
		s.token = ""
		s.refreshAt = time.Time{}
	}
}

// fetch performs POST /auth.
func (s *jwtSource) fetch(ctx context.Context) (token string, refreshAt time.Time, err error) {
	form := url.Values{"username": {s.creds.Username}, "password": {s.creds.Password}, "token": {"true"}}
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, s.authURL, strings.NewReader(form.Encode()))
	if err != nil {
		return "", time.Time{}, fmt.Errorf("qualys: POST /auth: %w", err)
	}
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	start := s.now()
	resp, err := s.client.Do(req)
	if err != nil {
		// net/http quotes malformed responses in its errors: server text.
		err = scrubError("qualys: POST /auth: ", err, s.scrub)
		s.log(ctx, "qualys auth failed", slog.String("error", err.Error()), slog.Duration("duration", s.now().Sub(start)))
		return "", time.Time{}, err
	}
	defer resp.Body.Close()
	body, readErr := io.ReadAll(io.LimitReader(resp.Body, maxAuthBody+1))
	received := s.now()
	s.log(ctx, "qualys auth", slog.Int("status", resp.StatusCode), slog.Duration("duration", received.Sub(start)))

	if resp.StatusCode != http.StatusOK && resp.StatusCode != http.StatusCreated {
		// Every field, headers included, goes through the scrubber with
		// the password: a gateway may echo it anywhere.
		apiErr := parseErrorScrubbed(resp, body, s.scrub)
		apiErr.Operation = "POST /auth"
		return "", time.Time{}, apiErr
	}
	if readErr != nil {
		return "", time.Time{}, scrubError("qualys: POST /auth: reading the token: ", readErr, s.scrub)
	}
	tok := strings.Trim(strings.TrimSpace(string(body)), `"`)
	if !validToken(tok) || len(body) > maxAuthBody {
		// Never echo the body: if it is some form of token, it must not
		// reach an error message.
		return "", time.Time{}, fmt.Errorf("qualys: POST /auth: HTTP %d returned %d bytes of %q that are not a token",
			resp.StatusCode, len(body), scrubServerText(resp.Header.Get("Content-Type"), 100, s.scrub))
	}
	return tok, s.refreshTime(tok, received), nil
}

// scrub removes the password from server text, in case a server echoes
// the form back: as sent (form-encoded), as typed, escaped for JSON or
// HTML, and as error messages print it (white space collapsed). It runs
// on the body before parsing, so that truncating a long message cannot
// leave part of the password, and on the parsed code and message.
func (s *jwtSource) scrub(msg string) string {
	pw := s.creds.Password
	if pw == "" {
		return msg
	}
	var forms []string
	for _, secret := range secretParts(pw) {
		forms = append(forms, encodedForms(secret)...)
	}
	// Longest first, so a form that contains another is removed whole.
	sort.Slice(forms, func(i, j int) bool { return len(forms[i]) > len(forms[j]) })
	for _, f := range forms {
		if f != "" {
			msg = strings.ReplaceAll(msg, f, redacted)
		}
	}
	return msg
}

// secretParts is the password and, when it is not valid UTF-8, each run
// of valid text in it of at least three bytes: a server that re-encodes
// the password replaces or merges the invalid bytes, and what is left of
// the password must not show.
func secretParts(pw string) []string {
	parts := []string{pw}
	if utf8.ValidString(pw) {
		return parts
	}
	start := 0
	for i := 0; i < len(pw); {
		r, size := utf8.DecodeRuneInString(pw[i:])
		if r == utf8.RuneError && size <= 1 {
			if i-start >= 3 {
				parts = append(parts, pw[start:i])
			}
			start = i + 1
		}
		i += max(size, 1)
	}
	if len(pw)-start >= 3 {
		parts = append(parts, pw[start:])
	}
	return parts
}

// encodedForms lists the ways a server may write a secret back: as is,
// URL-, JSON- and HTML-escaped, and as this package's sanitizer prints it.
func encodedForms(secret string) []string {
	jsonEsc, _ := json.Marshal(secret)
	var plain bytes.Buffer
	enc := json.NewEncoder(&plain)
	enc.SetEscapeHTML(false)
	_ = enc.Encode(secret)
	return []string{
		secret,
		url.QueryEscape(secret),
		url.PathEscape(secret),
		strings.Trim(string(jsonEsc), `"`),
		strings.Trim(strings.TrimSpace(plain.String()), `"`),
		html.EscapeString(secret),
		sanitize(secret, len(secret)),
		// A server's own JSON encoder may keep bytes that are not UTF-8
		// as they are, where encoding/json writes U+FFFD.
		jsonEscapeBytes(secret),
	}
}

// jsonEscapeBytes escapes s as a JSON string body byte by byte: quotes,
// backslashes and control characters only, everything else verbatim.
func jsonEscapeBytes(s string) string {
	var b strings.Builder
	for i := 0; i < len(s); i++ {
		switch c := s[i]; {
		case c == '"' || c == '\\':
			b.WriteByte('\\')
			b.WriteByte(c)
		case c < 0x20:
			fmt.Fprintf(&b, `\u%04x`, c)
		default:
			b.WriteByte(c)
		}
	}
	return b.String()
}

func (s *jwtSource) log(ctx context.Context, msg string, attrs ...slog.Attr) {
	if s.logger == nil {
		return
	}
	attrs = append([]slog.Attr{slog.String("method", http.MethodPost), slog.String("path", "/auth")}, attrs...)
	s.logger.LogAttrs(ctx, slog.LevelDebug, msg, attrs...)
}

// validToken accepts printable ASCII without spaces, so the token is safe
// in a header and an HTML page or JSON error is not mistaken for one.
func validToken(tok string) bool {
	if tok == "" || tok[0] == '<' || tok[0] == '{' || tok[0] == '[' {
		return false
	}
	for i := 0; i < len(tok); i++ {
		if tok[i] <= ' ' || tok[i] > '~' {
			return false
		}
	}
	return true
}

// refreshTime decides when to replace tok. The signature is not verified:
// the claims are only a hint for scheduling, and the server stays the
// judge (a 401 still triggers a refresh).
//
// With both exp and iat, the lifetime exp-iat is measured from when the
// token arrived, which makes the schedule immune to clock skew between
// client and gateway. With exp alone, exp is used if it lies ahead. Else
// the documented 4-hour lifetime is assumed.
func (s *jwtSource) refreshTime(tok string, received time.Time) time.Time {
	expiry := received.Add(defaultTokenLifetime)
	exp, iat, hasExp, hasIat := jwtTimes(tok)
	switch {
	case hasExp && hasIat && exp > iat:
		expiry = received.Add(secondsDuration(exp - iat))
	case hasExp:
		if t := time.Unix(0, 0).Add(secondsDuration(exp)); t.After(received) {
			expiry = t
		}
	}
	at := expiry.Add(-s.margin)
	if !at.After(received) {
		// A margin longer than the lifetime would refresh on every call.
		at = received.Add(expiry.Sub(received) / 2)
	}
	return at
}

func secondsDuration(sec float64) time.Duration {
	if sec > math.MaxInt64/float64(time.Second) {
		return math.MaxInt64
	}
	return time.Duration(sec * float64(time.Second))
}

// jwtTimes reads the exp and iat claims (seconds since the epoch) from the
// payload of a JWT.
func jwtTimes(tok string) (exp, iat float64, hasExp, hasIat bool) {
	parts := strings.Split(tok, ".")
	if len(parts) != 3 {
		return 0, 0, false, false
	}
	payload, err := base64.RawURLEncoding.DecodeString(strings.TrimRight(parts[1], "="))
	if err != nil {
		return 0, 0, false, false
	}
	var claims struct {
		Exp *json.Number `json:"exp"`
		Iat *json.Number `json:"iat"`
	}
	if json.Unmarshal(payload, &claims) != nil {
		return 0, 0, false, false
	}
	if claims.Exp != nil {
		if v, err := claims.Exp.Float64(); err == nil && v > 0 {
			exp, hasExp = v, true
		}
	}
	if claims.Iat != nil {
		if v, err := claims.Iat.Float64(); err == nil && v > 0 {
			iat, hasIat = v, true
		}
	}
	return exp, iat, hasExp, hasIat
}
