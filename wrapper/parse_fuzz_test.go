package qualys

import (
	"encoding/base64"
	"errors"
	"math"
	"net/http"
	"net/http/httptest"
	"strconv"
	"strings"
	"testing"
	"unicode/utf8"
)

// FuzzParseErrorResponse: any body and status give an *APIError that
// matches the sentinel of its status class, keeps the status, and prints
// as valid, bounded UTF-8 without control characters from the body.
func FuzzParseErrorResponse(f *testing.F) {
	for _, seed := range []struct {
		status int
		ct     string
		body   string
	}{
		{401, "application/json", `{"status":401,"error":"Unauthorized","message":"JWT expired"}`},
		{409, "text/xml", `<SIMPLE_RETURN><RESPONSE><CODE>1965</CODE><TEXT>Rate limit exceeded.</TEXT></RESPONSE></SIMPLE_RETURN>`},
		{400, "application/json", `[{"response":{"datetime":"2024-11-12T06:20:49Z","code":1905,"text":"Parameter policy_ids has an invalid value."}}]`},
		{404, "application/json", `{"errorCode":"404","message":"Script not found"}`},
		{500, "text/html", "<html><body>\x00\x1b[31mboom</body></html>"},
		{401, "application/json", `{"authentication_exceptions":[["Bad credentials"]]}`},
		{503, "", "\xff\xfe"},
	} {
		f.Add(seed.status, seed.ct, []byte(seed.body))
	}
	f.Fuzz(func(t *testing.T, status int, ct string, body []byte) {
		if status < 400 || status > 599 {
			status = 400 + (status%200+200)%200
		}
		resp := &http.Response{StatusCode: status, Header: http.Header{"Content-Type": {ct}},
			Request: httptest.NewRequest(http.MethodGet, "/sm/v1/script-types", nil)}
		e := parseErrorResponse(resp, body)
		if e == nil || e.StatusCode != status {
			t.Fatalf("got %+v for status %d", e, status)
		}
		msg := e.Error()
		if !utf8.ValidString(msg) || strings.ContainsAny(msg, "\x00\x1b\r\n") {
			t.Fatalf("message is not clean text: %q", msg)
		}
		if len(msg) > 4096 {
			t.Fatalf("message of %d bytes", len(msg))
		}
		if status >= 500 && !errors.Is(e, ErrServer) {
			t.Fatalf("%d does not match ErrServer", status)
		}
		if status == 404 && !errors.Is(e, ErrNotFound) {
			t.Fatal("404 does not match ErrNotFound")
		}
	})
}

// FuzzLookupPlatform: a lookup either finds a known platform whose URLs
// are HTTPS, or fails with ErrUnknownPlatform; it never panics.
func FuzzLookupPlatform(f *testing.F) {
	for _, s := range []string{"US1", "eu2", "https://qualysapi.qualys.eu/api/2.0/", "gateway.qg3.apps.qualys.it", "US9", "", "https://", "http://[::1", "ksa1"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		p, err := LookupPlatform(s)
		if err != nil {
			if !errors.Is(err, ErrUnknownPlatform) {
				t.Fatalf("%q: error %v does not match ErrUnknownPlatform", s, err)
			}
			return
		}
		if !strings.HasPrefix(p.GatewayURL, "https://") || p.Name == "" {
			t.Fatalf("%q: found %+v", s, p)
		}
	})
}

// FuzzJWTTimes: claims come back only as positive numbers read from a
// three-part token, and a token built from known claims gives them back.
func FuzzJWTTimes(f *testing.F) {
	f.Add(`{"exp":1731400000,"iat":1731385600}`, "sig")
	f.Add(`{"exp":"soon"}`, "")
	f.Add(`{"exp":-1,"iat":1e400}`, "x")
	f.Add(`not json`, "x")
	f.Fuzz(func(t *testing.T, payload, sig string) {
		tok := "eyJhbGciOiJIUzI1NiJ9." + base64.RawURLEncoding.EncodeToString([]byte(payload)) + "." + sig
		exp, iat, hasExp, hasIat := jwtTimes(tok)
		if (hasExp && exp <= 0) || (hasIat && iat <= 0) || (!hasExp && exp != 0) || (!hasIat && iat != 0) {
			t.Fatalf("%q: exp %v (%v) iat %v (%v)", payload, exp, hasExp, iat, hasIat)
		}
		if _, _, e, i := jwtTimes(payload); e || i {
			t.Fatalf("a bare payload %q counts as a token", payload)
		}
	})
}

// FuzzParseRateLimit: header values never panic and never come back
// negative.
func FuzzParseRateLimit(f *testing.F) {
	f.Add("25", "60", "24", "0", "2")
	f.Add("-1", "1.5", "abc", "99999999999999999999", "")
	f.Add("1e308", "NaN", "+Inf", "-1e308", "2147483648")
	f.Fuzz(func(t *testing.T, limit, window, remaining, wait, conc string) {
		h := http.Header{}
		h.Set("X-RateLimit-Limit", limit)
		h.Set("X-RateLimit-Window-Sec", window)
		h.Set("X-RateLimit-Remaining", remaining)
		h.Set("X-RateLimit-ToWait-Sec", wait)
		h.Set("X-ConcurrencyLimit-Limit", conc)
		rl := parseRateLimit(h)
		for _, v := range []*int{rl.Limit, rl.WindowSec, rl.Remaining, rl.ToWaitSec, rl.ConcurrencyLimit} {
			if v != nil && (*v < 0 || *v > maxRateValue) {
				t.Fatalf("value outside [0, %d] from %q %q %q %q %q: %+v", maxRateValue, limit, window, remaining, wait, conc, rl)
			}
		}
		// One path for every value: a number at or above the cap reads
		// as the cap, a negative one or NaN as absent.
		if f, err := strconv.ParseFloat(strings.TrimSpace(wait), 64); err == nil || errors.Is(err, strconv.ErrRange) {
			switch {
			case math.IsNaN(f) || f < 0:
				if rl.ToWaitSec != nil {
					t.Fatalf("%q read as %d, want absent", wait, *rl.ToWaitSec)
				}
			case f >= maxRateValue:
				if rl.ToWaitSec == nil || *rl.ToWaitSec != maxRateValue {
					t.Fatalf("%q read as %v, want the cap", wait, rl.ToWaitSec)
				}
			}
		}
		if d, ok := rl.ToWait(); ok && d <= 0 {
			t.Fatalf("ToWait %v", d)
		}
	})
}
