//! `reader-host`: verify resident cards and stay documents.

use std::path::{Path, PathBuf};
use std::process::ExitCode;

use anyhow::{Context, Result};
use clap::{Parser, Subcommand, ValueEnum};
use reader_host::{card, pcsc_reader, qr, report};
use stay_core::pace::Can;
use stay_core::{Check, Decision, Policy, Role, RoleError, Status};
use stay_std::cli::{exit, fail, now_or, read, read_list, Failure};
use stay_std::messages::Messages;

#[derive(Parser)]
#[command(
    name = "reader-host",
    version,
    about = "Verify Kyrgyz resident cards and stay documents"
)]
struct Cli {
    #[command(subcommand)]
    command: Command,
    /// The language of what is printed for people: ky, ru or en (default: the locale's,
    /// else English). JSON codes never change with it.
    #[arg(long, global = true)]
    lang: Option<String>,
}

#[derive(Clone, Copy, ValueEnum)]
enum RoleArg {
    Border,
    Employer,
}

#[derive(Subcommand)]
enum Command {
    /// Verify one record offline. Exit status: 0 valid, 1 invalid, 2 indeterminate,
    /// 3 read the chip (a printed copy of a chip card), 64 usage, 65 unusable trust list or
    /// unreadable QR, 66 input file missing.
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
        /// The card access number printed on the card's face (six digits): the card opens
        /// its holder's data only over PACE with it. `-` reads it from the first line of
        /// standard input (kept out of the process list and the shell's history).
        #[arg(long, requires = "card")]
        can: Option<String>,
        /// Save the chip's portrait (JPEG) here, once it matched the record's signed
        /// digest; nothing is written otherwise. The portrait is read and checked after
        /// the verdict's own reads either way.
        #[arg(long, requires = "card")]
        portrait_out: Option<PathBuf>,
    },
    /// Run the desk daemon: card readers, HTTP API, kiosk page, audit log, trust-list
    /// refresh. Prints the kiosk URL once it listens.
    Serve {
        #[arg(long, default_value = "reader-host.toml")]
        config: PathBuf,
    },
    /// Print the QR payloads each image shows (hex, and as text when they are text), for
    /// operators and decoder comparisons.
    /// Exit status 0 when every image decoded, 65 when one did not, 66 when one is missing.
    ScanQr {
        #[arg(required = true)]
        images: Vec<PathBuf>,
        #[arg(long)]
        json: bool,
    },
    /// Print the kiosk page's address, with this desk's token. With --page, write instead a
    /// page (0600) that opens it, to start the kiosk's browser with (`chromium --kiosk
    /// FILE`): a browser's arguments are visible to every user, a 0600 file is not. The desk
    /// must have started once.
    KioskUrl {
        #[arg(long, default_value = "reader-host.toml")]
        config: PathBuf,
        #[arg(long)]
        page: Option<PathBuf>,
    },
    /// The employer's watch: check the documents of the people you employ (kept in
    /// --employees, on this machine only) against the trust list, and report who was
    /// revoked, suspended or superseded, or whose stay ends within --within days. With
    /// --add, first add a record's document to the file. Exit status: 0 nothing to report,
    /// 1 something reported, 64 usage, 65 unusable list or record, 66 file missing.
    Watch {
        /// The watched documents (TOML, created 0600 on the first --add).
        #[arg(long)]
        employees: PathBuf,
        #[arg(long)]
        trust_list: PathBuf,
        #[arg(long)]
        root_key: PathBuf,
        /// Add the document of this record (read at hiring) before checking.
        #[arg(long, requires = "name")]
        add: Option<PathBuf>,
        /// Your own name for the person whose record is added.
        #[arg(long, requires = "add")]
        name: Option<String>,
        #[arg(long, default_value_t = reader_host::employees::DEFAULT_WITHIN_DAYS)]
        within: i64,
        /// Check as of this time (RFC 3339) instead of now.
        #[arg(long)]
        at: Option<String>,
        #[arg(long)]
        json: bool,
    },
    /// Query the audit log, newest first.
    Audit {
        /// The desk's config: where its log and its digest key are.
        #[arg(long, default_value = "reader-host.toml")]
        config: PathBuf,
        /// Only checks at or after this time (RFC 3339).
        #[arg(long)]
        since: Option<String>,
        /// Only checks of this document (looked up by its keyed digest).
        #[arg(long)]
        document: Option<String>,
        #[arg(long, default_value_t = 50)]
        limit: usize,
        #[arg(long)]
        json: bool,
    },
}

