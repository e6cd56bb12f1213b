//! The desk: one place where every source (card readers, the API, QR images) turns record
//! bytes into a verdict, and where every happening becomes an [`Event`] for the kiosk page,
//! the event stream, the recent list and the audit log.

use std::collections::{BTreeMap, VecDeque};
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use serde::Serialize;
use serde_json::Value;
use stay_core::pace::Can;
use stay_core::terminal::ChipReading;
use stay_core::{Check, Policy, PortraitCheck, Status, StayRecord};
use tokio::sync::broadcast;

use crate::audit::{AuditLog, Entry};
use crate::card::PortraitRead;
use crate::config::Config;
use crate::trust_cache::{now, TrustCache};
use stay_std::messages::{messages, Language};

/// What happened.
#[derive(Debug, Clone, Copy, Serialize, PartialEq, Eq)]
#[serde(rename_all = "kebab-case")]
pub enum Kind {
    Verdict,
    /// The card left the reader before the check finished: no verdict.
    CardRemoved,
    /// The card does not hold the resident-card application.
    NotAResidentCard,
    /// The card answered, but not as docs/apdu.md says.
    CardUnreadable,
    /// A card is in a reader and its chip opens only with the CAN on its face: type it at
    /// the kiosk, or show the face to the camera.
    CanNeeded,
    /// A CAN was given (typed, or read from a card face): the next card is opened with it.
    CanReady,
    /// The CAN given does not open the card in the reader: no verdict.
    WrongCan,
    /// An image that shows no readable QR code (or several different ones).
    QrUnreadable,
    /// A camera that cannot be opened or stopped giving frames; retried until it is back.
    SourceUnavailable,
    /// Frames from a camera again.
    SourceBack,
    ReaderAdded,
    ReaderRemoved,
    PcscdLost,
    PcscdBack,
    TrustList,
    /// The audit log cannot be written (disk full, read-only); verdicts go on, rows wait.
    AuditFailing,
    /// The audit log is written again, the rows that waited included.
    AuditBack,
    /// The chip's portrait was read after a verdict and is the signed one: shown with it.
    Portrait,
    /// The record names no portrait: there is no face from the chip to compare.
    NoPortrait,
}

#[derive(Debug, Clone, Serialize)]
pub struct Event {
    pub id: u64,
    /// RFC 3339.
    pub at: String,
    pub kind: Kind,
    pub source: String,
    /// One line for the person at the desk.
    pub message: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub verdict: Option<Value>,
    /// When the card's chip and its QR code were both shown within [`PAIR_WINDOW`]:
    /// whether they carry the same record.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub qr_matches_chip: Option<bool>,
    /// The message's id in `stay-core/messages/*.ftl` (`message` is it in English), and its
    /// arguments: a kiosk shows it in its own language.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub message_id: Option<&'static str>,
    #[serde(skip_serializing_if = "BTreeMap::is_empty")]
    pub message_args: BTreeMap<&'static str, String>,
    /// For a portrait event: the verdict it belongs to.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub verdict_id: Option<u64>,
    /// For a portrait event: where the kiosk fetches the image (with the desk token), while
    /// the desk keeps it ([`PORTRAITS_KEPT`], [`PORTRAIT_WINDOW`]).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub portrait: Option<String>,
}

/// A portrait that matched: its verdict's id, when it was read, the JPEG.
type KeptPortrait = (u64, Instant, Arc<Vec<u8>>);

impl Default for Event {
    fn default() -> Event {
        Event {
            id: 0,
            at: String::new(),
            kind: Kind::Verdict,
            source: String::new(),
            message: String::new(),
            verdict: None,
            qr_matches_chip: None,
            message_id: None,
            message_args: BTreeMap::new(),
            verdict_id: None,
            portrait: None,
        }
    }
}

/// What the desk says between verdicts: a message of `stay-core/messages/*.ftl` and its
/// arguments. The event carries both, and the message in English for logs and scripts.
#[derive(Debug, Clone)]
pub struct Notice {
    id: &'static str,
    args: BTreeMap<&'static str, String>,
}

impl Notice {
    pub fn new(id: &'static str) -> Notice {
        Notice {
            id,
            args: BTreeMap::new(),
        }
    }

    pub fn arg(mut self, name: &'static str, value: impl std::fmt::Display) -> Notice {
        self.args.insert(name, value.to_string());
        self
    }

