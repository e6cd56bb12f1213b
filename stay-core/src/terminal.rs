//! The one terminal: every conversation with the card, without a heap, over any APDU link.
//! The desk (`reader-host`, over PC/SC), the scanner firmware (over its PN532) and the
//! personalization station (`station`) all run exactly this.
//!
//! The border check ([`border_check`]): PACE-CAM with the card's CAN (SELECT without FCI,
//! EF.CardAccess, MSE: Set AT, four GENERAL AUTHENTICATE), then over secure messaging SELECT
//! of the resident-card AID (its FCI must name that AID) and one extended READ BINARY of the
//! record (short reads of 256 bytes when the card or the link refuse extended length). The
//! chip proves its key inside PACE ([`crate::chip_proof`]); nothing it sends is a signature.
//! Personalization: SELECT of a blank card, GET CHALLENGE and EXTERNAL AUTHENTICATE
//! (station authentication), GENERATE ASYMMETRIC KEY PAIR, STORE DATA, SET STATUS.
//!
//! Every exchange is kept in the session's [`Transcript`] (command, parameters, bytes, status
//! word), so a reading shows what was asked and answered, not only its result. The terminal
//! never sends a command to any other application: it selects the stay AID exactly and
//! never relies on a default application.

use core::fmt;

use crate::apdu::{
    self as iso, Command, Fci, FciError, Status, AID, CARD_CHALLENGE_LEN, NE_MAX_EXTENDED,
    NE_MAX_SHORT, STORE_BLOCK_MAX,
};
use crate::chip_proof::ChipAuthentication;
use crate::pace::{self, Can, Established, PaceError, TerminalPace};
use crate::record::MAX_RECORD_LEN;
use crate::signature::{PUBLIC_KEY_LEN, SIGNATURE_LEN};
use crate::sm::{SmFailure, SmLink, SM_RESPONSE_MAX};
use crate::tlv;

/// The longest command APDU the terminal sends: a full STORE DATA block (header, Lc, 255
/// bytes) with room for Le.
pub const COMMAND_MAX: usize = 5 + STORE_BLOCK_MAX + 1;

/// How a link fails an exchange.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum LinkError<E> {
    /// The link itself failed (card left the field or the reader, front end error).
    Failed(E),
    /// The response did not fit the room the terminal gave it.
    ResponseTooLong,
    /// The link cannot carry an extended-length APDU; short ones may still work.
    ExtendedLengthUnsupported,
}

/// Carries one command APDU to the card and its response back (status word included).
pub trait ApduLink {
    type Error: fmt::Debug;
    /// Sends `command`; writes the response to `response` and returns its length.
    fn exchange(
        &mut self,
        command: &[u8],
        response: &mut [u8],
    ) -> Result<usize, LinkError<Self::Error>>;
}

/// For a link that holds the card's whole answer (an in-process card, a test script):
/// copies it into the terminal's `response`, or says it does not fit.
pub fn deliver<E>(answer: &[u8], response: &mut [u8]) -> Result<usize, LinkError<E>> {
    let room = response
        .get_mut(..answer.len())
        .ok_or(LinkError::ResponseTooLong)?;
    room.copy_from_slice(answer);
    Ok(answer.len())
}

impl<L: ApduLink + ?Sized> ApduLink for &mut L {
    type Error = L::Error;
    fn exchange(
        &mut self,
        command: &[u8],
        response: &mut [u8],
    ) -> Result<usize, LinkError<L::Error>> {
        (**self).exchange(command, response)
    }
}

/// The commands the terminal sends.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Instruction {
    Select,
    ReadBinary,
    GetChallenge,
    ExternalAuthenticate,
    GenerateKeyPair,
    StoreData,
    SetStatus,
    ManageSecurityEnvironment,
    GeneralAuthenticate,
}

impl Instruction {
    pub const ALL: [Instruction; 9] = [
        Instruction::Select,
        Instruction::ReadBinary,
        Instruction::GetChallenge,
        Instruction::ExternalAuthenticate,
        Instruction::GenerateKeyPair,
        Instruction::StoreData,
        Instruction::SetStatus,
        Instruction::ManageSecurityEnvironment,
        Instruction::GeneralAuthenticate,
    ];

    /// Its name in ISO/IEC 7816-4 and docs/apdu.md.
    pub const fn name(self) -> &'static str {
        match self {
            Instruction::Select => "SELECT",
            Instruction::ReadBinary => "READ BINARY",
            Instruction::GetChallenge => "GET CHALLENGE",
            Instruction::ExternalAuthenticate => "EXTERNAL AUTHENTICATE",
            Instruction::GenerateKeyPair => "GENERATE ASYMMETRIC KEY PAIR",
            Instruction::StoreData => "STORE DATA",
            Instruction::SetStatus => "SET STATUS",
            Instruction::ManageSecurityEnvironment => "MANAGE SECURITY ENVIRONMENT",
            Instruction::GeneralAuthenticate => "GENERAL AUTHENTICATE",
        }
    }

    pub const fn ins(self) -> u8 {
        match self {
            Instruction::Select => iso::INS_SELECT,
            Instruction::ReadBinary => iso::INS_READ_BINARY,
            Instruction::GetChallenge => iso::INS_GET_CHALLENGE,
            Instruction::ExternalAuthenticate => iso::INS_EXTERNAL_AUTHENTICATE,
            Instruction::GenerateKeyPair => iso::INS_GENERATE_KEY_PAIR,
            Instruction::StoreData => iso::INS_STORE_DATA,
            Instruction::SetStatus => iso::INS_SET_STATUS,
            Instruction::ManageSecurityEnvironment => iso::INS_MANAGE_SECURITY_ENVIRONMENT,
            Instruction::GeneralAuthenticate => iso::INS_GENERAL_AUTHENTICATE,
        }
    }

    const fn index(self) -> usize {
        self as usize
    }
}

