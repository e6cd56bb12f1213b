//! The trust list in two NOR flash slots and its high-water mark: power lost at every
//! program step of an update leaves a good list in force (the old one, or the new one once
//! its mark is written), never none and never a damaged one; lists that do not verify, roll
//! back or reuse a sequence are refused before a byte is written; a newest slot that decays
//! leaves no list in force, never the older one.

mod sim;

use firmware::list_store::{ListStore, Slot, StoreError};
use sim::SimFlash;
use stay_core::ListError;
use stay_tests::Fixture;

const SLOT: u32 = 16 * 1024;
/// Slots after a first sector the store does not own (firmware, settings).
const BASE: u32 = 4096;

fn list(fixture: &Fixture, sequence: u64, revoked: usize) -> Vec<u8> {
    let mut spec = fixture.list_spec((0..revoked).map(|i| format!("RX{i:07}")).collect());
    spec.sequence = sequence;
    spec.seal(&fixture.root).unwrap()
}

fn store(flash: SimFlash) -> ListStore<SimFlash> {
    ListStore::new(flash, BASE, SLOT).unwrap()
}

fn in_force(store: &mut ListStore<SimFlash>, fixture: &Fixture) -> Option<(Slot, u64)> {
    let mut buf = vec![0u8; store.capacity()];
    store
        .in_force(&fixture.root.public_key(), &mut buf)
        .unwrap()
        .map(|(f, list)| {
            assert_eq!(f.sequence, list.sequence);
            (f.slot, f.sequence)
        })
}

fn install(
    store: &mut ListStore<SimFlash>,
    fixture: &Fixture,
    list: &[u8],
) -> Result<u64, StoreError<sim::FlashError>> {
    let mut scratch = vec![0u8; store.capacity()];
    store.install(list, &fixture.root.public_key(), &mut scratch)
}

#[test]
fn updates_alternate_slots_and_the_newest_is_in_force() {
    let fixture = Fixture::new();
    let mut s = store(SimFlash::new(64 * 1024));
    assert_eq!(in_force(&mut s, &fixture), None, "blank flash: no list");
    assert_eq!(install(&mut s, &fixture, &list(&fixture, 7, 10)), Ok(7));
    assert_eq!(in_force(&mut s, &fixture), Some((Slot::A, 7)));
    assert_eq!(install(&mut s, &fixture, &list(&fixture, 8, 11)), Ok(8));
    assert_eq!(in_force(&mut s, &fixture), Some((Slot::B, 8)));
    // The same sequence again (a re-sent list) is accepted, in the other slot.
    assert_eq!(install(&mut s, &fixture, &list(&fixture, 8, 11)), Ok(8));
    assert_eq!(in_force(&mut s, &fixture), Some((Slot::A, 8)));
    // After a restart, the same.
    let mut s = store(s.into_flash());
    assert_eq!(in_force(&mut s, &fixture), Some((Slot::A, 8)));
    // The first sector is never touched.
    assert!(s.into_flash().mem[..BASE as usize]
        .iter()
        .all(|b| *b == 0xFF));
}

#[test]
fn a_list_that_does_not_verify_or_rolls_back_is_refused_unwritten() {
    let fixture = Fixture::new();
    let mut s = store(SimFlash::new(64 * 1024));
    install(&mut s, &fixture, &list(&fixture, 7, 10)).unwrap();
    let before = s.into_flash();
    let snapshot = before.mem.clone();
    let mut s = store(before);

    let older = list(&fixture, 6, 10);
    assert_eq!(
        install(&mut s, &fixture, &older),
        Err(StoreError::Refused(ListError::Rollback {
            trusted: 7,
            offered: 6
        }))
    );
    let mut forged = list(&fixture, 9, 10);
    let last = forged.len() - 1;
    forged[last] ^= 1;
    assert!(matches!(
        install(&mut s, &fixture, &forged),
        Err(StoreError::Refused(ListError::BadSignature(_)))
    ));
    let other_root = Fixture {
        root: issuer::KeyPair::from_seed("another root"),
        ..Fixture::new()
    };
    assert!(matches!(
        install(&mut s, &fixture, &list(&other_root, 9, 0)),
        Err(StoreError::Refused(ListError::BadSignature(_)))
    ));
    let huge = list(&fixture, 9, 3000);
    assert!(huge.len() > s.capacity());
    assert_eq!(install(&mut s, &fixture, &huge), Err(StoreError::TooLarge));
    assert_eq!(s.into_flash().mem, snapshot, "nothing written");
}

