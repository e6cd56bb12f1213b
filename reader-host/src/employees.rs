//! The employer's watch: the documents of the people an employer employs, kept by the
//! employer on its own machine (a TOML file, readable by its owner only: the number, the
//! type, the valid-until the record said at hiring, and the employer's own name for the
//! person), checked against each new trust list, so the employer learns of a revocation,
//! a suspension, a supersession or an ending stay before an inspector does. Nothing leaves
//! the machine: the trust list is public and carries everything the check needs.

use std::path::Path;

use serde::{Deserialize, Serialize};
use stay_core::{Date, DocumentNumber, StatusChange, TrustList, UnixTime};
use stay_std::messages::Message;

/// How many days ahead an ending stay is reported, unless told otherwise.
pub const DEFAULT_WITHIN_DAYS: i64 = 30;

/// One watched document.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Employee {
    /// The employer's own name for the person (free text, never checked).
    pub name: String,
    pub number: String,
    /// `resident-card`, `unified-window` or `digital-nomad`, from the record.
    pub document_type: String,
    /// The record's own valid-until (YYYY-MM-DD); a list's extension moves it.
    pub valid_until: String,
}

/// The employer's file of watched documents.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Employees {
    #[serde(default, rename = "employee")]
    pub employees: Vec<Employee>,
}

impl Employees {
    /// The file at `path`; none yet is an empty watch.
    pub fn read(path: &Path) -> anyhow::Result<Employees> {
        use anyhow::Context;
        match stay_std::files::read_to_string(path) {
            Ok(text) => toml::from_str(&text)
                .with_context(|| format!("{} is not a watch file", path.display())),
            Err(e) if e.source.kind() == std::io::ErrorKind::NotFound => Ok(Employees::default()),
            Err(e) => Err(e.into()),
        }
    }

    /// Writes the file readable by its owner only: it names people.
    pub fn write(&self, path: &Path) -> anyhow::Result<()> {
        let text = format!(
            "# The documents of the people this employer employs, kept here only, checked\n\
             # against every trust list by `reader-host watch`.\n\n{}",
            toml::to_string(self)?
        );
        stay_std::files::write_private(path, text.as_bytes())
    }

    /// Adds or replaces (same number) an entry.
    pub fn add(&mut self, employee: Employee) {
        self.employees.retain(|e| e.number != employee.number);
        self.employees.push(employee);
    }
}

/// What a list says of a watched document that needs the employer's attention.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Finding {
    Revoked,
    /// Suspended from `since` (possibly a day still ahead).
    Suspended {
        since: Date,
    },
    Superseded {
        on: Date,
        successor: DocumentNumber,
    },
    /// The stay (the list's extension, else the record's date) ends within the window.
    Ends {
        valid_until: Date,
        days_left: i64,
    },
    Ended {
        valid_until: Date,
    },
}

impl Finding {
    pub const fn code(&self) -> &'static str {
        match self {
            Finding::Revoked => "revoked",
            Finding::Suspended { .. } => "suspended",
            Finding::Superseded { .. } => "superseded",
            Finding::Ends { .. } => "ends-soon",
            Finding::Ended { .. } => "ended",
        }
    }
}

/// Why an entry of the watch file cannot be checked.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum BadEntry {
    #[error("{0:?} is not a document number")]
    Number(String),
    #[error("valid_until {0:?} is not a date YYYY-MM-DD")]
    ValidUntil(String),
}

