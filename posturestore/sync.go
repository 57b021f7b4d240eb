package posturestore

import (
	"context"
	"errors"
	"fmt"
	"iter"
	"slices"
	"strconv"
	"strings"
	"time"

	qualys "github.com/qualyskit/qualys-go/wrapper"
)

// Sync defaults.
const (
	// DefaultOverlap is how far before the last checkpoint an incremental
	// sync asks for changes. Qualys does not say how soon a posture change
	// becomes visible after its date; a day covers processing delays and
	// clock skew, and re-reading a day of changes costs little since
	// records are upserted.
	DefaultOverlap = 24 * time.Hour
	// DefaultBatchHosts is how many hosts one postureInfo request and one
	// store transaction cover (QualysETL's default request size).
	DefaultBatchHosts = 300
	// batchAttempts bounds how often a batch whose stream broke is fetched
	// again; its transaction was rolled back, so nothing is doubled.
	batchAttempts = 3
	// rollbackTimeout bounds a rollback after the sync's context ended.
	rollbackTimeout = 10 * time.Second
)

// ErrUnknownPolicy is wrapped when a policy asked for is neither in the
// subscription nor in the store.
var ErrUnknownPolicy = errors.New("posturestore: unknown policy")

// SyncOption configures Sync.
type SyncOption func(*syncConfig)

type syncConfig struct {
	policyIDs []int64
	overlap   time.Duration
	batch     int
	lockWait  time.Duration
	now       func() time.Time
	progress  func(SyncProgress)
	version   string
}

// WithPolicyIDs limits the sync to some policies; by default it covers
// every policy of the subscription.
func WithPolicyIDs(ids ...int64) SyncOption {
	return func(c *syncConfig) { c.policyIDs = append(c.policyIDs, ids...) }
}

// WithOverlap sets how far before the last checkpoint an incremental sync
// asks for changes (default DefaultOverlap; 0 is allowed).
func WithOverlap(d time.Duration) SyncOption {
	return func(c *syncConfig) {
		if d >= 0 {
			c.overlap = d
		}
	}
}

// WithBatchHosts sets how many hosts one request and one transaction
// cover (default DefaultBatchHosts).
func WithBatchHosts(n int) SyncOption {
	return func(c *syncConfig) {
		if n > 0 {
			c.batch = n
		}
	}
}

// WithLockWait makes a sync that finds another one writing the store wait
// up to d for it to finish; by default it refuses at once with ErrLocked.
func WithLockWait(d time.Duration) SyncOption { return func(c *syncConfig) { c.lockWait = d } }

// WithClock sets the clock that dates a sync (its checkpoint and the
// seen_at of changes); tests use it to replay syncs exactly.
func WithClock(now func() time.Time) SyncOption { return func(c *syncConfig) { c.now = now } }

// WithSyncProgress registers a callback run after planning and after each
// committed batch, on the syncing goroutine.
func WithSyncProgress(f func(SyncProgress)) SyncOption { return func(c *syncConfig) { c.progress = f } }

// WithPostureVersion sets the postureInfo version, "1.0" to "5.0" (default:
// the client's, 5.0).
func WithPostureVersion(v string) SyncOption {
	return func(c *syncConfig) { c.version = v }
}

// SyncProgress tells how far a sync has come.
type SyncProgress struct {
	RunID                int64
	HostsDone, HostsLeft int64
	Records, Changes     int64
}

// SyncResult sums up one sync run.
type SyncResult struct {
	RunID int64
	// Resumed tells that the run had been interrupted and was finished.
	Resumed bool
	// StartedAt dates the run: its checkpoint and the seen_at of the
	// changes it recorded.
	StartedAt time.Time
	// ChangedSince is the statusChangedSince of the hostids request that
	// found the changed hosts; zero when every selected policy was pulled
	// in full.
	ChangedSince time.Time
	// FullPolicies counts policies pulled in full (never synced before, or
	// back after disappearing); the others were pulled incrementally.
	FullPolicies, IncrementalPolicies int
	// HostsRequested counts the (policy, host) pairs whose posture was
	// requested.
	HostsRequested int64
	// Records counts the records written, Changes the status changes
	// recorded.
	Records, Changes int64
	// HostsDisappeared and PoliciesDisappeared count what this run marked
	// as gone. ControlsDisappeared counts the postures (a control
	// instance of a host in a policy) Qualys stopped reporting for a host
	// still in the policy; they are among Changes too.
	HostsDisappeared, PoliciesDisappeared, ControlsDisappeared int64
}

