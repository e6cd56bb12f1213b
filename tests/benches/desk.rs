//! The desk daemon, timed: card-present-to-verdict through pcscd (from the moment pcscd
//! reports the card until the verdict arrives on the daemon's event stream), and verdicts
//! per second through `POST /api/verify` (record bytes, two client threads).
//!
//! `cargo bench -p stay-tests --bench desk` (also run by `cargo xtask bench`); runs in its own
//! private pcscd. Prints Markdown rows for docs/performance.md.

use std::process::ExitCode;
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::sync::Arc;
use std::time::{Duration, Instant};

use anyhow::{ensure, Context as _, Result};
use reader_host::pcsc_reader;
use stay_tests::card::InProcessCard;
use stay_tests::pcsc_world::{run_bench, Daemon, World};

fn run(w: &World) -> Result<()> {
    let daemon = Daemon::start(w, "bench-desk", "")?;
    let card = InProcessCard::personalized(&w.fixture);
    let image = w.image("bench-desk-card", card.image())?;
    // The API's load: a QR-only document (printed, a chip card's record says read-the-chip).
    let record = w
        .fixture
        .record(&stay_tests::golden::unified_window("UW0000001"));

    let rounds = 30;
    let mut latencies = Vec::with_capacity(rounds);
    for round in 0..rounds {
        let slot = round % 2;
        let inserted = {
            let name = std::ffi::CString::new(w.sandbox.reader_name(slot))?;
            pcsc_reader::wait_for_removal(&w.ctx, &name, Duration::from_secs(20))?;
            let child = std::process::Command::new(&w.card_bin)
                .arg("--image")
                .arg(&image)
                .args(["--vpcd", &w.sandbox.vpcd_addr(slot)])
                .stderr(std::process::Stdio::null())
                .spawn()?;
            let reader = w.sandbox.reader_name(slot);
            pcsc_reader::wait_for_card(&w.ctx, Some(&reader), Duration::from_secs(20))?
                .context("no card came")?;
            let present = Instant::now();
            let event = daemon.next("verdict")?;
            latencies.push(present.elapsed());
            ensure!(event["verdict"]["status"] == "valid", "{event}");
            child
        };
        let mut child = inserted;
        child.kill()?;
        child.wait()?;
    }
    latencies.sort();
    let ms = |d: Duration| d.as_secs_f64() * 1e3;

    let stop = Arc::new(AtomicBool::new(false));
    let count = Arc::new(AtomicU64::new(0));
    let url = format!("{}api/verify", daemon.url);
    let token = format!("Bearer {}", daemon.token);
    let clients: Vec<_> = (0..2)
        .map(|_| {
            let (stop, count, url, record, token) = (
                stop.clone(),
                count.clone(),
                url.clone(),
                record.clone(),
                token.clone(),
            );
            std::thread::spawn(move || -> Result<()> {
                let agent = ureq::AgentBuilder::new().build();
                while !stop.load(Ordering::Relaxed) {
                    let answer: serde_json::Value = agent
                        .post(&url)
                        .set("Authorization", &token)
                        .set("Content-Type", reader_host::http::RECORD_TYPE)
                        .send_bytes(&record)?
                        .into_json()?;
                    ensure!(answer["verdict"]["status"] == "valid");
                    count.fetch_add(1, Ordering::Relaxed);
                }
                Ok(())
            })
        })
        .collect();
    let window = Duration::from_secs(5);
    std::thread::sleep(Duration::from_millis(500));
    let start_count = count.load(Ordering::Relaxed);
    let started = Instant::now();
    std::thread::sleep(window);
    let done = count.load(Ordering::Relaxed) - start_count;
    let elapsed = started.elapsed();
    stop.store(true, Ordering::Relaxed);
    for c in clients {
        c.join().expect("client thread")?;
    }
    println!("| measure | figure |");
    println!("|---|---|");
    println!(
        "| card present (pcscd event) to verdict on the event stream, {rounds} cards | median {:.1} ms, p90 {:.1} ms, max {:.1} ms |",
        ms(latencies[rounds / 2]),
        ms(latencies[rounds * 9 / 10]),
        ms(latencies[rounds - 1])
    );
    println!(
        "| verdicts per second through POST /api/verify (record bytes, 2 clients, audit on) | {:.0} /s |",
        done as f64 / elapsed.as_secs_f64()
    );
    Ok(())
}

fn main() -> ExitCode {
    run_bench("desk", run)
}
