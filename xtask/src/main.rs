//! `cargo xtask`: the project's entry points.
//!
//! - `demo`  : the main job end to end on embedded defaults
//! - `test`  : every test (what CI runs)
//! - `fuzz`  : the fuzz targets (`--seconds N`, default 600 each)
//! - `bench` : criterion benchmarks beside `openssl speed`
//! - `soak [--minutes N]`: the daemon's HTTP API under steady load (default 10 minutes)
//! - `vectors [--check]`: regenerate `testdata/`
//! - `sandbox [-- CMD]`: a private pcscd + vpcd and CMD (default: a shell) inside it
//!
//! Each installs what it needs first (Debian packages, the Cortex-M target), idempotently.

use std::path::{Path, PathBuf};
use std::process::Command;

use anyhow::{bail, ensure, Context, Result};

/// Debian packages the tests and demo use: openssl as an independent ECDSA/PEM peer; pcscd
/// with the vpcd virtual reader and the PC/SC library (headers and pkgconf to build against
/// it); pcsc-tools, pyscard and opensc as PC/SC clients nobody here wrote; iproute2 for the
/// sandbox's loopback; Chromium and its WebDriver for the kiosk page; zbar as the QR peer;
/// libclang for the camera's V4L2 bindings (nokhwa); OpenPACE (libeac) and gcc for the
/// independent PACE terminal (tests/pcsc/openpace_terminal.c).
const DEBIAN_PACKAGES: &[&str] = &[
    "openssl",
    "pkgconf",
    "libpcsclite-dev",
    "pcscd",
    "vsmartcard-vpcd",
    "pcsc-tools",
    "python3-pyscard",
    "libeac-dev",
    "gcc",
    "opensc",
    "iproute2",
    "chromium",
    "chromium-driver",
    "zbar-tools",
    "libclang-dev",
    "qemu-system-arm",
    "llvm",
    // The electronic document's font (Kyrgyz, Russian, Latin), and pdftoppm to render it back.
    "fonts-dejavu-core",
    "poppler-utils",
    // P256-Cortex-M4 (the scanner's fast signature check) is C and GNU assembler.
    "gcc-arm-none-eabi",
    "libnewlib-arm-none-eabi",
];
/// The accessibility engine the kiosk's pages are checked with, inside the real Chromium.
const AXE_CORE: &str = "axe-core@4.10.3";
/// The scanner's budgets (docs/performance.md): code and constants in flash, and the static
/// part of RAM (.data + .bss).
const FLASH_BUDGET: u64 = 128 * 1024;
const STATIC_RAM_BUDGET: u64 = 32 * 1024;
const EMBEDDED_TARGET: &str = "thumbv7em-none-eabihf";
/// The fuzz targets and the cargo-fuzz project each is in: `fuzz/` builds `stay-core`
/// alone (the parsers and the terminal), `fuzz/hosts/` the programs around them.
const FUZZ_TARGETS: &[(&str, &str)] = &[
    ("record", "fuzz"),
    ("trust_list", "fuzz"),
    ("verify", "fuzz"),
    ("apdu", "fuzz"),
    ("terminal", "fuzz"),
    ("personalization", "fuzz"),
    ("sm_unwrap", "fuzz"),
    ("pace_steps", "fuzz"),
    ("applet", "fuzz/hosts"),
    ("scanner_frames", "fuzz/hosts"),
    ("qr_image", "fuzz/hosts"),
    ("api_body", "fuzz/hosts"),
    ("sign_request", "fuzz/hosts"),
];

fn root() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .parent()
        .expect("xtask lives in the workspace")
        .to_path_buf()
}

fn cargo() -> Command {
    let mut c = Command::new(std::env::var("CARGO").unwrap_or_else(|_| "cargo".into()));
    c.current_dir(root());
    c
}

fn run(what: &str, cmd: &mut Command) -> Result<()> {
    eprintln!("==> {what}");
    let status = cmd
        .status()
        .with_context(|| format!("cannot start: {what}"))?;
    if !status.success() {
        bail!("failed: {what} ({status})");
    }
    Ok(())
}

/// The disk a `cargo xtask test` from a clean clone fills: `target/` and the fuzz build
/// (README). With less free, it fails late and obscurely, in a linker.
const TEST_DISK_GIB: u64 = 5;

/// Warns, without stopping, when the disk holding the tree has less free than a build from
/// clean needs; a tree already built needs far less.
fn warn_if_disk_short(needed_gib: u64) {
    let free = output(
        Command::new("df")
            .args(["--output=avail", "-B1"])
            .arg(root()),
    )
    .and_then(|out| out.lines().nth(1)?.trim().parse::<u64>().ok());
    if let Some(free) = free.filter(|&free| free < needed_gib << 30) {
        eprintln!(
            "==> warning: {:.1} GiB free here; a build from clean needs about {needed_gib} GiB",
            free as f64 / f64::from(1u32 << 30)
        );
    }
}

