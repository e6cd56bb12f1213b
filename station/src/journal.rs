//! The station's journal (SQLite, WAL, synchronous FULL): every application and every card
//! attempt, with each step's time, committed before the step's consequence can happen.
//!
//! - An application is `pending`, `issued` (exactly one card holds it) or `failed` (refused
//!   by the signer or the proof; the reason is kept).
//! - An attempt is one card for one application: `started` (the card made its key and a
//!   document number was drawn), `signed` (the record exists; STORE DATA may be under way),
//!   `written`, `locked`, `verified`, `issued`, or `spoiled` (with the reason).
//!
//! Each attempt keeps the card's CAN (drawn by the station, stored on the chip, printed on
//! the face): a stopped station can print the face of a card it verified, and the office can
//! reprint a face. The journal is the station's own file, private to its user, like the
//! image of a card.
//!
//! Document numbers are drawn from the journal's counter in the same transaction that
//! records the attempt, and never drawn again: a spoiled card's number is retired, not
//! reused, so no number can ever be on two cards. The schema itself refuses a second
//! issued card for an application and a number used twice.

use std::path::Path;

use anyhow::{bail, Context, Result};
use rusqlite::{params, Connection, OptionalExtension};
use serde::Serialize;

use crate::batch::Application;

const SCHEMA: &str = "
CREATE TABLE IF NOT EXISTS applications (
    seq INTEGER PRIMARY KEY,
    id TEXT NOT NULL UNIQUE,
    application TEXT NOT NULL,
    state TEXT NOT NULL CHECK (state IN ('pending', 'issued', 'failed')),
    reason TEXT,
    added_at INTEGER NOT NULL,
    updated_at INTEGER NOT NULL
);
CREATE TABLE IF NOT EXISTS attempts (
    id INTEGER PRIMARY KEY,
    application_id TEXT NOT NULL REFERENCES applications(id),
    serial TEXT NOT NULL,
    document_number TEXT NOT NULL UNIQUE,
    chip_key TEXT NOT NULL,
    can TEXT CHECK (can IS NULL OR (length(can) = 6 AND can NOT GLOB '*[^0-9]*')),
    record BLOB,
    state TEXT NOT NULL CHECK (state IN
        ('started', 'signed', 'written', 'locked', 'verified', 'issued', 'spoiled')),
    reason TEXT,
    started_at INTEGER NOT NULL,
    updated_at INTEGER NOT NULL
);
CREATE UNIQUE INDEX IF NOT EXISTS one_card_per_application
    ON attempts (application_id) WHERE state = 'issued';
CREATE UNIQUE INDEX IF NOT EXISTS one_live_attempt_per_card
    ON attempts (serial) WHERE state != 'spoiled';
CREATE TABLE IF NOT EXISTS history (
    id INTEGER PRIMARY KEY,
    at INTEGER NOT NULL,
    application_id TEXT NOT NULL,
    attempt INTEGER,
    state TEXT NOT NULL,
    detail TEXT
);
CREATE TABLE IF NOT EXISTS numbers (
    prefix TEXT PRIMARY KEY,
    next INTEGER NOT NULL
);
";

/// The steps of one card, in order.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Serialize)]
#[serde(rename_all = "kebab-case")]
pub enum Step {
    Started,
    Signed,
    Written,
    Locked,
    Verified,
    Issued,
    Spoiled,
}

impl Step {
    pub const fn name(self) -> &'static str {
        match self {
            Step::Started => "started",
            Step::Signed => "signed",
            Step::Written => "written",
            Step::Locked => "locked",
            Step::Verified => "verified",
            Step::Issued => "issued",
            Step::Spoiled => "spoiled",
        }
    }

    fn from_name(name: &str) -> Option<Step> {
        [
            Step::Started,
            Step::Signed,
            Step::Written,
            Step::Locked,
            Step::Verified,
            Step::Issued,
            Step::Spoiled,
        ]
        .into_iter()
        .find(|s| s.name() == name)
    }
}

