//! PACE's exchange: Chip Authentication Mapping over ECDH on NIST P-256 (ICAO 9303-11
//! §4.4.3.3.1 and §4.4.3.5: Generic Mapping, plus the chip's proof of its key) and the four
//! GENERAL AUTHENTICATE steps, as two pure state machines, one for the terminal
//! and one for the card, so both sides are the same code's two halves and a test can run
//! them against each other. Randomness comes from the caller (recorded transcripts replay).
//!
//! 1. card → terminal: `80` the encrypted nonce `z = E(K_pi, s)`;
//! 2. both: mapping keys `81` / `82`; `H = SK_map · PK_map,other`, `G~ = s·G + H`;
//! 3. both: ephemeral keys on `G~`, `83` / `84`; `K = x(SK · PK_other)`;
//! 4. both: authentication tokens `85` / `86` over the other's ephemeral key, under `KSmac`;
//!    the card adds `8A`, its chip authentication data `E(KSenc, SK_IC⁻¹ · SK_Map,IC)`.
//!
//! Every point received is checked: uncompressed, on the curve, not the identity; and each
//! side refuses the other's key if it equals its own (§4.4.3.3 d). Coordinates are always 32
//! bytes, leading zeros kept.

use p256::elliptic_curve::{Field, PrimeField};
use p256::{FieldBytes, Scalar};

use super::{
    authentication_token, decrypt_chip_authentication, decrypt_nonce, encrypt_chip_authentication,
    encrypt_nonce, mac_eq, session_keys, Can, BLOCK, ENCRYPTED_CHIP_AUTHENTICATION_LEN, MAC_LEN,
    POINT_LEN,
};
use crate::chip_proof::ChipAuthentication;
use crate::curve::{self, Point};
use crate::sm::SecureChannel;

/// Why PACE stopped.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum PaceError {
    /// A message is not the data objects its step carries.
    Malformed,
    /// A point that is not an uncompressed P-256 point, or the identity.
    BadPoint,
    /// The other side sent back our own key.
    SameKey,
    /// A secret scalar out of range (the caller's randomness was zero or too large).
    BadSecret,
    /// The other side's authentication token does not match: a wrong CAN, or a changed
    /// message.
    BadToken,
    /// A message in the wrong step.
    OutOfOrder,
}

/// Dynamic authentication data tags (ICAO 9303-11 §4.4.4.2).
pub mod tag {
    pub const DYNAMIC_AUTHENTICATION_DATA: u8 = 0x7C;
    pub const ENCRYPTED_NONCE: u8 = 0x80;
    pub const MAPPING_TERMINAL: u8 = 0x81;
    pub const MAPPING_CARD: u8 = 0x82;
    pub const EPHEMERAL_TERMINAL: u8 = 0x83;
    pub const EPHEMERAL_CARD: u8 = 0x84;
    pub const TOKEN_TERMINAL: u8 = 0x85;
    pub const TOKEN_CARD: u8 = 0x86;
    pub const ENCRYPTED_CHIP_AUTHENTICATION: u8 = 0x8A;
}

/// The longest GENERAL AUTHENTICATE data: `7C 43 8x 41 <65-byte point>`.
pub const MESSAGE_MAX: usize = 4 + POINT_LEN;

/// A step's message: `7C L <tag> L <value>...`, or `7C 00` for the terminal's first.
#[derive(Clone, Copy)]
pub struct Message {
    bytes: [u8; MESSAGE_MAX],
    len: usize,
}

impl Message {
    fn new(tag: Option<u8>, value: &[u8]) -> Message {
        match tag {
            None => Message::of(&[]),
            Some(tag) => Message::of(&[(tag, value)]),
        }
    }

    /// `7C L` around the objects, in order (each under 128 bytes, all within
    /// [`MESSAGE_MAX`]).
    fn of(objects: &[(u8, &[u8])]) -> Message {
        let mut bytes = [0u8; MESSAGE_MAX];
        bytes[0] = tag::DYNAMIC_AUTHENTICATION_DATA;
        let mut len = 2;
        for (tag, value) in objects {
            bytes[len] = *tag;
            bytes[len + 1] = value.len() as u8;
            bytes[len + 2..len + 2 + value.len()].copy_from_slice(value);
            len += 2 + value.len();
        }
        bytes[1] = (len - 2) as u8;
        Message { bytes, len }
    }

