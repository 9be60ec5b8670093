//! What every request and answer goes through: security headers on each response, and
//! the refusal of state-changing requests another site's page sent (CSRF).

use axum::extract::{Request, State};
use axum::http::{HeaderMap, HeaderValue, Method, StatusCode, header};
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};

/// The hardening a deployment needs: where it is reached from, and whether over https.
#[derive(Clone, Debug, Default)]
pub struct Hardening {
    /// The public address's `host[:port]`, accepted as an origin besides the `Host`
    /// header (a reverse proxy may rewrite that).
    pub public_authority: Option<String>,
    /// Over https: browsers are told to stay on it (HSTS).
    pub https: bool,
}

/// Framing, sniffing, referrers and plugins are shut off for every answer. Pages bring
/// their own `script-src` (this render's nonce, see `app::shell`); it is kept, with the
/// rest of the policy added to it.
pub async fn security_headers(
    State(hardening): State<Hardening>,
    request: Request,
    next: Next,
) -> Response {
    let mut response = next.run(request).await;
    let headers = response.headers_mut();
    headers.insert(
        header::X_CONTENT_TYPE_OPTIONS,
        HeaderValue::from_static("nosniff"),
    );
    headers.insert(
        header::REFERRER_POLICY,
        HeaderValue::from_static("same-origin"),
    );
    headers.insert(header::X_FRAME_OPTIONS, HeaderValue::from_static("DENY"));
    const POLICY: &str =
        "frame-ancestors 'none'; object-src 'none'; base-uri 'self'; form-action 'self'";
    let policy = match headers
        .get(header::CONTENT_SECURITY_POLICY)
        .and_then(|page| page.to_str().ok())
    {
        Some(page) => HeaderValue::from_str(&format!("{page}; {POLICY}"))
            .unwrap_or(HeaderValue::from_static(POLICY)),
        None => HeaderValue::from_static(POLICY),
    };
    headers.insert(header::CONTENT_SECURITY_POLICY, policy);
    if hardening.https {
        headers.insert(
            header::STRICT_TRANSPORT_SECURITY,
            HeaderValue::from_static("max-age=31536000"),
        );
    }
    response
}

/// Browsers name the page a form post or fetch comes from (`Origin`, else `Referer`), so
/// a write whose page is on another site is refused: a page elsewhere cannot act with a
/// signed-in user's cookie. Requests naming no page (scripts, curl) are no browser acting
/// for someone, and pass.
pub async fn same_site_writes(
    State(hardening): State<Hardening>,
    request: Request,
    next: Next,
) -> Response {
    let safe = matches!(
        *request.method(),
        Method::GET | Method::HEAD | Method::OPTIONS
    );
    if !safe && !from_this_site(request.headers(), hardening.public_authority.as_deref()) {
        tracing::warn!(path = %request.uri().path(), "refused a write sent from another site");
        return (
            StatusCode::FORBIDDEN,
            "Refused: this request was sent from another site.",
        )
            .into_response();
    }
    next.run(request).await
}

fn from_this_site(headers: &HeaderMap, public_authority: Option<&str>) -> bool {
    let named = headers
        .get(header::ORIGIN)
        .or_else(|| headers.get(header::REFERER));
    let Some(named) = named else {
        return true;
    };
    let Some(source) = named
        .to_str()
        .ok()
        .and_then(|text| url::Url::parse(text).ok())
    else {
        // `Origin: null` (sandboxed frames, some redirects) or garbage names no site.
        return false;
    };
    let Some(host) = source.host_str() else {
        return false;
    };
    let authority = match source.port() {
        Some(port) => format!("{host}:{port}"),
        None => host.to_string(),
    };
    let host_header = headers
        .get(header::HOST)
        .and_then(|host| host.to_str().ok());
    host_header == Some(authority.as_str()) || public_authority == Some(authority.as_str())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn headers(pairs: &[(header::HeaderName, &str)]) -> HeaderMap {
        pairs
            .iter()
            .map(|(name, value)| (name.clone(), HeaderValue::from_str(value).unwrap()))
            .collect()
    }

    #[test]
    fn only_pages_of_this_site_may_write() {
        let host = (header::HOST, "lanyard.example:8443");
        let same = headers(&[
            host.clone(),
            (header::ORIGIN, "https://lanyard.example:8443"),
        ]);
        assert!(from_this_site(&same, None));
        let referer = headers(&[
            host.clone(),
            (header::REFERER, "https://lanyard.example:8443/o/acme/users"),
        ]);
        assert!(from_this_site(&referer, None));
        let other = headers(&[host.clone(), (header::ORIGIN, "https://evil.example")]);
        assert!(!from_this_site(&other, None));
        let null = headers(&[host.clone(), (header::ORIGIN, "null")]);
        assert!(!from_this_site(&null, None));
        assert!(from_this_site(&headers(&[host]), None), "no page named");
        let proxied = headers(&[
            (header::HOST, "10.0.0.5:3000"),
            (header::ORIGIN, "https://lanyard.example"),
        ]);
        assert!(from_this_site(&proxied, Some("lanyard.example")));
        assert!(!from_this_site(&proxied, None));
    }
}
