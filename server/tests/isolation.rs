#![allow(clippy::unwrap_used)]
//! The isolation sweep: every route the router serves and every server function, tried
//! as each kind of caller against one organization (Acme) with Acme's real object ids.
//! Callers: nobody signed in; Acme's requester, approver and auditor; the admin of
//! another organization; an operator whose scope is another organization. Prints the
//! table (routes × callers, allowed or refused) and fails on any leak: a caller getting
//! through where their role (or lack of one) should stop them, or another
//! organization's caller seeing Acme's name. A route nobody classified fails it too,
//! so a new one cannot go unchecked.

mod common;

use std::fmt::Write as _;

use app::tenants::{Capability, OrgRole};
use common::{ADMIN_EMAIL, ADMIN_PASSWORD, TestApp, spawn_app};
use jumpcloud::sim::SimInfo;
use reqwest::StatusCode;
use serde_json::Value;

const VICTIM: &str = "acme-robotics";
const VICTIM_NAME: &str = "Acme Robotics";
const OTHER: &str = "globex-health";
const PASSWORD: &str = "a-long-enough-password";

/// Who may pass a route.
#[derive(Clone, Copy, Debug, PartialEq)]
enum Access {
    /// Anyone, signed in or not (sign-in, probes, assets).
    Public,
    /// Any signed-in account; answers only about its own organizations.
    OwnOrgs,
    /// Installation owners (settings, connections, people).
    Owner,
    /// Members of the organization in the URL or form whose role has the capability.
    Org(Capability),
}

/// What each route requires. Server functions by endpoint, pages and files by path.
fn classify(path: &str) -> Option<Access> {
    use Access::*;
    use Capability::*;
    if let Some(endpoint) = path.strip_prefix("/api/") {
        let access = match endpoint {
            "login" | "logout" | "session_info" | "demo_mode" | "landing" | "sso_enabled" => Public,
            "overview" | "search" => OwnOrgs,
            _ if endpoint.starts_with("connections")
                || endpoint.starts_with("people")
                || endpoint.starts_with("org-groups/")
                || endpoint.starts_with("sso/")
                || endpoint == "orgs/default" =>
            {
                Owner
            }
            "access/owner" => Owner,
            "org_dashboard"
            | "access/check"
            | "requests/history"
            | "requests/joiner-password"
            | "reviews"
            | "reviews/detail"
            | "reviews/decide" => Org(Enter),
            "users/list"
            | "users/detail"
            | "users/check"
            | "groups"
            | "groups/detail"
            | "groups/candidates"
            | "groups/check"
            | "devices"
            | "devices/detail"
            | "apps"
            | "apps/detail"
            | "policies"
            | "commands"
            | "commands/detail"
            | "system-groups"
            | "system-groups/detail"
            | "directory"
            | "requests/mover-preview"
            | "requests/mover" => Org(ViewDirectory),
            _ if endpoint.starts_with("users/")
                || endpoint.starts_with("groups/")
                || endpoint.starts_with("devices/")
                || endpoint.starts_with("apps/")
                || endpoint.starts_with("system-groups/")
                || endpoint == "commands/run" =>
            {
                Org(ManageDirectory)
            }
            "audit/search" | "insights" => Org(ViewAudit),
            "requests/page"
            | "requests/catalog"
            | "requests/submit"
            | "requests/submit-action"
            | "requests/extend"
            | "requests/cancel"
            | "requests/list"
            | "requests/decide"
            | "requests/decide-many" => Org(RequestAccess),
            "requests/jumpcloud/decide" => Org(DecideRequests),
            "requests/manage"
            | "requests/catalog/create"
            | "requests/retry"
            | "requests/cancel-failed"
            | "requests/grants"
            | "requests/rules/save"
            | "requests/rules/delete"
            | "requests/retry-step"
            | "requests/cancel-deletion"
            | "reviews/start"
            | "notifications/settings"
            | "notifications/settings/save" => Org(ManageOrg),
            _ => return None,
        };
        return Some(access);
    }
    let access = match path {
        "/login"
        | "/healthz"
        | "/readyz"
        | "/lanyard.css"
        | "/auth/oidc/start"
        | "/auth/oidc/callback" => Public,
        "/" | "/overview" | "/search" => OwnOrgs,
        _ if path.starts_with("/settings") => Owner,
        "/o/{org}" | "/o/{org}/reviews" | "/o/{org}/reviews/{id}" | "/o/{org}/requests/{id}" => {
            Org(Enter)
        }
        "/o/{org}/requests" => Org(RequestAccess),
        "/o/{org}/requests/manage" | "/o/{org}/reviews/{id}/report.csv" => Org(ManageOrg),
        "/o/{org}/audit" | "/o/{org}/audit/export.csv" | "/o/{org}/insights" => Org(ViewAudit),
        "/o/{org}/users/new" | "/o/{org}/users/bulk" | "/o/{org}/users/import" => {
            Org(ManageDirectory)
        }
        _ if path.starts_with("/o/{org}/") => Org(ViewDirectory),
        _ => return None,
    };
    Some(access)
}

