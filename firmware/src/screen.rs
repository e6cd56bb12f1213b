//! What the guard sees: a 240x320 screen (an ST7789 panel through `mipidsi`, see
//! [`st7789`]) drawn with `embedded-graphics`. Every outcome has its own word, colour *and*
//! shape, so a guard who cannot tell red from green still reads it at a glance: a tick for
//! valid, a cross for invalid, a question mark for "cannot tell", a chip for "read the
//! chip", a card leaving for "card removed", a no-entry sign for "not a resident card".
//! Under the band: the decision and the reason in the scanner's language, then the
//! holder's name, the document number and the valid-until date, then the reason's stable
//! code for a call to the office.
//!
//! The fonts are U8g2's conversions of the X11 misc-fixed fonts in their `_t_cyrillic` cut
//! (U+0400 to U+052F), which has Kyrgyz's Ң ң Ө ө Ү ү: ISO 8859-5 fonts, embedded-graphics'
//! own, do not. The build keeps only the glyphs a screen can show.

use core::fmt::{self, Write as _};

use embedded_graphics::pixelcolor::Rgb565;
use embedded_graphics::prelude::*;
use embedded_graphics::primitives::{PrimitiveStyle, Rectangle};
use heapless::String;
use stay_core::Date;
use u8g2_fonts::types::{FontColor, HorizontalAlignment, VerticalPosition};
use u8g2_fonts::FontRenderer;

use crate::messages::{self, Language, MessageId};

pub const WIDTH: u32 = 240;
pub const HEIGHT: u32 = 320;
/// The coloured band with the shape and the word.
const BAND: u32 = 142;
const MARGIN: i32 = 6;

/// The fonts, cut at build time to the glyphs a screen shows (`build.rs`).
mod fonts {
    include!(concat!(env!("OUT_DIR"), "/fonts.rs"));
}

/// The word on the band: 10x20, two lines at most.
const WORD_FONT: FontRenderer = FontRenderer::new::<fonts::Word>();
const WORD_CHARS: usize = (WIDTH as usize - 2 * MARGIN as usize) / 10;
/// Sentences and fields: 8x13.
const TEXT_FONT: FontRenderer = FontRenderer::new::<fonts::Text>();
const TEXT_CHARS: usize = (WIDTH as usize - 2 * MARGIN as usize) / 8;
const TEXT_LINE: i32 = 15;
/// Labels, the reason code, and sentences too long for 8x13: 6x12.
const SMALL_FONT: FontRenderer = FontRenderer::new::<fonts::Small>();
const SMALL_CHARS: usize = (WIDTH as usize - 2 * MARGIN as usize) / 6;
const SMALL_LINE: i32 = 13;

/// What the screen is saying.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Outcome {
    /// Waiting for a card or a code.
    Ready,
    Valid,
    Invalid,
    Indeterminate,
    /// A printed copy of a chip card: the chip must be read.
    ReadTheChip,
    /// The card left the field before the check was done.
    CardRemoved,
    /// The code at the imager could not be read.
    CodeUnreadable,
    NotAResidentCard,
    /// A card face's CAN was read: the card itself goes to the antenna now.
    CardFaceRead,
    /// A card was held before its face was shown.
    ShowCardFace,
    /// The face shown belongs to another card.
    WrongCardFace,
}

/// The symbol drawn on the band: one for each outcome a verdict can have.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Shape {
    /// A card outline: ready for one.
    Card,
    Tick,
    Cross,
    Question,
    Chip,
    /// A card with an arrow leaving it.
    CardLeaving,
    /// A circle with a gap and its arrowhead: again.
    Again,
    /// A circle with a bar.
    NoEntry,
    /// A card with a code on its face.
    CardFace,
}

impl Outcome {
    pub const ALL: [Outcome; 11] = [
        Outcome::Ready,
        Outcome::Valid,
        Outcome::Invalid,
        Outcome::Indeterminate,
        Outcome::ReadTheChip,
        Outcome::CardRemoved,
        Outcome::CodeUnreadable,
        Outcome::NotAResidentCard,
        Outcome::CardFaceRead,
        Outcome::ShowCardFace,
        Outcome::WrongCardFace,
    ];

