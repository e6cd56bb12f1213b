//! Verdict rules at their boundaries: the exact seconds a document starts and stops being
//! valid in Bishkek, list grace, rollback, and revocation lookups in a million-entry list.

use stay_core::{
    verify, verify_without_list, Check, Decision, HighWater, IndeterminateReason, InvalidReason,
    ListError, Policy, Role, ShownFields, Status, TrustList, UnixTime,
};
use stay_tests::Fixture;

/// The fixture's card read from its chip, at `now`.
fn status_at(record: &[u8], list: &TrustList<'_>, now: u64) -> Status {
    let proof = Fixture::new().chip_proof();
    let check = Check::chip(UnixTime(now), Role::Border, Some(&proof), &Policy::DEFAULT);
    verify(record, list, &check).status
}

/// 2027-10-31T18:00:00Z is 2027-11-01 00:00 in Bishkek.
const FIRST_SECOND_AFTER_EXPIRY: u64 = 1_825_005_600;
/// 2026-10-31T18:00:00Z is 2026-11-01 00:00 in Bishkek.
const FIRST_VALID_SECOND: u64 = 1_793_469_600;

#[test]
fn validity_is_whole_days_in_bishkek() {
    let f = Fixture::new();
    let record = f.record(&f.holder());
    // A list that is current at both boundaries.
    let spec = issuer::ListSpec {
        issued_at: UnixTime(FIRST_VALID_SECOND - 86_400),
        next_update: UnixTime(FIRST_SECOND_AFTER_EXPIRY + 86_400),
        ..f.list_spec(vec![])
    };
    let bytes = spec.seal(&f.root).unwrap();
    let list = TrustList::load(&bytes, &f.root.public_key(), None).unwrap();
    assert_eq!(
        status_at(&record, &list, FIRST_VALID_SECOND - 1),
        Status::Invalid(InvalidReason::NotYetValid)
    );
    assert_eq!(status_at(&record, &list, FIRST_VALID_SECOND), Status::Valid);
    assert_eq!(
        status_at(&record, &list, FIRST_SECOND_AFTER_EXPIRY - 1),
        Status::Valid
    );
    assert_eq!(
        status_at(&record, &list, FIRST_SECOND_AFTER_EXPIRY),
        Status::Invalid(InvalidReason::Expired)
    );
}

#[test]
fn grace_ends_to_the_second_and_clock_before_list_is_indeterminate() {
    let f = Fixture::new();
    let record = f.record(&f.holder());
    let bytes = f.list();
    let list = TrustList::load(&bytes, &f.root.public_key(), None).unwrap();
    let end_of_grace = list.next_update.0 + Policy::DEFAULT.trust_list_grace_secs;
    assert_eq!(status_at(&record, &list, end_of_grace), Status::Valid);
    assert_eq!(
        status_at(&record, &list, end_of_grace + 1),
        Status::Indeterminate(IndeterminateReason::TrustListStale)
    );
    assert_eq!(status_at(&record, &list, list.issued_at.0), Status::Valid);
    assert_eq!(
        status_at(&record, &list, list.issued_at.0 - 1),
        Status::Indeterminate(IndeterminateReason::ClockBeforeTrustList)
    );
}

#[test]
fn a_lower_sequence_is_a_rollback() {
    let f = Fixture::new();
    let bytes = f.list();
    let root = f.root.public_key();
    assert!(TrustList::load(&bytes, &root, Some(7)).is_ok());
    assert!(TrustList::load(&bytes, &root, Some(6)).is_ok());
    assert_eq!(
        TrustList::load(&bytes, &root, Some(8)).unwrap_err(),
        ListError::Rollback {
            trusted: 8,
            offered: 7
        }
    );
    // Signed by another key: refused whatever its sequence.
    let forged = f.list_spec(vec![]).seal(&f.signer).unwrap();
    assert!(matches!(
        TrustList::load(&forged, &root, None),
        Err(ListError::BadSignature(_))
    ));
}

#[test]
fn a_list_is_admitted_only_against_the_high_water_mark() {
    let f = Fixture::new();
    let bytes = f.list();
    let root = f.root.public_key();
    let sequence = TrustList::load(&bytes, &root, None).unwrap().sequence;
    let mark = HighWater::for_list(sequence, &bytes);
    assert!(
        TrustList::load_against(&bytes, &root, None).is_ok(),
        "first list"
    );
    assert!(
        TrustList::load_against(&bytes, &root, Some(&mark)).is_ok(),
        "same list"
    );
    // The same sequence, other bytes (one more revocation), signed by the root: refused.
    let reissued = f.list_spec(vec!["RC0000042".into()]).seal(&f.root).unwrap();
    assert_eq!(
        TrustList::load_against(&reissued, &root, Some(&mark)).unwrap_err(),
        ListError::SequenceReused { sequence }
    );
    let newer = HighWater::for_list(sequence + 1, b"the next list");
    assert_eq!(
        TrustList::load_against(&bytes, &root, Some(&newer)).unwrap_err(),
        ListError::Rollback {
            trusted: sequence + 1,
            offered: sequence
        }
    );
}

