//! The seam between serving and scaling. A `Scaler` looks at published metrics when it asks to be
//! woken and returns capacity commands; the engine applies them as timed events. The scenario's
//! manual `capacityChanges` are the first scaler; Application Auto Scaling policies plug in here
//! as further implementations.

use std::fmt;

use serde::Serialize;

use crate::metrics::Row;
use crate::time::SimTime;

/// What a scaler may see: rows that CloudWatch has published by `now` (period end plus publish
/// delay), and each variant's current capacity. The rows themselves are private: the published
/// accessors are the only way to them, so no scaler can read a datapoint before it exists.
#[derive(Debug)]
pub struct View<'a> {
    pub now: SimTime,
    rows_10s: &'a [Row],
    rows_60s: &'a [Row],
    /// CloudWatch's publish delay: a period's datapoint is visible this long after it ends.
    cloudwatch_delay_us: SimTime,
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
        View { now, rows_10s, rows_60s, cloudwatch_delay_us, variants }
    }

    /// The 10-second rows CloudWatch has published by `now`: those whose period ended at least
    /// the publish delay ago.
    pub fn published_10s(&self) -> &'a [Row] {
        published(self.rows_10s, self.now, self.cloudwatch_delay_us)
    }

    /// The 60-second rows CloudWatch has published by `now`.
    pub fn published_60s(&self) -> &'a [Row] {
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
    /// Why, in words, for the activity log.
    pub cause: String,
    /// The facts behind the decision, when the scaler evaluated a metric.
    pub evidence: Option<Evidence>,
}

/// What a scaler evaluated to reach a decision, for "why did it scale?": the alarm and the
/// datapoints it read, the threshold, the policy and its arithmetic, and the limits applied.
#[derive(Clone, Debug, PartialEq, Serialize)]
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
    /// The policy's arithmetic: "ceil(1 × 31000 / 25000)", or the step chosen and its bounds.
    pub formula: String,
    /// What the policy asked for, and what the target got after MinCapacity/MaxCapacity.
    pub wanted: i64,
    pub desired: Option<u32>,
    /// "MaxCapacity" or "MinCapacity" when the count was clamped to it.
    pub limited_by: Option<String>,
    /// The cooldown this decision starts or continues, in words.
    pub cooldown: String,
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
            out.push(Command {
                variant: c.variant,
                desired: c.desired,
                weight: c.weight,
                cause: "an on-demand UpdateEndpointWeightsAndCapacities call in the scenario".into(),
                evidence: None,
            });
            self.next += 1;
        }
        out
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::time::US_PER_SEC;

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
    }
}
