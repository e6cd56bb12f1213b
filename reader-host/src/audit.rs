//! The audit log: every verification, in SQLite (WAL), in the data directory.
//!
//! A row holds the time, the source, the verdict, its reason and decision, the role, and a
//! keyed digest of the document number (HMAC-SHA-256 under a key kept apart from the
//! database, `audit_key` in the config) — never the number itself, so the log alone does
//! not say whose documents were checked, yet an auditor with the key can find every check of
//! one document. Document numbers count up (a prefix and 7 digits): with the key, every
//! digest is found in milliseconds, so the key is never in the data directory a backup or a
//! support bundle copies, and both files are readable by their owner only.
//!
//! Verdicts never wait for the disk: they go to a bounded queue that one writer thread
//! drains; when the queue is full the row is counted as dropped and a warning is logged.
//! When the disk refuses a row (full, read-only, failing), the writer keeps it, and the rows
//! after it, in memory ([`BACKLOG_LEN`]) and tries again every [`RETRY`], oldest first, so a
//! disk that fills up and is then cleared loses nothing; the change is reported both ways
//! through [`AuditLog::on_health`].

use std::collections::VecDeque;
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::mpsc::{sync_channel, Receiver, RecvTimeoutError, SyncSender, TrySendError};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use anyhow::{Context, Result};
use rusqlite::{params, Connection};
use serde::Serialize;

/// Rows waiting for the writer before new ones are dropped.
pub const QUEUE_LEN: usize = 4096;
/// Rows the writer keeps in memory while the disk refuses them (about 300 bytes each).
pub const BACKLOG_LEN: usize = 65_536;
/// How often the writer tries the disk again while rows wait.
pub const RETRY: Duration = Duration::from_secs(1);
const KEY_LEN: usize = stay_core::audit::AUDIT_KEY_LEN;

/// One verification, as the log keeps it.
#[derive(Debug, Clone, Serialize, PartialEq, Eq)]
pub struct Entry {
    /// RFC 3339.
    pub at: String,
    pub at_unix: u64,
    /// `reader:NAME`, `api`, `file:PATH`, `camera`.
    pub source: String,
    /// `valid`, `invalid`, `indeterminate`.
    pub status: String,
    pub reason: Option<String>,
    pub decision: String,
    pub role: String,
    /// Keyed digest of the document number (hex), when the record named one.
    pub document_digest: Option<String>,
    pub chip_authenticated: bool,
}

/// The digest key: 32 random bytes created with the log, readable by its owner only.
pub struct DigestKey(stay_core::audit::AuditKey);

impl DigestKey {
    pub fn open(path: &Path) -> Result<DigestKey> {
        match stay_std::files::read(path) {
            Ok(_) if crate::access::is_shared(path)? => {
                anyhow::bail!(
                    "{}: the audit key is readable by others (chmod 600 it)",
                    path.display()
                )
            }
            Ok(bytes) => Ok(DigestKey(stay_core::audit::AuditKey(
                bytes.try_into().map_err(|_| {
                    anyhow::anyhow!("{}: the audit key must be {KEY_LEN} bytes", path.display())
                })?,
            ))),
            Err(e) if e.source.kind() == std::io::ErrorKind::NotFound => {
                let mut key = [0u8; KEY_LEN];
                rand_core::RngCore::fill_bytes(&mut rand_core::OsRng, &mut key);
                stay_std::files::write_private(path, &key)?;
                Ok(DigestKey(stay_core::audit::AuditKey(key)))
            }
            Err(e) => Err(e.into()),
        }
    }

    /// HMAC-SHA-256(key, document number), first 16 bytes, hex.
    pub fn digest(&self, document_number: &str) -> String {
        hex::encode(self.0.document_digest(document_number))
    }
}

const SCHEMA: &str = "
CREATE TABLE IF NOT EXISTS verifications (
    id INTEGER PRIMARY KEY,
    at TEXT NOT NULL,
    at_unix INTEGER NOT NULL,
    source TEXT NOT NULL,
    status TEXT NOT NULL,
    reason TEXT,
    decision TEXT NOT NULL,
    role TEXT NOT NULL,
    document_digest TEXT,
    chip_authenticated INTEGER NOT NULL
);
CREATE INDEX IF NOT EXISTS verifications_at ON verifications (at_unix);
CREATE INDEX IF NOT EXISTS verifications_document ON verifications (document_digest);
";

