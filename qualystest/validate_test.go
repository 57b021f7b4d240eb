package qualystest_test

//lint:file-ignore SA1019 deprecated Qualys operations stay documented and simulated until their end of life

import (
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"strings"
	"sync"
	"testing"

	"github.com/qualyskit/qualys-go/gen/pcrs"
	"github.com/qualyskit/qualys-go/qualystest"
	"github.com/qualyskit/qualys-go/wire"
)

// do sends a raw request with a valid token and returns status and body.
func do(t *testing.T, s *qualystest.Server, method, pathQuery, contentType, body string) (int, []byte) {
	t.Helper()
	req, err := http.NewRequest(method, s.URL+pathQuery, strings.NewReader(body))
	if err != nil {
		t.Fatal(err)
	}
	req.Header.Set("Authorization", "Bearer "+s.Token())
	if contentType != "" {
		req.Header.Set("Content-Type", contentType)
	}
	resp, err := s.Client().Do(req)
	b := readAll(t, resp, err)
	return resp.StatusCode, b
}

// TestInvalidRequestsGetQualysErrors: requests the spec rejects get the
// error Qualys documents for the API, never a 500.
func TestInvalidRequestsGetQualysErrors(t *testing.T) {
	t.Parallel()
	s := qualystest.NewServer(t)
	posture := `[{"policyId":"1438626","subscriptionId":"1337821","hostIds":["4980343"]}]`
	cases := []struct {
		name        string
		method      string
		path        string
		contentType string
		body        string
		status      int
		shape       string // classic, message, gateway
	}{
		{"hostids: non-numeric policy id", "GET", "/pcrs/1.0/posture/hostids?policyId=abc", "", "", 400, "classic"},
		{"hostids: bad date", "GET", "/pcrs/2.0/posture/hostids?policyId=1&lastScanDate=yesterday", "", "", 400, "classic"},
		{"hostids 3.0: bad date", "GET", "/pcrs/3.0/posture/hostids?statusChangedSince=2024-13", "", "", 400, "classic"},
		{"postureInfo: evidenceRequired=2", "POST", "/pcrs/1.0/posture/postureInfo?evidenceRequired=2", "application/json", posture, 404, "message"},
		{"postureInfo: compressionRequired=yes", "POST", "/pcrs/5.0/posture/postureInfo?compressionRequired=yes", "application/json", posture, 404, "message"},
		{"postureInfo: no body", "POST", "/pcrs/3.0/posture/postureInfo", "application/json", "", 400, "gateway"},
		{"postureInfo: body not an array", "POST", "/pcrs/3.0/posture/postureInfo", "application/json", `{"policyId":"1"}`, 400, "gateway"},
		{"postureInfo: hostIds missing", "POST", "/pcrs/3.0/posture/postureInfo", "application/json", `[{"policyId":"1","subscriptionId":"2"}]`, 400, "gateway"},
		{"postureInfo: bad status filter", "POST", "/pcrs/3.0/posture/postureInfo?status=Broken", "application/json", posture, 400, "gateway"},
		{"postureInfo: both criticality filters", "POST", "/pcrs/3.0/posture/postureInfo?criticalityValues=1&criticalityLabels=URGENT", "application/json", posture, 400, "gateway"},
		{"postureInfo: lastScanDateFrom alone", "POST", "/pcrs/1.0/posture/postureInfo?lastScanDateFrom=2024-01-01", "application/json", posture, 400, "gateway"},
		{"postureInfo: lastScanDate with a range", "POST", "/pcrs/1.0/posture/postureInfo?lastScanDate=2024-01-01&lastScanDateFrom=2024-01-01&lastScanDateTo=2024-02-01", "application/json", posture, 400, "gateway"},
		{"postureInfo: wrong content type", "POST", "/pcrs/1.0/posture/postureInfo", "text/plain", posture, 400, "gateway"},
		{"policy list: requireTagInfo=true", "GET", "/pcrs/2.0/posture/policy/list?requireTagInfo=true", "", "", 400, "gateway"},
		{"policy list: bad date", "GET", "/pcrs/1.0/posture/policy/list?lastEvaluationDate=30/09/2021", "", "", 400, "gateway"},
		{"unknown path", "GET", "/pcrs/9.0/posture/hostids", "", "", 404, "gateway"},
		{"wrong method", "GET", "/pcrs/1.0/posture/postureInfo", "", "", 405, "gateway"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			status, body := do(t, s, tc.method, tc.path, tc.contentType, tc.body)
			if status != tc.status {
				t.Fatalf("status %d, want %d; body %s", status, tc.status, body)
			}
			var err error
			switch tc.shape {
			case "classic":
				var v pcrs.ClassicErrorList
				err = strictJSON(body, &v)
				if err == nil && (len(v) != 1 || v[0].Response.Code != 1905) {
					err = fmt.Errorf("not a 1905 classic error: %s", body)
				}
			case "message":
				var v pcrs.MessageError
				err = strictJSON(body, &v)
				if err == nil && v.Message != "Invalid input Parameter." {
					err = fmt.Errorf("message %q", v.Message)
				}
			case "gateway":
				var v pcrs.PcrsError
				err = strictJSON(body, &v)
				if err == nil && (v.Status != int32(tc.status) || v.Message == "") {
					err = fmt.Errorf("not a gateway error for %d: %s", tc.status, body)
				}
			}
			if err != nil {
				t.Error(err)
			}
		})
	}
}

