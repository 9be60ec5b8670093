//! Device work against JumpCloud and the org's device settings, behind the device
//! server functions.

use std::collections::{BTreeSet, HashMap};

use jumpcloud::systems::{BuiltinCommand, System};
use jumpcloud::users::SystemUser;

use super::{CommandOutcome, DeviceDetail, DeviceList, DeviceRow, PolicyOutcome, needs_approval};
use crate::audit;
use crate::components::typed_confirmation;
use crate::db::{Db, now_unix};
use crate::directory::ObjectRef;
use crate::directory::ssr::{display_name, redirect_with_notice, users_by_ids};
use crate::error::AppError;
use crate::on_db;
use crate::state::app_state;
use crate::tenants::Capability;
use crate::tenants::access::authorize;
use crate::when::{ago, jumpcloud_time, minute, parse_rfc3339};

/// Rows per page of the device list.
const PAGE_SIZE: u64 = 50;
const DAY: i64 = 86_400;

/// The device list's filters, as the GET form sends them (empty fields mean "any").
#[derive(Debug, Default, PartialEq, Eq)]
pub struct Filters {
    pub os_family: Option<String>,
    pub unencrypted: bool,
    pub stale_days: Option<i64>,
    pub no_mdm: bool,
    pub sort: String,
    pub skip: u64,
}

impl Filters {
    pub fn parse(
        os: Option<String>,
        unencrypted: Option<String>,
        stale_days: Option<String>,
        no_mdm: Option<String>,
        sort: Option<String>,
        skip: Option<u64>,
    ) -> Filters {
        let ticked = |value: Option<String>| value.is_some_and(|value| !value.is_empty());
        Filters {
            os_family: os.filter(|os| !os.is_empty()),
            unencrypted: ticked(unencrypted),
            stale_days: stale_days.and_then(|days| days.trim().parse().ok()),
            no_mdm: ticked(no_mdm),
            sort: sort.unwrap_or_default(),
            skip: skip.unwrap_or_default(),
        }
    }

    fn keeps(&self, system: &System, now: i64) -> bool {
        let family_matches = self
            .os_family
            .as_ref()
            .is_none_or(|family| system.os_family.as_ref() == Some(family));
        let encryption_matches = !self.unencrypted || !is_encrypted(system);
        let stale_matches = self
            .stale_days
            .is_none_or(|days| not_seen_for(system, days, now));
        let mdm_matches = !self.no_mdm || !has_mdm(system);
        family_matches && encryption_matches && stale_matches && mdm_matches
    }
}

/// Full-disk encryption reported on (unknown counts as not encrypted).
pub(crate) fn is_encrypted(system: &System) -> bool {
    system.fde.and_then(|fde| fde.active) == Some(true)
}

/// Not in contact for `days` (never in contact counts as not seen).
pub(crate) fn not_seen_for(system: &System, days: i64, now: i64) -> bool {
    contact_unix(system).is_none_or(|seen| now - seen >= days * DAY)
}

fn has_mdm(system: &System) -> bool {
    system
        .mdm
        .as_ref()
        .and_then(|mdm| mdm.vendor.as_deref())
        .is_some_and(|vendor| vendor == "internal" || vendor == "external")
}

fn contact_unix(system: &System) -> Option<i64> {
    parse_rfc3339(system.last_contact.as_deref()?)
}

fn primary_user_id(system: &System) -> Option<String> {
    system
        .primary_system_user
        .as_ref()
        .and_then(|primary| primary.id.clone())
}

/// A device as lists show it; `users` needs to hold its primary user (if any) to name them.
pub fn row(system: &System, users: &HashMap<String, SystemUser>, now: i64) -> DeviceRow {
    let text = |value: &Option<String>| value.clone().unwrap_or_default();
    let hostname = text(&system.hostname);
    DeviceRow {
        id: system.id.clone(),
        name: system
            .display_name
            .clone()
            .filter(|name| !name.is_empty())
            .unwrap_or_else(|| hostname.clone()),
        hostname,
        os_family: text(&system.os_family),
        os: format!("{} {}", text(&system.os), text(&system.version))
            .trim()
            .to_string(),
        arch: text(&system.arch),
        serial: text(&system.serial_number),
        vendor: text(&system.hw_vendor),
        agent_version: text(&system.agent_version),
        last_contact: contact_unix(system).map(|seen| (minute(seen), ago(seen, now))),
        encrypted: system.fde.and_then(|fde| fde.active),
        mdm: system
            .mdm
            .as_ref()
            .and_then(|mdm| mdm.vendor.clone())
            .unwrap_or_else(|| "unknown".into()),
        primary_user: primary_user_id(system)
            .and_then(|id| users.get(&id))
            .map(|user| user.email.clone()),
    }
}

