package qualys

// What this package's tests build their gateways, clients and transports
// from. The external tests (package qualys_test) have their own in
// helpers_external_test.go: the two test packages cannot see each other's
// test files, and these helpers need the unexported seams (the clock, the
// environment, the transport) that only this package can reach.

import (
	"bytes"
	"context"
	"encoding/base64"
	"encoding/json"
	"fmt"
	"io"
	"iter"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"
	"time"
)

const (
	testUser = "acme_ab12"
	testPass = "Pa55-w0rd-XYZZY" // distinctive, so leak checks cannot match by accident
)

// makeJWT builds an unsigned-looking JWT with the given claims; the
// signature is never checked.
func makeJWT(claims map[string]any) string {
	enc := base64.RawURLEncoding
	payload, _ := json.Marshal(claims)
	return enc.EncodeToString([]byte(`{"alg":"RS256","typ":"JWT"}`)) + "." + enc.EncodeToString(payload) + ".c2lnbmF0dXJl"
}

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

// withEnv replaces the process environment for resolveGateway and
// credentials, so tests neither read nor need real variables.
func withEnv(env map[string]string) Option {
	return func(c *config) { c.getenv = func(k string) string { return env[k] } }
}

// withRealSleep restores real, context-aware sleeping after withFakeClock.
func withRealSleep() Option {
	return func(c *config) { c.sleep = sleepContext }
}

// collect ranges over a sequence to its end or first error.
func collect[T any](seq iter.Seq2[T, error]) ([]T, error) {
	var recs []T
	for r, err := range seq {
		if err != nil {
			return recs, err
		}
		recs = append(recs, r)
	}
	return recs, nil
}

// authHandler answers the n-th /auth request of a testServer.
type authHandler func(w http.ResponseWriter, r *http.Request, n int)

// testServer is a gateway on loopback (HTTPS unless withPlainHTTP): /auth
// checks the login form and issues a JWT valid for four hours by the
// server's clock (or answers with the authHandler set), and every other
// path goes to api (404 when api is nil). It counts requests per path.
type testServer struct {
	*httptest.Server
	t          testing.TB
	clk        *fakeClock // nil: real time
	user, pass string     // the login /auth expects and clients send
	http2      bool
	plain      bool

	mu     sync.Mutex
	counts map[string]int
	issued []string
	auth   authHandler
	api    http.HandlerFunc
}

// serverOption chooses a testServer variant.
type serverOption func(*testServer)

// withClock dates the tokens the server issues by c, and has its token
// sources use c.
func withClock(c *fakeClock) serverOption { return func(s *testServer) { s.clk = c } }

// withAuth answers /auth with f instead of issuing tokens.
func withAuth(f authHandler) serverOption { return func(s *testServer) { s.auth = f } }

// withLogin sets the username and password /auth expects and the
// server's clients send (default testUser, testPass).
func withLogin(user, pass string) serverOption {
	return func(s *testServer) { s.user, s.pass = user, pass }
}

// withHTTP2 serves HTTP/2 as well as HTTP/1.1.
func withHTTP2() serverOption { return func(s *testServer) { s.http2 = true } }

// withPlainHTTP serves plain HTTP; clients opt into it for loopback.
func withPlainHTTP() serverOption { return func(s *testServer) { s.plain = true } }

func newTestServer(t testing.TB, api http.HandlerFunc, opts ...serverOption) *testServer {
	t.Helper()
	s := &testServer{t: t, user: testUser, pass: testPass, counts: map[string]int{}, api: api}
	for _, o := range opts {
		o(s)
	}
	s.Server = httptest.NewUnstartedServer(http.HandlerFunc(s.serve))
	switch {
	case s.plain:
		s.Start()
	default:
		s.EnableHTTP2 = s.http2
		s.StartTLS()
	}
	t.Cleanup(s.Close)
	return s
}

func (s *testServer) serve(w http.ResponseWriter, r *http.Request) {
	if r.URL.Path == "/auth" {
		s.checkLogin(r)
	}
	s.mu.Lock()
	s.counts[r.URL.Path]++
	n := s.counts[r.URL.Path]
	auth := s.auth
	s.mu.Unlock()
	switch {
	case r.URL.Path != "/auth" && s.api == nil:
		http.NotFound(w, r)
	case r.URL.Path != "/auth":
		s.api(w, r)
	case auth != nil:
		auth(w, r, n)
	default:
		now := time.Now()
		if s.clk != nil {
			now = s.clk.Now()
		}
		tok := makeJWT(map[string]any{"sub": s.user, "n": n, "iat": now.Unix(), "exp": now.Add(4 * time.Hour).Unix()})
		s.mu.Lock()
		s.issued = append(s.issued, tok)
		s.mu.Unlock()
		w.Header().Set("Content-Type", "text/plain;charset=UTF-8")
		w.WriteHeader(http.StatusCreated)
		fmt.Fprint(w, tok)
	}
}

// checkLogin fails the test unless r is the form Qualys documents for
// /auth, with the expected login and no Authorization header. It never
// prints the password.
func (s *testServer) checkLogin(r *http.Request) {
	if r.Method != http.MethodPost || r.Header.Get("Content-Type") != "application/x-www-form-urlencoded" {
		s.t.Errorf("/auth: method %s, content type %q", r.Method, r.Header.Get("Content-Type"))
	}
	if err := r.ParseForm(); err != nil {
		s.t.Errorf("/auth: %v", err)
	}
	if f := r.PostForm; f.Get("username") != s.user || f.Get("password") != s.pass || f.Get("token") != "true" {
		s.t.Errorf("/auth: unexpected form: username %q, token %q, fields %d, password as expected: %v",
			f.Get("username"), f.Get("token"), len(f), f.Get("password") == s.pass)
	}
	if r.Header.Get("Authorization") != "" {
		s.t.Errorf("/auth: carries an Authorization header")
	}
}

