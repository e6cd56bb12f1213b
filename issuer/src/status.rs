//! What the authority changes in a stay after issuance: extensions, suspensions and their
//! lifting, supersession. The list source keeps every step (`[[status]]`, in the order they
//! were recorded, never edited); a list carries only each document's current state, folded
//! from that history by [`current`]. The commands (`issuer extend`, `suspend`, `lift`,
//! `supersede`) append one step and fold the whole history again, so the same rules refuse
//! a nonsensical step whether it comes from a command or a hand-edited source.

use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};
use stay_core::{Date, DocumentNumber, DocumentType, Policy, StatusChange, UnixTime};
use stay_std::messages::Message;

/// One step of the history, as the list source records it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct StatusStep {
    /// The document the step is about.
    pub document: String,
    pub action: Action,
    /// Extend: the new valid-until. Suspend: the first day it is suspended. Lift: the day
    /// the suspension ends. Supersede: the first day the successor replaces it.
    pub date: String,
    /// When the office recorded the step (RFC 3339).
    pub recorded_at: String,
    /// The document's type (extend, supersede): the policy's limits depend on it.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub document_type: Option<String>,
    /// The record's own validity (extend): the base the policy counts extensions from.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub valid_from: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub valid_until: Option<String>,
    /// Supersede: the document that replaces this one, and its type.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub successor: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub successor_type: Option<String>,
    /// Why, in the office's words (the decision's reference): history only, never on a list.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub note: Option<String>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Action {
    Extend,
    Suspend,
    Lift,
    Supersede,
}

impl Action {
    pub const fn name(self) -> &'static str {
        match self {
            Action::Extend => "extend",
            Action::Suspend => "suspend",
            Action::Lift => "lift",
            Action::Supersede => "supersede",
        }
    }
}

/// What a step's field must be.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Expected {
    Date,
    Time,
    Number,
    DocumentType,
}

impl Expected {
    const fn name(self) -> &'static str {
        match self {
            Expected::Date => "date",
            Expected::Time => "time",
            Expected::Number => "number",
            Expected::DocumentType => "type",
        }
    }

    const fn english(self) -> &'static str {
        match self {
            Expected::Date => "a date YYYY-MM-DD",
            Expected::Time => "an RFC 3339 time",
            Expected::Number => "a document number (1-16 of A-Z 0-9)",
            Expected::DocumentType => "resident-card, unified-window or digital-nomad",
        }
    }
}

/// Why a step is refused. Each names what is wrong with it.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum StatusRefusal {
    #[error("{field}: {value:?} is not {}", expected.english())]
    BadValue {
        field: &'static str,
        value: String,
        expected: Expected,
    },
    #[error("{action} needs {field}")]
    Missing {
        action: &'static str,
        field: &'static str,
    },
    #[error(
        "{date} is before the day the step was recorded ({today}): a change never reaches back"
    )]
    InThePast { date: Date, today: Date },
    #[error("the new valid-until {until} is not later than the stay's {current}")]
    NotLater { until: Date, current: Date },
    #[error("a {document_type} is not extended (the policy allows no extension)")]
    NotExtendable { document_type: DocumentType },
    #[error(
        "a {document_type} lasts at most {max_days} days from its valid-from with every \
         extension: {latest} at the latest"
    )]
    ExceedsPolicy {
        document_type: DocumentType,
        max_days: u32,
        latest: Date,
    },
    #[error("{document} is already suspended (since {since})")]
    AlreadySuspended { document: String, since: Date },
    #[error("{document} is not suspended: nothing to lift")]
    NotSuspended { document: String },
    #[error("{document} was superseded by {successor}: nothing changes it any more")]
    Superseded { document: String, successor: String },
    #[error("{document} is revoked: a revoked document has no stay to change")]
    Revoked { document: String },
    #[error("only a unified-window document is superseded, and only by a resident card")]
    SupersedeTypes,
    #[error("a document does not supersede itself")]
    SupersedesItself,
    #[error("the two documents are not the same holder's (their PINs differ)")]
    OtherHolder,
}

