//! The card's command interface (docs/apdu.md is the spec): the application identifier, the
//! instructions, the status words, and ISO/IEC 7816-3/-4 command APDUs in short and extended
//! form. The card parses with [`Command::parse`]; terminals (host, firmware, station) build
//! with [`Command::write`], so both sides share one encoding.

use core::fmt;

/// The resident-card application: `F0` (proprietary, unregistered) `KGSTAY` version `01`.
pub const AID: [u8; 8] = [0xF0, 0x4B, 0x47, 0x53, 0x54, 0x41, 0x59, 0x01];
/// Shortest partial AID the card accepts in SELECT (the 5-byte prefix, as ISO allows).
pub const AID_MIN_PREFIX: usize = 5;

/// Interindustry class (ISO/IEC 7816-4), no chaining, no secure messaging, channel 0.
pub const CLA_ISO: u8 = 0x00;
/// Proprietary class of the personalization commands (GlobalPlatform layout).
pub const CLA_PROPRIETARY: u8 = 0x80;

pub const INS_SELECT: u8 = 0xA4;
pub const INS_READ_BINARY: u8 = 0xB0;
pub const INS_GET_CHALLENGE: u8 = 0x84;
pub const INS_EXTERNAL_AUTHENTICATE: u8 = 0x82;
pub const INS_GENERATE_KEY_PAIR: u8 = 0x47;
pub const INS_STORE_DATA: u8 = 0xE2;
pub const INS_SET_STATUS: u8 = 0xF0;
pub const INS_MANAGE_SECURITY_ENVIRONMENT: u8 = 0x22;
pub const INS_GENERAL_AUTHENTICATE: u8 = 0x86;

/// MSE: Set AT for mutual authentication (`P1 C1 P2 A4`), as PACE uses it.
pub const MSE_SET_AT: [u8; 2] = [0xC1, 0xA4];
/// The CLA bit of command chaining (ISO/IEC 7816-4 §5.4.1): GENERAL AUTHENTICATE chains
/// PACE's steps.
pub const CLA_CHAINING: u8 = 0x10;

/// Short file identifiers for READ BINARY (`P1 = 0x80 | SFI`).
pub const SFI_RECORD: u8 = 0x01;
pub const SFI_PORTRAIT: u8 = 0x02;
/// EF.CardAccess (ICAO 9303-10): the PACE parameters, readable without PACE.
pub const SFI_CARD_ACCESS: u8 = 0x1C;

/// STORE DATA: `P1` bit 8 marks the last block.
pub const STORE_LAST_BLOCK: u8 = 0x80;
/// GENERATE ASYMMETRIC KEY PAIR: `P1` values.
pub const KEY_GENERATE: u8 = 0x80;
pub const KEY_READ_PUBLIC: u8 = 0x81;
/// SET STATUS: `P1` (application life cycle) and `P2` (the state: personalized, locked).
pub const STATUS_APPLICATION: u8 = 0x40;
pub const STATUS_LOCKED: u8 = 0x0F;

/// Data object tags on the card.
pub const TAG_FCI: u16 = 0x6F;
pub const TAG_DF_NAME: u16 = 0x84;
pub const TAG_LIFE_CYCLE: u16 = 0x8A;
pub const TAG_PROPRIETARY: u16 = 0xA5;
pub const TAG_SERIAL: u16 = 0xC1;
pub const TAG_PUBLIC_KEY_TEMPLATE: u16 = 0x7F49;
pub const TAG_EC_POINT: u16 = 0x86;
/// Cardholder portrait image (ISO/IEC 7816-6).
pub const TAG_PORTRAIT: u16 = 0x5F40;
/// The card access number in the station's STORE DATA (private class: the card keeps it as
/// PACE's password and never reads it out).
pub const TAG_CAN: u16 = 0xC2;

