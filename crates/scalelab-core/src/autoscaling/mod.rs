//! Application Auto Scaling on SageMaker variants: scalable targets, target tracking and step
//! scaling policies, and the CloudWatch alarms that drive them. `compile` checks the AWS request
//! bodies of a scenario; `AppAutoScaling` is the `Scaler` that runs them.

pub mod alarm;
pub mod aws;
pub mod math;
pub mod policy;
mod query;
pub mod schedule;
pub mod stat;

use self::alarm::{AlarmDef, AlarmState, Evaluation, MetricRef, Source};
use self::aws::{
    AdjustmentType, ComparisonOperator, Dimension, MetricAggregationType, PolicyType, ScalingConfig, Statistic,
    StepScalingConfig, SuspendedState, TreatMissingData,
};
use self::stat::Stat;
use crate::fmt::num;
use crate::limits;
use crate::metrics::Metric;
use crate::problem::{Path, Problem, nearest};
use crate::scaling::{
    Cause, Command, Cooldown, CooldownKind, Evidence, Guide, GuideRole, Rule, Scaler, ScalerMetric, StateChange, View,
};
use crate::time::{SimTime, US_PER_SEC};

pub const SERVICE_NAMESPACE: &str = "sagemaker";
pub const VARIANT_DIMENSION: &str = "sagemaker:variant:DesiredInstanceCount";
pub const COMPONENT_DIMENSION: &str = "sagemaker:inference-component:DesiredCopyCount";
pub const PROVISIONED_CONCURRENCY_DIMENSION: &str = "sagemaker:variant:DesiredProvisionedConcurrency";

/// A checked scaling configuration.
#[derive(Clone, Debug)]
pub struct AutoScalingPlan {
    pub targets: Vec<TargetDef>,
    pub policies: Vec<PolicyDef>,
    pub alarms: Vec<AlarmBinding>,
    /// Scheduled actions firing during the run, in time order.
    pub firings: Vec<Firing>,
    pub publish_delay_us: SimTime,
}

impl AutoScalingPlan {
    /// How long the run must keep each period's latency distributions for the alarms that
    /// read percentiles (their evaluation range, metric math's earlier periods and the publish
    /// delay), or `None` when no alarm does.
    pub fn distribution_horizon(&self) -> Option<(SimTime, bool)> {
        let reading = || self.alarms.iter().filter(|a| a.def.metric.needs_distribution());
        let horizon = reading()
            .map(|a| {
                let periods = u64::from(a.def.evaluation_periods + alarm::MATH_LOOKBACK_PERIODS + 1);
                periods * a.def.period_us + self.publish_delay_us
            })
            .max()?;
        // Per minute when every such alarm's period is a whole number of minutes.
        let per_minute = reading().all(|a| a.def.period_us.is_multiple_of(60 * US_PER_SEC));
        Some((horizon, per_minute))
    }
}

/// One firing of a scheduled action.
#[derive(Clone, Debug, PartialEq)]
pub struct Firing {
    pub at_us: SimTime,
    pub target: usize,
    pub name: String,
    pub schedule: String,
    pub min: Option<u32>,
    pub max: Option<u32>,
}

/// Most firings of scheduled actions one run may have.
pub const MAX_FIRINGS: usize = 50_000;

#[derive(Clone, Debug)]
pub struct TargetDef {
    pub variant: usize,
    pub resource_id: String,
    pub min: u32,
    pub max: u32,
    pub suspended: SuspendedState,
}

#[derive(Clone, Debug)]
pub struct PolicyDef {
    pub name: String,
    pub target: usize,
    pub kind: PolicyKind,
}

#[derive(Clone, Debug)]
pub enum PolicyKind {
    TargetTracking {
        target_value: f64,
        metric: Source,
        scale_out_cooldown_us: SimTime,
        scale_in_cooldown_us: SimTime,
        disable_scale_in: bool,
        scale_in_factor: f64,
    },
    Step {
        config: StepScalingConfig,
        cooldown_us: SimTime,
    },
}

/// An alarm and what it drives.
#[derive(Clone, Debug)]
pub struct AlarmBinding {
    pub def: AlarmDef,
    /// Step policies in `AlarmActions` (for managed alarms: the target tracking policy).
    pub actions: Vec<usize>,
    /// For target tracking's own alarms: the policy and whether this is the scale-out alarm.
    pub managed: Option<(usize, bool)>,
}

fn parse_resource_id(id: &str) -> Option<(&str, &str)> {
    let rest = id.strip_prefix("endpoint/")?;
    let (endpoint, variant) = rest.split_once("/variant/")?;
    Some((endpoint, variant))
}

/// Resolves a policy reference in `AlarmActions`: a policy name, or an Application Auto Scaling
/// policy ARN ending in `policyName/NAME`.
pub(crate) fn policy_name_of(action: &str) -> Option<&str> {
    if action.starts_with("arn:") {
        if !action.contains(":autoscaling:") {
            return None;
        }
        return action.rsplit_once("policyName/").map(|(_, n)| n);
    }
    Some(action)
}

/// What compiling a scaling section needs to know of the endpoint (the plan fills it in from the
/// scenario): its name, and each variant's name and inference component, in the scenario's order.
#[derive(Clone, Debug, PartialEq)]
pub struct EndpointNames {
    pub name: String,
    pub variants: Vec<VariantNames>,
}

#[derive(Clone, Debug, PartialEq)]
pub struct VariantNames {
    pub name: String,
    /// `InferenceComponentName`, when the variant hosts one.
    pub inference_component: Option<String>,
    /// A serverless variant (it scales its provisioned concurrency).
    pub serverless: bool,
}

/// The run's clock, for scheduled actions.
#[derive(Clone, Copy, Debug)]
pub struct RunClock {
    pub start_unix_secs: i64,
    pub duration_us: SimTime,
}

