//! The station's side of personalization against a hostile card: the same steps the
//! station runs (`stay_core::terminal`), whatever the card answers (the input, cut into
//! responses by 2-byte length prefixes), end in an answer or an error, never a panic; a
//! chip key handed on is a valid P-256 point, and nothing is written to a card that did not
//! show a blank card's FCI.
#![no_main]
use libfuzzer_sys::fuzz_target;
use stay_core::terminal::{Instruction, Session};

#[path = "hostile_card.rs"]
mod hostile_card;
use hostile_card::HostileCard;

fuzz_target!(|data: &[u8]| {
    let mut session = Session::new(HostileCard {
        rest: data,
        inspect: |_: &[u8]| {},
    });
    let Ok(fci) = session.select_blank() else {
        // Not a blank resident card: SELECT was the only command.
        let transcript = &session.transcript;
        assert_eq!(transcript.count(Instruction::Select), transcript.apdus);
        return;
    };
    assert!(!fci.locked);
    let _ = (|| {
        session.authenticate_station(&fci, |_| [0x5A; 64])?;
        let chip = session.generate_chip_key()?;
        assert!(stay_core::PublicKey::from_sec1(&chip).is_ok());
        session.store(&[0x7F; 600], 255)?;
        session.lock()
    })();
});
