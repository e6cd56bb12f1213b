//! `reader-host`: verify resident cards and stay documents.

use std::path::PathBuf;
use std::process::ExitCode;

use anyhow::{Context, Result};
use clap::{Parser, Subcommand, ValueEnum};
use reader_host::{card, pcsc_reader, qr, report};
use stay_core::{Check, Policy, Presentation, Role, Status, TrustList, UnixTime};

/// Exit statuses: the verdict, or what kept the check from running (sysexits.h).
mod exit {
    pub const VALID: u8 = 0;
    pub const INVALID: u8 = 1;
    pub const INDETERMINATE: u8 = 2;
    pub const USAGE: u8 = 64;
    pub const DATA: u8 = 65;
    pub const NO_INPUT: u8 = 66;
}

#[derive(Parser)]
#[command(
    name = "reader-host",
    version,
    about = "Verify Kyrgyz resident cards and stay documents"
)]
struct Cli {
    #[command(subcommand)]
    command: Command,
}

#[derive(Clone, Copy, ValueEnum)]
enum RoleArg {
    Border,
    Employer,
}

#[derive(Subcommand)]
enum Command {
    /// Verify one record offline. Exit status: 0 valid, 1 invalid, 2 indeterminate,
    /// 64 usage, 65 unusable trust list or unreadable QR, 66 input file missing.
    Verify {
        /// The signed trust list.
        #[arg(long)]
        trust_list: PathBuf,
        /// The pinned root public key (SPKI PEM).
        #[arg(long)]
        root_key: PathBuf,
        #[arg(long, value_enum, default_value = "border")]
        role: RoleArg,
        /// This employer's 14-digit taxpayer number (with --role employer).
        #[arg(long, required_if_eq("role", "employer"))]
        employer_tin: Option<String>,
        /// Check as of this time (RFC 3339) instead of now.
        #[arg(long)]
        at: Option<String>,
        #[arg(long)]
        json: bool,
        /// The record's bytes, as written on the chip.
        #[arg(long, group = "source")]
        record: Option<PathBuf>,
        /// An image of the card's or document's QR code.
        #[arg(long, group = "source")]
        qr: Option<PathBuf>,
        /// Read the card in a PC/SC reader: record and chip proof (exit 66 when no card
        /// comes within --wait).
        #[arg(long, group = "source")]
        card: bool,
        /// The PC/SC reader to use (default: the first with a card).
        #[arg(long, requires = "card")]
        reader: Option<String>,
        /// Seconds to wait for a card.
        #[arg(long, default_value_t = 10.0, requires = "card")]
        wait: f32,
    },
}

/// A failure before any verdict, with its exit status.
struct Failure(u8, anyhow::Error);

fn fail(code: u8) -> impl FnOnce(anyhow::Error) -> Failure {
    move |e| Failure(code, e)
}

fn read(path: &PathBuf, what: &str) -> Result<Vec<u8>, Failure> {
    std::fs::read(path)
        .with_context(|| format!("cannot read {what} {}", path.display()))
        .map_err(fail(exit::NO_INPUT))
}

/// A border check's card part through PC/SC: wait for a card, SELECT, READ BINARY,
/// INTERNAL AUTHENTICATE with a fresh challenge.
fn read_card(reader: Option<&str>, wait: f32) -> Result<(String, card::ChipReading), Failure> {
    let wait = std::time::Duration::try_from_secs_f32(wait)
        .map_err(|_| Failure(exit::USAGE, anyhow::anyhow!("--wait: seconds")))?;
    let ctx = pcsc_reader::establish().map_err(fail(exit::NO_INPUT))?;
    let presence = pcsc_reader::wait_for_card(&ctx, reader, wait).map_err(fail(exit::NO_INPUT))?;
    let mut connection =
        pcsc_reader::connect(&ctx, &presence.reader).map_err(fail(exit::NO_INPUT))?;
    let chip = card::Session::new(&mut connection)
        .read_for_border_check(card::fresh_challenge())
        .map_err(|e| Failure(exit::DATA, e.into()))?;
    Ok((format!("card:{}", presence.reader.to_string_lossy()), chip))
}

fn run(command: Command) -> Result<u8, Failure> {
    let Command::Verify {
        trust_list,
        root_key,
        role,
        employer_tin,
        at,
        json,
        record,
        qr,
        card,
        reader,
        wait,
    } = command;
    if let Some(tin) = &employer_tin {
        if !stay_core::record::is_digits(tin, stay_core::record::TIN_LEN) {
            return Err(Failure(
                exit::USAGE,
                anyhow::anyhow!("--employer-tin must be 14 digits"),
            ));
        }
    }
    let now = match &at {
        Some(text) => issuer::list::parse_rfc3339("--at", text).map_err(fail(exit::USAGE))?,
        None => UnixTime(
            std::time::SystemTime::now()
                .duration_since(std::time::UNIX_EPOCH)
                .map_or(0, |d| d.as_secs()),
        ),
    };
    let root = issuer::keys::read_public(&root_key).map_err(fail(exit::DATA))?;
    let list_bytes = read(&trust_list, "trust list")?;
    let list = TrustList::load(&list_bytes, &root, None).map_err(|e| {
        Failure(
            exit::DATA,
            anyhow::anyhow!("trust list {} refused: {e}", trust_list.display()),
        )
    })?;
    let mut reading = None;
    let (bytes, source) = match (record, qr) {
        _ if card => {
            let (source, chip) = read_card(reader.as_deref(), wait)?;
            let bytes = chip.record.clone();
            reading = Some(chip);
            (bytes, source)
        }
        (Some(path), _) => (read(&path, "record")?, format!("file:{}", path.display())),
        (None, Some(path)) => {
            if !path.exists() {
                return Err(Failure(
                    exit::NO_INPUT,
                    anyhow::anyhow!("no such image {}", path.display()),
                ));
            }
            (
                qr::record_from_image(&path).map_err(fail(exit::DATA))?,
                format!("qr:{}", path.display()),
            )
        }
        (None, None) => {
            return Err(Failure(
                exit::USAGE,
                anyhow::anyhow!("give --record, --qr or --card"),
            ))
        }
    };
    let role = match role {
        RoleArg::Border => Role::Border,
        RoleArg::Employer => Role::Employer {
            tin: employer_tin.as_deref().unwrap_or_default(),
        },
    };
    let check = Check {
        now,
        role,
        presentation: match &reading {
            Some(chip) => Presentation::Chip {
                proof: chip.proof(),
            },
            None => Presentation::Printed,
        },
        policy: &Policy::DEFAULT,
    };
    let verdict = stay_core::verify(&bytes, &list, &check);
    if json {
        println!("{}", report::to_json(&verdict, &role, &source, now, &list));
    } else {
        print!("{}", report::to_text(&verdict, &role, &source));
    }
    Ok(match verdict.status {
        Status::Valid => exit::VALID,
        Status::Invalid(_) => exit::INVALID,
        Status::Indeterminate(_) => exit::INDETERMINATE,
    })
}

fn main() -> ExitCode {
    let cli = match Cli::try_parse() {
        Ok(cli) => cli,
        Err(e) => {
            let code = if e.use_stderr() { exit::USAGE } else { 0 };
            let _ = e.print();
            return ExitCode::from(code);
        }
    };
    match run(cli.command) {
        Ok(code) => ExitCode::from(code),
        Err(Failure(code, e)) => {
            eprintln!("reader-host: {e:#}");
            ExitCode::from(code)
        }
    }
}