impl fmt::Display for Instruction {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.name())
    }
}

/// What was wrong with an answer the protocol does not allow.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Malformation {
    /// The command did not fit [`COMMAND_MAX`] (a terminal bug, never the card's).
    CommandTooLong,
    /// Fewer than two bytes: no status word.
    NoStatusWord,
    /// More bytes than the command asked for.
    ResponseTooLong,
    /// A file longer than the format allows.
    FileTooLong,
    /// SELECT's FCI is not `6F{84 AID, 8A LCS, A5{C1 serial}}`.
    Fci,
    /// GET CHALLENGE's challenge is not 16 bytes.
    ChallengeLength,
    /// GENERATE's answer is not `7F49{86 uncompressed point}` on the curve.
    PublicKey,
    /// STORE DATA of more than 256 blocks (the block number is one byte).
    TooManyBlocks,
    /// Data returned by a command that returns none.
    UnexpectedData,
}

impl Malformation {
    pub const fn description(self) -> &'static str {
        match self {
            Malformation::CommandTooLong => "command too long",
            Malformation::NoStatusWord => "no status word",
            Malformation::ResponseTooLong => "response longer than asked for",
            Malformation::FileTooLong => "file longer than the format allows",
            Malformation::Fci => "FCI is not 6F{84 AID, 8A LCS, A5{C1 serial}}",
            Malformation::ChallengeLength => "challenge is not 16 bytes",
            Malformation::PublicKey => "not 7F49{86 uncompressed point}",
            Malformation::TooManyBlocks => "payload needs more than 256 blocks",
            Malformation::UnexpectedData => "data returned where none belongs",
        }
    }
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub enum CardError<E> {
    /// The link failed (card left the field or the reader, front end error).
    Link(E),
    /// The card has no resident-card application: SELECT of the stay AID was refused with
    /// this status word, or answered with another application's FCI (then `Success`).
    NotResidentCard(Status),
    /// The card answered a status that ends this step.
    Status {
        command: Instruction,
        status: Status,
    },
    /// The card answered something the protocol does not allow.
    Malformed {
        command: Instruction,
        why: Malformation,
    },
    /// Personalization asked of a card that is locked: already personalized (or spoiled).
    Locked,
    /// PACE failed on the terminal's side: the card's answers do not make a channel (its
    /// token does not match, a point is not on the curve, ...).
    Pace(PaceError),
    /// EF.CardAccess offers no PACE this terminal speaks.
    NoCommonPace,
}

impl<E: fmt::Display> fmt::Display for CardError<E> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            CardError::Link(e) => write!(f, "{e}"),
            CardError::NotResidentCard(Status::Success) => {
                f.write_str("not a resident card: the card selected another application")
            }
            CardError::NotResidentCard(status) => {
                write!(f, "not a resident card: SELECT answered {status}")
            }
            CardError::Status { command, status } => {
                write!(f, "{command}: the card answered {status}")
            }
            CardError::Malformed { command, why } => {
                write!(f, "{command}: malformed answer: {}", why.description())
            }
            CardError::Locked => f.write_str("the card is locked; personalization is over"),
            CardError::Pace(e) => write!(f, "PACE failed: {e:?}"),
            CardError::NoCommonPace => {
                f.write_str("the card offers no PACE protocol this terminal speaks")
            }
        }
    }
}

impl<E: fmt::Debug + fmt::Display> core::error::Error for CardError<E> {}

/// One exchange as the transcript keeps it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Exchange {
    pub command: Instruction,
    pub p1: u8,
    pub p2: u8,
    /// Bytes of the command APDU.
    pub sent: u16,
    /// Bytes of the response APDU, status word included.
    pub received: u16,
    /// `None` when the link failed or the answer had no status word.
    pub status: Option<Status>,
}

/// Exchanges a transcript keeps one by one; a personalization with a large portrait sends
/// more STORE DATA blocks, which are counted but not kept.
pub const TRANSCRIPT_KEPT: usize = 24;

/// What a session said to the card and heard back: the first [`TRANSCRIPT_KEPT`]
/// exchanges, and the totals of all of them.
#[derive(Clone, Copy, PartialEq, Eq)]
pub struct Transcript {
    kept: [Option<Exchange>; TRANSCRIPT_KEPT],
    counts: [u32; Instruction::ALL.len()],
    /// Round trips.
    pub apdus: u32,
    pub bytes_sent: usize,
    pub bytes_received: usize,
}

