//! The scanner's message tables, generated from the one message source
//! (`stay-core/messages/*.ftl`, the files the host formats with `fluent-bundle`): every
//! message the screen can show, in every language, as text pieces and named placeables.
//! A message missing in a language, or with other placeholders than English's, stops the
//! build: the scanner never shows an id or a blank.

use std::collections::BTreeMap;
use std::fmt::Write as _;

use fluent_syntax::ast::{Entry, Expression, InlineExpression, PatternElement};
use stay_core::messages::Language;

/// The messages the scanner's screen uses: its own, the outcome words, the reasons and
/// the decisions (the kiosk's and the station's stay on the host).
const PREFIXES: [&str; 4] = ["scanner-", "outcome-", "reason-", "decision-"];

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
        if !PREFIXES.iter().any(|p| id.starts_with(p)) {
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
}
