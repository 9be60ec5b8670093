//! Demo mode: with no JumpCloud credentials configured, Lanyard runs against its
//! built-in simulator, and every page says so.

use futures::future::try_join_all;
use jumpcloud::{Client, Connection, Credentials, Secret};
use url::Url;

use crate::error::AppError;
use crate::home::OrgSummary;

#[derive(Clone, Debug)]
pub struct Demo {
    /// The simulator's console root.
    pub base_url: Url,
    pub orgs: Vec<DemoOrg>,
}

#[derive(Clone, Debug)]
pub struct DemoOrg {
    pub name: String,
    pub api_key: Secret,
}

impl Demo {
    /// Each simulated organization with its user count, fetched concurrently.
    pub async fn org_summaries(&self, client: &Client) -> Result<Vec<OrgSummary>, AppError> {
        try_join_all(self.orgs.iter().map(|org| async {
            let handle = client.for_org(Connection {
                base_url: self.base_url.clone(),
                credentials: Credentials::ApiKey(org.api_key.clone()),
                org_id: None,
            });
            Ok::<_, AppError>(OrgSummary {
                name: org.name.clone(),
                users: handle.count_users().await?,
            })
        }))
        .await
    }
}