    /// Its word, in capitals on the band.
    pub const fn word(self) -> MessageId {
        match self {
            Outcome::Ready => MessageId::ScannerReady,
            Outcome::Valid => MessageId::OutcomeValid,
            Outcome::Invalid => MessageId::OutcomeInvalid,
            Outcome::Indeterminate => MessageId::OutcomeIndeterminate,
            Outcome::ReadTheChip => MessageId::OutcomeReadTheChip,
            Outcome::CardRemoved => MessageId::OutcomeCardRemoved,
            Outcome::CodeUnreadable => MessageId::ScannerCodeAgain,
            Outcome::NotAResidentCard => MessageId::OutcomeNotAResidentCard,
            Outcome::CardFaceRead => MessageId::ScannerFaceRead,
            Outcome::ShowCardFace => MessageId::ScannerShowFace,
            Outcome::WrongCardFace => MessageId::ScannerWrongFace,
        }
    }

    /// The band's colour. Green only for valid.
    pub const fn colour(self) -> Rgb565 {
        match self {
            Outcome::Ready => rgb(0x30, 0x38, 0x40),
            Outcome::Valid => rgb(0x00, 0x80, 0x30),
            Outcome::Invalid | Outcome::WrongCardFace => rgb(0xc0, 0x10, 0x10),
            Outcome::Indeterminate => rgb(0xf0, 0xb0, 0x00),
            Outcome::ReadTheChip | Outcome::ShowCardFace => rgb(0x10, 0x50, 0xc0),
            Outcome::CardRemoved | Outcome::CodeUnreadable => rgb(0x60, 0x60, 0x68),
            Outcome::NotAResidentCard => rgb(0x60, 0x20, 0x80),
            Outcome::CardFaceRead => rgb(0x00, 0x70, 0x80),
        }
    }

    /// The colour of the shape and the word on the band (dark on amber, white elsewhere:
    /// both above WCAG's 4.5:1).
    pub const fn ink(self) -> Rgb565 {
        match self {
            Outcome::Indeterminate => Rgb565::BLACK,
            _ => Rgb565::WHITE,
        }
    }

    pub const fn shape(self) -> Shape {
        match self {
            Outcome::Ready => Shape::Card,
            Outcome::Valid => Shape::Tick,
            Outcome::Invalid | Outcome::WrongCardFace => Shape::Cross,
            Outcome::Indeterminate => Shape::Question,
            Outcome::ReadTheChip => Shape::Chip,
            Outcome::CardRemoved => Shape::CardLeaving,
            Outcome::CodeUnreadable => Shape::Again,
            Outcome::NotAResidentCard => Shape::NoEntry,
            Outcome::CardFaceRead | Outcome::ShowCardFace => Shape::CardFace,
        }
    }

    /// The buzzer while the screen shows it: milliseconds on, off, on, ... A guard looking
    /// at the traveller hears which outcome it is: one chirp for valid, three long for
    /// invalid, two short for "cannot tell", short-long for "read the chip".
    pub const fn buzzer(self) -> &'static [u16] {
        match self {
            Outcome::Ready => &[],
            Outcome::Valid => &[80],
            Outcome::Invalid => &[400, 150, 400, 150, 400],
            Outcome::Indeterminate => &[120, 120, 120],
            Outcome::ReadTheChip => &[120, 120, 600],
            Outcome::CardRemoved | Outcome::CodeUnreadable => &[60, 60, 60, 60, 60],
            Outcome::NotAResidentCard => &[700],
            // Shown while the scanner goes straight back to reading: the card follows.
            Outcome::CardFaceRead => &[],
            Outcome::ShowCardFace => &[120, 120, 120],
            Outcome::WrongCardFace => &[400, 150, 400],
        }
    }
}

/// Whether the buzzer sounds `elapsed` milliseconds into `pattern`.
pub fn buzzer_on(pattern: &[u16], elapsed: u64) -> bool {
    let mut t = 0u64;
    for (i, &len) in pattern.iter().enumerate() {
        t += u64::from(len);
        if elapsed < t {
            return i % 2 == 0;
        }
    }
    false
}

const fn rgb(r: u8, g: u8, b: u8) -> Rgb565 {
    Rgb565::new(r >> 3, g >> 2, b >> 3)
}

