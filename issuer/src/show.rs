//! `issuer show`: a record or a list, decoded for people (or JSON for scripts).

use std::fmt::Write as _;

use anyhow::{bail, Result};
use serde_json::{json, Value};
use stay_core::{PublicKey, StayRecord, TrustList, TrustListContent};

use stay_std::clock::format_rfc3339;
use stay_std::messages::Messages;

/// How many revoked document numbers `show` prints before summarizing.
const REVOKED_SHOWN: usize = 50;

pub enum Shown {
    Record(Value),
    List(Value),
}

/// Decodes `bytes` as a record or a list. With `root`, a list's signature is checked too.
pub fn decode(bytes: &[u8], root: Option<&PublicKey>) -> Result<Shown> {
    match bytes {
        [0x7F, 0x70, ..] => {
            let record = StayRecord::parse(bytes)
                .map_err(|e| anyhow::anyhow!("not a valid stay record: {e}"))?;
            let mut v = serde_json::to_value(record.fields)?;
            v["kind"] = json!("stay-record");
            v["length"] = json!(bytes.len());
            v["signature"] = json!(hex::encode(record.signature));
            Ok(Shown::Record(v))
        }
        [0x7F, 0x72, ..] => {
            let list = TrustListContent::parse(bytes)
                .map_err(|e| anyhow::anyhow!("not a valid trust list: {e}"))?;
            let signature = match root {
                // Null: not checked (no --root-key).
                None => Value::Null,
                Some(root) => match TrustList::load(bytes, root, None) {
                    Ok(_) => json!("valid"),
                    Err(e) => json!(format!("INVALID: {e}")),
                },
            };
            let signers: Vec<Value> = list
                .signers()
                .map(|s| {
                    json!({
                        "key_id": s.key_id.to_string(),
                        "public_key": hex::encode(s.public_key),
                        "not_before": s.not_before.to_string(),
                        "not_after": s.not_after.to_string(),
                        "document_types": stay_core::DocumentType::ALL
                            .iter()
                            .filter(|t| s.may_sign(**t))
                            .map(|t| t.name())
                            .collect::<Vec<_>>(),
                    })
                })
                .collect();
            let count = list.revoked_document_count();
            let status_count = list.status_change_count();
            let status_changes: Vec<Value> = list
                .status_changes()
                .take(REVOKED_SHOWN)
                .map(|e| {
                    let successor = match e.change {
                        stay_core::StatusChange::Superseded { successor, .. } => {
                            Some(successor.to_string())
                        }
                        _ => None,
                    };
                    json!({
                        "document_number": e.document_number,
                        "kind": e.change.name(),
                        "date": e.change.date().to_string(),
                        "successor": successor,
                    })
                })
                .collect();
            Ok(Shown::List(json!({
                "kind": "trust-list",
                "length": bytes.len(),
                "sequence": list.sequence,
                "issued_at": format_rfc3339(list.issued_at),
                "next_update": format_rfc3339(list.next_update),
                "signature": signature,
                "signers": signers,
                "revoked_signers": list.revoked_signers().map(|k| k.to_string()).collect::<Vec<_>>(),
                "revoked_document_count": count,
                "revoked_documents": list.revoked_documents().take(REVOKED_SHOWN).collect::<Vec<_>>(),
                "revoked_documents_truncated": count > REVOKED_SHOWN,
                "status_change_count": status_count,
                "status_changes": status_changes,
                "status_changes_truncated": status_count > REVOKED_SHOWN,
            })))
        }
        _ => bail!("neither a stay record (7F70...) nor a trust list (7F72...)"),
    }
}

fn field_line(out: &mut String, label: &str, v: &Value) {
    let text = match v {
        Value::Null => return,
        Value::String(s) => s.clone(),
        other => other.to_string(),
    };
    let _ = writeln!(out, "  {label:<24} {text}");
}

/// A list's time for people: Bishkek time (the JSON keeps RFC 3339 UTC).
fn time_line(out: &mut String, m: &Messages, label: &str, v: &Value) {
    let time = v
        .as_str()
        .and_then(|t| stay_std::clock::parse_rfc3339("time", t).ok())
        .map(|t| {
            m.format(
                "time-bishkek",
                &[("time", &stay_std::clock::format_bishkek(t))],
            )
        });
    match time {
        Some(time) => field_line(out, label, &Value::String(time)),
        None => field_line(out, label, v),
    }
}

