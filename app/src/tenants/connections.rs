//! JumpCloud connections: credentials (sealed at rest), where they point, and which
//! organizations they reach. A connection is stored only after JumpCloud accepted it.

use std::collections::HashMap;

use jumpcloud::{Credentials, OrgClient, Region, Secret, ServiceAccount};
use url::Url;

use crate::db::{Db, now_unix};
use crate::error::AppError;
use crate::on_db;
use crate::state::AppState;
use crate::tenants::orgs::{self, Org};
use crate::tenants::{ConnectionKind, ConnectionRegion, ConnectionView, DiscoveredOrg};
use crate::vault::{Vault, hint};

/// What an admin typed, before validation. Empty secrets on an edit keep the stored ones.
#[derive(Debug, Default, Clone)]
pub struct ConnectionInput {
    pub name: String,
    pub kind: ConnectionKind,
    pub region: ConnectionRegion,
    pub base_url: String,
    pub api_key: String,
    pub client_id: String,
    pub client_secret: String,
    pub secondary_secret: String,
    pub token_url: String,
}

#[derive(Debug, Clone, sqlx::FromRow)]
pub struct StoredConnection {
    pub id: i64,
    pub name: String,
    pub kind: String,
    pub region: String,
    pub base_url: String,
    pub multi_tenant: bool,
    pub client_id: Option<String>,
    pub token_url: Option<String>,
    pub secret_sealed: String,
    pub secret_hint: String,
    pub secret_set_at: i64,
    pub secondary_sealed: Option<String>,
    pub secondary_hint: Option<String>,
    pub secondary_set_at: Option<i64>,
    pub demo: bool,
    pub verified_at: Option<i64>,
}

const SELECT: &str = "SELECT id, name, kind, region, base_url, multi_tenant, client_id, token_url, \
                      secret_sealed, secret_hint, secret_set_at, secondary_sealed, secondary_hint, \
                      secondary_set_at, demo, verified_at FROM connections";

pub async fn all(db: &Db) -> Result<Vec<StoredConnection>, AppError> {
    let sql = format!("{SELECT} ORDER BY name, id");
    Ok(on_db!(db, |pool| sqlx::query_as::<_, StoredConnection>(
        &sql
    )
    .fetch_all(pool)
    .await)?)
}

pub async fn by_id(db: &Db, id: i64) -> Result<StoredConnection, AppError> {
    let sql = format!("{SELECT} WHERE id = $1");
    on_db!(db, |pool| sqlx::query_as::<_, StoredConnection>(&sql)
        .bind(id)
        .fetch_optional(pool)
        .await)?
    .ok_or_else(|| AppError::NotFound("That connection".into()))
}

/// Demo mode is on while the only connections are the built-in simulator's.
pub async fn demo_mode(db: &Db) -> Result<bool, AppError> {
    let (demo, real): (i64, i64) = on_db!(db, |pool| sqlx::query_as(
        "SELECT COALESCE(SUM(CASE WHEN demo THEN 1 ELSE 0 END), 0), \
                COALESCE(SUM(CASE WHEN demo THEN 0 ELSE 1 END), 0) FROM connections"
    )
    .fetch_one(pool)
    .await)?;
    Ok(demo > 0 && real == 0)
}

/// Credentials after validation, still in the clear: they exist only for the length of
/// one request.
struct Checked {
    name: String,
    kind: ConnectionKind,
    region: ConnectionRegion,
    base_url: Url,
    client_id: Option<String>,
    token_url: Option<Url>,
    primary: Option<Secret>,
    secondary: Option<Secret>,
}

