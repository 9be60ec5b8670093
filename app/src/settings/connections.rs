//! Settings → Connections: add, verify, rotate and remove JumpCloud credentials, and map
//! the organizations a connection reaches onto dashboard organizations.

use leptos::prelude::*;
use leptos_router::hooks::use_params_map;
use serde::{Deserialize, Serialize};

use crate::components::{ErrorPanel, FormError};
use crate::error::AppError;
use crate::tenants::{ConnectionKind, ConnectionRegion, ConnectionView, DiscoveredOrg};
use crate::when::date;

#[server(endpoint = "connections")]
pub async fn list_connections() -> Result<Vec<ConnectionView>, AppError> {
    crate::error::with_http_status(ssr::list().await)
}

#[allow(clippy::too_many_arguments)]
#[server(endpoint = "connections/add")]
pub async fn add_connection(
    name: String,
    kind: String,
    region: String,
    base_url: Option<String>,
    api_key: Option<String>,
    client_id: Option<String>,
    client_secret: Option<String>,
    secondary_secret: Option<String>,
    token_url: Option<String>,
) -> Result<(), AppError> {
    let input = ssr::input(
        name,
        &kind,
        &region,
        [
            base_url,
            api_key,
            client_id,
            client_secret,
            secondary_secret,
            token_url,
        ],
    );
    crate::error::with_http_status(ssr::add(input).await)
}

#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct ConnectionDetail {
    pub connection: ConnectionView,
    pub orgs: Vec<DiscoveredOrg>,
    /// Why the organizations could not be listed, if JumpCloud failed.
    pub discovery_error: Option<String>,
}

#[server(endpoint = "connections/detail")]
pub async fn load_connection(id: i64) -> Result<ConnectionDetail, AppError> {
    crate::error::with_http_status(ssr::detail(id).await)
}

#[allow(clippy::too_many_arguments)]
#[server(endpoint = "connections/update")]
pub async fn update_connection(
    id: i64,
    name: String,
    region: String,
    base_url: Option<String>,
    api_key: Option<String>,
    client_id: Option<String>,
    client_secret: Option<String>,
    secondary_secret: Option<String>,
    token_url: Option<String>,
) -> Result<(), AppError> {
    let input = ssr::input(
        name,
        "",
        &region,
        [
            base_url,
            api_key,
            client_id,
            client_secret,
            secondary_secret,
            token_url,
        ],
    );
    crate::error::with_http_status(ssr::update(id, input).await)
}

#[server(endpoint = "connections/delete")]
pub async fn delete_connection(id: i64, confirm: Option<String>) -> Result<(), AppError> {
    crate::error::with_http_status(ssr::delete(id, confirm.is_some()).await)
}

#[server(endpoint = "connections/map")]
pub async fn map_org(
    connection_id: i64,
    jumpcloud_org_id: String,
    name: String,
) -> Result<(), AppError> {
    crate::error::with_http_status(ssr::map(connection_id, &jumpcloud_org_id, &name).await)
}

#[server(endpoint = "connections/unmap")]
pub async fn unmap_org(slug: String, confirm: Option<String>) -> Result<(), AppError> {
    crate::error::with_http_status(ssr::unmap(&slug, confirm.is_some()).await)
}

#[server(endpoint = "orgs/default")]
pub async fn set_default_org(slug: String) -> Result<(), AppError> {
    crate::error::with_http_status(ssr::set_default(&slug).await)
}

#[cfg(feature = "ssr")]
mod ssr {
    use super::ConnectionDetail;
    use crate::audit;
    use crate::error::AppError;
    use crate::state::app_state;
    use crate::tenants::access::require_owner;
    use crate::tenants::connections::{self, ConnectionInput};
    use crate::tenants::{ConnectionKind, ConnectionRegion, ConnectionView, orgs};

    pub fn input(
        name: String,
        kind: &str,
        region: &str,
        [
            base_url,
            api_key,
            client_id,
            client_secret,
            secondary_secret,
            token_url,
        ]: [Option<String>; 6],
    ) -> ConnectionInput {
        ConnectionInput {
            name,
            kind: ConnectionKind::parse(kind),
            region: ConnectionRegion::parse(region),
            base_url: base_url.unwrap_or_default(),
            api_key: api_key.unwrap_or_default(),
            client_id: client_id.unwrap_or_default(),
            client_secret: client_secret.unwrap_or_default(),
            secondary_secret: secondary_secret.unwrap_or_default(),
            token_url: token_url.unwrap_or_default(),
        }
    }

