//! Traffic: a request rate that varies with time, built from composable shapes, and the Poisson
//! arrival process it drives.
//!
//! Arrivals are a non-homogeneous Poisson process. The rate is held constant over each simulated
//! second (its value at the middle of that second) and arrival times are found by inverting the
//! cumulative rate: Exp(1) amounts of "expected arrivals" are spent bin by bin. This is exact for
//! constant rates, and for a ramp the error is below one part in 10^4 of its slope per second.

use serde::{Deserialize, Deserializer, Serialize};

use crate::problem::{Path, Problem};
use crate::rng::Stream;
use crate::time::{Duration, US_PER_SEC, weekday_and_second_of_day};

/// A traffic shape. Shapes compose with `sum` and `sequence`.
#[derive(Clone, PartialEq, Debug, Serialize, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub enum Traffic {
    /// A constant rate.
    Constant { rps: f64 },
    /// Load-test phases in the style of artillery (`duration`, `arrivalRate`, `rampTo`, `name`),
    /// one after another; silence after the last.
    Phases(Vec<Phase>),
    /// Piecewise-constant rate: each step holds from its `at` until the next; 0 before the first.
    Steps(Vec<Step>),
    /// `rps` during [at, at + duration), 0 elsewhere (add a base with `sum`).
    Spike { at: Duration, duration: Duration, rps: f64 },
    /// A daily cosine between `minRps` and `maxRps`, highest at `peakAt` (time of day, UTC).
    #[serde(rename_all = "camelCase")]
    Diurnal {
        min_rps: f64,
        max_rps: f64,
        peak_at: Duration,
        #[serde(default = "one_day")]
        period: Duration,
    },
    /// `rps` on the given days between `open` and `close` (time of day, UTC), `offHoursRps`
    /// otherwise.
    #[serde(rename_all = "camelCase")]
    BusinessHours {
        rps: f64,
        #[serde(default)]
        off_hours_rps: f64,
        open: Duration,
        close: Duration,
        #[serde(default = "weekdays")]
        days: Vec<Weekday>,
    },
    /// Sporadic on/off bursts: on and off periods are exponential with the given means, `rps`
    /// while on, `baseRps` while off.
    #[serde(rename_all = "camelCase")]
    Bursts {
        rps: f64,
        #[serde(default)]
        base_rps: f64,
        mean_on: Duration,
        mean_off: Duration,
    },
    /// Replay of a trace of invocation counts per interval (default one minute), e.g. exported
    /// from CloudWatch `Invocations` (Sum, 1 minute). Give `invocations` inline, or `csv` text
    /// whose last numeric column of each row is the count (header rows are skipped). Front ends
    /// may accept `csvFile` and load it into `csv`.
    #[serde(rename_all = "camelCase")]
    Trace {
        #[serde(default, skip_serializing_if = "Option::is_none")]
        invocations: Option<Vec<f64>>,
        #[serde(default, skip_serializing_if = "Option::is_none")]
        csv: Option<String>,
        #[serde(default, skip_serializing_if = "Option::is_none")]
        csv_file: Option<String>,
        #[serde(default = "one_minute")]
        interval: Duration,
        /// Start again from the beginning when the trace ends.
        #[serde(default)]
        repeat: bool,
    },
    /// The sum of several shapes.
    Sum(Vec<Traffic>),
    /// Shapes one after another, each for its `duration` and with its own clock starting at 0.
    Sequence(Vec<Segment>),
    /// Closed-loop virtual users, as load-testing tools drive an endpoint (Locust, Inference
    /// Recommender): each user sends a request, waits for its answer or failure, thinks, and
    /// sends the next. The rate follows from the endpoint's latency. Only as the whole traffic,
    /// not inside `sum` or `sequence`.
    Users(Users),
}

/// Closed-loop users: stages one after another, as Locust's `LoadTestShape` gives them.
#[derive(Clone, PartialEq, Debug, Serialize, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct Users {
    pub stages: Vec<UserStage>,
    /// A user's pause between an answer and its next request (Locust's `wait_time`); none by
    /// default, as Inference Recommender's users invoke in a loop.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub think_time: Option<crate::rng::TimeDist>,
}

