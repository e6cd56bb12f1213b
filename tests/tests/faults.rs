//! Fault matrix rows that run in-process (docs/threat-model.md lists every row and where
//! it is tested): a card pulled at every APDU of the border check; the host's trust list
//! damaged at every length and every byte, offered or found on disk; the clock before the
//! list and past its grace. Nothing here may give a false VALID, and the last good list
//! always stays in force.

use reader_host::trust_cache::{
    copy_path, high_water_path, previous_path, ListState, RefreshResult, TrustCache,
};
use stay_core::terminal::ChipReading;
use stay_core::HighWater;
use stay_core::{Check, Policy, Role, Status, UnixTime};
use stay_tests::card::{read, InProcessCard, LeavingCard};
use stay_tests::Fixture;

/// Every way to damage `list`: each length it could be cut to, and each byte with one bit
/// flipped (a different bit from byte to byte).
fn damaged(list: &[u8]) -> Vec<(String, Vec<u8>)> {
    let cut = (0..list.len()).map(|n| (format!("cut to {n} bytes"), list[..n].to_vec()));
    let flipped = (0..list.len()).map(|i| {
        let mut bytes = list.to_vec();
        bytes[i] ^= 1 << (i % 8);
        (format!("bit {} of byte {i} flipped", i % 8), bytes)
    });
    cut.chain(flipped).collect()
}

fn list_with_sequence(fixture: &Fixture, sequence: u64) -> Vec<u8> {
    let mut spec = fixture.list_spec(vec!["RC0000099".into()]);
    spec.sequence = sequence;
    spec.seal(&fixture.root).unwrap()
}

#[test]
fn a_card_pulled_at_every_apdu_of_the_border_check_gives_no_verdict() {
    let fixture = Fixture::new();
    let list = fixture.list();
    let list = stay_core::TrustList::load(&list, &fixture.root.public_key(), None).unwrap();
    let check = |reading: &ChipReading| {
        stay_core::verify(
            reading.record(),
            &list,
            &Check::chip(fixture.now, Role::Border, reading.proof(), &Policy::DEFAULT),
        )
        .status
    };
    // A whole check, to count its APDUs.
    let mut card = LeavingCard {
        inner: InProcessCard::personalized(&fixture),
        left: None,
    };
    let reading = read(&mut card).unwrap();
    assert_eq!(check(&reading), Status::Valid);
    let total = card.inner.log.len();
    assert_eq!(
        total, 9,
        "SELECT, EF.CardAccess, MSE, GENERAL AUTHENTICATE x4, SELECT, READ BINARY"
    );

    for pulled_at in 0..total {
        let mut card = LeavingCard {
            inner: InProcessCard::personalized(&fixture),
            left: Some(pulled_at),
        };
        let outcome = read(&mut card);
        assert!(
            outcome.as_ref().is_err_and(reader_host::card::card_removed),
            "pulled at APDU {pulled_at}: {outcome:?}"
        );
        // Put back, the same card reads and verifies: nothing on it changed.
        card.left = None;
        card.inner.chip.reset();
        let reading = read(&mut card).unwrap();
        assert_eq!(check(&reading), Status::Valid, "pulled at APDU {pulled_at}");
    }
}

#[test]
fn every_damaged_list_offered_to_the_host_is_refused_and_the_last_good_one_stays() {
    let fixture = Fixture::new();
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("trust.list");
    let good = list_with_sequence(&fixture, 7);
    std::fs::write(&path, &good).unwrap();
    let cache = TrustCache::open(fixture.root.public_key(), path.clone(), None, None).unwrap();
    let next = list_with_sequence(&fixture, 8);
    for (damage, bytes) in damaged(&next) {
        assert!(cache.offer(bytes).is_err(), "{damage}: accepted");
        assert_eq!(cache.current().unwrap().list().sequence, 7, "{damage}");
        assert_eq!(
            std::fs::read(&path).unwrap(),
            good,
            "{damage}: file changed"
        );
    }
    // The undamaged list is taken, and the one it replaces kept beside it.
    assert_eq!(cache.offer(next.clone()).unwrap(), 8);
    assert_eq!(std::fs::read(&path).unwrap(), next);
    assert_eq!(std::fs::read(previous_path(&path)).unwrap(), good);
}

