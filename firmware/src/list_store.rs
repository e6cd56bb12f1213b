//! The trust list in NOR flash (`embedded_storage::nor_flash`): two slots, so that a power
//! loss at any moment leaves the last good list in force.
//!
//! A slot is a header and the list's bytes:
//!
//! ```text
//! "KGTL" | generation (u32 BE) | length (u32 BE) | 00 00 | CRC-16 of the 14 bytes before
//! ```
//!
//! The CRC is last, so the header's last program step is the one that makes it valid.
//!
//! A new list is verified first (root signature, sequence not lower than the list in
//! force), then written to the idle slot: erase, the list's bytes, a read-back that must
//! verify again, and only then the header, with the next generation. The header is the
//! commit: until its last word is written the slot is not valid and the old list stays in
//! force; once it is, the new list is (the higher valid generation wins at start). A slot
//! whose header or signature does not check is ignored, so a torn write falls back to the
//! other slot.
//!
//! **The high-water mark.** Two more erase sectors after the slots hold the highest list the
//! scanner ever accepted (`stay_core::HighWater`: its sequence and digest) and where it was
//! written:
//!
//! ```text
//! HighWater record (80 bytes) | slot (00 A, 01 B) | 00 00 00 | length (u32 BE)
//!   | generation (u32 BE) | 00 00 | CRC-16 of the 14 bytes before
//! ```
//!
//! An update writes the list's bytes into the idle slot, reads them back, then writes the
//! mark (into the mark sector not holding the current one, so a torn mark leaves the older
//! whole), and only then the slot's header. Nothing below the mark is ever used again: at
//! start a slot is in force only if the mark admits it (`stay_core::high_water::admit`), so
//! a newest slot that decayed leaves **no** list in force (the scanner then says "trust list
//! unavailable"), never the older one, which would bring back what the newest revoked. A
//! power cut after the mark but before the header leaves a slot whose bytes the mark
//! names and vouches for (length and digest): it is the list in force.

use embedded_storage::nor_flash::NorFlash;
use stay_core::high_water::{admit, list_digest, HighWater, RECORD_LEN};
use stay_core::{ListError, PublicKey, TrustList};

pub const MAGIC: [u8; 4] = *b"KGTL";
/// Header size: a multiple of every common NOR write granularity (1, 4, 8, 16 bytes).
pub const HEADER_LEN: usize = 16;

/// A mark sector's contents: the record and where its list went.
pub const MARK_LEN: usize = RECORD_LEN + HEADER_LEN;

/// Which of the two slots.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Slot {
    A,
    B,
}

