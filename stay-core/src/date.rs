//! Calendar dates and instants.
//!
//! A document is valid on whole days in Kyrgyzstan's civil time (UTC+06:00 all year, no
//! daylight saving since 2005): valid from 00:00 of `valid_from` to 24:00 of `valid_until`,
//! Bishkek time. A terminal's clock is an instant ([`UnixTime`]); [`UnixTime::bishkek_date`]
//! turns it into the date the rules compare.

use core::fmt;

/// Seconds since 1970-01-01T00:00:00Z.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
#[cfg_attr(feature = "serde", derive(serde::Serialize))]
pub struct UnixTime(pub u64);

/// Kyrgyzstan's offset from UTC.
pub const BISHKEK_UTC_OFFSET_SECS: u64 = 6 * 3600;

const SECS_PER_DAY: u64 = 86_400;

impl UnixTime {
    /// The civil date in Bishkek at this instant.
    pub fn bishkek_date(self) -> Date {
        // Saturating: a broken real-time clock near u64::MAX must give a far-future date
        // (every document expired), not an overflow.
        let days = self.0.saturating_add(BISHKEK_UTC_OFFSET_SECS) / SECS_PER_DAY;
        // `days` fits in i64; the resulting year is clamped by `from_days_since_epoch`.
        Date::from_days_since_epoch(days as i64)
    }
}

/// A proleptic Gregorian calendar date, always a real date (months 1-12, days in range).
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct Date {
    year: u16,
    month: u8,
    day: u8,
}

/// The wire form of a date: year (2 bytes, big endian), month, day.
pub const DATE_LEN: usize = 4;

/// Not a real calendar date.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct InvalidDate;

const fn is_leap(year: u16) -> bool {
    (year.is_multiple_of(4) && !year.is_multiple_of(100)) || year.is_multiple_of(400)
}

const fn days_in_month(year: u16, month: u8) -> u8 {
    match month {
        1 | 3 | 5 | 7 | 8 | 10 | 12 => 31,
        4 | 6 | 9 | 11 => 30,
        2 if is_leap(year) => 29,
        2 => 28,
        _ => 0,
    }
}

impl Date {
    /// Years before 1900 or after 9999 are refused: no stay document needs them.
    pub const fn new(year: u16, month: u8, day: u8) -> Result<Date, InvalidDate> {
        if year < 1900 || year > 9999 || month < 1 || month > 12 {
            return Err(InvalidDate);
        }
        if day < 1 || day > days_in_month(year, month) {
            return Err(InvalidDate);
        }
        Ok(Date { year, month, day })
    }

    pub const fn year(self) -> u16 {
        self.year
    }
    pub const fn month(self) -> u8 {
        self.month
    }
    pub const fn day(self) -> u8 {
        self.day
    }

    pub fn from_bytes(bytes: &[u8]) -> Result<Date, InvalidDate> {
        match bytes {
            [y0, y1, m, d] => Date::new(u16::from_be_bytes([*y0, *y1]), *m, *d),
            _ => Err(InvalidDate),
        }
    }

    pub fn to_bytes(self) -> [u8; DATE_LEN] {
        let [y0, y1] = self.year.to_be_bytes();
        [y0, y1, self.month, self.day]
    }

    /// Days since 1970-01-01 (negative before), after Howard Hinnant's `days_from_civil`.
    pub fn days_since_epoch(self) -> i64 {
        let y = i64::from(self.year) - i64::from(self.month <= 2);
        let era = y.div_euclid(400);
        let yoe = y - era * 400;
        let m = i64::from(self.month);
        let doy = (153 * (if m > 2 { m - 3 } else { m + 9 }) + 2) / 5 + i64::from(self.day) - 1;
        let doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
        era * 146_097 + doe - 719_468
    }

    /// The date `days` after 1970-01-01, clamped to the supported years.
    pub fn from_days_since_epoch(days: i64) -> Date {
        const MIN: Date = Date {
            year: 1900,
            month: 1,
            day: 1,
        };
        const MAX: Date = Date {
            year: 9999,
            month: 12,
            day: 31,
        };
        if days < MIN.days_since_epoch() {
            return MIN;
        }
        if days > MAX.days_since_epoch() {
            return MAX;
        }
        let z = days + 719_468;
        let era = z.div_euclid(146_097);
        let doe = z - era * 146_097;
        let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365;
        let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
        let mp = (5 * doy + 2) / 153;
        let day = (doy - (153 * mp + 2) / 5 + 1) as u8;
        let month = if mp < 10 { mp + 3 } else { mp - 9 } as u8;
        let year = (yoe + era * 400 + i64::from(month <= 2)) as u16;
        Date { year, month, day }
    }

    /// Number of calendar days from `self` to `later`, both included (1 for the same day).
    pub fn days_inclusive_until(self, later: Date) -> i64 {
        later.days_since_epoch() - self.days_since_epoch() + 1
    }

    /// Parses `YYYY-MM-DD`.
    pub fn parse_iso(text: &str) -> Result<Date, InvalidDate> {
        let b = text.as_bytes();
        if b.len() != 10 || b[4] != b'-' || b[7] != b'-' {
            return Err(InvalidDate);
        }
        let num = |s: &[u8]| -> Result<u16, InvalidDate> {
            s.iter().try_fold(0u16, |acc, &c| {
                if c.is_ascii_digit() {
                    Ok(acc * 10 + u16::from(c - b'0'))
                } else {
                    Err(InvalidDate)
                }
            })
        };
        Date::new(num(&b[0..4])?, num(&b[5..7])? as u8, num(&b[8..10])? as u8)
    }
}

impl fmt::Display for Date {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{:04}-{:02}-{:02}", self.year, self.month, self.day)
    }
}

#[cfg(feature = "serde")]
impl serde::Serialize for Date {
    fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.collect_str(self)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn civil_round_trip_over_centuries() {
        for days in (-25_567i64..200_000).step_by(7) {
            let d = Date::from_days_since_epoch(days);
            assert_eq!(d.days_since_epoch(), days, "{d}");
            assert_eq!(Date::from_bytes(&d.to_bytes()), Ok(d));
        }
    }

    #[test]
    fn known_dates() {
        assert_eq!(Date::new(1970, 1, 1).unwrap().days_since_epoch(), 0);
        assert_eq!(Date::new(2000, 3, 1).unwrap().days_since_epoch(), 11_017);
        assert_eq!(Date::parse_iso("2024-02-29"), Date::new(2024, 2, 29));
        assert_eq!(Date::parse_iso("2023-02-29"), Err(InvalidDate));
        assert_eq!(Date::parse_iso("2023-2-28"), Err(InvalidDate));
        assert_eq!(Date::from_bytes(&[0x07, 0xEA, 13, 1]), Err(InvalidDate));
    }

    #[test]
    fn a_clock_at_the_end_of_time_gives_the_last_date() {
        let last = Date::new(9999, 12, 31).unwrap();
        for t in [
            u64::MAX,
            u64::MAX - BISHKEK_UTC_OFFSET_SECS + 1,
            u64::MAX / 2,
        ] {
            assert_eq!(UnixTime(t).bishkek_date(), last);
        }
    }

    #[test]
    fn bishkek_day_starts_at_18_utc() {
        // 2026-11-20T17:59:59Z is 23:59:59 in Bishkek; one second later it is the 21st.
        let t = UnixTime(1_795_197_599);
        assert_eq!(t.bishkek_date(), Date::new(2026, 11, 20).unwrap());
        assert_eq!(
            UnixTime(t.0 + 1).bishkek_date(),
            Date::new(2026, 11, 21).unwrap()
        );
    }
}