/// Checks a scenario's scaling section against its endpoint and compiles it.
pub fn compile(
    cfg: &ScalingConfig,
    endpoint: &EndpointNames,
    publish_delay_us: SimTime,
    clock: RunClock,
    problems: &mut Vec<Problem>,
    warnings: &mut Vec<String>,
) -> AutoScalingPlan {
    let d = &cfg.target_tracking_defaults;
    let variant_names: Vec<&str> = endpoint.variants.iter().map(|v| v.name.as_str()).collect();
    let mut err = |path: Path, msg: String| problems.push(Problem::new(path, msg));
    let defaults_path = Path::of("scaling.targetTrackingDefaults");
    if !(d.scale_in_factor > 0.0 && d.scale_in_factor <= 1.0) {
        err(defaults_path.join("scaleInFactor"), "must be in (0, 1]; AWS uses 0.9".into());
    }
    for (name, v) in [
        ("scaleOutDatapoints", d.scale_out_datapoints),
        ("scaleOutDatapointsHighResolution", d.scale_out_datapoints_high_resolution),
        ("scaleInDatapoints", d.scale_in_datapoints),
        ("scaleInDatapointsHighResolution", d.scale_in_datapoints_high_resolution),
    ] {
        if v == 0 || v > 1000 {
            err(defaults_path.join(name), "must be between 1 and 1000".into());
        }
    }

    let components: Vec<&str> = endpoint.variants.iter().filter_map(|v| v.inference_component.as_deref()).collect();
    // Resolves a scalable target ("endpoint/E/variant/V" with DesiredInstanceCount, or
    // "inference-component/N" with DesiredCopyCount) to a variant index.
    let resolve_target = |path: &Path,
                          ns: &str,
                          id: &str,
                          dim: &str,
                          err: &mut dyn FnMut(Path, String)|
     -> Option<usize> {
        if ns != SERVICE_NAMESPACE {
            err(path.join("ServiceNamespace"), format!("must be \"{SERVICE_NAMESPACE}\", got \"{ns}\""));
        }
        let rpath = path.join("ResourceId");
        let dpath = path.join("ScalableDimension");
        if let Some(name) = id.strip_prefix("inference-component/") {
            if dim != COMPONENT_DIMENSION {
                err(dpath, format!("an inference component scales \"{COMPONENT_DIMENSION}\", got \"{dim}\""));
            }
            let found = endpoint.variants.iter().position(|v| v.inference_component.as_deref() == Some(name));
            if found.is_none() {
                let hint = match nearest(name, &components) {
                    Some(n) => format!("did you mean \"{n}\"?"),
                    None if components.is_empty() => "declare it in a variant's inferenceComponent".into(),
                    None => format!("components: {}", components.join(", ")),
                };
                err(rpath, format!("no inference component named \"{name}\"; {hint}"));
            }
            return found;
        }
        let Some((e, v)) = parse_resource_id(id) else {
            err(
                rpath,
                format!(
                    "\"{id}\" is not a scalable resource; write \"endpoint/{}/variant/<VariantName>\" or \"inference-component/<name>\"",
                    endpoint.name
                ),
            );
            return None;
        };
        if e != endpoint.name {
            err(
                rpath,
                format!("names endpoint \"{e}\" but the scenario's endpoint is \"{}\" (endpoint.name)", endpoint.name),
            );
            return None;
        }
        let serverless = endpoint.variants.iter().find(|x| x.name == v).is_some_and(|x| x.serverless);
        match (serverless, dim) {
            (false, VARIANT_DIMENSION) | (true, PROVISIONED_CONCURRENCY_DIMENSION) => {}
            (false, PROVISIONED_CONCURRENCY_DIMENSION) => err(
                dpath,
                format!(
                    "{v} runs on instances: it scales \"{VARIANT_DIMENSION}\" (provisioned concurrency is for serverless variants)"
                ),
            ),
            (true, _) => err(
                dpath,
                format!(
                    "{v} is serverless: it scales its provisioned concurrency, \"{PROVISIONED_CONCURRENCY_DIMENSION}\""
                ),
            ),
            (false, _) => err(dpath, format!("a variant scales \"{VARIANT_DIMENSION}\", got \"{dim}\"")),
        }
        match variant_names.iter().position(|n| *n == v) {
            Some(i) => {
                if let Some(ic) = endpoint.variants.get(i).and_then(|x| x.inference_component.as_deref()) {
                    err(
                        rpath,
                        format!(
                            "variant {v} hosts inference component {ic}: its instances follow the copies (managed instance scaling); register \"inference-component/{ic}\" with \"{COMPONENT_DIMENSION}\"",
                        ),
                    );
                    return None;
                }
                Some(i)
            }
            None => {
                let hint = nearest(v, &variant_names).map(|n| format!("; did you mean \"{n}\"?")).unwrap_or_default();
                err(rpath, format!("the endpoint has no variant \"{v}\"{hint}"));
                None
            }
        }
    };

    let mut targets: Vec<TargetDef> = Vec::new();
    for (i, t) in cfg.register_scalable_target.iter().enumerate() {
        let path = Path::of("scaling.RegisterScalableTarget").index(i);
        if t.min_capacity > t.max_capacity {
            err(path.join("MinCapacity"), format!("{} is above MaxCapacity {}", t.min_capacity, t.max_capacity));
        }
        if t.max_capacity > limits::MAX_INSTANCES_PER_VARIANT {
            err(path.join("MaxCapacity"), format!("at most {}", limits::MAX_INSTANCES_PER_VARIANT));
        }
        if t.scalable_dimension == PROVISIONED_CONCURRENCY_DIMENSION && t.min_capacity == 0 {
            err(path.join("MinCapacity"), "provisioned concurrency is at least 1".into());
        }
        if let Some(v) = resolve_target(&path, &t.service_namespace, &t.resource_id, &t.scalable_dimension, &mut err) {
            if targets.iter().any(|x| x.variant == v) {
                err(path.join("ResourceId"), format!("\"{}\" is registered twice", t.resource_id));
            } else {
                targets.push(TargetDef {
                    variant: v,
                    resource_id: t.resource_id.clone(),
                    min: t.min_capacity,
                    max: t.max_capacity,
                    suspended: t.suspended_state.unwrap_or_default(),
                });
            }
        }
    }

    // A policy's or scheduled action's target: resolved, and registered. (variant, target)
    let registered = |path: &Path, ns: &str, id: &str, dim: &str, err: &mut dyn FnMut(Path, String)| {
        let variant = resolve_target(path, ns, id, dim, err)?;
        let target = targets.iter().position(|t| t.variant == variant);
        if target.is_none() {
            err(
                path.join("ResourceId"),
                format!(
                    "\"{id}\" is not registered: add a RegisterScalableTarget for it with MinCapacity and MaxCapacity"
                ),
            );
        }
        Some((variant, target?))
    };
    let resolve_dims = |dims: &[Dimension]| {
        resolve_dimensions(dims, endpoint, &variant_names)
            .map(|v| (v, endpoint.variants.get(v).is_some_and(|x| x.serverless)))
    };
    let mut policies: Vec<PolicyDef> = Vec::new();
    let mut alarms: Vec<AlarmBinding> = Vec::new();
    for (i, p) in cfg.put_scaling_policy.iter().enumerate() {
        let path = Path::of("scaling.PutScalingPolicy").index(i);
        let Some((variant, target)) =
            registered(&path, &p.service_namespace, &p.resource_id, &p.scalable_dimension, &mut err)
        else {
            continue;
        };
        if policies.iter().any(|q| q.target == target && q.name == p.policy_name) {
            err(path.join("PolicyName"), format!("\"{}\" is used twice on this target", p.policy_name));
        }
        let tt = &p.target_tracking_scaling_policy_configuration;
        let step = &p.step_scaling_policy_configuration;
        let kind = match (p.policy_type, tt, step) {
            (PolicyType::PredictiveScaling, _, _) => {
                err(path.join("PolicyType"), "PredictiveScaling is not available for SageMaker variants".into());
                continue;
            }
            (PolicyType::TargetTrackingScaling, Some(tt), None) => {
                let tpath = path.join("TargetTrackingScalingPolicyConfiguration");
                if !(tt.target_value.is_finite() && tt.target_value > 0.0) {
                    err(tpath.join("TargetValue"), "must be a number above 0".into());
                }
                let metric = match (&tt.predefined_metric_specification, &tt.customized_metric_specification) {
                    (Some(pm), None) => {
                        let mpath = tpath.join("PredefinedMetricSpecification");
                        if pm.resource_label.is_some() {
                            warnings.push(format!("{mpath}.ResourceLabel is for load balancers; ignored"));
                        }
                        let serverless = endpoint.variants.get(variant).is_some_and(|v| v.serverless);
                        predefined_metric(&pm.predefined_metric_type, variant)
                            .and_then(|m| {
                                let pc = m.metric == Metric::ServerlessProvisionedConcurrencyUtilization;
                                match (serverless, pc) {
                                    (true, false) => Err(format!(
                                        "{} is not published for serverless endpoints; use SageMakerVariantProvisionedConcurrencyUtilization",
                                        pm.predefined_metric_type
                                    )),
                                    (false, true) => Err(
                                        "SageMakerVariantProvisionedConcurrencyUtilization is for serverless variants with provisioned concurrency"
                                            .into(),
                                    ),
                                    _ => Ok(m),
                                }
                            })
                            .map_err(|m| err(mpath.join("PredefinedMetricType"), m))
                            .ok()
                            .map(|m| {
                                let period = if m.metric.high_resolution() { 10 } else { 60 };
                                (Source::Metric(m), period)
                            })
                    }
                    (None, Some(cm)) => {
                        customized_metric(cm, &tpath.join("CustomizedMetricSpecification"), &resolve_dims, &mut err)
                    }
                    _ => {
                        err(
                            tpath.clone(),
                            "give exactly one of PredefinedMetricSpecification and CustomizedMetricSpecification"
                                .into(),
                        );
                        None
                    }
                };
                let Some((metric, period)) = metric else { continue };
                let policy = policies.len();
                let secs = |v: Option<u32>| u64::from(v.unwrap_or(d.cooldown_secs)) * US_PER_SEC;
                let (out_n, in_n) = if period < 60 {
                    (d.scale_out_datapoints_high_resolution, d.scale_in_datapoints_high_resolution)
                } else {
                    (d.scale_out_datapoints, d.scale_in_datapoints)
                };
                let base = format!("TargetTracking-{}", p.resource_id);
                let mk = |name: String, n: u32, threshold: f64, comparison| AlarmDef {
                    name,
                    metric: metric.clone(),
                    period_us: u64::from(period) * US_PER_SEC,
                    evaluation_periods: n,
                    datapoints_to_alarm: n,
                    threshold,
                    comparison,
                    treat_missing: TreatMissingData::Missing,
                    ignore_low_sample_count: false,
                };
                alarms.push(AlarmBinding {
                    def: mk(
                        format!("{base}-AlarmHigh"),
                        out_n,
                        tt.target_value,
                        ComparisonOperator::GreaterThanThreshold,
                    ),
                    actions: vec![policy],
                    managed: Some((policy, true)),
                });
                if !tt.disable_scale_in {
                    alarms.push(AlarmBinding {
                        def: mk(
                            format!("{base}-AlarmLow"),
                            in_n,
                            tt.target_value * d.scale_in_factor,
                            ComparisonOperator::LessThanThreshold,
                        ),
                        actions: vec![policy],
                        managed: Some((policy, false)),
                    });
                }
                PolicyKind::TargetTracking {
                    target_value: tt.target_value,
                    metric,
                    scale_out_cooldown_us: secs(tt.scale_out_cooldown),
                    scale_in_cooldown_us: secs(tt.scale_in_cooldown),
                    disable_scale_in: tt.disable_scale_in,
                    scale_in_factor: d.scale_in_factor,
                }
            }
            (PolicyType::StepScaling, None, Some(sc)) => {
                let spath = path.join("StepScalingPolicyConfiguration");
                if let Err(m) = policy::check_steps(&sc.step_adjustments) {
                    err(spath.join("StepAdjustments"), m);
                }
                if sc.min_adjustment_magnitude.is_some()
                    && sc.adjustment_type != AdjustmentType::PercentChangeInCapacity
                {
                    warnings.push(format!(
                        "{spath}.MinAdjustmentMagnitude applies only to PercentChangeInCapacity; ignored"
                    ));
                }
                if sc.adjustment_type == AdjustmentType::ExactCapacity
                    && sc.step_adjustments.iter().any(|s| s.scaling_adjustment < 0)
                {
                    err(spath.join("StepAdjustments"), "ExactCapacity adjustments must be ≥ 0".into());
                }
                PolicyKind::Step {
                    config: sc.clone(),
                    cooldown_us: u64::from(sc.cooldown.unwrap_or(d.cooldown_secs)) * US_PER_SEC,
                }
            }
            (PolicyType::TargetTrackingScaling, _, _) => {
                err(
                    path.clone(),
                    "a TargetTrackingScaling policy needs TargetTrackingScalingPolicyConfiguration (and no StepScalingPolicyConfiguration)".into(),
                );
                continue;
            }
            (PolicyType::StepScaling, _, _) => {
                err(
                    path.clone(),
                    "a StepScaling policy needs StepScalingPolicyConfiguration (and no TargetTrackingScalingPolicyConfiguration)".into(),
                );
                continue;
            }
        };
        policies.push(PolicyDef { name: p.policy_name.clone(), target, kind });
    }

    let policy_names: Vec<&str> = policies.iter().map(|p| p.name.as_str()).collect();
    for (i, a) in cfg.put_metric_alarm.iter().enumerate() {
        let path = Path::of("scaling.PutMetricAlarm").index(i);
        let watched = alarm_metric(a, &path, &resolve_dims, &mut err);
        let variant = watched.as_ref().map(|(m, _)| m.variant());
        if a.evaluation_periods == 0 || a.evaluation_periods > 1000 {
            err(path.join("EvaluationPeriods"), "must be between 1 and 1000".into());
        }
        // CloudWatch: Period × EvaluationPeriods at most one day, or 7 days for periods of an
        // hour or more.
        if let Some((_, period)) = &watched {
            let range = u64::from(*period) * u64::from(a.evaluation_periods);
            let limit = if *period >= 3600 { 7 * 86_400 } else { 86_400 };
            if range > limit {
                err(
                    path.join("EvaluationPeriods"),
                    format!(
                        "{} periods of {period} s span {}; CloudWatch evaluates at most {} (Period × EvaluationPeriods)",
                        a.evaluation_periods,
                        crate::time::Duration::from_secs(range),
                        if limit > 86_400 { "7 days" } else { "one day" }
                    ),
                );
            }
        }
        let m = a.datapoints_to_alarm.unwrap_or(a.evaluation_periods);
        if m == 0 || m > a.evaluation_periods {
            err(
                path.join("DatapointsToAlarm"),
                format!("must be between 1 and EvaluationPeriods ({})", a.evaluation_periods),
            );
        }
        if !a.threshold.is_finite() {
            err(path.join("Threshold"), "must be a number".into());
        }
        if !a.actions_enabled {
            warnings.push(format!("{path}: ActionsEnabled is false, so {} never scales anything", a.alarm_name));
        }
        for (field, list) in [("OKActions", &a.ok_actions), ("InsufficientDataActions", &a.insufficient_data_actions)] {
            if !list.is_empty() {
                warnings.push(format!("{path}.{field}: notifications are not simulated; ignored"));
            }
        }
        let mut actions = Vec::new();
        for (k, action) in a.alarm_actions.iter().enumerate() {
            let apath = path.join("AlarmActions").index(k);
            let Some(name) = policy_name_of(action) else {
                warnings.push(format!(
                    "{apath}: \"{action}\" is not a scaling policy (notifications are not simulated); ignored"
                ));
                continue;
            };
            match policies.iter().position(|p| p.name == name) {
                Some(p) if matches!(policies.get(p).map(|p| &p.kind), Some(PolicyKind::TargetTracking { .. })) => err(
                    apath,
                    format!(
                        "\"{name}\" is a target tracking policy; it makes its own alarms, point this alarm at a step scaling policy"
                    ),
                ),
                Some(p) => {
                    if policies.get(p).and_then(|p| targets.get(p.target)).is_some_and(|t| Some(t.variant) != variant)
                        && variant.is_some()
                    {
                        warnings.push(format!(
                            "{apath}: the alarm watches another variant than the one policy \"{name}\" scales"
                        ));
                    }
                    if a.actions_enabled {
                        actions.push(p);
                    }
                }
                None => {
                    let hint = match nearest(name, &policy_names) {
                        Some(n) => format!("did you mean \"{n}\"?"),
                        None if policy_names.is_empty() => "define it in PutScalingPolicy".to_string(),
                        None => format!("policies: {}", policy_names.join(", ")),
                    };
                    err(apath, format!("no scaling policy named \"{name}\"; {hint}"));
                }
            }
        }
        if a.alarm_actions.is_empty() {
            warnings.push(format!("{path}: {} has no AlarmActions, so it never scales anything", a.alarm_name));
        }
        let ignore_low = match a.evaluate_low_sample_count_percentile.as_deref() {
            None | Some("evaluate") => false,
            Some("ignore") => true,
            Some(other) => {
                err(
                    path.join("EvaluateLowSampleCountPercentile"),
                    format!("\"{other}\": write \"evaluate\" (the default) or \"ignore\""),
                );
                false
            }
        };
        if let Some((metric, period)) = watched {
            alarms.push(AlarmBinding {
                def: AlarmDef {
                    name: a.alarm_name.clone(),
                    metric,
                    period_us: u64::from(period.max(10)) * US_PER_SEC,
                    evaluation_periods: a.evaluation_periods.clamp(1, 1000),
                    datapoints_to_alarm: m.clamp(1, a.evaluation_periods.clamp(1, 1000)),
                    threshold: a.threshold,
                    comparison: a.comparison_operator,
                    treat_missing: a.treat_missing_data.unwrap_or_default(),
                    ignore_low_sample_count: ignore_low,
                },
                actions,
                managed: None,
            });
        }
    }
    let mut firings = Vec::new();
    for (i, a) in cfg.put_scheduled_action.iter().enumerate() {
        let path = Path::of("scaling.PutScheduledAction").index(i);
        let Some((_, target)) =
            registered(&path, &a.service_namespace, &a.resource_id, &a.scalable_dimension, &mut err)
        else {
            continue;
        };
        let act = a.scalable_target_action;
        if act.min_capacity.is_none() && act.max_capacity.is_none() {
            err(path.join("ScalableTargetAction"), "set MinCapacity, MaxCapacity or both".into());
        }
        if let (Some(lo), Some(hi)) = (act.min_capacity, act.max_capacity)
            && lo > hi
        {
            err(path.join("ScalableTargetAction.MinCapacity"), format!("{lo} is above MaxCapacity {hi}"));
        }
        if act.max_capacity.is_some_and(|m| m > limits::MAX_INSTANCES_PER_VARIANT) {
            err(
                path.join("ScalableTargetAction.MaxCapacity"),
                format!("at most {}", limits::MAX_INSTANCES_PER_VARIANT),
            );
        }
        let tz = match &a.timezone {
            None => Some(jiff::tz::TimeZone::UTC),
            Some(name) => jiff::tz::TimeZone::get(name)
                .map_err(|_| {
                    err(
                        path.join("Timezone"),
                        format!("\"{name}\" is not an IANA time zone; write it like \"Europe/Paris\" or \"America/New_York\""),
                    )
                })
                .ok(),
        };
        let bound = |field: &str, v: &Option<String>, err: &mut dyn FnMut(Path, String)| -> Option<Option<i64>> {
            match v {
                None => Some(None),
                Some(text) => crate::time::parse_timestamp(text).map(Some).map_err(|m| err(path.join(field), m)).ok(),
            }
        };
        let start = bound("StartTime", &a.start_time, &mut err);
        let end = bound("EndTime", &a.end_time, &mut err);
        let schedule = schedule::Schedule::parse(&a.schedule).map_err(|m| err(path.join("Schedule"), m)).ok();
        let (Some(tz), Some(start), Some(end), Some(schedule)) = (tz, start, end, schedule) else { continue };
        let run_start = clock.start_unix_secs;
        let run_end = run_start + (clock.duration_us / US_PER_SEC) as i64 + 1;
        // A rate schedule counts from its StartTime (or the start of the run); others fire at
        // their own times within [StartTime, EndTime].
        let from = match (&schedule, start) {
            (schedule::Schedule::Rate { secs }, Some(s)) if s < run_start => s + (run_start - s) / secs * secs,
            _ => start.unwrap_or(run_start).max(run_start),
        };
        let to = end.map_or(run_end, |e| e.min(run_end));
        match schedule.firings(&tz, from, to, MAX_FIRINGS) {
            Err(m) => err(path.join("Schedule"), m),
            Ok(times) => {
                if times.is_empty() {
                    warnings.push(format!("{path}: {} never fires during the run", a.scheduled_action_name));
                }
                for t in times.into_iter().filter(|t| *t >= run_start) {
                    firings.push(Firing {
                        at_us: (t - run_start) as u64 * US_PER_SEC,
                        target,
                        name: a.scheduled_action_name.clone(),
                        schedule: match &a.timezone {
                            Some(z) => format!("{} in {z}", a.schedule),
                            None => format!("{} UTC", a.schedule),
                        },
                        min: act.min_capacity,
                        max: act.max_capacity,
                    });
                }
            }
        }
    }
    firings.sort_by_key(|f| f.at_us);
    if firings.len() > MAX_FIRINGS {
        err(Path::of("scaling.PutScheduledAction"), format!("more than {MAX_FIRINGS} firings during the run"));
    }
    for (k, p) in policies.iter().enumerate() {
        if matches!(p.kind, PolicyKind::Step { .. }) && !alarms.iter().any(|a| a.actions.contains(&k)) {
            warnings.push(format!(
                "step scaling policy \"{}\" is not in any alarm's AlarmActions, so it never acts",
                p.name
            ));
        }
    }
    AutoScalingPlan { targets, policies, alarms, firings, publish_delay_us }
}

