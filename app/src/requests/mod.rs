//! Access requests: the catalog of what may be requested, requests and their decisions,
//! and (server side) the queue and worker that carry approved changes to JumpCloud once.

#[cfg(feature = "ssr")]
pub mod jobs;
mod pages;
#[cfg(feature = "ssr")]
pub mod policy;
#[cfg(feature = "ssr")]
pub mod store;
#[cfg(feature = "ssr")]
pub mod worker;

use leptos::prelude::*;
use serde::{Deserialize, Serialize};

use crate::error::AppError;
pub use pages::RequestsRoute;

#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub enum Verdict {
    Approve,
    Deny,
}

impl Verdict {
    pub fn as_str(self) -> &'static str {
        match self {
            Verdict::Approve => "approve",
            Verdict::Deny => "deny",
        }
    }

    pub fn parse(value: &str) -> Result<Verdict, AppError> {
        match value {
            "approve" => Ok(Verdict::Approve),
            "deny" => Ok(Verdict::Deny),
            other => Err(AppError::bad_request(format!(
                "{other:?} is not approve or deny."
            ))),
        }
    }
}

#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct CatalogItemView {
    pub id: i64,
    pub name: String,
    pub description: String,
    /// Minutes; 0 is permanent.
    pub durations: Vec<i64>,
    pub max_duration_minutes: i64,
}

#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct RequestView {
    pub id: i64,
    pub item: String,
    pub requester: String,
    pub target_email: String,
    pub justification: String,
    pub duration_minutes: Option<i64>,
    pub status: String,
    pub created_at: i64,
    pub ends_at: Option<i64>,
    pub last_error: Option<String>,
}

#[allow(clippy::too_many_arguments)]
#[server(endpoint = "requests/catalog/create")]
pub async fn create_catalog_item(
    org: String,
    name: String,
    description: Option<String>,
    jumpcloud_group_id: String,
    durations: String,
    max_duration_minutes: i64,
    policy: Option<String>,
) -> Result<i64, AppError> {
    crate::error::with_http_status(
        ssr::create_item(
            &org,
            &name,
            description.as_deref().unwrap_or_default(),
            &jumpcloud_group_id,
            &durations,
            max_duration_minutes,
            policy.as_deref(),
        )
        .await,
    )
}

#[server(endpoint = "requests/catalog")]
pub async fn list_catalog(org: String) -> Result<Vec<CatalogItemView>, AppError> {
    crate::error::with_http_status(ssr::catalog(&org).await)
}

#[server(endpoint = "requests/submit")]
pub async fn submit_request(
    org: String,
    item_id: i64,
    duration_minutes: i64,
    justification: String,
) -> Result<i64, AppError> {
    crate::error::with_http_status(
        ssr::submit(&org, item_id, duration_minutes, &justification).await,
    )
}

#[server(endpoint = "requests/decide")]
pub async fn decide_request(
    org: String,
    request_id: i64,
    verdict: String,
    comment: Option<String>,
) -> Result<(), AppError> {
    crate::error::with_http_status(
        ssr::decide(
            &org,
            request_id,
            &verdict,
            comment.as_deref().unwrap_or_default(),
        )
        .await,
    )
}

#[server(endpoint = "requests/cancel")]
pub async fn cancel_request(org: String, request_id: i64) -> Result<(), AppError> {
    crate::error::with_http_status(ssr::cancel(&org, request_id).await)
}

#[server(endpoint = "requests/retry")]
pub async fn retry_request(org: String, request_id: i64) -> Result<(), AppError> {
    crate::error::with_http_status(ssr::retry(&org, request_id).await)
}

/// Requests of the organization: the caller's own (`mine`), or, for approvers and
/// admins, everyone's.
#[server(endpoint = "requests/list")]
pub async fn list_requests(
    org: String,
    mine: Option<String>,
    status: Option<String>,
) -> Result<Vec<RequestView>, AppError> {
    crate::error::with_http_status(ssr::list(&org, mine.is_some(), status.as_deref()).await)
}

