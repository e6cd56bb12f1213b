//! No altered record or list ever verifies: every single-bit flip, and random damage.

use proptest::prelude::*;
use stay_core::{verify, Check, ChipAuthentication, Policy, Presentation, Role, Status, TrustList};
use stay_tests::card::{read, InProcessCard};
use stay_tests::Fixture;

/// The fixture card's PACE-CAM proof, as a border check gets it.
fn proof(f: &Fixture) -> ChipAuthentication {
    let mut card = InProcessCard::personalized(f);
    read(&mut card)
        .expect("the fixture card answers")
        .chip_authentication
        .expect("a chip proof")
}

fn chip(proof: &ChipAuthentication) -> Presentation<'_> {
    Presentation::Chip { proof: Some(proof) }
}

fn check<'a>(f: &Fixture, presentation: Presentation<'a>) -> Check<'a> {
    match presentation {
        Presentation::Printed => Check::printed(f.now, Role::Border, &Policy::DEFAULT),
        Presentation::Chip { proof } => Check::chip(f.now, Role::Border, proof, &Policy::DEFAULT),
    }
}

#[test]
fn every_bit_flip_of_a_record_is_refused() {
    let f = Fixture::new();
    let list_bytes = f.list();
    let list = TrustList::load(&list_bytes, &f.root.public_key(), None).unwrap();
    let card = InProcessCard::personalized(&f);
    let record = card.image().record.clone().expect("a record");
    let proof = proof(&f);

    assert_eq!(
        verify(&record, &list, &check(&f, chip(&proof))).status,
        Status::Valid
    );
    // Printed, the genuine record of a chip card proves no card: read the chip.
    assert_eq!(
        verify(&record, &list, &check(&f, Presentation::Printed)).status,
        Status::Indeterminate(stay_core::IndeterminateReason::ChipNotRead)
    );

    for bit in 0..record.len() * 8 {
        let mut damaged = record.clone();
        damaged[bit / 8] ^= 1 << (bit % 8);
        for presentation in [Presentation::Printed, chip(&proof)] {
            let v = verify(&damaged, &list, &check(&f, presentation));
            assert!(
                matches!(v.status, Status::Invalid(_)),
                "bit {bit}: {:?}",
                v.status
            );
        }
    }
}

#[test]
fn every_bit_flip_of_a_list_is_refused() {
    let f = Fixture::new();
    let list = f.list();
    let root = f.root.public_key();
    assert!(TrustList::load(&list, &root, None).is_ok());
    for bit in 0..list.len() * 8 {
        let mut damaged = list.clone();
        damaged[bit / 8] ^= 1 << (bit % 8);
        assert!(
            TrustList::load(&damaged, &root, None).is_err(),
            "bit {bit} still loads"
        );
    }
}

#[test]
fn every_truncation_of_a_list_is_refused() {
    let f = Fixture::new();
    let list = f.list();
    let root = f.root.public_key();
    for len in 0..list.len() {
        assert!(
            TrustList::load(&list[..len], &root, None).is_err(),
            "length {len} still loads"
        );
    }
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(2000))]

    /// Random overwrites, insertions and truncations: never a panic, never Valid.
    #[test]
    fn random_damage_never_verifies(
        edits in prop::collection::vec((any::<prop::sample::Index>(), any::<u8>(), 0u8..3), 1..6),
        cut in any::<prop::sample::Index>(),
    ) {
        let f = Fixture::new();
        let list_bytes = f.list();
        let list = TrustList::load(&list_bytes, &f.root.public_key(), None).unwrap();
        let original = f.record(&f.holder());
        let mut record = original.clone();
        for (at, byte, op) in edits {
            let i = at.index(record.len().max(1));
            match op {
                0 if !record.is_empty() => record[i] ^= byte | 1,
                1 => record.insert(i, byte),
                _ if !record.is_empty() => { record.remove(i); }
                _ => {}
            }
        }
        if record.len() > 1 && cut.index(4) == 0 {
            record.truncate(cut.index(record.len()));
        }
        prop_assume!(record != original);
        let v = verify(&record, &list, &check(&f, Presentation::Printed));
        prop_assert!(!v.status.is_valid());
    }
}