/// Life-cycle status bytes (ISO/IEC 7816-4 §7.4.10) the FCI reports.
pub const LCS_INITIALISATION: u8 = 0x03;
pub const LCS_OPERATIONAL: u8 = 0x05;

/// Length of the card serial number.
pub const SERIAL_LEN: usize = 8;
/// Separates the station's authentication from every other thing a P-256 key signs.
pub const PERSONALIZATION_DOMAIN: &[u8; 16] = b"KG-STAY-PERSO-1\0";
/// Length of the challenges GET CHALLENGE returns.
pub const CARD_CHALLENGE_LEN: usize = 16;
/// Failed station authentications before personalization is blocked for good.
pub const PERSONALIZATION_TRIES: u8 = 10;
/// Largest data block in one STORE DATA command (a short APDU).
pub const STORE_BLOCK_MAX: usize = 255;
/// Largest portrait the card stores.
pub const PORTRAIT_MAX_LEN: usize = 16 * 1024;

/// What the station signs in EXTERNAL AUTHENTICATE: the domain, the card's serial, the
/// card's challenge. The serial keeps an answer for one card from opening another.
pub fn personalization_message(
    serial: &[u8; SERIAL_LEN],
    challenge: &[u8; CARD_CHALLENGE_LEN],
) -> [u8; 40] {
    let mut message = [0u8; 40];
    message[..16].copy_from_slice(PERSONALIZATION_DOMAIN);
    message[16..24].copy_from_slice(serial);
    message[24..].copy_from_slice(challenge);
    message
}

/// A status word (`SW1 SW2`, ISO/IEC 7816-4 §5.6), closed: every value the card or the
/// terminal names is a variant, and anything else is [`Status::Other`]. This is the one place
/// a status word's number is written.
#[derive(Clone, Copy, PartialEq, Eq, Hash)]
pub enum Status {
    /// `9000`.
    Success,
    /// `61xx`: `xx` more bytes available (GET RESPONSE); a T=0 transport condition.
    MoreAvailable(u8),
    /// `6282`: end of file reached before Ne bytes.
    EndOfFile,
    /// `6300`: authentication failed (PACE's tokens did not match).
    AuthenticationFailed,
    /// `63Cx`: verification failed, `x` tries left.
    RemainingRetries(u8),
    /// `6581`.
    MemoryFailure,
    /// `6700`: wrong length (Lc or Le).
    WrongLength,
    /// `6881`.
    LogicalChannelNotSupported,
    /// `6882`.
    SecureMessagingNotSupported,
    /// `6884`.
    ChainingNotSupported,
    /// `6982`.
    SecurityStatusNotSatisfied,
    /// `6987`: expected secure messaging data objects missing.
    SmObjectsMissing,
    /// `6988`: secure messaging data objects incorrect (a wrong MAC, a changed or replayed
    /// APDU); the card closes the channel.
    SmObjectsIncorrect,
    /// `6983`: authentication method blocked.
    AuthenticationBlocked,
    /// `6985`: conditions of use not satisfied.
    ConditionsNotSatisfied,
    /// `6986`: command not allowed (no current EF).
    NoCurrentEf,
    /// `6A80`: incorrect data in the command.
    IncorrectData,
    /// `6A82`: file or application not found.
    NotFound,
    /// `6A84`.
    NotEnoughMemory,
    /// `6A86`.
    IncorrectP1P2,
    /// `6A88`.
    ReferencedDataNotFound,
    /// `6B00`: wrong parameters (an offset outside the file).
    WrongParameters,
    /// `6Cxx`: wrong Le; `xx` is the exact length available.
    WrongLe(u8),
    /// `6D00`.
    InstructionNotSupported,
    /// `6E00`.
    ClassNotSupported,
    /// Any other value, kept as it came.
    Other(u16),
}