// Sync brings the store up to date with the subscription: a full pull of
// policies it has never synced, changes since the last checkpoint minus
// the overlap for the others. An interrupted run is finished first, with
// the plan and date it started with; a new run follows when it covered
// other policies or started longer ago than the overlap. Each batch of
// hosts commits together with its checkpoint.
func (s *Store) Sync(ctx context.Context, c *qualys.Client, opts ...SyncOption) (SyncResult, error) {
	if c == nil {
		return SyncResult{}, errors.New("posturestore: Sync needs a client")
	}
	cfg := syncConfig{overlap: DefaultOverlap, batch: DefaultBatchHosts, now: time.Now}
	for _, o := range opts {
		if o != nil {
			o(&cfg)
		}
	}
	return s.sync(ctx, clientSource{c: c, version: cfg.version}, cfg)
}

func (s *Store) sync(ctx context.Context, src source, cfg syncConfig) (SyncResult, error) {
	cfg.policyIDs = slices.Clone(cfg.policyIDs)
	slices.Sort(cfg.policyIDs)
	cfg.policyIDs = slices.Compact(cfg.policyIDs)
	for _, id := range cfg.policyIDs {
		if id <= 0 {
			return SyncResult{}, fmt.Errorf("%w: policy id %d is not positive", ErrUnknownPolicy, id)
		}
	}

	ss, err := s.newSession(ctx)
	if err != nil {
		return SyncResult{}, err
	}
	defer ss.close()
	release, err := s.acquireLock(ctx, ss.conn, cfg.lockWait)
	if err != nil {
		return SyncResult{}, err
	}
	defer release()

	r := &run{ss: ss, src: src, cfg: cfg}
	resumed, err := r.loadUnfinished(ctx)
	if err != nil {
		return SyncResult{}, err
	}
	if resumed {
		res, err := r.finish(ctx, true)
		// Finishing it is the sync asked for, unless it covered other
		// policies or its plan is older than the overlap (the changes
		// since would wait for the next sync): then a new run follows.
		if err != nil || (r.selection == selectionText(cfg.policyIDs) && !cfg.now().After(r.startedAt.Add(cfg.overlap))) {
			return res, err
		}
		r = &run{ss: ss, src: src, cfg: cfg}
	}
	if err := r.plan(ctx); err != nil {
		return SyncResult{}, err
	}
	return r.finish(ctx, false)
}

// run is one sync run, planned or resumed.
type run struct {
	ss  *session
	src source
	cfg syncConfig

	id           int64
	startedAt    time.Time
	since        time.Time
	subscription string
	selection    string
	res          SyncResult
}

// selectionText is how a run stores its policy selection ("" = all).
func selectionText(ids []int64) string {
	parts := make([]string, len(ids))
	for i, id := range ids {
		parts[i] = strconv.FormatInt(id, 10)
	}
	return strings.Join(parts, ",")
}

