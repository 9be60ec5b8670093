-- Dashboard people. Timestamps are Unix seconds on both backends.
CREATE TABLE accounts (
    id                INTEGER PRIMARY KEY AUTOINCREMENT,
    email             TEXT    NOT NULL UNIQUE,
    display_name      TEXT    NOT NULL,
    password_hash     TEXT,
    sso_subject       TEXT    UNIQUE,
    installation_role TEXT    NOT NULL DEFAULT 'none'
                      CHECK (installation_role IN ('owner', 'operator', 'none')),
    disabled          BOOLEAN NOT NULL DEFAULT FALSE,
    created_at        BIGINT  NOT NULL
);
