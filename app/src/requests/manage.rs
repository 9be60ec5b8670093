//! `/o/{org}/requests/manage` (admins): the catalog, failed requests (retry or cancel),
//! access expiring in the next days (renew or revoke early, ticked in bulk), and every
//! request of the organization by status, each linking to its history.

use leptos::prelude::*;
use serde::{Deserialize, Serialize};

use crate::components::{ErrorPanel, FormError};
use crate::directory::{Notice, query_param};
use crate::error::AppError;
use crate::home::org_param;
use crate::requests::items::ALL_KINDS;
use crate::requests::pages::{RequestTable, duration_label, time_left};
use crate::requests::rules::RuleView;
use crate::requests::workflows::{DeleteDepartmentRule, DepartmentRulesPanel, SaveDepartmentRule};
use crate::requests::{
    CancelFailedRequest, CatalogItemView, ChangeGrants, CreateCatalogItem, RequestView,
    RetryRequest, request_path,
};
use crate::when;

#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct ManagePage {
    /// The JumpCloud groups a catalog item can offer: (id, name).
    pub groups: Vec<(String, String)>,
    pub catalog: Vec<CatalogItemView>,
    pub rules: Vec<RuleView>,
    pub failed: Vec<RequestView>,
    pub expiring: Vec<RequestView>,
    pub days: i64,
    pub requests: Vec<RequestView>,
    pub now: i64,
}

#[server(endpoint = "requests/manage")]
pub async fn load_manage_page(
    org: String,
    days: Option<String>,
    status: Option<String>,
) -> Result<ManagePage, AppError> {
    crate::error::with_http_status(ssr::page(&org, days.as_deref(), status.as_deref()).await)
}

#[cfg(feature = "ssr")]
mod ssr {
    use super::ManagePage;
    use crate::error::AppError;
    use crate::requests::store::{self, Filter};
    use crate::state::app_state;
    use crate::tenants::Capability;
    use crate::tenants::access::authorize;

    /// Days ahead the expiring-access list looks by default.
    const DEFAULT_DAYS: i64 = 7;

    const STATUSES: [&str; 11] = [
        "pending",
        "approved",
        "executing",
        "active",
        "done",
        "denied",
        "cancelled",
        "expired",
        "failed",
        "revoking",
        "revoked",
    ];

    pub async fn page(
        org: &str,
        days: Option<&str>,
        status: Option<&str>,
    ) -> Result<ManagePage, AppError> {
        let state = app_state()?;
        let context = authorize(&state, org, Capability::ManageOrg).await?;
        let org_id = context.org.id;
        let days = match days.map(str::trim).filter(|days| !days.is_empty()) {
            None => DEFAULT_DAYS,
            Some(text) => text
                .parse::<i64>()
                .ok()
                .filter(|days| (1..=365).contains(days))
                .ok_or_else(|| AppError::bad_request("Days ahead must be between 1 and 365."))?,
        };
        let status = status.map(str::trim).filter(|status| !status.is_empty());
        if let Some(status) = status
            && !STATUSES.contains(&status)
        {
            return Err(AppError::bad_request(format!(
                "{status:?} is not a request status."
            )));
        }
        let now = state.clock.now();
        let groups = crate::directory::ssr::group_choices(&state, &context).await?;
        let rules = crate::requests::workflows::ssr::rule_views(&context, &groups).await?;
        let catalog = store::items(&state.db, org_id)
            .await?
            .iter()
            .map(store::CatalogItem::view)
            .collect();
        let failed = Filter {
            status: Some("failed"),
            ..Filter::default()
        };
        let expiring = Filter {
            active_ending_before: Some(now + days * 86_400),
            ..Filter::default()
        };
        let requests = Filter {
            status,
            ..Filter::default()
        };
        Ok(ManagePage {
            groups,
            catalog,
            rules,
            failed: store::list(&state.db, org_id, &failed).await?,
            expiring: store::list(&state.db, org_id, &expiring).await?,
            days,
            requests: store::list(&state.db, org_id, &requests).await?,
            now,
        })
    }
}

