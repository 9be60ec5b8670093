//! Group work against JumpCloud, behind the group server functions.

use std::collections::HashMap;

use futures::{StreamExt, TryStreamExt, stream};
use jumpcloud::graph::{GraphObjectWithPaths, GraphOp, GraphType};
use jumpcloud::groups::UserGroupFields;
use jumpcloud::users::{SystemUser, UserListQuery};

use super::{GroupDetail, GroupMember, MembershipCheck};
use crate::audit;
use crate::components::typed_confirmation;
use crate::directory::GroupSummary;
use crate::directory::ObjectRef;
use crate::directory::ssr::{
    CONCURRENT_CALLS, application_label, directory_changed, display_name, failure_reason,
    org_context as context, redirect_with_notice, users_by_id, users_by_ids,
};
use crate::error::AppError;
use crate::tenants::Capability;
use crate::users::cache::Touched;

fn member(user: &SystemUser) -> GroupMember {
    GroupMember {
        id: user.id.clone(),
        username: user.username.clone(),
        email: user.email.clone(),
        name: display_name(user),
    }
}

pub async fn list(slug: &str, search: Option<&str>) -> Result<Vec<GroupSummary>, AppError> {
    let (_, context) = context(slug, Capability::ViewDirectory).await?;
    let search = search.map(str::trim).unwrap_or_default().to_lowercase();
    let groups = context
        .jumpcloud
        .list_all_user_groups(&mut |_, _| {})
        .await?;
    let api = &context.jumpcloud;
    stream::iter(
        groups
            .into_iter()
            .filter(|group| search.is_empty() || group.name.to_lowercase().contains(&search)),
    )
    .map(|group| async move {
        let members = api.list_user_group_members(&group.id).await?.len();
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

pub async fn detail(slug: &str, id: &str) -> Result<GroupDetail, AppError> {
    let (state, context) = context(slug, Capability::ViewDirectory).await?;
    let api = &context.jumpcloud;
    let group = api.get_user_group(id).await?;
    let connections = api.list_user_group_members(id).await?;
    let users = users_by_ids(
        &state,
        &context,
        connections
            .iter()
            .map(|connection| connection.to.id.clone()),
    )
    .await?;
    let mut members: Vec<GroupMember> = connections
        .iter()
        .filter_map(|connection| users.get(&connection.to.id).map(member))
        .collect();
    members.sort_by(|a, b| a.username.cmp(&b.username));
    // One association list per kind, named from one listing of each.
    let (mut app_progress, mut group_progress) = (|_, _| {}, |_, _| {});
    let (bound_apps, bound_system_groups, applications, system_groups) = futures::try_join!(
        api.list_user_group_associations(id, GraphType::Application),
        api.list_user_group_associations(id, GraphType::SystemGroup),
        api.list_all_applications(&mut app_progress),
        api.list_all_system_groups(&mut group_progress),
    )?;
    let app_names: HashMap<String, String> = applications
        .iter()
        .map(|application| (application.id.clone(), application_label(application)))
        .collect();
    let system_group_names: HashMap<String, String> = system_groups
        .into_iter()
        .map(|group| (group.id, group.name))
        .collect();
    let named = |connections: Vec<jumpcloud::graph::GraphConnection>,
                 names: &HashMap<String, String>| {
        let mut named: Vec<ObjectRef> = connections
            .into_iter()
            .map(|connection| ObjectRef {
                name: names
                    .get(&connection.to.id)
                    .cloned()
                    .unwrap_or_else(|| connection.to.id.clone()),
                id: connection.to.id,
            })
            .collect();
        named.sort_by_key(|object| object.name.to_lowercase());
        named
    };
    Ok(GroupDetail {
        id: group.id,
        name: group.name,
        description: group.description.unwrap_or_default(),
        members,
        applications: named(bound_apps, &app_names),
        system_groups: named(bound_system_groups, &system_group_names),
        can_manage: context.role.allows(Capability::ManageDirectory),
    })
}

pub async fn candidates(slug: &str, find: Option<&str>) -> Result<Vec<GroupMember>, AppError> {
    let (_, context) = context(slug, Capability::ViewDirectory).await?;
    let Some(term) = find.map(str::trim).filter(|term| !term.is_empty()) else {
        return Ok(Vec::new());
    };
    let page = context
        .jumpcloud
        .list_users(&UserListQuery {
            search: Some(term.to_string()),
            limit: 25,
            ..Default::default()
        })
        .await?;
    Ok(page.items.iter().map(member).collect())
}

/// Reads a path of graph hops as names: "jane.doe → Engineering → …".
fn describe_path(
    user: &SystemUser,
    hops: &[jumpcloud::graph::GraphConnection],
    group_names: &HashMap<String, String>,
) -> String {
    std::iter::once(user.username.clone())
        .chain(hops.iter().map(|hop| {
            group_names
                .get(&hop.to.id)
                .cloned()
                .unwrap_or_else(|| hop.to.id.clone())
        }))
        .collect::<Vec<_>>()
        .join(" → ")
}

pub async fn check(
    slug: &str,
    id: &str,
    typed: Option<&str>,
) -> Result<Option<MembershipCheck>, AppError> {
    let (_, context) = context(slug, Capability::ViewDirectory).await?;
    let Some(typed) = typed.filter(|typed| !typed.trim().is_empty()) else {
        return Ok(None);
    };
    let api = &context.jumpcloud;
    let user = crate::users::directory::find_by_username_or_email(&context, typed)
        .await?
        .ok_or_else(|| AppError::NotFound(format!("A user {:?}", typed.trim())))?;
    let memberships: Vec<GraphObjectWithPaths> = api.list_user_member_of(&user.id).await?;
    let Some(reached) = memberships.into_iter().find(|group| group.id == id) else {
        return Ok(Some(MembershipCheck {
            user: user.username,
            paths: Vec::new(),
        }));
    };
    let group_names: HashMap<String, String> = api
        .list_all_user_groups(&mut |_, _| {})
        .await?
        .into_iter()
        .map(|group| (group.id, group.name))
        .collect();
    let paths = reached
        .paths
        .iter()
        .map(|hops| describe_path(&user, hops, &group_names))
        .collect();
    Ok(Some(MembershipCheck {
        user: user.username,
        paths,
    }))
}

fn group_fields(
    name: &str,
    description: Option<&str>,
) -> Result<(String, Option<String>), AppError> {
    let name = name.trim();
    if name.is_empty() || name.len() > 200 {
        return Err(AppError::bad_request(
            "A group needs a name of at most 200 characters.",
        ));
    }
    let description = description
        .map(str::trim)
        .filter(|text| !text.is_empty())
        .map(str::to_string);
    Ok((name.to_string(), description))
}

pub async fn create(slug: &str, name: &str, description: Option<&str>) -> Result<(), AppError> {
    let (state, context) = context(slug, Capability::ManageDirectory).await?;
    let (name, description) = group_fields(name, description)?;
    let created = context
        .jumpcloud
        .create_user_group(&UserGroupFields {
            name: name.clone(),
            description,
            ..Default::default()
        })
        .await;
    match created {
        Ok(group) => {
            directory_changed(&state, context.org.id, Touched::Everything).await?;
            let target = format!("user_group {}", group.id);
            audit::org_action(
                &state.db,
                &context,
                "group.created",
                &target,
                &format!("created group {name:?}"),
                "ok",
            )
            .await?;
            redirect_with_notice(
                &format!("/o/{slug}/groups/{}", group.id),
                &format!("Created group {name}."),
            );
            Ok(())
        }
        Err(error) => {
            let summary = format!("could not create group {name:?}: {error}");
            audit::org_action(
                &state.db,
                &context,
                "group.created",
                "user_group",
                &summary,
                "failed",
            )
            .await?;
            Err(match error {
                jumpcloud::Error::Conflict(_) => {
                    AppError::Conflict(format!("A group named {name} already exists."))
                }
                other => other.into(),
            })
        }
    }
}

pub async fn update(
    slug: &str,
    id: &str,
    name: &str,
    description: Option<&str>,
) -> Result<(), AppError> {
    let (state, context) = context(slug, Capability::ManageDirectory).await?;
    let (name, description) = group_fields(name, description)?;
    let target = format!("user_group {id}");
    let result = context
        .jumpcloud
        .update_user_group(id, |fields| {
            fields.name = name.clone();
            fields.description = description;
        })
        .await;
    directory_changed(&state, context.org.id, Touched::Everything).await?;
    let outcome = if result.is_ok() { "ok" } else { "failed" };
    audit::org_action(
        &state.db,
        &context,
        "group.updated",
        &target,
        &format!("renamed or described as {name:?}"),
        outcome,
    )
    .await?;
    result?;
    redirect_with_notice(&format!("/o/{slug}/groups/{id}"), "Saved.");
    Ok(())
}

pub async fn delete(slug: &str, id: &str, confirm: Option<&str>) -> Result<(), AppError> {
    let (state, context) = context(slug, Capability::ManageDirectory).await?;
    let group = context.jumpcloud.get_user_group(id).await?;
    typed_confirmation(confirm, &group.name)?;
    let target = format!("user_group {id}");
    let result = context.jumpcloud.delete_user_group(id).await;
    directory_changed(&state, context.org.id, Touched::Everything).await?;
    let outcome = if result.is_ok() { "ok" } else { "failed" };
    audit::org_action(
        &state.db,
        &context,
        "group.deleted",
        &target,
        &format!("deleted group {:?}", group.name),
        outcome,
    )
    .await?;
    result?;
    redirect_with_notice(
        &format!("/o/{slug}/groups"),
        &format!("Deleted group {}.", group.name),
    );
    Ok(())
}

/// Applies `op` for each user, audits each, and reports per user: the notice on success,
/// an error naming the failures (the others still went through) otherwise.
async fn change_members(
    slug: &str,
    id: &str,
    op: GraphOp,
    user_ids: Vec<String>,
    typed: Vec<String>,
) -> Result<(), AppError> {
    let (state, context) = context(slug, Capability::ManageDirectory).await?;
    let api = &context.jumpcloud;
    let group = api.get_user_group(id).await?;
    let users = users_by_id(&context).await?;
    let mut done = Vec::new();
    let mut failed = Vec::new();
    let mut targets: Vec<SystemUser> = Vec::new();
    for user_id in user_ids.iter().filter(|user_id| !user_id.is_empty()) {
        match users.get(user_id) {
            Some(user) => targets.push(user.clone()),
            None => failed.push(format!("{user_id} (no such user)")),
        }
    }
    for name in typed {
        match users.values().find(|user| {
            user.username.eq_ignore_ascii_case(&name) || user.email.eq_ignore_ascii_case(&name)
        }) {
            Some(user) => targets.push(user.clone()),
            None => failed.push(format!("{name} (no such user)")),
        }
    }
    if targets.is_empty() && failed.is_empty() {
        return Err(AppError::bad_request("Choose at least one user."));
    }
    let (action, verb) = match op {
        GraphOp::Add => ("group.member_added", "added"),
        GraphOp::Remove => ("group.member_removed", "removed"),
    };
    for user in targets {
        let result = api.set_user_group_member(id, op, &user.id).await;
        let summary = format!("{verb} {} in group {:?}", user.username, group.name);
        let target = format!("user_group {id} user {}", user.id);
        match result {
            Ok(()) => {
                audit::org_action(&state.db, &context, action, &target, &summary, "ok").await?;
                done.push(user.username);
            }
            Err(error) => {
                audit::org_action(
                    &state.db,
                    &context,
                    action,
                    &target,
                    &format!("{summary}: {error}"),
                    "failed",
                )
                .await?;
                failed.push(format!("{} ({})", user.username, failure_reason(&error)));
            }
        }
    }
    directory_changed(&state, context.org.id, Touched::Everything).await?;
    let done_text = if done.is_empty() {
        format!("Nobody was {verb}.")
    } else {
        format!("{} {}.", capitalized(verb), done.join(", "))
    };
    if failed.is_empty() {
        redirect_with_notice(&format!("/o/{slug}/groups/{id}"), &done_text);
        Ok(())
    } else {
        Err(AppError::Conflict(format!(
            "{done_text} Not {verb}: {}.",
            failed.join(", ")
        )))
    }
}

fn capitalized(word: &str) -> String {
    let mut chars = word.chars();
    chars
        .next()
        .map(|first| first.to_uppercase().chain(chars).collect())
        .unwrap_or_default()
}

pub async fn add_members(
    slug: &str,
    id: &str,
    user_ids: Vec<String>,
    typed: Option<&str>,
) -> Result<(), AppError> {
    let typed = typed
        .unwrap_or_default()
        .split(['\n', ',', ';'])
        .map(str::trim)
        .filter(|name| !name.is_empty())
        .map(str::to_string)
        .collect();
    change_members(slug, id, GraphOp::Add, user_ids, typed).await
}

pub async fn remove_members(slug: &str, id: &str, user_ids: Vec<String>) -> Result<(), AppError> {
    change_members(slug, id, GraphOp::Remove, user_ids, Vec::new()).await
}

#[cfg(test)]
mod tests {
    #[test]
    fn verbs_start_sentences() {
        assert_eq!(super::capitalized("added"), "Added");
        assert_eq!(super::capitalized(""), "");
    }
}
