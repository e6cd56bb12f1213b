//! The clock and the text forms of a time: RFC 3339 (UTC for files and logs, Bishkek time
//! with its offset for JSON a person's program reads) and Bishkek time for people.

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

/// Kyrgyzstan's one time zone, UTC+6 all year (no daylight saving since 2005).
const BISHKEK: time::UtcOffset = time::macros::offset!(+6);

fn bishkek(t: UnixTime) -> Option<OffsetDateTime> {
    i64::try_from(t.0)
        .ok()
        .and_then(|s| OffsetDateTime::from_unix_timestamp(s).ok())
        .map(|t| t.to_offset(BISHKEK))
}

/// For JSON: RFC 3339 in Bishkek time with its offset, `2026-11-21T06:00:00+06:00`.
pub fn format_rfc3339_bishkek(t: UnixTime) -> String {
    bishkek(t)
        .and_then(|t| t.format(&Rfc3339).ok())
        .unwrap_or_else(|| format!("@{}", t.0))
}

/// For people: Bishkek time to the minute, `2026-11-21 06:00` (the screen adds the zone's
/// name, in the reader's language: message `time-bishkek`).
pub fn format_bishkek(t: UnixTime) -> String {
    let format = time::macros::format_description!("[year]-[month]-[day] [hour]:[minute]");
    bishkek(t)
        .and_then(|t| t.format(&format).ok())
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

    #[test]
    fn people_read_bishkek_time_and_json_carries_its_offset() {
        // Midnight UTC is six in the morning in Bishkek, winter and summer alike.
        for at in ["2026-01-15T00:00:00Z", "2026-07-15T00:00:00Z"] {
            let t = parse_rfc3339("at", at).unwrap();
            assert!(
                format_bishkek(t).ends_with(" 06:00"),
                "{}",
                format_bishkek(t)
            );
            let json = format_rfc3339_bishkek(t);
            assert!(json.ends_with("T06:00:00+06:00"), "{json}");
            assert_eq!(parse_rfc3339("at", &json).unwrap(), t);
        }
        // The date changes at Bishkek's midnight, not at UTC's.
        let t = parse_rfc3339("at", "2026-11-20T19:30:00Z").unwrap();
        assert_eq!(format_bishkek(t), "2026-11-21 01:30");
    }
}
