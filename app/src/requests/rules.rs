//! Department rules: which JumpCloud user groups a department's people belong to. A
//! joiner gets their department's groups; a mover's groups follow the move. The rules
//! say nothing about groups no rule names: those were given by hand and stay.

use serde::{Deserialize, Serialize};

use crate::requests::items::GroupRef;

/// One department's rule, as the management page shows it.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct RuleView {
    pub department: String,
    pub groups: Vec<GroupRef>,
}

/// One department's rule: its name as written and its group ids.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Rule {
    pub department: String,
    pub group_ids: Vec<String>,
}

/// The group changes the rules imply for a user.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct GroupDiff {
    pub add: Vec<String>,
    pub remove: Vec<String>,
}

impl GroupDiff {
    pub fn is_empty(&self) -> bool {
        self.add.is_empty() && self.remove.is_empty()
    }
}

/// The rule for `department`, compared as people type it (case and spaces aside).
pub fn rule_for<'a>(rules: &'a [Rule], department: Option<&str>) -> Option<&'a Rule> {
    let wanted = key(department?);
    rules.iter().find(|rule| key(&rule.department) == wanted)
}

/// How a department is compared and stored as a key.
pub fn key(department: &str) -> String {
    department.trim().to_lowercase()
}

/// For someone moving from department `from` (none for a joiner) to `to` who is a
/// direct member of `member_of`: the new department's groups they lack, and the old
/// department's groups the new one does not give.
pub fn diff(
    rules: &[Rule],
    from: Option<&str>,
    to: Option<&str>,
    member_of: &[String],
) -> GroupDiff {
    let groups_of = |department| {
        rule_for(rules, department)
            .map(|rule| rule.group_ids.as_slice())
            .unwrap_or_default()
    };
    let wanted = groups_of(to);
    let add = wanted
        .iter()
        .filter(|group| !member_of.contains(group))
        .cloned()
        .collect();
    let remove = groups_of(from)
        .iter()
        .filter(|group| !wanted.contains(group) && member_of.contains(group))
        .cloned()
        .collect();
    GroupDiff { add, remove }
}

#[cfg(feature = "ssr")]
pub use store::{delete, list, save};

#[cfg(feature = "ssr")]
mod store {
    use super::{Rule, key};
    use crate::db::Db;
    use crate::error::AppError;
    use crate::on_db;

    /// An organization's rules, by department.
    pub async fn list(db: &Db, org_id: i64) -> Result<Vec<Rule>, AppError> {
        let rows: Vec<(String, String)> = on_db!(db, |pool| sqlx::query_as(
            "SELECT department, group_ids FROM department_rules WHERE org_id = $1 \
             ORDER BY department_key"
        )
        .bind(org_id)
        .fetch_all(pool)
        .await)?;
        Ok(rows
            .into_iter()
            .map(|(department, group_ids)| Rule {
                department,
                group_ids: serde_json::from_str(&group_ids).unwrap_or_default(),
            })
            .collect())
    }

    /// Sets a department's groups (a new rule, or a replacement of its groups).
    pub async fn save(
        db: &Db,
        org_id: i64,
        department: &str,
        group_ids: &[String],
        now: i64,
    ) -> Result<(), AppError> {
        let groups = serde_json::to_string(group_ids).unwrap_or_else(|_| "[]".into());
        on_db!(db, |pool| {
            sqlx::query(
            "INSERT INTO department_rules (org_id, department_key, department, group_ids, updated_at) \
             VALUES ($1, $2, $3, $4, $5) ON CONFLICT (org_id, department_key) DO UPDATE SET \
             department = excluded.department, group_ids = excluded.group_ids, \
             updated_at = excluded.updated_at"
        )
        .bind(org_id)
        .bind(key(department))
        .bind(department.trim())
        .bind(groups)
        .bind(now)
        .execute(pool)
        .await
        .map(drop)
        })?;
        Ok(())
    }

    /// Removes a department's rule; whether there was one.
    pub async fn delete(db: &Db, org_id: i64, department: &str) -> Result<bool, AppError> {
        Ok(on_db!(db, |pool| sqlx::query(
            "DELETE FROM department_rules WHERE org_id = $1 AND department_key = $2"
        )
        .bind(org_id)
        .bind(key(department))
        .execute(pool)
        .await
        .map(|done| done.rows_affected() > 0))?)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn rules() -> Vec<Rule> {
        vec![
            Rule {
                department: "Engineering".into(),
                group_ids: vec!["eng".into(), "vpn".into()],
            },
            Rule {
                department: "Sales".into(),
                group_ids: vec!["crm".into(), "vpn".into()],
            },
        ]
    }

    fn ids(list: &[&str]) -> Vec<String> {
        list.iter().map(|id| id.to_string()).collect()
    }

    #[test]
    fn a_joiner_gets_their_departments_groups() {
        let diff = diff(&rules(), None, Some("engineering "), &[]);
        assert_eq!(diff.add, ids(&["eng", "vpn"]));
        assert!(diff.remove.is_empty());
    }

    #[test]
    fn a_mover_loses_the_old_departments_groups_and_keeps_shared_and_hand_given_ones() {
        let member_of = ids(&["crm", "vpn", "hand-given"]);
        let diff = diff(&rules(), Some("Sales"), Some("Engineering"), &member_of);
        assert_eq!(diff.add, ids(&["eng"]));
        assert_eq!(diff.remove, ids(&["crm"]));
    }

    #[test]
    fn a_department_without_a_rule_gives_nothing_and_takes_the_old_ones() {
        let diff = diff(
            &rules(),
            Some("Engineering"),
            Some("Legal"),
            &ids(&["eng", "wiki"]),
        );
        assert!(diff.add.is_empty());
        assert_eq!(diff.remove, ids(&["eng"]));
        assert!(
            super::diff(
                &rules(),
                Some("Sales"),
                Some("Sales"),
                &ids(&["crm", "vpn"])
            )
            .is_empty()
        );
    }
}
