-- Joiner/mover/leaver workflows: department rules (which groups a department's people
-- belong to), a mover item kind, and a job kind for a leaver's scheduled deletion.
ALTER TABLE catalog_items DROP CONSTRAINT catalog_items_kind_check;
ALTER TABLE catalog_items ADD CONSTRAINT catalog_items_kind_check CHECK (kind IN ('group',
    'joiner', 'leaver', 'reset_mfa', 'unlock', 'reset_password', 'device_lock', 'device_erase',
    'mover'));
ALTER TABLE jobs DROP CONSTRAINT jobs_kind_check;
ALTER TABLE jobs ADD CONSTRAINT jobs_kind_check CHECK (kind IN ('grant', 'revoke', 'delete'));

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
