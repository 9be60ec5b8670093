//! Deterministic demo and test data: the same seed always gives the same world.

use std::collections::{BTreeMap, HashMap, HashSet};

use rand::rngs::StdRng;
use rand::{Rng, SeedableRng};
use serde_json::{Value, json};
use time::OffsetDateTime;
use time::format_description::well_known::Rfc3339;

use super::users::{PASSWORD_LIFETIME_DAYS, blank_user, set_password_date, set_state};
use super::world::{Graph, Kind, Object, Org, Principal, ServiceAccount, World};
use super::{approval_flows, directories, insights, ip_lists, software_apps};

#[derive(Debug, Clone)]
pub struct SimConfig {
    /// Organizations managed by the MSP. One standalone organization is always added.
    pub client_orgs: usize,
    pub users_per_org: usize,
    /// User groups per organization beyond the department and standard ones.
    pub extra_groups_per_org: usize,
    pub seed: u64,
}

impl Default for SimConfig {
    fn default() -> Self {
        SimConfig {
            client_orgs: 3,
            users_per_org: 60,
            extra_groups_per_org: 0,
            seed: 1,
        }
    }
}

const CLIENT_ORG_NAMES: &[&str] = &[
    "Acme Robotics",
    "Globex Health",
    "Initech Logistics",
    "Umbrella Legal",
    "Stark Biolabs",
    "Wayne Freight",
];
const STANDALONE_ORG_NAME: &str = "Northwind Traders";

const FIRST_NAMES: &[&str] = &[
    "Ada",
    "Grace",
    "Alan",
    "Linus",
    "Margaret",
    "Ken",
    "Barbara",
    "Dennis",
    "Frances",
    "Edsger",
    "Radia",
    "Tim",
    "Katherine",
    "Donald",
    "Hedy",
    "John",
    "Sophie",
    "Niklaus",
    "Karen",
    "Leslie",
    "Mary",
    "Bjarne",
    "Joan",
    "Guido",
    "Anita",
    "Yukihiro",
    "Shafi",
    "Whitfield",
    "Jean",
    "Vint",
];
const LAST_NAMES: &[&str] = &[
    "Lovelace",
    "Hopper",
    "Turing",
    "Torvalds",
    "Hamilton",
    "Thompson",
    "Liskov",
    "Ritchie",
    "Allen",
    "Dijkstra",
    "Perlman",
    "Berners-Lee",
    "Johnson",
    "Knuth",
    "Lamarr",
    "McCarthy",
    "Wilson",
    "Wirth",
    "Jones",
    "Lamport",
    "Kenyon",
    "Stroustrup",
    "Clarke",
    "van Rossum",
    "Borg",
    "Matsumoto",
    "Goldwasser",
    "Diffie",
    "Sammet",
    "Cerf",
];
const DEPARTMENTS: &[(&str, &[&str])] = &[
    (
        "Engineering",
        &[
            "Software Engineer",
            "Site Reliability Engineer",
            "Engineering Manager",
        ],
    ),
    (
        "Sales",
        &["Account Executive", "Sales Engineer", "Sales Director"],
    ),
    (
        "Finance",
        &["Accountant", "Financial Analyst", "Controller"],
    ),
    ("People", &["Recruiter", "People Partner", "Head of People"]),
    ("Support", &["Support Engineer", "Support Lead"]),
    ("IT", &["IT Administrator", "Security Analyst"]),
];

/// The fixed "now" of seeded data, so dates do not depend on the day a test runs.
pub(crate) const SEED_EPOCH: i64 = 1_767_225_600; // 2026-01-01T00:00:00Z
const DAY: i64 = 86_400;

