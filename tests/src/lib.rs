//! Shared fixtures for the end-to-end tests and benchmarks: a small authority built from
//! fixed seeds, so every test starts from the same keys.

use std::path::PathBuf;

use issuer::{Holder, KeyPair, ListSpec, SignerSpec};
use stay_core::{Date, DocumentType, UnixTime};

/// The repository's `testdata/` folder.
pub fn testdata() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../testdata")
}

pub struct Fixture {
    pub root: KeyPair,
    pub signer: KeyPair,
    pub chip: KeyPair,
    pub now: UnixTime,
}

impl Fixture {
    pub fn new() -> Fixture {
        Fixture {
            root: KeyPair::from_seed("fixture root"),
            signer: KeyPair::from_seed("fixture signer"),
            chip: KeyPair::from_seed("fixture chip"),
            now: issuer::golden::NOW,
        }
    }

    pub fn holder(&self) -> Holder {
        issuer::golden::resident("RC0000001", Some(&self.chip))
    }

    /// A list trusting the fixture signer for every type, revoking `revoked` documents.
    pub fn list_spec(&self, revoked: Vec<String>) -> ListSpec {
        ListSpec {
            sequence: 7,
            issued_at: UnixTime(self.now.0 - 86_400),
            next_update: UnixTime(self.now.0 + 29 * 86_400),
            signers: vec![SignerSpec {
                public_key: self.signer.public_sec1(),
                not_before: Date::new(2025, 1, 1).unwrap(),
                not_after: Date::new(2029, 12, 31).unwrap(),
                document_types: DocumentType::ALL.to_vec(),
            }],
            revoked_signers: vec![],
            revoked_documents: revoked,
        }
    }

    pub fn list(&self) -> Vec<u8> {
        self.list_spec(vec!["RC0000099".into()])
            .seal(&self.root)
            .unwrap()
    }

    pub fn record(&self, holder: &Holder) -> Vec<u8> {
        let list = self.list();
        let content = stay_core::TrustListContent::parse(&list).unwrap();
        issuer::sign_record(holder, &self.signer, &content, &stay_core::Policy::DEFAULT).unwrap()
    }
}

impl Default for Fixture {
    fn default() -> Self {
        Fixture::new()
    }
}

/// The card in-process: the applet behind the host's [`Transport`], with a seeded generator
/// so challenges and chip keys, and so whole transcripts, repeat exactly.
pub mod card {
    use card_applet_sim::{Applet, CardImage};
    use rand_chacha::rand_core::SeedableRng;
    use rand_chacha::ChaCha20Rng;
    use reader_host::card::{CardError, Transport};
    use sha2::{Digest, Sha256};

    use super::Fixture;

    pub const SERIAL: [u8; 8] = [0x4B, 0x47, 0x00, 0x00, 0x00, 0x00, 0x00, 0x01];

    /// The office's personalization key of the fixtures.
    pub fn personalization_key() -> issuer::KeyPair {
        issuer::KeyPair::from_seed("fixture personalization")
    }

    /// A stand-in portrait: a JPEG header and 700 fixed bytes (three STORE DATA blocks
    /// with the record).
    pub fn portrait() -> Vec<u8> {
        let mut jpeg = vec![0xFF, 0xD8, 0xFF, 0xE0];
        jpeg.extend((0..700u32).map(|i| (i * 7 % 251) as u8));
        jpeg.extend_from_slice(&[0xFF, 0xD9]);
        jpeg
    }

    pub struct InProcessCard {
        pub applet: Applet,
        pub rng: ChaCha20Rng,
        /// Every exchange: command, response.
        pub log: Vec<(Vec<u8>, Vec<u8>)>,
    }

    impl InProcessCard {
        pub fn new(image: CardImage) -> InProcessCard {
            InProcessCard {
                applet: Applet::new(image),
                rng: ChaCha20Rng::seed_from_u64(0),
                log: Vec::new(),
            }
        }