    fn event(self, kind: Kind, source: &str) -> Event {
        let args: Vec<(&str, &str)> = self.args.iter().map(|(k, v)| (*k, v.as_str())).collect();
        let message = messages(Language::English).format(self.id, &args);
        tracing::info!(kind = ?kind, source, "{message}");
        Event {
            kind,
            source: source.into(),
            message,
            message_id: Some(self.id),
            message_args: self.args,
            ..Event::default()
        }
    }
}

/// A chip read and a QR read this close together are taken as one document shown twice.
pub const PAIR_WINDOW: Duration = Duration::from_secs(120);
/// How long a CAN given at the kiosk or read from a card face waits for its card.
pub const CAN_WINDOW: Duration = Duration::from_secs(120);
/// Portraits the desk keeps in memory for the kiosk, newest only: a face is the most
/// personal datum a card holds, and no screen needs an old one. Never written to disk.
pub const PORTRAITS_KEPT: usize = 4;
/// How long a portrait stays fetchable after its verdict.
pub const PORTRAIT_WINDOW: Duration = Duration::from_secs(600);
/// Events kept for `/api/verdicts` and late subscribers.
pub const RECENT: usize = 200;
/// Events buffered per event-stream subscriber before it is told it lagged.
pub const STREAM_BUFFER: usize = 256;

#[derive(Default)]
struct Pairing {
    chip: Option<(Instant, Vec<u8>)>,
    printed: Option<(Instant, Vec<u8>)>,
}

/// Its locks recover from poisoning: each guards plain data that a panic cannot leave half
/// changed (an event pushed, a slot replaced), and one panic while a lock was held must not
/// make every later verdict panic too.
pub struct Desk {
    pub config: Config,
    pub policy: Policy,
    pub trust: Arc<TrustCache>,
    pub audit: AuditLog,
    stream: broadcast::Sender<Arc<Event>>,
    recent: Mutex<VecDeque<Arc<Event>>>,
    next_id: AtomicU64,
    pairing: Mutex<Pairing>,
    /// The CAN for the next card, and when it was given; used once.
    can: Mutex<Option<(Instant, Can)>>,
    /// Portraits that matched their record's digest: verdict id, when, JPEG bytes.
    portraits: Mutex<VecDeque<KeptPortrait>>,
    pub verdicts: AtomicU64,
}

impl Desk {
    /// The desk, shared, with the audit log's health reported on it.
    pub fn shared(config: Config, trust: Arc<TrustCache>, audit: AuditLog) -> Arc<Desk> {
        let desk = Arc::new(Desk::new(config, trust, audit));
        // Weak: the audit writer must not keep the desk alive.
        let weak = Arc::downgrade(&desk);
        desk.audit.on_health(move |health| {
            let Some(desk) = weak.upgrade() else { return };
            let waiting = desk.audit.counters.pending.load(Ordering::Relaxed);
            match health {
                crate::audit::Health::Failing(error) => desk.announce(
                    Kind::AuditFailing,
                    "audit",
                    Notice::new("notice-audit-failing")
                        .arg("detail", error)
                        .arg("waiting", waiting),
                ),
                crate::audit::Health::Writing => {
                    desk.announce(Kind::AuditBack, "audit", Notice::new("notice-audit-back"))
                }
            };
        });
        desk
    }

    fn new(config: Config, trust: Arc<TrustCache>, audit: AuditLog) -> Desk {
        Desk {
            config,
            policy: Policy::DEFAULT,
            trust,
            audit,
            stream: broadcast::channel(STREAM_BUFFER).0,
            recent: Mutex::new(VecDeque::with_capacity(RECENT)),
            next_id: AtomicU64::new(1),
            pairing: Mutex::new(Pairing::default()),
            can: Mutex::new(None),
            portraits: Mutex::new(VecDeque::with_capacity(PORTRAITS_KEPT)),
            verdicts: AtomicU64::new(0),
        }
    }

    pub fn subscribe(&self) -> broadcast::Receiver<Arc<Event>> {
        self.stream.subscribe()
    }

    /// Newest first.
    pub fn recent(&self, limit: usize) -> Vec<Arc<Event>> {
        let recent = self.recent.lock().unwrap_or_else(|e| e.into_inner());
        recent.iter().rev().take(limit).cloned().collect()
    }

    /// Keeps `can` for the next card (replacing any earlier one) and says so.
    pub fn offer_can(&self, can: Can, source: &str) -> Arc<Event> {
        *self.can.lock().unwrap_or_else(|e| e.into_inner()) = Some((Instant::now(), can));
        self.announce(Kind::CanReady, source, Notice::new("notice-can-ready"))
    }

