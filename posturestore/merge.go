package posturestore

import (
	"context"
	"fmt"
	"iter"
	"strings"
)

// The merge of a staged batch into the store, as set-based statements
// that both dialects run alike. A record that appears twice in a batch
// counts once, in its last form.

const newestOnly = `NOT EXISTS (SELECT 1 FROM sync_staging d
	WHERE d.policy_id = s.policy_id AND d.host_id = s.host_id AND d.control_id = s.control_id
	AND d.instance = s.instance AND d.seq > s.seq)`

// appendHistory records each status that differs from the stored one,
// before the upsert overwrites it.
const appendHistory = `INSERT INTO posture_history
	(policy_id, host_id, control_id, instance, old_status, new_status, posture_modified, seen_at, run_id)
SELECT s.policy_id, s.host_id, s.control_id, s.instance, p.status, s.status, s.posture_modified, ?, ?
FROM sync_staging s
JOIN posture p ON p.policy_id = s.policy_id AND p.host_id = s.host_id
	AND p.control_id = s.control_id AND p.instance = s.instance
WHERE p.status <> s.status AND ` + newestOnly + `
ON CONFLICT DO NOTHING`

var upsertPosture = `INSERT INTO posture
	(policy_id, host_id, control_id, instance, record_id, status, previous_status, criticality_value,
	 criticality_label, control_statement, technology_id, os, ip, dns, posture_modified, last_evaluated,
	 first_seen_at, last_seen_at)
SELECT s.policy_id, s.host_id, s.control_id, s.instance, s.record_id, s.status, s.previous_status,
	s.criticality_value, s.criticality_label, s.control_statement, s.technology_id, s.os, s.ip, s.dns,
	s.posture_modified, s.last_evaluated, ?, ?
FROM sync_staging s
WHERE ` + newestOnly + `
ON CONFLICT (policy_id, host_id, control_id, instance) DO UPDATE SET
` + updateAll("record_id", "status", "previous_status", "criticality_value", "criticality_label",
	"control_statement", "technology_id", "os", "ip", "dns", "posture_modified", "last_evaluated", "last_seen_at")

func updateAll(cols ...string) string {
	var b strings.Builder
	for i, c := range cols {
		if i > 0 {
			b.WriteString(",\n")
		}
		b.WriteString("\t" + c + " = excluded." + c)
	}
	return b.String()
}

// mergeBatch loads records into the staging table and merges them: one
// history row per changed status, then an upsert by natural key. It runs
// inside the caller's transaction and returns the records loaded and the
// changes recorded.
func (ss *session) mergeBatch(ctx context.Context, runID int64, seenAt string, records iter.Seq2[Record, error]) (loaded, changes int64, err error) {
	if _, err := ss.exec(ctx, `DELETE FROM sync_staging`); err != nil {
		return 0, 0, fmt.Errorf("posturestore: clearing the staging table: %w", err)
	}
	var seq int64
	rows := func(yield func([]any, error) bool) {
		for r, err := range records {
			if err != nil {
				yield(nil, err)
				return
			}
			seq++
			if !yield(r.values(seq), nil) {
				return
			}
		}
	}
	loaded, err = ss.copyRows(ctx, "sync_staging", stagingColumns, rows)
	if err != nil {
		return 0, 0, err
	}
	res, err := ss.exec(ctx, appendHistory, seenAt, runID)
	if err != nil {
		return 0, 0, fmt.Errorf("posturestore: recording status changes: %w", err)
	}
	changes, _ = res.RowsAffected()
	if _, err := ss.exec(ctx, upsertPosture, seenAt, seenAt); err != nil {
		return 0, 0, fmt.Errorf("posturestore: upserting posture: %w", err)
	}
	return loaded, changes, nil
}
