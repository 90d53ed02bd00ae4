//! The seam between serving and scaling. A `Scaler` looks at published metrics when it asks to be
//! woken and returns capacity commands; the engine applies them as timed events. The scenario's
//! manual `capacityChanges` are the first scaler; Application Auto Scaling policies plug in here
//! as further implementations.

use std::fmt;

use serde::{Deserialize, Serialize};

use crate::fmt::num;
use crate::hist::Histogram;
use crate::metrics::{Metric, PeriodDistribution, Row};
use crate::time::{SimTime, US_PER_SEC};

/// What a scaler may see: the metric samples CloudWatch has published by `now` (period end plus
/// publish delay), as typed values asked for by metric, variant and period, and each variant's
/// current capacity. The recorded rows are private: `samples` is the only way to them, so no
/// scaler reads a datapoint before it exists, nor the report's presentation units.
#[derive(Debug)]
pub struct View<'a> {
    pub now: SimTime,
    rows_10s: &'a [Row],
    rows_60s: &'a [Row],
    /// CloudWatch's publish delay: a period's datapoint is visible this long after it ends.
    cloudwatch_delay_us: SimTime,
    /// Latency distributions per 10 s period (only those the recorder keeps).
    distributions: &'a [PeriodDistribution],
    pub variants: Vec<VariantView>,
}

impl<'a> View<'a> {
    /// A view at `now` of every row recorded so far (in time order); what is visible is decided
    /// here, per metric source.
    pub fn new(
        now: SimTime,
        rows_10s: &'a [Row],
        rows_60s: &'a [Row],
        cloudwatch_delay_us: SimTime,
        variants: Vec<VariantView>,
    ) -> View<'a> {
        View { now, rows_10s, rows_60s, cloudwatch_delay_us, distributions: &[], variants }
    }

    /// The same view with the kept latency distributions (for percentile statistics).
    pub fn with_distributions(self, distributions: &'a [PeriodDistribution]) -> View<'a> {
        View { distributions, ..self }
    }

    /// The published distribution of `metric` (a latency) for `variant` over the period
    /// `[start, start + period)`, or `None` when it has no value (missing data).
    fn distribution(&self, metric: Metric, variant: usize, start: SimTime, period: SimTime) -> Option<Histogram> {
        let visible_end = self.now.saturating_sub(self.cloudwatch_delay_us).min(start + period);
        let d = self.distributions;
        let lo = d.partition_point(|p| p.start < start);
        let hi = d.partition_point(|p| p.start < start + period);
        let mut h = Histogram::default();
        for p in d.get(lo..hi).unwrap_or(&[]) {
            if usize::from(p.variant) == variant
                && p.start + p.len <= visible_end
                && let Some(s) = p.of(metric)
            {
                h.add(s);
            }
        }
        (h.count() > 0).then_some(h)
    }

    /// How many values of a latency `metric` the period has published.
    pub fn value_count(&self, metric: Metric, variant: usize, start: SimTime, period: SimTime) -> u64 {
        self.distribution(metric, variant, start, period).map_or(0, |h| h.count())
    }

    /// The published value at quantile `q` (in [0, 1]) of a latency `metric` over the period, in
    /// microseconds; `None` where the period has no value. Within 0.8 % of the exact value (the
    /// histogram's bucket width).
    pub fn quantile(&self, metric: Metric, variant: usize, start: SimTime, period: SimTime, q: f64) -> Option<f64> {
        self.distribution(metric, variant, start, period)?.quantile_us(q)
    }

    /// The published mean of a latency `metric`'s values ranked between quantiles `lo` and
    /// `hi`, in microseconds (CloudWatch's trimmed mean).
    pub fn trimmed_mean(
        &self,
        metric: Metric,
        variant: usize,
        start: SimTime,
        period: SimTime,
        lo: f64,
        hi: f64,
    ) -> Option<f64> {
        self.distribution(metric, variant, start, period)?.trimmed_mean_us(lo, hi)
    }

    /// The published samples of `metric` for `variant` in the period `[start, start + period)`,
    /// in the metric's units (counts, microseconds, percent): one per 10 s row for periods
    /// under a minute and high-resolution metrics, else one per 60 s row. A sample is missing
    /// where CloudWatch would have no datapoint (no instance serving and no request).
    pub fn samples(
        &self,
        metric: Metric,
        variant: usize,
        start: SimTime,
        period: SimTime,
    ) -> impl Iterator<Item = f64> + 'a {
        let rows = if period < 60 * US_PER_SEC || metric.high_resolution() {
            self.published_10s()
        } else {
            self.published_60s()
        };
        let (from, to) = (start as f64 / US_PER_SEC as f64, (start + period) as f64 / US_PER_SEC as f64);
        let lo = rows.partition_point(|r| r.t_secs < from);
        let hi = rows.partition_point(|r| r.t_secs < to);
        rows.get(lo..hi)
            .unwrap_or(&[])
            .iter()
            .filter(move |r| usize::from(r.variant) == variant)
            .filter_map(move |r| metric.sample(r))
    }

    /// The 10-second rows CloudWatch has published by `now`: those whose period ended at least
    /// the publish delay ago.
    fn published_10s(&self) -> &'a [Row] {
        published(self.rows_10s, self.now, self.cloudwatch_delay_us)
    }

    /// The 60-second rows CloudWatch has published by `now`.
    fn published_60s(&self) -> &'a [Row] {
        published(self.rows_60s, self.now, self.cloudwatch_delay_us)
    }
}

