//! `/o/{org}/audit`: the organization's audit entries, newest first, searched by actor,
//! action, target and dates, a page at a time, with the CSV export of the same search and
//! a check of the whole hash chain on demand.

use leptos::prelude::*;
use serde::{Deserialize, Serialize};

use super::AuditQuery;
use crate::components::{Badge, ErrorPanel};
use crate::directory::query_param;
use crate::error::AppError;
use crate::home::org_param;
use crate::when;

#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct AuditView {
    pub entries: Vec<AuditRow>,
    /// The sequence number the next (older) page starts below, when there is one.
    pub older: Option<i64>,
    /// The chain check, when asked for.
    pub chain: Option<ChainStatus>,
}

#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct AuditRow {
    pub seq: i64,
    pub at: i64,
    pub actor: String,
    pub action: String,
    pub target: String,
    pub summary: String,
    pub result: String,
}

#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub enum ChainStatus {
    Intact {
        entries: i64,
    },
    /// The first entry that does not match: it, or the one before it, was changed or
    /// removed.
    Broken {
        seq: i64,
        at: i64,
        action: String,
    },
}

#[server(endpoint = "audit/search")]
pub async fn load_audit(
    org: String,
    #[server(default)] query: AuditQuery,
    before: Option<i64>,
    verify: Option<String>,
) -> Result<AuditView, AppError> {
    crate::error::with_http_status(
        ssr::load(&org, &query, before, verify.is_some_and(|v| !v.is_empty())).await,
    )
}

#[cfg(feature = "ssr")]
mod ssr {
    use super::{AuditRow, AuditView, ChainStatus};
    use crate::audit::{AuditQuery, PAGE_SIZE, search, verify};
    use crate::error::AppError;
    use crate::state::app_state;
    use crate::tenants::Capability;
    use crate::tenants::access::authorize;

    pub async fn load(
        org: &str,
        query: &AuditQuery,
        before: Option<i64>,
        check_chain: bool,
    ) -> Result<AuditView, AppError> {
        let state = app_state()?;
        let context = authorize(&state, org, Capability::ViewAudit).await?;
        let found = search(
            &state.db,
            context.org.id,
            &query.search(before)?,
            PAGE_SIZE + 1,
        )
        .await?;
        let more = i64::try_from(found.len()).unwrap_or(i64::MAX) > PAGE_SIZE;
        let entries: Vec<AuditRow> = found
            .into_iter()
            .take(usize::try_from(PAGE_SIZE).unwrap_or(100))
            .map(|entry| AuditRow {
                seq: entry.seq,
                at: entry.at,
                actor: entry.actor,
                action: entry.action,
                target: entry.target,
                summary: entry.summary,
                result: entry.result,
            })
            .collect();
        let older = more
            .then(|| entries.last().map(|entry| entry.seq))
            .flatten();
        let chain = if check_chain {
            let verification = verify(&state.db).await?;
            Some(match verification.first_broken {
                None => ChainStatus::Intact {
                    entries: verification.entries,
                },
                Some(entry) => ChainStatus::Broken {
                    seq: entry.seq,
                    at: entry.at,
                    action: entry.action,
                },
            })
        } else {
            None
        };
        Ok(AuditView {
            entries,
            older,
            chain,
        })
    }
}

fn search_from_url() -> Memo<AuditQuery> {
    let fields = [
        query_param("actor"),
        query_param("action"),
        query_param("target"),
        query_param("from"),
        query_param("until"),
    ];
    let value = |field: Memo<String>| Some(field.get()).filter(|text| !text.is_empty());
    Memo::new(move |_| AuditQuery {
        actor: value(fields[0]),
        action: value(fields[1]),
        target: value(fields[2]),
        from: value(fields[3]),
        until: value(fields[4]),
    })
}

