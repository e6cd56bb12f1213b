//! The scanner's application: idle, a card in the field or a code at the imager, read,
//! verify, show the verdict for a while, back to idle. One call of [`Scanner::step`] is one
//! pass of the main loop; nothing blocks longer than one card exchange.
//!
//! Everything the guard sees comes from `stay_core::verify` with the border role (or the
//! employer's), the same as on the host; a read that fails (card pulled away, damaged code)
//! is "try again", never a verdict. Each check is kept in a small audit ring.
//!
//! The chip opens only over PACE with the CAN printed on the card's face: the guard shows
//! the face to the imager (its QR code carries the CAN, [`stay_core::card_face`]), then
//! holds the card to the antenna. A card held first is asked for its face.

use embedded_hal::digital::OutputPin;
use heapless::{Deque, Vec};
use stay_core::audit::{AuditKey, DOCUMENT_DIGEST_LEN};
use stay_core::pace::{Can, PaceError};
use stay_core::terminal::{ApduLink, BorderCheckError, CardError, Instruction};
use stay_core::{Check, Policy, Role, Status, StatusChange, TrustList, UnixTime};

use crate::imager::{Imager, ImagerError};
use crate::messages::{self, Language, MessageId};
use crate::screen::{Holder, Outcome, Screen};
use crate::RECORD_MAX;

/// How long a verdict stays on the display, in milliseconds.
pub const SHOW_MS: u64 = 3_000;
/// A code's frame must complete within this after its first byte.
pub const SCAN_MS: u64 = 500;
/// How long a CAN read from a card face waits for its card at the antenna.
pub const CAN_MS: u64 = 60_000;
/// Checks kept in the audit ring (the oldest is overwritten).
pub const AUDIT_LEN: usize = 64;

/// The device's clocks: calendar time for validity, a monotonic counter for timeouts.
pub trait Clock {
    /// Seconds since 1970 (UTC) from the real-time clock.
    fn now(&mut self) -> UnixTime;
    /// Milliseconds since start, never going back.
    fn millis(&mut self) -> u64;
}

/// The screen: [`crate::screen::Panel`] draws it on a real panel.
pub trait Display {
    fn show(&mut self, screen: &Screen<'_>);
}

/// Fresh secrets for PACE (a hardware random generator).
pub trait Entropy {
    fn fill(&mut self, bytes: &mut [u8]);
}

/// The NFC front end as the application needs it.
pub trait Nfc {
    type Link: ApduLink;
    type Error: core::fmt::Debug;
    /// Whether an ISO 14443-4 card is in the field (activated when it is).
    fn card_present(&mut self) -> Result<bool, Self::Error>;
    fn link(&mut self) -> &mut Self::Link;
    /// Lets the card go (it must leave the field before it is read again).
    fn release(&mut self);
}

/// Green, red and the buzzer.
pub struct Indicators<G, R, B> {
    pub green: G,
    pub red: R,
    pub buzzer: B,
}

/// Where a check's bytes came from.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Source {
    Card,
    Code,
}

/// One line of the audit ring. A lost or stolen scanner must not tell whose documents it
/// checked: the document number is kept only as a digest keyed with the device's secret.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AuditEntry {
    pub at: UnixTime,
    pub source: Source,
    /// HMAC-SHA-256 of the record's document number under the device's audit key, when
    /// the record could be read.
    pub document_digest: Option<[u8; DOCUMENT_DIGEST_LEN]>,
    /// `valid`, `invalid: expired`, `unreadable`, ...
    pub outcome: &'static str,
    pub reason: Option<&'static str>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum State {
    Idle,
    /// A verdict on the display from `since` until `until`, its buzzer pattern playing.
    Showing {
        since: u64,
        until: u64,
        outcome: Outcome,
    },
    /// The card whose verdict was shown is still in the field: wait for it to leave.
    CardStillThere,
}

/// What a pass of the loop did.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Event {
    Nothing,
    Verdict {
        source: Source,
        status: Status,
        chip_authenticated: bool,
    },
    /// The read failed: the guard is asked to try again.
    TryAgain(Source),
    /// The card in the field has no resident-card application (a bank card, a transit
    /// card): no verdict, and no point in trying again.
    NotAResidentCard,
    /// The verdict's time is over; the display is back to idle.
    Idle,
    /// A card face was read: its CAN waits for the card at the antenna.
    CanRead,
    /// A card was held to the antenna before its face was shown to the imager.
    CanNeeded,
    /// The CAN read does not open the card at the antenna: no verdict.
    WrongCan,
}

