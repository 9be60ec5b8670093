//! Joiner, mover and leaver workflows around the request engine: the department rules
//! admins keep, the group changes a department change implies (asked for from the user's
//! page), one failed step retried alone, a leaver's scheduled deletion cancelled, and a
//! joiner's temporary password, issued once to the approver who completed the request.

use leptos::prelude::*;
use serde::{Deserialize, Serialize};

use crate::components::FormError;
use crate::error::AppError;
use crate::requests::items::{GroupRef, group_names};
use crate::requests::rules::RuleView;

#[server(endpoint = "requests/rules/save")]
pub async fn save_department_rule(
    org: String,
    department: Option<String>,
    #[server(default)] groups: Vec<String>,
) -> Result<(), AppError> {
    crate::error::with_http_status(
        ssr::save_rule(&org, department.as_deref().unwrap_or_default(), groups).await,
    )
}

#[server(endpoint = "requests/rules/delete")]
pub async fn delete_department_rule(
    org: String,
    department: Option<String>,
) -> Result<(), AppError> {
    crate::error::with_http_status(
        ssr::delete_rule(&org, department.as_deref().unwrap_or_default()).await,
    )
}

/// What the department rules imply for a user whose department changed from `from`.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct MoverPreview {
    pub user_id: String,
    pub from: Option<String>,
    pub to: String,
    pub add: Vec<GroupRef>,
    pub remove: Vec<GroupRef>,
    /// The catalog's mover item the change is asked for through, if there is one.
    pub item_id: Option<i64>,
}

#[server(endpoint = "requests/mover-preview")]
pub async fn load_mover_preview(
    org: String,
    #[server(default)] user_id: String,
    from: Option<String>,
) -> Result<Option<MoverPreview>, AppError> {
    crate::error::with_http_status(ssr::preview(&org, &user_id, from.as_deref()).await)
}

/// Asks for the group changes the rules imply after a department change.
#[server(endpoint = "requests/mover")]
pub async fn request_mover(
    org: String,
    #[server(default)] user_id: String,
    from: Option<String>,
    justification: Option<String>,
) -> Result<i64, AppError> {
    crate::error::with_http_status(
        ssr::request_mover(
            &org,
            &user_id,
            from.as_deref(),
            justification.as_deref().unwrap_or_default(),
        )
        .await,
    )
}

#[server(endpoint = "requests/retry-step")]
pub async fn retry_step(
    org: String,
    request_id: i64,
    step: Option<String>,
) -> Result<(), AppError> {
    crate::error::with_http_status(
        ssr::retry_step(&org, request_id, step.as_deref().unwrap_or_default()).await,
    )
}

#[server(endpoint = "requests/cancel-deletion")]
pub async fn cancel_deletion(org: String, request_id: i64) -> Result<(), AppError> {
    crate::error::with_http_status(ssr::cancel_deletion(&org, request_id).await)
}

#[server(endpoint = "requests/joiner-password")]
pub async fn issue_joiner_password(org: String, request_id: i64) -> Result<(), AppError> {
    crate::error::with_http_status(ssr::issue_password(&org, request_id).await)
}

#[cfg(feature = "ssr")]
pub(crate) mod ssr {
    use super::MoverPreview;
    use crate::audit;
    use crate::error::AppError;
    use crate::requests::items::{Details, GroupRef, ItemKind, Mover, StepStatus};
    use crate::requests::rules::{self, RuleView};
    use crate::requests::{jobs, request_path, store, worker};
    use crate::state::app_state;
    use crate::tenants::Capability;
    use crate::tenants::access::{OrgContext, authorize};

    /// Longest a leaver's account may wait before its deletion.
    const LONGEST_DELETION_DELAY_DAYS: u32 = 3_650;

    /// The groups with these ids, named; an id the organization does not have keeps
    /// the id as its name.
    pub async fn named_groups(
        context: &OrgContext,
        ids: &[String],
    ) -> Result<Vec<GroupRef>, AppError> {
        if ids.is_empty() {
            return Ok(Vec::new());
        }
        let names = crate::directory::ssr::group_names(&app_state()?, context).await?;
        Ok(ids
            .iter()
            .map(|id| GroupRef {
                id: id.clone(),
                name: names.get(id).cloned().unwrap_or_else(|| id.clone()),
            })
            .collect())
    }

