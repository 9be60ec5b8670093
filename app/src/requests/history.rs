//! `/o/{org}/requests/{id}`: one request's whole story, kept after it ends: who asked
//! and why, every decision, every job with its attempts and JumpCloud's errors, what
//! was done, extensions, and the audit lines that name it.

use leptos::prelude::*;
use serde::{Deserialize, Serialize};

use crate::components::FormError;
use crate::components::{AuditLine, ErrorPanel, RecentChanges};
use crate::directory::id_param;
use crate::directory::query_param;
use crate::error::AppError;
use crate::home::org_param;
use crate::requests::RequestView;
use crate::requests::items::StepStatus;
use crate::requests::pages::{PlanLines, RequestTable, duration_label};
use crate::requests::workflows::{CancelDeletion, IssueJoinerPassword, RetryStep};
use crate::when;

#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct RequestHistory {
    pub request: RequestView,
    pub decisions: Vec<DecisionLine>,
    pub jobs: Vec<JobView>,
    pub extensions: Vec<RequestView>,
    pub audit: Vec<AuditLine>,
    /// Whether the reader may retry steps and cancel a scheduled deletion.
    pub may_manage: bool,
    /// A leaver's deletion is still to come.
    pub deletion_pending: bool,
    /// The reader completed this joiner and may issue its temporary password (once).
    pub may_issue_password: bool,
    /// "issued to … on …", once it was.
    pub password_issued: Option<String>,
    /// The password just issued, shown this once.
    pub temporary_password: Option<String>,
}

#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct DecisionLine {
    /// None: an auto-approve rule.
    pub by: Option<String>,
    pub step: i64,
    pub verdict: String,
    pub comment: String,
    pub at: i64,
}

#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct JobView {
    pub kind: String,
    pub status: String,
    pub attempts: i64,
    pub last_error: Option<String>,
    pub created_at: i64,
    pub updated_at: i64,
}

#[server(endpoint = "requests/history")]
pub async fn load_request_history(
    org: String,
    id: i64,
    password: Option<String>,
) -> Result<RequestHistory, AppError> {
    crate::error::with_http_status(ssr::history(&org, id, password.as_deref()).await)
}

#[cfg(feature = "ssr")]
mod ssr {
    use super::{DecisionLine, JobView, RequestHistory};
    use crate::components::AuditLine;
    use crate::error::AppError;
    use crate::requests::{ItemKind, jobs, store, workflows};
    use crate::state::app_state;
    use crate::tenants::Capability;
    use crate::tenants::access::authorize;

    /// Most audit lines a history shows.
    const AUDIT_LINES: i64 = 100;

    /// The requester, those who decide or audit requests, and the subject's JumpCloud
    /// manager may read a request; for anyone else it does not exist.
    pub async fn history(
        org: &str,
        id: i64,
        password_token: Option<&str>,
    ) -> Result<RequestHistory, AppError> {
        let state = app_state()?;
        let context = authorize(&state, org, Capability::Enter).await?;
        let row = store::request(&state.db, context.org.id, id).await?;
        let may_read = row.requester_account_id == context.account.id
            || context.role.allows(Capability::DecideRequests)
            || context.role.allows(Capability::ViewAudit)
            || crate::requests::ssr::subject_manager_email(&context, &row)
                .await?
                .is_some_and(|manager| manager.eq_ignore_ascii_case(&context.account.email));
        if !may_read {
            return Err(AppError::NotFound("That request".into()));
        }
        let by_id = store::Filter {
            id: Some(id),
            ..store::Filter::default()
        };
        let request = store::list(&state.db, context.org.id, &by_id)
            .await?
            .into_iter()
            .next()
            .ok_or_else(|| AppError::NotFound("That request".into()))?;
        let decisions = store::decisions(&state.db, id)
            .await?
            .into_iter()
            .map(|(by, step, verdict, comment, at)| DecisionLine {
                by,
                step,
                verdict,
                comment,
                at,
            })
            .collect();
        let job_lines = jobs::for_request(&state.db, id).await?;
        let deletion_pending = job_lines
            .iter()
            .any(|job| job.kind == "delete" && matches!(job.status.as_str(), "queued" | "failed"));
        let jobs = job_lines
            .into_iter()
            .map(|job| JobView {
                kind: job.kind,
                status: job.status,
                attempts: job.attempts,
                last_error: job.last_error,
                created_at: job.created_at,
                updated_at: job.updated_at,
            })
            .collect();
        let extensions_of = store::Filter {
            extends: Some(id),
            ..store::Filter::default()
        };
        let extensions = store::list(&state.db, context.org.id, &extensions_of).await?;
        let audit = crate::audit::for_target(
            &state.db,
            context.org.id,
            &format!("request {id}"),
            AUDIT_LINES,
        )
        .await?
        .into_iter()
        .map(AuditLine::from)
        .collect();
        let details = row.details();
        let is_joiner = request.kind == ItemKind::Joiner;
        let may_issue_password = is_joiner
            && request.status == "done"
            && details.password_issued.is_none()
            && workflows::ssr::completed_by(&state.db, id, context.account.id).await?;
        let temporary_password = password_token
            .filter(|token| !token.is_empty())
            .and_then(|token| state.users.passwords.take(context.account.id, token))
            .map(|password| password.expose().to_string());
        Ok(RequestHistory {
            request,
            decisions,
            jobs,
            extensions,
            audit,
            may_manage: context.role.allows(Capability::ManageOrg),
            deletion_pending,
            may_issue_password,
            password_issued: details
                .password_issued
                .map(|(at, to)| format!("issued to {to} on {}", crate::when::minute(at))),
            temporary_password,
        })
    }
}

