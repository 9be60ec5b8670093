#![allow(clippy::unwrap_used)]
//! Access requests end to end: the real app, its worker and a JumpCloud simulator. The
//! simulator is this test's own (demo mode off) so faults can be injected.

mod common;

use std::net::SocketAddr;
use std::time::Duration;

use common::{ADMIN_EMAIL, ADMIN_PASSWORD, TestApp, json, spawn_app_with};
use jumpcloud::OrgClient;
use jumpcloud::graph::GraphOp;
use jumpcloud::sim::{Failure, SimConfig, Simulator};
use jumpcloud::users::SystemUser;
use server::config::DemoMode;

const ORG: &str = "northwind-traders";
const PASSWORD: &str = "a-long-enough-password";

struct World {
    app: TestApp,
    sim: Simulator,
    jumpcloud: OrgClient,
    /// A directory user with a manager, signed in as the requester.
    requester: TestApp,
    requester_user: SystemUser,
    /// The requester's manager, signed in.
    manager: TestApp,
    manager_email: String,
    /// Another approver (org role approver).
    approver: TestApp,
    group_id: String,
    item_id: String,
}

async fn person(app: &TestApp, email: &str, role: &str) -> TestApp {
    common::add_person(app, email, PASSWORD, ORG, role).await;
    let browser = app.another_browser();
    assert_eq!(browser.login(email, PASSWORD).await.status(), 302);
    browser
}

async fn world(worker_interval_ms: u64) -> World {
    world_with(|settings| settings.worker_interval_ms = worker_interval_ms).await
}

async fn world_with(adjust: impl FnOnce(&mut server::config::Settings)) -> World {
    let sim = Simulator::start(SocketAddr::from(([127, 0, 0, 1], 0)), &SimConfig::default())
        .await
        .unwrap();
    let app = spawn_app_with(|settings| {
        settings.demo = DemoMode::Off;
        adjust(settings);
    })
    .await;
    app.login(ADMIN_EMAIL, ADMIN_PASSWORD).await;
    let api_key = common::connect_northwind(&app, &sim).await;
    let jumpcloud = common::jumpcloud_for(&sim, &api_key);
    let users = jumpcloud.list_all_users(&mut |_, _| {}).await.unwrap();
    let requester_user = users
        .iter()
        .find(|user| {
            user.manager.is_some() && user.state == Some(jumpcloud::users::UserState::Activated)
        })
        .unwrap()
        .clone();
    let manager_user = users
        .iter()
        .find(|user| Some(&user.id) == requester_user.manager.as_ref())
        .unwrap()
        .clone();
    let groups = jumpcloud
        .list_all_user_groups(&mut |_, _| {})
        .await
        .unwrap();
    let member_of = jumpcloud
        .list_user_member_of(&requester_user.id)
        .await
        .unwrap();
    let group_id = groups
        .iter()
        .find(|group| !member_of.iter().any(|m| m.id == group.id))
        .unwrap()
        .id
        .clone();
    let requester = person(&app, &requester_user.email, "requester").await;
    let manager = person(&app, &manager_user.email, "requester").await;
    let approver = person(&app, "approver@example.com", "approver").await;
    let item_id = app
        .call_ok(
            "/api/requests/catalog/create",
            &[
                ("org", ORG),
                ("name", "Temporary group access"),
                ("jumpcloud_group_id", group_id.as_str()),
                ("durations", "60,480,0"),
                ("max_duration_minutes", "20160"),
            ],
        )
        .await
        .to_string();
    World {
        app,
        sim,
        jumpcloud,
        requester,
        requester_user,
        manager,
        manager_email: manager_user.email.clone(),
        approver,
        group_id,
        item_id,
    }
}

impl World {
    async fn submit(&self, minutes: &str) -> String {
        self.requester
            .call_ok(
                "/api/requests/submit",
                &[
                    ("org", ORG),
                    ("item_id", &self.item_id),
                    ("duration_minutes", minutes),
                    ("justification", "on call this week"),
                ],
            )
            .await
            .to_string()
    }

    async fn status(&self, id: &str) -> String {
        let list = self
            .app
            .call_ok("/api/requests/list", &[("org", ORG)])
            .await;
        list.as_array()
            .unwrap()
            .iter()
            .find(|request| request["id"].as_i64().map(|n| n.to_string()).as_deref() == Some(id))
            .map(|request| request["status"].as_str().unwrap().to_string())
            .unwrap()
    }

    async fn wait_for(&self, id: &str, wanted: &str) {
        for _ in 0..200 {
            if self.status(id).await == wanted {
                return;
            }
            tokio::time::sleep(Duration::from_millis(50)).await;
        }
        panic!(
            "request {id} never became {wanted}: it is {}",
            self.status(id).await
        );
    }

    async fn is_member(&self) -> bool {
        self.jumpcloud
            .list_user_member_of(&self.requester_user.id)
            .await
            .unwrap()
            .iter()
            .any(|group| group.id == self.group_id)
    }

    async fn set_manager_role(&self, role: &str) {
        self.app
            .call_ok(
                "/api/people/membership",
                &[
                    ("email", self.manager_email.as_str()),
                    ("org", ORG),
                    ("role", role),
                ],
            )
            .await;
    }

    async fn advance_clock(&self, seconds: i64) {
        let response = self
            .app
            .client
            .post(
                self.app
                    .url(&format!("/test-hooks/advance-clock?seconds={seconds}")),
            )
            .send()
            .await
            .unwrap();
        assert!(response.status().is_success());
    }
}

impl World {
    /// An admin renews (`minutes`) or revokes the grants; the page's notice.
    async fn change_grants(&self, ids: &[&str], action: &str, minutes: Option<&str>) -> String {
        let keys: Vec<String> = (0..ids.len())
            .map(|i| format!("request_ids[{i}]"))
            .collect();
        let mut form: Vec<(&str, &str)> = vec![("org", ORG), ("action", action)];
        form.extend(keys.iter().map(String::as_str).zip(ids.iter().copied()));
        if let Some(minutes) = minutes {
            form.push(("minutes", minutes));
        }
        let response = self.app.call("/api/requests/grants", &form).await;
        let said = notice(&response);
        assert!(response.status().is_success(), "{said}");
        said
    }

    /// A request's row as the admin's list shows it.
    async fn view(&self, id: &str) -> serde_json::Value {
        let list = self
            .app
            .call_ok("/api/requests/list", &[("org", ORG)])
            .await;
        list.as_array()
            .unwrap()
            .iter()
            .find(|request| request["id"].as_i64().map(|n| n.to_string()).as_deref() == Some(id))
            .unwrap()
            .clone()
    }

    /// A catalog item of an action kind; its id.
    async fn action_item(&self, kind: &str) -> String {
        self.app
            .call_ok(
                "/api/requests/catalog/create",
                &[("org", ORG), ("name", kind), ("kind", kind)],
            )
            .await
            .to_string()
    }
}

/// The `?notice=` of the page a form post is sent back to, decoded.
fn notice(response: &reqwest::Response) -> String {
    let location = response.headers()["location"].to_str().unwrap();
    let encoded = location.split("notice=").nth(1).unwrap_or_default();
    percent_encoding::percent_decode_str(encoded)
        .decode_utf8()
        .unwrap()
        .into_owned()
}

fn decide<'a>(id: &'a str, verdict: &'a str) -> [(&'a str, &'a str); 4] {
    [
        ("org", ORG),
        ("request_id", id),
        ("verdict", verdict),
        ("comment", "ok"),
    ]
}

