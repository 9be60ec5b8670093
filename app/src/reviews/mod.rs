//! Access reviews: an admin snapshots the members of some groups, each member goes to a
//! reviewer (their JumpCloud manager when that person has an account here, else one of
//! the named reviewers), who keeps or revokes it with a note. A revoke becomes a request
//! in the revoking state with its job, in the same transaction as the decision, so the
//! request engine removes the membership once and reads it back.

mod pages;
#[cfg(feature = "ssr")]
pub mod report;

use leptos::prelude::*;
use serde::{Deserialize, Serialize};

use crate::error::AppError;
pub use pages::{ReviewPage, ReviewsPage};

#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct ReviewSummary {
    pub id: i64,
    pub name: String,
    pub due_at: i64,
    pub total: i64,
    pub decided: i64,
    /// Items assigned to the caller, and of those the ones still undecided.
    pub mine: i64,
    pub mine_open: i64,
}

#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct ReviewItemView {
    pub id: i64,
    pub group_name: String,
    pub user_email: String,
    pub reviewer: String,
    pub decision: Option<String>,
    pub note: String,
    pub request_id: Option<i64>,
    /// The revoke's request status, once there is one.
    pub request_status: Option<String>,
    /// Whether the caller may decide it.
    pub decidable: bool,
}

#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct ReviewView {
    pub summary: ReviewSummary,
    pub items: Vec<ReviewItemView>,
}

#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct ReviewsOverview {
    pub reviews: Vec<ReviewSummary>,
    /// For admins: the groups a review can cover, (id, name).
    pub groups: Option<Vec<(String, String)>>,
}

#[server(endpoint = "reviews")]
pub async fn load_reviews(org: String) -> Result<ReviewsOverview, AppError> {
    crate::error::with_http_status(ssr::overview(&org).await)
}

#[server(endpoint = "reviews/detail")]
pub async fn load_review(org: String, id: i64) -> Result<ReviewView, AppError> {
    crate::error::with_http_status(ssr::detail(&org, id).await)
}

#[server(endpoint = "reviews/start")]
pub async fn start_review(
    org: String,
    name: String,
    #[server(default)] group_ids: Vec<String>,
    reviewers: Option<String>,
    by_manager: Option<String>,
    due_days: Option<i64>,
) -> Result<i64, AppError> {
    let form = ssr::StartForm {
        name,
        group_ids,
        reviewers: reviewers.unwrap_or_default(),
        by_manager: by_manager.is_some(),
        due_days: due_days.unwrap_or(14),
    };
    crate::error::with_http_status(ssr::start(&org, form).await)
}

#[server(endpoint = "reviews/decide")]
pub async fn decide_review_item(
    org: String,
    item_id: i64,
    decision: Option<String>,
    note: Option<String>,
) -> Result<(), AppError> {
    crate::error::with_http_status(
        ssr::decide(
            &org,
            item_id,
            decision.as_deref().unwrap_or_default(),
            note.as_deref().unwrap_or_default(),
        )
        .await,
    )
}

#[cfg(feature = "ssr")]
pub(crate) mod ssr {
    use std::collections::HashMap;

    use super::{ReviewItemView, ReviewSummary, ReviewView, ReviewsOverview};
    use crate::audit;
    use crate::db::Db;
    use crate::email::Email;
    use crate::error::AppError;
    use crate::on_db;
    use crate::requests::jobs::ENQUEUE;
    use crate::state::{AppState, app_state};
    use crate::tenants::Capability;
    use crate::tenants::access::{OrgContext, authorize};

    /// Most members one review may cover.
    const MAX_ITEMS: usize = 5_000;

    pub struct StartForm {
        pub name: String,
        pub group_ids: Vec<String>,
        /// Comma-separated emails of dashboard accounts.
        pub reviewers: String,
        pub by_manager: bool,
        pub due_days: i64,
    }

