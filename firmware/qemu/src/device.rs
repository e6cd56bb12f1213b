//! The program on the Cortex-M4F.

use cortex_m::peripheral::syst::SystClkSource;
use cortex_m_rt::entry;
use cortex_m_semihosting::{debug, hprintln};
use stay_core::pace::Can;
use stay_core::terminal::{deliver, ApduLink, LinkError};
use stay_core::{Check, ListError, Policy, PublicKey, Role, TrustList, UnixTime};

pub struct ListCase {
    pub name: &'static str,
    pub file: usize,
    pub trusted_sequence: Option<u64>,
    pub expect: &'static str,
}

pub struct Case {
    pub name: &'static str,
    pub record: usize,
    pub list: usize,
    pub now: u64,
    pub role: &'static str,
    pub employer_tin: Option<&'static str>,
    pub printed: bool,
    /// Index into `TRANSCRIPTS`: the card's recorded answers of a chip case.
    pub transcript: Option<usize>,
    pub can: Option<&'static str>,
    /// The terminal's n-th PACE secret is 32 bytes of `terminal_seed + n`.
    pub terminal_seed: u8,
    pub expect_status: &'static str,
    pub expect_reason: Option<&'static str>,
    pub expect_decision: &'static str,
    pub expect_chip_authenticated: bool,
    /// The list's status change the verdict names: kind, date (YYYY-MM-DD), successor.
    pub expect_change: Option<&'static str>,
    pub expect_change_date: Option<&'static str>,
    pub expect_successor: Option<&'static str>,
}

/// Whether the verdict's status change is the one `case` expects.
fn change_matches(case: &Case, applied: Option<stay_core::AppliedChange>) -> bool {
    let change = applied.map(|a| a.change);
    let date = case
        .expect_change_date
        .map(|d| stay_core::Date::parse_iso(d).ok());
    let successor = match change {
        Some(stay_core::StatusChange::Superseded { successor, .. }) => Some(successor),
        _ => None,
    };
    change.map(|c| c.name()) == case.expect_change
        && change.map(|c| Some(c.date())) == date
        && successor.as_ref().map(|s| s.as_str()) == case.expect_successor
}

/// A case's words, kept beside its bytes in the vectors' section (test data, not firmware).
const fn vector_text(bytes: &'static [u8]) -> &'static str {
    match core::str::from_utf8(bytes) {
        Ok(text) => text,
        Err(_) => "",
    }
}

include!(concat!(env!("OUT_DIR"), "/vectors.rs"));

pub struct Wycheproof {
    pub id: u32,
    pub key: &'static [u8],
    pub msg: &'static [u8],
    pub sig: &'static [u8],
    pub valid: bool,
}

include!(concat!(env!("OUT_DIR"), "/wycheproof.rs"));

/// The curve arithmetic behind `stay_core::signature`.
const BACKEND: &str = if cfg!(feature = "cortex-m4-asm") {
    "P256-Cortex-M4 (assembly)"
} else {
    "RustCrypto p256 (generic)"
};

/// n/2 for P-256, big endian: a valid signature with s above it is refused (low S only).
const HALF_ORDER: [u8; 32] = [
    0x7f, 0xff, 0xff, 0xff, 0x80, 0x00, 0x00, 0x00, 0x7f, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff,
    0xde, 0x73, 0x7d, 0x56, 0xd3, 0x8b, 0xcf, 0x42, 0x79, 0xdc, 0xe5, 0x61, 0x7e, 0x31, 0x92, 0xa8,
];

/// The Wycheproof vectors through the one signature check: a low-S verifier accepts 103
/// and rejects 159, 70 of them valid signatures with a high S. Returns the failures.
fn wycheproof() -> u32 {
    let (mut accepted, mut rejected, mut high_s_valid, mut failures) = (0u32, 0u32, 0u32, 0u32);
    let (mut least, mut most) = (u32::MAX, 0u32);
    for case in WYCHEPROOF {
        let start = cortex_m::peripheral::SYST::get_current();
        let result = stay_core::signature::verify(case.key, case.msg, case.sig);
        let spent = instructions_since(start);
        let high_s = case.sig.len() == 64 && case.sig[32..] > HALF_ORDER[..];
        match (case.valid, result) {
            (true, Ok(())) => {
                accepted += 1;
                least = least.min(spent);
                most = most.max(spent);
            }
            (true, Err(stay_core::SignatureError::HighS)) if high_s => {
                high_s_valid += 1;
                rejected += 1;
            }
            (true, Err(e)) => {
                hprintln!("FAIL tcId {}: valid but refused ({:?})", case.id, e);
                failures += 1;
            }
            (false, Ok(())) => {
                hprintln!("FAIL tcId {}: invalid but accepted", case.id);
                failures += 1;
            }
            (false, Err(_)) => rejected += 1,
        }
    }
    hprintln!(
        "scanner-qemu: wycheproof with {}: {} accepted, {} rejected ({} valid high-S refused); an accepted signature took {} to {} instructions",
        BACKEND,
        accepted,
        rejected,
        high_s_valid,
        least,
        most
    );
    if (accepted, rejected, high_s_valid) != (103, 159, 70) {
        hprintln!("FAIL: expected 103 accepted, 159 rejected, 70 high-S");
        failures += 1;
    }
    failures
}

/// The board's SysTick clock (the CPU's 25 MHz) against qemu's one instruction per
/// nanosecond.
const INSTRUCTIONS_PER_TICK: u32 = 40;
const TICKS_MAX: u32 = 0x00FF_FFFF;

/// Instructions since `start` (a SysTick value; it counts down).
fn instructions_since(start: u32) -> u32 {
    let now = cortex_m::peripheral::SYST::get_current();
    (start.wrapping_sub(now) & TICKS_MAX) * INSTRUCTIONS_PER_TICK
}

/// A card that answers with a chip case's recorded responses, in order, whatever it is
/// sent: the golden card, or (with other terminal secrets) a card replaying a session.
struct RecordedCard {
    answers: &'static [&'static [u8]],
    next: usize,
}