#[derive(Clone, Copy, PartialEq)]
enum Caller {
    Anonymous,
    Member(OrgRole),
    OtherOrgAdmin,
    OtherOrgOperator,
}

impl Caller {
    const ALL: [Caller; 6] = [
        Caller::Anonymous,
        Caller::Member(OrgRole::Requester),
        Caller::Member(OrgRole::Approver),
        Caller::Member(OrgRole::Auditor),
        Caller::OtherOrgAdmin,
        Caller::OtherOrgOperator,
    ];

    fn label(self) -> &'static str {
        match self {
            Caller::Anonymous => "anonymous",
            Caller::Member(OrgRole::Requester) => "requester",
            Caller::Member(OrgRole::Approver) => "approver",
            Caller::Member(OrgRole::Auditor) => "auditor",
            Caller::Member(OrgRole::Admin) => "admin",
            Caller::OtherOrgAdmin => "other-org admin",
            Caller::OtherOrgOperator => "other-org operator",
        }
    }

    /// Whether the caller may pass a route with this access.
    fn may(self, access: Access) -> bool {
        match (access, self) {
            (Access::Public, _) => true,
            (Access::OwnOrgs, caller) => caller != Caller::Anonymous,
            (Access::Owner, _) => false,
            (Access::Org(capability), Caller::Member(role)) => role.allows(capability),
            (Access::Org(_), _) => false,
        }
    }

    /// Whether the caller belongs to the victim organization.
    fn is_member(self) -> bool {
        matches!(self, Caller::Member(_))
    }
}

/// The victim organization's real object ids, from its simulated JumpCloud.
struct VictimIds {
    user: String,
    group: String,
    system: String,
    system_group: String,
    application: String,
    command: String,
}

async fn victim_ids(app: &TestApp) -> VictimIds {
    let info: SimInfo =
        serde_json::from_slice(&std::fs::read(app.data_dir().join("demo-simulator.json")).unwrap())
            .unwrap();
    let org = info
        .orgs
        .iter()
        .find(|org| org.name == VICTIM_NAME)
        .unwrap();
    let get = |path: &'static str| {
        let (base, key) = (info.base_url.clone(), org.api_key.clone());
        async move {
            reqwest::Client::new()
                .get(format!("{base}{path}"))
                .header("x-api-key", key)
                .send()
                .await
                .unwrap()
                .json::<Value>()
                .await
                .unwrap()
        }
    };
    let first_v1 = |list: Value| list["results"][0]["_id"].as_str().unwrap().to_string();
    let first_v2 = |list: Value| list[0]["id"].as_str().unwrap().to_string();
    VictimIds {
        user: first_v1(get("/api/systemusers?limit=1").await),
        group: first_v2(get("/api/v2/usergroups?limit=1").await),
        system: first_v1(get("/api/systems?limit=1").await),
        system_group: first_v2(get("/api/v2/systemgroups?limit=1").await),
        application: first_v1(get("/api/applications?limit=1").await),
        command: first_v1(get("/api/commands?limit=1").await),
    }
}