fn output(cmd: &mut Command) -> Option<String> {
    cmd.output()
        .ok()
        .filter(|o| o.status.success())
        .map(|o| String::from_utf8_lossy(&o.stdout).into_owned())
}

fn installed(package: &str) -> bool {
    output(Command::new("dpkg-query").args(["-W", "-f=${Status}", package]))
        .is_some_and(|s| s.contains("install ok installed"))
}

/// Installs missing Debian packages and the embedded Rust target. Does nothing when all is there.
fn setup() -> Result<()> {
    let mut missing: Vec<&str> = DEBIAN_PACKAGES
        .iter()
        .copied()
        .filter(|p| !installed(p))
        .collect();
    // axe-core (the kiosk's accessibility check) comes from npm: Debian's, unless the
    // machine has a node of its own.
    if output(Command::new("npm").arg("--version")).is_none() {
        missing.push("npm");
    }
    if !missing.is_empty() {
        let is_root = output(Command::new("id").arg("-u")).is_some_and(|u| u.trim() == "0");
        let apt = |args: &[&str]| {
            let mut c = if is_root {
                Command::new("apt-get")
            } else {
                let mut s = Command::new("sudo");
                s.args(["-n", "apt-get"]);
                s
            };
            c.args(args).env("DEBIAN_FRONTEND", "noninteractive");
            c
        };
        run("apt-get update", &mut apt(&["update", "-qq"]))?;
        let mut install = apt(&["install", "-y", "-qq", "--no-install-recommends"]);
        install.args(&missing);
        run(
            &format!("apt-get install {}", missing.join(" ")),
            &mut install,
        )?;
    }
    let targets =
        output(Command::new("rustup").args(["target", "list", "--installed"])).unwrap_or_default();
    if !targets.lines().any(|t| t.trim() == EMBEDDED_TARGET) {
        run(
            &format!("rustup target add {EMBEDDED_TARGET}"),
            Command::new("rustup").args(["target", "add", EMBEDDED_TARGET]),
        )?;
    }
    let npm = root().join("target/npm");
    if !npm.join("node_modules/axe-core/axe.min.js").exists() {
        std::fs::create_dir_all(&npm)?;
        run(
            &format!("npm install {AXE_CORE}"),
            Command::new("npm")
                .args([
                    "install",
                    "--no-audit",
                    "--no-fund",
                    "--no-save",
                    "--prefix",
                ])
                .arg(&npm)
                .arg(AXE_CORE),
        )?;
    }
    Ok(())
}

fn has_nightly() -> bool {
    output(Command::new("rustup").args(["run", "nightly", "rustc", "--version"])).is_some()
}

fn ensure_cargo_fuzz() -> Result<()> {
    if output(cargo().args(["fuzz", "--version"])).is_none() {
        run(
            "cargo install cargo-fuzz",
            cargo().args(["install", "--locked", "cargo-fuzz"]),
        )?;
    }
    Ok(())
}

fn fuzz(seconds: u64, only: &[String]) -> Result<()> {
    if !has_nightly() {
        bail!("cargo fuzz needs the nightly toolchain (rustup toolchain install nightly)");
    }
    ensure_cargo_fuzz()?;
    for (target, project) in FUZZ_TARGETS
        .iter()
        .filter(|(t, _)| only.is_empty() || only.iter().any(|o| o == t))
    {
        let corpus = root().join(format!("fuzz/corpus/{target}"));
        std::fs::create_dir_all(&corpus)?;
        run(
            &format!("fuzz {target} for {seconds} s"),
            // Through rustup: `$CARGO` is the stable toolchain's own cargo, which knows no `+nightly`.
            Command::new("rustup")
                .current_dir(root())
                // The bundled SQLite amalgamation has two file-local arrays of one name,
                // which ASan's one-definition-rule check takes for a clash.
                .env("ASAN_OPTIONS", "detect_odr_violation=0")
                .args([
                    "run",
                    "nightly",
                    "cargo",
                    "fuzz",
                    "run",
                    "--fuzz-dir",
                    project,
                ])
                .arg(target)
                .arg(&corpus)
                .arg(root().join("fuzz/seeds"))
                .args([
                    "--",
                    &format!("-max_total_time={seconds}"),
                    // Image bodies need room; everything else is small.
                    &format!(
                        "-max_len={}",
                        if *target == "api_body" { 65_536 } else { 4096 }
                    ),
                    "-print_final_stats=1",
                ]),
        )?;
    }
    Ok(())
}

