package qualys_test

import (
	"context"
	"errors"
	"fmt"
	"log"
	"runtime"
	"slices"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/qualyskit/qualys-go/gen/car"
	"github.com/qualyskit/qualys-go/qualystest"
	"github.com/qualyskit/qualys-go/wire"
	qualys "github.com/qualyskit/qualys-go/wrapper"
)

// fast keeps a run's waits short in tests; the logic is the same.
func fast(e qualys.Execution) qualys.Execution {
	e.PollInterval, e.MaxPollInterval = time.Millisecond, 5*time.Millisecond
	return e
}

// runnable finds a host that is neither blocked nor tagged with a blocked
// tag, and one that is blocked.
func runnable(t *testing.T, d *qualystest.Data) (free, blocked qualystest.Host) {
	t.Helper()
	var okFree, okBlocked bool
	for _, h := range d.Hosts {
		switch {
		case !okFree && !isBlocked(d, h):
			free, okFree = h, true
		case !okBlocked && isBlocked(d, h):
			blocked, okBlocked = h, true
		}
	}
	if !okFree || !okBlocked {
		t.Fatal("the simulator has no free and blocked hosts")
	}
	return free, blocked
}

// ids are the simulator's ids as the client takes them.
func ids(n ...int64) []wire.ID {
	out := make([]wire.ID, len(n))
	for i, v := range n {
		out[i] = wire.NewID(v)
	}
	return out
}

// isBlocked tells whether CAR refuses to run scripts on a host.
func isBlocked(d *qualystest.Data, h qualystest.Host) bool {
	return slices.Contains(d.CAR.BlockedAssetIDs, h.ID) ||
		slices.ContainsFunc(h.TagIDs, func(id int64) bool { return slices.Contains(d.CAR.BlockedTagIDs, id) })
}

func TestRunScriptReportsEveryAsset(t *testing.T) {
	c, sim := simClient(t, nil)
	d := sim.Data()
	free, blocked := runnable(t, d)
	script := d.CAR.Scripts[0]
	excluded := d.Hosts[1].ID
	if excluded == free.ID || excluded == blocked.ID {
		excluded = d.Hosts[2].ID
	}
	runs, err := c.RunScript(context.Background(), wire.NewID(script.ID), fast(qualys.Execution{
		AssetIDs: ids(free.ID, blocked.ID, excluded), ExcludedAssetIDs: ids(excluded),
	}))
	if err != nil {
		t.Fatal(err)
	}
	if got := sim.Count("executeScript"); got != 1 {
		t.Errorf("executeScript called %d times, want once", got)
	}
	byAsset := map[string]qualys.AssetRun{}
	for _, r := range runs {
		byAsset[r.AssetID.String()] = r
	}
	if len(runs) != 3 || len(byAsset) != 3 {
		t.Fatalf("%d runs for %d assets, want one per asset: %+v", len(runs), len(byAsset), runs)
	}
	ran := byAsset[strconv.FormatInt(free.ID, 10)]
	if ran.Status != "EXECUTION PASSED" || ran.AssetJobID.IsZero() || ran.JobID.IsZero() || ran.Reason != "" {
		t.Errorf("the free asset: %+v", ran)
	}
	if len(ran.Output) == 0 || !strings.HasSuffix(string(ran.Output), "\n") {
		t.Errorf("output %q, want the decoded script output", ran.Output)
	}
	if ran.Started.IsZero() || ran.Ended.Before(ran.Started) || ran.Duration <= 0 || ran.AssetName != free.DNS {
		t.Errorf("timings and name: %+v", ran)
	}
	for id, want := range map[int64]string{blocked.ID: "blocked", excluded: "excluded"} {
		r := byAsset[strconv.FormatInt(id, 10)]
		if r.Status != "SKIPPED" || !strings.Contains(r.Reason, want) || !r.AssetJobID.IsZero() || !r.JobID.Equal(ran.JobID) {
			t.Errorf("asset %d: %+v, want SKIPPED saying %q", id, r, want)
		}
	}
}

