//! What a verification concludes, for a person and for a program.

use core::fmt;

use crate::date::Date;
use crate::record::{DocumentType, Purpose, RecordError, RecordFields, Sex};
use crate::trust_list::StatusChange;

/// The document check itself.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Status {
    /// Every check passed.
    Valid,
    /// A check failed: the document must not be accepted.
    Invalid(InvalidReason),
    /// The terminal cannot tell (unknown signer, stale list, clock): never accept as valid.
    Indeterminate(IndeterminateReason),
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum InvalidReason {
    /// Not a well-formed stay record.
    Malformed(RecordError),
    /// The issuer's signature does not verify.
    BadSignature,
    /// The signer key is on the list's revoked signers.
    SignerRevoked,
    /// The signer may not sign this document type.
    SignerNotAuthorized,
    /// The record's issue date is outside the signer's usage period.
    SignerOutsidePeriod,
    /// Valid-from to valid-until is longer than the policy allows for this type.
    ValidityExceedsPolicy,
    /// Valid-from is later after the issue date than the policy allows for this type.
    ValidFromTooLate,
    /// The document number is on the list's revoked documents.
    DocumentRevoked,
    /// Read from a chip that names a chip key, but no chip proof was given.
    ChipProofMissing,
    /// The chip's answer to the challenge does not verify (copied record, replay, no key).
    ChipProofFailed,
    /// Today is before valid-from.
    NotYetValid,
    /// Today is after valid-until.
    Expired,
    /// A resident card's record that names no chip key: every resident card is a chip card.
    ChipKeyMissing,
    /// The chip's portrait is not the one the record's signed digest names (or the chip
    /// holds none, or one the record does not name): the face on the chip was replaced.
    PortraitMismatch,
    /// The trust list suspends the document from a date that has come: not valid until a
    /// later list lifts the suspension.
    Suspended,
    /// The trust list says another document replaced this one (a unified-window document
    /// by the resident card issued after it): the verdict's status change names it.
    Superseded,
    /// The trust list extends the stay beyond what the policy allows for the type (more
    /// than its maximum validity times the allowed extensions from valid-from).
    ExtensionExceedsPolicy,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum IndeterminateReason {
    /// The signer key is not on the trust list.
    UnknownSigner,
    /// The terminal's clock is before the trust list's issue time: the clock is wrong.
    ClockBeforeTrustList,
    /// The trust list is past its next update plus grace: revocations may be missing.
    TrustListStale,
    /// Genuine data of a chip card, presented without its chip (a printed or re-encoded
    /// copy): only the chip proves the card is present.
    ChipNotRead,
    /// The terminal holds no usable trust list: its newest was damaged and no good copy of
    /// it is left, and an older one would bring back what the newest revoked.
    TrustListUnavailable,
    /// The record names a portrait, but the chip's portrait could not be read (the card
    /// left, the link failed): no face to compare, so no `Valid`; present the card again.
    PortraitNotRead,
}

impl InvalidReason {
    pub const fn code(&self) -> &'static str {
        match self {
            InvalidReason::Malformed(_) => "malformed",
            InvalidReason::BadSignature => "bad-signature",
            InvalidReason::SignerRevoked => "signer-revoked",
            InvalidReason::SignerNotAuthorized => "signer-not-authorized",
            InvalidReason::SignerOutsidePeriod => "signer-outside-period",
            InvalidReason::ValidityExceedsPolicy => "validity-exceeds-policy",
            InvalidReason::ValidFromTooLate => "valid-from-too-late",
            InvalidReason::DocumentRevoked => "document-revoked",
            InvalidReason::ChipProofMissing => "chip-proof-missing",
            InvalidReason::ChipProofFailed => "chip-proof-failed",
            InvalidReason::NotYetValid => "not-yet-valid",
            InvalidReason::Expired => "expired",
            InvalidReason::ChipKeyMissing => "chip-key-missing",
            InvalidReason::PortraitMismatch => "portrait-mismatch",
            InvalidReason::Suspended => "suspended",
            InvalidReason::Superseded => "superseded",
            InvalidReason::ExtensionExceedsPolicy => "extension-exceeds-policy",
        }
    }
}