fn run(command: Command, m: &Messages) -> Result<u8, Failure> {
    match command {
        Command::Verify {
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
            can,
            portrait_out,
        } => {
            let source = match (record, qr) {
                _ if card => Source::Card {
                    reader,
                    wait,
                    can,
                    portrait_out,
                },
                (Some(path), _) => Source::Record(path),
                (None, Some(path)) => Source::Qr(path),
                (None, None) => {
                    return Err(Failure(
                        exit::USAGE,
                        anyhow::anyhow!("{}", m.text("cli-give-a-source")),
                    ))
                }
            };
            verify(
                &trust_list,
                &root_key,
                role,
                employer_tin,
                at,
                source,
                Show { json, messages: m },
            )
        }
        Command::Serve { config } => serve(&config, m),
        Command::ScanQr { images, json } => scan_qr(&images, json, m),
        Command::KioskUrl { config, page } => {
            let config = reader_host::config::Config::read(&config).map_err(fail(exit::USAGE))?;
            let token = reader_host::access::DeskToken::read(&config.data_dir)
                .map_err(fail(exit::NO_INPUT))?;
            let url =
                reader_host::access::kiosk_url(config.listen, config.host_name.as_deref(), &token);
            match page {
                Some(page) => {
                    stay_std::files::write_private(
                        &page,
                        reader_host::access::kiosk_page(&url).as_bytes(),
                    )
                    .map_err(fail(exit::NO_INPUT))?;
                    println!("{}", page.display());
                }
                None => println!("{url}"),
            }
            Ok(exit::VALID)
        }
        Command::Audit {
            config,
            since,
            document,
            limit,
            json,
        } => audit(&config, since.as_deref(), document, limit, json, m),
        Command::Watch {
            employees,
            trust_list,
            root_key,
            add,
            name,
            within,
            at,
            json,
        } => watch(
            &employees,
            &read_list(&trust_list, &root_key, m)?,
            add.as_deref().zip(name.as_deref()),
            within,
            now_or(at.as_deref())?,
            Show { json, messages: m },
        ),
    }
}

/// `reader-host watch`: adds a record's document if asked, then reports every finding.
fn watch(
    path: &Path,
    loaded: &stay_std::list::LoadedList,
    add: Option<(&Path, &str)>,
    within: i64,
    now: stay_core::UnixTime,
    show: Show<'_>,
) -> Result<u8, Failure> {
    use reader_host::employees::{self, Employee, Employees};
    let (json, m) = (show.json, show.messages);
    let list = loaded.list();
    let mut file = Employees::read(path).map_err(fail(exit::DATA))?;
    if let Some((record, name)) = add {
        let bytes = read(record, m)?;
        // Only an authentic record is watched: its number and date are the issuer's.
        let verdict = stay_core::verify(
            &bytes,
            list,
            &Check::printed(now, Role::Border, &Policy::DEFAULT),
        );
        let fields = match stay_core::StayRecord::parse(&bytes) {
            Ok(r) if verdict.authentic => r.fields,
            _ => {
                return Err(Failure(
                    exit::DATA,
                    anyhow::anyhow!(
                        "{}",
                        m.format(
                            "watch-not-authentic",
                            &[
                                ("file", &record.display().to_string()),
                                ("reason", &verdict.status.to_string()),
                            ]
                        )
                    ),
                ))
            }
        };
        file.add(Employee {
            name: name.into(),
            number: fields.document_number.into(),
            document_type: fields.document_type.name().into(),
            valid_until: fields.valid_until.to_string(),
        });
        file.write(path).map_err(fail(exit::NO_INPUT))?;
        if !json {
            println!(
                "{}",
                m.format(
                    "watch-added",
                    &[
                        ("name", name),
                        ("number", fields.document_number),
                        ("file", &path.display().to_string()),
                    ]
                )
            );
        }
    }
    let mut found = Vec::new();
    for e in &file.employees {
        let finding = employees::check(e, list, now, within).map_err(|bad| {
            Failure(
                exit::DATA,
                anyhow::anyhow!("{}: {} ({bad})", path.display(), e.name),
            )
        })?;
        if let Some(finding) = finding {
            found.push((e, finding));
        }
    }
    if json {
        let v = serde_json::json!({
            "trust_list_sequence": list.sequence,
            "watched": file.employees.len(),
            "within_days": within,
            "findings": found.iter().map(|(e, f)| employees::to_json(e, f)).collect::<Vec<_>>(),
        });
        println!("{v:#}");
    } else {
        for (e, f) in &found {
            println!("{}", m.say(&employees::message(e, f)));
        }
        let (count, total, sequence) = (
            found.len().to_string(),
            file.employees.len().to_string(),
            list.sequence.to_string(),
        );
        println!(
            "{}",
            m.format(
                "watch-summary",
                &[
                    ("count", &count),
                    ("total", &total),
                    ("sequence", &sequence)
                ]
            )
        );
    }
    Ok(if found.is_empty() {
        exit::VALID
    } else {
        exit::INVALID
    })
}

