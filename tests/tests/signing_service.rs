//! The signing service (`issuer serve`) over real HTTP on loopback: who may ask, what it
//! refuses and why, a number signed once, and the check a station makes on its answers.

use issuer::service::{SIGNER_PATH, SIGN_PATH};
use issuer::{Holder, KeyPair};
use rusqlite::Connection;
use stay_core::{Check, Date, DocumentType, Policy, Role, Status, TrustListContent};
use stay_tests::signing::{self, RunningService, TOKEN};
use stay_tests::Fixture;

/// Sends `body` to the service; the status and the body of the answer, whatever they are.
fn post(service: &RunningService, auth: Option<&str>, body: &[u8]) -> (u16, Vec<u8>) {
    let mut request =
        ureq::post(&format!("{}{SIGN_PATH}", service.url)).set("Content-Type", "application/json");
    if let Some(auth) = auth {
        request = request.set("Authorization", auth);
    }
    answer(request.send_bytes(body))
}

fn answer(result: Result<ureq::Response, ureq::Error>) -> (u16, Vec<u8>) {
    let response = match result {
        Ok(r) => r,
        Err(ureq::Error::Status(_, r)) => r,
        Err(e) => panic!("transport: {e}"),
    };
    let status = response.status();
    let mut body = Vec::new();
    std::io::Read::read_to_end(&mut response.into_reader(), &mut body).unwrap();
    (status, body)
}

fn sign(service: &RunningService, holder: &Holder) -> (u16, Vec<u8>) {
    post(
        service,
        Some(&format!("Bearer {TOKEN}")),
        &serde_json::to_vec(holder).unwrap(),
    )
}

fn reason(body: &[u8]) -> String {
    let v: serde_json::Value = serde_json::from_slice(body).unwrap();
    v["refused"]
        .as_str()
        .or(v["error"].as_str())
        .unwrap()
        .to_string()
}

fn register_rows(service: &RunningService, sql: &str) -> i64 {
    let db = Connection::open(&service.register).unwrap();
    db.query_row(sql, [], |r| r.get(0)).unwrap()
}

/// The golden resident card, issued on the fixture's day.
fn holder(fixture: &Fixture, number: &str) -> Holder {
    Holder {
        issue_date: fixture.now.bishkek_date().to_string(),
        ..stay_tests::golden::resident(number, Some(&fixture.chip))
    }
}

fn started(fixture: &Fixture, dir: &tempfile::TempDir) -> RunningService {
    signing::start(fixture, vec![fixture.signer.clone()], None, dir.path()).unwrap()
}

/// A POST the way a web page in the office could make one: its own headers on top.
fn post_with(service: &RunningService, headers: &[(&str, &str)], body: &[u8]) -> (u16, Vec<u8>) {
    let mut request = ureq::post(&format!("{}{SIGN_PATH}", service.url));
    for (name, value) in headers {
        request = request.set(name, value);
    }
    answer(request.send_bytes(body))
}

#[test]
fn requests_without_a_good_token_are_refused_and_never_written() {
    let fixture = Fixture::new();
    let dir = tempfile::tempdir().unwrap();
    let service = started(&fixture, &dir);
    let body = serde_json::to_vec(&holder(&fixture, "RC0000201")).unwrap();
    let wrong = format!("Bearer {}", TOKEN.replace('0', "1"));
    let basic = format!("Basic {TOKEN}");
    for auth in [
        None,
        Some(wrong.as_str()),
        Some(basic.as_str()),
        Some("Bearer "),
    ] {
        let (status, answer) = post(&service, auth, &body);
        assert_eq!(status, 401, "{auth:?}");
        assert!(!reason(&answer).is_empty());
    }
    let (status, _) = answer(ureq::get(&format!("{}{SIGNER_PATH}", service.url)).call());
    assert_eq!(status, 401);
    // Counted in memory only: no row, no sync, no register lock for a stranger.
    assert_eq!(register_rows(&service, "SELECT count(*) FROM requests"), 0);
    assert_eq!(register_rows(&service, "SELECT count(*) FROM signed"), 0);
    // The challenge a client needs to know which scheme to use.
    let response = ureq::post(&format!("{}{SIGN_PATH}", service.url)).send_bytes(&body);
    match response {
        Err(ureq::Error::Status(401, r)) => {
            assert_eq!(
                r.header("WWW-Authenticate"),
                Some("Bearer realm=\"issuer\"")
            )
        }
        other => panic!("{other:?}"),
    }
}

