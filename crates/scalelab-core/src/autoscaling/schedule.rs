//! Schedules of `PutScheduledAction`: `at(...)`, `rate(...)` and AWS's six-field `cron(...)`
//! (`Minutes Hours Day-of-month Month Day-of-week Year`, with `?`, `L`, `W` and `#`), in UTC or
//! an IANA time zone whose daylight-saving changes are followed.

use jiff::civil::{Date, DateTime};
use jiff::tz::TimeZone;

/// A parsed schedule.
#[derive(Clone, Debug, PartialEq)]
pub enum Schedule {
    /// Once, at a wall-clock time in the action's time zone.
    At(DateTime),
    /// Every `secs` seconds from the start.
    Rate {
        secs: i64,
    },
    Cron(Cron),
}

#[derive(Clone, Debug, PartialEq)]
pub struct Cron {
    minutes: u64,
    hours: u32,
    day_of_month: DayOfMonth,
    months: u16,
    day_of_week: DayOfWeek,
    /// Years 1970..=2199 as offsets from 1970; `None` = every year.
    years: Option<Vec<bool>>,
}

#[derive(Clone, Debug, PartialEq)]
enum DayOfMonth {
    Any,
    /// Bits 1..=31.
    Days(u32),
    Last,
    /// `nW`: the weekday nearest day n, within the month.
    NearestWeekday(u32),
    /// `LW`: the last weekday of the month.
    LastWeekday,
}

#[derive(Clone, Debug, PartialEq)]
enum DayOfWeek {
    Any,
    /// Bits 1..=7, 1 = Sunday (AWS numbering).
    Days(u8),
    /// `dL`: the last such day of the month.
    Last(u8),
    /// `d#n`: the n-th such day of the month.
    Nth(u8, u8),
}

const MONTHS: [&str; 12] = ["JAN", "FEB", "MAR", "APR", "MAY", "JUN", "JUL", "AUG", "SEP", "OCT", "NOV", "DEC"];
const DAYS: [&str; 7] = ["SUN", "MON", "TUE", "WED", "THU", "FRI", "SAT"];

impl Schedule {
    pub fn parse(text: &str) -> Result<Schedule, String> {
        let t = text.trim();
        let inner = |prefix: &str| t.strip_prefix(prefix).and_then(|r| r.strip_suffix(')'));
        if let Some(body) = inner("at(") {
            let dt: DateTime = body.trim().parse().map_err(|_| {
                format!("\"{body}\" is not a date and time like at(2026-01-09T18:00:00) (no zone: use Timezone)")
            })?;
            return Ok(Schedule::At(dt));
        }
        if let Some(body) = inner("rate(") {
            let mut parts = body.split_whitespace();
            let (Some(n), Some(unit), None) = (parts.next(), parts.next(), parts.next()) else {
                return Err(format!("\"{t}\": write rate(5 minutes), rate(1 hour) or rate(2 days)"));
            };
            let n: i64 =
                n.parse().ok().filter(|n| *n >= 1).ok_or(format!("\"{t}\": the rate needs a whole number ≥ 1"))?;
            let unit_secs = match (unit, n) {
                ("minute", 1) => 60,
                ("minutes", n) if n > 1 => 60,
                ("hour", 1) => 3_600,
                ("hours", n) if n > 1 => 3_600,
                ("day", 1) => 86_400,
                ("days", n) if n > 1 => 86_400,
                _ => return Err(format!("\"{t}\": the unit is minute(s), hour(s) or day(s) (singular only for 1)")),
            };
            return Ok(Schedule::Rate { secs: n * unit_secs });
        }
        if let Some(body) = inner("cron(") {
            return Cron::parse(body).map(Schedule::Cron).map_err(|e| format!("cron({body}): {e}"));
        }
        Err(format!("\"{t}\" is not a schedule: use at(...), rate(...) or cron(...)"))
    }