impl StatusRefusal {
    /// The refusal in the operator's language.
    pub fn message(&self) -> Message {
        match self {
            StatusRefusal::BadValue {
                field,
                value,
                expected,
            } => Message::new("status-bad-value")
                .arg("field", field)
                .arg("value", value)
                .word("expected", format!("status-expected-{}", expected.name())),
            StatusRefusal::Missing { action, field } => Message::new("status-missing")
                .arg("action", action)
                .arg("field", field),
            StatusRefusal::InThePast { date, today } => Message::new("status-in-the-past")
                .arg("date", date)
                .arg("today", today),
            StatusRefusal::NotLater { until, current } => Message::new("status-not-later")
                .arg("until", until)
                .arg("current", current),
            StatusRefusal::NotExtendable { document_type } => Message::new("status-not-extendable")
                .word("type", format!("document-type-{}", document_type.name())),
            StatusRefusal::ExceedsPolicy {
                document_type,
                max_days,
                latest,
            } => Message::new("status-exceeds-policy")
                .word("type", format!("document-type-{}", document_type.name()))
                .arg("days", max_days)
                .arg("latest", latest),
            StatusRefusal::AlreadySuspended { document, since } => {
                Message::new("status-already-suspended")
                    .arg("number", document)
                    .arg("since", since)
            }
            StatusRefusal::NotSuspended { document } => {
                Message::new("status-not-suspended").arg("number", document)
            }
            StatusRefusal::Superseded {
                document,
                successor,
            } => Message::new("status-superseded")
                .arg("number", document)
                .arg("successor", successor),
            StatusRefusal::Revoked { document } => {
                Message::new("status-revoked").arg("number", document)
            }
            StatusRefusal::SupersedeTypes => Message::new("status-supersede-types"),
            StatusRefusal::SupersedesItself => Message::new("status-supersedes-itself"),
            StatusRefusal::OtherHolder => Message::new("status-other-holder"),
        }
    }
}

/// A refused step of a history: which one (from 1, in the source's order) and why.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("status step {step} ({document}): {refusal}")]
pub struct HistoryRefused {
    pub step: usize,
    pub document: String,
    pub refusal: StatusRefusal,
}

/// A document's state after the steps so far.
#[derive(Debug, Clone, Copy, Default)]
struct State {
    /// The latest extension: the valid-until a lifted suspension returns to.
    extended: Option<Date>,
    suspended: Option<Date>,
    superseded: Option<(Date, DocumentNumber)>,
}

impl State {
    fn change(&self) -> Option<StatusChange> {
        match (self.superseded, self.suspended, self.extended) {
            (Some((on, successor)), _, _) => Some(StatusChange::Superseded { on, successor }),
            (None, Some(since), _) => Some(StatusChange::Suspended { since }),
            (None, None, Some(valid_until)) => Some(StatusChange::Extended { valid_until }),
            (None, None, None) => None,
        }
    }
}

fn date(field: &'static str, text: &str) -> Result<Date, StatusRefusal> {
    Date::parse_iso(text).map_err(|_| StatusRefusal::BadValue {
        field,
        value: text.into(),
        expected: Expected::Date,
    })
}

fn required<'s>(
    action: Action,
    field: &'static str,
    value: &'s Option<String>,
) -> Result<&'s str, StatusRefusal> {
    value.as_deref().ok_or(StatusRefusal::Missing {
        action: action.name(),
        field,
    })
}

fn document_type(field: &'static str, text: &str) -> Result<DocumentType, StatusRefusal> {
    DocumentType::from_name(text).ok_or(StatusRefusal::BadValue {
        field,
        value: text.into(),
        expected: Expected::DocumentType,
    })
}

fn number(field: &'static str, text: &str) -> Result<DocumentNumber, StatusRefusal> {
    DocumentNumber::new(text).ok_or(StatusRefusal::BadValue {
        field,
        value: text.into(),
        expected: Expected::Number,
    })
}

