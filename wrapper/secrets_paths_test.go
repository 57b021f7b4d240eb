package qualys_test

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"net/http/httputil"
	"os"
	"os/exec"
	"regexp"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/qualyskit/qualys-go/internal/syncbuf"
	"github.com/qualyskit/qualys-go/qualystest"
	qualys "github.com/qualyskit/qualys-go/wrapper"
)

// Secrets of the tests below: distinctive, so no check can match them by
// accident, and the same in a re-executed child process.
const (
	leakUser     = "acme_ab12"
	leakPassword = "Hunter2-Qz7!pw"
	leakWrong    = "Wr0ng-Hunter2-Qz7"
)

// jwtShape matches any JWT, so a child process whose tokens this process
// never saw can still be checked.
var jwtShape = regexp.MustCompile(`eyJ[A-Za-z0-9_-]{2,}\.[A-Za-z0-9_-]{2,}\.[A-Za-z0-9_-]*`)

// echoGateway is an HTTPS gateway on loopback that accepts leakUser /
// leakPassword at /auth, and answers every other request by echoing the
// whole request back (request line, headers with the Authorization
// bearer, body) in the status and shape the path asks for: the worst a
// misconfigured proxy or debug endpoint can do.
func echoGateway(t *testing.T) *httptest.Server {
	t.Helper()
	var n atomic.Int64
	return loopbackServer(t, func(w http.ResponseWriter, r *http.Request) {
		dump, _ := httputil.DumpRequest(r, true)
		_ = r.ParseForm()
		if r.PostForm.Get("password") != leakPassword {
			w.WriteHeader(http.StatusUnauthorized)
			fmt.Fprintf(w, "login failed for request:\n%s\npassword was %s", dump, r.PostForm.Get("password"))
			return
		}
		claims := fmt.Sprintf(`{"sub":%q,"exp":%d,"n":%d}`, leakUser, time.Now().Add(time.Hour).Unix(), n.Add(1))
		w.WriteHeader(http.StatusCreated)
		io.WriteString(w, jwtOf(claims))
	}, func(w http.ResponseWriter, r *http.Request) {
		dump, _ := httputil.DumpRequest(r, true)
		switch {
		case strings.Contains(r.URL.RawQuery, "status=401"):
			w.Header().Set("Content-Type", "application/json")
			w.WriteHeader(http.StatusUnauthorized)
			b, _ := json.Marshal(map[string]string{"error": "Unauthorized", "message": "JWT expired: " + string(dump)})
			w.Write(b)
		case strings.Contains(r.URL.RawQuery, "status=200"):
			w.Header().Set("Content-Type", "text/html")
			fmt.Fprintf(w, "<html><body><pre>%s</pre></body></html>", dump)
		default:
			w.Header().Set("Content-Type", "text/plain")
			w.WriteHeader(http.StatusBadGateway)
			w.Write(dump)
		}
	})
}

// leakChecker collects every text a caller could see and checks it for
// secrets.
type leakChecker struct {
	t       *testing.T
	secrets []string
	texts   []string
}

func (l *leakChecker) err(what string, err error) {
	l.t.Helper()
	if err == nil {
		l.t.Fatalf("%s: want an error", what)
	}
	l.texts = append(l.texts, what+": "+err.Error(), fmt.Sprintf("%v", err), fmt.Sprintf("%+v", err), fmt.Sprintf("%#v", err), fmt.Sprintf("%s", err))
	var apiErr *qualys.APIError
	if errors.As(err, &apiErr) {
		l.texts = append(l.texts, fmt.Sprintf("%+v", *apiErr), apiErr.Code, apiErr.Message)
	}
	// What a program that panics with the error prints.
	func() {
		defer func() { l.texts = append(l.texts, fmt.Sprint(recover())) }()
		panic(err)
	}()
}