fn test() -> Result<()> {
    setup()?;
    warn_if_disk_short(TEST_DISK_GIB);
    run(
        "cargo fmt --check",
        cargo().args(["fmt", "--all", "--", "--check"]),
    )?;
    run(
        "cargo clippy",
        cargo().args([
            "clippy",
            "--workspace",
            "--all-targets",
            "--",
            "-D",
            "warnings",
        ]),
    )?;
    run("cargo test", cargo().args(["test", "--workspace"]))?;
    scanner()?;
    if has_nightly() {
        fuzz(15, &[])?;
    } else {
        eprintln!("==> fuzz smoke skipped: no nightly toolchain on this machine");
    }
    eprintln!("==> all checks passed");
    Ok(())
}

/// The scanner firmware for the Cortex-M4F: lints and builds it, and for each backend of
/// the signature check builds the qemu program, checks its size against the budgets, and
/// runs the golden and the Wycheproof vectors on `qemu-system-arm -machine mps2-an386`.
fn scanner() -> Result<()> {
    // The device code is not compiled on the host: lint it for the device, both backends.
    let all = "--features=scanner-qemu/cortex-m4-asm,scanner-qemu/wycheproof";
    for features in [&[][..], &[all][..]] {
        run(
            &format!("cargo clippy for {EMBEDDED_TARGET} {}", features.join(" ")),
            cargo()
                .args([
                    "clippy",
                    "-p",
                    "firmware",
                    "-p",
                    "scanner-qemu",
                    "-p",
                    "p256-m4",
                ])
                .args(["--release", "--target", EMBEDDED_TARGET])
                .args(features)
                .args(["--", "-D", "warnings"]),
        )?;
    }
    run(
        &format!("firmware for {EMBEDDED_TARGET}"),
        cargo().args([
            "build",
            "-p",
            "firmware",
            "--release",
            "--target",
            EMBEDDED_TARGET,
        ]),
    )?;
    // The `firmware` profile (Cargo.toml): sized for the 128 KiB of flash.
    let elf = root().join(format!("target/{EMBEDDED_TARGET}/firmware/scanner-qemu"));
    // Each backend of the signature check: the golden vectors within the budgets, then the
    // Wycheproof vectors (their own build: they do not fit beside the golden ones).
    for (backend, feature) in [
        ("RustCrypto p256", None),
        ("P256-Cortex-M4 assembly", Some("cortex-m4-asm")),
    ] {
        for suite in ["golden", "wycheproof"] {
            let features: Vec<&str> = feature
                .into_iter()
                .chain((suite == "wycheproof").then_some("wycheproof"))
                .collect();
            run(
                &format!("scanner-qemu for {EMBEDDED_TARGET}: {suite} vectors, {backend}"),
                cargo()
                    .args([
                        "build",
                        "-p",
                        "scanner-qemu",
                        "--profile",
                        "firmware",
                        "--target",
                    ])
                    .arg(EMBEDDED_TARGET)
                    .arg(format!("--features={}", features.join(","))),
            )?;
            if suite == "golden" {
                check_budget(&elf)?;
            }
            run(
                &format!("scanner-qemu on qemu-system-arm -machine mps2-an386: {suite}, {backend}"),
                Command::new("timeout")
                    .args(["600", "qemu-system-arm", "-cpu", "cortex-m4", "-machine"])
                    .args(["mps2-an386", "-nographic", "-monitor", "none", "-icount"])
                    .args(["shift=0", "-semihosting-config", "enable=on,target=native"])
                    .arg("-kernel")
                    .arg(&elf),
            )?;
        }
    }
    Ok(())
}

/// The program's flash (code, constants, initial .data) and static RAM (.data + .bss)
/// against the budgets. The `.vectors` section (golden vectors and transcripts, test data
/// the linker puts outside the flash region: firmware/qemu/memory.x) is reported apart.
fn check_budget(elf: &Path) -> Result<()> {
    let sizes = output(Command::new("llvm-size").arg("-A").arg(elf)).context("llvm-size")?;
    // "section size addr" rows after a two-line heading.
    let mut sections = std::collections::BTreeMap::new();
    for line in sizes.lines().skip(2) {
        let fields: Vec<&str> = line.split_whitespace().collect();
        if let [name, size, _addr] = fields[..] {
            sections.insert(name.to_owned(), size.parse::<u64>()?);
        }
    }
    let size = |name: &str| sections.get(name).copied().unwrap_or(0);
    ensure!(size(".text") > 0, "llvm-size output: {sizes}");
    let data = size(".data");
    let flash =
        size(".vector_table") + size(".text") + size(".rodata") + data + size(".gnu.sgstubs");
    let ram = data + size(".bss") + size(".uninit");
    eprintln!(
        "==> scanner-qemu: flash {flash} bytes of {FLASH_BUDGET} ({:.1} KiB), static RAM {ram} \
         bytes of {STATIC_RAM_BUDGET}; test vectors beside it {} bytes",
        flash as f64 / 1024.0,
        size(".vectors")
    );
    if flash > FLASH_BUDGET || ram > STATIC_RAM_BUDGET {
        bail!("scanner-qemu is over its budget");
    }
    Ok(())
}

