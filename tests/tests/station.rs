//! The personalization station in-process (fast tier): batches, refused and pulled cards,
//! and a station stopped at every step, with cards made by the applet itself.

use std::collections::{HashSet, VecDeque};
use std::path::Path;

use card_applet_sim::CardImage;
use reader_host::trust_cache::LoadedList;
use station::batch::Application;
use station::journal::{Journal, Step};
use station::{CardSupply, LocalSigner, Progress, RemoteSigner, Station};
use stay_core::apdu::Status as Sw;
use stay_core::terminal::{CardError, Instruction, Session};
use stay_core::{Check, Policy, Role, Status};
use stay_tests::card::{personalization_key, InProcessCard};
use stay_tests::signing;
use stay_tests::Fixture;

fn application(id: &str) -> Application {
    Application {
        application_id: id.into(),
        document_type: "resident-card".into(),
        pin: "21503199000123".into(),
        itn: Some("21503199000123".into()),
        surname: format!("HOLDER{}", id.len()),
        given_names: id.into(),
        nationality: "KAZ".into(),
        date_of_birth: "1991-05-06".into(),
        sex: "M".into(),
        purpose: "work".into(),
        employer_tin: Some(stay_tests::golden::EMPLOYER_TIN.into()),
        valid_from: "2026-11-01".into(),
        valid_until: "2027-10-31".into(),
        issuing_authority: "Migration Service KR".into(),
        portrait: None,
    }
}

fn blank(n: u8) -> InProcessCard {
    InProcessCard::new(CardImage::blank(
        [0x4B, 0x47, 0, 0, 0, 0, 0x10, n],
        &personalization_key().public_key(),
    ))
}

use stay_tests::card::LeavingCard as Card;

/// Cards put in one after the other; the ones handed back are kept for inspection.
#[derive(Default)]
struct Tray {
    waiting: VecDeque<Card>,
    done: Vec<Card>,
}

impl Tray {
    fn of(cards: impl IntoIterator<Item = InProcessCard>) -> Tray {
        Tray {
            waiting: cards
                .into_iter()
                .map(|inner| Card { inner, left: None })
                .collect(),
            done: Vec::new(),
        }
    }
}

impl CardSupply for Tray {
    type Card = Card;
    fn next_card(&mut self, _prompt: &str) -> anyhow::Result<Option<Card>> {
        Ok(self.waiting.pop_front())
    }
    fn hand_back(&mut self, card: Card, _message: &str) -> anyhow::Result<()> {
        self.done.push(card);
        Ok(())
    }
}

struct Office {
    fixture: Fixture,
    list: &'static LoadedList,
    signer: LocalSigner<'static>,
    dir: tempfile::TempDir,
}

impl Office {
    fn new() -> Office {
        let fixture = Fixture::new();
        // Leaked: the signer and the station borrow one list for the whole test.
        let list: &'static LoadedList = Box::leak(Box::new(
            LoadedList::verify(fixture.list(), &fixture.root.public_key(), None).unwrap(),
        ));
        Office {
            list,
            signer: LocalSigner {
                key: issuer::KeyPair::from_seed("fixture signer"),
                list,
                policy: Policy::DEFAULT,
            },
            fixture,
            dir: tempfile::tempdir().unwrap(),
        }
    }

    fn station(&self) -> Station<'_> {
        Station {
            journal: Journal::open(&self.dir.path().join("journal.sqlite"), "ST").unwrap(),
            signer: &self.signer,
            personalization_key: personalization_key(),
            list: self.list,
            policy: Policy::DEFAULT,
            now: self.fixture.now,
            out_dir: self.dir.path().join("faces"),
            checkpoint: &|_| {},
        }
    }

    /// `issuer serve`'s service for the fixture's signer, on a loopback port.
    fn signing_service(&self) -> signing::RunningService {
        signing::start(
            &self.fixture,
            vec![self.fixture.signer.clone()],
            None,
            self.dir.path(),
        )
        .unwrap()
    }

    fn remote_signer(&self, url: &str, token: &str) -> RemoteSigner<'static> {
        RemoteSigner::new(url, token.into(), self.list, Policy::DEFAULT)
    }

    /// The border check a guard's reader runs, on a card the station handed back.
    /// The border check with the CAN the station stored on the card; `Err` when the card
    /// gives no reading (PACE refused).
    fn border_check(&self, card: &mut Card) -> Result<Status, String> {
        let can = card.inner.image().can.ok_or("the card holds no CAN")?;
        let reading = stay_core::terminal::border_check(card, &can, |secret| {
            rand_core::RngCore::fill_bytes(&mut rand_core::OsRng, secret)
        })
        .map_err(|e| format!("{e:?}"))?;
        Ok(stay_core::verify(
            reading.record(),
            self.list.list(),
            &Check::chip(
                self.fixture.now,
                Role::Border,
                reading.proof(),
                &Policy::DEFAULT,
            ),
        )
        .status)
    }
}

