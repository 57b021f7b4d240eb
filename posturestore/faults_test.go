package posturestore

import (
	"context"
	"errors"
	"slices"
	"testing"
	"time"

	"github.com/qualyskit/qualys-go/qualystest"
	qualys "github.com/qualyskit/qualys-go/wrapper"
)

// TestBrokenStreamsAreFetchedAgain: a posture stream cut mid-body rolls
// its batch back and fetches it again; the store ends equal to the truth,
// nothing doubled.
func TestBrokenStreamsAreFetchedAgain(t *testing.T) {
	ctx := context.Background()
	sim := qualystest.NewServer(t, qualystest.WithHosts(30), qualystest.WithPolicies(2), qualystest.WithControlsPerPolicy(6))
	st := openStore(t, sqliteLocation(t))
	sim.Fail("getPostureInfoV5", qualystest.ResetAfterBytes(3000), qualystest.TruncateBody(2000))
	res, err := st.Sync(ctx, newClient(t, sim), WithBatchHosts(10), WithClock(fixedClock(sim.Data().Now.Add(time.Hour))))
	if err != nil {
		t.Fatal(err)
	}
	truth := truthCurrent(sim.Data())
	if got := readCurrent(t, st); !slices.Equal(got, truth) || res.Records != int64(len(truth)) {
		t.Fatalf("after broken streams: %d records counted, posture_current differs:\n%s", res.Records, diff(truth, got))
	}
}

// TestFailedSyncResumes: a sync that fails for good leaves its committed
// batches and its plan; the next one finishes the same run.
func TestFailedSyncResumes(t *testing.T) {
	ctx := context.Background()
	sim := qualystest.NewServer(t, qualystest.WithHosts(30), qualystest.WithPolicies(2), qualystest.WithControlsPerPolicy(6))
	client := newClient(t, sim)
	st := openStore(t, sqliteLocation(t))
	at := fixedClock(sim.Data().Now.Add(time.Hour))
	// The third request fails with a status no retry gets past.
	sim.Fail("getPostureInfoV5", qualystest.Status(200, "[]"), qualystest.Status(200, "[]"), qualystest.Status(400, `{"message":"bad"}`))
	_, err := st.Sync(ctx, client, WithBatchHosts(10), WithClock(at))
	var apiErr *qualys.APIError
	if !errors.As(err, &apiErr) {
		t.Fatalf("err = %v, want the API error", err)
	}
	if !runInterrupted(t, st.String()) {
		t.Fatal("the failed sync left no run to resume")
	}
	sim.ClearFaults()
	res, err := st.Sync(ctx, client, WithBatchHosts(10), WithClock(at))
	if err != nil {
		t.Fatal(err)
	}
	if !res.Resumed || res.RunID != 1 {
		t.Errorf("second sync: %+v, want run 1 resumed", res)
	}
	// The two empty answers were taken as "no records" for their hosts,
	// as Qualys' own empty answer would be: the truth lacks them until
	// those hosts change. Every other posture is there, once.
	got := readCurrent(t, st)
	truth := truthCurrent(sim.Data())
	for _, r := range got {
		if !slices.Contains(truth, r) {
			t.Fatalf("stored a posture the simulator does not have: %+v", r)
		}
	}
	if len(got) == 0 || len(got) >= len(truth) {
		t.Errorf("%d postures stored of %d", len(got), len(truth))
	}
}

// TestUntrustedAnswersAreRefused: records the request did not ask for end
// the batch with an error instead of entering the store.
func TestUntrustedAnswersAreRefused(t *testing.T) {
	records := func(yield func(Record, error) bool) {
		yield(Record{PolicyID: 1, HostID: 7, ControlID: 3, Status: "Passed"}, nil)
	}
	for name, tc := range map[string]struct {
		policy int64
		hosts  map[int64]bool
	}{
		"other policy": {2, map[int64]bool{7: true}},
		"other host":   {1, map[int64]bool{8: true}},
	} {
		for _, err := range checked(records, tc.policy, tc.hosts) {
			if !errors.Is(err, qualys.ErrUnexpectedBody) {
				t.Errorf("%s: err = %v, want ErrUnexpectedBody", name, err)
			}
		}
	}
	noStatus := func(yield func(Record, error) bool) { yield(Record{PolicyID: 1, HostID: 7}, nil) }
	for _, err := range checked(noStatus, 1, map[int64]bool{7: true}) {
		if !errors.Is(err, qualys.ErrUnexpectedBody) {
			t.Errorf("a record without status: err = %v", err)
		}
	}
}

// TestStaleInterruptedRunIsFollowedByANewOne: a run interrupted longer
// ago than the overlap is finished, then a new run brings the store up to
// date; one interrupted within the overlap is only finished.
func TestStaleInterruptedRunIsFollowedByANewOne(t *testing.T) {
	ctx := context.Background()
	sim := qualystest.NewServer(t, qualystest.WithHosts(20), qualystest.WithPolicies(2), qualystest.WithControlsPerPolicy(4))
	client := newClient(t, sim)
	start := sim.Data().Now.Add(time.Hour)
	for name, tc := range map[string]struct {
		restart time.Time
		runs    int
	}{
		"within the overlap": {start.Add(time.Hour), 1},
		"stale":              {start.Add(2 * time.Hour), 2},
	} {
		st := openStore(t, sqliteLocation(t))
		sim.Fail("getPostureInfoV5", qualystest.Status(400, `{"message":"bad"}`))
		if _, err := st.Sync(ctx, client, WithClock(fixedClock(start)), WithOverlap(90*time.Minute)); err == nil {
			t.Fatalf("%s: the first sync did not fail", name)
		}
		sim.ClearFaults()
		res, err := st.Sync(ctx, client, WithClock(fixedClock(tc.restart)), WithOverlap(90*time.Minute))
		if err != nil {
			t.Fatal(err)
		}
		var runs int
		st.DB().QueryRow(`SELECT count(*) FROM sync_runs WHERE finished_at IS NOT NULL`).Scan(&runs)
		if runs != tc.runs || res.RunID != int64(tc.runs) {
			t.Errorf("%s: %d finished runs, result of run %d; want %d", name, runs, res.RunID, tc.runs)
		}
		if got, want := readCurrent(t, st), truthCurrent(sim.Data()); !slices.Equal(got, want) {
			t.Errorf("%s: posture_current differs:\n%s", name, diff(want, got))
		}
	}
}