func TestRunScriptTestModeOnLabTags(t *testing.T) {
	c, sim := simClient(t, nil)
	d := sim.Data()
	var lab qualystest.Tag
	for _, tag := range d.Tags {
		if tag.Lab {
			lab = tag
			break
		}
	}
	var want []string
	for _, h := range d.Hosts {
		if slices.Contains(h.TagIDs, lab.ID) && slices.Contains(d.CAR.LabAssetIDs, h.ID) && !isBlocked(d, h) {
			want = append(want, strconv.FormatInt(h.ID, 10))
		}
	}
	if len(want) == 0 {
		t.Fatal("no lab host carries the lab tag")
	}
	var progress []qualys.RunProgress
	runs, err := c.RunScript(context.Background(), wire.NewID(d.CAR.Scripts[0].ID), qualys.Execution{
		PollInterval: time.Millisecond, MaxPollInterval: 5 * time.Millisecond, Test: true, TestTags: []car.TargetRef{{ID: wire.NewID(lab.ID), UUID: lab.UUID}},
		Progress: func(p qualys.RunProgress) { progress = append(progress, p) },
	})
	if err != nil {
		t.Fatal(err)
	}
	var got []string
	for _, r := range runs {
		got = append(got, r.AssetID.String())
		if r.Status == "SKIPPED" {
			t.Errorf("lab asset %s skipped: %s", r.AssetID, r.Reason)
		}
	}
	slices.Sort(got)
	slices.Sort(want)
	if !slices.Equal(got, want) {
		t.Errorf("ran on %v, want the lab hosts of the tag %v", got, want)
	}
	// A run on tags waits for the asset set to settle: several polls.
	// Tags name no assets: nothing is expected, and the last poll has no
	// next one.
	last := progress[len(progress)-1]
	if len(progress) < 3 || last.Done != len(want) || last.Expected != 0 || last.NextPoll != 0 || progress[0].JobID.IsZero() {
		t.Errorf("progress %+v", progress)
	}
}

// A run yields each asset as it finishes; until then the run waits.
func TestRunScriptResultsYieldsAsAssetsFinish(t *testing.T) {
	c, sim := simClient(t, nil)
	d := sim.Data()
	free, _ := runnable(t, d)
	var second qualystest.Host
	for _, h := range d.Hosts[1:] {
		if h.ID != free.ID && !isBlocked(d, h) {
			second = h
			break
		}
	}
	// The job is not listed at the first poll, as when CAR creates it
	// after answering; meanwhile the asset jobs are set running.
	empty := `{"errorCode":null,"message":null,"body":{"totalCount":0,"list":[]}}`
	sim.Fail("searchJobs", qualystest.Status(200, empty))
	// The hook and the loop body share polls without a lock: both run on
	// this goroutine (the race detector would say otherwise).
	polls := 0
	progress := func(qualys.RunProgress) {
		polls++
		sim.Update(func(d *qualystest.Data) {
			for i := range d.CAR.AssetJobs {
				aj := &d.CAR.AssetJobs[i]
				if aj.JobID != d.CAR.Jobs[len(d.CAR.Jobs)-1].ID {
					continue
				}
				switch {
				case polls == 1: // before the job is found: both running
					aj.Status, aj.Ended = "EXECUTION IN PROGRESS", time.Time{}
				case polls == 3 && aj.HostID == free.ID, polls == 6:
					aj.Status, aj.Ended = "EXECUTION PASSED", aj.Started.Add(time.Second)
				}
			}
		})
	}
	var order []string
	var atPoll []int
	for r, err := range c.RunScriptResults(context.Background(), wire.NewID(d.CAR.Scripts[0].ID),
		fast(qualys.Execution{AssetIDs: ids(free.ID, second.ID), Progress: progress})) {
		if err != nil {
			t.Fatal(err)
		}
		order, atPoll = append(order, r.AssetID.String()), append(atPoll, polls)
	}
	want := []string{strconv.FormatInt(free.ID, 10), strconv.FormatInt(second.ID, 10)}
	if !slices.Equal(order, want) || atPoll[0] != 3 || atPoll[1] != 6 {
		t.Errorf("yielded %v after polls %v, want %v after polls 3 and 6", order, atPoll, want)
	}
}