    async fn summaries(
        db: &Db,
        org_id: i64,
        account_id: i64,
        only: Option<i64>,
    ) -> Result<Vec<ReviewSummary>, AppError> {
        type Row = (i64, String, i64, i64, i64, i64, i64);
        let rows: Vec<Row> = on_db!(db, |pool| {
            sqlx::query_as(
            "SELECT r.id, r.name, r.due_at, \
             (SELECT COUNT(*) FROM review_items i WHERE i.review_id = r.id), \
             (SELECT COUNT(*) FROM review_items i WHERE i.review_id = r.id AND i.decision IS NOT NULL), \
             (SELECT COUNT(*) FROM review_items i WHERE i.review_id = r.id \
              AND i.reviewer_account_id = $2), \
             (SELECT COUNT(*) FROM review_items i WHERE i.review_id = r.id AND i.decision IS NULL \
              AND i.reviewer_account_id = $2) \
             FROM reviews r WHERE r.org_id = $1 AND ($3 IS NULL OR r.id = $3) ORDER BY r.id DESC LIMIT 200"
        )
        .bind(org_id)
        .bind(account_id)
        .bind(only)
        .fetch_all(pool)
        .await
        })?;
        Ok(rows
            .into_iter()
            .map(
                |(id, name, due_at, total, decided, mine, mine_open)| ReviewSummary {
                    id,
                    name,
                    due_at,
                    total,
                    decided,
                    mine,
                    mine_open,
                },
            )
            .collect())
    }

    pub async fn overview(org: &str) -> Result<ReviewsOverview, AppError> {
        let state = app_state()?;
        let context = authorize(&state, org, Capability::Enter).await?;
        let all = summaries(&state.db, context.org.id, context.account.id, None).await?;
        let manages = context.role.allows(Capability::ManageOrg);
        let reviews = all
            .into_iter()
            .filter(|review| manages || review.mine > 0)
            .collect();
        let groups = if manages {
            Some(crate::directory::ssr::group_choices(&state, &context).await?)
        } else {
            None
        };
        Ok(ReviewsOverview { reviews, groups })
    }

    pub async fn detail(org: &str, id: i64) -> Result<ReviewView, AppError> {
        let state = app_state()?;
        let context = authorize(&state, org, Capability::Enter).await?;
        let summary = summaries(&state.db, context.org.id, context.account.id, Some(id))
            .await?
            .into_iter()
            .next()
            .ok_or_else(|| AppError::NotFound("That review".into()))?;
        let manages = context.role.allows(Capability::ManageOrg);
        type Row = (
            i64,
            String,
            String,
            i64,
            String,
            Option<String>,
            String,
            Option<i64>,
            Option<String>,
        );
        let db = &state.db;
        let rows: Vec<Row> = on_db!(db, |pool| {
            sqlx::query_as(
            "SELECT i.id, i.group_name, i.user_email, i.reviewer_account_id, a.email, i.decision, \
             i.note, i.request_id, q.status FROM review_items i \
             JOIN accounts a ON a.id = i.reviewer_account_id \
             LEFT JOIN requests q ON q.id = i.request_id \
             WHERE i.review_id = $1 AND ($2 OR i.reviewer_account_id = $3) \
             ORDER BY i.group_name, i.user_email"
        )
        .bind(id)
        .bind(manages)
        .bind(context.account.id)
        .fetch_all(pool)
        .await
        })?;
        if rows.is_empty() && !manages {
            return Err(AppError::NotFound("That review".into()));
        }
        let items = rows
            .into_iter()
            .map(
                |(
                    id,
                    group_name,
                    user_email,
                    reviewer_id,
                    reviewer,
                    decision,
                    note,
                    request_id,
                    request_status,
                )| {
                    ReviewItemView {
                        id,
                        group_name,
                        user_email,
                        reviewer,
                        decidable: decision.is_none()
                            && (reviewer_id == context.account.id || manages),
                        decision,
                        note,
                        request_id,
                        request_status,
                    }
                },
            )
            .collect();
        Ok(ReviewView { summary, items })
    }

