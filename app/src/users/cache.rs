//! A short per-organization memory of JumpCloud reads (user lists, users, group names,
//! memberships, pending approval flows), so paging back and forth, reopening a user or
//! reloading the approver inbox does not call JumpCloud each time.
//!
//! Every entry carries the organization's directory generation it was read at (a
//! database counter every write through Lanyard bumps, recording what it touched in
//! `directory_changes`), so a change made through any instance shows on the next page
//! load of every instance. Lists and approval flows are read again after any write; a
//! user, their memberships and the group names only after a write that touched them, so
//! editing one user leaves every other cached user as it was. A list's "refresh" link
//! bypasses the cache.

use std::collections::HashMap;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use jumpcloud::Page;
use jumpcloud::graph::GraphObjectWithPaths;
use jumpcloud::users::SystemUser;

use crate::db::Db;
use crate::error::AppError;
use crate::on_db;
use crate::requests::jumpcloud_flows::FlowRequests;
use crate::tenants::orgs::Org;

/// Long enough to page through a list, short enough that changes made outside Lanyard
/// show up soon.
const TIME_TO_LIVE: Duration = Duration::from_secs(30);

/// How long a change is remembered: far longer than any entry lives, so an entry never
/// outlives the record of what changed since it was read.
const CHANGES_KEPT_SECONDS: i64 = 3600;

/// What a write changed in an organization's directory.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Touched {
    /// One user's record or memberships (and so any list that may show them).
    User(String),
    /// Anything else: groups, several users, objects the caches do not know by id.
    Everything,
}

impl Touched {
    fn scope(&self) -> String {
        match self {
            Touched::User(id) => format!("user:{id}"),
            Touched::Everything => EVERYTHING.into(),
        }
    }
}

const EVERYTHING: &str = "*";

/// Moves the organization to its next directory generation and records what the write
/// touched (one transaction, so concurrent writers get distinct generations).
pub async fn record_change(
    db: &Db,
    org_id: i64,
    touched: &Touched,
    now: i64,
) -> Result<(), AppError> {
    let scope = touched.scope();
    on_db!(db, |pool| {
        let mut tx = pool.begin_with(db.begin_write()).await?;
        let generation: Option<i64> = sqlx::query_scalar(
            "UPDATE orgs SET directory_generation = directory_generation + 1 WHERE id = $1 \
             RETURNING directory_generation",
        )
        .bind(org_id)
        .fetch_optional(&mut *tx)
        .await?;
        if let Some(generation) = generation {
            sqlx::query(
                "INSERT INTO directory_changes (org_id, generation, touched, changed_at) \
                 VALUES ($1, $2, $3, $4)",
            )
            .bind(org_id)
            .bind(generation)
            .bind(&scope)
            .bind(now)
            .execute(&mut *tx)
            .await?;
            sqlx::query("DELETE FROM directory_changes WHERE org_id = $1 AND changed_at < $2")
                .bind(org_id)
                .bind(now - CHANGES_KEPT_SECONDS)
                .execute(&mut *tx)
                .await?;
        }
        tx.commit().await
    })?;
    Ok(())
}

/// Whether no write between generation `since` and the org's current one touched
/// `scope` (or everything). A generation without its record (pruned, or from before
/// changes were recorded) counts as having touched everything.
async fn untouched_since(db: &Db, org: &Org, since: i64, scope: &str) -> Result<bool, AppError> {
    let (changes, touching): (i64, i64) = on_db!(db, |pool| {
        sqlx::query_as(
        "SELECT COUNT(*), COALESCE(SUM(CASE WHEN touched = '*' OR touched = $4 THEN 1 ELSE 0 END), 0) \
         FROM directory_changes WHERE org_id = $1 AND generation > $2 AND generation <= $3"
    )
    .bind(org.id)
    .bind(since)
    .bind(org.directory_generation)
    .bind(scope)
    .fetch_one(pool)
    .await
    })?;
    Ok(changes == org.directory_generation - since && touching == 0)
}

