//! IP lists, directories, software apps, approval-flow requests, Directory Insights and
//! provider organizations: the client against the simulator, and the simulator's answers
//! checked against the spec's shapes over raw HTTP.
#![allow(clippy::unwrap_used)]

mod common;

use jumpcloud::approval_flows::{Decision, RequestStatus};
use jumpcloud::graph::{GraphConnection, GraphOp, GraphType};
use jumpcloud::insights::{EventQuery, Service};
use jumpcloud::ip_lists::IpListFields;
use jumpcloud::sim::{SimConfig, Simulator};
use jumpcloud::software_apps::{NewSoftwareApp, SoftwareAppSettings};
use jumpcloud::{Error, OrgClient};
use serde_json::{Value, json};
use time::macros::datetime;

async fn simulator() -> Simulator {
    common::start(&SimConfig {
        client_orgs: 2,
        users_per_org: 20,
        extra_groups_per_org: 0,
        seed: 5,
    })
    .await
}

fn first_org(sim: &Simulator) -> OrgClient {
    common::connect(sim, &sim.info.orgs[0].api_key, None)
}

/// The ids at the far end of associations.
fn targets(connections: Vec<GraphConnection>) -> Vec<String> {
    connections
        .into_iter()
        .map(|connection| connection.to.id)
        .collect()
}

/// A raw request with the first organization's key, for checking response shapes.
fn raw(sim: &Simulator, method: reqwest::Method, path: &str) -> reqwest::RequestBuilder {
    reqwest::Client::new()
        .request(method, format!("{}{path}", sim.info.base_url))
        .header("x-api-key", &sim.info.orgs[0].api_key)
}

#[tokio::test]
async fn ip_lists_are_created_replaced_patched_and_deleted() {
    let sim = simulator().await;
    let api = first_org(&sim);
    let seeded = api.list_ip_lists().await.unwrap();
    assert_eq!(seeded.len(), 2);
    assert!(seeded.iter().all(|list| !list.ips.is_empty()));

    let created = api
        .create_ip_list(&IpListFields {
            name: Some("Partners".into()),
            description: Some("Partner offices".into()),
            ips: Some(vec!["192.0.2.1-192.0.2.9".into(), "2001:db8::/32".into()]),
        })
        .await
        .unwrap();
    assert_eq!(created.name, "Partners");

    let patched = api
        .update_ip_list(
            &created.id,
            &IpListFields {
                ips: Some(vec!["203.0.113.9".into()]),
                ..IpListFields::default()
            },
        )
        .await
        .unwrap();
    assert_eq!(patched.ips, vec!["203.0.113.9"]);
    assert_eq!(
        patched.description.as_deref(),
        Some("Partner offices"),
        "PATCH keeps what it was not given"
    );

    let replaced = api
        .replace_ip_list(
            &created.id,
            &IpListFields {
                name: Some("Partners".into()),
                ..IpListFields::default()
            },
        )
        .await
        .unwrap();
    assert_eq!(replaced.description.as_deref(), Some(""), "PUT replaces");
    assert!(replaced.ips.is_empty());
    assert_eq!(api.get_ip_list(&created.id).await.unwrap(), replaced);

    let invalid = api
        .create_ip_list(&IpListFields {
            name: Some("Broken".into()),
            ips: Some(vec!["10.0.0.300".into()]),
            ..IpListFields::default()
        })
        .await;
    assert!(matches!(invalid, Err(Error::BadRequest(_))));

    api.delete_ip_list(&created.id).await.unwrap();
    assert!(matches!(
        api.get_ip_list(&created.id).await,
        Err(Error::NotFound(_))
    ));
    assert_eq!(api.list_ip_lists().await.unwrap(), seeded);

    let other_org = common::connect(&sim, &sim.info.orgs[1].api_key, None);
    assert!(matches!(
        other_org.get_ip_list(&seeded[0].id).await,
        Err(Error::NotFound(_)),
    ));
}

#[tokio::test]
async fn v2_lists_are_bare_arrays_with_a_total_header() {
    let sim = simulator().await;
    for path in [
        "/api/v2/iplists",
        "/api/v2/ldapservers",
        "/api/v2/activedirectories",
        "/api/v2/softwareapps",
    ] {
        let response = raw(
            &sim,
            reqwest::Method::GET,
            &format!("{path}?limit=1&skip=0"),
        )
        .send()
        .await
        .unwrap();
        assert_eq!(response.status(), 200, "{path}");
        let total: usize = response.headers()["x-total-count"]
            .to_str()
            .unwrap()
            .parse()
            .unwrap();
        let page: Vec<Value> = response.json().await.unwrap();
        assert_eq!(page.len(), 1, "{path}");
        assert!(total >= 1, "{path}");
        assert!(page[0]["id"].is_string(), "{path}");
        let too_big = raw(&sim, reqwest::Method::GET, &format!("{path}?limit=101"))
            .send()
            .await
            .unwrap();
        assert_eq!(too_big.status(), 400, "{path}");
    }
}

