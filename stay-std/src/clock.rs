//! The clock and the one text form of a time (RFC 3339, UTC).

use anyhow::{Context, Result};
use stay_core::UnixTime;
use time::format_description::well_known::Rfc3339;
use time::OffsetDateTime;

/// The system clock, in the project's time type (0 for a clock before 1970).
pub fn system_now() -> UnixTime {
    let secs = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map_or(0, |d| d.as_secs());
    UnixTime(secs)
}

/// Parses an RFC 3339 time; `field` names it in the error.
pub fn parse_rfc3339(field: &str, text: &str) -> Result<UnixTime> {
    let t = OffsetDateTime::parse(text, &Rfc3339)
        .with_context(|| format!("{field}: {text:?} is not an RFC 3339 time"))?;
    let secs =
        u64::try_from(t.unix_timestamp()).with_context(|| format!("{field}: before 1970"))?;
    Ok(UnixTime(secs))
}

/// `2026-11-21T00:00:00Z`; a time past year 9999 as `@SECONDS`.
pub fn format_rfc3339(t: UnixTime) -> String {
    i64::try_from(t.0)
        .ok()
        .and_then(|s| OffsetDateTime::from_unix_timestamp(s).ok())
        .and_then(|t| t.format(&Rfc3339).ok())
        .unwrap_or_else(|| format!("@{}", t.0))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn times_roundtrip_and_bad_ones_are_named() {
        let t = parse_rfc3339("at", "2026-11-21T06:00:00+06:00").unwrap();
        assert_eq!(format_rfc3339(t), "2026-11-21T00:00:00Z");
        assert_eq!(parse_rfc3339("at", &format_rfc3339(t)).unwrap(), t);
        let e = parse_rfc3339("--at", "yesterday").unwrap_err();
        assert!(format!("{e:#}").starts_with("--at: \"yesterday\""), "{e:#}");
        assert!(parse_rfc3339("at", "1969-12-31T23:59:59Z").is_err());
        assert_eq!(format_rfc3339(UnixTime(u64::MAX)), format!("@{}", u64::MAX));
    }
}
