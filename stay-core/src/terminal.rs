//! The terminal's side of the border check, without a heap, over any APDU link: SELECT,
//! one extended READ BINARY of the record (short reads of 256 bytes when the card or the
//! link refuse extended length), INTERNAL AUTHENTICATE with the terminal's fresh challenge.
//! The host (`reader-host`, over PC/SC) and the scanner firmware (over its PN532) both run
//! exactly this.

use crate::apdu::{self as iso, Command, StatusWord, AID, NE_MAX_EXTENDED, NE_MAX_SHORT};
use crate::chip_proof::{ChipProof, CHALLENGE_LEN};
use crate::record::MAX_RECORD_LEN;
use crate::signature::SIGNATURE_LEN;

/// The longest command APDU the border check sends (INTERNAL AUTHENTICATE with its
/// challenge and Le).
pub const COMMAND_MAX: usize = 32;

/// Why a response is refused when it does not fit the room the command left for it.
const LONGER_THAN_ASKED: &str = "response longer than asked for";

/// Carries one command APDU to the card and its response back (status word included).
pub trait ApduLink {
    type Error: core::fmt::Debug;
    /// Sends `command`; writes the response to `response` and returns its length.
    fn exchange(&mut self, command: &[u8], response: &mut [u8]) -> Result<usize, Self::Error>;
    /// Whether `error`, on an extended-length command, means only that the link cannot
    /// carry extended length (short commands may still work).
    fn is_length_limit(_error: &Self::Error) -> bool {
        false
    }
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub enum CardError<E> {
    /// The link failed (card left the field or the reader, front end error).
    Link(E),
    /// The card answered a status other than 9000.
    Status {
        command: &'static str,
        status: StatusWord,
    },
    /// The card answered something the protocol does not allow.
    Malformed {
        command: &'static str,
        why: &'static str,
    },
}

/// What the card gave the border check.
#[derive(Clone)]
pub struct ChipReading {
    record: [u8; MAX_RECORD_LEN],
    record_len: usize,
    pub challenge: [u8; CHALLENGE_LEN],
    /// `None` when the card refused INTERNAL AUTHENTICATE or answered nonsense, which the
    /// verification turns into `Invalid(chip-proof-missing)`.
    pub signature: Option<[u8; SIGNATURE_LEN]>,
}

impl core::fmt::Debug for ChipReading {
    fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
        f.debug_struct("ChipReading")
            .field("record_len", &self.record_len)
            .field("signature", &self.signature.is_some())
            .finish()
    }
}

impl ChipReading {
    pub fn record(&self) -> &[u8] {
        &self.record[..self.record_len]
    }

    pub fn proof(&self) -> Option<ChipProof<'_>> {
        self.signature.as_ref().map(|signature| ChipProof {
            challenge: &self.challenge,
            signature,
        })
    }
}

/// A session with the card on `link`; counts the APDUs it sends.
pub struct Session<'l, L: ApduLink + ?Sized> {
    link: &'l mut L,
    pub apdus: u32,
    /// Try one extended-length READ BINARY before falling back to short reads.
    pub extended_length: bool,
}

impl<'l, L: ApduLink + ?Sized> Session<'l, L> {
    pub fn new(link: &'l mut L) -> Self {
        Session {
            link,
            apdus: 0,
            extended_length: true,
        }
    }

    /// Sends `command`; the response data is at the start of `response`. Returns its
    /// length and the status word.
    fn exchange(
        &mut self,
        name: &'static str,
        command: &Command<'_>,
        response: &mut [u8],
    ) -> Result<(usize, StatusWord), CardError<L::Error>> {
        let mut bytes = [0u8; COMMAND_MAX];
        let n = command.write(&mut bytes).ok_or(CardError::Malformed {
            command: name,
            why: "command too long",
        })?;
        let len = self
            .link
            .exchange(&bytes[..n], response)
            .map_err(CardError::Link)?;
        self.apdus += 1;
        if len > response.len() {
            return Err(CardError::Malformed {
                command: name,
                why: LONGER_THAN_ASKED,
            });
        }
        if len < 2 {
            return Err(CardError::Malformed {
                command: name,
                why: "no status word",
            });
        }
        let status = StatusWord::from_bytes(response[len - 2], response[len - 1]);
        Ok((len - 2, status))
    }

