//! Shared fixtures for the end-to-end tests and benchmarks: a small authority built from
//! fixed seeds, so every test starts from the same keys.

use std::path::PathBuf;

use issuer::{Holder, KeyPair, ListSpec, SignerSpec};
use stay_core::{Date, DocumentType, UnixTime};

/// The repository's `testdata/` folder.
pub fn testdata() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../testdata")
}

pub struct Fixture {
    pub root: KeyPair,
    pub signer: KeyPair,
    pub chip: KeyPair,
    pub now: UnixTime,
}

impl Fixture {
    /// What the fixture's chip proves in a PACE-CAM run (a fixed mapping secret): for
    /// verification tests that need no card.
    pub fn chip_proof(&self) -> stay_core::ChipAuthentication {
        stay_core::ChipAuthentication::of_chip(&self.chip.secret_bytes(), &[0x42; 32])
            .expect("the fixture's scalars are in range")
    }

    pub fn new() -> Fixture {
        Fixture {
            root: KeyPair::from_seed("fixture root"),
            signer: KeyPair::from_seed("fixture signer"),
            chip: KeyPair::from_seed("fixture chip"),
            now: crate::golden::NOW,
        }
    }

    pub fn holder(&self) -> Holder {
        crate::golden::resident("RC0000001", Some(&self.chip))
    }

    /// A list trusting the fixture signer for every type, revoking `revoked` documents.
    pub fn list_spec(&self, revoked: Vec<String>) -> ListSpec {
        ListSpec {
            sequence: 7,
            issued_at: UnixTime(self.now.0 - 86_400),
            next_update: UnixTime(self.now.0 + 29 * 86_400),
            signers: vec![SignerSpec {
                public_key: self.signer.public_sec1(),
                not_before: Date::new(2025, 1, 1).unwrap(),
                not_after: Date::new(2029, 12, 31).unwrap(),
                document_types: DocumentType::ALL.to_vec(),
            }],
            revoked_signers: vec![],
            revoked_documents: revoked,
            status_changes: vec![],
        }
    }

    pub fn list(&self) -> Vec<u8> {
        self.list_spec(vec!["RC0000099".into()])
            .seal(&self.root)
            .unwrap()
    }

    pub fn record(&self, holder: &Holder) -> Vec<u8> {
        let list = self.list();
        let content = stay_core::TrustListContent::parse(&list).unwrap();
        issuer::sign_record(holder, &self.signer, &content, &stay_core::Policy::DEFAULT).unwrap()
    }
}

impl Default for Fixture {
    fn default() -> Self {
        Fixture::new()
    }
}

/// The signing service (`issuer serve`'s router) in-process, on a loopback port.
pub mod golden;

pub mod signing {
    use std::path::{Path, PathBuf};
    use std::sync::Arc;

    use issuer::service::{Service, Tokens};
    use issuer::KeyPair;

    use super::Fixture;

    /// The one station token the test services accept.
    pub const TOKEN: &str = "0123456789abcdef0123456789abcdef-station-test";

    pub struct RunningService {
        /// `http://127.0.0.1:PORT`
        pub url: String,
        pub register: PathBuf,
    }

    /// Serves `keys` with the fixture's list (or `list`) on a thread of its own, until the
    /// test process ends.
    pub fn start(
        fixture: &Fixture,
        keys: Vec<KeyPair>,
        list: Option<Vec<u8>>,
        dir: &Path,
    ) -> anyhow::Result<RunningService> {
        let register = dir.join("signing.sqlite");
        let service = Service::new(
            keys,
            list.unwrap_or_else(|| fixture.list()),
            &fixture.root.public_key(),
            Tokens::parse(&issuer::service::token_line(TOKEN, "station-test"))?,
            &register,
        )?
        .at(fixture.now);
        let listener = std::net::TcpListener::bind("127.0.0.1:0")?;
        listener.set_nonblocking(true)?;
        let url = format!("http://{}", listener.local_addr()?);
        let service = Arc::new(service);
        std::thread::spawn(move || {
            let runtime = tokio::runtime::Builder::new_current_thread()
                .enable_all()
                .build()
                .expect("runtime");
            runtime.block_on(async move {
                let listener = tokio::net::TcpListener::from_std(listener).expect("listener");
                issuer::service::serve(listener, service, std::future::pending())
                    .await
                    .expect("service");
            });
        });
        Ok(RunningService { url, register })
    }
}

/// The card in-process: the applet behind an [`ApduLink`](stay_core::terminal::ApduLink), with a seeded generator
/// so challenges and chip keys, and so whole transcripts, repeat exactly.
pub mod card {
    use card_applet_sim::{CardImage, Chip};
    use rand_chacha::rand_core::SeedableRng;
    use rand_chacha::ChaCha20Rng;
    use reader_host::card::LinkFailure;
    use sha2::{Digest, Sha256};
    use stay_core::terminal::{ApduLink, CardError, LinkError, Session};

    use super::Fixture;

    pub const SERIAL: [u8; 8] = [0x4B, 0x47, 0x00, 0x00, 0x00, 0x00, 0x00, 0x01];

    /// The card access number of the fixture cards.
    pub fn can() -> stay_core::pace::Can {
        stay_core::pace::Can::parse("314159").expect("six digits")
    }

