// Test crates: a failed unwrap is a failed test, with its message.
#![allow(clippy::unwrap_used)]

mod common;

use common::{ADMIN_EMAIL, ADMIN_PASSWORD, location, session_cookie, spawn_app};

#[tokio::test]
async fn health_endpoints_report_process_and_database() {
    let app = spawn_app().await;
    let health = app.client.get(app.url("/healthz")).send().await.unwrap();
    assert_eq!(health.status(), 200);
    assert_eq!(health.text().await.unwrap(), "ok");
    let ready = app.client.get(app.url("/readyz")).send().await.unwrap();
    assert_eq!(ready.status(), 200);
}

#[tokio::test]
async fn anonymous_visitors_are_sent_to_login_which_shows_the_demo_banner() {
    let app = spawn_app().await;
    let home = app.get_page("/").await;
    assert_eq!(home.status(), 302);
    assert_eq!(location(&home), "/login?next=/");

    let login = app.get_page("/login").await;
    assert_eq!(login.status(), 200);
    let html = login.text().await.unwrap();
    assert!(html.contains("Demo data: simulated JumpCloud"));
    assert!(html.contains(r#"<form action="/api/login" method="post""#));
    assert!(html.contains(r#"name="email""#) && html.contains(r#"name="password""#));
}

#[tokio::test]
async fn login_sets_a_hardened_cookie_and_opens_the_dashboard() {
    let app = spawn_app().await;
    let response = app.login(ADMIN_EMAIL, ADMIN_PASSWORD).await;
    assert_eq!(response.status(), 302);
    assert_eq!(location(&response), "/");
    let cookie = session_cookie(&response).expect("a session cookie");
    assert!(cookie.contains("HttpOnly"), "{cookie}");
    assert!(cookie.contains("SameSite=Lax"), "{cookie}");
    assert!(
        !cookie.contains("Secure"),
        "plain http must not mark the cookie Secure: {cookie}"
    );
    assert!(
        cookie.contains("Max-Age=28800"),
        "idle expiry of 8 hours: {cookie}"
    );

    // The landing page sends the owner to the default organization.
    let home = app.get_page("/").await;
    assert_eq!(home.status(), 302);
    assert_eq!(location(&home), "/o/acme-robotics");
    let dashboard = app.get_page("/o/acme-robotics").await;
    assert_eq!(dashboard.status(), 200);
    let html = dashboard.text().await.unwrap();
    assert!(html.contains("Demo data: simulated JumpCloud"));
    // Demo mode maps the simulator's organizations; the switcher lists them all.
    for org in [
        "Acme Robotics",
        "Globex Health",
        "Initech Logistics",
        "Northwind Traders",
    ] {
        assert!(html.contains(org), "{org} missing from the org switcher");
    }
    // The user count comes from the simulator over HTTP.
    assert!(
        html.contains(r#"data-testid="user-count" class="num">60<"#),
        "{html}"
    );
}

#[tokio::test]
async fn a_wrong_password_shows_an_error_and_creates_no_session() {
    let app = spawn_app().await;
    let response = app.login(ADMIN_EMAIL, "not-the-password").await;
    assert_eq!(response.status(), 302);
    assert!(
        session_cookie(&response).is_none(),
        "no session for a failed login"
    );
    let back = location(&response);
    assert!(
        back.contains("/login?") && back.contains("__err="),
        "{back}"
    );

    let page = app
        .client
        .get(&back)
        .header("accept", "text/html")
        .send()
        .await
        .unwrap();
    let html = page.text().await.unwrap();
    assert!(html.contains(r#"role="alert""#) && html.contains("Wrong email or password."));

    assert_eq!(app.get_page("/").await.status(), 302, "still signed out");
}

#[tokio::test]
async fn unknown_email_and_malformed_email_are_refused() {
    let app = spawn_app().await;
    let unknown = app.login("nobody@example.com", ADMIN_PASSWORD).await;
    assert!(location(&unknown).contains("__err="));
    assert!(session_cookie(&unknown).is_none());

    let malformed = app.login("not an email", ADMIN_PASSWORD).await;
    assert!(location(&malformed).contains("__err="));
    let html = app
        .client
        .get(location(&malformed))
        .header("accept", "text/html")
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    assert!(html.contains("is not a valid email address"), "{html}");
}

#[tokio::test]
async fn login_rotates_the_session_id() {
    let app = spawn_app().await;
    let first = session_cookie(&app.login(ADMIN_EMAIL, ADMIN_PASSWORD).await).unwrap();
    let second = session_cookie(&app.login(ADMIN_EMAIL, ADMIN_PASSWORD).await).unwrap();
    let id = |cookie: &str| cookie.split(';').next().unwrap().to_string();
    assert_ne!(id(&first), id(&second));

    // The pre-login id is dead: replaying it shows the login page, not the dashboard.
    let replay = app.get_page_with_cookie("/", &id(&first)).await;
    assert_eq!(replay.status(), 302);
}

#[tokio::test]
async fn an_active_visitors_session_is_saved_again_so_it_ends_after_the_last_request() {
    let app = spawn_app().await;
    let id = |cookie: &str| cookie.split(';').next().unwrap().to_string();
    let signed_in = id(&session_cookie(&app.login(ADMIN_EMAIL, ADMIN_PASSWORD).await).unwrap());
    let soon = app.get_page("/o/acme-robotics").await;
    assert_eq!(soon.status(), 200);
    assert!(
        session_cookie(&soon).is_none(),
        "just signed in: nothing to save"
    );

    // A request a while later saves the session again: its expiry, and the cookie's,
    // start over from this request, under the same id.
    let advanced = app
        .client
        .post(app.url("/test-hooks/advance-clock?seconds=20"))
        .send()
        .await
        .unwrap();
    assert!(advanced.status().is_success());
    let later = app.get_page("/o/acme-robotics").await;
    assert_eq!(later.status(), 200);
    let saved = session_cookie(&later).expect("the session is saved for the activity");
    assert_eq!(id(&saved), signed_in);
    assert!(saved.contains("Max-Age=28800"), "480 idle minutes: {saved}");
    let right_after = app.get_page("/o/acme-robotics").await;
    assert!(session_cookie(&right_after).is_none(), "at most every 15 s");
}

#[tokio::test]
async fn a_role_change_gives_the_accounts_session_a_new_id() {
    let owner = spawn_app().await;
    owner.login(ADMIN_EMAIL, ADMIN_PASSWORD).await;
    let email = "promoted@example.com";
    let password = "promoted-long-password";
    common::add_person(&owner, email, password, "acme-robotics", "requester").await;
    let person = owner.another_browser();
    let login = person.login(email, password).await;
    let id = |cookie: &str| cookie.split(';').next().unwrap().to_string();
    let before = id(&session_cookie(&login).unwrap());
    let unchanged = person.get_page("/o/acme-robotics").await;
    assert!(
        session_cookie(&unchanged).is_none(),
        "same privileges, same id"
    );

    owner
        .call_ok(
            "/api/people/membership",
            &[
                ("email", email),
                ("org", "acme-robotics"),
                ("role", "approver"),
            ],
        )
        .await;
    let next = person.get_page("/o/acme-robotics").await;
    assert_eq!(next.status(), 200, "still signed in");
    let after = id(&session_cookie(&next).expect("a new session id after the role change"));
    assert_ne!(before, after);
    let replay = person.get_page_with_cookie("/", &before).await;
    assert_eq!(replay.status(), 302, "the old id no longer works");
}

#[tokio::test]
async fn logout_ends_the_session_on_the_server() {
    let app = spawn_app().await;
    let cookie = session_cookie(&app.login(ADMIN_EMAIL, ADMIN_PASSWORD).await).unwrap();
    let old_id = cookie.split(';').next().unwrap().to_string();

    let logout = app.post_form("/api/logout", "/", &[]).await;
    assert_eq!(logout.status(), 302);
    assert_eq!(location(&logout), "/login");
    assert_eq!(app.get_page("/").await.status(), 302);

    let replay = app.get_page_with_cookie("/", &old_id).await;
    assert_eq!(
        replay.status(),
        302,
        "a logged-out session id must not work again"
    );
}

#[tokio::test]
async fn next_only_redirects_within_the_site() {
    let app = spawn_app().await;
    for (next, expected) in [
        ("/users", "/users"),
        ("//evil.example", "/"),
        ("https://evil.example", "/"),
    ] {
        let response = app
            .post_form(
                "/api/login",
                "/login",
                &[
                    ("email", ADMIN_EMAIL),
                    ("password", ADMIN_PASSWORD),
                    ("next", next),
                ],
            )
            .await;
        assert_eq!(location(&response), expected, "next={next}");
    }
}

#[tokio::test]
async fn server_functions_refuse_anonymous_callers() {
    let app = spawn_app().await;
    let response = app
        .client
        .post(app.url("/api/org_dashboard"))
        .form(&[("org", "acme-robotics")])
        .send()
        .await
        .unwrap();
    assert!(!response.status().is_success());
    assert_eq!(
        response.status(),
        401,
        "the variant's status, not a blanket 500"
    );
    let body = response.text().await.unwrap();
    assert!(body.contains("Unauthenticated"), "{body}");
    assert!(!body.contains("Acme Robotics"));
}

#[tokio::test]
async fn unknown_pages_are_404_with_the_app_frame() {
    let app = spawn_app().await;
    let response = app.get_page("/no/such/page").await;
    assert_eq!(response.status(), 404);
    assert!(response.text().await.unwrap().contains("Page not found"));
}

#[tokio::test]
async fn the_stylesheet_is_served() {
    let app = spawn_app().await;
    let css = app
        .client
        .get(app.url("/lanyard.css"))
        .send()
        .await
        .unwrap();
    assert_eq!(css.status(), 200);
    assert_eq!(css.headers()["content-type"], "text/css; charset=utf-8");
    assert!(css.text().await.unwrap().contains(".demo-banner"));
}

#[tokio::test]
async fn repeated_failures_throttle_the_account_and_every_attempt_is_audited() {
    let app = spawn_app().await;
    for _ in 0..6 {
        let response = app
            .call(
                "/api/login",
                &[("email", ADMIN_EMAIL), ("password", "not-the-password")],
            )
            .await;
        assert_eq!(response.status(), 401);
    }
    // The budget is spent: even the right password waits now.
    let throttled = app
        .call(
            "/api/login",
            &[("email", ADMIN_EMAIL), ("password", ADMIN_PASSWORD)],
        )
        .await;
    assert_eq!(throttled.status(), 429);
    assert!(throttled.text().await.unwrap().contains("TooManyAttempts"));
    // Another account from the same address is not affected yet.
    let other = app
        .call(
            "/api/login",
            &[
                ("email", "someone@example.com"),
                ("password", "whatever-password"),
            ],
        )
        .await;
    assert_eq!(other.status(), 401);

    let db = app.db().await;
    let entries = app::audit::recent(&db, 50).await.unwrap();
    let failed = entries
        .iter()
        .filter(|e| e.action == "login.failed")
        .count();
    assert_eq!(failed, 7, "six for the admin, one for the other account");
    let throttled = entries
        .iter()
        .find(|e| e.action == "login.throttled")
        .unwrap();
    assert_eq!(throttled.actor, ADMIN_EMAIL);
    assert!(
        throttled.summary.contains("127.0.0.1"),
        "{}",
        throttled.summary
    );
    assert_eq!(app::audit::first_broken_entry(&db).await.unwrap(), None);

    // The log is append-only in the database itself, on either backend.
    let tamper = [
        "UPDATE audit_log SET summary = 'nothing happened'",
        "DELETE FROM audit_log",
    ];
    for sql in tamper {
        let refused = app::on_db!(&db, |pool| sqlx::query(sql).execute(pool).await.map(|_| ()));
        assert!(refused.is_err(), "{sql} was allowed");
    }
    assert_eq!(
        app::audit::recent(&db, 50).await.unwrap().len(),
        entries.len()
    );
}

#[tokio::test]
async fn writes_from_another_site_are_refused_and_answers_carry_security_headers() {
    let app = spawn_app().await;
    // A page on another site posting the login form (or any server function) with the
    // visitor's browser is refused before it reaches Lanyard, and nobody is signed in.
    let forged = app
        .client
        .post(app.url("/api/login"))
        .header("origin", "https://evil.example")
        .form(&[
            ("email", ADMIN_EMAIL),
            ("password", ADMIN_PASSWORD),
            ("next", ""),
        ])
        .send()
        .await
        .unwrap();
    assert_eq!(forged.status(), 403);
    assert!(forged.text().await.unwrap().contains("another site"));
    let info = app.call("/api/session_info", &[]).await;
    assert_ne!(
        info.json::<serde_json::Value>().await.unwrap()["email"],
        ADMIN_EMAIL
    );
    // The same post from Lanyard's own page works.
    let own = app
        .client
        .post(app.url("/api/login"))
        .header("origin", app.address.as_str())
        .header("accept", "text/html")
        .form(&[
            ("email", ADMIN_EMAIL),
            ("password", ADMIN_PASSWORD),
            ("next", ""),
        ])
        .send()
        .await
        .unwrap();
    assert_eq!(own.status(), 302);

    let page = app.get_page("/login").await;
    let headers = page.headers();
    assert_eq!(headers["x-content-type-options"], "nosniff");
    assert_eq!(headers["x-frame-options"], "DENY");
    assert_eq!(headers["referrer-policy"], "same-origin");
    let policy = headers["content-security-policy"]
        .to_str()
        .unwrap()
        .to_string();
    assert!(policy.contains("frame-ancestors 'none'"), "{policy}");
    assert!(
        headers.get("strict-transport-security").is_none(),
        "plain http"
    );
    // Scripts: only this render's (by nonce) and this site's; never inline by default.
    assert!(!policy.contains("unsafe-inline"), "{policy}");
    let nonce = policy
        .split("'nonce-")
        .nth(1)
        .and_then(|rest| rest.split('\'').next())
        .unwrap_or_else(|| panic!("no script nonce in {policy}"))
        .to_string();
    let html = page.text().await.unwrap();
    let scripts = html.matches("<script").count();
    assert!(scripts > 0, "{html}");
    assert_eq!(
        html.matches(&format!("nonce=\"{nonce}\"")).count(),
        scripts,
        "every script carries the response's nonce: {html}"
    );
    let other = app.get_page("/login").await;
    let other_policy = other.headers()["content-security-policy"].to_str().unwrap();
    assert!(!other_policy.contains(&nonce), "a fresh nonce per response");
}
