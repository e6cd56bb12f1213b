//! The signed trust list ("certificate list"): which signer keys the terminal trusts for
//! which document types and periods, and what has been revoked.
//!
//! ```text
//! 7F72 L  trust list
//!   72 L    body                                          <- these bytes are signed
//!     80 01 version            81 08 sequence (u64)
//!     82 08 issued at (u64 s)  83 08 next update (u64 s)
//!     A4 L  signers: A0 entries sorted by key id, each
//!             80 08 key id  81 41 public key  82 04 not before  83 04 not after
//!             84 01 document types (bit mask)
//!     85 L  revoked signer key ids, 8 bytes each, strictly ascending
//!     86 L  revoked document numbers: empty, or width W then W-byte entries
//!           (NUL-padded, strictly ascending)
//!     87 L  status changes (absent when there are none): width W, then entries of
//!           number (W, NUL-padded, strictly ascending) | kind (1) | date (4) |
//!           successor (W, NUL-padded; all NUL unless superseded)
//!   5F37 40 signature by the pinned root key over the whole `72` object
//! ```
//! The list is used in place: every lookup reads the caller's byte slice, so a list of
//! tens of megabytes needs no allocation. Revoked documents and status changes are found
//! by binary search.

use core::cmp::Ordering;
use core::fmt;
use core::ops::Deref;

use crate::date::{Date, UnixTime, DATE_LEN};
use crate::high_water::{self, HighWater};
use crate::record::{is_document_number, DocumentNumber, DocumentType, MAX_DOCUMENT_NUMBER_LEN};
use crate::signature::{KeyId, PublicKey, SignatureError, KEY_ID_LEN, PUBLIC_KEY_LEN};
use crate::tlv::{self, BufferTooSmall, Reader, TlvError, Writer};

pub mod tag {
    use crate::tlv::Tag;
    pub const LIST: Tag = 0x7F72;
    pub const BODY: Tag = 0x72;
    pub const VERSION: Tag = 0x80;
    pub const SEQUENCE: Tag = 0x81;
    pub const ISSUED_AT: Tag = 0x82;
    pub const NEXT_UPDATE: Tag = 0x83;
    pub const SIGNERS: Tag = 0xA4;
    pub const SIGNER: Tag = 0xA0;
    pub const SIGNER_KEY_ID: Tag = 0x80;
    pub const SIGNER_PUBLIC_KEY: Tag = 0x81;
    pub const SIGNER_NOT_BEFORE: Tag = 0x82;
    pub const SIGNER_NOT_AFTER: Tag = 0x83;
    pub const SIGNER_DOCUMENT_TYPES: Tag = 0x84;
    pub const REVOKED_SIGNERS: Tag = 0x85;
    pub const REVOKED_DOCUMENTS: Tag = 0x86;
    pub const STATUS_CHANGES: Tag = 0x87;
    pub const SIGNATURE: Tag = 0x5F37;
}

pub const LIST_VERSION: u8 = 1;
/// Upper bound on a whole list (about four million revoked documents).
pub const MAX_LIST_LEN: usize = 64 << 20;
/// Upper bound on signer entries; they are searched linearly.
pub const MAX_SIGNERS: usize = 256;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ListError {
    TooLong,
    Tlv(TlvError),
    UnsupportedVersion(u8),
    /// A field whose value breaks its rule; names the field.
    BadField(&'static str),
    /// Entries not strictly ascending (unsorted or duplicated).
    NotSorted(&'static str),
    /// A signer's key id is not the digest of its key.
    KeyIdMismatch,
    /// next-update not after issued-at, or a signer period that ends before it starts.
    InconsistentTimes,
    /// The root key did not sign these bytes.
    BadSignature(SignatureError),
    /// The list is older (lower sequence) than the one already trusted.
    Rollback {
        trusted: u64,
        offered: u64,
    },
    /// Another list with the sequence already trusted: a sequence names one list only.
    SequenceReused {
        sequence: u64,
    },
}

impl From<TlvError> for ListError {
    fn from(e: TlvError) -> Self {
        ListError::Tlv(e)
    }
}

impl fmt::Display for ListError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            ListError::TooLong => write!(f, "longer than {MAX_LIST_LEN} bytes"),
            ListError::Tlv(e) => write!(f, "{e}"),
            ListError::UnsupportedVersion(v) => write!(f, "unsupported list version {v}"),
            ListError::BadField(name) => write!(f, "invalid field {name}"),
            ListError::NotSorted(name) => write!(f, "{name} not strictly ascending"),
            ListError::KeyIdMismatch => f.write_str("signer key id is not the digest of its key"),
            ListError::InconsistentTimes => f.write_str("inconsistent times"),
            ListError::BadSignature(_) => {
                f.write_str("signature does not verify with the root key")
            }
            ListError::Rollback { trusted, offered } => write!(
                f,
                "sequence {offered} is lower than the trusted list's {trusted} (rollback)"
            ),
            ListError::SequenceReused { sequence } => write!(
                f,
                "another list with the trusted sequence {sequence} (a sequence is issued once)"
            ),
        }
    }
}