    /// The terminal's PACE secrets of recorded runs: the n-th secret is 32 bytes of
    /// `seed + n` (the golden vectors' rule, testdata/README.md), so transcripts repeat.
    pub fn recorded_random(seed: u8) -> impl FnMut(&mut [u8; 32]) {
        let mut n = seed;
        move |out: &mut [u8; 32]| {
            n = n.wrapping_add(1);
            *out = [n; 32];
        }
    }

    /// The border check of a fixture card: PACE-CAM with [`can`] and the recorded
    /// secrets, then the reading over secure messaging.
    pub fn read<L: ApduLink>(
        card: L,
    ) -> Result<stay_core::terminal::ChipReading, stay_core::terminal::BorderCheckError<L::Error>>
    {
        stay_core::terminal::border_check(card, &can(), recorded_random(0))
    }

    /// The office's personalization key of the fixtures.
    pub fn personalization_key() -> issuer::KeyPair {
        issuer::KeyPair::from_seed("fixture personalization")
    }

    /// A stand-in portrait: a JPEG header and 700 fixed bytes (three STORE DATA blocks
    /// with the record).
    pub fn portrait() -> Vec<u8> {
        let mut jpeg = vec![0xFF, 0xD8, 0xFF, 0xE0];
        jpeg.extend((0..700u32).map(|i| (i * 7 % 251) as u8));
        jpeg.extend_from_slice(&[0xFF, 0xD9]);
        jpeg
    }

    pub struct InProcessCard {
        pub chip: Chip,
        pub rng: ChaCha20Rng,
        /// Every exchange: command, response.
        pub log: Vec<(Vec<u8>, Vec<u8>)>,
    }

    impl InProcessCard {
        pub fn new(image: CardImage) -> InProcessCard {
            InProcessCard {
                chip: Chip::resident(image),
                rng: ChaCha20Rng::seed_from_u64(0),
                log: Vec::new(),
            }
        }

        /// The resident-card application's memory.
        pub fn image(&self) -> &CardImage {
            self.chip.image().expect("a resident card")
        }

        pub fn blank() -> InProcessCard {
            InProcessCard::new(CardImage::blank(
                SERIAL,
                &personalization_key().public_key(),
            ))
        }

        /// A card personalized by the station code for the fixture's resident holder, with
        /// the portrait, locked.
        pub fn personalized(fixture: &Fixture) -> InProcessCard {
            InProcessCard::personalized_for(fixture, &fixture.holder())
        }

        /// The same for another holder.
        pub fn personalized_for(fixture: &Fixture, holder: &issuer::Holder) -> InProcessCard {
            let mut card = InProcessCard::blank();
            personalize_holder(&mut card, fixture, holder).expect("the fixture card personalizes");
            card.chip.reset();
            card.log.clear();
            card
        }
    }

    impl ApduLink for InProcessCard {
        type Error = LinkFailure;

        fn exchange(
            &mut self,
            command: &[u8],
            response: &mut [u8],
        ) -> Result<usize, LinkError<LinkFailure>> {
            let answer = self.chip.process(command, &mut self.rng).response;
            self.log.push((command.to_vec(), answer.clone()));
            stay_core::terminal::deliver(&answer, response)
        }
    }

    /// A card that leaves the reader after `left` more APDUs (`None`: it stays).
    pub struct LeavingCard {
        pub inner: InProcessCard,
        pub left: Option<usize>,
    }

    impl ApduLink for LeavingCard {
        type Error = LinkFailure;

        fn exchange(
            &mut self,
            command: &[u8],
            response: &mut [u8],
        ) -> Result<usize, LinkError<LinkFailure>> {
            if self.left == Some(0) {
                return Err(LinkError::Failed(LinkFailure::Removed));
            }
            self.left = self.left.map(|n| n - 1);
            self.inner.exchange(command, response)
        }
    }

    /// The record the fixture signer issues for a chip key, naming `portrait`'s digest.
    pub fn record_for_chip(
        fixture: &Fixture,
        holder: &issuer::Holder,
        chip: &[u8; 65],
        portrait: &[u8],
    ) -> Vec<u8> {
        let mut holder = holder.clone();
        holder.chip_public_key = Some(hex::encode(chip));
        holder.portrait_digest = Some(hex::encode(Sha256::digest(portrait)));
        fixture.record(&holder)
    }

    /// The station's personalization steps on `card`, through the one terminal, without
    /// the journal: select a blank card, authenticate, generate the chip key, store the
    /// fixture's record and portrait, lock. Returns the record.
    pub fn personalize<L: ApduLink>(
        card: L,
        fixture: &Fixture,
    ) -> Result<Vec<u8>, CardError<L::Error>> {
        personalize_holder(card, fixture, &fixture.holder())
    }

    /// The same for another holder.
    pub fn personalize_holder<L: ApduLink>(
        card: L,
        fixture: &Fixture,
        holder: &issuer::Holder,
    ) -> Result<Vec<u8>, CardError<L::Error>> {
        let portrait = portrait();
        personalize_with(
            card,
            |chip| record_for_chip(fixture, holder, chip, &portrait),
            Some(&portrait),
        )
    }

