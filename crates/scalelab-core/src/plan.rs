//! Semantic validation: checks a parsed scenario, lists every problem at once, and compiles it
//! into a `Plan` the engine runs.

use crate::autoscaling::{AppAutoScaling, AutoScalingPlan};
use crate::catalog::{self, InstanceType};
use crate::fmt::fmt_count;
use crate::limits;
use crate::problem::{Diagnostics, Path, Problem, Problems, nearest, unknown};
use crate::profile::{self, ServingProfile};
use crate::rng::TimeDist;
use crate::scaling::{ManualSchedule, PlannedChange, Scaler};
use crate::scenario::{Routing, Scenario, Variant};
use crate::time::{Duration, SimTime, US_PER_SEC};
use crate::traffic::RateFn;

/// A checked scenario, ready to run.
#[derive(Clone, Debug)]
pub struct Plan {
    /// The scenario's name, for the report.
    pub name: String,
    pub routing: Routing,
    pub seed: u64,
    pub start_unix_secs: i64,
    pub duration_us: SimTime,
    pub rate: RateFn,
    pub expected_requests: f64,
    pub peak_rps: f64,
    pub variants: Vec<VariantPlan>,
    pub timeout_us: SimTime,
    pub publish_delay_us: SimTime,
    pub slo_us: Option<SimTime>,
    /// The scalers the engine runs, in this order (wake-ups at the same time run in it).
    pub scalers: Vec<ScalerSpec>,
    pub client: Option<crate::client::ClientPlan>,
    /// Closed-loop users instead of a rate (`rate` is then 0).
    pub users: Option<crate::traffic::UserSchedule>,
    pub warnings: Vec<String>,
}

/// A compiled scaler, instantiated by the engine. A new autoscaler is a new variant here, a
/// compile step in `plan` and a `Scaler` implementation in its own module.
#[derive(Clone, Debug)]
pub enum ScalerSpec {
    /// The scenario's `capacityChanges`, sorted by time (stable: equal times keep file order).
    Manual(Vec<PlannedChange>),
    /// The scenario's `scaling` section.
    ApplicationAutoScaling(AutoScalingPlan),
}

impl ScalerSpec {
    /// How long the engine must keep each period's latency distributions for this scaler
    /// (percentile statistics), if at all, and whether per minute is fine enough.
    pub fn distribution_horizon(&self) -> Option<(SimTime, bool)> {
        match self {
            ScalerSpec::Manual(_) => None,
            ScalerSpec::ApplicationAutoScaling(plan) => plan.distribution_horizon(),
        }
    }

    pub fn build(&self) -> Box<dyn Scaler> {
        match self {
            ScalerSpec::Manual(changes) => Box::new(ManualSchedule::new(changes.clone())),
            ScalerSpec::ApplicationAutoScaling(plan) => Box::new(AppAutoScaling::new(plan.clone())),
        }
    }
}

#[derive(Clone, Debug)]
pub struct VariantPlan {
    pub name: String,
    pub instance_type: InstanceType,
    pub price_usd_per_hour: f64,
    pub profile: ServingProfile,
    /// Initial instances, or initial copies for an inference component.
    pub initial_count: u32,
    pub weight: f64,
    pub inference_component: Option<IcPlan>,
    /// Asynchronous inference: the request timeout, queueing included.
    pub async_timeout_us: Option<SimTime>,
    /// Serverless inference (then `instance_type` is the CPU type whose profile the model's
    /// service times come from, and `price_usd_per_hour` is a provisioned environment's hour).
    pub serverless: Option<ServerlessPlan>,
}

/// A serverless variant: environments of `memory_mb` serving one request each.
#[derive(Clone, Debug, PartialEq)]
pub struct ServerlessPlan {
    pub memory_mb: u32,
    pub max_concurrency: u32,
    /// Provisioned concurrency at the start (0: on demand only).
    pub provisioned: u32,
    pub cold_start: crate::rng::TimeDist,
    pub idle_timeout_us: SimTime,
    pub provisioned_start_us: SimTime,
    /// Service times are the profile's × this (≥ 1: below one vCPU a request runs slower).
    pub slowdown: f64,
    pub on_demand_usd_per_gb_second: f64,
    pub provisioned_usd_per_gb_second: f64,
    pub provisioned_inference_usd_per_gb_second: f64,
}

impl ServerlessPlan {
    pub fn memory_gb(&self) -> f64 {
        f64::from(self.memory_mb) / 1024.0
    }
}

/// The memory sizes serverless inference offers, MB.
pub const SERVERLESS_MEMORY_SIZES: [u32; 6] = [1024, 2048, 3072, 4096, 5120, 6144];
/// The CPU types whose profile a built-in model's serverless service times come from, in order
/// of preference (compute-optimised first).
const SERVERLESS_REFERENCE_TYPES: [&str; 3] = ["ml.c5.xlarge", "ml.m5.xlarge", "ml.m4.xlarge"];

