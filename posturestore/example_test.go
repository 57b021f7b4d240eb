package posturestore_test

import (
	"context"
	"fmt"
	"log"
	"os"
	"path/filepath"
	"time"

	"github.com/qualyskit/qualys-go/posturestore"
	"github.com/qualyskit/qualys-go/qualystest"
	qualys "github.com/qualyskit/qualys-go/wrapper"
)

// A full sync, a change at Qualys, an incremental sync that pulls only the
// changed hosts, and the changes read back with SQL.
func ExampleStore_Sync() {
	sim, err := qualystest.Start(qualystest.WithHosts(20), qualystest.WithPolicies(2), qualystest.WithControlsPerPolicy(5))
	if err != nil {
		log.Fatal(err)
	}
	defer sim.Close()
	client, err := qualys.NewClient(qualys.WithGatewayURL(sim.URL),
		qualys.WithCredentials(sim.Username(), sim.Password()), qualys.WithHTTPClient(sim.Client()))
	if err != nil {
		log.Fatal(err)
	}
	dir, err := os.MkdirTemp("", "posture")
	if err != nil {
		log.Fatal(err)
	}
	defer os.RemoveAll(dir)

	ctx := context.Background()
	st, err := posturestore.Open(ctx, filepath.Join(dir, "posture.sqlite"))
	if err != nil {
		log.Fatal(err)
	}
	defer st.Close()

	// The simulator's data is dated; a clock in its time keeps the
	// example's output the same on every run. Real syncs use the time.
	now := sim.Data().Now
	first, err := st.Sync(ctx, client, posturestore.WithClock(func() time.Time { return now.Add(time.Hour) }))
	if err != nil {
		log.Fatal(err)
	}
	fmt.Printf("first sync: %d policies in full, %d records\n", first.FullPolicies, first.Records)

	// Two hosts are evaluated again and some of their controls flip.
	if _, err := sim.Evolve(qualystest.Evolution{At: now.Add(2 * time.Hour), ChangedHosts: 2, Seed: 1}); err != nil {
		log.Fatal(err)
	}
	second, err := st.Sync(ctx, client, posturestore.WithClock(func() time.Time { return now.Add(3 * time.Hour) }))
	if err != nil {
		log.Fatal(err)
	}
	fmt.Printf("second sync: %d policies incrementally, %d host(s) requested, %d changes\n",
		second.IncrementalPolicies, second.HostsRequested, second.Changes)

	var changes int
	if err := st.DB().QueryRowContext(ctx, `SELECT count(*) FROM posture_changes`).Scan(&changes); err != nil {
		log.Fatal(err)
	}
	fmt.Println("rows in posture_changes:", changes)
	// Output:
	// first sync: 2 policies in full, 175 records
	// second sync: 2 policies incrementally, 4 host(s) requested, 8 changes
	// rows in posture_changes: 8
}
