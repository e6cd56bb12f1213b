//! `issuer`: the authority's command line.

use std::path::{Path, PathBuf};
use std::process::ExitCode;

use anyhow::Result;
use clap::{Parser, Subcommand};
use issuer::status::Action;
use issuer::{show, Holder, KeyPair, ListSource};
use stay_core::{Policy, TrustList};
use stay_std::cli::{cannot_read, list_refused};
use stay_std::messages::Messages;

#[derive(Parser)]
#[command(
    name = "issuer",
    version,
    about = "The issuing authority's tools: keys, signed stay records and trust lists, QR codes"
)]
struct Cli {
    #[command(subcommand)]
    command: Command,
    /// The language of what is printed for people: ky, ru or en (default: the locale's,
    /// else English). JSON and the files written never change with it.
    #[arg(long, global = true)]
    lang: Option<String>,
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
    /// Extend a document's stay: the next list says it is valid until DATE (within the
    /// extensions the policy allows its type).
    Extend {
        /// The document's record (its type and validity are the base of the extension).
        record: PathBuf,
        /// The new valid-until (YYYY-MM-DD).
        #[arg(long)]
        until: String,
        #[command(flatten)]
        step: StepArgs,
    },
    /// Suspend a document from a day on (today by default) until `issuer lift`.
    Suspend {
        number: String,
        /// The first day it is suspended (YYYY-MM-DD) [default: today in Bishkek].
        #[arg(long)]
        from: Option<String>,
        #[command(flatten)]
        step: StepArgs,
    },
    /// Lift a document's suspension: the next list no longer suspends it.
    Lift {
        number: String,
        #[command(flatten)]
        step: StepArgs,
    },
    /// Record that a resident card replaces a unified-window document.
    Supersede {
        /// The unified-window document's record.
        record: PathBuf,
        /// The resident card's record that replaces it (the same holder's).
        #[arg(long)]
        by: PathBuf,
        /// The first day the card replaces it [default: the card's valid-from, or today if
        /// that has passed].
        #[arg(long)]
        on: Option<String>,
        #[command(flatten)]
        step: StepArgs,
    },
    /// Render a record as the holder's electronic document (PDF): its fields labelled in
    /// Kyrgyz, Russian and English, and its QR code.
    Document {
        record: PathBuf,
        #[arg(long)]
        out: PathBuf,
        /// A TrueType font covering Cyrillic with Ң Ө Ү.
        #[arg(long, default_value = issuer::document::DEFAULT_FONT)]
        font: PathBuf,
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

/// What every status command needs: where the history is kept, and when.
#[derive(clap::Args)]
struct StepArgs {
    /// The list source whose history the step is appended to (sign the list afterwards to
    /// publish it).
    #[arg(long)]
    list_source: PathBuf,
    /// The office's reference for the decision (kept in the history, never on a list).
    #[arg(long)]
    note: Option<String>,
    /// Record as of this time (RFC 3339) instead of now.
    #[arg(long)]
    at: Option<String>,
}

impl StepArgs {
    fn at(&self) -> Result<stay_core::UnixTime> {
        match &self.at {
            Some(at) => stay_std::clock::parse_rfc3339("--at", at),
            None => Ok(stay_std::clock::system_now()),
        }
    }
}

fn parse_date(m: &Messages, option: &str, text: &str) -> Result<stay_core::Date> {
    stay_core::Date::parse_iso(text).map_err(|_| {
        anyhow::anyhow!(
            "{}",
            m.format("status-bad-date", &[("option", option), ("value", text)])
        )
    })
}

fn read_record<'b>(
    m: &Messages,
    path: &Path,
    bytes: &'b [u8],
) -> Result<stay_core::StayRecord<'b>> {
    stay_core::StayRecord::parse(bytes).map_err(|e| {
        anyhow::anyhow!(
            "{}",
            m.format(
                "issuer-not-a-record",
                &[
                    ("file", &path.display().to_string()),
                    ("detail", &e.to_string())
                ]
            )
        )
    })
}

