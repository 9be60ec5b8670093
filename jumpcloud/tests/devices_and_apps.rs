//! Devices, system groups, commands, applications and policies: the client against the
//! simulator over real HTTP on loopback.
#![allow(clippy::unwrap_used)]

mod common;

use jumpcloud::commands::Command;
use jumpcloud::graph::{GraphOp, GraphType};
use jumpcloud::sim::{SimConfig, Simulator};
use jumpcloud::system_groups::{SystemGroup, SystemGroupFields};
use jumpcloud::systems::{BuiltinCommand, System, SystemQuery, SystemUpdate};
use jumpcloud::{Error, OrgClient};

const UNKNOWN_ID: &str = "0123456789abcdef01234567";

async fn simulator() -> Simulator {
    common::start(&SimConfig {
        client_orgs: 1,
        users_per_org: 40,
        extra_groups_per_org: 0,
        seed: 11,
    })
    .await
}

fn handle(sim: &Simulator) -> OrgClient {
    common::connect(sim, &sim.info.orgs[0].api_key, None)
}

async fn systems(api: &OrgClient) -> Vec<System> {
    api.list_all_systems(&mut |_, _| {}).await.unwrap()
}

async fn system_groups(api: &OrgClient) -> Vec<SystemGroup> {
    api.list_all_system_groups(&mut |_, _| {}).await.unwrap()
}

async fn group_named(api: &OrgClient, name: &str) -> SystemGroup {
    system_groups(api)
        .await
        .into_iter()
        .find(|group| group.name == name)
        .unwrap()
}

async fn member_ids(api: &OrgClient, group_id: &str) -> Vec<String> {
    api.list_system_group_members(group_id)
        .await
        .unwrap()
        .into_iter()
        .map(|member| member.to.id)
        .collect()
}

#[tokio::test]
async fn seeded_fleet_is_about_one_device_per_two_users_across_platforms() {
    let sim = simulator().await;
    let api = handle(&sim);
    let mut progress = Vec::new();
    let all = api
        .list_all_systems(&mut |fetched, total| progress.push((fetched, total)))
        .await
        .unwrap();
    assert_eq!(all.len(), 20);
    assert_eq!(progress, vec![(20, Some(20))]);
    for family in ["darwin", "windows", "linux"] {
        assert!(
            all.iter()
                .any(|system| system.os_family.as_deref() == Some(family)),
            "no {family} device"
        );
    }
    assert!(all.iter().any(|system| system.active == Some(false)));
    assert!(
        all.iter()
            .any(|system| system.fde.unwrap().active == Some(false))
    );
    assert!(all.iter().all(|system| system.last_contact.is_some()));
    let names: Vec<String> = system_groups(&api)
        .await
        .into_iter()
        .map(|group| group.name)
        .collect();
    assert_eq!(
        names,
        ["Mac fleet", "Servers", "Stale devices", "Windows fleet"],
        "listed by name, the only sort the group collections accept"
    );
    let macs = member_ids(&api, &group_named(&api, "Mac fleet").await.id).await;
    assert!(!macs.is_empty());
    for id in macs {
        let system = api.get_system(&id).await.unwrap();
        assert_eq!(system.os_family.as_deref(), Some("darwin"));
    }
}

#[tokio::test]
async fn each_organization_sees_only_its_own_devices() {
    let sim = simulator().await;
    let own = systems(&handle(&sim)).await;
    let standalone = &sim.info.orgs[1];
    let other = systems(&common::connect(&sim, &standalone.api_key, None)).await;
    assert!(other.iter().all(|system| !own.contains(system)));
    let through_msp = common::connect(&sim, &sim.info.msp_api_key, Some(&sim.info.orgs[0].id));
    assert_eq!(systems(&through_msp).await, own);
    assert!(matches!(
        common::connect(&sim, &sim.info.msp_api_key, None)
            .list_all_policies(&mut |_, _| {})
            .await,
        Err(Error::Unauthorized(_))
    ));
    assert!(matches!(
        through_msp.get_system(&other[0].id).await,
        Err(Error::NotFound(_))
    ));
}

