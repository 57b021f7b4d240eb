package qualys

import (
	"bytes"
	"context"
	"encoding/base64"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"net/http"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"
)

func TestTokenSourceFetchesAndCaches(t *testing.T) {
	g := newTestServer(t, nil, withClock(newFakeClock()))
	ts := g.tokenSource(t)
	ctx := context.Background()
	tok, err := ts.Token(ctx)
	if err != nil {
		t.Fatal(err)
	}
	again, err := ts.Token(ctx)
	if err != nil {
		t.Fatal(err)
	}
	if tok != again || tok != g.tokens()[0] || g.count("/auth") != 1 {
		t.Fatalf("token %q then %q after %d /auth calls", tok, again, g.count("/auth"))
	}
	if ts.GatewayURL() != g.URL {
		t.Errorf("GatewayURL = %s, want %s", ts.GatewayURL(), g.URL)
	}
}

func TestTokenSourceAccepts200(t *testing.T) {
	g := newTestServer(t, nil, withClock(newFakeClock()))
	g.setAuth(func(w http.ResponseWriter, _ *http.Request, _ int) {
		fmt.Fprint(w, "  opaque-token-200\n") // no JWT structure: 4 h assumed
	})
	tok, err := g.tokenSource(t).Token(context.Background())
	if err != nil || tok != "opaque-token-200" {
		t.Fatalf("Token = %q, %v", tok, err)
	}
}

func TestTokenSourceRefreshSchedule(t *testing.T) {
	cases := []struct {
		name    string
		claims  func(now time.Time) map[string]any // nil: an opaque token
		margin  time.Duration                      // 0: default
		stillOK time.Duration                      // cached at this age
		renewed time.Duration                      // replaced at this age
	}{
		{"exp and iat: lifetime minus margin", func(now time.Time) map[string]any {
			return map[string]any{"iat": now.Unix(), "exp": now.Add(time.Hour).Unix()}
		}, 0, 54 * time.Minute, 56 * time.Minute},
		{"no exp: 4 h minus margin", func(now time.Time) map[string]any {
			return map[string]any{"sub": "x"}
		}, 0, 3*time.Hour + 54*time.Minute, 3*time.Hour + 56*time.Minute},
		{"opaque token: 4 h", nil, 0, 3*time.Hour + 54*time.Minute, 3*time.Hour + 56*time.Minute},
		{"exp only", func(now time.Time) map[string]any {
			return map[string]any{"exp": now.Add(30 * time.Minute).Unix()}
		}, 0, 24 * time.Minute, 26 * time.Minute},
		{"exp as text", func(now time.Time) map[string]any {
			return map[string]any{"exp": fmt.Sprint(now.Add(30 * time.Minute).Unix())}
		}, 0, 24 * time.Minute, 26 * time.Minute},
		{"server clock 10 h behind: lifetime from iat", func(now time.Time) map[string]any {
			return map[string]any{"iat": now.Add(-10 * time.Hour).Unix(), "exp": now.Add(-6 * time.Hour).Unix()}
		}, 0, 3*time.Hour + 54*time.Minute, 3*time.Hour + 56*time.Minute},
		{"exp in the past, no iat: 4 h", func(now time.Time) map[string]any {
			return map[string]any{"exp": now.Add(-time.Hour).Unix()}
		}, 0, 3*time.Hour + 54*time.Minute, 3*time.Hour + 56*time.Minute},
		{"custom margin", func(now time.Time) map[string]any {
			return map[string]any{"iat": now.Unix(), "exp": now.Add(time.Hour).Unix()}
		}, 20 * time.Minute, 39 * time.Minute, 41 * time.Minute},
		{"margin longer than lifetime: half the lifetime", func(now time.Time) map[string]any {
			return map[string]any{"iat": now.Unix(), "exp": now.Add(time.Hour).Unix()}
		}, 2 * time.Hour, 29 * time.Minute, 31 * time.Minute},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			clk := newFakeClock()
			g := newTestServer(t, nil, withClock(clk))
			g.setAuth(func(w http.ResponseWriter, _ *http.Request, n int) {
				tok := fmt.Sprintf("opaque-%d", n)
				if tc.claims != nil {
					c := tc.claims(clk.Now())
					c["n"] = n
					tok = makeJWT(c)
				}
				w.WriteHeader(http.StatusCreated)
				fmt.Fprint(w, tok)
			})
			var opts []Option
			if tc.margin > 0 {
				opts = append(opts, WithTokenRefreshMargin(tc.margin))
			}
			ts := g.tokenSource(t, opts...)
			ctx := context.Background()
			first, err := ts.Token(ctx)
			if err != nil {
				t.Fatal(err)
			}
			clk.Advance(tc.stillOK)
			if tok, _ := ts.Token(ctx); tok != first || g.count("/auth") != 1 {
				t.Fatalf("at %s: token replaced (%d /auth calls)", tc.stillOK, g.count("/auth"))
			}
			clk.Advance(tc.renewed - tc.stillOK)
			if tok, _ := ts.Token(ctx); tok == first || g.count("/auth") != 2 {
				t.Fatalf("at %s: token not replaced (%d /auth calls)", tc.renewed, g.count("/auth"))
			}
		})
	}
}