#[component]
pub fn ManageRequestsRoute() -> impl IntoView {
    let org = org_param();
    let days = query_param("days");
    let status = query_param("status");
    let create = ServerAction::<CreateCatalogItem>::new();
    let retry = ServerAction::<RetryRequest>::new();
    let cancel = ServerAction::<CancelFailedRequest>::new();
    let grants = ServerAction::<ChangeGrants>::new();
    let save_rule = ServerAction::<SaveDepartmentRule>::new();
    let delete_rule = ServerAction::<DeleteDepartmentRule>::new();
    let data = Resource::new(
        move || {
            (
                org.get(),
                days.get(),
                status.get(),
                create.version().get(),
                retry.version().get(),
                cancel.version().get(),
                grants.version().get(),
                save_rule.version().get(),
                delete_rule.version().get(),
            )
        },
        |(org, days, status, ..)| load_manage_page(org, Some(days), Some(status)),
    );
    let actions = ManageActions {
        create,
        retry,
        cancel,
        grants,
        save_rule,
        delete_rule,
    };
    view! {
        <p class="breadcrumbs"><a href=move || format!("/o/{}/requests", org.get())>"Requests"</a></p>
        <h1>"Manage requests"</h1>
        <Notice />
        <Suspense fallback=|| view! { <p class="loading">"Loading…"</p> }>
            {move || Suspend::new(async move {
                match data.await {
                    Ok(page) => view! { <ManageView page org=org.get_untracked() actions /> }.into_any(),
                    Err(error) => view! { <ErrorPanel error /> }.into_any(),
                }
            })}
        </Suspense>
    }
}

#[derive(Clone, Copy)]
struct ManageActions {
    create: ServerAction<CreateCatalogItem>,
    retry: ServerAction<RetryRequest>,
    cancel: ServerAction<CancelFailedRequest>,
    grants: ServerAction<ChangeGrants>,
    save_rule: ServerAction<SaveDepartmentRule>,
    delete_rule: ServerAction<DeleteDepartmentRule>,
}

#[component]
fn ManageView(page: ManagePage, org: String, actions: ManageActions) -> impl IntoView {
    let status = query_param("status");
    view! {
        <CatalogForm groups=page.groups.clone() catalog=page.catalog.clone() org=org.clone() create=actions.create />
        <DepartmentRulesPanel
            org=org.clone()
            rules=page.rules.clone()
            groups=page.groups.clone()
            save=actions.save_rule
            delete=actions.delete_rule
        />
        <FailedRequests failed=page.failed.clone() org=org.clone() actions />
        <crate::notifications::NotificationSettingsPanel org=org.clone() />
        <Expiring expiring=page.expiring.clone() days=page.days now=page.now org=org.clone() grants=actions.grants />
        <section class="panel">
            <h2>"All requests"</h2>
            <form method="get" class="filters" aria-label="Filter requests">
                <input type="hidden" name="days" value=page.days />
                <label>
                    "Status"
                    <select name="status">
                        <option value="">"Any"</option>
                        {["pending", "approved", "active", "done", "denied", "cancelled", "expired", "failed", "revoking", "revoked"]
                            .into_iter()
                            .map(|name| view! { <option value=name selected=status.get_untracked() == name>{name}</option> })
                            .collect_view()}
                    </select>
                </label>
                <button type="submit">"Filter"</button>
            </form>
            <RequestTable requests=page.requests.clone() org=org.clone() cancel=None />
        </section>
    }
}