/// The cached list damaged on disk at every length and every byte: its second copy (the same
/// list) is put back in force, never the older list beside it or the seed. Both copies
/// damaged: no list at all (every verdict indeterminate), not the older one.
#[test]
fn a_host_list_damaged_on_disk_restarts_on_its_copy_never_an_older_one() {
    let fixture = Fixture::new();
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("trust.list");
    let seed = dir.path().join("seed.list");
    std::fs::write(&seed, list_with_sequence(&fixture, 7)).unwrap();
    let root = fixture.root.public_key();
    let cache = TrustCache::open(root, path.clone(), Some(&seed), None).unwrap();
    let newest = list_with_sequence(&fixture, 8);
    cache.offer(newest.clone()).unwrap();
    drop(cache);

    for (damage, bytes) in damaged(&newest) {
        std::fs::write(&path, &bytes).unwrap();
        let cache = TrustCache::open(root, path.clone(), Some(&seed), None)
            .unwrap_or_else(|e| panic!("{damage}: {e:#}"));
        assert_eq!(cache.current().unwrap().list().sequence, 8, "{damage}");
        let status = cache.status(fixture.now, &Policy::DEFAULT);
        let refresh = status.last_refresh.expect("the recovery is reported");
        assert_eq!(refresh.result, RefreshResult::Recovered, "{damage}");
        assert!(refresh.detail.contains("sequence 8"), "{}", refresh.detail);
        // The cache file holds the newest list again.
        assert_eq!(std::fs::read(&path).unwrap(), newest, "{damage}");
    }
    // Both copies damaged: the older list (7, good and fresh) and the seed stay unused.
    std::fs::write(&path, &newest[..10]).unwrap();
    std::fs::write(copy_path(&path), &newest[..20]).unwrap();
    let cache = TrustCache::open(root, path.clone(), Some(&seed), None).unwrap();
    assert!(cache.current().is_none());
    let status = cache.status(fixture.now, &Policy::DEFAULT);
    assert_eq!(status.state, ListState::Unavailable);
    assert_eq!(status.high_water, Some(8));
}

/// A desk whose only good lists are older than its mark gives no verdict but
/// "indeterminate: trust-list-unavailable", even for a document the older list calls valid.
#[test]
fn a_desk_without_an_admissible_list_says_trust_list_unavailable() {
    let fixture = Fixture::new();
    let dir = tempfile::tempdir().unwrap();
    let record = fixture.record(&stay_tests::golden::unified_window("UW0000001"));
    // The fixture's list (sequence 7) is the seed; the mark says 8 was accepted.
    let desk = stay_tests::in_process_desk(dir.path(), Some(fixture.now));
    assert_eq!(
        desk.verify(&record, None, "api").verdict.as_ref().unwrap()["status"],
        "valid"
    );
    drop(desk);
    let newer = list_with_sequence(&fixture, 8);
    std::fs::write(
        high_water_path(&dir.path().join("trust.list")),
        HighWater::for_list(8, &newer).encode(),
    )
    .unwrap();
    let desk = stay_tests::in_process_desk(dir.path(), Some(fixture.now));
    let event = desk.verify(&record, None, "api");
    let verdict = event.verdict.as_ref().unwrap();
    assert_eq!(verdict["status"], "indeterminate", "{verdict}");
    assert_eq!(verdict["reason"], "trust-list-unavailable");
    assert_eq!(verdict["decision"], "refer");
    assert!(verdict["trust_list"].is_null());
}