/// One card attempt, as the journal has it.
#[derive(Debug, Clone, Serialize, PartialEq, Eq)]
pub struct Attempt {
    pub id: i64,
    pub application_id: String,
    pub serial: String,
    pub document_number: String,
    pub state: Step,
    #[serde(skip)]
    pub record: Option<Vec<u8>>,
    /// The card's CAN: a password, so never in the status output.
    #[serde(skip)]
    pub can: Option<stay_core::pace::Can>,
    pub reason: Option<String>,
}

/// Where an application is.
#[derive(Debug, Clone, Copy, Serialize, PartialEq, Eq)]
#[serde(rename_all = "kebab-case")]
pub enum ApplicationState {
    /// Waiting for a card (again, after a spoiled one).
    Pending,
    Issued,
    /// Will not be issued as it is (signing refused, the card does not verify).
    Failed,
}

impl ApplicationState {
    /// Its name in the journal.
    pub const fn name(self) -> &'static str {
        match self {
            ApplicationState::Pending => "pending",
            ApplicationState::Issued => "issued",
            ApplicationState::Failed => "failed",
        }
    }

    fn from_name(name: &str) -> Option<ApplicationState> {
        [
            ApplicationState::Pending,
            ApplicationState::Issued,
            ApplicationState::Failed,
        ]
        .into_iter()
        .find(|state| state.name() == name)
    }
}

/// An application's standing.
#[derive(Debug, Clone, Serialize, PartialEq, Eq)]
pub struct Standing {
    pub application_id: String,
    pub name: String,
    pub state: ApplicationState,
    pub reason: Option<String>,
    /// The issued card's document number and serial.
    pub document_number: Option<String>,
    pub serial: Option<String>,
}

/// Document number prefixes: 1 to 8 of `A-Z 0-9`; seven digits follow.
pub const NUMBER_DIGITS: usize = 7;
pub const MAX_PREFIX_LEN: usize = 8;

pub struct Journal {
    db: Connection,
    prefix: String,
}

fn unix_now() -> i64 {
    stay_std::clock::system_now().0 as i64
}

impl Journal {
    /// Opens (or creates) the journal at `path`, drawing numbers as `PREFIX` + 7 digits.
    pub fn open(path: &Path, prefix: &str) -> Result<Journal> {
        if prefix.is_empty()
            || prefix.len() > MAX_PREFIX_LEN
            || !prefix
                .bytes()
                .all(|b| b.is_ascii_uppercase() || b.is_ascii_digit())
        {
            bail!("document number prefix {prefix:?}: 1 to {MAX_PREFIX_LEN} of A-Z 0-9");
        }
        // Each step is on the disk before the card is told to do the next one.
        let db = stay_std::files::open_durable(path, "journal", SCHEMA)?;
        // A journal from before the CAN: add its column (NULL for the cards it holds).
        let has_can: bool = db
            .prepare("SELECT 1 FROM pragma_table_info('attempts') WHERE name = 'can'")?
            .exists([])?;
        if !has_can {
            db.execute_batch("ALTER TABLE attempts ADD COLUMN can TEXT")?;
        }
        Ok(Journal {
            db,
            prefix: prefix.into(),
        })
    }

    fn note(
        tx: &Connection,
        application_id: &str,
        attempt: Option<i64>,
        state: &str,
        detail: Option<&str>,
    ) -> Result<()> {
        tx.execute(
            "INSERT INTO history (at, application_id, attempt, state, detail)
             VALUES (?1, ?2, ?3, ?4, ?5)",
            params![unix_now(), application_id, attempt, state, detail],
        )?;
        Ok(())
    }

