//! `/o/{org}/users/{id}`: one user's profile, state, security, manager, groups, devices
//! and recent audit entries, with a form for every change.

use leptos::prelude::*;
use leptos_router::hooks::{use_params_map, use_query_map};
use serde::{Deserialize, Serialize};

use super::actions::*;
use super::{UserStatus, UserSummary, user_path, users_path};
use crate::components::{
    AuditLine, Badge, ErrorPanel, FormError, RecentChanges, TypedConfirmation,
};
use crate::error::AppError;
use crate::home::org_param;
use crate::requests::workflows::{MoverPanel, load_mover_preview};

#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct UserLink {
    pub id: String,
    pub name: String,
}

#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct GroupMembership {
    pub id: String,
    pub name: String,
    /// A member in their own right, not only through another group.
    pub direct: bool,
}

#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct ScheduledChange {
    pub job_id: String,
    pub state: Option<UserStatus>,
    pub date: String,
}

#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct MfaView {
    pub totp: String,
    pub web_authn: String,
    pub push: String,
    pub exclusion_until: Option<String>,
}

#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct UserDetail {
    pub summary: UserSummary,
    pub firstname: String,
    pub lastname: String,
    pub created: String,
    pub password_changed: String,
    pub password_expired: bool,
    pub password_expires: String,
    pub mfa: MfaView,
    pub manager: Option<UserLink>,
    pub groups: Vec<GroupMembership>,
    pub devices: Vec<crate::devices::DeviceRow>,
    pub scheduled: Vec<ScheduledChange>,
    /// The user's recent audit entries; `None` for roles that may not read the audit log.
    pub audit: Option<Vec<AuditLine>>,
    /// Whether the viewer may change the user (the forms are shown only then).
    pub can_manage: bool,
}

#[server(endpoint = "users/detail")]
pub async fn load_user(org: String, id: String) -> Result<UserDetail, AppError> {
    crate::error::with_http_status(ssr::detail(&org, &id).await)
}

#[cfg(feature = "ssr")]
mod ssr {
    use std::collections::HashMap;

    use futures::future::join_all;
    use jumpcloud::graph::GraphObjectWithPaths;

    use super::*;
    use crate::state::app_state;
    use crate::tenants::Capability;
    use crate::tenants::access::authorize;
    use crate::users::directory::{self, status_of};

    /// How many of the user's audit entries the page lists.
    const AUDIT_LINES: i64 = 10;

    pub async fn detail(org: &str, id: &str) -> Result<UserDetail, AppError> {
        let state = app_state()?;
        let context = authorize(&state, org, Capability::ViewDirectory).await?;
        let client = &context.jumpcloud;
        // Two rounds of concurrent calls: what the user's id alone names, then what the
        // user's record and memberships name (their manager, groups and devices).
        let (user, member_of, systems, scheduled) = futures::join!(
            directory::user(&state, &context, id, false),
            client.list_user_member_of(id),
            client.list_user_systems(id),
            client.list_scheduled_user_states(),
        );
        let user = user?;
        let (member_of, systems) = (member_of?, systems?);
        let manager = async {
            match user.manager.as_deref().filter(|id| !id.is_empty()) {
                Some(manager_id) => directory::user(&state, &context, manager_id, false)
                    .await
                    .ok()
                    .map(|manager| UserLink {
                        id: manager.id.clone(),
                        name: directory::display_name(&manager),
                    }),
                None => None,
            }
        };
        let (manager, groups, devices) = futures::join!(
            manager,
            groups(&context, member_of),
            join_all(systems.iter().map(|system| client.get_system(&system.id))),
        );
        let owner = HashMap::from([(user.id.clone(), user.clone())]);
        let now = crate::db::now_unix();
        let devices = devices
            .into_iter()
            .filter_map(Result::ok)
            .map(|system| crate::devices::device_row(&system, &owner, now))
            .collect();
        let scheduled = scheduled?
            .into_iter()
            .filter(|entry| entry.user_id == user.id)
            .map(|entry| ScheduledChange {
                job_id: entry.job_id,
                state: entry.state.map(|state| {
                    status_of(&jumpcloud::users::SystemUser {
                        state: Some(state),
                        ..Default::default()
                    })
                }),
                date: entry.scheduled_date.unwrap_or_default(),
            })
            .collect();
        let target = format!("user {}", user.id);
        // The user's history is audit data: only for roles that may read the audit log.
        let audit = if context.role.allows(Capability::ViewAudit) {
            let entries =
                crate::audit::for_target(&state.db, context.org.id, &target, AUDIT_LINES).await?;
            Some(entries.into_iter().map(AuditLine::from).collect())
        } else {
            None
        };
        let mfa = user.mfa_enrollment.clone().unwrap_or_default();
        let status = |value: Option<String>| value.unwrap_or_else(|| "NOT_ENROLLED".into());
        let time = |at: &Option<String>| {
            at.as_deref()
                .map(crate::when::jumpcloud_time)
                .unwrap_or_default()
        };
        Ok(UserDetail {
            summary: (&user).into(),
            firstname: user.firstname.clone().unwrap_or_default(),
            lastname: user.lastname.clone().unwrap_or_default(),
            created: time(&user.created),
            password_changed: time(&user.password_date),
            password_expired: user.password_expired == Some(true),
            password_expires: time(&user.password_expiration_date),
            mfa: MfaView {
                totp: status(mfa.totp_status),
                web_authn: status(mfa.web_authn_status),
                push: status(mfa.push_status),
                exclusion_until: user
                    .mfa
                    .as_ref()
                    .and_then(|mfa| mfa.exclusion_until.clone()),
            },
            manager,
            groups,
            devices,
            scheduled,
            audit,
            can_manage: context.role.allows(Capability::ManageDirectory),
        })
    }

