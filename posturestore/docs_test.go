package posturestore

import (
	"context"
	"os"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/qualyskit/qualys-go/qualystest"
)

// TestDocumentedQueriesRun runs every SQL example of docs/store.md on a
// synced store of each dialect, so the documentation cannot drift from the
// schema.
func TestDocumentedQueriesRun(t *testing.T) {
	doc, err := os.ReadFile("../docs/store.md")
	if err != nil {
		t.Fatal(err)
	}
	queries := regexp.MustCompile("(?s)```sql\n(.*?)```").FindAllStringSubmatch(string(doc), -1)
	if len(queries) < 5 {
		t.Fatalf("docs/store.md has %d SQL examples, want at least 5", len(queries))
	}
	for dialect, location := range backends(t) {
		t.Run(string(dialect), func(t *testing.T) {
			ctx := context.Background()
			sim := qualystest.NewServer(t, qualystest.WithHosts(10), qualystest.WithPolicies(2), qualystest.WithControlsPerPolicy(3))
			st := openStore(t, location)
			start := sim.Data().Now.Add(time.Hour)
			if _, err := st.Sync(ctx, newClient(t, sim), WithClock(fixedClock(start))); err != nil {
				t.Fatal(err)
			}
			for _, q := range queries {
				text := q[1]
				if dialect == Postgres && strings.Contains(text, "julianday") {
					continue // the SQLite form of a date query; its PostgreSQL form is in the text
				}
				rows, err := st.DB().QueryContext(ctx, text)
				if err != nil {
					t.Errorf("documented query fails on %s: %v\n%s", dialect, err, text)
					continue
				}
				rows.Close()
			}
		})
	}
}
