//! The frame around every signed-in page: header, navigation, content.

use leptos::prelude::*;
use leptos_router::components::{A, Outlet, Redirect};
use leptos_router::hooks::use_location;
use percent_encoding::{AsciiSet, NON_ALPHANUMERIC, utf8_percent_encode};

use crate::auth::{LogoutButton, SignedInAccount, session_resource};
use crate::components::ErrorPanel;

/// The sections of the console, in navigation order.
pub const SECTIONS: &[(&str, &str)] = &[
    ("/users", "Users"),
    ("/groups", "Groups"),
    ("/devices", "Devices"),
    ("/requests", "Requests"),
    ("/audit", "Audit"),
    ("/settings", "Settings"),
];

/// Renders its child routes for a signed-in account and sends anyone else to the login
/// page. This is navigation only: server functions check the session themselves.
#[component]
pub fn SignedInLayout() -> impl IntoView {
    let session = session_resource();
    let location = use_location();
    view! {
        <Suspense fallback=|| view! { <p class="loading">"Loading…"</p> }>
            {move || Suspend::new(async move {
                match session.await {
                    Ok(Some(account)) => {
                        view! { <Frame account /> }.into_any()
                    }
                    Ok(None) => {
                        let here = location.pathname.get_untracked();
                        let path = format!("/login?next={}", utf8_percent_encode(&here, QUERY_VALUE));
                        view! { <Redirect path /> }.into_any()
                    }
                    Err(error) => view! { <ErrorPanel error /> }.into_any(),
                }
            })}
        </Suspense>
    }
}

#[component]
fn Frame(account: SignedInAccount) -> impl IntoView {
    view! {
        <div class="frame">
            <header class="topbar">
                <a class="brand" href="/">
                    "Lanyard"
                </a>
                <div class="org-switcher" aria-label="Organization">
                    <span class="muted">"No organization selected"</span>
                </div>
                <div class="account">
                    <span class="account-name" title=account.email.clone()>
                        {account.display_name}
                    </span>
                    <LogoutButton />
                </div>
            </header>
            <nav class="sidebar" aria-label="Sections">
                <A href="/" exact=true>
                    "Dashboard"
                </A>
                {SECTIONS
                    .iter()
                    .map(|(href, label)| view! { <A href=*href>{*label}</A> })
                    .collect_view()}
            </nav>
            <main class="content">
                <Outlet />
            </main>
        </div>
    }
}

/// What stays unescaped in a path passed as a query value: RFC 3986 unreserved
/// characters and `/`, so `/users` reads as `next=/users`.
const QUERY_VALUE: &AsciiSet = &NON_ALPHANUMERIC
    .remove(b'-')
    .remove(b'_')
    .remove(b'.')
    .remove(b'~')
    .remove(b'/');
