//! Our QR decoder beside `zbarimg` (Debian zbar-tools) on ZXing's 179 labelled photographs,
//! at 0, 90, 180 and 270 degrees, in the same run: how many each reads to exactly the label,
//! how many it misreads, and the milliseconds per image. Both read the same files from disk,
//! so both times include the image decoding; zbarimg is run once per rotation over all the
//! files, so its process start is spread over 179 images.
//!
//! Then the camera path: each photograph scaled into a 1280x720 frame, the first pass and the
//! whole pipeline within the frame budget, medians over the 179 frames.
//!
//! `QR_CORPUS_MISSES=1` lists the photographs we do not read.

use std::path::{Path, PathBuf};
use std::time::{Duration, Instant};

use base64::Engine as _;
use stay_tests::qr_corpus::{photos, rotated, Photo, ROTATIONS};

fn main() {
    let photos = photos();
    let dir = PathBuf::from(env!("CARGO_TARGET_TMPDIR")).join("qr-corpus");
    let show_misses = std::env::var_os("QR_CORPUS_MISSES").is_some();
    println!("| rotation | ours: read | ours: misread | ours: ms/image (mean, median) | zbarimg: read | zbarimg: misread | zbarimg: ms/image |");
    println!("|---|---|---|---|---|---|---|");
    for degrees in ROTATIONS {
        let files = write_rotated(&photos, degrees, &dir.join(degrees.to_string()));
        let ours = ours(&photos, &files, show_misses.then_some(degrees));
        let zbar = zbar(&photos, &files);
        let zbar = match zbar {
            Some(z) => format!("{} | {} | {:.1}", z.read, z.misread, z.mean_ms),
            None => "zbarimg not installed | | ".to_string(),
        };
        println!(
            "| {degrees} | {} | {} | {:.1}, {:.1} | {zbar} |",
            ours.read, ours.misread, ours.mean_ms, ours.median_ms
        );
    }
    frames(&photos);
}

struct Tally {
    read: usize,
    misread: usize,
    mean_ms: f64,
    median_ms: f64,
}

/// Each photograph turned by `degrees`, saved losslessly where both decoders read it.
fn write_rotated(photos: &[Photo], degrees: u32, dir: &Path) -> Vec<PathBuf> {
    std::fs::create_dir_all(dir).unwrap();
    photos
        .iter()
        .enumerate()
        .map(|(i, photo)| {
            let path = dir.join(format!("{i:03}.png"));
            rotated(&photo.image, degrees).save(&path).unwrap();
            path
        })
        .collect()
}

fn ours(photos: &[Photo], files: &[PathBuf], list_misses_at: Option<u32>) -> Tally {
    let mut times = Vec::new();
    let (mut read, mut misread) = (0, 0);
    for (photo, file) in photos.iter().zip(files) {
        let start = Instant::now();
        let image = image::open(file).unwrap().to_luma8();
        let payloads = reader_host::qr::decode(image);
        times.push(start.elapsed());
        let texts: Vec<_> = payloads.iter().map(|p| reader_host::qr::text(p)).collect();
        if texts.iter().any(|t| *t == photo.label) {
            read += 1;
        } else {
            if !texts.is_empty() {
                misread += 1;
            }
            if let Some(degrees) = list_misses_at {
                println!(
                    "  miss at {degrees}: {} ({})",
                    photo.path.display(),
                    if texts.is_empty() {
                        "nothing"
                    } else {
                        "misread"
                    }
                );
            }
        }
    }
    Tally {
        read,
        misread,
        mean_ms: mean_ms(&times),
        median_ms: median_ms(&mut times),
    }
}

