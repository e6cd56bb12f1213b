//! The daemon's trust list: the last good list, kept on disk and in memory, refreshed over
//! HTTP(S).
//!
//! The terminal remembers the highest list it ever accepted (its sequence and digest) in
//! `trust.high-water`, apart from the list ([`stay_core::high_water`]). A list is used
//! only if that mark admits it: never a lower sequence, never other bytes under the same
//! sequence. This holds at start, on every refresh, and when the cached list is found
//! damaged: then its second copy (`trust.list.copy`, the same list) is put back in force;
//! an older list (`trust.list.previous`, the seed) is not, because it would bring back
//! documents the newest one revoked. With no admissible list the daemon still starts, and
//! every verdict is "indeterminate: trust-list-unavailable" until a refresh brings the
//! newest list again.
//!
//! A new list is put in force under one lock (a compare-and-swap against the mark): its
//! copy is written, then the mark (synced), then the list in memory and `trust.list`. A cut
//! anywhere leaves either the old mark with the old list whole, or the new mark with the
//! new list's copy whole. Any failure (network, HTTP status, truncation, signature,
//! rollback) keeps the last good list and is reported in [`CacheStatus`].

use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex, RwLock};
use std::time::Duration;

use anyhow::Result;
use serde::Serialize;
use stay_core::{HighWater, ListError, PublicKey, UnixTime};

pub use stay_std::LoadedList;

/// What a refresh attempt (or the start) came to.
#[derive(Debug, Clone, Copy, Serialize, PartialEq, Eq)]
#[serde(rename_all = "kebab-case")]
pub enum RefreshResult {
    Updated,
    NotModified,
    /// A list arrived and was refused (bad signature, rollback, too large).
    Refused,
    /// No list arrived (network, HTTP error, a download cut short).
    Failed,
    /// The cached list was damaged at start and its good copy is in force.
    Recovered,
    /// No list the high-water mark admits: every verdict is indeterminate.
    Unavailable,
}

impl RefreshResult {
    pub const fn name(self) -> &'static str {
        match self {
            RefreshResult::Updated => "updated",
            RefreshResult::NotModified => "not-modified",
            RefreshResult::Refused => "refused",
            RefreshResult::Failed => "failed",
            RefreshResult::Recovered => "recovered",
            RefreshResult::Unavailable => "unavailable",
        }
    }
}

impl std::fmt::Display for RefreshResult {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.name())
    }
}

/// The outcome of the last refresh attempt, as operators see it.
#[derive(Debug, Clone, Serialize, PartialEq, Eq)]
pub struct Refresh {
    /// RFC 3339.
    pub at: String,
    pub result: RefreshResult,
    pub detail: String,
}

/// Where the list in force at start came from.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum ListSource {
    /// `trust.list`.
    Cache,
    /// Its copy, written before it.
    Copy,
    /// The list before the last one accepted.
    Previous,
    /// The configured seed list.
    Seed,
}

impl std::fmt::Display for ListSource {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(match self {
            ListSource::Cache => "cache",
            ListSource::Copy => "copy",
            ListSource::Previous => "previous",
            ListSource::Seed => "seed",
        })
    }
}

/// How current the list in force is.
#[derive(Debug, Clone, Copy, Serialize, PartialEq, Eq)]
#[serde(rename_all = "kebab-case")]
pub enum ListState {
    Fresh,
    /// Past next-update, within the grace.
    Due,
    /// Past the grace: verdicts are Indeterminate until a new list comes.
    Stale,
    /// No admissible list: every verdict is indeterminate, trust-list-unavailable.
    Unavailable,
}

/// What `/api/status` shows of the list.
#[derive(Debug, Clone, Serialize)]
pub struct CacheStatus {
    /// The list in force; `None` with `state` `unavailable`.
    pub sequence: Option<u64>,
    /// The highest sequence this terminal ever accepted.
    pub high_water: Option<u64>,
    pub issued_at: Option<String>,
    pub next_update: Option<String>,
    pub age_seconds: Option<u64>,
    pub state: ListState,
    pub revoked_documents: usize,
    pub source_url: Option<String>,
    pub last_refresh: Option<Refresh>,
}

