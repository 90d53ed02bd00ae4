//! The seam between serving and scaling. A `Scaler` looks at published metrics when it asks to be
//! woken and returns capacity commands; the engine applies them as timed events. The scenario's
//! manual `capacityChanges` are the first scaler; Application Auto Scaling policies plug in here
//! as further implementations.

use std::fmt;

use crate::metrics::Row;
use crate::plan::PlannedChange;
use crate::time::SimTime;

/// What a scaler may see: rows that CloudWatch would have published by `now` (period end plus
/// publish delay), and each variant's current capacity.
#[derive(Debug)]
pub struct View<'a> {
    pub now: SimTime,
    pub rows_10s: &'a [Row],
    pub rows_60s: &'a [Row],
    pub publish_delay_us: SimTime,
    pub variants: Vec<VariantView>,
}

impl View<'_> {
    /// The 10-second rows CloudWatch has published by `now`: those whose period ended at least
    /// the publish delay ago.
    pub fn published_10s(&self) -> &[Row] {
        published(self.rows_10s, self.now, self.publish_delay_us)
    }

    /// The 60-second rows CloudWatch has published by `now`.
    pub fn published_60s(&self) -> &[Row] {
        published(self.rows_60s, self.now, self.publish_delay_us)
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
}

pub trait Scaler: fmt::Debug {
    /// When this scaler next wants to act, if ever.
    fn next_wake(&self) -> Option<SimTime>;
    /// Acts at `now` (a time `next_wake` asked for).
    fn wake(&mut self, now: SimTime, view: &View<'_>) -> Vec<Command>;
    /// State changes of the alarms this scaler evaluates, in time order.
    fn alarm_history(&self) -> Vec<crate::autoscaling::AlarmTransition> {
        Vec::new()
    }
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
        let view = |now_secs: u64| View {
            now: now_secs * US_PER_SEC,
            rows_10s: &report.series_10s,
            rows_60s: &report.series,
            publish_delay_us: 60 * US_PER_SEC,
            variants: Vec::new(),
        };
        // At 3 min with a 60 s delay, periods ending by 2 min are visible.
        assert_eq!(view(180).published_60s().len(), 2);
        assert_eq!(view(180).published_10s().len(), 12);
        assert_eq!(view(179).published_60s().len(), 1);
        assert!(view(30).published_60s().is_empty());
    }
}