/// Appends `step` to the history and says what the document's state is now.
fn record_step(m: &Messages, args: &StepArgs, mut step: issuer::status::StatusStep) -> Result<()> {
    use issuer::status::NotRecorded;
    step.note = args.note.clone();
    let recorded = issuer::status::record(&args.list_source, &step, &Policy::DEFAULT).map_err(
        |e| match e {
            NotRecorded::Refused(r) => anyhow::anyhow!(
                "{}",
                m.format(
                    "status-refused",
                    &[
                        ("file", &args.list_source.display().to_string()),
                        ("step", &r.step.to_string()),
                        ("number", &r.document),
                        ("reason", &m.say(&r.refusal.message())),
                    ]
                )
            ),
            NotRecorded::Source(e) => e,
        },
    )?;
    let number = step.document.as_str();
    let now = match recorded.now {
        Some(stay_core::StatusChange::Extended { valid_until }) => m.format(
            "status-now-extended",
            &[("number", number), ("date", &valid_until.to_string())],
        ),
        Some(stay_core::StatusChange::Suspended { since }) => m.format(
            "status-now-suspended",
            &[("number", number), ("date", &since.to_string())],
        ),
        Some(stay_core::StatusChange::Superseded { on, successor }) => m.format(
            "status-now-superseded",
            &[
                ("number", number),
                ("date", &on.to_string()),
                ("successor", successor.as_str()),
            ],
        ),
        None => m.format("status-now-as-issued", &[("number", number)]),
    };
    println!("{now}");
    say(
        m,
        "status-recorded",
        &[
            ("file", &args.list_source.display().to_string()),
            ("step", &recorded.step.to_string()),
        ],
    );
    Ok(())
}

fn beside(key: &Path, name: &str) -> PathBuf {
    key.parent().unwrap_or(Path::new(".")).join(name)
}

/// Adds a token for `label` to the service's `tokens` file and writes it alone to `out`.
fn new_token(label: &str, tokens: &Path, out: &Path, m: &Messages) -> Result<()> {
    if label.is_empty() || label.chars().any(char::is_whitespace) {
        anyhow::bail!("{}", m.text("issuer-label-one-word"));
    }
    let mut text = match std::fs::read_to_string(tokens) {
        Ok(text) => text,
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => {
            "# The stations the signing service accepts: sha256:DIGEST LABEL per line (the\n\
             # SHA-256 of each station's token; the tokens are only in the stations' files).\n"
                .into()
        }
        Err(e) => return Err(cannot_read(m, tokens, e)),
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

fn read_file(m: &Messages, path: &Path) -> Result<Vec<u8>> {
    std::fs::read(path).map_err(|e| cannot_read(m, path, e))
}

/// The trust list at `path`, as signed by `root`.
fn load_list<'b>(
    m: &Messages,
    path: &Path,
    bytes: &'b [u8],
    root: &stay_core::PublicKey,
) -> Result<TrustList<'b>> {
    TrustList::load(bytes, root, None).map_err(|e| list_refused(m, path, e))
}

fn say(m: &Messages, id: &str, args: &[(&str, &str)]) {
    println!("{}", m.format(id, args));
}

