//! `issuer init`: a complete demo authority in a directory.

use sha2::Digest as _;
use std::path::Path;

use anyhow::{bail, Result};
use stay_core::{Date, DocumentType, UnixTime};

use crate::holder::Holder;
use crate::keys::KeyPair;
use crate::list::{ListSpec, SignerSpec};
use stay_std::clock::format_rfc3339;

pub const ISSUING_AUTHORITY: &str = "Migration Service KR";
/// The employer the demo's work permits name.
pub const DEMO_EMPLOYER_TIN: &str = "01234567890123";
/// A document number the demo list revokes.
pub const DEMO_REVOKED_NUMBER: &str = "RC0000099";
/// Lifetime of a trust list before terminals must fetch the next one.
pub const LIST_LIFETIME_SECS: u64 = 30 * 86_400;

fn days_after(d: Date, days: i64) -> Date {
    Date::from_days_since_epoch(d.days_since_epoch() + days)
}

/// The demo's sample applications, dated from `today`.
pub fn sample_holders(today: Date) -> Vec<(&'static str, Holder)> {
    let holder = |document_type: DocumentType,
                  number: &str,
                  surname: &str,
                  given: &str,
                  nationality: &str| Holder {
        document_type: document_type.name().into(),
        document_number: number.into(),
        pin: String::new(),
        itn: None,
        surname: surname.into(),
        given_names: given.into(),
        nationality: nationality.into(),
        date_of_birth: String::new(),
        sex: "F".into(),
        purpose: "work".into(),
        employer_tin: None,
        valid_from: today.to_string(),
        valid_until: days_after(today, 364).to_string(),
        issue_date: today.to_string(),
        issuing_authority: ISSUING_AUTHORITY.into(),
        chip_public_key: None,
        portrait_digest: None,
    };
    let resident = Holder {
        pin: "21503199000123".into(),
        itn: Some("21503199000123".into()),
        date_of_birth: "1990-03-15".into(),
        employer_tin: Some(DEMO_EMPLOYER_TIN.into()),
        ..holder(
            DocumentType::ResidentCard,
            "RC0000001",
            "SMIRNOVA",
            "Elena",
            "RUS",
        )
    };
    let unified = Holder {
        pin: "12207198500456".into(),
        date_of_birth: "1985-07-22".into(),
        sex: "M".into(),
        employer_tin: Some(DEMO_EMPLOYER_TIN.into()),
        valid_until: days_after(today, 59).to_string(),
        ..holder(
            DocumentType::UnifiedWindow,
            "UW0000001",
            "RAHIMOV",
            "Farrukh",
            "UZB",
        )
    };
    let nomad = Holder {
        pin: "10111199200789".into(),
        date_of_birth: "1992-11-01".into(),
        sex: "M".into(),
        purpose: "remote-work".into(),
        ..holder(
            DocumentType::DigitalNomad,
            "DN0000001",
            "MÜLLER",
            "Jonas",
            "DEU",
        )
    };
    let student = Holder {
        pin: "20905200100321".into(),
        itn: Some("20905200100321".into()),
        date_of_birth: "2001-05-09".into(),
        purpose: "study".into(),
        ..holder(
            DocumentType::ResidentCard,
            "RC0000002",
            "CHEN",
            "Wei",
            "CHN",
        )
    };
    let revoked = Holder {
        pin: "11212198800654".into(),
        itn: Some("11212198800654".into()),
        date_of_birth: "1988-12-12".into(),
        sex: "X".into(),
        ..holder(
            DocumentType::ResidentCard,
            DEMO_REVOKED_NUMBER,
            "DOE",
            "Alex",
            "USA",
        )
    };
    vec![
        ("resident-card", resident),
        ("unified-window", unified),
        ("digital-nomad", nomad),
        ("resident-card-study", student),
        ("resident-card-revoked", revoked),
    ]
}

/// What `init` created, for the caller to report.
pub struct Authority {
    pub root: KeyPair,
    pub signers: Vec<(DocumentType, KeyPair)>,
    pub personalization: KeyPair,
}

/// Creates root, signer and personalization keys, the list source and signed list, and
/// sample holder files in `dir`. Refuses to touch a directory that already has a root key.
pub fn init(dir: &Path, now: UnixTime) -> Result<Authority> {
    if dir.join("root.key.pem").exists() {
        bail!(
            "{} already holds an authority (root.key.pem): refusing to overwrite keys",
            dir.display()
        );
    }
    std::fs::create_dir_all(dir.join("holders"))?;
    let root = KeyPair::generate();
    root.write(dir, "root")?;
    let personalization = KeyPair::generate();
    personalization.write(dir, "personalization")?;
    let today = now.bishkek_date();
    let not_before = days_after(today, -30);
    let not_after = days_after(today, 3 * 365);
    let mut signers = Vec::new();
    let mut source = format!(
        "# Trust list source: edit, then `issuer sign-list --key root.key.pem --in list.toml --out trust.list`.\n\
         # Raise `sequence` for every new list: terminals refuse a lower one.\n\
         sequence = 1\nissued_at = \"{}\"\nnext_update = \"{}\"\n\
         revoked_signers = []\nrevoked_documents = [\"{DEMO_REVOKED_NUMBER}\"]\n",
        format_rfc3339(now),
        format_rfc3339(UnixTime(now.0 + LIST_LIFETIME_SECS)),
    );
    for t in DocumentType::ALL {
        let key = KeyPair::generate();
        key.write(dir, t.name())?;
        source.push_str(&format!(
            "\n[[signer]]\npublic_key = \"{}.pub.pem\"\nnot_before = \"{not_before}\"\nnot_after = \"{not_after}\"\ndocument_types = [\"{}\"]\n",
            t.name(),
            t.name()
        ));
        signers.push((t, key));
    }
    stay_std::files::write_atomic(&dir.join("list.toml"), source.as_bytes())?;
    let spec = ListSpec {
        sequence: 1,
        issued_at: now,
        next_update: UnixTime(now.0 + LIST_LIFETIME_SECS),
        signers: signers
            .iter()
            .map(|(t, k)| SignerSpec {
                public_key: k.public_sec1(),
                not_before,
                not_after,
                document_types: vec![*t],
            })
            .collect(),
        revoked_signers: vec![],
        revoked_documents: vec![DEMO_REVOKED_NUMBER.into()],
        status_changes: vec![],
    };
    stay_std::files::write_atomic(&dir.join("trust.list"), &spec.seal(&root)?)?;
    for (name, mut holder) in sample_holders(today) {
        // Each sample holder has a face: the card's chip stores it, the record signs it.
        let portrait = crate::portrait::sample(&holder.document_number);
        holder.portrait_digest = Some(hex::encode(sha2::Sha256::digest(&portrait)));
        stay_std::files::write_atomic(&dir.join("holders").join(format!("{name}.jpg")), &portrait)?;
        let text = toml::to_string_pretty(&holder)?;
        stay_std::files::write_atomic(
            &dir.join("holders").join(format!("{name}.toml")),
            text.as_bytes(),
        )?;
    }
    Ok(Authority {
        root,
        signers,
        personalization,
    })
}