pub(crate) fn seed(config: &SimConfig) -> World {
    let mut rng = StdRng::seed_from_u64(config.seed);
    let provider_id = object_id(&mut rng);
    let mut orgs = Vec::new();
    let mut api_keys = HashMap::new();
    for index in 0..=config.client_orgs {
        let standalone = index == config.client_orgs;
        let name = if standalone {
            STANDALONE_ORG_NAME.to_string()
        } else {
            CLIENT_ORG_NAMES
                .get(index)
                .map(|name| name.to_string())
                .unwrap_or_else(|| format!("Client Organization {}", index + 1))
        };
        let id = object_id(&mut rng);
        api_keys.insert(secret(&mut rng), Principal::Org(id.clone()));
        let users = seed_users(&mut rng, &name, &id, config.users_per_org);
        let groups = seed_groups(&mut rng, &id, config.extra_groups_per_org);
        let mut graph = seed_memberships(&mut rng, &users, &groups);
        let ldap_server = directories::seed_ldap_server(&mut rng, &name, &groups, &mut graph);
        let active_directory = directories::seed_active_directory(&mut rng, &name);
        let objects = BTreeMap::from([
            (Kind::IpList, ip_lists::seed(&mut rng)),
            (Kind::LdapServer, BTreeMap::from([ldap_server])),
            (Kind::ActiveDirectory, BTreeMap::from([active_directory])),
            (Kind::SoftwareApp, software_apps::seed(&mut rng)),
            (
                Kind::ApprovalFlowRequest,
                approval_flows::seed(&mut rng, &users),
            ),
            (Kind::InsightsEvent, insights::seed(&mut rng, &id, &users)),
            (Kind::User, users),
            (Kind::UserGroup, groups),
        ]);
        let mut org = Org {
            id,
            name,
            provider_id: (!standalone).then(|| provider_id.clone()),
            objects,
            graph,
            scheduled_user_states: Vec::new(),
        };
        super::systems::seed(&mut rng, &mut org);
        super::system_groups::seed(&mut rng, &mut org);
        super::applications::seed(&mut rng, &mut org);
        super::commands::seed(&mut rng, &mut org);
        super::policies::seed(&mut rng, &mut org);
        orgs.push(org);
    }
    let msp_api_key = secret(&mut rng);
    api_keys.insert(
        msp_api_key.clone(),
        Principal::Provider(provider_id.clone()),
    );
    let service_account = ServiceAccount {
        client_id: secret(&mut rng),
        secrets: vec![secret(&mut rng), secret(&mut rng)],
        principal: Principal::Provider(provider_id),
    };
    World {
        orgs,
        api_keys,
        service_account,
        tokens: HashMap::new(),
        msp_api_key,
    }
}

fn seed_users(
    rng: &mut StdRng,
    org_name: &str,
    org_id: &str,
    count: usize,
) -> BTreeMap<String, Object> {
    let domain = format!(
        "{}.example",
        org_name
            .split_whitespace()
            .next()
            .unwrap_or("org")
            .to_lowercase()
    );
    let mut usernames = HashSet::new();
    let mut managers: HashMap<&str, String> = HashMap::new();
    let mut users = BTreeMap::new();
    let mut any_locked = false;
    for _ in 0..count {
        let first = FIRST_NAMES[rng.gen_range(0..FIRST_NAMES.len())];
        let last = LAST_NAMES[rng.gen_range(0..LAST_NAMES.len())];
        let base = format!("{}.{}", first, last.replace([' ', '-'], "")).to_lowercase();
        let mut username = base.clone();
        let mut suffix = 1;
        while !usernames.insert(username.clone()) {
            suffix += 1;
            username = format!("{base}{suffix}");
        }
        let (department, titles) = DEPARTMENTS[rng.gen_range(0..DEPARTMENTS.len())];
        let id = object_id(rng);
        let manager = managers.get(department).cloned();
        if manager.is_none() {
            managers.insert(department, id.clone());
        }
        let roll: f64 = rng.gen_range(0.0..1.0);
        let state = if roll < 0.08 {
            "STAGED"
        } else if roll < 0.15 {
            "SUSPENDED"
        } else {
            "ACTIVATED"
        };
        // Lockouts are rare, but every organization of some size shows at least one.
        let locked =
            state == "ACTIVATED" && (rng.gen_bool(0.05) || (!any_locked && users.len() >= 10));
        any_locked |= locked;
        let totp = state != "STAGED" && rng.gen_bool(0.75);
        let created = SEED_EPOCH - rng.gen_range(0..900) * DAY;
        // Most passwords were changed within the 90-day policy; the rest have expired.
        let password_changed = (SEED_EPOCH - rng.gen_range(0..120) * DAY).max(created);
        let title = titles[rng.gen_range(0..titles.len())];
        let employee_number = rng.gen_range(1..99_999);
        let mut user = blank_user(&id, org_id, created, 5000 + users.len() as u64);
        let profile = json!({
            "username": username,
            "email": format!("{username}@{domain}"),
            "firstname": first,
            "lastname": last,
            "displayname": format!("{first} {last}"),
            "company": org_name,
            "department": department,
            "jobTitle": title,
            "employeeType": "Full-time",
            "employeeIdentifier": format!("E{employee_number:05}"),
            "creationSource": "manual",
            "account_locked": locked,
            "account_locked_date": if locked { Value::String(timestamp(SEED_EPOCH - 3_600)) } else { Value::Null },
            "badLoginAttempts": if locked { 10 } else { 0 },
            "totp_enabled": totp,
            "enable_user_portal_multifactor": totp,
            "mfa": { "configured": totp, "exclusion": false },
            "mfaEnrollment": {
                "overallStatus": if totp { "ENROLLED" } else { "NOT_ENROLLED" },
                "totpStatus": if totp { "ENROLLED" } else { "NOT_ENROLLED" },
                "webAuthnStatus": "NOT_ENROLLED",
                "pushStatus": "NOT_ENROLLED",
            },
        });
        user.extend(profile.as_object().cloned().unwrap_or_default());
        // The spec's `manager` is a string, not nullable: a user without one has none.
        if let Some(manager) = manager {
            user.insert("manager".into(), Value::String(manager));
        }
        set_state(&mut user, state);
        // A staged user has not set a password yet.
        if state != "STAGED" {
            set_password_date(&mut user, password_changed);
            let expired = password_changed + PASSWORD_LIFETIME_DAYS * DAY <= SEED_EPOCH;
            user.insert("password_expired".into(), expired.into());
        }
        users.insert(id, user);
    }
    users
}

