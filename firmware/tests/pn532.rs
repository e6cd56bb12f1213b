//! The PN532 driver against a simulated PN532 whose card is the applet: the border check
//! gives the host's record and verdict in the host's number of APDUs, answers longer than
//! a frame are collected, and a card that leaves or a front end that garbles a frame gives
//! an error, never a panic or a wrong verdict.

mod sim;

use firmware::pn532::{Error, Pn532};
use proptest::prelude::*;
use sim::{applet_card, NoDelay, SimPn532};
use stay_core::apdu::Status as Sw;
use stay_core::terminal::{BorderCheckError, CardError};
use stay_core::{Check, ChipAuthentication, Policy, Role, Status, TrustList};
use stay_tests::card::{read, InProcessCard};
use stay_tests::Fixture;

/// APDUs of a PACE-CAM border check: SELECT, EF.CardAccess, MSE: Set AT, four GENERAL
/// AUTHENTICATE, then SELECT and READ BINARY under secure messaging.
const BORDER_CHECK_APDUS: usize = 9;

fn front_end(sim: SimPn532) -> Pn532<SimPn532, NoDelay> {
    let mut pn532 = Pn532::new(sim, NoDelay);
    pn532.timeout_ms = 5;
    pn532
}

/// The fixture's resident card (chip key, portrait), personalized by the station code.
fn fixture_card(fixture: &Fixture) -> card_applet_sim::CardImage {
    InProcessCard::personalized(fixture).image().clone()
}

fn border_status(fixture: &Fixture, record: &[u8], proof: Option<&ChipAuthentication>) -> Status {
    let list_bytes = fixture.list();
    let list = TrustList::load(&list_bytes, &fixture.root.public_key(), None).unwrap();
    stay_core::verify(
        record,
        &list,
        &Check::chip(fixture.now, Role::Border, proof, &Policy::DEFAULT),
    )
    .status
}

#[test]
fn the_border_check_through_the_pn532_matches_the_host() {
    let fixture = Fixture::new();
    let image = fixture_card(&fixture);

    // The host's border check on the same card, with the same terminal secrets.
    let mut host_card = InProcessCard::new(image.clone());
    let host_reading = read(&mut host_card).unwrap();
    let host_apdus = host_card.log.len();

    let mut pn532 = front_end(SimPn532::new(Some(applet_card(image))));
    assert_eq!(pn532.init().unwrap(), [0x32, 0x01, 0x06, 0x07]);
    let target = pn532.detect().unwrap().expect("a card in the field");
    assert_eq!(target.sel_res & 0x20, 0x20);
    assert_eq!(target.uid.len(), 4);
    let reading = read(&mut pn532).unwrap();
    let apdus = reading.transcript.apdus;

    assert_eq!(reading.record(), host_reading.record());
    assert!(reading.proof().is_some());
    assert_eq!(apdus as usize, host_apdus, "no more APDUs than the host");
    assert_eq!(apdus as usize, BORDER_CHECK_APDUS);
    assert_eq!(
        border_status(&fixture, reading.record(), reading.proof()),
        Status::Valid
    );
    let (sim, _) = pn532.free();
    assert_eq!(sim.apdus, BORDER_CHECK_APDUS);
    assert_eq!(sim.protocol_errors, 0);
    assert!(
        reading.record().len() > sim::FRAME_DATA,
        "the record ({} bytes) needs more than one frame",
        reading.record().len()
    );
    assert!(sim.chained_frames >= 1, "the MI chain was used");
}

#[test]
fn a_bus_that_sends_msb_first_works_with_software_bit_reversal() {
    let fixture = Fixture::new();
    let mut sim = SimPn532::new(Some(applet_card(fixture_card(&fixture))));
    sim.msb_first_bus = true;
    // Without reversal the PN532 sees nonsense: no ACK, nothing verified.
    let mut plain = front_end(sim);
    assert!(plain.init().is_err());
    let (mut sim, _) = plain.free();
    assert!(sim.protocol_errors > 0);
    sim.protocol_errors = 0;
    let mut pn532 = front_end(sim).lsb_first_in_software();
    pn532.init().unwrap();
    pn532.detect().unwrap().unwrap();
    let reading = read(&mut pn532).unwrap();
    assert_eq!(
        border_status(&fixture, reading.record(), reading.proof()),
        Status::Valid
    );
    assert_eq!(pn532.free().0.protocol_errors, 0);
}

