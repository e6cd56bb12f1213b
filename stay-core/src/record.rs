//! The signed stay record: what the chip stores and the card's QR code carries.
//!
//! ```text
//! 7F70 L  stay record
//!   71 L    body: the fields below, in this order        <- these bytes are signed
//!   5F37 40 signature r || s over the whole `71` object (tag and length included)
//! ```
//! `docs/formats.md` is the specification, with a complete hex example.

use core::fmt;

use crate::date::{Date, InvalidDate, DATE_LEN};
use crate::signature::{KeyId, KEY_ID_LEN, PUBLIC_KEY_LEN, SIGNATURE_LEN};
use crate::tlv::{self, BufferTooSmall, Reader, Tag, TlvError, Writer};

/// Record tags, in their fixed order inside the body.
pub mod tag {
    use crate::tlv::Tag;
    pub const RECORD: Tag = 0x7F70;
    pub const BODY: Tag = 0x71;
    pub const VERSION: Tag = 0x80;
    pub const DOCUMENT_TYPE: Tag = 0x81;
    pub const DOCUMENT_NUMBER: Tag = 0x82;
    pub const PIN: Tag = 0x83;
    pub const ITN: Tag = 0x84;
    pub const SURNAME: Tag = 0x85;
    pub const GIVEN_NAMES: Tag = 0x86;
    pub const NATIONALITY: Tag = 0x87;
    pub const DATE_OF_BIRTH: Tag = 0x88;
    pub const SEX: Tag = 0x89;
    pub const PURPOSE: Tag = 0x8A;
    pub const EMPLOYER_TIN: Tag = 0x8B;
    pub const VALID_FROM: Tag = 0x8C;
    pub const VALID_UNTIL: Tag = 0x8D;
    pub const ISSUE_DATE: Tag = 0x8E;
    pub const ISSUING_AUTHORITY: Tag = 0x8F;
    pub const SIGNER_KEY_ID: Tag = 0x90;
    pub const CHIP_PUBLIC_KEY: Tag = 0x91;
    pub const PORTRAIT_DIGEST: Tag = 0x92;
    pub const SIGNATURE: Tag = 0x5F37;
}

/// The only format version this code reads and writes.
pub const RECORD_VERSION: u8 = 1;
/// Upper bound on a whole record; anything longer is refused before parsing.
pub const MAX_RECORD_LEN: usize = 1024;
/// Bounds on text fields, in bytes.
pub const MAX_DOCUMENT_NUMBER_LEN: usize = 16;
pub const MAX_NAME_LEN: usize = 64;
pub const MAX_AUTHORITY_LEN: usize = 64;
/// The personal identification number and taxpayer numbers are 14 digits.
pub const PIN_LEN: usize = 14;
pub const TIN_LEN: usize = 14;
pub const PORTRAIT_DIGEST_LEN: usize = 32;

/// The kinds of document this stack verifies.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
#[repr(u8)]
pub enum DocumentType {
    /// Temporary residence up to one year, extendable; chip + QR + taxpayer number.
    ResidentCard = 1,
    /// Visa and work quota in one electronic document, two months, before a resident card.
    UnifiedWindow = 2,
    /// Remote work for a foreign employer; no employment contract with a local company.
    DigitalNomad = 3,
}

impl DocumentType {
    pub const ALL: [DocumentType; 3] = [
        DocumentType::ResidentCard,
        DocumentType::UnifiedWindow,
        DocumentType::DigitalNomad,
    ];

    pub fn from_code(code: u8) -> Option<DocumentType> {
        DocumentType::ALL.into_iter().find(|t| *t as u8 == code)
    }

    /// The name used in files, JSON and on the command line.
    pub const fn name(self) -> &'static str {
        match self {
            DocumentType::ResidentCard => "resident-card",
            DocumentType::UnifiedWindow => "unified-window",
            DocumentType::DigitalNomad => "digital-nomad",
        }
    }

    pub fn from_name(name: &str) -> Option<DocumentType> {
        DocumentType::ALL.into_iter().find(|t| t.name() == name)
    }

    /// Bit of this type in a signer's allowed-types mask.
    pub const fn bit(self) -> u8 {
        1 << (self as u8 - 1)
    }
}

