//! The edits the page's forms make to a scenario. Each checks its input and names the field
//! in its error, so a form shows the problem beside the control and keeps what was typed.

use scalelab_core::Scenario;
use scalelab_core::catalog;
use scalelab_core::traffic::Traffic;

/// A form's problem: the field (as a scenario path) and what to do.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct FieldError {
    pub path: String,
    pub message: String,
}

impl FieldError {
    fn new(path: impl Into<String>, message: impl Into<String>) -> Self {
        FieldError { path: path.into(), message: message.into() }
    }
}

impl std::fmt::Display for FieldError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{}: {}", self.path, self.message)
    }
}

/// The first target tracking policy's target value, for tests.
#[cfg(all(test, not(target_arch = "wasm32")))]
pub(crate) fn target_value(s: &Scenario) -> Option<f64> {
    s.scaling
        .as_ref()?
        .put_scaling_policy
        .iter()
        .find_map(|p| p.target_tracking_scaling_policy_configuration.as_ref())
        .map(|t| t.target_value)
}

/// The instance types variant `v` may use: those its built-in model has a profile for, or the
/// whole catalog for an inline profile.
pub fn instance_choices_for(s: &Scenario, v: usize) -> Vec<&'static catalog::InstanceType> {
    let model = s.endpoint.variants.get(v).and_then(|v| v.model.as_deref());
    match model.and_then(scalelab_core::profile::builtin_model) {
        Some(m) => m.instance_types().filter_map(catalog::lookup).collect(),
        None => catalog::CATALOG.iter().collect(),
    }
}

/// Multiplies every rate of a traffic shape by `factor` (rounded to 0.001 requests/s).
fn scale_traffic(t: &mut Traffic, factor: f64, path: &str) -> Result<(), FieldError> {
    let r = |x: &mut f64| *x = (*x * factor * 1000.0).round() / 1000.0;
    match t {
        Traffic::Constant { rps } => r(rps),
        Traffic::Phases(phases) => {
            for p in phases {
                r(&mut p.arrival_rate);
                if let Some(x) = p.ramp_to.as_mut() {
                    r(x);
                }
            }
        }
        Traffic::Steps(steps) => steps.iter_mut().for_each(|s| r(&mut s.rps)),
        Traffic::Spike { rps, .. } => r(rps),
        Traffic::Diurnal { min_rps, max_rps, .. } => {
            r(min_rps);
            r(max_rps);
        }
        Traffic::BusinessHours { rps, off_hours_rps, .. } => {
            r(rps);
            r(off_hours_rps);
        }
        Traffic::Bursts { rps, base_rps, .. } => {
            r(rps);
            r(base_rps);
        }
        Traffic::Trace { invocations: Some(counts), .. } => counts.iter_mut().for_each(r),
        Traffic::Trace { .. } => {
            return Err(FieldError::new(path, "a CSV trace cannot be scaled here: scale its counts in the file"));
        }
        Traffic::Sum(parts) => {
            for (k, p) in parts.iter_mut().enumerate() {
                scale_traffic(p, factor, &format!("{path}.sum[{k}]"))?;
            }
        }
        Traffic::Sequence(segments) => {
            for (k, seg) in segments.iter_mut().enumerate() {
                scale_traffic(&mut seg.traffic, factor, &format!("{path}.sequence[{k}].traffic"))?;
            }
        }
        Traffic::Users(u) => {
            for s in &mut u.stages {
                s.users = ((f64::from(s.users) * factor).round() as u32).max(1);
            }
        }
    }
    Ok(())
}

/// The scenario's peak offered rate, requests per second.
pub fn peak_rps(s: &Scenario) -> Option<f64> {
    scalelab_core::plan(s, None).ok().map(|p| p.peak_rps)
}

