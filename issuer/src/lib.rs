//! The issuing authority's tools: keys, holder files, signed stay records and trust lists,
//! card-face QR codes.

pub mod authority;
pub mod document;
pub mod holder;
pub mod keys;
pub mod list;
pub mod portrait;
pub mod qr;
pub mod service;
pub mod show;
pub mod status;

pub use holder::{
    check_sealed, seal_record, sign_record, sign_record_by_any, Holder, Invalid, Refusal,
};
pub use keys::KeyPair;
pub use list::{ListSource, ListSpec, SignerSpec};