impl Status {
    /// The status word a value names; never a non-canonical [`Status::Other`].
    pub const fn from_u16(sw: u16) -> Status {
        let [sw1, sw2] = sw.to_be_bytes();
        match sw {
            0x9000 => Status::Success,
            0x6282 => Status::EndOfFile,
            0x6300 => Status::AuthenticationFailed,
            0x6581 => Status::MemoryFailure,
            0x6700 => Status::WrongLength,
            0x6881 => Status::LogicalChannelNotSupported,
            0x6882 => Status::SecureMessagingNotSupported,
            0x6884 => Status::ChainingNotSupported,
            0x6982 => Status::SecurityStatusNotSatisfied,
            0x6987 => Status::SmObjectsMissing,
            0x6988 => Status::SmObjectsIncorrect,
            0x6983 => Status::AuthenticationBlocked,
            0x6985 => Status::ConditionsNotSatisfied,
            0x6986 => Status::NoCurrentEf,
            0x6A80 => Status::IncorrectData,
            0x6A82 => Status::NotFound,
            0x6A84 => Status::NotEnoughMemory,
            0x6A86 => Status::IncorrectP1P2,
            0x6A88 => Status::ReferencedDataNotFound,
            0x6B00 => Status::WrongParameters,
            0x6D00 => Status::InstructionNotSupported,
            0x6E00 => Status::ClassNotSupported,
            _ if sw1 == 0x61 => Status::MoreAvailable(sw2),
            _ if sw & 0xFFF0 == 0x63C0 => Status::RemainingRetries(sw2 & 0x0F),
            _ if sw1 == 0x6C => Status::WrongLe(sw2),
            _ => Status::Other(sw),
        }
    }

    pub const fn to_u16(self) -> u16 {
        match self {
            Status::Success => 0x9000,
            Status::MoreAvailable(n) => 0x6100 | n as u16,
            Status::EndOfFile => 0x6282,
            Status::AuthenticationFailed => 0x6300,
            Status::RemainingRetries(n) => 0x63C0 | (n & 0x0F) as u16,
            Status::MemoryFailure => 0x6581,
            Status::WrongLength => 0x6700,
            Status::LogicalChannelNotSupported => 0x6881,
            Status::SecureMessagingNotSupported => 0x6882,
            Status::ChainingNotSupported => 0x6884,
            Status::SecurityStatusNotSatisfied => 0x6982,
            Status::SmObjectsMissing => 0x6987,
            Status::SmObjectsIncorrect => 0x6988,
            Status::AuthenticationBlocked => 0x6983,
            Status::ConditionsNotSatisfied => 0x6985,
            Status::NoCurrentEf => 0x6986,
            Status::IncorrectData => 0x6A80,
            Status::NotFound => 0x6A82,
            Status::NotEnoughMemory => 0x6A84,
            Status::IncorrectP1P2 => 0x6A86,
            Status::ReferencedDataNotFound => 0x6A88,
            Status::WrongParameters => 0x6B00,
            Status::WrongLe(n) => 0x6C00 | n as u16,
            Status::InstructionNotSupported => 0x6D00,
            Status::ClassNotSupported => 0x6E00,
            Status::Other(sw) => sw,
        }
    }

    pub const fn from_bytes(sw1: u8, sw2: u8) -> Status {
        Status::from_u16(u16::from_be_bytes([sw1, sw2]))
    }

    pub const fn to_bytes(self) -> [u8; 2] {
        self.to_u16().to_be_bytes()
    }

