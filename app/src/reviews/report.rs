//! `GET /o/{org}/reviews/{id}/report.csv`: every membership a review covered, with its
//! reviewer, decision, note and the revoke's request status (admins and auditors).

use axum::extract::{Path, State};
use axum::http::header;
use axum::response::{IntoResponse, Response};
use serde::Serialize;
use tower_sessions::Session;

use crate::error::AppError;
use crate::on_db;
use crate::state::AppState;
use crate::tenants::Capability;
use crate::tenants::access::authorize_session;

#[derive(Serialize, sqlx::FromRow)]
struct Line {
    group: String,
    member: String,
    reviewer: String,
    decision: Option<String>,
    note: String,
    decided_at: Option<i64>,
    request: Option<i64>,
    request_status: Option<String>,
}

pub async fn report_csv(
    State(state): State<AppState>,
    session: Session,
    Path((org, id)): Path<(String, i64)>,
) -> Response {
    report(state, session, &org, id).await.into_response()
}

async fn report(
    state: AppState,
    session: Session,
    org: &str,
    id: i64,
) -> Result<Response, AppError> {
    let context = authorize_session(&state, &session, org, Capability::ViewAudit).await?;
    let db = &state.db;
    let found: Option<i64> = on_db!(db, |pool| sqlx::query_scalar(
        "SELECT id FROM reviews WHERE id = $1 AND org_id = $2"
    )
    .bind(id)
    .bind(context.org.id)
    .fetch_optional(pool)
    .await)?;
    if found.is_none() {
        return Err(AppError::NotFound("That review".into()));
    }
    let lines: Vec<Line> = on_db!(db, |pool| {
        sqlx::query_as::<_, Line>(
        "SELECT i.group_name AS \"group\", i.user_email AS member, a.email AS reviewer, i.decision, \
         i.note, i.decided_at, i.request_id AS request, q.status AS request_status \
         FROM review_items i JOIN accounts a ON a.id = i.reviewer_account_id \
         LEFT JOIN requests q ON q.id = i.request_id WHERE i.review_id = $1 \
         ORDER BY i.group_name, i.user_email"
    )
    .bind(id)
    .fetch_all(pool)
    .await
    })?;
    let mut writer = csv::Writer::from_writer(Vec::new());
    for line in &lines {
        writer.serialize(line).map_err(|error| {
            tracing::error!(%error, "review report");
            AppError::Internal
        })?;
    }
    let body = writer.into_inner().map_err(|_| AppError::Internal)?;
    let disposition = format!(
        "attachment; filename=\"{}-review-{id}.csv\"",
        context.org.slug
    );
    Ok((
        [
            (header::CONTENT_TYPE, "text/csv; charset=utf-8".to_string()),
            (header::CONTENT_DISPOSITION, disposition),
        ],
        body,
    )
        .into_response())
}
