package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"os"
	"path/filepath"
	"runtime"
	"strings"
	"time"

	"github.com/qualyskit/qualys-go/posturestore"
	"github.com/qualyskit/qualys-go/wire"
)

// syncFlags are the flags of "pcrs sync".
type syncFlags struct {
	db         string
	policies   policyFlag
	overlap    time.Duration
	batchHosts int
	wait       time.Duration
	version    string
}

func pcrsSyncCommand() *command {
	var f syncFlags
	return &command{
		flags: func(fs *flag.FlagSet) {
			fs.StringVar(&f.db, "db", "", "store: a SQLite file or a postgres:// URL (default: posture.sqlite in the user's data directory)")
			fs.Var(&f.policies, "policy-id", "policy id(s) to keep, comma-separated or repeated (default: every policy)")
			fs.DurationVar(&f.overlap, "overlap", posturestore.DefaultOverlap, "how far before the last sync to ask for changes")
			fs.IntVar(&f.batchHosts, "batch-hosts", posturestore.DefaultBatchHosts, "hosts per request and per transaction")
			fs.DurationVar(&f.wait, "wait", 0, "when another sync is writing the store, wait this long for it (0: refuse)")
			fs.StringVar(&f.version, "api-version", "5.0", "postureInfo version: 1.0 to 5.0")
		},
		run: func(ctx context.Context, c *cli, _ []string) error { return runSync(ctx, c, f) },
	}
}

// runSync checks the command line, opens the store and syncs it.
func runSync(ctx context.Context, c *cli, f syncFlags) error {
	ids, err := policyIDs(f.policies)
	if err != nil {
		return err
	}
	switch {
	case f.overlap < 0:
		return usagef("--overlap %s: must not be negative", f.overlap)
	case f.batchHosts <= 0:
		return usagef("--batch-hosts %d: must be positive", f.batchHosts)
	case f.wait < 0:
		return usagef("--wait %s: must not be negative", f.wait)
	}
	switch f.version {
	case "1.0", "2.0", "3.0", "4.0", "5.0":
	default:
		return usagef("--api-version %q: want 1.0, 2.0, 3.0, 4.0 or 5.0", f.version)
	}
	location, err := storeLocation(c, f.db)
	if err != nil {
		return err
	}
	client, err := c.client()
	if err != nil {
		return err
	}
	st, err := posturestore.Open(ctx, location)
	if err != nil {
		return storeError(err)
	}
	defer st.Close()
	opts := []posturestore.SyncOption{
		posturestore.WithPolicyIDs(ids...), posturestore.WithOverlap(f.overlap),
		posturestore.WithBatchHosts(f.batchHosts), posturestore.WithLockWait(f.wait),
		posturestore.WithPostureVersion(f.version),
	}
	if isTerminal(c.stderr) {
		opts = append(opts, posturestore.WithSyncProgress(func(p posturestore.SyncProgress) {
			fmt.Fprintf(c.stderr, "\rhosts %d/%d, %d records, %d changes", p.HostsDone, p.HostsDone+p.HostsLeft, p.Records, p.Changes)
		}))
		defer fmt.Fprintln(c.stderr)
	}
	res, err := st.Sync(ctx, client, opts...)
	if err != nil {
		if errors.Is(err, posturestore.ErrLocked) {
			return fmt.Errorf("%w; try again later or pass --wait", err)
		}
		if errors.Is(err, posturestore.ErrUnknownPolicy) {
			return fmt.Errorf("%w (list them with: qualys pcrs policies)", err)
		}
		return err
	}
	row := map[string]any{
		"store": st.String(), "run": res.RunID, "resumed": res.Resumed, "startedAt": res.StartedAt.Format(time.RFC3339),
		"fullPolicies": res.FullPolicies, "incrementalPolicies": res.IncrementalPolicies,
		"hostsRequested": res.HostsRequested, "records": res.Records, "changes": res.Changes,
		"hostsDisappeared": res.HostsDisappeared, "policiesDisappeared": res.PoliciesDisappeared,
	}
	if !res.ChangedSince.IsZero() {
		row["changedSince"] = res.ChangedSince.Format(time.RFC3339)
	}
	return c.out.record(row)
}

// policyIDs parses --policy-id values: PCRS policy ids are positive
// integers.
func policyIDs(values []wire.ID) ([]int64, error) {
	var ids []int64
	for _, v := range values {
		id, err := v.Int64()
		if err != nil || id <= 0 {
			return nil, usagef("--policy-id %q: a policy id is a positive number", v.String())
		}
		ids = append(ids, id)
	}
	return ids, nil
}

// storeLocation is --db, or posture.sqlite in the user's data directory,
// which is created if needed.
func storeLocation(c *cli, db string) (string, error) {
	if db != "" {
		if strings.HasPrefix(db, "postgres://") || strings.HasPrefix(db, "postgresql://") {
			return db, nil
		}
		if strings.Contains(db, "://") {
			return "", usagef("--db %q: want a SQLite file or a postgres:// URL", db)
		}
		return db, nil
	}
	dir, err := dataDir(c.getenv)
	if err != nil {
		return "", usagef("no --db and no user data directory: %v", err)
	}
	dir = filepath.Join(dir, "qualys")
	if err := os.MkdirAll(dir, 0o700); err != nil {
		return "", fmt.Errorf("creating the store's folder: %w", err)
	}
	return filepath.Join(dir, "posture.sqlite"), nil
}

// dataDir is where per-user application data lives: $XDG_DATA_HOME or
// ~/.local/share on Unix, Application Support on macOS, %LocalAppData% on
// Windows.
func dataDir(getenv func(string) string) (string, error) {
	switch runtime.GOOS {
	case "windows":
		if d := getenv("LocalAppData"); d != "" {
			return d, nil
		}
		return "", errors.New("%LocalAppData% is not set")
	case "darwin":
		if h := getenv("HOME"); h != "" {
			return filepath.Join(h, "Library", "Application Support"), nil
		}
		return "", errors.New("$HOME is not set")
	}
	if d := getenv("XDG_DATA_HOME"); d != "" && filepath.IsAbs(d) {
		return d, nil
	}
	if h := getenv("HOME"); h != "" {
		return filepath.Join(h, ".local", "share"), nil
	}
	return "", errors.New("neither $XDG_DATA_HOME nor $HOME is set")
}

// storeError words a failure to open the store for the command line.
func storeError(err error) error {
	if errors.Is(err, posturestore.ErrBadLocation) {
		return &usageError{strings.TrimPrefix(err.Error(), "posturestore: ")}
	}
	return err
}