    /// What the status word means, in the words of docs/apdu.md.
    pub fn meaning(self) -> &'static str {
        match self {
            Status::Success => "success",
            Status::MoreAvailable(_) => "more bytes available (61xx)",
            Status::EndOfFile => "end of file reached before Le bytes",
            Status::AuthenticationFailed => "authentication failed",
            Status::RemainingRetries(_) => "verification failed (63Cx: x tries left)",
            Status::MemoryFailure => "memory failure",
            Status::WrongLength => "wrong length (Lc or Le)",
            Status::LogicalChannelNotSupported => "logical channel not supported",
            Status::SecureMessagingNotSupported => "secure messaging not supported",
            Status::ChainingNotSupported => "command chaining not supported",
            Status::SecurityStatusNotSatisfied => "security status not satisfied",
            Status::SmObjectsMissing => "expected secure messaging data objects missing",
            Status::SmObjectsIncorrect => "secure messaging data objects incorrect",
            Status::AuthenticationBlocked => "authentication method blocked",
            Status::ConditionsNotSatisfied => "conditions of use not satisfied",
            Status::NoCurrentEf => "command not allowed (no current EF)",
            Status::IncorrectData => "incorrect data",
            Status::NotFound => "file or application not found",
            Status::NotEnoughMemory => "not enough memory space",
            Status::IncorrectP1P2 => "incorrect P1-P2",
            Status::ReferencedDataNotFound => "referenced data not found",
            Status::WrongParameters => "wrong parameters (offset outside the file)",
            Status::WrongLe(_) => "wrong Le (6Cxx: xx bytes available)",
            Status::InstructionNotSupported => "instruction not supported",
            Status::ClassNotSupported => "class not supported",
            Status::Other(_) => "unknown status word",
        }
    }
}

impl From<u16> for Status {
    fn from(sw: u16) -> Status {
        Status::from_u16(sw)
    }
}

impl From<Status> for u16 {
    fn from(status: Status) -> u16 {
        status.to_u16()
    }
}

impl fmt::Debug for Status {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{:04X}", self.to_u16())
    }
}

impl fmt::Display for Status {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{:04X} ({})", self.to_u16(), self.meaning())
    }
}

/// What SELECT's FCI says about the card: `6F{84 AID, 8A life cycle, A5{C1 serial}}`.
/// The card writes it and the terminal parses it with this one type.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Fci {
    pub serial: [u8; SERIAL_LEN],
    /// Life cycle "operational": personalization is over.
    pub locked: bool,
}

/// Length of the encoded [`Fci`].
pub const FCI_LEN: usize = 27;

/// Why an FCI is refused.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum FciError {
    /// Not the template above.
    Malformed,
    /// A well-formed FCI of another application: a card that answers our SELECT for
    /// someone else's AID (a default application, a prefix match) is not a resident card.
    ForeignApplication,
}

impl Fci {
    pub fn write(&self) -> [u8; FCI_LEN] {
        let lcs = if self.locked {
            LCS_OPERATIONAL
        } else {
            LCS_INITIALISATION
        };
        let mut fci = [0u8; FCI_LEN];
        fci[..4].copy_from_slice(&[TAG_FCI as u8, FCI_LEN as u8 - 2, TAG_DF_NAME as u8, 8]);
        fci[4..12].copy_from_slice(&AID);
        fci[12..19].copy_from_slice(&[
            TAG_LIFE_CYCLE as u8,
            1,
            lcs,
            TAG_PROPRIETARY as u8,
            2 + SERIAL_LEN as u8,
            TAG_SERIAL as u8,
            SERIAL_LEN as u8,
        ]);
        fci[19..].copy_from_slice(&self.serial);
        fci
    }

    pub fn parse(fci: &[u8]) -> Result<Fci, FciError> {
        use crate::tlv::Reader;
        let malformed = |_| FciError::Malformed;
        let mut outer = Reader::new(fci);
        let template = outer.expect(TAG_FCI).map_err(malformed)?;
        outer.finish().map_err(malformed)?;
        let mut r = Reader::new(template.value);
        let name = r.expect(TAG_DF_NAME).map_err(malformed)?;
        if name.value != AID {
            return Err(FciError::ForeignApplication);
        }
        let lcs = r.expect(TAG_LIFE_CYCLE).map_err(malformed)?;
        let proprietary = r.expect(TAG_PROPRIETARY).map_err(malformed)?;
        r.finish().map_err(malformed)?;
        let mut p = Reader::new(proprietary.value);
        let serial = p.expect(TAG_SERIAL).map_err(malformed)?;
        p.finish().map_err(malformed)?;
        let locked = match lcs.value {
            [LCS_OPERATIONAL] => true,
            [LCS_INITIALISATION] => false,
            _ => return Err(FciError::Malformed),
        };
        Ok(Fci {
            serial: serial.value.try_into().map_err(|_| FciError::Malformed)?,
            locked,
        })
    }
}

