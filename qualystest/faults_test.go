package qualystest_test

import (
	"bytes"
	"compress/gzip"
	"context"
	"crypto/tls"
	"crypto/x509"
	"encoding/json"
	"errors"
	"io"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/qualyskit/qualys-go/qualystest"
)

// freshClient trusts the simulator through CACertPEM and opens a new
// connection per request, so that the transport never retries a request
// on a reused connection and hides a fault.
func freshClient(t *testing.T, s *qualystest.Server) *http.Client {
	t.Helper()
	pool := x509.NewCertPool()
	if !pool.AppendCertsFromPEM(s.CACertPEM()) {
		t.Fatal("CACertPEM holds no certificate")
	}
	return &http.Client{Transport: &http.Transport{
		TLSClientConfig:   &tls.Config{RootCAs: pool},
		DisableKeepAlives: true,
	}}
}

// call sends an authenticated request with a fresh connection.
func call(t *testing.T, s *qualystest.Server, method, path, body string) (*http.Response, error) {
	t.Helper()
	req, _ := http.NewRequest(method, s.URL+path, strings.NewReader(body))
	req.Header.Set("Authorization", "Bearer "+s.Token())
	if body != "" {
		req.Header.Set("Content-Type", "application/json")
	}
	return freshClient(t, s).Do(req)
}

const policyList = "/pcrs/2.0/posture/policy/list"

func TestFaultStatus(t *testing.T) {
	t.Parallel()
	s := qualystest.NewServer(t, qualystest.WithRateLimit(100, time.Minute))
	cases := []struct {
		fault       qualystest.Fault
		status      int
		contentType string
		body        string
	}{
		{qualystest.Status(500, `{"message":"boom"}`), 500, "application/json", `{"message":"boom"}`},
		{qualystest.Status(503, "maintenance"), 503, "text/plain", "maintenance"},
		{qualystest.HTMLError(502), 502, "text/html", "<title>502 Bad Gateway</title>"},
		{qualystest.Conflict(1965), 409, "application/json", `"errorCode":"1965"`},
		{qualystest.Conflict(1960), 409, "application/json", `"errorCode":"1960"`},
		{qualystest.TooManyRequests(), 429, "", ""},
	}
	for _, tc := range cases {
		t.Run(tc.fault.String(), func(t *testing.T) {
			s.Fail("listPoliciesV2", tc.fault)
			resp, err := call(t, s, "GET", policyList, "")
			body := readAll(t, resp, err)
			if resp.StatusCode != tc.status {
				t.Fatalf("status %d, want %d", resp.StatusCode, tc.status)
			}
			if !strings.HasPrefix(resp.Header.Get("Content-Type"), tc.contentType) {
				t.Errorf("Content-Type %q, want %q", resp.Header.Get("Content-Type"), tc.contentType)
			}
			if !strings.Contains(string(body), tc.body) {
				t.Errorf("body %q lacks %q", body, tc.body)
			}
			if resp.Header.Get("X-RateLimit-Remaining") != "" {
				t.Error("a fault answers without rate-limit headers")
			}
			// The queue is empty again: the next call is served.
			resp, err = call(t, s, "GET", policyList, "")
			readAll(t, resp, err)
			if resp.StatusCode != http.StatusOK {
				t.Errorf("after the fault: %d", resp.StatusCode)
			}
		})
	}
}

func TestFaultSlow(t *testing.T) {
	t.Parallel()
	s := qualystest.NewServer(t)
	s.Fail("listPoliciesV2", qualystest.Slow(300*time.Millisecond), qualystest.Slow(100*time.Millisecond))
	c := freshClient(t, s)
	c.Timeout = 100 * time.Millisecond
	req, _ := http.NewRequest("GET", s.URL+policyList, nil)
	req.Header.Set("Authorization", "Bearer "+s.Token())
	if resp, err := c.Do(req); err == nil {
		resp.Body.Close()
		t.Fatal("a client timeout shorter than the delay must expire")
	}
	start := time.Now()
	resp, err := call(t, s, "GET", policyList, "")
	readAll(t, resp, err)
	if d := time.Since(start); d < 100*time.Millisecond || resp.StatusCode != 200 {
		t.Errorf("second call took %v with %d, want >= 100ms and 200", d, resp.StatusCode)
	}
}