/// An inference component and the managed instances that host its copies.
#[derive(Clone, Debug, PartialEq)]
pub struct IcPlan {
    pub name: String,
    pub copies_per_instance: u32,
    pub min_instances: u32,
    pub max_instances: u32,
    /// Instances in service at the start.
    pub initial_instances: u32,
    pub scale_in_delay_us: SimTime,
}

/// Default seed when neither the scenario nor the caller gives one.
pub const DEFAULT_SEED: u64 = 1;

/// Checks `s` and compiles it. `seed` overrides the scenario's seed. Each section of the
/// scenario has its check-and-compile function below, in the order problems are listed.
pub fn plan(s: &Scenario, seed: Option<u64>) -> Result<Plan, Problems> {
    let mut d = Diagnostics::default();
    let seed = seed.or(s.seed).unwrap_or(DEFAULT_SEED);
    let start_unix_secs = check_run(s, &mut d);
    let traffic = compile_traffic(s, seed, start_unix_secs, &mut d);
    let variants = compile_endpoint(s, &mut d);
    check_pricing(s, &mut d);
    let changes = compile_changes(s, start_unix_secs, &mut d);
    check_objective(s, &mut d);
    let e = &s.endpoint;
    let (p, warnings) = (&mut d.problems, &mut d.warnings);
    let autoscaling = s.scaling.as_ref().map(|cfg| {
        let clock = crate::autoscaling::RunClock { start_unix_secs, duration_us: s.duration.as_micros() };
        crate::autoscaling::compile(cfg, &e.names(), s.metrics.publish_delay.as_micros(), clock, p, warnings)
    });
    let is_async = e.variants.iter().any(|v| v.async_inference.is_some());
    let client = s.client.as_ref().and_then(|c| crate::client::ClientPlan::compile(c, is_async, p, warnings));
    if let crate::traffic::Traffic::Users(u) = &s.traffic {
        if s.client.is_some() {
            p.push(Problem::new(
                "client",
                "closed-loop users send their next request when the last one ends: remove `client` (or use a rate-based traffic shape)",
            ));
        }
        if let Some(t) = &u.think_time {
            check_dist(t, &Path::of("traffic.users.thinkTime"), true, p);
        }
    }
    if !d.problems.is_empty() {
        return Err(Problems(d.problems));
    }
    // Compiled only once the users are checked: their counts and durations are bounded.
    let users = match &s.traffic {
        crate::traffic::Traffic::Users(u) => Some(u.schedule()),
        _ => None,
    };
    let mut scalers = vec![ScalerSpec::Manual(changes)];
    scalers.extend(autoscaling.map(ScalerSpec::ApplicationAutoScaling));
    Ok(Plan {
        name: s.name.clone(),
        routing: e.routing,
        seed,
        start_unix_secs,
        duration_us: s.duration.as_micros(),
        rate: traffic.rate,
        expected_requests: traffic.expected_requests,
        peak_rps: traffic.peak_rps,
        variants,
        timeout_us: e.invocation_timeout.as_micros(),
        publish_delay_us: s.metrics.publish_delay.as_micros(),
        slo_us: s.slo_latency.map(|d| d.as_micros()),
        scalers,
        client,
        users,
        warnings: d.warnings,
    })
}

/// The run: its length and start (returned, in Unix seconds).
fn check_run(s: &Scenario, d: &mut Diagnostics) -> i64 {
    let p = &mut d.problems;
    if s.duration < Duration::from_secs(1) {
        p.push(Problem::new("duration", "must be at least 1s"));
    } else if s.duration > Duration::from_secs(limits::MAX_DURATION_SECS) {
        p.push(Problem::new(
            "duration",
            format!("{} is longer than the limit of {}", s.duration, Duration::from_secs(limits::MAX_DURATION_SECS)),
        ));
    }
    match s.start_unix_secs() {
        Ok(t) => t,
        Err(e) => {
            p.push(Problem::new("start", e));
            0
        }
    }
}

struct CompiledTraffic {
    rate: RateFn,
    expected_requests: f64,
    peak_rps: f64,
}

