#![allow(clippy::unwrap_used)]
//! System groups, applications, policies and commands against the demo simulator,
//! through the server functions and pages as a browser without JavaScript uses them.

mod common;

use common::{TestApp, json, location, signed_in_admin};
use serde_json::Value;

const ORG: &str = "acme-robotics";

/// Fails unless the audit log holds an entry with each (action, result).
async fn assert_audited(app: &TestApp, expected: &[(&str, &str)]) {
    let logged: Vec<(String, String)> = app::audit::recent(&app.db().await, 100)
        .await
        .unwrap()
        .into_iter()
        .map(|entry| (entry.action, entry.result))
        .collect();
    for (action, result) in expected {
        assert!(
            logged.iter().any(|(a, r)| a == action && r == result),
            "{action} {result} not in {logged:?}"
        );
    }
}

fn ids(objects: &Value) -> Vec<String> {
    objects
        .as_array()
        .unwrap()
        .iter()
        .map(|object| object["id"].as_str().unwrap().to_string())
        .collect()
}

#[tokio::test]
async fn systems_are_added_to_and_removed_from_a_system_group() {
    let app = signed_in_admin().await;
    let groups = json(app.call("/api/system-groups", &[("org", ORG)]).await).await;
    let servers = groups
        .as_array()
        .unwrap()
        .iter()
        .find(|group| group["name"] == "Servers")
        .cloned()
        .unwrap_or_else(|| panic!("no Servers group: {groups}"));
    let id = servers["id"].as_str().unwrap().to_string();
    let list_page = app.page_text(&format!("/o/{ORG}/system-groups")).await;
    assert!(list_page.contains("Servers") && list_page.contains("Mac fleet"));

    let detail_path = format!("/o/{ORG}/system-groups/{id}");
    let load = || async {
        json(
            app.call("/api/system-groups/detail", &[("org", ORG), ("id", &id)])
                .await,
        )
        .await
    };
    let before = load().await;
    let members_before = ids(&before["members"]);
    assert_eq!(
        members_before.len() as u64,
        servers["members"].as_u64().unwrap()
    );
    let picked = ids(&before["others"])[..2].to_vec();

    let added = app
        .post_form(
            "/api/system-groups/members/add",
            &detail_path,
            &[
                ("org", ORG),
                ("id", &id),
                ("system_ids[0]", &picked[0]),
                ("system_ids[3]", &picked[1]),
            ],
        )
        .await;
    assert_eq!(added.status(), 302);
    assert!(
        location(&added).contains("notice=Added"),
        "{}",
        location(&added)
    );
    let after = load().await;
    let members_after = ids(&after["members"]);
    assert_eq!(members_after.len(), members_before.len() + 2);
    assert!(picked.iter().all(|system| members_after.contains(system)));
    let page = app.page_text(&detail_path).await;
    assert!(
        page.contains(&format!("Systems ({})", members_after.len())),
        "{page}"
    );

    // Adding one again names it and changes nothing else.
    let again = app
        .call(
            "/api/system-groups/members/add",
            &[("org", ORG), ("id", &id), ("system_ids[0]", &picked[0])],
        )
        .await;
    assert_eq!(again.status(), 409);
    assert!(again.text().await.unwrap().contains("already there"));

    let removed = app
        .post_form(
            "/api/system-groups/members/remove",
            &detail_path,
            &[("org", ORG), ("id", &id), ("system_ids[1]", &picked[0])],
        )
        .await;
    assert_eq!(removed.status(), 302);
    let members_final = ids(&load().await["members"]);
    assert_eq!(members_final.len(), members_before.len() + 1);
    assert!(!members_final.contains(&picked[0]));

    assert_audited(
        &app,
        &[
            ("system_group.member_added", "ok"),
            ("system_group.member_added", "failed"),
            ("system_group.member_removed", "ok"),
        ],
    )
    .await;
}

