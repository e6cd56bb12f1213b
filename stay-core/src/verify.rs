//! The one verification function. Host, firmware and station all call [`verify`].
//!
//! Checks run in this order, and the first failure decides (docs/policy.md):
//! 1. the bytes parse as a canonical record                      -> Invalid(malformed)
//! 2. the signer key is not revoked                              -> Invalid(signer-revoked)
//! 3. the signer key is on the trust list                        -> Indeterminate(unknown-signer)
//! 4. the issuer's signature verifies                            -> Invalid(bad-signature)
//! 5. the signer may sign this type, on this issue date          -> Invalid(signer-…)
//! 6. the validity span is within policy for the type            -> Invalid(validity-exceeds-policy)
//! 7. valid-from is at most the type's lead after issue          -> Invalid(valid-from-too-late)
//! 8. the document is not revoked                                -> Invalid(document-revoked)
//! 9. an extension on the list is within the type's extensions   -> Invalid(extension-exceeds-policy)
//! 10. a resident card names its chip key                         -> Invalid(chip-key-missing)
//! 11. the chip proves its key (when read from a chip)            -> Invalid(chip-proof-…)
//! 12. the clock is not before the list's issue time              -> Indeterminate(clock-before-trust-list)
//! 13. no suspension or supersession on the list has taken effect -> Invalid(suspended | superseded)
//! 14. today is within valid-from ..= the effective valid-until   -> Invalid(not-yet-valid | expired)
//!     (Bishkek time; the list's extension, else the record's)
//! 15. the list is not past next-update + grace                   -> Indeterminate(trust-list-stale)
//! 16. a record naming a chip key was proven by that chip         -> Indeterminate(chip-not-read)
//!
//! After the verdict, a terminal that reads the chip's portrait checks it with
//! [`verify_portrait`]: a portrait other than the signed one turns any verdict that is not
//! already invalid into Invalid(portrait-mismatch), and is never shown; one that could not
//! be read turns a verdict that is not invalid into Indeterminate(portrait-not-read).
//!
//! Reasons that hold whatever the clock says come first; then the clock's own sanity; then
//! the dates; freshness next, because an expired document is invalid even on a stale list.
//! The printed copy of a chip card comes last: its data is genuine, so every reason that
//! would reject the document outranks it, but only the chip proves the card is there, so it
//! never reaches `Valid` (decision `read-the-chip`).

use crate::chip_proof::ChipAuthentication;
use crate::date::UnixTime;
use crate::policy::{Policy, Role};
use crate::record::{DocumentType, StayRecord, PORTRAIT_DIGEST_LEN};
use crate::trust_list::{StatusChange, TrustList};
use crate::verdict::{
    AppliedChange, Decision, IndeterminateReason, InvalidReason, NotEmployable, ShownFields,
    Status, Verdict,
};

/// How the record reached the terminal.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Presentation<'a> {
    /// Read from the card's chip over PACE, with the chip's PACE-CAM proof of its key.
    Chip {
        proof: Option<&'a ChipAuthentication>,
    },
    /// Printed: the card's or document's QR code, or a record file. Proves the data, not
    /// that the original card is present.
    Printed,
}

/// Everything a verification depends on besides the record and the list.
#[derive(Debug, Clone, Copy)]
pub struct Check<'a> {
    pub now: UnixTime,
    pub role: Role<'a>,
    pub presentation: Presentation<'a>,
    pub policy: &'a Policy,
}

impl<'a> Check<'a> {
    /// A record read from the chip, with the chip's proof of its key (`None`: it gave
    /// none).
    pub const fn chip(
        now: UnixTime,
        role: Role<'a>,
        proof: Option<&'a ChipAuthentication>,
        policy: &'a Policy,
    ) -> Check<'a> {
        Check {
            now,
            role,
            presentation: Presentation::Chip { proof },
            policy,
        }
    }

    /// A printed record: a QR code or a record file.
    pub const fn printed(now: UnixTime, role: Role<'a>, policy: &'a Policy) -> Check<'a> {
        Check {
            now,
            role,
            presentation: Presentation::Printed,
            policy,
        }
    }
}

