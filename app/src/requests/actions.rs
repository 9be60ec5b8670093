//! What an approved action item does in JumpCloud. Each action reads before it writes,
//! so a job run again after a crash finishes the work instead of repeating it; the one
//! write that cannot be read back (a device erase) is marked before it goes out.

use jumpcloud::OrgClient;
use jumpcloud::systems::BuiltinCommand;
use jumpcloud::users::{MfaReset, NewUser, UserFields, UserState};

use crate::requests::items::{Details, ItemKind};
use crate::requests::store::{self, RequestRow};
use crate::requests::worker::Failure;
use crate::state::AppState;

/// Days a user whose MFA was reset may sign in while enrolling again.
const MFA_ENROLLMENT_DAYS: u32 = 7;

/// Carries out an approved action; returns what was done, for the request's history.
pub(crate) async fn carry_out(
    state: &AppState,
    jumpcloud: &OrgClient,
    request: &RequestRow,
    kind: ItemKind,
    now: i64,
) -> Result<String, Failure> {
    let details = request.details();
    let done = match kind {
        ItemKind::Group => {
            return Err(Failure::Permanent("group access is not an action".into()));
        }
        ItemKind::Joiner => joiner(state, jumpcloud, request, &details).await?,
        ItemKind::Leaver => leaver(state, jumpcloud, request, &details, now).await?,
        ItemKind::ResetMfa => {
            let reset = MfaReset {
                exclusion: true,
                exclusion_days: Some(MFA_ENROLLMENT_DAYS),
                exclusion_until: None,
            };
            jumpcloud.reset_mfa(&request.target_user_id, &reset).await?;
            format!(
                "reset MFA of {}; {MFA_ENROLLMENT_DAYS} days to enroll again",
                request.target_email
            )
        }
        ItemKind::Unlock => {
            jumpcloud.unlock_user(&request.target_user_id).await?;
            format!("unlocked {}", request.target_email)
        }
        ItemKind::ResetPassword => {
            jumpcloud.expire_password(&request.target_user_id).await?;
            format!(
                "expired the password of {}: they choose a new one at the next login",
                request.target_email
            )
        }
        ItemKind::DeviceLock => device(state, jumpcloud, request, details, "lock", now).await?,
        ItemKind::DeviceErase => device(state, jumpcloud, request, details, "erase", now).await?,
    };
    if matches!(
        kind,
        ItemKind::Joiner | ItemKind::Leaver | ItemKind::Unlock | ItemKind::ResetPassword
    ) {
        directory_changed(state, request.org_id).await?;
    }
    Ok(done)
}

/// Other pages' cached users are stale now.
async fn directory_changed(state: &AppState, org_id: i64) -> Result<(), Failure> {
    crate::tenants::orgs::bump_directory_generation(&state.db, org_id).await?;
    state.users.cache.forget_org(org_id);
    Ok(())
}

/// Creates the joiner, staged (no access until activated), unless a user with the email
/// exists: then an earlier attempt created it, and it is only recorded.
async fn joiner(
    state: &AppState,
    jumpcloud: &OrgClient,
    request: &RequestRow,
    details: &Details,
) -> Result<String, Failure> {
    let joiner = details
        .joiner
        .as_ref()
        .ok_or_else(|| Failure::Permanent("the joiner request has no profile".into()))?;
    let existing = jumpcloud
        .find_users_by_email(&joiner.email)
        .await?
        .into_iter()
        .find(|user| user.email.eq_ignore_ascii_case(&joiner.email));
    let (user, created) = match existing {
        Some(user) => (user, false),
        None => {
            let new = NewUser {
                username: joiner.username.clone(),
                email: joiner.email.clone(),
                state: Some(UserState::Staged),
                password: None,
                fields: UserFields {
                    displayname: Some(format!("{} {}", joiner.firstname, joiner.lastname)),
                    firstname: Some(joiner.firstname.clone()),
                    lastname: Some(joiner.lastname.clone()),
                    department: joiner.department.clone(),
                    job_title: joiner.job_title.clone(),
                    manager: joiner.manager.clone(),
                    ..Default::default()
                },
            };
            (jumpcloud.create_user(&new).await?, true)
        }
    };
    store::set_target_user(&state.db, request.id, &user.id).await?;
    Ok(if created {
        format!("created {} ({}), staged", user.username, user.email)
    } else {
        format!(
            "{} ({}) already existed in JumpCloud; nothing created",
            user.username, user.email
        )
    })
}