#[tokio::test]
async fn ldap_servers_and_active_directories_are_listed_and_fetched() {
    let sim = simulator().await;
    let api = first_org(&sim);
    let servers = api.list_ldap_servers().await.unwrap();
    assert_eq!(servers.len(), 1);
    assert_eq!(servers[0].user_lockout_action.as_deref(), Some("disable"));
    assert_eq!(
        api.get_ldap_server(&servers[0].id).await.unwrap(),
        servers[0]
    );

    let domains = api.list_active_directories().await.unwrap();
    assert_eq!(domains.len(), 1);
    assert!(domains[0].domain.starts_with("ad."));
    assert_eq!(domains[0].delegation_state.as_deref(), Some("ENABLED"));
    assert_eq!(
        api.get_active_directory(&domains[0].id).await.unwrap(),
        domains[0]
    );
    assert!(matches!(
        api.get_active_directory(&servers[0].id).await,
        Err(Error::NotFound(_))
    ));
}

#[tokio::test]
async fn ldap_server_bindings_are_listed_added_and_removed() {
    let sim = simulator().await;
    let api = first_org(&sim);
    let server = api.list_ldap_servers().await.unwrap().remove(0);
    let bound_groups = targets(
        api.list_ldap_server_associations(&server.id, GraphType::UserGroup)
            .await
            .unwrap(),
    );
    let groups = api.list_all_user_groups(&mut |_, _| {}).await.unwrap();
    let mut bound_names: Vec<_> = groups
        .iter()
        .filter(|group| bound_groups.contains(&group.id))
        .map(|group| group.name.as_str())
        .collect();
    bound_names.sort();
    assert_eq!(bound_names, ["All Staff", "IT"]);

    let user = api.list_all_users(&mut |_, _| {}).await.unwrap().remove(0);
    let bound_users = || async {
        targets(
            api.list_ldap_server_associations(&server.id, GraphType::User)
                .await
                .unwrap(),
        )
    };
    let bind = |op: GraphOp, target: GraphType| {
        api.set_ldap_server_association(&server.id, op, target, &user.id)
    };
    assert!(bound_users().await.is_empty());
    bind(GraphOp::Add, GraphType::User).await.unwrap();
    assert_eq!(bound_users().await, vec![user.id.clone()]);
    assert!(matches!(
        bind(GraphOp::Add, GraphType::User).await,
        Err(Error::Conflict(_))
    ));
    bind(GraphOp::Remove, GraphType::User).await.unwrap();
    assert!(bound_users().await.is_empty());
    assert!(matches!(
        bind(GraphOp::Add, GraphType::UserGroup).await,
        Err(Error::NotFound(_)),
    ));

    let without_targets = raw(
        &sim,
        reqwest::Method::GET,
        &format!("/api/v2/ldapservers/{}/associations", server.id),
    )
    .send()
    .await
    .unwrap();
    assert_eq!(without_targets.status(), 400);
}

#[tokio::test]
async fn software_apps_are_created_and_deleted() {
    let sim = simulator().await;
    let api = first_org(&sim);
    let seeded = api.list_software_apps().await.unwrap();
    assert!(seeded.len() >= 3);
    assert!(
        seeded
            .iter()
            .all(|app| app.settings[0].package_id.is_some())
    );

    let new_app = NewSoftwareApp {
        display_name: "Adobe Reader".into(),
        settings: vec![SoftwareAppSettings {
            package_id: Some("adobereader".into()),
            package_manager: Some("CHOCOLATEY".into()),
            desired_state: Some("Install".into()),
            ..SoftwareAppSettings::default()
        }],
    };
    let created = api.create_software_app(&new_app).await.unwrap();
    assert_eq!(created.display_name, "Adobe Reader");
    assert!(created.created_at.is_some());
    let fetched = api.get_software_app(&created.id).await.unwrap();
    assert_eq!(
        fetched.settings[0].package_id.as_deref(),
        Some("adobereader")
    );
    assert_eq!(
        api.list_software_apps().await.unwrap().len(),
        seeded.len() + 1
    );

    let without_package = NewSoftwareApp {
        display_name: "Nothing".into(),
        settings: Vec::new(),
    };
    assert!(matches!(
        api.create_software_app(&without_package).await,
        Err(Error::BadRequest(_))
    ));

    api.delete_software_app(&created.id).await.unwrap();
    assert!(matches!(
        api.delete_software_app(&created.id).await,
        Err(Error::NotFound(_))
    ));
    assert_eq!(api.list_software_apps().await.unwrap(), seeded);
}

