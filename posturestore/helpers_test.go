package posturestore

import (
	"context"
	"database/sql"
	"fmt"
	"net/url"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	"github.com/qualyskit/qualys-go/qualystest"
	qualys "github.com/qualyskit/qualys-go/wrapper"
)

// postgresEnv names the PostgreSQL server the tests use, as a URL whose
// database they may create others beside (e.g.
// postgres://postgres@127.0.0.1:5432/postgres). CI sets it; without it,
// local runs test SQLite only.
const postgresEnv = "QUALYS_TEST_POSTGRES_URL"

// backends returns the store locations a test runs against, each fresh:
// a SQLite file always, a new PostgreSQL database when postgresEnv is set.
// In CI (CI=true) a missing PostgreSQL fails the test.
func backends(t *testing.T) map[Dialect]string {
	t.Helper()
	out := map[Dialect]string{SQLite: filepath.Join(t.TempDir(), "posture.sqlite")}
	if u := postgresURL(t); u != "" {
		out[Postgres] = freshPostgres(t, u)
	}
	return out
}

// freshLocation is a new, empty store of a dialect.
func freshLocation(t *testing.T, d Dialect) string {
	t.Helper()
	if d == Postgres {
		return freshPostgres(t, postgresURL(t))
	}
	return sqliteLocation(t)
}

// sqliteLocation is a fresh SQLite store, for tests of what does not
// depend on the database.
func sqliteLocation(t *testing.T) string { return filepath.Join(t.TempDir(), "posture.sqlite") }

func postgresURL(t *testing.T) string {
	t.Helper()
	u := os.Getenv(postgresEnv)
	if u == "" {
		if os.Getenv("CI") == "true" {
			t.Fatalf("%s is not set: CI must test the PostgreSQL store (.ci/run starts a server)", postgresEnv)
		}
		t.Logf("%s is not set: testing the SQLite store only", postgresEnv)
	}
	return u
}

var dbCounter atomic.Int64

// freshPostgres creates a database for one test and drops it afterwards.
func freshPostgres(t *testing.T, admin string) string {
	t.Helper()
	return freshPostgresTB(t, admin)
}

func freshPostgresTB(t testing.TB, admin string) string {
	t.Helper()
	ctx := context.Background()
	db, err := sql.Open("pgx", admin)
	if err != nil {
		t.Fatalf("opening %s: %v", postgresEnv, err)
	}
	t.Cleanup(func() { db.Close() })
	name := fmt.Sprintf("posturestore_%d_%d_%d", os.Getpid(), time.Now().UnixNano()%1e9, dbCounter.Add(1))
	if _, err := db.ExecContext(ctx, "CREATE DATABASE "+name); err != nil {
		t.Fatalf("creating a test database on the server of %s: %v", postgresEnv, err)
	}
	t.Cleanup(func() {
		db.ExecContext(ctx, "DROP DATABASE IF EXISTS "+name+" WITH (FORCE)")
	})
	u, err := url.Parse(admin)
	if err != nil {
		t.Fatalf("%s does not parse", postgresEnv)
	}
	u.Path = "/" + name
	return u.String()
}

func openStore(t *testing.T, location string) *Store {
	t.Helper()
	st, err := Open(context.Background(), location)
	if err != nil {
		t.Fatalf("Open: %v", err)
	}
	t.Cleanup(func() { st.Close() })
	return st
}

func newClient(t testing.TB, sim *qualystest.Server) *qualys.Client {
	t.Helper()
	c, err := qualys.NewClient(qualys.WithGatewayURL(sim.URL),
		qualys.WithCredentials(sim.Username(), sim.Password()), qualys.WithHTTPClient(sim.Client()),
		qualys.WithPCRSRateLimit(0, 0)) // the simulator has no limit; tests must not wait out Qualys' budget
	if err != nil {
		t.Fatal(err)
	}
	return c
}

// currentRow is a row of posture_current as the tests compare it.
type currentRow struct {
	PolicyID, HostID, ControlID int64
	Instance, Status, Modified  string
}

func readCurrent(t *testing.T, st *Store) []currentRow {
	t.Helper()
	rows, err := st.DB().Query(`SELECT policy_id, host_id, control_id, instance, status, COALESCE(posture_modified, '')
		FROM posture_current ORDER BY policy_id, host_id, control_id, instance`)
	if err != nil {
		t.Fatal(err)
	}
	defer rows.Close()
	var out []currentRow
	for rows.Next() {
		var r currentRow
		if err := rows.Scan(&r.PolicyID, &r.HostID, &r.ControlID, &r.Instance, &r.Status, &r.Modified); err != nil {
			t.Fatal(err)
		}
		out = append(out, r)
	}
	if err := rows.Err(); err != nil {
		t.Fatal(err)
	}
	return out
}

