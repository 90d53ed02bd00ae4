//! Serverless inference against its rules (docs/scenario-format.md, "Serverless inference"):
//! cold starts only when no environment is warm, throttling beyond `MaxConcurrency`, idle
//! environments reclaimed, provisioned concurrency warm and billed by the second, scaled by
//! Application Auto Scaling; and the four ways to serve sporadic traffic side by side.
//!
//! Tolerances: the cold start is lognormal (mean 6 s, CV 0.3): the mean of n starts is within
//! 3 standard errors (3 × 0.3 × 6 s / √n). Costs are sums of per-request figures the report does
//! not list; they are checked against the mean model latency (rounded up to the millisecond as
//! AWS bills), within 10 %.

#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic, clippy::indexing_slicing)]

use scalelab_core::report::Report;
use scalelab_core::{Scenario, examples, simulate};
use serde_json::{Value, json};

fn run(v: &Value) -> Report {
    let s = Scenario::from_json(&v.to_string()).unwrap_or_else(|p| panic!("{p}"));
    simulate(&s, Some(1)).unwrap_or_else(|p| panic!("{p}"))
}

fn example(name: &str) -> Value {
    serde_json::to_value(examples::get(name).unwrap()).unwrap()
}

fn sporadic() -> Value {
    example("serverless-sporadic")
}

#[test]
fn cold_starts_throttles_idle_reclaim_and_cost_on_demand() {
    let r = run(&sporadic());
    let s = &r.summary;
    assert_eq!(s.requests, s.succeeded + s.errors.total + s.in_flight, "every request has one outcome");
    assert!(s.errors.throttled > 0 && s.errors.throttled == s.errors.total, "{:?}", s.errors);
    // Cold starts: a burst's first requests start environments; each minute's ModelSetupTime is
    // the mean of lognormal(6 s, CV 0.3) starts.
    let setups: Vec<f64> = r.series.iter().filter_map(|row| row.model_setup_time_avg_ms).collect();
    assert!(setups.len() >= 5, "each burst starts environments: {} minutes with starts", setups.len());
    let mean = setups.iter().sum::<f64>() / setups.len() as f64;
    assert!((mean - 6000.0).abs() < 3.0 * 0.3 * 6000.0 / libm::sqrt(setups.len() as f64), "mean setup {mean} ms");
    // OverheadLatency counts the wait; ModelLatency does not: minutes with cold starts have a
    // much larger overhead than the others.
    let overhead = |cold: bool| {
        let rows = r.series.iter().filter(|row| row.model_setup_time_avg_ms.is_some() == cold && row.succeeded > 0);
        let (sum, n) = rows.fold((0.0, 0u64), |(s, n), row| {
            (s + row.overhead_latency_avg_ms.unwrap() * row.succeeded as f64, n + row.succeeded)
        });
        sum / n as f64
    };
    assert!(overhead(true) > 10.0 * overhead(false), "{} vs {} ms", overhead(true), overhead(false));
    assert!(s.model_latency_ms.p99.unwrap() < 100.0, "the model itself is fast: {:?}", s.model_latency_ms);
    assert!(s.latency_ms.p99.unwrap() > 1000.0, "the cold starts are in the tail: {:?}", s.latency_ms);
    // Throttling only while environments start: a minute with throttles has starts, or its
    // previous minute has (a start takes seconds).
    for (k, row) in r.series.iter().enumerate().filter(|(_, row)| row.throttled > 0) {
        let starts = |j: usize| r.series.get(j).is_some_and(|x| x.model_setup_time_avg_ms.is_some());
        assert!(starts(k) || (k > 0 && starts(k - 1)), "throttled at {} s without starts", row.t_secs);
    }
    // Idle minutes cost nothing, and the environments are reclaimed: no warm environment 5 min
    // after a minute without requests (the idle timeout) unless requests came.
    let idle: Vec<_> = r.series.iter().filter(|row| row.requests == 0).collect();
    assert!(idle.len() > 60);
    assert!(idle.iter().all(|row| row.cost_usd == 0.0));
    let mut reclaimed = 0;
    for w in r.series.windows(7) {
        if w.iter().all(|row| row.requests == 0) {
            assert_eq!(w[6].in_service_instances, 0, "warm environments 6 idle minutes after {} s", w[0].t_secs);
            reclaimed += 1;
        }
    }
    assert!(reclaimed > 10);
    // Cost: inference time in whole milliseconds × 2 GB × $0.00002 per GB-second.
    let per_request = (s.model_latency_ms.mean.unwrap() + 0.5) / 1000.0 * 2.0 * 0.000_02;
    let expected = per_request * s.succeeded as f64;
    assert!((s.cost_usd / expected - 1.0).abs() < 0.1, "cost {} vs {expected}", s.cost_usd);
    // Serverless publishes no CPU utilization and no instance concurrency.
    assert!(r.series.iter().all(|row| row.cpu_utilization.is_none() && row.concurrent_requests_per_model.is_none()));
}

