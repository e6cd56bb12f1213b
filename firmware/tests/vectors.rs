//! Every golden vector in testdata/ through the scanner's own paths gives the host's
//! verdict: printed cases as imager frames on the UART, chip cases as a card behind the
//! simulated PN532 that answers with the vector's record and proof.

mod sim;

use firmware::imager::{encode_frame, Imager};
use firmware::pn532::Pn532;
use sim::{NoDelay, SimPn532, SimUart};
use stay_core::apdu::{Fci, Status as Sw, INS_INTERNAL_AUTHENTICATE, INS_READ_BINARY, INS_SELECT};
use stay_core::terminal::Session;
use stay_core::{Check, Policy, Role, TrustList, UnixTime};
use stay_tests::golden::{Case, Outcome, Vectors};
use stay_tests::testdata;

fn hex_array<const N: usize>(text: Option<&str>) -> Option<[u8; N]> {
    text.map(|h| hex::decode(h).unwrap().try_into().unwrap())
}

fn outcome(
    record: &[u8],
    list: &TrustList<'_>,
    case: &Case,
    proof: Option<stay_core::ChipProof<'_>>,
) -> Outcome {
    let role = Role::from_str(&case.role, case.employer_tin.as_deref()).unwrap();
    let now = UnixTime(case.now);
    let check = match case.presentation.as_str() {
        "printed" => Check::printed(now, role, &Policy::DEFAULT),
        _ => Check::chip(now, role, proof, &Policy::DEFAULT),
    };
    let v = stay_core::verify(record, list, &check);
    Outcome {
        status: v.status.name().into(),
        reason: v.status.reason_code().map(Into::into),
        decision: v.decision.code().into(),
        chip_authenticated: v.chip_authenticated,
    }
}

/// The record as the imager delivers it: one frame, arriving in 7-byte pieces after some
/// line noise.
fn through_the_imager(record: &[u8]) -> Vec<u8> {
    let mut frame = vec![0u8; record.len() + 5];
    let n = encode_frame(record, &mut frame).unwrap();
    let mut line = vec![0x00, 0xFF, 0x13];
    line.extend_from_slice(&frame[..n]);
    let mut imager = Imager::new(SimUart::holding(line.chunks(7).map(<[u8]>::to_vec)));
    let mut payload = heapless::Vec::new();
    assert!(imager.poll(&mut payload).unwrap(), "a whole frame");
    payload.to_vec()
}

/// A card that answers the border check with the vector's record and proof.
fn scripted_card(record: Vec<u8>, proof: Option<[u8; 64]>) -> sim::CardFn {
    let fci = Fci {
        serial: [0; 8],
        locked: true,
    }
    .write();
    Box::new(move |apdu: &[u8]| {
        let (mut answer, status) = match apdu.get(1).copied() {
            Some(INS_SELECT) => (fci.to_vec(), Sw::Success),
            Some(INS_READ_BINARY) => (record.clone(), Sw::Success),
            Some(INS_INTERNAL_AUTHENTICATE) => match proof {
                Some(proof) => (proof.to_vec(), Sw::Success),
                None => (vec![], Sw::ConditionsNotSatisfied),
            },
            _ => (vec![], Sw::InstructionNotSupported),
        };
        answer.extend(status.to_bytes());
        answer
    })
}

#[test]
fn every_golden_case_gives_the_hosts_verdict_on_the_scanner() {
    let dir = testdata();
    let vectors = Vectors::read(&dir).unwrap();
    let root = vectors.root(&dir).unwrap();
    let mut failures = Vec::new();
    let (mut printed, mut chip) = (0, 0);
    for case in &vectors.cases {
        let list_bytes = std::fs::read(dir.join(&case.list)).unwrap();
        let list = TrustList::load(&list_bytes, &root, None).unwrap();
        let record = std::fs::read(dir.join(&case.record)).unwrap();
        let got = if case.presentation == "printed" {
            printed += 1;
            let payload = through_the_imager(&record);
            outcome(&payload, &list, case, None)
        } else {
            chip += 1;
            let challenge = hex_array::<16>(case.challenge.as_deref()).unwrap_or([0; 16]);
            let proof = hex_array::<64>(case.proof.as_deref());
            let mut pn532 = Pn532::new(
                SimPn532::new(Some(scripted_card(record.clone(), proof))),
                NoDelay,
            );
            pn532.init().unwrap();
            pn532.detect().unwrap().unwrap();
            let mut session = Session::new(&mut pn532);
            match session.read_for_border_check(challenge) {
                Ok(reading) => {
                    assert_eq!(session.transcript.apdus, 3, "{}", case.name);
                    outcome(reading.record(), &list, case, reading.proof())
                }
                Err(e) => panic!("{}: {e:?}", case.name),
            }
        };
        let host = vectors.run(&dir, case).unwrap();
        if got != case.expected() || got != host {
            failures.push(format!("{}: scanner {got:?}, host {host:?}", case.name));
        }
    }
    assert!(failures.is_empty(), "{}", failures.join("\n"));
    assert!(
        printed >= 10 && chip >= 5,
        "{printed} printed, {chip} chip cases"
    );
}
