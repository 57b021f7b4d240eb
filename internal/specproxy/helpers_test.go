package specproxy_test

import (
	"bufio"
	"bytes"
	"compress/gzip"
	"encoding/json"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/qualyskit/qualys-go/internal/specproxy"
	"github.com/qualyskit/qualys-go/internal/syncbuf"
	"github.com/qualyskit/qualys-go/qualystest"
)

// harness is a proxy on loopback in front of an upstream, with its report
// and logs captured.
type harness struct {
	url    string
	report *syncbuf.Buffer
	logs   *syncbuf.Buffer
	client *http.Client
	active sync.WaitGroup
}

// newHarness starts a proxy in front of upstream, reached with transport.
func newHarness(t *testing.T, upstream string, transport http.RoundTripper, strict bool) *harness {
	t.Helper()
	return newProxyHarness(t, upstream, transport, strict, &syncbuf.Buffer{})
}

// proxyOption changes the proxy's options, e.g. its size limits.
type proxyOption func(*specproxy.Options)

// newProxyHarness starts a proxy in front of upstream, reached with
// transport, that writes its findings to report.
func newProxyHarness(t testing.TB, upstream string, transport http.RoundTripper, strict bool, report *syncbuf.Buffer, opts ...proxyOption) *harness {
	t.Helper()
	h := &harness{report: report, logs: &syncbuf.Buffer{}}
	o := specproxy.Options{
		Upstream:  upstream,
		Report:    h.report,
		Strict:    strict,
		Transport: transport,
		Logger:    slog.New(slog.NewTextHandler(h.logs, &slog.HandlerOptions{Level: slog.LevelDebug})),
	}
	for _, opt := range opts {
		opt(&o)
	}
	p, err := specproxy.New(o)
	if err != nil {
		t.Fatal(err)
	}
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		h.active.Add(1)
		defer h.active.Done()
		p.ServeHTTP(w, r)
	}))
	t.Cleanup(srv.Close)
	h.url = srv.URL
	h.client = srv.Client()
	return h
}

// simHarness is a proxy in front of a fresh simulator.
func simHarness(t *testing.T, strict bool, opts ...qualystest.Option) (*harness, *qualystest.Server) {
	t.Helper()
	sim := qualystest.NewServer(t, opts...)
	return newHarness(t, sim.URL, sim.Client().Transport, strict), sim
}

// settle waits until no exchange is in flight: every finding of the
// requests made so far is then in the report.
func (h *harness) settle(t testing.TB) {
	t.Helper()
	done := make(chan struct{})
	go func() { h.active.Wait(); close(done) }()
	select {
	case <-done:
	case <-time.After(30 * time.Second):
		t.Fatal("the proxy did not finish its exchanges within 30 s")
	}
}

// do sends one request through the proxy and returns status and body.
func (h *harness) do(t *testing.T, method, path string, header http.Header, body string) (int, []byte) {
	t.Helper()
	req, err := http.NewRequest(method, h.url+path, strings.NewReader(body))
	if err != nil {
		t.Fatal(err)
	}
	for k, v := range header {
		req.Header[k] = v
	}
	resp, err := h.client.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	raw, err := io.ReadAll(resp.Body)
	if err != nil {
		t.Fatal(err)
	}
	h.settle(t)
	return resp.StatusCode, raw
}

// findings parses the report strictly: every line one Finding with every
// field of the report format.
func (h *harness) findings(t *testing.T) []specproxy.Finding {
	t.Helper()
	var out []specproxy.Finding
	sc := bufio.NewScanner(strings.NewReader(h.report.String()))
	for sc.Scan() {
		var keys map[string]json.RawMessage
		if err := json.Unmarshal(sc.Bytes(), &keys); err != nil {
			t.Fatalf("report line %q: %v", sc.Text(), err)
		}
		for _, k := range []string{"time", "operation", "direction", "status", "pointer", "rule", "message"} {
			if _, ok := keys[k]; !ok {
				t.Errorf("report line %q has no %q", sc.Text(), k)
			}
		}
		if len(keys) != 7 {
			t.Errorf("report line %q: want exactly the 7 report fields", sc.Text())
		}
		var f specproxy.Finding
		if err := json.Unmarshal(sc.Bytes(), &f); err != nil {
			t.Fatal(err)
		}
		out = append(out, f)
	}
	return out
}

func bearer(token string) http.Header {
	return http.Header{"Authorization": {"Bearer " + token}, "Content-Type": {"application/json"}}
}

// newTLSUpstream is an HTTPS upstream on loopback answering with h.
func newTLSUpstream(t *testing.T, h http.HandlerFunc) *httptest.Server {
	t.Helper()
	s := httptest.NewTLSServer(h)
	t.Cleanup(s.Close)
	return s
}

// gzipBytes is s gzipped.
func gzipBytes(t *testing.T, s string) []byte {
	t.Helper()
	var b bytes.Buffer
	zw := gzip.NewWriter(&b)
	if _, err := zw.Write([]byte(s)); err != nil {
		t.Fatal(err)
	}
	if err := zw.Close(); err != nil {
		t.Fatal(err)
	}
	return b.Bytes()
}
