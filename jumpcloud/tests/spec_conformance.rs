//! Every request the client sends and every response the simulator gives, checked against
//! JumpCloud's published spec (`spec/`; the rules are in `tests/spec/mod.rs`).
//!
//! The simulator records each exchange; the test drives every client operation through it
//! and then validates them all. A failure reads
//! `User_List (GET /api/systemusers): $.results[3].email: expected string, got null`
//! (operationIds are the SDK names the spec files use). Fix the simulator or the client,
//! never the checker; if the spec is known to be wrong, see the checker's doc comment.
//!
//! # Adding a case for a new client operation
//! 1. Call the operation from the `async fn` of its resource below (or add one, like
//!    `user_groups`, and call it from `the_client_and_the_simulator_follow_the_spec`).
//!    Exercise what the client relies on: every page shape, the optional query parameters
//!    it sends, writes with the bodies it builds, and the errors it handles (a 404 ...).
//! 2. Add the operationIds it reaches to `COVERED_OPERATIONS`: look the path and method up
//!    in `spec/v1.json`, `spec/v2.json` or `spec/directory-insights.json`. The test fails
//!    while the list and the exercised operations differ.
//! 3. A route the spec does not describe (like the OAuth token endpoint) goes in
//!    `NOT_IN_SPEC`, with the reason.
#![allow(clippy::unwrap_used)]

mod common;
mod spec;

use jumpcloud::approval_flows::{AccessRequest, Decision, RequestStatus};
use jumpcloud::graph::{GraphOp, GraphType};
use jumpcloud::groups::UserGroupFields;
use jumpcloud::insights::{EventQuery, Service};
use jumpcloud::ip_lists::IpListFields;
use jumpcloud::sim::{Exchange, Payload, SimConfig, Simulator};
use jumpcloud::software_apps::{NewSoftwareApp, SoftwareAppSettings};
use jumpcloud::system_groups::SystemGroupFields;
use jumpcloud::systems::{BuiltinCommand, System, SystemQuery, SystemUpdate};
use jumpcloud::user_states::UserStateChange;
use jumpcloud::users::{
    ActivationEmail, MfaReset, NewUser, UserFields, UserListQuery, UserSort, UserState,
};
use jumpcloud::{Credentials, Error, OrgClient, Secret};
use jumpcloud::{ServiceAccount, organizations::Organization};
use reqwest::{Method, StatusCode};
use serde_json::{Value, json};
use time::OffsetDateTime;
use time::macros::datetime;

/// The spec operations the cases below exercise: exactly these, no more, no fewer.
const COVERED_OPERATIONS: &[&str] = &[
    "Organization_List",
    // Users and their state.
    "User_List",
    "User_Get",
    "User_Create",
    "User_Set",
    "User_Delete",
    "UserState_Activate",
    "User_Unlock",
    "UserMfa_Reset",
    "ExpireUserPassword_POST",
    "UserMember_Get",
    "UserTraverseSystem_Get",
    "BulkUserStates_List",
    "BulkUserState_Create",
    "BulkUserState_Delete",
    // User groups.
    "UserGroup_List",
    "UserGroup_Create",
    "UserGroup_Get",
    "UserGroup_Set",
    "UserGroup_Delete",
    "UserGroupAssociation_Get",
    "UserGroupMembers_Get",
    "UserGroupMembers_Set",
    "UserGroupMembership_Get",
    // Systems.
    "System_List",
    "System_Search",
    "System_Get",
    "System_Set",
    "System_Delete",
    "System_Lock",
    "System_Restart",
    "System_Stop",
    "System_Clear",
    "SystemTraverseUser_Get",
    "SystemMember_Get",
    "SystemAssociation_Get",
    "SystemAssociation_Set",
    // System groups.
    "SystemGroup_List",
    "SystemGroup_Create",
    "SystemGroup_Get",
    "SystemGroup_Set",
    "SystemGroup_Delete",
    "SystemGroupMembers_Get",
    "SystemGroupMembers_Set",
    // Commands.
    "Command_List",
    "Command_Get",
    "Commands_Run",
    "CommandResult_List",
    "CommandResult_Get",
    "CommandResultByCommandID_Get",
    "CommandAssociation_Get",
    "CommandAssociation_Set",
    // Applications.
    "Application_List",
    "Application_Get",
    "ApplicationAssociation_Get",
    "ApplicationAssociation_Set",
    "ApplicationTraverseUser_Get",
    // Policies.
    "Policy_List",
    "Policy_Get",
    "PolicyResult_List",
    "PolicyStatus_List",
    "OrganizationPolicyResult_List",
    "SystemPolicyStatus_List",
    "PolicyAssociation_Get",
    "PolicyAssociation_Set",
    // IP lists.
    "IpList_List",
    "IpList_Get",
    "IpList_Create",
    "IpList_Set",
    "IpList_Update",
    "IpList_Delete",
    // Directories.
    "LdapServer_List",
    "LdapServer_Get",
    "LdapServerAssociation_Get",
    "LdapServerAssociation_Set",
    "ActiveDirectory_List",
    "ActiveDirectory_Get",
    // Software apps.
    "SoftwareApp_List",
    "SoftwareApp_Get",
    "SoftwareApp_Create",
    "SoftwareApp_Delete",
    // Approval-flow requests.
    "AccessRequest_List",
    "AccessRequest_Get",
    "AccessRequest_Set",
    // Directory Insights.
    "Event_Get",
    // Provider organizations.
    "ProviderOrganizations_List",
];

