//! The terminal's side of the card interface (docs/apdu.md): the border check and
//! personalization, over any APDU [`Transport`] (PC/SC here, the in-process applet in
//! tests). Commands are built with `stay_core::apdu`, the same encoding the card parses.

use stay_core::apdu::{
    self as iso, split_response, Command, StatusWord, AID, CARD_CHALLENGE_LEN, SERIAL_LEN,
};
use stay_core::signature::{PUBLIC_KEY_LEN, SIGNATURE_LEN};
use stay_core::terminal;
use stay_core::{ChipProof, CHALLENGE_LEN};

/// Moves one command APDU to the card and its response back.
pub trait Transport {
    /// Sends `command`, returns the whole response APDU (data, then SW1 SW2).
    fn transmit(&mut self, command: &[u8]) -> Result<Vec<u8>, CardError>;
}

#[derive(Debug, thiserror::Error)]
pub enum CardError {
    /// The card left the reader (or was reset by another client) mid-session.
    #[error("card removed")]
    Removed,
    #[error("card transport: {0}")]
    Transport(String),
    #[error("{command}: the card answered {status}")]
    Status {
        command: &'static str,
        status: StatusWord,
    },
    #[error("{command}: malformed answer: {why}")]
    Malformed {
        command: &'static str,
        why: &'static str,
    },
    #[error("the card is locked; personalization is over")]
    Locked,
}

/// What SELECT's FCI says about the card.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct CardInfo {
    pub serial: [u8; SERIAL_LEN],
    pub locked: bool,
}

/// The card's answers for a border check.
#[derive(Debug, Clone)]
pub struct ChipReading {
    pub record: Vec<u8>,
    pub challenge: [u8; CHALLENGE_LEN],
    /// The chip's answer; `None` when it refused or answered nonsense, which the
    /// verification turns into `Invalid(chip-proof-missing)`.
    pub signature: Option<[u8; SIGNATURE_LEN]>,
}

impl ChipReading {
    pub fn proof(&self) -> Option<ChipProof<'_>> {
        Some(ChipProof {
            challenge: &self.challenge,
            signature: self.signature.as_ref()?,
        })
    }
}

/// A [`Transport`] as `stay_core::terminal` sees it, counting the traffic.
struct Link<'a, T: Transport + ?Sized> {
    transport: &'a mut T,
    traffic: &'a mut Traffic,
}

impl<T: Transport + ?Sized> terminal::ApduLink for Link<'_, T> {
    type Error = CardError;

    fn exchange(&mut self, command: &[u8], response: &mut [u8]) -> Result<usize, CardError> {
        let answer = self.transport.transmit(command)?;
        self.traffic.apdus += 1;
        self.traffic.bytes_sent += command.len();
        self.traffic.bytes_received += answer.len();
        // Longer than the caller allows: report a length the terminal refuses.
        let Some(room) = response.get_mut(..answer.len()) else {
            return Ok(usize::MAX);
        };
        room.copy_from_slice(&answer);
        Ok(answer.len())
    }

    /// A reader that cannot carry an extended APDU fails it in the transport.
    fn is_length_limit(error: &CardError) -> bool {
        matches!(error, CardError::Transport(_))
    }
}

/// Counts what a session cost: round trips and bytes.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Traffic {
    pub apdus: u32,
    pub bytes_sent: usize,
    pub bytes_received: usize,
}

/// A conversation with one card.
pub struct Session<'t, T: Transport + ?Sized> {
    transport: &'t mut T,
    pub traffic: Traffic,
    /// Try one extended-length READ BINARY before falling back to short reads.
    pub extended_length: bool,
}

impl<'t, T: Transport + ?Sized> Session<'t, T> {
    pub fn new(transport: &'t mut T) -> Self {
        Session {
            transport,
            traffic: Traffic::default(),
            extended_length: true,
        }
    }

    /// One round trip; returns the response data and status word.
    pub fn exchange(
        &mut self,
        name: &'static str,
        command: &Command<'_>,
    ) -> Result<(Vec<u8>, StatusWord), CardError> {
        let mut bytes = vec![0u8; command.encoded_len()];
        command.write(&mut bytes).ok_or(CardError::Malformed {
            command: name,
            why: "command cannot be encoded",
        })?;
        let response = self.transport.transmit(&bytes)?;
        self.traffic.apdus += 1;
        self.traffic.bytes_sent += bytes.len();
        self.traffic.bytes_received += response.len();
        let (data, status) = split_response(&response).ok_or(CardError::Malformed {
            command: name,
            why: "no status word",
        })?;
        Ok((data.to_vec(), status))
    }

