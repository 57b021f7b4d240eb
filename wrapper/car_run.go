package qualys

import (
	"cmp"
	"context"
	"errors"
	"fmt"
	"iter"
	"log/slog"
	"slices"
	"strings"
	"sync/atomic"
	"time"

	"github.com/qualyskit/qualys-go/gen/car"
	"github.com/qualyskit/qualys-go/wire"
)

// AssetRun is what one run of a script did on one asset: its CAR status,
// decoded output, exit code and timings, or, for an asset that did not
// run, Status "SKIPPED" and the reason.
type AssetRun struct {
	AssetID    wire.ID
	AssetName  string
	Address    string
	JobID      wire.ID // the job of the whole run
	AssetJobID wire.ID // zero when the asset did not run
	// Status is CAR's status of the asset job, e.g. "EXECUTION PASSED",
	// or "SKIPPED" when CAR made no asset job for the asset.
	Status   string
	Reason   string // why the asset was skipped; empty when it ran
	Output   []byte // what the script printed, decoded
	ExitCode int64  // the script's exit code; zero when CAR reports none
	Started  time.Time
	Ended    time.Time
	Duration time.Duration
}

// RunProgress is how far a run of a script has come, as of one poll.
type RunProgress struct {
	JobID   wire.ID // the run's job; zero until CAR lists it
	Done    int     // assets whose asset job finished
	Running int     // asset jobs not finished yet
	// Expected is how many assets the execution names, less the
	// excluded ones; a run on tags may reach more, and one on tags only
	// names none, since CAR does not say how many assets a tag holds.
	Expected int
	// NextPoll is the wait before the next poll; zero after the last one,
	// when every asset is accounted for.
	NextPoll time.Duration
	// RateLimited says that NextPoll was stretched to stay inside the CAR
	// rate limit.
	RateLimited bool
}

type runConfig struct {
	minPoll, maxPoll time.Duration
	settle           int
}

// The status of an asset that did not run, and why.
const (
	skippedStatus    = "SKIPPED"
	reasonExcluded   = "excluded from the run"
	reasonNoAssetJob = "blocked (the asset or one of its tags), no CAR agent, or not a lab asset of a test run: CAR made no asset job for it"
)

// settlePolls is how many polls in a row must see no new asset job before a
// run on tags, or a run missing named assets, counts as complete: CAR does
// not say how many assets a tag resolves to.
const settlePolls = 3

// maxJobScan bounds the job records read while looking for the job of an
// execution, whatever totals the server reports.
const maxJobScan = 1000

// RunScript runs a script now and waits for it: it executes the script
// once (never re-sent), finds the job by its correlation UUID, polls the
// job's asset jobs with backoff inside the rate limits until every asset
// is done or ctx ends, and returns one AssetRun per asset, skipped assets
// included. Test runs (Execution.Test with lab assets or lab tags) work
// the same way.
//
// On error, the runs finished so far are returned with it; an asset
// whose output cannot be decoded is returned with its status and the
// error, and the others are still collected.
//
// After each poll, Execution.Progress (when set) is called with a
// RunProgress: the counts a progress display needs, on the calling
// goroutine. Each poll is also logged at debug level (see WithLogger),
// for reading, not parsing.
func (c *Client) RunScript(ctx context.Context, scriptID wire.ID, e Execution) ([]AssetRun, error) {
	var runs []AssetRun
	var errs []error
	for r, err := range c.RunScriptResults(ctx, scriptID, e) {
		if err != nil {
			errs = append(errs, err)
			if r.AssetJobID.IsZero() {
				break // the run itself failed, not one asset's output
			}
		}
		if !r.AssetID.IsZero() || !r.AssetJobID.IsZero() {
			runs = append(runs, r)
		}
	}
	return runs, errors.Join(errs...)
}