/// Suspends the user, removes every direct group membership (and checks JumpCloud agrees),
/// ends their requests and grants in Lanyard, and locks their devices if asked.
async fn leaver(
    state: &AppState,
    jumpcloud: &OrgClient,
    request: &RequestRow,
    details: &Details,
    now: i64,
) -> Result<String, Failure> {
    let user_id = &request.target_user_id;
    let user = jumpcloud.get_user(user_id).await?;
    if user.state != Some(UserState::Suspended) {
        jumpcloud.suspend_user(user_id).await?;
    }
    let direct_groups = |memberships: Vec<jumpcloud::graph::GraphObjectWithPaths>| {
        memberships
            .into_iter()
            .filter(|group| group.paths.iter().any(|path| path.len() == 1))
            .map(|group| group.id)
            .collect::<Vec<_>>()
    };
    let groups = direct_groups(jumpcloud.list_user_member_of(user_id).await?);
    for group in &groups {
        match jumpcloud
            .set_user_group_member(group, jumpcloud::graph::GraphOp::Remove, user_id)
            .await
        {
            Ok(()) | Err(jumpcloud::Error::NotFound(_)) => {}
            Err(error) => return Err(error.into()),
        }
    }
    if !direct_groups(jumpcloud.list_user_member_of(user_id).await?).is_empty() {
        return Err(Failure::Transient(
            "JumpCloud still lists group memberships after removing them".into(),
        ));
    }
    let (cancelled, revoked) =
        store::end_everything_for(&state.db, request.org_id, user_id, request.id, now).await?;
    state.work_queued.notify_one();
    let mut done = format!(
        "suspended {}; removed from {} group(s); cancelled {cancelled} pending request(s); revoking {revoked} grant(s)",
        user.username,
        groups.len()
    );
    if details.lock_devices {
        done.push_str(&lock_devices(jumpcloud, user_id).await?);
    }
    Ok(done)
}

/// Locks the user's Linux and Windows devices (a lock sent twice is harmless); macOS
/// needs Apple MDM with a PIN and is listed for a person to do.
async fn lock_devices(jumpcloud: &OrgClient, user_id: &str) -> Result<String, Failure> {
    let mut locked = Vec::new();
    let mut skipped = Vec::new();
    for bound in jumpcloud.list_user_systems(user_id).await? {
        let system = jumpcloud.get_system(&bound.id).await?;
        let name = system.hostname.clone().unwrap_or(system.id.clone());
        if matches!(system.os_family.as_deref(), Some("linux" | "windows")) {
            jumpcloud
                .run_builtin_command(&system.id, BuiltinCommand::Lock)
                .await?;
            locked.push(name);
        } else {
            skipped.push(name);
        }
    }
    let mut done = format!("; locked {} device(s)", locked.len());
    if !locked.is_empty() {
        done.push_str(&format!(": {}", locked.join(", ")));
    }
    if !skipped.is_empty() {
        done.push_str(&format!(
            "; lock by hand (Apple MDM): {}",
            skipped.join(", ")
        ));
    }
    Ok(done)
}

/// Sends a built-in command to the device. A command's queueing cannot be read back,
/// so the request is marked before sending: a job that finds the mark (the worker died
/// mid-send, or JumpCloud never answered) stops for a person to check the device.
async fn device(
    state: &AppState,
    jumpcloud: &OrgClient,
    request: &RequestRow,
    mut details: Details,
    command: &str,
    now: i64,
) -> Result<String, Failure> {
    let system_id = details
        .system_id
        .clone()
        .ok_or_else(|| Failure::Permanent("the request names no device".into()))?;
    let hostname = details.hostname.clone().unwrap_or(system_id.clone());
    if details.sending_since.is_some() {
        return Err(Failure::Permanent(format!(
            "Lanyard stopped while sending the {command} to {hostname}, so JumpCloud may have \
             queued it. Check the device's command results, then retry (sends it again) or cancel."
        )));
    }
    details.sending_since = Some(now);
    store::set_progress(&state.db, request.id, &details, None).await?;
    let builtin = if command == "erase" {
        BuiltinCommand::Erase
    } else {
        BuiltinCommand::Lock
    };
    match jumpcloud.run_builtin_command(&system_id, builtin).await {
        Ok(()) => Ok(format!(
            "queued {command} on {hostname}: it runs when the device is next online"
        )),
        Err(error @ (jumpcloud::Error::Timeout | jumpcloud::Error::Transport(_))) => {
            Err(Failure::Permanent(format!(
                "JumpCloud did not confirm the {command} of {hostname} ({error}); it may be \
                 queued. Check the device's command results, then retry or cancel."
            )))
        }
        Err(error) => {
            // JumpCloud answered: nothing was queued, so trying again is safe.
            details.sending_since = None;
            store::set_progress(&state.db, request.id, &details, None).await?;
            Err(error.into())
        }
    }
}