/// What a list says of a document after its issuance: the stay as it stands now. One
/// entry per document; the authority's list source keeps the history.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum StatusChange {
    /// The stay is extended: valid until this date instead of the record's.
    Extended { valid_until: Date },
    /// Not valid from this date on, until a later list lifts the suspension.
    Suspended { since: Date },
    /// Replaced on this date by the document numbered `successor` (a unified-window
    /// document by the resident card issued after it).
    Superseded { on: Date, successor: DocumentNumber },
}

impl StatusChange {
    const EXTENDED: u8 = 1;
    const SUSPENDED: u8 = 2;
    const SUPERSEDED: u8 = 3;

    /// The stable code, as JSON and the list source name it.
    pub const fn name(&self) -> &'static str {
        match self {
            StatusChange::Extended { .. } => "extended",
            StatusChange::Suspended { .. } => "suspended",
            StatusChange::Superseded { .. } => "superseded",
        }
    }

    const fn kind(&self) -> u8 {
        match self {
            StatusChange::Extended { .. } => Self::EXTENDED,
            StatusChange::Suspended { .. } => Self::SUSPENDED,
            StatusChange::Superseded { .. } => Self::SUPERSEDED,
        }
    }

    /// The change's own date: the new valid-until, or when it took effect.
    pub const fn date(&self) -> Date {
        match *self {
            StatusChange::Extended { valid_until } => valid_until,
            StatusChange::Suspended { since } => since,
            StatusChange::Superseded { on, .. } => on,
        }
    }

    fn successor(&self) -> &str {
        match self {
            StatusChange::Superseded { successor, .. } => successor.as_str(),
            _ => "",
        }
    }
}

/// A status change with the document it is about.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct StatusEntry<'a> {
    pub document_number: &'a str,
    pub change: StatusChange,
}

/// The number in a NUL-padded entry field, if it is one.
fn padded_number(field: &[u8]) -> Option<&str> {
    let len = field.iter().position(|&b| b == 0).unwrap_or(field.len());
    if !field[len..].iter().all(|&b| b == 0) {
        return None;
    }
    core::str::from_utf8(&field[..len]).ok()
}

/// Decodes one status entry of width `w`; `None` when it breaks a rule.
fn status_entry(entry: &[u8], w: usize) -> Option<StatusEntry<'_>> {
    let (number, rest) = entry.split_at(w);
    let (&kind, rest) = rest.split_first()?;
    let (date, successor) = rest.split_at(DATE_LEN);
    let document_number = padded_number(number).filter(|n| is_document_number(n))?;
    let date = Date::from_bytes(date).ok()?;
    let successor = padded_number(successor)?;
    let change = match kind {
        StatusChange::EXTENDED if successor.is_empty() => {
            StatusChange::Extended { valid_until: date }
        }
        StatusChange::SUSPENDED if successor.is_empty() => StatusChange::Suspended { since: date },
        StatusChange::SUPERSEDED if successor != document_number => StatusChange::Superseded {
            on: date,
            successor: DocumentNumber::new(successor)?,
        },
        _ => return None,
    };
    Some(StatusEntry {
        document_number,
        change,
    })
}

const fn status_entry_len(w: usize) -> usize {
    2 * w + 1 + DATE_LEN
}

/// One key allowed to sign records.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct SignerEntry<'a> {
    pub key_id: KeyId,
    pub public_key: &'a [u8; PUBLIC_KEY_LEN],
    /// Records issued on these dates (inclusive) may carry this signer's signature.
    pub not_before: Date,
    pub not_after: Date,
    /// Bit mask of [`DocumentType::bit`].
    pub document_types: u8,
}

