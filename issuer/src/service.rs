//! `issuer serve`: the signing service, so that signer keys stay on one machine and the
//! personalization stations only ask.
//!
//! A station sends an application (a [`Holder`], JSON) with its bearer token; the service
//! applies exactly the checks `issuer sign-record` applies ([`sign_record_by_any`]): the
//! policy, the document-type rules, and the trust list's authorization of one of its keys.
//! It then records the signature in its register (SQLite) before it answers, so that:
//! - a document number is signed once: the same application sent again (a retry after a
//!   lost answer) gets the same record back; another application with that number is
//!   refused;
//! - every authenticated request for an application, refused or not, is in the register
//!   with the station that made it, before the answer leaves: a signature whose request
//!   cannot be noted is not handed out (503). A body that is no application at all (400)
//!   names no document and is not noted.
//!
//! Requests without a good token do no work: they are counted in memory, never written to
//! the register (a loop of them would otherwise stall genuine signing on the register's
//! lock and its full syncs, and fill the disk), and past [`MAX_FAILURES`] in a
//! [`FAILURE_WINDOW`] they get 429. Browser requests (an `Origin` header, or a body type a
//! page can send without asking: form or text) are refused before anything else: a web
//! page in the office could otherwise post to the service on loopback.
//!
//! HTTP on loopback by default: a station on another machine reaches it through a TLS
//! tunnel or terminator the office runs; `--listen` refuses other addresses unless told.

use std::net::SocketAddr;
use std::path::Path;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use anyhow::{bail, Context, Result};
use axum::body::Bytes;
use axum::extract::{DefaultBodyLimit, State};
use axum::http::{header, HeaderMap, HeaderValue, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post};
use axum::{Json, Router};
use rusqlite::{params, Connection, OptionalExtension};
use serde_json::json;
use sha2::{Digest, Sha256};
use stay_core::{Date, Policy, PublicKey, UnixTime};
use subtle::ConstantTimeEq;

use crate::holder::{sign_record_by_any, Holder};
use crate::keys::KeyPair;
use stay_std::clock::format_rfc3339;
use stay_std::LoadedList;

/// Where stations send applications (POST, JSON holder; answer: the record's bytes).
pub const SIGN_PATH: &str = "/v1/sign";
/// What the service signs with (GET): stations ask it once, before the first card.
pub const SIGNER_PATH: &str = "/v1/signer";
/// The record's media type in answers.
pub const RECORD_TYPE: &str = "application/vnd.kg-stay.record";
/// An application is a few hundred bytes; anything much larger is not one.
pub const MAX_REQUEST: usize = 16 * 1024;
/// The address `issuer serve` listens on unless told otherwise.
pub const DEFAULT_LISTEN: &str = "127.0.0.1:7390";
/// Tokens shorter than this are refused when they are made or presented in a station's
/// file: they could be guessed.
const MIN_TOKEN_LEN: usize = 32;
/// How a digest line of the service's token file starts.
const DIGEST_PREFIX: &str = "sha256:";
/// Unauthenticated requests answered 401 in one window before the rest get 429.
pub const MAX_FAILURES: u32 = 20;
/// The window unauthenticated requests are counted in.
pub const FAILURE_WINDOW: Duration = Duration::from_secs(60);

/// Why a token file cannot be used.
#[derive(Debug, thiserror::Error)]
pub enum TokenFileError {
    #[error("cannot read {path}: {source}")]
    Unreadable {
        path: String,
        source: std::io::Error,
    },
    /// A line of an older service's file: the token itself, which must exist only in the
    /// station's file.
    #[error(
        "line {line}: a plaintext token; the service's token file holds only digests: replace \
         the line with `{digest} {label}` (the station keeps its own file unchanged)"
    )]
    Plaintext {
        line: usize,
        digest: String,
        label: String,
    },
    #[error("line {line}: not `sha256:<64 hex digits> LABEL`")]
    NotADigest { line: usize },
    #[error("line {0}: a token is at least {MIN_TOKEN_LEN} printable characters")]
    WeakToken(usize),
    #[error("no tokens: no station could sign (create one with `issuer new-token`)")]
    Empty,
    #[error("{0}: no token in it")]
    NoStationToken(String),
    #[error("{0}: the service's digest file, not a station's token file")]
    DigestFile(String),
}

