//! The border check's terminal side against a hostile card: whatever the card answers (the
//! input, cut into responses by its length bytes), the session returns, and a record it
//! accepts is no longer than the format allows.
#![no_main]
use libfuzzer_sys::fuzz_target;
use stay_core::record::MAX_RECORD_LEN;
use stay_core::terminal::{ApduLink, Session};

struct HostileCard<'a> {
    rest: &'a [u8],
}

impl ApduLink for HostileCard<'_> {
    type Error = ();
    fn exchange(&mut self, _command: &[u8], response: &mut [u8]) -> Result<usize, ()> {
        // Each answer: a 2-byte length, then that many bytes (fewer if the input ends).
        let [hi, lo, rest @ ..] = self.rest else {
            return Err(());
        };
        let len = usize::from(u16::from_be_bytes([*hi, *lo])).min(rest.len());
        let (answer, rest) = rest.split_at(len);
        self.rest = rest;
        let out = response.get_mut(..answer.len()).ok_or(())?;
        out.copy_from_slice(answer);
        Ok(answer.len())
    }
}

fuzz_target!(|data: &[u8]| {
    let mut card = HostileCard { rest: data };
    let mut session = Session::new(&mut card);
    session.extended_length = data.first().is_some_and(|b| b & 1 == 0);
    if let Ok(reading) = session.read_for_border_check([7; 16]) {
        assert!(reading.record().len() <= MAX_RECORD_LEN);
    }
});
