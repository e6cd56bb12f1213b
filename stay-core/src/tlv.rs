//! Canonical BER-TLV (ISO/IEC 7816-4 §5.2, ISO/IEC 8825-1 encoding rules), the one TLV
//! reader and writer of the project.
//!
//! "Canonical" means exactly one encoding per value: tags of one or two bytes in their
//! shortest form, definite lengths in their shortest form, and (enforced by the callers'
//! fixed field order, see [`Reader::expect`]) no reordering, no duplicates and no trailing
//! bytes. Anything else is rejected, so two different byte strings never mean the same record.

use core::fmt;

/// A tag of one or two bytes, as written on the wire (`0x80`, `0x5F37`, `0x7F70`).
pub type Tag = u16;

/// Largest length the reader accepts: 4-byte long form (`84 xx xx xx xx`).
pub const MAX_LENGTH: usize = u32::MAX as usize;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum TlvError {
    /// The input ends inside a tag, a length or a value.
    Truncated,
    /// A tag longer than two bytes, or a two-byte tag whose number fits in one byte.
    BadTag,
    /// Indefinite length, a length not in its shortest form, or one longer than 4 bytes.
    BadLength,
    /// A field other than the one the format requires at this position (unknown, duplicated
    /// or out of order).
    UnexpectedTag { expected: Tag, found: Tag },
    /// A required field is missing at the end of its template.
    MissingTag(Tag),
    /// Bytes after the last field of a template.
    TrailingBytes,
}

impl fmt::Display for TlvError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            TlvError::Truncated => f.write_str("truncated TLV"),
            TlvError::BadTag => f.write_str("non-canonical or unsupported tag"),
            TlvError::BadLength => f.write_str("non-canonical or unsupported length"),
            TlvError::UnexpectedTag { expected, found } => {
                write!(f, "expected tag {expected:02X}, found {found:02X}")
            }
            TlvError::MissingTag(t) => write!(f, "missing tag {t:02X}"),
            TlvError::TrailingBytes => f.write_str("trailing bytes"),
        }
    }
}

/// One data object: its tag and a view of its value.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Tlv<'a> {
    pub tag: Tag,
    pub value: &'a [u8],
    /// The whole encoding, tag and length included.
    pub encoded: &'a [u8],
}

/// Reads data objects one after the other from a byte slice, without copying.
#[derive(Debug, Clone)]
pub struct Reader<'a> {
    rest: &'a [u8],
}

impl<'a> Reader<'a> {
    pub fn new(bytes: &'a [u8]) -> Self {
        Reader { rest: bytes }
    }

    pub fn is_empty(&self) -> bool {
        self.rest.is_empty()
    }

    fn read_tag(bytes: &[u8]) -> Result<(Tag, usize), TlvError> {
        let first = *bytes.first().ok_or(TlvError::Truncated)?;
        if first & 0x1F != 0x1F {
            return Ok((Tag::from(first), 1));
        }
        let second = *bytes.get(1).ok_or(TlvError::Truncated)?;
        // Continuation bit set means a third tag byte: no format here uses one.
        // Tag numbers below 31 must use the one-byte form.
        if second & 0x80 != 0 || second < 0x1F {
            return Err(TlvError::BadTag);
        }
        Ok((Tag::from(first) << 8 | Tag::from(second), 2))
    }

    fn read_length(bytes: &[u8]) -> Result<(usize, usize), TlvError> {
        let first = *bytes.first().ok_or(TlvError::Truncated)?;
        if first < 0x80 {
            return Ok((usize::from(first), 1));
        }
        let n = usize::from(first & 0x7F);
        if n == 0 || n > 4 {
            return Err(TlvError::BadLength);
        }
        let octets = bytes.get(1..1 + n).ok_or(TlvError::Truncated)?;
        if octets[0] == 0 {
            return Err(TlvError::BadLength);
        }
        let len = octets
            .iter()
            .fold(0usize, |acc, &b| acc << 8 | usize::from(b));
        if len < 0x80 {
            return Err(TlvError::BadLength);
        }
        Ok((len, 1 + n))
    }

