//! The daemon's trust list: the last good list, kept on disk and in memory, refreshed over
//! HTTP(S).
//!
//! A new list replaces the current one only if its root signature checks and its sequence
//! is not lower (`TrustList::load` with the current sequence); it is written atomically
//! before it is used. Any failure (network, HTTP status, truncation, signature, rollback)
//! keeps the last good list and is reported in [`CacheStatus`].
//!
//! The list replaced is kept beside the cache (`trust.list.previous`): if the cached file is
//! found damaged at start (a disk that lost or flipped bits), the previous good list is put
//! back in force, which the status reports, rather than the daemon refusing to start or
//! going on without a list. A refresh then brings the newest again.

use std::path::{Path, PathBuf};
use std::sync::{Arc, RwLock};
use std::time::Duration;

use anyhow::{Context, Result};
use serde::Serialize;
use stay_core::{PublicKey, UnixTime};

pub use issuer::list::LoadedList;

/// The outcome of the last refresh attempt, as operators see it.
#[derive(Debug, Clone, Serialize, PartialEq, Eq)]
pub struct Refresh {
    /// RFC 3339.
    pub at: String,
    /// `updated`, `not-modified`, `refused`, `failed`, or `recovered` (the cached list was
    /// damaged at start and the previous good one is in force).
    pub result: &'static str,
    pub detail: String,
}

/// What `/api/status` shows of the list.
#[derive(Debug, Clone, Serialize)]
pub struct CacheStatus {
    pub sequence: u64,
    pub issued_at: String,
    pub next_update: String,
    pub age_seconds: u64,
    /// `fresh`, `due` (past next-update, within grace) or `stale` (verdicts are
    /// Indeterminate until a new list comes).
    pub state: &'static str,
    pub revoked_documents: usize,
    pub source_url: Option<String>,
    pub last_refresh: Option<Refresh>,
}

struct Validators {
    etag: Option<String>,
    last_modified: Option<String>,
}

pub struct TrustCache {
    root: PublicKey,
    path: PathBuf,
    url: Option<String>,
    current: RwLock<Arc<LoadedList>>,
    validators: RwLock<Validators>,
    last_refresh: RwLock<Option<Refresh>>,
}

/// Largest list a refresh downloads (1,000,000 revocations are about 9 MB).
pub const MAX_DOWNLOAD: u64 = 64 * 1024 * 1024;

pub use issuer::list::system_now as now;

/// Where the list a refresh replaced is kept: `trust.list` -> `trust.list.previous`.
pub fn previous_path(path: &Path) -> PathBuf {
    let mut name = path.file_name().unwrap_or_default().to_os_string();
    name.push(".previous");
    path.with_file_name(name)
}

impl TrustCache {
    /// Loads the cached list at `path`; when there is none (first start), the `seed` list,
    /// which is then cached; when it does not verify, the previous good list kept beside it.
    /// Refuses to start without a verified list.
    pub fn open(
        root: PublicKey,
        path: PathBuf,
        seed: Option<&Path>,
        url: Option<String>,
    ) -> Result<TrustCache> {
        let (bytes, from) = match std::fs::read(&path) {
            Ok(bytes) => (bytes, path.clone()),
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => {
                let seed = seed.with_context(|| {
                    format!(
                        "no cached trust list at {} and no seed list",
                        path.display()
                    )
                })?;
                let bytes = std::fs::read(seed)
                    .with_context(|| format!("cannot read seed list {}", seed.display()))?;
                (bytes, seed.to_path_buf())
            }
            Err(e) => return Err(e).with_context(|| format!("cannot read {}", path.display())),
        };
        let mut recovered = None;
        let loaded = match LoadedList::verify(bytes, &root, None) {
            Ok(loaded) => loaded,
            Err(damaged) if from == path => {
                let previous = previous_path(&path);
                let loaded = std::fs::read(&previous)
                    .map_err(anyhow::Error::from)
                    .and_then(|bytes| LoadedList::verify(bytes, &root, None))
                    .with_context(|| {
                        format!(
                            "trust list {} refused ({damaged:#}), and no good previous list at {}",
                            path.display(),
                            previous.display()
                        )
                    })?;
                recovered = Some(format!(
                    "{} refused at start ({damaged:#}); the previous good list (sequence {}) is in force",
                    path.display(),
                    loaded.list().sequence
                ));
                loaded
            }
            Err(e) => {
                return Err(e).with_context(|| format!("trust list {} refused", from.display()))
            }
        };
        if from != path || recovered.is_some() {
            issuer::files::write_atomic(&path, loaded.bytes())?;
        }
        let cache = TrustCache {
            root,
            path,
            url,
            current: RwLock::new(Arc::new(loaded)),
            validators: RwLock::new(Validators {
                etag: None,
                last_modified: None,
            }),
            last_refresh: RwLock::new(None),
        };
        if let Some(detail) = recovered {
            cache.record("recovered", detail);
        }
        Ok(cache)
    }