func (l *leakChecker) check(extra ...string) {
	l.t.Helper()
	for _, text := range append(l.texts, extra...) {
		for _, s := range l.secrets {
			if strings.Contains(text, s) {
				l.t.Errorf("a secret leaks into %.300q", text)
			}
		}
		if m := jwtShape.FindString(text); m != "" {
			l.t.Errorf("a JWT leaks into %.300q", text)
		}
	}
}

// TestSecretsAcrossFailurePaths drives every failure path a caller meets
// (wrong credentials, expired tokens, 5xx and 401 bodies echoing the
// request, 2xx HTML echoing it, TLS failures, connection resets, bad
// gateway URLs) with a debug logger, and checks that neither password nor
// any JWT reaches an error (%v, %+v, %#v, %s, panic value) or the log.
func TestSecretsAcrossFailurePaths(t *testing.T) {
	ctx := context.Background()
	logs := &syncbuf.Buffer{}
	logger := slog.New(slog.NewTextHandler(logs, &slog.HandlerOptions{Level: slog.LevelDebug}))
	l := &leakChecker{t: t, secrets: []string{leakPassword, leakWrong, "Hunter2", "password=" + leakPassword}}

	// The simulator: wrong password, expired tokens, resets, non-JSON.
	sim := qualystest.NewServer(t, qualystest.WithCredentials(leakUser, leakPassword))
	newSim := func(password string, opts ...qualys.Option) *qualys.Client {
		return clientOf(t, sim, append([]qualys.Option{qualys.WithCredentials(leakUser, password),
			qualys.WithLogger(logger), qualys.WithBackoff(time.Millisecond, 2*time.Millisecond)}, opts...)...)
	}
	good := newSim(leakPassword, qualys.WithMaxRetries(0))
	if _, err := collect(good.Policies(ctx, time.Time{})); err != nil {
		t.Fatal(err)
	}
	token, _ := qualys.ClientToken(ctx, good)
	l.secrets = append(l.secrets, token)

	_, err := collect(newSim(leakWrong).Policies(ctx, time.Time{}))
	l.err("wrong password", err)
	sim.Fail("listPoliciesV2", qualystest.ExpiredToken(), qualystest.ExpiredToken())
	_, err = collect(good.Policies(ctx, time.Time{}))
	l.err("token expired twice", err)
	sim.Fail("listPoliciesV2", qualystest.Status(500, "<html><pre>GET /pcrs/2.0/posture/policy/list HTTP/1.1\r\nAuthorization: Bearer "+token+"\r\n</pre></html>"))
	_, err = collect(good.Policies(ctx, time.Time{}))
	l.err("500 echoing the request", err)
	sim.Fail("listPoliciesV2", qualystest.Status(200, "token="+token))
	_, err = collect(good.Policies(ctx, time.Time{}))
	l.err("200 text body echoing the token", err)
	sim.Fail("listPoliciesV2", qualystest.ResetAfterHeaders())
	_, err = collect(good.Policies(ctx, time.Time{}))
	l.err("connection reset after headers", err)
	sim.Fail("searchJobs", qualystest.ResetBeforeResponse())
	for _, err = range good.Jobs(ctx) {
		if err != nil {
			break
		}
	}
	l.err("connection reset before the response", err)
	sim.Fail("/auth", qualystest.Status(401, "bad login: username="+leakUser+"&password="+leakWrong))
	_, err = collect(newSim(leakWrong).Policies(ctx, time.Time{}))
	l.err("/auth 401 echoing the form", err)
	sim.Fail("/auth", qualystest.Status(200, "<html>"+leakPassword+"</html>"))
	_, err = collect(newSim(leakPassword).Policies(ctx, time.Time{}))
	l.err("/auth 200 with a page instead of a token", err)

	// TLS failures: an unknown CA, and https spoken to a plain HTTP server.
	untrusted, err := qualys.NewClient(qualys.WithGatewayURL(sim.URL), qualys.WithCredentials(leakUser, leakPassword), qualys.WithLogger(logger))
	if err != nil {
		t.Fatal(err)
	}
	_, err = collect(untrusted.Policies(ctx, time.Time{}))
	l.err("unknown certificate authority", err)
	plain := loopbackServer(t, nil, http.NotFound, plainHTTP())
	tlsToPlain, err := qualys.NewClient(qualys.WithGatewayURL(strings.Replace(plain.URL, "http://", "https://", 1)),
		qualys.WithCredentials(leakUser, leakPassword), qualys.WithLogger(logger), qualys.WithMaxRetries(0))
	if err != nil {
		t.Fatal(err)
	}
	_, err = collect(tlsToPlain.Policies(ctx, time.Time{}))
	l.err("TLS to a plain HTTP server", err)

	// A gateway echoing the whole request, Authorization header included.
	echo := echoGateway(t)
	newEcho := func(password string) *qualys.Client {
		c, err := qualys.NewClient(qualys.WithGatewayURL(echo.URL), qualys.WithCredentials(leakUser, password),
			qualys.WithHTTPClient(echo.Client()), qualys.WithLogger(logger), qualys.WithMaxRetries(1),
			qualys.WithBackoff(time.Millisecond, 2*time.Millisecond))
		if err != nil {
			t.Fatal(err)
		}
		return c
	}
	echoed := newEcho(leakPassword)
	for _, q := range []string{"status=502", "status=401", "status=200"} {
		resp, err := echoed.HTTPClient().Get(echo.URL + "/pcrs/1.0/posture/policy/list?" + q)
		if err != nil {
			t.Fatal(err)
		}
		body, _ := io.ReadAll(resp.Body)
		resp.Body.Close()
		if !bytes.Contains(body, []byte("Bearer ")) {
			t.Fatalf("%s: the gateway did not echo the request: %.200s", q, body)
		}
		if resp.StatusCode == http.StatusOK {
			l.err("2xx HTML echoing the request", fmt.Errorf("%w: %s", qualys.ErrUnexpectedBody, qualys.ParseErrorResponse(resp, body).Message))
			continue
		}
		l.err("HTTP "+q+" echoing the request", qualys.CheckResponse(resp, body))
	}
	_, err = collect(echoed.Policies(ctx, time.Time{}))
	l.err("typed call, 502 echoing the request", err)
	_, err = collect(newEcho(leakWrong).Policies(ctx, time.Time{}))
	l.err("/auth 401 echoing the request and the decoded password", err)

	// Gateway URLs with the password in their user information, broken in
	// ways that make url.Parse quote them.
	for _, raw := range []string{
		"https://" + leakUser + ":" + leakPassword + "@gate\x7fway.example.com",
		"https://" + leakUser + ":" + leakPassword + "@gateway.example.com/%zz",
		"https://" + leakUser + ":" + leakPassword + "@[::1",
		leakUser + ":" + leakPassword + "@gateway.example.com",
		"http://" + leakUser + ":" + leakPassword + "@gateway.example.com",
	} {
		_, err := qualys.NewClient(qualys.WithGatewayURL(raw), qualys.WithCredentials(leakUser, leakPassword))
		l.err("gateway URL "+fmt.Sprintf("%d", len(raw)), err)
		_, err = qualys.NewClient(qualys.WithPlatform(raw), qualys.WithCredentials(leakUser, leakPassword))
		l.err("platform "+fmt.Sprintf("%d", len(raw)), err)
		_, err = qualys.NewTokenSource(raw, qualys.Credentials{Username: leakUser, Password: leakPassword})
		l.err("token source URL", err)
	}

	if !strings.Contains(logs.String(), "/pcrs/1.0/posture/policy/list") || !strings.Contains(logs.String(), "qualys auth") {
		t.Fatalf("the debug log misses requests: nothing was checked:\n%s", logs.String())
	}
	l.check(logs.String(), fmt.Sprintf("%v %+v", good, qualys.ClientTransport(good)))
}

