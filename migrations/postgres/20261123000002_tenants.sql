-- JumpCloud connections, the dashboard organizations mapped onto them, who may see
-- which organization, and the append-only audit log. Timestamps are Unix seconds.

CREATE TABLE connections (
    id                 BIGSERIAL PRIMARY KEY,
    name               TEXT    NOT NULL,
    kind               TEXT    NOT NULL CHECK (kind IN ('api_key', 'service_account')),
    region             TEXT    NOT NULL CHECK (region IN ('us', 'eu', 'custom')),
    base_url           TEXT    NOT NULL,
    multi_tenant       BOOLEAN NOT NULL,
    -- Service accounts only.
    client_id          TEXT,
    token_url          TEXT,
    -- The API key or the primary client secret, sealed with AES-256-GCM.
    secret_sealed      TEXT    NOT NULL,
    secret_hint        TEXT    NOT NULL,
    secret_set_at      BIGINT  NOT NULL,
    secondary_sealed   TEXT,
    secondary_hint     TEXT,
    secondary_set_at   BIGINT,
    -- The built-in simulator's connection, replaced by the first real one.
    demo               BOOLEAN NOT NULL DEFAULT FALSE,
    verified_at        BIGINT,
    created_at         BIGINT  NOT NULL
);

CREATE TABLE orgs (
    id                 BIGSERIAL PRIMARY KEY,
    slug               TEXT    NOT NULL UNIQUE,
    name               TEXT    NOT NULL,
    connection_id      BIGINT    NOT NULL REFERENCES connections (id) ON DELETE CASCADE,
    jumpcloud_org_id   TEXT    NOT NULL,
    is_default         BOOLEAN NOT NULL DEFAULT FALSE,
    -- Let SSO users whose email is in this org's JumpCloud directory in as requesters.
    auto_requester     BOOLEAN NOT NULL DEFAULT FALSE,
    created_at         BIGINT  NOT NULL,
    UNIQUE (connection_id, jumpcloud_org_id)
);

CREATE TABLE org_groups (
    id                 BIGSERIAL PRIMARY KEY,
    name               TEXT    NOT NULL UNIQUE,
    created_at         BIGINT  NOT NULL
);

CREATE TABLE org_group_members (
    org_group_id       BIGINT    NOT NULL REFERENCES org_groups (id) ON DELETE CASCADE,
    org_id             BIGINT    NOT NULL REFERENCES orgs (id) ON DELETE CASCADE,
    PRIMARY KEY (org_group_id, org_id)
);

CREATE TABLE memberships (
    account_id         BIGINT    NOT NULL REFERENCES accounts (id) ON DELETE CASCADE,
    org_id             BIGINT    NOT NULL REFERENCES orgs (id) ON DELETE CASCADE,
    role               TEXT    NOT NULL
                       CHECK (role IN ('admin', 'approver', 'requester', 'auditor')),
    created_at         BIGINT  NOT NULL,
    PRIMARY KEY (account_id, org_id)
);

-- An operator with no rows here reaches every organization; with rows, only the named
-- organizations and the members of the named org groups.
CREATE TABLE operator_scopes (
    id                 BIGSERIAL PRIMARY KEY,
    account_id         BIGINT    NOT NULL REFERENCES accounts (id) ON DELETE CASCADE,
    org_id             BIGINT    REFERENCES orgs (id) ON DELETE CASCADE,
    org_group_id       BIGINT    REFERENCES org_groups (id) ON DELETE CASCADE,
    CHECK ((org_id IS NULL) <> (org_group_id IS NULL))
);

CREATE TABLE audit_log (
    seq                BIGSERIAL PRIMARY KEY,
    at                 BIGINT  NOT NULL,
    actor              TEXT    NOT NULL,
    org_id             BIGINT,
    action             TEXT    NOT NULL,
    target             TEXT    NOT NULL,
    summary            TEXT    NOT NULL,
    result             TEXT    NOT NULL,
    prev_hash          TEXT    NOT NULL,
    hash               TEXT    NOT NULL
);

CREATE FUNCTION audit_log_append_only() RETURNS trigger AS $$
BEGIN RAISE EXCEPTION 'audit_log is append-only'; END;
$$ LANGUAGE plpgsql;
CREATE TRIGGER audit_log_no_change BEFORE UPDATE OR DELETE ON audit_log
FOR EACH ROW EXECUTE FUNCTION audit_log_append_only();
