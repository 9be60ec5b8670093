//! `/o/{org}/requests`: ask for access or an action, follow your requests and your
//! time-bound access (extend it), and decide others' requests. Admins keep the catalog
//! and the grants on `/o/{org}/requests/manage`. Plain forms throughout.

use leptos::prelude::*;
use serde::{Deserialize, Serialize};

use crate::components::{Badge, ErrorPanel, FormError, Pager, query_string};
use crate::directory::{Notice, query_param};
use crate::error::AppError;
use crate::home::org_param;
use crate::requests::items::{ItemKind, Target};
use crate::requests::jumpcloud_flows::{DecideJumpcloudRequest, JumpCloudRequests};
use crate::requests::{
    CancelRequest, CatalogItemView, DecideRequests, ExtendRequest, RequestView, SubmitAction,
    SubmitRequest, request_path,
};
use crate::when;

/// Everything the requests page shows, for the caller's role.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct RequestsPage {
    pub catalog: Vec<CatalogItemView>,
    pub mine: Vec<RequestView>,
    /// The caller's active time-bound grants.
    pub my_access: Vec<RequestView>,
    /// Pending requests of others the caller may decide, when there can be any: one
    /// page of them, from `inbox_skip`, out of `inbox_total`.
    pub to_decide: Option<Vec<InboxEntry>>,
    pub inbox_total: u64,
    pub inbox_skip: u64,
    pub manages: bool,
    /// JumpCloud's own pending access requests, for those who decide.
    pub jumpcloud_flows: Option<crate::requests::jumpcloud_flows::FlowRequests>,
    /// The caller's newest notifications here (subject, link, time).
    pub notifications: Vec<(String, String, i64)>,
    pub now: i64,
}

/// A pending request with what an approver weighs.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct InboxEntry {
    pub request: RequestView,
    /// "Approval: 0 of 1".
    pub progress: String,
    /// The target's current JumpCloud groups (group requests), by name.
    pub current_groups: Vec<String>,
}

/// Pending requests per page of the approver inbox.
pub const INBOX_PAGE_SIZE: u64 = 50;

#[server(endpoint = "requests/page")]
pub async fn load_requests_page(
    org: String,
    item: Option<String>,
    q: Option<String>,
    skip: Option<String>,
) -> Result<RequestsPage, AppError> {
    let skip = skip.and_then(|skip| skip.parse().ok()).unwrap_or(0);
    crate::error::with_http_status(
        ssr::page(
            &org,
            item.as_deref().unwrap_or_default(),
            q.as_deref(),
            skip,
        )
        .await,
    )
}

#[cfg(feature = "ssr")]
mod ssr {
    use std::collections::hash_map::Entry;
    use std::collections::{HashMap, HashSet};
    use std::sync::Arc;

    use futures::{StreamExt, TryStreamExt, stream};

    use super::{INBOX_PAGE_SIZE, InboxEntry, RequestsPage};
    use crate::error::AppError;
    use crate::requests::RequestView;
    use crate::requests::policy::Decider;
    use crate::requests::store::{self, RequestRow};
    use crate::state::{AppState, app_state};
    use crate::tenants::Capability;
    use crate::tenants::access::{OrgContext, authorize};

    /// At most this many pending requests show their target's groups (one JumpCloud
    /// call per distinct target).
    const GROUPS_SHOWN_FOR: usize = 50;

    /// A pending request with what deciding it needs: its stored row, its item (policy,
    /// owners) and the approvals its current step has.
    struct Pending {
        view: RequestView,
        row: RequestRow,
        item: std::sync::Arc<store::CatalogItem>,
        approvals: i64,
    }

    impl Pending {
        fn step(&self) -> usize {
            usize::try_from(self.row.step).unwrap_or(usize::MAX)
        }
    }

