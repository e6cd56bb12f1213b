//! The scanner's message tables, generated from the one message source
//! (`stay-core/messages/*.ftl`, the files the host formats with `fluent-bundle`): every
//! message the screen can show, in every language, as text pieces and named placeables.
//! A message missing in a language, or with other placeholders than English's, stops the
//! build: the scanner never shows an id or a blank.

use std::collections::BTreeMap;
use std::fmt::Write as _;

#[path = "shapes.rs"]
mod shapes;

use embedded_graphics::pixelcolor::BinaryColor;
use embedded_graphics::prelude::*;
use fluent_syntax::ast::{Entry, Expression, InlineExpression, PatternElement};
use stay_core::messages::Language;

/// The messages the scanner's screen uses: its own, the outcome words, the reasons and
/// the decisions (the kiosk's and the station's stay on the host).
const PREFIXES: [&str; 4] = ["scanner-", "outcome-", "reason-", "decision-"];

/// Of those, the kiosk's and the station's own (the scanner has no network, no keypad and
/// never personalizes a card): flash for nothing.
const NOT_ON_THE_SCANNER: [&str; 8] = [
    "outcome-waiting",
    "outcome-can-needed",
    "outcome-not-live",
    "outcome-no-token",
    "outcome-card-unreadable",
    "decision-card-verifies",
    "decision-card-rejected",
    "scanner-enter-can",
];

#[derive(Debug, Clone, PartialEq)]
enum Piece {
    Text(String),
    Var(String),
}

fn parse(language: Language) -> BTreeMap<String, Vec<Piece>> {
    let resource = fluent_syntax::parser::parse(language.source())
        .unwrap_or_else(|(_, errors)| panic!("{}.ftl does not parse: {errors:?}", language.code()));
    let mut messages = BTreeMap::new();
    for entry in resource.body {
        let Entry::Message(message) = entry else {
            continue;
        };
        let id = message.id.name;
        if !PREFIXES.iter().any(|p| id.starts_with(p)) || NOT_ON_THE_SCANNER.contains(&id) {
            continue;
        }
        let pattern = message
            .value
            .unwrap_or_else(|| panic!("{}.ftl: {id} has no value", language.code()));
        let mut pieces: Vec<Piece> = Vec::new();
        for element in pattern.elements {
            match element {
                PatternElement::TextElement { value } => match pieces.last_mut() {
                    Some(Piece::Text(text)) => text.push_str(value),
                    _ => pieces.push(Piece::Text(value.to_owned())),
                },
                PatternElement::Placeable {
                    expression: Expression::Inline(InlineExpression::VariableReference { id: var }),
                } => pieces.push(Piece::Var(var.name.to_owned())),
                other => panic!(
                    "{}.ftl: {id}: only text and {{ $variables }} reach the scanner, not {other:?}",
                    language.code()
                ),
            }
        }
        messages.insert(id.to_owned(), pieces);
    }
    messages
}

fn variant(id: &str) -> String {
    id.split('-')
        .map(|part| {
            let mut chars = part.chars();
            match chars.next() {
                Some(first) => first.to_ascii_uppercase().to_string() + chars.as_str(),
                None => String::new(),
            }
        })
        .collect()
}

fn vars(pieces: &[Piece]) -> Vec<&str> {
    let mut vars: Vec<&str> = pieces
        .iter()
        .filter_map(|p| match p {
            Piece::Var(v) => Some(v.as_str()),
            Piece::Text(_) => None,
        })
        .collect();
    vars.sort_unstable();
    vars
}