impl Default for Transcript {
    fn default() -> Self {
        Transcript {
            kept: [None; TRANSCRIPT_KEPT],
            counts: [0; Instruction::ALL.len()],
            apdus: 0,
            bytes_sent: 0,
            bytes_received: 0,
        }
    }
}

impl fmt::Debug for Transcript {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_list().entries(self.exchanges()).finish()
    }
}

impl Transcript {
    /// The kept exchanges, in order.
    pub fn exchanges(&self) -> impl Iterator<Item = &Exchange> + '_ {
        self.kept.iter().map_while(Option::as_ref)
    }

    /// How many times `command` was sent (kept or not).
    pub fn count(&self, command: Instruction) -> u32 {
        self.counts[command.index()]
    }

    /// `other`'s exchanges after this one's (those past [`TRANSCRIPT_KEPT`] counted only).
    pub fn append(&mut self, other: &Transcript) {
        for exchange in other.exchanges() {
            self.keep(*exchange);
        }
        self.apdus += other.apdus;
        self.bytes_sent += other.bytes_sent;
        self.bytes_received += other.bytes_received;
        for (mine, theirs) in self.counts.iter_mut().zip(other.counts) {
            *mine += theirs;
        }
    }

    fn keep(&mut self, exchange: Exchange) {
        if let Some(slot) = self.kept.iter_mut().find(|slot| slot.is_none()) {
            *slot = Some(exchange);
        }
    }

    fn note(&mut self, exchange: Exchange) {
        self.apdus += 1;
        self.bytes_sent += usize::from(exchange.sent);
        self.bytes_received += usize::from(exchange.received);
        self.counts[exchange.command.index()] += 1;
        self.keep(exchange);
    }
}

/// What the card gave the border check.
#[derive(Clone)]
pub struct ChipReading {
    record: [u8; MAX_RECORD_LEN],
    record_len: usize,
    /// The serial number the FCI reported.
    pub serial: [u8; iso::SERIAL_LEN],
    /// PACE-CAM's proof of the chip key; `None` when the card sent none, which the
    /// verification turns into `Invalid(chip-proof-missing)`.
    pub chip_authentication: Option<ChipAuthentication>,
    /// Every exchange of the check, in order: PACE's in the clear, then the secure ones.
    pub transcript: Transcript,
}

impl fmt::Debug for ChipReading {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("ChipReading")
            .field("record_len", &self.record_len)
            .field("chip_authentication", &self.chip_authentication.is_some())
            .field("transcript", &self.transcript)
            .finish()
    }
}

impl ChipReading {
    pub fn record(&self) -> &[u8] {
        &self.record[..self.record_len]
    }

    pub fn proof(&self) -> Option<&ChipAuthentication> {
        self.chip_authentication.as_ref()
    }
}

/// An answer: its data length (at the start of the response buffer) and status word.
enum Answer {
    Response(usize, Status),
    /// The link cannot carry this extended-length command.
    ExtendedRefused,
}

/// A session with the card on `link`.
pub struct Session<L: ApduLink> {
    link: L,
    pub transcript: Transcript,
    /// Try one extended-length READ BINARY before falling back to short reads.
    pub extended_length: bool,
}

impl<L: ApduLink> Session<L> {
    pub fn new(link: L) -> Self {
        Session {
            link,
            transcript: Transcript::default(),
            extended_length: true,
        }
    }

    /// The link back, when the session is over.
    pub fn into_link(self) -> L {
        self.link
    }

    pub fn link_mut(&mut self) -> &mut L {
        &mut self.link
    }

    fn send(
        &mut self,
        command: Instruction,
        apdu: &Command<'_>,
        response: &mut [u8],
    ) -> Result<Answer, CardError<L::Error>> {
        let malformed = |why| CardError::Malformed { command, why };
        let mut bytes = [0u8; COMMAND_MAX];
        let n = apdu
            .write(&mut bytes)
            .ok_or(malformed(Malformation::CommandTooLong))?;
        let mut exchange = Exchange {
            command,
            p1: apdu.p1,
            p2: apdu.p2,
            sent: n as u16,
            received: 0,
            status: None,
        };
        let result = self.link.exchange(&bytes[..n], response);
        if let Ok(len) = result {
            exchange.received = u16::try_from(len).unwrap_or(u16::MAX);
            if let Some([sw1, sw2]) = len
                .checked_sub(2)
                .and_then(|at| response.get(at..len))
                .and_then(|sw| <[u8; 2]>::try_from(sw).ok())
            {
                exchange.status = Some(Status::from_bytes(sw1, sw2));
            }
        }
        self.transcript.note(exchange);
        match result {
            Ok(len) if len > response.len() => Err(malformed(Malformation::ResponseTooLong)),
            Ok(len) => match exchange.status {
                Some(status) => Ok(Answer::Response(len - 2, status)),
                None => Err(malformed(Malformation::NoStatusWord)),
            },
            Err(LinkError::Failed(e)) => Err(CardError::Link(e)),
            Err(LinkError::ResponseTooLong) => Err(malformed(Malformation::ResponseTooLong)),
            Err(LinkError::ExtendedLengthUnsupported) if apdu.needs_extended() => {
                Ok(Answer::ExtendedRefused)
            }
            // A link that refuses a short command for its length has nothing to fall back
            // to: the card never answered.
            Err(LinkError::ExtendedLengthUnsupported) => Err(CardError::Status {
                command,
                status: Status::WrongLength,
            }),
        }
    }

