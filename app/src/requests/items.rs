//! What a catalog item does when its request is approved: join a group for a while, or
//! one action on a user or a device. Action items are requested for a target and are
//! never time-bound.

use serde::{Deserialize, Serialize};

use crate::error::AppError;

#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum ItemKind {
    /// Membership of a JumpCloud user group, time-bound or permanent.
    Group,
    /// Create a new user (staged).
    Joiner,
    /// Offboard a user: suspend, remove from every group, end their requests and grants,
    /// optionally lock their devices.
    Leaver,
    ResetMfa,
    Unlock,
    /// Expire the password: the user sets a new one at the next login.
    ResetPassword,
    DeviceLock,
    DeviceErase,
    /// Move a user to another department: their groups follow the department rules.
    Mover,
}

pub const ALL_KINDS: [ItemKind; 9] = [
    ItemKind::Group,
    ItemKind::Joiner,
    ItemKind::Leaver,
    ItemKind::ResetMfa,
    ItemKind::Unlock,
    ItemKind::ResetPassword,
    ItemKind::DeviceLock,
    ItemKind::DeviceErase,
    ItemKind::Mover,
];

/// Whom or what an item acts on, which decides the fields of its request form.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Target {
    /// The requester themselves (group access).
    Requester,
    /// A person who does not exist yet.
    NewUser,
    ExistingUser,
    Device,
}

impl ItemKind {
    pub fn as_str(self) -> &'static str {
        match self {
            ItemKind::Group => "group",
            ItemKind::Joiner => "joiner",
            ItemKind::Leaver => "leaver",
            ItemKind::ResetMfa => "reset_mfa",
            ItemKind::Unlock => "unlock",
            ItemKind::ResetPassword => "reset_password",
            ItemKind::DeviceLock => "device_lock",
            ItemKind::DeviceErase => "device_erase",
            ItemKind::Mover => "mover",
        }
    }

    pub fn parse(value: &str) -> Result<ItemKind, AppError> {
        ALL_KINDS
            .into_iter()
            .find(|kind| kind.as_str() == value)
            .ok_or_else(|| AppError::bad_request(format!("{value:?} is not a kind of item.")))
    }

    /// How the catalog form names the kind.
    pub fn label(self) -> &'static str {
        match self {
            ItemKind::Group => "Group membership",
            ItemKind::Joiner => "New user (joiner)",
            ItemKind::Leaver => "Offboard a user (leaver)",
            ItemKind::ResetMfa => "Reset a user's MFA",
            ItemKind::Unlock => "Unlock a user",
            ItemKind::ResetPassword => "Reset a user's password",
            ItemKind::DeviceLock => "Lock a device",
            ItemKind::DeviceErase => "Erase a device",
            ItemKind::Mover => "Move a user to another department (mover)",
        }
    }

    pub fn target(self) -> Target {
        match self {
            ItemKind::Group => Target::Requester,
            ItemKind::Joiner => Target::NewUser,
            ItemKind::Leaver
            | ItemKind::ResetMfa
            | ItemKind::Unlock
            | ItemKind::ResetPassword
            | ItemKind::Mover => Target::ExistingUser,
            ItemKind::DeviceLock | ItemKind::DeviceErase => Target::Device,
        }
    }

    /// Actions happen once; only group access has a duration.
    pub fn is_action(self) -> bool {
        self != ItemKind::Group
    }
}

/// Who may request an item: anyone in one of the departments or a member of one of the
/// JumpCloud groups; with neither listed, everyone.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Eligibility {
    #[serde(default)]
    pub departments: Vec<String>,
    /// JumpCloud user group ids.
    #[serde(default)]
    pub groups: Vec<String>,
}

impl Eligibility {
    pub fn is_everyone(&self) -> bool {
        self.departments.is_empty() && self.groups.is_empty()
    }

    /// Whether someone in `department`, member of `groups`, may request the item.
    pub fn admits(&self, department: Option<&str>, groups: &[String]) -> bool {
        self.is_everyone()
            || department.is_some_and(|department| {
                self.departments
                    .iter()
                    .any(|listed| listed.eq_ignore_ascii_case(department))
            })
            || self.groups.iter().any(|group| groups.contains(group))
    }
}

/// What an action request carries besides its target, stored as JSON on the request.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Details {
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub joiner: Option<Joiner>,
    #[serde(default, skip_serializing_if = "std::ops::Not::not")]
    pub lock_devices: bool,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub system_id: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub hostname: Option<String>,
    /// The directory user whose JumpCloud manager may approve, when the request has no
    /// target user (a joiner, a device): the requester's own.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub manager_of: Option<String>,
    /// Set just before a command that must not be sent twice (an erase) goes out; a job
    /// that finds it set after a crash stops and asks a person instead of resending.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub sending_since: Option<i64>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub mover: Option<Mover>,
    /// A leaver's account is deleted this many days after they leave.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub delete_after_days: Option<u32>,
    /// Each step of a workflow (joiner, mover, leaver) as it last ran.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub steps: Vec<StepResult>,
    /// An admin's retry of one failed step: the next run does only that step.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub only_step: Option<String>,
    /// When a joiner's temporary password was issued, and to whom (it is shown once).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub password_issued: Option<(i64, String)>,
}