fn seed_groups(rng: &mut StdRng, org_id: &str, extra: usize) -> BTreeMap<String, Object> {
    let standard = ["All Staff", "VPN Users", "Laptop Admins"];
    let names = DEPARTMENTS
        .iter()
        .map(|(department, _)| department.to_string())
        .chain(standard.iter().map(|name| name.to_string()))
        .chain((1..=extra).map(|n| format!("Project {n:04}")));
    names
        .map(|name| {
            let id = object_id(rng);
            let group = json!({
                "id": id,
                "name": name,
                "description": format!("Members of {name}"),
                "email": "",
                "type": "user_group",
                "attributes": {},
                "membershipMethod": "STATIC",
                "memberQueryExemptions": [],
                "memberSuggestionsNotify": false,
                "suggestionCounts": { "add": 0, "remove": 0, "total": 0 },
                "organizationObjectId": org_id,
            });
            (id, group.as_object().cloned().unwrap_or_default())
        })
        .collect()
}

/// Group memberships: each department group holds its department, All Staff everyone,
/// Laptop Admins the IT department and the engineering managers, VPN Users about half
/// of the activated users. All Staff also keeps orphaned association records (of users
/// deleted long ago), about one per 40 members, which make its member pages come back
/// short as JumpCloud's do (NOTES §17.3).
fn seed_memberships(
    rng: &mut StdRng,
    users: &BTreeMap<String, Object>,
    groups: &BTreeMap<String, Object>,
) -> Graph {
    let group_named = |name: &str| {
        groups
            .values()
            .find(|group| group.get("name").and_then(Value::as_str) == Some(name))
            .and_then(|group| group.get("id")?.as_str())
            .map(|id| (Kind::UserGroup, id.to_string()))
    };
    let text = |user: &Object, field: &str| {
        user.get(field)
            .and_then(Value::as_str)
            .unwrap_or_default()
            .to_string()
    };
    let all_staff = group_named("All Staff");
    let vpn_users = group_named("VPN Users");
    let laptop_admins = group_named("Laptop Admins");
    let mut graph = Graph::default();
    for (id, user) in users {
        let department = text(user, "department");
        let on_vpn = text(user, "state") == "ACTIVATED" && rng.gen_bool(0.5);
        let laptop_admin = department == "IT" || text(user, "jobTitle") == "Engineering Manager";
        let memberships = [
            group_named(&department),
            all_staff.clone(),
            vpn_users.clone().filter(|_| on_vpn),
            laptop_admins.clone().filter(|_| laptop_admin),
        ];
        for group in memberships.into_iter().flatten() {
            graph.link(group, (Kind::User, id.clone()));
        }
    }
    if let Some(all_staff) = all_staff {
        for _ in 0..users.len().div_ceil(40) {
            graph.link(all_staff.clone(), (Kind::User, object_id(rng)));
        }
    }
    graph
}

/// A 24-hex-digit id, like JumpCloud's.
pub(crate) fn object_id(rng: &mut StdRng) -> String {
    (0..12)
        .map(|_| format!("{:02x}", rng.r#gen::<u8>()))
        .collect()
}

/// An id for an object created through the API (seeded ids come from the seed's rng).
pub(crate) fn new_object_id() -> String {
    object_id(&mut StdRng::from_entropy())
}

/// The current Unix time, in seconds.
pub(crate) fn now() -> i64 {
    OffsetDateTime::now_utc().unix_timestamp()
}

fn secret(rng: &mut StdRng) -> String {
    (0..20)
        .map(|_| format!("{:02x}", rng.r#gen::<u8>()))
        .collect()
}

pub(crate) fn timestamp(unix: i64) -> String {
    OffsetDateTime::from_unix_timestamp(unix)
        .ok()
        .and_then(|time| time.format(&Rfc3339).ok())
        .unwrap_or_default()
}
