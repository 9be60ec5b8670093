//! The HTML document and the route table.

use leptos::prelude::*;
use leptos_meta::{MetaTags, Title, provide_meta_context};
use leptos_router::components::{ParentRoute, Route, Router, Routes};
use leptos_router::{SsrMode, path};

use crate::audit::AuditPage;
use crate::auth::LoginPage;
use crate::components::{DemoBanner, NotFound};
use crate::devices::{DevicePage, DevicesPage};
use crate::directory::applications::{ApplicationPage, ApplicationsPage};
use crate::directory::commands::{CommandPage, CommandsPage};
use crate::directory::insights::InsightsPage;
use crate::directory::overview::DirectoryPage;
use crate::directory::policies::PoliciesPage;
use crate::directory::system_groups::{SystemGroupPage, SystemGroupsPage};
use crate::groups::{GroupPage, GroupsPage};
use crate::home::{HomePage, OrgHomePage};
use crate::layout::SignedInLayout;
use crate::overview::{OverviewPage, SearchPage};
use crate::requests::{ManageRequestsRoute, RequestHistoryRoute, RequestsRoute};
use crate::reviews::{ReviewPage, ReviewsPage};
use crate::settings::{ConnectionPage, ConnectionsPage, PeoplePage, SettingsPage, SsoSettingsPage};
use crate::users::{BulkPage, CheckUsersPage, CreateUserPage, ImportPage, UserPage, UsersPage};

/// Where the server serves `style/lanyard.css`.
pub const STYLESHEET_PATH: &str = "/lanyard.css";

/// The document around the app. `hydrate` is true when the WASM bundle is present: the
/// same server then serves a hydrated UI, and a working server-rendered one without it.
pub fn shell(options: LeptosOptions, hydrate: bool) -> impl IntoView {
    #[cfg(feature = "ssr")]
    restrict_scripts_to_this_page();
    view! {
        <!DOCTYPE html>
        <html lang="en">
            <head>
                <meta charset="utf-8" />
                <meta name="viewport" content="width=device-width, initial-scale=1" />
                <link rel="stylesheet" href=STYLESHEET_PATH />
                {hydrate.then(|| view! { <HydrationScripts options /> })}
                <MetaTags />
            </head>
            <body>
                <App />
            </body>
        </html>
    }
}

/// Only this response's own scripts run: the inline ones leptos writes (resources, the
/// hydration bootstrap) carry this render's nonce, the bundle comes from this site, and
/// WebAssembly may compile. The security-headers middleware adds the rest of the policy.
#[cfg(feature = "ssr")]
fn restrict_scripts_to_this_page() {
    let Some(nonce) = leptos::nonce::use_nonce() else {
        return;
    };
    if let (Some(response), Ok(policy)) = (
        use_context::<leptos_axum::ResponseOptions>(),
        axum::http::HeaderValue::from_str(&format!(
            "script-src 'self' 'nonce-{nonce}' 'wasm-unsafe-eval'"
        )),
    ) {
        response.insert_header(axum::http::header::CONTENT_SECURITY_POLICY, policy);
    }
}

#[component]
pub fn App() -> impl IntoView {
    provide_meta_context();
    view! {
        <Title text="Lanyard" />
        <Router>
            <Root />
        </Router>
    }
}

/// Everything inside the router. Data-loading routes render `Async`, so a browser
/// without JavaScript receives complete pages rather than streaming placeholders.
#[component]
fn Root() -> impl IntoView {
    view! {
        <DemoBanner />
        <Routes fallback=NotFound>
            <Route path=path!("/login") view=LoginPage ssr=SsrMode::Async />
            <ParentRoute path=path!("") view=SignedInLayout ssr=SsrMode::Async>
                <Route path=path!("") view=HomePage ssr=SsrMode::Async />
                <Route path=path!("overview") view=OverviewPage ssr=SsrMode::Async />
                <Route path=path!("search") view=SearchPage ssr=SsrMode::Async />
                <Route path=path!("o/:org") view=OrgHomePage ssr=SsrMode::Async />
                <Route path=path!("o/:org/requests") view=RequestsRoute ssr=SsrMode::Async />
                <Route path=path!("o/:org/requests/manage") view=ManageRequestsRoute ssr=SsrMode::Async />
                <Route path=path!("o/:org/requests/:id") view=RequestHistoryRoute ssr=SsrMode::Async />
                <Route path=path!("o/:org/users") view=UsersPage ssr=SsrMode::Async />
                <Route path=path!("o/:org/users/new") view=CreateUserPage ssr=SsrMode::Async />
                <Route path=path!("o/:org/users/bulk") view=BulkPage ssr=SsrMode::Async />
                <Route path=path!("o/:org/users/import") view=ImportPage ssr=SsrMode::Async />
                <Route path=path!("o/:org/users/check") view=CheckUsersPage ssr=SsrMode::Async />
                <Route path=path!("o/:org/users/:id") view=UserPage ssr=SsrMode::Async />
                <Route path=path!("o/:org/groups") view=GroupsPage ssr=SsrMode::Async />
                <Route path=path!("o/:org/groups/:id") view=GroupPage ssr=SsrMode::Async />
                <Route path=path!("o/:org/devices") view=DevicesPage ssr=SsrMode::Async />
                <Route path=path!("o/:org/devices/:id") view=DevicePage ssr=SsrMode::Async />
                <Route path=path!("o/:org/system-groups") view=SystemGroupsPage ssr=SsrMode::Async />
                <Route
                    path=path!("o/:org/system-groups/:id")
                    view=SystemGroupPage
                    ssr=SsrMode::Async
                />
                <Route path=path!("o/:org/apps") view=ApplicationsPage ssr=SsrMode::Async />
                <Route path=path!("o/:org/apps/:id") view=ApplicationPage ssr=SsrMode::Async />
                <Route path=path!("o/:org/policies") view=PoliciesPage ssr=SsrMode::Async />
                <Route path=path!("o/:org/commands") view=CommandsPage ssr=SsrMode::Async />
                <Route path=path!("o/:org/commands/:id") view=CommandPage ssr=SsrMode::Async />
                <Route path=path!("o/:org/directory") view=DirectoryPage ssr=SsrMode::Async />
                <Route path=path!("o/:org/audit") view=AuditPage ssr=SsrMode::Async />
                <Route path=path!("o/:org/insights") view=InsightsPage ssr=SsrMode::Async />
                <Route path=path!("o/:org/reviews") view=ReviewsPage ssr=SsrMode::Async />
                <Route path=path!("o/:org/reviews/:id") view=ReviewPage ssr=SsrMode::Async />
                <Route path=path!("settings") view=SettingsPage ssr=SsrMode::Async />
                <Route
                    path=path!("settings/connections")
                    view=ConnectionsPage
                    ssr=SsrMode::Async
                />
                <Route
                    path=path!("settings/connections/:id")
                    view=ConnectionPage
                    ssr=SsrMode::Async
                />
                <Route path=path!("settings/people") view=PeoplePage ssr=SsrMode::Async />
                <Route path=path!("settings/sso") view=SsoSettingsPage ssr=SsrMode::Async />
            </ParentRoute>
        </Routes>
    }
}