struct Entry<V> {
    stored: Instant,
    generation: i64,
    value: V,
}

/// Entries by Lanyard organization id and a description of the read.
struct Entries<V> {
    map: Mutex<HashMap<(i64, String), Entry<V>>>,
}

impl<V: Clone> Entries<V> {
    fn new() -> Self {
        Entries {
            map: Mutex::new(HashMap::new()),
        }
    }

    /// A live entry and the generation it was read at.
    fn get(&self, org: &Org, text: &str) -> Option<(i64, V)> {
        let map = self.map.lock().ok()?;
        map.get(&(org.id, text.to_string()))
            .filter(|entry| entry.stored.elapsed() < TIME_TO_LIVE)
            .map(|entry| (entry.generation, entry.value.clone()))
    }

    /// A live entry read at the org's current generation (or later).
    fn get_current(&self, org: &Org, text: &str) -> Option<V> {
        self.get(org, text)
            .filter(|(generation, _)| *generation >= org.directory_generation)
            .map(|(_, value)| value)
    }

    /// A live entry no write since its reading touched (`scope`, or everything).
    async fn get_untouched(
        &self,
        db: &Db,
        org: &Org,
        text: &str,
        scope: &str,
    ) -> Result<Option<V>, AppError> {
        let Some((generation, value)) = self.get(org, text) else {
            return Ok(None);
        };
        if generation >= org.directory_generation {
            return Ok(Some(value));
        }
        if !untouched_since(db, org, generation, scope).await? {
            return Ok(None);
        }
        // Still right at the current generation: the next read needs no check.
        if let Ok(mut map) = self.map.lock()
            && let Some(entry) = map.get_mut(&(org.id, text.to_string()))
        {
            entry.generation = entry.generation.max(org.directory_generation);
        }
        Ok(Some(value))
    }

    fn put(&self, org: &Org, text: &str, value: V) {
        if let Ok(mut map) = self.map.lock() {
            // Expired entries go on write, so the map stays as small as the recent use.
            map.retain(|_, entry| entry.stored.elapsed() < TIME_TO_LIVE);
            map.insert(
                (org.id, text.to_string()),
                Entry {
                    stored: Instant::now(),
                    generation: org.directory_generation,
                    value,
                },
            );
        }
    }

    /// Forgets the org's entries whose description `matches`.
    fn forget(&self, org_id: i64, matches: impl Fn(&str) -> bool) {
        if let Ok(mut map) = self.map.lock() {
            map.retain(|(org, text), _| *org != org_id || !matches(text));
        }
    }
}

pub struct UserCache {
    pages: Entries<Arc<Page<SystemUser>>>,
    users: Entries<SystemUser>,
    /// The organization's user group names by id (the approver inbox names groups).
    group_names: Entries<Arc<HashMap<String, String>>>,
    /// A user's group memberships, by user id.
    member_of: Entries<Arc<Vec<GraphObjectWithPaths>>>,
    /// JumpCloud's own pending access requests (approval flows).
    flows: Entries<FlowRequests>,
}

impl Default for UserCache {
    fn default() -> Self {
        UserCache {
            pages: Entries::new(),
            users: Entries::new(),
            group_names: Entries::new(),
            member_of: Entries::new(),
            flows: Entries::new(),
        }
    }
}

impl UserCache {
    /// A list page, by the org and a description of the JumpCloud query.
    pub fn page(&self, org: &Org, query: &str) -> Option<Arc<Page<SystemUser>>> {
        self.pages.get_current(org, query)
    }

    pub fn put_page(&self, org: &Org, query: &str, page: Arc<Page<SystemUser>>) {
        self.pages.put(org, query, page);
    }

    pub async fn user(&self, db: &Db, org: &Org, id: &str) -> Result<Option<SystemUser>, AppError> {
        self.users
            .get_untouched(db, org, id, &Touched::User(id.into()).scope())
            .await
    }