/// A target tracking policy's customized metric: one metric with a basic statistic, or a
/// metric math list (one-minute periods: Application Auto Scaling takes no period).
fn customized_metric(
    cm: &aws::CustomizedMetric,
    path: &Path,
    resolve: &query::Resolve<'_>,
    err: &mut dyn FnMut(Path, String),
) -> Option<(Source, u32)> {
    if let Some(list) = &cm.metrics {
        let mut clash = false;
        for (field, set) in [
            ("MetricName", cm.metric_name.is_some()),
            ("Namespace", cm.namespace.is_some()),
            ("Dimensions", !cm.dimensions.is_empty()),
            ("Statistic", cm.statistic.is_some()),
            ("Unit", cm.unit.is_some()),
        ] {
            if set {
                clash = true;
                err(path.join(field), "give the metric either here or in Metrics, not both; remove it".into());
            }
        }
        let queries: Vec<query::Query<'_>> = list.iter().map(Into::into).collect();
        let compiled = query::compile(&queries, &path.join("Metrics"), Some(60), resolve, err);
        return compiled.filter(|_| !clash);
    }
    let (Some(name), Some(ns), Some(stat)) = (&cm.metric_name, &cm.namespace, cm.statistic) else {
        let missing: Vec<&str> = [
            ("MetricName", cm.metric_name.is_none()),
            ("Namespace", cm.namespace.is_none()),
            ("Statistic", cm.statistic.is_none()),
        ]
        .into_iter()
        .filter(|(_, m)| *m)
        .map(|(f, _)| f)
        .collect();
        err(path.clone(), format!("missing {}; or give the metric as metric math in Metrics", missing.join(", ")));
        return None;
    };
    let m = query::metric_ref(ns, name, &cm.dimensions, Stat::Basic(stat), path, resolve, err)?;
    let period = if m.metric.high_resolution() { 10 } else { 60 };
    Some((Source::Metric(m), period))
}

