//! Simulated load tests of one endpoint configuration (instance type × count × serving
//! profile), as seed 004 runs them with Locust and SageMaker Inference Recommender runs them as a
//! job: traffic that rises in steps until a stopping condition, a table of the steps, and the
//! configuration's maximum with Inference Recommender's metric names.
//!
//! A load test is one run of the exact engine. Each step is measured over its window after a
//! warm-up (a quarter of the step, at most 30 s), from the requests that succeeded or failed in
//! it. The maximum is the busiest step that meets the objective: fewer than 1 % failed requests
//! (seed 004's rule) and, if a latency threshold is given, the `ModelLatency` percentile at or
//! under it (Inference Recommender's `ModelLatencyThresholds`).

use serde::{Deserialize, Serialize};

use crate::catalog;
use crate::engine::Simulation;
use crate::problem::{Path, Problem, Problems};
use crate::profile::{self, ServingProfile};
use crate::report::Window;
use crate::scenario::Scenario;
use crate::time::{Duration, US_PER_SEC};
use crate::traffic::{Phase, UserStage, Users};

/// The failed-request share at which a step no longer counts (seed 004: "at least one percent").
pub const MAX_ERROR_RATIO: f64 = 0.01;

/// A model: a built-in one (its profile for the instance type) or an inline profile.
#[derive(Clone, PartialEq, Debug, Serialize, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct ModelRef {
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub model: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub profile: Option<ServingProfile>,
}

impl ModelRef {
    pub fn builtin(name: &str) -> ModelRef {
        ModelRef { model: Some(name.to_string()), profile: None }
    }

    /// The profile for `instance_type`, or why there is none.
    pub fn profile_for(&self, instance_type: &str) -> Result<ServingProfile, String> {
        match (&self.model, &self.profile) {
            (_, Some(p)) => Ok(p.clone()),
            (Some(name), None) => {
                let m = profile::builtin_model(name).ok_or_else(|| {
                    let names: Vec<&str> = profile::builtin_models().iter().map(|m| m.name).collect();
                    format!("unknown model \"{name}\"; built-in models: {}", names.join(", "))
                })?;
                m.profile_for(instance_type).cloned().ok_or_else(|| {
                    let types: Vec<&str> = m.instance_types().collect();
                    format!("{name} has no profile for {instance_type}; it has: {}", types.join(", "))
                })
            }
            (None, None) => Err("give a built-in `model` or an inline `profile`".into()),
        }
    }

    /// The instance types the model can be tested on: a built-in model's profiled types, or
    /// every catalog type for an inline profile.
    pub fn instance_types(&self) -> Vec<String> {
        match (&self.model, &self.profile) {
            (Some(name), None) => profile::builtin_model(name)
                .map(|m| m.instance_types().map(str::to_string).collect())
                .unwrap_or_default(),
            _ => catalog::CATALOG.iter().filter(|t| !t.burstable).map(|t| t.name.to_string()).collect(),
        }
    }

    /// The variant fields of a scenario that serve this model.
    fn variant_fields(&self) -> serde_json::Value {
        match (&self.model, &self.profile) {
            (_, Some(p)) => serde_json::json!({ "profile": p }),
            (Some(m), None) => serde_json::json!({ "model": m }),
            (None, None) => serde_json::json!({}),
        }
    }
}

/// A latency percentile, as Inference Recommender's `ModelLatencyThresholds` names it.
#[derive(Clone, Copy, PartialEq, Eq, Debug, Serialize, Deserialize)]
pub enum Percentile {
    /// The average (CloudWatch's `Average` statistic), as seed 001 reads ModelLatency.
    #[serde(rename = "Average")]
    Avg,
    P50,
    P90,
    P95,
    P99,
}

impl Percentile {
    /// `ModelLatency` at this percentile in a window, milliseconds.
    pub fn of_window(self, w: &Window) -> Option<f64> {
        match self {
            Percentile::Avg => w.model_latency_ms.mean,
            Percentile::P50 => w.model_latency_ms.p50,
            Percentile::P90 => w.model_latency_ms.p90,
            Percentile::P95 => w.model_latency_p95_ms,
            Percentile::P99 => w.model_latency_ms.p99,
        }
    }

    pub fn name(self) -> &'static str {
        match self {
            Percentile::Avg => "avg",
            Percentile::P50 => "p50",
            Percentile::P90 => "p90",
            Percentile::P95 => "p95",
            Percentile::P99 => "p99",
        }
    }
}

/// A latency objective on `ModelLatency`: a percentile at or under a threshold.
#[derive(Clone, Copy, PartialEq, Debug, Serialize, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct LatencyObjective {
    pub percentile: Percentile,
    pub value_in_milliseconds: f64,
}

