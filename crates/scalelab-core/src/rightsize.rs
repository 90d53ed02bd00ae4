//! The rightsizing lab: load-test a model on every candidate instance type, find the smallest
//! count that holds the minimum and the maximum load (verified by simulating that count at that
//! rate, not extrapolated), pick the cheapest configuration, and tune a target-tracking policy
//! that holds the objective on the expected traffic at the lowest cost (seed 004's workflow and
//! Inference Recommender's `GetScalingConfigurationRecommendation`). Serverless memory sizes are
//! candidates too, as Inference Recommender's `ServerlessConfig` endpoint configurations: for
//! each, the smallest `MaxConcurrency` that holds each load (verified the same way), its billed
//! cost, and a run on the traffic with its cold starts, set beside the tuned instance policy.
//!
//! The lab is a sequence of stages; each stage is a list of independent `Job`s, so a front end
//! runs them in parallel (threads natively, Web Workers in the page) and hands the outcomes back
//! in job order. Every job carries its own seed: the result does not depend on how many run at
//! once. `run` drives the stages with any executor.

use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};

use crate::catalog;
use crate::engine::Simulation;
use crate::loadtest::{LatencyObjective, LoadTest, LoadTestResult, MAX_ERROR_RATIO, ModelRef, Stopping};
use crate::problem::{Problem, Problems};
use crate::scenario::{Scenario, ServerlessDefaults};
use crate::time::{Duration, US_PER_SEC};
use crate::traffic::Traffic;

/// Most instances the lab sizes one configuration to.
pub const MAX_COUNT: u32 = 100;
/// Most concurrent environments of a serverless endpoint (`MaxConcurrency`).
pub const MAX_SERVERLESS_CONCURRENCY: u32 = 200;
/// Failed-request share a tuned policy may have on the traffic (0.1 %).
pub const POLICY_MAX_ERROR_RATIO: f64 = 0.001;
/// AWS's load-testing guidance: target = max RPS per instance × safety factor × 60.
pub const DEFAULT_SAFETY_FACTOR: f64 = 0.5;
/// The default cooldowns of a SageMaker target-tracking policy, seconds.
const DEFAULT_COOLDOWN_SECS: u32 = 300;

/// What to rightsize.
#[derive(Clone, PartialEq, Debug, Serialize, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct Request {
    #[serde(flatten)]
    pub model: ModelRef,
    /// Candidate instance types; every type the model has a profile for when empty.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub instance_types: Vec<String>,
    /// Serverless memory sizes to try (MB: 1024, 2048, … 6144). Absent: every size when no
    /// instance types are named and the model can run without an accelerator; empty: none.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub serverless_memory_sizes: Option<Vec<u32>>,
    /// A `ModelLatency` objective; without it only failed requests count (seed 004's rule).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub objective: Option<LatencyObjective>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub min_rps: Option<f64>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub max_rps: Option<f64>,
    /// Use this scenario's traffic (its lowest and highest rate, and the traffic itself for
    /// tuning), its model when none is given, and its `sloLatency` as a p99 objective when no
    /// objective is given.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub scenario: Option<Scenario>,
    /// Tune the scaling policy on the traffic (several simulated runs).
    #[serde(default = "yes")]
    pub tune: bool,
    /// Seeds each tuned candidate must hold on.
    #[serde(default = "three")]
    pub seeds: u32,
    #[serde(default = "default_factor")]
    pub safety_factor: f64,
    #[serde(default = "default_seed")]
    pub seed: u64,
}

fn yes() -> bool {
    true
}
fn three() -> u32 {
    3
}
fn default_factor() -> f64 {
    DEFAULT_SAFETY_FACTOR
}
fn default_seed() -> u64 {
    crate::plan::DEFAULT_SEED
}

impl Request {
    pub fn new(model: &str, min_rps: f64, max_rps: f64) -> Request {
        Request {
            model: ModelRef::builtin(model),
            instance_types: Vec::new(),
            serverless_memory_sizes: None,
            objective: None,
            min_rps: Some(min_rps),
            max_rps: Some(max_rps),
            scenario: None,
            tune: true,
            seeds: 3,
            safety_factor: DEFAULT_SAFETY_FACTOR,
            seed: default_seed(),
        }
    }
}

/// One unit of work: a load test, a check that a count holds a rate, or a run of a candidate
/// policy on the traffic.
#[derive(Clone, PartialEq, Debug, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub enum Job {
    LoadTest(LoadTest),
    Hold(Hold),
    Policy(PolicyRun),
}

/// Does `count` instances of a type hold `rps` (constant) under the objective?
#[derive(Clone, PartialEq, Debug, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Hold {
    #[serde(flatten)]
    pub model: ModelRef,
    pub instance_type: String,
    pub count: u32,
    pub rps: f64,
    pub objective: Option<LatencyObjective>,
    pub seed: u64,
    /// A serverless endpoint of this memory size, with `count` as its `MaxConcurrency`
    /// (`instanceType` is then only a label).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub serverless_memory_size_in_mb: Option<u32>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub serverless_defaults: Option<ServerlessDefaults>,
}

/// A candidate policy on the traffic, one seed.
#[derive(Clone, PartialEq, Debug, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct PolicyRun {
    pub scenario: Scenario,
    pub target_value: f64,
    pub scale_in_cooldown: u32,
    pub objective: Option<LatencyObjective>,
    pub seed: u64,
}

/// A job's outcome.
#[derive(Clone, PartialEq, Debug, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub enum Outcome {
    LoadTest(LoadTestResult),
    Hold(HoldResult),
    Policy(PolicyPoint),
}

#[derive(Clone, PartialEq, Debug, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct HoldResult {
    pub holds: bool,
    pub error_ratio: f64,
    pub latency_ms: Option<f64>,
    pub requests: u64,
    /// What the run cost per hour (a serverless endpoint's billed inference at this rate).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub cost_per_hour: Option<f64>,
}

/// One explored point of the policy search.
#[derive(Clone, PartialEq, Debug, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct PolicyPoint {
    pub target_value: f64,
    pub scale_in_cooldown: u32,
    pub seed: u64,
    pub cost_usd: f64,
    pub requests: u64,
    pub errors: u64,
    pub error_ratio: f64,
    /// The objective's percentile over the run (p99 without an objective), milliseconds.
    pub latency_ms: Option<f64>,
    pub max_instances: u32,
    pub meets: bool,
    /// p99 of the whole response time (queueing and cold starts included), milliseconds.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub end_to_end_p99_ms: Option<f64>,
}

impl Job {
    pub fn run(&self) -> Result<Outcome, Problems> {
        match self {
            Job::LoadTest(t) => t.run().map(Outcome::LoadTest),
            Job::Hold(h) => h.run().map(Outcome::Hold),
            Job::Policy(p) => p.run().map(Outcome::Policy),
        }
    }

    /// Requests the job will simulate, roughly (for progress).
    pub fn label(&self) -> String {
        match self {
            Job::LoadTest(t) => format!("load test {} × {}", t.count, t.instance_type),
            Job::Hold(h) if h.serverless_memory_size_in_mb.is_some() => {
                format!("{} at MaxConcurrency {} and {} RPS", h.instance_type, h.count, crate::fmt::fmt_num(h.rps))
            }
            Job::Hold(h) => format!("{} × {} at {} RPS", h.count, h.instance_type, crate::fmt::fmt_num(h.rps)),
            Job::Policy(p) => format!("policy target {} (seed {})", crate::fmt::fmt_num(p.target_value), p.seed),
        }
    }
}

/// Latency at the objective's percentile in a window (p99 without an objective).
fn latency_at(o: Option<LatencyObjective>, w: &crate::report::Window) -> Option<f64> {
    o.map_or(crate::loadtest::Percentile::P99, |o| o.percentile).of_window(w)
}

impl Hold {
    /// A constant-rate run: one minute of warm-up, then at least 5 minutes and about 5000
    /// requests measured (at most 30 minutes).
    pub fn run(&self) -> Result<HoldResult, Problems> {
        let measure = (5000.0 / self.rps.max(1e-3)).clamp(300.0, 1800.0);
        let warm = 60.0;
        let duration = Duration::from_secs_f64(warm + measure);
        let traffic = serde_json::json!({ "constant": { "rps": self.rps } });
        let s = match self.serverless_memory_size_in_mb {
            Some(mb) => crate::loadtest::scenario_json(
                format!("hold-serverless-{mb}mb-{}", self.count),
                duration,
                traffic,
                crate::loadtest::serverless_endpoint_json(
                    &self.model,
                    mb,
                    self.count,
                    self.serverless_defaults.as_ref(),
                ),
            )?,
            None => {
                crate::loadtest::test_scenario("hold", duration, traffic, &self.model, &self.instance_type, self.count)?
            }
        };
        let plan = crate::plan::plan(&s, Some(self.seed))?;
        let mut sim = Simulation::new(&plan);
        sim.run_until((warm * US_PER_SEC as f64) as u64);
        sim.take_window();
        sim.run_until(plan.duration_us);
        let w = sim.take_window();
        let error_ratio = w.error_ratio();
        let latency_ms = latency_at(self.objective, &w);
        // A rate so low that no request ended in the window is held (nothing failed).
        let latency_ok = w.succeeded + w.errors == 0 || self.objective.is_none_or(|o| o.holds(latency_ms));
        let cost_per_hour = self.serverless_memory_size_in_mb.map(|_| {
            let hours = plan.duration_us as f64 / (3600.0 * US_PER_SEC as f64);
            sim.finish().summary.cost_usd / hours
        });
        Ok(HoldResult {
            holds: error_ratio < MAX_ERROR_RATIO && latency_ok,
            error_ratio,
            latency_ms,
            requests: w.requests,
            cost_per_hour,
        })
    }
}