    async fn groups(
        context: &crate::tenants::access::OrgContext,
        member_of: Vec<GraphObjectWithPaths>,
    ) -> Vec<GroupMembership> {
        let names = join_all(
            member_of
                .iter()
                .map(|group| context.jumpcloud.get_user_group(&group.id)),
        )
        .await;
        let mut groups: Vec<GroupMembership> = member_of
            .iter()
            .zip(names)
            .map(|(group, found)| GroupMembership {
                id: group.id.clone(),
                name: found
                    .map(|found| found.name)
                    .unwrap_or_else(|_| group.id.clone()),
                direct: group.paths.iter().any(|path| path.len() == 1),
            })
            .collect();
        groups.sort_by(|a, b| b.direct.cmp(&a.direct).then(a.name.cmp(&b.name)));
        groups
    }
}

/// The server actions of the page, created in the route component so a failed no-JS
/// submission's error reaches its form.
#[derive(Clone, Copy)]
struct UserActions {
    update: ServerAction<UpdateUserProfile>,
    manager: ServerAction<AssignManager>,
    activate: ServerAction<ActivateUser>,
    suspend: ServerAction<SuspendUser>,
    reactivate: ServerAction<ReactivateUser>,
    schedule: ServerAction<ScheduleUserState>,
    cancel: ServerAction<CancelScheduledState>,
    unlock: ServerAction<UnlockUser>,
    expire: ServerAction<ExpireUserPassword>,
    reset_mfa: ServerAction<ResetUserMfa>,
    reset_password: ServerAction<ResetUserPassword>,
    delete: ServerAction<DeleteUser>,
}

impl UserActions {
    fn new() -> Self {
        UserActions {
            update: ServerAction::new(),
            manager: ServerAction::new(),
            activate: ServerAction::new(),
            suspend: ServerAction::new(),
            reactivate: ServerAction::new(),
            schedule: ServerAction::new(),
            cancel: ServerAction::new(),
            unlock: ServerAction::new(),
            expire: ServerAction::new(),
            reset_mfa: ServerAction::new(),
            reset_password: ServerAction::new(),
            delete: ServerAction::new(),
        }
    }

    /// Changes whenever any of the actions completes: the detail reloads then.
    fn versions(self) -> usize {
        self.update.version().get()
            + self.manager.version().get()
            + self.activate.version().get()
            + self.suspend.version().get()
            + self.reactivate.version().get()
            + self.schedule.version().get()
            + self.cancel.version().get()
            + self.unlock.version().get()
            + self.expire.version().get()
            + self.reset_mfa.version().get()
    }
}

