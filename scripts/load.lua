-- wrk script for the load run in scripts/test: alternates between the cached users page
-- and the approver inbox, signed in with the session in LANYARD_SESSION.
local paths = { os.getenv("LANYARD_LOAD_USERS"), os.getenv("LANYARD_LOAD_INBOX") }
local headers = {
  ["Cookie"] = "lanyard_session=" .. os.getenv("LANYARD_SESSION"),
  ["Accept"] = "text/html",
}
local next_path = 0

request = function()
  next_path = next_path % #paths + 1
  return wrk.format("GET", paths[next_path], headers)
end
