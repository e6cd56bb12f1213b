//! Every human-readable line of the host programs, in Kyrgyz, Russian or English, from the
//! one Fluent source (`stay-core/messages/*.ftl`), formatted by `fluent-bundle`: Mozilla's
//! implementation of Project Fluent, kept up by the Fluent project and used by Firefox.
//! Fluent was chosen over gettext because a message is a pattern with named placeables
//! that the kiosk's page and the scanner's build can render too, and a missing message or
//! a placeholder spelled differently in one language is a test failure here, not a blank
//! on a screen.

use std::collections::BTreeMap;
use std::sync::OnceLock;

use fluent_bundle::concurrent::FluentBundle;
use fluent_bundle::{FluentArgs, FluentResource};
use fluent_syntax::ast;
pub use stay_core::messages::Language;

/// One language's messages.
pub struct Messages {
    language: Language,
    bundle: FluentBundle<FluentResource>,
}

impl std::fmt::Debug for Messages {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Messages")
            .field("language", &self.language)
            .finish()
    }
}

/// The messages of `language`, parsed once per process.
pub fn messages(language: Language) -> &'static Messages {
    static ALL: OnceLock<[Messages; 3]> = OnceLock::new();
    let all = ALL.get_or_init(|| Language::ALL.map(Messages::parse));
    all.iter()
        .find(|m| m.language == language)
        .expect("every language is parsed")
}

impl Messages {
    fn parse(language: Language) -> Messages {
        // A source that does not parse keeps the messages that do: the tests below fail on
        // any error, so none reaches a release.
        let resource = FluentResource::try_new(language.source().to_owned())
            .unwrap_or_else(|(resource, _errors)| resource);
        let id: unic_langid::LanguageIdentifier = language
            .code()
            .parse()
            .expect("ky, ru and en are language identifiers");
        let mut bundle = FluentBundle::new_concurrent(vec![id]);
        // Names and numbers are Latin or digits: Unicode isolation marks would only show
        // up as noise in terminals and logs.
        bundle.set_use_isolating(false);
        let _ = bundle.add_resource(resource);
        Messages { language, bundle }
    }

    pub fn language(&self) -> Language {
        self.language
    }

    pub fn has(&self, id: &str) -> bool {
        self.bundle.has_message(id)
    }

    /// Message `id` without arguments.
    pub fn text(&self, id: &str) -> String {
        self.format(id, &[])
    }

    /// Message `id` with `args` in its placeables. A message this language lacks is taken
    /// from English, and failing that shown as its id: never a blank.
    pub fn format(&self, id: &str, args: &[(&str, &str)]) -> String {
        let Some(pattern) = self.bundle.get_message(id).and_then(|m| m.value()) else {
            return match self.language {
                Language::English => id.to_owned(),
                _ => messages(Language::English).format(id, args),
            };
        };
        let mut fluent_args = FluentArgs::new();
        for (name, value) in args {
            fluent_args.set(*name, *value);
        }
        let mut errors = Vec::new();
        self.bundle
            .format_pattern(pattern, Some(&fluent_args), &mut errors)
            .into_owned()
    }

    /// The message for a code: `prefix-code` (`reason-expired`, `decision-may-stay`).
    pub fn code(&self, prefix: &str, code: &str) -> String {
        self.text(&id(prefix, code))
    }

    /// Every message as a template for a page to fill in itself: text, with `{name}` where
    /// the message has `{ $name }`.
    pub fn templates(&self) -> BTreeMap<String, String> {
        templates(self.language.source()).unwrap_or_default()
    }
}

/// Something to be said in the reader's language, decided before the language is known:
/// a message id and its arguments (an error that the library raises and the tool prints).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Message {
    pub id: &'static str,
    pub args: Vec<(&'static str, String)>,
    /// Arguments that are words themselves: message ids, said in the same language.
    pub words: Vec<(&'static str, String)>,
}

impl Message {
    pub fn new(id: &'static str) -> Message {
        Message {
            id,
            args: Vec::new(),
            words: Vec::new(),
        }
    }

    /// With argument `name` said as message `id` in the reader's language (a
    /// document type, an outcome: words that are translated too).
    pub fn word(mut self, name: &'static str, id: impl Into<String>) -> Message {
        self.words.push((name, id.into()));
        self
    }

    /// With argument `name` (a number, a date, a file: nothing that needs translating).
    pub fn arg(mut self, name: &'static str, value: impl std::fmt::Display) -> Message {
        self.args.push((name, value.to_string()));
        self
    }
}

impl Messages {
    /// `message` in this language.
    pub fn say(&self, message: &Message) -> String {
        let words: Vec<(&str, String)> = message
            .words
            .iter()
            .map(|(name, id)| (*name, self.text(id)))
            .collect();
        let args: Vec<(&str, &str)> = message
            .args
            .iter()
            .map(|(name, value)| (*name, value.as_str()))
            .chain(words.iter().map(|(name, value)| (*name, value.as_str())))
            .collect();
        self.format(message.id, &args)
    }
}

/// The message id for a code: `-` for `_` and `:`.
pub fn id(prefix: &str, code: &str) -> String {
    format!("{prefix}-{}", code.replace(['_', ':'], "-"))
}

/// Why a message source cannot be rendered as templates.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum TemplateError {
    /// The source does not parse (its first error's position).
    Syntax(String),
    /// A message uses more than text and variables (a selector, a term, a function).
    NotPlain(String),
    /// A message without a value (attributes only).
    NoValue(String),
}

