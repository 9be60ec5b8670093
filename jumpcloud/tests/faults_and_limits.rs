//! Retries, timeouts, rate limits on both sides, credential errors and persisted state,
//! against the simulator over real HTTP.
#![allow(clippy::unwrap_used)]

mod common;

use std::net::SocketAddr;
use std::num::NonZeroU32;
use std::path::PathBuf;
use std::time::{Duration, Instant};

use jumpcloud::ip_lists::IpListFields;
use jumpcloud::sim::{Failure, Faults, RateLimitFault, SimConfig, Simulator};
use jumpcloud::{Client, ClientConfig, Credentials, Error, OrgClient, RateLimit, Secret};

const LOOPBACK: ([u8; 4], u16) = ([127, 0, 0, 1], 0);

fn config() -> SimConfig {
    SimConfig {
        client_orgs: 2,
        users_per_org: 3,
        extra_groups_per_org: 0,
        seed: 11,
    }
}

async fn simulator() -> Simulator {
    common::start(&config()).await
}

fn client_with(config: ClientConfig) -> Client {
    Client::new(config).unwrap()
}

/// Quick retries and no client-side pacing, unless a test asks for them.
fn fast_config() -> ClientConfig {
    ClientConfig {
        timeout: Duration::from_secs(5),
        max_retries: 3,
        backoff_base: Duration::from_millis(50),
        rate_limit: None,
    }
}

/// Like `common::connect`, but on `client`, whose retries and pacing the test chose.
fn handle(client: &Client, sim: &Simulator, key: &str, org_id: Option<&str>) -> OrgClient {
    client.for_org(common::connection(
        sim,
        Credentials::ApiKey(Secret::new(key)),
        org_id,
    ))
}

fn org_handle(client: &Client, sim: &Simulator, index: usize) -> OrgClient {
    handle(client, sim, &sim.info.orgs[index].api_key, None)
}

#[tokio::test]
async fn a_429_with_retry_after_is_retried_after_the_wait() {
    let sim = simulator().await;
    let api = org_handle(&client_with(fast_config()), &sim, 0);
    sim.fail_next(1, Failure::rate_limited(Some(Duration::from_secs(1))));
    let before = sim.requests();
    let started = Instant::now();
    let lists = api.list_ip_lists().await.unwrap();
    assert_eq!(
        lists.len(),
        2,
        "the seeded lists, once the retry got through"
    );
    assert_eq!(sim.requests() - before, 2, "the 429, then the retry");
    assert!(
        started.elapsed() >= Duration::from_secs(1),
        "Retry-After: 1 is honoured over the 50 ms backoff"
    );
}

#[tokio::test]
async fn a_429_without_retry_after_is_retried_with_backoff() {
    let sim = simulator().await;
    let api = org_handle(&client_with(fast_config()), &sim, 0);
    sim.fail_next(2, Failure::rate_limited(None));
    let before = sim.requests();
    let started = Instant::now();
    let servers = api.list_ldap_servers().await.unwrap();
    assert_eq!(servers.len(), 1);
    assert_eq!(sim.requests() - before, 3, "two 429s, then success");
    assert!(
        started.elapsed() >= Duration::from_millis(150),
        "backoff of 50 ms then 100 ms"
    );
}

#[tokio::test]
async fn retries_give_up_on_a_429_that_lasts() {
    let sim = simulator().await;
    let api = org_handle(&client_with(fast_config()), &sim, 0);
    sim.fail_next(10, Failure::rate_limited(None));
    let before = sim.requests();
    assert_eq!(
        api.list_software_apps().await.unwrap_err(),
        Error::RateLimited { retry_after: None }
    );
    assert_eq!(sim.requests() - before, 4, "the first try and 3 retries");
}

#[tokio::test]
async fn a_create_is_not_retried_after_a_server_error() {
    let sim = simulator().await;
    let api = org_handle(&client_with(fast_config()), &sim, 0);
    let fields = IpListFields {
        name: Some("Branch office".into()),
        description: None,
        ips: Some(vec!["192.0.2.7".into()]),
    };
    sim.fail_next(1, Failure::status(503));
    let before = sim.requests();
    let error = api.create_ip_list(&fields).await.unwrap_err();
    assert!(
        matches!(error, Error::Server { status: 503, .. }),
        "{error:?}"
    );
    assert_eq!(
        sim.requests() - before,
        1,
        "exactly one POST reached JumpCloud"
    );
    assert_eq!(
        api.list_ip_lists().await.unwrap().len(),
        2,
        "nothing was created"
    );

    let created = api.create_ip_list(&fields).await.unwrap();
    assert_eq!(api.get_ip_list(&created.id).await.unwrap(), created);
}