use stay_std::files::open_durable;

/// The database's file name in the data directory.
pub const DATABASE: &str = "audit.sqlite";

/// Refuses a key inside the log's folder, however the paths are spelled (`..`, links),
/// and a key left there by a version that kept it beside the database.
fn key_apart_from(dir: &Path, key: &Path) -> Result<()> {
    let old = dir.join("audit.key");
    anyhow::ensure!(
        !old.exists(),
        "{} is in the data directory: move it out of it (to the path `audit_key` names) or, \
         to forget the old rows' digests, delete it",
        old.display()
    );
    let folder = |p: &Path| {
        let parent = p
            .parent()
            .filter(|d| !d.as_os_str().is_empty())
            .unwrap_or(Path::new("."));
        std::fs::canonicalize(parent).with_context(|| format!("cannot find {}", parent.display()))
    };
    let dir =
        std::fs::canonicalize(dir).with_context(|| format!("cannot find {}", dir.display()))?;
    anyhow::ensure!(
        !folder(key)?.starts_with(&dir),
        "the audit key {} is inside the data directory {}: keep it apart from the log it unlocks",
        key.display(),
        dir.display()
    );
    Ok(())
}

/// Makes `path` exist with mode 0600 (SQLite gives its `-wal` and `-shm` files the
/// database's mode), and takes group and world access off one that exists.
fn private_file(path: &Path) -> Result<()> {
    use std::os::unix::fs::{OpenOptionsExt, PermissionsExt};
    std::fs::OpenOptions::new()
        .create(true)
        .append(true)
        .mode(0o600)
        .open(path)
        .with_context(|| format!("cannot open {}", path.display()))?;
    for file in [
        path.to_path_buf(),
        PathBuf::from(format!("{}-wal", path.display())),
        PathBuf::from(format!("{}-shm", path.display())),
    ] {
        if file.exists() {
            std::fs::set_permissions(&file, std::fs::Permissions::from_mode(0o600))
                .with_context(|| format!("cannot make {} private", file.display()))?;
        }
    }
    Ok(())
}

/// Counters the status page shows.
#[derive(Debug, Default)]
pub struct Counters {
    pub written: AtomicU64,
    /// Rows lost: the queue or the backlog was full.
    pub dropped: AtomicU64,
    /// Writes the disk refused (each row is tried again).
    pub failed: AtomicU64,
    /// Rows in the backlog, waiting for the disk.
    pub pending: AtomicU64,
}

/// Whether the log is being written, as the writer reports a change.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Health {
    /// The disk refused a row (the error); rows wait in memory.
    Failing(String),
    /// Rows are written again; the backlog is on disk.
    Writing,
}

type HealthHook = Arc<Mutex<Option<Box<dyn Fn(Health) + Send>>>>;

/// The sending side: cheap to clone, never blocks.
#[derive(Clone)]
pub struct AuditLog {
    queue: SyncSender<Entry>,
    pub counters: Arc<Counters>,
    key: Arc<DigestKey>,
    health: HealthHook,
}

impl AuditLog {
    /// Opens (or creates) `DIR/audit.sqlite` (0600) and the digest key at `key`, and starts
    /// the writer.
    pub fn open(dir: &Path, key: &Path) -> Result<AuditLog> {
        AuditLog::with_queue(dir, key, QUEUE_LEN)
    }

    fn with_queue(dir: &Path, key: &Path, queue_len: usize) -> Result<AuditLog> {
        key_apart_from(dir, key)?;
        let key = Arc::new(DigestKey::open(key)?);
        let db_path = dir.join(DATABASE);
        private_file(&db_path)?;
        let db = open_durable(&db_path, "audit log", SCHEMA)?;
        let (queue, rows) = sync_channel(queue_len);
        let counters = Arc::new(Counters::default());
        let health = HealthHook::default();
        let (c, h) = (counters.clone(), health.clone());
        std::thread::Builder::new()
            .name("audit-writer".into())
            .spawn(move || writer(db, rows, &c, &h))?;
        Ok(AuditLog {
            queue,
            counters,
            key,
            health,
        })
    }

    /// Calls `report` whenever the log stops being written (the disk refuses rows) and
    /// when it is written again.
    pub fn on_health(&self, report: impl Fn(Health) + Send + 'static) {
        // A panic in a hook must not stop every later report: the lock's data is a plain
        // slot, whole whatever happened.
        *self.health.lock().unwrap_or_else(|e| e.into_inner()) = Some(Box::new(report));
    }

