//! Seed 003: scale to zero with inference components. The article measured (averages of five
//! trials): scale-in to zero copies about 15 minutes after traffic stops, instances stopped 10
//! minutes later (25 in all); scale-out from zero in 1 + 1.748 + 2.28 ≈ 5.0 minutes for Llama 3.1
//! 8B and 1 + 3.018 + 1.984 ≈ 6.0 minutes for 70B, with requests failing meanwhile.
//!
//! Tolerances: the trigger and the datapoint counts are deterministic here; the instance and
//! model-copy stages are lognormal with a 10 % coefficient of variation (about ±0.3 min for
//! their sum), so ±0.75 min is two and a half standard deviations.

#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic, clippy::indexing_slicing)]

use scalelab_core::report::Report;
use scalelab_core::{Scenario, examples, simulate};

const TRAFFIC_STOPS_SECS: f64 = 30.0 * 60.0;
const TRAFFIC_RESUMES_SECS: f64 = 75.5 * 60.0;

fn run(s: &Scenario) -> Report {
    simulate(s, Some(1)).unwrap()
}

/// Minutes from the resumption of traffic to the first 10 s period with a success.
fn wake_up_minutes(r: &Report) -> f64 {
    let first_ok = r.series_10s.iter().find(|row| row.t_secs >= TRAFFIC_RESUMES_SECS && row.succeeded > 0).unwrap();
    (first_ok.t_secs - TRAFFIC_RESUMES_SECS) / 60.0
}

#[test]
fn copies_go_to_zero_after_15_idle_minutes_and_instances_10_minutes_later() {
    let r = run(&examples::get("seed-003-scale-to-zero").unwrap());
    let to_zero = r.activities.iter().find(|a| a.desired_after == 0).expect("copies must reach zero");
    let idle = (to_zero.at_secs - TRAFFIC_STOPS_SECS) / 60.0;
    // 90 ten-second datapoints below 4.5 (15 min), after the last requests finish and the
    // 30 s publish delay.
    assert!((15.0..=16.5).contains(&idle), "copies reached zero {idle:.2} min after traffic stopped");
    assert!(to_zero.description.contains("90 of 90 datapoints"), "{}", to_zero.description);
    let stopped = r.instances.iter().find_map(|i| i.terminated_secs).expect("the instance must stop");
    assert_eq!(stopped - to_zero.at_secs, 600.0, "SageMaker stops the instance 10 minutes after the last copy");
    let total = (stopped - TRAFFIC_STOPS_SECS) / 60.0;
    assert!((24.0..=27.0).contains(&total), "{total:.2} min from the last request to no instance (seed: 25)");
    // No instance, no cost: the billed instance count is 0 until traffic returns.
    for row in r.series.iter().filter(|row| row.t_secs >= stopped + 60.0 && row.t_secs + 60.0 <= TRAFFIC_RESUMES_SECS) {
        assert_eq!((row.billed_instances, row.cost_usd), (0, 0.0), "minute at {}s", row.t_secs);
    }
}

#[test]
fn waking_llama_8b_from_zero_takes_about_five_minutes_and_fails_requests_meanwhile() {
    let r = run(&examples::get("seed-003-scale-to-zero").unwrap());
    let wake = wake_up_minutes(&r);
    assert!((wake - 5.028).abs() <= 0.75, "wake-up {wake:.2} min, seed 5.028");
    let out = r.activities.iter().find(|a| a.desired_before == 0 && a.desired_after == 1).unwrap();
    assert_eq!(out.at_secs - TRAFFIC_RESUMES_SECS, 60.0, "the step alarm fires a minute after the first failure");
    assert!(out.description.contains("NoCapacityInvocationFailures"), "{}", out.description);
    // Every request during the wake-up fails with ValidationError: about rate × duration.
    let failed = r.summary.errors.no_capacity as f64;
    let expected = 0.75 * wake * 60.0;
    assert!((failed / expected - 1.0).abs() < 0.25, "{failed} failed, expected about {expected:.0}");
    assert_eq!(r.summary.errors.total, r.summary.errors.no_capacity);
    let cap = r.series.iter().map(|row| row.no_capacity_failures).sum::<u64>();
    assert_eq!(cap, r.summary.errors.no_capacity, "NoCapacityInvocationFailures counts them");
}

