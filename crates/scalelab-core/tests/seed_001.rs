//! Seed 001, "before": one ml.m4.xlarge serving the decision-tree model under the article's load
//! test (200 → 600 RPS over the first hour, 600 → 800 over the second), no autoscaling.
//!
//! The article: one instance handles 400–425 RPS at under 15 ms; average latency stays under
//! 10 ms early in the test; past ~28 000 requests per minute (~467 RPS) errors appear and latency
//! exceeds 300 ms.

#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic, clippy::indexing_slicing)]

use scalelab_core::metrics::Row;
use scalelab_core::{examples, simulate};

fn minute_rps(r: &Row) -> f64 {
    r.requests as f64 / r.period_secs
}

#[test]
fn below_capacity_latency_is_low_and_nothing_fails() {
    let s = examples::get("seed-001-before").unwrap();
    let r = simulate(&s, Some(1)).unwrap();
    // Minutes whose rate is below 400 RPS, comfortably under one instance's capacity.
    let calm: Vec<&Row> = r.series.iter().filter(|row| minute_rps(row) < 400.0).collect();
    assert!(calm.len() >= 25, "the ramp spends about half an hour below 400 RPS, got {}", calm.len());
    for row in &calm {
        let p50 = row.model_latency_p50_ms.unwrap();
        assert!(p50 < 15.0, "minute at {}s ({:.0} RPS): p50 {p50} ms", row.t_secs, minute_rps(row));
        assert_eq!(row.model_errors + row.errors_5xx + row.errors_4xx, 0, "minute at {}s", row.t_secs);
    }
    // The article: average ModelLatency under 10 ms early in the test (at 200–300 RPS).
    let early = r.series.iter().take(15);
    for row in early {
        assert!(row.model_latency_avg_ms.unwrap() < 10.0, "minute at {}s", row.t_secs);
    }
}

#[test]
fn past_capacity_latency_climbs_and_errors_appear_and_the_report_says_when() {
    let s = examples::get("seed-001-before").unwrap();
    let r = simulate(&s, Some(1)).unwrap();
    let first_error = r.summary.first_error_secs.expect("errors must appear once the ramp passes capacity");
    // The rate at the first error: the ramp is 200 + 400·t/3600 RPS in the first hour. The
    // instance's mean capacity is ~476 RPS; the article saw errors past ~467 RPS. Allow ±10 %.
    let rate_at_error = 200.0 + 400.0 * first_error.min(3600.0) / 3600.0;
    assert!((420.0..=525.0).contains(&rate_at_error), "first error at {first_error}s, rate {rate_at_error}");
    // Every saturated minute after that has errors and an average latency above 300 ms.
    let saturated: Vec<&Row> = r.series.iter().filter(|row| minute_rps(row) > 520.0).collect();
    assert!(saturated.len() >= 60);
    for row in saturated {
        assert!(row.errors_5xx > 0, "minute at {}s", row.t_secs);
        assert!(row.model_latency_avg_ms.unwrap() > 300.0, "minute at {}s: {:?}", row.t_secs, row.model_latency_avg_ms);
    }
    assert!(r.summary.errors.service_unavailable > 0);
    // Throughput is capped by the one instance: successes per second never exceed its capacity
    // by more than the noise of a minute.
    let cap = r.variants[0].instance_capacity_rps;
    for row in &r.series {
        assert!(row.succeeded as f64 / row.period_secs < cap * 1.03, "minute at {}s", row.t_secs);
    }
}

