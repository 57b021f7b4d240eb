package qualys_test

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net"
	"strings"
	"testing"
	"time"

	"github.com/qualyskit/qualys-go/gen/pcrs"
	"github.com/qualyskit/qualys-go/qualystest"
	"github.com/qualyskit/qualys-go/wire"
	qualys "github.com/qualyskit/qualys-go/wrapper"
)

// outcome is what a fault case checks after the call.
type outcome struct {
	ok    bool    // the call must succeed
	is    []error // else the error must match all of these
	msg   string  // and mention this
	calls int     // requests the operation must have received (0: not checked)
}

func (o outcome) check(t *testing.T, err error, calls int) {
	t.Helper()
	if o.ok && err != nil {
		t.Fatalf("want success, got %v", err)
	}
	if !o.ok {
		if err == nil {
			t.Fatal("want an error, got success")
		}
		for _, target := range o.is {
			if !errors.Is(err, target) {
				t.Errorf("error %v does not match %v", err, target)
			}
		}
		if !strings.Contains(err.Error(), o.msg) {
			t.Errorf("error %q does not mention %q", err, o.msg)
		}
	}
	if o.calls > 0 && calls != o.calls {
		t.Errorf("%d requests, want %d", calls, o.calls)
	}
}

// policies lists policies (a GET: retried after 5xx and lost responses).
func policies(ctx context.Context, c *qualys.Client) error {
	_, err := collect(c.Policies(ctx, time.Time{}))
	return err
}

// jobs reads every page of a CAR search (a POST .../search: retried too),
// 5 records a page, and checks that it read every job once: the same set as
// one single-page search made after the fault.
func jobs(ctx context.Context, c *qualys.Client) error {
	read := func(pageSize int32) (map[string]int, error) {
		seen := map[string]int{}
		for j, err := range c.Jobs(ctx, qualys.WithPageSize(pageSize)) {
			if err != nil {
				return nil, err
			}
			seen[j.ID.String()]++
		}
		return seen, nil
	}
	paged, err := read(5)
	if err != nil {
		return err
	}
	whole, err := read(1000)
	if err != nil {
		return fmt.Errorf("reference search: %w", err)
	}
	if len(whole) <= 5 {
		return fmt.Errorf("the simulator holds %d jobs: too few to need pages", len(whole))
	}
	for id, n := range paged {
		if n != 1 || whole[id] != 1 {
			return fmt.Errorf("job %s read %d times", id, n)
		}
	}
	if len(paged) != len(whole) {
		return fmt.Errorf("read %d jobs page by page, the search holds %d: the walk stopped early", len(paged), len(whole))
	}
	return nil
}