    /// One round trip that must answer `9000`; returns the response data's length.
    fn expect_success(
        &mut self,
        command: Instruction,
        apdu: &Command<'_>,
        response: &mut [u8],
    ) -> Result<usize, CardError<L::Error>> {
        match self.send(command, apdu, response)? {
            Answer::Response(len, Status::Success) => Ok(len),
            Answer::Response(_, status) => Err(CardError::Status { command, status }),
            Answer::ExtendedRefused => Err(CardError::Status {
                command,
                status: Status::WrongLength,
            }),
        }
    }

    /// SELECT the resident-card application by its full AID and read its FCI. A card that
    /// refuses the AID, or answers with another application's FCI, is not a resident card.
    pub fn select(&mut self) -> Result<Fci, CardError<L::Error>> {
        const COMMAND: Instruction = Instruction::Select;
        let apdu =
            Command::new(iso::CLA_ISO, iso::INS_SELECT, 0x04, 0x00, &AID).expect(NE_MAX_SHORT);
        let mut response = [0u8; NE_MAX_SHORT as usize + 2];
        match self.send(COMMAND, &apdu, &mut response)? {
            Answer::Response(len, Status::Success) => match Fci::parse(&response[..len]) {
                Ok(fci) => Ok(fci),
                Err(FciError::ForeignApplication) => {
                    Err(CardError::NotResidentCard(Status::Success))
                }
                Err(FciError::Malformed) => Err(CardError::Malformed {
                    command: COMMAND,
                    why: Malformation::Fci,
                }),
            },
            Answer::Response(_, status) if refuses_the_aid(status) => {
                Err(CardError::NotResidentCard(status))
            }
            Answer::Response(_, status) => Err(CardError::Status {
                command: COMMAND,
                status,
            }),
            Answer::ExtendedRefused => Err(CardError::Status {
                command: COMMAND,
                status: Status::WrongLength,
            }),
        }
    }

    /// Reads an elementary file by short identifier into `buf`: one extended READ BINARY,
    /// or short reads of 256 bytes when the card or the link refuse extended length. The
    /// last two bytes of `buf` are room for the status word, so the longest file accepted
    /// is `buf.len() - 2` bytes: a hostile card cannot make us read forever. `None`: the
    /// card has no such file.
    pub fn read_file(
        &mut self,
        sfi: u8,
        buf: &mut [u8],
    ) -> Result<Option<usize>, CardError<L::Error>> {
        let too_long = read_too_long::<L::Error>;
        let refused = read_refused::<L::Error>;
        if buf.len() < 2 {
            return Err(too_long());
        }
        let first = Command::new(iso::CLA_ISO, iso::INS_READ_BINARY, 0x80 | sfi, 0, &[]);
        if self.extended_length {
            match self.send(Instruction::ReadBinary, &first.expect(NE_MAX_EXTENDED), buf) {
                Ok(Answer::Response(len, Status::Success)) => return Ok(Some(len)),
                Ok(Answer::Response(_, Status::NotFound)) => return Ok(None),
                // Wrong length: the card cannot answer extended length.
                Ok(Answer::Response(_, Status::WrongLength) | Answer::ExtendedRefused) => {}
                Ok(Answer::Response(_, status)) => return Err(refused(status)),
                Err(CardError::Malformed {
                    why: Malformation::ResponseTooLong,
                    ..
                }) => return Err(too_long()),
                Err(e) => return Err(e),
            }
        }
        self.read_in_chunks(sfi, buf, NE_MAX_SHORT)
    }

