//! `/o/{org}/requests`: ask for access, follow your requests, decide others' (approvers),
//! and keep the catalog (admins). One page, sections by role; plain forms throughout.

use leptos::prelude::*;
use serde::{Deserialize, Serialize};

use crate::components::{ErrorPanel, FormError};
use crate::error::AppError;
use crate::home::org_param;
use crate::requests::{
    CancelRequest, CatalogItemView, CreateCatalogItem, DecideRequest, RequestView, RetryRequest,
    SubmitRequest,
};

/// Everything the requests page shows, for the caller's role.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct RequestsPage {
    pub catalog: Vec<CatalogItemView>,
    pub mine: Vec<RequestView>,
    /// Pending requests of others, for those who decide.
    pub to_decide: Option<Vec<RequestView>>,
    /// For admins: the JumpCloud groups a catalog item can offer, and failed requests.
    pub admin: Option<AdminView>,
}

#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct AdminView {
    pub groups: Vec<(String, String)>,
    pub failed: Vec<RequestView>,
}

#[server(endpoint = "requests/page")]
pub async fn load_requests_page(org: String) -> Result<RequestsPage, AppError> {
    crate::error::with_http_status(ssr::page(&org).await)
}

#[cfg(feature = "ssr")]
mod ssr {
    use std::collections::hash_map::Entry;
    use std::collections::{HashMap, HashSet};

    use super::{AdminView, RequestsPage};
    use crate::error::AppError;
    use crate::requests::RequestView;
    use crate::requests::store;
    use crate::state::{AppState, app_state};
    use crate::tenants::Capability;
    use crate::tenants::access::{OrgContext, authorize};

    /// The pending requests whose target reports, in JumpCloud, to the signed-in account,
    /// at a step where the policy lets the target's manager decide. One JumpCloud lookup
    /// for the caller and one per distinct target, however many requests are pending.
    async fn managed_by_caller(
        state: &AppState,
        context: &OrgContext,
        pending: Vec<RequestView>,
    ) -> Result<Vec<RequestView>, AppError> {
        let org_id = context.org.id;
        let mut policies = HashMap::new();
        let mut asking_manager = Vec::new();
        for request in pending {
            let stored = store::request(&state.db, org_id, request.id).await?;
            let policy = match policies.entry(stored.item_id) {
                Entry::Occupied(known) => known.into_mut(),
                Entry::Vacant(slot) => slot.insert(
                    store::item(&state.db, org_id, stored.item_id)
                        .await?
                        .policy()?,
                ),
            };
            let step = usize::try_from(stored.step).unwrap_or(usize::MAX);
            if policy.names_manager(step) {
                asking_manager.push((request, stored.target_user_id));
            }
        }
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
        for (request, target) in asking_manager {
            let manager = match managers.entry(target) {
                Entry::Occupied(known) => known.into_mut(),
                Entry::Vacant(slot) => {
                    let user = context.jumpcloud.get_user(slot.key()).await?;
                    slot.insert(user.manager)
                }
            };
            if manager.as_ref().is_some_and(|id| caller.contains(id)) {
                managed.push(request);
            }
        }
        Ok(managed)
    }

