//! Deterministic demo and test data: the same seed always gives the same world.

use std::collections::{BTreeMap, HashMap, HashSet};

use rand::rngs::StdRng;
use rand::{Rng, SeedableRng};
use serde_json::{Value, json};
use time::OffsetDateTime;
use time::format_description::well_known::Rfc3339;

use super::world::{Object, Org, Principal, ServiceAccount, World};

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
const SEED_EPOCH: i64 = 1_767_225_600; // 2026-01-01T00:00:00Z

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
        orgs.push(Org {
            id,
            name,
            provider_id: (!standalone).then(|| provider_id.clone()),
            users,
            groups,
        });
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
        let locked = state == "ACTIVATED" && rng.gen_bool(0.05);
        let totp = state != "STAGED" && rng.gen_bool(0.75);
        let created = SEED_EPOCH - rng.gen_range(0..900) * 86_400;
        let password_changed = created + rng.gen_range(0..200) * 86_400;
        let user = json!({
            "_id": id,
            "username": username,
            "email": format!("{username}@{domain}"),
            "firstname": first,
            "middlename": "",
            "lastname": last,
            "displayname": format!("{first} {last}"),
            "alternateEmail": null,
            "company": org_name,
            "department": department,
            "jobTitle": titles[rng.gen_range(0..titles.len())],
            "employeeType": "Full-time",
            "employeeIdentifier": format!("E{:05}", rng.gen_range(1..99_999)),
            "costCenter": "",
            "location": "",
            "description": "",
            "manager": manager,
            "state": state,
            "activated": state != "STAGED",
            "suspended": state == "SUSPENDED",
            "account_locked": locked,
            "account_locked_date": if locked { Value::String(timestamp(SEED_EPOCH - 3_600)) } else { Value::Null },
            "badLoginAttempts": if locked { 10 } else { 0 },
            "created": timestamp(created),
            "creationSource": "manual",
            "organization": org_id,
            "password_date": timestamp(password_changed),
            "password_expiration_date": timestamp(password_changed + 90 * 86_400),
            "password_expired": false,
            "password_never_expires": false,
            "totp_enabled": totp,
            "enable_user_portal_multifactor": totp,
            "mfa": { "configured": totp, "exclusion": false },
            "mfaEnrollment": {
                "overallStatus": if totp { "ENROLLED" } else { "NOT_ENROLLED" },
                "totpStatus": if totp { "ENROLLED" } else { "NOT_ENROLLED" },
                "webAuthnStatus": "NOT_ENROLLED",
                "pushStatus": "NOT_ENROLLED",
            },
            "sudo": false,
            "passwordless_sudo": false,
            "allow_public_key": true,
            "public_key": "",
            "ssh_keys": [],
            "unix_uid": 5000 + users.len(),
            "unix_guid": 5000 + users.len(),
            "enable_managed_uid": false,
            "samba_service_user": false,
            "ldap_binding_user": false,
            "externally_managed": false,
            "external_dn": "",
            "external_source_type": "",
            "addresses": [],
            "phoneNumbers": [],
            "attributes": [],
            "relationships": [],
            "restrictedFields": [],
            "disableDeviceMaxLoginAttempts": false,
        });
        if let Value::Object(object) = user {
            users.insert(id, object);
        }
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

/// A 24-hex-digit id, like JumpCloud's.
pub(crate) fn object_id(rng: &mut StdRng) -> String {
    (0..12)
        .map(|_| format!("{:02x}", rng.r#gen::<u8>()))
        .collect()
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