impl PolicyRun {
    pub fn run(&self) -> Result<PolicyPoint, Problems> {
        let plan = crate::plan::plan(&self.scenario, Some(self.seed))?;
        let mut sim = Simulation::new(&plan);
        sim.take_window();
        sim.run_until(plan.duration_us);
        let w = sim.take_window();
        let report = sim.finish();
        let s = &report.summary;
        let error_ratio = if s.requests == 0 { 0.0 } else { s.errors.total as f64 / s.requests as f64 };
        let latency_ms = latency_at(self.objective, &w);
        let latency_ok = self.objective.is_none_or(|o| o.holds(latency_ms));
        Ok(PolicyPoint {
            target_value: self.target_value,
            scale_in_cooldown: self.scale_in_cooldown,
            seed: self.seed,
            cost_usd: s.cost_usd,
            requests: s.requests,
            errors: s.errors.total,
            error_ratio,
            latency_ms,
            max_instances: s.max_in_service_instances,
            meets: error_ratio < POLICY_MAX_ERROR_RATIO && latency_ok,
            end_to_end_p99_ms: s.latency_ms.p99,
        })
    }
}

/// The smallest count of one type that holds one rate, found by checking counts around the
/// linear estimate.
#[derive(Clone, PartialEq, Debug, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct CountSearch {
    pub rps: f64,
    /// Seed 004's estimate: `ceil(rps / max RPS of one instance)`.
    pub linear: u32,
    /// Counts checked, and whether each held.
    pub checked: BTreeMap<u32, bool>,
    /// The verified smallest count (`None` while searching, or above `limit`).
    pub verified: Option<u32>,
    pub done: bool,
    /// The largest count tried: `MAX_COUNT` instances, or `MaxConcurrency` 200.
    #[serde(default = "max_count")]
    pub limit: u32,
}

fn max_count() -> u32 {
    MAX_COUNT
}

impl CountSearch {
    fn new(rps: f64, one: f64, limit: u32) -> CountSearch {
        let linear = if rps <= 0.0 {
            1
        } else if one <= 0.0 {
            limit.saturating_add(1)
        } else {
            libm::fmin(libm::ceil(rps / one - 1e-9), f64::from(limit) + 1.0).max(1.0) as u32
        };
        let mut s = CountSearch { rps, linear, checked: BTreeMap::new(), verified: None, done: false, limit };
        if rps <= 0.0 {
            s.verified = Some(1);
            s.done = true;
        } else if linear > limit {
            s.done = true;
        }
        s
    }

    /// The counts to check next (none when done). More instances never hold less, so the answer
    /// is the count that holds just above one that does not.
    fn next(&mut self) -> Vec<u32> {
        if self.done {
            return Vec::new();
        }
        let highest_fail = self.checked.iter().filter(|(_, ok)| !**ok).map(|(n, _)| *n).max().unwrap_or(0);
        // The smallest count that held above every count that did not (a count that held below
        // one that failed is noise, not an answer).
        let lowest_pass = self.checked.iter().filter(|(n, ok)| **ok && **n > highest_fail).map(|(n, _)| *n).min();
        let want: Vec<u32> = match lowest_pass {
            _ if self.checked.is_empty() => vec![self.linear.saturating_sub(1), self.linear],
            Some(p) if p <= highest_fail + 1 => {
                self.verified = Some(p);
                self.done = true;
                return Vec::new();
            }
            Some(p) => vec![p - 1, p.saturating_sub(2)],
            None => vec![highest_fail + 1, highest_fail + 2],
        };
        let mut want: Vec<u32> = want
            .into_iter()
            .filter(|n| *n >= 1 && *n <= self.limit && *n > highest_fail && !self.checked.contains_key(n))
            .collect();
        want.sort_unstable();
        want.dedup();
        if want.is_empty() {
            // Past the largest count: none holds.
            self.done = true;
        }
        want
    }
}

/// One candidate type: its single-instance load test, the counts for the minimum and maximum
/// load, and the load test of the count for the maximum.
#[derive(Clone, PartialEq, Debug, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Configuration {
    pub instance_type: String,
    pub price_per_hour: f64,
    /// The single-instance load test.
    pub load_test: Option<LoadTestResult>,
    pub max_rps: f64,
    pub cost_per_hour: f64,
    pub for_min: Option<CountSearch>,
    pub for_max: Option<CountSearch>,
    /// The load test of `instancesForMaxRps` instances (their verified maximum together).
    pub pooled: Option<LoadTestResult>,
    /// On the Pareto frontier of price per hour against max RPS (one instance).
    pub frontier: bool,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub problem: Option<String>,
    /// A serverless candidate (`instanceType` is then `Serverless <MB> MB`, its counts are
    /// `MaxConcurrency`, `pricePerHour` is one environment busy for an hour and `maxRps` what
    /// one environment serves).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub serverless: Option<ServerlessSizing>,
}

/// A serverless candidate's own figures.
#[derive(Clone, PartialEq, Debug, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct ServerlessSizing {
    pub memory_size_in_mb: u32,
    /// Mean time to start an environment (`ModelSetupTime`), seconds.
    pub model_setup_time_secs: f64,
    /// Billed inference at the minimum and at the maximum load, USD per hour (measured in the
    /// count checks that held).
    pub cost_per_hour_at_min: Option<f64>,
    pub cost_per_hour_at_max: Option<f64>,
}

impl Configuration {
    pub fn instances_for_min(&self) -> Option<u32> {
        self.for_min.as_ref().and_then(|s| s.verified)
    }
    pub fn instances_for_max(&self) -> Option<u32> {
        self.for_max.as_ref().and_then(|s| s.verified)
    }
    /// Cost per million inferences: one instance at its maximum (its load test), or a serverless
    /// endpoint at the maximum load.
    pub fn cost_per_million(&self) -> Option<f64> {
        match &self.serverless {
            Some(_) => {
                let rps = self.for_max.as_ref()?.rps;
                (rps > 0.0).then_some(self.cost_at_max()? / (rps * 3600.0) * 1e6)
            }
            None => self.load_test.as_ref()?.cost_per_million,
        }
    }

    /// Cost per hour at the maximum load: the instances for it, or a serverless endpoint's
    /// billed inference.
    pub fn cost_at_max(&self) -> Option<f64> {
        let n = self.instances_for_max()?;
        match &self.serverless {
            Some(s) => s.cost_per_hour_at_max,
            None => Some(f64::from(n) * self.price_per_hour),
        }
    }
}

/// The cheapest configuration and its counts.
#[derive(Clone, PartialEq, Debug, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Recommendation {
    pub instance_type: String,
    pub instances_for_min_rps: u32,
    pub instances_for_max_rps: u32,
    pub cost_per_hour_at_min: f64,
    pub cost_per_hour_at_max: f64,
    /// Cost per million inferences at the minimum and maximum load.
    pub cost_per_million_at_min: Option<f64>,
    pub cost_per_million_at_max: Option<f64>,
    /// Seed 004's linear estimate, where it differs from the verified counts.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub linear_estimate: Option<LinearEstimate>,
}

#[derive(Clone, PartialEq, Debug, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct LinearEstimate {
    pub instances_for_min_rps: u32,
    pub instances_for_max_rps: u32,
    pub note: String,
}

/// The tuned policy and the search that found it.
#[derive(Clone, PartialEq, Debug, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Tuning {
    /// AWS's guidance: max RPS per instance × safety factor × 60.
    pub guidance_target_value: f64,
    pub target_value: f64,
    pub scale_in_cooldown: u32,
    pub scale_out_cooldown: u32,
    /// Every candidate held on every seed.
    pub meets: bool,
    /// Mean cost of the chosen candidate over the seeds, and of the guidance's target.
    pub cost_usd: f64,
    pub guidance_cost_usd: Option<f64>,
    pub points: Vec<PolicyPoint>,
    pub note: String,
}

/// The lab's answer (partial while it runs).
#[derive(Clone, PartialEq, Debug, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Rightsizing {
    pub model: String,
    pub objective: Option<LatencyObjective>,
    pub min_rps: f64,
    pub max_rps: f64,
    pub configurations: Vec<Configuration>,
    pub recommendation: Option<Recommendation>,
    pub tuning: Option<Tuning>,
    /// The scaling section of the recommended scenario.
    pub policy: Option<serde_json::Value>,
    pub scenario: Option<Scenario>,
    /// Serverless candidates run on the traffic (one per memory size, `MaxConcurrency` and
    /// seed).
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub serverless_runs: Vec<ServerlessRun>,
    /// The serverless configuration that held the objective on the traffic at the lowest cost.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub serverless: Option<ServerlessChoice>,
    /// Linear-estimate corrections, one sentence per type where the estimate was wrong.
    pub notes: Vec<String>,
    pub simulated_requests: u64,
    pub jobs_done: usize,
    pub stage: String,
}

