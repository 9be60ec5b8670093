//! Users of an organization's JumpCloud directory: the list with its filters, a user's
//! detail page with every lifecycle action, creation, bulk actions, the existence check,
//! the CSV import and the export.
//!
//! The wire types here are shared with the browser; the JumpCloud models stay on the
//! server (`jumpcloud` is an `ssr`-only dependency) and are converted with `From`.

pub(crate) mod actions;
mod bulk;
mod check;
pub(crate) mod create;
mod detail;
mod import;
mod list;

#[cfg(feature = "ssr")]
pub mod cache;
#[cfg(feature = "ssr")]
pub(crate) mod directory;
#[cfg(feature = "ssr")]
pub mod export;
#[cfg(feature = "ssr")]
pub(crate) mod handoff;
#[cfg(feature = "ssr")]
pub(crate) mod runs;

pub use bulk::BulkPage;
pub use check::CheckUsersPage;
pub use create::CreateUserPage;
pub use detail::UserPage;
#[cfg(feature = "ssr")]
pub use directory::UsersState;
pub use import::ImportPage;
pub use list::UsersPage;

use leptos_router::params::ParamsMap;
use serde::{Deserialize, Serialize};

/// Users per page in the list: JumpCloud's cap, so a page of the list is one call and
/// reading a directory of N users through the list costs N / 100 calls.
pub const PAGE_SIZE: u64 = 100;

/// A user's lifecycle state, as Lanyard names it.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub enum UserStatus {
    Staged,
    Active,
    Suspended,
}

impl UserStatus {
    pub const ALL: [UserStatus; 3] = [
        UserStatus::Staged,
        UserStatus::Active,
        UserStatus::Suspended,
    ];

    /// The value in URLs and forms.
    pub fn as_str(self) -> &'static str {
        match self {
            UserStatus::Staged => "staged",
            UserStatus::Active => "active",
            UserStatus::Suspended => "suspended",
        }
    }

    pub fn parse(text: &str) -> Option<Self> {
        Self::ALL.into_iter().find(|status| status.as_str() == text)
    }

    pub fn label(self) -> &'static str {
        match self {
            UserStatus::Staged => "Staged",
            UserStatus::Active => "Active",
            UserStatus::Suspended => "Suspended",
        }
    }

    /// The badge tone (see `Badge`).
    pub fn tone(self) -> &'static str {
        match self {
            UserStatus::Staged => "muted",
            UserStatus::Active => "ok",
            UserStatus::Suspended => "danger",
        }
    }
}

/// What a user list can be sorted by.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub enum UserSortKey {
    #[default]
    Username,
    Email,
    Lastname,
    Department,
    Created,
}

impl UserSortKey {
    pub const ALL: [UserSortKey; 5] = [
        UserSortKey::Username,
        UserSortKey::Email,
        UserSortKey::Lastname,
        UserSortKey::Department,
        UserSortKey::Created,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            UserSortKey::Username => "username",
            UserSortKey::Email => "email",
            UserSortKey::Lastname => "lastname",
            UserSortKey::Department => "department",
            UserSortKey::Created => "created",
        }
    }

    pub fn label(self) -> &'static str {
        match self {
            UserSortKey::Username => "Username",
            UserSortKey::Email => "Email",
            UserSortKey::Lastname => "Last name",
            UserSortKey::Department => "Department",
            UserSortKey::Created => "Created",
        }
    }
}

/// The list's filters, sort and position: what the GET filter form sends, what the
/// pager and the export links carry, and what the server turns into JumpCloud queries.
#[derive(Clone, Debug, Default, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(default)]
pub struct UserFilter {
    /// Partial text in the name, username or email.
    pub q: String,
    pub state: Option<UserStatus>,
    pub locked: bool,
    /// Only users with no MFA method enrolled.
    pub mfa_missing: bool,
    /// Exact department, as JumpCloud compares it.
    pub department: String,
    pub sort: UserSortKey,
    pub descending: bool,
    pub skip: u64,
}

