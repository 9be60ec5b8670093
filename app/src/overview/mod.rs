//! Across organizations: `/overview`, one row of figures per organization the account
//! may enter, and `/search`, one text looked up in every such organization at once.
//!
//! Both take no organization slug: the domain code lists the organizations the signed-in
//! account may enter and reads only those, each through its own JumpCloud handle (so
//! each within its own call budget).

#[cfg(feature = "ssr")]
mod fanout;
#[cfg(feature = "ssr")]
mod search;
#[cfg(feature = "ssr")]
mod summary;

#[cfg(feature = "ssr")]
pub use fanout::OverviewCache;

use leptos::prelude::*;
use leptos_router::hooks::use_query_map;
use percent_encoding::{NON_ALPHANUMERIC, utf8_percent_encode};
use serde::{Deserialize, Serialize};

use crate::components::{Badge, ErrorPanel};
use crate::directory::loading;
use crate::error::AppError;
use crate::users::UserStatus;

/// Every organization the account may enter, with what it may see of each.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Overview {
    /// By organization name.
    pub rows: Vec<OrgOverview>,
    /// Organizations whose directory is being read for this account.
    pub directory_orgs: usize,
    /// Of those, how many have an answer (figures or an error).
    pub directory_answered: usize,
}

impl Overview {
    pub fn still_loading(&self) -> bool {
        self.directory_answered < self.directory_orgs
    }
}

#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct OrgOverview {
    pub slug: String,
    pub name: String,
    pub directory: DirectoryState,
    /// Requests waiting for a decision; `None` when the role does not decide requests.
    pub pending_requests: Option<u64>,
    /// Requests whose work failed; `None` when the role does not manage the organization.
    pub failed_requests: Option<u64>,
}

#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub enum DirectoryState {
    Figures(DirectoryFigures),
    /// Why the organization could not be read, as a sentence.
    Failed(String),
    Loading,
    /// The account's role there does not include reading the directory.
    NotInRole,
}

/// One organization's users and devices, counted the way the users and devices pages
/// filter them, so each number matches the page it links to.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct DirectoryFigures {
    pub active: u64,
    pub staged: u64,
    pub suspended: u64,
    pub locked: u64,
    pub without_mfa: u64,
    pub devices: u64,
    /// Full-disk encryption not reported active.
    pub unencrypted: u64,
    /// No contact for `STALE_DAYS` days, or never.
    pub stale: u64,
    /// When JumpCloud was read (Unix seconds).
    pub read_at: i64,
}

/// Devices count as stale after this many days without contact.
pub const STALE_DAYS: u64 = 30;

/// What the overview table can be sorted by: `?sort=<as_str>&desc=true`.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub enum Column {
    #[default]
    Name,
    Active,
    Staged,
    Suspended,
    Locked,
    WithoutMfa,
    Unencrypted,
    Stale,
    Pending,
    Failed,
}

impl Column {
    pub const ALL: [Column; 10] = [
        Column::Name,
        Column::Active,
        Column::Staged,
        Column::Suspended,
        Column::Locked,
        Column::WithoutMfa,
        Column::Unencrypted,
        Column::Stale,
        Column::Pending,
        Column::Failed,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            Column::Name => "name",
            Column::Active => "active",
            Column::Staged => "staged",
            Column::Suspended => "suspended",
            Column::Locked => "locked",
            Column::WithoutMfa => "without_mfa",
            Column::Unencrypted => "unencrypted",
            Column::Stale => "stale",
            Column::Pending => "pending",
            Column::Failed => "failed",
        }
    }

    pub fn parse(text: &str) -> Option<Self> {
        Self::ALL.into_iter().find(|column| column.as_str() == text)
    }

    pub fn label(self) -> &'static str {
        match self {
            Column::Name => "Organization",
            Column::Active => "Active",
            Column::Staged => "Staged",
            Column::Suspended => "Suspended",
            Column::Locked => "Locked",
            Column::WithoutMfa => "Without MFA",
            Column::Unencrypted => "Not encrypted",
            Column::Stale => "Not seen 30 days",
            Column::Pending => "Pending requests",
            Column::Failed => "Failed requests",
        }
    }

    /// The number in this column, when the row has one.
    pub fn value(self, row: &OrgOverview) -> Option<u64> {
        let figures = match &row.directory {
            DirectoryState::Figures(figures) => Some(figures),
            _ => None,
        };
        match self {
            Column::Name => None,
            Column::Active => figures.map(|f| f.active),
            Column::Staged => figures.map(|f| f.staged),
            Column::Suspended => figures.map(|f| f.suspended),
            Column::Locked => figures.map(|f| f.locked),
            Column::WithoutMfa => figures.map(|f| f.without_mfa),
            Column::Unencrypted => figures.map(|f| f.unencrypted),
            Column::Stale => figures.map(|f| f.stale),
            Column::Pending => row.pending_requests,
            Column::Failed => row.failed_requests,
        }
    }

    /// The filtered page of `org` this column's number counts.
    pub fn link(self, org: &str) -> String {
        let users = |filter: &str| format!("/o/{org}/users?{filter}");
        match self {
            Column::Name => format!("/o/{org}"),
            Column::Active => users("state=active"),
            Column::Staged => users("state=staged"),
            Column::Suspended => users("state=suspended"),
            Column::Locked => users("locked=true"),
            Column::WithoutMfa => users("mfa_missing=true"),
            Column::Unencrypted => format!("/o/{org}/devices?unencrypted=on"),
            Column::Stale => format!("/o/{org}/devices?stale_days={STALE_DAYS}"),
            Column::Pending => format!("/o/{org}/requests"),
            Column::Failed => format!("/o/{org}/requests/manage"),
        }
    }
}