    pub fn bytes(&self) -> &[u8] {
        &self.bytes[..self.len]
    }
}

/// The value of the one object `tag` inside `7C L <tag> L <value>` (short lengths: every
/// PACE object is under 128 bytes).
pub fn parse_message(message: &[u8], expected: u8) -> Result<&[u8], PaceError> {
    match message {
        [tag::DYNAMIC_AUTHENTICATION_DATA, outer, inner_tag, len, value @ ..]
            if usize::from(*outer) == value.len() + 2
                && usize::from(*len) == value.len()
                && *outer < 0x80 =>
        {
            if *inner_tag == expected {
                Ok(value)
            } else {
                Err(PaceError::Malformed)
            }
        }
        _ => Err(PaceError::Malformed),
    }
}

/// The card's last message: its token `86`, and with PACE-CAM its encrypted chip
/// authentication data `8A` (absent from a card that runs Generic Mapping only).
fn parse_token_message(
    message: &[u8],
) -> Result<
    (
        &[u8; MAC_LEN],
        Option<&[u8; ENCRYPTED_CHIP_AUTHENTICATION_LEN]>,
    ),
    PaceError,
> {
    let malformed = |_| PaceError::Malformed;
    let [tag::DYNAMIC_AUTHENTICATION_DATA, outer, rest @ ..] = message else {
        return Err(PaceError::Malformed);
    };
    let [tag::TOKEN_CARD, 8, rest @ ..] = rest else {
        return Err(PaceError::Malformed);
    };
    if usize::from(*outer) != rest.len() + 2 || rest.len() < MAC_LEN {
        return Err(PaceError::Malformed);
    }
    let (token, rest) = rest.split_at(MAC_LEN);
    let token = token.try_into().map_err(malformed)?;
    match rest {
        [] => Ok((token, None)),
        [tag::ENCRYPTED_CHIP_AUTHENTICATION, 0x30, data @ ..] => {
            Ok((token, Some(data.try_into().map_err(malformed)?)))
        }
        _ => Err(PaceError::Malformed),
    }
}

/// A P-256 point from its uncompressed encoding: on the curve and not the identity.
pub fn parse_point(bytes: &[u8]) -> Result<Point, PaceError> {
    if !curve::is_point(bytes) {
        return Err(PaceError::BadPoint);
    }
    bytes.try_into().map_err(|_| PaceError::BadPoint)
}

/// A secret scalar in `1..n` from the caller's randomness.
fn secret(bytes: &[u8; 32]) -> Result<Scalar, PaceError> {
    let scalar: Option<Scalar> = Scalar::from_repr(FieldBytes::from(*bytes)).into();
    match scalar {
        Some(s) if !bool::from(s.is_zero()) => Ok(s),
        _ => Err(PaceError::BadSecret),
    }
}

/// `G~ = s·G + H`, the mapped generator of Generic Mapping (the 16-byte nonce is a scalar
/// below n as it stands).
pub fn map_generator(nonce: &[u8; BLOCK], h: &Point) -> Result<Point, PaceError> {
    let mut wide = [0u8; 32];
    wide[16..].copy_from_slice(nonce);
    let s_g = curve::mul_base(&wide).ok_or(PaceError::BadSecret)?;
    curve::add(&s_g, h).ok_or(PaceError::BadPoint)
}

/// `secret · other`, the whole point (Generic Mapping's `H`).
fn agree_point(secret: &[u8; 32], other: &Point) -> Result<Point, PaceError> {
    curve::mul(secret, other).ok_or(PaceError::BadPoint)
}

/// `x(secret · other)` at 32 bytes.
fn agree(secret: &[u8; 32], other: &Point) -> Result<[u8; 32], PaceError> {
    let point = agree_point(secret, other)?;
    let mut x = [0u8; 32];
    x.copy_from_slice(&point[1..33]);
    Ok(x)
}

/// A key pair on `generator` (`None`: the curve's own) from 32 random bytes.
fn key_pair(random: &[u8; 32], generator: Option<&Point>) -> Result<([u8; 32], Point), PaceError> {
    secret(random)?;
    let public = match generator {
        None => curve::mul_base(random),
        Some(g) => curve::mul(random, g),
    };
    Ok((*random, public.ok_or(PaceError::BadPoint)?))
}

