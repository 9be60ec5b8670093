//! System users (v1 `/systemusers`): the people in a JumpCloud directory, their state,
//! lockout, password and MFA, and (v2 graph) their groups and systems.

use serde::{Deserialize, Serialize};
use serde_json::{Value, json};

use crate::client::{Call, OrgClient, json_body, object_id};
use crate::error::Error;
use crate::graph::GraphObjectWithPaths;
use crate::paging::{ListShape, MAX_LIMIT, Page};
use crate::secret::Secret;

/// `systemuserreturn`, tolerant of missing and extra fields (NOTES §17.7).
#[derive(Debug, Clone, PartialEq, Default, Serialize, Deserialize)]
#[serde(default)]
pub struct SystemUser {
    #[serde(rename = "_id")]
    pub id: String,
    pub username: String,
    pub email: String,
    pub firstname: Option<String>,
    pub lastname: Option<String>,
    pub displayname: Option<String>,
    #[serde(rename = "alternateEmail")]
    pub alternate_email: Option<String>,
    pub company: Option<String>,
    pub department: Option<String>,
    #[serde(rename = "jobTitle")]
    pub job_title: Option<String>,
    #[serde(rename = "employeeType")]
    pub employee_type: Option<String>,
    #[serde(rename = "employeeIdentifier")]
    pub employee_identifier: Option<String>,
    pub location: Option<String>,
    pub description: Option<String>,
    /// The manager's user id.
    pub manager: Option<String>,
    pub state: Option<UserState>,
    pub activated: Option<bool>,
    pub suspended: Option<bool>,
    pub account_locked: Option<bool>,
    pub account_locked_date: Option<String>,
    #[serde(rename = "badLoginAttempts")]
    pub bad_login_attempts: Option<u32>,
    pub password_date: Option<String>,
    pub password_expired: Option<bool>,
    pub password_expiration_date: Option<String>,
    pub password_never_expires: Option<bool>,
    pub totp_enabled: Option<bool>,
    pub mfa: Option<Mfa>,
    #[serde(rename = "mfaEnrollment")]
    pub mfa_enrollment: Option<MfaEnrollment>,
    pub sudo: Option<bool>,
    pub created: Option<String>,
    #[serde(rename = "creationSource")]
    pub creation_source: Option<String>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "SCREAMING_SNAKE_CASE")]
pub enum UserState {
    Staged,
    Activated,
    Suspended,
}

impl UserState {
    /// The name JumpCloud uses in `state` fields and filters.
    pub fn as_str(self) -> &'static str {
        match self {
            UserState::Staged => "STAGED",
            UserState::Activated => "ACTIVATED",
            UserState::Suspended => "SUSPENDED",
        }
    }
}

/// `mfa`: whether TOTP is configured and any enrollment grace period.
#[derive(Debug, Clone, PartialEq, Default, Serialize, Deserialize)]
#[serde(default)]
pub struct Mfa {
    pub configured: Option<bool>,
    pub exclusion: Option<bool>,
    #[serde(rename = "exclusionDays")]
    pub exclusion_days: Option<f64>,
    #[serde(rename = "exclusionUntil")]
    pub exclusion_until: Option<String>,
}

#[derive(Debug, Clone, PartialEq, Eq, Default, Serialize, Deserialize)]
#[serde(default)]
pub struct MfaEnrollment {
    #[serde(rename = "overallStatus")]
    pub overall_status: Option<String>,
    #[serde(rename = "totpStatus")]
    pub totp_status: Option<String>,
    #[serde(rename = "webAuthnStatus")]
    pub web_authn_status: Option<String>,
    #[serde(rename = "pushStatus")]
    pub push_status: Option<String>,
}

/// Profile fields to write. Only the fields set are sent, and a v1 PUT changes only the
/// fields sent (NOTES §19).
#[derive(Debug, Clone, PartialEq, Default, Serialize, Deserialize)]
pub struct UserFields {
    #[serde(skip_serializing_if = "Option::is_none")]
    pub username: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub email: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub firstname: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub lastname: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub displayname: Option<String>,
    #[serde(rename = "alternateEmail", skip_serializing_if = "Option::is_none")]
    pub alternate_email: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub company: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub department: Option<String>,
    #[serde(rename = "jobTitle", skip_serializing_if = "Option::is_none")]
    pub job_title: Option<String>,
    #[serde(rename = "employeeType", skip_serializing_if = "Option::is_none")]
    pub employee_type: Option<String>,
    #[serde(rename = "employeeIdentifier", skip_serializing_if = "Option::is_none")]
    pub employee_identifier: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub location: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub description: Option<String>,
    /// The manager's user id.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub manager: Option<String>,
}

