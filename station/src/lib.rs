//! The personalization station: applications in, locked cards that verify out, losing
//! nothing on the way.
//!
//! For each pending application the station waits for a card, and on it:
//! 1. SELECT: a locked card is not blank; it is handed back untouched;
//! 2. station authentication (personalization key), GENERATE: the card makes its chip key;
//! 3. the journal draws a document number and records the attempt (`started`);
//! 4. the signer seals the record for that chip key (`signed`);
//! 5. STORE DATA (`written`), SET STATUS: locked (`locked`);
//! 6. the card is read back through the border check path and verified with the trust
//!    list, as a border guard's reader would (`verified`);
//! 7. the card-face QR code is rendered (PNG and SVG) and the card is `issued`.
//!
//! Each step is committed to the journal before the next one starts. A station stopped at
//! any step and started again ([`Station::resume`]) finishes a verified card (only the QR
//! code was missing) and spoils every other unfinished attempt: its card never counts as
//! issued, its number is retired, and the application waits for a new card. A card that
//! leaves the reader mid-way spoils its attempt the same way and the batch goes on.

pub mod batch;
pub mod cli;
pub mod face;
pub mod journal;
pub mod reader;

use std::path::PathBuf;

use anyhow::{Context, Result};
use stay_core::{Check, Decision, Policy, Role, UnixTime};

use stay_core::pace::Can;
use stay_core::terminal::{ApduLink, CardError, Session};

use batch::Application;
use journal::{Attempt, Journal, Step};
use stay_std::LoadedList;

/// A card access number drawn uniformly from 000000 to 999999 (by rejection, so no CAN is
/// likelier than another) with the operating system's generator.
pub fn draw_can() -> Can {
    const LIMIT: u32 = u32::MAX - u32::MAX % 1_000_000;
    loop {
        let n = rand_core::RngCore::next_u32(&mut rand_core::OsRng);
        if n < LIMIT {
            return Can::parse(&format!("{:06}", n % 1_000_000)).expect("six digits");
        }
    }
}

/// Signs records for the station: with a key file here, or through the signing service.
pub trait Signer {
    /// The signed record for `holder`, after every policy check; `Err` says why not.
    fn sign(&self, holder: &issuer::Holder) -> Result<Vec<u8>, SignError>;
}

#[derive(Debug, thiserror::Error)]
pub enum SignError {
    /// The policy forbids this record: no card will change that.
    #[error("signing refused: {0}")]
    Refused(String),
    /// The signer could not be reached or failed: the batch stops, the journal keeps all.
    #[error("signer unavailable: {0}")]
    Unavailable(String),
}

/// A signer key on this machine, with the list that must authorize it (the same list the
/// station verifies its cards with).
pub struct LocalSigner<'a> {
    pub key: issuer::KeyPair,
    pub list: &'a LoadedList,
    pub policy: Policy,
}

impl Signer for LocalSigner<'_> {
    fn sign(&self, holder: &issuer::Holder) -> Result<Vec<u8>, SignError> {
        issuer::sign_record(holder, &self.key, self.list.list(), &self.policy)
            .map_err(|e| SignError::Refused(e.to_string()))
    }
}

/// The signing service (`issuer serve`): the signer keys stay on its machine. What it
/// sends back is checked ([`issuer::check_sealed`]) before any card is written: exactly the
/// application sent, signed by a key the list authorizes.
pub struct RemoteSigner<'a> {
    base: String,
    token: String,
    agent: ureq::Agent,
    pub list: &'a LoadedList,
    pub policy: Policy,
}

/// A record is under 2 KiB; an answer larger than this is not one.
const MAX_ANSWER: u64 = 64 * 1024;

impl<'a> RemoteSigner<'a> {
    /// `base` is the service's URL (`http://127.0.0.1:7390`).
    pub fn new(base: &str, token: String, list: &'a LoadedList, policy: Policy) -> Self {
        RemoteSigner {
            base: base.trim_end_matches('/').to_string(),
            token,
            agent: ureq::AgentBuilder::new()
                .timeout_connect(std::time::Duration::from_secs(5))
                .timeout(std::time::Duration::from_secs(30))
                .build(),
            list,
            policy,
        }
    }