/// What the terminal holds once the exchange is through: the session keys, the card's
/// ephemeral public key, and what the card sent to prove its chip key (`None` from a card
/// that sent no `8A`: the verification calls that a missing chip proof).
pub struct Established {
    pub channel: SecureChannel,
    pub card_ephemeral: [u8; POINT_LEN],
    pub chip_authentication: Option<ChipAuthentication>,
}

enum TerminalStep {
    AwaitingNonce,
    AwaitingMapping {
        nonce: [u8; BLOCK],
        secret: [u8; 32],
        public: [u8; POINT_LEN],
    },
    AwaitingEphemeral {
        secret: [u8; 32],
        public: [u8; POINT_LEN],
        card_mapping: [u8; POINT_LEN],
    },
    AwaitingToken {
        ks_enc: [u8; BLOCK],
        ks_mac: [u8; BLOCK],
        public: [u8; POINT_LEN],
        card: [u8; POINT_LEN],
        card_mapping: [u8; POINT_LEN],
    },
    Done,
}

/// The terminal's half of PACE with the CAN.
pub struct TerminalPace {
    k_pi: [u8; BLOCK],
    step: TerminalStep,
}

impl TerminalPace {
    pub fn new(can: &Can) -> TerminalPace {
        TerminalPace {
            k_pi: can.password_key(),
            step: TerminalStep::AwaitingNonce,
        }
    }

    /// The first GENERAL AUTHENTICATE's data: `7C 00`.
    pub fn start(&self) -> Message {
        Message::new(None, &[])
    }

    /// Takes the card's encrypted nonce; answers the terminal's mapping key, made from
    /// `random`.
    pub fn on_nonce(&mut self, message: &[u8], random: &[u8; 32]) -> Result<Message, PaceError> {
        let TerminalStep::AwaitingNonce = self.step else {
            return Err(PaceError::OutOfOrder);
        };
        let z: &[u8; BLOCK] = parse_message(message, tag::ENCRYPTED_NONCE)?
            .try_into()
            .map_err(|_| PaceError::Malformed)?;
        let nonce = decrypt_nonce(&self.k_pi, z);
        let (secret, public) = key_pair(random, None)?;
        self.step = TerminalStep::AwaitingMapping {
            nonce,
            secret,
            public,
        };
        Ok(Message::new(Some(tag::MAPPING_TERMINAL), &public))
    }

    /// Takes the card's mapping key; answers the terminal's ephemeral key on `G~`.
    pub fn on_mapping(&mut self, message: &[u8], random: &[u8; 32]) -> Result<Message, PaceError> {
        let TerminalStep::AwaitingMapping {
            nonce,
            secret,
            public,
        } = &self.step
        else {
            return Err(PaceError::OutOfOrder);
        };
        let card_mapping: [u8; POINT_LEN] = parse_message(message, tag::MAPPING_CARD)?
            .try_into()
            .map_err(|_| PaceError::BadPoint)?;
        if &card_mapping == public {
            return Err(PaceError::SameKey);
        }
        // The key on `G~ = s·G + SK_map·PK_map,card`, without `G~` itself:
        // `SK·G~ = (SK·s)·G + (SK·SK_map)·PK_map,card`. One multiplication fewer than
        // forming `H` and `G~` first; the scanner's check depends on it (docs/firmware.md).
        let ephemeral = self::secret(random)?;
        let mut wide = [0u8; 32];
        wide[16..].copy_from_slice(nonce);
        let s = self::secret(&wide)?;
        let by_generator = curve::mul_base(&(ephemeral * s).to_repr().into());
        let by_card = curve::mul(
            &(ephemeral * self::secret(secret)?).to_repr().into(),
            &parse_point(&card_mapping)?,
        );
        let (by_generator, by_card) = (
            by_generator.ok_or(PaceError::BadSecret)?,
            by_card.ok_or(PaceError::BadPoint)?,
        );
        let public = curve::add(&by_generator, &by_card).ok_or(PaceError::BadPoint)?;
        let secret = *random;
        self.step = TerminalStep::AwaitingEphemeral {
            secret,
            public,
            card_mapping,
        };
        Ok(Message::new(Some(tag::EPHEMERAL_TERMINAL), &public))
    }

