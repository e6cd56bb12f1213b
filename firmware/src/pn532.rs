//! The NXP PN532 NFC front end over SPI (embedded-hal 1.0 `SpiDevice`), as ISO 14443-4
//! initiator: detect a type A card that speaks APDUs, then exchange them (InDataExchange),
//! collecting answers longer than one PN532 frame (the MI bit, PN532 user manual §7.3.8).
//!
//! Wiring: SPI mode 0, at most 5 MHz, chip select driven by the `SpiDevice`. The PN532
//! sends and expects bytes least significant bit first; configure the bus so, or call
//! [`Pn532::lsb_first_in_software`] on a bus that only does MSB first.
//!
//! Every frame is checked (start code, length and data checksums, direction and command
//! codes) and every length is bounded: a front end or a card that answers nonsense gets an
//! [`Error`], never a panic or an endless loop.

use embedded_hal::delay::DelayNs;
use embedded_hal::spi::{Operation, SpiDevice};
use heapless::Vec;

/// SPI direction bytes (user manual §6.2.5).
const DATA_WRITE: u8 = 0x01;
const STATUS_READ: u8 = 0x02;
const DATA_READ: u8 = 0x03;
const READY: u8 = 0x01;

const HOST_TO_PN532: u8 = 0xD4;
const PN532_TO_HOST: u8 = 0xD5;
const ACK: [u8; 6] = [0x00, 0x00, 0xFF, 0x00, 0xFF, 0x00];

pub const GET_FIRMWARE_VERSION: u8 = 0x02;
pub const SAM_CONFIGURATION: u8 = 0x14;
pub const RF_CONFIGURATION: u8 = 0x32;
pub const IN_DATA_EXCHANGE: u8 = 0x40;
pub const IN_LIST_PASSIVE_TARGET: u8 = 0x4A;
pub const IN_RELEASE: u8 = 0x52;

/// The most data one InDataExchange frame carries either way.
pub const DATA_MAX: usize = 262;
/// A whole frame as read: preamble, start code, extended length, TFI, command code,
/// status, data, checksum, postamble.
pub const FRAME_MAX: usize = 3 + 5 + 2 + 1 + DATA_MAX + 2;
/// InDataExchange's "More Information" bit: the rest of the card's answer follows.
const MORE_INFORMATION: u8 = 0x40;
/// SEL_RES bit 6: the card is ISO 14443-4 compliant (it takes APDUs).
const SEL_RES_ISO14443_4: u8 = 0x20;
/// The one target the scanner talks to.
const TARGET: u8 = 0x01;
/// Answers to one APDU longer than this many frames are refused (a front end repeating MI).
const MAX_CHAINED_FRAMES: usize = crate::RESPONSE_MAX / 64 + 2;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Error<E> {
    Spi(E),
    /// The PN532 did not become ready in time.
    Timeout,
    /// No ACK frame after a command.
    NoAck,
    /// A frame with a wrong start code, length, checksum or command code.
    Frame(&'static str),
    /// The PN532 refused the command as malformed (its syntax-error frame).
    Syntax,
    /// The card exchange failed with this PN532 status code (0x01: the card did not answer,
    /// it probably left the field).
    Card(u8),
    /// The card's answer does not fit the buffer given.
    TooLong,
    /// The command does not fit one PN532 frame.
    CommandTooLong,
    /// The card in the field does not take APDUs (not ISO 14443-4).
    NotIso14443_4,
}

/// A card the PN532 found and activated.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Target {
    pub sens_res: u16,
    pub sel_res: u8,
    pub uid: Vec<u8, 10>,
}

pub struct Pn532<SPI, D> {
    spi: SPI,
    delay: D,
    reverse_bits: bool,
    frame: [u8; FRAME_MAX],
    /// How long the PN532 may take to answer a command, in milliseconds.
    pub timeout_ms: u32,
}

fn checksum(bytes: &[u8]) -> u8 {
    bytes.iter().fold(0u8, |sum, b| sum.wrapping_add(*b))
}

impl<SPI: SpiDevice, D: DelayNs> Pn532<SPI, D> {
    pub fn new(spi: SPI, delay: D) -> Self {
        Pn532 {
            spi,
            delay,
            reverse_bits: false,
            frame: [0; FRAME_MAX],
            timeout_ms: 1_000,
        }
    }

    /// Reverses every byte's bits in software, for a bus that sends MSB first.
    pub fn lsb_first_in_software(mut self) -> Self {
        self.reverse_bits = true;
        self
    }

    /// Gives the bus and the delay back.
    pub fn free(self) -> (SPI, D) {
        (self.spi, self.delay)
    }

