//! How a verdict is shown: text for the person at the desk, JSON for scripts.

use std::fmt::Write as _;

use serde_json::{json, Value};
use stay_core::terminal::Transcript;
use stay_core::{AppliedChange, Role, StatusChange, TrustList, UnixTime, Verdict};
use stay_std::messages::{messages, Language, Messages};

/// The verdict as JSON: status, reason, decision and the fields this role may see.
/// What the terminal said to the card and heard back, step by step (gmrtd's habit: the
/// read is a list of steps, each outcome kept): each kept exchange's command, parameters,
/// bytes and status word, and the totals.
pub fn transcript_json(transcript: &Transcript) -> Value {
    let exchanges: Vec<Value> = transcript
        .exchanges()
        .map(|e| {
            json!({
                "command": e.command.name(),
                "p1p2": format!("{:02X}{:02X}", e.p1, e.p2),
                "sent": e.sent,
                "received": e.received,
                "status": e.status.map(|s| format!("{:04X}", s.to_u16())),
                "meaning": e.status.map(|s| s.meaning()),
            })
        })
        .collect();
    json!({
        "exchanges": exchanges,
        "apdus": transcript.apdus,
        "bytes_sent": transcript.bytes_sent,
        "bytes_received": transcript.bytes_received,
    })
}

pub fn to_json(
    verdict: &Verdict<'_>,
    role: &Role<'_>,
    source: &str,
    from_chip: bool,
    at: UnixTime,
    list: Option<&TrustList<'_>>,
) -> Value {
    // No list in force: the verdict says so (trust-list-unavailable), and so does this.
    let trust_list = list.map_or(Value::Null, |list| {
        json!({
            "sequence": list.sequence,
            "issued_at": stay_std::clock::format_rfc3339_bishkek(list.issued_at),
            "next_update": stay_std::clock::format_rfc3339_bishkek(list.next_update),
        })
    });
    // Codes are the interface; the explanations are English, for a log or a script's
    // operator, from the same messages every screen uses.
    let english = messages(Language::English);
    json!({
        "status": verdict.status.name(),
        "reason": verdict.status.reason_code(),
        "explanation": english.code("reason", verdict.status.reason_code().unwrap_or("valid")),
        "role": role.name(),
        "decision": verdict.decision.code(),
        "decision_explanation": english.code("decision", verdict.decision.code()),
        "authentic": verdict.authentic,
        "chip_authenticated": verdict.chip_authenticated,
        "fields": verdict.shown,
        "source": source,
        "checked_at": stay_std::clock::format_rfc3339_bishkek(at),
        "trust_list": trust_list,
        // Read from a chip, or printed (a QR code, a record file).
        "presentation": if from_chip { "chip" } else { "printed" },
        "status_change": verdict.status_change.as_ref().map(status_change_json),
    })
}

/// The trust-list entry that changed the stay: `kind` (`extended`, `suspended`,
/// `superseded`), its `date`, the `successor` of a superseded document, and the list's
/// sequence that carries it.
pub fn status_change_json(applied: &AppliedChange) -> Value {
    let successor = match applied.change {
        StatusChange::Superseded { successor, .. } => Some(successor),
        _ => None,
    };
    json!({
        "kind": applied.change.name(),
        "date": applied.change.date(),
        "successor": successor,
        "list_sequence": applied.list_sequence,
    })
}

/// The status change as a person reads it, in `m`'s language.
pub fn status_change_line(applied: &AppliedChange, m: &Messages) -> String {
    let date = applied.change.date().to_string();
    let sequence = applied.list_sequence.to_string();
    let mut args = vec![("date", date.as_str()), ("sequence", sequence.as_str())];
    if let StatusChange::Superseded { successor, .. } = &applied.change {
        args.push(("successor", successor.as_str()));
    }
    m.format(&format!("change-{}", applied.change.name()), &args)
}