func TestTokenSourceInvalidate(t *testing.T) {
	g := newTestServer(t, nil, withClock(newFakeClock()))
	ts := g.tokenSource(t)
	ctx := context.Background()
	first, _ := ts.Token(ctx)

	ts.Invalidate("some-other-token") // not the current one: no effect
	ts.Invalidate("")
	if tok, _ := ts.Token(ctx); tok != first || g.count("/auth") != 1 {
		t.Fatalf("stale Invalidate forced a refresh")
	}
	ts.Invalidate(first)
	second, _ := ts.Token(ctx)
	if second == first || g.count("/auth") != 2 {
		t.Fatalf("Invalidate(current) did not force a refresh")
	}
	// Late callers still holding the first token must not discard the
	// second one.
	ts.Invalidate(first)
	if tok, _ := ts.Token(ctx); tok != second || g.count("/auth") != 2 {
		t.Fatalf("Invalidate(old) discarded the new token")
	}
}

func TestTokenSourceSingleFlight(t *testing.T) {
	g := newTestServer(t, nil, withClock(newFakeClock()))
	release := make(chan struct{})
	g.setAuth(func(w http.ResponseWriter, _ *http.Request, n int) {
		<-release // hold the refresh open while the others pile up
		w.WriteHeader(http.StatusCreated)
		fmt.Fprintf(w, "token-%d", n)
	})
	ts := g.tokenSource(t)

	const n = 50
	var wg sync.WaitGroup
	results := make([]string, n)
	errs := make([]error, n)
	for i := range n {
		wg.Go(func() { results[i], errs[i] = ts.Token(context.Background()) })
	}
	time.Sleep(20 * time.Millisecond) // let the goroutines reach Token; the assertion holds either way
	close(release)
	wg.Wait()
	for i := range n {
		if errs[i] != nil || results[i] != "token-1" {
			t.Fatalf("goroutine %d: %q, %v", i, results[i], errs[i])
		}
	}
	if g.count("/auth") != 1 {
		t.Fatalf("%d /auth requests, want exactly 1", g.count("/auth"))
	}
}

func TestTokenSourceSingleFlightFailure(t *testing.T) {
	g := newTestServer(t, nil, withClock(newFakeClock()))
	release := make(chan struct{})
	g.setAuth(func(w http.ResponseWriter, _ *http.Request, _ int) {
		<-release
		w.WriteHeader(http.StatusUnauthorized)
		fmt.Fprint(w, `{"authentication_exceptions":[["Bad credentials"]]}`)
	})
	ts := g.tokenSource(t)
	var wg sync.WaitGroup
	errs := make([]error, 20)
	for i := range errs {
		wg.Go(func() { _, errs[i] = ts.Token(context.Background()) })
	}
	time.Sleep(20 * time.Millisecond)
	close(release)
	wg.Wait()
	for i, err := range errs {
		if !errors.Is(err, ErrUnauthorized) {
			t.Fatalf("goroutine %d: %v", i, err)
		}
	}
	// Failures are not cached: callers that arrive after the failed
	// refresh make their own attempt, so 20 callers make 1 to 20 requests
	// depending on timing; with the release delay almost always 1.
	if c := g.count("/auth"); c < 1 || c > len(errs) {
		t.Fatalf("%d /auth requests", c)
	}
}

// TestTokenSourceAbandonedRefresh: the caller that started a refresh gives
// up; the request goes on for the others, who get its token, and no second
// request is made.
func TestTokenSourceAbandonedRefresh(t *testing.T) {
	g := newTestServer(t, nil, withClock(newFakeClock()))
	firstArrived := make(chan struct{})
	release := make(chan struct{})
	g.setAuth(func(w http.ResponseWriter, r *http.Request, n int) {
		if n == 1 {
			close(firstArrived)
			select {
			case <-release:
			case <-r.Context().Done():
				return // cancelled with its first caller: the defect
			}
		}
		w.WriteHeader(http.StatusCreated)
		fmt.Fprintf(w, "token-%d", n)
	})
	ts := g.tokenSource(t)

	leaderCtx, cancel := context.WithCancel(context.Background())
	leaderErr := make(chan error, 1)
	go func() {
		_, err := ts.Token(leaderCtx)
		leaderErr <- err
	}()
	<-firstArrived
	waiter := make(chan string, 1)
	go func() {
		tok, err := ts.Token(context.Background())
		if err != nil {
			t.Errorf("waiter inherited the leader's failure: %v", err)
		}
		waiter <- tok
	}()
	cancel()
	if err := <-leaderErr; !errors.Is(err, context.Canceled) {
		t.Fatalf("leader: %v", err)
	}
	close(release)
	if tok := <-waiter; tok != "token-1" {
		t.Fatalf("waiter got %q, want the token of the request its leader abandoned", tok)
	}
	if c := g.count("/auth"); c != 1 {
		t.Fatalf("%d /auth requests, want 1", c)
	}
}

