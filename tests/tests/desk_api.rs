//! The desk's HTTP API against the requests a hostile web page on the desk's own machine
//! makes: DNS rebinding, no-cors and form posts, a foreign `Origin`, no token; and the
//! limits every client shares. Each request is sent as raw HTTP over a real socket, exactly
//! as a browser would send it; the desk is the one `reader-host serve` builds.

use std::io::{Read, Write};
use std::net::{SocketAddr, TcpStream};
use std::sync::atomic::Ordering;
use std::sync::Arc;
use std::time::Duration;

use reader_host::access::{Access, DeskToken};
use reader_host::desk::Desk;
use reader_host::http::{MAX_SUBSCRIBERS, RECORD_TYPE};

struct Served {
    addr: SocketAddr,
    desk: Arc<Desk>,
    token: String,
    _dir: tempfile::TempDir,
    _runtime: tokio::runtime::Runtime,
}

fn serve() -> Served {
    let dir = tempfile::tempdir().unwrap();
    let desk = stay_tests::in_process_desk(dir.path(), Some(stay_tests::Fixture::new().now));
    let token = DeskToken::open_or_create(dir.path()).unwrap();
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()
        .unwrap();
    let listener = runtime
        .block_on(tokio::net::TcpListener::bind("127.0.0.1:0"))
        .unwrap();
    let addr = listener.local_addr().unwrap();
    let router = reader_host::http::router(desk.clone(), Access::new(token.clone(), None));
    runtime.spawn(async move { axum::serve(listener, router).await });
    Served {
        addr,
        desk,
        token: token.as_str().to_string(),
        _dir: dir,
        _runtime: runtime,
    }
}

/// Sends `head` (request line and headers, without the final blank line) and `body`;
/// the status code and the whole answer.
fn send(addr: SocketAddr, head: &str, body: &[u8]) -> (u16, String) {
    let mut stream = TcpStream::connect(addr).unwrap();
    stream
        .set_read_timeout(Some(Duration::from_secs(180)))
        .unwrap();
    let request = format!(
        "{head}\r\nContent-Length: {}\r\nConnection: close\r\n\r\n",
        body.len()
    );
    stream.write_all(request.as_bytes()).unwrap();
    stream.write_all(body).unwrap();
    let mut answer = Vec::new();
    let _ = stream.read_to_end(&mut answer);
    let answer = String::from_utf8_lossy(&answer).into_owned();
    let status = answer
        .split_whitespace()
        .nth(1)
        .and_then(|s| s.parse().ok())
        .unwrap_or(0);
    (status, answer)
}

fn record() -> Vec<u8> {
    let fixture = stay_tests::Fixture::new();
    fixture.record(&stay_tests::golden::unified_window("UW0000001"))
}

#[test]
fn a_rebound_name_reads_nothing_even_with_the_token() {
    let s = serve();
    let port = s.addr.port();
    for path in ["/", "/api/verdicts", "/api/status", "/api/events"] {
        let (status, answer) = send(
            s.addr,
            &format!(
                "GET {path} HTTP/1.1\r\nHost: evil.example:{port}\r\nAuthorization: Bearer {}",
                s.token
            ),
            b"",
        );
        assert_eq!(status, 421, "{path}: {answer}");
        assert!(!answer.contains("SMIRNOVA") && !answer.contains("<html"));
    }
    // The desk's own names still work.
    for host in [format!("127.0.0.1:{port}"), format!("localhost:{port}")] {
        let (status, answer) = send(
            s.addr,
            &format!(
                "GET /api/status HTTP/1.1\r\nHost: {host}\r\nAuthorization: Bearer {}",
                s.token
            ),
            b"",
        );
        assert_eq!(status, 200, "{host}: {answer}");
    }
}

#[test]
fn a_no_cors_post_from_another_page_injects_no_verdict() {
    let s = serve();
    let host = format!("Host: 127.0.0.1:{}", s.addr.port());
    let record = record();
    // fetch(..., {method: "POST", mode: "no-cors", headers: {"Content-Type": "text/plain"}})
    // from http://evil.example: the browser adds Origin and Sec-Fetch-Site, and cannot add
    // the token.
    let (status, answer) = send(
        s.addr,
        &format!(
            "POST /api/verify HTTP/1.1\r\n{host}\r\nOrigin: http://evil.example\r\n\
             Sec-Fetch-Site: cross-site\r\nSec-Fetch-Mode: no-cors\r\n\
             Content-Type: text/plain;charset=UTF-8"
        ),
        &record,
    );
    assert_eq!(status, 403, "{answer}");
    // An older browser that sends no Origin: still no token.
    let (status, _) = send(
        s.addr,
        &format!("POST /api/verify HTTP/1.1\r\n{host}\r\nContent-Type: text/plain"),
        &record,
    );
    assert_eq!(status, 401);
    // A form post.
    let (status, _) = send(
        s.addr,
        &format!(
            "POST /api/verify HTTP/1.1\r\n{host}\r\nOrigin: null\r\n\
             Content-Type: application/x-www-form-urlencoded"
        ),
        b"record=1",
    );
    assert_eq!(status, 403);
    // The token with a type any page may send without asking: refused too.
    let (status, answer) = send(
        s.addr,
        &format!(
            "POST /api/verify HTTP/1.1\r\n{host}\r\nAuthorization: Bearer {}\r\nContent-Type: text/plain",
            s.token
        ),
        &record,
    );
    assert_eq!(status, 415, "{answer}");
    // The trust-list refresh is no open door either.
    let (status, _) = send(
        s.addr,
        &format!("POST /api/trust-list/refresh HTTP/1.1\r\n{host}\r\nOrigin: http://evil.example"),
        b"",
    );
    assert_eq!(status, 403);
    let (status, _) = send(
        s.addr,
        &format!("POST /api/trust-list/refresh HTTP/1.1\r\n{host}"),
        b"",
    );
    assert_eq!(status, 401);
    assert_eq!(s.desk.verdicts.load(Ordering::Relaxed), 0);
    assert!(s.desk.recent(10).is_empty(), "nothing reached the desk");

    // The desk's own program: its token, its content type.
    let (status, answer) = send(
        s.addr,
        &format!(
            "POST /api/verify HTTP/1.1\r\n{host}\r\nAuthorization: Bearer {}\r\nContent-Type: {RECORD_TYPE}",
            s.token
        ),
        &record,
    );
    assert_eq!(status, 200, "{answer}");
    assert!(answer.contains("\"status\":\"valid\""), "{answer}");
    assert_eq!(s.desk.verdicts.load(Ordering::Relaxed), 1);
}