    /// Who reviews a member: their JumpCloud manager when that person has an account
    /// here, else the named reviewers in turn, else the admin starting the review.
    struct Assigner {
        by_manager: bool,
        named: Vec<i64>,
        next: usize,
        fallback: i64,
        accounts_by_email: HashMap<String, Option<i64>>,
    }

    impl Assigner {
        async fn reviewer_for(
            &mut self,
            db: &Db,
            manager_email: Option<&str>,
        ) -> Result<i64, AppError> {
            if self.by_manager
                && let Some(email) = manager_email
            {
                let key = email.to_lowercase();
                let known = match self.accounts_by_email.get(&key) {
                    Some(known) => *known,
                    None => {
                        let found = match Email::parse(email) {
                            Ok(email) => crate::auth::accounts::id_by_email(db, &email).await?,
                            Err(_) => None,
                        };
                        self.accounts_by_email.insert(key, found);
                        found
                    }
                };
                if let Some(account) = known {
                    return Ok(account);
                }
            }
            if self.named.is_empty() {
                return Ok(self.fallback);
            }
            let chosen = self.named[self.next % self.named.len()];
            self.next += 1;
            Ok(chosen)
        }
    }

    pub async fn start(org: &str, form: StartForm) -> Result<i64, AppError> {
        let state = app_state()?;
        let context = authorize(&state, org, Capability::ManageOrg).await?;
        let name = form.name.trim();
        if name.is_empty() {
            return Err(AppError::bad_request("Name the review."));
        }
        let groups: Vec<String> = form
            .group_ids
            .into_iter()
            .filter(|id| !id.trim().is_empty())
            .collect();
        if groups.is_empty() {
            return Err(AppError::bad_request("Tick the groups to review."));
        }
        if !(1..=365).contains(&form.due_days) {
            return Err(AppError::bad_request("The review is due in 1 to 365 days."));
        }
        let mut named = Vec::new();
        for email in crate::requests::store::split_list(&form.reviewers) {
            let parsed = Email::parse(&email).map_err(|_| {
                AppError::bad_request(format!("{email:?} is not an email address."))
            })?;
            let account = crate::auth::accounts::id_by_email(&state.db, &parsed)
                .await?
                .ok_or_else(|| {
                    AppError::bad_request(format!(
                        "{email} has no account in Lanyard to review with."
                    ))
                })?;
            named.push(account);
        }
        let mut assigner = Assigner {
            by_manager: form.by_manager,
            named,
            next: 0,
            fallback: context.account.id,
            accounts_by_email: HashMap::new(),
        };
        let items = snapshot(&state, &context, &groups, &mut assigner).await?;
        let now = state.clock.now();
        let due_at = now + form.due_days * 86_400;
        let db = &state.db;
        let id = on_db!(db, |pool| {
            let mut tx = pool.begin_with(db.begin_write()).await?;
            let id: i64 = sqlx::query_scalar(
                "INSERT INTO reviews (org_id, name, due_at, created_by, created_at) \
                 VALUES ($1, $2, $3, $4, $5) RETURNING id",
            )
            .bind(context.org.id)
            .bind(name)
            .bind(due_at)
            .bind(context.account.id)
            .bind(now)
            .fetch_one(&mut *tx)
            .await?;
            for item in &items {
                sqlx::query(
                    "INSERT INTO review_items (review_id, group_id, group_name, user_id, user_email, \
                     reviewer_account_id) VALUES ($1, $2, $3, $4, $5, $6) ON CONFLICT DO NOTHING",
                )
                .bind(id)
                .bind(&item.group_id)
                .bind(&item.group_name)
                .bind(&item.user_id)
                .bind(&item.user_email)
                .bind(item.reviewer)
                .execute(&mut *tx)
                .await?;
            }
            tx.commit().await?;
            Ok::<i64, AppError>(id)
        })?;
        audit::org_action(
            &state.db,
            &context,
            "review.started",
            &format!("review {id}"),
            &format!(
                "{name:?}: {} member(s) of {} group(s)",
                items.len(),
                groups.len()
            ),
            "ok",
        )
        .await?;
        leptos_axum::redirect(&format!("/o/{org}/reviews/{id}"));
        Ok(id)
    }