    pub fn digest(&self, document_number: &str) -> String {
        self.key.digest(document_number)
    }

    /// Queues a row; never waits.
    pub fn record(&self, entry: Entry) {
        match self.queue.try_send(entry) {
            Ok(()) => {}
            Err(TrySendError::Full(_)) | Err(TrySendError::Disconnected(_)) => {
                self.counters.dropped.fetch_add(1, Ordering::Relaxed);
                tracing::warn!("audit log queue full or closed: a row was dropped");
            }
        }
    }
}

const INSERT: &str = "INSERT INTO verifications (at, at_unix, source, status, reason,
    decision, role, document_digest, chip_authenticated)
    VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9)";

/// At most this many rows go to the disk in one transaction: one sync for all of them.
const BATCH: usize = 512;

/// Writes `rows` in one transaction: all or none.
fn write_batch<'a>(db: &Connection, rows: impl Iterator<Item = &'a Entry>) -> rusqlite::Result<()> {
    let tx = db.unchecked_transaction()?;
    {
        let mut insert = tx.prepare_cached(INSERT)?;
        for e in rows {
            insert.execute(params![
                e.at,
                e.at_unix as i64,
                e.source,
                e.status,
                e.reason,
                e.decision,
                e.role,
                e.document_digest,
                e.chip_authenticated
            ])?;
        }
    }
    tx.commit()
}

fn writer(db: Connection, rows: Receiver<Entry>, counters: &Counters, health: &HealthHook) {
    let report = |change: Health| {
        if let Some(report) = &*health.lock().unwrap_or_else(|e| e.into_inner()) {
            report(change);
        }
    };
    let mut backlog: VecDeque<Entry> = VecDeque::new();
    let mut failing = false;
    let mut open = true;
    while open || !backlog.is_empty() {
        // Wait for a row; while rows wait for the disk, no longer than RETRY.
        let next = if backlog.is_empty() {
            rows.recv().map_err(|_| RecvTimeoutError::Disconnected)
        } else if open {
            rows.recv_timeout(RETRY)
        } else {
            // Closing: one last try for the backlog.
            Err(RecvTimeoutError::Disconnected)
        };
        let keep = |entry: Entry, backlog: &mut VecDeque<Entry>| {
            if backlog.len() < BACKLOG_LEN {
                backlog.push_back(entry);
            } else {
                counters.dropped.fetch_add(1, Ordering::Relaxed);
                tracing::warn!("audit log backlog full: a row was dropped");
            }
        };
        match next {
            Ok(entry) => keep(entry, &mut backlog),
            Err(RecvTimeoutError::Timeout) => {}
            Err(RecvTimeoutError::Disconnected) => open = false,
        }
        // What else is queued joins this write: under load, one sync serves many rows.
        while let Ok(entry) = rows.try_recv() {
            keep(entry, &mut backlog);
        }
        // Oldest first, BATCH rows to a transaction, until the disk refuses.
        while !backlog.is_empty() {
            let n = backlog.len().min(BATCH);
            match write_batch(&db, backlog.range(..n)) {
                Ok(()) => {
                    backlog.drain(..n);
                    counters.written.fetch_add(n as u64, Ordering::Relaxed);
                    if failing {
                        failing = false;
                        tracing::info!("the audit log is written again");
                        report(Health::Writing);
                    }
                }
                Err(e) => {
                    counters.failed.fetch_add(1, Ordering::Relaxed);
                    if !failing {
                        failing = true;
                        tracing::error!(error = %e, "cannot write the audit log; rows wait in memory");
                        report(Health::Failing(e.to_string()));
                    }
                    break;
                }
            }
        }
        counters
            .pending
            .store(backlog.len() as u64, Ordering::Relaxed);
        if !open && failing {
            // Nobody will send more, and the disk still refuses: what waits is lost.
            counters
                .dropped
                .fetch_add(backlog.len() as u64, Ordering::Relaxed);
            tracing::error!(
                rows = backlog.len(),
                "audit rows lost at shutdown: the disk refused them"
            );
            break;
        }
    }
}

/// What `reader-host audit` asks for.
#[derive(Debug, Default)]
pub struct Query {
    pub since_unix: Option<u64>,
    pub document_number: Option<String>,
    pub limit: usize,
}