struct Evidence {
    authentic: bool,
    chip_authenticated: bool,
    /// The list's status change that moved the verdict, once it applied.
    applied: Option<StatusChange>,
}

fn evaluate(
    record: &StayRecord<'_>,
    list: &TrustList<'_>,
    check: &Check<'_>,
    ev: &mut Evidence,
) -> Status {
    use IndeterminateReason as Ind;
    use InvalidReason as Inv;
    let f = &record.fields;

    if list.is_signer_revoked(f.signer_key_id) {
        return Status::Invalid(Inv::SignerRevoked);
    }
    let Some(signer) = list.signer(f.signer_key_id) else {
        return Status::Indeterminate(Ind::UnknownSigner);
    };
    if crate::signature::verify(signer.public_key, record.signed_bytes, record.signature).is_err() {
        return Status::Invalid(Inv::BadSignature);
    }
    ev.authentic = true;
    if !signer.may_sign(f.document_type) {
        return Status::Invalid(Inv::SignerNotAuthorized);
    }
    if !signer.covers(f.issue_date) {
        return Status::Invalid(Inv::SignerOutsidePeriod);
    }
    let span = f.valid_from.days_inclusive_until(f.valid_until);
    if span > i64::from(check.policy.max_validity_days(f.document_type)) {
        return Status::Invalid(Inv::ValidityExceedsPolicy);
    }
    // The signer's period covers the issue date only; the lead bounds how far past it the
    // record can reach.
    let lead = f.valid_from.days_since_epoch() - f.issue_date.days_since_epoch();
    if lead > i64::from(check.policy.max_issue_lead_days(f.document_type)) {
        return Status::Invalid(Inv::ValidFromTooLate);
    }
    if list.is_document_revoked(f.document_number) {
        return Status::Invalid(Inv::DocumentRevoked);
    }
    // What the authority changed after issuance: one entry per document, O(log n).
    let change = list.status_change(f.document_number);
    if let Some(extension @ StatusChange::Extended { valid_until: until }) = change {
        let span = f.valid_from.days_inclusive_until(until);
        if span > i64::from(check.policy.max_extended_days(f.document_type)) {
            ev.applied = Some(extension);
            return Status::Invalid(Inv::ExtensionExceedsPolicy);
        }
    }
    // An extension moves the end later only: a shorter stay is the authority's to suspend
    // or revoke, never to write as an extension.
    let valid_until = list.effective_valid_until(f.document_number, f.valid_until);
    if valid_until != f.valid_until {
        ev.applied = change;
    }
    // Every resident card is a chip card: a resident card's record without a chip key was
    // not issued by this system's station, and its printed form would prove nothing.
    if f.document_type == DocumentType::ResidentCard && f.chip_public_key.is_none() {
        return Status::Invalid(Inv::ChipKeyMissing);
    }
    if let Presentation::Chip { proof } = check.presentation {
        match (f.chip_public_key, proof) {
            (Some(key), Some(proof)) => {
                if proof.check(key).is_err() {
                    return Status::Invalid(Inv::ChipProofFailed);
                }
                ev.chip_authenticated = true;
            }
            // A chip holding a record without a chip key cannot prove anything: a copy.
            (None, Some(_)) => return Status::Invalid(Inv::ChipProofFailed),
            // A chip that was not asked: the terminal skipped the one step that matters.
            (Some(_), None) => return Status::Invalid(Inv::ChipProofMissing),
            // A QR-only document's record written to some chip proves no more than print.
            (None, None) => {}
        }
    }
    if check.now < list.issued_at {
        return Status::Indeterminate(Ind::ClockBeforeTrustList);
    }
    let today = check.now.bishkek_date();
    // A suspension or supersession takes effect on its date (Bishkek), not before.
    match change {
        Some(c @ StatusChange::Suspended { since }) if today >= since => {
            ev.applied = Some(c);
            return Status::Invalid(Inv::Suspended);
        }
        Some(c @ StatusChange::Superseded { on, .. }) if today >= on => {
            ev.applied = Some(c);
            return Status::Invalid(Inv::Superseded);
        }
        _ => {}
    }
    if today < f.valid_from {
        return Status::Invalid(Inv::NotYetValid);
    }
    if today > valid_until {
        return Status::Invalid(Inv::Expired);
    }
    let stale_after = list
        .next_update
        .0
        .saturating_add(check.policy.trust_list_grace_secs);
    if check.now.0 > stale_after {
        return Status::Indeterminate(Ind::TrustListStale);
    }
    // Genuine data from a chip card, but not from its chip: a printed or re-encoded copy
    // (the card face's QR, a record file, a skimmed chip) proves no card is present.
    if f.chip_public_key.is_some() && !ev.chip_authenticated {
        return Status::Indeterminate(Ind::ChipNotRead);
    }
    Status::Valid
}

