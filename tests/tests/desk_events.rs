//! The desk's events in-process: a stream subscriber that falls behind is told how many
//! events it missed, then carries on with the newest; a camera that fails is reported once,
//! retried, and reported again when its frames come back.

use std::future::IntoFuture;
use std::sync::atomic::AtomicBool;
use std::sync::Arc;

use reader_host::desk::{Desk, Kind, STREAM_BUFFER};
use reader_host::frames::{scan, Frame, FrameSource};
use stay_tests::Fixture;
use tokio::io::{AsyncReadExt, AsyncWriteExt};

fn desk(dir: &std::path::Path) -> Arc<Desk> {
    stay_tests::in_process_desk(dir, None)
}

/// Reads from `stream` until `buffer` holds `needle` `times` times (bounded by the caller's
/// timeout).
async fn read_until(
    stream: &mut tokio::net::TcpStream,
    buffer: &mut String,
    needle: &str,
    times: usize,
) {
    let mut chunk = [0u8; 16 * 1024];
    while buffer.matches(needle).count() < times {
        let n = stream.read(&mut chunk).await.unwrap();
        assert!(n > 0, "the stream ended; so far:\n{buffer}");
        buffer.push_str(std::str::from_utf8(&chunk[..n]).unwrap());
    }
}

// One thread: while the test publishes, the server cannot drain the subscriber, exactly as
// when a kiosk's connection stalls.
#[tokio::test(flavor = "current_thread")]
async fn a_lagging_subscriber_is_told_what_it_missed_and_gets_the_newest() {
    let dir = tempfile::tempdir().unwrap();
    let desk = desk(dir.path());
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    let token = reader_host::access::DeskToken::open_or_create(dir.path()).unwrap();
    let access = reader_host::access::Access::new(token.clone(), None);
    tokio::spawn(
        axum::serve(listener, reader_host::http::router(desk.clone(), access)).into_future(),
    );

    let mut client = tokio::net::TcpStream::connect(addr).await.unwrap();
    client
        .write_all(
            format!(
                "GET /api/events?token={} HTTP/1.1\r\nhost: {addr}\r\naccept: text/event-stream\r\n\r\n",
                token.as_str()
            )
            .as_bytes(),
        )
        .await
        .unwrap();
    let mut seen = String::new();
    let timeout = std::time::Duration::from_secs(20);
    // The headers come once the handler has subscribed.
    tokio::time::timeout(timeout, read_until(&mut client, &mut seen, "\r\n\r\n", 1))
        .await
        .expect("response headers");
    assert!(seen.starts_with("HTTP/1.1 200"), "{seen}");
    assert!(seen.contains("text/event-stream"), "{seen}");

    const MISSED: usize = 44;
    let published = STREAM_BUFFER + MISSED;
    for i in 1..=published {
        desk.announce(
            Kind::TrustList,
            "test",
            reader_host::desk::Notice::new("notice-trust-list")
                .arg("result", i)
                .arg("detail", "test"),
        );
    }
    tokio::time::timeout(
        timeout,
        read_until(&mut client, &mut seen, "event: notice", STREAM_BUFFER),
    )
    .await
    .expect("the buffered events");

    let body = &seen[seen.find("\r\n\r\n").unwrap()..];
    let lagged = body.find("event: lagged").expect("a lagged event");
    assert!(
        body[lagged..].starts_with(&format!("event: lagged\ndata: {MISSED}\n")),
        "{}",
        &body[lagged..lagged + 40]
    );
    // Then the newest STREAM_BUFFER events, in order, the first of them right after the gap.
    let first = body.find("event: notice").unwrap();
    assert!(lagged < first, "the notice of the gap comes first");
    assert!(body[first..].starts_with(&format!("event: notice\nid: {}\n", MISSED + 1)));
    let message = |i: usize| format!("trust list refresh: {i} (test)");
    assert!(body.contains(&format!("\"message\":\"{}\"", message(published))));
    assert!(!body.contains(&format!("\"message\":\"{}\"", message(44))));
    // The desk itself kept its own recent list whole.
    assert_eq!(desk.recent(1)[0].message, message(published));
}

/// A camera that fails twice (unplugged), then shows a stay-record QR code, then ends.
struct FlakyCamera {
    failures: usize,
    frames: Vec<image::GrayImage>,
}

