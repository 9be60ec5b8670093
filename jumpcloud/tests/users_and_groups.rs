//! System users, user groups, membership and scheduled user states: the client against
//! the simulator over real HTTP on loopback.
#![allow(clippy::unwrap_used)]

mod common;

use std::collections::HashSet;

use jumpcloud::graph::{GraphOp, GraphType};
use jumpcloud::groups::UserGroupFields;
use jumpcloud::sim::{SimConfig, Simulator};
use jumpcloud::user_states::UserStateChange;
use jumpcloud::users::{
    ActivationEmail, MfaReset, NewUser, SystemUser, UserFields, UserListQuery, UserSort, UserState,
};
use jumpcloud::{Error, OrgClient, Secret};
use time::OffsetDateTime;

async fn simulator(users_per_org: usize) -> Simulator {
    common::start(&SimConfig {
        client_orgs: 1,
        users_per_org,
        extra_groups_per_org: 0,
        seed: 7,
    })
    .await
}

fn first_org(sim: &Simulator) -> OrgClient {
    common::connect(sim, &sim.info.orgs[0].api_key, None)
}

/// A raw request to the simulator with the first org's key, for what the client hides
/// (status codes, headers, single pages).
fn raw(sim: &Simulator, method: reqwest::Method, path: &str) -> reqwest::RequestBuilder {
    reqwest::Client::new()
        .request(method, format!("{}{path}", sim.info.base_url))
        .header("x-api-key", sim.info.orgs[0].api_key.clone())
}

fn new_user(username: &str) -> NewUser {
    NewUser {
        username: username.to_string(),
        email: format!("{username}@example.org"),
        state: None,
        password: None,
        fields: UserFields {
            firstname: Some("Nova".into()),
            lastname: Some("Quill".into()),
            department: Some("Engineering".into()),
            ..UserFields::default()
        },
    }
}

async fn group_named(api: &OrgClient, name: &str) -> String {
    let groups = api.list_all_user_groups(&mut |_, _| {}).await.unwrap();
    groups
        .into_iter()
        .find(|group| group.name == name)
        .unwrap()
        .id
}

async fn member_ids(api: &OrgClient, group_id: &str) -> Vec<String> {
    let members = api.list_user_group_members(group_id).await.unwrap();
    assert!(
        members
            .iter()
            .all(|member| member.to.kind == GraphType::User)
    );
    members.into_iter().map(|member| member.to.id).collect()
}

