//! QR codes from images: the raw bytes of every code found.
//!
//! A cheap first pass (rqrr's own row-wise binarization), then, only when it finds nothing,
//! further strategies within a time budget: a binarization by the mean of a square window
//! around each pixel (integral image; it does not depend on the code's orientation), at
//! two window sizes, on the image scaled to put the modules in a good size range, inverted
//! (light codes on dark), and after a blur (noise, screen moiré). rqrr's panics are
//! contained: a strategy that panics found nothing.

use std::borrow::Cow;
use std::panic::{catch_unwind, AssertUnwindSafe};
use std::path::Path;
use std::time::{Duration, Instant};

use anyhow::{bail, Context, Result};
use image::GrayImage;

/// The payloads of every grid rqrr finds in a prepared image (a macro: rqrr does not
/// export the trait its image buffers share).
macro_rules! grids {
    ($prepared:expr) => {{
        let mut prepared = $prepared;
        prepared
            .detect_grids()
            .into_iter()
            .filter_map(|grid| {
                let mut bytes = Vec::new();
                grid.decode_to(&mut bytes).ok().map(|_| bytes)
            })
            .collect::<Vec<Vec<u8>>>()
    }};
}

/// How long the retries may take for one camera frame, after the first pass: the next
/// frame is coming.
pub const FRAME_RETRY_BUDGET: Duration = Duration::from_millis(150);

/// Decodes every QR code in `image` (a file, an upload) to its raw bytes, trying every
/// strategy if need be.
pub fn decode(image: GrayImage) -> Vec<Vec<u8>> {
    decode_within(image, Duration::MAX)
}

/// [`decode`] with the retries stopped once `budget` has passed (camera frames:
/// [`FRAME_RETRY_BUDGET`]).
pub fn decode_within(image: GrayImage, budget: Duration) -> Vec<Vec<u8>> {
    let started = Instant::now();
    let found = contained(|| grids!(rqrr::PreparedImage::prepare(image.clone())));
    if !found.is_empty() {
        return found;
    }
    for strategy in strategies(&image) {
        if started.elapsed() > budget {
            break;
        }
        let found = contained(|| strategy.run(&image));
        if !found.is_empty() {
            return found;
        }
    }
    Vec::new()
}