fn strings(v: &Value) -> Vec<&str> {
    v.as_array()
        .map(|a| a.iter().filter_map(Value::as_str).collect())
        .unwrap_or_default()
}

/// The decoded value as text for people, in `m`'s language.
pub fn to_text(shown: &Shown, m: &Messages) -> String {
    let mut out = String::new();
    match shown {
        Shown::Record(v) => {
            let _ = writeln!(
                out,
                "{}",
                m.format("show-record", &[("bytes", &v["length"].to_string())])
            );
            for key in [
                "document_type",
                "document_number",
                "pin",
                "itn",
                "surname",
                "given_names",
                "nationality",
                "date_of_birth",
                "sex",
                "purpose",
                "employer_tin",
                "valid_from",
                "valid_until",
                "issue_date",
                "issuing_authority",
                "signer_key_id",
                "chip_public_key",
                "portrait_digest",
            ] {
                field_line(&mut out, &m.code("field", key), &v[key]);
            }
        }
        Shown::List(v) => {
            let _ = writeln!(
                out,
                "{}",
                m.format("show-list", &[("bytes", &v["length"].to_string())])
            );
            field_line(&mut out, &m.text("field-sequence"), &v["sequence"]);
            time_line(&mut out, m, &m.text("field-issued-at"), &v["issued_at"]);
            time_line(&mut out, m, &m.text("field-next-update"), &v["next_update"]);
            let signature = match &v["signature"] {
                Value::Null => m.text("show-signature-not-checked"),
                Value::String(s) if s == "valid" => m.text("show-signature-valid"),
                other => m.format(
                    "show-signature-invalid",
                    &[(
                        "detail",
                        other.as_str().unwrap_or("").trim_start_matches("INVALID: "),
                    )],
                ),
            };
            field_line(
                &mut out,
                &m.text("field-signature"),
                &Value::String(signature),
            );
            let signers = v["signers"].as_array().map(Vec::as_slice).unwrap_or(&[]);
            let _ = writeln!(
                out,
                "  {}",
                m.format("show-signers", &[("count", &signers.len().to_string())])
            );
            for s in signers {
                let _ = writeln!(
                    out,
                    "    {}  {} .. {}  {}",
                    s["key_id"].as_str().unwrap_or(""),
                    s["not_before"].as_str().unwrap_or(""),
                    s["not_after"].as_str().unwrap_or(""),
                    strings(&s["document_types"]).join(", ")
                );
            }
            let revoked_signers = strings(&v["revoked_signers"]);
            let _ = writeln!(
                out,
                "  {} {}",
                m.format(
                    "show-revoked-signers",
                    &[("count", &revoked_signers.len().to_string())]
                ),
                revoked_signers.join(" ")
            );
            let more = if v["revoked_documents_truncated"] == json!(true) {
                " ..."
            } else {
                ""
            };
            let _ = writeln!(
                out,
                "  {} {}{more}",
                m.format(
                    "show-revoked-documents",
                    &[("count", &v["revoked_document_count"].to_string())]
                ),
                strings(&v["revoked_documents"]).join(" ")
            );
            let _ = writeln!(
                out,
                "  {}",
                m.format(
                    "show-status-changes",
                    &[("count", &v["status_change_count"].to_string())]
                )
            );
            for e in v["status_changes"].as_array().into_iter().flatten() {
                let number = e["document_number"].as_str().unwrap_or("");
                let date = e["date"].as_str().unwrap_or("");
                let line = match e["kind"].as_str() {
                    Some("extended") => {
                        m.format("status-now-extended", &[("number", number), ("date", date)])
                    }
                    Some("suspended") => m.format(
                        "status-now-suspended",
                        &[("number", number), ("date", date)],
                    ),
                    _ => m.format(
                        "status-now-superseded",
                        &[
                            ("number", number),
                            ("date", date),
                            ("successor", e["successor"].as_str().unwrap_or("")),
                        ],
                    ),
                };
                let _ = writeln!(out, "    {line}");
            }
            if v["status_changes_truncated"] == json!(true) {
                let _ = writeln!(out, "    ...");
            }
        }
    }
    out
}