/// Rows are in time order, so the visible ones are a prefix.
fn published(rows: &[Row], now: SimTime, delay: SimTime) -> &[Row] {
    let visible_end = now.saturating_sub(delay) as f64 / crate::time::US_PER_SEC as f64;
    let n = rows.partition_point(|r| r.t_secs + r.period_secs <= visible_end);
    rows.get(..n).unwrap_or(&[])
}

#[derive(Clone, Copy, Debug, PartialEq)]
pub struct VariantView {
    pub desired: u32,
    pub pending: u32,
    pub in_service: u32,
    pub weight: f64,
}

/// A change of a variant's desired instance count and/or weight.
#[derive(Clone, Debug, PartialEq)]
pub struct Command {
    pub variant: usize,
    pub desired: Option<u32>,
    pub weight: Option<f64>,
    /// Why: what the activity's sentence is rendered from.
    pub cause: Cause,
}

/// Why a scaler issued a command. Its `Display` is the cause in the activity log.
#[derive(Clone, Debug, PartialEq)]
pub enum Cause {
    /// An on-demand `UpdateEndpointWeightsAndCapacities` call in the scenario.
    OnDemand,
    /// `RegisterScalableTarget` moved the capacity into its range.
    Registered { resource_id: String, min: u32, max: u32 },
    /// A scheduled action set the target's limits (`None`: skipped, because scheduled scaling
    /// is suspended).
    Scheduled { action: String, schedule: String, limits: Option<(u32, u32)> },
    /// A scaling policy acted on an alarm.
    Policy(Box<Evidence>),
}

impl Cause {
    /// The facts behind a policy's decision, for "why did it scale?".
    pub fn evidence(&self) -> Option<&Evidence> {
        match self {
            Cause::Policy(e) => Some(e),
            _ => None,
        }
    }
}

impl fmt::Display for Cause {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Cause::OnDemand => write!(f, "an on-demand UpdateEndpointWeightsAndCapacities call in the scenario"),
            Cause::Registered { resource_id, min, max } => write!(
                f,
                "RegisterScalableTarget {resource_id}: MinCapacity {min} / MaxCapacity {max} moves the capacity into range"
            ),
            Cause::Scheduled { action, schedule, limits: None } => {
                write!(f, "scheduled action {action} ({schedule}) skipped: ScheduledScalingSuspended")
            }
            Cause::Scheduled { action, schedule, limits: Some((min, max)) } => {
                write!(f, "scheduled action {action} ({schedule}) sets MinCapacity {min} and MaxCapacity {max}")
            }
            Cause::Policy(e) => e.fmt(f),
        }
    }
}

