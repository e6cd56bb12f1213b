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
pub const INS_INTERNAL_AUTHENTICATE: u8 = 0x88;
pub const INS_GET_CHALLENGE: u8 = 0x84;
pub const INS_EXTERNAL_AUTHENTICATE: u8 = 0x82;
pub const INS_GENERATE_KEY_PAIR: u8 = 0x47;
pub const INS_STORE_DATA: u8 = 0xE2;
pub const INS_SET_STATUS: u8 = 0xF0;

/// Short file identifiers for READ BINARY (`P1 = 0x80 | SFI`).
pub const SFI_RECORD: u8 = 0x01;
pub const SFI_PORTRAIT: u8 = 0x02;

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

/// A status word: `SW1 SW2`.
#[derive(Clone, Copy, PartialEq, Eq, Hash)]
pub struct StatusWord(pub u16);

impl StatusWord {
    pub const OK: StatusWord = StatusWord(0x9000);
    /// End of file reached before reading Ne bytes.
    pub const END_OF_FILE: StatusWord = StatusWord(0x6282);
    pub const WRONG_LENGTH: StatusWord = StatusWord(0x6700);
    pub const LOGICAL_CHANNEL_NOT_SUPPORTED: StatusWord = StatusWord(0x6881);
    pub const SECURE_MESSAGING_NOT_SUPPORTED: StatusWord = StatusWord(0x6882);
    pub const CHAINING_NOT_SUPPORTED: StatusWord = StatusWord(0x6884);
    pub const SECURITY_STATUS_NOT_SATISFIED: StatusWord = StatusWord(0x6982);
    pub const AUTHENTICATION_BLOCKED: StatusWord = StatusWord(0x6983);
    pub const CONDITIONS_NOT_SATISFIED: StatusWord = StatusWord(0x6985);
    pub const NO_CURRENT_EF: StatusWord = StatusWord(0x6986);
    pub const WRONG_DATA: StatusWord = StatusWord(0x6A80);
    pub const FILE_NOT_FOUND: StatusWord = StatusWord(0x6A82);
    pub const NOT_ENOUGH_MEMORY: StatusWord = StatusWord(0x6A84);
    pub const INCORRECT_P1P2: StatusWord = StatusWord(0x6A86);
    pub const REFERENCED_DATA_NOT_FOUND: StatusWord = StatusWord(0x6A88);
    pub const WRONG_P1P2: StatusWord = StatusWord(0x6B00);
    pub const INS_NOT_SUPPORTED: StatusWord = StatusWord(0x6D00);
    pub const CLA_NOT_SUPPORTED: StatusWord = StatusWord(0x6E00);

    /// `6Cxx`: wrong Le; `xx` is the exact length available.
    pub const fn wrong_le(exact: u8) -> StatusWord {
        StatusWord(0x6C00 | exact as u16)
    }

    /// `63Cx`: verification failed, `x` tries left.
    pub const fn tries_left(tries: u8) -> StatusWord {
        StatusWord(0x63C0 | (tries & 0x0F) as u16)
    }

    pub fn from_bytes(sw1: u8, sw2: u8) -> StatusWord {
        StatusWord(u16::from_be_bytes([sw1, sw2]))
    }

    pub fn to_bytes(self) -> [u8; 2] {
        self.0.to_be_bytes()
    }

    /// `9000`, or a warning (`62xx`, `63xx` other than `63Cx`) that still returns data.
    pub fn is_success(self) -> bool {
        self == StatusWord::OK || self == StatusWord::END_OF_FILE
    }

    /// What the status word means, in the words of docs/apdu.md.
    pub fn meaning(self) -> &'static str {
        match self.0 {
            0x9000 => "success",
            0x6282 => "end of file reached before Le bytes",
            0x6700 => "wrong length (Lc or Le)",
            0x6881 => "logical channel not supported",
            0x6882 => "secure messaging not supported",
            0x6884 => "command chaining not supported",
            0x6982 => "security status not satisfied",
            0x6983 => "authentication method blocked",
            0x6985 => "conditions of use not satisfied",
            0x6986 => "command not allowed (no current EF)",
            0x6A80 => "incorrect data",
            0x6A82 => "file or application not found",
            0x6A84 => "not enough memory space",
            0x6A86 => "incorrect P1-P2",
            0x6A88 => "referenced data not found",
            0x6B00 => "wrong parameters (offset outside the file)",
            0x6D00 => "instruction not supported",
            0x6E00 => "class not supported",
            0x6581 => "memory failure",
            w if w & 0xFFF0 == 0x63C0 => "verification failed (63Cx: x tries left)",
            w if w & 0xFF00 == 0x6C00 => "wrong Le (6Cxx: xx bytes available)",
            _ => "unknown status word",
        }
    }
}

impl fmt::Debug for StatusWord {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{:04X}", self.0)
    }
}

impl fmt::Display for StatusWord {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{:04X} ({})", self.0, self.meaning())
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

    fn needs_extended(&self) -> bool {
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
pub fn split_response(response: &[u8]) -> Option<(&[u8], StatusWord)> {
    let (data, sw) = response.split_last_chunk::<2>()?;
    Some((data, StatusWord::from_bytes(sw[0], sw[1])))
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