#[component]
pub fn UserPage() -> impl IntoView {
    let org = org_param();
    let params = use_params_map();
    let query = use_query_map();
    let id = Memo::new(move |_| params.read().get("id").unwrap_or_default());
    let password_token = Memo::new(move |_| query.read().get("password"));
    let moved_from = Memo::new(move |_| query.read().get("moved_from"));
    let actions = UserActions::new();
    let detail = Resource::new(
        move || (org.get(), id.get(), actions.versions()),
        |(org, id, _)| load_user(org, id),
    );
    let password = Resource::new(
        move || (org.get(), password_token.get()),
        |(org, token)| async move {
            match token {
                Some(token) => take_temporary_password(org, token).await.map(Some),
                None => Ok(None),
            }
        },
    );
    let mover = Resource::new(
        move || (org.get(), id.get(), moved_from.get()),
        |(org, id, from)| async move {
            match from {
                Some(from) => load_mover_preview(org, id, Some(from)).await,
                None => Ok(None),
            }
        },
    );
    view! {
        <p>
            <a href=move || users_path(&org.get())>"← Users"</a>
        </p>
        <Suspense fallback=|| view! { <p class="loading">"Loading…"</p> }>
            {move || Suspend::new(async move {
                let password = password.await;
                let mover = match mover.await {
                    Ok(preview) => preview.map(|preview| view! { <MoverPanel org=org.get_untracked() preview /> }.into_any()),
                    Err(error) => Some(view! { <p class="form-error" role="alert">{error.to_string()}</p> }.into_any()),
                };
                match detail.await {
                    Ok(detail) => {
                        view! {
                            <TemporaryPassword password />
                            {mover}
                            <UserDetailView org=org.get_untracked() detail actions />
                        }
                            .into_any()
                    }
                    Err(error) => view! { <ErrorPanel error /> }.into_any(),
                }
            })}
        </Suspense>
    }
}

/// The password a create or reset just set, shown this once.
#[component]
fn TemporaryPassword(password: Result<Option<Option<String>>, AppError>) -> impl IntoView {
    match password {
        Ok(Some(Some(password))) => Some(
            view! {
                <section class="panel notice" role="status">
                    <h2>"Temporary password"</h2>
                    <p>
                        "Give it to the user over a safe channel. It is shown only this once and must be changed at the first login."
                    </p>
                    <p>
                        <code class="secret" data-testid="temporary-password">{password}</code>
                    </p>
                </section>
            }
                .into_any(),
        ),
        Ok(Some(None)) => Some(
            view! {
                <p class="hint" role="status">
                    "That temporary password was already shown. Reset the password again if it was lost."
                </p>
            }
                .into_any(),
        ),
        Ok(None) => None,
        Err(error) => Some(view! { <p class="form-error" role="alert">{error.to_string()}</p> }.into_any()),
    }
}

#[component]
fn UserDetailView(org: String, detail: UserDetail, actions: UserActions) -> impl IntoView {
    let user = detail.summary.clone();
    view! {
        <h1>{user.name.clone()}</h1>
        <p class="lead badges">
            <span>{user.username.clone()} " · " {user.email.clone()}</span>
            <Badge tone=user.status.tone() text=user.status.label() />
            {user.locked.then(|| view! { <Badge tone="warn" text="Locked" /> })}
            {if user.mfa_enrolled {
                view! { <Badge tone="ok" text="MFA enrolled" /> }.into_any()
            } else {
                view! { <Badge tone="muted" text="No MFA" /> }.into_any()
            }}
        </p>
        <section class="panel">
            <h2>"Profile"</h2>
            <dl class="facts">
                <dt>"Department"</dt>
                <dd>{user.department.clone()}</dd>
                <dt>"Job title"</dt>
                <dd>{user.job_title.clone()}</dd>
                <dt>"Manager"</dt>
                <dd>
                    {detail
                        .manager
                        .clone()
                        .map(|manager| {
                            view! { <a href=user_path(&org, &manager.id)>{manager.name}</a> }
                        })}
                </dd>
                <dt>"Created"</dt>
                <dd>{detail.created.clone()}</dd>
                <dt>"Password changed"</dt>
                <dd>{detail.password_changed.clone()}</dd>
                <dt>"Password"</dt>
                <dd data-testid="password-status">
                    {if detail.password_expired {
                        "Expired: must be changed at the next login".to_string()
                    } else if detail.password_expires.is_empty() {
                        "Valid".to_string()
                    } else {
                        format!("Expires {}", detail.password_expires)
                    }}
                </dd>
                <dt>"MFA"</dt>
                <dd data-testid="mfa-status">
                    {format!(
                        "TOTP {} · WebAuthn {} · Push {}",
                        detail.mfa.totp,
                        detail.mfa.web_authn,
                        detail.mfa.push,
                    )}
                    {detail.mfa.exclusion_until.clone().map(|until| format!(" · may enroll until {until}"))}
                </dd>
            </dl>
        </section>
        {detail
            .can_manage
            .then(|| view! { <ManageForms org=org.clone() detail=detail.clone() actions /> })}
        <section class="panel">
            <h2>"Groups"</h2>
            {if detail.groups.is_empty() {
                view! { <p class="empty">"Not a member of any group."</p> }.into_any()
            } else {
                view! {
                    <ul aria-label="Groups">
                        {detail
                            .groups
                            .iter()
                            .map(|group| {
                                view! {
                                    <li>
                                        {group.name.clone()}
                                        {(!group.direct).then_some(" (through another group)")}
                                    </li>
                                }
                            })
                            .collect_view()}
                    </ul>
                }
                    .into_any()
            }}
        </section>
        <section class="panel">
            <h2>"Devices"</h2>
            {if detail.devices.is_empty() {
                view! { <p class="empty">"No device is bound to this user."</p> }.into_any()
            } else {
                view! { <crate::devices::DeviceTable org=org.clone() rows=detail.devices.clone() /> }.into_any()
            }}
        </section>
        {detail.audit.clone().map(|audit| view! { <RecentChanges audit /> })}
    }
}