/// What a scaler evaluated to reach a decision, for "why did it scale?": the alarm and the
/// datapoints it read, the threshold, the policy and its arithmetic, and the limits applied.
/// Its `Display` is the activity log's cause.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct Evidence {
    pub alarm: String,
    pub variant: usize,
    /// The metric's CloudWatch name and the statistic over each period.
    pub metric: String,
    pub statistic: String,
    pub period_secs: u64,
    /// The datapoints evaluated, oldest first: (period start in seconds, value; `None` =
    /// missing).
    pub datapoints: Vec<(f64, Option<f64>)>,
    /// How many breached, and how many must (`DatapointsToAlarm`).
    pub breaching: u32,
    pub datapoints_to_alarm: u32,
    pub comparison: String,
    pub threshold: f64,
    pub policy: String,
    /// How the policy turned the datapoints into a capacity.
    pub rule: Rule,
    /// What the policy asked for, and what the target got after MinCapacity/MaxCapacity.
    pub wanted: i64,
    pub desired: Option<u32>,
    /// "MaxCapacity" or "MinCapacity" when the count was clamped to it.
    pub limited_by: Option<String>,
    /// `AlreadyAtMaxCapacity` or `AlreadyAtMinCapacity` when the decision changed nothing.
    pub not_scaled: Option<String>,
    /// The cooldown this decision starts or continues.
    pub cooldown: Option<Cooldown>,
}

/// A policy's arithmetic.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub enum Rule {
    /// Target tracking: ceil(base × latest / target). `scale_in_factor` is set for the scale-in
    /// alarm (which fires below factor × target).
    TargetTracking { base: u32, latest: f64, target: f64, scale_in_factor: Option<f64> },
    /// Step scaling: the aggregate of the datapoints minus the threshold falls in a step
    /// [lower, upper) whose adjustment applies, from `from_before` (the capacity before a
    /// scale-out still cooling down) when set.
    Step {
        aggregation: String,
        aggregate: f64,
        lower: Option<f64>,
        upper: Option<f64>,
        adjustment: String,
        from_before: Option<u32>,
    },
}

/// A cooldown a decision starts, or one it continues.
#[derive(Clone, Copy, Debug, PartialEq, Serialize, Deserialize)]
pub enum Cooldown {
    Starts {
        kind: CooldownKind,
        secs: u64,
    },
    /// A scale-out within an earlier one's window: that window (and its base) stays.
    Continues {
        since_us: SimTime,
    },
}

/// Which cooldown: target tracking's scale-out or scale-in one, or a step policy's only one.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub enum CooldownKind {
    ScaleOut,
    ScaleIn,
    Step,
}

impl fmt::Display for Cooldown {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Cooldown::Starts { kind, secs } => {
                let kind = match kind {
                    CooldownKind::ScaleOut => "scale-out ",
                    CooldownKind::ScaleIn => "scale-in ",
                    CooldownKind::Step => "",
                };
                write!(f, "{kind}cooldown {secs} s starts")
            }
            Cooldown::Continues { since_us } => {
                write!(f, "the scale-out cooldown from {} continues", crate::time::Duration(*since_us))
            }
        }
    }
}

impl Evidence {
    /// Whether a datapoint breaches the alarm's threshold.
    pub fn breaches(&self, v: f64) -> bool {
        match self.comparison.as_str() {
            "≥" => v >= self.threshold,
            ">" => v > self.threshold,
            "<" => v < self.threshold,
            "≤" => v <= self.threshold,
            _ => false,
        }
    }

    /// A value of the metric as people read it: latencies (which CloudWatch reports in
    /// microseconds) in ms or s, other metrics as numbers.
    pub fn value_text(&self, v: f64) -> String {
        if self.metric.ends_with("Latency") { crate::fmt::fmt_ms(v / 1000.0) } else { crate::fmt::fmt_num(v) }
    }