#[tokio::test]
async fn a_system_page_filters_sorts_and_searches() {
    let sim = simulator().await;
    let api = handle(&sim);
    let page = api
        .list_systems(&SystemQuery {
            limit: 5,
            skip: 0,
            sort: Some("-lastContact".into()),
            filter: Vec::new(),
        })
        .await
        .unwrap();
    assert_eq!(page.total, Some(20));
    assert_eq!(page.items.len(), 5);
    let contacts: Vec<_> = page.items.iter().map(|s| s.last_contact.clone()).collect();
    let mut newest_first = contacts.clone();
    newest_first.sort_by(|a, b| b.cmp(a));
    assert_eq!(contacts, newest_first);

    let windows = api
        .list_systems(&SystemQuery {
            limit: 100,
            filter: vec!["osFamily:$eq:windows".into()],
            ..SystemQuery::default()
        })
        .await
        .unwrap();
    assert!(windows.total.unwrap() > 0);
    assert_eq!(windows.total, Some(windows.items.len() as u64));
    assert!(
        windows
            .items
            .iter()
            .all(|s| s.os_family.as_deref() == Some("windows"))
    );

    let target = &page.items[0];
    let hostname = target.hostname.clone().unwrap();
    let fragment = hostname[1..hostname.len() - 1].to_uppercase();
    let found = api.search_systems(&fragment, 100, 0).await.unwrap();
    assert!(found.items.iter().any(|system| system.id == target.id));
    assert!(found.items.iter().all(|system| {
        [&system.hostname, &system.display_name].iter().any(|name| {
            name.as_deref()
                .unwrap_or_default()
                .to_uppercase()
                .contains(&fragment)
        }) || system
            .serial_number
            .as_deref()
            .unwrap_or_default()
            .contains(&fragment)
    }));
    assert_eq!(
        api.search_systems("no-such-host-anywhere", 10, 0)
            .await
            .unwrap()
            .total,
        Some(0)
    );
}

#[tokio::test]
async fn a_system_update_merges_and_a_deleted_system_is_gone_with_its_edges() {
    let sim = simulator().await;
    let api = handle(&sim);
    let all = systems(&api).await;
    let owned = all
        .iter()
        .find(|system| {
            system
                .primary_system_user
                .as_ref()
                .and_then(|user| user.id.clone())
                .is_some()
        })
        .unwrap()
        .clone();
    assert_eq!(api.get_system(&owned.id).await.unwrap(), owned);

    let renamed = api
        .update_system(
            &owned.id,
            &SystemUpdate {
                display_name: Some("Reception iMac".into()),
                ..SystemUpdate::default()
            },
        )
        .await
        .unwrap();
    assert_eq!(renamed.display_name.as_deref(), Some("Reception iMac"));
    assert_eq!(renamed.allow_ssh_root_login, owned.allow_ssh_root_login);
    let hardened = api
        .update_system(
            &owned.id,
            &SystemUpdate {
                allow_ssh_root_login: Some(true),
                allow_public_key_authentication: Some(false),
                ..SystemUpdate::default()
            },
        )
        .await
        .unwrap();
    assert_eq!(
        hardened.display_name.as_deref(),
        Some("Reception iMac"),
        "v1 PUT merges"
    );
    assert_eq!(hardened.allow_ssh_root_login, Some(true));
    assert_eq!(api.get_system(&owned.id).await.unwrap(), hardened);

    let owner = owned.primary_system_user.unwrap().id.unwrap();
    let users = api.list_system_users(&owned.id).await.unwrap();
    let bound = users.iter().find(|user| user.id == owner).unwrap();
    assert_eq!(bound.kind, GraphType::User);
    assert_eq!(bound.paths.len(), 1);
    assert_eq!(bound.paths[0][0].to.id, owner);
    let groups = api.list_system_memberof(&owned.id).await.unwrap();
    assert!(!groups.is_empty(), "every owned laptop is in a fleet group");

    let deleted = api.delete_system(&owned.id).await.unwrap();
    assert_eq!(deleted.id, owned.id);
    assert!(matches!(
        api.get_system(&owned.id).await,
        Err(Error::NotFound(_))
    ));
    assert!(matches!(
        api.delete_system(&owned.id).await,
        Err(Error::NotFound(_))
    ));
    assert!(matches!(
        api.list_system_users(&owned.id).await,
        Err(Error::NotFound(_))
    ));
    let remaining = systems(&api).await;
    assert_eq!(remaining.len(), all.len() - 1);
    assert!(remaining.iter().all(|system| system.id != owned.id));
    for group in groups {
        assert!(!member_ids(&api, &group.id).await.contains(&owned.id));
    }
    assert!(matches!(
        api.update_system(UNKNOWN_ID, &SystemUpdate::default())
            .await,
        Err(Error::NotFound(_))
    ));
}

