//! Holder files (TOML) and the checks that keep the issuer from signing nonsense.

use serde::{Deserialize, Serialize};
use stay_core::record::{self, RecordFields, PIN_LEN, TIN_LEN};
use stay_core::{Date, DocumentType, KeyId, Policy, Purpose, RecordError, Sex, TrustListContent};

use stay_std::messages::{id, Message};

use crate::keys::KeyPair;

/// One application, as an operator or a registry export writes it.
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq, Eq)]
#[serde(deny_unknown_fields)]
pub struct Holder {
    pub document_type: String,
    pub document_number: String,
    /// Personal identification number: 14 digits.
    pub pin: String,
    /// Individual taxpayer number (14 digits); required on resident cards.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub itn: Option<String>,
    pub surname: String,
    #[serde(default)]
    pub given_names: String,
    /// ISO 3166-1 alpha-3 (ICAO 9303 codes such as `XXA` allowed).
    pub nationality: String,
    pub date_of_birth: String,
    /// F, M or X.
    pub sex: String,
    pub purpose: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub employer_tin: Option<String>,
    pub valid_from: String,
    pub valid_until: String,
    pub issue_date: String,
    pub issuing_authority: String,
    /// The chip's public key (SEC1 uncompressed, hex) for cards; absent for QR-only documents.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub chip_public_key: Option<String>,
    /// SHA-256 of the portrait (hex).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub portrait_digest: Option<String>,
}

/// Why the issuer refuses to sign. Each names what to fix.
#[derive(Debug, thiserror::Error, PartialEq, Eq)]
pub enum Refusal {
    #[error("holder file: {0}")]
    Unreadable(String),
    #[error("{field}: {why}")]
    BadValue { field: &'static str, why: Invalid },
    #[error("pin: must be exactly {PIN_LEN} digits, got {0:?}")]
    Pin(String),
    #[error("valid_until ({until}) is before valid_from ({from})")]
    ValidityInverted { from: Date, until: Date },
    #[error("issue_date ({issue}) is after valid_until ({until})")]
    IssuedAfterExpiry { issue: Date, until: Date },
    #[error("validity of {days} days exceeds the {max} days a {document_type} may have")]
    ValidityTooLong {
        document_type: DocumentType,
        days: i64,
        max: u16,
    },
    #[error(
        "valid-from is {days} days after the issue date; a {document_type} may start at most \
         {max} days after it"
    )]
    ValidFromTooLate {
        document_type: DocumentType,
        days: i64,
        max: u16,
    },
    #[error("a resident card must carry the holder's taxpayer number (itn)")]
    MissingItn,
    #[error(
        "a resident card is a chip card: chip_public_key is required (the personalization \
         station has the card generate it; a record without it would prove nothing printed)"
    )]
    MissingChipKey,
    #[error("a digital nomad has no local employer: remove employer_tin")]
    NomadWithEmployer,
    #[error("a digital nomad's purpose of stay is remote-work, not {0}")]
    NomadPurpose(Purpose),
    #[error("signer key {0} is not on the trust list")]
    SignerNotListed(KeyId),
    #[error("signer key {0} is revoked")]
    SignerRevoked(KeyId),
    #[error("signer key {key_id} is not authorized to sign {document_type} documents")]
    SignerNotAuthorized {
        key_id: KeyId,
        document_type: DocumentType,
    },
    #[error("issue date {issue} is outside signer key {key_id}'s period {from}..{until}")]
    SignerOutsidePeriod {
        key_id: KeyId,
        issue: Date,
        from: Date,
        until: Date,
    },
    #[error("no signer key was given")]
    NoSignerKey,
    #[error("none of the signer keys may sign a {document_type} issued on {issue_date}")]
    NoAuthorizedSigner {
        document_type: DocumentType,
        issue_date: Date,
    },
    #[error("record rejected by the format: {0}")]
    Format(String),
}

/// What is wrong with one field of a holder file.
#[derive(Debug, thiserror::Error, PartialEq, Eq)]
pub enum Invalid {
    #[error("{0:?} is not a date YYYY-MM-DD")]
    NotADate(String),
    #[error("not hex")]
    NotHex,
    #[error("{got} bytes, expected {expected}")]
    Length { got: usize, expected: usize },
    #[error("{value:?} is not one of {allowed}")]
    NotOneOf {
        value: String,
        allowed: &'static str,
    },
    #[error("must be exactly {expected} digits, got {got:?}")]
    Digits { expected: usize, got: String },
    #[error("not an uncompressed P-256 point")]
    NotAPoint,
    #[error("not allowed by the record format (see docs/formats.md)")]
    NotInFormat,
}

