//! Simulated hardware for the firmware's host tests: a PN532 on an SPI bus whose card is
//! the `card-applet-sim` applet (or a script), NOR flash that loses power after a set
//! number of program steps, and a UART fed with bytes.
//!
//! The PN532 is strict where a real one is: a frame with a wrong checksum is not answered
//! (the driver then times out), and it is counted in `protocol_errors` so tests can assert
//! the driver never sends one.

#![allow(dead_code)]

use std::collections::VecDeque;

use card_applet_sim::{CardImage, Chip};
use embedded_hal::spi::{ErrorKind, Operation, SpiDevice};
use embedded_storage::nor_flash::{
    ErrorType as FlashErrorType, NorFlash, NorFlashError, NorFlashErrorKind, ReadNorFlash,
};
use rand_chacha::rand_core::SeedableRng;
use rand_chacha::ChaCha20Rng;

/// Answers one command APDU with a response APDU.
pub type CardFn = Box<dyn FnMut(&[u8]) -> Vec<u8>>;

/// The resident card (its chip) in the field.
pub fn applet_card(image: CardImage) -> CardFn {
    let mut chip = Chip::resident(image);
    let mut rng = ChaCha20Rng::seed_from_u64(7);
    Box::new(move |apdu| chip.process(apdu, &mut rng).response)
}

/// The scalar behind `issuer::KeyPair::from_seed(label)` (its first candidate, which is
/// valid for every label the vectors use).
pub fn seeded_scalar(label: &str) -> [u8; 32] {
    use sha2::{Digest, Sha256};
    Sha256::new()
        .chain_update(label.as_bytes())
        .chain_update(0u32.to_be_bytes())
        .finalize()
        .into()
}

/// A locked card holding `record`, with the chip key derived from `chip_seed`.
pub fn card_image(record: &[u8], chip_seed: Option<&str>) -> CardImage {
    let mut image = CardImage::blank(
        [0x4B, 0x47, 0, 0, 0, 0, 0x50, 1],
        &issuer::KeyPair::from_seed("sim personalization").public_key(),
    );
    image.locked = true;
    image.record = Some(record.to_vec());
    image.chip_private_key = chip_seed.map(seeded_scalar);
    image
}

#[derive(Debug)]
pub struct BusError;

impl embedded_hal::spi::Error for BusError {
    fn kind(&self) -> ErrorKind {
        ErrorKind::Other
    }
}

/// The card data one InDataExchange answer frame carries at most.
pub const FRAME_DATA: usize = 262;

pub struct SimPn532 {
    pub card: Option<CardFn>,
    /// Whether the card is in the field (a test takes it away and brings it back).
    pub in_field: std::rc::Rc<std::cell::Cell<bool>>,
    /// SEL_RES the card announces (0x20: ISO 14443-4).
    pub sel_res: u8,
    /// The bus sends MSB first: the driver must reverse bits itself.
    pub msb_first_bus: bool,
    /// The card leaves the field after this many more APDUs.
    pub card_leaves_after: Option<usize>,
    /// The next answer frame goes out with a wrong data checksum.
    pub corrupt_next_answer: bool,
    pub awake: bool,
    pub apdus: usize,
    /// InDataExchange answer frames with the MI bit set.
    pub chained_frames: usize,
    pub protocol_errors: usize,
    /// Every command code received, in order.
    pub commands: Vec<u8>,
    out: VecDeque<Vec<u8>>,
    leftover: Vec<u8>,
}

impl SimPn532 {
    pub fn new(card: Option<CardFn>) -> SimPn532 {
        SimPn532 {
            card,
            in_field: std::rc::Rc::new(std::cell::Cell::new(true)),
            sel_res: 0x20,
            msb_first_bus: false,
            card_leaves_after: None,
            corrupt_next_answer: false,
            awake: false,
            apdus: 0,
            chained_frames: 0,
            protocol_errors: 0,
            commands: Vec::new(),
            out: VecDeque::new(),
            leftover: Vec::new(),
        }
    }