#[cfg(feature = "ssr")]
mod ssr {
    use super::policy::{Decider, Policy};
    use super::store::{self, NewItem, NewRequest};
    use super::{CatalogItemView, RequestView, Verdict, worker};
    use crate::audit;
    use crate::error::AppError;
    use crate::state::app_state;
    use crate::tenants::Capability;
    use crate::tenants::access::{OrgContext, authorize};

    pub async fn create_item(
        org: &str,
        name: &str,
        description: &str,
        group_id: &str,
        durations: &str,
        max_duration_minutes: i64,
        policy: Option<&str>,
    ) -> Result<i64, AppError> {
        let state = app_state()?;
        let context = authorize(&state, org, Capability::ManageOrg).await?;
        let policy = match policy.map(str::trim).filter(|p| !p.is_empty()) {
            Some(json) => Policy::parse(json).map_err(AppError::BadRequest)?,
            None => Policy::default(),
        };
        // The group must exist in this organization's JumpCloud.
        let group = context.jumpcloud.get_user_group(group_id).await?;
        let new = NewItem {
            name,
            description,
            jumpcloud_group_id: &group.id,
            durations: store::parse_durations(durations),
            max_duration_minutes,
            policy,
        };
        let id = store::create_item(&state.db, context.org.id, new, state.clock.now()).await?;
        audit::org_action(
            &state.db,
            &context,
            "catalog.created",
            &format!("item {id}"),
            &format!("{name:?} for group {:?}", group.name),
            "ok",
        )
        .await?;
        Ok(id)
    }

    pub async fn catalog(org: &str) -> Result<Vec<CatalogItemView>, AppError> {
        let state = app_state()?;
        let context = authorize(&state, org, Capability::RequestAccess).await?;
        Ok(store::items(&state.db, context.org.id)
            .await?
            .iter()
            .map(store::CatalogItem::view)
            .collect())
    }

    /// The requester's own JumpCloud user, found by their sign-in email.
    async fn own_directory_user(
        context: &OrgContext,
    ) -> Result<jumpcloud::users::SystemUser, AppError> {
        let email = &context.account.email;
        context
            .jumpcloud
            .find_users_by_email(email)
            .await?
            .into_iter()
            .find(|user| user.email.eq_ignore_ascii_case(email))
            .ok_or_else(|| {
                AppError::bad_request(format!(
                    "{email} is not a user in this organization's JumpCloud directory, so there is nobody to give access to."
                ))
            })
    }

    pub async fn submit(
        org: &str,
        item_id: i64,
        duration_minutes: i64,
        justification: &str,
    ) -> Result<i64, AppError> {
        let state = app_state()?;
        let context = authorize(&state, org, Capability::RequestAccess).await?;
        let item = store::item(&state.db, context.org.id, item_id).await?;
        let justification = justification.trim();
        if justification.is_empty() {
            return Err(AppError::bad_request("Say why you need this access."));
        }
        if !item.durations().contains(&duration_minutes) {
            return Err(AppError::bad_request(
                "Choose one of the durations offered for this item.",
            ));
        }
        let duration =
            (duration_minutes > 0).then_some(duration_minutes.min(item.max_duration_minutes));
        let target = own_directory_user(&context).await?;
        let policy = item.policy()?;
        let rule = policy
            .auto_rule(duration, target.department.as_deref())
            .map(|rule| rule.name.clone());
        let id = store::insert(
            &state.db,
            NewRequest {
                org_id: context.org.id,
                item: &item,
                requester_account_id: context.account.id,
                target_user_id: &target.id,
                target_email: &target.email,
                justification,
                duration_minutes: duration,
                auto_rule: rule.as_deref(),
            },
            state.clock.now(),
        )
        .await?;
        if rule.is_some() {
            state.work_queued.notify_one();
        }
        let summary = match &rule {
            Some(rule) => format!(
                "requested {:?}; approved by policy rule {rule:?}",
                item.name
            ),
            None => format!("requested {:?}", item.name),
        };
        audit::org_action(
            &state.db,
            &context,
            "request.submitted",
            &format!("request {id}"),
            &summary,
            "ok",
        )
        .await?;
        Ok(id)
    }

