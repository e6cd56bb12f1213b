//! Trust lists: the authority's source file (TOML) and the signed binary list.

use std::path::{Path, PathBuf};

use anyhow::{bail, Context, Result};
use serde::Deserialize;
use stay_core::record::is_document_number;
use stay_core::trust_list::{ListBody, SignerEntry, StatusEntry};
use stay_core::{
    Date, DocumentType, KeyId, ListError, Policy, PublicKey, StatusChange, TrustList, UnixTime,
};

use stay_std::messages::Message;

use crate::keys::KeyPair;
use crate::status::StatusStep;

/// One signer key the list trusts.
#[derive(Debug, Clone)]
pub struct SignerSpec {
    pub public_key: [u8; 65],
    pub not_before: Date,
    pub not_after: Date,
    pub document_types: Vec<DocumentType>,
}

/// Everything a list says, before encoding.
#[derive(Debug, Clone)]
pub struct ListSpec {
    pub sequence: u64,
    pub issued_at: UnixTime,
    pub next_update: UnixTime,
    pub signers: Vec<SignerSpec>,
    pub revoked_signers: Vec<KeyId>,
    pub revoked_documents: Vec<String>,
    /// Each document's state after issuance (one entry per number), as folded from the
    /// list source's history (`crate::status::current`).
    pub status_changes: Vec<(String, StatusChange)>,
}

impl ListSpec {
    /// Sorts, checks and signs the list with the root key.
    pub fn seal(&self, root: &KeyPair) -> Result<Vec<u8>> {
        if self.next_update <= self.issued_at {
            bail!("next_update must be after issued_at");
        }
        let mut signers: Vec<SignerEntry<'_>> = Vec::with_capacity(self.signers.len());
        for s in &self.signers {
            stay_core::PublicKey::from_sec1(&s.public_key)
                .map_err(|_| anyhow::anyhow!("a signer public key is not a P-256 point"))?;
            if s.not_after < s.not_before {
                bail!(
                    "signer {}: not_after before not_before",
                    KeyId::of(&s.public_key)
                );
            }
            if s.document_types.is_empty() {
                bail!("signer {}: no document types", KeyId::of(&s.public_key));
            }
            signers.push(SignerEntry {
                key_id: KeyId::of(&s.public_key),
                public_key: &s.public_key,
                not_before: s.not_before,
                not_after: s.not_after,
                document_types: s.document_types.iter().fold(0, |m, t| m | t.bit()),
            });
        }
        signers.sort_by_key(|s| s.key_id);
        if let Some(w) = signers.windows(2).find(|w| w[0].key_id == w[1].key_id) {
            bail!("signer {} listed twice", w[0].key_id);
        }
        let mut revoked_signers = self.revoked_signers.clone();
        revoked_signers.sort();
        revoked_signers.dedup();
        let mut revoked: Vec<&str> = self.revoked_documents.iter().map(String::as_str).collect();
        if let Some(bad) = revoked.iter().find(|d| !is_document_number(d)) {
            bail!("revoked document {bad:?} is not a document number (1-16 of A-Z 0-9)");
        }
        revoked.sort_unstable_by(|a, b| stay_core::trust_list::revoked_document_order(a, b));
        revoked.dedup();
        // A revoked document's later state is moot: revocation decides first everywhere.
        let mut status: Vec<StatusEntry<'_>> = self
            .status_changes
            .iter()
            .filter(|(number, _)| {
                revoked
                    .binary_search_by(|r| stay_core::trust_list::revoked_document_order(r, number))
                    .is_err()
            })
            .map(|(number, change)| StatusEntry {
                document_number: number,
                change: *change,
            })
            .collect();
        if let Some(bad) = status
            .iter()
            .find(|e| !is_document_number(e.document_number))
        {
            bail!(
                "status change for {:?}: not a document number (1-16 of A-Z 0-9)",
                bad.document_number
            );
        }
        status.sort_by(|a, b| {
            stay_core::trust_list::revoked_document_order(a.document_number, b.document_number)
        });
        if let Some(w) = status
            .windows(2)
            .find(|w| w[0].document_number == w[1].document_number)
        {
            bail!("two status changes for {}", w[0].document_number);
        }
        let body = ListBody {
            sequence: self.sequence,
            issued_at: self.issued_at,
            next_update: self.next_update,
            signers: &signers,
            revoked_signers: &revoked_signers,
            revoked_documents: &revoked,
            status_changes: &status,
        };
        let mut signed = vec![0u8; body.body_len()];
        body.encode_body(&mut signed).expect("sized by body_len");
        let signature = root.sign(&signed);
        let mut list = vec![0u8; body.list_len()];
        body.encode_list(&signature, &mut list)
            .expect("sized by list_len");
        Ok(list)
    }
}

/// Why `sign-list` refuses to sign a list after the one published before it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum SequenceError {
    /// Terminals keep the highest sequence they accepted: a list not above the previous
    /// one would be refused by every terminal that has the previous (or a reused number
    /// would name two lists).
    NotIncreasing { previous: u64, new: u64 },
    /// The previous list does not verify under this root.
    PreviousRefused(ListError),
}

