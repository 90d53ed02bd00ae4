//! Properties that must hold for every scenario: requests are conserved, instance counts stay
//! consistent, cost is instance time × price, runs are repeatable, and random streams are
//! independent of each other.

#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic, clippy::indexing_slicing)]

use proptest::prelude::*;
use scalelab_core::{Report, Scenario, Simulation, plan};
use serde_json::{Value, json};

/// (model, instance type) pairs with built-in profiles, cheap enough to simulate many times.
const DEPLOYMENTS: &[(&str, &str)] = &[
    ("decision-tree", "ml.m4.xlarge"),
    ("decision-tree", "ml.c5.xlarge"),
    ("resnet50", "ml.g4dn.xlarge"),
    ("resnet50", "ml.c5.xlarge"),
    ("llama3.1-8b", "ml.g5.xlarge"),
];

fn traffic() -> impl Strategy<Value = Value> {
    prop_oneof![
        (0.0..600.0f64).prop_map(|rps| json!({"constant": {"rps": rps}})),
        (0.0..400.0f64, 0.0..900.0f64, 60u64..900).prop_map(|(a, b, d)| json!({"phases": [
            {"duration": d, "arrivalRate": a, "rampTo": b},
            {"duration": d, "arrivalRate": b}
        ]})),
        (1.0..200.0f64, 0u64..600, 1u64..300, 0.0..900.0f64).prop_map(|(base, at, dur, rps)| json!({"sum": [
            {"constant": {"rps": base}},
            {"spike": {"at": format!("{at}s"), "duration": format!("{dur}s"), "rps": rps}}
        ]})),
        (1.0..500.0f64, 5u64..120, 5u64..300).prop_map(|(rps, on, off)| json!({"bursts": {
            "rps": rps, "meanOn": format!("{on}s"), "meanOff": format!("{off}s")
        }})),
    ]
}

fn variant(i: usize) -> impl Strategy<Value = Value> {
    (0..DEPLOYMENTS.len(), 0u32..4, 0.0..3.0f64, prop::bool::ANY, 0u8..4).prop_map(move |(d, n, w, random, ic)| {
        let (model, itype) = DEPLOYMENTS[d];
        let mut v = json!({
            "name": format!("V{i}"), "instanceType": itype, "initialInstanceCount": n,
            "initialVariantWeight": w + 0.1, "model": model
        });
        if ic == 0 {
            // An inference component: copies on managed instances, two per instance.
            v["managedInstanceScaling"] = json!({"minInstanceCount": 0, "maxInstanceCount": 3});
            v["inferenceComponent"] =
                json!({"name": format!("ic{i}"), "copyCount": n, "copiesPerInstance": 2, "instanceScaleInDelay": "2m"});
        }
        if random {
            // A short queue and timeout, so that every error kind shows up.
            v.as_object_mut().unwrap().remove("model");
            v["profile"] = json!({
                "workers": 2,
                "serviceTime": {"distribution": "lognormal", "mean": "40ms", "cv": 1.5},
                "queueCapacity": 5,
                "coldStart": {
                    "provisioning": {"distribution": "exponential", "mean": "30s"},
                    "imagePull": {"distribution": "deterministic", "mean": "5s"},
                    "modelLoad": {"distribution": "lognormal", "mean": "10s", "cv": 0.5}
                }
            });
        }
        v
    })
}

fn scenario() -> impl Strategy<Value = Scenario> {
    let variants = (1usize..=3).prop_flat_map(|n| (0..n).map(variant).collect::<Vec<_>>());
    let changes = prop::collection::vec((0u64..1800, 0usize..3, 0u32..6), 0..6);
    let scaling = (prop::bool::ANY, 0.05..4.0f64);
    (traffic(), variants, changes, 60u64..1800, 1u64..20, scaling).prop_map(
        |(traffic, variants, changes, secs, timeout, (autoscale, target))| {
        let n = variants.len();
        let changes: Vec<Value> = changes
            .into_iter()
            .map(|(at, v, d)| json!({"at": format!("{at}s"), "variant": format!("V{}", v % n), "desiredInstanceCount": d}))
            .collect();
        // Target tracking on concurrency for the first variant (when it is not an inference
        // component), so that its instance count follows the model's speed.
        let autoscale = autoscale && variants[0].get("inferenceComponent").is_none();
        let mut v = json!({
            "version": 1,
            "duration": format!("{secs}s"),
            "traffic": traffic,
            "endpoint": {"name": "ep", "invocationTimeout": format!("{timeout}s"), "variants": variants},
            "capacityChanges": changes,
            "sloLatency": "200ms"
        });
        if autoscale {
            let id = "endpoint/ep/variant/V0";
            let dim = "sagemaker:variant:DesiredInstanceCount";
            v["scaling"] = json!({
                "RegisterScalableTarget": [{"ServiceNamespace": "sagemaker", "ResourceId": id,
                    "ScalableDimension": dim, "MinCapacity": 1, "MaxCapacity": 4}],
                "PutScalingPolicy": [{"PolicyName": "tt", "ServiceNamespace": "sagemaker", "ResourceId": id,
                    "ScalableDimension": dim, "PolicyType": "TargetTrackingScaling",
                    "TargetTrackingScalingPolicyConfiguration": {"TargetValue": target,
                        "PredefinedMetricSpecification": {"PredefinedMetricType": "SageMakerVariantConcurrentRequestsPerModelHighResolution"},
                        "ScaleOutCooldown": 60, "ScaleInCooldown": 60}}]
            });
        }
        Scenario::from_value(v).unwrap()
    })
}

