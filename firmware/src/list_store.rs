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
//! whose header or signature does not check is ignored, so a torn write, or flash that
//! decayed, falls back to the other slot.

use embedded_storage::nor_flash::NorFlash;
use stay_core::{ListError, PublicKey, TrustList};

pub const MAGIC: [u8; 4] = *b"KGTL";
/// Header size: a multiple of every common NOR write granularity (1, 4, 8, 16 bytes).
pub const HEADER_LEN: usize = 16;

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
    /// The slot size is not a multiple of the erase size, or the slots do not fit the flash.
    Layout,
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
    /// Two slots of `slot_size` bytes from `base` (both multiples of the erase size).
    pub fn new(flash: F, base: u32, slot_size: u32) -> Result<Self, StoreError<F::Error>> {
        let erase = F::ERASE_SIZE as u32;
        let fits = base
            .checked_add(slot_size.checked_mul(2).ok_or(StoreError::Layout)?)
            .is_some_and(|end| end as usize <= flash.capacity());
        let write = F::WRITE_SIZE.max(1);
        if !base.is_multiple_of(erase)
            || !slot_size.is_multiple_of(erase)
            || !fits
            || slot_size as usize <= HEADER_LEN
            || !HEADER_LEN.is_multiple_of(write)
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

    /// Reads `slot`'s list into `buf`; `Some` if its header is valid and it verifies.
    fn load_slot<'b>(
        &mut self,
        slot: Slot,
        root: &PublicKey,
        buf: &'b mut [u8],
    ) -> Result<Option<(Header, TrustList<'b>)>, StoreError<F::Error>> {
        let Some(header) = self.header(slot)? else {
            return Ok(None);
        };
        let Some(bytes) = buf.get_mut(..header.length as usize) else {
            return Err(StoreError::TooLarge);
        };
        self.flash
            .read(self.offset(slot) + HEADER_LEN as u32, bytes)
            .map_err(StoreError::Flash)?;
        Ok(TrustList::load(bytes, root, None)
            .ok()
            .map(|list| (header, list)))
    }

    /// The list in force: of the slots whose header and signature check, the higher
    /// generation. It is read into `buf` (at least [`ListStore::capacity`] bytes).
    pub fn in_force<'b>(
        &mut self,
        root: &PublicKey,
        buf: &'b mut [u8],
    ) -> Result<Option<(InForce, TrustList<'b>)>, StoreError<F::Error>> {
        let generation = |h: Option<Header>| h.map(|h| h.generation);
        let (a, b) = (self.header(Slot::A)?, self.header(Slot::B)?);
        // Try the newer first; fall back to the other if it does not verify.
        let order = if generation(b) > generation(a) {
            [Slot::B, Slot::A]
        } else {
            [Slot::A, Slot::B]
        };
        let mut found = None;
        for slot in order {
            if self.load_slot(slot, root, buf)?.is_some() {
                found = Some(slot);
                break;
            }
        }
        let Some(slot) = found else {
            return Ok(None);
        };
        // Loaded again so the list borrows `buf` for `'b` (the loop's borrow ended).
        match self.load_slot(slot, root, buf)? {
            Some((header, list)) => Ok(Some((
                InForce {
                    slot,
                    generation: header.generation,
                    length: header.length as usize,
                    sequence: list.sequence,
                },
                list,
            ))),
            None => Ok(None),
        }
    }

    /// Verifies `list` (signed by `root`, not older than the list in force) and puts it in
    /// force through the idle slot. `scratch` (at least [`ListStore::capacity`] bytes) holds
    /// the list in force and then the read-back. Returns the new list's sequence.
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
        let sequence = TrustList::load(list, root, current.map(|c| c.sequence))
            .map_err(StoreError::Refused)?
            .sequence;
        let (idle, generation) = match current {
            Some(c) => (c.slot.other(), c.generation.wrapping_add(1)),
            None => (Slot::A, 1),
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