    pub fn put_user(&self, org: &Org, user: SystemUser) {
        let id = user.id.clone();
        self.users.put(org, &id, user);
    }

    pub async fn group_names(
        &self,
        db: &Db,
        org: &Org,
    ) -> Result<Option<Arc<HashMap<String, String>>>, AppError> {
        self.group_names
            .get_untouched(db, org, "", EVERYTHING)
            .await
    }

    pub fn put_group_names(&self, org: &Org, names: Arc<HashMap<String, String>>) {
        self.group_names.put(org, "", names);
    }

    pub async fn member_of(
        &self,
        db: &Db,
        org: &Org,
        user_id: &str,
    ) -> Result<Option<Arc<Vec<GraphObjectWithPaths>>>, AppError> {
        self.member_of
            .get_untouched(db, org, user_id, &Touched::User(user_id.into()).scope())
            .await
    }

    pub fn put_member_of(&self, org: &Org, user_id: &str, groups: Arc<Vec<GraphObjectWithPaths>>) {
        self.member_of.put(org, user_id, groups);
    }

    pub fn flows(&self, org: &Org) -> Option<FlowRequests> {
        self.flows.get_current(org, "")
    }

    pub fn put_flows(&self, org: &Org, flows: FlowRequests) {
        self.flows.put(org, "", flows);
    }

    /// After a write in this instance: what it touched goes now (other instances find
    /// out from `directory_changes`).
    pub fn forget(&self, org_id: i64, touched: &Touched) {
        let all = |_: &str| true;
        self.pages.forget(org_id, all);
        self.flows.forget(org_id, all);
        match touched {
            Touched::User(id) => {
                self.users.forget(org_id, |text| text == id);
                self.member_of.forget(org_id, |text| text == id);
            }
            Touched::Everything => {
                self.users.forget(org_id, all);
                self.member_of.forget(org_id, all);
                self.group_names.forget(org_id, all);
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn user(id: &str) -> SystemUser {
        SystemUser {
            id: id.into(),
            ..Default::default()
        }
    }

    fn org(id: i64, directory_generation: i64) -> Org {
        Org {
            id,
            slug: format!("org-{id}"),
            name: format!("Org {id}"),
            connection_id: 1,
            jumpcloud_org_id: String::new(),
            is_default: false,
            auto_requester: false,
            directory_generation,
        }
    }

    fn page(ids: &[&str]) -> Arc<Page<SystemUser>> {
        Arc::new(Page {
            items: ids.iter().map(|id| user(id)).collect(),
            total: Some(ids.len() as u64),
        })
    }

    #[test]
    fn a_write_forgets_what_it_touched_in_its_organization_only() {
        let cache = UserCache::default();
        let (one, two) = (org(1, 0), org(2, 0));
        cache.put_user(&one, user("a"));
        cache.put_user(&one, user("b"));
        cache.put_user(&two, user("a"));
        cache.put_page(&one, "all", page(&["a", "b"]));
        cache.forget(1, &Touched::User("a".into()));
        let cached = |org: &Org, id: &str| cache.users.get_current(org, id).map(|user| user.id);
        assert_eq!(cached(&one, "a"), None);
        assert_eq!(cached(&one, "b"), Some("b".into()), "not touched");
        assert!(
            cache.page(&one, "all").is_none(),
            "a list may show the user"
        );
        assert_eq!(cached(&two, "a"), Some("a".into()), "another organization");
        cache.forget(1, &Touched::Everything);
        assert_eq!(cached(&one, "b"), None);
    }

    #[test]
    fn a_list_of_an_older_generation_is_not_served() {
        let cache = UserCache::default();
        cache.put_page(&org(1, 4), "all", page(&["a"]));
        assert!(cache.page(&org(1, 4), "all").is_some());
        assert!(
            cache.page(&org(1, 5), "all").is_none(),
            "another instance changed the directory"
        );
    }
}
