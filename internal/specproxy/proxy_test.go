package specproxy_test

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"net/http"
	"sort"
	"strings"
	"testing"
	"time"

	"github.com/qualyskit/qualys-go/gen/pcrs"
	"github.com/qualyskit/qualys-go/internal/specproxy"
	"github.com/qualyskit/qualys-go/qualystest"
	"github.com/qualyskit/qualys-go/wire"
	qualys "github.com/qualyskit/qualys-go/wrapper"
)

// wrapperThrough is a wrapper client whose gateway is the proxy.
func wrapperThrough(t *testing.T, h *harness, sim *qualystest.Server) *qualys.Client {
	t.Helper()
	c, err := qualys.NewClient(qualys.WithGatewayURL(h.url), qualys.WithPlainHTTPLoopback(),
		qualys.WithCredentials(sim.Username(), sim.Password()), qualys.WithMaxRetries(0))
	if err != nil {
		t.Fatal(err)
	}
	return c
}

// TestCleanTrafficHasNoFindings drives the wrapper through a strict proxy
// in front of the simulator: the simulator sends only what the specs
// declare and the wrapper only what they allow, so the report stays empty.
func TestCleanTrafficHasNoFindings(t *testing.T) {
	h, sim := simHarness(t, true)
	c := wrapperThrough(t, h, sim)
	ctx := context.Background()

	n := 0
	for s, err := range c.LibraryScripts(ctx, qualys.WithPageSize(5)) {
		if err != nil {
			t.Fatal(err)
		}
		if n++; n == 1 {
			if _, err := c.LibraryScript(ctx, s.ID); err != nil {
				t.Fatal(err)
			}
		}
		if n == 12 {
			break
		}
	}
	for _, err := range c.Jobs(ctx) {
		if err != nil {
			t.Fatal(err)
		}
	}
	var policy wire.ID
	for p, err := range c.Policies(ctx, time.Time{}) {
		if err != nil {
			t.Fatalf("policies: %v", err)
		}
		policy = p.ID
		break
	}
	if policy.IsZero() {
		t.Fatal("policies: none")
	}
	hosts, err := c.HostIDs(ctx, []wire.ID{policy}, time.Time{})
	if err != nil {
		t.Fatal(err)
	}
	// The wrapper asks for gzip (the default); TestBodiesPassUnchanged
	// sends an uncompressed posture request too.
	records := 0
	for _, err := range c.PostureStream(ctx, qualys.PostureRequest{
		Policies: postureRequest(hosts),
		Filter:   qualys.PostureFilter{Evidence: true},
	}) {
		if err != nil {
			t.Fatal(err)
		}
		records++
	}
	if records == 0 {
		t.Fatal("no posture records came through")
	}
	h.settle(t)
	if f := h.findings(t); len(f) != 0 {
		t.Errorf("clean traffic gave %d findings, first %+v", len(f), f[0])
	}
	if sim.Count("getPostureInfoV5") != 1 || sim.Count("getLibraryScript") != 1 {
		t.Errorf("upstream counts %v", sim.Counts())
	}
}

func postureRequest(hosts []pcrs.PolicyHostIDs) pcrs.PostureInfoRequest {
	var req pcrs.PostureInfoRequest
	for _, p := range hosts[:1] {
		req = append(req, pcrs.PostureInfoRequestItem{PolicyID: p.PolicyID, SubscriptionID: p.SubscriptionID, HostIDs: p.HostIDs})
	}
	return req
}

