//! The daemon's HTTP side: the kiosk page, a JSON API and the event stream (SSE).
//!
//! | route | what |
//! |---|---|
//! | `GET /` | the kiosk page |
//! | `GET /api/status` | role, trust list (age, state, last refresh), counters |
//! | `GET /api/verdicts?limit=N` | recent events, newest first (N ≤ 200) |
//! | `GET /api/events` | server-sent events: every event as it happens |
//! | `POST /api/verify` | body: a QR image (`image/*`) or record bytes; answers the event |
//! | `POST /api/trust-list/refresh` | refresh the trust list now; answers the outcome |
//!
//! Bodies are capped at [`MAX_BODY`]; verifications run on the blocking pool, so a slow
//! QR decode never stalls the event stream.

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
use futures_util::{Stream, StreamExt};
use serde::Deserialize;
use serde_json::json;
use tokio_stream::wrappers::errors::BroadcastStreamRecvError;
use tokio_stream::wrappers::BroadcastStream;

use crate::desk::{Desk, Kind, RECENT};

/// Largest request body: a phone photo of a QR code fits; nothing much bigger is needed.
pub const MAX_BODY: usize = 8 * 1024 * 1024;

const KIOSK: &str = include_str!("kiosk.html");

pub fn router(desk: Arc<Desk>) -> Router {
    Router::new()
        .route("/", get(kiosk))
        .route("/api/status", get(status))
        .route("/api/verdicts", get(verdicts))
        .route("/api/events", get(events))
        .route("/api/verify", post(verify))
        .route("/api/trust-list/refresh", post(refresh))
        .layer(DefaultBodyLimit::max(MAX_BODY))
        .with_state(desk)
}

async fn kiosk() -> Html<&'static str> {
    Html(KIOSK)
}

async fn status(State(desk): State<Arc<Desk>>) -> Json<serde_json::Value> {
    let counters = &desk.audit.counters;
    Json(json!({
        "role": desk.config.role().name(),
        "employer_tin": desk.config.employer_tin,
        "trust_list": desk.trust.status(desk.config.now(), &desk.policy),
        "fixed_time": desk.config.fixed_time,
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

async fn verdicts(State(desk): State<Arc<Desk>>, Query(q): Query<Limit>) -> impl IntoResponse {
    Json(desk.recent(q.limit.unwrap_or(50).min(RECENT)))
}

async fn events(
    State(desk): State<Arc<Desk>>,
) -> Sse<impl Stream<Item = Result<SseEvent, Infallible>>> {
    let stream = BroadcastStream::new(desk.subscribe()).map(|item| {
        Ok(match item {
            Ok(event) => SseEvent::default()
                .event(match event.kind {
                    Kind::Verdict => "verdict",
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
    Sse::new(stream).keep_alive(KeepAlive::new().interval(Duration::from_secs(15)))
}

fn problem(status: StatusCode, message: String) -> Response {
    (status, Json(json!({ "error": message }))).into_response()
}

/// The widest and tallest image `POST /api/verify` decodes (a 24-megapixel camera's photo
/// is 6000x4000).
pub const MAX_IMAGE_SIDE: u32 = 6000;

/// The record a `POST /api/verify` body carries: the bytes themselves, or the one QR code
/// an image (`image/*`) shows. The error is the answer's message.
pub fn record_from_body(content_type: &str, body: &[u8]) -> Result<Vec<u8>, String> {
    if content_type.starts_with("image/") {
        // A small file can declare a huge picture: the decoder stops at MAX_IMAGE_SIDE.
        let mut reader = image::ImageReader::new(std::io::Cursor::new(body))
            .with_guessed_format()
            .map_err(|e| format!("not a readable image: {e}"))?;
        let mut limits = image::Limits::default();
        limits.max_image_width = Some(MAX_IMAGE_SIDE);
        limits.max_image_height = Some(MAX_IMAGE_SIDE);
        reader.limits(limits);
        let image = reader
            .decode()
            .map_err(|e| format!("not a readable image: {e}"))?
            .to_luma8();
        crate::qr::single_record(crate::qr::decode(image)).map_err(|e| e.to_string())
    } else {
        Ok(body.to_vec())
    }
}

async fn verify(State(desk): State<Arc<Desk>>, headers: HeaderMap, body: Bytes) -> Response {
    let content_type = headers
        .get(header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .unwrap_or("application/octet-stream")
        .to_string();
    if body.is_empty() {
        return problem(StatusCode::BAD_REQUEST, "empty body".into());
    }
    let task = tokio::task::spawn_blocking(move || {
        let record = record_from_body(&content_type, &body)?;
        Ok::<_, String>(desk.verify(&record, None, "api"))
    });
    match task.await {
        Ok(Ok(event)) => Json(&*event).into_response(),
        Ok(Err(message)) => problem(StatusCode::UNPROCESSABLE_ENTITY, message),
        Err(e) => problem(StatusCode::INTERNAL_SERVER_ERROR, e.to_string()),
    }
}

async fn refresh(State(desk): State<Arc<Desk>>) -> Response {
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
        assert!(refused.starts_with("not a readable image"), "{refused}");
        // At the limit it is decoded, and found to show no code.
        let decoded = record_from_body("image/png", &png(MAX_IMAGE_SIDE, 1)).unwrap_err();
        assert_eq!(decoded, "no readable QR code");
    }

    #[test]
    fn record_bytes_pass_through_and_garbage_images_are_refused() {
        assert_eq!(
            record_from_body("application/octet-stream", b"\x30\x01\x02"),
            Ok(b"\x30\x01\x02".to_vec())
        );
        assert!(record_from_body("image/jpeg", b"\xFF\xD8 not really").is_err());
    }
}
