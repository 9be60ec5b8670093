//! What an approved action item does in JumpCloud. Each action reads before it writes,
//! so a job run again after a crash finishes the work instead of repeating it; the one
//! write that cannot be read back (a device erase) is marked before it goes out.

use jumpcloud::OrgClient;
use jumpcloud::graph::{GraphObjectWithPaths, GraphOp};
use jumpcloud::systems::BuiltinCommand;
use jumpcloud::user_states::UserStateChange;
use jumpcloud::users::{ActivationEmail, MfaReset, NewUser, UserFields, UserState};

use crate::directory::ssr::directory_changed;
use crate::requests::items::{
    Details, GroupRef, ItemKind, Joiner, StepResult, StepStatus, group_names,
};
use crate::requests::jobs;
use crate::requests::store::{self, RequestRow};
use crate::requests::worker::Failure;
use crate::state::AppState;
use crate::users::cache::Touched;

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
        ItemKind::Joiner => joiner(state, jumpcloud, request, now).await?,
        ItemKind::Leaver => leaver(state, jumpcloud, request, now).await?,
        ItemKind::Mover => mover(state, jumpcloud, request, now).await?,
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
        ItemKind::Joiner
            | ItemKind::Leaver
            | ItemKind::Mover
            | ItemKind::Unlock
            | ItemKind::ResetPassword
    ) {
        directory_changed(state, request.org_id, Touched::Everything).await?;
    }
    Ok(done)
}

/// Runs a workflow's steps and records each one's result on the request as it goes, so
/// a run after a crash, a retry of the job or an admin's retry of one step skips what
/// is done.
struct Steps<'a> {
    state: &'a AppState,
    request_id: i64,
    details: Details,
    now: i64,
    /// Whether a step failed in a way worth trying again later.
    transient: bool,
}

impl<'a> Steps<'a> {
    fn new(state: &'a AppState, request: &RequestRow, now: i64) -> Self {
        Steps {
            state,
            request_id: request.id,
            details: request.details(),
            now,
            transient: false,
        }
    }

    /// Whether `name` runs now: it is not done, and no other step is retried alone.
    fn due(&self, name: &str) -> bool {
        let done = self
            .details
            .step(name)
            .is_some_and(|step| step.status == StepStatus::Done);
        !done
            && self
                .details
                .only_step
                .as_deref()
                .is_none_or(|only| only == name)
    }

    fn succeeded(&self, name: &str) -> bool {
        self.details
            .step(name)
            .is_some_and(|step| step.status == StepStatus::Done)
    }

    /// Records how `name` went, at once (a crash after this keeps the result).
    async fn record(&mut self, name: &str, result: Result<String, Failure>) -> Result<(), Failure> {
        let (status, message) = match result {
            Ok(message) => (StepStatus::Done, message),
            Err(Failure::Transient(message)) => {
                self.transient = true;
                (StepStatus::Failed, message)
            }
            Err(Failure::Permanent(message)) => (StepStatus::Failed, message),
        };
        let step = StepResult {
            name: name.to_string(),
            status,
            message,
            at: self.now,
        };
        match self.details.steps.iter_mut().find(|old| old.name == name) {
            Some(old) => *old = step,
            None => self.details.steps.push(step),
        }
        store::set_progress(&self.state.db, self.request_id, &self.details, None).await?;
        Ok(())
    }

    /// The workflow's outcome: every step's message, or the failed steps' errors (worth
    /// an automatic retry only when every failure was transient).
    async fn finish(mut self) -> Result<String, Failure> {
        self.details.only_step = None;
        store::set_progress(&self.state.db, self.request_id, &self.details, None).await?;
        let failed: Vec<String> = self
            .details
            .steps
            .iter()
            .filter(|step| step.status == StepStatus::Failed)
            .map(|step| format!("{}: {}", step.name, step.message))
            .collect();
        if failed.is_empty() {
            let done = self.details.steps.iter().map(|step| step.message.as_str());
            return Ok(done.collect::<Vec<_>>().join("; "));
        }
        let message = format!("{} step(s) failed — {}", failed.len(), failed.join("; "));
        let ran_only_transient = self.transient
            && self
                .details
                .steps
                .iter()
                .all(|step| step.status == StepStatus::Done || step.at == self.now);
        Err(if ran_only_transient {
            Failure::Transient(message)
        } else {
            Failure::Permanent(message)
        })
    }
}

