//! Dashboard organizations: each is one JumpCloud organization reached through one
//! connection, addressed in URLs by its slug (`/o/{slug}/...`).

use crate::auth::accounts::{Account, InstallationRole};
use crate::auth::render_lookups::RenderLookups;
use crate::db::{Db, now_unix};
use crate::error::AppError;
use crate::on_db;
use crate::tenants::roles::OrgRole;

#[derive(Debug, Clone, PartialEq, Eq, sqlx::FromRow)]
pub struct Org {
    pub id: i64,
    pub slug: String,
    pub name: String,
    pub connection_id: i64,
    pub jumpcloud_org_id: String,
    pub is_default: bool,
    pub auto_requester: bool,
    /// Bumped by every user change made through Lanyard; cached users of an older
    /// generation are not served (see `users::cache`).
    pub directory_generation: i64,
}

const SELECT: &str = "SELECT id, slug, name, connection_id, jumpcloud_org_id, is_default, \
                      auto_requester, directory_generation FROM orgs";

pub async fn by_slug(db: &Db, slug: &str) -> Result<Option<Org>, AppError> {
    let sql = format!("{SELECT} WHERE slug = $1");
    Ok(on_db!(db, |pool| sqlx::query_as::<_, Org>(&sql)
        .bind(slug)
        .fetch_optional(pool)
        .await)?)
}

pub async fn by_id(db: &Db, id: i64) -> Result<Option<Org>, AppError> {
    let sql = format!("{SELECT} WHERE id = $1");
    Ok(on_db!(db, |pool| sqlx::query_as::<_, Org>(&sql)
        .bind(id)
        .fetch_optional(pool)
        .await)?)
}

pub async fn all(db: &Db) -> Result<Vec<Org>, AppError> {
    let sql = format!("{SELECT} ORDER BY name, id");
    Ok(on_db!(db, |pool| sqlx::query_as::<_, Org>(&sql)
        .fetch_all(pool)
        .await)?)
}

pub async fn for_connection(db: &Db, connection_id: i64) -> Result<Vec<Org>, AppError> {
    let sql = format!("{SELECT} WHERE connection_id = $1 ORDER BY name, id");
    Ok(on_db!(db, |pool| sqlx::query_as::<_, Org>(&sql)
        .bind(connection_id)
        .fetch_all(pool)
        .await)?)
}

/// The role an account has in an organization, if it may enter it at all.
///
/// Owners are admins everywhere. Operators are admins in every organization their scope
/// reaches (all of them when they have no scope rows). Everyone else, and operators
/// outside their scope, have the role of their membership, if any.
pub fn effective_role(
    installation: InstallationRole,
    operator_reaches: bool,
    membership: Option<OrgRole>,
) -> Option<OrgRole> {
    match installation {
        InstallationRole::Owner => Some(OrgRole::Admin),
        InstallationRole::Operator if operator_reaches => Some(OrgRole::Admin),
        _ => membership,
    }
}

/// Which organizations an operator's scope reaches: `None` means every organization.
async fn operator_reach(db: &Db, account_id: i64) -> Result<Option<Vec<i64>>, AppError> {
    let scopes: i64 = on_db!(db, |pool| sqlx::query_scalar(
        "SELECT COUNT(*) FROM operator_scopes WHERE account_id = $1"
    )
    .bind(account_id)
    .fetch_one(pool)
    .await)?;
    if scopes == 0 {
        return Ok(None);
    }
    let ids: Vec<i64> = on_db!(db, |pool| sqlx::query_scalar(
        "SELECT org_id FROM operator_scopes WHERE account_id = $1 AND org_id IS NOT NULL \
         UNION \
         SELECT m.org_id FROM operator_scopes s \
         JOIN org_group_members m ON m.org_group_id = s.org_group_id \
         WHERE s.account_id = $1"
    )
    .bind(account_id)
    .fetch_all(pool)
    .await)?;
    Ok(Some(ids))
}

async fn memberships(db: &Db, account_id: i64) -> Result<Vec<(i64, String)>, AppError> {
    Ok(on_db!(db, |pool| sqlx::query_as::<_, (i64, String)>(
        "SELECT org_id, role FROM memberships WHERE account_id = $1"
    )
    .bind(account_id)
    .fetch_all(pool)
    .await)?)
}

/// Every organization the account may enter, with its role there, by name.
pub async fn visible_to(db: &Db, account: &Account) -> Result<Vec<(Org, OrgRole)>, AppError> {
    match RenderLookups::of_this_request() {
        Some(lookups) => {
            lookups
                .orgs(account.id, || read_visible_to(db, account))
                .await
        }
        None => read_visible_to(db, account).await,
    }
}

async fn read_visible_to(db: &Db, account: &Account) -> Result<Vec<(Org, OrgRole)>, AppError> {
    let reach = match account.role {
        InstallationRole::Operator => operator_reach(db, account.id).await?,
        _ => Some(Vec::new()),
    };
    let memberships = memberships(db, account.id).await?;
    Ok(all(db)
        .await?
        .into_iter()
        .filter_map(|org| {
            let reaches = reach.as_ref().is_none_or(|ids| ids.contains(&org.id));
            let membership = memberships
                .iter()
                .find(|(org_id, _)| *org_id == org.id)
                .and_then(|(_, role)| OrgRole::parse(role));
            effective_role(account.role, reaches, membership).map(|role| (org, role))
        })
        .collect())
}