    /// Takes the card's ephemeral key; answers the terminal's token.
    pub fn on_ephemeral(&mut self, message: &[u8]) -> Result<Message, PaceError> {
        let TerminalStep::AwaitingEphemeral {
            secret,
            public,
            card_mapping,
        } = &self.step
        else {
            return Err(PaceError::OutOfOrder);
        };
        let card: [u8; POINT_LEN] = parse_message(message, tag::EPHEMERAL_CARD)?
            .try_into()
            .map_err(|_| PaceError::BadPoint)?;
        if &card == public {
            return Err(PaceError::SameKey);
        }
        let shared = agree(secret, &parse_point(&card)?)?;
        let (ks_enc, ks_mac) = session_keys(&shared);
        let token = authentication_token(&ks_mac, &card);
        self.step = TerminalStep::AwaitingToken {
            ks_enc,
            ks_mac,
            public: *public,
            card,
            card_mapping: *card_mapping,
        };
        Ok(Message::new(Some(tag::TOKEN_TERMINAL), &token))
    }

    /// Takes the card's token: the channel, if the card knew the CAN, and the chip
    /// authentication data, decrypted, to check against the record's chip key once the
    /// record is read.
    pub fn on_token(&mut self, message: &[u8]) -> Result<Established, PaceError> {
        let TerminalStep::AwaitingToken {
            ks_enc,
            ks_mac,
            public,
            card,
            card_mapping,
        } = &self.step
        else {
            return Err(PaceError::OutOfOrder);
        };
        let (token, encrypted) = parse_token_message(message)?;
        if !mac_eq(token, &authentication_token(ks_mac, public)) {
            self.step = TerminalStep::Done;
            return Err(PaceError::BadToken);
        }
        let chip_authentication = match encrypted {
            None => None,
            Some(encrypted) => Some(ChipAuthentication {
                card_mapping_key: *card_mapping,
                data: decrypt_chip_authentication(ks_enc, encrypted).ok_or(PaceError::Malformed)?,
            }),
        };
        let established = Established {
            channel: SecureChannel::new(*ks_enc, *ks_mac),
            card_ephemeral: *card,
            chip_authentication,
        };
        self.step = TerminalStep::Done;
        Ok(established)
    }
}

/// `CA_IC`, computed with the mapping key, sent in the last step.
type ChipData = [u8; 32];

enum CardStep {
    AwaitingStart,
    AwaitingMapping {
        nonce: [u8; BLOCK],
        secret: [u8; 32],
        public: [u8; POINT_LEN],
        chip_data: ChipData,
    },
    AwaitingEphemeral {
        generator: Point,
        random: [u8; 32],
        chip_data: ChipData,
    },
    AwaitingToken {
        ks_enc: [u8; BLOCK],
        ks_mac: [u8; BLOCK],
        public: [u8; POINT_LEN],
        terminal: [u8; POINT_LEN],
        chip_data: ChipData,
    },
    Done,
}

/// The card's half of PACE-CAM with its CAN and its chip key.
pub struct CardPace {
    k_pi: [u8; BLOCK],
    chip_secret: Scalar,
    step: CardStep,
}

impl CardPace {
    /// `chip_secret`: the chip key whose public half the signed record names.
    pub fn new(can: &Can, chip_secret: &[u8; 32]) -> Result<CardPace, PaceError> {
        Ok(CardPace {
            k_pi: can.password_key(),
            chip_secret: secret(chip_secret)?,
            step: CardStep::AwaitingStart,
        })
    }

    /// `7C 00` in: the nonce `nonce` out, encrypted; `random` makes the mapping key, used in
    /// the next step (chosen now so the card draws its randomness once).
    pub fn on_start(
        &mut self,
        message: &[u8],
        nonce: &[u8; BLOCK],
        random: &[u8; 32],
    ) -> Result<Message, PaceError> {
        let CardStep::AwaitingStart = self.step else {
            return Err(PaceError::OutOfOrder);
        };
        if message != [tag::DYNAMIC_AUTHENTICATION_DATA, 0] {
            return Err(PaceError::Malformed);
        }
        let (secret, public) = key_pair(random, None)?;
        let chip_data = ChipAuthentication::data_for(&self.chip_secret, &self::secret(&secret)?)
            .ok_or(PaceError::BadSecret)?;
        self.step = CardStep::AwaitingMapping {
            nonce: *nonce,
            secret,
            public,
            chip_data,
        };
        Ok(Message::new(
            Some(tag::ENCRYPTED_NONCE),
            &encrypt_nonce(&self.k_pi, nonce),
        ))
    }