#[test]
fn power_lost_at_every_step_keeps_the_last_good_list() {
    let fixture = Fixture::new();
    let old = list(&fixture, 7, 10);
    let new = list(&fixture, 8, 400);
    // The steps a whole update takes.
    let mut s = store(SimFlash::new(64 * 1024));
    install(&mut s, &fixture, &old).unwrap();
    let base = s.into_flash();
    let mut counting = SimFlash::new(0);
    counting.mem = base.mem.clone();
    let mut s = store(counting);
    install(&mut s, &fixture, &new).unwrap();
    let steps = s.into_flash().steps;
    assert!(steps > 100, "{steps} steps");

    for cut in 0..steps {
        let mut flash = SimFlash::new(0);
        flash.mem = base.mem.clone();
        flash.steps_left = Some(cut);
        let mut s = store(flash);
        assert!(
            matches!(install(&mut s, &fixture, &new), Err(StoreError::Flash(_))),
            "cut at {cut}"
        );
        // Power comes back: the old list is in force, whole; or, once the new list's mark
        // was written, the new one (its bytes vouched for by the mark), never none.
        let mut flash = s.into_flash();
        flash.power_on();
        let mut s = store(flash);
        let after = in_force(&mut s, &fixture);
        assert!(
            after == Some((Slot::A, 7)) || after == Some((Slot::B, 8)),
            "cut at {cut}: {after:?}"
        );
        let mark = s.high_water().unwrap().map(|m| m.sequence);
        assert_eq!(
            after.map(|(_, sequence)| sequence),
            mark,
            "cut at {cut}: the list in force is the mark's"
        );
        // And the update then goes through.
        assert_eq!(install(&mut s, &fixture, &new), Ok(8), "cut at {cut}");
        assert_eq!(
            in_force(&mut s, &fixture).map(|(_, sequence)| sequence),
            Some(8),
            "cut at {cut}"
        );
    }
}

#[test]
fn a_decayed_newer_slot_leaves_no_list_never_the_older() {
    let fixture = Fixture::new();
    let mut s = store(SimFlash::new(64 * 1024));
    install(&mut s, &fixture, &list(&fixture, 7, 10)).unwrap();
    install(&mut s, &fixture, &list(&fixture, 8, 10)).unwrap();
    let mut flash = s.into_flash();
    // A bit of slot B's list flips (header intact, so only the signature can tell).
    let at = (BASE + SLOT) as usize + 16 + 40;
    flash.mem[at] ^= 0x01;
    let mut s = store(flash);
    // List 7 is whole, but 8 was accepted: what 8 revoked must stay revoked.
    assert_eq!(in_force(&mut s, &fixture), None);
    assert_eq!(s.high_water().unwrap().map(|m| m.sequence), Some(8));
    // Offered again, list 7 is refused; a fresh list puts the scanner back in service.
    assert_eq!(
        install(&mut s, &fixture, &list(&fixture, 7, 10)),
        Err(StoreError::Refused(ListError::Rollback {
            trusted: 8,
            offered: 7
        }))
    );
    assert_eq!(install(&mut s, &fixture, &list(&fixture, 9, 10)), Ok(9));
    assert_eq!(
        in_force(&mut s, &fixture).map(|(_, sequence)| sequence),
        Some(9)
    );
}

#[test]
fn a_layout_the_flash_cannot_hold_is_refused() {
    assert!(matches!(
        ListStore::new(SimFlash::new(64 * 1024), 100, SLOT),
        Err(StoreError::Layout)
    ));
    assert!(matches!(
        ListStore::new(SimFlash::new(64 * 1024), 0, 5000),
        Err(StoreError::Layout)
    ));
    assert!(matches!(
        ListStore::new(SimFlash::new(32 * 1024), 4096, SLOT),
        Err(StoreError::Layout)
    ));
}