/// Routes the spec does not describe: (method, path).
const NOT_IN_SPEC: &[(&str, &str)] = &[
    // The service-account token endpoint is on JumpCloud's OAuth host, outside the API
    // spec (NOTES §2).
    ("POST", "/oauth2/token"),
    // The admin behind a key, where `provider_id` reads an MSP key's provider: used by
    // JumpCloud's own tools but undocumented, so in neither spec (NOTES §2).
    ("GET", "/api/users/getSelf"),
];

#[tokio::test]
async fn the_client_and_the_simulator_follow_the_spec() {
    let sim = common::start(&SimConfig {
        client_orgs: 2,
        // More than one page of each list.
        users_per_org: 130,
        extra_groups_per_org: 100,
        seed: 11,
    })
    .await;
    sim.record_exchanges();

    let orgs = organizations(&sim).await;
    let api = common::connect(&sim, &sim.info.orgs[0].api_key, None);
    users(&api).await;
    user_states(&api).await;
    user_groups(&sim, &orgs).await;
    systems(&api).await;
    system_groups(&api).await;
    commands(&api).await;
    applications(&api).await;
    policies(&api).await;
    ip_lists(&api).await;
    directories(&api).await;
    software_apps(&api).await;
    access_requests(&api).await;
    insights(&api).await;
    provider_organizations(&sim).await;

    spec::assert_conform(&sim.exchanges(), NOT_IN_SPEC, COVERED_OPERATIONS);
}

/// `GET /api/organizations` through a service account (so the token endpoint is used too),
/// listed in full and as `verify`'s one-field probe.
async fn organizations(sim: &Simulator) -> Vec<Organization> {
    let account = &sim.info.service_account;
    let credentials = Credentials::ServiceAccount(ServiceAccount {
        client_id: account.client_id.clone(),
        primary_secret: Secret::new(account.client_secret.as_str()),
        secondary_secret: None,
        token_url: account.token_url.parse().unwrap(),
    });
    let api = common::client().for_org(common::connection(sim, credentials, None));
    api.verify().await.unwrap();
    let orgs = api.list_organizations().await.unwrap();
    assert!(!orgs.is_empty());
    orgs
}

/// An id no object has.
const UNKNOWN_ID: &str = "0123456789abcdef01234567";

