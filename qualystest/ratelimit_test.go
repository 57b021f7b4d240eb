package qualystest_test

import (
	"net/http"
	"strconv"
	"testing"
	"time"

	"github.com/qualyskit/qualys-go/qualystest"
)

// get sends a GET with a valid token and returns the response, body read.
func get(t *testing.T, s *qualystest.Server, path string) *http.Response {
	t.Helper()
	req, _ := http.NewRequest("GET", s.URL+path, nil)
	req.Header.Set("Authorization", "Bearer "+s.Token())
	resp, err := s.Client().Do(req)
	readAll(t, resp, err)
	return resp
}

func headerInt(t *testing.T, h http.Header, name string) int {
	t.Helper()
	v, err := strconv.Atoi(h.Get(name))
	if err != nil {
		t.Fatalf("%s = %q: %v", name, h.Get(name), err)
	}
	return v
}

func TestRateLimit(t *testing.T) {
	t.Parallel()
	s := qualystest.NewServer(t, qualystest.WithRateLimit(3, time.Minute))
	const list = "/pcrs/2.0/posture/policy/list"
	for i := 1; i <= 3; i++ {
		resp := get(t, s, list)
		if resp.StatusCode != http.StatusOK {
			t.Fatalf("call %d: %d", i, resp.StatusCode)
		}
		h := resp.Header
		if headerInt(t, h, "X-RateLimit-Limit") != 3 || headerInt(t, h, "X-RateLimit-Window-Sec") != 60 {
			t.Errorf("call %d: limit %s per %s s", i, h.Get("X-RateLimit-Limit"), h.Get("X-RateLimit-Window-Sec"))
		}
		if got := headerInt(t, h, "X-RateLimit-Remaining"); got != 3-i {
			t.Errorf("call %d: remaining %d, want %d", i, got, 3-i)
		}
		wait := headerInt(t, h, "X-RateLimit-ToWait-Sec")
		if (i < 3 && wait != 0) || (i == 3 && (wait < 1 || wait > 60)) {
			t.Errorf("call %d: to wait %d", i, wait)
		}
	}
	resp := get(t, s, list)
	if resp.StatusCode != http.StatusTooManyRequests {
		t.Fatalf("fourth call: %d, want 429", resp.StatusCode)
	}
	if headerInt(t, resp.Header, "X-RateLimit-Remaining") != 0 {
		t.Error("429 must say 0 remaining")
	}
	if wait := headerInt(t, resp.Header, "X-RateLimit-ToWait-Sec"); wait < 1 || wait > 60 {
		t.Errorf("429 to wait %d s", wait)
	}

	// Each PCRS API has its own budget; /auth has none.
	if resp := get(t, s, "/pcrs/3.0/posture/hostids"); resp.StatusCode != http.StatusOK {
		t.Errorf("hostids after policy list ran out: %d", resp.StatusCode)
	}
	for i := 0; i < 5; i++ {
		login(t, s)
	}
}

func TestRateLimitWindowResets(t *testing.T) {
	t.Parallel()
	s := qualystest.NewServer(t, qualystest.WithRateLimit(1, time.Second))
	if resp := get(t, s, "/pcrs/3.0/posture/hostids"); resp.StatusCode != http.StatusOK {
		t.Fatal(resp.Status)
	}
	resp := get(t, s, "/pcrs/3.0/posture/hostids")
	if resp.StatusCode != http.StatusTooManyRequests {
		t.Fatalf("second call: %d", resp.StatusCode)
	}
	time.Sleep(time.Duration(headerInt(t, resp.Header, "X-RateLimit-ToWait-Sec")) * time.Second)
	if resp := get(t, s, "/pcrs/3.0/posture/hostids"); resp.StatusCode != http.StatusOK {
		t.Fatalf("after the window: %d", resp.StatusCode)
	}
}

func TestNoRateLimitByDefault(t *testing.T) {
	t.Parallel()
	s := qualystest.NewServer(t)
	for i := 0; i < 30; i++ {
		resp := get(t, s, "/pcrs/1.0/posture/policy/list")
		if resp.StatusCode != http.StatusOK {
			t.Fatalf("call %d: %d", i, resp.StatusCode)
		}
		if resp.Header.Get("X-RateLimit-Limit") != "" {
			t.Fatal("rate-limit headers without WithRateLimit")
		}
	}
}