// TestReliability is the fault table of docs/reliability.md: each case
// injects one fault into the simulator and checks the documented outcome.
func TestReliability(t *testing.T) {
	ctx := context.Background()
	classic409 := `{"errorCode":"409","message":"Scheduler with the same title already exists: Nightly"}`
	tests := []struct {
		name   string
		target string // operationId the fault goes to
		faults []qualystest.Fault
		opts   []qualys.Option
		call   func(context.Context, *qualys.Client) error
		want   outcome
	}{
		{"500 once, then served", "listPoliciesV2", []qualystest.Fault{qualystest.Status(500, `{"status":500,"error":"Internal Server Error","message":"boom"}`)}, nil, policies, outcome{ok: true, calls: 2}},
		{"502 HTML page once", "listPoliciesV2", []qualystest.Fault{qualystest.HTMLError(502)}, nil, policies, outcome{ok: true, calls: 2}},
		{"503 burst of 3", "listPoliciesV2", qualystest.Repeat(3, qualystest.HTMLError(503)), nil, policies, outcome{ok: true, calls: 4}},
		{"504 once on a CAR search", "searchJobs", []qualystest.Fault{qualystest.HTMLError(504)}, nil, jobs, outcome{ok: true}},
		{"5xx beyond the retry budget", "listPoliciesV2", qualystest.Repeat(5, qualystest.HTMLError(503)), []qualys.Option{qualys.WithMaxRetries(2)}, policies,
			outcome{is: []error{qualys.ErrServer}, msg: "503", calls: 3}},
		{"retries disabled", "listPoliciesV2", []qualystest.Fault{qualystest.HTMLError(500)}, []qualys.Option{qualys.WithMaxRetries(0)}, policies,
			outcome{is: []error{qualys.ErrServer}, msg: "text/html", calls: 1}},
		{"429 without rate headers", "listPoliciesV2", []qualystest.Fault{qualystest.TooManyRequests()}, nil, policies, outcome{ok: true, calls: 2}},
		{"429 storm within the retry budget", "searchJobs", qualystest.Repeat(3, qualystest.TooManyRequests()), nil, jobs, outcome{ok: true}},
		{"429 storm beyond the retry budget", "listPoliciesV2", qualystest.Repeat(6, qualystest.TooManyRequests()), nil, policies,
			outcome{is: []error{qualys.ErrRateLimited}, msg: "429", calls: 4}},
		{"409 code 1965 (rate)", "listPoliciesV2", []qualystest.Fault{qualystest.Conflict(1965)}, nil, policies, outcome{ok: true, calls: 2}},
		{"409 code 1960 (concurrency)", "searchJobs", []qualystest.Fault{qualystest.Conflict(1960)}, nil, jobs, outcome{ok: true}},
		{"409 that is not throttling", "listPoliciesV2", []qualystest.Fault{qualystest.Status(409, classic409)}, nil, policies,
			outcome{is: []error{qualys.ErrConflict}, msg: "already exists", calls: 1}},
		{"expired token mid-pagination", "searchJobs", []qualystest.Fault{qualystest.ExpiredToken()}, nil, jobs, outcome{ok: true}},
		{"expired token on host ids", "resolveHostIdsV3", []qualystest.Fault{qualystest.ExpiredToken()}, nil,
			func(ctx context.Context, c *qualys.Client) error {
				_, err := c.HostIDs(ctx, nil, time.Time{})
				return err
			}, outcome{ok: true, calls: 2}},
		{"token expired twice in a row", "listPoliciesV2", qualystest.Repeat(2, qualystest.ExpiredToken()), nil, policies,
			outcome{is: []error{qualys.ErrTokenExpired, qualys.ErrUnauthorized}, msg: "JWT expired", calls: 2}},
		{"connection reset before the response (GET)", "listPoliciesV2", []qualystest.Fault{qualystest.ResetBeforeResponse()}, nil, policies, outcome{ok: true, calls: 2}},
		{"connection reset after the headers", "listPoliciesV2", []qualystest.Fault{qualystest.ResetAfterHeaders()}, []qualys.Option{qualys.WithMaxRetries(0)}, policies,
			outcome{is: []error{qualys.ErrUnexpectedBody}, msg: "HTTP 200"}},
		{"body truncated, clean close", "searchJobs", []qualystest.Fault{qualystest.TruncateBody(40)}, nil, jobs,
			outcome{is: []error{qualys.ErrUnexpectedBody}, msg: "HTTP 200"}},
		{"200 with a text body", "listPoliciesV2", []qualystest.Fault{qualystest.Status(200, "Service temporarily unavailable")}, nil, policies,
			outcome{is: []error{qualys.ErrUnexpectedBody}, msg: "text/plain"}},
		{"200 with an HTML page", "searchJobs", []qualystest.Fault{qualystest.Status(200, "<html><body>Maintenance</body></html>")}, nil, jobs,
			outcome{is: []error{qualys.ErrUnexpectedBody}, msg: "text/html"}},
		{"XML error body", "listPoliciesV2", []qualystest.Fault{qualystest.Status(400, "<SIMPLE_RETURN><RESPONSE><CODE>1905</CODE><TEXT>Bad parameter.</TEXT></RESPONSE></SIMPLE_RETURN>")}, nil, policies,
			// The code is read from the XML, not only the text.
			outcome{is: []error{qualys.ErrInvalidRequest}, msg: "code 1905: Bad parameter.", calls: 1}},
		{"slow response past the attempt timeout", "listPoliciesV2", []qualystest.Fault{qualystest.Slow(2 * time.Second)}, []qualys.Option{qualys.WithAttemptTimeout(200 * time.Millisecond)}, policies,
			outcome{ok: true, calls: 2}},
		{"import whose response is lost is not re-sent", "importLibraryScriptV1", []qualystest.Fault{qualystest.ResetBeforeResponse()}, nil,
			func(ctx context.Context, c *qualys.Client) error {
				_, err := c.ImportLibraryScript(ctx, qualys.Import{LibraryID: wire.NewID(1039), Title: "x", CategoryID: 7})
				return err
			}, outcome{msg: "importLibraryScript", calls: 1}},
		{"execute answered 503 is not re-sent", "executeScript", []qualystest.Fault{qualystest.HTMLError(503)}, nil,
			func(ctx context.Context, c *qualys.Client) error {
				_, err := c.ExecuteScript(ctx, wire.NewID(32533), qualys.Execution{AssetIDs: []wire.ID{wire.NewID(1)}})
				return err
			}, outcome{is: []error{qualys.ErrServer}, msg: "503", calls: 1}},
		{"execute throttled is re-sent", "executeScript", []qualystest.Fault{qualystest.Conflict(1965)}, nil,
			func(ctx context.Context, c *qualys.Client) error {
				_, err := c.ExecuteScript(ctx, wire.NewID(32533), qualys.Execution{AssetIDs: []wire.ID{wire.NewID(1)}})
				return err
			}, outcome{ok: true, calls: 2}},
		{"unknown library script", "getLibraryScript", nil, nil,
			func(ctx context.Context, c *qualys.Client) error {
				_, err := c.LibraryScript(ctx, wire.NewID(1))
				return err
			},
			outcome{is: []error{qualys.ErrNotFound}, msg: "404", calls: 1}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			c, sim := simClient(t, nil, tt.opts...)
			if len(tt.faults) > 0 {
				sim.Fail(tt.target, tt.faults...)
			}
			err := tt.call(ctx, c)
			if strings.Contains(tt.name, "lost") {
				// The client cannot know whether the import happened; the
				// error must say the request failed, and nothing is re-sent.
				if err == nil {
					t.Fatal("want an error")
				}
				if n := sim.Count(tt.target); n != 1 {
					t.Errorf("%d requests, want 1", n)
				}
				return
			}
			tt.want.check(t, err, sim.Count(tt.target))
		})
	}
}

