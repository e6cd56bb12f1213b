//! The scanner's application on simulated hardware: a card in the field, a code at the
//! imager, the verdict shown for its time, the same card not read twice, failed reads as
//! "try again", the employer's question, and the audit ring.

mod sim;

use rand_chacha::rand_core::SeedableRng;
use std::cell::{Cell, RefCell};
use std::rc::Rc;

use firmware::imager::{encode_frame, Imager};
use firmware::messages::Language;
use firmware::pn532::Pn532;
use firmware::scanner::{
    Clock, Display, Entropy, Event, Indicators, Scanner, Source, AUDIT_LEN, SHOW_MS,
};
use firmware::screen::Outcome;
use sim::{applet_card, NoDelay, SimPn532, SimUart};
use stay_core::audit::AuditKey;
use stay_core::{IndeterminateReason, InvalidReason, Status, TrustList, UnixTime};

/// The bench scanner's audit key (set at enrolment on a real device).
const AUDIT_KEY: [u8; 32] = [0xA5; 32];

fn digest(number: &str) -> Option<[u8; 16]> {
    Some(AuditKey(AUDIT_KEY).document_digest(number))
}
use stay_tests::card::InProcessCard;
use stay_tests::Fixture;

#[derive(Clone)]
struct TestClock {
    now: UnixTime,
    millis: Rc<Cell<u64>>,
}

impl Clock for TestClock {
    fn now(&mut self) -> UnixTime {
        self.now
    }
    fn millis(&mut self) -> u64 {
        self.millis.get()
    }
}

/// What the display was last asked to show: its outcome and every text on it.
#[derive(Clone, Default)]
struct Screen(Rc<RefCell<Vec<String>>>, Rc<Cell<Option<Outcome>>>);

impl Display for Screen {
    fn show(&mut self, screen: &firmware::screen::Screen<'_>) {
        let mut texts = Vec::new();
        screen.texts(|t| texts.push(t.to_string()));
        *self.0.borrow_mut() = texts;
        self.1.set(Some(screen.outcome));
    }
}

impl Screen {
    fn outcome(&self) -> Option<Outcome> {
        self.1.get()
    }
    fn first(&self) -> String {
        self.0.borrow()[0].clone()
    }
    fn text(&self) -> String {
        self.0.borrow().join(" | ")
    }
}

struct Counter(u8);

impl Entropy for Counter {
    fn fill(&mut self, bytes: &mut [u8]) {
        self.0 = self.0.wrapping_add(1);
        bytes.fill(self.0);
    }
}

#[derive(Clone, Default)]
struct Pin(Rc<Cell<bool>>);

impl embedded_hal::digital::ErrorType for Pin {
    type Error = std::convert::Infallible;
}

impl embedded_hal::digital::OutputPin for Pin {
    fn set_low(&mut self) -> Result<(), Self::Error> {
        self.0.set(false);
        Ok(())
    }
    fn set_high(&mut self) -> Result<(), Self::Error> {
        self.0.set(true);
        Ok(())
    }
}

struct Bench {
    fixture: Fixture,
    in_field: Rc<Cell<bool>>,
    uart: SimUart,
    millis: Rc<Cell<u64>>,
    screen: Screen,
    green: Pin,
    red: Pin,
    buzzer: Pin,
}

type TestScanner<'l> =
    Scanner<'l, Pn532<SimPn532, NoDelay>, SimUart, TestClock, Screen, Counter, Pin, Pin, Pin>;

impl Bench {
    /// The fixture's card, out of the field at first.
    fn new(card: Option<sim::CardFn>) -> (Bench, SimPn532) {
        let sim = SimPn532::new(card);
        sim.in_field.set(false);
        let bench = Bench {
            fixture: Fixture::new(),
            in_field: sim.in_field.clone(),
            uart: SimUart::default(),
            millis: Rc::new(Cell::new(0)),
            screen: Screen::default(),
            green: Pin::default(),
            red: Pin::default(),
            buzzer: Pin::default(),
        };
        (bench, sim)
    }

