//! `issuer`: the authority's command line.

use std::path::{Path, PathBuf};
use std::process::ExitCode;

use anyhow::{Context, Result};
use clap::{Parser, Subcommand};
use issuer::{show, Holder, KeyPair, ListSource};
use stay_core::{Policy, TrustList};

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
        /// A station's retired numbers (`retired-numbers.txt` in its --out folder: every
        /// spoiled card's number), revoked by the new list; repeat for each station.
        #[arg(long = "retired")]
        retired: Vec<PathBuf>,
        /// The list published before this one: the new sequence must be higher
        /// [default: the list already at --out, if it is one this root signed].
        #[arg(long)]
        previous: Option<PathBuf>,
    },
    /// Render a record's bytes as a QR code (.png or .svg, by the output's extension).
    Qr {
        record: PathBuf,
        #[arg(long)]
        out: PathBuf,
    },
    /// Run the signing service: stations send applications over HTTP with a bearer token
    /// and get signed records back, after the same checks as sign-record.
    Serve {
        /// A signer private key (PKCS#8 PEM); repeat for one key per document type. Each
        /// application is signed by the first key the list authorizes for it.
        #[arg(long = "key", required = true)]
        keys: Vec<PathBuf>,
        /// The authority's trust list [default: trust.list beside the first key].
        #[arg(long)]
        trust_list: Option<PathBuf>,
        /// The root public key that signed the list [default: root.pub.pem beside it].
        #[arg(long)]
        root_key: Option<PathBuf>,
        /// The stations' token digests, one `sha256:DIGEST LABEL` per line [default: signing.tokens
        /// beside the first key].
        #[arg(long)]
        tokens: Option<PathBuf>,
        /// The register of everything signed and every request (SQLite) [default:
        /// signing.sqlite beside the first key].
        #[arg(long)]
        register: Option<PathBuf>,
        #[arg(long, default_value = issuer::service::DEFAULT_LISTEN)]
        listen: std::net::SocketAddr,
        /// Allow a non-loopback --listen address (plain HTTP: put TLS in front of it).
        #[arg(long)]
        listen_anywhere: bool,
        /// Sign as of this time (RFC 3339) instead of now.
        #[arg(long)]
        at: Option<String>,
    },
    /// Create a station's token: its digest is added to the service's token file, and the
    /// token is written alone to the station's own file (both readable by their owner only).
    NewToken {
        /// The station's name, as the register records it.
        #[arg(long)]
        label: String,
        /// The service's token file (created if missing).
        #[arg(long)]
        tokens: PathBuf,
        /// The station's token file.
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

/// Adds a token for `label` to the service's `tokens` file and writes it alone to `out`.
fn new_token(label: &str, tokens: &Path, out: &Path) -> Result<()> {
    if label.is_empty() || label.chars().any(char::is_whitespace) {
        anyhow::bail!("--label: one word, such as station-2");
    }
    let mut text = match std::fs::read_to_string(tokens) {
        Ok(text) => text,
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => {
            "# The stations the signing service accepts: sha256:DIGEST LABEL per line (the\n\
             # SHA-256 of each station's token; the tokens are only in the stations' files).\n"
                .into()
        }
        Err(e) => return Err(e).with_context(|| format!("cannot read {}", tokens.display())),
    };
    if !text.is_empty() && !text.ends_with('\n') {
        text.push('\n');
    }
    let token = issuer::service::new_token();
    text.push_str(&issuer::service::token_line(&token, label));
    issuer::service::Tokens::parse(&text)?;
    stay_std::files::write_private(out, format!("{token}\n").as_bytes())?;
    stay_std::files::write_private(tokens, text.as_bytes())
}

fn run(cli: Cli) -> Result<()> {
    match cli.command {
        Command::Init { dir } => {
            let authority = issuer::authority::init(&dir, stay_std::clock::system_now())?;
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
            new_token(
                "station-1",
                &dir.join("signing.tokens"),
                &dir.join("station-1.token"),
            )?;
            println!("  signing service     signing.tokens (station-1: station-1.token)");
            println!("  sample holders      holders/*.toml, their portraits holders/*.jpg");
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
            let root = stay_std::pem::read_public(&root_path)?;
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
            stay_std::files::write_atomic(&out, &record)?;
            println!(
                "{}: {} bytes, {} {}",
                out.display(),
                record.len(),
                holder.document_type,
                holder.document_number
            );
        }
        Command::SignList {
            key,
            input,
            out,
            retired,
            previous,
        } => {
            let root = KeyPair::read(&key)?;
            let source = ListSource::read(&input)?;
            // The list being replaced, named or found at --out: terminals keep the highest
            // sequence they accepted, so a new list must go above it. A file at --out that
            // is no list of this root (another root's, or not a list) is simply replaced.
            let replaced = match &previous {
                Some(path) => Some(
                    std::fs::read(path)
                        .with_context(|| format!("cannot read {}", path.display()))?,
                ),
                None => std::fs::read(&out)
                    .ok()
                    .filter(|b| TrustList::load(b, &root.public_key(), None).is_ok()),
            };
            if let Some(bytes) = replaced {
                issuer::list::check_sequence_increases(
                    &bytes,
                    &root.public_key(),
                    source.sequence,
                )?;
            }
            let base = input.parent().unwrap_or(Path::new("."));
            let mut spec = source.spec(base)?;
            for file in &retired {
                spec.revoked_documents
                    .extend(issuer::list::read_numbers(file)?);
            }
            let list = spec.seal(&root)?;
            TrustList::load(&list, &root.public_key(), None)
                .map_err(|e| anyhow::anyhow!("the signed list does not load back: {e}"))?;
            stay_std::files::write_atomic(&out, &list)?;
            println!(
                "{}: {} bytes, sequence {}",
                out.display(),
                list.len(),
                source.sequence
            );
        }
        Command::Serve {
            keys,
            trust_list,
            root_key,
            tokens,
            register,
            listen,
            listen_anywhere,
            at,
        } => {
            issuer::service::check_listen(listen, listen_anywhere)?;
            let first = &keys[0];
            let list_path = trust_list.unwrap_or_else(|| beside(first, "trust.list"));
            let root = stay_std::pem::read_public(
                &root_key.unwrap_or_else(|| beside(first, "root.pub.pem")),
            )?;
            let list_bytes = std::fs::read(&list_path)
                .with_context(|| format!("cannot read trust list {}", list_path.display()))?;
            let tokens = issuer::service::Tokens::read(
                &tokens.unwrap_or_else(|| beside(first, "signing.tokens")),
            )?;
            let signer_keys = keys
                .iter()
                .map(|k| KeyPair::read(k))
                .collect::<Result<Vec<_>>>()?;
            let mut service = issuer::service::Service::new(
                signer_keys,
                list_bytes,
                &root,
                tokens,
                &register.unwrap_or_else(|| beside(first, "signing.sqlite")),
            )?;
            if let Some(at) = at {
                service = service.at(stay_std::clock::parse_rfc3339("--at", &at)?);
            }
            let runtime = tokio::runtime::Builder::new_multi_thread()
                .worker_threads(2)
                .enable_all()
                .build()?;
            runtime.block_on(async move {
                let listener = tokio::net::TcpListener::bind(listen)
                    .await
                    .with_context(|| format!("cannot listen on {listen}"))?;
                let service = std::sync::Arc::new(service);
                let about = service.describe();
                for key in about["keys"].as_array().into_iter().flatten() {
                    eprintln!(
                        "issuer serve: key {} signs {} issued {}..{}",
                        key["key_id"].as_str().unwrap_or(""),
                        key["document_types"]
                            .as_array()
                            .into_iter()
                            .flatten()
                            .filter_map(|t| t.as_str())
                            .collect::<Vec<_>>()
                            .join(", "),
                        key["not_before"].as_str().unwrap_or(""),
                        key["not_after"].as_str().unwrap_or("")
                    );
                }
                eprintln!(
                    "issuer serve: trust list sequence {}",
                    about["list_sequence"]
                );
                // Tests and scripts read the address (with `--listen 127.0.0.1:0`).
                println!("listening on http://{}", listener.local_addr()?);
                std::io::Write::flush(&mut std::io::stdout())?;
                issuer::service::serve(listener, service, stopped()).await
            })?;
        }
        Command::NewToken { label, tokens, out } => {
            new_token(&label, &tokens, &out)?;
            println!(
                "{}: token for {label}, added to {}",
                out.display(),
                tokens.display()
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
            let root = root_key
                .as_deref()
                .map(stay_std::pem::read_public)
                .transpose()?;
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

/// Completes on SIGTERM or Ctrl-C: requests in flight finish, then the service stops.
async fn stopped() {
    match tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate()) {
        Ok(mut term) => tokio::select! {
            _ = term.recv() => {}
            _ = tokio::signal::ctrl_c() => {}
        },
        Err(_) => {
            let _ = tokio::signal::ctrl_c().await;
        }
    }
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
