//! CloudWatch metrics as alarms read them, and alarm evaluation (M out of N datapoints,
//! TreatMissingData, OK / ALARM / INSUFFICIENT_DATA).

use serde::Serialize;

use super::aws::{ComparisonOperator, Statistic, TreatMissingData};
use crate::metrics::Metric;
use crate::scaling::View;
use crate::time::SimTime;

/// One metric of one variant, with the statistic an alarm applies.
#[derive(Clone, Copy, PartialEq, Debug)]
pub struct MetricRef {
    pub metric: Metric,
    pub variant: usize,
    pub statistic: Statistic,
}

impl MetricRef {
    /// The datapoint for the period `[start, start + period)`: the statistic over the samples
    /// the view has published for it.
    pub fn datapoint(&self, view: &View<'_>, start: SimTime, period: SimTime) -> Option<f64> {
        statistic(self.statistic, view.samples(self.metric, self.variant, start, period))
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
    pub metric: MetricRef,
    pub period_us: SimTime,
    pub evaluation_periods: u32,
    pub datapoints_to_alarm: u32,
    pub threshold: f64,
    pub comparison: ComparisonOperator,
    pub treat_missing: TreatMissingData,
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
        let datapoints: Vec<Option<f64>> = (0..n)
            .rev()
            .map(|back| {
                let end = last_end.checked_sub(u64::from(back) * p)?;
                let start = end.checked_sub(p)?;
                self.metric.datapoint(view, start, p)
            })
            .collect();
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
        Evaluation { state, datapoints, breaching }
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
            metric: MetricRef { metric: Metric::InvocationsPerInstance, variant: 0, statistic: Statistic::Average },
            period_us: 60 * US_PER_SEC,
            evaluation_periods: n,
            datapoints_to_alarm: m,
            threshold: 25_000.0,
            comparison: ComparisonOperator::GreaterThanThreshold,
            treat_missing: treat,
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
