//! Reading users from JumpCloud for the pages and the export: the list filter turned
//! into JumpCloud queries, the short cache in front of them, and the conversion of
//! JumpCloud's models into the wire types.

use std::sync::Arc;

use futures::Stream;
use jumpcloud::users::{SystemUser, UserListQuery, UserSort, UserState};
use jumpcloud::{OrgClient, Page};

use super::cache::UserCache;
use super::handoff::Handoff;
use super::{PAGE_SIZE, UserFilter, UserSortKey, UserStatus, UserSummary};
use crate::error::AppError;
use crate::state::AppState;
use crate::tenants::access::OrgContext;
use crate::tenants::orgs::Org;

/// JumpCloud's cap on a page; reading every match takes the fewest calls at the cap.
const JUMPCLOUD_MAX_LIMIT: u64 = 100;

/// What the users pages keep in memory between requests (one `AppState` field).
#[derive(Default)]
pub struct UsersState {
    pub cache: UserCache,
    /// A generated temporary password, on its way to the page that shows it once
    /// (never stored, so in memory).
    pub passwords: Handoff<jumpcloud::Secret>,
}

pub fn status_of(user: &SystemUser) -> UserStatus {
    match user.state {
        Some(UserState::Staged) => UserStatus::Staged,
        Some(UserState::Suspended) => UserStatus::Suspended,
        Some(UserState::Activated) => UserStatus::Active,
        // Older records carry only the flags.
        None if user.suspended == Some(true) => UserStatus::Suspended,
        None if user.activated == Some(false) => UserStatus::Staged,
        None => UserStatus::Active,
    }
}

pub fn is_locked(user: &SystemUser) -> bool {
    user.account_locked == Some(true)
}

/// Enrolled in any MFA method (TOTP, WebAuthn or push).
pub fn mfa_enrolled(user: &SystemUser) -> bool {
    let enrolled = |status: &Option<String>| status.as_deref() == Some("ENROLLED");
    user.totp_enabled == Some(true)
        || user.mfa_enrollment.as_ref().is_some_and(|mfa| {
            enrolled(&mfa.overall_status)
                || enrolled(&mfa.totp_status)
                || enrolled(&mfa.web_authn_status)
                || enrolled(&mfa.push_status)
        })
}

/// How a user reads in lists: the display name, else first and last name, else the
/// username.
pub fn display_name(user: &SystemUser) -> String {
    let joined = [user.firstname.as_deref(), user.lastname.as_deref()]
        .into_iter()
        .flatten()
        .filter(|part| !part.is_empty())
        .collect::<Vec<_>>()
        .join(" ");
    user.displayname
        .clone()
        .filter(|name| !name.is_empty())
        .or((!joined.is_empty()).then_some(joined))
        .unwrap_or_else(|| user.username.clone())
}

impl From<&SystemUser> for UserSummary {
    fn from(user: &SystemUser) -> Self {
        UserSummary {
            id: user.id.clone(),
            username: user.username.clone(),
            email: user.email.clone(),
            name: display_name(user),
            department: user.department.clone().unwrap_or_default(),
            job_title: user.job_title.clone().unwrap_or_default(),
            status: status_of(user),
            locked: is_locked(user),
            mfa_enrolled: mfa_enrolled(user),
        }
    }
}

impl From<UserStatus> for UserState {
    fn from(status: UserStatus) -> Self {
        match status {
            UserStatus::Staged => UserState::Staged,
            UserStatus::Active => UserState::Activated,
            UserStatus::Suspended => UserState::Suspended,
        }
    }
}

impl From<UserSortKey> for UserSort {
    fn from(key: UserSortKey) -> Self {
        match key {
            UserSortKey::Username => UserSort::Username,
            UserSortKey::Email => UserSort::Email,
            UserSortKey::Lastname => UserSort::Lastname,
            UserSortKey::Department => UserSort::Department,
            UserSortKey::Created => UserSort::Created,
        }
    }
}

/// The filters JumpCloud applies (search, state, department), sorted with `_id` last
/// so pages neither skip nor repeat users.
fn jumpcloud_query(filter: &UserFilter, skip: u64, limit: u64) -> UserListQuery {
    UserListQuery {
        search: (!filter.q.is_empty()).then(|| filter.q.clone()),
        state: filter.state.map(UserState::from),
        department: (!filter.department.is_empty()).then(|| filter.department.clone()),
        sort: filter.sort.into(),
        descending: filter.descending,
        skip,
        limit,
    }
}