impl SignerEntry<'_> {
    pub fn may_sign(&self, document_type: DocumentType) -> bool {
        self.document_types & document_type.bit() != 0
    }

    pub fn covers(&self, issue_date: Date) -> bool {
        self.not_before <= issue_date && issue_date <= self.not_after
    }

    fn parse(t: tlv::Tlv<'_>) -> Result<SignerEntry<'_>, ListError> {
        if t.tag != tag::SIGNER {
            return Err(ListError::Tlv(TlvError::UnexpectedTag {
                expected: tag::SIGNER,
                found: t.tag,
            }));
        }
        let mut r = Reader::new(t.value);
        let key_id: [u8; KEY_ID_LEN] = r
            .expect(tag::SIGNER_KEY_ID)?
            .value
            .try_into()
            .map_err(|_| ListError::BadField("signer key id"))?;
        let public_key: &[u8; PUBLIC_KEY_LEN] = r
            .expect(tag::SIGNER_PUBLIC_KEY)?
            .value
            .try_into()
            .map_err(|_| ListError::BadField("signer public key"))?;
        let date = |t: tlv::Tlv<'_>, name| {
            if t.value.len() != DATE_LEN {
                return Err(ListError::BadField(name));
            }
            Date::from_bytes(t.value).map_err(|_| ListError::BadField(name))
        };
        let not_before = date(r.expect(tag::SIGNER_NOT_BEFORE)?, "signer not before")?;
        let not_after = date(r.expect(tag::SIGNER_NOT_AFTER)?, "signer not after")?;
        let document_types = match r.expect(tag::SIGNER_DOCUMENT_TYPES)?.value {
            [mask] if *mask != 0 && *mask & !ALL_TYPES_MASK == 0 => *mask,
            _ => return Err(ListError::BadField("signer document types")),
        };
        r.finish()?;
        Ok(SignerEntry {
            key_id: KeyId(key_id),
            public_key,
            not_before,
            not_after,
            document_types,
        })
    }
}

const ALL_TYPES_MASK: u8 = {
    let mut m = 0;
    let mut i = 0;
    while i < DocumentType::ALL.len() {
        m |= DocumentType::ALL[i].bit();
        i += 1;
    }
    m
};

/// A structurally valid list whose signature has not been checked. Only for display;
/// decisions take a [`TrustList`].
#[derive(Debug, Clone, Copy)]
pub struct TrustListContent<'a> {
    pub sequence: u64,
    pub issued_at: UnixTime,
    pub next_update: UnixTime,
    signers: &'a [u8],
    revoked_signers: &'a [u8],
    revoked_document_width: usize,
    revoked_documents: &'a [u8],
    status_width: usize,
    status_changes: &'a [u8],
    pub signed_bytes: &'a [u8],
    pub signature: &'a [u8],
}

fn u64_field(t: tlv::Tlv<'_>, name: &'static str) -> Result<u64, ListError> {
    let bytes: [u8; 8] = t.value.try_into().map_err(|_| ListError::BadField(name))?;
    Ok(u64::from_be_bytes(bytes))
}

fn strictly_ascending(entries: &[u8], width: usize) -> bool {
    entries
        .chunks_exact(width)
        .zip(entries.chunks_exact(width).skip(1))
        .all(|(a, b)| a < b)
}