/// A command APDU that cannot be parsed: its length fields disagree with its size.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ApduError {
    /// Fewer than the four header bytes.
    TooShort,
    /// Lc/Le encoding inconsistent with the number of bytes (ISO/IEC 7816-3 §12.1.3).
    BadLength,
}

impl fmt::Display for ApduError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            ApduError::TooShort => "command APDU shorter than its 4-byte header",
            ApduError::BadLength => "command APDU length fields do not match its size",
        })
    }
}

/// Largest Ne: 65536 (extended `Le = 0000`).
pub const NE_MAX_EXTENDED: u32 = 65_536;
/// Largest Ne of a short APDU: 256 (`Le = 00`).
pub const NE_MAX_SHORT: u32 = 256;

/// A command APDU (ISO/IEC 7816-4 §5.1), borrowed from its bytes.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Command<'a> {
    pub cla: u8,
    pub ins: u8,
    pub p1: u8,
    pub p2: u8,
    pub data: &'a [u8],
    /// Ne, the most response bytes the terminal accepts; `None` when Le is absent.
    pub ne: Option<u32>,
    /// Whether Lc/Le were in extended form.
    pub extended: bool,
}

impl<'a> Command<'a> {
    /// A command with no Le.
    pub const fn new(cla: u8, ins: u8, p1: u8, p2: u8, data: &'a [u8]) -> Self {
        Command {
            cla,
            ins,
            p1,
            p2,
            data,
            ne: None,
            extended: false,
        }
    }

    /// The same command expecting up to `ne` response bytes (1..=65536).
    pub const fn expect(mut self, ne: u32) -> Self {
        self.ne = Some(ne);
        self
    }

    /// Whether Le asked for "everything available" (`00` short, `0000` extended).
    pub fn le_is_wildcard(&self) -> bool {
        match self.ne {
            Some(n) if self.extended => n == NE_MAX_EXTENDED,
            Some(n) => n == NE_MAX_SHORT,
            None => false,
        }
    }

