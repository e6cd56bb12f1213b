//! ECDSA P-256 / SHA-256 with raw `r || s` signatures, low-S only: the one signature check.
//!
//! Low-S only makes every signature unique: for a valid `(r, s)` the twin `(r, n - s)` also
//! verifies mathematically, and accepting both would give one record two byte encodings.

use core::fmt;

#[cfg(not(all(feature = "cortex-m4-asm", target_arch = "arm")))]
use ecdsa::signature::Verifier;
use p256::ecdsa::{Signature, VerifyingKey};
use sha2::{Digest, Sha256};

/// Length of a raw `r || s` signature.
pub const SIGNATURE_LEN: usize = 64;
/// Length of an uncompressed SEC1 public key (`04 || x || y`).
pub const PUBLIC_KEY_LEN: usize = 65;
/// Length of a key id.
pub const KEY_ID_LEN: usize = 8;

/// Identifies a key: the first 6 bytes of SHA-256 over its uncompressed SEC1 encoding,
/// then a CRC-16/CCITT of those 6 bytes (big endian).
///
/// A key id only finds a key; the key found then checks the signature, so a collision can
/// at worst make a record fail, never verify under a key that did not sign it. The CRC
/// makes a damaged id (any 1 to 3 flipped bits, any burst up to 16 bits) malformed rather
/// than "unknown signer": damage is Invalid, a signer this terminal has not heard of yet
/// is Indeterminate.
#[derive(Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct KeyId(pub [u8; KEY_ID_LEN]);

const KEY_ID_DIGEST_LEN: usize = 6;

/// CRC-16/CCITT-FALSE (polynomial 0x1021, initial value 0xFFFF): key-id check digits, and the integrity
/// of the scanner's flash headers and imager frames.
pub fn crc16(bytes: &[u8]) -> u16 {
    bytes.iter().fold(0xFFFF, |mut crc: u16, &b| {
        crc ^= u16::from(b) << 8;
        for _ in 0..8 {
            crc = if crc & 0x8000 != 0 {
                crc << 1 ^ 0x1021
            } else {
                crc << 1
            };
        }
        crc
    })
}

impl KeyId {
    pub fn of(public_key: &[u8; PUBLIC_KEY_LEN]) -> KeyId {
        let digest = Sha256::digest(public_key);
        let mut id = [0u8; KEY_ID_LEN];
        id[..KEY_ID_DIGEST_LEN].copy_from_slice(&digest[..KEY_ID_DIGEST_LEN]);
        let check = crc16(&id[..KEY_ID_DIGEST_LEN]).to_be_bytes();
        id[KEY_ID_DIGEST_LEN..].copy_from_slice(&check);
        KeyId(id)
    }

    /// Whether the id's check bytes match: false for a damaged id.
    pub fn is_well_formed(&self) -> bool {
        self.0[KEY_ID_DIGEST_LEN..] == crc16(&self.0[..KEY_ID_DIGEST_LEN]).to_be_bytes()
    }
}

impl fmt::Display for KeyId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        self.0.iter().try_for_each(|b| write!(f, "{b:02x}"))
    }
}

impl fmt::Debug for KeyId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "KeyId({self})")
    }
}

#[cfg(feature = "serde")]
impl serde::Serialize for KeyId {
    fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.collect_str(self)
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum SignatureError {
    /// Not a point on P-256 in SEC1 form.
    BadPublicKey,
    /// Not 64 bytes, or `r` or `s` zero or not below the group order.
    MalformedSignature,
    /// `s` above n/2: the malleable twin of a valid signature.
    HighS,
    /// The signature does not match the message and key.
    Mismatch,
}

/// A P-256 public key, checked to be on the curve.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct PublicKey(VerifyingKey);

impl PublicKey {
    pub fn from_sec1(bytes: &[u8]) -> Result<PublicKey, SignatureError> {
        VerifyingKey::from_sec1_bytes(bytes)
            .map(PublicKey)
            .map_err(|_| SignatureError::BadPublicKey)
    }

    /// The uncompressed SEC1 encoding.
    pub fn to_sec1(&self) -> [u8; PUBLIC_KEY_LEN] {
        let point = self.0.to_encoded_point(false);
        let mut out = [0u8; PUBLIC_KEY_LEN];
        out.copy_from_slice(point.as_bytes());
        out
    }

    pub fn key_id(&self) -> KeyId {
        KeyId::of(&self.to_sec1())
    }

    /// Checks a raw `r || s` signature over `message` (hashed with SHA-256), low-S only.
    pub fn verify(&self, message: &[u8], signature: &[u8]) -> Result<(), SignatureError> {
        let sig =
            Signature::from_slice(signature).map_err(|_| SignatureError::MalformedSignature)?;
        if sig.normalize_s().is_some() {
            return Err(SignatureError::HighS);
        }
        if self.curve_verify(message, &sig) {
            Ok(())
        } else {
            Err(SignatureError::Mismatch)
        }
    }

    /// The curve arithmetic: RustCrypto's generic `p256`.
    #[cfg(not(all(feature = "cortex-m4-asm", target_arch = "arm")))]
    fn curve_verify(&self, message: &[u8], sig: &Signature) -> bool {
        self.0.verify(message, sig).is_ok()
    }

    /// The curve arithmetic: P256-Cortex-M4's assembly. Everything above (encoding, range,
    /// low S) is the same for both backends.
    #[cfg(all(feature = "cortex-m4-asm", target_arch = "arm"))]
    fn curve_verify(&self, message: &[u8], sig: &Signature) -> bool {
        let rs = sig.to_bytes();
        let (r, s) = rs.split_at(32);
        let (Ok(r), Ok(s)) = (r.try_into(), s.try_into()) else {
            return false;
        };
        p256_m4::verify(&self.to_sec1(), &Sha256::digest(message).into(), r, s)
    }
}

/// Checks `signature` over `message` with a SEC1-encoded key.
pub fn verify(public_key: &[u8], message: &[u8], signature: &[u8]) -> Result<(), SignatureError> {
    PublicKey::from_sec1(public_key)?.verify(message, signature)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn crc16_check_value() {
        // The catalogued check value of CRC-16/CCITT-FALSE.
        assert_eq!(crc16(b"123456789"), 0x29B1);
    }

    #[test]
    fn every_one_and_two_bit_error_in_a_key_id_is_detected() {
        let id = KeyId::of(&[4; PUBLIC_KEY_LEN]);
        assert!(id.is_well_formed());
        for i in 0..64 {
            for j in i..64 {
                let mut damaged = id;
                damaged.0[i / 8] ^= 1 << (i % 8);
                if j != i {
                    damaged.0[j / 8] ^= 1 << (j % 8);
                }
                assert!(!damaged.is_well_formed(), "bits {i} {j}");
            }
        }
    }
}
