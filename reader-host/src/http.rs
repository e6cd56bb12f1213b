//! The daemon's HTTP side: the kiosk page, a JSON API and the event stream (SSE).
//!
//! | route | what |
//! |---|---|
//! | `GET /` | the kiosk page |
//! | `GET /api/status` | role, trust list (age, state, last refresh), counters |
//! | `GET /api/verdicts?limit=N` | recent events, newest first (N ≤ 200) |
//! | `GET /api/events` | server-sent events: every event as it happens |
//! | `POST /api/verify` | body: a QR image (`image/png`, `image/jpeg`) or the record's bytes (`application/vnd.kg-stay.record`); answers the event |
//! | `POST /api/trust-list/refresh` | refresh the trust list now; answers the outcome |
//! | `GET /api/portraits/{id}` | the chip's portrait of verdict `id` (`image/jpeg`), once it matched the record's signed digest, for a few minutes ([`crate::desk::PORTRAIT_WINDOW`]) |
//! | `GET /api/messages/{ky,ru,en}` | every message of a language as a template (`{name}` placeholders), for the kiosk |
//! | `POST /api/can` | body `{"can":"123456"}` (`application/json`): the CAN for the card in the reader; answers the event |
//!
//! Every request passes [`crate::access`] first (host name, origin, the desk token).
//! Bodies are capped at [`MAX_BODY`]; verifications run on the blocking pool, so a slow
//! QR decode never stalls the event stream; at most [`MAX_DECODES`] images are decoded at
//! once and at most [`MAX_SUBSCRIBERS`] event streams are open, so no client, however
//! busy, takes the desk from the others.

use std::convert::Infallible;
use std::sync::atomic::Ordering;
use std::sync::Arc;
use std::time::Duration;

use axum::body::Bytes;
use axum::extract::{DefaultBodyLimit, Query, State};
use axum::http::{header, HeaderMap, StatusCode};
use axum::response::sse::{Event as SseEvent, KeepAlive, Sse};
use axum::response::{Html, IntoResponse, Response};
use axum::routing::{get, post};
use axum::{Json, Router};
use futures_util::StreamExt;
use serde::Deserialize;
use serde_json::json;
use tokio_stream::wrappers::errors::BroadcastStreamRecvError;
use tokio_stream::wrappers::BroadcastStream;

use tokio::sync::Semaphore;

use crate::access::Access;
use crate::desk::{Desk, Kind, RECENT};
pub use crate::qr::MAX_IMAGE_SIDE;

/// Largest request body: the same limit as an image file's ([`crate::qr::MAX_IMAGE_BYTES`]).
pub const MAX_BODY: usize = crate::qr::MAX_IMAGE_BYTES;
/// Event streams open at once: a kiosk or two, a monitor; beyond this, 503.
pub const MAX_SUBSCRIBERS: usize = 8;
/// Images decoded at once through the API (each may take a core for a second); beyond
/// this, 429 and `Retry-After`. Record bytes are not counted: they cost microseconds.
pub const MAX_DECODES: usize = 2;
/// The content type of a record's own bytes. `text/plain`, form types and
/// `application/octet-stream` are refused: a page of another origin can send those
/// without asking.
pub const RECORD_TYPE: &str = "application/vnd.kg-stay.record";

const KIOSK: &str = include_str!("kiosk.html");

/// The router's state: the desk and the limits its clients share.
#[derive(Clone)]
struct Api {
    desk: Arc<Desk>,
    subscribers: Arc<Semaphore>,
    decodes: Arc<Semaphore>,
}

pub fn router(desk: Arc<Desk>, access: Arc<Access>) -> Router {
    let api = Api {
        desk,
        subscribers: Arc::new(Semaphore::new(MAX_SUBSCRIBERS)),
        decodes: Arc::new(Semaphore::new(MAX_DECODES)),
    };
    Router::new()
        .route("/", get(kiosk))
        .route("/api/status", get(status))
        .route("/api/verdicts", get(verdicts))
        .route("/api/events", get(events))
        .route("/api/verify", post(verify))
        .route("/api/trust-list/refresh", post(refresh))
        .route("/api/can", post(can))
        .route("/api/portraits/{id}", get(portrait))
        .route("/api/messages/{language}", get(messages))
        .layer(DefaultBodyLimit::max(MAX_BODY))
        .with_state(api)
        .layer(axum::middleware::from_fn_with_state(
            access,
            crate::access::layer,
        ))
}

/// Every message of one language as a `{name}` template, for the kiosk to render events
/// in the language it shows (the codes it receives never change with it).
async fn messages(axum::extract::Path(code): axum::extract::Path<String>) -> Response {
    match stay_std::messages::Language::from_code(&code) {
        Some(language) => Json(stay_std::messages::messages(language).templates()).into_response(),
        None => problem(
            StatusCode::NOT_FOUND,
            format!("no language {code:?}: ky, ru or en"),
        ),
    }
}

