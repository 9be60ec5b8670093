//! Organization sections whose pages are not built yet: each checks access like a real
//! page and shows an honest empty state instead of a broken link.

use leptos::prelude::*;
use leptos_router::hooks::use_params_map;

use crate::components::ErrorPanel;
use crate::error::AppError;
use crate::home::org_param;
use crate::layout::SECTIONS;

/// The organization's name, for an account that may enter it.
#[server(endpoint = "org_name")]
pub async fn org_name(org: String) -> Result<String, AppError> {
    crate::error::with_http_status(entered_org_name(&org).await)
}

#[cfg(feature = "ssr")]
async fn entered_org_name(slug: &str) -> Result<String, AppError> {
    let state = crate::state::app_state()?;
    let context =
        crate::tenants::access::authorize(&state, slug, crate::tenants::Capability::Enter).await?;
    Ok(context.org.name)
}

#[component]
pub fn SectionPage() -> impl IntoView {
    let org = org_param();
    let params = use_params_map();
    let section = move || params.read().get("section").unwrap_or_default();
    let name = Resource::new(move || org.get(), org_name);
    let title = move || {
        SECTIONS
            .iter()
            .find(|(name, _)| *name == section())
            .map(|(_, label)| *label)
    };
    view! {
        <Suspense fallback=|| view! { <p class="loading">"Loading…"</p> }>
            {move || Suspend::new(async move {
                match (name.await, title()) {
                    (Ok(org_name), Some(title)) => {
                        view! {
                            <h1>{title}</h1>
                            <p class="lead">{org_name}</p>
                            <section class="panel">
                                <p class="empty">"Nothing here yet: this section is being built."</p>
                            </section>
                        }
                            .into_any()
                    }
                    (Ok(_), None) => {
                        let error = AppError::NotFound("That page".into());
                        view! { <ErrorPanel error /> }.into_any()
                    }
                    (Err(error), _) => view! { <ErrorPanel error /> }.into_any(),
                }
            })}
        </Suspense>
    }
}
