//! How a verdict is shown: text for the person at the desk, JSON for scripts.

use std::fmt::Write as _;

use serde_json::{json, Value};
use stay_core::terminal::Transcript;
use stay_core::{Role, TrustList, UnixTime, Verdict};

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
    at: UnixTime,
    list: Option<&TrustList<'_>>,
) -> Value {
    // No list in force: the verdict says so (trust-list-unavailable), and so does this.
    let trust_list = list.map_or(Value::Null, |list| {
        json!({
            "sequence": list.sequence,
            "issued_at": stay_std::clock::format_rfc3339(list.issued_at),
            "next_update": stay_std::clock::format_rfc3339(list.next_update),
        })
    });
    json!({
        "status": verdict.status.name(),
        "reason": verdict.status.reason_code(),
        "explanation": verdict.status.explanation(),
        "role": role.name(),
        "decision": verdict.decision.code(),
        "decision_explanation": verdict.decision.explanation(),
        "authentic": verdict.authentic,
        "chip_authenticated": verdict.chip_authenticated,
        "fields": verdict.shown,
        "source": source,
        "checked_at": stay_std::clock::format_rfc3339(at),
        "trust_list": trust_list,
    })
}

/// What the verdict proves about the document in hand, beyond its data. A printed QR
/// holds no portrait, so the advice names what a person can actually compare.
pub fn presentation_line(verdict: &Verdict<'_>) -> Option<&'static str> {
    if verdict.chip_authenticated {
        Some("chip: genuine (answered this terminal's challenge)")
    } else if verdict.is_printed_copy_of_chip_card() {
        Some("PRINTED COPY of a chip card: proves no card is present; hold the card to the reader")
    } else if verdict.authentic {
        Some("printed document: compare the holder and their passport with the fields shown")
    } else {
        None
    }
}

/// The verdict as text: the status large and first, then the decision, then the fields.
pub fn to_text(verdict: &Verdict<'_>, role: &Role<'_>, source: &str) -> String {
    let mut out = String::new();
    let headline = verdict.status.name().to_uppercase();
    match verdict.status.reason_code() {
        None => {
            let _ = writeln!(out, "{headline}");
        }
        Some(code) => {
            let _ = writeln!(out, "{headline}: {code} ({})", verdict.status.explanation());
        }
    }
    let _ = writeln!(
        out,
        "  {} ({}): {}",
        role.name(),
        verdict.decision.code(),
        verdict.decision.explanation()
    );
    let _ = writeln!(out, "  source: {source}");
    if let Some(line) = presentation_line(verdict) {
        let _ = writeln!(out, "  {line}");
    }
    if let Value::Object(fields) = json!(verdict.shown) {
        for (k, v) in fields {
            let text = v.as_str().map_or_else(|| v.to_string(), str::to_owned);
            let _ = writeln!(out, "  {:<20} {text}", k.replace('_', " "));
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

pub fn portrait_line(portrait: &PortraitShown) -> String {
    match (portrait.check, &portrait.saved) {
        (stay_core::PortraitCheck::Matches, Some(path)) => format!(
            "portrait: the one issued (signed digest matches), saved to {}",
            path.display()
        ),
        (stay_core::PortraitCheck::Matches, None) => {
            "portrait: the one issued (signed digest matches); --portrait-out FILE saves it".into()
        }
        (stay_core::PortraitCheck::NoneIssued, _) => "portrait: none issued".into(),
        (stay_core::PortraitCheck::Mismatch, _) => {
            "portrait: NOT the one issued with this document; not shown".into()
        }
    }
}