struct Validators {
    etag: Option<String>,
    last_modified: Option<String>,
}

/// Why an offered list was not put in force.
#[derive(Debug)]
pub enum OfferError {
    /// Not a list the root signed, or one the high-water mark does not admit.
    Refused(ListError),
    /// The list could not be saved; the one in force stays.
    Save(anyhow::Error),
}

impl std::fmt::Display for OfferError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            OfferError::Refused(e) => write!(f, "refused: {e}"),
            OfferError::Save(e) => write!(
                f,
                "cannot save the new list ({e:#}); keeping the last good one"
            ),
        }
    }
}

impl std::error::Error for OfferError {}

pub struct TrustCache {
    root: PublicKey,
    path: PathBuf,
    url: Option<String>,
    /// `None`: no admissible list (trust list unavailable).
    current: RwLock<Option<Arc<LoadedList>>>,
    /// The high-water mark as last written; held for the whole of an install, so two
    /// refreshes cannot interleave their check and their swap.
    high_water: Mutex<Option<HighWater>>,
    validators: RwLock<Validators>,
    last_refresh: RwLock<Option<Refresh>>,
}

/// Largest list a refresh downloads (1,000,000 revocations are about 9 MB).
pub const MAX_DOWNLOAD: u64 = 64 * 1024 * 1024;

pub use stay_std::clock::system_now as now;

fn sibling(path: &Path, suffix: &str) -> PathBuf {
    let mut name = path.file_name().unwrap_or_default().to_os_string();
    name.push(suffix);
    path.with_file_name(name)
}

/// Where the list a refresh replaced is kept, for the record: `trust.list.previous`. It is
/// never used again unless the high-water mark admits it.
pub fn previous_path(path: &Path) -> PathBuf {
    sibling(path, ".previous")
}

/// The second copy of the list in force, written first: `trust.list.copy`.
pub fn copy_path(path: &Path) -> PathBuf {
    sibling(path, ".copy")
}

/// The high-water mark beside `trust.list`: `trust.high-water`.
pub fn high_water_path(path: &Path) -> PathBuf {
    path.with_file_name("trust.high-water")
}

/// The mark on disk: `Ok(None)` if there is none yet; `Err` if the file is there but is no
/// intact record.
fn read_high_water(path: &Path) -> Result<Option<HighWater>, String> {
    match std::fs::read(path) {
        Ok(bytes) => HighWater::decode(&bytes)
            .map(Some)
            .ok_or_else(|| format!("{} is damaged", path.display())),
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => Ok(None),
        Err(e) => Err(format!("cannot read {}: {e}", path.display())),
    }
}

fn lock<T>(m: &Mutex<T>) -> std::sync::MutexGuard<'_, T> {
    // A thread that panicked holding the lock left the mark as last written: still right.
    m.lock().unwrap_or_else(|e| e.into_inner())
}

fn read<T>(l: &RwLock<T>) -> std::sync::RwLockReadGuard<'_, T> {
    l.read().unwrap_or_else(|e| e.into_inner())
}

fn write<T>(l: &RwLock<T>) -> std::sync::RwLockWriteGuard<'_, T> {
    l.write().unwrap_or_else(|e| e.into_inner())
}

