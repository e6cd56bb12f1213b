//! The card-face QR code: the record's bytes, unchanged, in byte mode.

use std::path::Path;

use anyhow::{bail, Context, Result};
use qrcode::{EcLevel, QrCode};

/// Error correction M (15%): survives scratches on the laminate while keeping the code small.
pub fn encode(record: &[u8]) -> Result<QrCode> {
    QrCode::with_error_correction_level(record, EcLevel::M)
        .context("record too large for a QR code")
}

pub fn png(record: &[u8]) -> Result<image::GrayImage> {
    Ok(encode(record)?
        .render::<image::Luma<u8>>()
        .quiet_zone(true)
        .module_dimensions(6, 6)
        .build())
}

pub fn svg(record: &[u8]) -> Result<String> {
    Ok(encode(record)?
        .render::<qrcode::render::svg::Color<'_>>()
        .quiet_zone(true)
        .min_dimensions(300, 300)
        .build())
}

/// Writes a PNG or SVG, by the output's extension.
pub fn write(record: &[u8], out: &Path) -> Result<()> {
    let ext = out
        .extension()
        .and_then(|e| e.to_str())
        .map(str::to_ascii_lowercase);
    let bytes = match ext.as_deref() {
        Some("png") => {
            let mut buf = std::io::Cursor::new(Vec::new());
            png(record)?.write_to(&mut buf, image::ImageFormat::Png)?;
            buf.into_inner()
        }
        Some("svg") => svg(record)?.into_bytes(),
        _ => bail!("{}: the output must end in .png or .svg", out.display()),
    };
    stay_std::files::write_atomic(out, &bytes)
}
