#![allow(clippy::unwrap_used)]
//! Groups and devices against the demo simulator, through the server functions and
//! pages as a browser without JavaScript uses them.

mod common;

use common::{TestApp, json, location, signed_in_admin};
use serde_json::Value;

const ORG: &str = "acme-robotics";

async fn group_named(app: &TestApp, name: &str) -> Value {
    let groups = json(
        app.call("/api/groups", &[("org", ORG), ("search", name)])
            .await,
    )
    .await;
    groups
        .as_array()
        .unwrap()
        .iter()
        .find(|group| group["name"] == name)
        .cloned()
        .unwrap_or_else(|| panic!("no group {name}: {groups}"))
}

#[tokio::test]
async fn a_group_is_created_filled_checked_emptied_and_deleted() {
    let app = signed_in_admin().await;
    let created = app
        .post_form(
            "/api/groups/create",
            &format!("/o/{ORG}/groups"),
            &[
                ("org", ORG),
                ("name", "Rust Guild"),
                ("description", "Crabs"),
            ],
        )
        .await;
    assert_eq!(created.status(), 302);
    let detail_path = location(&created);
    assert!(
        detail_path.starts_with(&format!("/o/{ORG}/groups/")),
        "{detail_path}"
    );
    let id = detail_path
        .trim_start_matches(&format!("/o/{ORG}/groups/"))
        .split('?')
        .next()
        .unwrap()
        .to_string();

    let users = json(
        app.call("/api/groups/candidates", &[("org", ORG), ("find", "a")])
            .await,
    )
    .await;
    let picked: Vec<Value> = users.as_array().unwrap().iter().take(3).cloned().collect();
    assert_eq!(picked.len(), 3);
    let ids: Vec<String> = picked
        .iter()
        .map(|user| user["id"].as_str().unwrap().to_string())
        .collect();
    // Ticked checkboxes arrive with gaps in their indices, as a browser sends them.
    let added = app
        .post_form(
            "/api/groups/members/add",
            &detail_path,
            &[
                ("org", ORG),
                ("id", &id),
                ("user_ids[0]", &ids[0]),
                ("user_ids[2]", &ids[1]),
                ("usernames", picked[2]["username"].as_str().unwrap()),
            ],
        )
        .await;
    assert_eq!(added.status(), 302);
    assert!(
        location(&added).contains("notice=Added"),
        "{}",
        location(&added)
    );
    let detail = json(
        app.call("/api/groups/detail", &[("org", ORG), ("id", &id)])
            .await,
    )
    .await;
    assert_eq!(detail["members"].as_array().unwrap().len(), 3);

    // Adding one again reports it per user.
    let again = app
        .call(
            "/api/groups/members/add",
            &[("org", ORG), ("id", &id), ("user_ids[0]", &ids[0])],
        )
        .await;
    assert_eq!(again.status(), 409);
    assert!(again.text().await.unwrap().contains("already there"));

    let removed = app
        .post_form(
            "/api/groups/members/remove",
            &detail_path,
            &[("org", ORG), ("id", &id), ("user_ids[1]", &ids[1])],
        )
        .await;
    assert_eq!(removed.status(), 302);
    let detail = json(
        app.call("/api/groups/detail", &[("org", ORG), ("id", &id)])
            .await,
    )
    .await;
    assert_eq!(detail["members"].as_array().unwrap().len(), 2);

    let member = picked[0]["username"].as_str().unwrap();
    let check = json(
        app.call(
            "/api/groups/check",
            &[("org", ORG), ("id", &id), ("user", member)],
        )
        .await,
    )
    .await;
    assert_eq!(check["paths"][0], format!("{member} → Rust Guild"));
    let former = picked[1]["email"].as_str().unwrap();
    let check = json(
        app.call(
            "/api/groups/check",
            &[("org", ORG), ("id", &id), ("user", former)],
        )
        .await,
    )
    .await;
    assert_eq!(check["paths"], Value::Array(Vec::new()));

    let refused = app
        .call(
            "/api/groups/delete",
            &[("org", ORG), ("id", &id), ("confirm", "rust guild")],
        )
        .await;
    assert_eq!(refused.status(), 400);
    let deleted = app
        .post_form(
            "/api/groups/delete",
            &detail_path,
            &[("org", ORG), ("id", &id), ("confirm", "Rust Guild")],
        )
        .await;
    assert_eq!(
        location(&deleted),
        format!("/o/{ORG}/groups?notice=Deleted%20group%20Rust%20Guild%2E")
    );
    let gone = app
        .call("/api/groups/detail", &[("org", ORG), ("id", &id)])
        .await;
    assert_eq!(gone.status(), 404);

    let db = app.db().await;
    let actions: Vec<String> = app::audit::recent(&db, 50)
        .await
        .unwrap()
        .into_iter()
        .map(|entry| entry.action)
        .collect();
    for action in [
        "group.created",
        "group.member_added",
        "group.member_removed",
        "group.deleted",
    ] {
        assert!(
            actions.iter().any(|logged| logged == action),
            "{action} not in {actions:?}"
        );
    }
}