#[tokio::test]
async fn a_user_lives_through_create_update_state_changes_and_delete() {
    let sim = simulator(60).await;
    let api = first_org(&sim);

    let created = api
        .create_user(&NewUser {
            state: Some(UserState::Staged),
            ..new_user("nova.quill")
        })
        .await
        .unwrap();
    assert_eq!(created.username, "nova.quill");
    assert_eq!(created.state, Some(UserState::Staged));
    assert_eq!(created.activated, Some(false));
    let id = created.id.clone();
    assert_eq!(api.count_users().await.unwrap(), 61);
    let found = api
        .list_users(&UserListQuery {
            search: Some("NOVA.Q".into()),
            ..UserListQuery::default()
        })
        .await
        .unwrap();
    assert_eq!(found.total, Some(1));
    assert_eq!(found.items, vec![created.clone()]);

    // A v1 PUT merges: only the fields sent change.
    let updated = api
        .update_user(
            &id,
            &UserFields {
                job_title: Some("Staff Engineer".into()),
                ..UserFields::default()
            },
        )
        .await
        .unwrap();
    assert_eq!(updated.job_title.as_deref(), Some("Staff Engineer"));
    assert_eq!(updated.firstname.as_deref(), Some("Nova"));
    assert_eq!(updated.department.as_deref(), Some("Engineering"));
    assert_eq!(api.get_user(&id).await.unwrap(), updated);

    api.activate_user(&id, &ActivationEmail::Suppress)
        .await
        .unwrap();
    let activated = api.get_user(&id).await.unwrap();
    assert_eq!(activated.state, Some(UserState::Activated));
    assert_eq!(activated.activated, Some(true));
    assert!(matches!(
        api.activate_user(&id, &ActivationEmail::Default).await,
        Err(Error::Conflict(_))
    ));

    let suspended = api.suspend_user(&id).await.unwrap();
    assert_eq!(suspended.state, Some(UserState::Suspended));
    assert_eq!(suspended.suspended, Some(true));
    let suspended_list = api
        .list_users(&UserListQuery {
            state: Some(UserState::Suspended),
            ..UserListQuery::default()
        })
        .await
        .unwrap();
    assert!(suspended_list.items.iter().any(|user| user.id == id));
    assert!(
        suspended_list
            .items
            .iter()
            .all(|user| user.state == Some(UserState::Suspended))
    );
    let back = api.unsuspend_user(&id).await.unwrap();
    assert_eq!(back.state, Some(UserState::Activated));
    assert_eq!(back.suspended, Some(false));

    assert!(matches!(
        api.set_password(&id, &Secret::new("short")).await,
        Err(Error::BadRequest(_))
    ));
    let with_password = api
        .set_password(&id, &Secret::new("correct horse battery"))
        .await
        .unwrap();
    assert!(with_password.password_date.is_some());
    assert_eq!(with_password.password_expired, Some(false));
    api.expire_password(&id).await.unwrap();
    assert_eq!(
        api.get_user(&id).await.unwrap().password_expired,
        Some(true)
    );

    api.reset_mfa(
        &id,
        &MfaReset {
            exclusion: true,
            exclusion_days: Some(7),
            exclusion_until: None,
        },
    )
    .await
    .unwrap();
    let reset = api.get_user(&id).await.unwrap();
    assert_eq!(reset.totp_enabled, Some(false));
    let mfa = reset.mfa.unwrap();
    assert_eq!(mfa.exclusion, Some(true));
    assert!(mfa.exclusion_until.is_some());
    assert_eq!(
        reset.mfa_enrollment.unwrap().totp_status.as_deref(),
        Some("IN_ENROLLMENT")
    );

    let vpn = group_named(&api, "VPN Users").await;
    api.set_user_group_member(&vpn, GraphOp::Add, &id)
        .await
        .unwrap();
    let deleted = api.delete_user(&id, false).await.unwrap();
    assert_eq!(deleted.id, id);
    assert!(matches!(api.get_user(&id).await, Err(Error::NotFound(_))));
    assert!(matches!(
        api.delete_user(&id, false).await,
        Err(Error::NotFound(_))
    ));
    assert!(
        !member_ids(&api, &vpn).await.contains(&id),
        "deleting a user removes its memberships"
    );
    assert_eq!(api.count_users().await.unwrap(), 60);
}

#[tokio::test]
async fn seeded_lockouts_and_mfa_can_be_cleared() {
    let sim = simulator(60).await;
    let api = first_org(&sim);
    let users = api.list_all_users(&mut |_, _| {}).await.unwrap();
    let locked = users
        .iter()
        .find(|user| user.account_locked == Some(true))
        .unwrap();
    assert!(locked.bad_login_attempts.unwrap() > 0);
    api.unlock_user(&locked.id).await.unwrap();
    let unlocked = api.get_user(&locked.id).await.unwrap();
    assert_eq!(unlocked.account_locked, Some(false));
    assert_eq!(unlocked.account_locked_date, None);
    assert_eq!(unlocked.bad_login_attempts, Some(0));

    let enrolled = users
        .iter()
        .find(|user| user.totp_enabled == Some(true))
        .unwrap();
    api.reset_mfa(&enrolled.id, &MfaReset::default())
        .await
        .unwrap();
    let reset = api.get_user(&enrolled.id).await.unwrap();
    assert_eq!(reset.totp_enabled, Some(false));
    assert_eq!(
        reset.mfa_enrollment.unwrap().overall_status.as_deref(),
        Some("NOT_ENROLLED")
    );
    assert!(matches!(
        api.reset_mfa(
            &enrolled.id,
            &MfaReset {
                exclusion: true,
                exclusion_days: Some(0),
                exclusion_until: None,
            }
        )
        .await,
        Err(Error::BadRequest(_))
    ));

    // The seed covers every state a console has to show.
    let has = |check: &dyn Fn(&SystemUser) -> bool| users.iter().any(check);
    assert!(has(&|user| user.state == Some(UserState::Staged)));
    assert!(has(&|user| user.state == Some(UserState::Suspended)));
    assert!(has(&|user| user.password_expired == Some(true)));
    assert!(has(
        &|user| user.totp_enabled == Some(false) && user.state == Some(UserState::Activated)
    ));
    assert!(has(&|user| user.manager.is_some()));
}