/// The document's holder, as the verdict may show them.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct Holder<'a> {
    pub surname: Option<&'a str>,
    pub given_names: Option<&'a str>,
    pub number: Option<&'a str>,
    pub valid_until: Option<Date>,
    /// The document that replaced this one (a superseded unified-window document).
    pub successor: Option<&'a str>,
}

/// One screen, in one language.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Screen<'a> {
    pub language: Language,
    pub outcome: Outcome,
    /// Sentences under the band: the decision, then why.
    pub lines: [Option<MessageId>; 2],
    /// The trust list's sequence, for `scanner-list`.
    pub sequence: Option<u64>,
    pub holder: Holder<'a>,
    /// The reason's stable code (`document-revoked`), as the audit and the office know it.
    pub code: Option<&'a str>,
}

impl<'a> Screen<'a> {
    pub fn new(language: Language, outcome: Outcome) -> Screen<'a> {
        Screen {
            language,
            outcome,
            lines: [None, None],
            sequence: None,
            holder: Holder::default(),
            code: None,
        }
    }

    /// Writes message `id` of this screen's language (placeables from the screen).
    pub fn write(&self, out: &mut impl fmt::Write, id: MessageId) -> fmt::Result {
        match self.sequence {
            Some(sequence) => messages::write(out, self.language, id, &[("sequence", &sequence)]),
            None => messages::write(out, self.language, id, &[]),
        }
    }

    /// Every text on the screen, in order (for the tests and the audit of what was shown).
    pub fn texts(&self, mut each: impl FnMut(&str)) {
        let mut buf = String::<512>::new();
        let mut emit = |buf: &mut String<512>| {
            each(buf.as_str());
            buf.clear();
        };
        let _ = self.write(&mut buf, self.outcome.word());
        emit(&mut buf);
        for id in self.lines.iter().flatten() {
            let _ = self.write(&mut buf, *id);
            emit(&mut buf);
        }
        let h = &self.holder;
        if h.surname.is_some() || h.given_names.is_some() {
            let _ = write!(
                buf,
                "{} {}",
                h.surname.unwrap_or_default(),
                h.given_names.unwrap_or_default()
            );
            emit(&mut buf);
        }
        if let Some(number) = h.number {
            let _ = buf.push_str(number);
            emit(&mut buf);
        }
        if let Some(until) = h.valid_until {
            let _ = write!(buf, "{until}");
            emit(&mut buf);
        }
        if let Some(code) = self.code {
            let _ = buf.push_str(code);
            emit(&mut buf);
        }
    }
}

/// The holder of the sample screens (docs/, the device's self-test).
pub const SAMPLE_HOLDER: Holder<'static> = Holder {
    surname: Some("SMIRNOVA"),
    given_names: Some("Elena"),
    number: Some("RC0000001"),
    valid_until: match Date::new(2027, 12, 3) {
        Ok(d) => Some(d),
        Err(_) => None,
    },
    successor: None,
};

impl Screen<'static> {
    /// The screen the scanner shows for `outcome`, with a sample holder and reason (the
    /// screens in docs/ and the device's self-test).
    pub fn sample(language: Language, outcome: Outcome) -> Screen<'static> {
        let mut screen = Screen::new(language, outcome);
        match outcome {
            Outcome::Ready => {
                screen.sequence = Some(42);
                screen.lines = [
                    Some(MessageId::ScannerPresentCard),
                    Some(MessageId::ScannerList),
                ];
            }
            Outcome::Valid => {
                screen.lines = [Some(MessageId::DecisionMayStay), None];
                screen.holder = SAMPLE_HOLDER;
            }
            Outcome::Invalid => {
                screen.lines = [
                    Some(MessageId::DecisionMayNotStay),
                    Some(MessageId::ReasonDocumentRevoked),
                ];
                screen.holder = SAMPLE_HOLDER;
                screen.code = Some("document-revoked");
            }
            Outcome::Indeterminate => {
                screen.lines = [
                    Some(MessageId::DecisionRefer),
                    Some(MessageId::ReasonTrustListStale),
                ];
                screen.holder = SAMPLE_HOLDER;
                screen.code = Some("trust-list-stale");
            }
            Outcome::ReadTheChip => {
                screen.lines = [Some(MessageId::ScannerPrintedCopy), None];
                screen.holder = SAMPLE_HOLDER;
                screen.code = Some("chip-not-read");
            }
            Outcome::CardRemoved => screen.lines[0] = Some(MessageId::ScannerHoldStill),
            Outcome::CodeUnreadable => screen.lines[0] = Some(MessageId::ScannerShowCodeAgain),
            Outcome::NotAResidentCard => screen.lines[0] = Some(MessageId::ScannerNoResidentChip),
            Outcome::CardFaceRead => screen.lines[0] = Some(MessageId::ScannerNowHoldCard),
            Outcome::ShowCardFace => screen.lines[0] = Some(MessageId::ScannerShowFaceFirst),
            Outcome::WrongCardFace => screen.lines[0] = Some(MessageId::ScannerWrongFaceDetail),
        }
        screen
    }
}

