//! The chip's portrait: read over the border check's secure channel after the verdict's own
//! APDUs, checked against the record's signed digest, never trusted otherwise.

use stay_core::apdu::PORTRAIT_MAX_LEN;
use stay_core::terminal::{
    open_border_check, open_border_check_with, Instruction, PORTRAIT_BUFFER,
};
use stay_core::{
    check_portrait, verify_portrait, Check, Decision, InvalidReason, Policy, PortraitCheck, Role,
    Status, TrustList,
};
use stay_tests::card::{portrait, recorded_random, InProcessCard};
use stay_tests::Fixture;

/// The verdict on `card`'s record and the portrait check, as the desk makes them.
fn check_card(
    fixture: &Fixture,
    card: &mut InProcessCard,
    extended_length: bool,
) -> (Status, Decision, PortraitCheck, Option<Vec<u8>>, u32) {
    let list_bytes = fixture.list();
    let list = TrustList::load(&list_bytes, &fixture.root.public_key(), None).unwrap();
    let mut channel = open_border_check_with(
        card,
        &stay_tests::card::can(),
        recorded_random(0),
        extended_length,
    )
    .unwrap();
    let reads_before = channel.reading.transcript.count(Instruction::ReadBinary);
    // The verdict keeps its own copies: the channel goes on to read the portrait.
    let (record, proof) = (
        channel.reading.record().to_vec(),
        channel.reading.chip_authentication,
    );
    let check = Check::chip(fixture.now, Role::Border, proof.as_ref(), &Policy::DEFAULT);
    let verdict = stay_core::verify(&record, &list, &check);
    let mut buf = [0u8; PORTRAIT_BUFFER];
    let len = channel.read_portrait(&mut buf).unwrap();
    let bytes = len.map(|len| buf[..len].to_vec());
    let portrait_check = check_portrait(&record, bytes.as_deref());
    let verdict = verify_portrait(verdict, portrait_check, &check);
    let reads = channel.reading.transcript.count(Instruction::ReadBinary) - reads_before;
    (
        verdict.status,
        verdict.decision,
        portrait_check,
        bytes,
        reads,
    )
}

/// A card personalized with `issued`'s digest in its record whose chip then holds `held`
/// (an attacker who rewrote the portrait file of a genuine card).
fn card_holding(fixture: &Fixture, held: Option<Vec<u8>>) -> InProcessCard {
    let genuine = InProcessCard::personalized(fixture);
    let mut image = genuine.image().clone();
    image.portrait = held;
    InProcessCard::new(image)
}

#[test]
fn the_signed_portrait_is_read_after_the_verdict_and_matches() {
    let fixture = Fixture::new();
    for extended_length in [true, false] {
        let mut card = InProcessCard::personalized(&fixture);
        let (status, decision, check, bytes, reads) =
            check_card(&fixture, &mut card, extended_length);
        assert_eq!(status, Status::Valid);
        assert_eq!(decision, Decision::MayStay);
        assert_eq!(check, PortraitCheck::Matches);
        assert_eq!(bytes.as_deref(), Some(&portrait()[..]));
        // 706 bytes: one protected read of up to 1024, or three short ones of 256.
        assert_eq!(reads, if extended_length { 1 } else { 3 });
    }
}

#[test]
fn a_portrait_other_than_the_signed_one_is_invalid_and_never_returned_as_valid() {
    let fixture = Fixture::new();
    let mut other = portrait();
    *other.last_mut().unwrap() ^= 0x01;
    for held in [Some(other), None, Some(vec![0xFF, 0xD8, 0xFF, 0xD9])] {
        let mut card = card_holding(&fixture, held.clone());
        let (status, decision, check, bytes, _) = check_card(&fixture, &mut card, true);
        assert_eq!(check, PortraitCheck::Mismatch, "{held:?}");
        assert_eq!(status, Status::Invalid(InvalidReason::PortraitMismatch));
        assert_eq!(decision, Decision::MayNotStay);
        assert_eq!(bytes, held);
    }
}

