//! The numbers a lesson may quote, computed from a run's report: totals, latency, cost, when
//! the first error, scale-out and scale-in came, and how long after the metric crossed the
//! policy's thresholds. Each fact has a value (for claims) and the words a lesson shows.

use std::collections::BTreeMap;

use crate::fmt::{fmt_clock, fmt_count, fmt_ms, num};
use crate::metrics::{Metric, Row};
use crate::report::{Activity, Report};
use crate::scaling::{Guide, GuideRole};

/// One fact: its value and how a lesson writes it.
#[derive(Clone, Debug, PartialEq)]
pub struct Fact {
    pub value: f64,
    pub text: String,
}

/// How a fact reads.
#[derive(Clone, Copy, Debug)]
enum Unit {
    Count,
    /// Seconds since the start of the run, as a clock (`36m`, `1h05m`).
    At,
    /// A span of seconds (`3 min`, `45 s`).
    Span,
    Ms,
    Usd,
    Pct,
    Plain,
}

/// The facts of one run (and, prefixed `name.`, of the runs it is compared with).
#[derive(Clone, Debug, Default, PartialEq)]
pub struct Facts(BTreeMap<String, Fact>);

/// A moment of the run: `36m`, `1h05m`, and past a day `4d 17h00m`.
fn at(secs: f64) -> String {
    if secs < 86_400.0 {
        return fmt_clock(secs);
    }
    let days = libm::floor(secs / 86_400.0);
    format!("{}d {}", num(days), fmt_clock(secs - days * 86_400.0))
}

fn span(secs: f64) -> String {
    let s = secs.max(0.0);
    if s < 120.0 {
        format!("{} s", num(libm::round(s)))
    } else if s < 7200.0 {
        let m = libm::floor(s / 60.0);
        let rest = libm::round(s - m * 60.0);
        if rest == 0.0 { format!("{} min", num(m)) } else { format!("{} min {} s", num(m), num(rest)) }
    } else if s < 2.0 * 86_400.0 {
        format!("{} h", crate::fmt::fmt_num(s / 3600.0))
    } else {
        format!("{} days", crate::fmt::fmt_num(s / 86_400.0))
    }
}

impl Facts {
    pub fn get(&self, name: &str) -> Option<&Fact> {
        self.0.get(name)
    }

    pub fn names(&self) -> impl Iterator<Item = &str> {
        self.0.keys().map(String::as_str)
    }

    pub fn insert(&mut self, name: &str, fact: Fact) {
        self.0.insert(name.to_string(), fact);
    }

    fn put(&mut self, name: &str, value: f64, unit: Unit) {
        let text = match unit {
            Unit::Count => fmt_count(value),
            Unit::At => at(value),
            Unit::Span => span(value),
            Unit::Ms => fmt_ms(value),
            Unit::Usd if value >= 100.0 => format!("${}", fmt_count(value)),
            // Cents hide a serverless endpoint's fractions of a cent: three decimals below $0.01.
            Unit::Usd if value > 0.0 && value < 0.01 => format!("${value:.3}"),
            Unit::Usd => format!("${value:.2}"),
            Unit::Pct if value != 0.0 && value.abs() < 0.1 => format!("{value:.2} %"),
            Unit::Pct => format!("{value:.1} %"),
            Unit::Plain => crate::fmt::fmt_num(value),
        };
        self.0.insert(name.to_string(), Fact { value, text });
    }

    fn put_opt(&mut self, name: &str, value: Option<f64>, unit: Unit) {
        if let Some(v) = value {
            self.put(name, v, unit);
        }
    }

    /// Adds `other`'s facts under `prefix.` (a compared run's).
    pub fn add_prefixed(&mut self, prefix: &str, other: Facts) {
        for (k, v) in other.0 {
            self.0.insert(format!("{prefix}.{k}"), v);
        }
    }

