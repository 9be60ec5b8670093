//! `/o/{org}/users/bulk`: the users ticked in the list, the action chosen there, a
//! preview of exactly what will change for each, then the run with a per-user result.

use leptos::prelude::*;
use leptos_router::hooks::use_query_map;
use serde::{Deserialize, Serialize};

use super::{RunProgress, UserFilter, UserStatus, users_path};
use crate::components::{ErrorPanel, FormError};
use crate::error::AppError;
use crate::home::org_param;

/// A bulk action Lanyard can run.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub enum BulkAction {
    Suspend,
    Activate,
    Unlock,
    ExpirePassword,
    AddToGroup,
}

impl BulkAction {
    pub const ALL: [BulkAction; 5] = [
        BulkAction::Suspend,
        BulkAction::Activate,
        BulkAction::Unlock,
        BulkAction::ExpirePassword,
        BulkAction::AddToGroup,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            BulkAction::Suspend => "suspend",
            BulkAction::Activate => "activate",
            BulkAction::Unlock => "unlock",
            BulkAction::ExpirePassword => "expire_password",
            BulkAction::AddToGroup => "add_to_group",
        }
    }

    pub fn parse(text: &str) -> Option<Self> {
        Self::ALL.into_iter().find(|action| action.as_str() == text)
    }

    pub fn label(self) -> &'static str {
        match self {
            BulkAction::Suspend => "Suspend",
            BulkAction::Activate => "Activate or reactivate",
            BulkAction::Unlock => "Unlock",
            BulkAction::ExpirePassword => "Expire password",
            BulkAction::AddToGroup => "Add to a group",
        }
    }
}

/// One selected user and what the action would do to them.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct BulkPreviewRow {
    pub id: String,
    pub username: String,
    pub status: UserStatus,
    /// `None`: nothing would change (already in that state, not locked, ...).
    pub change: Option<String>,
}

#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct BulkPreview {
    pub rows: Vec<BulkPreviewRow>,
    /// For "add to a group": the groups to choose from, `(id, name)`.
    pub groups: Vec<(String, String)>,
}

/// The users a bulk action applies to: those ticked, or every user matching the list's
/// filter (up to 2,000).
#[server(endpoint = "users/bulk/preview")]
pub async fn preview_bulk(
    org: String,
    #[server(default)] action: String,
    #[server(default)] ids: Vec<String>,
    #[server(default)] all_matching: Option<UserFilter>,
) -> Result<BulkPreview, AppError> {
    crate::error::with_http_status(ssr::preview(&org, &action, &ids, all_matching).await)
}

/// Starts the action for every selected user in the background, then redirects to the
/// results page, which shows its progress.
#[server(endpoint = "users/bulk/run")]
pub async fn run_bulk(
    org: String,
    #[server(default)] action: String,
    #[server(default)] ids: Vec<String>,
    #[server(default)] group: String,
) -> Result<(), AppError> {
    crate::error::with_http_status(ssr::run(&org, &action, &ids, &group).await)
}

/// How far a bulk run (or an import) has got; `None` once forgotten.
#[server(endpoint = "users/bulk/results")]
pub async fn bulk_progress(org: String, token: String) -> Result<Option<RunProgress>, AppError> {
    crate::error::with_http_status(ssr::progress(&org, &token).await)
}

#[cfg(feature = "ssr")]
mod ssr {
    use futures::{StreamExt, TryStreamExt, stream};
    use jumpcloud::graph::GraphOp;
    use jumpcloud::users::{ActivationEmail, SystemUser};

    use super::{BulkAction, BulkPreview, BulkPreviewRow};
    use crate::error::AppError;
    use crate::state::{AppState, app_state};
    use crate::tenants::Capability;
    use crate::tenants::access::{OrgContext, authorize};
    use crate::users::actions::ssr::record;
    use crate::users::directory::{self, is_locked, status_of};
    use crate::users::runs::{self, CONCURRENCY};
    use crate::users::{RunProgress, UserFilter, UserOutcome, UserStatus};

    /// More users than this in one bulk action are refused: narrow the filter.
    const MAX_SELECTION: usize = 2_000;

    fn action(text: &str) -> Result<BulkAction, AppError> {
        BulkAction::parse(text).ok_or_else(|| AppError::bad_request("Choose a bulk action."))
    }

