//! The frame around every signed-in page: header, navigation, content.

use leptos::prelude::*;
use leptos_router::components::{A, Outlet, Redirect};
use leptos_router::hooks::use_location;
use percent_encoding::{AsciiSet, NON_ALPHANUMERIC, utf8_percent_encode};

use crate::auth::{LogoutButton, SignedInAccount, session_resource};
use crate::tenants::OrgEntry;

/// The sections of an organization, in navigation order: `/o/{org}/{section}`.
pub const SECTIONS: &[(&str, &str)] = &[
    ("users", "Users"),
    ("groups", "Groups"),
    ("devices", "Devices"),
    ("system-groups", "System groups"),
    ("apps", "Applications"),
    ("policies", "Policies"),
    ("commands", "Commands"),
    ("directory", "Directory"),
    ("requests", "Requests"),
    ("reviews", "Reviews"),
    ("audit", "Audit"),
    ("insights", "Insights"),
];

/// The organization slug and section of a path like `/o/{org}/{section}/...`.
pub fn org_and_section(path: &str) -> Option<(&str, Option<&str>)> {
    let mut parts = path.strip_prefix("/o/")?.split('/');
    let org = parts.next().filter(|slug| !slug.is_empty())?;
    let section = parts
        .next()
        .filter(|section| SECTIONS.iter().any(|(name, _)| name == section));
    Some((org, section))
}

/// The frame around the child routes. Anyone not signed in is sent to the login page;
/// that is navigation only: server functions check the session themselves. The outlet
/// sits outside the session's `Suspense` so a page's own resources load once.
#[component]
pub fn SignedInLayout() -> impl IntoView {
    let session = session_resource();
    let location = use_location();
    let current = Memo::new(move |_| {
        let path = location.pathname.get();
        org_and_section(&path).map(|(org, section)| (org.to_string(), section.map(str::to_string)))
    });
    view! {
        <div class="frame">
            <header class="topbar">
                <a class="brand" href="/">
                    "Lanyard"
                </a>
                <Suspense fallback=|| ()>
                    {move || Suspend::new(async move {
                        match session.await {
                            Ok(Some(account)) => {
                                view! { <AccountBar account current=current.into() /> }.into_any()
                            }
                            Ok(None) => {
                                let here = location.pathname.get_untracked();
                                let path = format!(
                                    "/login?next={}",
                                    utf8_percent_encode(&here, QUERY_VALUE),
                                );
                                view! { <Redirect path /> }.into_any()
                            }
                            Err(error) => {
                                view! { <p class="form-error" role="alert">{error.to_string()}</p> }
                                    .into_any()
                            }
                        }
                    })}
                </Suspense>
            </header>
            <nav class="sidebar" aria-label="Sections">
                {move || {
                    current
                        .get()
                        .map(|(org, _)| {
                            view! {
                                <A href=format!("/o/{org}") exact=true>
                                    "Dashboard"
                                </A>
                                {SECTIONS
                                    .iter()
                                    .map(|(section, label)| {
                                        view! { <A href=format!("/o/{org}/{section}")>{*label}</A> }
                                    })
                                    .collect_view()}
                            }
                        })
                }}
                <Suspense fallback=|| ()>
                    {move || Suspend::new(async move {
                        session
                            .await
                            .ok()
                            .flatten()
                            .filter(|account| account.is_owner)
                            .map(|_| view! { <A href="/settings">"Settings"</A> })
                    })}
                </Suspense>
            </nav>
            <main class="content">
                <Outlet />
            </main>
        </div>
    }
}

#[component]
fn AccountBar(
    account: SignedInAccount,
    current: Signal<Option<(String, Option<String>)>>,
) -> impl IntoView {
    let orgs = StoredValue::new(account.orgs.clone());
    let across_orgs = (!account.orgs.is_empty()).then(|| {
        view! {
            <nav class="across-orgs" aria-label="All organizations">
                <a href="/overview" data-testid="all-orgs-link">"All organizations"</a>
                <form method="get" action="/search" role="search" class="topbar-search">
                    <input
                        type="search"
                        name="q"
                        minlength="2"
                        required
                        placeholder="Email, name or hostname"
                        aria-label="Search all organizations"
                    />
                    <button type="submit">"Search"</button>
                </form>
            </nav>
        }
    });
    view! {
        <OrgSwitcher orgs current />
        {across_orgs}
        <div class="account">
            <span class="account-name" title=account.email.clone()>
                {account.display_name}
            </span>
            <LogoutButton />
        </div>
    }
}

/// Lists the organizations the account may enter. Each entry links to the same section
/// in that organization, never to an object or filter of the current one, so switching
/// can never show the previous organization's data. Plain links: works without
/// JavaScript and from the keyboard.
#[component]
fn OrgSwitcher(
    orgs: StoredValue<Vec<OrgEntry>>,
    current: Signal<Option<(String, Option<String>)>>,
) -> impl IntoView {
    let current_name = move || {
        let slug = current.get().map(|(org, _)| org);
        orgs.with_value(|orgs| {
            orgs.iter()
                .find(|entry| Some(&entry.slug) == slug.as_ref())
                .map(|entry| entry.name.clone())
        })
        .unwrap_or_else(|| "Choose an organization".to_string())
    };
    let target = move |slug: &str| match current.get().and_then(|(_, section)| section) {
        Some(section) => format!("/o/{slug}/{section}"),
        None => format!("/o/{slug}"),
    };
    view! {
        <details class="org-switcher">
            <summary aria-label="Switch organization">
                <span data-testid="current-org">{current_name}</span>
            </summary>
            <ul role="list">
                {move || {
                    orgs.get_value()
                        .into_iter()
                        .map(|entry| {
                            let href = target(&entry.slug);
                            view! {
                                <li>
                                    <a href=href>{entry.name}</a>
                                </li>
                            }
                        })
                        .collect_view()
                }}
            </ul>
        </details>
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

#[cfg(test)]
mod tests {
    use super::org_and_section;

    #[test]
    fn org_and_section_come_from_the_path() {
        assert_eq!(org_and_section("/o/acme"), Some(("acme", None)));
        assert_eq!(
            org_and_section("/o/acme/users"),
            Some(("acme", Some("users")))
        );
        assert_eq!(
            org_and_section("/o/acme/users/5f1e0a0b0c0d0e0f10111213"),
            Some(("acme", Some("users")))
        );
        assert_eq!(org_and_section("/o/acme/nonsense"), Some(("acme", None)));
        assert_eq!(org_and_section("/settings"), None);
        assert_eq!(org_and_section("/o/"), None);
    }
}
