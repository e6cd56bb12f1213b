//! `reader-host`: the verifying host. Transports deliver record bytes (QR images, PC/SC card
//! sessions), `stay-core` decides, `report` presents; the daemon (`serve`) adds the desk
//! ([`desk`]), card watching ([`watcher`]), the trust-list cache ([`trust_cache`]), the audit
//! log ([`audit`]) and the HTTP API with its kiosk page ([`http`]).

pub mod access;
pub mod audit;
pub mod card;
pub mod config;
pub mod desk;
pub mod employees;
pub mod frames;
pub mod http;
pub mod pcsc_reader;
pub mod qr;
pub mod report;
pub mod trust_cache;
pub mod watcher;

// The QR front end survives rqrr's panics on hostile pictures by unwinding
// (`qr::contained`); built with `panic = "abort"`, one such picture would stop the desk.
#[cfg(panic = "abort")]
compile_error!("reader-host needs panic = \"unwind\": see qr::contained");