fn vectors(check: bool) -> Result<()> {
    if check {
        run(
            "golden vectors reproduce",
            cargo().args([
                "test",
                "-p",
                "stay-tests",
                "--test",
                "golden",
                "--test",
                "apdu",
            ]),
        )
    } else {
        run(
            "golden vectors and APDU transcripts",
            cargo().args([
                "run",
                "-q",
                "-p",
                "stay-tests",
                "--example",
                "write_testdata",
            ]),
        )
    }
}

/// `cargo xtask sandbox [-- CMD ARGS..]`: a private pcscd with the vpcd reader, and CMD (a
/// shell by default) inside its namespaces; everything ends when CMD does.
fn sandbox(args: &[String]) -> Result<()> {
    use card_applet_sim::sandbox::{self, Sandbox};
    let command: Vec<String> = match args.iter().position(|a| a == "--") {
        Some(i) => args[i + 1..].to_vec(),
        None => args.to_vec(),
    };
    if !sandbox::is_isolated() {
        setup()?;
        let mut me = Command::new(std::env::current_exe()?);
        me.arg("sandbox").arg("--").args(&command);
        let status = sandbox::run_isolated(&me)?;
        if !status.success() {
            bail!("sandbox command ended with {status}");
        }
        return Ok(());
    }
    let dir = root().join("target/pcsc-sandbox");
    std::fs::create_dir_all(&dir)?;
    let pcscd = Sandbox::start(&dir)?;
    eprintln!(
        "==> private pcscd ready; readers \"{}\" (card: --vpcd {}) and \"{}\" (--vpcd {}); log {}",
        pcscd.reader_name(0),
        pcscd.vpcd_addr(0),
        pcscd.reader_name(1),
        pcscd.vpcd_addr(1),
        dir.join("pcscd.log").display()
    );
    let mut cmd = match command.split_first() {
        Some((program, rest)) => {
            let mut c = Command::new(program);
            c.args(rest);
            c
        }
        None => Command::new(std::env::var("SHELL").unwrap_or_else(|_| "/bin/sh".into())),
    };
    let status = cmd.status().context("cannot start the sandbox command")?;
    if !status.success() {
        bail!("{status}");
    }
    Ok(())
}

/// Runs one `reader-host verify`, shows its output, and returns the demo summary's line.
fn verdict_line(label: &str, role: &str, verify: &mut Command) -> Result<String> {
    let out = verify.output()?;
    print!("{}", String::from_utf8_lossy(&out.stdout));
    eprint!("{}", String::from_utf8_lossy(&out.stderr));
    let first = String::from_utf8_lossy(&out.stdout)
        .lines()
        .take(2)
        .map(str::trim)
        .collect::<Vec<_>>()
        .join(" / ");
    Ok(format!(
        "  {label:<22} {role:<9} exit {}  {first}",
        out.status.code().unwrap_or(-1)
    ))
}

