//! Every PACE message, card side and terminal side, from hostile bytes: the input is cut
//! into messages by one-byte lengths and fed to both halves step by step. Never a panic;
//! neither half reaches a channel from messages the other half did not make (a channel
//! would need the CAN's key and a valid token).
#![no_main]
use libfuzzer_sys::fuzz_target;
use stay_core::pace::{CardPace, Can, TerminalPace};

fn messages(mut data: &[u8]) -> impl Iterator<Item = &[u8]> {
    core::iter::from_fn(move || {
        let (&len, rest) = data.split_first()?;
        let len = usize::from(len).min(rest.len());
        let (message, rest) = rest.split_at(len);
        data = rest;
        Some(message)
    })
}

fuzz_target!(|data: &[u8]| {
    let can = Can::parse("314159").unwrap();
    let random = [0x42; 32];
    let mut card = CardPace::new(&can, &[0x2C; 32]).unwrap();
    let mut terminal = TerminalPace::new(&can);
    let mut card_done = false;
    let mut terminal_done = false;
    for (i, message) in messages(data).enumerate() {
        match i % 4 {
            0 => {
                let _ = card.on_start(message, &[7; 16], &random);
                let _ = terminal.on_nonce(message, &random);
            }
            1 => {
                let _ = card.on_mapping(message, &random);
                let _ = terminal.on_mapping(message, &random);
            }
            2 => {
                let _ = card.on_ephemeral(message);
                let _ = terminal.on_ephemeral(message);
            }
            _ => {
                card_done |= card.on_token(message).is_ok();
                terminal_done |= terminal.on_token(message).is_ok();
            }
        }
    }
    assert!(!card_done && !terminal_done, "a channel from forged messages");
});