fn check(input: &ConnectionInput) -> Result<Checked, AppError> {
    let name = input.name.trim();
    if name.is_empty() || name.chars().count() > 100 {
        return Err(AppError::bad_request(
            "Give the connection a name (at most 100 characters).",
        ));
    }
    let base_url = match input.region {
        ConnectionRegion::Us => Region::Us.console_url(),
        ConnectionRegion::Eu => Region::Eu.console_url(),
        ConnectionRegion::Custom => jumpcloud::custom_console_url(&input.base_url)
            .map_err(|error| AppError::bad_request(format!("Base URL: {error}")))?,
    };
    let given = |value: &str| {
        let value = value.trim();
        (!value.is_empty()).then(|| Secret::new(value))
    };
    let (client_id, token_url, primary, secondary) = match input.kind {
        ConnectionKind::ApiKey => (None, None, given(&input.api_key), None),
        ConnectionKind::ServiceAccount => {
            let client_id = input.client_id.trim();
            if client_id.is_empty() {
                return Err(AppError::bad_request(
                    "A service account needs its client ID.",
                ));
            }
            let token_url = match input.token_url.trim() {
                "" => Url::parse(jumpcloud::DEFAULT_TOKEN_URL).ok(),
                raw => Some(
                    jumpcloud::http_url(raw)
                        .map_err(|error| AppError::bad_request(format!("Token URL: {error}")))?,
                ),
            };
            (
                Some(client_id.to_string()),
                token_url,
                given(&input.client_secret),
                given(&input.secondary_secret),
            )
        }
    };
    Ok(Checked {
        name: name.to_string(),
        kind: input.kind,
        region: input.region,
        base_url,
        client_id,
        token_url,
        primary,
        secondary,
    })
}

fn credentials(checked: &Checked, primary: Secret, secondary: Option<Secret>) -> Credentials {
    match (&checked.client_id, &checked.token_url) {
        (Some(client_id), Some(token_url)) => Credentials::ServiceAccount(ServiceAccount {
            client_id: client_id.clone(),
            primary_secret: primary,
            secondary_secret: secondary,
            token_url: token_url.clone(),
        }),
        _ => Credentials::ApiKey(primary),
    }
}

/// What JumpCloud said about new credentials.
struct Verified {
    multi_tenant: bool,
    orgs: Vec<jumpcloud::organizations::Organization>,
}

/// Lists the organizations the credentials reach. A key that reaches one organization may
/// still be a multi-tenant key: org-scoped calls then need `x-org-id` (NOTES §2), which
/// one probe without it reveals.
async fn verify(
    state: &AppState,
    base_url: &Url,
    creds: Credentials,
) -> Result<Verified, AppError> {
    let handle = state.jumpcloud.for_org(jumpcloud::Connection {
        base_url: base_url.clone(),
        credentials: creds,
        org_id: None,
    });
    let orgs = handle.list_organizations().await.map_err(refused)?;
    let multi_tenant = match orgs.len() {
        0 => {
            return Err(AppError::bad_request(
                "JumpCloud accepted the credentials but they reach no organization.",
            ));
        }
        1 => match handle.count_users().await {
            Ok(_) => false,
            Err(jumpcloud::Error::Unauthorized(_)) => true,
            Err(error) => return Err(refused(error)),
        },
        _ => true,
    };
    Ok(Verified { multi_tenant, orgs })
}

/// Turns JumpCloud's refusal of new credentials into a message for the form.
fn refused(error: jumpcloud::Error) -> AppError {
    match error {
        jumpcloud::Error::Unauthorized(message) | jumpcloud::Error::Forbidden(message) => {
            AppError::bad_request(format!(
                "JumpCloud refused these credentials ({message}). Check the key or secret and the region."
            ))
        }
        other => AppError::from(other),
    }
}

/// Verifies and stores a new connection. A single-organization connection is mapped at
/// once; the first real connection ends demo mode.
pub async fn add(state: &AppState, input: &ConnectionInput) -> Result<i64, AppError> {
    let checked = check(input)?;
    let primary = checked.primary.clone().ok_or_else(|| {
        AppError::bad_request(match checked.kind {
            ConnectionKind::ApiKey => "Paste the JumpCloud API key.",
            ConnectionKind::ServiceAccount => "Paste the service account's client secret.",
        })
    })?;
    let verified = verify(
        state,
        &checked.base_url,
        credentials(&checked, primary.clone(), checked.secondary.clone()),
    )
    .await?;
    let id = insert(
        &state.db,
        &state.vault,
        &checked,
        &primary,
        verified.multi_tenant,
        false,
    )
    .await?;
    leave_demo_mode(&state.db).await?;
    if !verified.multi_tenant
        && let Some(org) = verified.orgs.first()
    {
        let name = if org.display_name.is_empty() {
            checked.name.as_str()
        } else {
            org.display_name.as_str()
        };
        orgs::map(&state.db, id, &org.id, name).await?;
    }
    Ok(id)
}