// RunScriptResults is RunScript as an iterator: it yields each asset as
// its asset job finishes, then the skipped assets. Ranging over it runs
// the script; ranging again yields only an error, since an execution is
// never repeated. An error with an AssetRun whose AssetJobID is set is
// that asset's undecodable output, and the iteration goes on; any other
// error ends it.
func (c *Client) RunScriptResults(ctx context.Context, scriptID wire.ID, e Execution) iter.Seq2[AssetRun, error] {
	cfg := runConfig{minPoll: cmp.Or(e.PollInterval, 2*time.Second), maxPoll: cmp.Or(e.MaxPollInterval, 30*time.Second), settle: settlePolls}
	var started atomic.Bool
	return func(yield func(AssetRun, error) bool) {
		op := fmt.Sprintf("running script %s", scriptID)
		switch {
		case cfg.minPoll < 0 || cfg.maxPoll < cfg.minPoll:
			yield(AssetRun{}, fmt.Errorf("qualys: %s: poll interval %v to %v: %w", op, cfg.minPoll, cfg.maxPoll, ErrInvalidRequest))
			return
		case started.Swap(true):
			yield(AssetRun{}, fmt.Errorf("qualys: %s: the execution already started; ranging again would run the script twice: %w", op, ErrInvalidRequest))
			return
		}
		uuid, err := c.ExecuteScript(ctx, scriptID, e)
		if err != nil {
			yield(AssetRun{}, err)
			return
		}
		w := &runWatch{c: c, cfg: cfg, op: op, scriptID: scriptID, uuid: uuid,
			expected: expectedAssets(e), tags: len(e.AssetTagIDs) > 0 || len(e.TestTags) > 0,
			reported: map[string]bool{}}
		w.run(ctx, e, yield)
	}
}

// expectedAssets lists the asset ids a run names directly, minus the
// excluded ones.
func expectedAssets(e Execution) []string {
	var ids []string
	if e.Test {
		for _, a := range e.TestAssets {
			ids = append(ids, a.ID.String())
		}
	} else {
		for _, a := range e.AssetIDs {
			ids = append(ids, a.String())
		}
	}
	excluded := make([]string, len(e.ExcludedAssetIDs))
	for i, a := range e.ExcludedAssetIDs {
		excluded[i] = a.String()
	}
	ids = slices.DeleteFunc(ids, func(id string) bool { return slices.Contains(excluded, id) })
	slices.Sort(ids)
	return slices.Compact(ids)
}

// runWatch follows one execution until every asset is accounted for.
type runWatch struct {
	c        *Client
	cfg      runConfig
	op       string
	scriptID wire.ID
	uuid     string
	expected []string // asset ids named, as text
	tags     bool     // tags were named: the asset count is unknown
	jobID    wire.ID
	reported map[string]bool // asset-job ids already yielded
	assets   []string        // asset ids seen on asset jobs
}

func (w *runWatch) run(ctx context.Context, e Execution, yield func(AssetRun, error) bool) {
	wait := w.cfg.minPoll
	quiet := 0 // polls in a row without a new asset job
	lastSeen := -1
	for {
		changed, running, err := w.poll(ctx, yield)
		if err != nil {
			if !errors.Is(err, errStopped) {
				yield(AssetRun{}, err)
			}
			return
		}
		finished := false
		if !w.jobID.IsZero() {
			if len(w.assets) == lastSeen {
				quiet++
			} else {
				quiet, lastSeen = 0, len(w.assets)
			}
			finished = running == 0 && w.complete(quiet)
		}
		p := RunProgress{JobID: w.jobID, Done: len(w.reported), Running: running, Expected: len(w.expected)}
		if !finished {
			if changed {
				wait = w.cfg.minPoll
			} else if wait = 2 * wait; wait > w.cfg.maxPoll {
				wait = w.cfg.maxPoll
			}
			p.NextPoll, p.RateLimited = w.rateLimitedWait(wait)
		}
		w.c.transport.log(ctx, "qualys run poll", slog.String("job", w.jobID.String()), slog.String("correlation", w.uuid),
			slog.Int("done", p.Done), slog.Int("running", p.Running), slog.Int("expected", p.Expected),
			slog.Duration("wait", p.NextPoll), slog.Bool("rate_limited", p.RateLimited))
		if e.Progress != nil {
			e.Progress(p)
		}
		if finished {
			w.skipped(e, yield)
			return
		}
		t := time.NewTimer(p.NextPoll)
		select {
		case <-ctx.Done():
			t.Stop()
			yield(AssetRun{}, fmt.Errorf("qualys: %s: waiting for job %s (correlation %s): %d asset(s) done, %d running: %w",
				w.op, idOrUnknown(w.jobID), w.uuid, len(w.reported), running, ctx.Err()))
			return
		case <-t.C:
		}
	}
}

