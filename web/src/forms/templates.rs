//! Templates: a working entry of each kind (target tracking, step policy with its alarm,
//! scheduled action, on-demand change, scale to zero, asynchronous inference), sized from the
//! first variant's capacity in the scenario's plan.

use scalelab_core::{Plan, Scenario, vocab};
use serde_json::{Value, json};

use super::cascades::scaling_list;
use super::{check, set_at, text_of, to_value, variant_path};
use crate::edit::FieldError;

/// The entries a user can add from the page.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Template {
    TargetTracking,
    StepScaling,
    Scheduled,
    OnDemand,
    ScaleToZero,
    AsyncInference,
}

impl Template {
    pub const ALL: [Template; 6] = [
        Template::TargetTracking,
        Template::StepScaling,
        Template::Scheduled,
        Template::OnDemand,
        Template::ScaleToZero,
        Template::AsyncInference,
    ];

    pub fn label(self) -> &'static str {
        match self {
            Template::TargetTracking => "Target tracking policy",
            Template::StepScaling => "Step policy + alarm",
            Template::Scheduled => "Scheduled action",
            Template::OnDemand => "On-demand change",
            Template::ScaleToZero => "Scale to zero",
            Template::AsyncInference => "Asynchronous inference",
        }
    }

    pub fn id(self) -> &'static str {
        match self {
            Template::TargetTracking => "target-tracking",
            Template::StepScaling => "step",
            Template::Scheduled => "scheduled",
            Template::OnDemand => "on-demand",
            Template::ScaleToZero => "scale-to-zero",
            Template::AsyncInference => "async",
        }
    }

    pub fn from_id(id: &str) -> Option<Template> {
        Template::ALL.into_iter().find(|t| t.id() == id)
    }
}

/// The first variant's names and capacity, for templates.
#[derive(Clone)]
struct Subject {
    endpoint: String,
    variant: String,
    component: Option<String>,
    /// A serverless variant: scaled by its provisioned concurrency.
    serverless: bool,
    initial: u32,
    /// Requests per second one instance (or copy) serves at full load.
    capacity_rps: f64,
}

fn subject(s: &Scenario, plan: &Plan) -> Result<Subject, FieldError> {
    let v = s.endpoint.variants.first().ok_or_else(|| FieldError {
        path: "endpoint.variants".into(),
        message: "the endpoint has no variant".into(),
    })?;
    let capacity_rps = plan.variants.first().map_or(1.0, |p| p.profile.capacity_rps());
    Ok(Subject {
        endpoint: s.endpoint.name.clone(),
        variant: v.name.clone(),
        component: v.inference_component.as_ref().map(|c| c.name.clone()),
        serverless: v.serverless_config.is_some(),
        initial: match &v.serverless_config {
            Some(c) => c.provisioned_concurrency.unwrap_or(1),
            None => v.initial_instance_count.unwrap_or(0),
        },
        capacity_rps,
    })
}

impl Subject {
    fn resource(&self) -> (String, &'static str) {
        let variant = format!("endpoint/{}/variant/{}", self.endpoint, self.variant);
        match &self.component {
            Some(c) => (format!("inference-component/{c}"), vocab::COMPONENT_DIMENSION),
            None if self.serverless => (variant, vocab::PROVISIONED_CONCURRENCY_DIMENSION),
            None => (variant, vocab::VARIANT_DIMENSION),
        }
    }

    fn dimensions(&self) -> Value {
        match &self.component {
            Some(c) => json!([{"Name": "InferenceComponentName", "Value": c}]),
            None => {
                json!([{"Name": "EndpointName", "Value": self.endpoint}, {"Name": "VariantName", "Value": self.variant}])
            }
        }
    }

    /// Invocations per instance (or copy) per minute at `share` of capacity, rounded to a
    /// readable figure.
    fn per_minute(&self, share: f64) -> f64 {
        round_readable(self.capacity_rps * 60.0 * share).max(1.0)
    }
}

/// Two significant digits.
fn round_readable(x: f64) -> f64 {
    if !(x.is_finite() && x > 0.0) {
        return 0.0;
    }
    // Through decimal text, the same on every target.
    format!("{x:.1e}").parse().unwrap_or(x)
}