    fn wire(&self, b: u8) -> u8 {
        if self.msb_first_bus {
            b.reverse_bits()
        } else {
            b
        }
    }

    fn frame(body: &[u8]) -> Vec<u8> {
        let mut f = vec![0x00, 0x00, 0xFF];
        if body.len() > 255 {
            let [m, l] = (body.len() as u16).to_be_bytes();
            f.extend([0xFF, 0xFF, m, l, m.wrapping_add(l).wrapping_neg()]);
        } else {
            let len = body.len() as u8;
            f.extend([len, len.wrapping_neg()]);
        }
        f.extend_from_slice(body);
        let sum = body.iter().fold(0u8, |s, b| s.wrapping_add(*b));
        f.push(sum.wrapping_neg());
        f.push(0x00);
        f
    }

    fn answer(&mut self, code: u8, data: &[u8]) {
        let mut body = vec![0xD5, code + 1];
        body.extend_from_slice(data);
        let mut frame = Self::frame(&body);
        if std::mem::take(&mut self.corrupt_next_answer) {
            let dcs = frame.len() - 2;
            frame[dcs] ^= 0x5A;
        }
        self.out.push_back(vec![0x00, 0x00, 0xFF, 0x00, 0xFF, 0x00]);
        self.out.push_back(frame);
    }

    fn card_present(&self) -> bool {
        self.card.is_some() && self.in_field.get() && self.card_leaves_after != Some(0)
    }

    /// A host frame (after the direction byte).
    fn receive(&mut self, bytes: &[u8]) {
        let ok = bytes.len() >= 8
            && bytes[..3] == [0x00, 0x00, 0xFF]
            && bytes[3].wrapping_add(bytes[4]) == 0
            && bytes.len() == bytes[3] as usize + 7
            && bytes[5] == 0xD4
            && bytes[5..bytes.len() - 1]
                .iter()
                .fold(0u8, |s, b| s.wrapping_add(*b))
                == 0
            && bytes[bytes.len() - 1] == 0x00;
        if !ok {
            self.protocol_errors += 1;
            return;
        }
        let code = bytes[6];
        let params = &bytes[7..bytes.len() - 2];
        self.commands.push(code);
        match (code, params) {
            (0x02, []) => self.answer(code, &[0x32, 0x01, 0x06, 0x07]),
            (0x14, [0x01, _, _]) | (0x32, [0x05, _, _, _]) => self.answer(code, &[]),
            (0x4A, [1, 0x00]) => {
                if self.card_present() {
                    let mut target =
                        vec![1, 1, 0x00, 0x04, self.sel_res, 4, 0x08, 0x4B, 0x47, 0x01];
                    target.extend([0x05, 0x78, 0x80, 0x70, 0x02]);
                    self.answer(code, &target);
                } else {
                    self.answer(code, &[0]);
                }
            }
            (0x52, [_]) => {
                self.leftover.clear();
                self.answer(code, &[0x00]);
            }
            (0x40, [1, apdu @ ..]) => {
                if !self.card_present() {
                    self.answer(code, &[0x01]);
                    return;
                }
                if apdu.is_empty() {
                    if self.leftover.is_empty() {
                        self.protocol_errors += 1;
                        self.answer(code, &[0x27]);
                        return;
                    }
                } else {
                    if !self.leftover.is_empty() {
                        // A new APDU before the rest of the last answer was collected.
                        self.protocol_errors += 1;
                    }
                    if let Some(left) = &mut self.card_leaves_after {
                        *left -= 1;
                    }
                    self.apdus += 1;
                    let card = self.card.as_mut().expect("present");
                    self.leftover = card(apdu);
                }
                let take = self.leftover.len().min(FRAME_DATA);
                let chunk: Vec<u8> = self.leftover.drain(..take).collect();
                let status = if self.leftover.is_empty() {
                    0x00
                } else {
                    self.chained_frames += 1;
                    0x40
                };
                let mut data = vec![status];
                data.extend(chunk);
                self.answer(code, &data);
            }
            _ => {
                self.protocol_errors += 1;
                // The PN532's syntax-error frame.
                self.out.push_back(vec![0x00, 0x00, 0xFF, 0x00, 0xFF, 0x00]);
                self.out.push_back(Self::frame(&[0x7F]));
            }
        }
    }
}