/// `/api/systemusers` and the user actions: the count probe, every page, a filtered,
/// searched and sorted page, one user and a missing one; a user's whole life (create,
/// a refused duplicate, update, activate, suspend, unlock, MFA reset, password expiry and
/// change, groups and systems, delete).
async fn users(api: &OrgClient) {
    api.count_users().await.unwrap();
    let users = api.list_all_users(&mut |_, _| {}).await.unwrap();
    api.get_user(&users[0].id).await.unwrap();
    assert!(matches!(
        api.get_user(UNKNOWN_ID).await,
        Err(Error::NotFound(_))
    ));
    api.list_users(&UserListQuery {
        search: Some("a".into()),
        state: Some(UserState::Activated),
        department: users[0].department.clone(),
        sort: UserSort::Lastname,
        descending: true,
        skip: 1,
        limit: 20,
    })
    .await
    .unwrap();

    let fields = UserFields {
        firstname: Some("Spec".into()),
        lastname: Some("Checker".into()),
        department: Some("Engineering".into()),
        ..UserFields::default()
    };
    let manager = api
        .create_user(&NewUser {
            username: "spec.manager".into(),
            email: "spec.manager@example.org".into(),
            state: None,
            password: Some(Secret::new("correct horse battery")),
            fields: fields.clone(),
        })
        .await
        .unwrap();
    let staged = api
        .create_user(&NewUser {
            username: "spec.user".into(),
            email: "spec.user@example.org".into(),
            state: Some(UserState::Staged),
            password: None,
            fields: UserFields {
                manager: Some(manager.id.clone()),
                ..fields.clone()
            },
        })
        .await
        .unwrap();
    assert!(matches!(
        api.create_user(&NewUser {
            username: "spec.user".into(),
            email: "another@example.org".into(),
            ..NewUser::default()
        })
        .await,
        Err(Error::BadRequest(_))
    ));
    api.update_user(
        &staged.id,
        &UserFields {
            job_title: Some("Auditor".into()),
            ..UserFields::default()
        },
    )
    .await
    .unwrap();
    api.activate_user(
        &staged.id,
        &ActivationEmail::SendTo("boss@example.org".into()),
    )
    .await
    .unwrap();
    assert!(matches!(
        api.activate_user(&manager.id, &ActivationEmail::Suppress)
            .await,
        Err(Error::Conflict(_))
    ));
    api.suspend_user(&staged.id).await.unwrap();
    api.unsuspend_user(&staged.id).await.unwrap();
    api.unlock_user(&staged.id).await.unwrap();
    api.reset_mfa(
        &staged.id,
        &MfaReset {
            exclusion: true,
            exclusion_days: Some(7),
            exclusion_until: None,
        },
    )
    .await
    .unwrap();
    api.expire_password(&staged.id).await.unwrap();
    api.set_password(&staged.id, &Secret::new("a much longer secret"))
        .await
        .unwrap();

    let seeded = &users[0].id;
    assert!(!api.list_user_member_of(seeded).await.unwrap().is_empty());
    api.list_user_systems(seeded).await.unwrap();

    assert!(matches!(
        api.delete_user(&manager.id, false).await,
        Err(Error::Conflict(_))
    ));
    api.delete_user(&manager.id, true).await.unwrap();
    api.delete_user(&staged.id, false).await.unwrap();
}

/// `/api/v2/bulk/userstates`: schedule, list, cancel.
async fn user_states(api: &OrgClient) {
    let users = api.list_all_users(&mut |_, _| {}).await.unwrap();
    let scheduled = api
        .schedule_user_states(&UserStateChange {
            user_ids: vec![users[0].id.clone(), users[1].id.clone()],
            state: UserState::Activated,
            start: OffsetDateTime::now_utc() + time::Duration::days(7),
            send_activation_emails: Some(true),
        })
        .await
        .unwrap();
    assert_eq!(api.list_scheduled_user_states().await.unwrap().len(), 2);
    api.cancel_scheduled_user_states(&scheduled[0].job_id)
        .await
        .unwrap();
    assert!(matches!(
        api.cancel_scheduled_user_states(&scheduled[0].job_id).await,
        Err(Error::NotFound(_))
    ));
}

/// `/api/v2/usergroups` with a multi-tenant key and `x-org-id`: every page of the groups
/// and of a large group's members, and a group's whole life with its members.
async fn user_groups(sim: &Simulator, orgs: &[Organization]) {
    let api = common::connect(sim, &sim.info.msp_api_key, Some(&orgs[0].id));
    let groups = api.list_all_user_groups(&mut |_, _| {}).await.unwrap();
    // More than a page of members, some of them orphaned records (short pages).
    let all_staff = groups
        .iter()
        .find(|group| group.name == "All Staff")
        .unwrap();
    assert!(
        api.list_user_group_members(&all_staff.id)
            .await
            .unwrap()
            .len()
            > 100
    );
    assert!(
        api.list_user_group_membership(&all_staff.id)
            .await
            .unwrap()
            .len()
            > 100
    );
    for target in [GraphType::Application, GraphType::SystemGroup] {
        api.list_user_group_associations(&all_staff.id, target)
            .await
            .unwrap();
    }
    let group = api
        .create_user_group(&UserGroupFields {
            name: "Spec reviewers".into(),
            description: Some("Checks the spec".into()),
            email: Some("reviewers@example.org".into()),
            membership_method: Some("STATIC".into()),
            ..UserGroupFields::default()
        })
        .await
        .unwrap();
    assert!(matches!(
        api.create_user_group(&UserGroupFields {
            name: "Spec reviewers".into(),
            ..UserGroupFields::default()
        })
        .await,
        Err(Error::Conflict(_))
    ));
    api.update_user_group(&group.id, |fields| {
        fields.description = Some("Reads every exchange".into());
    })
    .await
    .unwrap();
    let user = &api.list_all_users(&mut |_, _| {}).await.unwrap()[0];
    api.set_user_group_member(&group.id, GraphOp::Add, &user.id)
        .await
        .unwrap();
    assert!(matches!(
        api.set_user_group_member(&group.id, GraphOp::Add, &user.id)
            .await,
        Err(Error::Conflict(_))
    ));
    assert_eq!(
        api.list_user_group_members(&group.id).await.unwrap().len(),
        1
    );
    assert_eq!(
        api.list_user_group_membership(&group.id)
            .await
            .unwrap()
            .len(),
        1
    );
    api.set_user_group_member(&group.id, GraphOp::Remove, &user.id)
        .await
        .unwrap();
    api.delete_user_group(&group.id).await.unwrap();
    assert!(matches!(
        api.get_user_group(&group.id).await,
        Err(Error::NotFound(_))
    ));
}