fn run(station: &mut Station<'_>, tray: &mut Tray) -> Vec<Progress> {
    let mut seen = Vec::new();
    station.resume(&mut |p| seen.push(p)).unwrap();
    station.run(tray, &mut |p| seen.push(p)).unwrap();
    seen
}

/// The journal's invariants: each application issued at most once, each number on at
/// most one attempt, and no issued application without its QR code.
fn assert_consistent(journal: &Journal, faces: &Path) {
    let attempts = journal.all_attempts().unwrap();
    let numbers: HashSet<&str> = attempts
        .iter()
        .map(|a| a.document_number.as_str())
        .collect();
    assert_eq!(numbers.len(), attempts.len(), "a number drawn twice");
    for standing in journal.standings().unwrap() {
        let issued: Vec<_> = attempts
            .iter()
            .filter(|a| a.application_id == standing.application_id && a.state == Step::Issued)
            .collect();
        match standing.state.name() {
            "issued" => {
                assert_eq!(issued.len(), 1, "{standing:?}");
                let number = standing.document_number.as_deref().unwrap();
                assert_eq!(number, issued[0].document_number);
                // The face's code carries the record and the CAN the journal keeps.
                let face = reader_host::qr::read_image(&faces.join(format!("{number}.png")), false)
                    .unwrap();
                let payload =
                    reader_host::qr::single_record(reader_host::qr::decode(face)).unwrap();
                let (record, can) = stay_core::card_face::split(&payload);
                assert_eq!(Some(record), issued[0].record.as_deref());
                assert_eq!(can, issued[0].can);
                assert!(can.is_some());
                let svg = std::fs::read_to_string(faces.join(format!("{number}.svg"))).unwrap();
                let digits = String::from_utf8_lossy(can.unwrap().digits()).into_owned();
                assert!(svg.contains(&format!("CAN {digits}")), "{svg}");
            }
            _ => assert!(issued.is_empty(), "{standing:?}"),
        }
    }
    assert!(
        journal.interrupted().unwrap().is_empty(),
        "an attempt left unsettled"
    );
}

#[test]
fn a_batch_ends_in_locked_cards_that_verify() {
    let office = Office::new();
    let mut station = office.station();
    let apps: Vec<_> = ["A-1", "A-2", "A-3"]
        .iter()
        .enumerate()
        .map(|(i, id)| (i + 2, application(id)))
        .collect();
    assert_eq!(station.journal.add(&apps).unwrap(), 3);
    // The same batch again (a rerun after a stop) adds nothing.
    assert_eq!(station.journal.add(&apps).unwrap(), 0);
    let mut tray = Tray::of((1..=3).map(blank));
    run(&mut station, &mut tray);
    let standings = station.journal.standings().unwrap();
    let numbers: Vec<_> = standings
        .iter()
        .map(|s| (s.state.name(), s.document_number.as_deref().unwrap_or("")))
        .collect();
    assert_eq!(
        numbers,
        [
            ("issued", "ST0000001"),
            ("issued", "ST0000002"),
            ("issued", "ST0000003")
        ]
    );
    assert_eq!(tray.done.len(), 3);
    for card in &mut tray.done {
        assert!(card.inner.image().locked);
        assert_eq!(office.border_check(card), Ok(Status::Valid));
    }
    // The printed code carries the same record as the chip.
    let face = image::open(office.dir.path().join("faces/ST0000002.png"))
        .unwrap()
        .to_luma8();
    let printed = reader_host::qr::single_record(reader_host::qr::decode(face)).unwrap();
    let (record, can) = stay_core::card_face::split(&printed);
    assert_eq!(
        Some(record.to_vec()),
        tray.done[1].inner.image().record.clone()
    );
    assert_eq!(can, tray.done[1].inner.image().can);
    assert_consistent(&station.journal, &office.dir.path().join("faces"));
}