    /// The policy's arithmetic in words: "ceil(1 × 31000 / 25000)", or the step chosen.
    pub fn formula(&self) -> String {
        match &self.rule {
            Rule::TargetTracking { base, latest, target, .. } => {
                format!("ceil({base} × {} / {})", num(*latest), num(*target))
            }
            Rule::Step { aggregation, aggregate, lower, upper, adjustment, from_before } => {
                let (lo, hi) = step_bounds(*lower, *upper);
                format!(
                    "{aggregation} {} − threshold {} = {} in step [{lo}, {hi}): {adjustment}{}",
                    num(*aggregate),
                    num(self.threshold),
                    num(aggregate - self.threshold),
                    before_note(*from_before)
                )
            }
        }
    }
}

fn step_bounds(lower: Option<f64>, upper: Option<f64>) -> (String, String) {
    (lower.map(num).unwrap_or_else(|| "−∞".into()), upper.map(num).unwrap_or_else(|| "+∞".into()))
}

fn before_note(from_before: Option<u32>) -> String {
    from_before.map(|b| format!(" from {b}, the capacity before the scale-out still cooling down")).unwrap_or_default()
}

impl Evidence {
    /// The metric as the sentence names it: with its statistic when that is a percentile or a
    /// trimmed mean ("ModelLatency p99"), as the basic ones read naturally without.
    fn metric_label(&self) -> String {
        const PLAIN: &[&str] = &["Average", "Sum", "Minimum", "Maximum", "SampleCount", "Expression"];
        if PLAIN.contains(&self.statistic.as_str()) {
            self.metric.clone()
        } else {
            format!("{} {}", self.metric, self.statistic)
        }
    }
}

impl fmt::Display for Evidence {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let metric = self.metric_label();
        let (alarm, b, n, policy, wanted) =
            (&self.alarm, self.breaching, self.datapoints.len(), &self.policy, self.wanted);
        match &self.rule {
            Rule::TargetTracking { target, scale_in_factor: None, .. } => write!(
                f,
                "{alarm}: {b} of {n} datapoints of {metric} above {} → policy {policy} wants {wanted} ({})",
                num(*target),
                self.formula()
            )?,
            Rule::TargetTracking { target, scale_in_factor: Some(k), .. } => write!(
                f,
                "{alarm}: {b} of {n} datapoints of {metric} below {} ({} × {}) → policy {policy} wants {wanted} ({})",
                num(target * k),
                num(*k),
                num(*target),
                self.formula()
            )?,
            Rule::Step { aggregation, aggregate, lower, upper, adjustment, from_before } => {
                let (lo, hi) = step_bounds(*lower, *upper);
                write!(
                    f,
                    "{alarm}: {b} of {n} datapoints of {metric} {} {} ({aggregation} {}) → policy {policy} step [{lo}, {hi}) {adjustment}{} wants {wanted}",
                    self.comparison,
                    num(self.threshold),
                    num(*aggregate),
                    before_note(*from_before)
                )?
            }
        }
        if let Some(reason) = &self.not_scaled {
            let limit = self.desired.unwrap_or_default();
            return write!(f, "; not scaled: {reason} ({limit} is the limit)");
        }
        if let (Some(by), Some(d)) = (&self.limited_by, self.desired) {
            write!(f, ", limited to {d} by {by}")?;
        }
        match &self.cooldown {
            Some(c) => write!(f, "; {c}"),
            None => write!(f, "; "),
        }
    }
}

/// A state change of something a scaler evaluates (an alarm, for Application Auto Scaling),
/// like CloudWatch's alarm history. Neutral: states are the scaler's own words.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct StateChange {
    pub at_secs: f64,
    /// What changed state (an alarm's name).
    pub alarm: String,
    pub from: String,
    pub to: String,
    pub reason: String,
}