    /// Parses the four ISO cases in short and extended form; nothing else.
    pub fn parse(bytes: &'a [u8]) -> Result<Command<'a>, ApduError> {
        let (header, body) = match bytes.split_first_chunk::<4>() {
            Some(split) => split,
            None => return Err(ApduError::TooShort),
        };
        let [cla, ins, p1, p2] = *header;
        let mut command = Command::new(cla, ins, p1, p2, &[]);
        let short_ne = |b: u8| if b == 0 { 256 } else { u32::from(b) };
        let extended_ne = |hi: u8, lo: u8| match u16::from_be_bytes([hi, lo]) {
            0 => NE_MAX_EXTENDED,
            n => u32::from(n),
        };
        match body {
            // Case 1.
            [] => {}
            // Case 2 short.
            [le] => command.ne = Some(short_ne(*le)),
            // Case 2 extended.
            [0, hi, lo] => {
                command.ne = Some(extended_ne(*hi, *lo));
                command.extended = true;
            }
            [0, hi, lo, rest @ ..] => {
                let lc = usize::from(u16::from_be_bytes([*hi, *lo]));
                if lc == 0 {
                    return Err(ApduError::BadLength);
                }
                command.extended = true;
                match rest.len().checked_sub(lc) {
                    // Case 3 extended.
                    Some(0) => command.data = rest,
                    // Case 4 extended.
                    Some(2) => {
                        command.data = &rest[..lc];
                        command.ne = Some(extended_ne(rest[lc], rest[lc + 1]));
                    }
                    _ => return Err(ApduError::BadLength),
                }
            }
            // A leading 00 with more bytes can only be extended; short Lc is 1..=255.
            [0, ..] => return Err(ApduError::BadLength),
            [lc, rest @ ..] => {
                let lc = usize::from(*lc);
                match rest.len().checked_sub(lc) {
                    // Case 3 short.
                    Some(0) => command.data = rest,
                    // Case 4 short.
                    Some(1) => {
                        command.data = &rest[..lc];
                        command.ne = Some(short_ne(rest[lc]));
                    }
                    _ => return Err(ApduError::BadLength),
                }
            }
        }
        Ok(command)
    }

    /// Whether the command only fits the extended form (more than 255 data bytes, or
    /// Ne above 256).
    pub fn needs_extended(&self) -> bool {
        self.data.len() > 255 || self.ne.is_some_and(|n| n > NE_MAX_SHORT)
    }

    /// Bytes [`Command::write`] produces.
    pub fn encoded_len(&self) -> usize {
        let extended = self.needs_extended();
        let lc = match (self.data.is_empty(), extended) {
            (true, _) => 0,
            (false, false) => 1 + self.data.len(),
            (false, true) => 3 + self.data.len(),
        };
        let le = match (self.ne, extended, self.data.is_empty()) {
            (None, _, _) => 0,
            (Some(_), false, _) => 1,
            (Some(_), true, true) => 3,
            (Some(_), true, false) => 2,
        };
        4 + lc + le
    }

    /// Encodes the command, in short form whenever it fits. Returns the length written, or
    /// `None` when `out` is too small or the command cannot be encoded (more than 65535
    /// data bytes, Ne of 0 or above 65536).
    pub fn write(&self, out: &mut [u8]) -> Option<usize> {
        if self.data.len() > 65_535 || self.ne.is_some_and(|n| n == 0 || n > NE_MAX_EXTENDED) {
            return None;
        }
        let len = self.encoded_len();
        let out = out.get_mut(..len)?;
        out[..4].copy_from_slice(&[self.cla, self.ins, self.p1, self.p2]);
        let extended = self.needs_extended();
        let mut at = 4;
        if !self.data.is_empty() {
            if extended {
                out[at] = 0;
                out[at + 1..at + 3].copy_from_slice(&(self.data.len() as u16).to_be_bytes());
                at += 3;
            } else {
                out[at] = self.data.len() as u8;
                at += 1;
            }
            out[at..at + self.data.len()].copy_from_slice(self.data);
            at += self.data.len();
        }
        if let Some(ne) = self.ne {
            // Ne 256 (short) and 65536 (extended) wrap to 00 / 0000 by design.
            if extended {
                if self.data.is_empty() {
                    out[at] = 0;
                    at += 1;
                }
                out[at..at + 2].copy_from_slice(&(ne as u16).to_be_bytes());
                at += 2;
            } else {
                out[at] = ne as u8;
                at += 1;
            }
        }
        debug_assert_eq!(at, len);
        Some(len)
    }
}

/// Splits a response APDU into its data and status word.
pub fn split_response(response: &[u8]) -> Option<(&[u8], Status)> {
    let (data, sw) = response.split_last_chunk::<2>()?;
    Some((data, Status::from_bytes(sw[0], sw[1])))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn roundtrip(command: Command<'_>) {
        let mut buf = [0u8; 70_000];
        let n = command.write(&mut buf).unwrap();
        let parsed = Command::parse(&buf[..n]).unwrap();
        assert_eq!(parsed.cla, command.cla);
        assert_eq!(parsed.data, command.data);
        assert_eq!(parsed.ne, command.ne);
    }

    #[test]
    fn all_four_cases_roundtrip_short_and_extended() {
        let big = [0x5Au8; 300];
        roundtrip(Command::new(0, 0xA4, 4, 0, &[]));
        roundtrip(Command::new(0, 0xB0, 0x81, 0, &[]).expect(256));
        roundtrip(Command::new(0, 0xB0, 0x81, 0, &[]).expect(65_536));
        roundtrip(Command::new(0, 0xB0, 0x81, 0, &[]).expect(1024));
        roundtrip(Command::new(0x80, 0xE2, 0, 0, &big[..255]));
        roundtrip(Command::new(0x80, 0xE2, 0, 0, &big));
        roundtrip(Command::new(0, 0x88, 0, 0, &big[..16]).expect(256));
        roundtrip(Command::new(0, 0x88, 0, 0, &big).expect(64));
    }

    #[test]
    fn encodings_are_the_iso_ones() {
        let mut buf = [0u8; 16];
        let n = Command::new(0, 0xB0, 0x81, 0, &[])
            .expect(65_536)
            .write(&mut buf)
            .unwrap();
        assert_eq!(&buf[..n], &[0, 0xB0, 0x81, 0, 0, 0, 0]);
        let n = Command::new(0, 0x84, 0, 0, &[])
            .expect(16)
            .write(&mut buf)
            .unwrap();
        assert_eq!(&buf[..n], &[0, 0x84, 0, 0, 0x10]);
    }

    #[test]
    fn inconsistent_lengths_are_refused() {
        for bad in [
            &[0u8, 0xA4, 4][..],
            &[0, 0xA4, 4, 0, 3, 1, 2],
            &[0, 0xA4, 4, 0, 2, 1, 2, 3, 4],
            &[0, 0xB0, 0, 0, 0, 0],
            &[0, 0xE2, 0, 0, 0, 0, 0, 9],
            &[0, 0xE2, 0, 0, 0, 0, 2, 1],
            &[0, 0xE2, 0, 0, 0, 0, 2, 1, 2, 0],
        ] {
            assert!(Command::parse(bad).is_err(), "{bad:02X?}");
        }
    }

    #[test]
    fn every_status_word_roundtrips_and_is_named_once() {
        for sw in 0..=u16::MAX {
            let status = Status::from_u16(sw);
            assert_eq!(status.to_u16(), sw, "{sw:04X}");
            if let Status::Other(other) = status {
                assert_eq!(other, sw);
                assert_eq!(status.meaning(), "unknown status word");
            } else {
                assert_ne!(status.meaning(), "unknown status word", "{sw:04X}");
            }
        }
        assert_eq!(Status::from_bytes(0x90, 0x00), Status::Success);
        assert_eq!(Status::from_bytes(0x63, 0xC3), Status::RemainingRetries(3));
        assert_eq!(Status::from_bytes(0x6C, 0x1B), Status::WrongLe(0x1B));
        assert_eq!(Status::NotFound.to_bytes(), [0x6A, 0x82]);
    }

    #[test]
    fn fci_roundtrips_and_names_its_application() {
        for locked in [false, true] {
            let fci = Fci {
                serial: *b"KG000042",
                locked,
            };
            assert_eq!(Fci::parse(&fci.write()), Ok(fci));
        }
        let mut foreign = Fci {
            serial: [0; SERIAL_LEN],
            locked: true,
        }
        .write();
        foreign[11] ^= 1;
        assert_eq!(Fci::parse(&foreign), Err(FciError::ForeignApplication));
        assert_eq!(Fci::parse(&foreign[..20]), Err(FciError::Malformed));
    }

    #[test]
    fn parse_never_panics_on_short_inputs() {
        let mut buf = [0u8; 9];
        for len in 0..=9 {
            for fill in [0u8, 1, 2, 0x7F, 0xFF] {
                buf.iter_mut().for_each(|b| *b = fill);
                let _ = Command::parse(&buf[..len]);
            }
        }
    }
}