    /// What `action` would change for `user`, or `None` if nothing.
    fn change(action: BulkAction, user: &SystemUser, group: Option<&str>) -> Option<String> {
        let status = status_of(user);
        match action {
            BulkAction::Suspend => {
                (status != UserStatus::Suspended).then(|| format!("{} → Suspended", status.label()))
            }
            BulkAction::Activate => {
                (status != UserStatus::Active).then(|| format!("{} → Active", status.label()))
            }
            BulkAction::Unlock => is_locked(user).then(|| "Locked → unlocked".to_string()),
            BulkAction::ExpirePassword => {
                Some("Password expires: must be changed at the next login".into())
            }
            BulkAction::AddToGroup => Some(format!("Added to {}", group.unwrap_or("the group"))),
        }
    }

    fn too_many() -> AppError {
        AppError::bad_request(format!(
            "A bulk action takes at most {MAX_SELECTION} users; narrow the filter."
        ))
    }

    async fn selected(
        state: &AppState,
        context: &OrgContext,
        ids: &[String],
        all_matching: Option<UserFilter>,
    ) -> Result<Vec<SystemUser>, AppError> {
        if let Some(filter) = all_matching {
            let users: Vec<SystemUser> =
                directory::matching_pages(state.clone(), context, filter, true)
                    .try_concat()
                    .await?;
            if users.len() > MAX_SELECTION {
                return Err(too_many());
            }
            return Ok(users);
        }
        if ids.is_empty() {
            return Err(AppError::bad_request(
                "Tick at least one user in the list first.",
            ));
        }
        if ids.len() > MAX_SELECTION {
            return Err(too_many());
        }
        stream::iter(ids.to_vec())
            .map(|id| async move { directory::user(state, context, &id, true).await })
            .buffered(CONCURRENCY)
            .try_collect()
            .await
    }

    pub async fn preview(
        org: &str,
        action_name: &str,
        ids: &[String],
        all_matching: Option<UserFilter>,
    ) -> Result<BulkPreview, AppError> {
        let state = app_state()?;
        let context = authorize(&state, org, Capability::ManageDirectory).await?;
        let action = action(action_name)?;
        let users = selected(&state, &context, ids, all_matching).await?;
        let groups = if action == BulkAction::AddToGroup {
            crate::directory::ssr::group_choices(&state, &context).await?
        } else {
            Vec::new()
        };
        Ok(BulkPreview {
            rows: users
                .iter()
                .map(|user| BulkPreviewRow {
                    id: user.id.clone(),
                    username: user.username.clone(),
                    status: status_of(user),
                    change: change(action, user, None),
                })
                .collect(),
            groups,
        })
    }

    async fn apply(
        state: &AppState,
        context: &OrgContext,
        action: BulkAction,
        user: &SystemUser,
        group: Option<(&str, &str)>,
    ) -> Result<(), AppError> {
        let client = &context.jumpcloud;
        match (action, group) {
            (BulkAction::Suspend, _) => {
                let result = client.suspend_user(&user.id).await.map(drop);
                let summary = "suspended (bulk)";
                record(state, context, user, "user.suspended", summary, result).await
            }
            (BulkAction::Activate, _) if status_of(user) == UserStatus::Staged => {
                let result = client
                    .activate_user(&user.id, &ActivationEmail::Suppress)
                    .await;
                let summary = "activated, no email (bulk)";
                record(state, context, user, "user.activated", summary, result).await
            }
            (BulkAction::Activate, _) => {
                let result = client.unsuspend_user(&user.id).await.map(drop);
                let summary = "reactivated (bulk)";
                record(state, context, user, "user.reactivated", summary, result).await
            }
            (BulkAction::Unlock, _) => {
                let result = client.unlock_user(&user.id).await;
                let summary = "unlocked (bulk)";
                record(state, context, user, "user.unlocked", summary, result).await
            }
            (BulkAction::ExpirePassword, _) => {
                let result = client.expire_password(&user.id).await;
                let summary = "password expired (bulk)";
                record(
                    state,
                    context,
                    user,
                    "user.password_expired",
                    summary,
                    result,
                )
                .await
            }
            (BulkAction::AddToGroup, Some((group_id, group_name))) => {
                let result = client
                    .set_user_group_member(group_id, GraphOp::Add, &user.id)
                    .await;
                let summary = format!("added to group {group_name} (bulk)");
                record(state, context, user, "user.group_added", &summary, result).await
            }
            (BulkAction::AddToGroup, None) => Err(AppError::bad_request("Choose a group.")),
        }
    }