// TestHTTPSRequired: every way of naming a gateway refuses plain http
// (and other schemes) unless the host is loopback and the caller opted
// in; with the opt-in a loopback server works end to end; a redirect from
// the https gateway down to http is refused before anything is sent.
func TestHTTPSRequired(t *testing.T) {
	refused := []string{
		"http://gateway.example.com", "HTTP://gateway.example.com", "http://localhost.example.com",
		"http://127.0.0.1.nip.io", "http://10.0.0.1", "ws://127.0.0.1", "ftp://gateway.example.com",
		"gateway.example.com", "//gateway.example.com",
	}
	for _, raw := range refused {
		for _, optIn := range []bool{false, true} {
			opts := []qualys.Option{qualys.WithGatewayURL(raw), qualys.WithCredentials("u", "p")}
			if optIn {
				opts = append(opts, qualys.WithPlainHTTPLoopback())
			}
			if _, err := qualys.NewClient(opts...); err == nil {
				t.Errorf("%q (opt-in %v) accepted", raw, optIn)
			}
			if _, err := qualys.NewTransport(opts...); err == nil {
				t.Errorf("transport for %q (opt-in %v) accepted", raw, optIn)
			}
		}
		if _, err := qualys.NewTokenSource(raw, qualys.Credentials{Username: "u", Password: "p"}); err == nil {
			t.Errorf("token source for %q accepted", raw)
		}
	}
	for _, raw := range []string{"http://127.0.0.1:8080", "http://localhost:1", "http://[::1]:1", "http://127.9.9.9"} {
		if _, err := qualys.NewClient(qualys.WithGatewayURL(raw), qualys.WithCredentials("u", "p")); !errors.Is(err, qualys.ErrInsecureTransport) {
			t.Errorf("%q without the opt-in: %v, want ErrInsecureTransport", raw, err)
		}
		if _, err := qualys.NewClient(qualys.WithGatewayURL(raw), qualys.WithCredentials("u", "p"), qualys.WithPlainHTTPLoopback()); err != nil {
			t.Errorf("%q with the opt-in: %v", raw, err)
		}
	}

	// The opt-in works end to end against a plain loopback server.
	var plainAuth atomic.Int32
	plain := loopbackServer(t, func(w http.ResponseWriter, r *http.Request) {
		plainAuth.Add(1)
		w.WriteHeader(http.StatusCreated)
		io.WriteString(w, jwtOf(`{"sub":"u"}`))
	}, func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "application/json")
		io.WriteString(w, `{"subscriptionId":1,"policyList":[]}`)
	}, plainHTTP())
	c, err := qualys.NewClient(qualys.WithGatewayURL(plain.URL), qualys.WithCredentials("u", "p"), qualys.WithPlainHTTPLoopback())
	if err != nil {
		t.Fatal(err)
	}
	if _, err := collect(c.Policies(context.Background(), time.Time{})); err != nil || plainAuth.Load() != 1 {
		t.Errorf("plain loopback with the opt-in: %v, %d /auth calls", err, plainAuth.Load())
	}
	plain.CloseClientConnections()

	// A redirect from the https gateway down to plain http is refused by
	// the transport: the plain server sees nothing, token or request.
	var downgraded atomic.Int32
	sink := loopbackServer(t, nil, func(w http.ResponseWriter, r *http.Request) { downgraded.Add(1) }, plainHTTP())
	sim := qualystest.NewServer(t)
	redirector := loopbackServer(t, func(w http.ResponseWriter, r *http.Request) {
		w.WriteHeader(http.StatusCreated)
		io.WriteString(w, sim.Token())
	}, func(w http.ResponseWriter, r *http.Request) {
		http.Redirect(w, r, sink.URL+r.URL.Path, http.StatusFound)
	})
	rc, err := qualys.NewClient(qualys.WithGatewayURL(redirector.URL), qualys.WithCredentials("u", "p"), qualys.WithHTTPClient(redirector.Client()))
	if err != nil {
		t.Fatal(err)
	}
	_, err = collect(rc.Policies(context.Background(), time.Time{}))
	if !errors.Is(err, qualys.ErrInsecureTransport) {
		t.Errorf("redirect to plain http: %v, want ErrInsecureTransport", err)
	}
	if n := downgraded.Load(); n != 0 {
		t.Errorf("the plain http server received %d requests", n)
	}
}