fn sort_systems(systems: &mut [System], sort: &str) {
    let name = |system: &System| {
        system
            .display_name
            .clone()
            .or_else(|| system.hostname.clone())
            .unwrap_or_default()
            .to_lowercase()
    };
    match sort {
        "last_contact" => systems.sort_by_key(contact_unix),
        "-last_contact" => systems.sort_by_key(|system| std::cmp::Reverse(contact_unix(system))),
        "os" => {
            systems.sort_by_key(|system| (system.os.clone(), system.version.clone(), name(system)))
        }
        _ => systems.sort_by_key(name),
    }
}

pub async fn approval_required(db: &Db, org_id: i64) -> Result<bool, AppError> {
    let required: Option<bool> = on_db!(db, |pool| sqlx::query_scalar(
        "SELECT destructive_needs_approval FROM org_device_settings WHERE org_id = $1"
    )
    .bind(org_id)
    .fetch_optional(pool)
    .await)?;
    Ok(required.unwrap_or(false))
}

async fn store_approval_required(db: &Db, org_id: i64, required: bool) -> Result<(), AppError> {
    on_db!(db, |pool| sqlx::query(
        "INSERT INTO org_device_settings (org_id, destructive_needs_approval, updated_at) \
         VALUES ($1, $2, $3) ON CONFLICT (org_id) DO UPDATE SET \
         destructive_needs_approval = excluded.destructive_needs_approval, \
         updated_at = excluded.updated_at"
    )
    .bind(org_id)
    .bind(required)
    .bind(now_unix())
    .execute(pool)
    .await
    .map(drop))?;
    Ok(())
}

pub async fn list(slug: &str, filters: Filters) -> Result<DeviceList, AppError> {
    let state = app_state()?;
    let context = authorize(&state, slug, Capability::ViewDirectory).await?;
    // JumpCloud filters only top-level fields (not `fde.active` or `mdm.vendor`), so the
    // list is filtered here, over every system of the organization.
    let mut systems = context.jumpcloud.list_all_systems(&mut |_, _| {}).await?;
    let now = now_unix();
    let os_families: BTreeSet<String> = systems
        .iter()
        .filter_map(|system| system.os_family.clone())
        .collect();
    systems.retain(|system| filters.keeps(system, now));
    sort_systems(&mut systems, &filters.sort);
    let page: Vec<&System> = systems
        .iter()
        .skip(filters.skip as usize)
        .take(PAGE_SIZE as usize)
        .collect();
    let users = users_by_ids(
        &state,
        &context,
        page.iter().filter_map(|system| primary_user_id(system)),
    )
    .await?;
    let rows = page
        .into_iter()
        .map(|system| row(system, &users, now))
        .collect();
    Ok(DeviceList {
        rows,
        total: systems.len() as u64,
        skip: filters.skip,
        limit: PAGE_SIZE,
        os_families: os_families.into_iter().collect(),
        approval_required: approval_required(&state.db, context.org.id).await?,
        can_manage_org: context.role.allows(Capability::ManageOrg),
    })
}

pub async fn detail(slug: &str, id: &str) -> Result<DeviceDetail, AppError> {
    let state = app_state()?;
    let context = authorize(&state, slug, Capability::ViewDirectory).await?;
    let api = &context.jumpcloud;
    let system = api.get_system(id).await?;
    let reached = api.list_system_users(id).await?;
    let users = users_by_ids(
        &state,
        &context,
        reached
            .iter()
            .map(|user| user.id.clone())
            .chain(primary_user_id(&system)),
    )
    .await?;
    let now = now_unix();
    let mut device_users: Vec<ObjectRef> = reached
        .iter()
        .filter_map(|reached| users.get(&reached.id))
        .map(|user| ObjectRef {
            id: user.id.clone(),
            name: format!("{} ({})", display_name(user), user.username),
        })
        .collect();
    device_users.sort_by(|a, b| a.name.cmp(&b.name));
    let group_names: HashMap<String, String> = api
        .list_all_system_groups(&mut |_, _| {})
        .await?
        .into_iter()
        .map(|group| (group.id, group.name))
        .collect();
    let groups = api
        .list_system_memberof(id)
        .await?
        .into_iter()
        .filter_map(|reached| {
            group_names.get(&reached.id).map(|name| ObjectRef {
                id: reached.id.clone(),
                name: name.clone(),
            })
        })
        .collect();
    let policy_names: HashMap<String, String> = api
        .list_all_policies(&mut |_, _| {})
        .await?
        .into_iter()
        .map(|policy| (policy.id, policy.name))
        .collect();
    let policies = api
        .list_system_policy_statuses(id)
        .await?
        .into_iter()
        .map(|result| PolicyOutcome {
            policy: ObjectRef {
                name: policy_names
                    .get(&result.policy_id)
                    .cloned()
                    .unwrap_or_else(|| result.policy_id.clone()),
                id: result.policy_id,
            },
            state: result.state.unwrap_or_else(|| "unknown".into()),
            ended_at: result
                .ended_at
                .as_deref()
                .map(jumpcloud_time)
                .unwrap_or_default(),
        })
        .collect();
    let mut results: Vec<_> = api
        .list_all_command_results(&mut |_, _| {})
        .await?
        .into_iter()
        .filter(|result| result.system_id.as_deref() == Some(id))
        .collect();
    results.sort_by_key(|result| std::cmp::Reverse(result.request_time.clone()));
    let commands = results
        .into_iter()
        .take(10)
        .map(|result| CommandOutcome {
            exit_code: result.exit_code(),
            id: result.id,
            name: result.name.unwrap_or_default(),
            requested_at: result
                .request_time
                .as_deref()
                .map(jumpcloud_time)
                .unwrap_or_default(),
        })
        .collect();
    Ok(DeviceDetail {
        device: row(&system, &users, now),
        users: device_users,
        groups,
        policies,
        commands,
        queued: system
            .built_in_commands
            .iter()
            .filter_map(|queued| queued.name.clone())
            .collect(),
        approval_required: approval_required(&state.db, context.org.id).await?,
        can_manage: context.role.allows(Capability::ManageDirectory),
    })
}

