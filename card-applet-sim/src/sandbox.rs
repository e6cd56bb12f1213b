//! A private PC/SC world for tests, benchmarks and the demo: its own `pcscd` with vpcd
//! readers, in fresh mount, network and PID namespaces, so it never meets the system's
//! pcscd, another test run's, or a real reader.
//!
//! A program calls [`reexec_isolated`] first: outside the namespaces it runs itself again
//! inside them (`unshare --mount --net --pid --fork`) and returns the child's exit status;
//! inside, it returns `None` and the program goes on to [`Sandbox::start`]. Teardown needs
//! no care: the program is PID 1 of its namespace, so when it exits the kernel ends every
//! process in it (pcscd, cards, clients), and the private `/run/pcscd` and loopback vanish.

use std::io::{BufRead, BufReader};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, ExitStatus, Stdio};
use std::sync::mpsc;
use std::time::Duration;

use anyhow::{bail, ensure, Context, Result};

use crate::vpcd::DEFAULT_PORT;

/// Set in the environment of a program running inside the sandbox's namespaces.
pub const SANDBOX_ENV: &str = "KG_STAY_PCSC_SANDBOX";

/// Whether this process already runs inside the sandbox's namespaces.
pub fn is_isolated() -> bool {
    std::env::var_os(SANDBOX_ENV).is_some()
}

/// Outside the sandbox: runs this same program with the same arguments inside new mount,
/// network and PID namespaces, and returns its exit status. Inside: returns `None`.
pub fn reexec_isolated() -> Result<Option<ExitStatus>> {
    if is_isolated() {
        return Ok(None);
    }
    let exe = std::env::current_exe().context("cannot find this program")?;
    let mut me = Command::new(exe);
    me.args(std::env::args_os().skip(1));
    run_isolated(&me).map(Some)
}

/// Runs `command` inside new mount, network and PID namespaces (where it can call
/// [`Sandbox::start`]) and returns its exit status.
pub fn run_isolated(command: &Command) -> Result<ExitStatus> {
    let status = Command::new("unshare")
        .args([
            "--mount",
            "--net",
            "--pid",
            "--fork",
            "--kill-child",
            "--mount-proc",
            "--propagation",
            "private",
            "--",
        ])
        .arg(command.get_program())
        .args(command.get_args())
        .envs(
            command
                .get_envs()
                .filter_map(|(k, v)| v.map(|v| (k.to_owned(), v.to_owned()))),
        )
        .env(SANDBOX_ENV, "1")
        .current_dir(command.get_current_dir().unwrap_or(Path::new(".")))
        .status()
        .context(
            "cannot run unshare (util-linux); the PC/SC sandbox needs root or user namespaces",
        )?;
    Ok(status)
}

/// pcscd with one vpcd reader of two slots, on private loopback.
///
/// One, because Debian's vpcd driver keeps its per-slot state in a static array indexed
/// by slot number alone: a second driver instance in the same pcscd takes over the first
/// one's slots, and cards connecting to the first instance's ports are never seen.
pub struct Sandbox {
    pcscd: Child,
    conf: PathBuf,
    log: PathBuf,
}

fn run(program: &str, args: &[&str]) -> Result<()> {
    let out = Command::new(program)
        .args(args)
        .output()
        .with_context(|| format!("cannot run {program}"))?;
    ensure!(
        out.status.success(),
        "{program} {}: {}",
        args.join(" "),
        String::from_utf8_lossy(&out.stderr).trim()
    );
    Ok(())
}

/// Where pcscd puts its socket; the sandbox mounts a private tmpfs over it.
const PCSCD_RUN_DIR: &str = "/run/pcscd";
/// Slots of the vpcd reader.
pub const SLOTS: usize = 2;
/// The sandbox's readers' names start with this.
pub const READER_NAME: &str = "KG Stay vpcd";
/// What pcscd prints once its socket accepts clients.
const READY_LINE: &str = "daemon ready";