/// Sex as printed on travel documents (ICAO 9303): F, M or X.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Sex {
    Female,
    Male,
    Unspecified,
}

impl Sex {
    pub const fn code(self) -> u8 {
        match self {
            Sex::Female => b'F',
            Sex::Male => b'M',
            Sex::Unspecified => b'X',
        }
    }
    pub fn from_code(code: u8) -> Option<Sex> {
        match code {
            b'F' => Some(Sex::Female),
            b'M' => Some(Sex::Male),
            b'X' => Some(Sex::Unspecified),
            _ => None,
        }
    }
    pub const fn name(self) -> &'static str {
        match self {
            Sex::Female => "F",
            Sex::Male => "M",
            Sex::Unspecified => "X",
        }
    }
}

/// Why the holder stays.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
#[repr(u8)]
pub enum Purpose {
    Work = 1,
    Study = 2,
    Family = 3,
    Business = 4,
    RemoteWork = 5,
    Other = 6,
}

impl Purpose {
    pub const ALL: [Purpose; 6] = [
        Purpose::Work,
        Purpose::Study,
        Purpose::Family,
        Purpose::Business,
        Purpose::RemoteWork,
        Purpose::Other,
    ];
    pub fn from_code(code: u8) -> Option<Purpose> {
        Purpose::ALL.into_iter().find(|p| *p as u8 == code)
    }
    pub const fn name(self) -> &'static str {
        match self {
            Purpose::Work => "work",
            Purpose::Study => "study",
            Purpose::Family => "family",
            Purpose::Business => "business",
            Purpose::RemoteWork => "remote-work",
            Purpose::Other => "other",
        }
    }
    pub fn from_name(name: &str) -> Option<Purpose> {
        Purpose::ALL.into_iter().find(|p| p.name() == name)
    }
    pub const fn bit(self) -> u8 {
        1 << (self as u8 - 1)
    }
}

macro_rules! name_serialize {
    ($($t:ty),*) => {$(
        #[cfg(feature = "serde")]
        impl serde::Serialize for $t {
            fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
                s.serialize_str(self.name())
            }
        }
        impl fmt::Display for $t {
            fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str(self.name())
            }
        }
    )*};
}
name_serialize!(DocumentType, Sex, Purpose);

/// Which field is wrong, for messages a person can act on.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Field {
    Version,
    DocumentType,
    DocumentNumber,
    Pin,
    Itn,
    Surname,
    GivenNames,
    Nationality,
    DateOfBirth,
    Sex,
    Purpose,
    EmployerTin,
    ValidFrom,
    ValidUntil,
    IssueDate,
    IssuingAuthority,
    SignerKeyId,
    ChipPublicKey,
    PortraitDigest,
    Signature,
}

impl Field {
    pub const fn name(self) -> &'static str {
        match self {
            Field::Version => "version",
            Field::DocumentType => "document_type",
            Field::DocumentNumber => "document_number",
            Field::Pin => "pin",
            Field::Itn => "itn",
            Field::Surname => "surname",
            Field::GivenNames => "given_names",
            Field::Nationality => "nationality",
            Field::DateOfBirth => "date_of_birth",
            Field::Sex => "sex",
            Field::Purpose => "purpose",
            Field::EmployerTin => "employer_tin",
            Field::ValidFrom => "valid_from",
            Field::ValidUntil => "valid_until",
            Field::IssueDate => "issue_date",
            Field::IssuingAuthority => "issuing_authority",
            Field::SignerKeyId => "signer_key_id",
            Field::ChipPublicKey => "chip_public_key",
            Field::PortraitDigest => "portrait_digest",
            Field::Signature => "signature",
        }
    }
}

