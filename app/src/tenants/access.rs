//! The one authorization function for organization-scoped work. Every server function
//! that touches an organization calls [`authorize`] with the slug from the request; no
//! page reaches JumpCloud or org data another way.

use jumpcloud::OrgClient;

use crate::auth::accounts::{Account, InstallationRole};
use crate::auth::session::require_account;
use crate::error::AppError;
use crate::state::AppState;
use crate::tenants::connections;
use crate::tenants::orgs::{self, Org};
use crate::tenants::roles::{Capability, OrgRole};

/// A signed-in account acting in one organization it may enter.
#[derive(Clone)]
pub struct OrgContext {
    pub account: Account,
    pub org: Org,
    pub role: OrgRole,
    /// JumpCloud, with this organization's credentials and `x-org-id`.
    pub jumpcloud: OrgClient,
}

/// An organization the account may not enter looks exactly like one that does not exist,
/// so slugs cannot be probed.
fn no_such_org() -> AppError {
    AppError::NotFound("That organization".into())
}

pub async fn authorize(
    state: &AppState,
    slug: &str,
    capability: Capability,
) -> Result<OrgContext, AppError> {
    let account = require_account(state).await?;
    authorize_account(state, account, slug, capability).await
}

/// [`authorize`] for a plain axum handler (a streamed export, say), which has the
/// session as an extractor rather than through the server-function context.
pub async fn authorize_session(
    state: &AppState,
    session: &tower_sessions::Session,
    slug: &str,
    capability: Capability,
) -> Result<OrgContext, AppError> {
    let account = crate::auth::session::account_of(state, session)
        .await?
        .ok_or(AppError::Unauthenticated)?;
    authorize_account(state, account, slug, capability).await
}

async fn authorize_account(
    state: &AppState,
    account: Account,
    slug: &str,
    capability: Capability,
) -> Result<OrgContext, AppError> {
    // The same reading of the orgs the account may enter as the org switcher's, which a
    // page render shares between its parts.
    let (org, role) = orgs::visible_to(&state.db, &account)
        .await?
        .into_iter()
        .find(|(org, _)| org.slug == slug)
        .ok_or_else(no_such_org)?;
    if !role.allows(capability) {
        return Err(AppError::Forbidden);
    }
    let jumpcloud = connections::org_client(state, &org).await?;
    Ok(OrgContext {
        account,
        org,
        role,
        jumpcloud,
    })
}

/// Installation settings (connections, people, org groups) are for owners.
pub async fn require_owner(state: &AppState) -> Result<Account, AppError> {
    let account = require_account(state).await?;
    if account.role != InstallationRole::Owner {
        return Err(AppError::Forbidden);
    }
    Ok(account)
}