// Child processes: the panic and test-output checks run code in a fresh
// copy of this test binary and read everything it prints.
const childEnv = "QUALYS_SECRETS_CHILD"

// TestSecretsChildPanic is the child of TestSecretsNotInPanics: it makes a
// wrong-password error and a 5xx echoing the token, then dies of an
// unrecovered panic with them, the way a careless program would.
func TestSecretsChildPanic(t *testing.T) {
	if os.Getenv(childEnv) != "panic" {
		t.Skip("run by TestSecretsNotInPanics")
	}
	sim := qualystest.NewServer(t, qualystest.WithCredentials(leakUser, leakPassword))
	c := clientOf(t, sim, qualys.WithMaxRetries(0))
	ctx := context.Background()
	token, err := qualys.ClientToken(ctx, c)
	if err != nil {
		t.Fatal(err)
	}
	sim.Fail("listPoliciesV2", qualystest.Status(503, "upstream said: Authorization: Bearer "+token))
	_, echoErr := collect(c.Policies(ctx, time.Time{}))
	wrong := clientOf(t, sim, qualys.WithCredentials(leakUser, leakWrong))
	_, wrongErr := collect(wrong.Policies(ctx, time.Time{}))
	if echoErr == nil || wrongErr == nil {
		t.Fatal("no errors to panic with")
	}
	fmt.Println("child: about to panic")
	panic(fmt.Errorf("sync failed: %w (and then %w) using %v", echoErr, wrongErr, qualys.Credentials{Username: leakUser, Password: leakPassword}))
}

