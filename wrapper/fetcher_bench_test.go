package qualys_test

import (
	"context"
	"fmt"
	"math"
	"testing"
	"time"

	"github.com/qualyskit/qualys-go/qualystest"
	"github.com/qualyskit/qualys-go/wire"
	qualys "github.com/qualyskit/qualys-go/wrapper"
)

// BenchmarkFetcherRateBound runs FetchPosture end to end against the
// simulator with latency on every request and a PCRS rate limit on both
// sides, to show that batching and concurrency reach the limit rather than
// stay below it. With one worker the request latency bounds the rate; with
// four the limit does. Reported per run: postureInfo requests per second,
// the limit in requests per second, and floor-s, the shortest time the
// limit allows for that many requests (all windows but the last full), to
// compare with sec/op.
func BenchmarkFetcherRateBound(b *testing.B) {
	const (
		limit   = 20
		window  = 2 * time.Second
		latency = 150 * time.Millisecond
		hosts   = 1200
		batch   = 20 // 60 postureInfo requests per run
	)
	for _, workers := range []int{1, 4} {
		b.Run(fmt.Sprintf("workers=%d", workers), func(b *testing.B) {
			s := qualystest.NewServer(b,
				qualystest.WithHosts(hosts), qualystest.WithPolicies(1), qualystest.WithControlsPerPolicy(4),
				qualystest.WithLatency(latency), qualystest.WithRateLimit(limit, window))
			c, err := qualys.NewClient(qualys.WithGatewayURL(s.URL), qualys.WithCredentials(s.Username(), s.Password()),
				qualys.WithHTTPClient(s.Client()), qualys.WithPCRSRateLimit(limit, window))
			if err != nil {
				b.Fatal(err)
			}
			ctx := context.Background()
			var policy wire.ID
			for p, err := range c.Policies(ctx, time.Time{}) {
				if err != nil {
					b.Fatalf("policies: %v", err)
				}
				policy = p.ID
			}

			var requests, records int
			var elapsed time.Duration
			for b.Loop() {
				before := s.Count("getPostureInfoV5")
				start := time.Now()
				for _, err := range c.FetchPosture(ctx, qualys.PostureQuery{PolicyIDs: []wire.ID{policy}},
					qualys.WithBatchSize(batch), qualys.WithConcurrency(workers)) {
					if err != nil {
						b.Fatal(err)
					}
					records++
				}
				elapsed += time.Since(start)
				requests += s.Count("getPostureInfoV5") - before
			}
			perRun := float64(requests) / float64(b.N)
			b.ReportMetric(float64(requests)/elapsed.Seconds(), "req/s")
			b.ReportMetric(float64(limit)/window.Seconds(), "limit-req/s")
			b.ReportMetric(window.Seconds()*(math.Ceil(perRun/limit)-1), "floor-s")
			b.ReportMetric(elapsed.Seconds()/float64(b.N), "sec/op")
			b.ReportMetric(float64(records/b.N), "records/op")
		})
	}
}