    pub async fn list() -> Result<Vec<ConnectionView>, AppError> {
        let state = app_state()?;
        require_owner(&state).await?;
        connections::views(&state.db).await
    }

    pub async fn add(input: ConnectionInput) -> Result<(), AppError> {
        let state = app_state()?;
        let owner = require_owner(&state).await?;
        let id = connections::add(&state, &input).await?;
        let summary = format!(
            "added connection {:?} ({})",
            input.name.trim(),
            input.kind.label()
        );
        audit::owner_action(
            &state.db,
            &owner.email,
            "connection.added",
            &format!("connection {id}"),
            &summary,
        )
        .await?;
        leptos_axum::redirect(&format!("/settings/connections/{id}"));
        Ok(())
    }

    pub async fn detail(id: i64) -> Result<ConnectionDetail, AppError> {
        let state = app_state()?;
        require_owner(&state).await?;
        let connection = connections::views(&state.db)
            .await?
            .into_iter()
            .find(|view| view.id == id)
            .ok_or_else(|| AppError::NotFound("That connection".into()))?;
        let (orgs, discovery_error) = match connections::discover(&state, id).await {
            Ok(orgs) => (orgs, None),
            Err(error) => (Vec::new(), Some(error.to_string())),
        };
        Ok(ConnectionDetail {
            connection,
            orgs,
            discovery_error,
        })
    }

    pub async fn update(id: i64, input: ConnectionInput) -> Result<(), AppError> {
        let state = app_state()?;
        let owner = require_owner(&state).await?;
        connections::update(&state, id, &input).await?;
        let rotated = [
            &input.api_key,
            &input.client_secret,
            &input.secondary_secret,
        ]
        .iter()
        .any(|secret| !secret.trim().is_empty());
        let summary = if rotated {
            "edited the connection and rotated a secret"
        } else {
            "edited the connection"
        };
        audit::owner_action(
            &state.db,
            &owner.email,
            "connection.updated",
            &format!("connection {id}"),
            summary,
        )
        .await
    }

    pub async fn delete(id: i64, confirmed: bool) -> Result<(), AppError> {
        let state = app_state()?;
        let owner = require_owner(&state).await?;
        if !confirmed {
            return Err(AppError::bad_request(
                "Tick the box to confirm: the connection's organizations are removed too.",
            ));
        }
        connections::delete(&state.db, id).await?;
        audit::owner_action(
            &state.db,
            &owner.email,
            "connection.deleted",
            &format!("connection {id}"),
            "removed the connection and its organizations",
        )
        .await?;
        leptos_axum::redirect("/settings/connections");
        Ok(())
    }

    pub async fn map(
        connection_id: i64,
        jumpcloud_org_id: &str,
        name: &str,
    ) -> Result<(), AppError> {
        let state = app_state()?;
        let owner = require_owner(&state).await?;
        let org = connections::map_org(&state, connection_id, jumpcloud_org_id, name).await?;
        let summary = format!(
            "mapped JumpCloud organization {jumpcloud_org_id} as {:?}",
            org.name
        );
        audit::owner_action(
            &state.db,
            &owner.email,
            "org.mapped",
            &format!("org {}", org.slug),
            &summary,
        )
        .await
    }

    async fn owned_org(
        slug: &str,
    ) -> Result<(crate::state::AppState, String, orgs::Org), AppError> {
        let state = app_state()?;
        let owner = require_owner(&state).await?;
        let org = orgs::by_slug(&state.db, slug)
            .await?
            .ok_or_else(|| AppError::NotFound("That organization".into()))?;
        Ok((state, owner.email, org))
    }

    pub async fn unmap(slug: &str, confirmed: bool) -> Result<(), AppError> {
        let (state, owner, org) = owned_org(slug).await?;
        if !confirmed {
            return Err(AppError::bad_request(
                "Tick the box to confirm: people lose access to this organization in Lanyard.",
            ));
        }
        orgs::unmap(&state.db, org.id).await?;
        audit::owner_action(
            &state.db,
            &owner,
            "org.unmapped",
            &format!("org {slug}"),
            &format!("removed {:?} from Lanyard", org.name),
        )
        .await
    }

    pub async fn set_default(slug: &str) -> Result<(), AppError> {
        let (state, owner, org) = owned_org(slug).await?;
        orgs::set_default(&state.db, org.id).await?;
        audit::owner_action(
            &state.db,
            &owner,
            "org.default",
            &format!("org {slug}"),
            "made it the default organization",
        )
        .await
    }
}

