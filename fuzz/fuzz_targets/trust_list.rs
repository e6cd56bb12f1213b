//! Trust-list parser and lookups: never panic on any input.
#![no_main]
use libfuzzer_sys::fuzz_target;
use stay_core::{KeyId, TrustListContent};

fuzz_target!(|data: &[u8]| {
    if let Ok(list) = TrustListContent::parse(data) {
        for signer in list.signers() {
            assert!(list.signer(signer.key_id).is_some());
        }
        for number in list.revoked_documents() {
            assert!(list.is_document_revoked(number));
        }
        for id in list.revoked_signers() {
            assert!(list.is_signer_revoked(id));
        }
        let _ = list.is_signer_revoked(KeyId([0; 8]));
        let _ = list.is_document_revoked("RC0000001");
    }
});