// loadUnfinished loads the latest run that did not finish, if any.
func (r *run) loadUnfinished(ctx context.Context) (bool, error) {
	var started, sub, sel string
	var since *string
	err := r.ss.queryRow(ctx, `SELECT run_id, started_at, changed_since, subscription_id, policy_ids,
		hosts_requested, records, changes FROM sync_runs WHERE finished_at IS NULL ORDER BY run_id DESC LIMIT 1`).
		Scan(&r.id, &started, &since, &sub, &sel, &r.res.HostsRequested, &r.res.Records, &r.res.Changes)
	if err != nil {
		if isNoRows(err) {
			return false, nil
		}
		return false, fmt.Errorf("posturestore: %s: reading the last run: %w", r.ss.st.location, err)
	}
	if r.startedAt, err = parseTime(started); err != nil {
		return false, fmt.Errorf("posturestore: %s: run %d has a bad start time %q", r.ss.st.location, r.id, started)
	}
	if since != nil {
		if r.since, err = parseTime(*since); err != nil {
			return false, fmt.Errorf("posturestore: %s: run %d has a bad checkpoint %q", r.ss.st.location, r.id, *since)
		}
	}
	r.subscription, r.selection = sub, sel
	r.res.RunID, r.res.StartedAt, r.res.ChangedSince = r.id, r.startedAt, r.since
	return true, nil
}

// plan asks Qualys what to pull and records the plan, the disappearances
// and the run in one transaction: a run killed before it commits left no
// trace, one killed after resumes from it.
func (r *run) plan(ctx context.Context) error {
	ss := r.ss
	r.startedAt = r.cfg.now().UTC().Truncate(time.Second)
	r.selection = selectionText(r.cfg.policyIDs)

	known, err := ss.knownPolicies(ctx)
	if err != nil {
		return err
	}
	listed, err := r.src.policies(ctx)
	if err != nil {
		return fmt.Errorf("posturestore: listing policies: %w", err)
	}
	titles := make(map[int64]string, len(listed))
	for _, p := range listed {
		titles[p.id] = p.title
	}
	sub, members, err := r.src.hostIDs(ctx, r.cfg.policyIDs, time.Time{})
	if err != nil {
		return fmt.Errorf("posturestore: resolving host ids: %w", err)
	}
	// The policies of this run: those asked for (or all listed) that
	// Qualys still has; a policy is present when hostids resolves it.
	var present []int64
	if len(r.cfg.policyIDs) == 0 {
		for id := range members {
			present = append(present, id)
		}
	} else {
		for _, id := range r.cfg.policyIDs {
			if _, ok := members[id]; ok {
				present = append(present, id)
			} else if _, ok := known[id]; !ok {
				return fmt.Errorf("%w: policy %d is not in the subscription", ErrUnknownPolicy, id)
			}
		}
	}
	slices.Sort(present)

	// Incremental policies share one statusChangedSince: the oldest of
	// their checkpoints, minus the overlap.
	var oldest time.Time
	for _, id := range present {
		if k, ok := known[id]; ok && !k.IsZero() && (oldest.IsZero() || k.Before(oldest)) {
			oldest = k
		}
	}
	changed := map[int64][]int64{}
	if !oldest.IsZero() {
		r.since = oldest.Add(-r.cfg.overlap)
		var csub string
		csub, changed, err = r.src.hostIDs(ctx, r.cfg.policyIDs, r.since)
		if err != nil {
			return fmt.Errorf("posturestore: resolving changed host ids: %w", err)
		}
		if sub == "" {
			sub = csub
		}
	}
	r.subscription = sub

	return ss.inTx(ctx, func() error {
		if err := ss.queryRow(ctx, `SELECT COALESCE(MAX(run_id), 0) + 1 FROM sync_runs`).Scan(&r.id); err != nil {
			return fmt.Errorf("posturestore: numbering the run: %w", err)
		}
		return r.writePlan(ctx, present, titles, members, changed)
	})
}

// knownPolicies returns the store's present policies and their
// checkpoints (zero when never synced).
func (ss *session) knownPolicies(ctx context.Context) (map[int64]time.Time, error) {
	rows, err := ss.conn.QueryContext(ctx, `SELECT policy_id, synced_through FROM policies WHERE disappeared_at IS NULL`)
	if err != nil {
		return nil, fmt.Errorf("posturestore: %s: reading policies: %w", ss.st.location, err)
	}
	defer rows.Close()
	out := map[int64]time.Time{}
	for rows.Next() {
		var id int64
		var through *string
		if err := rows.Scan(&id, &through); err != nil {
			return nil, err
		}
		var t time.Time
		if through != nil {
			if t, err = parseTime(*through); err != nil {
				return nil, fmt.Errorf("posturestore: %s: policy %d has a bad checkpoint %q", ss.st.location, id, *through)
			}
		}
		out[id] = t
	}
	return out, rows.Err()
}

