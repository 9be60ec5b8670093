//! Device policies: `/o/{org}/policies` lists every policy with its latest result on
//! each system it applies to.

use leptos::prelude::*;
use serde::{Deserialize, Serialize};

use super::{ObjectRef, loading};
use crate::components::{Badge, ErrorPanel};
use crate::error::AppError;
use crate::home::org_param;

/// The latest result of a policy on one system.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct PolicyStatus {
    pub system: ObjectRef,
    /// `success`, `failed`, `pending` or `unknown`.
    pub state: String,
    pub ended_at: String,
}

#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct PolicyReport {
    pub id: String,
    pub name: String,
    /// The template's display name, e.g. "Disk encryption (FileVault)".
    pub template: String,
    /// `darwin`, `windows`, `linux`, … or empty.
    pub os_family: String,
    /// By system name.
    pub statuses: Vec<PolicyStatus>,
}

impl PolicyReport {
    fn count(&self, state: &str) -> usize {
        self.statuses
            .iter()
            .filter(|status| status.state == state)
            .count()
    }
}

#[server(endpoint = "policies")]
pub async fn list_policies(org: String) -> Result<Vec<PolicyReport>, AppError> {
    crate::error::with_http_status(ssr::list(&org).await)
}

fn state_tone(state: &str) -> &'static str {
    match state {
        "success" => "ok",
        "failed" => "danger",
        "pending" => "warn",
        _ => "muted",
    }
}

#[component]
pub fn PoliciesPage() -> impl IntoView {
    let org = org_param();
    let policies = Resource::new(move || org.get(), list_policies);
    view! {
        <h1>"Policies"</h1>
        <Suspense fallback=loading>
            {move || Suspend::new(async move {
                match policies.await {
                    Ok(list) if list.is_empty() => view! { <p class="empty">"No policy."</p> }.into_any(),
                    Ok(list) => {
                        let org = org.get_untracked();
                        list.into_iter()
                            .map(|policy| view! { <PolicyPanel org=org.clone() policy /> })
                            .collect_view()
                            .into_any()
                    }
                    Err(error) => view! { <ErrorPanel error /> }.into_any(),
                }
            })}
        </Suspense>
    }
}

#[component]
fn PolicyPanel(org: String, policy: PolicyReport) -> impl IntoView {
    let summary = format!(
        "{} applied, {} failed, {} pending",
        policy.count("success"),
        policy.count("failed"),
        policy.count("pending"),
    );
    let label = format!("Results of {}", policy.name);
    view! {
        <section class="panel policy">
            <h2>{policy.name}</h2>
            <p class="muted">{policy.template} " · " {policy.os_family}</p>
            <details>
                <summary>{summary}</summary>
                <table class="data" aria-label=label>
                    <thead>
                        <tr>
                            <th scope="col">"System"</th>
                            <th scope="col">"Latest result"</th>
                            <th scope="col">"Finished"</th>
                        </tr>
                    </thead>
                    <tbody>
                        {policy
                            .statuses
                            .into_iter()
                            .map(|status| {
                                view! {
                                    <tr>
                                        <td><a href=format!("/o/{org}/devices/{}", status.system.id)>{status.system.name}</a></td>
                                        <td><Badge tone=state_tone(&status.state) text=status.state /></td>
                                        <td>{status.ended_at}</td>
                                    </tr>
                                }
                            })
                            .collect_view()}
                    </tbody>
                </table>
            </details>
        </section>
    }
}

#[cfg(feature = "ssr")]
mod ssr {
    use std::collections::HashMap;

    use futures::{StreamExt, TryStreamExt, stream};

    use super::{PolicyReport, PolicyStatus};
    use crate::directory::ObjectRef;
    use crate::directory::ssr::{CONCURRENT_CALLS, org_context, system_label};
    use crate::error::AppError;
    use crate::tenants::Capability;

    pub async fn list(slug: &str) -> Result<Vec<PolicyReport>, AppError> {
        let (_, context) = org_context(slug, Capability::ViewDirectory).await?;
        let api = &context.jumpcloud;
        let system_names: HashMap<String, String> = api
            .list_all_systems(&mut |_, _| {})
            .await?
            .iter()
            .map(|system| (system.id.clone(), system_label(system)))
            .collect();
        let system_names = &system_names;
        let policies = api.list_all_policies(&mut |_, _| {}).await?;
        let mut reports: Vec<PolicyReport> = stream::iter(policies)
            .map(|policy| async move {
                let mut statuses: Vec<PolicyStatus> = api
                    .list_policy_statuses(&policy.id)
                    .await?
                    .into_iter()
                    .map(|result| PolicyStatus {
                        system: ObjectRef {
                            name: system_names
                                .get(&result.system_id)
                                .cloned()
                                .unwrap_or_else(|| result.system_id.clone()),
                            id: result.system_id,
                        },
                        state: result.state.unwrap_or_else(|| "unknown".into()),
                        ended_at: result
                            .ended_at
                            .as_deref()
                            .map(crate::when::jumpcloud_time)
                            .unwrap_or_default(),
                    })
                    .collect();
                statuses.sort_by_key(|status| status.system.name.to_lowercase());
                let template = policy.template.unwrap_or_default();
                Ok::<_, AppError>(PolicyReport {
                    id: policy.id,
                    name: policy.name,
                    template: template.display_name.or(template.name).unwrap_or_default(),
                    os_family: template.os_meta_family.unwrap_or_default(),
                    statuses,
                })
            })
            .buffered(CONCURRENT_CALLS)
            .try_collect()
            .await?;
        reports.sort_by_key(|policy| policy.name.to_lowercase());
        Ok(reports)
    }
}