    /// Every firing (Unix seconds) in `[from, to)`, at most `limit` of them (`Err` past it).
    pub fn firings(&self, tz: &TimeZone, from: i64, to: i64, limit: usize) -> Result<Vec<i64>, String> {
        let mut out = Vec::new();
        match self {
            Schedule::At(dt) => {
                let t = local_to_unix(*dt, tz)?;
                if t >= from && t < to {
                    out.push(t);
                }
            }
            Schedule::Rate { secs } => {
                let mut t = from + secs;
                while t < to {
                    out.push(t);
                    if out.len() > limit {
                        return Err(format!("fires more than {limit} times during the run"));
                    }
                    t += secs;
                }
            }
            Schedule::Cron(c) => {
                let start = jiff::Timestamp::from_second(from).map_err(|e| e.to_string())?.to_zoned(tz.clone());
                let mut day = start.date();
                let last = jiff::Timestamp::from_second(to).map_err(|e| e.to_string())?.to_zoned(tz.clone()).date();
                while day <= last {
                    if c.matches_date(day) {
                        for h in (0..24).filter(|h| c.hours & (1 << h) != 0) {
                            for m in (0..60).filter(|m| c.minutes & (1u64 << m) != 0) {
                                let dt = day.at(h as i8, m as i8, 0, 0);
                                let Ok(t) = local_to_unix(dt, tz) else { continue };
                                if t >= from && t < to && out.last() != Some(&t) {
                                    out.push(t);
                                    if out.len() > limit {
                                        return Err(format!("fires more than {limit} times during the run"));
                                    }
                                }
                            }
                        }
                    }
                    day = match day.tomorrow() {
                        Ok(d) => d,
                        Err(_) => break,
                    };
                }
            }
        }
        Ok(out)
    }
}

/// A wall-clock time in `tz` as Unix seconds. In a spring-forward gap the time moves forward by
/// the gap; in a fall-back fold the earlier instant is taken (jiff's "compatible" rule).
fn local_to_unix(dt: DateTime, tz: &TimeZone) -> Result<i64, String> {
    dt.to_zoned(tz.clone()).map(|z| z.timestamp().as_second()).map_err(|e| e.to_string())
}

/// Parses a field's items into a bit set over `lo..=hi`.
fn field_bits(text: &str, lo: u32, hi: u32, names: &[&str], name_base: u32) -> Result<u64, String> {
    let value = |s: &str| -> Result<u32, String> {
        if let Some(i) = names.iter().position(|n| n.eq_ignore_ascii_case(s)) {
            return Ok(i as u32 + name_base);
        }
        let v: u32 = s.parse().map_err(|_| format!("\"{s}\" is not a number"))?;
        if v < lo || v > hi {
            return Err(format!("{v} is outside {lo}–{hi}"));
        }
        Ok(v)
    };
    let mut bits = 0u64;
    for item in text.split(',') {
        let (range, step) = match item.split_once('/') {
            Some((r, s)) => (r, s.parse::<u32>().ok().filter(|s| *s >= 1).ok_or(format!("\"{item}\": bad step"))?),
            None => (item, 1),
        };
        let (a, b) = if range == "*" {
            (lo, hi)
        } else if let Some((a, b)) = range.split_once('-') {
            (value(a)?, value(b)?)
        } else {
            let a = value(range)?;
            (a, if item.contains('/') { hi } else { a })
        };
        if a > b {
            return Err(format!("\"{item}\": the range runs backwards"));
        }
        let mut v = a;
        while v <= b {
            bits |= 1 << v;
            v += step;
        }
    }
    Ok(bits)
}