#[component]
pub fn ConnectionsPage() -> impl IntoView {
    let add = ServerAction::<AddConnection>::new();
    let connections = Resource::new(move || add.version().get(), |_| list_connections());
    view! {
        <h1>"Connections"</h1>
        <Suspense fallback=|| view! { <p class="loading">"Loading…"</p> }>
            {move || Suspend::new(async move {
                match connections.await {
                    Ok(list) => view! { <ConnectionList list /> }.into_any(),
                    Err(error) => view! { <ErrorPanel error /> }.into_any(),
                }
            })}
        </Suspense>
        <section class="panel">
            <h2>"Add a connection"</h2>
            <p class="hint">
                "Lanyard checks the credentials with JumpCloud before saving them. Secrets are encrypted at rest and never shown again."
            </p>
            <ActionForm action=add attr:class="stack" attr:aria-label="Add a connection">
                <FormError result=add.value() />
                <label>
                    "Name"
                    <input type="text" name="name" required maxlength="100" placeholder="Acme production" />
                </label>
                <fieldset>
                    <legend>"Credentials"</legend>
                    <label class="choice">
                        <input type="radio" name="kind" value=ConnectionKind::ApiKey.as_str() checked />
                        {ConnectionKind::ApiKey.label()}
                    </label>
                    <label class="choice">
                        <input type="radio" name="kind" value=ConnectionKind::ServiceAccount.as_str() />
                        {ConnectionKind::ServiceAccount.label()}
                    </label>
                </fieldset>
                <RegionFields region=ConnectionRegion::Us base_url=String::new() />
                <label>
                    "API key (for an API-key connection)"
                    <input type="password" name="api_key" autocomplete="off" />
                </label>
                <ServiceAccountFields client_id=String::new() token_url=String::new() />
                <button type="submit" class="primary">
                    "Verify and save"
                </button>
            </ActionForm>
        </section>
    }
}

#[component]
fn RegionFields(region: ConnectionRegion, base_url: String) -> impl IntoView {
    view! {
        <label>
            "Region"
            <select name="region">
                {[ConnectionRegion::Us, ConnectionRegion::Eu, ConnectionRegion::Custom]
                    .into_iter()
                    .map(|option| {
                        view! {
                            <option value=option.as_str() selected=option == region>
                                {option.label()}
                            </option>
                        }
                    })
                    .collect_view()}
            </select>
        </label>
        <label>
            "Custom base URL (only for the custom region)"
            <input type="url" name="base_url" value=base_url placeholder="https://console.jumpcloud.com" />
        </label>
    }
}

#[component]
fn ServiceAccountFields(client_id: String, token_url: String) -> impl IntoView {
    view! {
        <fieldset>
            <legend>"Service account (for an OAuth connection)"</legend>
            <label>
                "Client ID"
                <input type="text" name="client_id" value=client_id autocomplete="off" />
            </label>
            <label>
                "Client secret"
                <input type="password" name="client_secret" autocomplete="off" />
            </label>
            <label>
                "Secondary secret (optional, for rotation)"
                <input type="password" name="secondary_secret" autocomplete="off" />
            </label>
            <label>
                "Token URL (optional)"
                <input type="url" name="token_url" value=token_url placeholder=jumpcloud_token_url() />
            </label>
        </fieldset>
    }
}

/// JumpCloud's token endpoint, shown as the default; the `jumpcloud` crate is server-only.
fn jumpcloud_token_url() -> &'static str {
    "https://admin-oauth.id.jumpcloud.com/oauth2/token"
}

#[component]
fn ConnectionList(list: Vec<ConnectionView>) -> impl IntoView {
    if list.is_empty() {
        return view! {
            <section class="panel">
                <p class="empty">"No connection yet. Add one below."</p>
            </section>
        }
        .into_any();
    }
    view! {
        <section class="panel">
            <table class="data">
                <thead>
                    <tr>
                        <th scope="col">"Name"</th>
                        <th scope="col">"Type"</th>
                        <th scope="col">"Secret"</th>
                        <th scope="col" class="num">"Organizations"</th>
                    </tr>
                </thead>
                <tbody>
                    {list
                        .into_iter()
                        .map(|c| {
                            view! {
                                <tr>
                                    <td>
                                        <a href=format!("/settings/connections/{}", c.id)>{c.name}</a>
                                        {c.demo.then(|| view! { <span class="tag">"demo"</span> })}
                                    </td>
                                    <td>
                                        {c.kind.label()}
                                        {c.multi_tenant.then_some(" · multi-tenant")}
                                    </td>
                                    <td>
                                        <code>{c.secret_hint}</code>
                                        " set "
                                        {date(c.secret_set_at)}
                                    </td>
                                    <td class="num">{c.org_count}</td>
                                </tr>
                            }
                        })
                        .collect_view()}
                </tbody>
            </table>
        </section>
    }
    .into_any()
}