/// Starts pcscd with the configuration folder `conf`, appends its log to `log`, and
/// returns once it accepts clients.
fn spawn_pcscd(conf: &Path, log: &Path) -> Result<Child> {
    let mut pcscd = Command::new("pcscd")
        .args(["--foreground", "--info", "--config"])
        .arg(conf)
        .stdout(Stdio::piped())
        .stderr(Stdio::null())
        .spawn()
        .context("cannot start pcscd (Debian package pcscd)")?;
    // pcscd logs to stdout in the foreground; copy it to the log file and report the
    // ready line: an event, not a guess at how long startup takes.
    let stdout = pcscd.stdout.take().expect("piped");
    let (ready_tx, ready_rx) = mpsc::channel();
    let mut file = std::fs::OpenOptions::new()
        .create(true)
        .append(true)
        .open(log)?;
    std::thread::spawn(move || {
        use std::io::Write;
        for line in BufReader::new(stdout).lines() {
            let Ok(line) = line else { break };
            let _ = writeln!(file, "{line}");
            if line.contains(READY_LINE) {
                let _ = ready_tx.send(());
            }
        }
    });
    if ready_rx.recv_timeout(Duration::from_secs(30)).is_err() {
        let status = pcscd.try_wait()?;
        let _ = pcscd.kill();
        bail!(
            "pcscd did not become ready ({status:?}); its log:\n{}",
            std::fs::read_to_string(log).unwrap_or_default()
        );
    }
    // A client that came right on the "ready" line has been told there is no service
    // (SCARD_E_NO_SERVICE): knock until the socket answers (bounded, not a guessed sleep).
    let socket = Path::new(PCSCD_RUN_DIR).join("pcscd.comm");
    let mut knocks = 0;
    while std::os::unix::net::UnixStream::connect(&socket).is_err() {
        knocks += 1;
        ensure!(
            knocks < 500,
            "pcscd's socket {} never accepted",
            socket.display()
        );
        std::thread::sleep(Duration::from_millis(10));
    }
    Ok(pcscd)
}

impl Sandbox {
    /// Starts pcscd inside the namespaces (see [`reexec_isolated`]) and returns once pcscd
    /// says it is ready. `dir` holds its configuration and log.
    pub fn start(dir: &Path) -> Result<Sandbox> {
        ensure!(
            is_isolated(),
            "Sandbox::start outside the sandbox's namespaces would touch the system's pcscd"
        );
        run("ip", &["link", "set", "lo", "up"])?;
        std::fs::create_dir_all(PCSCD_RUN_DIR)?;
        run("mount", &["-t", "tmpfs", "pcsc-sandbox", PCSCD_RUN_DIR])?;

        let conf = dir.join("reader.conf.d");
        std::fs::create_dir_all(&conf)?;
        std::fs::write(
            conf.join("vpcd"),
            format!(
                "FRIENDLYNAME \"{READER_NAME}\"\nDEVICENAME /dev/null:0x{DEFAULT_PORT:04X}\n\
                 LIBPATH /usr/lib/pcsc/drivers/serial/libifdvpcd.so\nCHANNELID 0x{DEFAULT_PORT:04X}\n"
            ),
        )?;
        let log = dir.join("pcscd.log");
        let pcscd = spawn_pcscd(&conf, &log)?;
        Ok(Sandbox { pcscd, conf, log })
    }

    /// Kills pcscd and starts it again, as an administrator's restart (or a crash and its
    /// supervisor) would. Clients must establish their contexts again; cards reconnect.
    pub fn restart_pcscd(&mut self) -> Result<()> {
        self.pcscd.kill()?;
        self.pcscd.wait()?;
        // A socket file left by the killed daemon would stop the new one from starting.
        let _ = std::fs::remove_file(Path::new(PCSCD_RUN_DIR).join("pcscd.comm"));
        self.pcscd = spawn_pcscd(&self.conf, &self.log)?;
        Ok(())
    }

    /// Number of vpcd slots (card positions).
    pub fn slots(&self) -> usize {
        SLOTS
    }

    /// The PC/SC name of `slot`'s reader: pcscd appends `00` and the driver's slot number
    /// to the configured name.
    pub fn reader_name(&self, slot: usize) -> String {
        assert!(slot < SLOTS, "slot {slot} of {SLOTS}");
        format!("{READER_NAME} 00 {slot:02}")
    }

    /// Where a card for `slot` connects.
    pub fn vpcd_addr(&self, slot: usize) -> String {
        assert!(slot < SLOTS, "slot {slot} of {SLOTS}");
        format!("127.0.0.1:{}", DEFAULT_PORT + slot as u16)
    }

    /// pcscd's log so far (for failure messages).
    pub fn log_text(&self) -> String {
        std::fs::read_to_string(&self.log).unwrap_or_default()
    }
}

impl Drop for Sandbox {
    fn drop(&mut self) {
        let _ = self.pcscd.kill();
        let _ = self.pcscd.wait();
    }
}