/// A URL-safe name: lowercase ASCII letters, digits and single dashes.
pub fn slugify(name: &str) -> String {
    let mut slug = String::new();
    for c in name.chars().flat_map(char::to_lowercase) {
        if c.is_ascii_alphanumeric() {
            slug.push(c);
        } else if !slug.is_empty() && !slug.ends_with('-') {
            slug.push('-');
        }
    }
    let slug = slug.trim_end_matches('-');
    if slug.is_empty() {
        "org".to_string()
    } else {
        slug.chars().take(48).collect()
    }
}

async fn free_slug(db: &Db, name: &str) -> Result<String, AppError> {
    let base = slugify(name);
    let mut candidate = base.clone();
    let mut n = 2;
    while by_slug(db, &candidate).await?.is_some() {
        candidate = format!("{base}-{n}");
        n += 1;
    }
    Ok(candidate)
}

pub fn check_name(name: &str) -> Result<&str, AppError> {
    let name = name.trim();
    if name.is_empty() || name.chars().count() > 100 {
        return Err(AppError::bad_request(
            "An organization name is required (at most 100 characters).",
        ));
    }
    Ok(name)
}

/// Maps a JumpCloud organization of a connection to a new dashboard organization. The
/// first organization of the installation becomes the default.
pub async fn map(
    db: &Db,
    connection_id: i64,
    jumpcloud_org_id: &str,
    name: &str,
) -> Result<Org, AppError> {
    let name = check_name(name)?;
    let slug = free_slug(db, name).await?;
    let is_first = all(db).await?.is_empty();
    let id: i64 = on_db!(db, |pool| {
        sqlx::query_scalar(
        "INSERT INTO orgs (slug, name, connection_id, jumpcloud_org_id, is_default, created_at) \
         VALUES ($1, $2, $3, $4, $5, $6) RETURNING id"
    )
    .bind(&slug)
    .bind(name)
    .bind(connection_id)
    .bind(jumpcloud_org_id)
    .bind(is_first)
    .bind(now_unix())
    .fetch_one(pool)
    .await
    })
    .map_err(|error| match AppError::from(error) {
        AppError::Conflict(_) => {
            AppError::Conflict("That JumpCloud organization is already mapped.".into())
        }
        other => other,
    })?;
    by_id(db, id)
        .await?
        .ok_or_else(|| AppError::NotFound("The new organization".into()))
}

pub async fn unmap(db: &Db, org_id: i64) -> Result<(), AppError> {
    on_db!(db, |pool| sqlx::query("DELETE FROM orgs WHERE id = $1")
        .bind(org_id)
        .execute(pool)
        .await
        .map(|_| ()))?;
    ensure_default(db).await
}

pub async fn set_default(db: &Db, org_id: i64) -> Result<(), AppError> {
    on_db!(db, |pool| sqlx::query(
        "UPDATE orgs SET is_default = (id = $1)"
    )
    .bind(org_id)
    .execute(pool)
    .await
    .map(|_| ()))?;
    Ok(())
}

/// Whether single sign-on lets people from this organization's JumpCloud directory in as
/// requesters (see `sso::admission`).
pub async fn set_auto_requester(db: &Db, org_id: i64, enabled: bool) -> Result<(), AppError> {
    on_db!(db, |pool| sqlx::query(
        "UPDATE orgs SET auto_requester = $1 WHERE id = $2"
    )
    .bind(enabled)
    .bind(org_id)
    .execute(pool)
    .await
    .map(|_| ()))?;
    Ok(())
}

/// Keeps exactly one default while any organization exists.
pub async fn ensure_default(db: &Db) -> Result<(), AppError> {
    let orgs = all(db).await?;
    if !orgs.iter().any(|org| org.is_default)
        && let Some(first) = orgs.first()
    {
        set_default(db, first.id).await?;
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn slugs_are_url_safe() {
        assert_eq!(slugify("Acme Robotics"), "acme-robotics");
        assert_eq!(slugify("  Globex  Health, Inc. "), "globex-health-inc");
        assert_eq!(slugify("Ünïcode Ltd"), "n-code-ltd");
        assert_eq!(slugify("!!!"), "org");
    }

    #[test]
    fn owners_are_admins_everywhere_and_operators_within_scope() {
        use InstallationRole as Installation;
        let admin = Some(OrgRole::Admin);
        assert_eq!(effective_role(Installation::Owner, false, None), admin);
        assert_eq!(effective_role(Installation::Operator, true, None), admin);
        assert_eq!(effective_role(Installation::Operator, false, None), None);
        assert_eq!(
            effective_role(Installation::Operator, false, Some(OrgRole::Auditor)),
            Some(OrgRole::Auditor)
        );
        assert_eq!(effective_role(Installation::None, true, None), None);
        assert_eq!(
            effective_role(Installation::None, false, Some(OrgRole::Requester)),
            Some(OrgRole::Requester)
        );
    }
}