impl Rightsizing {
    /// The configurations by cost at the maximum load, cheapest first (those without a count
    /// last; equal costs by type).
    pub fn by_cost(&self) -> Vec<&Configuration> {
        let mut rows: Vec<&Configuration> = self.configurations.iter().collect();
        rows.sort_by(|a, b| {
            a.cost_at_max()
                .unwrap_or(f64::INFINITY)
                .total_cmp(&b.cost_at_max().unwrap_or(f64::INFINITY))
                .then(a.instance_type.cmp(&b.instance_type))
        });
        rows
    }

    /// A fingerprint of the whole answer (equal hashes mean byte-identical JSON), for checking
    /// that native and wasm runs agree.
    pub fn hash(&self) -> Result<u64, serde_json::Error> {
        crate::report::json_hash(self)
    }
}

/// A serverless candidate on the traffic, one seed.
#[derive(Clone, PartialEq, Debug, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct ServerlessRun {
    pub memory_size_in_mb: u32,
    pub max_concurrency: u32,
    pub point: PolicyPoint,
}

/// The serverless answer: a memory size and `MaxConcurrency`, what it cost on the traffic and
/// what the tuned instance policy cost on the same traffic.
#[derive(Clone, PartialEq, Debug, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct ServerlessChoice {
    pub memory_size_in_mb: u32,
    pub max_concurrency: u32,
    /// Held the objective (and fewer than 0.1 % failed) on every seed.
    pub meets: bool,
    /// Mean over the seeds, USD.
    pub cost_usd: f64,
    /// The tuned instance policy's mean cost on the same traffic, when it held.
    pub instance_cost_usd: Option<f64>,
    /// The worst seed's failed share, objective percentile and end-to-end p99.
    pub error_ratio: f64,
    pub latency_ms: Option<f64>,
    pub end_to_end_p99_ms: Option<f64>,
    pub note: String,
    pub scenario: Option<Scenario>,
}

#[derive(Clone, Copy, PartialEq, Eq, Debug)]
enum Stage {
    LoadTests,
    Counts,
    Pooled,
    Screen,
    Refine,
    Confirm,
    Serverless,
    ServerlessConfirm,
    Done,
}

/// The lab's state between stages.
#[derive(Debug)]
pub struct Lab {
    req: Request,
    model_name: String,
    traffic: Traffic,
    traffic_duration: Duration,
    min_rps: f64,
    max_rps: f64,
    stage: Stage,
    out: Rightsizing,
    /// The jobs handed out and not yet accepted, with what each is for.
    pending: Vec<Purpose>,
    /// The base scenario's serverless defaults (cold start, prices), for serverless candidates.
    serverless_defaults: Option<ServerlessDefaults>,
}

#[derive(Clone, Debug)]
enum Purpose {
    Single(usize),
    Count { config: usize, max: bool, n: u32 },
    Pooled(usize),
    Policy { target: f64, scale_in_cooldown: u32, seed: u64 },
    Serverless { memory_size_in_mb: u32, max_concurrency: u32, seed: u64 },
}

impl Lab {
    pub fn new(req: Request) -> Result<Lab, Problems> {
        let mut p = Vec::new();
        let mut model = req.model.clone();
        if model.model.is_none() && model.profile.is_none() {
            if let Some(v) = req.scenario.as_ref().and_then(|s| s.endpoint.variants.first()) {
                model = ModelRef { model: v.model.clone(), profile: v.profile.clone() };
            } else {
                p.push(Problem::new(
                    "model",
                    "give a built-in model (e.g. resnet50) or a scenario whose variant names one",
                ));
            }
        }
        let (traffic, duration, min, max) = match (&req.scenario, req.min_rps, req.max_rps) {
            (Some(s), None, None) => {
                let plan = crate::plan::plan(s, Some(req.seed)).map_err(|e| {
                    Problems(e.0.into_iter().map(|x| Problem::new(format!("scenario.{}", x.path), x.message)).collect())
                })?;
                if plan.users.is_some() {
                    p.push(Problem::new(
                        "scenario.traffic",
                        "closed-loop users have no rate to size for: give a rate-based traffic",
                    ));
                }
                let secs = libm::ceil(s.duration.as_secs_f64()) as u64;
                let rates: Vec<f64> = (0..secs).map(|b| plan.rate.bin_rate(b)).collect();
                let max = rates.iter().copied().fold(0.0, f64::max);
                let min = rates.iter().copied().filter(|r| *r > 0.0).fold(f64::INFINITY, f64::min);
                (s.traffic.clone(), s.duration, if min.is_finite() { min } else { 0.0 }, max)
            }
            (Some(_), _, _) => {
                p.push(Problem::new("minRps", "give either a scenario or minRps and maxRps, not both"));
                (Traffic::Constant { rps: 0.0 }, Duration::ZERO, 0.0, 0.0)
            }
            (None, Some(min), Some(max)) => {
                if !(min.is_finite() && max.is_finite() && min >= 0.0 && max > 0.0 && min <= max) {
                    p.push(Problem::new(
                        "minRps",
                        format!("need 0 ≤ minRps ≤ maxRps and maxRps > 0, got {min} and {max}"),
                    ));
                }
                if max > 10_000.0 {
                    p.push(Problem::new("maxRps", "at most 10 000 requests per second"));
                }
                let (t, d) = default_ramp(min, max);
                (t, d, min, max)
            }
            (None, _, _) => {
                p.push(Problem::new("maxRps", "give minRps and maxRps (requests per second), or a scenario"));
                (Traffic::Constant { rps: 0.0 }, Duration::ZERO, 0.0, 0.0)
            }
        };
        if !(req.safety_factor > 0.0 && req.safety_factor <= 1.0) {
            p.push(Problem::new("safetyFactor", format!("must be above 0 and at most 1, got {}", req.safety_factor)));
        }
        if req.seeds == 0 || req.seeds > 10 {
            p.push(Problem::new("seeds", "1 to 10 seeds"));
        }
        if model.profile.is_some() && req.instance_types.is_empty() {
            p.push(Problem::new(
                "instanceTypes",
                "an inline or measured profile describes the hardware it was measured on: name the instance types to try",
            ));
        }
        let mut types = if req.instance_types.is_empty() { model.instance_types() } else { req.instance_types.clone() };
        let mut seen = std::collections::BTreeSet::new();
        types.retain(|t| seen.insert(t.clone()));
        if types.is_empty() {
            p.push(Problem::new("instanceTypes", "no candidate instance types"));
        }
        let mut configurations = Vec::new();
        for (i, t) in types.iter().enumerate() {
            let Some(ct) = catalog::lookup(t) else {
                let names: Vec<&str> = catalog::names().collect();
                p.push(Problem::new(
                    crate::problem::Path::of("instanceTypes").index(i),
                    crate::problem::unknown("instance type", t, &names, "known types"),
                ));
                continue;
            };
            if let Err(e) = model.profile_for(t) {
                p.push(Problem::new(crate::problem::Path::of("instanceTypes").index(i), e));
                continue;
            }
            configurations.push(Configuration {
                instance_type: t.clone(),
                price_per_hour: ct.price_usd_per_hour,
                load_test: None,
                max_rps: 0.0,
                cost_per_hour: ct.price_usd_per_hour,
                for_min: None,
                for_max: None,
                pooled: None,
                frontier: false,
                problem: None,
                serverless: None,
            });
        }
        let serverless_defaults =
            req.scenario.as_ref().and_then(|s| s.endpoint.variants.first()).and_then(|v| v.serverless_defaults.clone());
        let defaults = serverless_defaults.clone().unwrap_or_default();
        let one_environment = serverless_environment_rps(&model);
        let sizes = match &req.serverless_memory_sizes {
            Some(sizes) => {
                for (i, mb) in sizes.iter().enumerate() {
                    if !crate::plan::SERVERLESS_MEMORY_SIZES.contains(mb) {
                        p.push(Problem::new(
                            crate::problem::Path::of("serverlessMemorySizes").index(i),
                            format!("{mb} is not a serverless memory size: use 1024, 2048, 3072, 4096, 5120 or 6144"),
                        ));
                    }
                }
                if !sizes.is_empty() && one_environment.is_none() {
                    p.push(Problem::new(
                        "serverlessMemorySizes",
                        "this model has profiles for accelerated instances only, and serverless inference has no GPUs: remove serverlessMemorySizes (or give an inline CPU profile)",
                    ));
                }
                sizes.clone()
            }
            None if req.instance_types.is_empty() && one_environment.is_some() => {
                crate::plan::SERVERLESS_MEMORY_SIZES.to_vec()
            }
            None => Vec::new(),
        };
        let mut seen_sizes = std::collections::BTreeSet::new();
        for mb in sizes {
            let Some(one) = one_environment else { break };
            if !seen_sizes.insert(mb) || !crate::plan::SERVERLESS_MEMORY_SIZES.contains(&mb) {
                continue;
            }
            let gb = f64::from(mb) / 1024.0;
            let price = gb * defaults.on_demand_usd_per_gb_second * 3600.0;
            configurations.push(Configuration {
                instance_type: serverless_label(mb),
                price_per_hour: price,
                load_test: None,
                max_rps: one / serverless_slowdown(mb, &defaults),
                cost_per_hour: price,
                for_min: None,
                for_max: None,
                pooled: None,
                frontier: false,
                problem: None,
                serverless: Some(ServerlessSizing {
                    memory_size_in_mb: mb,
                    model_setup_time_secs: defaults.cold_start.mean.as_secs_f64(),
                    cost_per_hour_at_min: None,
                    cost_per_hour_at_max: None,
                }),
            });
        }
        if !p.is_empty() {
            return Err(Problems(p));
        }
        let model_name = model.model.clone().unwrap_or_else(|| "inline profile".into());
        // A scenario's latency objective (end to end) stands for a p99 ModelLatency objective
        // when none is given.
        let objective = req.objective.or_else(|| {
            let slo = req.scenario.as_ref()?.slo_latency?;
            Some(LatencyObjective {
                percentile: crate::loadtest::Percentile::P99,
                value_in_milliseconds: slo.as_millis_f64(),
            })
        });
        let req = Request { model, objective, ..req };
        Ok(Lab {
            out: Rightsizing {
                model: model_name.clone(),
                objective: req.objective,
                min_rps: min,
                max_rps: max,
                configurations,
                recommendation: None,
                tuning: None,
                policy: None,
                scenario: None,
                serverless_runs: Vec::new(),
                serverless: None,
                notes: Vec::new(),
                simulated_requests: 0,
                jobs_done: 0,
                stage: "load tests".into(),
            },
            req,
            model_name,
            traffic,
            traffic_duration: duration,
            min_rps: min,
            max_rps: max,
            stage: Stage::LoadTests,
            pending: Vec::new(),
            serverless_defaults,
        })
    }