#[tokio::test]
async fn a_group_with_short_member_pages_still_lists_everyone() {
    let app = signed_in_admin().await;
    let dashboard = json(app.call("/api/org_dashboard", &[("org", ORG)]).await).await;
    let users = dashboard["users"].as_u64().unwrap() as usize;
    // All Staff holds every user plus orphaned records of long-gone users, which the
    // simulator drops from its pages after paging, as JumpCloud does.
    let all_staff = group_named(&app, "All Staff").await;
    assert_eq!(all_staff["members"], users);
    let detail = json(
        app.call(
            "/api/groups/detail",
            &[("org", ORG), ("id", all_staff["id"].as_str().unwrap())],
        )
        .await,
    )
    .await;
    assert_eq!(detail["members"].as_array().unwrap().len(), users);
    let page = app
        .get_page(&format!(
            "/o/{ORG}/groups/{}",
            all_staff["id"].as_str().unwrap()
        ))
        .await;
    assert_eq!(page.status(), 200);
    assert!(
        page.text()
            .await
            .unwrap()
            .contains(&format!("Members ({users})"))
    );
}

async fn devices(app: &TestApp, filters: &[(&str, &str)]) -> Value {
    let mut form = vec![("org", ORG)];
    form.extend_from_slice(filters);
    json(app.call("/api/devices", &form).await).await
}

#[tokio::test]
async fn the_device_list_filters_and_the_fleet_report_covers_every_device() {
    let app = signed_in_admin().await;
    let all = devices(&app, &[]).await;
    let total = all["total"].as_u64().unwrap();
    assert!(total > 0);
    let windows = devices(&app, &[("os", "windows")]).await;
    assert!(windows["total"].as_u64().unwrap() < total);
    assert!(
        windows["rows"]
            .as_array()
            .unwrap()
            .iter()
            .all(|row| row["os_family"] == "windows")
    );
    let unencrypted = devices(&app, &[("unencrypted", "on")]).await;
    assert!(
        unencrypted["rows"]
            .as_array()
            .unwrap()
            .iter()
            .all(|row| row["encrypted"] == false)
    );
    let no_mdm = devices(&app, &[("no_mdm", "on"), ("os", "darwin")]).await;
    assert!(
        no_mdm["rows"]
            .as_array()
            .unwrap()
            .iter()
            .all(|row| row["mdm"] == "none")
    );
    // Seeded contacts lie in the past of any day this test runs.
    let stale = devices(&app, &[("stale_days", "100000")]).await;
    assert_eq!(stale["total"], 0);

    let page = app.get_page(&format!("/o/{ORG}/devices?os=windows")).await;
    assert_eq!(page.status(), 200);

    let report = app.get_page(&format!("/o/{ORG}/devices/fleet.csv")).await;
    assert_eq!(report.status(), 200);
    let csv = report.text().await.unwrap();
    let mut lines = csv.lines();
    assert_eq!(
        lines.next().unwrap(),
        "user_email,device_serial,os,last_contact,hostname,encryption,mdm"
    );
    assert_eq!(lines.count() as u64, total);

    let stranger = app.another_browser();
    let refused = stranger
        .get_page(&format!("/o/{ORG}/devices/fleet.csv"))
        .await;
    assert_eq!(refused.status(), 401);
}

