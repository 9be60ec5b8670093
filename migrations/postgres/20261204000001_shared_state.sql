-- What used to wait in one instance's memory between two requests, so that any instance
-- behind a load balancer can serve the next page: a value handed from a form post to the
-- page it redirects to (a CSV import's preview, a bulk run), a run's per-user outcomes,
-- and leases that let one instance at a time run a scheduled sweep.
CREATE TABLE handoffs (
    token       TEXT    PRIMARY KEY,
    account_id  BIGINT  NOT NULL REFERENCES accounts (id) ON DELETE CASCADE,
    kind        TEXT    NOT NULL,
    -- JSON.
    value       TEXT    NOT NULL,
    expires_at  BIGINT  NOT NULL
);
CREATE INDEX handoffs_by_expiry ON handoffs (expires_at);

CREATE TABLE run_outcomes (
    id          BIGSERIAL PRIMARY KEY,
    token       TEXT    NOT NULL REFERENCES handoffs (token) ON DELETE CASCADE,
    -- JSON: the user and the error, if any.
    outcome     TEXT    NOT NULL
);
CREATE INDEX run_outcomes_by_token ON run_outcomes (token, id);

CREATE TABLE leases (
    name        TEXT    PRIMARY KEY,
    owner       TEXT    NOT NULL,
    expires_at  BIGINT  NOT NULL
);