/// The stations allowed to ask, from the service's token file: one
/// `sha256:<hex digest of the token> [LABEL]` per line, `#` comments. The file holds only
/// digests, so reading it (a backup, a copied disk) gives no token; a presented token's
/// digest is compared with every one of them in constant time, so the answer's timing says
/// nothing about any token.
pub struct Tokens {
    entries: Vec<([u8; 32], String)>,
}

fn token_digest(token: &str) -> [u8; 32] {
    Sha256::digest(token.as_bytes()).into()
}

fn strong(token: &str) -> bool {
    token.len() >= MIN_TOKEN_LEN && token.bytes().all(|b| b.is_ascii_graphic())
}

/// The service's token-file line for a station's `token`.
pub fn token_line(token: &str, label: &str) -> String {
    format!(
        "{DIGEST_PREFIX}{} {label}\n",
        hex::encode(token_digest(token))
    )
}

fn token_lines(text: &str) -> impl Iterator<Item = (usize, &str, Option<&str>)> {
    text.lines().enumerate().filter_map(|(i, line)| {
        let line = line.split('#').next().unwrap_or("").trim();
        let mut words = line.split_whitespace();
        let token = words.next()?;
        Some((i + 1, token, words.next()))
    })
}

impl Tokens {
    /// Refuses a file with a plaintext token in it (an older service's format), saying the
    /// digest line to replace it with: the service starts only once no token is on its disk.
    pub fn parse(text: &str) -> Result<Tokens, TokenFileError> {
        let mut entries = Vec::new();
        for (line, word, label) in token_lines(text) {
            let label = label.map_or_else(|| format!("line-{line}"), str::to_string);
            let Some(digest) = word.strip_prefix(DIGEST_PREFIX) else {
                if !strong(word) {
                    return Err(TokenFileError::WeakToken(line));
                }
                return Err(TokenFileError::Plaintext {
                    line,
                    digest: token_line(word, "").trim_end().to_string(),
                    label,
                });
            };
            let digest = hex::decode(digest)
                .ok()
                .and_then(|d| <[u8; 32]>::try_from(d).ok())
                .ok_or(TokenFileError::NotADigest { line })?;
            entries.push((digest, label));
        }
        if entries.is_empty() {
            return Err(TokenFileError::Empty);
        }
        Ok(Tokens { entries })
    }

    pub fn read(path: &Path) -> Result<Tokens> {
        let text = std::fs::read_to_string(path).map_err(|source| TokenFileError::Unreadable {
            path: path.display().to_string(),
            source,
        })?;
        Tokens::parse(&text).with_context(|| format!("token file {}", path.display()))
    }

    /// The label of the station `presented` belongs to.
    pub fn check(&self, presented: &str) -> Option<&str> {
        let digest = token_digest(presented);
        let mut found = None;
        for (known, label) in &self.entries {
            if bool::from(known.ct_eq(&digest)) {
                found = Some(label.as_str());
            }
        }
        found
    }
}

/// A station's own token: the first word of its file (`issuer new-token --out`), the only
/// place the token itself is written.
pub fn read_station_token(path: &Path) -> Result<String, TokenFileError> {
    let name = || path.display().to_string();
    let text = std::fs::read_to_string(path).map_err(|source| TokenFileError::Unreadable {
        path: name(),
        source,
    })?;
    let (line, token, _) = token_lines(&text)
        .next()
        .ok_or_else(|| TokenFileError::NoStationToken(name()))?;
    if token.starts_with(DIGEST_PREFIX) {
        return Err(TokenFileError::DigestFile(name()));
    }
    if !strong(token) {
        return Err(TokenFileError::WeakToken(line));
    }
    Ok(token.to_string())
}

/// A new random token: 32 bytes, hex.
pub fn new_token() -> String {
    let mut bytes = [0u8; 32];
    rand_core::RngCore::fill_bytes(&mut rand_core::OsRng, &mut bytes);
    hex::encode(bytes)
}

