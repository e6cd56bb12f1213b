//! Shared fixtures for the end-to-end tests and benchmarks: a small authority built from
//! fixed seeds, so every test starts from the same keys.

use std::path::PathBuf;

use issuer::{Holder, KeyPair, ListSpec, SignerSpec};
use stay_core::{Date, DocumentType, UnixTime};

/// The repository's `testdata/` folder.
pub fn testdata() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../testdata")
}

pub struct Fixture {
    pub root: KeyPair,
    pub signer: KeyPair,
    pub chip: KeyPair,
    pub now: UnixTime,
}

impl Fixture {
    pub fn new() -> Fixture {
        Fixture {
            root: KeyPair::from_seed("fixture root"),
            signer: KeyPair::from_seed("fixture signer"),
            chip: KeyPair::from_seed("fixture chip"),
            now: issuer::golden::NOW,
        }
    }

    pub fn holder(&self) -> Holder {
        issuer::golden::resident("RC0000001", Some(&self.chip))
    }

    /// A list trusting the fixture signer for every type, revoking `revoked` documents.
    pub fn list_spec(&self, revoked: Vec<String>) -> ListSpec {
        ListSpec {
            sequence: 7,
            issued_at: UnixTime(self.now.0 - 86_400),
            next_update: UnixTime(self.now.0 + 29 * 86_400),
            signers: vec![SignerSpec {
                public_key: self.signer.public_sec1(),
                not_before: Date::new(2025, 1, 1).unwrap(),
                not_after: Date::new(2029, 12, 31).unwrap(),
                document_types: DocumentType::ALL.to_vec(),
            }],
            revoked_signers: vec![],
            revoked_documents: revoked,
        }
    }

    pub fn list(&self) -> Vec<u8> {
        self.list_spec(vec!["RC0000099".into()])
            .seal(&self.root)
            .unwrap()
    }

    pub fn record(&self, holder: &Holder) -> Vec<u8> {
        let list = self.list();
        let content = stay_core::TrustListContent::parse(&list).unwrap();
        issuer::sign_record(holder, &self.signer, &content, &stay_core::Policy::DEFAULT).unwrap()
    }
}

impl Default for Fixture {
    fn default() -> Self {
        Fixture::new()
    }
}
