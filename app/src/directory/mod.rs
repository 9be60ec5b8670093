//! Pieces the directory pages share (groups, devices, and the other JumpCloud objects):
//! object references, the `?notice=` message a change redirects back with, and (ssr)
//! lookups of users by id or by what an admin typed.

pub mod applications;
pub mod commands;
pub mod insights;
pub mod overview;
pub mod policies;
pub mod system_groups;

use leptos::prelude::*;
use leptos_router::hooks::{use_params_map, use_query_map};
use serde::{Deserialize, Serialize};

/// A JumpCloud object named for display, linked by its id.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct ObjectRef {
    pub id: String,
    pub name: String,
}

/// A user group or system group in a list, with how many direct members it has.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct GroupSummary {
    pub id: String,
    pub name: String,
    pub description: String,
    pub members: usize,
}

/// The table of a group list page; `section` is the URL segment (`groups`,
/// `system-groups`) the rows link into.
#[component]
pub fn GroupTable(
    org: String,
    list: Vec<GroupSummary>,
    section: &'static str,
    label: &'static str,
    members_label: &'static str,
    empty: &'static str,
) -> impl IntoView {
    if list.is_empty() {
        return view! { <p class="empty">{empty}</p> }.into_any();
    }
    view! {
        <table class="data" aria-label=label>
            <thead>
                <tr>
                    <th scope="col">"Name"</th>
                    <th scope="col">"Description"</th>
                    <th scope="col" class="num">{members_label}</th>
                </tr>
            </thead>
            <tbody>
                {list
                    .into_iter()
                    .map(|group| {
                        view! {
                            <tr>
                                <td><a href=format!("/o/{org}/{section}/{}", group.id)>{group.name}</a></td>
                                <td>{group.description}</td>
                                <td class="num">{group.members}</td>
                            </tr>
                        }
                    })
                    .collect_view()}
            </tbody>
        </table>
    }
    .into_any()
}

/// What a directory page shows while its data loads.
pub fn loading() -> impl IntoView {
    view! { <p class="loading">"Loading…"</p> }
}

/// The `:id` of an object route (`/o/{org}/groups/{id}`).
pub fn id_param() -> Memo<String> {
    let params = use_params_map();
    Memo::new(move |_| params.read().get("id").unwrap_or_default())
}

/// One query parameter of the current URL (filters, searches), empty when absent.
pub fn query_param(name: &'static str) -> Memo<String> {
    let query = use_query_map();
    Memo::new(move |_| query.read().get(name).unwrap_or_default())
}

/// What the last change did, carried in `?notice=` by the redirect that ends it, so the
/// outcome shows with and without JavaScript.
#[component]
pub fn Notice() -> impl IntoView {
    let notice = query_param("notice");
    move || {
        let text = notice.get();
        (!text.is_empty()).then(|| view! { <p class="notice" role="status">{text}</p> })
    }
}

#[cfg(feature = "ssr")]
pub(crate) mod ssr {
    use std::collections::{BTreeSet, HashMap};

    use futures::{StreamExt, TryStreamExt, stream};

    use jumpcloud::applications::Application;
    use jumpcloud::systems::System;
    use jumpcloud::users::SystemUser;
    use percent_encoding::{NON_ALPHANUMERIC, utf8_percent_encode};

    use crate::error::AppError;
    use crate::state::{AppState, app_state};
    use crate::tenants::Capability;
    use crate::tenants::access::{OrgContext, authorize};
    use crate::users::cache::Touched;

    /// How many JumpCloud calls a page makes at once when it needs one per object (member
    /// counts, application bindings); the client's rate limiter paces them further.
    pub const CONCURRENT_CALLS: usize = 6;

    /// The state and the authorized organization a directory function works in.
    pub async fn org_context(
        slug: &str,
        capability: Capability,
    ) -> Result<(AppState, OrgContext), AppError> {
        let state = app_state()?;
        let context = authorize(&state, slug, capability).await?;
        Ok((state, context))
    }

    /// After a write to the organization's directory: every instance's cached reads of
    /// what it touched are stale (the generation moves on, recording what it touched),
    /// this instance's go at once.
    pub async fn directory_changed(
        state: &AppState,
        org_id: i64,
        touched: Touched,
    ) -> Result<(), AppError> {
        crate::users::cache::record_change(&state.db, org_id, &touched, crate::db::now_unix())
            .await?;
        state.users.cache.forget(org_id, &touched);
        Ok(())
    }