async fn insert(
    db: &Db,
    vault: &Vault,
    checked: &Checked,
    primary: &Secret,
    multi_tenant: bool,
    demo: bool,
) -> Result<i64, AppError> {
    let now = now_unix();
    let secondary = checked.secondary.as_ref();
    Ok(on_db!(db, |pool| {
        sqlx::query_scalar(
        "INSERT INTO connections (name, kind, region, base_url, multi_tenant, client_id, token_url, \
         secret_sealed, secret_hint, secret_set_at, secondary_sealed, secondary_hint, secondary_set_at, \
         demo, verified_at, created_at) \
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14, $15, $15) RETURNING id"
    )
    .bind(&checked.name)
    .bind(checked.kind.as_str())
    .bind(checked.region.as_str())
    .bind(checked.base_url.as_str())
    .bind(multi_tenant)
    .bind(checked.client_id.as_deref())
    .bind(checked.token_url.as_ref().map(Url::as_str))
    .bind(vault.seal(primary.expose()))
    .bind(hint(primary.expose()))
    .bind(now)
    .bind(secondary.map(|s| vault.seal(s.expose())))
    .bind(secondary.map(|s| hint(s.expose())))
    .bind(secondary.map(|_| now))
    .bind(demo)
    .bind(now)
    .fetch_one(pool)
    .await
    })?)
}

/// Edits a connection: renames it and/or rotates its secrets. Blank secret and token URL
/// fields keep the stored ones; whatever results is verified with JumpCloud before it is stored.
pub async fn update(state: &AppState, id: i64, input: &ConnectionInput) -> Result<(), AppError> {
    let stored = by_id(&state.db, id).await?;
    let mut input = input.clone();
    input.kind = ConnectionKind::parse(&stored.kind);
    if input.token_url.trim().is_empty() {
        input.token_url = stored.token_url.clone().unwrap_or_default();
    }
    let checked = check(&input)?;
    let primary = match &checked.primary {
        Some(secret) => secret.clone(),
        None => open(&state.vault, &stored.secret_sealed)?,
    };
    let secondary = match (&checked.secondary, &stored.secondary_sealed) {
        (Some(secret), _) => Some(secret.clone()),
        (None, Some(sealed)) => Some(open(&state.vault, sealed)?),
        (None, None) => None,
    };
    let verified = verify(
        state,
        &checked.base_url,
        credentials(&checked, primary.clone(), secondary),
    )
    .await?;
    let now = now_unix();
    let vault = &state.vault;
    let new_primary = checked.primary.as_ref();
    let new_secondary = checked.secondary.as_ref();
    on_db!(&state.db, |pool| sqlx::query(
        "UPDATE connections SET name = $1, region = $2, base_url = $3, multi_tenant = $4, \
         client_id = $5, token_url = $6, \
         secret_sealed = COALESCE($7, secret_sealed), secret_hint = COALESCE($8, secret_hint), \
         secret_set_at = COALESCE($9, secret_set_at), \
         secondary_sealed = COALESCE($10, secondary_sealed), \
         secondary_hint = COALESCE($11, secondary_hint), \
         secondary_set_at = COALESCE($12, secondary_set_at), verified_at = $13 WHERE id = $14"
    )
    .bind(&checked.name)
    .bind(checked.region.as_str())
    .bind(checked.base_url.as_str())
    .bind(verified.multi_tenant)
    .bind(checked.client_id.as_deref())
    .bind(checked.token_url.as_ref().map(Url::as_str))
    .bind(new_primary.map(|s| vault.seal(s.expose())))
    .bind(new_primary.map(|s| hint(s.expose())))
    .bind(new_primary.map(|_| now))
    .bind(new_secondary.map(|s| vault.seal(s.expose())))
    .bind(new_secondary.map(|s| hint(s.expose())))
    .bind(new_secondary.map(|_| now))
    .bind(now)
    .bind(id)
    .execute(pool)
    .await
    .map(|_| ()))?;
    Ok(())
}

/// Deletes a connection and, with it, its organizations and their memberships.
pub async fn delete(db: &Db, id: i64) -> Result<(), AppError> {
    by_id(db, id).await?;
    on_db!(db, |pool| sqlx::query(
        "DELETE FROM connections WHERE id = $1"
    )
    .bind(id)
    .execute(pool)
    .await
    .map(|_| ()))?;
    orgs::ensure_default(db).await
}