    /// Whether a CAN given within [`CAN_WINDOW`] waits for its card.
    pub fn can_pending(&self) -> bool {
        let slot = self.can.lock().unwrap_or_else(|e| e.into_inner());
        slot.is_some_and(|(at, _)| at.elapsed() <= CAN_WINDOW)
    }

    /// The CAN for the card just presented, if one was given within [`CAN_WINDOW`]: taken,
    /// so one typed CAN opens one card.
    pub fn take_can(&self) -> Option<Can> {
        let taken = self.can.lock().unwrap_or_else(|e| e.into_inner()).take();
        taken
            .filter(|(at, _)| at.elapsed() <= CAN_WINDOW)
            .map(|(_, can)| can)
    }

    /// A QR payload from a camera, an image or the API: a card face that carries a CAN
    /// opens the chip (the CAN is kept for the card, and no verdict is given for the
    /// printed copy); anything else is verified as printed.
    pub fn printed(&self, payload: &[u8], source: &str) -> Arc<Event> {
        match stay_core::card_face::split(payload) {
            // A face does not replace a CAN the guard typed and no card has used yet: any
            // QR code in front of the camera could otherwise swap it.
            (_, Some(_)) if self.can_pending() => self.announce(
                Kind::CanReady,
                source,
                Notice::new("notice-can-already-waits"),
            ),
            (_, Some(can)) => self.offer_can(can, source),
            (record, None) => self.verify(record, None, source),
        }
    }

    /// Publishes anything but a verdict.
    pub fn announce(&self, kind: Kind, source: &str, notice: Notice) -> Arc<Event> {
        self.publish(notice.event(kind, source))
    }

    /// Numbers, stamps and publishes `event`.
    fn publish(&self, mut event: Event) -> Arc<Event> {
        event.id = self.next_id.fetch_add(1, Ordering::Relaxed);
        event.at = stay_std::clock::format_rfc3339_bishkek(now());
        let event = Arc::new(event);
        {
            let mut recent = self.recent.lock().unwrap_or_else(|e| e.into_inner());
            if recent.len() == RECENT {
                recent.pop_front();
            }
            recent.push_back(event.clone());
        }
        // No subscriber is fine; a slow one is told it lagged.
        let _ = self.stream.send(event.clone());
        event
    }

    fn pair(&self, record: &[u8], from_chip: bool) -> Option<bool> {
        let mut pairing = self.pairing.lock().unwrap_or_else(|e| e.into_inner());
        let stamp = (Instant::now(), record.to_vec());
        let other = if from_chip {
            pairing.chip = Some(stamp);
            &pairing.printed
        } else {
            pairing.printed = Some(stamp);
            &pairing.chip
        };
        other
            .as_ref()
            .filter(|(at, _)| at.elapsed() <= PAIR_WINDOW)
            .map(|(_, bytes)| bytes == record)
    }

    /// Refreshes the trust list now and announces the outcome.
    pub fn refresh_trust_list(&self) -> crate::trust_cache::Refresh {
        let outcome = self.trust.refresh();
        self.announce(
            Kind::TrustList,
            "trust-list",
            Notice::new("notice-trust-list")
                .arg("result", outcome.result)
                .arg("detail", &outcome.detail),
        );
        outcome
    }

    /// Verifies `record` (with the chip's answer when it came from a chip) and publishes
    /// the verdict.
    pub fn verify(&self, record: &[u8], chip: Option<&ChipReading>, source: &str) -> Arc<Event> {
        self.verify_with(record, chip, None, source)
    }

    /// Takes what the chip gave for its portrait after `verdict` (a chip verdict of this
    /// desk): the signed portrait is kept for the kiosk and announced; any other answer
    /// publishes the verdict anew, Invalid(portrait-mismatch) for a portrait that is not the
    /// signed one, Indeterminate(portrait-not-read) when none could be read, and nothing is
    /// shown.
    pub fn portrait(
        &self,
        verdict: &Event,
        record: &[u8],
        chip: &ChipReading,
        read: PortraitRead,
        source: &str,
    ) -> Arc<Event> {
        let check = read.check(record);
        match (check, read) {
            (PortraitCheck::Matches, PortraitRead::File(Some(bytes))) => {
                {
                    let mut kept = self.portraits.lock().unwrap_or_else(|e| e.into_inner());
                    if kept.len() == PORTRAITS_KEPT {
                        kept.pop_front();
                    }
                    kept.push_back((verdict.id, Instant::now(), Arc::new(bytes)));
                }
                self.publish(Event {
                    verdict_id: Some(verdict.id),
                    portrait: Some(format!("/api/portraits/{}", verdict.id)),
                    ..Notice::new("notice-portrait").event(Kind::Portrait, source)
                })
            }
            (PortraitCheck::NoneIssued, _) => self.announce(
                Kind::NoPortrait,
                source,
                Notice::new("notice-portrait-none-issued"),
            ),
            (check, read) => {
                if let PortraitRead::Refused(e) | PortraitRead::Unread(e) = &read {
                    tracing::warn!(error = %e, "no signed portrait from the card");
                }
                self.verify_with(record, Some(chip), Some(check), source)
            }
        }
    }