fn decide(
    role: &Role<'_>,
    status: &Status,
    record: Option<&StayRecord<'_>>,
    policy: &Policy,
    chip_authenticated: bool,
) -> Decision {
    match (role, status) {
        (Role::Border, Status::Valid) => Decision::MayStay,
        (Role::Border, Status::Invalid(_)) => Decision::MayNotStay,
        (Role::Employer { .. }, Status::Invalid(_)) => {
            Decision::MayNotEmploy(NotEmployable::DocumentInvalid)
        }
        (Role::Employer { tin }, Status::Valid) => match record.map(|r| &r.fields) {
            None => Decision::MayNotEmploy(NotEmployable::DocumentInvalid),
            Some(f) if f.document_type == DocumentType::DigitalNomad => {
                Decision::MayNotEmploy(NotEmployable::DigitalNomad)
            }
            Some(f) if f.employer_tin.is_some_and(|named| named != *tin) => {
                Decision::MayNotEmploy(NotEmployable::OtherEmployer)
            }
            Some(f) if !policy.purpose_employable(f.purpose) => {
                Decision::MayNotEmploy(NotEmployable::PurposeNotEmployable)
            }
            Some(_) => Decision::MayEmploy,
        },
        // A card is often written before its validity starts; the station accepts that,
        // and nothing else short of a fully valid, chip-proven card.
        (Role::Station, Status::Valid | Status::Invalid(InvalidReason::NotYetValid))
            if chip_authenticated =>
        {
            Decision::CardVerifies
        }
        (Role::Station, _) => Decision::CardRejected,
        (_, Status::Indeterminate(IndeterminateReason::ChipNotRead)) => Decision::ReadTheChip,
        (_, Status::Indeterminate(_)) => Decision::Refer,
    }
}

/// Verifies `record_bytes` against a verified trust list, for one role, at one instant.
pub fn verify<'r>(record_bytes: &'r [u8], list: &TrustList<'_>, check: &Check<'_>) -> Verdict<'r> {
    let mut ev = Evidence {
        authentic: false,
        chip_authenticated: false,
        applied: None,
    };
    let (status, record) = match StayRecord::parse(record_bytes) {
        Err(e) => (Status::Invalid(InvalidReason::Malformed(e)), None),
        Ok(record) => (evaluate(&record, list, check, &mut ev), Some(record)),
    };
    let decision = decide(
        &check.role,
        &status,
        record.as_ref(),
        check.policy,
        ev.chip_authenticated,
    );
    let mut shown = match record {
        Some(r) if ev.authentic => match check.role {
            Role::Border => ShownFields::for_border(&r.fields),
            Role::Employer { .. } => ShownFields::for_employer(&r.fields),
            Role::Station => ShownFields::for_station(&r.fields),
        },
        _ => ShownFields::default(),
    };
    if let (Some(StatusChange::Extended { valid_until }), Some(_)) = (ev.applied, shown.valid_until)
    {
        shown.effective_valid_until = Some(valid_until);
    }
    Verdict {
        status,
        decision,
        authentic: ev.authentic,
        chip_authenticated: ev.chip_authenticated,
        shown,
        status_change: ev.applied.map(|change| AppliedChange {
            list_sequence: list.sequence,
            change,
        }),
    }
}