pub struct Scanner<'l, N, U, C, D, E, G, R, B> {
    pub nfc: N,
    pub imager: Imager<U>,
    pub clock: C,
    pub display: D,
    pub entropy: E,
    pub indicators: Indicators<G, R, B>,
    /// `None` when the store holds no usable list (blank flash, or the newest list damaged:
    /// an older one is never used again): nothing is then valid.
    list: Option<&'l TrustList<'l>>,
    employer_tin: Option<&'l str>,
    audit_key: AuditKey,
    policy: Policy,
    language: Language,
    state: State,
    scan_started: Option<u64>,
    payload: Vec<u8, RECORD_MAX>,
    /// The CAN from the last card face, and when it was read.
    can: Option<(Can, u64)>,
    audit: Deque<AuditEntry, AUDIT_LEN>,
}

impl<'l, N, U, C, D, E, G, R, B> Scanner<'l, N, U, C, D, E, G, R, B>
where
    N: Nfc,
    U: embedded_io::Read + embedded_io::ReadReady,
    C: Clock,
    D: Display,
    E: Entropy,
    G: OutputPin,
    R: OutputPin,
    B: OutputPin,
{
    /// A scanner for a border guard (`employer_tin: None`) or for the employer with that
    /// taxpayer number; `audit_key` is the device's secret for its audit ring.
    #[allow(clippy::too_many_arguments)]
    pub fn new(
        nfc: N,
        imager: Imager<U>,
        clock: C,
        display: D,
        entropy: E,
        indicators: Indicators<G, R, B>,
        list: Option<&'l TrustList<'l>>,
        employer_tin: Option<&'l str>,
        audit_key: AuditKey,
    ) -> Self {
        let mut scanner = Scanner {
            nfc,
            imager,
            clock,
            display,
            entropy,
            indicators,
            list,
            employer_tin,
            audit_key,
            policy: Policy::DEFAULT,
            language: Language::Kyrgyz,
            state: State::Idle,
            scan_started: None,
            payload: Vec::new(),
            can: None,
            audit: Deque::new(),
        };
        scanner.show_idle();
        scanner
    }

    /// The language of the screen (Kyrgyz until set: the state language).
    pub fn set_language(&mut self, language: Language) {
        self.language = language;
        if self.state == State::Idle {
            self.show_idle();
        }
    }

    pub fn language(&self) -> Language {
        self.language
    }

    /// The audit ring, oldest first.
    pub fn audit(&self) -> impl Iterator<Item = &AuditEntry> {
        self.audit.iter()
    }

    fn role(&self) -> Role<'l> {
        match self.employer_tin {
            Some(tin) => Role::Employer { tin },
            None => Role::Border,
        }
    }

    fn show_idle(&mut self) {
        let _ = self.indicators.green.set_low();
        let _ = self.indicators.red.set_low();
        let _ = self.indicators.buzzer.set_low();
        let mut screen = Screen::new(self.language, Outcome::Ready);
        screen.lines = match self.list {
            Some(l) => {
                screen.sequence = Some(l.sequence);
                [
                    Some(MessageId::ScannerPresentCard),
                    Some(MessageId::ScannerList),
                ]
            }
            None => [
                Some(MessageId::ScannerPresentCard),
                Some(MessageId::ScannerNoTrustList),
            ],
        };
        self.display.show(&screen);
    }

    /// One pass of the main loop.
    pub fn step(&mut self) -> Event {
        let now_ms = self.clock.millis();
        let mut card_checked = false;
        match self.state {
            State::Showing {
                since,
                until,
                outcome,
            } if now_ms < until => {
                let on = crate::screen::buzzer_on(outcome.buzzer(), now_ms - since);
                let _ = if on {
                    self.indicators.buzzer.set_high()
                } else {
                    self.indicators.buzzer.set_low()
                };
                return Event::Nothing;
            }
            State::Showing { .. } => {
                self.state = State::CardStillThere;
                let _ = self.indicators.buzzer.set_low();
                self.show_idle();
                return Event::Idle;
            }
            State::CardStillThere => {
                // The same card lying on the scanner is not checked over and over (the
                // imager still is: the guard may show the face of the next card).
                if matches!(self.nfc.card_present(), Ok(true)) {
                    self.nfc.release();
                    card_checked = true;
                } else {
                    self.state = State::Idle;
                }
            }
            State::Idle => {}
        }

        // A code at the imager.
        match self.imager.poll(&mut self.payload) {
            Ok(true) => {
                self.scan_started = None;
                if let (record_len, Some(can)) = {
                    let (record, can) = stay_core::card_face::split(&self.payload);
                    (record.len(), can)
                } {
                    // A card face: its CAN opens the chip; the printed copy itself is not
                    // judged (it could never be valid: the chip must be read).
                    self.payload.truncate(record_len);
                    return self.can_read(can, now_ms);
                }
                return self.verdict(Source::Code, None);
            }
            Ok(false) => {
                if self.imager.busy() {
                    let started = *self.scan_started.get_or_insert(now_ms);
                    if now_ms.saturating_sub(started) > SCAN_MS {
                        self.imager.reset();
                        self.scan_started = None;
                        return self.try_again(Source::Code);
                    }
                } else {
                    self.scan_started = None;
                }
            }
            Err(ImagerError::Frame(_)) => return self.try_again(Source::Code),
            Err(ImagerError::Uart(_)) => {}
        }

        // A card in the field.
        if card_checked || !matches!(self.nfc.card_present(), Ok(true)) {
            return Event::Nothing;
        }
        let can = match self.can {
            Some((can, at)) if now_ms.saturating_sub(at) <= CAN_MS => can,
            _ => {
                self.can = None;
                self.nfc.release();
                return self.can_needed();
            }
        };
        let entropy = &mut self.entropy;
        let reading =
            stay_core::terminal::border_check(self.nfc.link(), &can, |secret| entropy.fill(secret));
        self.nfc.release();
        match reading {
            Ok(reading) => {
                self.can = None;
                self.payload.clear();
                // Same capacity: cannot fail.
                let _ = self.payload.extend_from_slice(reading.record());
                self.verdict(Source::Card, Some(reading))
            }
            // The CAN stays for the resident card the guard taps next: a bank card took no
            // PACE (its SELECT failed), so it was never tried with the CAN.
            Err(BorderCheckError::Pace(CardError::NotResidentCard(_))) => {
                self.not_a_resident_card()
            }
            Err(BorderCheckError::Pace(
                CardError::Pace(PaceError::BadToken)
                | CardError::Status {
                    command: Instruction::GeneralAuthenticate,
                    status: stay_core::apdu::Status::AuthenticationFailed,
                },
            )) => {
                self.can = None;
                self.wrong_can()
            }
            // Kept for the retry (a card pulled mid-read is tapped again); another card
            // tapped within CAN_MS costs that card one PACE try, and opens nothing.
            Err(_) => self.try_again(Source::Card),
        }
    }

    fn can_read(&mut self, can: Can, now_ms: u64) -> Event {
        self.can = Some((can, now_ms));
        // The card now held to the antenna is read, even the one that asked for its face.
        self.state = State::Idle;
        let _ = self.indicators.green.set_low();
        let _ = self.indicators.red.set_low();
        let mut screen = Screen::new(self.language, Outcome::CardFaceRead);
        screen.lines[0] = Some(MessageId::ScannerNowHoldCard);
        self.display.show(&screen);
        // Straight back to reading, silent: the card follows at once.
        let _ = self.indicators.buzzer.set_low();
        Event::CanRead
    }

    fn can_needed(&mut self) -> Event {
        let _ = self.indicators.red.set_high();
        let mut screen = Screen::new(self.language, Outcome::ShowCardFace);
        screen.lines[0] = Some(MessageId::ScannerShowFaceFirst);
        self.show(&screen, SHOW_MS / 3);
        Event::CanNeeded
    }

    fn wrong_can(&mut self) -> Event {
        let mut screen = Screen::new(self.language, Outcome::WrongCardFace);
        screen.lines[0] = Some(MessageId::ScannerWrongFaceDetail);
        self.refuse(Source::Card, "wrong-can", &screen, SHOW_MS);
        Event::WrongCan
    }

    fn not_a_resident_card(&mut self) -> Event {
        // Shown like a verdict: the card has to leave before the next one is read.
        let mut screen = Screen::new(self.language, Outcome::NotAResidentCard);
        screen.lines[0] = Some(MessageId::ScannerNoResidentChip);
        self.refuse(Source::Card, "not-a-resident-card", &screen, SHOW_MS);
        Event::NotAResidentCard
    }

    fn try_again(&mut self, source: Source) -> Event {
        let (outcome, hint) = match source {
            Source::Card => (Outcome::CardRemoved, MessageId::ScannerHoldStill),
            Source::Code => (Outcome::CodeUnreadable, MessageId::ScannerShowCodeAgain),
        };
        let mut screen = Screen::new(self.language, outcome);
        screen.lines[0] = Some(hint);
        self.refuse(source, "unreadable", &screen, SHOW_MS / 3);
        Event::TryAgain(source)
    }

    /// Shows `screen` for `show_ms`, its buzzer pattern starting now.
    fn show(&mut self, screen: &Screen<'_>, show_ms: u64) {
        self.state = present(
            &mut self.display,
            &mut self.clock,
            &mut self.indicators.buzzer,
            screen,
            show_ms,
        );
    }

    /// No verdict: the audit ring keeps why, red, the screen for `show_ms`.
    fn refuse(&mut self, source: Source, outcome: &'static str, screen: &Screen<'_>, show_ms: u64) {
        let at = self.clock.now();
        remember(
            &mut self.audit,
            AuditEntry {
                at,
                source,
                document_digest: None,
                outcome,
                reason: None,
            },
        );
        let _ = self.indicators.red.set_high();
        self.show(screen, show_ms);
    }

    fn verdict(&mut self, source: Source, chip: Option<stay_core::terminal::ChipReading>) -> Event {
        let now = self.clock.now();
        let check = match (&source, &chip) {
            (Source::Card, Some(reading)) => {
                Check::chip(now, self.role(), reading.proof(), &self.policy)
            }
            _ => Check::printed(now, self.role(), &self.policy),
        };
        let verdict = match self.list {
            Some(list) => stay_core::verify(&self.payload, list, &check),
            None => stay_core::verify_without_list(&self.payload, &check),
        };
        let status = verdict.status;
        let printed_chip_card = verdict.is_printed_copy_of_chip_card();
        let outcome = match status {
            Status::Valid => Outcome::Valid,
            _ if printed_chip_card => Outcome::ReadTheChip,
            Status::Invalid(_) => Outcome::Invalid,
            Status::Indeterminate(_) => Outcome::Indeterminate,
        };
        // Green for valid; red for anything else, with the outcome's buzzer pattern, so a
        // guard looking at the traveller still notices. A printed copy of a chip card is
        // never green: the guard must hold the card itself to the scanner.
        if status.is_valid() {
            let _ = self.indicators.green.set_high();
        } else {
            let _ = self.indicators.red.set_high();
        }
        let mut screen = Screen::new(self.language, outcome);
        let change = verdict.status_change.map(|a| a.change);
        screen.lines = if printed_chip_card {
            [Some(MessageId::ScannerPrintedCopy), None]
        } else {
            [
                messages::of_code("decision", verdict.decision.code()),
                match (status.reason_code(), change) {
                    (Some(code), _) => messages::of_code("reason", code),
                    // Valid on a date the card does not print: the guard sees why.
                    (None, Some(StatusChange::Extended { .. })) => Some(MessageId::ScannerExtended),
                    (None, _) => None,
                },
            ]
        };
        screen.code = status.reason_code();
        let successor = match &change {
            Some(StatusChange::Superseded { successor, .. }) => Some(*successor),
            _ => None,
        };
        screen.holder = Holder {
            surname: verdict.shown.surname,
            given_names: verdict.shown.given_names,
            number: verdict.shown.document_number,
            // The list's extension, else the record's own date.
            valid_until: verdict
                .shown
                .effective_valid_until
                .or(verdict.shown.valid_until),
            successor: successor.as_ref().map(|n| n.as_str()),
        };
        // The screen borrows the record's fields (in `self.payload`): the other parts of
        // `self` are passed one by one.
        self.state = present(
            &mut self.display,
            &mut self.clock,
            &mut self.indicators.buzzer,
            &screen,
            SHOW_MS,
        );
        remember(
            &mut self.audit,
            AuditEntry {
                at: now,
                source,
                // Whatever the role is shown, as the desk's log does.
                document_digest: stay_core::StayRecord::parse(&self.payload)
                    .ok()
                    .map(|r| self.audit_key.document_digest(r.fields.document_number)),
                outcome: status.name(),
                reason: status.reason_code(),
            },
        );
        Event::Verdict {
            source,
            status,
            chip_authenticated: verdict.chip_authenticated,
        }
    }
}

fn present(
    display: &mut impl Display,
    clock: &mut impl Clock,
    buzzer: &mut impl OutputPin,
    screen: &Screen<'_>,
    show_ms: u64,
) -> State {
    display.show(screen);
    let since = clock.millis();
    let _ = if crate::screen::buzzer_on(screen.outcome.buzzer(), 0) {
        buzzer.set_high()
    } else {
        buzzer.set_low()
    };
    State::Showing {
        since,
        until: since + show_ms,
        outcome: screen.outcome,
    }
}

fn remember(audit: &mut Deque<AuditEntry, AUDIT_LEN>, entry: AuditEntry) {
    if audit.is_full() {
        audit.pop_front();
    }
    // Room was made above.
    let _ = audit.push_back(entry);
}
