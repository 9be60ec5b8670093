//! The landing page (sends you to your default organization) and an organization's
//! dashboard.

use leptos::prelude::*;
use leptos_router::components::Redirect;
use leptos_router::hooks::use_params_map;
use serde::{Deserialize, Serialize};

use crate::components::ErrorPanel;
use crate::error::AppError;
use crate::tenants::OrgRole;

/// Where `/` leads: the default organization the account may enter, else the first.
#[server(endpoint = "landing")]
pub async fn landing_path() -> Result<Option<String>, AppError> {
    crate::error::with_http_status(landing().await)
}

#[cfg(feature = "ssr")]
async fn landing() -> Result<Option<String>, AppError> {
    let state = crate::state::app_state()?;
    let account = crate::auth::session::require_account(&state).await?;
    let orgs = crate::tenants::orgs::visible_to(&state.db, &account).await?;
    Ok(orgs
        .iter()
        .find(|(org, _)| org.is_default)
        .or(orgs.first())
        .map(|(org, _)| format!("/o/{}", org.slug)))
}

#[component]
pub fn HomePage() -> impl IntoView {
    let landing = Resource::new(|| (), |_| landing_path());
    view! {
        <Suspense fallback=|| view! { <p class="loading">"Loading…"</p> }>
            {move || Suspend::new(async move {
                match landing.await {
                    Ok(Some(path)) => view! { <Redirect path /> }.into_any(),
                    Ok(None) => view! { <NoOrganizations /> }.into_any(),
                    Err(error) => view! { <ErrorPanel error /> }.into_any(),
                }
            })}
        </Suspense>
    }
}

#[component]
fn NoOrganizations() -> impl IntoView {
    view! {
        <h1>"Welcome to Lanyard"</h1>
        <section class="panel">
            <p class="empty">
                "You do not have access to any organization yet. An owner adds JumpCloud connections under "
                <a href="/settings/connections">"Settings → Connections"</a>
                " and gives people access under "
                <a href="/settings/people">"Settings → People"</a> "."
            </p>
        </section>
    }
}

#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct OrgDashboard {
    pub name: String,
    pub role: OrgRole,
    /// Present when the role may read the directory.
    pub users: Option<u64>,
    /// A few of the organization's users (display names), when the role may read them.
    pub some_users: Vec<String>,
}

#[server(endpoint = "org_dashboard")]
pub async fn load_org_dashboard(org: String) -> Result<OrgDashboard, AppError> {
    crate::error::with_http_status(org_dashboard(&org).await)
}

#[cfg(feature = "ssr")]
async fn org_dashboard(slug: &str) -> Result<OrgDashboard, AppError> {
    use crate::tenants::Capability;
    let state = crate::state::app_state()?;
    let context = crate::tenants::access::authorize(&state, slug, Capability::Enter).await?;
    let (users, some_users) = if context.role.allows(Capability::ViewDirectory) {
        let first_page = context
            .jumpcloud
            .list_users(&jumpcloud::users::UserListQuery {
                limit: 5,
                ..Default::default()
            })
            .await?;
        let names = first_page
            .items
            .into_iter()
            .map(|user| user.displayname.unwrap_or(user.username))
            .collect();
        (first_page.total, names)
    } else {
        (None, Vec::new())
    };
    Ok(OrgDashboard {
        name: context.org.name,
        role: context.role,
        users,
        some_users,
    })
}

/// The slug of the organization in the current URL (`/o/{org}/...`).
pub fn org_param() -> Memo<String> {
    let params = use_params_map();
    Memo::new(move |_| params.read().get("org").unwrap_or_default())
}

#[component]
pub fn OrgHomePage() -> impl IntoView {
    let org = org_param();
    let data = Resource::new(move || org.get(), load_org_dashboard);
    view! {
        <Suspense fallback=|| view! { <p class="loading">"Loading…"</p> }>
            {move || Suspend::new(async move {
                match data.await {
                    Ok(dashboard) => view! { <OrgDashboardView dashboard /> }.into_any(),
                    Err(error) => view! { <ErrorPanel error /> }.into_any(),
                }
            })}
        </Suspense>
    }
}

#[component]
fn OrgDashboardView(dashboard: OrgDashboard) -> impl IntoView {
    view! {
        <h1>{dashboard.name}</h1>
        <p class="lead">"Your role here: " {dashboard.role.label()} "."</p>
        <section class="panel">
            <h2>"Directory"</h2>
            {match dashboard.users {
                Some(users) => {
                    view! {
                        <dl class="facts">
                            <dt>"Users"</dt>
                            <dd class="num" data-testid="user-count">{users}</dd>
                        </dl>
                        <h3>"Some of its people"</h3>
                        <ul class="people" aria-label="Some users">
                            {dashboard
                                .some_users
                                .clone()
                                .into_iter()
                                .map(|name| view! { <li>{name}</li> })
                                .collect_view()}
                        </ul>
                    }
                        .into_any()
                }
                None => {
                    view! {
                        <p class="empty">"Your role in this organization does not include reading its directory."</p>
                    }
                        .into_any()
                }
            }}
        </section>
    }
}