impl TrustCache {
    /// Loads the cached list at `path` (or its copy) if the high-water mark admits it; on
    /// first start (no mark, no cache), the `seed` list. An older list is used only if it
    /// is not below the mark. Starts without a list (trust list unavailable, reported in
    /// the status) when a mark exists but no admissible list does; refuses to start only
    /// when no list was ever accepted and none is found.
    pub fn open(
        root: PublicKey,
        path: PathBuf,
        seed: Option<&Path>,
        url: Option<String>,
    ) -> Result<TrustCache> {
        let mark_path = high_water_path(&path);
        let (mut mark, mut notes) = match read_high_water(&mark_path) {
            Ok(mark) => (mark, Vec::new()),
            Err(damaged) => (None, vec![damaged]),
        };
        let mark_damaged = !notes.is_empty();
        let read_list = |p: &Path| -> Option<Vec<u8>> { std::fs::read(p).ok() };
        // The newest copies first; the higher of the two admitted lists wins (a cut after
        // the copy was written and before the mark leaves the copy one sequence ahead).
        let mut best: Option<(LoadedList, ListSource)> = None;
        for (file, name) in [
            (path.clone(), ListSource::Cache),
            (copy_path(&path), ListSource::Copy),
        ] {
            let Some(bytes) = read_list(&file) else {
                continue;
            };
            match LoadedList::admit(bytes, &root, mark.as_ref()) {
                Ok(list) => {
                    if best
                        .as_ref()
                        .is_none_or(|(b, _)| b.list().sequence < list.list().sequence)
                    {
                        best = Some((list, name));
                    }
                }
                Err(e) => notes.push(format!("{} refused ({e})", file.display())),
            }
        }
        // An older list, only where the mark admits it: none yet (first start), or the very
        // list the mark names. A damaged mark admits nothing older: it may have been higher.
        if best.is_none() && !mark_damaged {
            let mut older = vec![(previous_path(&path), ListSource::Previous)];
            older.extend(seed.map(|s| (s.to_path_buf(), ListSource::Seed)));
            for (file, name) in older {
                let Some(bytes) = read_list(&file) else {
                    continue;
                };
                match LoadedList::admit(bytes, &root, mark.as_ref()) {
                    Ok(list) => {
                        best = Some((list, name));
                        break;
                    }
                    Err(e) => notes.push(format!("{} refused ({e})", file.display())),
                }
            }
        }
        let cache = |current: Option<LoadedList>, mark: Option<HighWater>| TrustCache {
            root,
            path: path.clone(),
            url: url.clone(),
            current: RwLock::new(current.map(Arc::new)),
            high_water: Mutex::new(mark),
            validators: RwLock::new(Validators {
                etag: None,
                last_modified: None,
            }),
            last_refresh: RwLock::new(None),
        };
        let Some((loaded, from)) = best else {
            if mark.is_none() && !mark_damaged {
                anyhow::bail!(
                    "no trust list at {} admissible and no seed list ({})",
                    path.display(),
                    notes.join("; ")
                );
            }
            let cache = cache(None, mark);
            cache.record(RefreshResult::Unavailable,
                format!(
                    "no admissible trust list ({}); every verdict is indeterminate until the newest list is installed",
                    notes.join("; ")
                ),
            );
            return Ok(cache);
        };
        // The mark first, then the files, so the list is never in force above its mark.
        let accepted = loaded.high_water();
        if mark != Some(accepted) {
            stay_std::files::write_atomic(&mark_path, &accepted.encode())?;
            mark = Some(accepted);
        }
        for file in [copy_path(&path), path.clone()] {
            if read_list(&file).as_deref() != Some(loaded.bytes()) {
                stay_std::files::write_atomic(&file, loaded.bytes())?;
            }
        }
        let recovered = (from != ListSource::Cache || !notes.is_empty()).then(|| {
            format!(
                "the {from} list (sequence {}) is in force{}",
                loaded.list().sequence,
                if notes.is_empty() {
                    String::new()
                } else {
                    format!("; {}", notes.join("; "))
                }
            )
        });
        let first_start = from == ListSource::Seed && notes.is_empty();
        let cache = cache(Some(loaded), mark);
        if let Some(detail) = recovered.filter(|_| !first_start) {
            cache.record(RefreshResult::Recovered, detail);
        }
        Ok(cache)
    }

    /// The list verdicts use now; `None` when no admissible list is held.
    pub fn current(&self) -> Option<Arc<LoadedList>> {
        read(&self.current).clone()
    }

    /// The highest sequence this terminal ever accepted.
    pub fn high_water(&self) -> Option<HighWater> {
        *lock(&self.high_water)
    }

