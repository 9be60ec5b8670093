//! Approval policies: who may approve a catalog item's requests, how many approvals each
//! step needs, and which requests approve themselves. Pure rules, tested without a
//! database or a browser.

use serde::{Deserialize, Serialize};

use crate::tenants::OrgRole;

#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Policy {
    /// Decided in order; a request is approved when its last step is satisfied.
    pub steps: Vec<Step>,
    #[serde(default)]
    pub auto_approve: Vec<AutoApprove>,
}

#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Step {
    pub name: String,
    pub approvers: Vec<Approver>,
    /// N of the M approvers must approve.
    pub required: u32,
}

#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "kind", rename_all = "snake_case")]
pub enum Approver {
    /// The target user's manager in JumpCloud, matched to a dashboard account by email.
    Manager,
    /// A named dashboard account.
    Account { email: String },
    /// Anyone with this role (or a higher one) in the organization.
    Role { role: OrgRole },
    /// The owners the catalog item names for its group.
    GroupOwner,
}

/// A rule that approves matching requests without a person, recorded under its name.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct AutoApprove {
    pub name: String,
    /// Only requests at most this long (minutes); permanent requests never match.
    pub max_duration_minutes: i64,
    /// Only requesters in one of these JumpCloud departments; empty: any department.
    #[serde(default)]
    pub departments: Vec<String>,
}

/// What is known about someone deciding a request.
pub struct Decider<'a> {
    pub email: &'a str,
    pub role: OrgRole,
    /// The email of the target user's manager in JumpCloud, if they have one.
    pub target_manager_email: Option<&'a str>,
    pub requester_email: &'a str,
    /// The emails the catalog item names as its group's owners.
    pub group_owners: &'a [String],
}

impl Default for Policy {
    /// One approval by the target's manager or an org approver.
    fn default() -> Self {
        Policy {
            steps: vec![Step {
                name: "Approval".into(),
                approvers: vec![
                    Approver::Manager,
                    Approver::Role {
                        role: OrgRole::Approver,
                    },
                ],
                required: 1,
            }],
            auto_approve: Vec::new(),
        }
    }
}

impl Policy {
    pub fn parse(json: &str) -> Result<Policy, String> {
        let policy: Policy =
            serde_json::from_str(json).map_err(|error| format!("invalid policy: {error}"))?;
        policy.check()?;
        Ok(policy)
    }

    pub fn check(&self) -> Result<(), String> {
        if self.steps.is_empty() {
            return Err("a policy needs at least one approval step".into());
        }
        for step in &self.steps {
            if step.approvers.is_empty() || step.required == 0 {
                return Err(format!(
                    "step {:?} needs approvers and at least one required approval",
                    step.name
                ));
            }
        }
        Ok(())
    }

    /// Whether this person may decide the given step. Nobody decides their own request,
    /// whatever their role.
    pub fn may_decide(&self, step: usize, decider: &Decider<'_>) -> bool {
        if decider.email.eq_ignore_ascii_case(decider.requester_email) {
            return false;
        }
        let Some(step) = self.steps.get(step) else {
            return false;
        };
        step.approvers.iter().any(|approver| match approver {
            Approver::Manager => decider
                .target_manager_email
                .is_some_and(|manager| manager.eq_ignore_ascii_case(decider.email)),
            Approver::Account { email } => email.eq_ignore_ascii_case(decider.email),
            Approver::Role { role } => decider.role >= *role,
            Approver::GroupOwner => decider
                .group_owners
                .iter()
                .any(|owner| owner.eq_ignore_ascii_case(decider.email)),
        })
    }

    /// Whether the step lets the target's manager decide.
    pub fn names_manager(&self, step: usize) -> bool {
        self.steps
            .get(step)
            .is_some_and(|step| step.approvers.contains(&Approver::Manager))
    }

    pub fn required(&self, step: usize) -> u32 {
        self.steps.get(step).map(|step| step.required).unwrap_or(1)
    }

    pub fn is_last_step(&self, step: usize) -> bool {
        step + 1 >= self.steps.len()
    }