/// Why a screen could not be drawn.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum DrawError<E> {
    /// The font has no glyph for this character (a test catches it before a release).
    MissingGlyph(char),
    Display(E),
}

impl<E> From<u8g2_fonts::Error<E>> for DrawError<E> {
    fn from(e: u8g2_fonts::Error<E>) -> Self {
        match e {
            u8g2_fonts::Error::GlyphNotFound(c) => DrawError::MissingGlyph(c),
            u8g2_fonts::Error::DisplayError(e) => DrawError::Display(e),
            // Only transparent text is drawn.
            u8g2_fonts::Error::BackgroundColorNotSupported => DrawError::MissingGlyph('\0'),
        }
    }
}

/// Draws `screen` on `target` (240x320, portrait).
pub fn draw<D>(screen: &Screen<'_>, target: &mut D) -> Result<(), DrawError<D::Error>>
where
    D: DrawTarget<Color = Rgb565>,
{
    let outcome = screen.outcome;
    let ink = outcome.ink();
    Rectangle::new(Point::zero(), Size::new(WIDTH, BAND))
        .into_styled(PrimitiveStyle::with_fill(outcome.colour()))
        .draw(target)
        .map_err(DrawError::Display)?;
    Rectangle::new(Point::new(0, BAND as i32), Size::new(WIDTH, HEIGHT - BAND))
        .into_styled(PrimitiveStyle::with_fill(Rgb565::WHITE))
        .draw(target)
        .map_err(DrawError::Display)?;
    draw_shape(
        outcome.shape(),
        Point::new(WIDTH as i32 / 2, 50),
        ink,
        target,
    )
    .map_err(DrawError::Display)?;

    let mut text = String::<512>::new();
    let _ = screen.write(&mut text, outcome.word());
    let mut y = 96;
    for line in wrap(&text, WORD_CHARS).take(2) {
        WORD_FONT.render_aligned(
            line,
            Point::new(WIDTH as i32 / 2, y),
            VerticalPosition::Top,
            HorizontalAlignment::Center,
            FontColor::Transparent(ink),
            target,
        )?;
        y += 21;
    }

    let dark = rgb(0x10, 0x10, 0x10);
    let grey = rgb(0x50, 0x50, 0x50);
    let layout = Layout::of(screen);
    // The reason's code, small in the band's corner: for a call to the office.
    if let Some(code) = screen.code {
        SMALL_FONT.render_aligned(
            code,
            Point::new(WIDTH as i32 - 3, 3),
            VerticalPosition::Top,
            HorizontalAlignment::Right,
            FontColor::Transparent(ink),
            target,
        )?;
    }

    let mut y = BAND as i32 + 6;
    let mut room = layout.sentence_lines;
    let (font, chars, step) = match layout.small {
        false => (&TEXT_FONT, TEXT_CHARS, TEXT_LINE),
        true => (&SMALL_FONT, SMALL_CHARS, SMALL_LINE),
    };
    for id in screen.lines.iter().flatten() {
        text.clear();
        let _ = screen.write(&mut text, *id);
        for line in wrap(&text, chars).take(room) {
            font.render(
                line,
                Point::new(MARGIN, y),
                VerticalPosition::Top,
                FontColor::Transparent(dark),
                target,
            )?;
            y += step;
            room -= 1;
        }
        y += SENTENCE_GAP;
    }

    // The holder at the bottom: the name (no label: it is compared with the passport),
    // then "label value" lines for the number and the date.
    let h = &screen.holder;
    let mut y = layout.fields_top;
    if h.surname.is_some() || h.given_names.is_some() {
        text.clear();
        let _ = write!(
            text,
            "{}",
            Name(
                h.surname.unwrap_or_default(),
                h.given_names.unwrap_or_default()
            )
        );
        for line in wrap(&text, TEXT_CHARS).take(NAME_LINES) {
            TEXT_FONT.render(
                line,
                Point::new(MARGIN, y),
                VerticalPosition::Top,
                FontColor::Transparent(dark),
                target,
            )?;
            y += TEXT_LINE;
        }
    }
    let mut field = |label: MessageId, value: &dyn fmt::Display, y: &mut i32| {
        text.clear();
        let _ = screen.write(&mut text, label);
        let label_end = SMALL_FONT
            .render(
                text.as_str(),
                Point::new(MARGIN, *y + 1),
                VerticalPosition::Top,
                FontColor::Transparent(grey),
                target,
            )?
            .advance
            .x;
        text.clear();
        let _ = write!(text, "{value}");
        TEXT_FONT.render(
            text.as_str(),
            Point::new(MARGIN + label_end + 6, *y),
            VerticalPosition::Top,
            FontColor::Transparent(dark),
            target,
        )?;
        *y += TEXT_LINE;
        Ok::<(), DrawError<D::Error>>(())
    };
    if let Some(number) = h.number {
        field(MessageId::ScannerNumber, &number, &mut y)?;
    }
    if let Some(until) = h.valid_until {
        field(MessageId::ScannerValidUntil, &until, &mut y)?;
    }
    if let Some(successor) = h.successor {
        field(MessageId::ScannerSuccessor, &successor, &mut y)?;
    }
    Ok(())
}

const SENTENCE_GAP: i32 = 4;
/// A name longer than this many lines is cut (the number identifies the document).
const NAME_LINES: usize = 2;

/// Where the parts of a screen go: the holder's lines at the bottom, the sentences in the
/// room above them.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Layout {
    pub fields_top: i32,
    /// The sentences in the small font: they do not fit in the text font.
    pub small: bool,
    /// Lines of sentence text that fit between the band and the holder.
    pub sentence_lines: usize,
    /// Lines the screen's sentences need.
    pub sentence_lines_needed: usize,
}

