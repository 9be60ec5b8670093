//! Where a JumpCloud tenant lives (NOTES §1): the US and EU consoles, or a custom root
//! such as the simulator, and the Directory Insights host that goes with each.

use url::Url;

use crate::error::Error;

/// JumpCloud's OAuth token endpoint for service accounts, the same for both regions.
pub const DEFAULT_TOKEN_URL: &str = "https://admin-oauth.id.jumpcloud.com/oauth2/token";

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Region {
    Us,
    Eu,
}

impl Region {
    /// The console root: v1 is under `/api`, v2 under `/api/v2`.
    pub fn console_url(self) -> Url {
        let root = match self {
            Region::Us => "https://console.jumpcloud.com",
            Region::Eu => "https://console.eu.jumpcloud.com",
        };
        Url::parse(root).unwrap_or_else(|_| unreachable!("constant URL {root} parses"))
    }
}

/// The Directory Insights root for a console root: `console.jumpcloud.com` →
/// `api.jumpcloud.com`, `console.eu.jumpcloud.com` → `api.eu.jumpcloud.com` (NOTES §1),
/// and likewise for other JumpCloud regions. Any other host (a simulator, a proxy)
/// serves Directory Insights itself.
pub(crate) fn insights_url(console: &Url) -> Url {
    let region = console
        .host_str()
        .and_then(|host| host.strip_prefix("console."))
        .filter(|region| *region == "jumpcloud.com" || region.ends_with(".jumpcloud.com"));
    let mut insights = console.clone();
    if let Some(region) = region
        && insights.set_host(Some(&format!("api.{region}"))).is_ok()
    {
        return insights;
    }
    console.clone()
}

/// A custom console root (tests, the simulator, a proxy): an [`http_url`] ending in `/`,
/// so API paths join below all of it (`https://proxy.example/jumpcloud` keeps its last
/// segment).
pub fn custom_console_url(raw: &str) -> Result<Url, Error> {
    let mut url = http_url(raw)?;
    if !url.path().ends_with('/') {
        let path = format!("{}/", url.path());
        url.set_path(&path);
    }
    Ok(url)
}

/// An address Lanyard may call (a console root, a token endpoint): http(s) only, no
/// query or fragment.
pub fn http_url(raw: &str) -> Result<Url, Error> {
    let url = Url::parse(raw.trim())
        .map_err(|error| Error::BadRequest(format!("{raw:?} is not a URL: {error}")))?;
    if !matches!(url.scheme(), "http" | "https") || url.host().is_none() {
        return Err(Error::BadRequest(format!(
            "{raw:?} must be an http:// or https:// address"
        )));
    }
    if url.query().is_some() || url.fragment().is_some() {
        return Err(Error::BadRequest(format!(
            "{raw:?} must not have a query or fragment"
        )));
    }
    Ok(url)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn regions_have_their_console_roots() {
        assert_eq!(
            Region::Us.console_url().as_str(),
            "https://console.jumpcloud.com/"
        );
        assert_eq!(
            Region::Eu.console_url().as_str(),
            "https://console.eu.jumpcloud.com/"
        );
    }

    #[test]
    fn directory_insights_lives_on_the_api_host_of_the_region() {
        let insights = |console: Url| insights_url(&console).to_string();
        assert_eq!(
            insights(Region::Us.console_url()),
            "https://api.jumpcloud.com/"
        );
        assert_eq!(
            insights(Region::Eu.console_url()),
            "https://api.eu.jumpcloud.com/"
        );
        let custom = |raw: &str| insights(custom_console_url(raw).unwrap());
        assert_eq!(
            custom("https://console.in.jumpcloud.com"),
            "https://api.in.jumpcloud.com/"
        );
        assert_eq!(custom("http://127.0.0.1:8080"), "http://127.0.0.1:8080/");
        assert_eq!(
            custom("https://console.notjumpcloud.com"),
            "https://console.notjumpcloud.com/"
        );
    }

    #[test]
    fn custom_roots_must_be_plain_http_urls() {
        assert!(custom_console_url("http://127.0.0.1:9000").is_ok());
        assert!(custom_console_url("ftp://example.com").is_err());
        assert!(custom_console_url("not a url").is_err());
        assert!(custom_console_url("https://example.com/?x=1").is_err());
        assert_eq!(
            custom_console_url("https://proxy.example/jumpcloud")
                .unwrap()
                .join("api/systemusers")
                .unwrap()
                .as_str(),
            "https://proxy.example/jumpcloud/api/systemusers"
        );
        assert_eq!(
            http_url("https://auth.example/oauth2/token")
                .unwrap()
                .path(),
            "/oauth2/token"
        );
    }
}
