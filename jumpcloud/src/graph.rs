//! The v2 graph: the objects at either end of an association, the associations and
//! traversals the membership and association routes return, and the two operations every
//! association route shares (list the direct associations, add or remove one).

use serde::{Deserialize, Serialize};
use serde_json::{Value, json};

use crate::client::{Call, OrgClient, object_id};
use crate::error::Error;

/// A v2 graph object type (`GraphType`); types Lanyard does not handle read as `Other`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Default, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum GraphType {
    User,
    UserGroup,
    System,
    SystemGroup,
    Application,
    Command,
    Policy,
    PolicyGroup,
    #[default]
    #[serde(other)]
    Other,
}

impl GraphType {
    /// The name JumpCloud uses in `type` fields and `targets` parameters.
    pub fn as_str(self) -> &'static str {
        match self {
            GraphType::User => "user",
            GraphType::UserGroup => "user_group",
            GraphType::System => "system",
            GraphType::SystemGroup => "system_group",
            GraphType::Application => "application",
            GraphType::Command => "command",
            GraphType::Policy => "policy",
            GraphType::PolicyGroup => "policy_group",
            GraphType::Other => "other",
        }
    }
}

/// `GraphObject`: one end of an association.
#[derive(Debug, Clone, PartialEq, Default, Serialize, Deserialize)]
#[serde(default)]
pub struct GraphObject {
    pub id: String,
    #[serde(rename = "type")]
    pub kind: GraphType,
    pub attributes: Option<Value>,
}

/// `GraphConnection`: an association; `from` is left out when the route makes it obvious.
#[derive(Debug, Clone, PartialEq, Default, Serialize, Deserialize)]
#[serde(default)]
pub struct GraphConnection {
    pub from: Option<GraphObject>,
    pub to: GraphObject,
    pub attributes: Option<Value>,
}

/// `GraphObjectWithPaths`: an object reached through the graph, with every path that
/// reaches it (removing all of them is what takes the access away).
#[derive(Debug, Clone, PartialEq, Default, Serialize, Deserialize)]
#[serde(default, rename_all = "camelCase")]
pub struct GraphObjectWithPaths {
    pub id: String,
    #[serde(rename = "type")]
    pub kind: GraphType,
    pub compiled_attributes: Option<Value>,
    pub paths: Vec<Vec<GraphConnection>>,
}

/// What a graph operation does to an association or membership.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum GraphOp {
    Add,
    Remove,
}

impl GraphOp {
    fn as_str(self) -> &'static str {
        match self {
            GraphOp::Add => "add",
            GraphOp::Remove => "remove",
        }
    }
}

impl OrgClient {
    /// Every direct association of the object at `path` (`.../associations`) with
    /// objects of `target`.
    pub(crate) async fn graph_associations(
        &self,
        path: &str,
        target: GraphType,
    ) -> Result<Vec<GraphConnection>, Error> {
        self.list_all_unsorted(&format!("{path}?targets={}", target.as_str()))
            .await
    }

    /// A graph operation `{op, type, id}` on `.../associations` or `.../members`. Adding
    /// what is already there is `Error::Conflict`, removing what is not there
    /// `Error::NotFound`. Sent as an idempotent POST: a repeat ends in the same state
    /// (a retried add that had already landed reads as `Conflict`).
    pub(crate) async fn graph_operation(
        &self,
        path: &str,
        op: GraphOp,
        target: GraphType,
        target_id: &str,
    ) -> Result<(), Error> {
        let body = json!({
            "op": op.as_str(),
            "type": target.as_str(),
            "id": object_id(target_id)?,
        });
        self.execute(Call::post(path, body).idempotent())
            .await
            .map(drop)
    }
}