    fn scanner<'l>(
        &self,
        sim: SimPn532,
        list: Option<&'l TrustList<'l>>,
        employer: Option<&'l str>,
    ) -> TestScanner<'l> {
        let mut pn532 = Pn532::new(sim, NoDelay);
        pn532.timeout_ms = 5;
        pn532.init().unwrap();
        let mut scanner = Scanner::new(
            pn532,
            Imager::new(self.uart.clone()),
            TestClock {
                now: self.fixture.now,
                millis: self.millis.clone(),
            },
            self.screen.clone(),
            Counter(0),
            Indicators {
                green: self.green.clone(),
                red: self.red.clone(),
                buzzer: self.buzzer.clone(),
            },
            list,
            employer,
            AuditKey(AUDIT_KEY),
        );
        // The tests read the English words; `screens.rs` draws every language.
        scanner.set_language(Language::English);
        scanner
    }

    fn later(&self, ms: u64) {
        self.millis.set(self.millis.get() + ms);
    }

    /// The fixture card's face at the imager: its record and its CAN.
    fn show_face(&self, can: &str) {
        let record = InProcessCard::personalized(&self.fixture)
            .image()
            .record
            .clone()
            .unwrap();
        let mut payload = vec![0u8; record.len() + 8];
        let n = stay_core::card_face::write(
            &record,
            &stay_core::pace::Can::parse(can).unwrap(),
            &mut payload,
        )
        .unwrap();
        self.show_code(&payload[..n]);
    }

    fn show_code(&self, record: &[u8]) {
        let mut frame = vec![0u8; record.len() + 5];
        let n = encode_frame(record, &mut frame).unwrap();
        self.uart.arrive(&frame[..n]);
    }
}

fn fixture_card(fixture: &Fixture) -> sim::CardFn {
    applet_card(InProcessCard::personalized(fixture).image().clone())
}

#[test]
fn a_card_is_checked_once_and_its_verdict_shown_for_its_time() {
    let fixture = Fixture::new();
    let (bench, sim) = Bench::new(Some(fixture_card(&fixture)));
    let list_bytes = fixture.list();
    let list = TrustList::load(&list_bytes, &fixture.root.public_key(), None).unwrap();
    let mut scanner = bench.scanner(sim, Some(&list), None);
    assert_eq!(bench.screen.first(), "READY");
    assert_eq!(scanner.step(), Event::Nothing, "empty field");

    bench.show_face(CAN);
    assert_eq!(scanner.step(), Event::CanRead);
    assert_eq!(bench.screen.first(), "CARD FACE READ");
    bench.in_field.set(true);
    assert_eq!(
        scanner.step(),
        Event::Verdict {
            source: Source::Card,
            status: Status::Valid,
            chip_authenticated: true
        }
    );
    // Valid: green, and one short chirp that a guard hears tells "done, fine".
    assert!(bench.green.0.get() && !bench.red.0.get() && bench.buzzer.0.get());
    assert_eq!(bench.screen.outcome(), Some(Outcome::Valid));
    bench.later(100);
    assert_eq!(scanner.step(), Event::Nothing);
    assert!(
        bench.green.0.get() && !bench.buzzer.0.get(),
        "the chirp is over"
    );
    assert!(
        bench.screen.text().contains("VALID | may stay today"),
        "{}",
        bench.screen.text()
    );
    assert!(
        bench.screen.text().contains("RC0000001"),
        "{}",
        bench.screen.text()
    );

    bench.later(SHOW_MS - 100 - 1);
    assert_eq!(scanner.step(), Event::Nothing, "still showing");
    bench.later(1);
    assert_eq!(scanner.step(), Event::Idle);
    assert_eq!(bench.screen.first(), "READY");
    // The card still lies on the scanner: not read again.
    for _ in 0..5 {
        assert_eq!(scanner.step(), Event::Nothing);
    }
    assert_eq!(scanner.nfc.free().0.apdus, BORDER_CHECK_APDUS);
}

/// The CAN of the fixture cards.
const CAN: &str = "314159";
/// PACE-CAM (7 APDUs), then SELECT and READ BINARY under secure messaging.
const BORDER_CHECK_APDUS: usize = 9;

/// A card held before its face was shown: asked for the face, nothing sent to it; the face
/// then opens the card still lying there. Another card's face: "wrong card face", no
/// verdict.
#[test]
fn the_face_opens_the_chip_and_another_cards_face_does_not() {
    let fixture = Fixture::new();
    let (bench, sim) = Bench::new(Some(fixture_card(&fixture)));
    let list_bytes = fixture.list();
    let list = TrustList::load(&list_bytes, &fixture.root.public_key(), None).unwrap();
    let mut scanner = bench.scanner(sim, Some(&list), None);
    bench.in_field.set(true);
    assert_eq!(scanner.step(), Event::CanNeeded);
    assert_eq!(bench.screen.first(), "SHOW THE CARD FACE");
    bench.later(SHOW_MS);
    assert_eq!(scanner.step(), Event::Idle);
    assert_eq!(
        scanner.step(),
        Event::Nothing,
        "the card lies there, no CAN"
    );
    bench.show_face(CAN);
    assert_eq!(scanner.step(), Event::CanRead);
    assert!(matches!(
        scanner.step(),
        Event::Verdict {
            status: Status::Valid,
            chip_authenticated: true,
            ..
        }
    ));
    bench.later(SHOW_MS);
    assert_eq!(scanner.step(), Event::Idle);
    bench.in_field.set(false);
    assert_eq!(scanner.step(), Event::Nothing);
    bench.show_face("000000");
    assert_eq!(scanner.step(), Event::CanRead);
    bench.in_field.set(true);
    assert_eq!(scanner.step(), Event::WrongCan);
    assert_eq!(bench.screen.first(), "WRONG CARD FACE");
    assert!(bench.red.0.get() && !bench.green.0.get());
    assert_eq!(scanner.audit().last().map(|e| e.outcome), Some("wrong-can"));
}