    /// Reads a file by short identifier in READ BINARY commands of `chunk` bytes each (256
    /// short; up to [`PORTRAIT_CHUNK`] extended, which one protected answer still holds).
    /// Bounds as [`Session::read_file`]: at most `buf.len() - 2` bytes, `None` for no file.
    pub fn read_in_chunks(
        &mut self,
        sfi: u8,
        buf: &mut [u8],
        chunk: u32,
    ) -> Result<Option<usize>, CardError<L::Error>> {
        let too_long = read_too_long::<L::Error>;
        let refused = read_refused::<L::Error>;
        let max_len = buf.len().checked_sub(2).ok_or_else(too_long)?;
        let mut offset = 0;
        loop {
            let apdu = if offset == 0 {
                Command::new(iso::CLA_ISO, iso::INS_READ_BINARY, 0x80 | sfi, 0, &[])
            } else {
                // P1 P2 with b8 of P1 clear holds 15 bits: past that no offset can be said.
                let offset = u16::try_from(offset)
                    .ok()
                    .filter(|o| *o <= 0x7FFF)
                    .ok_or_else(too_long)?;
                let [hi, lo] = offset.to_be_bytes();
                Command::new(iso::CLA_ISO, iso::INS_READ_BINARY, hi, lo, &[])
            }
            .expect(chunk);
            // Room for what Le asked and its status word: a longer answer is refused.
            let room = buf.get_mut(offset..).ok_or_else(too_long)?;
            let room_len = room.len().min(chunk as usize + 2);
            let room = &mut room[..room_len];
            let (len, status) = match self.send(Instruction::ReadBinary, &apdu, room) {
                Ok(Answer::Response(len, status)) => (len, status),
                Ok(Answer::ExtendedRefused) => return Err(refused(Status::WrongLength)),
                Err(CardError::Malformed {
                    why: Malformation::ResponseTooLong,
                    ..
                }) => return Err(too_long()),
                Err(e) => return Err(e),
            };
            match status {
                Status::Success => {}
                // Fewer bytes than a non-wildcard Le asked: this was the file's end.
                Status::EndOfFile => {}
                Status::NotFound if offset == 0 => return Ok(None),
                // Offset just past the end: the file was a multiple of the chunk.
                Status::WrongParameters if offset > 0 => return Ok(Some(offset)),
                status => return Err(refused(status)),
            }
            offset += len;
            if offset > max_len {
                return Err(too_long());
            }
            if len < chunk as usize {
                return Ok(Some(offset));
            }
        }
    }

    /// The border check's reading, over the secure channel: SELECT with the FCI, the record.
    /// `chip_authentication` is what PACE-CAM gave on this channel.
    pub fn read_for_border_check(
        &mut self,
        chip_authentication: Option<ChipAuthentication>,
    ) -> Result<ChipReading, CardError<L::Error>> {
        let fci = self.select()?;
        let mut buf = [0u8; MAX_RECORD_LEN + 2];
        let record_len = self
            .read_file(iso::SFI_RECORD, &mut buf)?
            .ok_or(CardError::Status {
                command: Instruction::ReadBinary,
                status: Status::NotFound,
            })?;
        let mut record = [0u8; MAX_RECORD_LEN];
        record[..record_len].copy_from_slice(&buf[..record_len]);
        Ok(ChipReading {
            record,
            record_len,
            serial: fci.serial,
            chip_authentication,
            transcript: self.transcript,
        })
    }

    /// SELECT of the stay AID without the FCI: what a card that takes PACE answers before
    /// the channel exists.
    pub fn select_without_fci(&mut self) -> Result<(), CardError<L::Error>> {
        const COMMAND: Instruction = Instruction::Select;
        let apdu = Command::new(iso::CLA_ISO, iso::INS_SELECT, 0x04, 0x0C, &AID);
        let mut response = [0u8; 2];
        match self.send(COMMAND, &apdu, &mut response) {
            Ok(Answer::Response(_, Status::Success)) => Ok(()),
            Ok(Answer::Response(_, status)) if refuses_the_aid(status) => {
                Err(CardError::NotResidentCard(status))
            }
            Ok(Answer::Response(_, status)) => Err(CardError::Status {
                command: COMMAND,
                status,
            }),
            Ok(Answer::ExtendedRefused) => Err(CardError::Status {
                command: COMMAND,
                status: Status::WrongLength,
            }),
            Err(CardError::Malformed {
                why: Malformation::ResponseTooLong,
                ..
            }) => Err(CardError::Malformed {
                command: COMMAND,
                why: Malformation::UnexpectedData,
            }),
            Err(e) => Err(e),
        }
    }

    /// PACE with the CAN (ICAO 9303-11 §4.4): SELECT without the FCI, EF.CardAccess, MSE:
    /// Set AT, the four chained GENERAL AUTHENTICATE steps. `random` fills the terminal's two
    /// secret keys (fresh for every run, or the channel's keys repeat). On success the
    /// channel's keys; run the border check over `SmLink` with them.
    pub fn establish_pace(
        &mut self,
        can: &Can,
        mut random: impl FnMut(&mut [u8; 32]),
    ) -> Result<Established, CardError<L::Error>> {
        self.select_without_fci()?;
        let mut access = [0u8; 64 + 2];
        match self.read_file(iso::SFI_CARD_ACCESS, &mut access)? {
            Some(len) if access[..len] == pace::CARD_ACCESS => {}
            _ => return Err(CardError::NoCommonPace),
        }
        let apdu = Command::new(
            iso::CLA_ISO,
            iso::INS_MANAGE_SECURITY_ENVIRONMENT,
            iso::MSE_SET_AT[0],
            iso::MSE_SET_AT[1],
            &pace::MSE_SET_AT_DATA,
        );
        self.expect_no_data(Instruction::ManageSecurityEnvironment, &apdu)?;
        let mut pace = TerminalPace::new(can);
        let mut answer = [0u8; pace::MESSAGE_MAX + 2];
        let failed = CardError::Pace;
        let len = self.general_authenticate(pace.start().bytes(), true, &mut answer)?;
        let mut secret = [0u8; 32];
        random(&mut secret);
        let message = pace.on_nonce(&answer[..len], &secret).map_err(failed)?;
        let len = self.general_authenticate(message.bytes(), true, &mut answer)?;
        random(&mut secret);
        let message = pace.on_mapping(&answer[..len], &secret).map_err(failed)?;
        let len = self.general_authenticate(message.bytes(), true, &mut answer)?;
        let message = pace.on_ephemeral(&answer[..len]).map_err(failed)?;
        let len = self.general_authenticate(message.bytes(), false, &mut answer)?;
        pace.on_token(&answer[..len]).map_err(failed)
    }

