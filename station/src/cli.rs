//! `station`: the operator's side of the personalization station (prompts, a progress bar,
//! the summary); the work itself is [`Station`].

use std::io::IsTerminal;
use std::path::{Path, PathBuf};
use std::time::Duration;

use serde_json::json;
use stay_core::Policy;
use stay_std::cli::{exit, fail, now_or, read_list, Failure};

use crate::journal::{Journal, Step};
use crate::reader::StationReader;
use crate::{batch, Checkpoint, LocalSigner, Progress, RemoteSigner, Signer, Station};

/// Personalize blank resident cards at the issuing office: write, lock, prove each verifies.
#[derive(clap::Parser)]
#[command(name = "station", version)]
pub struct StationArgs {
    /// The applications: a batch (.csv or .toml, `[[application]]` tables) ...
    #[arg(
        long,
        required_unless_present = "application",
        conflicts_with = "application"
    )]
    batch: Option<PathBuf>,
    /// ... or one application (TOML, a batch row's columns at the top level).
    #[arg(long)]
    application: Option<PathBuf>,
    /// The station's journal (SQLite); created on first use. Run again with the same
    /// journal to resume after a stop: nothing is lost or issued twice.
    #[arg(long)]
    journal: PathBuf,
    /// Document numbers are PREFIX + 7 digits, drawn from the journal (one prefix per
    /// station, so two stations never draw the same number).
    #[arg(long)]
    number_prefix: String,
    /// The issuer's signing key (PKCS#8 PEM), to sign on this machine ...
    #[arg(
        long,
        required_unless_present = "signing_service",
        conflicts_with = "signing_service"
    )]
    signer_key: Option<PathBuf>,
    /// ... or the signing service's URL (`issuer serve`), so no signer key is here.
    #[arg(long, requires = "token_file")]
    signing_service: Option<String>,
    /// This station's token for the signing service.
    #[arg(long)]
    token_file: Option<PathBuf>,
    /// The office's personalization key (PKCS#8 PEM).
    #[arg(long)]
    personalization_key: PathBuf,
    /// The signed trust list every card is verified against before it is issued.
    #[arg(long)]
    trust_list: PathBuf,
    /// The pinned root public key (SPKI PEM).
    #[arg(long)]
    root_key: PathBuf,
    /// Where the card-face QR codes go (`NUMBER.png`, `NUMBER.svg`).
    #[arg(long)]
    out: PathBuf,
    /// The PC/SC reader (default: whichever shows a card first).
    #[arg(long)]
    reader: Option<String>,
    /// Seconds to wait for each card to be put in (and taken out) before stopping; the
    /// applications left stay pending in the journal.
    #[arg(long, default_value_t = 300.0)]
    wait: f32,
    /// Issue as of this time (RFC 3339) instead of now.
    #[arg(long)]
    at: Option<String>,
    /// The summary as JSON on stdout (progress still goes to stderr).
    #[arg(long)]
    json: bool,
    /// The language of the prompts and the summary: ky, ru or en (default: the locale's,
    /// else English). JSON keeps its codes.
    #[arg(long)]
    lang: Option<String>,
}

impl StationArgs {
    /// The operator's messages: `--lang`, else the locale (English when `--lang` is not
    /// one of ours: [`station`] refuses that as a usage error).
    pub fn messages(&self) -> &'static stay_std::messages::Messages {
        stay_std::messages::messages(
            stay_std::messages::cli_language(self.lang.as_deref())
                .unwrap_or(stay_std::messages::Language::English),
        )
    }
}