    /// The facts of a run.
    pub fn of(r: &Report) -> Facts {
        let mut f = Facts::default();
        let s = &r.summary;
        f.put("duration", r.duration_secs, Unit::Span);
        f.put("requests", s.requests as f64, Unit::Count);
        f.put("succeeded", s.succeeded as f64, Unit::Count);
        f.put("errors", s.errors.total as f64, Unit::Count);
        f.put("model_errors", s.errors.model_error as f64, Unit::Count);
        f.put("service_unavailable", s.errors.service_unavailable as f64, Unit::Count);
        f.put("no_capacity", s.errors.no_capacity as f64, Unit::Count);
        f.put("throttled", s.errors.throttled as f64, Unit::Count);
        let pct = |n: u64| if s.requests > 0 { 100.0 * n as f64 / s.requests as f64 } else { 0.0 };
        f.put("error_pct", pct(s.errors.total), Unit::Pct);
        f.put_opt("p50_ms", s.latency_ms.p50, Unit::Ms);
        f.put_opt("p99_ms", s.latency_ms.p99, Unit::Ms);
        f.put_opt("max_ms", s.latency_ms.max, Unit::Ms);
        f.put_opt("slo_pct", s.slo_attainment.map(|a| 100.0 * a), Unit::Pct);
        f.put_opt("first_error_at", s.first_error_secs, Unit::At);
        f.put("cost", s.cost_usd, Unit::Usd);
        f.put("cost_per_hour", s.cost_per_hour_usd, Unit::Usd);
        f.put("cost_per_week", s.cost_per_hour_usd * 168.0, Unit::Usd);
        f.put_opt("cost_per_million", s.cost_per_million_usd, Unit::Usd);
        f.put("instance_hours", s.instance_hours, Unit::Plain);
        f.put("max_in_service", f64::from(s.max_in_service_instances), Unit::Count);
        f.put("overload_errors", (s.errors.model_error + s.errors.service_unavailable) as f64, Unit::Count);
        if let Some(v) = r.variants.first() {
            f.put("capacity_rps", v.instance_capacity_rps, Unit::Plain);
            f.put("price_per_hour", v.price_usd_per_hour, Unit::Usd);
        }
        if let Some(c) = &s.client {
            f.put("attempts", c.attempts as f64, Unit::Count);
            f.put("retries", c.retries as f64, Unit::Count);
            f.put("gave_up", c.gave_up_after_retry as f64, Unit::Count);
        }
        activities(&mut f, &r.activities);
        alarms(&mut f, r);
        cold_start(&mut f, r);
        thresholds(&mut f, r);
        peaks(&mut f, &r.series);
        after_drop(&mut f, &r.activities);
        f
    }
}

/// Scale-outs and scale-ins (activities that changed the desired count).
fn activities(f: &mut Facts, list: &[Activity]) {
    let outs: Vec<&Activity> = list.iter().filter(|a| a.desired_after > a.desired_before).collect();
    let ins: Vec<&Activity> = list.iter().filter(|a| a.desired_after < a.desired_before).collect();
    f.put("scale_outs", outs.len() as f64, Unit::Count);
    f.put("scale_ins", ins.len() as f64, Unit::Count);
    f.put("not_scaled", list.iter().filter(|a| a.status == "NotScaled").count() as f64, Unit::Count);
    for (name, a) in
        [("first_scale_out", outs.first()), ("last_scale_out", outs.last()), ("first_scale_in", ins.first())]
    {
        if let Some(a) = a {
            f.put(&format!("{name}_at"), a.at_secs, Unit::At);
            f.put(&format!("{name}_from"), f64::from(a.desired_before), Unit::Count);
            f.put(&format!("{name}_to"), f64::from(a.desired_after), Unit::Count);
        }
    }
    // Waking from zero.
    if let Some(a) = outs.iter().find(|a| a.desired_before == 0) {
        f.put("first_scale_out_after_zero_at", a.at_secs, Unit::At);
    }
    // What the first scale-out's alarm read (its latest datapoint), in the metric's words.
    if let Some(e) = outs.first().and_then(|a| a.evidence.as_ref())
        && let Some(v) = e.datapoints.iter().rev().find_map(|d| d.1)
    {
        if e.metric.ends_with("Latency") {
            f.put("first_scale_out_metric", v / 1000.0, Unit::Ms);
        } else {
            f.put("first_scale_out_metric", v, Unit::Plain);
        }
    }
    if let Some(a) = ins.last() {
        f.put("last_scale_in_at", a.at_secs, Unit::At);
        f.put("last_scale_in_from", f64::from(a.desired_before), Unit::Count);
        f.put("last_scale_in_to", f64::from(a.desired_after), Unit::Count);
    }
    let largest = outs.iter().map(|a| a.desired_after - a.desired_before).max();
    f.put_opt("largest_scale_out", largest.map(f64::from), Unit::Count);
    if let Some(a) = list.iter().rev().find(|a| a.desired_after != a.desired_before) {
        f.put("final_desired", f64::from(a.desired_after), Unit::Count);
        f.put("last_change_at", a.at_secs, Unit::At);
    }
    let max = list.iter().map(|a| a.desired_after).max();
    f.put_opt("max_desired", max.map(f64::from), Unit::Count);
    // The gap between consecutive scale-outs (the cooldown at work).
    if let [a, b, ..] = outs.as_slice() {
        f.put("second_scale_out_at", b.at_secs, Unit::At);
        f.put("scale_out_gap", b.at_secs - a.at_secs, Unit::Span);
    }
}