func (r *run) writePlan(ctx context.Context, present []int64, titles map[int64]string, members, changed map[int64][]int64) error {
	ss := r.ss
	now := formatTime(r.startedAt)
	for _, id := range present {
		if _, err := ss.exec(ctx, `INSERT INTO policies (policy_id, title, first_seen_at, last_seen_at, planned_run_id)
			VALUES (?, ?, ?, ?, ?)
			ON CONFLICT (policy_id) DO UPDATE SET title = COALESCE(excluded.title, policies.title),
				last_seen_at = excluded.last_seen_at, disappeared_at = NULL, planned_run_id = excluded.planned_run_id`,
			id, nullString(titles[id]), now, now, r.id); err != nil {
			return fmt.Errorf("posturestore: recording policy %d: %w", id, err)
		}
	}
	// Policies in scope that Qualys no longer has are marked, and lose
	// their checkpoint so that a return pulls them in full.
	gone := `UPDATE policies SET disappeared_at = ?, synced_through = NULL
		WHERE disappeared_at IS NULL AND (planned_run_id IS NULL OR planned_run_id <> ?)`
	if len(r.cfg.policyIDs) > 0 {
		gone += ` AND policy_id IN (` + r.selection + `)` // integers, formatted here
	}
	res, err := ss.exec(ctx, gone, now, r.id)
	if err != nil {
		return fmt.Errorf("posturestore: marking disappeared policies: %w", err)
	}
	r.res.PoliciesDisappeared, _ = res.RowsAffected()

	for _, table := range []string{"sync_members", "sync_changed"} {
		if _, err := ss.exec(ctx, `DELETE FROM `+table); err != nil {
			return err
		}
	}
	if _, err := ss.copyRows(ctx, "sync_members", []string{"policy_id", "host_id"}, pairs(present, members)); err != nil {
		return fmt.Errorf("posturestore: staging host ids: %w", err)
	}
	if _, err := ss.copyRows(ctx, "sync_changed", []string{"policy_id", "host_id"}, pairs(present, changed)); err != nil {
		return fmt.Errorf("posturestore: staging changed host ids: %w", err)
	}

	// Pulled in full: every host of a policy never synced, and hosts new
	// to (or back in) a policy. Incremental: the changed hosts of the
	// others.
	if _, err := ss.exec(ctx, `INSERT INTO sync_pending (run_id, policy_id, host_id, full_pull)
		SELECT ?, m.policy_id, m.host_id, 1 FROM sync_members m
		JOIN policies pol ON pol.policy_id = m.policy_id
		LEFT JOIN policy_hosts ph ON ph.policy_id = m.policy_id AND ph.host_id = m.host_id
		WHERE pol.synced_through IS NULL OR ph.host_id IS NULL OR ph.disappeared_at IS NOT NULL`, r.id); err != nil {
		return fmt.Errorf("posturestore: planning full pulls: %w", err)
	}
	if _, err := ss.exec(ctx, `INSERT INTO sync_pending (run_id, policy_id, host_id, full_pull)
		SELECT ?, c.policy_id, c.host_id, 0 FROM sync_changed c
		JOIN sync_members m ON m.policy_id = c.policy_id AND m.host_id = c.host_id
		JOIN policies pol ON pol.policy_id = c.policy_id
		WHERE pol.synced_through IS NOT NULL AND NOT EXISTS (SELECT 1 FROM sync_pending p
			WHERE p.run_id = ? AND p.policy_id = c.policy_id AND p.host_id = c.host_id)`, r.id, r.id); err != nil {
		return fmt.Errorf("posturestore: planning incremental pulls: %w", err)
	}
	res, err = ss.exec(ctx, `UPDATE policy_hosts SET disappeared_at = ?
		WHERE disappeared_at IS NULL
		AND policy_id IN (SELECT policy_id FROM policies WHERE planned_run_id = ?)
		AND NOT EXISTS (SELECT 1 FROM sync_members m
			WHERE m.policy_id = policy_hosts.policy_id AND m.host_id = policy_hosts.host_id)`, now, r.id)
	if err != nil {
		return fmt.Errorf("posturestore: marking disappeared hosts: %w", err)
	}
	r.res.HostsDisappeared, _ = res.RowsAffected()
	if _, err := ss.exec(ctx, `INSERT INTO policy_hosts (policy_id, host_id, first_seen_at, last_seen_at)
		SELECT m.policy_id, m.host_id, ?, ? FROM sync_members m WHERE true
		ON CONFLICT (policy_id, host_id) DO UPDATE SET last_seen_at = excluded.last_seen_at, disappeared_at = NULL`,
		now, now); err != nil {
		return fmt.Errorf("posturestore: recording hosts: %w", err)
	}

	var pending int64
	var full int
	if err := ss.queryRow(ctx, `SELECT count(*) FROM sync_pending WHERE run_id = ?`, r.id).Scan(&pending); err != nil {
		return err
	}
	if err := ss.queryRow(ctx, `SELECT count(*) FROM policies WHERE planned_run_id = ? AND synced_through IS NULL`, r.id).Scan(&full); err != nil {
		return err
	}
	r.res.FullPolicies, r.res.IncrementalPolicies = full, len(present)-full
	var since any
	if !r.since.IsZero() {
		since = formatTime(r.since)
	}
	if _, err := ss.exec(ctx, `INSERT INTO sync_runs (run_id, started_at, changed_since, subscription_id, policy_ids,
		hosts_requested, records, changes) VALUES (?, ?, ?, ?, ?, ?, 0, 0)`,
		r.id, now, since, r.subscription, r.selection, pending); err != nil {
		return fmt.Errorf("posturestore: recording the run: %w", err)
	}
	r.res.RunID, r.res.StartedAt, r.res.ChangedSince, r.res.HostsRequested = r.id, r.startedAt, r.since, pending
	return nil
}