    /// The pending requests whose subject reports, in JumpCloud, to the signed-in
    /// account, at a step where the policy lets the manager decide. One JumpCloud lookup
    /// for the caller and one per distinct subject, however many requests are pending.
    async fn managed_by_caller(
        context: &OrgContext,
        pending: Vec<Pending>,
    ) -> Result<Vec<Pending>, AppError> {
        let asking_manager: Vec<_> = pending
            .into_iter()
            .filter(|entry| {
                entry
                    .item
                    .policy()
                    .is_ok_and(|policy| policy.names_manager(entry.step()))
            })
            .collect();
        if asking_manager.is_empty() {
            return Ok(Vec::new());
        }
        let email = &context.account.email;
        let caller: HashSet<String> = context
            .jumpcloud
            .find_users_by_email(email)
            .await?
            .into_iter()
            .filter(|user| user.email.eq_ignore_ascii_case(email))
            .map(|user| user.id)
            .collect();
        if caller.is_empty() {
            return Ok(Vec::new());
        }
        let mut managers: HashMap<String, Option<String>> = HashMap::new();
        let mut managed = Vec::new();
        for entry in asking_manager {
            let Some(subject) = entry.row.manager_of() else {
                continue;
            };
            let manager = match managers.entry(subject) {
                Entry::Occupied(known) => known.into_mut(),
                Entry::Vacant(slot) => {
                    let user = context.jumpcloud.get_user(slot.key()).await?;
                    slot.insert(user.manager)
                }
            };
            if manager.as_ref().is_some_and(|id| caller.contains(id)) {
                managed.push(entry);
            }
        }
        Ok(managed)
    }

    /// The listed pending requests with their rows, items and approvals: two queries for
    /// the rows and counts, one per distinct item.
    async fn pending_entries(
        state: &AppState,
        org_id: i64,
        listed: Vec<RequestView>,
    ) -> Result<Vec<Pending>, AppError> {
        let ids: Vec<i64> = listed.iter().map(|request| request.id).collect();
        let mut stored = store::pending_with_approvals(&state.db, org_id, &ids).await?;
        let mut items: HashMap<i64, std::sync::Arc<store::CatalogItem>> = HashMap::new();
        let mut entries = Vec::with_capacity(listed.len());
        for view in listed {
            // Decided between the two reads: no longer pending, not shown.
            let Some((row, approvals)) = stored.remove(&view.id) else {
                continue;
            };
            let item = match items.entry(row.item_id) {
                Entry::Occupied(known) => known.get().clone(),
                Entry::Vacant(slot) => slot
                    .insert(std::sync::Arc::new(
                        store::item(&state.db, org_id, row.item_id).await?,
                    ))
                    .clone(),
            };
            entries.push(Pending {
                view,
                row,
                item,
                approvals,
            });
        }
        Ok(entries)
    }

    /// "Approval: 1 of 2" for each entry, and the current groups of group requests'
    /// targets.
    async fn inbox(
        context: &OrgContext,
        entries: Vec<Pending>,
    ) -> Result<Vec<InboxEntry>, AppError> {
        let targets: HashSet<String> = entries
            .iter()
            .filter(|entry| !entry.view.kind.is_action() && !entry.row.target_user_id.is_empty())
            .take(GROUPS_SHOWN_FOR)
            .map(|entry| entry.row.target_user_id.clone())
            .collect();
        let mut groups_of: HashMap<String, Vec<String>> = HashMap::new();
        if !targets.is_empty() {
            let state = app_state()?;
            let cache = &state.users.cache;
            let org = &context.org;
            let names = crate::directory::ssr::group_names(&state, context).await?;
            let (jumpcloud, db) = (&context.jumpcloud, &state.db);
            groups_of = stream::iter(targets)
                .map(|target| async move {
                    if let Some(groups) = cache.member_of(db, org, &target).await? {
                        return Ok((target, groups));
                    }
                    let groups = Arc::new(jumpcloud.list_user_member_of(&target).await?);
                    cache.put_member_of(org, &target, groups.clone());
                    Ok::<_, AppError>((target, groups))
                })
                .buffer_unordered(4)
                .map_ok(|(target, groups)| {
                    let mut named: Vec<String> = groups
                        .iter()
                        .filter_map(|group| names.get(&group.id).cloned())
                        .collect();
                    named.sort();
                    (target, named)
                })
                .try_collect()
                .await?;
        }
        let mut inbox = Vec::with_capacity(entries.len());
        for entry in entries {
            let step = entry.step();
            let policy = entry.item.policy()?;
            let step_name = policy
                .steps
                .get(step)
                .map(|step| step.name.clone())
                .unwrap_or_default();
            let progress = format!(
                "{step_name}: {} of {} (step {} of {})",
                entry.approvals,
                policy.required(step),
                step + 1,
                policy.steps.len()
            );
            inbox.push(InboxEntry {
                current_groups: groups_of
                    .get(&entry.row.target_user_id)
                    .cloned()
                    .unwrap_or_default(),
                request: entry.view,
                progress,
            });
        }
        Ok(inbox)
    }

