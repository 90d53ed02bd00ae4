//! Asynchronous inference: requests wait in the endpoint's queue instead of failing, even with
//! no instance; backlog metrics drive target tracking; HasBacklogWithoutCapacity wakes the
//! endpoint from zero (the AWS documentation's pattern: Average, 60 s, 2 of 2, ≥ 1).

#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic, clippy::indexing_slicing)]

use scalelab_core::{examples, simulate};

const RETURN_SECS: f64 = 65.0 * 60.0;

#[test]
fn queued_requests_wait_for_capacity_instead_of_failing() {
    let r = simulate(&examples::get("seed-002-async-backlog").unwrap(), Some(1)).unwrap();
    let s = &r.summary;
    assert_eq!(s.errors.total, 0, "no request fails: they wait in the queue");
    assert_eq!(s.requests, s.succeeded + s.in_flight);

    // The endpoint scaled to zero while idle, then work arrived with no instance: the backlog
    // grew and HasBacklogWithoutCapacity was 1.
    let cold: Vec<_> = r
        .series
        .iter()
        .filter(|row| row.t_secs >= RETURN_SECS && row.has_backlog_without_capacity == Some(1.0))
        .collect();
    assert!(!cold.is_empty(), "the returning work must find no capacity");
    assert!(r.series.iter().any(|row| row.in_service_instances == 0 && row.billed_instances == 0), "scaled to zero");

    // The wake-up comes from the step policy, two published datapoints after the work returns.
    let wake = r
        .activities
        .iter()
        .find(|a| a.at_secs >= RETURN_SECS && a.desired_before == 0 && a.desired_after == 1)
        .expect("woken from zero");
    assert!(wake.description.contains("HasBacklogWithoutCapacity"), "{}", wake.description);
    let after = (wake.at_secs - RETURN_SECS) / 60.0;
    assert!((2.0..=4.0).contains(&after), "woke {after:.2} min after the work returned");

    // The oldest request waited for the trigger and the cold start (minutes), well inside the
    // 15-minute timeout; ApproximateAgeOfOldestRequest shows it.
    let oldest = r.series.iter().filter_map(|row| row.approximate_age_of_oldest_request_secs).fold(0.0, f64::max);
    assert!((240.0..900.0).contains(&oldest), "oldest request waited {oldest} s");
    assert!(s.latency_ms.max.unwrap() > 240_000.0, "some requests waited minutes");
}

#[test]
fn a_request_older_than_the_timeout_fails() {
    // With a 2-minute timeout, the requests that arrive while there is no capacity time out.
    let mut scenario = examples::get("seed-002-async-backlog").unwrap();
    scenario.endpoint.variants[0].async_inference.as_mut().unwrap().invocation_timeout =
        scalelab_core::time::Duration::from_secs(120);
    let r = simulate(&scenario, Some(1)).unwrap();
    assert!(r.summary.errors.model_error > 10, "{:?}", r.summary.errors);
    assert_eq!(r.summary.errors.total, r.summary.errors.model_error);
    let s = &r.summary;
    assert_eq!(s.requests, s.succeeded + s.errors.total + s.in_flight);
}