/// During a stage the user count moves to `users`, `spawnRate` users per second (all at once
/// without it), then holds. After the last stage the users stop.
#[derive(Clone, PartialEq, Debug, Serialize, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct UserStage {
    #[serde(deserialize_with = "seconds_or_duration")]
    pub duration: Duration,
    pub users: u32,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub spawn_rate: Option<f64>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub name: Option<String>,
}

/// The most closed-loop users a run may have at once.
pub const MAX_USERS: u32 = 2_000;

/// The shortest cycle of one user: a refused request comes back after a load generator's
/// round trip, not instantly. It bounds the work of a run whose users meet only errors.
pub const USER_MIN_CYCLE_US: u64 = 10_000;

/// Compiled users: the target count from each time on (sorted, the first at 0), and the think
/// time.
#[derive(Clone, PartialEq, Debug)]
pub struct UserSchedule {
    pub changes: Vec<(u64, u32)>,
    pub think: crate::rng::TimeDist,
}

impl Users {
    /// The target user count over time: a change at each spawn, the stages' holds, and 0 after
    /// the last stage.
    pub fn schedule(&self) -> UserSchedule {
        let mut changes: Vec<(u64, u32)> = vec![(0, 0)];
        let mut t = 0u64;
        let mut now_users = 0u32;
        for st in &self.stages {
            let d = st.duration.as_micros();
            let end = t.saturating_add(d);
            match st.spawn_rate.filter(|r| *r > 0.0 && r.is_finite()) {
                Some(rate) if now_users != st.users => {
                    let step_us = (US_PER_SEC as f64 / rate).max(1.0);
                    let n = now_users.abs_diff(st.users).min(MAX_USERS);
                    for k in 1..=n {
                        let at = t.saturating_add(libm::round(step_us * f64::from(k)).min(1e18) as u64);
                        if at >= end {
                            break;
                        }
                        now_users = if st.users > now_users { now_users + 1 } else { now_users - 1 };
                        changes.push((at, now_users));
                    }
                }
                _ => {
                    now_users = st.users;
                    changes.push((t, now_users));
                }
            }
            t = end;
        }
        changes.push((t, 0));
        // Several changes at one time: the last one counts.
        let mut out: Vec<(u64, u32)> = Vec::with_capacity(changes.len());
        for c in changes {
            match out.last_mut() {
                Some(last) if last.0 == c.0 => *last = c,
                _ => out.push(c),
            }
        }
        UserSchedule {
            changes: out,
            think: self.think_time.clone().unwrap_or(crate::rng::TimeDist::fixed(Duration::ZERO)),
        }
    }

    /// Most requests the users can send: every user cycling at the shortest cycle.
    pub fn max_requests(&self) -> f64 {
        let s = self.schedule();
        let think_us = s.think.mean.as_micros().max(USER_MIN_CYCLE_US) as f64;
        s.changes
            .iter()
            .zip(s.changes.iter().skip(1))
            .map(|(a, b)| f64::from(a.1) * (b.0 - a.0) as f64 / think_us)
            .sum()
    }
}

fn one_day() -> Duration {
    Duration::from_secs(86_400)
}
fn one_minute() -> Duration {
    Duration::from_secs(60)
}
fn weekdays() -> Vec<Weekday> {
    vec![Weekday::Mon, Weekday::Tue, Weekday::Wed, Weekday::Thu, Weekday::Fri]
}

#[derive(Clone, Copy, PartialEq, Eq, Debug, Serialize, Deserialize)]
pub enum Weekday {
    Mon,
    Tue,
    Wed,
    Thu,
    Fri,
    Sat,
    Sun,
}

/// One load-test phase. `duration` may be a number of seconds, as artillery writes it.
#[derive(Clone, PartialEq, Debug, Serialize, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct Phase {
    #[serde(deserialize_with = "seconds_or_duration")]
    pub duration: Duration,
    pub arrival_rate: f64,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub ramp_to: Option<f64>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub name: Option<String>,
}

#[derive(Clone, PartialEq, Debug, Serialize, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct Step {
    pub at: Duration,
    pub rps: f64,
}

#[derive(Clone, PartialEq, Debug, Serialize, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct Segment {
    pub duration: Duration,
    pub traffic: Traffic,
}

