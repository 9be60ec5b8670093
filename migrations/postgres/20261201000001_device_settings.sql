-- Per-organization device settings. `destructive_needs_approval`: lock and erase go
-- through an approved request instead of running straight from the device page.

CREATE TABLE org_device_settings (
    org_id                      BIGINT  PRIMARY KEY REFERENCES orgs(id) ON DELETE CASCADE,
    destructive_needs_approval  BOOLEAN NOT NULL DEFAULT FALSE,
    updated_at                  BIGINT  NOT NULL
);
