//! The daemon's `POST /api/verify` body, before verification: the first byte picks the
//! content type (PNG, JPEG, or record bytes), the rest is the body. Images that do not
//! decode, or that declare sizes beyond the limit, are errors, never a panic or an
//! allocation the size of the claim.
#![no_main]
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let Some((&kind, body)) = data.split_first() else {
        return;
    };
    let content_type = match kind % 4 {
        0 => "image/png",
        1 => "image/jpeg",
        2 => reader_host::http::RECORD_TYPE,
        // Refused before the body is looked at.
        _ => "text/plain",
    };
    if let Ok(record) = reader_host::http::record_from_body(content_type, body) {
        let _ = stay_core::StayRecord::parse(&record);
    }
});
