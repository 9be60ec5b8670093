//! One organization's figures: its directory from JumpCloud (one pass over its users and
//! one over its systems, side by side) and the request counts of every organization from
//! the database in one query.

use std::collections::HashMap;

use jumpcloud::OrgClient;
use jumpcloud::systems::System;
use jumpcloud::users::SystemUser;

use super::{DirectoryFigures, STALE_DAYS};
use crate::db::Db;
use crate::devices::ssr::{is_encrypted, not_seen_for};
use crate::error::AppError;
use crate::on_db;
use crate::users::UserStatus;
use crate::users::directory::{is_locked, mfa_enrolled, status_of};

/// Reads every user and every system of the organization (pages of 100, paced by the
/// client's per-organization budget) and counts them.
pub async fn directory_figures(client: &OrgClient, now: i64) -> Result<DirectoryFigures, AppError> {
    // The overview shows no progress within one organization.
    let (mut users_progress, mut systems_progress) = (|_, _| {}, |_, _| {});
    let (users, systems) = futures::try_join!(
        client.list_all_users(&mut users_progress),
        client.list_all_systems(&mut systems_progress),
    )?;
    Ok(count(&users, &systems, now))
}

/// The same definitions as the users page (state, lockout, MFA) and the devices page's
/// `unencrypted` and `stale_days` filters, so a number and the list it links to agree.
fn count(users: &[SystemUser], systems: &[System], now: i64) -> DirectoryFigures {
    let users_in = |status: UserStatus| {
        users
            .iter()
            .filter(|user| status_of(user) == status)
            .count() as u64
    };
    DirectoryFigures {
        active: users_in(UserStatus::Active),
        staged: users_in(UserStatus::Staged),
        suspended: users_in(UserStatus::Suspended),
        locked: users.iter().filter(|user| is_locked(user)).count() as u64,
        without_mfa: users.iter().filter(|user| !mfa_enrolled(user)).count() as u64,
        devices: systems.len() as u64,
        unencrypted: systems
            .iter()
            .filter(|system| !is_encrypted(system))
            .count() as u64,
        stale: systems
            .iter()
            .filter(|system| not_seen_for(system, STALE_DAYS as i64, now))
            .count() as u64,
        read_at: now,
    }
}

/// Pending and failed requests, by Lanyard organization id.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct RequestCounts {
    pub pending: u64,
    pub failed: u64,
}

/// Every organization's counts in one grouped query; organizations without any are
/// missing from the map.
pub async fn request_counts(db: &Db) -> Result<HashMap<i64, RequestCounts>, AppError> {
    let rows: Vec<(i64, String, i64)> = on_db!(db, |pool| sqlx::query_as(
        "SELECT org_id, status, COUNT(*) FROM requests \
         WHERE status IN ('pending', 'failed') GROUP BY org_id, status"
    )
    .fetch_all(pool)
    .await)?;
    let mut counts: HashMap<i64, RequestCounts> = HashMap::new();
    for (org_id, status, count) in rows {
        let entry = counts.entry(org_id).or_default();
        let count = u64::try_from(count).unwrap_or_default();
        match status.as_str() {
            "pending" => entry.pending = count,
            _ => entry.failed = count,
        }
    }
    Ok(counts)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn user(value: serde_json::Value) -> SystemUser {
        serde_json::from_value(value).unwrap()
    }

    fn system(value: serde_json::Value) -> System {
        serde_json::from_value(value).unwrap()
    }

    #[test]
    fn figures_count_users_and_devices_as_the_list_filters_do() {
        let now = 1_795_392_000;
        let users = [
            user(
                serde_json::json!({"_id": "a", "username": "a", "email": "a@x.example", "state": "ACTIVATED", "totp_enabled": true}),
            ),
            user(
                serde_json::json!({"_id": "b", "username": "b", "email": "b@x.example", "state": "ACTIVATED", "account_locked": true}),
            ),
            user(
                serde_json::json!({"_id": "c", "username": "c", "email": "c@x.example", "state": "STAGED"}),
            ),
            user(
                serde_json::json!({"_id": "d", "username": "d", "email": "d@x.example", "state": "SUSPENDED",
                "mfaEnrollment": {"overallStatus": "ENROLLED"}}),
            ),
        ];
        let systems = [
            system(
                serde_json::json!({"_id": "s1", "fde": {"active": true}, "lastContact": "2026-11-20T00:00:00Z"}),
            ),
            system(
                serde_json::json!({"_id": "s2", "fde": {"active": false}, "lastContact": "2026-09-01T00:00:00Z"}),
            ),
            system(serde_json::json!({"_id": "s3"})),
        ];
        let figures = count(&users, &systems, now);
        assert_eq!(
            figures,
            DirectoryFigures {
                active: 2,
                staged: 1,
                suspended: 1,
                locked: 1,
                without_mfa: 2,
                devices: 3,
                unencrypted: 2,
                stale: 2,
                read_at: now,
            }
        );
    }
}
