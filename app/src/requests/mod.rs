//! Access requests: the catalog of what may be requested, requests and their decisions,
//! and (server side) the queue and worker that carry approved changes to JumpCloud once.

#[cfg(feature = "ssr")]
mod actions;
mod history;
pub mod items;
#[cfg(feature = "ssr")]
pub mod jobs;
pub(crate) mod jumpcloud_flows;
mod manage;
#[cfg(feature = "ssr")]
pub(crate) mod notify;
mod pages;
#[cfg(feature = "ssr")]
pub mod policy;
pub mod rules;
#[cfg(feature = "ssr")]
pub mod store;
#[cfg(feature = "ssr")]
pub mod worker;
pub mod workflows;

use leptos::prelude::*;
use serde::{Deserialize, Serialize};

use crate::error::AppError;
pub use history::RequestHistoryRoute;
pub use items::ItemKind;
pub use manage::ManageRequestsRoute;
pub use pages::{INBOX_PAGE_SIZE, RequestsRoute};

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

    pub fn past_tense(self) -> &'static str {
        match self {
            Verdict::Approve => "approved",
            Verdict::Deny => "denied",
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
    pub kind: ItemKind,
    pub name: String,
    pub description: String,
    /// Minutes; 0 is permanent.
    pub durations: Vec<i64>,
    pub max_duration_minutes: i64,
    pub eligibility: items::Eligibility,
    pub owners: Vec<String>,
    pub pending_expiry_minutes: i64,
}

#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct RequestView {
    pub id: i64,
    pub item: String,
    pub kind: ItemKind,
    pub requester: String,
    /// Whom or what the request is for: an email, a new user's email, a hostname.
    pub target: String,
    pub justification: String,
    pub duration_minutes: Option<i64>,
    pub status: String,
    pub created_at: i64,
    pub starts_at: Option<i64>,
    pub ends_at: Option<i64>,
    pub last_error: Option<String>,
    /// What was done in JumpCloud.
    pub outcome: Option<String>,
    /// The grant an extension lengthens.
    pub extends: Option<i64>,
    /// Whether the requester was reminded that the grant ends soon.
    pub reminded: bool,
    /// What an action does (groups, department change, schedule), line by line.
    pub plan: Vec<String>,
    /// A workflow's steps as they last ran.
    pub steps: Vec<items::StepResult>,
}

pub fn request_path(org: &str, id: i64) -> String {
    format!("/o/{org}/requests/{id}")
}