        pub fn blank() -> InProcessCard {
            InProcessCard::new(CardImage::blank(
                SERIAL,
                &personalization_key().public_key(),
            ))
        }

        /// A card personalized by the station code for the fixture's resident holder, with
        /// the portrait, locked.
        pub fn personalized(fixture: &Fixture) -> InProcessCard {
            let mut card = InProcessCard::blank();
            personalize(&mut card, fixture).expect("the fixture card personalizes");
            card.applet.reset();
            card.log.clear();
            card
        }
    }

    impl Transport for InProcessCard {
        fn transmit(&mut self, command: &[u8]) -> Result<Vec<u8>, CardError> {
            let response = self.applet.process(command, &mut self.rng).response;
            self.log.push((command.to_vec(), response.clone()));
            Ok(response)
        }
    }

    /// The record the fixture signer issues for a chip key, naming `portrait`'s digest.
    pub fn record_for_chip(fixture: &Fixture, chip: &[u8; 65], portrait: &[u8]) -> Vec<u8> {
        let mut holder = fixture.holder();
        holder.chip_public_key = Some(hex::encode(chip));
        holder.portrait_digest = Some(hex::encode(Sha256::digest(portrait)));
        fixture.record(&holder)
    }

    /// The station's whole personalization of `card`, through the host's code.
    pub fn personalize<T: Transport>(card: &mut T, fixture: &Fixture) -> anyhow::Result<Vec<u8>> {
        let portrait = portrait();
        let (_, record) = reader_host::card::Session::new(card).personalize(
            &personalization_key(),
            |chip| Ok(record_for_chip(fixture, chip, &portrait)),
            Some(&portrait),
        )?;
        Ok(record)
    }
}

/// The APDU transcripts in `testdata/apdu/` that `cargo xtask vectors` writes and the tests
/// replay byte for byte: a full personalization and a full border check.
pub mod transcript {
    use std::fmt::Write as _;
    use std::path::Path;

    use super::card::{personalize, InProcessCard};
    use super::Fixture;

    /// The terminal challenge of the recorded border check.
    pub const CHALLENGE: [u8; 16] = *b"border-check-001";

    fn render(intro: &str, setup: &str, log: &[(Vec<u8>, Vec<u8>)]) -> String {
        let mut text = String::new();
        for line in intro.lines() {
            writeln!(text, "# {line}").unwrap();
        }
        writeln!(text, "{setup}").unwrap();
        for (command, response) in log {
            writeln!(text, "> {}", hex::encode_upper(command)).unwrap();
            writeln!(text, "< {}", hex::encode_upper(response)).unwrap();
        }
        text
    }

    pub fn personalization(fixture: &Fixture) -> String {
        let mut card = InProcessCard::blank();
        personalize(&mut card, fixture).expect("the fixture card personalizes");
        render(
            "Personalization of a blank card (generated by `cargo xtask vectors`):\n\
             SELECT with FCI, GET CHALLENGE, EXTERNAL AUTHENTICATE, GENERATE ASYMMETRIC KEY\n\
             PAIR, STORE DATA (record + portrait in 5 blocks), SET STATUS (lock).",
            "card blank",
            &card.log,
        )
    }

    pub fn border_check(fixture: &Fixture) -> String {
        let mut card = InProcessCard::personalized(fixture);
        reader_host::card::Session::new(&mut card)
            .read_for_border_check(CHALLENGE)
            .expect("the fixture card answers");
        render(
            "A border check in three round trips (generated by `cargo xtask vectors`):\n\
             SELECT (no FCI), READ BINARY of the record (extended Le), INTERNAL AUTHENTICATE.",
            "card personalized",
            &card.log,
        )
    }

    /// Writes both transcripts into `dir`.
    pub fn write_all(dir: &Path) -> std::io::Result<()> {
        let fixture = Fixture::new();
        std::fs::create_dir_all(dir)?;
        std::fs::write(dir.join("personalization.apdu"), personalization(&fixture))?;
        std::fs::write(dir.join("border-check.apdu"), border_check(&fixture))
    }
}
