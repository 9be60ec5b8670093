//! `/o/{org}/users`: the searchable, filterable, sortable list, paged past JumpCloud's
//! cap of 100, with row checkboxes that lead to a bulk action's preview.

use leptos::prelude::*;
use leptos_router::components::Form;
use leptos_router::hooks::use_query_map;
use serde::{Deserialize, Serialize};

use super::bulk::BulkAction;
use super::{PAGE_SIZE, UserFilter, UserSortKey, UserStatus, UserSummary, user_path, users_path};
use crate::components::{Badge, ErrorPanel, Pager};
use crate::error::AppError;
use crate::home::org_param;

#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct UserListView {
    pub users: Vec<UserSummary>,
    /// How many users match the filter, across every page.
    pub total: u64,
}

/// One page of the organization's users. `refresh` skips Lanyard's short cache.
#[server(endpoint = "users/list")]
pub async fn list_users(
    org: String,
    #[server(default)] filter: UserFilter,
    #[server(default)] refresh: bool,
) -> Result<UserListView, AppError> {
    crate::error::with_http_status(ssr::list(&org, &filter, refresh).await)
}

#[cfg(feature = "ssr")]
mod ssr {
    use super::UserListView;
    use crate::error::AppError;
    use crate::tenants::Capability;
    use crate::tenants::access::authorize;
    use crate::users::{UserFilter, directory};

    pub async fn list(
        org: &str,
        filter: &UserFilter,
        refresh: bool,
    ) -> Result<UserListView, AppError> {
        let state = crate::state::app_state()?;
        let context = authorize(&state, org, Capability::ViewDirectory).await?;
        let (users, total) = directory::list_page(&state, &context, filter, refresh).await?;
        Ok(UserListView { users, total })
    }
}

#[component]
pub fn UsersPage() -> impl IntoView {
    let org = org_param();
    let query = use_query_map();
    let filter = Memo::new(move |_| UserFilter::from_params(&query.read()));
    let refresh = Memo::new(move |_| query.read().get("refresh").is_some());
    let list = Resource::new(
        move || (org.get(), filter.get(), refresh.get()),
        |(org, filter, refresh)| list_users(org, filter, refresh),
    );
    view! {
        <div class="page-head">
            <h1>"Users"</h1>
            <span class="actions">
                <a class="button" href=move || format!("{}/check", users_path(&org.get()))>
                    "Check existence"
                </a>
                " "
                <a class="button" href=move || format!("{}/import", users_path(&org.get()))>
                    "Import from CSV"
                </a>
                " "
                <a class="button primary" href=move || format!("{}/new", users_path(&org.get()))>
                    "Create user"
                </a>
            </span>
        </div>
        {move || view! { <FilterForm org=org.get() filter=filter.get() /> }}
        <Suspense fallback=|| view! { <p class="loading">"Loading…"</p> }>
            {move || Suspend::new(async move {
                match list.await {
                    Ok(list) => {
                        view! { <UserTable org=org.get_untracked() filter=filter.get_untracked() list /> }
                            .into_any()
                    }
                    Err(error) => view! { <ErrorPanel error /> }.into_any(),
                }
            })}
        </Suspense>
    }
}

/// A GET form: the filter lives in the URL, so it works without JavaScript and the
/// address can be shared or bookmarked.
#[component]
fn FilterForm(org: String, filter: UserFilter) -> impl IntoView {
    view! {
        <Form method="GET" action=users_path(&org) attr:class="filters" attr:aria-label="Filter users">
            <label>
                "Search"
                <input type="search" name="q" value=filter.q placeholder="Name, username or email" />
            </label>
            <label>
                "State"
                <select name="state">
                    <option value="" selected=filter.state.is_none()>"Any"</option>
                    {UserStatus::ALL
                        .into_iter()
                        .map(|status| {
                            view! {
                                <option value=status.as_str() selected=filter.state == Some(status)>
                                    {status.label()}
                                </option>
                            }
                        })
                        .collect_view()}
                </select>
            </label>
            <label>
                "Department"
                <input type="text" name="department" value=filter.department placeholder="Exact name" />
            </label>
            <label class="choice">
                <input type="checkbox" name="locked" value="true" checked=filter.locked />
                "Locked only"
            </label>
            <label class="choice">
                <input type="checkbox" name="mfa_missing" value="true" checked=filter.mfa_missing />
                "MFA not enrolled"
            </label>
            <label>
                "Sort by"
                <select name="sort">
                    {UserSortKey::ALL
                        .into_iter()
                        .map(|key| {
                            view! {
                                <option value=key.as_str() selected=filter.sort == key>
                                    {key.label()}
                                </option>
                            }
                        })
                        .collect_view()}
                </select>
            </label>
            <label class="choice">
                <input type="checkbox" name="descending" value="true" checked=filter.descending />
                "Descending"
            </label>
            <button type="submit">"Apply"</button>
        </Form>
    }
}