/// A JumpCloud user group, with its name as it was when the request was made.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct GroupRef {
    pub id: String,
    pub name: String,
}

/// Names a list of groups for people: "VPN, Wiki", or "none".
pub fn group_names(groups: &[GroupRef]) -> String {
    if groups.is_empty() {
        return "none".into();
    }
    groups
        .iter()
        .map(|group| group.name.as_str())
        .collect::<Vec<_>>()
        .join(", ")
}

/// What a mover request changes, as the department rules implied when it was asked
/// for; the approver approves exactly this.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Mover {
    #[serde(default)]
    pub from: Option<String>,
    pub to: String,
    #[serde(default)]
    pub add: Vec<GroupRef>,
    #[serde(default)]
    pub remove: Vec<GroupRef>,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum StepStatus {
    Done,
    Failed,
}

/// One step of a workflow and how it went.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct StepResult {
    /// Stable name (`suspend`, `groups`, …), used to retry it alone.
    pub name: String,
    pub status: StepStatus,
    pub message: String,
    pub at: i64,
}

impl Details {
    pub fn step(&self, name: &str) -> Option<&StepResult> {
        self.steps.iter().find(|step| step.name == name)
    }

    /// What the approved request will do, line by line, for approvers and its history.
    pub fn plan(&self) -> Vec<String> {
        let mut lines = Vec::new();
        if let Some(joiner) = &self.joiner {
            if let Some(department) = &joiner.department {
                lines.push(format!("Department: {department}"));
            }
            lines.push(format!("Groups: {}", group_names(&joiner.groups)));
            if let Some(day) = &joiner.start_date {
                lines.push(format!("Activation scheduled for {day}"));
            }
        }
        if let Some(mover) = &self.mover {
            lines.push(format!(
                "Department: {} → {}",
                mover.from.as_deref().unwrap_or("none"),
                mover.to
            ));
            lines.push(format!("Add to: {}", group_names(&mover.add)));
            lines.push(format!("Remove from: {}", group_names(&mover.remove)));
        }
        if self.lock_devices {
            lines.push("Lock their Linux and Windows devices".into());
        }
        if let Some(days) = self.delete_after_days {
            lines.push(format!("Delete the user {days} days after they leave"));
        }
        lines
    }
}

/// The profile a joiner request creates.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Joiner {
    pub email: String,
    pub username: String,
    pub firstname: String,
    pub lastname: String,
    #[serde(default)]
    pub department: Option<String>,
    #[serde(default)]
    pub job_title: Option<String>,
    /// The manager's JumpCloud id.
    #[serde(default)]
    pub manager: Option<String>,
    /// The groups the department rules give the joiner.
    #[serde(default)]
    pub groups: Vec<GroupRef>,
    /// The first day (`YYYY-MM-DD`, UTC): the staged user is activated then.
    #[serde(default)]
    pub start_date: Option<String>,
}

#[cfg(feature = "ssr")]
impl Details {
    pub fn parse(json: &str) -> Details {
        serde_json::from_str(json).unwrap_or_else(|error| {
            tracing::error!(%error, "stored request details do not parse");
            Details::default()
        })
    }

    pub fn to_json(&self) -> String {
        serde_json::to_string(self).unwrap_or_else(|_| "{}".into())
    }
}

#[cfg(all(test, feature = "ssr"))]
mod tests {
    use super::*;

    #[test]
    fn kinds_round_trip_through_their_names() {
        for kind in ALL_KINDS {
            assert_eq!(ItemKind::parse(kind.as_str()).ok(), Some(kind));
        }
        assert!(ItemKind::parse("delete_everything").is_err());
    }

    #[test]
    fn only_group_access_has_a_duration() {
        assert!(!ItemKind::Group.is_action());
        assert!(ALL_KINDS.iter().filter(|kind| kind.is_action()).count() == 8);
        assert_eq!(ItemKind::Mover.target(), Target::ExistingUser);
        assert_eq!(ItemKind::Leaver.target(), Target::ExistingUser);
        assert_eq!(ItemKind::DeviceErase.target(), Target::Device);
    }

    #[test]
    fn eligibility_admits_listed_departments_or_group_members() {
        let everyone = Eligibility::default();
        assert!(everyone.admits(None, &[]));
        let restricted = Eligibility {
            departments: vec!["Engineering".into()],
            groups: vec!["g1".into()],
        };
        assert!(restricted.admits(Some("engineering"), &[]));
        assert!(restricted.admits(Some("Sales"), &["g1".into()]));
        assert!(!restricted.admits(Some("Sales"), &["g2".into()]));
        assert!(!restricted.admits(None, &[]));
    }

    #[test]
    fn details_omit_what_they_do_not_carry() {
        assert_eq!(Details::default().to_json(), "{}");
        let details = Details {
            lock_devices: true,
            ..Details::default()
        };
        assert_eq!(Details::parse(&details.to_json()), details);
    }
}
