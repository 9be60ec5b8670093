//! The client against the simulator over real HTTP on loopback.
#![allow(clippy::unwrap_used)]

mod common;

use jumpcloud::sim::{SimConfig, Simulator};
use jumpcloud::{Client, Credentials, Error, OrgClient, Secret, SecretUsed, ServiceAccount};

async fn simulator(users_per_org: usize) -> Simulator {
    common::start(&SimConfig {
        client_orgs: 2,
        users_per_org,
        extra_groups_per_org: 0,
        seed: 7,
    })
    .await
}

#[tokio::test]
async fn listing_all_users_pages_by_100_and_follows_the_total() {
    let sim = simulator(250).await;
    let org = &sim.info.orgs[0];
    let api = common::connect(&sim, &org.api_key, None);
    let before = sim.requests();
    let mut progress = Vec::new();
    let users = api
        .list_all_users(&mut |fetched, total| progress.push((fetched, total)))
        .await
        .unwrap();
    assert_eq!(users.len(), 250);
    assert_eq!(
        sim.requests() - before,
        3,
        "250 users are 3 pages of at most 100"
    );
    assert_eq!(
        progress,
        vec![(100, Some(250)), (200, Some(250)), (250, Some(250))]
    );
    let mut ids: Vec<_> = users.iter().map(|user| user.id.clone()).collect();
    ids.dedup();
    assert_eq!(
        ids.len(),
        250,
        "a stable sort gives every user exactly once"
    );
    assert_eq!(api.count_users().await.unwrap(), 250);
}

#[tokio::test]
async fn a_user_can_be_fetched_by_id_and_a_bad_id_never_reaches_the_api() {
    let sim = simulator(5).await;
    let api = common::connect(&sim, &sim.info.orgs[0].api_key, None);
    let users = api.list_all_users(&mut |_, _| {}).await.unwrap();
    let user = api.get_user(&users[0].id).await.unwrap();
    assert_eq!(user, users[0]);
    let before = sim.requests();
    assert!(matches!(
        api.get_user("../organizations").await,
        Err(Error::BadRequest(_))
    ));
    assert_eq!(sim.requests(), before);
    assert!(matches!(
        api.get_user("0123456789abcdef01234567").await,
        Err(Error::NotFound(_))
    ));
}

#[tokio::test]
async fn a_wrong_key_is_unauthorized_with_jumpclouds_message() {
    let sim = simulator(1).await;
    let error = common::connect(&sim, "not-a-key", None)
        .count_users()
        .await
        .unwrap_err();
    assert_eq!(
        error,
        Error::Unauthorized("Unauthorized: api key user not found".into())
    );
}

#[tokio::test]
async fn a_multi_tenant_key_needs_an_org_except_on_provider_routes() {
    let sim = simulator(3).await;
    let without_org = common::connect(&sim, &sim.info.msp_api_key, None);
    assert_eq!(
        without_org.count_users().await.unwrap_err(),
        Error::Unauthorized("Unauthorized: no organization selected".into())
    );
    let orgs = without_org.list_organizations().await.unwrap();
    assert_eq!(
        orgs.len(),
        2,
        "the MSP sees its client orgs, not the standalone one"
    );

    let with_org = common::connect(&sim, &sim.info.msp_api_key, Some(&orgs[1].id));
    assert_eq!(with_org.count_users().await.unwrap(), 3);
    // The client leaves x-org-id off /organizations, which would refuse it with 403.
    assert_eq!(with_org.list_organizations().await.unwrap(), orgs);

    let standalone = sim.info.orgs.iter().find(|org| !org.msp).unwrap();
    let foreign = common::connect(&sim, &sim.info.msp_api_key, Some(&standalone.id));
    assert!(matches!(
        foreign.count_users().await,
        Err(Error::NotFound(_))
    ));
}

#[tokio::test]
async fn the_simulator_enforces_jumpclouds_documented_limits() {
    let sim = simulator(1).await;
    let http = reqwest::Client::new();
    let org = &sim.info.orgs[0];
    let get = |path: &str, key: &str| {
        http.get(format!("{}{path}", sim.info.base_url))
            .header("x-api-key", key.to_string())
    };

    let too_many = get("/api/systemusers?limit=101", &org.api_key)
        .send()
        .await
        .unwrap();
    assert_eq!(too_many.status(), 400);
    let body: serde_json::Value = too_many.json().await.unwrap();
    assert_eq!(
        body["message"],
        "request parameter \"limit\" exceeds maximum value of 100"
    );

    let header_on_provider_route = get("/api/organizations", &sim.info.msp_api_key)
        .header("x-org-id", org.id.clone())
        .send()
        .await
        .unwrap();
    assert_eq!(header_on_provider_route.status(), 403);

    let malformed = get("/api/systemusers", &sim.info.msp_api_key)
        .header("x-org-id", "nope")
        .send()
        .await
        .unwrap();
    assert_eq!(malformed.status(), 400);
}

