package qualys_test

// What the external tests build their simulators, servers and clients
// from. The internal tests (package qualys) have their own in
// helpers_test.go: the two test packages cannot see each other's test
// files, and these tests use only what a caller of the package can.

import (
	"encoding/base64"
	"io"
	"iter"
	"log"
	"net/http"
	"net/http/httptest"
	"testing"
	"time"

	"go.uber.org/goleak"

	"github.com/qualyskit/qualys-go/qualystest"
	qualys "github.com/qualyskit/qualys-go/wrapper"
)

// TestMain fails the package when a test leaves a goroutine behind:
// iterators that stop early, cancelled streams and abandoned token
// refreshes must all clean up after themselves.
func TestMain(m *testing.M) {
	goleak.VerifyTestMain(m)
}

// collect ranges over a sequence to its end or first error.
func collect[T any](seq iter.Seq2[T, error]) ([]T, error) {
	var out []T
	for v, err := range seq {
		if err != nil {
			return out, err
		}
		out = append(out, v)
	}
	return out, nil
}

// clientOf is a client of sim with sim's login and HTTP client; opts come
// last and win.
func clientOf(t testing.TB, sim *qualystest.Server, opts ...qualys.Option) *qualys.Client {
	t.Helper()
	base := []qualys.Option{qualys.WithGatewayURL(sim.URL), qualys.WithCredentials(sim.Username(), sim.Password()),
		qualys.WithHTTPClient(sim.Client())}
	c, err := qualys.NewClient(append(base, opts...)...)
	if err != nil {
		t.Fatal(err)
	}
	return c
}

// simClient starts a simulator for the test and returns a client of it
// with fastRetries.
func simClient(t testing.TB, simOpts []qualystest.Option, opts ...qualys.Option) (*qualys.Client, *qualystest.Server) {
	t.Helper()
	sim := qualystest.NewServer(t, simOpts...)
	return clientOf(t, sim, append([]qualys.Option{fastRetries()}, opts...)...), sim
}

// fastRetries is millisecond backoff, so that faults cost no time.
func fastRetries() qualys.Option { return qualys.WithBackoff(time.Millisecond, 5*time.Millisecond) }

// loopbackOption chooses a loopbackServer variant.
type loopbackOption func(*loopbackConfig)

type loopbackConfig struct{ plain bool }

// plainHTTP serves plain HTTP instead of HTTPS.
func plainHTTP() loopbackOption { return func(c *loopbackConfig) { c.plain = true } }

// loopbackServer is an HTTPS server on loopback (plain HTTP with
// plainHTTP) whose /auth goes to auth, when set, and every other path to
// api. Its error log, full of the resets and refused handshakes the tests
// cause, is discarded.
func loopbackServer(t testing.TB, auth, api http.HandlerFunc, opts ...loopbackOption) *httptest.Server {
	t.Helper()
	var cfg loopbackConfig
	for _, o := range opts {
		o(&cfg)
	}
	srv := httptest.NewUnstartedServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if auth != nil && r.URL.Path == "/auth" {
			auth(w, r)
			return
		}
		api(w, r)
	}))
	srv.Config.ErrorLog = log.New(io.Discard, "", 0)
	if cfg.plain {
		srv.Start()
	} else {
		srv.StartTLS()
	}
	t.Cleanup(srv.Close)
	return srv
}

// jwtOf builds an unsigned-looking JWT with the given claims (JSON).
func jwtOf(claims string) string {
	enc := base64.RawURLEncoding.EncodeToString
	return enc([]byte(`{"alg":"RS256","typ":"JWT"}`)) + "." + enc([]byte(claims)) + ".c2lnbmF0dXJlLW5vdC1jaGVja2Vk"
}