impl LatencyObjective {
    /// Parses `p99:200ms` (or `P95:1s`).
    pub fn parse(text: &str) -> Result<LatencyObjective, String> {
        let fix = "write it as avg, p50, p90, p95 or p99, a colon and a time, e.g. p99:200ms";
        let (p, v) = text.split_once(':').ok_or_else(|| format!("\"{text}\": {fix}"))?;
        let percentile = match p.trim().to_ascii_lowercase().as_str() {
            "avg" | "average" => Percentile::Avg,
            "p50" => Percentile::P50,
            "p90" => Percentile::P90,
            "p95" => Percentile::P95,
            "p99" => Percentile::P99,
            other => return Err(format!("\"{other}\" is not a percentile: {fix}")),
        };
        let d = Duration::parse(v.trim()).map_err(|e| format!("\"{}\": {e}: {fix}", v.trim()))?;
        if d == Duration::ZERO {
            return Err(format!("\"{text}\": the threshold must be above 0"));
        }
        Ok(LatencyObjective { percentile, value_in_milliseconds: d.as_millis_f64() })
    }

    /// Whether a measured latency (milliseconds) meets the objective; a missing one does not.
    pub fn holds(&self, latency_ms: Option<f64>) -> bool {
        latency_ms.is_some_and(|v| v <= self.value_in_milliseconds)
    }

    /// The step's latency at this percentile, milliseconds.
    pub fn of(&self, step: &StepResult) -> Option<f64> {
        match self.percentile {
            Percentile::Avg => step.model_latency_avg_ms,
            Percentile::P50 => step.model_latency_p50_ms,
            Percentile::P90 => step.model_latency_p90_ms,
            Percentile::P95 => step.model_latency_p95_ms,
            Percentile::P99 => step.model_latency_p99_ms,
        }
    }
}

impl std::fmt::Display for LatencyObjective {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(
            f,
            "{} ≤ {}",
            self.percentile.name(),
            crate::time::Duration::from_secs_f64(self.value_in_milliseconds / 1000.0)
        )
    }
}

/// `FlatInvocations`: stop once throughput has levelled off, or go on.
#[derive(Clone, Copy, PartialEq, Eq, Debug, Default, Serialize, Deserialize)]
pub enum FlatInvocations {
    #[default]
    Stop,
    Continue,
}

/// Inference Recommender's `RecommendationJobStoppingConditions`, plus seed 004's error rule.
#[derive(Clone, PartialEq, Debug, Default, Serialize, Deserialize)]
#[serde(rename_all = "PascalCase", deny_unknown_fields)]
pub struct Stopping {
    /// Requests per minute; the test stops once a step reaches it.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub max_invocations: Option<f64>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub model_latency_thresholds: Option<LatencyObjective>,
    #[serde(default)]
    pub flat_invocations: FlatInvocations,
}

/// Inference Recommender's `Phase`: users at its start, more users per minute, for its duration.
#[derive(Clone, PartialEq, Debug, Serialize, Deserialize)]
#[serde(rename_all = "PascalCase", deny_unknown_fields)]
pub struct IrPhase {
    pub initial_number_of_users: u32,
    /// New users per minute.
    pub spawn_rate: u32,
    pub duration_in_seconds: u32,
}

/// The traffic of a load test.
#[derive(Clone, PartialEq, Debug, Serialize, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub enum LoadTraffic {
    /// Open loop (requests arrive whatever the latency): the rate rises by `stepRps` every
    /// `stepDuration`, from `startRps` to `maxRps` (seed 004's "increase the RPS until it fails").
    #[serde(rename_all = "camelCase")]
    Stairs { start_rps: f64, step_rps: f64, step_duration: Duration, max_rps: f64 },
    /// Artillery phases (seed 001); a ramping phase is measured minute by minute.
    Phases(Vec<Phase>),
    /// Locust users in stages (closed loop: a user waits for its answer).
    Users(Users),
    /// Inference Recommender's `TrafficType: PHASES`.
    IrPhases(Vec<IrPhase>),
    /// Inference Recommender's `TrafficType: STAIRS`: `NumberOfSteps` steps of
    /// `DurationInSeconds / NumberOfSteps` (the user guide's reading), each adding `UsersPerStep`.
    #[serde(rename_all = "PascalCase")]
    IrStairs { duration_in_seconds: u32, number_of_steps: u32, users_per_step: u32 },
}

