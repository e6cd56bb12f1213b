//! The resident card, simulated: [`applet`] is the card itself (a pure state machine, bytes
//! in, bytes out), [`image`] its persistent memory, [`vpcd`] the bridge that puts it in
//! pcscd's virtual reader, and [`sandbox`] a private pcscd for tests and the demo.
//!
//! docs/apdu.md specifies the card's interface.
#![forbid(unsafe_code)]

pub mod applet;
pub mod image;
pub mod sandbox;
pub mod vpcd;

pub use applet::{Applet, Interface, Reply};
pub use image::CardImage;
