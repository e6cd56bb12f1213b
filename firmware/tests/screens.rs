//! The scanner's screens, drawn by the firmware's own code into a 240x320 frame on the host:
//! every outcome in Kyrgyz, Russian and English, every reason and decision, with the glyphs
//! Kyrgyz needs (Ң ң Ө ө Ү ү). The PNGs in `docs/scanner-screens/` are these frames: a
//! change that alters one fails here until the PNGs are drawn again
//! (`UPDATE_SCREENS=1 cargo test -p firmware --test screens`).

use std::collections::HashSet;
use std::path::PathBuf;

use embedded_graphics::pixelcolor::Rgb565;
use embedded_graphics::prelude::*;
use firmware::messages::{self, Language, MessageId};
use firmware::screen::{draw, Holder, Outcome, Screen, HEIGHT, WIDTH};

/// A frame in memory, as the panel's controller holds it.
struct Frame(Vec<Rgb565>);

impl Frame {
    fn new() -> Frame {
        Frame(vec![Rgb565::BLACK; (WIDTH * HEIGHT) as usize])
    }

    fn at(&self, x: u32, y: u32) -> Rgb565 {
        self.0[(y * WIDTH + x) as usize]
    }

    fn png(&self) -> image::RgbImage {
        image::RgbImage::from_fn(WIDTH, HEIGHT, |x, y| {
            let c = self.at(x, y);
            // 5/6/5 bits to 8, as the panel shows them.
            image::Rgb([
                (c.r() << 3) | (c.r() >> 2),
                (c.g() << 2) | (c.g() >> 4),
                (c.b() << 3) | (c.b() >> 2),
            ])
        })
    }
}

impl OriginDimensions for Frame {
    fn size(&self) -> Size {
        Size::new(WIDTH, HEIGHT)
    }
}

impl DrawTarget for Frame {
    type Color = Rgb565;
    type Error = core::convert::Infallible;

    fn draw_iter<I: IntoIterator<Item = Pixel<Rgb565>>>(
        &mut self,
        pixels: I,
    ) -> Result<(), Self::Error> {
        for Pixel(p, c) in pixels {
            if (0..WIDTH as i32).contains(&p.x) && (0..HEIGHT as i32).contains(&p.y) {
                self.0[(p.y as u32 * WIDTH + p.x as u32) as usize] = c;
            }
        }
        Ok(())
    }
}

const HOLDER: Holder<'static> = firmware::screen::SAMPLE_HOLDER;

fn example(language: Language, outcome: Outcome) -> Screen<'static> {
    Screen::sample(language, outcome)
}

fn file_name(outcome: Outcome, language: Language) -> String {
    let name: String = format!("{outcome:?}")
        .chars()
        .flat_map(|c| {
            let lower = c.to_ascii_lowercase();
            if c.is_ascii_uppercase() {
                vec!['-', lower]
            } else {
                vec![c]
            }
        })
        .collect();
    format!("{}-{}.png", name.trim_start_matches('-'), language.code())
}

fn docs() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../docs/scanner-screens")
}

#[test]
fn every_outcome_in_every_language_is_drawn_as_in_docs() {
    let update = std::env::var_os("UPDATE_SCREENS").is_some();
    if update {
        std::fs::create_dir_all(docs()).unwrap();
    }
    let mut stale = Vec::new();
    for language in Language::ALL {
        for outcome in Outcome::ALL {
            let mut frame = Frame::new();
            draw(&example(language, outcome), &mut frame)
                .unwrap_or_else(|e| panic!("{outcome:?} in {language:?}: {e:?}"));
            // The band is the outcome's colour; the rest of the screen is white.
            assert_eq!(frame.at(2, 2), outcome.colour(), "{outcome:?}");
            assert_eq!(frame.at(2, HEIGHT - 20), Rgb565::WHITE, "{outcome:?}");
            let png = frame.png();
            let path = docs().join(file_name(outcome, language));
            if update {
                png.save(&path).unwrap();
                continue;
            }
            match image::open(&path) {
                Ok(kept) if kept.to_rgb8() == png => {}
                _ => stale.push(path.display().to_string()),
            }
        }
    }
    assert!(
        stale.is_empty(),
        "these screens differ from docs/ (UPDATE_SCREENS=1 draws them again): {stale:?}"
    );
}