    /// The rules with their groups named from `groups` (id, name), for the management
    /// page.
    pub async fn rule_views(
        context: &OrgContext,
        groups: &[(String, String)],
    ) -> Result<Vec<RuleView>, AppError> {
        let state = app_state()?;
        let name_of = |id: &String| GroupRef {
            id: id.clone(),
            name: groups
                .iter()
                .find(|(group, _)| group == id)
                .map_or_else(|| id.clone(), |(_, name)| name.clone()),
        };
        Ok(rules::list(&state.db, context.org.id)
            .await?
            .into_iter()
            .map(|rule| RuleView {
                groups: rule.group_ids.iter().map(name_of).collect(),
                department: rule.department,
            })
            .collect())
    }

    /// The groups a joiner in `department` gets from the rules.
    pub async fn joiner_groups(
        context: &OrgContext,
        department: Option<&str>,
    ) -> Result<Vec<GroupRef>, AppError> {
        let state = app_state()?;
        let rules = rules::list(&state.db, context.org.id).await?;
        let diff = rules::diff(&rules, None, department, &[]);
        named_groups(context, &diff.add).await
    }

    /// What moving `user_id` from `from` to `to` changes, by the rules and the user's
    /// current direct groups.
    pub async fn mover_details(
        context: &OrgContext,
        user_id: &str,
        from: Option<&str>,
        to: &str,
    ) -> Result<Mover, AppError> {
        let state = app_state()?;
        let rules = rules::list(&state.db, context.org.id).await?;
        let member_of: Vec<String> = context
            .jumpcloud
            .list_user_member_of(user_id)
            .await?
            .into_iter()
            .filter(|group| group.paths.iter().any(|path| path.len() == 1))
            .map(|group| group.id)
            .collect();
        let diff = rules::diff(&rules, from, Some(to), &member_of);
        Ok(Mover {
            from: from.map(str::to_string),
            to: to.to_string(),
            add: named_groups(context, &diff.add).await?,
            remove: named_groups(context, &diff.remove).await?,
        })
    }

    /// A joiner's first day: a date after today, or none.
    pub fn start_date(text: &str, now: i64) -> Result<Option<String>, AppError> {
        let Some(start) = crate::audit::day_start(text)? else {
            return Ok(None);
        };
        if start <= now {
            return Err(AppError::bad_request(
                "The start date must be after today (the user is activated on it).",
            ));
        }
        Ok(Some(text.trim().to_string()))
    }

    /// Days until a leaver's deletion: none, or 1 to ten years.
    pub fn deletion_delay(text: &str) -> Result<Option<u32>, AppError> {
        let text = text.trim();
        if text.is_empty() {
            return Ok(None);
        }
        text.parse::<u32>()
            .ok()
            .filter(|days| (1..=LONGEST_DELETION_DELAY_DAYS).contains(days))
            .map(Some)
            .ok_or_else(|| {
                AppError::bad_request(format!(
                    "Delete after must be a number of days from 1 to {LONGEST_DELETION_DELAY_DAYS}."
                ))
            })
    }

    pub async fn save_rule(
        org: &str,
        department: &str,
        groups: Vec<String>,
    ) -> Result<(), AppError> {
        let state = app_state()?;
        let context = authorize(&state, org, Capability::ManageOrg).await?;
        let department = department.trim();
        if department.is_empty() || department.chars().count() > 100 {
            return Err(AppError::bad_request(
                "Name the department (up to 100 characters), as JumpCloud users carry it.",
            ));
        }
        let mut groups: Vec<String> = groups
            .into_iter()
            .map(|id| id.trim().to_string())
            .filter(|id| !id.is_empty())
            .collect();
        groups.sort();
        groups.dedup();
        if groups.is_empty() {
            return Err(AppError::bad_request("Choose at least one group."));
        }
        let named = named_groups(&context, &groups).await?;
        if let Some(unknown) = named.iter().find(|group| group.name == group.id) {
            return Err(AppError::bad_request(format!(
                "{:?} is not a user group of this organization.",
                unknown.id
            )));
        }
        rules::save(
            &state.db,
            context.org.id,
            department,
            &groups,
            state.clock.now(),
        )
        .await?;
        audit::org_action(
            &state.db,
            &context,
            "rule.saved",
            &format!("department {department}"),
            &format!("groups: {}", super::group_names(&named)),
            "ok",
        )
        .await
    }

