//! Saved commands: `/o/{org}/commands` lists them, `/o/{org}/commands/{id}` shows the
//! script and its results and runs it on chosen systems after a confirmation.

use leptos::prelude::*;
use serde::{Deserialize, Serialize};

use super::{Notice, ObjectRef, id_param, loading};
use crate::components::{Badge, ErrorPanel, FormError};
use crate::error::AppError;
use crate::home::org_param;

#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct CommandSummary {
    pub id: String,
    pub name: String,
    /// `linux`, `mac` or `windows`.
    pub kind: String,
    /// How it starts: `manual`, `trigger`, `repeated`, … or empty.
    pub launch: String,
    pub description: String,
}

/// One run of the command on one system.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct CommandRunResult {
    pub system: String,
    pub exit_code: Option<i64>,
    pub requested_at: String,
    pub responded_at: String,
}

#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct CommandDetail {
    pub summary: CommandSummary,
    pub script: String,
    /// Newest first.
    pub results: Vec<CommandRunResult>,
    /// The systems whose OS runs this kind of command, to run it on (empty unless the
    /// account may manage).
    pub runnable_on: Vec<ObjectRef>,
    pub can_manage: bool,
}

#[server(endpoint = "commands")]
pub async fn list_commands(org: String) -> Result<Vec<CommandSummary>, AppError> {
    crate::error::with_http_status(ssr::list(&org).await)
}

#[server(endpoint = "commands/detail")]
pub async fn load_command(org: String, id: String) -> Result<CommandDetail, AppError> {
    crate::error::with_http_status(ssr::detail(&org, &id).await)
}

/// Queues the command on the ticked systems; `confirm` is the confirmation checkbox.
#[server(endpoint = "commands/run")]
pub async fn run_saved_command(
    org: String,
    id: String,
    system_ids: Option<Vec<String>>,
    confirm: Option<String>,
) -> Result<(), AppError> {
    crate::error::with_http_status(
        ssr::run(
            &org,
            &id,
            system_ids.unwrap_or_default(),
            confirm.as_deref(),
        )
        .await,
    )
}

#[component]
pub fn CommandsPage() -> impl IntoView {
    let org = org_param();
    let commands = Resource::new(move || org.get(), list_commands);
    view! {
        <h1>"Commands"</h1>
        <section class="panel">
            <Suspense fallback=loading>
                {move || Suspend::new(async move {
                    match commands.await {
                        Ok(list) if list.is_empty() => view! { <p class="empty">"No saved command."</p> }.into_any(),
                        Ok(list) => view! { <CommandTable org=org.get_untracked() list /> }.into_any(),
                        Err(error) => view! { <ErrorPanel error /> }.into_any(),
                    }
                })}
            </Suspense>
        </section>
    }
}

#[component]
fn CommandTable(org: String, list: Vec<CommandSummary>) -> impl IntoView {
    view! {
        <table class="data" aria-label="Commands">
            <thead>
                <tr>
                    <th scope="col">"Name"</th>
                    <th scope="col">"Runs on"</th>
                    <th scope="col">"Launch"</th>
                    <th scope="col">"Description"</th>
                </tr>
            </thead>
            <tbody>
                {list
                    .into_iter()
                    .map(|command| {
                        view! {
                            <tr>
                                <td><a href=format!("/o/{org}/commands/{}", command.id)>{command.name}</a></td>
                                <td>{command.kind}</td>
                                <td>{command.launch}</td>
                                <td>{command.description}</td>
                            </tr>
                        }
                    })
                    .collect_view()}
            </tbody>
        </table>
    }
}

#[component]
pub fn CommandPage() -> impl IntoView {
    let org = org_param();
    let id = id_param();
    let run = ServerAction::<RunSavedCommand>::new();
    let detail = Resource::new(
        move || (org.get(), id.get(), run.version().get()),
        |(org, id, _)| load_command(org, id),
    );
    view! {
        <p><a href=move || format!("/o/{}/commands", org.get())>"← Commands"</a></p>
        <Notice />
        <Suspense fallback=loading>
            {move || Suspend::new(async move {
                match detail.await {
                    Ok(command) => view! { <CommandView org=org.get_untracked() command run /> }.into_any(),
                    Err(error) => view! { <ErrorPanel error /> }.into_any(),
                }
            })}
        </Suspense>
    }
}

