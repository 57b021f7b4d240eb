package posturestore

import (
	"cmp"
	"context"
	"database/sql"
	"fmt"
	"slices"
	"time"
)

// Report sums up a store: pass rates by policy, control and criticality
// over posture_current, and what the latest sync saw change.
type Report struct {
	// LastSync and PreviousSync are the two latest finished syncs; nil
	// when there are fewer.
	LastSync     *SyncRun `json:"lastSync"`
	PreviousSync *SyncRun `json:"previousSync"`

	Total       PassRate            `json:"total"`
	Policies    []PolicyPassRate    `json:"policies"`
	Criticality []CriticalityRate   `json:"criticality"`
	Controls    []ControlPassRate   `json:"controls"` // worst first
	Changes     []Change            `json:"changes"`  // seen by the latest sync
	ChangeCount ChangeCount         `json:"changeCount"`
	Hosts       HostMovementSummary `json:"hosts"`
}

// SyncRun is one finished sync.
type SyncRun struct {
	RunID      int64     `json:"runId"`
	StartedAt  time.Time `json:"startedAt"`
	FinishedAt time.Time `json:"finishedAt"`
	Records    int64     `json:"records"`
	Changes    int64     `json:"changes"`
}

// PassRate counts postures by status. Rate is Passed over all, 0 to 1
// (0 when there are none).
type PassRate struct {
	Passed int64   `json:"passed"`
	Failed int64   `json:"failed"`
	Error  int64   `json:"error"`
	Total  int64   `json:"total"`
	Rate   float64 `json:"passRate"`
}

func (p *PassRate) finish() {
	p.Total = p.Passed + p.Failed + p.Error
	if p.Total > 0 {
		p.Rate = float64(p.Passed) / float64(p.Total)
	}
}

// PolicyPassRate is the pass rate of one policy.
type PolicyPassRate struct {
	PolicyID int64  `json:"policyId"`
	Title    string `json:"title"`
	PassRate
}

// CriticalityRate is the pass rate of the controls of one criticality.
type CriticalityRate struct {
	Value int    `json:"value"` // -1 when Qualys sent none
	Label string `json:"label"`
	PassRate
}

// ControlPassRate is the pass rate of one control over every policy and
// host.
type ControlPassRate struct {
	ControlID   int64  `json:"controlId"`
	Statement   string `json:"statement"`
	Criticality string `json:"criticality"`
	PassRate
}

// Change is one status change a sync saw.
type Change struct {
	PolicyID  int64     `json:"policyId"`
	HostID    int64     `json:"hostId"`
	ControlID int64     `json:"controlId"`
	Instance  string    `json:"instance"`
	OldStatus string    `json:"oldStatus"`
	NewStatus string    `json:"newStatus"`
	SeenAt    time.Time `json:"seenAt"`
}

// ChangeCount sums the latest sync's changes by direction. Disappeared
// counts the postures Qualys stopped reporting for hosts still in their
// policy; a posture reported again counts by its new status.
type ChangeCount struct {
	ToPassed    int64 `json:"toPassed"`
	ToFailed    int64 `json:"toFailed"`
	ToError     int64 `json:"toError"`
	Disappeared int64 `json:"disappeared"`
}

// HostMovementSummary counts the (policy, host) pairs the latest sync saw
// appear and disappear.
type HostMovementSummary struct {
	Appeared    int64 `json:"appeared"`
	Disappeared int64 `json:"disappeared"`
}

// maxReportChanges bounds the changes a report lists; the counts cover
// them all.
const maxReportChanges = 1000