    /// The station's steps with whatever record `record_for` makes for the chip key (a
    /// test's forgery included). Returns the record stored.
    pub fn personalize_with<L: ApduLink>(
        card: L,
        record_for: impl FnOnce(&[u8; 65]) -> Vec<u8>,
        portrait: Option<&[u8]>,
    ) -> Result<Vec<u8>, CardError<L::Error>> {
        let key = personalization_key();
        let mut session = Session::new(card);
        let fci = session.select_blank()?;
        session.authenticate_station(&fci, |message| key.sign(message))?;
        let chip = session.generate_chip_key()?;
        let record = record_for(&chip);
        session.store(
            &station::store_payload(&record, portrait, &can()),
            stay_core::apdu::STORE_BLOCK_MAX,
        )?;
        session.lock()?;
        Ok(record)
    }
}

/// The APDU transcripts in `testdata/apdu/` that `cargo xtask vectors` writes and the tests
/// replay byte for byte: a full personalization and a full border check.
pub mod transcript {
    use std::fmt::Write as _;
    use std::path::Path;

    use super::card::{personalize, InProcessCard};
    use super::Fixture;

    use super::card::recorded_random;

    /// A transcript file: the intro as comments, the setup line, then `>`/`<` lines.
    pub fn render(intro: &str, setup: &str, log: &[(Vec<u8>, Vec<u8>)]) -> String {
        let mut text = String::new();
        for line in intro.lines() {
            writeln!(text, "# {line}").unwrap();
        }
        writeln!(text, "{setup}").unwrap();
        for (command, response) in log {
            writeln!(text, "> {}", hex::encode_upper(command)).unwrap();
            writeln!(text, "< {}", hex::encode_upper(response)).unwrap();
        }
        text
    }

    pub fn personalization(fixture: &Fixture) -> String {
        let mut card = InProcessCard::blank();
        personalize(&mut card, fixture).expect("the fixture card personalizes");
        render(
            "Personalization of a blank card (generated by `cargo xtask vectors`):\n\
             SELECT with FCI, GET CHALLENGE, EXTERNAL AUTHENTICATE, GENERATE ASYMMETRIC KEY\n\
             PAIR, STORE DATA (record + portrait in 5 blocks), SET STATUS (lock).",
            "card blank",
            &card.log,
        )
    }

    /// A border check over PACE-CAM with the card's CAN: SELECT without FCI, EF.CardAccess,
    /// MSE: Set AT, four GENERAL AUTHENTICATE steps, then SELECT and READ BINARY under
    /// secure messaging; last, the final protected command replayed (`6988`).
    pub fn border_check(fixture: &Fixture) -> String {
        use stay_core::terminal::ApduLink;
        let mut card = InProcessCard::personalized(fixture);
        super::card::read(&mut card).expect("the fixture card answers over PACE");
        let (last, _) = card.log.last().cloned().expect("commands were sent");
        let mut response = [0u8; 64];
        card.exchange(&last, &mut response)
            .expect("the card answers");
        render(
            "A border check over PACE-CAM with the CAN (generated by `cargo xtask vectors`):\n\
             SELECT (no FCI), READ BINARY of EF.CardAccess, MSE: Set AT, GENERAL AUTHENTICATE\n\
             x4 (chained; the last answer carries the chip authentication data, 8A), then\n\
             SELECT and READ BINARY of the record under secure messaging; last, the READ\n\
             BINARY replayed: 6988.",
            "card personalized",
            &card.log,
        )
    }

    /// PACE with a wrong CAN: the card refuses the terminal's token (`6300`).
    pub fn pace_wrong_can(fixture: &Fixture) -> String {
        use stay_core::terminal::Session;
        let mut card = InProcessCard::personalized(fixture);
        let wrong = stay_core::pace::Can::parse("000000").expect("six digits");
        let failed = Session::new(&mut card).establish_pace(&wrong, recorded_random(0));
        assert!(failed.is_err(), "a wrong CAN opened the card");
        render(
            "PACE with a wrong CAN (generated by `cargo xtask vectors`): the card refuses the\n\
             terminal's authentication token with 6300, and the record stays shut.",
            "card personalized",
            &card.log,
        )
    }

    /// The image of the fixture's personalized, locked card (the fuzz target's card).
    pub fn personalized_image(fixture: &Fixture) -> String {
        InProcessCard::personalized(fixture).image().to_json()
    }

    /// Writes both transcripts and the personalized card's image into `dir`.
    pub fn write_all(dir: &Path) -> std::io::Result<()> {
        let fixture = Fixture::new();
        std::fs::create_dir_all(dir)?;
        std::fs::write(dir.join("personalization.apdu"), personalization(&fixture))?;
        std::fs::write(dir.join("border-check.apdu"), border_check(&fixture))?;
        std::fs::write(dir.join("pace-wrong-can.apdu"), pace_wrong_can(&fixture))?;
        std::fs::write(
            dir.join("personalized-card.json"),
            personalized_image(&fixture),
        )
    }
}

/// A private pcscd with the card program ready to insert, for the PC/SC tests and
/// benchmarks (see `card_applet_sim::sandbox`).
pub mod pcsc_world {
    use std::ffi::CString;
    use std::path::{Path, PathBuf};
    use std::process::{Child, Command, ExitCode, Stdio};
    use std::time::Duration;

    use std::io::{BufRead, BufReader};
    use std::sync::mpsc;