/// A user to create (`systemuserputpost`): `username` and `email` are required and
/// unique in the organization.
#[derive(Debug, Clone, Default)]
pub struct NewUser {
    pub username: String,
    pub email: String,
    /// STAGED creates the account without access until activated; none leaves it to the
    /// organization's default for new users.
    pub state: Option<UserState>,
    pub password: Option<Secret>,
    pub fields: UserFields,
}

/// Where `activate_user` sends the activation (or, with a password set, welcome) email.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum ActivationEmail {
    /// The user's email address.
    Default,
    /// No email.
    Suppress,
    /// Another address.
    SendTo(String),
}

/// The enrollment grace period after an MFA reset (`/resetmfa` body).
#[derive(Debug, Clone, PartialEq, Default, Serialize)]
pub struct MfaReset {
    /// Whether the user may log in without MFA until the period ends.
    pub exclusion: bool,
    #[serde(rename = "exclusionDays", skip_serializing_if = "Option::is_none")]
    pub exclusion_days: Option<u32>,
    /// RFC 3339.
    #[serde(rename = "exclusionUntil", skip_serializing_if = "Option::is_none")]
    pub exclusion_until: Option<String>,
}

/// Fields a user list can be sorted by.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum UserSort {
    #[default]
    Username,
    Email,
    Lastname,
    Department,
    Created,
}

impl UserSort {
    fn field(self) -> &'static str {
        match self {
            UserSort::Username => "username",
            UserSort::Email => "email",
            UserSort::Lastname => "lastname",
            UserSort::Department => "department",
            UserSort::Created => "created",
        }
    }
}

/// One page of users for a list view.
#[derive(Debug, Clone, PartialEq, Default)]
pub struct UserListQuery {
    /// Partial, case-insensitive text to look for in the name, username and email fields.
    pub search: Option<String>,
    pub state: Option<UserState>,
    /// Exact (case-sensitive, as JumpCloud compares) department.
    pub department: Option<String>,
    pub sort: UserSort,
    pub descending: bool,
    pub skip: u64,
    /// At most 100; 0 means 100.
    pub limit: u64,
}

/// Fields a list search looks in.
const SEARCH_FIELDS: &[&str] = &["username", "email", "firstname", "lastname", "displayname"];

impl UserListQuery {
    fn call(&self) -> Call {
        let limit = match self.limit {
            0 => MAX_LIMIT,
            limit => limit.min(MAX_LIMIT),
        };
        let direction = if self.descending { "-" } else { "" };
        // `_id` last: JumpCloud's advice for pages that neither skip nor repeat users.
        let mut call = Call::get("/api/systemusers")
            .query("limit", limit)
            .query("skip", self.skip)
            .query("sort", format!("{direction}{} _id", self.sort.field()));
        let filters = self
            .state
            .map(|state| format!("state:$eq:{}", state.as_str()))
            .into_iter()
            .chain(
                self.department
                    .iter()
                    .map(|department| format!("department:$eq:{department}")),
            );
        // Repeated `filter`s must all match (the spec's `collectionFormat: multi`).
        for filter in filters {
            call = call.query("filter", filter);
        }
        if let Some(term) = self.search.as_deref().map(str::trim)
            && !term.is_empty()
        {
            call = call.query("search[searchTerm]", term);
            for field in SEARCH_FIELDS {
                call = call.query("search[fields][]", field);
            }
        }
        call
    }
}

impl OrgClient {
    /// How many users the organization has (`totalCount` of a one-item page).
    pub async fn count_users(&self) -> Result<u64, Error> {
        let call = Call::get("/api/systemusers")
            .query("limit", 1)
            .query("fields", "_id");
        let page = self.v1_page::<SystemUser>(call).await?;
        page.total
            .ok_or_else(|| Error::Decode("systemusers list without totalCount".into()))
    }

    /// One page of users, filtered, searched and sorted, with the number that match.
    pub async fn list_users(&self, query: &UserListQuery) -> Result<Page<SystemUser>, Error> {
        self.v1_page(query.call()).await
    }

    /// The users whose email is exactly `email`: an exact filter, not a search, so a
    /// partial address never matches (single sign-on relies on that).
    pub async fn find_users_by_email(&self, email: &str) -> Result<Vec<SystemUser>, Error> {
        let call = Call::get("/api/systemusers")
            .query("limit", MAX_LIMIT)
            .query("filter[0]", format!("email:$eq:{email}"));
        Ok(self.v1_page::<SystemUser>(call).await?.items)
    }

    /// Every user, in `_id` order; `progress` hears (fetched, total) per page.
    pub async fn list_all_users(
        &self,
        progress: &mut (dyn FnMut(usize, Option<u64>) + Send),
    ) -> Result<Vec<SystemUser>, Error> {
        self.list_all(
            "/api/systemusers",
            ListShape::V1Envelope,
            Some("_id"),
            progress,
        )
        .await
    }

    pub async fn get_user(&self, id: &str) -> Result<SystemUser, Error> {
        self.execute(Call::get(user_path(id)?)).await?.json()
    }