/// Accepts `3600` (seconds, artillery's convention) or `"1h"`.
fn seconds_or_duration<'de, D: Deserializer<'de>>(d: D) -> Result<Duration, D::Error> {
    #[derive(Deserialize)]
    #[serde(untagged)]
    enum Raw {
        Secs(f64),
        Text(String),
    }
    match Raw::deserialize(d)? {
        Raw::Secs(s) if s.is_finite() && s >= 0.0 => Ok(Duration::from_secs_f64(s)),
        Raw::Secs(s) => Err(serde::de::Error::custom(format!("{s} is not a valid number of seconds"))),
        Raw::Text(t) => Duration::parse(&t).map_err(serde::de::Error::custom),
    }
}

impl Traffic {
    /// Checks every number and list; `path` is where this shape sits in the scenario.
    pub fn check(&self, path: &Path, problems: &mut Vec<Problem>) {
        let rate = |p: &mut Vec<Problem>, field: &str, v: f64| {
            if !(v.is_finite() && v >= 0.0) {
                p.push(Problem::new(path.join(field), format!("must be a finite rate ≥ 0 requests/s, got {v}")));
            } else if v > crate::limits::MAX_RPS {
                p.push(Problem::new(
                    path.join(field),
                    format!("{v} requests/s is above the limit of {} requests/s", crate::limits::MAX_RPS),
                ));
            }
        };
        match self {
            Traffic::Constant { rps } => rate(problems, "constant.rps", *rps),
            Traffic::Phases(phases) => {
                if phases.is_empty() {
                    problems.push(Problem::new(path.join("phases"), "needs at least one phase"));
                }
                for (i, ph) in phases.iter().enumerate() {
                    rate(problems, &format!("phases[{i}].arrivalRate"), ph.arrival_rate);
                    if let Some(r) = ph.ramp_to {
                        rate(problems, &format!("phases[{i}].rampTo"), r);
                    }
                    if ph.duration == Duration::ZERO {
                        problems.push(Problem::new(
                            path.join("phases").index(i).join("duration"),
                            "must be longer than 0s",
                        ));
                    }
                }
            }
            Traffic::Steps(steps) => {
                for (i, s) in steps.iter().enumerate() {
                    rate(problems, &format!("steps[{i}].rps"), s.rps);
                }
                if steps.windows(2).any(|w| w.first().map(|a| a.at) >= w.get(1).map(|b| b.at)) {
                    problems.push(Problem::new(path.join("steps"), "steps must be in increasing order of `at`"));
                }
            }
            Traffic::Spike { duration, rps, .. } => {
                rate(problems, "spike.rps", *rps);
                if *duration < Duration::from_secs(1) {
                    problems.push(Problem::new(path.join("spike.duration"), "must be at least 1s"));
                }
            }
            Traffic::Diurnal { min_rps, max_rps, period, .. } => {
                rate(problems, "diurnal.minRps", *min_rps);
                rate(problems, "diurnal.maxRps", *max_rps);
                if min_rps > max_rps {
                    problems.push(Problem::new(
                        path.join("diurnal.minRps"),
                        format!("{min_rps} is above maxRps {max_rps}"),
                    ));
                }
                if *period < Duration::from_secs(60) {
                    problems.push(Problem::new(path.join("diurnal.period"), "must be at least 1m"));
                }
            }
            Traffic::BusinessHours { rps, off_hours_rps, open, close, days } => {
                rate(problems, "businessHours.rps", *rps);
                rate(problems, "businessHours.offHoursRps", *off_hours_rps);
                if open >= close || *close > one_day() {
                    problems.push(Problem::new(
                        path.join("businessHours.open"),
                        "open must be before close, both times of day like \"9h\" and \"17h30m\"",
                    ));
                }
                if days.is_empty() {
                    problems.push(Problem::new(
                        path.join("businessHours.days"),
                        "list at least one day, e.g. [\"Mon\", \"Fri\"]",
                    ));
                }
            }
            Traffic::Bursts { rps, base_rps, mean_on, mean_off } => {
                rate(problems, "bursts.rps", *rps);
                rate(problems, "bursts.baseRps", *base_rps);
                for (field, d) in [("meanOn", mean_on), ("meanOff", mean_off)] {
                    if *d < Duration::from_secs(1) {
                        problems.push(Problem::new(path.join("bursts").join(field), "must be at least 1s"));
                    }
                }
            }
            Traffic::Trace { invocations, csv, csv_file, interval, .. } => {
                let given = [invocations.is_some(), csv.is_some(), csv_file.is_some()];
                match given.iter().filter(|g| **g).count() {
                    0 => problems
                        .push(Problem::new(path.join("trace"), "give `invocations` (a list of counts) or `csv`")),
                    1 => {}
                    _ => problems
                        .push(Problem::new(path.join("trace"), "give only one of `invocations`, `csv` and `csvFile`")),
                }
                if csv_file.is_some() && csv.is_none() {
                    problems.push(Problem::new(
                        path.join("trace.csvFile"),
                        "this front end cannot read files: paste the counts into `csv` or `invocations`",
                    ));
                }
                if *interval < Duration::from_secs(1) {
                    problems.push(Problem::new(path.join("trace.interval"), "must be at least 1s"));
                }
                match trace_counts(invocations.as_deref(), csv.as_deref()) {
                    Ok(counts) => {
                        if let Some((i, v)) = counts.iter().enumerate().find(|(_, v)| !(v.is_finite() && **v >= 0.0)) {
                            problems.push(Problem::new(
                                path.join("trace.invocations").index(i),
                                format!("must be a count ≥ 0, got {v}"),
                            ));
                        }
                        let secs = interval.as_secs_f64().max(1.0);
                        if let Some(max) = counts.iter().copied().reduce(f64::max) {
                            rate(problems, "trace (peak count / interval)", max / secs);
                        }
                    }
                    Err(e) => problems.push(Problem::new(path.join("trace.csv"), e)),
                }
            }
            Traffic::Sum(parts) => {
                for (i, t) in parts.iter().enumerate() {
                    if matches!(t, Traffic::Users(_)) {
                        problems.push(Problem::new(
                            path.join("sum").index(i).join("users"),
                            "closed-loop users can only be the whole traffic, not part of a sum",
                        ));
                    }
                    t.check(&path.join("sum").index(i), problems);
                }
            }
            Traffic::Users(u) => {
                if u.stages.is_empty() || u.stages.len() > 1_000 {
                    problems.push(Problem::new(path.join("users.stages"), "needs 1 to 1000 stages"));
                }
                let total: u64 = u.stages.iter().map(|st| st.duration.as_micros()).fold(0, u64::saturating_add);
                if total > crate::limits::MAX_DURATION_SECS * US_PER_SEC {
                    problems.push(Problem::new(
                        path.join("users.stages"),
                        format!(
                            "the stages last longer than the longest run ({} days)",
                            crate::limits::MAX_DURATION_SECS / 86_400
                        ),
                    ));
                }
                for (i, st) in u.stages.iter().enumerate() {
                    let at = path.join("users.stages").index(i);
                    if st.duration == Duration::ZERO {
                        problems.push(Problem::new(at.join("duration"), "must be longer than 0s"));
                    }
                    if st.users > MAX_USERS {
                        problems.push(Problem::new(at.join("users"), format!("at most {MAX_USERS} users")));
                    }
                    if let Some(r) = st.spawn_rate
                        && !(r.is_finite() && r > 0.0)
                    {
                        problems.push(Problem::new(
                            at.join("spawnRate"),
                            format!("must be a number of users per second above 0, got {r}"),
                        ));
                    }
                }
            }
            Traffic::Sequence(segments) => {
                for (i, s) in segments.iter().enumerate() {
                    if s.duration == Duration::ZERO {
                        problems.push(Problem::new(
                            path.join("sequence").index(i).join("duration"),
                            "must be longer than 0s",
                        ));
                    }
                    if matches!(s.traffic, Traffic::Users(_)) {
                        problems.push(Problem::new(
                            path.join("sequence").index(i).join("traffic.users"),
                            "closed-loop users can only be the whole traffic, not part of a sequence",
                        ));
                    }
                    s.traffic.check(&path.join("sequence").index(i).join("traffic"), problems);
                }
            }
        }
    }