    use anyhow::{bail, ensure, Context, Result};
    use card_applet_sim::sandbox::{self, Sandbox};
    use card_applet_sim::{CardImage, Interface};
    use reader_host::pcsc_reader;
    use serde_json::Value;

    use super::Fixture;

    const CARD_BIN_ENV: &str = "STAY_TESTS_CARD_BIN";
    const READER_BIN_ENV: &str = "STAY_TESTS_READER_BIN";
    const ISSUER_BIN_ENV: &str = "STAY_TESTS_ISSUER_BIN";
    const STATION_BIN_ENV: &str = "STAY_TESTS_STATION_BIN";
    const PAUSED_STATION_BIN_ENV: &str = "STAY_TESTS_PAUSED_STATION_BIN";

    fn build(name: &str, release: bool) -> Result<PathBuf> {
        build_bin(name, name, release)
    }

    fn build_bin(package: &str, name: &str, release: bool) -> Result<PathBuf> {
        let mut cmd = Command::new(env!("CARGO"));
        cmd.args(["build", "--quiet", "-p", package, "--bin", name])
            .current_dir(env!("CARGO_MANIFEST_DIR"));
        if release {
            cmd.arg("--release");
        }
        ensure!(cmd.status()?.success(), "cannot build {name}");
        let profile = if release { "release" } else { "debug" };
        Ok(PathBuf::from(env!("CARGO_MANIFEST_DIR")).join(format!("../target/{profile}/{name}")))
    }

    /// A check that runs in the sandbox.
    pub type SandboxCheck = fn(&mut World) -> Result<()>;

    /// `main` of a harness-less test binary: `--list` and name filters as libtest takes
    /// them, then each selected check in turn against one sandbox; exits non-zero if any
    /// failed.
    pub fn run_checks(what: &str, checks: &[(&str, SandboxCheck)]) -> ExitCode {
        let args: Vec<String> = std::env::args().skip(1).collect();
        if args.iter().any(|a| a == "--list") {
            for (name, _) in checks {
                println!("{name}: test");
            }
            return ExitCode::SUCCESS;
        }
        let filters: Vec<&String> = args.iter().filter(|a| !a.starts_with('-')).collect();
        let mut world = match World::enter(false) {
            Ok(world) => world,
            Err(code) => return code,
        };
        let selected: Vec<_> = checks
            .iter()
            .filter(|(name, _)| {
                filters.is_empty() || filters.iter().any(|f| name.contains(f.as_str()))
            })
            .collect();
        println!(
            "\nrunning {} {what} checks in a private pcscd",
            selected.len()
        );
        let mut failed = 0;
        for (name, check) in &selected {
            match check(&mut world) {
                Ok(()) => println!("test {name} ... ok"),
                Err(e) => {
                    println!("test {name} ... FAILED\n    {e:#}");
                    failed += 1;
                }
            }
        }
        println!(
            "\ntest result: {}. {} passed; {failed} failed",
            if failed == 0 { "ok" } else { "FAILED" },
            selected.len() - failed
        );
        if failed == 0 {
            ExitCode::SUCCESS
        } else {
            ExitCode::FAILURE
        }
    }

    const BATCH_HEADER: &str = "application_id,document_type,pin,itn,surname,given_names,\
        nationality,date_of_birth,sex,purpose,employer_tin,valid_from,valid_until,\
        issuing_authority,portrait\n";

    /// A personalization office in `w.dir/name`: the fixture's trust list, root, signer and
    /// personalization keys, and `batch.csv` with `n` resident-card applications for
    /// "WORKER Number i" (plus a bad row, line 5, when `bad_row`).
    pub fn office(w: &World, name: &str, n: usize, bad_row: bool) -> Result<PathBuf> {
        let dir = w.dir.join(name);
        std::fs::create_dir_all(&dir)?;
        std::fs::write(dir.join("trust.list"), w.fixture.list())?;
        std::fs::write(dir.join("root.pub.pem"), w.fixture.root.public_pem()?)?;
        std::fs::write(dir.join("signer.key.pem"), w.fixture.signer.private_pem()?)?;
        std::fs::write(
            dir.join("perso.key.pem"),
            crate::card::personalization_key().private_pem()?,
        )?;
        let mut batch = BATCH_HEADER.to_string();
        for i in 1..=n {
            batch.push_str(&format!(
                "APP-{i:03},resident-card,215031990{i:05},215031990{i:05},WORKER,Number {i},UZB,\
                 1990-01-01,M,work,{},2026-11-01,2027-10-31,Migration Service KR,\n",
                crate::golden::EMPLOYER_TIN
            ));
            if bad_row && i == 3 {
                batch.push_str(
                    "APP-BAD,resident-card,123,,X,,UZB,1990-01-01,M,work,,2026-11-01,2027-10-31,M,\n",
                );
            }
        }
        std::fs::write(dir.join("batch.csv"), batch)?;
        Ok(dir)
    }

    /// A blank card from the card maker (serial ending in `n`), as an image file.
    pub fn blank(w: &World, name: &str, n: u8) -> Result<PathBuf> {
        w.image(
            name,
            &CardImage::blank(
                [0x4B, 0x47, 0, 0, 0, 0, 0x20, n],
                &crate::card::personalization_key().public_key(),
            ),
        )
    }

