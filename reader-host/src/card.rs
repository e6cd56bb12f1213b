//! The PC/SC link: one card connection as a [`stay_core::terminal::ApduLink`]. Everything
//! said to the card is `stay_core::terminal`'s; this file only carries the bytes.

use stay_core::apdu::Status;
use stay_core::pace::Can;
use stay_core::sm::{SmFailure, SmLink, SM_RESPONSE_MAX};
use stay_core::terminal::{self, ApduLink, ChipReading, LinkError, Session};
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

/// Why a border check through PC/SC gave no reading: before PACE (or without it), or on the
/// secure channel.
#[derive(Debug)]
pub enum ReadFailure {
    Plain(CardError),
    Secure(terminal::CardError<SmFailure<LinkFailure>>),
}

impl std::fmt::Display for ReadFailure {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            ReadFailure::Plain(e) if self.needs_pace() => write!(
                f,
                "{e}: this card opens only over PACE; give the CAN printed on its face (--can)"
            ),
            ReadFailure::Plain(e) => write!(f, "{e}"),
            ReadFailure::Secure(e) => write!(f, "{e}"),
        }
    }
}

impl std::error::Error for ReadFailure {}

impl ReadFailure {
    /// The card refused its FCI outside a secure channel: it takes PACE, and no CAN was
    /// given.
    pub fn needs_pace(&self) -> bool {
        matches!(
            self,
            ReadFailure::Plain(terminal::CardError::Status {
                command: terminal::Instruction::Select,
                status: Status::SecurityStatusNotSatisfied,
            })
        )
    }
}

/// The border check on `link`: as it is, or, with the card's CAN, over PACE's secure
/// channel (the terminal's PACE keys and the challenge from the OS generator).
pub fn border_check<L: ApduLink<Error = LinkFailure>>(
    link: L,
    can: Option<&Can>,
) -> Result<ChipReading, ReadFailure> {
    let mut session = Session::new(link);
    let Some(can) = can else {
        return session
            .read_for_border_check(fresh_challenge())
            .map_err(ReadFailure::Plain);
    };
    let established = session
        .establish_pace(can, |secret| {
            rand_core::RngCore::fill_bytes(&mut rand_core::OsRng, secret)
        })
        .map_err(ReadFailure::Plain)?;
    let link = SmLink::<_, SM_RESPONSE_MAX>::new(session.into_link(), established.channel);
    Session::new(link)
        .read_for_border_check(fresh_challenge())
        .map_err(ReadFailure::Secure)
}
