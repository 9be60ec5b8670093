//! Which account a verified single sign-on identity signs in as.
//!
//! 1. The account linked to the identity's subject (`accounts.sso_subject`).
//! 2. Else the account with the identity's email, which gets linked now, unless it is
//!    linked to a different subject already (the provider reassigned the address).
//! 3. Else a new account (installation role none, no password) with a requester
//!    membership in every organization that has `auto_requester` on and whose JumpCloud
//!    directory has an active user with exactly this email.
//!
//! Anything else is refused: SSO never creates an account on its own say-so.

use crate::auth::accounts::{Account, InstallationRole};
use crate::db::{Db, now_unix};
use crate::email::Email;
use crate::error::AppError;
use crate::on_db;
use crate::sso::SsoFailure;
use crate::state::AppState;
use crate::tenants::connections;
use crate::tenants::orgs::{self, Org};
use crate::tenants::roles::OrgRole;

/// A person the OpenID Connect provider vouched for: ID token verified, email verified.
#[derive(Debug, Clone)]
pub struct SsoIdentity {
    /// The provider's stable id for the person (`sub`).
    pub subject: String,
    pub email: Email,
    pub display_name: String,
}

#[derive(Debug, thiserror::Error)]
pub enum AdmissionError {
    #[error("no account, and no organization admits this email automatically")]
    NotSetUp,
    #[error("the account is disabled")]
    Disabled,
    #[error("the account with this email is linked to another SSO subject")]
    LinkedElsewhere,
    #[error(transparent)]
    App(#[from] AppError),
}

impl AdmissionError {
    pub fn failure(&self) -> SsoFailure {
        match self {
            AdmissionError::NotSetUp => SsoFailure::NotSetUp,
            AdmissionError::Disabled => SsoFailure::Disabled,
            AdmissionError::LinkedElsewhere => SsoFailure::LinkedElsewhere,
            AdmissionError::App(_) => SsoFailure::Internal,
        }
    }
}

#[derive(sqlx::FromRow)]
struct SsoAccountRow {
    id: i64,
    email: String,
    display_name: String,
    installation_role: String,
    disabled: bool,
    sso_subject: Option<String>,
    privileges_version: i64,
}

impl SsoAccountRow {
    fn into_account(self) -> Result<Account, AdmissionError> {
        if self.disabled {
            return Err(AdmissionError::Disabled);
        }
        Ok(Account {
            id: self.id,
            email: self.email,
            display_name: self.display_name,
            role: InstallationRole::from_db(&self.installation_role),
            privileges_version: self.privileges_version,
        })
    }
}

const SELECT: &str = "SELECT id, email, display_name, installation_role, disabled, sso_subject, \
                      privileges_version \
                      FROM accounts";

pub async fn admit(state: &AppState, identity: &SsoIdentity) -> Result<Account, AdmissionError> {
    if let Some(row) = by_subject(&state.db, &identity.subject).await? {
        return row.into_account();
    }
    if let Some(row) = by_email(&state.db, &identity.email).await? {
        if row.sso_subject.is_some() {
            return Err(AdmissionError::LinkedElsewhere);
        }
        let account = row.into_account()?;
        link(&state.db, account.id, &identity.subject).await?;
        tracing::info!(email = %identity.email, "linked an account to its SSO identity");
        return Ok(account);
    }
    let orgs = orgs_admitting(state, &identity.email).await?;
    if orgs.is_empty() {
        return Err(AdmissionError::NotSetUp);
    }
    let account = create_requester(&state.db, identity, &orgs).await?;
    tracing::info!(
        email = %identity.email,
        orgs = ?orgs.iter().map(|org| org.slug.as_str()).collect::<Vec<_>>(),
        "created an account for an SSO user as requester"
    );
    Ok(account)
}

async fn by_subject(db: &Db, subject: &str) -> Result<Option<SsoAccountRow>, AppError> {
    let sql = format!("{SELECT} WHERE sso_subject = $1");
    Ok(on_db!(db, |pool| sqlx::query_as::<_, SsoAccountRow>(&sql)
        .bind(subject)
        .fetch_optional(pool)
        .await)?)
}

async fn by_email(db: &Db, email: &Email) -> Result<Option<SsoAccountRow>, AppError> {
    let sql = format!("{SELECT} WHERE email = $1");
    Ok(on_db!(db, |pool| sqlx::query_as::<_, SsoAccountRow>(&sql)
        .bind(email.as_str())
        .fetch_optional(pool)
        .await)?)
}

/// Links only an unlinked account, so two concurrent sign-ins cannot overwrite a link.
async fn link(db: &Db, account_id: i64, subject: &str) -> Result<(), AdmissionError> {
    let linked = on_db!(db, |pool| sqlx::query(
        "UPDATE accounts SET sso_subject = $1 WHERE id = $2 AND sso_subject IS NULL"
    )
    .bind(subject)
    .bind(account_id)
    .execute(pool)
    .await
    .map(|done| done.rows_affected()))
    .map_err(AppError::from)?;
    if linked == 0 {
        return Err(AdmissionError::LinkedElsewhere);
    }
    Ok(())
}

/// The organizations with `auto_requester` on whose JumpCloud directory has this email.
/// An organization whose JumpCloud cannot be asked is skipped (and logged): one broken
/// connection must not keep people out of the others.
async fn orgs_admitting(state: &AppState, email: &Email) -> Result<Vec<Org>, AppError> {
    let mut admitting = Vec::new();
    for org in orgs::all(&state.db).await? {
        if !org.auto_requester {
            continue;
        }
        let found = match connections::org_client(state, &org).await {
            Ok(client) => client.find_users_by_email(email.as_str()).await,
            Err(error) => {
                tracing::warn!(org = %org.slug, %error, "auto-requester: no JumpCloud connection");
                continue;
            }
        };
        match found {
            Ok(users) if users.iter().any(is_active_with(email)) => admitting.push(org),
            Ok(_) => {}
            Err(error) => {
                tracing::warn!(org = %org.slug, %error, "auto-requester: JumpCloud lookup failed");
            }
        }
    }
    Ok(admitting)
}

/// A suspended JumpCloud user is someone the organization has shut out; they do not get
/// into Lanyard either.
fn is_active_with(email: &Email) -> impl Fn(&jumpcloud::users::SystemUser) -> bool + '_ {
    move |user| {
        user.email.eq_ignore_ascii_case(email.as_str())
            && user.state != Some(jumpcloud::users::UserState::Suspended)
            && user.suspended != Some(true)
    }
}

