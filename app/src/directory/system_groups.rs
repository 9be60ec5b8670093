//! Groups → system groups: `/o/{org}/system-groups` lists them with member counts,
//! `/o/{org}/system-groups/{id}` shows the member systems and adds or removes systems.

use leptos::prelude::*;
use serde::{Deserialize, Serialize};

use super::{GroupSummary, GroupTable, Notice, ObjectRef, id_param, loading};
use crate::components::{ErrorPanel, FormError};
use crate::error::AppError;
use crate::home::org_param;

#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct SystemGroupDetail {
    pub id: String,
    pub name: String,
    pub description: String,
    /// The direct member systems, by name.
    pub members: Vec<ObjectRef>,
    /// The systems not in the group, to add from (empty unless the account may manage).
    pub others: Vec<ObjectRef>,
    pub can_manage: bool,
}

#[server(endpoint = "system-groups")]
pub async fn list_system_groups(org: String) -> Result<Vec<GroupSummary>, AppError> {
    crate::error::with_http_status(ssr::list(&org).await)
}

#[server(endpoint = "system-groups/detail")]
pub async fn load_system_group(org: String, id: String) -> Result<SystemGroupDetail, AppError> {
    crate::error::with_http_status(ssr::detail(&org, &id).await)
}

#[server(endpoint = "system-groups/members/add")]
pub async fn add_system_group_members(
    org: String,
    id: String,
    system_ids: Option<Vec<String>>,
) -> Result<(), AppError> {
    crate::error::with_http_status(
        ssr::change_members(&org, &id, true, system_ids.unwrap_or_default()).await,
    )
}

#[server(endpoint = "system-groups/members/remove")]
pub async fn remove_system_group_members(
    org: String,
    id: String,
    system_ids: Option<Vec<String>>,
) -> Result<(), AppError> {
    crate::error::with_http_status(
        ssr::change_members(&org, &id, false, system_ids.unwrap_or_default()).await,
    )
}

#[component]
pub fn SystemGroupsPage() -> impl IntoView {
    let org = org_param();
    let groups = Resource::new(move || org.get(), list_system_groups);
    view! {
        <h1>"System groups"</h1>
        <section class="panel">
            <Suspense fallback=loading>
                {move || Suspend::new(async move {
                    match groups.await {
                        Ok(list) => {
                            view! {
                                <GroupTable
                                    org=org.get_untracked()
                                    list
                                    section="system-groups"
                                    label="System groups"
                                    members_label="Systems"
                                    empty="No system group."
                                />
                            }
                                .into_any()
                        }
                        Err(error) => view! { <ErrorPanel error /> }.into_any(),
                    }
                })}
            </Suspense>
        </section>
    }
}

#[component]
pub fn SystemGroupPage() -> impl IntoView {
    let org = org_param();
    let id = id_param();
    let add = ServerAction::<AddSystemGroupMembers>::new();
    let remove = ServerAction::<RemoveSystemGroupMembers>::new();
    let detail = Resource::new(
        move || {
            (
                org.get(),
                id.get(),
                add.version().get(),
                remove.version().get(),
            )
        },
        |(org, id, _, _)| load_system_group(org, id),
    );
    view! {
        <p><a href=move || format!("/o/{}/system-groups", org.get())>"← System groups"</a></p>
        <Notice />
        <FormError result=add.value() />
        <FormError result=remove.value() />
        <Suspense fallback=loading>
            {move || Suspend::new(async move {
                let group = match detail.await {
                    Ok(group) => group,
                    Err(error) => return view! { <ErrorPanel error /> }.into_any(),
                };
                let org = org.get_untracked();
                let SystemGroupDetail { id, name, description, members, others, can_manage } = group;
                let count = members.len();
                let (remove_org, remove_id) = (org.clone(), id.clone());
                view! {
                    <h1>{name}</h1>
                    <p class="lead">{description}</p>
                    <section class="panel">
                        <h2>{format!("Systems ({count})")}</h2>
                        <ActionForm action=remove attr:aria-label="Remove systems">
                            <input type="hidden" name="org" value=remove_org.clone() />
                            <input type="hidden" name="id" value=remove_id />
                            <SystemList org=remove_org systems=members selectable=can_manage />
                            {can_manage.then(|| view! { <button type="submit" class="danger">"Remove selected"</button> })}
                        </ActionForm>
                    </section>
                    {can_manage.then(move || view! {
                        <section class="panel">
                            <h2>"Add systems"</h2>
                            <ActionForm action=add attr:aria-label="Add systems">
                                <input type="hidden" name="org" value=org.clone() />
                                <input type="hidden" name="id" value=id.clone() />
                                <SystemList org=org.clone() systems=others selectable=true />
                                <button type="submit" class="primary">"Add selected"</button>
                            </ActionForm>
                        </section>
                    })}
                }
                    .into_any()
            })}
        </Suspense>
    }
}

/// Systems linked to their device pages, each with a `system_ids[n]` checkbox when the
/// list is part of a form.
#[component]
fn SystemList(org: String, systems: Vec<ObjectRef>, selectable: bool) -> impl IntoView {
    if systems.is_empty() {
        return view! { <p class="empty">"None."</p> }.into_any();
    }
    view! {
        <ul class="checklist">
            {systems
                .into_iter()
                .enumerate()
                .map(|(index, system)| {
                    let label = format!("Select {}", system.name);
                    view! {
                        <li>
                            {selectable.then(|| view! {
                                <input type="checkbox" name=format!("system_ids[{index}]") value=system.id.clone() aria-label=label />
                            })}
                            " "
                            <a href=format!("/o/{org}/devices/{}", system.id)>{system.name}</a>
                        </li>
                    }
                })
                .collect_view()}
        </ul>
    }
    .into_any()
}

