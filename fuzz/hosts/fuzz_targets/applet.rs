//! The card under arbitrary command sequences: every command gets a status word, nothing
//! panics, and a locked card's memory never changes, whatever it is sent.
//!
//! Input: a first byte choosing the card (even: blank, odd: the fixture's personalized,
//! locked card), then commands as `[length][bytes]`; length 0 is a power cycle.
#![no_main]
use std::sync::OnceLock;

use card_applet_sim::{CardImage, Chip};
use libfuzzer_sys::fuzz_target;
use rand_chacha::rand_core::SeedableRng;

const PERSONALIZED: &str = include_str!("../../../testdata/apdu/personalized-card.json");

fuzz_target!(|data: &[u8]| {
    let Some((&which, mut rest)) = data.split_first() else {
        return;
    };
    static LOCKED: OnceLock<CardImage> = OnceLock::new();
    let locked =
        LOCKED.get_or_init(|| CardImage::from_json(PERSONALIZED).expect("the fixture image loads"));
    let image = if which % 2 == 0 {
        let key = stay_core::PublicKey::from_sec1(&locked.personalization_key).unwrap();
        CardImage::blank([0x4B, 0x47, 0, 0, 0, 0, 0, 1], &key)
    } else {
        locked.clone()
    };
    let mut chip = Chip::resident(image);
    let mut rng = rand_chacha::ChaCha20Rng::seed_from_u64(0);
    while let Some((&len, tail)) = rest.split_first() {
        let len = usize::from(len).min(tail.len());
        let (command, tail) = tail.split_at(len);
        rest = tail;
        if command.is_empty() {
            chip.reset();
            continue;
        }
        let reply = chip.process(command, &mut rng);
        assert!(reply.response.len() >= 2, "no status word");
        if which % 2 == 1 {
            assert!(!reply.persist, "a locked card wrote to its memory");
            assert_eq!(chip.image(), Some(locked), "a locked card changed");
        }
    }
});
