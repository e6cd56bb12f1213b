//! The border check's terminal side against a hostile card: whatever the card answers (the
//! input, cut into responses by its length bytes), the session returns; a record it accepts
//! is no longer than the format allows, and it came after a SELECT whose FCI named the stay
//! application; the terminal sends nothing but the three border-check commands.
#![no_main]
use libfuzzer_sys::fuzz_target;
use stay_core::record::MAX_RECORD_LEN;
use stay_core::terminal::{ApduLink, Instruction, LinkError, Session};

struct HostileCard<'a> {
    rest: &'a [u8],
}

impl ApduLink for HostileCard<'_> {
    type Error = ();
    fn exchange(&mut self, command: &[u8], response: &mut [u8]) -> Result<usize, LinkError<()>> {
        // The terminal selects the stay AID and nothing else.
        if command.get(1) == Some(&stay_core::apdu::INS_SELECT) {
            assert_eq!(command.get(5..13), Some(&stay_core::apdu::AID[..]));
        }
        // Each answer: a 2-byte length, then that many bytes (fewer if the input ends).
        let [hi, lo, rest @ ..] = self.rest else {
            return Err(LinkError::Failed(()));
        };
        let len = usize::from(u16::from_be_bytes([*hi, *lo])).min(rest.len());
        let (answer, rest) = rest.split_at(len);
        self.rest = rest;
        if *hi == 0xFF {
            return Err(LinkError::ExtendedLengthUnsupported);
        }
        let out = response
            .get_mut(..answer.len())
            .ok_or(LinkError::ResponseTooLong)?;
        out.copy_from_slice(answer);
        Ok(answer.len())
    }
}

fuzz_target!(|data: &[u8]| {
    let mut session = Session::new(HostileCard { rest: data });
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