impl IndeterminateReason {
    pub const fn code(&self) -> &'static str {
        match self {
            IndeterminateReason::UnknownSigner => "unknown-signer",
            IndeterminateReason::ClockBeforeTrustList => "clock-before-trust-list",
            IndeterminateReason::TrustListStale => "trust-list-stale",
            IndeterminateReason::ChipNotRead => "chip-not-read",
            IndeterminateReason::TrustListUnavailable => "trust-list-unavailable",
            IndeterminateReason::PortraitNotRead => "portrait-not-read",
        }
    }
}

impl Status {
    pub const fn name(&self) -> &'static str {
        match self {
            Status::Valid => "valid",
            Status::Invalid(_) => "invalid",
            Status::Indeterminate(_) => "indeterminate",
        }
    }

    /// The reason code, `None` for `Valid`.
    pub const fn reason_code(&self) -> Option<&'static str> {
        match self {
            Status::Valid => None,
            Status::Invalid(r) => Some(r.code()),
            Status::Indeterminate(r) => Some(r.code()),
        }
    }

    pub const fn is_valid(&self) -> bool {
        matches!(self, Status::Valid)
    }
}

impl fmt::Display for Status {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self.reason_code() {
            None => f.write_str(self.name()),
            Some(code) => write!(f, "{}: {code}", self.name()),
        }
    }
}

/// Why an employer may not employ the holder.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum NotEmployable {
    /// The document is invalid.
    DocumentInvalid,
    /// Digital-nomad status excludes employment by a local company.
    DigitalNomad,
    /// The record names another employer.
    OtherEmployer,
    /// The purpose of stay does not allow employment.
    PurposeNotEmployable,
}

/// The answer to the role's question.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Decision {
    MayStay,
    MayNotStay,
    MayEmploy,
    MayNotEmploy(NotEmployable),
    /// The card just written reads back, proves its chip key and verifies.
    CardVerifies,
    CardRejected,
    /// No decision possible here: a second check (updated list, corrected clock) is needed.
    Refer,
    /// A printed copy of a chip card: neither yes nor no until the card's chip is read.
    ReadTheChip,
}

impl Decision {
    pub const fn code(&self) -> &'static str {
        match self {
            Decision::MayStay => "may-stay",
            Decision::MayNotStay => "may-not-stay",
            Decision::MayEmploy => "may-employ",
            Decision::MayNotEmploy(NotEmployable::DocumentInvalid) => "may-not-employ",
            Decision::MayNotEmploy(NotEmployable::DigitalNomad) => "may-not-employ:digital-nomad",
            Decision::MayNotEmploy(NotEmployable::OtherEmployer) => "may-not-employ:other-employer",
            Decision::MayNotEmploy(NotEmployable::PurposeNotEmployable) => {
                "may-not-employ:purpose-of-stay"
            }
            Decision::CardVerifies => "card-verifies",
            Decision::CardRejected => "card-rejected",
            Decision::Refer => "refer",
            Decision::ReadTheChip => "read-the-chip",
        }
    }
}

impl fmt::Display for Decision {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.code())
    }
}

/// The record fields this role may see; the rest stay `None`. Filled only when the issuer's
/// signature verified, so forged data is never shown as if it were a document's.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
#[cfg_attr(feature = "serde", derive(serde::Serialize))]
pub struct ShownFields<'r> {
    #[cfg_attr(feature = "serde", serde(skip_serializing_if = "Option::is_none"))]
    pub document_type: Option<DocumentType>,
    #[cfg_attr(feature = "serde", serde(skip_serializing_if = "Option::is_none"))]
    pub document_number: Option<&'r str>,
    #[cfg_attr(feature = "serde", serde(skip_serializing_if = "Option::is_none"))]
    pub pin: Option<&'r str>,
    #[cfg_attr(feature = "serde", serde(skip_serializing_if = "Option::is_none"))]
    pub itn: Option<&'r str>,
    #[cfg_attr(feature = "serde", serde(skip_serializing_if = "Option::is_none"))]
    pub surname: Option<&'r str>,
    #[cfg_attr(feature = "serde", serde(skip_serializing_if = "Option::is_none"))]
    pub given_names: Option<&'r str>,
    #[cfg_attr(feature = "serde", serde(skip_serializing_if = "Option::is_none"))]
    pub nationality: Option<&'r str>,
    #[cfg_attr(feature = "serde", serde(skip_serializing_if = "Option::is_none"))]
    pub date_of_birth: Option<Date>,
    #[cfg_attr(feature = "serde", serde(skip_serializing_if = "Option::is_none"))]
    pub sex: Option<Sex>,
    #[cfg_attr(feature = "serde", serde(skip_serializing_if = "Option::is_none"))]
    pub purpose: Option<Purpose>,
    #[cfg_attr(feature = "serde", serde(skip_serializing_if = "Option::is_none"))]
    pub employer_tin: Option<&'r str>,
    #[cfg_attr(feature = "serde", serde(skip_serializing_if = "Option::is_none"))]
    pub valid_from: Option<Date>,
    #[cfg_attr(feature = "serde", serde(skip_serializing_if = "Option::is_none"))]
    pub valid_until: Option<Date>,
    /// The valid-until a trust list's extension set, where it differs from the record's
    /// (the card's printed date): the date the verdict was decided on.
    #[cfg_attr(feature = "serde", serde(skip_serializing_if = "Option::is_none"))]
    pub effective_valid_until: Option<Date>,
    #[cfg_attr(feature = "serde", serde(skip_serializing_if = "Option::is_none"))]
    pub issue_date: Option<Date>,
    #[cfg_attr(feature = "serde", serde(skip_serializing_if = "Option::is_none"))]
    pub issuing_authority: Option<&'r str>,
    #[cfg_attr(feature = "serde", serde(skip_serializing_if = "Option::is_none"))]
    pub has_portrait_digest: Option<bool>,
}