    /// One GENERAL AUTHENTICATE step; `chained` for all but the last.
    fn general_authenticate(
        &mut self,
        data: &[u8],
        chained: bool,
        answer: &mut [u8],
    ) -> Result<usize, CardError<L::Error>> {
        let cla = if chained {
            iso::CLA_CHAINING
        } else {
            iso::CLA_ISO
        };
        let apdu =
            Command::new(cla, iso::INS_GENERAL_AUTHENTICATE, 0, 0, data).expect(NE_MAX_SHORT);
        self.expect_success(Instruction::GeneralAuthenticate, &apdu, answer)
    }

    /// Personalization's first step: SELECT, and refuse a card that is already locked
    /// (a locked card answers the FCI only over PACE: 6982 here).
    pub fn select_blank(&mut self) -> Result<Fci, CardError<L::Error>> {
        let fci = match self.select() {
            // Only a locked card keeps its FCI behind PACE.
            Err(CardError::Status {
                command: Instruction::Select,
                status: Status::SecurityStatusNotSatisfied,
            }) => return Err(CardError::Locked),
            other => other?,
        };
        if fci.locked {
            return Err(CardError::Locked);
        }
        Ok(fci)
    }

    /// Station authentication: GET CHALLENGE, then EXTERNAL AUTHENTICATE with `sign`'s
    /// signature (the personalization key's) over [`iso::personalization_message`].
    pub fn authenticate_station(
        &mut self,
        fci: &Fci,
        sign: impl FnOnce(&[u8; 40]) -> [u8; SIGNATURE_LEN],
    ) -> Result<(), CardError<L::Error>> {
        let apdu = Command::new(iso::CLA_ISO, iso::INS_GET_CHALLENGE, 0, 0, &[])
            .expect(CARD_CHALLENGE_LEN as u32);
        let mut response = [0u8; CARD_CHALLENGE_LEN + 2];
        let len = self.expect_success(Instruction::GetChallenge, &apdu, &mut response)?;
        let challenge: [u8; CARD_CHALLENGE_LEN] =
            response[..len]
                .try_into()
                .map_err(|_| CardError::Malformed {
                    command: Instruction::GetChallenge,
                    why: Malformation::ChallengeLength,
                })?;
        let signature = sign(&iso::personalization_message(&fci.serial, &challenge));
        let apdu = Command::new(
            iso::CLA_ISO,
            iso::INS_EXTERNAL_AUTHENTICATE,
            0,
            0,
            &signature,
        );
        self.expect_no_data(Instruction::ExternalAuthenticate, &apdu)
    }

    fn expect_no_data(
        &mut self,
        command: Instruction,
        apdu: &Command<'_>,
    ) -> Result<(), CardError<L::Error>> {
        let mut response = [0u8; 2];
        match self.expect_success(command, apdu, &mut response) {
            Ok(_) => Ok(()),
            Err(CardError::Malformed {
                why: Malformation::ResponseTooLong,
                ..
            }) => Err(CardError::Malformed {
                command,
                why: Malformation::UnexpectedData,
            }),
            Err(e) => Err(e),
        }
    }

    /// GENERATE ASYMMETRIC KEY PAIR: the card makes its chip key and shows the public half.
    pub fn generate_chip_key(&mut self) -> Result<[u8; PUBLIC_KEY_LEN], CardError<L::Error>> {
        const COMMAND: Instruction = Instruction::GenerateKeyPair;
        let apdu = Command::new(
            iso::CLA_ISO,
            iso::INS_GENERATE_KEY_PAIR,
            iso::KEY_GENERATE,
            0,
            &[],
        )
        .expect(NE_MAX_SHORT);
        let mut response = [0u8; NE_MAX_SHORT as usize + 2];
        let len = self.expect_success(COMMAND, &apdu, &mut response)?;
        parse_public_key(&response[..len]).ok_or(CardError::Malformed {
            command: COMMAND,
            why: Malformation::PublicKey,
        })
    }

