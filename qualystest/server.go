package qualystest

import (
	"crypto/tls"
	"errors"
	"fmt"
	"io"
	"log"
	"net"
	"net/http"
	"net/url"
	"os"
	"sync"
	"sync/atomic"
	"testing"
	"time"
)

// Server is a running simulator. Its methods are safe for concurrent use.
type Server struct {
	// URL is the base URL of the simulator, e.g. https://127.0.0.1:41234,
	// to use as the gateway URL of both APIs.
	URL string

	cfg     config
	host    string // URL host, used to route requests the way the specs' servers do
	ca      *authority
	srv     *http.Server
	client  *http.Client
	car     *apiSpec
	pcrs    *apiSpec
	tokens  *tokenIssuer
	limiter *rateLimiter
	faults  *faultQueues
	drifts  driftQueues
	latency atomic.Int64
	done    chan struct{}

	life   sync.Mutex // guards active and closed
	idle   *sync.Cond
	active int
	closed bool

	mu   sync.RWMutex // guards data and idx
	data *Data
	idx  *index

	stats     sync.Mutex // guards counts, respErrs and requested
	counts    map[string]int
	respErrs  []error
	requested map[PolicyHost]int // postureInfo requests per (policy, host)
}

// NewServer starts a simulator for a test and closes it when the test
// ends. If a response the simulator sent did not match the spec, the test
// fails then: that is a simulator bug, not a client one.
func NewServer(tb testing.TB, opts ...Option) *Server {
	tb.Helper()
	s, err := Start(opts...)
	if err != nil {
		tb.Fatalf("qualystest: %v", err)
	}
	tb.Cleanup(func() {
		s.Close()
		for _, err := range s.ResponseErrors() {
			tb.Errorf("qualystest: the simulator sent a response its spec rejects (a simulator bug): %v", err)
		}
	})
	return s
}

// Start starts a simulator outside a test, e.g. for a command that serves
// it; call Close when done.
func Start(opts ...Option) (*Server, error) {
	cfg := defaultConfig()
	for _, o := range opts {
		o(&cfg)
	}
	if err := cfg.check(); err != nil {
		return nil, err
	}
	data, err := Generate(cfg.generatorOptions()...)
	if err != nil {
		return nil, err
	}
	ln, err := net.Listen("tcp", cfg.addr)
	if err != nil {
		return nil, err
	}
	s, err := newServer(cfg, ln, data)
	if err != nil {
		ln.Close()
		return nil, err
	}
	return s, nil
}

func (c *config) check() error {
	switch {
	case c.username == "" || c.password == "":
		return errors.New("credentials must not be empty")
	case c.tokenTTL <= 0:
		return errors.New("token TTL must be positive")
	case c.rateLimit < 0 || (c.rateLimit > 0 && c.rateWindow < time.Second):
		return errors.New("rate limit needs n >= 0 and a window of at least a second")
	case c.validatedRecords < 0:
		return errors.New("validated records must not be negative")
	}
	return nil
}

func newServer(cfg config, ln net.Listener, data *Data) (*Server, error) {
	addr := ln.Addr().(*net.TCPAddr)
	host := addr.IP.String()
	if addr.IP.IsUnspecified() {
		host = "127.0.0.1"
	}
	base := "https://" + net.JoinHostPort(host, fmt.Sprint(addr.Port))
	ca, err := newAuthority(host)
	if err != nil {
		return nil, err
	}
	carSpec, pcrsSpec, err := loadSpecs(base)
	if err != nil {
		return nil, err
	}
	s := &Server{
		URL:     base,
		cfg:     cfg,
		host:    net.JoinHostPort(host, fmt.Sprint(addr.Port)),
		ca:      ca,
		car:     carSpec,
		pcrs:    pcrsSpec,
		tokens:  newTokenIssuer(cfg.tokenTTL),
		limiter: newRateLimiter(cfg.rateLimit, cfg.rateWindow),
		faults:  newFaultQueues(),
		done:    make(chan struct{}),
		data:    data,
		idx:     newIndex(data),
		counts:  map[string]int{},
	}
	s.idle = sync.NewCond(&s.life)
	s.latency.Store(int64(cfg.latency))
	s.client = &http.Client{Transport: &http.Transport{
		TLSClientConfig:     &tls.Config{RootCAs: ca.pool, MinVersion: tls.VersionTLS12},
		ForceAttemptHTTP2:   false,
		MaxIdleConnsPerHost: 16,
	}}
	s.srv = &http.Server{
		Handler: s,
		TLSConfig: &tls.Config{
			Certificates: []tls.Certificate{ca.leaf},
			MinVersion:   tls.VersionTLS12,
			// HTTP/1.1 only: postureInfo is documented as a chunked
			// stream, and the connection faults need a connection to
			// hijack.
			NextProtos: []string{"http/1.1"},
		},
		TLSNextProto:      map[string]func(*http.Server, *tls.Conn, http.Handler){},
		ReadHeaderTimeout: 30 * time.Second,
		// Handshake errors from clients that do not trust the CA are the
		// client's business; they would only clutter test output.
		ErrorLog: log.New(io.Discard, "", 0),
	}
	go s.srv.ServeTLS(ln, "", "")
	return s, nil
}

