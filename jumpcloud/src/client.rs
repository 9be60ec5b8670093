use std::sync::Arc;
use std::time::Duration;

use rand::Rng;
use reqwest::header::{HeaderMap, HeaderValue};
use reqwest::{Method, StatusCode};
use serde::Serialize;
use serde::de::DeserializeOwned;
use url::Url;

use crate::error::Error;
use crate::oauth::{SecretUsed, ServiceAccount, TokenCache};
use crate::rate_limit::{OrgRateLimiter, RateLimit, budget_key};
use crate::region::insights_url;
use crate::secret::Secret;

/// Settings shared by every call, whatever the organization.
#[derive(Debug, Clone)]
pub struct ClientConfig {
    /// Upper bound for one HTTP exchange.
    pub timeout: Duration,
    /// Retries after the first attempt, for idempotent calls that failed transiently.
    pub max_retries: u32,
    /// The first backoff; it doubles per retry, with jitter, capped at 30 s.
    pub backoff_base: Duration,
    /// Client-side pacing per organization; `None` sends as fast as callers ask.
    pub rate_limit: Option<RateLimit>,
}

impl Default for ClientConfig {
    fn default() -> Self {
        ClientConfig {
            timeout: Duration::from_secs(30),
            max_retries: 3,
            backoff_base: Duration::from_secs(1),
            rate_limit: Some(RateLimit::default()),
        }
    }
}

/// The process-wide JumpCloud client: one connection pool, used for every organization.
#[derive(Clone)]
pub struct Client {
    http: reqwest::Client,
    config: Arc<ClientConfig>,
    tokens: TokenCache,
    limiter: Option<Arc<OrgRateLimiter>>,
}

/// How to reach one JumpCloud organization.
#[derive(Debug, Clone)]
pub struct Connection {
    /// The console root, e.g. `https://console.jumpcloud.com`; v1 is under `/api`,
    /// v2 under `/api/v2`.
    pub base_url: Url,
    pub credentials: Credentials,
    /// Sent as `x-org-id`: required for a multi-tenant (MSP) key, absent otherwise.
    pub org_id: Option<String>,
}

#[derive(Debug, Clone)]
pub enum Credentials {
    ApiKey(Secret),
    ServiceAccount(ServiceAccount),
}

/// Routes that refuse `x-org-id` with 403 (NOTES §2): they are provider-level.
const ROUTES_WITHOUT_ORG_HEADER: &[&str] = &[
    "/api/organizations",
    "/api/search/organizations",
    "/api/users",
    "/api/v2/organizations",
    "/api/v2/administrators",
    "/api/v2/providers",
    "/api/v2/integrations",
];

pub(crate) fn rejects_org_header(path: &str) -> bool {
    ROUTES_WITHOUT_ORG_HEADER.iter().any(|route| {
        path == *route
            || path
                .strip_prefix(route)
                .is_some_and(|rest| rest.starts_with('/'))
    })
}

/// JumpCloud object ids are 24 hex digits. Checked before an id goes into a path, so
/// that input like `../` can never address another route.
pub(crate) fn object_id(id: &str) -> Result<&str, Error> {
    if id.len() == 24 && id.bytes().all(|b| b.is_ascii_hexdigit()) {
        Ok(id)
    } else {
        Err(Error::BadRequest(format!(
            "{id:?} is not a JumpCloud object id"
        )))
    }
}

impl Client {
    pub fn new(config: ClientConfig) -> Result<Self, Error> {
        let http = reqwest::Client::builder()
            .timeout(config.timeout)
            .connect_timeout(Duration::from_secs(10))
            .user_agent(concat!("lanyard/", env!("CARGO_PKG_VERSION")))
            .build()
            .map_err(|error| Error::Transport(error.to_string()))?;
        Ok(Client {
            http,
            limiter: config
                .rate_limit
                .map(|limit| Arc::new(OrgRateLimiter::new(limit))),
            config: Arc::new(config),
            tokens: TokenCache::default(),
        })
    }

    pub fn for_org(&self, connection: Connection) -> OrgClient {
        OrgClient {
            client: self.clone(),
            budget: budget_key(&connection),
            connection: Arc::new(connection),
        }
    }
}

/// A handle on one organization: adds its credentials and `x-org-id` to every call.
#[derive(Clone)]
pub struct OrgClient {
    client: Client,
    connection: Arc<Connection>,
    /// The rate-limit budget this organization's calls count against.
    budget: String,
}

/// Which JumpCloud API a call goes to.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Api {
    /// v1 and v2, under the console root.
    Console,
    /// Directory Insights, on its own host (NOTES §1).
    Insights,
}

