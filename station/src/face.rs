//! What the station prints on the card's face: the QR code (the record and the CAN,
//! [`stay_core::card_face`]) and the CAN in digits beside the label "CAN", as PNG (for the
//! card printer) and SVG (for the layout). Whoever sees the face can open the chip; whoever
//! only passes it in a pocket cannot.

use std::path::Path;

use anyhow::{Context, Result};
use image::{GrayImage, Luma};
use qrcode::{Color, EcLevel, QrCode};
use stay_core::pace::Can;

/// Pixels per QR module in the PNG.
const MODULE: u32 = 6;
/// Pixels per font dot in the PNG's CAN line.
const DOT: u32 = 6;
/// Quiet zone around the code, in modules.
const QUIET: u32 = 4;

/// The payload of the face's QR code.
pub fn payload(record: &[u8], can: &Can) -> Vec<u8> {
    let mut out = vec![0u8; record.len() + stay_core::card_face::CAN_OBJECT_LEN];
    stay_core::card_face::write(record, can, &mut out).expect("sized for record and CAN");
    out
}

fn code(record: &[u8], can: &Can) -> Result<QrCode> {
    // Error correction M (15%): survives scratches on the laminate while keeping the code
    // small (the same level as every printed code of this system).
    QrCode::with_error_correction_level(payload(record, can), EcLevel::M)
        .context("record too large for a QR code")
}

fn label(can: &Can) -> String {
    format!("CAN {}", String::from_utf8_lossy(can.digits()))
}

/// 5×7 glyphs, one byte a row, the five low bits the dots (left = bit 4).
fn glyph(c: char) -> [u8; 7] {
    match c {
        '0' => [0x0E, 0x11, 0x13, 0x15, 0x19, 0x11, 0x0E],
        '1' => [0x04, 0x0C, 0x04, 0x04, 0x04, 0x04, 0x0E],
        '2' => [0x0E, 0x11, 0x01, 0x02, 0x04, 0x08, 0x1F],
        '3' => [0x1F, 0x02, 0x04, 0x02, 0x01, 0x11, 0x0E],
        '4' => [0x02, 0x06, 0x0A, 0x12, 0x1F, 0x02, 0x02],
        '5' => [0x1F, 0x10, 0x1E, 0x01, 0x01, 0x11, 0x0E],
        '6' => [0x06, 0x08, 0x10, 0x1E, 0x11, 0x11, 0x0E],
        '7' => [0x1F, 0x01, 0x02, 0x04, 0x08, 0x08, 0x08],
        '8' => [0x0E, 0x11, 0x11, 0x0E, 0x11, 0x11, 0x0E],
        '9' => [0x0E, 0x11, 0x11, 0x0F, 0x01, 0x02, 0x0C],
        'C' => [0x0E, 0x11, 0x10, 0x10, 0x10, 0x11, 0x0E],
        'A' => [0x0E, 0x11, 0x11, 0x1F, 0x11, 0x11, 0x11],
        'N' => [0x11, 0x19, 0x15, 0x13, 0x11, 0x11, 0x11],
        _ => [0; 7],
    }
}

/// The face as a grey image: the code, then the CAN line under it.
pub fn png(record: &[u8], can: &Can) -> Result<GrayImage> {
    let code = code(record, can)?;
    let width = code.width() as u32;
    let text = label(can);
    let text_width = text.chars().count() as u32 * 6 * DOT;
    let code_side = (width + 2 * QUIET) * MODULE;
    let side = code_side.max(text_width + 2 * QUIET * MODULE);
    let height = code_side + 9 * DOT + QUIET * MODULE;
    let mut image = GrayImage::from_pixel(side, height, Luma([255]));
    let left = (side - code_side) / 2;
    for (i, color) in code.to_colors().into_iter().enumerate() {
        if color == Color::Dark {
            let (x, y) = (i as u32 % width, i as u32 / width);
            for dy in 0..MODULE {
                for dx in 0..MODULE {
                    image.put_pixel(
                        left + (QUIET + x) * MODULE + dx,
                        (QUIET + y) * MODULE + dy,
                        Luma([0]),
                    );
                }
            }
        }
    }
    let x0 = (side - text_width) / 2;
    let y0 = code_side;
    for (n, c) in text.chars().enumerate() {
        for (row, bits) in glyph(c).iter().enumerate() {
            for col in 0..5u32 {
                if bits >> (4 - col) & 1 == 1 {
                    for dy in 0..DOT {
                        for dx in 0..DOT {
                            image.put_pixel(
                                x0 + (n as u32 * 6 + col) * DOT + dx,
                                y0 + row as u32 * DOT + dy,
                                Luma([0]),
                            );
                        }
                    }
                }
            }
        }
    }
    Ok(image)
}

/// The face as SVG: the code's modules as one path, the CAN as text.
pub fn svg(record: &[u8], can: &Can) -> Result<String> {
    let code = code(record, can)?;
    let width = code.width() as u32;
    let side = width + 2 * QUIET;
    let mut path = String::new();
    for (i, color) in code.to_colors().into_iter().enumerate() {
        if color == Color::Dark {
            let (x, y) = (i as u32 % width + QUIET, i as u32 / width + QUIET);
            path.push_str(&format!("M{x} {y}h1v1h-1z"));
        }
    }
    let height = side + 8;
    Ok(format!(
        "<svg xmlns=\"http://www.w3.org/2000/svg\" viewBox=\"0 0 {side} {height}\" \
         width=\"{w}\" height=\"{h}\">\
         <rect width=\"{side}\" height=\"{height}\" fill=\"#fff\"/>\
         <path d=\"{path}\" fill=\"#000\" shape-rendering=\"crispEdges\"/>\
         <text x=\"{mid}\" y=\"{base}\" font-family=\"monospace\" font-size=\"5\" \
         text-anchor=\"middle\">{label}</text></svg>\n",
        w = side * 8,
        h = height * 8,
        mid = side / 2,
        base = side + 5,
        label = label(can),
    ))
}

/// Writes `NUMBER.png` and `NUMBER.svg` into `dir`.
pub fn write(dir: &Path, document_number: &str, record: &[u8], can: &Can) -> Result<()> {
    std::fs::create_dir_all(dir).with_context(|| format!("cannot create {}", dir.display()))?;
    let png_path = dir.join(format!("{document_number}.png"));
    let mut bytes = std::io::Cursor::new(Vec::new());
    png(record, can)?.write_to(&mut bytes, image::ImageFormat::Png)?;
    stay_std::files::write_atomic(&png_path, bytes.get_ref())?;
    let svg_path = dir.join(format!("{document_number}.svg"));
    stay_std::files::write_atomic(&svg_path, svg(record, can)?.as_bytes())?;
    Ok(())
}
