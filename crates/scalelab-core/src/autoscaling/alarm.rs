//! CloudWatch metrics as alarms read them (one metric with a statistic, or a metric math
//! expression over several), and alarm evaluation (M out of N datapoints, TreatMissingData,
//! OK / ALARM / INSUFFICIENT_DATA, EvaluateLowSampleCountPercentile).

use std::collections::BTreeMap;

use serde::Serialize;

use super::aws::{ComparisonOperator, Statistic, TreatMissingData};
use super::math::{Env, Expr, Series, Val};
use super::stat::Stat;
use crate::metrics::Metric;
use crate::scaling::View;
use crate::time::{SimTime, US_PER_SEC};

/// One metric of one variant, with the statistic an alarm applies.
#[derive(Clone, Copy, PartialEq, Debug)]
pub struct MetricRef {
    pub metric: Metric,
    pub variant: usize,
    pub statistic: Stat,
}

impl MetricRef {
    /// The datapoint for the period `[start, start + period)`: the statistic over the samples
    /// the view has published for it (a percentile or trimmed mean over the period's values).
    pub fn datapoint(&self, view: &View<'_>, start: SimTime, period: SimTime) -> Option<f64> {
        let (m, v) = (self.metric, self.variant);
        match self.statistic {
            Stat::Basic(s) => statistic(s, view.samples(m, v, start, period)),
            Stat::Percentile(p) => view.quantile(m, v, start, period, p / 100.0),
            Stat::TrimmedMean { lo, hi } => view.trimmed_mean(m, v, start, period, lo / 100.0, hi / 100.0),
        }
    }
}

/// Periods before the evaluated ones that a metric math expression also sees: RATE, DIFF and
/// FILL(…, REPEAT) need earlier datapoints, as CloudWatch fetches more than EvaluationPeriods.
pub const MATH_LOOKBACK_PERIODS: u32 = 5;

/// A metric math expression as an alarm reads it: the metric queries, the expressions in an
/// order where each comes after the ids it uses, and the id whose series is the alarm's metric.
#[derive(Clone, PartialEq, Debug)]
pub struct MathMetric {
    pub metrics: Vec<(String, MetricRef)>,
    pub expressions: Vec<(String, Expr)>,
    pub output: String,
    /// The returned query's label, or its expression.
    pub label: String,
}

impl MathMetric {
    /// The returned series over `len` periods ending at `last_end`, oldest first.
    fn series(&self, view: &View<'_>, last_end: SimTime, len: u32, period: SimTime) -> Series {
        let starts: Vec<Option<SimTime>> =
            (0..len).rev().map(|back| last_end.checked_sub(u64::from(back + 1) * period)).collect();
        let mut values = BTreeMap::new();
        let mut metrics = Vec::new();
        for (id, m) in &self.metrics {
            let s: Series = starts.iter().map(|st| st.and_then(|st| m.datapoint(view, st, period))).collect();
            metrics.push((id.clone(), s.clone()));
            values.insert(id.clone(), Val::Series(s));
        }
        let period_secs = period as f64 / US_PER_SEC as f64;
        for (id, e) in &self.expressions {
            let v = e.eval(&Env { len: len as usize, period_secs, values: &values, metrics: &metrics });
            values.insert(id.clone(), v);
        }
        match values.remove(&self.output) {
            Some(Val::Series(s)) => s,
            Some(Val::Scalar(x)) => vec![x; len as usize],
            _ => vec![None; len as usize],
        }
    }
}

/// What an alarm watches.
#[derive(Clone, PartialEq, Debug)]
pub enum Source {
    Metric(MetricRef),
    Math(Box<MathMetric>),
}

impl Source {
    /// The variant the metric describes (a metric math expression: its first metric's).
    pub fn variant(&self) -> usize {
        match self {
            Source::Metric(m) => m.variant,
            Source::Math(m) => m.metrics.first().map_or(0, |(_, r)| r.variant),
        }
    }

    /// The metric's CloudWatch name, or the expression's label.
    pub fn name(&self) -> String {
        match self {
            Source::Metric(m) => m.metric.name().to_string(),
            Source::Math(m) => m.label.clone(),
        }
    }

    /// The statistic over each period, as CloudWatch writes it (`Average`, `p99`), or
    /// `Expression`.
    pub fn statistic(&self) -> String {
        match self {
            Source::Metric(m) => m.statistic.to_string(),
            Source::Math(_) => "Expression".to_string(),
        }
    }

    /// Whether the metric is published every 10 s.
    pub fn high_resolution(&self) -> bool {
        matches!(self, Source::Metric(m) if m.metric.high_resolution())
    }

    /// Whether it reads a percentile or trimmed mean (so the run keeps latency distributions).
    pub fn needs_distribution(&self) -> bool {
        match self {
            Source::Metric(m) => m.statistic.needs_distribution(),
            Source::Math(m) => m.metrics.iter().any(|(_, r)| r.statistic.needs_distribution()),
        }
    }

