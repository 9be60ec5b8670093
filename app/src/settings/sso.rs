//! Settings → Single sign-on: the configured OpenID Connect provider (from the server's
//! settings, read-only here) and, per organization, whether SSO users found in its
//! JumpCloud directory get in as requesters automatically.

use leptos::prelude::*;
use serde::{Deserialize, Serialize};

use crate::components::{ErrorPanel, FormError};
use crate::error::AppError;
use crate::sso::SsoProvider;

#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct SsoOverview {
    pub provider: Option<SsoProvider>,
    pub orgs: Vec<AutoRequesterView>,
}

#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct AutoRequesterView {
    pub slug: String,
    pub name: String,
    pub auto_requester: bool,
}

#[server(endpoint = "sso/settings")]
pub async fn load_sso_settings() -> Result<SsoOverview, AppError> {
    crate::error::with_http_status(ssr::overview().await)
}

#[server(endpoint = "sso/auto-requester")]
pub async fn set_auto_requester(org: String, enabled: bool) -> Result<(), AppError> {
    crate::error::with_http_status(ssr::set_auto_requester(&org, enabled).await)
}

#[cfg(feature = "ssr")]
mod ssr {
    use super::{AutoRequesterView, SsoOverview};
    use crate::error::AppError;
    use crate::state::app_state;
    use crate::tenants::access::require_owner;
    use crate::tenants::orgs;

    pub async fn overview() -> Result<SsoOverview, AppError> {
        let state = app_state()?;
        require_owner(&state).await?;
        Ok(SsoOverview {
            provider: state.sso.clone(),
            orgs: orgs::all(&state.db)
                .await?
                .into_iter()
                .map(|org| AutoRequesterView {
                    slug: org.slug,
                    name: org.name,
                    auto_requester: org.auto_requester,
                })
                .collect(),
        })
    }

    pub async fn set_auto_requester(slug: &str, enabled: bool) -> Result<(), AppError> {
        let state = app_state()?;
        let owner = require_owner(&state).await?;
        let org = orgs::by_slug(&state.db, slug)
            .await?
            .ok_or_else(|| AppError::NotFound("That organization".into()))?;
        orgs::set_auto_requester(&state.db, org.id, enabled).await?;
        let summary = if enabled {
            "directory users of this organization get requester accounts at their first SSO sign-in"
        } else {
            "SSO sign-in no longer creates requester accounts for this organization"
        };
        crate::audit::record(
            &state.db,
            crate::audit::Event {
                actor: &owner.email,
                org_id: Some(org.id),
                action: "sso.auto_requester",
                target: &format!("org {}", org.slug),
                summary,
                result: "ok",
            },
        )
        .await
    }
}

#[component]
pub fn SsoSettingsPage() -> impl IntoView {
    let toggle = ServerAction::<SetAutoRequester>::new();
    let overview = Resource::new(move || toggle.version().get(), |_| load_sso_settings());
    view! {
        <h1>"Single sign-on"</h1>
        <Suspense fallback=|| view! { <p class="loading">"Loading…"</p> }>
            {move || Suspend::new(async move {
                match overview.await {
                    Ok(overview) => {
                        view! {
                            <ProviderPanel provider=overview.provider.clone() />
                            <AutoRequesterPanel orgs=overview.orgs.clone() toggle />
                        }
                            .into_any()
                    }
                    Err(error) => view! { <ErrorPanel error /> }.into_any(),
                }
            })}
        </Suspense>
    }
}

#[component]
fn ProviderPanel(provider: Option<SsoProvider>) -> impl IntoView {
    let body = match provider {
        Some(provider) => view! {
            <dl class="facts" aria-label="OpenID Connect provider">
                <dt>"Issuer"</dt>
                <dd>{provider.issuer}</dd>
                <dt>"Client id"</dt>
                <dd>{provider.client_id}</dd>
                <dt>"Redirect URL to register at the provider"</dt>
                <dd><code>{provider.redirect_url}</code></dd>
            </dl>
        }
        .into_any(),
        None => view! {
            <p>
                "Single sign-on is off. Set LANYARD_OIDC_ISSUER, LANYARD_OIDC_CLIENT_ID and LANYARD_OIDC_CLIENT_SECRET and restart Lanyard to turn it on."
            </p>
        }
        .into_any(),
    };
    view! {
        <section class="panel">
            <h2>"OpenID Connect provider"</h2>
            {body}
        </section>
    }
}

#[component]
fn AutoRequesterPanel(
    orgs: Vec<AutoRequesterView>,
    toggle: ServerAction<SetAutoRequester>,
) -> impl IntoView {
    view! {
        <section class="panel">
            <h2>"Requesters from the JumpCloud directory"</h2>
            <p class="hint">
                "When on, a person who signs in with SSO for the first time, and whose verified email belongs to an active user in the organization's JumpCloud directory, gets a Lanyard account with the requester role there. When off, only people with an account get in."
            </p>
            <FormError result=toggle.value() />
            <table class="data" aria-label="Automatic requesters">
                <thead>
                    <tr>
                        <th scope="col">"Organization"</th>
                        <th scope="col">"Automatic requesters"</th>
                        <th scope="col"></th>
                    </tr>
                </thead>
                <tbody>
                    {orgs
                        .into_iter()
                        .map(|org| {
                            let (status, action, enable) = if org.auto_requester {
                                ("on", "Turn off", "false")
                            } else {
                                ("off", "Turn on", "true")
                            };
                            let label = format!("{action} automatic requesters for {}", org.name);
                            view! {
                                <tr>
                                    <td>{org.name}</td>
                                    <td>{status}</td>
                                    <td>
                                        <ActionForm action=toggle attr:class="inline">
                                            <input type="hidden" name="org" value=org.slug />
                                            <input type="hidden" name="enabled" value=enable />
                                            <button type="submit" aria-label=label>
                                                {action}
                                            </button>
                                        </ActionForm>
                                    </td>
                                </tr>
                            }
                        })
                        .collect_view()}
                </tbody>
            </table>
        </section>
    }
}