impl LoadTraffic {
    /// How long the traffic lasts, seconds (as f64: no overflow on hostile input).
    pub fn total_secs(&self) -> f64 {
        match self {
            LoadTraffic::Stairs { start_rps, step_rps, step_duration, max_rps } => {
                let n = stair_count(*start_rps, *step_rps, *max_rps);
                if n.is_finite() { n * step_duration.as_secs_f64() } else { step_duration.as_secs_f64() }
            }
            LoadTraffic::Phases(p) => p.iter().map(|p| p.duration.as_secs_f64()).sum(),
            LoadTraffic::Users(u) => u.stages.iter().map(|s| s.duration.as_secs_f64()).sum(),
            LoadTraffic::IrPhases(p) => p.iter().map(|p| f64::from(p.duration_in_seconds.max(1))).sum(),
            LoadTraffic::IrStairs { duration_in_seconds, .. } => f64::from(*duration_in_seconds),
        }
    }

    /// Stairs from 10 % to 150 % of `capacity_rps` in steps of 2.5 %, each long enough for about
    /// 3000 requests (1 to 10 minutes).
    pub fn stairs_for(capacity_rps: f64) -> LoadTraffic {
        let c = capacity_rps.max(0.01);
        let secs = (3000.0 / c).clamp(60.0, 600.0);
        LoadTraffic::Stairs {
            start_rps: round3(0.1 * c),
            step_rps: round3(0.025 * c),
            step_duration: Duration::from_secs(libm::ceil(secs) as u64),
            max_rps: round3(1.5 * c),
        }
    }
}

/// How many steps stairs have (1 to 200; NaN for nonsense rates, which `plan` refuses).
fn stair_count(start_rps: f64, step_rps: f64, max_rps: f64) -> f64 {
    (libm::floor((max_rps - start_rps) / step_rps) + 1.0).clamp(1.0, 200.0)
}

fn round3(v: f64) -> f64 {
    libm::round(v * 1000.0) / 1000.0
}

/// One load test.
#[derive(Clone, PartialEq, Debug, Serialize, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct LoadTest {
    #[serde(flatten)]
    pub model: ModelRef,
    pub instance_type: String,
    #[serde(default = "one")]
    pub count: u32,
    /// Stairs sized from the profile's capacity when absent.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub traffic: Option<LoadTraffic>,
    #[serde(default)]
    pub stopping: Stopping,
    #[serde(default = "default_seed")]
    pub seed: u64,
    /// A price override, USD per hour per instance.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub price_per_hour: Option<f64>,
}

fn one() -> u32 {
    1
}
fn default_seed() -> u64 {
    crate::plan::DEFAULT_SEED
}

/// One measured step.
#[derive(Clone, PartialEq, Debug, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct StepResult {
    pub label: String,
    pub start_secs: f64,
    pub end_secs: f64,
    /// Requests per second sent in the measured window.
    pub offered_rps: f64,
    /// The step's nominal rate (open-loop steps; the sent rate varies around it).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub nominal_rps: Option<f64>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub users: Option<u32>,
    /// Requests per second answered successfully.
    pub throughput_rps: f64,
    pub error_ratio: f64,
    pub model_latency_avg_ms: Option<f64>,
    pub model_latency_p50_ms: Option<f64>,
    pub model_latency_p90_ms: Option<f64>,
    pub model_latency_p95_ms: Option<f64>,
    pub model_latency_p99_ms: Option<f64>,
    pub latency_p99_ms: Option<f64>,
    pub cpu_utilization: Option<f64>,
    pub gpu_utilization: Option<f64>,
    pub memory_utilization: Option<f64>,
    /// Fewer than 1 % failed and the latency objective (if any) held.
    pub meets: bool,
}

/// Why a load test ended.
#[derive(Clone, Copy, PartialEq, Eq, Debug, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub enum StoppedBy {
    /// At least 1 % of a step's requests failed.
    Errors,
    /// `ModelLatencyThresholds` was exceeded.
    Latency,
    /// `MaxInvocations` was reached.
    MaxInvocations,
    /// Throughput stopped rising with the load (`FlatInvocations: Stop`).
    FlatInvocations,
    /// The traffic ended.
    EndOfTraffic,
}

impl StoppedBy {
    pub fn text(self) -> &'static str {
        match self {
            StoppedBy::Errors => "at least 1 % of a step's requests failed",
            StoppedBy::Latency => "the latency threshold was exceeded",
            StoppedBy::MaxInvocations => "MaxInvocations was reached",
            StoppedBy::FlatInvocations => "throughput levelled off (FlatInvocations)",
            StoppedBy::EndOfTraffic => "the traffic ended",
        }
    }
}