    /// Compiles the shape into a rate function. `start_unix_secs` anchors times of day;
    /// `horizon_secs` bounds precomputed random schedules.
    pub fn compile(&self, seed: u64, start_unix_secs: i64, horizon_secs: f64) -> RateFn {
        self.compile_at(seed, start_unix_secs, horizon_secs, "traffic")
    }

    fn compile_at(&self, seed: u64, start: i64, horizon: f64, name: &str) -> RateFn {
        match self {
            Traffic::Constant { rps } => RateFn::Constant(*rps),
            Traffic::Phases(phases) => {
                let mut t = 0.0;
                let mut out = Vec::with_capacity(phases.len());
                for p in phases {
                    let d = p.duration.as_secs_f64();
                    out.push(Ramp {
                        start: t,
                        end: t + d,
                        from: p.arrival_rate,
                        to: p.ramp_to.unwrap_or(p.arrival_rate),
                    });
                    t += d;
                }
                RateFn::Ramps(out)
            }
            Traffic::Steps(steps) => RateFn::Steps(steps.iter().map(|s| (s.at.as_secs_f64(), s.rps)).collect()),
            Traffic::Spike { at, duration, rps } => RateFn::Ramps(vec![Ramp {
                start: at.as_secs_f64(),
                end: at.as_secs_f64() + duration.as_secs_f64(),
                from: *rps,
                to: *rps,
            }]),
            Traffic::Diurnal { min_rps, max_rps, peak_at, period } => RateFn::Diurnal {
                min: *min_rps,
                max: *max_rps,
                peak_sod: peak_at.as_secs_f64(),
                period: period.as_secs_f64(),
                start,
            },
            Traffic::BusinessHours { rps, off_hours_rps, open, close, days } => {
                let mut mask = 0u8;
                for d in days {
                    mask |= 1 << (*d as u8);
                }
                RateFn::Business {
                    on: *rps,
                    off: *off_hours_rps,
                    open: open.as_secs_f64(),
                    close: close.as_secs_f64(),
                    days: mask,
                    start,
                }
            }
            Traffic::Bursts { rps, base_rps, mean_on, mean_off } => {
                let mut rng = Stream::new(seed, name);
                let (on, off) = (mean_on.as_secs_f64(), mean_off.as_secs_f64());
                let mut t = off * rng.exp1();
                let mut windows = Vec::new();
                while t < horizon {
                    let end = t + on * rng.exp1();
                    windows.push((t, end));
                    t = end + off * rng.exp1();
                }
                RateFn::Windows { windows, on: *rps, off: *base_rps }
            }
            Traffic::Trace { invocations, csv, interval, repeat, .. } => {
                let counts = trace_counts(invocations.as_deref(), csv.as_deref()).unwrap_or_default();
                let secs = interval.as_secs_f64().max(1.0);
                RateFn::Trace { rates: counts.iter().map(|c| c / secs).collect(), interval: secs, repeat: *repeat }
            }
            Traffic::Sum(parts) => RateFn::Sum(
                parts
                    .iter()
                    .enumerate()
                    .map(|(i, p)| p.compile_at(seed, start, horizon, &format!("{name}.sum[{i}]")))
                    .collect(),
            ),
            // Users are not a rate: the engine drives them (see `Users::schedule`).
            Traffic::Users(_) => RateFn::Constant(0.0),
            Traffic::Sequence(segments) => {
                let mut t = 0.0;
                let mut out = Vec::with_capacity(segments.len());
                for (i, s) in segments.iter().enumerate() {
                    let d = s.duration.as_secs_f64();
                    let inner = s.traffic.compile_at(seed, start, d, &format!("{name}.sequence[{i}]"));
                    out.push((t, t + d, inner));
                    t += d;
                }
                RateFn::Sequence(out)
            }
        }
    }
}