#[test]
fn an_earlier_reason_outranks_the_portrait_and_a_record_without_one_needs_none() {
    let fixture = Fixture::new();
    let mut card = card_holding(&fixture, Some(vec![1, 2, 3]));
    let list_bytes = fixture.list();
    let list = TrustList::load(&list_bytes, &fixture.root.public_key(), None).unwrap();
    let channel =
        open_border_check(&mut card, &stay_tests::card::can(), recorded_random(0)).unwrap();
    // Checked after the document expired: expiry is the first failure and stays the reason.
    let late = stay_core::UnixTime(fixture.now.0 + 400 * 86_400);
    let check = Check::chip(
        late,
        Role::Border,
        channel.reading.proof(),
        &Policy::DEFAULT,
    );
    let verdict = stay_core::verify(channel.reading.record(), &list, &check);
    assert_eq!(verdict.status, Status::Invalid(InvalidReason::Expired));
    let amended = verify_portrait(verdict, PortraitCheck::Mismatch, &check);
    assert_eq!(amended.status, Status::Invalid(InvalidReason::Expired));

    // A portrait that could not be read: nothing known of it, and no valid without a face.
    let check = Check::chip(
        fixture.now,
        Role::Border,
        channel.reading.proof(),
        &Policy::DEFAULT,
    );
    let verdict = stay_core::verify(channel.reading.record(), &list, &check);
    assert_eq!(verdict.status, Status::Valid);
    let unread = verify_portrait(verdict, PortraitCheck::NotRead, &check);
    assert_eq!(
        unread.status,
        Status::Indeterminate(stay_core::IndeterminateReason::PortraitNotRead)
    );
    assert_eq!(unread.decision, Decision::Refer);
    // A station's card verifies, also when written before its validity starts (then
    // invalid: not-yet-valid, decision card-verifies); never with a portrait that is not
    // the signed one.
    let station = Check::chip(
        fixture.now,
        Role::Station,
        channel.reading.proof(),
        &Policy::DEFAULT,
    );
    let verdict = stay_core::verify(channel.reading.record(), &list, &station);
    assert_eq!(verdict.decision, Decision::CardVerifies);
    let amended = verify_portrait(verdict, PortraitCheck::Mismatch, &station);
    assert_eq!(amended.decision, Decision::CardRejected);
    let early = stay_core::Verdict {
        status: Status::Invalid(InvalidReason::NotYetValid),
        ..verdict
    };
    let amended = verify_portrait(early, PortraitCheck::Mismatch, &station);
    assert_eq!(amended.status, Status::Invalid(InvalidReason::NotYetValid));
    assert_eq!(amended.decision, Decision::CardRejected);

    // A record that names no portrait, from a chip that holds none: nothing to compare.
    let mut holder = fixture.holder();
    holder.portrait_digest = None;
    let record = fixture.record(&holder);
    assert_eq!(check_portrait(&record, None), PortraitCheck::NoneIssued);
    // ... but a portrait the record does not name is not the holder's as issued.
    assert_eq!(
        check_portrait(&record, Some(&portrait())),
        PortraitCheck::Mismatch
    );
    // Garbage is no record, and has no digest to trust.
    assert_eq!(
        check_portrait(b"\x7F\x70\x00", None),
        PortraitCheck::Mismatch
    );
}

#[test]
fn the_largest_portrait_reads_whole_and_a_longer_file_is_refused() {
    let fixture = Fixture::new();
    // Exactly 16 chunks of 1024: the read ends on the card's "offset outside the file".
    let largest: Vec<u8> = (0..PORTRAIT_MAX_LEN).map(|i| (i % 253) as u8).collect();
    let mut card = card_holding(&fixture, Some(largest.clone()));
    let (_, _, check, bytes, reads) = check_card(&fixture, &mut card, true);
    assert_eq!(bytes.as_deref(), Some(&largest[..]));
    assert_eq!(check, PortraitCheck::Mismatch);
    assert_eq!(reads, 17);

    // A hostile card with a longer file: the terminal stops at its bound.
    let mut card = card_holding(&fixture, Some(vec![0x55; PORTRAIT_MAX_LEN + 1]));
    let mut channel =
        open_border_check(&mut card, &stay_tests::card::can(), recorded_random(0)).unwrap();
    let mut buf = [0u8; PORTRAIT_BUFFER];
    assert!(matches!(
        channel.read_portrait(&mut buf),
        Err(stay_core::terminal::CardError::Malformed {
            why: stay_core::terminal::Malformation::FileTooLong,
            ..
        })
    ));
}