fn unique(base: &str, taken: &[String]) -> String {
    if !taken.iter().any(|t| t == base) {
        return base.to_string();
    }
    (2..).map(|k| format!("{base}-{k}")).find(|n| !taken.iter().any(|t| t == n)).unwrap_or_else(|| base.to_string())
}

fn names(root: &Value, key: &str, name_key: &str) -> Vec<String> {
    root.pointer(&format!("/scaling/{key}"))
        .and_then(Value::as_array)
        .map(|l| l.iter().filter_map(|x| x.get(name_key)?.as_str().map(String::from)).collect())
        .unwrap_or_default()
}

fn push(root: &mut Value, key: &str, item: Value) -> Result<(), FieldError> {
    let err = |m: &str| FieldError { path: format!("scaling.{key}"), message: m.into() };
    let obj = root.as_object_mut().ok_or_else(|| err("the scenario is not an object"))?;
    let sc = obj.entry("scaling").or_insert_with(|| json!({}));
    let list =
        sc.as_object_mut().ok_or_else(|| err("scaling is not an object"))?.entry(key).or_insert_with(|| json!([]));
    list.as_array_mut().ok_or_else(|| err("not a list"))?.push(item);
    Ok(())
}

/// The first registered target (resource, dimension), registering one for the first variant
/// (or its inference component) if there is none.
fn ensure_target(root: &mut Value, sub: &Subject) -> Result<(String, String), FieldError> {
    if let Some(t) = root.pointer("/scaling/RegisterScalableTarget/0") {
        return Ok((text_of(t.get("ResourceId")), text_of(t.get("ScalableDimension"))));
    }
    let (id, dim) = sub.resource();
    let min = sub.initial.max(1);
    push(
        root,
        "RegisterScalableTarget",
        json!({"ServiceNamespace": vocab::SERVICE_NAMESPACE, "ResourceId": id, "ScalableDimension": dim,
               "MinCapacity": min, "MaxCapacity": (min * 4).max(4)}),
    )?;
    Ok((id, dim.to_string()))
}

/// Sets MinCapacity 0 on the targets registered for `id`.
fn allow_zero(root: &mut Value, id: &str) {
    if let Some(targets) = scaling_list(root, "RegisterScalableTarget") {
        for t in targets.iter_mut().filter(|t| t.get("ResourceId").and_then(Value::as_str) == Some(id)) {
            t["MinCapacity"] = json!(0);
        }
    }
}

/// A target tracking policy on `target` (resource id, dimension).
fn tracking_policy(name: &str, target: (&str, &str), config: Value) -> Value {
    json!({"PolicyName": name, "ServiceNamespace": vocab::SERVICE_NAMESPACE, "ResourceId": target.0,
           "ScalableDimension": target.1, "PolicyType": "TargetTrackingScaling",
           "TargetTrackingScalingPolicyConfiguration": config})
}