impl FrameSource for FlakyCamera {
    fn next_frame(&mut self, _stop: &AtomicBool) -> Option<anyhow::Result<Frame>> {
        if self.failures > 0 {
            self.failures -= 1;
            return Some(Err(anyhow::anyhow!("cannot open camera 3")));
        }
        self.frames.pop().map(|image| {
            Ok(Frame {
                image,
                origin: "camera:3".into(),
            })
        })
    }

    fn device(&self) -> Option<&str> {
        Some("camera:3")
    }
}

#[test]
fn a_failing_camera_is_reported_once_and_again_when_it_is_back() {
    let dir = tempfile::tempdir().unwrap();
    let desk = desk(dir.path());
    let fixture = Fixture::new();
    let record = fixture.record(&stay_tests::golden::unified_window("UW0000001"));
    let code = issuer::qr::png(&record).unwrap();
    let mut camera = FlakyCamera {
        failures: 2,
        // The same code in three frames: one showing, one verdict.
        frames: vec![code.clone(), code.clone(), code],
    };
    scan(&mut camera, &desk, &AtomicBool::new(false));
    let kinds: Vec<(Kind, String)> = desk
        .recent(10)
        .iter()
        .rev()
        .map(|e| (e.kind, e.source.clone()))
        .collect();
    assert_eq!(
        kinds,
        [
            (Kind::SourceUnavailable, "camera:3".to_string()),
            (Kind::SourceBack, "camera:3".to_string()),
            (Kind::Verdict, "camera:3".to_string()),
        ]
    );
    assert!(desk.recent(10)[2].message.contains("cannot open camera 3"));
}

/// A rehearsal desk's frozen clock is said on every verdict, so no one takes its VALID
/// for today's; a desk on the clock says nothing of the kind.
#[test]
fn a_frozen_clock_is_said_on_every_verdict() {
    let fixture = Fixture::new();
    let record = fixture.record(&stay_tests::golden::unified_window("UW0000001"));
    let dir = tempfile::tempdir().unwrap();
    let frozen = stay_tests::in_process_desk(dir.path(), Some(fixture.now));
    let event = frozen.verify(&record, None, "test");
    let at = stay_std::clock::format_rfc3339(fixture.now);
    let verdict = event.verdict.as_ref().unwrap();
    assert_eq!(verdict["fixed_time"], at.as_str(), "{verdict}");
    assert!(
        event
            .message
            .starts_with(&format!("[FIXED TIME {at}, not the clock]")),
        "{}",
        event.message
    );
    let dir = tempfile::tempdir().unwrap();
    let live = stay_tests::in_process_desk(dir.path(), None);
    let event = live.verify(&record, None, "test");
    assert!(event.verdict.as_ref().unwrap().get("fixed_time").is_none());
    assert!(!event.message.contains("FIXED TIME"), "{}", event.message);
}

/// A card face shown to the camera keeps its CAN for the next card, but does not replace a
/// CAN already waiting (typed, or from an earlier face): any QR code in front of the camera
/// could otherwise swap the guard's CAN. A CAN is used once.
#[test]
fn a_card_face_does_not_replace_a_waiting_can() {
    let dir = tempfile::tempdir().unwrap();
    let desk = desk(dir.path());
    let fixture = Fixture::new();
    let record = fixture.record(&fixture.holder());
    let face = |digits: &str| {
        let can = stay_core::pace::Can::parse(digits).unwrap();
        let mut payload = vec![0u8; record.len() + stay_core::card_face::CAN_OBJECT_LEN];
        let n = stay_core::card_face::write(&record, &can, &mut payload).unwrap();
        payload.truncate(n);
        payload
    };
    let first = desk.printed(&face("111111"), "camera");
    assert_eq!(first.kind, Kind::CanReady);
    assert!(desk.can_pending());
    let second = desk.printed(&face("222222"), "camera");
    assert_eq!(second.kind, Kind::CanReady);
    assert!(
        second.message.contains("first one given"),
        "{}",
        second.message
    );
    assert_eq!(desk.take_can().unwrap().digits(), b"111111");
    assert!(desk.take_can().is_none(), "a CAN opened two cards");
    // Once used, the next face is taken.
    desk.printed(&face("333333"), "camera");
    assert_eq!(desk.take_can().unwrap().digits(), b"333333");
}