func TestReliabilityContext(t *testing.T) {
	t.Run("deadline shorter than a slow response", func(t *testing.T) {
		c, sim := simClient(t, nil)
		sim.Fail("listPoliciesV2", qualystest.Slow(3*time.Second))
		ctx, cancel := context.WithTimeout(context.Background(), 200*time.Millisecond)
		defer cancel()
		if err := policies(ctx, c); !errors.Is(err, context.DeadlineExceeded) {
			t.Errorf("got %v, want DeadlineExceeded", err)
		}
	})
	t.Run("cancelled before the call", func(t *testing.T) {
		c, sim := simClient(t, nil)
		ctx, cancel := context.WithCancel(context.Background())
		cancel()
		if err := jobs(ctx, c); !errors.Is(err, context.Canceled) {
			t.Errorf("got %v, want Canceled", err)
		}
		if n := sim.Count("searchJobs"); n != 0 {
			t.Errorf("%d requests after cancellation", n)
		}
	})
	t.Run("cancelled during pagination", func(t *testing.T) {
		c, _ := simClient(t, nil)
		ctx, cancel := context.WithCancel(context.Background())
		defer cancel()
		n := 0
		var last error
		for _, err := range c.Jobs(ctx, qualys.WithPageSize(2)) {
			if last = err; err != nil {
				break
			}
			if n++; n == 3 {
				cancel()
			}
		}
		if !errors.Is(last, context.Canceled) {
			t.Errorf("got %v after %d records, want Canceled", last, n)
		}
	})
	t.Run("wrong password is not retried", func(t *testing.T) {
		sim := qualystest.NewServer(t)
		c := clientOf(t, sim, qualys.WithCredentials(sim.Username(), "wrong"))
		err := policies(context.Background(), c)
		if !errors.Is(err, qualys.ErrUnauthorized) || sim.Count("/auth") != 1 {
			t.Errorf("got %v after %d /auth calls", err, sim.Count("/auth"))
		}
	})
}