/// Hidden fields every form of the page sends: the organization and the user.
#[component]
fn Target(target: StoredValue<(String, String)>) -> impl IntoView {
    let (org, id) = target.get_value();
    view! {
        <input type="hidden" name="org" value=org />
        <input type="hidden" name="id" value=id />
    }
}

#[component]
fn ManageForms(org: String, detail: UserDetail, actions: UserActions) -> impl IntoView {
    let user = detail.summary.clone();
    let target = StoredValue::new((org, user.id.clone()));
    let username = user.username.clone();
    let scheduled = detail.scheduled.clone();
    let has_scheduled = !scheduled.is_empty();
    let deletion = format!(
        "Deletes {} from JumpCloud: their {} group memberships and access to {} devices go with them. This cannot be undone.",
        user.username,
        detail.groups.iter().filter(|group| group.direct).count(),
        detail.devices.len(),
    );
    let state_forms = match user.status {
        UserStatus::Staged => view! {
            <ActionForm action=actions.activate attr:class="inline" attr:aria-label="Activate">
                <FormError result=actions.activate.value() />
                <Target target />
                <label class="choice">
                    <input type="checkbox" name="send_email" value="true" checked />
                    "Send the activation email"
                </label>
                <button type="submit">"Activate"</button>
            </ActionForm>
        }
        .into_any(),
        UserStatus::Active => view! {
            <ActionForm action=actions.suspend attr:class="inline" attr:aria-label="Suspend">
                <FormError result=actions.suspend.value() />
                <Target target />
                <p class="hint">"Suspending ends the user's logins until reactivated."</p>
                <button type="submit" class="danger">"Suspend"</button>
            </ActionForm>
        }
        .into_any(),
        UserStatus::Suspended => view! {
            <ActionForm action=actions.reactivate attr:class="inline" attr:aria-label="Reactivate">
                <FormError result=actions.reactivate.value() />
                <Target target />
                <button type="submit">"Reactivate"</button>
            </ActionForm>
        }
        .into_any(),
    };
    view! {
        <section class="panel">
            <h2>"Edit profile"</h2>
            <ActionForm action=actions.update attr:class="stack" attr:aria-label="Edit profile">
                <FormError result=actions.update.value() />
                <Target target />
                <label>"First name" <input type="text" name="firstname" value=detail.firstname.clone() /></label>
                <label>"Last name" <input type="text" name="lastname" value=detail.lastname.clone() /></label>
                <label>"Email" <input type="email" name="email" value=user.email.clone() required /></label>
                <label>"Username" <input type="text" name="username" value=user.username required /></label>
                <label>"Department" <input type="text" name="department" value=user.department.clone() /></label>
                <label>"Job title" <input type="text" name="job_title" value=user.job_title.clone() /></label>
                <button type="submit" class="primary">"Save profile"</button>
            </ActionForm>
            <ActionForm action=actions.manager attr:class="inline" attr:aria-label="Assign manager">
                <FormError result=actions.manager.value() />
                <Target target />
                <label>
                    "Manager (username or email)"
                    <input type="text" name="manager" required />
                </label>
                <button type="submit">"Assign manager"</button>
            </ActionForm>
        </section>
        <section class="panel">
            <h2>"State"</h2>
            {state_forms}
            <ActionForm action=actions.schedule attr:class="inline" attr:aria-label="Schedule a state change">
                <FormError result=actions.schedule.value() />
                <Target target />
                <label>
                    "Scheduled change"
                    <select name="state">
                        <option value="activate">"Activate"</option>
                        <option value="suspend">"Suspend"</option>
                    </select>
                </label>
                <label>"At (UTC)" <input type="datetime-local" name="at" required /></label>
                <button type="submit">"Schedule"</button>
            </ActionForm>
            {has_scheduled
                .then(move || {
                    view! {
                        <table class="data" aria-label="Scheduled changes">
                            <thead>
                                <tr>
                                    <th scope="col">"Change"</th>
                                    <th scope="col">"When (UTC)"</th>
                                    <th scope="col">"Cancel"</th>
                                </tr>
                            </thead>
                            <tbody>
                                {scheduled
                                    .into_iter()
                                    .map(|change| {
                                        let what = change.state.map(UserStatus::label).unwrap_or("Change");
                                        view! {
                                            <tr>
                                                <td>{what}</td>
                                                <td>{change.date}</td>
                                                <td>
                                                    <ActionForm action=actions.cancel attr:aria-label="Cancel scheduled change">
                                                        <Target target />
                                                        <input type="hidden" name="job_id" value=change.job_id />
                                                        <p class="hint">"Cancels the whole job, for every user scheduled with it."</p>
                                                        <button type="submit">"Cancel"</button>
                                                    </ActionForm>
                                                </td>
                                            </tr>
                                        }
                                    })
                                    .collect_view()}
                            </tbody>
                        </table>
                    }
                })}
            <FormError result=actions.cancel.value() />
        </section>
        <section class="panel">
            <h2>"Security"</h2>
            {user
                .locked
                .then(|| {
                    view! {
                        <ActionForm action=actions.unlock attr:class="inline" attr:aria-label="Unlock">
                            <FormError result=actions.unlock.value() />
                            <Target target />
                            <button type="submit">"Unlock"</button>
                        </ActionForm>
                    }
                })}
            <ActionForm action=actions.expire attr:class="inline" attr:aria-label="Expire password">
                <FormError result=actions.expire.value() />
                <Target target />
                <p class="hint">"The user must choose a new password at the next login."</p>
                <button type="submit">"Expire password"</button>
            </ActionForm>
            <ActionForm action=actions.reset_mfa attr:class="inline" attr:aria-label="Reset MFA">
                <FormError result=actions.reset_mfa.value() />
                <Target target />
                <label>
                    "Days to enroll again"
                    <input type="number" name="exclusion_days" value="7" min="0" max="365" />
                </label>
                <button type="submit">"Reset MFA"</button>
            </ActionForm>
            <ActionForm action=actions.reset_password attr:class="inline" attr:aria-label="Reset password">
                <FormError result=actions.reset_password.value() />
                <Target target />
                <p class="hint">
                    "Sets a new temporary password, shown once, that must be changed at the next login."
                </p>
                <label class="choice">
                    <input type="checkbox" name="also_mfa" value="true" />
                    "Reset MFA too"
                </label>
                <input type="hidden" name="exclusion_days" value="7" />
                <button type="submit">"Reset password"</button>
            </ActionForm>
        </section>
        <section class="panel danger-zone">
            <h2>"Delete"</h2>
            <ActionForm action=actions.delete attr:class="stack" attr:aria-label="Delete user">
                <FormError result=actions.delete.value() />
                <Target target />
                <p>{deletion}</p>
                <label class="choice">
                    <input type="checkbox" name="clear_reports" value="true" />
                    "If they manage other users, clear those users' manager"
                </label>
                <TypedConfirmation expected=username />
                <button type="submit" class="danger">"Delete user"</button>
            </ActionForm>
        </section>
    }
}