const REGISTER_SCHEMA: &str = "
CREATE TABLE IF NOT EXISTS signed (
    document_number TEXT PRIMARY KEY,
    application_digest BLOB NOT NULL,
    record BLOB NOT NULL,
    station TEXT NOT NULL,
    signed_at TEXT NOT NULL
);
CREATE TABLE IF NOT EXISTS requests (
    id INTEGER PRIMARY KEY,
    at TEXT NOT NULL,
    station TEXT,
    document_number TEXT,
    outcome TEXT NOT NULL,
    reason TEXT
);
";

/// Why the service did not sign.
#[derive(Debug, thiserror::Error)]
pub enum Refused {
    /// The policy or the list forbids it (422).
    #[error("{0}")]
    Policy(String),
    /// The number is already on another record (409).
    #[error("document {0} is already signed for another application")]
    NumberTaken(String),
    /// The register could not record it, so nothing was signed (500).
    #[error("the register cannot record the signature: {0}")]
    Register(String),
    /// The register could not note the request, so its answer is withheld (503); the same
    /// application sent again gets the same record once the register works.
    #[error("the register cannot note the request: {0}")]
    Unnoted(String),
}

/// Unauthenticated requests in the current window, in memory only.
struct Failures {
    since: Instant,
    count: u32,
}

/// What a request without a good token gets.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Unauthenticated {
    /// 401, with the reason.
    Refused(&'static str),
    /// 429: the window's failures are spent.
    TooMany,
}

/// What was signed, and whether it was signed before (an identical retry).
pub struct Signed {
    pub record: Vec<u8>,
    pub again: bool,
}

/// The signing decisions, apart from HTTP.
pub struct Service {
    keys: Vec<KeyPair>,
    list: LoadedList,
    policy: Policy,
    tokens: Tokens,
    register: Mutex<Connection>,
    failures: Mutex<Failures>,
    /// Sign as of this time instead of the clock (`issuer serve --at`, for tests and demos).
    fixed_now: Option<UnixTime>,
}

impl Service {
    /// Refuses to start with a key the list does not name (it could never sign).
    pub fn new(
        keys: Vec<KeyPair>,
        list_bytes: Vec<u8>,
        root: &PublicKey,
        tokens: Tokens,
        register: &Path,
    ) -> Result<Service> {
        let list = LoadedList::verify(list_bytes, root, None).context("trust list")?;
        if keys.is_empty() {
            bail!("no signer key");
        }
        for key in &keys {
            if list.list().signer(key.key_id()).is_none() {
                bail!("signer key {} is not on the trust list", key.key_id());
            }
        }
        let register =
            stay_std::files::open_durable(register, "signing register", REGISTER_SCHEMA)?;
        Ok(Service {
            keys,
            list,
            policy: Policy::DEFAULT,
            tokens,
            register: Mutex::new(register),
            failures: Mutex::new(Failures {
                since: Instant::now(),
                count: 0,
            }),
            fixed_now: None,
        })
    }

    /// Signs as of `now` instead of the clock.
    pub fn at(mut self, now: UnixTime) -> Service {
        self.fixed_now = Some(now);
        self
    }

    fn now(&self) -> UnixTime {
        self.fixed_now.unwrap_or_else(stay_std::clock::system_now)
    }

    /// A station dates its records; the service holds it to today (a day either side, for
    /// clocks around midnight), so that a station's token cannot backdate a document into
    /// another key's period.
    fn check_issue_date(&self, holder: &Holder) -> Result<(), Refused> {
        let today = self.now().bishkek_date();
        let issued = Date::parse_iso(&holder.issue_date).map_err(|_| {
            Refused::Policy(format!("issue_date {:?} is not a date", holder.issue_date))
        })?;
        if (issued.days_since_epoch() - today.days_since_epoch()).abs() > 1 {
            return Err(Refused::Policy(format!(
                "issue_date {issued} is not today ({today})"
            )));
        }
        Ok(())
    }

