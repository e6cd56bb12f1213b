//! The PC/SC link: one card connection as a [`stay_core::terminal::ApduLink`]. Everything
//! said to the card is `stay_core::terminal`'s; this file only carries the bytes.

use stay_core::apdu::Status;
use stay_core::pace::{Can, PaceError};
use stay_core::sm::SmFailure;
use stay_core::terminal::{self, ApduLink, BorderChannel, ChipReading, LinkError};

/// Why the PC/SC link failed an exchange.
#[derive(Debug, thiserror::Error)]
pub enum LinkFailure {
    /// The card left the reader (or was reset by another client) mid-session.
    #[error("card removed")]
    Removed,
    #[error("card transport: {0}")]
    Reader(pcsc::Error),
    /// The session's deadline passed before this command.
    #[error("the card took too long")]
    TimedOut,
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
    /// No command is sent after this instant (the exchange fails as `TimedOut`).
    pub deadline: Option<std::time::Instant>,
}

impl PcscLink {
    pub fn new(card: pcsc::Card) -> PcscLink {
        PcscLink {
            card,
            deadline: None,
        }
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
        if self
            .deadline
            .is_some_and(|deadline| std::time::Instant::now() >= deadline)
        {
            return Err(LinkError::Failed(LinkFailure::TimedOut));
        }
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

/// Why a border check through PC/SC gave no reading.
pub type ReadFailure = terminal::BorderCheckError<LinkFailure>;

/// Whether the failure is the card refusing the CAN: PACE's tokens did not match.
pub fn wrong_can(failure: &ReadFailure) -> bool {
    matches!(
        failure,
        terminal::BorderCheckError::Pace(
            terminal::CardError::Pace(PaceError::BadToken)
                | terminal::CardError::Status {
                    command: terminal::Instruction::GeneralAuthenticate,
                    status: Status::AuthenticationFailed,
                }
        )
    )
}

/// Whether the card left the reader during the check.
pub fn card_removed(failure: &ReadFailure) -> bool {
    matches!(
        failure,
        terminal::BorderCheckError::Pace(terminal::CardError::Link(LinkFailure::Removed))
            | terminal::BorderCheckError::Secure(terminal::CardError::Link(SmFailure::Link(
                LinkFailure::Removed
            )))
    )
}

/// The border check on `link` with the card's CAN: PACE-CAM, the terminal's secrets from
/// the operating system's generator, then the reading over the secure channel.
pub fn border_check<L: ApduLink<Error = LinkFailure>>(
    link: L,
    can: &Can,
) -> Result<ChipReading, ReadFailure> {
    terminal::border_check(link, can, |secret| {
        rand_core::RngCore::fill_bytes(&mut rand_core::OsRng, secret)
    })
}

/// [`border_check`], keeping the secure channel open: the verdict is given from the reading
/// at once, and the portrait is read over the same channel afterwards ([`read_portrait`]).
pub fn open_border_check<L: ApduLink<Error = LinkFailure>>(
    link: L,
    can: &Can,
) -> Result<BorderChannel<L>, ReadFailure> {
    terminal::open_border_check(link, can, |secret| {
        rand_core::RngCore::fill_bytes(&mut rand_core::OsRng, secret)
    })
}

/// How long the portrait may take after the verdict: a card (or a relay) that keeps the
/// reader busy gets no more, and no `Valid` (`portrait-not-read`).
pub const PORTRAIT_DEADLINE: std::time::Duration = std::time::Duration::from_secs(3);

/// What the chip gave when its portrait was asked for, after the verdict.
#[derive(Debug)]
pub enum PortraitRead {
    /// The portrait file's bytes; `None`: the card holds no portrait.
    File(Option<Vec<u8>>),
    /// The card itself refused, over the channel (a status word under its MAC, a file
    /// longer than allowed): it does not give the signed portrait.
    Refused(terminal::CardError<SmFailure<LinkFailure>>),
    /// No answer to go by: the card left, the link or the channel failed, the deadline
    /// passed. Nothing is known of the portrait.
    Unread(terminal::CardError<SmFailure<LinkFailure>>),
}

impl PortraitRead {
    /// The portrait check this reading gives for `record`.
    pub fn check(&self, record: &[u8]) -> stay_core::PortraitCheck {
        match self {
            PortraitRead::File(bytes) => stay_core::check_portrait(record, bytes.as_deref()),
            PortraitRead::Refused(_) => stay_core::PortraitCheck::Mismatch,
            PortraitRead::Unread(_) => stay_core::PortraitCheck::NotRead,
        }
    }
}

/// Whether an authentic record names a portrait: the one thing that says a portrait must be
/// read (never the fields a role is shown, which may leave the digest out).
pub fn names_portrait(record: &[u8]) -> bool {
    stay_core::StayRecord::parse(record).is_ok_and(|r| r.fields.portrait_digest.is_some())
}

/// Reads the portrait over the border check's channel, within [`PORTRAIT_DEADLINE`] (the
/// bytes are checked against the record's digest by `stay_core::check_portrait`, never
/// here).
pub fn read_portrait<L>(channel: &mut BorderChannel<L>) -> PortraitRead
where
    L: ApduLink<Error = LinkFailure> + std::borrow::BorrowMut<PcscLink>,
{
    let mut buf = vec![0u8; terminal::PORTRAIT_BUFFER];
    let buf: &mut [u8; terminal::PORTRAIT_BUFFER] =
        buf.as_mut_slice().try_into().expect("sized above");
    channel.link_mut().borrow_mut().deadline = Some(std::time::Instant::now() + PORTRAIT_DEADLINE);
    let read = channel.read_portrait(buf);
    channel.link_mut().borrow_mut().deadline = None;
    match read {
        Ok(len) => PortraitRead::File(len.map(|len| buf[..len].to_vec())),
        // A status the card answered under the channel's MAC, or a file too long: the card's
        // own refusal. A wrong length is what a link that cannot carry the command says too.
        Err(e @ (terminal::CardError::Status { .. } | terminal::CardError::Malformed { .. }))
            if !matches!(
                e,
                terminal::CardError::Status {
                    status: Status::WrongLength,
                    ..
                }
            ) =>
        {
            PortraitRead::Refused(e)
        }
        Err(e) => PortraitRead::Unread(e),
    }
}