func TestTokenSourceWaiterContext(t *testing.T) {
	g := newTestServer(t, nil, withClock(newFakeClock()))
	release := make(chan struct{})
	arrived := make(chan struct{})
	g.setAuth(func(w http.ResponseWriter, _ *http.Request, n int) {
		close(arrived)
		<-release
		w.WriteHeader(http.StatusCreated)
		fmt.Fprintf(w, "token-%d", n)
	})
	ts := g.tokenSource(t)
	go ts.Token(context.Background())
	<-arrived
	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Millisecond)
	defer cancel()
	if _, err := ts.Token(ctx); !errors.Is(err, context.DeadlineExceeded) {
		t.Fatalf("waiter: %v", err)
	}
	close(release)
}

func TestTokenSourceErrors(t *testing.T) {
	cases := []struct {
		name   string
		status int
		ctype  string
		body   string
		is     error
		apiErr bool
	}{
		{"bad credentials", 401, "application/json",
			`{"authentication_exceptions":[["Invalid credentials for user acme_ab12 with password ` + testPass + `"]]}`,
			ErrUnauthorized, true},
		{"gateway 401", 401, "application/json", `{"status":401,"error":"Unauthorized","message":"Not authenticated"}`, ErrUnauthorized, true},
		{"not found", 404, "text/html", `<html><body>Not Found</body></html>`, ErrNotFound, true},
		{"server error", 503, "", ``, ErrServer, true},
		{"HTML with 200", 200, "text/html", `<html><body>Maintenance</body></html>`, nil, false},
		{"JSON with 201", 201, "application/json", `{"token":"x"}`, nil, false},
		{"empty 201", 201, "text/plain", ``, nil, false},
		{"token with spaces", 201, "text/plain", `abc def`, nil, false},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			g := newTestServer(t, nil, withClock(newFakeClock()))
			g.setAuth(func(w http.ResponseWriter, _ *http.Request, _ int) {
				if tc.ctype != "" {
					w.Header().Set("Content-Type", tc.ctype)
				}
				w.WriteHeader(tc.status)
				fmt.Fprint(w, tc.body)
			})
			tok, err := g.tokenSource(t).Token(context.Background())
			if err == nil || tok != "" {
				t.Fatalf("Token = %q, %v", tok, err)
			}
			if tc.is != nil && !errors.Is(err, tc.is) {
				t.Errorf("err = %v, want %v", err, tc.is)
			}
			var apiErr *APIError
			if errors.As(err, &apiErr) != tc.apiErr {
				t.Errorf("err %v: *APIError %v, want %v", err, apiErr != nil, tc.apiErr)
			}
			if apiErr != nil && apiErr.Operation != "POST /auth" {
				t.Errorf("Operation = %q", apiErr.Operation)
			}
			for _, s := range []string{fmt.Sprint(err), fmt.Sprintf("%+v", err), fmt.Sprintf("%#v", err)} {
				if strings.Contains(s, testPass) {
					t.Errorf("error shows the password: %s", s)
				}
				if tc.name == "token with spaces" && strings.Contains(s, "abc def") {
					t.Errorf("error shows the body: %s", s)
				}
			}
		})
	}
}

func TestTokenSourceDoesNotFollowRedirects(t *testing.T) {
	var elsewhere atomic.Int32
	other := newTestServer(t, func(w http.ResponseWriter, r *http.Request) {
		elsewhere.Add(1)
	})
	g := newTestServer(t, nil, withClock(newFakeClock()))
	g.setAuth(func(w http.ResponseWriter, r *http.Request, _ int) {
		http.Redirect(w, r, other.URL+"/steal", http.StatusTemporaryRedirect)
	})
	_, err := g.tokenSource(t).Token(context.Background())
	var apiErr *APIError
	if !errors.As(err, &apiErr) || apiErr.StatusCode != http.StatusTemporaryRedirect {
		t.Fatalf("err = %v", err)
	}
	if elsewhere.Load() != 0 {
		t.Fatal("the credentials followed the redirect")
	}
}

