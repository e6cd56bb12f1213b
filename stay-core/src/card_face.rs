//! The card face's QR code: the record's bytes, then on a resident card its CAN, so a
//! camera that sees the face can open the chip without anyone typing the digits.
//!
//! `payload = record ‖ [C2 06 <six ASCII digits>]`. The record is one `7F70` object, so
//! where it ends is known from its own length; a printed document (unified window, digital
//! nomad) carries the record alone. Anything after the record that is not exactly a CAN
//! object is left attached to the record, whose canonical parse then refuses it: damage is
//! `Invalid(malformed)`, never a silently dropped tail.

use crate::apdu::TAG_CAN;
use crate::pace::{Can, CAN_LEN};
use crate::tlv;

/// Length of the CAN object: `C2 06` and the digits.
pub const CAN_OBJECT_LEN: usize = 2 + CAN_LEN;

/// A card-face payload split into the record's bytes and the CAN, if it carries one.
pub fn split(payload: &[u8]) -> (&[u8], Option<Can>) {
    let mut reader = tlv::Reader::new(payload);
    let Ok(record) = reader.expect(crate::record::tag::RECORD) else {
        return (payload, None);
    };
    let (head, tail) = payload.split_at(record.encoded.len());
    match tail {
        [tag, len, digits @ ..] if u16::from(*tag) == TAG_CAN && usize::from(*len) == CAN_LEN => {
            match core::str::from_utf8(digits).ok().map(Can::parse) {
                Some(Ok(can)) => (head, Some(can)),
                _ => (payload, None),
            }
        }
        _ => (payload, None),
    }
}

/// Writes `record ‖ C2 06 CAN` into `out`; the length, or `None` when `out` is too small.
pub fn write(record: &[u8], can: &Can, out: &mut [u8]) -> Option<usize> {
    let len = record.len() + CAN_OBJECT_LEN;
    let out = out.get_mut(..len)?;
    out[..record.len()].copy_from_slice(record);
    out[record.len()] = TAG_CAN as u8;
    out[record.len() + 1] = CAN_LEN as u8;
    out[record.len() + 2..].copy_from_slice(can.digits());
    Some(len)
}

#[cfg(test)]
mod tests {
    use super::*;

    const RECORD: &[u8] = &[0x7F, 0x70, 0x03, 1, 2, 3];

    #[test]
    fn the_can_rides_after_the_record_and_only_a_whole_can_is_taken() {
        let can = Can::parse("042917").unwrap();
        let mut out = [0u8; 32];
        let n = write(RECORD, &can, &mut out).unwrap();
        assert_eq!(split(&out[..n]), (RECORD, Some(can)));
        assert_eq!(split(RECORD), (RECORD, None));
        // A damaged or foreign tail stays with the record, which then fails to parse.
        let mut foreign = [0u8; 14];
        foreign[..6].copy_from_slice(RECORD);
        foreign[6..].copy_from_slice(b"\xC2\x06abcdef");
        for bad in [&out[..n - 1], &foreign[..]] {
            assert_eq!(split(bad), (bad, None));
        }
        assert_eq!(split(b"not a record"), (&b"not a record"[..], None));
        assert_eq!(write(RECORD, &can, &mut [0u8; 13]), None);
    }
}