#[component]
pub fn ConnectionPage() -> impl IntoView {
    let params = use_params_map();
    let id = Memo::new(move |_| {
        params
            .read()
            .get("id")
            .and_then(|id| id.parse::<i64>().ok())
            .unwrap_or_default()
    });
    let update = ServerAction::<UpdateConnection>::new();
    let delete = ServerAction::<DeleteConnection>::new();
    let map = ServerAction::<MapOrg>::new();
    let unmap = ServerAction::<UnmapOrg>::new();
    let default = ServerAction::<SetDefaultOrg>::new();
    let detail = Resource::new(
        move || {
            (
                id.get(),
                update.version().get(),
                map.version().get(),
                unmap.version().get(),
                default.version().get(),
            )
        },
        |(id, ..)| load_connection(id),
    );
    let actions = OrgActions {
        map,
        unmap,
        default,
    };
    view! {
        <p>
            <a href="/settings/connections">"← Connections"</a>
        </p>
        <Suspense fallback=|| view! { <p class="loading">"Loading…"</p> }>
            {move || Suspend::new(async move {
                match detail.await {
                    Ok(detail) => {
                        view! { <ConnectionDetailView detail update delete actions /> }.into_any()
                    }
                    Err(error) => view! { <ErrorPanel error /> }.into_any(),
                }
            })}
        </Suspense>
    }
}

#[derive(Clone, Copy)]
struct OrgActions {
    map: ServerAction<MapOrg>,
    unmap: ServerAction<UnmapOrg>,
    default: ServerAction<SetDefaultOrg>,
}

#[component]
fn ConnectionDetailView(
    detail: ConnectionDetail,
    update: ServerAction<UpdateConnection>,
    delete: ServerAction<DeleteConnection>,
    actions: OrgActions,
) -> impl IntoView {
    let c = detail.connection;
    let id = c.id;
    let service_account = c.kind == ConnectionKind::ServiceAccount;
    let custom_base = if c.region == ConnectionRegion::Custom {
        c.base_url.clone()
    } else {
        String::new()
    };
    view! {
        <h1>{c.name.clone()}</h1>
        <section class="panel">
            <dl class="facts">
                <dt>"Type"</dt>
                <dd>{c.kind.label()} {c.multi_tenant.then_some(" · multi-tenant (MSP)")}</dd>
                <dt>"JumpCloud"</dt>
                <dd>{c.base_url.clone()}</dd>
                {c.client_id.clone().map(|client_id| view! { <dt>"Client ID"</dt><dd><code>{client_id}</code></dd> })}
                <dt>{if service_account { "Client secret" } else { "API key" }}</dt>
                <dd>
                    <code data-testid="secret-hint">{c.secret_hint.clone()}</code>
                    " set "
                    {date(c.secret_set_at)}
                </dd>
                {c.secondary_hint.clone().map(|hint| view! {
                    <dt>"Secondary secret"</dt>
                    <dd><code>{hint}</code> " set " {c.secondary_set_at.map(date)}</dd>
                })}
                <dt>"Last verified"</dt>
                <dd>{c.verified_at.map(date).unwrap_or_else(|| "never".into())}</dd>
            </dl>
        </section>
        <OrgMappings connection_id=id orgs=detail.orgs error=detail.discovery_error actions />
        <section class="panel">
            <h2>"Edit or rotate"</h2>
            <p class="hint">"Leave a secret empty to keep the stored one. The result is verified with JumpCloud before it is saved."</p>
            <ActionForm action=update attr:class="stack" attr:aria-label="Edit connection">
                <FormError result=update.value() />
                <input type="hidden" name="id" value=id />
                <label>
                    "Name"
                    <input type="text" name="name" required maxlength="100" value=c.name.clone() />
                </label>
                <RegionFields region=c.region base_url=custom_base />
                {if service_account {
                    view! {
                        <ServiceAccountFields
                            client_id=c.client_id.clone().unwrap_or_default()
                            token_url=String::new()
                        />
                    }
                        .into_any()
                } else {
                    view! {
                        <label>
                            "New API key"
                            <input type="password" name="api_key" autocomplete="off" />
                        </label>
                    }
                        .into_any()
                }}
                <button type="submit" class="primary">
                    "Verify and save"
                </button>
            </ActionForm>
        </section>
        <section class="panel danger-zone">
            <h2>"Remove this connection"</h2>
            <ActionForm action=delete attr:class="stack" attr:aria-label="Remove connection">
                <FormError result=delete.value() />
                <input type="hidden" name="id" value=id />
                <label class="choice">
                    <input type="checkbox" name="confirm" value="yes" required />
                    {format!(
                        "Also remove its {} organization(s) from Lanyard, with everyone's access to them.",
                        c.org_count,
                    )}
                </label>
                <button type="submit" class="danger">
                    "Remove connection"
                </button>
            </ActionForm>
        </section>
    }
}