/// Scales the whole traffic so that its peak becomes `text` requests per second.
pub fn set_peak_rps(s: &mut Scenario, text: &str) -> Result<(), FieldError> {
    let path = "traffic";
    let want: f64 = text
        .trim()
        .parse()
        .map_err(|_| FieldError::new(path, format!("peak rate \"{}\" is not a number", text.trim())))?;
    if !(want.is_finite() && want > 0.0) {
        return Err(FieldError::new(path, "the peak rate must be above 0 requests/s"));
    }
    let peak =
        peak_rps(s).filter(|p| *p > 0.0).ok_or_else(|| FieldError::new(path, "the traffic sends nothing to scale"))?;
    let mut next = s.clone();
    scale_traffic(&mut next.traffic, want / peak, path)?;
    if let Err(p) = scalelab_core::plan(&next, None) {
        let first = p.0.into_iter().next().map(|p| p.to_string()).unwrap_or_default();
        return Err(FieldError::new(path, format!("at {want} requests/s the scenario is refused: {first}")));
    }
    *s = next;
    Ok(())
}

/// Puts a measured instance profile (the file `scalelab calibrate` writes: `profile` plus
/// `provenance`) on every variant, replacing their models. Returns a label for the page, like
/// "measured on NVIDIA A10G (discrete, 2026-11-23), encoder 12 layers, seq 128, …".
pub fn apply_measured_profile(s: &mut Scenario, text: &str) -> Result<String, FieldError> {
    const PATH: &str = "instance profile";
    // A problem in the file names its place in it; a refusal by the scenario says why.
    let in_file = |p: scalelab_core::Problems| match p.0.into_iter().next() {
        Some(p) if !p.path.is_empty() => FieldError::new(format!("{PATH}: {}", p.path), p.message),
        Some(p) => FieldError::new(PATH, p.message),
        None => FieldError::new(PATH, "refused"),
    };
    let refused = |p: scalelab_core::Problems| {
        let first = p.0.into_iter().next().map(|p| p.to_string()).unwrap_or_default();
        FieldError::new(PATH, format!("the scenario refuses this profile: {first}"))
    };
    let m = scalelab_core::measured::MeasuredProfile::from_json(text).map_err(in_file)?;
    m.apply_to(s).map_err(refused)?;
    Ok(m.label())
}

/// Replaces the entry that `same` matches with `item`, or appends it.
fn upsert<T>(list: &mut Vec<T>, item: T, same: impl Fn(&T, &T) -> bool) {
    list.retain(|x| !same(x, &item));
    list.push(item);
}

/// Merges AWS request JSON pasted by a user into the scenario's scaling section: either a
/// whole section (`{"RegisterScalableTarget": [...], "PutScalingPolicy": [...]}`) or one request
/// body (recognised by `PolicyName`, `AlarmName`, `ScheduledActionName`, or a scalable target's
/// `MinCapacity`). A policy, alarm or scheduled action with the same name is replaced, a target
/// with the same resource and dimension too. Returns what was applied, or every problem with
/// its path; on error the scenario is unchanged.
pub fn apply_aws_json(s: &mut Scenario, text: &str) -> Result<String, Vec<FieldError>> {
    use scalelab_core::autoscaling::aws::ScalingConfig;
    let value: serde_json::Value =
        serde_json::from_str(text).map_err(|e| vec![FieldError::new("", format!("not valid JSON: {e}"))])?;
    let Some(obj) = value.as_object() else {
        return Err(vec![FieldError::new("", "paste a JSON object: a request body or a scaling section")]);
    };
    let key = if obj.contains_key("PolicyName") {
        Some("PutScalingPolicy")
    } else if obj.contains_key("AlarmName") {
        Some("PutMetricAlarm")
    } else if obj.contains_key("ScheduledActionName") {
        Some("PutScheduledAction")
    } else if obj.contains_key("MinCapacity") && obj.contains_key("ResourceId") {
        Some("RegisterScalableTarget")
    } else {
        None
    };
    let section = match key {
        Some(k) => serde_json::json!({ k: [value.clone()] }),
        None => value.clone(),
    };
    let pasted: ScalingConfig = {
        // Parse through the scenario reader so that errors carry its paths and suggestions.
        let mut base = serde_json::to_value(&*s).map_err(|e| vec![FieldError::new("", e.to_string())])?;
        if let Some(o) = base.as_object_mut() {
            o.insert("scaling".into(), section);
        }
        let parsed = Scenario::from_json(&base.to_string())
            .map_err(|p| p.0.into_iter().map(|p| FieldError::new(p.path, p.message)).collect::<Vec<_>>())?;
        parsed.scaling.unwrap_or_default()
    };
    let mut next = s.clone();
    let cfg = next.scaling.get_or_insert_with(ScalingConfig::default);
    let mut applied = Vec::new();
    for t in pasted.register_scalable_target {
        applied.push(format!("scalable target {}", t.resource_id));
        upsert(&mut cfg.register_scalable_target, t, |a, b| {
            a.resource_id == b.resource_id && a.scalable_dimension == b.scalable_dimension
        });
    }
    for p in pasted.put_scaling_policy {
        applied.push(format!("policy {}", p.policy_name));
        upsert(&mut cfg.put_scaling_policy, p, |a, b| a.policy_name == b.policy_name);
    }
    for a in pasted.put_metric_alarm {
        applied.push(format!("alarm {}", a.alarm_name));
        upsert(&mut cfg.put_metric_alarm, a, |a, b| a.alarm_name == b.alarm_name);
    }
    for a in pasted.put_scheduled_action {
        applied.push(format!("scheduled action {}", a.scheduled_action_name));
        upsert(&mut cfg.put_scheduled_action, a, |a, b| a.scheduled_action_name == b.scheduled_action_name);
    }
    if applied.is_empty() {
        return Err(vec![FieldError::new("", "nothing to apply: the JSON holds no scaling request")]);
    }
    if let Err(p) = scalelab_core::plan(&next, None) {
        return Err(p.0.into_iter().map(|p| FieldError::new(p.path, p.message)).collect());
    }
    *s = next;
    Ok(applied.join(", "))
}

