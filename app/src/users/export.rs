//! `GET /o/{org}/users/export.csv` and `.json`: every user matching the list's filter
//! (the same query string), streamed page by page so a large directory never sits in
//! memory whole. Plain axum handlers: a download is not a server function.

use axum::body::{Body, Bytes};
use axum::extract::{Path, Query, State};
use axum::http::header;
use axum::response::{IntoResponse, Response};
use futures::{StreamExt, TryStreamExt};
use tower_sessions::Session;

use super::{UserFilter, UserSummary, directory};
use crate::error::AppError;
use crate::state::AppState;
use crate::tenants::Capability;
use crate::tenants::access::authorize_session;

#[derive(Clone, Copy)]
enum Format {
    Csv,
    Json,
}

pub async fn export_csv(
    State(state): State<AppState>,
    session: Session,
    Path(org): Path<String>,
    Query(params): Query<Vec<(String, String)>>,
) -> Response {
    export(state, session, &org, &params, Format::Csv).await
}

pub async fn export_json(
    State(state): State<AppState>,
    session: Session,
    Path(org): Path<String>,
    Query(params): Query<Vec<(String, String)>>,
) -> Response {
    export(state, session, &org, &params, Format::Json).await
}

async fn export(
    state: AppState,
    session: Session,
    org: &str,
    params: &[(String, String)],
    format: Format,
) -> Response {
    stream(state, session, org, params, format)
        .await
        .into_response()
}

async fn stream(
    state: AppState,
    session: Session,
    org: &str,
    params: &[(String, String)],
    format: Format,
) -> Result<Response, AppError> {
    let context = authorize_session(&state, &session, org, Capability::ViewDirectory).await?;
    let filter = UserFilter::from_query(|key| {
        params
            .iter()
            .find(|(name, _)| name == key)
            .map(|(_, value)| value.clone())
    });
    // An export is a fresh read: it is what people compare with JumpCloud.
    let pages = directory::matching_pages(state.clone(), &context, filter, true);
    let (content_type, extension) = match format {
        Format::Csv => ("text/csv; charset=utf-8", "csv"),
        Format::Json => ("application/json", "json"),
    };
    let mut first = true;
    let body = pages
        .map_ok(move |users| {
            let rows: Vec<UserSummary> = users.iter().map(Into::into).collect();
            let chunk = match format {
                Format::Csv => csv_rows(&rows, first),
                Format::Json => json_items(&rows, first),
            };
            first &= rows.is_empty();
            chunk
        })
        .and_then(|chunk| async move { chunk });
    let (open, close) = match format {
        Format::Csv => ("", ""),
        Format::Json => ("[", "]"),
    };
    let body = futures::stream::once(async move { Ok(Bytes::from_static(open.as_bytes())) })
        .chain(body)
        .chain(futures::stream::once(async move {
            Ok(Bytes::from_static(close.as_bytes()))
        }));
    let disposition = format!(
        "attachment; filename=\"{}-users.{extension}\"",
        context.org.slug
    );
    Ok((
        [
            (header::CONTENT_TYPE, content_type.to_string()),
            (header::CONTENT_DISPOSITION, disposition),
        ],
        Body::from_stream(body),
    )
        .into_response())
}

/// CSV rows, with the header line before the first page's rows.
fn csv_rows(rows: &[UserSummary], with_header: bool) -> Result<Bytes, AppError> {
    let mut writer = csv::WriterBuilder::new()
        .has_headers(with_header)
        .from_writer(Vec::new());
    for row in rows {
        writer.serialize(row).map_err(|error| {
            tracing::error!(%error, "CSV export");
            AppError::Internal
        })?;
    }
    writer.into_inner().map(Bytes::from).map_err(|error| {
        tracing::error!(%error, "CSV export");
        AppError::Internal
    })
}

/// The page's users as JSON array items, comma-separated from the previous page's.
fn json_items(rows: &[UserSummary], first: bool) -> Result<Bytes, AppError> {
    let mut text = String::new();
    for (index, row) in rows.iter().enumerate() {
        if !(first && index == 0) {
            text.push(',');
        }
        text.push_str(&serde_json::to_string(row).map_err(|_| AppError::Internal)?);
    }
    Ok(Bytes::from(text))
}
