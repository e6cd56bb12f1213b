//! `reader-host`: the verifying host. Transports deliver record bytes (QR images, PC/SC card
//! sessions), `stay-core` decides, `report` presents.

pub mod card;
pub mod pcsc_reader;
pub mod qr;
pub mod report;