    struct NewItem {
        group_id: String,
        group_name: String,
        user_id: String,
        user_email: String,
        reviewer: i64,
    }

    /// The groups' current direct members, each with a reviewer.
    async fn snapshot(
        state: &AppState,
        context: &OrgContext,
        groups: &[String],
        assigner: &mut Assigner,
    ) -> Result<Vec<NewItem>, AppError> {
        let mut items = Vec::new();
        for group_id in groups {
            let group = context.jumpcloud.get_user_group(group_id).await?;
            let member_ids: Vec<String> = context
                .jumpcloud
                .list_user_group_members(&group.id)
                .await?
                .into_iter()
                .map(|member| member.to.id)
                .collect();
            let users =
                crate::directory::ssr::users_by_ids(state, context, member_ids.clone()).await?;
            let managers = crate::directory::ssr::users_by_ids(
                state,
                context,
                users.values().filter_map(|user| user.manager.clone()),
            )
            .await?;
            for id in member_ids {
                let Some(user) = users.get(&id) else {
                    continue;
                };
                let manager_email = user
                    .manager
                    .as_ref()
                    .and_then(|manager| managers.get(manager))
                    .map(|manager| manager.email.as_str());
                items.push(NewItem {
                    group_id: group.id.clone(),
                    group_name: group.name.clone(),
                    user_id: user.id.clone(),
                    user_email: user.email.clone(),
                    reviewer: assigner.reviewer_for(&state.db, manager_email).await?,
                });
                if items.len() > MAX_ITEMS {
                    return Err(AppError::bad_request(format!(
                        "A review covers at most {MAX_ITEMS} memberships; choose fewer groups."
                    )));
                }
            }
        }
        Ok(items)
    }

    /// The hidden catalog item revocations of a group are requests of (created once).
    async fn revocation_item(
        state: &AppState,
        org_id: i64,
        group_id: &str,
        group_name: &str,
    ) -> Result<i64, AppError> {
        let db = &state.db;
        let existing: Option<i64> = on_db!(db, |pool| sqlx::query_scalar(
            "SELECT id FROM catalog_items WHERE org_id = $1 AND kind = 'group' \
             AND jumpcloud_group_id = $2 AND NOT enabled ORDER BY id LIMIT 1"
        )
        .bind(org_id)
        .bind(group_id)
        .fetch_optional(pool)
        .await)?;
        if let Some(id) = existing {
            return Ok(id);
        }
        let policy = serde_json::to_string(&crate::requests::policy::Policy::default())
            .map_err(|_| AppError::Internal)?;
        Ok(on_db!(db, |pool| {
            sqlx::query_scalar(
            "INSERT INTO catalog_items (org_id, kind, name, description, jumpcloud_group_id, \
             allowed_durations, max_duration_minutes, policy, created_at, enabled) \
             VALUES ($1, 'group', $2, 'Revocations from access reviews', $3, '0', 1, $4, $5, FALSE) \
             RETURNING id"
        )
        .bind(org_id)
        .bind(format!("Access review: {group_name} ({group_id})"))
        .bind(group_id)
        .bind(policy)
        .bind(state.clock.now())
        .fetch_one(pool)
        .await
        })?)
    }

