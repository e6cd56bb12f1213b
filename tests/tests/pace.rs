//! PACE with the CAN and secure messaging, in-process: the card (`card-applet-sim`'s chip)
//! against the one terminal (`stay_core::terminal`), byte for byte as over PC/SC.

use stay_core::apdu::{Status as Sw, SFI_RECORD};
use stay_core::pace::Can;
use stay_core::sm::{SmFailure, SmLink, SM_RESPONSE_MAX};
use stay_core::terminal::{ApduLink, CardError, Instruction, Session};
use stay_core::{Check, Policy, Role, Status, TrustList};
use stay_tests::card::InProcessCard;
use stay_tests::Fixture;

fn card_with_can(fixture: &Fixture) -> InProcessCard {
    InProcessCard::personalized_with_can(fixture)
}

fn counter_random() -> impl FnMut(&mut [u8; 32]) {
    let mut n = 0u8;
    move |out: &mut [u8; 32]| {
        n += 1;
        *out = [n; 32];
    }
}

#[test]
fn over_pace_the_border_check_verifies_and_without_it_the_chip_says_nothing() {
    let fixture = Fixture::new();
    let list_bytes = fixture.list();
    let list = TrustList::load(&list_bytes, &fixture.root.public_key(), None).unwrap();

    // A skimmer: SELECT works, the FCI (the serial), the record and the chip's signature do
    // not.
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
        skimmer.internal_authenticate(&[1; 16]),
        Err(CardError::Status {
            status: Sw::SecurityStatusNotSatisfied,
            ..
        })
    ));
    for (command, response) in &card.log {
        assert!(
            !response.windows(8).any(|w| w == card.image().serial),
            "{} gave the serial away",
            hex::encode_upper(command)
        );
    }

    // The guard who sees the card: PACE with its CAN, then the border check as always.
    let mut card = card_with_can(&fixture);
    let mut session = Session::new(&mut card);
    let established = session
        .establish_pace(&stay_tests::card::can(), counter_random())
        .unwrap();
    let link = SmLink::<_, SM_RESPONSE_MAX>::new(session.into_link(), established.channel);
    let mut secure = Session::new(link);
    let reading = secure.read_for_border_check([9; 16]).unwrap();
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
        let outcome = secure.read_for_border_check([9; 16]);
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