#[test]
fn without_a_trust_list_nothing_is_valid() {
    let f = Fixture::new();
    let record = f.record(&stay_tests::golden::unified_window("UW0000001"));
    for role in [
        Role::Border,
        Role::Employer {
            tin: "01234567890123",
        },
        Role::Station,
    ] {
        let check = Check::printed(f.now, role, &Policy::DEFAULT);
        let verdict = verify_without_list(&record, &check);
        assert_eq!(
            verdict.status,
            Status::Indeterminate(IndeterminateReason::TrustListUnavailable)
        );
        assert_eq!(verdict.status.reason_code(), Some("trust-list-unavailable"));
        let expected = match role {
            Role::Station => Decision::CardRejected,
            _ => Decision::Refer,
        };
        assert_eq!(verdict.decision, expected);
        assert!(!verdict.authentic);
        assert_eq!(
            verdict.shown,
            ShownFields::default(),
            "nothing shown unchecked"
        );
        // Bytes that are no record are invalid with or without a list.
        assert!(matches!(
            verify_without_list(b"not a record", &check).status,
            Status::Invalid(InvalidReason::Malformed(_))
        ));
    }
}

#[test]
fn revocation_lookup_in_a_million_entries() {
    let f = Fixture::new();
    // Mixed lengths exercise the NUL-padded ordering.
    let revoked: Vec<String> = (0..1_000_000u32)
        .map(|i| {
            if i % 3 == 0 {
                format!("R{}", i * 2)
            } else {
                format!("RC{:09}", i * 2)
            }
        })
        .collect();
    let bytes = f.list_spec(revoked.clone()).seal(&f.root).unwrap();
    let list = TrustList::load(&bytes, &f.root.public_key(), None).unwrap();
    assert_eq!(list.revoked_document_count(), 1_000_000);
    for i in [0u32, 1, 2, 499_999, 999_998, 999_999] {
        assert!(
            list.is_document_revoked(&revoked[i as usize]),
            "{}",
            revoked[i as usize]
        );
        // Odd numbers were never revoked.
        assert!(!list.is_document_revoked(&format!("RC{:09}", i * 2 + 1)));
        assert!(!list.is_document_revoked(&format!("R{}", i * 2 + 1)));
    }
    assert!(!list.is_document_revoked("A"));
    assert!(!list.is_document_revoked("ZZZZZZZZZZZZZZZZ"));
    assert!(!list.is_document_revoked("RC0000000000000000"));
}

#[test]
fn a_record_revoked_in_a_large_list_is_invalid() {
    let f = Fixture::new();
    let mut revoked: Vec<String> = (0..50_000u32).map(|i| format!("RC{:07}", i * 2)).collect();
    revoked.push("RC0000001".into());
    let bytes = f.list_spec(revoked).seal(&f.root).unwrap();
    let list = TrustList::load(&bytes, &f.root.public_key(), None).unwrap();
    let record = f.record(&f.holder());
    assert_eq!(
        status_at(&record, &list, f.now.0),
        Status::Invalid(InvalidReason::DocumentRevoked)
    );
}

#[test]
fn roles_see_only_their_fields() {
    let f = Fixture::new();
    let bytes = f.list();
    let list = TrustList::load(&bytes, &f.root.public_key(), None).unwrap();
    let record = f.record(&f.holder());
    let v = |role| {
        verify(
            &record,
            &list,
            &Check::printed(f.now, role, &Policy::DEFAULT),
        )
    };
    let border = v(Role::Border).shown;
    assert_eq!(border.document_number, Some("RC0000001"));
    assert_eq!((border.pin, border.itn), (None, None));
    let employer = v(Role::Employer {
        tin: "01234567890123",
    })
    .shown;
    assert_eq!(employer.pin, Some("21503199000123"));
    assert_eq!(
        (
            employer.document_number,
            employer.date_of_birth,
            employer.nationality
        ),
        (None, None, None)
    );
    // Forged data is never shown.
    let mut tampered = record.clone();
    let at = tampered.windows(5).position(|w| w == b"Elena").unwrap();
    tampered[at] = b'X';
    let forged = verify(
        &tampered,
        &list,
        &Check::printed(f.now, Role::Station, &Policy::DEFAULT),
    );
    assert_eq!(forged.status, Status::Invalid(InvalidReason::BadSignature));
    assert_eq!(forged.shown, Default::default());
}