/// Reads trace counts from an inline list or CSV text (the last numeric column of each row;
/// rows without a number, such as headers, are skipped).
pub fn trace_counts(invocations: Option<&[f64]>, csv: Option<&str>) -> Result<Vec<f64>, String> {
    if let Some(v) = invocations {
        return Ok(v.to_vec());
    }
    let Some(text) = csv else { return Ok(Vec::new()) };
    let mut out = Vec::new();
    for (line_no, line) in text.lines().enumerate() {
        let line = line.trim();
        if line.is_empty() {
            continue;
        }
        let last = line.rsplit([',', ';', '\t']).next().unwrap_or("").trim().trim_matches('"');
        match last.parse::<f64>() {
            Ok(v) => out.push(v),
            Err(_) if out.is_empty() => {} // a header
            Err(_) => {
                return Err(format!(
                    "line {}: \"{last}\" is not a number (each row's last column must be a count)",
                    line_no + 1
                ));
            }
        }
    }
    if out.is_empty() {
        return Err("the CSV has no rows with a count".into());
    }
    Ok(out)
}

#[derive(Clone, Copy, PartialEq, Debug)]
pub struct Ramp {
    start: f64,
    end: f64,
    from: f64,
    to: f64,
}

/// A compiled rate function: requests per second at a time in seconds since the start.
#[derive(Clone, PartialEq, Debug)]
pub enum RateFn {
    Constant(f64),
    Ramps(Vec<Ramp>),
    Steps(Vec<(f64, f64)>),
    Diurnal { min: f64, max: f64, peak_sod: f64, period: f64, start: i64 },
    Business { on: f64, off: f64, open: f64, close: f64, days: u8, start: i64 },
    Windows { windows: Vec<(f64, f64)>, on: f64, off: f64 },
    Trace { rates: Vec<f64>, interval: f64, repeat: bool },
    Sum(Vec<RateFn>),
    Sequence(Vec<(f64, f64, RateFn)>),
}

