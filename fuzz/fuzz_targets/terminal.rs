//! The border check's terminal side against a hostile card: whatever the card answers (the
//! input, cut into responses by its length bytes), the session returns; a record it accepts
//! is no longer than the format allows, and it came after a SELECT whose FCI named the stay
//! application; the terminal sends nothing but the border check's commands (PACE's, then
//! SELECT and READ BINARY).
#![no_main]
use libfuzzer_sys::fuzz_target;
use stay_core::record::MAX_RECORD_LEN;
use stay_core::pace::Can;
use stay_core::terminal::Instruction;

#[path = "hostile_card.rs"]
mod hostile_card;
use hostile_card::HostileCard;

fuzz_target!(|data: &[u8]| {
    // The terminal selects the stay AID and nothing else (a protected SELECT carries it
    // encrypted).
    let inspect = |command: &[u8]| {
        if command.get(1) == Some(&stay_core::apdu::INS_SELECT) && command[0] & 0x0C == 0 {
            assert_eq!(command.get(5..13), Some(&stay_core::apdu::AID[..]));
        }
    };
    let card = HostileCard {
        rest: data,
        inspect,
    };
    let extended = data.first().is_some_and(|b| b & 1 == 0);
    let can = Can::parse("314159").unwrap();
    let mut n = 0u8;
    let random = |secret: &mut [u8; 32]| {
        n += 1;
        *secret = [n; 32];
    };
    let result = stay_core::terminal::border_check_with(card, &can, random, extended);
    if let Ok(reading) = result {
        assert!(reading.record().len() <= MAX_RECORD_LEN);
        for exchange in reading.transcript.exchanges() {
            assert!(matches!(
                exchange.command,
                Instruction::Select
                    | Instruction::ReadBinary
                    | Instruction::ManageSecurityEnvironment
                    | Instruction::GeneralAuthenticate
            ));
        }
        assert_eq!(reading.transcript.count(Instruction::Select), 2);
    }
});
