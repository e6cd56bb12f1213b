//! The golden vectors in `testdata/`: records, lists and the verdict each case must give.
//! Host and firmware run the same files. A chip case is a recorded PACE-CAM border check
//! (`apdu/golden-*.apdu`, the terminal's secrets fixed): the runner replays the card's
//! answers to the one terminal and verifies what it read. Regenerate with `cargo xtask vectors`; keys come
//! from fixed seeds and ECDSA signing is deterministic (RFC 6979), so the bytes never drift.

use std::path::Path;

use anyhow::Result;
use serde::{Deserialize, Serialize};
use stay_core::terminal::{ApduLink, BorderCheckError, CardError, LinkError};
use stay_core::{
    Check, Date, DocumentType, Policy, PublicKey, Purpose, Role, StatusChange, TrustList, UnixTime,
};

use issuer::KeyPair;
use issuer::{seal_record, Holder};
use issuer::{ListSpec, SignerSpec};

/// The instant most cases are checked at: 2026-11-21 12:00 in Bishkek.
pub const NOW: UnixTime = UnixTime(1_795_240_800);
const DAY: u64 = 86_400;
pub const EMPLOYER_TIN: &str = "01234567890123";
pub const OTHER_EMPLOYER_TIN: &str = "09999999999999";

#[derive(Debug, Serialize, Deserialize)]
pub struct Vectors {
    /// The pinned root key (SPKI PEM file).
    pub root_key: String,
    #[serde(rename = "list")]
    pub lists: Vec<ListCase>,
    #[serde(rename = "case")]
    pub cases: Vec<Case>,
}

/// Loading a list, with the sequence of the list already trusted.
#[derive(Debug, Serialize, Deserialize)]
pub struct ListCase {
    pub name: String,
    pub file: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub trusted_sequence: Option<u64>,
    /// `ok`, `rollback`, `bad-signature` or `malformed`.
    pub expect: String,
}

/// One verification and its expected verdict.
#[derive(Debug, Serialize, Deserialize)]
pub struct Case {
    pub name: String,
    pub record: String,
    pub list: String,
    /// Unix seconds.
    pub now: u64,
    /// `border`, `employer` or `station`.
    pub role: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub employer_tin: Option<String>,
    /// `chip` or `printed`.
    pub presentation: String,
    /// A chip case's recorded border check: the card's answers, replayed.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub transcript: Option<String>,
    /// The CAN the terminal opens the card with.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub can: Option<String>,
    /// Present when the terminal runs with other secrets than the recording's (a card
    /// that replays an old session): its n-th secret is then 32 bytes of `seed + n`, and
    /// its commands differ from the transcript's.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub terminal_seed: Option<u8>,
    pub expect_status: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub expect_reason: Option<String>,
    pub expect_decision: String,
    pub expect_chip_authenticated: bool,
    /// The list's status change the verdict names (`extended`, `suspended`, `superseded`),
    /// its date and a superseded document's successor; absent: none applied.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub expect_change: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub expect_change_date: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub expect_successor: Option<String>,
}

/// What a case gave, in the vectors' own words.
#[derive(Debug, PartialEq, Eq)]
pub struct Outcome {
    pub status: String,
    pub reason: Option<String>,
    pub decision: String,
    pub chip_authenticated: bool,
    pub change: Option<String>,
    pub change_date: Option<String>,
    pub successor: Option<String>,
}

impl Outcome {
    /// A verdict in the vectors' words.
    pub fn of(v: &stay_core::Verdict<'_>) -> Outcome {
        let change = v.status_change.map(|a| a.change);
        Outcome {
            status: v.status.name().into(),
            reason: v.status.reason_code().map(Into::into),
            decision: v.decision.code().into(),
            chip_authenticated: v.chip_authenticated,
            change: change.map(|c| c.name().into()),
            change_date: change.map(|c| c.date().to_string()),
            successor: match change {
                Some(StatusChange::Superseded { successor, .. }) => Some(successor.to_string()),
                _ => None,
            },
        }
    }

    /// No verdict: the card gave no channel (status `no-channel`, reason the failure).
    pub fn no_channel<E: std::fmt::Debug>(e: &BorderCheckError<E>) -> Outcome {
        let reason = match e {
            BorderCheckError::Pace(CardError::Pace(stay_core::pace::PaceError::BadToken)) => {
                "pace-bad-token".to_string()
            }
            other => format!("{other:?}"),
        };
        Outcome {
            status: "no-channel".into(),
            reason: Some(reason),
            decision: "no-verdict".into(),
            chip_authenticated: false,
            change: None,
            change_date: None,
            successor: None,
        }
    }
}

/// `> command` / `< response` lines of a transcript file (`#` comments and the setup line
/// skipped), as (command, response) pairs.
pub fn parse_transcript(text: &str) -> Result<Vec<(Vec<u8>, Vec<u8>)>> {
    let mut pairs = Vec::new();
    let mut command = None;
    for line in text.lines() {
        if let Some(hex) = line.strip_prefix("> ") {
            command = Some(hex::decode(hex)?);
        } else if let Some(hex) = line.strip_prefix("< ") {
            let c = command
                .take()
                .ok_or_else(|| anyhow::anyhow!("a response without its command"))?;
            pairs.push((c, hex::decode(hex)?));
        }
    }
    Ok(pairs)
}

