package posturestore

import (
	"context"
	"runtime"
	"runtime/metrics"
	"sync"
	"testing"
	"time"

	"github.com/qualyskit/qualys-go/qualystest"
)

// TestSyncMemoryDoesNotGrowWithThePosture syncs two data sets, one sixteen
// times the other, and compares the peak live heap: records go from the
// wire to the store a few at a time, so the peak must not follow the size.
func TestSyncMemoryDoesNotGrowWithThePosture(t *testing.T) {
	if testing.Short() {
		t.Skip("syncs 100,000 records; run without -short")
	}
	small := peakHeapOfSync(t, 50)
	large := peakHeapOfSync(t, 800)
	t.Logf("peak heap: %.1f MiB for 50 hosts, %.1f MiB for 800 hosts", small/(1<<20), large/(1<<20))
	if large > 2*small+8<<20 {
		t.Errorf("peak heap grew from %.1f to %.1f MiB for 16 times the records", small/(1<<20), large/(1<<20))
	}
}

// peakHeapOfSync runs a full sync of hosts × 4 policies × 30 controls and
// returns the largest heap (live objects plus not yet collected garbage)
// seen while it ran.
func peakHeapOfSync(t *testing.T, hosts int) float64 {
	t.Helper()
	ctx := context.Background()
	sim := qualystest.NewServer(t, qualystest.WithHosts(hosts), qualystest.WithPolicies(4), qualystest.WithControlsPerPolicy(30))
	client := newClient(t, sim)
	st := openStore(t, sqliteLocation(t))
	runtime.GC()
	sample := []metrics.Sample{{Name: "/memory/classes/heap/objects:bytes"}}
	var peak float64
	stop := make(chan struct{})
	var wg sync.WaitGroup
	wg.Go(func() {
		tick := time.NewTicker(2 * time.Millisecond)
		defer tick.Stop()
		for {
			metrics.Read(sample)
			peak = max(peak, float64(sample[0].Value.Uint64()))
			select {
			case <-stop:
				return
			case <-tick.C:
			}
		}
	})
	res, err := st.Sync(ctx, client)
	close(stop)
	wg.Wait()
	if err != nil {
		t.Fatal(err)
	}
	if want := int64(len(sim.Data().AllPostures())); res.Records != want {
		t.Fatalf("synced %d records, want %d", res.Records, want)
	}
	return peak
}