impl Refusal {
    /// The refusal in words for the operator, in their language (`Display` is the
    /// register's and the log's English).
    pub fn message(&self) -> Message {
        match self {
            Refusal::Unreadable(detail) => Message::new("refusal-unreadable").arg("detail", detail),
            Refusal::BadValue { field, why } => {
                let why = match why {
                    Invalid::NotADate(text) => {
                        Message::new("invalid-not-a-date").arg("value", text)
                    }
                    Invalid::NotHex => Message::new("invalid-not-hex"),
                    Invalid::Length { got, expected } => Message::new("invalid-length")
                        .arg("got", got)
                        .arg("expected", expected),
                    Invalid::NotOneOf { value, allowed } => Message::new("invalid-not-one-of")
                        .arg("value", value)
                        .arg("allowed", allowed),
                    Invalid::Digits { expected, got } => Message::new("invalid-digits")
                        .arg("expected", expected)
                        .arg("got", got),
                    Invalid::NotAPoint => Message::new("invalid-not-a-point"),
                    Invalid::NotInFormat => Message::new("invalid-not-in-format"),
                };
                why.arg("field", field)
            }
            Refusal::Pin(got) => Message::new("refusal-pin")
                .arg("expected", PIN_LEN)
                .arg("got", got),
            Refusal::ValidityInverted { from, until } => Message::new("refusal-validity-inverted")
                .arg("from", from)
                .arg("until", until),
            Refusal::IssuedAfterExpiry { issue, until } => {
                Message::new("refusal-issued-after-expiry")
                    .arg("issue", issue)
                    .arg("until", until)
            }
            Refusal::ValidityTooLong {
                document_type,
                days,
                max,
            } => Message::new("refusal-validity-too-long")
                .word("type", id("document-type", document_type.name()))
                .arg("days", days)
                .arg("max", max),
            Refusal::ValidFromTooLate {
                document_type,
                days,
                max,
            } => Message::new("refusal-valid-from-too-late")
                .word("type", id("document-type", document_type.name()))
                .arg("days", days)
                .arg("max", max),
            Refusal::MissingItn => Message::new("refusal-missing-itn"),
            Refusal::MissingChipKey => Message::new("refusal-missing-chip-key"),
            Refusal::NomadWithEmployer => Message::new("refusal-nomad-with-employer"),
            Refusal::NomadPurpose(purpose) => {
                Message::new("refusal-nomad-purpose").word("purpose", id("purpose", purpose.name()))
            }
            Refusal::SignerNotListed(key) => {
                Message::new("refusal-signer-not-listed").arg("key", key)
            }
            Refusal::SignerRevoked(key) => Message::new("refusal-signer-revoked").arg("key", key),
            Refusal::SignerNotAuthorized {
                key_id,
                document_type,
            } => Message::new("refusal-signer-not-authorized")
                .arg("key", key_id)
                .word("type", id("document-type", document_type.name())),
            Refusal::SignerOutsidePeriod {
                key_id,
                issue,
                from,
                until,
            } => Message::new("refusal-signer-outside-period")
                .arg("key", key_id)
                .arg("issue", issue)
                .arg("from", from)
                .arg("until", until),
            Refusal::NoSignerKey => Message::new("refusal-no-signer-key"),
            Refusal::NoAuthorizedSigner {
                document_type,
                issue_date,
            } => Message::new("refusal-no-authorized-signer")
                .word("type", id("document-type", document_type.name()))
                .arg("issue", issue_date),
            Refusal::Format(detail) => Message::new("refusal-format").arg("detail", detail),
        }
    }
}

fn date(field: &'static str, text: &str) -> Result<Date, Refusal> {
    Date::parse_iso(text).map_err(|_| Refusal::BadValue {
        field,
        why: Invalid::NotADate(text.to_owned()),
    })
}

fn hex_array<const N: usize>(field: &'static str, text: &str) -> Result<[u8; N], Refusal> {
    let bytes = hex::decode(text.trim()).map_err(|_| Refusal::BadValue {
        field,
        why: Invalid::NotHex,
    })?;
    bytes.try_into().map_err(|b: Vec<u8>| Refusal::BadValue {
        field,
        why: Invalid::Length {
            got: b.len(),
            expected: N,
        },
    })
}

/// A holder file checked and converted, owning what [`RecordFields`] borrows.
pub struct Application<'h> {
    holder: &'h Holder,
    pub document_type: DocumentType,
    sex: Sex,
    purpose: Purpose,
    date_of_birth: Date,
    valid_from: Date,
    valid_until: Date,
    issue_date: Date,
    chip_public_key: Option<[u8; 65]>,
    portrait_digest: Option<[u8; 32]>,
}

impl Holder {
    pub fn from_toml(text: &str) -> Result<Holder, Refusal> {
        toml::from_str(text).map_err(|e| Refusal::Unreadable(e.to_string()))
    }