/// A load test's result, with Inference Recommender's names where they exist.
#[derive(Clone, PartialEq, Debug, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct LoadTestResult {
    pub instance_type: String,
    pub count: u32,
    /// Highest sustained throughput: the busiest step that met the objective (0 if none did).
    pub max_rps: f64,
    /// `MaxInvocations`: `maxRps` per minute.
    pub max_invocations: f64,
    /// `ModelLatency` (average) at that load, and its percentiles.
    pub model_latency_ms: Option<f64>,
    pub model_latency_p50_ms: Option<f64>,
    pub model_latency_p90_ms: Option<f64>,
    pub model_latency_p99_ms: Option<f64>,
    pub cpu_utilization: Option<f64>,
    pub gpu_utilization: Option<f64>,
    pub memory_utilization: Option<f64>,
    /// `ModelSetupTime`: mean time from launch to in service (provisioning, image, model).
    pub model_setup_time_secs: f64,
    /// `CostPerHour`: the whole endpoint.
    pub cost_per_hour: f64,
    /// `CostPerInference` at `maxRps` (`CostPerHour / (MaxInvocations × 60)`).
    pub cost_per_inference: Option<f64>,
    pub cost_per_million: Option<f64>,
    pub stopped_by: StoppedBy,
    pub objective: Option<LatencyObjective>,
    /// Requests simulated (every step, warm-ups included).
    pub simulated_requests: u64,
    pub steps: Vec<StepResult>,
}

/// A window to measure: its span (µs), label, the user count during it and its nominal rate.
type MeasuredWindow = (u64, u64, String, Option<u32>, Option<f64>);

struct Plan {
    windows: Vec<MeasuredWindow>,
    scenario: Scenario,
}

/// The scenario of a configuration: one variant of `count` instances, no scaling.
pub(crate) fn endpoint_json(model: &ModelRef, instance_type: &str, count: u32) -> serde_json::Value {
    let mut variant = serde_json::json!({
        "name": "AllTraffic",
        "instanceType": instance_type,
        "initialInstanceCount": count,
    });
    if let (Some(v), serde_json::Value::Object(extra)) = (variant.as_object_mut(), model.variant_fields()) {
        v.extend(extra);
    }
    serde_json::json!({ "name": "loadtest", "variants": [variant] })
}

/// A serverless endpoint serving the model: `ServerlessConfig` with a memory size and
/// `MaxConcurrency` (the model's service times are taken on a CPU type, as the plan does).
pub(crate) fn serverless_endpoint_json(
    model: &ModelRef,
    memory_size_in_mb: u32,
    max_concurrency: u32,
    defaults: Option<&crate::scenario::ServerlessDefaults>,
) -> serde_json::Value {
    let mut variant = serde_json::json!({
        "name": "AllTraffic",
        "serverlessConfig": { "MemorySizeInMB": memory_size_in_mb, "MaxConcurrency": max_concurrency },
    });
    if let Some(v) = variant.as_object_mut() {
        if let serde_json::Value::Object(extra) = model.variant_fields() {
            v.extend(extra);
        }
        if let Some(d) = defaults.and_then(|d| serde_json::to_value(d).ok()) {
            v.insert("serverlessDefaults".into(), d);
        }
    }
    serde_json::json!({ "name": "loadtest", "variants": [variant] })
}

/// The scenario of a test run: `count` instances of one configuration, no scaling, named
/// `<kind>-<count>x<type>`.
pub(crate) fn test_scenario(
    kind: &str,
    duration: Duration,
    traffic: serde_json::Value,
    model: &ModelRef,
    instance_type: &str,
    count: u32,
) -> Result<Scenario, Problems> {
    scenario_json(
        format!("{kind}-{count}x{instance_type}"),
        duration,
        traffic,
        endpoint_json(model, instance_type, count),
    )
}

/// A scenario with this traffic and endpoint, no scaling.
pub(crate) fn scenario_json(
    name: String,
    duration: Duration,
    traffic: serde_json::Value,
    endpoint: serde_json::Value,
) -> Result<Scenario, Problems> {
    let value = serde_json::json!({
        "version": crate::scenario::CURRENT_VERSION,
        "name": name,
        "duration": duration.to_string(),
        "traffic": traffic,
        "endpoint": endpoint,
    });
    serde_json::from_value(value).map_err(|e| Problems(vec![Problem::new(Path::of("traffic"), e.to_string())]))
}

fn warmup(start: u64, end: u64) -> u64 {
    start + ((end - start) / 4).min(30 * US_PER_SEC)
}

