-- A counter bumped whenever an account's roles or scopes change: a session signed in
-- under an older value gets a new id on its next request.
ALTER TABLE accounts ADD COLUMN privileges_version BIGINT NOT NULL DEFAULT 0;
