//! Who may talk to the desk's HTTP API: the kiosk page this daemon served, and programs
//! on the desk that hold its token. Never another web page the desk's browser has open.
//!
//! Three doors a web page would use, and what shuts each:
//!
//! - **DNS rebinding** (a page whose name resolves to 127.0.0.1 becomes "same origin" with
//!   the daemon): every request's `Host` must be a loopback name or the configured
//!   `host_name`; `evil.example:8470` is refused before any route runs.
//! - **Cross-site requests** (`fetch(..., {mode: "no-cors"})`, a form post): every
//!   `/api/` request needs the per-install token ([`DeskToken`]); a page of another origin
//!   cannot read it, and cannot send it in a header without a CORS preflight that this
//!   daemon never answers. A request whose `Origin` (or `Sec-Fetch-Site`) says it comes
//!   from another site is refused outright, and `POST /api/verify` takes only its own
//!   content types, never `text/plain` or a form's.
//! - **Framing** (the kiosk page inside a foreign page): `frame-ancestors 'none'`.
//!
//! The token reaches the kiosk page in the URL's fragment (`/#token=...`, printed by
//! `reader-host kiosk-url`): a fragment is never sent to any server, and the page moves it
//! into its own session storage and out of the address bar.

use std::net::IpAddr;
use std::path::{Path, PathBuf};
use std::sync::Arc;

use anyhow::Result;
use axum::extract::{Request, State};
use axum::http::{header, HeaderMap, HeaderValue, Method, StatusCode};
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};
use subtle::ConstantTimeEq;

/// The token file in the data directory, created at first start, readable by its owner.
pub const TOKEN_FILE: &str = "desk.token";
/// Random bytes in a token (hex in the file and on the wire).
const TOKEN_BYTES: usize = 32;

/// The per-install secret that programs and the kiosk page present on every API request.
#[derive(Clone)]
pub struct DeskToken(String);

impl DeskToken {
    /// The data directory's token, made (0600) on first use.
    pub fn open_or_create(data_dir: &Path) -> Result<DeskToken> {
        let path = data_dir.join(TOKEN_FILE);
        match stay_std::files::read_to_string(&path) {
            Ok(_) if is_shared(&path)? => anyhow::bail!(
                "{}: the desk token is readable by others (chmod 600 it)",
                path.display()
            ),
            Ok(text) => {
                let token = text.trim();
                anyhow::ensure!(
                    token.len() == 2 * TOKEN_BYTES && token.bytes().all(|b| b.is_ascii_hexdigit()),
                    "{}: not a desk token (delete it to make a new one)",
                    path.display()
                );
                Ok(DeskToken(token.to_ascii_lowercase()))
            }
            Err(e) if e.source.kind() == std::io::ErrorKind::NotFound => {
                let mut bytes = [0u8; TOKEN_BYTES];
                rand_core::RngCore::fill_bytes(&mut rand_core::OsRng, &mut bytes);
                let token = hex::encode(bytes);
                stay_std::files::write_private(&path, format!("{token}\n").as_bytes())?;
                Ok(DeskToken(token))
            }
            Err(e) => Err(e.into()),
        }
    }

    /// The token of a desk that already ran (for `reader-host kiosk-url` and scripts).
    pub fn read(data_dir: &Path) -> Result<DeskToken> {
        let path = data_dir.join(TOKEN_FILE);
        anyhow::ensure!(
            path.exists(),
            "{} does not exist yet: start `reader-host serve` once",
            path.display()
        );
        DeskToken::open_or_create(data_dir)
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }

    fn matches(&self, presented: &str) -> bool {
        // Constant time: the API answers on a socket anyone on the machine can time.
        presented.len() == self.0.len() && bool::from(presented.as_bytes().ct_eq(self.0.as_bytes()))
    }
}

/// Whether group or others may read or write `path`: a secret (the desk token, the audit
/// key) in such a file is refused, not used.
pub(crate) fn is_shared(path: &Path) -> Result<bool> {
    use std::os::unix::fs::PermissionsExt;
    Ok(std::fs::metadata(path)?.permissions().mode() & 0o077 != 0)
}

/// What the access layer checks requests against.
#[derive(Clone)]
pub struct Access {
    token: DeskToken,
    /// Names (without a port) a request's `Host` may carry besides the loopback ones.
    host_name: Option<String>,
}