#[tokio::test]
async fn user_writes_are_validated_like_jumpcloud() {
    let sim = simulator(20).await;
    let api = first_org(&sim);
    let first = api.create_user(&new_user("first.user")).await.unwrap();

    let same_username = api.create_user(&new_user("first.user")).await;
    assert!(matches!(same_username, Err(Error::BadRequest(_))));
    let same_email = NewUser {
        email: "FIRST.USER@example.org".into(),
        ..new_user("second.user")
    };
    assert!(matches!(
        api.create_user(&same_email).await,
        Err(Error::BadRequest(_))
    ));
    let no_email = NewUser {
        email: String::new(),
        ..new_user("third.user")
    };
    match api.create_user(&no_email).await {
        Err(Error::BadRequest(message)) => assert_eq!(message, "email is required"),
        other => panic!("expected a 400, got {other:?}"),
    }
    let unknown_manager = api
        .update_user(
            &first.id,
            &UserFields {
                manager: Some("0123456789abcdef01234567".into()),
                ..UserFields::default()
            },
        )
        .await;
    assert!(matches!(unknown_manager, Err(Error::BadRequest(_))));
    let renamed_onto_taken = api
        .update_user(
            &first.id,
            &UserFields {
                username: Some(
                    api.list_all_users(&mut |_, _| {}).await.unwrap()[0]
                        .username
                        .clone(),
                ),
                ..UserFields::default()
            },
        )
        .await;
    assert!(matches!(renamed_onto_taken, Err(Error::BadRequest(_))));
    assert_eq!(
        api.get_user(&first.id).await.unwrap().username,
        "first.user"
    );

    // STAGED is a creation state only: a PUT cannot go back to it.
    let back_to_staged = raw(
        &sim,
        reqwest::Method::PUT,
        &format!("/api/systemusers/{}", first.id),
    )
    .json(&serde_json::json!({ "state": "STAGED" }))
    .send()
    .await
    .unwrap();
    assert_eq!(back_to_staged.status(), 400);

    // A manager is deleted only when asked to clear the manager of their reports.
    let report = api
        .create_user(&NewUser {
            fields: UserFields {
                manager: Some(first.id.clone()),
                ..UserFields::default()
            },
            ..new_user("report.user")
        })
        .await
        .unwrap();
    assert_eq!(report.manager.as_deref(), Some(first.id.as_str()));
    assert!(matches!(
        api.delete_user(&first.id, false).await,
        Err(Error::Conflict(_))
    ));
    api.delete_user(&first.id, true).await.unwrap();
    assert_eq!(api.get_user(&report.id).await.unwrap().manager, None);
}