fn main() {
    let dir = concat!(env!("CARGO_MANIFEST_DIR"), "/../stay-core/messages");
    for language in Language::ALL {
        println!("cargo:rerun-if-changed={dir}/{}.ftl", language.code());
    }
    let tables: Vec<(Language, BTreeMap<String, Vec<Piece>>)> =
        Language::ALL.iter().map(|&l| (l, parse(l))).collect();
    let english = &tables
        .iter()
        .find(|(l, _)| *l == Language::English)
        .expect("English is a language")
        .1;
    for (language, table) in &tables {
        for (id, pieces) in english {
            let theirs = table
                .get(id)
                .unwrap_or_else(|| panic!("{}.ftl lacks {id}", language.code()));
            assert_eq!(
                vars(theirs),
                vars(pieces),
                "{}.ftl: {id} has other placeholders than en.ftl",
                language.code()
            );
        }
        if let Some(extra) = table.keys().find(|id| !english.contains_key(*id)) {
            panic!("{}.ftl has {extra}, which en.ftl lacks", language.code());
        }
    }

    let mut out = String::new();
    out.push_str(
        "/// A message of the scanner's screen (generated from `stay-core/messages/*.ftl`).\n\
         #[derive(Debug, Clone, Copy, PartialEq, Eq)]\n#[repr(u8)]\npub enum MessageId {\n",
    );
    for id in english.keys() {
        let _ = writeln!(out, "    /// `{id}`\n    {},", variant(id));
    }
    out.push_str("}\n\nimpl MessageId {\n");
    let _ = writeln!(
        out,
        "    pub const ALL: [MessageId; {}] = [{}];",
        english.len(),
        english
            .keys()
            .map(|id| format!("MessageId::{}", variant(id)))
            .collect::<Vec<_>>()
            .join(", ")
    );
    out.push_str("\n    /// Its Fluent id.\n    pub const fn id(self) -> &'static str {\n        match self {\n");
    for id in english.keys() {
        let _ = writeln!(out, "            MessageId::{} => {id:?},", variant(id));
    }
    out.push_str("        }\n    }\n\n    /// The message of a Fluent id.\n    pub fn from_id(id: &str) -> Option<MessageId> {\n        match id {\n");
    for id in english.keys() {
        let _ = writeln!(
            out,
            "            {id:?} => Some(MessageId::{}),",
            variant(id)
        );
    }
    out.push_str("            _ => None,\n        }\n    }\n}\n\n");
    let _ = writeln!(
        out,
        "/// Each language's messages, in `Language::ALL`'s order, by `MessageId`.\n\
         static MESSAGES: [[&[Piece]; {}]; {}] = [",
        english.len(),
        tables.len()
    );
    for (language, table) in &tables {
        let _ = writeln!(out, "    // {}", language.code());
        out.push_str("    [\n");
        for id in english.keys() {
            out.push_str("        &[");
            for piece in &table[id] {
                match piece {
                    Piece::Text(t) => {
                        let _ = write!(out, "Piece::Text({t:?}), ");
                    }
                    Piece::Var(v) => {
                        let _ = write!(out, "Piece::Var({v:?}), ");
                    }
                }
            }
            out.push_str("],\n");
        }
        out.push_str("    ],\n");
    }
    out.push_str("];\n");
    let path = std::path::Path::new(&std::env::var("OUT_DIR").expect("cargo sets OUT_DIR"))
        .join("messages.rs");
    std::fs::write(path, out).expect("OUT_DIR is writable");

    // The fonts, cut to the glyphs a screen can show: ASCII (names and numbers are Latin),
    // the Russian alphabet with Ё ё, and every character of the messages (Kyrgyz's Ң ң
    // Ө ө Ү ү among them). The rest of U+0400..U+052F would cost flash for nothing; a
    // name's character outside the cut is drawn as "?" (screen.rs).
    let mut keep: std::collections::BTreeSet<u32> = (0x410..=0x44f).chain([0x401, 0x451]).collect();
    for (_, table) in &tables {
        for pieces in table.values() {
            for piece in pieces {
                if let Piece::Text(t) = piece {
                    keep.extend(t.chars().map(u32::from).filter(|&c| c >= 0x100));
                }
            }
        }
    }
    let mut fonts = String::new();
    for (name, file) in FONTS {
        let source = format!("{}/fonts/{file}.u8g2font", env!("CARGO_MANIFEST_DIR"));
        println!("cargo:rerun-if-changed={source}");
        let data = std::fs::read(&source).unwrap_or_else(|e| panic!("{source}: {e}"));
        let cut = subset(&data, &keep).unwrap_or_else(|e| panic!("{file}: {e}"));
        let out_file = format!("{file}.subset.u8g2font");
        std::fs::write(
            std::path::Path::new(&std::env::var("OUT_DIR").expect("cargo sets OUT_DIR"))
                .join(&out_file),
            &cut,
        )
        .expect("OUT_DIR is writable");
        let _ = writeln!(
            fonts,
            "/// `{file}`, cut to the screen's glyphs ({} of {} bytes).\n\
             pub struct {name};\n\
             impl u8g2_fonts::Font for {name} {{\n    \
             const DATA: &'static [u8] = include_bytes!(concat!(env!(\"OUT_DIR\"), \"/{out_file}\"));\n}}",
            cut.len(),
            data.len()
        );
    }
    std::fs::write(
        std::path::Path::new(&std::env::var("OUT_DIR").expect("cargo sets OUT_DIR"))
            .join("fonts.rs"),
        fonts,
    )
    .expect("OUT_DIR is writable");

    println!("cargo:rerun-if-changed=shapes.rs");
    std::fs::write(
        std::path::Path::new(&std::env::var("OUT_DIR").expect("cargo sets OUT_DIR"))
            .join("shapes.rs"),
        shape_runs(),
    )
    .expect("OUT_DIR is writable");
}

