package posturestore

import (
	"context"
	"database/sql"
	"embed"
	"fmt"
	"io/fs"
	"path"
	"strconv"
	"strings"
	"time"
)

//go:embed migrations/*.sql
var migrationFiles embed.FS

// migration is one versioned step of the schema, the same text for every
// dialect.
type migration struct {
	version int
	name    string
	sql     string
}

// migrations returns the embedded steps in version order. A file is named
// NNNN_what.sql.
func migrations() ([]migration, error) {
	names, err := fs.Glob(migrationFiles, "migrations/*.sql")
	if err != nil {
		return nil, err
	}
	var out []migration
	for _, n := range names { // Glob sorts, and versions are zero-padded
		base := path.Base(n)
		v, err := strconv.Atoi(strings.SplitN(base, "_", 2)[0])
		if err != nil {
			return nil, fmt.Errorf("posturestore: migration %s: no version number", base)
		}
		if len(out) > 0 && v != out[len(out)-1].version+1 {
			return nil, fmt.Errorf("posturestore: migration %s: versions must follow each other", base)
		}
		b, err := migrationFiles.ReadFile(n)
		if err != nil {
			return nil, err
		}
		out = append(out, migration{version: v, name: base, sql: string(b)})
	}
	return out, nil
}

// SchemaVersion is the schema version this package writes.
func SchemaVersion() int {
	m, err := migrations()
	if err != nil || len(m) == 0 {
		return 0
	}
	return m[len(m)-1].version
}

// migrate applies every step the store lacks, each in its own
// transaction with its version row, so a crash leaves the schema at a
// whole version. Concurrent openers serialise on the database's lock.
func (s *Store) migrate(ctx context.Context) error {
	steps, err := migrations()
	if err != nil {
		return err
	}
	conn, err := s.db.Conn(ctx)
	if err != nil {
		return fmt.Errorf("posturestore: %s: %w", s.location, err)
	}
	defer conn.Close()
	if _, err := conn.ExecContext(ctx, `CREATE TABLE IF NOT EXISTS schema_migrations (
		version INTEGER PRIMARY KEY, name TEXT NOT NULL, applied_at TEXT NOT NULL)`); err != nil {
		return fmt.Errorf("posturestore: %s: creating the migration table: %w", s.location, err)
	}
	latest := steps[len(steps)-1].version
	var newest int
	if err := conn.QueryRowContext(ctx, `SELECT COALESCE(MAX(version), 0) FROM schema_migrations`).Scan(&newest); err != nil {
		return fmt.Errorf("posturestore: %s: reading the schema version: %w", s.location, err)
	}
	if newest > latest {
		return fmt.Errorf("posturestore: %s: the store has schema version %d, newer than this release's %d; use a newer release", s.location, newest, latest)
	}
	for _, m := range steps {
		if err := s.applyMigration(ctx, conn, m); err != nil {
			return err
		}
	}
	return nil
}

func (s *Store) applyMigration(ctx context.Context, conn *sql.Conn, m migration) (err error) {
	tx, err := conn.BeginTx(ctx, nil)
	if err != nil {
		return fmt.Errorf("posturestore: %s: %w", s.location, err)
	}
	defer func() {
		if err != nil {
			tx.Rollback()
		}
	}()
	if s.dialect == Postgres {
		// Another process may be migrating the same database.
		if _, err := tx.ExecContext(ctx, `SELECT pg_advisory_xact_lock($1)`, migrationLockKey); err != nil {
			return fmt.Errorf("posturestore: %s: waiting for the migration lock: %w", s.location, err)
		}
	}
	var n int
	if err := tx.QueryRowContext(ctx, s.dialect.rebind(`SELECT count(*) FROM schema_migrations WHERE version = ?`), m.version).Scan(&n); err != nil {
		return fmt.Errorf("posturestore: %s: reading the schema version: %w", s.location, err)
	}
	if n > 0 {
		return tx.Rollback()
	}
	for _, stmt := range splitStatements(m.sql) {
		if _, err := tx.ExecContext(ctx, stmt); err != nil {
			return fmt.Errorf("posturestore: %s: migration %s: %w", s.location, m.name, err)
		}
	}
	if _, err := tx.ExecContext(ctx, s.dialect.rebind(`INSERT INTO schema_migrations (version, name, applied_at) VALUES (?, ?, ?)`),
		m.version, m.name, formatTime(time.Now())); err != nil {
		return fmt.Errorf("posturestore: %s: migration %s: %w", s.location, m.name, err)
	}
	if err := tx.Commit(); err != nil {
		return fmt.Errorf("posturestore: %s: migration %s: %w", s.location, m.name, err)
	}
	return nil
}

// migrationLockKey is the PostgreSQL advisory lock migrations hold.
const migrationLockKey int64 = 0x7175616c79730001 // "qualys" + 1

// splitStatements cuts a migration at the semicolons that end lines and
// drops comment lines; migrations hold no semicolon inside literals.
func splitStatements(text string) []string {
	var out []string
	var cur strings.Builder
	for _, line := range strings.Split(text, "\n") {
		t := strings.TrimSpace(line)
		if t == "" || strings.HasPrefix(t, "--") {
			continue
		}
		cur.WriteString(line)
		cur.WriteByte('\n')
		if strings.HasSuffix(t, ";") {
			out = append(out, strings.TrimSuffix(strings.TrimSpace(cur.String()), ";"))
			cur.Reset()
		}
	}
	if strings.TrimSpace(cur.String()) != "" {
		out = append(out, strings.TrimSpace(cur.String()))
	}
	return out
}