// TestBodiesPassUnchanged compares what the client gets through the proxy
// with what the simulator sends directly, byte for byte, for a JSON answer
// and for a gzip posture stream.
func TestBodiesPassUnchanged(t *testing.T) {
	h, sim := simHarness(t, false)
	direct := func(method, path, body string) (int, []byte) {
		req, _ := http.NewRequest(method, sim.URL+path, strings.NewReader(body))
		req.Header = bearer(sim.Token())
		resp, err := sim.Client().Do(req)
		if err != nil {
			t.Fatal(err)
		}
		defer resp.Body.Close()
		raw, _ := io.ReadAll(resp.Body)
		return resp.StatusCode, raw
	}
	policy := sim.Data().Policies[0]
	host := sim.Data().Hosts[0]
	postureBody := fmt.Sprintf(`[{"policyId":"%d","subscriptionId":"%d","hostIds":["%d"]}]`, policy.ID, sim.Data().SubscriptionID, host.ID)
	for _, c := range []struct{ method, path, body string }{
		{"POST", "/sm/v1/jobs/search", `{"filter":"scriptLanguage:PowerShell-Script"}`},
		{"GET", "/pcrs/1.0/posture/policy/list", ""},
		{"POST", "/pcrs/5.0/posture/postureInfo?evidenceRequired=1", postureBody},
	} {
		wantStatus, want := direct(c.method, c.path, c.body)
		status, got := h.do(t, c.method, c.path, bearer(sim.Token()), c.body)
		if status != wantStatus || !bytes.Equal(got, want) {
			t.Errorf("%s %s: through the proxy %d and %d bytes, directly %d and %d bytes", c.method, c.path, status, len(got), wantStatus, len(want))
		}
		if strings.Contains(c.path, "postureInfo") && (len(got) < 2 || got[0] != 0x1f || got[1] != 0x8b) {
			t.Errorf("posture body is not the gzip stream the simulator sends")
		}
	}
	if f := h.findings(t); len(f) != 0 {
		t.Errorf("findings on clean traffic: %+v", f)
	}
}

// TestDriftIsReportedOnceWithItsPointer makes the simulator answer a job
// search with an undeclared field, a wrong type, an unknown enum value and
// a missing required field: each appears in the report exactly once, with
// the pointer to the value at fault. Without Strict the undeclared field
// is not a finding (the published documents are open).
func TestDriftIsReportedOnceWithItsPointer(t *testing.T) {
	want := map[string]string{
		"/body/list/0/driftField": specproxy.RuleUndeclaredField,
		"/body/list/0/severity":   "type",
		"/body/list/0/platform":   "enum",
		"/body/totalCount":        "required",
	}
	for _, strict := range []bool{true, false} {
		t.Run(fmt.Sprintf("strict=%v", strict), func(t *testing.T) {
			h, sim := simHarness(t, strict)
			sim.Drift("searchJobs",
				qualystest.UndeclaredField("/body/list/0/driftField", true),
				qualystest.WrongType("/body/list/0/severity", "high"),
				qualystest.UnknownEnum("/body/list/0/platform", "BEOS"),
				qualystest.MissingRequired("/body/totalCount"),
			)
			status, body := h.do(t, "POST", "/sm/v1/jobs/search", bearer(sim.Token()), `{}`)
			if status != 200 || !strings.Contains(string(body), `"BEOS"`) {
				t.Fatalf("status %d, body %.200s: the drifted answer did not come through", status, body)
			}
			got := map[string]string{}
			for _, f := range h.findings(t) {
				if _, dup := got[f.Pointer]; dup {
					t.Errorf("pointer %s reported twice", f.Pointer)
				}
				got[f.Pointer] = f.Rule
				if f.Operation != "searchJobs" || f.Direction != "response" || f.Status != 200 || f.Message == "" || f.Time.IsZero() {
					t.Errorf("finding %+v: want searchJobs, response, 200, a message and a time", f)
				}
			}
			expect := map[string]string{}
			for k, v := range want {
				if strict || v != specproxy.RuleUndeclaredField {
					expect[k] = v
				}
			}
			if fmt.Sprint(got) != fmt.Sprint(expect) {
				t.Errorf("findings (pointer: rule)\n got %v\nwant %v", got, expect)
			}
			// The next answer is clean again.
			before := len(h.findings(t))
			h.do(t, "POST", "/sm/v1/jobs/search", bearer(sim.Token()), `{}`)
			if after := len(h.findings(t)); after != before {
				t.Errorf("a clean answer added %d findings", after-before)
			}
		})
	}
}