fn run(command: Command, m: &Messages) -> Result<()> {
    match command {
        Command::Init { dir } => {
            let authority = issuer::authority::init(&dir, stay_std::clock::system_now())?;
            say(
                m,
                "issuer-init-created",
                &[("dir", &dir.display().to_string())],
            );
            say(
                m,
                "issuer-init-root",
                &[("key", &authority.root.key_id().to_string())],
            );
            for (t, k) in &authority.signers {
                say(
                    m,
                    "issuer-init-signer",
                    &[
                        ("type", &m.code("document-type", t.name())),
                        ("key", &k.key_id().to_string()),
                        ("file", &format!("{t}.key.pem")),
                    ],
                );
            }
            say(
                m,
                "issuer-init-personalization",
                &[("key", &authority.personalization.key_id().to_string())],
            );
            say(m, "issuer-init-list", &[]);
            new_token(
                "station-1",
                &dir.join("signing.tokens"),
                &dir.join("station-1.token"),
                m,
            )?;
            say(m, "issuer-init-service", &[]);
            say(m, "issuer-init-holders", &[]);
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
            let list_bytes = read_file(m, &list_path)?;
            let list = load_list(m, &list_path, &list_bytes, &root)?;
            let text = std::fs::read_to_string(&input).map_err(|e| cannot_read(m, &input, e))?;
            let refused = |e: issuer::Refusal| {
                anyhow::anyhow!(
                    "{}",
                    m.format(
                        "issuer-refused-to-sign",
                        &[
                            ("file", &input.display().to_string()),
                            ("reason", &m.say(&e.message()))
                        ]
                    )
                )
            };
            let holder = Holder::from_toml(&text).map_err(refused)?;
            let record =
                issuer::sign_record(&holder, &signer, &list, &Policy::DEFAULT).map_err(refused)?;
            stay_std::files::write_atomic(&out, &record)?;
            say(
                m,
                "issuer-record-signed",
                &[
                    ("file", &out.display().to_string()),
                    ("bytes", &record.len().to_string()),
                    ("type", &m.code("document-type", &holder.document_type)),
                    ("number", &holder.document_number),
                ],
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
                Some(path) => Some(read_file(m, path)?),
                None => std::fs::read(&out)
                    .ok()
                    .filter(|b| TrustList::load(b, &root.public_key(), None).is_ok()),
            };
            if let Some(bytes) = replaced {
                issuer::list::check_sequence_increases(&bytes, &root.public_key(), source.sequence)
                    .map_err(|e| anyhow::anyhow!("{}", m.say(&e.message())))?;
            }
            let base = input.parent().unwrap_or(Path::new("."));
            let mut spec = source.spec(base)?;
            for file in &retired {
                spec.revoked_documents
                    .extend(issuer::list::read_numbers(file)?);
            }
            let list = spec.seal(&root)?;
            // A list this build cannot load back would strand every reader: never write one.
            TrustList::load(&list, &root.public_key(), None).map_err(|e| {
                anyhow::anyhow!(
                    "{}",
                    m.format("issuer-list-does-not-load", &[("reason", &e.to_string())])
                )
            })?;
            stay_std::files::write_atomic(&out, &list)?;
            say(
                m,
                "issuer-list-signed",
                &[
                    ("file", &out.display().to_string()),
                    ("bytes", &list.len().to_string()),
                    ("sequence", &source.sequence.to_string()),
                ],
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
            let list_bytes = read_file(m, &list_path)?;
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
                let listener = tokio::net::TcpListener::bind(listen).await.map_err(|e| {
                    anyhow::anyhow!(
                        "{}",
                        m.format(
                            "cli-cannot-listen",
                            &[("address", &listen.to_string()), ("detail", &e.to_string())]
                        )
                    )
                })?;
                let service = std::sync::Arc::new(service);
                let about = service.describe();
                for key in about["keys"].as_array().into_iter().flatten() {
                    let types: Vec<String> = key["document_types"]
                        .as_array()
                        .into_iter()
                        .flatten()
                        .filter_map(|t| t.as_str())
                        .map(|t| m.code("document-type", t))
                        .collect();
                    eprintln!(
                        "issuer serve: {}",
                        m.format(
                            "issuer-serve-key",
                            &[
                                ("key", key["key_id"].as_str().unwrap_or("")),
                                ("types", &types.join(", ")),
                                ("from", key["not_before"].as_str().unwrap_or("")),
                                ("until", key["not_after"].as_str().unwrap_or("")),
                            ]
                        )
                    );
                }
                eprintln!(
                    "issuer serve: {}",
                    m.format(
                        "issuer-serve-list",
                        &[("sequence", &about["list_sequence"].to_string())]
                    )
                );
                // Tests and scripts read this line (with `--listen 127.0.0.1:0`): the same
                // words in every language.
                println!("listening on http://{}", listener.local_addr()?);
                std::io::Write::flush(&mut std::io::stdout())?;
                issuer::service::serve(listener, service, stopped()).await
            })?;
        }
        Command::NewToken { label, tokens, out } => {
            new_token(&label, &tokens, &out, m)?;
            say(
                m,
                "issuer-token-created",
                &[
                    ("file", &out.display().to_string()),
                    ("label", &label),
                    ("tokens", &tokens.display().to_string()),
                ],
            );
        }
        Command::Qr { record, out } => {
            let bytes = read_file(m, &record)?;
            read_record(m, &record, &bytes)?;
            issuer::qr::write(&bytes, &out)?;
            say(
                m,
                "issuer-qr-written",
                &[
                    ("file", &out.display().to_string()),
                    ("bytes", &bytes.len().to_string()),
                ],
            );
        }
        Command::Extend {
            record,
            until,
            step: args,
        } => {
            let bytes = read_file(m, &record)?;
            let r = read_record(m, &record, &bytes)?;
            let f = &r.fields;
            let until = parse_date(m, "--until", &until)?;
            let step = issuer::status::StatusStep {
                document_type: Some(f.document_type.name().into()),
                valid_from: Some(f.valid_from.to_string()),
                valid_until: Some(f.valid_until.to_string()),
                ..issuer::status::step(Action::Extend, f.document_number, until, args.at()?)
            };
            record_step(m, &args, step)?;
        }
        Command::Suspend {
            number,
            from,
            step: args,
        } => {
            let at = args.at()?;
            let from = match from {
                Some(text) => parse_date(m, "--from", &text)?,
                None => at.bishkek_date(),
            };
            record_step(
                m,
                &args,
                issuer::status::step(Action::Suspend, &number, from, at),
            )?;
        }
        Command::Lift { number, step: args } => {
            let at = args.at()?;
            let step = issuer::status::step(Action::Lift, &number, at.bishkek_date(), at);
            record_step(m, &args, step)?;
        }
        Command::Supersede {
            record,
            by,
            on,
            step: args,
        } => {
            let at = args.at()?;
            let old_bytes = read_file(m, &record)?;
            let old = read_record(m, &record, &old_bytes)?;
            let new_bytes = read_file(m, &by)?;
            let new = read_record(m, &by, &new_bytes)?;
            if old.fields.pin != new.fields.pin {
                anyhow::bail!(
                    "{}",
                    m.format(
                        "status-refused",
                        &[
                            ("file", &args.list_source.display().to_string()),
                            ("step", "-"),
                            ("number", old.fields.document_number),
                            (
                                "reason",
                                &m.say(&issuer::status::StatusRefusal::OtherHolder.message())
                            ),
                        ]
                    )
                );
            }
            let on = match on {
                Some(text) => parse_date(m, "--on", &text)?,
                None => new.fields.valid_from.max(at.bishkek_date()),
            };
            let step = issuer::status::StatusStep {
                document_type: Some(old.fields.document_type.name().into()),
                successor: Some(new.fields.document_number.into()),
                successor_type: Some(new.fields.document_type.name().into()),
                ..issuer::status::step(Action::Supersede, old.fields.document_number, on, at)
            };
            record_step(m, &args, step)?;
        }
        Command::Document { record, out, font } => {
            let bytes = read_file(m, &record)?;
            read_record(m, &record, &bytes)?;
            let pdf = issuer::document::render(&bytes, &font)?;
            stay_std::files::write_atomic(&out, &pdf)?;
            say(
                m,
                "issuer-document-written",
                &[
                    ("file", &out.display().to_string()),
                    ("bytes", &pdf.len().to_string()),
                ],
            );
        }
        Command::Show {
            file,
            json,
            root_key,
        } => {
            let bytes = read_file(m, &file)?;
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
                print!("{}", show::to_text(&shown, m));
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
    let cli = Cli::parse();
    let language = match stay_std::messages::cli_language(cli.lang.as_deref()) {
        Ok(language) => language,
        Err(e) => {
            eprintln!("issuer: {e}");
            return ExitCode::from(stay_std::cli::exit::USAGE);
        }
    };
    let m = stay_std::messages::messages(language);
    match run(cli.command, m) {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("issuer: {}", stay_std::cli::error_text(m, &e));
            ExitCode::FAILURE
        }
    }
}