    pub async fn page(org: &str) -> Result<RequestsPage, AppError> {
        let state = app_state()?;
        let context = authorize(&state, org, Capability::RequestAccess).await?;
        let org_id = context.org.id;
        let catalog = store::items(&state.db, org_id)
            .await?
            .iter()
            .map(store::CatalogItem::view)
            .collect();
        let mine = store::list(&state.db, org_id, Some(context.account.id), None).await?;
        let pending: Vec<_> = store::list(&state.db, org_id, None, Some("pending"))
            .await?
            .into_iter()
            .filter(|request| request.requester != context.account.email)
            .collect();
        let to_decide = if context.role.allows(Capability::DecideRequests) {
            Some(pending)
        } else {
            // Anyone may be a target's manager in JumpCloud: show them what they manage.
            let managed = managed_by_caller(&state, &context, pending).await?;
            (!managed.is_empty()).then_some(managed)
        };
        let admin = if context.role.allows(Capability::ManageOrg) {
            let groups = context
                .jumpcloud
                .list_all_user_groups(&mut |_, _| {})
                .await?
                .into_iter()
                .map(|group| (group.id, group.name))
                .collect();
            let failed = store::list(&state.db, org_id, None, Some("failed")).await?;
            Some(AdminView { groups, failed })
        } else {
            None
        };
        Ok(RequestsPage {
            catalog,
            mine,
            to_decide,
            admin,
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

#[component]
pub fn RequestsRoute() -> impl IntoView {
    let org = org_param();
    let submit = ServerAction::<SubmitRequest>::new();
    let cancel = ServerAction::<CancelRequest>::new();
    let decide = ServerAction::<DecideRequest>::new();
    let create = ServerAction::<CreateCatalogItem>::new();
    let retry = ServerAction::<RetryRequest>::new();
    let data = Resource::new(
        move || {
            (
                org.get(),
                submit.version().get(),
                cancel.version().get(),
                decide.version().get(),
                create.version().get(),
                retry.version().get(),
            )
        },
        |(org, ..)| load_requests_page(org),
    );
    let actions = PageActions {
        submit,
        cancel,
        decide,
        create,
        retry,
    };
    view! {
        <h1>"Requests"</h1>
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
    cancel: ServerAction<CancelRequest>,
    decide: ServerAction<DecideRequest>,
    create: ServerAction<CreateCatalogItem>,
    retry: ServerAction<RetryRequest>,
}

#[component]
fn RequestsView(page: RequestsPage, org: String, actions: PageActions) -> impl IntoView {
    let has_catalog = !page.catalog.is_empty();
    let catalog_org = org.clone();
    view! {
        <section class="panel">
            <h2>"Request access"</h2>
            <FormError result=actions.submit.value() />
            <Show
                when=move || has_catalog
                fallback=|| view! { <p class="empty">"Nothing can be requested in this organization yet."</p> }
            >
                <ul class="catalog">
                    {page
                        .catalog
                        .clone()
                        .into_iter()
                        .map(|item| view! { <CatalogEntry item org=catalog_org.clone() submit=actions.submit /> })
                        .collect_view()}
                </ul>
            </Show>
        </section>
        {page.to_decide.clone().map(|pending| view! { <Inbox pending org=org.clone() decide=actions.decide /> })}
        <section class="panel">
            <h2>"My requests"</h2>
            <FormError result=actions.cancel.value() />
            <RequestTable requests=page.mine.clone() org=org.clone() cancel=Some(actions.cancel) />
        </section>
        {page.admin.clone().map(|admin| view! { <CatalogAdmin admin org=org.clone() create=actions.create retry=actions.retry /> })}
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
                    <textarea name="justification" required rows="2"></textarea>
                </label>
                <button type="submit" class="primary">"Send request"</button>
            </ActionForm>
        </li>
    }
}

#[component]
fn Inbox(
    pending: Vec<RequestView>,
    org: String,
    decide: ServerAction<DecideRequest>,
) -> impl IntoView {
    let empty = pending.is_empty();
    view! {
        <section class="panel">
            <h2>"Waiting for your decision"</h2>
            <FormError result=decide.value() />
            <Show when=move || !empty fallback=|| view! { <p class="empty">"Nothing is waiting for you."</p> }>
                <table class="data" aria-label="Waiting for your decision">
                    <thead>
                        <tr>
                            <th scope="col">"Requester"</th>
                            <th scope="col">"Access"</th>
                            <th scope="col">"Duration"</th>
                            <th scope="col">"Why"</th>
                            <th scope="col">"Decision"</th>
                        </tr>
                    </thead>
                    <tbody>
                        {pending
                            .clone()
                            .into_iter()
                            .map(|request| {
                                let org = org.clone();
                                view! {
                                    <tr>
                                        <td>{request.requester.clone()}</td>
                                        <td>{request.item.clone()}</td>
                                        <td>{duration_label(request.duration_minutes.unwrap_or(0))}</td>
                                        <td>{request.justification.clone()}</td>
                                        <td>
                                            <ActionForm action=decide attr:class="row" attr:aria-label=format!("Decide request {}", request.id)>
                                                <input type="hidden" name="org" value=org />
                                                <input type="hidden" name="request_id" value=request.id />
                                                <input type="text" name="comment" placeholder="Comment" aria-label="Comment" />
                                                <button type="submit" name="verdict" value="approve" class="primary">"Approve"</button>
                                                <button type="submit" name="verdict" value="deny" class="danger">"Deny"</button>
                                            </ActionForm>
                                        </td>
                                    </tr>
                                }
                            })
                            .collect_view()}
                    </tbody>
                </table>
            </Show>
        </section>
    }
}

#[component]
fn RequestTable(
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
                    <th scope="col">"Duration"</th>
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
                                <td>{request.id}</td>
                                <td>{request.item.clone()}</td>
                                <td>{duration_label(request.duration_minutes.unwrap_or(0))}</td>
                                <td data-testid="request-status">
                                    <span class="badge">{request.status.clone()}</span>
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

#[component]
fn CatalogAdmin(
    admin: AdminView,
    org: String,
    create: ServerAction<CreateCatalogItem>,
    retry: ServerAction<RetryRequest>,
) -> impl IntoView {
    let failed = admin.failed.clone();
    let retry_org = org.clone();
    view! {
        <section class="panel">
            <h2>"Add to the catalog"</h2>
            <p class="hint">"A JumpCloud group people may ask to join. By default the target's manager or an org approver decides."</p>
            <ActionForm action=create attr:class="stack" attr:aria-label="Add to the catalog">
                <FormError result=create.value() />
                <input type="hidden" name="org" value=org />
                <label>"Name" <input type="text" name="name" required maxlength="100" /></label>
                <label>"Description" <input type="text" name="description" maxlength="300" /></label>
                <label>
                    "JumpCloud group"
                    <select name="jumpcloud_group_id" required>
                        {admin.groups.into_iter().map(|(id, name)| view! { <option value=id>{name}</option> }).collect_view()}
                    </select>
                </label>
                <label>
                    "Durations offered (minutes, comma-separated; 0 = permanent)"
                    <input type="text" name="durations" value="60,480,10080" required />
                </label>
                <label>
                    "Longest grant (minutes)"
                    <input type="number" name="max_duration_minutes" value="20160" min="1" required />
                </label>
                <button type="submit" class="primary">"Add item"</button>
            </ActionForm>
        </section>
        <section class="panel">
            <h2>"Failed requests"</h2>
            <FormError result=retry.value() />
            {if failed.is_empty() {
                view! { <p class="empty">"None."</p> }.into_any()
            } else {
                view! {
                    <ul>
                        {failed
                            .into_iter()
                            .map(|request| {
                                let org = retry_org.clone();
                                view! {
                                    <li>
                                        {format!("#{} {} for {}: {}", request.id, request.item, request.target_email, request.last_error.clone().unwrap_or_default())}
                                        <ActionForm action=retry attr:class="inline">
                                            <input type="hidden" name="org" value=org />
                                            <input type="hidden" name="request_id" value=request.id />
                                            <button type="submit">"Retry"</button>
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

#[cfg(test)]
mod tests {
    use super::duration_label;

    #[test]
    fn durations_read_naturally() {
        assert_eq!(duration_label(0), "permanent");
        assert_eq!(duration_label(60), "1 hour");
        assert_eq!(duration_label(480), "8 hours");
        assert_eq!(duration_label(10_080), "7 days");
        assert_eq!(duration_label(90), "90 minutes");
    }
}
