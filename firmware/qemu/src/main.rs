//! The scanner's verification on the real instruction set: every golden vector of
//! `testdata/` run on a Cortex-M4F under `qemu-system-arm -machine mps2-an386`, each verdict
//! printed (semihosting) with the instructions it took, and the exit status saying whether
//! every one matched. Chip cases go through `stay_core::terminal` over a card that answers
//! with the vector's record and proof, as the scanner's PN532 link would.
//!
//! Instructions are counted with qemu's `-icount shift=0` (one instruction per virtual
//! nanosecond): SysTick, clocked at the board's 25 MHz, ticks every 40 instructions.
//!
//! `cargo xtask test` builds it for thumbv7em-none-eabihf and runs it; on the host it is a
//! stub.

#![cfg_attr(target_os = "none", no_std, no_main)]

#[cfg(target_os = "none")]
mod device;
#[cfg(target_os = "none")]
mod screens;

#[cfg(not(target_os = "none"))]
fn main() {
    eprintln!(
        "scanner-qemu runs on qemu-system-arm: build it with --target thumbv7em-none-eabihf \
         (cargo xtask test does)"
    );
}