/// The overview's order, from `?sort=` and `?desc=`.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct Order {
    pub column: Column,
    pub descending: bool,
}

impl Order {
    pub fn from_query(sort: Option<String>, desc: Option<String>) -> Self {
        Order {
            column: sort.as_deref().and_then(Column::parse).unwrap_or_default(),
            descending: desc.is_some_and(|value| matches!(value.as_str(), "true" | "1" | "on")),
        }
    }

    /// The query string for this order (empty for the default).
    pub fn query(self) -> String {
        match (self.column, self.descending) {
            (Column::Name, false) => String::new(),
            (column, false) => format!("sort={}", column.as_str()),
            (column, true) => format!("sort={}&desc=true", column.as_str()),
        }
    }

    /// Rows with a number first, in the order asked; rows without one (loading, failed,
    /// not in the role) after them by name, whichever the direction.
    pub fn sort(self, rows: &mut [OrgOverview]) {
        let name = |row: &OrgOverview| (row.name.to_lowercase(), row.slug.clone());
        rows.sort_by(|a, b| {
            let by_column = match (self.column.value(a), self.column.value(b)) {
                (Some(x), Some(y)) if self.descending => y.cmp(&x),
                (Some(x), Some(y)) => x.cmp(&y),
                (Some(_), None) => std::cmp::Ordering::Less,
                (None, Some(_)) => std::cmp::Ordering::Greater,
                (None, None) if self.column == Column::Name && self.descending => {
                    return name(b).cmp(&name(a));
                }
                (None, None) => std::cmp::Ordering::Equal,
            };
            by_column.then_with(|| name(a).cmp(&name(b)))
        });
    }

    /// Where a column's header leads: sorted by it, the other way round when it
    /// already is.
    fn header_link(self, column: Column) -> String {
        let next = Order {
            column,
            descending: self.column == column && !self.descending,
        };
        path_with_query("/overview", &next.query())
    }
}

/// What one organization holds that matches a search.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct OrgMatches {
    pub slug: String,
    pub name: String,
    /// Present when the organization could not be searched.
    pub error: Option<String>,
    pub users: Vec<UserMatch>,
    /// Users matching in all, when more than shown.
    pub users_total: u64,
    pub devices: Vec<DeviceMatch>,
    pub devices_total: u64,
}

#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct UserMatch {
    pub id: String,
    pub name: String,
    pub email: String,
    pub status: UserStatus,
}

#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct DeviceMatch {
    pub id: String,
    pub name: String,
    pub hostname: String,
    pub os_family: String,
}

#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct SearchResults {
    /// The text searched for, trimmed.
    pub text: String,
    /// Why nothing was searched (text too short or too long).
    pub refused: Option<String>,
    /// Organizations with matches or errors, by name.
    pub groups: Vec<OrgMatches>,
    /// Organizations searched without a match.
    pub without_matches: usize,
    /// Organizations not searched because the role there does not include the directory.
    pub not_in_role: usize,
}

