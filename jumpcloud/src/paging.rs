//! JumpCloud's list paging (NOTES §3): `limit` is capped at 100, v1 lists carry
//! `totalCount` in an envelope, and pages may come back short even when more follow, so
//! a known total decides when to stop, never a short page.

use serde::Deserialize;
use serde::de::DeserializeOwned;

use crate::client::{Call, OrgClient};
use crate::error::Error;

/// The most JumpCloud returns per call.
pub const MAX_LIMIT: u64 = 100;

/// One page of a list and the total JumpCloud reported, if it reported one.
#[derive(Debug, Clone, PartialEq)]
pub struct Page<T> {
    pub items: Vec<T>,
    pub total: Option<u64>,
}

#[derive(Deserialize)]
struct V1Envelope<T> {
    #[serde(rename = "totalCount", default)]
    total_count: Option<u64>,
    #[serde(default = "Vec::new")]
    results: Vec<T>,
}

impl OrgClient {
    pub(crate) async fn v1_page<T: DeserializeOwned>(&self, call: Call) -> Result<Page<T>, Error> {
        let envelope: V1Envelope<T> = self.execute(call).await?.json()?;
        Ok(Page {
            items: envelope.results,
            total: envelope.total_count,
        })
    }

    /// Every item of a v1 list, 100 at a time in a stable order (`sort` must name a
    /// unique field). `progress` hears (items so far, total) after each page.
    pub(crate) async fn v1_all<T: DeserializeOwned>(
        &self,
        path: &str,
        sort: &str,
        progress: &mut (dyn FnMut(usize, Option<u64>) + Send),
    ) -> Result<Vec<T>, Error> {
        let mut items = Vec::new();
        let mut skip = 0;
        loop {
            let call = Call::get(path)
                .query("limit", MAX_LIMIT)
                .query("skip", skip)
                .query("sort", sort);
            let page: Page<T> = self.v1_page(call).await?;
            let received = page.items.len() as u64;
            items.extend(page.items);
            progress(items.len(), page.total);
            skip += MAX_LIMIT;
            let done = match page.total {
                Some(total) => skip >= total,
                None => received < MAX_LIMIT,
            };
            if done {
                return Ok(items);
            }
        }
    }
}
