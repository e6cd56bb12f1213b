//! The card's persistent memory (its "EEPROM") as a JSON image file.
//!
//! A blank image holds what the card maker loads: the serial number and the
//! personalization public key. Personalization adds the chip key pair, the record and the
//! portrait, then the lock. The bridge writes the image atomically (temporary file, fsync,
//! rename) before it answers the command that changed it, so a crash leaves either the old
//! card or the new one, and a `9000` the station saw is never lost.

use std::path::Path;

use anyhow::{bail, ensure, Context, Result};
use serde::{Deserialize, Serialize};
use stay_core::apdu::{PERSONALIZATION_TRIES, PORTRAIT_MAX_LEN, SERIAL_LEN};
use stay_core::pace::Can;
use stay_core::record::MAX_RECORD_LEN;
use stay_core::signature::PUBLIC_KEY_LEN;
use stay_core::PublicKey;

/// The image's format tag; any other value is refused.
pub const IMAGE_FORMAT: &str = "kg-stay-card-image-1";

/// The card's persistent state, typed.
#[derive(Clone, PartialEq, Eq)]
pub struct CardImage {
    pub serial: [u8; SERIAL_LEN],
    /// The personalization key the card maker loaded; only its holder may personalize.
    pub personalization_key: [u8; PUBLIC_KEY_LEN],
    pub locked: bool,
    /// Station authentications that may still fail before personalization is blocked.
    pub tries_left: u8,
    /// The chip's private key (a scalar), generated on the card and never output.
    pub chip_private_key: Option<[u8; 32]>,
    pub record: Option<Vec<u8>>,
    pub portrait: Option<Vec<u8>>,
    /// The card access number printed on the card face: PACE's password, stored by the
    /// station with the record. Every locked card has one.
    pub can: Option<Can>,
    /// PACE attempts begun and not completed since the last success: the slow-down's
    /// count, saved when an attempt begins so that pulling the card mid-attempt does not
    /// reset it.
    pub pace_failures: u16,
}

impl std::fmt::Debug for CardImage {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        // The private key stays out of logs and panic messages.
        f.debug_struct("CardImage")
            .field("serial", &hex::encode_upper(self.serial))
            .field("locked", &self.locked)
            .field("tries_left", &self.tries_left)
            .field("chip_key", &self.chip_private_key.is_some())
            .field("record_len", &self.record.as_ref().map(Vec::len))
            .field("portrait_len", &self.portrait.as_ref().map(Vec::len))
            .field("can", &self.can.is_some())
            .field("pace_failures", &self.pace_failures)
            .finish()
    }
}

/// The file layout: hex strings, so the image is readable and diffable.
#[derive(Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
struct ImageFile {
    format: String,
    serial: String,
    personalization_key: String,
    locked: bool,
    tries_left: u8,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    chip_private_key: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    record: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    portrait: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    can: Option<String>,
    #[serde(default, skip_serializing_if = "is_zero")]
    pace_failures: u16,
}

fn is_zero(n: &u16) -> bool {
    *n == 0
}

fn fixed<const N: usize>(field: &str, text: &str) -> Result<[u8; N]> {
    let bytes = hex::decode(text).with_context(|| format!("{field}: not hex"))?;
    bytes
        .try_into()
        .map_err(|b: Vec<u8>| anyhow::anyhow!("{field}: {} bytes, expected {N}", b.len()))
}

impl CardImage {
    /// A blank card as the card maker ships it.
    pub fn blank(serial: [u8; SERIAL_LEN], personalization_key: &PublicKey) -> CardImage {
        CardImage {
            serial,
            personalization_key: personalization_key.to_sec1(),
            locked: false,
            tries_left: PERSONALIZATION_TRIES,
            chip_private_key: None,
            record: None,
            portrait: None,
            can: None,
            pace_failures: 0,
        }
    }