/// A card that answers a recorded session: the recorded responses in order, whatever it
/// is sent; `matched` stays true while the terminal sends exactly the recorded commands.
pub struct Replay {
    exchanges: std::vec::IntoIter<(Vec<u8>, Vec<u8>)>,
    pub matched: bool,
}

impl Replay {
    pub fn new(exchanges: Vec<(Vec<u8>, Vec<u8>)>) -> Replay {
        Replay {
            exchanges: exchanges.into_iter(),
            matched: true,
        }
    }
}

impl ApduLink for Replay {
    type Error = &'static str;

    fn exchange(
        &mut self,
        command: &[u8],
        response: &mut [u8],
    ) -> Result<usize, LinkError<&'static str>> {
        let (expected, answer) = self
            .exchanges
            .next()
            .ok_or(LinkError::Failed("the recording ended"))?;
        self.matched &= expected == command;
        stay_core::terminal::deliver(&answer, response)
    }
}

impl Case {
    pub fn expected(&self) -> Outcome {
        Outcome {
            status: self.expect_status.clone(),
            reason: self.expect_reason.clone(),
            decision: self.expect_decision.clone(),
            chip_authenticated: self.expect_chip_authenticated,
            change: self.expect_change.clone(),
            change_date: self.expect_change_date.clone(),
            successor: self.expect_successor.clone(),
        }
    }
}

impl Vectors {
    pub fn read(dir: &Path) -> Result<Vectors> {
        let text = std::fs::read_to_string(dir.join("vectors.toml"))?;
        Ok(toml::from_str(&text)?)
    }

    pub fn root(&self, dir: &Path) -> Result<PublicKey> {
        stay_std::pem::read_public(&dir.join(&self.root_key))
    }

    /// Loads a list case's file; `Ok(code)` is the outcome in the vectors' words.
    pub fn load_list(&self, dir: &Path, case: &ListCase) -> Result<String> {
        let bytes = std::fs::read(dir.join(&case.file))?;
        let root = self.root(dir)?;
        Ok(
            match TrustList::load(&bytes, &root, case.trusted_sequence) {
                Ok(_) => "ok".into(),
                Err(stay_core::ListError::Rollback { .. }) => "rollback".into(),
                Err(stay_core::ListError::BadSignature(_)) => "bad-signature".into(),
                Err(_) => "malformed".into(),
            },
        )
    }

    /// Runs one case through `stay_core::verify`.
    pub fn run(&self, dir: &Path, case: &Case) -> Result<Outcome> {
        let root = self.root(dir)?;
        let list_bytes = std::fs::read(dir.join(&case.list))?;
        let list = TrustList::load(&list_bytes, &root, None)
            .map_err(|e| anyhow::anyhow!("{}: {e}", case.list))?;
        let record = std::fs::read(dir.join(&case.record))?;
        let role = Role::from_str(&case.role, case.employer_tin.as_deref())
            .map_err(|e| anyhow::anyhow!("{}: role {}: {e}", case.name, case.role))?;
        let now = UnixTime(case.now);
        let reading = match case.presentation.as_str() {
            "printed" => None,
            "chip" => {
                let file = case.transcript.as_deref().ok_or_else(|| {
                    anyhow::anyhow!("{}: a chip case needs a transcript", case.name)
                })?;
                let exchanges = parse_transcript(&std::fs::read_to_string(dir.join(file))?)?;
                let can = stay_core::pace::Can::parse(case.can.as_deref().unwrap_or_default())
                    .map_err(|_| anyhow::anyhow!("{}: can", case.name))?;
                let mut card = Replay::new(exchanges);
                let read = stay_core::terminal::border_check(
                    &mut card,
                    &can,
                    crate::card::recorded_random(case.terminal_seed.unwrap_or(0)),
                );
                let strict = case.terminal_seed.is_none();
                match read {
                    Ok(reading) => {
                        anyhow::ensure!(
                            !strict || card.matched,
                            "{}: the terminal's commands differ from the transcript",
                            case.name
                        );
                        anyhow::ensure!(
                            reading.record() == record.as_slice(),
                            "{}: the chip holds another record than {}",
                            case.name,
                            case.record
                        );
                        Some(reading)
                    }
                    Err(e) => return Ok(Outcome::no_channel(&e)),
                }
            }
            other => anyhow::bail!("{}: unknown presentation {other}", case.name),
        };
        let check = match &reading {
            None => Check::printed(now, role, &Policy::DEFAULT),
            Some(reading) => Check::chip(now, role, reading.proof(), &Policy::DEFAULT),
        };
        Ok(Outcome::of(&stay_core::verify(&record, &list, &check)))
    }
}

fn date(y: u16, m: u8, d: u8) -> Date {
    Date::new(y, m, d).expect("a fixed, real date")
}