impl embedded_hal::spi::ErrorType for SimPn532 {
    type Error = BusError;
}

impl SpiDevice for SimPn532 {
    fn transaction(&mut self, operations: &mut [Operation<'_, u8>]) -> Result<(), BusError> {
        let mut direction = None;
        let mut written = Vec::new();
        let mut reading: Option<(Vec<u8>, usize)> = None;
        for op in operations.iter_mut() {
            match op {
                Operation::DelayNs(_) => self.awake = true,
                Operation::Write(bytes) => {
                    for &b in bytes.iter() {
                        let b = self.wire(b);
                        if direction.is_none() {
                            direction = Some(b);
                        } else {
                            written.push(b);
                        }
                    }
                }
                Operation::Read(buf) => match direction {
                    Some(0x02) => {
                        let ready = if self.out.is_empty() { 0x00 } else { 0x01 };
                        for b in buf.iter_mut() {
                            *b = self.wire(ready);
                        }
                    }
                    Some(0x03) => {
                        let (frame, pos) = reading
                            .get_or_insert_with(|| (self.out.pop_front().unwrap_or_default(), 0));
                        for b in buf.iter_mut() {
                            *b = self.wire(frame.get(*pos).copied().unwrap_or(0x00));
                            *pos += 1;
                        }
                    }
                    _ => {
                        self.protocol_errors += 1;
                        return Err(BusError);
                    }
                },
                Operation::Transfer(..) | Operation::TransferInPlace(..) => return Err(BusError),
            }
        }
        if direction.is_some_and(|d| !(0x01..=0x03).contains(&d)) {
            self.protocol_errors += 1;
        }
        if direction == Some(0x01) {
            if !self.awake {
                self.protocol_errors += 1;
                return Ok(());
            }
            self.receive(&written);
        }
        Ok(())
    }
}

/// A delay that does not wait (the simulation answers at once).
pub struct NoDelay;

impl embedded_hal::delay::DelayNs for NoDelay {
    fn delay_ns(&mut self, _ns: u32) {}
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum FlashError {
    PowerLost,
    NotAligned,
    OutOfBounds,
}

impl NorFlashError for FlashError {
    fn kind(&self) -> NorFlashErrorKind {
        match self {
            FlashError::PowerLost => NorFlashErrorKind::Other,
            FlashError::NotAligned => NorFlashErrorKind::NotAligned,
            FlashError::OutOfBounds => NorFlashErrorKind::OutOfBounds,
        }
    }
}

/// NOR flash: erased bytes read 0xFF, programming only clears bits, 4-byte words, 4 KiB
/// sectors. With `steps_left` set, power fails on that program step (a word, or a sector
/// erase): the word is half programmed, the sector half erased, and every later operation
/// fails until [`SimFlash::power_on`].
pub struct SimFlash {
    pub mem: Vec<u8>,
    pub steps_left: Option<usize>,
    pub steps: usize,
    dead: bool,
}

impl SimFlash {
    pub fn new(size: usize) -> SimFlash {
        SimFlash {
            mem: vec![0xFF; size],
            steps_left: None,
            steps: 0,
            dead: false,
        }
    }

    pub fn power_on(&mut self) {
        self.dead = false;
        self.steps_left = None;
    }