/// What `list` says of `employee` on `now`'s day, reporting a stay that ends within
/// `within_days`; `None`: nothing to report.
pub fn check(
    employee: &Employee,
    list: &TrustList<'_>,
    now: UnixTime,
    within_days: i64,
) -> Result<Option<Finding>, BadEntry> {
    let number = employee.number.as_str();
    if DocumentNumber::new(number).is_none() {
        return Err(BadEntry::Number(number.into()));
    }
    let printed = Date::parse_iso(&employee.valid_until)
        .map_err(|_| BadEntry::ValidUntil(employee.valid_until.clone()))?;
    if list.is_document_revoked(number) {
        return Ok(Some(Finding::Revoked));
    }
    match list.status_change(number) {
        Some(StatusChange::Suspended { since }) => return Ok(Some(Finding::Suspended { since })),
        Some(StatusChange::Superseded { on, successor }) => {
            return Ok(Some(Finding::Superseded { on, successor }))
        }
        _ => {}
    }
    let valid_until = list.effective_valid_until(number, printed);
    let today = now.bishkek_date();
    let days_left = valid_until.days_since_epoch() - today.days_since_epoch();
    Ok(if days_left < 0 {
        Some(Finding::Ended { valid_until })
    } else if days_left <= within_days {
        Some(Finding::Ends {
            valid_until,
            days_left,
        })
    } else {
        None
    })
}

/// The finding as a person reads it.
pub fn message(employee: &Employee, finding: &Finding) -> Message {
    let m = Message::new(match finding {
        Finding::Revoked => "watch-revoked",
        Finding::Suspended { .. } => "watch-suspended",
        Finding::Superseded { .. } => "watch-superseded",
        Finding::Ends { .. } => "watch-ends",
        Finding::Ended { .. } => "watch-ended",
    })
    .arg("name", &employee.name)
    .arg("number", &employee.number);
    match *finding {
        Finding::Revoked => m,
        Finding::Suspended { since } => m.arg("date", since),
        Finding::Superseded { on, successor } => m.arg("date", on).arg("successor", successor),
        Finding::Ends {
            valid_until,
            days_left,
        } => m.arg("date", valid_until).arg("days", days_left),
        Finding::Ended { valid_until } => m.arg("date", valid_until),
    }
}

/// The finding for scripts and the desk's API.
pub fn to_json(employee: &Employee, finding: &Finding) -> serde_json::Value {
    let (date, successor, days_left) = match *finding {
        Finding::Revoked => (None, None, None),
        Finding::Suspended { since } => (Some(since), None, None),
        Finding::Superseded { on, successor } => (Some(on), Some(successor), None),
        Finding::Ends {
            valid_until,
            days_left,
        } => (Some(valid_until), None, Some(days_left)),
        Finding::Ended { valid_until } => (Some(valid_until), None, None),
    };
    serde_json::json!({
        "name": employee.name,
        "number": employee.number,
        "finding": finding.code(),
        "date": date,
        "successor": successor,
        "days_left": days_left,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_bad_entry_is_named_never_passed_over() {
        let list_bytes = std::fs::read(
            Path::new(env!("CARGO_MANIFEST_DIR")).join("../testdata/lists/status.list"),
        )
        .unwrap();
        let content = stay_core::TrustListContent::parse(&list_bytes).unwrap();
        let root = stay_std::pem::read_public(
            &Path::new(env!("CARGO_MANIFEST_DIR")).join("../testdata/keys/root.pub.pem"),
        )
        .unwrap();
        let list = TrustList::load(&list_bytes, &root, None).unwrap();
        assert!(content.status_change_count() > 0);
        let employee = |number: &str, until: &str| Employee {
            name: "A".into(),
            number: number.into(),
            document_type: "digital-nomad".into(),
            valid_until: until.into(),
        };
        let now = UnixTime(1_795_240_800); // 2026-11-21 Bishkek
        assert_eq!(
            check(&employee("dn-1", "2027-01-01"), &list, now, 30),
            Err(BadEntry::Number("dn-1".into()))
        );
        assert_eq!(
            check(&employee("DN1", "soon"), &list, now, 30),
            Err(BadEntry::ValidUntil("soon".into()))
        );
        // The list's extension (to 2027-05-20) moves an ended stay into the future.
        assert_eq!(
            check(&employee("DN0000011", "2026-11-20"), &list, now, 30),
            Ok(None)
        );
        assert_eq!(
            check(&employee("DN9", "2026-11-20"), &list, now, 30),
            Ok(Some(Finding::Ended {
                valid_until: Date::parse_iso("2026-11-20").unwrap()
            }))
        );
    }
}