/// Seed 001, "after": min 1, max 4, target 25 000 `SageMakerVariantInvocationsPerInstance`. The
/// endpoint scales out once per-instance invocations pass 25 000 per minute; no errors; latency
/// stays low (the article: under 16 ms once scaled out).
#[test]
fn after_autoscaling_scales_out_past_the_target_without_errors() {
    let after = simulate(&examples::get("seed-001-after").unwrap(), Some(1)).unwrap();
    let before = simulate(&examples::get("seed-001-before").unwrap(), Some(1)).unwrap();

    let first_over = after.series.iter().find(|r| r.invocations_per_instance > 25_000.0).unwrap().t_secs;
    let first_out = after.activities.iter().find(|a| a.desired_after > a.desired_before).unwrap();
    // The scale-out alarm needs 3 one-minute datapoints above the target; the third is published
    // one period plus the 60 s publish delay after it starts: 3 + 1 minutes after the first.
    assert_eq!(first_out.at_secs, first_over + 240.0, "{}", first_out.description);
    assert!(first_out.description.contains("3 of 3 datapoints of InvocationsPerInstance above 25000"));

    assert_eq!(after.summary.errors.total, 0);
    assert!((2..=4).contains(&after.summary.max_in_service_instances));
    for row in &after.series {
        let avg = row.model_latency_avg_ms.unwrap();
        assert!(avg < 100.0, "minute at {}s: {avg} ms", row.t_secs);
        // Once the new instances serve (cold start ≈ 4 min, plus a minute of margin), latency is
        // back to the article's "under 16 ms".
        if row.t_secs >= first_out.at_secs + 360.0 {
            assert!(avg < 16.0, "minute at {}s: {avg} ms", row.t_secs);
        }
    }
    // Side by side: autoscaling removes the errors and the saturated latency of "before".
    assert!(before.summary.errors.total > 100_000);
    assert!(before.summary.latency_ms.p99.unwrap() > 10.0 * after.summary.latency_ms.p99.unwrap());
    assert!(after.summary.cost_usd > before.summary.cost_usd, "more instances cost more");
}

/// "Why did it scale?": the first scale-out of seed 001 "after" carries what the alarm read —
/// the 3 published minutes before it, each above the 25,000 target and equal to the report's own
/// per-minute InvocationsPerInstance — and the target tracking arithmetic.
#[test]
fn the_first_scale_out_carries_the_datapoints_its_alarm_evaluated() {
    let s = examples::get("seed-001-after").unwrap();
    let r = simulate(&s, Some(1)).unwrap();
    let a = r.activities.iter().find(|a| a.desired_after > a.desired_before).expect("a scale-out");
    let e = a.evidence.as_ref().expect("evidence on an alarm-driven activity");
    assert!(e.alarm.ends_with("-AlarmHigh"), "{}", e.alarm);
    assert_eq!((e.metric.as_str(), e.period_secs, e.datapoints.len()), ("InvocationsPerInstance", 60, 3));
    assert_eq!((e.breaching, e.datapoints_to_alarm, e.threshold), (3, 3, 25_000.0));
    // The three minutes end one publish delay (60 s) before the activity, back to back.
    let starts: Vec<f64> = e.datapoints.iter().map(|d| d.0).collect();
    assert_eq!(starts, [a.at_secs - 240.0, a.at_secs - 180.0, a.at_secs - 120.0]);
    for &(t, v) in &e.datapoints {
        let v = v.expect("published");
        assert!(v > 25_000.0, "minute at {t}s: {v}");
        let row = r.series.iter().find(|row| row.t_secs == t).unwrap();
        assert!(
            (row.invocations_per_instance - v).abs() < 1e-9,
            "minute at {t}s: report {} vs {v}",
            row.invocations_per_instance
        );
    }
    // ceil(current × latest / target) is what the policy asked for.
    let latest = e.datapoints.last().unwrap().1.unwrap();
    let wanted = (f64::from(a.desired_before) * latest / 25_000.0).ceil() as i64;
    assert_eq!(e.wanted, wanted);
    assert!(e.formula().starts_with(&format!("ceil({} × ", a.desired_before)), "{}", e.formula());
    assert_eq!(e.desired, Some(a.desired_after));
    // Manual changes carry none.
    let m = simulate(&examples::get("seed-001-on-demand").unwrap(), Some(1)).unwrap();
    assert!(m.activities.iter().all(|a| a.evidence.is_none()));
}