#[tokio::test]
async fn security_commands_are_confirmed_limited_and_can_require_approval() {
    let app = signed_in_admin().await;
    let windows = devices(&app, &[("os", "windows")]).await;
    let device = windows["rows"][0].clone();
    let id = device["id"].as_str().unwrap();
    let hostname = device["hostname"].as_str().unwrap();
    let run = |command: &'static str, confirm: Option<&'static str>| {
        let mut form = vec![("org", ORG), ("id", id), ("command", command)];
        form.extend(confirm.map(|confirm| ("confirm", confirm)));
        let app = &app;
        async move { app.call("/api/devices/command", &form).await }
    };
    assert_eq!(run("erase", Some("not-the-hostname")).await.status(), 400);
    assert_eq!(run("lock", None).await.status(), 400);
    assert!(run("lock", Some("yes")).await.status().is_success());
    let detail = json(
        app.call("/api/devices/detail", &[("org", ORG), ("id", id)])
            .await,
    )
    .await;
    assert_eq!(detail["queued"], serde_json::json!(["lock"]));
    assert_eq!(detail["device"]["hostname"], hostname);

    let mac = devices(&app, &[("os", "darwin")]).await;
    let mac_id = mac["rows"][0]["id"].as_str().unwrap();
    let refused = app
        .call(
            "/api/devices/command",
            &[
                ("org", ORG),
                ("id", mac_id),
                ("command", "restart"),
                ("confirm", "yes"),
            ],
        )
        .await;
    assert_eq!(refused.status(), 400);
    assert!(refused.text().await.unwrap().contains("Apple MDM"));

    let on = app
        .call("/api/devices/approval", &[("org", ORG), ("required", "on")])
        .await;
    assert!(on.status().is_success());
    let blocked = run("lock", Some("yes")).await;
    assert_eq!(blocked.status(), 400);
    assert!(blocked.text().await.unwrap().contains("approved request"));
    assert!(run("restart", Some("yes")).await.status().is_success());
    let page = app
        .get_page(&format!("/o/{ORG}/devices/{id}"))
        .await
        .text()
        .await
        .unwrap();
    assert!(page.contains("requires an approved request"), "{page}");
}

#[tokio::test]
async fn a_group_shows_the_system_groups_and_applications_it_is_bound_to() {
    let app = signed_in_admin().await;
    let admins = group_named(&app, "Laptop Admins").await;
    let id = admins["id"].as_str().unwrap();
    let detail = json(
        app.call("/api/groups/detail", &[("org", ORG), ("id", id)])
            .await,
    )
    .await;
    let names: Vec<&str> = detail["system_groups"]
        .as_array()
        .unwrap()
        .iter()
        .map(|group| group["name"].as_str().unwrap())
        .collect();
    assert_eq!(names, ["Mac fleet", "Windows fleet"], "{detail}");
    let page = app.page_text(&format!("/o/{ORG}/groups/{id}")).await;
    assert!(page.contains("System groups of the group"), "{page}");
    assert!(page.contains("Mac fleet") && page.contains("Windows fleet"));

    // The seeded SSO application bound to Sales shows on the Sales group.
    let sales = group_named(&app, "Sales").await;
    let detail = json(
        app.call(
            "/api/groups/detail",
            &[("org", ORG), ("id", sales["id"].as_str().unwrap())],
        )
        .await,
    )
    .await;
    assert!(
        !detail["applications"].as_array().unwrap().is_empty(),
        "{detail}"
    );
}