func strictJSON(b []byte, v any) error {
	dec := json.NewDecoder(strings.NewReader(string(b)))
	dec.DisallowUnknownFields()
	return dec.Decode(v)
}

// fakeTB records what NewServer reports at cleanup, standing in for the
// *testing.T of a test that is expected to fail.
type fakeTB struct {
	testing.TB
	mu       sync.Mutex
	cleanups []func()
	errors   []string
}

func (f *fakeTB) Helper()               {}
func (f *fakeTB) Cleanup(fn func())     { f.cleanups = append(f.cleanups, fn) }
func (f *fakeTB) Fatalf(string, ...any) { panic("Fatalf") }
func (f *fakeTB) Errorf(format string, args ...any) {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.errors = append(f.errors, fmt.Sprintf(format, args...))
}

func (f *fakeTB) finish() {
	for i := len(f.cleanups) - 1; i >= 0; i-- {
		f.cleanups[i]()
	}
}

// TestBadResponseDetected: a response the spec rejects is recorded and
// fails the test that started the server.
func TestBadResponseDetected(t *testing.T) {
	t.Parallel()
	ftb := &fakeTB{TB: t}
	s := qualystest.NewServer(ftb)
	// A policy status the spec does not allow (active, inactive).
	s.Update(func(d *qualystest.Data) { d.Policies[0].Status = "archived" })
	c := pcrsClient(t, s)
	resp, err := c.ListPoliciesV1WithResponse(context.Background(), nil)
	if err != nil || resp.StatusCode() != 200 {
		t.Fatalf("%v %d", err, resp.StatusCode())
	}
	errs := s.ResponseErrors()
	if len(errs) != 1 || !strings.Contains(errs[0].Error(), "listPoliciesV1") || !strings.Contains(errs[0].Error(), "archived") {
		t.Fatalf("ResponseErrors = %v, want one error about the archived status", errs)
	}
	ftb.finish()
	if len(ftb.errors) != 1 || !strings.Contains(ftb.errors[0], "simulator bug") {
		t.Fatalf("the cleanup reported %q, want one error", ftb.errors)
	}
}

// TestBadPostureRecordDetected: a posture stream is validated too (its
// first records), whatever version and compression.
func TestBadPostureRecordDetected(t *testing.T) {
	t.Parallel()
	s, err := qualystest.Start()
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	s.Update(func(d *qualystest.Data) { d.Policies[0].Title = "" }) // still valid
	if errs := s.ResponseErrors(); len(errs) != 0 {
		t.Fatal(errs)
	}
	s.Update(func(d *qualystest.Data) {
		// An out-of-range criticality gives a label "" the enum rejects.
		for i := range d.Controls {
			d.Controls[i].Criticality = 9
		}
	})
	d := s.Data()
	p := d.Policies[0]
	raw := rawPCRS(t, s)
	body := readAllOf(t, func() (*http.Response, error) {
		return raw.GetPostureInfoV5(context.Background(), &pcrs.GetPostureInfoV5Params{CompressionRequired: ptr(pcrs.ToggleOff)},
			pcrs.PostureInfoRequest{{PolicyID: wire.IDFromString(fmt.Sprint(p.ID)), SubscriptionID: wire.IDFromString(fmt.Sprint(d.SubscriptionID)), HostIDs: hostIDs(p, nil)}})
	})
	if len(body) == 0 {
		t.Fatal("empty body")
	}
	if errs := s.ResponseErrors(); len(errs) != 1 || !strings.Contains(errs[0].Error(), "getPostureInfoV5") {
		t.Fatalf("ResponseErrors = %v, want one postureInfo error", errs)
	}
}