    /// The terminal's mapping key in, the card's out; `random` makes the ephemeral key.
    pub fn on_mapping(&mut self, message: &[u8], random: &[u8; 32]) -> Result<Message, PaceError> {
        let CardStep::AwaitingMapping {
            nonce,
            secret,
            public,
            chip_data,
        } = &self.step
        else {
            return Err(PaceError::OutOfOrder);
        };
        let terminal = parse_message(message, tag::MAPPING_TERMINAL)?;
        if terminal == public {
            return Err(PaceError::SameKey);
        }
        let h = agree_point(secret, &parse_point(terminal)?)?;
        let generator = map_generator(nonce, &h)?;
        let answer = Message::new(Some(tag::MAPPING_CARD), public);
        self.step = CardStep::AwaitingEphemeral {
            generator,
            random: *random,
            chip_data: *chip_data,
        };
        Ok(answer)
    }

    /// The terminal's ephemeral key in, the card's out.
    pub fn on_ephemeral(&mut self, message: &[u8]) -> Result<Message, PaceError> {
        let CardStep::AwaitingEphemeral {
            generator,
            random,
            chip_data,
        } = &self.step
        else {
            return Err(PaceError::OutOfOrder);
        };
        let terminal: [u8; POINT_LEN] = parse_message(message, tag::EPHEMERAL_TERMINAL)?
            .try_into()
            .map_err(|_| PaceError::BadPoint)?;
        let (secret, public) = key_pair(random, Some(generator))?;
        if terminal == public {
            return Err(PaceError::SameKey);
        }
        let shared = agree(&secret, &parse_point(&terminal)?)?;
        let (ks_enc, ks_mac) = session_keys(&shared);
        self.step = CardStep::AwaitingToken {
            ks_enc,
            ks_mac,
            public,
            terminal,
            chip_data: *chip_data,
        };
        Ok(Message::new(Some(tag::EPHEMERAL_CARD), &public))
    }