    /// What the service signs with. Called before the first card, so a wrong token or a
    /// service that is down stops the station before it touches a card.
    pub fn check(&self) -> Result<serde_json::Value, SignError> {
        let request = self
            .agent
            .get(&format!("{}{}", self.base, issuer::service::SIGNER_PATH));
        let (status, body) = self.call(request, None)?;
        if status != 200 {
            return Err(SignError::Unavailable(answer_error(status, &body)));
        }
        serde_json::from_slice(&body)
            .map_err(|e| SignError::Unavailable(format!("the service's answer: {e}")))
    }

    fn call(
        &self,
        request: ureq::Request,
        holder: Option<&issuer::Holder>,
    ) -> Result<(u16, Vec<u8>), SignError> {
        let request = request.set("Authorization", &format!("Bearer {}", self.token));
        let answer = match holder {
            Some(holder) => request
                .set("Content-Type", "application/json")
                .send_bytes(&serde_json::to_vec(holder).unwrap_or_default()),
            None => request.call(),
        };
        let response = match answer {
            Ok(response) => response,
            Err(ureq::Error::Status(_, response)) => response,
            Err(e) => {
                return Err(SignError::Unavailable(format!(
                    "cannot reach the signing service at {}: {e}",
                    self.base
                )))
            }
        };
        let status = response.status();
        let mut body = Vec::new();
        let reader = response.into_reader();
        std::io::Read::read_to_end(&mut std::io::Read::take(reader, MAX_ANSWER), &mut body)
            .map_err(|e| SignError::Unavailable(format!("the service's answer: {e}")))?;
        Ok((status, body))
    }
}

/// The reason a service's error answer gives, or its status.
fn answer_error(status: u16, body: &[u8]) -> String {
    let said = serde_json::from_slice::<serde_json::Value>(body).ok();
    let said = said
        .as_ref()
        .and_then(|v| v.get("refused").or_else(|| v.get("error")))
        .and_then(|v| v.as_str());
    match (status, said) {
        (401, _) => "the signing service does not accept this station's token".into(),
        (_, Some(said)) => format!("the signing service answered {status}: {said}"),
        (_, None) => format!("the signing service answered {status}"),
    }
}

impl Signer for RemoteSigner<'_> {
    fn sign(&self, holder: &issuer::Holder) -> Result<Vec<u8>, SignError> {
        let request = self
            .agent
            .post(&format!("{}{}", self.base, issuer::service::SIGN_PATH));
        let (status, body) = self.call(request, Some(holder))?;
        match status {
            200 => {
                issuer::check_sealed(holder, &body, self.list.list(), &self.policy).map_err(
                    |why| {
                        SignError::Unavailable(format!(
                            "the signing service sent back a record that is not the \
                             application, signed as the list allows: {why}"
                        ))
                    },
                )?;
                Ok(body)
            }
            // The application itself is refused: no card will change that.
            422 => Err(SignError::Refused(answer_error(status, &body))),
            // The number is on another record: two stations share a prefix, or a journal
            // was restored from a backup. Stop before more numbers collide.
            409 => Err(SignError::Unavailable(format!(
                "{} (is another station drawing numbers with this prefix, or was the journal \
                 restored from a backup?)",
                answer_error(status, &body)
            ))),
            _ => Err(SignError::Unavailable(answer_error(status, &body))),
        }
    }
}

/// Where blank cards come from: a PC/SC reader, or cards in memory for tests.
pub trait CardSupply {
    type Card: ApduLink<Error: std::fmt::Display>;
    /// Waits for the next card, telling the operator `prompt`. `None`: none came in time.
    fn next_card(&mut self, prompt: &str) -> Result<Option<Self::Card>>;
    /// Hands the card back, asking for it to be taken out (the next [`CardSupply::next_card`]
    /// waits until it is).
    fn hand_back(&mut self, card: Self::Card, message: &str) -> Result<()>;
}