impl Layout {
    pub fn of(screen: &Screen<'_>) -> Layout {
        let h = &screen.holder;
        let mut text = String::<512>::new();
        let mut holder_lines = 0;
        if h.surname.is_some() || h.given_names.is_some() {
            let _ = write!(
                text,
                "{}",
                Name(
                    h.surname.unwrap_or_default(),
                    h.given_names.unwrap_or_default()
                )
            );
            holder_lines += wrap(&text, TEXT_CHARS).take(NAME_LINES).count() as i32;
        }
        holder_lines += i32::from(h.number.is_some())
            + i32::from(h.valid_until.is_some())
            + i32::from(h.successor.is_some());
        let fields_top = HEIGHT as i32 - 4 - holder_lines * TEXT_LINE;
        let room = fields_top - (BAND as i32 + 6) - 4;
        // In 8x13 when the sentences fit in it, else in 6x12.
        let mut fit = |chars: usize, line: i32| {
            let mut needed = 0;
            let mut gaps = 0;
            for id in screen.lines.iter().flatten() {
                text.clear();
                let _ = screen.write(&mut text, *id);
                needed += wrap(&text, chars).count();
                gaps += SENTENCE_GAP;
            }
            (((room - gaps) / line).max(0) as usize, needed)
        };
        let (lines, needed) = fit(TEXT_CHARS, TEXT_LINE);
        if needed <= lines {
            return Layout {
                fields_top,
                small: false,
                sentence_lines: lines,
                sentence_lines_needed: needed,
            };
        }
        let (lines, needed) = fit(SMALL_CHARS, SMALL_LINE);
        Layout {
            fields_top,
            small: true,
            sentence_lines: lines,
            sentence_lines_needed: needed,
        }
    }

    /// Whether every sentence is shown whole.
    pub fn fits(&self) -> bool {
        self.sentence_lines_needed <= self.sentence_lines
    }
}

/// The holder's name as the text font can draw it: a letter it lacks (a Latin letter with
/// a diacritic, another script) becomes "?" instead of leaving the screen undrawn; the
/// document number and the portrait identify the document.
struct Name<'a>(&'a str, &'a str);