#[cfg(all(test, not(target_arch = "wasm32")))]
mod tests {
    #![allow(clippy::unwrap_used)]
    use super::*;

    fn after() -> Scenario {
        scalelab_core::examples::get("seed-001-after").unwrap()
    }

    #[test]
    fn bad_peak_rates_are_refused_and_change_nothing() {
        let mut s = after();
        let before = s.clone();
        assert!(set_peak_rps(&mut s, "0").is_err());
        assert!(set_peak_rps(&mut s, "fast").unwrap_err().message.contains("\"fast\""));
        assert!(set_peak_rps(&mut s, "1e12").unwrap_err().message.contains("refused"));
        assert_eq!(s, before);
        // A built-in model limits the instance types to those it was measured on.
        assert!(instance_choices_for(&s, 0).iter().all(|t| t.name != "ml.g5.2xlarge"));
        assert!(instance_choices_for(&s, 0).iter().any(|t| t.name == "ml.m4.xlarge"));
    }
}

#[cfg(all(test, not(target_arch = "wasm32")))]
mod traffic_tests {
    #![allow(clippy::unwrap_used)]
    use super::*;

    #[test]
    fn setting_the_peak_scales_every_shape_and_keeps_the_profile() {
        for name in ["seed-001-before", "spiky-diurnal", "seed-003-scale-to-zero", "llama-8b-business-day"] {
            let mut s = scalelab_core::examples::get(name).unwrap();
            let before = scalelab_core::plan(&s, None).unwrap();
            let target = (before.peak_rps * 1.5 * 1000.0).round() / 1000.0;
            set_peak_rps(&mut s, &target.to_string()).unwrap();
            let after = scalelab_core::plan(&s, None).unwrap();
            // Rates are rounded to 0.001 requests/s: within 0.5 % of the asked peak, and the
            // expected requests grow by the same factor.
            assert!((after.peak_rps / target - 1.0).abs() < 0.005, "{name}: {} vs {target}", after.peak_rps);
            let ratio = after.expected_requests / before.expected_requests;
            assert!((ratio - 1.5).abs() < 0.01, "{name}: {ratio}");
        }
    }
}

#[cfg(all(test, not(target_arch = "wasm32")))]
mod profile_tests {
    #![allow(clippy::unwrap_used)]
    use super::*;

