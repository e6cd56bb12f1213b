//! The resident-card application: a pure state machine behind the chip's dispatcher
//! ([`crate::dispatch`], which checks length encoding, class, instruction and selection
//! first).
//!
//! docs/apdu.md is the spec; this file follows it check by check, in its order: life cycle
//! (6985 after lock), then each command's own P1-P2, Lc, Le, security state and data. The
//! first failing check answers, and a refused command changes nothing, except a failed
//! station authentication, which spends one try.
//!
//! Randomness (challenges, the chip key) comes from the caller, so tests can replay exact
//! transcripts; the bridge passes the operating system's generator.

use std::time::Duration;

use p256::ecdsa::SigningKey;
use rand_core::CryptoRngCore;
use sha2::{Digest, Sha256};
use stay_core::apdu::{self as iso, Command, Status as Sw};
use stay_core::pace::{self, Can, CardPace};
use stay_core::record::MAX_RECORD_LEN;
use stay_core::signature::PUBLIC_KEY_LEN;
use stay_core::{tlv, StayRecord};

use crate::dispatch::{Answer, Application, Outcome};
use crate::image::CardImage;

/// How the card meets the reader.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Interface {
    Contact,
    /// ISO/IEC 14443-4, with the ATR a PC/SC reader builds for it (PC/SC part 3).
    Contactless,
}

/// Historical bytes of both interfaces: "KGSTAY" (proprietary category).
const HISTORICAL: [u8; 6] = *b"KGSTAY";

const fn with_tck<const N: usize>(mut atr: [u8; N]) -> [u8; N] {
    // TCK: XOR of every byte from T0 to the last historical byte.
    let mut tck = 0;
    let mut i = 1;
    while i < N - 1 {
        tck ^= atr[i];
        i += 1;
    }
    atr[N - 1] = tck;
    atr
}

/// Contact ATR: direct convention, T=1 only (TD1 = 81, TD2 = 31), IFSC 254 (TA3 = FE),
/// BWI 4 / CWI 5 (TB3 = 45), six historical bytes, TCK.
pub const ATR_CONTACT: [u8; 13] = with_tck([
    0x3B,
    0x86,
    0x81,
    0x31,
    0xFE,
    0x45,
    HISTORICAL[0],
    HISTORICAL[1],
    HISTORICAL[2],
    HISTORICAL[3],
    HISTORICAL[4],
    HISTORICAL[5],
    0,
]);

/// Contactless ATR as PC/SC part 3 builds it for ISO 14443-4 type A: `3B 8n 80 01`, the
/// ATS historical bytes, TCK.
pub const ATR_CONTACTLESS: [u8; 11] = with_tck([
    0x3B,
    0x86,
    0x80,
    0x01,
    HISTORICAL[0],
    HISTORICAL[1],
    HISTORICAL[2],
    HISTORICAL[3],
    HISTORICAL[4],
    HISTORICAL[5],
    0,
]);

impl Interface {
    pub fn atr(self) -> &'static [u8] {
        match self {
            Interface::Contact => &ATR_CONTACT,
            Interface::Contactless => &ATR_CONTACTLESS,
        }
    }
}

/// Largest STORE DATA chain: the record object, the portrait object and the CAN object.
pub const STORE_MAX: usize = MAX_RECORD_LEN + 4 + iso::PORTRAIT_MAX_LEN + 5 + 2 + pace::CAN_LEN;

/// Failed PACE attempts the card answers at full speed.
pub const PACE_FREE_FAILURES: u16 = 3;
/// The longest the card waits before it answers a PACE attempt.
pub const PACE_DELAY_MAX: Duration = Duration::from_secs(30);