/// The traffic shape, compiled into a rate function (checked against the request limit).
fn compile_traffic(s: &Scenario, seed: u64, start_unix_secs: i64, d: &mut Diagnostics) -> CompiledTraffic {
    let (p, warnings) = (&mut d.problems, &mut d.warnings);
    let duration_secs = s.duration.as_secs_f64();
    let mut traffic_problems = Vec::new();
    s.traffic.check(&Path::of("traffic"), &mut traffic_problems);
    if let crate::traffic::Traffic::Trace { invocations, .. } = &s.traffic
        && invocations.as_ref().is_some_and(|v| v.len() > limits::MAX_TRACE_POINTS)
    {
        traffic_problems
            .push(Problem::new("traffic.trace.invocations", format!("more than {} points", limits::MAX_TRACE_POINTS)));
    }
    let traffic_ok = traffic_problems.is_empty();
    p.extend(traffic_problems);

    let duration_whole_secs = libm::ceil(duration_secs.min(limits::MAX_DURATION_SECS as f64)) as u64;
    let rate = s.traffic.compile(seed, start_unix_secs, duration_secs);
    let (expected_requests, peak_rps) = match &s.traffic {
        crate::traffic::Traffic::Users(u) if traffic_ok => (u.max_requests(), 0.0),
        _ if traffic_ok => rate.expected_and_peak(duration_whole_secs),
        _ => (0.0, 0.0),
    };
    if expected_requests > limits::MAX_EXPECTED_REQUESTS {
        p.push(Problem::new(
            "traffic",
            format!(
                "about {} requests over {} is more than the limit of {}: shorten the run or lower the rate",
                fmt_count(expected_requests),
                s.duration,
                fmt_count(limits::MAX_EXPECTED_REQUESTS)
            ),
        ));
    }
    if traffic_ok && expected_requests == 0.0 {
        warnings.push("the traffic sends no requests during the run".to_string());
    }
    CompiledTraffic { rate, expected_requests, peak_rps }
}

/// The endpoint and its production variants.
fn compile_endpoint(s: &Scenario, d: &mut Diagnostics) -> Vec<VariantPlan> {
    let p = &mut d.problems;
    let e = &s.endpoint;
    if e.invocation_timeout < Duration::from_millis(1) {
        p.push(Problem::new("endpoint.invocationTimeout", "must be at least 1ms (SageMaker allows up to 60s)"));
    }
    if e.variants.is_empty() {
        p.push(Problem::new("endpoint.variants", "needs at least one production variant"));
    }
    if e.variants.len() > limits::MAX_VARIANTS {
        p.push(Problem::new("endpoint.variants", format!("at most {} variants", limits::MAX_VARIANTS)));
    }
    let variants = e.variants.iter().enumerate().filter_map(|(i, v)| compile_variant(s, i, v, d)).collect();
    if !e.variants.is_empty() && e.variants.iter().all(|v| v.initial_variant_weight == 0.0) {
        d.problems
            .push(Problem::new("endpoint.variants", "at least one variant needs an initialVariantWeight above 0"));
    }
    variants
}