    /// The answer so far.
    pub fn result(&self) -> &Rightsizing {
        &self.out
    }

    pub fn into_result(self) -> Rightsizing {
        self.out
    }

    /// The next stage's jobs; empty when the lab is done.
    pub fn next_jobs(&mut self) -> Vec<Job> {
        loop {
            let planned = self.plan_stage();
            if !planned.is_empty() || self.stage == Stage::Done {
                self.out.stage = self.stage_name().into();
                let (jobs, purposes) = planned.into_iter().unzip();
                self.pending = purposes;
                return jobs;
            }
            self.advance();
        }
    }

    fn stage_name(&self) -> &'static str {
        match self.stage {
            Stage::LoadTests => "load tests",
            Stage::Counts => "verifying counts",
            Stage::Pooled => "load tests of the counts",
            Stage::Screen | Stage::Refine | Stage::Confirm => "tuning the policy",
            Stage::Serverless | Stage::ServerlessConfirm => "serverless on the traffic",
            Stage::Done => "done",
        }
    }

    fn single(&self, i: usize) -> f64 {
        self.out.configurations.get(i).map_or(0.0, |c| c.max_rps)
    }

    fn plan_stage(&mut self) -> Vec<(Job, Purpose)> {
        let seed = self.req.seed;
        let stopping = Stopping { model_latency_thresholds: self.req.objective, ..Stopping::default() };
        let load_test = |t: &str, count: u32| LoadTest {
            model: self.req.model.clone(),
            instance_type: t.to_string(),
            count,
            traffic: None,
            stopping: stopping.clone(),
            seed,
            price_per_hour: None,
        };
        match self.stage {
            Stage::LoadTests => self
                .out
                .configurations
                .iter()
                .enumerate()
                .filter(|(_, c)| c.load_test.is_none() && c.problem.is_none() && c.serverless.is_none())
                .map(|(i, c)| (Job::LoadTest(load_test(&c.instance_type, 1)), Purpose::Single(i)))
                .collect(),
            Stage::Counts => {
                let mut jobs = Vec::new();
                let (min, max) = (self.min_rps, self.max_rps);
                for i in 0..self.out.configurations.len() {
                    let one = self.single(i);
                    let Some(c) = self.out.configurations.get_mut(i) else { continue };
                    if c.problem.is_some() {
                        continue;
                    }
                    let memory = c.serverless.as_ref().map(|s| s.memory_size_in_mb);
                    let limit = if memory.is_some() { MAX_SERVERLESS_CONCURRENCY } else { MAX_COUNT };
                    for (is_max, rps) in [(false, min), (true, max)] {
                        let s = if is_max { &mut c.for_max } else { &mut c.for_min };
                        let search = s.get_or_insert_with(|| CountSearch::new(rps, one, limit));
                        for n in search.next() {
                            jobs.push((
                                Job::Hold(Hold {
                                    model: self.req.model.clone(),
                                    instance_type: c.instance_type.clone(),
                                    count: n,
                                    rps,
                                    objective: self.req.objective,
                                    seed,
                                    serverless_memory_size_in_mb: memory,
                                    serverless_defaults: memory.and(self.serverless_defaults.clone()),
                                }),
                                Purpose::Count { config: i, max: is_max, n },
                            ));
                        }
                    }
                }
                jobs
            }
            Stage::Pooled => self
                .out
                .configurations
                .iter()
                .enumerate()
                .filter_map(|(i, c)| {
                    let n = c.instances_for_max()?;
                    (n > 1 && n <= 20 && c.pooled.is_none() && c.serverless.is_none())
                        .then(|| (Job::LoadTest(load_test(&c.instance_type, n)), Purpose::Pooled(i)))
                })
                .collect(),
            Stage::Screen | Stage::Refine | Stage::Confirm => self.policy_jobs(),
            Stage::Serverless | Stage::ServerlessConfirm => self.serverless_jobs(),
            Stage::Done => Vec::new(),
        }
    }

    fn advance(&mut self) {
        self.stage = match self.stage {
            Stage::LoadTests => {
                self.mark_frontier();
                Stage::Counts
            }
            Stage::Counts => {
                self.recommend();
                Stage::Pooled
            }
            Stage::Pooled if self.req.tune && self.out.recommendation.is_some() => Stage::Screen,
            Stage::Pooled => {
                self.finish_scenario();
                if self.req.tune { Stage::Serverless } else { Stage::Done }
            }
            Stage::Screen => Stage::Refine,
            Stage::Refine => Stage::Confirm,
            Stage::Confirm => {
                self.choose_policy();
                Stage::Serverless
            }
            Stage::Serverless => Stage::ServerlessConfirm,
            Stage::ServerlessConfirm => {
                self.choose_serverless();
                Stage::Done
            }
            Stage::Done => Stage::Done,
        };
    }

    /// Takes the outcomes of the jobs `next_jobs` returned, in the same order.
    pub fn accept(&mut self, outcomes: Vec<Result<Outcome, Problems>>) {
        let pending = std::mem::take(&mut self.pending);
        if outcomes.len() != pending.len() {
            self.out.notes.push(format!("{} jobs were answered of {}", outcomes.len(), pending.len()));
        }
        for (purpose, outcome) in pending.into_iter().zip(outcomes) {
            self.out.jobs_done += 1;
            match (purpose, outcome) {
                (Purpose::Single(i), Ok(Outcome::LoadTest(r))) => {
                    self.out.simulated_requests += r.simulated_requests;
                    if let Some(c) = self.out.configurations.get_mut(i) {
                        c.max_rps = r.max_rps;
                        c.load_test = Some(r);
                    }
                }
                (Purpose::Pooled(i), Ok(Outcome::LoadTest(r))) => {
                    self.out.simulated_requests += r.simulated_requests;
                    if let Some(c) = self.out.configurations.get_mut(i) {
                        c.pooled = Some(r);
                    }
                }
                (Purpose::Count { config, max, n }, Ok(Outcome::Hold(h))) => {
                    self.out.simulated_requests += h.requests;
                    if let Some(c) = self.out.configurations.get_mut(config) {
                        let s = if max { &mut c.for_max } else { &mut c.for_min };
                        if let Some(s) = s.as_mut() {
                            s.checked.insert(n, h.holds);
                        }
                        // A serverless endpoint's cost follows the requests, not the count:
                        // any count that held measures it.
                        if let (Some(sl), Some(cost), true) = (c.serverless.as_mut(), h.cost_per_hour, h.holds) {
                            *(if max { &mut sl.cost_per_hour_at_max } else { &mut sl.cost_per_hour_at_min }) =
                                Some(cost);
                        }
                    }
                }
                (Purpose::Serverless { memory_size_in_mb, max_concurrency, .. }, Ok(Outcome::Policy(p))) => {
                    self.out.simulated_requests += p.requests;
                    self.out.serverless_runs.push(ServerlessRun { memory_size_in_mb, max_concurrency, point: p });
                }
                (Purpose::Serverless { memory_size_in_mb, max_concurrency, seed }, Err(e)) => {
                    self.out.notes.push(format!("a serverless run failed: {e}"));
                    self.out.serverless_runs.push(ServerlessRun {
                        memory_size_in_mb,
                        max_concurrency,
                        point: failed_point(0.0, 0, seed),
                    });
                }
                (Purpose::Policy { .. }, Ok(Outcome::Policy(p))) => {
                    self.out.simulated_requests += p.requests;
                    if self.out.tuning.is_none() {
                        self.out.tuning = Some(self.empty_tuning());
                    }
                    if let Some(t) = self.out.tuning.as_mut() {
                        t.points.push(p);
                    }
                }
                (Purpose::Single(i) | Purpose::Pooled(i) | Purpose::Count { config: i, .. }, Err(e)) => {
                    if let Some(c) = self.out.configurations.get_mut(i) {
                        c.problem = Some(e.to_string());
                    }
                }
                (Purpose::Policy { target, scale_in_cooldown, seed }, Err(e)) => {
                    self.out.notes.push(format!("a policy run failed: {e}"));
                    // Recorded as a candidate that did not hold, so that it is not run again.
                    if self.out.tuning.is_none() {
                        self.out.tuning = Some(self.empty_tuning());
                    }
                    if let Some(t) = self.out.tuning.as_mut() {
                        t.points.push(failed_point(target, scale_in_cooldown, seed));
                    }
                }
                _ => {}
            }
        }
        // The stage is over unless it still has jobs (a count search, a confirmation goes on).
        if !matches!(self.stage, Stage::Counts | Stage::Confirm | Stage::ServerlessConfirm) {
            self.advance();
        }
    }

    /// Pareto frontier of price per hour (lower is better) against max RPS (higher is better).
    fn mark_frontier(&mut self) {
        // Serverless candidates are priced per busy hour, not per instance hour: not on it.
        let points: Vec<(f64, f64)> = self
            .out
            .configurations
            .iter()
            .map(|c| if c.serverless.is_some() { (f64::INFINITY, 0.0) } else { (c.price_per_hour, c.max_rps) })
            .collect();
        for (i, c) in self.out.configurations.iter_mut().enumerate() {
            let (p, r) = (c.price_per_hour, c.max_rps);
            c.frontier = r > 0.0
                && c.serverless.is_none()
                && !points.iter().enumerate().any(|(j, &(q, s))| j != i && q <= p && s >= r && (q < p || s > r));
        }
    }

    fn recommend(&mut self) {
        let best = self
            .out
            .configurations
            .iter()
            .filter(|c| c.instances_for_max().is_some() && c.instances_for_min().is_some())
            // The instance recommendation (a serverless endpoint is answered on its own).
            .filter(|c| c.serverless.is_none())
            // SageMaker does not auto scale burstable instances: they suit a fixed count only.
            .filter(|c| !is_burstable(&c.instance_type) || c.instances_for_min() == c.instances_for_max())
            .min_by(|a, b| {
                let key = |c: &Configuration| {
                    (
                        c.cost_at_max().unwrap_or(f64::INFINITY),
                        f64::from(c.instances_for_min().unwrap_or(0)) * c.price_per_hour,
                    )
                };
                let (ka, kb) = (key(a), key(b));
                ka.0.total_cmp(&kb.0).then(ka.1.total_cmp(&kb.1)).then(a.instance_type.cmp(&b.instance_type))
            });
        // Serverless sizes with the same counts share one sentence.
        let mut serverless: Vec<(String, Vec<u32>)> = Vec::new();
        for c in &self.out.configurations {
            if is_burstable(&c.instance_type) && c.instances_for_min() != c.instances_for_max() {
                self.out.notes.push(format!(
                    "{}: burstable, and SageMaker does not auto scale burstable instances; not recommended for a range of loads",
                    c.instance_type
                ));
            }
            let (Some(min), Some(max)) = (&c.for_min, &c.for_max) else { continue };
            for (s, what) in [(min, "minimum"), (max, "maximum")] {
                let rps = crate::fmt::fmt_num(s.rps);
                let note = match (s.verified, &c.serverless) {
                    (Some(v), Some(_)) if v != s.linear => format!(
                        "the linear estimate for the {what} ({rps} RPS) is MaxConcurrency {}; simulation shows {v} {}",
                        s.linear,
                        if v < s.linear {
                            "suffices"
                        } else {
                            "is needed (a request finding every environment busy is throttled, not queued)"
                        }
                    ),
                    (None, Some(_)) if s.done => {
                        format!("MaxConcurrency {} does not hold the {what} ({rps} RPS)", s.limit)
                    }
                    (Some(v), None) if v != s.linear => format!(
                        "the linear estimate for the {what} ({rps} RPS) is {} instance{}; simulation shows {v} {}",
                        s.linear,
                        if s.linear == 1 { "" } else { "s" },
                        if v < s.linear { "suffice (queues pool across instances)" } else { "are needed" }
                    ),
                    (None, None) if s.done => {
                        format!("more than {} instances would be needed for the {what} ({rps} RPS)", s.limit)
                    }
                    _ => continue,
                };
                match &c.serverless {
                    Some(sl) => match serverless.iter_mut().find(|(n, _)| *n == note) {
                        Some((_, sizes)) => sizes.push(sl.memory_size_in_mb),
                        None => serverless.push((note, vec![sl.memory_size_in_mb])),
                    },
                    None => self.out.notes.push(format!("{}: {note}", c.instance_type)),
                }
            }
        }
        for (note, sizes) in serverless {
            let names: Vec<String> = sizes.iter().map(u32::to_string).collect();
            let names = match names.split_last() {
                Some((last, rest)) if !rest.is_empty() => format!("{} and {last}", rest.join(", ")),
                _ => names.join(""),
            };
            self.out.notes.push(format!("Serverless {names} MB: {note}"));
        }
        let Some(c) = best else { return };
        let (n_min, n_max) = (c.instances_for_min().unwrap_or(1), c.instances_for_max().unwrap_or(1));
        let per_million =
            |n: u32, rps: f64| (rps > 0.0).then(|| f64::from(n) * c.price_per_hour / (rps * 3600.0) * 1e6);
        let lin = (c.for_min.as_ref().map_or(n_min, |s| s.linear), c.for_max.as_ref().map_or(n_max, |s| s.linear));
        self.out.recommendation = Some(Recommendation {
            instance_type: c.instance_type.clone(),
            instances_for_min_rps: n_min,
            instances_for_max_rps: n_max,
            cost_per_hour_at_min: f64::from(n_min) * c.price_per_hour,
            cost_per_hour_at_max: f64::from(n_max) * c.price_per_hour,
            cost_per_million_at_min: per_million(n_min, self.min_rps),
            cost_per_million_at_max: per_million(n_max, self.max_rps),
            linear_estimate: (lin != (n_min, n_max)).then(|| LinearEstimate {
                instances_for_min_rps: lin.0,
                instances_for_max_rps: lin.1,
                note: format!(
                    "scaling one instance's maximum linearly gives {} and {} instances; simulated, {} and {} hold the load",
                    lin.0, lin.1, n_min, n_max
                ),
            }),
        });
    }

    fn endpoint_name(&self) -> String {
        format!("{}-endpoint", self.model_name.replace(|c: char| !c.is_ascii_alphanumeric() && c != '-', "-"))
    }

    /// The scaling section for the recommendation with a target value and scale-in cooldown.
    fn policy_json(&self, target: f64, scale_in: u32) -> Option<serde_json::Value> {
        let r = self.out.recommendation.as_ref()?;
        let resource = format!("endpoint/{}/variant/AllTraffic", self.endpoint_name());
        Some(serde_json::json!({
            "RegisterScalableTarget": [{
                "ServiceNamespace": "sagemaker",
                "ResourceId": resource,
                "ScalableDimension": "sagemaker:variant:DesiredInstanceCount",
                "MinCapacity": r.instances_for_min_rps,
                "MaxCapacity": r.instances_for_max_rps,
            }],
            "PutScalingPolicy": [{
                "PolicyName": "InvocationsPerInstance-TargetTracking",
                "ServiceNamespace": "sagemaker",
                "ResourceId": resource,
                "ScalableDimension": "sagemaker:variant:DesiredInstanceCount",
                "PolicyType": "TargetTrackingScaling",
                "TargetTrackingScalingPolicyConfiguration": {
                    "TargetValue": target,
                    "PredefinedMetricSpecification": { "PredefinedMetricType": "SageMakerVariantInvocationsPerInstance" },
                    "ScaleInCooldown": scale_in,
                    "ScaleOutCooldown": DEFAULT_COOLDOWN_SECS,
                },
            }],
        }))
    }

    /// The recommended scenario with a policy (none: a fixed count for the maximum).
    fn scenario_with(&self, policy: Option<(f64, u32)>) -> Option<Scenario> {
        let r = self.out.recommendation.as_ref()?;
        let endpoint = crate::loadtest::endpoint_json(
            &self.req.model,
            &r.instance_type,
            if policy.is_some() { r.instances_for_min_rps } else { r.instances_for_max_rps },
        );
        let description = format!(
            "Rightsized for {}–{} RPS: {} × {} at the minimum, {} at the maximum, with a tuned target-tracking policy ({}).",
            crate::fmt::fmt_num(self.min_rps),
            crate::fmt::fmt_num(self.max_rps),
            r.instances_for_min_rps,
            r.instance_type,
            r.instances_for_max_rps,
            self.objective_text()
        );
        let scaling = match policy {
            Some((target, scale_in)) => Some(self.policy_json(target, scale_in)?),
            None => None,
        };
        self.traffic_scenario(format!("rightsized-{}", self.model_name), description, endpoint, scaling)
    }

    fn objective_text(&self) -> String {
        self.req.objective.map_or("fewer than 0.1 % failed requests".to_string(), |o| format!("ModelLatency {o}"))
    }

    /// A scenario on the lab's traffic with this endpoint (the base scenario's start, the
    /// objective as its `sloLatency`).
    fn traffic_scenario(
        &self,
        name: String,
        description: String,
        mut endpoint: serde_json::Value,
        scaling: Option<serde_json::Value>,
    ) -> Option<Scenario> {
        if let Some(e) = endpoint.as_object_mut() {
            e.insert("name".into(), self.endpoint_name().into());
        }
        let mut value = serde_json::json!({
            "version": crate::scenario::CURRENT_VERSION,
            "name": name,
            "description": description,
            "duration": self.traffic_duration.to_string(),
            "traffic": self.traffic,
            "endpoint": endpoint,
        });
        let map = value.as_object_mut()?;
        if let Some(start) = self.req.scenario.as_ref().and_then(|b| b.start.clone()) {
            map.insert("start".into(), start.into());
        }
        if let Some(o) = self.req.objective {
            let slo = Duration::from_secs_f64(o.value_in_milliseconds / 1000.0).to_string();
            map.insert("sloLatency".into(), slo.into());
        }
        if let Some(scaling) = scaling {
            map.insert("scaling".into(), scaling);
        }
        serde_json::from_value(value).ok()
    }

    /// A serverless endpoint of this size and `MaxConcurrency` on the traffic (on demand).
    fn serverless_scenario(&self, memory_size_in_mb: u32, max_concurrency: u32) -> Option<Scenario> {
        let endpoint = crate::loadtest::serverless_endpoint_json(
            &self.req.model,
            memory_size_in_mb,
            max_concurrency,
            self.serverless_defaults.as_ref(),
        );
        let description = format!(
            "Serverless for {}–{} RPS: {memory_size_in_mb} MB, MaxConcurrency {max_concurrency}, on demand, cold starts included ({}).",
            crate::fmt::fmt_num(self.min_rps),
            crate::fmt::fmt_num(self.max_rps),
            self.objective_text()
        );
        self.traffic_scenario(format!("rightsized-serverless-{}", self.model_name), description, endpoint, None)
    }

    /// Serverless candidates on the traffic: the two cheapest memory sizes at the maximum, each
    /// at the `MaxConcurrency` that held the maximum and 25 % and 50 % above it (bursts and cold
    /// starts need room that a constant rate does not), on the first seed; then the cheapest
    /// that held on the other seeds.
    fn serverless_jobs(&self) -> Vec<(Job, Purpose)> {
        let s0 = self.seed_n(0);
        let mut want: Vec<(u32, u32, u64)> = Vec::new();
        match self.stage {
            Stage::Serverless => {
                let mut candidates: Vec<&Configuration> = self
                    .out
                    .configurations
                    .iter()
                    .filter(|c| c.serverless.is_some() && c.cost_at_max().is_some())
                    .collect();
                candidates.sort_by(|a, b| {
                    let cost = |c: &Configuration| c.cost_at_max().unwrap_or(f64::INFINITY);
                    cost(a).total_cmp(&cost(b)).then(a.price_per_hour.total_cmp(&b.price_per_hour))
                });
                for c in candidates.into_iter().take(2) {
                    let (Some(sl), Some(mc)) = (&c.serverless, c.instances_for_max()) else { continue };
                    let mut counts: Vec<u32> = [1.0, 1.25, 1.5]
                        .iter()
                        .map(|f| (libm::ceil(f64::from(mc) * f) as u32).min(MAX_SERVERLESS_CONCURRENCY))
                        .collect();
                    counts.dedup();
                    want.extend(counts.into_iter().map(|n| (sl.memory_size_in_mb, n, s0)));
                }
            }
            Stage::ServerlessConfirm => {
                let open = self.serverless_open();
                let complete = |k: (u32, u32)| {
                    (0..self.req.seeds).all(|i| {
                        self.out
                            .serverless_runs
                            .iter()
                            .any(|r| (r.memory_size_in_mb, r.max_concurrency) == k && r.point.seed == self.seed_n(i))
                    })
                };
                if open.first().is_none_or(|k| complete(*k)) {
                    return Vec::new();
                }
                for k in open.into_iter().filter(|k| !complete(*k)).take(2) {
                    for i in 1..self.req.seeds {
                        want.push((k.0, k.1, self.seed_n(i)));
                    }
                }
            }
            _ => {}
        }
        let mut jobs = Vec::new();
        for (mb, mc, seed) in want {
            let done = self
                .out
                .serverless_runs
                .iter()
                .any(|r| r.memory_size_in_mb == mb && r.max_concurrency == mc && r.point.seed == seed);
            if done {
                continue;
            }
            let Some(scenario) = self.serverless_scenario(mb, mc) else { continue };
            jobs.push((
                Job::Policy(PolicyRun {
                    scenario,
                    target_value: 0.0,
                    scale_in_cooldown: 0,
                    objective: self.req.objective,
                    seed,
                }),
                Purpose::Serverless { memory_size_in_mb: mb, max_concurrency: mc, seed },
            ));
        }
        jobs
    }

    /// Serverless candidates still open, cheapest first: for each memory size the smallest
    /// `MaxConcurrency` that held on the first seed and has not failed on another.
    fn serverless_open(&self) -> Vec<(u32, u32)> {
        let s0 = self.seed_n(0);
        let runs = &self.out.serverless_runs;
        let all_meet = |k: (u32, u32)| {
            runs.iter().filter(|r| (r.memory_size_in_mb, r.max_concurrency) == k).all(|r| r.point.meets)
        };
        let mut best: BTreeMap<u32, &ServerlessRun> = BTreeMap::new();
        for r in runs.iter().filter(|r| r.point.seed == s0 && r.point.meets) {
            if !all_meet((r.memory_size_in_mb, r.max_concurrency)) {
                continue;
            }
            let e = best.entry(r.memory_size_in_mb).or_insert(r);
            if r.max_concurrency < e.max_concurrency {
                *e = r;
            }
        }
        let mut open: Vec<&ServerlessRun> = best.into_values().collect();
        open.sort_by(|a, b| {
            a.point.cost_usd.total_cmp(&b.point.cost_usd).then(a.memory_size_in_mb.cmp(&b.memory_size_in_mb))
        });
        open.into_iter().map(|r| (r.memory_size_in_mb, r.max_concurrency)).collect()
    }

    /// The cheapest serverless candidate that held on every seed (mean cost), or the one whose
    /// worst seed failed least.
    fn choose_serverless(&mut self) {
        let seeds: Vec<u64> = (0..self.req.seeds).map(|k| self.seed_n(k)).collect();
        let mut groups: BTreeMap<(u32, u32), Vec<&PolicyPoint>> = BTreeMap::new();
        for r in &self.out.serverless_runs {
            groups.entry((r.memory_size_in_mb, r.max_concurrency)).or_default().push(&r.point);
        }
        let mean = |ps: &[&PolicyPoint]| ps.iter().map(|p| p.cost_usd).sum::<f64>() / ps.len().max(1) as f64;
        let full = |ps: &[&PolicyPoint]| seeds.iter().all(|s| ps.iter().any(|p| p.seed == *s));
        let open = self.serverless_open();
        let held = open
            .iter()
            .filter_map(|k| groups.get(k).map(|ps| (*k, ps)))
            .filter(|(_, ps)| full(ps) && ps.iter().all(|p| p.meets))
            .min_by(|a, b| mean(a.1).total_cmp(&mean(b.1)).then(a.0.cmp(&b.0)));
        let worst = |ps: &[&PolicyPoint]| {
            ps.iter().map(|p| p.error_ratio + if p.meets { 0.0 } else { 1e-9 }).fold(0.0, f64::max)
        };
        let (choice, meets) = match held {
            Some(c) => (Some(c), true),
            None => (
                groups
                    .iter()
                    .map(|(k, ps)| (*k, ps))
                    .min_by(|a, b| worst(a.1).total_cmp(&worst(b.1)).then(mean(a.1).total_cmp(&mean(b.1)))),
                false,
            ),
        };
        let Some(((mb, mc), ps)) = choice else { return };
        let cost = mean(ps);
        let error_ratio = ps.iter().map(|p| p.error_ratio).fold(0.0, f64::max);
        let max_of = |f: fn(&PolicyPoint) -> Option<f64>| ps.iter().filter_map(|p| f(p)).reduce(f64::max);
        let latency_ms = max_of(|p| p.latency_ms);
        let end_to_end = max_of(|p| p.end_to_end_p99_ms);
        let instance_cost = self.out.tuning.as_ref().filter(|t| t.meets).map(|t| t.cost_usd);
        let n = ps.len();
        let note = if meets {
            let against = match instance_cost {
                Some(i) if i > 0.0 => format!(
                    ", {} the tuned instance policy's {} ({:.0} %)",
                    if cost <= i { "below" } else { "above" },
                    usd(i),
                    cost / i * 100.0
                ),
                _ => String::new(),
            };
            format!(
                "{} with MaxConcurrency {mc} held the objective on {n} seed{}: {} on the traffic{against}; p99 end to end {} ms, cold starts included.",
                serverless_label(mb),
                if n == 1 { "" } else { "s" },
                usd(cost),
                end_to_end.map_or("-".into(), |v| crate::fmt::fmt_num(libm::round(v)))
            )
        } else {
            format!(
                "no serverless configuration held the objective on the traffic (requests beyond MaxConcurrency are throttled, and cold starts add to the first requests); shown is {} with MaxConcurrency {mc}, the one with the fewest failures ({:.2} %)",
                serverless_label(mb),
                error_ratio * 100.0
            )
        };
        let scenario = self.serverless_scenario(mb, mc);
        self.out.serverless = Some(ServerlessChoice {
            memory_size_in_mb: mb,
            max_concurrency: mc,
            meets,
            cost_usd: cost,
            instance_cost_usd: instance_cost,
            error_ratio,
            latency_ms,
            end_to_end_p99_ms: end_to_end,
            note,
            scenario,
        });
    }

    fn one_instance_rps(&self) -> f64 {
        let r = self.out.recommendation.as_ref();
        r.and_then(|r| self.out.configurations.iter().find(|c| c.instance_type == r.instance_type))
            .map_or(0.0, |c| c.max_rps)
    }

    /// A target value: max RPS per instance × factor × 60, to three significant digits (and
    /// above 0, as AWS requires).
    fn target(&self, factor: f64) -> f64 {
        let v = self.one_instance_rps() * factor * 60.0;
        if !(v.is_finite() && v > 0.0) {
            return 0.0;
        }
        let scale = libm::pow(10.0, libm::floor(libm::log10(v)) - 2.0);
        libm::round(v / scale) * scale
    }

    fn empty_tuning(&self) -> Tuning {
        let guidance = self.target(self.req.safety_factor);
        Tuning {
            guidance_target_value: guidance,
            target_value: guidance,
            scale_in_cooldown: DEFAULT_COOLDOWN_SECS,
            scale_out_cooldown: DEFAULT_COOLDOWN_SECS,
            meets: false,
            cost_usd: 0.0,
            guidance_cost_usd: None,
            points: Vec::new(),
            note: String::new(),
        }
    }

    fn seed_n(&self, k: u32) -> u64 {
        self.req.seed.wrapping_add(u64::from(k) * 1_000_003)
    }

    fn policy_job(&self, target: f64, scale_in: u32, seed: u64) -> Option<(Job, Purpose)> {
        let scenario = self.scenario_with(Some((target, scale_in)))?;
        Some((
            Job::Policy(PolicyRun {
                scenario,
                target_value: target,
                scale_in_cooldown: scale_in,
                objective: self.req.objective,
                seed,
            }),
            Purpose::Policy { target, scale_in_cooldown: scale_in, seed },
        ))
    }

    /// Candidates by stage: a grid of target values around the guidance (first seed), then
    /// neighbours of the cheapest that held and other scale-in cooldowns, then the best few on
    /// the other seeds.
    fn policy_jobs(&self) -> Vec<(Job, Purpose)> {
        if self.one_instance_rps() <= 0.0 {
            return Vec::new();
        }
        let s0 = self.seed_n(0);
        let points: &[PolicyPoint] = self.out.tuning.as_ref().map_or(&[], |t| &t.points);
        let tried = |t: f64, c: u32, seed: u64| {
            points.iter().any(|p| p.target_value == t && p.scale_in_cooldown == c && p.seed == seed)
        };
        let mut want: Vec<(f64, u32, u64)> = Vec::new();
        match self.stage {
            Stage::Screen => {
                let mut factors = vec![0.3, 0.4, 0.5, 0.6, 0.7, 0.8, 0.9];
                factors.push(self.req.safety_factor);
                for f in factors {
                    want.push((self.target(f), DEFAULT_COOLDOWN_SECS, s0));
                }
            }
            Stage::Refine => {
                let best = points.iter().filter(|p| p.meets).min_by(|a, b| a.cost_usd.total_cmp(&b.cost_usd));
                if let Some(b) = best {
                    let f = b.target_value / (self.one_instance_rps() * 60.0);
                    for df in [-0.05, 0.05] {
                        want.push((self.target((f + df).clamp(0.05, 1.0)), DEFAULT_COOLDOWN_SECS, s0));
                    }
                    for c in [120, 600] {
                        want.push((b.target_value, c, s0));
                    }
                }
            }
            Stage::Confirm => {
                // Candidates that held on the first seed, cheapest first, not yet refuted on
                // another; the three cheapest still open run on the other seeds, until the
                // cheapest open one is confirmed on every seed (or none is left).
                let mut ok: Vec<&PolicyPoint> = points.iter().filter(|p| p.meets && p.seed == s0).collect();
                ok.sort_by(|a, b| a.cost_usd.total_cmp(&b.cost_usd).then(a.target_value.total_cmp(&b.target_value)));
                let groups = by_candidate(points);
                let runs = |p: &PolicyPoint| groups.get(&candidate(p)).map_or(&[][..], Vec::as_slice);
                let open: Vec<&PolicyPoint> = ok.into_iter().filter(|p| runs(p).iter().all(|q| q.meets)).collect();
                let complete =
                    |p: &PolicyPoint| (0..self.req.seeds).all(|k| runs(p).iter().any(|q| q.seed == self.seed_n(k)));
                if open.first().is_none_or(|p| complete(p)) {
                    return Vec::new();
                }
                for p in open.iter().filter(|p| !complete(p)).take(3) {
                    for k in 1..self.req.seeds {
                        want.push((p.target_value, p.scale_in_cooldown, self.seed_n(k)));
                    }
                }
            }
            _ => {}
        }
        let mut jobs = Vec::new();
        for (t, c, seed) in want {
            if t > 0.0 && !tried(t, c, seed) && !jobs.iter().any(|(j, _): &(Job, Purpose)| matches!(j, Job::Policy(p) if p.target_value == t && p.scale_in_cooldown == c && p.seed == seed)) {
                jobs.extend(self.policy_job(t, c, seed));
            }
        }
        jobs
    }

    /// The cheapest candidate that held on every seed (mean cost), or the one with the fewest
    /// failures when none did.
    fn choose_policy(&mut self) {
        let seeds: Vec<u64> = (0..self.req.seeds).map(|k| self.seed_n(k)).collect();
        let Some(mut tuning) = self.out.tuning.take() else {
            self.finish_scenario();
            return;
        };
        let candidates = by_candidate(&tuning.points);
        let mean = |ps: &[&PolicyPoint]| ps.iter().map(|p| p.cost_usd).sum::<f64>() / ps.len().max(1) as f64;
        let full = |ps: &[&PolicyPoint]| seeds.iter().all(|s| ps.iter().any(|p| p.seed == *s));
        let held = candidates
            .iter()
            .filter(|(_, ps)| full(ps) && ps.iter().all(|p| p.meets))
            .min_by(|a, b| mean(a.1).total_cmp(&mean(b.1)).then(b.0.0.cmp(&a.0.0)));
        let s0 = seeds.first().copied().unwrap_or(0);
        let (choice, meets) = match held {
            Some((k, ps)) => (Some((f64::from_bits(k.0), k.1, mean(ps))), true),
            None => {
                // The candidate whose worst seed failed least (latency misses count as failures).
                let worst = |ps: &[&PolicyPoint]| {
                    ps.iter().map(|p| p.error_ratio + if p.meets { 0.0 } else { 1e-9 }).fold(0.0, f64::max)
                };
                let safest = candidates
                    .iter()
                    .min_by(|a, b| worst(a.1).total_cmp(&worst(b.1)).then(mean(a.1).total_cmp(&mean(b.1))));
                (safest.map(|(k, ps)| (f64::from_bits(k.0), k.1, mean(ps))), false)
            }
        };
        let guidance = tuning.guidance_target_value;
        tuning.guidance_cost_usd = tuning
            .points
            .iter()
            .find(|p| p.target_value == guidance && p.scale_in_cooldown == DEFAULT_COOLDOWN_SECS && p.seed == s0)
            .map(|p| p.cost_usd);
        if let Some((t, c, cost)) = choice {
            tuning.target_value = t;
            tuning.scale_in_cooldown = c;
            tuning.cost_usd = cost;
        }
        tuning.meets = meets;
        tuning.note = if meets {
            format!(
                "TargetValue {} (the guidance gives {}) and ScaleInCooldown {} s held the objective on {} seed{} at the lowest cost.",
                crate::fmt::fmt_num(tuning.target_value),
                crate::fmt::fmt_num(guidance),
                tuning.scale_in_cooldown,
                seeds.len(),
                if seeds.len() == 1 { "" } else { "s" }
            )
        } else {
            "no candidate held the objective on the traffic (scale-out cannot keep up with how fast it rises): raise MinCapacity or lower the target; shown is the candidate with the fewest failures".into()
        };
        self.out.tuning = Some(tuning);
        self.finish_scenario();
    }

    fn finish_scenario(&mut self) {
        let policy = self.out.tuning.as_ref().map(|t| (t.target_value, t.scale_in_cooldown));
        let policy = policy.or_else(|| {
            let one = self.one_instance_rps();
            (one > 0.0).then(|| (self.target(self.req.safety_factor), DEFAULT_COOLDOWN_SECS))
        });
        self.out.policy = policy.and_then(|(t, c)| self.policy_json(t, c));
        self.out.scenario = self.scenario_with(policy);
    }
}

