//! PACE (ICAO Doc 9303 part 11 §4.4, BSI TR-03110): the symmetric parts both sides share,
//! without a heap. The password is the card access number (CAN), the mapping Chip
//! Authentication Mapping over ECDH on NIST P-256 (Generic Mapping plus the chip's proof of
//! its key, [`crate::chip_proof`]), the cipher AES-128 with CMAC:
//! `id-PACE-ECDH-CAM-AES-CBC-CMAC-128`.
//!
//! What is here: the key derivation function (§9.7.1), the password key `K_pi`, the
//! nonce's encryption and decryption, the authentication tokens (§4.4.3.4), and AES-CBC /
//! CMAC as secure messaging uses them ([`crate::sm`]). Every step that does not depend on the
//! curve reproduces the worked example of ICAO 9303-11 Appendix G.1 (see the tests).

use aes::cipher::{BlockDecrypt, BlockEncrypt, KeyInit};
use aes::Aes128;
use cmac::{Cmac, Mac};
use sha1::{Digest, Sha1};

/// AES block and key length.
pub const BLOCK: usize = 16;
/// Length of a truncated MAC (authentication tokens, secure messaging).
pub const MAC_LEN: usize = 8;
/// Digits of a card access number.
pub const CAN_LEN: usize = 6;

/// `id-PACE-ECDH-GM-AES-CBC-CMAC-128`: 0.4.0.127.0.7.2.2.4.2.2, as its DER content bytes
/// (the worked example of Appendix G.1 uses it; this card does not offer it).
pub const OID_PACE_ECDH_GM_AES_128: [u8; 10] =
    [0x04, 0x00, 0x7F, 0x00, 0x07, 0x02, 0x02, 0x04, 0x02, 0x02];
/// `id-PACE-ECDH-CAM-AES-CBC-CMAC-128`: 0.4.0.127.0.7.2.2.4.6.2, the one protocol this card
/// and terminal speak.
pub const OID_PACE_ECDH_CAM_AES_128: [u8; 10] =
    [0x04, 0x00, 0x7F, 0x00, 0x07, 0x02, 0x02, 0x04, 0x06, 0x02];
/// The protocol of EF.CardAccess, MSE: Set AT and the authentication tokens.
pub const PROTOCOL_OID: [u8; 10] = OID_PACE_ECDH_CAM_AES_128;
/// Standardized domain parameter id of NIST P-256 (ICAO 9303-11 §9.5.1).
pub const PARAMETER_ID_P256: u8 = 12;
/// Password reference of the CAN in MSE:Set AT (tag `83`).
pub const PASSWORD_CAN: u8 = 0x02;

/// `head ‖ OID ‖ tail`: the two encodings that name the protocol carry its OID once.
const fn around_oid<const N: usize>(head: &[u8], tail: &[u8]) -> [u8; N] {
    let oid = PROTOCOL_OID;
    let mut out = [0u8; N];
    let mut i = 0;
    while i < N {
        out[i] = if i < head.len() {
            head[i]
        } else if i < head.len() + oid.len() {
            oid[i - head.len()]
        } else {
            tail[i - head.len() - oid.len()]
        };
        i += 1;
    }
    out
}

/// EF.CardAccess: one PACEInfo (`SET { SEQUENCE { OID, version 2, parameter id 12 } }`).
pub const CARD_ACCESS: [u8; 22] = around_oid(
    &[0x31, 0x14, 0x30, 0x12, 0x06, 0x0A],
    &[0x02, 0x01, 0x02, 0x02, 0x01, PARAMETER_ID_P256],
);

/// MSE: Set AT's data for PACE with the CAN on P-256: `80 <OID> 83 <CAN> 84 <id 12>`.
pub const MSE_SET_AT_DATA: [u8; 18] = around_oid(
    &[0x80, 0x0A],
    &[0x83, 0x01, PASSWORD_CAN, 0x84, 0x01, PARAMETER_ID_P256],
);

/// The counter that picks what [`kdf`] derives.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Derived {
    /// `KSenc`, the secure messaging encryption key.
    Encryption = 1,
    /// `KSmac`, the secure messaging MAC key.
    Mac = 2,
    /// `K_pi`, the key the nonce is encrypted with, from the password.
    Password = 3,
}

/// The key derivation function for AES-128 (ICAO 9303-11 §9.7.1): the first 16 bytes of
/// SHA-1(secret ‖ counter), the counter a 32-bit big-endian number.
pub fn kdf(secret: &[u8], derived: Derived) -> [u8; BLOCK] {
    let digest = Sha1::new()
        .chain_update(secret)
        .chain_update((derived as u32).to_be_bytes())
        .finalize();
    let mut key = [0u8; BLOCK];
    key.copy_from_slice(&digest[..BLOCK]);
    key
}