    pub async fn delete_rule(org: &str, department: &str) -> Result<(), AppError> {
        let state = app_state()?;
        let context = authorize(&state, org, Capability::ManageOrg).await?;
        if !rules::delete(&state.db, context.org.id, department).await? {
            return Err(AppError::NotFound("That department rule".into()));
        }
        audit::org_action(
            &state.db,
            &context,
            "rule.deleted",
            &format!("department {}", department.trim()),
            "rule removed",
            "ok",
        )
        .await
    }

    /// The mover item a department change is asked for through: the catalog's first
    /// enabled one.
    async fn mover_item(context: &OrgContext) -> Result<Option<store::CatalogItem>, AppError> {
        let state = app_state()?;
        Ok(store::items(&state.db, context.org.id)
            .await?
            .into_iter()
            .find(|item| item.enabled && item.kind().ok() == Some(ItemKind::Mover)))
    }

    pub async fn preview(
        org: &str,
        user_id: &str,
        from: Option<&str>,
    ) -> Result<Option<MoverPreview>, AppError> {
        let state = app_state()?;
        let context = authorize(&state, org, Capability::ViewDirectory).await?;
        // Without `from` no department change is known; an empty one is "none".
        let Some(from) = from.map(str::trim) else {
            return Ok(None);
        };
        let user = context.jumpcloud.get_user(user_id).await?;
        let to = user.department.unwrap_or_default();
        if rules::key(from) == rules::key(&to) || to.is_empty() {
            return Ok(None);
        }
        let from = Some(from).filter(|from| !from.is_empty());
        let mover = mover_details(&context, &user.id, from, &to).await?;
        if mover.add.is_empty() && mover.remove.is_empty() {
            return Ok(None);
        }
        Ok(Some(MoverPreview {
            user_id: user.id,
            from: mover.from,
            to: mover.to,
            add: mover.add,
            remove: mover.remove,
            item_id: mover_item(&context).await?.map(|item| item.id),
        }))
    }

    pub async fn request_mover(
        org: &str,
        user_id: &str,
        from: Option<&str>,
        justification: &str,
    ) -> Result<i64, AppError> {
        let state = app_state()?;
        let context = authorize(&state, org, Capability::ViewDirectory).await?;
        let item = mover_item(&context).await?.ok_or_else(|| {
            AppError::bad_request(
                "Add a \"Move a user to another department\" item to the catalog first.",
            )
        })?;
        let user = context.jumpcloud.get_user(user_id).await?;
        let to = user.department.clone().unwrap_or_default();
        let justification = match justification.trim() {
            "" => format!("department changed to {to}"),
            given => given.to_string(),
        };
        let from = from.map(str::trim).filter(|from| !from.is_empty());
        let mover = mover_details(&context, &user.id, from, &to).await?;
        let details = Details {
            mover: Some(mover),
            ..Details::default()
        };
        let id = crate::requests::ssr::store_action(
            &state,
            &context,
            &item,
            &user,
            &justification,
            &details,
        )
        .await?;
        leptos_axum::redirect(&request_path(&context.org.slug, id));
        Ok(id)
    }

    pub async fn retry_step(org: &str, request_id: i64, step: &str) -> Result<(), AppError> {
        let state = app_state()?;
        let context = authorize(&state, org, Capability::ManageOrg).await?;
        let request = store::request(&state.db, context.org.id, request_id).await?;
        let mut details = request.details();
        if details.step(step).map(|found| found.status) != Some(StepStatus::Failed) {
            return Err(AppError::Conflict(format!(
                "Step {step:?} of request #{request_id} has not failed; nothing to retry."
            )));
        }
        details.only_step = Some(step.to_string());
        store::set_progress(&state.db, request_id, &details, None).await?;
        worker::retry(&state.db, &request, state.clock.now()).await?;
        state.work_queued.notify_one();
        audit::org_action(
            &state.db,
            &context,
            "request.step_retried",
            &format!("request {request_id}"),
            &format!("step {step} queued again"),
            "ok",
        )
        .await
    }