impl LoadTest {
    fn check(&self) -> Result<(ServingProfile, f64), Problems> {
        let mut p = Vec::new();
        let profile = match self.model.profile_for(&self.instance_type) {
            Ok(pr) => Some(pr),
            Err(e) => {
                p.push(Problem::new(if self.model.profile.is_some() { "profile" } else { "model" }, e));
                None
            }
        };
        let price = self.price_per_hour.or_else(|| catalog::lookup(&self.instance_type).map(|t| t.price_usd_per_hour));
        if catalog::lookup(&self.instance_type).is_none() {
            let names: Vec<&str> = catalog::names().collect();
            p.push(Problem::new(
                "instanceType",
                crate::problem::unknown("instance type", &self.instance_type, &names, "known types"),
            ));
        }
        if self.count == 0 || self.count > 100 {
            p.push(Problem::new("count", format!("must be 1 to 100 instances, got {}", self.count)));
        }
        if let Some(o) = &self.stopping.model_latency_thresholds
            && !(o.value_in_milliseconds.is_finite() && o.value_in_milliseconds > 0.0)
        {
            p.push(Problem::new("stopping.ModelLatencyThresholds.ValueInMilliseconds", "must be above 0"));
        }
        if let Some(m) = self.stopping.max_invocations
            && !(m.is_finite() && m > 0.0)
        {
            p.push(Problem::new("stopping.MaxInvocations", "must be a number of requests per minute above 0"));
        }
        match (profile, price) {
            (Some(pr), Some(price)) if p.is_empty() => Ok((pr, price)),
            _ => Err(Problems(p)),
        }
    }

    /// The scenario to run and the windows to measure.
    fn plan(&self, profile: &ServingProfile) -> Result<Plan, Problems> {
        let cap = profile.capacity_rps() * f64::from(self.count);
        let traffic = self.traffic.clone().unwrap_or_else(|| LoadTraffic::stairs_for(cap));
        // Bounded before any window is built: the longest run the core accepts.
        let total = traffic.total_secs();
        let limit = crate::limits::MAX_DURATION_SECS as f64;
        if !(total.is_finite() && total <= limit) {
            return Err(Problems(vec![Problem::new(
                "traffic",
                format!(
                    "the load test would last {}, longer than the longest run (14 days)",
                    crate::fmt::fmt_num(total)
                ),
            )]));
        }
        let mut windows = Vec::new();
        let secs = |d: Duration| d.as_micros();
        let (traffic_json, total_us) = match &traffic {
            LoadTraffic::Stairs { start_rps, step_rps, step_duration, max_rps } => {
                let bad = |v: f64| !(v.is_finite() && v >= 0.0);
                if bad(*start_rps) || bad(*max_rps) || !(step_rps.is_finite() && *step_rps > 0.0) {
                    return Err(Problems(vec![Problem::new(
                        "traffic.stairs",
                        "startRps, stepRps and maxRps must be rates ≥ 0 (stepRps above 0)",
                    )]));
                }
                if *step_duration < Duration::from_secs(10) {
                    return Err(Problems(vec![Problem::new("traffic.stairs.stepDuration", "must be at least 10s")]));
                }
                let n = stair_count(*start_rps, *step_rps, *max_rps) as u64;
                let d = secs(*step_duration);
                let mut steps = Vec::new();
                for k in 0..n {
                    let rps = start_rps + step_rps * k as f64;
                    let (s, e) = (k * d, (k + 1) * d);
                    steps.push(serde_json::json!({ "at": Duration(s).to_string(), "rps": round3(rps) }));
                    windows.push((
                        warmup(s, e),
                        e,
                        format!("{} RPS", crate::fmt::fmt_num(round3(rps))),
                        None,
                        Some(round3(rps)),
                    ));
                }
                (serde_json::json!({ "steps": steps }), n * d)
            }
            LoadTraffic::Phases(phases) => {
                let mut t = 0;
                for (i, ph) in phases.iter().enumerate() {
                    let d = secs(ph.duration);
                    let name = ph.name.clone().unwrap_or_else(|| format!("phase {}", i + 1));
                    if ph.ramp_to.is_some_and(|r| r != ph.arrival_rate) {
                        let mut s = t;
                        while s < t + d {
                            let e = (s + 60 * US_PER_SEC).min(t + d);
                            windows.push((s, e, format!("{name} @{}", Duration(s)), None, None));
                            s = e;
                        }
                    } else {
                        windows.push((warmup(t, t + d), t + d, name, None, Some(ph.arrival_rate)));
                    }
                    t += d;
                }
                (serde_json::json!({ "phases": phases }), t)
            }
            LoadTraffic::Users(u) => (user_windows(u, &mut windows), 0),
            LoadTraffic::IrPhases(phases) => {
                let u = ir_phases(phases);
                (user_windows(&u, &mut windows), 0)
            }
            LoadTraffic::IrStairs { duration_in_seconds, number_of_steps, users_per_step } => {
                let steps = (*number_of_steps).clamp(1, 100);
                let each = Duration::from_secs(u64::from(*duration_in_seconds / steps).max(1));
                let u = Users {
                    stages: (1..=steps)
                        .map(|k| UserStage {
                            duration: each,
                            users: k.saturating_mul(*users_per_step).min(crate::traffic::MAX_USERS),
                            spawn_rate: None,
                            name: Some(format!("step {k}")),
                        })
                        .collect(),
                    think_time: None,
                };
                (user_windows(&u, &mut windows), 0)
            }
        };
        let total_us = total_us.max(windows.last().map_or(0, |w| w.1));
        if total_us == 0 || windows.is_empty() {
            return Err(Problems(vec![Problem::new("traffic", "the load test's traffic has no steps")]));
        }
        let mut scenario =
            test_scenario("loadtest", Duration(total_us), traffic_json, &self.model, &self.instance_type, self.count)?;
        if let Some(p) = self.price_per_hour {
            scenario.pricing.insert(self.instance_type.clone(), p);
        }
        Ok(Plan { windows, scenario })
    }

