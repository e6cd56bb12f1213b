//! `card-applet-sim`: a resident card in pcscd's vpcd virtual reader.
//!
//!     card-applet-sim blank --personalization-key perso.pub.pem --serial 0102030405060708 CARD.json
//!     card-applet-sim --image CARD.json [--vpcd 127.0.0.1:35963] [--contactless]

use std::path::{Path, PathBuf};
use std::process::ExitCode;

use anyhow::{bail, Context, Result};
use card_applet_sim::vpcd::{Applications, Card, DEFAULT_PORT};
use card_applet_sim::{CardImage, Interface};
use clap::{Parser, Subcommand};
use stay_core::apdu::SERIAL_LEN;

#[derive(Parser)]
#[command(
    version,
    about = "The resident card, simulated, in pcscd's vpcd virtual reader"
)]
#[command(args_conflicts_with_subcommands = true)]
struct Cli {
    #[command(subcommand)]
    command: Option<Cmd>,
    /// The card's image file (its persistent memory); required to insert a card.
    #[arg(long)]
    image: Option<PathBuf>,
    /// vpcd's address: HOST:PORT (slot n of a default vpcd listens on port 35963 + n).
    #[arg(long, default_value_t = format!("127.0.0.1:{DEFAULT_PORT}"))]
    vpcd: String,
    /// Present the contactless personality (ISO 14443-4 ATR, PC/SC part 3).
    #[arg(long)]
    contactless: bool,
    /// Do not re-arm TCP_QUICKACK (only to measure the ~40 ms per APDU it saves).
    #[arg(long)]
    no_quickack: bool,
    /// Log every command and response on stderr.
    #[arg(long, short)]
    verbose: bool,
    /// Leave the reader after answering N commands (a card pulled out mid-session).
    #[arg(long, value_name = "N")]
    pull_after: Option<u64>,
    /// After answering N commands, create FILE and answer nothing more until pcscd closes
    /// the connection (a test kills pcscd at that step); then serve as usual.
    #[arg(long, num_args = 2, value_names = ["N", "FILE"])]
    hold_after: Option<Vec<String>>,
    /// A bank card without the resident-card application (only the payment application
    /// and its PPSE answer).
    #[arg(long)]
    payment_only: bool,
    /// Refuse extended-length APDUs with 6700 (a card or reader without extended length).
    #[arg(long)]
    short_only: bool,
}

#[derive(Subcommand)]
enum Cmd {
    /// Writes a blank card image, as the card maker ships it.
    Blank {
        /// The issuing office's personalization public key (SPKI PEM).
        #[arg(long)]
        personalization_key: PathBuf,
        /// Serial number, 16 hex digits (random when absent).
        #[arg(long)]
        serial: Option<String>,
        /// Replace an existing image (a personalized card is destroyed).
        #[arg(long)]
        force: bool,
        out: PathBuf,
    },
}

fn blank(key: &Path, serial: Option<&str>, force: bool, out: &Path) -> Result<()> {
    if out.exists() && !force {
        bail!(
            "{} exists; a card image is never overwritten without --force",
            out.display()
        );
    }
    let key = stay_std::pem::read_public(key)?;
    let serial: [u8; SERIAL_LEN] = match serial {
        Some(text) => hex::decode(text)
            .ok()
            .and_then(|b| b.try_into().ok())
            .context("--serial: 16 hex digits")?,
        None => {
            let mut s = [0u8; SERIAL_LEN];
            rand_core::RngCore::fill_bytes(&mut rand_core::OsRng, &mut s);
            s
        }
    };
    CardImage::blank(serial, &key).write(out)?;
    println!(
        "blank card {} written to {}",
        hex::encode_upper(serial),
        out.display()
    );
    Ok(())
}

fn main() -> ExitCode {
    let cli = Cli::parse();
    let result = match &cli.command {
        Some(Cmd::Blank {
            personalization_key,
            serial,
            force,
            out,
        }) => blank(personalization_key, serial.as_deref(), *force, out),
        None => match &cli.image {
            None => Err(anyhow::anyhow!("--image CARD.json is required")),
            Some(image) => {
                let interface = if cli.contactless {
                    Interface::Contactless
                } else {
                    Interface::Contact
                };
                let applications = if cli.payment_only {
                    Applications::PaymentOnly
                } else {
                    Applications::Resident
                };
                Card::open(image.clone(), interface, applications).and_then(|mut card| {
                    card.quickack = !cli.no_quickack;
                    card.trace = cli.verbose;
                    card.faults.pull_after = cli.pull_after;
                    if let Some([n, file]) = cli.hold_after.as_deref() {
                        let n = n.parse().context("--hold-after N FILE: N is a count")?;
                        card.faults.hold_after = Some((n, PathBuf::from(file)));
                    }
                    card.faults.short_only = cli.short_only;
                    card.run(&cli.vpcd)
                })
            }
        },
    };
    match result {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("card-applet-sim: {e:#}");
            ExitCode::FAILURE
        }
    }
}
