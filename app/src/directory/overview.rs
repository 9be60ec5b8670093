//! `/o/{org}/directory`: the directory objects Lanyard shows but does not change, on one
//! page: IP lists, LDAP servers, Active Directory connections and software apps.

use leptos::prelude::*;
use serde::{Deserialize, Serialize};

use super::loading;
use crate::components::ErrorPanel;
use crate::error::AppError;
use crate::home::org_param;

#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct IpListRow {
    pub name: String,
    pub description: String,
    pub ips: Vec<String>,
}

#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct LdapServerRow {
    pub name: String,
    /// What happens to a locked-out user in LDAP (`disable`, `remove`, …).
    pub lockout_action: String,
    /// What happens when a user's password expires.
    pub expiration_action: String,
}

#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct ActiveDirectoryRow {
    pub domain: String,
    pub use_case: String,
    pub delegation: String,
    pub updated_at: String,
}

#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct SoftwareAppRow {
    pub name: String,
    /// "package (manager)" for each setting.
    pub packages: String,
    pub desired_state: String,
}

#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct DirectoryOverview {
    pub ip_lists: Vec<IpListRow>,
    pub ldap_servers: Vec<LdapServerRow>,
    pub active_directories: Vec<ActiveDirectoryRow>,
    pub software_apps: Vec<SoftwareAppRow>,
}

#[server(endpoint = "directory")]
pub async fn load_directory_overview(org: String) -> Result<DirectoryOverview, AppError> {
    crate::error::with_http_status(ssr::overview(&org).await)
}

#[component]
pub fn DirectoryPage() -> impl IntoView {
    let org = org_param();
    let overview = Resource::new(move || org.get(), load_directory_overview);
    view! {
        <h1>"Directory"</h1>
        <Suspense fallback=loading>
            {move || Suspend::new(async move {
                match overview.await {
                    Ok(overview) => view! { <OverviewPanels overview /> }.into_any(),
                    Err(error) => view! { <ErrorPanel error /> }.into_any(),
                }
            })}
        </Suspense>
    }
}

#[component]
fn OverviewPanels(overview: DirectoryOverview) -> impl IntoView {
    let DirectoryOverview {
        ip_lists,
        ldap_servers,
        active_directories,
        software_apps,
    } = overview;
    view! {
        <ReadOnlyTable
            title="IP lists"
            headers=&["Name", "Description", "Addresses"]
            rows=ip_lists.into_iter().map(|list| vec![list.name, list.description, list.ips.join(", ")]).collect()
        />
        <ReadOnlyTable
            title="LDAP servers"
            headers=&["Name", "On lockout", "On password expiry"]
            rows=ldap_servers.into_iter().map(|server| vec![server.name, server.lockout_action, server.expiration_action]).collect()
        />
        <ReadOnlyTable
            title="Active Directory"
            headers=&["Domain", "Use", "Delegation", "Updated"]
            rows=active_directories.into_iter().map(|ad| vec![ad.domain, ad.use_case, ad.delegation, ad.updated_at]).collect()
        />
        <ReadOnlyTable
            title="Software apps"
            headers=&["Name", "Packages", "Desired state"]
            rows=software_apps.into_iter().map(|app| vec![app.name, app.packages, app.desired_state]).collect()
        />
    }
}

/// A titled panel with a plain table of text, or a line saying there is nothing.
#[component]
fn ReadOnlyTable(
    title: &'static str,
    headers: &'static [&'static str],
    rows: Vec<Vec<String>>,
) -> impl IntoView {
    let body = if rows.is_empty() {
        view! { <p class="empty">"None."</p> }.into_any()
    } else {
        view! {
            <table class="data" aria-label=title>
                <thead>
                    <tr>{headers.iter().map(|header| view! { <th scope="col">{*header}</th> }).collect_view()}</tr>
                </thead>
                <tbody>
                    {rows
                        .into_iter()
                        .map(|cells| view! { <tr>{cells.into_iter().map(|cell| view! { <td>{cell}</td> }).collect_view()}</tr> })
                        .collect_view()}
                </tbody>
            </table>
        }
            .into_any()
    };
    view! {
        <section class="panel">
            <h2>{title}</h2>
            {body}
        </section>
    }
}

#[cfg(feature = "ssr")]
mod ssr {
    use super::{ActiveDirectoryRow, DirectoryOverview, IpListRow, LdapServerRow, SoftwareAppRow};
    use crate::directory::ssr::org_context;
    use crate::error::AppError;
    use crate::tenants::Capability;

    pub async fn overview(slug: &str) -> Result<DirectoryOverview, AppError> {
        let (_, context) = org_context(slug, Capability::ViewDirectory).await?;
        let api = &context.jumpcloud;
        let (ip_lists, ldap_servers, active_directories, software_apps) = futures::try_join!(
            api.list_ip_lists(),
            api.list_ldap_servers(),
            api.list_active_directories(),
            api.list_software_apps(),
        )?;
        Ok(DirectoryOverview {
            ip_lists: ip_lists
                .into_iter()
                .map(|list| IpListRow {
                    name: list.name,
                    description: list.description.unwrap_or_default(),
                    ips: list.ips,
                })
                .collect(),
            ldap_servers: ldap_servers
                .into_iter()
                .map(|server| LdapServerRow {
                    name: server.name,
                    lockout_action: server.user_lockout_action.unwrap_or_default(),
                    expiration_action: server.user_password_expiration_action.unwrap_or_default(),
                })
                .collect(),
            active_directories: active_directories
                .into_iter()
                .map(|directory| ActiveDirectoryRow {
                    domain: directory.domain,
                    use_case: directory.use_case.unwrap_or_default(),
                    delegation: directory.delegation_state.unwrap_or_default(),
                    updated_at: directory.updated_at.unwrap_or_default(),
                })
                .collect(),
            software_apps: software_apps
                .into_iter()
                .map(|app| SoftwareAppRow {
                    packages: app
                        .settings
                        .iter()
                        .map(|setting| {
                            format!(
                                "{} ({})",
                                setting.package_id.as_deref().unwrap_or("?"),
                                setting.package_manager.as_deref().unwrap_or("?")
                            )
                        })
                        .collect::<Vec<_>>()
                        .join(", "),
                    desired_state: app
                        .settings
                        .iter()
                        .filter_map(|setting| setting.desired_state.clone())
                        .collect::<Vec<_>>()
                        .join(", "),
                    name: app.display_name,
                })
                .collect(),
        })
    }
}