    /// SELECT the application without asking for its FCI (the border check's first step).
    pub fn select(&mut self) -> Result<(), CardError<L::Error>> {
        let mut response = [0u8; 2];
        match self.exchange(
            "SELECT",
            &Command::new(0x00, iso::INS_SELECT, 0x04, 0x0C, &AID),
            &mut response,
        ) {
            Ok((0, StatusWord::OK)) => Ok(()),
            Ok((_, StatusWord::OK)) | Err(CardError::Malformed { .. }) => {
                Err(CardError::Malformed {
                    command: "SELECT",
                    why: "data returned for P2=0C",
                })
            }
            Ok((_, status)) => Err(CardError::Status {
                command: "SELECT",
                status,
            }),
            Err(e) => Err(e),
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
        const NAME: &str = "READ BINARY";
        let too_long = || CardError::Malformed {
            command: NAME,
            why: "file longer than the format allows",
        };
        let max_len = buf.len().checked_sub(2).ok_or_else(too_long)?;
        if self.extended_length {
            let command = Command::new(0x00, iso::INS_READ_BINARY, 0x80 | sfi, 0, &[])
                .expect(NE_MAX_EXTENDED);
            match self.exchange(NAME, &command, buf) {
                Ok((len, StatusWord::OK)) => return Ok(Some(len)),
                Ok((_, StatusWord::FILE_NOT_FOUND)) => return Ok(None),
                // Wrong length: the card cannot answer extended length.
                Ok((_, StatusWord::WRONG_LENGTH)) => {}
                Ok((_, status)) => {
                    return Err(CardError::Status {
                        command: NAME,
                        status,
                    })
                }
                Err(CardError::Malformed {
                    why: LONGER_THAN_ASKED,
                    ..
                }) => return Err(too_long()),
                Err(CardError::Link(e)) if L::is_length_limit(&e) => {}
                Err(e) => return Err(e),
            }
        }
        let mut offset = 0;
        loop {
            let command = if offset == 0 {
                Command::new(0x00, iso::INS_READ_BINARY, 0x80 | sfi, 0, &[])
            } else {
                let [hi, lo] = u16::try_from(offset).unwrap_or(u16::MAX).to_be_bytes();
                Command::new(0x00, iso::INS_READ_BINARY, hi & 0x7F, lo, &[])
            }
            .expect(NE_MAX_SHORT);
            let room = buf.get_mut(offset..).ok_or_else(too_long)?;
            let (len, status) = match self.exchange(NAME, &command, room) {
                Err(CardError::Malformed {
                    why: LONGER_THAN_ASKED,
                    ..
                }) => return Err(too_long()),
                other => other?,
            };
            match status {
                StatusWord::OK => {}
                StatusWord::FILE_NOT_FOUND if offset == 0 => return Ok(None),
                // Offset just past the end: the file was a multiple of 256 bytes.
                StatusWord::WRONG_P1P2 if offset > 0 => return Ok(Some(offset)),
                status => {
                    return Err(CardError::Status {
                        command: NAME,
                        status,
                    })
                }
            }
            offset += len;
            if offset > max_len {
                return Err(too_long());
            }
            if len < NE_MAX_SHORT as usize {
                return Ok(Some(offset));
            }
        }
    }

    /// INTERNAL AUTHENTICATE: the chip signs the challenge and its record.
    pub fn internal_authenticate(
        &mut self,
        challenge: &[u8; CHALLENGE_LEN],
    ) -> Result<[u8; SIGNATURE_LEN], CardError<L::Error>> {
        const NAME: &str = "INTERNAL AUTHENTICATE";
        let command =
            Command::new(0x00, iso::INS_INTERNAL_AUTHENTICATE, 0, 0, challenge).expect(256);
        let mut response = [0u8; SIGNATURE_LEN + 2];
        let malformed = CardError::Malformed {
            command: NAME,
            why: "signature is not 64 bytes",
        };
        match self.exchange(NAME, &command, &mut response) {
            Ok((SIGNATURE_LEN, StatusWord::OK)) => {
                let mut signature = [0u8; SIGNATURE_LEN];
                signature.copy_from_slice(&response[..SIGNATURE_LEN]);
                Ok(signature)
            }
            Ok((_, StatusWord::OK)) | Err(CardError::Malformed { .. }) => Err(malformed),
            Ok((_, status)) => Err(CardError::Status {
                command: NAME,
                status,
            }),
            Err(e) => Err(e),
        }
    }

    /// The border check's card part. `challenge` must be fresh and random for every check,
    /// or a recorded answer would replay.
    pub fn read_for_border_check(
        &mut self,
        challenge: [u8; CHALLENGE_LEN],
    ) -> Result<ChipReading, CardError<L::Error>> {
        self.select()?;
        let mut buf = [0u8; MAX_RECORD_LEN + 2];
        let record_len = self
            .read_file(iso::SFI_RECORD, &mut buf)?
            .ok_or(CardError::Status {
                command: "READ BINARY",
                status: StatusWord::FILE_NOT_FOUND,
            })?;
        let signature = match self.internal_authenticate(&challenge) {
            Ok(signature) => Some(signature),
            Err(CardError::Status { .. } | CardError::Malformed { .. }) => None,
            Err(e) => return Err(e),
        };
        let mut record = [0u8; MAX_RECORD_LEN];
        record[..record_len].copy_from_slice(&buf[..record_len]);
        Ok(ChipReading {
            record,
            record_len,
            challenge,
            signature,
        })
    }
}
