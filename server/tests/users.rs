#![allow(clippy::unwrap_used)]
//! The users pages and their actions, through the real app over HTTP against the demo
//! simulator, each checked against the simulator's own state.

mod common;

use common::{ADMIN_EMAIL, TestApp, location, signed_in_admin};
use jumpcloud::sim::SimInfo;
use serde_json::Value;

const ORG: &str = "acme-robotics";
const ORG_NAME: &str = "Acme Robotics";

/// GET a path straight from the demo simulator with the organization's own key.
async fn jumpcloud_get(app: &TestApp, path: &str) -> Value {
    let info = std::fs::read(app.data_dir().join("demo-simulator.json")).unwrap();
    let info: SimInfo = serde_json::from_slice(&info).unwrap();
    let org = info.orgs.iter().find(|org| org.name == ORG_NAME).unwrap();
    reqwest::Client::new()
        .get(format!("{}{path}", info.base_url))
        .header("x-api-key", &org.api_key)
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap()
}

/// A background run's results page, once the run has finished (it shows progress and
/// reloads itself until then).
async fn finished_results(app: &TestApp, path: &str) -> String {
    for _ in 0..100 {
        let page = app.page_text(path).await;
        if !page.contains("bulk-progress") {
            return page;
        }
        tokio::time::sleep(std::time::Duration::from_millis(100)).await;
    }
    panic!("the run at {path} never finished");
}

async fn sim_user(app: &TestApp, id: &str) -> Value {
    jumpcloud_get(app, &format!("/api/systemusers/{id}")).await
}

async fn sim_users_total(app: &TestApp, filter: &str) -> u64 {
    let body = jumpcloud_get(app, &format!("/api/systemusers?limit=1&{filter}")).await;
    body["totalCount"].as_u64().unwrap()
}

async fn list(app: &TestApp, form: &[(&str, &str)]) -> Value {
    let mut form = form.to_vec();
    form.push(("org", ORG));
    let response = app.call("/api/users/list", &form).await;
    let status = response.status();
    let body = response.text().await.unwrap();
    assert!(status.is_success(), "{status}: {body}");
    serde_json::from_str(&body).unwrap()
}

/// A user of the seeded organization in `state`, by the simulator.
async fn some_user(app: &TestApp, filter: &str) -> Value {
    let body = jumpcloud_get(app, &format!("/api/systemusers?limit=1&{filter}")).await;
    body["results"][0].clone()
}

/// Posts a user action's form as a browser without JavaScript does, from the user's page.
async fn act(app: &TestApp, endpoint: &str, id: &str, extra: &[(&str, &str)]) -> reqwest::Response {
    let mut form = vec![("org", ORG), ("id", id)];
    form.extend_from_slice(extra);
    app.post_form(endpoint, &format!("/o/{ORG}/users/{id}"), &form)
        .await
}