    /// The catalog items the caller may request; the directory is asked about the
    /// caller only when some item is not open to everyone.
    async fn requestable(
        context: &OrgContext,
        items: Vec<store::CatalogItem>,
    ) -> Result<Vec<crate::requests::CatalogItemView>, AppError> {
        let rules: Vec<_> = items.iter().map(store::CatalogItem::eligibility).collect();
        let own = if rules.iter().all(|rules| rules.is_everyone()) {
            None
        } else {
            crate::requests::ssr::own_directory_user(context).await?
        };
        let groups: Vec<String> = match &own {
            Some(user) if rules.iter().any(|rules| !rules.groups.is_empty()) => context
                .jumpcloud
                .list_user_member_of(&user.id)
                .await?
                .into_iter()
                .map(|group| group.id)
                .collect(),
            _ => Vec::new(),
        };
        let department = own.as_ref().and_then(|user| user.department.as_deref());
        Ok(items
            .iter()
            .zip(&rules)
            .filter(|(_, rules)| {
                rules.is_everyone() || (own.is_some() && rules.admits(department, &groups))
            })
            .map(|(item, _)| item.view())
            .collect())
    }

    /// The pending requests the caller may decide: one page of them and how many there
    /// are. Deciders of every request get the page straight from the database; others
    /// (named approvers, group owners, managers in JumpCloud) from the first
    /// [`store::LIST_LIMIT`] pending requests, sifted.
    async fn decidable(
        state: &AppState,
        context: &OrgContext,
        filter: store::Filter<'_>,
        skip: u64,
    ) -> Result<(Vec<Pending>, u64), AppError> {
        let org_id = context.org.id;
        let page_size = INBOX_PAGE_SIZE as usize;
        if context.role.allows(Capability::DecideRequests) {
            let total = store::count(&state.db, org_id, &filter).await?;
            let page = store::Filter {
                skip: i64::try_from(skip).unwrap_or(i64::MAX),
                limit: Some(INBOX_PAGE_SIZE as i64),
                ..filter
            };
            let listed = store::list(&state.db, org_id, &page).await?;
            let pending = pending_entries(state, org_id, listed).await?;
            return Ok((pending, u64::try_from(total).unwrap_or(0)));
        }
        let listed = store::list(&state.db, org_id, &filter).await?;
        let pending = pending_entries(state, org_id, listed).await?;
        // Named approvers and group owners decide without asking JumpCloud; anyone may
        // also be a subject's manager there.
        let (mut mine, others): (Vec<_>, Vec<_>) = pending.into_iter().partition(|entry| {
            let owners = entry.item.owners();
            let decider = Decider {
                email: &context.account.email,
                role: context.role,
                target_manager_email: None,
                requester_email: &entry.view.requester,
                group_owners: &owners,
            };
            entry
                .item
                .policy()
                .is_ok_and(|policy| policy.may_decide(entry.step(), &decider))
        });
        mine.extend(managed_by_caller(context, others).await?);
        mine.sort_by_key(|entry| std::cmp::Reverse(entry.view.id));
        let total = mine.len() as u64;
        let skip = usize::try_from(skip).unwrap_or(usize::MAX);
        Ok((mine.into_iter().skip(skip).take(page_size).collect(), total))
    }