    /// Whether it is more than one metric with a basic statistic (charts draw such a metric
    /// from what the alarm read, as the report's rows do not hold it).
    pub fn is_derived(&self) -> bool {
        matches!(self, Source::Math(_)) || self.needs_distribution()
    }

    /// The datapoints of the `n` periods ending at `last_end`, oldest first (`None` = missing).
    pub fn datapoints(&self, view: &View<'_>, last_end: SimTime, n: u32, period: SimTime) -> Vec<Option<f64>> {
        match self {
            Source::Metric(m) => (0..n)
                .rev()
                .map(|back| {
                    let end = last_end.checked_sub(u64::from(back) * period)?;
                    let start = end.checked_sub(period)?;
                    m.datapoint(view, start, period)
                })
                .collect(),
            Source::Math(m) => {
                let all = m.series(view, last_end, n + MATH_LOOKBACK_PERIODS, period);
                all.get(MATH_LOOKBACK_PERIODS as usize..).map(<[_]>::to_vec).unwrap_or_default()
            }
        }
    }
}

pub fn statistic(stat: Statistic, samples: impl Iterator<Item = f64>) -> Option<f64> {
    let (mut n, mut sum, mut min, mut max) = (0u64, 0.0, f64::INFINITY, f64::NEG_INFINITY);
    for x in samples {
        n += 1;
        sum += x;
        min = min.min(x);
        max = max.max(x);
    }
    if n == 0 {
        return None;
    }
    Some(match stat {
        Statistic::Average => sum / n as f64,
        Statistic::Sum => sum,
        Statistic::Minimum => min,
        Statistic::Maximum => max,
        Statistic::SampleCount => n as f64,
    })
}

#[derive(Clone, Copy, PartialEq, Eq, Debug, Serialize)]
#[serde(rename_all = "SCREAMING_SNAKE_CASE")]
pub enum AlarmState {
    Ok,
    Alarm,
    InsufficientData,
}

impl AlarmState {
    pub fn as_str(self) -> &'static str {
        match self {
            AlarmState::Ok => "OK",
            AlarmState::Alarm => "ALARM",
            AlarmState::InsufficientData => "INSUFFICIENT_DATA",
        }
    }
}

/// An alarm as the simulator evaluates it.
#[derive(Clone, PartialEq, Debug)]
pub struct AlarmDef {
    pub name: String,
    pub metric: Source,
    pub period_us: SimTime,
    pub evaluation_periods: u32,
    pub datapoints_to_alarm: u32,
    pub threshold: f64,
    pub comparison: ComparisonOperator,
    pub treat_missing: TreatMissingData,
    /// `EvaluateLowSampleCountPercentile: ignore`: a percentile alarm keeps its state when the
    /// newest period has too few values.
    pub ignore_low_sample_count: bool,
}

/// Below this many values in a period, a percentile `p` (0–100) is not statistically
/// significant (CloudWatch: 10/(1−p) for p ≥ 0.5, 10/p below); `None` for p0 and p100.
pub fn low_sample_count(p: f64) -> Option<f64> {
    let q = p / 100.0;
    if (0.5..1.0).contains(&q) {
        Some(10.0 / (1.0 - q))
    } else if q > 0.0 && q < 0.5 {
        Some(10.0 / q)
    } else {
        None
    }
}

/// The outcome of one evaluation.
#[derive(Clone, PartialEq, Debug)]
pub struct Evaluation {
    pub state: AlarmState,
    /// The last N datapoints, oldest first (`None` = missing).
    pub datapoints: Vec<Option<f64>>,
    pub breaching: u32,
}

impl AlarmDef {
    /// Whether a new datapoint is published at `now` (so the alarm evaluates).
    pub fn due(&self, now: SimTime, delay: SimTime) -> bool {
        now >= delay + self.period_us && (now - delay).is_multiple_of(self.period_us)
    }

    /// Evaluates with the datapoints published by `now`; `current` is kept under `ignore`.
    pub fn evaluate(&self, view: &View<'_>, delay: SimTime, current: AlarmState) -> Evaluation {
        let now = view.now;
        let p = self.period_us;
        let last_end = now.saturating_sub(delay) / p * p;
        let n = self.evaluation_periods;
        let datapoints = self.metric.datapoints(view, last_end, n, p);
        let breaching =
            datapoints.iter().flatten().filter(|v| self.comparison.breaches(**v, self.threshold)).count() as u32;
        let missing = datapoints.iter().filter(|d| d.is_none()).count() as u32;
        let present = n - missing;
        let m = self.datapoints_to_alarm;
        let state = match self.treat_missing {
            TreatMissingData::Breaching if breaching + missing >= m => AlarmState::Alarm,
            TreatMissingData::Breaching | TreatMissingData::NotBreaching => {
                if breaching >= m {
                    AlarmState::Alarm
                } else {
                    AlarmState::Ok
                }
            }
            TreatMissingData::Ignore if present == 0 => current,
            TreatMissingData::Missing if present == 0 => AlarmState::InsufficientData,
            _ if breaching >= m => AlarmState::Alarm,
            _ => AlarmState::Ok,
        };
        let state = if self.too_few_values(view, last_end) { current } else { state };
        Evaluation { state, datapoints, breaching }
    }

