//! The personalization station through the real pcscd (private sandbox, vpcd cards):
//! a batch of 20 cards that then pass `reader-host verify --card`, and the station
//! SIGKILLed after each step of one card and started again.

use std::io::{BufRead, BufReader};
use std::path::Path;
use std::process::{Child, Command, ExitCode, Stdio};
use std::sync::mpsc;
use std::time::Duration;

use anyhow::{bail, ensure, Context, Result};
use card_applet_sim::{CardImage, Interface};
use serde_json::Value;
use stay_tests::pcsc_world::{blank, issuer, office, run_checks, IssuerServe, SandboxCheck, World};

/// `station` on the office's batch, signing with `signer` arguments; with `pause_at`, the
/// test build of it that parks after committing that step (`paused-station`).
fn station_command(w: &World, dir: &Path, signer: &[&str], pause_at: Option<&str>) -> Command {
    let mut cmd = match pause_at {
        Some(step) => {
            let mut cmd = Command::new(&w.paused_station_bin);
            cmd.arg(step);
            cmd
        }
        None => Command::new(&w.station_bin),
    };
    cmd.current_dir(dir)
        .args(["--batch", "batch.csv", "--journal", "journal.sqlite"])
        .args(["--number-prefix", "KG", "--out", "faces", "--json"])
        .args(signer)
        .args(["--personalization-key", "perso.key.pem"])
        .args(["--trust-list", "trust.list", "--root-key", "root.pub.pem"])
        .args(["--reader", &w.sandbox.reader_name(0), "--wait", "20"])
        .args(["--at", &stay_std::clock::format_rfc3339(w.fixture.now)]);
    cmd
}

/// A running `station`, its stderr read line by line.
struct StationRun {
    child: Child,
    lines: mpsc::Receiver<String>,
    seen: Vec<String>,
}

impl StationRun {
    fn start(w: &World, dir: &Path, pause_at: Option<&str>) -> Result<StationRun> {
        StationRun::launch(station_command(
            w,
            dir,
            &["--signer-key", "signer.key.pem"],
            pause_at,
        ))
    }

    fn launch(mut cmd: Command) -> Result<StationRun> {
        cmd.stdout(Stdio::piped()).stderr(Stdio::piped());
        let mut child = cmd.spawn().context("cannot start the station")?;
        let stderr = child.stderr.take().expect("piped");
        let (tx, lines) = mpsc::channel();
        std::thread::spawn(move || {
            for line in BufReader::new(stderr).lines().map_while(Result::ok) {
                if tx.send(line).is_err() {
                    break;
                }
            }
        });
        Ok(StationRun {
            child,
            lines,
            seen: Vec::new(),
        })
    }

    /// Waits for a line containing `text`.
    fn expect(&mut self, text: &str) -> Result<String> {
        loop {
            match self.lines.recv_timeout(Duration::from_secs(30)) {
                Ok(line) => {
                    self.seen.push(line.clone());
                    if line.contains(text) {
                        return Ok(line);
                    }
                }
                Err(_) => bail!(
                    "no {text:?} from the station; it said:\n{}",
                    self.seen.join("\n")
                ),
            }
        }
    }

    /// Waits for the end; the summary it printed.
    fn summary(mut self) -> Result<(i32, Value)> {
        use std::io::Read;
        let mut out = String::new();
        self.child
            .stdout
            .take()
            .expect("piped")
            .read_to_string(&mut out)?;
        let status = self.child.wait()?;
        let summary = serde_json::from_str(&out)
            .with_context(|| format!("summary {out:?}; it said:\n{}", self.seen.join("\n")))?;
        Ok((status.code().unwrap_or(-1), summary))
    }
}

fn verify_card(w: &World, image: &Path, dir: &Path, role: &[&str]) -> Result<Value> {
    let _card = w.insert_card(0, image, Interface::Contact)?;
    // The CAN the station drew, as the card face shows it (the card's memory holds it).
    let can = card_applet_sim::CardImage::read(image)?
        .can
        .context("the station stored no CAN")?;
    let can = String::from_utf8_lossy(can.digits()).into_owned();
    let out = Command::new(&w.reader_bin)
        .current_dir(dir)
        .args([
            "verify",
            "--card",
            "--reader",
            &w.sandbox.reader_name(0),
            "--json",
        ])
        .args(["--trust-list", "trust.list", "--root-key", "root.pub.pem"])
        .args(["--at", &stay_std::clock::format_rfc3339(w.fixture.now)])
        .args(["--can", &can])
        .args(role)
        .output()?;
    serde_json::from_slice(&out.stdout)
        .with_context(|| String::from_utf8_lossy(&out.stderr).into_owned())
}

