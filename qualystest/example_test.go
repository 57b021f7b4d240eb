package qualystest_test

import (
	"context"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"strings"
	"testing"

	"github.com/qualyskit/qualys-go/gen/car"
	"github.com/qualyskit/qualys-go/gen/pcrs"
	"github.com/qualyskit/qualys-go/qualystest"
	"github.com/qualyskit/qualys-go/wire"
)

// exampleT stands in for the *testing.T a real test passes to NewServer,
// so that the examples run; it runs the cleanups when finish is called.
type exampleT struct {
	testing.TB
	cleanups []func()
}

func (t *exampleT) Helper()                           {}
func (t *exampleT) Cleanup(f func())                  { t.cleanups = append(t.cleanups, f) }
func (t *exampleT) Fatalf(format string, args ...any) { panic(fmt.Sprintf(format, args...)) }
func (t *exampleT) Errorf(format string, args ...any) { fmt.Printf(format+"\n", args...) }
func (t *exampleT) finish() {
	for i := len(t.cleanups) - 1; i >= 0; i-- {
		t.cleanups[i]()
	}
}

// In a test, pass the test's *testing.T: the server stops when the test
// ends. Here the generated PCRS client logs in and lists the policies.
func ExampleNewServer() {
	t := &exampleT{}
	defer t.finish()

	s := qualystest.NewServer(t, qualystest.WithPolicies(3))

	// Log in: POST /auth answers 201 with the bare JWT.
	form := url.Values{"username": {s.Username()}, "password": {s.Password()}, "token": {"true"}}
	resp, err := s.Client().PostForm(s.URL+"/auth", form)
	if err != nil {
		panic(err)
	}
	token, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	fmt.Println("auth:", resp.StatusCode)

	c, _ := pcrs.NewClientWithResponses(s.URL, pcrs.WithHTTPClient(s.Client()),
		pcrs.WithRequestEditorFn(func(_ context.Context, r *http.Request) error {
			r.Header.Set("Authorization", "Bearer "+string(token))
			return nil
		}))
	list, err := c.ListPoliciesV2WithResponse(context.Background(), nil)
	if err != nil {
		panic(err)
	}
	for _, p := range list.JSON200.PolicyList {
		fmt.Println(p.Title, p.Status)
	}
	// Output:
	// auth: 201
	// CIS Benchmark for Debian Linux 11, v1.0.0 [Scored, Level 1] active
	// CIS Benchmark for Microsoft Windows Server 2019, v2.0.0 active
	// PCI DSS 4.0 Baseline for RHEL 8 inactive
}

// Fail queues faults for the next requests of an operation; Count proves
// how many requests reached it.
func ExampleServer_Fail() {
	s, err := qualystest.Start()
	if err != nil {
		panic(err)
	}
	defer s.Close()

	s.Fail("listPoliciesV1", qualystest.HTMLError(503), qualystest.Conflict(1965))
	for i := 0; i < 3; i++ {
		req, _ := http.NewRequest("GET", s.URL+"/pcrs/1.0/posture/policy/list", nil)
		req.Header.Set("Authorization", "Bearer "+s.Token())
		resp, err := s.Client().Do(req)
		if err != nil {
			panic(err)
		}
		io.Copy(io.Discard, resp.Body)
		resp.Body.Close()
		fmt.Println(resp.StatusCode, resp.Header.Get("Content-Type"))
	}
	fmt.Println("requests:", s.Count("listPoliciesV1"))
	// Output:
	// 503 text/html; charset=utf-8
	// 409 application/json
	// 200 application/json
	// requests: 3
}

// Start runs a simulator outside a test, e.g. behind a command that serves
// it at a fixed address; WriteCAFile lets other programs trust it.
func ExampleStart() {
	s, err := qualystest.Start(qualystest.WithSeed(7), qualystest.WithHosts(100))
	if err != nil {
		panic(err)
	}
	defer s.Close()
	d := s.Data()
	fmt.Println(len(d.Hosts), "hosts,", len(d.Policies), "policies,", len(d.Postures(d.Policies[0].ID)), "postures in the first")
	fmt.Println(strings.HasPrefix(s.URL, "https://127.0.0.1:"))
	// Output:
	// 100 hosts, 4 policies, 948 postures in the first
	// true
}

// A simulator started outside a test serves CAR as well: run a script on
// a host, then read the finished run and its output by the correlationUuid
// the execution returned.
func ExampleStart_car() {
	s, err := qualystest.Start()
	if err != nil {
		panic(err)
	}
	defer s.Close()
	c, _ := car.NewClientWithResponses(s.URL, car.WithHTTPClient(s.Client()),
		car.WithRequestEditorFn(func(_ context.Context, r *http.Request) error {
			r.Header.Set("Authorization", "Bearer "+s.Token())
			return nil
		}))
	ctx := context.Background()
	d := s.Data()
	host := d.Hosts[0]
	run, err := c.ExecuteScriptWithResponse(ctx, wire.NewID(d.CAR.Scripts[0].ID), car.ScriptExecution{AssetIDs: fmt.Sprint(host.ID)})
	if err != nil || run.JSON200 == nil {
		panic(fmt.Sprint(err, string(run.Body)))
	}
	jobs, _ := c.SearchJobsWithResponse(ctx, car.JobSearch{Filter: "correlationUuid:" + run.JSON200.Body.CorrelationUUID})
	job := jobs.JSON200.Body.List[0]
	withOutput := wire.FlagOf(true)
	runs, _ := c.SearchAssetJobsWithResponse(ctx, car.AssetJobSearch{Filter: "job.id:" + job.ID.String(), IncludeScriptResult: withOutput})
	for _, a := range runs.JSON200.Body.List {
		out, _ := a.ScriptResult.Decode()
		id, _ := a.Asset.ID.Int64()
		fmt.Printf("%s on host %v: %q\n", a.Status, id == host.ID, out)
	}
	// Output:
	// EXECUTION PASSED on host true: "Script Output printed!!\n"
}