// pairs yields (policy, host) rows of the present policies.
func pairs(present []int64, hosts map[int64][]int64) iter.Seq2[[]any, error] {
	return func(yield func([]any, error) bool) {
		for _, p := range present {
			seen := make(map[int64]bool, len(hosts[p]))
			for _, h := range hosts[p] {
				if seen[h] {
					continue // a host listed twice is one host
				}
				seen[h] = true
				if !yield([]any{p, h}, nil) {
					return
				}
			}
		}
	}
}

// finish pulls every pending batch, then closes the run: the policies it
// covered get its start as their checkpoint.
func (r *run) finish(ctx context.Context, resumed bool) (SyncResult, error) {
	r.res.Resumed = resumed
	ss := r.ss
	seenAt := formatTime(r.startedAt)
	for {
		b, err := r.nextBatch(ctx)
		if err != nil {
			return r.res, err
		}
		if b == nil {
			break
		}
		if err := r.pullBatch(ctx, b, seenAt); err != nil {
			return r.res, err
		}
	}
	err := ss.inTx(ctx, func() error {
		if _, err := ss.exec(ctx, `UPDATE policies SET synced_through = ?
			WHERE planned_run_id = ? AND disappeared_at IS NULL`, seenAt, r.id); err != nil {
			return err
		}
		_, err := ss.exec(ctx, `UPDATE sync_runs SET finished_at = ? WHERE run_id = ?`, formatTime(r.cfg.now()), r.id)
		return err
	})
	if err != nil {
		return r.res, fmt.Errorf("posturestore: closing run %d: %w", r.id, err)
	}
	return r.res, nil
}

// batch is a run of pending hosts of one policy.
type batch struct {
	policyID int64
	hosts    []int64
}