/// A run that could not be made, recorded as one that did not hold.
fn failed_point(target_value: f64, scale_in_cooldown: u32, seed: u64) -> PolicyPoint {
    PolicyPoint {
        target_value,
        scale_in_cooldown,
        seed,
        cost_usd: 0.0,
        requests: 0,
        errors: 0,
        error_ratio: 1.0,
        latency_ms: None,
        max_instances: 0,
        meets: false,
        end_to_end_p99_ms: None,
    }
}

/// A policy candidate: its target value (as bits, to be a key) and scale-in cooldown.
fn candidate(p: &PolicyPoint) -> (u64, u32) {
    (p.target_value.to_bits(), p.scale_in_cooldown)
}

/// The explored points grouped by candidate (one point per seed run).
fn by_candidate(points: &[PolicyPoint]) -> BTreeMap<(u64, u32), Vec<&PolicyPoint>> {
    let mut out: BTreeMap<(u64, u32), Vec<&PolicyPoint>> = BTreeMap::new();
    for p in points {
        out.entry(candidate(p)).or_default().push(p);
    }
    out
}

/// Dollars, with four decimals below a cent (a serverless endpoint's cost on sporadic traffic).
fn usd(v: f64) -> String {
    if v.abs() < 0.01 && v != 0.0 { format!("${v:.4}") } else { format!("${v:.2}") }
}