/// The card part of the demo; runs inside the sandbox's namespaces.
fn demo_card(work: &Path) -> Result<()> {
    use card_applet_sim::sandbox::Sandbox;
    let bin = root().join("target/debug");
    let pcsc_dir = work.join("pcsc");
    std::fs::create_dir_all(&pcsc_dir)?;
    let sandbox = Sandbox::start(&pcsc_dir)?;
    let reader = sandbox.reader_name(0);
    eprintln!(
        "==> pcscd ready: reader \"{reader}\", vpcd at {}",
        sandbox.vpcd_addr(0)
    );
    run(
        "card-applet-sim blank (a blank card from the card maker)",
        Command::new(bin.join("card-applet-sim"))
            .current_dir(work)
            .args([
                "blank",
                "--personalization-key",
                "authority/personalization.pub.pem",
                "--serial",
                "4B47000000000042",
                "card.json",
            ]),
    )?;
    let card = Command::new(bin.join("card-applet-sim"))
        .current_dir(work)
        .args(["--image", "card.json", "--vpcd", &sandbox.vpcd_addr(0)])
        .spawn()
        .context("cannot start card-applet-sim")?;
    struct Kill(std::process::Child);
    impl Drop for Kill {
        fn drop(&mut self) {
            let _ = self.0.kill();
            let _ = self.0.wait();
        }
    }
    let _card = Kill(card);
    let reader_host = || {
        let mut c = Command::new(bin.join("reader-host"));
        c.current_dir(work);
        c
    };
    let list = [
        "--trust-list",
        "authority/trust.list",
        "--root-key",
        "authority/root.pub.pem",
    ];
    // The application is the demo holder's file without what the station itself decides:
    // the document number (drawn from its journal), the issue date, the chip key and the
    // portrait digest.
    let holder = std::fs::read_to_string(work.join("authority/holders/resident-card.toml"))?;
    let application: String = [
        "application_id = \"DEMO-0001\"",
        "portrait = \"authority/holders/resident-card.jpg\"",
    ]
    .into_iter()
    .chain(holder.lines().filter(|line| {
        ![
            "document_number",
            "issue_date",
            "chip_public_key",
            "portrait_digest",
        ]
        .iter()
        .any(|field| line.starts_with(field))
    }))
    .map(|line| format!("{line}\n"))
    .collect();
    std::fs::write(work.join("application.toml"), application)?;
    let _ = std::fs::remove_file(work.join("station.sqlite"));
    // The signer keys stay with the signing service; the station holds only its token.
    eprintln!("\n==> issuer serve (the signing service, on loopback)");
    let mut service = Command::new(bin.join("issuer"))
        .current_dir(work)
        .args(["serve", "--register", "signing.sqlite"])
        .args(
            ["resident-card", "unified-window", "digital-nomad"]
                .map(|t| format!("--key=authority/{t}.key.pem")),
        )
        .stdout(std::process::Stdio::piped())
        .spawn()
        .context("cannot start issuer serve")?;
    let mut ready = String::new();
    std::io::BufRead::read_line(
        &mut std::io::BufReader::new(service.stdout.take().context("stdout")?),
        &mut ready,
    )?;
    let _service = Kill(service);
    let url = ready
        .trim()
        .strip_prefix("listening on ")
        .with_context(|| format!("issuer serve said {ready:?}"))?
        .to_string();
    run(
        "station (key generation on the card, record, lock, proof, QR code)",
        Command::new(bin.join("station"))
            .current_dir(work)
            .args([
                "--application",
                "application.toml",
                "--journal",
                "station.sqlite",
                "--number-prefix",
                "RC",
                "--out",
                "card-faces",
                "--signing-service",
                &url,
                "--token-file",
                "authority/station-1.token",
                "--personalization-key",
                "authority/personalization.key.pem",
                "--reader",
                &reader,
                "--wait",
                "10",
            ])
            .args(list),
    )?;
    // The CAN the station drew and printed on the card face (`card-faces/*.png`): what a
    // guard reads off the card. Here from the card's own memory, which the simulator keeps.
    let can = card_applet_sim::CardImage::read(&work.join("card.json"))?
        .can
        .context("the station left no CAN on the card")?;
    let can = String::from_utf8_lossy(can.digits()).into_owned();
    eprintln!("\n==> the card face says CAN {can}");
    let mut summary = Vec::new();
    for (role, extra) in [
        ("border", vec![]),
        (
            "employer",
            vec!["--employer-tin", issuer::authority::DEMO_EMPLOYER_TIN],
        ),
    ] {
        eprintln!("\n==> reader-host verify --card --role {role}");
        summary.push(verdict_line(
            "card (chip, pcscd)",
            role,
            reader_host()
                .args(["verify", "--card", "--reader", &reader, "--role", role])
                .args(["--can", &can])
                .args(&extra)
                .args(list),
        )?);
    }
    summary.push(kiosk(work, &reader_host, &can)?);
    std::fs::write(work.join("card-summary.txt"), summary.join("\n") + "\n")?;
    Ok(())
}

/// The desk daemon on the card still in the reader: waits for its verdict on the event
/// stream, photographs the kiosk page with headless Chromium, stops.
/// A child process of the demo, stopped when the demo is done with it.
struct Stop(std::process::Child);