/// The account and its memberships in one transaction: never an account that exists
/// without the access it was created for.
async fn create_requester(
    db: &Db,
    identity: &SsoIdentity,
    orgs: &[Org],
) -> Result<Account, AppError> {
    let now = now_unix();
    let id: i64 = on_db!(db, |pool| {
        async {
        let mut transaction = pool.begin().await?;
        let id: i64 = sqlx::query_scalar(
            "INSERT INTO accounts (email, display_name, sso_subject, installation_role, created_at) \
             VALUES ($1, $2, $3, $4, $5) RETURNING id",
        )
        .bind(identity.email.as_str())
        .bind(&identity.display_name)
        .bind(&identity.subject)
        .bind(InstallationRole::None.as_str())
        .bind(now)
        .fetch_one(&mut *transaction)
        .await?;
        for org in orgs {
            sqlx::query(
                "INSERT INTO memberships (account_id, org_id, role, created_at) \
                 VALUES ($1, $2, $3, $4)",
            )
            .bind(id)
            .bind(org.id)
            .bind(OrgRole::Requester.as_str())
            .bind(now)
            .execute(&mut *transaction)
            .await?;
        }
        transaction.commit().await?;
        Ok::<i64, sqlx::Error>(id)
    }
    .await
    })?;
    Ok(Account {
        id,
        email: identity.email.to_string(),
        display_name: identity.display_name.clone(),
        role: InstallationRole::None,
        privileges_version: 0,
    })
}