    /// STORE DATA: `payload` in blocks of at most `block_len` bytes, numbered from 0, the
    /// last one flagged.
    pub fn store(&mut self, payload: &[u8], block_len: usize) -> Result<(), CardError<L::Error>> {
        let block_len = block_len.clamp(1, STORE_BLOCK_MAX);
        let blocks = payload.len().div_ceil(block_len).max(1);
        if blocks > 256 {
            return Err(CardError::Malformed {
                command: Instruction::StoreData,
                why: Malformation::TooManyBlocks,
            });
        }
        for (number, block) in payload.chunks(block_len).enumerate() {
            let last = number + 1 == blocks;
            let apdu = Command::new(
                iso::CLA_PROPRIETARY,
                iso::INS_STORE_DATA,
                if last { iso::STORE_LAST_BLOCK } else { 0 },
                number as u8,
                block,
            );
            self.expect_no_data(Instruction::StoreData, &apdu)?;
        }
        Ok(())
    }

    /// SET STATUS to locked: irreversible.
    pub fn lock(&mut self) -> Result<(), CardError<L::Error>> {
        let apdu = Command::new(
            iso::CLA_PROPRIETARY,
            iso::INS_SET_STATUS,
            iso::STATUS_APPLICATION,
            iso::STATUS_LOCKED,
            &[],
        );
        self.expect_no_data(Instruction::SetStatus, &apdu)
    }
}

/// What a card without the application, or a chip that speaks no ISO 7816-4 SELECT by
/// name, answers a SELECT of the stay AID.
fn refuses_the_aid(status: Status) -> bool {
    matches!(
        status,
        Status::NotFound
            | Status::InstructionNotSupported
            | Status::ClassNotSupported
            | Status::IncorrectP1P2
            | Status::WrongParameters
    )
}

/// Bytes STORE DATA carries for a record of `record_len` bytes and an optional portrait.
/// Why a border check gave no reading: in PACE (or before it, in the clear), or on the
/// secure channel.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum BorderCheckError<E> {
    Pace(CardError<E>),
    Secure(CardError<SmFailure<E>>),
}

impl<E: fmt::Display> fmt::Display for BorderCheckError<E> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            BorderCheckError::Pace(e) => write!(f, "{e}"),
            BorderCheckError::Secure(e) => write!(f, "{e}"),
        }
    }
}

impl<E: fmt::Debug + fmt::Display> core::error::Error for BorderCheckError<E> {}

/// A READ BINARY answer longer than the file may be.
fn read_too_long<E>() -> CardError<E> {
    CardError::Malformed {
        command: Instruction::ReadBinary,
        why: Malformation::FileTooLong,
    }
}

/// A READ BINARY the card refused with `status`.
fn read_refused<E>(status: Status) -> CardError<E> {
    CardError::Status {
        command: Instruction::ReadBinary,
        status,
    }
}

/// The border check on `link`: PACE-CAM with the card's CAN, then the reading over its
/// secure channel. `random` fills the terminal's two PACE secrets: fresh for every check
/// (the operating system's generator on the desk, the scanner's TRNG), or fixed to replay a
/// recorded transcript. The transcript of the reading holds both parts.
///
/// A reader that cannot carry the protected extended READ BINARY answers it `6700` in the
/// clear; the channel is then out of step, so the check starts again, PACE included, with
/// short reads only (one more PACE on such readers, none on the others).
pub fn border_check<L: ApduLink>(
    link: L,
    can: &Can,
    random: impl FnMut(&mut [u8; 32]),
) -> Result<ChipReading, BorderCheckError<L::Error>> {
    open_border_check(link, can, random).map(|channel| channel.reading)
}

/// [`border_check`], with `extended_length: false` reading the record in short reads only
/// (as over a reader that cannot carry extended APDUs).
pub fn border_check_with<L: ApduLink>(
    link: L,
    can: &Can,
    random: impl FnMut(&mut [u8; 32]),
    extended_length: bool,
) -> Result<ChipReading, BorderCheckError<L::Error>> {
    open_border_check_with(link, can, random, extended_length).map(|channel| channel.reading)
}

/// The border check's secure channel, kept open after the reading: what the desk reads
/// after the verdict (the portrait) goes over it, with no second PACE.
pub struct BorderChannel<L: ApduLink> {
    pub reading: ChipReading,
    secure: Session<SmLink<L, SM_RESPONSE_MAX>>,
}

/// The most portrait bytes one protected READ BINARY asks for: with its padding, tags and
/// MAC the answer still fits [`SM_RESPONSE_MAX`].
pub const PORTRAIT_CHUNK: u32 = 1024;

/// Room for the longest portrait the card may hold, and the status word.
pub const PORTRAIT_BUFFER: usize = iso::PORTRAIT_MAX_LEN + 2;

impl<L: ApduLink> BorderChannel<L> {
    /// Reads the portrait file over the channel into `buf` (at most
    /// [`iso::PORTRAIT_MAX_LEN`] bytes); `None`: the card holds none. Its exchanges are
    /// added to the reading's transcript. Whether the bytes are the signed portrait is
    /// [`crate::verify::check_portrait`]'s to say.
    pub fn read_portrait(
        &mut self,
        buf: &mut [u8; PORTRAIT_BUFFER],
    ) -> Result<Option<usize>, CardError<SmFailure<L::Error>>> {
        let chunk = if self.secure.extended_length {
            PORTRAIT_CHUNK
        } else {
            NE_MAX_SHORT
        };
        // The reading's transcript already holds the channel's earlier exchanges.
        self.secure.transcript = Transcript::default();
        let read = self.secure.read_in_chunks(iso::SFI_PORTRAIT, buf, chunk);
        self.reading.transcript.append(&self.secure.transcript);
        read
    }

