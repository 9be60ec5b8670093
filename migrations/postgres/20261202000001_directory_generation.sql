-- Bumped by every user change Lanyard makes in the organization. Each instance's short
-- user cache keys on it, so a change made through one instance is never hidden by
-- another instance's cached copy.

ALTER TABLE orgs ADD COLUMN directory_generation BIGINT NOT NULL DEFAULT 0;