/// One API call, before credentials are added.
pub(crate) struct Call {
    pub method: Method,
    /// Path below the console root, e.g. `/api/systemusers`.
    pub path: String,
    pub query: Vec<(String, String)>,
    pub body: Option<serde_json::Value>,
    /// Whether repeating the call is harmless. GET, PUT and DELETE are; a POST that
    /// creates something or runs a command is not, and is never retried blindly.
    pub idempotent: bool,
    pub api: Api,
}

impl Call {
    pub fn get(path: impl Into<String>) -> Self {
        Call {
            method: Method::GET,
            path: path.into(),
            query: Vec::new(),
            body: None,
            idempotent: true,
            api: Api::Console,
        }
    }

    /// Sends the call to Directory Insights instead of the console API.
    pub fn on_insights(mut self) -> Self {
        self.api = Api::Insights;
        self
    }

    fn with_body(method: Method, path: impl Into<String>, body: serde_json::Value) -> Self {
        Call {
            body: Some(body),
            ..Call::get(path)
        }
        .method(method)
    }

    fn method(mut self, method: Method) -> Self {
        self.method = method;
        self
    }

    /// A POST that creates something or runs something: never retried blindly, unless
    /// marked [`Call::idempotent`].
    pub fn post(path: impl Into<String>, body: serde_json::Value) -> Self {
        Call {
            idempotent: false,
            ..Call::with_body(Method::POST, path, body)
        }
    }

    /// A POST to an action whose operation takes no body (the spec declares none, so
    /// none is sent): never retried blindly, unless marked [`Call::idempotent`].
    pub fn action(path: impl Into<String>) -> Self {
        Call {
            idempotent: false,
            ..Call::get(path).method(Method::POST)
        }
    }

    /// Marks a POST whose repetition is harmless (a search, an unlock, a graph
    /// operation that ends in the same state), so that it is retried like a GET.
    pub fn idempotent(mut self) -> Self {
        self.idempotent = true;
        self
    }

    /// Sends the call once: for a DELETE whose repeat, after a lost answer, would report
    /// "not found" for work that was done and lose the reply the caller needs.
    pub fn sent_once(mut self) -> Self {
        self.idempotent = false;
        self
    }

    pub fn put(path: impl Into<String>, body: serde_json::Value) -> Self {
        Call::with_body(Method::PUT, path, body)
    }

    /// A partial update (v2 `PATCH` merges the fields sent).
    pub fn patch(path: impl Into<String>, body: serde_json::Value) -> Self {
        Call::with_body(Method::PATCH, path, body)
    }

    pub fn delete(path: impl Into<String>) -> Self {
        Call::get(path).method(Method::DELETE)
    }

    pub fn query(mut self, key: &str, value: impl ToString) -> Self {
        self.query.push((key.to_string(), value.to_string()));
        self
    }
}

/// A request body from one of the write models. Serialising these plain structs cannot
/// fail; the error is passed on only so that nothing panics.
pub(crate) fn json_body(model: &impl Serialize) -> Result<serde_json::Value, Error> {
    serde_json::to_value(model).map_err(|error| Error::BadRequest(error.to_string()))
}

/// A successful response, body not yet decoded.
pub(crate) struct Reply {
    pub headers: HeaderMap,
    pub body: bytes::Bytes,
}

impl Reply {
    pub fn json<T: DeserializeOwned>(&self) -> Result<T, Error> {
        serde_json::from_slice(&self.body).map_err(|error| Error::Decode(error.to_string()))
    }

    pub fn header(&self, name: &str) -> Option<&str> {
        self.headers.get(name)?.to_str().ok()
    }
}

impl OrgClient {
    pub fn connection(&self) -> &Connection {
        &self.connection
    }

    /// Checks the credentials with JumpCloud (one cheap call) and, for a service
    /// account, reports which secret worked.
    pub async fn verify(&self) -> Result<Option<SecretUsed>, Error> {
        let probe = Call::get("/api/organizations")
            .query("limit", 1)
            .query("fields", "_id");
        self.execute(probe).await?;
        Ok(match &self.connection.credentials {
            Credentials::ApiKey(_) => None,
            Credentials::ServiceAccount(account) => Some(
                self.client
                    .tokens
                    .token(&self.client.http, account)
                    .await?
                    .1,
            ),
        })
    }

    pub(crate) async fn execute(&self, call: Call) -> Result<Reply, Error> {
        let config = &self.client.config;
        let mut attempt = 0;
        loop {
            match self.execute_once(&call).await {
                Err(error)
                    if call.idempotent && error.is_transient() && attempt < config.max_retries =>
                {
                    let delay = backoff(config.backoff_base, attempt, &error);
                    tracing::debug!(path = %call.path, %error, ?delay, attempt, "retrying JumpCloud call");
                    tokio::time::sleep(delay).await;
                    attempt += 1;
                }
                result => return result,
            }
        }
    }

