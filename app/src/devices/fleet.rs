//! `GET /o/{org}/devices/fleet.csv`: every device of the organization with its primary
//! user, streamed page by page as JumpCloud answers, so a large fleet never sits in
//! memory as one document.

use std::sync::Arc;

use axum::body::{Body, Bytes};
use axum::extract::{Path, State};
use axum::http::header;
use axum::response::{IntoResponse, Response};
use futures::stream;
use jumpcloud::OrgClient;
use jumpcloud::systems::SystemQuery;
use tower_sessions::Session;

use super::ssr::row;
use crate::audit;
use crate::db::now_unix;
use crate::directory::ssr::users_by_id;
use crate::error::AppError;
use crate::state::AppState;
use crate::tenants::Capability;
use crate::tenants::access::authorize_session;

const COLUMNS: [&str; 7] = [
    "user_email",
    "device_serial",
    "os",
    "last_contact",
    "hostname",
    "encryption",
    "mdm",
];

/// JumpCloud's page size.
const PAGE: u64 = 100;

pub async fn fleet_csv(
    State(state): State<AppState>,
    session: Session,
    Path(org): Path<String>,
) -> Response {
    fleet(state, session, org).await.into_response()
}

async fn fleet(state: AppState, session: Session, slug: String) -> Result<Response, AppError> {
    let context = authorize_session(&state, &session, &slug, Capability::ViewDirectory).await?;
    let users = Arc::new(users_by_id(&context).await?);
    audit::org_action(
        &state.db,
        &context,
        "devices.fleet_exported",
        &format!("org {slug}"),
        "downloaded the fleet report",
        "ok",
    )
    .await?;
    let header_line = csv_line(&COLUMNS.map(str::to_string))?;
    let api = context.jumpcloud.clone();
    let pages = stream::unfold(Some(0_u64), move |skip| {
        let api = api.clone();
        let users = users.clone();
        async move {
            let skip = skip?;
            match page(&api, skip, &users).await {
                Ok((bytes, more)) => Some((Ok(bytes), more.then_some(skip + PAGE))),
                Err(error) => {
                    tracing::warn!(%error, "fleet report stopped");
                    Some((Err(std::io::Error::other(error.to_string())), None))
                }
            }
        }
    });
    let body = stream::once(async move { Ok::<_, std::io::Error>(header_line) });
    let body = futures::StreamExt::chain(body, pages);
    Ok((
        [
            (header::CONTENT_TYPE, "text/csv; charset=utf-8"),
            (
                header::CONTENT_DISPOSITION,
                "attachment; filename=\"fleet.csv\"",
            ),
        ],
        Body::from_stream(body),
    )
        .into_response())
}

/// One page of systems as CSV rows, and whether more follow. JumpCloud pages may come
/// back short while more follow, so the total decides the end.
async fn page(
    api: &OrgClient,
    skip: u64,
    users: &std::collections::HashMap<String, jumpcloud::users::SystemUser>,
) -> Result<(Bytes, bool), AppError> {
    let page = api
        .list_systems(&SystemQuery {
            limit: PAGE,
            skip,
            sort: Some("_id".into()),
            filter: Vec::new(),
        })
        .await?;
    let received = page.items.len() as u64;
    let now = now_unix();
    let mut out = Vec::new();
    for system in &page.items {
        let device = row(system, users, now);
        let encryption = match device.encrypted {
            Some(true) => "on",
            Some(false) => "off",
            None => "unknown",
        };
        out.extend(csv_line(&[
            device.primary_user.unwrap_or_default(),
            device.serial,
            device.os,
            device.last_contact.map(|(at, _)| at).unwrap_or_default(),
            device.hostname,
            encryption.to_string(),
            device.mdm,
        ])?);
    }
    let more = match page.total {
        Some(total) => skip + PAGE < total,
        None => received == PAGE,
    };
    Ok((Bytes::from(out), more))
}

fn csv_line(fields: &[String]) -> Result<Bytes, AppError> {
    let mut writer = csv::Writer::from_writer(Vec::new());
    writer.write_record(fields).map_err(|error| {
        tracing::error!(%error, "writing a CSV row");
        AppError::Internal
    })?;
    writer.into_inner().map(Bytes::from).map_err(|error| {
        tracing::error!(%error, "finishing a CSV row");
        AppError::Internal
    })
}