    /// The organization's user group names by id, from the short cache (one listing of
    /// every group otherwise): pages name groups by id all the time.
    pub async fn group_names(
        state: &AppState,
        context: &OrgContext,
    ) -> Result<std::sync::Arc<HashMap<String, String>>, AppError> {
        let cache = &state.users.cache;
        if let Some(names) = cache.group_names(&state.db, &context.org).await? {
            return Ok(names);
        }
        let names = std::sync::Arc::new(
            context
                .jumpcloud
                .list_all_user_groups(&mut |_, _| {})
                .await?
                .into_iter()
                .map(|group| (group.id, group.name))
                .collect::<HashMap<_, _>>(),
        );
        cache.put_group_names(&context.org, names.clone());
        Ok(names)
    }

    /// The organization's user groups as (id, name), by name, for a picker. Read fresh
    /// (and the cache refreshed with it): a group just made in JumpCloud's console is
    /// one to choose.
    pub async fn group_choices(
        state: &AppState,
        context: &OrgContext,
    ) -> Result<Vec<(String, String)>, AppError> {
        let names: HashMap<String, String> = context
            .jumpcloud
            .list_all_user_groups(&mut |_, _| {})
            .await?
            .into_iter()
            .map(|group| (group.id, group.name))
            .collect();
        let mut groups: Vec<(String, String)> = names
            .iter()
            .map(|(id, name)| (id.clone(), name.clone()))
            .collect();
        state
            .users
            .cache
            .put_group_names(&context.org, std::sync::Arc::new(names));
        groups.sort_by(|a, b| a.1.cmp(&b.1).then_with(|| a.0.cmp(&b.0)));
        Ok(groups)
    }

    /// Ends a change by sending the browser to `path` with `notice` to show there.
    pub fn redirect_with_notice(path: &str, notice: &str) {
        leptos_axum::redirect(&format!(
            "{path}?notice={}",
            utf8_percent_encode(notice, NON_ALPHANUMERIC)
        ));
    }

    /// Above this many users, one paged listing of the organization (100 users a call)
    /// costs fewer JumpCloud calls than fetching them one by one.
    const LISTING_IS_CHEAPER: usize = 30;

    /// The users with these ids, by id; ids JumpCloud no longer knows (orphaned
    /// associations) are left out. Few users come one by one through the per-organization
    /// cache, many from one listing.
    pub async fn users_by_ids(
        state: &AppState,
        context: &OrgContext,
        ids: impl IntoIterator<Item = String>,
    ) -> Result<HashMap<String, SystemUser>, AppError> {
        let ids: BTreeSet<String> = ids.into_iter().filter(|id| !id.is_empty()).collect();
        if ids.len() > LISTING_IS_CHEAPER {
            let mut everyone = users_by_id(context).await?;
            everyone.retain(|id, _| ids.contains(id));
            return Ok(everyone);
        }
        let found: Vec<Option<SystemUser>> = stream::iter(ids)
            .map(|id| async move {
                match crate::users::directory::user(state, context, &id, false).await {
                    Ok(user) => Ok(Some(user)),
                    Err(AppError::NotFound(_)) => Ok(None),
                    Err(error) => Err(error),
                }
            })
            .buffered(CONCURRENT_CALLS)
            .try_collect()
            .await?;
        Ok(found
            .into_iter()
            .flatten()
            .map(|user| (user.id.clone(), user))
            .collect())
    }

    /// Every user of the organization by id: one paged listing instead of a call per
    /// member when a page names many users.
    pub async fn users_by_id(
        context: &OrgContext,
    ) -> Result<HashMap<String, SystemUser>, AppError> {
        let users = context.jumpcloud.list_all_users(&mut |_, _| {}).await?;
        Ok(users
            .into_iter()
            .map(|user| (user.id.clone(), user))
            .collect())
    }

    pub use crate::users::directory::display_name;

    /// How a system reads in lists: the display name, else the hostname, else the id.
    pub fn system_label(system: &System) -> String {
        [&system.display_name, &system.hostname]
            .into_iter()
            .flatten()
            .find(|name| !name.trim().is_empty())
            .cloned()
            .unwrap_or_else(|| system.id.clone())
    }

    /// How an application reads in lists: its label, else its display or catalog name.
    pub fn application_label(application: &Application) -> String {
        application
            .display_label
            .clone()
            .or_else(|| application.display_name.clone())
            .or_else(|| application.name.clone())
            .unwrap_or_else(|| application.id.clone())
    }

    /// JumpCloud's message for a failed call on one of several objects, for a summary.
    pub fn failure_reason(error: &jumpcloud::Error) -> String {
        match error {
            jumpcloud::Error::Conflict(_) => "already there".into(),
            jumpcloud::Error::NotFound(_) => "not there".into(),
            other => AppError::from(other.clone()).to_string(),
        }
    }
}
