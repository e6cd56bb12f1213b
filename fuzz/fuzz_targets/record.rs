//! Record parser: never panics; whatever it accepts re-encodes to the same bytes.
#![no_main]
use libfuzzer_sys::fuzz_target;
use stay_core::StayRecord;

fuzz_target!(|data: &[u8]| {
    if let Ok(record) = StayRecord::parse(data) {
        let mut out = [0u8; stay_core::record::MAX_RECORD_LEN];
        let n = record
            .fields
            .encode_record(record.signature, &mut out)
            .expect("fits");
        assert_eq!(&out[..n], data, "accepted a non-canonical encoding");
    }
});
