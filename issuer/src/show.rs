//! `issuer show`: a record or a list, decoded for people (or JSON for scripts).

use std::fmt::Write as _;

use anyhow::{bail, Result};
use serde_json::{json, Value};
use stay_core::{PublicKey, StayRecord, TrustList, TrustListContent};

use stay_std::clock::format_rfc3339;

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
                None => json!("not checked (pass --root-key)"),
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
    let _ = writeln!(out, "  {label:<20} {text}");
}

/// The decoded value as text for people.
pub fn to_text(shown: &Shown) -> String {
    let mut out = String::new();
    match shown {
        Shown::Record(v) => {
            let _ = writeln!(
                out,
                "Stay record, {} bytes (signature not checked: use reader-host verify)",
                v["length"]
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
                field_line(&mut out, &key.replace('_', " "), &v[key]);
            }
        }
        Shown::List(v) => {
            let _ = writeln!(out, "Trust list, {} bytes", v["length"]);
            for key in ["sequence", "issued_at", "next_update", "signature"] {
                field_line(&mut out, &key.replace('_', " "), &v[key]);
            }
            let signers = v["signers"].as_array().map(Vec::as_slice).unwrap_or(&[]);
            let _ = writeln!(out, "  signers ({}):", signers.len());
            for s in signers {
                let types: Vec<&str> = s["document_types"]
                    .as_array()
                    .map(|a| a.iter().filter_map(Value::as_str).collect())
                    .unwrap_or_default();
                let _ = writeln!(
                    out,
                    "    {}  {} .. {}  {}",
                    s["key_id"].as_str().unwrap_or(""),
                    s["not_before"].as_str().unwrap_or(""),
                    s["not_after"].as_str().unwrap_or(""),
                    types.join(", ")
                );
            }
            let revoked_signers: Vec<&str> = v["revoked_signers"]
                .as_array()
                .map(|a| a.iter().filter_map(Value::as_str).collect())
                .unwrap_or_default();
            let _ = writeln!(
                out,
                "  revoked signers ({}): {}",
                revoked_signers.len(),
                revoked_signers.join(" ")
            );
            let docs: Vec<&str> = v["revoked_documents"]
                .as_array()
                .map(|a| a.iter().filter_map(Value::as_str).collect())
                .unwrap_or_default();
            let more = if v["revoked_documents_truncated"] == json!(true) {
                " ..."
            } else {
                ""
            };
            let _ = writeln!(
                out,
                "  revoked documents ({}): {}{more}",
                v["revoked_document_count"],
                docs.join(" ")
            );
        }
    }
    out
}