/// Every organization the account may enter, with the figures read so far: waits a
/// few seconds for JumpCloud, then answers with what it has (see `fanout`).
#[server(endpoint = "overview")]
pub async fn load_overview(#[server(default)] refresh: bool) -> Result<Overview, AppError> {
    crate::error::with_http_status(fanout::overview(refresh).await)
}

/// Users (name, username, email) and devices (hostname, name, serial) matching `q` in
/// every organization the account may read.
#[server(endpoint = "search")]
pub async fn search_orgs(#[server(default)] q: String) -> Result<SearchResults, AppError> {
    crate::error::with_http_status(search::search(&q).await)
}

fn path_with_query(path: &str, query: &str) -> String {
    if query.is_empty() {
        path.to_string()
    } else {
        format!("{path}?{query}")
    }
}

#[component]
pub fn OverviewPage() -> impl IntoView {
    let query = use_query_map();
    let refresh = Memo::new(move |_| query.read().get("refresh").is_some_and(|v| v == "true"));
    let order = Memo::new(move |_| {
        let query = query.read();
        Order::from_query(query.get("sort"), query.get("desc"))
    });
    let overview = Resource::new(move || refresh.get(), load_overview);
    view! {
        <div class="page-head">
            <h1>"All organizations"</h1>
            <a href="/overview?refresh=true" data-testid="overview-refresh">"Refresh"</a>
        </div>
        <Suspense fallback=loading>
            {move || {
                let order = order.get();
                Suspend::new(async move {
                    match overview.await {
                        Ok(overview) => view! { <OverviewTable overview order /> }.into_any(),
                        Err(error) => view! { <ErrorPanel error /> }.into_any(),
                    }
                })
            }}
        </Suspense>
    }
}

#[component]
fn OverviewTable(overview: Overview, order: Order) -> impl IntoView {
    if overview.rows.is_empty() {
        return view! {
            <section class="panel">
                <p class="empty">"You do not have access to any organization yet."</p>
            </section>
        }
        .into_any();
    }
    let progress = overview.still_loading().then(|| {
        // Reloads without `refresh`, which would start the loads over.
        let again = format!("2; url={}", path_with_query("/overview", &order.query()));
        view! {
            <leptos_meta::Meta http_equiv="refresh" content=again />
            <p class="overview-progress" role="status" data-testid="overview-progress">
                {format!(
                    "Loaded {} of {} organizations; the rest follow as JumpCloud answers…",
                    overview.directory_answered,
                    overview.directory_orgs,
                )}
            </p>
        }
    });
    let mut rows = overview.rows;
    order.sort(&mut rows);
    view! {
        <section class="panel overview">
            {progress}
            <table class="data overview-table" data-testid="overview-table" aria-label="Organizations">
                <thead>
                    <tr>
                        {Column::ALL
                            .into_iter()
                            .map(|column| {
                                let sorted = order.column == column;
                                let aria_sort = match (sorted, order.descending) {
                                    (false, _) => "none",
                                    (true, false) => "ascending",
                                    (true, true) => "descending",
                                };
                                let arrow = match (sorted, order.descending) {
                                    (false, _) => "",
                                    (true, false) => " ▲",
                                    (true, true) => " ▼",
                                };
                                view! {
                                    <th
                                        scope="col"
                                        class=(column != Column::Name).then_some("num")
                                        aria-sort=aria_sort
                                    >
                                        <a href=order.header_link(column)>{column.label()} {arrow}</a>
                                    </th>
                                }
                            })
                            .collect_view()}
                    </tr>
                </thead>
                <tbody>
                    {rows.into_iter().map(|row| view! { <OverviewRow row /> }).collect_view()}
                </tbody>
            </table>
        </section>
    }
    .into_any()
}

/// Directory columns: everything between the name and the request columns.
const DIRECTORY_COLUMNS: usize = 7;