impl fmt::Display for Name<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let drawable = |c: char| match TEXT_FONT.get_rendered_dimensions(
            c,
            Point::zero(),
            VerticalPosition::Top,
        ) {
            Ok(_) => c,
            Err(_) => '?',
        };
        let mut parts = [self.0, self.1].into_iter().filter(|p| !p.is_empty());
        if let Some(first) = parts.next() {
            first.chars().try_for_each(|c| f.write_char(drawable(c)))?;
        }
        for part in parts {
            f.write_char(' ')?;
            part.chars().try_for_each(|c| f.write_char(drawable(c)))?;
        }
        Ok(())
    }
}

/// `text` in lines of at most `chars` characters, broken at spaces (a word longer than a
/// line is cut).
pub fn wrap(text: &str, chars: usize) -> impl Iterator<Item = &str> {
    let mut rest = text.trim();
    core::iter::from_fn(move || {
        if rest.is_empty() {
            return None;
        }
        // The byte offset after `chars` characters, or the whole rest.
        let limit = rest
            .char_indices()
            .nth(chars)
            .map(|(i, _)| i)
            .unwrap_or(rest.len());
        let cut = if limit == rest.len() {
            limit
        } else {
            // A space right after the line's last character breaks there; else the last
            // space within the line; a word longer than the line is cut.
            match rest[limit..].starts_with(' ') {
                true => limit,
                false => match rest[..limit].rfind(' ') {
                    Some(space) if space > 0 => space,
                    _ => limit,
                },
            }
        };
        let (line, after) = rest.split_at(cut);
        rest = after.trim_start();
        Some(line.trim_end())
    })
}

/// The shapes, rasterized at build time from `shapes.rs` (the primitives' drawing code
/// stays off the device): per row of the box, a count of runs, then run lengths
/// alternating background and ink, starting with background.
mod shape_runs {
    include!(concat!(env!("OUT_DIR"), "/shapes.rs"));
}

fn draw_shape<D: DrawTarget<Color = Rgb565>>(
    shape: Shape,
    centre: Point,
    ink: Rgb565,
    target: &mut D,
) -> Result<(), D::Error> {
    let (w, h) = shape_runs::BOX;
    let origin = centre - Point::new(w as i32 / 2, h as i32 / 2);
    let mut runs = shape_runs::SHAPES[shape as usize].iter();
    for row in 0..h as i32 {
        let Some(&count) = runs.next() else { break };
        let mut x = 0i32;
        for i in 0..count {
            let Some(&len) = runs.next() else { break };
            if i % 2 == 1 {
                target.fill_solid(
                    &Rectangle::new(origin + Point::new(x, row), Size::new(u32::from(len), 1)),
                    ink,
                )?;
            }
            x += i32::from(len);
        }
    }
    Ok(())
}

/// The scanner's [`crate::scanner::Display`] on any 240x320 RGB565 target.
pub struct Panel<D>(pub D);

impl<D: DrawTarget<Color = Rgb565>> crate::scanner::Display for Panel<D> {
    fn show(&mut self, screen: &Screen<'_>) {
        // A failed draw leaves the LEDs and the buzzer to tell the outcome; the tests
        // draw every screen of every language, so a missing glyph never ships.
        let _ = draw(screen, &mut self.0);
    }
}

/// The ST7789 240x320 panel of the handheld (the common 2" IPS module) on its SPI bus,
/// data/command and reset pins, through `mipidsi`. `buffer` batches pixels for the bus
/// (512 bytes is plenty).
pub mod st7789 {
    use embedded_hal::delay::DelayNs;
    use embedded_hal::digital::OutputPin;
    use embedded_hal::spi::SpiDevice;
    use mipidsi::interface::SpiInterface;
    use mipidsi::models::ST7789;
    use mipidsi::options::ColorInversion;

    /// The panel's bus failed while a screen was drawn.
    #[derive(Debug, Clone, Copy, PartialEq, Eq)]
    pub struct DrawBusError;

    /// The panel did not take its initialization (its SPI bus or reset pin failed).
    #[derive(Debug, Clone, Copy, PartialEq, Eq)]
    pub struct PanelInitError;

    pub type Display<'b, SPI, DC, RST> = mipidsi::Display<SpiInterface<'b, SPI, DC>, ST7789, RST>;

