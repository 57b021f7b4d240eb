package qualys_test

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"log"
	"log/slog"
	"net"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/qualyskit/qualys-go/qualystest"
	qualys "github.com/qualyskit/qualys-go/wrapper"
)

// TestSecretsNeverLeave runs success, retry, token-expiry, wrong-password
// and error paths with debug logging on, and checks that the password, the
// JWT and the /auth form never appear in the log, in any error, or in
// %v / %+v / %#v of the values a caller holds.
func TestSecretsNeverLeave(t *testing.T) {
	const password = "S3cr3t-Passw0rd!"
	sim := qualystest.NewServer(t, qualystest.WithCredentials("acme_ab12", password))
	var logs bytes.Buffer
	logger := slog.New(slog.NewJSONHandler(&logs, &slog.HandlerOptions{Level: slog.LevelDebug}))
	c := clientOf(t, sim, qualys.WithLogger(logger), qualys.WithMaxRetries(1))
	ctx := context.Background()
	var errs []error
	keep := func(err error) {
		if err != nil {
			errs = append(errs, err)
		}
	}
	_, err := collect(c.Policies(ctx, time.Time{})) // success
	keep(err)
	token, err := qualys.ClientToken(ctx, c)
	if err != nil || token == "" {
		t.Fatalf("token: %v", err)
	}
	sim.Fail("listPoliciesV2", qualystest.HTMLError(503)) // retried
	_, err = collect(c.Policies(ctx, time.Time{}))
	keep(err)
	sim.Fail("listPoliciesV2", qualystest.ExpiredToken(), qualystest.ExpiredToken()) // refresh, then a 401 error
	_, err = collect(c.Policies(ctx, time.Time{}))
	keep(err)
	echo := qualystest.Status(500, "<html>"+token+" password="+password+"</html>") // a server echoing secrets
	sim.Fail("searchJobs", echo, echo)
	for _, err := range c.Jobs(ctx) {
		keep(err)
	}
	wrong := clientOf(t, sim, qualys.WithCredentials("acme_ab12", password+"x"), qualys.WithLogger(logger))
	_, err = collect(wrong.Policies(ctx, time.Time{}))
	keep(err)
	if len(errs) < 3 {
		t.Fatalf("only %d error paths exercised: %v", len(errs), errs)
	}
	if !strings.Contains(logs.String(), "/pcrs/2.0/posture/policy/list") {
		t.Fatal("the debug log is empty: nothing was checked")
	}

	secrets := []string{password, password + "x", token, "password=" + password}
	var texts []string
	for _, e := range errs {
		texts = append(texts, e.Error(), fmt.Sprintf("%+v", e), fmt.Sprintf("%#v", e))
		var apiErr *qualys.APIError
		if errors.As(e, &apiErr) {
			texts = append(texts, fmt.Sprintf("%+v", *apiErr))
		}
	}
	creds := qualys.Credentials{Username: "acme_ab12", Password: password}
	texts = append(texts, logs.String(), fmt.Sprintf("%v %+v %#v", creds, creds, creds), fmt.Sprintf("%+v", c), fmt.Sprintf("%+v", qualys.ClientTokenSource(c)))
	for _, text := range texts {
		for _, s := range secrets {
			if strings.Contains(text, s) {
				t.Errorf("a secret leaks: %q contains %q", text, s)
			}
		}
	}
}

// TestAuthBodyNeverEchoed: a gateway that echoes the /auth form into its
// error page does not get the password into the error.
func TestAuthBodyNeverEchoed(t *testing.T) {
	const password = "Echo-Me-If-You-Can-42"
	srv := loopbackServer(t, nil, func(w http.ResponseWriter, r *http.Request) {
		body, _ := io.ReadAll(r.Body)
		form, _ := url.ParseQuery(string(body))
		w.WriteHeader(http.StatusUnauthorized)
		// The form as sent (caught by its password= shape) and the
		// password alone (caught only by the token source's scrubber).
		fmt.Fprintf(w, "bad login: %s (Authorization: %s); password %s rejected", body, r.Header.Get("Authorization"), form.Get("password"))
	})
	c, err := qualys.NewClient(qualys.WithGatewayURL(srv.URL), qualys.WithCredentials("acme_ab12", password), qualys.WithHTTPClient(srv.Client()))
	if err != nil {
		t.Fatal(err)
	}
	_, err = collect(c.Policies(context.Background(), time.Time{}))
	if err == nil || !errors.Is(err, qualys.ErrUnauthorized) {
		t.Fatalf("got %v", err)
	}
	if text := fmt.Sprintf("%v %+v", err, err); strings.Contains(text, password) {
		t.Errorf("the password leaks: %s", text)
	}
}

// TestPlainHTTPRefused: a plain-http gateway is refused unless it is
// loopback and the caller opted in; a certificate error is never skipped.
func TestPlainHTTPRefused(t *testing.T) {
	if _, err := qualys.NewClient(qualys.WithGatewayURL("http://gateway.example.com"), qualys.WithCredentials("u", "p")); !errors.Is(err, qualys.ErrInsecureTransport) {
		t.Errorf("plain http to a remote host: %v", err)
	}
	if _, err := qualys.NewClient(qualys.WithGatewayURL("http://gateway.example.com"), qualys.WithCredentials("u", "p"), qualys.WithPlainHTTPLoopback()); !errors.Is(err, qualys.ErrInsecureTransport) {
		t.Errorf("opt-in does not cover remote hosts: %v", err)
	}
	if _, err := qualys.NewClient(qualys.WithGatewayURL("http://127.0.0.1:8080"), qualys.WithCredentials("u", "p"), qualys.WithPlainHTTPLoopback()); err != nil {
		t.Errorf("loopback with opt-in: %v", err)
	}
	srv := httptest.NewUnstartedServer(http.NotFoundHandler())
	srv.Config.ErrorLog = log.New(io.Discard, "", 0) // the refused handshakes
	var handshakes atomic.Int32
	srv.Config.ConnState = func(_ net.Conn, state http.ConnState) {
		if state == http.StateNew {
			handshakes.Add(1)
		}
	}
	srv.StartTLS()
	defer srv.Close()
	c, err := qualys.NewClient(qualys.WithGatewayURL(srv.URL), qualys.WithCredentials("u", "p")) // default roots: the test CA is unknown
	if err != nil {
		t.Fatal(err)
	}
	_, err = collect(c.Policies(context.Background(), time.Time{}))
	if err == nil || !strings.Contains(err.Error(), "certificate") {
		t.Errorf("an untrusted certificate must fail, got %v", err)
	}
	if n := handshakes.Load(); n != 1 {
		t.Errorf("%d handshakes: a certificate error must not be retried", n)
	}
}
