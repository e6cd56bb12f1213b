//! The holder's portrait as the card stores it: a JPEG whose SHA-256 the record signs.
//!
//! [`check`] is the rule every portrait passes before a card is written (the station refuses
//! the application otherwise); [`sample`] draws the face-like stand-ins of `issuer init`'s
//! sample holders and the demo.

use std::fmt;

use image::{ImageFormat, Rgb, RgbImage};
use stay_core::apdu::PORTRAIT_MAX_LEN;
use stay_std::messages::Message;

/// Smallest portrait, in pixels: below this a face cannot be compared with a person.
pub const MIN_WIDTH: u32 = 120;
pub const MIN_HEIGHT: u32 = 160;
/// Largest: the chip's file holds [`PORTRAIT_MAX_LEN`] bytes, and a larger image in that
/// many bytes is compressed past recognition.
pub const MAX_WIDTH: u32 = 600;
pub const MAX_HEIGHT: u32 = 800;

/// Why a portrait is refused.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum PortraitRefusal {
    /// Longer than the chip's portrait file.
    TooLong { bytes: usize },
    /// Not a JPEG (no SOI marker first, no EOI last), or one that does not decode.
    NotJpeg,
    /// Smaller or larger than the bounds above.
    Dimensions { width: u32, height: u32 },
    /// Wider than high: a portrait is upright (ICAO 9303-3: about 3:4 to 4:5).
    NotUpright { width: u32, height: u32 },
}

impl fmt::Display for PortraitRefusal {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            PortraitRefusal::TooLong { bytes } => {
                write!(f, "{bytes} bytes, the chip holds at most {PORTRAIT_MAX_LEN}")
            }
            PortraitRefusal::NotJpeg => f.write_str("not a JPEG image"),
            PortraitRefusal::Dimensions { width, height } => write!(
                f,
                "{width}x{height} pixels, must be {MIN_WIDTH}x{MIN_HEIGHT} to {MAX_WIDTH}x{MAX_HEIGHT}"
            ),
            PortraitRefusal::NotUpright { width, height } => {
                write!(f, "{width}x{height} pixels is not upright (taller than wide)")
            }
        }
    }
}

impl std::error::Error for PortraitRefusal {}

impl PortraitRefusal {
    /// The refusal in the operator's language.
    pub fn message(&self) -> Message {
        match self {
            PortraitRefusal::TooLong { bytes } => Message::new("portrait-refusal-too-long")
                .arg("bytes", bytes)
                .arg("max", PORTRAIT_MAX_LEN),
            PortraitRefusal::NotJpeg => Message::new("portrait-refusal-not-jpeg"),
            PortraitRefusal::Dimensions { width, height } => {
                Message::new("portrait-refusal-dimensions")
                    .arg("size", format_args!("{width}x{height}"))
                    .arg("min", format_args!("{MIN_WIDTH}x{MIN_HEIGHT}"))
                    .arg("max", format_args!("{MAX_WIDTH}x{MAX_HEIGHT}"))
            }
            PortraitRefusal::NotUpright { width, height } => {
                Message::new("portrait-refusal-not-upright")
                    .arg("size", format_args!("{width}x{height}"))
            }
        }
    }
}

/// A portrait's size in pixels.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Dimensions {
    pub width: u32,
    pub height: u32,
}

/// Whether `jpeg` may be written to a card: a JPEG that decodes, within the byte and pixel
/// bounds, upright. The whole image is decoded, so a file that only starts like a JPEG is
/// refused here rather than shown broken at every desk for a year.
pub fn check(jpeg: &[u8]) -> Result<Dimensions, PortraitRefusal> {
    if jpeg.len() > PORTRAIT_MAX_LEN {
        return Err(PortraitRefusal::TooLong { bytes: jpeg.len() });
    }
    // SOI first and EOI last: decoders fill in a cut image rather than refuse it, and
    // nothing rides on the chip after the image's end.
    if !jpeg.starts_with(&[0xFF, 0xD8, 0xFF]) || !jpeg.ends_with(&[0xFF, 0xD9]) {
        return Err(PortraitRefusal::NotJpeg);
    }
    let reader = || image::ImageReader::with_format(std::io::Cursor::new(jpeg), ImageFormat::Jpeg);
    // The header alone first: an image outside the bounds is refused before decoding.
    let (width, height) = reader()
        .into_dimensions()
        .map_err(|_| PortraitRefusal::NotJpeg)?;
    if !(MIN_WIDTH..=MAX_WIDTH).contains(&width) || !(MIN_HEIGHT..=MAX_HEIGHT).contains(&height) {
        return Err(PortraitRefusal::Dimensions { width, height });
    }
    if width >= height {
        return Err(PortraitRefusal::NotUpright { width, height });
    }
    let mut decoder = reader();
    let mut limits = image::Limits::default();
    limits.max_image_width = Some(MAX_WIDTH);
    limits.max_image_height = Some(MAX_HEIGHT);
    limits.max_alloc = Some(4 * u64::from(MAX_WIDTH) * u64::from(MAX_HEIGHT));
    decoder.limits(limits);
    decoder.decode().map_err(|_| PortraitRefusal::NotJpeg)?;
    Ok(Dimensions { width, height })
}