// TestSecretsNotInPanics: what the Go runtime prints when a program dies
// of a panic carrying this package's errors and credentials holds neither
// password nor token.
func TestSecretsNotInPanics(t *testing.T) {
	if os.Getenv(childEnv) != "" {
		t.Skip("child process")
	}
	out := runChild(t, "panic", "^TestSecretsChildPanic$")
	if !strings.Contains(out, "panic: sync failed") || !strings.Contains(out, "child: about to panic") {
		t.Fatalf("the child did not panic as planned:\n%s", out)
	}
	checkChildOutput(t, out)
}

// TestSecretsNotInTestOutput re-runs the secret tests and the fault table
// verbosely in a child process and checks the whole output.
func TestSecretsNotInTestOutput(t *testing.T) {
	if os.Getenv(childEnv) != "" {
		t.Skip("child process")
	}
	if testing.Short() {
		t.Skip("re-runs other tests")
	}
	out := runChild(t, "output", "^(TestSecretsAcrossFailurePaths|TestSecretsNeverLeave|TestAuthBodyNeverEchoed|TestReliabilityContext)$")
	if !strings.Contains(out, "--- PASS: TestSecretsAcrossFailurePaths") || !strings.Contains(out, "\nPASS") {
		t.Fatalf("the child run failed:\n%s", out)
	}
	checkChildOutput(t, out)
}

func runChild(t *testing.T, mode, run string) string {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()
	cmd := exec.CommandContext(ctx, os.Args[0], "-test.run="+run, "-test.v", "-test.count=1")
	cmd.Env = append(os.Environ(), childEnv+"="+mode)
	out, _ := cmd.CombinedOutput() // a panic exits non-zero on purpose
	if ctx.Err() != nil {
		t.Fatalf("child %s timed out:\n%s", mode, out)
	}
	return string(out)
}

func checkChildOutput(t *testing.T, out string) {
	t.Helper()
	for _, s := range []string{leakPassword, leakWrong, "Hunter2"} {
		if strings.Contains(out, s) {
			t.Errorf("the child's output holds a secret %q:\n%s", s, out)
		}
	}
	if m := jwtShape.FindString(out); m != "" {
		t.Errorf("the child's output holds a JWT %q", m)
	}
}