fn builtin(command: &str) -> Result<BuiltinCommand, AppError> {
    match command {
        "lock" => Ok(BuiltinCommand::Lock),
        "restart" => Ok(BuiltinCommand::Restart),
        "shutdown" => Ok(BuiltinCommand::Shutdown),
        "erase" => Ok(BuiltinCommand::Erase),
        _ => Err(AppError::bad_request(
            "Choose lock, restart, shut down or erase.",
        )),
    }
}

pub async fn run(
    slug: &str,
    id: &str,
    command: &str,
    confirm: Option<&str>,
) -> Result<(), AppError> {
    let state = app_state()?;
    let context = authorize(&state, slug, Capability::ManageDirectory).await?;
    let builtin = builtin(command)?;
    let system = context.jumpcloud.get_system(id).await?;
    let hostname = system.hostname.clone().unwrap_or_default();
    if needs_approval(command) && approval_required(&state.db, context.org.id).await? {
        return Err(AppError::bad_request(format!(
            "This organization requires an approved request to {command} a device; nothing was sent. Ask for it on the Requests page."
        )));
    }
    if !matches!(system.os_family.as_deref(), Some("linux" | "windows")) {
        return Err(AppError::bad_request(
            "Built-in commands run on Linux and Windows devices only; use Apple MDM (with a PIN) for macOS.",
        ));
    }
    if builtin == BuiltinCommand::Erase {
        typed_confirmation(confirm, &hostname)?;
    } else if confirm.is_none_or(str::is_empty) {
        return Err(AppError::bad_request(format!(
            "Tick the box to confirm the {command}; nothing was sent."
        )));
    }
    let result = context.jumpcloud.run_builtin_command(id, builtin).await;
    let outcome = if result.is_ok() { "ok" } else { "failed" };
    let summary = match &result {
        Ok(()) => format!("queued {command} on {hostname}"),
        Err(error) => format!("could not queue {command} on {hostname}: {error}"),
    };
    audit::org_action(
        &state.db,
        &context,
        &format!("device.{command}"),
        &format!("system {id}"),
        &summary,
        outcome,
    )
    .await?;
    result?;
    redirect_with_notice(
        &format!("/o/{slug}/devices/{id}"),
        &format!("Queued {command} on {hostname}: it runs when the device is next online."),
    );
    Ok(())
}

pub async fn set_approval(slug: &str, required: bool) -> Result<(), AppError> {
    let state = app_state()?;
    let context = authorize(&state, slug, Capability::ManageOrg).await?;
    store_approval_required(&state.db, context.org.id, required).await?;
    let summary = if required {
        "lock and erase now need an approved request"
    } else {
        "lock and erase run without a request"
    };
    audit::org_action(
        &state.db,
        &context,
        "org.device_approval",
        &format!("org {slug}"),
        summary,
        "ok",
    )
    .await?;
    redirect_with_notice(&format!("/o/{slug}/devices"), "Saved the device setting.");
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn empty_filter_fields_mean_any() {
        let filters = Filters::parse(
            Some(String::new()),
            None,
            Some(String::new()),
            Some("on".into()),
            None,
            None,
        );
        assert_eq!(filters.os_family, None);
        assert_eq!(filters.stale_days, None);
        assert!(filters.no_mdm && !filters.unencrypted);
    }
}
