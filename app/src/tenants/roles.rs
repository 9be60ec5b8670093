//! Who may do what inside one organization.

use serde::{Deserialize, Serialize};

/// A dashboard account's role in one organization. Owners, and operators whose scope
/// reaches the organization, act as admins there.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Serialize, Deserialize)]
pub enum OrgRole {
    Auditor,
    Requester,
    Approver,
    Admin,
}

/// The things a role may be allowed to do in an organization.
#[derive(Clone, Copy, Debug, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub enum Capability {
    /// Read the organization (its dashboard, the org switcher entry).
    Enter,
    /// Read the JumpCloud directory: users, groups, devices.
    ViewDirectory,
    /// Change the JumpCloud directory.
    ManageDirectory,
    /// Ask for access.
    RequestAccess,
    /// Approve or deny other people's requests.
    DecideRequests,
    /// Read the audit log.
    ViewAudit,
    /// Members, catalog, org settings.
    ManageOrg,
}

impl OrgRole {
    pub const ALL: [OrgRole; 4] = [
        OrgRole::Admin,
        OrgRole::Approver,
        OrgRole::Requester,
        OrgRole::Auditor,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            OrgRole::Admin => "admin",
            OrgRole::Approver => "approver",
            OrgRole::Requester => "requester",
            OrgRole::Auditor => "auditor",
        }
    }

    pub fn parse(value: &str) -> Option<OrgRole> {
        OrgRole::ALL.into_iter().find(|role| role.as_str() == value)
    }

    pub fn label(self) -> &'static str {
        match self {
            OrgRole::Admin => "Admin",
            OrgRole::Approver => "Approver",
            OrgRole::Requester => "Requester",
            OrgRole::Auditor => "Auditor (read-only)",
        }
    }

    pub fn allows(self, capability: Capability) -> bool {
        use Capability::*;
        match self {
            OrgRole::Admin => true,
            OrgRole::Approver => matches!(
                capability,
                Enter | ViewDirectory | RequestAccess | DecideRequests
            ),
            OrgRole::Requester => matches!(capability, Enter | RequestAccess),
            OrgRole::Auditor => matches!(capability, Enter | ViewDirectory | ViewAudit),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn roles_round_trip_through_their_names() {
        for role in OrgRole::ALL {
            assert_eq!(OrgRole::parse(role.as_str()), Some(role));
        }
        assert_eq!(OrgRole::parse("owner"), None);
    }

    #[test]
    fn auditors_read_but_never_change_or_decide() {
        let auditor = OrgRole::Auditor;
        assert!(auditor.allows(Capability::ViewDirectory));
        assert!(auditor.allows(Capability::ViewAudit));
        assert!(!auditor.allows(Capability::ManageDirectory));
        assert!(!auditor.allows(Capability::DecideRequests));
        assert!(!auditor.allows(Capability::RequestAccess));
    }

    #[test]
    fn requesters_only_request() {
        let requester = OrgRole::Requester;
        assert!(requester.allows(Capability::RequestAccess));
        assert!(!requester.allows(Capability::ViewDirectory));
        assert!(!requester.allows(Capability::DecideRequests));
        assert!(!requester.allows(Capability::ManageOrg));
    }

    #[test]
    fn approvers_decide_but_do_not_administer() {
        assert!(OrgRole::Approver.allows(Capability::DecideRequests));
        assert!(!OrgRole::Approver.allows(Capability::ManageDirectory));
        assert!(!OrgRole::Approver.allows(Capability::ManageOrg));
        assert!(OrgRole::Admin.allows(Capability::ManageOrg));
    }
}