/// zbarimg over all the files at once, its XML output matched back to each file.
fn zbar(photos: &[Photo], files: &[PathBuf]) -> Option<Tally> {
    let start = Instant::now();
    let out = std::process::Command::new("zbarimg")
        .args(["--xml", "-q"])
        .args(files)
        .output()
        .ok()?;
    let elapsed = start.elapsed();
    let xml = String::from_utf8_lossy(&out.stdout);
    let (mut read, mut misread) = (0, 0);
    for (photo, file) in photos.iter().zip(files) {
        let texts = zbar_texts(&xml, &file.to_string_lossy());
        if texts.contains(&photo.label) {
            read += 1;
        } else if !texts.is_empty() {
            misread += 1;
        }
    }
    let per_image = elapsed.as_secs_f64() * 1e3 / files.len() as f64;
    Some(Tally {
        read,
        misread,
        mean_ms: per_image,
        median_ms: per_image,
    })
}

/// The texts zbarimg's XML gives for one source file.
fn zbar_texts(xml: &str, file: &str) -> Vec<String> {
    let Some(start) = xml.find(&format!("<source href='{file}'>")) else {
        return Vec::new();
    };
    let source = &xml[start..];
    let source = &source[..source.find("</source>").unwrap_or(source.len())];
    source
        .split("<data")
        .skip(1)
        .filter_map(|data| {
            let base64 = data.starts_with(" format='base64'");
            let body = &data[data.find("<![CDATA[")? + 9..];
            let body = &body[..body.find("]]></data>")?];
            if base64 {
                let bytes = base64::engine::general_purpose::STANDARD
                    .decode(body.split_whitespace().collect::<String>())
                    .ok()?;
                Some(String::from_utf8_lossy(&bytes).into_owned())
            } else {
                Some(body.to_string())
            }
        })
        .collect()
}

/// The camera path: each photograph letterboxed into a 1280x720 frame.
fn frames(photos: &[Photo]) {
    let (mut first, mut whole) = (Vec::new(), Vec::new());
    let (mut first_read, mut whole_read) = (0, 0);
    for photo in photos {
        let frame = into_frame(&photo.image);
        let start = Instant::now();
        let found = reader_host::qr::decode_within(frame.clone(), Duration::ZERO);
        first.push(start.elapsed());
        first_read += usize::from(!found.is_empty());
        let start = Instant::now();
        let found = reader_host::qr::decode_within(frame, reader_host::qr::FRAME_RETRY_BUDGET);
        whole.push(start.elapsed());
        whole_read += usize::from(!found.is_empty());
    }
    println!();
    println!(
        "| 1280x720 frames (179 photographs) | codes found | median ms | mean ms | slowest ms |"
    );
    println!("|---|---|---|---|---|");
    for (name, read, times) in [
        ("first pass", first_read, &mut first),
        ("whole pipeline", whole_read, &mut whole),
    ] {
        println!(
            "| {name} | {read} | {:.1} | {:.1} | {:.1} |",
            median_ms(times),
            mean_ms(times),
            times.iter().max().unwrap().as_secs_f64() * 1e3
        );
    }
}

/// `image` scaled to fit 1280x720 and centred on mid grey.
fn into_frame(image: &image::GrayImage) -> image::GrayImage {
    let (w, h) = (image.width(), image.height());
    let scale = (1280.0 / w as f64).min(720.0 / h as f64);
    let (sw, sh) = ((w as f64 * scale) as u32, (h as f64 * scale) as u32);
    let scaled = image::imageops::resize(image, sw, sh, image::imageops::FilterType::Triangle);
    let mut frame = image::GrayImage::from_pixel(1280, 720, image::Luma([128]));
    image::imageops::replace(
        &mut frame,
        &scaled,
        ((1280 - sw) / 2).into(),
        ((720 - sh) / 2).into(),
    );
    frame
}

fn mean_ms(times: &[Duration]) -> f64 {
    times.iter().sum::<Duration>().as_secs_f64() * 1e3 / times.len() as f64
}

fn median_ms(times: &mut [Duration]) -> f64 {
    times.sort();
    times[times.len() / 2].as_secs_f64() * 1e3
}