// errStopped says the caller stopped ranging.
var errStopped = errors.New("stopped")

// complete reports whether every asset is accounted for: each named asset
// has a finished asset job, and, when tags were named or a named asset has
// none, no new asset job appeared for settle polls.
func (w *runWatch) complete(quiet int) bool {
	missing := slices.ContainsFunc(w.expected, func(id string) bool { return !slices.Contains(w.assets, id) })
	if !missing && !w.tags {
		return true
	}
	return quiet >= w.cfg.settle
}

// poll finds the job when it is not known yet, then reads its asset jobs
// and yields the newly finished ones. changed says something finished.
func (w *runWatch) poll(ctx context.Context, yield func(AssetRun, error) bool) (changed bool, running int, err error) {
	if w.jobID.IsZero() {
		if err := w.findJob(ctx); err != nil || w.jobID.IsZero() {
			return false, 0, err
		}
		changed = true
	}
	filter := "job.id:" + w.jobID.String()
	var fresh []string // finished asset jobs not yet yielded
	for j, err := range w.c.AssetJobs(ctx, WithFilter(filter)) {
		if err != nil {
			return false, 0, err
		}
		v := assetJobView(j)
		if v.AssetID != "" && !slices.Contains(w.assets, v.AssetID) {
			w.assets = append(w.assets, v.AssetID)
			changed = true
		}
		switch {
		case w.reported[v.ID]:
		case !v.Finished:
			running++
		default:
			fresh = append(fresh, v.ID)
		}
	}
	if len(fresh) == 0 {
		return changed, running, nil
	}
	// Outputs are read only once asset jobs finish, in one more search,
	// rather than on every poll, and that search stops at the last new
	// one. CAR has no documented filter on asset-job ids to read only
	// those.
	left := len(fresh)
	for j, err := range w.c.AssetJobs(ctx, WithFilter(filter), WithScriptResult()) {
		if err != nil {
			return false, 0, err
		}
		v := assetJobView(j)
		if !slices.Contains(fresh, v.ID) || w.reported[v.ID] {
			continue
		}
		left--
		w.reported[v.ID] = true
		run := v.Run
		run.JobID = w.jobID
		var derr error
		if !j.ScriptResult.IsZero() {
			run.Output, derr = ScriptResult(j)
		}
		if !yield(run, derr) {
			return false, 0, errStopped
		}
		if left == 0 {
			break
		}
	}
	return true, running, nil
}

// findJob looks for the job carrying the execution's correlation UUID
// among the script's jobs, newest first; CAR has no filter on the UUID,
// and no time window is used since the server's clock may differ from
// ours. Not finding it yet is not an error: CAR may create the job after
// answering the execute call.
func (w *runWatch) findJob(ctx context.Context) error {
	n := 0
	for j, err := range w.c.Jobs(ctx, WithFilter("scriptId:"+w.scriptID.String()), WithSort("created.dateTime", Descending)) {
		if err != nil {
			return err
		}
		if id, uuid := jobView(j); uuid == w.uuid && !id.IsZero() {
			w.jobID = id
			return nil
		}
		if n++; n >= maxJobScan {
			break
		}
	}
	return nil
}

