//! Reading many organizations at once for the overview.
//!
//! Each organization's figures are read by a task of their own whose answer goes into a
//! short per-organization cache, so a page render never waits on a slow organization: it
//! waits a few seconds, then shows what has answered, marks the rest as loading and
//! reloads itself; the tasks go on meanwhile and the reload finds their answers. A load
//! under way is joined, never started twice. Pacing within an organization is the
//! JumpCloud client's per-organization budget; this module only bounds how many
//! organizations are read at the same time.

use std::collections::HashMap;
use std::sync::{Arc, Mutex, MutexGuard};
use std::time::{Duration, Instant};

use tokio::sync::{Semaphore, watch};

use super::summary::{directory_figures, request_counts};
use super::{DirectoryFigures, DirectoryState, OrgOverview, Overview};
use crate::error::AppError;
use crate::state::{AppState, app_state};
use crate::tenants::Capability;
use crate::tenants::connections::org_client;
use crate::tenants::orgs::{Org, visible_to};

/// Organizations read at the same time: by the overview's loads across this instance
/// (they outlive the page that started them), by a search within itself. With two
/// passes or lookups each, about twice as many JumpCloud calls are in flight.
pub const ORGS_IN_FLIGHT: usize = 32;

/// How long figures are reused: a reload within it (the page's own, or a sort) costs no
/// JumpCloud call; the Refresh link reads again.
const TIME_TO_LIVE: Duration = Duration::from_secs(60);

/// How long a render waits for organizations still loading before it shows them as
/// loading.
const RENDER_WAIT: Duration = Duration::from_secs(3);

/// What one organization's load ended with, and when.
#[derive(Clone)]
struct Answer {
    figures: Result<DirectoryFigures, String>,
    at: Instant,
}

/// `None` while the load is under way.
type Slot = watch::Receiver<Option<Answer>>;

struct Entry {
    /// The organization's directory generation when the load started: a change made
    /// through Lanyard (on any instance) bumps it, and the figures are read again.
    generation: i64,
    slot: Slot,
}

impl Entry {
    /// An answer younger than the time to live, or a load under way.
    fn is_fresh(&self) -> bool {
        match &*self.slot.borrow() {
            Some(answer) => answer.at.elapsed() < TIME_TO_LIVE,
            // A load whose task is gone without answering is not waited for.
            None => self.slot.has_changed().is_ok(),
        }
    }

    fn is_current(&self, org: &Org) -> bool {
        self.generation == org.directory_generation && self.is_fresh()
    }

    fn is_loading(&self) -> bool {
        self.slot.borrow().is_none() && self.slot.has_changed().is_ok()
    }
}

/// The per-organization figures of this instance (one `AppState` field).
pub struct OverviewCache {
    entries: Mutex<HashMap<i64, Entry>>,
    in_flight: Arc<Semaphore>,
}

impl Default for OverviewCache {
    fn default() -> Self {
        OverviewCache {
            entries: Mutex::new(HashMap::new()),
            in_flight: Arc::new(Semaphore::new(ORGS_IN_FLIGHT)),
        }
    }
}

impl OverviewCache {
    /// A poisoned lock only means a panic mid-update of a map of receivers; it stays
    /// usable.
    fn entries(&self) -> MutexGuard<'_, HashMap<i64, Entry>> {
        self.entries
            .lock()
            .unwrap_or_else(|poisoned| poisoned.into_inner())
    }

    /// The organization's answer slot: the current one, or a new load started now.
    fn load(&self, state: &AppState, org: &Org) -> Slot {
        let mut entries = self.entries();
        if let Some(entry) = entries.get(&org.id)
            && entry.is_current(org)
        {
            return entry.slot.clone();
        }
        entries.retain(|_, entry| entry.is_fresh());
        let (answer, slot) = watch::channel(None);
        entries.insert(
            org.id,
            Entry {
                generation: org.directory_generation,
                slot: slot.clone(),
            },
        );
        let (state, org, in_flight) = (state.clone(), org.clone(), self.in_flight.clone());
        tokio::spawn(async move {
            let figures = async {
                let _turn = in_flight
                    .acquire_owned()
                    .await
                    .map_err(|_| AppError::Internal)?;
                let client = org_client(&state, &org).await?;
                directory_figures(&client, crate::db::now_unix()).await
            }
            .await;
            if let Err(error) = &figures {
                tracing::warn!(org = %org.slug, %error, "overview: organization not read");
            }
            answer.send_replace(Some(Answer {
                figures: figures.map_err(|error| failure_sentence(&error)),
                at: Instant::now(),
            }));
        });
        slot
    }

    /// Forgets the answers of these organizations; loads under way are kept (they are
    /// as fresh as a new one would be).
    fn forget_answers(&self, org_ids: &[i64]) {
        self.entries()
            .retain(|id, entry| !org_ids.contains(id) || entry.is_loading());
    }
}

/// Why an organization has no figures or results, as the page shows it.
pub(super) fn failure_sentence(error: &AppError) -> String {
    let reason = match error {
        AppError::JumpCloud(reason) => format!("JumpCloud answered: {reason}"),
        other => other.to_string(),
    };
    format!(
        "This organization could not be read. {}.",
        reason.trim_end_matches('.')
    )
}

/// The overview for the signed-in account: directory figures where its role reads the
/// directory, request counts where it decides or manages requests.
pub async fn overview(refresh: bool) -> Result<Overview, AppError> {
    let state = app_state()?;
    let account = crate::auth::session::require_account(&state).await?;
    let orgs = visible_to(&state.db, &account).await?;
    let cache = &state.overview;
    let readable: Vec<&Org> = orgs
        .iter()
        .filter(|(_, role)| role.allows(Capability::ViewDirectory))
        .map(|(org, _)| org)
        .collect();
    if refresh {
        let ids: Vec<i64> = readable.iter().map(|org| org.id).collect();
        cache.forget_answers(&ids);
    }
    let mut slots: HashMap<i64, Slot> = readable
        .iter()
        .map(|org| (org.id, cache.load(&state, org)))
        .collect();
    let requests = request_counts(&state.db).await?;
    let all_answered = futures::future::join_all(
        slots
            .values_mut()
            .map(|slot| async move { slot.wait_for(Option::is_some).await.map(drop) }),
    );
    // Past the wait, the page shows what it has; the loads carry on.
    let _ = tokio::time::timeout(RENDER_WAIT, all_answered).await;

    let mut answered = 0;
    let rows = orgs
        .iter()
        .map(|(org, role)| {
            let directory = match slots.get(&org.id) {
                None => DirectoryState::NotInRole,
                Some(slot) => match &*slot.borrow() {
                    Some(answer) => {
                        answered += 1;
                        match &answer.figures {
                            Ok(figures) => DirectoryState::Figures(figures.clone()),
                            Err(sentence) => DirectoryState::Failed(sentence.clone()),
                        }
                    }
                    None => DirectoryState::Loading,
                },
            };
            let counts = requests.get(&org.id).copied().unwrap_or_default();
            OrgOverview {
                slug: org.slug.clone(),
                name: org.name.clone(),
                directory,
                pending_requests: role
                    .allows(Capability::DecideRequests)
                    .then_some(counts.pending),
                failed_requests: role.allows(Capability::ManageOrg).then_some(counts.failed),
            }
        })
        .collect();
    Ok(Overview {
        rows,
        directory_orgs: slots.len(),
        directory_answered: answered,
    })
}