    /// The terminal's token in: if it knew the CAN, the card's token out and the channel.
    pub fn on_token(&mut self, message: &[u8]) -> Result<(Message, SecureChannel), PaceError> {
        let CardStep::AwaitingToken {
            ks_enc,
            ks_mac,
            public,
            terminal,
            chip_data,
        } = &self.step
        else {
            return Err(PaceError::OutOfOrder);
        };
        let token: &[u8; MAC_LEN] = parse_message(message, tag::TOKEN_TERMINAL)?
            .try_into()
            .map_err(|_| PaceError::Malformed)?;
        if !mac_eq(token, &authentication_token(ks_mac, public)) {
            self.step = CardStep::Done;
            return Err(PaceError::BadToken);
        }
        let answer = Message::of(&[
            (tag::TOKEN_CARD, &authentication_token(ks_mac, terminal)),
            (
                tag::ENCRYPTED_CHIP_AUTHENTICATION,
                &encrypt_chip_authentication(ks_enc, chip_data),
            ),
        ]);
        let channel = SecureChannel::new(*ks_enc, *ks_mac);
        self.step = CardStep::Done;
        Ok((answer, channel))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::apdu::{Command, Status};

    const CHIP: [u8; 32] = [0x2C; 32];

    fn random(seed: u8) -> [u8; 32] {
        let mut r = [seed; 32];
        r[0] = 0x01;
        r
    }

    /// Both halves, with the CANs given; the terminal's result.
    fn run(terminal_can: &str, card_can: &str) -> Result<(Established, SecureChannel), PaceError> {
        let mut terminal = TerminalPace::new(&Can::parse(terminal_can).unwrap());
        let mut card = CardPace::new(&Can::parse(card_can).unwrap(), &CHIP).unwrap();
        let nonce = [0x3F; 16];
        let m = card.on_start(terminal.start().bytes(), &nonce, &random(2))?;
        let m = terminal.on_nonce(m.bytes(), &random(3))?;
        let m = card.on_mapping(m.bytes(), &random(4))?;
        let m = terminal.on_mapping(m.bytes(), &random(5))?;
        let m = card.on_ephemeral(m.bytes())?;
        let m = terminal.on_ephemeral(m.bytes())?;
        let (m, card_channel) = card.on_token(m.bytes())?;
        Ok((terminal.on_token(m.bytes())?, card_channel))
    }

    #[test]
    fn both_halves_agree_and_their_channels_talk() {
        let (mut established, mut card) = run("123456", "123456").unwrap();
        let mut wire = [0u8; 512];
        let command = Command::new(0, 0xB0, 0x81, 0, &[]).expect(256);
        let n = established
            .channel
            .wrap_command(&command, &mut wire)
            .unwrap();
        let mut plain = [0u8; 512];
        let m = card.unwrap_command(&wire[..n], &mut plain).unwrap();
        assert_eq!(Command::parse(&plain[..m]).unwrap().p1, 0x81);
        let r = card
            .wrap_response(b"record", Status::Success, &mut wire)
            .unwrap();
        let b = established
            .channel
            .unwrap_response(&wire[..r], &mut plain)
            .unwrap();
        assert_eq!(&plain[..b], b"record\x90\x00");
    }

    #[test]
    fn the_chip_proves_its_key_and_only_that_key() {
        let (established, _) = run("123456", "123456").unwrap();
        let auth = established.chip_authentication.unwrap();
        let public = curve::mul_base(&CHIP).unwrap();
        assert_eq!(auth.check(&public), Ok(()));
        let other = curve::mul_base(&[0x2D; 32]).unwrap();
        assert!(auth.check(&other).is_err());
    }

    #[test]
    fn a_token_without_chip_data_gives_no_chip_proof_and_bad_padding_no_channel() {
        let message = Message::of(&[(tag::TOKEN_CARD, &[0u8; 8])]);
        assert!(matches!(
            parse_token_message(message.bytes()),
            Ok((_, None))
        ));
        let message = Message::of(&[
            (tag::TOKEN_CARD, &[0u8; 8]),
            (tag::ENCRYPTED_CHIP_AUTHENTICATION, &[0u8; 47]),
        ]);
        assert_eq!(
            parse_token_message(message.bytes()).err(),
            Some(PaceError::Malformed)
        );
    }

    #[test]
    fn a_wrong_can_gives_no_channel() {
        // The card refuses the terminal's token: the terminal never gets the card's.
        assert!(matches!(run("123456", "654321"), Err(PaceError::BadToken)));
    }

    #[test]
    fn hostile_points_and_messages_are_refused() {
        let mut terminal = TerminalPace::new(&Can::parse("123456").unwrap());
        assert_eq!(
            terminal.on_mapping(&[0x7C, 0x00], &random(1)).err(),
            Some(PaceError::OutOfOrder)
        );
        let mut z = [
            0x7C, 0x12, 0x80, 0x10, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0,
        ];
        terminal.on_nonce(&z, &random(1)).unwrap();
        // Not on the curve; the identity's encoding; compressed; our own key back.
        let mut off_curve = [0u8; 69];
        off_curve[..4].copy_from_slice(&[0x7C, 0x43, 0x82, 0x41]);
        off_curve[4] = 0x04;
        off_curve[5..].fill(0x11);
        assert_eq!(
            terminal.on_mapping(&off_curve, &random(1)).err(),
            Some(PaceError::BadPoint)
        );
        let mut compressed = off_curve;
        compressed[4] = 0x02;
        assert_eq!(
            terminal.on_mapping(&compressed, &random(1)).err(),
            Some(PaceError::BadPoint)
        );
        z[1] = 0x13;
        let mut fresh = TerminalPace::new(&Can::parse("123456").unwrap());
        assert_eq!(
            fresh.on_nonce(&z, &random(1)).err(),
            Some(PaceError::Malformed)
        );
        let mut card = CardPace::new(&Can::parse("123456").unwrap(), &CHIP).unwrap();
        assert_eq!(
            card.on_start(&[0x7C, 0x01, 0x00], &[0; 16], &random(1))
                .err(),
            Some(PaceError::Malformed)
        );
        // Secrets the caller's randomness cannot make.
        let mut card = CardPace::new(&Can::parse("123456").unwrap(), &CHIP).unwrap();
        assert_eq!(
            card.on_start(&[0x7C, 0x00], &[0; 16], &[0; 32]).err(),
            Some(PaceError::BadSecret)
        );
        assert_eq!(secret(&[0xFF; 32]).err(), Some(PaceError::BadSecret));
    }

    #[test]
    fn coordinates_keep_their_leading_zeros() {
        // Many key pairs: every encoding is 65 bytes, and parses back to the same point.
        for seed in 1..=200u8 {
            let (_, public) = key_pair(&random(seed), None).unwrap();
            assert_eq!(parse_point(&public).unwrap(), public);
        }
    }
}
