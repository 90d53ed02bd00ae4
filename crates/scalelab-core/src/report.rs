//! The result of a run: summary, per-variant figures, metric series, activities and warnings.
//! Every field is derived deterministically from (scenario, seed), so the serialized report is
//! byte-identical on every target; `Report::hash` fingerprints it.

use std::fmt;

use serde::Serialize;

use crate::hist::Histogram;
use crate::metrics::Row;
use crate::scaling::Cause;
use crate::time::{Duration, SimTime, US_PER_SEC};

#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct Report {
    pub scenario: String,
    pub seed: u64,
    /// ISO-8601 wall-clock time of the start of the run.
    pub start: String,
    pub duration_secs: f64,
    pub summary: Summary,
    pub variants: Vec<VariantSummary>,
    /// 60-second rows, one per variant per period.
    pub series: Vec<Row>,
    /// 10-second (high-resolution) rows.
    pub series_10s: Vec<Row>,
    /// Scaling activities (capacity and weight changes, and decisions not to scale), in time order.
    pub activities: Vec<Activity>,
    /// State changes of every alarm, in time order.
    pub alarm_history: Vec<crate::scaling::StateChange>,
    /// The thresholds the scalers compare metrics with, for charts.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub guides: Vec<crate::scaling::Guide>,
    /// Metrics the scalers computed themselves (metric math, percentiles), as they read them.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub scaler_metrics: Vec<crate::scaling::ScalerMetric>,
    /// Every instance the run launched.
    pub instances: Vec<InstanceRecord>,
    pub warnings: Vec<String>,
    /// Events the engine processed (a measure of work done).
    pub events_processed: u64,
}

#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct Summary {
    pub requests: u64,
    pub succeeded: u64,
    pub errors: Errors,
    /// Requests still queued or in service when the run ended.
    pub in_flight: u64,
    /// End-to-end latency of succeeded requests (model plus overhead).
    pub latency_ms: Latency,
    pub model_latency_ms: Latency,
    /// Time succeeded requests waited in the container before service began.
    pub queue_wait_ms: Latency,
    pub max_in_service_instances: u32,
    pub instance_hours: f64,
    pub cost_usd: f64,
    pub cost_per_hour_usd: f64,
    /// `None` when nothing succeeded.
    pub cost_per_million_usd: Option<f64>,
    pub slo_latency_ms: Option<f64>,
    /// Fraction of all requests that succeeded within the SLO.
    pub slo_attainment: Option<f64>,
    /// Seconds from the start to the first failed request.
    pub first_error_secs: Option<f64>,
    /// The client's retries or queue, when the scenario has a `client` section.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub client: Option<ClientSummary>,
}

/// What the client's retries or queue did. CloudWatch's counts (the series) include every
/// attempt; the summary's requests and errors count each request once, by its final outcome.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct ClientSummary {
    /// "retry" or "queue".
    pub mode: String,
    /// Attempts that reached the endpoint (first attempts included).
    pub attempts: u64,
    pub retries: u64,
    /// Requests that needed at least one retry.
    pub retried_requests: u64,
    /// Requests that failed although retried (attempts used up, dead-letter queue, retention).
    pub gave_up_after_retry: u64,
    /// Requests still waiting for their next attempt when the run ended (counted in flight).
    pub waiting_at_end: u64,
}

#[derive(Clone, Debug, Default, PartialEq, Serialize)]
pub struct Errors {
    /// `ModelError`: no answer within the invocation timeout.
    pub model_error: u64,
    /// `ServiceUnavailable` (503): the instance's queue was full.
    pub service_unavailable: u64,
    /// `ValidationError`: no instance in service to take the request.
    pub no_capacity: u64,
    /// `ThrottlingException`: a serverless endpoint already ran `MaxConcurrency` requests.
    #[serde(skip_serializing_if = "is_zero")]
    pub throttled: u64,
    pub total: u64,
}

fn is_zero(n: &u64) -> bool {
    *n == 0
}

#[derive(Clone, Debug, Default, PartialEq, Serialize)]
pub struct Latency {
    pub mean: Option<f64>,
    pub p50: Option<f64>,
    pub p90: Option<f64>,
    pub p99: Option<f64>,
    pub max: Option<f64>,
}

impl Latency {
    pub(crate) fn from_histogram(h: &Histogram) -> Latency {
        let ms = |us: f64| us / 1000.0;
        Latency {
            mean: h.mean_us().map(ms),
            p50: h.quantile_us(0.5).map(ms),
            p90: h.quantile_us(0.9).map(ms),
            p99: h.quantile_us(0.99).map(ms),
            max: (h.count() > 0).then(|| ms(h.max_us() as f64)),
        }
    }
}

/// What happened between two moments of a run (a load test's step): requests sent and ended,
/// and the latency of those that succeeded.
#[derive(Clone, Debug, PartialEq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct Window {
    pub start_secs: f64,
    pub end_secs: f64,
    /// Requests that reached the endpoint in the window.
    pub requests: u64,
    pub succeeded: u64,
    pub errors: u64,
    /// `ModelLatency` of the succeeded requests.
    pub model_latency_ms: Latency,
    pub model_latency_p95_ms: Option<f64>,
    /// End to end (model and overhead).
    pub latency_ms: Latency,
    pub latency_p95_ms: Option<f64>,
}

impl Window {
    /// Failed requests among those that ended in the window (0 when none ended).
    pub fn error_ratio(&self) -> f64 {
        let ended = self.succeeded + self.errors;
        if ended == 0 { 0.0 } else { self.errors as f64 / ended as f64 }
    }
}

