//! Approval-flow requests (v2 `/approvalflowrequest`): users asking for temporary access
//! through an approval flow, for an admin to approve or deny (NOTES §14).

use serde::{Deserialize, Serialize};

use crate::client::{Call, OrgClient, json_body, object_id};
use crate::error::Error;
use crate::paging::ListShape;

/// `WorkflowAccessRequest`, tolerant of missing and extra fields.
#[derive(Debug, Clone, PartialEq, Eq, Default, Serialize, Deserialize)]
#[serde(default)]
pub struct AccessRequest {
    pub id: String,
    pub status: RequestStatus,
    /// The requesting user's id.
    pub requestor: Option<String>,
    #[serde(rename = "userName")]
    pub user_name: Option<String>,
    pub department: Option<String>,
    #[serde(rename = "approvalFlowId")]
    pub approval_flow_id: Option<String>,
    #[serde(rename = "approvalFlowName")]
    pub approval_flow_name: Option<String>,
    /// Durations as JumpCloud writes them, e.g. `3600s`.
    #[serde(rename = "requestedDuration")]
    pub requested_duration: Option<String>,
    #[serde(rename = "approvedDuration")]
    pub approved_duration: Option<String>,
    pub remarks: Option<String>,
    #[serde(rename = "createdAt")]
    pub created_at: Option<String>,
    #[serde(rename = "updatedAt")]
    pub updated_at: Option<String>,
    #[serde(rename = "updatedBy")]
    pub updated_by: Option<String>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize, Deserialize)]
#[serde(rename_all = "SCREAMING_SNAKE_CASE")]
pub enum RequestStatus {
    Pending,
    Approved,
    Denied,
    /// A status this version does not know.
    #[default]
    #[serde(other)]
    Unknown,
}

/// An admin's answer to a request.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Decision {
    /// Grants access; `duration` (e.g. `3600s`) overrides the requested one.
    Approve {
        duration: Option<String>,
    },
    Deny,
}

/// The body of `PUT /approvalflowrequest/{id}`.
#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
struct DecisionBody<'a> {
    status: RequestStatus,
    /// The admin recorded as the decider.
    admin: &'a str,
    #[serde(skip_serializing_if = "Option::is_none")]
    approved_duration: Option<&'a str>,
    #[serde(skip_serializing_if = "Option::is_none")]
    remarks: Option<&'a str>,
}

impl OrgClient {
    /// Every approval-flow request, in id order (a `{results, totalCount}` list).
    pub async fn list_access_requests(&self) -> Result<Vec<AccessRequest>, Error> {
        self.list_all(
            ACCESS_REQUESTS,
            ListShape::V1Envelope,
            Some("id"),
            &mut |_, _| {},
        )
        .await
    }

    pub async fn get_access_request(&self, id: &str) -> Result<AccessRequest, Error> {
        self.execute(Call::get(access_request_path(id)?))
            .await?
            .json()
    }

    /// Approves or denies a pending request; `admin` is recorded as the decider.
    pub async fn decide_access_request(
        &self,
        id: &str,
        decision: &Decision,
        admin: &str,
        remarks: Option<&str>,
    ) -> Result<AccessRequest, Error> {
        let (status, approved_duration) = match decision {
            Decision::Approve { duration } => (RequestStatus::Approved, duration.as_deref()),
            Decision::Deny => (RequestStatus::Denied, None),
        };
        let body = DecisionBody {
            status,
            admin,
            approved_duration,
            remarks,
        };
        self.execute(Call::put(access_request_path(id)?, json_body(&body)?))
            .await?
            .json()
    }
}

const ACCESS_REQUESTS: &str = "/api/v2/approvalflowrequest";

fn access_request_path(id: &str) -> Result<String, Error> {
    Ok(format!("{ACCESS_REQUESTS}/{}", object_id(id)?))
}
