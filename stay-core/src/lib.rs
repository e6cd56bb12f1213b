//! `stay-core`: the formats and the one verification of the resident-card stack.
//!
//! `#![no_std]`, no allocation, no I/O: bytes in, typed results out. The host daemon, the
//! handheld firmware and the personalization station all decide through [`verify`].
//!
//! Data flow: [`record`] and [`trust_list`] parse views over bytes, [`signature`] checks
//! ECDSA P-256, [`chip_proof`] checks the chip's PACE-CAM proof, [`verify`] applies [`policy`] and
//! returns a [`verdict::Verdict`].
#![no_std]
#![forbid(unsafe_code)]

pub mod apdu;
pub mod audit;
pub mod card_face;
pub mod chip_proof;
pub mod curve;
pub mod date;
pub mod high_water;
pub mod messages;
pub mod pace;
pub mod policy;
pub mod record;
pub mod signature;
pub mod sm;
pub mod terminal;
pub mod tlv;
pub mod trust_list;
pub mod verdict;
mod verify;

pub use chip_proof::{ChipAuthentication, ChipAuthenticationError};
pub use date::{Date, UnixTime};
pub use high_water::HighWater;
pub use policy::{Policy, Role, RoleError};
pub use record::{
    DocumentNumber, DocumentType, Purpose, RecordError, RecordFields, Sex, StayRecord,
};
pub use signature::{KeyId, PublicKey, SignatureError};
pub use trust_list::{
    ListError, SignerEntry, StatusChange, StatusEntry, TrustList, TrustListContent,
};
pub use verdict::{
    AppliedChange, Decision, IndeterminateReason, InvalidReason, NotEmployable, ShownFields,
    Status, Verdict,
};
pub use verify::{
    check_portrait, verify, verify_portrait, verify_without_list, Check, PortraitCheck,
    Presentation,
};