impl Slot {
    fn other(self) -> Slot {
        match self {
            Slot::A => Slot::B,
            Slot::B => Slot::A,
        }
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum StoreError<E> {
    Flash(E),
    /// The list is larger than a slot, or than the buffer given.
    TooLarge,
    /// The list does not verify (signature, format) or is older than the one in force.
    Refused(ListError),
    /// The bytes read back from flash are not the list that was written.
    ReadBack,
    /// The slot size is not a multiple of the erase size, or the slots and the two mark
    /// sectors do not fit the flash.
    Layout,
}

/// A slot whose list verifies and that the mark admits.
#[derive(Debug, Clone, Copy)]
struct Candidate {
    slot: Slot,
    generation: u32,
    length: usize,
    sequence: u64,
}

/// The high-water mark as found in a mark sector.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
struct Mark {
    high_water: HighWater,
    slot: Slot,
    length: u32,
    generation: u32,
    /// Which mark sector (0 or 1) holds it.
    sector: u32,
}

impl Mark {
    fn encode(&self) -> [u8; MARK_LEN] {
        let mut m = [0u8; MARK_LEN];
        m[..RECORD_LEN].copy_from_slice(&self.high_water.encode());
        let tail = &mut m[RECORD_LEN..];
        tail[0] = match self.slot {
            Slot::A => 0,
            Slot::B => 1,
        };
        tail[4..8].copy_from_slice(&self.length.to_be_bytes());
        tail[8..12].copy_from_slice(&self.generation.to_be_bytes());
        let crc = stay_core::signature::crc16(&tail[..14]);
        tail[14..16].copy_from_slice(&crc.to_be_bytes());
        m
    }

    fn decode(m: &[u8; MARK_LEN], sector: u32) -> Option<Mark> {
        let high_water = HighWater::decode(&m[..RECORD_LEN])?;
        let tail = &m[RECORD_LEN..];
        if tail[1..4] != [0; 3]
            || tail[12..14] != [0; 2]
            || tail[14..16] != stay_core::signature::crc16(&tail[..14]).to_be_bytes()
        {
            return None;
        }
        let slot = match tail[0] {
            0 => Slot::A,
            1 => Slot::B,
            _ => return None,
        };
        Some(Mark {
            high_water,
            slot,
            length: u32::from_be_bytes([tail[4], tail[5], tail[6], tail[7]]),
            generation: u32::from_be_bytes([tail[8], tail[9], tail[10], tail[11]]),
            sector,
        })
    }
}

/// What a slot's header says.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
struct Header {
    generation: u32,
    length: u32,
}

impl Header {
    fn encode(self) -> [u8; HEADER_LEN] {
        let mut h = [0u8; HEADER_LEN];
        h[..4].copy_from_slice(&MAGIC);
        h[4..8].copy_from_slice(&self.generation.to_be_bytes());
        h[8..12].copy_from_slice(&self.length.to_be_bytes());
        h[12..14].fill(0x00);
        let crc = stay_core::signature::crc16(&h[..14]);
        h[14..16].copy_from_slice(&crc.to_be_bytes());
        h
    }

    fn decode(h: &[u8; HEADER_LEN]) -> Option<Header> {
        if h[..4] != MAGIC || h[14..16] != stay_core::signature::crc16(&h[..14]).to_be_bytes() {
            return None;
        }
        Some(Header {
            generation: u32::from_be_bytes([h[4], h[5], h[6], h[7]]),
            length: u32::from_be_bytes([h[8], h[9], h[10], h[11]]),
        })
    }
}

/// The list in force, as found in flash.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct InForce {
    pub slot: Slot,
    pub generation: u32,
    pub length: usize,
    pub sequence: u64,
}

pub struct ListStore<F> {
    flash: F,
    /// Where slot A starts; slot B follows it.
    base: u32,
    slot_size: u32,
}

impl<F: NorFlash> ListStore<F> {
    /// Two slots of `slot_size` bytes from `base` (both multiples of the erase size), and
    /// after them two erase sectors for the high-water mark.
    pub fn new(flash: F, base: u32, slot_size: u32) -> Result<Self, StoreError<F::Error>> {
        let erase = F::ERASE_SIZE as u32;
        let fits = slot_size
            .checked_mul(2)
            .and_then(|slots| slots.checked_add(erase.checked_mul(2)?))
            .and_then(|owned| base.checked_add(owned))
            .is_some_and(|end| end as usize <= flash.capacity());
        let write = F::WRITE_SIZE.max(1);
        if !base.is_multiple_of(erase)
            || !slot_size.is_multiple_of(erase)
            || !fits
            || slot_size as usize <= HEADER_LEN
            || !HEADER_LEN.is_multiple_of(write)
            || MARK_LEN > erase as usize
        {
            return Err(StoreError::Layout);
        }
        Ok(ListStore {
            flash,
            base,
            slot_size,
        })
    }

    pub fn into_flash(self) -> F {
        self.flash
    }

    /// The most list bytes a slot holds.
    pub fn capacity(&self) -> usize {
        self.slot_size as usize - HEADER_LEN
    }

    fn offset(&self, slot: Slot) -> u32 {
        match slot {
            Slot::A => self.base,
            Slot::B => self.base + self.slot_size,
        }
    }

