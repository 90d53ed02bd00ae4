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
