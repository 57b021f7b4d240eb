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

// StatusDisappeared is the status posture_changes records for a posture
// Qualys stopped reporting for a host still in its policy: the new status
// of its disappearance, the old status of its return.
const StatusDisappeared = "Disappeared"

// appendHistory records each status that differs from the stored one,
// before the upsert overwrites it, and the return of each posture that
// had disappeared, whatever its status.
const appendHistory = `INSERT INTO posture_history
	(policy_id, host_id, control_id, instance, old_status, new_status, posture_modified, seen_at, run_id)
SELECT s.policy_id, s.host_id, s.control_id, s.instance,
	CASE WHEN p.disappeared_at IS NULL THEN p.status ELSE '` + StatusDisappeared + `' END,
	s.status, s.posture_modified, ?, ?
FROM sync_staging s
JOIN posture p ON p.policy_id = s.policy_id AND p.host_id = s.host_id
	AND p.control_id = s.control_id AND p.instance = s.instance
WHERE (p.status <> s.status OR p.disappeared_at IS NOT NULL) AND ` + newestOnly + `
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
	"control_statement", "technology_id", "os", "ip", "dns", "posture_modified", "last_evaluated", "last_seen_at") + `,
	disappeared_at = NULL`

// batchHosts selects the hosts of the batch being pulled: those the plan
// still holds for the policy between the batch's first and last host.
const batchHosts = `SELECT b.host_id FROM sync_pending b
	WHERE b.run_id = ? AND b.policy_id = ? AND b.host_id BETWEEN ? AND ?`

// unseen are the stored postures of the batch's hosts that are still
// current and that Qualys did not send in the batch's complete answer.
const unseen = `FROM posture p
WHERE p.policy_id = ? AND p.disappeared_at IS NULL AND p.host_id IN (` + batchHosts + `)
AND NOT EXISTS (SELECT 1 FROM sync_staging s WHERE s.policy_id = p.policy_id AND s.host_id = p.host_id
	AND s.control_id = p.control_id AND s.instance = p.instance)`

// historyOfUnseen records the disappearance of each unseen posture, with
// its last status as the old one; Qualys dates no disappearance.
const historyOfUnseen = `INSERT INTO posture_history
	(policy_id, host_id, control_id, instance, old_status, new_status, posture_modified, seen_at, run_id)
SELECT p.policy_id, p.host_id, p.control_id, p.instance, p.status, '` + StatusDisappeared + `', NULL, ?, ?
` + unseen + `
ON CONFLICT DO NOTHING`

// markUnseen marks the unseen postures; their last record stays.
const markUnseen = `UPDATE posture SET disappeared_at = ?
WHERE (policy_id, host_id, control_id, instance) IN (SELECT p.policy_id, p.host_id, p.control_id, p.instance
` + unseen + `)`

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

// markDisappeared records and marks the postures of a batch's hosts that
// Qualys did not send: it runs after mergeBatch, in its transaction, and
// relies on the batch's answer being each host's complete posture for the
// policy. It returns how many postures disappeared.
func (ss *session) markDisappeared(ctx context.Context, runID int64, seenAt string, policyID, firstHost, lastHost int64) (int64, error) {
	scope := []any{policyID, runID, policyID, firstHost, lastHost}
	res, err := ss.exec(ctx, historyOfUnseen, append([]any{seenAt, runID}, scope...)...)
	if err != nil {
		return 0, fmt.Errorf("posturestore: recording postures no longer reported: %w", err)
	}
	recorded, _ := res.RowsAffected()
	res, err = ss.exec(ctx, markUnseen, append([]any{seenAt}, scope...)...)
	if err != nil {
		return 0, fmt.Errorf("posturestore: marking postures no longer reported: %w", err)
	}
	marked, _ := res.RowsAffected()
	if marked != recorded {
		// Each unseen posture gets one history row in its run; a mismatch
		// means the two statements disagree on what is unseen.
		return 0, fmt.Errorf("posturestore: %d postures no longer reported, but %d recorded as changes", marked, recorded)
	}
	return marked, nil
}