impl<'a> TrustListContent<'a> {
    /// Parses and checks the structure; does not check the signature.
    pub fn parse(bytes: &'a [u8]) -> Result<TrustListContent<'a>, ListError> {
        if bytes.len() > MAX_LIST_LEN {
            return Err(ListError::TooLong);
        }
        let mut outer = Reader::new(bytes);
        let list = outer.expect(tag::LIST)?;
        outer.finish()?;
        let mut parts = Reader::new(list.value);
        let body = parts.expect(tag::BODY)?;
        let signature = parts.expect(tag::SIGNATURE)?.value;
        parts.finish()?;
        if signature.len() != 64 {
            return Err(ListError::BadField("signature"));
        }

        let mut r = Reader::new(body.value);
        match r.expect(tag::VERSION)?.value {
            [LIST_VERSION] => {}
            [v] => return Err(ListError::UnsupportedVersion(*v)),
            _ => return Err(ListError::BadField("version")),
        }
        let sequence = u64_field(r.expect(tag::SEQUENCE)?, "sequence")?;
        let issued_at = UnixTime(u64_field(r.expect(tag::ISSUED_AT)?, "issued at")?);
        let next_update = UnixTime(u64_field(r.expect(tag::NEXT_UPDATE)?, "next update")?);
        if next_update <= issued_at {
            return Err(ListError::InconsistentTimes);
        }
        let signers = r.expect(tag::SIGNERS)?.value;
        let revoked_signers = r.expect(tag::REVOKED_SIGNERS)?.value;
        let revoked = r.expect(tag::REVOKED_DOCUMENTS)?.value;
        // Absent in a list without status changes: such a list keeps the bytes it had
        // before status changes existed. Present, it is refused by an older terminal's
        // `finish` (it cannot honour a suspension, so it must not decide).
        let status = if r.is_empty() {
            None
        } else {
            Some(r.expect(tag::STATUS_CHANGES)?.value)
        };
        r.finish()?;

        // Signers: well formed, key id = digest of key, sorted by key id, bounded in number.
        let mut entries = Reader::new(signers);
        let mut previous: Option<KeyId> = None;
        let mut count = 0;
        while !entries.is_empty() {
            let entry = SignerEntry::parse(entries.read()?)?;
            count += 1;
            if count > MAX_SIGNERS {
                return Err(ListError::BadField("signers (too many)"));
            }
            if KeyId::of(entry.public_key) != entry.key_id {
                return Err(ListError::KeyIdMismatch);
            }
            if entry.not_after < entry.not_before {
                return Err(ListError::InconsistentTimes);
            }
            if previous.is_some_and(|p| p >= entry.key_id) {
                return Err(ListError::NotSorted("signers"));
            }
            previous = Some(entry.key_id);
        }

        if revoked_signers.len() % KEY_ID_LEN != 0 {
            return Err(ListError::BadField("revoked signers"));
        }
        if !revoked_signers
            .chunks_exact(KEY_ID_LEN)
            .all(|c| c.try_into().is_ok_and(|id| KeyId(id).is_well_formed()))
        {
            return Err(ListError::BadField("revoked signers"));
        }
        if !strictly_ascending(revoked_signers, KEY_ID_LEN) {
            return Err(ListError::NotSorted("revoked signers"));
        }

        let (revoked_document_width, revoked_documents) = match revoked.split_first() {
            None => (0, &revoked[..0]),
            Some((&w, entries)) => {
                let w = usize::from(w);
                if !(1..=MAX_DOCUMENT_NUMBER_LEN).contains(&w)
                    || entries.is_empty()
                    || entries.len() % w != 0
                {
                    return Err(ListError::BadField("revoked documents"));
                }
                // The width is the longest entry's length: one encoding per set of numbers.
                let mut longest = 0;
                for entry in entries.chunks_exact(w) {
                    let number = padded_number(entry)
                        .filter(|n| is_document_number(n))
                        .ok_or(ListError::BadField("revoked documents"))?;
                    longest = longest.max(number.len());
                }
                if longest != w {
                    return Err(ListError::BadField("revoked documents (width)"));
                }
                if !strictly_ascending(entries, w) {
                    return Err(ListError::NotSorted("revoked documents"));
                }
                (w, entries)
            }
        };

        let (status_width, status_changes) = match status {
            None => (0, &revoked[..0]),
            Some(value) => {
                let bad = ListError::BadField("status changes");
                let (&w, entries) = value.split_first().ok_or(bad)?;
                let w = usize::from(w);
                let len = status_entry_len(w);
                if !(1..=MAX_DOCUMENT_NUMBER_LEN).contains(&w)
                    || entries.is_empty()
                    || entries.len() % len != 0
                {
                    return Err(bad);
                }
                let mut longest = 0;
                let mut previous: Option<&[u8]> = None;
                for entry in entries.chunks_exact(len) {
                    let decoded = status_entry(entry, w).ok_or(bad)?;
                    longest = longest
                        .max(decoded.document_number.len())
                        .max(decoded.change.successor().len());
                    if previous.is_some_and(|p| p >= &entry[..w]) {
                        return Err(ListError::NotSorted("status changes"));
                    }
                    previous = Some(&entry[..w]);
                }
                if longest != w {
                    return Err(ListError::BadField("status changes (width)"));
                }
                (w, entries)
            }
        };

        Ok(TrustListContent {
            sequence,
            issued_at,
            next_update,
            signers,
            revoked_signers,
            revoked_document_width,
            revoked_documents,
            status_width,
            status_changes,
            signed_bytes: body.encoded,
            signature,
        })
    }

    /// Signer entries in key-id order.
    pub fn signers(&self) -> impl Iterator<Item = SignerEntry<'a>> + 'a {
        let mut r = Reader::new(self.signers);
        // Every entry was checked by `parse`; the iterator stops at the end.
        core::iter::from_fn(move || r.read().ok().and_then(|t| SignerEntry::parse(t).ok()))
    }

    pub fn signer(&self, key_id: KeyId) -> Option<SignerEntry<'a>> {
        self.signers().find(|s| s.key_id == key_id)
    }