#[tokio::test]
async fn an_idempotent_call_is_retried_after_a_server_error() {
    let sim = simulator().await;
    let api = org_handle(&client_with(fast_config()), &sim, 0);
    sim.fail_next(1, Failure::status(502));
    let before = sim.requests();
    assert_eq!(api.list_active_directories().await.unwrap().len(), 1);
    assert_eq!(sim.requests() - before, 2);
}

#[tokio::test]
async fn a_seeded_error_rate_fails_the_same_requests_each_run() {
    let outcomes = |sim: Simulator| async move {
        sim.set_faults(Faults {
            error_rate: 0.5,
            ..Faults::default()
        });
        let http = reqwest::Client::new();
        let mut statuses = Vec::new();
        for _ in 0..12 {
            let response = http
                .get(format!("{}/api/v2/iplists", sim.info.base_url))
                .header("x-api-key", &sim.info.orgs[0].api_key)
                .send()
                .await
                .unwrap();
            statuses.push(response.status().as_u16());
        }
        statuses
    };
    let first = outcomes(simulator().await).await;
    let second = outcomes(simulator().await).await;
    assert_eq!(first, second);
    assert!(first.contains(&500) && first.contains(&200), "{first:?}");
}

#[tokio::test]
async fn a_hanging_endpoint_times_out() {
    let sim = simulator().await;
    sim.set_faults(Faults {
        hang_path: Some("/api/v2/softwareapps".into()),
        ..Faults::default()
    });
    let api = org_handle(
        &client_with(ClientConfig {
            timeout: Duration::from_millis(300),
            max_retries: 1,
            ..fast_config()
        }),
        &sim,
        0,
    );
    let started = Instant::now();
    assert_eq!(api.list_software_apps().await.unwrap_err(), Error::Timeout);
    assert!(started.elapsed() < Duration::from_secs(3));
    assert_eq!(
        api.list_ip_lists().await.unwrap().len(),
        2,
        "other routes answer"
    );
    let stopped = tokio::time::timeout(Duration::from_secs(2), sim.stop()).await;
    assert!(
        stopped.is_ok(),
        "stopping does not wait for hanging requests"
    );
}

#[tokio::test]
async fn added_latency_slows_every_answer() {
    let sim = simulator().await;
    sim.set_faults(Faults {
        latency: Duration::from_millis(200),
        ..Faults::default()
    });
    let api = org_handle(&client_with(fast_config()), &sim, 0);
    let started = Instant::now();
    api.list_ldap_servers().await.unwrap();
    assert!(started.elapsed() >= Duration::from_millis(200));
}

#[tokio::test]
async fn the_simulated_rate_limit_counts_per_organization() {
    let sim = simulator().await;
    sim.set_faults(Faults {
        rate_limit: Some(RateLimitFault {
            requests: 2,
            window: Duration::from_secs(60),
            retry_after: true,
        }),
        ..Faults::default()
    });
    let http = reqwest::Client::new();
    let call = |key: &str, org: Option<&str>| {
        let mut request = http
            .get(format!("{}/api/v2/ldapservers", sim.info.base_url))
            .header("x-api-key", key);
        if let Some(org) = org {
            request = request.header("x-org-id", org);
        }
        request.send()
    };
    let first_org = &sim.info.orgs[0];
    for _ in 0..2 {
        assert_eq!(call(&first_org.api_key, None).await.unwrap().status(), 200);
    }
    assert_eq!(sim.throttled(), 0);
    let throttled = call(&first_org.api_key, None).await.unwrap();
    assert_eq!(throttled.status(), 429);
    assert_eq!(sim.throttled(), 1);
    let wait: u64 = throttled.headers()["retry-after"]
        .to_str()
        .unwrap()
        .parse()
        .unwrap();
    assert!((1..=60).contains(&wait));
    let body: serde_json::Value = throttled.json().await.unwrap();
    assert_eq!(body["message"], "Too Many Requests");

    let second_org = &sim.info.orgs[1];
    let other = call(&sim.info.msp_api_key, Some(&second_org.id))
        .await
        .unwrap();
    assert_eq!(
        other.status(),
        200,
        "another organization has its own budget"
    );

    sim.set_faults(Faults {
        rate_limit: Some(RateLimitFault {
            requests: 1,
            window: Duration::from_secs(60),
            retry_after: false,
        }),
        ..Faults::default()
    });
    assert_eq!(call(&first_org.api_key, None).await.unwrap().status(), 200);
    let bare = call(&first_org.api_key, None).await.unwrap();
    assert_eq!(bare.status(), 429);
    assert!(bare.headers().get("retry-after").is_none());

    // A queued 429 is not the rate limit's doing, so it is not counted.
    sim.set_faults(Faults::default());
    sim.fail_next(1, Failure::rate_limited(None));
    assert_eq!(call(&first_org.api_key, None).await.unwrap().status(), 429);
    assert_eq!(sim.throttled(), 2);
}