/// Why bytes are not a stay record.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum RecordError {
    /// Longer than [`MAX_RECORD_LEN`].
    TooLong,
    /// Not canonical BER-TLV in the record's layout.
    Tlv(TlvError),
    /// A version other than [`RECORD_VERSION`].
    UnsupportedVersion(u8),
    /// A field whose value breaks its rule (length, alphabet, range).
    BadField(Field),
    /// Valid-until before valid-from, or issued after the validity ends.
    InconsistentDates,
    /// A record for a resident card without the taxpayer number it must carry.
    MissingItn,
}

impl From<TlvError> for RecordError {
    fn from(e: TlvError) -> Self {
        RecordError::Tlv(e)
    }
}

impl fmt::Display for RecordError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            RecordError::TooLong => write!(f, "longer than {MAX_RECORD_LEN} bytes"),
            RecordError::Tlv(e) => write!(f, "{e}"),
            RecordError::UnsupportedVersion(v) => write!(f, "unsupported format version {v}"),
            RecordError::BadField(field) => write!(f, "invalid field {}", field.name()),
            RecordError::InconsistentDates => {
                f.write_str("dates inconsistent (valid-until before valid-from or issue date)")
            }
            RecordError::MissingItn => f.write_str("resident card without taxpayer number"),
        }
    }
}

/// The holder and document data of a record, as views into its bytes.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[cfg_attr(feature = "serde", derive(serde::Serialize))]
pub struct RecordFields<'a> {
    pub document_type: DocumentType,
    pub document_number: &'a str,
    pub pin: &'a str,
    pub itn: Option<&'a str>,
    pub surname: &'a str,
    pub given_names: &'a str,
    pub nationality: &'a str,
    pub date_of_birth: Date,
    pub sex: Sex,
    pub purpose: Purpose,
    pub employer_tin: Option<&'a str>,
    pub valid_from: Date,
    pub valid_until: Date,
    pub issue_date: Date,
    pub issuing_authority: &'a str,
    pub signer_key_id: KeyId,
    #[cfg_attr(feature = "serde", serde(serialize_with = "serde_hex::opt"))]
    pub chip_public_key: Option<&'a [u8; PUBLIC_KEY_LEN]>,
    #[cfg_attr(feature = "serde", serde(serialize_with = "serde_hex::opt"))]
    pub portrait_digest: Option<&'a [u8; PORTRAIT_DIGEST_LEN]>,
}

#[cfg(feature = "serde")]
mod serde_hex {
    pub fn opt<S: serde::Serializer, const N: usize>(
        v: &Option<&[u8; N]>,
        s: S,
    ) -> Result<S::Ok, S::Error> {
        struct Hex<'b>(&'b [u8]);
        impl core::fmt::Display for Hex<'_> {
            fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
                self.0.iter().try_for_each(|b| write!(f, "{b:02x}"))
            }
        }
        match v {
            Some(bytes) => s.collect_str(&Hex(&bytes[..])),
            None => s.serialize_none(),
        }
    }
}

/// A document number held by value (a verdict outlives the list that named it).
#[derive(Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct DocumentNumber {
    bytes: [u8; MAX_DOCUMENT_NUMBER_LEN],
    len: u8,
}

impl DocumentNumber {
    /// `number`, if it is a document number ([`is_document_number`]).
    pub fn new(number: &str) -> Option<DocumentNumber> {
        if !is_document_number(number) {
            return None;
        }
        let mut bytes = [0u8; MAX_DOCUMENT_NUMBER_LEN];
        bytes[..number.len()].copy_from_slice(number.as_bytes());
        Some(DocumentNumber {
            bytes,
            len: number.len() as u8,
        })
    }

    pub fn as_str(&self) -> &str {
        // Only ASCII letters and digits were ever stored.
        core::str::from_utf8(&self.bytes[..usize::from(self.len)]).unwrap_or("")
    }
}

impl fmt::Debug for DocumentNumber {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        fmt::Debug::fmt(self.as_str(), f)
    }
}