/// What the verdict proves about the document in hand, beyond its data: the message id.
/// A printed code holds no portrait, so the advice names what a person can compare.
pub fn presentation(verdict: &Verdict<'_>, from_chip: bool) -> Option<&'static str> {
    if verdict.chip_authenticated {
        Some("presentation-chip")
    } else if from_chip {
        // Read from a chip that failed before its proof (or failed it): the reason says why.
        None
    } else if verdict.is_printed_copy_of_chip_card() {
        Some("presentation-printed-copy")
    } else if verdict.authentic {
        Some("presentation-printed")
    } else {
        None
    }
}

/// A field's value as a person reads it: names of types, purposes and sexes in the
/// language, dates as they are (ISO 8601 is printed on the card too), the rest verbatim.
fn field_value(m: &Messages, name: &str, value: &Value) -> String {
    let text = value
        .as_str()
        .map_or_else(|| value.to_string(), str::to_owned);
    match (name, value) {
        ("document_type", _) => m.code("document-type", &text),
        ("purpose", _) => m.code("purpose", &text),
        ("sex", _) => m.code("sex", &text),
        (_, Value::Bool(true)) => m.text("yes"),
        (_, Value::Bool(false)) => m.text("no"),
        _ => text,
    }
}

/// The verdict as text in `m`'s language: the status large and first, then the decision,
/// then the fields; codes stay beside the words, so a report can be quoted to anyone.
pub fn to_text(
    verdict: &Verdict<'_>,
    role: &Role<'_>,
    source: &str,
    at: UnixTime,
    from_chip: bool,
    m: &Messages,
) -> String {
    let mut out = String::new();
    let headline = m.code("outcome", verdict.status.name());
    match verdict.status.reason_code() {
        None => {
            let _ = writeln!(out, "{headline}");
        }
        Some(code) => {
            let _ = writeln!(out, "{headline}: {code} ({})", m.code("reason", code));
        }
    }
    let _ = writeln!(
        out,
        "  {} ({}): {}",
        m.code("role", role.name()),
        verdict.decision.code(),
        m.code("decision", verdict.decision.code())
    );
    let _ = writeln!(out, "  {}: {source}", m.text("field-source"));
    let time = m.format(
        "time-bishkek",
        &[("time", &stay_std::clock::format_bishkek(at))],
    );
    let _ = writeln!(out, "  {}: {time}", m.text("field-checked-at"));
    if let Some(line) = presentation(verdict, from_chip) {
        let _ = writeln!(out, "  {}", m.text(line));
    }
    if let Some(applied) = &verdict.status_change {
        let _ = writeln!(out, "  {}", status_change_line(applied, m));
    }
    if let Value::Object(fields) = json!(verdict.shown) {
        for (k, v) in fields {
            let label = m.code("field", &k);
            let _ = writeln!(out, "  {label:<20} {}", field_value(m, &k, &v));
        }
    }
    out
}

/// What became of the chip's portrait in one check.
#[derive(Debug, Clone)]
pub struct PortraitShown {
    pub check: stay_core::PortraitCheck,
    /// Bytes the chip gave; `None`: it gave none.
    pub bytes: Option<usize>,
    /// Where it was saved (only a portrait that matched).
    pub saved: Option<std::path::PathBuf>,
}

pub fn portrait_json(portrait: &PortraitShown) -> Value {
    json!({
        "check": portrait.check.code(),
        "bytes": portrait.bytes,
        "file": portrait.saved,
    })
}

pub fn portrait_line(portrait: &PortraitShown, m: &Messages) -> String {
    match (portrait.check, &portrait.saved) {
        (stay_core::PortraitCheck::Matches, Some(path)) => {
            m.format("portrait-saved", &[("file", &path.display().to_string())])
        }
        (stay_core::PortraitCheck::Matches, None) => m.text("portrait-matches"),
        (stay_core::PortraitCheck::NoneIssued, _) => m.text("portrait-none-issued"),
        (stay_core::PortraitCheck::Mismatch, _) => m.text("portrait-mismatch"),
        (stay_core::PortraitCheck::NotRead, _) => m.text("reason-portrait-not-read"),
    }
}