    pub fn revoked_signers(&self) -> impl Iterator<Item = KeyId> + 'a {
        self.revoked_signers
            .chunks_exact(KEY_ID_LEN)
            .map(|c| KeyId(c.try_into().unwrap_or([0; KEY_ID_LEN])))
    }

    pub fn is_signer_revoked(&self, key_id: KeyId) -> bool {
        binary_search(self.revoked_signers, KEY_ID_LEN, &key_id.0).is_some()
    }

    pub fn revoked_document_count(&self) -> usize {
        self.revoked_documents
            .len()
            .checked_div(self.revoked_document_width)
            .unwrap_or(0)
    }

    pub fn revoked_documents(&self) -> impl Iterator<Item = &'a str> + 'a {
        let width = self.revoked_document_width.max(1);
        self.revoked_documents
            .chunks_exact(width)
            .map(|entry| padded_number(entry).unwrap_or(""))
    }

    /// Whether `document_number` is on the revocation list: O(log n), no allocation.
    pub fn is_document_revoked(&self, document_number: &str) -> bool {
        let width = self.revoked_document_width;
        let Some(padded) = pad_number(document_number, width) else {
            return false;
        };
        binary_search(self.revoked_documents, width, &padded[..width]).is_some()
    }

    pub fn status_change_count(&self) -> usize {
        self.status_changes
            .len()
            .checked_div(status_entry_len(self.status_width))
            .unwrap_or(0)
    }

    /// Every status change, in document-number order.
    pub fn status_changes(&self) -> impl Iterator<Item = StatusEntry<'a>> + 'a {
        let w = self.status_width;
        self.status_changes
            .chunks_exact(status_entry_len(w))
            .filter_map(move |entry| status_entry(entry, w))
    }

    /// What this list says of `document_number` after its issuance, if anything: O(log n),
    /// no allocation.
    pub fn status_change(&self, document_number: &str) -> Option<StatusChange> {
        let w = self.status_width;
        let padded = pad_number(document_number, w)?;
        let len = status_entry_len(w);
        let at = binary_search_keyed(self.status_changes, len, w, &padded[..w])?;
        status_entry(&self.status_changes[at * len..(at + 1) * len], w).map(|e| e.change)
    }

    /// The valid-until in force for a document whose record says `printed`: a later date
    /// this list extends it to, else `printed` (an extension never moves the end earlier).
    /// The policy's bound on extensions is `verify`'s to check.
    pub fn effective_valid_until(&self, document_number: &str, printed: Date) -> Date {
        match self.status_change(document_number) {
            Some(StatusChange::Extended { valid_until }) if valid_until > printed => valid_until,
            _ => printed,
        }
    }
}

/// `number` zero-padded to a list's entry width, or `None` when no entry can match it.
fn pad_number(number: &str, width: usize) -> Option<[u8; MAX_DOCUMENT_NUMBER_LEN]> {
    let number = number.as_bytes();
    if width == 0 || number.len() > width {
        return None;
    }
    let mut padded = [0u8; MAX_DOCUMENT_NUMBER_LEN];
    padded[..number.len()].copy_from_slice(number);
    Some(padded)
}

fn binary_search(entries: &[u8], width: usize, needle: &[u8]) -> Option<usize> {
    binary_search_keyed(entries, width, width, needle)
}

/// The index of the entry (`stride` bytes each) whose first `key_len` bytes are `needle`.
fn binary_search_keyed(
    entries: &[u8],
    stride: usize,
    key_len: usize,
    needle: &[u8],
) -> Option<usize> {
    let (mut lo, mut hi) = (0usize, entries.len() / stride);
    while lo < hi {
        let mid = lo + (hi - lo) / 2;
        match entries[mid * stride..mid * stride + key_len].cmp(needle) {
            Ordering::Less => lo = mid + 1,
            Ordering::Greater => hi = mid,
            Ordering::Equal => return Some(mid),
        }
    }
    None
}

/// A list whose signature checked against the pinned root key and whose sequence is not
/// below the trusted one. The only kind of list a verification accepts.
#[derive(Debug, Clone, Copy)]
pub struct TrustList<'a>(TrustListContent<'a>);