impl RateFn {
    pub fn at(&self, t: f64) -> f64 {
        match self {
            RateFn::Constant(r) => *r,
            RateFn::Ramps(ramps) => ramps
                .iter()
                .find(|r| t >= r.start && t < r.end)
                .map(|r| r.from + (r.to - r.from) * (t - r.start) / (r.end - r.start))
                .unwrap_or(0.0),
            RateFn::Steps(steps) => {
                let i = steps.partition_point(|(at, _)| *at <= t);
                i.checked_sub(1).and_then(|i| steps.get(i)).map(|s| s.1).unwrap_or(0.0)
            }
            RateFn::Diurnal { min, max, peak_sod, period, start } => {
                // Seconds since the UTC midnight before the start, plus t.
                let (_, sod) = weekday_and_second_of_day(*start);
                let phase = (f64::from(sod) + t - peak_sod) / period;
                let c = libm::cos(2.0 * std::f64::consts::PI * phase);
                min + (max - min) * (1.0 + c) / 2.0
            }
            RateFn::Business { on, off, open, close, days, start } => {
                let unix = *start + libm::floor(t) as i64;
                let (wd, sod) = weekday_and_second_of_day(unix);
                let sod = f64::from(sod);
                if days & (1 << wd) != 0 && sod >= *open && sod < *close { *on } else { *off }
            }
            RateFn::Windows { windows, on, off } => {
                let i = windows.partition_point(|(s, _)| *s <= t);
                match i.checked_sub(1).and_then(|i| windows.get(i)) {
                    Some((_, end)) if t < *end => *on,
                    _ => *off,
                }
            }
            RateFn::Trace { rates, interval, repeat } => {
                if rates.is_empty() || t < 0.0 {
                    return 0.0;
                }
                let mut i = libm::floor(t / interval) as usize;
                if *repeat {
                    i %= rates.len();
                }
                rates.get(i).copied().unwrap_or(0.0)
            }
            RateFn::Sum(parts) => parts.iter().map(|p| p.at(t)).sum(),
            RateFn::Sequence(segs) => {
                segs.iter().find(|(s, e, _)| t >= *s && t < *e).map(|(s, _, f)| f.at(t - s)).unwrap_or(0.0)
            }
        }
    }

    /// The rate of simulated second `bin` (its value at the middle of that second).
    pub fn bin_rate(&self, bin: u64) -> f64 {
        self.at(bin as f64 + 0.5).max(0.0)
    }

    /// Expected number of arrivals and the peak per-second rate over `[0, duration_secs)`.
    pub fn expected_and_peak(&self, duration_secs: u64) -> (f64, f64) {
        let mut total = 0.0;
        let mut peak: f64 = 0.0;
        for bin in 0..duration_secs {
            let r = self.bin_rate(bin);
            total += r;
            peak = peak.max(r);
        }
        (total, peak)
    }
}