/// Only a portrait that matched its record's digest is ever kept, so only the issued face
/// is served; 404 once the desk let it go.
async fn portrait(
    State(Api { desk, .. }): State<Api>,
    axum::extract::Path(id): axum::extract::Path<u64>,
) -> Response {
    match desk.portrait_of(id) {
        Some(jpeg) => (
            [(header::CONTENT_TYPE, "image/jpeg")],
            Bytes::from(jpeg.as_ref().clone()),
        )
            .into_response(),
        None => problem(
            StatusCode::NOT_FOUND,
            format!("no portrait kept for verdict {id}"),
        ),
    }
}

async fn kiosk() -> Html<&'static str> {
    Html(KIOSK)
}

async fn status(State(Api { desk, .. }): State<Api>) -> Json<serde_json::Value> {
    let counters = &desk.audit.counters;
    Json(json!({
        "role": desk.config.role().name(),
        "employer_tin": desk.config.employer_tin,
        "trust_list": desk.trust.status(desk.config.now(), &desk.policy),
        "fixed_time": desk.config.fixed_time,
        "language": desk.config.language.language().code(),
        "languages": stay_std::messages::Language::ALL
            .map(|l| json!({"code": l.code(), "name": l.own_name()})),
        "verdicts": desk.verdicts.load(Ordering::Relaxed),
        "audit": {
            "written": counters.written.load(Ordering::Relaxed),
            "dropped": counters.dropped.load(Ordering::Relaxed),
            "failed": counters.failed.load(Ordering::Relaxed),
            "pending": counters.pending.load(Ordering::Relaxed),
        },
    }))
}

#[derive(Deserialize)]
struct Limit {
    limit: Option<usize>,
}

async fn verdicts(
    State(Api { desk, .. }): State<Api>,
    Query(q): Query<Limit>,
) -> impl IntoResponse {
    Json(desk.recent(q.limit.unwrap_or(50).min(RECENT)))
}

async fn events(State(api): State<Api>) -> Response {
    let Ok(permit) = api.subscribers.clone().try_acquire_owned() else {
        return problem(
            StatusCode::SERVICE_UNAVAILABLE,
            format!("{MAX_SUBSCRIBERS} event streams are open already"),
        );
    };
    let stream = BroadcastStream::new(api.desk.subscribe()).map(move |item| {
        // The stream holds its place until the client goes.
        let _held = &permit;
        Ok::<_, Infallible>(match item {
            Ok(event) => SseEvent::default()
                .event(match event.kind {
                    Kind::Verdict => "verdict",
                    Kind::Portrait => "portrait",
                    _ => "notice",
                })
                .id(event.id.to_string())
                .json_data(&*event)
                .unwrap_or_else(|_| SseEvent::default().comment("unserializable event")),
            Err(BroadcastStreamRecvError::Lagged(n)) => {
                SseEvent::default().event("lagged").data(n.to_string())
            }
        })
    });
    Sse::new(stream)
        .keep_alive(KeepAlive::new().interval(Duration::from_secs(15)))
        .into_response()
}

fn problem(status: StatusCode, message: String) -> Response {
    (status, Json(json!({ "error": message }))).into_response()
}

/// Why a `POST /api/verify` body gave no record to verify.
#[derive(Debug, thiserror::Error)]
pub enum BodyError {
    #[error("content type {0:?}: send image/png, image/jpeg or {RECORD_TYPE}")]
    UnsupportedType(String),
    #[error(transparent)]
    Image(#[from] crate::qr::ImageError),
    #[error("{0}")]
    NoRecord(String),
}

impl BodyError {
    fn status(&self) -> StatusCode {
        match self {
            BodyError::UnsupportedType(_) => StatusCode::UNSUPPORTED_MEDIA_TYPE,
            _ => StatusCode::UNPROCESSABLE_ENTITY,
        }
    }
}

/// What a body's content type says it is.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum BodyKind {
    Record,
    Image,
}

/// The body's kind from its `Content-Type` (parameters ignored); anything else is refused.
pub fn body_kind(content_type: &str) -> Result<BodyKind, BodyError> {
    let essence = content_type
        .split(';')
        .next()
        .unwrap_or_default()
        .trim()
        .to_ascii_lowercase();
    match essence.as_str() {
        RECORD_TYPE => Ok(BodyKind::Record),
        "image/png" | "image/jpeg" => Ok(BodyKind::Image),
        _ => Err(BodyError::UnsupportedType(essence)),
    }
}

/// The record a `POST /api/verify` body carries: the bytes themselves, or the one QR code
/// an image shows (decoded within [`crate::qr::image_from_bytes`]'s limits).
pub fn record_from_body(content_type: &str, body: &[u8]) -> Result<Vec<u8>, BodyError> {
    match body_kind(content_type)? {
        BodyKind::Record => Ok(body.to_vec()),
        BodyKind::Image => {
            let image = crate::qr::image_from_bytes(body)?;
            crate::qr::single_record(crate::qr::decode(image))
                .map_err(|e| BodyError::NoRecord(e.to_string()))
        }
    }
}