fn serve(config_path: &Path, m: &Messages) -> Result<u8, Failure> {
    use reader_host::{audit::AuditLog, config::Config, desk::Desk, trust_cache::TrustCache};
    use std::sync::atomic::{AtomicBool, Ordering};
    use std::sync::Arc;

    tracing_subscriber::fmt()
        .with_env_filter(
            tracing_subscriber::EnvFilter::try_from_default_env()
                .unwrap_or_else(|_| tracing_subscriber::EnvFilter::new("info")),
        )
        .with_writer(std::io::stderr)
        .with_ansi(std::io::IsTerminal::is_terminal(&std::io::stderr()))
        .init();
    let config = Config::read(config_path).map_err(fail(exit::USAGE))?;
    // Owner only: the audit log, the token and the cached list are the desk's alone.
    std::os::unix::fs::DirBuilderExt::mode(std::fs::DirBuilder::new().recursive(true), 0o700)
        .create(&config.data_dir)
        .and_then(|()| {
            use std::os::unix::fs::PermissionsExt;
            std::fs::set_permissions(&config.data_dir, std::fs::Permissions::from_mode(0o700))
        })
        .map_err(|e| {
            anyhow::anyhow!(
                "{}",
                m.format(
                    "cli-cannot-create",
                    &[
                        ("file", &config.data_dir.display().to_string()),
                        ("detail", &e.to_string())
                    ]
                )
            )
        })
        .map_err(fail(exit::NO_INPUT))?;
    let root = stay_std::pem::read_public(&config.trust_list.root_key).map_err(fail(exit::DATA))?;
    let trust = Arc::new(
        TrustCache::open(
            root,
            config.data_dir.join("trust.list"),
            config.trust_list.seed.as_deref(),
            config.trust_list.url.clone(),
        )
        .map_err(fail(exit::DATA))?,
    );
    let audit = AuditLog::open(&config.data_dir, &config.audit_key).map_err(fail(exit::DATA))?;
    let token = reader_host::access::DeskToken::open_or_create(&config.data_dir)
        .map_err(fail(exit::DATA))?;
    let access = reader_host::access::Access::new(token, config.host_name.clone());
    let desk = Desk::shared(config.clone(), trust, audit);
    let stop = Arc::new(AtomicBool::new(false));
    if config.cards.enabled {
        let (desk, stop, readers) = (desk.clone(), stop.clone(), config.cards.readers.clone());
        std::thread::Builder::new()
            .name("cards".into())
            .spawn(move || reader_host::watcher::watch_cards(desk, readers, stop))
            .map_err(|e| Failure(exit::DATA, e.into()))?;
    }
    if let Some(folder) = config.qr.folder.clone() {
        let mut source =
            reader_host::frames::Folder::watch(&folder).map_err(fail(exit::NO_INPUT))?;
        let (desk, stop) = (desk.clone(), stop.clone());
        std::thread::Builder::new()
            .name("qr-folder".into())
            .spawn(move || reader_host::frames::scan(&mut source, &desk, &stop))
            .map_err(|e| Failure(exit::DATA, e.into()))?;
    }
    if let Some(index) = config.qr.camera {
        let (desk, stop) = (desk.clone(), stop.clone());
        std::thread::Builder::new()
            .name("qr-camera".into())
            .spawn(move || {
                let mut camera = reader_host::frames::Camera::new(index);
                reader_host::frames::scan(&mut camera, &desk, &stop)
            })
            .map_err(|e| Failure(exit::DATA, e.into()))?;
    }
    if config.trust_list.url.is_some() {
        let (desk, stop) = (desk.clone(), stop.clone());
        let every = std::time::Duration::from_secs(config.trust_list.refresh_seconds);
        std::thread::Builder::new()
            .name("trust-list".into())
            .spawn(move || {
                while !stop.load(Ordering::Relaxed) {
                    desk.refresh_trust_list();
                    let started = std::time::Instant::now();
                    while started.elapsed() < every && !stop.load(Ordering::Relaxed) {
                        std::thread::park_timeout(std::time::Duration::from_secs(1));
                    }
                }
            })
            .map_err(|e| Failure(exit::DATA, e.into()))?;
    }
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()
        .map_err(|e| Failure(exit::DATA, e.into()))?;
    let served = runtime.block_on(async {
        let listener = tokio::net::TcpListener::bind(config.listen)
            .await
            .map_err(|e| {
                anyhow::anyhow!(
                    "{}",
                    m.format(
                        "cli-cannot-listen",
                        &[
                            ("address", &config.listen.to_string()),
                            ("detail", &e.to_string())
                        ]
                    )
                )
            })?;
        let addr = listener.local_addr()?;
        println!(
            "reader-host: {}",
            m.format(
                "desk-listening",
                &[
                    ("url", &format!("http://{addr}/")),
                    ("role", &m.code("role", config.role().name()))
                ]
            )
        );
        use std::io::Write;
        let _ = std::io::stdout().flush();
        axum::serve(listener, reader_host::http::router(desk, access))
            .with_graceful_shutdown(async {
                let mut term =
                    tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate())
                        .expect("SIGTERM handler");
                tokio::select! {
                    _ = tokio::signal::ctrl_c() => {}
                    _ = term.recv() => {}
                }
            })
            .await?;
        anyhow::Ok(())
    });
    stop.store(true, Ordering::Relaxed);
    served.map_err(fail(exit::DATA))?;
    Ok(exit::VALID)
}