/// The verdict of a terminal that holds no usable trust list: nothing but a malformed
/// record can be decided, and never `Valid` (an older list would bring back revoked
/// documents). The record's data is not shown: no list, no signer key, no authenticity.
pub fn verify_without_list<'r>(record_bytes: &'r [u8], check: &Check<'_>) -> Verdict<'r> {
    let status = match StayRecord::parse(record_bytes) {
        Err(e) => Status::Invalid(InvalidReason::Malformed(e)),
        Ok(_) => Status::Indeterminate(IndeterminateReason::TrustListUnavailable),
    };
    Verdict {
        decision: decide(&check.role, &status, None, check.policy, false),
        status,
        authentic: false,
        chip_authenticated: false,
        shown: ShownFields::default(),
        status_change: None,
    }
}

/// The chip's portrait file against the record's signed digest.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum PortraitCheck {
    /// Its SHA-256 is the record's portrait digest: the face issued with the document.
    Matches,
    /// The record names no portrait and the chip holds none.
    NoneIssued,
    /// Another portrait than the record names, none where it names one, or one it does not
    /// name: never shown.
    Mismatch,
    /// The record names a portrait, and the chip's could not be read (the card left, the
    /// link or the channel failed): nothing is known of it, and no face can be compared.
    NotRead,
}

impl PortraitCheck {
    pub const fn code(self) -> &'static str {
        match self {
            PortraitCheck::Matches => "matches",
            PortraitCheck::NoneIssued => "none-issued",
            PortraitCheck::Mismatch => "mismatch",
            PortraitCheck::NotRead => "not-read",
        }
    }
}

/// Compares `portrait` (the chip's portrait file, `None` when it has none) with the digest
/// the record's issuer signed. A record that does not parse has no digest to trust.
pub fn check_portrait(record_bytes: &[u8], portrait: Option<&[u8]>) -> PortraitCheck {
    use sha2::{Digest, Sha256};
    let Ok(record) = StayRecord::parse(record_bytes) else {
        return PortraitCheck::Mismatch;
    };
    match (record.fields.portrait_digest, portrait) {
        (None, None) => PortraitCheck::NoneIssued,
        (Some(digest), Some(portrait)) => {
            let actual: [u8; PORTRAIT_DIGEST_LEN] = Sha256::digest(portrait).into();
            // Both are public (the digest is in the signed record): no timing to hide.
            if actual == *digest {
                PortraitCheck::Matches
            } else {
                PortraitCheck::Mismatch
            }
        }
        _ => PortraitCheck::Mismatch,
    }
}

/// The verdict once the portrait was checked: a mismatch makes it Invalid(portrait-mismatch)
/// unless it is already invalid for an earlier reason (the first failure decides); a
/// portrait that could not be read makes a verdict that is not invalid
/// Indeterminate(portrait-not-read). Either way no station decision stays `card-verifies`.
pub fn verify_portrait<'r>(
    verdict: Verdict<'r>,
    portrait: PortraitCheck,
    check: &Check<'_>,
) -> Verdict<'r> {
    let status = match (portrait, verdict.status) {
        (PortraitCheck::Matches | PortraitCheck::NoneIssued, _) => return verdict,
        // An earlier failure stays the reason, and the card never verifies.
        (_, Status::Invalid(_)) => {
            let decision = match verdict.decision {
                Decision::CardVerifies => Decision::CardRejected,
                other => other,
            };
            return Verdict {
                decision,
                ..verdict
            };
        }
        (PortraitCheck::Mismatch, _) => Status::Invalid(InvalidReason::PortraitMismatch),
        (PortraitCheck::NotRead, _) => Status::Indeterminate(IndeterminateReason::PortraitNotRead),
    };
    Verdict {
        decision: decide(
            &check.role,
            &status,
            None,
            check.policy,
            verdict.chip_authenticated,
        ),
        status,
        ..verdict
    }
}
