//! Directory Insights (`POST /insights/directory/v1/events`): the audit log of logins
//! and admin changes, kept 90 days (NOTES §3, §15).

use serde::{Deserialize, Serialize};
use serde_json::{Map, Value};
use time::OffsetDateTime;
use time::format_description::well_known::Rfc3339;

use crate::client::{Call, OrgClient, json_body};
use crate::error::Error;

const EVENTS_PATH: &str = "/insights/directory/v1/events";

/// A Directory Insights `service`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Service {
    All,
    Alerts,
    Directory,
    Ldap,
    Mdm,
    Notifications,
    ObjectStorage,
    PasswordManager,
    Radius,
    Reports,
    SaasAppManagement,
    Software,
    Sso,
    Systems,
    AccessManagement,
    AssetManagement,
}

/// What to search for; every page of the answer is fetched.
#[derive(Debug, Clone, PartialEq)]
pub struct EventQuery {
    pub services: Vec<Service>,
    pub start: OffsetDateTime,
    pub end: Option<OffsetDateTime>,
    /// Newest first instead of oldest first.
    pub newest_first: bool,
    /// `search_term`: `{"and"|"or"|"not": [{field: value}, …]}`, values in lowercase.
    pub search_term: Option<Value>,
    /// Events per request; Directory Insights allows up to 10,000.
    pub page_size: u32,
}

impl EventQuery {
    /// Every service's events since `start`, oldest first, 1,000 per request.
    pub fn since(start: OffsetDateTime) -> Self {
        EventQuery {
            services: vec![Service::All],
            start,
            end: None,
            newest_first: false,
            search_term: None,
            page_size: 1000,
        }
    }

    /// The `EventQuery` body of one request; `search_after` continues after a page.
    fn body(&self, search_after: Option<&Value>) -> Result<Value, Error> {
        let time = |time: OffsetDateTime| {
            time.format(&Rfc3339)
                .map_err(|error| Error::BadRequest(format!("unusable time {time}: {error}")))
        };
        json_body(&EventSearch {
            service: &self.services,
            start_time: time(self.start)?,
            end_time: self.end.map(time).transpose()?,
            limit: self.page_size,
            sort: if self.newest_first { "DESC" } else { "ASC" },
            search_term: self.search_term.as_ref(),
            search_after,
        })
    }
}

/// `EventQuery`, as sent.
#[derive(Serialize)]
struct EventSearch<'a> {
    service: &'a [Service],
    start_time: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    end_time: Option<String>,
    limit: u32,
    sort: &'static str,
    #[serde(skip_serializing_if = "Option::is_none")]
    search_term: Option<&'a Value>,
    #[serde(skip_serializing_if = "Option::is_none")]
    search_after: Option<&'a Value>,
}

/// One audit event. Fields vary by service and event type, and `changes` is sometimes
/// an object rather than an array (NOTES §17.7), so only the common fields are typed.
#[derive(Debug, Clone, PartialEq, Default, Serialize, Deserialize)]
#[serde(default)]
pub struct Event {
    pub id: String,
    pub event_type: String,
    pub service: String,
    pub timestamp: String,
    pub organization: Option<String>,
    pub success: Option<bool>,
    pub client_ip: Option<String>,
    pub initiated_by: Option<Value>,
    pub resource: Option<Value>,
    pub changes: Option<Value>,
    /// Every other field of the event.
    #[serde(flatten)]
    pub other: Map<String, Value>,
}

impl OrgClient {
    /// Every event matching `query`. Pages by `search_after` until a page holds fewer
    /// events than `X-Limit`; the search is read-only, so it is retried like a GET.
    pub async fn search_events(&self, query: &EventQuery) -> Result<Vec<Event>, Error> {
        let mut events = Vec::new();
        let mut search_after: Option<Value> = None;
        loop {
            let (page, next) = self
                .search_events_page(query, search_after.as_ref())
                .await?;
            events.extend(page);
            match next {
                Some(next) => search_after = Some(next),
                None => return Ok(events),
            }
        }
    }

    /// One page of events matching `query`, after `search_after` (the cursor of the
    /// previous page), and the cursor of the next page when this one was full.
    pub async fn search_events_page(
        &self,
        query: &EventQuery,
        search_after: Option<&Value>,
    ) -> Result<(Vec<Event>, Option<Value>), Error> {
        let call = Call::post(EVENTS_PATH, query.body(search_after)?)
            .idempotent()
            .on_insights();
        let reply = self.execute(call).await?;
        let page: Vec<Event> = reply.json()?;
        let header_number =
            |name: &str| -> Option<usize> { reply.header(name)?.trim().parse().ok() };
        let count = header_number("x-result-count").unwrap_or(page.len());
        let limit = header_number("x-limit").unwrap_or(query.page_size as usize);
        if count == 0 || count < limit {
            return Ok((page, None));
        }
        let next = reply
            .header("x-search_after")
            .and_then(|value| serde_json::from_str::<Value>(value).ok())
            .filter(|value| value.as_array().is_some_and(|values| !values.is_empty()))
            .ok_or_else(|| Error::Decode("full events page without X-Search_after".into()))?;
        Ok((page, Some(next)))
    }
}