/// A card access number: six ASCII digits, printed on the card face.
#[derive(Clone, Copy, PartialEq, Eq)]
pub struct Can([u8; CAN_LEN]);

impl core::fmt::Debug for Can {
    // A CAN is a password: never in a log.
    fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
        f.write_str("Can(******)")
    }
}

/// A CAN that is not six ASCII digits.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct NotACan;

impl Can {
    pub fn parse(text: &str) -> Result<Can, NotACan> {
        let bytes: [u8; CAN_LEN] = text.as_bytes().try_into().map_err(|_| NotACan)?;
        if bytes.iter().all(u8::is_ascii_digit) {
            Ok(Can(bytes))
        } else {
            Err(NotACan)
        }
    }

    pub fn digits(&self) -> &[u8; CAN_LEN] {
        &self.0
    }

    /// `K_pi = KDF_pi(CAN)`: for the CAN the password itself is the secret (§9.7.3).
    pub fn password_key(&self) -> [u8; BLOCK] {
        kdf(&self.0, Derived::Password)
    }
}

fn aes(key: &[u8; BLOCK]) -> Aes128 {
    Aes128::new(&(*key).into())
}

fn encrypt_with(cipher: &Aes128, block: &[u8; BLOCK]) -> [u8; BLOCK] {
    let mut b = (*block).into();
    cipher.encrypt_block(&mut b);
    b.into()
}

fn decrypt_with(cipher: &Aes128, block: &[u8; BLOCK]) -> [u8; BLOCK] {
    let mut b = (*block).into();
    cipher.decrypt_block(&mut b);
    b.into()
}

/// E(key, block): one AES-128 block, as the nonce and the SM IV use it.
pub fn encrypt_block(key: &[u8; BLOCK], block: &[u8; BLOCK]) -> [u8; BLOCK] {
    encrypt_with(&aes(key), block)
}

/// The card encrypts its nonce `s` for the terminal: `z = E(K_pi, s)` (AES-CBC, zero IV, one
/// block).
pub fn encrypt_nonce(k_pi: &[u8; BLOCK], nonce: &[u8; BLOCK]) -> [u8; BLOCK] {
    encrypt_block(k_pi, nonce)
}

/// The terminal recovers the nonce: `s = D(K_pi, z)`. A wrong password gives another nonce,
/// never an error: the mismatch shows only at the authentication tokens.
pub fn decrypt_nonce(k_pi: &[u8; BLOCK], encrypted: &[u8; BLOCK]) -> [u8; BLOCK] {
    decrypt_with(&aes(k_pi), encrypted)
}

/// AES-128-CBC over whole blocks, in place (`data.len()` a multiple of 16).
pub fn cbc_encrypt(key: &[u8; BLOCK], iv: &[u8; BLOCK], data: &mut [u8]) {
    debug_assert_eq!(data.len() % BLOCK, 0);
    let cipher = aes(key);
    let mut chain = *iv;
    for block in data.chunks_exact_mut(BLOCK) {
        for (c, b) in chain.iter_mut().zip(block.iter()) {
            *c ^= b;
        }
        chain = encrypt_with(&cipher, &chain);
        block.copy_from_slice(&chain);
    }
}

/// AES-128-CBC decryption over whole blocks, in place.
pub fn cbc_decrypt(key: &[u8; BLOCK], iv: &[u8; BLOCK], data: &mut [u8]) {
    debug_assert_eq!(data.len() % BLOCK, 0);
    let cipher = aes(key);
    let mut chain = *iv;
    for block in data.chunks_exact_mut(BLOCK) {
        let mut next = [0u8; BLOCK];
        next.copy_from_slice(block);
        let plain = decrypt_with(&cipher, &next);
        for ((b, p), c) in block.iter_mut().zip(plain).zip(chain) {
            *b = p ^ c;
        }
        chain = next;
    }
}

/// AES-CMAC over the concatenation of `parts`, truncated to 8 bytes.
pub fn cmac8(key: &[u8; BLOCK], parts: &[&[u8]]) -> [u8; MAC_LEN] {
    let mut mac = <Cmac<Aes128> as KeyInit>::new(&(*key).into());
    for part in parts {
        mac.update(part);
    }
    let full = mac.finalize().into_bytes();
    let mut out = [0u8; MAC_LEN];
    out.copy_from_slice(&full[..MAC_LEN]);
    out
}

/// Compares two MACs in time independent of where they differ.
pub fn mac_eq(a: &[u8; MAC_LEN], b: &[u8; MAC_LEN]) -> bool {
    a.iter().zip(b).fold(0u8, |acc, (x, y)| acc | (x ^ y)) == 0
}

/// Length of an uncompressed P-256 point.
pub const POINT_LEN: usize = 65;