    /// Checks every field and the document-type rules of `policy`.
    pub fn application(&self, policy: &Policy) -> Result<Application<'_>, Refusal> {
        let document_type =
            DocumentType::from_name(&self.document_type).ok_or_else(|| Refusal::BadValue {
                field: "document_type",
                why: Invalid::NotOneOf {
                    value: self.document_type.clone(),
                    allowed: "resident-card, unified-window, digital-nomad",
                },
            })?;
        if !record::is_digits(&self.pin, PIN_LEN) {
            return Err(Refusal::Pin(self.pin.clone()));
        }
        let sex = match self.sex.as_bytes() {
            [c] => Sex::from_code(*c),
            _ => None,
        }
        .ok_or_else(|| Refusal::BadValue {
            field: "sex",
            why: Invalid::NotOneOf {
                value: self.sex.clone(),
                allowed: "F, M, X",
            },
        })?;
        let purpose = Purpose::from_name(&self.purpose).ok_or_else(|| Refusal::BadValue {
            field: "purpose",
            why: Invalid::NotOneOf {
                value: self.purpose.clone(),
                allowed: "work, study, family, business, remote-work, other",
            },
        })?;
        for (field, tin) in [("itn", &self.itn), ("employer_tin", &self.employer_tin)] {
            if let Some(tin) = tin {
                if !record::is_digits(tin, TIN_LEN) {
                    return Err(Refusal::BadValue {
                        field,
                        why: Invalid::Digits {
                            expected: TIN_LEN,
                            got: tin.clone(),
                        },
                    });
                }
            }
        }
        let app = Application {
            holder: self,
            document_type,
            sex,
            purpose,
            date_of_birth: date("date_of_birth", &self.date_of_birth)?,
            valid_from: date("valid_from", &self.valid_from)?,
            valid_until: date("valid_until", &self.valid_until)?,
            issue_date: date("issue_date", &self.issue_date)?,
            chip_public_key: self
                .chip_public_key
                .as_deref()
                .map(|h| hex_array("chip_public_key", h))
                .transpose()?,
            portrait_digest: self
                .portrait_digest
                .as_deref()
                .map(|h| hex_array("portrait_digest", h))
                .transpose()?,
        };
        if let Some(key) = &app.chip_public_key {
            stay_core::PublicKey::from_sec1(key).map_err(|_| Refusal::BadValue {
                field: "chip_public_key",
                why: Invalid::NotAPoint,
            })?;
        }
        if app.valid_until < app.valid_from {
            return Err(Refusal::ValidityInverted {
                from: app.valid_from,
                until: app.valid_until,
            });
        }
        if app.issue_date > app.valid_until {
            return Err(Refusal::IssuedAfterExpiry {
                issue: app.issue_date,
                until: app.valid_until,
            });
        }
        let days = app.valid_from.days_inclusive_until(app.valid_until);
        let max = policy.max_validity_days(document_type);
        if days > i64::from(max) {
            return Err(Refusal::ValidityTooLong {
                document_type,
                days,
                max,
            });
        }
        let lead = app.valid_from.days_since_epoch() - app.issue_date.days_since_epoch();
        let max_lead = policy.max_issue_lead_days(document_type);
        if lead > i64::from(max_lead) {
            return Err(Refusal::ValidFromTooLate {
                document_type,
                days: lead,
                max: max_lead,
            });
        }
        match document_type {
            DocumentType::ResidentCard if self.itn.is_none() => return Err(Refusal::MissingItn),
            DocumentType::ResidentCard if self.chip_public_key.is_none() => {
                return Err(Refusal::MissingChipKey)
            }
            DocumentType::DigitalNomad if self.employer_tin.is_some() => {
                return Err(Refusal::NomadWithEmployer)
            }
            DocumentType::DigitalNomad if purpose != Purpose::RemoteWork => {
                return Err(Refusal::NomadPurpose(purpose))
            }
            _ => {}
        }
        // Everything else (alphabets, lengths) is the format's rule: ask the format.
        app.fields(KeyId::of(&[0x04; 65]))
            .validate()
            .map_err(|e| match e {
                RecordError::BadField(f) => Refusal::BadValue {
                    field: f.name(),
                    why: Invalid::NotInFormat,
                },
                other => Refusal::Format(other.to_string()),
            })?;
        Ok(app)
    }
}