/// `/api/systems`, `/api/search/systems`, the built-in commands and the v2 graph views of
/// a system.
async fn systems(api: &OrgClient) {
    let page = api
        .list_systems(&SystemQuery {
            limit: 20,
            skip: 5,
            sort: Some("-lastContact _id".into()),
            filter: vec!["osFamily:$eq:linux".into()],
        })
        .await
        .unwrap();
    assert!(!page.items.is_empty());
    let all = api.list_all_systems(&mut |_, _| {}).await.unwrap();
    api.search_systems("mbp", 10, 0).await.unwrap();
    let system = &all[0];
    api.get_system(&system.id).await.unwrap();
    api.update_system(
        &system.id,
        &SystemUpdate {
            display_name: Some("Renamed by the spec check".into()),
            allow_ssh_root_login: Some(false),
            ..SystemUpdate::default()
        },
    )
    .await
    .unwrap();
    let linux = of_family(&all, "linux");
    for command in [
        BuiltinCommand::Lock,
        BuiltinCommand::Restart,
        BuiltinCommand::Shutdown,
        BuiltinCommand::Erase,
    ] {
        api.run_builtin_command(&linux.id, command).await.unwrap();
    }
    assert!(matches!(
        api.run_builtin_command(&of_family(&all, "darwin").id, BuiltinCommand::Lock)
            .await,
        Err(Error::BadRequest(_))
    ));

    let owned = all
        .iter()
        .find(|system| {
            system
                .primary_system_user
                .as_ref()
                .is_some_and(|user| user.id.is_some())
        })
        .unwrap();
    assert!(!api.list_system_users(&owned.id).await.unwrap().is_empty());
    api.list_system_memberof(&owned.id).await.unwrap();
    let users = api.list_all_users(&mut |_, _| {}).await.unwrap();
    api.set_system_association(&owned.id, GraphOp::Add, GraphType::User, &users[3].id)
        .await
        .unwrap();
    assert!(
        !api.list_system_associations(&owned.id, GraphType::User)
            .await
            .unwrap()
            .is_empty()
    );
    api.set_system_association(&owned.id, GraphOp::Remove, GraphType::User, &users[3].id)
        .await
        .unwrap();
    api.list_system_associations(&owned.id, GraphType::Policy)
        .await
        .unwrap();
    let removed = all.last().unwrap();
    api.delete_system(&removed.id).await.unwrap();
    assert!(matches!(
        api.get_system(&removed.id).await,
        Err(Error::NotFound(_))
    ));
}

fn of_family<'a>(systems: &'a [System], family: &str) -> &'a System {
    systems
        .iter()
        .find(|system| system.os_family.as_deref() == Some(family))
        .unwrap()
}

/// `/api/v2/systemgroups`: every page and a group's whole life with its members.
async fn system_groups(api: &OrgClient) {
    let existing = api.list_all_system_groups(&mut |_, _| {}).await.unwrap();
    api.get_system_group(&existing[0].id).await.unwrap();
    let fields = SystemGroupFields {
        name: "Spec lab".into(),
        description: Some("Devices the spec check uses".into()),
        ..SystemGroupFields::default()
    };
    let group = api.create_system_group(&fields).await.unwrap();
    api.replace_system_group(
        &group.id,
        &SystemGroupFields {
            email: Some("lab@example.org".into()),
            ..fields
        },
    )
    .await
    .unwrap();
    let system = &api.list_all_systems(&mut |_, _| {}).await.unwrap()[0];
    api.set_system_group_member(&group.id, GraphOp::Add, &system.id)
        .await
        .unwrap();
    assert_eq!(
        api.list_system_group_members(&group.id)
            .await
            .unwrap()
            .len(),
        1
    );
    api.set_system_group_member(&group.id, GraphOp::Remove, &system.id)
        .await
        .unwrap();
    assert!(matches!(
        api.set_system_group_member(&group.id, GraphOp::Remove, &system.id)
            .await,
        Err(Error::NotFound(_))
    ));
    api.delete_system_group(&group.id).await.unwrap();
}