/// The arrival process: yields arrival times in microseconds, in order, until the horizon.
#[derive(Debug)]
pub struct Arrivals {
    rate: RateFn,
    rng: Stream,
    horizon_secs: u64,
    bin: u64,
    bin_rate: f64,
    /// Position inside the current bin, seconds since the start.
    t: f64,
    /// Expected arrivals still to spend before the next arrival.
    budget: f64,
}

impl Arrivals {
    pub fn new(rate: RateFn, rng: Stream, horizon_secs: u64) -> Arrivals {
        let mut a = Arrivals { bin_rate: rate.bin_rate(0), rate, rng, horizon_secs, bin: 0, t: 0.0, budget: 0.0 };
        a.budget = a.rng.exp1();
        a
    }

    /// The next arrival time, or `None` past the horizon.
    pub fn next_arrival(&mut self) -> Option<u64> {
        while self.bin < self.horizon_secs {
            let bin_end = (self.bin + 1) as f64;
            let r = self.bin_rate;
            if r > 0.0 {
                let dt = self.budget / r;
                if self.t + dt < bin_end {
                    self.t += dt;
                    self.budget = self.rng.exp1();
                    let us = (self.t * US_PER_SEC as f64) as u64;
                    // Never leave the bin through rounding.
                    return Some(us.clamp(self.bin * US_PER_SEC, self.bin * US_PER_SEC + US_PER_SEC - 1));
                }
                self.budget -= r * (bin_end - self.t);
            }
            self.bin += 1;
            self.t = bin_end;
            self.bin_rate = self.rate.bin_rate(self.bin);
        }
        None
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn count(rate: RateFn, horizon: u64, seed: u64) -> Vec<u64> {
        let mut a = Arrivals::new(rate, Stream::new(seed, "arrivals"), horizon);
        std::iter::from_fn(|| a.next_arrival()).collect()
    }

    #[test]
    fn artillery_phases_ramp_linearly() {
        // Seed 001: 200 → 600 over an hour, then 600 → 800.
        let t: Traffic = serde_json::from_str(
            r#"{"phases": [
                {"duration": 3600, "arrivalRate": 200, "rampTo": 600, "name": "warm up"},
                {"duration": 3600, "arrivalRate": 600, "rampTo": 800, "name": "Max load"}]}"#,
        )
        .unwrap();
        let r = t.compile(1, 0, 7200.0);
        assert_eq!(r.at(0.0), 200.0);
        assert_eq!(r.at(1800.0), 400.0);
        assert_eq!(r.at(3600.0), 600.0);
        assert_eq!(r.at(5400.0), 700.0);
        assert_eq!(r.at(7200.0), 0.0);
        let (expected, peak) = r.expected_and_peak(7200);
        // ∫ = 3600·400 + 3600·700 = 3 960 000.
        assert!((expected - 3_960_000.0).abs() < 1.0, "{expected}");
        assert!((peak - 800.0).abs() < 0.1);
    }

    #[test]
    fn poisson_counts_match_the_rate() {
        // Constant 50 RPS for 2000 s: 100 000 expected, sd 316; 1.5 % is 4.7 sd.
        let n = count(RateFn::Constant(50.0), 2000, 9).len() as f64;
        assert!((n / 100_000.0 - 1.0).abs() < 0.015, "{n}");
        // A ramp 0 → 100 over 1000 s: 50 000 expected, sd 224.
        let ramp = RateFn::Ramps(vec![Ramp { start: 0.0, end: 1000.0, from: 0.0, to: 100.0 }]);
        let arrivals = count(ramp, 1000, 4);
        let n = arrivals.len() as f64;
        assert!((n / 50_000.0 - 1.0).abs() < 0.015, "{n}");
        // Three quarters of a linear ramp's arrivals come in its second half.
        let late = arrivals.iter().filter(|t| **t >= 500 * US_PER_SEC).count() as f64;
        assert!((late / n - 0.75).abs() < 0.01, "{}", late / n);
        assert!(arrivals.windows(2).all(|w| w[0] <= w[1]), "arrivals are ordered");
    }

    #[test]
    fn interarrival_times_are_exponential() {
        // Rate 10: the fraction of gaps above 0.1 s is e^-1.
        let a = count(RateFn::Constant(10.0), 20_000, 5);
        let gaps: Vec<u64> = a.windows(2).map(|w| w[1] - w[0]).collect();
        let frac = gaps.iter().filter(|g| **g > 100_000).count() as f64 / gaps.len() as f64;
        assert!((frac - libm::exp(-1.0)).abs() < 0.01, "{frac}");
    }

    #[test]
    fn shapes_evaluate() {
        let monday_9 = crate::time::parse_timestamp("2026-01-05T09:00:00Z").unwrap();
        let bh: Traffic =
            serde_json::from_str(r#"{"businessHours": {"rps": 100, "offHoursRps": 5, "open": "9h", "close": "17h"}}"#)
                .unwrap();
        let r = bh.compile(1, monday_9, 7.0 * 86400.0);
        assert_eq!(r.at(10.0), 100.0);
        assert_eq!(r.at(8.5 * 3600.0), 5.0); // 17:30 Monday
        assert_eq!(r.at(5.0 * 86400.0 + 3600.0), 5.0); // Saturday 10:00

        let d: Traffic =
            serde_json::from_str(r#"{"diurnal": {"minRps": 10, "maxRps": 110, "peakAt": "14h"}}"#).unwrap();
        let r = d.compile(1, monday_9, 86400.0);
        assert!((r.at(5.0 * 3600.0) - 110.0).abs() < 1e-9, "peak at 14:00");
        assert!((r.at(17.0 * 3600.0) - 10.0).abs() < 1e-9, "trough at 02:00");

        let tr: Traffic = serde_json::from_str(
            r#"{"trace": {"csv": "Timestamp,Sum\n2026-01-05 09:00,600\n2026-01-05 09:01,1200\n"}}"#,
        )
        .unwrap();
        let r = tr.compile(1, 0, 120.0);
        assert_eq!(r.at(30.0), 10.0);
        assert_eq!(r.at(90.0), 20.0);
        assert_eq!(r.at(150.0), 0.0);

        let seq: Traffic = serde_json::from_str(
            r#"{"sequence": [{"duration": "1m", "traffic": {"constant": {"rps": 1}}},
                             {"duration": "1m", "traffic": {"sum": [{"constant": {"rps": 2}}, {"spike": {"at": "10s", "duration": "5s", "rps": 40}}]}}]}"#,
        )
        .unwrap();
        let r = seq.compile(1, 0, 120.0);
        assert_eq!((r.at(5.0), r.at(65.0), r.at(72.0), r.at(130.0)), (1.0, 2.0, 42.0, 0.0));
    }

    #[test]
    fn bursts_are_repeatable_and_cover_the_asked_fraction() {
        let b = Traffic::Bursts {
            rps: 100.0,
            base_rps: 0.0,
            mean_on: Duration::from_secs(60),
            mean_off: Duration::from_secs(240),
        };
        let r1 = b.compile(3, 0, 1e6);
        assert_eq!(r1, b.compile(3, 0, 1e6));
        let on = (0..1_000_000).step_by(10).filter(|t| r1.at(*t as f64) > 0.0).count() as f64 / 100_000.0;
        assert!((on - 0.2).abs() < 0.03, "on fraction {on}");
    }

    #[test]
    fn trace_csv_errors_name_the_line() {
        let e = trace_counts(None, Some("t,v\n1,5\n2,abc\n")).unwrap_err();
        assert!(e.starts_with("line 3"), "{e}");
    }

    #[test]
    fn hostile_users_are_refused_before_they_are_compiled() {
        let s: crate::Scenario = serde_json::from_str(
            r#"{"version": 1, "duration": "1h", "endpoint": {"variants": [{"name": "a", "instanceType": "ml.m5.xlarge", "initialInstanceCount": 1, "model": "decision-tree"}]},
                "traffic": {"users": {"stages": [{"duration": "9999d", "users": 4000000000, "spawnRate": 1e-9}], "thinkTime": {"distribution": "lognormal", "mean": "1s", "cv": 1e9}}}}"#,
        )
        .unwrap();
        let e = crate::plan(&s, None).unwrap_err();
        let paths: Vec<&str> = e.0.iter().map(|p| p.path.as_str()).collect();
        assert!(paths.contains(&"traffic.users.stages"), "{paths:?}");
        assert!(paths.contains(&"traffic.users.stages[0].users"), "{paths:?}");
        assert!(paths.contains(&"traffic.users.thinkTime.cv"), "{paths:?}");
    }
}