#[test]
fn provisioned_concurrency_is_warm_and_billed_while_provisioned() {
    let mut v = sporadic();
    v["endpoint"]["variants"][0]["serverlessConfig"]["ProvisionedConcurrency"] = json!(2);
    let pc = run(&v);
    let od = run(&sporadic());
    let starts = |r: &Report| r.series.iter().filter(|row| row.model_setup_time_avg_ms.is_some()).count();
    assert!(starts(&pc) * 2 <= starts(&od), "fewer minutes with cold starts: {} vs {}", starts(&pc), starts(&od));
    assert!(pc.summary.errors.throttled < od.summary.errors.throttled);
    assert!(pc.summary.latency_ms.p90 <= od.summary.latency_ms.p90);
    // Two environments of 2 GB for 6 h at $0.000005 per GB-second, plus inference time.
    let provisioned = 2.0 * 2.0 * 6.0 * 3600.0 * 0.000_005;
    let extra = pc.summary.cost_usd - provisioned;
    assert!(extra > 0.0 && extra < 0.05, "cost {} = {provisioned} provisioned + {extra}", pc.summary.cost_usd);
    // The provisioned metrics: invocations on them, spillover beyond them, utilization 0–1.
    let on_pc: u64 = pc.series.iter().filter_map(|r| r.serverless_provisioned_concurrency_invocations).sum();
    let spill: u64 = pc.series.iter().filter_map(|r| r.serverless_provisioned_concurrency_spillover_invocations).sum();
    assert_eq!(on_pc + spill, pc.summary.succeeded + pc.summary.in_flight.min(2));
    assert!(on_pc > spill && spill > 0, "{on_pc} on provisioned, {spill} spilled over");
    assert!(
        pc.series
            .iter()
            .filter_map(|r| r.serverless_provisioned_concurrency_utilization)
            .all(|u| (0.0..=1.0).contains(&u))
    );
}

#[test]
fn application_auto_scaling_scales_provisioned_concurrency() {
    // AWS's example: target tracking on SageMakerVariantProvisionedConcurrencyUtilization at 0.5,
    // and a scheduled action that raises the minimum to 6 at 12:15.
    let mut v = sporadic();
    v["start"] = json!("2026-01-05T11:00:00Z");
    v["duration"] = json!("2h");
    v["traffic"] = json!({"constant": {"rps": 150}});
    v["endpoint"]["variants"][0]["serverlessConfig"] =
        json!({"MemorySizeInMB": 2048, "MaxConcurrency": 20, "ProvisionedConcurrency": 1});
    let rid = "endpoint/sporadic-serverless/variant/AllTraffic";
    let dim = "sagemaker:variant:DesiredProvisionedConcurrency";
    v["scaling"] = json!({
        "RegisterScalableTarget": [{"ServiceNamespace": "sagemaker", "ResourceId": rid, "ScalableDimension": dim,
                                     "MinCapacity": 1, "MaxCapacity": 10}],
        "PutScalingPolicy": [{"PolicyName": "pc-utilization", "ServiceNamespace": "sagemaker", "ResourceId": rid,
            "ScalableDimension": dim, "PolicyType": "TargetTrackingScaling",
            "TargetTrackingScalingPolicyConfiguration": {"TargetValue": 0.5,
                "PredefinedMetricSpecification": {"PredefinedMetricType": "SageMakerVariantProvisionedConcurrencyUtilization"},
                "ScaleOutCooldown": 60, "ScaleInCooldown": 60}}],
        "PutScheduledAction": [{"ServiceNamespace": "sagemaker", "ScheduledActionName": "lunch", "ResourceId": rid,
            "ScalableDimension": dim, "Schedule": "cron(15 12 * * ? *)", "ScalableTargetAction": {"MinCapacity": 6}}]
    });
    let r = run(&v);
    let out = r.activities.iter().find(|a| a.desired_after > a.desired_before).expect("a scale-out");
    assert!(out.description.contains("provisioned concurrency of AllTraffic 1 →"), "{}", out.description);
    assert!(
        out.description.contains("SageMakerVariantProvisionedConcurrencyUtilization")
            || out.description.contains("ServerlessProvisionedConcurrencyUtilization"),
        "{}",
        out.description
    );
    let lunch = r.activities.iter().find(|a| (a.at_secs - 4500.0).abs() < 1.0).expect("the 12:15 action");
    assert!(lunch.desired_after >= 6, "{}", lunch.description);
    // After scaling, utilization comes down toward the target.
    let late: Vec<f64> =
        r.series.iter().rev().take(10).filter_map(|row| row.serverless_provisioned_concurrency_utilization).collect();
    assert!(late.iter().all(|u| *u < 0.8), "{late:?}");
}

