//! Chip proof: the card shows it holds the private key named in its signed record.
//!
//! The terminal sends a fresh random challenge; the card signs
//! `DOMAIN || challenge || SHA-256(record)` with its chip key (ECDSA P-256 / SHA-256, raw
//! `r || s`, low-S). The chip public key sits inside the issuer-signed record, so a record
//! copied into another chip fails, and a proof recorded for one challenge fails for any other.

use sha2::{Digest, Sha256};

use crate::signature::{self, SignatureError, PUBLIC_KEY_LEN, SIGNATURE_LEN};

/// Separates chip proofs from every other thing a P-256 key might sign.
pub const CHIP_PROOF_DOMAIN: &[u8; 16] = b"KG-STAY-CHIP-1\0\0";
/// Length of the terminal's challenge.
pub const CHALLENGE_LEN: usize = 16;
/// Length of the message the card signs.
pub const CHIP_PROOF_MESSAGE_LEN: usize = CHIP_PROOF_DOMAIN.len() + CHALLENGE_LEN + 32;

/// The terminal's challenge and the card's answer to it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ChipProof<'a> {
    pub challenge: &'a [u8; CHALLENGE_LEN],
    pub signature: &'a [u8; SIGNATURE_LEN],
}

/// The bytes the card signs for `challenge` over `record` (the whole record as stored).
pub fn chip_proof_message(
    challenge: &[u8; CHALLENGE_LEN],
    record: &[u8],
) -> [u8; CHIP_PROOF_MESSAGE_LEN] {
    let mut message = [0u8; CHIP_PROOF_MESSAGE_LEN];
    let (domain, rest) = message.split_at_mut(CHIP_PROOF_DOMAIN.len());
    let (chal, digest) = rest.split_at_mut(CHALLENGE_LEN);
    domain.copy_from_slice(CHIP_PROOF_DOMAIN);
    chal.copy_from_slice(challenge);
    digest.copy_from_slice(&Sha256::digest(record));
    message
}

impl ChipProof<'_> {
    /// Checks the proof against the chip key from the record.
    pub fn check(
        &self,
        chip_public_key: &[u8; PUBLIC_KEY_LEN],
        record: &[u8],
    ) -> Result<(), SignatureError> {
        let message = chip_proof_message(self.challenge, record);
        signature::verify(chip_public_key, &message, self.signature)
    }
}