    /// Offers a new list: put in force only if signed by the root and admitted by the
    /// high-water mark, all under one lock.
    pub fn offer(&self, bytes: Vec<u8>) -> Result<u64, OfferError> {
        let mut mark = lock(&self.high_water);
        let loaded =
            LoadedList::admit(bytes, &self.root, mark.as_ref()).map_err(OfferError::Refused)?;
        let sequence = loaded.list().sequence;
        let accepted = loaded.high_water();
        let current = self.current();
        if *mark == Some(accepted) && current.is_some() {
            // The list in force, sent again.
            return Ok(sequence);
        }
        // The copy first: once the mark says this sequence, a good copy of it exists.
        stay_std::files::write_atomic(&copy_path(&self.path), loaded.bytes())
            .and_then(|()| {
                stay_std::files::write_atomic(&high_water_path(&self.path), &accepted.encode())
            })
            .map_err(OfferError::Save)?;
        *mark = Some(accepted);
        let loaded = Arc::new(loaded);
        *write(&self.current) = Some(loaded.clone());
        // In force from here: the mark and the copy are on disk. `trust.list` follows; if it
        // cannot be written, the next start finds the copy.
        if let Some(old) = current.filter(|old| old.list().sequence < sequence) {
            stay_std::files::write_atomic(&previous_path(&self.path), old.bytes())
                .map_err(OfferError::Save)?;
        }
        stay_std::files::write_atomic(&self.path, loaded.bytes()).map_err(OfferError::Save)?;
        Ok(sequence)
    }

    fn record(&self, result: RefreshResult, detail: String) -> Refresh {
        let refresh = Refresh {
            at: stay_std::clock::format_rfc3339(now()),
            result,
            detail,
        };
        *self.last_refresh.write().unwrap_or_else(|e| e.into_inner()) = Some(refresh.clone());
        match result {
            RefreshResult::Updated | RefreshResult::NotModified => {
                tracing::info!(result = result.name(), detail = %refresh.detail, "trust list refresh")
            }
            _ => {
                tracing::warn!(result = result.name(), detail = %refresh.detail, "trust list refresh")
            }
        }
        refresh
    }