    fn expect_ok(
        &mut self,
        name: &'static str,
        command: &Command<'_>,
    ) -> Result<Vec<u8>, CardError> {
        match self.exchange(name, command)? {
            (data, StatusWord::OK) => Ok(data),
            (_, status) => Err(CardError::Status {
                command: name,
                status,
            }),
        }
    }

    /// SELECT the application and read its FCI: serial number and life cycle.
    pub fn select_info(&mut self) -> Result<CardInfo, CardError> {
        let command = Command::new(0x00, iso::INS_SELECT, 0x04, 0x00, &AID).expect(256);
        let fci = self.expect_ok("SELECT", &command)?;
        parse_fci(&fci).ok_or(CardError::Malformed {
            command: "SELECT",
            why: "FCI is not 6F{84 AID, 8A LCS, A5{C1 serial}}",
        })
    }

    /// The border check's side of the card, `stay_core::terminal`, over this session's
    /// transport (its traffic counted here).
    fn terminal<R>(
        &mut self,
        run: impl FnOnce(
            &mut terminal::Session<'_, Link<'_, T>>,
        ) -> Result<R, terminal::CardError<CardError>>,
    ) -> Result<R, CardError> {
        let mut link = Link {
            transport: &mut *self.transport,
            traffic: &mut self.traffic,
        };
        let mut session = terminal::Session::new(&mut link);
        session.extended_length = self.extended_length;
        run(&mut session).map_err(|e| match e {
            terminal::CardError::Link(e) => e,
            terminal::CardError::Status { command, status } => {
                CardError::Status { command, status }
            }
            terminal::CardError::Malformed { command, why } => {
                CardError::Malformed { command, why }
            }
        })
    }

    /// The border check's card part, in three round trips on an extended-length reader:
    /// SELECT, READ BINARY of the record, INTERNAL AUTHENTICATE with `challenge` (fresh and
    /// random for every check, or a recorded answer would replay).
    pub fn read_for_border_check(
        &mut self,
        challenge: [u8; CHALLENGE_LEN],
    ) -> Result<ChipReading, CardError> {
        let reading = self.terminal(|t| t.read_for_border_check(challenge))?;
        Ok(ChipReading {
            record: reading.record().to_vec(),
            challenge: reading.challenge,
            signature: reading.signature,
        })
    }

    /// The portrait, read apart from the border check so a quick check does not pay for it.
    pub fn read_portrait(&mut self) -> Result<Option<Vec<u8>>, CardError> {
        let mut buf = vec![0u8; iso::PORTRAIT_MAX_LEN + 2];
        let len = self.terminal(|t| t.read_file(iso::SFI_PORTRAIT, &mut buf))?;
        Ok(len.map(|len| {
            buf.truncate(len);
            buf
        }))
    }

    /// GET CHALLENGE, then EXTERNAL AUTHENTICATE with the personalization key's signature.
    pub fn authenticate_station(
        &mut self,
        info: &CardInfo,
        personalization_key: &issuer::KeyPair,
    ) -> Result<(), CardError> {
        let challenge = self.expect_ok(
            "GET CHALLENGE",
            &Command::new(0x00, iso::INS_GET_CHALLENGE, 0, 0, &[]).expect(16),
        )?;
        let challenge: [u8; CARD_CHALLENGE_LEN] =
            challenge.try_into().map_err(|_| CardError::Malformed {
                command: "GET CHALLENGE",
                why: "challenge is not 16 bytes",
            })?;
        let signature =
            personalization_key.sign(&iso::personalization_message(&info.serial, &challenge));
        self.expect_ok(
            "EXTERNAL AUTHENTICATE",
            &Command::new(0x00, iso::INS_EXTERNAL_AUTHENTICATE, 0, 0, &signature),
        )?;
        Ok(())
    }

    /// GENERATE ASYMMETRIC KEY PAIR: the card makes its chip key and shows the public half.
    pub fn generate_chip_key(&mut self) -> Result<[u8; PUBLIC_KEY_LEN], CardError> {
        let command =
            Command::new(0x00, iso::INS_GENERATE_KEY_PAIR, iso::KEY_GENERATE, 0, &[]).expect(256);
        let data = self.expect_ok("GENERATE ASYMMETRIC KEY PAIR", &command)?;
        parse_public_key(&data).ok_or(CardError::Malformed {
            command: "GENERATE ASYMMETRIC KEY PAIR",
            why: "not 7F49{86 uncompressed point}",
        })
    }