/// One production variant: its instance type, model or inline profile, inference component
/// or asynchronous inference.
fn compile_variant(s: &Scenario, i: usize, v: &Variant, d: &mut Diagnostics) -> Option<VariantPlan> {
    let e = &s.endpoint;
    let p = &mut d.problems;
    let path = Path::of("endpoint.variants").index(i);
    if v.name.trim().is_empty() {
        p.push(Problem::new(path.join("name"), "must not be empty"));
    }
    if e.variants.iter().take(i).any(|o| o.name == v.name) {
        p.push(Problem::new(path.join("name"), format!("\"{}\" is used by another variant", v.name)));
    }
    let initial = v.initial_instance_count.unwrap_or(0);
    if initial > limits::MAX_INSTANCES_PER_VARIANT {
        p.push(Problem::new(
            path.join("initialInstanceCount"),
            format!("at most {}", limits::MAX_INSTANCES_PER_VARIANT),
        ));
    }
    if !(v.initial_variant_weight.is_finite() && v.initial_variant_weight >= 0.0) {
        p.push(Problem::new(path.join("initialVariantWeight"), "must be a number ≥ 0"));
    }
    if let Some(sc) = &v.serverless_config {
        return compile_serverless(s, i, v, sc, &path, d);
    }
    if v.serverless_defaults.is_some() {
        d.problems.push(Problem::new(
            path.join("serverlessDefaults"),
            "applies to a serverless variant only: add serverlessConfig, or remove it",
        ));
    }
    let (p, warnings) = (&mut d.problems, &mut d.warnings);
    if v.instance_type.is_empty() {
        p.push(Problem::new(
            path.join("instanceType"),
            "missing: name an instance type such as \"ml.m5.xlarge\" (or give a serverlessConfig)",
        ));
    }
    if v.initial_instance_count.is_none() {
        p.push(Problem::new(path.join("initialInstanceCount"), "missing: how many instances run at the start"));
    }
    let itype = catalog::lookup(&v.instance_type);
    if itype.is_none() && !v.instance_type.is_empty() {
        let names: Vec<&str> = catalog::names().collect();
        p.push(Problem::new(
            path.join("instanceType"),
            unknown("instance type", &v.instance_type, &names, "known types"),
        ));
    }
    if let Some(t) = itype
        && t.burstable
    {
        warnings.push(format!("{path}: {} is burstable; SageMaker does not auto scale burstable instances", t.name));
    }
    let profile = match (&v.model, &v.profile) {
        (Some(_), Some(_)) => {
            p.push(Problem::new(path.join("profile"), "give either `model` or `profile`, not both"));
            None
        }
        (None, None) => {
            p.push(Problem::new(
                path.clone(),
                "needs a `model` (a built-in such as \"decision-tree\") or an inline `profile`",
            ));
            None
        }
        (Some(name), None) => match profile::builtin_model(name) {
            None => {
                let models = profile::builtin_models();
                let names: Vec<&str> = models.iter().map(|m| m.name).collect();
                p.push(Problem::new(path.join("model"), unknown("model", name, &names, "built-in models")));
                None
            }
            Some(m) => match m.profile_for(&v.instance_type) {
                Some(pr) => Some(pr.clone()),
                None if itype.is_some() => {
                    p.push(Problem::new(
                        path.join("instanceType"),
                        format!(
                            "the built-in model \"{name}\" has no profile for {}; it has {} (or give an inline `profile`)",
                            v.instance_type,
                            m.instance_types().collect::<Vec<_>>().join(", ")
                        ),
                    ));
                    None
                }
                None => None,
            },
        },
        (None, Some(pr)) => {
            check_profile(pr, &path.join("profile"), p);
            Some(pr.clone())
        }
    };
    if let Some(a) = &v.async_inference {
        if a.invocation_timeout < Duration::from_secs(1) || a.invocation_timeout > Duration::from_secs(3600) {
            p.push(Problem::new(
                path.join("asyncInference.invocationTimeout"),
                "must be between 1s and 1h (SageMaker's default is 15m)",
            ));
        }
        if v.inference_component.is_some() {
            p.push(Problem::new(
                path.join("asyncInference"),
                "asynchronous inference and inference components do not combine; choose one",
            ));
        }
    }
    let ic = match (&v.inference_component, &v.managed_instance_scaling) {
        (None, None) => None,
        (None, Some(_)) => {
            warnings.push(format!(
                "{path}.managedInstanceScaling: without an inferenceComponent the instance count is set by scaling the variant; ignored"
            ));
            None
        }
        (Some(_), None) => {
            p.push(Problem::new(
                path.join("managedInstanceScaling"),
                "an inference component needs managed instance scaling: add {\"minInstanceCount\": 0, \"maxInstanceCount\": N}",
            ));
            None
        }
        (Some(ic), Some(m)) => {
            let ipath = path.join("inferenceComponent");
            if m.min_instance_count > m.max_instance_count {
                p.push(Problem::new(
                    path.join("managedInstanceScaling.minInstanceCount"),
                    format!("{} is above maxInstanceCount {}", m.min_instance_count, m.max_instance_count),
                ));
            }
            if m.max_instance_count > limits::MAX_INSTANCES_PER_VARIANT {
                p.push(Problem::new(
                    path.join("managedInstanceScaling.maxInstanceCount"),
                    format!("at most {}", limits::MAX_INSTANCES_PER_VARIANT),
                ));
            }
            if ic.copies_per_instance == 0 || ic.copies_per_instance > 64 {
                p.push(Problem::new(ipath.join("copiesPerInstance"), "must be between 1 and 64"));
            }
            let room = u64::from(m.max_instance_count) * u64::from(ic.copies_per_instance.max(1));
            if u64::from(ic.copy_count) > room {
                p.push(Problem::new(
                    ipath.join("copyCount"),
                    format!(
                        "{} copies do not fit: maxInstanceCount {} × copiesPerInstance {} holds {room}",
                        ic.copy_count, m.max_instance_count, ic.copies_per_instance
                    ),
                ));
            }
            if ic.name.trim().is_empty() {
                p.push(Problem::new(ipath.join("name"), "must not be empty"));
            }
            let needed = ic.copy_count.div_ceil(ic.copies_per_instance.max(1));
            Some(IcPlan {
                name: ic.name.clone(),
                copies_per_instance: ic.copies_per_instance.clamp(1, 64),
                min_instances: m.min_instance_count,
                max_instances: m.max_instance_count.min(limits::MAX_INSTANCES_PER_VARIANT),
                initial_instances: initial.max(needed).min(m.max_instance_count),
                scale_in_delay_us: ic.instance_scale_in_delay.as_micros(),
            })
        }
    };
    if let (Some(t), Some(profile)) = (itype, profile) {
        let price = s.pricing.get(t.name).copied().unwrap_or(t.price_usd_per_hour);
        return Some(VariantPlan {
            name: v.name.clone(),
            instance_type: *t,
            price_usd_per_hour: price,
            profile,
            initial_count: match &v.inference_component {
                Some(c) => c.copy_count,
                None => initial,
            }
            .min(limits::MAX_INSTANCES_PER_VARIANT),
            weight: v.initial_variant_weight,
            inference_component: ic,
            async_timeout_us: v.async_inference.as_ref().map(|a| a.invocation_timeout.as_micros()),
            serverless: None,
        });
    }
    None
}

/// The CPU instance type whose profile of a built-in model serverless environments use (none
/// for a model measured on accelerators only).
pub fn serverless_reference_type(m: &profile::BuiltinModel) -> Option<&'static InstanceType> {
    SERVERLESS_REFERENCE_TYPES
        .iter()
        .copied()
        .chain(m.instance_types())
        .filter_map(catalog::lookup)
        .find(|t| t.accelerators == 0 && m.profile_for(t.name).is_some())
}

