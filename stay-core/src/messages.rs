//! The languages of every screen and line a person reads, and the one source of their
//! messages: Project Fluent files (`messages/{ky,ru,en}.ftl`). The host formats them with
//! `fluent-bundle` (`stay_std::messages`); the scanner's firmware gets tables generated from
//! the same files at build time. Codes in JSON (reasons, decisions) never change with the
//! language.

/// A language a person at a desk, a border or the office reads.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum Language {
    /// Kyrgyz, the state language.
    Kyrgyz,
    /// Russian, the official language.
    Russian,
    English,
}

impl Language {
    /// In the order a language switch offers them.
    pub const ALL: [Language; 3] = [Language::Kyrgyz, Language::Russian, Language::English];

    /// The BCP 47 code: `ky`, `ru`, `en`.
    pub const fn code(self) -> &'static str {
        match self {
            Language::Kyrgyz => "ky",
            Language::Russian => "ru",
            Language::English => "en",
        }
    }

    /// Its own name for itself, for a language switch.
    pub const fn own_name(self) -> &'static str {
        match self {
            Language::Kyrgyz => "Кыргызча",
            Language::Russian => "Русский",
            Language::English => "English",
        }
    }

    pub fn from_code(code: &str) -> Option<Language> {
        Language::ALL.into_iter().find(|l| l.code() == code)
    }

    /// From a POSIX locale (`ru_RU.UTF-8`, `ky_KG`, `en`): its language part, when it is one
    /// of ours.
    pub fn from_locale(locale: &str) -> Option<Language> {
        let language = locale
            .split(['_', '.', '@', '-'])
            .next()
            .unwrap_or_default();
        Language::from_code(language)
    }

    /// The Fluent source of this language's messages.
    pub const fn source(self) -> &'static str {
        match self {
            Language::Kyrgyz => include_str!("../messages/ky.ftl"),
            Language::Russian => include_str!("../messages/ru.ftl"),
            Language::English => include_str!("../messages/en.ftl"),
        }
    }
}

/// The message id of a code (a reason, a decision, a field name): `-` for `_` and `:`, as
/// Fluent identifiers read best.
pub fn message_id(prefix: &str, code: &str, out: &mut [u8]) -> Option<usize> {
    let len = prefix.len() + 1 + code.len();
    let out = out.get_mut(..len)?;
    out[..prefix.len()].copy_from_slice(prefix.as_bytes());
    out[prefix.len()] = b'-';
    for (o, c) in out[prefix.len() + 1..].iter_mut().zip(code.bytes()) {
        *o = if matches!(c, b'_' | b':') { b'-' } else { c };
    }
    Some(len)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn locales_name_their_language() {
        assert_eq!(
            Language::from_locale("ru_RU.UTF-8"),
            Some(Language::Russian)
        );
        assert_eq!(Language::from_locale("ky_KG"), Some(Language::Kyrgyz));
        assert_eq!(Language::from_locale("en"), Some(Language::English));
        assert_eq!(Language::from_locale("C.UTF-8"), None);
        assert_eq!(Language::from_locale("de_DE"), None);
        let mut buf = [0u8; 64];
        let n = message_id("decision", "may-not-employ:digital-nomad", &mut buf).unwrap();
        assert_eq!(&buf[..n], b"decision-may-not-employ-digital-nomad");
        let n = message_id("field", "valid_until", &mut buf).unwrap();
        assert_eq!(&buf[..n], b"field-valid-until");
    }
}