    /// One user of a run: read afresh (the preview may be minutes old), then changed if
    /// the action still changes them.
    async fn run_one(
        state: &AppState,
        context: &OrgContext,
        action: BulkAction,
        id: &str,
        group: Option<(&str, &str)>,
    ) -> UserOutcome {
        let user = match directory::user(state, context, id, true).await {
            Ok(user) => user,
            Err(error) => {
                return UserOutcome {
                    user: id.to_string(),
                    error: Some(error.to_string()),
                };
            }
        };
        let error = if change(action, &user, group.map(|(_, name)| name)).is_none() {
            Some("Nothing to change".into())
        } else {
            apply(state, context, action, &user, group)
                .await
                .err()
                .map(|error| error.to_string())
        };
        UserOutcome {
            user: user.username,
            error,
        }
    }

    pub async fn run(
        org: &str,
        action_name: &str,
        ids: &[String],
        group_id: &str,
    ) -> Result<(), AppError> {
        let state = app_state()?;
        let context = authorize(&state, org, Capability::ManageDirectory).await?;
        let action = action(action_name)?;
        let group = if action == BulkAction::AddToGroup {
            let group = context
                .jumpcloud
                .get_user_group(group_id)
                .await
                .map_err(|_| AppError::bad_request("Choose a group to add the users to."))?;
            Some((group.id, group.name))
        } else {
            None
        };
        let ids: Vec<String> = ids.iter().filter(|id| !id.is_empty()).cloned().collect();
        if ids.is_empty() {
            return Err(AppError::bad_request("No user was selected."));
        }
        if ids.len() > MAX_SELECTION {
            return Err(too_many());
        }
        let work = {
            let (state, context) = (state.clone(), context.clone());
            stream::iter(ids.clone()).map(move |id| {
                let (state, context, group) = (state.clone(), context.clone(), group.clone());
                async move {
                    let group = group
                        .as_ref()
                        .map(|(id, name)| (id.as_str(), name.as_str()));
                    run_one(&state, &context, action, &id, group).await
                }
            })
        };
        let token = runs::start(&state, context.account.id, ids.len(), work).await?;
        leptos_axum::redirect(&format!(
            "{}/bulk?results={token}",
            crate::users::users_path(&context.org.slug)
        ));
        Ok(())
    }

    pub async fn progress(org: &str, token: &str) -> Result<Option<RunProgress>, AppError> {
        let state = app_state()?;
        let context = authorize(&state, org, Capability::ManageDirectory).await?;
        runs::progress(&state, context.account.id, token).await
    }
}

#[component]
pub fn BulkPage() -> impl IntoView {
    let org = org_param();
    let query = use_query_map();
    let run = ServerAction::<RunBulk>::new();
    let request = Memo::new(move |_| {
        let query = query.read();
        let all_matching =
            (query.get("all").as_deref() == Some("1")).then(|| UserFilter::from_params(&query));
        (
            query.get("action").unwrap_or_default(),
            query.get_all("id").unwrap_or_default(),
            all_matching,
            query.get("results"),
        )
    });
    let page = Resource::new(
        move || (org.get(), request.get()),
        |(org, (action, ids, all_matching, results))| async move {
            match results {
                Some(token) => bulk_progress(org, token).await.map(BulkView::Results),
                None => preview_bulk(org, action, ids, all_matching)
                    .await
                    .map(BulkView::Preview),
            }
        },
    );
    view! {
        <p>
            <a href=move || users_path(&org.get())>"← Users"</a>
        </p>
        <h1>"Bulk action"</h1>
        <Suspense fallback=|| view! { <p class="loading">"Loading…"</p> }>
            {move || Suspend::new(async move {
                let (action, _, _, _) = request.get_untracked();
                match page.await {
                    Ok(BulkView::Preview(preview)) => {
                        view! { <PreviewView org=org.get_untracked() action preview run /> }.into_any()
                    }
                    Ok(BulkView::Results(progress)) => view! { <ResultsView progress /> }.into_any(),
                    Err(error) => view! { <ErrorPanel error /> }.into_any(),
                }
            })}
        </Suspense>
    }
}