async fn leave_demo_mode(db: &Db) -> Result<(), AppError> {
    on_db!(db, |pool| sqlx::query("DELETE FROM connections WHERE demo")
        .execute(pool)
        .await
        .map(|_| ()))?;
    orgs::ensure_default(db).await
}

fn open(vault: &Vault, sealed: &str) -> Result<Secret, AppError> {
    vault.open(sealed).map_err(|error| {
        tracing::error!(%error, "stored JumpCloud secret cannot be decrypted");
        AppError::Internal
    })
}

/// The JumpCloud handle for a stored connection, scoped to one JumpCloud organization
/// (`x-org-id` only on multi-tenant connections).
pub fn handle(
    state: &AppState,
    connection: &StoredConnection,
    jumpcloud_org_id: Option<&str>,
) -> Result<OrgClient, AppError> {
    let base_url = Url::parse(&connection.base_url).map_err(|error| {
        tracing::error!(%error, id = connection.id, "stored connection has a bad base URL");
        AppError::Internal
    })?;
    let primary = open(&state.vault, &connection.secret_sealed)?;
    let credentials = match (&connection.client_id, &connection.token_url) {
        (Some(client_id), Some(token_url)) => Credentials::ServiceAccount(ServiceAccount {
            client_id: client_id.clone(),
            primary_secret: primary,
            secondary_secret: connection
                .secondary_sealed
                .as_deref()
                .map(|sealed| open(&state.vault, sealed))
                .transpose()?,
            token_url: Url::parse(token_url).map_err(|_| AppError::Internal)?,
        }),
        _ => Credentials::ApiKey(primary),
    };
    Ok(state.jumpcloud.for_org(jumpcloud::Connection {
        base_url,
        credentials,
        org_id: jumpcloud_org_id
            .filter(|_| connection.multi_tenant)
            .map(str::to_string),
    }))
}

/// The JumpCloud handle for one dashboard organization.
pub async fn org_client(state: &AppState, org: &Org) -> Result<OrgClient, AppError> {
    let connection = by_id(&state.db, org.connection_id).await?;
    handle(state, &connection, Some(&org.jumpcloud_org_id))
}

/// The organizations JumpCloud says the connection reaches, next to what is mapped:
/// new ones can be mapped, vanished ones are flagged.
pub async fn discover(state: &AppState, id: i64) -> Result<Vec<DiscoveredOrg>, AppError> {
    let connection = by_id(&state.db, id).await?;
    let client = handle(state, &connection, None)?;
    let found = client.list_organizations().await?;
    let seats = if connection.multi_tenant {
        licensed_users(&client).await
    } else {
        HashMap::new()
    };
    let mapped = orgs::for_connection(&state.db, id).await?;
    let mut discovered: Vec<DiscoveredOrg> = found
        .iter()
        .map(|org| {
            let mapping = mapped.iter().find(|m| m.jumpcloud_org_id == org.id);
            DiscoveredOrg {
                jumpcloud_org_id: org.id.clone(),
                jumpcloud_name: org.display_name.clone(),
                licensed_users: seats.get(&org.id).copied().flatten(),
                mapped_slug: mapping.map(|m| m.slug.clone()),
                mapped_name: mapping.map(|m| m.name.clone()),
                is_default: mapping.is_some_and(|m| m.is_default),
                vanished: false,
            }
        })
        .collect();
    discovered.extend(
        mapped
            .iter()
            .filter(|m| !found.iter().any(|org| org.id == m.jumpcloud_org_id))
            .map(|m| DiscoveredOrg {
                jumpcloud_org_id: m.jumpcloud_org_id.clone(),
                jumpcloud_name: String::new(),
                licensed_users: None,
                mapped_slug: Some(m.slug.clone()),
                mapped_name: Some(m.name.clone()),
                is_default: m.is_default,
                vanished: true,
            }),
    );
    Ok(discovered)
}

