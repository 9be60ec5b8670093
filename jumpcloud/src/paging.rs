//! JumpCloud's list paging (NOTES §3): `limit` is capped at 100, v1 lists carry
//! `totalCount` in an envelope, and pages may come back short even when more follow, so
//! a known total decides when to stop, never a short page. v2 lists are bare arrays with
//! the total in an `x-total-count` header and sometimes a `Link: <…>; rel="next"`.

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

/// How a route returns a list.
#[derive(Debug, Clone, Copy)]
pub(crate) enum ListShape {
    /// v1: `{totalCount, results}`.
    V1Envelope,
    /// v2: a bare array, the total (when sent) in `x-total-count`.
    V2Array,
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

    /// Every item of a list, 100 at a time. `sort` must be a unique field the route
    /// accepts (`_id` on v1 lists; `name` on v2 group collections, which refuse `id`;
    /// NOTES §19), so pages neither skip nor repeat items. The end comes from, in order:
    /// a same-host `Link rel=next` (v2), the total (v1 `totalCount`, v2 `x-total-count`),
    /// and only without either, a short page. `progress` hears (items so far, total).
    pub(crate) async fn list_all<T: DeserializeOwned>(
        &self,
        path: &str,
        shape: ListShape,
        sort: Option<&str>,
        progress: &mut (dyn FnMut(usize, Option<u64>) + Send),
    ) -> Result<Vec<T>, Error> {
        let mut items = Vec::new();
        let mut skip = 0;
        loop {
            let mut call = Call::get(path)
                .query("limit", MAX_LIMIT)
                .query("skip", skip);
            if let Some(sort) = sort {
                call = call.query("sort", sort);
            }
            let reply = self.execute(call).await?;
            let (page, total, next_skip): (Vec<T>, Option<u64>, Option<u64>) = match shape {
                ListShape::V1Envelope => {
                    let envelope: V1Envelope<T> = reply.json()?;
                    (envelope.results, envelope.total_count, None)
                }
                ListShape::V2Array => (
                    reply.json()?,
                    reply
                        .header("x-total-count")
                        .and_then(|v| v.trim().parse().ok()),
                    reply.header("link").and_then(|link| self.next_skip(link)),
                ),
            };
            let received = page.len() as u64;
            // A link that does not move forward, or follows an empty page, would loop.
            let next_skip = next_skip.filter(|next| *next > skip && received > 0);
            items.extend(page);
            progress(items.len(), total);
            skip = next_skip.unwrap_or(skip + MAX_LIMIT);
            let done = match (next_skip, total) {
                (Some(_), _) => false,
                (None, Some(total)) => skip >= total,
                (None, None) => received < MAX_LIMIT,
            };
            if done {
                return Ok(items);
            }
        }
    }

    /// Every item of a v2-style bare-array list from a route that takes no sort (graph
    /// lists, results), without progress reports.
    pub(crate) async fn list_all_unsorted<T: DeserializeOwned>(
        &self,
        path: &str,
    ) -> Result<Vec<T>, Error> {
        self.list_all(path, ListShape::V2Array, None, &mut |_, _| {})
            .await
    }

    /// The `skip` of a `Link` header's `rel="next"` URL, if it points at our host.
    fn next_skip(&self, link: &str) -> Option<u64> {
        let base = &self.connection().base_url;
        link.split(',').find_map(|part| {
            let (target, params) = part.split_once(';')?;
            if !params.contains("rel=\"next\"") && !params.contains("rel=next") {
                return None;
            }
            let url = base
                .join(target.trim().trim_start_matches('<').trim_end_matches('>'))
                .ok()?;
            if url.host_str() != base.host_str()
                || url.port_or_known_default() != base.port_or_known_default()
            {
                return None;
            }
            url.query_pairs()
                .find(|(key, _)| key == "skip")
                .and_then(|(_, value)| value.parse().ok())
        })
    }
}

#[cfg(test)]
mod tests {
    use crate::{Client, ClientConfig, Connection, Credentials, Secret};

    #[test]
    fn link_next_is_followed_only_on_the_same_host() {
        let api = Client::new(ClientConfig::default())
            .unwrap()
            .for_org(Connection {
                base_url: "https://console.jumpcloud.com".parse().unwrap(),
                credentials: Credentials::ApiKey(Secret::new("k")),
                org_id: None,
            });
        let same =
            r#"<https://console.jumpcloud.com/api/v2/usergroups?limit=100&skip=200>; rel="next""#;
        assert_eq!(api.next_skip(same), Some(200));
        let relative = r#"</api/v2/usergroups?skip=100>; rel="next", </api/v2/usergroups?skip=0>; rel="first""#;
        assert_eq!(api.next_skip(relative), Some(100));
        let foreign = r#"<https://evil.example/api/v2/usergroups?skip=100>; rel="next""#;
        assert_eq!(api.next_skip(foreign), None);
        assert_eq!(
            api.next_skip(r#"<https://console.jumpcloud.com/x?skip=5>; rel="prev""#),
            None
        );
    }
}
