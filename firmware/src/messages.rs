//! The scanner's words, in Kyrgyz, Russian and English: tables generated at build time from
//! `stay-core/messages/*.ftl`, the source the host's programs format with `fluent-bundle`
//! (see `build.rs`). No parser and no heap on the device: a message is a few text pieces and
//! named placeables.

use core::fmt;

pub use stay_core::messages::Language;

/// A part of a message: literal text, or the value of a `{ $variable }`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Piece {
    Text(&'static str),
    Var(&'static str),
}

include!(concat!(env!("OUT_DIR"), "/messages.rs"));

const fn index(language: Language) -> usize {
    match language {
        Language::Kyrgyz => 0,
        Language::Russian => 1,
        Language::English => 2,
    }
}

/// The pieces of `id` in `language`.
pub fn pieces(language: Language, id: MessageId) -> &'static [Piece] {
    MESSAGES[index(language)][id as usize]
}

/// Writes `id` in `language`, each placeable from `args` (a missing one as `{name}`, so a
/// test sees it).
pub fn write(
    out: &mut impl fmt::Write,
    language: Language,
    id: MessageId,
    args: &[(&str, &dyn fmt::Display)],
) -> fmt::Result {
    for piece in pieces(language, id) {
        match piece {
            Piece::Text(text) => out.write_str(text)?,
            Piece::Var(name) => match args.iter().find(|(n, _)| n == name) {
                Some((_, value)) => write!(out, "{value}")?,
                None => write!(out, "{{{name}}}")?,
            },
        }
    }
    Ok(())
}

/// The message of a code with its prefix (`reason` and `expired` give `reason-expired`):
/// `-` for `_` and `:`, as `stay_core::messages::message_id` makes the host's ids.
pub fn of_code(prefix: &str, code: &str) -> Option<MessageId> {
    let mut buf = [0u8; 64];
    let len = stay_core::messages::message_id(prefix, code, &mut buf)?;
    MessageId::from_id(core::str::from_utf8(&buf[..len]).ok()?)
}
