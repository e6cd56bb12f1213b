//! The border check's card part over any APDU link, without a heap: SELECT, one extended
//! READ BINARY of the record (short reads when the card or the link refuse extended length),
//! INTERNAL AUTHENTICATE with the terminal's fresh challenge. The same three round trips as
//! the host's `reader-host` on an extended-length reader.

use heapless::Vec;
use stay_core::apdu::{self as iso, Command, StatusWord, AID, NE_MAX_EXTENDED, NE_MAX_SHORT};
use stay_core::chip_proof::ChipProof;
use stay_core::signature::SIGNATURE_LEN;
use stay_core::CHALLENGE_LEN;

use crate::{COMMAND_MAX, RECORD_MAX, RESPONSE_MAX};

/// Carries one command APDU to the card and its response back (status word included).
pub trait ApduLink {
    type Error: core::fmt::Debug;
    /// Sends `command`; the response is written to `response`, its length returned.
    fn exchange(&mut self, command: &[u8], response: &mut [u8]) -> Result<usize, Self::Error>;
}

#[derive(Debug, PartialEq, Eq)]
pub enum CardError<E> {
    /// The link failed (card left the field, front end error).
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
#[derive(Debug, Clone)]
pub struct ChipReading {
    pub record: Vec<u8, RECORD_MAX>,
    pub challenge: [u8; CHALLENGE_LEN],
    /// `None` when the card refused INTERNAL AUTHENTICATE (the verdict then says the chip
    /// was not proven).
    pub signature: Option<[u8; SIGNATURE_LEN]>,
}

impl ChipReading {
    pub fn proof(&self) -> Option<ChipProof<'_>> {
        self.signature.as_ref().map(|signature| ChipProof {
            challenge: &self.challenge,
            signature,
        })
    }
}

/// A session with the card on `link`; counts the APDUs it sends.
pub struct Session<'l, L: ApduLink> {
    link: &'l mut L,
    response: [u8; RESPONSE_MAX],
    pub apdus: u32,
}

impl<'l, L: ApduLink> Session<'l, L> {
    pub fn new(link: &'l mut L) -> Self {
        Session {
            link,
            response: [0; RESPONSE_MAX],
            apdus: 0,
        }
    }

    /// Sends `command`; the response data (in `self.response`) length and status word.
    fn exchange(
        &mut self,
        name: &'static str,
        command: &Command<'_>,
    ) -> Result<(usize, StatusWord), CardError<L::Error>> {
        let mut bytes = [0u8; COMMAND_MAX];
        let n = command.write(&mut bytes).ok_or(CardError::Malformed {
            command: name,
            why: "command too long",
        })?;
        let len = self
            .link
            .exchange(&bytes[..n], &mut self.response)
            .map_err(CardError::Link)?;
        self.apdus += 1;
        if !(2..=RESPONSE_MAX).contains(&len) {
            return Err(CardError::Malformed {
                command: name,
                why: "no status word",
            });
        }
        let status = StatusWord::from_bytes(self.response[len - 2], self.response[len - 1]);
        Ok((len - 2, status))
    }

    fn expect_ok(
        &mut self,
        name: &'static str,
        command: &Command<'_>,
    ) -> Result<usize, CardError<L::Error>> {
        match self.exchange(name, command)? {
            (len, StatusWord::OK) => Ok(len),
            (_, status) => Err(CardError::Status {
                command: name,
                status,
            }),
        }
    }

    pub fn select(&mut self) -> Result<(), CardError<L::Error>> {
        let len = self.expect_ok(
            "SELECT",
            &Command::new(0x00, iso::INS_SELECT, 0x04, 0x0C, &AID),
        )?;
        if len != 0 {
            return Err(CardError::Malformed {
                command: "SELECT",
                why: "data returned for P2=0C",
            });
        }
        Ok(())
    }

    /// The record file: one extended READ BINARY, or short reads of 256 bytes.
    pub fn read_record(&mut self) -> Result<Vec<u8, RECORD_MAX>, CardError<L::Error>> {
        const NAME: &str = "READ BINARY";
        let too_long = || CardError::Malformed {
            command: NAME,
            why: "file longer than the format allows",
        };
        let mut record = Vec::new();
        let command = Command::new(0x00, iso::INS_READ_BINARY, 0x80 | iso::SFI_RECORD, 0, &[])
            .expect(NE_MAX_EXTENDED);
        match self.exchange(NAME, &command)? {
            (len, StatusWord::OK) => {
                record
                    .extend_from_slice(&self.response[..len])
                    .map_err(|_| too_long())?;
                return Ok(record);
            }
            // The card or the link cannot carry extended length: short reads.
            (_, StatusWord::WRONG_LENGTH) => {}
            (_, status) => {
                return Err(CardError::Status {
                    command: NAME,
                    status,
                })
            }
        }
        loop {
            let offset = record.len();
            let command = if offset == 0 {
                Command::new(0x00, iso::INS_READ_BINARY, 0x80 | iso::SFI_RECORD, 0, &[])
            } else {
                let [hi, lo] = (offset as u16).to_be_bytes();
                Command::new(0x00, iso::INS_READ_BINARY, hi & 0x7F, lo, &[])
            }
            .expect(NE_MAX_SHORT);
            let (len, status) = self.exchange(NAME, &command)?;
            match status {
                StatusWord::OK => {}
                // Just past the end: the file was a multiple of 256 bytes.
                StatusWord::WRONG_P1P2 if offset > 0 => return Ok(record),
                status => {
                    return Err(CardError::Status {
                        command: NAME,
                        status,
                    })
                }
            }
            record
                .extend_from_slice(&self.response[..len])
                .map_err(|_| too_long())?;
            if len < NE_MAX_SHORT as usize {
                return Ok(record);
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
        let len = self.expect_ok(NAME, &command)?;
        self.response[..len]
            .try_into()
            .map_err(|_| CardError::Malformed {
                command: NAME,
                why: "signature is not 64 bytes",
            })
    }

    /// The border check's card part. `challenge` must be fresh and random for every check,
    /// or a recorded answer would replay.
    pub fn read_for_border_check(
        &mut self,
        challenge: [u8; CHALLENGE_LEN],
    ) -> Result<ChipReading, CardError<L::Error>> {
        self.select()?;
        let record = self.read_record()?;
        let signature = match self.internal_authenticate(&challenge) {
            Ok(signature) => Some(signature),
            Err(CardError::Status { .. } | CardError::Malformed { .. }) => None,
            Err(e) => return Err(e),
        };
        Ok(ChipReading {
            record,
            challenge,
            signature,
        })
    }
}