func TestNewTokenSourceValidates(t *testing.T) {
	if _, err := newTokenSourceFor("http://gateway.example.com", userCredentials{testUser, testPass}); !errors.Is(err, ErrInsecureTransport) {
		t.Errorf("http gateway: %v", err)
	}
	if _, err := newTokenSourceFor("http://127.0.0.1:1", userCredentials{testUser, testPass}, WithPlainHTTPLoopback()); err != nil {
		t.Errorf("loopback http with opt-in: %v", err)
	}
	for _, c := range []userCredentials{{}, {Username: testUser}, {Password: testPass}} {
		_, err := newTokenSourceFor("https://gateway.example.com", c)
		if !errors.Is(err, ErrMissingCredentials) || strings.Contains(err.Error(), testPass) {
			t.Errorf("%v: %v", c, err)
		}
	}
	if _, err := newTokenSourceFor("https://gateway.example.com", userCredentials{testUser, testPass}, WithMaxRetries(-1)); err == nil {
		t.Error("invalid option accepted")
	}
}

func TestCredentialsNeverPrintPassword(t *testing.T) {
	c := userCredentials{Username: testUser, Password: testPass}
	var out []string
	for _, f := range []string{"%v", "%+v", "%#v", "%s", "%q", "%x", "%X", "%d", "%T %v"} {
		out = append(out, fmt.Sprintf(f, c), fmt.Sprintf(f, &c))
	}
	out = append(out, c.String(), c.GoString(), fmt.Sprint(c), fmt.Sprintln(c), fmt.Sprintf("%v", []userCredentials{c}),
		fmt.Sprintf("%+v", struct{ C userCredentials }{c}))
	var logBuf bytes.Buffer
	for _, h := range []slog.Handler{slog.NewTextHandler(&logBuf, nil), slog.NewJSONHandler(&logBuf, nil)} {
		slog.New(h).Info("creds", "c", c, "p", &c)
	}
	out = append(out, logBuf.String())
	j, err := json.Marshal(c)
	if err != nil {
		t.Fatal(err)
	}
	out = append(out, string(j))
	for _, s := range out {
		if strings.Contains(s, testPass) {
			t.Errorf("password printed: %s", s)
		}
	}
	if got := fmt.Sprintf("%v", c); got != `{Username:"acme_ab12" Password:[REDACTED]}` {
		t.Errorf("%%v = %s", got)
	}
	if got := fmt.Sprintf("%#v", c); got != `qualys.userCredentials{Username:"acme_ab12", Password:[REDACTED]}` {
		t.Errorf("%%#v = %s", got)
	}
	if got := fmt.Sprintf("%v", userCredentials{Username: "u"}); !strings.Contains(got, `Password:""`) {
		t.Errorf("empty password not shown as empty: %s", got)
	}
}

func TestCredentialsFromEnv(t *testing.T) {
	cases := []struct {
		user, pass string
		wantErr    string
	}{
		{testUser, testPass, ""},
		{testUser, "", "QUALYS_PASSWORD not set"},
		{"", testPass, "QUALYS_USERNAME not set"},
		{"", "", "QUALYS_USERNAME and QUALYS_PASSWORD not set"},
	}
	for _, tc := range cases {
		t.Setenv(EnvUsername, tc.user)
		t.Setenv(EnvPassword, tc.pass)
		c, err := credentialsFromEnvironment()
		if tc.wantErr == "" {
			if err != nil || c != (userCredentials{testUser, testPass}) {
				t.Errorf("got %v, %v", c, err)
			}
			continue
		}
		if !errors.Is(err, ErrMissingCredentials) || !strings.Contains(err.Error(), tc.wantErr) {
			t.Errorf("err = %v, want %q", err, tc.wantErr)
		}
		if strings.Contains(err.Error(), testPass) || strings.Contains(err.Error(), testUser) {
			t.Errorf("error shows a value: %v", err)
		}
	}
}

func TestJWTTimes(t *testing.T) {
	enc := base64.URLEncoding // padded: still accepted
	tok := "h." + enc.EncodeToString([]byte(`{"exp":1700000000.5,"iat":1699985600}`)) + ".s"
	exp, iat, hasExp, hasIat := jwtTimes(tok)
	if !hasExp || !hasIat || exp != 1700000000.5 || iat != 1699985600 {
		t.Fatalf("got %v %v %v %v", exp, iat, hasExp, hasIat)
	}
	for _, bad := range []string{"", "a.b", "a.!!!.c", "a." + enc.EncodeToString([]byte(`[1]`)) + ".c", "a." + enc.EncodeToString([]byte(`{"exp":"soon"}`)) + ".c"} {
		if _, _, hasExp, hasIat := jwtTimes(bad); hasExp || hasIat {
			t.Errorf("jwtTimes(%q) found claims", bad)
		}
	}
}
