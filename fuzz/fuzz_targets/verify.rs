//! The verification against the golden list: arbitrary record bytes never verify and never
//! panic (a Valid verdict would need a forged signature), at the golden instant and at any
//! clock the input's first eight bytes name (a scanner's broken clock, up to u64::MAX); and
//! a printed record that names a chip key is never valid.
#![no_main]
use libfuzzer_sys::fuzz_target;
use stay_core::{verify, Check, Policy, PublicKey, Role, TrustList, UnixTime};

const LIST: &[u8] = include_bytes!("../../testdata/lists/current.list");
/// The golden records that verify at this instant; every other input must not.
/// (Printed, the resident cards among them answer `read-the-chip`, not valid.)
const GENUINE: [&[u8]; 4] = [
    include_bytes!("../../testdata/records/resident-card-chip.bin"),
    include_bytes!("../../testdata/records/unified-window.bin"),
    include_bytes!("../../testdata/records/digital-nomad.bin"),
    include_bytes!("../../testdata/records/resident-card-study.bin"),
];
const ROOT_SEC1: &str = include_str!("../../testdata/keys/root.sec1.hex");

fuzz_target!(|data: &[u8]| {
    let mut key = [0u8; 65];
    for (i, b) in key.iter_mut().enumerate() {
        *b = u8::from_str_radix(&ROOT_SEC1.trim()[2 * i..2 * i + 2], 16).unwrap();
    }
    let root = PublicKey::from_sec1(&key).unwrap();
    let list = TrustList::load(LIST, &root, None).unwrap();
    let check = Check::printed(UnixTime(1_795_240_800), Role::Border, &Policy::DEFAULT);
    let verdict = verify(data, &list, &check);
    if !GENUINE.contains(&data) {
        assert!(!verdict.status.is_valid(), "an altered record verified");
    }
    if let Some(clock) = data.get(..8) {
        let now = UnixTime(u64::from_le_bytes(clock.try_into().unwrap()));
        let at_any_time = verify(data, &list, &Check { now, ..check });
        assert!(
            !at_any_time.status.is_valid() || GENUINE.contains(&data),
            "an altered record verified at {now:?}"
        );
    }
    if verdict.status.is_valid() {
        let record = stay_core::StayRecord::parse(data).unwrap();
        assert!(
            record.fields.chip_public_key.is_none(),
            "a printed copy of a chip card verified"
        );
    }
});
