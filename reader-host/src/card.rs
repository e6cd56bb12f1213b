//! The PC/SC link: one card connection as a [`stay_core::terminal::ApduLink`]. Everything
//! said to the card is `stay_core::terminal`'s; this file only carries the bytes.

use stay_core::terminal::{self, ApduLink, LinkError};
use stay_core::CHALLENGE_LEN;

/// Why the PC/SC link failed an exchange.
#[derive(Debug, thiserror::Error)]
pub enum LinkFailure {
    /// The card left the reader (or was reset by another client) mid-session.
    #[error("card removed")]
    Removed,
    #[error("card transport: {0}")]
    Reader(pcsc::Error),
}

impl From<pcsc::Error> for LinkFailure {
    /// Tells a card that left from anything else.
    fn from(e: pcsc::Error) -> LinkFailure {
        match e {
            pcsc::Error::RemovedCard
            | pcsc::Error::ResetCard
            | pcsc::Error::NoSmartcard
            | pcsc::Error::UnpoweredCard
            | pcsc::Error::UnresponsiveCard => LinkFailure::Removed,
            other => LinkFailure::Reader(other),
        }
    }
}

/// A card session's failure on the desk.
pub type CardError = terminal::CardError<LinkFailure>;

/// A connected PC/SC card.
pub struct PcscLink {
    card: pcsc::Card,
}

impl PcscLink {
    pub fn new(card: pcsc::Card) -> PcscLink {
        PcscLink { card }
    }

    /// The connection, for what is not an APDU exchange (status, attributes, raw tests).
    pub fn card(&self) -> &pcsc::Card {
        &self.card
    }

    /// The connection back, to disconnect it as the caller sees fit.
    pub fn into_card(self) -> pcsc::Card {
        self.card
    }
}

impl ApduLink for PcscLink {
    type Error = LinkFailure;

    fn exchange(
        &mut self,
        command: &[u8],
        response: &mut [u8],
    ) -> Result<usize, LinkError<LinkFailure>> {
        match self.card.transmit(command, response) {
            Ok(answer) => Ok(answer.len()),
            Err(pcsc::Error::InsufficientBuffer) => Err(LinkError::ResponseTooLong),
            Err(e) => match LinkFailure::from(e) {
                LinkFailure::Removed => Err(LinkError::Failed(LinkFailure::Removed)),
                // A reader that cannot carry an extended APDU fails it in the transport.
                _ if is_extended(command) => Err(LinkError::ExtendedLengthUnsupported),
                failure => Err(LinkError::Failed(failure)),
            },
        }
    }
}

/// Whether a command APDU is in extended form.
fn is_extended(command: &[u8]) -> bool {
    stay_core::apdu::Command::parse(command).is_ok_and(|c| c.extended)
}

/// A fresh random challenge for INTERNAL AUTHENTICATE.
pub fn fresh_challenge() -> [u8; CHALLENGE_LEN] {
    let mut challenge = [0u8; CHALLENGE_LEN];
    rand_core::RngCore::fill_bytes(&mut rand_core::OsRng, &mut challenge);
    challenge
}