async fn verify(State(api): State<Api>, headers: HeaderMap, body: Bytes) -> Response {
    let content_type = headers
        .get(header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .unwrap_or_default()
        .to_string();
    let kind = match body_kind(&content_type) {
        Ok(kind) => kind,
        Err(e) => return problem(e.status(), e.to_string()),
    };
    if body.is_empty() {
        return problem(StatusCode::BAD_REQUEST, "empty body".into());
    }
    let permit = match kind {
        BodyKind::Record => None,
        BodyKind::Image => match api.decodes.clone().try_acquire_owned() {
            Ok(permit) => Some(permit),
            Err(_) => {
                let mut busy = problem(
                    StatusCode::TOO_MANY_REQUESTS,
                    format!("{MAX_DECODES} images are being decoded; try again"),
                );
                busy.headers_mut()
                    .insert(header::RETRY_AFTER, header::HeaderValue::from_static("1"));
                return busy;
            }
        },
    };
    let desk = api.desk.clone();
    let task = tokio::task::spawn_blocking(move || {
        let _decoding = permit;
        let record = record_from_body(&content_type, &body)?;
        Ok::<_, BodyError>(desk.printed(&record, "api"))
    });
    match task.await {
        Ok(Ok(event)) => Json(&*event).into_response(),
        Ok(Err(e)) => problem(e.status(), e.to_string()),
        Err(e) => problem(StatusCode::INTERNAL_SERVER_ERROR, e.to_string()),
    }
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct CanBody {
    can: String,
}

/// The CAN typed at the kiosk. JSON only: a page of another origin cannot send it without
/// a preflight, which the access layer refuses.
async fn can(State(api): State<Api>, headers: HeaderMap, body: Bytes) -> Response {
    let json = headers
        .get(header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.split(';').next())
        .is_some_and(|v| v.trim().eq_ignore_ascii_case("application/json"));
    if !json {
        return problem(
            StatusCode::UNSUPPORTED_MEDIA_TYPE,
            "the CAN comes as application/json".into(),
        );
    }
    let Ok(CanBody { can }) = serde_json::from_slice::<CanBody>(&body) else {
        return problem(
            StatusCode::BAD_REQUEST,
            "expected {\"can\": \"123456\"}".into(),
        );
    };
    match stay_core::pace::Can::parse(can.trim()) {
        Ok(can) => Json(&*api.desk.offer_can(can, "kiosk")).into_response(),
        Err(_) => problem(
            StatusCode::UNPROCESSABLE_ENTITY,
            "the CAN is the six digits printed on the card's face".into(),
        ),
    }
}

async fn refresh(State(Api { desk, .. }): State<Api>) -> Response {
    let task = tokio::task::spawn_blocking(move || desk.refresh_trust_list());
    match task.await {
        Ok(outcome) => Json(outcome).into_response(),
        Err(e) => problem(StatusCode::INTERNAL_SERVER_ERROR, e.to_string()),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn png(width: u32, height: u32) -> Vec<u8> {
        let mut bytes = Vec::new();
        image::GrayImage::from_pixel(width, height, image::Luma([255]))
            .write_to(
                &mut std::io::Cursor::new(&mut bytes),
                image::ImageFormat::Png,
            )
            .unwrap();
        bytes
    }

    #[test]
    fn an_image_wider_than_the_limit_is_refused_before_it_is_decoded() {
        let refused = record_from_body("image/png", &png(MAX_IMAGE_SIDE + 1, 1)).unwrap_err();
        // At the limit it is decoded, and found to show no code.
        assert!(
            refused.to_string().starts_with("not a readable image"),
            "{refused}"
        );
        let decoded = record_from_body("image/png", &png(MAX_IMAGE_SIDE, 1)).unwrap_err();
        assert_eq!(decoded.to_string(), "no readable QR code");
    }

    #[test]
    fn record_bytes_pass_through_and_garbage_images_are_refused() {
        assert_eq!(
            record_from_body("application/vnd.kg-stay.record; x=1", b"\x30\x01\x02").unwrap(),
            b"\x30\x01\x02".to_vec()
        );
        assert!(matches!(
            record_from_body("image/jpeg", b"\xFF\xD8 not really"),
            Err(BodyError::Image(_))
        ));
    }

    #[test]
    fn types_a_foreign_page_can_send_without_asking_are_refused() {
        for content_type in [
            "text/plain",
            "text/plain;charset=UTF-8",
            "application/x-www-form-urlencoded",
            "multipart/form-data; boundary=x",
            "application/octet-stream",
            "image/svg+xml",
            "",
        ] {
            let refused = record_from_body(content_type, b"\x30\x01\x02").unwrap_err();
            assert!(
                matches!(refused, BodyError::UnsupportedType(_))
                    && refused.status() == StatusCode::UNSUPPORTED_MEDIA_TYPE,
                "{content_type}: {refused}"
            );
        }
    }
}
