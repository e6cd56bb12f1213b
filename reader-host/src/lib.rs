//! `reader-host`: the verifying host. Transports deliver record bytes (QR images, PC/SC card
//! sessions), `stay-core` decides, `report` presents; the daemon (`serve`) adds the desk
//! ([`desk`]), card watching ([`watcher`]), the trust-list cache ([`trust_cache`]), the audit
//! log ([`audit`]) and the HTTP API with its kiosk page ([`http`]).

pub mod audit;
pub mod card;
pub mod config;
pub mod desk;
pub mod frames;
pub mod http;
pub mod pcsc_reader;
pub mod qr;
pub mod report;
pub mod station;
pub mod trust_cache;
pub mod watcher;
