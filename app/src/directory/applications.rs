//! SSO applications: `/o/{org}/apps` lists them, `/o/{org}/apps/{id}` shows the user
//! groups bound to one and every user it reaches (and how), and binds or unbinds groups.

use leptos::prelude::*;
use serde::{Deserialize, Serialize};

use super::{Notice, ObjectRef, id_param, loading};
use crate::components::{ErrorPanel, FormError};
use crate::error::AppError;
use crate::home::org_param;

#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct ApplicationSummary {
    pub id: String,
    pub name: String,
    pub description: String,
    /// How many user groups are bound to it.
    pub groups: usize,
}

/// A user the application reaches, and through what.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct ApplicationUser {
    pub id: String,
    pub username: String,
    /// "directly", or the names of the groups that grant it.
    pub via: String,
}

#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct ApplicationDetail {
    pub id: String,
    pub name: String,
    pub description: String,
    pub sso_url: String,
    pub groups: Vec<ObjectRef>,
    pub users: Vec<ApplicationUser>,
    /// User groups not bound yet, to bind (empty unless the account may manage).
    pub unbound: Vec<ObjectRef>,
    pub can_manage: bool,
}

#[server(endpoint = "apps")]
pub async fn list_applications(org: String) -> Result<Vec<ApplicationSummary>, AppError> {
    crate::error::with_http_status(ssr::list(&org).await)
}

#[server(endpoint = "apps/detail")]
pub async fn load_application(org: String, id: String) -> Result<ApplicationDetail, AppError> {
    crate::error::with_http_status(ssr::detail(&org, &id).await)
}

#[server(endpoint = "apps/groups/bind")]
pub async fn bind_application_group(
    org: String,
    id: String,
    group_id: String,
) -> Result<(), AppError> {
    crate::error::with_http_status(ssr::set_group(&org, &id, &group_id, true).await)
}

#[server(endpoint = "apps/groups/unbind")]
pub async fn unbind_application_group(
    org: String,
    id: String,
    group_id: String,
) -> Result<(), AppError> {
    crate::error::with_http_status(ssr::set_group(&org, &id, &group_id, false).await)
}

#[component]
pub fn ApplicationsPage() -> impl IntoView {
    let org = org_param();
    let applications = Resource::new(move || org.get(), list_applications);
    view! {
        <h1>"Applications"</h1>
        <section class="panel">
            <Suspense fallback=loading>
                {move || Suspend::new(async move {
                    match applications.await {
                        Ok(list) if list.is_empty() => view! { <p class="empty">"No application."</p> }.into_any(),
                        Ok(list) => view! { <ApplicationTable org=org.get_untracked() list /> }.into_any(),
                        Err(error) => view! { <ErrorPanel error /> }.into_any(),
                    }
                })}
            </Suspense>
        </section>
    }
}

#[component]
fn ApplicationTable(org: String, list: Vec<ApplicationSummary>) -> impl IntoView {
    view! {
        <table class="data" aria-label="Applications">
            <thead>
                <tr>
                    <th scope="col">"Name"</th>
                    <th scope="col">"Description"</th>
                    <th scope="col" class="num">"Groups"</th>
                </tr>
            </thead>
            <tbody>
                {list
                    .into_iter()
                    .map(|application| {
                        view! {
                            <tr>
                                <td><a href=format!("/o/{org}/apps/{}", application.id)>{application.name}</a></td>
                                <td>{application.description}</td>
                                <td class="num">{application.groups}</td>
                            </tr>
                        }
                    })
                    .collect_view()}
            </tbody>
        </table>
    }
}

#[component]
pub fn ApplicationPage() -> impl IntoView {
    let org = org_param();
    let id = id_param();
    let bind = ServerAction::<BindApplicationGroup>::new();
    let unbind = ServerAction::<UnbindApplicationGroup>::new();
    let detail = Resource::new(
        move || {
            (
                org.get(),
                id.get(),
                bind.version().get(),
                unbind.version().get(),
            )
        },
        |(org, id, _, _)| load_application(org, id),
    );
    view! {
        <p><a href=move || format!("/o/{}/apps", org.get())>"← Applications"</a></p>
        <Notice />
        <FormError result=bind.value() />
        <FormError result=unbind.value() />
        <Suspense fallback=loading>
            {move || Suspend::new(async move {
                match detail.await {
                    Ok(application) => view! { <ApplicationView org=org.get_untracked() application bind unbind /> }.into_any(),
                    Err(error) => view! { <ErrorPanel error /> }.into_any(),
                }
            })}
        </Suspense>
    }
}