/// When the first alarm of each kind went to ALARM.
fn alarms(f: &mut Facts, r: &Report) {
    let first =
        |suffix: &str| r.alarm_history.iter().find(|h| h.alarm.ends_with(suffix) && h.to == "ALARM").map(|h| h.at_secs);
    f.put_opt("alarm_high_at", first("-AlarmHigh"), Unit::At);
    f.put_opt("alarm_low_at", first("-AlarmLow"), Unit::At);
    let any = r.alarm_history.iter().find(|h| h.to == "ALARM").map(|h| h.at_secs);
    f.put_opt("first_alarm_at", any, Unit::At);
}

/// How long the first instance launched during the run took to serve (provisioning, image
/// pull, model load).
fn cold_start(f: &mut Facts, r: &Report) {
    let launched = r.instances.iter().filter(|i| i.launched_secs > 0.0).find_map(|i| {
        let serving = i.in_service_secs?;
        Some((i.launched_secs, serving - i.launched_secs))
    });
    if let Some((at, secs)) = launched {
        f.put("first_launch_at", at, Unit::At);
        f.put("cold_start", secs, Unit::Span);
    }
}

/// The rows a guide's metric is read from (10 s rows for sub-minute periods).
fn rows_for<'a>(r: &'a Report, g: &Guide) -> impl Iterator<Item = &'a Row> {
    let rows = if g.period_secs < 60 { &r.series_10s } else { &r.series };
    rows.iter().filter(move |row| usize::from(row.variant) == g.variant)
}

/// The policy's thresholds and when the metric crossed them, relative to the scaling that
/// followed: how long after the first period above the target the first scale-out came, and
/// how long after the metric settled below the scale-in line the first scale-in came.
fn thresholds(f: &mut Facts, r: &Report) {
    // The guide's metric as its alarm reads it (latencies in microseconds, as CloudWatch
    // reports them).
    let metric_value = |m: Option<Metric>, row: &Row| m.and_then(|m| m.sample(row));
    let target = r.guides.iter().find(|g| g.role == GuideRole::Target);
    if let Some(g) = target {
        let m = Metric::by_name(&g.metric);
        f.put("target", g.value, Unit::Plain);
        let first_above = rows_for(r, g).find(|row| metric_value(m, row).is_some_and(|v| v > g.value));
        if let Some(row) = first_above {
            let end = row.t_secs + row.period_secs;
            f.put("first_above_target_at", row.t_secs, Unit::At);
            f.put("first_above_target_end", end, Unit::At);
            if let Some(out) = f.get("first_scale_out_at").map(|x| x.value)
                && out >= end
            {
                f.put("scale_out_lag", out - end, Unit::Span);
            }
        }
    }
    if let Some(g) = r.guides.iter().find(|g| g.role == GuideRole::ScaleIn) {
        f.put("scale_in_below", g.value, Unit::Plain);
        let m = Metric::by_name(&g.metric);
        if let Some(first_in) = f.get("first_scale_in_at").map(|x| x.value) {
            // The periods before the scale-in, back to the last one at or above the line.
            let before: Vec<&Row> = rows_for(r, g).filter(|row| row.t_secs + row.period_secs <= first_in).collect();
            let calm_from = before
                .iter()
                .rev()
                .take_while(|row| metric_value(m, row).is_none_or(|v| v < g.value))
                .last()
                .map(|row| row.t_secs);
            if let Some(t) = calm_from {
                f.put("below_scale_in_from", t, Unit::At);
                f.put("scale_in_lag", first_in - t, Unit::Span);
            }
        }
    }
}