/// A bank card without the resident-card application: "not a resident card", red, once
/// (no retries while it lies there), in the audit ring, and never a verdict.
#[test]
fn a_bank_card_is_not_a_resident_card_and_is_not_retried() {
    let fixture = Fixture::new();
    let mut bank = card_applet_sim::Chip::payment_only();
    let mut rng = rand_chacha::ChaCha20Rng::seed_from_u64(3);
    let (bench, sim) = Bench::new(Some(Box::new(move |apdu: &[u8]| {
        bank.process(apdu, &mut rng).response
    })));
    let list_bytes = fixture.list();
    let list = TrustList::load(&list_bytes, &fixture.root.public_key(), None).unwrap();
    let mut scanner = bench.scanner(sim, Some(&list), None);
    bench.show_face(CAN);
    assert_eq!(scanner.step(), Event::CanRead);
    bench.in_field.set(true);
    assert_eq!(scanner.step(), Event::NotAResidentCard);
    assert!(bench.red.0.get() && !bench.green.0.get());
    assert_eq!(bench.screen.first(), "NOT A RESIDENT CARD");
    assert_eq!(
        scanner.audit().last().map(|e| e.outcome),
        Some("not-a-resident-card")
    );
    bench.later(SHOW_MS);
    assert_eq!(scanner.step(), Event::Idle);
    for _ in 0..5 {
        assert_eq!(
            scanner.step(),
            Event::Nothing,
            "the same card is not read again"
        );
    }
    assert_eq!(scanner.nfc.free().0.apdus, 1, "one SELECT, nothing more");
}

#[test]
fn the_card_is_read_again_only_after_it_left_the_field() {
    let fixture = Fixture::new();
    let (bench, sim) = Bench::new(Some(fixture_card(&fixture)));
    let list_bytes = fixture.list();
    let list = TrustList::load(&list_bytes, &fixture.root.public_key(), None).unwrap();
    let mut scanner = bench.scanner(sim, Some(&list), None);
    bench.show_face(CAN);
    assert_eq!(scanner.step(), Event::CanRead);
    bench.in_field.set(true);
    assert!(matches!(scanner.step(), Event::Verdict { .. }));
    bench.later(SHOW_MS);
    assert_eq!(scanner.step(), Event::Idle);
    bench.in_field.set(false);
    assert_eq!(scanner.step(), Event::Nothing);
    // A CAN opens one check: the next tap shows the face again.
    bench.show_face(CAN);
    assert_eq!(scanner.step(), Event::CanRead);
    bench.in_field.set(true);
    assert!(matches!(scanner.step(), Event::Verdict { .. }));
    let audit: Vec<_> = scanner.audit().map(|e| (e.source, e.outcome)).collect();
    assert_eq!(audit, [(Source::Card, "valid"), (Source::Card, "valid")]);
}

