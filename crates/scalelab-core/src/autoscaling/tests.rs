//! The scaler against synthetic metric rows: AWS's documented behaviours, one at a time.

use serde_json::json;

use super::aws::ScalingConfig;
use super::*;
use crate::metrics::Row;
use crate::scaling::VariantView;
use crate::scenario::Endpoint;

const MIN: SimTime = 60 * US_PER_SEC;
/// Monday 2026-01-05 00:00 UTC, two weeks.
const CLOCK: RunClock = RunClock { start_unix_secs: 1_767_571_200, duration_us: 14 * 24 * 60 * MIN };

fn endpoint() -> EndpointNames {
    let e: Endpoint = serde_json::from_value(json!({
        "name": "ep",
        "variants": [{"name": "AllTraffic", "instanceType": "ml.c5.xlarge", "initialInstanceCount": 1, "model": "decision-tree"}]
    }))
    .unwrap();
    e.names()
}

fn target(min: u32, max: u32) -> serde_json::Value {
    json!({"ServiceNamespace": "sagemaker", "ResourceId": "endpoint/ep/variant/AllTraffic",
           "ScalableDimension": "sagemaker:variant:DesiredInstanceCount", "MinCapacity": min, "MaxCapacity": max})
}

fn tt(name: &str, metric: serde_json::Value, target: f64, disable_in: bool) -> serde_json::Value {
    let mut cfg =
        json!({"TargetValue": target, "ScaleOutCooldown": 300, "ScaleInCooldown": 300, "DisableScaleIn": disable_in});
    let key = if metric.get("PredefinedMetricType").is_some() {
        "PredefinedMetricSpecification"
    } else {
        "CustomizedMetricSpecification"
    };
    cfg[key] = metric;
    json!({"PolicyName": name, "ServiceNamespace": "sagemaker", "ResourceId": "endpoint/ep/variant/AllTraffic",
           "ScalableDimension": "sagemaker:variant:DesiredInstanceCount", "PolicyType": "TargetTrackingScaling",
           "TargetTrackingScalingPolicyConfiguration": cfg})
}

fn ipi() -> serde_json::Value {
    json!({"PredefinedMetricType": "SageMakerVariantInvocationsPerInstance"})
}

fn cpu() -> serde_json::Value {
    json!({"MetricName": "CPUUtilization", "Namespace": "/aws/sagemaker/Endpoints", "Statistic": "Average",
           "Dimensions": [{"Name": "EndpointName", "Value": "ep"}, {"Name": "VariantName", "Value": "AllTraffic"}]})
}

fn compile_ok(cfg: serde_json::Value) -> AutoScalingPlan {
    let cfg: ScalingConfig = serde_json::from_value(cfg).unwrap();
    let (mut p, mut w) = (Vec::new(), Vec::new());
    let plan = compile(&cfg, &endpoint(), MIN, CLOCK, &mut p, &mut w);
    assert!(p.is_empty(), "{p:?}");
    plan
}

/// One 60 s row per minute with the given invocations per instance and CPU.
fn rows(points: &[(f64, f64)]) -> Vec<Row> {
    points
        .iter()
        .enumerate()
        .map(|(k, &(ipi, cpu))| Row {
            requests: ipi as u64,
            invocations: ipi as u64,
            invocations_per_instance: ipi,
            cpu_utilization: (cpu >= 0.0).then_some(cpu),
            desired_instances: 1,
            in_service_instances: u32::from(cpu >= 0.0),
            billed_instances: u32::from(cpu >= 0.0),
            ..Row::empty(60.0 * k as f64, 60.0, 0)
        })
        .collect()
}

/// Runs the scaler over `rows`, keeping desired capacity as the scaler sets it; returns the
/// (minute, desired) changes and every command's cause.
fn drive(
    scaler: &mut AppAutoScaling,
    rows: &[Row],
    mut desired: u32,
    until: SimTime,
) -> (Vec<(f64, u32)>, Vec<String>) {
    let (mut changes, mut causes) = (Vec::new(), Vec::new());
    let mut now = 0;
    while now <= until {
        if scaler.next_wake().is_some_and(|t| t <= now) {
            let visible: Vec<Row> =
                rows.iter().filter(|r| (r.t_secs + r.period_secs) * 1e6 <= now as f64).cloned().collect();
            // The rows given are those published by now.
            let variants = vec![VariantView { desired, pending: 0, in_service: desired, weight: 1.0 }];
            let view = View::new(now, &[], &visible, 0, variants);
            for c in scaler.wake(now, &view) {
                causes.push(c.cause.to_string());
                if let Some(d) = c.desired {
                    desired = d;
                    changes.push((now as f64 / MIN as f64, d));
                }
            }
        }
        now += 10 * US_PER_SEC;
    }
    (changes, causes)
}