/// What an alarm watches and its period: `MetricName` with `Statistic` or `ExtendedStatistic`
/// and `Period`, or `Metrics` (and none of those).
fn alarm_metric(
    a: &aws::PutMetricAlarm,
    path: &Path,
    resolve: &query::Resolve<'_>,
    err: &mut dyn FnMut(Path, String),
) -> Option<(Source, u32)> {
    if let Some(list) = &a.metrics {
        let mut clash = false;
        for (field, set) in [
            ("MetricName", a.metric_name.is_some()),
            ("Namespace", a.namespace.is_some()),
            ("Dimensions", !a.dimensions.is_empty()),
            ("Period", a.period.is_some()),
            ("Unit", a.unit.is_some()),
            ("Statistic", a.statistic.is_some()),
            ("ExtendedStatistic", a.extended_statistic.is_some()),
        ] {
            if set {
                clash = true;
                err(path.join(field), "an alarm with Metrics takes its metrics from there; remove it".into());
            }
        }
        let queries: Vec<query::Query<'_>> = list.iter().map(Into::into).collect();
        let compiled = query::compile(&queries, &path.join("Metrics"), None, resolve, err);
        return compiled.filter(|_| !clash);
    }
    let stat = match (a.statistic, &a.extended_statistic) {
        (Some(s), None) => Some(Stat::Basic(s)),
        (None, Some(text)) => Stat::parse(text).map_err(|m| err(path.join("ExtendedStatistic"), m)).ok(),
        (Some(_), Some(_)) => {
            err(path.join("ExtendedStatistic"), "give Statistic or ExtendedStatistic, not both".into());
            None
        }
        (None, None) => {
            err(path.clone(), "missing Statistic (Average, Sum, …) or ExtendedStatistic (p99, tm90, …)".into());
            None
        }
    };
    let (Some(name), Some(ns)) = (&a.metric_name, &a.namespace) else {
        let which = if a.metric_name.is_none() { "MetricName" } else { "Namespace" };
        err(path.join(which), format!("missing {which}; or give the alarm's metric as metric math in Metrics"));
        return None;
    };
    let Some(period) = a.period else {
        err(path.join("Period"), "missing Period: 10, 20, 30 or a multiple of 60 seconds".into());
        return None;
    };
    let stat_path = if a.extended_statistic.is_some() { path.join("ExtendedStatistic") } else { path.clone() };
    let mut at_stat = |p: Path, m: String| err(if p == *path { stat_path.clone() } else { p }, m);
    let m = query::metric_ref(ns, name, &a.dimensions, stat?, path, resolve, &mut at_stat);
    if !query::valid_period(period) {
        err(path.join("Period"), format!("{period} s: use 10, 20, 30 or a multiple of 60"));
    }
    let m = m?;
    if period < 60 && !m.metric.high_resolution() {
        err(
            path.join("Period"),
            format!("{name} is published every 60 s; a {period} s period needs a high-resolution metric"),
        );
    }
    Some((Source::Metric(m), period))
}