#[tokio::test]
async fn software_app_writes_answer_with_the_documented_statuses() {
    let sim = simulator().await;
    let created = raw(&sim, reqwest::Method::POST, "/api/v2/softwareapps")
        .json(&json!({ "displayName": "Zoom", "settings": [{ "packageId": "zoom" }] }))
        .send()
        .await
        .unwrap();
    assert_eq!(created.status(), 201);
    let app: Value = created.json().await.unwrap();
    let path = format!("/api/v2/softwareapps/{}", app["id"].as_str().unwrap());
    let deleted = raw(&sim, reqwest::Method::DELETE, &path)
        .send()
        .await
        .unwrap();
    assert_eq!(deleted.status(), 204);
}

#[tokio::test]
async fn access_requests_are_listed_and_decided_once() {
    let sim = simulator().await;
    let api = first_org(&sim);
    let requests = api.list_access_requests().await.unwrap();
    let pending: Vec<_> = requests
        .iter()
        .filter(|request| request.status == RequestStatus::Pending)
        .collect();
    assert_eq!(pending.len(), 3);
    assert_eq!(requests.len(), 5);
    assert!(pending.iter().all(|request| request.user_name.is_some()));

    let approved = api
        .decide_access_request(
            &pending[0].id,
            &Decision::Approve { duration: None },
            "admin-1",
            Some("ok for today"),
        )
        .await
        .unwrap();
    assert_eq!(approved.status, RequestStatus::Approved);
    assert_eq!(approved.approved_duration, pending[0].requested_duration);
    assert_eq!(approved.updated_by.as_deref(), Some("admin-1"));

    let denied = api
        .decide_access_request(&pending[1].id, &Decision::Deny, "admin-1", None)
        .await
        .unwrap();
    assert_eq!(denied.status, RequestStatus::Denied);
    assert_eq!(
        api.get_access_request(&pending[1].id).await.unwrap(),
        denied
    );

    let again = api
        .decide_access_request(&pending[0].id, &Decision::Deny, "admin-2", None)
        .await;
    assert!(matches!(again, Err(Error::Conflict(_))), "{again:?}");

    let shorter = api
        .decide_access_request(
            &pending[2].id,
            &Decision::Approve {
                duration: Some("600s".into()),
            },
            "admin-1",
            None,
        )
        .await
        .unwrap();
    assert_eq!(shorter.approved_duration.as_deref(), Some("600s"));
}

#[tokio::test]
async fn the_access_request_list_is_an_envelope() {
    let sim = simulator().await;
    let response = raw(
        &sim,
        reqwest::Method::GET,
        "/api/v2/approvalflowrequest?limit=2&filter=status:eq:PENDING",
    )
    .send()
    .await
    .unwrap();
    assert_eq!(response.status(), 200);
    let body: Value = response.json().await.unwrap();
    assert_eq!(body["totalCount"], 3);
    assert_eq!(body["results"].as_array().unwrap().len(), 2);

    let mismatched = raw(
        &sim,
        reqwest::Method::GET,
        &format!(
            "/api/v2/approvalflowrequest?organizationObjectId={}",
            sim.info.orgs[1].id
        ),
    )
    .send()
    .await
    .unwrap();
    assert_eq!(mismatched.status(), 400);
}

#[tokio::test]
async fn audit_events_are_paged_with_search_after() {
    let sim = simulator().await;
    let api = first_org(&sim);
    let all_at_once = api
        .search_events(&EventQuery::since(datetime!(2025-12-01 0:00 UTC)))
        .await
        .unwrap();
    assert!(all_at_once.len() > 50, "two weeks of activity");
    assert!(
        all_at_once
            .iter()
            .any(|event| event.event_type == "admin_login_attempt")
    );
    assert!(
        all_at_once
            .iter()
            .any(|event| event.event_type == "user_update")
    );
    assert!(
        all_at_once
            .windows(2)
            .all(|pair| pair[0].timestamp <= pair[1].timestamp),
        "oldest first"
    );

    let before = sim.requests();
    let paged = api
        .search_events(&EventQuery {
            page_size: 25,
            ..EventQuery::since(datetime!(2025-12-01 0:00 UTC))
        })
        .await
        .unwrap();
    assert_eq!(paged, all_at_once, "pages of 25 add up to the same events");
    assert_eq!(
        sim.requests() - before,
        all_at_once.len() as u64 / 25 + 1,
        "until a page is shorter than X-Limit"
    );

    let newest_first = api
        .search_events(&EventQuery {
            newest_first: true,
            page_size: 40,
            ..EventQuery::since(datetime!(2025-12-01 0:00 UTC))
        })
        .await
        .unwrap();
    let mut reversed = all_at_once.clone();
    reversed.reverse();
    assert_eq!(
        newest_first.iter().map(|e| &e.id).collect::<Vec<_>>(),
        reversed.iter().map(|e| &e.id).collect::<Vec<_>>()
    );
}