    /// Under `ignore_low_sample_count`, whether the newest period of a percentile alarm has
    /// fewer values than make the percentile significant.
    fn too_few_values(&self, view: &View<'_>, last_end: SimTime) -> bool {
        let Source::Metric(MetricRef { metric, variant, statistic: Stat::Percentile(p) }) = self.metric else {
            return false;
        };
        let (Some(need), Some(start)) = (low_sample_count(p), last_end.checked_sub(self.period_us)) else {
            return false;
        };
        self.ignore_low_sample_count && (view.value_count(metric, variant, start, self.period_us) as f64) < need
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::metrics::Row;
    use crate::time::US_PER_SEC;

    /// What an alarm sees at `now` of 60 s `rows`, published after `delay`.
    fn evaluate(a: &AlarmDef, rows: &[Row], now: SimTime, delay: SimTime, current: AlarmState) -> Evaluation {
        a.evaluate(&View::new(now, &[], rows, delay, Vec::new()), delay, current)
    }

    fn row(t: f64, ipi: f64, in_service: u32) -> Row {
        Row {
            invocations: ipi as u64,
            invocations_per_instance: ipi,
            desired_instances: in_service,
            in_service_instances: in_service,
            billed_instances: in_service,
            ..Row::empty(t, 60.0, 0)
        }
    }

    fn alarm(m: u32, n: u32, treat: TreatMissingData) -> AlarmDef {
        AlarmDef {
            name: "high".into(),
            metric: Source::Metric(MetricRef {
                metric: Metric::InvocationsPerInstance,
                variant: 0,
                statistic: Stat::Basic(Statistic::Average),
            }),
            period_us: 60 * US_PER_SEC,
            evaluation_periods: n,
            datapoints_to_alarm: m,
            threshold: 25_000.0,
            comparison: ComparisonOperator::GreaterThanThreshold,
            treat_missing: treat,
            ignore_low_sample_count: false,
        }
    }

    const MIN: SimTime = 60 * US_PER_SEC;

    #[test]
    fn three_of_three_and_the_publish_delay() {
        let rows: Vec<Row> =
            (0..6).map(|k| row(60.0 * k as f64, if k >= 2 { 30_000.0 } else { 20_000.0 }, 1)).collect();
        let a = alarm(3, 3, TreatMissingData::Missing);
        // Periods 2, 3, 4 breach; period 4 ends at 5 min and is published at 6 min.
        let at = |min: u64| evaluate(&a, &rows, min * MIN, MIN, AlarmState::InsufficientData);
        assert_eq!(at(5).state, AlarmState::Ok);
        assert_eq!(at(5).breaching, 2);
        assert_eq!(at(6).state, AlarmState::Alarm);
        assert_eq!(at(6).datapoints, vec![Some(30_000.0); 3]);
        assert!(a.due(6 * MIN, MIN) && !a.due(6 * MIN + 10 * US_PER_SEC, MIN));
    }

    #[test]
    fn missing_data_treatments() {
        // Only one datapoint exists (the instance went away afterwards).
        let rows = vec![row(0.0, 30_000.0, 1), row(60.0, 0.0, 0), row(120.0, 0.0, 0)];
        let eval = |m, n, t, cur| evaluate(&alarm(m, n, t), &rows, 3 * MIN, 0, cur).state;
        assert_eq!(eval(2, 3, TreatMissingData::Missing, AlarmState::Ok), AlarmState::Ok);
        assert_eq!(eval(2, 3, TreatMissingData::Breaching, AlarmState::Ok), AlarmState::Alarm);
        assert_eq!(eval(2, 3, TreatMissingData::NotBreaching, AlarmState::Ok), AlarmState::Ok);
        assert_eq!(eval(1, 1, TreatMissingData::Missing, AlarmState::Ok), AlarmState::InsufficientData);
        assert_eq!(eval(1, 1, TreatMissingData::Ignore, AlarmState::Alarm), AlarmState::Alarm);
    }

    #[test]
    fn statistics() {
        let xs = [1.0, 5.0, 3.0];
        assert_eq!(statistic(Statistic::Average, xs.into_iter()), Some(3.0));
        assert_eq!(statistic(Statistic::Sum, xs.into_iter()), Some(9.0));
        assert_eq!(statistic(Statistic::Minimum, xs.into_iter()), Some(1.0));
        assert_eq!(statistic(Statistic::Maximum, xs.into_iter()), Some(5.0));
        assert_eq!(statistic(Statistic::SampleCount, xs.into_iter()), Some(3.0));
        assert_eq!(statistic(Statistic::Sum, std::iter::empty()), None);
    }
}