    /// One conditional GET of the list URL (ETag / If-Modified-Since).
    pub fn refresh(&self) -> Refresh {
        let Some(url) = &self.url else {
            return self.record(RefreshResult::Failed, "no trust_list.url configured".into());
        };
        let mut request = ureq::get(url).timeout(Duration::from_secs(30));
        {
            let v = self.validators.read().unwrap_or_else(|e| e.into_inner());
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
                return self.record(RefreshResult::Failed, format!("{url}: HTTP {code}"))
            }
            Err(e) => return self.record(RefreshResult::Failed, format!("{url}: {e}")),
        };
        if response.status() == 304 {
            return self.record(
                RefreshResult::NotModified,
                format!("{url}: 304 Not Modified"),
            );
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
            return self.record(RefreshResult::Failed, format!("{url}: download cut: {e}"));
        }
        if bytes.len() as u64 > MAX_DOWNLOAD {
            return self.record(
                RefreshResult::Refused,
                format!("{url}: larger than {MAX_DOWNLOAD} bytes"),
            );
        }
        if declared.is_some_and(|d| d != bytes.len() as u64) {
            return self.record(
                RefreshResult::Failed,
                format!(
                    "{url}: {} of {} bytes arrived",
                    bytes.len(),
                    declared.unwrap_or(0)
                ),
            );
        }
        match self.offer(bytes) {
            Ok(sequence) => {
                *self.validators.write().unwrap_or_else(|e| e.into_inner()) = Validators {
                    etag,
                    last_modified,
                };
                self.record(
                    RefreshResult::Updated,
                    format!("{url}: sequence {sequence}"),
                )
            }
            Err(e) => self.record(RefreshResult::Refused, format!("{url}: {e:#}")),
        }
    }

    pub fn status(&self, now: UnixTime, policy: &stay_core::Policy) -> CacheStatus {
        let last_refresh = read(&self.last_refresh).clone();
        let high_water = self.high_water().map(|m| m.sequence);
        let Some(current) = self.current() else {
            return CacheStatus {
                sequence: None,
                high_water,
                issued_at: None,
                next_update: None,
                age_seconds: None,
                state: ListState::Unavailable,
                revoked_documents: 0,
                source_url: self.url.clone(),
                last_refresh,
            };
        };
        let list = current.list();
        let grace_end = list
            .next_update
            .0
            .saturating_add(policy.trust_list_grace_secs);
        let state = if now.0 <= list.next_update.0 {
            ListState::Fresh
        } else if now.0 <= grace_end {
            ListState::Due
        } else {
            ListState::Stale
        };
        CacheStatus {
            sequence: Some(list.sequence),
            high_water,
            issued_at: Some(stay_std::clock::format_rfc3339(list.issued_at)),
            next_update: Some(stay_std::clock::format_rfc3339(list.next_update)),
            age_seconds: Some(now.0.saturating_sub(list.issued_at.0)),
            state,
            revoked_documents: list.revoked_document_count(),
            source_url: self.url.clone(),
            last_refresh,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use issuer::list::ListSpec;
    use issuer::KeyPair;

    fn root() -> KeyPair {
        KeyPair::from_seed("trust cache test root")
    }

    fn list(sequence: u64, revoked: &[&str]) -> Vec<u8> {
        ListSpec {
            sequence,
            issued_at: UnixTime(1_700_000_000),
            next_update: UnixTime(1_800_000_000),
            signers: vec![],
            revoked_signers: vec![],
            revoked_documents: revoked.iter().map(|d| d.to_string()).collect(),
            status_changes: vec![],
        }
        .seal(&root())
        .unwrap()
    }

    fn open(dir: &Path, seed: Option<&Path>) -> TrustCache {
        TrustCache::open(root().public_key(), dir.join("trust.list"), seed, None).unwrap()
    }

    fn sequence(cache: &TrustCache) -> Option<u64> {
        cache.current().map(|l| l.list().sequence)
    }

    /// A terminal that took 7 (seed) then 8 (refresh).
    fn terminal_at_8(dir: &Path) -> (PathBuf, Vec<u8>) {
        let seed = dir.join("seed.list");
        std::fs::write(&seed, list(7, &[])).unwrap();
        let cache = open(dir, Some(&seed));
        let newest = list(8, &["RC0000099"]);
        assert_eq!(cache.offer(newest.clone()).unwrap(), 8);
        (seed, newest)
    }

    #[test]
    fn a_damaged_list_with_no_good_copy_is_unavailable_not_the_older_one() {
        let dir = tempfile::tempdir().unwrap();
        let (seed, newest) = terminal_at_8(dir.path());
        let path = dir.path().join("trust.list");
        let mut flipped = newest.clone();
        flipped[40] ^= 1;
        std::fs::write(&path, &flipped).unwrap();
        std::fs::write(copy_path(&path), &newest[..30]).unwrap();
        // The previous list (7) and the seed (7) are good, signed, fresh: still not used.
        let cache = open(dir.path(), Some(&seed));
        assert_eq!(sequence(&cache), None);
        let status = cache.status(UnixTime(1_700_000_100), &stay_core::Policy::DEFAULT);
        assert_eq!(status.state, ListState::Unavailable);
        assert_eq!(status.high_water, Some(8));
        assert_eq!(
            status.last_refresh.unwrap().result,
            RefreshResult::Unavailable
        );
        // The newest list again puts the terminal back in service; an older one does not.
        assert!(matches!(
            cache.offer(list(7, &[])),
            Err(OfferError::Refused(ListError::Rollback {
                trusted: 8,
                offered: 7
            }))
        ));
        assert_eq!(cache.offer(newest).unwrap(), 8);
        assert_eq!(sequence(&cache), Some(8));
    }

    #[test]
    fn a_damaged_list_with_a_good_copy_restarts_on_the_copy() {
        let dir = tempfile::tempdir().unwrap();
        let (seed, newest) = terminal_at_8(dir.path());
        let path = dir.path().join("trust.list");
        std::fs::write(&path, &newest[..newest.len() - 1]).unwrap();
        let cache = open(dir.path(), Some(&seed));
        assert_eq!(sequence(&cache), Some(8));
        assert_eq!(
            std::fs::read(&path).unwrap(),
            newest,
            "repaired from the copy"
        );
        let status = cache.status(UnixTime(1_700_000_100), &stay_core::Policy::DEFAULT);
        assert_eq!(
            status.last_refresh.unwrap().result,
            RefreshResult::Recovered
        );
    }

    #[test]
    fn the_same_sequence_with_other_bytes_is_refused() {
        let dir = tempfile::tempdir().unwrap();
        let (seed, newest) = terminal_at_8(dir.path());
        let cache = open(dir.path(), Some(&seed));
        let reissued = list(8, &[]);
        assert!(matches!(
            cache.offer(reissued.clone()),
            Err(OfferError::Refused(ListError::SequenceReused {
                sequence: 8
            }))
        ));
        assert_eq!(
            cache.offer(newest.clone()).unwrap(),
            8,
            "the same list again"
        );
        // Written over the cache on disk, it is refused at start too.
        let path = dir.path().join("trust.list");
        std::fs::write(&path, &reissued).unwrap();
        std::fs::write(copy_path(&path), &reissued).unwrap();
        assert_eq!(sequence(&open(dir.path(), Some(&seed))), None);
    }

    #[test]
    fn the_high_water_mark_is_written_before_the_list() {
        let dir = tempfile::tempdir().unwrap();
        let seed = dir.path().join("seed.list");
        std::fs::write(&seed, list(7, &[])).unwrap();
        let cache = open(dir.path(), Some(&seed));
        let path = dir.path().join("trust.list");
        // `trust.list` cannot be replaced (a directory in its way): the write after the
        // mark fails.
        std::fs::remove_file(&path).unwrap();
        std::fs::create_dir(&path).unwrap();
        std::fs::write(path.join("in the way"), b"").unwrap();
        let newest = list(8, &["RC0000099"]);
        assert!(matches!(
            cache.offer(newest.clone()),
            Err(OfferError::Save(_))
        ));
        let mark = HighWater::decode(&std::fs::read(high_water_path(&path)).unwrap()).unwrap();
        assert_eq!(mark, HighWater::for_list(8, &newest));
        assert_eq!(std::fs::read(copy_path(&path)).unwrap(), newest);
        // In force, and never the lower one again.
        assert_eq!(sequence(&cache), Some(8));
        std::fs::remove_dir_all(&path).unwrap();
        std::fs::write(&path, list(7, &[])).unwrap();
        assert_eq!(sequence(&open(dir.path(), Some(&seed))), Some(8));
    }

    #[test]
    fn concurrent_offers_never_leave_the_lower_list_in_force() {
        let dir = tempfile::tempdir().unwrap();
        let seed = dir.path().join("seed.list");
        std::fs::write(&seed, list(1, &[])).unwrap();
        let lists: Vec<Vec<u8>> = (2..=41).map(|s| list(s, &[])).collect();
        for round in 0..10 {
            let cache = Arc::new(open(dir.path(), Some(&seed)));
            let (low, high) = (lists[2 * round].clone(), lists[2 * round + 1].clone());
            let high_sequence = 3 + 2 * round as u64;
            let threads: Vec<_> = [low, high]
                .into_iter()
                .map(|bytes| {
                    let cache = cache.clone();
                    std::thread::spawn(move || cache.offer(bytes).is_ok())
                })
                .collect();
            for t in threads {
                t.join().unwrap();
            }
            assert_eq!(sequence(&cache), Some(high_sequence), "round {round}");
            assert_eq!(cache.high_water().unwrap().sequence, high_sequence);
            drop(cache);
            let reopened = open(dir.path(), Some(&seed));
            assert_eq!(sequence(&reopened), Some(high_sequence), "round {round}");
        }
    }

    #[test]
    fn a_damaged_high_water_mark_admits_no_older_list() {
        let dir = tempfile::tempdir().unwrap();
        let (seed, newest) = terminal_at_8(dir.path());
        let path = dir.path().join("trust.list");
        std::fs::write(high_water_path(&path), [0u8; 80]).unwrap();
        // The cache (8) is still taken, and the mark rewritten from it.
        let cache = open(dir.path(), Some(&seed));
        assert_eq!(sequence(&cache), Some(8));
        assert_eq!(cache.high_water(), Some(HighWater::for_list(8, &newest)));
        // With the cache and its copy gone too, the older lists are not used.
        std::fs::write(high_water_path(&path), [0u8; 80]).unwrap();
        std::fs::remove_file(&path).unwrap();
        std::fs::remove_file(copy_path(&path)).unwrap();
        assert_eq!(sequence(&open(dir.path(), Some(&seed))), None);
    }
}
