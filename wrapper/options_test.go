package qualys

import (
	"errors"
	"net/http"
	"strings"
	"testing"
	"time"
)

func TestResolveGateway(t *testing.T) {
	cases := []struct {
		name    string
		opts    []Option
		env     map[string]string
		want    string
		wantErr error
	}{
		{"platform option", []Option{WithPlatform("eu1")}, nil, "https://gateway.qg1.apps.qualys.eu", nil},
		{"platform option by URL", []Option{WithPlatform("https://qualysapi.qualys.com/")}, nil, "https://gateway.qg1.apps.qualys.com", nil},
		{"gateway option wins over platform option", []Option{WithPlatform("US1"), WithGatewayURL("https://gw.private.example/")}, nil,
			"https://gw.private.example", nil},
		{"options win over environment", []Option{WithPlatform("US3")},
			map[string]string{EnvGatewayURL: "https://gw.private.example", EnvPlatform: "EU2"}, "https://gateway.qg3.apps.qualys.com", nil},
		{"environment platform", nil, map[string]string{EnvPlatform: "ksa1"}, "https://gateway.qg1.apps.qualysksa.com", nil},
		{"environment gateway wins over environment platform", nil,
			map[string]string{EnvPlatform: "US1", EnvGatewayURL: "https://gw.private.example"}, "https://gw.private.example", nil},
		{"nothing chosen", nil, nil, "", ErrUnknownPlatform},
		{"unknown platform", []Option{WithPlatform("US9")}, nil, "", ErrUnknownPlatform},
		{"unknown platform in environment", nil, map[string]string{EnvPlatform: "Mars1"}, "", ErrUnknownPlatform},
		{"http gateway", []Option{WithGatewayURL("http://gw.private.example")}, nil, "", ErrInsecureTransport},
		{"http gateway in environment", nil, map[string]string{EnvGatewayURL: "http://gw.private.example"}, "", ErrInsecureTransport},
		{"loopback http with opt-in", []Option{WithGatewayURL("http://127.0.0.1:8080"), WithPlainHTTPLoopback()}, nil, "http://127.0.0.1:8080", nil},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			cfg, err := newConfig(append(tc.opts, withEnv(tc.env))...)
			if err != nil {
				t.Fatal(err)
			}
			u, err := resolveGateway(cfg)
			if tc.wantErr != nil {
				if !errors.Is(err, tc.wantErr) {
					t.Fatalf("err = %v, want %v", err, tc.wantErr)
				}
				return
			}
			if err != nil || u.String() != tc.want {
				t.Fatalf("got %v, %v; want %s", u, err, tc.want)
			}
		})
	}
}

func TestResolveGatewayErrorNamesSource(t *testing.T) {
	cfg, _ := newConfig(withEnv(map[string]string{EnvPlatform: "nowhere"}))
	_, err := resolveGateway(cfg)
	if err == nil || !strings.Contains(err.Error(), EnvPlatform) {
		t.Fatalf("err = %v", err)
	}
	cfg, _ = newConfig(withEnv(nil))
	_, err = resolveGateway(cfg)
	for _, s := range []string{"WithPlatform", "WithGatewayURL", EnvPlatform, EnvGatewayURL} {
		if err == nil || !strings.Contains(err.Error(), s) {
			t.Errorf("err %v does not mention %s", err, s)
		}
	}
}

func TestNewConfigRejectsInvalidOptions(t *testing.T) {
	for name, opt := range map[string]Option{
		"negative retries":      WithMaxRetries(-1),
		"zero backoff":          WithBackoff(0, time.Second),
		"min above max":         WithBackoff(time.Second, time.Millisecond),
		"negative timeout":      WithAttemptTimeout(-time.Second),
		"negative PCRS budget":  WithPCRSRateLimit(-1, time.Minute),
		"PCRS budget no window": WithPCRSRateLimit(5, 0),
		"negative margin":       WithTokenRefreshMargin(-time.Minute),
	} {
		if _, err := newConfig(opt); err == nil {
			t.Errorf("%s accepted", name)
		}
	}
	// All problems are reported together.
	_, err := newConfig(WithMaxRetries(-1), WithAttemptTimeout(-1))
	if err == nil || !strings.Contains(err.Error(), "WithMaxRetries") || !strings.Contains(err.Error(), "WithAttemptTimeout") {
		t.Errorf("err = %v", err)
	}
}

