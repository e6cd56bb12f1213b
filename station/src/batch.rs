//! Batch files: the applications an office turns into cards, as CSV (a registry export)
//! or TOML (`[[application]]` tables), with the same columns.
//!
//! A row names the holder and the stay; the station adds what only it knows: the document
//! number (from its journal, see [`super::journal`]), the issue date (the day the card is
//! made), the chip's key and the portrait's digest. Every row is checked against the policy
//! as it is read, so a bad row is reported with its line number before any card is used,
//! and skipped; the rest of the batch proceeds.

use std::path::{Path, PathBuf};

use anyhow::{bail, Context, Result};
use issuer::Holder;
use serde::{Deserialize, Serialize};
use stay_core::{Date, Policy};
use stay_std::messages::{Message, Messages};

/// One application as the batch gives it.
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq, Eq)]
#[serde(deny_unknown_fields)]
pub struct Application {
    /// The office's own reference (unique): running a batch again never adds it twice.
    pub application_id: String,
    pub document_type: String,
    pub pin: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub itn: Option<String>,
    pub surname: String,
    #[serde(default)]
    pub given_names: String,
    pub nationality: String,
    pub date_of_birth: String,
    pub sex: String,
    pub purpose: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub employer_tin: Option<String>,
    pub valid_from: String,
    pub valid_until: String,
    pub issuing_authority: String,
    /// A JPEG to store on the card (relative paths: from the batch file's folder).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub portrait: Option<PathBuf>,
}

/// Longest application id the journal keeps.
pub const MAX_ID_LEN: usize = 64;

impl Application {
    /// "SURNAME Given names", for prompts.
    pub fn name(&self) -> String {
        format!("{} {}", self.surname, self.given_names)
            .trim()
            .to_string()
    }

    /// The holder file the signer checks: this application, with the station's part.
    pub fn holder(
        &self,
        document_number: &str,
        issue_date: Date,
        chip_public_key: Option<&[u8]>,
        portrait: Option<&[u8]>,
    ) -> Holder {
        use sha2::Digest;
        let empty = |s: &Option<String>| s.clone().filter(|v| !v.trim().is_empty());
        Holder {
            document_type: self.document_type.clone(),
            document_number: document_number.into(),
            pin: self.pin.clone(),
            itn: empty(&self.itn),
            surname: self.surname.clone(),
            given_names: self.given_names.clone(),
            nationality: self.nationality.clone(),
            date_of_birth: self.date_of_birth.clone(),
            sex: self.sex.clone(),
            purpose: self.purpose.clone(),
            employer_tin: empty(&self.employer_tin),
            valid_from: self.valid_from.clone(),
            valid_until: self.valid_until.clone(),
            issue_date: issue_date.to_string(),
            issuing_authority: self.issuing_authority.clone(),
            chip_public_key: chip_public_key.map(hex::encode),
            portrait_digest: portrait.map(|p| hex::encode(sha2::Sha256::digest(p))),
        }
    }

    /// Every check the signer will make that does not need the card: the fields, the
    /// document-type rules, the id and the portrait's presence.
    fn check(&self, policy: &Policy, issue_date: Date, chip_placeholder: &[u8]) -> Result<()> {
        if self.application_id.is_empty()
            || self.application_id.len() > MAX_ID_LEN
            || self.application_id.chars().any(char::is_control)
        {
            bail!("application_id: 1 to {MAX_ID_LEN} printable characters");
        }
        // Placeholders: the real number is drawn, and the chip key made, only when a card
        // is in the reader.
        let holder = self.holder("X", issue_date, Some(chip_placeholder), None);
        holder.application(policy)?;
        if let Some(portrait) = &self.portrait {
            let jpeg = std::fs::read(portrait)
                .with_context(|| format!("portrait {}", portrait.display()))?;
            issuer::portrait::check(&jpeg).map_err(|refusal| PortraitFileRefused {
                file: portrait.clone(),
                refusal,
            })?;
        }
        Ok(())
    }
}

/// A portrait file the card cannot carry: which file, and why.
#[derive(Debug, thiserror::Error)]
#[error("portrait {}: {refusal}", file.display())]
pub struct PortraitFileRefused {
    pub file: PathBuf,
    pub refusal: issuer::portrait::PortraitRefusal,
}

/// A row that was refused, and why.
#[derive(Debug, Clone, Serialize, PartialEq, Eq)]
pub struct BadRow {
    pub line: usize,
    /// In English, as the log and the JSON summary keep it.
    pub reason: String,
    /// The same for the operator, when it is a refusal the issuer words in every language.
    #[serde(skip)]
    pub said: Option<Message>,
}

impl BadRow {
    /// Why, in `m`'s language.
    pub fn reason_in(&self, m: &Messages) -> String {
        self.said
            .as_ref()
            .map_or_else(|| self.reason.clone(), |said| m.say(said))
    }
}