#[test]
fn step_cooldown_counts_the_capacity_already_added() {
    // +2 for [0, 10) above 50 % CPU, +3 above that. Capacity 10: CPU 55 → 12; a minute later,
    // still in cooldown, CPU 65 asks for +3 from 10: the +2 counts, so only 1 is added → 13.
    let plan = compile_ok(json!({
        "RegisterScalableTarget": [target(1, 20)],
        "PutScalingPolicy": [{"PolicyName": "cpu-step", "ServiceNamespace": "sagemaker",
            "ResourceId": "endpoint/ep/variant/AllTraffic", "ScalableDimension": "sagemaker:variant:DesiredInstanceCount",
            "PolicyType": "StepScaling", "StepScalingPolicyConfiguration": {"AdjustmentType": "ChangeInCapacity",
            "StepAdjustments": [{"MetricIntervalLowerBound": 0, "MetricIntervalUpperBound": 10, "ScalingAdjustment": 2},
                                {"MetricIntervalLowerBound": 10, "ScalingAdjustment": 3}], "Cooldown": 300}}],
        "PutMetricAlarm": [{"AlarmName": "cpu-high", "MetricName": "CPUUtilization", "Namespace": "/aws/sagemaker/Endpoints",
            "Statistic": "Average", "Dimensions": [{"Name": "EndpointName", "Value": "ep"}, {"Name": "VariantName", "Value": "AllTraffic"}],
            "Period": 60, "EvaluationPeriods": 1, "Threshold": 50, "ComparisonOperator": "GreaterThanThreshold",
            "AlarmActions": ["arn:aws:autoscaling:us-east-1:123456789012:scalingPolicy:abc:resource/sagemaker/endpoint/ep/variant/AllTraffic:policyName/cpu-step"]}]
    }));
    let mut s = AppAutoScaling::new(plan);
    let (changes, causes) = drive(&mut s, &rows(&[(0.0, 55.0), (0.0, 65.0), (0.0, 65.0)]), 10, 4 * MIN);
    assert_eq!(changes, vec![(2.0, 12), (3.0, 13)], "{causes:#?}");
    assert!(causes[1].contains("from 10"), "{}", causes[1]);
    // The alarm stays in ALARM at 4 min; still in cooldown and 10 + 3 = 13 is reached: no change.
    assert_eq!(causes.len(), 2);
}

#[test]
fn target_tracking_scales_out_when_any_policy_asks_and_in_only_when_all_agree() {
    let plan = compile_ok(json!({
        "RegisterScalableTarget": [target(1, 10)],
        "PutScalingPolicy": [tt("ipi", ipi(), 25_000.0, false), tt("cpu", cpu(), 50.0, false)],
    }));
    // 0–2: invocations high, CPU low → out. 3–19: invocations in the dead band (23 000), CPU low
    // → the CPU policy wants in but the invocations policy does not → no scale-in.
    let mut points = vec![(30_000.0, 10.0); 3];
    points.extend(vec![(23_000.0, 10.0); 17]);
    let mut s = AppAutoScaling::new(plan.clone());
    let (changes, causes) = drive(&mut s, &rows(&points), 2, 21 * MIN);
    assert_eq!(changes, vec![(4.0, 3)], "ceil(2 × 30000 / 25000) = 3 at 4 min: {causes:#?}");

    // Both low for 15 minutes → in, to the larger of the two proposals.
    let mut points = vec![(10_000.0, 20.0); 16];
    points.extend(vec![(10_000.0, 20.0); 4]);
    let mut s = AppAutoScaling::new(plan);
    let (changes, causes) = drive(&mut s, &rows(&points), 4, 17 * MIN);
    // ipi: ceil(4 × 10000 / 25000) = 2; cpu: ceil(4 × 20 / 50) = 2 → 2, when the 15th low
    // datapoint is published (period 14 ends at 15 min, visible at 16 min).
    assert_eq!(changes, vec![(16.0, 2)], "{causes:#?}");
    assert!(causes[0].contains("AlarmLow: 15 of 15 datapoints"), "{}", causes[0]);
}

#[test]
fn disable_scale_in_never_removes_capacity() {
    let plan = compile_ok(
        json!({"RegisterScalableTarget": [target(1, 10)], "PutScalingPolicy": [tt("ipi", ipi(), 25_000.0, true)]}),
    );
    assert_eq!(plan.alarms.len(), 1, "no scale-in alarm is created");
    let mut s = AppAutoScaling::new(plan);
    let (changes, _) = drive(&mut s, &rows(&[(1_000.0, 5.0); 30]), 5, 31 * MIN);
    assert!(changes.is_empty());
}

