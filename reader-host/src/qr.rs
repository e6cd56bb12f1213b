//! QR codes from images: the raw bytes of every code found.
//!
//! A cheap first pass (rqrr's own row-wise binarization), then, only when it finds nothing,
//! further strategies in a fixed order within a time budget ([`STRATEGIES`]): the image
//! binarized by the mean of a square window around each pixel (an integral image, so the
//! result does not depend on the code's orientation), at several window sizes, after
//! upscaling (small modules), blurring (noise, print dots, screen moiré), with a light
//! margin added (codes cropped without their quiet zone), and inverted (light codes on
//! dark). rqrr's panics are contained: a strategy that panics found nothing, quietly.
//!
//! A camera is read through a [`Stream`]: a frame that shows what the previous one showed is
//! not decoded again, and a code is first looked for where it was last seen.

use std::borrow::Cow;
use std::cell::Cell;
use std::panic::{catch_unwind, AssertUnwindSafe};
use std::path::Path;
use std::sync::Once;
use std::time::{Duration, Instant};

use anyhow::{bail, Context, Result};
use image::GrayImage;

/// A code found: its raw bytes and its corners in the image's pixels (top-left,
/// top-right, bottom-right, bottom-left of the code as printed).
#[derive(Debug, Clone, PartialEq, Eq)]
struct Found {
    payload: Vec<u8>,
    corners: [(i32, i32); 4],
}

/// Every grid rqrr finds and decodes in a prepared image (a macro: rqrr does not export
/// the trait its image buffers share).
macro_rules! grids {
    ($prepared:expr) => {{
        let mut prepared = $prepared;
        prepared
            .detect_grids()
            .into_iter()
            .filter_map(|grid| {
                let mut payload = Vec::new();
                grid.decode_to(&mut payload).ok()?;
                Some(Found {
                    payload,
                    corners: grid.bounds.map(|p| (p.x, p.y)),
                })
            })
            .collect::<Vec<Found>>()
    }};
}

/// How long the retries may take for one camera frame, after the first pass: the next
/// frame is coming. A still camera spreads the remaining strategies over the next frames
/// (see [`Stream`]).
pub const FRAME_RETRY_BUDGET: Duration = Duration::from_millis(50);

/// No strategy makes an image larger than this many pixels (a 12-megapixel phone photo is
/// not upscaled); it also keeps the integral image's sums within 32 bits.
const MAX_PIXELS: u64 = 16_000_000;

/// Decodes every QR code in `image` (a file, an upload) to its raw bytes, trying every
/// strategy if need be.
pub fn decode(image: GrayImage) -> Vec<Vec<u8>> {
    decode_within(image, Duration::MAX)
}

/// [`decode`] with the retries stopped once `budget` has passed, or skipped when they
/// would not finish within it.
pub fn decode_within(image: GrayImage, budget: Duration) -> Vec<Vec<u8>> {
    payloads(search(&image, budget, None).found)
}

fn payloads(found: Vec<Found>) -> Vec<Vec<u8>> {
    found.into_iter().map(|f| f.payload).collect()
}

/// What a search over one image came to.
struct Search {
    found: Vec<Found>,
    /// The first strategy not tried (the budget ran out), or `None` when all were.
    resume_at: Option<usize>,
}

/// The first pass and the strategies, within `budget`; or, `resuming` a search the
/// previous frame of the same scene had no time to finish, the strategies from that one on,
/// at least one of them. A strategy predicted to overrun the budget (from the first pass's
/// speed on this image) is left for later.
fn search(image: &GrayImage, budget: Duration, resuming: Option<usize>) -> Search {
    let started = Instant::now();
    let pixels = u64::from(image.width()) * u64::from(image.height());
    if resuming.is_none() {
        let found = contained(|| grids!(rqrr::PreparedImage::prepare(image.clone())));
        if !found.is_empty() {
            return Search {
                found,
                resume_at: None,
            };
        }
    }
    // The strategies cost about what the first pass did per pixel, twice over (the local
    // mean, then rqrr's detector on a busier bitmap).
    let per_pixel = started.elapsed().as_secs_f64() / pixels.max(1) as f64;
    for (index, strategy) in STRATEGIES.iter().enumerate().skip(resuming.unwrap_or(0)) {
        let out_pixels = strategy.output_pixels(image);
        if out_pixels > MAX_PIXELS {
            continue;
        }
        let predicted = Duration::from_secs_f64(2.0 * per_pixel * out_pixels as f64);
        if resuming.is_none() && started.elapsed() + predicted > budget {
            return Search {
                found: Vec::new(),
                resume_at: Some(index),
            };
        }
        let found = contained(|| strategy.run(image));
        if !found.is_empty() {
            return Search {
                found,
                resume_at: None,
            };
        }
        if started.elapsed() > budget {
            return Search {
                found: Vec::new(),
                resume_at: (index + 1 < STRATEGIES.len()).then_some(index + 1),
            };
        }
    }
    Search {
        found: Vec::new(),
        resume_at: None,
    }
}