/// What the station tells its operator, as it happens.
#[derive(Debug, Clone)]
pub enum Progress {
    /// Waiting for a blank card for this holder.
    Insert {
        name: String,
    },
    Issued {
        name: String,
        serial: String,
        document_number: String,
    },
    Spoiled {
        name: String,
        serial: String,
        document_number: String,
        reason: String,
    },
    /// The card in the reader cannot be used (locked, not ours); nothing was written.
    Rejected {
        serial: Option<String>,
        reason: String,
    },
    Failed {
        name: String,
        reason: String,
    },
    /// An attempt a stopped station left, settled at start.
    Recovered {
        serial: String,
        document_number: String,
        outcome: Step,
    },
}

/// What STORE DATA carries: the record object, the portrait object (`5F40`), the CAN
/// (`C2`).
pub fn store_payload(record: &[u8], portrait: Option<&[u8]>, can: &Can) -> Vec<u8> {
    let mut payload =
        vec![0u8; stay_core::terminal::store_payload_len(record.len(), portrait.map(<[u8]>::len))];
    stay_core::terminal::write_store_payload(record, portrait, can, &mut payload)
        .expect("sized by store_payload_len");
    payload
}

/// A point where the station has just committed a step: `Authenticated` (the card
/// accepted the station, nothing journaled yet) or the journal step it committed. The
/// station calls [`Station::checkpoint`] at each; the crash tests stop it there.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Checkpoint {
    Authenticated,
    Committed(Step),
}

impl Checkpoint {
    /// `authenticated`, or the step's journal name.
    pub fn name(self) -> &'static str {
        match self {
            Checkpoint::Authenticated => "authenticated",
            Checkpoint::Committed(step) => step.name(),
        }
    }

    /// The checkpoint [`Checkpoint::name`] names.
    pub fn from_name(name: &str) -> Option<Checkpoint> {
        use Step::*;
        [Started, Signed, Written, Locked, Verified, Issued, Spoiled]
            .into_iter()
            .map(Checkpoint::Committed)
            .chain([Checkpoint::Authenticated])
            .find(|at| at.name() == name)
    }
}

pub struct Station<'a> {
    pub journal: Journal,
    pub signer: &'a dyn Signer,
    pub personalization_key: issuer::KeyPair,
    /// The list the finished card is verified against (as a border reader has it).
    pub list: &'a LoadedList,
    pub policy: Policy,
    pub now: UnixTime,
    /// Where the card faces go (QR code and CAN): `NUMBER.png` and `NUMBER.svg`.
    pub out_dir: PathBuf,
    /// Called at each [`Checkpoint`]; production passes `&|_| {}`.
    pub checkpoint: &'a dyn Fn(Checkpoint),
}

/// How one card went.
enum CardOutcome {
    Issued(Attempt),
    /// Not usable; nothing written.
    Rejected(Option<String>, String),
    /// Started and spoiled: the application waits for another card.
    Spoiled(Attempt),
    /// Spoiled, and the application can never succeed as it is.
    Failed(Option<Attempt>, String),
}

