//! Organizations (v1 `/organizations`): for an MSP key, every managed organization.

use serde::Deserialize;

use crate::client::OrgClient;
use crate::error::Error;
use crate::paging::ListShape;

#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
pub struct Organization {
    #[serde(rename = "_id")]
    pub id: String,
    #[serde(rename = "displayName", default)]
    pub display_name: String,
    #[serde(rename = "logoUrl", default)]
    pub logo_url: Option<String>,
}

impl OrgClient {
    /// `GET /api/organizations`, all pages. Sent without `x-org-id` (the route refuses it).
    pub async fn list_organizations(&self) -> Result<Vec<Organization>, Error> {
        self.list_all(
            "/api/organizations",
            ListShape::V1Envelope,
            Some("_id"),
            &mut |_, _| {},
        )
        .await
    }
}
