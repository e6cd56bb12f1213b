//! The station's side of personalization against a hostile card: whatever the card answers
//! (the input, cut into responses by 2-byte length prefixes), the session ends in an answer
//! or an error, never a panic; and a chip key it hands to the signer is a valid P-256 point.
#![no_main]
use libfuzzer_sys::fuzz_target;
use reader_host::card::{CardError, Session, Transport};

struct HostileCard<'a> {
    rest: &'a [u8],
}

impl Transport for HostileCard<'_> {
    fn transmit(&mut self, _command: &[u8]) -> Result<Vec<u8>, CardError> {
        let [hi, lo, rest @ ..] = self.rest else {
            return Err(CardError::Removed);
        };
        let len = usize::from(u16::from_be_bytes([*hi, *lo])).min(rest.len());
        let (answer, rest) = rest.split_at(len);
        self.rest = rest;
        Ok(answer.to_vec())
    }
}

fuzz_target!(|data: &[u8]| {
    let key = issuer::KeyPair::from_seed("fuzz personalization");
    let mut card = HostileCard { rest: data };
    let _ = Session::new(&mut card).personalize(
        &key,
        |chip| {
            assert!(stay_core::PublicKey::from_sec1(chip).is_ok());
            Ok(b"record".to_vec())
        },
        Some(b"portrait"),
    );
});
