//! `reader-host serve` end to end, in the private PC/SC sandbox: simulated cards come and go
//! while the daemon runs; verdicts arrive over its event stream (SSE) and in its audit log;
//! pcscd restarts underneath; the trust list refreshes from a real HTTP server.
//!
//! A plain `main` (harness = false), like `pcsc.rs`: it re-runs itself inside the sandbox.

use std::io::{BufRead, BufReader};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, ExitCode, Stdio};
use std::time::{Duration, SystemTime};

use anyhow::{bail, ensure, Context, Result};
use card_applet_sim::{CardImage, Interface};
use issuer::KeyPair;
use serde_json::Value;
use stay_tests::card::InProcessCard;
use stay_tests::pcsc_world::{run_checks, Daemon, SandboxCheck, World};

fn status_of(event: &Value) -> (String, String) {
    (
        event["verdict"]["status"]
            .as_str()
            .unwrap_or("?")
            .to_string(),
        event["verdict"]["reason"]
            .as_str()
            .unwrap_or("-")
            .to_string(),
    )
}

/// The next verdict on a chip card, once its portrait came too (the card stays in its
/// reader until then: pulled earlier, the verdict is published again as
/// `portrait-not-read`).
fn chip_verdict(daemon: &Daemon) -> Result<Value> {
    let verdict = daemon.next("verdict")?;
    if verdict["verdict"]["portrait"] == "pending" {
        let portrait = daemon.next("portrait")?;
        ensure!(portrait["verdict_id"] == verdict["id"], "{portrait}");
    }
    Ok(verdict)
}

fn card_image(w: &World, name: &str, number: &str) -> Result<PathBuf> {
    let mut holder = w.fixture.holder();
    holder.document_number = number.into();
    let card = InProcessCard::personalized_for(&w.fixture, &holder);
    w.image(name, card.image())
}

