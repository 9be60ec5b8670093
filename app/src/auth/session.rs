//! Who is signed in. Every server function that returns data or changes anything starts
//! from [`require_account`]; a page-level redirect is only a convenience on top.

use tower_sessions::Session;

use crate::auth::accounts::{self, Account};
use crate::auth::render_lookups::RenderLookups;
use crate::error::AppError;
use crate::state::AppState;

const ACCOUNT_ID: &str = "account_id";
/// The account's `privileges_version` when the session last had its id issued.
const PRIVILEGES: &str = "privileges_version";
/// When the session was last saved for its visitor's activity (Unix seconds).
const TOUCHED: &str = "touched_at";

/// tower-sessions saves a session, and so moves its expiry (and the cookie's), only when
/// it changed: a signed-in visitor's session is touched at most this often, so it ends
/// `session_idle_minutes` after their last request (give or take this), not after their
/// sign-in.
const TOUCH_EVERY_SECONDS: i64 = 15;

pub async fn current_session() -> Result<Session, AppError> {
    leptos_axum::extract::<Session>().await.map_err(|error| {
        tracing::error!(%error, "no session layer on this request");
        AppError::Internal
    })
}

/// The signed-in, enabled account, if any.
pub async fn current_account(state: &AppState) -> Result<Option<Account>, AppError> {
    let read = async { account_of(state, &current_session().await?).await };
    match RenderLookups::of_this_request() {
        Some(lookups) => lookups.account(read).await,
        None => read.await,
    }
}

/// The signed-in, enabled account of a session a plain axum handler extracted. A session
/// from before the account's roles or scopes changed gets a new id first, as at login.
/// An active visitor's session is kept alive (see [`TOUCH_EVERY_SECONDS`]).
pub async fn account_of(state: &AppState, session: &Session) -> Result<Option<Account>, AppError> {
    let Some(id) = session.get::<i64>(ACCOUNT_ID).await? else {
        return Ok(None);
    };
    let Some(account) = accounts::find_active(&state.db, id).await? else {
        return Ok(None);
    };
    if session.get::<i64>(PRIVILEGES).await? != Some(account.privileges_version) {
        session.cycle_id().await?;
        session
            .insert(PRIVILEGES, account.privileges_version)
            .await?;
    }
    let now = state.clock.now();
    let touched = session.get::<i64>(TOUCHED).await?;
    if touched.is_none_or(|at| now - at >= TOUCH_EVERY_SECONDS) {
        session.insert(TOUCHED, now).await?;
    }
    Ok(Some(account))
}

pub async fn require_account(state: &AppState) -> Result<Account, AppError> {
    current_account(state)
        .await?
        .ok_or(AppError::Unauthenticated)
}

/// Starts a signed-in session under a fresh session id, so that an id planted before
/// login (session fixation) is worthless afterwards.
pub async fn sign_in(session: &Session, account: &Account, now: i64) -> Result<(), AppError> {
    session.cycle_id().await?;
    session.insert(ACCOUNT_ID, account.id).await?;
    session
        .insert(PRIVILEGES, account.privileges_version)
        .await?;
    session.insert(TOUCHED, now).await?;
    Ok(())
}

/// Deletes the session server-side; the old cookie no longer works anywhere.
pub async fn sign_out(session: &Session) -> Result<(), AppError> {
    session.flush().await?;
    Ok(())
}