// TestRequestFindings checks what the proxy reports about requests: an
// unknown method and path, a parameter outside its enum, a body member of
// the wrong type. The requests still reach the upstream unchanged.
func TestRequestFindings(t *testing.T) {
	h, sim := simHarness(t, true)
	tok := sim.Token()
	cases := []struct {
		name, method, path, body string
		want                     specproxy.Finding
	}{
		{"unknown operation", "GET", "/sm/v1/no-such-thing", "",
			specproxy.Finding{Operation: "GET /sm/v1/no-such-thing", Direction: "request", Status: 404, Pointer: "", Rule: specproxy.RuleUnknownOperation}},
		{"unknown method", "DELETE", "/sm/v1/jobs/search", "",
			specproxy.Finding{Operation: "DELETE /sm/v1/jobs/search", Direction: "request", Status: 405, Pointer: "", Rule: specproxy.RuleUnknownOperation}},
		{"flag outside its enum", "POST", "/pcrs/5.0/posture/postureInfo?evidenceRequired=2", `[{"policyId":"1","subscriptionId":"2","hostIds":["3"]}]`,
			specproxy.Finding{Operation: "getPostureInfoV5", Direction: "request", Status: 404, Pointer: "evidenceRequired", Rule: "enum"}},
		{"body member of the wrong type", "POST", "/sm/v1/jobs/search", `{"filter":7}`,
			specproxy.Finding{Operation: "searchJobs", Direction: "request", Status: 400, Pointer: "/filter", Rule: "type"}},
	}
	seen := 0
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			before := sim.Counts()
			status, _ := h.do(t, c.method, c.path, bearer(tok), c.body)
			fs := h.findings(t)[seen:]
			seen += len(fs)
			if status != c.want.Status {
				t.Errorf("status %d, want the upstream's %d", status, c.want.Status)
			}
			if len(fs) != 1 {
				t.Fatalf("findings %+v, want one", fs)
			}
			f := fs[0]
			f.Time, f.Message = c.want.Time, c.want.Message
			if f != c.want {
				t.Errorf("finding %+v\nwant %+v", f, c.want)
			}
			if fmt.Sprint(sim.Counts()) == fmt.Sprint(before) {
				t.Errorf("the request did not reach the upstream")
			}
		})
	}
}

// TestStreamedArrayValidatedPerElement serves a gzip array, as PCRS sends
// posture, with one bad element, and then one that breaks off: the
// finding points into the element, and the broken stream is reported.
func TestStreamedArrayValidatedPerElement(t *testing.T) {
	var body []byte
	upstream := newTLSUpstream(t, func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "application/json")
		w.Write(body)
	})
	h := newHarness(t, upstream.URL, upstream.Client().Transport, false)

	rec := func(id, status string) string {
		return fmt.Sprintf(`{"id":%s,"hostId":1,"controlId":2,"policyId":3,"status":%q,"technologyId":4}`, id, status)
	}
	body = gzipBytes(t, "["+rec("1", "Passed")+","+rec("2", "Passed")+","+rec("3", "Sideways")+"]")
	status, got := h.do(t, "POST", "/pcrs/5.0/posture/postureInfo", bearer("x"), `[{"policyId":"1","subscriptionId":"2","hostIds":["3"]}]`)
	if status != 200 || !bytes.Equal(got, body) {
		t.Fatalf("status %d; body changed: %v", status, !bytes.Equal(got, body))
	}
	fs := h.findings(t)
	if len(fs) != 1 || fs[0].Pointer != "/2/status" || fs[0].Rule != "enum" {
		t.Fatalf("findings %+v, want one enum finding at /2/status", fs)
	}

	full := gzipBytes(t, "["+rec("1", "Passed")+","+rec("2", "Passed")+"]")
	body = full[:len(full)-12] // the gzip trailer and some data missing
	h.do(t, "POST", "/pcrs/5.0/posture/postureInfo", bearer("x"), `[{"policyId":"1","subscriptionId":"2","hostIds":["3"]}]`)
	fs = h.findings(t)[1:]
	if len(fs) != 1 || fs[0].Rule != specproxy.RuleIncompleteBody {
		t.Fatalf("findings %+v, want one incomplete-body", fs)
	}
}