#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
enum BulkView {
    Preview(BulkPreview),
    Results(Option<RunProgress>),
}

#[component]
fn PreviewView(
    org: String,
    action: String,
    preview: BulkPreview,
    run: ServerAction<RunBulk>,
) -> impl IntoView {
    let label = BulkAction::parse(&action)
        .map(BulkAction::label)
        .unwrap_or_default();
    let changing = preview
        .rows
        .iter()
        .filter(|row| row.change.is_some())
        .count();
    let ids = preview
        .rows
        .iter()
        .map(|row| row.id.clone())
        .collect::<Vec<_>>();
    let has_groups = !preview.groups.is_empty();
    view! {
        <section class="panel">
            <h2>{format!("{label}: preview")}</h2>
            <p data-testid="bulk-summary">
                {format!("{changing} of {} selected users will change. Nothing has been sent yet.", preview.rows.len())}
            </p>
            <table class="data" aria-label="Preview">
                <thead>
                    <tr>
                        <th scope="col">"User"</th>
                        <th scope="col">"Now"</th>
                        <th scope="col">"Change"</th>
                    </tr>
                </thead>
                <tbody>
                    {preview
                        .rows
                        .into_iter()
                        .map(|row| {
                            view! {
                                <tr>
                                    <td>{row.username}</td>
                                    <td>{row.status.label()}</td>
                                    <td>{row.change.unwrap_or_else(|| "No change".into())}</td>
                                </tr>
                            }
                        })
                        .collect_view()}
                </tbody>
            </table>
            <ActionForm action=run attr:class="stack" attr:aria-label="Run bulk action">
                <FormError result=run.value() />
                <input type="hidden" name="org" value=org />
                <input type="hidden" name="action" value=action />
                {ids
                    .into_iter()
                    .enumerate()
                    .map(|(index, id)| view! { <input type="hidden" name=format!("ids[{index}]") value=id /> })
                    .collect_view()}
                {has_groups
                    .then(|| {
                        view! {
                            <label>
                                "Group"
                                <select name="group">
                                    {preview
                                        .groups
                                        .into_iter()
                                        .map(|(id, name)| view! { <option value=id>{name}</option> })
                                        .collect_view()}
                                </select>
                            </label>
                        }
                    })}
                <button type="submit" class="primary">{format!("{label} {changing} users")}</button>
            </ActionForm>
        </section>
    }
}

/// A run's results; while it is still going, how far it has got, and the page reloads
/// itself (a meta refresh, so this works without JavaScript too) until it ends.
#[component]
pub(crate) fn ResultsView(progress: Option<RunProgress>) -> impl IntoView {
    let Some(progress) = progress else {
        return view! {
            <p class="hint">"These results are no longer kept; the audit log has every change."</p>
        }
        .into_any();
    };
    let finished = progress.finished();
    let handled = progress.outcomes.len();
    let failed = progress
        .outcomes
        .iter()
        .filter(|outcome| outcome.error.is_some())
        .count();
    view! {
        <section class="panel">
            <h2>"Results"</h2>
            {if finished {
                view! {
                    <p data-testid="bulk-result-summary">
                        {format!("{} done, {failed} not done.", handled - failed)}
                    </p>
                }
                    .into_any()
            } else {
                view! {
                    <leptos_meta::Meta http_equiv="refresh" content="2" />
                    <p data-testid="bulk-progress" role="status">
                        {format!("Working: {handled} of {} users handled so far…", progress.total)}
                    </p>
                    <progress max=progress.total value=handled></progress>
                }
                    .into_any()
            }}
            <table class="data" aria-label="Results">
                <thead>
                    <tr>
                        <th scope="col">"User"</th>
                        <th scope="col">"Result"</th>
                    </tr>
                </thead>
                <tbody>
                    {progress
                        .outcomes
                        .into_iter()
                        .map(|outcome| {
                            view! {
                                <tr>
                                    <td>{outcome.user}</td>
                                    <td>{outcome.error.unwrap_or_else(|| "Done".into())}</td>
                                </tr>
                            }
                        })
                        .collect_view()}
                </tbody>
            </table>
        </section>
    }
    .into_any()
}
