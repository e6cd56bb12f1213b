//! Every screen of the scanner, drawn on the Cortex-M4F through the ST7789 driver: the
//! fonts, the three languages' messages and `mipidsi` are in the measured image, a glyph
//! missing on the device fails the run, and the bytes sent to the panel must be the ones
//! the host's build sent (`build.rs` runs the same self-test): host and device draw alike.

use cortex_m_semihosting::hprintln;
use firmware::screen::self_test::{draw_every_screen, Failure};

include!(concat!(env!("OUT_DIR"), "/screens.rs"));

/// Returns the failures.
pub fn screens() -> u32 {
    match draw_every_screen() {
        Ok(sent) => {
            hprintln!(
                "scanner-qemu: {} screens drawn through the ST7789 driver, {} bytes to the panel (digest {:08x}; the host's {:08x})",
                sent.screens,
                sent.bytes,
                sent.digest,
                HOST_DIGEST
            );
            u32::from(sent.digest != HOST_DIGEST || sent.bytes != HOST_BYTES)
        }
        Err(Failure::Init) => {
            hprintln!("scanner-qemu: the ST7789 did not initialize");
            1
        }
        Err(Failure::Draw(outcome, language, _)) => {
            hprintln!(
                "scanner-qemu: screen {} in {} not drawn",
                outcome as u8,
                language.code()
            );
            1
        }
    }
}
