package posturestore

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"iter"
	"strings"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/stdlib"
)

// session is the one connection a sync writes through: its transactions,
// its temporary tables and, on PostgreSQL, its lock.
type session struct {
	st   *Store
	conn *sql.Conn
	d    Dialect
}

// temporaryTables are per-connection scratch tables: a batch is loaded
// into sync_staging and merged with set-based statements; a plan stages
// the host ids Qualys listed.
var temporaryTables = []string{
	`CREATE TEMP TABLE IF NOT EXISTS sync_staging (
		seq BIGINT NOT NULL, policy_id BIGINT NOT NULL, host_id BIGINT NOT NULL, control_id BIGINT NOT NULL,
		instance TEXT NOT NULL, record_id BIGINT, status TEXT NOT NULL, previous_status TEXT,
		criticality_value INTEGER, criticality_label TEXT, control_statement TEXT, technology_id BIGINT,
		os TEXT, ip TEXT, dns TEXT, posture_modified TEXT, last_evaluated TEXT)`,
	`CREATE TEMP TABLE IF NOT EXISTS sync_members (
		policy_id BIGINT NOT NULL, host_id BIGINT NOT NULL, PRIMARY KEY (policy_id, host_id))`,
	`CREATE TEMP TABLE IF NOT EXISTS sync_changed (
		policy_id BIGINT NOT NULL, host_id BIGINT NOT NULL, PRIMARY KEY (policy_id, host_id))`,
}

func (s *Store) newSession(ctx context.Context) (*session, error) {
	conn, err := s.db.Conn(ctx)
	if err != nil {
		return nil, fmt.Errorf("posturestore: connecting to %s: %w", s.location, err)
	}
	ss := &session{st: s, conn: conn, d: s.dialect}
	stmts := append([]string(nil), temporaryTables...)
	// Index for the newest-duplicate test of the merge; the two dialects
	// name a temporary index differently.
	if s.dialect == SQLite {
		stmts = append(stmts, `CREATE INDEX IF NOT EXISTS temp.sync_staging_key ON sync_staging (policy_id, host_id, control_id, instance, seq)`)
	} else {
		stmts = append(stmts, `CREATE INDEX IF NOT EXISTS sync_staging_key ON sync_staging (policy_id, host_id, control_id, instance, seq)`)
	}
	for _, q := range stmts {
		if _, err := conn.ExecContext(ctx, q); err != nil {
			conn.Close()
			return nil, fmt.Errorf("posturestore: %s: preparing the sync tables: %w", s.location, err)
		}
	}
	return ss, nil
}

func (ss *session) close() error { return ss.conn.Close() }

func (ss *session) exec(ctx context.Context, query string, args ...any) (sql.Result, error) {
	return ss.conn.ExecContext(ctx, ss.d.rebind(query), args...)
}

func (ss *session) queryRow(ctx context.Context, query string, args ...any) *sql.Row {
	return ss.conn.QueryRowContext(ctx, ss.d.rebind(query), args...)
}

// inTx runs fn in one transaction on the session's connection: committed
// when fn succeeds, rolled back otherwise. SQLite takes the write lock at
// BEGIN, so two writers never deadlock upgrading a read lock.
func (ss *session) inTx(ctx context.Context, fn func() error) (err error) {
	begin := "BEGIN"
	if ss.d == SQLite {
		begin = "BEGIN IMMEDIATE"
	}
	if _, err := ss.conn.ExecContext(ctx, begin); err != nil {
		return fmt.Errorf("posturestore: %s: starting a transaction: %w", ss.st.location, err)
	}
	defer func() {
		if err != nil {
			// Rolled back on a fresh context: the caller's may be what
			// ended, and the connection must leave the transaction.
			rctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), rollbackTimeout)
			defer cancel()
			if _, rerr := ss.conn.ExecContext(rctx, "ROLLBACK"); rerr != nil {
				err = errors.Join(err, fmt.Errorf("posturestore: rolling back: %w", rerr))
			}
		}
	}()
	if err := fn(); err != nil {
		return err
	}
	if _, err := ss.conn.ExecContext(ctx, "COMMIT"); err != nil {
		return fmt.Errorf("posturestore: %s: committing: %w", ss.st.location, err)
	}
	return nil
}

// copyRows loads rows into a table of the session: COPY on PostgreSQL, a
// prepared insert per row on SQLite (in-process, where that is the fast
// way). It returns how many rows went in; the first error of rows stops it.
func (ss *session) copyRows(ctx context.Context, table string, columns []string, rows iter.Seq2[[]any, error]) (int64, error) {
	if ss.d == Postgres {
		var n int64
		err := ss.conn.Raw(func(dc any) error {
			c, ok := dc.(*stdlib.Conn)
			if !ok {
				return fmt.Errorf("posturestore: unexpected PostgreSQL driver connection %T", dc)
			}
			next, stop := iter.Pull2(rows)
			defer stop()
			src := &pullSource{next: next}
			var err error
			n, err = c.Conn().CopyFrom(ctx, pgx.Identifier{table}, columns, src)
			if src.err != nil {
				return src.err // the source's error, not COPY's report of it
			}
			return err
		})
		return n, err
	}
	marks := strings.TrimSuffix(strings.Repeat("?,", len(columns)), ",")
	stmt, err := ss.conn.PrepareContext(ctx, "INSERT INTO "+table+" ("+strings.Join(columns, ",")+") VALUES ("+marks+")")
	if err != nil {
		return 0, err
	}
	defer stmt.Close()
	var n int64
	for row, err := range rows {
		if err != nil {
			return n, err
		}
		if _, err := stmt.ExecContext(ctx, row...); err != nil {
			return n, err
		}
		n++
	}
	return n, nil
}

// pullSource feeds pgx's COPY from a pulled sequence.
type pullSource struct {
	next func() ([]any, error, bool)
	row  []any
	err  error
}

func (p *pullSource) Next() bool {
	row, err, ok := p.next()
	if !ok {
		return false
	}
	if err != nil {
		p.err = err
		return false
	}
	p.row = row
	return true
}

func (p *pullSource) Values() ([]any, error) { return p.row, nil }
func (p *pullSource) Err() error             { return p.err }