#[test]
fn a_clock_before_the_list_or_past_its_grace_gives_no_valid() {
    let fixture = Fixture::new();
    // A QR-only document: printed, it is valid when the clock and the list allow.
    let record = fixture.record(&stay_tests::golden::unified_window("UW0000001"));
    let list = fixture.list_spec(vec![]);
    let grace = Policy::DEFAULT.trust_list_grace_secs;
    for (now, status, reason) in [
        (
            UnixTime(list.issued_at.0 - 1),
            "indeterminate",
            "clock-before-trust-list",
        ),
        (list.issued_at, "valid", ""),
        (UnixTime(list.next_update.0 + grace), "valid", ""),
        (
            UnixTime(list.next_update.0 + grace + 1),
            "indeterminate",
            "trust-list-stale",
        ),
    ] {
        let dir = tempfile::tempdir().unwrap();
        let desk = stay_tests::in_process_desk(dir.path(), Some(now));
        let event = desk.verify(&record, None, "api");
        let verdict = event.verdict.as_ref().unwrap();
        assert_eq!(verdict["status"], status, "at {now:?}: {verdict}");
        if !reason.is_empty() {
            assert_eq!(verdict["reason"], reason, "at {now:?}");
        }
    }
}

/// Power lost at each point of a host list update (7 to 8), with the real files the cache
/// keeps: the copy torn at any length, the copy whole but the mark not yet raised, the mark
/// raised but `trust.list` not yet replaced, and `trust.list` cut at any length. Every state
/// starts with a good list and never below the mark; the next update goes through.
#[test]
fn power_lost_while_the_host_writes_a_list_keeps_a_good_one() {
    let fixture = Fixture::new();
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("trust.list");
    let old = list_with_sequence(&fixture, 7);
    let new = list_with_sequence(&fixture, 8);
    let root = fixture.root.public_key();
    let seed = dir.path().join("seed.list");
    std::fs::write(&seed, &old).unwrap();
    // The files before the update, as the cache wrote them.
    drop(TrustCache::open(root, path.clone(), Some(&seed), None).unwrap());
    let files = [path.clone(), copy_path(&path), high_water_path(&path)];
    let before: Vec<Vec<u8>> = files.iter().map(|f| std::fs::read(f).unwrap()).collect();
    let restore = || {
        for (file, bytes) in files.iter().zip(&before) {
            std::fs::write(file, bytes).unwrap();
        }
    };
    let mark_8 = HighWater::for_list(8, &new).encode();
    let start = |expected: u64, state: &str| {
        let cache = TrustCache::open(root, path.clone(), Some(&seed), None)
            .unwrap_or_else(|e| panic!("{state}: {e:#}"));
        let in_force = cache.current().map(|l| l.list().sequence);
        assert_eq!(in_force, Some(expected), "{state}");
        let mark = cache.high_water().unwrap().sequence;
        assert!(
            mark <= expected,
            "{state}: list {expected} below mark {mark}"
        );
        assert_eq!(cache.offer(new.clone()).unwrap(), 8, "{state}");
        assert_eq!(cache.current().unwrap().list().sequence, 8, "{state}");
    };
    for written in 0..=new.len() {
        // Cut while writing the copy: its temporary file, cut short, beside the old files.
        restore();
        let torn = dir.path().join(".trust.list.copy.tmp4242");
        std::fs::write(&torn, &new[..written]).unwrap();
        start(7, &format!("copy cut at {written} bytes"));
        std::fs::remove_file(&torn).unwrap();
        // Cut while writing `trust.list`, after the copy and the mark.
        restore();
        std::fs::write(copy_path(&path), &new).unwrap();
        std::fs::write(high_water_path(&path), mark_8).unwrap();
        std::fs::write(&path, &new[..written]).unwrap();
        start(8, &format!("trust.list cut at {written} bytes"));
    }
    // The copy whole, the mark not yet raised: the copy is the higher admissible list.
    restore();
    std::fs::write(copy_path(&path), &new).unwrap();
    start(8, "copy written, mark not raised");
    // The mark raised, `trust.list` still the old one: never the old one.
    restore();
    std::fs::write(copy_path(&path), &new).unwrap();
    std::fs::write(high_water_path(&path), mark_8).unwrap();
    start(8, "mark raised, trust.list old");
}