/// How a [`Stream`] came to its answer for a frame.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Via {
    /// The frame shows what the previous one showed: the previous answer, without
    /// decoding.
    Repeat,
    /// Found around the place a code was seen in a recent frame.
    LastPlace,
    /// A search of the whole frame; on a still scene, it goes on with the strategies the
    /// previous frame had no time left for.
    WholeFrame,
}

/// The codes a [`Stream`] found in one frame.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Sighting {
    pub payloads: Vec<Vec<u8>>,
    pub via: Via,
}

/// How many frames after a code was last seen its place is still looked at first.
const LAST_PLACE_FRAMES: u32 = 15;

/// The frames of one camera, in order. A camera mostly sends the same picture again (a
/// desk, or a card held still): such a frame is not decoded again, and when the previous
/// one ran out of time the search goes on where it stopped. A code held up moves a little
/// between frames, so it is first looked for around where it was last seen, in a crop
/// twice its size.
pub struct Stream {
    budget: Duration,
    previous: Option<Seen>,
    /// Where a code was last found (left, top, right, bottom) and how many frames ago.
    last_place: Option<([i32; 4], u32)>,
}

struct Seen {
    glance: Glance,
    found: Vec<Found>,
    resume_at: Option<usize>,
}

impl Stream {
    /// Frames are searched for at most `budget` each (cameras: [`FRAME_RETRY_BUDGET`]).
    pub fn new(budget: Duration) -> Stream {
        Stream {
            budget,
            previous: None,
            last_place: None,
        }
    }

    pub fn decode(&mut self, frame: GrayImage) -> Sighting {
        let glance = Glance::of(&frame);
        let repeat = self
            .previous
            .as_ref()
            .filter(|previous| previous.glance.same_scene(&glance));
        let (found, resume_at, via) = match repeat {
            Some(previous) if !previous.found.is_empty() || previous.resume_at.is_none() => {
                (previous.found.clone(), previous.resume_at, Via::Repeat)
            }
            Some(previous) => {
                let search = search(&frame, self.budget, previous.resume_at);
                (search.found, search.resume_at, Via::WholeFrame)
            }
            None => match self.at_last_place(&frame) {
                Some(found) => (found, None, Via::LastPlace),
                None => {
                    let search = search(&frame, self.budget, None);
                    (search.found, search.resume_at, Via::WholeFrame)
                }
            },
        };
        self.last_place = match found.first() {
            Some(code) => Some((bounding_box(&code.corners), 0)),
            None => self
                .last_place
                .map(|(place, ago)| (place, ago + 1))
                .filter(|&(_, ago)| ago < LAST_PLACE_FRAMES),
        };
        let payloads = payloads(found.clone());
        self.previous = Some(Seen {
            glance,
            found,
            resume_at,
        });
        Sighting { payloads, via }
    }

    /// The codes in a crop twice the size of where a code was last seen (a hand moves a
    /// card by a fraction of its size between frames), in the frame's pixels.
    fn at_last_place(&self, frame: &GrayImage) -> Option<Vec<Found>> {
        let ([left, top, right, bottom], _) = self.last_place?;
        let (w, h) = ((right - left) / 2, (bottom - top) / 2);
        let x0 = (left - w).clamp(0, frame.width() as i32);
        let y0 = (top - h).clamp(0, frame.height() as i32);
        let x1 = (right + w).clamp(0, frame.width() as i32);
        let y1 = (bottom + h).clamp(0, frame.height() as i32);
        if x1 - x0 < 21 || y1 - y0 < 21 {
            return None;
        }
        let crop = image::imageops::crop_imm(
            frame,
            x0 as u32,
            y0 as u32,
            (x1 - x0) as u32,
            (y1 - y0) as u32,
        )
        .to_image();
        let mut found = search(&crop, self.budget / 5, None).found;
        if found.is_empty() {
            return None;
        }
        for code in &mut found {
            for corner in &mut code.corners {
                *corner = (corner.0 + x0, corner.1 + y0);
            }
        }
        Some(found)
    }
}