    pub fn from_json(text: &str) -> Result<CardImage> {
        let file: ImageFile = serde_json::from_str(text).context("card image is not valid")?;
        ensure!(
            file.format == IMAGE_FORMAT,
            "card image format {:?}, expected {IMAGE_FORMAT:?}",
            file.format
        );
        let personalization_key = fixed("personalization_key", &file.personalization_key)?;
        PublicKey::from_sec1(&personalization_key)
            .map_err(|_| anyhow::anyhow!("personalization_key: not a P-256 point"))?;
        ensure!(
            file.tries_left <= PERSONALIZATION_TRIES,
            "tries_left: at most {PERSONALIZATION_TRIES}"
        );
        let chip_private_key = file
            .chip_private_key
            .map(|k| fixed::<32>("chip_private_key", &k))
            .transpose()?;
        if let Some(k) = &chip_private_key {
            p256::ecdsa::SigningKey::from_slice(k)
                .map_err(|_| anyhow::anyhow!("chip_private_key: not a P-256 scalar"))?;
        }
        let record = file
            .record
            .map(|r| hex::decode(r).context("record: not hex"))
            .transpose()?;
        if record.as_ref().is_some_and(|r| r.len() > MAX_RECORD_LEN) {
            bail!("record: longer than {MAX_RECORD_LEN} bytes");
        }
        let portrait = file
            .portrait
            .map(|p| hex::decode(p).context("portrait: not hex"))
            .transpose()?;
        if portrait
            .as_ref()
            .is_some_and(|p| p.len() > PORTRAIT_MAX_LEN)
        {
            bail!("portrait: longer than {PORTRAIT_MAX_LEN} bytes");
        }
        let can = file
            .can
            .map(|c| Can::parse(&c).map_err(|_| anyhow::anyhow!("can: six digits")))
            .transpose()?;
        ensure!(
            !file.locked || (chip_private_key.is_some() && record.is_some() && can.is_some()),
            "a locked card must hold a chip key, a record and a CAN"
        );
        Ok(CardImage {
            can,
            serial: fixed("serial", &file.serial)?,
            personalization_key,
            locked: file.locked,
            tries_left: file.tries_left,
            chip_private_key,
            record,
            portrait,
            pace_failures: file.pace_failures,
        })
    }

    pub fn to_json(&self) -> String {
        let file = ImageFile {
            format: IMAGE_FORMAT.into(),
            serial: hex::encode_upper(self.serial),
            personalization_key: hex::encode_upper(self.personalization_key),
            locked: self.locked,
            tries_left: self.tries_left,
            chip_private_key: self.chip_private_key.map(hex::encode_upper),
            record: self.record.as_ref().map(hex::encode_upper),
            portrait: self.portrait.as_ref().map(hex::encode_upper),
            can: self
                .can
                .map(|c| String::from_utf8_lossy(c.digits()).into_owned()),
            pace_failures: self.pace_failures,
        };
        let mut text = serde_json::to_string_pretty(&file).expect("an image serializes");
        text.push('\n');
        text
    }

    pub fn read(path: &Path) -> Result<CardImage> {
        let text = std::fs::read_to_string(path)
            .with_context(|| format!("cannot read card image {}", path.display()))?;
        CardImage::from_json(&text).with_context(|| format!("card image {}", path.display()))
    }

    /// Writes the image atomically, readable by its owner only (it holds the chip key).
    pub fn write(&self, path: &Path) -> Result<()> {
        stay_std::files::write_private(path, self.to_json().as_bytes())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn images_roundtrip_and_damaged_ones_are_refused() {
        let point = p256::ecdsa::SigningKey::from_slice(&[7; 32])
            .unwrap()
            .verifying_key()
            .to_encoded_point(false);
        let key = stay_core::PublicKey::from_sec1(point.as_bytes()).unwrap();
        let mut card = CardImage::blank(*b"\x01\x02\x03\x04\x05\x06\x07\x08", &key);
        card.record = Some(vec![1, 2, 3]);
        let text = card.to_json();
        assert_eq!(CardImage::from_json(&text).unwrap(), card);
        for (from, to) in [
            (IMAGE_FORMAT, "kg-stay-card-image-9"),
            ("\"locked\": false", "\"locked\": true"),
            ("\"tries_left\": 10", "\"tries_left\": 11"),
            ("0102030405060708", "01020304050607"),
            ("\"record\": \"010203\"", "\"record\": \"01020\""),
            ("\"locked\"", "\"unknown\": 1, \"locked\""),
        ] {
            let damaged = text.replace(from, to);
            assert_ne!(damaged, text);
            assert!(CardImage::from_json(&damaged).is_err(), "{to}");
        }
        assert!(CardImage::from_json(&text[..text.len() / 2]).is_err());
    }
}
