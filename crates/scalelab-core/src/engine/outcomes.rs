//! What happened to the endpoint's requests as a whole: latency distributions of the succeeded
//! ones, how many met the objective, and when the first one failed. Per-variant counts stay with
//! the variants; this is the summary's side.

use crate::hist::Histogram;
use crate::report::Latency;
use crate::time::{SimTime, US_PER_SEC};

#[derive(Debug)]
pub(crate) struct Outcomes {
    slo_us: Option<SimTime>,
    /// End to end: from the client's first attempt to the answer, overhead included.
    latency: Histogram,
    model_latency: Histogram,
    queue_wait: Histogram,
    within_slo: u64,
    first_error: Option<SimTime>,
}

/// The summary's figures from `Outcomes`.
pub(crate) struct OutcomeFigures {
    pub latency_ms: Latency,
    pub model_latency_ms: Latency,
    pub queue_wait_ms: Latency,
    pub slo_latency_ms: Option<f64>,
    pub slo_attainment: Option<f64>,
    pub first_error_secs: Option<f64>,
}

impl Outcomes {
    pub(crate) fn new(slo_us: Option<SimTime>) -> Outcomes {
        Outcomes {
            slo_us,
            latency: Histogram::default(),
            model_latency: Histogram::default(),
            queue_wait: Histogram::default(),
            within_slo: 0,
            first_error: None,
        }
    }

    /// A request succeeded: `total_us` end to end, `model_us` in the container, of which it
    /// waited `wait_us` before service began.
    pub(crate) fn success(&mut self, total_us: SimTime, model_us: SimTime, wait_us: SimTime) {
        self.model_latency.record(model_us);
        self.queue_wait.record(wait_us);
        self.latency.record(total_us);
        if self.slo_us.is_some_and(|slo| total_us <= slo) {
            self.within_slo += 1;
        }
    }

    /// A request failed at `now` (only the first failure's time is kept).
    pub(crate) fn error_at(&mut self, now: SimTime) {
        if self.first_error.is_none() {
            self.first_error = Some(now);
        }
    }

    /// The figures, with the objective's attainment over `requests` (every request, failed and
    /// in flight included).
    pub(crate) fn figures(&self, requests: u64) -> OutcomeFigures {
        OutcomeFigures {
            latency_ms: Latency::from_histogram(&self.latency),
            model_latency_ms: Latency::from_histogram(&self.model_latency),
            queue_wait_ms: Latency::from_histogram(&self.queue_wait),
            slo_latency_ms: self.slo_us.map(|s| s as f64 / 1000.0),
            slo_attainment: self.slo_us.and_then(|_| (requests > 0).then(|| self.within_slo as f64 / requests as f64)),
            first_error_secs: self.first_error.map(|t| t as f64 / US_PER_SEC as f64),
        }
    }
}

/// Latency of the requests that succeeded since the window opened, and the counts it started
/// from (kept only when a caller asks for windows: a load test).
#[derive(Debug, Default)]
pub(crate) struct WindowStats {
    pub(crate) start: SimTime,
    pub(crate) requests: u64,
    pub(crate) succeeded: u64,
    pub(crate) errors: u64,
    pub(crate) model_latency: Histogram,
    pub(crate) latency: Histogram,
}

impl WindowStats {
    pub(crate) fn success(&mut self, total_us: SimTime, model_us: SimTime) {
        self.model_latency.record(model_us);
        self.latency.record(total_us);
    }

    /// Closes the window at `now` with the run's totals, and opens the next one.
    pub(crate) fn take(&mut self, now: SimTime, requests: u64, succeeded: u64, errors: u64) -> crate::report::Window {
        let secs = |t: SimTime| t as f64 / US_PER_SEC as f64;
        let p95 = |h: &Histogram| h.quantile_us(0.95).map(|us| us / 1000.0);
        let w = crate::report::Window {
            start_secs: secs(self.start),
            end_secs: secs(now),
            requests: requests.saturating_sub(self.requests),
            succeeded: succeeded.saturating_sub(self.succeeded),
            errors: errors.saturating_sub(self.errors),
            model_latency_ms: Latency::from_histogram(&self.model_latency),
            model_latency_p95_ms: p95(&self.model_latency),
            latency_ms: Latency::from_histogram(&self.latency),
            latency_p95_ms: p95(&self.latency),
        };
        self.model_latency.clear();
        self.latency.clear();
        (self.start, self.requests, self.succeeded, self.errors) = (now, requests, succeeded, errors);
        w
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn attainment_counts_every_request_and_the_first_error_stays() {
        let mut o = Outcomes::new(Some(100_000));
        o.success(50_000, 40_000, 10_000);
        o.success(150_000, 140_000, 0);
        o.error_at(7 * US_PER_SEC);
        o.error_at(9 * US_PER_SEC);
        let f = o.figures(4);
        assert_eq!(f.slo_attainment, Some(0.25), "one of four requests met 100 ms");
        assert_eq!(f.first_error_secs, Some(7.0));
        assert_eq!(f.slo_latency_ms, Some(100.0));
        let p99 = f.latency_ms.max.unwrap();
        assert!((p99 - 150.0).abs() / 150.0 < 0.01, "{p99}");
        assert!(f.queue_wait_ms.mean.unwrap() > 0.0);
    }

    #[test]
    fn without_an_objective_there_is_no_attainment() {
        let mut o = Outcomes::new(None);
        o.success(1, 1, 0);
        let f = o.figures(1);
        assert_eq!((f.slo_attainment, f.slo_latency_ms, f.first_error_secs), (None, None, None));
        assert_eq!(Outcomes::new(Some(1)).figures(0).slo_attainment, None, "no requests, no ratio");
    }
}