#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct VariantSummary {
    pub name: String,
    pub instance_type: String,
    pub price_usd_per_hour: f64,
    /// Mean service capacity of one instance, requests per second.
    pub instance_capacity_rps: f64,
    pub requests: u64,
    pub succeeded: u64,
    pub errors: Errors,
    pub max_in_service_instances: u32,
    pub instance_hours: f64,
    pub cost_usd: f64,
}

#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct Activity {
    pub at_secs: f64,
    pub variant: String,
    pub desired_before: u32,
    pub desired_after: u32,
    pub weight_before: f64,
    pub weight_after: f64,
    /// `Successful`, or `NotScaled` when the decision changed nothing.
    pub status: String,
    pub cause: String,
    /// One plain sentence.
    pub description: String,
    /// What the scaler evaluated (alarm, datapoints, threshold, arithmetic, limits), when it
    /// evaluated a metric.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub evidence: Option<crate::scaling::Evidence>,
}

/// What a capacity change applied to: when, and whose count.
#[derive(Clone, Debug, PartialEq)]
pub struct Change {
    pub at_us: SimTime,
    /// The run's start, for the wall-clock time in the sentence.
    pub start_unix_secs: i64,
    pub variant: String,
    pub counted: Counted,
}

/// What a variant's desired count counts.
#[derive(Clone, Debug, PartialEq)]
pub enum Counted {
    /// Instances of the variant (named).
    Instances(String),
    /// The provisioned concurrency of a serverless variant (named).
    ProvisionedConcurrency(String),
    /// Copies of an inference component (named).
    Copies(String),
}

impl fmt::Display for Counted {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Counted::Instances(v) => write!(f, "instances of {v}"),
            Counted::Copies(ic) => write!(f, "copies of inference component {ic}"),
            Counted::ProvisionedConcurrency(v) => write!(f, "provisioned concurrency of {v}"),
        }
    }
}

impl Activity {
    /// The activity of a command applied: its status, cause and sentence are rendered here from
    /// the change and the scaler's structured cause.
    pub fn new(change: Change, desired: (u32, u32), weight: (f64, f64), cause: Cause) -> Activity {
        let Change { at_us, start_unix_secs, variant, counted } = change;
        let ((before, after), (weight_before, weight_after)) = (desired, weight);
        let mut parts = Vec::new();
        if after != before {
            parts.push(format!("desired {counted} {before} → {after}"));
        }
        if weight_after != weight_before {
            parts.push(format!("weight of {variant} {weight_before} → {weight_after}"));
        }
        let status = if parts.is_empty() { "NotScaled" } else { "Successful" };
        if parts.is_empty() {
            let verb = if matches!(counted, Counted::ProvisionedConcurrency(_)) { "stays" } else { "stay" };
            parts.push(format!("{counted} {verb} at {after}"));
        }
        let unix = start_unix_secs + (at_us / US_PER_SEC) as i64;
        let wall =
            jiff::Timestamp::from_second(unix).map(|t| t.strftime("%a %H:%M UTC").to_string()).unwrap_or_default();
        let why = cause.to_string();
        Activity {
            at_secs: at_us as f64 / US_PER_SEC as f64,
            variant,
            desired_before: before,
            desired_after: after,
            weight_before,
            weight_after,
            status: status.into(),
            description: format!("At {} ({wall}): {} ({why}).", Duration(at_us), parts.join(", ")),
            cause: why,
            evidence: cause.evidence().cloned(),
        }
    }
}

#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct InstanceRecord {
    pub variant: u16,
    pub launched_secs: f64,
    /// When it started serving; `None` if it never did.
    pub in_service_secs: Option<f64>,
    /// When it stopped being billed; `None` if it was still running at the end.
    pub terminated_secs: Option<f64>,
}

impl Report {
    pub fn to_json(&self) -> Result<String, serde_json::Error> {
        serde_json::to_string(self)
    }

    /// FNV-1a over the serialized report (streamed, never held whole): equal hashes mean
    /// byte-identical reports.
    pub fn hash(&self) -> Result<u64, serde_json::Error> {
        json_hash(self)
    }
}

/// FNV-1a over a value's JSON (streamed): equal hashes mean byte-identical JSON.
pub fn json_hash<T: Serialize + ?Sized>(value: &T) -> Result<u64, serde_json::Error> {
    let mut h = Fnv1a(FNV_OFFSET);
    serde_json::to_writer(&mut h, value)?;
    Ok(h.0)
}

const FNV_OFFSET: u64 = 0xcbf2_9ce4_8422_2325;

struct Fnv1a(u64);

impl Fnv1a {
    fn update(&mut self, bytes: &[u8]) {
        for b in bytes {
            self.0 ^= u64::from(*b);
            self.0 = self.0.wrapping_mul(0x0100_0000_01b3);
        }
    }
}

impl std::io::Write for Fnv1a {
    fn write(&mut self, bytes: &[u8]) -> std::io::Result<usize> {
        self.update(bytes);
        Ok(bytes.len())
    }
    fn flush(&mut self) -> std::io::Result<()> {
        Ok(())
    }
}

pub fn fnv1a(bytes: &[u8]) -> u64 {
    let mut h = Fnv1a(FNV_OFFSET);
    h.update(bytes);
    h.0
}

#[cfg(test)]
mod tests {
    #[test]
    fn the_streamed_hash_is_fnv1a_of_the_json() {
        let report = crate::simulate(&crate::examples::get("seed-004-g4dn-pair").unwrap(), Some(3)).unwrap();
        assert_eq!(report.hash().unwrap(), super::fnv1a(report.to_json().unwrap().as_bytes()));
    }
}