    /// STORE DATA: `payload` in blocks of at most `block_len` bytes, numbered from 0, the
    /// last one flagged.
    pub fn store(&mut self, payload: &[u8], block_len: usize) -> Result<(), CardError> {
        let block_len = block_len.clamp(1, iso::STORE_BLOCK_MAX);
        let blocks: Vec<&[u8]> = payload.chunks(block_len).collect();
        if blocks.len() > 256 {
            return Err(CardError::Malformed {
                command: "STORE DATA",
                why: "payload needs more than 256 blocks",
            });
        }
        for (number, block) in blocks.iter().enumerate() {
            let last = if number + 1 == blocks.len() {
                iso::STORE_LAST_BLOCK
            } else {
                0
            };
            let command = Command::new(
                iso::CLA_PROPRIETARY,
                iso::INS_STORE_DATA,
                last,
                number as u8,
                block,
            );
            self.expect_ok("STORE DATA", &command)?;
        }
        Ok(())
    }

    /// SET STATUS to locked: irreversible.
    pub fn lock(&mut self) -> Result<(), CardError> {
        let command = Command::new(
            iso::CLA_PROPRIETARY,
            iso::INS_SET_STATUS,
            iso::STATUS_APPLICATION,
            iso::STATUS_LOCKED,
            &[],
        );
        self.expect_ok("SET STATUS", &command).map(drop)
    }

    /// The whole personalization of a blank card: authenticate, generate the chip key, have
    /// `sign_record` seal the record for that key, store it (and the portrait), lock.
    /// Returns the card's serial and the stored record.
    pub fn personalize(
        &mut self,
        personalization_key: &issuer::KeyPair,
        sign_record: impl FnOnce(&[u8; PUBLIC_KEY_LEN]) -> anyhow::Result<Vec<u8>>,
        portrait: Option<&[u8]>,
    ) -> anyhow::Result<([u8; SERIAL_LEN], Vec<u8>)> {
        let info = self.select_info()?;
        if info.locked {
            return Err(CardError::Locked.into());
        }
        self.authenticate_station(&info, personalization_key)?;
        let chip_key = self.generate_chip_key()?;
        let record = sign_record(&chip_key)?;
        self.store(&store_payload(&record, portrait), iso::STORE_BLOCK_MAX)?;
        self.lock()?;
        Ok((info.serial, record))
    }
}

/// What STORE DATA carries: the record object, then the portrait object (`5F40`).
pub fn store_payload(record: &[u8], portrait: Option<&[u8]>) -> Vec<u8> {
    let mut payload = record.to_vec();
    if let Some(portrait) = portrait {
        let mut object = vec![0u8; stay_core::tlv::encoded_len(iso::TAG_PORTRAIT, portrait.len())];
        stay_core::tlv::Writer::new(&mut object)
            .field(iso::TAG_PORTRAIT, portrait)
            .expect("sized by encoded_len");
        payload.extend_from_slice(&object);
    }
    payload
}

fn parse_fci(fci: &[u8]) -> Option<CardInfo> {
    use stay_core::tlv::Reader;
    let mut outer = Reader::new(fci);
    let template = outer.expect(iso::TAG_FCI).ok()?;
    outer.finish().ok()?;
    let mut r = Reader::new(template.value);
    let name = r.expect(iso::TAG_DF_NAME).ok()?;
    let lcs = r.expect(iso::TAG_LIFE_CYCLE).ok()?;
    let proprietary = r.expect(iso::TAG_PROPRIETARY).ok()?;
    r.finish().ok()?;
    let mut p = Reader::new(proprietary.value);
    let serial = p.expect(iso::TAG_SERIAL).ok()?;
    p.finish().ok()?;
    if name.value != AID {
        return None;
    }
    let locked = match lcs.value {
        [iso::LCS_OPERATIONAL] => true,
        [iso::LCS_INITIALISATION] => false,
        _ => return None,
    };
    Some(CardInfo {
        serial: serial.value.try_into().ok()?,
        locked,
    })
}

fn parse_public_key(data: &[u8]) -> Option<[u8; PUBLIC_KEY_LEN]> {
    use stay_core::tlv::Reader;
    let mut outer = Reader::new(data);
    let template = outer.expect(iso::TAG_PUBLIC_KEY_TEMPLATE).ok()?;
    outer.finish().ok()?;
    let mut r = Reader::new(template.value);
    let point = r.expect(iso::TAG_EC_POINT).ok()?;
    r.finish().ok()?;
    let point: [u8; PUBLIC_KEY_LEN] = point.value.try_into().ok()?;
    stay_core::PublicKey::from_sec1(&point).ok()?;
    Some(point)
}

/// A fresh random challenge for INTERNAL AUTHENTICATE.
pub fn fresh_challenge() -> [u8; CHALLENGE_LEN] {
    let mut challenge = [0u8; CHALLENGE_LEN];
    rand_core::RngCore::fill_bytes(&mut rand_core::OsRng, &mut challenge);
    challenge
}
