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
//! - every request, refused or not, is in the register with the station that made it.
//!
//! HTTP on loopback by default: a station on another machine reaches it through a TLS
//! tunnel or terminator the office runs; `--listen` refuses other addresses unless told.

use std::net::SocketAddr;
use std::path::Path;
use std::sync::{Arc, Mutex};

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
use crate::list::{format_rfc3339, LoadedList};

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
/// Tokens shorter than this are refused when the token file is read: they could be guessed.
const MIN_TOKEN_LEN: usize = 32;

/// The stations allowed to ask, from a token file: one `TOKEN [LABEL]` per line, `#`
/// comments. Only digests are kept, and a presented token is compared with every one of
/// them in constant time, so the answer's timing says nothing about any token.
pub struct Tokens {
    entries: Vec<([u8; 32], String)>,
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
    pub fn parse(text: &str) -> Result<Tokens> {
        let mut entries = Vec::new();
        for (line, token, label) in token_lines(text) {
            if token.len() < MIN_TOKEN_LEN || !token.bytes().all(|b| b.is_ascii_graphic()) {
                bail!("line {line}: a token is at least {MIN_TOKEN_LEN} printable characters");
            }
            let label = label.map_or_else(|| format!("line-{line}"), str::to_string);
            entries.push((Sha256::digest(token.as_bytes()).into(), label));
        }
        if entries.is_empty() {
            bail!("no tokens: no station could sign (create one with `issuer new-token`)");
        }
        Ok(Tokens { entries })
    }

    pub fn read(path: &Path) -> Result<Tokens> {
        let text = std::fs::read_to_string(path)
            .with_context(|| format!("cannot read the token file {}", path.display()))?;
        Tokens::parse(&text).with_context(|| format!("token file {}", path.display()))
    }

    /// The label of the station `presented` belongs to.
    pub fn check(&self, presented: &str) -> Option<&str> {
        let digest: [u8; 32] = Sha256::digest(presented.as_bytes()).into();
        let mut found = None;
        for (known, label) in &self.entries {
            if bool::from(known.ct_eq(&digest)) {
                found = Some(label.as_str());
            }
        }
        found
    }
}

/// A station's own token: the first token in its file (the service's format, so the same
/// file can serve both in a one-machine office).
pub fn read_station_token(path: &Path) -> Result<String> {
    let text = std::fs::read_to_string(path)
        .with_context(|| format!("cannot read the token file {}", path.display()))?;
    let token = token_lines(&text)
        .next()
        .map(|(_, token, _)| token.to_string());
    token.with_context(|| format!("{}: no token in it", path.display()))
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
        let register = crate::files::open_durable(register, "signing register", REGISTER_SCHEMA)?;
        Ok(Service {
            keys,
            list,
            policy: Policy::DEFAULT,
            tokens,
            register: Mutex::new(register),
            fixed_now: None,
        })
    }

    /// Signs as of `now` instead of the clock.
    pub fn at(mut self, now: UnixTime) -> Service {
        self.fixed_now = Some(now);
        self
    }

    fn now(&self) -> UnixTime {
        self.fixed_now.unwrap_or_else(crate::list::system_now)
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
        // A request the register cannot note was refused above; this row only adds who.
        let _ = db.execute(
            "INSERT INTO requests (at, station, document_number, outcome, reason) \
             VALUES (?1, ?2, ?3, ?4, ?5)",
            params![at, station, holder.document_number, name, reason],
        );
        outcome
    }

    fn note_unauthenticated(&self, why: &str) {
        let at = format_rfc3339(self.now());
        let db = self.register.lock().unwrap_or_else(|p| p.into_inner());
        let _ = db.execute(
            "INSERT INTO requests (at, outcome, reason) VALUES (?1, 'unauthenticated', ?2)",
            params![at, why],
        );
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
    /// not (noted in the register).
    fn authenticate(&self, headers: &HeaderMap) -> Result<String, &'static str> {
        let presented = headers
            .get(header::AUTHORIZATION)
            .and_then(|v| v.to_str().ok())
            .and_then(|v| v.strip_prefix("Bearer "));
        let why = match presented.map(|t| self.tokens.check(t.trim())) {
            Some(Some(station)) => return Ok(station.to_string()),
            Some(None) => "the token is not one of this service's",
            None => "no bearer token",
        };
        self.note_unauthenticated(why);
        Err(why)
    }
}

fn unauthorized(why: &str) -> Response {
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
        let tokens =
            Tokens::parse(&format!("# stations\n{A} desk-3   # moved\n\n  {B}\n")).unwrap();
        assert_eq!(tokens.check(A), Some("desk-3"));
        assert_eq!(tokens.check(B), Some("line-4"));
        assert_eq!(tokens.check(&A[1..]), None);
        assert_eq!(tokens.check(&format!("{A}a")), None);
        assert_eq!(tokens.check(""), None);
    }

    #[test]
    fn weak_or_missing_tokens_are_refused() {
        let short = Tokens::parse("short-token station").err().unwrap();
        assert!(short.to_string().contains("line 1"), "{short}");
        assert!(Tokens::parse("# nothing\n\n").is_err());
        assert!(Tokens::parse(&format!("{A}\u{7f} x")).is_err());
    }

    #[test]
    fn a_station_reads_the_first_token_of_its_file() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("station.token");
        std::fs::write(&path, format!("# station-1\n{A} station-1\n{B}\n")).unwrap();
        assert_eq!(read_station_token(&path).unwrap(), A);
        std::fs::write(&path, "# none\n").unwrap();
        assert!(read_station_token(&path).is_err());
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
