//! The border check's terminal side against a hostile card: whatever the card answers (the
//! input, cut into responses by its length bytes), the session returns; a record it accepts
//! is no longer than the format allows, and it came after a SELECT whose FCI named the stay
//! application; the terminal sends nothing but the three border-check commands.
#![no_main]
use libfuzzer_sys::fuzz_target;
use stay_core::record::MAX_RECORD_LEN;
use stay_core::terminal::{Instruction, Session};

#[path = "hostile_card.rs"]
mod hostile_card;
use hostile_card::HostileCard;

fuzz_target!(|data: &[u8]| {
    // The terminal selects the stay AID and nothing else.
    let inspect = |command: &[u8]| {
        if command.get(1) == Some(&stay_core::apdu::INS_SELECT) {
            assert_eq!(command.get(5..13), Some(&stay_core::apdu::AID[..]));
        }
    };
    let mut session = Session::new(HostileCard {
        rest: data,
        inspect,
    });
    session.extended_length = data.first().is_some_and(|b| b & 1 == 0);
    let result = session.read_for_border_check([7; 16]);
    let transcript = session.transcript;
    for exchange in transcript.exchanges() {
        assert!(matches!(
            exchange.command,
            Instruction::Select | Instruction::ReadBinary | Instruction::InternalAuthenticate
        ));
    }
    if let Ok(reading) = result {
        assert!(reading.record().len() <= MAX_RECORD_LEN);
        assert_eq!(transcript.count(Instruction::Select), 1);
    }
});