impl Application<'_> {
    /// The record fields, naming `signer` as the signing key.
    pub fn fields(&self, signer: KeyId) -> RecordFields<'_> {
        let h = self.holder;
        RecordFields {
            document_type: self.document_type,
            document_number: &h.document_number,
            pin: &h.pin,
            itn: h.itn.as_deref(),
            surname: &h.surname,
            given_names: &h.given_names,
            nationality: &h.nationality,
            date_of_birth: self.date_of_birth,
            sex: self.sex,
            purpose: self.purpose,
            employer_tin: h.employer_tin.as_deref(),
            valid_from: self.valid_from,
            valid_until: self.valid_until,
            issue_date: self.issue_date,
            issuing_authority: &h.issuing_authority,
            signer_key_id: signer,
            chip_public_key: self.chip_public_key.as_ref(),
            portrait_digest: self.portrait_digest.as_ref(),
        }
    }

    /// Checks that `signer` may sign this application according to the authority's list.
    pub fn check_signer(&self, signer: KeyId, list: &TrustListContent<'_>) -> Result<(), Refusal> {
        if list.is_signer_revoked(signer) {
            return Err(Refusal::SignerRevoked(signer));
        }
        let entry = list
            .signer(signer)
            .ok_or(Refusal::SignerNotListed(signer))?;
        if !entry.may_sign(self.document_type) {
            return Err(Refusal::SignerNotAuthorized {
                key_id: signer,
                document_type: self.document_type,
            });
        }
        if !entry.covers(self.issue_date) {
            return Err(Refusal::SignerOutsidePeriod {
                key_id: signer,
                issue: self.issue_date,
                from: entry.not_before,
                until: entry.not_after,
            });
        }
        Ok(())
    }
}

/// Encodes and signs `fields` with `key`. No policy check: callers check first
/// ([`sign_record`]); test vectors use it to make the records a rogue signer could make.
pub fn seal_record(fields: &RecordFields<'_>, key: &KeyPair) -> Vec<u8> {
    let mut body = vec![0u8; fields.body_len()];
    let n = fields.encode_body(&mut body).expect("sized by body_len");
    debug_assert_eq!(n, body.len());
    let signature = key.sign(&body);
    let mut record = vec![0u8; fields.record_len()];
    let n = fields
        .encode_record(&signature, &mut record)
        .expect("sized by record_len");
    debug_assert_eq!(n, record.len());
    record
}

/// Checks the application and the signer's authorization, then signs.
pub fn sign_record(
    holder: &Holder,
    key: &KeyPair,
    list: &TrustListContent<'_>,
    policy: &Policy,
) -> Result<Vec<u8>, Refusal> {
    sign_record_by_any(holder, std::slice::from_ref(key), list, policy)
}

/// Like [`sign_record`], with the first of `keys` the list authorizes for this document
/// type and issue date (an authority keeps one signer key per document type).
pub fn sign_record_by_any(
    holder: &Holder,
    keys: &[KeyPair],
    list: &TrustListContent<'_>,
    policy: &Policy,
) -> Result<Vec<u8>, Refusal> {
    let app = holder.application(policy)?;
    let mut refusal = Refusal::NoSignerKey;
    for key in keys {
        let signer = key.key_id();
        if let Err(why) = app.check_signer(signer, list) {
            // With one key its own reason is the clearest; with several, none fits.
            refusal = if keys.len() == 1 {
                why
            } else {
                Refusal::NoAuthorizedSigner {
                    document_type: app.document_type,
                    issue_date: app.issue_date,
                }
            };
            continue;
        }
        let record = seal_record(&app.fields(signer), key);
        // The format must read back what was signed: refuse rather than issue an
        // unreadable card.
        stay_core::StayRecord::parse(&record).map_err(|e| Refusal::Format(e.to_string()))?;
        return Ok(record);
    }
    Err(refusal)
}

/// Checks that `record` is exactly what [`sign_record`] makes of `holder` with some signer
/// the list authorizes: the same fields, a signer allowed to sign them, a good signature.
/// A station uses it on what a signing service sends back, before a card is written.
pub fn check_sealed(
    holder: &Holder,
    record: &[u8],
    list: &TrustListContent<'_>,
    policy: &Policy,
) -> Result<(), String> {
    let app = holder.application(policy).map_err(|e| e.to_string())?;
    let parsed = stay_core::StayRecord::parse(record).map_err(|e| e.to_string())?;
    let signer = parsed.fields.signer_key_id;
    app.check_signer(signer, list).map_err(|e| e.to_string())?;
    let fields = app.fields(signer);
    let mut body = vec![0u8; fields.body_len()];
    fields
        .encode_body(&mut body)
        .map_err(|_| "the record body does not encode".to_string())?;
    if body != parsed.signed_bytes {
        return Err("the record is not the application that was sent".into());
    }
    let entry = list.signer(signer).ok_or("signer not listed")?;
    stay_core::signature::verify(entry.public_key, parsed.signed_bytes, parsed.signature)
        .map_err(|e| format!("the signature does not verify ({e:?})"))
}