    /// The list verdicts use now.
    pub fn current(&self) -> Arc<LoadedList> {
        self.current.read().expect("lock").clone()
    }

    /// Offers a new list: accepted only if signed by the root and not older.
    pub fn offer(&self, bytes: Vec<u8>) -> Result<u64> {
        let sequence = self.current().list().sequence;
        let loaded = LoadedList::verify(bytes, &self.root, Some(sequence))?;
        let new_sequence = loaded.list().sequence;
        issuer::files::write_atomic(&previous_path(&self.path), self.current().bytes())
            .and_then(|()| issuer::files::write_atomic(&self.path, loaded.bytes()))
            .context("cannot save the new list; keeping the last good one")?;
        *self.current.write().expect("lock") = Arc::new(loaded);
        Ok(new_sequence)
    }

    fn record(&self, result: &'static str, detail: String) -> Refresh {
        let refresh = Refresh {
            at: issuer::list::format_rfc3339(now()),
            result,
            detail,
        };
        *self.last_refresh.write().expect("lock") = Some(refresh.clone());
        match result {
            "updated" | "not-modified" => {
                tracing::info!(result, detail = %refresh.detail, "trust list refresh")
            }
            _ => {
                tracing::warn!(result, detail = %refresh.detail, "trust list refresh; keeping the last good list")
            }
        }
        refresh
    }

    /// One conditional GET of the list URL (ETag / If-Modified-Since).
    pub fn refresh(&self) -> Refresh {
        let Some(url) = &self.url else {
            return self.record("failed", "no trust_list.url configured".into());
        };
        let mut request = ureq::get(url).timeout(Duration::from_secs(30));
        {
            let v = self.validators.read().expect("lock");
            if let Some(etag) = &v.etag {
                request = request.set("If-None-Match", etag);
            }
            if let Some(date) = &v.last_modified {
                request = request.set("If-Modified-Since", date);
            }
        }
        let response = match request.call() {
            Ok(r) => r,
            Err(ureq::Error::Status(code, _)) => {
                return self.record("failed", format!("{url}: HTTP {code}"))
            }
            Err(e) => return self.record("failed", format!("{url}: {e}")),
        };
        if response.status() == 304 {
            return self.record("not-modified", format!("{url}: 304 Not Modified"));
        }
        let etag = response.header("ETag").map(String::from);
        let last_modified = response.header("Last-Modified").map(String::from);
        let declared: Option<u64> = response
            .header("Content-Length")
            .and_then(|v| v.parse().ok());
        let mut bytes = Vec::new();
        let read = std::io::Read::read_to_end(
            &mut std::io::Read::take(response.into_reader(), MAX_DOWNLOAD + 1),
            &mut bytes,
        );
        if let Err(e) = read {
            return self.record("failed", format!("{url}: download cut: {e}"));
        }
        if bytes.len() as u64 > MAX_DOWNLOAD {
            return self.record(
                "refused",
                format!("{url}: larger than {MAX_DOWNLOAD} bytes"),
            );
        }
        if declared.is_some_and(|d| d != bytes.len() as u64) {
            return self.record(
                "failed",
                format!(
                    "{url}: {} of {} bytes arrived",
                    bytes.len(),
                    declared.unwrap_or(0)
                ),
            );
        }
        match self.offer(bytes) {
            Ok(sequence) => {
                *self.validators.write().expect("lock") = Validators {
                    etag,
                    last_modified,
                };
                self.record("updated", format!("{url}: sequence {sequence}"))
            }
            Err(e) => self.record("refused", format!("{url}: {e:#}")),
        }
    }

    pub fn status(&self, now: UnixTime, policy: &stay_core::Policy) -> CacheStatus {
        let current = self.current();
        let list = current.list();
        let grace_end = list.next_update.0 + policy.trust_list_grace_secs;
        let state = if now.0 <= list.next_update.0 {
            "fresh"
        } else if now.0 <= grace_end {
            "due"
        } else {
            "stale"
        };
        CacheStatus {
            sequence: list.sequence,
            issued_at: issuer::list::format_rfc3339(list.issued_at),
            next_update: issuer::list::format_rfc3339(list.next_update),
            age_seconds: now.0.saturating_sub(list.issued_at.0),
            state,
            revoked_documents: list.revoked_document_count(),
            source_url: self.url.clone(),
            last_refresh: self.last_refresh.read().expect("lock").clone(),
        }
    }
}
