//! The desk daemon's HTTP API under a bounded, steady load on loopback: `CLIENTS` clients,
//! each posting a printed record to `POST /api/verify` as soon as the previous answer came,
//! for `SOAK_SECONDS` (default 600). Per minute: verdicts per second, p50 / p99 / max
//! latency, errors, and the daemon's resident memory. At the end, every verdict must be in
//! the audit log: nothing dropped, nothing pending.
//!
//! `cargo bench -p stay-tests --bench soak` (also `cargo xtask soak`); runs in its own
//! private pcscd sandbox, with the release build. Prints Markdown rows for
//! docs/performance.md.

use std::process::ExitCode;
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use anyhow::{ensure, Result};
use stay_tests::pcsc_world::{run_bench, Daemon, World};

const CLIENTS: usize = 4;
const PERIOD: Duration = Duration::from_secs(60);

/// Resident memory of process `pid`, in KiB (`VmRSS`).
fn rss_kib(pid: u32) -> Result<u64> {
    let status = std::fs::read_to_string(format!("/proc/{pid}/status"))?;
    let line = status
        .lines()
        .find(|l| l.starts_with("VmRSS:"))
        .ok_or_else(|| anyhow::anyhow!("no VmRSS for {pid}"))?;
    Ok(line
        .split_whitespace()
        .nth(1)
        .and_then(|n| n.parse().ok())
        .unwrap_or(0))
}

fn run(w: &World) -> Result<()> {
    let seconds: u64 = std::env::var("SOAK_SECONDS")
        .ok()
        .and_then(|s| s.parse().ok())
        .unwrap_or(600);
    let daemon = Daemon::start(w, "soak-desk", "[cards]\nenabled = false\n")?;
    let record = w
        .fixture
        .record(&stay_tests::golden::unified_window("UW0000001"));
    let url = format!("{}api/verify", daemon.url);
    let token = format!("Bearer {}", daemon.token);
    let stop = Arc::new(AtomicBool::new(false));
    let errors = Arc::new(AtomicU64::new(0));
    // Latencies of the current period, in microseconds.
    let latencies = Arc::new(Mutex::new(Vec::<u32>::new()));
    let clients: Vec<_> = (0..CLIENTS)
        .map(|_| {
            let (stop, errors, latencies, url, record, token) = (
                stop.clone(),
                errors.clone(),
                latencies.clone(),
                url.clone(),
                record.clone(),
                token.clone(),
            );
            std::thread::spawn(move || {
                let agent = ureq::AgentBuilder::new()
                    .timeout(Duration::from_secs(10))
                    .build();
                while !stop.load(Ordering::Relaxed) {
                    let sent = Instant::now();
                    let answer = agent
                        .post(&url)
                        .set("Authorization", &token)
                        .set("Content-Type", reader_host::http::RECORD_TYPE)
                        .send_bytes(&record)
                        .ok()
                        .and_then(|r| r.into_json::<serde_json::Value>().ok());
                    let took = sent.elapsed().as_micros().min(u128::from(u32::MAX)) as u32;
                    match answer {
                        Some(a) if a["verdict"]["status"] == "valid" => {
                            latencies.lock().unwrap().push(took)
                        }
                        _ => {
                            errors.fetch_add(1, Ordering::Relaxed);
                        }
                    }
                }
            })
        })
        .collect();

    println!("| minute | verdicts/s | p50 ms | p99 ms | max ms | errors | daemon RSS MiB |");
    println!("|---|---|---|---|---|---|---|");
    let started = Instant::now();
    let mut total = 0u64;
    let mut rss = Vec::new();
    let mut all = Vec::new();
    let mut minute = 0;
    while started.elapsed() < Duration::from_secs(seconds) {
        let period_start = Instant::now();
        let left = Duration::from_secs(seconds).saturating_sub(started.elapsed());
        std::thread::sleep(PERIOD.min(left));
        let mut period = std::mem::take(&mut *latencies.lock().unwrap());
        let elapsed = period_start.elapsed().as_secs_f64();
        period.sort_unstable();
        minute += 1;
        let kib = rss_kib(daemon.pid())?;
        rss.push(kib);
        let at = |q: f64| {
            period
                .get(((period.len() as f64 * q) as usize).min(period.len().saturating_sub(1)))
                .map_or(0.0, |us| f64::from(*us) / 1e3)
        };
        println!(
            "| {minute} | {:.0} | {:.2} | {:.2} | {:.1} | {} | {:.1} |",
            period.len() as f64 / elapsed,
            at(0.5),
            at(0.99),
            period.last().map_or(0.0, |us| f64::from(*us) / 1e3),
            errors.load(Ordering::Relaxed),
            kib as f64 / 1024.0
        );
        total += period.len() as u64;
        all.extend(period);
    }
    stop.store(true, Ordering::Relaxed);
    for c in clients {
        let _ = c.join();
    }
    total += std::mem::take(&mut *latencies.lock().unwrap()).len() as u64;
    all.sort_unstable();
    let errors = errors.load(Ordering::Relaxed);
    // Every verdict in the audit log, once the writer has caught up.
    let deadline = Instant::now() + Duration::from_secs(30);
    let audit = loop {
        let status = daemon.get("api/status")?;
        let audit = status["audit"].clone();
        if audit["pending"] == 0 && audit["written"].as_u64() >= Some(total) {
            break audit;
        }
        ensure!(Instant::now() < deadline, "audit never caught up: {status}");
        std::thread::sleep(Duration::from_millis(100));
    };
    println!();
    println!(
        "| {seconds} s, {CLIENTS} clients | {total} verdicts, {:.0}/s | p99 {:.2} ms | {errors} errors | RSS {:.1} MiB first minute, {:.1} MiB last | audit: {} written, {} dropped |",
        total as f64 / seconds as f64,
        all.get(all.len() * 99 / 100).map_or(0.0, |us| f64::from(*us) / 1e3),
        rss.first().copied().unwrap_or(0) as f64 / 1024.0,
        rss.last().copied().unwrap_or(0) as f64 / 1024.0,
        audit["written"],
        audit["dropped"]
    );
    ensure!(errors == 0, "{errors} requests failed");
    ensure!(audit["dropped"] == 0, "audit rows dropped: {audit}");
    Ok(())
}

fn main() -> ExitCode {
    run_bench("soak", run)
}