#[component]
fn OrgMappings(
    connection_id: i64,
    orgs: Vec<DiscoveredOrg>,
    error: Option<String>,
    actions: OrgActions,
) -> impl IntoView {
    view! {
        <section class="panel">
            <h2>"Organizations"</h2>
            <p class="hint">"What JumpCloud lists for this connection right now. Map the ones Lanyard should manage."</p>
            <FormError result=actions.map.value() />
            <FormError result=actions.unmap.value() />
            <FormError result=actions.default.value() />
            {error.map(|error| view! { <p class="form-error" role="alert">{error}</p> })}
            <table class="data" aria-label="JumpCloud organizations">
                <thead>
                    <tr>
                        <th scope="col">"JumpCloud organization"</th>
                        <th scope="col" class="num">"Licensed users"</th>
                        <th scope="col">"In Lanyard"</th>
                        <th scope="col">"Actions"</th>
                    </tr>
                </thead>
                <tbody>
                    {orgs
                        .into_iter()
                        .map(|org| view! { <OrgMappingRow connection_id org actions /> })
                        .collect_view()}
                </tbody>
            </table>
        </section>
    }
}

#[component]
fn OrgMappingRow(connection_id: i64, org: DiscoveredOrg, actions: OrgActions) -> impl IntoView {
    let jumpcloud_label = if org.vanished {
        format!("{} (no longer in JumpCloud)", org.jumpcloud_org_id)
    } else {
        org.jumpcloud_name.clone()
    };
    let map_label = format!("Map {}", org.jumpcloud_name);
    let jumpcloud_org_id = org.jumpcloud_org_id.clone();
    let proposed_name = org.jumpcloud_name.clone();
    let actions_cell = match org.mapped_slug.clone() {
        None => view! {
            <ActionForm action=actions.map attr:class="inline" attr:aria-label=map_label>
                <input type="hidden" name="connection_id" value=connection_id />
                <input type="hidden" name="jumpcloud_org_id" value=jumpcloud_org_id />
                <input type="text" name="name" required maxlength="100" value=proposed_name aria-label="Name in Lanyard" />
                <button type="submit">"Map"</button>
            </ActionForm>
        }
        .into_any(),
        Some(slug) => view! {
            {(!org.is_default).then({
                let slug = slug.clone();
                move || view! {
                <ActionForm action=actions.default attr:class="inline">
                    <input type="hidden" name="slug" value=slug />
                    <button type="submit">"Make default"</button>
                </ActionForm>
            }})}
            <ActionForm action=actions.unmap attr:class="inline">
                <input type="hidden" name="slug" value=slug />
                <label class="choice">
                    <input type="checkbox" name="confirm" value="yes" required />
                    "confirm"
                </label>
                <button type="submit" class="danger">"Unmap"</button>
            </ActionForm>
        }
        .into_any(),
    };
    view! {
        <tr class:vanished=org.vanished>
            <td>{jumpcloud_label}</td>
            <td class="num">{org.licensed_users.map(|seats| seats.to_string())}</td>
            <td>
                {org.mapped_slug.clone().map(|slug| view! {
                    <a href=format!("/o/{slug}")>{org.mapped_name.clone()}</a>
                    {org.is_default.then(|| view! { <span class="tag">"default"</span> })}
                })}
            </td>
            <td>{actions_cell}</td>
        </tr>
    }
}
