//! Chip proof: the card shows it holds the private key named in its signed record, through
//! PACE with Chip Authentication Mapping (PACE-CAM, ICAO 9303-11 §4.4.3.5).
//!
//! In PACE's last step the chip sends `CA_IC = SK_IC⁻¹ · SK_Map,IC mod n` (encrypted under
//! the session key), and the terminal checks `CA_IC · PK_IC = PK_Map,IC`: the mapping key the
//! chip used in step 2 is the chip key times a number only the chip key's holder can make.
//! The chip key `PK_IC` is the one the issuer signed into the record, so a genuine record
//! copied into another chip fails.
//!
//! Unlike a signature over a terminal's challenge, a pair `(PK_Map,IC, CA_IC)` is no proof to
//! anyone but the terminal that ran the exchange: anyone can pick a `CA` and compute
//! `PK_Map = CA · PK_IC`, so a recorded border check shows nothing a forger could not make.

use p256::elliptic_curve::{Field, PrimeField};
use p256::{FieldBytes, Scalar};

use crate::curve;
use crate::pace::POINT_LEN;
use crate::signature::PUBLIC_KEY_LEN;

/// Length of the chip authentication data: a P-256 scalar, always 32 bytes.
pub const CHIP_AUTHENTICATION_LEN: usize = 32;

/// What PACE-CAM gave the terminal: the chip's mapping key from step 2 and the decrypted
/// chip authentication data from step 4.
#[derive(Clone, Copy, PartialEq, Eq)]
pub struct ChipAuthentication {
    pub card_mapping_key: [u8; POINT_LEN],
    pub data: [u8; CHIP_AUTHENTICATION_LEN],
}

impl core::fmt::Debug for ChipAuthentication {
    fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
        f.write_str("ChipAuthentication(..)")
    }
}

/// Why a chip authentication does not hold.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ChipAuthenticationError {
    /// The record's chip key is not a P-256 point.
    ChipKey,
    /// The data is not a scalar in `1..n`, or the mapping key is not a point.
    Malformed,
    /// `CA_IC · PK_IC ≠ PK_Map,IC`: another chip, or a changed exchange.
    Mismatch,
}

impl ChipAuthentication {
    /// Checks `data · chip_public_key = card_mapping_key`.
    pub fn check(
        &self,
        chip_public_key: &[u8; PUBLIC_KEY_LEN],
    ) -> Result<(), ChipAuthenticationError> {
        if !curve::is_point(chip_public_key) {
            return Err(ChipAuthenticationError::ChipKey);
        }
        if !curve::is_point(&self.card_mapping_key) {
            return Err(ChipAuthenticationError::Malformed);
        }
        // `None` here: the data is not a scalar in 1..n.
        let product =
            curve::mul(&self.data, chip_public_key).ok_or(ChipAuthenticationError::Malformed)?;
        if product == self.card_mapping_key {
            Ok(())
        } else {
            Err(ChipAuthenticationError::Mismatch)
        }
    }

    /// What a chip holding `chip_secret` sends for the mapping secret `mapping_secret` (the
    /// card's side; also how tests forge a pair for a key they hold).
    pub fn data_for(chip_secret: &Scalar, mapping_secret: &Scalar) -> Option<[u8; 32]> {
        let inverse: Option<Scalar> = chip_secret.invert().into();
        Some((inverse? * mapping_secret).to_repr().into())
    }

    /// The pair a chip holding `chip_secret` proves with the mapping secret
    /// `mapping_secret` (both scalars in `1..n`): what a test's chip would send.
    pub fn of_chip(chip_secret: &[u8; 32], mapping_secret: &[u8; 32]) -> Option<Self> {
        let scalar = |b: &[u8; 32]| -> Option<Scalar> {
            Option::<Scalar>::from(Scalar::from_repr(FieldBytes::from(*b)))
                .filter(|s| !bool::from(s.is_zero()))
        };
        let (chip, mapping) = (scalar(chip_secret)?, scalar(mapping_secret)?);
        Some(ChipAuthentication {
            card_mapping_key: chip_public_key(&mapping)?,
            data: Self::data_for(&chip, &mapping)?,
        })
    }

    /// A pair anyone can make for a public chip key: why a recorded exchange proves nothing
    /// to a third party (see the tests).
    pub fn simulate(chip_public_key: &[u8; PUBLIC_KEY_LEN], ca: &[u8; 32]) -> Option<Self> {
        Some(ChipAuthentication {
            card_mapping_key: curve::mul(ca, chip_public_key)?,
            data: *ca,
        })
    }
}

/// The public key of a chip secret, as a record names it (tests, the card).
pub fn chip_public_key(secret: &Scalar) -> Option<[u8; PUBLIC_KEY_LEN]> {
    curve::mul_base(&secret.to_repr().into())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn scalar(byte: u8) -> Scalar {
        let mut b = [byte; 32];
        b[0] = 0x01;
        Scalar::from_repr(FieldBytes::from(b)).unwrap()
    }

    #[test]
    fn the_chip_key_holder_passes_and_another_chip_fails() {
        let chip = scalar(7);
        let mapping = scalar(9);
        let pk = chip_public_key(&chip).unwrap();
        let auth = ChipAuthentication {
            card_mapping_key: chip_public_key(&mapping).unwrap(),
            data: ChipAuthentication::data_for(&chip, &mapping).unwrap(),
        };
        assert_eq!(auth.check(&pk), Ok(()));
        let other = chip_public_key(&scalar(8)).unwrap();
        assert_eq!(auth.check(&other), Err(ChipAuthenticationError::Mismatch));
        let mut flipped = auth;
        flipped.data[31] ^= 1;
        assert_eq!(flipped.check(&pk), Err(ChipAuthenticationError::Mismatch));
        let zero = ChipAuthentication {
            data: [0; 32],
            ..auth
        };
        assert_eq!(zero.check(&pk), Err(ChipAuthenticationError::Malformed));
        let mut not_a_key = pk;
        not_a_key[64] ^= 1;
        assert_eq!(
            auth.check(&not_a_key),
            Err(ChipAuthenticationError::ChipKey)
        );
    }

    #[test]
    fn a_pair_is_forgeable_without_the_chip_so_a_transcript_proves_nothing() {
        // Whoever holds only the public key makes a pair that checks: unlike a signature,
        // the terminal's record of an exchange is no evidence of where the card was.
        let pk = chip_public_key(&scalar(7)).unwrap();
        let forged = ChipAuthentication::simulate(&pk, &scalar(42).to_repr().into()).unwrap();
        assert_eq!(forged.check(&pk), Ok(()));
    }
}