    pub async fn decide(
        org: &str,
        request_id: i64,
        verdict: &str,
        comment: &str,
    ) -> Result<(), AppError> {
        let state = app_state()?;
        // Deciding is part of taking part in requests (a requester may be the target's
        // manager); the approval policy says who decides which request. Auditors only read.
        let context = authorize(&state, org, Capability::RequestAccess).await?;
        let verdict = Verdict::parse(verdict)?;
        let request = store::request(&state.db, context.org.id, request_id).await?;
        let item = store::item(&state.db, context.org.id, request.item_id).await?;
        let policy = item.policy()?;
        let requester = crate::auth::accounts::find_active(&state.db, request.requester_account_id)
            .await?
            .map(|account| account.email)
            .unwrap_or_default();
        let step = usize::try_from(request.step).unwrap_or(usize::MAX);
        let mut decider = Decider {
            email: &context.account.email,
            role: context.role,
            target_manager_email: None,
            requester_email: &requester,
        };
        // Only ask JumpCloud who the target's manager is when that could matter.
        let manager_email = if policy.may_decide(step, &decider) || !policy.names_manager(step) {
            None
        } else {
            let target = context.jumpcloud.get_user(&request.target_user_id).await?;
            match target.manager.as_deref().filter(|id| !id.is_empty()) {
                Some(manager) => Some(context.jumpcloud.get_user(manager).await?.email),
                None => None,
            }
        };
        decider.target_manager_email = manager_email.as_deref();
        if !policy.may_decide(step, &decider) {
            return Err(if decider.email.eq_ignore_ascii_case(&requester) {
                AppError::bad_request("You cannot decide your own request.")
            } else {
                AppError::Forbidden
            });
        }
        let outcome = store::decide(
            &state.db,
            &request,
            &policy,
            context.account.id,
            verdict,
            comment.trim(),
            state.clock.now(),
        )
        .await?;
        if outcome == store::Outcome::Approved {
            state.work_queued.notify_one();
        }
        audit::org_action(
            &state.db,
            &context,
            &format!("request.{}", verdict.as_str()),
            &format!("request {request_id}"),
            &format!("{outcome:?}"),
            "ok",
        )
        .await
    }

    pub async fn cancel(org: &str, request_id: i64) -> Result<(), AppError> {
        let state = app_state()?;
        let context = authorize(&state, org, Capability::RequestAccess).await?;
        let request = store::request(&state.db, context.org.id, request_id).await?;
        if request.requester_account_id != context.account.id {
            return Err(AppError::Forbidden);
        }
        store::cancel(&state.db, &request, state.clock.now()).await?;
        audit::org_action(
            &state.db,
            &context,
            "request.cancelled",
            &format!("request {request_id}"),
            "withdrawn by the requester",
            "ok",
        )
        .await
    }

    pub async fn retry(org: &str, request_id: i64) -> Result<(), AppError> {
        let state = app_state()?;
        let context = authorize(&state, org, Capability::ManageOrg).await?;
        let request = store::request(&state.db, context.org.id, request_id).await?;
        worker::retry(&state.db, &request, state.clock.now()).await?;
        state.work_queued.notify_one();
        audit::org_action(
            &state.db,
            &context,
            "request.retried",
            &format!("request {request_id}"),
            "failed job queued again",
            "ok",
        )
        .await
    }

    pub async fn list(
        org: &str,
        mine: bool,
        status: Option<&str>,
    ) -> Result<Vec<RequestView>, AppError> {
        let state = app_state()?;
        let context = authorize(&state, org, Capability::RequestAccess).await?;
        let everyone = !mine && context.role.allows(Capability::DecideRequests);
        let requester = (!everyone).then_some(context.account.id);
        store::list(
            &state.db,
            context.org.id,
            requester,
            status.filter(|s| !s.is_empty()),
        )
        .await
    }
}