/// The variant named by `EndpointName` and `VariantName` dimensions.
fn resolve_dimensions(dims: &[Dimension], endpoint: &EndpointNames, variants: &[&str]) -> Result<usize, String> {
    let get = |n: &str| dims.iter().find(|d| d.name == n).map(|d| d.value.as_str());
    if let Some(name) = get("InferenceComponentName") {
        return endpoint
            .variants
            .iter()
            .position(|v| v.inference_component.as_deref() == Some(name))
            .ok_or_else(|| format!("no inference component named \"{name}\""));
    }
    // Asynchronous inference metrics carry only the endpoint's name.
    if let (Some(e), None) = (get("EndpointName"), get("VariantName"))
        && e == endpoint.name
        && variants.len() == 1
    {
        return Ok(0);
    }
    let (Some(e), Some(v)) = (get("EndpointName"), get("VariantName")) else {
        return Err(format!(
            "name the variant: [{{\"Name\": \"EndpointName\", \"Value\": \"{}\"}}, {{\"Name\": \"VariantName\", \"Value\": \"...\"}}]",
            endpoint.name
        ));
    };
    if e != endpoint.name {
        return Err(format!("EndpointName \"{e}\" is not the scenario's endpoint \"{}\"", endpoint.name));
    }
    variants.iter().position(|n| *n == v).ok_or_else(|| {
        let hint = nearest(v, variants).map(|n| format!("; did you mean \"{n}\"?")).unwrap_or_default();
        format!("the endpoint has no variant \"{v}\"{hint}")
    })
}