    /// `issuer serve` as its own process: [`IssuerServe::stop`] ends it as an operator
    /// would (SIGTERM); dropped, it is killed.
    pub struct IssuerServe {
        child: Child,
        /// `http://127.0.0.1:PORT`
        pub url: String,
    }

    impl IssuerServe {
        /// The fixture's signer key and list from the office `dir` (see [`office`]), the
        /// tokens of `signing.tokens` there, on a free loopback port.
        pub fn start(w: &World, dir: &Path) -> Result<IssuerServe> {
            let mut child = Command::new(&w.issuer_bin)
                .current_dir(dir)
                .args([
                    "serve",
                    "--key",
                    "signer.key.pem",
                    "--tokens",
                    "signing.tokens",
                ])
                .args(["--trust-list", "trust.list", "--root-key", "root.pub.pem"])
                .args(["--register", "signing.sqlite", "--listen", "127.0.0.1:0"])
                .args(["--at", &stay_std::clock::format_rfc3339(w.fixture.now)])
                .stdout(Stdio::piped())
                .spawn()
                .context("cannot start issuer serve")?;
            let mut line = String::new();
            BufReader::new(child.stdout.take().expect("piped")).read_line(&mut line)?;
            let url = line
                .trim()
                .strip_prefix("listening on ")
                .with_context(|| format!("issuer serve said {line:?}"))?
                .to_string();
            Ok(IssuerServe { child, url })
        }

        /// SIGTERM: the service finishes what it was doing and exits 0.
        pub fn stop(mut self) -> Result<()> {
            let status = Command::new("kill")
                .args(["-TERM", &self.child.id().to_string()])
                .status()?;
            ensure!(status.success());
            let exit = self.child.wait()?;
            ensure!(exit.success(), "issuer serve ended {exit}");
            Ok(())
        }
    }

    impl Drop for IssuerServe {
        fn drop(&mut self) {
            let _ = self.child.kill();
            let _ = self.child.wait();
        }
    }

    /// `issuer ARGS` in `dir`; fails with what it said unless it succeeds.
    pub fn issuer(w: &World, dir: &Path, args: &[&str]) -> Result<()> {
        let out = Command::new(&w.issuer_bin)
            .current_dir(dir)
            .args(args)
            .output()?;
        ensure!(
            out.status.success(),
            "issuer {args:?}: {}",
            String::from_utf8_lossy(&out.stderr)
        );
        Ok(())
    }

    /// `main` of a benchmark: release builds, one sandbox, `bench` once.
    pub fn run_bench(what: &str, bench: fn(&World) -> Result<()>) -> ExitCode {
        let world = match World::enter(true) {
            Ok(world) => world,
            Err(code) => return code,
        };
        match bench(&world) {
            Ok(()) => ExitCode::SUCCESS,
            Err(e) => {
                eprintln!("{what} bench: {e:#}");
                ExitCode::FAILURE
            }
        }
    }

    /// A card process in a vpcd slot; taken out of the reader when dropped, and dropped
    /// only once pcscd has seen it go. Drop connections to it first: pcscd resets the card
    /// on disconnect, and a reset sent to a card already gone leaves the slot reported
    /// empty while vpcd still holds the next card (it is then never announced).
    pub struct InsertedCard {
        pub child: Child,
        pub reader: CString,
        ctx: pcsc::Context,
    }

    impl Drop for InsertedCard {
        fn drop(&mut self) {
            let _ = self.child.kill();
            let _ = self.child.wait();
            let _ = pcsc_reader::wait_for_removal(&self.ctx, &self.reader, Duration::from_secs(5));
        }
    }

    pub struct World {
        pub sandbox: Sandbox,
        pub dir: PathBuf,
        _tmp: tempfile::TempDir,
        pub card_bin: PathBuf,
        pub reader_bin: PathBuf,
        /// The authority's program (`issuer serve` for the station checks).
        pub issuer_bin: PathBuf,
        /// The office's personalization station.
        pub station_bin: PathBuf,
        /// The station with a pause after a given step (`tests/src/bin/paused-station.rs`).
        pub paused_station_bin: PathBuf,
        pub fixture: Fixture,
        pub ctx: pcsc::Context,
    }

