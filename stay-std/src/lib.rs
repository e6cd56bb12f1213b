//! `stay-std`: the std helpers every program of the stack shares, the authority's tools,
//! the desk, the station and the card alike, so none of them links another for a clock or
//! a file write. Nothing here decides anything: decisions are `stay-core`'s.
//!
//! - [`clock`]: the system clock and RFC 3339 times;
//! - [`files`]: writes that a crash never leaves half done, and the durable SQLite open;
//! - [`pem`]: P-256 public keys in SPKI PEM, as openssl writes them;
//! - [`list`]: a trust list verified and kept with its bytes;
//! - [`cli`]: the exit statuses and failure type of the command-line tools;
//! - [`messages`]: every human-readable line in Kyrgyz, Russian or English.

pub mod cli;
pub mod clock;
pub mod files;
pub mod list;
pub mod messages;
pub mod pem;

pub use list::LoadedList;