#[component]
fn UserTable(org: String, filter: UserFilter, list: UserListView) -> impl IntoView {
    let query = filter.query_without_skip();
    let joiner = if query.is_empty() { "" } else { "&" };
    let base = users_path(&org);
    let refresh = format!("{base}?{query}{joiner}skip={}&refresh=1", filter.skip);
    let export_csv = format!("{base}/export.csv?{query}");
    let export_json = format!("{base}/export.json?{query}");
    let shown = list.users.len();
    view! {
        <section class="panel">
            <p class="list-tools">
                <span data-testid="user-total">{list.total}</span>
                " users match. "
                <a href=refresh>"Refresh"</a>
                " · Export: "
                <a href=export_csv download>"CSV"</a>
                " "
                <a href=export_json download>"JSON"</a>
            </p>
            {if list.users.is_empty() {
                view! { <p class="empty">"No user matches these filters."</p> }.into_any()
            } else {
                view! {
                    <form method="get" action=format!("{base}/bulk") aria-label="Bulk action">
                        <table class="data" aria-label="Users">
                            <thead>
                                <tr>
                                    <th scope="col">
                                        <span class="visually-hidden">"Select"</span>
                                    </th>
                                    <th scope="col">"Name"</th>
                                    <th scope="col">"Username"</th>
                                    <th scope="col">"Email"</th>
                                    <th scope="col">"Department"</th>
                                    <th scope="col">"Status"</th>
                                </tr>
                            </thead>
                            <tbody>
                                {list
                                    .users
                                    .into_iter()
                                    .map(|user| view! { <UserRow org=org.clone() user /> })
                                    .collect_view()}
                            </tbody>
                        </table>
                        <div class="bulk-bar">
                            <label>
                                "With the selected users"
                                <select name="action">
                                    {BulkAction::ALL
                                        .into_iter()
                                        .map(|action| {
                                            view! { <option value=action.as_str()>{action.label()}</option> }
                                        })
                                        .collect_view()}
                                </select>
                            </label>
                            <label class="choice">
                                <input type="checkbox" name="all" value="1" />
                                {format!("All {} matching users, not only the ticked ones", list.total)}
                            </label>
                            {filter
                                .pairs()
                                .into_iter()
                                .map(|(name, value)| view! { <input type="hidden" name=name value=value /> })
                                .collect_view()}
                            <button type="submit">"Preview"</button>
                        </div>
                    </form>
                }
                    .into_any()
            }}
            <Pager
                path=base.clone()
                query=query.clone()
                skip=filter.skip
                limit=PAGE_SIZE
                shown=shown
                total=Some(list.total)
            />
        </section>
    }
}

#[component]
fn UserRow(org: String, user: UserSummary) -> impl IntoView {
    let select_label = format!("Select {}", user.username);
    view! {
        <tr>
            <td>
                <input type="checkbox" name="id" value=user.id.clone() aria-label=select_label />
            </td>
            <td>
                <a href=user_path(&org, &user.id)>{user.name}</a>
            </td>
            <td>{user.username}</td>
            <td>{user.email}</td>
            <td>{user.department}</td>
            <td class="badges">
                <Badge tone=user.status.tone() text=user.status.label() />
                {user.locked.then(|| view! { <Badge tone="warn" text="Locked" /> })}
                {(!user.mfa_enrolled).then(|| view! { <Badge tone="muted" text="No MFA" /> })}
            </td>
        </tr>
    }
}