#[tokio::test]
async fn audit_events_are_filtered_by_service_time_and_search_term() {
    let sim = simulator().await;
    let api = first_org(&sim);
    let start = datetime!(2025-12-25 0:00 UTC);
    let end = datetime!(2025-12-28 0:00 UTC);
    let sso = api
        .search_events(&EventQuery {
            services: vec![Service::Sso],
            end: Some(end),
            ..EventQuery::since(start)
        })
        .await
        .unwrap();
    assert!(!sso.is_empty());
    assert!(sso.iter().all(|event| event.service == "sso"));
    assert!(
        sso.iter()
            .all(|event| event.timestamp.as_str() >= "2025-12-25"
                && event.timestamp.as_str() <= "2025-12-28")
    );

    let admin_logins = api
        .search_events(&EventQuery {
            search_term: Some(json!({ "and": [{ "event_type": "admin_login_attempt" }] })),
            ..EventQuery::since(datetime!(2025-12-01 0:00 UTC))
        })
        .await
        .unwrap();
    assert!(!admin_logins.is_empty());
    assert!(admin_logins.iter().all(|event| {
        event.event_type == "admin_login_attempt"
            && event.initiated_by.as_ref().unwrap()["type"] == "admin"
    }));

    assert!(
        api.search_events(&EventQuery::since(datetime!(2025-01-01 0:00 UTC)))
            .await
            .unwrap()
            .iter()
            .all(|event| event.organization.as_deref() == Some(sim.info.orgs[0].id.as_str())),
        "only the organization's own events"
    );
}

#[tokio::test]
async fn the_events_endpoint_answers_with_the_documented_headers_and_errors() {
    let sim = simulator().await;
    let search = |body: Value| {
        raw(&sim, reqwest::Method::POST, "/insights/directory/v1/events")
            .json(&body)
            .send()
    };
    let response = search(json!({
        "service": ["directory"],
        "start_time": "2025-12-01T00:00:00Z",
        "limit": 3,
        "fields": ["timestamp", "event_type"],
    }))
    .await
    .unwrap();
    assert_eq!(response.status(), 200);
    let headers = response.headers().clone();
    assert_eq!(headers["x-result-count"], "3");
    assert_eq!(headers["x-limit"], "3");
    assert_eq!(headers["x-sort"], "ASC");
    assert!(headers.contains_key("x-request-id"));
    let after: Value = serde_json::from_str(headers["x-search_after"].to_str().unwrap()).unwrap();
    assert!(after[0].is_i64() && after[1].is_string(), "{after}");
    let events: Vec<Value> = response.json().await.unwrap();
    assert_eq!(events.len(), 3);
    assert_eq!(
        events[0].as_object().unwrap().len(),
        2,
        "only the fields asked for"
    );

    for bad in [
        json!({ "service": ["everything"], "start_time": "2025-12-01T00:00:00Z" }),
        json!({ "service": ["all"] }),
        json!({ "service": ["all"], "start_time": "yesterday" }),
        json!({ "service": ["all"], "start_time": "2025-12-02T00:00:00Z", "end_time": "2025-12-01T00:00:00Z" }),
        json!({ "service": ["all"], "start_time": "2025-12-01T00:00:00Z", "fields": [] }),
    ] {
        let response = search(bad.clone()).await.unwrap();
        assert_eq!(response.status(), 400, "{bad}");
    }
}

#[tokio::test]
async fn a_provider_lists_its_organizations_without_x_org_id() {
    let sim = simulator().await;
    let msp = common::connect(&sim, &sim.info.msp_api_key, Some(&sim.info.orgs[1].id));
    let provider_id = msp.provider_id().await.unwrap().unwrap();
    assert_eq!(provider_id, sim.info.provider_id);
    let orgs = msp.list_provider_organizations(&provider_id).await.unwrap();
    let mut expected: Vec<_> = sim
        .info
        .orgs
        .iter()
        .filter(|org| org.msp)
        .map(|org| (org.id.clone(), org.name.clone()))
        .collect();
    expected.sort();
    assert_eq!(
        orgs.iter()
            .map(|org| (org.id.clone(), org.name.clone()))
            .collect::<Vec<_>>(),
        expected
    );
    assert!(orgs.iter().all(|org| org.max_system_users >= Some(20)));

    let standalone = sim.info.orgs.iter().find(|org| !org.msp).unwrap();
    let single = common::connect(&sim, &standalone.api_key, None);
    assert_eq!(single.provider_id().await.unwrap(), None);
    assert!(matches!(
        msp.list_provider_organizations("not-an-id").await,
        Err(Error::BadRequest(_))
    ));
}