func TestLatency(t *testing.T) {
	t.Parallel()
	s := qualystest.NewServer(t, qualystest.WithLatency(80*time.Millisecond))
	start := time.Now()
	resp, err := call(t, s, "GET", policyList, "")
	readAll(t, resp, err)
	if d := time.Since(start); d < 80*time.Millisecond {
		t.Errorf("took %v with 80ms latency", d)
	}
	s.SetLatency(0)
	start = time.Now()
	resp, err = call(t, s, "GET", policyList, "")
	readAll(t, resp, err)
	if d := time.Since(start); d > 2*time.Second {
		t.Errorf("took %v without latency", d)
	}
}

func TestFaultResetBeforeResponse(t *testing.T) {
	t.Parallel()
	s := qualystest.NewServer(t)
	s.Fail("getPostureInfoV3", qualystest.ResetBeforeResponse())
	body := `[{"policyId":"1","subscriptionId":"1","hostIds":[]}]`
	resp, err := call(t, s, "POST", "/pcrs/3.0/posture/postureInfo", body)
	if err == nil {
		resp.Body.Close()
		t.Fatalf("got %d, want a connection error", resp.StatusCode)
	}
	if n := s.Count("getPostureInfoV3"); n != 1 {
		t.Errorf("Count = %d, want 1: the request arrived once", n)
	}
}

func TestFaultResetAfterHeaders(t *testing.T) {
	t.Parallel()
	s := qualystest.NewServer(t)
	s.Fail(policyList, qualystest.ResetAfterHeaders()) // by path
	resp, err := call(t, s, "GET", policyList, "")
	if err != nil {
		t.Fatalf("the headers must arrive: %v", err)
	}
	defer resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		t.Fatalf("status %d", resp.StatusCode)
	}
	if _, err := io.ReadAll(resp.Body); err == nil {
		t.Fatal("reading the body must fail")
	}
}

// postureBody is a postureInfo request for a whole policy, as JSON.
func postureBody(d *qualystest.Data) string {
	b, _ := json.Marshal(wholePolicy(d, d.Policies[0]))
	return string(b)
}

func TestFaultResetAfterBytes(t *testing.T) {
	t.Parallel()
	s := qualystest.NewServer(t, qualystest.WithHosts(200))
	s.Fail("getPostureInfoV5", qualystest.ResetAfterBytes(5000))
	resp, err := call(t, s, "POST", "/pcrs/5.0/posture/postureInfo?compressionRequired=0", postureBody(s.Data()))
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	got, err := io.ReadAll(resp.Body)
	if err == nil {
		t.Fatal("reading the body must fail")
	}
	if len(got) > 5000 {
		t.Errorf("read %d bytes past the reset at 5000", len(got))
	}
}

func TestFaultTruncateBody(t *testing.T) {
	t.Parallel()
	s := qualystest.NewServer(t)
	s.Fail("listPoliciesV2", qualystest.TruncateBody(50))
	resp, err := call(t, s, "GET", policyList, "")
	body := readAll(t, resp, err) // no transport error: the close looks normal
	if len(body) != 50 {
		t.Fatalf("%d bytes, want 50", len(body))
	}
	if json.Valid(body) {
		t.Error("a truncated body must not be valid JSON")
	}

	// A compressed posture stream: only the gzip reader notices.
	s.Fail("getPostureInfoV1", qualystest.TruncateBody(300))
	resp, err = call(t, s, "POST", "/pcrs/1.0/posture/postureInfo", postureBody(s.Data()))
	body = readAll(t, resp, err)
	zr, err := gzip.NewReader(bytes.NewReader(body))
	if err != nil {
		t.Fatal(err)
	}
	if _, err := io.ReadAll(zr); !errors.Is(err, io.ErrUnexpectedEOF) {
		t.Errorf("gunzip error %v, want unexpected EOF", err)
	}
}