#[component]
fn ApplicationView(
    org: String,
    application: ApplicationDetail,
    bind: ServerAction<BindApplicationGroup>,
    unbind: ServerAction<UnbindApplicationGroup>,
) -> impl IntoView {
    let ApplicationDetail {
        id,
        name,
        description,
        sso_url,
        groups,
        users,
        unbound,
        can_manage,
    } = application;
    let user_count = users.len();
    let group_rows = groups
        .into_iter()
        .map(|group| {
            let (org, id) = (org.clone(), id.clone());
            let label = format!("Unbind {}", group.name);
            view! {
                <li>
                    <a href=format!("/o/{org}/groups/{}", group.id)>{group.name}</a>
                    {can_manage.then(move || view! {
                        " "
                        <ActionForm action=unbind attr:class="inline" attr:aria-label=label>
                            <input type="hidden" name="org" value=org />
                            <input type="hidden" name="id" value=id />
                            <input type="hidden" name="group_id" value=group.id />
                            <button type="submit" class="danger">"Unbind"</button>
                        </ActionForm>
                    })}
                </li>
            }
        })
        .collect_view();
    view! {
        <h1>{name}</h1>
        <p class="lead">{description}</p>
        <p class="muted">{sso_url}</p>
        <section class="panel">
            <h2>"User groups"</h2>
            <ul aria-label="Groups bound to the application">{group_rows}</ul>
            {(can_manage && !unbound.is_empty()).then(move || view! {
                <ActionForm action=bind attr:class="inline" attr:aria-label="Bind a group">
                    <input type="hidden" name="org" value=org />
                    <input type="hidden" name="id" value=id />
                    <select name="group_id" aria-label="Group to bind">
                        {unbound
                            .into_iter()
                            .map(|group| view! { <option value=group.id>{group.name}</option> })
                            .collect_view()}
                    </select>
                    <button type="submit" class="primary">"Bind group"</button>
                </ActionForm>
            })}
        </section>
        <section class="panel">
            <h2>{format!("Users who can sign in ({user_count})")}</h2>
            <table class="data" aria-label="Users of the application">
                <thead>
                    <tr>
                        <th scope="col">"Username"</th>
                        <th scope="col">"Through"</th>
                    </tr>
                </thead>
                <tbody>
                    {users
                        .into_iter()
                        .map(|user| view! { <tr><td>{user.username}</td><td>{user.via}</td></tr> })
                        .collect_view()}
                </tbody>
            </table>
        </section>
    }
}

#[cfg(feature = "ssr")]
mod ssr {
    use std::collections::{BTreeSet, HashSet};

    use futures::{StreamExt, TryStreamExt, stream};
    use jumpcloud::graph::{GraphOp, GraphType};

    use super::{ApplicationDetail, ApplicationSummary, ApplicationUser};
    use crate::audit;
    use crate::directory::ObjectRef;
    use crate::directory::ssr::{
        CONCURRENT_CALLS, application_label, org_context, redirect_with_notice, users_by_ids,
    };
    use crate::error::AppError;
    use crate::tenants::Capability;

    pub async fn list(slug: &str) -> Result<Vec<ApplicationSummary>, AppError> {
        let (_, context) = org_context(slug, Capability::ViewDirectory).await?;
        let api = &context.jumpcloud;
        let applications = api.list_all_applications(&mut |_, _| {}).await?;
        let mut summaries: Vec<ApplicationSummary> = stream::iter(applications)
            .map(|application| async move {
                let groups = api
                    .list_application_associations(&application.id, GraphType::UserGroup)
                    .await?
                    .len();
                Ok::<_, AppError>(ApplicationSummary {
                    name: application_label(&application),
                    description: application.description.unwrap_or_default(),
                    id: application.id,
                    groups,
                })
            })
            .buffered(CONCURRENT_CALLS)
            .try_collect()
            .await?;
        summaries.sort_by_key(|application| application.name.to_lowercase());
        Ok(summaries)
    }