#[tokio::test]
async fn user_lists_search_filter_sort_and_page() {
    let sim = simulator(60).await;
    let api = first_org(&sim);
    let all = api.list_all_users(&mut |_, _| {}).await.unwrap();

    let engineers = api
        .list_users(&UserListQuery {
            department: Some("Engineering".into()),
            sort: UserSort::Username,
            descending: true,
            limit: 5,
            ..UserListQuery::default()
        })
        .await
        .unwrap();
    let expected_total = all
        .iter()
        .filter(|user| user.department.as_deref() == Some("Engineering"))
        .count() as u64;
    assert_eq!(engineers.total, Some(expected_total));
    assert_eq!(engineers.items.len(), 5);
    let names: Vec<_> = engineers.items.iter().map(|user| &user.username).collect();
    let mut descending = names.clone();
    descending.sort_by(|a, b| b.cmp(a));
    assert_eq!(names, descending);

    let second_page = api
        .list_users(&UserListQuery {
            department: Some("Engineering".into()),
            sort: UserSort::Username,
            descending: true,
            skip: 5,
            limit: 5,
            ..UserListQuery::default()
        })
        .await
        .unwrap();
    assert!(second_page.items[0].username <= engineers.items[4].username);
    assert!(
        second_page
            .items
            .iter()
            .all(|user| !engineers.items.contains(user))
    );

    let term = "LOVELACE";
    let found = api
        .list_users(&UserListQuery {
            search: Some(term.into()),
            ..UserListQuery::default()
        })
        .await
        .unwrap();
    let matching = all
        .iter()
        .filter(|user| user.email.to_lowercase().contains("lovelace"))
        .count() as u64;
    assert!(matching > 0);
    assert_eq!(found.total, Some(matching));
}

#[tokio::test]
async fn listing_10000_users_takes_exactly_100_calls() {
    let sim = common::start(&SimConfig {
        client_orgs: 0,
        users_per_org: 10_000,
        extra_groups_per_org: 0,
        seed: 11,
    })
    .await;
    let api = first_org(&sim);
    let before = sim.requests();
    let users = api.list_all_users(&mut |_, _| {}).await.unwrap();
    assert_eq!(sim.requests() - before, 100);
    assert_eq!(users.len(), 10_000);
    let ids: HashSet<_> = users.iter().map(|user| user.id.as_str()).collect();
    assert_eq!(ids.len(), 10_000, "every user exactly once");
}

#[tokio::test]
async fn a_v2_put_replaces_the_whole_group() {
    let sim = simulator(10).await;
    let api = first_org(&sim);
    let fields = UserGroupFields {
        name: "Contractors".into(),
        description: Some("External staff".into()),
        email: Some("contractors@example.org".into()),
        membership_method: Some("STATIC".into()),
        ..UserGroupFields::default()
    };
    let created = raw(&sim, reqwest::Method::POST, "/api/v2/usergroups")
        .json(&fields)
        .send()
        .await
        .unwrap();
    assert_eq!(created.status(), 201);
    let created: jumpcloud::groups::UserGroup = created.json().await.unwrap();
    assert_eq!(created.kind.as_deref(), Some("user_group"));
    assert_eq!(api.get_user_group(&created.id).await.unwrap(), created);
    assert!(matches!(
        api.create_user_group(&fields).await,
        Err(Error::Conflict(_))
    ));
    assert!(matches!(
        api.create_user_group(&UserGroupFields::default()).await,
        Err(Error::BadRequest(_))
    ));

    // Sending only a new description clears the email and membership method.
    let replaced = api
        .replace_user_group(
            &created.id,
            &UserGroupFields {
                name: "Contractors".into(),
                description: Some("Freelancers".into()),
                ..UserGroupFields::default()
            },
        )
        .await
        .unwrap();
    assert_eq!(replaced.description.as_deref(), Some("Freelancers"));
    assert_eq!(replaced.email, None);
    assert_eq!(replaced.membership_method, None);
    assert_eq!(api.get_user_group(&created.id).await.unwrap(), replaced);

    // Read-modify-write keeps what it does not touch.
    api.replace_user_group(&created.id, &fields).await.unwrap();
    let edited = api
        .update_user_group(&created.id, |group| {
            group.description = Some("Contractors and freelancers".into());
        })
        .await
        .unwrap();
    assert_eq!(
        edited.description.as_deref(),
        Some("Contractors and freelancers")
    );
    assert_eq!(edited.email, fields.email);
    assert_eq!(edited.membership_method, fields.membership_method);

    let listed = api.list_all_user_groups(&mut |_, _| {}).await.unwrap();
    assert!(listed.contains(&edited));
    api.delete_user_group(&created.id).await.unwrap();
    assert!(matches!(
        api.get_user_group(&created.id).await,
        Err(Error::NotFound(_))
    ));
    assert!(matches!(
        api.delete_user_group(&created.id).await,
        Err(Error::NotFound(_))
    ));
    let listed = api.list_all_user_groups(&mut |_, _| {}).await.unwrap();
    assert!(listed.iter().all(|group| group.id != created.id));
}

