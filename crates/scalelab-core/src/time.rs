//! Simulated time. Time is an integer count of microseconds since the start of the run, never a
//! float, so runs are exact and identical on every target.

use std::fmt;

use serde::{Deserialize, Deserializer, Serialize, Serializer};

/// Microseconds since the start of the simulation.
pub type SimTime = u64;

pub const US_PER_MS: u64 = 1_000;
pub const US_PER_SEC: u64 = 1_000_000;
pub const US_PER_MIN: u64 = 60 * US_PER_SEC;
pub const US_PER_HOUR: u64 = 60 * US_PER_MIN;
pub const US_PER_DAY: u64 = 24 * US_PER_HOUR;

/// Converts seconds (non-negative, finite) to simulated time, rounding down to the microsecond.
pub fn secs_to_time(secs: f64) -> SimTime {
    if secs.is_finite() && secs > 0.0 {
        // Saturating float-to-int conversion: huge values clamp to u64::MAX.
        (secs * US_PER_SEC as f64) as u64
    } else {
        0
    }
}

pub fn time_to_secs(t: SimTime) -> f64 {
    t as f64 / US_PER_SEC as f64
}

/// A length of simulated time written the way people write it: `"90s"`, `"2h"`, `"1h30m"`,
/// `"8.4ms"`, `"1.748min"`. Stored in microseconds.
#[derive(Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Default, Debug)]
pub struct Duration(pub u64);

impl Duration {
    pub const ZERO: Duration = Duration(0);

    pub fn from_secs(secs: u64) -> Duration {
        Duration(secs.saturating_mul(US_PER_SEC))
    }
    pub fn from_millis(ms: u64) -> Duration {
        Duration(ms.saturating_mul(US_PER_MS))
    }
    pub fn from_secs_f64(secs: f64) -> Duration {
        Duration(secs_to_time(secs))
    }
    pub fn as_micros(self) -> u64 {
        self.0
    }
    pub fn as_secs_f64(self) -> f64 {
        time_to_secs(self.0)
    }
    pub fn as_millis_f64(self) -> f64 {
        self.0 as f64 / US_PER_MS as f64
    }

    /// Parses `"90s"`, `"2h"`, `"1h30m"`, `"250ms"`, `"1.5min"`, `"3d"`, `"1w"`, `"100us"`.
    pub fn parse(text: &str) -> Result<Duration, String> {
        let s = text.trim();
        if s.is_empty() {
            return Err("empty duration: write a number with a unit, like \"90s\" or \"2h\"".into());
        }
        let mut total: f64 = 0.0;
        let mut rest = s;
        while !rest.is_empty() {
            let num_len = rest.find(|c: char| !(c.is_ascii_digit() || c == '.')).unwrap_or(rest.len());
            let (num, after) = rest.split_at(num_len);
            if num.is_empty() {
                return Err(format!("\"{text}\" is not a duration: expected a number before \"{after}\""));
            }
            let value: f64 =
                num.parse().map_err(|_| format!("\"{text}\" is not a duration: \"{num}\" is not a number"))?;
            let unit_len = after.find(|c: char| c.is_ascii_digit() || c == '.').unwrap_or(after.len());
            let (unit, next) = after.split_at(unit_len);
            let scale = match unit.trim() {
                "us" | "µs" => 1.0,
                "ms" => US_PER_MS as f64,
                "s" | "sec" | "secs" => US_PER_SEC as f64,
                "m" | "min" | "mins" => US_PER_MIN as f64,
                "h" | "hr" | "hrs" => US_PER_HOUR as f64,
                "d" | "day" | "days" => US_PER_DAY as f64,
                "w" | "week" | "weeks" => 7.0 * US_PER_DAY as f64,
                "" => {
                    return Err(format!("\"{text}\" has no unit: write it like \"{num}s\", \"{num}ms\" or \"{num}m\""));
                }
                other => {
                    return Err(format!("\"{text}\": unknown time unit \"{other}\" (use ms, s, m, h, d or w)"));
                }
            };
            total += value * scale;
            rest = next;
        }
        if !total.is_finite() || total > 1e18 {
            return Err(format!("\"{text}\" is too long a duration"));
        }
        // Nearest microsecond: "0.57ms" is 570 µs although 0.57 × 1000 < 570 in binary.
        Ok(Duration((total + 0.5) as u64))
    }
}

