//! IP lists (v2 `/iplists`): named addresses, ranges and CIDR blocks that conditional
//! access policies refer to.

use serde::{Deserialize, Serialize};

use crate::client::{Call, OrgClient, json_body, object_id};
use crate::error::Error;
use crate::paging::ListShape;

/// `IPList`, tolerant of missing and extra fields.
#[derive(Debug, Clone, PartialEq, Eq, Default, Serialize, Deserialize)]
#[serde(default)]
pub struct IpList {
    pub id: String,
    pub name: String,
    pub description: Option<String>,
    /// Addresses (`203.0.113.7`), ranges (`192.0.2.1-192.0.2.9`) and CIDR blocks.
    pub ips: Vec<String>,
}

/// `IPListRequest`. Fields left `None` are not sent: a PATCH keeps them, a PUT clears
/// them (v2 PUT replaces the whole object, NOTES §19).
#[derive(Debug, Clone, PartialEq, Eq, Default, Serialize)]
pub struct IpListFields {
    #[serde(skip_serializing_if = "Option::is_none")]
    pub name: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub description: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub ips: Option<Vec<String>>,
}

const IP_LISTS: &str = "/api/v2/iplists";

fn ip_list_path(id: &str) -> Result<String, Error> {
    Ok(format!("{IP_LISTS}/{}", object_id(id)?))
}

impl OrgClient {
    /// Every IP list, in id order.
    pub async fn list_ip_lists(&self) -> Result<Vec<IpList>, Error> {
        self.list_all(IP_LISTS, ListShape::V2Array, Some("id"), &mut |_, _| {})
            .await
    }

    pub async fn get_ip_list(&self, id: &str) -> Result<IpList, Error> {
        self.execute(Call::get(ip_list_path(id)?)).await?.json()
    }

    /// Creates a list. Not retried: a retry after a lost answer would make a second one.
    pub async fn create_ip_list(&self, fields: &IpListFields) -> Result<IpList, Error> {
        self.execute(Call::post(IP_LISTS, json_body(fields)?))
            .await?
            .json()
    }

    /// Replaces the whole list: fields left out are cleared.
    pub async fn replace_ip_list(&self, id: &str, fields: &IpListFields) -> Result<IpList, Error> {
        self.execute(Call::put(ip_list_path(id)?, json_body(fields)?))
            .await?
            .json()
    }

    /// Changes only the fields given.
    pub async fn update_ip_list(&self, id: &str, fields: &IpListFields) -> Result<IpList, Error> {
        self.execute(Call::patch(ip_list_path(id)?, json_body(fields)?))
            .await?
            .json()
    }

    pub async fn delete_ip_list(&self, id: &str) -> Result<(), Error> {
        self.execute(Call::delete(ip_list_path(id)?)).await?;
        Ok(())
    }
}
