//! `GET /o/{org}/audit/export.csv`: the organization's entries matching the audit page's
//! search (the same query string), newest first, streamed a page at a time.

use axum::body::{Body, Bytes};
use axum::extract::{Path, Query, State};
use axum::http::header;
use axum::response::{IntoResponse, Response};
use futures::stream;
use serde::Serialize;
use tower_sessions::Session;

use super::{AuditQuery, Entry};
use crate::error::AppError;
use crate::state::AppState;
use crate::tenants::Capability;
use crate::tenants::access::authorize_session;

/// Entries read from the database per chunk of the download.
const CHUNK: i64 = 1_000;

#[derive(Serialize)]
struct Row<'a> {
    seq: i64,
    time: String,
    actor: &'a str,
    action: &'a str,
    target: &'a str,
    summary: &'a str,
    result: &'a str,
    hash: &'a str,
}

pub async fn export_csv(
    State(state): State<AppState>,
    session: Session,
    Path(org): Path<String>,
    Query(query): Query<AuditQuery>,
) -> Response {
    download(state, session, &org, query).await.into_response()
}

async fn download(
    state: AppState,
    session: Session,
    org: &str,
    query: AuditQuery,
) -> Result<Response, AppError> {
    let context = authorize_session(&state, &session, org, Capability::ViewAudit).await?;
    // A bad date is refused before the download starts.
    query.search(None)?;
    let org_id = context.org.id;
    // (the next page's upper bound, whether the header is written, whether done)
    let chunks = stream::try_unfold((None, true, false), move |(before, header, done)| {
        let (state, query) = (state.clone(), query.clone());
        async move {
            if done {
                return Ok::<_, AppError>(None);
            }
            let search = query.search(before)?;
            let entries = super::search(&state.db, org_id, &search, CHUNK).await?;
            let last = entries.last().map(|entry| entry.seq);
            let bytes = csv_rows(&entries, header)?;
            let finished = i64::try_from(entries.len()).unwrap_or(0) < CHUNK;
            Ok(Some((bytes, (last, false, finished))))
        }
    });
    let disposition = format!("attachment; filename=\"{}-audit.csv\"", context.org.slug);
    Ok((
        [
            (header::CONTENT_TYPE, "text/csv; charset=utf-8".to_string()),
            (header::CONTENT_DISPOSITION, disposition),
        ],
        Body::from_stream(chunks),
    )
        .into_response())
}

fn csv_rows(entries: &[Entry], with_header: bool) -> Result<Bytes, AppError> {
    let mut writer = csv::WriterBuilder::new()
        .has_headers(with_header)
        .from_writer(Vec::new());
    let failed = |error: &dyn std::fmt::Display| {
        tracing::error!(%error, "audit CSV export");
        AppError::Internal
    };
    for entry in entries {
        writer
            .serialize(Row {
                seq: entry.seq,
                time: crate::when::minute(entry.at),
                actor: &entry.actor,
                action: &entry.action,
                target: &entry.target,
                summary: &entry.summary,
                result: &entry.result,
                hash: &entry.hash,
            })
            .map_err(|error| failed(&error))?;
    }
    if entries.is_empty() && with_header {
        writer
            .write_record([
                "seq", "time", "actor", "action", "target", "summary", "result", "hash",
            ])
            .map_err(|error| failed(&error))?;
    }
    writer
        .into_inner()
        .map(Bytes::from)
        .map_err(|error| failed(&error.error()))
}
