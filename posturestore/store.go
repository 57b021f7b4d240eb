package posturestore

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"net/url"
	"path/filepath"
	"strconv"
	"strings"
	"time"

	_ "github.com/jackc/pgx/v5/stdlib" // registers the "pgx" database/sql driver
	_ "modernc.org/sqlite"             // registers the "sqlite" database/sql driver
)

// Dialect is the kind of database behind a Store.
type Dialect string

// Supported databases.
const (
	SQLite   Dialect = "sqlite"
	Postgres Dialect = "postgres"
)

// ErrBadLocation is wrapped when a store location cannot be used.
var ErrBadLocation = errors.New("posturestore: unusable store location")

// Store is an open posture store. Its methods are safe for concurrent use,
// but only one Sync runs on a store at a time, across processes too.
type Store struct {
	db       *sql.DB
	dialect  Dialect
	location string // what error messages call the store; never holds a password
	lockPath string // SQLite: the file locked while a sync runs
}

// Open opens the store at location, creating it if needed, and brings its
// schema to the latest version. location is a SQLite file path (optionally
// prefixed with "sqlite:" or "file:") or a PostgreSQL URL
// ("postgres://user@host/db" or "postgresql://…").
func Open(ctx context.Context, location string) (*Store, error) {
	s, err := open(location)
	if err != nil {
		return nil, err
	}
	if err := s.db.PingContext(ctx); err != nil {
		s.db.Close()
		return nil, fmt.Errorf("posturestore: connecting to %s: %w", s.location, err)
	}
	if err := s.migrate(ctx); err != nil {
		s.db.Close()
		return nil, err
	}
	return s, nil
}

func open(location string) (*Store, error) {
	switch {
	case location == "":
		return nil, fmt.Errorf("%w: empty location", ErrBadLocation)
	case strings.HasPrefix(location, "postgres://"), strings.HasPrefix(location, "postgresql://"):
		u, err := url.Parse(location)
		if err != nil {
			// The parse error quotes the URL, which may hold a password.
			return nil, fmt.Errorf("%w: the PostgreSQL URL does not parse", ErrBadLocation)
		}
		db, err := sql.Open("pgx", location)
		if err != nil {
			return nil, fmt.Errorf("%w: %s: %w", ErrBadLocation, u.Redacted(), err)
		}
		return &Store{db: db, dialect: Postgres, location: u.Redacted()}, nil
	}
	path := strings.TrimPrefix(strings.TrimPrefix(location, "sqlite:"), "file:")
	if i := strings.IndexByte(path, '?'); i >= 0 {
		return nil, fmt.Errorf("%w: %q: SQLite options are set by the store, not in the location", ErrBadLocation, location)
	}
	if path == "" || path == ":memory:" {
		return nil, fmt.Errorf("%w: %q: a SQLite store needs a file", ErrBadLocation, location)
	}
	abs, err := filepath.Abs(path)
	if err != nil {
		return nil, fmt.Errorf("%w: %q: %w", ErrBadLocation, location, err)
	}
	// WAL with synchronous=NORMAL loses no committed transaction when the
	// process dies (only a power cut can cost the last ones); the busy
	// timeout lets a reader wait out a committing sync.
	q := url.Values{}
	q.Add("_pragma", "busy_timeout(15000)")
	q.Add("_pragma", "journal_mode(WAL)")
	q.Add("_pragma", "synchronous(NORMAL)")
	q.Add("_pragma", "foreign_keys(1)")
	q.Set("_txlock", "immediate")
	db, err := sql.Open("sqlite", "file:"+abs+"?"+q.Encode())
	if err != nil {
		return nil, fmt.Errorf("%w: %s: %w", ErrBadLocation, abs, err)
	}
	// One connection: SQLite has one writer anyway, and a sync's temporary
	// tables live on its connection.
	db.SetMaxOpenConns(1)
	return &Store{db: db, dialect: SQLite, location: abs, lockPath: abs + ".sync-lock"}, nil
}

// Close closes the store.
func (s *Store) Close() error { return s.db.Close() }

// DB returns the database handle, for queries of the caller's own.
func (s *Store) DB() *sql.DB { return s.db }

// Dialect tells which database the store is.
func (s *Store) Dialect() Dialect { return s.dialect }

// String names the store: the SQLite file or the PostgreSQL URL without
// its password.
func (s *Store) String() string { return s.location }

// rebind turns the ? placeholders of a query into PostgreSQL's $n. The
// store's queries hold no ? inside literals.
func (d Dialect) rebind(query string) string {
	if d != Postgres || !strings.Contains(query, "?") {
		return query
	}
	var b strings.Builder
	n := 0
	for _, r := range query {
		if r == '?' {
			n++
			b.WriteString("$" + strconv.Itoa(n))
			continue
		}
		b.WriteRune(r)
	}
	return b.String()
}

// timeLayout is how every time is stored: UTC, to the second, as Qualys
// sends its dates.
const timeLayout = "2006-01-02T15:04:05Z"

func formatTime(t time.Time) string { return t.UTC().Format(timeLayout) }

// nullTime stores the zero time as NULL.
func nullTime(t time.Time) any {
	if t.IsZero() {
		return nil
	}
	return formatTime(t)
}

// nullString stores "" as NULL.
func nullString(s string) any {
	if s == "" {
		return nil
	}
	return s
}

func parseTime(s string) (time.Time, error) { return time.Parse(timeLayout, s) }
