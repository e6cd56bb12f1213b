//! `issuer`: the authority's command line.

use std::path::{Path, PathBuf};
use std::process::ExitCode;

use anyhow::{Context, Result};
use clap::{Parser, Subcommand};
use issuer::{keys, show, Holder, KeyPair, ListSource};
use stay_core::{Policy, TrustList, UnixTime};

#[derive(Parser)]
#[command(
    name = "issuer",
    version,
    about = "The issuing authority's tools: keys, signed stay records and trust lists, QR codes"
)]
struct Cli {
    #[command(subcommand)]
    command: Command,
}

#[derive(Subcommand)]
enum Command {
    /// Create a complete demo authority in DIR: root, signer and personalization keys,
    /// a signed trust list and sample holder files.
    Init { dir: PathBuf },
    /// Sign a holder file into a stay record, after checking it and the signer's rights.
    SignRecord {
        /// The signer's private key (PKCS#8 PEM).
        #[arg(long)]
        key: PathBuf,
        /// The holder file (TOML).
        #[arg(long = "in")]
        input: PathBuf,
        #[arg(long)]
        out: PathBuf,
        /// The authority's trust list [default: trust.list beside the key].
        #[arg(long)]
        trust_list: Option<PathBuf>,
        /// The root public key that signed the list [default: root.pub.pem beside the key].
        #[arg(long)]
        root_key: Option<PathBuf>,
    },
    /// Sign a trust list from its source file.
    SignList {
        /// The root private key (PKCS#8 PEM).
        #[arg(long)]
        key: PathBuf,
        /// The list source (TOML).
        #[arg(long = "in")]
        input: PathBuf,
        #[arg(long)]
        out: PathBuf,
    },
    /// Render a record's bytes as a QR code (.png or .svg, by the output's extension).
    Qr {
        record: PathBuf,
        #[arg(long)]
        out: PathBuf,
    },
    /// Decode a record or a trust list for people.
    Show {
        file: PathBuf,
        #[arg(long)]
        json: bool,
        /// Check a list's signature against this root public key.
        #[arg(long)]
        root_key: Option<PathBuf>,
    },
}

fn beside(key: &Path, name: &str) -> PathBuf {
    key.parent().unwrap_or(Path::new(".")).join(name)
}

fn now() -> UnixTime {
    let secs = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map_or(0, |d| d.as_secs());
    UnixTime(secs)
}

fn run(cli: Cli) -> Result<()> {
    match cli.command {
        Command::Init { dir } => {
            let authority = issuer::authority::init(&dir, now())?;
            println!("Authority created in {}", dir.display());
            println!(
                "  root key            {}  root.key.pem / root.pub.pem",
                authority.root.key_id()
            );
            for (t, k) in &authority.signers {
                println!("  signer {:<14}{}  {t}.key.pem", t.name(), k.key_id());
            }
            println!(
                "  personalization key {}  personalization.key.pem",
                authority.personalization.key_id()
            );
            println!("  trust list          trust.list (source: list.toml)");
            println!("  sample holders      holders/*.toml");
        }
        Command::SignRecord {
            key,
            input,
            out,
            trust_list,
            root_key,
        } => {
            let signer = KeyPair::read(&key)?;
            let list_path = trust_list.unwrap_or_else(|| beside(&key, "trust.list"));
            let root_path = root_key.unwrap_or_else(|| beside(&key, "root.pub.pem"));
            let root = keys::read_public(&root_path)?;
            let list_bytes = std::fs::read(&list_path).with_context(|| {
                format!(
                    "cannot read trust list {} (pass --trust-list)",
                    list_path.display()
                )
            })?;
            let list = TrustList::load(&list_bytes, &root, None)
                .map_err(|e| anyhow::anyhow!("trust list {}: {e}", list_path.display()))?;
            let text = std::fs::read_to_string(&input)
                .with_context(|| format!("cannot read {}", input.display()))?;
            let holder = Holder::from_toml(&text)
                .map_err(|e| anyhow::anyhow!("{}: {e}", input.display()))?;
            let record = issuer::sign_record(&holder, &signer, &list, &Policy::DEFAULT)
                .map_err(|e| anyhow::anyhow!("refused to sign {}: {e}", input.display()))?;
            issuer::files::write_atomic(&out, &record)?;
            println!(
                "{}: {} bytes, {} {}",
                out.display(),
                record.len(),
                holder.document_type,
                holder.document_number
            );
        }
        Command::SignList { key, input, out } => {
            let root = KeyPair::read(&key)?;
            let source = ListSource::read(&input)?;
            let base = input.parent().unwrap_or(Path::new("."));
            let list = source.spec(base)?.seal(&root)?;
            TrustList::load(&list, &root.public_key(), None)
                .map_err(|e| anyhow::anyhow!("the signed list does not load back: {e}"))?;
            issuer::files::write_atomic(&out, &list)?;
            println!(
                "{}: {} bytes, sequence {}",
                out.display(),
                list.len(),
                source.sequence
            );
        }
        Command::Qr { record, out } => {
            let bytes = std::fs::read(&record)
                .with_context(|| format!("cannot read {}", record.display()))?;
            stay_core::StayRecord::parse(&bytes)
                .map_err(|e| anyhow::anyhow!("{} is not a stay record: {e}", record.display()))?;
            issuer::qr::write(&bytes, &out)?;
            println!("{}: QR code of {} bytes", out.display(), bytes.len());
        }
        Command::Show {
            file,
            json,
            root_key,
        } => {
            let bytes =
                std::fs::read(&file).with_context(|| format!("cannot read {}", file.display()))?;
            let root = root_key.as_deref().map(keys::read_public).transpose()?;
            let shown = show::decode(&bytes, root.as_ref())
                .map_err(|e| anyhow::anyhow!("{}: {e}", file.display()))?;
            if json {
                let v = match &shown {
                    show::Shown::Record(v) | show::Shown::List(v) => v,
                };
                println!("{}", serde_json::to_string_pretty(v)?);
            } else {
                print!("{}", show::to_text(&shown));
            }
        }
    }
    Ok(())
}

fn main() -> ExitCode {
    match run(Cli::parse()) {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("issuer: {e:#}");
            ExitCode::FAILURE
        }
    }
}