/// Twenty blank cards through the station, one after another; then each verifies at a
/// border reader, and at the employer named on it.
fn batch_of_twenty(w: &mut World) -> Result<()> {
    const CARDS: usize = 20;
    let dir = office(w, "batch", CARDS, true)?;
    let mut station = StationRun::start(w, &dir, None)?;
    station.expect("line 5: skipped: pin")?;
    let mut images = Vec::new();
    for i in 1..=CARDS {
        let image = blank(w, &format!("batch-{i}"), i as u8)?;
        let card = w.insert_card(0, &image, Interface::Contact)?;
        station.expect(&format!("to WORKER Number {i} "))?;
        drop(card);
        images.push(image);
    }
    let (code, summary) = station.summary()?;
    ensure!(
        code == 1,
        "exit {code}: the bad row is reported in the status"
    );
    ensure!(
        summary["issued"].as_array().map(Vec::len) == Some(CARDS),
        "{summary}"
    );
    ensure!(
        summary["spoiled"] == serde_json::json!([]) && summary["pending"] == serde_json::json!([])
    );
    ensure!(summary["bad_rows"][0]["line"] == 5, "{summary}");
    for (i, image) in images.iter().enumerate() {
        let card = CardImage::read(image)?;
        ensure!(card.locked && card.record.is_some(), "card {i} not locked");
        ensure!(dir.join(format!("faces/KG{:07}.png", i + 1)).exists());
    }
    for image in [&images[0], &images[CARDS - 1]] {
        let border = verify_card(w, image, &dir, &["--role", "border"])?;
        ensure!(
            border["status"] == "valid" && border["chip_authenticated"] == true,
            "{border}"
        );
        let employer = verify_card(
            w,
            image,
            &dir,
            &[
                "--role",
                "employer",
                "--employer-tin",
                stay_tests::golden::EMPLOYER_TIN,
            ],
        )?;
        ensure!(employer["decision"] == "may-employ", "{employer}");
    }
    Ok(())
}

/// The station SIGKILLed right after each step of one card, then started again: the
/// journal settles the card, the application is issued exactly once, numbers never repeat.
fn killed_at_every_step(w: &mut World) -> Result<()> {
    for step in [
        "authenticated",
        "started",
        "signed",
        "written",
        "locked",
        "verified",
        "issued",
    ] {
        let dir = office(w, &format!("kill-{step}"), 1, false)?;
        let first = blank(w, &format!("kill-{step}-1"), 1)?;
        let card = w.insert_card(0, &first, Interface::Contact)?;
        let mut station = StationRun::start(w, &dir, Some(step))?;
        station.expect(&format!("paused at {step}"))?;
        station.child.kill()?;
        station.child.wait()?;

        let mut again = StationRun::start(w, &dir, None)?;
        let mut card = Some(card);
        let locked_in_reader = matches!(step, "locked");
        if locked_in_reader {
            again.expect("card not used: the card is locked")?;
            drop(card.take());
            let second = blank(w, &format!("kill-{step}-2"), 2)?;
            card = Some(w.insert_card(0, &second, Interface::Contact)?);
        }
        let (code, summary) = again.summary()?;
        drop(card);
        ensure!(code == 0, "{step}: exit {code}: {summary}");
        let issued = summary["issued"].as_array().context("issued")?;
        let spoiled = summary["spoiled"].as_array().context("spoiled")?;
        let (want_issued, want_spoiled, number) = match step {
            "authenticated" => (1, 0, "KG0000001"),
            "started" | "signed" | "written" | "locked" => (1, 1, "KG0000002"),
            "verified" => (1, 0, "KG0000001"),
            _ => (0, 0, "KG0000001"),
        };
        ensure!(
            issued.len() == want_issued && spoiled.len() == want_spoiled,
            "{step}: {summary}"
        );
        if let Some(entry) = issued.first() {
            ensure!(entry["document_number"] == number, "{step}: {summary}");
        }
        ensure!(
            summary["pending"] == serde_json::json!([]),
            "{step}: {summary}"
        );
        ensure!(
            dir.join(format!("faces/{number}.png")).exists(),
            "{step}: no card face"
        );
        // The spoiled card's number, ready for the trust list's revocations.
        let retired = std::fs::read_to_string(dir.join("faces/retired-numbers.txt"))?;
        let want = if want_spoiled == 1 { "KG0000001\n" } else { "" };
        ensure!(retired == want, "{step}: retired {retired:?}");
    }
    Ok(())
}

