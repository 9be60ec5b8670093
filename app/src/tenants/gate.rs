//! Pages that load nothing of their own (a create form, settings' index) still answer as
//! the data pages do: 404 for an organization the account may not enter, 403 for a role
//! without the capability. They ask before rendering their content.

use leptos::prelude::*;

use crate::components::ErrorPanel;
use crate::error::AppError;
use crate::home::org_param;
use crate::tenants::Capability;

/// Without a capability named, whether the account may enter the organization at all.
#[server(endpoint = "access/check")]
pub async fn check_access(org: String, capability: Option<Capability>) -> Result<(), AppError> {
    crate::error::with_http_status(ssr::check(&org, capability.unwrap_or(Capability::Enter)).await)
}

#[server(endpoint = "access/owner")]
pub async fn check_owner() -> Result<(), AppError> {
    crate::error::with_http_status(ssr::owner().await)
}

#[cfg(feature = "ssr")]
mod ssr {
    use crate::error::AppError;
    use crate::state::app_state;
    use crate::tenants::Capability;
    use crate::tenants::access::{authorize, require_owner};

    pub async fn check(org: &str, capability: Capability) -> Result<(), AppError> {
        authorize(&app_state()?, org, capability).await.map(drop)
    }

    pub async fn owner() -> Result<(), AppError> {
        require_owner(&app_state()?).await.map(drop)
    }
}

/// Renders `children` once the account may use `capability` in the URL's organization.
#[component]
pub fn RequireCapability(capability: Capability, children: ChildrenFn) -> impl IntoView {
    let org = org_param();
    let allowed = Resource::new(
        move || org.get(),
        move |org| check_access(org, Some(capability)),
    );
    gated(allowed, children)
}

/// Renders `children` for installation owners only.
#[component]
pub fn RequireOwner(children: ChildrenFn) -> impl IntoView {
    let allowed = Resource::new(|| (), |_| check_owner());
    gated(allowed, children)
}

fn gated(allowed: Resource<Result<(), AppError>>, children: ChildrenFn) -> impl IntoView {
    let children = StoredValue::new(children);
    view! {
        <Suspense fallback=|| view! { <p class="loading">"Loading…"</p> }>
            {move || Suspend::new(async move {
                match allowed.await {
                    Ok(()) => children.with_value(|children| children()).into_any(),
                    Err(error) => view! { <ErrorPanel error /> }.into_any(),
                }
            })}
        </Suspense>
    }
}