/// A resident card of SMIRNOVA Elena (work, for [`EMPLOYER_TIN`]), valid 2026-11-01 to
/// 2027-10-31, optionally with a chip key.
pub fn resident(number: &str, chip: Option<&KeyPair>) -> Holder {
    Holder {
        document_type: DocumentType::ResidentCard.name().into(),
        document_number: number.into(),
        pin: "21503199000123".into(),
        itn: Some("21503199000123".into()),
        surname: "SMIRNOVA".into(),
        given_names: "Elena".into(),
        nationality: "RUS".into(),
        date_of_birth: "1990-03-15".into(),
        sex: "F".into(),
        purpose: Purpose::Work.name().into(),
        employer_tin: Some(EMPLOYER_TIN.into()),
        valid_from: "2026-11-01".into(),
        valid_until: "2027-10-31".into(),
        issue_date: "2026-10-25".into(),
        issuing_authority: issuer::authority::ISSUING_AUTHORITY.into(),
        chip_public_key: chip.map(|k| hex::encode(k.public_sec1())),
        portrait_digest: Some(hex::encode([0x5Au8; 32])),
    }
}

/// A unified-window document (QR only, no chip) of RAHIMOV Farrukh, valid 2026-11-15 to
/// 2027-01-14.
pub fn unified_window(number: &str) -> Holder {
    Holder {
        document_type: DocumentType::UnifiedWindow.name().into(),
        document_number: number.into(),
        itn: None,
        surname: "RAHIMOV".into(),
        given_names: "Farrukh".into(),
        nationality: "UZB".into(),
        sex: "M".into(),
        valid_from: "2026-11-15".into(),
        valid_until: "2027-01-14".into(),
        issue_date: "2026-11-14".into(),
        portrait_digest: None,
        ..resident(number, None)
    }
}

/// Signs `holder` with `key` without the issuer's checks (vectors include records a rogue
/// or mistaken signer could produce).
fn forge(holder: &Holder, key: &KeyPair) -> Vec<u8> {
    let relaxed = Policy {
        max_validity_days: [u16::MAX; 3],
        max_issue_lead_days: [u16::MAX; 3],
        ..Policy::DEFAULT
    };
    // The issuer refuses a resident card without a chip key; a rogue signer would not.
    let keyless = holder.chip_public_key.is_none();
    let placeholder = Holder {
        chip_public_key: Some(hex::encode(KeyPair::from_seed("placeholder").public_sec1())),
        ..holder.clone()
    };
    let app = if keyless { &placeholder } else { holder }
        .application(&relaxed)
        .expect("vector holders are well formed");
    let mut fields = app.fields(key.key_id());
    if keyless {
        fields.chip_public_key = None;
    }
    seal_record(&fields, key)
}

/// The CAN of the golden chip cards.
pub const GOLDEN_CAN: &str = "271828";

/// A locked card holding `chip`'s key, `record` and [`GOLDEN_CAN`], read once by the
/// terminal with the recorded secrets: the log of that border check.
fn record_border_check(chip: &KeyPair, record: &[u8]) -> Vec<(Vec<u8>, Vec<u8>)> {
    let mut image = card_applet_sim::CardImage::blank(
        *b"KG-GOLD1",
        &crate::card::personalization_key().public_key(),
    );
    image.chip_private_key = Some(chip.secret_bytes());
    image.record = Some(record.to_vec());
    image.can = Some(stay_core::pace::Can::parse(GOLDEN_CAN).expect("six digits"));
    image.locked = true;
    let mut card = crate::card::InProcessCard::new(image);
    let can = stay_core::pace::Can::parse(GOLDEN_CAN).expect("six digits");
    stay_core::terminal::border_check(&mut card, &can, crate::card::recorded_random(0))
        .expect("the golden card answers");
    card.log
}

/// The same log with the chip authentication data (`8A`) cut from the last GENERAL
/// AUTHENTICATE answer: a card that runs PACE without proving its key.
fn strip_chip_authentication(log: &[(Vec<u8>, Vec<u8>)]) -> Vec<(Vec<u8>, Vec<u8>)> {
    let mut log = log.to_vec();
    let last_ga = log
        .iter()
        .rposition(|(c, _)| c.get(1) == Some(&stay_core::apdu::INS_GENERAL_AUTHENTICATE))
        .expect("PACE ran");
    let (_, response) = &mut log[last_ga];
    // `7C 3C 86 08 <token> 8A 30 <48 bytes> 90 00` becomes `7C 0A 86 08 <token> 90 00`.
    let token = response[2..12].to_vec();
    *response = [&[0x7C, 0x0A][..], &token, &[0x90, 0x00]].concat();
    log
}