    /// Runs the load test with the exact engine.
    pub fn run(&self) -> Result<LoadTestResult, Problems> {
        let (profile, price) = self.check()?;
        let lt = self.plan(&profile)?;
        let plan = crate::plan::plan(&lt.scenario, Some(self.seed))?;
        let mut sim = Simulation::new(&plan);
        let objective = self.stopping.model_latency_thresholds;
        let mut steps: Vec<StepResult> = Vec::new();
        let mut stopped_by = StoppedBy::EndOfTraffic;
        for (start, end, label, users, nominal) in &lt.windows {
            sim.run_until(*start);
            sim.take_window();
            sim.run_until(*end);
            let w = sim.take_window();
            let mut step = self.step(&w, label, *users, objective);
            step.nominal_rps = *nominal;
            let reason = self.stop_reason(&step, &steps, objective);
            steps.push(step);
            if let Some(r) = reason {
                stopped_by = r;
                break;
            }
        }
        let report = sim.snapshot();
        // Utilization per step from the 10-second rows inside its window.
        for s in &mut steps {
            let rows: Vec<&crate::metrics::Row> = report
                .series_10s
                .iter()
                .filter(|r| r.t_secs >= s.start_secs && r.t_secs + r.period_secs <= s.end_secs + 1e-9)
                .collect();
            let avg = |f: fn(&crate::metrics::Row) -> Option<f64>| {
                let v: Vec<f64> = rows.iter().filter_map(|r| f(r)).collect();
                (!v.is_empty()).then(|| v.iter().sum::<f64>() / v.len() as f64)
            };
            s.cpu_utilization = avg(|r| r.cpu_utilization);
            s.gpu_utilization = avg(|r| r.gpu_utilization);
            s.memory_utilization = avg(|r| r.memory_utilization);
        }
        let best = steps.iter().filter(|s| s.meets).max_by(|a, b| a.throughput_rps.total_cmp(&b.throughput_rps));
        let max_rps = best.map_or(0.0, |s| s.throughput_rps);
        let cost_per_hour = price * f64::from(self.count);
        let per_inference = (max_rps > 0.0).then(|| cost_per_hour / (max_rps * 3600.0));
        let cs = &profile.cold_start;
        Ok(LoadTestResult {
            instance_type: self.instance_type.clone(),
            count: self.count,
            max_rps,
            max_invocations: max_rps * 60.0,
            model_latency_ms: best.and_then(|s| s.model_latency_avg_ms),
            model_latency_p50_ms: best.and_then(|s| s.model_latency_p50_ms),
            model_latency_p90_ms: best.and_then(|s| s.model_latency_p90_ms),
            model_latency_p99_ms: best.and_then(|s| s.model_latency_p99_ms),
            cpu_utilization: best.and_then(|s| s.cpu_utilization),
            gpu_utilization: best.and_then(|s| s.gpu_utilization),
            memory_utilization: best.and_then(|s| s.memory_utilization),
            model_setup_time_secs: cs.provisioning.mean.as_secs_f64()
                + cs.image_pull.mean.as_secs_f64()
                + cs.model_load.mean.as_secs_f64(),
            cost_per_hour,
            cost_per_inference: per_inference,
            cost_per_million: per_inference.map(|c| c * 1e6),
            stopped_by,
            objective,
            simulated_requests: report.summary.requests,
            steps,
        })
    }

