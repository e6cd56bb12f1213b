//! Writing files (and opening databases) so that a crash never leaves half of one.

use std::io::Write;
use std::path::Path;

use anyhow::{Context, Result};

/// A file that could not be read: which, and the system's reason. Every tool's reads
/// carry this, so the command line words it in the operator's language
/// ([`crate::cli::error_text`]).
#[derive(Debug, thiserror::Error)]
#[error("cannot read {}: {source}", path.display())]
pub struct Unreadable {
    pub path: std::path::PathBuf,
    pub source: std::io::Error,
}

/// The bytes of `path`.
pub fn read(path: &Path) -> Result<Vec<u8>, Unreadable> {
    std::fs::read(path).map_err(|source| Unreadable {
        path: path.to_owned(),
        source,
    })
}

/// The text of `path`.
pub fn read_to_string(path: &Path) -> Result<String, Unreadable> {
    std::fs::read_to_string(path).map_err(|source| Unreadable {
        path: path.to_owned(),
        source,
    })
}

/// Writes `bytes` to a temporary file beside `path`, syncs it, and renames it into place.
pub fn write_atomic(path: &Path, bytes: &[u8]) -> Result<()> {
    write_with_mode(path, bytes, 0o644)
}

/// Like [`write_atomic`], readable by the owner only (private keys).
pub fn write_private(path: &Path, bytes: &[u8]) -> Result<()> {
    write_with_mode(path, bytes, 0o600)
}

fn write_with_mode(path: &Path, bytes: &[u8], mode: u32) -> Result<()> {
    use std::os::unix::fs::OpenOptionsExt;
    let dir = path
        .parent()
        .filter(|d| !d.as_os_str().is_empty())
        .unwrap_or(Path::new("."));
    let name = path.file_name().context("no file name")?.to_string_lossy();
    let tmp = dir.join(format!(".{name}.tmp{}", std::process::id()));
    let result = (|| -> Result<()> {
        let mut file = std::fs::OpenOptions::new()
            .write(true)
            .create(true)
            .truncate(true)
            .mode(mode)
            .open(&tmp)?;
        file.write_all(bytes)?;
        file.sync_all()?;
        std::fs::rename(&tmp, path)?;
        std::fs::File::open(dir)?.sync_all()?;
        Ok(())
    })();
    if result.is_err() {
        let _ = std::fs::remove_file(&tmp);
    }
    result.with_context(|| format!("cannot write {}", path.display()))
}

#[cfg(feature = "sqlite")]
/// Opens (or creates) a SQLite database that keeps what it committed: WAL, so a crash
/// loses nothing committed; synchronous FULL, so each commit reaches the disk. `what`
/// names it in errors; `schema` is run on every open (`CREATE ... IF NOT EXISTS`).
pub fn open_durable(path: &Path, what: &str, schema: &str) -> Result<rusqlite::Connection> {
    let db = rusqlite::Connection::open(path)
        .with_context(|| format!("cannot open the {what} {}", path.display()))?;
    db.pragma_update(None, "journal_mode", "WAL")?;
    db.pragma_update(None, "synchronous", "FULL")?;
    db.busy_timeout(std::time::Duration::from_secs(5))?;
    db.execute_batch(schema)?;
    Ok(db)
}