#[tokio::test]
async fn members_are_added_removed_and_listed_from_both_ends() {
    let sim = simulator(30).await;
    let api = first_org(&sim);
    let users = api.list_all_users(&mut |_, _| {}).await.unwrap();
    let (ada, bob) = (&users[0], &users[1]);
    let group = api
        .create_user_group(&UserGroupFields {
            name: "On-call".into(),
            ..UserGroupFields::default()
        })
        .await
        .unwrap();

    let added = raw(
        &sim,
        reqwest::Method::POST,
        &format!("/api/v2/usergroups/{}/members", group.id),
    )
    .json(&serde_json::json!({ "op": "add", "type": "user", "id": ada.id }))
    .send()
    .await
    .unwrap();
    assert_eq!(added.status(), 204);
    api.set_user_group_member(&group.id, GraphOp::Add, &bob.id)
        .await
        .unwrap();
    assert!(matches!(
        api.set_user_group_member(&group.id, GraphOp::Add, &bob.id)
            .await,
        Err(Error::Conflict(_))
    ));

    let mut expected = vec![ada.id.clone(), bob.id.clone()];
    expected.sort();
    assert_eq!(member_ids(&api, &group.id).await, expected);
    let membership = api.list_user_group_membership(&group.id).await.unwrap();
    let mut resolved: Vec<_> = membership.iter().map(|user| user.id.clone()).collect();
    resolved.sort();
    assert_eq!(resolved, expected);
    assert!(membership.iter().all(|user| user.kind == GraphType::User));

    let ada_groups = api.list_user_member_of(&ada.id).await.unwrap();
    let on_call = ada_groups.iter().find(|g| g.id == group.id).unwrap();
    assert_eq!(on_call.kind, GraphType::UserGroup);
    assert_eq!(on_call.paths[0][0].to.id, group.id);
    let department = ada.department.clone().unwrap();
    let seeded: HashSet<_> = [
        group_named(&api, &department).await,
        group_named(&api, "All Staff").await,
    ]
    .into();
    let ada_group_ids: HashSet<_> = ada_groups.iter().map(|g| g.id.clone()).collect();
    assert!(
        seeded.is_subset(&ada_group_ids),
        "seeded users are in their department group and All Staff"
    );

    api.set_user_group_member(&group.id, GraphOp::Remove, &ada.id)
        .await
        .unwrap();
    assert_eq!(member_ids(&api, &group.id).await, vec![bob.id.clone()]);
    assert!(matches!(
        api.set_user_group_member(&group.id, GraphOp::Remove, &ada.id)
            .await,
        Err(Error::NotFound(_))
    ));
    assert!(matches!(
        api.set_user_group_member(&group.id, GraphOp::Add, "0123456789abcdef01234567")
            .await,
        Err(Error::NotFound(_))
    ));

    api.delete_user_group(&group.id).await.unwrap();
    let bob_groups = api.list_user_member_of(&bob.id).await.unwrap();
    assert!(bob_groups.iter().all(|g| g.id != group.id));

    // No systems are bound in this organization: the traversal is empty, not an error.
    assert!(api.list_user_systems(&bob.id).await.unwrap().is_empty());
    assert!(matches!(
        api.list_user_systems("0123456789abcdef01234567").await,
        Err(Error::NotFound(_))
    ));
}