#[test]
fn every_message_of_every_language_has_its_glyphs() {
    for language in Language::ALL {
        for id in MessageId::ALL {
            // As a sentence under the band, with a holder, and as the band's word.
            let mut screen = Screen::new(language, Outcome::Invalid);
            screen.lines = [Some(id), Some(id)];
            screen.sequence = Some(7);
            screen.holder = HOLDER;
            draw(&screen, &mut Frame::new())
                .unwrap_or_else(|e| panic!("{} in {language:?}: {e:?}", id.id()));
        }
    }
    // Kyrgyz's own letters are on its screens, and drawn.
    let mut kyrgyz = String::new();
    for outcome in Outcome::ALL {
        example(Language::Kyrgyz, outcome).texts(|t| kyrgyz.push_str(t));
    }
    for letter in ['Ң', 'ң', 'Ө', 'ө', 'Ү', 'ү'] {
        assert!(kyrgyz.contains(letter), "no {letter} on the Kyrgyz screens");
    }
    // A name's letter the fonts lack is drawn as "?", the rest of the screen as always.
    let mut frame = Frame::new();
    let mut screen = example(Language::English, Outcome::Valid);
    screen.holder.surname = Some("MÜLLER 李");
    draw(&screen, &mut frame).unwrap();
    let mut plain = Frame::new();
    screen.holder.surname = Some("M?LLER ?");
    draw(&screen, &mut plain).unwrap();
    assert!(frame.0 == plain.0, "unknown letters are drawn as ?");
    // A message's letter the fonts lack is an error (the test above shows none is).
    assert!(matches!(
        firmware::screen::DrawError::<()>::from(u8g2_fonts::Error::GlyphNotFound('李')),
        firmware::screen::DrawError::MissingGlyph('李')
    ));
}

/// WCAG's relative luminance of a panel colour.
fn luminance(c: Rgb565) -> f64 {
    let channel = |v: u8, max: u8| {
        let s = f64::from(v) / f64::from(max);
        if s <= 0.03928 {
            s / 12.92
        } else {
            ((s + 0.055) / 1.055).powf(2.4)
        }
    };
    0.2126 * channel(c.r(), 31) + 0.7152 * channel(c.g(), 63) + 0.0722 * channel(c.b(), 31)
}

#[test]
fn outcomes_differ_in_word_colour_and_shape_and_read_without_colour() {
    // The outcomes a verdict or a read can have: none shares a shape or a colour, so a
    // guard who cannot tell red from green tells them by shape and word.
    let verdicts = [
        Outcome::Valid,
        Outcome::Invalid,
        Outcome::Indeterminate,
        Outcome::ReadTheChip,
        Outcome::CardRemoved,
        Outcome::NotAResidentCard,
    ];
    let shapes: HashSet<_> = verdicts.iter().map(|o| o.shape()).collect();
    let colours: HashSet<_> = verdicts.iter().map(|o| o.colour().into_storage()).collect();
    let buzzers: HashSet<_> = verdicts.iter().map(|o| o.buzzer()).collect();
    assert_eq!(shapes.len(), verdicts.len());
    assert_eq!(colours.len(), verdicts.len());
    assert_eq!(buzzers.len(), verdicts.len());
    for language in Language::ALL {
        let words: HashSet<String> = Outcome::ALL
            .iter()
            .map(|o| {
                let mut w = String::new();
                messages::write(&mut w, language, o.word(), &[]).unwrap();
                w
            })
            .collect();
        assert_eq!(words.len(), Outcome::ALL.len(), "{language:?}: {words:?}");
    }
    for outcome in Outcome::ALL {
        let (a, b) = (luminance(outcome.colour()), luminance(outcome.ink()));
        let ratio = (a.max(b) + 0.05) / (a.min(b) + 0.05);
        assert!(ratio >= 4.5, "{outcome:?}: contrast {ratio:.2}");
        // Frames of different outcomes differ where the shape is, not only in colour:
        // compared as ink/not-ink masks of the band.
    }
    let mask = |outcome: Outcome| {
        let mut frame = Frame::new();
        draw(&Screen::new(Language::English, outcome), &mut frame).unwrap();
        (0..90)
            .flat_map(|y| (0..WIDTH).map(move |x| (x, y)))
            .map(|(x, y)| frame.at(x, y) == outcome.ink())
            .collect::<Vec<bool>>()
    };
    let masks: HashSet<Vec<bool>> = verdicts.iter().map(|&o| mask(o)).collect();
    assert_eq!(masks.len(), verdicts.len(), "two outcomes share a shape");
}