async fn application_named(app: &TestApp, name: &str) -> Value {
    let applications = json(app.call("/api/apps", &[("org", ORG)]).await).await;
    applications
        .as_array()
        .unwrap()
        .iter()
        .find(|application| application["name"] == name)
        .cloned()
        .unwrap_or_else(|| panic!("no application {name}: {applications}"))
}

#[tokio::test]
async fn a_user_group_is_bound_to_an_application_and_unbound_again() {
    let app = signed_in_admin().await;
    let salesforce = application_named(&app, "Salesforce").await;
    assert_eq!(salesforce["groups"], 2);
    let id = salesforce["id"].as_str().unwrap().to_string();
    let detail_path = format!("/o/{ORG}/apps/{id}");
    let load = || async {
        json(
            app.call("/api/apps/detail", &[("org", ORG), ("id", &id)])
                .await,
        )
        .await
    };
    let before = load().await;
    let bound: Vec<&str> = before["groups"]
        .as_array()
        .unwrap()
        .iter()
        .map(|group| group["name"].as_str().unwrap())
        .collect();
    assert_eq!(bound, ["Sales", "Support"]);
    let users_before = before["users"].as_array().unwrap().len();
    assert!(users_before > 0);
    assert!(
        before["users"]
            .as_array()
            .unwrap()
            .iter()
            .all(|user| user["via"] == "Sales"
                || user["via"] == "Support"
                || user["via"] == "Sales, Support"),
        "{}",
        before["users"]
    );
    let page = app.page_text(&detail_path).await;
    assert!(page.contains("Users who can sign in") && page.contains("Sales"));

    let everyone = before["unbound"]
        .as_array()
        .unwrap()
        .iter()
        .find(|group| group["name"] == "All Staff")
        .cloned()
        .unwrap_or_else(|| panic!("All Staff is not offered: {}", before["unbound"]));
    let group_id = everyone["id"].as_str().unwrap().to_string();
    let bound = app
        .post_form(
            "/api/apps/groups/bind",
            &detail_path,
            &[("org", ORG), ("id", &id), ("group_id", &group_id)],
        )
        .await;
    assert_eq!(bound.status(), 302);
    assert!(location(&bound).contains("notice="), "{}", location(&bound));
    let after = load().await;
    assert_eq!(after["groups"].as_array().unwrap().len(), 3);
    assert!(after["users"].as_array().unwrap().len() > users_before);
    assert!(
        after["users"]
            .as_array()
            .unwrap()
            .iter()
            .any(|user| user["via"].as_str().unwrap().contains("All Staff"))
    );

    let again = app
        .call(
            "/api/apps/groups/bind",
            &[("org", ORG), ("id", &id), ("group_id", &group_id)],
        )
        .await;
    assert_eq!(again.status(), 409);

    let unbound = app
        .post_form(
            "/api/apps/groups/unbind",
            &detail_path,
            &[("org", ORG), ("id", &id), ("group_id", &group_id)],
        )
        .await;
    assert_eq!(unbound.status(), 302);
    let last = load().await;
    assert_eq!(last["groups"].as_array().unwrap().len(), 2);
    assert_eq!(last["users"].as_array().unwrap().len(), users_before);
    assert_audited(
        &app,
        &[
            ("application.group_bound", "ok"),
            ("application.group_bound", "failed"),
            ("application.group_unbound", "ok"),
        ],
    )
    .await;
}