/// Peaks over the 60 s series: the highest request rate and backlog.
fn peaks(f: &mut Facts, rows: &[Row]) {
    let rate = rows.iter().map(|r| r.requests as f64 / r.period_secs.max(1.0)).fold(0.0, f64::max);
    f.put("peak_rps", rate, Unit::Count);
    let backlog = rows
        .iter()
        .filter_map(|r| r.approximate_backlog_size)
        .fold(None, |m: Option<f64>, x| Some(m.map_or(x, |m| m.max(x))));
    f.put_opt("max_backlog", backlog, Unit::Count);
    let minutes_with_errors = rows
        .iter()
        .filter(|r| r.model_errors + r.errors_5xx + r.errors_4xx > 0)
        .map(|r| (r.t_secs, r.period_secs))
        .fold(BTreeMap::new(), |mut m, (t, p)| {
            m.insert(t as u64, p);
            m
        });
    f.put("minutes_with_errors", minutes_with_errors.len() as f64, Unit::Count);
    if let Some((t, p)) = minutes_with_errors.iter().next_back() {
        f.put("errors_until", *t as f64 + p, Unit::At);
    }
    // The traffic drop: the first minute after the busiest one at under half its rate.
    let per_minute: Vec<(f64, f64)> = rows
        .iter()
        .fold(BTreeMap::new(), |mut m: BTreeMap<u64, (f64, f64)>, r| {
            let e = m.entry(r.t_secs as u64).or_insert((r.t_secs, 0.0));
            e.1 += r.requests as f64 / r.period_secs.max(1.0);
            m
        })
        .into_values()
        .collect();
    let busiest = per_minute.iter().enumerate().max_by(|a, b| a.1.1.total_cmp(&b.1.1)).map(|(k, x)| (k, x.1));
    if let Some((k, peak)) = busiest
        && let Some(&(t, _)) = per_minute.iter().skip(k + 1).find(|(_, rate)| *rate < 0.5 * peak)
    {
        f.put("traffic_drop_at", t, Unit::At);
    }
}

/// How long after the traffic dropped the first scale-in came.
fn after_drop(f: &mut Facts, list: &[Activity]) {
    let Some(drop) = f.get("traffic_drop_at").map(|x| x.value) else { return };
    if let Some(a) = list.iter().find(|a| a.desired_after < a.desired_before && a.at_secs >= drop) {
        f.put("scale_in_after_drop", a.at_secs - drop, Unit::Span);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn spans_read_as_people_say_them() {
        assert_eq!(span(45.0), "45 s");
        assert_eq!(span(180.0), "3 min");
        assert_eq!(span(190.0), "3 min 10 s");
        assert_eq!(span(3.5 * 3600.0), "3.5 h");
        assert_eq!(span(8.0 * 86_400.0), "8 days");
        assert_eq!(at(4.0 * 86_400.0 + 17.0 * 3600.0), "4d 17h00m");
    }

    #[test]
    fn seed_001_after_scales_out_a_few_minutes_after_the_target_is_crossed() {
        let r = crate::simulate(&crate::examples::get("seed-001-after").unwrap(), Some(1)).unwrap();
        let f = Facts::of(&r);
        assert_eq!(f.get("target").unwrap().value, 25_000.0);
        let lag = f.get("scale_out_lag").unwrap().value;
        // 3 of 3 one-minute datapoints: the crossing minute is the first of the three, then two
        // more minutes, the publish delay and the 10 s evaluation grid.
        assert!((120.0..=200.0).contains(&lag), "{lag}");
        assert_eq!(f.get("errors").unwrap().text, "0");
        assert!(f.get("first_scale_out_at").unwrap().text.ends_with('m'));
    }
}