impl fmt::Display for DocumentNumber {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

#[cfg(feature = "serde")]
impl serde::Serialize for DocumentNumber {
    fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.serialize_str(self.as_str())
    }
}

/// Document numbers: 1-16 of `A-Z 0-9`.
pub fn is_document_number(s: &str) -> bool {
    (1..=MAX_DOCUMENT_NUMBER_LEN).contains(&s.len())
        && s.bytes()
            .all(|b| b.is_ascii_uppercase() || b.is_ascii_digit())
}

/// Exactly `len` ASCII digits.
pub fn is_digits(s: &str, len: usize) -> bool {
    s.len() == len && s.bytes().all(|b| b.is_ascii_digit())
}

/// Printable UTF-8 text of bounded length, no control characters, no surrounding spaces.
fn is_text(s: &str, min: usize, max: usize) -> bool {
    (min..=max).contains(&s.len()) && !s.chars().any(char::is_control) && s.trim() == s
}

fn is_alpha3(s: &str) -> bool {
    s.len() == 3 && s.bytes().all(|b| b.is_ascii_uppercase())
}

impl<'a> RecordFields<'a> {
    /// Checks every field rule the parser enforces; the issuer calls it before signing.
    pub fn validate(&self) -> Result<(), RecordError> {
        let bad = |ok: bool, field: Field| {
            if ok {
                Ok(())
            } else {
                Err(RecordError::BadField(field))
            }
        };
        bad(
            is_document_number(self.document_number),
            Field::DocumentNumber,
        )?;
        bad(is_digits(self.pin, PIN_LEN), Field::Pin)?;
        bad(self.itn.is_none_or(|t| is_digits(t, TIN_LEN)), Field::Itn)?;
        bad(is_text(self.surname, 1, MAX_NAME_LEN), Field::Surname)?;
        bad(
            is_text(self.given_names, 0, MAX_NAME_LEN),
            Field::GivenNames,
        )?;
        bad(is_alpha3(self.nationality), Field::Nationality)?;
        bad(
            self.employer_tin.is_none_or(|t| is_digits(t, TIN_LEN)),
            Field::EmployerTin,
        )?;
        bad(
            is_text(self.issuing_authority, 1, MAX_AUTHORITY_LEN),
            Field::IssuingAuthority,
        )?;
        bad(
            self.chip_public_key.is_none_or(|k| k[0] == 0x04),
            Field::ChipPublicKey,
        )?;
        bad(self.signer_key_id.is_well_formed(), Field::SignerKeyId)?;
        if self.valid_until < self.valid_from || self.issue_date > self.valid_until {
            return Err(RecordError::InconsistentDates);
        }
        if self.document_type == DocumentType::ResidentCard && self.itn.is_none() {
            return Err(RecordError::MissingItn);
        }
        Ok(())
    }

    /// Each field as (tag, value bytes) in wire order; absent optional fields are skipped.
    fn for_each_field<E>(
        &self,
        mut emit: impl FnMut(Tag, &[u8]) -> Result<(), E>,
    ) -> Result<(), E> {
        emit(tag::VERSION, &[RECORD_VERSION])?;
        emit(tag::DOCUMENT_TYPE, &[self.document_type as u8])?;
        emit(tag::DOCUMENT_NUMBER, self.document_number.as_bytes())?;
        emit(tag::PIN, self.pin.as_bytes())?;
        if let Some(itn) = self.itn {
            emit(tag::ITN, itn.as_bytes())?;
        }
        emit(tag::SURNAME, self.surname.as_bytes())?;
        emit(tag::GIVEN_NAMES, self.given_names.as_bytes())?;
        emit(tag::NATIONALITY, self.nationality.as_bytes())?;
        emit(tag::DATE_OF_BIRTH, &self.date_of_birth.to_bytes())?;
        emit(tag::SEX, &[self.sex.code()])?;
        emit(tag::PURPOSE, &[self.purpose as u8])?;
        if let Some(tin) = self.employer_tin {
            emit(tag::EMPLOYER_TIN, tin.as_bytes())?;
        }
        emit(tag::VALID_FROM, &self.valid_from.to_bytes())?;
        emit(tag::VALID_UNTIL, &self.valid_until.to_bytes())?;
        emit(tag::ISSUE_DATE, &self.issue_date.to_bytes())?;
        emit(tag::ISSUING_AUTHORITY, self.issuing_authority.as_bytes())?;
        emit(tag::SIGNER_KEY_ID, &self.signer_key_id.0)?;
        if let Some(key) = self.chip_public_key {
            emit(tag::CHIP_PUBLIC_KEY, key)?;
        }
        if let Some(digest) = self.portrait_digest {
            emit(tag::PORTRAIT_DIGEST, digest)?;
        }
        Ok(())
    }

