//! The dashboard home page.

use leptos::prelude::*;
use serde::{Deserialize, Serialize};

use crate::components::ErrorPanel;
use crate::error::AppError;

#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct OrgSummary {
    pub name: String,
    pub users: u64,
}

#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Dashboard {
    pub display_name: String,
    /// The JumpCloud organizations this installation can reach, with their user counts.
    pub orgs: Vec<OrgSummary>,
}

#[server(endpoint = "dashboard")]
pub async fn load_dashboard() -> Result<Dashboard, AppError> {
    crate::error::with_http_status(dashboard().await)
}

#[cfg(feature = "ssr")]
async fn dashboard() -> Result<Dashboard, AppError> {
    let state = crate::state::app_state()?;
    let account = crate::auth::session::require_account(&state).await?;
    let orgs = match &state.demo {
        Some(demo) => demo.org_summaries(&state.jumpcloud).await?,
        None => Vec::new(),
    };
    Ok(Dashboard {
        display_name: account.display_name,
        orgs,
    })
}

#[component]
pub fn HomePage() -> impl IntoView {
    let data = Resource::new(|| (), |_| load_dashboard());
    view! {
        <Suspense fallback=|| view! { <p class="loading">"Loading…"</p> }>
            {move || Suspend::new(async move {
                match data.await {
                    Ok(dashboard) => view! { <DashboardView dashboard /> }.into_any(),
                    Err(error) => view! { <ErrorPanel error /> }.into_any(),
                }
            })}
        </Suspense>
    }
}

#[component]
fn DashboardView(dashboard: Dashboard) -> impl IntoView {
    let has_orgs = !dashboard.orgs.is_empty();
    view! {
        <h1>"Dashboard"</h1>
        <p class="lead">"Welcome, " {dashboard.display_name} "."</p>
        <section class="panel">
            <h2>"Organizations"</h2>
            <Show
                when=move || has_orgs
                fallback=|| {
                    view! {
                        <p class="empty">
                            "No JumpCloud organization is connected yet. Connections are added under Settings."
                        </p>
                    }
                }
            >
                <table class="data">
                    <thead>
                        <tr>
                            <th scope="col">"Organization"</th>
                            <th scope="col" class="num">"Users"</th>
                        </tr>
                    </thead>
                    <tbody>
                        {dashboard
                            .orgs
                            .clone()
                            .into_iter()
                            .map(|org| {
                                view! {
                                    <tr>
                                        <td>{org.name}</td>
                                        <td class="num">{org.users}</td>
                                    </tr>
                                }
                            })
                            .collect_view()}
                    </tbody>
                </table>
            </Show>
        </section>
    }
}
