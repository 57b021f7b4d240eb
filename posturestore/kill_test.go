package posturestore

import (
	"bufio"
	"context"
	"crypto/tls"
	"crypto/x509"
	"errors"
	"fmt"
	"math/rand/v2"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"syscall"
	"testing"
	"time"

	"github.com/qualyskit/qualys-go/qualystest"
	qualys "github.com/qualyskit/qualys-go/wrapper"
)

// The kill test runs syncs in child processes (this test binary, started
// with childEnv set) and kills them with SIGKILL at random moments.
const (
	childEnv      = "POSTURESTORE_SYNC_CHILD"
	childStore    = "POSTURESTORE_CHILD_STORE"
	childGateway  = "POSTURESTORE_CHILD_GATEWAY"
	childCA       = "POSTURESTORE_CHILD_CA"
	childUser     = "POSTURESTORE_CHILD_USER"
	childPassword = "POSTURESTORE_CHILD_PASSWORD"
	childClock    = "POSTURESTORE_CHILD_CLOCK"
)

// Sync settings of every child: small batches, so that a sync has many
// commit points to be killed between.
const (
	childBatchHosts = 4
	childOverlap    = time.Hour
)

// runChildSync is the child: one sync, exit 0 when it completed.
func runChildSync() int {
	fail := func(err error) int {
		fmt.Fprintln(os.Stderr, "child sync:", err)
		return 3
	}
	pem, err := os.ReadFile(os.Getenv(childCA))
	if err != nil {
		return fail(err)
	}
	pool := x509.NewCertPool()
	if !pool.AppendCertsFromPEM(pem) {
		return fail(errors.New("no certificate in the CA file"))
	}
	hc := &http.Client{Transport: &http.Transport{TLSClientConfig: &tls.Config{RootCAs: pool}}}
	client, err := qualys.NewClient(qualys.WithGatewayURL(os.Getenv(childGateway)),
		qualys.WithCredentials(os.Getenv(childUser), os.Getenv(childPassword)),
		qualys.WithHTTPClient(hc), qualys.WithPCRSRateLimit(0, 0))
	if err != nil {
		return fail(err)
	}
	clock, err := time.Parse(time.RFC3339, os.Getenv(childClock))
	if err != nil {
		return fail(err)
	}
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	st, err := Open(ctx, os.Getenv(childStore))
	if err != nil {
		return fail(err)
	}
	defer st.Close()
	fmt.Println(childStarted)
	if _, err := st.Sync(ctx, client, WithClock(fixedClock(clock)), WithBatchHosts(childBatchHosts),
		WithOverlap(childOverlap), WithLockWait(10*time.Second),
		WithSyncProgress(func(SyncProgress) { fmt.Println(childBatch) })); err != nil {
		return fail(err)
	}
	return 0
}

// killPlan says when to kill a child: afterBatches committed batches (0:
// counting from the moment it starts syncing), then delay more.
type killPlan struct {
	afterBatches int
	delay        time.Duration
}

// childRun starts a child sync and kills it with SIGKILL as planned (nil:
// never). killed tells whether the kill hit a running sync; batches is how
// many batches the child reported committing.
func childRun(t *testing.T, sim *qualystest.Server, caFile, location string, clock time.Time, plan *killPlan) (killed bool, batches int) {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()
	cmd := exec.CommandContext(ctx, os.Args[0], "-test.run=^$")
	cmd.Env = append(os.Environ(), childEnv+"=1", childStore+"="+location, childGateway+"="+sim.URL, childCA+"="+caFile,
		childUser+"="+sim.Username(), childPassword+"="+sim.Password(), childClock+"="+clock.Format(time.RFC3339))
	errs := &limitedBuffer{max: 4096}
	cmd.Stderr = errs
	stdout, err := cmd.StdoutPipe()
	if err != nil {
		t.Fatal(err)
	}
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	// The child writes a line when it starts syncing and one per
	// committed batch.
	lines := bufio.NewScanner(stdout)
	started := false
	var timer *time.Timer
	for lines.Scan() {
		switch lines.Text() {
		case childStarted:
			started = true
		case childBatch:
			batches++
		}
		if plan != nil && timer == nil && started && batches >= plan.afterBatches {
			timer = time.AfterFunc(plan.delay, func() { cmd.Process.Kill() })
			defer timer.Stop()
		}
	}
	err = cmd.Wait()
	var exit *exec.ExitError
	if errors.As(err, &exit) {
		if ws, ok := exit.Sys().(syscall.WaitStatus); ok && ws.Signaled() && ws.Signal() == syscall.SIGKILL && plan != nil {
			return true, batches
		}
	}
	if err != nil || !started {
		t.Fatalf("child sync failed: %v\n%s", err, errs)
	}
	return false, batches
}

// Lines a child prints: when it starts syncing, and after each batch.
const (
	childStarted = "syncing"
	childBatch   = "batch"
)

// limitedBuffer keeps the start of a child's output for a failure message.
type limitedBuffer struct {
	max int
	b   []byte
}

func (l *limitedBuffer) Write(p []byte) (int, error) {
	if room := l.max - len(l.b); room > 0 {
		l.b = append(l.b, p[:min(room, len(p))]...)
	}
	return len(p), nil
}

func (l *limitedBuffer) String() string { return string(l.b) }

// TestKilledSyncsEndLikeCleanOnes kills child syncs with SIGKILL at
// random points of a full sync and of incremental ones, restarts them, and
// checks that every store ends equal to a store synced without
// interruption: nothing lost, nothing doubled.
func TestKilledSyncsEndLikeCleanOnes(t *testing.T) {
	if testing.Short() {
		t.Skip("starts dozens of processes; run without -short")
	}
	for dialect := range backends(t) {
		t.Run(string(dialect), func(t *testing.T) {
			testKills(t, dialect)
		})
	}
}