#[test]
fn a_code_at_the_imager_gets_its_verdict_and_a_revoked_one_sounds() {
    let fixture = Fixture::new();
    let (bench, sim) = Bench::new(None);
    let list_bytes = fixture.list();
    let list = TrustList::load(&list_bytes, &fixture.root.public_key(), None).unwrap();
    let mut scanner = bench.scanner(sim, Some(&list), None);
    let revoked = fixture.record(&stay_tests::golden::resident(
        "RC0000099",
        Some(&fixture.chip),
    ));
    bench.show_code(&revoked);
    assert_eq!(
        scanner.step(),
        Event::Verdict {
            source: Source::Code,
            status: Status::Invalid(InvalidReason::DocumentRevoked),
            chip_authenticated: false
        }
    );
    assert!(bench.red.0.get() && bench.buzzer.0.get() && !bench.green.0.get());
    assert!(
        bench.screen.text().starts_with("INVALID"),
        "{}",
        bench.screen.text()
    );
    assert!(bench.screen.text().contains("document-revoked"));
    assert!(
        bench
            .screen
            .text()
            .contains("this document has been revoked"),
        "the reason in words: {}",
        bench.screen.text()
    );
    // Invalid sounds three long beeps: on 400 ms, off 150, on 400, off 150, on 400.
    let mut heard = Vec::new();
    for _ in 0..16 {
        bench.later(100);
        scanner.step();
        heard.push(bench.buzzer.0.get());
    }
    let pattern: Vec<bool> = [
        100u64, 200, 300, 400, 500, 600, 700, 800, 900, 1000, 1100, 1200, 1300, 1400, 1500, 1600,
    ]
    .iter()
    .map(|&t| firmware::screen::buzzer_on(Outcome::Invalid.buzzer(), t))
    .collect();
    assert_eq!(heard, pattern);
    assert_eq!(
        &heard[..],
        &[
            true, true, true, false, false, true, true, true, true, false, true, true, true, true,
            false, false
        ]
    );
    let entry = scanner.audit().last().unwrap().clone();
    assert_eq!(
        (
            entry.source,
            entry.outcome,
            entry.reason,
            entry.document_digest
        ),
        (
            Source::Code,
            "invalid",
            Some("document-revoked"),
            digest("RC0000099")
        )
    );
}

#[test]
fn failed_reads_ask_to_try_again_and_give_no_verdict() {
    let fixture = Fixture::new();
    let (bench, mut sim) = Bench::new(Some(fixture_card(&fixture)));
    sim.card_leaves_after = Some(1);
    let list_bytes = fixture.list();
    let list = TrustList::load(&list_bytes, &fixture.root.public_key(), None).unwrap();
    let mut scanner = bench.scanner(sim, Some(&list), None);
    // The card leaves after SELECT.
    bench.show_face(CAN);
    assert_eq!(scanner.step(), Event::CanRead);
    bench.in_field.set(true);
    assert_eq!(scanner.step(), Event::TryAgain(Source::Card));
    assert_eq!(bench.screen.first(), "CARD REMOVED");
    assert_eq!(bench.screen.outcome(), Some(Outcome::CardRemoved));
    assert!(!bench.green.0.get());
    bench.later(SHOW_MS);
    assert_eq!(scanner.step(), Event::Idle);
    bench.in_field.set(false);
    assert_eq!(scanner.step(), Event::Nothing);

    // A damaged code.
    let record = fixture.record(&stay_tests::golden::unified_window("UW0000001"));
    let mut frame = vec![0u8; record.len() + 5];
    let n = encode_frame(&record, &mut frame).unwrap();
    frame[10] ^= 0x01;
    bench.uart.arrive(&frame[..n]);
    assert_eq!(scanner.step(), Event::TryAgain(Source::Code));
    bench.later(SHOW_MS);
    assert_eq!(scanner.step(), Event::Idle);

    // Half a code, then nothing: after the scan time, try again; the next code reads.
    bench.uart.arrive(&frame[..40]);
    assert_eq!(scanner.step(), Event::Nothing, "a code is arriving");
    bench.later(firmware::scanner::SCAN_MS + 1);
    assert_eq!(scanner.step(), Event::TryAgain(Source::Code));
    bench.later(SHOW_MS);
    assert_eq!(scanner.step(), Event::Idle);
    bench.show_code(&record);
    assert!(matches!(
        scanner.step(),
        Event::Verdict {
            source: Source::Code,
            status: Status::Valid,
            ..
        }
    ));
    let outcomes: Vec<_> = scanner.audit().map(|e| e.outcome).collect();
    assert_eq!(
        outcomes,
        ["unreadable", "unreadable", "unreadable", "valid"]
    );
}

#[test]
fn an_employer_asks_about_its_own_tin() {
    let fixture = Fixture::new();
    let (bench, sim) = Bench::new(Some(fixture_card(&fixture)));
    let list_bytes = fixture.list();
    let list = TrustList::load(&list_bytes, &fixture.root.public_key(), None).unwrap();
    let mut scanner = bench.scanner(sim, Some(&list), Some(stay_tests::golden::EMPLOYER_TIN));
    bench.show_face(CAN);
    assert_eq!(scanner.step(), Event::CanRead);
    bench.in_field.set(true);
    assert!(matches!(
        scanner.step(),
        Event::Verdict {
            status: Status::Valid,
            ..
        }
    ));
    assert!(
        bench.screen.text().contains("may be employed by you today"),
        "{}",
        bench.screen.text()
    );
}

