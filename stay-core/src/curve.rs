//! P-256 scalar multiplication over encoded points: the one place PACE's and the chip
//! proof's curve arithmetic runs. On the scanner (`cortex-m4-asm`, ARM) the multiplications
//! are P256-Cortex-M4's assembly; elsewhere, and for the one point addition Generic Mapping
//! needs, RustCrypto's `p256`.
//!
//! Points are uncompressed SEC1 (`04 ‖ X ‖ Y`, 32-byte coordinates, leading zeros kept);
//! scalars 32-byte big-endian integers in `1..n`. Every function checks its inputs and
//! answers `None` for a point off the curve, a scalar out of range or the identity.

use p256::elliptic_curve::sec1::{FromEncodedPoint, ToEncodedPoint};
use p256::{AffinePoint, EncodedPoint, ProjectivePoint};

/// An uncompressed P-256 point.
pub type Point = [u8; 65];

/// The point, if `bytes` are an uncompressed encoding of one on the curve.
fn affine(bytes: &[u8]) -> Option<AffinePoint> {
    if bytes.len() != 65 || bytes[0] != 0x04 {
        return None;
    }
    let encoded = EncodedPoint::from_bytes(bytes).ok()?;
    AffinePoint::from_encoded_point(&encoded).into()
}

fn encode(point: &ProjectivePoint) -> Option<Point> {
    point
        .to_affine()
        .to_encoded_point(false)
        .as_bytes()
        .try_into()
        .ok()
}

/// Whether `bytes` are an uncompressed point on the curve (never the identity, which has
/// no such encoding).
pub fn is_point(bytes: &[u8]) -> bool {
    affine(bytes).is_some()
}

/// `a + b`; `None` for an input off the curve or a sum at infinity.
pub fn add(a: &[u8], b: &[u8]) -> Option<Point> {
    encode(&(ProjectivePoint::from(affine(a)?) + affine(b)?))
}

#[cfg(not(all(feature = "cortex-m4-asm", target_arch = "arm")))]
fn scalar(k: &[u8; 32]) -> Option<p256::Scalar> {
    use p256::elliptic_curve::{Field, PrimeField};
    Option::<p256::Scalar>::from(p256::Scalar::from_repr((*k).into()))
        .filter(|s| !bool::from(s.is_zero()))
}

/// `k · G`.
pub fn mul_base(k: &[u8; 32]) -> Option<Point> {
    #[cfg(all(feature = "cortex-m4-asm", target_arch = "arm"))]
    return p256_m4::mul_base(k);
    #[cfg(not(all(feature = "cortex-m4-asm", target_arch = "arm")))]
    encode(&(ProjectivePoint::GENERATOR * scalar(k)?))
}

/// `k · P` for a point `P` given encoded.
pub fn mul(k: &[u8; 32], point: &[u8]) -> Option<Point> {
    #[cfg(all(feature = "cortex-m4-asm", target_arch = "arm"))]
    return p256_m4::mul(k, point.try_into().ok()?);
    #[cfg(not(all(feature = "cortex-m4-asm", target_arch = "arm")))]
    encode(&(ProjectivePoint::from(affine(point)?) * scalar(k)?))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn multiplication_and_addition_agree_and_bad_inputs_are_refused() {
        let two = {
            let mut k = [0u8; 32];
            k[31] = 2;
            k
        };
        let mut one = [0u8; 32];
        one[31] = 1;
        let g = mul_base(&one).unwrap();
        assert_eq!(mul_base(&two), add(&g, &g));
        assert_eq!(mul(&two, &g), mul_base(&two));
        assert_eq!(mul_base(&[0; 32]), None);
        assert_eq!(mul_base(&[0xFF; 32]), None, "a scalar of n or more");
        let mut off = g;
        off[64] ^= 1;
        assert!(!is_point(&off));
        assert_eq!(mul(&two, &off), None);
        assert_eq!(add(&g, &off), None);
        // G + (−G) is the identity: no encoding.
        let minus_g = encode(&(-ProjectivePoint::GENERATOR)).unwrap();
        assert!(is_point(&minus_g));
        assert_eq!(add(&g, &minus_g), None);
    }
}