#[tokio::test]
async fn short_member_pages_are_followed_to_the_total() {
    let sim = simulator(250).await;
    let api = first_org(&sim);
    let all_staff = group_named(&api, "All Staff").await;

    let first_page = raw(
        &sim,
        reqwest::Method::GET,
        &format!("/api/v2/usergroups/{all_staff}/members?limit=100&skip=0"),
    )
    .send()
    .await
    .unwrap();
    let total: u64 = first_page.headers()["x-total-count"]
        .to_str()
        .unwrap()
        .parse()
        .unwrap();
    let page: Vec<serde_json::Value> = first_page.json().await.unwrap();
    assert!(total > 250, "orphaned association records are counted");
    assert!(page.len() < 100, "and dropped from the page");

    let before = sim.requests();
    let members = member_ids(&api, &all_staff).await;
    assert_eq!(sim.requests() - before, total.div_ceil(100));
    assert_eq!(
        members.len(),
        250,
        "every real member, past the short pages"
    );
    assert_eq!(members.iter().collect::<HashSet<_>>().len(), 250);
    let membership = api.list_user_group_membership(&all_staff).await.unwrap();
    assert_eq!(membership.len(), 250);
}

#[tokio::test]
async fn scheduled_state_changes_list_cancel_and_apply_when_due() {
    let sim = simulator(30).await;
    let api = first_org(&sim);
    let active: Vec<SystemUser> = api
        .list_users(&UserListQuery {
            state: Some(UserState::Activated),
            limit: 2,
            ..UserListQuery::default()
        })
        .await
        .unwrap()
        .items;
    let ids: Vec<String> = active.iter().map(|user| user.id.clone()).collect();

    let next_week = UserStateChange {
        user_ids: ids.clone(),
        state: UserState::Suspended,
        start: OffsetDateTime::now_utc() + time::Duration::days(7),
        send_activation_emails: None,
    };
    let scheduled = api.schedule_user_states(&next_week).await.unwrap();
    assert_eq!(scheduled.len(), 2);
    let job = scheduled[0].job_id.clone();
    assert!(
        scheduled
            .iter()
            .all(|result| result.job_id == job && result.state == Some(UserState::Suspended))
    );
    assert_eq!(api.list_scheduled_user_states().await.unwrap(), scheduled);
    assert_eq!(
        api.get_user(&ids[0]).await.unwrap().state,
        Some(UserState::Activated),
        "not due yet"
    );

    api.cancel_scheduled_user_states(&job).await.unwrap();
    assert!(api.list_scheduled_user_states().await.unwrap().is_empty());
    assert!(matches!(
        api.cancel_scheduled_user_states(&job).await,
        Err(Error::NotFound(_))
    ));

    let now = UserStateChange {
        user_ids: vec![ids[1].clone()],
        start: OffsetDateTime::now_utc(),
        ..next_week.clone()
    };
    api.schedule_user_states(&now).await.unwrap();
    assert_eq!(
        api.get_user(&ids[1]).await.unwrap().state,
        Some(UserState::Suspended),
        "a due change is applied before the next request is answered"
    );
    assert!(api.list_scheduled_user_states().await.unwrap().is_empty());
    assert_eq!(
        api.get_user(&ids[0]).await.unwrap().state,
        Some(UserState::Activated)
    );

    let before = sim.requests();
    let to_staged = UserStateChange {
        state: UserState::Staged,
        ..next_week.clone()
    };
    assert!(matches!(
        api.schedule_user_states(&to_staged).await,
        Err(Error::BadRequest(_))
    ));
    assert_eq!(
        sim.requests(),
        before,
        "refused before it reaches JumpCloud"
    );
    let unknown_user = UserStateChange {
        user_ids: vec!["0123456789abcdef01234567".into()],
        ..next_week
    };
    assert!(matches!(
        api.schedule_user_states(&unknown_user).await,
        Err(Error::BadRequest(_))
    ));
}
