//! The frame around every signed-in page: header, navigation, content.

use leptos::prelude::*;
use leptos_router::components::{A, Outlet, Redirect};
use leptos_router::hooks::use_location;

use crate::auth::{LogoutButton, SessionInfo, SignedInAccount, session_resource};
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
                    Ok(SessionInfo { account: Some(account), .. }) => {
                        view! { <Frame account /> }.into_any()
                    }
                    Ok(_) => {
                        let here = location.pathname.get_untracked();
                        let path = format!("/login?next={}", urlencode(&here));
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

/// Percent-encodes a path for use as a query value.
fn urlencode(value: &str) -> String {
    value
        .bytes()
        .map(|byte| match byte {
            b'A'..=b'Z' | b'a'..=b'z' | b'0'..=b'9' | b'-' | b'_' | b'.' | b'~' | b'/' => {
                (byte as char).to_string()
            }
            other => format!("%{other:02X}"),
        })
        .collect()
}