    pub async fn page(
        org: &str,
        item: &str,
        text: Option<&str>,
        skip: u64,
    ) -> Result<RequestsPage, AppError> {
        let state = app_state()?;
        let context = authorize(&state, org, Capability::RequestAccess).await?;
        let org_id = context.org.id;
        let catalog = requestable(&context, store::items(&state.db, org_id).await?).await?;
        let mine_filter = store::Filter {
            requester: Some(context.account.id),
            ..store::Filter::default()
        };
        let mine = store::list(&state.db, org_id, &mine_filter).await?;
        let my_access = mine
            .iter()
            .filter(|request| request.status == "active")
            .cloned()
            .collect();
        let pending_filter = store::Filter {
            status: Some("pending"),
            not_requester: Some(context.account.id),
            item_id: item.parse().ok(),
            text,
            ..store::Filter::default()
        };
        let (pending, inbox_total) = decidable(&state, &context, pending_filter, skip).await?;
        let to_decide = if context.role.allows(Capability::DecideRequests) || inbox_total > 0 {
            Some(inbox(&context, pending).await?)
        } else {
            None
        };
        let notifications =
            crate::notifications::recent(&state.db, org_id, context.account.id, 5).await?;
        let jumpcloud_flows = if context.role.allows(Capability::DecideRequests) {
            Some(crate::requests::jumpcloud_flows::ssr::pending(&state, &context).await)
        } else {
            None
        };
        Ok(RequestsPage {
            catalog,
            mine,
            my_access,
            to_decide,
            inbox_total,
            inbox_skip: skip,
            manages: context.role.allows(Capability::ManageOrg),
            jumpcloud_flows,
            notifications,
            now: state.clock.now(),
        })
    }
}

/// "1 hour", "8 hours", "7 days", "permanent".
pub fn duration_label(minutes: i64) -> String {
    match minutes {
        0 => "permanent".into(),
        m if m % 1440 == 0 => plural(m / 1440, "day"),
        m if m % 60 == 0 => plural(m / 60, "hour"),
        m => plural(m, "minute"),
    }
}

fn plural(n: i64, unit: &str) -> String {
    if n == 1 {
        format!("1 {unit}")
    } else {
        format!("{n} {unit}s")
    }
}

/// "2 hours 5 minutes left", rounded down to the minute.
pub fn time_left(ends_at: i64, now: i64) -> String {
    let minutes = (ends_at - now).max(0) / 60;
    match (minutes / 60, minutes % 60) {
        (0, 0) => "less than a minute left".into(),
        (0, m) => format!("{} left", plural(m, "minute")),
        (h, 0) => format!("{} left", plural(h, "hour")),
        (h, m) => format!("{} {} left", plural(h, "hour"), plural(m, "minute")),
    }
}

/// What a request is for, as a table cell: "1 hour", or the action's target.
fn what_for(request: &RequestView) -> String {
    if request.kind.is_action() {
        request.target.clone()
    } else {
        let duration = duration_label(request.duration_minutes.unwrap_or(0));
        match request.extends {
            Some(grant) => format!("{duration} more (extends #{grant})"),
            None => duration,
        }
    }
}

/// What an action will do (its groups, department change, schedule), as a short list.
#[component]
pub(crate) fn PlanLines(plan: Vec<String>) -> impl IntoView {
    (!plan.is_empty()).then(|| {
        view! {
            <ul class="plan" aria-label="What it does">
                {plan.into_iter().map(|line| view! { <li>{line}</li> }).collect_view()}
            </ul>
        }
    })
}

fn status_tone(status: &str) -> &'static str {
    match status {
        "active" | "done" => "ok",
        "denied" | "failed" => "danger",
        "pending" | "approved" | "revoking" => "warn",
        _ => "muted",
    }
}