    pub async fn cancel_deletion(org: &str, request_id: i64) -> Result<(), AppError> {
        let state = app_state()?;
        let context = authorize(&state, org, Capability::ManageOrg).await?;
        let request = store::request(&state.db, context.org.id, request_id).await?;
        if !jobs::cancel_deletion(&state.db, request.id, state.clock.now()).await? {
            return Err(AppError::Conflict(
                "There is no scheduled deletion to cancel.".into(),
            ));
        }
        if request.status == "failed" {
            store::transition(&state.db, request.id, "failed", "done").await?;
        }
        audit::org_action(
            &state.db,
            &context,
            "request.deletion_cancelled",
            &format!("request {request_id}"),
            &format!("{} will not be deleted", request.target_email),
            "ok",
        )
        .await
    }

    /// Whether the account made the decision that approved the request.
    pub async fn completed_by(
        db: &crate::db::Db,
        request_id: i64,
        account_id: i64,
    ) -> Result<bool, AppError> {
        let last: Option<Option<i64>> = crate::on_db!(db, |pool| sqlx::query_scalar(
            "SELECT approver_account_id FROM decisions WHERE request_id = $1 \
             AND verdict = 'approve' ORDER BY id DESC LIMIT 1"
        )
        .bind(request_id)
        .fetch_optional(pool)
        .await)?;
        Ok(last.flatten() == Some(account_id))
    }

    /// Sets a temporary password on a completed joiner and shows it once, to the
    /// approver who completed the request. It is marked issued before JumpCloud is
    /// called, so two clicks never issue two passwords.
    pub async fn issue_password(org: &str, request_id: i64) -> Result<(), AppError> {
        let state = app_state()?;
        // Whoever approved it last may: a JumpCloud manager decides with any role.
        let context = authorize(&state, org, Capability::Enter).await?;
        let request = store::request(&state.db, context.org.id, request_id).await?;
        let item = store::item(&state.db, context.org.id, request.item_id).await?;
        if item.kind()? != ItemKind::Joiner
            || request.status != "done"
            || request.target_user_id.is_empty()
        {
            return Err(AppError::Conflict(
                "Only a completed joiner request gets a temporary password.".into(),
            ));
        }
        if !completed_by(&state.db, request_id, context.account.id).await? {
            return Err(AppError::Forbidden);
        }
        let before = request.details();
        if let Some((at, to)) = &before.password_issued {
            return Err(AppError::Conflict(format!(
                "The temporary password was issued to {to} on {}; reset the user's password to issue another.",
                crate::when::minute(*at)
            )));
        }
        let mut issued = before.clone();
        issued.password_issued = Some((state.clock.now(), context.account.email.clone()));
        if !store::replace_details(&state.db, request_id, &before, &issued).await? {
            return Err(AppError::Conflict(
                "The temporary password is being issued already.".into(),
            ));
        }
        let password = crate::users::actions::ssr::temporary_password();
        let result = crate::users::actions::ssr::set_temporary_password(
            &context,
            &request.target_user_id,
            &password,
        )
        .await;
        if let Err(error) = result {
            store::replace_details(&state.db, request_id, &issued, &before).await?;
            return Err(error.into());
        }
        audit::org_action(
            &state.db,
            &context,
            "joiner.password_issued",
            &format!("request {request_id}"),
            &format!(
                "temporary password set for {}, change forced",
                request.target_email
            ),
            "ok",
        )
        .await?;
        let token = state.users.passwords.leave(context.account.id, password);
        leptos_axum::redirect(&format!(
            "{}?password={token}",
            request_path(&context.org.slug, request_id)
        ));
        Ok(())
    }
}

