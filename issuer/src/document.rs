//! The electronic document a holder receives online (`issuer document`): the record's
//! fields with their labels in Kyrgyz, Russian and English, and the record's QR code, drawn
//! as vector squares so it prints and scans at any size. The PDF is the holder's copy; the
//! QR is what proves it, at any desk or scanner.

use std::path::Path;

use anyhow::{Context, Result};
use printpdf::{IndirectFontRef, Mm, PdfDocument, PdfLayerReference, Point, Polygon};
use stay_core::StayRecord;
use stay_std::messages::{messages, Language};

/// The font the document is set in: it covers Kyrgyz (Ң Ө Ү), Russian and Latin. Debian's
/// `fonts-dejavu-core`.
pub const DEFAULT_FONT: &str = "/usr/share/fonts/truetype/dejavu/DejaVuSans.ttf";

/// A4, in millimetres.
const PAGE: (f32, f32) = (210.0, 297.0);
const MARGIN: f32 = 18.0;
/// The QR's side on paper: a phone and a desk camera read a version-13 code of this size
/// from the screen or the printout.
const QR_SIDE_MM: f32 = 70.0;

/// The labels of one field in the three languages, as one line: `ky / ru / en`.
fn label(id: &str) -> String {
    Language::ALL
        .iter()
        .map(|l| messages(*l).text(id))
        .collect::<Vec<_>>()
        .join(" / ")
}

/// Renders `record` (the signed bytes, which the QR carries unchanged) as a one-page PDF.
pub fn render(record: &[u8], font: &Path) -> Result<Vec<u8>> {
    let parsed =
        StayRecord::parse(record).map_err(|e| anyhow::anyhow!("not a stay record: {e}"))?;
    let f = &parsed.fields;
    let title = Language::ALL
        .iter()
        .map(|l| messages(*l).code("document-type", f.document_type.name()))
        .collect::<Vec<_>>();
    let (doc, page, layer) = PdfDocument::new(
        format!("{} {}", title[2], f.document_number),
        Mm(PAGE.0),
        Mm(PAGE.1),
        "document",
    );
    let font_file =
        std::fs::File::open(font).with_context(|| format!("the font {}", font.display()))?;
    let font = doc
        .add_external_font(font_file)
        .map_err(|e| anyhow::anyhow!("the font {}: {e}", font.display()))?;
    let layer = doc.get_page(page).get_layer(layer);
    let mut y = PAGE.1 - MARGIN - 6.0;
    let text = |layer: &PdfLayerReference, t: &str, size: f32, y: f32, font: &IndirectFontRef| {
        layer.use_text(t, size, Mm(MARGIN), Mm(y), font);
    };
    for t in &title {
        text(&layer, t, 16.0, y, &font);
        y -= 8.0;
    }
    text(&layer, f.issuing_authority, 10.0, y, &font);
    y -= 12.0;
    let sex = Language::ALL
        .iter()
        .map(|l| messages(*l).code("sex", f.sex.name()))
        .collect::<Vec<_>>()
        .join(" / ");
    let purpose = Language::ALL
        .iter()
        .map(|l| messages(*l).code("purpose", f.purpose.name()))
        .collect::<Vec<_>>()
        .join(" / ");
    let fields: Vec<(&str, String)> = vec![
        ("field-document-number", f.document_number.to_string()),
        ("field-surname", f.surname.to_string()),
        ("field-given-names", f.given_names.to_string()),
        ("field-nationality", f.nationality.to_string()),
        ("field-date-of-birth", f.date_of_birth.to_string()),
        ("field-sex", sex),
        ("field-pin", f.pin.to_string()),
        ("field-purpose", purpose),
        ("field-valid-from", f.valid_from.to_string()),
        ("field-valid-until", f.valid_until.to_string()),
        ("field-issue-date", f.issue_date.to_string()),
    ];
    for (id, value) in &fields {
        text(&layer, &label(id), 8.0, y, &font);
        y -= 5.0;
        text(&layer, value, 12.0, y, &font);
        y -= 8.0;
    }
    // The code, with its four-module quiet zone, below the fields.
    let code = crate::qr::encode(record)?;
    let width = code.width();
    let quiet = 4;
    let module = QR_SIDE_MM / (width + 2 * quiet) as f32;
    let top = y - 4.0;
    let left = MARGIN;
    let colors = code.to_colors();
    for (i, c) in colors.iter().enumerate() {
        if *c != qrcode::Color::Dark {
            continue;
        }
        let (col, row) = ((i % width + quiet) as f32, (i / width + quiet) as f32);
        let (x0, y0) = (left + col * module, top - (row + 1.0) * module);
        let (x1, y1) = (x0 + module, y0 + module);
        layer.add_polygon(Polygon {
            rings: vec![vec![
                (Point::new(Mm(x0), Mm(y0)), false),
                (Point::new(Mm(x1), Mm(y0)), false),
                (Point::new(Mm(x1), Mm(y1)), false),
                (Point::new(Mm(x0), Mm(y1)), false),
            ]],
            mode: printpdf::path::PaintMode::Fill,
            winding_order: printpdf::path::WindingOrder::NonZero,
        });
    }
    let mut below = top - QR_SIDE_MM - 6.0;
    for l in Language::ALL {
        text(
            &layer,
            &messages(l).text("document-qr-note"),
            7.0,
            below,
            &font,
        );
        below -= 4.0;
    }
    doc.save_to_bytes()
        .map_err(|e| anyhow::anyhow!("the PDF: {e}"))
}