func TestConfigDefaults(t *testing.T) {
	cfg, err := newConfig(nil, WithMaxThrottleWait(-time.Second))
	if err != nil {
		t.Fatal(err)
	}
	if cfg.maxRetries != defaultMaxRetries || cfg.backoffMin != defaultBackoffMin || cfg.backoffMax != defaultBackoffMax ||
		cfg.pcrsRequests != 25 || cfg.pcrsWindow != time.Minute || cfg.refreshMargin != 5*time.Minute || cfg.attemptTimeout != 0 {
		t.Errorf("defaults: %+v", cfg)
	}
	if cfg.maxThrottleWait != 0 {
		t.Errorf("negative throttle wait not clamped: %s", cfg.maxThrottleWait)
	}
}

func TestNewTransportCredentials(t *testing.T) {
	env := map[string]string{EnvPlatform: "US2", EnvUsername: testUser, EnvPassword: testPass}
	tr, err := newAuthTransport(withEnv(env))
	if err != nil {
		t.Fatal(err)
	}
	if tr.tokenSource().creds != (userCredentials{testUser, testPass}) || tr.tokenSource().GatewayURL() != "https://gateway.qg2.apps.qualys.com" {
		t.Fatalf("from environment: %v %s", tr.tokenSource().creds, tr.tokenSource().GatewayURL())
	}
	// Explicit credentials win over the environment.
	tr, err = newAuthTransport(withEnv(env), WithCredentials("other", "pw"))
	if err != nil || tr.tokenSource().creds.Username != "other" {
		t.Fatalf("explicit credentials: %v", err)
	}
	_, err = newAuthTransport(withEnv(map[string]string{EnvPlatform: "US2", EnvUsername: testUser}))
	if !errors.Is(err, ErrMissingCredentials) || !strings.Contains(err.Error(), EnvPassword) {
		t.Fatalf("missing password: %v", err)
	}
	_, err = newAuthTransport(withEnv(nil), WithPlatform("US2"), WithCredentials(testUser, ""))
	if !errors.Is(err, ErrMissingCredentials) {
		t.Fatalf("empty password: %v", err)
	}
	if _, err := NewClient(withEnv(nil)); !errors.Is(err, ErrUnknownPlatform) {
		t.Fatalf("NewClient without a platform: %v", err)
	}
	if _, err := newAuthTransport(WithMaxRetries(-3)); err == nil {
		t.Fatal("invalid option accepted")
	}
}

func TestNewTransportKeepsCallerClient(t *testing.T) {
	jarless := &http.Client{Timeout: 42 * time.Second}
	c, err := NewClient(withEnv(nil), WithPlatform("US1"), WithCredentials(testUser, testPass), WithHTTPClient(jarless))
	if err != nil {
		t.Fatal(err)
	}
	hc := c.HTTPClient()
	tr, ok := hc.Transport.(*authTransport)
	if !ok || hc.Timeout != 42*time.Second {
		t.Fatalf("client %+v", hc)
	}
	if tr.base != http.DefaultTransport {
		t.Fatalf("base transport %T", tr.base)
	}
	if jarless.Transport != nil {
		t.Fatal("the caller's client was modified")
	}
	// Passing a client that already uses a authTransport does not stack token
	// handling: /auth and requests go through the inner transport.
	again, err := newAuthTransport(withEnv(nil), WithPlatform("US1"), WithCredentials(testUser, testPass), WithHTTPClient(hc))
	if err != nil {
		t.Fatal(err)
	}
	if again.base != http.DefaultTransport || again.tokenSource().client.Transport != http.DefaultTransport {
		t.Fatalf("stacked transports: %T, %T", again.base, again.tokenSource().client.Transport)
	}
}