/// The management page's department rules: the rules, and a form for one more.
#[component]
pub fn DepartmentRulesPanel(
    org: String,
    rules: Vec<RuleView>,
    groups: Vec<(String, String)>,
    save: ServerAction<SaveDepartmentRule>,
    delete: ServerAction<DeleteDepartmentRule>,
) -> impl IntoView {
    let no_groups = groups.is_empty();
    let rows_org = org.clone();
    view! {
        <section class="panel" aria-labelledby="rules-heading">
            <h2 id="rules-heading">"Department rules"</h2>
            <p class="hint">
                "A joiner gets their department's groups; a mover's groups follow the department change, through an approved request."
            </p>
            <FormError result=save.value() />
            <FormError result=delete.value() />
            {if rules.is_empty() {
                view! { <p class="empty">"No department rules yet."</p> }.into_any()
            } else {
                view! {
                    <table class="data" aria-label="Department rules">
                        <thead><tr>
                            <th scope="col">"Department"</th><th scope="col">"Groups"</th><th scope="col">""</th>
                        </tr></thead>
                        <tbody>
                            {rules.into_iter().map(|rule| {
                                let department = rule.department.clone();
                                let org = rows_org.clone();
                                view! {
                                    <tr>
                                        <td>{rule.department.clone()}</td>
                                        <td>{group_names(&rule.groups)}</td>
                                        <td>
                                            <ActionForm action=delete>
                                                <input type="hidden" name="org" value=org />
                                                <input type="hidden" name="department" value=department />
                                                <button type="submit" class="danger">"Remove"</button>
                                            </ActionForm>
                                        </td>
                                    </tr>
                                }
                            }).collect_view()}
                        </tbody>
                    </table>
                }.into_any()
            }}
            {if no_groups {
                view! { <p class="empty">"This organization has no user groups to give."</p> }.into_any()
            } else {
                view! {
                    <ActionForm action=save attr:class="stack" attr:aria-label="Department rule">
                        <input type="hidden" name="org" value=org.clone() />
                        <label>"Department (as on the JumpCloud user)"
                            <input type="text" name="department" required maxlength="100" />
                        </label>
                        <fieldset>
                            <legend>"Groups its people belong to"</legend>
                            {groups.into_iter().enumerate().map(|(index, (id, name))| view! {
                                <label class="check">
                                    <input type="checkbox" name=format!("groups[{index}]") value=id />
                                    " " {name}
                                </label>
                            }).collect_view()}
                        </fieldset>
                        <button type="submit" class="primary">"Save rule"</button>
                    </ActionForm>
                }.into_any()
            }}
        </section>
    }
}

/// On a user's page after their department changed: the group changes the rules imply,
/// and a button to ask for them.
#[component]
pub fn MoverPanel(org: String, preview: MoverPreview) -> impl IntoView {
    let ask = ServerAction::<RequestMover>::new();
    view! {
        <section class="panel" aria-labelledby="mover-heading" data-testid="mover-panel">
            <h2 id="mover-heading">"Department rules"</h2>
            <p>
                {format!(
                    "Moving from {} to {} means: add to {}; remove from {}.",
                    preview.from.clone().unwrap_or_else(|| "no department".into()),
                    preview.to,
                    group_names(&preview.add),
                    group_names(&preview.remove),
                )}
            </p>
            <FormError result=ask.value() />
            {match preview.item_id {
                Some(_) => view! {
                    <ActionForm action=ask attr:class="row">
                        <input type="hidden" name="org" value=org />
                        <input type="hidden" name="user_id" value=preview.user_id.clone() />
                        <input type="hidden" name="from" value=preview.from.clone().unwrap_or_default() />
                        <label>"Why" <input type="text" name="justification" maxlength="2000" /></label>
                        <button type="submit" class="primary">"Ask for these group changes"</button>
                    </ActionForm>
                }.into_any(),
                None => view! {
                    <p class="empty">
                        "To apply it through an approved request, add a \"Move a user to another department\" item to the catalog under "
                        <a href=format!("/o/{org}/requests/manage")>"Manage requests"</a> "."
                    </p>
                }.into_any(),
            }}
        </section>
    }
}