#[component]
pub fn RequestsRoute() -> impl IntoView {
    let org = org_param();
    let item = query_param("item");
    let q = query_param("q");
    let skip = query_param("skip");
    let submit = ServerAction::<SubmitRequest>::new();
    let submit_action = ServerAction::<SubmitAction>::new();
    let cancel = ServerAction::<CancelRequest>::new();
    let decide = ServerAction::<DecideRequests>::new();
    let extend = ServerAction::<ExtendRequest>::new();
    let decide_flow = ServerAction::<DecideJumpcloudRequest>::new();
    let data = Resource::new(
        move || {
            (
                org.get(),
                item.get(),
                q.get(),
                skip.get(),
                submit.version().get(),
                submit_action.version().get(),
                cancel.version().get(),
                decide.version().get(),
                extend.version().get(),
                decide_flow.version().get(),
            )
        },
        |(org, item, q, skip, ..)| load_requests_page(org, Some(item), Some(q), Some(skip)),
    );
    let actions = PageActions {
        submit,
        submit_action,
        cancel,
        decide,
        extend,
        decide_flow,
    };
    view! {
        <h1>"Requests"</h1>
        <Notice />
        <Suspense fallback=|| view! { <p class="loading">"Loading…"</p> }>
            {move || Suspend::new(async move {
                match data.await {
                    Ok(page) => view! { <RequestsView page org=org.get_untracked() actions /> }.into_any(),
                    Err(error) => view! { <ErrorPanel error /> }.into_any(),
                }
            })}
        </Suspense>
    }
}

#[derive(Clone, Copy)]
struct PageActions {
    submit: ServerAction<SubmitRequest>,
    submit_action: ServerAction<SubmitAction>,
    cancel: ServerAction<CancelRequest>,
    decide: ServerAction<DecideRequests>,
    extend: ServerAction<ExtendRequest>,
    decide_flow: ServerAction<DecideJumpcloudRequest>,
}

#[component]
fn RequestsView(page: RequestsPage, org: String, actions: PageActions) -> impl IntoView {
    let has_catalog = !page.catalog.is_empty();
    let catalog_org = org.clone();
    let catalog = page.catalog.clone();
    view! {
        {page.manages.then(|| view! {
            <p class="actions"><a href=format!("/o/{org}/requests/manage")>"Manage the catalog and grants"</a></p>
        })}
        {(!page.notifications.is_empty()).then(|| view! {
            <section class="panel" aria-label="Notifications">
                <h2>"For you"</h2>
                <ul>
                    {page.notifications.iter().map(|(subject, link, at)| view! {
                        <li><a href=link.clone()>{subject.clone()}</a> " " <span class="muted">{when::minute(*at)}</span></li>
                    }).collect_view()}
                </ul>
            </section>
        })}
        <section class="panel">
            <h2>"Request access"</h2>
            <FormError result=actions.submit.value() />
            <FormError result=actions.submit_action.value() />
            <Show
                when=move || has_catalog
                fallback=|| view! { <p class="empty">"Nothing can be requested in this organization yet."</p> }
            >
                <ul class="catalog">
                    {catalog
                        .clone()
                        .into_iter()
                        .map(|item| {
                            let org = catalog_org.clone();
                            if item.kind.is_action() {
                                view! { <ActionEntry item org submit=actions.submit_action /> }.into_any()
                            } else {
                                view! { <CatalogEntry item org submit=actions.submit /> }.into_any()
                            }
                        })
                        .collect_view()}
                </ul>
            </Show>
        </section>
        {page.to_decide.clone().map(|pending| {
            let catalog = page.catalog.clone();
            view! {
                <Inbox
                    pending
                    total=page.inbox_total
                    skip=page.inbox_skip
                    catalog
                    org=org.clone()
                    decide=actions.decide
                />
            }
        })}
        {page.jumpcloud_flows.clone().map(|requests| view! {
            <JumpCloudRequests requests org=org.clone() decide=actions.decide_flow />
        })}
        <MyAccess grants=page.my_access.clone() catalog=page.catalog.clone() org=org.clone() now=page.now extend=actions.extend />
        <section class="panel">
            <h2>"My requests"</h2>
            <FormError result=actions.cancel.value() />
            <RequestTable requests=page.mine.clone() org=org.clone() cancel=Some(actions.cancel) />
        </section>
    }
}