    /// Checks `holder` and signs it for `station`, once per document number.
    pub fn sign(&self, station: &str, holder: &Holder) -> Result<Signed, Refused> {
        let digest: [u8; 32] =
            Sha256::digest(serde_json::to_vec(holder).unwrap_or_default()).into();
        let at = format_rfc3339(self.now());
        let db = self.register.lock().unwrap_or_else(|p| p.into_inner());
        let outcome = (|| {
            self.check_issue_date(holder)?;
            let earlier: Option<(Vec<u8>, Vec<u8>)> = db
                .query_row(
                    "SELECT application_digest, record FROM signed WHERE document_number = ?1",
                    [&holder.document_number],
                    |r| Ok((r.get(0)?, r.get(1)?)),
                )
                .optional()
                .map_err(|e| Refused::Register(e.to_string()))?;
            if let Some((earlier_digest, record)) = earlier {
                return if earlier_digest == digest {
                    Ok(Signed {
                        record,
                        again: true,
                    })
                } else {
                    Err(Refused::NumberTaken(holder.document_number.clone()))
                };
            }
            let record = sign_record_by_any(holder, &self.keys, self.list.list(), &self.policy)
                .map_err(|e| Refused::Policy(e.to_string()))?;
            db.execute(
                "INSERT INTO signed (document_number, application_digest, record, station, \
                 signed_at) VALUES (?1, ?2, ?3, ?4, ?5)",
                params![holder.document_number, &digest[..], record, station, at],
            )
            .map_err(|e| Refused::Register(e.to_string()))?;
            Ok(Signed {
                record,
                again: false,
            })
        })();
        let (name, reason) = match &outcome {
            Ok(Signed { again: false, .. }) => ("signed", None),
            Ok(Signed { again: true, .. }) => ("signed-again", None),
            Err(Refused::Policy(why)) => ("refused", Some(why.clone())),
            Err(e) => ("refused", Some(e.to_string())),
        };
        // Before the answer: a request the register cannot note gets no signature, so
        // every record handed out has its row. The signed row stays: a retry gets it.
        db.execute(
            "INSERT INTO requests (at, station, document_number, outcome, reason) \
             VALUES (?1, ?2, ?3, ?4, ?5)",
            params![at, station, holder.document_number, name, reason],
        )
        .map_err(|e| Refused::Unnoted(e.to_string()))?;
        outcome
    }

    /// Counts one failure in memory; past the window's budget, the answer is 429.
    fn note_unauthenticated(&self, why: &'static str) -> Unauthenticated {
        let mut failures = self.failures.lock().unwrap_or_else(|p| p.into_inner());
        if failures.since.elapsed() >= FAILURE_WINDOW {
            if failures.count > MAX_FAILURES {
                eprintln!(
                    "issuer serve: {} requests without a good token in the last window",
                    failures.count
                );
            }
            failures.since = Instant::now();
            failures.count = 0;
        }
        failures.count = failures.count.saturating_add(1);
        if failures.count > MAX_FAILURES {
            Unauthenticated::TooMany
        } else {
            Unauthenticated::Refused(why)
        }
    }

    /// The keys, what the list lets each sign, and the list's sequence.
    pub fn describe(&self) -> serde_json::Value {
        let list = self.list.list();
        let keys: Vec<_> = self
            .keys
            .iter()
            .filter_map(|k| list.signer(k.key_id()))
            .map(|entry| {
                let types: Vec<_> = stay_core::DocumentType::ALL
                    .into_iter()
                    .filter(|t| entry.may_sign(*t))
                    .map(|t| t.name())
                    .collect();
                json!({
                    "key_id": entry.key_id.to_string(),
                    "document_types": types,
                    "not_before": entry.not_before.to_string(),
                    "not_after": entry.not_after.to_string(),
                    "revoked": list.is_signer_revoked(entry.key_id),
                })
            })
            .collect();
        json!({ "keys": keys, "list_sequence": list.sequence })
    }

