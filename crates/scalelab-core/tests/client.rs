//! Client retries and an SQS-like queue in front of an endpoint that starts with no capacity.
//!
//! The test endpoint has no instance until one, launched at t = 0, finishes a deterministic
//! 120 s cold start. Requests arrive (Poisson, 2 per second) during the first 100 s only, so
//! every one of them first fails with ValidationError (no capacity). Service and overhead are
//! deterministic (9 ms + 1 ms), so a request's client latency is exactly the retry waits plus
//! 10 ms, which lets the tests check the bookkeeping to the millisecond.

#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic, clippy::indexing_slicing)]

use scalelab_core::report::Report;
use scalelab_core::{Scenario, simulate};
use serde_json::json;

const READY_SECS: f64 = 120.0;

fn scenario(client: serde_json::Value, rps_secs: u64, service: &str) -> Scenario {
    let s = json!({
        "version": 1,
        "duration": "10m",
        "traffic": {"sequence": [
            {"duration": format!("{rps_secs}s"), "traffic": {"constant": {"rps": 2}}},
            {"duration": "1h", "traffic": {"constant": {"rps": 0}}}
        ]},
        "endpoint": {"variants": [{
            "name": "AllTraffic", "instanceType": "ml.c5.xlarge", "initialInstanceCount": 0,
            "profile": {
                "workers": 16,
                "serviceTime": {"distribution": "deterministic", "mean": service},
                "queueCapacity": 10000,
                "overhead": {"distribution": "deterministic", "mean": "1ms"},
                "coldStart": {
                    "provisioning": {"distribution": "deterministic", "mean": "120s"},
                    "imagePull": {"distribution": "deterministic", "mean": "0s"},
                    "modelLoad": {"distribution": "deterministic", "mean": "0s"}
                }
            }
        }]},
        "capacityChanges": [{"at": "0s", "variant": "AllTraffic", "desiredInstanceCount": 1}],
        "client": client
    });
    Scenario::from_json(&s.to_string()).unwrap()
}

fn run(s: &Scenario, seed: u64) -> Report {
    simulate(s, Some(seed)).unwrap()
}

/// CloudWatch counts every attempt; the summary counts every request once.
fn check_accounting(r: &Report) {
    let s = &r.summary;
    let c = s.client.as_ref().expect("client summary");
    assert_eq!(s.requests, s.succeeded + s.errors.total + s.in_flight, "conservation");
    let attempts_cw: u64 = r.series.iter().map(|row| row.requests).sum();
    assert_eq!(attempts_cw, c.attempts, "CloudWatch sees every attempt");
    let no_capacity_cw: u64 = r.series.iter().map(|row| row.no_capacity_failures).sum();
    assert_eq!(no_capacity_cw, c.retries + s.errors.no_capacity, "each failed attempt is retried or final");
    assert_eq!(c.attempts, s.requests - c.waiting_at_end + c.retries, "attempts = first attempts + retries");
}

#[test]
fn fixed_backoff_retries_until_capacity_and_latency_counts_from_the_first_attempt() {
    let retry = json!({"retry": {"maxAttempts": 100, "initialBackoff": "10s", "multiplier": 1,
                                 "maxBackoff": "10s", "jitter": "none", "retryOn": ["NoCapacity"]}});
    for seed in [1, 2, 3] {
        let r = run(&scenario(retry.clone(), 100, "9ms"), seed);
        check_accounting(&r);
        let s = &r.summary;
        let c = s.client.as_ref().unwrap();
        assert_eq!(s.errors.total, 0, "every request is retried until the instance is ready");
        assert_eq!(s.succeeded, s.requests);
        assert_eq!(c.retried_requests, s.requests, "every request first met no capacity");
        // A request sent at t succeeds on attempt 1 + k, k = ceil((120 − t) / 10), after
        // waiting 10·k s: the mean latency is 10 s × retries per request + 10 ms, exactly.
        let mean = s.latency_ms.mean.unwrap();
        let from_retries = 10_000.0 * c.retries as f64 / s.requests as f64 + 10.0;
        assert!((mean - from_retries).abs() < 0.01, "seed {seed}: mean {mean} ms, retries say {from_retries} ms");
        // With t uniform on [0, 100), k is uniform on 3..=12: mean 7.5 retries, 75 s. Poisson
        // arrivals give ~200 requests; the standard error of the mean is ~2 s: allow 7 s.
        assert!((mean / 1000.0 - 75.0).abs() < 7.0, "seed {seed}: mean latency {:.1} s, expected 75", mean / 1000.0);
        // No request waits longer than the cold start plus one backoff.
        assert!(s.latency_ms.max.unwrap() <= (READY_SECS + 10.0) * 1000.0 + 20.0);
    }
}