#[tokio::test]
async fn a_failing_organization_answers_503_and_the_others_answer() {
    let sim = simulator().await;
    let (down, up) = (&sim.info.orgs[0], &sim.info.orgs[1]);
    sim.set_faults(Faults {
        failing_orgs: vec![down.id.clone()],
        ..Faults::default()
    });
    let http = reqwest::Client::new();
    let call = |org: &str| {
        http.get(format!("{}/api/systemusers", sim.info.base_url))
            .header("x-api-key", &sim.info.msp_api_key)
            .header("x-org-id", org)
            .send()
    };
    let failed = call(&down.id).await.unwrap();
    assert_eq!(failed.status(), 503);
    let body: serde_json::Value = failed.json().await.unwrap();
    assert_eq!(body["message"], "Service Unavailable");
    assert_eq!(call(&up.id).await.unwrap().status(), 200);

    // Through the client: retried like any 5xx, then a server error.
    let client = client_with(fast_config());
    let handle = handle(&client, &sim, &sim.info.msp_api_key, Some(&down.id));
    let before = sim.requests();
    assert!(matches!(
        handle.list_ldap_servers().await,
        Err(Error::Server { status: 503, .. })
    ));
    assert_eq!(sim.requests() - before, 4);
}

#[tokio::test]
async fn the_client_paces_calls_per_organization_but_not_across_them() {
    let sim = simulator().await;
    let five_per_second = ClientConfig {
        rate_limit: Some(RateLimit {
            per_second: NonZeroU32::new(5).unwrap(),
            burst: NonZeroU32::new(1).unwrap(),
        }),
        ..fast_config()
    };
    let client = client_with(five_per_second.clone());
    let same_org = org_handle(&client, &sim, 0);
    let started = Instant::now();
    for _ in 0..3 {
        same_org.list_ldap_servers().await.unwrap();
    }
    assert!(
        started.elapsed() >= Duration::from_millis(380),
        "3 calls to one organization are 200 ms apart: {:?}",
        started.elapsed()
    );

    let client = client_with(five_per_second);
    let orgs: Vec<OrgClient> = (0..3)
        .map(|index| org_handle(&client, &sim, index))
        .collect();
    let started = Instant::now();
    for org in &orgs {
        org.list_ldap_servers().await.unwrap();
    }
    assert!(
        started.elapsed() < Duration::from_millis(190),
        "one call each to 3 organizations is not held back: {:?}",
        started.elapsed()
    );

    // An MSP handle per organization: the x-org-id decides the budget, not the key.
    let msp: Vec<OrgClient> = sim.info.orgs[..2]
        .iter()
        .map(|org| handle(&client, &sim, &sim.info.msp_api_key, Some(&org.id)))
        .collect();
    let started = Instant::now();
    for org in &msp {
        org.list_ldap_servers().await.unwrap();
    }
    assert!(started.elapsed() < Duration::from_millis(190));
}

#[tokio::test]
async fn credential_and_org_header_mistakes_give_typed_errors() {
    let sim = simulator().await;
    // Refusals are not transient, so a client without retries sees them at once.
    let wrong_key = common::connect(&sim, "0000", None);
    assert_eq!(
        wrong_key.list_ip_lists().await.unwrap_err(),
        Error::Unauthorized("Unauthorized: api key user not found".into())
    );

    let msp_without_org = common::connect(&sim, &sim.info.msp_api_key, None);
    assert_eq!(
        msp_without_org.list_software_apps().await.unwrap_err(),
        Error::Unauthorized("Unauthorized: no organization selected".into())
    );

    // The client never sends x-org-id to a provider route, so send it by hand.
    let http = reqwest::Client::new();
    let org_header_on_provider_route = http
        .get(format!(
            "{}/api/v2/providers/{}/organizations",
            sim.info.base_url, sim.info.provider_id
        ))
        .header("x-api-key", &sim.info.msp_api_key)
        .header("x-org-id", &sim.info.orgs[0].id)
        .send()
        .await
        .unwrap();
    assert_eq!(org_header_on_provider_route.status(), 403);

    let msp_with_org = common::connect(&sim, &sim.info.msp_api_key, Some(&sim.info.orgs[0].id));
    let provider_orgs = msp_with_org
        .list_provider_organizations(&sim.info.provider_id)
        .await
        .unwrap();
    assert_eq!(provider_orgs.len(), 2, "leaves x-org-id off, so no 403");

    let org_admin = common::connect(&sim, &sim.info.orgs[0].api_key, None);
    assert!(matches!(
        org_admin
            .list_provider_organizations(&sim.info.provider_id)
            .await,
        Err(Error::Forbidden(_))
    ));
}

