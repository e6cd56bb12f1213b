//! Every screen of the scanner, drawn on the Cortex-M4F through the ST7789 driver: the
//! fonts, the three languages' messages and `mipidsi` are in the measured image, and a
//! glyph missing on the device (not only on the host) fails the run.

use core::cell::Cell;
use core::convert::Infallible;

use cortex_m_semihosting::hprintln;
use embedded_hal::delay::DelayNs;
use embedded_hal::digital::{ErrorType as PinErrorType, OutputPin};
use embedded_hal::spi::{ErrorType, Operation, SpiDevice};
use firmware::messages::Language;
use firmware::screen::{draw, st7789, Outcome, Screen};

/// The panel's SPI bus: counts the bytes and folds them into an FNV-1a digest, so the run
/// shows that the driver sent each screen.
struct Bus<'c> {
    /// Bytes sent, and their digest.
    sent: &'c Cell<(u32, u32)>,
}

impl ErrorType for Bus<'_> {
    type Error = Infallible;
}

impl SpiDevice for Bus<'_> {
    fn transaction(&mut self, operations: &mut [Operation<'_, u8>]) -> Result<(), Infallible> {
        for op in operations {
            if let Operation::Write(data) = op {
                let (mut bytes, mut digest) = self.sent.get();
                for &b in data.iter() {
                    digest = (digest ^ u32::from(b)).wrapping_mul(0x0100_0193);
                }
                bytes += data.len() as u32;
                self.sent.set((bytes, digest));
            }
        }
        Ok(())
    }
}

/// The data/command and reset lines.
struct Line;

impl PinErrorType for Line {
    type Error = Infallible;
}

impl OutputPin for Line {
    fn set_low(&mut self) -> Result<(), Infallible> {
        Ok(())
    }
    fn set_high(&mut self) -> Result<(), Infallible> {
        Ok(())
    }
}

/// The panel's power-up waits are skipped: the board has no panel.
struct NoWait;

impl DelayNs for NoWait {
    fn delay_ns(&mut self, _ns: u32) {}
}

/// Draws every outcome in every language; returns the failures.
pub fn screens() -> u32 {
    let mut buffer = [0u8; 512];
    let sent = Cell::new((0, 0x811c_9dc5));
    let bus = Bus { sent: &sent };
    let Ok(mut panel) = st7789::init(bus, Line, Line, &mut buffer, &mut NoWait) else {
        hprintln!("scanner-qemu: the ST7789 did not initialize");
        return 1;
    };
    let mut failures = 0;
    let mut drawn = 0;
    for language in Language::ALL {
        for outcome in Outcome::ALL {
            let screen = Screen::sample(language, outcome);
            match draw(&screen, &mut panel.0) {
                Ok(()) => drawn += 1,
                Err(e) => {
                    // Only the character's number: Debug for char would bring Unicode's
                    // tables into the image.
                    let glyph = match e {
                        firmware::screen::DrawError::MissingGlyph(c) => u32::from(c),
                        firmware::screen::DrawError::Display(_) => 0,
                    };
                    hprintln!(
                        "scanner-qemu: screen {} in {} not drawn (glyph U+{:04X})",
                        outcome as u8,
                        language.code(),
                        glyph
                    );
                    failures += 1;
                }
            }
        }
    }
    let (bytes, digest) = sent.get();
    hprintln!(
        "scanner-qemu: {} screens drawn through the ST7789 driver, {} bytes to the panel (digest {:08x})",
        drawn,
        bytes,
        digest
    );
    failures
}