/// A serverless candidate's name in the tables.
pub fn serverless_label(memory_size_in_mb: u32) -> String {
    format!("Serverless {memory_size_in_mb} MB")
}

/// How much slower one request runs on an environment of this size than on one vCPU (the
/// plan's rule: environments below one vCPU are slower, more vCPUs do not speed up a request).
fn serverless_slowdown(memory_size_in_mb: u32, d: &ServerlessDefaults) -> f64 {
    let vcpus = f64::from(memory_size_in_mb) / f64::from(d.memory_mb_per_vcpu.max(1));
    if vcpus < 1.0 { 1.0 / vcpus } else { 1.0 }
}

/// Requests per second one serverless environment serves with one vCPU or more (one request at
/// a time, the model's service time on its CPU reference type); `None` when the model has
/// profiles for accelerated types only.
fn serverless_environment_rps(model: &ModelRef) -> Option<f64> {
    let profile = match (&model.model, &model.profile) {
        (_, Some(p)) => p.clone(),
        (Some(name), None) => {
            let m = crate::profile::builtin_model(name)?;
            let t = crate::plan::serverless_reference_type(&m)?;
            m.profile_for(t.name)?.clone()
        }
        (None, None) => return None,
    };
    let secs = match (&profile.service_time, &profile.batching) {
        (Some(s), _) => s.mean.as_secs_f64(),
        (None, Some(b)) => b.fixed.as_secs_f64() + b.per_item.as_secs_f64(),
        (None, None) => return None,
    };
    (secs > 0.0).then(|| 1.0 / secs)
}