/// The slow-down after failed PACE attempts: how long the card waits before it answers the
/// next attempt's first step, given the attempts begun and not completed since the last
/// success. The first [`PACE_FREE_FAILURES`] are free (a guard mistyping the CAN), then 1 s,
/// doubling, to at most [`PACE_DELAY_MAX`]. A brute force of the 10⁶ CANs then spends about
/// 30 s on almost every guess: half the space is 5·10⁵ guesses, about 174 days with the card
/// held to the attacker's antenna the whole time.
pub fn pace_delay(failures: u16) -> Duration {
    match failures.checked_sub(PACE_FREE_FAILURES) {
        None => Duration::ZERO,
        Some(n) if n >= 5 => PACE_DELAY_MAX,
        Some(n) => Duration::from_secs(1 << n).min(PACE_DELAY_MAX),
    }
}
/// Length of the GENERATE ASYMMETRIC KEY PAIR answer: `7F49 43 86 41 04 X Y`.
pub const PUBLIC_KEY_RESPONSE_LEN: usize = 3 + 2 + PUBLIC_KEY_LEN;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum File {
    Record,
    Portrait,
    CardAccess,
}

#[derive(Debug)]
struct Chain {
    next_block: u8,
    data: Vec<u8>,
}

/// What the card forgets at power off, reset and (re)selection.
#[derive(Default)]
struct Session {
    current_file: Option<File>,
    challenge: Option<[u8; iso::CARD_CHALLENGE_LEN]>,
    station_authenticated: bool,
    chain: Option<Chain>,
    /// PACE in progress (after MSE: Set AT).
    pace: Option<CardPace>,
}

impl std::fmt::Debug for Session {
    // PACE's state holds secrets: only whether it is under way.
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Session")
            .field("current_file", &self.current_file)
            .field("station_authenticated", &self.station_authenticated)
            .field("chain", &self.chain.is_some())
            .field("pace", &self.pace.is_some())
            .finish()
    }
}

/// The card: persistent image plus session state.
#[derive(Debug)]
pub struct Applet {
    card: CardImage,
    session: Session,
}

fn refuse_data(cmd: &Command<'_>) -> Result<(), Sw> {
    if cmd.data.is_empty() {
        Ok(())
    } else {
        Err(Sw::WrongLength)
    }
}

fn refuse_le(cmd: &Command<'_>) -> Result<(), Sw> {
    if cmd.ne.is_none() {
        Ok(())
    } else {
        Err(Sw::WrongLength)
    }
}

/// Le for a response of exactly `len` bytes: absent is 6700, too small is 6Cxx.
fn require_ne(cmd: &Command<'_>, len: usize) -> Result<(), Sw> {
    match cmd.ne {
        None => Err(Sw::WrongLength),
        Some(ne) if (ne as usize) < len => Err(Sw::WrongLe(len as u8)),
        Some(_) => Ok(()),
    }
}

fn p1p2_zero(cmd: &Command<'_>) -> Result<(), Sw> {
    if cmd.p1 == 0 && cmd.p2 == 0 {
        Ok(())
    } else {
        Err(Sw::IncorrectP1P2)
    }
}

fn is_personalization(cmd: &Command<'_>) -> bool {
    match cmd.ins {
        iso::INS_GET_CHALLENGE
        | iso::INS_EXTERNAL_AUTHENTICATE
        | iso::INS_STORE_DATA
        | iso::INS_SET_STATUS => true,
        iso::INS_GENERATE_KEY_PAIR => cmd.p1 != iso::KEY_READ_PUBLIC,
        _ => false,
    }
}

impl Applet {
    pub fn new(card: CardImage) -> Applet {
        Applet {
            card,
            session: Session::default(),
        }
    }

    /// The persistent image, as the bridge saves it.
    pub fn card(&self) -> &CardImage {
        &self.card
    }

    /// A personalized (locked) card answers its holder's data only over PACE.
    fn pace_required(&self) -> bool {
        self.card.locked
    }

