//! The resident card, simulated: [`dispatch`] is the chip (bytes in, bytes out), hosting
//! [`applet`], the resident-card application (a pure state machine), and [`payment`], the
//! bank card's application; [`image`] is its persistent memory, [`vpcd`] the bridge that puts it in
//! pcscd's virtual reader, and [`sandbox`] a private pcscd for tests and the demo.
//!
//! docs/apdu.md specifies the card's interface.
#![forbid(unsafe_code)]

pub mod applet;
pub mod dispatch;
pub mod image;
pub mod payment;
pub mod sandbox;
pub mod vpcd;

pub use applet::{Applet, Interface};
pub use dispatch::{Chip, Reply};
pub use image::CardImage;