// Close stops the simulator: it closes the listener and every connection
// and returns once every request handler has finished.
func (s *Server) Close() {
	s.life.Lock()
	if s.closed {
		s.life.Unlock()
		return
	}
	s.closed = true
	s.life.Unlock()

	// Close the connections first, then wake sleeping handlers: a handler
	// woken while its connection is still open would answer it.
	s.srv.Close()
	close(s.done)
	s.client.CloseIdleConnections()
	s.life.Lock()
	for s.active > 0 {
		s.idle.Wait()
	}
	s.life.Unlock()
}

// enter registers a request handler; false once Close has begun.
func (s *Server) enter() bool {
	s.life.Lock()
	defer s.life.Unlock()
	if s.closed {
		return false
	}
	s.active++
	return true
}

func (s *Server) leave() {
	s.life.Lock()
	s.active--
	if s.active == 0 {
		s.idle.Broadcast()
	}
	s.life.Unlock()
}

// Client returns an HTTP client that trusts the simulator's certificate.
// It is shared by every caller; Close closes its idle connections.
func (s *Server) Client() *http.Client { return s.client }

// CACertPEM returns the PEM certificate of the simulator's throw-away
// certificate authority, for clients configured by file or by pool.
func (s *Server) CACertPEM() []byte { return append([]byte(nil), s.ca.caPEM...) }

// WriteCAFile writes CACertPEM to path (mode 0644), e.g. for
// SSL_CERT_FILE or curl --cacert.
func (s *Server) WriteCAFile(path string) error {
	return os.WriteFile(path, s.ca.caPEM, 0o644)
}

// Username returns the user name /auth accepts.
func (s *Server) Username() string { return s.cfg.username }

// Password returns the password /auth accepts.
func (s *Server) Password() string { return s.cfg.password }

// SetLatency changes the delay added to every request (see WithLatency).
func (s *Server) SetLatency(d time.Duration) { s.latency.Store(int64(d)) }

// Data returns a deep copy of the data the simulator currently serves, to
// compare with what a client read. Script executions and the CAR
// configuration calls change it; Update replaces it.
func (s *Server) Data() *Data {
	s.mu.RLock()
	defer s.mu.RUnlock()
	return s.data.Clone()
}

// Update changes the served data: fn gets a private copy, which replaces
// the current data when fn returns. Requests already streaming keep the
// data they started with.
func (s *Server) Update(fn func(d *Data)) {
	s.mu.Lock()
	defer s.mu.Unlock()
	d := s.data.Clone()
	fn(d)
	s.data, s.idx = d, newIndex(d)
}

// snapshot returns the current data and its index for a read-only handler.
// PCRS data only changes through Update, which swaps both, so a handler
// may keep using them after the lock is released.
func (s *Server) snapshot() (*Data, *index) {
	s.mu.RLock()
	defer s.mu.RUnlock()
	return s.data, s.idx
}

// Count returns how many requests reached the operation, named by its
// operationId (e.g. "executeScript", "getPostureInfoV5") or by its path
// (e.g. "/auth"), whatever happened to them: faulted, refused or served.
func (s *Server) Count(op string) int {
	s.stats.Lock()
	defer s.stats.Unlock()
	return s.counts[op]
}

// Counts returns the request count of every operation and path seen.
func (s *Server) Counts() map[string]int {
	s.stats.Lock()
	defer s.stats.Unlock()
	m := make(map[string]int, len(s.counts))
	for k, v := range s.counts {
		m[k] = v
	}
	return m
}

// ResponseErrors returns every response the simulator sent that its spec
// rejects. Any entry is a simulator bug; NewServer fails the test on it.
func (s *Server) ResponseErrors() []error {
	s.stats.Lock()
	defer s.stats.Unlock()
	return append([]error(nil), s.respErrs...)
}

func (s *Server) recordResponseError(err error) {
	s.stats.Lock()
	defer s.stats.Unlock()
	s.respErrs = append(s.respErrs, err)
}

func (s *Server) count(keys ...string) {
	s.stats.Lock()
	defer s.stats.Unlock()
	seen := map[string]bool{}
	for _, k := range keys {
		if k != "" && !seen[k] {
			seen[k] = true
			s.counts[k]++
		}
	}
}

// sleep waits d, or less if the request or the server ends first; false
// means it was cut short.
func (s *Server) sleep(r *http.Request, d time.Duration) bool {
	if d <= 0 {
		return true
	}
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-t.C:
		return true
	case <-r.Context().Done():
		return false
	case <-s.done:
		return false
	}
}

// sleepOrAbort sleeps d; when the client or the server goes away first, it
// abandons the request without a response (net/http would otherwise send
// an empty 200 for a handler that returns without writing).
func (s *Server) sleepOrAbort(r *http.Request, d time.Duration) {
	if !s.sleep(r, d) {
		panic(http.ErrAbortHandler)
	}
}

// routingRequest is r as the routers expect it: an absolute URL on the
// simulator's own host, whatever name the client used to reach it.
func (s *Server) routingRequest(r *http.Request) *http.Request {
	r2 := r.Clone(r.Context())
	r2.Host = s.host
	u := *r.URL
	u.Scheme, u.Host = "https", s.host
	r2.URL = &url.URL{Scheme: u.Scheme, Host: u.Host, Path: u.Path, RawPath: u.RawPath, RawQuery: u.RawQuery}
	return r2
}