/// A shape's box in memory.
struct Bitmap(Vec<bool>);

impl OriginDimensions for Bitmap {
    fn size(&self) -> Size {
        Size::new(shapes::BOX.0, shapes::BOX.1)
    }
}

impl DrawTarget for Bitmap {
    type Color = BinaryColor;
    type Error = std::convert::Infallible;

    fn draw_iter<I: IntoIterator<Item = Pixel<BinaryColor>>>(
        &mut self,
        pixels: I,
    ) -> Result<(), Self::Error> {
        let (w, h) = shapes::BOX;
        for Pixel(p, c) in pixels {
            assert!(
                (0..w as i32).contains(&p.x) && (0..h as i32).contains(&p.y),
                "a shape leaves its box at {p:?}"
            );
            self.0[(p.y as u32 * w + p.x as u32) as usize] = c.is_on();
        }
        Ok(())
    }
}

/// Every shape as rows of runs (see `screen::draw_shape`).
fn shape_runs() -> String {
    let (w, h) = shapes::BOX;
    let mut out = format!(
        "pub const BOX: (u32, u32) = ({w}, {h});\npub static SHAPES: [&[u8]; {}] = [\n",
        shapes::SHAPES.len()
    );
    for name in shapes::SHAPES {
        let mut bitmap = Bitmap(vec![false; (w * h) as usize]);
        let centre = Point::new(w as i32 / 2, h as i32 / 2);
        shapes::draw_shape(name, centre, BinaryColor::On, &mut bitmap).expect("infallible");
        let mut runs = Vec::new();
        for row in bitmap.0.chunks(w as usize) {
            let mut row_runs: Vec<u8> = Vec::new();
            let (mut current, mut len) = (false, 0u8);
            for &on in row {
                if on != current {
                    row_runs.push(len);
                    current = on;
                    len = 0;
                }
                len += 1;
            }
            if current {
                row_runs.push(len);
            }
            runs.push(row_runs.len() as u8);
            runs.extend(row_runs);
        }
        let _ = writeln!(out, "    // {name}\n    &{runs:?},");
    }
    out.push_str("];\n");
    out
}

/// The screen's fonts: U8g2's conversions of the X11 misc-fixed fonts (public domain), in
/// `fonts/` as U8g2 ships them.
const FONTS: [(&str, &str); 3] = [
    ("Word", "u8g2_font_10x20_t_cyrillic"),
    ("Text", "u8g2_font_8x13_t_cyrillic"),
    ("Small", "u8g2_font_6x12_t_cyrillic"),
];

/// A U8g2 font with only the glyphs of `keep` above U+00FF. The format: a 23-byte header
/// (bytes 21-22: the offset of the Unicode part after the header), the glyphs below
/// U+0100 unchanged, then a jump table of (distance, last encoding) entries ending with
/// U+FFFF, then glyphs of (encoding u16, size u8, bits), then encoding 0.
fn subset(data: &[u8], keep: &std::collections::BTreeSet<u32>) -> Result<Vec<u8>, String> {
    let header = data.get(..23).ok_or("no header")?;
    let unicode = 23 + usize::from(u16::from_be_bytes([header[21], header[22]]));
    let mut at = unicode;
    loop {
        let entry = data.get(at..at + 4).ok_or("jump table runs out")?;
        at += 4;
        if entry[2..4] == [0xff, 0xff] {
            break;
        }
    }
    let mut out = data[..unicode].to_vec();
    // One entry: every kept glyph is found by a linear search right after the table.
    out.extend_from_slice(&[0, 4, 0xff, 0xff]);
    let mut kept = 0;
    loop {
        let encoding = data.get(at..at + 2).ok_or("glyphs run out")?;
        let encoding = u32::from(u16::from_be_bytes([encoding[0], encoding[1]]));
        if encoding == 0 {
            break;
        }
        let size = usize::from(*data.get(at + 2).ok_or("glyph size")?);
        let glyph = data.get(at..at + size).ok_or("glyph runs out")?;
        if size < 3 {
            return Err(format!("glyph U+{encoding:04X} of {size} bytes"));
        }
        if keep.contains(&encoding) {
            out.extend_from_slice(glyph);
            kept += 1;
        }
        at += size;
    }
    out.extend_from_slice(&[0, 0]);
    if kept == 0 {
        return Err("no glyph kept".into());
    }
    Ok(out)
}