    fn wire(&self, byte: u8) -> u8 {
        if self.reverse_bits {
            byte.reverse_bits()
        } else {
            byte
        }
    }

    /// Wakes the PN532 (chip select held for 2 ms), puts it in normal mode, limits passive
    /// activation to a few retries (so [`Pn532::detect`] returns when no card is there),
    /// and returns its firmware version (IC, version, revision, support).
    pub fn init(&mut self) -> Result<[u8; 4], Error<SPI::Error>> {
        self.spi
            .transaction(&mut [Operation::DelayNs(2_000_000)])
            .map_err(Error::Spi)?;
        self.command(SAM_CONFIGURATION, &[0x01, 0x14, 0x01], &[])?;
        // MaxRetries: ATR_RES 0xFF (default), PSL 0x01, passive activation 2.
        self.command(RF_CONFIGURATION, &[0x05, 0xFF, 0x01, 0x02], &[])?;
        let version = self.command(GET_FIRMWARE_VERSION, &[], &[])?;
        self.frame[version]
            .try_into()
            .map_err(|_| Error::Frame("firmware version is not 4 bytes"))
    }

    /// Looks for one ISO 14443 type A card and activates it (RATS included). `None` when
    /// the field is empty.
    pub fn detect(&mut self) -> Result<Option<Target>, Error<SPI::Error>> {
        let range = self.command(IN_LIST_PASSIVE_TARGET, &[1, 0x00], &[])?;
        let answer = &self.frame[range];
        match answer.first() {
            None => return Err(Error::Frame("InListPassiveTarget: empty answer")),
            Some(0) => return Ok(None),
            Some(_) => {}
        }
        // NbTg, Tg, SENS_RES (2), SEL_RES, NFCIDLength, NFCID1, ATS.
        let [_, _, s0, s1, sel_res, uid_len, rest @ ..] = answer else {
            return Err(Error::Frame("InListPassiveTarget: short target data"));
        };
        let uid = rest
            .get(..usize::from(*uid_len))
            .and_then(|uid| Vec::from_slice(uid).ok())
            .ok_or(Error::Frame("InListPassiveTarget: bad NFCID length"))?;
        if sel_res & SEL_RES_ISO14443_4 == 0 {
            return Err(Error::NotIso14443_4);
        }
        Ok(Some(Target {
            sens_res: u16::from_be_bytes([*s0, *s1]),
            sel_res: *sel_res,
            uid,
        }))
    }

    /// Deselects the card (the next [`Pn532::detect`] starts afresh).
    pub fn release_target(&mut self) -> Result<(), Error<SPI::Error>> {
        self.command(IN_RELEASE, &[0x00], &[])?;
        Ok(())
    }

    /// One APDU to the card, its whole answer into `response`.
    pub fn transceive(
        &mut self,
        apdu: &[u8],
        response: &mut [u8],
    ) -> Result<usize, Error<SPI::Error>> {
        if apdu.len() > DATA_MAX - 1 {
            return Err(Error::CommandTooLong);
        }
        let mut len = 0;
        let mut outgoing = apdu;
        for _ in 0..MAX_CHAINED_FRAMES {
            let range = self.command(IN_DATA_EXCHANGE, &[TARGET], outgoing)?;
            let (status, data) = self.frame[range]
                .split_first()
                .ok_or(Error::Frame("InDataExchange: no status"))?;
            if status & 0x3F != 0 {
                return Err(Error::Card(status & 0x3F));
            }
            response
                .get_mut(len..len + data.len())
                .ok_or(Error::TooLong)?
                .copy_from_slice(data);
            len += data.len();
            if status & MORE_INFORMATION == 0 {
                return Ok(len);
            }
            if data.is_empty() {
                return Err(Error::Frame("InDataExchange: MI without data"));
            }
            // The rest: InDataExchange with no data.
            outgoing = &[];
        }
        Err(Error::TooLong)
    }

    fn wait_ready(&mut self) -> Result<(), Error<SPI::Error>> {
        for _ in 0..=self.timeout_ms {
            let mut status = [0u8];
            let ask = [self.wire(STATUS_READ)];
            self.spi
                .transaction(&mut [Operation::Write(&ask), Operation::Read(&mut status)])
                .map_err(Error::Spi)?;
            if self.wire(status[0]) & READY != 0 {
                return Ok(());
            }
            self.delay.delay_ms(1);
        }
        Err(Error::Timeout)
    }