/// Adds a working entry of the template's kind to `s`, sized from `plan` (the plan of `s`).
/// Returns a sentence saying what was added.
pub fn add(s: &mut Scenario, plan: &Plan, template: Template) -> Result<String, FieldError> {
    let sub = subject(s, plan)?;
    let mut root = to_value(s)?;
    let policies = names(&root, "PutScalingPolicy", "PolicyName");
    let said = match template {
        Template::TargetTracking => {
            let (id, dim) = ensure_target(&mut root, &sub)?;
            let ic = dim == vocab::COMPONENT_DIMENSION;
            if dim == vocab::PROVISIONED_CONCURRENCY_DIMENSION {
                // AWS's example: half the provisioned concurrency busy.
                let name = unique("provisioned-concurrency", &policies);
                let config = json!({"TargetValue": 0.5,
                    "PredefinedMetricSpecification": {"PredefinedMetricType": "SageMakerVariantProvisionedConcurrencyUtilization"},
                    "ScaleOutCooldown": 60, "ScaleInCooldown": 300});
                push(&mut root, "PutScalingPolicy", tracking_policy(&name, (&id, &dim), config))?;
                *s = check(&root, "scaling")?;
                return Ok(format!("target tracking policy {name}: half the provisioned concurrency busy"));
            }
            let (metric, target) = if ic {
                ("SageMakerInferenceComponentInvocationsPerCopy", sub.per_minute(0.5))
            } else {
                ("SageMakerVariantInvocationsPerInstance", sub.per_minute(0.5))
            };
            let name = unique(if ic { "invocations-per-copy" } else { "invocations-per-instance" }, &policies);
            let config = json!({"TargetValue": target,
                "PredefinedMetricSpecification": {"PredefinedMetricType": metric},
                "ScaleOutCooldown": 300, "ScaleInCooldown": 300});
            push(&mut root, "PutScalingPolicy", tracking_policy(&name, (&id, &dim), config))?;
            format!(
                "target tracking policy {name}: {} per minute, half of what one {} serves at full load",
                scalelab_core::fmt::num(target),
                if ic { "copy" } else { "instance" }
            )
        }
        Template::StepScaling => {
            let (id, dim) = ensure_target(&mut root, &sub)?;
            let ic = dim == vocab::COMPONENT_DIMENSION;
            let name = unique("step-scale-out", &policies);
            let alarm = unique(&format!("{name}-high"), &names(&root, "PutMetricAlarm", "AlarmName"));
            let pc = dim == vocab::PROVISIONED_CONCURRENCY_DIMENSION;
            // Serverless: 70 % of the provisioned concurrency busy; otherwise 70 % of capacity.
            let (metric, statistic, threshold) = match (ic, pc) {
                (_, true) => ("ServerlessProvisionedConcurrencyUtilization", "Average", 0.7),
                (true, _) => ("InvocationsPerCopy", "Sum", sub.per_minute(0.7)),
                _ => ("InvocationsPerInstance", "Sum", sub.per_minute(0.7)),
            };
            // The second step starts halfway between the threshold and full load (serverless:
            // at 85 % busy).
            let step = if pc { 0.15 } else { threshold / 2.0 };
            push(
                &mut root,
                "PutScalingPolicy",
                json!({"PolicyName": name, "ServiceNamespace": vocab::SERVICE_NAMESPACE, "ResourceId": id,
                       "ScalableDimension": dim, "PolicyType": "StepScaling",
                       "StepScalingPolicyConfiguration": {
                           "AdjustmentType": "ChangeInCapacity", "MetricAggregationType": "Average", "Cooldown": 120,
                           "StepAdjustments": [
                               {"MetricIntervalLowerBound": 0.0, "MetricIntervalUpperBound": step, "ScalingAdjustment": 1},
                               {"MetricIntervalLowerBound": step, "ScalingAdjustment": 2}]}}),
            )?;
            push(
                &mut root,
                "PutMetricAlarm",
                json!({"AlarmName": alarm, "MetricName": metric,
                       "Namespace": vocab::NAMESPACE_INVOCATIONS, "Statistic": statistic, "Dimensions": sub.dimensions(),
                       "Period": 60, "EvaluationPeriods": 2, "DatapointsToAlarm": 2, "Threshold": threshold,
                       "ComparisonOperator": "GreaterThanThreshold", "TreatMissingData": "notBreaching",
                       "AlarmActions": [name]}),
            )?;
            if pc {
                format!(
                    "step policy {name} with alarm {alarm} (provisioned concurrency over 70 % busy for 2 minutes: +1, +2 from 85 %)"
                )
            } else {
                format!(
                    "step policy {name} with alarm {alarm} (above {} per minute for 2 minutes: +1, +2 from 50 % higher)",
                    scalelab_core::fmt::num(threshold)
                )
            }
        }
        Template::Scheduled => {
            let (id, dim) = ensure_target(&mut root, &sub)?;
            let taken = names(&root, "PutScheduledAction", "ScheduledActionName");
            let name = unique("weekday-morning", &taken);
            let min = sub.initial.max(1) + 1;
            push(
                &mut root,
                "PutScheduledAction",
                json!({"ServiceNamespace": vocab::SERVICE_NAMESPACE, "ScheduledActionName": name, "ResourceId": id,
                       "ScalableDimension": dim, "Schedule": "cron(0 8 ? * MON-FRI *)", "Timezone": "UTC",
                       "ScalableTargetAction": {"MinCapacity": min}}),
            )?;
            format!("scheduled action {name}: MinCapacity {min} at 08:00 UTC on weekdays")
        }
        Template::OnDemand => {
            let at = s.duration.as_secs_f64() / 2.0;
            let count = sub.initial + 1;
            let change = json!({"at": format!("{}s", at.round()),
                "UpdateEndpointWeightsAndCapacities": {"EndpointName": sub.endpoint,
                    "DesiredWeightsAndCapacities": [{"VariantName": sub.variant, "DesiredInstanceCount": count}]}});
            let obj = root.as_object_mut().ok_or_else(|| FieldError {
                path: "capacityChanges".into(),
                message: "the scenario is not an object".into(),
            })?;
            let list = obj.entry("capacityChanges").or_insert_with(|| json!([]));
            if let Some(l) = list.as_array_mut() {
                l.push(change);
            }
            format!("an on-demand change to {count} instances halfway through the run")
        }
        Template::ScaleToZero => add_scale_to_zero(&mut root, &sub, &policies)?,
        Template::AsyncInference => add_async(&mut root, &sub, &policies)?,
    };
    *s = check(&root, "scaling")?;
    Ok(said)
}

