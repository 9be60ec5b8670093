-- Access reviews: a snapshot of some groups' members, each assigned to a reviewer who
-- keeps or revokes it; revokes run through the request engine (request_id).
CREATE TABLE reviews (
    id          INTEGER PRIMARY KEY AUTOINCREMENT,
    org_id      BIGINT  NOT NULL REFERENCES orgs (id) ON DELETE CASCADE,
    name        TEXT    NOT NULL,
    due_at      BIGINT  NOT NULL,
    created_by  BIGINT  NOT NULL REFERENCES accounts (id),
    created_at  BIGINT  NOT NULL
);
CREATE INDEX reviews_by_org ON reviews (org_id, id);

CREATE TABLE review_items (
    id                   INTEGER PRIMARY KEY AUTOINCREMENT,
    review_id            BIGINT  NOT NULL REFERENCES reviews (id) ON DELETE CASCADE,
    group_id             TEXT    NOT NULL,
    group_name           TEXT    NOT NULL,
    user_id              TEXT    NOT NULL,
    user_email           TEXT    NOT NULL,
    reviewer_account_id  BIGINT  NOT NULL REFERENCES accounts (id),
    decision             TEXT    CHECK (decision IN ('keep', 'revoke')),
    note                 TEXT    NOT NULL DEFAULT '',
    decided_at           BIGINT,
    request_id           BIGINT  REFERENCES requests (id),
    UNIQUE (review_id, group_id, user_id)
);
CREATE INDEX review_items_by_reviewer ON review_items (reviewer_account_id, review_id);