// TestUndeclaredStatusAndMediaType: a status the operation does not
// declare, and a declared status with an undeclared media type (an HTML
// page from a load balancer).
func TestUndeclaredStatusAndMediaType(t *testing.T) {
	h, sim := simHarness(t, false)
	sim.Fail("searchJobs", qualystest.HTMLError(502), qualystest.Status(409, "<html>busy</html>"))
	h.do(t, "POST", "/sm/v1/jobs/search", bearer(sim.Token()), `{}`)
	h.do(t, "POST", "/sm/v1/jobs/search", bearer(sim.Token()), `{}`)
	var rules []string
	for _, f := range h.findings(t) {
		rules = append(rules, fmt.Sprintf("%d %s", f.Status, f.Rule))
	}
	sort.Strings(rules)
	if want := []string{"409 content-type", "502 undeclared-status"}; fmt.Sprint(rules) != fmt.Sprint(want) {
		t.Errorf("findings %v, want %v", rules, want)
	}
}

func TestUpstreamUnreachable(t *testing.T) {
	upstream := newTLSUpstream(t, func(w http.ResponseWriter, r *http.Request) {})
	h := newHarness(t, upstream.URL, upstream.Client().Transport, false)
	upstream.Close()
	status, body := h.do(t, "GET", "/sm/v1/nothing", nil, "")
	if status != http.StatusBadGateway || !strings.Contains(string(body), "could not be reached") {
		t.Errorf("status %d body %q, want 502 saying the upstream could not be reached", status, body)
	}
	fs := h.findings(t)
	if len(fs) != 1 || fs[0].Status != 502 || fs[0].Rule != specproxy.RuleUnknownOperation {
		t.Errorf("findings %+v: want the unknown operation, with status 502", fs)
	}
}

func TestNewRejectsBadOptions(t *testing.T) {
	var report bytes.Buffer
	cases := []struct {
		name string
		opts specproxy.Options
		want string
	}{
		{"no report", specproxy.Options{Upstream: "https://gateway.qg2.apps.qualys.com"}, "report"},
		{"no upstream", specproxy.Options{Report: &report}, "upstream URL is required"},
		{"plain http", specproxy.Options{Report: &report, Upstream: "http://gateway.qg2.apps.qualys.com"}, "https"},
		{"plain http to loopback without opting in", specproxy.Options{Report: &report, Upstream: "http://127.0.0.1:4010"}, "https"},
		{"plain http elsewhere even when allowed", specproxy.Options{Report: &report, Upstream: "http://10.0.0.1", PlainHTTPLoopback: true}, "loopback"},
		{"user information", specproxy.Options{Report: &report, Upstream: "https://user:hunter2@gateway.example"}, "user name or password"},
		{"query", specproxy.Options{Report: &report, Upstream: "https://gateway.example/?a=b"}, "query"},
		{"not a URL", specproxy.Options{Report: &report, Upstream: "https://gate way:hunter2@%zz"}, "not a URL"},
	}
	for _, c := range cases {
		_, err := specproxy.New(c.opts)
		if !errors.Is(err, specproxy.ErrInvalidOptions) || !strings.Contains(err.Error(), c.want) {
			t.Errorf("%s: error %v, want ErrInvalidOptions mentioning %q", c.name, err, c.want)
		}
		if err != nil && strings.Contains(err.Error(), "hunter2") {
			t.Errorf("%s: the error repeats the password: %v", c.name, err)
		}
	}
	if _, err := specproxy.New(specproxy.Options{Report: &report, Upstream: "http://127.0.0.1:4010", PlainHTTPLoopback: true}); err != nil {
		t.Errorf("plain http to loopback, allowed: %v", err)
	}
}

// TestAuthIsCheckedAgainstBothDocuments: /auth is in both documents, and
// only the PCRS one declares 404; a 404 from /auth is not a finding, a 418
// is.
func TestAuthIsCheckedAgainstBothDocuments(t *testing.T) {
	h, sim := simHarness(t, true)
	sim.Fail("/auth", qualystest.Status(404, ""), qualystest.Status(418, ""))
	form := http.Header{"Content-Type": {"application/x-www-form-urlencoded"}}
	h.do(t, "POST", "/auth", form, "username=a&password=b&token=true")
	h.do(t, "POST", "/auth", form, "username=a&password=b&token=true")
	fs := h.findings(t)
	if len(fs) != 1 || fs[0].Status != 418 || fs[0].Rule != specproxy.RuleUndeclaredStatus || fs[0].Operation != "createCarToken" {
		t.Errorf("findings %+v, want one undeclared 418", fs)
	}
}