    fn header(&mut self, slot: Slot) -> Result<Option<Header>, StoreError<F::Error>> {
        let mut h = [0u8; HEADER_LEN];
        self.flash
            .read(self.offset(slot), &mut h)
            .map_err(StoreError::Flash)?;
        Ok(Header::decode(&h).filter(|h| h.length as usize <= self.capacity()))
    }

    fn mark_offset(&self, sector: u32) -> u32 {
        self.base + 2 * self.slot_size + sector * F::ERASE_SIZE as u32
    }

    /// The highest whole mark of the two sectors.
    fn mark(&mut self) -> Result<Option<Mark>, StoreError<F::Error>> {
        let mut best: Option<Mark> = None;
        for sector in 0..2 {
            let mut m = [0u8; MARK_LEN];
            self.flash
                .read(self.mark_offset(sector), &mut m)
                .map_err(StoreError::Flash)?;
            if let Some(mark) = Mark::decode(&m, sector) {
                // A re-sent list leaves two marks of one sequence: the later write wins.
                let key = |m: &Mark| (m.high_water.sequence, m.generation);
                if best.is_none_or(|b| key(&mark) > key(&b)) {
                    best = Some(mark);
                }
            }
        }
        Ok(best)
    }

    /// The highest mark the scanner keeps: what nothing lower may replace.
    pub fn high_water(&mut self) -> Result<Option<HighWater>, StoreError<F::Error>> {
        Ok(self.mark()?.map(|m| m.high_water))
    }

    /// `slot`'s list, if it verifies and the mark admits it: its generation, length and
    /// sequence. The header says where the list ends; a slot whose header never got
    /// written (a cut after the mark) is read where the mark says, and taken only if its
    /// bytes are the very list the mark names.
    fn candidate(
        &mut self,
        slot: Slot,
        root: &PublicKey,
        mark: Option<&Mark>,
        buf: &mut [u8],
    ) -> Result<Option<Candidate>, StoreError<F::Error>> {
        let (generation, length, vouched) = match (self.header(slot)?, mark) {
            (Some(h), _) => (h.generation, h.length as usize, false),
            (None, Some(m)) if m.slot == slot && m.length as usize <= self.capacity() => {
                (m.generation, m.length as usize, true)
            }
            (None, _) => return Ok(None),
        };
        let Some(bytes) = buf.get_mut(..length) else {
            return Err(StoreError::TooLarge);
        };
        self.flash
            .read(self.offset(slot) + HEADER_LEN as u32, bytes)
            .map_err(StoreError::Flash)?;
        let Ok(list) = TrustList::load(bytes, root, None) else {
            return Ok(None);
        };
        let digest = list_digest(bytes);
        if vouched && mark.is_none_or(|m| m.high_water.digest != digest) {
            return Ok(None);
        }
        if admit(mark.map(|m| &m.high_water), list.sequence, &digest).is_err() {
            return Ok(None);
        }
        Ok(Some(Candidate {
            slot,
            generation,
            length,
            sequence: list.sequence,
        }))
    }

    /// The list in force: of the slots that verify and that the high-water mark admits,
    /// the higher sequence (then generation). `None` on blank flash, and when the newest
    /// list is damaged: the older one is never used again. It is read into `buf` (at least
    /// [`ListStore::capacity`] bytes).
    pub fn in_force<'b>(
        &mut self,
        root: &PublicKey,
        buf: &'b mut [u8],
    ) -> Result<Option<(InForce, TrustList<'b>)>, StoreError<F::Error>> {
        let mark = self.mark()?;
        let mut best: Option<Candidate> = None;
        for slot in [Slot::A, Slot::B] {
            if let Some(found) = self.candidate(slot, root, mark.as_ref(), buf)? {
                let key = |c: &Candidate| (c.sequence, c.generation);
                if best.is_none_or(|b| key(&found) > key(&b)) {
                    best = Some(found);
                }
            }
        }
        let Some(Candidate {
            slot,
            generation,
            length,
            sequence,
        }) = best
        else {
            return Ok(None);
        };
        // Read again so the list borrows `buf` for `'b` (the loop's borrows ended).
        let bytes = buf.get_mut(..length).ok_or(StoreError::TooLarge)?;
        self.flash
            .read(self.offset(slot) + HEADER_LEN as u32, bytes)
            .map_err(StoreError::Flash)?;
        let list = TrustList::load(bytes, root, None).map_err(StoreError::Refused)?;
        Ok(Some((
            InForce {
                slot,
                generation,
                length,
                sequence,
            },
            list,
        )))
    }