/// The four ways to serve the same sporadic traffic: serverless on demand, serverless with
/// provisioned concurrency, a real-time instance at its minimum, and an inference component
/// that scales to zero.
fn four_ways() -> Vec<(&'static str, Report)> {
    let traffic = sporadic()["traffic"].clone();
    let mut pc = sporadic();
    pc["endpoint"]["variants"][0]["serverlessConfig"]["ProvisionedConcurrency"] = json!(2);
    let mut realtime = sporadic();
    realtime["endpoint"]["variants"][0] = json!({"name": "AllTraffic", "instanceType": "ml.m5.xlarge",
        "initialInstanceCount": 1, "model": "decision-tree"});
    let mut ic = example("seed-003-scale-to-zero");
    ic["traffic"] = traffic;
    ic["duration"] = json!("6h");
    ic["endpoint"]["variants"][0]["instanceType"] = json!("ml.m5.xlarge");
    ic["endpoint"]["variants"][0]["model"] = json!("decision-tree");
    vec![
        ("serverless on demand", run(&sporadic())),
        ("serverless, 2 provisioned", run(&pc)),
        ("real-time, 1 × ml.m5.xlarge", run(&realtime)),
        ("inference component to zero", run(&ic)),
    ]
}

#[test]
fn four_ways_to_serve_sporadic_traffic() {
    let runs = four_ways();
    for (name, r) in &runs {
        let s = &r.summary;
        eprintln!(
            "{name:30} cost ${:7.3}  errors {:4} (throttled {:3}, no capacity {:4})  p50 {:6.1} ms  p99 {:8.1} ms",
            s.cost_usd,
            s.errors.total,
            s.errors.throttled,
            s.errors.no_capacity,
            s.latency_ms.p50.unwrap_or(0.0),
            s.latency_ms.p99.unwrap_or(0.0)
        );
    }
    let [(_, od), (_, pc), (_, rt), (_, ic)] = &runs[..] else { panic!() };
    // Serverless costs a fraction of an instance that bills all day.
    assert!(od.summary.cost_usd * 20.0 < rt.summary.cost_usd);
    assert!(pc.summary.cost_usd < rt.summary.cost_usd);
    // The instance never starts cold: no errors, fast tail.
    assert_eq!(rt.summary.errors.total, 0);
    assert!(rt.summary.latency_ms.p99.unwrap() < 100.0);
    // Serverless starts in seconds (throttling some of a burst's first requests); the inference
    // component starts its instance in minutes and fails requests meanwhile.
    assert!(od.summary.errors.throttled > 0 && od.summary.errors.no_capacity == 0);
    assert!(ic.summary.errors.no_capacity > 3 * od.summary.errors.total);
    assert!(pc.summary.errors.total < od.summary.errors.total);
}
