//! The card through pcscd + vpcd, timed: one APDU, and a whole border check (card part,
//! then with the verification), with TCP_QUICKACK re-armed on the card side and without.
//! Beside ours, pyscard's SELECT round trip and an OpenPACE terminal's border check
//! (`pcsc/openpace_terminal.c`) against the same card in the same run.
//!
//! `cargo bench -p stay-tests --bench pcsc` (also run by `cargo xtask bench`); runs in its
//! own private pcscd like the PC/SC tests. Prints Markdown rows for docs/performance.md.

use std::process::{Command, ExitCode};
use std::time::{Duration, Instant};

use anyhow::{ensure, Result};
use card_applet_sim::Interface;
use stay_core::apdu::{Command as Apdu, Status as Sw, AID};
use stay_core::{Check, Policy, Role, Status, TrustList};
use stay_tests::card::InProcessCard;
use stay_tests::pcsc_world::{run_bench, World};

struct Stats {
    median: Duration,
    p90: Duration,
}

fn stats(mut times: Vec<Duration>) -> Stats {
    times.sort();
    Stats {
        median: times[times.len() / 2],
        p90: times[times.len() * 9 / 10],
    }
}

fn micros(d: Duration) -> String {
    format!("{:.0} µs", d.as_secs_f64() * 1e6)
}

fn time<F: FnMut() -> Result<()>>(rounds: usize, mut f: F) -> Result<Stats> {
    f()?; // warm-up
    let mut times = Vec::with_capacity(rounds);
    for _ in 0..rounds {
        let start = Instant::now();
        f()?;
        times.push(start.elapsed());
    }
    Ok(stats(times))
}

fn run(w: &World) -> Result<()> {
    let card = InProcessCard::personalized(&w.fixture);
    let image = w.image("bench", card.image())?;
    let list_bytes = w.fixture.list();
    let root = w.fixture.root.public_key();
    let list = TrustList::load(&list_bytes, &root, None)
        .map_err(|e| anyhow::anyhow!("fixture list: {e}"))?;
    let mut select = vec![0u8; 13];
    Apdu::new(0x00, 0xA4, 0x04, 0x0C, &AID).write(&mut select);
    // The verification a tap ends in: the border's, with the chip's proof.
    let valid = |reading: &stay_core::terminal::ChipReading| {
        let check = Check::chip(
            w.fixture.now,
            Role::Border,
            reading.proof(),
            &Policy::DEFAULT,
        );
        let verdict = stay_core::verify(reading.record(), &list, &check);
        ensure!(verdict.status == Status::Valid);
        Ok(())
    };
    println!("| Measure | QUICKACK on: median (p90) | QUICKACK off: median (p90) |");
    println!("|---|---|---|");
    let mut rows: Vec<(String, Vec<String>)> = vec![
        ("one APDU (SELECT), our host".into(), vec![]),
        (
            "border check, card part (PACE-CAM + 2 APDUs under SM: 9 APDUs)".into(),
            vec![],
        ),
        (
            "border check, card part + verify (tap to verdict)".into(),
            vec![],
        ),
        ("one APDU (SELECT), pyscard (peer)".into(), vec![]),
        (
            "border check, card part, OpenPACE + OpenSSL terminal (peer)".into(),
            vec![],
        ),
    ];
    let openpace = w.openpace_terminal()?;
    let chip_key = w.fixture.chip.public_sec1();
    let can = stay_tests::card::can();
    for quickack in [true, false] {
        let args: &[&str] = if quickack { &[] } else { &["--no-quickack"] };
        let inserted = w.insert_with(0, &image, Interface::Contact, args)?;
        let mut connection = w.connect(&inserted)?;
        let (apdus, checks) = if quickack { (2000, 300) } else { (40, 15) };
        let mut buf = vec![0u8; 258];
        let apdu = time(apdus, || {
            let response = connection.card().transmit(&select, &mut buf)?;
            ensure!(response == Sw::Success.to_bytes());
            Ok(())
        })?;
        let card_part = time(checks, || {
            reader_host::card::border_check(&mut connection, &can)?;
            Ok(())
        })?;
        let full = time(checks, || {
            let reading = reader_host::card::border_check(&mut connection, &can)?;
            valid(&reading)
        })?;
        drop(connection);
        let peer = Command::new("/usr/bin/python3")
            .arg(concat!(env!("CARGO_MANIFEST_DIR"), "/pcsc/select_loop.py"))
            .arg(inserted.reader.to_string_lossy().as_ref())
            .arg(apdus.to_string())
            .output()?;
        ensure!(
            peer.status.success(),
            "{}",
            String::from_utf8_lossy(&peer.stderr)
        );
        let peer = String::from_utf8_lossy(&peer.stdout);
        let (median, p90) = peer.trim().split_once(' ').unwrap_or(("?", "?"));
        for (row, s) in rows.iter_mut().zip([apdu, card_part, full]) {
            row.1
                .push(format!("{} ({})", micros(s.median), micros(s.p90)));
        }
        rows[3].1.push(format!("{median} µs ({p90} µs)"));
        let reader = inserted.reader.to_string_lossy().into_owned();
        let (code, text) =
            w.run_openpace(&openpace, &reader, "314159", &chip_key, Some(checks as u32))?;
        ensure!(code == Some(0), "OpenPACE: {text}");
        let figure = |label: &str| {
            text.split_whitespace()
                .skip_while(|word| *word != label)
                .nth(1)
                .unwrap_or("?")
                .to_owned()
        };
        rows[4].1.push(format!(
            "{} µs ({} µs)",
            figure("median-us"),
            figure("p90-us")
        ));
        drop(inserted);
    }
    for (name, cells) in rows {
        println!("| {name} | {} |", cells.join(" | "));
    }
    Ok(())
}

fn main() -> ExitCode {
    run_bench("pcsc", run)
}
