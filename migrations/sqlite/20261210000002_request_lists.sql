-- The request lists read a page newest first: an org's requests in one status (the
-- approver inbox) or of one requester ("your requests"), each by id, straight from an
-- index rather than sorting the org's requests.
DROP INDEX requests_by_org_status;
CREATE INDEX requests_by_org_status ON requests (org_id, status, id);
CREATE INDEX requests_by_requester ON requests (org_id, requester_account_id, id);