impl<'a> TrustList<'a> {
    /// Parses `bytes`, checks the root's signature, and refuses a rollback below
    /// `trusted_sequence` (the sequence of the list the terminal already holds, if any).
    pub fn load(
        bytes: &'a [u8],
        root: &PublicKey,
        trusted_sequence: Option<u64>,
    ) -> Result<TrustList<'a>, ListError> {
        let content = TrustListContent::parse(bytes)?;
        root.verify(content.signed_bytes, content.signature)
            .map_err(ListError::BadSignature)?;
        if let Some(trusted) = trusted_sequence {
            if content.sequence < trusted {
                return Err(ListError::Rollback {
                    trusted,
                    offered: content.sequence,
                });
            }
        }
        Ok(TrustList(content))
    }

    /// Parses `bytes`, checks the root's signature, and admits the list only against the
    /// terminal's high-water mark ([`high_water::admit`]): not lower than the highest
    /// sequence ever accepted, and not another list with that same sequence.
    pub fn load_against(
        bytes: &'a [u8],
        root: &PublicKey,
        high_water: Option<&HighWater>,
    ) -> Result<TrustList<'a>, ListError> {
        let list = TrustList::load(bytes, root, None)?;
        high_water::admit(high_water, list.sequence, &high_water::list_digest(bytes))?;
        Ok(list)
    }
}

impl<'a> Deref for TrustList<'a> {
    type Target = TrustListContent<'a>;
    fn deref(&self) -> &Self::Target {
        &self.0
    }
}

/// What a new list says, for the issuer to encode. Entries must already be sorted.
pub struct ListBody<'a> {
    pub sequence: u64,
    pub issued_at: UnixTime,
    pub next_update: UnixTime,
    pub signers: &'a [SignerEntry<'a>],
    pub revoked_signers: &'a [KeyId],
    /// Revoked document numbers, sorted by their NUL-padded form (see `sort_key`).
    pub revoked_documents: &'a [&'a str],
    /// Status changes, sorted by document number the same way, one per document.
    pub status_changes: &'a [StatusEntry<'a>],
}

impl ListBody<'_> {
    /// Every signer entry has the same fixed-size fields.
    const SIGNER_CONTENT_LEN: usize = tlv::encoded_len(tag::SIGNER_KEY_ID, KEY_ID_LEN)
        + tlv::encoded_len(tag::SIGNER_PUBLIC_KEY, PUBLIC_KEY_LEN)
        + 2 * tlv::encoded_len(tag::SIGNER_NOT_BEFORE, DATE_LEN)
        + tlv::encoded_len(tag::SIGNER_DOCUMENT_TYPES, 1);

    fn revoked_width(&self) -> usize {
        self.revoked_documents
            .iter()
            .map(|d| d.len())
            .max()
            .unwrap_or(0)
    }

    fn revoked_len(&self) -> usize {
        match self.revoked_width() {
            0 => 0,
            w => 1 + w * self.revoked_documents.len(),
        }
    }

    fn status_width(&self) -> usize {
        self.status_changes
            .iter()
            .map(|e| e.document_number.len().max(e.change.successor().len()))
            .max()
            .unwrap_or(0)
    }

    fn status_len(&self) -> usize {
        match self.status_width() {
            0 => 0,
            w => 1 + status_entry_len(w) * self.status_changes.len(),
        }
    }

    fn signers_len(&self) -> usize {
        self.signers.len() * tlv::encoded_len(tag::SIGNER, Self::SIGNER_CONTENT_LEN)
    }

    fn content_len(&self) -> usize {
        tlv::encoded_len(tag::VERSION, 1)
            + 3 * tlv::encoded_len(tag::SEQUENCE, 8)
            + tlv::encoded_len(tag::SIGNERS, self.signers_len())
            + tlv::encoded_len(
                tag::REVOKED_SIGNERS,
                KEY_ID_LEN * self.revoked_signers.len(),
            )
            + tlv::encoded_len(tag::REVOKED_DOCUMENTS, self.revoked_len())
            + match self.status_len() {
                0 => 0,
                len => tlv::encoded_len(tag::STATUS_CHANGES, len),
            }
    }

    /// Length of the signed body object.
    pub fn body_len(&self) -> usize {
        tlv::encoded_len(tag::BODY, self.content_len())
    }

    /// Length of the whole signed list.
    pub fn list_len(&self) -> usize {
        tlv::encoded_len(
            tag::LIST,
            self.body_len() + tlv::encoded_len(tag::SIGNATURE, 64),
        )
    }

    fn write_body(&self, w: &mut Writer<'_>) -> Result<(), BufferTooSmall> {
        w.header(tag::BODY, self.content_len())?;
        w.field(tag::VERSION, &[LIST_VERSION])?;
        w.field(tag::SEQUENCE, &self.sequence.to_be_bytes())?;
        w.field(tag::ISSUED_AT, &self.issued_at.0.to_be_bytes())?;
        w.field(tag::NEXT_UPDATE, &self.next_update.0.to_be_bytes())?;
        w.header(tag::SIGNERS, self.signers_len())?;
        for s in self.signers {
            w.header(tag::SIGNER, Self::SIGNER_CONTENT_LEN)?;
            w.field(tag::SIGNER_KEY_ID, &s.key_id.0)?;
            w.field(tag::SIGNER_PUBLIC_KEY, s.public_key)?;
            w.field(tag::SIGNER_NOT_BEFORE, &s.not_before.to_bytes())?;
            w.field(tag::SIGNER_NOT_AFTER, &s.not_after.to_bytes())?;
            w.field(tag::SIGNER_DOCUMENT_TYPES, &[s.document_types])?;
        }
        w.header(
            tag::REVOKED_SIGNERS,
            KEY_ID_LEN * self.revoked_signers.len(),
        )?;
        for id in self.revoked_signers {
            w.bytes(&id.0)?;
        }
        w.header(tag::REVOKED_DOCUMENTS, self.revoked_len())?;
        let width = self.revoked_width();
        if width > 0 {
            w.bytes(&[width as u8])?;
            let zeros = [0u8; MAX_DOCUMENT_NUMBER_LEN];
            for d in self.revoked_documents {
                w.bytes(d.as_bytes())?;
                w.bytes(&zeros[..width - d.len()])?;
            }
        }
        let width = self.status_width();
        if width > 0 {
            w.header(tag::STATUS_CHANGES, self.status_len())?;
            w.bytes(&[width as u8])?;
            let zeros = [0u8; MAX_DOCUMENT_NUMBER_LEN];
            for e in self.status_changes {
                let successor = e.change.successor();
                w.bytes(e.document_number.as_bytes())?;
                w.bytes(&zeros[..width - e.document_number.len()])?;
                w.bytes(&[e.change.kind()])?;
                w.bytes(&e.change.date().to_bytes())?;
                w.bytes(successor.as_bytes())?;
                w.bytes(&zeros[..width - successor.len()])?;
            }
        }
        Ok(())
    }

    /// Writes the body object, the exact bytes the root key signs.
    pub fn encode_body(&self, out: &mut [u8]) -> Result<usize, BufferTooSmall> {
        let mut w = Writer::new(out);
        self.write_body(&mut w)?;
        Ok(w.position())
    }

    /// Writes the whole list with its signature.
    pub fn encode_list(
        &self,
        signature: &[u8; 64],
        out: &mut [u8],
    ) -> Result<usize, BufferTooSmall> {
        let mut w = Writer::new(out);
        w.header(
            tag::LIST,
            self.body_len() + tlv::encoded_len(tag::SIGNATURE, 64),
        )?;
        self.write_body(&mut w)?;
        w.field(tag::SIGNATURE, signature)?;
        Ok(w.position())
    }
}