pub const PREDEFINED_METRICS: &[&str] = &[
    "SageMakerVariantInvocationsPerInstance",
    "SageMakerVariantConcurrentRequestsPerModelHighResolution",
    "SageMakerVariantProvisionedConcurrencyUtilization",
    "SageMakerInferenceComponentInvocationsPerCopy",
    "SageMakerInferenceComponentConcurrentRequestsPerCopyHighResolution",
];

fn predefined_metric(name: &str, variant: usize) -> Result<MetricRef, String> {
    let m = |metric| Ok(MetricRef { metric, variant, statistic: Stat::Basic(Statistic::Average) });
    match name {
        "SageMakerVariantInvocationsPerInstance" => m(Metric::InvocationsPerInstance),
        "SageMakerVariantConcurrentRequestsPerModelHighResolution" => m(Metric::ConcurrentRequestsPerModel),
        "SageMakerVariantProvisionedConcurrencyUtilization" => m(Metric::ServerlessProvisionedConcurrencyUtilization),
        "SageMakerInferenceComponentInvocationsPerCopy" => m(Metric::InvocationsPerInstance),
        "SageMakerInferenceComponentConcurrentRequestsPerCopyHighResolution" => m(Metric::ConcurrentRequestsPerModel),
        other => Err(match nearest(other, PREDEFINED_METRICS) {
            Some(n) => format!("unknown predefined metric \"{other}\"; did you mean \"{n}\"?"),
            None => format!(
                "unknown predefined metric \"{other}\"; SageMaker variants offer {}",
                PREDEFINED_METRICS.iter().take(2).copied().collect::<Vec<_>>().join(", ")
            ),
        }),
    }
}

#[derive(Clone, Debug, Default)]
struct TargetState {
    /// Current MinCapacity and MaxCapacity (scheduled actions change them).
    min: u32,
    max: u32,
    /// Last scale-out: when, capacity before, capacity after.
    last_out: Option<(SimTime, u32, u32)>,
    last_in: Option<SimTime>,
    /// The not-scaled reason already logged in the current streak.
    not_scaled: Option<String>,
}

struct Proposal {
    policy: usize,
    desired: i64,
    target_tracking: bool,
    evidence: Evidence,
    /// The cooldown this policy starts (scale-out) or honours.
    cooldown_us: SimTime,
}

/// Application Auto Scaling as a `Scaler`.
#[derive(Debug)]
pub struct AppAutoScaling {
    plan: AutoScalingPlan,
    states: Vec<AlarmState>,
    history: Vec<StateChange>,
    targets: Vec<TargetState>,
    registered: bool,
    last_wake: SimTime,
    /// Index of the next scheduled firing.
    next_firing: usize,
    /// What the alarms on derived metrics (metric math, percentiles) read, one series per
    /// distinct metric, and which series each alarm records into (the first alarm on a metric).
    metrics: Vec<ScalerMetric>,
    records: Vec<Option<usize>>,
}

impl AppAutoScaling {
    pub fn new(plan: AutoScalingPlan) -> AppAutoScaling {
        let mut metrics: Vec<ScalerMetric> = Vec::new();
        let records = plan
            .alarms
            .iter()
            .map(|a| {
                let d = &a.def;
                if !d.metric.is_derived() {
                    return None;
                }
                let m = ScalerMetric {
                    variant: d.metric.variant(),
                    metric: d.metric.name(),
                    statistic: d.metric.statistic(),
                    period_secs: d.period_us / US_PER_SEC,
                    points: Vec::new(),
                };
                // One series per metric the alarms read: the same source and period.
                let earlier = plan.alarms.iter().take_while(|b| !std::ptr::eq(*b, a));
                if earlier.into_iter().any(|b| b.def.metric == d.metric && b.def.period_us == d.period_us) {
                    return None;
                }
                metrics.push(m);
                Some(metrics.len() - 1)
            })
            .collect();
        AppAutoScaling {
            metrics,
            records,
            states: vec![AlarmState::InsufficientData; plan.alarms.len()],
            targets: plan
                .targets
                .iter()
                .map(|t| TargetState { min: t.min, max: t.max, ..TargetState::default() })
                .collect(),
            next_firing: 0,
            history: Vec::new(),
            registered: false,
            last_wake: 0,
            plan,
        }
    }