impl Cron {
    pub fn parse(text: &str) -> Result<Cron, String> {
        let f: Vec<&str> = text.split_whitespace().collect();
        let [min, hour, dom, month, dow, year] = f.as_slice() else {
            return Err(format!(
                "AWS cron has six fields (Minutes Hours Day-of-month Month Day-of-week Year), got {}",
                f.len()
            ));
        };
        let minutes = field_bits(min, 0, 59, &[], 0).map_err(|e| format!("minutes: {e}"))?;
        let hours = field_bits(hour, 0, 23, &[], 0).map_err(|e| format!("hours: {e}"))? as u32;
        let months = (field_bits(month, 1, 12, &MONTHS, 1).map_err(|e| format!("month: {e}"))? >> 1) as u16;
        let day_of_month = match *dom {
            "?" => DayOfMonth::Any,
            "L" => DayOfMonth::Last,
            "LW" => DayOfMonth::LastWeekday,
            d if d.ends_with('W') => {
                let n: u32 = d.trim_end_matches('W').parse().map_err(|_| format!("day-of-month: \"{d}\""))?;
                if !(1..=31).contains(&n) {
                    return Err(format!("day-of-month: {n}W is outside 1–31"));
                }
                DayOfMonth::NearestWeekday(n)
            }
            d => DayOfMonth::Days(field_bits(d, 1, 31, &[], 0).map_err(|e| format!("day-of-month: {e}"))? as u32),
        };
        let day_of_week = match *dow {
            "?" => DayOfWeek::Any,
            d if d.contains('#') => {
                let (day, n) = d.split_once('#').unwrap_or((d, ""));
                let day = field_bits(day, 1, 7, &DAYS, 1).map_err(|e| format!("day-of-week: {e}"))?;
                let n: u8 = n
                    .parse()
                    .ok()
                    .filter(|n| (1..=5).contains(n))
                    .ok_or(format!("day-of-week: \"{d}\": # takes 1–5"))?;
                DayOfWeek::Nth(day.trailing_zeros() as u8, n)
            }
            d if d.len() > 1 && d.ends_with('L') => {
                let day =
                    field_bits(d.trim_end_matches('L'), 1, 7, &DAYS, 1).map_err(|e| format!("day-of-week: {e}"))?;
                DayOfWeek::Last(day.trailing_zeros() as u8)
            }
            "L" => DayOfWeek::Last(7),
            d => DayOfWeek::Days(field_bits(d, 1, 7, &DAYS, 1).map_err(|e| format!("day-of-week: {e}"))? as u8),
        };
        match (&day_of_month, &day_of_week) {
            (DayOfMonth::Any, DayOfWeek::Any) => {
                return Err("one of day-of-month and day-of-week must be a value (the other is ?)".into());
            }
            (DayOfMonth::Any, _) | (_, DayOfWeek::Any) => {}
            _ => return Err("day-of-month and day-of-week cannot both be set: put ? in one of them".into()),
        }
        let years = if *year == "*" {
            None
        } else {
            let mut set = vec![false; 230];
            for item in year.split(',') {
                let (range, step) = match item.split_once('/') {
                    Some((r, s)) => {
                        (r, s.parse::<usize>().ok().filter(|s| *s >= 1).ok_or(format!("year: \"{item}\""))?)
                    }
                    None => (item, 1),
                };
                let parse = |s: &str| {
                    s.parse::<usize>()
                        .ok()
                        .filter(|y| (1970..=2199).contains(y))
                        .ok_or(format!("year: \"{s}\" is outside 1970–2199"))
                };
                let (a, b) = match range.split_once('-') {
                    Some((a, b)) => (parse(a)?, parse(b)?),
                    None if range == "*" => (1970, 2199),
                    None => (parse(range)?, if item.contains('/') { 2199 } else { parse(range)? }),
                };
                let mut y = a;
                while y <= b {
                    if let Some(s) = set.get_mut(y - 1970) {
                        *s = true;
                    }
                    y += step;
                }
            }
            Some(set)
        };
        Ok(Cron { minutes, hours, day_of_month, months, day_of_week, years })
    }

    fn matches_date(&self, d: Date) -> bool {
        if self.months & (1 << (d.month() as u32 - 1)) == 0 {
            return false;
        }
        if let Some(years) = &self.years
            && !years.get((i32::from(d.year()) - 1970).max(0) as usize).copied().unwrap_or(false)
        {
            return false;
        }
        let day = d.day() as u32;
        let last = d.days_in_month() as u32;
        let dow = d.weekday().to_sunday_one_offset() as u8; // 1 = Sunday
        let is_weekday = (2..=6).contains(&dow);
        let dom_ok = match self.day_of_month {
            DayOfMonth::Any => true,
            DayOfMonth::Days(bits) => bits & (1 << day) != 0,
            DayOfMonth::Last => day == last,
            DayOfMonth::LastWeekday => is_weekday && (day + 1..=last).all(|later| !weekday_of(d, later)),
            DayOfMonth::NearestWeekday(n) => {
                let n = n.min(last);
                let target = if weekday_of(d, n) {
                    n
                } else if n > 1 && weekday_of(d, n - 1) && (n == last || !weekday_of(d, n + 1) || n == 1) {
                    n - 1
                } else if n < last && weekday_of(d, n + 1) {
                    n + 1
                } else if n > 2 && weekday_of(d, n - 2) {
                    n - 2 // Sunday the last day: the Friday before
                } else {
                    n + 2 // Saturday the 1st: the Monday after
                };
                day == target
            }
        };
        let dow_ok = match self.day_of_week {
            DayOfWeek::Any => true,
            DayOfWeek::Days(bits) => bits & (1 << dow) != 0,
            DayOfWeek::Last(w) => dow == w && day + 7 > last,
            DayOfWeek::Nth(w, n) => dow == w && (day - 1) / 7 + 1 == u32::from(n),
        };
        dom_ok && dow_ok
    }
}