/// The public key data object an authentication token covers: `7F49 4F 06 0A <OID>
/// 86 41 <point>` (§4.4.3.4, §9.4.2), the OID the protocol's.
pub fn public_key_template(oid: &[u8; 10], point: &[u8; POINT_LEN]) -> [u8; 82] {
    let mut t = [0u8; 82];
    t[..5].copy_from_slice(&[0x7F, 0x49, 0x4F, 0x06, 0x0A]);
    t[5..15].copy_from_slice(oid);
    t[15..17].copy_from_slice(&[0x86, 0x41]);
    t[17..].copy_from_slice(point);
    t
}

/// An authentication token: `T = MAC(KSmac, PK_other)` over the other side's ephemeral
/// public key (the terminal's `T_IFD` covers the chip's key, the chip's `T_IC` the
/// terminal's).
pub fn authentication_token(ks_mac: &[u8; BLOCK], other: &[u8; POINT_LEN]) -> [u8; MAC_LEN] {
    authentication_token_for(&PROTOCOL_OID, ks_mac, other)
}

/// [`authentication_token`] for another protocol's OID (the Appendix G.1 example).
pub fn authentication_token_for(
    oid: &[u8; 10],
    ks_mac: &[u8; BLOCK],
    other: &[u8; POINT_LEN],
) -> [u8; MAC_LEN] {
    cmac8(ks_mac, &[&public_key_template(oid, other)])
}

/// Length of the encrypted chip authentication data: 32 bytes padded to three blocks.
pub const ENCRYPTED_CHIP_AUTHENTICATION_LEN: usize = 48;

/// The IV of the chip authentication data: `E(KSenc, -1)`, the all-ones block encrypted
/// (ICAO 9303-11 §4.4.3.5.1), so it never equals an IV secure messaging uses.
fn chip_authentication_iv(ks_enc: &[u8; BLOCK]) -> [u8; BLOCK] {
    encrypt_block(ks_enc, &[0xFF; BLOCK])
}

/// `A_IC = E(KSenc, CA_IC)`: AES-CBC of the 32-byte scalar with ISO/IEC 9797-1 padding
/// method 2.
pub fn encrypt_chip_authentication(
    ks_enc: &[u8; BLOCK],
    data: &[u8; 32],
) -> [u8; ENCRYPTED_CHIP_AUTHENTICATION_LEN] {
    let mut out = [0u8; ENCRYPTED_CHIP_AUTHENTICATION_LEN];
    out[..32].copy_from_slice(data);
    out[32] = 0x80;
    cbc_encrypt(ks_enc, &chip_authentication_iv(ks_enc), &mut out);
    out
}

/// The terminal's side of [`encrypt_chip_authentication`]: `None` when the padding is not
/// method 2 around exactly 32 bytes.
pub fn decrypt_chip_authentication(
    ks_enc: &[u8; BLOCK],
    encrypted: &[u8; ENCRYPTED_CHIP_AUTHENTICATION_LEN],
) -> Option<[u8; 32]> {
    let mut plain = *encrypted;
    cbc_decrypt(ks_enc, &chip_authentication_iv(ks_enc), &mut plain);
    if plain[32] != 0x80 || plain[33..].iter().any(|&b| b != 0) {
        return None;
    }
    let mut data = [0u8; 32];
    data.copy_from_slice(&plain[..32]);
    Some(data)
}

/// The session keys from the shared secret (the x coordinate of the agreed point).
pub fn session_keys(shared_secret: &[u8]) -> ([u8; BLOCK], [u8; BLOCK]) {
    (
        kdf(shared_secret, Derived::Encryption),
        kdf(shared_secret, Derived::Mac),
    )
}

mod exchange;
pub use exchange::*;

#[cfg(test)]
mod tests {
    extern crate std;
    use std::{format, vec::Vec};

    use super::*;

    fn hex<const N: usize>(text: &str) -> [u8; N] {
        let bytes: [u8; N] = hex::decode(text).unwrap().try_into().unwrap();
        bytes
    }

    /// The MRZ password of ICAO 9303-11 Appendix G.1 (document T22000129, born 640812,
    /// expires 101031): K = SHA-1 of the MRZ information with its check digits.
    fn mrz_secret() -> [u8; 20] {
        fn check_digit(field: &str) -> u8 {
            let value = |c: u8| match c {
                b'0'..=b'9' => u32::from(c - b'0'),
                b'A'..=b'Z' => u32::from(c - b'A') + 10,
                _ => 0,
            };
            let sum: u32 = field
                .bytes()
                .zip([7, 3, 1].iter().cycle())
                .map(|(c, w)| value(c) * w)
                .sum();
            b'0' + (sum % 10) as u8
        }
        let mut mrz = Vec::new();
        for field in ["T22000129", "640812", "101031"] {
            mrz.extend_from_slice(field.as_bytes());
            mrz.push(check_digit(field));
        }
        Sha1::digest(&mrz).into()
    }