#[component]
fn CatalogForm(
    groups: Vec<(String, String)>,
    catalog: Vec<CatalogItemView>,
    org: String,
    create: ServerAction<CreateCatalogItem>,
) -> impl IntoView {
    let names: std::collections::HashMap<String, String> = groups.iter().cloned().collect();
    let choices = groups.clone();
    view! {
        <section class="panel">
            <h2>"Catalog"</h2>
            {if catalog.is_empty() {
                view! { <p class="empty">"Nothing can be requested yet: add the first item below."</p> }.into_any()
            } else {
                view! {
                    <ul aria-label="Catalog">
                        {catalog.into_iter().map(|item| {
                            let offered = if item.kind.is_action() {
                                item.kind.label().to_string()
                            } else {
                                item.durations.iter().map(|d| duration_label(*d)).collect::<Vec<_>>().join(", ")
                            };
                            let open_to = open_to(&item, &names);
                            let owners = (!item.owners.is_empty()).then(|| format!("; owners {}", item.owners.join(", ")));
                            view! {
                                <li>
                                    <strong>{item.name}</strong> " — " {offered} "; " {open_to}
                                    {owners}
                                    {format!("; unanswered requests expire after {}", duration_label(item.pending_expiry_minutes))}
                                </li>
                            }
                        }).collect_view()}
                    </ul>
                }.into_any()
            }}
            <h3>"Add to the catalog"</h3>
            <p class="hint">
                "Group access is time-bound or permanent; actions (joiner, leaver, resets, device commands) run once when approved. "
                "By default the subject's JumpCloud manager or an org approver decides."
            </p>
            <ActionForm action=create attr:class="stack" attr:aria-label="Add to the catalog">
                <FormError result=create.value() />
                <input type="hidden" name="org" value=org />
                <label>"Name" <input type="text" name="name" required maxlength="100" /></label>
                <label>
                    "Kind"
                    <select name="kind">
                        {ALL_KINDS.into_iter().map(|kind| view! { <option value=kind.as_str()>{kind.label()}</option> }).collect_view()}
                    </select>
                </label>
                <label>"Description" <input type="text" name="description" maxlength="300" /></label>
                <label>
                    "JumpCloud group (group membership only)"
                    <select name="jumpcloud_group_id">
                        <option value="">"—"</option>
                        {groups.into_iter().map(|(id, name)| view! { <option value=id>{name}</option> }).collect_view()}
                    </select>
                </label>
                <label>
                    "Durations offered (minutes, comma-separated; 0 = permanent)"
                    <input type="text" name="durations" value="60,480,10080" />
                </label>
                <label>
                    "Longest grant (minutes)"
                    <input type="number" name="max_duration_minutes" value="20160" min="1" required />
                </label>
                <label>
                    "Unanswered requests expire after (days)"
                    <input type="number" name="expire_after_days" value="7" min="1" max="365" required />
                </label>
                <label>
                    "Who may request: departments (comma-separated; none listed and no group ticked = everyone)"
                    <input type="text" name="departments" maxlength="500" />
                </label>
                <fieldset class="choices">
                    <legend>"…or members of these groups"</legend>
                    {choices.into_iter().enumerate().map(|(index, (id, name))| view! {
                        <label class="check"><input type="checkbox" name=format!("eligible_groups[{index}]") value=id /> {name}</label>
                    }).collect_view()}
                </fieldset>
                <label>
                    "Group owners (emails, comma-separated; they approve where the policy names group owners)"
                    <input type="text" name="owners" maxlength="1000" />
                </label>
                <label>
                    "Approval policy (JSON; empty = the subject's manager or an org approver, 1 approval)"
                    <textarea name="policy" rows="4" maxlength="5000" placeholder=POLICY_EXAMPLE></textarea>
                </label>
                <button type="submit" class="primary">"Add item"</button>
            </ActionForm>
        </section>
    }
}

/// What the policy field accepts: steps in order (each N of its approvers), and rules
/// that approve short requests by themselves.
const POLICY_EXAMPLE: &str = r#"{"steps": [{"name": "Manager", "approvers": [{"kind": "manager"}], "required": 1}, {"name": "Security", "approvers": [{"kind": "account", "email": "sec@example.com"}, {"kind": "group_owner"}, {"kind": "role", "role": "Admin"}], "required": 1}], "auto_approve": [{"name": "Short IT access", "max_duration_minutes": 480, "departments": ["IT"]}]}"#;

/// "everyone", or the departments and groups an item is open to.
fn open_to(item: &CatalogItemView, names: &std::collections::HashMap<String, String>) -> String {
    if item.eligibility.is_everyone() {
        return "open to everyone".into();
    }
    let mut who: Vec<String> = item.eligibility.departments.clone();
    who.extend(item.eligibility.groups.iter().map(|id| {
        format!(
            "members of {}",
            names.get(id).cloned().unwrap_or_else(|| id.clone())
        )
    }));
    format!("open to {}", who.join(", "))
}