#[component]
fn OverviewRow(row: OrgOverview) -> impl IntoView {
    let number = |column: Column| {
        let href = column.link(&row.slug);
        view! {
            <td class="num" data-column=column.as_str()>
                {match column.value(&row) {
                    Some(value) => view! { <a href=href>{value}</a> }.into_any(),
                    None => view! { <span class="muted" title="Not available with your role">"—"</span> }.into_any(),
                }}
            </td>
        }
    };
    let directory = match &row.directory {
        DirectoryState::Figures(_) => [
            Column::Active,
            Column::Staged,
            Column::Suspended,
            Column::Locked,
            Column::WithoutMfa,
            Column::Unencrypted,
            Column::Stale,
        ]
        .map(number)
        .into_iter()
        .collect_view()
        .into_any(),
        DirectoryState::Failed(error) => view! {
            <td colspan=DIRECTORY_COLUMNS class="overview-failed" data-testid="org-error" role="alert">
                {error.clone()}
            </td>
        }
        .into_any(),
        DirectoryState::Loading => view! {
            <td colspan=DIRECTORY_COLUMNS class="muted" data-testid="org-loading">"Loading…"</td>
        }
        .into_any(),
        DirectoryState::NotInRole => view! {
            <td colspan=DIRECTORY_COLUMNS class="muted" data-testid="org-not-in-role">
                "Your role in this organization does not include its directory."
            </td>
        }
        .into_any(),
    };
    let state = match &row.directory {
        DirectoryState::Figures(_) => "figures",
        DirectoryState::Failed(_) => "failed",
        DirectoryState::Loading => "loading",
        DirectoryState::NotInRole => "not-in-role",
    };
    view! {
        <tr data-testid="overview-row" data-org=row.slug.clone() data-state=state>
            <th scope="row">
                <a href=format!("/o/{}", row.slug)>{row.name.clone()}</a>
            </th>
            {directory}
            {number(Column::Pending)}
            {number(Column::Failed)}
        </tr>
    }
}

#[component]
pub fn SearchPage() -> impl IntoView {
    let query = use_query_map();
    let text = Memo::new(move |_| query.read().get("q").unwrap_or_default());
    let results = Resource::new(
        move || text.get(),
        |text| async move {
            if text.trim().is_empty() {
                Ok(None)
            } else {
                search_orgs(text).await.map(Some)
            }
        },
    );
    view! {
        <h1>"Search all organizations"</h1>
        <form method="get" action="/search" class="filters" role="search" aria-label="Search all organizations">
            <label>
                "Email, name or hostname"
                <input type="search" name="q" value=move || text.get() minlength="2" required />
            </label>
            <button type="submit">"Search"</button>
        </form>
        <Suspense fallback=loading>
            {move || Suspend::new(async move {
                match results.await {
                    Ok(Some(results)) => view! { <SearchResultsView results /> }.into_any(),
                    Ok(None) => ().into_any(),
                    Err(error) => view! { <ErrorPanel error /> }.into_any(),
                }
            })}
        </Suspense>
    }
}

#[component]
fn SearchResultsView(results: SearchResults) -> impl IntoView {
    if let Some(refused) = results.refused {
        return view! { <p class="form-error" role="alert" data-testid="search-refused">{refused}</p> }
            .into_any();
    }
    let plural = |count: usize| if count == 1 { "" } else { "s" };
    let summary = match (results.groups.is_empty(), results.without_matches) {
        (true, 0) => Some("There is no organization you may search.".to_string()),
        (true, orgs) => Some(format!(
            "No matches in {orgs} organization{}.",
            plural(orgs)
        )),
        (false, 0) => None,
        (false, orgs) => Some(format!(
            "No matches in {orgs} other organization{}.",
            plural(orgs)
        )),
    };
    let not_in_role = (results.not_in_role > 0).then(|| {
        format!(
            "{} organization{} not searched: your role there does not include the directory.",
            results.not_in_role,
            plural(results.not_in_role),
        )
    });
    let text = results.text;
    view! {
        {results
            .groups
            .into_iter()
            .map(|group| view! { <OrgMatchesView group text=text.clone() /> })
            .collect_view()}
        {summary.map(|summary| view! { <p class="muted" data-testid="search-summary">{summary}</p> })}
        {not_in_role.map(|note| view! { <p class="muted">{note}</p> })}
    }
    .into_any()
}

