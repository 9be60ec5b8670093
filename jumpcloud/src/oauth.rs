//! Service-account authentication: the OAuth 2.0 client-credentials grant (NOTES §2).
//!
//! Tokens are cached per service account (token URL, client id and secrets) for the whole
//! process, until 30 s before they expire; a token issued for one secret is never handed
//! to a caller holding another. Two secrets may be configured so a secret can be rotated without
//! downtime: when JumpCloud refuses the primary, the secondary is tried, and the result
//! says which one worked.

use std::collections::HashMap;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use serde::Deserialize;
use url::Url;

use crate::error::Error;
use crate::secret::Secret;

/// A service account's credentials.
#[derive(Debug, Clone)]
pub struct ServiceAccount {
    pub client_id: String,
    pub primary_secret: Secret,
    pub secondary_secret: Option<Secret>,
    /// JumpCloud's is `https://admin-oauth.id.jumpcloud.com/oauth2/token`.
    pub token_url: Url,
}

/// Which of a service account's secrets JumpCloud accepted.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum SecretUsed {
    Primary,
    Secondary,
}

#[derive(Clone)]
struct CachedToken {
    token: Secret,
    refresh_after: Instant,
    used: SecretUsed,
}

/// Tokens by (token URL, client id, primary secret, secondary secret).
type TokenKey = (String, String, Secret, Option<Secret>);
type Tokens = HashMap<TokenKey, CachedToken>;

/// Tokens shared by every handle of one [`Client`](crate::Client).
#[derive(Clone, Default)]
pub(crate) struct TokenCache {
    tokens: Arc<Mutex<Tokens>>,
}

#[derive(Deserialize)]
struct TokenResponse {
    access_token: String,
    #[serde(default = "default_lifetime")]
    expires_in: u64,
}

fn default_lifetime() -> u64 {
    3600
}

const REFRESH_MARGIN: Duration = Duration::from_secs(30);

impl TokenCache {
    fn key(account: &ServiceAccount) -> TokenKey {
        (
            account.token_url.to_string(),
            account.client_id.clone(),
            account.primary_secret.clone(),
            account.secondary_secret.clone(),
        )
    }

    /// A valid bearer token, from the cache or freshly issued.
    pub async fn token(
        &self,
        http: &reqwest::Client,
        account: &ServiceAccount,
    ) -> Result<(Secret, SecretUsed), Error> {
        let key = Self::key(account);
        if let Some(cached) = self.lock()?.get(&key)
            && cached.refresh_after > Instant::now()
        {
            return Ok((cached.token.clone(), cached.used));
        }
        let primary = request_token(http, account, &account.primary_secret).await;
        let (response, used) = match (primary, &account.secondary_secret) {
            (Err(Error::Unauthorized(_)), Some(secondary)) => {
                let response = request_token(http, account, secondary).await?;
                tracing::warn!(client_id = %account.client_id,
                    "the primary service-account secret was refused; the secondary worked");
                (response, SecretUsed::Secondary)
            }
            (primary, _) => (primary?, SecretUsed::Primary),
        };
        let token = Secret::new(response.access_token);
        let lifetime = Duration::from_secs(response.expires_in).saturating_sub(REFRESH_MARGIN);
        self.lock()?.insert(
            key,
            CachedToken {
                token: token.clone(),
                refresh_after: Instant::now() + lifetime,
                used,
            },
        );
        Ok((token, used))
    }

    /// Whether a token for this account is cached and not due for refresh.
    pub fn has(&self, account: &ServiceAccount) -> bool {
        self.lock().is_ok_and(|tokens| {
            tokens
                .get(&Self::key(account))
                .is_some_and(|cached| cached.refresh_after > Instant::now())
        })
    }

    /// Forgets the token, after JumpCloud refused it.
    pub fn invalidate(&self, account: &ServiceAccount) {
        if let Ok(mut tokens) = self.lock() {
            tokens.remove(&Self::key(account));
        }
    }

    fn lock(&self) -> Result<std::sync::MutexGuard<'_, Tokens>, Error> {
        self.tokens
            .lock()
            .map_err(|_| Error::Transport("token cache unavailable".into()))
    }
}

async fn request_token(
    http: &reqwest::Client,
    account: &ServiceAccount,
    secret: &Secret,
) -> Result<TokenResponse, Error> {
    let response = http
        .post(account.token_url.clone())
        .basic_auth(&account.client_id, Some(secret.expose()))
        .header("accept", "application/json")
        .form(&[("grant_type", "client_credentials"), ("scope", "api")])
        .send()
        .await?;
    let status = response.status().as_u16();
    let body = response.text().await?;
    match status {
        200..=299 => serde_json::from_str(&body).map_err(|error| Error::Decode(error.to_string())),
        // The token endpoint answers bad client credentials with 400/401 `invalid_client`.
        400 | 401 if body.contains("invalid_client") => Err(Error::Unauthorized(
            "the service account's client id or secret was refused".into(),
        )),
        _ => Err(Error::from_status(status, &body, None)),
    }
}