#[test]
fn every_decision_with_every_reason_fits_whole_above_the_holder() {
    let of = |prefix: &str| -> Vec<MessageId> {
        MessageId::ALL
            .into_iter()
            .filter(|id| id.id().starts_with(prefix))
            .collect()
    };
    let (decisions, reasons) = (of("decision-"), of("reason-"));
    assert!(decisions.len() >= 8 && reasons.len() >= 20);
    let mut holder = HOLDER;
    // A long name takes its two lines.
    holder.given_names = Some("Aleksandra-Mariia Konstantinovna");
    for language in Language::ALL {
        for &decision in &decisions {
            for &reason in &reasons {
                let mut screen = Screen::new(language, Outcome::Invalid);
                screen.lines = [Some(decision), Some(reason)];
                screen.holder = holder;
                let layout = firmware::screen::Layout::of(&screen);
                assert!(
                    layout.fits(),
                    "{language:?}: {} with {} needs {} lines, {} fit",
                    decision.id(),
                    reason.id(),
                    layout.sentence_lines_needed,
                    layout.sentence_lines
                );
            }
        }
        for id in of("scanner-") {
            let mut screen = Screen::new(language, Outcome::Ready);
            screen.lines = [Some(id), Some(MessageId::ScannerList)];
            screen.sequence = Some(u64::MAX);
            assert!(firmware::screen::Layout::of(&screen).fits(), "{}", id.id());
        }
    }
}

#[test]
fn long_lines_wrap_at_spaces_within_the_width() {
    let lines: Vec<&str> =
        firmware::screen::wrap("a printed copy: hold the card itself", 10).collect();
    assert_eq!(lines, ["a printed", "copy: hold", "the card", "itself"]);
    let lines: Vec<&str> = firmware::screen::wrap("ЧИПТИ ОКУҢУЗ", 8).collect();
    assert_eq!(lines, ["ЧИПТИ", "ОКУҢУЗ"]);
    let lines: Vec<&str> = firmware::screen::wrap("abcdefghijkl", 5).collect();
    assert_eq!(lines, ["abcde", "fghij", "kl"]);
    assert_eq!(firmware::screen::wrap("  ", 5).count(), 0);
}

proptest::proptest! {
    /// A card's name is anything the record allows: wrapping and drawing it never panics,
    /// and wrapping loses no word.
    #[test]
    fn any_name_wraps_and_draws(name in "\\PC{0,80}", chars in 1usize..40) {
        let lines: Vec<&str> = firmware::screen::wrap(&name, chars).collect();
        for line in &lines {
            proptest::prop_assert!(line.chars().count() <= chars, "{line:?}");
        }
        let words: String = name.split_whitespace().collect();
        let wrapped: String = lines.iter().flat_map(|l| l.split_whitespace()).collect();
        proptest::prop_assert_eq!(words, wrapped);
        let mut screen = example(Language::Kyrgyz, Outcome::Valid);
        screen.holder.surname = Some(&name);
        screen.holder.given_names = Some(&name);
        proptest::prop_assert!(draw(&screen, &mut Frame::new()).is_ok());
    }
}

#[test]
fn every_screen_goes_through_the_st7789_driver() {
    let sent = firmware::screen::self_test::draw_every_screen().unwrap();
    assert_eq!(
        sent.screens as usize,
        Outcome::ALL.len() * Language::ALL.len()
    );
    // Each screen fills the whole panel at least once: 240x320 pixels of 2 bytes.
    assert!(sent.bytes >= sent.screens * WIDTH * HEIGHT * 2, "{sent:?}");
}