impl Access {
    pub fn new(token: DeskToken, host_name: Option<String>) -> Arc<Access> {
        Arc::new(Access {
            token,
            host_name: host_name.map(|h| h.to_ascii_lowercase()),
        })
    }

    fn host_allowed(&self, host: &str) -> bool {
        let Some(name) = host_without_port(host) else {
            return false;
        };
        let name = name.to_ascii_lowercase();
        name == "localhost"
            || self.host_name.as_deref() == Some(name.as_str())
            || name
                .trim_start_matches('[')
                .trim_end_matches(']')
                .parse::<IpAddr>()
                .is_ok_and(|ip| ip.is_loopback())
    }
}

/// Why a request was refused, before any route ran.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Refusal {
    /// `Host` is missing or names neither loopback nor `host_name`: DNS rebinding.
    ForeignHost,
    /// `Origin` or `Sec-Fetch-Site` says another site sent it.
    CrossOrigin,
    /// No token, or the wrong one.
    NoToken,
}

impl Refusal {
    fn status(self) -> StatusCode {
        match self {
            Refusal::ForeignHost => StatusCode::MISDIRECTED_REQUEST,
            Refusal::CrossOrigin => StatusCode::FORBIDDEN,
            Refusal::NoToken => StatusCode::UNAUTHORIZED,
        }
    }

    fn message(self) -> &'static str {
        match self {
            Refusal::ForeignHost => "this desk answers only to its own host name",
            Refusal::CrossOrigin => "requests from other web pages are refused",
            Refusal::NoToken => {
                "the desk token is missing or wrong (open the page `reader-host kiosk-url` prints)"
            }
        }
    }
}

/// The name in a `Host` header, without its port: `[::1]:8470` is `[::1]`. `None` when
/// the header is not a host and an optional port (`[::1`, `[::1]evil`, `host:junk`).
fn host_without_port(host: &str) -> Option<&str> {
    let (name, port) = match host.strip_prefix('[') {
        Some(rest) => {
            let end = rest.find(']')?;
            (&host[..end + 2], &rest[end + 1..])
        }
        None => match host.find(':') {
            Some(colon) => (&host[..colon], &host[colon..]),
            None => (host, ""),
        },
    };
    let port_ok = port.is_empty()
        || port
            .strip_prefix(':')
            .is_some_and(|p| !p.is_empty() && p.bytes().all(|b| b.is_ascii_digit()));
    (port_ok && !name.is_empty()).then_some(name)
}

/// The token a request presents: `Authorization: Bearer T`, or (only for the event
/// stream, which a browser's `EventSource` opens without headers) `?token=T`.
fn presented_token<'a>(
    headers: &'a HeaderMap,
    method: &Method,
    path: &str,
    query: Option<&'a str>,
) -> Option<&'a str> {
    if let Some(bearer) = headers
        .get(header::AUTHORIZATION)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.strip_prefix("Bearer "))
    {
        return Some(bearer.trim());
    }
    if method == Method::GET && path == "/api/events" {
        return query?
            .split('&')
            .find_map(|pair| pair.strip_prefix("token="));
    }
    None
}

/// The decision for one request's head.
pub fn check(
    access: &Access,
    method: &Method,
    path: &str,
    query: Option<&str>,
    headers: &HeaderMap,
) -> Result<(), Refusal> {
    let host = headers.get(header::HOST).and_then(|v| v.to_str().ok());
    if !host.is_some_and(|h| access.host_allowed(h)) {
        return Err(Refusal::ForeignHost);
    }
    let host = host.unwrap_or_default();
    // A browser names the page that sent a request; this daemon's own page is the only
    // one allowed. (`null` is a sandboxed frame or a file: refused too.)
    if let Some(origin) = headers.get(header::ORIGIN) {
        let own = origin
            .to_str()
            .ok()
            // https: the same page behind the TLS proxy docs/operations.md describes.
            .and_then(|o| {
                o.strip_prefix("http://")
                    .or_else(|| o.strip_prefix("https://"))
            })
            .is_some_and(|o| o.eq_ignore_ascii_case(host));
        if !own {
            return Err(Refusal::CrossOrigin);
        }
    }
    if let Some(site) = headers.get("sec-fetch-site").and_then(|v| v.to_str().ok()) {
        if !matches!(site, "same-origin" | "none") {
            return Err(Refusal::CrossOrigin);
        }
    }
    if path.starts_with("/api/") {
        match presented_token(headers, method, path, query) {
            Some(token) if access.token.matches(token) => {}
            _ => return Err(Refusal::NoToken),
        }
    }
    Ok(())
}