#[test]
fn a_locked_card_is_handed_back_untouched_and_refuses_personalization() {
    let office = Office::new();
    let mut station = office.station();
    station.journal.add(&[(1, application("B-1"))]).unwrap();
    let mut issued = InProcessCard::personalized(&office.fixture);
    let before = issued.image().clone();
    // The station's own commands on a locked card: 6985, and nothing changes.
    {
        let mut session = Session::new(&mut issued);
        // Locked: the FCI only over PACE, which the station calls locked.
        assert!(matches!(session.select_blank(), Err(CardError::Locked)));
        session.select_without_fci().unwrap();
        let info = stay_core::apdu::Fci {
            serial: before.serial,
            locked: true,
        };
        let key = personalization_key();
        let refused = session
            .authenticate_station(&info, |message| key.sign(message))
            .unwrap_err();
        assert!(
            matches!(
                refused,
                CardError::Status {
                    command: Instruction::GetChallenge,
                    status: Sw::ConditionsNotSatisfied
                }
            ),
            "{refused:?}"
        );
        let refused = session.store(&[0x7F, 0x70, 0x00], 255).unwrap_err();
        assert!(
            matches!(
                refused,
                CardError::Status {
                    command: Instruction::StoreData,
                    status: Sw::ConditionsNotSatisfied
                }
            ),
            "{refused:?}"
        );
    }
    let mut tray = Tray::of([issued, blank(7)]);
    let seen = run(&mut station, &mut tray);
    assert!(matches!(&seen[1], Progress::Rejected { reason, .. } if reason.contains("locked")));
    assert!(matches!(&seen[3], Progress::Issued { .. }), "{seen:?}");
    assert_eq!(tray.done[0].inner.image(), &before);
    assert_eq!(
        station.journal.all_attempts().unwrap().len(),
        1,
        "no attempt on the locked card"
    );
}

#[test]
fn a_card_pulled_mid_write_is_spoiled_and_the_next_card_continues() {
    let office = Office::new();
    let mut station = office.station();
    station
        .journal
        .add(&[(1, application("C-1")), (2, application("C-2"))])
        .unwrap();
    // SELECT, GET CHALLENGE, EXTERNAL AUTHENTICATE, GENERATE, then gone mid STORE DATA.
    let mut pulled = Tray::of([]);
    pulled.waiting.push_back(Card {
        inner: blank(1),
        left: Some(5),
    });
    let mut tray = Tray::of([blank(2), blank(3)]);
    tray.waiting.push_front(pulled.waiting.pop_front().unwrap());
    let seen = run(&mut station, &mut tray);
    let spoiled: Vec<_> = seen
        .iter()
        .filter_map(|p| match p {
            Progress::Spoiled {
                document_number,
                reason,
                ..
            } => Some((document_number.clone(), reason.clone())),
            _ => None,
        })
        .collect();
    assert_eq!(spoiled.len(), 1, "{seen:?}");
    assert_eq!(spoiled[0].0, "ST0000001");
    assert!(spoiled[0].1.contains("card removed"), "{spoiled:?}");
    let standings = station.journal.standings().unwrap();
    assert_eq!(standings[0].document_number.as_deref(), Some("ST0000002"));
    assert_eq!(standings[1].document_number.as_deref(), Some("ST0000003"));
    // The pulled card holds no record; its number is retired, never reissued.
    assert!(tray.done[0].inner.image().record.is_none());
    assert!(!tray.done[0].inner.image().locked);
    assert_consistent(&station.journal, &office.dir.path().join("faces"));
}