/// The messages of a Fluent source as `{name}` templates.
pub fn templates(source: &str) -> Result<BTreeMap<String, String>, TemplateError> {
    let resource = fluent_syntax::parser::parse(source)
        .map_err(|(_, errors)| TemplateError::Syntax(format!("{:?}", errors.first())))?;
    let mut out = BTreeMap::new();
    for entry in resource.body {
        let ast::Entry::Message(message) = entry else {
            continue;
        };
        let name = message.id.name.to_owned();
        let pattern = message
            .value
            .ok_or_else(|| TemplateError::NoValue(name.clone()))?;
        let mut text = String::new();
        for element in pattern.elements {
            match element {
                ast::PatternElement::TextElement { value } => text.push_str(value),
                ast::PatternElement::Placeable {
                    expression:
                        ast::Expression::Inline(ast::InlineExpression::VariableReference { id }),
                } => {
                    text.push('{');
                    text.push_str(id.name);
                    text.push('}');
                }
                ast::PatternElement::Placeable { .. } => {
                    return Err(TemplateError::NotPlain(name));
                }
            }
        }
        out.insert(name, text);
    }
    Ok(out)
}

/// The placeholders of a template, sorted.
pub fn placeholders(template: &str) -> Vec<&str> {
    let mut names: Vec<&str> = template
        .split('{')
        .skip(1)
        .filter_map(|rest| rest.split_once('}').map(|(name, _)| name))
        .collect();
    names.sort_unstable();
    names.dedup();
    names
}

/// The language of a command-line tool: `--lang` when given, else the locale
/// (`LC_ALL`, `LC_MESSAGES`, `LANG`, the first that is set), else English.
pub fn cli_language(flag: Option<&str>) -> Result<Language, String> {
    if let Some(code) = flag {
        return Language::from_code(code)
            .ok_or_else(|| format!("--lang: ky, ru or en, not {code:?}"));
    }
    let locale = ["LC_ALL", "LC_MESSAGES", "LANG"]
        .into_iter()
        .filter_map(|name| std::env::var(name).ok())
        .find(|value| !value.is_empty());
    Ok(locale
        .as_deref()
        .and_then(Language::from_locale)
        .unwrap_or(Language::English))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_language_has_every_message_with_the_same_placeholders() {
        let english = templates(Language::English.source()).expect("en.ftl");
        for language in [Language::Kyrgyz, Language::Russian] {
            let other = templates(language.source())
                .unwrap_or_else(|e| panic!("{}.ftl: {e:?}", language.code()));
            let missing: Vec<&String> =
                english.keys().filter(|k| !other.contains_key(*k)).collect();
            let extra: Vec<&String> = other.keys().filter(|k| !english.contains_key(*k)).collect();
            assert!(
                missing.is_empty(),
                "{}.ftl lacks {missing:?}",
                language.code()
            );
            assert!(
                extra.is_empty(),
                "{}.ftl has unknown {extra:?}",
                language.code()
            );
            for (id, template) in &english {
                assert_eq!(
                    placeholders(template),
                    placeholders(&other[id]),
                    "{}.ftl: {id}",
                    language.code()
                );
            }
        }
    }

    #[test]
    fn the_sources_parse_without_an_error() {
        for language in Language::ALL {
            if let Err((_, errors)) = fluent_syntax::parser::parse(language.source()) {
                panic!("{}.ftl: {errors:?}", language.code());
            }
        }
    }

    #[test]
    fn the_checks_catch_what_they_are_for() {
        let en = templates("a = one { $x }\nb = two\n").unwrap();
        let ru = templates("a = один { $y }\n").unwrap();
        assert_ne!(placeholders(&en["a"]), placeholders(&ru["a"]));
        assert!(!ru.contains_key("b"));
        assert_eq!(
            templates("a = { $n ->\n [one] x\n *[other] y\n}\n"),
            Err(TemplateError::NotPlain("a".into()))
        );
        assert!(matches!(templates("a = {"), Err(TemplateError::Syntax(_))));
    }

    #[test]
    fn kyrgyz_reads_its_own_letters_and_formats_placeables() {
        let ky = messages(Language::Kyrgyz);
        assert_eq!(ky.text("outcome-valid"), "ЖАРАКТУУ");
        assert!(ky.text("outcome-waiting").contains('Ң'));
        assert_eq!(
            messages(Language::Russian).format("portrait-saved", &[("file", "a.jpg")]),
            "фотография: выданная (подписанный хеш совпадает), сохранена в a.jpg"
        );
        assert_eq!(
            ky.code("decision", "may-not-employ:digital-nomad"),
            ky.text("decision-may-not-employ-digital-nomad")
        );
        assert_eq!(
            messages(Language::English).text("no-such-message"),
            "no-such-message"
        );
    }

    #[test]
    fn the_flag_wins_and_bad_codes_are_refused() {
        assert_eq!(cli_language(Some("ky")), Ok(Language::Kyrgyz));
        assert!(cli_language(Some("de")).is_err());
    }
}