#[tokio::test]
async fn builtin_commands_are_queued_once_and_shown_on_the_device() {
    let sim = simulator().await;
    let api = handle(&sim);
    let all = systems(&api).await;
    let server = all
        .iter()
        .find(|system| system.os_family.as_deref() != Some("darwin"))
        .unwrap();
    for command in [
        BuiltinCommand::Lock,
        BuiltinCommand::Restart,
        BuiltinCommand::Erase,
    ] {
        let before = sim.requests();
        api.run_builtin_command(&server.id, command).await.unwrap();
        assert_eq!(sim.requests() - before, 1);
    }
    let queued: Vec<String> = api
        .get_system(&server.id)
        .await
        .unwrap()
        .built_in_commands
        .into_iter()
        .map(|command| command.name.unwrap())
        .collect();
    assert_eq!(queued, ["lock", "restart", "erase"]);

    // macOS takes Apple MDM commands instead; the refusal is not retried.
    // TODO(fault injection): once the simulator can answer 5xx on demand, assert that a
    // builtin command failing with 503 is sent exactly once.
    let mac = all
        .iter()
        .find(|system| system.os_family.as_deref() == Some("darwin"))
        .unwrap();
    let before = sim.requests();
    assert!(matches!(
        api.run_builtin_command(&mac.id, BuiltinCommand::Lock).await,
        Err(Error::BadRequest(_))
    ));
    assert_eq!(sim.requests() - before, 1);
    assert!(matches!(
        api.run_builtin_command(UNKNOWN_ID, BuiltinCommand::Shutdown)
            .await,
        Err(Error::NotFound(_))
    ));
    let before = sim.requests();
    assert!(matches!(
        api.run_builtin_command("../systems", BuiltinCommand::Erase)
            .await,
        Err(Error::BadRequest(_))
    ));
    assert_eq!(sim.requests(), before, "a bad id never reaches the API");
}

#[tokio::test]
async fn system_groups_are_created_replaced_with_members_and_deleted() {
    let sim = simulator().await;
    let api = handle(&sim);
    let fields = SystemGroupFields {
        name: "Kiosks".into(),
        description: Some("Lobby and shop-floor devices".into()),
        email: Some("kiosks@acme.example".into()),
        membership_method: Some("STATIC".into()),
        ..SystemGroupFields::default()
    };
    let created = api.create_system_group(&fields).await.unwrap();
    assert_eq!(created.name, "Kiosks");
    assert_eq!(created.kind.as_deref(), Some("system_group"));
    assert_eq!(api.get_system_group(&created.id).await.unwrap(), created);
    assert!(system_groups(&api).await.contains(&created));
    assert!(matches!(
        api.create_system_group(&fields).await,
        Err(Error::Conflict(_))
    ));
    assert!(matches!(
        api.create_system_group(&SystemGroupFields::default()).await,
        Err(Error::BadRequest(_))
    ));

    let replaced = api
        .replace_system_group(
            &created.id,
            &SystemGroupFields {
                name: "Kiosk devices".into(),
                ..SystemGroupFields::default()
            },
        )
        .await
        .unwrap();
    assert_eq!(replaced.name, "Kiosk devices");
    assert_eq!(
        replaced.description.as_deref().unwrap_or_default(),
        "",
        "v2 PUT clears what it is not sent"
    );
    assert_eq!(replaced.email.as_deref().unwrap_or_default(), "");
    let kept = SystemGroupFields {
        description: Some("Back again".into()),
        ..SystemGroupFields::from(&replaced)
    };
    let restored = api.replace_system_group(&created.id, &kept).await.unwrap();
    assert_eq!(restored.name, "Kiosk devices");
    assert_eq!(restored.description.as_deref(), Some("Back again"));
    assert!(matches!(
        api.replace_system_group(
            &created.id,
            &SystemGroupFields {
                name: "Mac fleet".into(),
                ..SystemGroupFields::default()
            }
        )
        .await,
        Err(Error::Conflict(_))
    ));

    let all = systems(&api).await;
    let (first, second) = (&all[0].id, &all[1].id);
    for system in [first, second] {
        api.set_system_group_member(&created.id, GraphOp::Add, system)
            .await
            .unwrap();
    }
    assert!(matches!(
        api.set_system_group_member(&created.id, GraphOp::Add, first)
            .await,
        Err(Error::Conflict(_))
    ));
    let mut expected = vec![first.clone(), second.clone()];
    expected.sort();
    assert_eq!(member_ids(&api, &created.id).await, expected);
    api.set_system_group_member(&created.id, GraphOp::Remove, first)
        .await
        .unwrap();
    assert_eq!(member_ids(&api, &created.id).await, vec![second.clone()]);
    let memberof = api.list_system_memberof(second).await.unwrap();
    assert!(memberof.iter().any(|group| group.id == created.id));
    assert!(matches!(
        api.set_system_group_member(&created.id, GraphOp::Add, UNKNOWN_ID)
            .await,
        Err(Error::NotFound(_))
    ));

    api.delete_system_group(&created.id).await.unwrap();
    assert!(matches!(
        api.get_system_group(&created.id).await,
        Err(Error::NotFound(_))
    ));
    assert!(matches!(
        api.list_system_group_members(&created.id).await,
        Err(Error::NotFound(_))
    ));
    assert!(
        api.list_system_memberof(second)
            .await
            .unwrap()
            .iter()
            .all(|group| group.id != created.id)
    );
    assert!(!system_groups(&api).await.iter().any(|g| g.id == created.id));
}

