//! Who may enter which organization: memberships with a role, operator scopes and the
//! org groups that scopes can name.

use crate::auth::accounts::{self, InstallationRole};
use crate::db::{Db, now_unix};
use crate::error::AppError;
use crate::on_db;
use crate::tenants::roles::OrgRole;
use crate::tenants::{PersonView, ScopeView};

/// Gives the account `role` in the organization, or removes its membership (`None`).
pub async fn set(
    db: &Db,
    account_id: i64,
    org_id: i64,
    role: Option<OrgRole>,
) -> Result<(), AppError> {
    on_db!(db, |pool| sqlx::query(
        "DELETE FROM memberships WHERE account_id = $1 AND org_id = $2"
    )
    .bind(account_id)
    .bind(org_id)
    .execute(pool)
    .await
    .map(|_| ()))?;
    if let Some(role) = role {
        on_db!(db, |pool| sqlx::query(
            "INSERT INTO memberships (account_id, org_id, role, created_at) VALUES ($1, $2, $3, $4)"
        )
        .bind(account_id)
        .bind(org_id)
        .bind(role.as_str())
        .bind(now_unix())
        .execute(pool)
        .await
        .map(|_| ()))?;
    }
    accounts::privileges_changed(db, account_id).await
}

pub async fn create_org_group(db: &Db, name: &str) -> Result<i64, AppError> {
    let name = name.trim();
    if name.is_empty() || name.chars().count() > 100 {
        return Err(AppError::bad_request(
            "An org group needs a name (at most 100 characters).",
        ));
    }
    on_db!(db, |pool| sqlx::query_scalar(
        "INSERT INTO org_groups (name, created_at) VALUES ($1, $2) RETURNING id"
    )
    .bind(name)
    .bind(now_unix())
    .fetch_one(pool)
    .await)
    .map_err(|error| match AppError::from(error) {
        AppError::Conflict(_) => {
            AppError::Conflict(format!("An org group named {name:?} exists already."))
        }
        other => other,
    })
}

pub async fn org_group_by_name(db: &Db, name: &str) -> Result<i64, AppError> {
    on_db!(db, |pool| sqlx::query_scalar::<_, i64>(
        "SELECT id FROM org_groups WHERE name = $1"
    )
    .bind(name)
    .fetch_optional(pool)
    .await)?
    .ok_or_else(|| AppError::NotFound(format!("The org group {name:?}")))
}

pub async fn add_to_org_group(db: &Db, group_id: i64, org_id: i64) -> Result<(), AppError> {
    on_db!(db, |pool| {
        sqlx::query(
        "INSERT INTO org_group_members (org_group_id, org_id) VALUES ($1, $2) ON CONFLICT DO NOTHING"
    )
    .bind(group_id)
    .bind(org_id)
    .execute(pool)
    .await
    .map(|_| ())
    })?;
    Ok(())
}

/// Limits an operator to one organization or one org group (added to any existing limits).
pub async fn add_operator_scope(
    db: &Db,
    account_id: i64,
    org_id: Option<i64>,
    org_group_id: Option<i64>,
) -> Result<(), AppError> {
    on_db!(db, |pool| sqlx::query(
        "INSERT INTO operator_scopes (account_id, org_id, org_group_id) VALUES ($1, $2, $3)"
    )
    .bind(account_id)
    .bind(org_id)
    .bind(org_group_id)
    .execute(pool)
    .await
    .map(|_| ()))?;
    accounts::privileges_changed(db, account_id).await
}

pub async fn clear_operator_scopes(db: &Db, account_id: i64) -> Result<(), AppError> {
    on_db!(db, |pool| sqlx::query(
        "DELETE FROM operator_scopes WHERE account_id = $1"
    )
    .bind(account_id)
    .execute(pool)
    .await
    .map(|_| ()))?;
    accounts::privileges_changed(db, account_id).await
}

/// Everyone with an account, with their installation role, memberships and scopes.
pub async fn people(db: &Db) -> Result<Vec<PersonView>, AppError> {
    let accounts: Vec<(i64, String, String, String, bool)> = on_db!(db, |pool| {
        sqlx::query_as(
        "SELECT id, email, display_name, installation_role, disabled FROM accounts ORDER BY email"
    )
    .fetch_all(pool)
    .await
    })?;
    let memberships: Vec<(i64, String, String)> = on_db!(db, |pool| sqlx::query_as(
        "SELECT m.account_id, o.name, m.role FROM memberships m JOIN orgs o ON o.id = m.org_id \
         ORDER BY o.name"
    )
    .fetch_all(pool)
    .await)?;
    let scopes: Vec<(i64, Option<String>, Option<String>)> = on_db!(db, |pool| sqlx::query_as(
        "SELECT s.account_id, o.name, g.name FROM operator_scopes s \
         LEFT JOIN orgs o ON o.id = s.org_id LEFT JOIN org_groups g ON g.id = s.org_group_id \
         ORDER BY s.id"
    )
    .fetch_all(pool)
    .await)?;
    Ok(accounts
        .into_iter()
        .map(|(id, email, display_name, role, disabled)| PersonView {
            memberships: memberships
                .iter()
                .filter(|(account, ..)| *account == id)
                .filter_map(|(_, org, role)| OrgRole::parse(role).map(|role| (org.clone(), role)))
                .collect(),
            scopes: scopes
                .iter()
                .filter(|(account, ..)| *account == id)
                .filter_map(|(_, org, group)| match (org, group) {
                    (Some(org), _) => Some(ScopeView::Org(org.clone())),
                    (_, Some(group)) => Some(ScopeView::OrgGroup(group.clone())),
                    _ => None,
                })
                .collect(),
            id,
            email,
            display_name,
            installation_role: InstallationRole::from_db(&role).as_str().to_string(),
            disabled,
        })
        .collect())
}

/// Org group names with their organizations' names.
pub async fn org_groups(db: &Db) -> Result<Vec<(String, Vec<String>)>, AppError> {
    let rows: Vec<(String, Option<String>)> = on_db!(db, |pool| sqlx::query_as(
        "SELECT g.name, o.name FROM org_groups g \
         LEFT JOIN org_group_members m ON m.org_group_id = g.id \
         LEFT JOIN orgs o ON o.id = m.org_id ORDER BY g.name, o.name"
    )
    .fetch_all(pool)
    .await)?;
    let mut groups: Vec<(String, Vec<String>)> = Vec::new();
    for (group, org) in rows {
        match groups.last_mut() {
            Some((name, orgs)) if *name == group => orgs.extend(org),
            _ => groups.push((group, org.into_iter().collect())),
        }
    }
    Ok(groups)
}