#[component]
fn OrgMatchesView(group: OrgMatches, text: String) -> impl IntoView {
    let org = group.slug.clone();
    let body = if let Some(error) = group.error {
        view! { <p class="form-error" role="alert" data-testid="org-error">{error}</p> }.into_any()
    } else {
        let more_users = (group.users_total > group.users.len() as u64).then(|| {
            let href = format!(
                "/o/{org}/users?q={}",
                utf8_percent_encode(&text, NON_ALPHANUMERIC)
            );
            view! {
                <p>
                    <a href=href>{format!("All {} matching users", group.users_total)}</a>
                </p>
            }
        });
        let more_devices = (group.devices_total > group.devices.len() as u64).then(|| {
            view! {
                <p class="hint">
                    {format!("{} of {} matching devices shown.", group.devices.len(), group.devices_total)}
                </p>
            }
        });
        view! {
            {(!group.users.is_empty()).then(|| view! {
                <h3>"Users"</h3>
                <ul class="search-hits" data-testid="user-matches">
                    {group.users.into_iter().map(|user| view! {
                        <li>
                            <a href=format!("/o/{org}/users/{}", user.id)>{user.name}</a>
                            " " <span class="muted">{user.email}</span> " "
                            <Badge tone=user.status.tone() text=user.status.label() />
                        </li>
                    }).collect_view()}
                </ul>
                {more_users}
            })}
            {(!group.devices.is_empty()).then(|| view! {
                <h3>"Devices"</h3>
                <ul class="search-hits" data-testid="device-matches">
                    {group.devices.into_iter().map(|device| view! {
                        <li>
                            <a href=format!("/o/{org}/devices/{}", device.id)>{device.name}</a>
                            " " <span class="muted">{device.hostname} " · " {device.os_family}</span>
                        </li>
                    }).collect_view()}
                </ul>
                {more_devices}
            })}
        }
        .into_any()
    };
    view! {
        <section class="panel search-group" data-testid="search-group" data-org=group.slug.clone()>
            <h2>
                <a href=format!("/o/{}", group.slug)>{group.name}</a>
            </h2>
            {body}
        </section>
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn row(name: &str, active: Option<u64>, pending: Option<u64>) -> OrgOverview {
        OrgOverview {
            slug: name.to_lowercase(),
            name: name.into(),
            directory: match active {
                Some(active) => DirectoryState::Figures(DirectoryFigures {
                    active,
                    ..Default::default()
                }),
                None => DirectoryState::Loading,
            },
            pending_requests: pending,
            failed_requests: None,
        }
    }

    fn names(rows: &[OrgOverview]) -> Vec<&str> {
        rows.iter().map(|row| row.name.as_str()).collect()
    }

    #[test]
    fn rows_sort_by_a_column_and_rows_without_a_number_come_last() {
        let mut rows = vec![
            row("Beta", Some(5), Some(1)),
            row("alpha", None, None),
            row("Gamma", Some(9), Some(0)),
            row("Delta", Some(5), None),
        ];
        Order::default().sort(&mut rows);
        assert_eq!(names(&rows), ["alpha", "Beta", "Delta", "Gamma"]);
        Order::from_query(Some("name".into()), Some("true".into())).sort(&mut rows);
        assert_eq!(names(&rows), ["Gamma", "Delta", "Beta", "alpha"]);
        Order::from_query(Some("active".into()), Some("true".into())).sort(&mut rows);
        assert_eq!(names(&rows), ["Gamma", "Beta", "Delta", "alpha"]);
        Order::from_query(Some("active".into()), None).sort(&mut rows);
        assert_eq!(names(&rows), ["Beta", "Delta", "Gamma", "alpha"]);
        Order::from_query(Some("pending".into()), None).sort(&mut rows);
        assert_eq!(names(&rows), ["Gamma", "Beta", "alpha", "Delta"]);
    }

    #[test]
    fn headers_link_to_their_order_and_flip_it_when_already_sorted() {
        let by_name = Order::default();
        assert_eq!(
            by_name.header_link(Column::Name),
            "/overview?sort=name&desc=true"
        );
        assert_eq!(by_name.header_link(Column::Locked), "/overview?sort=locked");
        let by_locked = Order::from_query(Some("locked".into()), None);
        assert_eq!(
            by_locked.header_link(Column::Locked),
            "/overview?sort=locked&desc=true"
        );
        let nonsense = Order::from_query(Some("password".into()), Some("maybe".into()));
        assert_eq!(nonsense, Order::default());
    }

    #[test]
    fn every_number_links_to_the_filtered_page_it_counts() {
        assert_eq!(
            Column::WithoutMfa.link("acme"),
            "/o/acme/users?mfa_missing=true"
        );
        assert_eq!(Column::Stale.link("acme"), "/o/acme/devices?stale_days=30");
        assert_eq!(Column::Failed.link("acme"), "/o/acme/requests/manage");
    }
}