    /// Creates a user. Never retried: a lost answer must not create the user twice.
    /// A taken username or email is `Error::BadRequest` with JumpCloud's message (the
    /// spec documents 400 "User already exists or Bad Request", not 409).
    pub async fn create_user(&self, user: &NewUser) -> Result<SystemUser, Error> {
        let mut body = json_body(&user.fields)?;
        body["username"] = user.username.clone().into();
        body["email"] = user.email.clone().into();
        if let Some(state) = user.state {
            body["state"] = state.as_str().into();
        }
        if let Some(password) = &user.password {
            body["password"] = password.expose().into();
        }
        self.execute(Call::post("/api/systemusers", body))
            .await?
            .json()
    }

    /// Changes the fields set in `fields` and leaves the others as they are. A username
    /// or email another user has is `Error::BadRequest`, as on create.
    pub async fn update_user(&self, id: &str, fields: &UserFields) -> Result<SystemUser, Error> {
        self.put_user(id, json_body(fields)?).await
    }

    /// Deletes a user. JumpCloud refuses to delete the manager of other users
    /// (`Error::Conflict`) unless `clear_reports_manager` asks it to clear their manager
    /// first. Not retried: the deleted user JumpCloud answers with cannot be had twice.
    pub async fn delete_user(
        &self,
        id: &str,
        clear_reports_manager: bool,
    ) -> Result<SystemUser, Error> {
        let mut call = Call::delete(user_path(id)?).sent_once();
        if clear_reports_manager {
            call = call.query("cascade_manager", "null");
        }
        self.execute(call).await?.json()
    }

    /// Activates a STAGED user and sends the activation or welcome email as asked.
    /// Not retried: a repeat would send the email twice.
    pub async fn activate_user(&self, id: &str, email: &ActivationEmail) -> Result<(), Error> {
        let body = match email {
            ActivationEmail::Default => json!({}),
            ActivationEmail::Suppress => json!({ "email": false }),
            ActivationEmail::SendTo(address) => json!({ "email": address }),
        };
        let path = format!("{}/state/activate", user_path(id)?);
        self.user_action(Call::post(path, body)).await
    }

    /// Suspends a user: no logins until reactivated.
    pub async fn suspend_user(&self, id: &str) -> Result<SystemUser, Error> {
        self.put_user(id, json!({ "state": UserState::Suspended.as_str() }))
            .await
    }

    /// Reactivates a suspended user.
    pub async fn unsuspend_user(&self, id: &str) -> Result<SystemUser, Error> {
        self.put_user(id, json!({ "state": UserState::Activated.as_str() }))
            .await
    }

    /// Unlocks an account locked by failed logins.
    pub async fn unlock_user(&self, id: &str) -> Result<(), Error> {
        let path = format!("{}/unlock", user_path(id)?);
        self.user_action(Call::action(path).idempotent()).await
    }

    /// Resets the user's TOTP key and starts a new enrollment period. Not retried: each
    /// reset issues a new key and notifies the user.
    pub async fn reset_mfa(&self, id: &str, reset: &MfaReset) -> Result<(), Error> {
        let path = format!("{}/resetmfa", user_path(id)?);
        self.user_action(Call::post(path, json_body(reset)?)).await
    }

    /// Expires the password: the user must set a new one at the next login.
    pub async fn expire_password(&self, id: &str) -> Result<(), Error> {
        let path = format!("{}/expire", user_path(id)?);
        self.user_action(Call::action(path).idempotent()).await
    }

    /// Sets the user's password (checked against the organization's password policy).
    pub async fn set_password(&self, id: &str, password: &Secret) -> Result<SystemUser, Error> {
        self.put_user(id, json!({ "password": password.expose() }))
            .await
    }

    /// The user groups the user belongs to.
    pub async fn list_user_member_of(&self, id: &str) -> Result<Vec<GraphObjectWithPaths>, Error> {
        self.list_all_unsorted(&format!("/api/v2/users/{}/memberof", object_id(id)?))
            .await
    }

    /// The systems the user can use, bound directly or through groups, with the paths
    /// that grant each.
    pub async fn list_user_systems(&self, id: &str) -> Result<Vec<GraphObjectWithPaths>, Error> {
        self.list_all_unsorted(&format!("/api/v2/users/{}/systems", object_id(id)?))
            .await
    }

    async fn put_user(&self, id: &str, body: Value) -> Result<SystemUser, Error> {
        self.execute(Call::put(user_path(id)?, body)).await?.json()
    }

    /// A v1 user action, answered with 200 and no body.
    async fn user_action(&self, call: Call) -> Result<(), Error> {
        self.execute(call).await.map(drop)
    }
}

fn user_path(id: &str) -> Result<String, Error> {
    Ok(format!("/api/systemusers/{}", object_id(id)?))
}