#[test]
fn exponential_backoff_gives_up_after_max_attempts() {
    // 1 s, 2 s, 4 s: three retries span 7 s, far less than the 120 s cold start.
    let retry = json!({"retry": {"maxAttempts": 4, "initialBackoff": "1s", "jitter": "none"}});
    let r = run(&scenario(retry, 100, "9ms"), 1);
    check_accounting(&r);
    let s = &r.summary;
    let c = s.client.as_ref().unwrap();
    assert_eq!(s.succeeded, 0);
    assert_eq!(s.errors.no_capacity, s.requests, "each request fails once, with its last error");
    assert_eq!(c.gave_up_after_retry, s.requests);
    assert_eq!(c.attempts, 4 * s.requests);
    // The summary's first error is the client's: after the last attempt, at t₁ + 7 s where t₁
    // is the first arrival (at 2 requests/s, t₁ < 5 s but with probability e⁻¹⁰).
    let first = s.first_error_secs.unwrap();
    assert!((7.0..12.0).contains(&first), "first error at {first} s");
}

#[test]
fn without_a_client_section_each_failed_attempt_is_a_failed_request() {
    let r = run(&scenario(serde_json::Value::Null, 100, "9ms"), 1);
    assert!(r.summary.client.is_none());
    assert_eq!(r.summary.errors.no_capacity, r.summary.requests);
    let cw: u64 = r.series.iter().map(|row| row.no_capacity_failures).sum();
    assert_eq!(cw, r.summary.requests);
}

#[test]
fn queue_redelivers_after_the_visibility_timeout_and_dead_letters_after_max_receives() {
    // Unlimited receives: attempts at t, t + 30, … until the instance is ready.
    let q = json!({"queue": {"visibilityTimeout": "30s"}});
    let r = run(&scenario(q, 100, "9ms"), 4);
    check_accounting(&r);
    assert_eq!(r.summary.errors.total, 0);
    assert_eq!(r.summary.succeeded, r.summary.requests);
    let c = r.summary.client.as_ref().unwrap();
    let mean = r.summary.latency_ms.mean.unwrap();
    let from_retries = 30_000.0 * c.retries as f64 / r.summary.requests as f64 + 10.0;
    assert!((mean - from_retries).abs() < 0.01, "mean {mean} ms, receives say {from_retries} ms");

    // Two receives: a message sent at t succeeds only if t + 30 ≥ 120, i.e. t ≥ 90 s: about
    // 10 % of the requests (binomial, n ≈ 200: ±0.07 is over three standard deviations).
    let q = json!({"queue": {"visibilityTimeout": "30s", "maxReceiveCount": 2}});
    let r = run(&scenario(q, 100, "9ms"), 4);
    check_accounting(&r);
    let s = &r.summary;
    let ok = s.succeeded as f64 / s.requests as f64;
    assert!((ok - 0.10).abs() < 0.07, "{ok:.3} of the messages were processed, expected 0.10");
    assert_eq!(s.errors.no_capacity, s.client.as_ref().unwrap().gave_up_after_retry, "dead-lettered messages");
}

#[test]
fn bounded_consumers_limit_the_endpoint_to_their_concurrency() {
    // One consumer and 1 s per request: at most one answer per second once the instance is up,
    // whatever is queued. 200 messages, 480 s of capacity: all done by ≈ 120 + 200 s.
    let q = json!({"queue": {"visibilityTimeout": "30s", "consumers": 1}});
    let r = run(&scenario(q, 100, "999ms"), 5);
    check_accounting(&r);
    for row in r.series_10s.iter().filter(|row| row.t_secs >= READY_SECS) {
        assert!(row.succeeded <= 11, "at {} s: {} answers in 10 s from one consumer", row.t_secs, row.succeeded);
        assert!(row.concurrent_requests_per_model.unwrap_or(0.0) <= 1.0 + 1e-9);
    }
    let busy_secs = r.summary.requests as f64; // 1 s each, one at a time
    let last = r.series_10s.iter().filter(|row| row.succeeded > 0).map(|row| row.t_secs).fold(0.0, f64::max);
    assert!(
        (last - (READY_SECS + busy_secs)).abs() <= 40.0,
        "last answer in the period at {last} s, expected about {} s",
        READY_SECS + busy_secs
    );
    assert_eq!(r.summary.errors.total, 0);
}

#[test]
fn a_client_with_both_retry_and_queue_is_refused_with_the_field_named() {
    let both = json!({"retry": {}, "queue": {}});
    let err = simulate(&scenario(both, 10, "9ms"), None).unwrap_err().to_string();
    assert!(err.contains("client") && err.contains("choose one"), "{err}");
    let bad = json!({"retry": {"maxAttempts": 0}});
    let err = simulate(&scenario(bad, 10, "9ms"), None).unwrap_err().to_string();
    assert!(err.contains("client.retry.maxAttempts"), "{err}");
    let typo = json!({"retry": {"retryOn": ["NoCapacityy"]}}).to_string();
    let s = json!({"version": 1, "duration": "1m", "traffic": {"constant": {"rps": 1}},
                   "endpoint": {"variants": [{"name": "A", "instanceType": "ml.c5.xlarge", "model": "resnet50"}]},
                   "client": serde_json::from_str::<serde_json::Value>(&typo).unwrap()});
    let err = Scenario::from_json(&s.to_string()).unwrap_err().to_string();
    assert!(err.contains("client.retry.retryOn") && err.contains("NoCapacity"), "{err}");
}