// The progress hook counts the assets done and running at each poll, on
// the goroutine that called RunScript, and never after it returned.
func TestRunScriptProgress(t *testing.T) {
	c, sim := simClient(t, nil)
	d := sim.Data()
	free, _ := runnable(t, d)
	var second qualystest.Host
	for _, h := range d.Hosts[1:] {
		if h.ID != free.ID && !isBlocked(d, h) {
			second = h
			break
		}
	}
	excluded := d.Hosts[0].ID
	for _, h := range d.Hosts {
		if h.ID != free.ID && h.ID != second.ID {
			excluded = h.ID
			break
		}
	}
	// The job is not listed at the first poll; then both assets run, and
	// one finishes at each poll after.
	sim.Fail("searchJobs", qualystest.Status(200, `{"errorCode":null,"message":null,"body":{"totalCount":0,"list":[]}}`))
	caller := goroutineID()
	returned := false
	var seen []qualys.RunProgress
	progress := func(p qualys.RunProgress) {
		if returned {
			t.Errorf("progress after RunScript returned: %+v", p)
		}
		if g := goroutineID(); g != caller {
			t.Errorf("progress on goroutine %s, want the caller's %s", g, caller)
		}
		seen = append(seen, p)
		sim.Update(func(d *qualystest.Data) {
			n := 0
			for i := range d.CAR.AssetJobs {
				aj := &d.CAR.AssetJobs[i]
				if aj.JobID != d.CAR.Jobs[len(d.CAR.Jobs)-1].ID {
					continue
				}
				switch n++; {
				case len(seen) == 1: // before the job is found: both running
					aj.Status, aj.Ended = "EXECUTION IN PROGRESS", time.Time{}
				case len(seen) == n+1: // the first finishes after poll 2, the second after poll 3
					aj.Status, aj.Ended = "EXECUTION PASSED", aj.Started.Add(time.Second)
				}
			}
		})
	}
	runs, err := c.RunScript(context.Background(), wire.NewID(d.CAR.Scripts[0].ID),
		fast(qualys.Execution{AssetIDs: ids(free.ID, second.ID, excluded), ExcludedAssetIDs: ids(excluded), Progress: progress}))
	returned = true
	if err != nil || len(runs) != 3 {
		t.Fatalf("%d runs, %v", len(runs), err)
	}
	type counts struct{ done, running, expected int }
	want := []counts{{0, 0, 2}, {0, 2, 2}, {1, 1, 2}, {2, 0, 2}}
	if len(seen) != len(want) {
		t.Fatalf("%d polls reported, want %d: %+v", len(seen), len(want), seen)
	}
	for i, p := range seen {
		if got := (counts{p.Done, p.Running, p.Expected}); got != want[i] {
			t.Errorf("poll %d: %+v, want done, running, expected %v", i+1, p, want[i])
		}
		if p.JobID.IsZero() != (i == 0) {
			t.Errorf("poll %d: job %q; want it from the second poll on", i+1, p.JobID)
		}
		if last := i == len(seen)-1; (p.NextPoll == 0) != last || p.RateLimited {
			t.Errorf("poll %d: next poll in %s, rate limited %v; want a wait after every poll but the last", i+1, p.NextPoll, p.RateLimited)
		}
	}
	if !seen[1].JobID.Equal(runs[0].JobID) {
		t.Errorf("progress names job %s, the runs %s", seen[1].JobID, runs[0].JobID)
	}

	// Breaking out of RunScriptResults ends the calls too: the first
	// poll yields an asset, and the poll's progress never comes.
	calls := 0
	for range c.RunScriptResults(context.Background(), wire.NewID(d.CAR.Scripts[0].ID),
		fast(qualys.Execution{AssetIDs: ids(free.ID, second.ID), Progress: func(qualys.RunProgress) { calls++ }})) {
		break
	}
	if calls != 0 {
		t.Errorf("%d progress calls after the loop stopped at the first result", calls)
	}
}

// goroutineID names the running goroutine, from its stack header
// ("goroutine 7 [running]:").
func goroutineID() string {
	b := make([]byte, 64)
	b = b[:runtime.Stack(b, false)]
	return strings.Fields(string(b))[1]
}