impl UserFilter {
    /// Reads the filter from URL query parameters; anything unknown or malformed falls
    /// back to "no filter" rather than an error, as a hand-edited URL deserves.
    pub fn from_query(get: impl Fn(&str) -> Option<String>) -> Self {
        let text = |key: &str| {
            get(key)
                .map(|value| value.trim().to_string())
                .unwrap_or_default()
        };
        let flag = |key: &str| matches!(text(key).as_str(), "on" | "true" | "1");
        UserFilter {
            q: text("q"),
            state: UserStatus::parse(&text("state")),
            locked: flag("locked"),
            mfa_missing: flag("mfa_missing"),
            department: text("department"),
            sort: UserSortKey::ALL
                .into_iter()
                .find(|key| key.as_str() == text("sort"))
                .unwrap_or_default(),
            descending: flag("descending"),
            skip: text("skip").parse().unwrap_or(0),
        }
    }

    pub fn from_params(params: &ParamsMap) -> Self {
        Self::from_query(|key| params.get(key))
    }

    /// The filter as a query string without `skip` (the pager adds its own).
    pub fn query_without_skip(&self) -> String {
        let pairs = self.pairs();
        crate::components::query_string(pairs.iter().map(|(key, value)| (*key, value.as_str())))
    }

    /// The filter's non-default fields as (query parameter, value), e.g. for the hidden
    /// fields of a form that carries the filter along.
    pub fn pairs(&self) -> Vec<(&'static str, String)> {
        let mut pairs: Vec<(&'static str, String)> = Vec::new();
        if !self.q.is_empty() {
            pairs.push(("q", self.q.clone()));
        }
        if let Some(state) = self.state {
            pairs.push(("state", state.as_str().into()));
        }
        if self.locked {
            pairs.push(("locked", "true".into()));
        }
        if self.mfa_missing {
            pairs.push(("mfa_missing", "true".into()));
        }
        if !self.department.is_empty() {
            pairs.push(("department", self.department.clone()));
        }
        if self.sort != UserSortKey::default() {
            pairs.push(("sort", self.sort.as_str().into()));
        }
        if self.descending {
            pairs.push(("descending", "true".into()));
        }
        pairs
    }

    /// Whether some filter JumpCloud cannot apply itself is set (lockout, MFA): the
    /// server then reads every matching page and filters them.
    pub fn filters_locally(&self) -> bool {
        self.locked || self.mfa_missing
    }
}

/// One row of the users list (and of an export).
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct UserSummary {
    pub id: String,
    pub username: String,
    pub email: String,
    pub name: String,
    pub department: String,
    pub job_title: String,
    pub status: UserStatus,
    pub locked: bool,
    pub mfa_enrolled: bool,
}

/// The result of one action on one user, for the per-user result tables.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct UserOutcome {
    pub user: String,
    /// `None` when it worked; JumpCloud's or Lanyard's message when it did not.
    pub error: Option<String>,
}

/// How far a background run over many users (a bulk action, an import) has got.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct RunProgress {
    pub total: usize,
    /// One per user handled so far, in the order they finished.
    pub outcomes: Vec<UserOutcome>,
}

impl RunProgress {
    pub fn finished(&self) -> bool {
        self.outcomes.len() >= self.total
    }
}

/// The users section of an organization.
pub fn users_path(org: &str) -> String {
    format!("/o/{org}/users")
}

pub fn user_path(org: &str, id: &str) -> String {
    format!("/o/{org}/users/{id}")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_filter_survives_its_query_string() {
        let filter = UserFilter {
            q: "jo & co".into(),
            state: Some(UserStatus::Suspended),
            locked: true,
            mfa_missing: false,
            department: "R&D".into(),
            sort: UserSortKey::Lastname,
            descending: true,
            skip: 0,
        };
        let query = filter.query_without_skip();
        let pairs: Vec<(String, String)> = url::form_urlencoded::parse(query.as_bytes())
            .into_owned()
            .collect();
        let parsed = UserFilter::from_query(|key| {
            pairs
                .iter()
                .find(|(name, _)| name == key)
                .map(|(_, value)| value.clone())
        });
        assert_eq!(parsed, filter);
    }

    #[test]
    fn nonsense_in_the_url_means_no_filter() {
        let parsed = UserFilter::from_query(|key| match key {
            "state" => Some("deleted".into()),
            "skip" => Some("-4".into()),
            "sort" => Some("password".into()),
            _ => None,
        });
        assert_eq!(parsed, UserFilter::default());
    }
}