/// Whether day `n` of `d`'s month is Monday–Friday.
fn weekday_of(d: Date, n: u32) -> bool {
    d.with().day(n as i8).build().is_ok_and(|x| (2..=6).contains(&(x.weekday().to_sunday_one_offset() as u8)))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn unix(s: &str) -> i64 {
        crate::time::parse_timestamp(s).unwrap()
    }
    fn show(ts: &[i64], tz: &TimeZone) -> Vec<String> {
        ts.iter()
            .map(|t| {
                jiff::Timestamp::from_second(*t)
                    .unwrap()
                    .to_zoned(tz.clone())
                    .strftime("%a %Y-%m-%d %H:%M %Z")
                    .to_string()
            })
            .collect()
    }

    #[test]
    fn weekend_scale_to_zero_in_paris_time() {
        // Seed 003: Friday 18:00 and Monday 07:00, UTC+1 (Paris in winter).
        let tz = TimeZone::get("Europe/Paris").unwrap();
        let fri = Schedule::parse("cron(0 18 ? * FRI *)").unwrap();
        let mon = Schedule::parse("cron(0 7 ? * MON *)").unwrap();
        let (from, to) = (unix("2026-01-05T00:00:00Z"), unix("2026-01-19T00:00:00Z"));
        assert_eq!(
            show(&fri.firings(&tz, from, to, 100).unwrap(), &tz),
            ["Fri 2026-01-09 18:00 CET", "Fri 2026-01-16 18:00 CET"]
        );
        let m = mon.firings(&tz, from, to, 100).unwrap();
        assert_eq!(m, vec![unix("2026-01-05T06:00:00Z"), unix("2026-01-12T06:00:00Z")]);
    }

    #[test]
    fn cron_across_a_daylight_saving_change() {
        // Europe/Paris springs forward on Sunday 2026-03-29: 08:00 local is 07:00 UTC before and
        // 06:00 UTC after.
        let tz = TimeZone::get("Europe/Paris").unwrap();
        let daily = Schedule::parse("cron(0 8 * * ? *)").unwrap();
        let f = daily.firings(&tz, unix("2026-03-28T00:00:00Z"), unix("2026-03-31T00:00:00Z"), 10).unwrap();
        assert_eq!(f, vec![unix("2026-03-28T07:00:00Z"), unix("2026-03-29T06:00:00Z"), unix("2026-03-30T06:00:00Z")]);
        // 02:30 does not exist that night: it fires once, an hour later in wall-clock terms.
        let gap = Schedule::parse("cron(30 2 * * ? *)").unwrap();
        let f = gap.firings(&tz, unix("2026-03-29T00:00:00Z"), unix("2026-03-29T12:00:00Z"), 10).unwrap();
        assert_eq!(f, vec![unix("2026-03-29T01:30:00Z")]);
    }

    #[test]
    fn aws_cron_special_characters() {
        let utc = TimeZone::UTC;
        let jan = (unix("2026-01-01T00:00:00Z"), unix("2026-02-01T00:00:00Z"));
        let days = |expr: &str| -> Vec<i8> {
            Schedule::parse(expr)
                .unwrap()
                .firings(&utc, jan.0, jan.1, 100)
                .unwrap()
                .iter()
                .map(|t| jiff::Timestamp::from_second(*t).unwrap().to_zoned(utc.clone()).day())
                .collect()
        };
        assert_eq!(days("cron(0 12 L * ? *)"), [31]);
        assert_eq!(days("cron(0 12 LW * ? *)"), [30]); // Sat 31 → Fri 30
        assert_eq!(days("cron(0 12 3W * ? *)"), [2]); // Sat 3 → Fri 2
        assert_eq!(days("cron(0 12 4W * ? *)"), [5]); // Sun 4 → Mon 5
        assert_eq!(days("cron(0 12 ? * 3#2 *)"), [13]); // second Tuesday
        assert_eq!(days("cron(0 12 ? * 6L *)"), [30]); // last Friday
        assert_eq!(days("cron(0 12 1,15 * ? *)"), [1, 15]);
        assert_eq!(days("cron(0 12 ? * MON-FRI 2027)"), Vec::<i8>::new());
        assert_eq!(days("cron(0/30 9 1 JAN ? 2026)").len(), 2);
    }

    #[test]
    fn rate_and_at() {
        let utc = TimeZone::UTC;
        let s = Schedule::parse("rate(6 hours)").unwrap();
        assert_eq!(s.firings(&utc, 0, 86_400, 10).unwrap(), vec![21_600, 43_200, 64_800]);
        let at = Schedule::parse("at(2026-01-09T18:00:00)").unwrap();
        let tz = TimeZone::get("America/New_York").unwrap();
        assert_eq!(at.firings(&tz, 0, i64::from(i32::MAX), 10).unwrap(), vec![unix("2026-01-09T23:00:00Z")]);
        assert!(Schedule::parse("rate(1 minutes)").is_err());
        assert!(Schedule::parse("rate(5 minute)").is_err());
    }

    #[test]
    fn helpful_errors() {
        assert!(Schedule::parse("cron(0 18 * * FRI *)").unwrap_err().contains("put ? in one of them"));
        assert!(Schedule::parse("cron(0 18 ? * FRI)").unwrap_err().contains("six fields"));
        assert!(Schedule::parse("cron(61 18 ? * FRI *)").unwrap_err().contains("minutes: 61 is outside 0–59"));
        assert!(Schedule::parse("every friday").unwrap_err().contains("at(...), rate(...) or cron(...)"));
    }
}