/// The card pulled out at every APDU of a personalization, in turn: each time the
/// application is issued once, on the next card; the pulled card's number is spoiled
/// (retired, for the revocation list) and never reissued, whatever the pulled card holds.
#[test]
fn a_card_pulled_at_every_apdu_is_never_issued_twice() {
    // How many APDUs a whole personalization takes, read-back included.
    let office = Office::new();
    let mut station = office.station();
    station.journal.add(&[(1, application("C-1"))]).unwrap();
    let mut tray = Tray::of([blank(1)]);
    run(&mut station, &mut tray);
    let total = tray.done[0].inner.log.len();
    assert!(total >= 10, "{total} APDUs");

    // Pulls between the last STORE DATA and SET STATUS: the card holds a genuine record.
    let mut unlocked_with_record = 0;
    for pulled_at in 0..total {
        let office = Office::new();
        let mut station = office.station();
        station.journal.add(&[(1, application("C-1"))]).unwrap();
        let mut tray = Tray::of([blank(2)]);
        tray.waiting.push_front(Card {
            inner: blank(1),
            left: Some(pulled_at),
        });
        let seen = run(&mut station, &mut tray);
        let spoiled: Vec<String> = seen
            .iter()
            .filter_map(|p| match p {
                Progress::Spoiled {
                    document_number, ..
                } => Some(document_number.clone()),
                _ => None,
            })
            .collect();
        let standings = station.journal.standings().unwrap();
        assert_eq!(standings[0].state.name(), "issued", "pulled at {pulled_at}");
        let issued = standings[0].document_number.clone().unwrap();
        assert!(!spoiled.contains(&issued), "pulled at {pulled_at}");
        // The pulled card: anything it holds carries a spoiled number.
        let pulled = tray.done[0].inner.image();
        if let Some(record) = &pulled.record {
            let number = stay_core::StayRecord::parse(record)
                .unwrap()
                .fields
                .document_number
                .to_string();
            assert!(spoiled.contains(&number), "pulled at {pulled_at}: {number}");
        }
        // A card pulled before SET STATUS does not prove its chip: no working card carries
        // a number the journal spoiled.
        if pulled.record.is_some() && !pulled.locked {
            unlocked_with_record += 1;
            let mut unlocked = tray.done.remove(0);
            unlocked.left = None;
            // PACE refuses an unlocked card (MSE: Set AT 6985): no reading, no verdict.
            let refused = office.border_check(&mut unlocked).unwrap_err();
            assert!(
                refused.contains("ManageSecurityEnvironment") && refused.contains("6985"),
                "pulled at {pulled_at}: {refused}"
            );
        }
        assert_consistent(&station.journal, &office.dir.path().join("faces"));
    }
    assert!(
        unlocked_with_record > 0,
        "no pull left a record on an unlocked card"
    );
}

/// A station stopped after committing each step: the next start settles the attempt
/// (a verified card is issued, anything earlier is spoiled), then the batch goes on.
#[test]
fn a_station_stopped_at_any_step_resumes_without_loss_or_duplicate() {
    for stopped_at in [
        Step::Started,
        Step::Signed,
        Step::Written,
        Step::Locked,
        Step::Verified,
    ] {
        let office = Office::new();
        let mut station = office.station();
        station
            .journal
            .add(&[(1, application("D-1")), (2, application("D-2"))])
            .unwrap();
        let holder = application("D-1").holder(
            "ST0000001",
            office.fixture.now.bishkek_date(),
            Some(&issuer::KeyPair::from_seed("chip").public_sec1()),
            None,
        );
        let record = station::Signer::sign(&office.signer, &holder).unwrap();
        let mut attempt = station
            .journal
            .start("D-1", "4B47000000001001", "04ab", &stay_tests::card::can())
            .unwrap();
        for step in [Step::Signed, Step::Written, Step::Locked, Step::Verified] {
            if step > stopped_at {
                break;
            }
            let with = (step == Step::Signed).then_some(record.as_slice());
            station.journal.advance(&mut attempt, step, with).unwrap();
        }
        drop(station);

        let mut station = office.station();
        let mut tray = Tray::of([blank(2), blank(3)]);
        let seen = run(&mut station, &mut tray);
        let recovered = match &seen[0] {
            Progress::Recovered { outcome, .. } => *outcome,
            other => panic!("{other:?}"),
        };
        let standings = station.journal.standings().unwrap();
        let (d1, d2) = (&standings[0], &standings[1]);
        assert_eq!((d1.state.name(), d2.state.name()), ("issued", "issued"));
        if stopped_at == Step::Verified {
            assert_eq!(recovered, Step::Issued);
            assert_eq!(d1.document_number.as_deref(), Some("ST0000001"));
            assert_eq!(d2.document_number.as_deref(), Some("ST0000002"));
            assert_eq!(tray.waiting.len(), 1, "one card was enough");
        } else {
            assert_eq!(recovered, Step::Spoiled, "{stopped_at:?}");
            assert_eq!(d1.document_number.as_deref(), Some("ST0000002"));
            assert_eq!(d2.document_number.as_deref(), Some("ST0000003"));
        }
        assert_consistent(&station.journal, &office.dir.path().join("faces"));
    }
}