#[tokio::test]
async fn the_list_filters_counts_and_pages_like_jumpcloud() {
    let app = signed_in_admin().await;
    let all = list(&app, &[]).await;
    assert_eq!(
        all["total"].as_u64().unwrap(),
        sim_users_total(&app, "").await
    );
    let total = all["total"].as_u64().unwrap();
    assert_eq!(
        all["users"].as_array().unwrap().len() as u64,
        total.min(app::users::PAGE_SIZE)
    );

    let suspended = list(&app, &[("filter[state]", "Suspended")]).await;
    assert_eq!(
        suspended["total"].as_u64().unwrap(),
        sim_users_total(&app, "filter=state:$eq:SUSPENDED").await
    );
    assert!(
        suspended["users"]
            .as_array()
            .unwrap()
            .iter()
            .all(|user| user["status"] == "Suspended")
    );

    // Lockout is filtered by Lanyard over every page; the count still matches.
    let locked = list(&app, &[("filter[locked]", "true")]).await;
    assert_eq!(
        locked["total"].as_u64().unwrap(),
        sim_users_total(&app, "filter=account_locked:$eq:true").await
    );
    assert!(locked["total"].as_u64().unwrap() >= 1);

    // A later page continues the first in a stable order: starting at the 26th user,
    // it lists what the first page lists from there.
    let later = list(&app, &[("filter[skip]", "25")]).await;
    let ids = |list: &Value| -> Vec<String> {
        list["users"]
            .as_array()
            .unwrap()
            .iter()
            .map(|u| u["id"].as_str().unwrap().to_string())
            .collect()
    };
    let (first_ids, later_ids) = (ids(&all), ids(&later));
    assert!(total > 25, "the demo organization has more than 25 users");
    assert_eq!(
        later_ids.len() as u64,
        (total - 25).min(app::users::PAGE_SIZE)
    );
    assert_eq!(later_ids[..first_ids.len() - 25], first_ids[25..]);

    // The page itself works without JavaScript, filter values in the form.
    let page = app
        .get_page(&format!("/o/{ORG}/users?state=suspended&q=a"))
        .await;
    assert_eq!(page.status(), 200);
    let html = page.text().await.unwrap();
    assert!(html.contains(r#"data-testid="user-total""#), "{html}");
    assert!(html.contains(r#"value="suspended" selected"#), "{html}");
}

#[tokio::test]
async fn a_created_user_gets_a_forced_temporary_password_shown_once() {
    let app = signed_in_admin().await;
    let form = [
        ("org", ORG),
        ("email", "new.joiner@acme.example"),
        ("firstname", "New"),
        ("lastname", "Joiner"),
        ("username", ""),
        ("department", "Engineering"),
        ("job_title", "Engineer"),
        ("manager", ""),
        ("state", "staged"),
    ];
    let created = app
        .post_form("/api/users/create", &format!("/o/{ORG}/users/new"), &form)
        .await;
    assert_eq!(created.status(), 302);
    let to = location(&created);
    assert!(to.contains("?password="), "{to}");
    let id = to
        .split("/users/")
        .nth(1)
        .unwrap()
        .split('?')
        .next()
        .unwrap()
        .to_string();

    let user = sim_user(&app, &id).await;
    assert_eq!(user["username"], "new.joiner");
    assert_eq!(user["state"], "STAGED");
    assert_eq!(user["password_expired"], true);

    let page = app.get_page(&to).await.text().await.unwrap();
    assert!(
        page.contains(r#"data-testid="temporary-password""#),
        "{page}"
    );
    let again = app.get_page(&to).await.text().await.unwrap();
    assert!(!again.contains(r#"data-testid="temporary-password""#));
    assert!(again.contains("already shown"));

    // The same username again: a clear message, nothing created.
    let before = sim_users_total(&app, "").await;
    let duplicate = app.call("/api/users/create", &form).await;
    assert_eq!(duplicate.status(), 409);
    assert!(
        duplicate
            .text()
            .await
            .unwrap()
            .contains("already has a user")
    );
    assert_eq!(sim_users_total(&app, "").await, before);

    // A bad email never reaches JumpCloud.
    let mut bad = form.to_vec();
    bad[1] = ("email", "not-an-email");
    let response = app.call("/api/users/create", &bad).await;
    assert_eq!(response.status(), 400);
    assert_eq!(sim_users_total(&app, "").await, before);
}

#[tokio::test]
async fn profile_manager_states_and_security_change_jumpcloud() {
    let app = signed_in_admin().await;
    let user = some_user(
        &app,
        "filter=state:$eq:ACTIVATED&filter=account_locked:$eq:true",
    )
    .await;
    let id = user["_id"].as_str().unwrap();
    let manager = some_user(&app, "filter=state:$eq:STAGED").await;

    let edit = [
        ("firstname", "Renamed"),
        ("lastname", "Person"),
        ("email", user["email"].as_str().unwrap()),
        ("username", user["username"].as_str().unwrap()),
        ("department", "Finance"),
        ("job_title", "Controller"),
    ];
    assert_eq!(
        act(&app, "/api/users/update", id, &edit).await.status(),
        302
    );
    let changed = sim_user(&app, id).await;
    assert_eq!(changed["firstname"], "Renamed");
    assert_eq!(changed["department"], "Finance");

    let manager_name = manager["username"].as_str().unwrap();
    act(&app, "/api/users/manager", id, &[("manager", manager_name)]).await;
    assert_eq!(sim_user(&app, id).await["manager"], manager["_id"]);

    act(&app, "/api/users/unlock", id, &[]).await;
    assert_eq!(sim_user(&app, id).await["account_locked"], false);

    act(&app, "/api/users/suspend", id, &[]).await;
    assert_eq!(sim_user(&app, id).await["state"], "SUSPENDED");
    act(&app, "/api/users/reactivate", id, &[]).await;
    assert_eq!(sim_user(&app, id).await["state"], "ACTIVATED");

    act(&app, "/api/users/expire_password", id, &[]).await;
    assert_eq!(sim_user(&app, id).await["password_expired"], true);

    act(&app, "/api/users/reset_mfa", id, &[("exclusion_days", "3")]).await;
    assert_eq!(sim_user(&app, id).await["mfa"]["exclusion"], true);

    let reset = act(
        &app,
        "/api/users/reset_password",
        id,
        &[("also_mfa", "true"), ("exclusion_days", "7")],
    )
    .await;
    assert!(
        location(&reset).contains("?password="),
        "{}",
        location(&reset)
    );

    // The change is on the page at once, despite the cache, and in its audit list.
    let page = app
        .get_page(&format!("/o/{ORG}/users/{id}"))
        .await
        .text()
        .await
        .unwrap();
    assert!(page.contains("Renamed"), "{page}");
    assert!(page.contains("password expired"));

    let staged_id = manager["_id"].as_str().unwrap();
    act(&app, "/api/users/activate", staged_id, &[]).await;
    assert_eq!(sim_user(&app, staged_id).await["state"], "ACTIVATED");
}

#[tokio::test]
async fn a_state_change_can_be_scheduled_and_cancelled() {
    let app = signed_in_admin().await;
    let user = some_user(&app, "filter=state:$eq:ACTIVATED").await;
    let id = user["_id"].as_str().unwrap();
    act(
        &app,
        "/api/users/schedule",
        id,
        &[("state", "suspend"), ("at", "2099-01-02T03:04")],
    )
    .await;
    let scheduled = jumpcloud_get(&app, "/api/v2/bulk/userstates").await;
    let job = scheduled
        .as_array()
        .unwrap()
        .iter()
        .find(|entry| entry["systemUserId"] == id)
        .unwrap_or_else(|| panic!("{scheduled}"));
    assert_eq!(job["state"], "SUSPENDED");
    let job_id = job["scheduledJobId"].as_str().unwrap();

    let page = app
        .get_page(&format!("/o/{ORG}/users/{id}"))
        .await
        .text()
        .await
        .unwrap();
    assert!(page.contains(job_id), "{page}");

    act(
        &app,
        "/api/users/schedule/cancel",
        id,
        &[("job_id", job_id)],
    )
    .await;
    let scheduled = jumpcloud_get(&app, "/api/v2/bulk/userstates").await;
    assert!(
        scheduled
            .as_array()
            .unwrap()
            .iter()
            .all(|entry| entry["systemUserId"] != id)
    );

    // A time in the past is refused before anything is sent.
    let past = app
        .call(
            "/api/users/schedule",
            &[
                ("org", ORG),
                ("id", id),
                ("state", "suspend"),
                ("at", "2001-01-01T00:00"),
            ],
        )
        .await;
    assert_eq!(past.status(), 400);
}

#[tokio::test]
async fn deleting_asks_for_the_username() {
    let app = signed_in_admin().await;
    let user = some_user(&app, "filter=state:$eq:SUSPENDED").await;
    let id = user["_id"].as_str().unwrap();
    let username = user["username"].as_str().unwrap();

    let wrong = app
        .call(
            "/api/users/delete",
            &[
                ("org", ORG),
                ("id", id),
                ("confirm", "nope"),
                ("clear_reports", "true"),
            ],
        )
        .await;
    assert_eq!(wrong.status(), 400);
    assert_eq!(sim_user(&app, id).await["_id"], id);

    let deleted = act(
        &app,
        "/api/users/delete",
        id,
        &[("confirm", username), ("clear_reports", "true")],
    )
    .await;
    assert_eq!(location(&deleted), format!("/o/{ORG}/users"));
    let gone = sim_user(&app, id).await;
    assert!(gone.get("_id").is_none(), "{gone}");

    // Audited with who, org, what and the outcome.
    let entries = app::audit::recent(&app.db().await, 20).await.unwrap();
    let entry = entries
        .iter()
        .find(|entry| entry.action == "user.deleted")
        .unwrap();
    assert_eq!(entry.actor, ADMIN_EMAIL);
    assert_eq!(entry.target, format!("user {id}"));
    assert_eq!(entry.result, "ok");
}

#[tokio::test]
async fn the_export_has_every_matching_user() {
    let app = signed_in_admin().await;
    let csv = app
        .get_page(&format!("/o/{ORG}/users/export.csv?state=active"))
        .await;
    assert_eq!(csv.status(), 200);
    let text = csv.text().await.unwrap();
    let expected = sim_users_total(&app, "filter=state:$eq:ACTIVATED").await;
    assert_eq!(text.lines().count() as u64, expected + 1, "{text}");
    assert!(text.starts_with("id,username,email"));

    let json = app
        .get_page(&format!("/o/{ORG}/users/export.json?mfa_missing=true"))
        .await;
    let rows: Vec<Value> = json.json().await.unwrap();
    assert!(!rows.is_empty());
    assert!(rows.iter().all(|row| row["mfa_enrolled"] == false));

    let stranger = app.another_browser();
    let refused = stranger
        .get_page(&format!("/o/{ORG}/users/export.csv"))
        .await;
    assert_eq!(refused.status(), 401);
}

#[tokio::test]
async fn a_bulk_action_previews_then_reports_per_user() {
    let app = signed_in_admin().await;
    let locked = jumpcloud_get(
        &app,
        "/api/systemusers?limit=2&filter=account_locked:$eq:true",
    )
    .await;
    let unlocked = some_user(&app, "filter=account_locked:$eq:false").await;
    let locked_id = locked["results"][0]["_id"].as_str().unwrap().to_string();
    let unlocked_id = unlocked["_id"].as_str().unwrap().to_string();
    let form = [
        ("org", ORG),
        ("action", "unlock"),
        ("ids[0]", locked_id.as_str()),
        ("ids[1]", unlocked_id.as_str()),
    ];
    let preview = app.call("/api/users/bulk/preview", &form).await;
    let preview: Value = preview.json().await.unwrap();
    let changes: Vec<&Value> = preview["rows"]
        .as_array()
        .unwrap()
        .iter()
        .map(|row| &row["change"])
        .collect();
    assert!(changes[0].is_string() && changes[1].is_null(), "{preview}");
    // The preview changed nothing.
    assert_eq!(sim_user(&app, &locked_id).await["account_locked"], true);

    let run = app
        .post_form(
            "/api/users/bulk/run",
            &format!("/o/{ORG}/users/bulk"),
            &form,
        )
        .await;
    let results = location(&run);
    assert!(results.contains("results="), "{results}");
    let page = finished_results(&app, &results).await;
    assert_eq!(sim_user(&app, &locked_id).await["account_locked"], false);
    assert!(page.contains("1 done, 1 not done."), "{page}");
    assert!(page.contains("Nothing to change"));
}

#[tokio::test]
async fn a_csv_import_previews_row_by_row_then_creates_only_the_new_users() {
    let app = signed_in_admin().await;
    let existing = some_user(&app, "filter=state:$eq:ACTIVATED").await;
    let existing_email = existing["email"].as_str().unwrap();
    let before = sim_users_total(&app, "").await;
    let csv = format!(
        "email,first name,last name,department,state\n\
         new.one@acme.example,New,One,Research,active\n\
         {existing_email},Already,There,,\n\
         not-an-email,Bad,Row,,\n\
         new.two@acme.example,New,Two,,staged\n\
         new.one@acme.example,New,Again,,\n"
    );
    let preview = app
        .post_form(
            "/api/users/import/preview",
            &format!("/o/{ORG}/users/import"),
            &[("org", ORG), ("csv", csv.as_str())],
        )
        .await;
    let preview_url = location(&preview);
    assert!(
        preview_url.contains("/users/import?preview="),
        "{preview_url}"
    );
    let page = app.page_text(&preview_url).await;
    assert!(
        page.contains("2 to create, 1 already in JumpCloud, 2 invalid. Nothing has been sent yet."),
        "{page}"
    );
    assert!(page.contains("is not an email address"), "{page}");
    assert!(page.contains("appears earlier in the CSV"), "{page}");
    assert_eq!(
        sim_users_total(&app, "").await,
        before,
        "the preview sent nothing"
    );

    let token = preview_url.split("preview=").nth(1).unwrap();
    let run = app
        .post_form(
            "/api/users/import/run",
            &preview_url,
            &[("org", ORG), ("token", token)],
        )
        .await;
    let results = location(&run);
    assert!(results.contains("/users/import?results="), "{results}");
    let page = finished_results(&app, &results).await;
    assert!(page.contains("2 done, 0 not done."), "{page}");
    assert_eq!(sim_users_total(&app, "").await, before + 2);
    let one = jumpcloud_get(
        &app,
        "/api/systemusers?filter=email:$eq:new.one@acme.example",
    )
    .await;
    assert_eq!(one["results"][0]["department"], "Research");
    assert_eq!(one["results"][0]["state"], "ACTIVATED");
    let two = jumpcloud_get(
        &app,
        "/api/systemusers?filter=email:$eq:new.two@acme.example",
    )
    .await;
    assert_eq!(two["results"][0]["state"], "STAGED");

    // The preview cannot be run twice.
    let again = app
        .call("/api/users/import/run", &[("org", ORG), ("token", token)])
        .await;
    assert_eq!(again.status(), 400);
    assert_eq!(sim_users_total(&app, "").await, before + 2);
}

#[tokio::test]
async fn the_existence_check_finds_users_by_id_and_email() {
    let app = signed_in_admin().await;
    let user = some_user(&app, "filter=state:$eq:ACTIVATED").await;
    let id = user["_id"].as_str().unwrap();
    let email = user["email"].as_str().unwrap();
    let entries = format!("{id}\n{}\nnobody@nowhere.example\n", email.to_uppercase());
    let results = app
        .call_ok("/api/users/check", &[("org", ORG), ("entries", &entries)])
        .await;
    let results = results.as_array().unwrap();
    assert_eq!(results.len(), 3);
    assert_eq!(results[0]["found"][0], "Id");
    assert_eq!(results[0]["found"][1], id);
    assert_eq!(results[1]["found"][0], "Email");
    assert_eq!(results[1]["found"][1], id);
    assert!(results[2]["found"].is_null());

    // The same check as a page, with JavaScript off; the id now comes from the cache.
    let query: String = url::form_urlencoded::Serializer::new(String::new())
        .append_pair("entries", &entries)
        .finish();
    let page = app
        .page_text(&format!("/o/{ORG}/users/check?{query}"))
        .await;
    assert!(page.contains("2 of 3 found in JumpCloud."), "{page}");
    assert!(page.contains("found (recently read by Lanyard)"), "{page}");
    assert!(page.contains("not found"));
}

#[tokio::test]
async fn a_bulk_action_can_take_every_matching_user_and_runs_in_the_background() {
    let app = signed_in_admin().await;
    let locked = jumpcloud_get(
        &app,
        "/api/systemusers?limit=100&filter=account_locked:$eq:true",
    )
    .await;
    let ids: Vec<String> = locked["results"]
        .as_array()
        .unwrap()
        .iter()
        .map(|user| user["_id"].as_str().unwrap().to_string())
        .collect();
    assert!(ids.len() >= 2, "the demo seeds several locked users");

    // "All matching" previews every locked user, not only a ticked page of them.
    let preview = app
        .page_text(&format!(
            "/o/{ORG}/users/bulk?action=unlock&all=1&locked=true"
        ))
        .await;
    let summary = format!("{0} of {0} selected users will change.", ids.len());
    assert!(preview.contains(&summary), "{preview}");
    for id in &ids {
        assert!(preview.contains(id.as_str()), "{id} is in the run form");
    }

    let names: Vec<String> = (0..ids.len())
        .map(|index| format!("ids[{index}]"))
        .collect();
    let mut form = vec![("org", ORG), ("action", "unlock")];
    form.extend(
        names
            .iter()
            .map(String::as_str)
            .zip(ids.iter().map(String::as_str)),
    );
    let run = app
        .post_form(
            "/api/users/bulk/run",
            &format!("/o/{ORG}/users/bulk"),
            &form,
        )
        .await;
    let results = location(&run);
    let page = finished_results(&app, &results).await;
    assert!(
        page.contains(&format!("{} done, 0 not done.", ids.len())),
        "{page}"
    );
    assert_eq!(
        sim_users_total(&app, "filter=account_locked:$eq:true").await,
        0
    );
}