    fn propose(
        &self,
        policy: usize,
        binding: &AlarmBinding,
        eval: &Evaluation,
        now: SimTime,
        current: u32,
    ) -> Option<Proposal> {
        let p = self.plan.policies.get(policy)?;
        let t = self.targets.get(p.target)?;
        let def = &binding.def;
        let present: Vec<f64> = eval.datapoints.iter().flatten().copied().collect();
        let latest = *present.last()?;
        let metric = def.metric.name();
        let secs = |us: SimTime| us / US_PER_SEC;
        // The periods evaluated end at the last published one.
        let period = def.period_us;
        let last_end = now.saturating_sub(self.plan.publish_delay_us) / period * period;
        let periods = eval.datapoints.len() as u64;
        let evidence = |rule: Rule, wanted: i64, cooldown: Cooldown| Evidence {
            alarm: def.name.clone(),
            variant: def.metric.variant(),
            metric,
            statistic: def.metric.statistic(),
            period_secs: secs(period),
            datapoints: eval
                .datapoints
                .iter()
                .enumerate()
                .map(|(k, d)| {
                    // Periods before the run (early alarms) have negative starts and no data.
                    let back = (periods - k as u64) * period;
                    let start = last_end as f64 - back as f64;
                    (start / US_PER_SEC as f64, *d)
                })
                .collect(),
            breaching: eval.breaching,
            datapoints_to_alarm: def.datapoints_to_alarm,
            comparison: def.comparison.symbol().to_string(),
            threshold: def.threshold,
            policy: p.name.clone(),
            rule,
            wanted,
            desired: None,
            limited_by: None,
            not_scaled: None,
            cooldown: Some(cooldown),
        };
        match &p.kind {
            PolicyKind::TargetTracking {
                target_value,
                scale_out_cooldown_us,
                scale_in_cooldown_us,
                disable_scale_in,
                scale_in_factor,
                ..
            } => {
                let scale_out = binding.managed.is_some_and(|(_, high)| high);
                // During a scale-out cooldown the metric still describes the capacity before that
                // scale-out (its instances are starting): compute from it, so the capacity the
                // earlier activity added counts toward the new desired value.
                let base = match t.last_out {
                    Some((at, before, _)) if scale_out && now < at + scale_out_cooldown_us => before,
                    _ => current,
                };
                let desired = policy::target_tracking_desired(base, latest, *target_value);
                let rule =
                    |scale_in_factor| Rule::TargetTracking { base, latest, target: *target_value, scale_in_factor };
                if scale_out {
                    if desired <= u64::from(current) {
                        return None;
                    }
                    let cooldown =
                        Cooldown::Starts { kind: CooldownKind::ScaleOut, secs: secs(*scale_out_cooldown_us) };
                    Some(Proposal {
                        policy,
                        desired: desired as i64,
                        target_tracking: true,
                        evidence: evidence(rule(None), desired as i64, cooldown),
                        cooldown_us: *scale_out_cooldown_us,
                    })
                } else {
                    if *disable_scale_in || desired >= u64::from(current) {
                        return None;
                    }
                    if t.last_in.is_some_and(|at| now < at + scale_in_cooldown_us) {
                        return None;
                    }
                    let cooldown = Cooldown::Starts { kind: CooldownKind::ScaleIn, secs: secs(*scale_in_cooldown_us) };
                    Some(Proposal {
                        policy,
                        desired: desired as i64,
                        target_tracking: true,
                        evidence: evidence(rule(Some(*scale_in_factor)), desired as i64, cooldown),
                        cooldown_us: *scale_in_cooldown_us,
                    })
                }
            }
            PolicyKind::Step { config, cooldown_us } => {
                let agg = match config.metric_aggregation_type.unwrap_or_default() {
                    MetricAggregationType::Average => present.iter().sum::<f64>() / present.len() as f64,
                    MetricAggregationType::Minimum => present.iter().copied().fold(f64::INFINITY, f64::min),
                    MetricAggregationType::Maximum => present.iter().copied().fold(f64::NEG_INFINITY, f64::max),
                };
                let step = policy::find_step(&config.step_adjustments, agg - def.threshold)?;
                let in_cooldown_out = t.last_out.filter(|(at, _, _)| now < at + cooldown_us);
                let in_cooldown_any = in_cooldown_out.is_some() || t.last_in.is_some_and(|at| now < at + cooldown_us);
                let plain = policy::apply_adjustment(
                    config.adjustment_type,
                    current,
                    step.scaling_adjustment,
                    config.min_adjustment_magnitude,
                );
                let (desired, from_before) = match in_cooldown_out {
                    // During a scale-out cooldown the capacity the earlier activity added counts.
                    Some((_, before, _)) if plain > i64::from(current) => {
                        let from_base = policy::apply_adjustment(
                            config.adjustment_type,
                            before,
                            step.scaling_adjustment,
                            config.min_adjustment_magnitude,
                        );
                        (from_base, Some(before))
                    }
                    _ => (plain, None),
                };
                if desired == i64::from(current) || (desired < i64::from(current) && in_cooldown_any) {
                    return None;
                }
                let adjustment = match config.adjustment_type {
                    AdjustmentType::ChangeInCapacity => format!("{:+}", step.scaling_adjustment),
                    AdjustmentType::ExactCapacity => format!("exactly {}", step.scaling_adjustment),
                    AdjustmentType::PercentChangeInCapacity => format!("{:+} %", step.scaling_adjustment),
                };
                let rule = Rule::Step {
                    aggregation: format!("{:?}", config.metric_aggregation_type.unwrap_or_default()).to_lowercase(),
                    aggregate: agg,
                    lower: step.metric_interval_lower_bound,
                    upper: step.metric_interval_upper_bound,
                    adjustment,
                    from_before,
                };
                Some(Proposal {
                    policy,
                    desired,
                    target_tracking: false,
                    evidence: evidence(
                        rule,
                        desired,
                        Cooldown::Starts { kind: CooldownKind::Step, secs: secs(*cooldown_us) },
                    ),
                    cooldown_us: *cooldown_us,
                })
            }
        }
    }
}

impl Scaler for AppAutoScaling {
    fn next_wake(&self) -> Option<SimTime> {
        if !self.registered {
            return Some(0);
        }
        let firing = self.plan.firings.get(self.next_firing).map(|f| f.at_us);
        let alarm = (!self.plan.alarms.is_empty()).then(|| {
            let step = 10 * US_PER_SEC;
            let first = self.plan.publish_delay_us + step;
            let now = self.last_wake;
            if now < first { first } else { now + step - (now - self.plan.publish_delay_us) % step }
        });
        match (firing, alarm) {
            (Some(a), Some(b)) => Some(a.min(b)),
            (a, b) => a.or(b),
        }
    }

