package main

import (
	"context"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"runtime"
	"strings"
	"time"

	"github.com/spf13/cobra"

	"github.com/qualyskit/qualys-go/posturestore"
)

// syncFlags are the flags of "pcrs sync".
type syncFlags struct {
	f          *factory
	db         string
	policies   []string
	overlap    time.Duration
	batchHosts int
	wait       time.Duration
	version    string
}

func newPCRSSyncCmd(f *factory) *cobra.Command {
	opts := &syncFlags{f: f}
	cmd := &cobra.Command{
		Use:   "sync",
		Short: "Keep compliance posture in a SQLite or PostgreSQL store: in full once, then only what changed",
		Example: `  qualys pcrs sync --db posture.sqlite
  qualys pcrs sync --db postgres://sync@db.example.com/compliance --policy-id 4677689 --wait 10m`,
		Args: exactArgs(0),
		RunE: func(cmd *cobra.Command, _ []string) error { return runSync(cmd.Context(), opts) },
	}
	fl := cmd.Flags()
	fl.StringVar(&opts.db, "db", "", "store: a SQLite file or a postgres:// URL (default: posture.sqlite in the user's data directory)")
	fl.StringSliceVar(&opts.policies, "policy-id", nil, "policy ids to keep, comma-separated or repeated (default: every policy)")
	fl.DurationVar(&opts.overlap, "overlap", posturestore.DefaultOverlap, "how far before the last sync to ask for changes")
	fl.IntVar(&opts.batchHosts, "batch-hosts", posturestore.DefaultBatchHosts, "hosts per request and per transaction")
	fl.DurationVar(&opts.wait, "wait", 0, "when another sync is writing the store, wait this long for it (0: refuse)")
	fl.StringVar(&opts.version, "api-version", "5.0", "postureInfo version: 1.0 to 5.0")
	return cmd
}

// runSync checks the command line, opens the store and syncs it.
func runSync(ctx context.Context, o *syncFlags) error {
	f := o.f
	ids, err := parseIDs("--policy-id", o.policies)
	if err != nil {
		return err
	}
	for _, id := range ids {
		if id <= 0 {
			return usagef("--policy-id %d: a policy id is a positive number", id)
		}
	}
	switch {
	case o.overlap < 0:
		return usagef("--overlap %s: must not be negative", o.overlap)
	case o.batchHosts <= 0:
		return usagef("--batch-hosts %d: must be positive", o.batchHosts)
	case o.wait < 0:
		return usagef("--wait %s: must not be negative", o.wait)
	}
	switch o.version {
	case "1.0", "2.0", "3.0", "4.0", "5.0":
	default:
		return usagef("--api-version %q: want 1.0, 2.0, 3.0, 4.0 or 5.0", o.version)
	}
	location, err := storeLocation(f.getenv, o.db)
	if err != nil {
		return err
	}
	prog, err := f.newProgress()
	if err != nil {
		return err
	}
	p, err := f.printer(nil)
	if err != nil {
		return err
	}
	p.w, p.errW = prog.writer(p.w), prog.writer(p.errW)
	client, err := f.client()
	if err != nil {
		return err
	}
	st, err := posturestore.Open(ctx, location)
	if err != nil {
		return storeError(err)
	}
	defer st.Close()
	f.ran = true
	opts := []posturestore.SyncOption{
		posturestore.WithPolicyIDs(ids...), posturestore.WithOverlap(o.overlap),
		posturestore.WithBatchHosts(o.batchHosts), posturestore.WithLockWait(o.wait),
		posturestore.WithPostureVersion(o.version),
	}
	opts = append(opts, posturestore.WithSyncProgress(func(sp posturestore.SyncProgress) {
		total := int(sp.HostsDone + sp.HostsLeft)
		prog.update(int(sp.HostsDone), total, fmt.Sprintf("sync: %d/%d hosts, %d records, %d changes", sp.HostsDone, total, sp.Records, sp.Changes))
	}))
	prog.set("sync: asking which hosts changed")
	stop := prog.keepAlive(ctx)
	res, err := st.Sync(ctx, client, opts...)
	stop()
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
		"controlsDisappeared": res.ControlsDisappeared,
	}
	if !res.ChangedSince.IsZero() {
		row["changedSince"] = res.ChangedSince.Format(time.RFC3339)
	}
	if err := p.record(row); err != nil {
		return err
	}
	return p.flush()
}

// storeLocation is --db, or posture.sqlite in the user's data directory,
// which is created if needed.
func storeLocation(getenv func(string) string, db string) (string, error) {
	if db != "" {
		if strings.HasPrefix(db, "postgres://") || strings.HasPrefix(db, "postgresql://") {
			return db, nil
		}
		if strings.Contains(db, "://") {
			return "", usagef("--db %q: want a SQLite file or a postgres:// URL", db)
		}
		return db, nil
	}
	dir, err := dataDir(getenv)
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
