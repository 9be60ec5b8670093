//! Organizations: v1 `/organizations` (for an MSP key, every managed organization) and
//! the provider's view, v2 `/providers/{provider_id}/organizations`.

use serde::Deserialize;

use crate::client::{Call, OrgClient, object_id};
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

/// v2 `Organization`, as a provider lists its client organizations.
#[derive(Debug, Clone, PartialEq, Eq, Default, Deserialize)]
#[serde(default)]
pub struct ProviderOrganization {
    pub id: String,
    pub name: String,
    /// The user seats the organization is licensed for.
    #[serde(rename = "maxSystemUsers")]
    pub max_system_users: Option<u64>,
}

#[derive(Deserialize)]
struct Admin {
    #[serde(default)]
    provider: Option<String>,
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

    /// The provider the key's admin belongs to, if it is a multi-tenant (MSP) admin. Read
    /// from the undocumented `GET /api/users/getSelf` JumpCloud's own tools use (NOTES §2).
    pub async fn provider_id(&self) -> Result<Option<String>, Error> {
        let call = Call::get("/api/users/getSelf").query("fields", "provider");
        let admin: Admin = self.execute(call).await?.json()?;
        Ok(admin.provider.filter(|provider| !provider.is_empty()))
    }

    /// Every client organization of a provider (`{results, totalCount}`). A provider-level
    /// route: sent without `x-org-id`, which it refuses.
    pub async fn list_provider_organizations(
        &self,
        provider_id: &str,
    ) -> Result<Vec<ProviderOrganization>, Error> {
        let path = format!(
            "/api/v2/providers/{}/organizations",
            object_id(provider_id)?
        );
        self.list_all(&path, ListShape::V1Envelope, Some("id"), &mut |_, _| {})
            .await
    }
}