/// A loop of bad requests (a script, or a web page posting to loopback) gets 429 once the
/// window's failures are spent, and a genuine station still signs meanwhile.
#[test]
fn a_flood_of_bad_requests_is_rate_limited_and_genuine_signing_goes_on() {
    let fixture = Fixture::new();
    let dir = tempfile::tempdir().unwrap();
    let service = started(&fixture, &dir);
    let body = serde_json::to_vec(&holder(&fixture, "RC0000209")).unwrap();
    let wrong = format!("Bearer {}", TOKEN.replace('0', "2"));
    let limit = issuer::service::MAX_FAILURES;
    for i in 0..limit {
        assert_eq!(post(&service, Some(&wrong), &body).0, 401, "request {i}");
    }
    for i in 0..10 {
        let response = ureq::post(&format!("{}{SIGN_PATH}", service.url))
            .set("Authorization", &wrong)
            .send_bytes(&body);
        match response {
            Err(ureq::Error::Status(429, r)) => assert!(r.header("Retry-After").is_some()),
            other => panic!("request {}: {other:?}", limit + i),
        }
    }
    let (status, record) = sign(&service, &holder(&fixture, "RC0000209"));
    assert_eq!(status, 200, "{}", String::from_utf8_lossy(&record));
    assert_eq!(register_rows(&service, "SELECT count(*) FROM requests"), 1);
}

/// The station is not a browser: a request with an `Origin`, or with a body type a page may
/// send without asking (no-cors), is refused even with a good token, and does no work.
#[test]
fn browser_requests_are_refused_even_with_a_good_token() {
    let fixture = Fixture::new();
    let dir = tempfile::tempdir().unwrap();
    let service = started(&fixture, &dir);
    let body = serde_json::to_vec(&holder(&fixture, "RC0000210")).unwrap();
    let bearer = format!("Bearer {TOKEN}");
    for content_type in [
        "text/plain",
        "text/plain;charset=UTF-8",
        "application/x-www-form-urlencoded",
        "multipart/form-data; boundary=x",
    ] {
        let (status, answer) = post_with(
            &service,
            &[("Authorization", &bearer), ("Content-Type", content_type)],
            &body,
        );
        assert_eq!(status, 401, "{content_type}");
        assert!(reason(&answer).contains("stations only"), "{content_type}");
    }
    let (status, _) = post_with(
        &service,
        &[
            ("Authorization", &bearer),
            ("Content-Type", "application/json"),
            ("Origin", "http://intranet.office.kg"),
        ],
        &body,
    );
    assert_eq!(status, 401);
    assert_eq!(register_rows(&service, "SELECT count(*) FROM requests"), 0);
    assert_eq!(register_rows(&service, "SELECT count(*) FROM signed"), 0);
    assert_eq!(sign(&service, &holder(&fixture, "RC0000210")).0, 200);
}

/// The request row is written before the answer: when it cannot be, the signature is not
/// handed out (503), and the same application gets the same record once the register works.
#[test]
fn no_signature_leaves_without_its_request_row() {
    let fixture = Fixture::new();
    let dir = tempfile::tempdir().unwrap();
    let service = started(&fixture, &dir);
    let application = holder(&fixture, "RC0000211");
    let db = Connection::open(&service.register).unwrap();
    db.execute_batch(
        "CREATE TRIGGER full_disk BEFORE INSERT ON requests \
         BEGIN SELECT RAISE(FAIL, 'database or disk is full'); END;",
    )
    .unwrap();
    let (status, body) = sign(&service, &application);
    assert_eq!(status, 503, "{}", String::from_utf8_lossy(&body));
    assert!(
        reason(&body).contains("cannot note the request"),
        "{}",
        reason(&body)
    );
    assert!(stay_core::StayRecord::parse(&body).is_err());
    db.execute_batch("DROP TRIGGER full_disk;").unwrap();
    let (status, record) = sign(&service, &application);
    assert_eq!(status, 200, "{}", String::from_utf8_lossy(&record));
    assert_eq!(
        register_rows(
            &service,
            "SELECT count(*) FROM requests WHERE outcome = 'signed-again' \
             AND document_number = 'RC0000211'"
        ),
        1
    );
}