/// A serverless variant: `ServerlessConfig` as `CreateEndpointConfig` checks it, what it does
/// not combine with, and the model's service times on a CPU reference type.
fn compile_serverless(
    s: &Scenario,
    i: usize,
    v: &Variant,
    sc: &crate::scenario::ServerlessConfig,
    path: &Path,
    d: &mut Diagnostics,
) -> Option<VariantPlan> {
    let p = &mut d.problems;
    let cpath = path.join("serverlessConfig");
    if !SERVERLESS_MEMORY_SIZES.contains(&sc.memory_size_in_mb) {
        p.push(Problem::new(cpath.join("MemorySizeInMB"), "must be 1024, 2048, 3072, 4096, 5120 or 6144"));
    }
    if !(1..=200).contains(&sc.max_concurrency) {
        p.push(Problem::new(cpath.join("MaxConcurrency"), "must be between 1 and 200"));
    }
    if let Some(pc) = sc.provisioned_concurrency
        && !(1..=sc.max_concurrency.max(1)).contains(&pc)
    {
        p.push(Problem::new(
            cpath.join("ProvisionedConcurrency"),
            format!("must be between 1 and MaxConcurrency ({})", sc.max_concurrency),
        ));
    }
    for (field, set) in [
        ("instanceType", !v.instance_type.is_empty()),
        ("initialInstanceCount", v.initial_instance_count.is_some()),
        ("inferenceComponent", v.inference_component.is_some()),
        ("managedInstanceScaling", v.managed_instance_scaling.is_some()),
        ("asyncInference", v.async_inference.is_some()),
    ] {
        if set {
            p.push(Problem::new(
                path.join(field),
                "a serverless variant has no instances: remove it (or remove serverlessConfig)",
            ));
        }
    }
    let first_serverless = s.endpoint.variants.iter().position(|x| x.serverless_config.is_some());
    if first_serverless == Some(i) && s.endpoint.variants.len() > 1 {
        p.push(Problem::new(
            Path::of("endpoint.variants"),
            "a serverless endpoint has one production variant; remove the others",
        ));
    }
    let defaults = v.serverless_defaults.clone().unwrap_or_default();
    let dpath = path.join("serverlessDefaults");
    if defaults.cold_start.mean > Duration::from_secs(180) {
        p.push(Problem::new(
            dpath.join("coldStart.mean"),
            "at most 3m: a serverless container must load and answer /ping within 3 minutes",
        ));
    }
    if defaults.idle_timeout < Duration::from_secs(1) || defaults.idle_timeout > Duration::from_secs(86_400) {
        p.push(Problem::new(dpath.join("idleTimeout"), "must be between 1s and 24h"));
    }
    if defaults.provisioned_start > Duration::from_secs(3600) {
        p.push(Problem::new(dpath.join("provisionedStart"), "at most 1h"));
    }
    if !(256..=16_384).contains(&defaults.memory_mb_per_vcpu) {
        p.push(Problem::new(dpath.join("memoryMbPerVcpu"), "must be between 256 and 16384"));
    }
    for (field, price) in [
        ("onDemandUsdPerGbSecond", defaults.on_demand_usd_per_gb_second),
        ("provisionedUsdPerGbSecond", defaults.provisioned_usd_per_gb_second),
        ("provisionedInferenceUsdPerGbSecond", defaults.provisioned_inference_usd_per_gb_second),
    ] {
        if !(price.is_finite() && (0.0..1.0).contains(&price)) {
            p.push(Problem::new(dpath.join(field), "must be a price ≥ 0 in USD per GB-second"));
        }
    }
    // The model's service times on a CPU type: serverless has no accelerators.
    let (itype, profile) = match (&v.model, &v.profile) {
        (Some(_), Some(_)) => {
            p.push(Problem::new(path.join("profile"), "give either `model` or `profile`, not both"));
            return None;
        }
        (None, None) => {
            p.push(Problem::new(
                path.clone(),
                "needs a `model` (a built-in such as \"decision-tree\") or an inline `profile`",
            ));
            return None;
        }
        (Some(name), None) => {
            let Some(m) = profile::builtin_model(name) else {
                let models = profile::builtin_models();
                let names: Vec<&str> = models.iter().map(|m| m.name).collect();
                p.push(Problem::new(path.join("model"), unknown("model", name, &names, "built-in models")));
                return None;
            };
            let Some(t) = serverless_reference_type(&m) else {
                p.push(Problem::new(
                    path.join("model"),
                    format!(
                        "the built-in model \"{name}\" has profiles for accelerated instances only, and serverless inference has no GPUs; give an inline CPU `profile`"
                    ),
                ));
                return None;
            };
            (*t, m.profile_for(t.name)?.clone())
        }
        (None, Some(pr)) => {
            check_profile(pr, &path.join("profile"), p);
            let t = catalog::lookup(SERVERLESS_REFERENCE_TYPES[0])?;
            (*t, pr.clone())
        }
    };
    let memory_mb = sc.memory_size_in_mb.clamp(1024, 6144);
    let gb = f64::from(memory_mb) / 1024.0;
    let vcpus = f64::from(memory_mb) / f64::from(defaults.memory_mb_per_vcpu.max(1));
    let plan = ServerlessPlan {
        memory_mb,
        max_concurrency: sc.max_concurrency.clamp(1, 200),
        provisioned: sc.provisioned_concurrency.unwrap_or(0).min(sc.max_concurrency.clamp(1, 200)),
        cold_start: defaults.cold_start.clone(),
        idle_timeout_us: defaults.idle_timeout.as_micros(),
        provisioned_start_us: defaults.provisioned_start.as_micros(),
        slowdown: if vcpus < 1.0 { 1.0 / vcpus } else { 1.0 },
        on_demand_usd_per_gb_second: defaults.on_demand_usd_per_gb_second,
        provisioned_usd_per_gb_second: defaults.provisioned_usd_per_gb_second,
        provisioned_inference_usd_per_gb_second: defaults.provisioned_inference_usd_per_gb_second,
    };
    Some(VariantPlan {
        name: v.name.clone(),
        instance_type: itype,
        price_usd_per_hour: plan.provisioned_usd_per_gb_second * gb * 3600.0,
        // One request per environment: one worker, no queue (a batch profile serves batches of one).
        profile: crate::profile::ServingProfile { workers: 1, queue_capacity: 0, ..profile },
        initial_count: plan.provisioned,
        weight: v.initial_variant_weight,
        inference_component: None,
        async_timeout_us: None,
        serverless: Some(plan),
    })
}

