//! Keyed digests for audit trails: a terminal's log must prove what was checked when
//! without becoming a register of who was where. Document numbers are a prefix and a few
//! counting digits, so a plain hash of one is reversed by trying them all; a digest keyed
//! with a per-terminal secret is not, as long as the key is kept apart from the log.

use hmac::{Hmac, Mac};
use sha2::Sha256;

/// Bytes of an audit key.
pub const AUDIT_KEY_LEN: usize = 32;
/// Bytes of a document digest (HMAC-SHA-256 truncated: collisions among a terminal's
/// checks are out of reach at 128 bits).
pub const DOCUMENT_DIGEST_LEN: usize = 16;

/// A terminal's secret audit key (random, set when the terminal is enrolled).
#[derive(Clone)]
pub struct AuditKey(pub [u8; AUDIT_KEY_LEN]);

impl AuditKey {
    /// HMAC-SHA-256(key, document number), the first [`DOCUMENT_DIGEST_LEN`] bytes.
    pub fn document_digest(&self, document_number: &str) -> [u8; DOCUMENT_DIGEST_LEN] {
        let mut mac = Hmac::<Sha256>::new_from_slice(&self.0).expect("HMAC takes any key length");
        mac.update(document_number.as_bytes());
        let full = mac.finalize().into_bytes();
        let mut digest = [0u8; DOCUMENT_DIGEST_LEN];
        digest.copy_from_slice(&full[..DOCUMENT_DIGEST_LEN]);
        digest
    }
}

impl core::fmt::Debug for AuditKey {
    fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
        f.write_str("AuditKey(..)")
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn rfc_4231_case_2_truncated() {
        // RFC 4231 test case 2 uses a 4-byte key; HMAC pads any key, so the same MAC
        // comes out of a 32-byte key holding "Jefe" and zeros.
        let mut key = [0u8; AUDIT_KEY_LEN];
        key[..4].copy_from_slice(b"Jefe");
        let digest = AuditKey(key).document_digest("what do ya want for nothing?");
        assert_eq!(
            digest,
            [
                0x5b, 0xdc, 0xc1, 0x46, 0xbf, 0x60, 0x75, 0x4e, 0x6a, 0x04, 0x24, 0x26, 0x08, 0x95,
                0x75, 0xc7
            ]
        );
    }

    #[test]
    fn another_key_gives_another_digest() {
        let a = AuditKey([1; AUDIT_KEY_LEN]).document_digest("RC0000001");
        let b = AuditKey([2; AUDIT_KEY_LEN]).document_digest("RC0000001");
        assert_ne!(a, b);
    }
}