func testKills(t *testing.T, dialect Dialect) {
	const (
		trialStores  = 4
		killsPerSync = 5
		minKills     = 20
		// minResumed is how many kills must land inside a planned run
		// (after its plan committed, before its end), the part a resume
		// must finish.
		minResumed = 5
	)
	sim := qualystest.NewServer(t, qualystest.WithHosts(60), qualystest.WithPolicies(3), qualystest.WithControlsPerPolicy(8))
	caFile := filepath.Join(t.TempDir(), "ca.pem")
	if err := sim.WriteCAFile(caFile); err != nil {
		t.Fatal(err)
	}
	location := func() string { return freshLocation(t, dialect) }
	clean := location()
	trials := make([]string, trialStores)
	for i := range trials {
		trials[i] = location()
	}
	rng := rand.New(rand.NewPCG(uint64(time.Now().UnixNano()), 7))

	start := sim.Data().Now.Add(time.Hour)
	kills, resumed := 0, 0
	deadline := time.Now().Add(8 * time.Minute) // generous: a busy 2-core CI machine runs the race-built children slowly
	for round := range 3 {
		at := start.Add(time.Duration(round) * 24 * time.Hour)
		if round > 0 {
			if _, err := sim.Evolve(qualystest.Evolution{At: at.Add(-6 * time.Hour), ChangedHosts: 12, NewHosts: 3,
				RemovedHosts: 3, VanishedControls: 4, ReturnedControls: 2 * (round - 1), Seed: int64(round)}); err != nil {
				t.Fatal(err)
			}
		}
		_, cleanBatches := childRun(t, sim, caFile, clean, at, nil)
		for i, loc := range trials {
			if time.Now().After(deadline) {
				t.Fatalf("the kill test ran out of time after %d kills", kills)
			}
			// Kill a few times, then let it finish: unless a kill came
			// after the sync had committed its end, which a restart would
			// turn into a second sync. Most kills land between batch
			// commits, the others anywhere from the start of the sync.
			for range killsPerSync {
				plan := &killPlan{delay: time.Duration(rng.Int64N(int64(20 * time.Millisecond)))}
				// A resumed run has only its remaining batches to commit.
				left := cleanBatches
				if n := pendingHosts(t, loc); n > 0 {
					left = (n + childBatchHosts - 1) / childBatchHosts
				}
				if rng.IntN(4) > 0 && left > 2 {
					plan.afterBatches = 1 + rng.IntN(left-2)
				} else {
					plan.delay = time.Duration(rng.Int64N(int64(500 * time.Millisecond)))
				}
				killed, _ := childRun(t, sim, caFile, loc, at, plan)
				if killed {
					kills++
					mid := runInterrupted(t, loc)
					if mid {
						resumed++
					}
					t.Logf("round %d, store %d: killed after batch %d (of %d) + %s, inside a run: %v", round, i,
						plan.afterBatches, cleanBatches, plan.delay.Round(time.Millisecond), mid)
				}
				if syncCompleted(t, loc, at) {
					break
				}
			}
			if !syncCompleted(t, loc, at) {
				childRun(t, sim, caFile, loc, at, nil)
			}
		}
		want := dump(t, openStoreQuiet(t, clean))
		for i, loc := range trials {
			if got := dump(t, openStoreQuiet(t, loc)); got != want {
				t.Fatalf("round %d: store %d, killed and restarted, differs from the clean one:\n%s", round, i, diff(want, got))
			}
		}
	}
	if kills < minKills || resumed < minResumed {
		t.Fatalf("%d syncs were killed while running, %d of them inside a run; want at least %d and %d", kills, resumed, minKills, minResumed)
	}
	t.Logf("%d syncs killed with SIGKILL, %d inside a run; every store ended equal to the clean one", kills, resumed)
}

// openStoreQuiet opens a store for reading and closes it at once after
// the test's current use: a child may open it next.
func openStoreQuiet(t *testing.T, location string) *Store {
	t.Helper()
	st, err := Open(context.Background(), location)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { st.Close() })
	return st
}

// runInterrupted tells whether the store holds a run that did not finish.
func runInterrupted(t *testing.T, location string) bool {
	t.Helper()
	st := openStoreQuiet(t, location)
	defer st.Close()
	var n int
	if err := st.DB().QueryRow(`SELECT count(*) FROM sync_runs WHERE finished_at IS NULL`).Scan(&n); err != nil {
		t.Fatal(err)
	}
	return n > 0
}

// pendingHosts counts the hosts an interrupted run has still to pull.
func pendingHosts(t *testing.T, location string) int {
	t.Helper()
	st := openStoreQuiet(t, location)
	defer st.Close()
	var n int
	if err := st.DB().QueryRow(`SELECT count(*) FROM sync_pending`).Scan(&n); err != nil {
		t.Fatal(err)
	}
	return n
}

// syncCompleted tells whether the store holds a finished sync dated at.
func syncCompleted(t *testing.T, location string, at time.Time) bool {
	t.Helper()
	st := openStoreQuiet(t, location)
	defer st.Close()
	var n int
	if err := st.DB().QueryRow(st.dialect.rebind(`SELECT count(*) FROM sync_runs WHERE started_at = ? AND finished_at IS NOT NULL`),
		formatTime(at)).Scan(&n); err != nil {
		t.Fatal(err)
	}
	return n > 0
}