    /// The station a request's `Authorization: Bearer` header belongs to; otherwise why
    /// not (counted, never written).
    fn authenticate(&self, headers: &HeaderMap) -> Result<String, Unauthenticated> {
        if let Some(why) = from_a_browser(headers) {
            return Err(self.note_unauthenticated(why));
        }
        let presented = headers
            .get(header::AUTHORIZATION)
            .and_then(|v| v.to_str().ok())
            .and_then(|v| v.strip_prefix("Bearer "));
        let why = match presented.map(|t| self.tokens.check(t.trim())) {
            Some(Some(station)) => return Ok(station.to_string()),
            Some(None) => "the token is not one of this service's",
            None => "no bearer token",
        };
        Err(self.note_unauthenticated(why))
    }
}

/// Why a request comes from a web page rather than a station, if it does. Browsers send
/// `Origin` on every POST, and a page may post text or forms to any address without asking
/// (no-cors); a station sends JSON and no `Origin`.
fn from_a_browser(headers: &HeaderMap) -> Option<&'static str> {
    if headers.contains_key(header::ORIGIN) {
        return Some("a browser request (Origin): the service answers stations only");
    }
    let media = headers
        .get(header::CONTENT_TYPE)?
        .to_str()
        .unwrap_or("")
        .split(';')
        .next()
        .unwrap_or("")
        .trim()
        .to_ascii_lowercase();
    (media != "application/json")
        .then_some("an application is application/json: the service answers stations only")
}

fn unauthorized(refused: Unauthenticated) -> Response {
    let why = match refused {
        Unauthenticated::Refused(why) => why,
        Unauthenticated::TooMany => {
            return (
                StatusCode::TOO_MANY_REQUESTS,
                [(header::RETRY_AFTER, FAILURE_WINDOW.as_secs().to_string())],
                Json(json!({ "error": "too many requests without a good token" })),
            )
                .into_response()
        }
    };
    let mut response = (StatusCode::UNAUTHORIZED, Json(json!({ "error": why }))).into_response();
    response.headers_mut().insert(
        header::WWW_AUTHENTICATE,
        HeaderValue::from_static("Bearer realm=\"issuer\""),
    );
    response
}

async fn sign(State(service): State<Arc<Service>>, headers: HeaderMap, body: Bytes) -> Response {
    let station = match service.authenticate(&headers) {
        Ok(station) => station,
        Err(why) => return unauthorized(why),
    };
    let holder: Holder = match serde_json::from_slice(&body) {
        Ok(holder) => holder,
        Err(e) => {
            return (
                StatusCode::BAD_REQUEST,
                Json(json!({ "error": format!("not an application: {e}") })),
            )
                .into_response()
        }
    };
    let worker = Arc::clone(&service);
    let outcome = tokio::task::spawn_blocking(move || {
        let outcome = worker.sign(&station, &holder);
        eprintln!(
            "issuer serve: {station}: {} {}",
            holder.document_number,
            match &outcome {
                Ok(Signed { again: false, .. }) => "signed".to_string(),
                Ok(Signed { again: true, .. }) => "signed (again, same application)".into(),
                Err(e) => format!("refused: {e}"),
            }
        );
        outcome
    })
    .await;
    match outcome {
        Ok(Ok(signed)) => ([(header::CONTENT_TYPE, RECORD_TYPE)], signed.record).into_response(),
        Ok(Err(refused)) => {
            let status = match refused {
                Refused::Policy(_) => StatusCode::UNPROCESSABLE_ENTITY,
                Refused::NumberTaken(_) => StatusCode::CONFLICT,
                Refused::Register(_) => StatusCode::INTERNAL_SERVER_ERROR,
                Refused::Unnoted(_) => StatusCode::SERVICE_UNAVAILABLE,
            };
            (status, Json(json!({ "refused": refused.to_string() }))).into_response()
        }
        Err(_) => StatusCode::INTERNAL_SERVER_ERROR.into_response(),
    }
}

async fn signer(State(service): State<Arc<Service>>, headers: HeaderMap) -> Response {
    match service.authenticate(&headers) {
        Ok(_) => Json(service.describe()).into_response(),
        Err(why) => unauthorized(why),
    }
}