func TestRunScriptStopsWithTheContext(t *testing.T) {
	c, sim := simClient(t, nil)
	d := sim.Data()
	free, _ := runnable(t, d)
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	keepRunning := func(qualys.RunProgress) {
		sim.Update(func(d *qualystest.Data) {
			for i := range d.CAR.AssetJobs {
				if d.CAR.AssetJobs[i].JobID == d.CAR.Jobs[len(d.CAR.Jobs)-1].ID {
					d.CAR.AssetJobs[i].Status, d.CAR.AssetJobs[i].Ended = "QUEUED", time.Time{}
				}
			}
		})
		cancel()
	}
	sim.Fail("searchJobs", qualystest.Status(200, `{"errorCode":null,"message":null,"body":{"totalCount":0,"list":[]}}`))
	runs, err := c.RunScript(ctx, wire.NewID(d.CAR.Scripts[0].ID), fast(qualys.Execution{AssetIDs: ids(free.ID), Progress: keepRunning}))
	if !errors.Is(err, context.Canceled) || len(runs) != 0 {
		t.Fatalf("got %d runs, %v; want context.Canceled", len(runs), err)
	}
	if !strings.Contains(err.Error(), "correlation") {
		t.Errorf("error %q does not say which run it waited for", err)
	}
	if got := sim.Count("executeScript"); got != 1 {
		t.Errorf("executeScript called %d times", got)
	}
}

func TestRunScriptRejectsBadInput(t *testing.T) {
	c, sim := simClient(t, nil)
	d := sim.Data()
	cases := map[string]qualys.Execution{
		"no targets":        fast(qualys.Execution{}),
		"test without lab":  fast(qualys.Execution{Test: true}),
		"inverted interval": {AssetIDs: ids(d.Hosts[0].ID), PollInterval: time.Second, MaxPollInterval: time.Millisecond},
		"negative interval": {AssetIDs: ids(d.Hosts[0].ID), PollInterval: -time.Second},
	}
	for name, tc := range cases {
		t.Run(name, func(t *testing.T) {
			_, err := c.RunScript(context.Background(), wire.NewID(d.CAR.Scripts[0].ID), tc)
			if !errors.Is(err, qualys.ErrInvalidRequest) {
				t.Errorf("got %v, want ErrInvalidRequest", err)
			}
		})
	}
	if n := sim.Count("executeScript"); n != 0 {
		t.Errorf("%d executions sent for bad input", n)
	}
}

// Ranging twice over one run must not execute the script twice.
func TestRunScriptResultsNeverExecutesTwice(t *testing.T) {
	c, sim := simClient(t, nil)
	d := sim.Data()
	free, _ := runnable(t, d)
	seq := c.RunScriptResults(context.Background(), wire.NewID(d.CAR.Scripts[0].ID), fast(qualys.Execution{AssetIDs: ids(free.ID)}))
	for _, err := range seq {
		if err != nil {
			t.Fatal(err)
		}
	}
	var again error
	for _, err := range seq {
		again = err
	}
	if !errors.Is(again, qualys.ErrInvalidRequest) || sim.Count("executeScript") != 1 {
		t.Errorf("second range: %v, %d executions", again, sim.Count("executeScript"))
	}
}

// Run a script on an asset and print what it printed; skipped assets
// come back with the reason.
func ExampleClient_RunScript() {
	sim, err := qualystest.Start()
	if err != nil {
		log.Fatal(err)
	}
	defer sim.Close()
	client, err := qualys.NewClient(qualys.WithGatewayURL(sim.URL), qualys.WithCredentials(sim.Username(), sim.Password()),
		qualys.WithHTTPClient(sim.Client()))
	if err != nil {
		log.Fatal(err)
	}
	d := sim.Data()
	blocked := d.CAR.BlockedAssetIDs[0]
	runs, err := client.RunScript(context.Background(), wire.NewID(d.CAR.Scripts[0].ID), qualys.Execution{
		AssetIDs:     ids(d.Hosts[0].ID, blocked),
		PollInterval: 10 * time.Millisecond, // the simulator is quick; the default is 2s
	})
	if err != nil {
		log.Fatal(err)
	}
	for _, r := range runs {
		if r.Status == "SKIPPED" {
			fmt.Println("skipped:", r.Reason[strings.LastIndex(r.Reason, ": ")+2:])
			continue
		}
		fmt.Printf("%s exit %d: %s", r.Status, r.ExitCode, r.Output)
	}
	// Output:
	// EXECUTION PASSED exit 0: Script Output printed!!
	// skipped: CAR made no asset job for it
}