func TestFaultQueues(t *testing.T) {
	t.Parallel()
	s := qualystest.NewServer(t)
	s.Fail("listPoliciesV2", qualystest.Repeat(2, qualystest.Status(503, "a"))...)
	s.Fail(qualystest.AnyRequest, qualystest.Status(502, "any"))
	if n := s.PendingFaults("listPoliciesV2"); n != 2 {
		t.Fatalf("pending %d", n)
	}
	statuses := []int{}
	for i := 0; i < 4; i++ {
		resp, err := call(t, s, "GET", policyList, "")
		readAll(t, resp, err)
		statuses = append(statuses, resp.StatusCode)
	}
	want := []int{503, 503, 502, 200}
	for i := range want {
		if statuses[i] != want[i] {
			t.Fatalf("statuses %v, want %v", statuses, want)
		}
	}
	s.Fail("listPoliciesV2", qualystest.Status(500, "x"))
	s.ClearFaults()
	resp, err := call(t, s, "GET", policyList, "")
	readAll(t, resp, err)
	if resp.StatusCode != 200 {
		t.Errorf("after ClearFaults: %d", resp.StatusCode)
	}
}

func TestFaultOnAuth(t *testing.T) {
	t.Parallel()
	s := qualystest.NewServer(t)
	s.Fail("createCarToken", qualystest.HTMLError(503))
	c := freshClient(t, s)
	resp, err := c.PostForm(s.URL+"/auth", map[string][]string{"username": {s.Username()}, "password": {s.Password()}, "token": {"true"}})
	readAll(t, resp, err)
	if resp.StatusCode != 503 {
		t.Fatalf("status %d", resp.StatusCode)
	}
	resp, err = c.PostForm(s.URL+"/auth", map[string][]string{"username": {s.Username()}, "password": {s.Password()}, "token": {"true"}})
	readAll(t, resp, err)
	if resp.StatusCode != 201 {
		t.Fatalf("second /auth: %d", resp.StatusCode)
	}
}

func TestCounts(t *testing.T) {
	t.Parallel()
	s := qualystest.NewServer(t)
	login(t, s)
	login(t, s)
	for i := 0; i < 3; i++ {
		get(t, s, policyList)
	}
	s.Fail("resolveHostIdsV3", qualystest.Status(500, ""))
	get(t, s, "/pcrs/3.0/posture/hostids")
	get(t, s, "/nowhere")
	for key, want := range map[string]int{
		"createPcrsToken":           2,
		"createCarToken":            2,
		"/auth":                     2,
		"listPoliciesV2":            3,
		policyList:                  3,
		"resolveHostIdsV3":          1, // faulted requests count too
		"/nowhere":                  1,
		"getPostureInfoV5":          0,
		"/pcrs/1.0/posture/hostids": 0,
	} {
		if got := s.Count(key); got != want {
			t.Errorf("Count(%q) = %d, want %d", key, got, want)
		}
	}
	if s.Counts()["listPoliciesV2"] != 3 {
		t.Error("Counts disagrees with Count")
	}
}

func TestCloseEndsSlowRequests(t *testing.T) {
	t.Parallel()
	s, err := qualystest.Start()
	if err != nil {
		t.Fatal(err)
	}
	s.Fail(qualystest.AnyRequest, qualystest.Slow(time.Hour))
	errc := make(chan error, 1)
	go func() {
		req, _ := http.NewRequestWithContext(context.Background(), "GET", s.URL+policyList, nil)
		resp, err := s.Client().Do(req)
		if err == nil {
			resp.Body.Close()
		}
		errc <- err
	}()
	for s.Count(policyList) == 0 {
		time.Sleep(5 * time.Millisecond)
	}
	done := make(chan struct{})
	go func() { s.Close(); close(done) }()
	select {
	case <-done:
	case <-time.After(5 * time.Second):
		t.Fatal("Close waits for a slow request")
	}
	if err := <-errc; err == nil {
		t.Error("the slow request must fail when the server closes")
	}
}