async fn command_named(api: &OrgClient, name: &str) -> Command {
    api.list_all_commands(&mut |_, _| {})
        .await
        .unwrap()
        .into_iter()
        .find(|command| command.name == name)
        .unwrap()
}

#[tokio::test]
async fn running_a_command_queues_it_on_bound_systems_and_records_results() {
    let sim = simulator().await;
    let api = handle(&sim);
    let commands = api.list_all_commands(&mut |_, _| {}).await.unwrap();
    assert_eq!(commands.len(), 5);
    let command = command_named(&api, "Install Homebrew").await;
    let full = api.get_command(&command.id).await.unwrap();
    assert_eq!(full.command_type.as_deref(), Some("mac"));
    assert!(full.shell.is_some(), "the single get has every field");

    let bound = api
        .list_command_associations(&command.id, GraphType::SystemGroup)
        .await
        .unwrap();
    assert_eq!(bound.len(), 1);
    let fleet = member_ids(&api, &bound[0].to.id).await;
    let online: Vec<String> = systems(&api)
        .await
        .into_iter()
        .filter(|system| fleet.contains(&system.id) && system.active == Some(true))
        .map(|system| system.id)
        .collect();
    assert!(!online.is_empty());

    let before = api.list_command_results(&command.id).await.unwrap().len();
    let requests = sim.requests();
    let run = api.run_command(&command.id, None).await.unwrap();
    assert_eq!(sim.requests() - requests, 1);
    assert_eq!(run.queue_ids.len(), fleet.len());
    let after = api.list_command_results(&command.id).await.unwrap();
    assert_eq!(
        after.len(),
        before + online.len(),
        "offline devices run it when they next connect"
    );

    let all_results = api.list_all_command_results(&mut |_, _| {}).await.unwrap();
    let this_run: Vec<_> = all_results
        .iter()
        .filter(|result| result.workflow_id.as_deref() == Some(command.id.as_str()))
        .collect();
    assert_eq!(this_run.len(), after.len());
    let mut ran_on: Vec<String> = Vec::new();
    for result in &all_results {
        let full = api.get_command_result(&result.id).await.unwrap();
        if full.workflow_instance_id == run.workflow_instance_id {
            assert_eq!(full.exit_code(), Some(0));
            assert_eq!(full.name.as_deref(), Some("Install Homebrew"));
            ran_on.push(full.system_id.unwrap());
        }
    }
    ran_on.sort();
    assert_eq!(ran_on, online);

    let target = online[0].clone();
    let single = api
        .run_command(&command.id, Some(std::slice::from_ref(&target)))
        .await
        .unwrap();
    assert_eq!(single.queue_ids.len(), 1);
    assert_eq!(
        api.list_command_results(&command.id).await.unwrap().len(),
        after.len() + 1
    );
    assert!(matches!(
        api.run_command(UNKNOWN_ID, None).await,
        Err(Error::NotFound(_))
    ));
}

