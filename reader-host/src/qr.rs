//! QR codes from images: the raw bytes of every code found.

use std::panic::{catch_unwind, AssertUnwindSafe};
use std::path::Path;

use anyhow::{bail, Context, Result};

/// Decodes every QR code in `image` to its raw bytes. A decoder panic (rqrr has some on
/// malformed grids) is contained and reported as no code, never a crash.
pub fn decode(image: image::GrayImage) -> Vec<Vec<u8>> {
    let grids = catch_unwind(AssertUnwindSafe(move || {
        let mut prepared = rqrr::PreparedImage::prepare(image);
        let grids = prepared.detect_grids();
        grids
            .into_iter()
            .filter_map(|grid| {
                let mut bytes = Vec::new();
                grid.decode_to(&mut bytes).ok().map(|_| bytes)
            })
            .collect::<Vec<_>>()
    }));
    grids.unwrap_or_default()
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
