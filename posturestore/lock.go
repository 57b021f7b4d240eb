package posturestore

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"os"
	"strings"
	"time"
)

// ErrLocked is wrapped when another sync is writing the store and the
// caller chose not to wait (or waited long enough).
var ErrLocked = errors.New("posturestore: another sync is writing this store")

// syncLockKey is the PostgreSQL advisory lock a sync holds on its session.
const syncLockKey int64 = 0x7175616c79730002

// lockPoll is how often a waiting sync tries the lock again.
const lockPoll = 100 * time.Millisecond

// acquireLock takes the store's sync lock, trying until wait has passed
// (0: once) or ctx ends. The lock dies with its holder: the OS drops a
// SQLite file lock when the process dies, PostgreSQL an advisory lock when
// the session ends, so a killed sync never blocks the next one.
func (s *Store) acquireLock(ctx context.Context, conn *sql.Conn, wait time.Duration) (release func(), err error) {
	deadline := time.Now().Add(wait)
	for {
		release, held, err := s.tryLock(ctx, conn)
		if err != nil {
			return nil, err
		}
		if release != nil {
			return release, nil
		}
		if !time.Now().Before(deadline) {
			return nil, fmt.Errorf("%w (%s)%s", ErrLocked, s.location, held)
		}
		t := time.NewTimer(min(lockPoll, time.Until(deadline)))
		select {
		case <-ctx.Done():
			t.Stop()
			return nil, fmt.Errorf("posturestore: waiting for the sync lock of %s: %w", s.location, ctx.Err())
		case <-t.C:
		}
	}
}

// tryLock tries the lock once; when it is taken, held says by whom, as far
// as is known.
func (s *Store) tryLock(ctx context.Context, conn *sql.Conn) (release func(), held string, err error) {
	if s.dialect == Postgres {
		var ok bool
		if err := conn.QueryRowContext(ctx, `SELECT pg_try_advisory_lock($1)`, syncLockKey).Scan(&ok); err != nil {
			return nil, "", fmt.Errorf("posturestore: taking the sync lock of %s: %w", s.location, err)
		}
		if !ok {
			return nil, "", nil
		}
		return func() {
			// A fresh context: the sync's own may have ended, and the
			// lock must go with it. Closing the session frees it anyway.
			ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
			defer cancel()
			conn.ExecContext(ctx, `SELECT pg_advisory_unlock($1)`, syncLockKey)
		}, "", nil
	}
	f, err := os.OpenFile(s.lockPath, os.O_RDWR|os.O_CREATE, 0o600)
	if err != nil {
		return nil, "", fmt.Errorf("posturestore: opening the sync lock file: %w", err)
	}
	ok, err := lockFile(f)
	if err != nil {
		f.Close()
		return nil, "", fmt.Errorf("posturestore: locking %s: %w", s.lockPath, err)
	}
	if !ok {
		b := make([]byte, 200)
		n, _ := f.ReadAt(b, 0)
		f.Close()
		if who := strings.TrimSpace(string(b[:n])); who != "" {
			held = ": held by " + who
		}
		return nil, held, nil
	}
	f.Truncate(0)
	fmt.Fprintf(f, "process %d since %s", os.Getpid(), formatTime(time.Now()))
	return func() {
		f.Truncate(0)
		unlockFile(f)
		f.Close()
	}, "", nil
}