/// A face-like stand-in portrait (240x320 JPEG, a few kilobytes), the same for the same
/// `seed`; skin, hair and clothes vary with it, so two sample holders never look alike.
pub fn sample(seed: &str) -> Vec<u8> {
    let hash: [u8; 32] = sha2::Digest::finalize(sha2::Digest::chain_update(
        <sha2::Sha256 as sha2::Digest>::new(),
        seed.as_bytes(),
    ))
    .into();
    const SKIN: [[u8; 3]; 4] = [
        [241, 204, 177],
        [224, 172, 138],
        [198, 134, 96],
        [141, 85, 54],
    ];
    const HAIR: [[u8; 3]; 4] = [[40, 28, 20], [92, 58, 32], [170, 136, 80], [20, 20, 24]];
    let skin = Rgb(SKIN[usize::from(hash[0]) % SKIN.len()]);
    let hair = Rgb(HAIR[usize::from(hash[1]) % HAIR.len()]);
    let clothes = Rgb([hash[2] / 3 + 20, hash[3] / 3 + 30, hash[4] / 3 + 60]);
    let background = Rgb([222, 230, 238]);
    let (w, h) = (240u32, 320u32);
    let (cx, cy) = (120.0f32, 150.0f32);
    let (face_rx, face_ry) = (58.0 + f32::from(hash[5] % 8), 76.0 + f32::from(hash[6] % 8));
    let inside = |x: f32, y: f32, ox: f32, oy: f32, rx: f32, ry: f32| {
        ((x - ox) / rx).powi(2) + ((y - oy) / ry).powi(2) <= 1.0
    };
    let img = RgbImage::from_fn(w, h, |x, y| {
        let (x, y) = (x as f32, y as f32);
        // Shoulders, neck, hair behind the head, face, then its features on top.
        let mut pixel = background;
        if inside(x, y, cx, 330.0, 120.0, 80.0) {
            pixel = clothes;
        }
        if (x - cx).abs() < 26.0 && y > cy + 50.0 && y < 270.0 {
            pixel = skin;
        }
        if inside(x, y, cx, cy - 12.0, face_rx + 10.0, face_ry + 8.0) && y < cy + 10.0 {
            pixel = hair;
        }
        if inside(x, y, cx, cy, face_rx, face_ry) {
            pixel = skin;
            if y < cy - face_ry * 0.55 {
                pixel = hair;
            }
        }
        for side in [-1.0f32, 1.0] {
            let ex = cx + side * face_rx * 0.42;
            if inside(x, y, ex, cy - 10.0, 11.0, 6.0) {
                pixel = Rgb([250, 250, 250]);
            }
            if inside(x, y, ex, cy - 10.0, 4.5, 4.5) {
                pixel = Rgb([50, 40, 30]);
            }
            if inside(x, y, ex, cy - 26.0, 13.0, 3.0) {
                pixel = hair;
            }
        }
        if (x - cx).abs() < 4.0 && y > cy && y < cy + 22.0 {
            pixel = Rgb([skin.0[0] - 25, skin.0[1] - 25, skin.0[2] - 20]);
        }
        if inside(x, y, cx, cy + 40.0, 20.0, 5.0) {
            pixel = Rgb([170, 80, 80]);
        }
        pixel
    });
    let mut jpeg = Vec::new();
    image::codecs::jpeg::JpegEncoder::new_with_quality(&mut jpeg, 80)
        .encode_image(&img)
        .expect("a JPEG encodes into memory");
    jpeg
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn samples_pass_the_rules_and_differ() {
        let a = sample("RC0000001");
        let b = sample("RC0000002");
        assert_eq!(
            check(&a),
            Ok(Dimensions {
                width: 240,
                height: 320
            })
        );
        assert!(check(&b).is_ok());
        assert_ne!(a, b);
        assert_eq!(a, sample("RC0000001"));
    }

    #[test]
    fn what_is_not_a_portrait_is_refused_with_its_reason() {
        assert_eq!(check(b"GIF89a"), Err(PortraitRefusal::NotJpeg));
        // A JPEG's first bytes and nothing after: it must decode, not only start right.
        assert_eq!(
            check(&[0xFF, 0xD8, 0xFF, 0xE0, 0, 16]),
            Err(PortraitRefusal::NotJpeg)
        );
        let mut cut = sample("x");
        cut.truncate(cut.len() / 2);
        assert_eq!(check(&cut), Err(PortraitRefusal::NotJpeg));
        assert_eq!(
            check(&vec![0xFF; PORTRAIT_MAX_LEN + 1]),
            Err(PortraitRefusal::TooLong {
                bytes: PORTRAIT_MAX_LEN + 1
            })
        );
        let encode = |w, h| {
            let mut jpeg = Vec::new();
            image::codecs::jpeg::JpegEncoder::new_with_quality(&mut jpeg, 10)
                .encode_image(&RgbImage::new(w, h))
                .unwrap();
            jpeg
        };
        assert_eq!(
            check(&encode(60, 80)),
            Err(PortraitRefusal::Dimensions {
                width: 60,
                height: 80
            })
        );
        assert_eq!(
            check(&encode(320, 240)),
            Err(PortraitRefusal::NotUpright {
                width: 320,
                height: 240
            })
        );
        assert_eq!(
            check(&encode(608, 810)),
            Err(PortraitRefusal::Dimensions {
                width: 608,
                height: 810
            })
        );
    }
}