#[component]
fn CommandView(
    org: String,
    command: CommandDetail,
    run: ServerAction<RunSavedCommand>,
) -> impl IntoView {
    let CommandDetail {
        summary,
        script,
        results,
        runnable_on,
        can_manage,
    } = command;
    let run_form = can_manage.then(|| view! { <RunPanel org id=summary.id.clone() name=summary.name.clone() systems=runnable_on run /> });
    view! {
        <h1>{summary.name}</h1>
        <p class="lead">{summary.description}</p>
        <p class="muted">{format!("{} · {}", summary.kind, summary.launch)}</p>
        <section class="panel">
            <h2>"Script"</h2>
            <pre class="script">{script}</pre>
        </section>
        <section class="panel">
            <h2>{format!("Results ({})", results.len())}</h2>
            {if results.is_empty() {
                view! { <p class="empty">"It has not run yet."</p> }.into_any()
            } else {
                view! { <ResultTable results /> }.into_any()
            }}
        </section>
        {run_form}
    }
}

#[component]
fn ResultTable(results: Vec<CommandRunResult>) -> impl IntoView {
    view! {
        <table class="data" aria-label="Results">
            <thead>
                <tr>
                    <th scope="col">"System"</th>
                    <th scope="col">"Exit code"</th>
                    <th scope="col">"Requested"</th>
                    <th scope="col">"Answered"</th>
                </tr>
            </thead>
            <tbody>
                {results
                    .into_iter()
                    .map(|result| {
                        let exit = match result.exit_code {
                            Some(0) => view! { <Badge tone="ok" text="0" /> },
                            Some(code) => view! { <Badge tone="danger" text=code.to_string() /> },
                            None => view! { <Badge tone="muted" text="none" /> },
                        };
                        view! {
                            <tr>
                                <td>{result.system}</td>
                                <td>{exit}</td>
                                <td>{result.requested_at}</td>
                                <td>{result.responded_at}</td>
                            </tr>
                        }
                    })
                    .collect_view()}
            </tbody>
        </table>
    }
}

#[component]
fn RunPanel(
    org: String,
    id: String,
    name: String,
    systems: Vec<ObjectRef>,
    run: ServerAction<RunSavedCommand>,
) -> impl IntoView {
    view! {
        <section class="panel danger-zone">
            <h2>"Run"</h2>
            <ActionForm action=run attr:class="stack" attr:aria-label="Run the command">
                <FormError result=run.value() />
                <input type="hidden" name="org" value=org />
                <input type="hidden" name="id" value=id />
                {if systems.is_empty() {
                    view! { <p class="empty">"No system runs this kind of command."</p> }.into_any()
                } else {
                    view! {
                        <fieldset class="checklist">
                            <legend>"Systems"</legend>
                            {systems
                                .into_iter()
                                .enumerate()
                                .map(|(index, system)| view! {
                                    <label class="choice">
                                        <input type="checkbox" name=format!("system_ids[{index}]") value=system.id />
                                        {system.name}
                                    </label>
                                })
                                .collect_view()}
                        </fieldset>
                    }
                        .into_any()
                }}
                <label class="choice">
                    <input type="checkbox" name="confirm" value="yes" required />
                    {format!("Run {name} on the ticked systems")}
                </label>
                <button type="submit" class="danger">"Run command"</button>
            </ActionForm>
        </section>
    }
}

#[cfg(feature = "ssr")]
mod ssr {
    use std::collections::HashMap;

    use jumpcloud::commands::Command;

    use super::{CommandDetail, CommandRunResult, CommandSummary};
    use crate::audit;
    use crate::directory::ObjectRef;
    use crate::directory::ssr::{org_context, redirect_with_notice, system_label};
    use crate::error::AppError;
    use crate::tenants::Capability;
    use crate::when::jumpcloud_time;

    fn summary(command: Command) -> CommandSummary {
        CommandSummary {
            id: command.id,
            name: command.name,
            kind: command.command_type.unwrap_or_default(),
            launch: command.launch_type.unwrap_or_default(),
            description: command.description.unwrap_or_default(),
        }
    }