    /// The first auto-approve rule a request matches.
    pub fn auto_rule(
        &self,
        duration_minutes: Option<i64>,
        department: Option<&str>,
    ) -> Option<&AutoApprove> {
        let duration = duration_minutes?;
        self.auto_approve.iter().find(|rule| {
            duration <= rule.max_duration_minutes
                && (rule.departments.is_empty()
                    || department.is_some_and(|d| rule.departments.iter().any(|r| r == d)))
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn decider<'a>(email: &'a str, role: OrgRole, manager: Option<&'a str>) -> Decider<'a> {
        Decider {
            email,
            role,
            target_manager_email: manager,
            requester_email: "requester@example.com",
            group_owners: &[],
        }
    }

    #[test]
    fn the_default_policy_lets_the_manager_or_an_approver_decide() {
        let policy = Policy::default();
        assert!(policy.may_decide(
            0,
            &decider(
                "boss@example.com",
                OrgRole::Requester,
                Some("boss@example.com")
            )
        ));
        assert!(policy.may_decide(0, &decider("ann@example.com", OrgRole::Approver, None)));
        assert!(policy.may_decide(0, &decider("root@example.com", OrgRole::Admin, None)));
        assert!(!policy.may_decide(
            0,
            &decider(
                "joe@example.com",
                OrgRole::Requester,
                Some("boss@example.com")
            )
        ));
        assert!(!policy.may_decide(0, &decider("aud@example.com", OrgRole::Auditor, None)));
    }

    #[test]
    fn nobody_approves_their_own_request_even_an_admin() {
        let policy = Policy::default();
        assert!(!policy.may_decide(
            0,
            &decider(
                "Requester@Example.com",
                OrgRole::Admin,
                Some("requester@example.com")
            )
        ));
    }

    #[test]
    fn named_accounts_and_later_steps() {
        let policy = Policy {
            steps: vec![
                Step {
                    name: "Manager".into(),
                    approvers: vec![Approver::Manager],
                    required: 1,
                },
                Step {
                    name: "Security".into(),
                    approvers: vec![Approver::Account {
                        email: "sec@example.com".into(),
                    }],
                    required: 1,
                },
            ],
            auto_approve: vec![],
        };
        // The second step names one account: the manager and even an admin are not it.
        assert!(!policy.may_decide(
            1,
            &decider("boss@example.com", OrgRole::Admin, Some("boss@example.com"))
        ));
        assert!(policy.may_decide(1, &decider("sec@example.com", OrgRole::Requester, None)));
        assert!(!policy.may_decide(0, &decider("sec@example.com", OrgRole::Requester, None)));
        assert!(!policy.is_last_step(0));
        assert!(policy.is_last_step(1));
        assert!(!policy.may_decide(2, &decider("sec@example.com", OrgRole::Admin, None)));
    }

    #[test]
    fn group_owners_decide_when_the_step_names_them() {
        let policy = Policy {
            steps: vec![Step {
                name: "Owner".into(),
                approvers: vec![Approver::GroupOwner],
                required: 1,
            }],
            auto_approve: vec![],
        };
        let owners = ["Owner@Example.com".to_string()];
        let owner = Decider {
            group_owners: &owners,
            ..decider("owner@example.com", OrgRole::Requester, None)
        };
        assert!(policy.may_decide(0, &owner));
        assert!(!policy.may_decide(0, &decider("owner@example.com", OrgRole::Admin, None)));
    }

    #[test]
    fn auto_approval_needs_a_short_duration_and_a_listed_department() {
        let policy = Policy {
            auto_approve: vec![AutoApprove {
                name: "IT short access".into(),
                max_duration_minutes: 480,
                departments: vec!["IT".into()],
            }],
            ..Policy::default()
        };
        assert_eq!(
            policy
                .auto_rule(Some(60), Some("IT"))
                .map(|r| r.name.as_str()),
            Some("IT short access")
        );
        assert!(policy.auto_rule(Some(600), Some("IT")).is_none());
        assert!(policy.auto_rule(Some(60), Some("Sales")).is_none());
        assert!(
            policy.auto_rule(None, Some("IT")).is_none(),
            "permanent access is never automatic"
        );
    }

    #[test]
    fn policies_are_checked_when_parsed() {
        assert!(Policy::parse(r#"{"steps": []}"#).is_err());
        assert!(
            Policy::parse(r#"{"steps": [{"name": "x", "approvers": [], "required": 1}]}"#).is_err()
        );
        let json = serde_json::to_string(&Policy::default()).unwrap_or_default();
        assert_eq!(Policy::parse(&json), Ok(Policy::default()));
    }
}