#[tokio::test]
async fn approved_time_bound_access_is_granted_then_taken_away_when_it_ends() {
    let w = world(50).await;
    let id = w.submit("60").await;
    assert_eq!(w.status(&id).await, "pending");
    assert!(!w.is_member().await);

    // The manager (a requester in Lanyard, the target's manager in JumpCloud) approves.
    w.manager
        .call_ok("/api/requests/decide", &decide(&id, "approve"))
        .await;
    w.wait_for(&id, "active").await;
    assert!(w.is_member().await, "JumpCloud has the membership");

    // An hour later the worker takes it away, and JumpCloud confirms.
    w.advance_clock(3_601).await;
    w.wait_for(&id, "revoked").await;
    assert!(
        !w.is_member().await,
        "the membership is gone from JumpCloud"
    );
    // Nothing re-adds it.
    tokio::time::sleep(Duration::from_millis(300)).await;
    assert!(!w.is_member().await);
}

#[tokio::test]
async fn requesters_cannot_approve_their_own_requests_and_late_decisions_are_refused() {
    let w = world(50).await;
    let id = w.submit("480").await;
    let own = w
        .requester
        .call("/api/requests/decide", &decide(&id, "approve"))
        .await;
    assert_eq!(own.status(), 400);
    assert!(own.text().await.unwrap().contains("your own request"));

    // The target's manager, made a read-only auditor, cannot decide either.
    w.set_manager_role("auditor").await;
    let auditor = w
        .manager
        .call("/api/requests/decide", &decide(&id, "approve"))
        .await;
    assert_eq!(auditor.status(), 403);
    assert_eq!(w.status(&id).await, "pending");
    w.set_manager_role("requester").await;

    w.approver
        .call_ok("/api/requests/decide", &decide(&id, "deny"))
        .await;
    assert_eq!(w.status(&id).await, "denied");
    let late = w
        .manager
        .call("/api/requests/decide", &decide(&id, "approve"))
        .await;
    assert_eq!(late.status(), 409);
    let body = late.text().await.unwrap();
    assert!(
        body.contains("already decided by approver@example.com"),
        "{body}"
    );
    assert!(!w.is_member().await);

    // A requester may take back a request nobody has decided yet.
    let cancelled = w.submit("60").await;
    w.requester
        .call_ok(
            "/api/requests/cancel",
            &[("org", ORG), ("request_id", &cancelled)],
        )
        .await;
    assert_eq!(w.status(&cancelled).await, "cancelled");
}

#[tokio::test]
async fn two_simultaneous_approvals_of_a_one_of_many_request_make_one_change() {
    let w = world(50).await;
    let id = w.submit("60").await;
    w.sim.record_exchanges();
    let approve = decide(&id, "approve");
    let (first, second) = tokio::join!(
        w.manager.call("/api/requests/decide", &approve),
        w.approver.call("/api/requests/decide", &approve),
    );
    let statuses = [first.status().as_u16(), second.status().as_u16()];
    assert!(
        statuses.contains(&200) && statuses.contains(&409),
        "{statuses:?}"
    );
    w.wait_for(&id, "active").await;
    let db = w.app.db().await;
    let jobs: i64 = app::on_db!(&db, |pool| sqlx::query_scalar(
        "SELECT COUNT(*) FROM jobs WHERE request_id = $1"
    )
    .bind(id.parse::<i64>().unwrap())
    .fetch_one(pool)
    .await)
    .unwrap();
    assert_eq!(jobs, 1);
    let adds = w
        .sim
        .exchanges()
        .iter()
        .filter(|exchange| exchange.method == "POST" && exchange.path.ends_with("/members"))
        .count();
    assert_eq!(adds, 1, "one membership write");
}

#[tokio::test]
async fn a_jumpcloud_outage_is_retried_and_a_permanent_error_fails_until_retried() {
    let w = world(50).await;
    w.sim.record_exchanges();

    // A burst of 503s: retried with backoff, then done.
    let id = w.submit("60").await;
    w.sim.fail_next(2, Failure::status(503));
    // An org approver decides without any JumpCloud call, so the faults meet the worker.
    w.approver
        .call_ok("/api/requests/decide", &decide(&id, "approve"))
        .await;
    w.wait_for(&id, "active").await;
    assert!(w.is_member().await);

    // A second request for access already held is refused.
    let again = w
        .requester
        .call(
            "/api/requests/submit",
            &[
                ("org", ORG),
                ("item_id", &w.item_id),
                ("duration_minutes", "60"),
                ("justification", "again"),
            ],
        )
        .await;
    assert_eq!(again.status(), 409);
    // An admin ends it early: gone from JumpCloud.
    w.change_grants(&[&id], "revoke", None).await;
    w.wait_for(&id, "revoked").await;
    assert!(!w.is_member().await);

    // A refusal JumpCloud will repeat: failed, with its message, until an admin retries.
    let other = w.submit("480").await;
    w.sim.fail_next(1, Failure::status(400));
    w.approver
        .call_ok("/api/requests/decide", &decide(&other, "approve"))
        .await;
    w.wait_for(&other, "failed").await;
    let list = w
        .app
        .call_ok("/api/requests/list", &[("org", ORG), ("status", "failed")])
        .await;
    assert!(!list[0]["last_error"].is_null(), "{list}");
    assert!(!w.is_member().await);
    w.app
        .call_ok(
            "/api/requests/retry",
            &[("org", ORG), ("request_id", &other)],
        )
        .await;
    w.wait_for(&other, "active").await;
    assert!(w.is_member().await);
}

#[tokio::test]
async fn a_worker_that_dies_after_the_jumpcloud_call_never_makes_the_change_twice() {
    // The app's own worker only wakes when notified, so this test can play a worker
    // that claims the job, makes the change in JumpCloud, and dies before recording it.
    let w = world(60_000).await;
    let id = w.submit("60").await;
    let db = w.app.db().await;
    // Approving wakes the app's worker, which would win a race for the job; so the
    // first attempt fails, and the requeued job is claimed here before anyone wakes it.
    w.sim.fail_next(1, Failure::status(400));
    w.approver
        .call_ok("/api/requests/decide", &decide(&id, "approve"))
        .await;
    w.wait_for(&id, "failed").await;
    // A "dying" worker claims the requeued job...
    app::requests::jobs::requeue_failed(&db, id.parse().unwrap(), 0)
        .await
        .unwrap();
    app::requests::store::transition(&db, id.parse().unwrap(), "failed", "approved")
        .await
        .unwrap();
    let now = i64::try_from(
        std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .unwrap()
            .as_secs(),
    )
    .unwrap();
    let claimed = app::requests::jobs::claim(&db, "dying-worker", now)
        .await
        .unwrap();
    assert!(claimed.is_some());
    // ...makes the change in JumpCloud, and dies before committing.
    w.jumpcloud
        .set_user_group_member(&w.group_id, GraphOp::Add, &w.requester_user.id)
        .await
        .unwrap();
    w.sim.record_exchanges();
    // After the lease, the app's worker takes the job over and only records it.
    w.advance_clock(app::requests::jobs::LEASE_SECONDS + 1)
        .await;
    w.wait_for(&id, "active").await;
    assert!(w.is_member().await);
    let writes = w
        .sim
        .exchanges()
        .iter()
        .filter(|exchange| exchange.method == "POST" && exchange.path.ends_with("/members"))
        .count();
    assert_eq!(writes, 0, "the membership was not added a second time");
}