/// Price overrides.
fn check_pricing(s: &Scenario, d: &mut Diagnostics) {
    let p = &mut d.problems;
    for (name, price) in &s.pricing {
        if catalog::lookup(name).is_none() {
            let names: Vec<&str> = catalog::names().collect();
            let hint = nearest(name, &names).map(|n| format!("; did you mean \"{n}\"?")).unwrap_or_default();
            p.push(Problem::new(Path::of("pricing").key(name.as_str()), format!("unknown instance type{hint}")));
        }
        if !(price.is_finite() && *price >= 0.0) {
            p.push(Problem::new(Path::of("pricing").key(name.as_str()), "must be a price ≥ 0 in USD per hour"));
        }
    }
}

/// On-demand capacity changes, in both forms, sorted by time.
fn compile_changes(s: &Scenario, start_unix_secs: i64, d: &mut Diagnostics) -> Vec<PlannedChange> {
    let e = &s.endpoint;
    let (p, warnings) = (&mut d.problems, &mut d.warnings);
    if s.capacity_changes.len() > limits::MAX_CAPACITY_CHANGES {
        p.push(Problem::new("capacityChanges", format!("at most {} changes", limits::MAX_CAPACITY_CHANGES)));
    }
    let mut changes = Vec::new();
    for (i, c) in s.capacity_changes.iter().enumerate() {
        let path = Path::of("capacityChanges").index(i);
        // Both forms become (path, variant, count, weight) items.
        let items: Vec<(Path, &str, Option<u32>, Option<f64>)> = match (
            &c.variant,
            &c.update_endpoint_weights_and_capacities,
        ) {
            (Some(v), None) => {
                if c.desired_instance_count.is_none() && c.desired_weight.is_none() {
                    p.push(Problem::new(path.clone(), "set desiredInstanceCount, desiredWeight or both"));
                }
                vec![(path.clone(), v.as_str(), c.desired_instance_count, c.desired_weight)]
            }
            (None, Some(call)) => {
                let cpath = path.join("UpdateEndpointWeightsAndCapacities");
                if c.desired_instance_count.is_some() || c.desired_weight.is_some() {
                    p.push(Problem::new(
                        path.clone(),
                        "give the counts inside UpdateEndpointWeightsAndCapacities only",
                    ));
                }
                if call.endpoint_name != e.name {
                    p.push(Problem::new(
                        cpath.join("EndpointName"),
                        format!(
                            "\"{}\" is not the scenario's endpoint \"{}\" (endpoint.name)",
                            call.endpoint_name, e.name
                        ),
                    ));
                }
                if call.desired_weights_and_capacities.is_empty() {
                    p.push(Problem::new(cpath.join("DesiredWeightsAndCapacities"), "list at least one variant"));
                }
                call.desired_weights_and_capacities
                    .iter()
                    .enumerate()
                    .map(|(k, d)| {
                        let item = cpath.join("DesiredWeightsAndCapacities").index(k);
                        if d.desired_instance_count.is_none() && d.desired_weight.is_none() {
                            p.push(Problem::new(item.clone(), "set DesiredInstanceCount, DesiredWeight or both"));
                        }
                        (item, d.variant_name.as_str(), d.desired_instance_count, d.desired_weight)
                    })
                    .collect()
            }
            _ => {
                p.push(Problem::new(
                    path.clone(),
                    "give either `variant` (with desiredInstanceCount and/or desiredWeight) or an UpdateEndpointWeightsAndCapacities request",
                ));
                Vec::new()
            }
        };
        let at = match c.at.resolve(start_unix_secs) {
            Err(m) => {
                p.push(Problem::new(path.join("at"), format!("{} {m}", c.at)));
                None
            }
            Ok(at) if at > s.duration => {
                warnings.push(format!("{path}: at {} is after the end of the run ({}); ignored", c.at, s.duration));
                None
            }
            Ok(at) => Some(at),
        };
        for (item, name, count, weight) in items {
            let variant = e.variants.iter().position(|v| v.name == name);
            if variant.is_none() {
                let names: Vec<&str> = e.variants.iter().map(|v| v.name.as_str()).collect();
                let hint = match nearest(name, &names) {
                    Some(n) => format!("did you mean \"{n}\"?"),
                    None => format!("variants: {}", names.join(", ")),
                };
                let field = if item == path { path.join("variant") } else { item.join("VariantName") };
                p.push(Problem::new(field, format!("no variant named \"{name}\"; {hint}")));
            }
            if count.is_some_and(|n| n > limits::MAX_INSTANCES_PER_VARIANT) {
                p.push(Problem::new(item.clone(), format!("at most {} instances", limits::MAX_INSTANCES_PER_VARIANT)));
            }
            if count.is_some() && variant.and_then(|k| e.variants.get(k)).is_some_and(|v| v.serverless_config.is_some())
            {
                p.push(Problem::new(
                    item.clone(),
                    format!("{name} is serverless: it has no instance count; scale its provisioned concurrency with Application Auto Scaling"),
                ));
            }
            if weight.is_some_and(|w| !(w.is_finite() && w >= 0.0)) {
                p.push(Problem::new(item.clone(), "the weight must be a number ≥ 0"));
            }
            if let (Some(at), Some(variant)) = (at, variant) {
                changes.push(PlannedChange { at_us: at.as_micros(), variant, desired: count, weight });
            }
        }
    }
    changes.sort_by_key(|c| c.at_us);
    changes
}