/// A threshold a scaler compares a metric with, for charts to draw (never read back by the
/// simulation): compiled from the scaler's own configuration, so it exists exactly when the
/// comparison does (a target tracking policy with `DisableScaleIn` has no scale-in line).
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct Guide {
    pub variant: usize,
    /// The metric's CloudWatch name, e.g. `InvocationsPerInstance`.
    pub metric: String,
    /// The statistic over each period (`Sum`, `Average`, …) and the period, in seconds.
    pub statistic: String,
    pub period_secs: u64,
    pub value: f64,
    pub role: GuideRole,
    /// The alarm or rule it comes from.
    pub source: String,
}

/// A metric a scaler computes itself (a metric math expression, a percentile), as it read it
/// each period: the report's rows do not hold it, so charts draw it from here.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct ScalerMetric {
    pub variant: usize,
    /// The metric's name or the expression's label, and the statistic (`p99`, `Expression`),
    /// as the scaler's `Guide`s name them.
    pub metric: String,
    pub statistic: String,
    pub period_secs: u64,
    /// (period start in seconds, value; `None` = missing), in time order.
    pub points: Vec<(f64, Option<f64>)>,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize)]
pub enum GuideRole {
    /// The value a target tracking policy holds the metric at (its scale-out threshold).
    Target,
    /// Below this a target tracking policy scales in.
    ScaleIn,
    /// An alarm's threshold.
    Threshold,
}

/// An autoscaler. The engine wakes it when it asks, shows it what it may see, and applies the
/// commands it returns as capacity changes at that time.
pub trait Scaler: fmt::Debug {
    /// When this scaler next wants to act, if ever.
    fn next_wake(&self) -> Option<SimTime>;
    /// Acts at `now` (a time `next_wake` asked for).
    fn wake(&mut self, now: SimTime, view: &View<'_>) -> Vec<Command>;
    /// The metrics it computed itself, as it read them (none by default).
    fn metrics(&self) -> Vec<ScalerMetric> {
        Vec::new()
    }
    /// State changes of what this scaler evaluates, in time order.
    fn history(&self) -> Vec<StateChange> {
        Vec::new()
    }
    /// The thresholds this scaler compares metrics with.
    fn guides(&self) -> Vec<Guide> {
        Vec::new()
    }
}

/// A timed on-demand change of one variant's desired count and/or weight.
#[derive(Clone, Debug, PartialEq)]
pub struct PlannedChange {
    pub at_us: SimTime,
    pub variant: usize,
    pub desired: Option<u32>,
    pub weight: Option<f64>,
}

/// Timed on-demand changes, as `UpdateEndpointWeightsAndCapacities` calls.
#[derive(Debug)]
pub struct ManualSchedule {
    changes: Vec<PlannedChange>,
    next: usize,
}

impl ManualSchedule {
    /// `changes` must be sorted by time.
    pub fn new(changes: Vec<PlannedChange>) -> ManualSchedule {
        ManualSchedule { changes, next: 0 }
    }
}

impl Scaler for ManualSchedule {
    fn next_wake(&self) -> Option<SimTime> {
        self.changes.get(self.next).map(|c| c.at_us)
    }