/// The access layer: refuses what [`check`] refuses, and marks every answer as not to be
/// cached, sniffed, framed or referred.
pub async fn layer(State(access): State<Arc<Access>>, request: Request, next: Next) -> Response {
    let uri = request.uri();
    let verdict = check(
        &access,
        request.method(),
        uri.path(),
        uri.query(),
        request.headers(),
    );
    let mut response = match verdict {
        Ok(()) => next.run(request).await,
        Err(refusal) => {
            tracing::warn!(?refusal, "request refused");
            (
                refusal.status(),
                axum::Json(serde_json::json!({ "error": refusal.message() })),
            )
                .into_response()
        }
    };
    let headers = response.headers_mut();
    for (name, value) in [
        (header::CACHE_CONTROL, "no-store"),
        (header::X_CONTENT_TYPE_OPTIONS, "nosniff"),
        (header::REFERRER_POLICY, "no-referrer"),
        (header::X_FRAME_OPTIONS, "DENY"),
        (
            header::CONTENT_SECURITY_POLICY,
            "default-src 'none'; script-src 'unsafe-inline'; style-src 'unsafe-inline'; \
             connect-src 'self'; img-src 'self' data: blob:; frame-ancestors 'none'; \
             base-uri 'none'; form-action 'none'",
        ),
    ] {
        headers.insert(name, HeaderValue::from_static(value));
    }
    response
}

/// The kiosk page's address with this desk's token in its fragment.
pub fn kiosk_url(
    listen: std::net::SocketAddr,
    host_name: Option<&str>,
    token: &DeskToken,
) -> String {
    let host = match (host_name, listen.ip()) {
        (Some(name), _) => name.to_string(),
        (None, ip) if ip.is_unspecified() => "127.0.0.1".to_string(),
        (None, IpAddr::V6(ip)) => format!("[{ip}]"),
        (None, IpAddr::V4(ip)) => ip.to_string(),
    };
    format!("http://{host}:{}/#token={}", listen.port(), token.as_str())
}

/// A page that sends the kiosk's browser on to [`kiosk_url`], for `reader-host kiosk-url
/// --page FILE` (written 0600): the browser is then started with the file's path, and the
/// token is on no command line (`ps` shows every user every process's arguments).
pub fn kiosk_page(url: &str) -> String {
    format!(
        "<!doctype html>\n<meta charset=\"utf-8\">\n<meta name=\"referrer\" content=\"no-referrer\">\n\
         <meta http-equiv=\"refresh\" content=\"0; url={url}\">\n<title>Resident card check</title>\n"
    )
}

