//! Public keys as SPKI PEM, exactly as openssl writes and reads them (`openssl pkey -in
//! K.key.pem -pubout` prints the `.pub.pem`). Private keys are the authority's business
//! (`issuer::keys`); every terminal needs only public ones.

use std::path::Path;

use anyhow::{Context, Result};
use p256::ecdsa::VerifyingKey;
use p256::pkcs8::{DecodePublicKey, EncodePublicKey, LineEnding};
use stay_core::PublicKey;

/// SPKI PEM of an uncompressed SEC1 public key.
pub fn public_pem(sec1: &[u8]) -> Result<String> {
    let key = VerifyingKey::from_sec1_bytes(sec1).context("not a P-256 public key")?;
    Ok(key.to_public_key_pem(LineEnding::LF)?)
}

/// Reads an SPKI PEM public key (`-----BEGIN PUBLIC KEY-----`).
pub fn read_public(path: &Path) -> Result<PublicKey> {
    let pem = crate::files::read_to_string(path)?;
    parse_public_pem(&pem)
        .with_context(|| format!("{} is not a P-256 public key in SPKI PEM", path.display()))
}

pub fn parse_public_pem(pem: &str) -> Result<PublicKey> {
    let key = VerifyingKey::from_public_key_pem(pem)?;
    let point = key.to_encoded_point(false);
    PublicKey::from_sec1(point.as_bytes()).map_err(|e| anyhow::anyhow!("{e:?}"))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_public_key_survives_pem_and_garbage_is_refused() {
        // The generator point of P-256: a valid public key anyone can name.
        let g = "046B17D1F2E12C4247F8BCE6E563A440F277037D812DEB33A0F4A13945D898C2964FE342E2FE1A7F9B8EE7EB4A7C0F9E162BCE33576B315ECECBB6406837BF51F5";
        let sec1: Vec<u8> = (0..g.len())
            .step_by(2)
            .map(|i| u8::from_str_radix(&g[i..i + 2], 16).unwrap())
            .collect();
        let pem = public_pem(&sec1).unwrap();
        assert!(pem.starts_with("-----BEGIN PUBLIC KEY-----"));
        assert_eq!(parse_public_pem(&pem).unwrap().to_sec1()[..], sec1[..]);
        assert!(
            parse_public_pem("-----BEGIN PUBLIC KEY-----\nAAAA\n-----END PUBLIC KEY-----\n")
                .is_err()
        );
        assert!(public_pem(&sec1[..64]).is_err());
    }
}