/// pcscd killed while the card holds each APDU of a personalization in turn: the station
/// stops without losing or duplicating anything; run again with pcscd back and the next
/// blank card, the application is issued exactly once, under a number never used before,
/// and whatever the first card holds carries a retired number.
fn pcscd_killed_mid_personalization(w: &mut World) -> Result<()> {
    let mut held_at = 0u64;
    loop {
        let dir = office(w, &format!("pcscd-{held_at}"), 1, false)?;
        let first = blank(w, &format!("pcscd-{held_at}-1"), 1)?;
        let marker = dir.join("held");
        let card = w.insert_with(
            0,
            &first,
            Interface::Contact,
            &[
                "--hold-after",
                &held_at.to_string(),
                &marker.to_string_lossy(),
            ],
        )?;
        let mut station = StationRun::start(w, &dir, None)?;
        let deadline = std::time::Instant::now() + Duration::from_secs(30);
        let held = loop {
            if marker.exists() {
                break true;
            }
            if station.child.try_wait()?.is_some() {
                break false;
            }
            ensure!(
                std::time::Instant::now() < deadline,
                "held at {held_at}: stuck"
            );
            std::thread::sleep(Duration::from_millis(20));
        };
        if !held {
            // Past the last APDU: the card was issued undisturbed; every step was covered.
            let (code, summary) = station.summary()?;
            ensure!(code == 0 && summary["issued"].as_array().map(Vec::len) == Some(1));
            ensure!(held_at >= 10, "only {held_at} APDUs in a personalization");
            println!("pcscd killed at each of the {held_at} APDUs of a personalization");
            drop(card);
            return Ok(());
        }
        w.sandbox.restart_pcscd()?;
        w.reconnect()?;
        let (_, stopped) = station.summary()?;
        ensure!(
            stopped["issued"] == serde_json::json!([]),
            "held at {held_at}: issued with pcscd gone: {stopped}"
        );
        drop(card);
        let second = blank(w, &format!("pcscd-{held_at}-2"), 2)?;
        let card = w.insert_card(0, &second, Interface::Contact)?;
        let (code, summary) = StationRun::start(w, &dir, None)?.summary()?;
        drop(card);
        ensure!(code == 0, "held at {held_at}: exit {code}: {summary}");
        let issued = summary["issued"].as_array().context("issued")?;
        ensure!(
            issued.len() == 1 && summary["pending"] == serde_json::json!([]),
            "held at {held_at}: {summary}"
        );
        let number = issued[0]["document_number"].as_str().unwrap_or_default();
        let retired = std::fs::read_to_string(dir.join("faces/retired-numbers.txt"))?;
        ensure!(
            !retired.lines().any(|n| n == number),
            "held at {held_at}: issued a retired number {number}"
        );
        if let Some(record) = CardImage::read(&first)?.record {
            let on_first = stay_core::StayRecord::parse(&record)
                .map_err(|e| anyhow::anyhow!("the first card's record: {e}"))?
                .fields
                .document_number
                .to_string();
            ensure!(
                retired.lines().any(|n| n == on_first),
                "held at {held_at}: the first card holds {on_first}, not retired ({retired:?})"
            );
        }
        held_at += 1;
    }
}

/// The signer key stays with `issuer serve`: a station with a token the service does not
/// know stops before it asks for a card; the station with its own token issues a batch.
fn through_the_signing_service(w: &mut World) -> Result<()> {
    const CARDS: usize = 3;
    let dir = office(w, "service", CARDS, false)?;
    issuer(
        w,
        &dir,
        &[
            "new-token",
            "--label",
            "station-a",
            "--tokens",
            "signing.tokens",
            "--out",
            "station-a.token",
        ],
    )?;
    issuer(
        w,
        &dir,
        &[
            "new-token",
            "--label",
            "elsewhere",
            "--tokens",
            "elsewhere.tokens",
            "--out",
            "stranger.token",
        ],
    )?;
    let service = IssuerServe::start(w, &dir)?;

    let stranger = station_command(
        w,
        &dir,
        &[
            "--signing-service",
            &service.url,
            "--token-file",
            "stranger.token",
        ],
        None,
    )
    .output()?;
    let said = String::from_utf8_lossy(&stranger.stderr);
    ensure!(
        stranger.status.code() == Some(66),
        "{:?}: {said}",
        stranger.status
    );
    ensure!(
        said.contains("does not accept this station's token"),
        "{said}"
    );
    ensure!(!said.contains("insert a blank card"), "{said}");

    let mut station = StationRun::launch(station_command(
        w,
        &dir,
        &[
            "--signing-service",
            &service.url,
            "--token-file",
            "station-a.token",
        ],
        None,
    ))?;
    let mut images = Vec::new();
    for i in 1..=CARDS {
        let image = blank(w, &format!("service-{i}"), i as u8)?;
        let card = w.insert_card(0, &image, Interface::Contact)?;
        station.expect(&format!("to WORKER Number {i} "))?;
        drop(card);
        images.push(image);
    }
    let (code, summary) = station.summary()?;
    ensure!(code == 0, "exit {code}: {summary}");
    ensure!(
        summary["issued"].as_array().map(Vec::len) == Some(CARDS),
        "{summary}"
    );
    let border = verify_card(w, &images[CARDS - 1], &dir, &["--role", "border"])?;
    ensure!(border["status"] == "valid", "{border}");
    service.stop()?;
    let register = rusqlite::Connection::open(dir.join("signing.sqlite"))?;
    let signed: i64 = register.query_row(
        "SELECT count(*) FROM signed WHERE station = 'station-a'",
        [],
        |r| r.get(0),
    )?;
    ensure!(signed == CARDS as i64, "{signed} signed in the register");
    // The stranger's request was counted in memory, never written: every row is station-a's.
    let (rows, theirs): (i64, i64) = register.query_row(
        "SELECT count(*), count(*) FILTER (WHERE station = 'station-a') FROM requests",
        [],
        |r| Ok((r.get(0)?, r.get(1)?)),
    )?;
    ensure!(
        rows == CARDS as i64 && theirs == rows,
        "{rows} requests in the register, {theirs} station-a's"
    );
    Ok(())
}