/// Where a desk's token is, for the docs and error messages.
pub fn token_path(data_dir: &Path) -> PathBuf {
    data_dir.join(TOKEN_FILE)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn access() -> Arc<Access> {
        Access::new(
            DeskToken("ab".repeat(TOKEN_BYTES)),
            Some("desk-7.office".into()),
        )
    }

    fn headers(pairs: &[(&'static str, &str)]) -> HeaderMap {
        let mut map = HeaderMap::new();
        for (name, value) in pairs {
            map.insert(*name, HeaderValue::from_str(value).unwrap());
        }
        map
    }

    fn bearer() -> String {
        format!("Bearer {}", "ab".repeat(TOKEN_BYTES))
    }

    #[test]
    fn hosts_are_loopback_or_the_configured_name() {
        let a = access();
        for host in [
            "127.0.0.1:8470",
            "localhost:8470",
            "[::1]:8470",
            "127.0.0.2",
            "DESK-7.office:8470",
        ] {
            assert_eq!(
                check(&a, &Method::GET, "/", None, &headers(&[("host", host)])),
                Ok(()),
                "{host}"
            );
        }
        for host in [
            "evil.example:8470",
            "evil.example",
            "127.0.0.1.evil.example",
            "10.0.0.5:8470",
            "[::2]:8470",
            // Malformed: refused, never a panic.
            "[",
            "[::1",
            "[::1]evil",
            "127.0.0.1:junk",
            "127.0.0.1:",
            ":8470",
        ] {
            assert_eq!(
                check(&a, &Method::GET, "/", None, &headers(&[("host", host)])),
                Err(Refusal::ForeignHost),
                "{host}"
            );
        }
        assert_eq!(
            check(&a, &Method::GET, "/", None, &HeaderMap::new()),
            Err(Refusal::ForeignHost)
        );
    }

    #[test]
    fn the_api_needs_the_token_and_the_stream_may_carry_it_in_its_query() {
        let a = access();
        let token = "ab".repeat(TOKEN_BYTES);
        let host = ("host", "127.0.0.1:8470");
        assert_eq!(
            check(&a, &Method::GET, "/api/verdicts", None, &headers(&[host])),
            Err(Refusal::NoToken)
        );
        assert_eq!(
            check(
                &a,
                &Method::GET,
                "/api/verdicts",
                None,
                &headers(&[host, ("authorization", &bearer())])
            ),
            Ok(())
        );
        let wrong = format!("Bearer {}", "ac".repeat(TOKEN_BYTES));
        assert_eq!(
            check(
                &a,
                &Method::POST,
                "/api/verify",
                None,
                &headers(&[host, ("authorization", &wrong)])
            ),
            Err(Refusal::NoToken)
        );
        let query = format!("token={token}");
        assert_eq!(
            check(
                &a,
                &Method::GET,
                "/api/events",
                Some(&query),
                &headers(&[host])
            ),
            Ok(())
        );
        // Only the stream: a query token elsewhere would end up in logs and histories.
        assert_eq!(
            check(
                &a,
                &Method::POST,
                "/api/verify",
                Some(&query),
                &headers(&[host])
            ),
            Err(Refusal::NoToken)
        );
    }

    #[test]
    fn another_origin_is_refused_even_with_the_token() {
        let a = access();
        let host = ("host", "127.0.0.1:8470");
        let auth = bearer();
        for (name, value) in [
            ("origin", "http://evil.example"),
            ("origin", "null"),
            ("origin", "http://127.0.0.1:9999"),
            ("sec-fetch-site", "cross-site"),
            ("sec-fetch-site", "same-site"),
        ] {
            assert_eq!(
                check(
                    &a,
                    &Method::POST,
                    "/api/verify",
                    None,
                    &headers(&[host, ("authorization", &auth), (name, value)])
                ),
                Err(Refusal::CrossOrigin),
                "{name}: {value}"
            );
        }
        assert_eq!(
            check(
                &a,
                &Method::POST,
                "/api/verify",
                None,
                &headers(&[
                    host,
                    ("authorization", &auth),
                    ("origin", "http://127.0.0.1:8470"),
                    ("sec-fetch-site", "same-origin")
                ])
            ),
            Ok(())
        );
    }

    #[test]
    fn a_token_is_made_once_private_and_read_back() {
        use std::os::unix::fs::PermissionsExt;
        let dir = tempfile::tempdir().unwrap();
        assert!(DeskToken::read(dir.path()).is_err());
        let made = DeskToken::open_or_create(dir.path()).unwrap();
        let mode = std::fs::metadata(token_path(dir.path()))
            .unwrap()
            .permissions()
            .mode();
        assert_eq!(mode & 0o777, 0o600);
        assert_eq!(made.as_str().len(), 64);
        assert_eq!(DeskToken::read(dir.path()).unwrap().as_str(), made.as_str());
        let set_mode = |mode| {
            std::fs::set_permissions(
                token_path(dir.path()),
                std::fs::Permissions::from_mode(mode),
            )
            .unwrap()
        };
        set_mode(0o644);
        assert!(
            DeskToken::read(dir.path()).is_err(),
            "a token others can read"
        );
        set_mode(0o600);
        std::fs::write(token_path(dir.path()), "short\n").unwrap();
        assert!(DeskToken::open_or_create(dir.path()).is_err());
    }

    #[test]
    fn the_kiosk_url_carries_the_token_in_its_fragment() {
        let token = DeskToken("cd".repeat(TOKEN_BYTES));
        let url = kiosk_url("0.0.0.0:8470".parse().unwrap(), None, &token);
        assert_eq!(
            url,
            format!("http://127.0.0.1:8470/#token={}", "cd".repeat(32))
        );
        let url = kiosk_url(
            "127.0.0.1:8470".parse().unwrap(),
            Some("desk-7.office"),
            &token,
        );
        assert!(url.starts_with("http://desk-7.office:8470/#token="));
    }
}