    fn step(&self, w: &Window, label: &str, users: Option<u32>, objective: Option<LatencyObjective>) -> StepResult {
        let secs = (w.end_secs - w.start_secs).max(1e-9);
        let error_ratio = w.error_ratio();
        let mut s = StepResult {
            label: label.to_string(),
            start_secs: w.start_secs,
            end_secs: w.end_secs,
            offered_rps: w.requests as f64 / secs,
            nominal_rps: None,
            users,
            throughput_rps: w.succeeded as f64 / secs,
            error_ratio,
            model_latency_avg_ms: w.model_latency_ms.mean,
            model_latency_p50_ms: w.model_latency_ms.p50,
            model_latency_p90_ms: w.model_latency_ms.p90,
            model_latency_p95_ms: w.model_latency_p95_ms,
            model_latency_p99_ms: w.model_latency_ms.p99,
            latency_p99_ms: w.latency_ms.p99,
            cpu_utilization: None,
            gpu_utilization: None,
            memory_utilization: None,
            meets: false,
        };
        let latency_ok = objective.is_none_or(|o| o.holds(o.of(&s)));
        s.meets = w.succeeded > 0 && error_ratio < MAX_ERROR_RATIO && latency_ok;
        s
    }

    fn stop_reason(
        &self,
        step: &StepResult,
        before: &[StepResult],
        objective: Option<LatencyObjective>,
    ) -> Option<StoppedBy> {
        if step.error_ratio >= MAX_ERROR_RATIO {
            return Some(StoppedBy::Errors);
        }
        if let Some(o) = objective
            && o.of(step).is_some_and(|v| v > o.value_in_milliseconds)
        {
            return Some(StoppedBy::Latency);
        }
        if self.stopping.max_invocations.is_some_and(|m| step.throughput_rps * 60.0 >= m) {
            return Some(StoppedBy::MaxInvocations);
        }
        if self.stopping.flat_invocations == FlatInvocations::Stop && is_flat(step, before) {
            return Some(StoppedBy::FlatInvocations);
        }
        None
    }
}

/// Throughput has levelled off: over the last two steps the load rose by more than 10 % and the
/// throughput by less than 2 %.
fn is_flat(step: &StepResult, before: &[StepResult]) -> bool {
    let Some(prev) = before.len().checked_sub(2).and_then(|i| before.get(i)) else { return false };
    let load = |s: &StepResult| s.users.map_or(s.offered_rps, f64::from);
    load(step) > 1.1 * load(prev) && step.throughput_rps < 1.02 * prev.throughput_rps && prev.throughput_rps > 0.0
}

/// The traffic JSON of closed-loop users, and a window per stage (per minute while spawning).
fn user_windows(u: &Users, windows: &mut Vec<MeasuredWindow>) -> serde_json::Value {
    let mut t = 0;
    let mut from = 0u32;
    for (i, st) in u.stages.iter().enumerate() {
        let d = st.duration.as_micros();
        let name = st.name.clone().unwrap_or_else(|| format!("stage {}", i + 1));
        let spawn_us = st
            .spawn_rate
            .filter(|r| *r > 0.0 && r.is_finite())
            .map_or(0, |r| (f64::from(from.abs_diff(st.users)) / r * US_PER_SEC as f64) as u64)
            .min(d);
        // While users spawn, a window per minute (its load: the users at its end); then the
        // hold, after its warm-up.
        let rate = st.spawn_rate.unwrap_or(0.0);
        let users_at = |e: u64| {
            let moved = (rate * (e - t) as f64 / US_PER_SEC as f64) as u32;
            if st.users >= from {
                (from.saturating_add(moved)).min(st.users)
            } else {
                from.saturating_sub(moved).max(st.users)
            }
        };
        let mut s = t;
        while s < t + spawn_us {
            let e = (s + 60 * US_PER_SEC).min(t + spawn_us);
            windows.push((s, e, format!("{name} @{}", Duration(s)), Some(users_at(e)), None));
            s = e;
        }
        // A hold shorter than 10 s (a phase's first users arriving) is too short to measure.
        if t + spawn_us + 10 * US_PER_SEC <= t + d {
            windows.push((
                warmup(t + spawn_us, t + d),
                t + d,
                format!("{name}: {} users", st.users),
                Some(st.users),
                None,
            ));
        }
        from = st.users;
        t += d;
    }
    serde_json::json!({ "users": u })
}