#[test]
fn every_answer_forbids_framing_caching_and_sniffing() {
    let s = serve();
    let (status, answer) = send(
        s.addr,
        &format!("GET / HTTP/1.1\r\nHost: 127.0.0.1:{}", s.addr.port()),
        b"",
    );
    assert_eq!(status, 200);
    let head = answer[..answer.find("\r\n\r\n").unwrap()].to_ascii_lowercase();
    for header in [
        "x-frame-options: deny",
        "cache-control: no-store",
        "x-content-type-options: nosniff",
        "referrer-policy: no-referrer",
        "frame-ancestors 'none'",
    ] {
        assert!(head.contains(header), "{header} missing in {head}");
    }
}

#[test]
fn event_streams_are_capped_and_a_closed_one_frees_its_place() {
    let s = serve();
    let open = |s: &Served| {
        let mut stream = TcpStream::connect(s.addr).unwrap();
        stream
            .set_read_timeout(Some(Duration::from_secs(180)))
            .unwrap();
        write!(
            stream,
            "GET /api/events?token={} HTTP/1.1\r\nHost: 127.0.0.1:{}\r\n\r\n",
            s.token,
            s.addr.port()
        )
        .unwrap();
        let mut head = [0u8; 12];
        stream.read_exact(&mut head).unwrap();
        (String::from_utf8_lossy(&head).into_owned(), stream)
    };
    let mut streams: Vec<TcpStream> = (0..MAX_SUBSCRIBERS)
        .map(|i| {
            let (head, stream) = open(&s);
            assert_eq!(head, "HTTP/1.1 200", "stream {i}");
            stream
        })
        .collect();
    let (head, _) = open(&s);
    assert_eq!(head, "HTTP/1.1 503");
    // One kiosk goes away: its place is free again (once the server notices the close).
    drop(streams.pop());
    let deadline = std::time::Instant::now() + Duration::from_secs(30);
    loop {
        // The server notices a closed stream when it next writes to it.
        s.desk.announce(
            reader_host::desk::Kind::TrustList,
            "test",
            reader_host::desk::Notice::new("notice-source-back"),
        );
        let (head, stream) = open(&s);
        if head == "HTTP/1.1 200" {
            streams.push(stream);
            break;
        }
        assert!(
            std::time::Instant::now() < deadline,
            "the place never came free"
        );
        std::thread::sleep(Duration::from_millis(50));
    }
}

#[test]
fn images_decoded_at_once_are_capped() {
    let s = serve();
    // Noise: no code, so every strategy is tried (seconds for 560x560 in a debug build:
    // far longer than three requests take to arrive, far shorter than `send` waits).
    let mut noise = image::GrayImage::new(560, 560);
    let mut x: u32 = 0x1234_5678;
    for p in noise.pixels_mut() {
        x ^= x << 13;
        x ^= x >> 17;
        x ^= x << 5;
        *p = image::Luma([(x >> 24) as u8]);
    }
    let mut png = Vec::new();
    noise
        .write_to(&mut std::io::Cursor::new(&mut png), image::ImageFormat::Png)
        .unwrap();
    assert!(png.len() < reader_host::http::MAX_BODY);
    let png = Arc::new(png);
    let head = format!(
        "POST /api/verify HTTP/1.1\r\nHost: 127.0.0.1:{}\r\nAuthorization: Bearer {}\r\nContent-Type: image/png",
        s.addr.port(),
        s.token
    );
    // One more than the cap, all at once: the last to arrive is told to come back.
    let clients: Vec<_> = (0..=reader_host::http::MAX_DECODES)
        .map(|_| {
            let (addr, head, png) = (s.addr, head.clone(), png.clone());
            std::thread::spawn(move || send(addr, &head, &png))
        })
        .collect();
    let answers: Vec<(u16, String)> = clients.into_iter().map(|c| c.join().unwrap()).collect();
    let mut statuses: Vec<u16> = answers.iter().map(|(status, _)| *status).collect();
    statuses.sort();
    assert_eq!(statuses, [422, 422, 429], "{answers:?}");
    let (_, refused) = answers.iter().find(|(status, _)| *status == 429).unwrap();
    assert!(
        refused.to_ascii_lowercase().contains("retry-after: 1"),
        "{refused}"
    );
    // Record bytes are never held up by decodes.
    let (status, _) = send(
        s.addr,
        &format!(
            "POST /api/verify HTTP/1.1\r\nHost: 127.0.0.1:{}\r\nAuthorization: Bearer {}\r\nContent-Type: {RECORD_TYPE}",
            s.addr.port(),
            s.token
        ),
        &record(),
    );
    assert_eq!(status, 200);
}