    /// MSE: Set AT: PACE-CAM with the CAN, on P-256, AES-128 (the only protocol it offers).
    fn mse_set_at(&mut self, cmd: &Command<'_>) -> Outcome {
        if [cmd.p1, cmd.p2] != iso::MSE_SET_AT {
            return Err(Sw::IncorrectP1P2);
        }
        refuse_le(cmd)?;
        if cmd.data != pace::MSE_SET_AT_DATA {
            return Err(Sw::IncorrectData);
        }
        // A card proves its chip only once the station has locked it: a card pulled after
        // its last STORE DATA but before SET STATUS holds a genuine record, and the journal
        // calls it spoiled; it must not pass a border check as a working card.
        if !self.card.locked {
            return Err(Sw::ConditionsNotSatisfied);
        }
        let can = self.card.can.ok_or(Sw::ReferencedDataNotFound)?;
        let chip = self
            .card
            .chip_private_key
            .ok_or(Sw::ReferencedDataNotFound)?;
        let pace = CardPace::new(&can, &chip).map_err(|_| Sw::ReferencedDataNotFound)?;
        self.session.pace = Some(pace);
        Ok(Answer::ok(Vec::new()))
    }

    /// GENERAL AUTHENTICATE: one of PACE's four steps. A wrong token is `6300` and ends the
    /// attempt; any other fault in a step, `6A80`.
    fn general_authenticate(&mut self, cmd: &Command<'_>, rng: &mut dyn CryptoRngCore) -> Outcome {
        p1p2_zero(cmd)?;
        if cmd.ne.is_none() {
            return Err(Sw::WrongLength);
        }
        let mut pace = self.session.pace.take().ok_or(Sw::ConditionsNotSatisfied)?;
        let mut random = [0u8; 32];
        rng.fill_bytes(&mut random);
        let starts = cmd.data.get(2).is_none();
        let step = match cmd.data.get(2).copied() {
            None => {
                let mut nonce = [0u8; 16];
                rng.fill_bytes(&mut nonce);
                pace.on_start(cmd.data, &nonce, &random).map(|m| (m, None))
            }
            Some(pace::tag::MAPPING_TERMINAL) => {
                pace.on_mapping(cmd.data, &random).map(|m| (m, None))
            }
            Some(pace::tag::EPHEMERAL_TERMINAL) => pace.on_ephemeral(cmd.data).map(|m| (m, None)),
            Some(pace::tag::TOKEN_TERMINAL) => pace.on_token(cmd.data).map(|(m, c)| (m, Some(c))),
            Some(_) => Err(pace::PaceError::Malformed),
        };
        match step {
            Ok((message, channel)) => {
                let mut answer = Answer::ok(message.bytes().to_vec());
                if starts {
                    // An attempt counts as failed until it completes: saved now, before the
                    // nonce leaves, so tearing the card away does not reset the count.
                    answer.delay = pace_delay(self.card.pace_failures);
                    self.card.pace_failures = self.card.pace_failures.saturating_add(1);
                    answer.persist = true;
                }
                if channel.is_some() {
                    self.card.pace_failures = 0;
                    answer.persist = true;
                } else {
                    self.session.pace = Some(pace);
                }
                answer.secure = channel;
                Ok(answer)
            }
            Err(pace::PaceError::BadToken) => Err(Sw::AuthenticationFailed),
            Err(_) => Err(Sw::IncorrectData),
        }
    }

    fn fci(&self) -> Vec<u8> {
        iso::Fci {
            serial: self.card.serial,
            locked: self.card.locked,
        }
        .write()
        .to_vec()
    }

