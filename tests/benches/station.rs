//! Personalization throughput: cards per minute from a batch, each card generated, signed,
//! written, locked and verified back.
//! - in-process: the station code on the applet itself (no transport), the ceiling;
//! - through pcscd + vpcd: `station` (release) with a card put in as soon as it
//!   asks, signing with a local key, then through `issuer serve`;
//! - beside it, the PC/SC floor: pyscard's SELECT round trip against the same pcscd, times
//!   the APDUs one card takes.
//!
//! `cargo bench -p stay-tests --bench station` (also run by `cargo xtask bench`); runs in
//! its own private pcscd like the PC/SC tests. Prints Markdown rows for docs/performance.md.

use std::io::{BufRead, BufReader};
use std::path::Path;
use std::process::{Command, ExitCode, Stdio};
use std::sync::mpsc;
use std::time::{Duration, Instant};

use anyhow::{bail, ensure, Context, Result};
use card_applet_sim::{CardImage, Interface};
use reader_host::trust_cache::LoadedList;
use station::journal::Journal;
use station::{batch, CardSupply, LocalSigner, Station};
use stay_core::Policy;
use stay_tests::card::{personalization_key, InProcessCard};
use stay_tests::pcsc_world::{blank, issuer, office, run_bench, IssuerServe, World};

const IN_PROCESS_CARDS: usize = 60;
const PCSC_CARDS: usize = 30;

/// Blank cards in memory, taken in order.
struct Stack {
    blank: Vec<InProcessCard>,
    done: Vec<InProcessCard>,
}

impl CardSupply for Stack {
    type Card = InProcessCard;
    fn next_card(&mut self, _prompt: &str) -> Result<Option<InProcessCard>> {
        Ok(self.blank.pop())
    }
    fn hand_back(&mut self, card: InProcessCard, _message: &str) -> Result<()> {
        self.done.push(card);
        Ok(())
    }
}

/// The station code on in-process cards: cards per minute and APDUs per card.
fn in_process(w: &World, dir: &Path) -> Result<(f64, f64)> {
    let policy = Policy::DEFAULT;
    let applications = batch::read(
        &dir.join("batch.csv"),
        &policy,
        w.fixture.now.bishkek_date(),
    )?
    .applications;
    ensure!(applications.len() == IN_PROCESS_CARDS);
    let list = LoadedList::verify(w.fixture.list(), &w.fixture.root.public_key(), None)?;
    let signer = LocalSigner {
        key: w.fixture.signer.clone(),
        list: &list,
        policy,
    };
    let mut station = Station {
        journal: Journal::open(&dir.join("in-process.sqlite"), "IP")?,
        signer: &signer,
        personalization_key: personalization_key(),
        list: &list,
        policy,
        now: w.fixture.now,
        out_dir: dir.join("in-process-faces"),
        checkpoint: &|_| {},
    };
    station.journal.add(&applications)?;
    let mut stack = Stack {
        blank: (0..IN_PROCESS_CARDS)
            .map(|i| {
                InProcessCard::new(CardImage::blank(
                    [0x4B, 0x47, 0, 0, 0, 0, 0x30, i as u8],
                    &personalization_key().public_key(),
                ))
            })
            .collect(),
        done: Vec::new(),
    };
    let start = Instant::now();
    station.run(&mut stack, &mut |_| {})?;
    let elapsed = start.elapsed();
    ensure!(stack.done.len() == IN_PROCESS_CARDS);
    ensure!(stack.done.iter().all(|c| c.image().locked));
    let apdus: usize = stack.done.iter().map(|c| c.log.len()).sum();
    Ok((
        per_minute(IN_PROCESS_CARDS, elapsed),
        apdus as f64 / IN_PROCESS_CARDS as f64,
    ))
}

fn per_minute(cards: usize, elapsed: Duration) -> f64 {
    cards as f64 * 60.0 / elapsed.as_secs_f64()
}

