package qualystest

import (
	"bytes"
	"crypto/hmac"
	"crypto/rand"
	"crypto/sha256"
	"crypto/subtle"
	"encoding/base64"
	"encoding/json"
	"net/http"
	"strconv"
	"strings"
	"sync"
	"time"
)

// tokenIssuer issues and checks the HS256 JWTs /auth hands out. Tokens are
// real JWTs (a client may decode them to read exp), signed with a key that
// lives only as long as the server.
type tokenIssuer struct {
	key []byte
	ttl time.Duration

	mu      sync.Mutex
	issued  int64 // jti of the last token issued
	revoked int64 // tokens with a jti up to this one are expired
}

func newTokenIssuer(ttl time.Duration) *tokenIssuer {
	key := make([]byte, 32)
	rand.Read(key)
	return &tokenIssuer{key: key, ttl: ttl}
}

type claims struct {
	Subject   string `json:"sub"`
	Issuer    string `json:"iss"`
	IssuedAt  int64  `json:"iat"`
	ExpiresAt int64  `json:"exp"`
	ID        string `json:"jti"`
}

var jwtHeader = base64.RawURLEncoding.EncodeToString([]byte(`{"alg":"HS256","typ":"JWT"}`))

func (t *tokenIssuer) issue(user string, now time.Time) string {
	t.mu.Lock()
	t.issued++
	id := t.issued
	t.mu.Unlock()
	payload, _ := json.Marshal(claims{
		Subject:   user,
		Issuer:    "qualystest",
		IssuedAt:  now.Unix(),
		ExpiresAt: now.Add(t.ttl).Unix(),
		ID:        strconv.FormatInt(id, 10),
	})
	signed := jwtHeader + "." + base64.RawURLEncoding.EncodeToString(payload)
	return signed + "." + base64.RawURLEncoding.EncodeToString(t.sign(signed))
}

func (t *tokenIssuer) sign(s string) []byte {
	m := hmac.New(sha256.New, t.key)
	m.Write([]byte(s))
	return m.Sum(nil)
}

// tokenState is what checking a bearer token found.
type tokenState int

const (
	tokenValid tokenState = iota
	tokenExpired
	tokenInvalid
)

func (t *tokenIssuer) check(token string, now time.Time) tokenState {
	head, sig, ok := cutLast(token, '.')
	if !ok {
		return tokenInvalid
	}
	got, err := base64.RawURLEncoding.DecodeString(sig)
	if err != nil || !hmac.Equal(got, t.sign(head)) {
		return tokenInvalid
	}
	_, payload, _ := strings.Cut(head, ".")
	raw, err := base64.RawURLEncoding.DecodeString(payload)
	if err != nil {
		return tokenInvalid
	}
	var c claims
	if err := json.NewDecoder(bytes.NewReader(raw)).Decode(&c); err != nil {
		return tokenInvalid
	}
	id, _ := strconv.ParseInt(c.ID, 10, 64)
	t.mu.Lock()
	revoked := id <= t.revoked
	t.mu.Unlock()
	if revoked || now.Unix() >= c.ExpiresAt {
		return tokenExpired
	}
	return tokenValid
}

func cutLast(s string, sep byte) (before, after string, ok bool) {
	i := strings.LastIndexByte(s, sep)
	if i < 0 {
		return s, "", false
	}
	return s[:i], s[i+1:], true
}

// ExpireTokens makes every token issued so far answer 401 "JWT expired",
// as an expired token does, so a client must obtain a new one. Tokens
// issued afterwards are valid.
func (s *Server) ExpireTokens() {
	t := s.tokens
	t.mu.Lock()
	t.revoked = t.issued
	t.mu.Unlock()
}

// Token returns a valid token for the simulator's user without a request,
// for tests that are not about authentication.
func (s *Server) Token() string { return s.tokens.issue(s.cfg.username, time.Now()) }

// handleAuth serves POST /auth: 201 with the bare JWT as text for the
// configured credentials and token=true, else 401 with the
// authentication_exceptions body.
func (s *Server) handleAuth(w http.ResponseWriter, r *http.Request, c *call) {
	if err := s.validateRequest(r, c); err != nil {
		s.fail(w, r, c, http.StatusUnauthorized, "Bad request: "+describe(problems(err)))
		return
	}
	if err := r.ParseForm(); err != nil {
		s.fail(w, r, c, http.StatusUnauthorized, "Bad request: unreadable form")
		return
	}
	user, pass := r.PostForm.Get("username"), r.PostForm.Get("password")
	okUser := subtle.ConstantTimeCompare([]byte(user), []byte(s.cfg.username)) == 1
	okPass := subtle.ConstantTimeCompare([]byte(pass), []byte(s.cfg.password)) == 1
	if !okUser || !okPass {
		s.fail(w, r, c, http.StatusUnauthorized, "Bad credentials")
		return
	}
	s.replyBody(w, r, c, http.StatusCreated, "text/plain;charset=UTF-8", []byte(s.tokens.issue(user, time.Now())))
}

// authenticate checks the bearer token of an API call and answers 401 with
// the gateway body ("JWT expired" or "Not authenticated") when it is not
// valid.
func (s *Server) authenticate(w http.ResponseWriter, r *http.Request, c *call) bool {
	auth := r.Header.Get("Authorization")
	scheme, token, _ := strings.Cut(auth, " ")
	state := tokenInvalid
	if strings.EqualFold(scheme, "Bearer") && token != "" {
		state = s.tokens.check(strings.TrimSpace(token), time.Now())
	}
	switch state {
	case tokenValid:
		return true
	case tokenExpired:
		s.unauthorized(w, r, c, "JWT expired")
	default:
		s.unauthorized(w, r, c, "Not authenticated")
	}
	return false
}

func (s *Server) unauthorized(w http.ResponseWriter, r *http.Request, c *call, message string) {
	s.replyJSON(w, r, c, http.StatusUnauthorized, gatewayError{Status: http.StatusUnauthorized, Error: "Unauthorized", Message: message})
}