/// A provider's organizations' licensed user seats, by organization id. Only for the
/// page's information: when JumpCloud cannot say, the list shows none.
async fn licensed_users(client: &OrgClient) -> HashMap<String, Option<u64>> {
    let organizations = match client.provider_id().await {
        Ok(Some(provider)) => client.list_provider_organizations(&provider).await,
        Ok(None) => return HashMap::new(),
        Err(error) => Err(error),
    };
    match organizations {
        Ok(organizations) => organizations
            .into_iter()
            .map(|org| (org.id, org.max_system_users))
            .collect(),
        Err(error) => {
            tracing::warn!(%error, "cannot read the provider's organizations");
            HashMap::new()
        }
    }
}

/// Maps one discovered organization, after checking the connection really reaches it.
pub async fn map_org(
    state: &AppState,
    connection_id: i64,
    jumpcloud_org_id: &str,
    name: &str,
) -> Result<Org, AppError> {
    let reachable = discover(state, connection_id)
        .await?
        .into_iter()
        .any(|org| !org.vanished && org.jumpcloud_org_id == jumpcloud_org_id);
    if !reachable {
        return Err(AppError::bad_request(
            "This connection does not reach that JumpCloud organization.",
        ));
    }
    orgs::map(&state.db, connection_id, jumpcloud_org_id, name).await
}

pub async fn views(db: &Db) -> Result<Vec<ConnectionView>, AppError> {
    let orgs = orgs::all(db).await?;
    Ok(all(db)
        .await?
        .into_iter()
        .map(|c| ConnectionView {
            org_count: orgs.iter().filter(|o| o.connection_id == c.id).count(),
            id: c.id,
            name: c.name,
            kind: ConnectionKind::parse(&c.kind),
            region: ConnectionRegion::parse(&c.region),
            base_url: c.base_url,
            multi_tenant: c.multi_tenant,
            client_id: c.client_id,
            secret_hint: c.secret_hint,
            secret_set_at: c.secret_set_at,
            secondary_hint: c.secondary_hint,
            secondary_set_at: c.secondary_set_at,
            demo: c.demo,
            verified_at: c.verified_at,
        })
        .collect())
}

/// The built-in simulator's connections, created or refreshed at start: its address
/// changes every run, and its keys follow its seed.
pub async fn ensure_demo(
    db: &Db,
    vault: &Vault,
    simulator: &jumpcloud::sim::SimInfo,
) -> Result<(), AppError> {
    let base_url = jumpcloud::custom_console_url(&simulator.base_url)
        .map_err(|error| AppError::bad_request(error.to_string()))?;
    let existing: Vec<StoredConnection> = all(db).await?.into_iter().filter(|c| c.demo).collect();
    let wanted = std::iter::once((
        "Demo MSP".to_string(),
        simulator.msp_api_key.clone(),
        true,
        simulator
            .orgs
            .iter()
            .filter(|org| org.msp)
            .collect::<Vec<_>>(),
    ))
    .chain(simulator.orgs.iter().filter(|org| !org.msp).map(|org| {
        (
            format!("Demo {}", org.name),
            org.api_key.clone(),
            false,
            vec![org],
        )
    }));
    for (name, key, multi_tenant, sim_orgs) in wanted {
        let checked = Checked {
            name,
            kind: ConnectionKind::ApiKey,
            region: ConnectionRegion::Custom,
            base_url: base_url.clone(),
            client_id: None,
            token_url: None,
            primary: None,
            secondary: None,
        };
        let key = Secret::new(key);
        let id = match existing.iter().find(|c| c.name == checked.name) {
            Some(connection) => {
                on_db!(db, |pool| sqlx::query(
                    "UPDATE connections SET base_url = $1, secret_sealed = $2, secret_hint = $3 \
                     WHERE id = $4"
                )
                .bind(base_url.as_str())
                .bind(vault.seal(key.expose()))
                .bind(hint(key.expose()))
                .bind(connection.id)
                .execute(pool)
                .await
                .map(|_| ()))?;
                connection.id
            }
            None => insert(db, vault, &checked, &key, multi_tenant, true).await?,
        };
        let mapped = orgs::for_connection(db, id).await?;
        for org in sim_orgs {
            if !mapped.iter().any(|m| m.jumpcloud_org_id == org.id) {
                orgs::map(db, id, &org.id, &org.name).await?;
            }
        }
    }
    Ok(())
}