/// Exit status: 0 every application issued; 1 some failed, were refused as bad rows, or
/// are still pending; 65/66 the station could not start.
/// `checkpoint` runs at each step the station commits (the binary passes `&|_| {}`).
pub fn station(args: StationArgs, checkpoint: &dyn Fn(Checkpoint)) -> Result<u8, Failure> {
    let now = now_or(args.at.as_deref())?;
    let m = stay_std::messages::messages(
        stay_std::messages::cli_language(args.lang.as_deref())
            .map_err(|e| Failure(exit::USAGE, anyhow::anyhow!(e)))?,
    );
    let wait = Duration::try_from_secs_f32(args.wait).map_err(|_| {
        Failure(
            exit::USAGE,
            anyhow::anyhow!("{}", m.text("cli-wait-seconds")),
        )
    })?;
    let policy = Policy::DEFAULT;
    let issue_date = now.bishkek_date();
    let batch = match (&args.batch, &args.application) {
        (Some(path), _) => batch::read(path, &policy, issue_date),
        (None, Some(path)) => batch::read_one(path, &policy, issue_date),
        (None, None) => unreachable!("clap requires one"),
    }
    .map_err(fail(exit::NO_INPUT))?;
    for bad in &batch.bad_rows {
        eprintln!(
            "{}",
            m.format(
                "station-row-skipped",
                &[
                    ("line", &bad.line.to_string()),
                    ("reason", &bad.reason_in(m))
                ]
            )
        );
    }
    let list = read_list(&args.trust_list, &args.root_key, m)?;
    let signer: Box<dyn Signer + '_> = match (&args.signer_key, &args.signing_service) {
        (Some(key), _) => Box::new(LocalSigner {
            key: issuer::KeyPair::read(key).map_err(fail(exit::DATA))?,
            list: &list,
            policy,
        }),
        (None, Some(url)) => {
            let token_file = args.token_file.as_deref().expect("clap requires it");
            let token = issuer::service::read_station_token(token_file)
                .map_err(|e| Failure(exit::DATA, e.into()))?;
            let remote = RemoteSigner::new(url, token, &list, policy);
            let about = remote
                .check()
                .map_err(|e| Failure(exit::NO_INPUT, anyhow::anyhow!("{e}")))?;
            let keys: Vec<&str> = about["keys"]
                .as_array()
                .into_iter()
                .flatten()
                .filter_map(|k| k["key_id"].as_str())
                .collect();
            eprintln!(
                "{}",
                m.format(
                    "station-signing-through",
                    &[
                        ("url", url.as_str()),
                        ("keys", &keys.join(", ")),
                        ("sequence", &about["list_sequence"].to_string())
                    ]
                )
            );
            Box::new(remote)
        }
        (None, None) => unreachable!("clap requires one"),
    };
    let mut journal =
        Journal::open(&args.journal, &args.number_prefix).map_err(fail(exit::DATA))?;
    let added = journal.add(&batch.applications).map_err(fail(exit::DATA))?;
    let pending = journal.pending().map_err(fail(exit::DATA))?.len();
    eprintln!(
        "{}",
        m.format(
            "station-applications-read",
            &[
                ("read", &batch.applications.len().to_string()),
                ("new", &added.to_string()),
                ("bad", &batch.bad_rows.len().to_string()),
                ("pending", &pending.to_string())
            ]
        )
    );
    let mut station = Station {
        journal,
        signer: signer.as_ref(),
        personalization_key: issuer::KeyPair::read(&args.personalization_key)
            .map_err(fail(exit::DATA))?,
        list: &list,
        policy,
        now,
        out_dir: args.out.clone(),
        checkpoint,
    };
    let bar = indicatif::ProgressBar::new(pending as u64);
    let tty = std::io::stderr().is_terminal();
    if tty {
        bar.set_style(
            indicatif::ProgressStyle::with_template("{bar:30} {pos}/{len} issued  {msg}")
                .expect("template"),
        );
    } else {
        bar.set_draw_target(indicatif::ProgressDrawTarget::hidden());
    }
    let say = |line: String| {
        if tty {
            bar.println(line);
        } else {
            eprintln!("{line}");
        }
    };
    let mut spoiled = Vec::new();
    let mut issued = Vec::new();
    let mut failed = Vec::new();
    let mut progress = |event: Progress| match event {
        Progress::Insert { name } => {
            let prompt = m.format("station-insert-card", &[("name", &name)]);
            if !tty {
                eprintln!("{prompt}");
            }
            bar.set_message(prompt);
        }
        Progress::Issued {
            name,
            serial,
            document_number,
        } => {
            bar.inc(1);
            say(m.format(
                "station-issued",
                &[
                    ("number", &document_number),
                    ("name", &name),
                    ("serial", &serial.to_string()),
                ],
            ));
            issued
                .push(json!({"name": name, "document_number": document_number, "serial": serial}));
        }
        Progress::Spoiled {
            name,
            serial,
            document_number,
            reason,
        } => {
            say(m.format(
                "station-spoiled",
                &[
                    ("serial", &serial.to_string()),
                    ("number", &document_number),
                    ("name", &name),
                    ("reason", &reason.to_string()),
                ],
            ));
            spoiled.push(
                json!({"serial": serial, "document_number": document_number, "reason": reason}),
            );
        }
        Progress::Rejected { reason, .. } => {
            say(m.format("station-card-not-used", &[("reason", &reason.to_string())]))
        }
        Progress::Failed { name, reason } => {
            bar.inc(1);
            say(m.format(
                "station-failed",
                &[("name", &name), ("reason", &reason.to_string())],
            ));
            failed.push(json!({"name": name, "reason": reason}));
        }
        Progress::Recovered {
            serial,
            document_number,
            outcome,
        } => {
            say(m.format(
                "station-recovered",
                &[
                    ("serial", &serial.to_string()),
                    ("number", &document_number),
                    ("outcome", outcome.name()),
                ],
            ));
            let entry = json!({"serial": serial, "document_number": document_number,
                               "reason": "the station stopped before the card was issued"});
            match outcome {
                Step::Issued => issued.push(entry),
                _ => spoiled.push(entry),
            }
        }
    };
    station.resume(&mut progress).map_err(fail(exit::DATA))?;
    let mut cards =
        StationReader::new(args.reader.clone(), wait, m).map_err(fail(exit::NO_INPUT))?;
    let outcome = station.run(&mut cards, &mut progress);
    bar.finish_and_clear();
    write_retired(&station.journal, &args.out).map_err(fail(exit::DATA))?;
    let left: Vec<String> = station
        .journal
        .pending()
        .map_err(fail(exit::DATA))?
        .into_iter()
        .map(|a| a.application_id)
        .collect();
    if let Err(e) = outcome {
        eprintln!(
            "{}",
            m.format("station-stopped", &[("reason", &format!("{e:#}"))])
        );
    }
    // The wall clock, even under `--at`: when the operator's session ended.
    let finished = now_or(None)?;
    let summary = json!({
        "issued": issued,
        "spoiled": spoiled,
        "failed": failed,
        "bad_rows": batch.bad_rows,
        "pending": left,
        "journal": args.journal,
        "qr_codes": args.out,
        "finished_at": stay_std::clock::format_rfc3339_bishkek(finished),
    });
    if args.json {
        println!("{summary}");
    } else {
        print_summary(m, &summary, &batch.bad_rows, &args.out, finished);
    }
    let clean = failed.is_empty() && batch.bad_rows.is_empty() && left.is_empty();
    Ok(if clean { exit::VALID } else { exit::INVALID })
}