fn state_file(name: &str) -> PathBuf {
    let path = std::env::temp_dir().join(format!("lanyard-sim-{name}-{}.json", std::process::id()));
    let _ = std::fs::remove_file(&path);
    path
}

#[tokio::test]
async fn a_persistent_world_survives_a_restart() {
    let path = state_file("restart");
    let sim = Simulator::start_persistent(SocketAddr::from(LOOPBACK), &config(), &path)
        .await
        .unwrap();
    assert!(path.exists(), "a new world is written at once");
    let org = sim.info.orgs[0].clone();
    let client = client_with(fast_config());
    let api = org_handle(&client, &sim, 0);
    let created = api
        .create_ip_list(&IpListFields {
            name: Some("Data centre".into()),
            description: Some("Rack egress".into()),
            ips: Some(vec!["198.51.100.64/26".into()]),
        })
        .await
        .unwrap();
    let seeded = api.list_ip_lists().await.unwrap();
    let removed = seeded.iter().find(|list| list.id != created.id).unwrap();
    api.delete_ip_list(&removed.id).await.unwrap();
    let apps = api.list_software_apps().await.unwrap();
    sim.stop().await;

    // Another seed and size: the file, not the config, decides the world.
    let other_config = SimConfig {
        seed: 99,
        users_per_org: 1,
        ..config()
    };
    let restarted = Simulator::start_persistent(SocketAddr::from(LOOPBACK), &other_config, &path)
        .await
        .unwrap();
    assert_eq!(restarted.info.orgs[0].id, org.id);
    assert_eq!(
        restarted.info.orgs[0].api_key, org.api_key,
        "the same keys work"
    );
    let api = org_handle(&client, &restarted, 0);
    let lists = api.list_ip_lists().await.unwrap();
    assert!(lists.contains(&created));
    assert!(!lists.iter().any(|list| list.id == removed.id));
    assert_eq!(lists.len(), seeded.len() - 1);
    assert_eq!(api.list_software_apps().await.unwrap(), apps);
    assert_eq!(api.list_all_users(&mut |_, _| {}).await.unwrap().len(), 3);
    drop(restarted);
    std::fs::remove_file(&path).unwrap();
}

#[tokio::test]
async fn changes_are_written_without_waiting_for_a_stop() {
    let path = state_file("write-through");
    let sim = Simulator::start_persistent(SocketAddr::from(LOOPBACK), &config(), &path)
        .await
        .unwrap();
    let api = org_handle(&client_with(fast_config()), &sim, 0);
    let created = api
        .create_ip_list(&IpListFields {
            name: Some("Written at once".into()),
            ..IpListFields::default()
        })
        .await
        .unwrap();
    let deadline = Instant::now() + Duration::from_secs(5);
    loop {
        let saved = std::fs::read_to_string(&path).unwrap_or_default();
        if saved.contains(&created.id) {
            break;
        }
        assert!(
            Instant::now() < deadline,
            "the change never reached the file"
        );
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
    assert_eq!(sim.state_file(), Some(path.as_path()));
    drop(sim);
    std::fs::remove_file(&path).unwrap();
}

/// A server whose `Link rel=next` points back at the page it is on (a broken proxy, say)
/// must not keep the client paging forever.
#[tokio::test]
async fn a_link_that_does_not_advance_ends_the_list() {
    use axum::Router;
    use axum::routing::get;
    let listener = tokio::net::TcpListener::bind(SocketAddr::from(LOOPBACK))
        .await
        .unwrap();
    let base = format!("http://{}", listener.local_addr().unwrap());
    let pages = std::sync::Arc::new(std::sync::atomic::AtomicUsize::new(0));
    let served = pages.clone();
    let router = Router::new().route(
        "/api/v2/usergroups",
        get(move || {
            served.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
            async {
                (
                    [(
                        "link",
                        r#"</api/v2/usergroups?limit=100&skip=0>; rel="next""#,
                    )],
                    axum::Json(
                        serde_json::json!([{"id": "g1", "name": "one", "type": "user_group"}]),
                    ),
                )
            }
        }),
    );
    tokio::spawn(async move { axum::serve(listener, router).await });
    let api = client_with(fast_config()).for_org(jumpcloud::Connection {
        base_url: jumpcloud::custom_console_url(&base).unwrap(),
        credentials: Credentials::ApiKey(Secret::new("key")),
        org_id: None,
    });
    let groups = tokio::time::timeout(
        Duration::from_secs(10),
        api.list_all_user_groups(&mut |_, _| {}),
    )
    .await
    .expect("the list ends")
    .unwrap();
    assert_eq!(groups.len(), 1);
    assert_eq!(pages.load(std::sync::atomic::Ordering::Relaxed), 1);
}