/// Creates the joiner staged (unless an earlier attempt did: the email is looked up
/// first), adds the groups their department's rule gives, and schedules the activation
/// for their first day.
async fn joiner(
    state: &AppState,
    jumpcloud: &OrgClient,
    request: &RequestRow,
    now: i64,
) -> Result<String, Failure> {
    let mut steps = Steps::new(state, request, now);
    let joiner = steps
        .details
        .joiner
        .clone()
        .ok_or_else(|| Failure::Permanent("the joiner request has no profile".into()))?;
    if steps.due("create") {
        let created = create_joiner(state, jumpcloud, request, &joiner).await;
        steps.record("create", created).await?;
    }
    if !steps.succeeded("create") {
        return steps.finish().await;
    }
    // The id the create step stored (read again: this run may have just created it).
    let user_id = store::request_by_id(&state.db, request.id)
        .await?
        .map(|row| row.target_user_id)
        .unwrap_or_default();
    if steps.due("groups") {
        let added = add_to_groups(jumpcloud, &user_id, &joiner.groups).await;
        steps.record("groups", added).await?;
    }
    if let Some(day) = &joiner.start_date
        && steps.due("activation")
    {
        let scheduled = schedule_activation(jumpcloud, &user_id, day, now).await;
        steps.record("activation", scheduled).await?;
    }
    steps.finish().await
}

