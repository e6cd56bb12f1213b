//! The high-water mark: the highest trust-list sequence a terminal ever accepted, and the
//! digest of that list's bytes.
//!
//! A terminal keeps it apart from the list itself and writes it before a new list is put
//! in force, so a list that is lost or damaged later cannot take the memory of its sequence
//! with it: nothing lower is used again (no rollback to a list that still lists a revoked
//! document as good), and a list with the same sequence but other bytes is refused (a
//! sequence is issued once).
//!
//! ```text
//! "KGHW" | version 01 | 00 00 00 | sequence (u64 BE) | SHA-256 of the list (32)
//!        | SHA-256 of the 48 bytes before (32)
//! ```
//! The trailing digest makes a torn or decayed record detectable: it decodes as `None`.

use sha2::{Digest, Sha256};

use crate::trust_list::ListError;

pub const MAGIC: [u8; 4] = *b"KGHW";
pub const VERSION: u8 = 1;
/// Bytes of an encoded record.
pub const RECORD_LEN: usize = 80;
const CHECKED_LEN: usize = 48;

/// The highest list a terminal accepted.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct HighWater {
    pub sequence: u64,
    /// SHA-256 of the whole list as accepted (signature included).
    pub digest: [u8; 32],
}

/// SHA-256 of a list's bytes, as a high-water mark records it.
pub fn list_digest(list_bytes: &[u8]) -> [u8; 32] {
    Sha256::digest(list_bytes).into()
}

impl HighWater {
    /// The mark for the list `list_bytes` whose sequence is `sequence`.
    pub fn for_list(sequence: u64, list_bytes: &[u8]) -> HighWater {
        HighWater {
            sequence,
            digest: list_digest(list_bytes),
        }
    }

    pub fn encode(&self) -> [u8; RECORD_LEN] {
        let mut r = [0u8; RECORD_LEN];
        r[..4].copy_from_slice(&MAGIC);
        r[4] = VERSION;
        r[8..16].copy_from_slice(&self.sequence.to_be_bytes());
        r[16..48].copy_from_slice(&self.digest);
        let check: [u8; 32] = Sha256::digest(&r[..CHECKED_LEN]).into();
        r[CHECKED_LEN..].copy_from_slice(&check);
        r
    }

    /// `None` for anything but a whole, intact record: wrong length, magic or version, or
    /// a check digest that does not match (a torn write, decayed storage).
    pub fn decode(bytes: &[u8]) -> Option<HighWater> {
        let r: &[u8; RECORD_LEN] = bytes.try_into().ok()?;
        let check: [u8; 32] = Sha256::digest(&r[..CHECKED_LEN]).into();
        if r[..4] != MAGIC || r[4] != VERSION || r[5..8] != [0; 3] || r[CHECKED_LEN..] != check {
            return None;
        }
        let mut sequence = [0u8; 8];
        sequence.copy_from_slice(&r[8..16]);
        let mut digest = [0u8; 32];
        digest.copy_from_slice(&r[16..48]);
        Some(HighWater {
            sequence: u64::from_be_bytes(sequence),
            digest,
        })
    }
}

/// Whether a verified list with `sequence` and `digest` may be used by a terminal whose
/// mark is `high_water` (`None`: it never accepted a list).
///
/// Lower: a rollback, refused. Equal with the same bytes: the list already accepted (a
/// restart, a re-sent list). Equal with other bytes: refused, a sequence names one list.
/// Higher: a newer list.
pub fn admit(
    high_water: Option<&HighWater>,
    sequence: u64,
    digest: &[u8; 32],
) -> Result<(), ListError> {
    let Some(mark) = high_water else {
        return Ok(());
    };
    if sequence < mark.sequence {
        return Err(ListError::Rollback {
            trusted: mark.sequence,
            offered: sequence,
        });
    }
    if sequence == mark.sequence && *digest != mark.digest {
        return Err(ListError::SequenceReused { sequence });
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn mark(sequence: u64, fill: u8) -> HighWater {
        HighWater {
            sequence,
            digest: [fill; 32],
        }
    }

    #[test]
    fn admit_refuses_lower_and_reused_sequences() {
        let hw = mark(8, 0xAA);
        assert_eq!(admit(None, 1, &[0; 32]), Ok(()), "first list");
        assert_eq!(
            admit(Some(&hw), 7, &[0xAA; 32]),
            Err(ListError::Rollback {
                trusted: 8,
                offered: 7
            })
        );
        assert_eq!(
            admit(Some(&hw), 8, &[0xAB; 32]),
            Err(ListError::SequenceReused { sequence: 8 })
        );
        assert_eq!(admit(Some(&hw), 8, &[0xAA; 32]), Ok(()), "same list");
        assert_eq!(admit(Some(&hw), 9, &[0x00; 32]), Ok(()), "newer list");
        assert_eq!(
            admit(Some(&mark(u64::MAX, 1)), 0, &[1; 32]),
            Err(ListError::Rollback {
                trusted: u64::MAX,
                offered: 0
            })
        );
    }

    #[test]
    fn a_record_round_trips() {
        let hw = HighWater::for_list(42, b"list bytes");
        assert_eq!(hw.digest, list_digest(b"list bytes"));
        assert_eq!(HighWater::decode(&hw.encode()), Some(hw));
    }

    #[test]
    fn a_torn_or_damaged_record_does_not_decode() {
        let good = mark(42, 7).encode();
        // Cut at every length (a torn write), and erased flash.
        for n in 0..RECORD_LEN {
            assert_eq!(HighWater::decode(&good[..n]), None, "cut to {n}");
        }
        assert_eq!(HighWater::decode(&[0xFF; RECORD_LEN]), None);
        assert_eq!(HighWater::decode(&[0x00; RECORD_LEN]), None);
        let mut longer = [0u8; RECORD_LEN + 1];
        longer[..RECORD_LEN].copy_from_slice(&good);
        assert_eq!(HighWater::decode(&longer), None);
        // Any bit of any byte flipped.
        for i in 0..RECORD_LEN {
            for bit in 0..8 {
                let mut bad = good;
                bad[i] ^= 1 << bit;
                assert_eq!(HighWater::decode(&bad), None, "byte {i} bit {bit}");
            }
        }
        // Half old, half new (a write torn between two records).
        let newer = mark(43, 8).encode();
        let mut torn = good;
        torn[40..].copy_from_slice(&newer[40..]);
        assert_eq!(HighWater::decode(&torn), None);
    }
}