#[tokio::test]
async fn extensions_move_the_end_reminders_come_once_and_admins_renew_or_revoke() {
    let w = world(50).await;
    let id = w.submit("60").await;
    w.approver
        .call_ok("/api/requests/decide", &decide(&id, "approve"))
        .await;
    w.wait_for(&id, "active").await;
    let first_end = w.view(&id).await["ends_at"].as_i64().unwrap();

    // The requester asks for 8 more hours; a second ask while it waits is refused.
    let extend = |minutes: &'static str| {
        let id = id.clone();
        let requester = &w.requester;
        async move {
            requester
                .call(
                    "/api/requests/extend",
                    &[
                        ("org", ORG),
                        ("request_id", id.as_str()),
                        ("duration_minutes", minutes),
                        ("justification", "the incident is not over"),
                    ],
                )
                .await
        }
    };
    let extension = json(extend("480").await).await.to_string();
    assert_eq!(extend("480").await.status(), 409);
    w.approver
        .call_ok("/api/requests/decide", &decide(&extension, "approve"))
        .await;
    assert_eq!(w.status(&extension).await, "done");
    let extended_end = w.view(&id).await["ends_at"].as_i64().unwrap();
    assert_eq!(extended_end, first_end + 480 * 60);
    // The history page tells the story.
    let history = w
        .requester
        .page_text(&format!("/o/{ORG}/requests/{id}"))
        .await;
    assert!(history.contains("Extensions"), "{history}");
    assert!(history.contains(&format!("extends #{id}")), "{history}");

    // Close to the end, the requester is reminded once, however many sweeps run.
    w.advance_clock(extended_end - first_end + 3600 - 600).await;
    let db = w.app.db().await;
    let reminders = || async {
        let count: i64 = match &db {
            app::db::Db::Sqlite(pool) => {
                sqlx::query_scalar("SELECT COUNT(*) FROM notifications WHERE kind = 'grant.ending'")
                    .fetch_one(pool)
                    .await
                    .unwrap()
            }
            app::db::Db::Postgres(pool) => {
                sqlx::query_scalar("SELECT COUNT(*) FROM notifications WHERE kind = 'grant.ending'")
                    .fetch_one(pool)
                    .await
                    .unwrap()
            }
        };
        count
    };
    for _ in 0..100 {
        if reminders().await > 0 {
            break;
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    w.advance_clock(1).await;
    tokio::time::sleep(Duration::from_millis(300)).await;
    assert_eq!(reminders().await, 1);
    let page = w.requester.page_text(&format!("/o/{ORG}/requests")).await;
    assert!(page.contains("ends soon"), "{page}");

    // An admin renews it by a day, then revokes it early.
    let renewed = w.change_grants(&[&id], "renew", Some("1440")).await;
    assert!(renewed.starts_with("Renewed 1 grant"), "{renewed}");
    assert!(w.view(&id).await["ends_at"].as_i64().unwrap() > extended_end);
    let revoked = w.change_grants(&[&id], "revoke", None).await;
    assert!(revoked.starts_with("Revoking 1 grant"), "{revoked}");
    w.wait_for(&id, "revoked").await;
    assert!(!w.is_member().await);
    // Nothing to renew any more: said, not done.
    let late = w.change_grants(&[&id], "renew", Some("60")).await;
    assert!(late.contains("Not active"), "{late}");
}

#[tokio::test]
async fn bulk_decisions_decide_each_ticked_request_and_say_which_were_not() {
    let w = world(50).await;
    let second_item = w.other_group_item("Second group").await;
    let first = w.submit("60").await;
    let second = w.submit_for(&second_item, "both").await;
    // One of them was decided a moment earlier by someone else.
    w.app
        .call_ok("/api/requests/decide", &decide(&second, "deny"))
        .await;
    let response = w
        .approver
        .call(
            "/api/requests/decide-many",
            &[
                ("org", ORG),
                ("request_ids[0]", first.as_str()),
                ("request_ids[1]", second.as_str()),
                ("verdict", "approve"),
                ("comment", "quarterly access"),
            ],
        )
        .await;
    assert!(response.status().is_success());
    let said = notice(&response);
    assert!(said.starts_with("1 request(s) approved."), "{said}");
    assert!(
        said.contains(&format!("#{second}")) && said.contains("already decided by"),
        "{said}"
    );
    w.wait_for(&first, "active").await;
    assert_eq!(w.status(&second).await, "denied");
    // A row's own button decides that row only.
    let third = w.submit_for(&second_item, "asking again").await;
    assert_eq!(w.status(&third).await, "pending");
    let one = w
        .approver
        .call(
            "/api/requests/decide-many",
            &[("org", ORG), ("verdict", &format!("deny:{third}"))],
        )
        .await;
    assert!(one.status().is_success());
    assert_eq!(w.status(&third).await, "denied");
}

#[tokio::test]
async fn a_joiner_is_created_once_and_a_leaver_loses_groups_grants_and_device_access() {
    let w = world(50).await;
    w.sim.record_exchanges();

    // Joiner: asked by a requester, approved by the manager's stand-in, created staged once.
    let joiner_item = w.action_item("joiner").await;
    let ask_joiner = [
        ("org", ORG),
        ("item_id", joiner_item.as_str()),
        ("justification", "starts Monday"),
        ("email", "new.hire@example.com"),
        ("firstname", "New"),
        ("lastname", "Hire"),
        ("department", "Engineering"),
    ];
    let joiner = w
        .requester
        .call_ok("/api/requests/submit-action", &ask_joiner)
        .await
        .to_string();
    assert_eq!(
        w.requester
            .call("/api/requests/submit-action", &ask_joiner)
            .await
            .status(),
        409,
        "the same joiner twice"
    );
    // Nobody approves their own request, even for someone else.
    let own = w
        .requester
        .call("/api/requests/decide", &decide(&joiner, "approve"))
        .await;
    assert!(own.status().is_client_error());
    w.approver
        .call_ok("/api/requests/decide", &decide(&joiner, "approve"))
        .await;
    w.wait_for(&joiner, "done").await;
    let created = w
        .jumpcloud
        .find_users_by_email("new.hire@example.com")
        .await
        .unwrap();
    assert_eq!(created.len(), 1);
    assert_eq!(created[0].state, Some(jumpcloud::users::UserState::Staged));
    assert_eq!(created[0].department.as_deref(), Some("Engineering"));
    let creations = w
        .sim
        .exchanges()
        .iter()
        .filter(|exchange| exchange.method == "POST" && exchange.path == "/api/systemusers")
        .count();
    assert_eq!(creations, 1);

    // The requester holds a grant and is bound to a Windows or Linux device.
    let grant = w.submit("60").await;
    w.approver
        .call_ok("/api/requests/decide", &decide(&grant, "approve"))
        .await;
    w.wait_for(&grant, "active").await;
    let systems = w.jumpcloud.list_all_systems(&mut |_, _| {}).await.unwrap();
    let device = systems
        .iter()
        .find(|system| matches!(system.os_family.as_deref(), Some("windows" | "linux")))
        .unwrap();
    w.jumpcloud
        .set_system_association(
            &device.id,
            GraphOp::Add,
            jumpcloud::graph::GraphType::User,
            &w.requester_user.id,
        )
        .await
        .ok();
    let other = w.other_group_item("Other group").await;
    let pending = w.submit_for(&other, "pending when they leave").await;

    // Leaver, asked by the approver about the requester, approved by the admin.
    let leaver_item = w.action_item("leaver").await;
    let leaver = w
        .approver
        .call_ok(
            "/api/requests/submit-action",
            &[
                ("org", ORG),
                ("item_id", leaver_item.as_str()),
                ("justification", "last day"),
                ("target", w.requester_user.email.as_str()),
                ("lock_devices", "on"),
            ],
        )
        .await
        .to_string();
    w.sim.clear_exchanges();
    w.app
        .call_ok("/api/requests/decide", &decide(&leaver, "approve"))
        .await;
    w.wait_for(&leaver, "done").await;
    let user = w.jumpcloud.get_user(&w.requester_user.id).await.unwrap();
    assert_eq!(user.state, Some(jumpcloud::users::UserState::Suspended));
    let direct: Vec<_> = w
        .jumpcloud
        .list_user_member_of(&w.requester_user.id)
        .await
        .unwrap()
        .into_iter()
        .filter(|group| group.paths.iter().any(|path| path.len() == 1))
        .collect();
    assert!(direct.is_empty(), "still in {direct:?}");
    w.wait_for(&grant, "revoked").await;
    assert_eq!(w.status(&pending).await, "cancelled");
    let locks = w
        .sim
        .exchanges()
        .iter()
        .filter(|exchange| {
            exchange.path == format!("/api/systems/{}/command/builtin/lock", device.id)
        })
        .count();
    assert_eq!(locks, 1, "the device was locked once");
    let outcome = w.view(&leaver).await["outcome"]
        .as_str()
        .unwrap()
        .to_string();
    assert!(
        outcome.contains("suspended") && outcome.contains("locked 1"),
        "{outcome}"
    );
}

impl World {
    /// A catalog item for a group the requester is not in, other than the world's.
    async fn other_group_item(&self, name: &str) -> String {
        let other_group = self
            .jumpcloud
            .list_all_user_groups(&mut |_, _| {})
            .await
            .unwrap()
            .into_iter()
            .find(|group| group.id != self.group_id)
            .unwrap();
        self.jumpcloud
            .set_user_group_member(&other_group.id, GraphOp::Remove, &self.requester_user.id)
            .await
            .ok();
        self.app
            .call_ok(
                "/api/requests/catalog/create",
                &[
                    ("org", ORG),
                    ("name", name),
                    ("jumpcloud_group_id", other_group.id.as_str()),
                    ("durations", "60"),
                ],
            )
            .await
            .to_string()
    }

    /// The requester asks for an hour of an item; the request's id.
    async fn submit_for(&self, item: &str, why: &str) -> String {
        self.requester
            .call_ok(
                "/api/requests/submit",
                &[
                    ("org", ORG),
                    ("item_id", item),
                    ("duration_minutes", "60"),
                    ("justification", why),
                ],
            )
            .await
            .to_string()
    }
}

#[tokio::test]
async fn catalog_rules_decide_who_may_request_and_group_owners_approve() {
    let w = world(50).await;
    let create = |fields: Vec<(&'static str, String)>| {
        let app = &w.app;
        async move {
            let mut form: Vec<(&str, &str)> = vec![("org", ORG)];
            form.extend(fields.iter().map(|(key, value)| (*key, value.as_str())));
            app.call("/api/requests/catalog/create", &form).await
        }
    };
    let group = w.group_id.clone();
    // Bad input is refused with a reason and stores nothing.
    let bad = create(vec![
        ("name", "Typo".into()),
        ("jumpcloud_group_id", group.clone()),
        ("durations", "60,abc".into()),
    ])
    .await;
    assert_eq!(bad.status(), 400);
    let said = bad.text().await.unwrap();
    assert!(
        said.contains("abc") && said.contains("is not a number of minutes"),
        "{said}"
    );

    // Open to one department the requester is not in: not offered, and refused.
    let closed = json(
        create(vec![
            ("name", "Finance only".into()),
            ("jumpcloud_group_id", group.clone()),
            ("durations", "60".into()),
            ("departments", "No Such Department".into()),
        ])
        .await,
    )
    .await
    .to_string();
    let page = w.requester.page_text(&format!("/o/{ORG}/requests")).await;
    assert!(
        !page.contains("Request Finance only"),
        "offered to an outsider"
    );
    let refused = w
        .requester
        .call(
            "/api/requests/submit",
            &[
                ("org", ORG),
                ("item_id", &closed),
                ("duration_minutes", "60"),
                ("justification", "please"),
            ],
        )
        .await;
    assert_eq!(refused.status(), 403);

    // Open to the requester's department, decided by the group's named owner only.
    let department = w.requester_user.department.clone().unwrap_or_default();
    let policy =
        r#"{"steps": [{"name": "Owner", "approvers": [{"kind": "group_owner"}], "required": 1}]}"#;
    let owned = json(
        create(vec![
            ("name", "Owned group".into()),
            ("jumpcloud_group_id", group.clone()),
            ("durations", "60".into()),
            ("departments", department),
            ("owners", "owner@example.com".into()),
            ("policy", policy.into()),
        ])
        .await,
    )
    .await
    .to_string();
    let owner = person(&w.app, "owner@example.com", "requester").await;
    let id = w.submit_for(&owned, "owner decides").await;
    let not_owner = w
        .approver
        .call("/api/requests/decide", &decide(&id, "approve"))
        .await;
    assert_eq!(not_owner.status(), 403);
    let page = owner.page_text(&format!("/o/{ORG}/requests")).await;
    let inbox = page
        .split(r#"aria-label="Waiting for your decision""#)
        .nth(1)
        .unwrap_or_default();
    assert!(
        inbox.contains("Owned group"),
        "the owner's inbox lists it: {page}"
    );
    owner
        .call_ok("/api/requests/decide", &decide(&id, "approve"))
        .await;
    w.wait_for(&id, "active").await;
    assert!(w.is_member().await);
}

#[tokio::test]
async fn a_device_erase_cut_off_mid_send_waits_for_a_person_then_goes_once() {
    let w = world(50).await;
    let erase = w.action_item("device_erase").await;
    let device = w
        .jumpcloud
        .list_all_systems(&mut |_, _| {})
        .await
        .unwrap()
        .into_iter()
        .find(|system| matches!(system.os_family.as_deref(), Some("windows" | "linux")))
        .unwrap();
    let id = w
        .requester
        .call_ok(
            "/api/requests/submit-action",
            &[
                ("org", ORG),
                ("item_id", erase.as_str()),
                ("justification", "stolen laptop"),
                ("device", device.id.as_str()),
            ],
        )
        .await
        .to_string();
    // As if an earlier attempt had marked the erase as going out and then died.
    let db = w.app.db().await;
    let row = app::requests::store::request_by_id(&db, id.parse().unwrap())
        .await
        .unwrap()
        .unwrap();
    let mut details = row.details();
    details.sending_since = Some(1);
    app::requests::store::set_progress(&db, row.id, &details, None)
        .await
        .unwrap();
    w.sim.record_exchanges();
    w.approver
        .call_ok("/api/requests/decide", &decide(&id, "approve"))
        .await;
    w.wait_for(&id, "failed").await;
    let erase_path = format!("/api/systems/{}/command/builtin/erase", device.id);
    let erases = || {
        w.sim
            .exchanges()
            .iter()
            .filter(|exchange| exchange.path == erase_path)
            .count()
    };
    assert_eq!(erases(), 0, "nothing is resent on a guess");
    assert!(
        w.view(&id).await["last_error"]
            .as_str()
            .unwrap()
            .contains("Check the device's command results")
    );
    // An admin who checked the device sends it again: once.
    w.app
        .call_ok("/api/requests/retry", &[("org", ORG), ("request_id", &id)])
        .await;
    w.wait_for(&id, "done").await;
    assert_eq!(erases(), 1);
}

/// Debian's `aiosmtpd` on a free loopback port, keeping what it receives in a maildir.
struct SmtpSink {
    process: std::process::Child,
    port: u16,
    maildir: tempfile::TempDir,
}

impl SmtpSink {
    fn start() -> SmtpSink {
        let port = std::net::TcpListener::bind("127.0.0.1:0")
            .unwrap()
            .local_addr()
            .unwrap()
            .port();
        let maildir = tempfile::tempdir().unwrap();
        let process = std::process::Command::new("/usr/bin/aiosmtpd")
            .args(["-n", "-l", &format!("127.0.0.1:{port}"), "-c"])
            .arg("aiosmtpd.handlers.Mailbox")
            .arg(maildir.path().join("box"))
            .stdout(std::process::Stdio::null())
            .stderr(std::process::Stdio::null())
            .spawn()
            .unwrap_or_else(|error| {
                panic!("Debian's python3-aiosmtpd is needed (scripts/test installs it): {error}")
            });
        // Owned from here: dropping the sink (also on a panic) stops the process.
        let sink = SmtpSink {
            process,
            port,
            maildir,
        };
        for _ in 0..100 {
            if std::net::TcpStream::connect(("127.0.0.1", port)).is_ok() {
                return sink;
            }
            std::thread::sleep(Duration::from_millis(50));
        }
        panic!("aiosmtpd did not start");
    }

    /// Every message received so far, whole.
    fn messages(&self) -> Vec<String> {
        let new = self.maildir.path().join("box").join("new");
        std::fs::read_dir(new)
            .map(|entries| {
                entries
                    .filter_map(|entry| std::fs::read_to_string(entry.ok()?.path()).ok())
                    .collect()
            })
            .unwrap_or_default()
    }

    fn stop(&mut self) {
        let _ = self.process.kill();
        let _ = self.process.wait();
    }
}

impl Drop for SmtpSink {
    fn drop(&mut self) {
        self.stop();
    }
}

/// A webhook receiver on loopback: what was posted to it, as JSON.
async fn webhook_receiver() -> (
    String,
    std::sync::Arc<std::sync::Mutex<Vec<serde_json::Value>>>,
) {
    let received = std::sync::Arc::new(std::sync::Mutex::new(Vec::new()));
    let kept = received.clone();
    let app = axum::Router::new().route(
        "/hook",
        axum::routing::post(move |axum::Json(body): axum::Json<serde_json::Value>| {
            let kept = kept.clone();
            async move {
                kept.lock().unwrap().push(body);
                "ok"
            }
        }),
    );
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let url = format!("http://{}/hook", listener.local_addr().unwrap());
    tokio::spawn(async move { axum::serve(listener, app).await.unwrap() });
    (url, received)
}

async fn wait_until(what: &str, mut done: impl FnMut() -> bool) {
    for _ in 0..200 {
        if done() {
            return;
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    panic!("never happened: {what}");
}

#[tokio::test]
async fn approvers_and_requesters_hear_by_email_and_webhook_and_a_dead_smtp_server_blocks_nothing()
{
    let mut sink = SmtpSink::start();
    let port = sink.port;
    let w = world_with(|settings| {
        settings.worker_interval_ms = 50;
        settings.smtp.host = Some("127.0.0.1".into());
        settings.smtp.port = Some(port);
        settings.smtp.tls = server::config::SmtpTls::None;
        settings.smtp.from = "Lanyard <lanyard@example.com>".into();
        settings.public_url = Some("http://lanyard.example".parse().unwrap());
    })
    .await;
    let (hook, posted) = webhook_receiver().await;
    w.app
        .call_ok(
            "/api/notifications/settings/save",
            &[
                ("org", ORG),
                ("email", "on"),
                ("webhook_url", hook.as_str()),
                ("webhook_format", "json"),
            ],
        )
        .await;

    // The settings page renders them without JavaScript.
    let manage = w.app.page_text(&format!("/o/{ORG}/requests/manage")).await;
    assert!(manage.contains(&hook), "{manage}");

    // Asked: the approvers hear of it (the org approver and the JumpCloud manager).
    let id = w.submit("60").await;
    wait_until("the approver's email", || {
        sink.messages().iter().any(|message| {
            message.contains("X-RcptTo: approver@example.com") && message.contains("your decision")
        })
    })
    .await;
    assert!(
        sink.messages()
            .iter()
            .any(|message| message.contains(&format!("X-RcptTo: {}", w.manager_email))),
        "the manager was told too"
    );
    wait_until("the webhook", || {
        posted
            .lock()
            .unwrap()
            .iter()
            .any(|body| body["kind"] == "request.asked")
    })
    .await;
    let link = posted.lock().unwrap()[0]["link"]
        .as_str()
        .unwrap()
        .to_string();
    assert_eq!(link, format!("http://lanyard.example/o/{ORG}/requests"));

    // Decided: the requester hears of it.
    w.approver
        .call_ok("/api/requests/decide", &decide(&id, "approve"))
        .await;
    let requester = w.requester_user.email.clone();
    wait_until("the requester's email", || {
        sink.messages().iter().any(|message| {
            message.contains(&format!("X-RcptTo: {requester}")) && message.contains("approved")
        })
    })
    .await;
    w.wait_for(&id, "active").await;

    // The SMTP server goes away: the next request is still decided and carried out; its
    // notification is retried, then failed with the error, and nothing else is lost.
    sink.stop();
    w.change_grants(&[&id], "revoke", None).await;
    w.wait_for(&id, "revoked").await;
    let second = w.submit("480").await;
    w.approver
        .call_ok("/api/requests/decide", &decide(&second, "approve"))
        .await;
    w.wait_for(&second, "active").await;
    let db = w.app.db().await;
    let delivery = || async {
        let key = format!("request.approved:{second}");
        app::on_db!(&db, |pool| {
            sqlx::query_as::<_, (String, i64, Option<String>, Option<String>)>(
            "SELECT status, attempts, last_error, webhook_result FROM notifications WHERE dedupe_key = $1"
        )
        .bind(&key)
        .fetch_one(pool)
        .await
        .unwrap()
        })
    };
    for _ in 0..40 {
        if delivery().await.0 == "failed" {
            break;
        }
        // Move past the backoff to the next attempt.
        w.advance_clock(600).await;
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    let (status, attempts, error, webhook) = delivery().await;
    assert_eq!(status, "failed");
    assert_eq!(attempts, app::notifications::MAX_ATTEMPTS);
    assert!(error.unwrap_or_default().contains("SMTP"));
    assert_eq!(
        webhook.as_deref(),
        Some("sent"),
        "the webhook was delivered once, not retried"
    );
    assert_eq!(
        posted
            .lock()
            .unwrap()
            .iter()
            .filter(|body| body["subject"]
                .as_str()
                .unwrap_or_default()
                .contains(&format!("#{second} ")))
            .count(),
        1
    );
}

#[tokio::test]
async fn an_access_review_keeps_or_revokes_each_membership_through_the_request_engine() {
    let w = world(50).await;
    w.jumpcloud
        .set_user_group_member(&w.group_id, GraphOp::Add, &w.requester_user.id)
        .await
        .unwrap();
    let started = w
        .app
        .call(
            "/api/reviews/start",
            &[
                ("org", ORG),
                ("name", "Q4 review"),
                ("group_ids[0]", w.group_id.as_str()),
                ("reviewers", "approver@example.com"),
                ("due_days", "14"),
            ],
        )
        .await;
    let review = json(started).await.to_string();
    let detail = w
        .approver
        .call_ok("/api/reviews/detail", &[("org", ORG), ("id", &review)])
        .await;
    let items = detail["items"].as_array().unwrap();
    assert!(
        items
            .iter()
            .all(|item| item["reviewer"] == "approver@example.com")
    );
    let item_of = |email: &str| {
        items
            .iter()
            .find(|item| item["user_email"] == email)
            .map(|item| item["id"].to_string())
            .unwrap()
    };
    let member = item_of(&w.requester_user.email);
    // Someone who is not the reviewer (nor an admin) cannot see or decide it.
    let outsider = w
        .requester
        .call("/api/reviews/detail", &[("org", ORG), ("id", &review)])
        .await;
    assert_eq!(outsider.status(), 404);
    let outsider = w
        .requester
        .call(
            "/api/reviews/decide",
            &[("org", ORG), ("item_id", &member), ("decision", "keep")],
        )
        .await;
    assert_eq!(outsider.status(), 404);

    let revoke = [
        ("org", ORG),
        ("item_id", member.as_str()),
        ("decision", "revoke"),
        ("note", "left the project"),
    ];
    w.approver.call_ok("/api/reviews/decide", &revoke).await;
    assert_eq!(
        w.approver
            .call("/api/reviews/decide", &revoke)
            .await
            .status(),
        409,
        "decided once"
    );
    for _ in 0..100 {
        if !w.is_member().await {
            break;
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    assert!(!w.is_member().await, "the revoke removed the membership");
    // The item as the reviewer's page shows it, with its summary.
    let reviewed = || async {
        let detail = w
            .approver
            .call_ok("/api/reviews/detail", &[("org", ORG), ("id", &review)])
            .await;
        let item = detail["items"]
            .as_array()
            .unwrap()
            .iter()
            .find(|item| {
                item["id"].as_i64().map(|id| id.to_string()).as_deref() == Some(member.as_str())
            })
            .unwrap()
            .clone();
        (item, detail["summary"].clone())
    };
    let (decided, summary) = reviewed().await;
    assert_eq!(decided["decision"], "revoke");
    assert_eq!(summary["decided"], 1);
    for _ in 0..100 {
        if reviewed().await.0["request_status"] == "revoked" {
            break;
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    }

    let report = w
        .app
        .get_page(&format!("/o/{ORG}/reviews/{review}/report.csv"))
        .await;
    assert_eq!(report.status(), 200);
    let csv = report.text().await.unwrap();
    assert!(
        csv.starts_with("group,member,reviewer,decision,note"),
        "{csv}"
    );
    assert!(
        csv.lines()
            .any(|line| line.contains(&w.requester_user.email)
                && line.contains("revoke")
                && line.contains("left the project")
                && line.contains("revoked")),
        "{csv}"
    );
}

#[tokio::test]
async fn jumpcloud_approval_flow_requests_are_decided_from_the_inbox_once() {
    let w = world(50).await;
    let pending: Vec<_> = w
        .jumpcloud
        .list_access_requests()
        .await
        .unwrap()
        .into_iter()
        .filter(|request| request.status == jumpcloud::approval_flows::RequestStatus::Pending)
        .collect();
    let first = pending
        .first()
        .expect("the simulator seeds pending requests");
    let page = w.approver.page_text(&format!("/o/{ORG}/requests")).await;
    assert!(page.contains("JumpCloud access requests"), "{page}");
    let form = |verdict: &'static str| {
        [
            ("org", ORG),
            ("id", first.id.as_str()),
            ("verdict", verdict),
            ("comment", "fine for a day"),
        ]
    };
    let endpoint = "/api/requests/jumpcloud/decide";
    // Requesters do not decide JumpCloud's requests.
    assert_eq!(
        w.requester.call(endpoint, &form("approve")).await.status(),
        403
    );
    assert!(
        w.approver
            .call(endpoint, &form("approve"))
            .await
            .status()
            .is_success()
    );
    let decided = w.jumpcloud.get_access_request(&first.id).await.unwrap();
    assert_eq!(
        decided.status,
        jumpcloud::approval_flows::RequestStatus::Approved
    );
    assert_eq!(decided.updated_by.as_deref(), Some("approver@example.com"));
    let again = w.approver.call(endpoint, &form("deny")).await;
    assert_eq!(again.status(), 409);
    assert!(again.text().await.unwrap().contains("already decided by"));
}

impl World {
    /// Two user groups, other than the world's, emptied of the requester.
    async fn two_other_groups(
        &self,
    ) -> (jumpcloud::groups::UserGroup, jumpcloud::groups::UserGroup) {
        let mut groups = self
            .jumpcloud
            .list_all_user_groups(&mut |_, _| {})
            .await
            .unwrap()
            .into_iter()
            .filter(|group| group.id != self.group_id);
        (groups.next().unwrap(), groups.next().unwrap())
    }

    async fn save_rule(&self, department: &str, groups: &[&str]) -> reqwest::Response {
        let keys: Vec<String> = (0..groups.len()).map(|i| format!("groups[{i}]")).collect();
        let mut form: Vec<(&str, &str)> = vec![("org", ORG), ("department", department)];
        form.extend(keys.iter().map(String::as_str).zip(groups.iter().copied()));
        self.app.call("/api/requests/rules/save", &form).await
    }

    async fn direct_groups(&self, user_id: &str) -> Vec<String> {
        self.jumpcloud
            .list_user_member_of(user_id)
            .await
            .unwrap()
            .into_iter()
            .filter(|group| group.paths.iter().any(|path| path.len() == 1))
            .map(|group| group.id)
            .collect()
    }
}

/// `YYYY-MM-DD`, `days` from today (UTC).
fn day_from_today(days: i64) -> String {
    (chrono::Utc::now() + chrono::Duration::days(days))
        .format("%Y-%m-%d")
        .to_string()
}

#[tokio::test]
async fn a_joiner_gets_the_department_rules_groups_a_scheduled_activation_and_one_password() {
    let w = world(50).await;
    let (eng, wiki) = w.two_other_groups().await;
    // Bad rules change nothing.
    assert_eq!(w.save_rule("Engineering", &[]).await.status(), 400);
    assert_eq!(
        w.save_rule("Engineering", &["0123456789abcdef01234567"])
            .await
            .status(),
        400
    );
    assert_eq!(w.save_rule("  ", &[eng.id.as_str()]).await.status(), 400);
    let rule = w
        .save_rule("Engineering", &[eng.id.as_str(), wiki.id.as_str()])
        .await;
    assert!(rule.status().is_success());
    let manage = w.app.page_text(&format!("/o/{ORG}/requests/manage")).await;
    assert!(
        manage.contains("Department rules") && manage.contains(&eng.name),
        "rules listed"
    );

    let joiner_item = w.action_item("joiner").await;
    let start = day_from_today(10);
    let ask = |email: &'static str, start: String| {
        vec![
            ("org", ORG.to_string()),
            ("item_id", joiner_item.clone()),
            ("justification", "starts soon".to_string()),
            ("email", email.to_string()),
            ("firstname", "Eng".to_string()),
            ("lastname", "Hire".to_string()),
            ("department", "engineering".to_string()),
            ("start_date", start),
        ]
    };
    let form = |pairs: &Vec<(&'static str, String)>| {
        pairs
            .iter()
            .map(|(key, value)| (*key, value.clone()))
            .collect::<Vec<_>>()
    };
    let past = form(&ask("late@example.com", day_from_today(-1)));
    let past: Vec<(&str, &str)> = past.iter().map(|(k, v)| (*k, v.as_str())).collect();
    assert_eq!(
        w.requester
            .call("/api/requests/submit-action", &past)
            .await
            .status(),
        400,
        "a start date in the past"
    );
    let good = form(&ask("eng.hire@example.com", start.clone()));
    let good: Vec<(&str, &str)> = good.iter().map(|(k, v)| (*k, v.as_str())).collect();
    let joiner = w
        .requester
        .call_ok("/api/requests/submit-action", &good)
        .await
        .to_string();
    let plan = w.view(&joiner).await["plan"].to_string();
    assert!(
        plan.contains(&eng.name) && plan.contains(&wiki.name) && plan.contains(&start),
        "the approver sees the groups and the start date: {plan}"
    );
    w.approver
        .call_ok("/api/requests/decide", &decide(&joiner, "approve"))
        .await;
    w.wait_for(&joiner, "done").await;

    let user = w
        .jumpcloud
        .find_users_by_email("eng.hire@example.com")
        .await
        .unwrap()
        .remove(0);
    assert_eq!(user.state, Some(jumpcloud::users::UserState::Staged));
    let mut groups = w.direct_groups(&user.id).await;
    groups.sort();
    let mut wanted = vec![eng.id.clone(), wiki.id.clone()];
    wanted.sort();
    assert_eq!(groups, wanted, "in the rule's groups");
    let scheduled = w.jumpcloud.list_scheduled_user_states().await.unwrap();
    let activation = scheduled
        .iter()
        .find(|job| job.user_id == user.id)
        .expect("activation scheduled");
    assert_eq!(
        activation.state,
        Some(jumpcloud::users::UserState::Activated)
    );
    assert!(
        activation
            .scheduled_date
            .as_deref()
            .unwrap_or_default()
            .starts_with(&start),
        "{:?}",
        activation.scheduled_date
    );
    let steps = w.view(&joiner).await["steps"].clone();
    let names: Vec<&str> = steps
        .as_array()
        .unwrap()
        .iter()
        .map(|step| step["name"].as_str().unwrap())
        .collect();
    assert_eq!(names, ["create", "groups", "activation"]);

    // The temporary password: only the approver who completed the request, only once.
    let issue = [("org", ORG), ("request_id", joiner.as_str())];
    assert_eq!(
        w.app
            .call("/api/requests/joiner-password", &issue)
            .await
            .status(),
        403,
        "an admin who did not approve it"
    );
    assert_eq!(
        w.requester
            .call("/api/requests/joiner-password", &issue)
            .await
            .status(),
        403
    );
    let issued = w
        .approver
        .call("/api/requests/joiner-password", &issue)
        .await;
    assert!(issued.status().is_success());
    let location = common::location(&issued);
    assert!(location.contains("?password="), "{location}");
    let page = w.approver.page_text(&location).await;
    let shown = page
        .split("data-testid=\"temporary-password\"")
        .nth(1)
        .and_then(|rest| rest.split('>').nth(1))
        .and_then(|rest| rest.split('<').next())
        .unwrap_or_else(|| panic!("no password on the page: {page}"))
        .to_string();
    assert!(shown.len() >= 16, "the password is shown: {shown:?}");
    let again = w.approver.page_text(&location).await;
    assert!(!again.contains(&shown), "shown once");
    assert!(again.contains("issued to approver@example.com"));
    assert_eq!(
        w.approver
            .call("/api/requests/joiner-password", &issue)
            .await
            .status(),
        409,
        "a second password"
    );
    let audit = w
        .app
        .page_text(&format!("/o/{ORG}/audit?action=joiner.password_issued"))
        .await;
    assert!(audit.contains("joiner.password_issued") && !audit.contains(&shown));
}

#[tokio::test]
async fn a_department_change_shows_the_rules_diff_and_an_approved_mover_applies_it() {
    let w = world(50).await;
    let (eng, sales) = w.two_other_groups().await;
    assert!(
        w.save_rule("Engineering", &[eng.id.as_str()])
            .await
            .status()
            .is_success()
    );
    assert!(
        w.save_rule("Sales", &[sales.id.as_str()])
            .await
            .status()
            .is_success()
    );
    let user = &w.requester_user;
    for group in [&eng.id, &sales.id] {
        w.jumpcloud
            .set_user_group_member(group, GraphOp::Remove, &user.id)
            .await
            .ok();
    }
    w.jumpcloud
        .set_user_group_member(&sales.id, GraphOp::Add, &user.id)
        .await
        .unwrap();
    w.jumpcloud
        .update_user(
            &user.id,
            &jumpcloud::users::UserFields {
                department: Some("Sales".into()),
                ..Default::default()
            },
        )
        .await
        .unwrap();

    // Without a mover item the page says how to apply it; with one, it is asked for.
    let edit = [
        ("org", ORG),
        ("id", user.id.as_str()),
        ("firstname", user.firstname.as_deref().unwrap_or("First")),
        ("lastname", user.lastname.as_deref().unwrap_or("Last")),
        ("department", "Engineering"),
    ];
    let edited = w.app.call("/api/users/update", &edit).await;
    assert!(edited.status().is_success());
    let page_path = common::location(&edited);
    assert!(page_path.ends_with("?moved_from=Sales"), "{page_path}");
    let page = w.app.page_text(&page_path).await;
    assert!(
        page.contains("Moving from Sales to Engineering")
            && page.contains(&format!("add to {}", eng.name))
            && page.contains(&format!("remove from {}", sales.name)),
        "the diff is shown"
    );
    assert!(page.contains("item to the catalog"));
    let mover_item = w.action_item("mover").await;
    assert!(
        w.app
            .page_text(&page_path)
            .await
            .contains("Ask for these group changes")
    );
    let asked = w
        .app
        .call(
            "/api/requests/mover",
            &[
                ("org", ORG),
                ("user_id", user.id.as_str()),
                ("from", "Sales"),
            ],
        )
        .await;
    assert!(asked.status().is_success());
    let mover = common::location(&asked)
        .rsplit('/')
        .next()
        .unwrap()
        .to_string();
    assert_eq!(
        w.status(&mover).await,
        "pending",
        "nothing changes before approval"
    );
    assert!(w.direct_groups(&user.id).await.contains(&sales.id));
    w.approver
        .call_ok("/api/requests/decide", &decide(&mover, "approve"))
        .await;
    w.wait_for(&mover, "done").await;
    let groups = w.direct_groups(&user.id).await;
    assert!(
        groups.contains(&eng.id) && !groups.contains(&sales.id),
        "{groups:?}"
    );

    // Through the catalog: back to Sales, department and groups together.
    let back = w
        .approver
        .call_ok(
            "/api/requests/submit-action",
            &[
                ("org", ORG),
                ("item_id", mover_item.as_str()),
                ("justification", "back to sales"),
                ("target", user.email.as_str()),
                ("department", "Sales"),
            ],
        )
        .await
        .to_string();
    let plan = w.view(&back).await["plan"].to_string();
    assert!(plan.contains("Engineering → Sales"), "{plan}");
    w.app
        .call_ok("/api/requests/decide", &decide(&back, "approve"))
        .await;
    w.wait_for(&back, "done").await;
    let moved = w.jumpcloud.get_user(&user.id).await.unwrap();
    assert_eq!(moved.department.as_deref(), Some("Sales"));
    let groups = w.direct_groups(&user.id).await;
    assert!(
        groups.contains(&sales.id) && !groups.contains(&eng.id),
        "{groups:?}"
    );
}

#[tokio::test]
async fn a_leaver_records_each_step_retries_a_failed_one_alone_and_is_deleted_after_the_delay() {
    let w = world(50).await;
    let user = w.requester_user.clone();
    let systems = w.jumpcloud.list_all_systems(&mut |_, _| {}).await.unwrap();
    let device = systems
        .iter()
        .find(|system| system.os_family.as_deref() == Some("windows"))
        .unwrap();
    w.jumpcloud
        .set_system_association(
            &device.id,
            GraphOp::Add,
            jumpcloud::graph::GraphType::User,
            &user.id,
        )
        .await
        .ok();
    let lock_path = format!("/api/systems/{}/command/builtin/lock", device.id);
    w.sim.set_faults(jumpcloud::sim::Faults {
        failing_path: Some((lock_path.clone(), 400)),
        ..Default::default()
    });
    w.sim.record_exchanges();

    let leaver_item = w.action_item("leaver").await;
    let ask = |target: &str, days: &str| {
        vec![
            ("org", ORG.to_string()),
            ("item_id", leaver_item.clone()),
            ("justification", "last day".to_string()),
            ("target", target.to_string()),
            ("lock_devices", "on".to_string()),
            ("delete_after_days", days.to_string()),
        ]
    };
    let approver = &w.approver;
    let send = |pairs: Vec<(&'static str, String)>| async move {
        let form: Vec<(&str, &str)> = pairs.iter().map(|(k, v)| (*k, v.as_str())).collect();
        approver.call("/api/requests/submit-action", &form).await
    };
    assert_eq!(send(ask(&user.email, "0")).await.status(), 400, "zero days");
    assert_eq!(send(ask(&user.email, "soon")).await.status(), 400);
    let leaver = json(send(ask(&user.email, "30")).await).await.to_string();
    w.app
        .call_ok("/api/requests/decide", &decide(&leaver, "approve"))
        .await;
    w.wait_for(&leaver, "failed").await;
    let steps = |view: serde_json::Value| -> Vec<(String, String)> {
        view["steps"]
            .as_array()
            .unwrap()
            .iter()
            .map(|step| {
                (
                    step["name"].as_str().unwrap().to_string(),
                    step["status"].as_str().unwrap().to_string(),
                )
            })
            .collect()
    };
    let recorded = steps(w.view(&leaver).await);
    let expected = |devices: &str| {
        ["suspend", "groups", "requests", "devices", "deletion"]
            .into_iter()
            .map(|name| {
                let status = if name == "devices" { devices } else { "done" };
                (name.to_string(), status.to_string())
            })
            .collect::<Vec<_>>()
    };
    assert_eq!(recorded, expected("failed"), "the other steps went on");
    let suspended = w.jumpcloud.get_user(&user.id).await.unwrap();
    assert_eq!(
        suspended.state,
        Some(jumpcloud::users::UserState::Suspended)
    );
    assert!(w.direct_groups(&user.id).await.is_empty());
    let history = w
        .app
        .page_text(&format!("/o/{ORG}/requests/{leaver}"))
        .await;
    assert!(
        history.contains("Retry this step") && history.contains("Cancel the scheduled deletion")
    );

    // Only the failed step runs again.
    let admin = &w.app;
    let retry = |step: &'static str| {
        let leaver = leaver.clone();
        async move {
            admin
                .call(
                    "/api/requests/retry-step",
                    &[
                        ("org", ORG),
                        ("request_id", leaver.as_str()),
                        ("step", step),
                    ],
                )
                .await
                .status()
        }
    };
    assert_eq!(retry("suspend").await, 409, "a step that did not fail");
    w.sim.set_faults(jumpcloud::sim::Faults::default());
    w.sim.clear_exchanges();
    assert!(retry("devices").await.is_success());
    w.wait_for(&leaver, "done").await;
    assert_eq!(steps(w.view(&leaver).await), expected("done"));
    let exchanges = w.sim.exchanges();
    let calls_to = |path: &str| {
        exchanges
            .iter()
            .filter(|e| e.path.starts_with(path))
            .count()
    };
    assert_eq!(calls_to(&lock_path), 1, "the device locked once");
    assert_eq!(
        exchanges
            .iter()
            .filter(|e| e.method != "GET" && !e.path.starts_with(&lock_path))
            .count(),
        0,
        "no other write repeated: {:?}",
        exchanges
            .iter()
            .map(|e| format!("{} {}", e.method, e.path))
            .collect::<Vec<_>>()
    );

    // The deletion comes after 30 days, not before.
    w.advance_clock(29 * 86_400).await;
    tokio::time::sleep(Duration::from_millis(300)).await;
    assert!(
        w.jumpcloud.get_user(&user.id).await.is_ok(),
        "kept for 30 days"
    );
    w.advance_clock(86_400 + 60).await;
    let mut deleted = false;
    for _ in 0..100 {
        if matches!(
            w.jumpcloud.get_user(&user.id).await,
            Err(jumpcloud::Error::NotFound(_))
        ) {
            deleted = true;
            break;
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    assert!(deleted, "deleted after the delay");
    // The audit line follows JumpCloud's answer.
    let mut audited = false;
    for _ in 0..100 {
        let audit = w
            .app
            .page_text(&format!("/o/{ORG}/audit?action=request.user_deleted"))
            .await;
        if audit.contains(&user.username) {
            audited = true;
            break;
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    assert!(audited, "the deletion is audited");

    // A cancelled deletion never happens.
    let other = w
        .jumpcloud
        .list_all_users(&mut |_, _| {})
        .await
        .unwrap()
        .into_iter()
        .find(|other| {
            other.id != user.id && other.state == Some(jumpcloud::users::UserState::Activated)
        })
        .unwrap();
    let kept = json(send(ask(&other.email, "1")).await).await.to_string();
    w.app
        .call_ok("/api/requests/decide", &decide(&kept, "approve"))
        .await;
    w.wait_for(&kept, "done").await;
    w.app
        .call_ok(
            "/api/requests/cancel-deletion",
            &[("org", ORG), ("request_id", kept.as_str())],
        )
        .await;
    w.advance_clock(2 * 86_400).await;
    tokio::time::sleep(Duration::from_millis(300)).await;
    assert!(w.jumpcloud.get_user(&other.id).await.is_ok(), "kept");
}

/// How a page reads under a fault: its status and whether it explains itself.
async fn page_under_fault(w: &World, path: &str) -> (u16, String) {
    let response = w.app.get_page(path).await;
    let status = response.status().as_u16();
    let html = response.text().await.unwrap();
    let said = html
        .split("<h2>This page could not be loaded</h2><p>")
        .nth(1)
        .and_then(|rest| rest.split("</p>").next())
        .unwrap_or("")
        .to_string();
    (status, said)
}

#[tokio::test]
async fn a_faulty_jumpcloud_gets_clear_pages_and_loses_no_queued_work() {
    let w = world_with(|settings| {
        settings.worker_interval_ms = 50;
        settings.jumpcloud_timeout_seconds = 1;
    })
    .await;
    let users = format!("/o/{ORG}/users?refresh=1");
    let mut report = Vec::new();

    // A burst of 429s is waited out: the page loads.
    w.sim.fail_next(3, Failure::rate_limited(None));
    let (status, _) = page_under_fault(&w, &users).await;
    assert_eq!(status, 200, "a 429 burst is retried");
    report.push(format!("429 burst (3): page {status}"));

    // JumpCloud failing, silent, or answering garbage: the page says so, never a 500.
    let faults = [
        (
            "5xx on every call",
            jumpcloud::sim::Faults {
                error_rate: 1.0,
                ..Default::default()
            },
            "JumpCloud server error 500",
        ),
        (
            "no answer (timeout)",
            jumpcloud::sim::Faults {
                hang_path: Some("/api/systemusers".into()),
                ..Default::default()
            },
            "did not answer in time",
        ),
        (
            "malformed JSON",
            jumpcloud::sim::Faults {
                malformed_path: Some("/api/systemusers".into()),
                ..Default::default()
            },
            "unexpected response from JumpCloud",
        ),
    ];
    for (name, fault, expected) in faults {
        w.sim.set_faults(fault);
        let (status, said) = page_under_fault(&w, &users).await;
        assert!(
            (502..=504).contains(&status) && said.contains(expected),
            "{name}: {status} {said:?}"
        );
        report.push(format!("{name}: page {status} \"{said}\""));
    }

    // Approved work waits out an outage in the queue and is all carried out after it.
    w.sim.set_faults(jumpcloud::sim::Faults::default());
    let mut requests = Vec::new();
    for index in 0..4 {
        let item = w.other_group_item(&format!("Outage {index}")).await;
        requests.push(w.submit_for(&item, "before the outage").await);
    }
    w.sim.set_faults(jumpcloud::sim::Faults {
        error_rate: 1.0,
        ..Default::default()
    });
    for id in &requests {
        w.approver
            .call_ok("/api/requests/decide", &decide(id, "approve"))
            .await;
    }
    tokio::time::sleep(Duration::from_millis(500)).await;
    for id in &requests {
        assert_eq!(w.status(id).await, "approved", "#{id} waits in the queue");
    }
    w.sim.set_faults(jumpcloud::sim::Faults::default());
    // The retries' backoff is on the request clock.
    w.advance_clock(600).await;
    for id in &requests {
        w.wait_for(id, "active").await;
    }
    report.push(format!(
        "outage (every call 5xx): {} approved requests queued, {} carried out after it, 0 lost",
        requests.len(),
        requests.len()
    ));
    common::report("faults.txt", &report.join("\n"));
}
