//! The handheld scanner's firmware: a border guard holds a card to the NFC antenna or a
//! document's QR code to the imager, and the scanner shows whether its holder may stay.
//!
//! `#![no_std]` and no heap: every buffer is a `heapless` or fixed array sized by the named
//! constants below, and every decision is `stay-core`'s, so the scanner and the host give the
//! same verdict for the same bytes. The drivers speak embedded-hal 1.0 traits only:
//! - [`pn532`]: the NFC front end over `SpiDevice`, ISO 14443-4 APDUs with chaining;
//! - [`imager`]: a barcode imager on a UART (`embedded_io::Read`);
//! - [`list_store`]: the trust list in NOR flash (`embedded_storage`), two slots, switched
//!   atomically;
//! - [`scanner`]: the application: idle, read, verify, show, with timeouts and an audit
//!   ring; a real-time clock, a display, LEDs and a buzzer (`OutputPin`) as traits;
//!
//! The border check's APDUs are `stay_core::terminal`'s, the host's own; [`pn532::Pn532`] is
//! a `stay_core::terminal::ApduLink`.

#![no_std]

pub mod imager;
pub mod list_store;
pub mod messages;
pub mod pn532;
pub mod scanner;
pub mod screen;

/// The largest record a card or QR code may carry (the format's own limit).
pub const RECORD_MAX: usize = stay_core::record::MAX_RECORD_LEN;
/// A response APDU the scanner accepts: a whole record and the status word.
pub const RESPONSE_MAX: usize = RECORD_MAX + 2;