    fn wake(&mut self, now: SimTime, _view: &View<'_>) -> Vec<Command> {
        let mut out = Vec::new();
        while let Some(c) = self.changes.get(self.next).filter(|c| c.at_us <= now) {
            out.push(Command { variant: c.variant, desired: c.desired, weight: c.weight, cause: Cause::OnDemand });
            self.next += 1;
        }
        out
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn only_published_rows_are_visible() {
        let plan = crate::plan(&crate::examples::get("seed-004-g4dn-pair").unwrap(), Some(1)).unwrap();
        let report = crate::Simulation::new(&plan).run();
        let view = |now_secs: u64| {
            View::new(now_secs * US_PER_SEC, &report.series_10s, &report.series, 60 * US_PER_SEC, Vec::new())
        };
        // At 3 min with a 60 s delay, periods ending by 2 min are visible.
        assert_eq!(view(180).published_60s().len(), 2);
        assert_eq!(view(180).published_10s().len(), 12);
        assert_eq!(view(179).published_60s().len(), 1);
        assert!(view(30).published_60s().is_empty());
        // Samples: the minute [60, 120) s is published at 3 min, the next one is not yet.
        let min = 60 * US_PER_SEC;
        let at3 = view(180);
        let invocations: Vec<f64> = at3.samples(Metric::Invocations, 0, min, min).collect();
        let row = report.series.get(1).unwrap();
        assert_eq!(invocations, vec![row.invocations as f64]);
        assert_eq!(at3.samples(Metric::Invocations, 0, 2 * min, min).count(), 0);
        // Latencies are in microseconds, as CloudWatch reports them; 10 s periods read 10 s rows.
        let latency: Vec<f64> = at3.samples(Metric::ModelLatency, 0, min, min).collect();
        assert_eq!(latency, vec![row.model_latency_avg_ms.unwrap() * 1000.0]);
        assert_eq!(at3.samples(Metric::Invocations, 0, min, 30 * US_PER_SEC).count(), 3);
        assert_eq!(at3.samples(Metric::Invocations, 1, min, min).count(), 0, "no variant 1");
    }
}

#[cfg(test)]
mod cause_tests {
    use super::*;

    fn evidence() -> Evidence {
        Evidence {
            alarm: "A-AlarmHigh".into(),
            variant: 0,
            metric: "InvocationsPerInstance".into(),
            statistic: "Sum".into(),
            period_secs: 60,
            datapoints: vec![(0.0, Some(31_000.0)), (60.0, Some(32_000.0)), (120.0, Some(31_000.0))],
            breaching: 3,
            datapoints_to_alarm: 3,
            comparison: ">".into(),
            threshold: 25_000.0,
            policy: "P".into(),
            rule: Rule::TargetTracking { base: 1, latest: 31_000.0, target: 25_000.0, scale_in_factor: None },
            wanted: 2,
            desired: Some(2),
            limited_by: None,
            not_scaled: None,
            cooldown: Some(Cooldown::Starts { kind: CooldownKind::ScaleOut, secs: 300 }),
        }
    }

    #[test]
    fn a_policy_cause_reads_as_the_activity_log_sentence() {
        let e = evidence();
        assert_eq!(
            Cause::Policy(Box::new(e.clone())).to_string(),
            "A-AlarmHigh: 3 of 3 datapoints of InvocationsPerInstance above 25000 → policy P wants 2 \
             (ceil(1 × 31000 / 25000)); scale-out cooldown 300 s starts"
        );
        let limited = Evidence { desired: Some(1), limited_by: Some("MaxCapacity".into()), ..e.clone() };
        assert!(
            limited
                .to_string()
                .ends_with("(ceil(1 × 31000 / 25000)), limited to 1 by MaxCapacity; scale-out cooldown 300 s starts")
        );
        let not_scaled =
            Evidence { desired: Some(1), not_scaled: Some("AlreadyAtMaxCapacity".into()), cooldown: None, ..e };
        assert!(not_scaled.to_string().ends_with("; not scaled: AlreadyAtMaxCapacity (1 is the limit)"));
        assert_eq!(Cause::OnDemand.evidence(), None);
        let e = evidence();
        assert!(e.breaches(25_001.0) && !e.breaches(25_000.0));
        assert_eq!(e.value_text(31_000.0), "31,000");
        let latency = Evidence { metric: "ModelLatency".into(), ..e.clone() };
        assert_eq!(latency.value_text(450_000.0), "450 ms");
    }

    #[test]
    fn a_step_formula_names_the_step_and_the_base() {
        let e = Evidence {
            rule: Rule::Step {
                aggregation: "average".into(),
                aggregate: 700.0,
                lower: Some(0.0),
                upper: None,
                adjustment: "+2".into(),
                from_before: Some(3),
            },
            threshold: 500.0,
            ..evidence()
        };
        assert_eq!(
            e.formula(),
            "average 700 − threshold 500 = 200 in step [0, +∞): +2 from 3, the capacity before the scale-out still cooling down"
        );
    }
}