#[component]
pub fn RequestHistoryRoute() -> impl IntoView {
    let org = org_param();
    let id = id_param();
    let password = query_param("password");
    let actions = HistoryActions {
        retry_step: ServerAction::<RetryStep>::new(),
        cancel_deletion: ServerAction::<CancelDeletion>::new(),
        issue_password: ServerAction::<IssueJoinerPassword>::new(),
    };
    let data = Resource::new(
        move || {
            (
                org.get(),
                id.get(),
                password.get(),
                actions.retry_step.version().get(),
                actions.cancel_deletion.version().get(),
            )
        },
        |(org, id, password, ..)| async move {
            let id = id
                .parse()
                .map_err(|_| AppError::NotFound("That request".into()))?;
            load_request_history(org, id, Some(password)).await
        },
    );
    view! {
        <p class="breadcrumbs"><a href=move || format!("/o/{}/requests", org.get())>"Requests"</a></p>
        <Suspense fallback=|| view! { <p class="loading">"Loading…"</p> }>
            {move || Suspend::new(async move {
                match data.await {
                    Ok(history) => view! { <HistoryView history org=org.get_untracked() actions /> }.into_any(),
                    Err(error) => view! { <ErrorPanel error /> }.into_any(),
                }
            })}
        </Suspense>
    }
}

#[derive(Clone, Copy)]
struct HistoryActions {
    retry_step: ServerAction<RetryStep>,
    cancel_deletion: ServerAction<CancelDeletion>,
    issue_password: ServerAction<IssueJoinerPassword>,
}

#[component]
fn HistoryView(history: RequestHistory, org: String, actions: HistoryActions) -> impl IntoView {
    let request = history.request.clone();
    let duration = if request.kind.is_action() {
        request.kind.label().to_string()
    } else {
        duration_label(request.duration_minutes.unwrap_or(0))
    };
    view! {
        <h1>{format!("Request #{}: {}", request.id, request.item)}</h1>
        <section class="panel">
            <dl class="facts" aria-label="Request">
                <dt>"Status"</dt><dd data-testid="history-status">{request.status.clone()}</dd>
                <dt>"Asked by"</dt><dd>{request.requester.clone()} " on " {when::minute(request.created_at)}</dd>
                <dt>"For"</dt><dd>{request.target.clone()}</dd>
                <dt>"What"</dt><dd>{duration}</dd>
                <dt>"Why"</dt><dd>{request.justification.clone()}</dd>
                {request.starts_at.map(|at| view! { <dt>"Started"</dt><dd>{when::minute(at)}</dd> })}
                {request.ends_at.map(|at| view! { <dt>"Ends"</dt><dd>{when::minute(at)}</dd> })}
                {request.extends.map(|grant| view! {
                    <dt>"Extends"</dt><dd><a href=crate::requests::request_path(&org, grant)>{format!("#{grant}")}</a></dd>
                })}
                {request.outcome.clone().map(|done| view! { <dt>"Done in JumpCloud"</dt><dd data-testid="history-outcome">{done}</dd> })}
                {request.last_error.clone().map(|error| view! { <dt>"Last error"</dt><dd class="error">{error}</dd> })}
            </dl>
            <PlanLines plan=request.plan.clone() />
        </section>
        <TemporaryPassword history=history.clone() org=org.clone() actions />
        <Steps history=history.clone() org=org.clone() actions />
        <section class="panel">
            <h2>"Decisions"</h2>
            {if history.decisions.is_empty() {
                view! { <p class="empty">"No decision yet."</p> }.into_any()
            } else {
                view! {
                    <ul aria-label="Decisions">
                        {history.decisions.into_iter().map(|decision| view! {
                            <li>
                                {when::minute(decision.at)} " — "
                                {decision.by.unwrap_or_else(|| "policy rule".into())} " "
                                <strong>{decision.verdict}</strong>
                                {format!(" (step {})", decision.step + 1)}
                                {(!decision.comment.is_empty()).then(|| format!(": {}", decision.comment))}
                            </li>
                        }).collect_view()}
                    </ul>
                }.into_any()
            }}
        </section>
        <section class="panel">
            <h2>"Work in JumpCloud"</h2>
            {if history.jobs.is_empty() {
                view! { <p class="empty">"Nothing queued."</p> }.into_any()
            } else {
                view! {
                    <table class="data" aria-label="Jobs">
                        <thead><tr>
                            <th scope="col">"Job"</th><th scope="col">"Status"</th><th scope="col">"Attempts"</th>
                            <th scope="col">"Queued"</th><th scope="col">"Last change"</th><th scope="col">"Error"</th>
                        </tr></thead>
                        <tbody>
                            {history.jobs.into_iter().map(|job| view! {
                                <tr>
                                    <td>{job.kind}</td><td>{job.status}</td><td>{job.attempts}</td>
                                    <td>{when::minute(job.created_at)}</td><td>{when::minute(job.updated_at)}</td>
                                    <td>{job.last_error.unwrap_or_default()}</td>
                                </tr>
                            }).collect_view()}
                        </tbody>
                    </table>
                }.into_any()
            }}
        </section>
        {(!history.extensions.is_empty()).then(|| view! {
            <section class="panel">
                <h2>"Extensions"</h2>
                <RequestTable requests=history.extensions.clone() org=org.clone() cancel=None />
            </section>
        })}
        <RecentChanges audit=history.audit />
    }
}