    /// Resets and initializes the panel (IPS panels show true colours inverted).
    pub fn init<'b, SPI, DC, RST>(
        spi: SPI,
        dc: DC,
        rst: RST,
        buffer: &'b mut [u8],
        delay: &mut impl DelayNs,
    ) -> Result<super::Panel<Display<'b, SPI, DC, RST>>, PanelInitError>
    where
        SPI: SpiDevice,
        DC: OutputPin,
        RST: OutputPin,
    {
        let display = mipidsi::Builder::new(ST7789, SpiInterface::new(spi, dc, buffer))
            .display_size(super::WIDTH as u16, super::HEIGHT as u16)
            .invert_colors(ColorInversion::Inverted)
            .reset_pin(rst)
            .init(delay)
            // mipidsi 0.9 does not export its error type; the bus or the reset pin failed.
            .map_err(|_| PanelInitError)?;
        Ok(super::Panel(display))
    }
}

/// Every sample screen through the ST7789 driver onto a bus that only counts: the bytes
/// the panel would get and their FNV-1a digest. The device runs it at its self-test, the
/// host at build time (firmware/qemu/build.rs), so the two are seen to send the panel the
/// same bytes.
pub mod self_test {
    use core::cell::Cell;
    use core::convert::Infallible;

    use embedded_hal::delay::DelayNs;
    use embedded_hal::digital::{ErrorType as PinErrorType, OutputPin};
    use embedded_hal::spi::{ErrorType, Operation, SpiDevice};

    use super::{draw, st7789, DrawError, Outcome, Screen};
    use crate::messages::Language;

    struct Bus<'c> {
        sent: &'c Cell<(u32, u32)>,
    }

    impl ErrorType for Bus<'_> {
        type Error = Infallible;
    }

    impl SpiDevice for Bus<'_> {
        fn transaction(&mut self, operations: &mut [Operation<'_, u8>]) -> Result<(), Infallible> {
            for op in operations {
                if let Operation::Write(data) = op {
                    let (mut bytes, mut digest) = self.sent.get();
                    for &b in data.iter() {
                        digest = (digest ^ u32::from(b)).wrapping_mul(0x0100_0193);
                    }
                    bytes = bytes.wrapping_add(data.len() as u32);
                    self.sent.set((bytes, digest));
                }
            }
            Ok(())
        }
    }

    struct Line;

    impl PinErrorType for Line {
        type Error = Infallible;
    }

    impl OutputPin for Line {
        fn set_low(&mut self) -> Result<(), Infallible> {
            Ok(())
        }
        fn set_high(&mut self) -> Result<(), Infallible> {
            Ok(())
        }
    }

    struct NoWait;

    impl DelayNs for NoWait {
        fn delay_ns(&mut self, _ns: u32) {}
    }

    /// What the panel got from the screens.
    #[derive(Debug, Clone, Copy, PartialEq, Eq)]
    pub struct Sent {
        pub screens: u32,
        pub bytes: u32,
        pub digest: u32,
    }

    /// Why the self-test failed.
    #[derive(Debug, Clone, Copy, PartialEq, Eq)]
    pub enum Failure {
        Init,
        Draw(Outcome, Language, DrawError<super::st7789::DrawBusError>),
    }

    /// Draws `Screen::sample` of every outcome in every language, in `Language::ALL` and
    /// `Outcome::ALL` order.
    pub fn draw_every_screen() -> Result<Sent, Failure> {
        let sent = Cell::new((0, 0x811c_9dc5));
        let mut buffer = [0u8; 512];
        let mut panel = st7789::init(Bus { sent: &sent }, Line, Line, &mut buffer, &mut NoWait)
            .map_err(|_| Failure::Init)?;
        let mut screens = 0;
        for language in Language::ALL {
            for outcome in Outcome::ALL {
                draw(&Screen::sample(language, outcome), &mut panel.0).map_err(|e| {
                    Failure::Draw(
                        outcome,
                        language,
                        match e {
                            DrawError::MissingGlyph(c) => DrawError::MissingGlyph(c),
                            DrawError::Display(_) => {
                                DrawError::Display(super::st7789::DrawBusError)
                            }
                        },
                    )
                })?;
                screens += 1;
            }
        }
        let (bytes, digest) = sent.get();
        Ok(Sent {
            screens,
            bytes,
            digest,
        })
    }
}