    /// Verifies `list` (signed by `root`, not below the high-water mark, and not another
    /// list under the mark's own sequence) and puts it in force through the idle slot.
    /// `scratch` (at least [`ListStore::capacity`] bytes) holds the list in force and then
    /// the read-back. Returns the new list's sequence.
    pub fn install(
        &mut self,
        list: &[u8],
        root: &PublicKey,
        scratch: &mut [u8],
    ) -> Result<u64, StoreError<F::Error>> {
        if list.len() > self.capacity() {
            return Err(StoreError::TooLarge);
        }
        let current = self.in_force(root, scratch)?.map(|(in_force, _)| in_force);
        let mark = self.mark()?;
        let sequence = TrustList::load(list, root, current.map(|c| c.sequence))
            .map_err(StoreError::Refused)?
            .sequence;
        let digest = list_digest(list);
        admit(mark.as_ref().map(|m| &m.high_water), sequence, &digest)
            .map_err(StoreError::Refused)?;
        let generation_in_force = current
            .map(|c| c.generation)
            .max(mark.map(|m| m.generation));
        let (idle, generation) = match (current, generation_in_force) {
            (Some(c), Some(g)) => (c.slot.other(), g.wrapping_add(1)),
            _ => (
                Slot::A,
                generation_in_force.map_or(1, |g| g.wrapping_add(1)),
            ),
        };
        let start = self.offset(idle);
        self.flash
            .erase(start, start + self.slot_size)
            .map_err(StoreError::Flash)?;
        // The body in whole write units; the tail padded with the erased value.
        let unit = F::WRITE_SIZE.max(1);
        let whole = list.len() / unit * unit;
        let body = start + HEADER_LEN as u32;
        if whole > 0 {
            self.flash
                .write(body, &list[..whole])
                .map_err(StoreError::Flash)?;
        }
        if whole < list.len() {
            let mut tail = [0xFFu8; HEADER_LEN];
            let tail = tail.get_mut(..unit).ok_or(StoreError::Layout)?;
            tail[..list.len() - whole].copy_from_slice(&list[whole..]);
            self.flash
                .write(body + whole as u32, tail)
                .map_err(StoreError::Flash)?;
        }
        let read_back = scratch.get_mut(..list.len()).ok_or(StoreError::TooLarge)?;
        self.flash
            .read(body, read_back)
            .map_err(StoreError::Flash)?;
        if read_back != list {
            return Err(StoreError::ReadBack);
        }
        // The mark before the header: from here on nothing below this list is used again.
        let sector = match mark {
            Some(m) => 1 - m.sector,
            None => 0,
        };
        let mark = Mark {
            high_water: HighWater::for_list(sequence, list),
            slot: idle,
            length: list.len() as u32,
            generation,
            sector,
        };
        let at = self.mark_offset(sector);
        self.flash
            .erase(at, at + F::ERASE_SIZE as u32)
            .map_err(StoreError::Flash)?;
        self.flash
            .write(at, &mark.encode())
            .map_err(StoreError::Flash)?;
        let header = Header {
            generation,
            length: list.len() as u32,
        }
        .encode();
        self.flash
            .write(start, &header)
            .map_err(StoreError::Flash)?;
        Ok(sequence)
    }
}