    /// Peeks at the next tag without consuming anything.
    pub fn peek_tag(&self) -> Result<Option<Tag>, TlvError> {
        if self.rest.is_empty() {
            return Ok(None);
        }
        Self::read_tag(self.rest).map(|(t, _)| Some(t))
    }

    /// Reads the next data object.
    pub fn read(&mut self) -> Result<Tlv<'a>, TlvError> {
        let (tag, tag_len) = Self::read_tag(self.rest)?;
        let (len, len_len) = Self::read_length(&self.rest[tag_len..])?;
        let header = tag_len + len_len;
        let total = header.checked_add(len).ok_or(TlvError::BadLength)?;
        if total > self.rest.len() {
            return Err(TlvError::Truncated);
        }
        let (encoded, rest) = self.rest.split_at(total);
        self.rest = rest;
        Ok(Tlv {
            tag,
            value: &encoded[header..],
            encoded,
        })
    }

    /// Reads the next data object, which must carry `tag`.
    pub fn expect(&mut self, tag: Tag) -> Result<Tlv<'a>, TlvError> {
        match self.peek_tag()? {
            None => Err(TlvError::MissingTag(tag)),
            Some(found) if found != tag => Err(TlvError::UnexpectedTag {
                expected: tag,
                found,
            }),
            Some(_) => self.read(),
        }
    }

    /// Reads the next data object if it carries `tag`; an optional field in a fixed order.
    pub fn optional(&mut self, tag: Tag) -> Result<Option<Tlv<'a>>, TlvError> {
        match self.peek_tag()? {
            Some(found) if found == tag => self.read().map(Some),
            _ => Ok(None),
        }
    }

    /// Ends a template: nothing may follow its last field.
    pub fn finish(self) -> Result<(), TlvError> {
        if self.rest.is_empty() {
            Ok(())
        } else {
            Err(TlvError::TrailingBytes)
        }
    }
}

/// Length of a tag's encoding.
pub const fn tag_len(tag: Tag) -> usize {
    if tag > 0xFF {
        2
    } else {
        1
    }
}

/// Length of the shortest definite-length encoding of `len`.
pub const fn length_len(len: usize) -> usize {
    if len < 0x80 {
        1
    } else if len <= 0xFF {
        2
    } else if len <= 0xFFFF {
        3
    } else if len <= 0xFF_FFFF {
        4
    } else {
        5
    }
}

/// Length of a whole data object whose value is `len` bytes long.
pub const fn encoded_len(tag: Tag, len: usize) -> usize {
    tag_len(tag) + length_len(len) + len
}

/// The output buffer is too small for what is being written.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct BufferTooSmall;

/// Writes canonical data objects into a caller's buffer (no allocation).
pub struct Writer<'a> {
    buf: &'a mut [u8],
    pos: usize,
}

impl<'a> Writer<'a> {
    pub fn new(buf: &'a mut [u8]) -> Self {
        Writer { buf, pos: 0 }
    }

    /// Bytes written so far.
    pub fn position(&self) -> usize {
        self.pos
    }

    pub fn bytes(&mut self, bytes: &[u8]) -> Result<(), BufferTooSmall> {
        let end = self.pos.checked_add(bytes.len()).ok_or(BufferTooSmall)?;
        self.buf
            .get_mut(self.pos..end)
            .ok_or(BufferTooSmall)?
            .copy_from_slice(bytes);
        self.pos = end;
        Ok(())
    }

    /// Writes a tag and the length of a value the caller writes next.
    pub fn header(&mut self, tag: Tag, len: usize) -> Result<(), BufferTooSmall> {
        // Lengths are encoded in at most four bytes (on a 32-bit target every usize fits).
        if u32::try_from(len).is_err() {
            return Err(BufferTooSmall);
        }
        let mut head = [0u8; 7];
        let mut n = 0;
        if tag > 0xFF {
            head[n] = (tag >> 8) as u8;
            n += 1;
        }
        head[n] = tag as u8;
        n += 1;
        let len_len = length_len(len);
        if len_len == 1 {
            head[n] = len as u8;
            n += 1;
        } else {
            head[n] = 0x80 | (len_len - 1) as u8;
            n += 1;
            for i in (0..len_len - 1).rev() {
                head[n] = (len >> (8 * i)) as u8;
                n += 1;
            }
        }
        self.bytes(&head[..n])
    }