#[component]
fn CatalogEntry(
    item: CatalogItemView,
    org: String,
    submit: ServerAction<SubmitRequest>,
) -> impl IntoView {
    let label = format!("Request {}", item.name);
    view! {
        <li>
            <ActionForm action=submit attr:class="stack" attr:aria-label=label>
                <strong>{item.name.clone()}</strong>
                <span class="hint">{item.description.clone()}</span>
                <input type="hidden" name="org" value=org />
                <input type="hidden" name="item_id" value=item.id />
                <label>
                    "For how long"
                    <select name="duration_minutes">
                        {item
                            .durations
                            .iter()
                            .map(|minutes| view! { <option value=*minutes>{duration_label(*minutes)}</option> })
                            .collect_view()}
                    </select>
                </label>
                <label>
                    "Why do you need it?"
                    <textarea name="justification" required rows="2" maxlength="2000"></textarea>
                </label>
                <button type="submit" class="primary">"Send request"</button>
            </ActionForm>
        </li>
    }
}

/// A request for an action: the fields depend on whom or what it acts on.
#[component]
fn ActionEntry(
    item: CatalogItemView,
    org: String,
    submit: ServerAction<SubmitAction>,
) -> impl IntoView {
    let label = format!("Request {}", item.name);
    let fields = match item.kind.target() {
        Target::NewUser => view! {
            <label>"Email" <input type="email" name="email" required maxlength="254" /></label>
            <label>"First name" <input type="text" name="firstname" required maxlength="100" /></label>
            <label>"Last name" <input type="text" name="lastname" required maxlength="100" /></label>
            <label>"Department" <input type="text" name="department" maxlength="100" /></label>
            <label>"Job title" <input type="text" name="job_title" maxlength="100" /></label>
            <label>"Manager (email or username)" <input type="text" name="manager" maxlength="254" /></label>
            <label>"Start date (UTC; activated that day)" <input type="date" name="start_date" /></label>
        }
        .into_any(),
        Target::ExistingUser => view! {
            <label>"User (email or username)" <input type="text" name="target" required maxlength="254" /></label>
            {(item.kind == ItemKind::Leaver).then(|| view! {
                <label class="check"><input type="checkbox" name="lock_devices" value="on" /> "Also lock their Linux and Windows devices"</label>
                <label>
                    "Delete the account after (days; empty: keep it suspended)"
                    <input type="number" name="delete_after_days" min="1" max="3650" />
                </label>
            })}
            {(item.kind == ItemKind::Mover).then(|| view! {
                <label>"New department" <input type="text" name="department" required maxlength="100" /></label>
            })}
        }
        .into_any(),
        Target::Device => view! {
            <label>"Device id" <input type="text" name="device" required maxlength="24" pattern="[0-9a-fA-F]{24}" /></label>
        }
        .into_any(),
        Target::Requester => ().into_any(),
    };
    view! {
        <li>
            <ActionForm action=submit attr:class="stack" attr:aria-label=label>
                <strong>{item.name.clone()}</strong>
                <span class="hint">{item.description.clone()} " " <Badge tone="muted" text=item.kind.label() /></span>
                <input type="hidden" name="org" value=org />
                <input type="hidden" name="item_id" value=item.id />
                {fields}
                <label>
                    "Why is it needed?"
                    <textarea name="justification" required rows="2" maxlength="2000"></textarea>
                </label>
                <button type="submit" class="primary">"Send request"</button>
            </ActionForm>
        </li>
    }
}

