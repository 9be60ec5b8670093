-- Access requests: what may be requested, the requests, their decisions, and the job
-- queue that carries approved work to JumpCloud exactly once. Timestamps: Unix seconds.

CREATE TABLE catalog_items (
    id                      INTEGER PRIMARY KEY AUTOINCREMENT,
    org_id                  INTEGER    NOT NULL REFERENCES orgs (id) ON DELETE CASCADE,
    kind                    TEXT    NOT NULL CHECK (kind IN ('group')),
    name                    TEXT    NOT NULL,
    description             TEXT    NOT NULL DEFAULT '',
    jumpcloud_group_id      TEXT,
    -- Comma-separated minutes; 0 means permanent.
    allowed_durations       TEXT    NOT NULL,
    max_duration_minutes    BIGINT  NOT NULL,
    -- JSON: approval steps and auto-approve rules (see requests::policy).
    policy                  TEXT    NOT NULL,
    pending_expiry_minutes  BIGINT  NOT NULL DEFAULT 10080,
    enabled                 BOOLEAN NOT NULL DEFAULT TRUE,
    created_at              BIGINT  NOT NULL,
    UNIQUE (org_id, name)
);

CREATE TABLE requests (
    id                      INTEGER PRIMARY KEY AUTOINCREMENT,
    org_id                  INTEGER    NOT NULL REFERENCES orgs (id) ON DELETE CASCADE,
    item_id                 INTEGER    NOT NULL REFERENCES catalog_items (id),
    requester_account_id    INTEGER    NOT NULL REFERENCES accounts (id),
    target_user_id          TEXT    NOT NULL,
    target_email            TEXT    NOT NULL,
    justification           TEXT    NOT NULL,
    -- NULL: permanent.
    duration_minutes        BIGINT,
    status                  TEXT    NOT NULL CHECK (status IN ('pending', 'approved',
                            'executing', 'active', 'done', 'denied', 'cancelled', 'expired',
                            'failed', 'revoking', 'revoked')),
    step                    BIGINT  NOT NULL DEFAULT 0,
    created_at              BIGINT  NOT NULL,
    expires_at              BIGINT  NOT NULL,
    decided_at              BIGINT,
    starts_at               BIGINT,
    ends_at                 BIGINT,
    last_error              TEXT,
    version                 BIGINT  NOT NULL DEFAULT 0
);
CREATE INDEX requests_by_org_status ON requests (org_id, status);

CREATE TABLE decisions (
    id                      INTEGER PRIMARY KEY AUTOINCREMENT,
    request_id              INTEGER    NOT NULL REFERENCES requests (id) ON DELETE CASCADE,
    -- NULL for a decision made by an auto-approve rule.
    approver_account_id     INTEGER    REFERENCES accounts (id),
    step                    BIGINT  NOT NULL,
    verdict                 TEXT    NOT NULL CHECK (verdict IN ('approve', 'deny')),
    comment                 TEXT    NOT NULL DEFAULT '',
    decided_at              BIGINT  NOT NULL,
    UNIQUE (request_id, approver_account_id, step)
);

CREATE TABLE jobs (
    id                      INTEGER PRIMARY KEY AUTOINCREMENT,
    org_id                  INTEGER    NOT NULL REFERENCES orgs (id) ON DELETE CASCADE,
    request_id              INTEGER    REFERENCES requests (id) ON DELETE CASCADE,
    kind                    TEXT    NOT NULL CHECK (kind IN ('grant', 'revoke')),
    idempotency_key         TEXT    NOT NULL UNIQUE,
    status                  TEXT    NOT NULL CHECK (status IN ('queued', 'running', 'done',
                            'failed', 'cancelled')),
    attempts                BIGINT  NOT NULL DEFAULT 0,
    next_run_at             BIGINT  NOT NULL,
    lease_owner             TEXT,
    lease_expires_at        BIGINT,
    last_error              TEXT,
    created_at              BIGINT  NOT NULL,
    updated_at              BIGINT  NOT NULL
);
CREATE INDEX jobs_due ON jobs (status, next_run_at);