/// `station` on the office's batch, a blank card put in each time it asks:
/// cards per minute, and the median time from a card seen in the reader to it issued.
fn through_pcscd(w: &World, dir: &Path, signer: &[&str]) -> Result<(f64, Duration)> {
    let mut child = Command::new(&w.station_bin)
        .current_dir(dir)
        .args(["--batch", "batch.csv", "--journal"])
        .arg(format!("{}.sqlite", signer[0].trim_start_matches('-')))
        .args(["--number-prefix", "KG", "--out", "faces", "--json"])
        .args(signer)
        .args(["--personalization-key", "perso.key.pem"])
        .args(["--trust-list", "trust.list", "--root-key", "root.pub.pem"])
        .args(["--reader", &w.sandbox.reader_name(0), "--wait", "20"])
        .args(["--at", &stay_std::clock::format_rfc3339(w.fixture.now)])
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()?;
    let (tx, lines) = mpsc::channel();
    let stderr = child.stderr.take().context("stderr")?;
    std::thread::spawn(move || {
        for line in BufReader::new(stderr).lines().map_while(Result::ok) {
            if tx.send((Instant::now(), line)).is_err() {
                break;
            }
        }
    });
    let images = (1..=PCSC_CARDS)
        .map(|i| blank(w, &format!("bench-{}-{i}", signer[0]), i as u8))
        .collect::<Result<Vec<_>>>()?;
    let mut start = None;
    let mut card = None;
    let mut seen_at = None;
    let mut in_reader = Vec::new();
    let mut watch = |at: Instant, line: &str, seen_at: &mut Option<Instant>| -> Result<()> {
        if line.starts_with("issued ") {
            in_reader.push(at - seen_at.take().context("issued before a card")?);
        }
        if line.contains("SPOILED") || line.contains("FAILED") {
            bail!("{line}");
        }
        Ok(())
    };
    for image in &images {
        loop {
            let (at, line) = lines
                .recv_timeout(Duration::from_secs(30))
                .context("the station went quiet")?;
            watch(at, &line, &mut seen_at)?;
            if line.starts_with("insert a blank card for") {
                break;
            }
        }
        start.get_or_insert_with(Instant::now);
        drop(card.take());
        card = Some(w.insert_card(0, image, Interface::Contact)?);
        // insert_card returns once pcscd reports the card present.
        seen_at = Some(Instant::now());
    }
    let status = child.wait()?;
    let elapsed = start.context("no card asked for")?.elapsed();
    for (at, line) in lines.try_iter() {
        watch(at, &line, &mut seen_at)?;
    }
    drop(card);
    let mut summary = String::new();
    std::io::Read::read_to_string(&mut child.stdout.take().context("stdout")?, &mut summary)?;
    let summary: serde_json::Value = serde_json::from_str(&summary)?;
    ensure!(status.success(), "station: {status}: {summary}");
    ensure!(summary["issued"].as_array().map(Vec::len) == Some(PCSC_CARDS));
    in_reader.sort();
    ensure!(
        in_reader.len() == PCSC_CARDS,
        "{} issued lines",
        in_reader.len()
    );
    Ok((per_minute(PCSC_CARDS, elapsed), in_reader[PCSC_CARDS / 2]))
}

fn run(w: &World) -> Result<()> {
    let dir = office(w, "in-process", IN_PROCESS_CARDS, false)?;
    let (ceiling, apdus) = in_process(w, &dir)?;

    let dir = office(w, "pcsc", PCSC_CARDS, false)?;
    let local = through_pcscd(w, &dir, &["--signer-key", "signer.key.pem"])?;

    // The signing service on loopback, with a token for this station.
    issuer(
        w,
        &dir,
        &[
            "new-token",
            "--label",
            "bench",
            "--tokens",
            "signing.tokens",
            "--out",
            "bench.token",
        ],
    )?;
    let service = IssuerServe::start(w, &dir)?;
    let url = service.url.clone();
    let remote = through_pcscd(
        w,
        &dir,
        &["--signing-service", &url, "--token-file", "bench.token"],
    );
    service.stop()?;
    let remote = remote?;

    // The transport floor: pyscard's round trip on the same pcscd, times the APDUs.
    let card = stay_tests::card::InProcessCard::personalized(&w.fixture);
    let image = w.image("peer", card.image())?;
    let inserted = w.insert_card(0, &image, Interface::Contact)?;
    let peer = Command::new("/usr/bin/python3")
        .arg(concat!(env!("CARGO_MANIFEST_DIR"), "/pcsc/select_loop.py"))
        .arg(inserted.reader.to_string_lossy().as_ref())
        .arg("1000")
        .output()?;
    ensure!(
        peer.status.success(),
        "{}",
        String::from_utf8_lossy(&peer.stderr)
    );
    drop(inserted);
    let median_us: f64 = String::from_utf8_lossy(&peer.stdout)
        .split_whitespace()
        .next()
        .context("pyscard")?
        .parse()?;
    let floor = 60.0 / (median_us * 1e-6 * apdus);

    println!("| Station | cards/minute | per card | card present to issued (median) |");
    println!("|---|---|---|---|");
    println!(
        "| in-process (the applet, no transport) | {ceiling:.0} | {:.1} ms | |",
        60_000.0 / ceiling
    );
    for (name, (rate, in_reader)) in [
        ("pcscd + vpcd, local signer key", local),
        ("pcscd + vpcd, signing through `issuer serve`", remote),
    ] {
        println!(
            "| {name} | {rate:.0} | {:.0} ms | {:.1} ms |",
            60_000.0 / rate,
            in_reader.as_secs_f64() * 1000.0
        );
    }
    println!(
        "| peer: pyscard round trips alone ({apdus:.0} APDUs × {median_us:.0} µs) | {floor:.0} | | {:.1} ms |",
        median_us * apdus / 1000.0
    );
    Ok(())
}

fn main() -> ExitCode {
    run_bench("station", run)
}