// Report reads the report from the store.
func (s *Store) Report(ctx context.Context) (*Report, error) {
	r := &Report{Policies: []PolicyPassRate{}, Criticality: []CriticalityRate{}, Controls: []ControlPassRate{}, Changes: []Change{}}
	runs, err := s.lastRuns(ctx, 2)
	if err != nil {
		return nil, err
	}
	if len(runs) > 0 {
		r.LastSync = &runs[0]
	}
	if len(runs) > 1 {
		r.PreviousSync = &runs[1]
	}
	q := func(query string, args []any, scan func(*sql.Rows) error) error {
		rows, err := s.db.QueryContext(ctx, s.dialect.rebind(query), args...)
		if err != nil {
			return fmt.Errorf("posturestore: %s: reading the report: %w", s.location, err)
		}
		defer rows.Close()
		for rows.Next() {
			if err := scan(rows); err != nil {
				return fmt.Errorf("posturestore: %s: reading the report: %w", s.location, err)
			}
		}
		return rows.Err()
	}
	const counts = `SUM(CASE WHEN status = 'Passed' THEN 1 ELSE 0 END),
		SUM(CASE WHEN status = 'Failed' THEN 1 ELSE 0 END),
		SUM(CASE WHEN status NOT IN ('Passed', 'Failed') THEN 1 ELSE 0 END)`
	err = q(`SELECT policy_id, COALESCE(MAX(policy_title), ''), `+counts+` FROM posture_current GROUP BY policy_id ORDER BY policy_id`, nil,
		func(rows *sql.Rows) error {
			var p PolicyPassRate
			if err := rows.Scan(&p.PolicyID, &p.Title, &p.Passed, &p.Failed, &p.Error); err != nil {
				return err
			}
			p.finish()
			r.Total.Passed, r.Total.Failed, r.Total.Error = r.Total.Passed+p.Passed, r.Total.Failed+p.Failed, r.Total.Error+p.Error
			r.Policies = append(r.Policies, p)
			return nil
		})
	if err != nil {
		return nil, err
	}
	r.Total.finish()
	err = q(`SELECT COALESCE(criticality_value, -1), COALESCE(MAX(criticality_label), ''), `+counts+`
		FROM posture_current GROUP BY COALESCE(criticality_value, -1) ORDER BY 1 DESC`, nil,
		func(rows *sql.Rows) error {
			var c CriticalityRate
			if err := rows.Scan(&c.Value, &c.Label, &c.Passed, &c.Failed, &c.Error); err != nil {
				return err
			}
			if c.Label == "" {
				c.Label = "none"
			}
			c.finish()
			r.Criticality = append(r.Criticality, c)
			return nil
		})
	if err != nil {
		return nil, err
	}
	err = q(`SELECT control_id, COALESCE(MAX(control_statement), ''), COALESCE(MAX(criticality_label), ''), `+counts+`
		FROM posture_current GROUP BY control_id`, nil,
		func(rows *sql.Rows) error {
			var c ControlPassRate
			if err := rows.Scan(&c.ControlID, &c.Statement, &c.Criticality, &c.Passed, &c.Failed, &c.Error); err != nil {
				return err
			}
			c.finish()
			r.Controls = append(r.Controls, c)
			return nil
		})
	if err != nil {
		return nil, err
	}
	sortControls(r.Controls)
	if r.LastSync == nil {
		return r, nil
	}
	last := []any{r.LastSync.RunID}
	err = q(`SELECT SUM(CASE WHEN new_status = 'Passed' THEN 1 ELSE 0 END), SUM(CASE WHEN new_status = 'Failed' THEN 1 ELSE 0 END),
		SUM(CASE WHEN new_status NOT IN ('Passed', 'Failed', '`+StatusDisappeared+`') THEN 1 ELSE 0 END),
		SUM(CASE WHEN new_status = '`+StatusDisappeared+`' THEN 1 ELSE 0 END) FROM posture_changes WHERE run_id = ?`, last,
		func(rows *sql.Rows) error {
			var a, b, c, d sql.NullInt64
			err := rows.Scan(&a, &b, &c, &d)
			r.ChangeCount = ChangeCount{a.Int64, b.Int64, c.Int64, d.Int64}
			return err
		})
	if err != nil {
		return nil, err
	}
	err = q(`SELECT policy_id, host_id, control_id, instance, old_status, new_status, seen_at FROM posture_changes
		WHERE run_id = ? ORDER BY policy_id, host_id, control_id, instance LIMIT ?`, append(last, maxReportChanges),
		func(rows *sql.Rows) error {
			var c Change
			var seen string
			if err := rows.Scan(&c.PolicyID, &c.HostID, &c.ControlID, &c.Instance, &c.OldStatus, &c.NewStatus, &seen); err != nil {
				return err
			}
			c.SeenAt, _ = parseTime(seen)
			r.Changes = append(r.Changes, c)
			return nil
		})
	if err != nil {
		return nil, err
	}
	at := []any{formatTime(r.LastSync.StartedAt)}
	// A host first seen by the very first sync did not "appear".
	if r.PreviousSync != nil {
		err = q(`SELECT count(*) FROM policy_hosts WHERE first_seen_at = ? AND first_seen_at <> ?`,
			append(at, formatTime(r.PreviousSync.StartedAt)), func(rows *sql.Rows) error { return rows.Scan(&r.Hosts.Appeared) })
		if err != nil {
			return nil, err
		}
	}
	err = q(`SELECT count(*) FROM policy_hosts WHERE disappeared_at = ?`, at, func(rows *sql.Rows) error { return rows.Scan(&r.Hosts.Disappeared) })
	if err != nil {
		return nil, err
	}
	return r, nil
}

// lastRuns returns the n latest finished syncs, newest first.
func (s *Store) lastRuns(ctx context.Context, n int) ([]SyncRun, error) {
	rows, err := s.db.QueryContext(ctx, s.dialect.rebind(`SELECT run_id, started_at, finished_at, records, changes
		FROM sync_runs WHERE finished_at IS NOT NULL ORDER BY run_id DESC LIMIT ?`), n)
	if err != nil {
		return nil, fmt.Errorf("posturestore: %s: reading syncs: %w", s.location, err)
	}
	defer rows.Close()
	var out []SyncRun
	for rows.Next() {
		var r SyncRun
		var started, finished string
		if err := rows.Scan(&r.RunID, &started, &finished, &r.Records, &r.Changes); err != nil {
			return nil, err
		}
		r.StartedAt, _ = parseTime(started)
		r.FinishedAt, _ = parseTime(finished)
		out = append(out, r)
	}
	return out, rows.Err()
}

// sortControls puts the worst controls first: lowest pass rate, then most
// failures, then id.
func sortControls(c []ControlPassRate) {
	slices.SortFunc(c, func(a, b ControlPassRate) int {
		switch {
		case a.Rate != b.Rate:
			if a.Rate < b.Rate {
				return -1
			}
			return 1
		case a.Failed != b.Failed:
			if a.Failed > b.Failed {
				return -1
			}
			return 1
		}
		return cmp.Compare(a.ControlID, b.ControlID)
	})
}
