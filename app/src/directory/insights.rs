//! `/o/{org}/insights`: JumpCloud's own event log (Directory Insights) for the
//! organization, newest first, by service and dates, a page at a time (JumpCloud's
//! `search_after` cursor travels in the "Older events" link).

use leptos::prelude::*;
use serde::{Deserialize, Serialize};

use crate::components::{Badge, ErrorPanel};
use crate::directory::query_param;
use crate::error::AppError;
use crate::home::org_param;

#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct EventRow {
    pub time: String,
    pub service: String,
    pub event_type: String,
    pub actor: String,
    pub resource: String,
    pub success: Option<bool>,
    pub client_ip: String,
}

#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct InsightsView {
    pub events: Vec<EventRow>,
    /// The cursor of the next (older) page, as JSON.
    pub older: Option<String>,
}

/// The services a search can name, as JumpCloud spells them.
pub const SERVICES: &[&str] = &[
    "all",
    "directory",
    "sso",
    "systems",
    "radius",
    "ldap",
    "mdm",
    "password_manager",
    "software",
    "saas_app_management",
    "access_management",
    "alerts",
    "notifications",
    "reports",
    "object_storage",
    "asset_management",
];

#[server(endpoint = "insights")]
pub async fn load_insights(
    org: String,
    service: Option<String>,
    from: Option<String>,
    until: Option<String>,
    after: Option<String>,
) -> Result<InsightsView, AppError> {
    crate::error::with_http_status(
        ssr::load(
            &org,
            service.as_deref().unwrap_or("all"),
            from.as_deref().unwrap_or_default(),
            until.as_deref().unwrap_or_default(),
            after.as_deref().unwrap_or_default(),
        )
        .await,
    )
}

#[cfg(feature = "ssr")]
mod ssr {
    use jumpcloud::insights::{EventQuery, Service};
    use serde_json::Value;
    use time::OffsetDateTime;

    use super::{EventRow, InsightsView};
    use crate::audit::day_start;
    use crate::error::AppError;
    use crate::state::app_state;
    use crate::tenants::Capability;
    use crate::tenants::access::authorize;

    /// Events per page.
    const PAGE: u32 = 100;
    /// Without a start date, how far back the search reaches.
    const DEFAULT_DAYS: i64 = 365;

    /// "who": an email, a username, or the kind of actor.
    fn named(value: Option<&Value>) -> String {
        let Some(value) = value else {
            return String::new();
        };
        ["email", "username", "name", "displayName", "type"]
            .iter()
            .find_map(|key| value.get(key).and_then(Value::as_str))
            .unwrap_or_default()
            .to_string()
    }

    pub async fn load(
        org: &str,
        service: &str,
        from: &str,
        until: &str,
        after: &str,
    ) -> Result<InsightsView, AppError> {
        let state = app_state()?;
        let context = authorize(&state, org, Capability::ViewAudit).await?;
        let service: Service =
            serde_json::from_value(Value::String(service.to_string())).map_err(|_| {
                AppError::bad_request(format!("{service:?} is not a Directory Insights service."))
            })?;
        let to_time = |unix: i64| {
            OffsetDateTime::from_unix_timestamp(unix)
                .map_err(|_| AppError::bad_request("That date is out of range."))
        };
        let now = state.clock.now();
        let start = to_time(day_start(from)?.unwrap_or(now - DEFAULT_DAYS * 86_400))?;
        let end = day_start(until)?
            .map(|start_of_day| to_time((start_of_day + 86_400).min(now)))
            .transpose()?;
        let cursor = match after.trim() {
            "" => None,
            text => Some(serde_json::from_str::<Value>(text).map_err(|_| {
                AppError::bad_request("That page cursor is not valid; start again.")
            })?),
        };
        let query = EventQuery {
            services: vec![service],
            start,
            end,
            newest_first: true,
            search_term: None,
            page_size: PAGE,
        };
        let (events, next) = context
            .jumpcloud
            .search_events_page(&query, cursor.as_ref())
            .await?;
        Ok(InsightsView {
            events: events
                .into_iter()
                .map(|event| EventRow {
                    time: crate::when::jumpcloud_time(&event.timestamp),
                    service: event.service,
                    event_type: event.event_type,
                    actor: named(event.initiated_by.as_ref()),
                    resource: named(event.resource.as_ref()),
                    success: event.success,
                    client_ip: event.client_ip.unwrap_or_default(),
                })
                .collect(),
            older: next.map(|cursor| cursor.to_string()),
        })
    }
}