/// Inference Recommender's phases as Locust stages: each phase starts from at least its initial
/// users and adds `SpawnRate` users per minute until it ends (a choice: the API does not say
/// whether a later phase keeps the earlier phase's users; here it does).
fn ir_phases(phases: &[IrPhase]) -> Users {
    let mut users = 0u32;
    let mut stages = Vec::new();
    for (i, p) in phases.iter().enumerate() {
        users = users.max(p.initial_number_of_users).min(crate::traffic::MAX_USERS);
        if users > 0 {
            stages.push(UserStage {
                duration: Duration::from_secs(1),
                users,
                spawn_rate: None,
                name: Some(format!("phase {} start", i + 1)),
            });
        }
        let secs = u64::from(p.duration_in_seconds.max(1)).saturating_sub(1).max(1);
        let added = u32::try_from(u64::from(p.spawn_rate) * secs / 60).unwrap_or(u32::MAX);
        users = users.saturating_add(added).min(crate::traffic::MAX_USERS);
        stages.push(UserStage {
            duration: Duration::from_secs(secs),
            users,
            spawn_rate: (p.spawn_rate > 0).then(|| f64::from(p.spawn_rate) / 60.0),
            name: Some(format!("phase {}", i + 1)),
        });
    }
    Users { stages, think_time: None }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn lt(model: &str, t: &str, count: u32) -> LoadTest {
        LoadTest {
            model: ModelRef::builtin(model),
            instance_type: t.into(),
            count,
            traffic: None,
            stopping: Stopping::default(),
            seed: 1,
            price_per_hour: None,
        }
    }

    #[test]
    fn objectives_parse_and_name_the_fix() {
        let o = LatencyObjective::parse("p99:200ms").unwrap();
        assert_eq!((o.percentile, o.value_in_milliseconds), (Percentile::P99, 200.0));
        assert_eq!(LatencyObjective::parse("P95:1s").unwrap().value_in_milliseconds, 1000.0);
        assert!(LatencyObjective::parse("p98:1s").unwrap_err().contains("p99:200ms"));
        assert!(LatencyObjective::parse("200ms").unwrap_err().contains("p99:200ms"));
    }

    #[test]
    fn a_bad_configuration_is_a_problem_naming_the_field() {
        let e = lt("resnet50", "ml.m4.xlarge", 1).run().unwrap_err();
        assert!(e.0[0].path == "model" && e.0[0].message.contains("ml.g4dn.xlarge"), "{e}");
        let e = lt("resnet50", "ml.g4dn.xlarge", 0).run().unwrap_err();
        assert_eq!(e.0[0].path, "count");
    }

    #[test]
    fn the_p2_maximum_is_about_20_rps_at_its_price() {
        // Seed 004: ~20 RPS on ml.p2.xlarge at $1.125/h (tolerance 10 %).
        let r = lt("resnet50", "ml.p2.xlarge", 1).run().unwrap();
        assert!((18.0..=22.0).contains(&r.max_rps), "{}", r.max_rps);
        assert_eq!(r.cost_per_hour, 1.125);
        assert_eq!(r.stopped_by, StoppedBy::Errors);
        let c = r.cost_per_inference.unwrap();
        assert!((c - 1.125 / (r.max_invocations * 60.0)).abs() < 1e-15);
        assert!(r.steps.len() > 5 && r.steps.iter().rev().skip(1).all(|s| s.meets));
        assert!(r.gpu_utilization.is_some_and(|g| g > 50.0), "{:?}", r.gpu_utilization);
    }

    #[test]
    fn a_latency_threshold_lowers_the_maximum() {
        let mut t = lt("resnet50", "ml.g4dn.xlarge", 1);
        let free = t.run().unwrap().max_rps;
        t.stopping.model_latency_thresholds = Some(LatencyObjective::parse("p99:200ms").unwrap());
        let r = t.run().unwrap();
        assert_eq!(r.stopped_by, StoppedBy::Latency);
        assert!(r.max_rps < free && r.max_rps > 0.3 * free, "{} vs {free}", r.max_rps);
        assert!(r.model_latency_p99_ms.is_some_and(|p| p <= 200.0));
    }

    #[test]
    fn closed_loop_users_level_off() {
        // Inference Recommender's stairs: 8 steps of 2 users; g4dn has 4 workers, so throughput
        // stops rising once the users outnumber them.
        let mut t = lt("resnet50", "ml.g4dn.xlarge", 1);
        t.traffic = Some(LoadTraffic::IrStairs { duration_in_seconds: 960, number_of_steps: 8, users_per_step: 2 });
        let r = t.run().unwrap();
        assert_eq!(
            r.stopped_by,
            StoppedBy::FlatInvocations,
            "{:?}",
            r.steps.iter().map(|s| s.throughput_rps).collect::<Vec<_>>()
        );
        let first = &r.steps[0];
        // Two users and no think time: throughput = users / latency.
        let expect = 2.0 / (first.model_latency_avg_ms.unwrap() / 1000.0);
        assert!((first.throughput_rps / expect - 1.0).abs() < 0.05, "{} vs {expect}", first.throughput_rps);
        assert!((30.0..=40.0).contains(&r.max_rps), "{}", r.max_rps);
    }
}