#[tokio::test]
async fn policies_list_their_latest_result_on_each_system() {
    let app = signed_in_admin().await;
    let policies = json(app.call("/api/policies", &[("org", ORG)]).await).await;
    let policies = policies.as_array().unwrap();
    assert!(!policies.is_empty());
    let results: Vec<&Value> = policies
        .iter()
        .flat_map(|policy| policy["statuses"].as_array().unwrap())
        .collect();
    assert!(!results.is_empty(), "no policy has a result: {policies:?}");
    // Every result names its system, and each system appears once per policy.
    for policy in policies {
        let mut systems = ids(&policy["statuses"]
            .as_array()
            .unwrap()
            .iter()
            .map(|status| status["system"].clone())
            .collect());
        let count = systems.len();
        systems.dedup();
        assert_eq!(systems.len(), count, "{policy}");
    }
    assert!(results.iter().all(|status| status["system"]["name"] != ""));
    let filevault = policies
        .iter()
        .find(|policy| policy["name"] == "Require FileVault")
        .unwrap();
    assert_eq!(filevault["template"], "FileVault 2 Encryption");
    assert_eq!(filevault["os_family"], "darwin");

    let page = app.page_text(&format!("/o/{ORG}/policies")).await;
    let first = &policies[0];
    assert!(page.contains(first["name"].as_str().unwrap()), "{page}");
    assert!(page.contains("Latest result"));
}

#[tokio::test]
async fn a_saved_command_runs_on_ticked_systems_only_when_confirmed() {
    let app = signed_in_admin().await;
    let commands = json(app.call("/api/commands", &[("org", ORG)]).await).await;
    let homebrew = commands
        .as_array()
        .unwrap()
        .iter()
        .find(|command| command["name"] == "Install Homebrew")
        .cloned()
        .unwrap_or_else(|| panic!("no Install Homebrew: {commands}"));
    assert_eq!(homebrew["kind"], "mac");
    let id = homebrew["id"].as_str().unwrap().to_string();
    let detail_path = format!("/o/{ORG}/commands/{id}");
    let detail = json(
        app.call("/api/commands/detail", &[("org", ORG), ("id", &id)])
            .await,
    )
    .await;
    assert!(
        detail["script"].as_str().unwrap().contains("brew"),
        "{detail}"
    );
    let macs = ids(&detail["runnable_on"]);
    assert!(macs.len() >= 2, "{detail}");
    let page = app.page_text(&detail_path).await;
    assert!(page.contains("Run command") && page.contains("Results ("));

    let unconfirmed = app
        .call(
            "/api/commands/run",
            &[("org", ORG), ("id", &id), ("system_ids[0]", &macs[0])],
        )
        .await;
    assert_eq!(unconfirmed.status(), 400);
    let logged_before = app::audit::recent(&app.db().await, 100)
        .await
        .unwrap()
        .iter()
        .filter(|entry| entry.action == "command.run")
        .count();
    assert_eq!(logged_before, 0);

    let ran = app
        .post_form(
            "/api/commands/run",
            &detail_path,
            &[
                ("org", ORG),
                ("id", &id),
                ("system_ids[0]", &macs[0]),
                ("system_ids[4]", &macs[1]),
                ("confirm", "yes"),
            ],
        )
        .await;
    assert_eq!(ran.status(), 302);
    assert!(
        location(&ran).contains("notice=Queued"),
        "{}",
        location(&ran)
    );
    assert_audited(&app, &[("command.run", "ok")]).await;
}

#[tokio::test]
async fn the_directory_page_shows_ip_lists_ldap_active_directory_and_software() {
    let app = signed_in_admin().await;
    let overview = json(app.call("/api/directory", &[("org", ORG)]).await).await;
    let vpn = overview["ip_lists"]
        .as_array()
        .unwrap()
        .iter()
        .find(|list| list["name"] == "VPN egress")
        .unwrap_or_else(|| panic!("no VPN egress list: {overview}"));
    assert!(
        vpn["ips"]
            .as_array()
            .unwrap()
            .iter()
            .any(|ip| ip == "198.51.100.0/28")
    );
    assert_eq!(overview["ldap_servers"].as_array().unwrap().len(), 1);
    assert!(
        overview["active_directories"][0]["domain"]
            .as_str()
            .unwrap()
            .starts_with("ad.")
    );

    let page = app.page_text(&format!("/o/{ORG}/directory")).await;
    for text in [
        "IP lists",
        "VPN egress",
        "198.51.100.0/28",
        "LDAP servers",
        "Active Directory",
        "Software apps",
    ] {
        assert!(page.contains(text), "{text} missing");
    }
}