#[tokio::test]
async fn command_associations_with_systems_are_added_and_removed() {
    let sim = simulator().await;
    let api = handle(&sim);
    let command = command_named(&api, "Apply security updates").await;
    let system = systems(&api).await.remove(0);
    let direct = |api: OrgClient, id: String| async move {
        api.list_command_associations(&id, GraphType::System)
            .await
            .unwrap()
            .into_iter()
            .map(|connection| connection.to.id)
            .collect::<Vec<_>>()
    };
    assert!(direct(api.clone(), command.id.clone()).await.is_empty());
    api.set_command_association(&command.id, GraphOp::Add, GraphType::System, &system.id)
        .await
        .unwrap();
    assert_eq!(
        direct(api.clone(), command.id.clone()).await,
        vec![system.id.clone()]
    );
    let run = api.run_command(&command.id, None).await.unwrap();
    let servers = member_ids(&api, &group_named(&api, "Servers").await.id).await;
    assert_eq!(
        run.queue_ids.len(),
        servers.len() + usize::from(!servers.contains(&system.id))
    );
    api.set_command_association(&command.id, GraphOp::Remove, GraphType::System, &system.id)
        .await
        .unwrap();
    assert!(direct(api.clone(), command.id.clone()).await.is_empty());
    assert!(matches!(
        api.set_command_association(&command.id, GraphOp::Add, GraphType::User, &system.id)
            .await,
        Err(Error::BadRequest(_))
    ));
}

#[tokio::test]
async fn application_access_is_granted_to_groups_and_users_and_taken_away() {
    let sim = simulator().await;
    let api = handle(&sim);
    let apps = api.list_all_applications(&mut |_, _| {}).await.unwrap();
    let labels: Vec<&str> = apps
        .iter()
        .filter_map(|app| app.display_label.as_deref())
        .collect();
    for expected in ["Slack", "Google Workspace", "Salesforce", "GitHub", "Zoom"] {
        assert!(labels.contains(&expected), "{expected} missing");
    }
    let github = apps
        .iter()
        .find(|app| app.name.as_deref() == Some("github"))
        .unwrap();
    assert_eq!(&api.get_application(&github.id).await.unwrap(), github);
    assert!(github.sso_url.as_deref().unwrap().starts_with("https://"));

    let groups = api.list_all_user_groups(&mut |_, _| {}).await.unwrap();
    let engineering = groups.iter().find(|g| g.name == "Engineering").unwrap();
    let finance = groups.iter().find(|g| g.name == "Finance").unwrap();
    let group_ids = |api: OrgClient, id: String| async move {
        api.list_application_associations(&id, GraphType::UserGroup)
            .await
            .unwrap()
            .into_iter()
            .map(|connection| connection.to.id)
            .collect::<Vec<_>>()
    };
    assert_eq!(
        group_ids(api.clone(), github.id.clone()).await,
        vec![engineering.id.clone()]
    );
    api.set_application_association(&github.id, GraphOp::Add, GraphType::UserGroup, &finance.id)
        .await
        .unwrap();
    let mut both = vec![engineering.id.clone(), finance.id.clone()];
    both.sort();
    assert_eq!(group_ids(api.clone(), github.id.clone()).await, both);
    api.set_application_association(
        &github.id,
        GraphOp::Remove,
        GraphType::UserGroup,
        &engineering.id,
    )
    .await
    .unwrap();
    assert_eq!(
        group_ids(api.clone(), github.id.clone()).await,
        vec![finance.id.clone()]
    );

    let user = api.list_all_users(&mut |_, _| {}).await.unwrap().remove(0);
    assert!(
        api.list_application_users(&github.id)
            .await
            .unwrap()
            .iter()
            .all(|reached| reached.id != user.id)
    );
    api.set_application_association(&github.id, GraphOp::Add, GraphType::User, &user.id)
        .await
        .unwrap();
    let reached = api.list_application_users(&github.id).await.unwrap();
    let direct = reached
        .iter()
        .find(|reached| reached.id == user.id)
        .unwrap();
    assert_eq!(direct.kind, GraphType::User);
    assert_eq!(direct.paths.len(), 1);
    assert_eq!(direct.paths[0].len(), 1);
    assert_eq!(
        api.list_application_associations(&github.id, GraphType::User)
            .await
            .unwrap()
            .len(),
        1
    );
    api.set_application_association(&github.id, GraphOp::Remove, GraphType::User, &user.id)
        .await
        .unwrap();
    assert!(
        api.list_application_users(&github.id)
            .await
            .unwrap()
            .iter()
            .all(|reached| reached.id != user.id)
    );
    assert!(matches!(
        api.list_application_associations(&github.id, GraphType::System)
            .await,
        Err(Error::BadRequest(_))
    ));
    assert!(matches!(
        api.get_application(UNKNOWN_ID).await,
        Err(Error::NotFound(_))
    ));
}

