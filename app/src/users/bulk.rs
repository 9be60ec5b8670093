//! `/o/{org}/users/bulk`: the users ticked in the list, the action chosen there, a
//! preview of exactly what will change for each, then the run with a per-user result.

use leptos::prelude::*;
use leptos_router::hooks::use_query_map;
use serde::{Deserialize, Serialize};

use super::{UserOutcome, UserStatus, users_path};
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

#[server(endpoint = "users/bulk/preview")]
pub async fn preview_bulk(
    org: String,
    #[server(default)] action: String,
    #[server(default)] ids: Vec<String>,
) -> Result<BulkPreview, AppError> {
    crate::error::with_http_status(ssr::preview(&org, &action, &ids).await)
}

/// Runs the action for every selected user that it changes, then redirects to the
/// per-user results.
#[server(endpoint = "users/bulk/run")]
pub async fn run_bulk(
    org: String,
    #[server(default)] action: String,
    #[server(default)] ids: Vec<String>,
    #[server(default)] group: String,
) -> Result<(), AppError> {
    crate::error::with_http_status(ssr::run(&org, &action, &ids, &group).await)
}

/// A finished run's results, once.
#[server(endpoint = "users/bulk/results")]
pub async fn take_bulk_results(
    org: String,
    token: String,
) -> Result<Option<Vec<UserOutcome>>, AppError> {
    crate::error::with_http_status(ssr::take_results(&org, &token).await)
}

#[cfg(feature = "ssr")]
mod ssr {
    use jumpcloud::graph::GraphOp;
    use jumpcloud::users::{ActivationEmail, SystemUser};

    use super::{BulkAction, BulkPreview, BulkPreviewRow};
    use crate::error::AppError;
    use crate::state::app_state;
    use crate::tenants::Capability;
    use crate::tenants::access::{OrgContext, authorize};
    use crate::users::actions::ssr::record;
    use crate::users::directory::{self, is_locked, status_of};
    use crate::users::{UserOutcome, UserStatus};

    /// JumpCloud calls in flight at once: quick for large selections, gentle on its
    /// rate limit (the client also paces itself).
    const CONCURRENCY: usize = 4;

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

    async fn selected(
        state: &crate::state::AppState,
        context: &OrgContext,
        ids: &[String],
    ) -> Result<Vec<SystemUser>, AppError> {
        if ids.is_empty() {
            return Err(AppError::bad_request(
                "Tick at least one user in the list first.",
            ));
        }
        let mut users = Vec::with_capacity(ids.len());
        for chunk in ids.chunks(CONCURRENCY) {
            let fetched = futures::future::join_all(
                chunk
                    .iter()
                    .map(|id| directory::user(state, context, id, true)),
            )
            .await;
            for user in fetched {
                users.push(user?);
            }
        }
        Ok(users)
    }