#[cfg(feature = "ssr")]
mod ssr {
    use std::collections::{HashMap, HashSet};

    use futures::{StreamExt, TryStreamExt, stream};
    use jumpcloud::graph::GraphOp;

    use super::{GroupSummary, SystemGroupDetail};
    use crate::audit;
    use crate::directory::ObjectRef;
    use crate::directory::ssr::{
        CONCURRENT_CALLS, failure_reason, org_context, redirect_with_notice, system_label,
    };
    use crate::error::AppError;
    use crate::tenants::Capability;

    pub async fn list(slug: &str) -> Result<Vec<GroupSummary>, AppError> {
        let (_, context) = org_context(slug, Capability::ViewDirectory).await?;
        let api = &context.jumpcloud;
        let groups = api.list_all_system_groups(&mut |_, _| {}).await?;
        stream::iter(groups)
            .map(|group| async move {
                let members = api.list_system_group_members(&group.id).await?.len();
                Ok::<_, AppError>(GroupSummary {
                    id: group.id,
                    name: group.name,
                    description: group.description.unwrap_or_default(),
                    members,
                })
            })
            .buffered(CONCURRENT_CALLS)
            .try_collect()
            .await
    }

    /// Every system of the organization as a reference, by name.
    async fn system_names(api: &jumpcloud::OrgClient) -> Result<HashMap<String, String>, AppError> {
        Ok(api
            .list_all_systems(&mut |_, _| {})
            .await?
            .iter()
            .map(|system| (system.id.clone(), system_label(system)))
            .collect())
    }

    fn sorted_refs<'a>(
        ids: impl Iterator<Item = &'a String>,
        names: &HashMap<String, String>,
    ) -> Vec<ObjectRef> {
        let mut refs: Vec<ObjectRef> = ids
            .map(|id| ObjectRef {
                id: id.clone(),
                name: names.get(id).cloned().unwrap_or_else(|| id.clone()),
            })
            .collect();
        refs.sort_by_key(|object| object.name.to_lowercase());
        refs
    }

    pub async fn detail(slug: &str, id: &str) -> Result<SystemGroupDetail, AppError> {
        let (_, context) = org_context(slug, Capability::ViewDirectory).await?;
        let api = &context.jumpcloud;
        let group = api.get_system_group(id).await?;
        let member_ids: HashSet<String> = api
            .list_system_group_members(id)
            .await?
            .into_iter()
            .map(|connection| connection.to.id)
            .collect();
        let names = system_names(api).await?;
        let can_manage = context.role.allows(Capability::ManageDirectory);
        let others = if can_manage {
            sorted_refs(
                names.keys().filter(|system| !member_ids.contains(*system)),
                &names,
            )
        } else {
            Vec::new()
        };
        Ok(SystemGroupDetail {
            id: group.id,
            name: group.name,
            description: group.description.unwrap_or_default(),
            members: sorted_refs(member_ids.iter(), &names),
            others,
            can_manage,
        })
    }

    /// Adds (`adding`) or removes each system, audits each, and names the failures; the
    /// others still went through.
    pub async fn change_members(
        slug: &str,
        id: &str,
        adding: bool,
        system_ids: Vec<String>,
    ) -> Result<(), AppError> {
        let (state, context) = org_context(slug, Capability::ManageDirectory).await?;
        let api = &context.jumpcloud;
        let system_ids: Vec<String> = system_ids
            .into_iter()
            .filter(|system| !system.is_empty())
            .collect();
        if system_ids.is_empty() {
            return Err(AppError::bad_request("Choose at least one system."));
        }
        let group = api.get_system_group(id).await?;
        let names = system_names(api).await?;
        let (op, action, verb) = if adding {
            (GraphOp::Add, "system_group.member_added", "Added")
        } else {
            (GraphOp::Remove, "system_group.member_removed", "Removed")
        };
        let mut done = Vec::new();
        let mut failed = Vec::new();
        for system_id in system_ids {
            let Some(name) = names.get(&system_id) else {
                failed.push(format!("{system_id} (no such system)"));
                continue;
            };
            let result = api.set_system_group_member(id, op, &system_id).await;
            let target = format!("system_group {id} system {system_id}");
            let summary = format!("{verb} {name} in system group {:?}", group.name);
            let (summary, outcome) = match &result {
                Ok(()) => (summary, "ok"),
                Err(error) => (format!("{summary}: {error}"), "failed"),
            };
            audit::org_action(&state.db, &context, action, &target, &summary, outcome).await?;
            match result {
                Ok(()) => done.push(name.clone()),
                Err(error) => failed.push(format!("{name} ({})", failure_reason(&error))),
            }
        }
        let done_text = if done.is_empty() {
            "No system changed.".to_string()
        } else {
            format!("{verb} {}.", done.join(", "))
        };
        if failed.is_empty() {
            redirect_with_notice(&format!("/o/{slug}/system-groups/{id}"), &done_text);
            Ok(())
        } else {
            Err(AppError::Conflict(format!(
                "{done_text} Failed: {}.",
                failed.join(", ")
            )))
        }
    }
}