fn is_burstable(instance_type: &str) -> bool {
    catalog::lookup(instance_type).is_some_and(|t| t.burstable)
}

/// The default traffic to tune on: minimum for 10 minutes, a 30-minute ramp to the maximum, 20
/// minutes there, a 30-minute ramp down and 30 minutes at the minimum (2 hours).
pub fn default_ramp(min: f64, max: f64) -> (Traffic, Duration) {
    let phase = |mins: u64, from: f64, to: f64, name: &str| crate::traffic::Phase {
        duration: Duration::from_secs(mins * 60),
        arrival_rate: from,
        ramp_to: (from != to).then_some(to),
        name: Some(name.into()),
    };
    (
        Traffic::Phases(vec![
            phase(10, min, min, "minimum"),
            phase(30, min, max, "ramp up"),
            phase(20, max, max, "maximum"),
            phase(30, max, min, "ramp down"),
            phase(30, min, min, "minimum again"),
        ]),
        Duration::from_secs(120 * 60),
    )
}

/// Runs the lab to the end with `exec`, which runs a stage's jobs (in any order or in parallel)
/// and returns their outcomes in job order. `progress` sees the answer after each stage.
pub fn run(
    req: Request,
    mut exec: impl FnMut(&[Job]) -> Vec<Result<Outcome, Problems>>,
    mut progress: impl FnMut(&Rightsizing),
) -> Result<Rightsizing, Problems> {
    let mut lab = Lab::new(req)?;
    loop {
        let jobs = lab.next_jobs();
        if jobs.is_empty() {
            break;
        }
        let outcomes = exec(&jobs);
        lab.accept(outcomes);
        progress(lab.result());
    }
    Ok(lab.into_result())
}