/// `/api/commands`, `/api/runCommand`, `/api/commandresults` and command associations.
async fn commands(api: &OrgClient) {
    let commands = api.list_all_commands(&mut |_, _| {}).await.unwrap();
    let command = api.get_command(&commands[0].id).await.unwrap();
    api.run_command(&command.id, None).await.unwrap();
    let systems = api.list_all_systems(&mut |_, _| {}).await.unwrap();
    api.run_command(&command.id, Some(&[systems[0].id.clone()]))
        .await
        .unwrap();
    let results = api.list_all_command_results(&mut |_, _| {}).await.unwrap();
    api.get_command_result(&results[0].id).await.unwrap();
    assert!(
        !api.list_command_results(&command.id)
            .await
            .unwrap()
            .is_empty()
    );
    api.list_command_associations(&command.id, GraphType::SystemGroup)
        .await
        .unwrap();
    api.set_command_association(&command.id, GraphOp::Add, GraphType::System, &systems[0].id)
        .await
        .unwrap();
    api.list_command_associations(&command.id, GraphType::System)
        .await
        .unwrap();
    api.set_command_association(
        &command.id,
        GraphOp::Remove,
        GraphType::System,
        &systems[0].id,
    )
    .await
    .unwrap();
}

/// `/api/applications` and their associations and users.
async fn applications(api: &OrgClient) {
    let applications = api.list_all_applications(&mut |_, _| {}).await.unwrap();
    let application = api.get_application(&applications[0].id).await.unwrap();
    api.list_application_associations(&application.id, GraphType::UserGroup)
        .await
        .unwrap();
    let user = &api.list_all_users(&mut |_, _| {}).await.unwrap()[0];
    api.set_application_association(&application.id, GraphOp::Add, GraphType::User, &user.id)
        .await
        .unwrap();
    api.list_application_associations(&application.id, GraphType::User)
        .await
        .unwrap();
    assert!(
        !api.list_application_users(&application.id)
            .await
            .unwrap()
            .is_empty()
    );
    api.set_application_association(&application.id, GraphOp::Remove, GraphType::User, &user.id)
        .await
        .unwrap();
}

/// `/api/v2/policies`, their results and statuses, and their associations.
async fn policies(api: &OrgClient) {
    let policies = api.list_all_policies(&mut |_, _| {}).await.unwrap();
    let policy = api.get_policy(&policies[0].id).await.unwrap();
    let results = api.list_policy_results(&policy.id).await.unwrap();
    api.list_policy_statuses(&policy.id).await.unwrap();
    api.list_all_policy_results().await.unwrap();
    api.list_system_policy_statuses(&results[0].system_id)
        .await
        .unwrap();
    api.list_policy_associations(&policy.id, GraphType::SystemGroup)
        .await
        .unwrap();
    let system = &api.list_all_systems(&mut |_, _| {}).await.unwrap()[0];
    api.set_policy_association(&policy.id, GraphOp::Add, GraphType::System, &system.id)
        .await
        .unwrap();
    api.list_policy_associations(&policy.id, GraphType::System)
        .await
        .unwrap();
    api.set_policy_association(&policy.id, GraphOp::Remove, GraphType::System, &system.id)
        .await
        .unwrap();
}

/// `/api/v2/iplists`: every page, one list, and a list's whole life (create, a refused
/// invalid address, PATCH, PUT, delete and the 404 after).
async fn ip_lists(api: &OrgClient) {
    let lists = api.list_ip_lists().await.unwrap();
    api.get_ip_list(&lists[0].id).await.unwrap();
    let created = api
        .create_ip_list(&IpListFields {
            name: Some("Spec partners".into()),
            description: Some("Partner offices".into()),
            ips: Some(vec!["192.0.2.1-192.0.2.9".into(), "2001:db8::/32".into()]),
        })
        .await
        .unwrap();
    assert!(matches!(
        api.create_ip_list(&IpListFields {
            name: Some("Broken".into()),
            ips: Some(vec!["10.0.0.300".into()]),
            ..IpListFields::default()
        })
        .await,
        Err(Error::BadRequest(_))
    ));
    api.update_ip_list(
        &created.id,
        &IpListFields {
            ips: Some(vec!["203.0.113.9".into()]),
            ..IpListFields::default()
        },
    )
    .await
    .unwrap();
    api.replace_ip_list(
        &created.id,
        &IpListFields {
            name: Some("Spec partners".into()),
            ..IpListFields::default()
        },
    )
    .await
    .unwrap();
    api.delete_ip_list(&created.id).await.unwrap();
    assert!(matches!(
        api.get_ip_list(&created.id).await,
        Err(Error::NotFound(_))
    ));
}