fn bounding_box(corners: &[(i32, i32); 4]) -> [i32; 4] {
    let xs = corners.map(|c| c.0);
    let ys = corners.map(|c| c.1);
    [
        *xs.iter().min().unwrap_or(&0),
        *ys.iter().min().unwrap_or(&0),
        *xs.iter().max().unwrap_or(&0),
        *ys.iter().max().unwrap_or(&0),
    ]
}

/// A frame seen from afar: the mean of each cell of a 32x18 grid. Sensor noise averages
/// out over a cell; a card moved, or a hand coming in, does not.
struct Glance {
    size: (u32, u32),
    cells: Vec<u8>,
}

impl Glance {
    const COLUMNS: u32 = 32;
    const ROWS: u32 = 18;
    /// The most a cell's mean may change between two frames of the same scene.
    const STILL: u8 = 2;

    fn of(frame: &GrayImage) -> Glance {
        let (w, h) = frame.dimensions();
        let mut sums = vec![(0u64, 0u64); (Self::COLUMNS * Self::ROWS) as usize];
        let column_of: Vec<usize> = (0..w).map(|x| (x * Self::COLUMNS / w) as usize).collect();
        for (y, row) in frame.as_raw().chunks_exact(w.max(1) as usize).enumerate() {
            let first = (y as u32 * Self::ROWS / h) * Self::COLUMNS;
            for (pixel, column) in row.iter().zip(&column_of) {
                let (sum, count) = &mut sums[first as usize + column];
                *sum += u64::from(*pixel);
                *count += 1;
            }
        }
        Glance {
            size: (w, h),
            cells: sums
                .into_iter()
                .map(|(sum, count)| (sum / count.max(1)) as u8)
                .collect(),
        }
    }

    fn same_scene(&self, other: &Glance) -> bool {
        self.size == other.size
            && self
                .cells
                .iter()
                .zip(&other.cells)
                .all(|(a, b)| a.abs_diff(*b) <= Self::STILL)
    }
}

/// One way of turning the image into black and white for rqrr's detector.
#[derive(Debug, Clone, Copy)]
struct Strategy {
    /// Scale factor applied first, in eighths (8 = as is).
    eighths: u32,
    /// Gaussian blur sigma in tenths of a pixel, after scaling (0 = none).
    blur_tenths: u32,
    /// A light margin added around the image, as a fraction of its shorter side (0 = none):
    /// for codes cropped without their quiet zone.
    margin_divisor: u32,
    /// Window side for the local mean, as a fraction of the shorter image side.
    window_divisor: u32,
    inverted: bool,
}

const PLAIN: Strategy = Strategy {
    eighths: 8,
    blur_tenths: 0,
    margin_divisor: 0,
    window_divisor: 8,
    inverted: false,
};

/// The retries, in the order tried. Chosen on ZXing's photo corpus (docs/performance.md):
/// each one reads codes the ones before it do not, and the cheap ones come first.
const STRATEGIES: [Strategy; 11] = [
    Strategy {
        window_divisor: 20,
        ..PLAIN
    },
    Strategy {
        window_divisor: 12,
        blur_tenths: 10,
        ..PLAIN
    },
    Strategy {
        eighths: 16,
        window_divisor: 4,
        ..PLAIN
    },
    Strategy {
        eighths: 12,
        window_divisor: 20,
        blur_tenths: 10,
        ..PLAIN
    },
    Strategy {
        eighths: 12,
        margin_divisor: 8,
        window_divisor: 4,
        ..PLAIN
    },
    Strategy {
        eighths: 12,
        window_divisor: 8,
        blur_tenths: 10,
        ..PLAIN
    },
    Strategy {
        eighths: 16,
        window_divisor: 20,
        ..PLAIN
    },
    Strategy {
        eighths: 24,
        window_divisor: 40,
        ..PLAIN
    },
    Strategy {
        eighths: 16,
        margin_divisor: 8,
        window_divisor: 40,
        ..PLAIN
    },
    Strategy {
        eighths: 24,
        window_divisor: 40,
        blur_tenths: 20,
        ..PLAIN
    },
    Strategy {
        inverted: true,
        ..PLAIN
    },
];