#[component]
pub fn InsightsPage() -> impl IntoView {
    let org = org_param();
    let service = query_param("service");
    let from = query_param("from");
    let until = query_param("until");
    let after = query_param("after");
    let data = Resource::new(
        move || {
            (
                org.get(),
                service.get(),
                from.get(),
                until.get(),
                after.get(),
            )
        },
        |(org, service, from, until, after)| {
            let service = Some(service).filter(|s| !s.is_empty());
            load_insights(org, service, Some(from), Some(until), Some(after))
        },
    );
    view! {
        <h1>"Directory Insights"</h1>
        <p class="lead">"JumpCloud's own event log for this organization, newest first."</p>
        <form method="get" class="filters" aria-label="Search events">
            <label>
                "Service"
                <select name="service">
                    {SERVICES.iter().map(|name| view! {
                        <option value=*name selected=service.get_untracked() == *name>{*name}</option>
                    }).collect_view()}
                </select>
            </label>
            <label>"From" <input type="date" name="from" value=from.get_untracked() /></label>
            <label>"Until" <input type="date" name="until" value=until.get_untracked() /></label>
            <button type="submit">"Search"</button>
        </form>
        <Suspense fallback=|| view! { <p class="loading">"Loading…"</p> }>
            {move || Suspend::new(async move {
                match data.await {
                    Ok(view) => view! { <Events view org=org.get_untracked() /> }.into_any(),
                    Err(error) => view! { <ErrorPanel error /> }.into_any(),
                }
            })}
        </Suspense>
    }
}

#[component]
fn Events(view: InsightsView, org: String) -> impl IntoView {
    use percent_encoding::{NON_ALPHANUMERIC, utf8_percent_encode};
    let service = query_param("service").get_untracked();
    let from = query_param("from").get_untracked();
    let until = query_param("until").get_untracked();
    let older = view.older.map(|cursor| {
        format!(
            "/o/{org}/insights?service={}&from={}&until={}&after={}",
            utf8_percent_encode(&service, NON_ALPHANUMERIC),
            utf8_percent_encode(&from, NON_ALPHANUMERIC),
            utf8_percent_encode(&until, NON_ALPHANUMERIC),
            utf8_percent_encode(&cursor, NON_ALPHANUMERIC)
        )
    });
    if view.events.is_empty() {
        return view! { <p class="empty">"No events in this window."</p> }.into_any();
    }
    view! {
        <table class="data" aria-label="Events">
            <thead><tr>
                <th scope="col">"Time"</th><th scope="col">"Service"</th><th scope="col">"Event"</th>
                <th scope="col">"By"</th><th scope="col">"On"</th><th scope="col">"Result"</th><th scope="col">"From"</th>
            </tr></thead>
            <tbody>
                {view.events.into_iter().map(|event| view! {
                    <tr>
                        <td>{event.time}</td><td>{event.service}</td><td><code>{event.event_type}</code></td>
                        <td>{event.actor}</td><td>{event.resource}</td>
                        <td>{match event.success {
                            Some(true) => view! { <Badge tone="ok" text="success" /> }.into_any(),
                            Some(false) => view! { <Badge tone="danger" text="failure" /> }.into_any(),
                            None => ().into_any(),
                        }}</td>
                        <td>{event.client_ip}</td>
                    </tr>
                }).collect_view()}
            </tbody>
        </table>
        {older.map(|href| view! { <p class="pager"><a href=href>"Older events"</a></p> })}
    }
    .into_any()
}