// TestReliabilityNothingLost: iterators and posture streams deliver every
// record exactly once, or fail; compared with the simulator's own data.
func TestReliabilityNothingLost(t *testing.T) {
	ctx := context.Background()
	t.Run("every job once across a token expiry and a 503", func(t *testing.T) {
		c, sim := simClient(t, nil)
		sim.Fail("searchJobs", qualystest.Slow(0), qualystest.ExpiredToken(), qualystest.HTMLError(503))
		seen := map[string]int{}
		for j, err := range c.Jobs(ctx, qualys.WithPageSize(4)) {
			if err != nil {
				t.Fatal(err)
			}
			seen[j.ID.String()]++
		}
		want := len(sim.Data().CAR.Jobs)
		if len(seen) != want {
			t.Errorf("%d distinct jobs, want %d", len(seen), want)
		}
		for id, n := range seen {
			if n != 1 {
				t.Errorf("job %s delivered %d times", id, n)
			}
		}
	})
	t.Run("posture stream cut mid-body", func(t *testing.T) {
		c, sim := simClient(t, []qualystest.Option{qualystest.WithHosts(30)})
		policy := sim.Data().Policies[0].ID
		hosts, err := c.HostIDs(ctx, []wire.ID{wire.NewID(policy)}, time.Time{})
		if err != nil {
			t.Fatal(err)
		}
		sim.Fail("getPostureInfoV5", qualystest.ResetAfterBytes(3000))
		req := qualys.PostureRequest{Policies: []pcrs.PostureInfoRequestItem{{PolicyID: wire.NewID(policy).AsString(), SubscriptionID: hosts[0].SubscriptionID, HostIDs: hosts[0].HostIDs}}}
		n := 0
		var last error
		for _, err := range c.PostureStream(ctx, req) {
			if last = err; err != nil {
				break
			}
			n++
		}
		if last == nil {
			t.Fatalf("%d records and no error from a cut stream", n)
		}
		var netErr net.Error
		if !errors.Is(last, io.ErrUnexpectedEOF) && !errors.As(last, &netErr) && !strings.Contains(last.Error(), "reset") {
			t.Errorf("error %v does not say the stream was cut", last)
		}
	})
	t.Run("posture stream truncated with a clean close", func(t *testing.T) {
		c, sim := simClient(t, []qualystest.Option{qualystest.WithHosts(30)})
		sim.Fail("getPostureInfoV5", qualystest.TruncateBody(2500))
		n := 0
		var last error
		for _, err := range c.FetchPosture(ctx, qualys.PostureQuery{PolicyIDs: []wire.ID{wire.NewID(sim.Data().Policies[0].ID)}}, qualys.WithConcurrency(1)) {
			if last = err; err != nil {
				break
			}
			n++
		}
		// A batch broken before any record is retried; after records it
		// is an error. Either way no short result passes silently.
		if last != nil {
			if !errors.Is(last, qualys.ErrUnexpectedBody) {
				t.Fatalf("error %v does not say the body was damaged", last)
			}
			return
		}
		sim.ClearFaults() // the reference
		clean := 0
		for _, err := range c.FetchPosture(ctx, qualys.PostureQuery{PolicyIDs: []wire.ID{wire.NewID(sim.Data().Policies[0].ID)}}, qualys.WithConcurrency(1)) {
			if err != nil {
				t.Fatal(err)
			}
			clean++
		}
		if n != clean || n == 0 {
			t.Fatalf("%d records and no error, a clean fetch has %d", n, clean)
		}
	})
}