impl Drop for Stop {
    fn drop(&mut self) {
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}

fn kiosk(work: &Path, reader_host: &dyn Fn() -> Command, can: &str) -> Result<String> {
    use std::io::{BufRead, BufReader, Write};
    std::fs::write(
        work.join("desk.toml"),
        "role = \"border\"\ndata_dir = \"desk\"\nlisten = \"127.0.0.1:8470\"\n\n\
         [trust_list]\nroot_key = \"authority/root.pub.pem\"\nseed = \"authority/trust.list\"\n",
    )?;
    eprintln!("\n==> reader-host serve --config desk.toml (the desk daemon)");
    let mut daemon = reader_host()
        .args(["serve", "--config", "desk.toml"])
        .stdout(std::process::Stdio::piped())
        .spawn()
        .context("cannot start reader-host serve")?;
    let mut line = String::new();
    BufReader::new(daemon.stdout.take().expect("piped")).read_line(&mut line)?;
    let _daemon = Stop(daemon);
    print!("{line}");
    line.split_whitespace()
        .find(|w| w.starts_with("http://"))
        .context("reader-host serve printed no URL")?;
    // The kiosk's address carries the desk token (in its fragment); API calls carry it too.
    let out = reader_host()
        .args(["kiosk-url", "--config", "desk.toml"])
        .output()
        .context("reader-host kiosk-url")?;
    ensure!(out.status.success(), "reader-host kiosk-url failed");
    let url = String::from_utf8(out.stdout)?.trim().to_string();
    let token = url
        .split("#token=")
        .nth(1)
        .context("no token in the kiosk URL")?
        .to_string();
    // The card is in the reader; the desk asks for its CAN, typed as at the kiosk.
    let body = format!("{{\"can\": \"{can}\"}}");
    for attempt in 0..50 {
        let sent = std::net::TcpStream::connect("127.0.0.1:8470").and_then(|mut http| {
            http.write_all(
                format!(
                    "POST /api/can HTTP/1.1\r\nHost: 127.0.0.1\r\n\
                     Authorization: Bearer {token}\r\nContent-Type: application/json\r\n\
                     Content-Length: {}\r\nConnection: close\r\n\r\n{body}",
                    body.len()
                )
                .as_bytes(),
            )?;
            let mut answer = String::new();
            std::io::Read::read_to_string(&mut http, &mut answer)?;
            Ok(answer)
        });
        match sent {
            Ok(answer) if answer.starts_with("HTTP/1.1 200") => break,
            _ if attempt < 49 => std::thread::sleep(std::time::Duration::from_millis(100)),
            other => bail!("the desk refused the CAN: {other:?}"),
        }
    }
    // Its verdict follows on the event stream and among the recent ones: ask for those
    // (briefly, until it is there).
    let mut verdict = None;
    for _ in 0..200 {
        let mut http = std::net::TcpStream::connect("127.0.0.1:8470")?;
        http.write_all(
            format!(
                "GET /api/verdicts?limit=10 HTTP/1.1\r\nHost: 127.0.0.1\r\n\
                 Authorization: Bearer {token}\r\nConnection: close\r\n\r\n"
            )
            .as_bytes(),
        )?;
        let mut body = String::new();
        std::io::Read::read_to_string(&mut http, &mut body)?;
        if let Some(at) = body.find("\"kind\":\"verdict\"") {
            verdict = Some(body[at..].to_string());
            break;
        }
        std::thread::sleep(std::time::Duration::from_millis(100));
    }
    let verdict = verdict.context("no verdict from the daemon within 20 s")?;
    let message = verdict
        .split("\"message\":\"")
        .nth(1)
        .and_then(|m| m.split('"').next())
        .unwrap_or("?")
        .to_string();
    let shot = work.join("kiosk.png");
    let photo = match kiosk_photo(work, &url, &shot) {
        Ok(()) => format!("photo {}", shot.display()),
        Err(e) => format!("no kiosk photo: {e:#}"),
    };
    println!("kiosk at http://127.0.0.1:8470/: {message} ({photo})");
    Ok(format!(
        "  {:<22} {:<9} {message}  ({photo})",
        "card, desk daemon", "border"
    ))
}

/// A photo of the kiosk once it shows the card's verdict and its portrait, through
/// chromedriver: a one-shot `chromium --screenshot` cannot wait for the page's event
/// stream (virtual time never advances while it is open).
fn kiosk_photo(work: &Path, url: &str, shot: &Path) -> Result<()> {
    use base64::Engine as _;
    use std::io::BufRead;
    const DRIVER: &str = "http://127.0.0.1:9517";
    let mut driver = Command::new("chromedriver")
        .arg("--port=9517")
        .stdout(std::process::Stdio::piped())
        .stderr(std::process::Stdio::null())
        .spawn()
        .context("cannot run chromedriver (Debian package chromium-driver)")?;
    let mut out = std::io::BufReader::new(driver.stdout.take().expect("piped"));
    let _driver = Stop(driver);
    let mut line = String::new();
    while !line.contains("started successfully") {
        line.clear();
        ensure!(
            out.read_line(&mut line)? > 0,
            "chromedriver ended before it listened"
        );
    }
    std::thread::spawn(move || std::io::copy(&mut out, &mut std::io::sink()));
    let profile = work.join("chromium-profile");
    let created: serde_json::Value = ureq::post(&format!("{DRIVER}/session"))
        .send_json(serde_json::json!({"capabilities": {"alwaysMatch": {
            "browserName": "chrome",
            "goog:chromeOptions": {
                "binary": "/usr/bin/chromium",
                "args": ["--headless=new", "--no-sandbox", "--disable-gpu",
                         "--disable-dev-shm-usage", "--no-first-run",
                         "--disable-background-networking", "--disable-component-update",
                         "--disable-sync", "--window-size=1280,800",
                         format!("--user-data-dir={}", profile.display())]
            }
        }}}))?
        .into_json()?;
    let session = created["value"]["sessionId"]
        .as_str()
        .with_context(|| format!("no WebDriver session: {created}"))?
        .to_string();
    let at = |path: &str| format!("{DRIVER}/session/{session}/{path}");
    let result = (|| -> Result<()> {
        ureq::post(&at("url")).send_json(serde_json::json!({ "url": url }))?;
        // Shown: the verdict, and the portrait decoded (the page fetches it after the
        // verdict, as the desk reads it after the verdict's own APDUs).
        let ready = "const v = document.getElementById('verdict');                      const p = document.getElementById('portrait-img');                      return v && v.dataset.status !== undefined && v.dataset.status !== ''                         && v.dataset.status !== 'waiting'                         && (!p.hidden && p.complete && p.naturalWidth > 0);";
        let deadline = std::time::Instant::now() + std::time::Duration::from_secs(20);
        loop {
            let answer: serde_json::Value = ureq::post(&at("execute/sync"))
                .send_json(serde_json::json!({"script": ready, "args": []}))?
                .into_json()?;
            if answer["value"] == true {
                break;
            }
            ensure!(
                std::time::Instant::now() < deadline,
                "the kiosk showed no verdict with a portrait within 20 s"
            );
            std::thread::sleep(std::time::Duration::from_millis(100));
        }
        let png: serde_json::Value = ureq::get(&at("screenshot")).call()?.into_json()?;
        let png = base64::engine::general_purpose::STANDARD.decode(
            png["value"]
                .as_str()
                .context("the screenshot is not base64")?,
        )?;
        std::fs::write(shot, png)?;
        Ok(())
    })();
    let _ = ureq::delete(&format!("{DRIVER}/session/{session}")).call();
    result
}

fn bench() -> Result<()> {
    setup()?;
    run(
        "criterion benchmarks",
        cargo().args(["bench", "-p", "stay-tests", "--bench", "verify"]),
    )?;
    run(
        "QR benchmark: ZXing's photo corpus at four rotations, zbarimg beside; camera frames",
        cargo().args(["bench", "-p", "stay-tests", "--bench", "qr_corpus"]),
    )?;
    run(
        "PC/SC benchmark: the card through pcscd + vpcd, pyscard beside",
        cargo().args(["bench", "-p", "stay-tests", "--bench", "pcsc"]),
    )?;
    run(
        "desk benchmark: card-present-to-verdict, verdicts per second through the API",
        cargo().args(["bench", "-p", "stay-tests", "--bench", "desk"]),
    )?;
    run(
        "station benchmark: cards per minute, in-process and through pcscd",
        cargo().args(["bench", "-p", "stay-tests", "--bench", "station"]),
    )?;
    run(
        "openssl speed ecdsap256 (peer figure)",
        Command::new("openssl").args(["speed", "-seconds", "5", "ecdsap256"]),
    )?;
    Ok(())
}

fn demo() -> Result<()> {
    setup()?;
    run(
        "build issuer, card-applet-sim and reader-host",
        cargo().args([
            "build",
            "--quiet",
            "-p",
            "issuer",
            "-p",
            "card-applet-sim",
            "-p",
            "reader-host",
            "-p",
            "station",
        ]),
    )?;
    let bin = root().join("target/debug");
    let work = root().join("target/demo");
    if work.exists() {
        std::fs::remove_dir_all(&work)?;
    }
    std::fs::create_dir_all(&work)?;
    let auth = work.join("authority");
    let issuer = |args: &[&str]| {
        let mut c = Command::new(bin.join("issuer"));
        c.args(args).current_dir(&work);
        c
    };
    run("issuer init authority", &mut issuer(&["init", "authority"]))?;
    // QR-only documents are signed here; a resident card is a chip card, so its record is
    // signed only for the key its chip generates, at the station (the card part below).
    let documents = [
        ("unified-window", "unified-window"),
        ("digital-nomad", "digital-nomad"),
    ];
    for (holder, key) in documents {
        run(
            &format!("issuer sign-record {holder}"),
            &mut issuer(&[
                "sign-record",
                "--key",
                &format!("authority/{key}.key.pem"),
                "--in",
                &format!("authority/holders/{holder}.toml"),
                "--out",
                &format!("{holder}.bin"),
            ]),
        )?;
        run(
            &format!("issuer qr {holder}"),
            &mut issuer(&[
                "qr",
                &format!("{holder}.bin"),
                "--out",
                &format!("{holder}.png"),
            ]),
        )?;
    }
    run(
        "issuer show unified-window.bin",
        &mut issuer(&["show", "unified-window.bin"]),
    )?;
    run(
        "issuer show trust.list",
        &mut issuer(&[
            "show",
            "authority/trust.list",
            "--root-key",
            "authority/root.pub.pem",
        ]),
    )?;

    // `reader-host verify --qr IMAGE` against the demo authority's list, for a role.
    let verify_qr = |role: &str, extra: &[&str], image: &str| {
        let mut c = Command::new(bin.join("reader-host"));
        c.current_dir(&work)
            .args([
                "verify",
                "--trust-list",
                "authority/trust.list",
                "--root-key",
                "authority/root.pub.pem",
                "--role",
                role,
            ])
            .args(extra)
            .args(["--qr", image]);
        c
    };
    let mut summary = Vec::new();
    for (holder, _) in documents {
        for (role, extra) in [
            ("border", vec![]),
            (
                "employer",
                vec!["--employer-tin", issuer::authority::DEMO_EMPLOYER_TIN],
            ),
        ] {
            let image = format!("{holder}.png");
            let mut c = verify_qr(role, &extra, &image);
            eprintln!("\n==> reader-host verify --role {role} --qr {image}");
            summary.push(verdict_line(holder, role, &mut c)?);
        }
    }
    // The card: a private pcscd with the vpcd reader, a blank simulated card, the station
    // personalizes it, then a border guard's and an employer's reader check it.
    let mut card_step = Command::new(std::env::current_exe()?);
    card_step.arg("demo-card").arg(&work);
    eprintln!("\n==> the card, through a private pcscd (unshare: mount, network, PID namespaces)");
    let status = card_applet_sim::sandbox::run_isolated(&card_step)?;
    if !status.success() {
        bail!("the card demo failed ({status})");
    }
    summary.extend(
        std::fs::read_to_string(work.join("card-summary.txt"))?
            .lines()
            .map(String::from),
    );
    // The card face's QR is a printed copy of the chip's record: genuine data, no card.
    for face in std::fs::read_dir(work.join("card-faces"))? {
        let face = face?.path();
        if face.extension().is_none_or(|e| e != "png") {
            continue;
        }
        let image = face.to_string_lossy().into_owned();
        eprintln!("\n==> reader-host verify --role border --qr {image} (the card face, printed)");
        let mut c = verify_qr("border", &[], &image);
        summary.push(verdict_line("card face QR (printed)", "border", &mut c)?);
    }
    println!(
        "\nDemo summary (QR images verified offline, the card through pcscd; files in {}):",
        work.display()
    );
    for line in summary {
        println!("{line}");
    }
    println!("\nTry: target/debug/reader-host verify --trust-list {0}/trust.list --root-key {0}/root.pub.pem --qr {1}/unified-window.png", auth.display(), work.display());
    Ok(())
}

fn main() -> Result<()> {
    let args: Vec<String> = std::env::args().skip(1).collect();
    match args.first().map(String::as_str) {
        Some("demo") => demo(),
        Some("test") => test(),
        Some("setup") => setup(),
        Some("fuzz") => {
            let mut seconds = 600;
            let mut only = Vec::new();
            let mut rest = args[1..].iter();
            while let Some(a) = rest.next() {
                if a == "--seconds" {
                    seconds = rest.next().context("--seconds N")?.parse()?;
                } else {
                    only.push(a.clone());
                }
            }
            fuzz(seconds, &only)
        }
        Some("bench") => bench(),
        Some("soak") => {
            let minutes: u64 = match args.get(1).map(String::as_str) {
                Some("--minutes") => args.get(2).context("--minutes N")?.parse()?,
                _ => 10,
            };
            setup()?;
            run(
                &format!("soak: the daemon's API under load for {minutes} min"),
                cargo()
                    .args(["bench", "-p", "stay-tests", "--bench", "soak"])
                    .env("SOAK_SECONDS", (minutes * 60).to_string()),
            )
        }
        Some("scanner") => setup().and_then(|()| scanner()),
        Some("sandbox") => sandbox(&args[1..]),
        Some("demo-card") => demo_card(Path::new(
            args.get(1).context("demo-card WORK_DIR (run by `cargo xtask demo`)")?,
        )),
        Some("vectors") => vectors(args.iter().any(|a| a == "--check")),
        _ => bail!("usage: cargo xtask demo | test | setup | fuzz [--seconds N] [TARGET..] | bench | soak [--minutes N] | scanner | vectors [--check] | sandbox [-- CMD ARGS..]"),
    }
}
