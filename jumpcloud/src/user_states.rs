//! Scheduled user state changes (v2 `/bulk/userstates`): suspend or activate many users
//! at a given date, e.g. a leaver's last day or a joiner's first (NOTES §6).

use serde::{Deserialize, Serialize};
use time::OffsetDateTime;
use time::format_description::well_known::Rfc3339;

use crate::client::{Call, OrgClient, json_body, object_id};
use crate::error::Error;
use crate::users::UserState;

/// `scheduled-userstate-result`: one user's part of a scheduled job.
#[derive(Debug, Clone, PartialEq, Default, Serialize, Deserialize)]
#[serde(default)]
pub struct ScheduledUserState {
    /// The job, shared by every user scheduled together; cancelling it cancels them all.
    #[serde(rename = "scheduledJobId")]
    pub job_id: String,
    #[serde(rename = "systemUserId")]
    pub user_id: String,
    /// The state the user will be in once the job runs.
    pub state: Option<UserState>,
    /// When the job runs, UTC.
    #[serde(rename = "scheduledDate")]
    pub scheduled_date: Option<String>,
}

/// A state change to schedule (`bulk-scheduled-statechange-create`).
#[derive(Debug, Clone, PartialEq)]
pub struct UserStateChange {
    pub user_ids: Vec<String>,
    /// ACTIVATED or SUSPENDED; users cannot be scheduled back to STAGED.
    pub state: UserState,
    pub start: OffsetDateTime,
    /// For activations: whether to send the activation or welcome email.
    pub send_activation_emails: Option<bool>,
}

#[derive(Serialize)]
struct ScheduleBody<'a> {
    user_ids: &'a [String],
    state: &'static str,
    start_date: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    send_activation_emails: Option<bool>,
}

impl OrgClient {
    /// Schedules the change; one result per user, all with the same job id. Never
    /// retried: a repeat would schedule a second job.
    pub async fn schedule_user_states(
        &self,
        change: &UserStateChange,
    ) -> Result<Vec<ScheduledUserState>, Error> {
        if change.state == UserState::Staged {
            return Err(Error::BadRequest(
                "users can only be scheduled to be activated or suspended".into(),
            ));
        }
        for id in &change.user_ids {
            object_id(id)?;
        }
        let start_date = change
            .start
            .format(&Rfc3339)
            .map_err(|error| Error::BadRequest(format!("start date: {error}")))?;
        let body = ScheduleBody {
            user_ids: &change.user_ids,
            state: change.state.as_str(),
            start_date,
            send_activation_emails: change.send_activation_emails,
        };
        self.execute(Call::post("/api/v2/bulk/userstates", json_body(&body)?))
            .await?
            .json()
    }

    /// Every scheduled change that has not run yet.
    pub async fn list_scheduled_user_states(&self) -> Result<Vec<ScheduledUserState>, Error> {
        self.list_all_unsorted("/api/v2/bulk/userstates").await
    }

    /// Cancels a scheduled job, for every user in it.
    pub async fn cancel_scheduled_user_states(&self, job_id: &str) -> Result<(), Error> {
        let path = format!("/api/v2/bulk/userstates/{}", object_id(job_id)?);
        self.execute(Call::delete(path)).await.map(drop)
    }
}