/// Signs the callers in (owner-made accounts and roles, as Settings → People does).
async fn callers(owner: &TestApp) -> Vec<(Caller, TestApp)> {
    let mut signed_in = Vec::new();
    for caller in Caller::ALL {
        let browser = owner.another_browser();
        let email = format!("{}@isolation.example", caller.label().replace(' ', "-"));
        let (installation_role, membership) = match caller {
            Caller::Anonymous => {
                signed_in.push((caller, browser));
                continue;
            }
            Caller::Member(role) => ("none", Some((VICTIM, role.as_str()))),
            Caller::OtherOrgAdmin => ("none", Some((OTHER, "admin"))),
            Caller::OtherOrgOperator => ("operator", None),
        };
        let ok = |response: reqwest::Response| async move {
            let status = response.status();
            assert!(
                status.is_success(),
                "{status}: {}",
                response.text().await.unwrap()
            );
        };
        ok(owner
            .call(
                "/api/people/create",
                &[
                    ("email", email.as_str()),
                    ("display_name", caller.label()),
                    ("password", PASSWORD),
                    ("installation_role", installation_role),
                ],
            )
            .await)
        .await;
        match membership {
            Some((org, role)) => {
                ok(owner
                    .call(
                        "/api/people/membership",
                        &[("email", email.as_str()), ("org", org), ("role", role)],
                    )
                    .await)
                .await;
            }
            None => {
                for (endpoint, form) in [
                    ("/api/org-groups/create", vec![("name", "Others")]),
                    (
                        "/api/org-groups/add",
                        vec![("org_group", "Others"), ("org", OTHER)],
                    ),
                    (
                        "/api/people/scope",
                        vec![("email", email.as_str()), ("org_group", "Others")],
                    ),
                ] {
                    ok(owner.call(endpoint, &form).await).await;
                }
            }
        }
        assert_eq!(browser.login(&email, PASSWORD).await.status(), 302);
        signed_in.push((caller, browser));
    }
    signed_in
}

/// Refused: not signed in, forbidden, or (for an organization one may not enter) not
/// found; a page that sends the browser to sign in.
fn refused(response: &reqwest::Response) -> bool {
    let status = response.status();
    let to_login = status.is_redirection()
        && response
            .headers()
            .get("location")
            .and_then(|location| location.to_str().ok())
            .is_some_and(|location| location.starts_with("/login"));
    matches!(
        status,
        StatusCode::UNAUTHORIZED | StatusCode::FORBIDDEN | StatusCode::NOT_FOUND
    ) || to_login
}

/// The status, whether it refused, and the body.
async fn outcome(response: reqwest::Response) -> (StatusCode, bool, String) {
    let was_refused = refused(&response);
    let status = response.status();
    (
        status,
        was_refused,
        response.text().await.unwrap_or_default(),
    )
}

/// The function never ran: its input did not parse (the answer is `AppError::Request`).
fn unparsed(body: &str) -> bool {
    serde_json::from_str::<app::error::AppError>(body)
        .is_ok_and(|error| matches!(error, app::error::AppError::Request(_)))
}