    #[test]
    fn a_measured_profile_replaces_every_variants_model() {
        let mut s = scalelab_core::examples::get("ab-test-variants").unwrap();
        let profile = scalelab_core::profile::builtin_model("resnet50").unwrap();
        let p = profile.profile_for(profile.instance_types().next().unwrap()).unwrap().clone();
        let file = serde_json::json!({
            "profile": p,
            "provenance": {"adapter": "NVIDIA A10G", "backend": "Vulkan", "driver": "NVIDIA 550",
                           "deviceType": "discrete", "date": "2026-11-23",
                           "workload": {"name": "encoder", "seq": 128, "hidden": 768, "heads": 12, "ffn": 3072, "layers": 12},
                           "workloadLabel": "encoder 12 layers", "maxBatch": 8, "timing": "timestamps",
                           "points": [], "achievedGflops": 1.0, "achievedGbytesPerS": 1.0, "note": ""}
        });
        let label = apply_measured_profile(&mut s, &file.to_string()).unwrap();
        assert_eq!(label, "measured on NVIDIA A10G (discrete, 2026-11-23), encoder 12 layers");
        // With a fidelity figure, the label says how close the simulator came.
        let mut with = file.clone();
        with["provenance"]["fidelity"] = serde_json::json!({
            "sloP99Ms": 100.0, "measuredMaxRps": 412.5, "predictedMaxRps": 398.25, "maxRpsError": 0.0345,
            "measuredP99MsAtMax": 90.0, "predictedP99MsAtMax": 95.0, "method": "live"
        });
        let label = apply_measured_profile(&mut s, &with.to_string()).unwrap();
        assert!(label.ends_with("; max RPS at p99 ≤ 100 ms: 412.5 measured, 398.2 simulated (3.5 % apart)"), "{label}");
        assert!(s.endpoint.variants.iter().all(|v| v.model.is_none() && v.profile.as_ref() == Some(&p)));
        scalelab_core::simulate(&scalelab_core::examples::shortened(&s, 10), Some(1)).unwrap();
    }

    #[test]
    fn a_wrong_file_is_refused_and_nothing_changes() {
        let mut s = scalelab_core::examples::get("seed-001-before").unwrap();
        let before = s.clone();
        assert!(apply_measured_profile(&mut s, "{}").unwrap_err().message.contains("scalelab calibrate"));
        let bad = r#"{"profile": {"workers": "four"}}"#;
        assert!(apply_measured_profile(&mut s, bad).unwrap_err().path.contains("profile"));
        assert!(apply_measured_profile(&mut s, "not json").is_err());
        assert_eq!(s, before);
    }
}

#[cfg(all(test, not(target_arch = "wasm32")))]
mod paste_tests {
    #![allow(clippy::unwrap_used, clippy::indexing_slicing)]
    use super::*;

    const TARGET: &str = r#"{"ServiceNamespace": "sagemaker", "ResourceId": "endpoint/decision-trees-sample/variant/AllTraffic",
        "ScalableDimension": "sagemaker:variant:DesiredInstanceCount", "MinCapacity": 1, "MaxCapacity": 4}"#;

    fn policy(kind: &str) -> String {
        format!(
            r#"{{"PolicyName": "ipi", "ServiceNamespace": "sagemaker",
            "ResourceId": "endpoint/decision-trees-sample/variant/AllTraffic",
            "ScalableDimension": "sagemaker:variant:DesiredInstanceCount", "PolicyType": "{kind}",
            "TargetTrackingScalingPolicyConfiguration": {{"TargetValue": 900,
              "PredefinedMetricSpecification": {{"PredefinedMetricType": "SageMakerVariantInvocationsPerInstance"}}}}}}"#
        )
    }

    #[test]
    fn a_pasted_target_and_policy_make_seed_001_before_scale() {
        let mut s = scalelab_core::examples::get("seed-001-before").unwrap();
        assert!(apply_aws_json(&mut s, TARGET).unwrap().contains("scalable target"));
        assert_eq!(apply_aws_json(&mut s, &policy("TargetTrackingScaling")).unwrap(), "policy ipi");
        assert_eq!(target_value(&s), Some(900.0));
        assert_eq!(s.scaling.as_ref().unwrap().register_scalable_target[0].max_capacity, 4);
        let r = scalelab_core::simulate(&s, Some(1)).unwrap();
        assert!(r.summary.max_in_service_instances > 1, "the pasted policy scales out");
        // Pasting it again replaces it instead of adding a second policy.
        apply_aws_json(&mut s, &policy("TargetTrackingScaling")).unwrap();
        assert_eq!(s.scaling.as_ref().unwrap().put_scaling_policy.len(), 1);
    }

    #[test]
    fn a_misspelled_policy_type_is_refused_with_its_path_and_nothing_changes() {
        let mut s = scalelab_core::examples::get("seed-001-before").unwrap();
        apply_aws_json(&mut s, TARGET).unwrap();
        let before = s.clone();
        let errs = apply_aws_json(&mut s, &policy("TargetTrackingScalling")).unwrap_err();
        assert_eq!(errs[0].path, "scaling.PutScalingPolicy[0].PolicyType", "{errs:?}");
        assert!(errs[0].message.contains("TargetTrackingScaling"), "{}", errs[0].message);
        assert_eq!(s, before);
        // A policy for a target that is not registered: the planner's message, with its path.
        let mut bare = scalelab_core::examples::get("seed-001-before").unwrap();
        let errs = apply_aws_json(&mut bare, &policy("TargetTrackingScaling")).unwrap_err();
        assert!(errs.iter().any(|e| e.path.starts_with("scaling.PutScalingPolicy[0]")), "{errs:?}");
        assert!(apply_aws_json(&mut bare, "[1, 2]").is_err());
        assert!(apply_aws_json(&mut bare, "{\"PolicyName\": ").unwrap_err()[0].message.contains("not valid JSON"));
    }
}

