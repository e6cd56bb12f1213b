//! PACE-CAM with the CAN and secure messaging, in-process: the card (`card-applet-sim`'s
//! chip) against the one terminal (`stay_core::terminal`), byte for byte as over PC/SC.

use std::time::Duration;

use card_applet_sim::applet::{pace_delay, PACE_DELAY_MAX, PACE_FREE_FAILURES};
use stay_core::apdu::{Status as Sw, SFI_PORTRAIT, SFI_RECORD};
use stay_core::pace::Can;
use stay_core::sm::{SmFailure, SmLink, SM_RESPONSE_MAX};
use stay_core::terminal::{ApduLink, BorderCheckError, CardError, Instruction, Session};
use stay_core::{Check, InvalidReason, Policy, Role, Status, TrustList};
use stay_tests::card::{read, recorded_random, InProcessCard};
use stay_tests::Fixture;

fn card_with_can(fixture: &Fixture) -> InProcessCard {
    InProcessCard::personalized(fixture)
}

fn counter_random() -> impl FnMut(&mut [u8; 32]) {
    recorded_random(0)
}

fn verdict_status(fixture: &Fixture, reading: &stay_core::terminal::ChipReading) -> Status {
    let list_bytes = fixture.list();
    let list = TrustList::load(&list_bytes, &fixture.root.public_key(), None).unwrap();
    stay_core::verify(
        reading.record(),
        &list,
        &Check::chip(fixture.now, Role::Border, reading.proof(), &Policy::DEFAULT),
    )
    .status
}

#[test]
fn over_pace_the_border_check_verifies_and_without_it_the_chip_says_nothing() {
    let fixture = Fixture::new();
    let list_bytes = fixture.list();
    let list = TrustList::load(&list_bytes, &fixture.root.public_key(), None).unwrap();

    // A skimmer: SELECT works, the FCI (the serial), the record, the portrait and the old
    // INTERNAL AUTHENTICATE do not.
    let mut card = card_with_can(&fixture);
    let mut skimmer = Session::new(&mut card);
    assert!(matches!(
        skimmer.select(),
        Err(CardError::Status {
            command: Instruction::Select,
            status: Sw::SecurityStatusNotSatisfied
        })
    ));
    skimmer.select_without_fci().unwrap();
    let mut buf = [0u8; 1100];
    assert!(matches!(
        skimmer.read_file(SFI_RECORD, &mut buf),
        Err(CardError::Status {
            status: Sw::SecurityStatusNotSatisfied,
            ..
        })
    ));
    assert!(matches!(
        skimmer.read_file(SFI_PORTRAIT, &mut buf),
        Err(CardError::Status {
            status: Sw::SecurityStatusNotSatisfied,
            ..
        })
    ));
    let mut response = [0u8; 80];
    let mut internal_authenticate = vec![0x00, 0x88, 0x00, 0x00, 0x10];
    internal_authenticate.extend([1u8; 16]);
    internal_authenticate.push(0x00);
    let n = card
        .exchange(&internal_authenticate, &mut response)
        .unwrap();
    assert_eq!(&response[..n], &Sw::InstructionNotSupported.to_bytes());
    for (command, response) in &card.log {
        assert!(
            !response.windows(8).any(|w| w == card.image().serial),
            "{} gave the serial away",
            hex::encode_upper(command)
        );
    }

    // The guard who sees the card: PACE with its CAN, then the border check as always.
    let mut card = card_with_can(&fixture);
    let reading = read(&mut card).unwrap();
    let verdict = stay_core::verify(
        reading.record(),
        &list,
        &Check::chip(fixture.now, Role::Border, reading.proof(), &Policy::DEFAULT),
    );
    assert_eq!(verdict.status, Status::Valid);
    assert!(verdict.chip_authenticated);
    // Nothing of the record crossed in the clear.
    let record = card.image().record.clone().unwrap();
    assert!(card
        .log
        .iter()
        .all(|(_, response)| !response.windows(16).any(|w| w == &record[20..36])));
}