// skipped yields the assets that did not run: the excluded ones, and the
// named ones CAR made no asset job for.
func (w *runWatch) skipped(e Execution, yield func(AssetRun, error) bool) {
	for _, id := range e.ExcludedAssetIDs {
		if !yield(AssetRun{AssetID: id, JobID: w.jobID, Status: skippedStatus, Reason: reasonExcluded}, nil) {
			return
		}
	}
	for _, id := range w.expected {
		if slices.Contains(w.assets, id) {
			continue
		}
		aid, err := wire.ParseID(id)
		if err != nil {
			aid = wire.IDFromString(id)
		}
		if !yield(AssetRun{AssetID: aid, JobID: w.jobID, Status: skippedStatus, Reason: reasonNoAssetJob}, nil) {
			return
		}
	}
}

// rateLimitedWait stretches a wait so that polling stays inside the CAR
// budget the last response reported: the server's own wait when it gives
// one, and, once a quarter of the budget is left, the rest of the window
// spread over the calls left.
func (w *runWatch) rateLimitedWait(wait time.Duration) (time.Duration, bool) {
	rl, ok := w.c.LastRateLimit("/sm/v1/assetjobs/search")
	if !ok {
		return wait, false
	}
	if d, ok := rl.ToWait(); ok && d > wait {
		return d, true
	}
	if rl.Remaining == nil || rl.Limit == nil || rl.WindowSec == nil || *rl.Limit <= 0 {
		return wait, false
	}
	if rem := *rl.Remaining; rem*4 <= *rl.Limit {
		// Two requests a poll, so half the calls left are polls.
		spread := time.Duration(*rl.WindowSec) * time.Second / time.Duration(max(rem/2, 1))
		if spread > wait {
			return spread, true
		}
	}
	return wait, false
}

func idOrUnknown(id wire.ID) string {
	if id.IsZero() {
		return "not found yet"
	}
	return id.String()
}

// finishedWords mark an asset-job status as final. CAR publishes
// "EXECUTION PASSED" only; the others are read the same way, and an asset
// job with an end time is finished whatever its status says.
var finishedWords = []string{"PASS", "FAIL", "SUCCESS", "ERROR", "TIMED OUT", "TIMEOUT", "CANCEL", "ABORT", "SKIP", "BLOCK", "COMPLETE", "REJECT"}

// asRun is what RunScript reads of an asset job.
type asRun struct {
	ID       string // asset-job id
	AssetID  string
	Finished bool
	Run      AssetRun
}

// jobView and assetJobView are the only places that read the generated
// job records' fields.
func jobView(j car.Job) (wire.ID, string) { return j.ID, j.CorrelationUUID }

func assetJobView(j car.AssetJob) asRun {
	v := asRun{ID: j.ID.String(), AssetID: j.Asset.ID.String()}
	if j.Asset.ID.IsZero() {
		v.AssetID = ""
	}
	v.Run = AssetRun{AssetJobID: j.ID, AssetID: j.Asset.ID, AssetName: j.Asset.Name, Address: j.Asset.Address,
		Status: j.Status, ExitCode: int64(j.Output.Code)}
	if j.ExecutionStartTime > 0 {
		v.Run.Started = time.UnixMilli(j.ExecutionStartTime).UTC()
	}
	if j.ExecutionEndTime > 0 {
		v.Run.Ended = time.UnixMilli(j.ExecutionEndTime).UTC()
	}
	if j.DurationInMillis > 0 {
		v.Run.Duration = time.Duration(j.DurationInMillis) * time.Millisecond
	} else if !v.Run.Started.IsZero() && !v.Run.Ended.IsZero() {
		v.Run.Duration = v.Run.Ended.Sub(v.Run.Started)
	}
	status := strings.ToUpper(v.Run.Status)
	v.Finished = !v.Run.Ended.IsZero() || slices.ContainsFunc(finishedWords, func(w string) bool { return strings.Contains(status, w) })
	return v
}
