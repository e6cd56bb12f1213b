//! The barcode imager on a UART (`embedded_io`). A QR code's payload is binary (the record's
//! bytes), so the imager is programmed for framed binary output, one frame per decode:
//!
//! ```text
//! 02 | length (2 bytes, big endian) | payload | CRC-16/CCITT-FALSE of the payload (2 bytes)
//! ```
//!
//! The decoder takes the line byte by byte: it skips noise until a start byte, refuses a
//! length over [`RECORD_MAX`] (and hunts again), and reports a frame whose CRC does not
//! match, so line noise or a half frame after power-up is "scan again", never a verdict.

use embedded_io::{Read, ReadReady};
use heapless::Vec;

use crate::RECORD_MAX;

pub const START: u8 = 0x02;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum FrameError {
    /// The CRC does not match: the frame was damaged on the line.
    Corrupt,
    /// The length is over the largest record: not a stay document (or noise).
    TooLong(u16),
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum State {
    Hunt,
    LengthHigh,
    LengthLow(u8),
    Payload(u16),
    CrcHigh,
    CrcLow(u8),
}

/// Frames from the imager's byte stream.
pub struct Decoder {
    state: State,
    payload: Vec<u8, RECORD_MAX>,
}

impl Default for Decoder {
    fn default() -> Self {
        Decoder::new()
    }
}

impl Decoder {
    pub const fn new() -> Self {
        Decoder {
            state: State::Hunt,
            payload: Vec::new(),
        }
    }

    /// Takes one byte; a whole frame's payload (or why it was refused) when one ends.
    pub fn push(&mut self, byte: u8) -> Option<Result<&[u8], FrameError>> {
        self.state = match self.state {
            State::Hunt if byte == START => State::LengthHigh,
            State::Hunt => State::Hunt,
            State::LengthHigh => State::LengthLow(byte),
            State::LengthLow(high) => {
                let len = u16::from_be_bytes([high, byte]);
                self.payload.clear();
                if usize::from(len) > RECORD_MAX {
                    self.state = State::Hunt;
                    return Some(Err(FrameError::TooLong(len)));
                }
                if len == 0 {
                    State::CrcHigh
                } else {
                    State::Payload(len)
                }
            }
            State::Payload(len) => {
                // Cannot fail: `len` was checked against the capacity.
                let _ = self.payload.push(byte);
                if self.payload.len() == usize::from(len) {
                    State::CrcHigh
                } else {
                    State::Payload(len)
                }
            }
            State::CrcHigh => State::CrcLow(byte),
            State::CrcLow(high) => {
                self.state = State::Hunt;
                let crc = u16::from_be_bytes([high, byte]);
                return Some(if crc == stay_core::signature::crc16(&self.payload) {
                    Ok(&self.payload)
                } else {
                    Err(FrameError::Corrupt)
                });
            }
        };
        None
    }

    /// In the middle of a frame (a scan is arriving).
    pub fn busy(&self) -> bool {
        self.state != State::Hunt
    }

    /// Forgets a half frame (after the line went quiet too long).
    pub fn reset(&mut self) {
        self.state = State::Hunt;
        self.payload.clear();
    }
}

/// Encodes `payload` as the imager sends it (for tests and for the imager's configuration
/// tool); `None` if `out` is too small or the payload too long.
pub fn encode_frame(payload: &[u8], out: &mut [u8]) -> Option<usize> {
    let len = u16::try_from(payload.len()).ok()?;
    let total = payload.len() + 5;
    let out = out.get_mut(..total)?;
    out[0] = START;
    out[1..3].copy_from_slice(&len.to_be_bytes());
    out[3..3 + payload.len()].copy_from_slice(payload);
    out[3 + payload.len()..].copy_from_slice(&stay_core::signature::crc16(payload).to_be_bytes());
    Some(total)
}

/// The imager on its UART.
pub struct Imager<U> {
    uart: U,
    decoder: Decoder,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ImagerError<E> {
    Uart(E),
    Frame(FrameError),
}

impl<U: Read + ReadReady> Imager<U> {
    pub fn new(uart: U) -> Self {
        Imager {
            uart,
            decoder: Decoder::new(),
        }
    }

    /// Reads what the UART holds without blocking; a payload when a frame completed.
    pub fn poll(&mut self, out: &mut Vec<u8, RECORD_MAX>) -> Result<bool, ImagerError<U::Error>> {
        let mut byte = [0u8];
        while self.uart.read_ready().map_err(ImagerError::Uart)? {
            if self.uart.read(&mut byte).map_err(ImagerError::Uart)? == 0 {
                break;
            }
            match self.decoder.push(byte[0]) {
                None => {}
                Some(Ok(payload)) => {
                    out.clear();
                    // Same capacity: cannot fail.
                    let _ = out.extend_from_slice(payload);
                    return Ok(true);
                }
                Some(Err(e)) => return Err(ImagerError::Frame(e)),
            }
        }
        Ok(false)
    }

    pub fn busy(&self) -> bool {
        self.decoder.busy()
    }

    pub fn reset(&mut self) {
        self.decoder.reset();
    }
}