impl Strategy {
    fn scaled(&self, side: u32) -> u32 {
        (u64::from(side) * u64::from(self.eighths) / 8).max(1) as u32
    }

    fn margin(&self, width: u32, height: u32) -> u32 {
        match self.margin_divisor {
            0 => 0,
            d => width.min(height) / d,
        }
    }

    fn output_pixels(&self, image: &GrayImage) -> u64 {
        let (w, h) = (self.scaled(image.width()), self.scaled(image.height()));
        let margin = self.margin(w, h);
        u64::from(w + 2 * margin) * u64::from(h + 2 * margin)
    }

    /// The codes this strategy finds in `image`, with corners in `image`'s pixels.
    fn run(&self, image: &GrayImage) -> Vec<Found> {
        let scaled;
        let image = if self.eighths == 8 {
            image
        } else {
            scaled = image::imageops::resize(
                image,
                self.scaled(image.width()),
                self.scaled(image.height()),
                image::imageops::FilterType::Triangle,
            );
            &scaled
        };
        let blurred;
        let image = if self.blur_tenths > 0 {
            blurred = image::imageops::blur(image, self.blur_tenths as f32 / 10.0);
            &blurred
        } else {
            image
        };
        let margin = self.margin(image.width(), image.height());
        let margined;
        let image = if margin > 0 {
            margined = with_margin(image, margin);
            &margined
        } else {
            image
        };
        let (w, h) = (image.width() as usize, image.height() as usize);
        let window = (w.min(h) / self.window_divisor as usize).max(7) | 1;
        let black = local_mean_black(image, window);
        let inverted = self.inverted;
        let mut found = grids!(rqrr::PreparedImage::prepare_from_bitmap(w, h, |x, y| {
            black[y * w + x] != inverted
        }));
        // Back to the caller's pixels.
        let margin = margin as i32;
        let eighths = self.eighths as i32;
        for f in &mut found {
            for corner in &mut f.corners {
                *corner = (
                    (corner.0 - margin) * 8 / eighths,
                    (corner.1 - margin) * 8 / eighths,
                );
            }
        }
        found
    }
}

/// `image` inside a border `margin` pixels wide, as light as its lightest pixels.
fn with_margin(image: &GrayImage, margin: u32) -> GrayImage {
    let light = image.as_raw().iter().copied().max().unwrap_or(255);
    let mut out = GrayImage::from_pixel(
        image.width() + 2 * margin,
        image.height() + 2 * margin,
        image::Luma([light]),
    );
    image::imageops::replace(&mut out, image, margin.into(), margin.into());
    out
}

/// Black where a pixel is darker than the mean of the `window`-sided square around it
/// (less a small margin, so flat areas stay white).
fn local_mean_black(image: &GrayImage, window: usize) -> Vec<bool> {
    let (w, h) = (image.width() as usize, image.height() as usize);
    let pixels = image.as_raw();
    // Integral image with a zero row and column in front; 32 bits hold the sum of
    // MAX_PIXELS pixels.
    let mut sum = vec![0u32; (w + 1) * (h + 1)];
    for y in 0..h {
        let mut row = 0u32;
        for x in 0..w {
            row += u32::from(pixels[y * w + x]);
            sum[(y + 1) * (w + 1) + x + 1] = sum[y * (w + 1) + x + 1] + row;
        }
    }
    let r = window / 2;
    let mut black = vec![false; w * h];
    for y in 0..h {
        let (y0, y1) = (y.saturating_sub(r), (y + r + 1).min(h));
        let (top, bottom) = (&sum[y0 * (w + 1)..], &sum[y1 * (w + 1)..]);
        let span = (y1 - y0) as u64;
        for x in 0..w {
            let (x0, x1) = (x.saturating_sub(r), (x + r + 1).min(w));
            let total = u64::from(bottom[x1] + top[x0] - top[x1] - bottom[x0]);
            let area = (x1 - x0) as u64 * span;
            // 100 * pixel < 95 * mean.
            black[y * w + x] = u64::from(pixels[y * w + x]) * 100 * area < total * 95;
        }
    }
    black
}

