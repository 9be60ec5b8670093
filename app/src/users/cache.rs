//! A short per-organization memory of JumpCloud user lists and users, so paging back
//! and forth or reopening a user does not call JumpCloud each time. Any user write in an
//! organization forgets everything cached for it, so a change shows on the next page
//! load; a list's "refresh" link bypasses it.

use std::collections::HashMap;
use std::sync::Mutex;
use std::time::{Duration, Instant};

use jumpcloud::Page;
use jumpcloud::users::SystemUser;

/// Long enough to page through a list, short enough that changes made outside Lanyard
/// show up soon.
const TIME_TO_LIVE: Duration = Duration::from_secs(30);

/// Entries are keyed by the Lanyard organization id and a description of the request.
type Key = (i64, String);

struct Entries<V> {
    map: Mutex<HashMap<Key, (Instant, V)>>,
}

impl<V: Clone> Entries<V> {
    fn new() -> Self {
        Entries {
            map: Mutex::new(HashMap::new()),
        }
    }

    fn get(&self, key: &Key) -> Option<V> {
        let map = self.map.lock().ok()?;
        map.get(key)
            .filter(|(stored, _)| stored.elapsed() < TIME_TO_LIVE)
            .map(|(_, value)| value.clone())
    }

    fn put(&self, key: Key, value: V) {
        if let Ok(mut map) = self.map.lock() {
            // Expired entries go on write, so the map stays as small as the recent use.
            map.retain(|_, (stored, _)| stored.elapsed() < TIME_TO_LIVE);
            map.insert(key, (Instant::now(), value));
        }
    }

    fn forget_org(&self, org_id: i64) {
        if let Ok(mut map) = self.map.lock() {
            map.retain(|(org, _), _| *org != org_id);
        }
    }
}

pub struct UserCache {
    pages: Entries<Page<SystemUser>>,
    users: Entries<SystemUser>,
}

impl Default for UserCache {
    fn default() -> Self {
        UserCache {
            pages: Entries::new(),
            users: Entries::new(),
        }
    }
}

impl UserCache {
    /// A list page, by the org and a description of the JumpCloud query.
    pub fn page(&self, org_id: i64, query: &str) -> Option<Page<SystemUser>> {
        self.pages.get(&(org_id, query.to_string()))
    }

    pub fn put_page(&self, org_id: i64, query: &str, page: Page<SystemUser>) {
        self.pages.put((org_id, query.to_string()), page);
    }

    pub fn user(&self, org_id: i64, id: &str) -> Option<SystemUser> {
        self.users.get(&(org_id, id.to_string()))
    }

    pub fn put_user(&self, org_id: i64, user: SystemUser) {
        self.users.put((org_id, user.id.clone()), user);
    }

    /// After any user write in the organization: lists include the user too, so they go
    /// as well as the user's own entry.
    pub fn forget_org(&self, org_id: i64) {
        self.pages.forget_org(org_id);
        self.users.forget_org(org_id);
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

    #[test]
    fn a_write_forgets_only_its_organization() {
        let cache = UserCache::default();
        cache.put_user(1, user("a"));
        cache.put_user(2, user("a"));
        cache.put_page(
            1,
            "all",
            Page {
                items: vec![user("a")],
                total: Some(1),
            },
        );
        cache.forget_org(1);
        assert!(cache.user(1, "a").is_none());
        assert!(cache.page(1, "all").is_none());
        assert_eq!(cache.user(2, "a").map(|user| user.id), Some("a".into()));
    }
}