    pub async fn detail(slug: &str, id: &str) -> Result<ApplicationDetail, AppError> {
        let (state, context) = org_context(slug, Capability::ViewDirectory).await?;
        let api = &context.jumpcloud;
        let application = api.get_application(id).await?;
        let bound: HashSet<String> = api
            .list_application_associations(id, GraphType::UserGroup)
            .await?
            .into_iter()
            .map(|connection| connection.to.id)
            .collect();
        let group_names = crate::directory::ssr::group_names(&state, &context).await?;
        let named = |group_id: &String| ObjectRef {
            id: group_id.clone(),
            name: group_names
                .get(group_id)
                .cloned()
                .unwrap_or_else(|| group_id.clone()),
        };
        let mut groups: Vec<ObjectRef> = bound.iter().map(named).collect();
        groups.sort_by_key(|group| group.name.to_lowercase());
        let can_manage = context.role.allows(Capability::ManageDirectory);
        let mut unbound: Vec<ObjectRef> = if can_manage {
            group_names
                .keys()
                .filter(|group| !bound.contains(*group))
                .map(named)
                .collect()
        } else {
            Vec::new()
        };
        unbound.sort_by_key(|group| group.name.to_lowercase());
        let application_users = api.list_application_users(id).await?;
        let users = users_by_ids(
            &state,
            &context,
            application_users.iter().map(|user| user.id.clone()),
        )
        .await?;
        let mut reached: Vec<ApplicationUser> = application_users
            .into_iter()
            .map(|user| {
                // Each path runs user → group → … → application; the groups on the way
                // are what grants the access.
                let through: BTreeSet<String> = user
                    .paths
                    .iter()
                    .flatten()
                    .filter(|hop| hop.to.kind == GraphType::UserGroup)
                    .map(|hop| named(&hop.to.id).name)
                    .collect();
                let direct = user
                    .paths
                    .iter()
                    .any(|path| path.iter().all(|hop| hop.to.kind != GraphType::UserGroup));
                let via = direct
                    .then(|| "directly".to_string())
                    .into_iter()
                    .chain(through)
                    .collect::<Vec<_>>()
                    .join(", ");
                ApplicationUser {
                    username: users
                        .get(&user.id)
                        .map(|found| found.username.clone())
                        .unwrap_or_else(|| user.id.clone()),
                    id: user.id,
                    via,
                }
            })
            .collect();
        reached.sort_by(|a, b| a.username.cmp(&b.username));
        Ok(ApplicationDetail {
            name: application_label(&application),
            description: application.description.unwrap_or_default(),
            sso_url: application.sso_url.unwrap_or_default(),
            id: application.id,
            groups,
            users: reached,
            unbound,
            can_manage,
        })
    }

    /// Binds (`binding`) or unbinds a user group, audited either way.
    pub async fn set_group(
        slug: &str,
        id: &str,
        group_id: &str,
        binding: bool,
    ) -> Result<(), AppError> {
        let (state, context) = org_context(slug, Capability::ManageDirectory).await?;
        let api = &context.jumpcloud;
        let application = api.get_application(id).await?;
        let group = api.get_user_group(group_id).await?;
        let name = application_label(&application);
        let (op, action, summary) = if binding {
            (
                GraphOp::Add,
                "application.group_bound",
                format!("bound group {:?} to {name}", group.name),
            )
        } else {
            (
                GraphOp::Remove,
                "application.group_unbound",
                format!("unbound group {:?} from {name}", group.name),
            )
        };
        let result = api
            .set_application_association(id, op, GraphType::UserGroup, group_id)
            .await;
        let target = format!("application {id} user_group {group_id}");
        let (summary, outcome) = match &result {
            Ok(()) => (summary, "ok"),
            Err(error) => (format!("{summary}: {error}"), "failed"),
        };
        audit::org_action(&state.db, &context, action, &target, &summary, outcome).await?;
        result.map_err(|error| match error {
            jumpcloud::Error::Conflict(_) => {
                AppError::Conflict(format!("{} is already bound to {name}.", group.name))
            }
            jumpcloud::Error::NotFound(_) => {
                AppError::Conflict(format!("{} is not bound to {name}.", group.name))
            }
            other => other.into(),
        })?;
        let notice = if binding {
            format!("{} can now use {name}.", group.name)
        } else {
            format!("{} no longer reaches {name}.", group.name)
        };
        redirect_with_notice(&format!("/o/{slug}/apps/{id}"), &notice);
        Ok(())
    }
}
