package posturestore

import (
	"context"
	"os"
	"testing"
	"time"

	"github.com/qualyskit/qualys-go/qualystest"
	qualys "github.com/qualyskit/qualys-go/wrapper"
)

// Benchmark sizes: 400 hosts in 4 policies of 40 controls, 64,000 posture
// records per full sync, served by the simulator with no rate limit.
func benchSim(b *testing.B) (*qualystest.Server, *qualys.Client, int64) {
	b.Helper()
	sim := qualystest.NewServer(b, qualystest.WithHosts(400), qualystest.WithPolicies(4), qualystest.WithControlsPerPolicy(40))
	return sim, newClient(b, sim), int64(len(sim.Data().AllPostures()))
}

// BenchmarkDecodeOnly is the ceiling: the same requests as a full sync
// (one per 300 hosts of a policy), records decoded and dropped.
func BenchmarkDecodeOnly(b *testing.B) {
	_, client, want := benchSim(b)
	ctx := context.Background()
	src := clientSource{c: client}
	b.ResetTimer()
	for b.Loop() {
		_, hosts, err := src.hostIDs(ctx, nil, time.Time{})
		if err != nil {
			b.Fatal(err)
		}
		var n int64
		for pid, hs := range hosts {
			for i := 0; i < len(hs); i += DefaultBatchHosts {
				for _, err := range src.posture(ctx, pid, "1337821", hs[i:min(i+DefaultBatchHosts, len(hs))]) {
					if err != nil {
						b.Fatal(err)
					}
					n++
				}
			}
		}
		if n != want {
			b.Fatalf("decoded %d records, want %d", n, want)
		}
	}
	b.ReportMetric(float64(want*int64(b.N))/b.Elapsed().Seconds(), "records/s")
}

// BenchmarkFullSyncSQLite and BenchmarkFullSyncPostgres: a full sync into
// an empty store.
func BenchmarkFullSyncSQLite(b *testing.B) { benchFullSync(b, SQLite) }

func BenchmarkFullSyncPostgres(b *testing.B) { benchFullSync(b, Postgres) }

func benchFullSync(b *testing.B, d Dialect) {
	admin := os.Getenv(postgresEnv)
	if d == Postgres && admin == "" {
		b.Skipf("%s is not set", postgresEnv)
	}
	_, client, want := benchSim(b)
	ctx := context.Background()
	var elapsed time.Duration
	for i := 0; i < b.N; i++ {
		b.StopTimer()
		var loc string
		if d == Postgres {
			loc = freshPostgresTB(b, admin)
		} else {
			loc = b.TempDir() + "/bench.sqlite"
		}
		st, err := Open(ctx, loc)
		if err != nil {
			b.Fatal(err)
		}
		b.StartTimer()
		start := time.Now()
		res, err := st.Sync(ctx, client)
		elapsed += time.Since(start)
		b.StopTimer()
		st.Close()
		if err != nil || res.Records != want {
			b.Fatalf("sync: %v, %d records, want %d", err, res.Records, want)
		}
		b.StartTimer()
	}
	b.ReportMetric(float64(want*int64(b.N))/elapsed.Seconds(), "records/s")
}