#[test]
fn a_batch_signed_through_the_signing_service() {
    let office = Office::new();
    let fixture = &office.fixture;
    let service = office.signing_service();
    let remote = office.remote_signer(&service.url, signing::TOKEN);
    let about = remote.check().unwrap();
    assert_eq!(
        about["keys"][0]["key_id"].as_str(),
        Some(fixture.signer.key_id().to_string().as_str())
    );
    let mut station = Station {
        signer: &remote,
        ..office.station()
    };
    let nomad_with_employer = Application {
        document_type: "digital-nomad".into(),
        purpose: "remote-work".into(),
        ..application("C-3")
    };
    station
        .journal
        .add(&[
            (1, application("C-1")),
            (2, application("C-2")),
            (3, nomad_with_employer),
        ])
        .unwrap();
    let mut tray = Tray::of((1..=3).map(blank));
    run(&mut station, &mut tray);
    let standings = station.journal.standings().unwrap();
    let states: Vec<_> = standings.iter().map(|s| s.state.name()).collect();
    assert_eq!(states, ["issued", "issued", "failed"]);
    assert!(
        standings[2]
            .reason
            .as_deref()
            .unwrap()
            .contains("no local employer"),
        "{:?}",
        standings[2]
    );
    for card in &mut tray.done[..2] {
        assert_eq!(office.border_check(card), Ok(Status::Valid));
    }
    // The refused application cost no record: its card was never written or locked.
    assert!(tray.done[2].inner.image().record.is_none());
    assert!(!tray.done[2].inner.image().locked);
    assert_consistent(&station.journal, &office.dir.path().join("faces"));
}

#[test]
fn a_station_without_its_signing_service_stops_and_keeps_the_application() {
    let office = Office::new();
    let service = office.signing_service();
    let wrong_token = office.remote_signer(
        &service.url,
        "an-old-token-that-was-withdrawn-from-this-station",
    );
    let refused = wrong_token.check().unwrap_err().to_string();
    assert!(
        refused.contains("does not accept this station's token"),
        "{refused}"
    );

    // A service that is not there (a port nothing listens on).
    let closed = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let url = format!("http://{}", closed.local_addr().unwrap());
    drop(closed);
    let absent = office.remote_signer(&url, signing::TOKEN);
    let mut station = Station {
        signer: &absent,
        ..office.station()
    };
    station.journal.add(&[(1, application("D-1"))]).unwrap();
    let mut tray = Tray::of([blank(1)]);
    let stopped = station.run(&mut tray, &mut |_| {}).unwrap_err();
    assert!(
        format!("{stopped:#}").contains("cannot reach the signing service"),
        "{stopped:#}"
    );
    let standings = station.journal.standings().unwrap();
    assert_eq!(standings[0].state.name(), "pending");
    // The card it had started is spoiled in the journal, and was never written.
    let attempts = station.journal.all_attempts().unwrap();
    assert_eq!(attempts.len(), 1);
    assert_eq!(attempts[0].state, Step::Spoiled);
}

/// The usual case at an office: cards personalized before their validity starts. The
/// station decides as `Role::Station` (docs/policy.md), so they are issued, and a border
/// check says not-yet-valid until valid-from.
#[test]
fn a_batch_valid_from_next_month_is_issued() {
    let office = Office::new();
    let mut station = office.station();
    let mut later = application("F-1");
    later.valid_from = "2026-12-15".into();
    later.valid_until = "2027-12-14".into();
    station.journal.add(&[(1, later)]).unwrap();
    let mut tray = Tray::of([blank(1)]);
    let seen = run(&mut station, &mut tray);
    assert!(
        seen.iter().any(|p| matches!(p, Progress::Issued { .. })),
        "{seen:?}"
    );
    let standings = station.journal.standings().unwrap();
    assert_eq!(standings[0].state.name(), "issued", "{seen:?}");
    assert!(tray.done[0].inner.image().locked);
    assert_eq!(
        office.border_check(&mut tray.done[0]),
        Ok(Status::Invalid(stay_core::InvalidReason::NotYetValid))
    );
    assert_consistent(&station.journal, &office.dir.path().join("faces"));
}
