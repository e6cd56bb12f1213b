//! Card sessions over PC/SC for the daemon: every reader (and readers plugged in later,
//! through the PnP notification), a border check for each card that arrives.
//!
//! The real world, as the person at the desk meets it:
//! - a card pulled out mid-session: "card removed", never a verdict;
//! - a card without our application: "not a resident card";
//! - a reader without extended length: the session falls back to short reads;
//! - pcscd restarted underneath: the context is established again, readers re-learned;
//! - several readers: one loop serves them all, one card at a time, in arrival order;
//! - a chip opens only over PACE with the CAN printed on its face: a card that arrives
//!   before its CAN waits in its reader ("type the CAN, or show the face to the camera")
//!   and is checked as soon as the CAN comes; a wrong CAN is said so, never a verdict.

use std::ffi::{CStr, CString};
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Arc;
use std::time::Duration;

use pcsc::{Context, Disposition, ReaderState, Scope, State, PNP_NOTIFICATION};
use stay_core::pace::Can;
use stay_core::terminal::{BorderCheckError, CardError};

use crate::card::{self, LinkFailure, PcscLink};
use crate::desk::{Desk, Kind, Notice};
use crate::pcsc_reader::{self, service_gone};

/// How long one wait for reader events lasts before the stop flag is looked at again.
const WAKE: Duration = Duration::from_millis(500);

/// Watches readers until `stop` is set. Never returns early: pcscd going away is waited
/// out with a capped backoff.
pub fn watch_cards(desk: Arc<Desk>, readers: Vec<String>, stop: Arc<AtomicBool>) {
    let mut lost = false;
    let mut backoff = Duration::from_millis(50);
    while !stop.load(Ordering::Relaxed) {
        let ctx = match Context::establish(Scope::User) {
            Ok(ctx) => ctx,
            Err(e) => {
                if !lost {
                    desk.announce(
                        Kind::PcscdLost,
                        "pcscd",
                        Notice::new("notice-pcscd-unavailable").arg("detail", e),
                    );
                    lost = true;
                }
                std::thread::sleep(backoff);
                backoff = (backoff * 2).min(Duration::from_secs(2));
                continue;
            }
        };
        if lost {
            desk.announce(Kind::PcscdBack, "pcscd", Notice::new("notice-pcscd-back"));
        }
        backoff = Duration::from_millis(50);
        match watch(&ctx, &desk, &readers, &stop) {
            Ok(()) => return,
            Err(e) => {
                desk.announce(
                    Kind::PcscdLost,
                    "pcscd",
                    Notice::new("notice-pcscd-lost").arg("detail", e),
                );
                lost = true;
            }
        }
    }
}

fn wanted(name: &CStr, readers: &[String]) -> bool {
    readers.is_empty() || readers.iter().any(|r| name.to_string_lossy() == r.as_str())
}

/// One pcscd lifetime. Returns Err when pcscd goes away.
fn watch(
    ctx: &Context,
    desk: &Desk,
    filter: &[String],
    stop: &AtomicBool,
) -> Result<(), pcsc::Error> {
    let mut states = vec![ReaderState::new(PNP_NOTIFICATION(), State::UNAWARE)];
    // Readers holding a card that waits for its CAN, in arrival order.
    let mut waiting: Vec<CString> = Vec::new();
    // Whether the guard was told that a CAN cannot go to one of several waiting cards.
    let mut told_several = false;
    loop {
        // A typed CAN is for the one card that waits: with several, nobody can say which
        // card it was read from, and a wrong one counts against that card's PACE tries.
        if desk.can_pending() && waiting.len() == 1 {
            let name = waiting.remove(0);
            if let Some(can) = desk.take_can() {
                if check_card(ctx, desk, &name, &can) == AfterCheck::WaitForCan {
                    waiting.push(name);
                }
            }
        } else if desk.can_pending() && waiting.len() > 1 && !told_several {
            told_several = true;
            desk.announce(
                Kind::CanNeeded,
                "desk",
                Notice::new("notice-several-cards-wait"),
            );
        }
        if waiting.len() <= 1 {
            told_several = false;
        }
        if stop.load(Ordering::Relaxed) {
            return Ok(());
        }
        let names = match ctx.list_readers_owned() {
            Ok(names) => names,
            Err(pcsc::Error::NoReadersAvailable) => Vec::new(),
            Err(e) => return Err(e),
        };
        let names = names.into_iter().filter(|n| wanted(n, filter)).collect();
        let (added, removed) = pcsc_reader::track_readers(&mut states, names);
        for gone in &removed {
            desk.announce(
                Kind::ReaderRemoved,
                &source(gone),
                Notice::new("notice-reader-removed"),
            );
        }
        for new in &added {
            desk.announce(
                Kind::ReaderAdded,
                &source(new),
                Notice::new("notice-reader-added"),
            );
        }
        // While a card waits for its CAN, wake often enough that a typed CAN is acted on
        // at once.
        let wake = if waiting.is_empty() {
            WAKE
        } else {
            Duration::from_millis(100)
        };
        match ctx.get_status_change(wake, &mut states) {
            Ok(()) => {}
            Err(pcsc::Error::Timeout) => continue,
            // A reader vanished between listing and waiting: list again.
            Err(pcsc::Error::UnknownReader) => continue,
            Err(e) if service_gone(e) => return Err(e),
            Err(e) => {
                tracing::warn!(error = %e, "waiting for reader events");
                std::thread::sleep(WAKE);
                continue;
            }
        }
        for state in states.iter_mut().skip(1) {
            let before = state.current_state();
            let now = state.event_state();
            let arrived = now.contains(State::PRESENT) && !before.contains(State::PRESENT);
            let name = state.name().to_owned();
            state.sync_current_state();
            if !now.contains(State::PRESENT) {
                waiting.retain(|w| w.as_c_str() != name.as_c_str());
            }
            if arrived && !now.contains(State::MUTE) {
                // A CAN typed while another card waits was typed for that card.
                let can = if waiting.is_empty() {
                    desk.take_can()
                } else {
                    None
                };
                match can {
                    Some(can) => {
                        if check_card(ctx, desk, &name, &can) == AfterCheck::WaitForCan {
                            waiting.push(name);
                        }
                    }
                    None => {
                        desk.announce(
                            Kind::CanNeeded,
                            &source(&name),
                            Notice::new("notice-can-needed"),
                        );
                        waiting.push(name);
                    }
                }
            } else if arrived {
                desk.announce(
                    Kind::CardUnreadable,
                    &source(&name),
                    Notice::new("notice-card-mute"),
                );
            }
        }
    }
}