    /// Writes a whole primitive data object.
    pub fn field(&mut self, tag: Tag, value: &[u8]) -> Result<(), BufferTooSmall> {
        self.header(tag, value.len())?;
        self.bytes(value)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn one(bytes: &[u8]) -> Result<Tlv<'_>, TlvError> {
        let mut r = Reader::new(bytes);
        let t = r.read()?;
        r.finish()?;
        Ok(t)
    }

    #[test]
    fn reads_short_and_long_forms() {
        let t = one(&[0x80, 0x01, 0x07]).unwrap();
        assert_eq!((t.tag, t.value), (0x80, &[0x07][..]));
        let mut long = [0u8; 3 + 200];
        long[..3].copy_from_slice(&[0x5F, 0x37, 0x81]);
        long[3] = 199;
        let t = one(&long[..4 + 199]).unwrap();
        assert_eq!(t.tag, 0x5F37);
        assert_eq!(t.value.len(), 199);
    }

    #[test]
    fn rejects_non_canonical_lengths() {
        assert_eq!(one(&[0x80, 0x81, 0x01, 0x00]), Err(TlvError::BadLength));
        assert_eq!(one(&[0x80, 0x82, 0x00, 0x90]), Err(TlvError::BadLength));
        assert_eq!(one(&[0x80, 0x80]), Err(TlvError::BadLength));
        assert_eq!(one(&[0x80, 0x85, 1, 0, 0, 0, 0]), Err(TlvError::BadLength));
    }

    #[test]
    fn rejects_non_canonical_tags() {
        // Tag number 5 written in the two-byte form.
        assert_eq!(one(&[0x5F, 0x05, 0x00]), Err(TlvError::BadTag));
        // Three-byte tag.
        assert_eq!(one(&[0x5F, 0x81, 0x01, 0x00]), Err(TlvError::BadTag));
    }

    #[test]
    fn truncation_and_trailing() {
        assert_eq!(one(&[0x80, 0x02, 0x00]), Err(TlvError::Truncated));
        assert_eq!(one(&[0x5F]), Err(TlvError::Truncated));
        assert_eq!(one(&[0x80, 0x82, 0x01]), Err(TlvError::Truncated));
        assert_eq!(one(&[0x80, 0x00, 0x00]), Err(TlvError::TrailingBytes));
    }

    #[test]
    fn fixed_order() {
        let bytes = [0x81, 0x00, 0x80, 0x00];
        let mut r = Reader::new(&bytes);
        assert_eq!(
            r.expect(0x80),
            Err(TlvError::UnexpectedTag {
                expected: 0x80,
                found: 0x81
            })
        );
        let mut r = Reader::new(&bytes);
        assert_eq!(r.optional(0x80).unwrap(), None);
        assert!(r.expect(0x81).is_ok());
        assert!(r.expect(0x80).is_ok());
        assert_eq!(r.expect(0x82), Err(TlvError::MissingTag(0x82)));
    }

    #[test]
    fn writer_round_trips_every_length_form() {
        for len in [0usize, 1, 127, 128, 255, 256, 65535, 65536, 70000] {
            let value = [0xA5u8; 70000];
            let mut buf = [0u8; 70010];
            let mut w = Writer::new(&mut buf);
            w.field(0x7F70, &value[..len]).unwrap();
            let n = w.position();
            assert_eq!(n, encoded_len(0x7F70, len));
            let t = one(&buf[..n]).unwrap();
            assert_eq!((t.tag, t.value.len()), (0x7F70, len));
        }
    }

    #[test]
    fn writer_reports_small_buffer() {
        let mut buf = [0u8; 3];
        let mut w = Writer::new(&mut buf);
        assert_eq!(w.field(0x80, &[1, 2]), Err(BufferTooSmall));
    }
}