/// The latency objective.
fn check_objective(s: &Scenario, d: &mut Diagnostics) {
    let p = &mut d.problems;
    if let Some(slo) = s.slo_latency
        && slo == Duration::ZERO
    {
        p.push(Problem::new("sloLatency", "must be longer than 0s"));
    }
}

fn check_dist(d: &TimeDist, path: &Path, allow_zero: bool, p: &mut Vec<Problem>) {
    if !allow_zero && d.mean == Duration::ZERO {
        p.push(Problem::new(path.join("mean"), "must be longer than 0s"));
    }
    if d.mean > Duration::from_secs(86_400) {
        p.push(Problem::new(path.join("mean"), "must be at most 1d"));
    }
    match (d.distribution, d.cv) {
        (crate::rng::Family::Lognormal, None) => {
            p.push(Problem::new(path.join("cv"), "a lognormal needs a coefficient of variation, e.g. \"cv\": 0.5"))
        }
        (_, Some(cv)) if !(cv.is_finite() && (0.0..=10.0).contains(&cv)) => {
            p.push(Problem::new(path.join("cv"), "must be between 0 and 10"))
        }
        _ => {}
    }
}

fn check_profile(pr: &ServingProfile, path: &Path, p: &mut Vec<Problem>) {
    if pr.workers == 0 || pr.workers > limits::MAX_WORKERS {
        p.push(Problem::new(path.join("workers"), format!("must be between 1 and {}", limits::MAX_WORKERS)));
    }
    if pr.queue_capacity > limits::MAX_QUEUE_CAPACITY {
        p.push(Problem::new(path.join("queueCapacity"), format!("at most {}", limits::MAX_QUEUE_CAPACITY)));
    }
    match (&pr.service_time, &pr.batching) {
        (None, None) => p.push(Problem::new(path.join("serviceTime"), "missing: give serviceTime (or batching)")),
        (Some(st), _) => check_dist(st, &path.join("serviceTime"), false, p),
        _ => {}
    }
    if let Some(b) = &pr.batching {
        if b.max_batch_size == 0 || b.max_batch_size > limits::MAX_BATCH_SIZE {
            p.push(Problem::new(
                path.join("batching.maxBatchSize"),
                format!("must be between 1 and {}", limits::MAX_BATCH_SIZE),
            ));
        }
        if b.fixed == Duration::ZERO && b.per_item == Duration::ZERO {
            p.push(Problem::new(path.join("batching"), "fixed and perItem cannot both be 0s"));
        }
        let d = TimeDist { distribution: b.distribution, mean: b.fixed, cv: b.cv };
        check_dist(&d, &path.join("batching"), true, p);
    }
    check_dist(&pr.overhead, &path.join("overhead"), true, p);
    for (name, d) in [
        ("provisioning", &pr.cold_start.provisioning),
        ("imagePull", &pr.cold_start.image_pull),
        ("modelLoad", &pr.cold_start.model_load),
    ] {
        check_dist(d, &path.join("coldStart").join(name), true, p);
    }
    let u = &pr.utilization;
    for (name, v) in [
        ("cpuIdlePct", u.cpu_idle_pct),
        ("cpuPerBusyWorkerPct", u.cpu_per_busy_worker_pct),
        ("gpuPerBusyWorkerPct", u.gpu_per_busy_worker_pct),
        ("memoryBasePct", u.memory_base_pct),
        ("memoryPerRequestPct", u.memory_per_request_pct),
    ] {
        if !(v.is_finite() && v >= 0.0) {
            p.push(Problem::new(path.join("utilization").join(name), "must be a percentage ≥ 0"));
        }
    }
}