#[tokio::test]
async fn every_route_and_server_function_refuses_callers_without_the_right_role() {
    let owner = spawn_app().await;
    assert_eq!(owner.login(ADMIN_EMAIL, ADMIN_PASSWORD).await.status(), 302);
    let ids = victim_ids(&owner).await;
    let callers = callers(&owner).await;

    let pages: Vec<String> = server::route_paths();
    let functions: Vec<String> = leptos::server_fn::axum::server_fn_paths()
        .map(|(path, _)| path.to_string())
        .collect();
    let unclassified: Vec<&String> = pages
        .iter()
        .chain(&functions)
        .filter(|path| classify(path).is_none())
        .collect();
    assert!(
        unclassified.is_empty(),
        "routes nobody classified: {unclassified:?}"
    );

    let form: Vec<(&str, &str)> = vec![
        ("org", VICTIM),
        ("id", ids.user.as_str()),
        ("user_id", ids.user.as_str()),
        ("group_id", ids.group.as_str()),
        ("system_id", ids.system.as_str()),
        ("system_ids[0]", ids.system.as_str()),
        ("user_ids[0]", ids.user.as_str()),
        ("application_id", ids.application.as_str()),
        ("command_id", ids.command.as_str()),
        ("system_group_id", ids.system_group.as_str()),
        ("request_id", "1"),
        ("item_id", "1"),
        ("review_id", "1"),
        ("q", "a"),
        ("justification", "isolation sweep"),
        ("verdict", "approve"),
        ("name", "Isolation sweep"),
        ("department", "Engineering"),
        ("kind", "api_key"),
        ("connection_id", "1"),
        ("slug", VICTIM),
        ("command", "lock"),
        ("org_group", "Others"),
        ("email", "someone@isolation.example"),
        ("duration_minutes", "60"),
        ("enabled", "true"),
        ("token", "00000000000000000000000000000000"),
        ("region", "us"),
        ("jumpcloud_org_id", "000000000000000000000000"),
        ("display_name", "Someone"),
        ("role", "admin"),
        ("installation_role", "owner"),
        ("capability", "ManageOrg"),
        ("password", PASSWORD),
    ];
    // Some functions take a numeric `id` (a request, a review, a connection).
    let numeric_id_form: Vec<(&str, &str)> = form
        .iter()
        .map(|&(key, value)| (key, if key == "id" { "1" } else { value }))
        .collect();
    let fill = |path: &str| {
        let id = if path.contains("/groups/") {
            ids.group.as_str()
        } else if path.contains("/devices/") {
            ids.system.as_str()
        } else if path.contains("/system-groups/") {
            ids.system_group.as_str()
        } else if path.contains("/apps/") {
            ids.application.as_str()
        } else if path.contains("/commands/") {
            ids.command.as_str()
        } else if path.contains("/users/") {
            ids.user.as_str()
        } else {
            "1"
        };
        path.replace("{org}", VICTIM).replace("{id}", id)
    };

    let mut table = String::new();
    let mut leaks = Vec::new();
    let mut unexercised = Vec::new();
    let header: Vec<&str> = Caller::ALL.iter().map(|caller| caller.label()).collect();
    writeln!(
        table,
        "{:<44} {:<16} {}",
        "route",
        "needs",
        header.join(" | ")
    )
    .unwrap();
    let mut cells = 0;
    for (path, is_function) in pages
        .iter()
        .map(|path| (path, false))
        .chain(functions.iter().map(|path| (path, true)))
    {
        let access = classify(path).unwrap();
        let mut row = Vec::new();
        for (caller, browser) in &callers {
            let (status, was_refused, body) = if is_function {
                let mut answer = outcome(browser.call(path, &form).await).await;
                if unparsed(&answer.2) {
                    answer = outcome(browser.call(path, &numeric_id_form).await).await;
                }
                if unparsed(&answer.2) {
                    unexercised.push(format!("{path}: {}", answer.2));
                }
                answer
            } else {
                outcome(browser.get_page(&fill(path)).await).await
            };
            let expected = caller.may(access);
            if !was_refused && !expected && !unparsed(&body) {
                leaks.push(format!(
                    "{path} let {} through ({status}) {body}",
                    caller.label()
                ));
            }
            if !caller.is_member() && body.contains(VICTIM_NAME) {
                leaks.push(format!("{path} showed {VICTIM_NAME} to {}", caller.label()));
            }
            cells += 1;
            row.push(if was_refused { "refused" } else { "allowed" });
        }
        let needs = match access {
            Access::Org(capability) => format!("{capability:?}"),
            other => format!("{other:?}"),
        };
        writeln!(table, "{path:<44} {needs:<16} {}", row.join(" | ")).unwrap();
    }
    writeln!(
        table,
        "{} routes and server functions × {} callers = {cells} calls; {} leaks",
        pages.len() + functions.len(),
        Caller::ALL.len(),
        leaks.len()
    )
    .unwrap();
    common::report("isolation.txt", &table);
    assert!(leaks.is_empty(), "leaks:\n{}", leaks.join("\n"));
    assert!(
        unexercised.is_empty(),
        "server functions the sweep's form does not reach (their input did not parse):\n{}",
        unexercised.join("\n")
    );
}
