//! Commands (v1 `/commands`, `/runCommand`, `/commandresults`; v2 associations with
//! systems and system groups).

use serde::{Deserialize, Serialize};
use serde_json::json;

use crate::client::{Call, OrgClient, object_id};
use crate::error::Error;
use crate::graph::{GraphConnection, GraphOp, GraphType};
use crate::paging::ListShape;

/// `command` (and the narrower `commandslist` item), tolerant of missing fields.
#[derive(Debug, Clone, PartialEq, Default, Serialize, Deserialize)]
#[serde(default, rename_all = "camelCase")]
pub struct Command {
    #[serde(rename = "_id")]
    pub id: String,
    pub name: String,
    /// The script itself (truncated to 10k characters in lists).
    pub command: Option<String>,
    /// `linux`, `mac` or `windows`.
    pub command_type: Option<String>,
    pub shell: Option<String>,
    pub description: Option<String>,
    pub launch_type: Option<String>,
    pub trigger: Option<String>,
    pub schedule: Option<String>,
    pub schedule_repeat_type: Option<String>,
    pub sudo: Option<bool>,
    pub timeout: Option<String>,
}

/// `commandresult` (also the `commandresultslist` item and `commandresultbycommandid`,
/// which lacks `systemId`).
#[derive(Debug, Clone, PartialEq, Default, Serialize, Deserialize)]
#[serde(default, rename_all = "camelCase")]
pub struct CommandResult {
    #[serde(rename = "_id")]
    pub id: String,
    pub name: Option<String>,
    pub command: Option<String>,
    /// The display name of the system it ran on.
    pub system: Option<String>,
    pub system_id: Option<String>,
    pub user: Option<String>,
    pub sudo: Option<bool>,
    pub request_time: Option<String>,
    pub response_time: Option<String>,
    /// Only in list items; elsewhere read `response.data.exit_code`.
    pub exit_code: Option<i64>,
    pub response: Option<CommandResponse>,
    /// The id of the command that ran.
    pub workflow_id: Option<String>,
    pub workflow_instance_id: Option<String>,
}

#[derive(Debug, Clone, PartialEq, Eq, Default, Serialize, Deserialize)]
#[serde(default)]
pub struct CommandResponse {
    /// Standard error (cut to 40 characters in lists).
    pub error: Option<String>,
    pub data: Option<CommandResponseData>,
}

#[derive(Debug, Clone, PartialEq, Eq, Default, Serialize, Deserialize)]
#[serde(default, rename_all = "camelCase")]
pub struct CommandResponseData {
    pub exit_code: Option<i64>,
    /// Standard output (cut to 40 characters in lists).
    pub output: Option<String>,
}

impl CommandResult {
    /// The exit code, wherever this route put it.
    pub fn exit_code(&self) -> Option<i64> {
        self.exit_code
            .or_else(|| self.response.as_ref()?.data.as_ref()?.exit_code)
    }
}

/// What `POST /runCommand` answers: one queue entry per targeted system.
#[derive(Debug, Clone, PartialEq, Eq, Default, Deserialize)]
#[serde(default, rename_all = "camelCase")]
pub struct CommandRun {
    pub queue_ids: Vec<String>,
    pub workflow_instance_id: Option<String>,
}

impl OrgClient {
    /// Every command, in `_id` order.
    pub async fn list_all_commands(
        &self,
        progress: &mut (dyn FnMut(usize, Option<u64>) + Send),
    ) -> Result<Vec<Command>, Error> {
        self.list_all(
            "/api/commands",
            ListShape::V1Envelope,
            Some("_id"),
            progress,
        )
        .await
    }

    pub async fn get_command(&self, id: &str) -> Result<Command, Error> {
        let mut command: Command = self
            .execute(Call::get(format!("/api/commands/{}", object_id(id)?)))
            .await?
            .json()?;
        // This answer (the spec's `command`) carries no `_id`.
        if command.id.is_empty() {
            command.id = id.to_string();
        }
        Ok(command)
    }

    /// Runs the command on `system_ids`, or with `None` on every system bound to it.
    /// Never retried: a second run would run the script twice.
    pub async fn run_command(
        &self,
        id: &str,
        system_ids: Option<&[String]>,
    ) -> Result<CommandRun, Error> {
        let mut body = json!({ "_id": object_id(id)? });
        if let Some(system_ids) = system_ids {
            for system_id in system_ids {
                object_id(system_id)?;
            }
            body["systemIds"] = json!(system_ids);
        }
        self.execute(Call::post("/api/runCommand", body))
            .await?
            .json()
    }

    /// Every command result of the organization, in `_id` order.
    pub async fn list_all_command_results(
        &self,
        progress: &mut (dyn FnMut(usize, Option<u64>) + Send),
    ) -> Result<Vec<CommandResult>, Error> {
        self.list_all(
            "/api/commandresults",
            ListShape::V1Envelope,
            Some("_id"),
            progress,
        )
        .await
    }

    pub async fn get_command_result(&self, id: &str) -> Result<CommandResult, Error> {
        self.execute(Call::get(format!("/api/commandresults/{}", object_id(id)?)))
            .await?
            .json()
    }

    /// The results of one command. This v1 route answers a bare array without a total,
    /// and its items carry the system's name but not its id.
    pub async fn list_command_results(&self, id: &str) -> Result<Vec<CommandResult>, Error> {
        self.list_all_unsorted(&format!("/api/commands/{}/results", object_id(id)?))
            .await
    }

    /// The command's direct associations with `system`s or `system_group`s.
    pub async fn list_command_associations(
        &self,
        id: &str,
        target: GraphType,
    ) -> Result<Vec<GraphConnection>, Error> {
        self.graph_associations(&associations_path(id)?, target)
            .await
    }

    /// Binds (or unbinds) the command to a system or system group.
    pub async fn set_command_association(
        &self,
        id: &str,
        op: GraphOp,
        target: GraphType,
        target_id: &str,
    ) -> Result<(), Error> {
        self.graph_operation(&associations_path(id)?, op, target, target_id)
            .await
    }
}

fn associations_path(id: &str) -> Result<String, Error> {
    Ok(format!("/api/v2/commands/{}/associations", object_id(id)?))
}