impl Plan {
    pub fn duration_secs(&self) -> f64 {
        self.duration_us as f64 / US_PER_SEC as f64
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn scenario(extra: serde_json::Value) -> Scenario {
        let mut v = serde_json::json!({
            "version": 1,
            "duration": "1h",
            "traffic": {"constant": {"rps": 10}},
            "endpoint": {"name": "ep", "variants": [
                {"name": "A", "instanceType": "ml.m5.xlarge", "initialInstanceCount": 1, "model": "decision-tree"},
                {"name": "B", "instanceType": "ml.m5.xlarge", "initialInstanceCount": 2, "model": "decision-tree"}
            ]}
        });
        for (k, x) in extra.as_object().unwrap() {
            v[k] = x.clone();
        }
        Scenario::from_value(v).unwrap()
    }

    fn messages(d: &Diagnostics) -> Vec<String> {
        d.problems.iter().map(|p| p.to_string()).collect()
    }

    #[test]
    fn run_section_checks_length_and_start() {
        let mut d = Diagnostics::default();
        let start = check_run(&scenario(serde_json::json!({"start": "2026-03-01T08:00:00Z"})), &mut d);
        assert!(d.problems.is_empty());
        assert_eq!(start, 1_772_352_000);
        let s = scenario(serde_json::json!({"duration": "0s", "start": "yesterday"}));
        let mut d = Diagnostics::default();
        assert_eq!(check_run(&s, &mut d), 0);
        let m = messages(&d);
        assert_eq!(m.len(), 2, "{m:?}");
        assert_eq!(m[0], "duration: must be at least 1s");
        assert!(m[1].starts_with("start: "), "{m:?}");
    }

    #[test]
    fn traffic_section_counts_the_requests() {
        let mut d = Diagnostics::default();
        let t = compile_traffic(&scenario(serde_json::json!({})), 1, 0, &mut d);
        assert!(d.problems.is_empty() && d.warnings.is_empty());
        assert!((t.expected_requests - 36_000.0).abs() < 1e-6, "{}", t.expected_requests);
        assert!((t.peak_rps - 10.0).abs() < 1e-9);
        let mut d = Diagnostics::default();
        compile_traffic(&scenario(serde_json::json!({"traffic": {"constant": {"rps": 0}}})), 1, 0, &mut d);
        assert_eq!(d.warnings, ["the traffic sends no requests during the run"]);
    }

    #[test]
    fn variant_section_resolves_the_profile_and_names_unknown_types() {
        let s = scenario(serde_json::json!({}));
        let mut d = Diagnostics::default();
        let v = compile_variant(&s, 1, &s.endpoint.variants[1], &mut d).unwrap();
        assert_eq!((v.name.as_str(), v.initial_count, v.instance_type.name), ("B", 2, "ml.m5.xlarge"));
        let mut bad = s.endpoint.variants[0].clone();
        bad.instance_type = "ml.m5.xlarg".into();
        let mut d = Diagnostics::default();
        assert!(compile_variant(&s, 0, &bad, &mut d).is_none());
        assert_eq!(
            messages(&d),
            [
                "endpoint.variants[0].instanceType: unknown instance type \"ml.m5.xlarg\"; did you mean \"ml.m5.xlarge\"?"
            ]
        );
    }

    #[test]
    fn changes_section_sorts_stably_and_names_unknown_variants() {
        let s = scenario(serde_json::json!({"capacityChanges": [
            {"at": "30m", "variant": "B", "desiredInstanceCount": 3},
            {"at": "10m", "variant": "A", "desiredWeight": 2},
            {"at": "10m", "variant": "B", "desiredInstanceCount": 1},
            {"at": "20m", "variant": "Zzz", "desiredInstanceCount": 1}
        ]}));
        let mut d = Diagnostics::default();
        let changes = compile_changes(&s, 0, &mut d);
        let order: Vec<(u64, usize)> = changes.iter().map(|c| (c.at_us / 60_000_000, c.variant)).collect();
        assert_eq!(order, [(10, 0), (10, 1), (30, 1)], "equal times keep the file's order");
        assert_eq!(messages(&d), ["capacityChanges[3].variant: no variant named \"Zzz\"; variants: A, B"]);
    }
}