#[component]
fn FailedRequests(failed: Vec<RequestView>, org: String, actions: ManageActions) -> impl IntoView {
    view! {
        <section class="panel">
            <h2>"Failed requests"</h2>
            <FormError result=actions.retry.value() />
            <FormError result=actions.cancel.value() />
            {if failed.is_empty() {
                view! { <p class="empty">"None."</p> }.into_any()
            } else {
                view! {
                    <ul aria-label="Failed requests">
                        {failed
                            .into_iter()
                            .map(|request| {
                                let history = request_path(&org, request.id);
                                let (retry_org, cancel_org) = (org.clone(), org.clone());
                                view! {
                                    <li>
                                        <a href=history>{format!("#{}", request.id)}</a>
                                        {format!(" {} for {}: {}", request.item, request.target, request.last_error.clone().unwrap_or_default())}
                                        <ActionForm action=actions.retry attr:class="inline">
                                            <input type="hidden" name="org" value=retry_org />
                                            <input type="hidden" name="request_id" value=request.id />
                                            <button type="submit">"Retry"</button>
                                        </ActionForm>
                                        <ActionForm action=actions.cancel attr:class="inline">
                                            <input type="hidden" name="org" value=cancel_org />
                                            <input type="hidden" name="request_id" value=request.id />
                                            <button type="submit" class="link">"Cancel"</button>
                                        </ActionForm>
                                    </li>
                                }
                            })
                            .collect_view()}
                    </ul>
                }
                    .into_any()
            }}
        </section>
    }
}

/// Active grants ending within `days`: tick some, then renew them or revoke them now.
#[component]
fn Expiring(
    expiring: Vec<RequestView>,
    days: i64,
    now: i64,
    org: String,
    grants: ServerAction<ChangeGrants>,
) -> impl IntoView {
    let empty = expiring.is_empty();
    view! {
        <section class="panel">
            <h2>"Expiring access"</h2>
            <form method="get" class="filters" aria-label="Expiring within">
                <label>"Ending within (days)" <input type="number" name="days" min="1" max="365" value=days /></label>
                <button type="submit">"Show"</button>
            </form>
            <FormError result=grants.value() />
            {if empty {
                view! { <p class="empty">{format!("No access ends in the next {days} day(s).")}</p> }.into_any()
            } else { view! {
                <ActionForm action=grants attr:class="stack" attr:aria-label="Change expiring access">
                    <input type="hidden" name="org" value=org.clone() />
                    <table class="data" aria-label="Expiring access">
                        <thead><tr>
                            <th scope="col"><span class="visually-hidden">"Select"</span></th>
                            <th scope="col">"#"</th><th scope="col">"Access"</th><th scope="col">"Who"</th><th scope="col">"Ends"</th>
                        </tr></thead>
                        <tbody>
                            {expiring.clone().into_iter().enumerate().map(|(index, grant)| {
                                let ends = grant.ends_at.unwrap_or(now);
                                view! {
                                    <tr>
                                        <td><input type="checkbox" name=format!("request_ids[{index}]") value=grant.id aria-label=format!("Select grant {}", grant.id) /></td>
                                        <td><a href=request_path(&org, grant.id)>{grant.id}</a></td>
                                        <td>{grant.item.clone()}</td>
                                        <td>{grant.target.clone()}</td>
                                        <td>{when::minute(ends)} " (" {time_left(ends, now)} ")"</td>
                                    </tr>
                                }
                            }).collect_view()}
                        </tbody>
                    </table>
                    <div class="row">
                        <label>"Renew by (minutes)" <input type="number" name="minutes" min="1" value="1440" /></label>
                        <button type="submit" name="action" value="renew">"Renew selected"</button>
                        <button type="submit" name="action" value="revoke" class="danger">"Revoke selected now"</button>
                    </div>
                </ActionForm>
            }.into_any() }}
        </section>
    }
}