    pub async fn decide(
        org: &str,
        item_id: i64,
        decision: &str,
        note: &str,
    ) -> Result<(), AppError> {
        let state = app_state()?;
        let context = authorize(&state, org, Capability::Enter).await?;
        if !matches!(decision, "keep" | "revoke") {
            return Err(AppError::bad_request("Choose keep or revoke."));
        }
        let note = note.trim();
        if note.chars().count() > 1000 {
            return Err(AppError::bad_request(
                "Keep the note under 1,000 characters.",
            ));
        }
        let db = &state.db;
        type Row = (i64, String, String, String, String, i64, Option<String>);
        let row: Option<Row> = on_db!(db, |pool| {
            sqlx::query_as(
            "SELECT i.review_id, i.group_id, i.group_name, i.user_id, i.user_email, \
             i.reviewer_account_id, i.decision FROM review_items i JOIN reviews r ON r.id = i.review_id \
             WHERE i.id = $1 AND r.org_id = $2"
        )
        .bind(item_id)
        .bind(context.org.id)
        .fetch_optional(pool)
        .await
        })?;
        let Some((review_id, group_id, group_name, user_id, user_email, reviewer, decided)) = row
        else {
            return Err(AppError::NotFound("That review item".into()));
        };
        if reviewer != context.account.id && !context.role.allows(Capability::ManageOrg) {
            return Err(AppError::NotFound("That review item".into()));
        }
        if let Some(decided) = decided {
            return Err(AppError::Conflict(format!(
                "This membership was already reviewed: {decided}."
            )));
        }
        let revocation = if decision == "revoke" {
            Some(revocation_item(&state, context.org.id, &group_id, &group_name).await?)
        } else {
            None
        };
        let now = state.clock.now();
        let justification = format!(
            "access review #{review_id}: {}",
            if note.is_empty() { "revoked" } else { note }
        );
        let account_id = context.account.id;
        let org_id = context.org.id;
        let taken = on_db!(db, |pool| {
            async {
            let mut tx = pool.begin_with(db.begin_write()).await?;
            let taken = sqlx::query(
                "UPDATE review_items SET decision = $1, note = $2, decided_at = $3 \
                 WHERE id = $4 AND decision IS NULL",
            )
            .bind(decision)
            .bind(note)
            .bind(now)
            .bind(item_id)
            .execute(&mut *tx)
            .await?
            .rows_affected();
            if taken == 0 {
                return Ok::<bool, AppError>(false);
            }
            if let Some(catalog_item) = revocation {
                // A grant ending now: the revoke job removes the membership and reads
                // it back, like any grant's end.
                let request_id: i64 = sqlx::query_scalar(
                    "INSERT INTO requests (org_id, item_id, requester_account_id, target_user_id, \
                     target_email, justification, status, created_at, expires_at, decided_at, \
                     starts_at, ends_at) VALUES ($1, $2, $3, $4, $5, $6, 'revoking', $7, $7, $7, $7, $7) \
                     RETURNING id",
                )
                .bind(org_id)
                .bind(catalog_item)
                .bind(account_id)
                .bind(&user_id)
                .bind(&user_email)
                .bind(&justification)
                .bind(now)
                .fetch_one(&mut *tx)
                .await?;
                sqlx::query(ENQUEUE)
                    .bind(org_id)
                    .bind(request_id)
                    .bind("revoke")
                    .bind(format!("revoke:{request_id}"))
                    .bind(now)
                    .execute(&mut *tx)
                    .await?;
                sqlx::query("UPDATE review_items SET request_id = $1 WHERE id = $2")
                    .bind(request_id)
                    .bind(item_id)
                    .execute(&mut *tx)
                    .await?;
            }
            tx.commit().await?;
            Ok(true)
        }
        .await
        })?;
        if !taken {
            return Err(AppError::Conflict(
                "This membership was already reviewed.".into(),
            ));
        }
        if revocation.is_some() {
            state.work_queued.notify_one();
        }
        audit::org_action(
            &state.db,
            &context,
            &format!("review.{decision}"),
            &format!("review {review_id}"),
            &format!("{user_email} in {group_name:?}: {decision}; note {note:?}"),
            "ok",
        )
        .await
    }
}