fn apply(state: &mut State, step: &StatusStep, policy: &Policy) -> Result<(), StatusRefusal> {
    let document = &step.document;
    number("document", document)?;
    let on = date("date", &step.date)?;
    let recorded =
        stay_std::clock::parse_rfc3339("recorded_at", &step.recorded_at).map_err(|_| {
            StatusRefusal::BadValue {
                field: "recorded_at",
                value: step.recorded_at.clone(),
                expected: Expected::Time,
            }
        })?;
    if let Some((_, successor)) = state.superseded {
        return Err(StatusRefusal::Superseded {
            document: document.clone(),
            successor: successor.to_string(),
        });
    }
    // Terminals decide on the day they check: a change dated before the day it was
    // recorded would pretend an offline terminal knew it then.
    let today = recorded.bishkek_date();
    if on < today && step.action != Action::Extend {
        return Err(StatusRefusal::InThePast { date: on, today });
    }
    match step.action {
        Action::Extend => {
            let kind = document_type(
                "document_type",
                required(step.action, "document_type", &step.document_type)?,
            )?;
            let from = date(
                "valid_from",
                required(step.action, "valid_from", &step.valid_from)?,
            )?;
            let until = date(
                "valid_until",
                required(step.action, "valid_until", &step.valid_until)?,
            )?;
            let current = state.extended.map_or(until, |e| e.max(until));
            if on <= current {
                return Err(StatusRefusal::NotLater { until: on, current });
            }
            let max_days = policy.max_extended_days(kind);
            if max_days <= u32::from(policy.max_validity_days(kind)) {
                return Err(StatusRefusal::NotExtendable {
                    document_type: kind,
                });
            }
            if from.days_inclusive_until(on) > i64::from(max_days) {
                return Err(StatusRefusal::ExceedsPolicy {
                    document_type: kind,
                    max_days,
                    latest: Date::from_days_since_epoch(
                        from.days_since_epoch() + i64::from(max_days) - 1,
                    ),
                });
            }
            state.extended = Some(on);
        }
        Action::Suspend => {
            if let Some(since) = state.suspended {
                return Err(StatusRefusal::AlreadySuspended {
                    document: document.clone(),
                    since,
                });
            }
            state.suspended = Some(on);
        }
        Action::Lift => {
            if state.suspended.take().is_none() {
                return Err(StatusRefusal::NotSuspended {
                    document: document.clone(),
                });
            }
        }
        Action::Supersede => {
            let kind = document_type(
                "document_type",
                required(step.action, "document_type", &step.document_type)?,
            )?;
            let successor = number(
                "successor",
                required(step.action, "successor", &step.successor)?,
            )?;
            let successor_type = document_type(
                "successor_type",
                required(step.action, "successor_type", &step.successor_type)?,
            )?;
            if kind != DocumentType::UnifiedWindow || successor_type != DocumentType::ResidentCard {
                return Err(StatusRefusal::SupersedeTypes);
            }
            if successor.as_str() == document {
                return Err(StatusRefusal::SupersedesItself);
            }
            state.superseded = Some((on, successor));
        }
    }
    Ok(())
}

/// Each document's current state after `history`, in list order (by number), refusing the
/// first step that breaks a rule. (A revocation comes later than the steps before it and
/// outranks them at every terminal: the list leaves a revoked document's state out.)
pub fn current(
    history: &[StatusStep],
    policy: &Policy,
) -> Result<Vec<(String, StatusChange)>, HistoryRefused> {
    let mut states: BTreeMap<&str, State> = BTreeMap::new();
    for (i, step) in history.iter().enumerate() {
        let state = states.entry(step.document.as_str()).or_default();
        apply(state, step, policy).map_err(|refusal| HistoryRefused {
            step: i + 1,
            document: step.document.clone(),
            refusal,
        })?;
    }
    // BTreeMap's order on the numbers' bytes is the list's order (shorter prefix first).
    Ok(states
        .into_iter()
        .filter_map(|(number, state)| state.change().map(|c| (number.to_owned(), c)))
        .collect())
}

/// A step on `document` taking effect `on`, recorded at `at`; the caller fills in what
/// its action needs.
pub fn step(action: Action, document: &str, on: Date, at: UnixTime) -> StatusStep {
    StatusStep {
        document: document.into(),
        action,
        date: on.to_string(),
        recorded_at: stay_std::clock::format_rfc3339(at),
        document_type: None,
        valid_from: None,
        valid_until: None,
        successor: None,
        successor_type: None,
        note: None,
    }
}

/// The step as the `[[status]]` table appended to a list source.
pub fn to_toml(step: &StatusStep) -> String {
    #[derive(Serialize)]
    struct One<'a> {
        status: [&'a StatusStep; 1],
    }
    toml::to_string(&One { status: [step] }).expect("a step is plain strings")
}

