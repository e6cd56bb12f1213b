//! Every golden vector in testdata/ through the scanner's own paths gives the host's
//! verdict: printed cases as imager frames on the UART, chip cases as the recorded PACE-CAM
//! border check answered by a card behind the simulated PN532.

mod sim;

use firmware::imager::{encode_frame, Imager};
use firmware::pn532::Pn532;
use sim::{NoDelay, SimPn532, SimUart};
use stay_core::{Check, ChipAuthentication, Policy, Role, TrustList, UnixTime};
use stay_tests::golden::{parse_transcript, Case, Outcome, Vectors};
use stay_tests::testdata;

fn outcome(
    record: &[u8],
    list: &TrustList<'_>,
    case: &Case,
    proof: Option<&ChipAuthentication>,
) -> Outcome {
    let role = Role::from_str(&case.role, case.employer_tin.as_deref()).unwrap();
    let now = UnixTime(case.now);
    let check = match case.presentation.as_str() {
        "printed" => Check::printed(now, role, &Policy::DEFAULT),
        _ => Check::chip(now, role, proof, &Policy::DEFAULT),
    };
    Outcome::of(&stay_core::verify(record, list, &check))
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

/// A card that answers with the recorded responses, in order, whatever it is sent.
fn replaying_card(exchanges: Vec<(Vec<u8>, Vec<u8>)>) -> sim::CardFn {
    let mut answers = exchanges.into_iter().map(|(_, response)| response);
    Box::new(move |_: &[u8]| answers.next().unwrap_or_else(|| vec![0x6F, 0x00]))
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
            let transcript = case
                .transcript
                .as_deref()
                .expect("a chip case's transcript");
            let exchanges =
                parse_transcript(&std::fs::read_to_string(dir.join(transcript)).unwrap()).unwrap();
            let mut pn532 = Pn532::new(SimPn532::new(Some(replaying_card(exchanges))), NoDelay);
            pn532.init().unwrap();
            pn532.detect().unwrap().unwrap();
            let can = stay_core::pace::Can::parse(case.can.as_deref().unwrap()).unwrap();
            let seed = case.terminal_seed.unwrap_or(0);
            match stay_core::terminal::border_check(
                &mut pn532,
                &can,
                stay_tests::card::recorded_random(seed),
            ) {
                Ok(reading) => {
                    assert_eq!(reading.transcript.apdus, 9, "{}", case.name);
                    outcome(reading.record(), &list, case, reading.proof())
                }
                Err(e) => Outcome::no_channel(&e),
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