thread_local! {
    /// Set while rqrr runs on this thread: its panics are expected, and not reported.
    static IN_RQRR: Cell<bool> = const { Cell::new(false) };
}

/// Runs `decode`, a panic inside rqrr counting as nothing found. The process's panic hook
/// is wrapped once so that these panics do not print; every other panic still does.
fn contained(decode: impl FnOnce() -> Vec<Found>) -> Vec<Found> {
    static QUIET_HOOK: Once = Once::new();
    QUIET_HOOK.call_once(|| {
        let previous = std::panic::take_hook();
        std::panic::set_hook(Box::new(move |info| {
            if !IN_RQRR.with(Cell::get) {
                previous(info)
            }
        }))
    });
    IN_RQRR.with(|flag| flag.set(true));
    let outcome = catch_unwind(AssertUnwindSafe(decode));
    IN_RQRR.with(|flag| flag.set(false));
    outcome.unwrap_or_default()
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

/// Largest image read, from a file, the watched folder or an upload alike: a phone photo
/// of a QR code fits, and nothing much bigger is needed.
pub const MAX_IMAGE_BYTES: usize = 8 * 1024 * 1024;

/// The widest and tallest image decoded (a 24-megapixel camera's photo is 6000x4000). A
/// small file can declare a huge picture: the decoder stops here before allocating it.
pub const MAX_IMAGE_SIDE: u32 = 6000;

/// The most memory one picture's decoding may take.
pub const MAX_DECODE_BYTES: u64 = 160 * 1024 * 1024;

/// Why an image was not read: every source of pictures refuses the same things.
#[derive(Debug, thiserror::Error)]
pub enum ImageError {
    #[error("the image is larger than {MAX_IMAGE_BYTES} bytes")]
    TooLarge,
    #[error("not a readable image: {0}")]
    Unreadable(image::ImageError),
    #[error("{0}: not a regular file (links and devices are not read)")]
    NotAFile(String),
    #[error("cannot read {0}: {1}")]
    Io(String, std::io::Error),
}

/// Decodes image bytes (PNG, JPEG, ...) within [`MAX_IMAGE_BYTES`] and [`MAX_IMAGE_SIDE`].
pub fn image_from_bytes(bytes: &[u8]) -> Result<GrayImage, ImageError> {
    if bytes.len() > MAX_IMAGE_BYTES {
        return Err(ImageError::TooLarge);
    }
    let mut reader = image::ImageReader::new(std::io::Cursor::new(bytes))
        .with_guessed_format()
        .map_err(|e| ImageError::Unreadable(image::ImageError::IoError(e)))?;
    let mut limits = image::Limits::default();
    limits.max_image_width = Some(MAX_IMAGE_SIDE);
    limits.max_image_height = Some(MAX_IMAGE_SIDE);
    // A picture of 6,000 by 6,000 pixels in 8-bit RGBA fits; the same in 16-bit RGBA (288 MB per decode,
    // two decodes at once beside the folder and the camera) does not.
    limits.max_alloc = Some(MAX_DECODE_BYTES);
    reader.limits(limits);
    Ok(reader.decode().map_err(ImageError::Unreadable)?.to_luma8())
}

/// Reads an image file within the same limits as an upload. With `follow_links` false (a
/// watched folder anyone on the machine may write into) a symbolic link, a FIFO or a device
/// is refused instead of read: a link to `/dev/zero` or to another user's file is not a
/// photo.
pub fn read_image(path: &Path, follow_links: bool) -> Result<GrayImage, ImageError> {
    use std::io::Read;
    use std::os::unix::fs::OpenOptionsExt;
    let name = || path.display().to_string();
    let mut options = std::fs::OpenOptions::new();
    options.read(true);
    if !follow_links {
        // O_NONBLOCK: opening a FIFO must not wait for a writer.
        options.custom_flags(libc::O_NOFOLLOW | libc::O_NONBLOCK);
    }
    let file = options.open(path).map_err(|e| match e.raw_os_error() {
        Some(libc::ELOOP) => ImageError::NotAFile(name()),
        _ => ImageError::Io(name(), e),
    })?;
    let metadata = file.metadata().map_err(|e| ImageError::Io(name(), e))?;
    if !metadata.is_file() {
        return Err(ImageError::NotAFile(name()));
    }
    if metadata.len() > MAX_IMAGE_BYTES as u64 {
        return Err(ImageError::TooLarge);
    }
    let mut bytes = Vec::with_capacity(metadata.len() as usize);
    // A file still growing is read only to one byte past the limit.
    file.take(MAX_IMAGE_BYTES as u64 + 1)
        .read_to_end(&mut bytes)
        .map_err(|e| ImageError::Io(name(), e))?;
    image_from_bytes(&bytes)
}

/// Reads an image file and decodes the one stay record it shows.
pub fn record_from_image(path: &Path) -> Result<Vec<u8>> {
    let image = read_image(path, true)?;
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

#[cfg(test)]
mod tests {
    use super::*;

    const PAYLOAD: &[u8] = b"KG stay record: any bytes \x00\x01\xfe\xff";

    /// A 1280x720 camera frame, grey, with the code's top-left corner at (`x`, `y`).
    fn frame_with_code(x: i64, y: i64) -> GrayImage {
        let code = issuer::qr::png(PAYLOAD).unwrap();
        let mut frame = GrayImage::from_pixel(1280, 720, image::Luma([150]));
        image::imageops::replace(&mut frame, &code, x, y);
        frame
    }

    fn corpus_photo(name: &str) -> GrayImage {
        let path = Path::new(env!("CARGO_MANIFEST_DIR"))
            .join("../testdata/qr-zxing")
            .join(name);
        image::open(path).unwrap().to_luma8()
    }

    #[test]
    fn text_follows_the_bytes() {
        assert_eq!(text(b"plain ASCII"), "plain ASCII");
        assert_eq!(text("Кыргызстан".as_bytes()), "Кыргызстан");
        // Half-width katakana in Shift_JIS: not UTF-8.
        assert_eq!(
            text(&[0xC3, 0xDE, 0xBB, 0xDE, 0xB2, 0xDD, b'Q', b'R']),
            "ﾃﾞｻﾞｲﾝQR"
        );
        // Kanji mode hands over two-byte Shift_JIS: 0x93FA 0x967B is 日本.
        assert_eq!(text(&[0x93, 0xFA, 0x96, 0x7B]), "日本");
        // A lone Shift_JIS lead byte at the end: neither, so ISO-8859-1.
        assert_eq!(text(b"caf\xe9"), "café");
    }

    #[test]
    fn a_still_camera_is_not_decoded_twice() {
        let mut stream = Stream::new(FRAME_RETRY_BUDGET);
        let frame = frame_with_code(100, 80);
        let first = stream.decode(frame.clone());
        assert_eq!(first.payloads, vec![PAYLOAD.to_vec()]);
        assert_eq!(first.via, Via::WholeFrame);
        // Sensor noise: every pixel a level up or down.
        let mut noisy = frame.clone();
        for (i, pixel) in noisy.pixels_mut().enumerate() {
            pixel.0[0] = if i % 2 == 0 {
                pixel.0[0].saturating_add(1)
            } else {
                pixel.0[0].saturating_sub(1)
            };
        }
        let again = stream.decode(noisy);
        assert_eq!(again.payloads, vec![PAYLOAD.to_vec()]);
        assert_eq!(again.via, Via::Repeat);
    }

    #[test]
    fn a_moved_code_is_found_where_it_was() {
        let mut stream = Stream::new(FRAME_RETRY_BUDGET);
        assert_eq!(stream.decode(frame_with_code(100, 80)).via, Via::WholeFrame);
        let moved = stream.decode(frame_with_code(130, 95));
        assert_eq!(moved.payloads, vec![PAYLOAD.to_vec()]);
        assert_eq!(moved.via, Via::LastPlace);
        // Gone, then back on the other side of the frame: the whole frame again.
        let empty = GrayImage::from_pixel(1280, 720, image::Luma([150]));
        assert!(stream.decode(empty).payloads.is_empty());
        let far = stream.decode(frame_with_code(800, 300));
        assert_eq!(far.payloads, vec![PAYLOAD.to_vec()]);
        assert_eq!(far.via, Via::WholeFrame);
    }

    #[test]
    fn a_still_frame_gets_the_strategies_the_last_one_had_no_time_for() {
        // Modules one pixel wide, no quiet zone: only an upscaling strategy reads it.
        let photo = corpus_photo("qrcode-5/16.png");
        assert!(decode_within(photo.clone(), Duration::ZERO).is_empty());
        let mut stream = Stream::new(Duration::ZERO);
        let mut frames = 0;
        let sighting = loop {
            frames += 1;
            let sighting = stream.decode(photo.clone());
            if !sighting.payloads.is_empty() || sighting.via == Via::Repeat {
                break sighting;
            }
            assert!(frames <= STRATEGIES.len() + 1, "the search never ends");
        };
        assert_eq!(sighting.via, Via::WholeFrame, "found, not given up");
        assert!(frames > 2, "found in frame {frames}: not by resuming");
        let label = std::fs::read(
            Path::new(env!("CARGO_MANIFEST_DIR")).join("../testdata/qr-zxing/qrcode-5/16.txt"),
        )
        .unwrap();
        assert_eq!(sighting.payloads, vec![label]);
        // Then the same frame again is the same answer, without a search.
        assert_eq!(stream.decode(photo).via, Via::Repeat);
    }

    #[test]
    fn a_still_frame_without_a_code_stops_being_searched() {
        let empty = GrayImage::from_pixel(640, 480, image::Luma([90]));
        let mut stream = Stream::new(Duration::ZERO);
        let vias: Vec<Via> = (0..STRATEGIES.len() + 3)
            .map(|_| stream.decode(empty.clone()).via)
            .collect();
        assert_eq!(vias[0], Via::WholeFrame);
        assert_eq!(vias.last(), Some(&Via::Repeat));
        let searched = vias.iter().filter(|v| **v == Via::WholeFrame).count();
        assert!(searched <= STRATEGIES.len() + 1, "{vias:?}");
    }

    #[test]
    fn rqrr_panics_are_contained() {
        // rqrr 0.11 panics on this photograph in its first pass.
        let photo = corpus_photo("qrcode-6/7.png");
        let found = contained(|| grids!(rqrr::PreparedImage::prepare(photo.clone())));
        assert!(found.is_empty());
        // The strategies after it still read the code.
        assert!(!decode(photo).is_empty());
        // And a panic elsewhere still reaches the caller.
        assert!(catch_unwind(|| panic!("not rqrr")).is_err());
    }

    #[test]
    fn files_are_read_within_the_upload_limits_and_a_folder_follows_no_link() {
        let dir = tempfile::tempdir().unwrap();
        let photo = dir.path().join("code.png");
        issuer::qr::png(PAYLOAD).unwrap().save(&photo).unwrap();
        assert!(read_image(&photo, false).is_ok());
        let link = dir.path().join("link.png");
        std::os::unix::fs::symlink(&photo, &link).unwrap();
        assert!(
            read_image(&link, true).is_ok(),
            "a command line's link is followed"
        );
        assert!(
            matches!(read_image(&link, false), Err(ImageError::NotAFile(_))),
            "a watched folder's link is not"
        );
        // A FIFO would block a reader that waits for its writer.
        let fifo = dir.path().join("fifo.png");
        let name = std::ffi::CString::new(fifo.to_str().unwrap()).unwrap();
        assert_eq!(unsafe { libc::mkfifo(name.as_ptr(), 0o600) }, 0);
        assert!(matches!(
            read_image(&fifo, false),
            Err(ImageError::NotAFile(_))
        ));
        let big = dir.path().join("big.png");
        std::fs::write(&big, vec![0u8; MAX_IMAGE_BYTES + 1]).unwrap();
        assert!(matches!(read_image(&big, true), Err(ImageError::TooLarge)));
        assert!(matches!(
            image_from_bytes(&vec![0u8; MAX_IMAGE_BYTES + 1]),
            Err(ImageError::TooLarge)
        ));
    }
}
