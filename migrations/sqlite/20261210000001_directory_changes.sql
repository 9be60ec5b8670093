-- What each directory generation touched ('user:<id>' or '*' for anything), so a cached
-- read can tell whether a later write changed it: a write to one user leaves every other
-- cached user as it was. Rows older than the caches' lifetime are pruned as new ones come.
CREATE TABLE directory_changes (
    org_id     BIGINT NOT NULL REFERENCES orgs (id) ON DELETE CASCADE,
    generation BIGINT NOT NULL,
    touched    TEXT   NOT NULL,
    changed_at BIGINT NOT NULL,
    PRIMARY KEY (org_id, generation)
);