fn scan_qr(images: &[PathBuf], json: bool, m: &Messages) -> Result<u8, Failure> {
    let mut code = exit::VALID;
    let mut out = Vec::new();
    for path in images {
        let image = match qr::read_image(path, true) {
            Ok(image) => image,
            Err(e) => {
                code = if path.exists() {
                    exit::DATA
                } else {
                    exit::NO_INPUT
                };
                eprintln!("reader-host: {}: {e}", path.display());
                out.push(serde_json::json!({"image": path, "error": e.to_string()}));
                continue;
            }
        };
        let payloads = qr::decode(image);
        if payloads.is_empty() {
            code = code.max(exit::DATA);
        }
        let texts: Vec<String> = payloads.iter().map(|p| qr::text(p).into_owned()).collect();
        if !json {
            println!(
                "{}",
                m.format(
                    "scan-qr-codes",
                    &[
                        ("file", &path.display().to_string()),
                        ("count", &payloads.len().to_string())
                    ]
                )
            );
            for (payload, text) in payloads.iter().zip(&texts) {
                println!("  {}", hex::encode_upper(payload));
                // The text too when it is one (a stay record is bytes).
                if !text
                    .chars()
                    .any(|c| c.is_control() && !matches!(c, '\n' | '\r' | '\t'))
                {
                    for line in text.lines() {
                        println!("  | {line}");
                    }
                }
            }
        }
        let payloads: Vec<String> = payloads.iter().map(hex::encode_upper).collect();
        out.push(serde_json::json!({"image": path, "payloads": payloads, "texts": texts}));
    }
    if json {
        println!("{}", serde_json::Value::Array(out));
    }
    Ok(code)
}