    /// One program step; `false` when power fails on it.
    fn step(&mut self) -> Result<bool, FlashError> {
        if self.dead {
            return Err(FlashError::PowerLost);
        }
        self.steps += 1;
        match &mut self.steps_left {
            Some(0) => {
                self.dead = true;
                Ok(false)
            }
            Some(n) => {
                *n -= 1;
                Ok(true)
            }
            None => Ok(true),
        }
    }
}

impl FlashErrorType for SimFlash {
    type Error = FlashError;
}

impl ReadNorFlash for SimFlash {
    const READ_SIZE: usize = 1;
    fn read(&mut self, offset: u32, bytes: &mut [u8]) -> Result<(), FlashError> {
        if self.dead {
            return Err(FlashError::PowerLost);
        }
        let start = offset as usize;
        let src = self
            .mem
            .get(start..start + bytes.len())
            .ok_or(FlashError::OutOfBounds)?;
        bytes.copy_from_slice(src);
        Ok(())
    }
    fn capacity(&self) -> usize {
        self.mem.len()
    }
}

impl NorFlash for SimFlash {
    const WRITE_SIZE: usize = 4;
    const ERASE_SIZE: usize = 4096;

    fn erase(&mut self, from: u32, to: u32) -> Result<(), FlashError> {
        let (from, to) = (from as usize, to as usize);
        if !from.is_multiple_of(Self::ERASE_SIZE) || !to.is_multiple_of(Self::ERASE_SIZE) {
            return Err(FlashError::NotAligned);
        }
        if to > self.mem.len() || from > to {
            return Err(FlashError::OutOfBounds);
        }
        for sector in (from..to).step_by(Self::ERASE_SIZE) {
            let whole = self.step()?;
            let end = if whole {
                sector + Self::ERASE_SIZE
            } else {
                sector + Self::ERASE_SIZE / 2
            };
            self.mem[sector..end].fill(0xFF);
            if !whole {
                return Err(FlashError::PowerLost);
            }
        }
        Ok(())
    }

    fn write(&mut self, offset: u32, bytes: &[u8]) -> Result<(), FlashError> {
        let start = offset as usize;
        if !start.is_multiple_of(Self::WRITE_SIZE) || !bytes.len().is_multiple_of(Self::WRITE_SIZE)
        {
            return Err(FlashError::NotAligned);
        }
        if start + bytes.len() > self.mem.len() {
            return Err(FlashError::OutOfBounds);
        }
        for (i, word) in bytes.chunks(Self::WRITE_SIZE).enumerate() {
            let whole = self.step()?;
            let at = start + i * Self::WRITE_SIZE;
            let n = if whole { word.len() } else { word.len() / 2 };
            for (cell, b) in self.mem[at..at + n].iter_mut().zip(word) {
                *cell &= *b;
            }
            if !whole {
                return Err(FlashError::PowerLost);
            }
        }
        Ok(())
    }
}

/// A UART whose bytes arrive in the chunks the test pushes, through a shared handle, so a
/// test can feed it while a driver owns it.
#[derive(Clone, Default)]
pub struct SimUart {
    pub chunks: std::rc::Rc<std::cell::RefCell<VecDeque<Vec<u8>>>>,
}

impl SimUart {
    pub fn holding(chunks: impl IntoIterator<Item = Vec<u8>>) -> SimUart {
        let uart = SimUart::default();
        uart.chunks.borrow_mut().extend(chunks);
        uart
    }

    pub fn arrive(&self, bytes: &[u8]) {
        self.chunks.borrow_mut().push_back(bytes.to_vec());
    }
}

impl embedded_io::ErrorType for SimUart {
    type Error = std::convert::Infallible;
}

impl embedded_io::Read for SimUart {
    fn read(&mut self, buf: &mut [u8]) -> Result<usize, Self::Error> {
        let mut chunks = self.chunks.borrow_mut();
        let Some(chunk) = chunks.front_mut() else {
            return Ok(0);
        };
        let n = buf.len().min(chunk.len());
        buf[..n].copy_from_slice(&chunk[..n]);
        chunk.drain(..n);
        if chunk.is_empty() {
            chunks.pop_front();
        }
        Ok(n)
    }
}

impl embedded_io::ReadReady for SimUart {
    fn read_ready(&mut self) -> Result<bool, Self::Error> {
        Ok(self.chunks.borrow().front().is_some_and(|c| !c.is_empty()))
    }
}
