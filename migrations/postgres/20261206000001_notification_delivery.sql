-- Where an organization's notifications go: people's email (when the installation has
-- an SMTP server) and a webhook (generic JSON or a Slack-compatible body).
CREATE TABLE org_notification_settings (
    org_id          BIGINT  PRIMARY KEY REFERENCES orgs (id) ON DELETE CASCADE,
    email           BOOLEAN NOT NULL DEFAULT TRUE,
    webhook_url     TEXT,
    webhook_format  TEXT    NOT NULL DEFAULT 'json' CHECK (webhook_format IN ('json', 'slack')),
    updated_at      BIGINT  NOT NULL
);

-- Delivery is queued and retried like jobs: claimed with a lease, retried with backoff,
-- failed with the last error after the limit. Each channel's result is kept, so a retry
-- never repeats a channel that already delivered.
ALTER TABLE notifications ADD COLUMN next_attempt_at BIGINT NOT NULL DEFAULT 0;
ALTER TABLE notifications ADD COLUMN lease_until BIGINT;
ALTER TABLE notifications ADD COLUMN email_result TEXT;
ALTER TABLE notifications ADD COLUMN webhook_result TEXT;
CREATE INDEX notifications_due ON notifications (status, next_attempt_at);
