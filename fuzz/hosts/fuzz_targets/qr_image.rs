//! The QR front end on arbitrary pictures: a first byte for the width and one for the
//! height (1..=64 each), then the pixels (missing ones white). Decoding, the text
//! conversion and a camera stream of the same frame twice never panic (rqrr's own panics
//! are contained inside `qr`).
#![no_main]
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let [w, h, pixels @ ..] = data else {
        return;
    };
    let (w, h) = (u32::from(w % 64) + 1, u32::from(h % 64) + 1);
    let image = image::GrayImage::from_fn(w, h, |x, y| {
        image::Luma([*pixels.get((y * w + x) as usize).unwrap_or(&255)])
    });
    for payload in reader_host::qr::decode(image.clone()) {
        let _ = reader_host::qr::text(&payload);
        let _ = stay_core::StayRecord::parse(&payload);
    }
    let mut stream = reader_host::qr::Stream::new(std::time::Duration::ZERO);
    let _ = stream.decode(image.clone());
    let _ = stream.decode(image);
});
