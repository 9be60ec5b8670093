//! What the integration tests share: a simulator on a free loopback port, and client
//! handles on it.

use std::net::SocketAddr;
use std::time::Duration;

use jumpcloud::sim::{SimConfig, Simulator};
use jumpcloud::{Client, ClientConfig, Connection, Credentials, OrgClient, Secret};

pub async fn start(config: &SimConfig) -> Simulator {
    Simulator::start(SocketAddr::from(([127, 0, 0, 1], 0)), config)
        .await
        .unwrap()
}

/// A client that never retries: the simulator fails only where a test makes it, and the
/// tests count and check every call the client makes.
pub fn client() -> Client {
    Client::new(ClientConfig {
        timeout: Duration::from_secs(10),
        max_retries: 0,
        backoff_base: Duration::from_millis(10),
        rate_limit: None,
    })
    .unwrap()
}

/// How to reach the simulator with `credentials`, as organization `org_id` when given.
pub fn connection(sim: &Simulator, credentials: Credentials, org_id: Option<&str>) -> Connection {
    Connection {
        base_url: sim.info.base_url.parse().unwrap(),
        credentials,
        org_id: org_id.map(str::to_string),
    }
}

/// A handle with an API key (an organization's, or the multi-tenant one with `org_id`),
/// on a client of its own.
pub fn connect(sim: &Simulator, api_key: &str, org_id: Option<&str>) -> OrgClient {
    client().for_org(connection(
        sim,
        Credentials::ApiKey(Secret::new(api_key)),
        org_id,
    ))
}