/// `/api/v2/ldapservers` with their user and group bindings, and
/// `/api/v2/activedirectories`.
async fn directories(api: &OrgClient) {
    let server = api.list_ldap_servers().await.unwrap().remove(0);
    api.get_ldap_server(&server.id).await.unwrap();
    assert!(
        !api.list_ldap_server_associations(&server.id, GraphType::UserGroup)
            .await
            .unwrap()
            .is_empty()
    );
    let user = &api.list_all_users(&mut |_, _| {}).await.unwrap()[0];
    let bind =
        |op: GraphOp| api.set_ldap_server_association(&server.id, op, GraphType::User, &user.id);
    bind(GraphOp::Add).await.unwrap();
    assert!(matches!(bind(GraphOp::Add).await, Err(Error::Conflict(_))));
    assert_eq!(
        api.list_ldap_server_associations(&server.id, GraphType::User)
            .await
            .unwrap()
            .len(),
        1
    );
    bind(GraphOp::Remove).await.unwrap();

    let domains = api.list_active_directories().await.unwrap();
    api.get_active_directory(&domains[0].id).await.unwrap();
    assert!(matches!(
        api.get_active_directory(UNKNOWN_ID).await,
        Err(Error::NotFound(_))
    ));
}

/// `/api/v2/softwareapps`: every page, one app, a create (and a refused one without a
/// package) and a delete.
async fn software_apps(api: &OrgClient) {
    let apps = api.list_software_apps().await.unwrap();
    api.get_software_app(&apps[0].id).await.unwrap();
    let created = api
        .create_software_app(&NewSoftwareApp {
            display_name: "Adobe Reader".into(),
            settings: vec![SoftwareAppSettings {
                package_id: Some("adobereader".into()),
                package_manager: Some("CHOCOLATEY".into()),
                desired_state: Some("Install".into()),
                auto_update: Some(true),
                ..SoftwareAppSettings::default()
            }],
        })
        .await
        .unwrap();
    assert!(matches!(
        api.create_software_app(&NewSoftwareApp {
            display_name: "Nothing".into(),
            settings: Vec::new(),
        })
        .await,
        Err(Error::BadRequest(_))
    ));
    api.delete_software_app(&created.id).await.unwrap();
    assert!(matches!(
        api.delete_software_app(&created.id).await,
        Err(Error::NotFound(_))
    ));
}

/// `/api/v2/approvalflowrequest`: the list, one request, an approval with a duration and
/// remarks, a denial, and a refused second decision.
async fn access_requests(api: &OrgClient) {
    let requests = api.list_access_requests().await.unwrap();
    let pending: Vec<&AccessRequest> = requests
        .iter()
        .filter(|request| request.status == RequestStatus::Pending)
        .collect();
    api.get_access_request(&pending[0].id).await.unwrap();
    api.decide_access_request(
        &pending[0].id,
        &Decision::Approve {
            duration: Some("600s".into()),
        },
        "spec-admin",
        Some("ok for today"),
    )
    .await
    .unwrap();
    api.decide_access_request(&pending[1].id, &Decision::Deny, "spec-admin", None)
        .await
        .unwrap();
    assert!(matches!(
        api.decide_access_request(&pending[1].id, &Decision::Deny, "spec-admin", None)
            .await,
        Err(Error::Conflict(_))
    ));
}

/// Directory Insights `POST /insights/directory/v1/events`: several pages through
/// `search_after`, newest first, and one service in a window with a search term.
async fn insights(api: &OrgClient) {
    let start = datetime!(2025-12-01 0:00 UTC);
    assert!(
        !api.search_events(&EventQuery {
            page_size: 100,
            ..EventQuery::since(start)
        })
        .await
        .unwrap()
        .is_empty()
    );
    api.search_events(&EventQuery {
        services: vec![Service::Directory, Service::Sso],
        end: Some(datetime!(2025-12-28 0:00 UTC)),
        newest_first: true,
        search_term: Some(json!({ "and": [{ "event_type": "admin_login_attempt" }] })),
        ..EventQuery::since(start)
    })
    .await
    .unwrap();
}