    impl World {
        /// Call first in `main`. Outside the sandbox: builds the card and reader programs
        /// (inside there is no network), runs this program again inside, and returns its
        /// exit status as `Err`. Inside: starts pcscd and returns the world.
        pub fn enter(release: bool) -> Result<World, ExitCode> {
            let fail = |e: anyhow::Error| {
                eprintln!("pcsc sandbox: {e:#}");
                ExitCode::FAILURE
            };
            if !sandbox::is_isolated() {
                let card_bin = build("card-applet-sim", release).map_err(fail)?;
                let reader_bin = build("reader-host", release).map_err(fail)?;
                std::env::set_var(CARD_BIN_ENV, card_bin);
                std::env::set_var(READER_BIN_ENV, reader_bin);
                let issuer_bin = build("issuer", release).map_err(fail)?;
                std::env::set_var(ISSUER_BIN_ENV, issuer_bin);
                let station_bin = build("station", release).map_err(fail)?;
                std::env::set_var(STATION_BIN_ENV, station_bin);
                let paused = build_bin("stay-tests", "paused-station", release).map_err(fail)?;
                std::env::set_var(PAUSED_STATION_BIN_ENV, paused);
            }
            if let Some(status) = sandbox::reexec_isolated().map_err(fail)? {
                return Err(ExitCode::from(status.code().unwrap_or(1) as u8));
            }
            let tmp = tempfile::tempdir().map_err(|e| fail(e.into()))?;
            let world = Sandbox::start(tmp.path()).and_then(|sandbox| {
                Ok(World {
                    sandbox,
                    dir: tmp.path().to_path_buf(),
                    card_bin: std::env::var_os(CARD_BIN_ENV).context(CARD_BIN_ENV)?.into(),
                    reader_bin: std::env::var_os(READER_BIN_ENV)
                        .context(READER_BIN_ENV)?
                        .into(),
                    issuer_bin: std::env::var_os(ISSUER_BIN_ENV)
                        .context(ISSUER_BIN_ENV)?
                        .into(),
                    station_bin: std::env::var_os(STATION_BIN_ENV)
                        .context(STATION_BIN_ENV)?
                        .into(),
                    paused_station_bin: std::env::var_os(PAUSED_STATION_BIN_ENV)
                        .context(PAUSED_STATION_BIN_ENV)?
                        .into(),
                    fixture: Fixture::new(),
                    ctx: pcsc_reader::establish()?,
                    _tmp: tmp,
                })
            });
            world.map_err(fail)
        }

        /// Writes `image` as `NAME.json` in the world's directory.
        pub fn image(&self, name: &str, image: &CardImage) -> Result<PathBuf> {
            let path = self.dir.join(format!("{name}.json"));
            image.write(&path)?;
            Ok(path)
        }

        /// Starts `card-applet-sim` on `image` in `slot` and waits until pcscd sees it.
        pub fn insert_card(
            &self,
            slot: usize,
            image: &Path,
            interface: Interface,
        ) -> Result<InsertedCard> {
            self.insert_with(slot, image, interface, &[])
        }

        pub fn insert_with(
            &self,
            slot: usize,
            image: &Path,
            interface: Interface,
            args: &[&str],
        ) -> Result<InsertedCard> {
            // The previous card in this slot may have just left: let pcscd see it go first.
            let reader = CString::new(self.sandbox.reader_name(slot))?;
            pcsc_reader::wait_for_removal(&self.ctx, &reader, Duration::from_secs(20))?;
            let mut cmd = Command::new(&self.card_bin);
            cmd.arg("--image")
                .arg(image)
                .args(["--vpcd", &self.sandbox.vpcd_addr(slot)])
                .args(args)
                .stderr(if std::env::var_os("STAY_TESTS_CARD_LOG").is_some() {
                    Stdio::inherit()
                } else {
                    Stdio::null()
                });
            if interface == Interface::Contactless {
                cmd.arg("--contactless");
            }
            let child = cmd.spawn().context("cannot start card-applet-sim")?;
            let card = InsertedCard {
                child,
                reader,
                ctx: self.ctx.clone(),
            };
            let name = card.reader.to_string_lossy().into_owned();
            pcsc_reader::wait_for_card(&self.ctx, Some(&name), Duration::from_secs(20))
                .transpose()
                .unwrap_or_else(|| Err(anyhow::anyhow!("no card within 20 s")))
                .with_context(|| {
                    format!("card in {name}; pcscd log:\n{}", self.sandbox.log_text())
                })?;
            Ok(card)
        }

        /// Builds `pcsc/openpace_terminal.c`: an inspection terminal on OpenPACE (libeac)
        /// and pcsc-lite, none of our code in it.
        pub fn openpace_terminal(&self) -> Result<PathBuf> {
            let source = Path::new(env!("CARGO_MANIFEST_DIR")).join("pcsc/openpace_terminal.c");
            let program = self.dir.join("openpace_terminal");
            let flags = Command::new("pkg-config")
                .args(["--cflags", "--libs", "libeac", "libpcsclite"])
                .output()
                .context("cannot run pkg-config")?;
            ensure!(
                flags.status.success(),
                "pkg-config does not know libeac (Debian package libeac-dev): {}",
                String::from_utf8_lossy(&flags.stderr)
            );
            let flags = String::from_utf8(flags.stdout)?;
            let out = Command::new("gcc")
                .args(["-Wall", "-Wextra", "-Werror", "-O2", "-o"])
                .arg(&program)
                .arg(&source)
                .args(flags.split_whitespace())
                .arg("-lcrypto")
                .output()
                .context("cannot run gcc")?;
            ensure!(
                out.status.success(),
                "openpace_terminal.c: {}",
                String::from_utf8_lossy(&out.stderr)
            );
            Ok(program)
        }

        /// Runs the OpenPACE terminal on `reader` (`rounds` more border checks timed):
        /// its exit status and what it printed.
        pub fn run_openpace(
            &self,
            program: &Path,
            reader: &str,
            can: &str,
            chip_key: &[u8],
            rounds: Option<u32>,
        ) -> Result<(Option<i32>, String)> {
            let mut cmd = Command::new(program);
            cmd.args([reader, can, &hex::encode_upper(chip_key)]);
            if let Some(rounds) = rounds {
                cmd.arg(rounds.to_string());
            }
            let out = cmd.output().context("cannot run openpace_terminal")?;
            Ok((
                out.status.code(),
                format!(
                    "{}{}",
                    String::from_utf8_lossy(&out.stdout),
                    String::from_utf8_lossy(&out.stderr)
                ),
            ))
        }

