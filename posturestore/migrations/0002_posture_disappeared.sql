-- Version 2: a posture Qualys stops reporting for a host still in its
-- policy (the policy lost the control, or the instance went away) is
-- marked, as hosts and policies are, and leaves posture_current. One text
-- for SQLite and PostgreSQL.

ALTER TABLE posture ADD COLUMN disappeared_at TEXT;

DROP VIEW posture_current;

-- The columns of version 1, unchanged; only the filter is new.
CREATE VIEW posture_current AS
SELECT p.policy_id, pol.title AS policy_title, p.host_id, p.control_id, p.instance,
       p.status, p.previous_status, p.criticality_value, p.criticality_label,
       p.control_statement, p.technology_id, p.os, p.ip, p.dns,
       p.posture_modified, p.last_evaluated, p.first_seen_at, p.last_seen_at
FROM posture p
JOIN policy_hosts ph ON ph.policy_id = p.policy_id AND ph.host_id = p.host_id
JOIN policies pol ON pol.policy_id = p.policy_id
WHERE p.disappeared_at IS NULL AND ph.disappeared_at IS NULL AND pol.disappeared_at IS NULL;