/// Cards presented one after the other: genuine, revoked, cloned, foreign, pulled out
/// mid-read, genuine again; the verdicts on the stream and in the audit log.
fn cards_come_and_go(w: &mut World) -> Result<()> {
    let daemon = Daemon::start(w, "desk", "")?;
    let genuine = card_image(w, "genuine", "RC0000001")?;
    let revoked = card_image(w, "revoked", "RC0000099")?;
    let mut clone = CardImage::read(&genuine)?;
    clone.chip_private_key = Some(*b"another chip key, 32 bytes long!");
    let clone = w.image("clone", &clone)?;

    let expect = |image: &Path, slot, args: &[&str], status: &str, reason: &str| -> Result<()> {
        daemon.give_can()?;
        let card = w.insert_with(slot, image, Interface::Contact, args)?;
        let event = chip_verdict(&daemon)?;
        ensure!(
            status_of(&event) == (status.into(), reason.into()),
            "{}: {event}",
            image.display()
        );
        ensure!(event["source"] == format!("reader:{}", card.reader.to_string_lossy()));
        Ok(())
    };
    // A card that arrives before its CAN waits for it, then is read.
    let card = w.insert_card(0, &genuine, Interface::Contact)?;
    let asked = daemon.next("can-needed")?;
    ensure!(asked["source"] == format!("reader:{}", card.reader.to_string_lossy()));
    daemon.give_can()?;
    let event = chip_verdict(&daemon)?;
    ensure!(status_of(&event) == ("valid".into(), "-".into()), "{event}");
    drop(card);
    // A wrong CAN: said so, no verdict; the card waits for the right one.
    let card = w.insert_card(0, &genuine, Interface::Contact)?;
    daemon.next("can-needed")?;
    daemon
        .request("POST", "api/can")
        .set("Content-Type", "application/json")
        .send_string(r#"{"can": "000000"}"#)?;
    daemon.next("wrong-can")?;
    daemon.give_can()?;
    ensure!(status_of(&chip_verdict(&daemon)?).0 == "valid");
    drop(card);
    // Two cards wait: a typed CAN goes to neither (nobody can say which face it was read
    // from) until one leaves; then the one left is read with it.
    let first = w.insert_card(0, &genuine, Interface::Contact)?;
    daemon.next("can-needed")?;
    let second = w.insert_card(1, &genuine, Interface::Contact)?;
    daemon.next("can-needed")?;
    daemon.give_can()?;
    let told = daemon.next("can-needed")?;
    ensure!(
        told["message"]
            .as_str()
            .is_some_and(|m| m.contains("several cards")),
        "{told}"
    );
    drop(second);
    let event = chip_verdict(&daemon)?;
    ensure!(
        status_of(&event).0 == "valid"
            && event["source"] == format!("reader:{}", first.reader.to_string_lossy()),
        "{event}"
    );
    drop(first);
    // Not a CAN, or not JSON: refused before anything.
    for (content_type, body, code) in [
        ("application/json", r#"{"can": "12345"}"#, 422),
        ("text/plain", r#"{"can": "314159"}"#, 415),
        ("application/json", "314159", 400),
    ] {
        match daemon
            .request("POST", "api/can")
            .set("Content-Type", content_type)
            .send_string(body)
        {
            Err(ureq::Error::Status(got, _)) if got == code => {}
            other => bail!("{content_type} {body}: {:?}", other.map(|r| r.status())),
        }
    }
    expect(&genuine, 0, &[], "valid", "-")?;
    // Without extended length the desk reads the record in short pieces.
    expect(&genuine, 1, &["--short-only"], "valid", "-")?;
    expect(&revoked, 1, &[], "invalid", "document-revoked")?;
    expect(&clone, 0, &[], "invalid", "chip-proof-failed")?;

    daemon.give_can()?;
    let foreign = w.insert_with(1, &genuine, Interface::Contact, &["--payment-only"])?;
    let event = daemon.next("not-a-resident-card")?;
    ensure!(event["source"] == format!("reader:{}", foreign.reader.to_string_lossy()));
    drop(foreign);

    // Pulled out after SELECT: the READ BINARY finds no card. No verdict, ever.
    daemon.give_can()?;
    let card = w.insert_with(0, &genuine, Interface::Contact, &["--pull-after", "1"])?;
    daemon.next("card-removed")?;
    drop(card);
    // The desk carries on.
    expect(&genuine, 0, &[], "valid", "-")?;

    // The same card's QR code, shown after its chip: the desk says they match; another
    // document's code does not.
    let qr_of = |image: &Path| -> Result<Vec<u8>> {
        let record = CardImage::read(image)?.record.context("personalized")?;
        let mut png = Vec::new();
        issuer::qr::png(&record)?
            .write_to(&mut std::io::Cursor::new(&mut png), image::ImageFormat::Png)?;
        Ok(png)
    };
    let post_image = |png: &[u8]| -> Result<Value> {
        Ok(daemon
            .request("POST", "api/verify")
            .set("Content-Type", "image/png")
            .send_bytes(png)?
            .into_json()?)
    };
    // Printed, a chip card's record is never valid on its own: read the chip.
    let same = post_image(&qr_of(&genuine)?)?;
    ensure!(
        status_of(&same).0 == "indeterminate"
            && same["verdict"]["reason"] == "chip-not-read"
            && same["verdict"]["decision"] == "read-the-chip"
            && same["qr_matches_chip"] == true
            && same["source"] == "api",
        "{same}"
    );
    daemon.next("verdict")?;
    let other = post_image(&qr_of(&revoked)?)?;
    ensure!(other["qr_matches_chip"] == false, "{other}");
    daemon.next("verdict")?;
    // Refused before any verdict: no code in the image, an oversized body.
    match post_image(b"not an image") {
        Err(e) => ensure!(
            matches!(
                &e.downcast_ref::<ureq::Error>(),
                Some(ureq::Error::Status(422, _))
            ),
            "{e}"
        ),
        Ok(v) => bail!("garbage verified: {v}"),
    }
    // One byte over the limit: refused with 413. (Far more than the limit would see the
    // connection close under a client still sending.)
    let oversized = vec![0u8; reader_host::http::MAX_BODY + 1];
    match daemon
        .request("POST", "api/verify")
        .set("Content-Type", "image/png")
        .send_bytes(&oversized)
    {
        Err(ureq::Error::Status(413, _)) => {}
        other => bail!("an oversized body: {:?}", other.map(|r| r.status())),
    }

    let rows = daemon.audit(w, &[])?;
    let statuses: Vec<&str> = rows.iter().map(|r| r["status"].as_str().unwrap()).collect();
    ensure!(
        statuses
            == [
                "invalid",
                "indeterminate",
                "valid",
                "invalid",
                "invalid",
                "valid",
                "valid",
                "valid",
                "valid",
                "valid"
            ],
        "{rows:?}"
    );
    ensure!(
        rows.iter().all(|r| r.to_string().find("RC00000").is_none()),
        "a document number reached the audit log"
    );
    let of_one = daemon.audit(w, &["--document", "RC0000001"])?;
    ensure!(
        of_one.len() == 8,
        "genuine six times, its clone and its QR code: {of_one:?}"
    );
    let status = daemon.get("api/status")?;
    ensure!(
        status["verdicts"] == 10 && status["audit"]["dropped"] == 0,
        "{status}"
    );
    Ok(())
}

/// pcscd killed and started again under the running daemon: it says so, recovers by
/// itself, and the next card gets its verdict.
fn pcscd_restart(w: &mut World) -> Result<()> {
    let daemon = Daemon::start(w, "restart", "")?;
    let genuine = card_image(w, "restart-card", "RC0000001")?;
    w.sandbox.restart_pcscd()?;
    daemon.next("pcscd-lost")?;
    daemon.next("pcscd-back")?;
    // Our own context belongs to the old pcscd too.
    w.reconnect()?;
    daemon.give_can()?;
    let card = w.insert_card(0, &genuine, Interface::Contact)?;
    let event = chip_verdict(&daemon)?;
    ensure!(status_of(&event).0 == "valid", "{event}");
    drop(card);
    Ok(())
}

/// The vpcd card leaves (its slot's connection closed, as a card pulled out or a reader
/// unplugged) after each APDU of the border check in turn: no verdict until the card has
/// answered all nine; then pcscd is killed while the card holds each APDU in turn: no
/// verdict, pcscd's loss and return are reported, and the card, read again, is valid.
fn pulled_and_pcscd_killed_at_every_apdu(w: &mut World) -> Result<()> {
    let daemon = Daemon::start(w, "faults-desk", "")?;
    let genuine = card_image(w, "faults-card", "RC0000001")?;
    // PACE-CAM's seven, then SELECT and READ BINARY under secure messaging.
    const APDUS: u64 = 9;
    for answered in 1..APDUS {
        daemon.give_can()?;
        let card = w
            .insert_with(
                0,
                &genuine,
                Interface::Contact,
                &["--pull-after", &answered.to_string()],
            )
            .with_context(|| format!("inserting, to pull after {answered}"))?;
        // `next` fails on any verdict before the removal.
        daemon
            .next("card-removed")
            .with_context(|| format!("pulled after {answered} APDUs"))?;
        drop(card);
    }
    daemon.give_can()?;
    let card = w
        .insert_with(
            0,
            &genuine,
            Interface::Contact,
            &["--pull-after", &APDUS.to_string()],
        )
        .context("inserting, to pull after all")?;
    let event = daemon.next("verdict")?;
    ensure!(status_of(&event).0 == "valid", "all answered: {event}");
    // Pulled as the portrait is asked for: the verdict again, and no longer valid.
    let event = daemon.next("verdict")?;
    ensure!(
        status_of(&event) == ("indeterminate".into(), "portrait-not-read".into()),
        "pulled before the portrait: {event}"
    );
    drop(card);
    daemon.give_can()?;
    let card = w
        .insert_with(
            0,
            &genuine,
            Interface::Contact,
            &["--pull-after", &(APDUS + 1).to_string()],
        )
        .context("inserting, to pull after the portrait")?;
    let event = chip_verdict(&daemon)?;
    ensure!(status_of(&event).0 == "valid", "portrait read too: {event}");
    drop(card);

    for held_at in 0..APDUS {
        let marker = w.dir.join(format!("held-at-{held_at}"));
        daemon.give_can()?;
        let card = w
            .insert_with(
                0,
                &genuine,
                Interface::Contact,
                &[
                    "--hold-after",
                    &held_at.to_string(),
                    &marker.to_string_lossy(),
                ],
            )
            .with_context(|| format!("inserting, to hold at {held_at}"))?;
        let deadline = std::time::Instant::now() + Duration::from_secs(20);
        while !marker.exists() {
            ensure!(
                std::time::Instant::now() < deadline,
                "the daemon never reached APDU {held_at}"
            );
            std::thread::sleep(Duration::from_millis(20));
        }
        w.sandbox.restart_pcscd()?;
        daemon
            .next("pcscd-lost")
            .with_context(|| format!("pcscd killed at APDU {held_at}"))?;
        daemon.next("pcscd-back")?;
        w.reconnect()?;
        // The card, still in its reader, is read afresh by the new pcscd: it asks for its
        // CAN again.
        daemon.next("can-needed")?;
        daemon.give_can()?;
        let event = chip_verdict(&daemon)?;
        ensure!(
            status_of(&event).0 == "valid",
            "after pcscd was killed at APDU {held_at}: {event}"
        );
        drop(card);
    }
    Ok(())
}

/// A real HTTP server (Python's http.server) serving the list: a newer list is taken, a
/// repeat is 304, an older sequence, a bad signature and a truncated file are refused and
/// the last good list kept, and a restarted daemon starts from the cached list.
fn trust_list_refresh(w: &mut World) -> Result<()> {
    let site = w.dir.join("site");
    std::fs::create_dir_all(&site)?;
    let mut server = Command::new("/usr/bin/python3")
        .args([
            "-m",
            "http.server",
            "8000",
            "--bind",
            "127.0.0.1",
            "--directory",
        ])
        .arg(&site)
        .stdout(Stdio::piped())
        .stderr(Stdio::null())
        .spawn()?;
    // http.server prints "Serving HTTP on ..." once it listens.
    let mut banner = String::new();
    BufReader::new(server.stdout.take().expect("piped")).read_line(&mut banner)?;
    ensure!(banner.contains("Serving HTTP"), "http.server: {banner:?}");
    let result = (|| {
        let daemon = Daemon::start(w, "refresh", "[cards]\nenabled = false\n")?;
        let config = w.dir.join("refresh/reader-host.toml");
        let text = std::fs::read_to_string(&config)?;
        std::fs::write(
            &config,
            text.replace(
                "[trust_list]\n",
                "[trust_list]\nurl = \"http://127.0.0.1:8000/trust.list\"\nrefresh_seconds = 3600\n",
            ),
        )?;
        drop(daemon);
        let daemon = Daemon::run(w, &w.dir.join("refresh"))?;
        let first = daemon.next("trust-list")?;
        ensure!(
            first["message"].as_str().unwrap_or("").contains("failed"),
            "no list yet: {first}"
        );

        let mut minute = 0;
        let mut publish = |bytes: &[u8]| -> Result<()> {
            let path = site.join("trust.list");
            std::fs::write(&path, bytes)?;
            minute += 1;
            // Distinct modification times, so If-Modified-Since tells versions apart.
            let at = SystemTime::UNIX_EPOCH + Duration::from_secs(1_790_000_000 + minute * 60);
            std::fs::File::options()
                .write(true)
                .open(&path)?
                .set_modified(at)?;
            Ok(())
        };
        let sealed = |sequence: u64, key: &KeyPair| -> Result<Vec<u8>> {
            let mut spec = w.fixture.list_spec(vec!["RC0000099".into()]);
            spec.sequence = sequence;
            spec.seal(key)
        };
        let root = &w.fixture.root;
        let sequence = |d: &Daemon| -> Result<u64> {
            Ok(d.get("api/status")?["trust_list"]["sequence"]
                .as_u64()
                .unwrap_or(0))
        };

        publish(&sealed(8, root)?)?;
        let outcome = daemon.post("api/trust-list/refresh")?;
        ensure!(
            outcome["result"] == "updated" && sequence(&daemon)? == 8,
            "{outcome}"
        );
        let outcome = daemon.post("api/trust-list/refresh")?;
        ensure!(outcome["result"] == "not-modified", "{outcome}");

        let good = std::fs::read(w.dir.join("refresh/data/trust.list"))?;
        for (what, bytes) in [
            ("older sequence", sealed(6, root)?),
            (
                "bad signature",
                sealed(9, &KeyPair::from_seed("not the root"))?,
            ),
            ("truncated", {
                let full = sealed(9, root)?;
                full[..full.len() - 40].to_vec()
            }),
        ] {
            publish(&bytes)?;
            let outcome = daemon.post("api/trust-list/refresh")?;
            ensure!(outcome["result"] == "refused", "{what}: {outcome}");
            let status = daemon.get("api/status")?;
            ensure!(
                status["trust_list"]["sequence"] == 8
                    && status["trust_list"]["last_refresh"]["result"] == "refused",
                "{what}: {status}"
            );
            ensure!(
                std::fs::read(w.dir.join("refresh/data/trust.list"))? == good,
                "{what}: the cached list changed"
            );
        }
        drop(daemon);
        // Restarted with no server: the cached list (8), not the seed (7).
        let _ = server.kill();
        let daemon = Daemon::run(w, &w.dir.join("refresh"))?;
        ensure!(sequence(&daemon)? == 8, "restart lost the cached list");
        Ok(())
    })();
    let _ = server.kill();
    let _ = server.wait();
    result
}

/// A WebDriver session on headless Chromium (Debian's chromium and chromium-driver).
struct Browser {
    driver: Child,
    session: String,
}

const WEBDRIVER: &str = "http://127.0.0.1:9515";
const ELEMENT: &str = "element-6066-11e4-a52e-4f735466cecf";

impl Browser {
    fn start(profile: &Path) -> Result<Browser> {
        let mut driver = Command::new("chromedriver")
            .arg("--port=9515")
            .stdout(Stdio::piped())
            .stderr(Stdio::null())
            .spawn()
            .context("cannot run chromedriver (Debian package chromium-driver)")?;
        // chromedriver says when it listens.
        let mut out = BufReader::new(driver.stdout.take().expect("piped"));
        let mut line = String::new();
        while !line.contains("started successfully") {
            line.clear();
            ensure!(
                out.read_line(&mut line)? > 0,
                "chromedriver ended before it listened"
            );
        }
        std::thread::spawn(move || std::io::copy(&mut out, &mut std::io::sink()));
        let capabilities = serde_json::json!({"capabilities": {"alwaysMatch": {
            "browserName": "chrome",
            "goog:chromeOptions": {
                "binary": "/usr/bin/chromium",
                "args": ["--headless=new", "--no-sandbox", "--disable-gpu", "--disable-dev-shm-usage",
                         "--no-first-run", "--disable-background-networking",
                         "--disable-component-update", "--disable-sync", "--window-size=1280,800",
                         // A rebinding attacker's name, resolving to the desk.
                         "--host-resolver-rules=MAP evil.example 127.0.0.1",
                         format!("--user-data-dir={}", profile.display())]
            }
        }}});
        let created: Value = ureq::post(&format!("{WEBDRIVER}/session"))
            .send_json(capabilities)?
            .into_json()?;
        let session = created["value"]["sessionId"]
            .as_str()
            .with_context(|| format!("no WebDriver session: {created}"))?
            .to_string();
        Ok(Browser { driver, session })
    }

    fn command(&self, path: &str, body: Value) -> Result<Value> {
        let url = format!("{WEBDRIVER}/session/{}/{path}", self.session);
        let answer: Value = ureq::post(&url).send_json(body)?.into_json()?;
        Ok(answer["value"].clone())
    }

    fn get(&self, path: &str) -> Result<Value> {
        let url = format!("{WEBDRIVER}/session/{}/{path}", self.session);
        let answer: Value = ureq::get(&url).call()?.into_json()?;
        Ok(answer["value"].clone())
    }

    fn text(&self, css: &str) -> Result<String> {
        let element = self.command(
            "element",
            serde_json::json!({"using": "css selector", "value": css}),
        )?;
        let id = element[ELEMENT]
            .as_str()
            .with_context(|| format!("no {css}: {element}"))?;
        Ok(self
            .get(&format!("element/{id}/text"))?
            .as_str()
            .unwrap_or_default()
            .to_string())
    }

    /// Types `can` in the kiosk's CAN field once it shows, and submits it.
    fn type_can(&self, can: &str) -> Result<()> {
        let deadline = std::time::Instant::now() + Duration::from_secs(20);
        let form = loop {
            let form = self.command(
                "element",
                serde_json::json!({"using": "css selector", "value": "#can-form"}),
            )?;
            let id = form[ELEMENT].as_str().context("no #can-form")?.to_string();
            if self.get(&format!("element/{id}/displayed"))? == true {
                break id;
            }
            ensure!(
                std::time::Instant::now() < deadline,
                "the CAN field never showed"
            );
            std::thread::sleep(Duration::from_millis(100));
        };
        let _ = form;
        let input = self.command(
            "element",
            serde_json::json!({"using": "css selector", "value": "#can"}),
        )?;
        let input = input[ELEMENT].as_str().context("no #can")?.to_string();
        self.command(
            &format!("element/{input}/value"),
            serde_json::json!({"text": can}),
        )?;
        let button = self.command(
            "element",
            serde_json::json!({"using": "css selector", "value": "#can-form button"}),
        )?;
        let button = button[ELEMENT].as_str().context("no button")?.to_string();
        self.command(&format!("element/{button}/click"), serde_json::json!({}))?;
        Ok(())
    }

    /// Waits until the kiosk shows `status` (the page updates itself through SSE).
    fn wait_for_status(&self, status: &str) -> Result<()> {
        let element = self.command(
            "element",
            serde_json::json!({"using": "css selector", "value": "#verdict"}),
        )?;
        let id = element[ELEMENT]
            .as_str()
            .context("no #verdict")?
            .to_string();
        let deadline = std::time::Instant::now() + Duration::from_secs(20);
        loop {
            let shown = self.get(&format!("element/{id}/attribute/data-status"))?;
            if shown == status {
                return Ok(());
            }
            ensure!(
                std::time::Instant::now() < deadline,
                "the kiosk still shows {shown}, not {status}"
            );
            // The DOM has no event a WebDriver client can wait on: look again shortly.
            std::thread::sleep(Duration::from_millis(100));
        }
    }

    /// Runs `script` in the page (WebDriver's synchronous execute) and returns its value.
    fn execute(&self, script: &str, args: Value) -> Result<Value> {
        self.command(
            "execute/sync",
            serde_json::json!({"script": script, "args": args}),
        )
    }

    /// Polls `script` until it returns `true` (20 s at most).
    fn wait_until(&self, what: &str, script: &str, args: Value) -> Result<()> {
        let deadline = std::time::Instant::now() + Duration::from_secs(20);
        while self.execute(script, args.clone())? != true {
            ensure!(std::time::Instant::now() < deadline, "never {what}");
            std::thread::sleep(Duration::from_millis(100));
        }
        Ok(())
    }

    /// axe-core's violations on the page as it is now (the engine injected into the real
    /// Chromium from npm's `axe-core`).
    fn axe_violations(&self, axe: &str) -> Result<Vec<String>> {
        if self.execute("return typeof axe === 'undefined';", serde_json::json!([]))? == true {
            self.execute(axe, serde_json::json!([]))?;
        }
        let found = self.command(
            "execute/async",
            serde_json::json!({
                "script": "const done = arguments[arguments.length - 1];
                    axe.run(document, {resultTypes: ['violations']}).then(
                      (r) => done(r.violations.map((v) => v.id + ': ' +
                        v.nodes.map((n) => n.target.join(' ')).join(', '))),
                      (e) => done(['axe failed: ' + e]));",
                "args": []
            }),
        )?;
        Ok(found
            .as_array()
            .context("axe's answer")?
            .iter()
            .map(|v| v.as_str().unwrap_or_default().to_string())
            .collect())
    }

    fn screenshot(&self, path: &Path) -> Result<()> {
        use base64::Engine;
        let png = self.get("screenshot")?;
        let bytes =
            base64::engine::general_purpose::STANDARD.decode(png.as_str().unwrap_or_default())?;
        std::fs::write(path, bytes)?;
        Ok(())
    }
}

impl Drop for Browser {
    fn drop(&mut self) {
        let _ = ureq::delete(&format!("{WEBDRIVER}/session/{}", self.session)).call();
        let _ = self.driver.kill();
        let _ = self.driver.wait();
    }
}

/// The kiosk page in headless Chromium: a card presented through the sandbox turns it
/// green, a revoked one red with its reason, live through the event stream.
fn kiosk_in_chromium(w: &mut World) -> Result<()> {
    let daemon = Daemon::start(w, "kiosk", "language = \"en\"")?;
    let genuine = card_image(w, "kiosk-genuine", "RC0000001")?;
    let revoked = card_image(w, "kiosk-revoked", "RC0000099")?;
    let browser = Browser::start(&w.dir.join("chromium-profile"))?;
    browser.command("url", serde_json::json!({"url": daemon.kiosk_url()}))?;
    browser.wait_for_status("waiting")?;
    browser.wait_until(
        "the page in English, waiting",
        "return document.documentElement.lang === 'en' && document.getElementById('status').textContent === 'PRESENT A CARD';",
        serde_json::json!([]),
    )?;
    // The token left the address bar for the tab's storage; the rehearsal clock is said.
    let deadline = std::time::Instant::now() + Duration::from_secs(10);
    while !browser.text("#clock")?.starts_with("REHEARSAL") {
        ensure!(
            std::time::Instant::now() < deadline,
            "no fixed-time banner: {:?}",
            browser.text("#clock")?
        );
        std::thread::sleep(Duration::from_millis(100));
    }

    // The card first: the kiosk asks for the CAN; the guard types it in the field.
    let card = w.insert_card(0, &genuine, Interface::Contact)?;
    daemon.next("can-needed")?;
    browser.type_can("314159")?;
    daemon.next("can-ready")?;
    chip_verdict(&daemon)?;
    browser.wait_for_status("valid")?;
    ensure!(browser.text("#status")? == "VALID");
    ensure!(
        browser.text("#fields")?.contains("SMIRNOVA"),
        "fields: {}",
        browser.text("#fields")?
    );
    let shots = PathBuf::from(env!("CARGO_TARGET_TMPDIR"));
    browser.screenshot(&shots.join("kiosk-valid.png"))?;
    drop(card);

    daemon.give_can()?;
    let card = w.insert_card(1, &revoked, Interface::Contact)?;
    chip_verdict(&daemon)?;
    browser.wait_for_status("invalid")?;
    ensure!(browser.text("#status")? == "INVALID");
    ensure!(
        browser.text("#reason")?.contains("document-revoked"),
        "{}",
        browser.text("#reason")?
    );
    browser.screenshot(&shots.join("kiosk-invalid.png"))?;
    drop(card);

    // A chip card's face QR, posted by the desk's own program: READ THE CHIP, never green.
    let record = CardImage::read(&genuine)?.record.context("personalized")?;
    let mut png = Vec::new();
    issuer::qr::png(&record)?
        .write_to(&mut std::io::Cursor::new(&mut png), image::ImageFormat::Png)?;
    daemon
        .request("POST", "api/verify")
        .set("Content-Type", "image/png")
        .send_bytes(&png)?;
    daemon.next("verdict")?;
    browser.wait_for_status("indeterminate")?;
    ensure!(browser.text("#status")? == "READ THE CHIP");
    ensure!(
        browser.text("#presentation")?.starts_with("PRINTED COPY"),
        "{}",
        browser.text("#presentation")?
    );
    browser.screenshot(&shots.join("kiosk-read-the-chip.png"))?;

    // The token is in no address bar.
    let address = browser.get("url")?;
    ensure!(
        !address.as_str().unwrap_or_default().contains("token"),
        "{address}"
    );
    // A page at a rebound name gets the refusal, not the kiosk; a script there that posts
    // no-cors to the desk injects nothing.
    let port = daemon
        .url
        .trim_end_matches('/')
        .rsplit(':')
        .next()
        .unwrap_or_default();
    browser.command(
        "url",
        serde_json::json!({"url": format!("http://evil.example:{port}/")}),
    )?;
    let body = browser.text("body")?;
    ensure!(
        body.contains("own host name") && !body.contains("PRESENT A CARD"),
        "{body}"
    );
    let before = daemon.get("api/status")?["verdicts"].clone();
    browser.command(
        "execute/async",
        serde_json::json!({
            "script": "const done = arguments[arguments.length - 1];
                fetch(arguments[0], {method: 'POST', mode: 'no-cors',
                    headers: {'Content-Type': 'text/plain'}, body: arguments[1]})
                  .then(() => done('sent'), (e) => done(String(e)));",
            "args": [format!("{}api/verify", daemon.url), hex::encode(&record)]
        }),
    )?;
    std::thread::sleep(Duration::from_millis(500));
    ensure!(
        daemon.get("api/status")?["verdicts"] == before,
        "a verdict was injected"
    );
    Ok(())
}

/// A card personalized with a face-like portrait (a real JPEG, as the station writes it).
fn face_card_image(w: &World, name: &str, number: &str) -> Result<PathBuf> {
    let mut holder = w.fixture.holder();
    holder.document_number = number.into();
    let face = issuer::portrait::sample(number);
    let mut card = InProcessCard::blank();
    stay_tests::card::personalize_with(
        &mut card,
        |chip| stay_tests::card::record_for_chip(&w.fixture, &holder, chip, &face),
        Some(&face),
    )?;
    w.image(name, card.image())
}

/// Every outcome of the kiosk in each language, through the real pcscd and the real
/// Chromium: the word (from the language's messages), the colour (the class) and the shape
/// (an SVG) on the DOM; the chip's portrait shown, decoded, for chip cards; axe-core finds
/// no violation in any state; the page fits a 1280x800 desk screen and a 768 px tablet
/// without scrolling sideways. Screenshots go to `STAY_KIOSK_SHOTS` (docs/images/kiosk
/// holds the committed ones) or the test's temporary folder.
fn kiosk_screens(w: &mut World) -> Result<()> {
    use stay_std::messages::{messages, Language};
    let axe_path = Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("../target/npm/node_modules/axe-core/axe.min.js");
    let axe = std::fs::read_to_string(&axe_path).with_context(|| {
        format!(
            "{}: `cargo xtask setup` installs axe-core",
            axe_path.display()
        )
    })?;
    let shots = std::env::var_os("STAY_KIOSK_SHOTS").map_or_else(
        || PathBuf::from(env!("CARGO_TARGET_TMPDIR")).join("kiosk"),
        PathBuf::from,
    );
    std::fs::create_dir_all(&shots)?;
    let daemon = Daemon::start(w, "kiosk-screens", "")?;
    let genuine = face_card_image(w, "screens-genuine", "RC0000001")?;
    let revoked = face_card_image(w, "screens-revoked", "RC0000099")?;
    let browser = Browser::start(&w.dir.join("chromium-screens"))?;
    browser.command("url", serde_json::json!({"url": daemon.kiosk_url()}))?;
    // The window's size so that the page itself has the screen's pixels.
    let viewport = |width: i64, height: i64| -> Result<()> {
        browser.command(
            "window/rect",
            serde_json::json!({"width": width, "height": height}),
        )?;
        let inner = browser.execute(
            "return [window.innerWidth, window.innerHeight];",
            serde_json::json!([]),
        )?;
        let (w0, h0) = (
            inner[0].as_i64().unwrap_or(width),
            inner[1].as_i64().unwrap_or(height),
        );
        browser.command(
            "window/rect",
            serde_json::json!({"width": 2 * width - w0, "height": 2 * height - h0}),
        )?;
        Ok(())
    };
    viewport(1280, 800)?;
    browser.wait_for_status("waiting")?;
    // The desk's default language (ky unless its config says otherwise).
    browser.wait_until(
        "the page in Kyrgyz",
        "return document.documentElement.lang === 'ky' && document.getElementById('status').textContent === arguments[0];",
        serde_json::json!([messages(Language::Kyrgyz).text("outcome-waiting")]),
    )?;

    let portrait_shown = "const img = document.getElementById('portrait-img');
        return document.getElementById('portrait').dataset.state === 'shown' && !img.hidden
          && img.complete && img.naturalWidth === 240 && img.naturalHeight === 320;";
    let mut shown = Vec::new();
    let mut screens = |outcome: &str, chip_portrait: bool| -> Result<()> {
        for language in Language::ALL {
            let m = messages(language);
            browser.execute(
                "document.querySelector(`#languages [data-language=\"${arguments[0]}\"]`).click();",
                serde_json::json!([language.code()]),
            )?;
            browser.wait_until(
                &format!("{outcome} in {}", language.code()),
                "return document.documentElement.lang === arguments[0]
                    && document.getElementById('status').textContent === arguments[1]
                    && document.getElementById('verdict').classList.contains(arguments[2])
                    && document.querySelector('#shape svg') !== null;",
                serde_json::json!([
                    language.code(),
                    m.text(&format!("outcome-{outcome}")),
                    outcome
                ]),
            )?;
            if chip_portrait {
                browser.wait_until(
                    "the portrait decoded",
                    portrait_shown,
                    serde_json::json!([]),
                )?;
                let caption = browser.text("#portrait-caption")?;
                ensure!(caption == m.text("portrait-matches"), "{caption}");
            } else {
                let img_hidden = browser.execute(
                    "return document.getElementById('portrait-img').hidden;",
                    serde_json::json!([]),
                )?;
                ensure!(img_hidden == true, "{outcome}: a portrait shown");
            }
            let violations = browser.axe_violations(&axe)?;
            ensure!(
                violations.is_empty(),
                "{outcome} in {}: {violations:?}",
                language.code()
            );
            let sideways = browser.execute(
                "return document.documentElement.scrollWidth > window.innerWidth;",
                serde_json::json!([]),
            )?;
            ensure!(
                sideways == false,
                "{outcome} in {}: scrolls sideways",
                language.code()
            );
            let file = shots.join(format!("{outcome}-{}.png", language.code()));
            browser.screenshot(&file)?;
            shown.push(file);
        }
        Ok(())
    };
    screens("waiting", false)?;

    daemon.give_can()?;
    let card = w.insert_card(0, &genuine, Interface::Contact)?;
    daemon.next("verdict")?;
    daemon.next("portrait")?;
    screens("valid", true)?;
    let fields = browser.text("#fields")?;
    ensure!(
        fields.contains("SMIRNOVA") && fields.contains("resident card"),
        "{fields}"
    );
    // The same screen on an upright tablet: the portrait above the data, nothing cut off.
    browser.command(
        "window/rect",
        serde_json::json!({"width": 768, "height": 1024}),
    )?;
    browser.wait_until("the tablet layout", portrait_shown, serde_json::json!([]))?;
    let stacked = browser.execute(
        "const p = document.getElementById('portrait').getBoundingClientRect();
         const d = document.getElementById('details').getBoundingClientRect();
         return d.top >= p.bottom && document.documentElement.scrollWidth <= window.innerWidth;",
        serde_json::json!([]),
    )?;
    ensure!(stacked == true, "the tablet layout does not stack");
    let violations = browser.axe_violations(&axe)?;
    ensure!(violations.is_empty(), "tablet: {violations:?}");
    browser.screenshot(&shots.join("valid-ky-768.png"))?;
    viewport(1280, 800)?;
    drop(card);

    daemon.give_can()?;
    let card = w.insert_card(1, &revoked, Interface::Contact)?;
    daemon.next("verdict")?;
    daemon.next("portrait")?;
    screens("invalid", true)?;
    let reason = browser.text("#reason")?;
    ensure!(reason.contains("document-revoked"), "{reason}");
    drop(card);

    // A record from a key this desk's list does not hold.
    let stranger = KeyPair::from_seed("a signer no list names");
    let holder = w.fixture.holder();
    let application = holder
        .application(&stay_core::Policy::DEFAULT)
        .map_err(|e| anyhow::anyhow!("{e}"))?;
    let record = issuer::seal_record(&application.fields(stranger.key_id()), &stranger);
    daemon.verify_record(&record)?;
    daemon.next("verdict")?;
    screens("indeterminate", false)?;

    let record = CardImage::read(&genuine)?.record.context("personalized")?;
    let mut png = Vec::new();
    issuer::qr::png(&record)?
        .write_to(&mut std::io::Cursor::new(&mut png), image::ImageFormat::Png)?;
    daemon
        .request("POST", "api/verify")
        .set("Content-Type", "image/png")
        .send_bytes(&png)?;
    daemon.next("verdict")?;
    screens("read-the-chip", false)?;

    daemon.give_can()?;
    let card = w.insert_with(0, &genuine, Interface::Contact, &["--pull-after", "1"])?;
    daemon.next("card-removed")?;
    screens("card-removed", false)?;
    drop(card);

    daemon.give_can()?;
    let foreign = w.insert_with(1, &genuine, Interface::Contact, &["--payment-only"])?;
    daemon.next("not-a-resident-card")?;
    screens("not-a-resident-card", false)?;
    drop(foreign);
    ensure!(shown.len() == 7 * 3, "{shown:?}");
    Ok(())
}

/// A folder watched for images: a QR photo written into it, or renamed into it, gets its
/// verdict; an image without a code gets a notice, not a verdict.
fn qr_folder(w: &mut World) -> Result<()> {
    let dir = w.dir.join("folder-desk");
    std::fs::create_dir_all(dir.join("incoming"))?;
    let daemon = Daemon::start(
        w,
        "folder-desk",
        "[cards]\nenabled = false\n\n[qr]\nfolder = \"incoming\"\n",
    )?;
    let genuine = card_image(w, "folder-genuine", "RC0000001")?;
    let record = CardImage::read(&genuine)?.record.context("personalized")?;
    let revoked = card_image(w, "folder-revoked", "RC0000099")?;
    let revoked = CardImage::read(&revoked)?.record.context("personalized")?;

    // A scanned card face is a printed copy of a chip card: read the chip.
    issuer::qr::png(&record)?.save(dir.join("incoming/scan-1.png"))?;
    let event = daemon.next("verdict")?;
    ensure!(
        status_of(&event) == ("indeterminate".into(), "chip-not-read".into())
            && event["verdict"]["decision"] == "read-the-chip"
            && event["source"]
                .as_str()
                .unwrap_or("")
                .ends_with("scan-1.png"),
        "{event}"
    );
    // A scanner that writes elsewhere and renames into the folder.
    issuer::qr::png(&revoked)?.save(dir.join("scan-2.png"))?;
    std::fs::rename(dir.join("scan-2.png"), dir.join("incoming/scan-2.png"))?;
    let event = daemon.next("verdict")?;
    ensure!(
        status_of(&event) == ("invalid".into(), "document-revoked".into()),
        "{event}"
    );
    image::GrayImage::from_pixel(64, 64, image::Luma([255]))
        .save(dir.join("incoming/blank.png"))?;
    daemon.next("qr-unreadable")?;
    // A link renamed into the folder is not followed (it could name any file the desk can
    // read), and a file beyond the upload's size limit is not read.
    std::os::unix::fs::symlink(dir.join("scan-elsewhere.png"), dir.join("link.png"))?;
    issuer::qr::png(&record)?.save(dir.join("scan-elsewhere.png"))?;
    std::fs::rename(dir.join("link.png"), dir.join("incoming/link.png"))?;
    let notice = daemon.next("qr-unreadable")?;
    ensure!(
        notice["message"]
            .as_str()
            .is_some_and(|m| m.contains("not a regular file")),
        "{notice}"
    );
    std::fs::write(
        dir.join("big.png"),
        vec![0u8; reader_host::qr::MAX_IMAGE_BYTES + 1],
    )?;
    std::fs::rename(dir.join("big.png"), dir.join("incoming/big.png"))?;
    let notice = daemon.next("qr-unreadable")?;
    ensure!(
        notice["message"]
            .as_str()
            .is_some_and(|m| m.contains("larger than")),
        "{notice}"
    );
    // A photograph on which rqrr panics (testdata/qr-zxing/qrcode-6/7.png), in the folder
    // and through the API: the built daemon unwinds, contains it, and carries on.
    let photo = Path::new(env!("CARGO_MANIFEST_DIR")).join("../testdata/qr-zxing/qrcode-6/7.png");
    std::fs::copy(&photo, dir.join("incoming/panics-rqrr.png"))?;
    daemon.next("verdict")?;
    let answer: Value = daemon
        .request("POST", "api/verify")
        .set("Content-Type", "image/png")
        .send_bytes(&std::fs::read(&photo)?)?
        .into_json()?;
    ensure!(answer["kind"] == "verdict", "{answer}");
    daemon.next("verdict")?;
    ensure!(daemon.get("api/status")?["role"] == "border");
    Ok(())
}

/// A desk configured with a camera that is not there (unplugged, or a wrong index): the
/// real V4L2 backend fails, the desk says so once and keeps serving, and retries.
fn camera_missing(w: &mut World) -> Result<()> {
    let daemon = Daemon::start(
        w,
        "camera-desk",
        "[cards]\nenabled = false\n\n[qr]\ncamera = 9\n",
    )?;
    // The camera is tried as the daemon starts, before a stream subscriber can be there:
    // look in the recent list.
    let deadline = std::time::Instant::now() + Duration::from_secs(30);
    let event = loop {
        let recent = daemon.get("api/verdicts")?;
        let found = recent.as_array().and_then(|events| {
            events
                .iter()
                .find(|e| e["kind"] == "source-unavailable")
                .cloned()
        });
        match found {
            Some(event) => break event,
            None if std::time::Instant::now() < deadline => {
                std::thread::sleep(Duration::from_millis(100))
            }
            None => bail!("no source-unavailable event; recent: {recent}"),
        }
    };
    ensure!(
        event["source"] == "camera:9"
            && event["message"]
                .as_str()
                .is_some_and(|m| m.contains("camera 9") && m.contains("retrying")),
        "{event}"
    );
    let status = daemon.get("api/status")?;
    ensure!(status["role"] == "border", "{status}");
    Ok(())
}

/// Posts a printed record to the daemon's API; the verdict's status.
fn post_record(daemon: &Daemon, record: &[u8]) -> Result<String> {
    Ok(status_of(&daemon.verify_record(record)?).0)
}

/// Waits (30 s at most) for an event of `kind` in the daemon's recent list: verdicts flow
/// beside it, so the event stream's `next` (which refuses verdicts) is not the way.
fn wait_recent(daemon: &Daemon, kind: &str) -> Result<Value> {
    let deadline = std::time::Instant::now() + Duration::from_secs(30);
    loop {
        let recent = daemon.get("api/verdicts?limit=200")?;
        if let Some(event) = recent
            .as_array()
            .and_then(|events| events.iter().find(|e| e["kind"] == kind))
        {
            return Ok(event.clone());
        }
        ensure!(
            std::time::Instant::now() < deadline,
            "no {kind} event; recent: {recent}"
        );
        std::thread::sleep(Duration::from_millis(100));
    }
}

/// Rows in the audit log, read directly, after SQLite's own integrity check.
fn audit_rows(data_dir: &Path) -> Result<u64> {
    let db = rusqlite::Connection::open(data_dir.join("audit.sqlite"))?;
    let integrity: String = db.query_row("PRAGMA integrity_check", [], |r| r.get(0))?;
    ensure!(integrity == "ok", "audit log damaged: {integrity}");
    Ok(db.query_row("SELECT COUNT(*) FROM verifications", [], |r| r.get(0))?)
}

/// The audit log's disk fills up (a 4 MiB tmpfs as the data directory): verdicts keep
/// coming, the desk says the log cannot be written, the rows wait in memory; once space is
/// freed they are all written, and the desk says so.
fn audit_disk_full(w: &mut World) -> Result<()> {
    let dir = w.dir.join("full-desk");
    std::fs::create_dir_all(dir.join("data"))?;
    let mounted = Command::new("mount")
        .args(["-t", "tmpfs", "-o", "size=4m", "audit-full"])
        .arg(dir.join("data"))
        .status()?;
    ensure!(mounted.success(), "cannot mount a tmpfs in the sandbox");
    let result = (|| {
        let daemon = Daemon::start(w, "full-desk", "[cards]\nenabled = false\n")?;
        let record = w
            .fixture
            .record(&stay_tests::golden::unified_window("UW0000001"));
        ensure!(post_record(&daemon, &record)? == "valid");
        // Fill the disk to the last byte.
        let filler = dir.join("data/filler");
        {
            use std::io::Write;
            let mut file = std::fs::File::create(&filler)?;
            let chunk = vec![0u8; 4096];
            while file.write_all(&chunk).is_ok() {}
            while file.write_all(&chunk[..1]).is_ok() {}
            let _ = file.sync_all();
        }
        const WHILE_FULL: usize = 40;
        for _ in 0..WHILE_FULL {
            ensure!(
                post_record(&daemon, &record)? == "valid",
                "a verdict while the disk is full"
            );
        }
        let failing = wait_recent(&daemon, "audit-failing")?;
        ensure!(
            failing["message"]
                .as_str()
                .is_some_and(|m| m.contains("full")),
            "{failing}"
        );
        let status = daemon.get("api/status")?;
        ensure!(
            status["audit"]["pending"].as_u64() > Some(0)
                && status["audit"]["failed"].as_u64() > Some(0)
                && status["audit"]["dropped"] == 0,
            "{status}"
        );
        // Space again: every row that waited is written.
        std::fs::remove_file(&filler)?;
        wait_recent(&daemon, "audit-back")?;
        let total = 1 + WHILE_FULL as u64;
        let deadline = std::time::Instant::now() + Duration::from_secs(10);
        loop {
            let status = daemon.get("api/status")?;
            if status["audit"]["written"] == total && status["audit"]["pending"] == 0 {
                break;
            }
            ensure!(std::time::Instant::now() < deadline, "{status}");
            std::thread::sleep(Duration::from_millis(100));
        }
        ensure!(audit_rows(&daemon.data_dir)? == total);
        Ok(())
    })();
    let _ = Command::new("umount").arg(dir.join("data")).status();
    result
}

/// The daemon is killed (SIGKILL, as a power cut) while verdicts pour in: the audit log
/// passes SQLite's integrity check, holds at least every row the daemon had reported
/// written, and the daemon starts again on it and goes on counting.
fn audit_killed_mid_write(w: &mut World) -> Result<()> {
    let mut daemon = Daemon::start(w, "killed-desk", "[cards]\nenabled = false\n")?;
    let record = w
        .fixture
        .record(&stay_tests::golden::unified_window("UW0000001"));
    let (url, token) = (daemon.url.clone(), daemon.token.clone());
    let stop = std::sync::Arc::new(std::sync::atomic::AtomicBool::new(false));
    let posters: Vec<_> = (0..2)
        .map(|_| {
            let (url, token, record, stop) =
                (url.clone(), token.clone(), record.clone(), stop.clone());
            std::thread::spawn(move || {
                while !stop.load(std::sync::atomic::Ordering::Relaxed) {
                    let _ = ureq::post(&format!("{url}api/verify"))
                        .timeout(Duration::from_secs(2))
                        .set("Authorization", &format!("Bearer {token}"))
                        .set("Content-Type", reader_host::http::RECORD_TYPE)
                        .send_bytes(&record);
                }
            })
        })
        .collect();
    // Until some hundreds of rows are on disk, then the power goes.
    let mut reported = 0;
    while reported < 300 {
        reported = daemon.get("api/status")?["audit"]["written"]
            .as_u64()
            .unwrap_or(0);
        std::thread::sleep(Duration::from_millis(20));
    }
    daemon.kill()?;
    stop.store(true, std::sync::atomic::Ordering::Relaxed);
    for poster in posters {
        let _ = poster.join();
    }
    let rows = audit_rows(&daemon.data_dir)?;
    ensure!(rows >= reported, "{rows} rows, {reported} reported written");
    drop(daemon);
    let dir = w.dir.join("killed-desk");
    let daemon = Daemon::run(w, &dir)?;
    ensure!(post_record(&daemon, &record)? == "valid");
    let deadline = std::time::Instant::now() + Duration::from_secs(10);
    while audit_rows(&daemon.data_dir)? != rows + 1 {
        ensure!(
            std::time::Instant::now() < deadline,
            "the row after restart"
        );
        std::thread::sleep(Duration::from_millis(50));
    }
    Ok(())
}

/// The chip's portrait comes after the verdict, over the same channel: the signed one is
/// announced and served to the token holder; a card whose portrait file was rewritten gets
/// a second verdict, invalid (portrait-mismatch), and no portrait is served for it.
fn portrait_follows_the_verdict(w: &mut World) -> Result<()> {
    let daemon = Daemon::start(w, "portraits", "")?;
    let genuine = card_image(w, "face-genuine", "RC0000001")?;
    let mut rewritten = CardImage::read(&genuine)?;
    let mut other = stay_tests::card::portrait();
    other[10] ^= 0xFF;
    rewritten.portrait = Some(other);
    let rewritten = w.image("face-rewritten", &rewritten)?;

    daemon.give_can()?;
    let card = w.insert_card(0, &genuine, Interface::Contact)?;
    let verdict = daemon.next("verdict")?;
    ensure!(
        status_of(&verdict) == ("valid".into(), "-".into())
            && verdict["verdict"]["portrait"] == "pending",
        "{verdict}"
    );
    let shown = daemon.next("portrait")?;
    ensure!(shown["verdict_id"] == verdict["id"], "{shown}");
    let path = shown["portrait"].as_str().context("a portrait address")?;
    let response = daemon.request("GET", path.trim_start_matches('/')).call()?;
    ensure!(response.content_type() == "image/jpeg");
    let mut jpeg = Vec::new();
    std::io::Read::read_to_end(&mut response.into_reader(), &mut jpeg)?;
    ensure!(
        jpeg == stay_tests::card::portrait(),
        "served {} bytes",
        jpeg.len()
    );
    // Without the token, no face.
    match ureq::get(&format!("{}{}", daemon.url, path.trim_start_matches('/'))).call() {
        Err(ureq::Error::Status(401, _)) => {}
        other => bail!(
            "a portrait without the token: {:?}",
            other.map(|r| r.status())
        ),
    }
    drop(card);

    daemon.give_can()?;
    let card = w.insert_card(0, &rewritten, Interface::Contact)?;
    let quick = daemon.next("verdict")?;
    ensure!(quick["verdict"]["portrait"] == "pending", "{quick}");
    let amended = daemon.next("verdict")?;
    ensure!(
        status_of(&amended) == ("invalid".into(), "portrait-mismatch".into())
            && amended["verdict"]["decision"] == "may-not-stay"
            && amended["verdict"]["portrait"] == "mismatch",
        "{amended}"
    );
    match daemon
        .request("GET", &format!("api/portraits/{}", quick["id"]))
        .call()
    {
        Err(ureq::Error::Status(404, _)) => {}
        other => bail!(
            "a rewritten portrait served: {:?}",
            other.map(|r| r.status())
        ),
    }
    drop(card);
    let rows = daemon.audit(w, &[])?;
    let reasons: Vec<&str> = rows
        .iter()
        .map(|r| r["reason"].as_str().unwrap_or("-"))
        .collect();
    ensure!(reasons == ["portrait-mismatch", "-", "-"], "{reasons:?}");
    Ok(())
}

const CHECKS: &[(&str, SandboxCheck)] = &[
    ("portrait_follows_the_verdict", portrait_follows_the_verdict),
    ("audit_disk_full", audit_disk_full),
    ("audit_killed_mid_write", audit_killed_mid_write),
    ("camera_missing", camera_missing),
    ("cards_come_and_go", cards_come_and_go),
    ("trust_list_refresh", trust_list_refresh),
    ("pcscd_restart", pcscd_restart),
    (
        "pulled_and_pcscd_killed_at_every_apdu",
        pulled_and_pcscd_killed_at_every_apdu,
    ),
    ("kiosk_in_chromium", kiosk_in_chromium),
    ("kiosk_screens", kiosk_screens),
    ("qr_folder", qr_folder),
];

fn main() -> ExitCode {
    run_checks("daemon", CHECKS)
}