/// The file of every number this journal retired (spoiled cards), one per line, for the
/// authority's trust list (`revoked_documents_file` in its list source).
pub const RETIRED_FILE: &str = "retired-numbers.txt";

fn write_retired(journal: &Journal, out: &Path) -> anyhow::Result<()> {
    let mut numbers: Vec<String> = journal
        .all_attempts()?
        .into_iter()
        .filter(|a| a.state == Step::Spoiled)
        .map(|a| a.document_number)
        .collect();
    numbers.sort();
    let text: String = numbers.iter().map(|n| format!("{n}\n")).collect();
    std::fs::create_dir_all(out)?;
    stay_std::files::write_atomic(&out.join(RETIRED_FILE), text.as_bytes())
}

fn print_summary(
    m: &stay_std::messages::Messages,
    summary: &serde_json::Value,
    bad_rows: &[batch::BadRow],
    out: &Path,
    finished: stay_core::UnixTime,
) {
    let count = |key: &str| summary[key].as_array().map_or(0, Vec::len).to_string();
    let text = |v: &serde_json::Value| v.as_str().unwrap_or("").to_owned();
    println!(
        "{}",
        m.format(
            "station-summary",
            &[
                ("issued", &count("issued")),
                ("spoiled", &count("spoiled")),
                ("failed", &count("failed")),
                ("bad", &count("bad_rows")),
                ("pending", &count("pending")),
            ]
        )
    );
    let time = m.format(
        "time-bishkek",
        &[("time", &stay_std::clock::format_bishkek(finished))],
    );
    println!("{}", m.format("station-finished-at", &[("time", &time)]));
    if count("spoiled") != "0" {
        println!(
            "{}",
            m.format(
                "station-retired-file",
                &[("file", &out.join(RETIRED_FILE).display().to_string())]
            )
        );
    }
    for s in summary["spoiled"].as_array().into_iter().flatten() {
        println!(
            "  {}",
            m.format(
                "station-summary-spoiled",
                &[
                    ("serial", &text(&s["serial"])),
                    ("number", &text(&s["document_number"])),
                    ("reason", &text(&s["reason"])),
                ]
            )
        );
    }
    for f in summary["failed"].as_array().into_iter().flatten() {
        println!(
            "  {}",
            m.format(
                "station-summary-failed",
                &[("name", &text(&f["name"])), ("reason", &text(&f["reason"]))]
            )
        );
    }
    for b in bad_rows {
        println!(
            "  {}",
            m.format(
                "station-summary-bad-row",
                &[("line", &b.line.to_string()), ("reason", &b.reason_in(m))]
            )
        );
    }
    if count("issued") != "0" {
        println!(
            "{}",
            m.format("station-faces", &[("dir", &out.display().to_string())])
        );
    }
}
