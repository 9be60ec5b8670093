-- Joiner/mover/leaver workflows: department rules (which groups a department's people
-- belong to), a mover item kind, and a job kind for a leaver's scheduled deletion.
--
-- The CHECKs are widened in the stored schema, as in 20261203000001_action_items.sql
-- (sqlx runs this in a transaction, where referenced tables cannot be rebuilt); the
-- CREATE TABLE after them bumps the schema version, so every connection reloads it.
PRAGMA writable_schema = ON;
UPDATE sqlite_schema SET sql = replace(sql, '''device_erase''))', '''device_erase'', ''mover''))')
    WHERE type = 'table' AND name = 'catalog_items';
UPDATE sqlite_schema SET sql = replace(sql, 'CHECK (kind IN (''grant'', ''revoke''))',
    'CHECK (kind IN (''grant'', ''revoke'', ''delete''))')
    WHERE type = 'table' AND name = 'jobs';
PRAGMA writable_schema = OFF;

-- One rule per department (compared case-insensitively through `department_key`):
-- the JumpCloud user group ids (JSON array) its people belong to.
CREATE TABLE department_rules (
    org_id          BIGINT  NOT NULL REFERENCES orgs (id) ON DELETE CASCADE,
    department_key  TEXT    NOT NULL,
    department      TEXT    NOT NULL,
    group_ids       TEXT    NOT NULL DEFAULT '[]',
    updated_at      BIGINT  NOT NULL,
    PRIMARY KEY (org_id, department_key)
);