#[test]
fn the_audit_ring_keeps_the_newest_checks() {
    let fixture = Fixture::new();
    let (bench, sim) = Bench::new(None);
    let list_bytes = fixture.list();
    let list = TrustList::load(&list_bytes, &fixture.root.public_key(), None).unwrap();
    let mut scanner = bench.scanner(sim, Some(&list), None);
    let total = AUDIT_LEN + 6;
    for i in 0..total {
        let number = format!("UW{:07}", 1000 + i);
        bench.show_code(&fixture.record(&stay_tests::golden::unified_window(&number)));
        assert!(matches!(scanner.step(), Event::Verdict { .. }), "check {i}");
        bench.later(SHOW_MS);
        assert_eq!(scanner.step(), Event::Idle);
        assert_eq!(scanner.step(), Event::Nothing);
    }
    let digests: Vec<_> = scanner.audit().map(|e| e.document_digest).collect();
    assert_eq!(digests.len(), AUDIT_LEN);
    assert_eq!(
        digests[0],
        digest(&format!("UW{:07}", 1000 + total - AUDIT_LEN))
    );
    assert_eq!(
        digests[AUDIT_LEN - 1],
        digest(&format!("UW{:07}", 1000 + total - 1))
    );
}

#[test]
fn the_payload_of_an_issued_qr_code_reads_at_the_imager() {
    let fixture = Fixture::new();
    let (bench, sim) = Bench::new(None);
    let list_bytes = fixture.list();
    let list = TrustList::load(&list_bytes, &fixture.root.public_key(), None).unwrap();
    let mut scanner = bench.scanner(sim, Some(&list), None);
    // `issuer qr`'s image, decoded as an imager decodes it, sent in its frame.
    let record = fixture.record(&stay_tests::golden::unified_window("UW0000777"));
    let image = issuer::qr::png(&record).unwrap();
    let payload = reader_host::qr::single_record(reader_host::qr::decode(image)).unwrap();
    assert_eq!(payload, record);
    bench.show_code(&payload);
    assert_eq!(
        scanner.step(),
        Event::Verdict {
            source: Source::Code,
            status: Status::Valid,
            chip_authenticated: false
        }
    );
    assert!(
        bench.screen.text().contains("UW0000777"),
        "{}",
        bench.screen.text()
    );
}

#[test]
fn a_printed_copy_of_a_chip_card_says_read_the_chip_and_is_never_green() {
    let fixture = Fixture::new();
    let list_bytes = fixture.list();
    let list = TrustList::load(&list_bytes, &fixture.root.public_key(), None).unwrap();
    // The card face's QR (or a skimmed chip's record re-encoded): genuine bytes.
    let record = fixture.record(&fixture.holder());
    for employer in [None, Some("01234567890123")] {
        let (bench, sim) = Bench::new(None);
        let mut scanner = bench.scanner(sim, Some(&list), employer);
        bench.show_code(&record);
        assert_eq!(
            scanner.step(),
            Event::Verdict {
                source: Source::Code,
                status: Status::Indeterminate(IndeterminateReason::ChipNotRead),
                chip_authenticated: false
            }
        );
        let text = bench.screen.text();
        assert!(text.starts_with("READ THE CHIP"), "{text}");
        assert!(text.contains("printed copy"), "{text}");
        assert_eq!(bench.screen.outcome(), Some(Outcome::ReadTheChip));
        assert!(
            !text.contains("may stay") && !text.contains("may be employed"),
            "{text}"
        );
        assert!(!bench.green.0.get() && bench.red.0.get() && bench.buzzer.0.get());
        let entry = scanner.audit().last().unwrap().clone();
        assert_eq!(
            (entry.outcome, entry.reason, entry.document_digest),
            ("indeterminate", Some("chip-not-read"), digest("RC0000001"))
        );
    }
}

/// A scanner whose store holds no usable list (the newest damaged: the older is never used
/// again) says so when idle, and nothing it reads is ever green.
#[test]
fn without_a_trust_list_nothing_is_valid_and_the_screen_says_why() {
    let fixture = Fixture::new();
    let (bench, sim) = Bench::new(None);
    let mut scanner = bench.scanner(sim, None, None);
    assert!(
        bench.screen.text().contains("NO TRUST LIST"),
        "{}",
        bench.screen.text()
    );
    let record = fixture.record(&stay_tests::golden::unified_window("UW0000001"));
    bench.show_code(&record);
    assert_eq!(
        scanner.step(),
        Event::Verdict {
            source: Source::Code,
            status: Status::Indeterminate(stay_core::IndeterminateReason::TrustListUnavailable),
            chip_authenticated: false
        }
    );
    assert!(!bench.green.0.get(), "never green without a list");
    assert!(
        bench.screen.text().contains("trust-list-unavailable"),
        "{}",
        bench.screen.text()
    );
}