/// Runs every job one after another.
pub fn sequential(jobs: &[Job]) -> Vec<Result<Outcome, Problems>> {
    jobs.iter().map(Job::run).collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_count_search_stops_where_a_count_holds_and_one_fewer_does_not() {
        let mut s = CountSearch::new(66.0, 36.0, MAX_COUNT);
        assert_eq!(s.linear, 2);
        assert_eq!(s.next(), vec![1, 2]);
        s.checked.insert(1, false);
        s.checked.insert(2, true);
        assert!(s.next().is_empty() && s.verified == Some(2));
        // The estimate was too low: counts above are tried until one holds.
        let mut s = CountSearch::new(100.0, 50.0, MAX_COUNT);
        assert_eq!(s.next(), vec![1, 2]);
        s.checked.insert(1, false);
        s.checked.insert(2, false);
        assert_eq!(s.next(), vec![3, 4]);
        s.checked.insert(3, true);
        s.checked.insert(4, true);
        assert!(s.next().is_empty() && s.verified == Some(3));
        // Zero load needs one instance; an impossible one gives up past the limit.
        assert_eq!(CountSearch::new(0.0, 5.0, MAX_COUNT).verified, Some(1));
        assert!(CountSearch::new(1e6, 1.0, MAX_COUNT).done);
        // The largest count is checked before giving up.
        let mut s = CountSearch::new(99.5, 1.0, MAX_COUNT);
        s.checked.insert(99, false);
        assert_eq!(s.next(), vec![100]);
        s.checked.insert(100, false);
        assert!(s.next().is_empty() && s.done && s.verified.is_none());
        // A count that held below one that failed is noise: the answer is above the failure.
        let mut s = CountSearch::new(10.0, 5.0, MAX_COUNT);
        s.checked.extend([(1, true), (2, false), (3, true)]);
        assert!(s.next().is_empty() && s.verified == Some(3));
    }

    #[test]
    fn a_rate_too_low_for_any_request_is_held() {
        let h = Hold {
            model: ModelRef::builtin("resnet50"),
            instance_type: "ml.g4dn.xlarge".into(),
            count: 1,
            rps: 1e-6,
            objective: Some(LatencyObjective::parse("p99:1s").unwrap()),
            seed: 1,
            serverless_memory_size_in_mb: None,
            serverless_defaults: None,
        };
        assert!(h.run().unwrap().holds);
    }

    #[test]
    fn a_measured_profile_needs_its_instance_types() {
        let profile = crate::profile::builtin_model("resnet50").unwrap().profile_for("ml.g4dn.xlarge").cloned();
        let mut r = Request::new("resnet50", 1.0, 2.0);
        r.model = ModelRef { model: None, profile };
        assert_eq!(Lab::new(r.clone()).unwrap_err().0[0].path, "instanceTypes");
        r.instance_types = vec!["ml.g4dn.xlarge".into(), "ml.g4dn.xlarge".into()];
        assert_eq!(Lab::new(r).unwrap().result().configurations.len(), 1, "duplicates are tried once");
    }

    #[test]
    fn bad_requests_name_the_field() {
        let mut r = Request::new("resnet50", 70.0, 60.0);
        let e = Lab::new(r.clone()).unwrap_err();
        assert_eq!(e.0[0].path, "minRps");
        r.min_rps = Some(10.0);
        r.instance_types = vec!["ml.m4.xlarge".into()];
        let e = Lab::new(r).unwrap_err();
        assert!(e.0[0].path == "instanceTypes[0]" && e.0[0].message.contains("no profile"), "{e}");
    }
}