#[test]
fn waking_llama_70b_from_zero_takes_about_six_minutes() {
    let mut s = examples::get("seed-003-scale-to-zero").unwrap();
    let v = &mut s.endpoint.variants[0];
    v.instance_type = "ml.p4d.24xlarge".into();
    v.model = Some("llama3.1-70b".into());
    let r = run(&s);
    let wake = wake_up_minutes(&r);
    assert!((wake - 6.002).abs() <= 0.75, "wake-up {wake:.2} min, seed 6.002");
}

/// Seed 003's weekly schedule: zero copies from Friday 18:00 to Monday 07:00, Paris time
/// (UTC+1 in January).
#[test]
fn the_weekend_schedule_scales_to_zero_and_back_in_paris_time() {
    let r = run(&examples::get("seed-003-weekend-schedule").unwrap());
    let day = 86_400.0;
    let friday_17_utc = 4.0 * day + 17.0 * 3600.0;
    let monday_06_utc = 7.0 * day + 6.0 * 3600.0;
    let off = r.activities.iter().find(|a| a.desired_after == 0).unwrap();
    assert_eq!(off.at_secs, friday_17_utc, "{}", off.description);
    assert!(off.description.contains("weekend-scale-in (cron(0 18 ? * FRI *) in Europe/Paris)"), "{}", off.description);
    let on = r.activities.iter().find(|a| a.desired_before == 0 && a.desired_after == 1).unwrap();
    assert_eq!(on.at_secs, monday_06_utc, "{}", on.description);
    // The instance stops ten minutes after the last copy, which first finishes the requests in
    // service (a minute at most for this model); nothing is billed over the weekend.
    let stopped = r.instances.iter().find_map(|i| i.terminated_secs).unwrap();
    let drain = stopped - (friday_17_utc + 600.0);
    assert!((0.0..60.0).contains(&drain), "stopped {drain} s after the ten minutes");
    let weekend_cost: f64 = r
        .series
        .iter()
        .filter(|row| row.t_secs >= stopped && row.t_secs + 60.0 <= monday_06_utc)
        .map(|row| row.cost_usd)
        .sum();
    assert_eq!(weekend_cost, 0.0);
    // Monday's copy is in service before the traffic at 07:00 UTC: nothing fails all week.
    assert_eq!(r.summary.errors.total, 0, "{:?}", r.summary.errors);
}

/// Seed 003's advice for the wake-up window: retry on the client, or buffer in a queue.
#[test]
fn retries_and_a_queue_keep_requests_that_would_fail_while_waking_up() {
    let base = run(&examples::get("seed-003-scale-to-zero").unwrap());
    let retries = run(&examples::get("seed-003-client-retries").unwrap());
    let queue = run(&examples::get("seed-003-sqs-buffer").unwrap());
    let woke = wake_up_minutes(&base);
    assert!(base.summary.errors.no_capacity > 100);

    // Retries: no request ends with ValidationError, though CloudWatch counts more failed
    // attempts than the run without retries (each retry is one).
    let c = retries.summary.client.as_ref().unwrap();
    assert_eq!(retries.summary.errors.no_capacity, 0);
    assert!(c.retried_requests >= base.summary.errors.no_capacity * 9 / 10);
    let cw = |r: &Report| r.series.iter().map(|row| row.no_capacity_failures).sum::<u64>();
    assert!(cw(&retries) > 2 * cw(&base), "{} vs {}", cw(&retries), cw(&base));

    // The queue: nothing fails; the messages of the wake-up window wait for it.
    assert_eq!(queue.summary.errors.total, 0, "{:?}", queue.summary.errors);
    let max_wait_min = queue.summary.latency_ms.max.unwrap() / 60_000.0;
    assert!(max_wait_min >= woke - 1.0, "longest wait {max_wait_min:.1} min, wake-up {woke:.1} min");
    let q = queue.summary.client.as_ref().unwrap();
    assert_eq!(q.gave_up_after_retry, 0);
}
