//! PC/SC: find a reader, wait for a card by pcscd's change events, connect, transmit.
//!
//! Waiting never sleeps: `SCardGetStatusChange` returns when pcscd sees a card (pcscd polls a
//! vpcd slot every 400 ms, a USB reader interrupts), and the `\\?PnP?\Notification`
//! pseudo-reader wakes us when readers come and go.

use std::ffi::{CStr, CString};
use std::time::{Duration, Instant};

use anyhow::{bail, Context as _, Result};
use pcsc::{Context, Protocols, ReaderState, Scope, ShareMode, State, PNP_NOTIFICATION};

/// Whether pcscd itself went away (stopped, restarted): the context must be established
/// again.
pub fn service_gone(e: pcsc::Error) -> bool {
    matches!(
        e,
        pcsc::Error::NoService
            | pcsc::Error::ServiceStopped
            | pcsc::Error::InvalidHandle
            | pcsc::Error::CommError
    )
}

/// Connects to pcscd.
pub fn establish() -> Result<Context> {
    Context::establish(Scope::User).context("cannot reach pcscd (is it running?)")
}

/// The readers pcscd knows now.
pub fn readers(ctx: &Context) -> Result<Vec<CString>> {
    match ctx.list_readers_owned() {
        Ok(readers) => Ok(readers),
        Err(pcsc::Error::NoReadersAvailable) => Ok(Vec::new()),
        Err(e) => Err(e).context("cannot list PC/SC readers"),
    }
}

/// A card found in a reader.
#[derive(Debug, Clone)]
pub struct Presence {
    pub reader: CString,
    pub atr: Vec<u8>,
}

fn wanted(name: &CStr, reader: Option<&str>) -> bool {
    reader.is_none_or(|r| name.to_string_lossy() == r)
}

/// Brings `states` (the PnP pseudo-reader first, then one entry per reader) in line with
/// the readers pcscd lists now, keeping what is known of each: a new reader starts
/// UNAWARE, a gone one is dropped. Returns the readers added and removed.
pub fn track_readers(
    states: &mut Vec<ReaderState>,
    names: Vec<CString>,
) -> (Vec<CString>, Vec<CString>) {
    let mut removed = Vec::new();
    states.retain(|s| {
        let keep = s.name() == PNP_NOTIFICATION() || names.iter().any(|n| n.as_c_str() == s.name());
        if !keep {
            removed.push(s.name().to_owned());
        }
        keep
    });
    let added: Vec<CString> = names
        .into_iter()
        .filter(|n| !states.iter().any(|s| s.name() == n.as_c_str()))
        .collect();
    states.extend(
        added
            .iter()
            .map(|n| ReaderState::new(n.clone(), State::UNAWARE)),
    );
    (added, removed)
}

/// Waits until a card is present in `reader` (any reader when `None`), up to `timeout`;
/// `None` when none came.
pub fn wait_for_card(
    ctx: &Context,
    reader: Option<&str>,
    timeout: Duration,
) -> Result<Option<Presence>> {
    let deadline = Instant::now() + timeout;
    let mut states = vec![ReaderState::new(PNP_NOTIFICATION(), State::UNAWARE)];
    loop {
        track_readers(&mut states, readers(ctx)?);
        for state in &states[1..] {
            let event = state.event_state();
            if wanted(state.name(), reader)
                && event.contains(State::PRESENT)
                && !event.intersects(State::MUTE | State::EXCLUSIVE)
            {
                return Ok(Some(Presence {
                    reader: state.name().to_owned(),
                    atr: state.atr().to_vec(),
                }));
            }
        }
        for state in &mut states {
            state.sync_current_state();
        }
        let left = deadline.saturating_duration_since(Instant::now());
        if left.is_zero() {
            return Ok(None);
        }
        match ctx.get_status_change(left, &mut states) {
            Ok(()) | Err(pcsc::Error::Timeout) => {}
            Err(e) => return Err(e).context("waiting for a card"),
        }
    }
}

/// Connects to the card in `reader`, T=1 or T=0 as the card offers, shared with other
/// clients (pcscd serializes their transactions).
pub fn connect(ctx: &Context, reader: &CStr) -> Result<pcsc::Card> {
    ctx.connect(reader, ShareMode::Shared, Protocols::ANY)
        .with_context(|| format!("cannot connect to the card in {}", reader.to_string_lossy()))
}

/// Waits until `reader` holds no card (it was taken out), up to `timeout`.
pub fn wait_for_removal(ctx: &Context, reader: &CStr, timeout: Duration) -> Result<()> {
    let deadline = Instant::now() + timeout;
    let mut states = [ReaderState::new(reader.to_owned(), State::UNAWARE)];
    loop {
        match ctx.get_status_change(
            deadline.saturating_duration_since(Instant::now()),
            &mut states,
        ) {
            Ok(()) => {}
            Err(pcsc::Error::Timeout) => bail!(
                "the card in {} was not removed within {} s",
                reader.to_string_lossy(),
                timeout.as_secs_f32()
            ),
            Err(e) => return Err(e).context("waiting for the card's removal"),
        }
        if states[0].event_state().contains(State::EMPTY) {
            return Ok(());
        }
        states[0].sync_current_state();
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn names(list: &[&str]) -> Vec<CString> {
        list.iter().map(|n| CString::new(*n).unwrap()).collect()
    }

    /// A reader plugged in, a second one, the first unplugged: the states follow, the PnP
    /// entry stays first, and a known reader keeps what is known of it.
    #[test]
    fn readers_plugged_and_unplugged_are_tracked() {
        let mut states = vec![ReaderState::new(PNP_NOTIFICATION(), State::UNAWARE)];
        assert_eq!(track_readers(&mut states, vec![]), (vec![], vec![]));

        let (added, removed) = track_readers(&mut states, names(&["Desk A"]));
        assert_eq!((added, removed), (names(&["Desk A"]), vec![]));
        states[1].sync_current_state();
        let known = states[1].current_state();

        let (added, removed) = track_readers(&mut states, names(&["Desk A", "Desk B"]));
        assert_eq!((added, removed), (names(&["Desk B"]), vec![]));
        assert_eq!(states[1].current_state(), known);
        assert_eq!(states[2].current_state(), State::UNAWARE);

        let (added, removed) = track_readers(&mut states, names(&["Desk B"]));
        assert_eq!((added, removed), (vec![], names(&["Desk A"])));
        let order: Vec<&CStr> = states.iter().map(|s| s.name()).collect();
        assert_eq!(order, [PNP_NOTIFICATION(), c"Desk B"]);

        let (added, removed) = track_readers(&mut states, vec![]);
        assert_eq!((added, removed), (vec![], names(&["Desk B"])));
        assert_eq!(states.len(), 1);
    }
}