/// Reads the log (newest first), from any process: WAL lets readers run beside the writer.
/// `key` is needed only to look up one document.
pub fn query(dir: &Path, key: &Path, q: &Query) -> Result<Vec<Entry>> {
    let db_path: PathBuf = dir.join(DATABASE);
    if !db_path.exists() {
        anyhow::bail!("no audit log at {}", db_path.display());
    }
    let db = Connection::open_with_flags(&db_path, rusqlite::OpenFlags::SQLITE_OPEN_READ_ONLY)?;
    let digest = match &q.document_number {
        Some(number) => {
            anyhow::ensure!(
                key.exists(),
                "no audit key at {}: a document is found only with the key its rows were written under",
                key.display()
            );
            Some(DigestKey::open(key)?.digest(number))
        }
        None => None,
    };
    let mut statement = db.prepare(
        "SELECT at, at_unix, source, status, reason, decision, role, document_digest,
         chip_authenticated FROM verifications
         WHERE at_unix >= ?1 AND (?2 IS NULL OR document_digest = ?2)
         ORDER BY id DESC LIMIT ?3",
    )?;
    let rows = statement.query_map(
        params![
            q.since_unix.unwrap_or(0) as i64,
            digest,
            q.limit.max(1) as i64
        ],
        |r| {
            Ok(Entry {
                at: r.get(0)?,
                at_unix: r.get::<_, i64>(1)? as u64,
                source: r.get(2)?,
                status: r.get(3)?,
                reason: r.get(4)?,
                decision: r.get(5)?,
                role: r.get(6)?,
                document_digest: r.get(7)?,
                chip_authenticated: r.get(8)?,
            })
        },
    )?;
    Ok(rows.collect::<Result<_, _>>()?)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn entry(number: &str, log: &AuditLog, at_unix: u64) -> Entry {
        Entry {
            at: format!("t{at_unix}"),
            at_unix,
            source: "api".into(),
            status: "valid".into(),
            reason: None,
            decision: "may-stay".into(),
            role: "border".into(),
            document_digest: Some(log.digest(number)),
            chip_authenticated: false,
        }
    }

    /// Waits (bounded) until the writer has dealt with `rows` rows, one way or the other.
    fn settled(log: &AuditLog, rows: u64) {
        let c = &log.counters;
        let deadline = std::time::Instant::now() + std::time::Duration::from_secs(20);
        while c.written.load(Ordering::Relaxed)
            + c.dropped.load(Ordering::Relaxed)
            + c.failed.load(Ordering::Relaxed)
            < rows
        {
            assert!(
                std::time::Instant::now() < deadline,
                "the writer did not write"
            );
            std::thread::sleep(std::time::Duration::from_millis(5));
        }
    }

    #[test]
    fn a_stalled_disk_drops_and_counts_rows_but_never_blocks_a_verdict() {
        const QUEUE: usize = 8;
        // More than a queue and a batch: the writer, draining while rows come, takes at most
        // one batch before it is stuck in its first write, so some rows must be dropped.
        const SENT: u64 = 2 * BATCH as u64;
        let dir = tempfile::tempdir().unwrap();
        let keys = tempfile::tempdir().unwrap();
        let log = AuditLog::with_queue(dir.path(), &keys.path().join("audit.key"), QUEUE).unwrap();
        // Another process holding the database stalls the writer, as a slow disk would.
        let holder = Connection::open(dir.path().join("audit.sqlite")).unwrap();
        holder.execute_batch("BEGIN EXCLUSIVE").unwrap();
        for i in 0..SENT {
            // Each call returns at once, or this loop would hang behind the lock.
            log.record(entry("RC0000001", &log, i));
        }
        let dropped = log.counters.dropped.load(Ordering::Relaxed);
        // The queue holds QUEUE rows; the writer, stuck in its first write, holds what it
        // had taken by then: none (it had not run yet) up to one batch, plus the row in hand.
        let most = SENT - QUEUE as u64;
        let least = SENT - QUEUE as u64 - BATCH as u64 - 1;
        assert!((least..=most).contains(&dropped), "{dropped} dropped");
        holder.execute_batch("COMMIT").unwrap();
        settled(&log, SENT);
        let c = &log.counters;
        assert_eq!(c.failed.load(Ordering::Relaxed), 0);
        let written = c.written.load(Ordering::Relaxed);
        assert_eq!(written + dropped, SENT);
        let rows = query(
            dir.path(),
            Path::new("unused"),
            &Query {
                limit: 1000,
                ..Query::default()
            },
        )
        .unwrap();
        assert_eq!(rows.len() as u64, written, "every counted row is on disk");
        // A full queue refuses the newcomers: the first QUEUE rows are always kept, and what
        // is kept is in order. (Which later row takes the slot the writer frees when it
        // picks up its first row depends on when its thread runs.)
        let kept: Vec<u64> = rows.iter().rev().map(|e| e.at_unix).collect();
        assert_eq!(kept[..QUEUE], (0..QUEUE as u64).collect::<Vec<_>>());
        assert!(kept.windows(2).all(|w| w[0] < w[1]), "{kept:?}");
    }

    #[test]
    fn rows_are_written_queried_and_never_hold_the_number() {
        use std::os::unix::fs::PermissionsExt;
        let dir = tempfile::tempdir().unwrap();
        let keys = tempfile::tempdir().unwrap();
        let key = keys.path().join("audit.key");
        let log = AuditLog::open(dir.path(), &key).unwrap();
        for (i, number) in ["RC0000001", "RC0000002", "RC0000001"].iter().enumerate() {
            log.record(entry(number, &log, 100 + i as u64));
        }
        // The writer is asynchronous: wait for it through its own counters.
        settled(&log, 3);
        assert_eq!(log.counters.written.load(Ordering::Relaxed), 3);
        let all = query(
            dir.path(),
            Path::new("unused"),
            &Query {
                limit: 10,
                ..Query::default()
            },
        )
        .unwrap();
        assert_eq!(
            all.iter().map(|e| e.at_unix).collect::<Vec<_>>(),
            [102, 101, 100]
        );
        let one = Query {
            document_number: Some("RC0000001".into()),
            limit: 10,
            ..Query::default()
        };
        assert_eq!(query(dir.path(), &key, &one).unwrap().len(), 2);
        let since = Query {
            since_unix: Some(101),
            limit: 10,
            ..Query::default()
        };
        assert_eq!(query(dir.path(), &key, &since).unwrap().len(), 2);
        let bytes = std::fs::read(dir.path().join("audit.sqlite")).unwrap();
        let wal = std::fs::read(dir.path().join("audit.sqlite-wal")).unwrap_or_default();
        for file in [&bytes, &wal] {
            assert!(
                !file.windows(9).any(|w| w == b"RC0000001"),
                "a document number on disk"
            );
        }
        // Owner only, the key and the log alike; the key is not in the log's folder.
        for file in [key.clone(), dir.path().join(DATABASE)] {
            let mode = std::fs::metadata(&file).unwrap().permissions().mode();
            assert_eq!(mode & 0o777, 0o600, "{}", file.display());
        }
        assert!(!dir.path().join("audit.key").exists());
        // Inside the log's folder, however spelled, and an old key left there: refused.
        std::fs::create_dir(dir.path().join("sub")).unwrap();
        let spelled = dir.path().join("sub/../sub/audit.key");
        assert!(AuditLog::open(dir.path(), &spelled).is_err());
        std::os::unix::fs::symlink(dir.path(), keys.path().join("link")).unwrap();
        assert!(AuditLog::open(dir.path(), &keys.path().join("link/audit.key")).is_err());
        std::fs::write(dir.path().join("audit.key"), [0u8; KEY_LEN]).unwrap();
        assert!(
            AuditLog::open(dir.path(), &key).is_err(),
            "an old key beside the log"
        );
        std::fs::remove_file(dir.path().join("audit.key")).unwrap();
        // Without the key no document is found; a key others can read is refused.
        assert!(query(dir.path(), &keys.path().join("elsewhere"), &one).is_err());
        std::fs::set_permissions(&key, std::fs::Permissions::from_mode(0o644)).unwrap();
        assert!(DigestKey::open(&key).is_err());
        std::fs::set_permissions(&key, std::fs::Permissions::from_mode(0o600)).unwrap();
        // The digest is keyed: another key, another digest; the same key, the same.
        let other = DigestKey::open(&tempfile::tempdir().unwrap().path().join("k")).unwrap();
        assert_ne!(other.digest("RC0000001"), log.digest("RC0000001"));
        let again = AuditLog::open(dir.path(), &key).unwrap();
        assert_eq!(again.digest("RC0000001"), log.digest("RC0000001"));
    }
}