#[test]
fn an_empty_field_and_a_card_without_apdus_are_told_apart() {
    let mut pn532 = front_end(SimPn532::new(None));
    pn532.init().unwrap();
    assert_eq!(pn532.detect().unwrap(), None);

    let mut sim = SimPn532::new(Some(Box::new(|_: &[u8]| Sw::Success.to_bytes().to_vec())));
    sim.sel_res = 0x08; // MIFARE Classic: no ISO 14443-4.
    let mut pn532 = front_end(sim);
    pn532.init().unwrap();
    assert!(matches!(pn532.detect(), Err(Error::NotIso14443_4)));
}

#[test]
fn a_card_that_leaves_mid_read_is_an_error_not_a_verdict() {
    let fixture = Fixture::new();
    for leaves_after in 0..BORDER_CHECK_APDUS {
        let mut sim = SimPn532::new(Some(applet_card(fixture_card(&fixture))));
        sim.card_leaves_after = Some(leaves_after);
        let mut pn532 = front_end(sim);
        pn532.init().unwrap();
        if leaves_after == 0 {
            assert_eq!(pn532.detect().unwrap(), None);
            continue;
        }
        pn532.detect().unwrap().unwrap();
        let result = read(&mut pn532);
        match result {
            // Gone in PACE or on the channel: the link error ends the check.
            Err(BorderCheckError::Pace(CardError::Link(Error::Card(0x01))))
            | Err(BorderCheckError::Secure(CardError::Link(stay_core::sm::SmFailure::Link(
                Error::Card(0x01),
            )))) => {}
            other => panic!("left after {leaves_after}: {other:?}"),
        }
    }
}

#[test]
fn a_garbled_answer_frame_is_refused() {
    let fixture = Fixture::new();
    let mut sim = SimPn532::new(Some(applet_card(fixture_card(&fixture))));
    let mut pn532 = front_end(sim);
    pn532.init().unwrap();
    pn532.detect().unwrap().unwrap();
    (sim, _) = pn532.free();
    sim.corrupt_next_answer = true;
    let mut pn532 = front_end(sim);
    let result = read(&mut pn532);
    assert!(
        matches!(
            result,
            Err(BorderCheckError::Pace(CardError::Link(Error::Frame(
                "data checksum"
            ))))
        ),
        "{result:?}"
    );
}

/// A PN532 (or a line) that answers arbitrary bytes.
struct Garbage {
    answer: Vec<u8>,
    data_reads: usize,
}

impl embedded_hal::spi::ErrorType for Garbage {
    type Error = sim::BusError;
}

