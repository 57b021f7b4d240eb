-- Version 1: posture, its history, policy membership and sync bookkeeping.
-- One text for SQLite and PostgreSQL: ids are BIGINT, times are UTC text
-- in RFC 3339 form (2024-10-04T09:39:21Z), which sorts as time does in
-- both databases.

CREATE TABLE policies (
    policy_id      BIGINT PRIMARY KEY,
    title          TEXT,
    first_seen_at  TEXT NOT NULL,
    last_seen_at   TEXT NOT NULL,
    disappeared_at TEXT,
    synced_through TEXT,
    planned_run_id BIGINT
);

CREATE TABLE policy_hosts (
    policy_id      BIGINT NOT NULL,
    host_id        BIGINT NOT NULL,
    first_seen_at  TEXT NOT NULL,
    last_seen_at   TEXT NOT NULL,
    disappeared_at TEXT,
    PRIMARY KEY (policy_id, host_id)
);

CREATE TABLE posture (
    policy_id         BIGINT NOT NULL,
    host_id           BIGINT NOT NULL,
    control_id        BIGINT NOT NULL,
    instance          TEXT NOT NULL,
    record_id         BIGINT,
    status            TEXT NOT NULL,
    previous_status   TEXT,
    criticality_value INTEGER,
    criticality_label TEXT,
    control_statement TEXT,
    technology_id     BIGINT,
    os                TEXT,
    ip                TEXT,
    dns               TEXT,
    posture_modified  TEXT,
    last_evaluated    TEXT,
    first_seen_at     TEXT NOT NULL,
    last_seen_at      TEXT NOT NULL,
    PRIMARY KEY (policy_id, host_id, control_id, instance)
);

CREATE TABLE posture_history (
    policy_id        BIGINT NOT NULL,
    host_id          BIGINT NOT NULL,
    control_id       BIGINT NOT NULL,
    instance         TEXT NOT NULL,
    old_status       TEXT NOT NULL,
    new_status       TEXT NOT NULL,
    posture_modified TEXT,
    seen_at          TEXT NOT NULL,
    run_id           BIGINT NOT NULL,
    PRIMARY KEY (policy_id, host_id, control_id, instance, run_id)
);

CREATE INDEX posture_history_seen ON posture_history (seen_at);

CREATE TABLE sync_runs (
    run_id          BIGINT PRIMARY KEY,
    started_at      TEXT NOT NULL,
    finished_at     TEXT,
    changed_since   TEXT,
    subscription_id TEXT NOT NULL,
    policy_ids      TEXT NOT NULL,
    hosts_requested BIGINT NOT NULL,
    records         BIGINT NOT NULL,
    changes         BIGINT NOT NULL
);

CREATE TABLE sync_pending (
    run_id    BIGINT NOT NULL,
    policy_id BIGINT NOT NULL,
    host_id   BIGINT NOT NULL,
    full_pull INTEGER NOT NULL,
    PRIMARY KEY (run_id, policy_id, host_id)
);

CREATE VIEW posture_current AS
SELECT p.policy_id, pol.title AS policy_title, p.host_id, p.control_id, p.instance,
       p.status, p.previous_status, p.criticality_value, p.criticality_label,
       p.control_statement, p.technology_id, p.os, p.ip, p.dns,
       p.posture_modified, p.last_evaluated, p.first_seen_at, p.last_seen_at
FROM posture p
JOIN policy_hosts ph ON ph.policy_id = p.policy_id AND ph.host_id = p.host_id
JOIN policies pol ON pol.policy_id = p.policy_id
WHERE ph.disappeared_at IS NULL AND pol.disappeared_at IS NULL;

CREATE VIEW posture_changes AS
SELECT h.policy_id, h.host_id, h.control_id, h.instance, h.old_status, h.new_status,
       h.posture_modified, h.seen_at, h.run_id
FROM posture_history h;