/// Every length an offered list could be cut to, and every byte with a bit flipped: each
/// refused before a byte of flash is written.
#[test]
fn every_damaged_list_offered_is_refused_unwritten() {
    let fixture = Fixture::new();
    let mut s = store(SimFlash::new(64 * 1024));
    install(&mut s, &fixture, &list(&fixture, 7, 10)).unwrap();
    let snapshot = s.into_flash().mem.clone();
    let next = list(&fixture, 8, 10);
    let mut damaged: Vec<Vec<u8>> = (0..next.len()).map(|n| next[..n].to_vec()).collect();
    damaged.extend((0..next.len()).map(|i| {
        let mut bytes = next.clone();
        bytes[i] ^= 1 << (i % 8);
        bytes
    }));
    for bytes in damaged {
        let mut flash = SimFlash::new(0);
        flash.mem = snapshot.clone();
        let mut s = store(flash);
        assert!(
            matches!(
                install(&mut s, &fixture, &bytes),
                Err(StoreError::Refused(_))
            ),
            "{} bytes accepted",
            bytes.len()
        );
        assert_eq!(in_force(&mut s, &fixture), Some((Slot::A, 7)));
        assert!(s.into_flash().mem == snapshot, "flash written");
    }
}

/// Every byte of the newer slot, header and list, with a bit flipped in flash: never the
/// older list, never a damaged one. A flipped header leaves the list the mark vouches for
/// (its length and digest) in force; a flipped list byte leaves none.
#[test]
fn every_flipped_byte_of_the_newer_slot_never_brings_back_the_older() {
    let fixture = Fixture::new();
    let mut s = store(SimFlash::new(64 * 1024));
    install(&mut s, &fixture, &list(&fixture, 7, 10)).unwrap();
    let newer = list(&fixture, 8, 10);
    install(&mut s, &fixture, &newer).unwrap();
    let good = s.into_flash().mem.clone();
    let slot_b = (BASE + SLOT) as usize;
    for at in slot_b..slot_b + 16 + newer.len() {
        let mut flash = SimFlash::new(0);
        flash.mem = good.clone();
        flash.mem[at] ^= 1 << (at % 8);
        let mut s = store(flash);
        let expected = if at - slot_b < 16 {
            Some((Slot::B, 8))
        } else {
            None
        };
        assert_eq!(
            in_force(&mut s, &fixture),
            expected,
            "byte {} of slot B flipped",
            at - slot_b
        );
    }
}

/// A sequence names one list: another list under the sequence in force is refused, the
/// same list re-sent is not.
#[test]
fn another_list_under_the_same_sequence_is_refused() {
    let fixture = Fixture::new();
    let mut s = store(SimFlash::new(64 * 1024));
    install(&mut s, &fixture, &list(&fixture, 8, 10)).unwrap();
    assert_eq!(
        install(&mut s, &fixture, &list(&fixture, 8, 12)),
        Err(StoreError::Refused(ListError::SequenceReused {
            sequence: 8
        }))
    );
    assert_eq!(install(&mut s, &fixture, &list(&fixture, 8, 10)), Ok(8));
}

/// Every byte of the newest mark flipped: the older mark is the one kept, and the newest
/// list, which it admits, stays in force.
#[test]
fn a_damaged_mark_falls_back_to_the_older_mark_and_keeps_the_newest_list() {
    let fixture = Fixture::new();
    let mut s = store(SimFlash::new(64 * 1024));
    install(&mut s, &fixture, &list(&fixture, 7, 10)).unwrap();
    install(&mut s, &fixture, &list(&fixture, 8, 10)).unwrap();
    let good = s.into_flash().mem.clone();
    // The second mark went to the second mark sector, after the slots.
    let mark = (BASE + 2 * SLOT + 4096) as usize;
    for at in mark..mark + firmware::list_store::MARK_LEN {
        let mut flash = SimFlash::new(0);
        flash.mem = good.clone();
        flash.mem[at] ^= 1 << (at % 8);
        let mut s = store(flash);
        assert_eq!(s.high_water().unwrap().map(|m| m.sequence), Some(7));
        assert_eq!(in_force(&mut s, &fixture), Some((Slot::B, 8)), "byte {at}");
    }
}
