//! The simulator's state: providers, organizations and their directories.

use std::collections::{BTreeMap, HashMap};

use serde_json::{Map, Value};

use super::{SimInfo, SimOrg, SimServiceAccount};

pub(crate) type Object = Map<String, Value>;

/// Who a credential speaks for.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) enum Principal {
    /// An admin of one organization.
    Org(String),
    /// A multi-tenant admin of every organization of a provider.
    Provider(String),
}

pub(crate) struct Org {
    pub id: String,
    pub name: String,
    pub provider_id: Option<String>,
    /// v1 system users by `_id`, as `systemuserreturn` objects.
    pub users: BTreeMap<String, Object>,
    /// v2 user groups by `id`, as `UserGroup` objects.
    pub groups: BTreeMap<String, Object>,
}

pub(crate) struct ServiceAccount {
    pub client_id: String,
    pub secrets: Vec<String>,
    pub principal: Principal,
}

pub(crate) struct World {
    pub orgs: Vec<Org>,
    pub api_keys: HashMap<String, Principal>,
    pub service_account: ServiceAccount,
    pub tokens: HashMap<String, Principal>,
    pub msp_api_key: String,
}

impl World {
    pub fn org(&self, id: &str) -> Option<&Org> {
        self.orgs.iter().find(|org| org.id == id)
    }

    /// Organizations a principal may see.
    pub fn visible_orgs<'a>(&'a self, principal: &'a Principal) -> impl Iterator<Item = &'a Org> {
        self.orgs.iter().filter(move |org| match principal {
            Principal::Org(id) => &org.id == id,
            Principal::Provider(provider) => org.provider_id.as_ref() == Some(provider),
        })
    }

    pub fn info(&self, base_url: &str) -> SimInfo {
        let key_of = |org_id: &str| {
            self.api_keys
                .iter()
                .find(|(_, principal)| **principal == Principal::Org(org_id.to_string()))
                .map(|(key, _)| key.clone())
                .unwrap_or_default()
        };
        SimInfo {
            base_url: base_url.to_string(),
            msp_api_key: self.msp_api_key.clone(),
            orgs: self
                .orgs
                .iter()
                .map(|org| SimOrg {
                    id: org.id.clone(),
                    name: org.name.clone(),
                    api_key: key_of(&org.id),
                    msp: org.provider_id.is_some(),
                })
                .collect(),
            service_account: SimServiceAccount {
                client_id: self.service_account.client_id.clone(),
                client_secret: self
                    .service_account
                    .secrets
                    .first()
                    .cloned()
                    .unwrap_or_default(),
                secondary_secret: self
                    .service_account
                    .secrets
                    .get(1)
                    .cloned()
                    .unwrap_or_default(),
                token_url: format!("{base_url}/oauth2/token"),
            },
        }
    }
}