/// The operator reads Russian: the prompt and the summary in Russian, the time in Bishkek
/// time; `--json` (the other checks) keeps its codes.
fn prompts_and_summary_in_russian(w: &mut World) -> Result<()> {
    let dir = office(w, "russian", 1, false)?;
    // A row the issuer refuses: its reason in Russian too, from the refusal's own words.
    let mut batch = std::fs::read_to_string(dir.join("batch.csv"))?;
    batch.push_str(
        "APP-PIN,resident-card,123,21503199000999,X,,UZB,1990-01-01,M,work,,2026-11-01,2027-10-31,M,\n",
    );
    std::fs::write(dir.join("batch.csv"), batch)?;
    let mut cmd = Command::new(&w.station_bin);
    cmd.current_dir(&dir)
        .args(["--batch", "batch.csv", "--journal", "journal.sqlite"])
        .args(["--number-prefix", "KG", "--out", "faces", "--lang", "ru"])
        .args(["--signer-key", "signer.key.pem"])
        .args(["--personalization-key", "perso.key.pem"])
        .args(["--trust-list", "trust.list", "--root-key", "root.pub.pem"])
        .args(["--reader", &w.sandbox.reader_name(0), "--wait", "20"])
        .args(["--at", &stay_std::clock::format_rfc3339(w.fixture.now)]);
    let mut station = StationRun::launch(cmd)?;
    station.expect("строка 3: пропущена: pin: должно быть ровно 14 цифр, получено «123»")?;
    station.expect("прочитано заявлений: 1")?;
    station.expect("вставьте чистую карту для WORKER Number 1")?;
    let image = blank(w, "russian-1", 1)?;
    let card = w.insert_card(0, &image, Interface::Contact)?;
    station.expect("выдан KG0000001 для WORKER Number 1")?;
    drop(card);
    use std::io::Read;
    let mut out = String::new();
    station
        .child
        .stdout
        .take()
        .expect("piped")
        .read_to_string(&mut out)?;
    let status = station.child.wait()?;
    // A bad row: exit 1, though the card was issued.
    ensure!(status.code() == Some(1), "{status}: {out}");
    ensure!(
        out.contains("выдано 1, испорчено 0, ошибок 0, ошибочных строк 1, ещё ждут 0"),
        "{out}"
    );
    ensure!(
        out.contains("строка 3: pin: должно быть ровно 14 цифр, получено «123»"),
        "{out}"
    );
    ensure!(out.contains("(время Бишкека, UTC+6)"), "{out}");
    ensure!(out.contains("завершено 20"), "{out}");
    ensure!(out.contains("QR-коды лицевых сторон в faces"), "{out}");
    ensure!(!out.contains("issued"), "no English line: {out}");
    Ok(())
}

const CHECKS: &[(&str, SandboxCheck)] = &[
    (
        "prompts_and_summary_in_russian",
        prompts_and_summary_in_russian,
    ),
    (
        "pcscd_killed_mid_personalization",
        pcscd_killed_mid_personalization,
    ),
    ("batch_of_twenty", batch_of_twenty),
    ("killed_at_every_step", killed_at_every_step),
    ("through_the_signing_service", through_the_signing_service),
];

fn main() -> ExitCode {
    run_checks("station", CHECKS)
}
