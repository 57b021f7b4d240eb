package qualystest_test

import (
	"context"
	"encoding/base64"
	"encoding/json"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/qualyskit/qualys-go/gen/pcrs"
	"github.com/qualyskit/qualys-go/qualystest"
)

func TestAuthIssuesJWT(t *testing.T) {
	t.Parallel()
	s := qualystest.NewServer(t, qualystest.WithCredentials("acme_ab12", "s3cret"), qualystest.WithTokenTTL(time.Hour))
	c, _ := pcrs.NewClientWithResponses(s.URL, pcrs.WithHTTPClient(s.Client()))
	before := time.Now()
	resp, err := c.CreatePcrsTokenWithFormdataBodyWithResponse(context.Background(),
		pcrs.TokenRequest{Username: "acme_ab12", Password: "s3cret", Token: "true"})
	if err != nil {
		t.Fatal(err)
	}
	if resp.StatusCode() != http.StatusCreated {
		t.Fatalf("status %d, want 201", resp.StatusCode())
	}
	if ct := resp.ContentType(); !strings.HasPrefix(ct, "text/plain") {
		t.Errorf("Content-Type %q, want text/plain", ct)
	}
	parts := strings.Split(string(resp.Body), ".")
	if len(parts) != 3 {
		t.Fatalf("token %q is not a JWT", resp.Body)
	}
	var header, claims map[string]any
	for i, v := range []*map[string]any{&header, &claims} {
		raw, err := base64.RawURLEncoding.DecodeString(parts[i])
		if err != nil {
			t.Fatal(err)
		}
		if err := json.Unmarshal(raw, v); err != nil {
			t.Fatal(err)
		}
	}
	if header["alg"] != "HS256" {
		t.Errorf("alg %v", header["alg"])
	}
	exp := time.Unix(int64(claims["exp"].(float64)), 0)
	if exp.Before(before.Add(time.Hour-time.Second)) || exp.After(time.Now().Add(time.Hour+time.Second)) {
		t.Errorf("exp %v is not an hour from now", exp)
	}
	if claims["sub"] != "acme_ab12" {
		t.Errorf("sub %v", claims["sub"])
	}
}

func TestAuthRejectsBadCredentials(t *testing.T) {
	t.Parallel()
	s := qualystest.NewServer(t)
	c, _ := pcrs.NewClientWithResponses(s.URL, pcrs.WithHTTPClient(s.Client()))
	for name, req := range map[string]pcrs.TokenRequest{
		"wrong password": {Username: s.Username(), Password: "wrong", Token: "true"},
		"wrong user":     {Username: "someone", Password: s.Password(), Token: "true"},
		"token not true": {Username: s.Username(), Password: s.Password(), Token: "false"},
	} {
		t.Run(name, func(t *testing.T) {
			resp, err := c.CreatePcrsTokenWithFormdataBodyWithResponse(context.Background(), req)
			if err != nil {
				t.Fatal(err)
			}
			if resp.StatusCode() != http.StatusUnauthorized || resp.JSON401 == nil {
				t.Fatalf("got %d %s, want 401 with authentication_exceptions", resp.StatusCode(), resp.Body)
			}
			if len(resp.JSON401.AuthenticationExceptions) == 0 || len(resp.JSON401.AuthenticationExceptions[0]) == 0 {
				t.Errorf("empty authentication_exceptions: %s", resp.Body)
			}
		})
	}
}

// policyStatus calls policy list with the given Authorization header.
func policyStatus(t *testing.T, s *qualystest.Server, auth string) (int, *pcrs.PcrsError) {
	t.Helper()
	c, _ := pcrs.NewClientWithResponses(s.URL, pcrs.WithHTTPClient(s.Client()),
		pcrs.WithRequestEditorFn(func(_ context.Context, r *http.Request) error {
			if auth != "" {
				r.Header.Set("Authorization", auth)
			}
			return nil
		}))
	resp, err := c.ListPoliciesV2WithResponse(context.Background(), nil)
	if err != nil {
		t.Fatal(err)
	}
	return resp.StatusCode(), resp.JSON401
}

func TestBearerRequired(t *testing.T) {
	t.Parallel()
	s := qualystest.NewServer(t)
	token := login(t, s)
	forged := token[:strings.LastIndexByte(token, '.')] + ".c2lnbmF0dXJl"
	cases := map[string]struct {
		auth   string
		status int
		msg    string
	}{
		"valid":            {"Bearer " + token, 200, ""},
		"none":             {"", 401, "Not authenticated"},
		"without Bearer":   {token, 401, "Not authenticated"},
		"forged signature": {"Bearer " + forged, 401, "Not authenticated"},
		"garbage":          {"Bearer abc", 401, "Not authenticated"},
	}
	for name, tc := range cases {
		t.Run(name, func(t *testing.T) {
			status, body := policyStatus(t, s, tc.auth)
			if status != tc.status {
				t.Fatalf("status %d, want %d", status, tc.status)
			}
			if tc.status == 401 {
				want := &pcrs.PcrsError{Status: 401, Error: "Unauthorized", Message: tc.msg}
				if diff := cmp.Diff(want, body); diff != "" {
					t.Errorf("401 body (-want +got):\n%s", diff)
				}
			}
		})
	}
}

func TestExpireTokens(t *testing.T) {
	t.Parallel()
	s := qualystest.NewServer(t)
	old := login(t, s)
	if status, _ := policyStatus(t, s, "Bearer "+old); status != 200 {
		t.Fatalf("fresh token: %d", status)
	}
	s.ExpireTokens()
	status, body := policyStatus(t, s, "Bearer "+old)
	if status != 401 || body == nil || body.Message != "JWT expired" {
		t.Fatalf("expired token: %d %+v, want 401 JWT expired", status, body)
	}
	if status, _ := policyStatus(t, s, "Bearer "+login(t, s)); status != 200 {
		t.Fatalf("token issued after ExpireTokens: %d", status)
	}
}

func TestTokenTTL(t *testing.T) {
	t.Parallel()
	s := qualystest.NewServer(t, qualystest.WithTokenTTL(time.Second))
	token := login(t, s)
	time.Sleep(1100 * time.Millisecond)
	status, body := policyStatus(t, s, "Bearer "+token)
	if status != 401 || body == nil || body.Message != "JWT expired" {
		t.Fatalf("after the TTL: %d %+v, want 401 JWT expired", status, body)
	}
}

func TestExpiredTokenFault(t *testing.T) {
	t.Parallel()
	s := qualystest.NewServer(t)
	token := login(t, s)
	s.Fail("listPoliciesV2", qualystest.ExpiredToken())
	status, body := policyStatus(t, s, "Bearer "+token)
	if status != 401 || body == nil || body.Message != "JWT expired" {
		t.Fatalf("first call: %d %+v, want 401 JWT expired", status, body)
	}
	if status, _ := policyStatus(t, s, "Bearer "+token); status != 200 {
		t.Fatalf("second call: %d, want 200: the fault applies once", status)
	}
}

func TestTokenHelper(t *testing.T) {
	t.Parallel()
	s := qualystest.NewServer(t)
	if status, _ := policyStatus(t, s, "Bearer "+s.Token()); status != 200 {
		t.Fatalf("Token(): %d", status)
	}
	if s.Count("/auth") != 0 {
		t.Errorf("Token() must not go through /auth")
	}
}