/// Why a step was not recorded.
#[derive(Debug, thiserror::Error)]
pub enum NotRecorded {
    /// The step breaks a rule (or the history already in the source does).
    #[error(transparent)]
    Refused(#[from] HistoryRefused),
    /// The list source cannot be read or is not one.
    #[error(transparent)]
    Source(#[from] anyhow::Error),
}

/// What a recorded step left: its number in the history and the document's state now.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Recorded {
    pub step: usize,
    pub now: Option<StatusChange>,
}

/// Appends `step` to the history in the list source at `path`, after folding the whole
/// history with it; the source's other text (comments included) is kept as it was. The
/// file is replaced atomically, and not at all when the step is refused.
pub fn record(
    path: &std::path::Path,
    step: &StatusStep,
    policy: &Policy,
) -> Result<Recorded, NotRecorded> {
    let text = stay_std::files::read_to_string(path).map_err(anyhow::Error::from)?;
    let source = crate::ListSource::parse(path, &text)?;
    let base = path.parent().unwrap_or(std::path::Path::new("."));
    let mut revoked = source.revoked_documents.clone();
    if let Some(file) = &source.revoked_documents_file {
        revoked.extend(crate::list::read_numbers(&base.join(file))?);
    }
    let step_number = source.status.len() + 1;
    if revoked.contains(&step.document) {
        return Err(HistoryRefused {
            step: step_number,
            document: step.document.clone(),
            refusal: StatusRefusal::Revoked {
                document: step.document.clone(),
            },
        }
        .into());
    }
    let mut new_text = text;
    if !new_text.is_empty() && !new_text.ends_with('\n') {
        new_text.push('\n');
    }
    new_text.push('\n');
    new_text.push_str(&to_toml(step));
    let source = crate::ListSource::parse(path, &new_text)?;
    let states = current(&source.status, policy)?;
    stay_std::files::write_atomic(path, new_text.as_bytes())?;
    Ok(Recorded {
        step: step_number,
        now: states
            .iter()
            .find(|(number, _)| *number == step.document)
            .map(|(_, change)| *change),
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    const AT: UnixTime = UnixTime(1_795_240_800); // 2026-11-21 12:00 Bishkek

    fn d(text: &str) -> Date {
        Date::parse_iso(text).unwrap()
    }

    fn extend(number: &str, until: &str) -> StatusStep {
        StatusStep {
            document_type: Some("digital-nomad".into()),
            valid_from: Some("2026-01-10".into()),
            valid_until: Some("2027-01-09".into()),
            ..step(Action::Extend, number, d(until), AT)
        }
    }

    #[test]
    fn a_lifted_suspension_gives_back_the_extension_it_hid() {
        let history = [
            extend("DN1", "2027-06-30"),
            step(Action::Suspend, "DN1", d("2026-11-21"), AT),
        ];
        let suspended = current(&history, &Policy::DEFAULT).unwrap();
        assert_eq!(
            suspended,
            [(
                "DN1".to_string(),
                StatusChange::Suspended {
                    since: d("2026-11-21")
                }
            )]
        );
        let mut history = history.to_vec();
        history.push(step(Action::Lift, "DN1", d("2026-11-25"), AT));
        assert_eq!(
            current(&history, &Policy::DEFAULT).unwrap(),
            [(
                "DN1".to_string(),
                StatusChange::Extended {
                    valid_until: d("2027-06-30")
                }
            )]
        );
    }

    #[test]
    fn a_broken_history_is_refused_at_its_step() {
        let history = [
            step(Action::Suspend, "DN1", d("2026-11-21"), AT),
            // Recorded on the 21st, taking effect on the 20th: no terminal knew it then.
            step(Action::Suspend, "DN2", d("2026-11-20"), AT),
        ];
        let refused = current(&history, &Policy::DEFAULT).unwrap_err();
        assert_eq!(refused.step, 2);
        assert_eq!(refused.document, "DN2");
        assert!(matches!(refused.refusal, StatusRefusal::InThePast { .. }));
        let missing = StatusStep {
            valid_from: None,
            ..extend("DN1", "2027-06-30")
        };
        assert_eq!(
            current(&[missing], &Policy::DEFAULT).unwrap_err().refusal,
            StatusRefusal::Missing {
                action: "extend",
                field: "valid_from"
            }
        );
        let bad_number = step(Action::Lift, "dn-1", d("2026-11-21"), AT);
        assert!(matches!(
            current(&[bad_number], &Policy::DEFAULT)
                .unwrap_err()
                .refusal,
            StatusRefusal::BadValue {
                field: "document",
                ..
            }
        ));
    }

    #[test]
    fn the_list_order_is_the_numbers_byte_order() {
        let history = [
            extend("DN2", "2027-03-01"),
            extend("DN10", "2027-03-01"),
            extend("DN1", "2027-03-01"),
        ];
        let numbers: Vec<String> = current(&history, &Policy::DEFAULT)
            .unwrap()
            .into_iter()
            .map(|(n, _)| n)
            .collect();
        assert_eq!(numbers, ["DN1", "DN10", "DN2"]);
    }
}