        /// Establishes our PC/SC context again (after pcscd restarted).
        pub fn reconnect(&mut self) -> Result<()> {
            self.ctx = pcsc_reader::establish()?;
            Ok(())
        }

        /// The PC/SC link to `card`, as the desk and the station use it.
        pub fn connect(&self, card: &InsertedCard) -> Result<reader_host::card::PcscLink> {
            pcsc_reader::connect(&self.ctx, &card.reader).map(reader_host::card::PcscLink::new)
        }
    }
    /// A running `reader-host serve`, with its event stream read into a channel.
    pub struct Daemon {
        child: Child,
        pub url: String,
        pub data_dir: PathBuf,
        /// The desk token (`DATA/desk.token`), which every API request carries.
        pub token: String,
        config: PathBuf,
        events: mpsc::Receiver<Value>,
    }

    impl Drop for Daemon {
        fn drop(&mut self) {
            let _ = self.child.kill();
            let _ = self.child.wait();
            if std::env::var_os("STAY_TESTS_DAEMON_LOG").is_some() {
                let log = self.data_dir.parent().unwrap().join("serve.log");
                eprintln!("{}", std::fs::read_to_string(log).unwrap_or_default());
            }
        }
    }

    impl Daemon {
        pub fn start(w: &World, name: &str, extra: &str) -> Result<Daemon> {
            let dir = w.dir.join(name);
            std::fs::create_dir_all(&dir)?;
            std::fs::write(dir.join("seed.list"), w.fixture.list())?;
            std::fs::write(dir.join("root.pub.pem"), w.fixture.root.public_pem()?)?;
            let config = format!(
                "role = \"border\"\ndata_dir = \"data\"\nlisten = \"127.0.0.1:0\"\n\
                 fixed_time = \"{}\"\n{extra}\n\
                 [trust_list]\nroot_key = \"root.pub.pem\"\nseed = \"seed.list\"\n",
                stay_std::clock::format_rfc3339(w.fixture.now)
            );
            std::fs::write(dir.join("reader-host.toml"), config)?;
            Daemon::run(w, &dir)
        }

        pub fn run(w: &World, dir: &Path) -> Result<Daemon> {
            let mut child = Command::new(&w.reader_bin)
                .args(["serve", "--config"])
                .arg(dir.join("reader-host.toml"))
                .stdout(Stdio::piped())
                .stderr(std::fs::File::create(dir.join("serve.log"))?)
                .spawn()?;
            // The daemon prints its URL once it listens: that line is the readiness signal.
            let mut line = String::new();
            BufReader::new(child.stdout.take().expect("piped")).read_line(&mut line)?;
            let url = line
                .split_whitespace()
                .find(|w| w.starts_with("http://"))
                .with_context(|| {
                    format!(
                        "no URL from reader-host serve: {line:?}; log:\n{}",
                        std::fs::read_to_string(dir.join("serve.log")).unwrap_or_default()
                    )
                })?
                .to_string();
            let token = reader_host::access::DeskToken::read(&dir.join("data"))?
                .as_str()
                .to_string();
            // Subscribe before anything happens: the response head arrives once subscribed.
            let stream = ureq::get(&format!("{url}api/events"))
                .set("Authorization", &format!("Bearer {token}"))
                .call()?;
            let (tx, events) = mpsc::channel();
            std::thread::spawn(move || {
                for line in BufReader::new(stream.into_reader()).lines() {
                    let Ok(line) = line else { break };
                    if let Some(data) = line.strip_prefix("data:") {
                        if let Ok(event) = serde_json::from_str::<Value>(data.trim()) {
                            if tx.send(event).is_err() {
                                break;
                            }
                        }
                    }
                }
            });
            Ok(Daemon {
                child,
                url,
                data_dir: dir.join("data"),
                token,
                config: dir.join("reader-host.toml"),
                events,
            })
        }

        /// The next event of `kind`, skipping others (reader announcements and the like).
        pub fn next(&self, kind: &str) -> Result<Value> {
            let deadline = std::time::Instant::now() + Duration::from_secs(30);
            let mut skipped = Vec::new();
            loop {
                let left = deadline.saturating_duration_since(std::time::Instant::now());
                let event = self
                    .events
                    .recv_timeout(left)
                    .with_context(|| format!("no {kind} event within 30 s; saw {skipped:?}"))?;
                if event["kind"] == kind {
                    return Ok(event);
                }
                // A verdict where none should be is a failure, not noise.
                if event["kind"] == "verdict" {
                    bail!("unexpected verdict while waiting for {kind}: {event}");
                }
                skipped.push(format!("{}: {}", event["kind"], event["message"]));
            }
        }

        pub fn pid(&self) -> u32 {
            self.child.id()
        }

        /// SIGKILL, as a power cut: no shutdown code runs.
        pub fn kill(&mut self) -> Result<()> {
            self.child.kill()?;
            self.child.wait()?;
            Ok(())
        }

