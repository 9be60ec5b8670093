//! Software apps (v2 `/softwareapps`): packages JumpCloud installs on bound devices.

use serde::{Deserialize, Serialize};
use serde_json::{Map, Value};

use crate::client::{Call, OrgClient, json_body, object_id};
use crate::error::Error;
use crate::paging::ListShape;

/// `software-app` (and `software-app-create`, which adds `uploadUrl`).
#[derive(Debug, Clone, PartialEq, Default, Serialize, Deserialize)]
#[serde(default)]
pub struct SoftwareApp {
    pub id: String,
    #[serde(rename = "displayName")]
    pub display_name: String,
    pub settings: Vec<SoftwareAppSettings>,
    #[serde(rename = "createdAt")]
    pub created_at: Option<String>,
    #[serde(rename = "updatedAt")]
    pub updated_at: Option<String>,
    /// Where to upload the package of a self-hosted app, after a create.
    #[serde(rename = "uploadUrl")]
    pub upload_url: Option<String>,
}

/// `SoftwareAppSettings`: the common fields typed, the store-specific ones kept as sent.
#[derive(Debug, Clone, PartialEq, Default, Serialize, Deserialize)]
#[serde(default)]
pub struct SoftwareAppSettings {
    #[serde(rename = "packageId", skip_serializing_if = "Option::is_none")]
    pub package_id: Option<String>,
    /// The store serving the app: `CHOCOLATEY`, `APPLE_VPP`, ...
    #[serde(rename = "packageManager", skip_serializing_if = "Option::is_none")]
    pub package_manager: Option<String>,
    /// `Install` or `Uninstall`.
    #[serde(rename = "desiredState", skip_serializing_if = "Option::is_none")]
    pub desired_state: Option<String>,
    #[serde(rename = "autoUpdate", skip_serializing_if = "Option::is_none")]
    pub auto_update: Option<bool>,
    #[serde(flatten)]
    pub other: Map<String, Value>,
}

/// A package-manager app to create, e.g. `("Adobe Reader", "adobereader", "CHOCOLATEY")`.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct NewSoftwareApp {
    #[serde(rename = "displayName")]
    pub display_name: String,
    pub settings: Vec<SoftwareAppSettings>,
}

impl OrgClient {
    pub async fn list_software_apps(&self) -> Result<Vec<SoftwareApp>, Error> {
        self.list_all(
            SOFTWARE_APPS,
            ListShape::V2Array,
            Some("id"),
            &mut |_, _| {},
        )
        .await
    }

    pub async fn get_software_app(&self, id: &str) -> Result<SoftwareApp, Error> {
        self.execute(Call::get(software_app_path(id)?))
            .await?
            .json()
    }

    /// Creates an app. Not retried: a retry after a lost answer would make a second one.
    pub async fn create_software_app(&self, app: &NewSoftwareApp) -> Result<SoftwareApp, Error> {
        self.execute(Call::post(SOFTWARE_APPS, json_body(app)?))
            .await?
            .json()
    }

    pub async fn delete_software_app(&self, id: &str) -> Result<(), Error> {
        self.execute(Call::delete(software_app_path(id)?)).await?;
        Ok(())
    }
}

const SOFTWARE_APPS: &str = "/api/v2/softwareapps";

fn software_app_path(id: &str) -> Result<String, Error> {
    Ok(format!("{SOFTWARE_APPS}/{}", object_id(id)?))
}