#[test]
fn missing_data_scales_nothing() {
    // No instance in service: no datapoints, alarms INSUFFICIENT_DATA.
    let plan = compile_ok(
        json!({"RegisterScalableTarget": [target(0, 10)], "PutScalingPolicy": [tt("ipi", ipi(), 25_000.0, false)]}),
    );
    let mut s = AppAutoScaling::new(plan);
    let (changes, _) = drive(&mut s, &rows(&[(0.0, -1.0); 20]), 0, 20 * MIN);
    assert!(changes.is_empty());
    assert!(s.history().is_empty(), "alarms stay INSUFFICIENT_DATA");
}

#[test]
fn max_capacity_limits_and_is_reported_once() {
    let plan = compile_ok(
        json!({"RegisterScalableTarget": [target(1, 4)], "PutScalingPolicy": [tt("ipi", ipi(), 25_000.0, false)]}),
    );
    let mut s = AppAutoScaling::new(plan);
    // 100 000 per instance: ceil(1 × 4) = 4 at once; then at max for good.
    let (changes, causes) = drive(&mut s, &rows(&[(100_000.0, 50.0); 20]), 1, 20 * MIN);
    assert_eq!(changes, vec![(4.0, 4)]);
    let at_max: Vec<&String> = causes.iter().filter(|c| c.contains("AlreadyAtMaxCapacity")).collect();
    assert_eq!(at_max.len(), 1, "{causes:#?}");
}

#[test]
fn registering_moves_capacity_into_range() {
    let plan = compile_ok(json!({"RegisterScalableTarget": [target(2, 4)]}));
    let mut s = AppAutoScaling::new(plan);
    let (changes, causes) = drive(&mut s, &[], 1, MIN);
    assert_eq!(changes, vec![(0.0, 2)]);
    assert!(causes[0].contains("MinCapacity 2"));
}

fn problems_of(cfg: serde_json::Value) -> Vec<String> {
    let cfg: ScalingConfig = match serde_json::from_value(cfg) {
        Ok(c) => c,
        Err(e) => return vec![e.to_string()],
    };
    let (mut p, mut w) = (Vec::new(), Vec::new());
    compile(&cfg, &endpoint(), MIN, CLOCK, &mut p, &mut w);
    p.iter().map(|p| p.to_string()).collect()
}

#[test]
fn configuration_errors_name_the_field_and_the_fix() {
    let mut bad_target = target(5, 2);
    bad_target["ResourceId"] = "endpoint/ep/variant/AllTrafic".into();
    let p = problems_of(json!({"RegisterScalableTarget": [bad_target]}));
    assert_eq!(
        p,
        vec![
            "scaling.RegisterScalableTarget[0].MinCapacity: 5 is above MaxCapacity 2",
            "scaling.RegisterScalableTarget[0].ResourceId: the endpoint has no variant \"AllTrafic\"; did you mean \"AllTraffic\"?",
        ]
    );
    let p = problems_of(json!({"PutScalingPolicy": [tt("ipi", ipi(), 25_000.0, false)]}));
    assert!(p[0].contains("is not registered: add a RegisterScalableTarget"), "{p:?}");
    let p = problems_of(json!({"RegisterScalableTarget": [target(1, 4)],
        "PutScalingPolicy": [tt("ipi", json!({"PredefinedMetricType": "SageMakerVariantInvocationPerInstance"}), 25_000.0, false)]}));
    assert!(p[0].ends_with("did you mean \"SageMakerVariantInvocationsPerInstance\"?"), "{p:?}");
    let overlapping = json!({"RegisterScalableTarget": [target(1, 4)], "PutScalingPolicy": [{"PolicyName": "s",
        "ServiceNamespace": "sagemaker", "ResourceId": "endpoint/ep/variant/AllTraffic", "ScalableDimension": "sagemaker:variant:DesiredInstanceCount",
        "PolicyType": "StepScaling", "StepScalingPolicyConfiguration": {"AdjustmentType": "ChangeInCapacity",
        "StepAdjustments": [{"MetricIntervalLowerBound": 0, "MetricIntervalUpperBound": 20, "ScalingAdjustment": 1},
                            {"MetricIntervalLowerBound": 10, "ScalingAdjustment": 2}]}}]});
    assert!(problems_of(overlapping)[0].contains("steps overlap"));
    let orphan = json!({"PutMetricAlarm": [{"AlarmName": "a", "MetricName": "Invocations", "Namespace": "AWS/SageMaker",
        "Statistic": "Sum", "Dimensions": [{"Name": "EndpointName", "Value": "ep"}, {"Name": "VariantName", "Value": "AllTraffic"}],
        "Period": 60, "EvaluationPeriods": 1, "Threshold": 1, "ComparisonOperator": "GreaterThanThreshold", "AlarmActions": ["scale-up"]}]});
    assert_eq!(
        problems_of(orphan),
        vec![
            "scaling.PutMetricAlarm[0].AlarmActions[0]: no scaling policy named \"scale-up\"; define it in PutScalingPolicy"
        ]
    );
}