fn run(s: &Scenario, seed: u64) -> (Report, u64) {
    let p = plan(s, Some(seed)).unwrap();
    let mut sim = Simulation::new(&p);
    sim.run_until(sim.end());
    let outstanding = sim.outstanding_now();
    (sim.finish(), outstanding)
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 48, ..ProptestConfig::default() })]

    #[test]
    fn requests_are_conserved(s in scenario(), seed in 0u64..1000) {
        let (r, outstanding) = run(&s, seed);
        let sum = &r.summary;
        prop_assert_eq!(sum.requests, sum.succeeded + sum.errors.total + sum.in_flight);
        prop_assert_eq!(sum.in_flight, outstanding, "in-flight count must match the queues");
        let e = &sum.errors;
        prop_assert_eq!(e.total, e.model_error + e.service_unavailable + e.no_capacity);
        // The series account for every request and every outcome.
        let rows = |f: fn(&scalelab_core::metrics::Row) -> u64| r.series.iter().map(f).sum::<u64>();
        prop_assert_eq!(rows(|x| x.requests), sum.requests);
        prop_assert_eq!(rows(|x| x.succeeded), sum.succeeded);
        prop_assert_eq!(rows(|x| x.model_errors), e.model_error);
        prop_assert_eq!(rows(|x| x.errors_5xx), e.service_unavailable);
        prop_assert_eq!(rows(|x| x.errors_4xx), e.no_capacity);
        prop_assert_eq!(r.series_10s.iter().map(|x| x.requests).sum::<u64>(), sum.requests);
        // Per-variant figures add up to the endpoint's.
        prop_assert_eq!(r.variants.iter().map(|v| v.requests).sum::<u64>(), sum.requests);
    }

    #[test]
    fn instance_counts_are_consistent(s in scenario(), seed in 0u64..1000) {
        let (r, _) = run(&s, seed);
        for row in r.series_10s.iter().chain(&r.series) {
            // After every change, instances starting plus in service equal the desired count.
            prop_assert_eq!(row.pending_instances + row.in_service_instances, row.desired_instances, "at {}s", row.t_secs);
            if let Some(cpu) = row.cpu_utilization {
                prop_assert!(cpu >= 0.0 && cpu.is_finite());
            }
        }
        for i in &r.instances {
            if let Some(t) = i.in_service_secs { prop_assert!(t >= i.launched_secs); }
            if let (Some(a), Some(b)) = (i.in_service_secs, i.terminated_secs) { prop_assert!(b >= a); }
            if let Some(t) = i.terminated_secs { prop_assert!(t >= i.launched_secs && t <= r.duration_secs); }
        }
    }

    #[test]
    fn cost_is_instance_time_times_price(s in scenario(), seed in 0u64..1000) {
        let (r, _) = run(&s, seed);
        let expected: f64 = r.instances.iter().map(|i| {
            let end = i.terminated_secs.unwrap_or(r.duration_secs);
            let price = r.variants[usize::from(i.variant)].price_usd_per_hour;
            (end - i.launched_secs) / 3600.0 * price
        }).sum();
        let tolerance = 1e-9 * expected.max(1.0); // float summation order only
        prop_assert!((r.summary.cost_usd - expected).abs() <= tolerance, "{} vs {}", r.summary.cost_usd, expected);
        let hours: f64 = r.variants.iter().map(|v| v.instance_hours).sum();
        prop_assert!((r.summary.instance_hours - hours).abs() <= 1e-9 * hours.max(1.0));
    }

    #[test]
    fn same_seed_same_report(s in scenario(), seed in 0u64..1000) {
        let (a, _) = run(&s, seed);
        let (b, _) = run(&s, seed);
        prop_assert_eq!(a.to_json().unwrap(), b.to_json().unwrap());
    }

    #[test]
    fn service_times_do_not_perturb_arrivals(s in scenario(), seed in 0u64..1000) {
        // Twice as slow a model, with another distribution: the same requests must arrive at
        // the same variants in every period.
        let mut slow = s.clone();
        for v in &mut slow.endpoint.variants {
            let mut p = match (&v.profile, &v.model) {
                (Some(p), _) => p.clone(),
                (None, Some(m)) => scalelab_core::profile::builtin_model(m).unwrap().profile_for(&v.instance_type).unwrap().clone(),
                _ => unreachable!(),
            };
            if let Some(st) = &mut p.service_time {
                st.mean = scalelab_core::time::Duration(st.mean.0 * 2);
                st.distribution = scalelab_core::rng::Family::Exponential;
                st.cv = None;
            }
            if let Some(b) = &mut p.batching {
                b.fixed = scalelab_core::time::Duration(b.fixed.0 * 2);
            }
            v.model = None;
            v.profile = Some(p);
        }
        let (a, _) = run(&s, seed);
        let (b, _) = run(&slow, seed);
        let arrivals = |r: &Report| r.series_10s.iter().map(|x| (x.variant, x.requests)).collect::<Vec<_>>();
        prop_assert_eq!(arrivals(&a), arrivals(&b));
    }
}