    /// Adds the applications not yet in the journal (by id); returns how many were new.
    pub fn add(&mut self, applications: &[(usize, Application)]) -> Result<usize> {
        let tx = self.db.transaction()?;
        let mut added = 0;
        for (_, application) in applications {
            let json = serde_json::to_string(application)?;
            let now = unix_now();
            let n = tx.execute(
                "INSERT OR IGNORE INTO applications (id, application, state, added_at, updated_at)
                 VALUES (?1, ?2, 'pending', ?3, ?3)",
                params![application.application_id, json, now],
            )?;
            if n == 1 {
                Journal::note(&tx, &application.application_id, None, "pending", None)?;
                added += 1;
            }
        }
        tx.commit()?;
        Ok(added)
    }

    /// The pending applications, in the order they were added.
    pub fn pending(&self) -> Result<Vec<Application>> {
        let mut statement = self
            .db
            .prepare("SELECT application FROM applications WHERE state = 'pending' ORDER BY seq")?;
        let rows = statement.query_map([], |r| r.get::<_, String>(0))?;
        rows.map(|json| Ok(serde_json::from_str(&json?)?)).collect()
    }

    /// Records a new attempt for `application_id` on card `serial` and draws its document
    /// number, in one transaction.
    pub fn start(
        &mut self,
        application_id: &str,
        serial: &str,
        chip_key: &str,
        can: &stay_core::pace::Can,
    ) -> Result<Attempt> {
        let can_text = std::str::from_utf8(can.digits()).expect("a CAN is ASCII digits");
        let tx = self.db.transaction()?;
        let next: i64 = tx
            .query_row(
                "SELECT next FROM numbers WHERE prefix = ?1",
                [&self.prefix],
                |r| r.get(0),
            )
            .optional()?
            .unwrap_or(1);
        if next >= 10i64.pow(NUMBER_DIGITS as u32) {
            bail!("document numbers {}*: all used", self.prefix);
        }
        let number = format!("{}{next:0width$}", self.prefix, width = NUMBER_DIGITS);
        tx.execute(
            "INSERT INTO numbers (prefix, next) VALUES (?1, ?2)
             ON CONFLICT (prefix) DO UPDATE SET next = excluded.next",
            params![self.prefix, next + 1],
        )?;
        let now = unix_now();
        tx.execute(
            "INSERT INTO attempts (application_id, serial, document_number, chip_key, can, state,
             started_at, updated_at) VALUES (?1, ?2, ?3, ?4, ?5, 'started', ?6, ?6)",
            params![application_id, serial, number, chip_key, can_text, now],
        )
        .with_context(|| format!("card {serial} already holds a live attempt"))?;
        let id = tx.last_insert_rowid();
        Journal::note(&tx, application_id, Some(id), "started", Some(&number))?;
        tx.commit()?;
        Ok(Attempt {
            id,
            application_id: application_id.into(),
            serial: serial.into(),
            document_number: number,
            state: Step::Started,
            record: None,
            can: Some(*can),
            reason: None,
        })
    }

    /// Moves an attempt on to `step` (with the signed record, at `Signed`). `Issued` also
    /// issues the application, in the same transaction.
    pub fn advance(
        &mut self,
        attempt: &mut Attempt,
        step: Step,
        record: Option<&[u8]>,
    ) -> Result<()> {
        let tx = self.db.transaction()?;
        let n = tx.execute(
            "UPDATE attempts SET state = ?2, record = coalesce(?3, record), updated_at = ?4
             WHERE id = ?1 AND state NOT IN ('issued', 'spoiled')",
            params![attempt.id, step.name(), record, unix_now()],
        )?;
        if n != 1 {
            bail!("attempt {} is already over", attempt.id);
        }
        if step == Step::Issued {
            tx.execute(
                "UPDATE applications SET state = 'issued', reason = NULL, updated_at = ?2
                 WHERE id = ?1 AND state = 'pending'",
                params![attempt.application_id, unix_now()],
            )?;
        }
        Journal::note(
            &tx,
            &attempt.application_id,
            Some(attempt.id),
            step.name(),
            None,
        )?;
        tx.commit()?;
        attempt.state = step;
        if let Some(record) = record {
            attempt.record = Some(record.to_vec());
        }
        Ok(())
    }

    /// Spoils an attempt: its card will never count as issued and its number is retired.
    pub fn spoil(&mut self, attempt: &mut Attempt, reason: &str) -> Result<()> {
        let tx = self.db.transaction()?;
        tx.execute(
            "UPDATE attempts SET state = 'spoiled', reason = ?2, updated_at = ?3
             WHERE id = ?1 AND state != 'issued'",
            params![attempt.id, reason, unix_now()],
        )?;
        Journal::note(
            &tx,
            &attempt.application_id,
            Some(attempt.id),
            "spoiled",
            Some(reason),
        )?;
        tx.commit()?;
        attempt.state = Step::Spoiled;
        attempt.reason = Some(reason.into());
        Ok(())
    }

    /// Ends an application that no card can fix (refused by the signer, or a record that
    /// does not verify).
    pub fn fail(&mut self, application_id: &str, reason: &str) -> Result<()> {
        let tx = self.db.transaction()?;
        tx.execute(
            "UPDATE applications SET state = 'failed', reason = ?2, updated_at = ?3
             WHERE id = ?1 AND state = 'pending'",
            params![application_id, reason, unix_now()],
        )?;
        Journal::note(&tx, application_id, None, "failed", Some(reason))?;
        tx.commit()?;
        Ok(())
    }

    fn attempts(&self, filter: &str) -> Result<Vec<Attempt>> {
        let mut statement = self.db.prepare(&format!(
            "SELECT id, application_id, serial, document_number, state, record, reason, can
             FROM attempts WHERE {filter} ORDER BY id"
        ))?;
        let rows = statement.query_map([], |r| {
            let state: String = r.get(4)?;
            Ok(Attempt {
                id: r.get(0)?,
                application_id: r.get(1)?,
                serial: r.get(2)?,
                document_number: r.get(3)?,
                state: Step::from_name(&state).unwrap_or(Step::Spoiled),
                record: r.get(5)?,
                reason: r.get(6)?,
                can: r
                    .get::<_, Option<String>>(7)?
                    .and_then(|c| stay_core::pace::Can::parse(&c).ok()),
            })
        })?;
        Ok(rows.collect::<Result<_, _>>()?)
    }

    /// Attempts a stopped station left in the middle.
    pub fn interrupted(&self) -> Result<Vec<Attempt>> {
        self.attempts("state NOT IN ('issued', 'spoiled')")
    }

    /// Every attempt, oldest first.
    pub fn all_attempts(&self) -> Result<Vec<Attempt>> {
        self.attempts("1")
    }

    /// The application behind an attempt.
    pub fn application(&self, id: &str) -> Result<Application> {
        let json: String = self.db.query_row(
            "SELECT application FROM applications WHERE id = ?1",
            [id],
            |r| r.get(0),
        )?;
        Ok(serde_json::from_str(&json)?)
    }

    /// Every application's standing, in the order added.
    pub fn standings(&self) -> Result<Vec<Standing>> {
        let mut statement = self.db.prepare(
            "SELECT a.id, a.application, a.state, a.reason, t.document_number, t.serial
             FROM applications a LEFT JOIN attempts t
               ON t.application_id = a.id AND t.state = 'issued'
             ORDER BY a.seq",
        )?;
        let rows = statement.query_map([], |r| {
            Ok((
                r.get::<_, String>(0)?,
                r.get::<_, String>(1)?,
                r.get::<_, String>(2)?,
                r.get::<_, Option<String>>(3)?,
                r.get::<_, Option<String>>(4)?,
                r.get::<_, Option<String>>(5)?,
            ))
        })?;
        let mut standings = Vec::new();
        for row in rows {
            let (application_id, json, state, reason, document_number, serial) = row?;
            let application: Application = serde_json::from_str(&json)?;
            let state = ApplicationState::from_name(&state)
                .with_context(|| format!("application {application_id}: state {state:?}"))?;
            standings.push(Standing {
                application_id,
                name: application.name(),
                state,
                reason,
                document_number,
                serial,
            });
        }
        Ok(standings)
    }
}