impl Station<'_> {
    /// Settles what a stopped station left: a verified card is issued (its QR code is
    /// rendered now), any other unfinished attempt is spoiled.
    pub fn resume(&mut self, progress: &mut dyn FnMut(Progress)) -> Result<()> {
        for mut attempt in self.journal.interrupted()? {
            let outcome = match (&attempt.state, attempt.record.clone(), attempt.can) {
                (Step::Verified, Some(record), Some(can)) => {
                    self.render(&attempt.document_number, &record, &can)?;
                    self.journal.advance(&mut attempt, Step::Issued, None)?;
                    Step::Issued
                }
                (state, _, _) => {
                    let reason = format!("the station stopped with the card {}", state.name());
                    self.journal.spoil(&mut attempt, &reason)?;
                    Step::Spoiled
                }
            };
            progress(Progress::Recovered {
                serial: attempt.serial.clone(),
                document_number: attempt.document_number.clone(),
                outcome,
            });
        }
        Ok(())
    }

    /// Issues every pending application, each on the next good card. Returns when all are
    /// settled, or when no card came in time (the rest stay pending for the next run).
    pub fn run<S: CardSupply>(
        &mut self,
        supply: &mut S,
        progress: &mut dyn FnMut(Progress),
    ) -> Result<()> {
        for application in self.journal.pending()? {
            let name = application.name();
            loop {
                progress(Progress::Insert { name: name.clone() });
                let Some(mut card) =
                    supply.next_card(&format!("insert a blank card for {name}"))?
                else {
                    return Ok(());
                };
                let outcome = self.issue(&application, &mut card)?;
                let (message, settled) = match outcome {
                    CardOutcome::Issued(attempt) => {
                        progress(Progress::Issued {
                            name: name.clone(),
                            serial: attempt.serial,
                            document_number: attempt.document_number.clone(),
                        });
                        (
                            format!("card {} issued: take it out", attempt.document_number),
                            true,
                        )
                    }
                    CardOutcome::Rejected(serial, reason) => {
                        progress(Progress::Rejected {
                            serial,
                            reason: reason.clone(),
                        });
                        (format!("{reason}: take the card out"), false)
                    }
                    CardOutcome::Spoiled(attempt) => {
                        let reason = attempt.reason.clone().unwrap_or_default();
                        progress(Progress::Spoiled {
                            name: name.clone(),
                            serial: attempt.serial,
                            document_number: attempt.document_number,
                            reason,
                        });
                        ("card spoiled: take it out and set it aside".into(), false)
                    }
                    CardOutcome::Failed(attempt, reason) => {
                        if let Some(attempt) = attempt {
                            progress(Progress::Spoiled {
                                name: name.clone(),
                                serial: attempt.serial,
                                document_number: attempt.document_number,
                                reason: attempt.reason.unwrap_or_default(),
                            });
                        }
                        progress(Progress::Failed {
                            name: name.clone(),
                            reason: reason.clone(),
                        });
                        (
                            format!("application refused ({reason}): take the card out"),
                            true,
                        )
                    }
                };
                supply.hand_back(card, &message)?;
                if settled {
                    break;
                }
            }
        }
        Ok(())
    }

    fn render(&self, document_number: &str, record: &[u8], can: &Can) -> Result<()> {
        face::write(&self.out_dir, document_number, record, can)
    }

    /// One card for one application. `Err` only when the station itself cannot go on
    /// (journal, disk, signer unreachable).
    fn issue<T: ApduLink<Error: std::fmt::Display>>(
        &mut self,
        application: &Application,
        card: &mut T,
    ) -> Result<CardOutcome> {
        let portrait = match &application.portrait {
            Some(path) => {
                let jpeg =
                    std::fs::read(path).with_context(|| format!("portrait {}", path.display()))?;
                // Checked again as it is written: the file may have changed since the batch
                // was read.
                issuer::portrait::check(&jpeg)
                    .map_err(|refusal| anyhow::anyhow!("portrait {}: {refusal}", path.display()))?;
                Some(jpeg)
            }
            None => None,
        };
        let mut session = Session::new(card);
        // Before anything is journaled: a card that cannot start costs nothing.
        let (serial, chip_key) = match (|| {
            let fci = session.select_blank()?;
            session.authenticate_station(&fci, |message| self.personalization_key.sign(message))?;
            Ok((fci.serial, session.generate_chip_key()?))
        })() {
            Ok(started) => started,
            Err(CardError::Locked) => {
                return Ok(CardOutcome::Rejected(
                    None,
                    "the card is locked: already personalized (or spoiled)".into(),
                ))
            }
            Err(e) => {
                return Ok(CardOutcome::Rejected(
                    None,
                    format!("cannot start the card: {e}"),
                ))
            }
        };
        let serial = hex::encode_upper(serial);
        (self.checkpoint)(Checkpoint::Authenticated);
        let can = draw_can();
        let mut attempt = self.journal.start(
            &application.application_id,
            &serial,
            &hex::encode(chip_key),
            &can,
        )?;
        (self.checkpoint)(Checkpoint::Committed(Step::Started));

        let issue_date = self.now.bishkek_date();
        let holder = application.holder(
            &attempt.document_number,
            issue_date,
            Some(&chip_key),
            portrait.as_deref(),
        );
        let record = match self.signer.sign(&holder) {
            Ok(record) => record,
            Err(SignError::Refused(reason)) => {
                self.journal
                    .spoil(&mut attempt, &format!("signing refused: {reason}"))?;
                self.journal.fail(&application.application_id, &reason)?;
                return Ok(CardOutcome::Failed(Some(attempt), reason));
            }
            Err(e @ SignError::Unavailable(_)) => {
                self.journal.spoil(&mut attempt, &e.to_string())?;
                return Err(e.into());
            }
        };
        self.journal
            .advance(&mut attempt, Step::Signed, Some(&record))?;
        (self.checkpoint)(Checkpoint::Committed(Step::Signed));

        let written = session.store(
            &store_payload(&record, portrait.as_deref(), &can),
            stay_core::apdu::STORE_BLOCK_MAX,
        );
        if let Err(e) = written {
            self.journal
                .spoil(&mut attempt, &format!("writing the card: {e}"))?;
            return Ok(CardOutcome::Spoiled(attempt));
        }
        self.journal.advance(&mut attempt, Step::Written, None)?;
        (self.checkpoint)(Checkpoint::Committed(Step::Written));

        if let Err(e) = session.lock() {
            self.journal
                .spoil(&mut attempt, &format!("locking the card: {e}"))?;
            return Ok(CardOutcome::Spoiled(attempt));
        }
        self.journal.advance(&mut attempt, Step::Locked, None)?;
        (self.checkpoint)(Checkpoint::Committed(Step::Locked));

        // The proof: exactly what a border guard's reader does with this card, PACE with
        // the CAN just stored included.
        let reading = match stay_core::terminal::border_check(session.into_link(), &can, |secret| {
            rand_core::RngCore::fill_bytes(&mut rand_core::OsRng, secret)
        }) {
            Ok(reading) => reading,
            Err(e) => {
                self.journal
                    .spoil(&mut attempt, &format!("reading the card back: {e}"))?;
                return Ok(CardOutcome::Spoiled(attempt));
            }
        };
        let verdict = stay_core::verify(
            reading.record(),
            self.list.list(),
            // The station's decision (docs/policy.md): a card written before its validity
            // starts (valid-from next month, the usual case) verifies.
            &Check::chip(self.now, Role::Station, reading.proof(), &self.policy),
        );
        if reading.record() != record.as_slice() || verdict.decision != Decision::CardVerifies {
            let reason = if reading.record() != record.as_slice() {
                "the card read back another record".to_string()
            } else {
                format!(
                    "the card does not verify: {} ({})",
                    verdict.status.name(),
                    verdict.status.reason_code().unwrap_or_default()
                )
            };
            self.journal.spoil(&mut attempt, &reason)?;
            // The same record would fail on any card: stop wasting them.
            self.journal.fail(&application.application_id, &reason)?;
            return Ok(CardOutcome::Failed(Some(attempt), reason));
        }
        self.journal.advance(&mut attempt, Step::Verified, None)?;
        (self.checkpoint)(Checkpoint::Committed(Step::Verified));

        self.render(&attempt.document_number, &record, &can)?;
        self.journal.advance(&mut attempt, Step::Issued, None)?;
        (self.checkpoint)(Checkpoint::Committed(Step::Issued));
        Ok(CardOutcome::Issued(attempt))
    }
}