    /// One attempt; a cached service-account token JumpCloud refuses is replaced once.
    /// A freshly issued token (or a refused secret) is not asked for again: that would
    /// only repeat the refusal.
    async fn execute_once(&self, call: &Call) -> Result<Reply, Error> {
        let account = match &self.connection.credentials {
            Credentials::ServiceAccount(account) => Some(account),
            Credentials::ApiKey(_) => None,
        };
        let had_cached_token = account.is_some_and(|account| self.client.tokens.has(account));
        match (self.send(call).await, account) {
            (Err(Error::Unauthorized(_)), Some(account)) if had_cached_token => {
                self.client.tokens.invalidate(account);
                self.send(call).await
            }
            (result, _) => result,
        }
    }

    async fn send(&self, call: &Call) -> Result<Reply, Error> {
        let base = match call.api {
            Api::Console => self.connection.base_url.clone(),
            Api::Insights => insights_url(&self.connection.base_url),
        };
        let url = base
            .join(call.path.trim_start_matches('/'))
            .map_err(|error| Error::BadRequest(format!("bad URL {}: {error}", call.path)))?;
        let mut request = self
            .client
            .http
            .request(call.method.clone(), url)
            .header("accept", "application/json")
            .query(&call.query);
        request = match &self.connection.credentials {
            Credentials::ApiKey(key) => {
                let mut value = HeaderValue::from_str(key.expose()).map_err(|_| {
                    Error::Unauthorized("the API key contains invalid characters".into())
                })?;
                value.set_sensitive(true);
                request.header("x-api-key", value)
            }
            Credentials::ServiceAccount(account) => {
                let (token, _) = self.client.tokens.token(&self.client.http, account).await?;
                request.bearer_auth(token.expose())
            }
        };
        if let Some(org_id) = &self.connection.org_id
            && !rejects_org_header(&call.path)
        {
            request = request.header("x-org-id", org_id);
        }
        if let Some(body) = &call.body {
            request = request.json(body);
        }
        if let Some(limiter) = &self.client.limiter {
            limiter.until_ready(&self.budget).await;
        }
        let response = request.send().await?;
        let status = response.status();
        let headers = response.headers().clone();
        let body = response.bytes().await?;
        if status.is_success() {
            return Ok(Reply { headers, body });
        }
        let retry_after = (status == StatusCode::TOO_MANY_REQUESTS)
            .then(|| parse_retry_after(&headers))
            .flatten();
        Err(Error::from_status(
            status.as_u16(),
            &String::from_utf8_lossy(&body),
            retry_after,
        ))
    }
}

fn parse_retry_after(headers: &HeaderMap) -> Option<Duration> {
    let seconds: u64 = headers
        .get("retry-after")?
        .to_str()
        .ok()?
        .trim()
        .parse()
        .ok()?;
    Some(Duration::from_secs(seconds))
}

/// `Retry-After` when JumpCloud sends it, else `base * 2^attempt` plus up to 25 %
/// jitter, never more than 30 s (the cap JumpCloud's own CLI uses).
fn backoff(base: Duration, attempt: u32, error: &Error) -> Duration {
    const CAP: Duration = Duration::from_secs(30);
    if let Error::RateLimited {
        retry_after: Some(wait),
    } = error
    {
        return (*wait).min(CAP);
    }
    let exponential = base.saturating_mul(2u32.saturating_pow(attempt));
    let jitter = exponential.mul_f64(rand::thread_rng().gen_range(0.0..0.25));
    (exponential + jitter).min(CAP)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn provider_level_routes_get_no_org_header() {
        assert!(rejects_org_header("/api/organizations"));
        assert!(rejects_org_header(
            "/api/organizations/5f0c1e2d3c4b5a6978695a4b"
        ));
        assert!(rejects_org_header("/api/v2/providers/abc/organizations"));
        assert!(rejects_org_header("/api/users/getSelf"));
        assert!(!rejects_org_header("/api/systemusers"));
        assert!(!rejects_org_header("/api/v2/users/abc/memberof"));
        assert!(!rejects_org_header("/api/organizationsX"));
    }

    #[test]
    fn backoff_grows_and_is_capped() {
        let base = Duration::from_millis(100);
        let transient = Error::Timeout;
        assert!(backoff(base, 0, &transient) >= base);
        assert!(backoff(base, 3, &transient) >= Duration::from_millis(800));
        assert_eq!(backoff(base, 20, &transient), Duration::from_secs(30));
        let told = Error::RateLimited {
            retry_after: Some(Duration::from_secs(2)),
        };
        assert_eq!(backoff(base, 0, &told), Duration::from_secs(2));
    }
}