impl fmt::Display for Duration {
    /// Whole seconds in compound form (`"42m29s"`, `"2h"`), shorter times in milliseconds
    /// (`"8.4ms"`). The output parses back to the same value.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let us = self.0;
        if us == 0 {
            return f.write_str("0s");
        }
        if !us.is_multiple_of(US_PER_SEC) {
            return write!(f, "{}ms", us as f64 / US_PER_MS as f64);
        }
        let mut rest = us / US_PER_SEC;
        for (size, name) in [(86_400, "d"), (3_600, "h"), (60, "m"), (1, "s")] {
            if rest >= size {
                write!(f, "{}{name}", rest / size)?;
                rest %= size;
            }
        }
        Ok(())
    }
}

impl Serialize for Duration {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.collect_str(self)
    }
}

impl<'de> Deserialize<'de> for Duration {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        struct Visitor;
        impl serde::de::Visitor<'_> for Visitor {
            type Value = Duration;
            fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str("a duration string with a unit, like \"90s\", \"15m\" or \"2h\"")
            }
            fn visit_str<E: serde::de::Error>(self, v: &str) -> Result<Duration, E> {
                Duration::parse(v).map_err(E::custom)
            }
            fn visit_u64<E: serde::de::Error>(self, v: u64) -> Result<Duration, E> {
                Err(E::custom(format!("{v} has no unit: write it as a string like \"{v}s\" or \"{v}ms\"")))
            }
            fn visit_i64<E: serde::de::Error>(self, v: i64) -> Result<Duration, E> {
                self.visit_u64(v.unsigned_abs())
            }
            fn visit_f64<E: serde::de::Error>(self, v: f64) -> Result<Duration, E> {
                Err(E::custom(format!("{v} has no unit: write it as a string like \"{v}s\" or \"{v}ms\"")))
            }
        }
        d.deserialize_any(Visitor)
    }
}

/// A moment in a scenario: an offset from the start (`"45m"`) or an ISO-8601 timestamp
/// (`"2026-01-05T09:45:00Z"`) that is resolved against the scenario's `start`.
#[derive(Clone, PartialEq, Eq, Debug)]
pub enum TimeSpec {
    Offset(Duration),
    /// Seconds since the Unix epoch, UTC.
    Timestamp(i64),
}

impl TimeSpec {
    pub fn parse(text: &str) -> Result<TimeSpec, String> {
        if let Ok(d) = Duration::parse(text) {
            return Ok(TimeSpec::Offset(d));
        }
        parse_timestamp(text).map(TimeSpec::Timestamp).map_err(|_| {
            format!(
                "\"{text}\" is neither an offset like \"45m\" nor an ISO-8601 timestamp like \"2026-01-05T09:45:00Z\""
            )
        })
    }

    /// Offset from the start of the run, given the run's start (Unix seconds).
    pub fn resolve(&self, start_unix_secs: i64) -> Result<Duration, String> {
        match self {
            TimeSpec::Offset(d) => Ok(*d),
            TimeSpec::Timestamp(ts) => {
                let delta = ts - start_unix_secs;
                if delta < 0 {
                    Err("is before the scenario's start".into())
                } else {
                    Ok(Duration::from_secs(delta.unsigned_abs()))
                }
            }
        }
    }
}

impl fmt::Display for TimeSpec {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            TimeSpec::Offset(d) => d.fmt(f),
            TimeSpec::Timestamp(ts) => f.write_str(&format_timestamp(*ts)),
        }
    }
}

impl Serialize for TimeSpec {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.collect_str(self)
    }
}

impl<'de> Deserialize<'de> for TimeSpec {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        let text = String::deserialize(d)?;
        TimeSpec::parse(&text).map_err(serde::de::Error::custom)
    }
}