    fn body_content_len(&self) -> usize {
        let mut len = 0;
        let _ = self.for_each_field(|t, v| {
            len += tlv::encoded_len(t, v.len());
            Ok::<(), ()>(())
        });
        len
    }

    /// Length of the signed body object (`71 L ...`).
    pub fn body_len(&self) -> usize {
        tlv::encoded_len(tag::BODY, self.body_content_len())
    }

    /// Length of the whole signed record.
    pub fn record_len(&self) -> usize {
        let content = self.body_len() + tlv::encoded_len(tag::SIGNATURE, SIGNATURE_LEN);
        tlv::encoded_len(tag::RECORD, content)
    }

    /// Writes the body object, the exact bytes the issuer signs. Returns its length.
    pub fn encode_body(&self, out: &mut [u8]) -> Result<usize, BufferTooSmall> {
        let mut w = Writer::new(out);
        w.header(tag::BODY, self.body_content_len())?;
        self.for_each_field(|t, v| w.field(t, v))?;
        Ok(w.position())
    }

    /// Writes the whole record: the body and its signature. Returns its length.
    pub fn encode_record(
        &self,
        signature: &[u8; SIGNATURE_LEN],
        out: &mut [u8],
    ) -> Result<usize, BufferTooSmall> {
        let content = self.body_len() + tlv::encoded_len(tag::SIGNATURE, SIGNATURE_LEN);
        let mut w = Writer::new(out);
        w.header(tag::RECORD, content)?;
        let start = w.position();
        w.header(tag::BODY, self.body_content_len())?;
        self.for_each_field(|t, v| w.field(t, v))?;
        debug_assert_eq!(w.position() - start, self.body_len());
        w.field(tag::SIGNATURE, signature)?;
        Ok(w.position())
    }
}

/// A parsed record: its fields, the signed bytes and the signature. Not yet verified.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct StayRecord<'a> {
    pub fields: RecordFields<'a>,
    /// The `71` object, tag and length included: exactly what the signature covers.
    pub signed_bytes: &'a [u8],
    pub signature: &'a [u8; SIGNATURE_LEN],
    /// The whole record as received.
    pub bytes: &'a [u8],
}

fn text(t: tlv::Tlv<'_>, field: Field) -> Result<&str, RecordError> {
    core::str::from_utf8(t.value).map_err(|_| RecordError::BadField(field))
}

fn byte(t: tlv::Tlv<'_>, field: Field) -> Result<u8, RecordError> {
    match t.value {
        [b] => Ok(*b),
        _ => Err(RecordError::BadField(field)),
    }
}

fn date(t: tlv::Tlv<'_>, field: Field) -> Result<Date, RecordError> {
    if t.value.len() != DATE_LEN {
        return Err(RecordError::BadField(field));
    }
    Date::from_bytes(t.value).map_err(|InvalidDate| RecordError::BadField(field))
}

fn array<'a, const N: usize>(t: tlv::Tlv<'a>, field: Field) -> Result<&'a [u8; N], RecordError> {
    t.value.try_into().map_err(|_| RecordError::BadField(field))
}