impl<'r> ShownFields<'r> {
    /// Border: identity and validity, no PIN or taxpayer numbers.
    pub fn for_border(f: &RecordFields<'r>) -> Self {
        ShownFields {
            document_type: Some(f.document_type),
            document_number: Some(f.document_number),
            surname: Some(f.surname),
            given_names: Some(f.given_names),
            nationality: Some(f.nationality),
            date_of_birth: Some(f.date_of_birth),
            sex: Some(f.sex),
            purpose: Some(f.purpose),
            valid_from: Some(f.valid_from),
            valid_until: Some(f.valid_until),
            has_portrait_digest: Some(f.portrait_digest.is_some()),
            ..ShownFields::default()
        }
    }

    /// Employer: what hiring paperwork needs (names, PIN, ITN), not the document number,
    /// birth date, sex or nationality.
    pub fn for_employer(f: &RecordFields<'r>) -> Self {
        ShownFields {
            document_type: Some(f.document_type),
            pin: Some(f.pin),
            itn: f.itn,
            surname: Some(f.surname),
            given_names: Some(f.given_names),
            purpose: Some(f.purpose),
            employer_tin: f.employer_tin,
            valid_until: Some(f.valid_until),
            ..ShownFields::default()
        }
    }

    /// Station: everything it just wrote.
    pub fn for_station(f: &RecordFields<'r>) -> Self {
        ShownFields {
            document_type: Some(f.document_type),
            document_number: Some(f.document_number),
            pin: Some(f.pin),
            itn: f.itn,
            surname: Some(f.surname),
            given_names: Some(f.given_names),
            nationality: Some(f.nationality),
            date_of_birth: Some(f.date_of_birth),
            sex: Some(f.sex),
            purpose: Some(f.purpose),
            employer_tin: f.employer_tin,
            valid_from: Some(f.valid_from),
            valid_until: Some(f.valid_until),
            effective_valid_until: None,
            issue_date: Some(f.issue_date),
            issuing_authority: Some(f.issuing_authority),
            has_portrait_digest: Some(f.portrait_digest.is_some()),
        }
    }
}

/// The trust-list entry that changed a document's stay after its issuance, as it was
/// applied to a verdict.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct AppliedChange {
    /// The sequence of the list that carries the entry.
    pub list_sequence: u64,
    pub change: StatusChange,
}

/// The outcome of one verification.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Verdict<'r> {
    pub status: Status,
    pub decision: Decision,
    /// The issuer's signature verified (so `shown` holds real document data).
    pub authentic: bool,
    /// The chip proved it holds the record's chip key for this terminal's challenge.
    pub chip_authenticated: bool,
    pub shown: ShownFields<'r>,
    /// The list's status change that decided or moved this verdict (an extension in force,
    /// a suspension or a supersession that has taken effect), on an authentic record only.
    pub status_change: Option<AppliedChange>,
}

impl Verdict<'_> {
    /// Genuine data of a chip card that was not read from its chip: every screen says so
    /// in its own words, and the decision is `read-the-chip`.
    pub fn is_printed_copy_of_chip_card(&self) -> bool {
        self.status == Status::Indeterminate(IndeterminateReason::ChipNotRead)
    }
}