    pub async fn preview(
        org: &str,
        action_name: &str,
        ids: &[String],
    ) -> Result<BulkPreview, AppError> {
        let state = app_state()?;
        let context = authorize(&state, org, Capability::ManageDirectory).await?;
        let action = action(action_name)?;
        let users = selected(&state, &context, ids).await?;
        let groups = if action == BulkAction::AddToGroup {
            let mut groups: Vec<(String, String)> = context
                .jumpcloud
                .list_all_user_groups(&mut |_, _| {})
                .await?
                .into_iter()
                .map(|group| (group.id, group.name))
                .collect();
            groups.sort_by(|a, b| a.1.cmp(&b.1));
            groups
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
        state: &crate::state::AppState,
        context: &OrgContext,
        action: BulkAction,
        user: &SystemUser,
        group: Option<(&str, &str)>,
    ) -> UserOutcome {
        let client = &context.jumpcloud;
        let result = match (action, group) {
            (BulkAction::Suspend, _) => {
                let result = client.suspend_user(&user.id).await.map(drop);
                record(
                    state,
                    context,
                    user,
                    "user.suspended",
                    "suspended (bulk)",
                    result,
                )
                .await
            }
            (BulkAction::Activate, _) if status_of(user) == UserStatus::Staged => {
                let result = client
                    .activate_user(&user.id, &ActivationEmail::Suppress)
                    .await;
                record(
                    state,
                    context,
                    user,
                    "user.activated",
                    "activated, no email (bulk)",
                    result,
                )
                .await
            }
            (BulkAction::Activate, _) => {
                let result = client.unsuspend_user(&user.id).await.map(drop);
                record(
                    state,
                    context,
                    user,
                    "user.reactivated",
                    "reactivated (bulk)",
                    result,
                )
                .await
            }
            (BulkAction::Unlock, _) => {
                let result = client.unlock_user(&user.id).await;
                record(
                    state,
                    context,
                    user,
                    "user.unlocked",
                    "unlocked (bulk)",
                    result,
                )
                .await
            }
            (BulkAction::ExpirePassword, _) => {
                let result = client.expire_password(&user.id).await;
                record(
                    state,
                    context,
                    user,
                    "user.password_expired",
                    "password expired (bulk)",
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
        };
        UserOutcome {
            user: user.username.clone(),
            error: result.err().map(|error| error.to_string()),
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
        let group = group
            .as_ref()
            .map(|(id, name)| (id.as_str(), name.as_str()));
        let users = selected(&state, &context, ids).await?;
        let mut outcomes = Vec::with_capacity(users.len());
        for chunk in users.chunks(CONCURRENCY) {
            let runs = chunk.iter().map(|user| async {
                if change(action, user, group.map(|(_, name)| name)).is_none() {
                    return UserOutcome {
                        user: user.username.clone(),
                        error: Some("Nothing to change".into()),
                    };
                }
                apply(&state, &context, action, user, group).await
            });
            outcomes.extend(futures::future::join_all(runs).await);
        }
        let token = state.users.bulk_results.leave(context.account.id, outcomes);
        leptos_axum::redirect(&format!(
            "{}/bulk?results={token}",
            crate::users::users_path(&context.org.slug)
        ));
        Ok(())
    }

    pub async fn take_results(
        org: &str,
        token: &str,
    ) -> Result<Option<Vec<UserOutcome>>, AppError> {
        let state = app_state()?;
        let context = authorize(&state, org, Capability::ManageDirectory).await?;
        Ok(state.users.bulk_results.take(context.account.id, token))
    }
}

#[component]
pub fn BulkPage() -> impl IntoView {
    let org = org_param();
    let query = use_query_map();
    let run = ServerAction::<RunBulk>::new();
    let request = Memo::new(move |_| {
        let query = query.read();
        (
            query.get("action").unwrap_or_default(),
            query.get_all("id").unwrap_or_default(),
            query.get("results"),
        )
    });
    let page = Resource::new(
        move || (org.get(), request.get()),
        |(org, (action, ids, results))| async move {
            match results {
                Some(token) => take_bulk_results(org, token).await.map(BulkView::Results),
                None => preview_bulk(org, action, ids).await.map(BulkView::Preview),
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
                let (action, _, _) = request.get_untracked();
                match page.await {
                    Ok(BulkView::Preview(preview)) => {
                        view! { <PreviewView org=org.get_untracked() action preview run /> }.into_any()
                    }
                    Ok(BulkView::Results(results)) => view! { <ResultsView results /> }.into_any(),
                    Err(error) => view! { <ErrorPanel error /> }.into_any(),
                }
            })}
        </Suspense>
    }
}

#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
enum BulkView {
    Preview(BulkPreview),
    Results(Option<Vec<UserOutcome>>),
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

#[component]
pub(crate) fn ResultsView(results: Option<Vec<UserOutcome>>) -> impl IntoView {
    let Some(results) = results else {
        return view! {
            <p class="hint">"These results were already shown; the audit log keeps every change."</p>
        }
        .into_any();
    };
    let failed = results
        .iter()
        .filter(|result| result.error.is_some())
        .count();
    view! {
        <section class="panel">
            <h2>"Results"</h2>
            <p data-testid="bulk-result-summary">
                {format!("{} done, {failed} not done.", results.len() - failed)}
            </p>
            <table class="data" aria-label="Results">
                <thead>
                    <tr>
                        <th scope="col">"User"</th>
                        <th scope="col">"Result"</th>
                    </tr>
                </thead>
                <tbody>
                    {results
                        .into_iter()
                        .map(|result| {
                            view! {
                                <tr>
                                    <td>{result.user}</td>
                                    <td>{result.error.unwrap_or_else(|| "Done".into())}</td>
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
