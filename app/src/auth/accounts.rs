//! Dashboard accounts: the people who sign in to Lanyard (not JumpCloud users).

use crate::auth::password;
use crate::db::{Db, now_unix};
use crate::email::Email;
use crate::error::AppError;
use crate::on_db;

/// The installation-wide role. Per-organization roles live in memberships.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum InstallationRole {
    Owner,
    Operator,
    None,
}

impl InstallationRole {
    pub fn as_str(self) -> &'static str {
        match self {
            InstallationRole::Owner => "owner",
            InstallationRole::Operator => "operator",
            InstallationRole::None => "none",
        }
    }

    pub fn from_db(value: &str) -> Self {
        match value {
            "owner" => InstallationRole::Owner,
            "operator" => InstallationRole::Operator,
            _ => InstallationRole::None,
        }
    }
}

#[derive(Debug, Clone)]
pub struct Account {
    pub id: i64,
    pub email: String,
    pub display_name: String,
    pub role: InstallationRole,
    /// Bumped whenever the account's roles or scopes change (see `session`).
    pub privileges_version: i64,
}

#[derive(sqlx::FromRow)]
struct AccountRow {
    id: i64,
    email: String,
    display_name: String,
    installation_role: String,
    disabled: bool,
    password_hash: Option<String>,
    privileges_version: i64,
}

impl From<AccountRow> for Account {
    fn from(row: AccountRow) -> Self {
        Account {
            id: row.id,
            email: row.email,
            display_name: row.display_name,
            role: InstallationRole::from_db(&row.installation_role),
            privileges_version: row.privileges_version,
        }
    }
}

const SELECT: &str = "SELECT id, email, display_name, installation_role, disabled, password_hash, \
                      privileges_version FROM accounts";

async fn row_by_email(db: &Db, email: &Email) -> Result<Option<AccountRow>, AppError> {
    let sql = format!("{SELECT} WHERE email = $1");
    Ok(on_db!(db, |pool| sqlx::query_as::<_, AccountRow>(&sql)
        .bind(email.as_str())
        .fetch_optional(pool)
        .await)?)
}

pub async fn id_by_email(db: &Db, email: &Email) -> Result<Option<i64>, AppError> {
    Ok(row_by_email(db, email).await?.map(|row| row.id))
}

/// The enabled account with this id, if any.
pub async fn find_active(db: &Db, id: i64) -> Result<Option<Account>, AppError> {
    let sql = format!("{SELECT} WHERE id = $1");
    let row = on_db!(db, |pool| sqlx::query_as::<_, AccountRow>(&sql)
        .bind(id)
        .fetch_optional(pool)
        .await)?;
    Ok(row.filter(|row| !row.disabled).map(Account::from))
}

/// Checks an email and password. Unknown email, wrong password, a disabled account and an
/// SSO-only account all give the same error, after the same amount of hashing work.
pub async fn authenticate(db: &Db, email: &Email, password: &str) -> Result<Account, AppError> {
    let row = row_by_email(db, email).await?;
    let candidate = match row.as_ref().and_then(|row| row.password_hash.clone()) {
        Some(stored) => stored,
        None => password::dummy_hash().await.to_string(),
    };
    let matches = password::verify(password.to_string(), candidate).await;
    match row {
        Some(row) if matches && !row.disabled && row.password_hash.is_some() => Ok(row.into()),
        _ => Err(AppError::InvalidCredentials),
    }
}

pub struct NewAccount<'a> {
    pub email: &'a Email,
    pub display_name: &'a str,
    pub password: &'a str,
    pub role: InstallationRole,
}

pub async fn create(db: &Db, new: NewAccount<'_>) -> Result<Account, AppError> {
    password::check_strength(new.password)?;
    let hash = password::hash(new.password.to_string()).await?;
    let id: i64 = on_db!(db, |pool| {
        sqlx::query_scalar(
        "INSERT INTO accounts (email, display_name, password_hash, installation_role, created_at) \
         VALUES ($1, $2, $3, $4, $5) RETURNING id"
    )
    .bind(new.email.as_str())
    .bind(new.display_name)
    .bind(&hash)
    .bind(new.role.as_str())
    .bind(now_unix())
    .fetch_one(pool)
    .await
    })
    .map_err(|error| match AppError::from(error) {
        AppError::Conflict(_) => {
            AppError::Conflict(format!("An account for {} already exists.", new.email))
        }
        other => other,
    })?;
    Ok(Account {
        id,
        email: new.email.to_string(),
        display_name: new.display_name.to_string(),
        role: new.role,
        privileges_version: 0,
    })
}

/// The account's roles or scopes changed: its sessions get new ids on their next request.
pub async fn privileges_changed(db: &Db, account_id: i64) -> Result<(), AppError> {
    on_db!(db, |pool| sqlx::query(
        "UPDATE accounts SET privileges_version = privileges_version + 1 WHERE id = $1"
    )
    .bind(account_id)
    .execute(pool)
    .await
    .map(drop))?;
    Ok(())
}

/// Sets a new password for an existing account (used by `lanyard reset-password`).
pub async fn set_password(db: &Db, email: &Email, password: &str) -> Result<(), AppError> {
    password::check_strength(password)?;
    let hash = password::hash(password.to_string()).await?;
    let updated = on_db!(db, |pool| sqlx::query(
        "UPDATE accounts SET password_hash = $1 WHERE email = $2"
    )
    .bind(&hash)
    .bind(email.as_str())
    .execute(pool)
    .await
    .map(|done| done.rows_affected()))?;
    if updated == 0 {
        return Err(AppError::NotFound(format!("An account for {email}")));
    }
    Ok(())
}

/// What start-up did about the first administrator.
#[derive(Debug)]
pub enum FirstAdmin {
    /// Accounts exist already; nothing was changed.
    AlreadyPresent,
    /// Created with the configured password.
    Created,
    /// Created with a generated password, to be shown once to the operator.
    CreatedWithGeneratedPassword(String),
}

/// Creates the owner account on first start, when there are no accounts at all.
pub async fn ensure_first_admin(
    db: &Db,
    email: &Email,
    configured_password: Option<&str>,
) -> Result<FirstAdmin, AppError> {
    let count: i64 = on_db!(db, |pool| sqlx::query_scalar(
        "SELECT COUNT(*) FROM accounts"
    )
    .fetch_one(pool)
    .await)?;
    if count > 0 {
        return Ok(FirstAdmin::AlreadyPresent);
    }
    let generated = configured_password.is_none().then(password::generate);
    let password = configured_password
        .or(generated.as_deref())
        .unwrap_or_default();
    create(
        db,
        NewAccount {
            email,
            display_name: "Administrator",
            password,
            role: InstallationRole::Owner,
        },
    )
    .await?;
    Ok(match generated {
        Some(password) => FirstAdmin::CreatedWithGeneratedPassword(password),
        None => FirstAdmin::Created,
    })
}