fn audit(
    config: &Path,
    since: Option<&str>,
    document: Option<String>,
    limit: usize,
    json: bool,
    m: &Messages,
) -> Result<u8, Failure> {
    let since_unix = since
        .map(|s| stay_std::clock::parse_rfc3339("--since", s).map(|t| t.0))
        .transpose()
        .map_err(fail(exit::USAGE))?;
    let config = reader_host::config::Config::read(config).map_err(fail(exit::USAGE))?;
    let rows = reader_host::audit::query(
        &config.data_dir,
        &config.audit_key,
        &reader_host::audit::Query {
            since_unix,
            document_number: document,
            limit,
        },
    )
    .map_err(fail(exit::NO_INPUT))?;
    if json {
        println!("{}", serde_json::to_string(&rows).expect("rows serialize"));
    } else {
        // Bishkek time, the outcome's word and the decision in the reader's language; the
        // reason as its code, short enough for one line (docs/policy.md names each).
        for r in &rows {
            println!(
                "{}  {:<15} {:<28} {} | {} | {}{}",
                stay_std::clock::format_bishkek(stay_core::UnixTime(r.at_unix)),
                m.code("outcome", &r.status),
                r.reason.as_deref().unwrap_or("-"),
                m.code("decision", &r.decision),
                m.code("role", &r.role),
                r.source,
                if r.chip_authenticated {
                    format!(" ({})", m.text("audit-chip"))
                } else {
                    String::new()
                }
            );
        }
    }
    Ok(exit::VALID)
}

/// How a verdict is printed: JSON for programs, or text in the reader's language.
struct Show<'a> {
    json: bool,
    messages: &'a Messages,
}

enum Source {
    Record(PathBuf),
    Qr(PathBuf),
    Card {
        reader: Option<String>,
        wait: f32,
        can: Option<String>,
        portrait_out: Option<PathBuf>,
    },
}

fn connect_card(
    reader: Option<&str>,
    wait: f32,
    m: &Messages,
) -> Result<(String, pcsc::Card), Failure> {
    let wait = std::time::Duration::try_from_secs_f32(wait).map_err(|_| {
        Failure(
            exit::USAGE,
            anyhow::anyhow!("{}", m.text("cli-wait-seconds")),
        )
    })?;
    let ctx = pcsc_reader::establish().map_err(fail(exit::NO_INPUT))?;
    let presence = pcsc_reader::wait_for_card(&ctx, reader, wait)
        .map_err(fail(exit::NO_INPUT))?
        .ok_or_else(|| {
            Failure(
                exit::NO_INPUT,
                anyhow::anyhow!(
                    "{}",
                    match reader {
                        Some(reader) => m.format(
                            "cli-no-card-in",
                            &[
                                ("reader", reader),
                                ("seconds", &wait.as_secs_f32().to_string())
                            ]
                        ),
                        None => m.format(
                            "cli-no-card",
                            &[("seconds", &wait.as_secs_f32().to_string())]
                        ),
                    }
                ),
            )
        })?;
    let connection = pcsc_reader::connect(&ctx, &presence.reader).map_err(fail(exit::NO_INPUT))?;
    Ok((presence.reader.to_string_lossy().into_owned(), connection))
}