/// One way of turning the image into black and white for rqrr's detector.
#[derive(Debug, Clone, Copy)]
struct Strategy {
    /// Scale factor applied first (1 = as is).
    scale: Scale,
    /// Window side for the local mean, as a fraction of the shorter image side.
    window_divisor: u32,
    inverted: bool,
    blurred: bool,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Scale {
    Same,
    Half,
    Double,
}

fn strategies(image: &GrayImage) -> Vec<Strategy> {
    let short = image.width().min(image.height());
    let mut scales = vec![Scale::Same];
    if short > 1200 {
        scales.insert(0, Scale::Half);
    } else if short < 400 {
        scales.push(Scale::Double);
    } else {
        scales.push(Scale::Half);
    }
    let mut out = Vec::new();
    for &scale in &scales {
        for window_divisor in [8, 20] {
            out.push(Strategy {
                scale,
                window_divisor,
                inverted: false,
                blurred: false,
            });
        }
    }
    for &scale in &scales {
        out.push(Strategy {
            scale,
            window_divisor: 12,
            inverted: false,
            blurred: true,
        });
    }
    out.push(Strategy {
        scale: scales[0],
        window_divisor: 8,
        inverted: true,
        blurred: false,
    });
    out
}

impl Strategy {
    fn run(&self, image: &GrayImage) -> Vec<Vec<u8>> {
        let scaled;
        let image = match self.scale {
            Scale::Same => image,
            Scale::Half => {
                scaled = image::imageops::resize(
                    image,
                    (image.width() / 2).max(1),
                    (image.height() / 2).max(1),
                    image::imageops::FilterType::Triangle,
                );
                &scaled
            }
            Scale::Double => {
                scaled = image::imageops::resize(
                    image,
                    image.width() * 2,
                    image.height() * 2,
                    image::imageops::FilterType::Triangle,
                );
                &scaled
            }
        };
        let blurred;
        let image = if self.blurred {
            blurred = image::imageops::blur(image, 1.0);
            &blurred
        } else {
            image
        };
        let (w, h) = (image.width() as usize, image.height() as usize);
        let window = (w.min(h) / self.window_divisor as usize).max(7) | 1;
        let black = local_mean_black(image, window);
        let inverted = self.inverted;
        grids!(rqrr::PreparedImage::prepare_from_bitmap(w, h, |x, y| {
            black[y * w + x] != inverted
        }))
    }
}

/// Black where a pixel is darker than the mean of the `window`-sided square around it
/// (less a small margin, so flat areas stay white).
fn local_mean_black(image: &GrayImage, window: usize) -> Vec<bool> {
    let (w, h) = (image.width() as usize, image.height() as usize);
    let pixels = image.as_raw();
    // Integral image with a zero row and column in front.
    let mut sum = vec![0u64; (w + 1) * (h + 1)];
    for y in 0..h {
        let mut row = 0u64;
        for x in 0..w {
            row += u64::from(pixels[y * w + x]);
            sum[(y + 1) * (w + 1) + x + 1] = sum[y * (w + 1) + x + 1] + row;
        }
    }
    let r = window / 2;
    let mut black = vec![false; w * h];
    for y in 0..h {
        let (y0, y1) = (y.saturating_sub(r), (y + r + 1).min(h));
        for x in 0..w {
            let (x0, x1) = (x.saturating_sub(r), (x + r + 1).min(w));
            let total = sum[y1 * (w + 1) + x1] + sum[y0 * (w + 1) + x0]
                - sum[y0 * (w + 1) + x1]
                - sum[y1 * (w + 1) + x0];
            let area = ((x1 - x0) * (y1 - y0)) as u64;
            // 100 * pixel < 95 * mean.
            black[y * w + x] = u64::from(pixels[y * w + x]) * 100 * area < total * 95;
        }
    }
    black
}

/// Runs `decode`, a panic inside rqrr counting as nothing found.
fn contained(decode: impl FnOnce() -> Vec<Vec<u8>>) -> Vec<Vec<u8>> {
    catch_unwind(AssertUnwindSafe(decode)).unwrap_or_default()
}

/// The text a payload carries, for people (stay records are bytes and never go through
/// this).
///
/// rqrr hands over a Kanji-mode segment as its Shift_JIS bytes and does not report ECI
/// designators, so the character set is read from the bytes, as ZXing does for a code
/// without an ECI: UTF-8 when they are valid UTF-8 (ASCII included), else Shift_JIS when
/// they are valid Shift_JIS (Japanese codes, Kanji mode or bytes), else ISO-8859-1, the
/// standard's default, which every byte string is.
pub fn text(payload: &[u8]) -> Cow<'_, str> {
    if let Ok(text) = std::str::from_utf8(payload) {
        return Cow::Borrowed(text);
    }
    if let Some(text) =
        encoding_rs::SHIFT_JIS.decode_without_bom_handling_and_without_replacement(payload)
    {
        return Cow::Owned(text.into_owned());
    }
    Cow::Owned(payload.iter().map(|&b| char::from(b)).collect())
}

/// Reads an image file and decodes the one stay record it shows.
pub fn record_from_image(path: &Path) -> Result<Vec<u8>> {
    let image = image::open(path)
        .with_context(|| format!("cannot read image {}", path.display()))?
        .to_luma8();
    single_record(decode(image)).with_context(|| path.display().to_string())
}

/// The one record among decoded payloads: none, or several different ones, is an error.
pub fn single_record(mut payloads: Vec<Vec<u8>>) -> Result<Vec<u8>> {
    payloads.sort();
    payloads.dedup();
    match payloads.len() {
        0 => bail!("no readable QR code"),
        1 => Ok(payloads.remove(0)),
        n => bail!("{n} different QR codes; show one at a time"),
    }
}