#[test]
fn a_wrong_can_opens_nothing() {
    let fixture = Fixture::new();
    let mut card = card_with_can(&fixture);
    let mut session = Session::new(&mut card);
    let outcome = session.establish_pace(&Can::parse("271828").unwrap(), counter_random());
    assert!(
        matches!(
            outcome,
            Err(CardError::Status {
                command: Instruction::GeneralAuthenticate,
                status: Sw::AuthenticationFailed
            })
        ),
        "{:?}",
        outcome.err()
    );
    // And the record stays shut.
    let mut buf = [0u8; 1100];
    assert!(session.read_file(SFI_RECORD, &mut buf).is_err());
}

/// A link that flips one bit of the `n`th protected command on its way to the card.
struct Tamper<L> {
    inner: L,
    n: usize,
    bit: usize,
}

impl<L: ApduLink> ApduLink for Tamper<L> {
    type Error = L::Error;
    fn exchange(
        &mut self,
        command: &[u8],
        response: &mut [u8],
    ) -> Result<usize, stay_core::terminal::LinkError<L::Error>> {
        let mut command = command.to_vec();
        if self.n == 0 {
            let at = (self.bit / 8) % (command.len() - 1);
            command[at] ^= 1 << (self.bit % 8);
        }
        self.n = self.n.wrapping_sub(1);
        self.inner.exchange(&command, response)
    }
}

#[test]
fn a_changed_protected_command_is_refused_and_the_channel_is_gone() {
    let fixture = Fixture::new();
    for bit in [0, 9, 40, 77, 100, 130] {
        let mut card = card_with_can(&fixture);
        let mut session = Session::new(&mut card);
        let established = session
            .establish_pace(&stay_tests::card::can(), counter_random())
            .unwrap();
        let tamper = Tamper {
            inner: session.into_link(),
            n: 1,
            bit,
        };
        let link = SmLink::<_, SM_RESPONSE_MAX>::new(tamper, established.channel);
        let mut secure = Session::new(link);
        let outcome = secure.read_for_border_check(established.chip_authentication);
        // The second command (READ BINARY) was changed: the terminal sees a plain status
        // word where a protected answer was due, and stops.
        assert!(
            matches!(outcome, Err(CardError::Link(SmFailure::Channel(_)))),
            "bit {bit}: {outcome:?}"
        );
        // The card answered in plain (6988, or 6882 when the flip cleared the SM bits) and
        // dropped its keys: the same command again gets a plain refusal, not an answer.
        let (_, answer) = &card.log[card.log.len() - 1];
        assert_eq!(answer.len(), 2, "bit {bit}");
        let again = card.log[card.log.len() - 1].0.clone();
        let mut response = [0u8; 64];
        let n = card.exchange(&again, &mut response).unwrap();
        assert_eq!(n, 2, "bit {bit}: the channel survived");
    }
}

#[test]
fn a_genuine_record_in_another_chip_fails_chip_authentication() {
    let fixture = Fixture::new();
    let mut image = card_with_can(&fixture).image().clone();
    image.chip_private_key = Some(*b"another chip key, 32 bytes long!");
    let mut clone = InProcessCard::new(image);
    let reading = read(&mut clone).unwrap();
    assert!(reading.proof().is_some(), "the clone ran PACE-CAM");
    assert_eq!(
        verdict_status(&fixture, &reading),
        Status::Invalid(InvalidReason::ChipProofFailed)
    );
}

#[test]
fn an_unlocked_card_takes_no_pace() {
    let fixture = Fixture::new();
    let mut image = card_with_can(&fixture).image().clone();
    image.locked = false;
    let outcome = read(&mut InProcessCard::new(image));
    assert!(
        matches!(
            outcome,
            Err(BorderCheckError::Pace(CardError::Status {
                command: Instruction::ManageSecurityEnvironment,
                status: Sw::ConditionsNotSatisfied
            }))
        ),
        "{:?}",
        outcome.err()
    );
}

