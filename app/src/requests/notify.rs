//! Who hears about a request, and when: the people who may decide it when it is asked,
//! the requester when it is decided or fails. Written to the notification outbox in the
//! same breath as the change; delivery happens later, in the worker.

use std::collections::BTreeSet;

use crate::db::Db;
use crate::email::Email;
use crate::error::AppError;
use crate::notifications::{self, Notice};
use crate::on_db;
use crate::requests::policy::Approver;
use crate::requests::store::CatalogItem;
use crate::tenants::OrgRole;
use crate::tenants::access::OrgContext;

/// The accounts of the organization whose role is at least `role`.
async fn members_at_least(db: &Db, org_id: i64, role: OrgRole) -> Result<Vec<i64>, AppError> {
    let members: Vec<(i64, String)> = on_db!(db, |pool| sqlx::query_as(
        "SELECT m.account_id, m.role FROM memberships m JOIN accounts a ON a.id = m.account_id \
         WHERE m.org_id = $1 AND NOT a.disabled"
    )
    .bind(org_id)
    .fetch_all(pool)
    .await)?;
    Ok(members
        .into_iter()
        .filter(|(_, held)| OrgRole::parse(held).is_some_and(|held| held >= role))
        .map(|(id, _)| id)
        .collect())
}

async fn account_of(db: &Db, email: &str) -> Result<Option<i64>, AppError> {
    match Email::parse(email) {
        Ok(email) => crate::auth::accounts::id_by_email(db, &email).await,
        Err(_) => Ok(None),
    }
}

/// A new pending request: everyone its first step names hears of it (members by role,
/// named accounts, group owners, the subject's manager when they have an account),
/// except the requester.
pub async fn asked(
    db: &Db,
    context: &OrgContext,
    item: &CatalogItem,
    request_id: i64,
    manager_email: Option<&str>,
    now: i64,
) -> Result<(), AppError> {
    let policy = item.policy()?;
    let Some(step) = policy.steps.first() else {
        return Ok(());
    };
    let mut recipients = BTreeSet::new();
    for approver in &step.approvers {
        match approver {
            Approver::Role { role } => {
                recipients.extend(members_at_least(db, context.org.id, *role).await?);
            }
            Approver::Account { email } => recipients.extend(account_of(db, email).await?),
            Approver::GroupOwner => {
                for owner in item.owners() {
                    recipients.extend(account_of(db, &owner).await?);
                }
            }
            Approver::Manager => {
                if let Some(manager) = manager_email {
                    recipients.extend(account_of(db, manager).await?);
                }
            }
        }
    }
    recipients.remove(&context.account.id);
    let subject = format!(
        "{} asks for \"{}\" (request #{request_id}): your decision is needed.",
        context.account.email, item.name
    );
    let link = format!("/o/{}/requests", context.org.slug);
    for account_id in recipients {
        notifications::enqueue(
            db,
            Notice {
                org_id: context.org.id,
                account_id,
                kind: "request.asked",
                subject: &subject,
                link: &link,
                dedupe_key: &format!("request.asked:{request_id}:{account_id}"),
            },
            now,
        )
        .await?;
    }
    Ok(())
}

/// Something the requester should know about their request: its decision or a failure.
pub async fn tell_requester(
    db: &Db,
    request_id: i64,
    kind: &str,
    subject: &str,
    now: i64,
) -> Result<(), AppError> {
    let row: Option<(i64, i64, String)> = on_db!(db, |pool| sqlx::query_as(
        "SELECT r.org_id, r.requester_account_id, o.slug FROM requests r \
         JOIN orgs o ON o.id = r.org_id WHERE r.id = $1"
    )
    .bind(request_id)
    .fetch_optional(pool)
    .await)?;
    let Some((org_id, account_id, slug)) = row else {
        return Ok(());
    };
    notifications::enqueue(
        db,
        Notice {
            org_id,
            account_id,
            kind,
            subject,
            link: &crate::requests::request_path(&slug, request_id),
            dedupe_key: &format!("{kind}:{request_id}"),
        },
        now,
    )
    .await
}
