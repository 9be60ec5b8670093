//! System users (v1 `/systemusers`): the people in a JumpCloud directory.

use serde::{Deserialize, Serialize};

use crate::client::{Call, OrgClient, object_id};
use crate::error::Error;
use crate::paging::ListShape;

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
    pub department: Option<String>,
    #[serde(rename = "jobTitle")]
    pub job_title: Option<String>,
    pub manager: Option<String>,
    pub state: Option<UserState>,
    pub activated: Option<bool>,
    pub suspended: Option<bool>,
    pub account_locked: Option<bool>,
    pub password_expired: Option<bool>,
    pub password_expiration_date: Option<String>,
    pub totp_enabled: Option<bool>,
    #[serde(rename = "mfaEnrollment")]
    pub mfa_enrollment: Option<MfaEnrollment>,
    pub created: Option<String>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "SCREAMING_SNAKE_CASE")]
pub enum UserState {
    Staged,
    Activated,
    Suspended,
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
        self.execute(Call::get(format!("/api/systemusers/{}", object_id(id)?)))
            .await?
            .json()
    }
}