impl embedded_hal::spi::SpiDevice for Garbage {
    fn transaction(
        &mut self,
        operations: &mut [embedded_hal::spi::Operation<'_, u8>],
    ) -> Result<(), sim::BusError> {
        let mut direction = None;
        for op in operations.iter_mut() {
            match op {
                embedded_hal::spi::Operation::Write(w) => {
                    direction = direction.or(w.first().copied())
                }
                embedded_hal::spi::Operation::Read(r) => {
                    // Always ready; every other data read is a good ACK, the rest garbage.
                    let ack = [0x00, 0x00, 0xFF, 0x00, 0xFF, 0x00];
                    let source: &[u8] = match direction {
                        Some(0x02) => &[0x01],
                        _ if self.data_reads.is_multiple_of(2) => &ack,
                        _ => &self.answer,
                    };
                    if direction == Some(0x03) {
                        self.data_reads += 1;
                    }
                    for (i, b) in r.iter_mut().enumerate() {
                        *b = source.get(i).copied().unwrap_or(0);
                    }
                }
                _ => {}
            }
        }
        Ok(())
    }
}

/// The InDataExchange answer a frame carries, as the driver must read it: status and data,
/// when the frame is well formed, answers InDataExchange and reports no error.
fn data_exchange_answer(frame: &[u8]) -> Option<(u8, Vec<u8>)> {
    let mut padded = frame.to_vec();
    padded.resize(firmware::pn532::FRAME_MAX, 0);
    let body = firmware::pn532::parse_frame::<()>(&padded).ok()?;
    match &padded[body] {
        [0xD5, 0x41, status, data @ ..] if status & 0x3F == 0 => Some((*status, data.to_vec())),
        _ => None,
    }
}

/// A normal information frame from the PN532 carrying `tfi_and_data`.
fn frame(tfi_and_data: &[u8]) -> Vec<u8> {
    let len = tfi_and_data.len() as u8;
    let mut f = vec![0x00, 0x00, 0xFF, len, len.wrapping_neg()];
    f.extend_from_slice(tfi_and_data);
    let sum = tfi_and_data.iter().fold(0u8, |a, b| a.wrapping_add(*b));
    f.extend_from_slice(&[sum.wrapping_neg(), 0x00]);
    f
}

proptest! {
    /// Whatever the front end answers (after a correct ACK), the driver returns an error or
    /// exactly the data of a well-formed InDataExchange answer: a nonsense answer is never
    /// taken for a card's answer to a check, and init and detect never succeed on one.
    #[test]
    fn any_answer_frame_is_handled(body in proptest::collection::vec(any::<u8>(), 0..300)) {
        let expected = data_exchange_answer(&body);
        let garbage = Garbage { answer: body.clone(), data_reads: 0 };
        let mut pn532 = Pn532::new(garbage, NoDelay);
        pn532.timeout_ms = 2;
        let mut response = [0u8; firmware::RESPONSE_MAX];
        let result = pn532.transceive(&[0x00, 0xA4, 0x04, 0x0C], &mut response);
        if let Ok(n) = result {
            let (status, data) = expected.clone().expect("an answer from a frame that is none");
            // A device that repeats itself: each chained frame brought the same data.
            prop_assert!(!data.is_empty() || status & 0x40 == 0);
            prop_assert_eq!(n % data.len().max(1), 0);
            for chunk in response[..n].chunks(data.len().max(1)) {
                prop_assert_eq!(chunk, &data[..]);
            }
        }
        if let Some((status, data)) = &expected {
            if status & 0x40 == 0 && data.len() <= firmware::RESPONSE_MAX {
                prop_assert!(matches!(result, Ok(n) if n == data.len()), "{:?}", result);
            }
        }
        // init and detect wait for other answers (SAMConfiguration, InListPassiveTarget):
        // the same frame must not satisfy them.
        let mut fresh = Pn532::new(Garbage { answer: body.clone(), data_reads: 0 }, NoDelay);
        fresh.timeout_ms = 2;
        if expected.is_some() {
            prop_assert!(fresh.init().is_err());
            prop_assert!(fresh.detect().is_err());
        }
        let _ = firmware::pn532::parse_frame::<()>(&body);
    }

    /// A well-formed answer of any length the terminal can take is returned byte for byte.
    #[test]
    fn a_well_formed_answer_is_returned_exactly(
        data in proptest::collection::vec(any::<u8>(), 0..250),
    ) {
        let mut tfi_and_data = vec![0xD5, 0x41, 0x00];
        tfi_and_data.extend_from_slice(&data);
        let answer = frame(&tfi_and_data);
        prop_assert_eq!(data_exchange_answer(&answer), Some((0, data.clone())));
        let mut pn532 = Pn532::new(Garbage { answer, data_reads: 0 }, NoDelay);
        pn532.timeout_ms = 2;
        let mut response = [0u8; firmware::RESPONSE_MAX];
        let n = pn532.transceive(&[0x00, 0xA4, 0x04, 0x0C], &mut response);
        prop_assert!(matches!(n, Ok(n) if n == data.len()), "{:?}", n);
        prop_assert_eq!(&response[..data.len()], &data[..]);
    }
}