/// Writes every vector into `dir` (which must exist).
pub fn generate(dir: &Path) -> Result<()> {
    for sub in ["keys", "records", "lists"] {
        std::fs::create_dir_all(dir.join(sub))?;
    }
    let key = KeyPair::from_seed;
    let root = key("golden root");
    let rc = key("golden signer resident-card");
    let uw = key("golden signer unified-window");
    let dn = key("golden signer digital-nomad");
    let retired = key("golden signer retired 2020-2023");
    let compromised = key("golden signer compromised");
    let stranger = key("golden signer not on the list");
    let chip1 = key("golden chip 1");
    let chip2 = key("golden chip 2");
    for (name, k) in [
        ("root", &root),
        ("signer-resident-card", &rc),
        ("signer-unified-window", &uw),
        ("signer-digital-nomad", &dn),
        ("chip-1", &chip1),
    ] {
        stay_std::files::write_atomic(
            &dir.join(format!("keys/{name}.pub.pem")),
            k.public_pem()?.as_bytes(),
        )?;
    }
    // The root key as raw SEC1 hex, for consumers without a PEM parser (firmware, fuzzing).
    let root_hex = format!("{}\n", hex::encode(root.public_sec1()));
    stay_std::files::write_atomic(&dir.join("keys/root.sec1.hex"), root_hex.as_bytes())?;

    let signer = |k: &KeyPair, from: Date, until: Date, types: &[DocumentType]| SignerSpec {
        public_key: k.public_sec1(),
        not_before: from,
        not_after: until,
        document_types: types.to_vec(),
    };
    let mut revoked_documents: Vec<String> = (0..1000).map(|i| format!("RX{:07}", i * 7)).collect();
    revoked_documents.push("RC0000099".into());
    let current = ListSpec {
        sequence: 5,
        issued_at: UnixTime(NOW.0 - 2 * DAY),
        next_update: UnixTime(NOW.0 + 28 * DAY),
        signers: vec![
            signer(
                &rc,
                date(2025, 1, 1),
                date(2028, 12, 31),
                &[DocumentType::ResidentCard],
            ),
            signer(
                &uw,
                date(2025, 1, 1),
                date(2028, 12, 31),
                &[DocumentType::UnifiedWindow],
            ),
            signer(
                &dn,
                date(2025, 1, 1),
                date(2028, 12, 31),
                &[DocumentType::DigitalNomad],
            ),
            signer(
                &retired,
                date(2020, 1, 1),
                date(2023, 12, 31),
                &[DocumentType::ResidentCard],
            ),
            signer(
                &compromised,
                date(2025, 1, 1),
                date(2028, 12, 31),
                &[DocumentType::ResidentCard],
            ),
        ],
        revoked_signers: vec![compromised.key_id()],
        revoked_documents,
        status_changes: vec![],
    };
    let current_bytes = current.seal(&root)?;
    let older_bytes = ListSpec {
        sequence: 4,
        issued_at: UnixTime(NOW.0 - 32 * DAY),
        next_update: UnixTime(NOW.0 - 2 * DAY),
        ..current.clone()
    }
    .seal(&root)?;
    // The smallest useful list: the full hex example of docs/formats.md.
    let minimal_bytes = ListSpec {
        sequence: 1,
        issued_at: UnixTime(NOW.0 - 2 * DAY),
        next_update: UnixTime(NOW.0 + 28 * DAY),
        signers: vec![signer(
            &dn,
            date(2025, 1, 1),
            date(2028, 12, 31),
            &[DocumentType::DigitalNomad],
        )],
        revoked_signers: vec![],
        revoked_documents: vec!["DN0000013".into()],
        status_changes: vec![],
    }
    .seal(&root)?;
    // Changes after issuance (docs/policy.md): list 6 extends, suspends and supersedes;
    // list 7 lifts the suspension.
    let extended = |until: Date| StatusChange::Extended { valid_until: until };
    let mut status_changes = vec![
        ("DN0000011".to_string(), extended(date(2027, 5, 20))),
        ("RC0000011".to_string(), extended(date(2027, 11, 19))),
        (
            "UW0000021".to_string(),
            StatusChange::Suspended {
                since: date(2026, 11, 20),
            },
        ),
        (
            "UW0000031".to_string(),
            StatusChange::Superseded {
                on: date(2026, 11, 20),
                successor: stay_core::DocumentNumber::new("RC0000031").expect("a number"),
            },
        ),
        // A unified-window document is never extended (Policy::DEFAULT): a list that does
        // so anyway is refused for it at every terminal.
        ("UW0000041".to_string(), extended(date(2027, 2, 14))),
        // A suspension recorded ahead of its day: in force from 2026-12-01 only.
        (
            "DN0000001".to_string(),
            StatusChange::Suspended {
                since: date(2026, 12, 1),
            },
        ),
    ];
    let status_bytes = ListSpec {
        sequence: 6,
        issued_at: UnixTime(NOW.0 - DAY),
        status_changes: status_changes.clone(),
        ..current.clone()
    }
    .seal(&root)?;
    status_changes.retain(|(number, _)| number != "UW0000021");
    let lifted_bytes = ListSpec {
        sequence: 7,
        issued_at: UnixTime(NOW.0 - DAY / 2),
        status_changes,
        ..current.clone()
    }
    .seal(&root)?;
    let mut bad_signature = current_bytes.clone();
    let last = bad_signature.len() - 1;
    bad_signature[last] ^= 0x01;
    let truncated_list = current_bytes[..current_bytes.len() - 1].to_vec();
    let lists: [(&str, &[u8]); 7] = [
        ("current", &current_bytes),
        ("status", &status_bytes),
        ("status-lifted", &lifted_bytes),
        ("minimal", &minimal_bytes),
        ("older", &older_bytes),
        ("bad-signature", &bad_signature),
        ("truncated", &truncated_list),
    ];
    for (name, bytes) in lists {
        stay_std::files::write_atomic(&dir.join(format!("lists/{name}.list")), bytes)?;
    }

    // Records.
    let rc_chip = forge(&resident("RC0000001", Some(&chip1)), &rc);
    let uw_holder = unified_window("UW0000001");
    let nomad = Holder {
        document_type: DocumentType::DigitalNomad.name().into(),
        document_number: "DN0000001".into(),
        itn: None,
        surname: "MÜLLER".into(),
        given_names: "Jonas".into(),
        nationality: "DEU".into(),
        sex: "M".into(),
        purpose: Purpose::RemoteWork.name().into(),
        employer_tin: None,
        portrait_digest: None,
        ..resident("DN0000001", None)
    };
    let student = Holder {
        purpose: Purpose::Study.name().into(),
        employer_tin: None,
        ..resident("RC0000002", Some(&chip1))
    };
    let rc_study = forge(&student, &rc);
    // Issued a year ago, expired on the day before NOW by their own dates.
    let year_ago = |h: Holder| Holder {
        valid_from: "2025-11-21".into(),
        valid_until: "2026-11-20".into(),
        issue_date: "2025-11-20".into(),
        ..h
    };
    let rc_extended = forge(&year_ago(resident("RC0000011", Some(&chip1))), &rc);
    let records: Vec<(&str, Vec<u8>)> = vec![
        ("resident-card-chip", rc_chip.clone()),
        ("resident-card-extended", rc_extended.clone()),
        (
            "digital-nomad-extended",
            forge(
                &year_ago(Holder {
                    document_number: "DN0000011".into(),
                    ..nomad.clone()
                }),
                &dn,
            ),
        ),
        (
            "unified-window-suspended",
            forge(&unified_window("UW0000021"), &uw),
        ),
        (
            "unified-window-superseded",
            forge(&unified_window("UW0000031"), &uw),
        ),
        (
            "unified-window-extended",
            forge(&unified_window("UW0000041"), &uw),
        ),
        ("unified-window", forge(&uw_holder, &uw)),
        ("digital-nomad", forge(&nomad, &dn)),
        ("resident-card-study", rc_study.clone()),
        (
            "resident-card-no-chip-key",
            forge(&resident("RC0000008", None), &rc),
        ),
        (
            "resident-card-revoked",
            forge(&resident("RC0000099", Some(&chip1)), &rc),
        ),
        (
            "signer-revoked",
            forge(&resident("RC0000003", Some(&chip1)), &compromised),
        ),
        (
            "signer-outside-period",
            forge(&resident("RC0000004", Some(&chip1)), &retired),
        ),
        ("signer-not-authorized", forge(&uw_holder, &rc)),
        (
            "expired",
            forge(
                &Holder {
                    valid_from: "2025-01-01".into(),
                    valid_until: "2025-12-31".into(),
                    issue_date: "2025-01-01".into(),
                    ..resident("RC0000005", Some(&chip1))
                },
                &rc,
            ),
        ),
        (
            "not-yet-valid",
            forge(
                &Holder {
                    valid_from: "2027-01-01".into(),
                    valid_until: "2027-12-31".into(),
                    ..resident("RC0000006", Some(&chip1))
                },
                &rc,
            ),
        ),
        (
            "validity-exceeds-policy",
            forge(
                &Holder {
                    valid_until: "2027-02-12".into(),
                    ..uw_holder.clone()
                },
                &uw,
            ),
        ),
        // Issued today by a key in its period, valid only in 2040: a leaked token's record
        // that would outlive its signer's period and any revocation of it.
        (
            "valid-from-too-late",
            forge(
                &Holder {
                    valid_from: "2040-01-01".into(),
                    valid_until: "2040-12-31".into(),
                    ..resident("RC0000013", Some(&chip1))
                },
                &rc,
            ),
        ),
        (
            "unknown-signer",
            forge(&resident("RC0000007", Some(&chip1)), &stranger),
        ),
        ("tampered", {
            let mut r = rc_chip.clone();
            let at = r
                .windows(8)
                .position(|w| w == b"SMIRNOVA")
                .expect("surname present");
            r[at + 7] = b'B';
            r
        }),
        ("truncated", rc_chip[..rc_chip.len() - 1].to_vec()),
    ];
    for (name, bytes) in &records {
        stay_std::files::write_atomic(&dir.join(format!("records/{name}.bin")), bytes)?;
    }

    // The chip cases' cards, each border check recorded once.
    std::fs::create_dir_all(dir.join("apdu"))?;
    let golden_chip = record_border_check(&chip1, &rc_chip);
    let without_chip_data = strip_chip_authentication(&golden_chip);
    for (name, log) in [
        ("golden-chip", golden_chip),
        ("golden-clone", record_border_check(&chip2, &rc_chip)),
        ("golden-study", record_border_check(&chip1, &rc_study)),
        ("golden-no-chip-data", without_chip_data),
        ("golden-extended", record_border_check(&chip1, &rc_extended)),
    ] {
        let intro = format!(
            "Golden chip case {name} (generated by `cargo xtask vectors`): PACE-CAM with CAN\n\
             {GOLDEN_CAN}, the terminal's n-th secret 32 bytes of n, then SELECT and READ\n\
             BINARY under secure messaging."
        );
        stay_std::files::write_atomic(
            &dir.join(format!("apdu/{name}.apdu")),
            crate::transcript::render(&intro, "card golden", &log).as_bytes(),
        )?;
    }

    struct Spec<'a> {
        name: &'a str,
        record: &'a str,
        list: &'a str,
        now: u64,
        role: &'a str,
        /// Presentation, transcript, terminal seed.
        presentation: (&'a str, Option<&'a str>, Option<u8>),
        expect: (&'a str, Option<&'a str>, &'a str, bool),
    }
    let printed = ("printed", None, None);
    let chip_ok = ("chip", Some("golden-chip"), None);
    let now = NOW.0;
    let specs = [
        Spec {
            name: "resident-card-border-chip",
            record: "resident-card-chip",
            list: "current",
            now,
            role: "border",
            presentation: chip_ok,
            expect: ("valid", None, "may-stay", true),
        },
        Spec {
            name: "resident-card-employer-chip",
            record: "resident-card-chip",
            list: "current",
            now,
            role: "employer",
            presentation: chip_ok,
            expect: ("valid", None, "may-employ", true),
        },
        Spec {
            name: "resident-card-other-employer",
            record: "resident-card-chip",
            list: "current",
            now,
            role: "employer-other",
            presentation: chip_ok,
            expect: ("valid", None, "may-not-employ:other-employer", true),
        },
        Spec {
            name: "resident-card-station",
            record: "resident-card-chip",
            list: "current",
            now,
            role: "station",
            presentation: chip_ok,
            expect: ("valid", None, "card-verifies", true),
        },
        // A printed copy of a chip card (the card face's QR, a skimmed chip re-encoded):
        // genuine data, no card proven.
        Spec {
            name: "resident-card-border-qr",
            record: "resident-card-chip",
            list: "current",
            now,
            role: "border",
            presentation: printed,
            expect: (
                "indeterminate",
                Some("chip-not-read"),
                "read-the-chip",
                false,
            ),
        },
        Spec {
            name: "resident-card-employer-qr",
            record: "resident-card-chip",
            list: "current",
            now,
            role: "employer",
            presentation: printed,
            expect: (
                "indeterminate",
                Some("chip-not-read"),
                "read-the-chip",
                false,
            ),
        },
        Spec {
            name: "station-qr-only",
            record: "resident-card-chip",
            list: "current",
            now,
            role: "station",
            presentation: printed,
            expect: (
                "indeterminate",
                Some("chip-not-read"),
                "card-rejected",
                false,
            ),
        },
        Spec {
            name: "resident-card-no-chip-key-printed",
            record: "resident-card-no-chip-key",
            list: "current",
            now,
            role: "border",
            presentation: printed,
            expect: ("invalid", Some("chip-key-missing"), "may-not-stay", false),
        },
        Spec {
            name: "resident-card-no-chip-key-employer",
            record: "resident-card-no-chip-key",
            list: "current",
            now,
            role: "employer",
            presentation: printed,
            expect: ("invalid", Some("chip-key-missing"), "may-not-employ", false),
        },
        Spec {
            name: "chip-proof-missing",
            record: "resident-card-chip",
            list: "current",
            now,
            role: "border",
            presentation: ("chip", Some("golden-no-chip-data"), None),
            expect: ("invalid", Some("chip-proof-missing"), "may-not-stay", false),
        },
        Spec {
            name: "chip-cloned",
            record: "resident-card-chip",
            list: "current",
            now,
            role: "border",
            presentation: ("chip", Some("golden-clone"), None),
            expect: ("invalid", Some("chip-proof-failed"), "may-not-stay", false),
        },
        Spec {
            name: "chip-proof-replayed",
            record: "resident-card-chip",
            list: "current",
            now,
            role: "border",
            // A card replaying a recorded session to a terminal with fresh secrets: the
            // card's token no longer matches, and there is no channel, so no verdict.
            presentation: ("chip", Some("golden-chip"), Some(0x40)),
            expect: ("no-channel", Some("pace-bad-token"), "no-verdict", false),
        },
        Spec {
            name: "unified-window-border",
            record: "unified-window",
            list: "current",
            now,
            role: "border",
            presentation: printed,
            expect: ("valid", None, "may-stay", false),
        },
        Spec {
            name: "unified-window-employer",
            record: "unified-window",
            list: "current",
            now,
            role: "employer",
            presentation: printed,
            expect: ("valid", None, "may-employ", false),
        },
        Spec {
            name: "digital-nomad-border",
            record: "digital-nomad",
            list: "current",
            now,
            role: "border",
            presentation: printed,
            expect: ("valid", None, "may-stay", false),
        },
        Spec {
            name: "digital-nomad-employer",
            record: "digital-nomad",
            list: "current",
            now,
            role: "employer",
            presentation: printed,
            expect: ("valid", None, "may-not-employ:digital-nomad", false),
        },
        Spec {
            name: "student-employer",
            record: "resident-card-study",
            list: "current",
            now,
            role: "employer",
            presentation: ("chip", Some("golden-study"), None),
            expect: ("valid", None, "may-not-employ:purpose-of-stay", true),
        },
        Spec {
            name: "document-revoked",
            record: "resident-card-revoked",
            list: "current",
            now,
            role: "border",
            presentation: printed,
            expect: ("invalid", Some("document-revoked"), "may-not-stay", false),
        },
        Spec {
            name: "document-revoked-employer",
            record: "resident-card-revoked",
            list: "current",
            now,
            role: "employer",
            presentation: printed,
            expect: ("invalid", Some("document-revoked"), "may-not-employ", false),
        },
        Spec {
            name: "signer-revoked",
            record: "signer-revoked",
            list: "current",
            now,
            role: "border",
            presentation: printed,
            expect: ("invalid", Some("signer-revoked"), "may-not-stay", false),
        },
        Spec {
            name: "signer-outside-period",
            record: "signer-outside-period",
            list: "current",
            now,
            role: "border",
            presentation: printed,
            expect: (
                "invalid",
                Some("signer-outside-period"),
                "may-not-stay",
                false,
            ),
        },
        Spec {
            name: "signer-not-authorized",
            record: "signer-not-authorized",
            list: "current",
            now,
            role: "border",
            presentation: printed,
            expect: (
                "invalid",
                Some("signer-not-authorized"),
                "may-not-stay",
                false,
            ),
        },
        Spec {
            name: "expired",
            record: "expired",
            list: "current",
            now,
            role: "border",
            presentation: printed,
            expect: ("invalid", Some("expired"), "may-not-stay", false),
        },
        Spec {
            name: "not-yet-valid",
            record: "not-yet-valid",
            list: "current",
            now,
            role: "border",
            presentation: printed,
            expect: ("invalid", Some("not-yet-valid"), "may-not-stay", false),
        },
        Spec {
            name: "validity-exceeds-policy",
            record: "validity-exceeds-policy",
            list: "current",
            now,
            role: "border",
            presentation: printed,
            expect: (
                "invalid",
                Some("validity-exceeds-policy"),
                "may-not-stay",
                false,
            ),
        },
        Spec {
            name: "valid-from-too-late",
            record: "valid-from-too-late",
            list: "current",
            now,
            role: "border",
            presentation: printed,
            expect: (
                "invalid",
                Some("valid-from-too-late"),
                "may-not-stay",
                false,
            ),
        },
        Spec {
            name: "unknown-signer",
            record: "unknown-signer",
            list: "current",
            now,
            role: "border",
            presentation: printed,
            expect: ("indeterminate", Some("unknown-signer"), "refer", false),
        },
        Spec {
            name: "tampered",
            record: "tampered",
            list: "current",
            now,
            role: "border",
            presentation: printed,
            expect: ("invalid", Some("bad-signature"), "may-not-stay", false),
        },
        Spec {
            name: "truncated",
            record: "truncated",
            list: "current",
            now,
            role: "border",
            presentation: printed,
            expect: ("invalid", Some("malformed"), "may-not-stay", false),
        },
        Spec {
            name: "clock-before-trust-list",
            record: "resident-card-chip",
            list: "current",
            now: NOW.0 - 2 * DAY - 1,
            role: "border",
            presentation: chip_ok,
            expect: (
                "indeterminate",
                Some("clock-before-trust-list"),
                "refer",
                true,
            ),
        },
        Spec {
            name: "trust-list-stale",
            record: "resident-card-chip",
            list: "current",
            now: NOW.0 + 35 * DAY + 1,
            role: "border",
            presentation: chip_ok,
            expect: ("indeterminate", Some("trust-list-stale"), "refer", true),
        },
        Spec {
            name: "trust-list-in-grace",
            record: "resident-card-chip",
            list: "current",
            now: NOW.0 + 35 * DAY,
            role: "border",
            presentation: chip_ok,
            expect: ("valid", None, "may-stay", true),
        },
    ];
    // One case of a spec, with no status change expected.
    let case = |s: Spec<'_>| {
        let (role, employer_tin) = match s.role {
            "employer" => ("employer", Some(EMPLOYER_TIN.to_string())),
            "employer-other" => ("employer", Some(OTHER_EMPLOYER_TIN.to_string())),
            r => (r, None),
        };
        Case {
            name: s.name.into(),
            record: format!("records/{}.bin", s.record),
            list: format!("lists/{}.list", s.list),
            now: s.now,
            role: role.into(),
            employer_tin,
            presentation: s.presentation.0.into(),
            transcript: s.presentation.1.map(|t| format!("apdu/{t}.apdu")),
            can: s.presentation.1.map(|_| GOLDEN_CAN.to_string()),
            terminal_seed: s.presentation.2,
            expect_status: s.expect.0.into(),
            expect_reason: s.expect.1.map(Into::into),
            expect_decision: s.expect.2.into(),
            expect_chip_authenticated: s.expect.3,
            expect_change: None,
            expect_change_date: None,
            expect_successor: None,
        }
    };
    let mut cases: Vec<Case> = specs.into_iter().map(case).collect();
    // The status changes (list 6, then list 7 lifting the suspension), each with the
    // change the verdict must name: kind, date, successor. `suspension-*-its-day` check
    // that a suspension recorded ahead takes effect on its date, not before.
    type Change<'a> = Option<(&'a str, &'a str, Option<&'a str>)>;
    let status_specs: Vec<(Spec<'_>, Change<'_>)> = vec![
        (
            Spec {
                name: "extended-printed",
                record: "digital-nomad-extended",
                list: "status",
                now,
                role: "border",
                presentation: printed,
                expect: ("valid", None, "may-stay", false),
            },
            Some(("extended", "2027-05-20", None)),
        ),
        (
            Spec {
                name: "extended-not-on-older-list",
                record: "digital-nomad-extended",
                list: "current",
                now,
                role: "border",
                presentation: printed,
                expect: ("invalid", Some("expired"), "may-not-stay", false),
            },
            None,
        ),
        (
            Spec {
                name: "extended-chip",
                record: "resident-card-extended",
                list: "status",
                now,
                role: "border",
                presentation: ("chip", Some("golden-extended"), None),
                expect: ("valid", None, "may-stay", true),
            },
            Some(("extended", "2027-11-19", None)),
        ),
        (
            Spec {
                name: "extended-until-its-new-date",
                record: "digital-nomad-extended",
                list: "status",
                now: NOW.0 + 181 * DAY,
                role: "border",
                presentation: printed,
                expect: ("invalid", Some("expired"), "may-not-stay", false),
            },
            Some(("extended", "2027-05-20", None)),
        ),
        (
            Spec {
                name: "suspended",
                record: "unified-window-suspended",
                list: "status",
                now,
                role: "border",
                presentation: printed,
                expect: ("invalid", Some("suspended"), "may-not-stay", false),
            },
            Some(("suspended", "2026-11-20", None)),
        ),
        (
            Spec {
                name: "suspension-lifted",
                record: "unified-window-suspended",
                list: "status-lifted",
                now,
                role: "border",
                presentation: printed,
                expect: ("valid", None, "may-stay", false),
            },
            None,
        ),
        (
            Spec {
                name: "superseded",
                record: "unified-window-superseded",
                list: "status",
                now,
                role: "border",
                presentation: printed,
                expect: ("invalid", Some("superseded"), "may-not-stay", false),
            },
            Some(("superseded", "2026-11-20", Some("RC0000031"))),
        ),
        (
            Spec {
                name: "extension-exceeds-policy",
                record: "unified-window-extended",
                list: "status",
                now,
                role: "border",
                presentation: printed,
                expect: (
                    "invalid",
                    Some("extension-exceeds-policy"),
                    "may-not-stay",
                    false,
                ),
            },
            Some(("extended", "2027-02-14", None)),
        ),
        (
            Spec {
                name: "suspension-on-its-day",
                record: "digital-nomad",
                list: "status",
                now: NOW.0 + 10 * DAY,
                role: "border",
                presentation: printed,
                expect: ("invalid", Some("suspended"), "may-not-stay", false),
            },
            Some(("suspended", "2026-12-01", None)),
        ),
        (
            Spec {
                name: "suspension-before-its-day",
                record: "digital-nomad",
                list: "status",
                now,
                role: "border",
                presentation: printed,
                expect: ("valid", None, "may-stay", false),
            },
            None,
        ),
    ];
    cases.extend(status_specs.into_iter().map(|(s, change)| Case {
        expect_change: change.map(|c| c.0.into()),
        expect_change_date: change.map(|c| c.1.into()),
        expect_successor: change.and_then(|c| c.2.map(Into::into)),
        ..case(s)
    }));
    let list_cases = vec![
        ListCase {
            name: "status-changes".into(),
            file: "lists/status.list".into(),
            trusted_sequence: Some(5),
            expect: "ok".into(),
        },
        ListCase {
            name: "status-lifted".into(),
            file: "lists/status-lifted.list".into(),
            trusted_sequence: Some(6),
            expect: "ok".into(),
        },
        ListCase {
            name: "current".into(),
            file: "lists/current.list".into(),
            trusted_sequence: Some(5),
            expect: "ok".into(),
        },
        ListCase {
            name: "newer-than-trusted".into(),
            file: "lists/current.list".into(),
            trusted_sequence: Some(4),
            expect: "ok".into(),
        },
        ListCase {
            name: "minimal".into(),
            file: "lists/minimal.list".into(),
            trusted_sequence: None,
            expect: "ok".into(),
        },
        ListCase {
            name: "rollback".into(),
            file: "lists/older.list".into(),
            trusted_sequence: Some(5),
            expect: "rollback".into(),
        },
        ListCase {
            name: "bad-signature".into(),
            file: "lists/bad-signature.list".into(),
            trusted_sequence: None,
            expect: "bad-signature".into(),
        },
        ListCase {
            name: "truncated".into(),
            file: "lists/truncated.list".into(),
            trusted_sequence: None,
            expect: "malformed".into(),
        },
    ];
    let vectors = Vectors {
        root_key: "keys/root.pub.pem".into(),
        lists: list_cases,
        cases,
    };
    let header = "# Golden vectors: generated by `cargo xtask vectors`; do not edit by hand.\n\
                  # Each [[case]] is one call of stay_core::verify and the verdict it must give.\n\n";
    let text = format!("{header}{}", toml::to_string_pretty(&vectors)?);
    stay_std::files::write_atomic(&dir.join("vectors.toml"), text.as_bytes())?;
    Ok(())
}
