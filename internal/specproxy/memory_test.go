package specproxy_test

import (
	"fmt"
	"io"
	"net/http"
	"runtime"
	"strings"
	"testing"
	"time"

	"github.com/qualyskit/qualys-go/qualystest"
)

// TestMemoryFlatOverLargePosture streams a posture answer of at least
// postureStreamSize bytes (200 MB without the race detector; see
// race_test.go) from the simulator through the proxy, uncompressed so that
// every byte crosses the proxy and its validator, and samples the live
// heap as the client reads. The heap must stay flat: what the proxy holds
// is one record and its buffers, whatever the size of the stream. The
// simulator and the client run in this process too; both stream.
func TestMemoryFlatOverLargePosture(t *testing.T) {
	const (
		controls = 40
		// A record with evidence is about 1.3 KB; hosts are sized from it.
		recordSize = 1300
	)
	hosts := int(postureStreamSize/(controls*recordSize)) + 1
	h, sim := simHarness(t, true, qualystest.WithHosts(hosts), qualystest.WithPolicies(1),
		qualystest.WithControlsPerPolicy(controls), qualystest.WithValidatedRecords(1))
	var ids []string
	for _, host := range sim.Data().Hosts {
		ids = append(ids, fmt.Sprintf("%q", fmt.Sprint(host.ID)))
	}
	body := fmt.Sprintf(`[{"policyId":"%d","subscriptionId":"%d","hostIds":[%s]}]`,
		sim.Data().Policies[0].ID, sim.Data().SubscriptionID, strings.Join(ids, ","))
	req, err := http.NewRequest("POST", h.url+"/pcrs/5.0/posture/postureInfo?evidenceRequired=1&compressionRequired=0", strings.NewReader(body))
	if err != nil {
		t.Fatal(err)
	}
	req.Header = bearer(sim.Token())

	start := time.Now()
	resp, err := h.client.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	if resp.StatusCode != 200 {
		t.Fatalf("status %d", resp.StatusCode)
	}
	base := liveHeap()
	var total int64
	var samples []uint64
	buf := make([]byte, 64<<10)
	next := int64(0)
	for {
		n, err := resp.Body.Read(buf)
		total += int64(n)
		if total >= next {
			samples = append(samples, liveHeap())
			next += postureStreamSize / 10
		}
		if err == io.EOF {
			break
		}
		if err != nil {
			t.Fatal(err)
		}
	}
	resp.Body.Close()
	h.settle(t)
	elapsed := time.Since(start)
	if total < postureStreamSize {
		t.Fatalf("the stream had %d MB, want at least %d MB", total>>20, postureStreamSize>>20)
	}
	if f := h.findings(t); len(f) != 0 {
		t.Fatalf("findings on the simulator's posture: %+v", f[0])
	}
	var peak uint64
	for _, s := range samples {
		peak = max(peak, s)
	}
	growth := int64(peak) - int64(base)
	// The first tenth of the stream against the rest: no growth with size.
	early, late := samples[1], peak
	for _, s := range samples[1:] {
		early = min(early, s)
	}
	t.Logf("%d MB through the proxy in %s (%.0f MB/s); live heap base %d MB, peak growth %d KB, spread over the stream %d KB",
		total>>20, elapsed.Round(time.Millisecond), float64(total)/(1<<20)/elapsed.Seconds(), base>>20, growth>>10, (int64(late)-int64(early))>>10)
	// A proxy that buffered the body would grow by the stream's size; the
	// bound leaves room for the collector's timing on a busy machine.
	const bound = 32 << 20
	if growth > bound {
		t.Errorf("the live heap grew by %d MB over a %d MB stream; bound %d MB", growth>>20, total>>20, bound>>20)
	}
	if spread := int64(late) - int64(early); spread > bound/2 {
		t.Errorf("the live heap rose by %d MB between the first tenth of the stream and its peak; bound %d MB", spread>>20, bound>>21)
	}
}

// liveHeap returns the bytes reachable after a collection (HeapAlloc, not
// HeapInuse, which also counts the free space of partly used spans).
func liveHeap() uint64 {
	runtime.GC()
	var m runtime.MemStats
	runtime.ReadMemStats(&m)
	return m.HeapAlloc
}