/// `GET /api/v2/providers/{provider_id}/organizations` with a multi-tenant key, after
/// `provider_id` found the provider; and the 403 for a single-organization admin.
async fn provider_organizations(sim: &Simulator) {
    let msp = common::connect(sim, &sim.info.msp_api_key, Some(&sim.info.orgs[0].id));
    let provider_id = msp.provider_id().await.unwrap().unwrap();
    assert!(
        !msp.list_provider_organizations(&provider_id)
            .await
            .unwrap()
            .is_empty()
    );
    let org_admin = common::connect(sim, &sim.info.orgs[0].api_key, None);
    assert!(matches!(
        org_admin.list_provider_organizations(&provider_id).await,
        Err(Error::Forbidden(_))
    ));
}

#[tokio::test]
async fn the_recorder_keeps_both_sides_of_every_exchange_once_started() {
    let sim = common::start(&SimConfig::default()).await;
    let http = reqwest::Client::new();
    let send = || {
        http.post(format!("{}/api/nowhere?a=1&b=two", sim.info.base_url))
            .header("x-api-key", sim.info.orgs[0].api_key.as_str())
            .json(&json!({ "name": "x" }))
            .send()
    };
    send().await.unwrap();
    assert!(
        sim.exchanges().is_empty(),
        "recording is off until asked for"
    );

    sim.record_exchanges();
    send().await.unwrap();
    let recorded = sim.exchanges();
    assert_eq!(recorded.len(), 1);
    let exchange = &recorded[0];
    assert_eq!(exchange.method, Method::POST);
    assert_eq!(exchange.path, "/api/nowhere");
    assert_eq!(exchange.query.as_deref(), Some("a=1&b=two"));
    assert_eq!(exchange.request_body, Payload::Json(json!({ "name": "x" })));
    assert_eq!(exchange.status, StatusCode::NOT_FOUND);
    assert_eq!(
        exchange.response_body,
        Payload::Json(json!({ "message": "Not Found" }))
    );
    assert_eq!(
        exchange.response_headers["content-type"],
        "application/json"
    );

    sim.clear_exchanges();
    assert!(sim.exchanges().is_empty());
}

// The checker itself: each kind of fault must be reported, with its operation and path.

/// An exchange as the recorder would have it; `target` is the path with its query.
fn exchange(
    method: Method,
    target: &str,
    request: Option<Value>,
    status: u16,
    response: Option<Value>,
) -> Exchange {
    let (path, query) = match target.split_once('?') {
        Some((path, query)) => (path, Some(query.to_string())),
        None => (target, None),
    };
    let mut response_headers = reqwest::header::HeaderMap::new();
    if response.is_some() {
        response_headers.insert("content-type", "application/json".parse().unwrap());
    }
    Exchange {
        method,
        path: path.to_string(),
        query,
        request_body: request.map_or(Payload::Empty, Payload::Json),
        status: StatusCode::from_u16(status).unwrap(),
        response_headers,
        response_body: response.map_or(Payload::Empty, Payload::Json),
    }
}

fn failures_of(exchange: &Exchange) -> Vec<String> {
    let mut failures = Vec::new();
    spec::spec().check(exchange, &mut failures);
    failures
}

fn user(id: &str) -> Value {
    json!({ "_id": id, "username": "ada", "email": "ada@acme.example", "state": "ACTIVATED" })
}

#[test]
fn a_conforming_exchange_passes() {
    let list = json!({ "totalCount": 2, "results": [user("a"), user("b")] });
    let ok = exchange(
        Method::GET,
        "/api/systemusers?limit=100&skip=0&sort=_id",
        None,
        200,
        Some(list),
    );
    assert_eq!(failures_of(&ok), Vec::<String>::new());
    let mut failures = Vec::new();
    assert_eq!(
        spec::spec().check(&ok, &mut failures).as_deref(),
        Some("User_List")
    );
}

#[test]
fn a_wrong_type_names_the_operation_and_the_json_path() {
    let mut broken = user("d");
    broken["email"] = Value::Null;
    let list = json!({ "totalCount": 4, "results": [user("a"), user("b"), user("c"), broken] });
    let response = exchange(Method::GET, "/api/systemusers", None, 200, Some(list));
    assert_eq!(
        failures_of(&response),
        ["User_List (GET /api/systemusers): $.results[3].email: expected string, got null"]
    );
    let wrong_integer = exchange(
        Method::GET,
        "/api/v2/usergroups?limit=ten",
        None,
        200,
        Some(
            json!([{ "id": "g", "name": "Sales", "type": "user_group", "suggestionCounts": { "add": 1.5 } }]),
        ),
    );
    assert_eq!(
        failures_of(&wrong_integer),
        [
            r#"UserGroup_List (GET /api/v2/usergroups): query "limit": expected integer, got string"#,
            "UserGroup_List (GET /api/v2/usergroups): $[0].suggestionCounts.add: expected integer, got number",
        ]
    );
}