    fn read_binary(&mut self, cmd: &Command<'_>, secured: bool) -> Outcome {
        refuse_data(cmd)?;
        let (file, offset) = if cmd.p1 & 0x80 != 0 {
            if cmd.p1 & 0x60 != 0 {
                return Err(Sw::IncorrectP1P2);
            }
            let file = match cmd.p1 & 0x1F {
                iso::SFI_RECORD => File::Record,
                iso::SFI_PORTRAIT => File::Portrait,
                iso::SFI_CARD_ACCESS if self.card.can.is_some() => File::CardAccess,
                _ => return Err(Sw::NotFound),
            };
            (file, usize::from(cmd.p2))
        } else {
            let file = self.session.current_file.ok_or(Sw::NoCurrentEf)?;
            (file, usize::from(u16::from_be_bytes([cmd.p1, cmd.p2])))
        };
        let ne = cmd.ne.ok_or(Sw::WrongLength)? as usize;
        // A card with a CAN shows its holder's data only over PACE's channel.
        if self.pace_required() && !secured && file != File::CardAccess {
            return Err(Sw::SecurityStatusNotSatisfied);
        }
        let content = match file {
            File::Record => self.card.record.as_deref(),
            File::Portrait => self.card.portrait.as_deref(),
            File::CardAccess => Some(&pace::CARD_ACCESS[..]),
        }
        .ok_or(Sw::NotFound)?;
        self.session.current_file = Some(file);
        let rest = content.get(offset..).filter(|r| !r.is_empty());
        let rest = rest.ok_or(Sw::WrongParameters)?;
        let n = ne.min(rest.len());
        let status = if n < ne && !cmd.le_is_wildcard() {
            Sw::EndOfFile
        } else {
            Sw::Success
        };
        Ok(Answer {
            data: rest[..n].to_vec(),
            status,
            persist: false,
            secure: None,
            delay: Duration::ZERO,
        })
    }

    fn chip_key(&self) -> Option<SigningKey> {
        // The image loader checked the scalar; a bad one reads as "no key".
        SigningKey::from_slice(self.card.chip_private_key.as_ref()?).ok()
    }

    fn get_challenge(&mut self, cmd: &Command<'_>, rng: &mut dyn CryptoRngCore) -> Outcome {
        p1p2_zero(cmd)?;
        refuse_data(cmd)?;
        require_ne(cmd, iso::CARD_CHALLENGE_LEN)?;
        let mut challenge = [0u8; iso::CARD_CHALLENGE_LEN];
        rng.fill_bytes(&mut challenge);
        self.session.challenge = Some(challenge);
        Ok(Answer::ok(challenge.to_vec()))
    }

    fn external_authenticate(&mut self, cmd: &Command<'_>) -> Outcome {
        p1p2_zero(cmd)?;
        if cmd.data.len() != 64 {
            return Err(Sw::WrongLength);
        }
        refuse_le(cmd)?;
        if self.card.tries_left == 0 {
            return Err(Sw::AuthenticationBlocked);
        }
        // A challenge answers one attempt, right or wrong.
        let challenge = self
            .session
            .challenge
            .take()
            .ok_or(Sw::ConditionsNotSatisfied)?;
        let message = iso::personalization_message(&self.card.serial, &challenge);
        let genuine =
            stay_core::signature::verify(&self.card.personalization_key, &message, cmd.data)
                .is_ok();
        if genuine {
            self.session.station_authenticated = true;
            let changed = self.card.tries_left != iso::PERSONALIZATION_TRIES;
            self.card.tries_left = iso::PERSONALIZATION_TRIES;
            let answer = Answer::ok(Vec::new());
            Ok(if changed { answer.saved() } else { answer })
        } else {
            self.session.station_authenticated = false;
            self.card.tries_left -= 1;
            Ok(Answer {
                data: Vec::new(),
                status: Sw::RemainingRetries(self.card.tries_left),
                persist: true,
                secure: None,
                delay: Duration::ZERO,
            })
        }
    }

    fn public_key_response(key: &SigningKey) -> Vec<u8> {
        let point = key.verifying_key().to_encoded_point(false);
        let mut out = vec![0x7F, 0x49, 0x43, 0x86, 0x41];
        out.extend_from_slice(point.as_bytes());
        debug_assert_eq!(out.len(), PUBLIC_KEY_RESPONSE_LEN);
        out
    }