    /// Reads `n` bytes of the PN532's output into `self.frame`.
    fn read(&mut self, n: usize) -> Result<(), Error<SPI::Error>> {
        let ask = [self.wire(DATA_READ)];
        let buf = &mut self.frame[..n];
        self.spi
            .transaction(&mut [Operation::Write(&ask), Operation::Read(buf)])
            .map_err(Error::Spi)?;
        if self.reverse_bits {
            for b in buf.iter_mut() {
                *b = b.reverse_bits();
            }
        }
        Ok(())
    }

    /// Sends command `code` with `params` then `data`; the range of `self.frame` holding
    /// the answer's data (after the response code).
    fn command(
        &mut self,
        code: u8,
        params: &[u8],
        data: &[u8],
    ) -> Result<core::ops::Range<usize>, Error<SPI::Error>> {
        let body_len = 2 + params.len() + data.len();
        let len = u8::try_from(body_len).map_err(|_| Error::CommandTooLong)?;
        let mut out = [0u8; 8 + 2 + DATA_MAX + 2];
        let header = [DATA_WRITE, 0x00, 0x00, 0xFF, len, len.wrapping_neg()];
        out[..6].copy_from_slice(&header);
        out[6] = HOST_TO_PN532;
        out[7] = code;
        out[8..8 + params.len()].copy_from_slice(params);
        out[8 + params.len()..6 + body_len].copy_from_slice(data);
        out[6 + body_len] = checksum(&out[6..6 + body_len]).wrapping_neg();
        out[7 + body_len] = 0x00;
        let frame = &mut out[..8 + body_len];
        if self.reverse_bits {
            for b in frame.iter_mut() {
                *b = b.reverse_bits();
            }
        }
        self.spi.write(frame).map_err(Error::Spi)?;

        self.wait_ready()?;
        self.read(ACK.len())?;
        if self.frame[..ACK.len()] != ACK {
            return Err(Error::NoAck);
        }
        self.wait_ready()?;
        self.read(FRAME_MAX)?;
        let body = parse_frame(&self.frame)?;
        match self.frame[body.clone()] {
            [PN532_TO_HOST, answer, ..] if answer == code.wrapping_add(1) => {
                Ok(body.start + 2..body.end)
            }
            [0x7F] => Err(Error::Syntax),
            _ => Err(Error::Frame("not the answer to the command")),
        }
    }
}

/// The range of the frame's body (TFI and data) in `frame`, after checking the start code,
/// both checksums and the lengths.
pub fn parse_frame<E>(frame: &[u8]) -> Result<core::ops::Range<usize>, Error<E>> {
    // Any number of preamble bytes (at most a few), then the start code 00 FF.
    let start = (0..4)
        .find(|&i| frame.get(i..i + 2) == Some(&[0x00, 0xFF]))
        .ok_or(Error::Frame("no start code"))?
        + 2;
    let header = frame
        .get(start..start + 2)
        .ok_or(Error::Frame("truncated"))?;
    let (len, body) = if header == [0xFF, 0xFF] {
        // Extended frame: LENM LENL LCS.
        let ext = frame
            .get(start + 2..start + 5)
            .ok_or(Error::Frame("truncated"))?;
        if checksum(ext) != 0 {
            return Err(Error::Frame("length checksum"));
        }
        (usize::from(u16::from_be_bytes([ext[0], ext[1]])), start + 5)
    } else {
        if checksum(header) != 0 {
            return Err(Error::Frame("length checksum"));
        }
        (usize::from(header[0]), start + 2)
    };
    if len == 0 {
        return Err(Error::Frame("an ACK where an answer was due"));
    }
    let with_dcs = frame
        .get(body..body + len + 1)
        .ok_or(Error::Frame("longer than a frame"))?;
    if checksum(with_dcs) != 0 {
        return Err(Error::Frame("data checksum"));
    }
    Ok(body..body + len)
}

use stay_core::terminal::LinkError;

impl<SPI: SpiDevice, D: DelayNs> stay_core::terminal::ApduLink for Pn532<SPI, D> {
    type Error = Error<SPI::Error>;
    fn exchange(
        &mut self,
        command: &[u8],
        response: &mut [u8],
    ) -> Result<usize, LinkError<Self::Error>> {
        self.transceive(command, response).map_err(|e| match e {
            Error::TooLong => LinkError::ResponseTooLong,
            e => LinkError::Failed(e),
        })
    }
}

impl<SPI: SpiDevice, D: DelayNs> crate::scanner::Nfc for Pn532<SPI, D> {
    type Link = Self;
    type Error = Error<SPI::Error>;

    fn card_present(&mut self) -> Result<bool, Self::Error> {
        self.detect().map(|target| target.is_some())
    }

    fn link(&mut self) -> &mut Self {
        self
    }

    fn release(&mut self) {
        let _ = self.release_target();
    }
}