fn verify(
    trust_list: &Path,
    root_key: &Path,
    role: RoleArg,
    employer_tin: Option<String>,
    at: Option<String>,
    source: Source,
    show: Show<'_>,
) -> Result<u8, Failure> {
    let (json, m) = (show.json, show.messages);
    let role_name = match role {
        RoleArg::Border => "border",
        RoleArg::Employer => "employer",
    };
    let role = Role::from_str(role_name, employer_tin.as_deref()).map_err(|e| {
        Failure(
            exit::USAGE,
            anyhow::anyhow!(
                "{}",
                m.text(match e {
                    RoleError::MalformedTin => "cli-employer-tin-digits",
                    RoleError::EmployerWithoutTin => "cli-employer-needs-tin",
                    RoleError::TinWithoutEmployer => "cli-tin-without-employer",
                    RoleError::Unknown => "cli-role",
                })
            ),
        )
    })?;
    let now = now_or(at.as_deref())?;
    let loaded = read_list(trust_list, root_key, m)?;
    let list = loaded.list();
    let mut channel = None;
    let mut portrait_out = None;
    let (bytes, source) = match source {
        Source::Card {
            reader,
            wait,
            can,
            portrait_out: out,
        } => {
            portrait_out = out;
            let can = can.ok_or_else(|| {
                Failure(exit::USAGE, anyhow::anyhow!("{}", m.text("cli-can-needed")))
            })?;
            let can = if can == "-" {
                let mut line = String::new();
                std::io::stdin()
                    .read_line(&mut line)
                    .map_err(|e| Failure(exit::NO_INPUT, anyhow::anyhow!("--can -: {e}")))?;
                line.trim().to_owned()
            } else {
                can
            };
            let can = Can::parse(&can).map_err(|_| {
                Failure(exit::USAGE, anyhow::anyhow!("{}", m.text("cli-can-digits")))
            })?;
            let (reader, connection) = connect_card(reader.as_deref(), wait, m)?;
            let chip =
                card::open_border_check(card::PcscLink::new(connection), &can).map_err(|e| {
                    if card::wrong_can(&e) {
                        Failure(
                            exit::DATA,
                            anyhow::anyhow!(
                                "{}",
                                m.format("cli-wrong-can", &[("detail", &e.to_string())])
                            ),
                        )
                    } else {
                        Failure(exit::DATA, e.into())
                    }
                })?;
            let bytes = chip.reading.record().to_vec();
            channel = Some(chip);
            (bytes, format!("card:{reader}"))
        }
        Source::Record(path) => (read(&path, m)?, format!("file:{}", path.display())),
        Source::Qr(path) => {
            if !path.exists() {
                return Err(Failure(
                    exit::NO_INPUT,
                    anyhow::anyhow!(
                        "{}",
                        m.format(
                            "cli-no-such-image",
                            &[("file", &path.display().to_string())]
                        )
                    ),
                ));
            }
            // A card face carries the CAN after the record: the printed check is the
            // record's (a CAN opens a chip, and there is none here).
            let payload = qr::record_from_image(&path).map_err(fail(exit::DATA))?;
            let (record, _can) = stay_core::card_face::split(&payload);
            (record.to_vec(), format!("qr:{}", path.display()))
        }
    };
    let proof = channel.as_ref().and_then(|c| c.reading.chip_authentication);
    let check = match &channel {
        Some(_) => Check::chip(now, role, proof.as_ref(), &Policy::DEFAULT),
        None => Check::printed(now, role, &Policy::DEFAULT),
    };
    let mut verdict = stay_core::verify(&bytes, list, &check);
    // The portrait after the verdict's own reads, over the same channel; only authentic
    // data names the face that is the holder's.
    let mut portrait = None;
    if let Some(channel) = &mut channel {
        if verdict.authentic && card::names_portrait(&bytes) {
            let read = card::read_portrait(channel);
            let check_result = read.check(&bytes);
            let jpeg = match read {
                card::PortraitRead::File(jpeg) => jpeg,
                card::PortraitRead::Refused(e) | card::PortraitRead::Unread(e) => {
                    eprintln!(
                        "reader-host: {}",
                        m.format("cli-portrait-unsigned", &[("detail", &e.to_string())])
                    );
                    None
                }
            };
            verdict = stay_core::verify_portrait(verdict, check_result, &check);
            let saved = match (&portrait_out, check_result, &jpeg) {
                (Some(path), stay_core::PortraitCheck::Matches, Some(jpeg)) => {
                    // Owner only: a face is the most personal datum a card holds.
                    stay_std::files::write_private(path, jpeg)
                        .with_context(|| format!("--portrait-out {}", path.display()))
                        .map_err(fail(exit::NO_INPUT))?;
                    Some(path.clone())
                }
                _ => None,
            };
            portrait = Some(report::PortraitShown {
                check: check_result,
                bytes: jpeg.as_ref().map(Vec::len),
                saved,
            });
        }
    }
    if json {
        let mut out = report::to_json(&verdict, &role, &source, channel.is_some(), now, Some(list));
        if let Some(channel) = &channel {
            out["transcript"] = report::transcript_json(&channel.reading.transcript);
            out["portrait"] = portrait
                .as_ref()
                .map_or(serde_json::Value::Null, report::portrait_json);
        }
        println!("{out}");
    } else {
        print!(
            "{}",
            report::to_text(&verdict, &role, &source, now, channel.is_some(), m)
        );
        if let Some(portrait) = &portrait {
            println!("  {}", report::portrait_line(portrait, m));
        }
    }
    Ok(match (verdict.status, verdict.decision) {
        (_, Decision::ReadTheChip) => exit::READ_THE_CHIP,
        (Status::Valid, _) => exit::VALID,
        (Status::Invalid(_), _) => exit::INVALID,
        (Status::Indeterminate(_), _) => exit::INDETERMINATE,
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
    let language = match stay_std::messages::cli_language(cli.lang.as_deref()) {
        Ok(language) => language,
        Err(e) => {
            eprintln!("reader-host: {e}");
            return ExitCode::from(exit::USAGE);
        }
    };
    let m = stay_std::messages::messages(language);
    stay_std::cli::finish("reader-host", m, run(cli.command, m))
}