#[tokio::test]
async fn policies_report_results_and_latest_statuses_per_system() {
    let sim = simulator().await;
    let api = handle(&sim);
    let policies = api.list_all_policies(&mut |_, _| {}).await.unwrap();
    assert_eq!(policies.len(), 5);
    let mut ids: Vec<_> = policies.iter().map(|p| p.id.clone()).collect();
    ids.sort();
    assert_eq!(
        ids,
        policies.iter().map(|p| p.id.clone()).collect::<Vec<_>>()
    );
    assert!(
        policies.iter().all(|p| p.values.is_empty()),
        "list items carry no values"
    );
    let filevault = policies
        .iter()
        .find(|p| p.name == "Require FileVault")
        .unwrap();
    let details = api.get_policy(&filevault.id).await.unwrap();
    assert!(!details.values.is_empty());
    assert_eq!(
        details.template.unwrap().os_meta_family.as_deref(),
        Some("darwin")
    );

    let results = api.list_policy_results(&filevault.id).await.unwrap();
    let statuses = api.list_policy_statuses(&filevault.id).await.unwrap();
    let macs = member_ids(&api, &group_named(&api, "Mac fleet").await.id).await;
    assert_eq!(statuses.len(), macs.len(), "one latest status per system");
    assert!(results.len() >= statuses.len());
    assert!(statuses.iter().all(|status| results.contains(status)));
    for status in &statuses {
        let system = api.get_system(&status.system_id).await.unwrap();
        assert_eq!(
            status.success,
            system.fde.unwrap().active,
            "FileVault compliance follows the disk encryption"
        );
        assert_eq!(
            status.state.as_deref(),
            Some(if status.success == Some(true) {
                "success"
            } else {
                "failed"
            })
        );
        let per_system = api
            .list_system_policy_statuses(&status.system_id)
            .await
            .unwrap();
        assert!(per_system.contains(status));
        assert_eq!(
            system.policy_stats.unwrap().total,
            Some(per_system.len() as u64)
        );
    }
    let everything = api.list_all_policy_results().await.unwrap();
    let mut total = 0;
    for policy in &policies {
        total += api.list_policy_results(&policy.id).await.unwrap().len();
    }
    assert_eq!(everything.len(), total);

    let bound = api
        .list_policy_associations(&filevault.id, GraphType::SystemGroup)
        .await
        .unwrap();
    assert_eq!(bound.len(), 1);
    let server = &member_ids(&api, &group_named(&api, "Servers").await.id).await[0];
    api.set_policy_association(&filevault.id, GraphOp::Add, GraphType::System, server)
        .await
        .unwrap();
    let direct = api
        .list_policy_associations(&filevault.id, GraphType::System)
        .await
        .unwrap();
    assert_eq!(direct.len(), 1);
    assert_eq!(&direct[0].to.id, server);
    api.set_policy_association(&filevault.id, GraphOp::Remove, GraphType::System, server)
        .await
        .unwrap();
    assert!(
        api.list_policy_associations(&filevault.id, GraphType::System)
            .await
            .unwrap()
            .is_empty()
    );
    assert!(matches!(
        api.get_policy(UNKNOWN_ID).await,
        Err(Error::NotFound(_))
    ));
    assert!(matches!(
        api.list_system_policy_statuses(UNKNOWN_ID).await,
        Err(Error::NotFound(_))
    ));
}