/// Turns the first variant into an inference component whose copies scale to zero, as seed
/// 003 does: managed instance scaling down to 0, copy target tracking, and a step policy on
/// `NoCapacityInvocationFailures` that brings a copy back when requests arrive.
fn add_scale_to_zero(root: &mut Value, sub: &Subject, policies: &[String]) -> Result<String, FieldError> {
    let v = variant_path(0);
    let err = |m: &str| FieldError { path: v.join("inferenceComponent").to_string(), message: m.into() };
    if v.join("asyncInference").get(root).is_some() {
        return Err(err(
            "an asynchronous endpoint scales to zero on its backlog already: see its target's MinCapacity",
        ));
    }
    let ic = match &sub.component {
        Some(c) => c.clone(),
        None => {
            let name = format!("{}-ic", sub.variant.to_lowercase());
            let max = (sub.initial.max(1) * 4).max(4);
            v.join("inferenceComponent")
                .set(root, Some(json!({"name": name, "copyCount": sub.initial.max(1)})))
                .map_err(|m| err(&m))?;
            v.join("managedInstanceScaling")
                .set(root, Some(json!({"minInstanceCount": 0, "maxInstanceCount": max})))
                .map_err(|m| err(&m))?;
            // The variant's own target and policies would now scale instances that the
            // component manages: move them to the copy count.
            let (old_id, _) = Subject { component: None, ..sub.clone() }.resource();
            let new_id = format!("inference-component/{name}");
            for key in ["RegisterScalableTarget", "PutScalingPolicy", "PutScheduledAction"] {
                if let Some(list) = scaling_list(root, key) {
                    for x in list.iter_mut().filter(|x| x.get("ResourceId").and_then(Value::as_str) == Some(&old_id)) {
                        x["ResourceId"] = json!(new_id);
                        x["ScalableDimension"] = json!(vocab::COMPONENT_DIMENSION);
                        if let Some(m) = x.pointer_mut(
                            "/TargetTrackingScalingPolicyConfiguration/PredefinedMetricSpecification/PredefinedMetricType",
                        ) && m == "SageMakerVariantInvocationsPerInstance"
                        {
                            *m = json!("SageMakerInferenceComponentInvocationsPerCopy");
                        }
                    }
                }
            }
            name
        }
    };
    let sub = Subject { component: Some(ic.clone()), ..sub.clone() };
    let (id, dim) = ensure_target(root, &sub)?;
    allow_zero(root, &id);
    let tracked = scaling_list(root, "PutScalingPolicy").is_some_and(|l| {
        l.iter().any(|p| {
            p.get("ResourceId").and_then(Value::as_str) == Some(&id)
                && p.get("TargetTrackingScalingPolicyConfiguration").is_some()
        })
    });
    if !tracked {
        let config = json!({"TargetValue": sub.per_minute(0.5),
            "PredefinedMetricSpecification": {"PredefinedMetricType": "SageMakerInferenceComponentInvocationsPerCopy"},
            "ScaleOutCooldown": 300, "ScaleInCooldown": 300});
        push(
            root,
            "PutScalingPolicy",
            tracking_policy(&unique("invocations-per-copy", policies), (&id, &dim), config),
        )?;
    }
    let (wake, alarm) = push_wake_up(
        root,
        WakeUp {
            policy: unique("scale-out-from-zero", policies),
            alarm: format!("{ic}-no-capacity"),
            target: (&id, &dim),
            metric: "NoCapacityInvocationFailures",
            statistic: "Maximum",
            dimensions: json!([{"Name": "InferenceComponentName", "Value": ic}]),
            periods: 1,
            cooldown: 60,
        },
    )?;
    Ok(format!(
        "scale to zero: inference component {ic} (MinCapacity 0), wake-up policy {wake} on alarm {alarm}; requests fail with ValidationError while no copy runs"
    ))
}