/// The filters JumpCloud cannot apply.
fn matches_locally(filter: &UserFilter, user: &SystemUser) -> bool {
    (!filter.locked || is_locked(user)) && (!filter.mfa_missing || !mfa_enrolled(user))
}

/// One JumpCloud page, from the cache unless `refresh`.
async fn cached_page(
    cache: &UserCache,
    org: &Org,
    client: &OrgClient,
    query: &UserListQuery,
    refresh: bool,
) -> Result<Arc<Page<SystemUser>>, AppError> {
    let key = format!("{query:?}");
    if !refresh && let Some(page) = cache.page(org, &key) {
        return Ok(page);
    }
    let page = Arc::new(client.list_users(query).await?);
    cache.put_page(org, &key, page.clone());
    Ok(page)
}

/// Every user matching `filter`, one JumpCloud page (of at most 100) at a time, in the
/// filter's order; the local filters are applied to each page as it arrives.
pub fn matching_pages(
    state: AppState,
    context: &OrgContext,
    filter: UserFilter,
    refresh: bool,
) -> impl Stream<Item = Result<Vec<SystemUser>, AppError>> + Send + 'static {
    let client = context.jumpcloud.clone();
    let org = context.org.clone();
    futures::stream::try_unfold(Some(0u64), move |next| {
        let (state, client, filter, org) =
            (state.clone(), client.clone(), filter.clone(), org.clone());
        async move {
            let Some(skip) = next else {
                return Ok(None);
            };
            let query = jumpcloud_query(&filter, skip, JUMPCLOUD_MAX_LIMIT);
            let page = cached_page(&state.users.cache, &org, &client, &query, refresh).await?;
            let fetched = page.items.len() as u64;
            let after = skip + fetched;
            // A known total decides the end; a short page does not (JumpCloud's pages may
            // come back short while more follow), an empty one does.
            let more = fetched > 0 && page.total.is_none_or(|total| after < total);
            let users = page
                .items
                .iter()
                .filter(|user| matches_locally(&filter, user))
                .cloned()
                .collect();
            Ok(Some((users, more.then_some(after))))
        }
    })
}

/// The page of users the list shows and the number of users that match.
pub async fn list_page(
    state: &AppState,
    context: &OrgContext,
    filter: &UserFilter,
    refresh: bool,
) -> Result<(Vec<UserSummary>, u64), AppError> {
    use futures::TryStreamExt;
    if !filter.filters_locally() {
        let query = jumpcloud_query(filter, filter.skip, PAGE_SIZE);
        let page = cached_page(
            &state.users.cache,
            &context.org,
            &context.jumpcloud,
            &query,
            refresh,
        )
        .await?;
        let total = page.total.unwrap_or(filter.skip + page.items.len() as u64);
        return Ok((page.items.iter().map(UserSummary::from).collect(), total));
    }
    let matching: Vec<SystemUser> = matching_pages(state.clone(), context, filter.clone(), refresh)
        .try_concat()
        .await?;
    let total = matching.len() as u64;
    let shown = matching
        .into_iter()
        .skip(filter.skip as usize)
        .take(PAGE_SIZE as usize)
        .map(|user| UserSummary::from(&user))
        .collect();
    Ok((shown, total))
}

/// One user, from the cache unless `refresh`.
pub async fn user(
    state: &AppState,
    context: &OrgContext,
    id: &str,
    refresh: bool,
) -> Result<SystemUser, AppError> {
    if !refresh && let Some(user) = state.users.cache.user(&state.db, &context.org, id).await? {
        return Ok(user);
    }
    let user = context
        .jumpcloud
        .get_user(id)
        .await
        .map_err(|error| match error {
            jumpcloud::Error::NotFound(_) => AppError::NotFound("That user".into()),
            other => other.into(),
        })?;
    state.users.cache.put_user(&context.org, user.clone());
    Ok(user)
}

/// A user identified by username or email (a manager field, an import row).
pub async fn find_by_username_or_email(
    context: &OrgContext,
    text: &str,
) -> Result<Option<SystemUser>, AppError> {
    let wanted = text.trim().to_lowercase();
    let page = context
        .jumpcloud
        .list_users(&UserListQuery {
            search: Some(wanted.clone()),
            limit: 100,
            ..Default::default()
        })
        .await?;
    Ok(page
        .items
        .into_iter()
        .find(|user| user.username.to_lowercase() == wanted || user.email.to_lowercase() == wanted))
}