    /// The portrait kept for verdict `id`, while [`PORTRAIT_WINDOW`] lasts.
    pub fn portrait_of(&self, id: u64) -> Option<Arc<Vec<u8>>> {
        let mut kept = self.portraits.lock().unwrap_or_else(|e| e.into_inner());
        kept.retain(|(_, at, _)| at.elapsed() <= PORTRAIT_WINDOW);
        kept.iter()
            .find(|(verdict, _, _)| *verdict == id)
            .map(|(_, _, bytes)| bytes.clone())
    }

    fn verify_with(
        &self,
        record: &[u8],
        chip: Option<&ChipReading>,
        portrait: Option<PortraitCheck>,
        source: &str,
    ) -> Arc<Event> {
        let at = self.config.now();
        let loaded = self.trust.current();
        let role = self.config.role();
        let check = match chip {
            Some(reading) => Check::chip(at, role, reading.proof(), &self.policy),
            None => Check::printed(at, role, &self.policy),
        };
        // Without a usable list (the newest damaged, no good copy) nothing is valid; an
        // older list would bring back what the newest revoked.
        let verdict = match &loaded {
            Some(loaded) => stay_core::verify(record, loaded.list(), &check),
            None => stay_core::verify_without_list(record, &check),
        };
        let verdict = match portrait {
            Some(portrait) => stay_core::verify_portrait(verdict, portrait, &check),
            None => verdict,
        };
        let mut json = crate::report::to_json(
            &verdict,
            &role,
            source,
            chip.is_some(),
            at,
            loaded.as_ref().map(|l| l.list()),
        );
        if let Some(chip) = chip {
            json["transcript"] = crate::report::transcript_json(&chip.transcript);
            // The portrait is read after this verdict, and only of authentic data (only a
            // signed digest says which face is the holder's).
            json["portrait"] = match portrait {
                Some(check) => Value::String(check.code().into()),
                None if verdict.authentic && crate::card::names_portrait(record) => {
                    Value::String("pending".into())
                }
                None => Value::Null,
            };
        }
        // A rehearsal's frozen clock is never mistaken for today: every verdict says so.
        if let Some(fixed) = &self.config.fixed_time {
            json["fixed_time"] = Value::String(fixed.clone());
        }
        let document_number = StayRecord::parse(record)
            .ok()
            .map(|r| r.fields.document_number.to_string());
        self.audit.record(Entry {
            at: stay_std::clock::format_rfc3339(at),
            at_unix: at.0,
            source: source.into(),
            status: verdict.status.name().into(),
            reason: verdict.status.reason_code().map(String::from),
            decision: verdict.decision.code().into(),
            role: role.name().into(),
            document_digest: document_number.as_deref().map(|n| self.audit.digest(n)),
            chip_authenticated: verdict.chip_authenticated,
        });
        self.verdicts.fetch_add(1, Ordering::Relaxed);
        let headline = match verdict.status {
            Status::Valid => "VALID".to_string(),
            _ => format!(
                "{}: {}",
                verdict.status.name().to_uppercase(),
                verdict.status.reason_code().unwrap_or_default()
            ),
        };
        let matches = self.pair(record, chip.is_some());
        let mut message = format!(
            "{headline} — {}",
            messages(Language::English).code("decision", verdict.decision.code())
        );
        if let Some(fixed) = &self.config.fixed_time {
            message = format!("[FIXED TIME {fixed}, not the clock] {message}");
        }
        tracing::info!(
            source,
            status = verdict.status.name(),
            decision = verdict.decision.code(),
            "verdict"
        );
        self.publish(Event {
            kind: Kind::Verdict,
            source: source.into(),
            message,
            verdict: Some(json),
            qr_matches_chip: matches,
            ..Event::default()
        })
    }
}