/// The wake-up from zero: a step policy adding one unit whenever its alarm (`metric` at or
/// above 1 for `periods` minutes) is in ALARM.
struct WakeUp<'a> {
    policy: String,
    /// The alarm's name before it is made unique.
    alarm: String,
    /// Resource id and scalable dimension.
    target: (&'a str, &'a str),
    metric: &'static str,
    statistic: &'static str,
    dimensions: Value,
    periods: u32,
    cooldown: u32,
}

/// Adds the wake-up policy and its alarm; returns their names.
fn push_wake_up(root: &mut Value, w: WakeUp<'_>) -> Result<(String, String), FieldError> {
    push(
        root,
        "PutScalingPolicy",
        json!({"PolicyName": w.policy, "ServiceNamespace": vocab::SERVICE_NAMESPACE, "ResourceId": w.target.0,
               "ScalableDimension": w.target.1, "PolicyType": "StepScaling",
               "StepScalingPolicyConfiguration": {"AdjustmentType": "ChangeInCapacity",
                   "MetricAggregationType": w.statistic, "Cooldown": w.cooldown,
                   "StepAdjustments": [{"MetricIntervalLowerBound": 0.0, "ScalingAdjustment": 1}]}}),
    )?;
    let alarm = unique(&w.alarm, &names(root, "PutMetricAlarm", "AlarmName"));
    push(
        root,
        "PutMetricAlarm",
        json!({"AlarmName": alarm, "MetricName": w.metric, "Namespace": vocab::NAMESPACE_INVOCATIONS,
               "Statistic": w.statistic, "Dimensions": w.dimensions, "Period": 60,
               "EvaluationPeriods": w.periods, "DatapointsToAlarm": w.periods, "Threshold": 1,
               "ComparisonOperator": "GreaterThanOrEqualToThreshold", "TreatMissingData": "missing",
               "AlarmActions": [w.policy]}),
    )?;
    Ok((w.policy, alarm))
}

/// Makes the first variant asynchronous and scales it on its backlog, down to zero, with a
/// `HasBacklogWithoutCapacity` alarm to wake it (seed 002).
fn add_async(root: &mut Value, sub: &Subject, policies: &[String]) -> Result<String, FieldError> {
    let path = variant_path(0).join("asyncInference");
    if sub.component.is_some() {
        return Err(FieldError {
            path: path.to_string(),
            message: "an inference component cannot be asynchronous here: pick a preset without one".into(),
        });
    }
    set_at(root, &path, Some(json!({"invocationTimeout": "15m"})))?;
    let (id, dim) = ensure_target(root, sub)?;
    allow_zero(root, &id);
    let endpoint_dim = json!([{"Name": "EndpointName", "Value": sub.endpoint}]);
    let backlog = unique("backlog-per-instance", policies);
    let config = json!({"TargetValue": 5.0,
        "CustomizedMetricSpecification": {"MetricName": "ApproximateBacklogSizePerInstance",
            "Namespace": vocab::NAMESPACE_INVOCATIONS, "Dimensions": endpoint_dim, "Statistic": "Average"},
        "ScaleInCooldown": 600, "ScaleOutCooldown": 300});
    push(root, "PutScalingPolicy", tracking_policy(&backlog, (&id, &dim), config))?;
    let (wake, alarm) = push_wake_up(
        root,
        WakeUp {
            policy: unique("wake-from-zero", policies),
            alarm: format!("{}-backlog-without-capacity", sub.endpoint),
            target: (&id, &dim),
            metric: "HasBacklogWithoutCapacity",
            statistic: "Average",
            dimensions: endpoint_dim,
            periods: 2,
            cooldown: 300,
        },
    )?;
    Ok(format!(
        "asynchronous inference: backlog target tracking {backlog} (5 per instance, MinCapacity 0) and wake-up {wake} on alarm {alarm}"
    ))
}