/// Pending requests the caller may decide: each row decides alone, or tick several and
/// decide them together. One form, so it works without JavaScript.
#[component]
fn Inbox(
    pending: Vec<InboxEntry>,
    total: u64,
    skip: u64,
    catalog: Vec<CatalogItemView>,
    org: String,
    decide: ServerAction<DecideRequests>,
) -> impl IntoView {
    let empty = pending.is_empty();
    let shown = pending.len();
    let item = query_param("item");
    let q = query_param("q");
    let filter_query = query_string([
        ("item", item.get_untracked().as_str()),
        ("q", q.get_untracked().as_str()),
    ]);
    let inbox_path = format!("/o/{org}/requests");
    view! {
        <section class="panel">
            <h2>"Waiting for your decision"</h2>
            <form method="get" class="filters" aria-label="Filter requests to decide">
                <label>
                    "Item"
                    <select name="item">
                        <option value="">"Any"</option>
                        {catalog.into_iter().map(|entry| {
                            let selected = item.get_untracked() == entry.id.to_string();
                            view! { <option value=entry.id selected=selected>{entry.name}</option> }
                        }).collect_view()}
                    </select>
                </label>
                <label>"Requester or target" <input type="search" name="q" value=q.get_untracked() /></label>
                <button type="submit">"Filter"</button>
            </form>
            <FormError result=decide.value() />
            {if empty {
                view! { <p class="empty">"Nothing is waiting for you."</p> }.into_any()
            } else { view! {
                <ActionForm action=decide attr:class="stack" attr:aria-label="Decide requests">
                    <input type="hidden" name="org" value=org.clone() />
                    <label>"Comment (sent with the decision)" <input type="text" name="comment" maxlength="500" /></label>
                    <table class="data" aria-label="Waiting for your decision">
                        <thead>
                            <tr>
                                <th scope="col"><span class="visually-hidden">"Select"</span></th>
                                <th scope="col">"Requester"</th>
                                <th scope="col">"Access"</th>
                                <th scope="col">"For"</th>
                                <th scope="col">"Why"</th>
                                <th scope="col">"Current groups"</th>
                                <th scope="col">"Progress"</th>
                                <th scope="col">"Decision"</th>
                            </tr>
                        </thead>
                        <tbody>
                            {pending
                                .clone()
                                .into_iter()
                                .enumerate()
                                .map(|(index, entry)| {
                                    let request = entry.request;
                                    let id = request.id;
                                    view! {
                                        <tr>
                                            <td>
                                                <input type="checkbox" name=format!("request_ids[{index}]") value=id aria-label=format!("Select request {id}") />
                                            </td>
                                            <td>{request.requester.clone()}</td>
                                            <td><a href=request_path(&org, id)>{request.item.clone()}</a></td>
                                            <td>
                                                {what_for(&request)}
                                                <PlanLines plan=request.plan.clone() />
                                            </td>
                                            <td>{request.justification.clone()}</td>
                                            <td>{entry.current_groups.join(", ")}</td>
                                            <td>{entry.progress}</td>
                                            <td class="row">
                                                <button type="submit" name="verdict" value=format!("approve:{id}") class="primary">"Approve"</button>
                                                <button type="submit" name="verdict" value=format!("deny:{id}") class="danger">"Deny"</button>
                                            </td>
                                        </tr>
                                    }
                                })
                                .collect_view()}
                        </tbody>
                    </table>
                    <div class="row">
                        <button type="submit" name="verdict" value="approve">"Approve selected"</button>
                        <button type="submit" name="verdict" value="deny">"Deny selected"</button>
                    </div>
                </ActionForm>
            }.into_any() }}
            <Pager
                path=inbox_path
                query=filter_query
                skip
                limit=INBOX_PAGE_SIZE
                shown
                total=Some(total)
            />
        </section>
    }
}