    fn generate_key_pair(
        &mut self,
        cmd: &Command<'_>,
        secured: bool,
        mut rng: &mut dyn CryptoRngCore,
    ) -> Outcome {
        if cmd.p2 != 0 || !matches!(cmd.p1, iso::KEY_GENERATE | iso::KEY_READ_PUBLIC) {
            return Err(Sw::IncorrectP1P2);
        }
        refuse_data(cmd)?;
        require_ne(cmd, PUBLIC_KEY_RESPONSE_LEN)?;
        if cmd.p1 == iso::KEY_READ_PUBLIC {
            // The chip key is as unique as a serial: on a locked card, over PACE only.
            if self.pace_required() && !secured {
                return Err(Sw::SecurityStatusNotSatisfied);
            }
            let key = self.chip_key().ok_or(Sw::ReferencedDataNotFound)?;
            return Ok(Answer::ok(Self::public_key_response(&key)));
        }
        if !self.session.station_authenticated {
            return Err(Sw::SecurityStatusNotSatisfied);
        }
        let key = SigningKey::random(&mut rng);
        self.card.chip_private_key = Some(key.to_bytes().into());
        // Data signed for the old key would now fail its chip proof: drop it.
        self.card.record = None;
        self.card.portrait = None;
        self.session.chain = None;
        self.session.current_file = None;
        Ok(Answer::ok(Self::public_key_response(&key)).saved())
    }

    fn store_data(&mut self, cmd: &Command<'_>) -> Outcome {
        if cmd.p1 & !iso::STORE_LAST_BLOCK != 0 {
            return Err(Sw::IncorrectP1P2);
        }
        if cmd.data.is_empty() || cmd.extended {
            return Err(Sw::WrongLength);
        }
        refuse_le(cmd)?;
        if !self.session.station_authenticated {
            return Err(Sw::SecurityStatusNotSatisfied);
        }
        let key = self.chip_key().ok_or(Sw::ConditionsNotSatisfied)?;
        let block = cmd.p2;
        let mut chain = match self.session.chain.take() {
            _ if block == 0 => Chain {
                next_block: 0,
                data: Vec::new(),
            },
            Some(chain) if chain.next_block == block => chain,
            // A block out of sequence aborts the chain: the station starts again at 0.
            _ => return Err(Sw::IncorrectP1P2),
        };
        if chain.data.len() + cmd.data.len() > STORE_MAX {
            return Err(Sw::NotEnoughMemory);
        }
        chain.data.extend_from_slice(cmd.data);
        if cmd.p1 & iso::STORE_LAST_BLOCK == 0 {
            chain.next_block = block.checked_add(1).ok_or(Sw::NotEnoughMemory)?;
            self.session.chain = Some(chain);
            return Ok(Answer::ok(Vec::new()));
        }
        let public = key.verifying_key().to_encoded_point(false);
        let (record, portrait, can) = stored_objects(&chain.data, public.as_bytes())?;
        self.card.record = Some(record.to_vec());
        self.card.portrait = portrait.map(<[u8]>::to_vec);
        self.card.can = Some(can);
        self.session.current_file = None;
        Ok(Answer::ok(Vec::new()).saved())
    }

    fn set_status(&mut self, cmd: &Command<'_>) -> Outcome {
        if cmd.p1 != iso::STATUS_APPLICATION || cmd.p2 != iso::STATUS_LOCKED {
            return Err(Sw::IncorrectP1P2);
        }
        refuse_data(cmd)?;
        refuse_le(cmd)?;
        if !self.session.station_authenticated {
            return Err(Sw::SecurityStatusNotSatisfied);
        }
        if self.card.chip_private_key.is_none()
            || self.card.record.is_none()
            || self.card.can.is_none()
            || self.session.chain.is_some()
        {
            return Err(Sw::ConditionsNotSatisfied);
        }
        self.card.locked = true;
        self.session.station_authenticated = false;
        Ok(Answer::ok(Vec::new()).saved())
    }
}

impl Application for Applet {
    /// The stay AID, or a prefix of it of at least [`iso::AID_MIN_PREFIX`] bytes.
    fn answers_to(&self, name: &[u8]) -> bool {
        name.len() >= iso::AID_MIN_PREFIX && iso::AID.starts_with(name)
    }