#[cfg(all(test, not(target_arch = "wasm32")))]
mod tests {
    #![allow(clippy::unwrap_used, clippy::indexing_slicing, clippy::panic)]
    use scalelab_core::examples;

    use super::super::test_support::{example, planned};
    use super::*;

    fn shortened_run(s: &Scenario) -> scalelab_core::report::Report {
        scalelab_core::simulate(s, Some(1)).unwrap()
    }

    fn add_to(s: &mut Scenario, t: Template) -> Result<String, FieldError> {
        let plan = planned(s);
        add(s, &plan, t)
    }

    #[test]
    fn a_target_tracking_template_makes_seed_001_before_scale_out() {
        let mut s = example("seed-001-before");
        assert!(s.scaling.is_none());
        let said = add_to(&mut s, Template::TargetTracking).unwrap();
        assert!(said.contains("invocations-per-instance"), "{said}");
        let r = shortened_run(&s);
        assert!(r.summary.max_in_service_instances > 1, "the added policy scales out");
        // The target value is half an instance's capacity per minute, to two digits.
        let cap = planned(&s).variants[0].profile.capacity_rps() * 30.0;
        let tv = crate::edit::target_value(&s).unwrap();
        assert!((tv / cap - 1.0).abs() < 0.05, "{tv} vs {cap}");
    }

    #[test]
    fn every_template_gives_a_scenario_that_runs_on_a_variant_endpoint() {
        for t in Template::ALL {
            let mut s = examples::shortened(&example("seed-001-before"), 20);
            add_to(&mut s, t).unwrap_or_else(|e| panic!("{t:?}: {e}"));
            // Twice: the second gets fresh names and still passes the checks.
            add_to(&mut s, t).unwrap_or_else(|e| panic!("{t:?} again: {e}"));
            let r = shortened_run(&s);
            assert!(r.summary.requests > 0, "{t:?}");
            assert_eq!(Template::from_id(t.id()), Some(t));
        }
    }

    #[test]
    fn scale_to_zero_turns_the_variant_into_a_component_that_stops_when_idle() {
        let mut s = example("seed-003-scale-to-zero");
        // Start from the seed's endpoint without its scaling, and let the template rebuild it.
        s.scaling = None;
        s.endpoint.variants[0].inference_component = None;
        s.endpoint.variants[0].managed_instance_scaling = None;
        add_to(&mut s, Template::ScaleToZero).unwrap();
        let v = &s.endpoint.variants[0];
        assert!(
            v.inference_component.is_some() && v.managed_instance_scaling.as_ref().unwrap().min_instance_count == 0
        );
        let sc = s.scaling.as_ref().unwrap();
        assert_eq!(sc.register_scalable_target[0].min_capacity, 0);
        assert!(sc.put_metric_alarm[0].metric_name.as_deref() == Some("NoCapacityInvocationFailures"));
        // The seed's traffic pauses for 45 minutes: the copies go to zero, then come back.
        let r = shortened_run(&s);
        let copies = r.series.iter().map(|row| row.in_service_instances).collect::<Vec<_>>();
        assert!(copies.contains(&0), "no scale to zero: {copies:?}");
        assert!(*copies.last().unwrap() >= 1, "no wake-up");
    }

    #[test]
    fn a_serverless_variant_scales_its_provisioned_concurrency() {
        let mut s = example("serverless-sporadic");
        for t in [Template::TargetTracking, Template::StepScaling, Template::Scheduled] {
            let plan = planned(&s);
            add(&mut s, &plan, t).unwrap_or_else(|e| panic!("{}: {e}", t.id()));
        }
        let sc = s.scaling.as_ref().unwrap();
        assert_eq!(sc.register_scalable_target[0].scalable_dimension, vocab::PROVISIONED_CONCURRENCY_DIMENSION);
        assert_eq!(sc.register_scalable_target[0].min_capacity, 1);
        let report = scalelab_core::simulate(&examples::shortened(&s, 3), Some(1)).unwrap();
        assert!(report.activities.iter().any(|a| a.description.contains("provisioned concurrency of AllTraffic")));
    }

    #[test]
    fn names_are_made_unique_and_figures_readable() {
        assert_eq!(round_readable(1234.0), 1200.0);
        assert_eq!(round_readable(0.0), 0.0);
        assert_eq!(unique("a", &["a".into(), "a-2".into()]), "a-3");
    }
}