// setAuth answers /auth with f from now on (nil: issue tokens).
func (s *testServer) setAuth(f authHandler) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.auth = f
}

// count is the number of requests path received.
func (s *testServer) count(path string) int {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.counts[path]
}

// tokens are the tokens /auth issued, oldest first.
func (s *testServer) tokens() []string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return append([]string(nil), s.issued...)
}

// options point a client or transport at the server: its URL, its login
// and an HTTP client that trusts its certificate.
func (s *testServer) options() []Option {
	opts := []Option{WithGatewayURL(s.URL), WithCredentials(s.user, s.pass), WithHTTPClient(s.Client())}
	if s.plain {
		opts = append(opts, WithPlainHTTPLoopback())
	}
	return opts
}

// client is a Client of the server with millisecond backoff; opts come
// last and win.
func (s *testServer) client(t testing.TB, opts ...Option) *Client {
	t.Helper()
	base := append(s.options(), WithBackoff(time.Millisecond, 2*time.Millisecond))
	c, err := NewClient(append(base, opts...)...)
	if err != nil {
		t.Fatal(err)
	}
	return c
}

// tokenSource is a token source for the server, on its clock if it has
// one.
func (s *testServer) tokenSource(t testing.TB, opts ...Option) *jwtSource {
	t.Helper()
	base := []Option{WithHTTPClient(s.Client())}
	if s.clk != nil {
		base = append(base, withFakeClock(s.clk))
	}
	ts, err := newTokenSourceFor(s.URL, userCredentials{s.user, s.pass}, append(base, opts...)...)
	if err != nil {
		t.Fatal(err)
	}
	return ts
}

// apiCall is one request the test gateway's API side received.
type apiCall struct {
	Method, Path, Auth, Body string
}

// apiRecorder answers API requests from a script: the n-th request gets
// steps[n], and the last step repeats.
type apiRecorder struct {
	mu    sync.Mutex
	calls []apiCall
	steps []http.HandlerFunc
}

func (a *apiRecorder) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	body, _ := io.ReadAll(r.Body)
	a.mu.Lock()
	a.calls = append(a.calls, apiCall{r.Method, r.URL.Path, r.Header.Get("Authorization"), string(body)})
	n := len(a.calls) - 1
	step := a.steps[min(n, len(a.steps)-1)]
	a.mu.Unlock()
	step(w, r)
}

func (a *apiRecorder) Calls() []apiCall {
	a.mu.Lock()
	defer a.mu.Unlock()
	return append([]apiCall(nil), a.calls...)
}

// harness is an authTransport on a fake clock, talking to a testServer
// whose API side answers from a script of steps.
type harness struct {
	gw  *testServer
	api *apiRecorder
	clk *fakeClock
	tr  *authTransport
	hc  *http.Client
}

func newHarness(t *testing.T, steps []http.HandlerFunc, opts ...Option) *harness {
	t.Helper()
	h := &harness{clk: newFakeClock(), api: &apiRecorder{steps: steps}}
	h.gw = newTestServer(t, h.api.ServeHTTP, withClock(h.clk))
	base := append(h.gw.options(), withEnv(nil), withFakeClock(h.clk), WithBackoff(time.Millisecond, 8*time.Millisecond))
	tr, err := newAuthTransport(append(base, opts...)...)
	if err != nil {
		t.Fatal(err)
	}
	h.tr, h.hc = tr, tr.Client()
	return h
}

// do sends one request with an in-memory body (so GetBody is set).
func (h *harness) do(t *testing.T, method, path, body string) (*http.Response, string, error) {
	t.Helper()
	return h.doCtx(context.Background(), t, method, path, body)
}

func (h *harness) doCtx(ctx context.Context, t *testing.T, method, path, body string) (*http.Response, string, error) {
	t.Helper()
	var rd io.Reader
	if body != "" {
		rd = strings.NewReader(body)
	}
	req, err := http.NewRequestWithContext(ctx, method, h.gw.URL+path, rd)
	if err != nil {
		t.Fatal(err)
	}
	resp, err := h.hc.Do(req)
	if err != nil {
		return nil, "", err
	}
	defer resp.Body.Close()
	b, err := io.ReadAll(resp.Body)
	return resp, string(b), err
}

// memoryGateway answers /auth and postureInfo from memory, so the
// benchmarks measure the client, not a network.
type memoryGateway struct{ body []byte }

func (m memoryGateway) RoundTrip(r *http.Request) (*http.Response, error) {
	if r.Body != nil {
		io.Copy(io.Discard, r.Body)
		r.Body.Close()
	}
	resp := &http.Response{StatusCode: 200, Header: http.Header{}, Request: r, ProtoMajor: 1, ProtoMinor: 1}
	if strings.HasSuffix(r.URL.Path, "/auth") {
		resp.StatusCode = 201
		resp.Body = io.NopCloser(strings.NewReader("eyJhbGciOiJub25lIn0.eyJzdWIiOiJiZW5jaCJ9.sig"))
		return resp, nil
	}
	resp.Header.Set("Content-Type", "application/json")
	resp.Body = io.NopCloser(bytes.NewReader(m.body))
	return resp, nil
}

// benchClient is a Client whose gateway is a memoryGateway answering
// postureInfo with body.
func benchClient(b *testing.B, body []byte) *Client {
	b.Helper()
	c, err := NewClient(WithGatewayURL("https://gateway.qualys.test"),
		WithCredentials("bench", "bench-password"),
		WithHTTPClient(&http.Client{Transport: memoryGateway{body: body}}),
		WithPCRSRateLimit(0, 0))
	if err != nil {
		b.Fatal(err)
	}
	return c
}
