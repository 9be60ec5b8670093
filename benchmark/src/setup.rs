//! Installations the sections share: simulated JumpCloud worlds and Lanyard instances
//! connected to them as an owner connects them.

use anyhow::Context;
use jumpcloud::sim::{SimConfig, SimOrg, Simulator};

use crate::lanyard::{Browser, Lanyard};

/// A fixed seed: the same world on every run.
const SEED: u64 = 13;

pub async fn simulator(client_orgs: usize, users_per_org: usize) -> anyhow::Result<Simulator> {
    Ok(Simulator::start(
        std::net::SocketAddr::from(([127, 0, 0, 1], 0)),
        &SimConfig {
            client_orgs,
            users_per_org,
            extra_groups_per_org: 0,
            seed: SEED,
        },
    )
    .await?)
}

/// The organization outside the MSP (the simulator always seeds one).
pub fn standalone(sim: &Simulator) -> anyhow::Result<&SimOrg> {
    sim.info
        .orgs
        .iter()
        .find(|org| !org.msp)
        .context("the simulator has no standalone organization")
}

pub fn client_orgs(sim: &Simulator) -> Vec<&SimOrg> {
    sim.info.orgs.iter().filter(|org| org.msp).collect()
}

/// Lanyard's slug for a JumpCloud organization mapped under its own name.
pub fn slug(org: &SimOrg) -> String {
    app::tenants::orgs::slugify(&org.name)
}

/// JumpCloud as the bench reads it to choose inputs: straight to the simulator, no
/// pacing, no retries, never through the recording proxy.
pub fn direct_client(sim: &Simulator, api_key: &str) -> anyhow::Result<jumpcloud::OrgClient> {
    Ok(jumpcloud::Client::new(jumpcloud::ClientConfig {
        max_retries: 0,
        rate_limit: None,
        ..jumpcloud::ClientConfig::default()
    })?
    .for_org(jumpcloud::Connection {
        base_url: jumpcloud::custom_console_url(&sim.info.base_url)?,
        credentials: jumpcloud::Credentials::ApiKey(jumpcloud::Secret::new(api_key)),
        org_id: None,
    }))
}

/// Connects the simulator's MSP key (at `base_url`: the simulator or a proxy in front of
/// it) and maps every client organization; their slugs, in the simulator's order. The
/// first is mapped as an owner does it (checked against what the key reaches); the rest
/// go straight into the database, as the overview tests do, because each mapping
/// through the page re-reads the provider's list of 500.
pub async fn msp_installation(
    lanyard: &Lanyard,
    browser: &Browser,
    base_url: &str,
    sim: &Simulator,
) -> anyhow::Result<Vec<String>> {
    browser
        .connect("Managed clients", base_url, &sim.info.msp_api_key)
        .await?;
    let connections = browser.call("/api/connections", &[]).await?;
    let connection_id = connections
        .get(0)
        .and_then(|connection| connection.get("id"))
        .and_then(serde_json::Value::as_i64)
        .context("the new connection is not listed")?;
    let orgs = client_orgs(sim);
    let (first, rest) = orgs.split_first().context("the MSP has no organizations")?;
    browser
        .call(
            "/api/connections/map",
            &[
                ("connection_id", connection_id.to_string().as_str()),
                ("jumpcloud_org_id", first.id.as_str()),
                ("name", first.name.as_str()),
            ],
        )
        .await?;
    let db = app::db::Db::connect(&lanyard.database_url()).await?;
    let mut slugs = vec![slug(first)];
    for org in rest {
        let mapped = app::tenants::orgs::map(&db, connection_id, &org.id, &org.name).await?;
        slugs.push(mapped.slug);
    }
    Ok(slugs)
}
