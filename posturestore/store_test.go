package posturestore

import (
	"context"
	"errors"
	"path/filepath"
	"strings"
	"testing"
)

func TestOpenRejectsBadLocations(t *testing.T) {
	for _, loc := range []string{"", ":memory:", "sqlite:", "posture.sqlite?_pragma=foo", "postgres://user:secret@%zz/db"} {
		_, err := Open(context.Background(), loc)
		if !errors.Is(err, ErrBadLocation) {
			t.Errorf("Open(%q): err = %v, want ErrBadLocation", loc, err)
		}
		if err != nil && strings.Contains(err.Error(), "secret") {
			t.Errorf("Open(%q): the error shows the password: %v", loc, err)
		}
	}
}

func TestStoreNamesPostgresWithoutPassword(t *testing.T) {
	s, err := open("postgres://sync:s3cret@127.0.0.1:1/posture")
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	if strings.Contains(s.String(), "s3cret") || !strings.Contains(s.String(), "127.0.0.1:1/posture") {
		t.Errorf("String() = %q, want the URL without its password", s.String())
	}
	// A failed connection must not show it either.
	_, err = Open(context.Background(), "postgres://sync:s3cret@127.0.0.1:1/posture?connect_timeout=2")
	if err == nil || strings.Contains(err.Error(), "s3cret") {
		t.Errorf("connecting to a closed port: err = %v, want an error without the password", err)
	}
}

func TestMigrationsAreVersionedAndIdempotent(t *testing.T) {
	for dialect, location := range backends(t) {
		t.Run(string(dialect), func(t *testing.T) {
			st := openStore(t, location)
			again := openStore(t, location) // a second open applies nothing
			var n, v int
			if err := again.DB().QueryRow(`SELECT count(*), max(version) FROM schema_migrations`).Scan(&n, &v); err != nil {
				t.Fatal(err)
			}
			if n != SchemaVersion() || v != SchemaVersion() {
				t.Errorf("schema_migrations: %d rows up to %d, want %d", n, v, SchemaVersion())
			}
			for _, view := range []string{"posture_current", "posture_changes"} {
				if _, err := st.DB().Exec(`SELECT * FROM ` + view + ` WHERE 1 = 0`); err != nil {
					t.Errorf("view %s: %v", view, err)
				}
			}
			// A store written by a newer release is refused, not damaged.
			if _, err := st.DB().Exec(st.dialect.rebind(`INSERT INTO schema_migrations (version, name, applied_at) VALUES (?, 'future', 'x')`), SchemaVersion()+1); err != nil {
				t.Fatal(err)
			}
			newer, err := Open(context.Background(), location)
			if err == nil {
				newer.Close()
			}
			if err == nil || !strings.Contains(err.Error(), "newer") {
				t.Errorf("opening a store with a newer schema: err = %v, want a refusal", err)
			}
		})
	}
}

func TestSplitStatements(t *testing.T) {
	got := splitStatements("-- comment\nCREATE TABLE a (x INT);\n\nCREATE VIEW v AS\nSELECT x\nFROM a;\n")
	if len(got) != 2 || !strings.HasPrefix(got[0], "CREATE TABLE a") || !strings.HasSuffix(got[1], "FROM a") {
		t.Errorf("splitStatements = %q", got)
	}
}

func TestSQLiteLocationForms(t *testing.T) {
	dir := t.TempDir()
	for _, loc := range []string{filepath.Join(dir, "a.sqlite"), "sqlite:" + filepath.Join(dir, "b.sqlite"), "file:" + filepath.Join(dir, "c.sqlite")} {
		st := openStore(t, loc)
		if st.Dialect() != SQLite || !strings.HasPrefix(st.String(), dir) {
			t.Errorf("%q: dialect %s, name %q", loc, st.Dialect(), st.String())
		}
	}
}

// TestMigrationToVersion2KeepsPostures: a store written at version 1 opens
// at the latest version with its postures still current.
func TestMigrationToVersion2KeepsPostures(t *testing.T) {
	for dialect, location := range backends(t) {
		t.Run(string(dialect), func(t *testing.T) {
			ctx := context.Background()
			old, err := open(location)
			if err != nil {
				t.Fatal(err)
			}
			steps, err := migrations()
			if err != nil {
				t.Fatal(err)
			}
			conn, err := old.db.Conn(ctx)
			if err != nil {
				t.Fatal(err)
			}
			if _, err := conn.ExecContext(ctx, `CREATE TABLE schema_migrations (version INTEGER PRIMARY KEY, name TEXT NOT NULL, applied_at TEXT NOT NULL)`); err != nil {
				t.Fatal(err)
			}
			if err := old.applyMigration(ctx, conn, steps[0]); err != nil {
				t.Fatal(err)
			}
			for _, q := range []string{
				`INSERT INTO policies (policy_id, first_seen_at, last_seen_at) VALUES (7, '2026-01-01T00:00:00Z', '2026-01-01T00:00:00Z')`,
				`INSERT INTO policy_hosts (policy_id, host_id, first_seen_at, last_seen_at) VALUES (7, 8, '2026-01-01T00:00:00Z', '2026-01-01T00:00:00Z')`,
				`INSERT INTO posture (policy_id, host_id, control_id, instance, status, first_seen_at, last_seen_at)
					VALUES (7, 8, 9, 'os', 'Failed', '2026-01-01T00:00:00Z', '2026-01-01T00:00:00Z')`,
			} {
				if _, err := conn.ExecContext(ctx, q); err != nil {
					t.Fatal(err)
				}
			}
			conn.Close()
			old.Close()

			st := openStore(t, location)
			if got := readCurrent(t, st); len(got) != 1 || got[0] != (currentRow{7, 8, 9, "os", "Failed", ""}) {
				t.Errorf("posture_current after the migration: %v, want the version 1 posture", got)
			}
			var v int
			var gone *string
			if err := st.DB().QueryRow(`SELECT (SELECT max(version) FROM schema_migrations), disappeared_at FROM posture`).Scan(&v, &gone); err != nil || v != SchemaVersion() || gone != nil {
				t.Errorf("schema version %d, disappeared_at %v (%v); want %d and NULL", v, gone, err, SchemaVersion())
			}
		})
	}
}
