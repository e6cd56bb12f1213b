//! Key files: private keys as PKCS#8 PEM, public keys as SPKI PEM, exactly as openssl
//! writes and reads them (`openssl pkey -in K.key.pem -pubout` prints the `.pub.pem`).

use std::path::Path;

use anyhow::{Context, Result};
use p256::ecdsa::signature::Signer;
use p256::ecdsa::{Signature, SigningKey};
use p256::pkcs8::{DecodePrivateKey, EncodePrivateKey, LineEnding};
use sha2::{Digest, Sha256};
use stay_core::signature::PUBLIC_KEY_LEN;
use stay_core::{KeyId, PublicKey};

/// A P-256 private key that signs records, lists or chip proofs.
#[derive(Clone)]
pub struct KeyPair {
    signing: SigningKey,
}

impl KeyPair {
    pub fn generate() -> KeyPair {
        KeyPair {
            signing: SigningKey::random(&mut rand_core::OsRng),
        }
    }

    /// A key derived from a label: for reproducible test vectors only, never for issuing.
    pub fn from_seed(label: &str) -> KeyPair {
        let mut counter = 0u32;
        loop {
            let digest = Sha256::new()
                .chain_update(label.as_bytes())
                .chain_update(counter.to_be_bytes())
                .finalize();
            if let Ok(signing) = SigningKey::from_slice(&digest) {
                return KeyPair { signing };
            }
            counter += 1;
        }
    }

    /// The private scalar: for the card images of test vectors (a chip key the vectors
    /// name), never for an issuing key.
    pub fn secret_bytes(&self) -> [u8; 32] {
        self.signing.to_bytes().into()
    }

    pub fn public_sec1(&self) -> [u8; PUBLIC_KEY_LEN] {
        let point = self.signing.verifying_key().to_encoded_point(false);
        point
            .as_bytes()
            .try_into()
            .expect("an uncompressed P-256 point is 65 bytes")
    }

    pub fn public_key(&self) -> PublicKey {
        PublicKey::from_sec1(&self.public_sec1()).expect("a generated key is on the curve")
    }

    pub fn key_id(&self) -> KeyId {
        KeyId::of(&self.public_sec1())
    }

    /// ECDSA P-256 / SHA-256 over `message`, raw r||s, normalized to low S (the only form
    /// verifiers accept).
    pub fn sign(&self, message: &[u8]) -> [u8; 64] {
        let sig: Signature = self.signing.sign(message);
        let sig = sig.normalize_s().unwrap_or(sig);
        sig.to_bytes().into()
    }

    pub fn private_pem(&self) -> Result<String> {
        Ok(self.signing.to_pkcs8_pem(LineEnding::LF)?.to_string())
    }

    pub fn public_pem(&self) -> Result<String> {
        stay_std::pem::public_pem(&self.public_sec1())
    }

    pub fn read(path: &Path) -> Result<KeyPair> {
        let pem = stay_std::files::read_to_string(path)?;
        let signing = SigningKey::from_pkcs8_pem(&pem).with_context(|| {
            format!(
                "{} is not a P-256 private key in PKCS#8 PEM",
                path.display()
            )
        })?;
        Ok(KeyPair { signing })
    }

    /// Writes `NAME.key.pem` (mode 0600) and `NAME.pub.pem` into `dir`.
    pub fn write(&self, dir: &Path, name: &str) -> Result<()> {
        let private = dir.join(format!("{name}.key.pem"));
        stay_std::files::write_private(&private, self.private_pem()?.as_bytes())?;
        stay_std::files::write_atomic(
            &dir.join(format!("{name}.pub.pem")),
            self.public_pem()?.as_bytes(),
        )
    }
}
