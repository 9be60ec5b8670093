//! JumpCloud's own access requests (`/approvalflowrequest`), for organizations that use
//! JumpCloud's approval flows: listed in the approver inbox beside Lanyard's requests and
//! approved or denied through JumpCloud's API, audited here.

use leptos::prelude::*;
use serde::{Deserialize, Serialize};

use crate::components::FormError;
use crate::error::AppError;
use crate::requests::Verdict;

#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct FlowRequestView {
    pub id: String,
    pub requester: String,
    pub flow: String,
    pub duration: String,
    pub remarks: String,
    pub created_at: String,
}

/// The pending ones, or why JumpCloud would not list them.
pub type FlowRequests = Result<Vec<FlowRequestView>, String>;

#[server(endpoint = "requests/jumpcloud/decide")]
pub async fn decide_jumpcloud_request(
    org: String,
    id: String,
    verdict: Option<String>,
    comment: Option<String>,
) -> Result<(), AppError> {
    crate::error::with_http_status(
        ssr::decide(
            &org,
            &id,
            verdict.as_deref().unwrap_or_default(),
            comment.as_deref().unwrap_or_default(),
        )
        .await,
    )
}

#[cfg(feature = "ssr")]
pub(crate) mod ssr {
    use jumpcloud::approval_flows::{Decision, RequestStatus};

    use super::{FlowRequestView, FlowRequests};
    use crate::audit;
    use crate::directory::ssr::redirect_with_notice;
    use crate::error::AppError;
    use crate::requests::Verdict;
    use crate::state::{AppState, app_state};
    use crate::tenants::Capability;
    use crate::tenants::access::{OrgContext, authorize};
    use crate::users::cache::Touched;

    /// JumpCloud's pending access requests; a JumpCloud that refuses (no approval flows,
    /// no permission) leaves the page working and says why.
    pub async fn pending(state: &AppState, context: &OrgContext) -> FlowRequests {
        let cache = &state.users.cache;
        if let Some(flows) = cache.flows(&context.org) {
            return flows;
        }
        let flows = read_pending(context).await;
        cache.put_flows(&context.org, flows.clone());
        flows
    }

    async fn read_pending(context: &OrgContext) -> FlowRequests {
        match context.jumpcloud.list_access_requests().await {
            Ok(requests) => Ok(requests
                .into_iter()
                .filter(|request| request.status == RequestStatus::Pending)
                .map(|request| FlowRequestView {
                    requester: request.user_name.or(request.requestor).unwrap_or_default(),
                    flow: request.approval_flow_name.unwrap_or_default(),
                    duration: request.requested_duration.unwrap_or_default(),
                    remarks: request.remarks.unwrap_or_default(),
                    created_at: request
                        .created_at
                        .as_deref()
                        .map(crate::when::jumpcloud_time)
                        .unwrap_or_default(),
                    id: request.id,
                })
                .collect()),
            Err(error) => Err(error.to_string()),
        }
    }

    pub async fn decide(org: &str, id: &str, verdict: &str, comment: &str) -> Result<(), AppError> {
        let state = app_state()?;
        let context = authorize(&state, org, Capability::DecideRequests).await?;
        let verdict = Verdict::parse(verdict)?;
        let current = context.jumpcloud.get_access_request(id).await?;
        if current.status != RequestStatus::Pending {
            return Err(AppError::Conflict(format!(
                "JumpCloud says this request was already decided{}.",
                current
                    .updated_by
                    .map(|by| format!(" by {by}"))
                    .unwrap_or_default()
            )));
        }
        let decision = match verdict {
            Verdict::Approve => Decision::Approve { duration: None },
            Verdict::Deny => Decision::Deny,
        };
        let comment = comment.trim();
        let result = context
            .jumpcloud
            .decide_access_request(
                id,
                &decision,
                &context.account.email,
                (!comment.is_empty()).then_some(comment),
            )
            .await;
        let requester = current.user_name.or(current.requestor).unwrap_or_default();
        let summary = match &result {
            Ok(_) => format!(
                "{} JumpCloud access request of {requester}",
                verdict.past_tense()
            ),
            Err(error) => {
                format!("could not decide JumpCloud access request of {requester}: {error}")
            }
        };
        audit::org_action(
            &state.db,
            &context,
            &format!("jumpcloud_request.{}", verdict.as_str()),
            &format!("approval flow request {id}"),
            &summary,
            if result.is_ok() { "ok" } else { "failed" },
        )
        .await?;
        // A decision in JumpCloud may change memberships.
        crate::directory::ssr::directory_changed(&state, context.org.id, Touched::Everything)
            .await?;
        result?;
        redirect_with_notice(
            &format!("/o/{org}/requests"),
            &format!(
                "JumpCloud access request of {requester} {}.",
                verdict.past_tense()
            ),
        );
        Ok(())
    }
}

/// The inbox's second table: JumpCloud's own pending requests.
#[component]
pub fn JumpCloudRequests(
    requests: FlowRequests,
    org: String,
    decide: ServerAction<DecideJumpcloudRequest>,
) -> impl IntoView {
    let body = match requests {
        Err(error) => view! { <p class="muted">"JumpCloud's approval flows could not be read: " {error}</p> }.into_any(),
        Ok(requests) if requests.is_empty() => view! { <p class="empty">"No JumpCloud access request is waiting."</p> }.into_any(),
        Ok(requests) => view! {
            <table class="data" aria-label="JumpCloud access requests">
                <thead><tr>
                    <th scope="col">"Requester"</th><th scope="col">"Approval flow"</th><th scope="col">"Duration"</th>
                    <th scope="col">"Remarks"</th><th scope="col">"Asked"</th><th scope="col">"Decision"</th>
                </tr></thead>
                <tbody>
                    {requests.into_iter().map(|request| {
                        let org = org.clone();
                        view! {
                        <tr>
                            <td>{request.requester}</td><td>{request.flow}</td><td>{request.duration}</td>
                            <td>{request.remarks}</td><td>{request.created_at}</td>
                            <td>
                                <ActionForm action=decide attr:class="row" attr:aria-label="Decide JumpCloud request">
                                    <input type="hidden" name="org" value=org />
                                    <input type="hidden" name="id" value=request.id />
                                    <input type="text" name="comment" maxlength="500" placeholder="Remarks" aria-label="Remarks" />
                                    <button type="submit" name="verdict" value=Verdict::Approve.as_str() class="primary">"Approve"</button>
                                    <button type="submit" name="verdict" value=Verdict::Deny.as_str() class="danger">"Deny"</button>
                                </ActionForm>
                            </td>
                        </tr>
                        }
                    }).collect_view()}
                </tbody>
            </table>
        }.into_any(),
    };
    view! {
        <section class="panel">
            <h2>"Waiting in JumpCloud's approval flows"</h2>
            <FormError result=decide.value() />
            {body}
        </section>
    }
}