#[test]
fn what_the_policy_forbids_is_refused_with_the_reason() {
    let fixture = Fixture::new();
    let dir = tempfile::tempdir().unwrap();
    let service = started(&fixture, &dir);
    let good = holder(&fixture, "RC0000202");
    let nomad = Holder {
        document_type: "digital-nomad".into(),
        purpose: "remote-work".into(),
        ..good.clone()
    };
    let cases = [
        (
            Holder {
                valid_until: "2028-12-31".into(),
                ..good.clone()
            },
            "exceeds the 366 days",
        ),
        (
            Holder {
                itn: None,
                ..good.clone()
            },
            "taxpayer number",
        ),
        (nomad, "no local employer"),
        (
            Holder {
                pin: "2150319900012".into(),
                ..good.clone()
            },
            "pin: must be exactly 14 digits",
        ),
        // Nor into the far future: issued today, valid in 2040, it would outlive its
        // signer's period (a leaked token's best forgery).
        (
            Holder {
                valid_from: "2040-01-01".into(),
                valid_until: "2040-12-31".into(),
                ..good.clone()
            },
            "may start at most 90 days after it",
        ),
        // A station cannot date a document into the past (another key's period).
        (
            Holder {
                issue_date: "2026-01-05".into(),
                ..good.clone()
            },
            "is not today",
        ),
    ];
    for (refused, why) in &cases {
        let (status, body) = sign(&service, refused);
        assert_eq!(status, 422, "{why}");
        assert!(reason(&body).contains(why), "{} lacks {why}", reason(&body));
    }
    assert_eq!(register_rows(&service, "SELECT count(*) FROM signed"), 0);
    assert_eq!(
        register_rows(
            &service,
            "SELECT count(*) FROM requests WHERE outcome = 'refused' AND station = 'station-test'"
        ),
        cases.len() as i64
    );
}

#[test]
fn a_number_is_signed_once_and_the_record_verifies() {
    let fixture = Fixture::new();
    let dir = tempfile::tempdir().unwrap();
    let service = started(&fixture, &dir);
    let first = holder(&fixture, "RC0000203");
    let (status, record) = sign(&service, &first);
    assert_eq!(status, 200, "{}", String::from_utf8_lossy(&record));
    let list_bytes = fixture.list();
    let list = stay_core::TrustList::load(&list_bytes, &fixture.root.public_key(), None).unwrap();
    let verdict = stay_core::verify(
        &record,
        &list,
        &Check::printed(fixture.now, Role::Border, &Policy::DEFAULT),
    );
    // Genuine, signed for the chip key it names: printed, it says read the chip.
    assert_eq!(
        verdict.status,
        Status::Indeterminate(stay_core::IndeterminateReason::ChipNotRead)
    );
    assert!(verdict.authentic);
    issuer::check_sealed(&first, &record, &list, &Policy::DEFAULT).unwrap();

    // A retry after a lost answer: the very same record.
    assert_eq!(sign(&service, &first), (200, record.clone()));
    // The number for another chip: refused, and still refused by a restarted service.
    let other = Holder {
        chip_public_key: Some(hex::encode(
            KeyPair::from_seed("another chip").public_sec1(),
        )),
        ..first.clone()
    };
    let (status, body) = sign(&service, &other);
    assert_eq!(status, 409);
    assert!(reason(&body).contains("RC0000203 is already signed"));
    let restarted = started(&fixture, &dir);
    assert_eq!(sign(&restarted, &other).0, 409);
    assert_eq!(
        register_rows(&restarted, "SELECT count(*) FROM signed"),
        1,
        "one signature in the register"
    );
    assert_eq!(
        register_rows(
            &restarted,
            "SELECT count(*) FROM requests WHERE outcome = 'signed-again'"
        ),
        1
    );
}

#[test]
fn malformed_and_oversized_requests_are_refused() {
    let fixture = Fixture::new();
    let dir = tempfile::tempdir().unwrap();
    let service = started(&fixture, &dir);
    let auth = format!("Bearer {TOKEN}");
    for body in [
        &b"not json"[..],
        b"{}",
        b"[1,2,3]",
        b"{\"document_type\": 7}",
        &[0xFF, 0xFE, 0x00],
    ] {
        let (status, answer) = post(&service, Some(&auth), body);
        assert_eq!(status, 400, "{body:?}");
        assert!(reason(&answer).starts_with("not an application"));
    }
    // An unknown field is refused, not ignored: the service signs only what it checked.
    let mut extra = serde_json::to_value(holder(&fixture, "RC0000204")).unwrap();
    extra["chip_public_key_2"] = "04".into();
    let (status, _) = post(&service, Some(&auth), extra.to_string().as_bytes());
    assert_eq!(status, 400);
    let (status, _) = post(
        &service,
        Some(&auth),
        &vec![b' '; issuer::service::MAX_REQUEST + 1],
    );
    assert_eq!(status, 413);
    // The service still works.
    assert_eq!(sign(&service, &holder(&fixture, "RC0000204")).0, 200);
}