/// Parses an ISO-8601 / RFC 3339 timestamp with an offset (`Z` or `+01:00`) to Unix seconds.
pub fn parse_timestamp(text: &str) -> Result<i64, String> {
    let ts: jiff::Timestamp = text
        .trim()
        .parse()
        .map_err(|e| format!("\"{text}\" is not an ISO-8601 timestamp like \"2026-01-05T09:00:00Z\": {e}"))?;
    Ok(ts.as_second())
}

pub fn format_timestamp(unix_secs: i64) -> String {
    match jiff::Timestamp::from_second(unix_secs) {
        Ok(ts) => ts.to_string(),
        Err(_) => format!("@{unix_secs}"),
    }
}

/// Day of week of a Unix time, 0 = Monday … 6 = Sunday, and seconds since midnight (UTC).
pub fn weekday_and_second_of_day(unix_secs: i64) -> (u32, u32) {
    let days = unix_secs.div_euclid(86_400);
    let sod = unix_secs.rem_euclid(86_400);
    // 1970-01-01 was a Thursday (index 3 when Monday is 0).
    let wd = (days + 3).rem_euclid(7);
    (wd as u32, sod as u32)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_human_durations() {
        let cases = [
            ("90s", 90 * US_PER_SEC),
            ("2h", 2 * US_PER_HOUR),
            ("1h30m", 90 * US_PER_MIN),
            ("8.4ms", 8_400),
            ("0.57ms", 570),
            ("1.748min", 104_880_000),
            ("3600s", US_PER_HOUR),
            ("1d", US_PER_DAY),
            ("100us", 100),
        ];
        for (text, us) in cases {
            assert_eq!(Duration::parse(text), Ok(Duration(us)), "{text}");
        }
    }

    #[test]
    fn rejects_bad_durations_with_a_hint() {
        assert!(Duration::parse("90").unwrap_err().contains("\"90s\""));
        assert!(Duration::parse("5 parsecs").unwrap_err().contains("unknown time unit"));
        assert!(Duration::parse("").is_err());
        assert!(Duration::parse("h").is_err());
    }

    #[test]
    fn displays_in_the_largest_exact_unit() {
        assert_eq!(Duration(2 * US_PER_HOUR).to_string(), "2h");
        assert_eq!(Duration(90 * US_PER_SEC).to_string(), "1m30s");
        assert_eq!(Duration(2549 * US_PER_SEC).to_string(), "42m29s");
        assert_eq!(Duration(8_400).to_string(), "8.4ms");
        assert_eq!(Duration(15 * US_PER_MS).to_string(), "15ms");
        assert_eq!(Duration(1).to_string(), "0.001ms");
    }

    #[test]
    fn display_round_trips_through_parse() {
        for us in [1, 570, 8_400, 999_999, US_PER_SEC, 2549 * US_PER_SEC, 3 * US_PER_DAY + 7, 123_456_789] {
            let d = Duration(us);
            assert_eq!(Duration::parse(&d.to_string()), Ok(d), "{d}");
        }
    }

    #[test]
    fn weekdays_from_unix_time() {
        // 2026-01-05 is a Monday.
        let monday = parse_timestamp("2026-01-05T09:30:00Z").unwrap();
        assert_eq!(weekday_and_second_of_day(monday), (0, 9 * 3600 + 1800));
        let sunday = parse_timestamp("2026-01-04T23:59:59Z").unwrap();
        assert_eq!(weekday_and_second_of_day(sunday).0, 6);
    }

    #[test]
    fn time_specs_resolve_against_start() {
        let start = parse_timestamp("2026-01-05T09:00:00Z").unwrap();
        let at = TimeSpec::parse("2026-01-05T09:45:00Z").unwrap();
        assert_eq!(at.resolve(start), Ok(Duration(45 * US_PER_MIN)));
        assert_eq!(TimeSpec::parse("45m").unwrap().resolve(start), Ok(Duration(45 * US_PER_MIN)));
        assert!(TimeSpec::parse("2026-01-05T08:00:00Z").unwrap().resolve(start).is_err());
    }
}