fn source(reader: &CStr) -> String {
    format!("reader:{}", reader.to_string_lossy())
}

/// What the card in the reader waits for after its check.
#[derive(Debug, PartialEq, Eq)]
enum AfterCheck {
    Done,
    /// The CAN was wrong: the card stays, for the CAN typed again.
    WaitForCan,
}

/// One border check of the card in `reader`, opened with `can`.
fn check_card(ctx: &Context, desk: &Desk, reader: &CStr, can: &Can) -> AfterCheck {
    let source = source(reader);
    let card = match pcsc_reader::connect(ctx, reader) {
        Ok(card) => card,
        Err(e) => {
            let removed = e
                .downcast_ref::<pcsc::Error>()
                .is_some_and(|e| matches!(LinkFailure::from(*e), LinkFailure::Removed));
            if removed {
                desk.announce(
                    Kind::CardRemoved,
                    &source,
                    Notice::new("notice-card-removed-before"),
                );
            } else {
                desk.announce(
                    Kind::CardUnreadable,
                    &source,
                    Notice::new("notice-card-unreadable").arg("detail", format!("{e:#}")),
                );
            }
            return AfterCheck::Done;
        }
    };
    let mut link = PcscLink::new(card);
    let reading = match card::open_border_check(&mut link, can) {
        // The verdict first, from the reading alone; then the portrait over the same
        // channel, while the guard already reads the verdict.
        Ok(mut channel) => {
            let record = channel.reading.record().to_vec();
            let verdict = desk.verify(&record, Some(&channel.reading), &source);
            // Only authentic data names the face that is the holder's; whichever role.
            let wants_portrait = verdict
                .verdict
                .as_ref()
                .is_some_and(|v| v["authentic"] == true)
                && card::names_portrait(&record);
            let portrait = wants_portrait.then(|| card::read_portrait(&mut channel));
            let reading = channel.reading;
            Ok((verdict, record, reading, portrait))
        }
        Err(e) => Err(e),
    };
    // Leave the card as it is: a reset sent to a card that just left confuses some
    // readers (vpcd reports the slot empty while holding the next card), and a border
    // check leaves nothing on the card to clear.
    let _ = link.into_card().disconnect(Disposition::LeaveCard);
    match reading {
        Ok((verdict, record, chip, portrait)) => {
            if let Some(portrait) = portrait {
                desk.portrait(&verdict, &record, &chip, portrait, &source);
            }
        }
        Err(e) if card::card_removed(&e) => {
            desk.announce(
                Kind::CardRemoved,
                &source,
                Notice::new("notice-card-removed"),
            );
        }
        Err(e) if card::wrong_can(&e) => {
            desk.announce(Kind::WrongCan, &source, Notice::new("notice-wrong-can"));
            return AfterCheck::WaitForCan;
        }
        Err(BorderCheckError::Pace(CardError::NotResidentCard(_))) => {
            desk.announce(
                Kind::NotAResidentCard,
                &source,
                Notice::new("notice-not-a-resident-card"),
            );
        }
        // A card pulled out mid-command often surfaces as a failed transmission
        // (SCARD_E_NOT_TRANSACTED), or as an empty answer from the reader's driver, before
        // pcscd notices the slot is empty: ask the reader.
        Err(
            e @ (BorderCheckError::Pace(
                CardError::Link(LinkFailure::Reader(_)) | CardError::Malformed { .. },
            )
            | BorderCheckError::Secure(
                CardError::Link(stay_core::sm::SmFailure::Link(LinkFailure::Reader(_)))
                | CardError::Malformed { .. },
            )),
        ) if card_left(ctx, reader) => {
            tracing::debug!(error = %e, "transmission failed as the card left");
            desk.announce(
                Kind::CardRemoved,
                &source,
                Notice::new("notice-card-removed"),
            );
        }
        Err(e) => {
            desk.announce(
                Kind::CardUnreadable,
                &source,
                Notice::new("notice-card-unreadable").arg("detail", e),
            );
        }
    }
    AfterCheck::Done
}

/// How long a failed transmission waits for the reader to report the card gone (pcscd
/// polls some readers every 400 ms).
const REMOVAL_GRACE: Duration = Duration::from_millis(1500);

fn card_left(ctx: &Context, reader: &CStr) -> bool {
    pcsc_reader::wait_for_removal(ctx, reader, REMOVAL_GRACE).is_ok()
}
