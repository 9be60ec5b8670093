//! The HTML document and the route table.

use leptos::prelude::*;
use leptos_meta::{MetaTags, Title, provide_meta_context};
use leptos_router::components::{ParentRoute, Route, Router, Routes};
use leptos_router::{SsrMode, path};

use crate::auth::LoginPage;
use crate::components::{DemoBanner, NotFound};
use crate::home::HomePage;
use crate::layout::SignedInLayout;
use crate::sections::SectionPage;

/// Where the server serves `style/lanyard.css`.
pub const STYLESHEET_PATH: &str = "/lanyard.css";

/// The document around the app. `hydrate` is true when the WASM bundle is present: the
/// same server then serves a hydrated UI, and a working server-rendered one without it.
pub fn shell(options: LeptosOptions, hydrate: bool) -> impl IntoView {
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
                <Route path=path!("users") view=SectionPage ssr=SsrMode::Async />
                <Route path=path!("groups") view=SectionPage ssr=SsrMode::Async />
                <Route path=path!("devices") view=SectionPage ssr=SsrMode::Async />
                <Route path=path!("requests") view=SectionPage ssr=SsrMode::Async />
                <Route path=path!("audit") view=SectionPage ssr=SsrMode::Async />
                <Route path=path!("settings") view=SectionPage ssr=SsrMode::Async />
            </ParentRoute>
        </Routes>
    }
}