impl<'a> StayRecord<'a> {
    /// Parses a record; anything but the one canonical encoding is refused.
    pub fn parse(bytes: &'a [u8]) -> Result<StayRecord<'a>, RecordError> {
        if bytes.len() > MAX_RECORD_LEN {
            return Err(RecordError::TooLong);
        }
        let mut outer = Reader::new(bytes);
        let record = outer.expect(tag::RECORD)?;
        outer.finish()?;

        let mut parts = Reader::new(record.value);
        let body = parts.expect(tag::BODY)?;
        let signature = array(parts.expect(tag::SIGNATURE)?, Field::Signature)?;
        parts.finish()?;

        let mut r = Reader::new(body.value);
        let version = byte(r.expect(tag::VERSION)?, Field::Version)?;
        if version != RECORD_VERSION {
            return Err(RecordError::UnsupportedVersion(version));
        }
        let document_type =
            DocumentType::from_code(byte(r.expect(tag::DOCUMENT_TYPE)?, Field::DocumentType)?)
                .ok_or(RecordError::BadField(Field::DocumentType))?;
        let document_number = text(r.expect(tag::DOCUMENT_NUMBER)?, Field::DocumentNumber)?;
        let pin = text(r.expect(tag::PIN)?, Field::Pin)?;
        let itn = r
            .optional(tag::ITN)?
            .map(|t| text(t, Field::Itn))
            .transpose()?;
        let surname = text(r.expect(tag::SURNAME)?, Field::Surname)?;
        let given_names = text(r.expect(tag::GIVEN_NAMES)?, Field::GivenNames)?;
        let nationality = text(r.expect(tag::NATIONALITY)?, Field::Nationality)?;
        let date_of_birth = date(r.expect(tag::DATE_OF_BIRTH)?, Field::DateOfBirth)?;
        let sex = Sex::from_code(byte(r.expect(tag::SEX)?, Field::Sex)?)
            .ok_or(RecordError::BadField(Field::Sex))?;
        let purpose = Purpose::from_code(byte(r.expect(tag::PURPOSE)?, Field::Purpose)?)
            .ok_or(RecordError::BadField(Field::Purpose))?;
        let employer_tin = r
            .optional(tag::EMPLOYER_TIN)?
            .map(|t| text(t, Field::EmployerTin))
            .transpose()?;
        let valid_from = date(r.expect(tag::VALID_FROM)?, Field::ValidFrom)?;
        let valid_until = date(r.expect(tag::VALID_UNTIL)?, Field::ValidUntil)?;
        let issue_date = date(r.expect(tag::ISSUE_DATE)?, Field::IssueDate)?;
        let issuing_authority = text(r.expect(tag::ISSUING_AUTHORITY)?, Field::IssuingAuthority)?;
        let signer_key_id = KeyId(*array::<KEY_ID_LEN>(
            r.expect(tag::SIGNER_KEY_ID)?,
            Field::SignerKeyId,
        )?);
        let chip_public_key = r
            .optional(tag::CHIP_PUBLIC_KEY)?
            .map(|t| array::<PUBLIC_KEY_LEN>(t, Field::ChipPublicKey))
            .transpose()?;
        let portrait_digest = r
            .optional(tag::PORTRAIT_DIGEST)?
            .map(|t| array::<PORTRAIT_DIGEST_LEN>(t, Field::PortraitDigest))
            .transpose()?;
        r.finish()?;

        let fields = RecordFields {
            document_type,
            document_number,
            pin,
            itn,
            surname,
            given_names,
            nationality,
            date_of_birth,
            sex,
            purpose,
            employer_tin,
            valid_from,
            valid_until,
            issue_date,
            issuing_authority,
            signer_key_id,
            chip_public_key,
            portrait_digest,
        };
        fields.validate()?;
        Ok(StayRecord {
            fields,
            signed_bytes: body.encoded,
            signature,
            bytes,
        })
    }
}