#[test]
fn each_document_type_is_signed_by_the_key_the_list_authorizes() {
    let fixture = Fixture::new();
    let dir = tempfile::tempdir().unwrap();
    let resident_key = KeyPair::from_seed("resident signer");
    let nomad_key = KeyPair::from_seed("nomad signer");
    let mut spec = fixture.list_spec(vec![]);
    let entry = |key: &KeyPair, t: DocumentType| issuer::SignerSpec {
        public_key: key.public_sec1(),
        not_before: Date::new(2025, 1, 1).unwrap(),
        not_after: Date::new(2029, 12, 31).unwrap(),
        document_types: vec![t],
    };
    spec.signers = vec![
        entry(&resident_key, DocumentType::ResidentCard),
        entry(&nomad_key, DocumentType::DigitalNomad),
    ];
    let list_bytes = spec.seal(&fixture.root).unwrap();
    let service = signing::start(
        &fixture,
        vec![nomad_key.clone(), resident_key.clone()],
        Some(list_bytes.clone()),
        dir.path(),
    )
    .unwrap();
    let resident = holder(&fixture, "RC0000205");
    let nomad = Holder {
        document_type: "digital-nomad".into(),
        document_number: "DN0000205".into(),
        purpose: "remote-work".into(),
        employer_tin: None,
        ..resident.clone()
    };
    let unified = Holder {
        document_type: "unified-window".into(),
        document_number: "UW0000205".into(),
        valid_until: "2026-12-31".into(),
        ..resident.clone()
    };
    for (h, key) in [(&resident, &resident_key), (&nomad, &nomad_key)] {
        let (status, record) = sign(&service, h);
        assert_eq!(status, 200, "{}", String::from_utf8_lossy(&record));
        let parsed = stay_core::StayRecord::parse(&record).unwrap();
        assert_eq!(parsed.fields.signer_key_id, key.key_id());
    }
    let (status, body) = sign(&service, &unified);
    assert_eq!(status, 422);
    assert!(
        reason(&body).contains("none of the signer keys may sign a unified-window"),
        "{}",
        reason(&body)
    );
    // A key the list does not name could never sign: the service does not start with it.
    let stranger = issuer::service::Service::new(
        vec![KeyPair::from_seed("stranger")],
        list_bytes,
        &fixture.root.public_key(),
        issuer::service::Tokens::parse(&issuer::service::token_line(TOKEN, "s")).unwrap(),
        &dir.path().join("other.sqlite"),
    );
    assert!(stranger
        .err()
        .unwrap()
        .to_string()
        .contains("not on the trust list"));
}

#[test]
fn a_station_accepts_only_the_record_it_asked_for() {
    let fixture = Fixture::new();
    let list_bytes = fixture.list();
    let list = TrustListContent::parse(&list_bytes).unwrap();
    let asked = holder(&fixture, "RC0000206");
    let good = issuer::sign_record(&asked, &fixture.signer, &list, &Policy::DEFAULT).unwrap();
    issuer::check_sealed(&asked, &good, &list, &Policy::DEFAULT).unwrap();
    // Another holder's record, well signed.
    let other = Holder {
        surname: "OTHER".into(),
        ..asked.clone()
    };
    let swapped = issuer::sign_record(&other, &fixture.signer, &list, &Policy::DEFAULT).unwrap();
    assert!(
        issuer::check_sealed(&asked, &swapped, &list, &Policy::DEFAULT)
            .unwrap_err()
            .contains("not the application")
    );
    // The right fields, signed by a key the list does not name.
    let rogue_key = KeyPair::from_seed("rogue");
    let app = asked.application(&Policy::DEFAULT).unwrap();
    let rogue = issuer::seal_record(&app.fields(rogue_key.key_id()), &rogue_key);
    assert!(
        issuer::check_sealed(&asked, &rogue, &list, &Policy::DEFAULT)
            .unwrap_err()
            .contains("not on the trust list")
    );
    // The right fields and signer id, a broken signature.
    let mut broken = good.clone();
    let last = broken.len() - 1;
    broken[last] ^= 1;
    assert!(issuer::check_sealed(&asked, &broken, &list, &Policy::DEFAULT).is_err());
    // Not a record at all.
    assert!(issuer::check_sealed(&asked, b"\x7f\x70", &list, &Policy::DEFAULT).is_err());
}