/// A refusal's words in every language, when the error is one.
fn said(e: &anyhow::Error) -> Option<Message> {
    if let Some(refusal) = e.downcast_ref::<issuer::Refusal>() {
        return Some(refusal.message());
    }
    e.downcast_ref::<PortraitFileRefused>()
        .map(|p| p.refusal.message().arg("file", p.file.display()))
}

/// A batch file read: the good applications (with their lines) and the bad rows.
#[derive(Debug, Default)]
pub struct Batch {
    pub applications: Vec<(usize, Application)>,
    pub bad_rows: Vec<BadRow>,
}

#[derive(Deserialize)]
struct TomlBatch {
    #[serde(default)]
    application: Vec<toml::Spanned<toml::Value>>,
}

/// Reads `path` (`.csv` or `.toml`), checking each row as of `issue_date`.
pub fn read(path: &Path, policy: &Policy, issue_date: Date) -> Result<Batch> {
    let text = stay_std::files::read_to_string(path)?;
    let base = path.parent().unwrap_or(Path::new("."));
    let rows = match path.extension().and_then(|e| e.to_str()) {
        Some("csv") => csv_rows(&text)?,
        Some("toml") => toml_rows(&text)?,
        _ => bail!("{}: a batch is a .csv or .toml file", path.display()),
    };
    checked(rows, base, policy, issue_date)
}

/// Reads one application (TOML, a batch row's columns at the top level): the one-card form.
pub fn read_one(path: &Path, policy: &Policy, issue_date: Date) -> Result<Batch> {
    let text = stay_std::files::read_to_string(path)?;
    let base = path.parent().unwrap_or(Path::new("."));
    let row = toml::from_str::<Application>(&text).map_err(|e| anyhow::anyhow!("{}", e.message()));
    checked(vec![(1, row)], base, policy, issue_date)
}

fn checked(rows: Vec<Row>, base: &Path, policy: &Policy, issue_date: Date) -> Result<Batch> {
    let chip_placeholder = issuer::KeyPair::from_seed("batch check").public_sec1();
    let mut batch = Batch::default();
    let mut seen = std::collections::HashSet::new();
    for (line, row) in rows {
        let checked = row.and_then(|mut application| {
            if let Some(portrait) = &mut application.portrait {
                if portrait.as_os_str().is_empty() {
                    application.portrait = None;
                } else if portrait.is_relative() {
                    *portrait = base.join(&*portrait);
                }
            }
            application.check(policy, issue_date, &chip_placeholder)?;
            if !seen.insert(application.application_id.clone()) {
                bail!(
                    "application_id {:?} appears twice in the batch",
                    application.application_id
                );
            }
            Ok(application)
        });
        match checked {
            Ok(application) => batch.applications.push((line, application)),
            Err(e) => batch.bad_rows.push(BadRow {
                line,
                reason: format!("{e:#}"),
                said: said(&e),
            }),
        }
    }
    Ok(batch)
}

type Row = (usize, Result<Application>);

fn csv_rows(text: &str) -> Result<Vec<Row>> {
    let mut reader = csv::ReaderBuilder::new()
        .trim(csv::Trim::All)
        .flexible(false)
        .from_reader(text.as_bytes());
    let headers = reader.headers().context("the batch's header line")?.clone();
    let mut rows = Vec::new();
    for record in reader.records() {
        match record {
            Ok(record) => {
                let line = record.position().map_or(0, |p| p.line() as usize);
                let row = record
                    .deserialize::<Application>(Some(&headers))
                    .map_err(|e| anyhow::anyhow!("{}", csv_reason(&e)));
                rows.push((line, row));
            }
            Err(e) => {
                let line = e.position().map_or(0, |p| p.line() as usize);
                rows.push((line, Err(anyhow::anyhow!("{}", csv_reason(&e)))));
            }
        }
    }
    Ok(rows)
}

/// The error without the position (the line is reported beside it).
fn csv_reason(e: &csv::Error) -> String {
    match e.kind() {
        csv::ErrorKind::Deserialize { err, .. } => match err.field() {
            Some(_) => format!("{}", err.kind()),
            None => err.to_string(),
        },
        csv::ErrorKind::UnequalLengths {
            expected_len, len, ..
        } => format!("{len} columns, the header has {expected_len}"),
        _ => e.to_string(),
    }
}

fn toml_rows(text: &str) -> Result<Vec<Row>> {
    let batch: TomlBatch = toml::from_str(text).context("the batch is not TOML")?;
    let line_of = |offset: usize| text[..offset.min(text.len())].matches('\n').count() + 1;
    Ok(batch
        .application
        .into_iter()
        .map(|spanned| {
            let line = line_of(spanned.span().start);
            let row = spanned
                .into_inner()
                .try_into::<Application>()
                .map_err(|e| anyhow::anyhow!("{}", e.message()));
            (line, row)
        })
        .collect())
}

#[cfg(test)]
mod tests {
    use super::*;

    const HEADER: &str = "application_id,document_type,pin,itn,surname,given_names,nationality,\
                          date_of_birth,sex,purpose,employer_tin,valid_from,valid_until,\
                          issuing_authority,portrait\n";