/// A workflow's steps: how each went, and (for admins) a retry of each failed one alone.
#[component]
fn Steps(history: RequestHistory, org: String, actions: HistoryActions) -> impl IntoView {
    let request = history.request;
    let (steps, request_id) = (request.steps, request.id);
    let may_retry = history.may_manage && request.status == "failed";
    let cancel_org = org.clone();
    (!steps.is_empty() || history.deletion_pending).then(move || view! {
        <section class="panel">
            <h2>"Steps"</h2>
            <FormError result=actions.retry_step.value() />
            <FormError result=actions.cancel_deletion.value() />
            <table class="data" aria-label="Steps">
                <thead><tr>
                    <th scope="col">"Step"</th><th scope="col">"Result"</th><th scope="col">"When"</th><th scope="col">""</th>
                </tr></thead>
                <tbody>
                    {steps.into_iter().map(|step| {
                        let failed = step.status == StepStatus::Failed;
                        let org = org.clone();
                        let name = step.name.clone();
                        view! {
                            <tr data-step=step.name.clone() class:failed=failed>
                                <td>{step.name.clone()}</td>
                                <td>{if failed { "failed: " } else { "done: " }} {step.message.clone()}</td>
                                <td>{when::minute(step.at)}</td>
                                <td>
                                    {(failed && may_retry).then(move || view! {
                                        <ActionForm action=actions.retry_step attr:class="inline">
                                            <input type="hidden" name="org" value=org />
                                            <input type="hidden" name="request_id" value=request_id />
                                            <input type="hidden" name="step" value=name />
                                            <button type="submit">"Retry this step"</button>
                                        </ActionForm>
                                    })}
                                </td>
                            </tr>
                        }
                    }).collect_view()}
                </tbody>
            </table>
            {(history.deletion_pending && history.may_manage).then(|| view! {
                <ActionForm action=actions.cancel_deletion attr:class="row">
                    <input type="hidden" name="org" value=cancel_org />
                    <input type="hidden" name="request_id" value=request_id />
                    <button type="submit" class="danger">"Cancel the scheduled deletion"</button>
                </ActionForm>
            })}
        </section>
    })
}

/// A completed joiner's temporary password: issued once, by the approver who completed
/// the request, and shown on the page the issue redirects to.
#[component]
fn TemporaryPassword(
    history: RequestHistory,
    org: String,
    actions: HistoryActions,
) -> impl IntoView {
    let request_id = history.request.id;
    let shown = history.temporary_password.clone();
    let issued = history.password_issued.clone();
    let may_issue = history.may_issue_password;
    (shown.is_some() || issued.is_some() || may_issue).then(move || view! {
        <section class="panel" aria-labelledby="password-heading">
            <h2 id="password-heading">"Temporary password"</h2>
            <FormError result=actions.issue_password.value() />
            {match (shown, issued) {
                (Some(password), _) => view! {
                    <p>"Give this to the new user for their first login (they must change it). It is not shown again:"</p>
                    <p><code class="secret" data-testid="temporary-password">{password}</code></p>
                }.into_any(),
                (None, Some(issued)) => view! { <p data-testid="password-issued">{format!("The temporary password was {issued}.")}</p> }.into_any(),
                (None, None) => view! {
                    <ActionForm action=actions.issue_password attr:class="row">
                        <input type="hidden" name="org" value=org />
                        <input type="hidden" name="request_id" value=request_id />
                        <button type="submit" class="primary">"Issue the temporary password"</button>
                    </ActionForm>
                }.into_any(),
            }}
        </section>
    })
}