#[cfg(all(test, not(target_arch = "wasm32")))]
mod aws_paste_tests {
    #![allow(clippy::unwrap_used)]
    use super::*;

    /// The documents a user pastes from AWS that the format used to refuse: a target tracking
    /// policy on metric math, and a step policy's alarm on ModelLatency's p99.
    #[test]
    fn metric_math_policies_and_percentile_alarms_paste_and_run() {
        let mut s = scalelab_core::examples::get("seed-001-before").unwrap();
        let dims = r#"[{"Name": "EndpointName", "Value": "decision-trees-sample"}, {"Name": "VariantName", "Value": "AllTraffic"}]"#;
        let target = r#"{"ServiceNamespace": "sagemaker", "ResourceId": "endpoint/decision-trees-sample/variant/AllTraffic",
            "ScalableDimension": "sagemaker:variant:DesiredInstanceCount", "MinCapacity": 1, "MaxCapacity": 4}"#;
        apply_aws_json(&mut s, target).unwrap();
        let policy = format!(
            r#"{{"PolicyName": "per-second", "ServiceNamespace": "sagemaker",
            "ResourceId": "endpoint/decision-trees-sample/variant/AllTraffic",
            "ScalableDimension": "sagemaker:variant:DesiredInstanceCount", "PolicyType": "TargetTrackingScaling",
            "TargetTrackingScalingPolicyConfiguration": {{"TargetValue": 400, "CustomizedMetricSpecification": {{"Metrics": [
              {{"Id": "m1", "MetricStat": {{"Metric": {{"MetricName": "InvocationsPerInstance", "Namespace": "AWS/SageMaker",
                "Dimensions": {dims}}}, "Stat": "Sum"}}, "ReturnData": false}},
              {{"Id": "e1", "Expression": "m1/60", "ReturnData": true}}]}}}}}}"#
        );
        assert_eq!(apply_aws_json(&mut s, &policy).unwrap(), "policy per-second");
        let alarm = format!(
            r#"{{"AlarmName": "p99-high", "MetricName": "ModelLatency", "Namespace": "AWS/SageMaker",
            "ExtendedStatistic": "p99", "Dimensions": {dims}, "Period": 60, "EvaluationPeriods": 2,
            "Threshold": 50000, "ComparisonOperator": "GreaterThanThreshold", "AlarmActions": []}}"#
        );
        apply_aws_json(&mut s, &alarm).unwrap();
        let report = scalelab_core::simulate(&scalelab_core::examples::shortened(&s, 4), Some(1)).unwrap();
        assert!(report.scaler_metrics.iter().any(|m| m.metric == "m1/60"), "the expression is charted");
        assert!(report.scaler_metrics.iter().any(|m| m.statistic == "p99"), "the percentile is charted");
        // A misspelled percentile is a problem at its path, and nothing changes.
        let before = s.clone();
        let bad = alarm.replace("\"p99\"", "\"P99\"");
        let errs = apply_aws_json(&mut s, &bad).unwrap_err();
        assert!(errs.iter().any(|e| e.message.contains("did you mean p99")), "{errs:?}");
        assert_eq!(s, before);
    }
}