    fn wake(&mut self, now: SimTime, view: &View<'_>) -> Vec<Command> {
        self.last_wake = now;
        let mut commands = Vec::new();
        let current = |v: usize| view.variants.get(v).map_or(0, |x| x.desired);
        if !self.registered {
            self.registered = true;
            for t in &self.plan.targets {
                let c = current(t.variant);
                let clamped = c.clamp(t.min, t.max);
                if clamped != c {
                    commands.push(Command {
                        variant: t.variant,
                        desired: Some(clamped),
                        weight: None,
                        cause: Cause::Registered { resource_id: t.resource_id.clone(), min: t.min, max: t.max },
                    });
                }
            }
        }
        // Scheduled actions: set Min/Max and move the capacity into range, ignoring cooldowns.
        while let Some(f) = self.plan.firings.get(self.next_firing).filter(|f| f.at_us <= now) {
            self.next_firing += 1;
            let (Some(t), Some(st)) = (self.plan.targets.get(f.target), self.targets.get_mut(f.target)) else {
                continue;
            };
            if t.suspended.scheduled_scaling_suspended {
                commands.push(Command {
                    variant: t.variant,
                    desired: None,
                    weight: None,
                    cause: Cause::Scheduled { action: f.name.clone(), schedule: f.schedule.clone(), limits: None },
                });
                continue;
            }
            // The limit the action sets wins; the other one yields if they would cross.
            match (f.min, f.max) {
                (Some(lo), Some(hi)) => (st.min, st.max) = (lo, hi),
                (Some(lo), None) => (st.min, st.max) = (lo, st.max.max(lo)),
                (None, Some(hi)) => (st.min, st.max) = (st.min.min(hi), hi),
                (None, None) => {}
            }
            let c = commands
                .iter()
                .rev()
                .find(|c| c.variant == t.variant)
                .and_then(|c| c.desired)
                .unwrap_or_else(|| current(t.variant));
            let clamped = c.clamp(st.min, st.max);
            commands.push(Command {
                variant: t.variant,
                desired: (clamped != c).then_some(clamped),
                weight: None,
                cause: Cause::Scheduled {
                    action: f.name.clone(),
                    schedule: f.schedule.clone(),
                    limits: Some((st.min, st.max)),
                },
            });
        }
        // Evaluate the alarms whose datapoint was just published.
        let delay = self.plan.publish_delay_us;
        let mut invoked: Vec<(usize, usize, Evaluation)> = Vec::new();
        let mut evaluated: Vec<usize> = Vec::new();
        for (a, binding) in self.plan.alarms.iter().enumerate() {
            if !binding.def.due(now, delay) {
                continue;
            }
            evaluated.extend(binding.actions.iter().copied());
            let before = self.states.get(a).copied().unwrap_or(AlarmState::InsufficientData);
            let eval = binding.def.evaluate(view, delay, before);
            if let Some(series) = self.records.get(a).copied().flatten().and_then(|k| self.metrics.get_mut(k)) {
                // The newest datapoint is the period that ends at the last published one.
                let period = binding.def.period_us;
                let start = (now.saturating_sub(delay) / period * period).checked_sub(period);
                if let (Some(start), Some(value)) = (start, eval.datapoints.last()) {
                    series.points.push((start as f64 / US_PER_SEC as f64, *value));
                }
            }
            if eval.state != before {
                let shown: Vec<String> =
                    eval.datapoints.iter().rev().take(5).map(|d| d.map_or("–".into(), num)).collect();
                self.history.push(StateChange {
                    at_secs: now as f64 / US_PER_SEC as f64,
                    alarm: binding.def.name.clone(),
                    from: before.as_str().into(),
                    to: eval.state.as_str().into(),
                    reason: format!(
                        "{} of {} datapoints {} {} (latest first: {}{})",
                        eval.breaching,
                        binding.def.evaluation_periods,
                        binding.def.comparison.symbol(),
                        num(binding.def.threshold),
                        shown.join(", "),
                        if binding.def.evaluation_periods > 5 { ", …" } else { "" }
                    ),
                });
                if let Some(s) = self.states.get_mut(a) {
                    *s = eval.state;
                }
            }
            if eval.state == AlarmState::Alarm {
                for &p in &binding.actions {
                    invoked.push((p, a, eval.clone()));
                }
            }
        }
        for (ti, target) in self.plan.targets.iter().enumerate() {
            let c = commands
                .iter()
                .rev()
                .find(|cmd| cmd.variant == target.variant)
                .and_then(|cmd| cmd.desired)
                .unwrap_or_else(|| current(target.variant));
            let proposals: Vec<Proposal> = invoked
                .iter()
                .filter(|(p, _, _)| self.plan.policies.get(*p).is_some_and(|p| p.target == ti))
                .filter_map(|(p, a, eval)| self.propose(*p, self.plan.alarms.get(*a)?, eval, now, c))
                .collect();
            let s = target.suspended;
            let outs = proposals.iter().filter(|p| p.desired > i64::from(c) && !s.dynamic_scaling_out_suspended);
            let winner = match outs.max_by_key(|p| p.desired) {
                Some(w) => Some(w),
                None if s.dynamic_scaling_in_suspended => None,
                None => {
                    // Target tracking scales in only if every target tracking policy with scale-in
                    // enabled agrees; step scale-in is not blocked by target tracking.
                    let tt_enabled: Vec<usize> = self
                        .plan
                        .policies
                        .iter()
                        .enumerate()
                        .filter(|(_, p)| p.target == ti)
                        .filter(|(_, p)| matches!(p.kind, PolicyKind::TargetTracking { disable_scale_in: false, .. }))
                        .map(|(k, _)| k)
                        .collect();
                    let tt_agree = tt_enabled.iter().all(|k| proposals.iter().any(|p| p.policy == *k));
                    proposals
                        .iter()
                        .filter(|p| p.desired < i64::from(c) && (!p.target_tracking || tt_agree))
                        .max_by_key(|p| p.desired)
                }
            };
            let Some(w) = winner else {
                // A streak of "not scaled" ends when this target's alarms evaluate and nothing asks.
                let looked = evaluated.iter().any(|p| self.plan.policies.get(*p).is_some_and(|p| p.target == ti));
                if looked && let Some(st) = self.targets.get_mut(ti) {
                    st.not_scaled = None;
                }
                continue;
            };
            let (lo, hi) = self.targets.get(ti).map_or((target.min, target.max), |s| (s.min, s.max));
            let clamped = w.desired.clamp(i64::from(lo), i64::from(hi)) as u32;
            let st = self.targets.get_mut(ti);
            if clamped == c {
                let reason = if w.desired > i64::from(c) { "AlreadyAtMaxCapacity" } else { "AlreadyAtMinCapacity" };
                if let Some(st) = st
                    && st.not_scaled.as_deref() != Some(reason)
                {
                    st.not_scaled = Some(reason.into());
                    commands.push(Command {
                        variant: target.variant,
                        desired: None,
                        weight: None,
                        cause: Cause::Policy(Box::new(Evidence {
                            desired: Some(c),
                            limited_by: Some(
                                if w.desired > i64::from(c) { "MaxCapacity" } else { "MinCapacity" }.into(),
                            ),
                            not_scaled: Some(reason.into()),
                            cooldown: None,
                            ..w.evidence.clone()
                        })),
                    });
                }
                continue;
            }
            let mut cooldown = w.evidence.cooldown;
            if let Some(st) = st {
                st.not_scaled = None;
                if clamped > c {
                    // Within the window of an earlier scale-out, the window and its base stay.
                    st.last_out = match st.last_out {
                        Some((at, before, _)) if now < at + w.cooldown_us => {
                            cooldown = Some(Cooldown::Continues { since_us: at });
                            Some((at, before, clamped))
                        }
                        _ => Some((now, c, clamped)),
                    };
                    st.last_in = None; // a scale-out ends the scale-in cooldown
                } else {
                    st.last_in = Some(now);
                }
            }
            let limited_by = (i64::from(clamped) != w.desired)
                .then(|| if clamped == hi { "MaxCapacity" } else { "MinCapacity" }.to_string());
            commands.push(Command {
                variant: target.variant,
                desired: Some(clamped),
                weight: None,
                cause: Cause::Policy(Box::new(Evidence {
                    desired: Some(clamped),
                    limited_by,
                    cooldown,
                    ..w.evidence.clone()
                })),
            });
        }
        commands
    }

    fn guides(&self) -> Vec<Guide> {
        self.plan
            .alarms
            .iter()
            .map(|a| {
                let d = &a.def;
                let role = match a.managed {
                    Some((_, true)) => GuideRole::Target,
                    Some((_, false)) => GuideRole::ScaleIn,
                    None => GuideRole::Threshold,
                };
                Guide {
                    variant: d.metric.variant(),
                    metric: d.metric.name(),
                    statistic: d.metric.statistic(),
                    period_secs: d.period_us / US_PER_SEC,
                    value: d.threshold,
                    role,
                    source: d.name.clone(),
                }
            })
            .collect()
    }

    fn history(&self) -> Vec<StateChange> {
        self.history.clone()
    }

    fn metrics(&self) -> Vec<ScalerMetric> {
        self.metrics.clone()
    }
}

#[cfg(test)]
mod tests;
