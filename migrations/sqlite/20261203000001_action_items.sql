-- Action items (joiner, leaver, security resets, device commands) join groups in the
-- catalog; requests carry what an action needs, extensions, reminders and the outcome;
-- notifications wait in an outbox for delivery.
--
-- SQLite cannot change a CHECK in place, and sqlx runs this inside a transaction, where
-- foreign keys cannot be switched off to rebuild a referenced table. So the CHECK is
-- widened in the stored schema (SQLite's documented procedure for CHECK changes, which
-- do not touch stored rows); the DDL below bumps the schema version, so every
-- connection reloads it.

-- Who may request an item (JSON: departments and JumpCloud group ids; empty: everyone)
-- and the people who own a group item and may approve it (comma-separated emails).
ALTER TABLE catalog_items ADD COLUMN eligibility TEXT NOT NULL DEFAULT '{}';
ALTER TABLE catalog_items ADD COLUMN owners TEXT NOT NULL DEFAULT '';

-- After the column changes: ADD COLUMN edits the stored text at offsets it parsed before.
PRAGMA writable_schema = ON;
UPDATE sqlite_schema SET sql = replace(sql, 'CHECK (kind IN (''group''))',
    'CHECK (kind IN (''group'', ''joiner'', ''leaver'', ''reset_mfa'', ''unlock'', ''reset_password'', ''device_lock'', ''device_erase''))')
    WHERE type = 'table' AND name = 'catalog_items';
PRAGMA writable_schema = OFF;

-- JSON: what an action item needs (the joiner's profile, the device, leaver options).
ALTER TABLE requests ADD COLUMN details TEXT NOT NULL DEFAULT '{}';
-- An extension names the active grant whose end it moves.
ALTER TABLE requests ADD COLUMN extends_request_id BIGINT REFERENCES requests (id);
ALTER TABLE requests ADD COLUMN reminded_at BIGINT;
-- What was done in JumpCloud, for the request's history.
ALTER TABLE requests ADD COLUMN outcome TEXT;
CREATE INDEX requests_by_target ON requests (org_id, target_user_id, status);
CREATE INDEX requests_active_ends ON requests (status, ends_at);

CREATE TABLE notifications (
    id                      INTEGER PRIMARY KEY AUTOINCREMENT,
    org_id                  INTEGER NOT NULL REFERENCES orgs (id) ON DELETE CASCADE,
    account_id              INTEGER NOT NULL REFERENCES accounts (id) ON DELETE CASCADE,
    kind                    TEXT    NOT NULL,
    subject                 TEXT    NOT NULL,
    link                    TEXT    NOT NULL,
    -- One notification per event and person, however many sweeps see the event.
    dedupe_key              TEXT    NOT NULL UNIQUE,
    status                  TEXT    NOT NULL CHECK (status IN ('queued', 'sent', 'failed')),
    attempts                BIGINT  NOT NULL DEFAULT 0,
    last_error              TEXT,
    created_at              BIGINT  NOT NULL
);
CREATE INDEX notifications_by_account ON notifications (account_id, created_at);