    #[test]
    fn the_curve_independent_steps_of_icao_9303_11_appendix_g1() {
        // K_pi from the password.
        let k_pi = kdf(&mrz_secret(), Derived::Password);
        assert_eq!(k_pi, hex::<16>("89DED1B26624EC1E634C1989302849DD"));
        // The nonce, as the chip sent it and as it decrypts.
        let z = hex::<16>("95A3A016522EE98D01E76CB6B98B42C3");
        let s = hex::<16>("3F00C4D39D153F2B2A214A078D899B22");
        assert_eq!(decrypt_nonce(&k_pi, &z), s);
        assert_eq!(encrypt_nonce(&k_pi, &s), z);
        // Session keys from the shared secret.
        let shared = hex::<32>("28768D20701247DAE81804C9E780EDE582A9996DB4A315020B2733197DB84925");
        let (ks_enc, ks_mac) = session_keys(&shared);
        assert_eq!(ks_enc, hex::<16>("F5F0E35C0D7161EE6724EE513A0D9A7F"));
        assert_eq!(ks_mac, hex::<16>("FE251C7858B356B24514B3BD5F4297D1"));
        // The authentication tokens over the other side's ephemeral public key.
        let chip = hex::<65>(
            "049E880F842905B8B3181F7AF7CAA9F0EFB743847F44A306D2D28C1D9EC65DF6DB\
             7764B22277A2EDDC3C265A9F018F9CB852E111B768B326904B59A0193776F094",
        );
        let terminal = hex::<65>(
            "042DB7A64C0355044EC9DF190514C625CBA2CEA48754887122F3A5EF0D5EDD301C\
             3556F3B3B186DF10B857B58F6A7EB80F20BA5DC7BE1D43D9BF850149FBB36462",
        );
        assert_eq!(
            public_key_template(&OID_PACE_ECDH_GM_AES_128, &chip)[..],
            hex::decode(
                "7F494F060A04007F000702020402028641049E880F842905B8B3181F7AF7CAA9F0EFB7\
                 43847F44A306D2D28C1D9EC65DF6DB7764B22277A2EDDC3C265A9F018F9CB852E111B7\
                 68B326904B59A0193776F094"
            )
            .unwrap()[..]
        );
        assert_eq!(
            authentication_token_for(&OID_PACE_ECDH_GM_AES_128, &ks_mac, &chip),
            hex::<8>("C2B0BD78D94BA866")
        );
        assert_eq!(
            authentication_token_for(&OID_PACE_ECDH_GM_AES_128, &ks_mac, &terminal),
            hex::<8>("3ABB9674BCE93C08")
        );
    }

    #[test]
    fn the_card_access_and_mse_data_carry_our_oid_and_curve() {
        assert_eq!(CARD_ACCESS[6..16], OID_PACE_ECDH_CAM_AES_128);
        assert_eq!(MSE_SET_AT_DATA[2..12], OID_PACE_ECDH_CAM_AES_128);
        // The encodings are canonical DER / BER-TLV: the lengths add up.
        assert_eq!(usize::from(CARD_ACCESS[1]), CARD_ACCESS.len() - 2);
        assert_eq!(usize::from(CARD_ACCESS[3]), CARD_ACCESS.len() - 4);
    }

    #[test]
    fn chip_authentication_data_roundtrips_and_refuses_bad_padding() {
        let ks_enc = [3u8; 16];
        let data = [0xA5u8; 32];
        let encrypted = encrypt_chip_authentication(&ks_enc, &data);
        assert_eq!(decrypt_chip_authentication(&ks_enc, &encrypted), Some(data));
        // Another key decrypts to noise, whose padding fails.
        assert_eq!(decrypt_chip_authentication(&[4u8; 16], &encrypted), None);
        let mut changed = encrypted;
        changed[47] ^= 1;
        assert_eq!(decrypt_chip_authentication(&ks_enc, &changed), None);
    }

    #[test]
    fn cbc_roundtrips_and_a_can_is_six_digits() {
        let key = [7u8; 16];
        let iv = [9u8; 16];
        let plain: Vec<u8> = (0..48).collect();
        let mut data = plain.clone();
        cbc_encrypt(&key, &iv, &mut data);
        assert_ne!(data, plain);
        cbc_decrypt(&key, &iv, &mut data);
        assert_eq!(data, plain);
        assert!(Can::parse("123456").is_ok());
        for bad in ["12345", "1234567", "12a456", "", "１２３４５６"] {
            assert_eq!(Can::parse(bad), Err(NotACan), "{bad}");
        }
        assert_eq!(
            format!("{:?}", Can::parse("123456").unwrap()),
            "Can(******)"
        );
    }
}