    fn row(id: &str, pin: &str) -> String {
        format!(
            "{id},resident-card,{pin},21503199000123,SMIRNOVA,Elena,RUS,1990-03-15,F,work,\
             01234567890123,2026-11-01,2027-10-31,Ministry of Internal Affairs,\n"
        )
    }

    fn issue_date() -> Date {
        Date::new(2026, 11, 21).unwrap()
    }

    #[test]
    fn bad_csv_rows_are_reported_by_line_and_skipped() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("batch.csv");
        let text = format!(
            "{HEADER}{}{}{}{}{}",
            row("A-1", "21503199000123"),
            row("A-2", "123"),
            "A-3,resident-card,too,few\n",
            row("A-4", "21503199000124"),
            row("A-1", "21503199000125"),
        );
        std::fs::write(&path, text).unwrap();
        let batch = read(&path, &Policy::DEFAULT, issue_date()).unwrap();
        let good: Vec<(usize, &str)> = batch
            .applications
            .iter()
            .map(|(line, a)| (*line, a.application_id.as_str()))
            .collect();
        assert_eq!(good, [(2, "A-1"), (5, "A-4")], "{:?}", batch.bad_rows);
        let lines: Vec<usize> = batch.bad_rows.iter().map(|b| b.line).collect();
        assert_eq!(lines, [3, 4, 6], "{:?}", batch.bad_rows);
        assert!(
            batch.bad_rows[0].reason.contains("pin"),
            "{:?}",
            batch.bad_rows
        );
        assert!(batch.bad_rows[1].reason.contains("columns"));
        assert!(batch.bad_rows[2].reason.contains("twice"));
    }

    #[test]
    fn toml_rows_carry_their_lines_and_policy_refusals() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("batch.toml");
        let text = "[[application]]\napplication_id = \"T-1\"\ndocument_type = \"resident-card\"\n\
            pin = \"21503199000123\"\nitn = \"21503199000123\"\nsurname = \"OKAFOR\"\n\
            nationality = \"NGA\"\ndate_of_birth = \"1988-01-02\"\nsex = \"M\"\npurpose = \"work\"\n\
            employer_tin = \"01234567890123\"\nvalid_from = \"2026-11-01\"\n\
            valid_until = \"2027-10-31\"\nissuing_authority = \"Ministry\"\n\n\
            [[application]]\napplication_id = \"T-2\"\ndocument_type = \"resident-card\"\n\
            pin = \"21503199000123\"\nitn = \"21503199000123\"\nsurname = \"OKAFOR\"\n\
            nationality = \"NGA\"\ndate_of_birth = \"1988-01-02\"\nsex = \"M\"\npurpose = \"work\"\n\
            valid_from = \"2026-11-01\"\nvalid_until = \"2028-10-31\"\nissuing_authority = \"Ministry\"\n\
            portrait = \"missing.jpg\"\n";
        std::fs::write(&path, text).unwrap();
        let batch = read(&path, &Policy::DEFAULT, issue_date()).unwrap();
        assert_eq!(batch.applications.len(), 1);
        assert_eq!(batch.applications[0].0, 1);
        assert_eq!(batch.bad_rows.len(), 1);
        assert_eq!(batch.bad_rows[0].line, 16);
        assert!(
            batch.bad_rows[0].reason.contains("validity"),
            "{:?}",
            batch.bad_rows
        );
    }

    #[test]
    fn portraits_that_are_not_card_portraits_are_refused_by_row() {
        let dir = tempfile::tempdir().unwrap();
        std::fs::write(dir.path().join("face.jpg"), issuer::portrait::sample("A-1")).unwrap();
        std::fs::write(dir.path().join("photo.png"), b"\x89PNG\r\n\x1a\n").unwrap();
        let mut small = Vec::new();
        image::codecs::jpeg::JpegEncoder::new(&mut small)
            .encode_image(&image::RgbImage::new(64, 80))
            .unwrap();
        std::fs::write(dir.path().join("small.jpg"), small).unwrap();
        let with =
            |id: &str, file: &str| row(id, "21503199000123").replace(",\n", &format!(",{file}\n"));
        let text = format!(
            "{HEADER}{}{}{}",
            with("P-1", "face.jpg"),
            with("P-2", "photo.png"),
            with("P-3", "small.jpg"),
        );
        let path = dir.path().join("batch.csv");
        std::fs::write(&path, text).unwrap();
        let batch = read(&path, &Policy::DEFAULT, issue_date()).unwrap();
        assert_eq!(batch.applications.len(), 1, "{:?}", batch.bad_rows);
        let reasons: Vec<&str> = batch.bad_rows.iter().map(|b| b.reason.as_str()).collect();
        assert!(
            reasons[0].ends_with("photo.png: not a JPEG image"),
            "{reasons:?}"
        );
        assert!(
            reasons[1].contains("64x80 pixels, must be 120x160"),
            "{reasons:?}"
        );
    }
}