#[allow(clippy::too_many_arguments)]
#[server(endpoint = "requests/catalog/create")]
pub async fn create_catalog_item(
    org: String,
    name: String,
    kind: Option<String>,
    description: Option<String>,
    jumpcloud_group_id: Option<String>,
    durations: Option<String>,
    max_duration_minutes: Option<i64>,
    policy: Option<String>,
    departments: Option<String>,
    #[server(default)] eligible_groups: Vec<String>,
    owners: Option<String>,
    expire_after_days: Option<i64>,
) -> Result<i64, AppError> {
    crate::error::with_http_status(
        ssr::create_item(
            &org,
            ssr::ItemForm {
                name,
                kind: kind.unwrap_or_else(|| "group".into()),
                description: description.unwrap_or_default(),
                group_id: jumpcloud_group_id.unwrap_or_default(),
                durations: durations.unwrap_or_default(),
                max_duration_minutes: max_duration_minutes.unwrap_or(20_160),
                policy,
                departments: departments.unwrap_or_default(),
                eligible_groups,
                owners: owners.unwrap_or_default(),
                expire_after_days: expire_after_days.unwrap_or(7),
            },
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

/// Asks for an action item: a joiner's profile, a user (email or username) or a device.
#[allow(clippy::too_many_arguments)]
#[server(endpoint = "requests/submit-action")]
pub async fn submit_action(
    org: String,
    item_id: i64,
    justification: String,
    target: Option<String>,
    device: Option<String>,
    lock_devices: Option<String>,
    email: Option<String>,
    firstname: Option<String>,
    lastname: Option<String>,
    department: Option<String>,
    job_title: Option<String>,
    manager: Option<String>,
    start_date: Option<String>,
    delete_after_days: Option<String>,
) -> Result<i64, AppError> {
    let joiner = crate::users::create::ssr::NewUserInput {
        email: email.unwrap_or_default(),
        firstname: firstname.unwrap_or_default(),
        lastname: lastname.unwrap_or_default(),
        username: String::new(),
        department: department.unwrap_or_default(),
        job_title: job_title.unwrap_or_default(),
        manager: manager.unwrap_or_default(),
        active: false,
    };
    let form = ssr::ActionForm {
        target: target.unwrap_or_default(),
        device: device.unwrap_or_default(),
        lock_devices: lock_devices.is_some(),
        joiner,
        start_date: start_date.unwrap_or_default(),
        delete_after_days: delete_after_days.unwrap_or_default(),
    };
    crate::error::with_http_status(ssr::submit_action(&org, item_id, &justification, form).await)
}

/// The requester asks for more time on one of their active grants.
#[server(endpoint = "requests/extend")]
pub async fn extend_request(
    org: String,
    request_id: i64,
    duration_minutes: i64,
    justification: String,
) -> Result<i64, AppError> {
    crate::error::with_http_status(
        ssr::extend(&org, request_id, duration_minutes, &justification).await,
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

/// Decides every ticked request alike; each is checked on its own, and the page says
/// how many were decided and why any were not.
#[server(endpoint = "requests/decide-many")]
pub async fn decide_requests(
    org: String,
    #[server(default)] request_ids: Vec<i64>,
    verdict: String,
    comment: Option<String>,
) -> Result<String, AppError> {
    crate::error::with_http_status(
        ssr::decide_many(
            &org,
            &request_ids,
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

#[server(endpoint = "requests/cancel-failed")]
pub async fn cancel_failed_request(org: String, request_id: i64) -> Result<(), AppError> {
    crate::error::with_http_status(ssr::cancel_failed(&org, request_id).await)
}

/// Admins: ends the ticked grants now (`action=revoke`) or moves their end by `minutes`
/// (`action=renew`).
#[server(endpoint = "requests/grants")]
pub async fn change_grants(
    org: String,
    #[server(default)] request_ids: Vec<i64>,
    action: Option<String>,
    minutes: Option<i64>,
) -> Result<String, AppError> {
    crate::error::with_http_status(
        ssr::change_grants(
            &org,
            &request_ids,
            action.as_deref().unwrap_or_default(),
            minutes,
        )
        .await,
    )
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
pub(crate) mod ssr {
    use super::items::{Details, Eligibility, ItemKind, Joiner, Target};
    use super::policy::{Decider, Policy};
    use super::store::{self, Decision, NewItem, NewRequest, RequestRow};
    use super::workflows;
    use super::{CatalogItemView, RequestView, Verdict, worker};
    use crate::audit;
    use crate::directory::ssr::redirect_with_notice;
    use crate::error::AppError;
    use crate::state::{AppState, app_state};
    use crate::tenants::Capability;
    use crate::tenants::access::{OrgContext, authorize};
    use crate::users::create::ssr::{NewUserInput, validated};
    use crate::users::directory;

    /// The catalog form, before validation.
    pub struct ItemForm {
        pub name: String,
        pub kind: String,
        pub description: String,
        pub group_id: String,
        pub durations: String,
        pub max_duration_minutes: i64,
        pub policy: Option<String>,
        /// Comma-separated JumpCloud departments that may request; with no groups
        /// either, everyone may.
        pub departments: String,
        /// JumpCloud group ids whose members may request.
        pub eligible_groups: Vec<String>,
        /// Comma-separated emails of the group's owners (approvers named `group_owner`).
        pub owners: String,
        pub expire_after_days: i64,
    }

    pub async fn create_item(org: &str, form: ItemForm) -> Result<i64, AppError> {
        let state = app_state()?;
        let context = authorize(&state, org, Capability::ManageOrg).await?;
        let kind = ItemKind::parse(&form.kind)?;
        let policy = match form
            .policy
            .as_deref()
            .map(str::trim)
            .filter(|p| !p.is_empty())
        {
            Some(json) => Policy::parse(json).map_err(AppError::BadRequest)?,
            None => Policy::default(),
        };
        let (group, durations, what) = if kind.is_action() {
            (None, vec![0], kind.label().to_string())
        } else {
            if form.group_id.trim().is_empty() {
                return Err(AppError::bad_request(
                    "Choose the JumpCloud group to offer.",
                ));
            }
            // The group must exist in this organization's JumpCloud.
            let group = context
                .jumpcloud
                .get_user_group(form.group_id.trim())
                .await?;
            let what = format!("group {:?}", group.name);
            (
                Some(group.id),
                store::checked_durations(&form.durations)?,
                what,
            )
        };
        let owners = store::split_list(&form.owners);
        for owner in &owners {
            crate::email::Email::parse(owner).map_err(|_| {
                AppError::bad_request(format!("{owner:?} is not an email address."))
            })?;
        }
        let eligible_groups: Vec<String> = form
            .eligible_groups
            .into_iter()
            .filter(|id| !id.trim().is_empty())
            .collect();
        if !eligible_groups.is_empty() {
            let known = context
                .jumpcloud
                .list_all_user_groups(&mut |_, _| {})
                .await?;
            if let Some(unknown) = eligible_groups
                .iter()
                .find(|id| !known.iter().any(|group| &group.id == *id))
            {
                return Err(AppError::bad_request(format!(
                    "{unknown:?} is not a group of this organization."
                )));
            }
        }
        if !(1..=365).contains(&form.expire_after_days) {
            return Err(AppError::bad_request(
                "Unanswered requests expire after 1 to 365 days.",
            ));
        }
        if form.max_duration_minutes <= 0 {
            return Err(AppError::bad_request(
                "The longest grant must be at least one minute.",
            ));
        }
        let new = NewItem {
            kind,
            name: &form.name,
            description: &form.description,
            jumpcloud_group_id: group.as_deref(),
            durations,
            max_duration_minutes: form.max_duration_minutes,
            policy,
            pending_expiry_minutes: form.expire_after_days * 1440,
            eligibility: Eligibility {
                departments: store::split_list(&form.departments),
                groups: eligible_groups,
            },
            owners,
        };
        let id = store::create_item(&state.db, context.org.id, new, state.clock.now()).await?;
        audit::org_action(
            &state.db,
            &context,
            "catalog.created",
            &format!("item {id}"),
            &format!("{:?}: {what}", form.name.trim()),
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
    pub(crate) async fn own_directory_user(
        context: &OrgContext,
    ) -> Result<Option<jumpcloud::users::SystemUser>, AppError> {
        let email = &context.account.email;
        Ok(context
            .jumpcloud
            .find_users_by_email(email)
            .await?
            .into_iter()
            .find(|user| user.email.eq_ignore_ascii_case(email)))
    }

    /// Refuses an item the caller's directory user (`own`, already looked up) may not
    /// request by department or group; JumpCloud is asked for groups only when the item
    /// names some.
    async fn ensure_may_request(
        context: &OrgContext,
        item: &store::CatalogItem,
        own: Option<&jumpcloud::users::SystemUser>,
    ) -> Result<(), AppError> {
        let rules = item.eligibility();
        if rules.is_everyone() {
            return Ok(());
        }
        let Some(user) = own else {
            return Err(AppError::Forbidden);
        };
        let groups: Vec<String> = if rules.groups.is_empty() {
            Vec::new()
        } else {
            context
                .jumpcloud
                .list_user_member_of(&user.id)
                .await?
                .into_iter()
                .map(|group| group.id)
                .collect()
        };
        if rules.admits(user.department.as_deref(), &groups) {
            Ok(())
        } else {
            Err(AppError::Forbidden)
        }
    }

    fn justified(justification: &str) -> Result<&str, AppError> {
        let justification = justification.trim();
        if justification.is_empty() {
            return Err(AppError::bad_request("Say why you need this access."));
        }
        if justification.chars().count() > 2000 {
            return Err(AppError::bad_request(
                "Keep the justification under 2,000 characters.",
            ));
        }
        Ok(justification)
    }

    /// Stores the request unless an open one for the same thing exists, audits it, and
    /// wakes the worker when a rule approved it.
    async fn store_request(
        state: &AppState,
        context: &OrgContext,
        new: NewRequest<'_>,
    ) -> Result<i64, AppError> {
        let subject = store::subject_of(new.details, new.target_user_id);
        if new.extends_request_id.is_none()
            && let Some(open) =
                store::open_duplicate(&state.db, context.org.id, new.item.id, &subject).await?
        {
            return Err(AppError::Conflict(format!(
                "Request #{} for this is already {}; nothing new was sent.",
                open.id, open.status
            )));
        }
        let rule = new.auto_rule.map(str::to_string);
        let item = new.item.clone();
        let id = store::insert(&state.db, new, state.clock.now()).await?;
        if rule.is_some() {
            state.work_queued.notify_one();
        } else {
            let stored = store::request(&state.db, context.org.id, id).await?;
            let manager = if item.policy()?.names_manager(0) {
                subject_manager_email(context, &stored).await?
            } else {
                None
            };
            super::notify::asked(
                &state.db,
                context,
                &item,
                id,
                manager.as_deref(),
                state.clock.now(),
            )
            .await?;
        }
        let item = item.name;
        let summary = match &rule {
            Some(rule) => format!("requested {item:?}; approved by policy rule {rule:?}"),
            None => format!("requested {item:?}"),
        };
        audit::org_action(
            &state.db,
            context,
            "request.submitted",
            &format!("request {id}"),
            &summary,
            "ok",
        )
        .await?;
        Ok(id)
    }

    /// An action on an existing directory user, asked for outside the catalog form (a
    /// department change on the user's page).
    pub(crate) async fn store_action(
        state: &AppState,
        context: &OrgContext,
        item: &store::CatalogItem,
        user: &jumpcloud::users::SystemUser,
        justification: &str,
        details: &Details,
    ) -> Result<i64, AppError> {
        store_request(
            state,
            context,
            NewRequest {
                org_id: context.org.id,
                item,
                requester_account_id: context.account.id,
                target_user_id: &user.id,
                target_email: &user.email,
                justification: justified(justification)?,
                duration_minutes: None,
                details,
                extends_request_id: None,
                auto_rule: None,
            },
        )
        .await
    }

    /// Group access asked for (or more of it): the requester's own, approved at once
    /// when an auto-approve rule matches its duration and department.
    struct GroupAsk<'a> {
        item: &'a store::CatalogItem,
        target_user_id: &'a str,
        target_email: &'a str,
        justification: &'a str,
        duration: Option<i64>,
        department: Option<&'a str>,
        extends: Option<i64>,
    }

    async fn store_group_request(
        state: &AppState,
        context: &OrgContext,
        ask: GroupAsk<'_>,
    ) -> Result<i64, AppError> {
        let policy = ask.item.policy()?;
        let rule = policy
            .auto_rule(ask.duration, ask.department)
            .map(|rule| rule.name.clone());
        let details = Details::default();
        store_request(
            state,
            context,
            NewRequest {
                org_id: context.org.id,
                item: ask.item,
                requester_account_id: context.account.id,
                target_user_id: ask.target_user_id,
                target_email: ask.target_email,
                justification: ask.justification,
                duration_minutes: ask.duration,
                details: &details,
                extends_request_id: ask.extends,
                auto_rule: rule.as_deref(),
            },
        )
        .await
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
        if item.kind()? != ItemKind::Group {
            return Err(AppError::bad_request(
                "This item is an action: say whom or what it is for.",
            ));
        }
        let justification = justified(justification)?;
        if !item.durations().contains(&duration_minutes) {
            return Err(AppError::bad_request(
                "Choose one of the durations offered for this item.",
            ));
        }
        let duration =
            (duration_minutes > 0).then_some(duration_minutes.min(item.max_duration_minutes));
        let email = &context.account.email;
        let target = own_directory_user(&context).await?.ok_or_else(|| {
            AppError::bad_request(format!(
                "{email} is not a user in this organization's JumpCloud directory, so there is nobody to give access to."
            ))
        })?;
        ensure_may_request(&context, &item, Some(&target)).await?;
        if let Some(group) = &item.jumpcloud_group_id {
            let memberships = context.jumpcloud.list_user_member_of(&target.id).await?;
            if memberships.iter().any(|found| &found.id == group) {
                return Err(AppError::Conflict(format!(
                    "You are already a member of the group {:?} gives access to; nothing was requested.",
                    item.name
                )));
            }
        }
        let ask = GroupAsk {
            item: &item,
            target_user_id: &target.id,
            target_email: &target.email,
            justification,
            duration,
            department: target.department.as_deref(),
            extends: None,
        };
        store_group_request(&state, &context, ask).await
    }

    /// The action form, before validation.
    pub struct ActionForm {
        pub target: String,
        pub device: String,
        pub lock_devices: bool,
        /// A joiner's first day, `YYYY-MM-DD`; a mover's new department comes in
        /// `joiner.department`.
        pub joiner: NewUserInput,
        pub start_date: String,
        pub delete_after_days: String,
    }

    pub async fn submit_action(
        org: &str,
        item_id: i64,
        justification: &str,
        form: ActionForm,
    ) -> Result<i64, AppError> {
        let state = app_state()?;
        let context = authorize(&state, org, Capability::RequestAccess).await?;
        let item = store::item(&state.db, context.org.id, item_id).await?;
        let kind = item.kind()?;
        if !kind.is_action() {
            return Err(AppError::bad_request(
                "Group access is asked for with a duration, not as an action.",
            ));
        }
        let justification = justified(justification)?;
        // The caller's own directory user, looked up once: eligibility and, for a request
        // without a target user, whose manager approves.
        let needs_own = !item.eligibility().is_everyone()
            || matches!(kind.target(), Target::NewUser | Target::Device);
        let own = if needs_own {
            own_directory_user(&context).await?
        } else {
            None
        };
        ensure_may_request(&context, &item, own.as_ref()).await?;
        let mut details = Details::default();
        let (target_id, target_email) = match kind.target() {
            Target::NewUser => {
                let start_date = workflows::ssr::start_date(&form.start_date, state.clock.now())?;
                let new = validated(&context, form.joiner).await?;
                let taken = context
                    .jumpcloud
                    .find_users_by_email(&new.email)
                    .await?
                    .into_iter()
                    .any(|user| user.email.eq_ignore_ascii_case(&new.email));
                if taken {
                    return Err(AppError::Conflict(format!(
                        "JumpCloud already has a user with the email {}; nothing was requested.",
                        new.email
                    )));
                }
                let email = new.email.clone();
                let groups =
                    workflows::ssr::joiner_groups(&context, new.fields.department.as_deref())
                        .await?;
                details.joiner = Some(Joiner {
                    email: new.email,
                    username: new.username,
                    firstname: new.fields.firstname.unwrap_or_default(),
                    lastname: new.fields.lastname.unwrap_or_default(),
                    department: new.fields.department,
                    job_title: new.fields.job_title,
                    manager: new.fields.manager,
                    groups,
                    start_date,
                });
                details.manager_of = own.as_ref().map(|user| user.id.clone());
                (String::new(), email)
            }
            Target::ExistingUser => {
                let wanted = form.target.trim();
                if wanted.is_empty() {
                    return Err(AppError::bad_request(
                        "Name the user (email or username) this is for.",
                    ));
                }
                let user = directory::find_by_username_or_email(&context, wanted)
                    .await?
                    .ok_or_else(|| {
                        AppError::bad_request(format!("No user is called {wanted:?}."))
                    })?;
                if kind == ItemKind::Leaver {
                    details.lock_devices = form.lock_devices;
                    details.delete_after_days =
                        workflows::ssr::deletion_delay(&form.delete_after_days)?;
                }
                if kind == ItemKind::Mover {
                    let to = form.joiner.department.trim();
                    if to.is_empty() || to.chars().count() > 100 {
                        return Err(AppError::bad_request(
                            "Name the department the user moves to (up to 100 characters).",
                        ));
                    }
                    let from = user.department.as_deref().filter(|from| !from.is_empty());
                    details.mover =
                        Some(workflows::ssr::mover_details(&context, &user.id, from, to).await?);
                }
                (user.id, user.email)
            }
            Target::Device => {
                let wanted = form.device.trim();
                if wanted.is_empty() {
                    return Err(AppError::bad_request("Choose the device."));
                }
                let system =
                    context
                        .jumpcloud
                        .get_system(wanted)
                        .await
                        .map_err(|error| match error {
                            jumpcloud::Error::NotFound(_) | jumpcloud::Error::BadRequest(_) => {
                                AppError::bad_request(format!("No device has the id {wanted:?}."))
                            }
                            other => other.into(),
                        })?;
                if !matches!(system.os_family.as_deref(), Some("linux" | "windows")) {
                    return Err(AppError::bad_request(
                        "Built-in commands run on Linux and Windows devices only; use Apple MDM (with a PIN) for macOS.",
                    ));
                }
                details.hostname = Some(system.hostname.clone().unwrap_or(system.id.clone()));
                details.system_id = Some(system.id);
                details.manager_of = own.as_ref().map(|user| user.id.clone());
                (String::new(), String::new())
            }
            Target::Requester => unreachable!("group items are not actions"),
        };
        store_request(
            &state,
            &context,
            NewRequest {
                org_id: context.org.id,
                item: &item,
                requester_account_id: context.account.id,
                target_user_id: &target_id,
                target_email: &target_email,
                justification,
                duration_minutes: None,
                details: &details,
                extends_request_id: None,
                auto_rule: None,
            },
        )
        .await
    }

    pub async fn extend(
        org: &str,
        request_id: i64,
        duration_minutes: i64,
        justification: &str,
    ) -> Result<i64, AppError> {
        let state = app_state()?;
        let context = authorize(&state, org, Capability::RequestAccess).await?;
        let grant = store::request(&state.db, context.org.id, request_id).await?;
        if grant.requester_account_id != context.account.id {
            return Err(AppError::NotFound("That request".into()));
        }
        if grant.status != "active" {
            return Err(AppError::Conflict(format!(
                "Only active access can be extended; this request is {}.",
                grant.status
            )));
        }
        let item = store::item(&state.db, context.org.id, grant.item_id).await?;
        let justification = justified(justification)?;
        if duration_minutes <= 0 || !item.durations().contains(&duration_minutes) {
            return Err(AppError::bad_request(
                "Choose one of the time-bound durations offered for this item.",
            ));
        }
        let filter = store::Filter {
            extends: Some(grant.id),
            status: Some("pending"),
            ..store::Filter::default()
        };
        if let Some(open) = store::list(&state.db, context.org.id, &filter)
            .await?
            .first()
        {
            return Err(AppError::Conflict(format!(
                "Extension #{} is already waiting for a decision.",
                open.id
            )));
        }
        let department = own_directory_user(&context)
            .await?
            .and_then(|user| user.department);
        let duration = duration_minutes.min(item.max_duration_minutes);
        let ask = GroupAsk {
            item: &item,
            target_user_id: &grant.target_user_id,
            target_email: &grant.target_email,
            justification,
            duration: Some(duration),
            department: department.as_deref(),
            extends: Some(grant.id),
        };
        store_group_request(&state, &context, ask).await
    }

    /// The email of the JumpCloud manager of the request's subject, if it has one.
    pub(crate) async fn subject_manager_email(
        context: &OrgContext,
        request: &RequestRow,
    ) -> Result<Option<String>, AppError> {
        let Some(subject) = request.manager_of() else {
            return Ok(None);
        };
        let user = match context.jumpcloud.get_user(&subject).await {
            Ok(user) => user,
            // A joiner's subject may be gone (or never created); nobody manages it.
            Err(jumpcloud::Error::NotFound(_)) => return Ok(None),
            Err(error) => return Err(error.into()),
        };
        match user.manager.as_deref().filter(|id| !id.is_empty()) {
            Some(manager) => Ok(Some(context.jumpcloud.get_user(manager).await?.email)),
            None => Ok(None),
        }
    }

    async fn decide_one(
        state: &AppState,
        context: &OrgContext,
        request_id: i64,
        verdict: Verdict,
        comment: &str,
    ) -> Result<store::Outcome, AppError> {
        let request = store::request(&state.db, context.org.id, request_id).await?;
        let item = store::item(&state.db, context.org.id, request.item_id).await?;
        let policy = item.policy()?;
        let requester = crate::auth::accounts::find_active(&state.db, request.requester_account_id)
            .await?
            .map(|account| account.email)
            .unwrap_or_default();
        let step = usize::try_from(request.step).unwrap_or(usize::MAX);
        let owners = item.owners();
        let mut decider = Decider {
            email: &context.account.email,
            role: context.role,
            target_manager_email: None,
            requester_email: &requester,
            group_owners: &owners,
        };
        // Only ask JumpCloud who the manager is when that could matter.
        let manager_email = if policy.may_decide(step, &decider) || !policy.names_manager(step) {
            None
        } else {
            subject_manager_email(context, &request).await?
        };
        decider.target_manager_email = manager_email.as_deref();
        if !policy.may_decide(step, &decider) {
            return Err(if decider.email.eq_ignore_ascii_case(&requester) {
                AppError::bad_request("You cannot decide your own request.")
            } else {
                AppError::Forbidden
            });
        }
        let decision = Decision {
            approver_account_id: context.account.id,
            verdict,
            comment: comment.trim(),
        };
        let outcome = store::decide(
            &state.db,
            &request,
            &item,
            &policy,
            &decision,
            state.clock.now(),
        )
        .await?;
        if outcome == store::Outcome::Approved {
            state.work_queued.notify_one();
        }
        if matches!(outcome, store::Outcome::Approved | store::Outcome::Denied) {
            let mut subject = format!(
                "Your request #{request_id} (\"{}\") was {} by {}",
                item.name,
                verdict.past_tense(),
                context.account.email
            );
            if !comment.trim().is_empty() {
                subject.push_str(&format!(": {}", comment.trim()));
            }
            super::notify::tell_requester(
                &state.db,
                request_id,
                &format!("request.{}", verdict.past_tense()),
                &subject,
                state.clock.now(),
            )
            .await?;
        }
        audit::org_action(
            &state.db,
            context,
            &format!("request.{}", verdict.as_str()),
            &format!("request {request_id}"),
            &format!("{outcome:?}; comment {:?}", comment.trim()),
            "ok",
        )
        .await?;
        Ok(outcome)
    }

    /// Deciding is part of taking part in requests (a requester may be the target's
    /// manager); the approval policy says who decides which request. Auditors only read.
    pub async fn decide(
        org: &str,
        request_id: i64,
        verdict: &str,
        comment: &str,
    ) -> Result<(), AppError> {
        let state = app_state()?;
        let context = authorize(&state, org, Capability::RequestAccess).await?;
        let verdict = Verdict::parse(verdict)?;
        decide_one(&state, &context, request_id, verdict, comment).await?;
        Ok(())
    }

    /// Most requests decided at once.
    const MAX_BULK: usize = 200;

    pub async fn decide_many(
        org: &str,
        request_ids: &[i64],
        verdict: &str,
        comment: &str,
    ) -> Result<String, AppError> {
        let state = app_state()?;
        let context = authorize(&state, org, Capability::RequestAccess).await?;
        // A row's own button says "approve:{id}"; the buttons under the table decide
        // the ticked rows.
        let (verdict, one) = match verdict.split_once(':') {
            Some((verdict, id)) => (
                verdict,
                Some(id.parse::<i64>().map_err(|_| {
                    AppError::bad_request(format!("{id:?} is not a request number."))
                })?),
            ),
            None => (verdict, None),
        };
        let verdict = Verdict::parse(verdict)?;
        if let Some(id) = one {
            let outcome = decide_one(&state, &context, id, verdict, comment).await?;
            let notice = outcome.describe(id);
            redirect_with_notice(&format!("/o/{org}/requests"), &notice);
            return Ok(notice);
        }
        if request_ids.is_empty() {
            return Err(AppError::bad_request("Tick the requests to decide."));
        }
        if request_ids.len() > MAX_BULK {
            return Err(AppError::bad_request(format!(
                "Decide at most {MAX_BULK} requests at once."
            )));
        }
        let mut decided = 0;
        let mut refused = Vec::new();
        for id in request_ids {
            match decide_one(&state, &context, *id, verdict, comment).await {
                Ok(_) => decided += 1,
                Err(error) => refused.push(format!("#{id}: {error}")),
            }
        }
        let mut notice = format!("{decided} request(s) {}.", verdict.past_tense());
        if !refused.is_empty() {
            notice.push_str(&format!(" Not decided: {}", refused.join("; ")));
        }
        redirect_with_notice(&format!("/o/{org}/requests"), &notice);
        Ok(notice)
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

    pub async fn cancel_failed(org: &str, request_id: i64) -> Result<(), AppError> {
        let state = app_state()?;
        let context = authorize(&state, org, Capability::ManageOrg).await?;
        let request = store::request(&state.db, context.org.id, request_id).await?;
        worker::cancel_failed(&state.db, &request).await?;
        audit::org_action(
            &state.db,
            &context,
            "request.cancelled",
            &format!("request {request_id}"),
            "failed request given up by an admin",
            "ok",
        )
        .await
    }

    pub async fn change_grants(
        org: &str,
        request_ids: &[i64],
        action: &str,
        minutes: Option<i64>,
    ) -> Result<String, AppError> {
        let state = app_state()?;
        let context = authorize(&state, org, Capability::ManageOrg).await?;
        if request_ids.is_empty() {
            return Err(AppError::bad_request("Tick the grants to change."));
        }
        if request_ids.len() > MAX_BULK {
            return Err(AppError::bad_request(format!(
                "Change at most {MAX_BULK} grants at once."
            )));
        }
        let renew_by = match (action, minutes) {
            ("renew", Some(minutes)) if minutes > 0 => Some(minutes),
            ("renew", _) => {
                return Err(AppError::bad_request("Say by how many minutes to renew."));
            }
            ("revoke", _) => None,
            _ => return Err(AppError::bad_request("Choose renew or revoke.")),
        };
        let now = state.clock.now();
        let mut changed = 0;
        let mut skipped = Vec::new();
        for id in request_ids {
            let request = store::request(&state.db, context.org.id, *id).await?;
            let item = store::item(&state.db, context.org.id, request.item_id).await?;
            let moved = match renew_by {
                Some(minutes) => store::renew(&state.db, &request, &item, minutes, now).await?,
                None => store::begin_revoke(&state.db, request.id, context.org.id, now).await?,
            };
            if moved {
                changed += 1;
                let summary = match renew_by {
                    Some(minutes) => format!("renewed by {minutes} minutes"),
                    None => "revoked early".to_string(),
                };
                audit::org_action(
                    &state.db,
                    &context,
                    &format!("request.{action}"),
                    &format!("request {id}"),
                    &summary,
                    "ok",
                )
                .await?;
            } else {
                skipped.push(format!("#{id} is {}", request.status));
            }
        }
        state.work_queued.notify_one();
        let verb = if renew_by.is_some() {
            "Renewed"
        } else {
            "Revoking"
        };
        let mut notice = format!("{verb} {changed} grant(s).");
        if !skipped.is_empty() {
            notice.push_str(&format!(" Not active: {}", skipped.join(", ")));
        }
        redirect_with_notice(&format!("/o/{org}/requests/manage"), &notice);
        Ok(notice)
    }

    pub async fn list(
        org: &str,
        mine: bool,
        status: Option<&str>,
    ) -> Result<Vec<RequestView>, AppError> {
        let state = app_state()?;
        let context = authorize(&state, org, Capability::RequestAccess).await?;
        let everyone = !mine && context.role.allows(Capability::DecideRequests);
        let filter = store::Filter {
            requester: (!everyone).then_some(context.account.id),
            status: status.filter(|s| !s.is_empty()),
            ..store::Filter::default()
        };
        store::list(&state.db, context.org.id, &filter).await
    }
}