// Polls slow down to stay inside the CAR budget the gateway reports, and
// the progress says so.
func TestRunScriptWaitsInsideTheRateLimit(t *testing.T) {
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	var seen []qualys.RunProgress
	progress := func(p qualys.RunProgress) {
		seen = append(seen, p)
		if p.RateLimited {
			cancel() // the wait is minutes long: the point is that it was chosen
		}
	}
	c, sim := simClient(t, []qualystest.Option{qualystest.WithRateLimit(8, time.Hour)})
	d := sim.Data()
	var lab qualystest.Tag
	for _, tag := range d.Tags {
		if tag.Lab {
			lab = tag
			break
		}
	}
	_, err := c.RunScript(ctx, wire.NewID(d.CAR.Scripts[0].ID), qualys.Execution{Test: true, TestTags: []car.TargetRef{{ID: wire.NewID(lab.ID), UUID: lab.UUID}},
		PollInterval: time.Millisecond, MaxPollInterval: 2 * time.Millisecond, Progress: progress})
	if !errors.Is(err, context.Canceled) {
		t.Fatalf("got %v; want the run to wait on the rate limit until cancelled", err)
	}
	last := seen[len(seen)-1]
	if !last.RateLimited || last.NextPoll < time.Minute {
		t.Errorf("last progress %+v: want a wait of minutes, flagged as rate limited", last)
	}
	for _, p := range seen[:len(seen)-1] {
		if p.RateLimited {
			t.Errorf("rate limited too early: %+v", seen)
			break
		}
	}
	if n := sim.Count("executeScript"); n != 1 {
		t.Errorf("%d executions", n)
	}
}

// Show how far a run has come after each poll: here a line per poll, in a
// command-line tool a progress bar.
func ExampleRunProgress() {
	sim, err := qualystest.Start()
	if err != nil {
		log.Fatal(err)
	}
	defer sim.Close()
	client, err := qualys.NewClient(qualys.WithGatewayURL(sim.URL), qualys.WithCredentials(sim.Username(), sim.Password()),
		qualys.WithHTTPClient(sim.Client()))
	if err != nil {
		log.Fatal(err)
	}
	d := sim.Data()
	run := qualys.Execution{
		AssetIDs:     ids(d.Hosts[0].ID),
		PollInterval: 10 * time.Millisecond,
		// Called on this goroutine after each poll, never after RunScript
		// returns.
		Progress: func(p qualys.RunProgress) {
			line := fmt.Sprintf("%d of %d asset(s) done, %d running", p.Done, p.Expected, p.Running)
			if p.RateLimited {
				line += fmt.Sprintf("; waiting %s on the CAR rate limit", p.NextPoll.Round(time.Second))
			}
			fmt.Println(line)
		},
	}
	runs, err := client.RunScript(context.Background(), wire.NewID(d.CAR.Scripts[0].ID), run)
	if err != nil {
		log.Fatal(err)
	}
	fmt.Println(runs[0].Status)
	// Output:
	// 1 of 1 asset(s) done, 0 running
	// EXECUTION PASSED
}

// Print each asset's outcome as soon as its run finishes.
func ExampleClient_RunScriptResults() {
	sim, err := qualystest.Start()
	if err != nil {
		log.Fatal(err)
	}
	defer sim.Close()
	client, err := qualys.NewClient(qualys.WithGatewayURL(sim.URL), qualys.WithCredentials(sim.Username(), sim.Password()),
		qualys.WithHTTPClient(sim.Client()))
	if err != nil {
		log.Fatal(err)
	}
	d := sim.Data()
	run := qualys.Execution{AssetIDs: ids(d.Hosts[0].ID), ExcludedAssetIDs: ids(d.Hosts[1].ID), PollInterval: 10 * time.Millisecond}
	for r, err := range client.RunScriptResults(context.Background(), wire.NewID(d.CAR.Scripts[0].ID), run) {
		if err != nil {
			log.Fatal(err)
		}
		fmt.Printf("%s: %s%s\n", r.Status, strings.TrimSpace(string(r.Output)), r.Reason)
	}
	// Output:
	// EXECUTION PASSED: Script Output printed!!
	// SKIPPED: excluded from the run
}