func (r *run) nextBatch(ctx context.Context) (*batch, error) {
	rows, err := r.ss.conn.QueryContext(ctx, r.ss.d.rebind(`SELECT policy_id, host_id FROM sync_pending
		WHERE run_id = ? ORDER BY policy_id, host_id LIMIT ?`), r.id, r.cfg.batch)
	if err != nil {
		return nil, fmt.Errorf("posturestore: reading the plan: %w", err)
	}
	defer rows.Close()
	var b *batch
	for rows.Next() {
		var p, h int64
		if err := rows.Scan(&p, &h); err != nil {
			return nil, err
		}
		if b == nil {
			b = &batch{policyID: p}
		} else if p != b.policyID {
			break
		}
		b.hosts = append(b.hosts, h)
	}
	return b, rows.Err()
}

// pullBatch streams one batch into the store in one transaction with its
// checkpoint (the batch leaving the plan). Every host's posture is asked
// for complete, not only what changed since the run's statusChangedSince:
// what Qualys no longer sends for a host is then known to have
// disappeared, and is marked in the same transaction. A stream that
// breaks rolls the transaction back and is fetched again, a few times.
func (r *run) pullBatch(ctx context.Context, b *batch, seenAt string) error {
	first, last := b.hosts[0], b.hosts[len(b.hosts)-1]
	requested := make(map[int64]bool, len(b.hosts))
	for _, h := range b.hosts {
		requested[h] = true
	}
	var err error
	for attempt := 1; attempt <= batchAttempts; attempt++ {
		var loaded, changes, gone int64
		err = r.ss.inTx(ctx, func() error {
			records := checked(prefetch(r.src.posture(ctx, b.policyID, r.subscription, b.hosts)), b.policyID, requested)
			var err error
			if loaded, changes, err = r.ss.mergeBatch(ctx, r.id, seenAt, records); err != nil {
				return err
			}
			if gone, err = r.ss.markDisappeared(ctx, r.id, seenAt, b.policyID, first, last); err != nil {
				return err
			}
			changes += gone
			if _, err := r.ss.exec(ctx, `DELETE FROM sync_pending WHERE run_id = ? AND policy_id = ? AND host_id BETWEEN ? AND ?`,
				r.id, b.policyID, first, last); err != nil {
				return err
			}
			_, err = r.ss.exec(ctx, `UPDATE sync_runs SET records = records + ?, changes = changes + ? WHERE run_id = ?`,
				loaded, changes, r.id)
			return err
		})
		if err == nil {
			r.res.Records += loaded
			r.res.Changes += changes
			r.res.ControlsDisappeared += gone
			if r.cfg.progress != nil {
				var left int64
				r.ss.queryRow(ctx, `SELECT count(*) FROM sync_pending WHERE run_id = ?`, r.id).Scan(&left)
				r.cfg.progress(SyncProgress{RunID: r.id, HostsDone: r.res.HostsRequested - left, HostsLeft: left,
					Records: r.res.Records, Changes: r.res.Changes})
			}
			return nil
		}
		if ctx.Err() != nil || !errors.Is(err, qualys.ErrUnexpectedBody) {
			break
		}
	}
	return fmt.Errorf("posturestore: posture of policy %d, %d hosts from host %d: %w", b.policyID, len(b.hosts), first, err)
}

// checked passes records through, failing on one the request did not ask
// for: the server is not trusted to answer the question asked.
func checked(records iter.Seq2[Record, error], policyID int64, hosts map[int64]bool) iter.Seq2[Record, error] {
	return func(yield func(Record, error) bool) {
		for rec, err := range records {
			switch {
			case err != nil:
			case rec.PolicyID != policyID:
				err = fmt.Errorf("%w: a record of policy %d in the answer for policy %d", qualys.ErrUnexpectedBody, rec.PolicyID, policyID)
			case !hosts[rec.HostID]:
				err = fmt.Errorf("%w: a record of host %d, which was not asked for", qualys.ErrUnexpectedBody, rec.HostID)
			case rec.Status == "":
				err = fmt.Errorf("%w: a record of host %d, control %d without a status", qualys.ErrUnexpectedBody, rec.HostID, rec.ControlID)
			}
			if !yield(rec, err) || err != nil {
				return
			}
		}
	}
}