// truthCurrent is what posture_current must hold for the simulator's data.
func truthCurrent(d *qualystest.Data) []currentRow {
	var out []currentRow
	for _, p := range d.AllPostures() {
		out = append(out, currentRow{p.PolicyID, p.HostID, p.ControlID, "os", p.Status, formatTime(p.Modified)})
	}
	slices.SortFunc(out, func(a, b currentRow) int {
		return cmpInts(a.PolicyID, b.PolicyID, a.HostID, b.HostID, a.ControlID, b.ControlID)
	})
	return out
}

func cmpInts(pairs ...int64) int {
	for i := 0; i+1 < len(pairs); i += 2 {
		if c := pairs[i] - pairs[i+1]; c != 0 {
			if c < 0 {
				return -1
			}
			return 1
		}
	}
	return 0
}

// changeRow is a row of posture_changes as the tests compare it.
type changeRow struct {
	PolicyID, HostID, ControlID int64
	Instance, Old, New, SeenAt  string
}

func readChanges(t *testing.T, st *Store) []changeRow {
	t.Helper()
	rows, err := st.DB().Query(`SELECT policy_id, host_id, control_id, instance, old_status, new_status, seen_at
		FROM posture_changes ORDER BY seen_at, policy_id, host_id, control_id, instance`)
	if err != nil {
		t.Fatal(err)
	}
	defer rows.Close()
	var out []changeRow
	for rows.Next() {
		var r changeRow
		if err := rows.Scan(&r.PolicyID, &r.HostID, &r.ControlID, &r.Instance, &r.Old, &r.New, &r.SeenAt); err != nil {
			t.Fatal(err)
		}
		out = append(out, r)
	}
	if err := rows.Err(); err != nil {
		t.Fatal(err)
	}
	return out
}

func sortChanges(c []changeRow) {
	slices.SortFunc(c, func(a, b changeRow) int {
		if x := strings.Compare(a.SeenAt, b.SeenAt); x != 0 {
			return x
		}
		return cmpInts(a.PolicyID, b.PolicyID, a.HostID, b.HostID, a.ControlID, b.ControlID)
	})
}

// dump is the whole content of a store that a sync decides, for comparing
// two stores: every table and view, in a fixed order.
func dump(t *testing.T, st *Store) string {
	t.Helper()
	var b strings.Builder
	for _, q := range []string{
		`SELECT policy_id, COALESCE(title,''), first_seen_at, last_seen_at, COALESCE(disappeared_at,''), COALESCE(synced_through,''), COALESCE(planned_run_id,0) FROM policies ORDER BY 1`,
		`SELECT policy_id, host_id, first_seen_at, last_seen_at, COALESCE(disappeared_at,'') FROM policy_hosts ORDER BY 1, 2`,
		`SELECT policy_id, host_id, control_id, instance, COALESCE(record_id,0), status, COALESCE(previous_status,''),
			COALESCE(criticality_value,-1), COALESCE(criticality_label,''), COALESCE(control_statement,''), COALESCE(technology_id,0),
			COALESCE(os,''), COALESCE(ip,''), COALESCE(dns,''), COALESCE(posture_modified,''), COALESCE(last_evaluated,''),
			first_seen_at, last_seen_at, COALESCE(disappeared_at,'') FROM posture ORDER BY 1, 2, 3, 4`,
		`SELECT policy_id, host_id, control_id, instance, old_status, new_status, COALESCE(posture_modified,''), seen_at, run_id FROM posture_history ORDER BY 1, 2, 3, 4, 9`,
		`SELECT run_id, started_at, COALESCE(finished_at,''), COALESCE(changed_since,''), subscription_id, policy_ids, hosts_requested, records, changes FROM sync_runs ORDER BY 1`,
		`SELECT count(*) FROM sync_pending`,
	} {
		rows, err := st.DB().Query(q)
		if err != nil {
			t.Fatalf("%s: %v", q, err)
		}
		cols, _ := rows.Columns()
		vals := make([]any, len(cols))
		ptrs := make([]any, len(cols))
		for i := range vals {
			ptrs[i] = &vals[i]
		}
		for rows.Next() {
			if err := rows.Scan(ptrs...); err != nil {
				t.Fatal(err)
			}
			for _, v := range vals {
				if bs, ok := v.([]byte); ok {
					v = string(bs)
				}
				fmt.Fprintf(&b, "%v|", v)
			}
			b.WriteByte('\n')
		}
		rows.Close()
		b.WriteString("--\n")
	}
	return b.String()
}

func diff(want, got any) string { return cmp.Diff(want, got) }

// fixedClock returns a clock that always reads t.
func fixedClock(t time.Time) func() time.Time { return func() time.Time { return t } }
