//! One text looked up in every organization the account may read: users by name,
//! username or email, devices by hostname, name or serial number.

use futures::StreamExt;
use jumpcloud::OrgClient;
use jumpcloud::users::UserListQuery;

use super::fanout::{ORGS_IN_FLIGHT, failure_sentence};
use super::{DeviceMatch, OrgMatches, SearchResults, UserMatch};
use crate::error::AppError;
use crate::state::app_state;
use crate::tenants::Capability;
use crate::tenants::connections::org_client;
use crate::tenants::orgs::{Org, visible_to};
use crate::users::directory::{display_name, status_of};

/// Matches listed per organization and kind; the users page has the rest.
const MATCHES_SHOWN: u64 = 20;
const SHORTEST: usize = 2;
const LONGEST: usize = 100;

pub async fn search(text: &str) -> Result<SearchResults, AppError> {
    let state = app_state()?;
    let account = crate::auth::session::require_account(&state).await?;
    let text = text.trim().to_string();
    let length = text.chars().count();
    if !(SHORTEST..=LONGEST).contains(&length) {
        return Ok(SearchResults {
            refused: Some(format!(
                "Search for {SHORTEST} to {LONGEST} characters: part of an email address, a name or a hostname."
            )),
            text,
            ..SearchResults::default()
        });
    }
    let orgs = visible_to(&state.db, &account).await?;
    let (readable, not_in_role): (Vec<_>, Vec<_>) = orgs
        .into_iter()
        .partition(|(_, role)| role.allows(Capability::ViewDirectory));
    // `buffered` keeps the organizations' order (by name) while reading them together.
    let found: Vec<OrgMatches> = futures::stream::iter(readable)
        .map(|(org, _)| {
            let (state, text) = (state.clone(), text.clone());
            async move {
                let matches = async {
                    let client = org_client(&state, &org).await?;
                    matches_in(&client, &text).await
                }
                .await;
                group(org, matches)
            }
        })
        .buffered(ORGS_IN_FLIGHT)
        .collect()
        .await;
    let (groups, empty): (Vec<_>, Vec<_>) = found.into_iter().partition(|group| {
        group.error.is_some() || !group.users.is_empty() || !group.devices.is_empty()
    });
    Ok(SearchResults {
        text,
        refused: None,
        groups,
        without_matches: empty.len(),
        not_in_role: not_in_role.len(),
    })
}

type Matches = (Vec<UserMatch>, u64, Vec<DeviceMatch>, u64);

/// The organization's matching users and devices, looked up side by side.
async fn matches_in(client: &OrgClient, text: &str) -> Result<Matches, AppError> {
    let users = UserListQuery {
        search: Some(text.to_string()),
        limit: MATCHES_SHOWN,
        ..UserListQuery::default()
    };
    let (users, devices) = futures::try_join!(
        client.list_users(&users),
        client.search_systems(text, MATCHES_SHOWN, 0),
    )?;
    let users_total = users.total.unwrap_or(users.items.len() as u64);
    let devices_total = devices.total.unwrap_or(devices.items.len() as u64);
    let users = users
        .items
        .iter()
        .map(|user| UserMatch {
            id: user.id.clone(),
            name: display_name(user),
            email: user.email.clone(),
            status: status_of(user),
        })
        .collect();
    let devices = devices
        .items
        .into_iter()
        .map(|system| {
            let hostname = system.hostname.unwrap_or_default();
            DeviceMatch {
                id: system.id,
                name: system
                    .display_name
                    .filter(|name| !name.is_empty())
                    .unwrap_or_else(|| hostname.clone()),
                hostname,
                os_family: system.os_family.unwrap_or_default(),
            }
        })
        .collect();
    Ok((users, users_total, devices, devices_total))
}

fn group(org: Org, matches: Result<Matches, AppError>) -> OrgMatches {
    let (error, (users, users_total, devices, devices_total)) = match matches {
        Ok(matches) => (None, matches),
        Err(error) => {
            tracing::warn!(org = %org.slug, %error, "search: organization not searched");
            (Some(failure_sentence(&error)), Matches::default())
        }
    };
    OrgMatches {
        slug: org.slug,
        name: org.name,
        error,
        users,
        users_total,
        devices,
        devices_total,
    }
}