fn service_account_handle(sim: &Simulator, client: &Client, org_id: &str) -> OrgClient {
    let account = &sim.info.service_account;
    let credentials = Credentials::ServiceAccount(ServiceAccount {
        client_id: account.client_id.clone(),
        primary_secret: Secret::new(&account.client_secret),
        secondary_secret: Some(Secret::new(&account.secondary_secret)),
        token_url: account.token_url.parse().unwrap(),
    });
    client.for_org(common::connection(sim, credentials, Some(org_id)))
}

#[tokio::test]
async fn a_service_account_token_is_fetched_once_and_reused() {
    let sim = simulator(4).await;
    let client = common::client();
    let api = service_account_handle(&sim, &client, &sim.info.orgs[0].id);
    assert_eq!(api.verify().await.unwrap(), Some(SecretUsed::Primary));
    let before = sim.requests();
    assert_eq!(api.count_users().await.unwrap(), 4);
    assert_eq!(sim.requests() - before, 1, "the cached token is reused");

    // A second handle of the same client shares the token.
    let other = service_account_handle(&sim, &client, &sim.info.orgs[1].id);
    let before = sim.requests();
    assert_eq!(other.count_users().await.unwrap(), 4);
    assert_eq!(sim.requests() - before, 1);
}

#[tokio::test]
async fn a_refused_token_is_replaced_once() {
    let sim = simulator(2).await;
    let api = service_account_handle(&sim, &common::client(), &sim.info.orgs[0].id);
    api.count_users().await.unwrap();
    sim.revoke_tokens();
    let before = sim.requests();
    assert_eq!(api.count_users().await.unwrap(), 2);
    assert_eq!(
        sim.requests() - before,
        3,
        "refused call, new token, call again"
    );
}

#[tokio::test]
async fn secret_rotation_falls_back_to_the_secondary_secret() {
    let sim = simulator(1).await;
    sim.set_service_account_secrets(&[&sim.info.service_account.secondary_secret]);
    let api = service_account_handle(&sim, &common::client(), &sim.info.orgs[0].id);
    assert_eq!(api.verify().await.unwrap(), Some(SecretUsed::Secondary));

    sim.set_service_account_secrets(&["something-else"]);
    let fresh = service_account_handle(&sim, &common::client(), &sim.info.orgs[0].id);
    let before = sim.requests();
    assert!(matches!(fresh.verify().await, Err(Error::Unauthorized(_))));
    assert_eq!(
        sim.requests() - before,
        2,
        "each secret is tried once; a refusal is not repeated"
    );

    // The same client with the new secret gets a token of its own, not the cached one.
    let client = common::client();
    let old = service_account_handle(&sim, &client, &sim.info.orgs[0].id);
    sim.set_service_account_secrets(&[&sim.info.service_account.client_secret]);
    old.verify().await.unwrap();
    sim.set_service_account_secrets(&["rotated-away"]);
    let wrong = client.for_org(common::connection(
        &sim,
        Credentials::ServiceAccount(ServiceAccount {
            client_id: sim.info.service_account.client_id.clone(),
            primary_secret: Secret::new("not-the-secret"),
            secondary_secret: None,
            token_url: sim.info.service_account.token_url.parse().unwrap(),
        }),
        Some(&sim.info.orgs[0].id),
    ));
    assert!(
        matches!(wrong.verify().await, Err(Error::Unauthorized(_))),
        "a wrong secret is not let through by another secret's cached token"
    );
}

#[tokio::test]
async fn v2_group_lists_page_by_the_total_count_header() {
    // 6 department groups + 3 standard ones + 241 extra = 250 groups.
    let sim = common::start(&SimConfig {
        client_orgs: 1,
        users_per_org: 1,
        extra_groups_per_org: 241,
        seed: 3,
    })
    .await;
    let api = common::connect(&sim, &sim.info.orgs[0].api_key, None);
    let before = sim.requests();
    let mut totals = Vec::new();
    let groups = api
        .list_all_user_groups(&mut |_, total| totals.push(total))
        .await
        .unwrap();
    assert_eq!(groups.len(), 250);
    assert_eq!(sim.requests() - before, 3);
    assert_eq!(totals, vec![Some(250); 3]);
    let names: Vec<_> = groups.iter().map(|group| group.name.clone()).collect();
    let mut sorted = names.clone();
    sorted.sort();
    assert_eq!(
        names, sorted,
        "sorted by name, the unique field the route accepts"
    );
}

#[tokio::test]
async fn v2_group_lists_refuse_sorting_by_id_and_big_pages() {
    let sim = simulator(1).await;
    let http = reqwest::Client::new();
    let get = |query: &str| {
        http.get(format!("{}/api/v2/usergroups?{query}", sim.info.base_url))
            .header("x-api-key", sim.info.orgs[0].api_key.clone())
            .send()
    };
    let by_id = get("sort=id").await.unwrap();
    assert_eq!(by_id.status(), 400);
    let body: serde_json::Value = by_id.json().await.unwrap();
    assert_eq!(body["message"], "invalid sort field: id");
    assert_eq!(get("limit=101").await.unwrap().status(), 400);

    let page = get("limit=2&sort=name").await.unwrap();
    assert_eq!(page.headers()["x-total-count"], "9");
    let groups: Vec<serde_json::Value> = page.json().await.unwrap();
    assert_eq!(groups.len(), 2, "a bare array, not an envelope");
}
