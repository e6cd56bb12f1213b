//! `reader-host`: the verifying host. Transports deliver record bytes (QR images now; PC/SC
//! card sessions and the daemon build on this), `stay-core` decides, `report` presents.

pub mod qr;
pub mod report;
