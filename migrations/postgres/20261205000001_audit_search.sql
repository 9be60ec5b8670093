-- The audit page searches one organization's entries, newest first.
CREATE INDEX audit_log_by_org ON audit_log (org_id, seq);
