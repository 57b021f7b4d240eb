package qualys_test

import (
	"context"
	"math"
	"testing"
	"time"

	"github.com/qualyskit/qualys-go/qualystest"
	"github.com/qualyskit/qualys-go/wire"
	qualys "github.com/qualyskit/qualys-go/wrapper"
)

// BenchmarkFetcherRateBound runs FetchPosture end to end against the
// simulator, with latency on every request and a PCRS rate limit on both
// sides, over enough batches to span several windows, to show that the
// fetcher spends the budget as fast as it frees up. Reported per run:
// postureInfo requests per second, the limit in requests per second,
// floor-s, the shortest time the limit allows for that many requests (all
// windows but the last full, the last one's requests instant), and
// rate-bound, floor-s over the elapsed time: 1 would be a fetcher that
// only ever waits for the limit; and throttled, the requests per run
// beyond one per batch (re-sent after a 429), which must be 0: the client
// stays within the limit instead of leaning on retries.
func BenchmarkFetcherRateBound(b *testing.B) {
	const (
		limit   = 20
		window  = 2 * time.Second
		latency = 150 * time.Millisecond
		hosts   = 6000 // about 4,800 of them in the policy
		batch   = 20   // about 240 postureInfo requests per run: 12 windows
	)
	for _, c := range []struct {
		name string
		opts []qualys.FetchOption
	}{
		{"adaptive", nil},
	} {
		b.Run(c.name, func(b *testing.B) {
			s := qualystest.NewServer(b,
				qualystest.WithHosts(hosts), qualystest.WithPolicies(1), qualystest.WithControlsPerPolicy(4),
				qualystest.WithLatency(latency), qualystest.WithRateLimit(limit, window))
			client := clientOf(b, s, qualys.WithPCRSRateLimit(limit, window))
			ctx := context.Background()
			var policy wire.ID
			for p, err := range client.Policies(ctx, time.Time{}) {
				if err != nil {
					b.Fatalf("policies: %v", err)
				}
				policy = p.ID
			}
			var batches int
			opts := append([]qualys.FetchOption{qualys.WithBatchSize(batch),
				qualys.WithProgress(func(p qualys.FetchProgress) { batches = p.BatchesTotal })}, c.opts...)

			var requests, records int
			var elapsed time.Duration
			for b.Loop() {
				before := s.Count("getPostureInfoV5")
				start := time.Now()
				for _, err := range client.FetchPosture(ctx, qualys.PostureQuery{PolicyIDs: []wire.ID{policy}}, opts...) {
					if err != nil {
						b.Fatal(err)
					}
					records++
				}
				elapsed += time.Since(start)
				requests += s.Count("getPostureInfoV5") - before
			}
			perRun := float64(requests) / float64(b.N)
			// A request beyond one per batch is a throttled one sent again.
			b.ReportMetric(perRun-float64(batches), "throttled")
			floor := window.Seconds() * (math.Ceil(perRun/limit) - 1)
			b.ReportMetric(float64(requests)/elapsed.Seconds(), "req/s")
			b.ReportMetric(float64(limit)/window.Seconds(), "limit-req/s")
			b.ReportMetric(floor, "floor-s")
			b.ReportMetric(elapsed.Seconds()/float64(b.N), "sec/op")
			b.ReportMetric(floor*float64(b.N)/elapsed.Seconds(), "rate-bound")
			b.ReportMetric(float64(records/b.N), "records/op")
		})
	}
}