    fn class_of(&self, ins: u8) -> Option<u8> {
        match ins {
            iso::INS_SELECT
            | iso::INS_READ_BINARY
            | iso::INS_GET_CHALLENGE
            | iso::INS_EXTERNAL_AUTHENTICATE
            | iso::INS_GENERATE_KEY_PAIR
            | iso::INS_MANAGE_SECURITY_ENVIRONMENT
            | iso::INS_GENERAL_AUTHENTICATE => Some(iso::CLA_ISO),
            iso::INS_STORE_DATA | iso::INS_SET_STATUS => Some(iso::CLA_PROPRIETARY),
            _ => None,
        }
    }

    fn select(&mut self, cmd: &Command<'_>, secured: bool) -> Outcome {
        // The FCI names the serial: over PACE only, on a card that takes PACE.
        if cmd.ne.is_some() && self.pace_required() && !secured {
            return Err(Sw::SecurityStatusNotSatisfied);
        }
        let fci = self.fci();
        if cmd.ne.is_some() {
            require_ne(cmd, fci.len())?;
        }
        self.session = Session::default();
        Ok(Answer::ok(if cmd.ne.is_some() { fci } else { Vec::new() }))
    }

    fn deselect(&mut self) {
        self.session = Session::default();
    }

    fn call(&mut self, cmd: &Command<'_>, secured: bool, rng: &mut dyn CryptoRngCore) -> Outcome {
        if self.card.locked && is_personalization(cmd) {
            return Err(Sw::ConditionsNotSatisfied);
        }
        match cmd.ins {
            iso::INS_READ_BINARY => self.read_binary(cmd, secured),
            iso::INS_MANAGE_SECURITY_ENVIRONMENT => self.mse_set_at(cmd),
            iso::INS_GENERAL_AUTHENTICATE => self.general_authenticate(cmd, rng),
            iso::INS_GET_CHALLENGE => self.get_challenge(cmd, rng),
            iso::INS_EXTERNAL_AUTHENTICATE => self.external_authenticate(cmd),
            iso::INS_GENERATE_KEY_PAIR => self.generate_key_pair(cmd, secured, rng),
            iso::INS_STORE_DATA => self.store_data(cmd),
            iso::INS_SET_STATUS => self.set_status(cmd),
            _ => Err(Sw::InstructionNotSupported),
        }
    }
}

/// What one STORE DATA chain holds: the record, the portrait, the CAN.
type Stored<'a> = (&'a [u8], Option<&'a [u8]>, Can);

/// The STORE DATA payload: exactly one canonical stay record (`7F70`) for this chip's key,
/// then optionally the portrait (`5F40`) whose SHA-256 the record names, then the CAN
/// (`C2`, six ASCII digits). Anything else is 6A80: a card never stores data its own border
/// check would reject.
fn stored_objects<'a>(data: &'a [u8], chip_public_key: &[u8]) -> Result<Stored<'a>, Sw> {
    let mut reader = tlv::Reader::new(data);
    let record = reader
        .expect(stay_core::record::tag::RECORD)
        .map_err(|_| Sw::IncorrectData)?;
    let portrait = reader
        .optional(iso::TAG_PORTRAIT)
        .map_err(|_| Sw::IncorrectData)?;
    let can = reader.expect(iso::TAG_CAN).map_err(|_| Sw::IncorrectData)?;
    let can = core::str::from_utf8(can.value)
        .ok()
        .and_then(|c| Can::parse(c).ok())
        .ok_or(Sw::IncorrectData)?;
    reader.finish().map_err(|_| Sw::IncorrectData)?;
    let parsed = StayRecord::parse(record.encoded).map_err(|_| Sw::IncorrectData)?;
    if parsed.fields.chip_public_key.map(|k| &k[..]) != Some(chip_public_key) {
        return Err(Sw::IncorrectData);
    }
    let portrait = portrait.map(|p| p.value);
    if portrait.is_some_and(|p| p.len() > iso::PORTRAIT_MAX_LEN) {
        return Err(Sw::NotEnoughMemory);
    }
    match (parsed.fields.portrait_digest, portrait) {
        (None, None) => {}
        (Some(digest), Some(p)) if Sha256::digest(p)[..] == digest[..] => {}
        _ => return Err(Sw::IncorrectData),
    }
    Ok((record.encoded, portrait, can))
}