#[test]
fn a_missing_required_field_in_a_request_body_is_reported() {
    let create = exchange(
        Method::POST,
        "/api/systemusers",
        Some(json!({ "email": "ada@acme.example" })),
        200,
        Some(user("a")),
    );
    assert_eq!(
        failures_of(&create),
        ["User_Create (POST /api/systemusers): request $.username: required property is missing"]
    );
}

#[test]
fn undeclared_query_parameters_and_properties_are_reported() {
    let mut extra = user("a");
    extra["favouriteColour"] = json!("teal");
    let response = exchange(
        Method::GET,
        "/api/systemusers/5f0c1e2d3c4b5a6978695a4b?colour=red&limit=1",
        None,
        200,
        Some(extra),
    );
    assert_eq!(
        failures_of(&response),
        [
            r#"User_Get (GET /api/systemusers/{id}): query "colour": not a query parameter of this operation"#,
            r#"User_Get (GET /api/systemusers/{id}): query "limit": not a query parameter of this operation"#,
            "User_Get (GET /api/systemusers/{id}): $.favouriteColour: property not declared by the spec",
        ]
    );
}

#[test]
fn enums_nulls_statuses_and_unknown_routes_are_checked() {
    let mut staged = user("a");
    staged["state"] = json!("PENDING");
    staged["account_locked_date"] = Value::Null; // x-nullable in the spec
    let response = exchange(
        Method::GET,
        "/api/systemusers/a",
        None,
        201,
        Some(staged.clone()),
    );
    assert_eq!(
        failures_of(&response),
        [
            r#"User_Get (GET /api/systemusers/{id}): status: 201 Created is not a documented response (documented: ["200"])"#
        ]
    );
    let response = exchange(Method::GET, "/api/systemusers/a", None, 200, Some(staged));
    assert_eq!(
        failures_of(&response),
        [
            r#"User_Get (GET /api/systemusers/{id}): $.state: "PENDING" is not one of "STAGED", "ACTIVATED", "SUSPENDED""#
        ]
    );
    let not_found = exchange(
        Method::GET,
        "/api/systemusers/a",
        None,
        404,
        Some(json!({ "error": "gone" })),
    );
    assert_eq!(
        failures_of(&not_found),
        [
            "User_Get (GET /api/systemusers/{id}): $.message: required property is missing",
            "User_Get (GET /api/systemusers/{id}): $.error: property not declared by the spec",
        ]
    );
    let unknown = exchange(
        Method::GET,
        "/api/nothing/here",
        None,
        404,
        Some(json!({ "message": "Not Found" })),
    );
    assert_eq!(
        failures_of(&unknown),
        ["unknown operation (GET /api/nothing/here): route: no path of v1.json matches"]
    );
    let removed = exchange(
        Method::GET,
        "/api/v2/accessrequests",
        None,
        200,
        Some(json!([])),
    );
    assert!(failures_of(&removed)[0].contains("defines no GET operation"));
}

#[test]
fn event_queries_are_checked_as_directory_insights_documents_them() {
    let events = |body: Value| {
        exchange(
            Method::POST,
            "/insights/directory/v1/events",
            Some(body),
            200,
            Some(json!([])),
        )
    };
    let next_page = events(json!({
        "service": ["radius"],
        "start_time": "2020-01-01T14:00:00Z",
        "search_after": [1576181718000u64, "DZrPyW8BNsa9iKWoOm7h"],
        "search_term": { "and": [{ "success": "false" }, { "or": [{ "username": "paul" }] }] },
    }));
    assert_eq!(failures_of(&next_page), Vec::<String>::new());
    let undocumented = events(json!({
        "service": ["everything"],
        "search_term": { "and": { "username": "root" } },
    }));
    assert_eq!(
        failures_of(&undocumented),
        [
            r#"Event_Get (POST /insights/directory/v1/events): request $.start_time: required property is missing"#,
            r#"Event_Get (POST /insights/directory/v1/events): request $.service[0]: "everything" is not one of "alerts", "all", "directory", "ldap", "mdm", "notifications", "object_storage", "password_manager", "radius", "reports", "saas_app_management", "software", "sso", "systems", "access_management", "asset_management""#,
            "Event_Get (POST /insights/directory/v1/events): request $.search_term.and: expected array, got object",
        ]
    );
}