#[component]
pub fn AuditPage() -> impl IntoView {
    let org = org_param();
    let query = search_from_url();
    let before = query_param("before");
    let verify = query_param("verify");
    let data = Resource::new(
        move || (org.get(), query.get(), before.get(), verify.get()),
        |(org, query, before, verify)| load_audit(org, query, before.parse().ok(), Some(verify)),
    );
    view! {
        <h1>"Audit log"</h1>
        <SearchForm query=query.get_untracked() />
        <Suspense fallback=|| view! { <p class="loading">"Loading…"</p> }>
            {move || Suspend::new(async move {
                match data.await {
                    Ok(audit) => view! { <AuditEntries audit org=org.get_untracked() query=query.get_untracked() /> }.into_any(),
                    Err(error) => view! { <ErrorPanel error /> }.into_any(),
                }
            })}
        </Suspense>
    }
}

#[component]
fn SearchForm(query: AuditQuery) -> impl IntoView {
    view! {
        <form method="get" class="filters" aria-label="Search the audit log">
            <label>"Actor" <input type="search" name="actor" value=query.actor.unwrap_or_default() /></label>
            <label>"Action" <input type="search" name="action" placeholder="request." value=query.action.unwrap_or_default() /></label>
            <label>"Target" <input type="search" name="target" placeholder="user 5f0c…" value=query.target.unwrap_or_default() /></label>
            <label>"From" <input type="date" name="from" value=query.from.unwrap_or_default() /></label>
            <label>"Until" <input type="date" name="until" value=query.until.unwrap_or_default() /></label>
            <button type="submit">"Search"</button>
        </form>
    }
}

#[component]
fn AuditEntries(audit: AuditView, org: String, query: AuditQuery) -> impl IntoView {
    let search = query.query_string();
    let joined = |extra: String| {
        if search.is_empty() {
            format!("/o/{org}/audit?{extra}")
        } else {
            format!("/o/{org}/audit?{search}&{extra}")
        }
    };
    let export = if search.is_empty() {
        format!("/o/{org}/audit/export.csv")
    } else {
        format!("/o/{org}/audit/export.csv?{search}")
    };
    let verify = joined("verify=1".into());
    let older = audit.older.map(|seq| joined(format!("before={seq}")));
    view! {
        <p class="actions">
            <a href=export download>"Export these entries (CSV)"</a>
            " · "
            <a href=verify>"Check the whole chain"</a>
        </p>
        {audit.chain.map(|chain| match chain {
            ChainStatus::Intact { entries } => view! {
                <p class="notice" role="status" data-testid="chain-status">{format!("The chain is intact: {entries} entries checked.")}</p>
            }.into_any(),
            ChainStatus::Broken { seq, at, action } => view! {
                <p class="error" role="alert" data-testid="chain-status">
                    {format!("The chain is broken at entry {seq} ({}, {action}): it, or the entry before it, was changed or removed.", when::minute(at))}
                </p>
            }.into_any(),
        })}
        {if audit.entries.is_empty() {
            view! { <p class="empty">"No entries match."</p> }.into_any()
        } else {
            view! {
                <table class="data" aria-label="Audit entries">
                    <thead>
                        <tr>
                            <th scope="col">"#"</th>
                            <th scope="col">"Time"</th>
                            <th scope="col">"Actor"</th>
                            <th scope="col">"Action"</th>
                            <th scope="col">"Target"</th>
                            <th scope="col">"What"</th>
                            <th scope="col">"Result"</th>
                        </tr>
                    </thead>
                    <tbody>
                        {audit.entries.into_iter().map(|entry| {
                            let tone = match entry.result.as_str() {
                                "ok" => "ok",
                                "failed" => "danger",
                                _ => "warn",
                            };
                            view! {
                                <tr>
                                    <td>{entry.seq}</td>
                                    <td>{when::minute(entry.at)}</td>
                                    <td>{entry.actor}</td>
                                    <td><code>{entry.action}</code></td>
                                    <td>{entry.target}</td>
                                    <td>{entry.summary}</td>
                                    <td><Badge tone text=entry.result /></td>
                                </tr>
                            }
                        }).collect_view()}
                    </tbody>
                </table>
            }.into_any()
        }}
        {older.map(|href| view! { <p class="pager"><a href=href>"Older entries"</a></p> })}
    }
}