async fn create_joiner(
    state: &AppState,
    jumpcloud: &OrgClient,
    request: &RequestRow,
    joiner: &Joiner,
) -> Result<String, Failure> {
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

/// Adds the user to each group they are not in yet.
async fn add_to_groups(
    jumpcloud: &OrgClient,
    user_id: &str,
    groups: &[GroupRef],
) -> Result<String, Failure> {
    let member_of = direct_groups(jumpcloud.list_user_member_of(user_id).await?);
    for group in groups.iter().filter(|group| !member_of.contains(&group.id)) {
        match jumpcloud
            .set_user_group_member(&group.id, GraphOp::Add, user_id)
            .await
        {
            Ok(()) | Err(jumpcloud::Error::Conflict(_)) => {}
            Err(error) => return Err(error.into()),
        }
    }
    Ok(format!("in groups: {}", group_names(groups)))
}

/// Takes the user out of each group (already out is fine), then checks JumpCloud agrees.
async fn remove_from_groups(
    jumpcloud: &OrgClient,
    user_id: &str,
    groups: &[String],
) -> Result<(), Failure> {
    for group in groups {
        match jumpcloud
            .set_user_group_member(group, GraphOp::Remove, user_id)
            .await
        {
            Ok(()) | Err(jumpcloud::Error::NotFound(_)) => {}
            Err(error) => return Err(error.into()),
        }
    }
    let left = direct_groups(jumpcloud.list_user_member_of(user_id).await?);
    if groups.iter().any(|group| left.contains(group)) {
        return Err(Failure::Transient(
            "JumpCloud still lists group memberships after removing them".into(),
        ));
    }
    Ok(())
}

/// The groups a user is a direct member of (not through a nested group).
fn direct_groups(memberships: Vec<GraphObjectWithPaths>) -> Vec<String> {
    memberships
        .into_iter()
        .filter(|group| group.paths.iter().any(|path| path.len() == 1))
        .map(|group| group.id)
        .collect()
}

/// Schedules the activation at the start of `day` (UTC) unless JumpCloud already has it
/// scheduled; a day already begun activates the user now, without the welcome email
/// (the approver hands over the temporary password).
async fn schedule_activation(
    jumpcloud: &OrgClient,
    user_id: &str,
    day: &str,
    now: i64,
) -> Result<String, Failure> {
    let start = crate::audit::day_start(day)
        .ok()
        .flatten()
        .ok_or_else(|| Failure::Permanent(format!("{day:?} is not a date")))?;
    if start <= now {
        let user = jumpcloud.get_user(user_id).await?;
        if user.state == Some(UserState::Staged) {
            jumpcloud
                .activate_user(user_id, &ActivationEmail::Suppress)
                .await?;
        }
        return Ok(format!("activated now: the start date {day} has come"));
    }
    let already = jumpcloud
        .list_scheduled_user_states()
        .await?
        .into_iter()
        .any(|scheduled| {
            scheduled.user_id == user_id && scheduled.state == Some(UserState::Activated)
        });
    if !already {
        let start = time::OffsetDateTime::from_unix_timestamp(start)
            .map_err(|_| Failure::Permanent(format!("{day:?} is out of range")))?;
        jumpcloud
            .schedule_user_states(&UserStateChange {
                user_ids: vec![user_id.to_string()],
                state: UserState::Activated,
                start,
                send_activation_emails: Some(false),
            })
            .await?;
    }
    Ok(format!("activation scheduled for {day} (UTC)"))
}

/// Moves the user to the new department and applies the group changes approved with
/// the request.
async fn mover(
    state: &AppState,
    jumpcloud: &OrgClient,
    request: &RequestRow,
    now: i64,
) -> Result<String, Failure> {
    let mut steps = Steps::new(state, request, now);
    let mover = steps
        .details
        .mover
        .clone()
        .ok_or_else(|| Failure::Permanent("the mover request names no department".into()))?;
    let user_id = &request.target_user_id;
    if steps.due("department") {
        let moved = async {
            let user = jumpcloud.get_user(user_id).await?;
            if user.department.as_deref() != Some(mover.to.as_str()) {
                let fields = UserFields {
                    department: Some(mover.to.clone()),
                    ..Default::default()
                };
                jumpcloud.update_user(user_id, &fields).await?;
            }
            Ok(format!("department: {}", mover.to))
        }
        .await;
        steps.record("department", moved).await?;
    }
    if steps.due("groups") {
        let regrouped = async {
            add_to_groups(jumpcloud, user_id, &mover.add).await?;
            let remove: Vec<String> = mover.remove.iter().map(|group| group.id.clone()).collect();
            remove_from_groups(jumpcloud, user_id, &remove).await?;
            Ok(format!(
                "added to: {}; removed from: {}",
                group_names(&mover.add),
                group_names(&mover.remove)
            ))
        }
        .await;
        steps.record("groups", regrouped).await?;
    }
    steps.finish().await
}

/// Offboards the user, one recorded step at a time: suspend, remove every direct group,
/// end their requests and grants in Lanyard, lock their devices and schedule the
/// account's deletion if asked. A failed step does not stop the others.
async fn leaver(
    state: &AppState,
    jumpcloud: &OrgClient,
    request: &RequestRow,
    now: i64,
) -> Result<String, Failure> {
    let mut steps = Steps::new(state, request, now);
    let user_id = &request.target_user_id;
    if steps.due("suspend") {
        let suspended = async {
            let user = jumpcloud.get_user(user_id).await?;
            if user.state != Some(UserState::Suspended) {
                jumpcloud.suspend_user(user_id).await?;
            }
            Ok(format!("suspended {}", user.username))
        }
        .await;
        steps.record("suspend", suspended).await?;
    }
    if steps.due("groups") {
        let removed = async {
            let groups = direct_groups(jumpcloud.list_user_member_of(user_id).await?);
            remove_from_groups(jumpcloud, user_id, &groups).await?;
            Ok(format!("removed from {} group(s)", groups.len()))
        }
        .await;
        steps.record("groups", removed).await?;
    }
    if steps.due("requests") {
        let ended = store::end_everything_for(&state.db, request.org_id, user_id, request.id, now)
            .await
            .map_err(Failure::from)
            .map(|(cancelled, revoked)| {
                state.work_queued.notify_one();
                format!("cancelled {cancelled} pending request(s); revoking {revoked} grant(s)")
            });
        steps.record("requests", ended).await?;
    }
    if steps.details.lock_devices && steps.due("devices") {
        let locked = lock_devices(jumpcloud, user_id).await;
        steps.record("devices", locked).await?;
    }
    if let Some(days) = steps.details.delete_after_days
        && steps.due("deletion")
    {
        let due = now + i64::from(days) * 86_400;
        let scheduled = jobs::enqueue_deletion(&state.db, request.org_id, request.id, due, now)
            .await
            .map_err(Failure::from)
            .map(|()| format!("deletion scheduled for {}", crate::when::minute(due)));
        steps.record("deletion", scheduled).await?;
    }
    steps.finish().await
}

/// A leaver's scheduled deletion, when it comes. A user someone reactivated since is
/// kept: the deletion was for someone who left.
pub(crate) async fn delete_leaver(
    state: &AppState,
    jumpcloud: &OrgClient,
    request: &RequestRow,
    now: i64,
) -> Result<String, Failure> {
    let mut steps = Steps::new(state, request, now);
    let deleted = async {
        let user = match jumpcloud.get_user(&request.target_user_id).await {
            Ok(user) => user,
            Err(jumpcloud::Error::NotFound(_)) => {
                return Ok(format!("{} was already deleted", request.target_email));
            }
            Err(error) => return Err(Failure::from(error)),
        };
        if user.state != Some(UserState::Suspended) {
            return Ok(format!(
                "kept {}: no longer suspended, so not deleted",
                user.username
            ));
        }
        jumpcloud.delete_user(&user.id, false).await?;
        Ok(format!("deleted {} ({})", user.username, user.email))
    }
    .await;
    steps.record("delete", deleted).await?;
    directory_changed(state, request.org_id, Touched::Everything).await?;
    steps.finish().await
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
    let mut done = format!("locked {} device(s)", locked.len());
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
