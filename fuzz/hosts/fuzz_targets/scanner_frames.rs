//! The scanner's two wire parsers: PN532 frames and the imager's frames. Never a panic; an
//! accepted PN532 frame's body lies inside the input; an accepted imager payload carries
//! its own CRC.
#![no_main]
use firmware::imager::Decoder;
use firmware::pn532::parse_frame;
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    if let Ok(body) = parse_frame::<()>(data) {
        assert!(body.start <= body.end && body.end < data.len());
    }
    let mut decoder = Decoder::new();
    for byte in data {
        if let Some(Ok(payload)) = decoder.push(*byte) {
            assert!(payload.len() <= firmware::RECORD_MAX);
        }
    }
});