/// The slow-down's schedule, and the card keeping it: the attempt is counted before the
/// nonce leaves (pulling the card does not reset it), and a success clears it.
#[test]
fn failed_attempts_slow_the_card_down_and_a_success_clears_the_count() {
    assert_eq!(pace_delay(0), Duration::ZERO);
    assert_eq!(pace_delay(PACE_FREE_FAILURES), Duration::from_secs(1));
    assert_eq!(pace_delay(PACE_FREE_FAILURES + 1), Duration::from_secs(2));
    assert_eq!(pace_delay(PACE_FREE_FAILURES + 4), Duration::from_secs(16));
    assert_eq!(pace_delay(u16::MAX), PACE_DELAY_MAX);
    let total: Duration = (0..1_000_000u32)
        .map(|n| pace_delay(n.min(60) as u16))
        .sum();
    // A brute force of every CAN: about 347 days of the card answering, at worst.
    assert!(total > Duration::from_secs(340 * 86_400), "{total:?}");

    let fixture = Fixture::new();
    let mut card = card_with_can(&fixture);
    let wrong = Can::parse("000000").unwrap();
    let mse = {
        let mut apdu = vec![
            0x00,
            0x22,
            0xC1,
            0xA4,
            stay_core::pace::MSE_SET_AT_DATA.len() as u8,
        ];
        apdu.extend(stay_core::pace::MSE_SET_AT_DATA);
        apdu
    };
    let start = [0x10, 0x86, 0x00, 0x00, 0x02, 0x7C, 0x00, 0x00];
    let delay_of_next_attempt = |card: &mut InProcessCard| {
        let select = [
            0x00, 0xA4, 0x04, 0x0C, 0x08, 0xF0, 0x4B, 0x47, 0x53, 0x54, 0x41, 0x59, 0x01,
        ];
        card.chip.process(&select, &mut card.rng);
        card.chip.process(&mse, &mut card.rng);
        let reply = card.chip.process(&start, &mut card.rng);
        card.chip.reset();
        reply.delay
    };
    for failure in 0..PACE_FREE_FAILURES + 2 {
        let _ = Session::new(&mut card).establish_pace(&wrong, counter_random());
        assert_eq!(card.image().pace_failures, failure + 1);
    }
    // An attempt begun and abandoned (the card pulled after the nonce) counts too.
    assert_eq!(delay_of_next_attempt(&mut card), Duration::from_secs(4));
    assert_eq!(card.image().pace_failures, PACE_FREE_FAILURES + 3);
    assert_eq!(delay_of_next_attempt(&mut card), Duration::from_secs(8));
    // The right CAN opens the card (after its wait) and clears the count.
    let reading = read(&mut card).unwrap();
    assert_eq!(verdict_status(&fixture, &reading), Status::Valid);
    assert_eq!(card.image().pace_failures, 0);
    assert_eq!(delay_of_next_attempt(&mut card), Duration::ZERO);
}

/// Selecting the other application (the bank card's PPSE) inside the channel ends the
/// channel: the SELECT's own answer comes protected, then the resident-card application
/// answers nothing more over those keys.
#[test]
fn switching_applications_ends_the_channel() {
    let fixture = Fixture::new();
    let mut card = card_with_can(&fixture);
    let mut session = Session::new(&mut card);
    let established = session
        .establish_pace(&stay_tests::card::can(), counter_random())
        .unwrap();
    let mut link = SmLink::<_, SM_RESPONSE_MAX>::new(session.into_link(), established.channel);
    let select = |name: &[u8]| {
        let mut apdu = vec![0x00, 0xA4, 0x04, 0x00, name.len() as u8];
        apdu.extend_from_slice(name);
        apdu.push(0x00);
        apdu
    };
    let mut response = vec![0u8; SM_RESPONSE_MAX];
    let n = link
        .exchange(&select(card_applet_sim::payment::PPSE), &mut response)
        .expect("the switch itself is answered over the channel");
    assert_eq!(response[n - 2..n], Sw::Success.to_bytes());
    let back = link.exchange(&select(&stay_core::apdu::AID), &mut response);
    assert!(
        matches!(
            back,
            Err(stay_core::terminal::LinkError::Failed(SmFailure::Channel(
                _
            )))
        ),
        "the channel outlived the switch: {back:?}"
    );
    let (_, answer) = card.log.last().unwrap();
    assert_eq!(
        answer.len(),
        2,
        "a plain refusal, not the FCI: {answer:02X?}"
    );
}
