//! A short per-organization memory of JumpCloud reads (user lists, users, group names,
//! memberships, pending approval flows), so paging back and forth, reopening a user or
//! reloading the approver inbox does not call JumpCloud each time. Entries belong to the
//! organization's directory generation (a database counter every user write bumps), so a
//! change made through any instance shows on the next page load of every instance; a
//! list's "refresh" link bypasses the cache.

use std::collections::HashMap;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use jumpcloud::Page;
use jumpcloud::graph::GraphObjectWithPaths;
use jumpcloud::users::SystemUser;

use crate::requests::jumpcloud_flows::FlowRequests;
use crate::tenants::orgs::Org;

/// Long enough to page through a list, short enough that changes made outside Lanyard
/// show up soon.
const TIME_TO_LIVE: Duration = Duration::from_secs(30);

/// Entries are keyed by the Lanyard organization id, its directory generation and a
/// description of the request.
type Key = (i64, i64, String);

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
            map.retain(|(org, _, _), _| *org != org_id);
        }
    }
}

pub struct UserCache {
    pages: Entries<Page<SystemUser>>,
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
    pub fn page(&self, org: &Org, query: &str) -> Option<Page<SystemUser>> {
        self.pages.get(&key(org, query))
    }

    pub fn put_page(&self, org: &Org, query: &str, page: Page<SystemUser>) {
        self.pages.put(key(org, query), page);
    }

    pub fn user(&self, org: &Org, id: &str) -> Option<SystemUser> {
        self.users.get(&key(org, id))
    }

    pub fn put_user(&self, org: &Org, user: SystemUser) {
        self.users.put(key(org, &user.id), user);
    }

    pub fn group_names(&self, org: &Org) -> Option<Arc<HashMap<String, String>>> {
        self.group_names.get(&key(org, ""))
    }

    pub fn put_group_names(&self, org: &Org, names: Arc<HashMap<String, String>>) {
        self.group_names.put(key(org, ""), names);
    }

    pub fn member_of(&self, org: &Org, user_id: &str) -> Option<Arc<Vec<GraphObjectWithPaths>>> {
        self.member_of.get(&key(org, user_id))
    }

    pub fn put_member_of(&self, org: &Org, user_id: &str, groups: Arc<Vec<GraphObjectWithPaths>>) {
        self.member_of.put(key(org, user_id), groups);
    }

    pub fn flows(&self, org: &Org) -> Option<FlowRequests> {
        self.flows.get(&key(org, ""))
    }

    pub fn put_flows(&self, org: &Org, flows: FlowRequests) {
        self.flows.put(key(org, ""), flows);
    }

    /// After a write in this instance: its entries would never be read again (the
    /// generation moved on), so they go now rather than when they expire.
    pub fn forget_org(&self, org_id: i64) {
        self.pages.forget_org(org_id);
        self.users.forget_org(org_id);
        self.group_names.forget_org(org_id);
        self.member_of.forget_org(org_id);
        self.flows.forget_org(org_id);
    }
}

fn key(org: &Org, text: &str) -> Key {
    (org.id, org.directory_generation, text.to_string())
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

    #[test]
    fn a_write_forgets_only_its_organization() {
        let cache = UserCache::default();
        let (one, two) = (org(1, 0), org(2, 0));
        cache.put_user(&one, user("a"));
        cache.put_user(&two, user("a"));
        cache.put_page(
            &one,
            "all",
            Page {
                items: vec![user("a")],
                total: Some(1),
            },
        );
        cache.forget_org(1);
        assert!(cache.user(&one, "a").is_none());
        assert!(cache.page(&one, "all").is_none());
        assert_eq!(cache.user(&two, "a").map(|user| user.id), Some("a".into()));
    }

    #[test]
    fn a_newer_generation_is_not_served_older_entries() {
        let cache = UserCache::default();
        cache.put_user(&org(1, 4), user("a"));
        assert!(cache.user(&org(1, 4), "a").is_some());
        assert!(
            cache.user(&org(1, 5), "a").is_none(),
            "another instance changed the directory"
        );
    }
}