/// The order revoked document numbers take in a list: by their NUL-padded bytes, which is
/// plain byte order of the numbers with a shorter prefix first.
pub fn revoked_document_order(a: &str, b: &str) -> Ordering {
    a.as_bytes().cmp(b.as_bytes())
}

#[cfg(test)]
mod tests {
    extern crate std;
    use std::vec;
    use std::vec::Vec;

    use super::*;

    fn date(y: u16, m: u8, d: u8) -> Date {
        Date::new(y, m, d).unwrap()
    }

    fn body<'a>(revoked: &'a [&'a str], status: &'a [StatusEntry<'a>]) -> ListBody<'a> {
        ListBody {
            sequence: 7,
            issued_at: UnixTime(1_800_000_000),
            next_update: UnixTime(1_800_086_400),
            signers: &[],
            revoked_signers: &[],
            revoked_documents: revoked,
            status_changes: status,
        }
    }

    fn encoded(revoked: &[&str], status: &[StatusEntry<'_>]) -> Vec<u8> {
        let body = body(revoked, status);
        let mut list = vec![0u8; body.list_len()];
        let n = body.encode_list(&[0; 64], &mut list).unwrap();
        assert_eq!(n, list.len());
        list
    }

    fn changes() -> [StatusEntry<'static>; 3] {
        [
            StatusEntry {
                document_number: "KG0000001",
                change: StatusChange::Extended {
                    valid_until: date(2028, 10, 31),
                },
            },
            StatusEntry {
                document_number: "KG0000002",
                change: StatusChange::Suspended {
                    since: date(2027, 3, 1),
                },
            },
            StatusEntry {
                document_number: "UW77",
                change: StatusChange::Superseded {
                    on: date(2027, 1, 10),
                    successor: DocumentNumber::new("KG0000009").unwrap(),
                },
            },
        ]
    }

    #[test]
    fn status_changes_round_trip_and_are_found_by_number() {
        let changes = changes();
        let bytes = encoded(&["KG0000005"], &changes);
        let list = TrustListContent::parse(&bytes).unwrap();
        assert_eq!(list.status_change_count(), 3);
        assert_eq!(list.status_changes().collect::<Vec<_>>(), changes);
        for e in &changes {
            assert_eq!(list.status_change(e.document_number), Some(e.change));
        }
        for absent in [
            "KG000000",
            "KG0000003",
            "UW7",
            "UW777",
            "",
            "KG00000010000000",
        ] {
            assert_eq!(list.status_change(absent), None, "{absent}");
        }
        assert!(list.is_document_revoked("KG0000005"));
    }

    #[test]
    fn a_list_without_status_changes_keeps_its_old_bytes() {
        let bytes = encoded(&["KG0000005"], &[]);
        let list = TrustListContent::parse(&bytes).unwrap();
        assert_eq!(list.status_change_count(), 0);
        assert_eq!(list.status_change("KG0000005"), None);
        // The body ends with the revoked documents: no status-change object at all.
        let body = body(&["KG0000005"], &[]);
        let changes = changes();
        let with = ListBody {
            status_changes: &changes,
            ..body
        };
        assert!(with.body_len() > body.body_len());
        assert_eq!(
            body.body_len(),
            tlv::encoded_len(
                tag::BODY,
                tlv::encoded_len(tag::VERSION, 1)
                    + 3 * tlv::encoded_len(tag::SEQUENCE, 8)
                    + tlv::encoded_len(tag::SIGNERS, 0)
                    + tlv::encoded_len(tag::REVOKED_SIGNERS, 0)
                    + tlv::encoded_len(tag::REVOKED_DOCUMENTS, 1 + 9)
            )
        );
    }

    /// The status object of `bytes` (the body's last field), for tampering.
    fn status_value_at(bytes: &[u8]) -> usize {
        let list = TrustListContent::parse(bytes).unwrap();
        let w = list.status_width;
        let value_len = 1 + status_entry_len(w) * list.status_change_count();
        // The body is followed by the 5F37 40 signature (67 bytes).
        bytes.len() - 67 - value_len
    }

    #[test]
    fn malformed_status_changes_are_refused() {
        let changes = changes();
        let good = encoded(&[], &changes);
        let at = status_value_at(&good);
        let w = usize::from(good[at]);
        assert_eq!(w, 9);
        let len = status_entry_len(w);
        let entry = |i: usize| at + 1 + i * len;
        let mut cases: Vec<(&str, Vec<u8>)> = Vec::new();
        let mut b = good.clone();
        b[entry(0) + w] = 9; // unknown kind
        cases.push(("kind", b));
        let mut b = good.clone();
        b[entry(0) + w + 1 + DATE_LEN] = b'K'; // a successor on an extension
        cases.push(("successor on extension", b));
        let mut b = good.clone();
        b[entry(0) + w + 1 + 2] = 13; // month 13
        cases.push(("date", b));
        let mut b = good.clone();
        b.copy_within(entry(1)..entry(1) + len, entry(0)); // a duplicate number
        cases.push(("duplicate", b));
        let mut b = good.clone();
        let (first, second) = (entry(0), entry(1));
        let one: Vec<u8> = b[first..first + len].to_vec();
        b.copy_within(second..second + len, first);
        b[second..second + len].copy_from_slice(&one); // out of order
        cases.push(("order", b));
        let mut b = good.clone();
        b[entry(2) + w + 1 + DATE_LEN..entry(2) + len].fill(0); // superseded by nothing
        cases.push(("no successor", b));
        let mut b = good.clone();
        let number: Vec<u8> = b[entry(2)..entry(2) + w].to_vec();
        b[entry(2) + w + 1 + DATE_LEN..entry(2) + len].copy_from_slice(&number);
        cases.push(("superseded by itself", b));
        let mut b = good.clone();
        b[entry(0) + 2] = b'a'; // not a document number
        cases.push(("number", b));
        for (name, bytes) in cases {
            assert!(
                matches!(
                    TrustListContent::parse(&bytes),
                    Err(ListError::BadField(_) | ListError::NotSorted(_))
                ),
                "{name}"
            );
        }
        // A width byte that does not divide the entries.
        let mut wide = encoded(&[], &changes[..1]);
        let at = status_value_at(&wide);
        assert_eq!(wide[at], 9);
        wide[at] = 10;
        assert!(TrustListContent::parse(&wide).is_err());
    }
}