/// The caller's active time-bound grants, with the time left and a way to ask for more.
#[component]
fn MyAccess(
    grants: Vec<RequestView>,
    catalog: Vec<CatalogItemView>,
    org: String,
    now: i64,
    extend: ServerAction<ExtendRequest>,
) -> impl IntoView {
    if grants.is_empty() {
        return ().into_any();
    }
    view! {
        <section class="panel">
            <h2>"My access"</h2>
            <FormError result=extend.value() />
            <table class="data" aria-label="My access">
                <thead>
                    <tr>
                        <th scope="col">"Access"</th>
                        <th scope="col">"Ends"</th>
                        <th scope="col">"Extend"</th>
                    </tr>
                </thead>
                <tbody>
                    {grants
                        .into_iter()
                        .map(|grant| {
                            let org = org.clone();
                            let ends = grant.ends_at.unwrap_or(now);
                            let durations: Vec<i64> = catalog
                                .iter()
                                .find(|item| item.name == grant.item)
                                .map(|item| item.durations.iter().copied().filter(|d| *d > 0).collect())
                                .unwrap_or_default();
                            view! {
                                <tr>
                                    <td>{grant.item.clone()}</td>
                                    <td>
                                        {when::minute(ends)} " (" {time_left(ends, now)} ")"
                                        {grant.reminded.then(|| view! { " " <Badge tone="warn" text="ends soon" /> })}
                                    </td>
                                    <td>
                                        <ActionForm action=extend attr:class="row" attr:aria-label=format!("Extend {}", grant.item)>
                                            <input type="hidden" name="org" value=org />
                                            <input type="hidden" name="request_id" value=grant.id />
                                            <select name="duration_minutes" aria-label="By">
                                                {durations.into_iter().map(|minutes| view! { <option value=minutes>{duration_label(minutes)}</option> }).collect_view()}
                                            </select>
                                            <input type="text" name="justification" required maxlength="2000" placeholder="Why" aria-label="Why" />
                                            <button type="submit">"Ask to extend"</button>
                                        </ActionForm>
                                    </td>
                                </tr>
                            }
                        })
                        .collect_view()}
                </tbody>
            </table>
        </section>
    }
    .into_any()
}

/// A list of requests with their status; each links to its history.
#[component]
pub(crate) fn RequestTable(
    requests: Vec<RequestView>,
    org: String,
    cancel: Option<ServerAction<CancelRequest>>,
) -> impl IntoView {
    if requests.is_empty() {
        return view! { <p class="empty">"No requests yet."</p> }.into_any();
    }
    view! {
        <table class="data" aria-label="Requests">
            <thead>
                <tr>
                    <th scope="col">"#"</th>
                    <th scope="col">"Access"</th>
                    <th scope="col">"Requester"</th>
                    <th scope="col">"For"</th>
                    <th scope="col">"Status"</th>
                    <th scope="col"></th>
                </tr>
            </thead>
            <tbody>
                {requests
                    .into_iter()
                    .map(|request| {
                        let org = org.clone();
                        let cancellable = request.status == "pending";
                        view! {
                            <tr>
                                <td><a href=request_path(&org, request.id)>{request.id}</a></td>
                                <td>{request.item.clone()}</td>
                                <td>{request.requester.clone()}</td>
                                <td>{what_for(&request)}</td>
                                <td data-testid="request-status">
                                    <Badge tone=status_tone(&request.status) text=request.status.clone() />
                                    {request.last_error.clone().map(|error| view! { <span class="muted">" " {error}</span> })}
                                </td>
                                <td>
                                    {cancel
                                        .filter(|_| cancellable)
                                        .map(|cancel| {
                                            view! {
                                                <ActionForm action=cancel attr:class="inline">
                                                    <input type="hidden" name="org" value=org />
                                                    <input type="hidden" name="request_id" value=request.id />
                                                    <button type="submit" class="link">"Cancel"</button>
                                                </ActionForm>
                                            }
                                        })}
                                </td>
                            </tr>
                        }
                    })
                    .collect_view()}
            </tbody>
        </table>
    }
    .into_any()
}

#[cfg(test)]
mod tests {
    use super::{duration_label, time_left};

    #[test]
    fn durations_read_naturally() {
        assert_eq!(duration_label(0), "permanent");
        assert_eq!(duration_label(60), "1 hour");
        assert_eq!(duration_label(480), "8 hours");
        assert_eq!(duration_label(10_080), "7 days");
        assert_eq!(duration_label(90), "90 minutes");
    }

    #[test]
    fn time_left_rounds_down_to_the_minute() {
        assert_eq!(time_left(1000, 1000), "less than a minute left");
        assert_eq!(time_left(3600 + 300, 0), "1 hour 5 minutes left");
        assert_eq!(time_left(7200, 0), "2 hours left");
        assert_eq!(time_left(59 * 60, 0), "59 minutes left");
        assert_eq!(time_left(0, 10), "less than a minute left");
    }
}