impl std::fmt::Display for SequenceError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            SequenceError::NotIncreasing { previous, new } => write!(
                f,
                "sequence {new} does not increase on the previous list's {previous}"
            ),
            SequenceError::PreviousRefused(e) => write!(f, "the previous list is refused: {e}"),
        }
    }
}

impl std::error::Error for SequenceError {}

impl SequenceError {
    /// The refusal in the operator's language.
    pub fn message(&self) -> Message {
        match self {
            SequenceError::NotIncreasing { previous, new } => {
                Message::new("list-sequence-not-increasing")
                    .arg("new", new)
                    .arg("previous", previous)
            }
            SequenceError::PreviousRefused(e) => {
                Message::new("list-previous-refused").arg("detail", e)
            }
        }
    }
}

/// Checks that `new_sequence` is above the sequence of `previous`, a list signed by `root`.
pub fn check_sequence_increases(
    previous: &[u8],
    root: &PublicKey,
    new_sequence: u64,
) -> Result<(), SequenceError> {
    let previous = TrustList::load(previous, root, None)
        .map_err(SequenceError::PreviousRefused)?
        .sequence;
    if new_sequence <= previous {
        return Err(SequenceError::NotIncreasing {
            previous,
            new: new_sequence,
        });
    }
    Ok(())
}

/// The list source file an authority edits (`issuer sign-list --in LIST.toml`).
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ListSource {
    pub sequence: u64,
    /// RFC 3339, e.g. `2026-11-21T00:00:00Z`.
    pub issued_at: String,
    pub next_update: String,
    #[serde(default, rename = "signer")]
    pub signers: Vec<SignerSource>,
    /// Key ids (16 hex digits) or public key files.
    #[serde(default)]
    pub revoked_signers: Vec<String>,
    #[serde(default)]
    pub revoked_documents: Vec<String>,
    /// A text file with one revoked document number per line (for large lists).
    #[serde(default)]
    pub revoked_documents_file: Option<PathBuf>,
    /// Every change to a stay after issuance, in the order recorded (`issuer extend`,
    /// `suspend`, `lift`, `supersede` append here); the list carries each document's
    /// current state.
    #[serde(default, rename = "status")]
    pub status: Vec<StatusStep>,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct SignerSource {
    /// SPKI PEM file, relative to the list source.
    pub public_key: PathBuf,
    pub not_before: String,
    pub not_after: String,
    pub document_types: Vec<String>,
}

fn date(field: &str, text: &str) -> Result<Date> {
    Date::parse_iso(text).map_err(|_| anyhow::anyhow!("{field}: {text:?} is not a date YYYY-MM-DD"))
}

impl ListSource {
    pub fn read(path: &Path) -> Result<ListSource> {
        let text = stay_std::files::read_to_string(path)?;
        ListSource::parse(path, &text)
    }

    /// The list source in `text`, read from `path` (named in the error).
    pub fn parse(path: &Path, text: &str) -> Result<ListSource> {
        toml::from_str(text)
            .with_context(|| format!("{} is not a valid list source", path.display()))
    }

    /// Resolves files relative to `base` and checks every value.
    pub fn spec(&self, base: &Path) -> Result<ListSpec> {
        let mut signers = Vec::new();
        for s in &self.signers {
            let key = stay_std::pem::read_public(&base.join(&s.public_key))?;
            let mut document_types = Vec::new();
            for name in &s.document_types {
                document_types.push(DocumentType::from_name(name).with_context(|| {
                    format!(
                        "signer {}: unknown document type {name:?}",
                        s.public_key.display()
                    )
                })?);
            }
            signers.push(SignerSpec {
                public_key: key.to_sec1(),
                not_before: date("not_before", &s.not_before)?,
                not_after: date("not_after", &s.not_after)?,
                document_types,
            });
        }
        let mut revoked_signers = Vec::new();
        for entry in &self.revoked_signers {
            let id = match hex::decode(entry)
                .ok()
                .and_then(|b| <[u8; 8]>::try_from(b).ok())
            {
                Some(id) => KeyId(id),
                None => stay_std::pem::read_public(&base.join(entry))
                    .with_context(|| {
                        format!("revoked signer {entry:?}: neither a key id nor a key file")
                    })?
                    .key_id(),
            };
            revoked_signers.push(id);
        }
        let mut revoked_documents = self.revoked_documents.clone();
        if let Some(file) = &self.revoked_documents_file {
            revoked_documents.extend(read_numbers(&base.join(file))?);
        }
        Ok(ListSpec {
            sequence: self.sequence,
            issued_at: stay_std::clock::parse_rfc3339("issued_at", &self.issued_at)?,
            next_update: stay_std::clock::parse_rfc3339("next_update", &self.next_update)?,
            signers,
            revoked_signers,
            revoked_documents,
            status_changes: crate::status::current(&self.status, &Policy::DEFAULT)?,
        })
    }
}

/// The document numbers in a text file, one per line, `#` comments: a list source's
/// `revoked_documents_file`, or a station's `retired-numbers.txt` (`sign-list --retired`).
pub fn read_numbers(path: &Path) -> Result<Vec<String>> {
    let text = stay_std::files::read_to_string(path)?;
    Ok(text
        .lines()
        .map(str::trim)
        .filter(|l| !l.is_empty() && !l.starts_with('#'))
        .map(str::to_owned)
        .collect())
}
