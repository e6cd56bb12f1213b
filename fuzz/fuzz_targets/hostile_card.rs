//! A hostile card for the terminal targets: the fuzz input, cut into answers by 2-byte
//! length prefixes (fewer bytes when the input ends); a length whose first byte is `FF`
//! plays a link that cannot carry extended length. `inspect` sees every command first.

use stay_core::terminal::{deliver, ApduLink, LinkError};

pub struct HostileCard<'a, F: FnMut(&[u8])> {
    pub rest: &'a [u8],
    pub inspect: F,
}

impl<F: FnMut(&[u8])> ApduLink for HostileCard<'_, F> {
    type Error = ();
    fn exchange(&mut self, command: &[u8], response: &mut [u8]) -> Result<usize, LinkError<()>> {
        (self.inspect)(command);
        let [hi, lo, rest @ ..] = self.rest else {
            return Err(LinkError::Failed(()));
        };
        let len = usize::from(u16::from_be_bytes([*hi, *lo])).min(rest.len());
        let (answer, rest) = rest.split_at(len);
        self.rest = rest;
        if *hi == 0xFF {
            return Err(LinkError::ExtendedLengthUnsupported);
        }
        deliver(answer, response)
    }
}