        /// A request to the API as the desk's own programs send it: with the token.
        pub fn request(&self, method: &str, path: &str) -> ureq::Request {
            ureq::request(method, &format!("{}{path}", self.url))
                .set("Authorization", &format!("Bearer {}", self.token))
        }

        pub fn get(&self, path: &str) -> Result<Value> {
            Ok(self.request("GET", path).call()?.into_json()?)
        }

        pub fn post(&self, path: &str) -> Result<Value> {
            Ok(self.request("POST", path).call()?.into_json()?)
        }

        /// `POST /api/verify` of a record's bytes; the answer's event.
        pub fn verify_record(&self, record: &[u8]) -> Result<Value> {
            Ok(self
                .request("POST", "api/verify")
                .set("Content-Type", reader_host::http::RECORD_TYPE)
                .send_bytes(record)?
                .into_json()?)
        }

        /// The CAN of the fixture cards, typed at the desk (`POST /api/can`): the next card
        /// is opened with it.
        pub fn give_can(&self) -> Result<Value> {
            let event: Value = self
                .request("POST", "api/can")
                .set("Content-Type", "application/json")
                .send_string(r#"{"can": "314159"}"#)?
                .into_json()?;
            anyhow::ensure!(event["kind"] == "can-ready", "{event}");
            self.next("can-ready")?;
            Ok(event)
        }

        /// The kiosk page's address with the token, as `reader-host kiosk-url` prints it.
        pub fn kiosk_url(&self) -> String {
            format!("{}#token={}", self.url, self.token)
        }

        pub fn audit(&self, w: &World, args: &[&str]) -> Result<Vec<Value>> {
            let out = Command::new(&w.reader_bin)
                .args(["audit", "--json", "--config"])
                .arg(&self.config)
                .args(args)
                .output()?;
            ensure!(
                out.status.success(),
                "{}",
                String::from_utf8_lossy(&out.stderr)
            );
            Ok(serde_json::from_slice(&out.stdout)?)
        }
    }
}

/// ZXing's labelled QR photographs (`testdata/qr-zxing`), shared by the corpus test and the
/// comparison benchmark.
pub mod qr_corpus {
    use std::path::PathBuf;

    /// One photograph and the exact text its code carries.
    pub struct Photo {
        pub path: PathBuf,
        /// `qrcode-1` .. `qrcode-6`.
        pub folder: String,
        pub label: String,
        pub image: image::GrayImage,
    }

    /// Every photograph, folder by folder, in name order.
    pub fn photos() -> Vec<Photo> {
        let root = super::testdata().join("qr-zxing");
        let mut out = Vec::new();
        for n in 1..=6 {
            let folder = format!("qrcode-{n}");
            let mut paths: Vec<PathBuf> = std::fs::read_dir(root.join(&folder))
                .unwrap()
                .map(|e| e.unwrap().path())
                .filter(|p| p.extension().is_some_and(|e| e == "png" || e == "jpg"))
                .collect();
            paths.sort();
            for path in paths {
                let label = std::fs::read_to_string(path.with_extension("txt")).unwrap();
                let image = image::open(&path).unwrap().to_luma8();
                out.push(Photo {
                    path,
                    folder: folder.clone(),
                    label,
                    image,
                });
            }
        }
        out
    }

    /// The rotations every photograph is tried at, in degrees.
    pub const ROTATIONS: [u32; 4] = [0, 90, 180, 270];

    /// `image` turned clockwise by `degrees` (one of [`ROTATIONS`]).
    pub fn rotated(image: &image::GrayImage, degrees: u32) -> image::GrayImage {
        match degrees {
            0 => image.clone(),
            90 => image::imageops::rotate90(image),
            180 => image::imageops::rotate180(image),
            270 => image::imageops::rotate270(image),
            _ => panic!("rotation {degrees} is not a quarter turn"),
        }
    }
}

/// A desk in-process, as `reader-host serve` builds it, on the fixture's list (seeded into
/// `dir`), its audit log in `dir/data` and the log's key in `dir`; its clock reads `fixed_time` when given.
pub fn in_process_desk(
    dir: &std::path::Path,
    fixed_time: Option<stay_core::UnixTime>,
) -> std::sync::Arc<reader_host::desk::Desk> {
    let fixture = Fixture::new();
    let seed = dir.join("seed.list");
    std::fs::write(&seed, fixture.list()).unwrap();
    let fixed_time = fixed_time
        .map(|t| format!("fixed_time = {:?}\n", stay_std::clock::format_rfc3339(t)))
        .unwrap_or_default();
    let config: reader_host::config::Config = toml::from_str(&format!(
        "role = \"border\"\ndata_dir = {:?}\n{fixed_time}[trust_list]\nroot_key = \"unused.pem\"\n",
        dir.display()
    ))
    .unwrap();
    let trust = reader_host::trust_cache::TrustCache::open(
        fixture.root.public_key(),
        dir.join("trust.list"),
        Some(&seed),
        None,
    )
    .unwrap();
    // The log in `dir/data`, its key beside it, as a desk keeps them apart.
    let data = dir.join("data");
    std::fs::create_dir_all(&data).unwrap();
    let audit = reader_host::audit::AuditLog::open(&data, &dir.join("audit.key")).unwrap();
    reader_host::desk::Desk::shared(config, std::sync::Arc::new(trust), audit)
}