    /// The OS family (`System::os_family`) that runs a command of `kind`.
    fn os_family_for(kind: &str) -> &str {
        match kind {
            "mac" => "darwin",
            other => other,
        }
    }

    pub async fn list(slug: &str) -> Result<Vec<CommandSummary>, AppError> {
        let (_, context) = org_context(slug, Capability::ViewDirectory).await?;
        let mut commands: Vec<CommandSummary> = context
            .jumpcloud
            .list_all_commands(&mut |_, _| {})
            .await?
            .into_iter()
            .map(summary)
            .collect();
        commands.sort_by_key(|command| command.name.to_lowercase());
        Ok(commands)
    }

    pub async fn detail(slug: &str, id: &str) -> Result<CommandDetail, AppError> {
        let (_, context) = org_context(slug, Capability::ViewDirectory).await?;
        let api = &context.jumpcloud;
        let mut command = api.get_command(id).await?;
        let script = command.command.take().unwrap_or_default();
        let mut results = api.list_command_results(id).await?;
        // Newest first; RFC 3339 timestamps of one service sort as text.
        results.sort_by(|a, b| b.request_time.cmp(&a.request_time));
        let time = |at: Option<String>| at.as_deref().map(jumpcloud_time).unwrap_or_default();
        let results: Vec<CommandRunResult> = results
            .into_iter()
            .map(|result| CommandRunResult {
                exit_code: result.exit_code(),
                system: result.system.unwrap_or_default(),
                requested_at: time(result.request_time),
                responded_at: time(result.response_time),
            })
            .collect();
        let can_manage = context.role.allows(Capability::ManageDirectory);
        let summary = summary(command);
        let runnable_on = if can_manage {
            let family = os_family_for(&summary.kind);
            let mut systems: Vec<ObjectRef> = api
                .list_all_systems(&mut |_, _| {})
                .await?
                .iter()
                .filter(|system| system.os_family.as_deref() == Some(family))
                .map(|system| ObjectRef {
                    id: system.id.clone(),
                    name: system_label(system),
                })
                .collect();
            systems.sort_by_key(|system| system.name.to_lowercase());
            systems
        } else {
            Vec::new()
        };
        Ok(CommandDetail {
            summary,
            script,
            results,
            runnable_on,
            can_manage,
        })
    }

    pub async fn run(
        slug: &str,
        id: &str,
        system_ids: Vec<String>,
        confirm: Option<&str>,
    ) -> Result<(), AppError> {
        let (state, context) = org_context(slug, Capability::ManageDirectory).await?;
        let api = &context.jumpcloud;
        let command = api.get_command(id).await?;
        let system_ids: Vec<String> = system_ids
            .into_iter()
            .filter(|system| !system.is_empty())
            .collect();
        if system_ids.is_empty() {
            return Err(AppError::bad_request(
                "Tick at least one system; nothing was run.",
            ));
        }
        if confirm.is_none_or(str::is_empty) {
            return Err(AppError::bad_request(format!(
                "Tick the box to confirm running {}; nothing was run.",
                command.name
            )));
        }
        let names: HashMap<String, String> = api
            .list_all_systems(&mut |_, _| {})
            .await?
            .iter()
            .map(|system| (system.id.clone(), system_label(system)))
            .collect();
        let targets: Vec<&str> = system_ids
            .iter()
            .map(|system| names.get(system).map_or(system.as_str(), String::as_str))
            .collect();
        let result = api.run_command(id, Some(&system_ids)).await;
        let summary = format!("ran {:?} on {}", command.name, targets.join(", "));
        let (summary, outcome) = match &result {
            Ok(_) => (summary, "ok"),
            Err(error) => (format!("{summary}: {error}"), "failed"),
        };
        audit::org_action(
            &state.db,
            &context,
            "command.run",
            &format!("command {id}"),
            &summary,
            outcome,
        )
        .await?;
        result?;
        redirect_with_notice(
            &format!("/o/{slug}/commands/{id}"),
            &format!(
                "Queued {} on {}: it runs when each system is next online.",
                command.name,
                targets.join(", ")
            ),
        );
        Ok(())
    }
}