fn scheduled(name: &str, schedule: &str, min: Option<u32>, max: Option<u32>) -> serde_json::Value {
    let mut action = json!({});
    if let Some(m) = min {
        action["MinCapacity"] = m.into();
    }
    if let Some(m) = max {
        action["MaxCapacity"] = m.into();
    }
    json!({"ServiceNamespace": "sagemaker", "ScheduledActionName": name, "ResourceId": "endpoint/ep/variant/AllTraffic",
           "ScalableDimension": "sagemaker:variant:DesiredInstanceCount", "Schedule": schedule, "ScalableTargetAction": action})
}

#[test]
fn scheduled_min_and_max_force_capacity_and_nothing_reverts() {
    // Monday 2026-01-05: at 00:01 Min becomes 3 (capacity 1 rises to 3); at 00:02 Max becomes 2
    // (capacity falls to 2, Min follows); at 00:03 Min 1 / Max 4: capacity stays at 2.
    let plan = compile_ok(json!({
        "RegisterScalableTarget": [target(1, 4)],
        "PutScheduledAction": [
            scheduled("raise", "at(2026-01-05T00:01:00)", Some(3), None),
            scheduled("cap", "cron(2 0 5 JAN ? 2026)", None, Some(2)),
            scheduled("relax", "at(2026-01-05T00:03:00)", Some(1), Some(4)),
        ]
    }));
    assert_eq!(plan.firings.iter().map(|f| f.at_us / MIN).collect::<Vec<_>>(), [1, 2, 3]);
    let mut s = AppAutoScaling::new(plan);
    let (changes, causes) = drive(&mut s, &[], 1, 5 * MIN);
    assert_eq!(changes, vec![(1.0, 3), (2.0, 2)], "{causes:#?}");
    assert!(
        causes[0].contains("scheduled action raise (at(2026-01-05T00:01:00) UTC) sets MinCapacity 3"),
        "{}",
        causes[0]
    );
    assert_eq!(causes.len(), 3, "the third action changes limits, not capacity: {causes:#?}");
}

#[test]
fn scheduled_limits_bound_the_policies_and_cooldowns_do_not_apply() {
    // A policy wants 4; a schedule caps Max at 2 at minute 1, then lifts it at minute 6, in the
    // middle of the scale-out cooldown: the schedule itself ignores cooldowns, and the policy is
    // free to scale out again when its alarm next asks.
    let plan = compile_ok(json!({
        "RegisterScalableTarget": [target(1, 10)],
        "PutScalingPolicy": [tt("ipi", ipi(), 25_000.0, true)],
        "PutScheduledAction": [scheduled("cap", "at(2026-01-05T00:01:00)", None, Some(2)),
                               scheduled("lift", "at(2026-01-05T00:06:00)", Some(5), Some(10))]
    }));
    let mut s = AppAutoScaling::new(plan);
    let (changes, causes) = drive(&mut s, &rows(&[(100_000.0, 50.0); 10]), 1, 8 * MIN);
    // 4 min: the policy asks ceil(1 × 4) = 4, limited to 2 by the scheduled Max; 6 min: Min 5
    // forces 5, cooldown or not.
    assert_eq!(changes, vec![(4.0, 2), (6.0, 5)], "{causes:#?}");
    assert!(causes.iter().any(|c| c.contains("limited to 2 by MaxCapacity")), "{causes:#?}");
}

#[test]
fn schedule_errors_name_the_field() {
    let mut bad = scheduled("x", "cron(0 18 * * FRI *)", Some(0), None);
    bad["Timezone"] = "Paris".into();
    let p = problems_of(json!({"RegisterScalableTarget": [target(1, 4)], "PutScheduledAction": [bad]}));
    assert_eq!(
        p,
        vec![
            "scaling.PutScheduledAction[0].Timezone: \"Paris\" is not an IANA time zone; write it like \"Europe/Paris\" or \"America/New_York\"",
            "scaling.PutScheduledAction[0].Schedule: cron(0 18 * * FRI *): day-of-month and day-of-week cannot both be set: put ? in one of them",
        ]
    );
}
