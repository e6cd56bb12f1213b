//! What the command-line tools share: exit statuses (sysexits.h where they fit), a failure
//! carrying its status, and the reads every tool starts with.

use std::path::Path;

use stay_core::UnixTime;

use crate::list::LoadedList;
use crate::messages::Messages;

/// Exit statuses: the verdict, or what kept the tool from running.
pub mod exit {
    pub const VALID: u8 = 0;
    pub const INVALID: u8 = 1;
    pub const INDETERMINATE: u8 = 2;
    /// A printed copy of a chip card: genuine data, no card proven.
    pub const READ_THE_CHIP: u8 = 3;
    pub const USAGE: u8 = 64;
    pub const DATA: u8 = 65;
    pub const NO_INPUT: u8 = 66;
}

/// A failure before any verdict, with its exit status.
#[derive(Debug)]
pub struct Failure(pub u8, pub anyhow::Error);

/// Tags an error with its exit status: `.map_err(fail(exit::DATA))`.
pub fn fail(code: u8) -> impl FnOnce(anyhow::Error) -> Failure {
    move |e| Failure(code, e)
}

/// An error's chain for the operator: a file that could not be read is said in their
/// language, the rest as the layers wrote it.
pub fn error_text(m: &Messages, e: &anyhow::Error) -> String {
    let mut layers = Vec::new();
    for layer in e.chain() {
        if let Some(unreadable) = layer.downcast_ref::<crate::files::Unreadable>() {
            layers.push(cannot_read(m, &unreadable.path, &unreadable.source).to_string());
            break;
        }
        layers.push(layer.to_string());
    }
    layers.join(": ")
}

/// `cannot read FILE: why`, in the reader's language.
pub fn cannot_read(m: &Messages, path: &Path, why: impl std::fmt::Display) -> anyhow::Error {
    said(m, "cli-cannot-read", path, why)
}

/// `trust list FILE refused: why`, in the reader's language.
pub fn list_refused(m: &Messages, path: &Path, why: impl std::fmt::Display) -> anyhow::Error {
    said(m, "cli-trust-list-refused", path, why)
}

fn said(m: &Messages, id: &str, path: &Path, why: impl std::fmt::Display) -> anyhow::Error {
    let (file, detail) = (path.display().to_string(), why.to_string());
    anyhow::anyhow!("{}", m.format(id, &[("file", &file), ("detail", &detail)]))
}

/// A file the user named.
pub fn read(path: &Path, m: &Messages) -> Result<Vec<u8>, Failure> {
    std::fs::read(path).map_err(|e| Failure(exit::NO_INPUT, cannot_read(m, path, e)))
}

/// `--at TIME` (a rehearsal's clock), or the system clock.
pub fn now_or(at: Option<&str>) -> Result<UnixTime, Failure> {
    Ok(match at {
        Some(text) => crate::clock::parse_rfc3339("--at", text).map_err(fail(exit::USAGE))?,
        None => crate::clock::system_now(),
    })
}

/// The trust list, once its root signature checks out.
pub fn read_list(trust_list: &Path, root_key: &Path, m: &Messages) -> Result<LoadedList, Failure> {
    let root = crate::pem::read_public(root_key).map_err(fail(exit::DATA))?;
    let bytes = read(trust_list, m)?;
    LoadedList::verify(bytes, &root, None).map_err(|e| {
        Failure(
            exit::DATA,
            list_refused(m, trust_list, format_args!("{e:#}")),
        )
    })
}

/// Runs a tool's `run`, printing a failure as `NAME: error` and exiting with its status.
pub fn finish(name: &str, m: &Messages, result: Result<u8, Failure>) -> std::process::ExitCode {
    match result {
        Ok(code) => std::process::ExitCode::from(code),
        Err(Failure(code, e)) => {
            eprintln!("{name}: {}", error_text(m, &e));
            std::process::ExitCode::from(code)
        }
    }
}