pub fn router(service: Arc<Service>) -> Router {
    Router::new()
        .route(SIGN_PATH, post(sign))
        .route(SIGNER_PATH, get(signer))
        .layer(DefaultBodyLimit::max(MAX_REQUEST))
        .with_state(service)
}

/// Checks that `addr` is a loopback address unless `anywhere` says otherwise.
pub fn check_listen(addr: SocketAddr, anywhere: bool) -> Result<()> {
    if !addr.ip().is_loopback() && !anywhere {
        bail!(
            "{addr} is not a loopback address: the service speaks plain HTTP; put TLS in \
             front of it and pass --listen-anywhere"
        );
    }
    Ok(())
}

/// Serves until `shutdown` completes.
pub async fn serve(
    listener: tokio::net::TcpListener,
    service: Arc<Service>,
    shutdown: impl std::future::Future<Output = ()> + Send + 'static,
) -> Result<()> {
    axum::serve(listener, router(service))
        .with_graceful_shutdown(shutdown)
        .await
        .context("signing service")
}

#[cfg(test)]
mod tests {
    use super::*;

    const A: &str = "aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa";
    const B: &str = "bbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbb";

    #[test]
    fn tokens_name_their_station() {
        let b = token_line(B, "");
        let a = token_line(A, "desk-3");
        let text = format!("# stations\n{}   # moved\n\n  {b}", a.trim_end());
        let tokens = Tokens::parse(&text).unwrap();
        assert_eq!(tokens.check(A), Some("desk-3"));
        assert_eq!(tokens.check(B), Some("line-4"));
        assert_eq!(tokens.check(&A[1..]), None);
        assert_eq!(tokens.check(&format!("{A}a")), None);
        assert_eq!(tokens.check(""), None);
    }

    #[test]
    fn weak_or_missing_tokens_are_refused() {
        let short = Tokens::parse("short-token station").err().unwrap();
        assert!(matches!(short, TokenFileError::WeakToken(1)), "{short}");
        assert!(matches!(
            Tokens::parse("# nothing\n\n"),
            Err(TokenFileError::Empty)
        ));
        assert!(matches!(
            Tokens::parse("sha256:abcd station"),
            Err(TokenFileError::NotADigest { line: 1 })
        ));
    }

    #[test]
    fn the_service_file_holds_digests_and_refuses_plaintext() {
        let line = token_line(A, "desk-3");
        assert!(!line.contains(A), "{line}");
        assert_eq!(
            line,
            format!("sha256:{} desk-3\n", hex::encode(token_digest(A)))
        );
        // An older service's file: refused, naming the line to put instead.
        match Tokens::parse(&format!("# old\n{A} desk-3\n")) {
            Err(TokenFileError::Plaintext {
                line: 2,
                digest,
                label,
            }) => assert_eq!(format!("{digest} {label}\n"), line),
            other => panic!("{:?}", other.err()),
        }
    }

    #[test]
    fn a_station_reads_the_first_token_of_its_file() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("station.token");
        std::fs::write(&path, format!("# station-1\n{A}\n{B}\n")).unwrap();
        assert_eq!(read_station_token(&path).unwrap(), A);
        std::fs::write(&path, "# none\n").unwrap();
        assert!(matches!(
            read_station_token(&path),
            Err(TokenFileError::NoStationToken(_))
        ));
        std::fs::write(&path, token_line(A, "station-1")).unwrap();
        assert!(matches!(
            read_station_token(&path),
            Err(TokenFileError::DigestFile(_))
        ));
        assert_eq!(new_token().len(), 64);
        assert_ne!(new_token(), new_token());
    }

    #[test]
    fn only_loopback_unless_told() {
        assert!(check_listen("127.0.0.1:7390".parse().unwrap(), false).is_ok());
        assert!(check_listen("[::1]:7390".parse().unwrap(), false).is_ok());
        assert!(check_listen("0.0.0.0:7390".parse().unwrap(), false).is_err());
        assert!(check_listen("0.0.0.0:7390".parse().unwrap(), true).is_ok());
    }
}