impl ApduLink for RecordedCard {
    type Error = ();
    fn exchange(&mut self, _command: &[u8], response: &mut [u8]) -> Result<usize, LinkError<()>> {
        let answer = self.answers.get(self.next).ok_or(LinkError::Failed(()))?;
        self.next += 1;
        deliver(answer, response)
    }
}

fn list_outcome(result: &Result<TrustList<'_>, ListError>) -> &'static str {
    match result {
        Ok(_) => "ok",
        Err(ListError::Rollback { .. }) => "rollback",
        Err(ListError::BadSignature(_)) => "bad-signature",
        Err(_) => "malformed",
    }
}

#[entry]
fn main() -> ! {
    let mut core = cortex_m::Peripherals::take().expect("first take");
    core.SYST.set_clock_source(SystClkSource::Core);
    core.SYST.set_reload(TICKS_MAX);
    core.SYST.clear_current();
    core.SYST.enable_counter();

    let failures = if cfg!(feature = "wycheproof") {
        wycheproof()
    } else {
        golden() + crate::screens::screens()
    };
    if failures == 0 {
        hprintln!("scanner-qemu: every vector gives its verdict");
        exit(debug::EXIT_SUCCESS)
    } else {
        hprintln!("scanner-qemu: {} vectors FAILED", failures);
        exit(debug::EXIT_FAILURE)
    }
}

/// The golden vectors: every list case and verification case. Returns the failures.
fn golden() -> u32 {
    let Ok(root) = PublicKey::from_sec1(&ROOT_KEY) else {
        hprintln!("scanner-qemu: the root key does not parse");
        return 1;
    };
    let mut failures = 0u32;
    hprintln!(
        "scanner-qemu: {} list cases, {} verification cases, {}",
        LIST_CASES.len(),
        CASES.len(),
        BACKEND
    );
    for case in &LIST_CASES {
        let start = cortex_m::peripheral::SYST::get_current();
        let got = list_outcome(&TrustList::load(
            FILES[case.file],
            &root,
            case.trusted_sequence,
        ));
        let spent = instructions_since(start);
        let ok = got == case.expect;
        failures += u32::from(!ok);
        hprintln!(
            "{} list {:<24} {:<14} {:>9} instructions",
            if ok { "ok  " } else { "FAIL" },
            case.name,
            got,
            spent
        );
    }
    let (mut printed_valid, mut chip_valid) = (0u32, 0u32);
    for case in &CASES {
        let Ok(list) = TrustList::load(FILES[case.list], &root, None) else {
            hprintln!("FAIL {}: its list does not load", case.name);
            failures += 1;
            continue;
        };
        let Ok(role) = Role::from_str(case.role, case.employer_tin) else {
            hprintln!("FAIL {}: no such role {}", case.name, case.role);
            failures += 1;
            continue;
        };
        let start = cortex_m::peripheral::SYST::get_current();
        let (status, reason, decision, chip, change) = if case.printed {
            let v = stay_core::verify(
                FILES[case.record],
                &list,
                &Check::printed(UnixTime(case.now), role, &Policy::DEFAULT),
            );
            (
                v.status.name(),
                v.status.reason_code(),
                v.decision.code(),
                v.chip_authenticated,
                change_matches(case, v.status_change),
            )
        } else {
            let (Some(transcript), Some(Ok(can))) = (case.transcript, case.can.map(Can::parse))
            else {
                hprintln!("FAIL {}: a chip case without transcript or CAN", case.name);
                failures += 1;
                continue;
            };
            let mut card = RecordedCard {
                answers: TRANSCRIPTS[transcript],
                next: 0,
            };
            let mut n = case.terminal_seed;
            let random = |secret: &mut [u8; 32]| {
                n = n.wrapping_add(1);
                *secret = [n; 32];
            };
            match stay_core::terminal::border_check(&mut card, &can, random) {
                Ok(reading) => {
                    let v = stay_core::verify(
                        reading.record(),
                        &list,
                        &Check::chip(UnixTime(case.now), role, reading.proof(), &Policy::DEFAULT),
                    );
                    (
                        v.status.name(),
                        v.status.reason_code(),
                        v.decision.code(),
                        v.chip_authenticated,
                        change_matches(case, v.status_change),
                    )
                }
                // No channel, no verdict: the vectors' `no-channel` (a replayed session).
                Err(stay_core::terminal::BorderCheckError::Pace(
                    stay_core::terminal::CardError::Pace(stay_core::pace::PaceError::BadToken),
                )) => (
                    "no-channel",
                    Some("pace-bad-token"),
                    "no-verdict",
                    false,
                    case.expect_change.is_none(),
                ),
                Err(_) => {
                    hprintln!("FAIL {}: the card read failed", case.name);
                    failures += 1;
                    continue;
                }
            }
        };
        let spent = instructions_since(start);
        let ok = status == case.expect_status
            && reason == case.expect_reason
            && decision == case.expect_decision
            && chip == case.expect_chip_authenticated
            && change;
        failures += u32::from(!ok);
        if ok && status == "valid" {
            if case.printed {
                printed_valid = printed_valid.max(spent);
            } else {
                chip_valid = chip_valid.max(spent);
            }
        }
        hprintln!(
            "{} {:<36} {:<13} {:<24} {:>9} instructions",
            if ok { "ok  " } else { "FAIL" },
            case.name,
            status,
            reason.unwrap_or(decision),
            spent
        );
    }
    hprintln!(
        "scanner-qemu: a complete verification takes at most {} instructions printed, {} from a chip (PACE-CAM, secure messaging, record and chip proof)",
        printed_valid,
        chip_valid
    );
    failures
}

/// Ends the program with `code` as qemu's exit status.
fn exit(code: debug::ExitStatus) -> ! {
    debug::exit(code);
    loop {
        cortex_m::asm::wfi();
    }
}

/// A fault ends the run with a failure (and where it happened) instead of hanging.
#[cortex_m_rt::exception]
unsafe fn HardFault(frame: &cortex_m_rt::ExceptionFrame) -> ! {
    hprintln!("scanner-qemu: hard fault at pc {:#010x}", frame.pc());
    exit(debug::EXIT_FAILURE)
}

#[panic_handler]
fn panic(info: &core::panic::PanicInfo) -> ! {
    hprintln!("scanner-qemu: panic: {}", info);
    exit(debug::EXIT_FAILURE)
}