    /// The link back, when the session is over.
    pub fn into_link(self) -> L {
        self.secure.into_link().into_inner()
    }

    /// The link under the channel (its settings, never its bytes: everything said goes
    /// through the channel).
    pub fn link_mut(&mut self) -> &mut L {
        self.secure.link_mut().inner_mut()
    }
}

/// [`border_check`], keeping the secure channel open for what is read after the verdict.
pub fn open_border_check<L: ApduLink>(
    link: L,
    can: &Can,
    random: impl FnMut(&mut [u8; 32]),
) -> Result<BorderChannel<L>, BorderCheckError<L::Error>> {
    open_border_check_with(link, can, random, true)
}

/// [`open_border_check`]; `extended_length: false` reads in short reads only from the
/// start, `true` tries extended length and falls back to short reads (with a second PACE)
/// when the reader answers the protected extended command `6700` in the clear.
pub fn open_border_check_with<L: ApduLink>(
    link: L,
    can: &Can,
    mut random: impl FnMut(&mut [u8; 32]),
    extended_length: bool,
) -> Result<BorderChannel<L>, BorderCheckError<L::Error>> {
    match attempt_border_check(link, can, &mut random, extended_length)? {
        Ok(channel) => Ok(channel),
        Err(link) => match attempt_border_check(link, can, &mut random, false)? {
            Ok(channel) => Ok(channel),
            // Short reads never ask for the fallback.
            Err(_) => Err(BorderCheckError::Secure(CardError::Status {
                command: Instruction::ReadBinary,
                status: Status::WrongLength,
            })),
        },
    }
}

/// One PACE and reading; `Ok(Err(link))` when extended length was refused in the clear and
/// the check must start again with short reads.
#[allow(clippy::type_complexity)]
fn attempt_border_check<L: ApduLink>(
    link: L,
    can: &Can,
    random: impl FnMut(&mut [u8; 32]),
    extended_length: bool,
) -> Result<Result<BorderChannel<L>, L>, BorderCheckError<L::Error>> {
    let mut session = Session::new(link);
    let established = session
        .establish_pace(can, random)
        .map_err(BorderCheckError::Pace)?;
    let pace_transcript = session.transcript;
    let link = SmLink::<_, SM_RESPONSE_MAX>::new(session.into_link(), established.channel);
    let mut secure = Session::new(link);
    secure.extended_length = extended_length;
    let mut reading = match secure.read_for_border_check(established.chip_authentication) {
        Ok(reading) => reading,
        Err(CardError::Link(SmFailure::Channel(crate::sm::SmError::Unprotected(
            Status::WrongLength,
        )))) if extended_length => return Ok(Err(secure.into_link().into_inner())),
        Err(e) => return Err(BorderCheckError::Secure(e)),
    };
    let mut transcript = pace_transcript;
    transcript.append(&reading.transcript);
    reading.transcript = transcript;
    Ok(Ok(BorderChannel { reading, secure }))
}

pub fn store_payload_len(record_len: usize, portrait_len: Option<usize>) -> usize {
    record_len
        + portrait_len.map_or(0, |len| tlv::encoded_len(iso::TAG_PORTRAIT, len))
        + tlv::encoded_len(iso::TAG_CAN, pace::CAN_LEN)
}

/// Writes what STORE DATA carries into `out`: the record object, the portrait object
/// (`5F40`), the CAN (`C2`). Returns the length, or `None` when `out` is too small.
pub fn write_store_payload(
    record: &[u8],
    portrait: Option<&[u8]>,
    can: &Can,
    out: &mut [u8],
) -> Option<usize> {
    let len = store_payload_len(record.len(), portrait.map(<[u8]>::len));
    let out = out.get_mut(..len)?;
    let (head, tail) = out.split_at_mut(record.len());
    head.copy_from_slice(record);
    let mut writer = tlv::Writer::new(tail);
    if let Some(portrait) = portrait {
        writer.field(iso::TAG_PORTRAIT, portrait).ok()?;
    }
    writer.field(iso::TAG_CAN, can.digits()).ok()?;
    Some(len)
}

fn parse_public_key(data: &[u8]) -> Option<[u8; PUBLIC_KEY_LEN]> {
    let mut outer = tlv::Reader::new(data);
    let template = outer.expect(iso::TAG_PUBLIC_KEY_TEMPLATE).ok()?;
    outer.finish().ok()?;
    let mut r = tlv::Reader::new(template.value);
    let point = r.expect(iso::TAG_EC_POINT).ok()?;
    r.finish().ok()?;
    let point: [u8; PUBLIC_KEY_LEN] = point.value.try_into().ok()?;
    crate::PublicKey::from_sec1(&point).ok()?;
    Some(point)
}
