//! The calibration pipeline at tiny scale: measure, fit, profile through the core, and the
//! predicted-versus-measured check. Skips (with the reason printed) without any adapter.

#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use scalelab_gpu::calibrate::{self, Options};
use scalelab_gpu::workload::Workload;

mod common;

#[test]
fn a_tiny_mlp_calibrates_into_a_profile_the_core_runs() {
    let Some(gpu) = common::gpu() else { return };
    let o = Options {
        workload: Workload::Mlp { input: 64, hidden: 256, classes: 8 },
        slo_ms: 50.0,
        max_batch: 8,
        repeats: 8,
        warmups: 2,
        date: "2026-11-23".into(),
    };
    let points = calibrate::measure(&gpu, &o, |_| {}).unwrap();
    assert_eq!(points.iter().map(|p| p.batch).collect::<Vec<_>>(), vec![1, 2, 4, 8]);
    assert!(points.iter().all(|p| p.median_ms > 0.0 && p.median_ms.is_finite()));
    let (fixed, per_item, cv) = calibrate::fit(&points);
    assert!(fixed > 0.0 && per_item >= 0.0 && (0.01..=1.0).contains(&cv), "{fixed} {per_item} {cv}");
    let profile = calibrate::profile(fixed, per_item, cv, o.max_batch, !gpu.is_software());
    // The profile round-trips through the core's JSON and runs.
    let json = serde_json::to_string(&profile).unwrap();
    let back: scalelab_core::profile::ServingProfile = serde_json::from_str(&json).unwrap();
    assert_eq!(back, profile);
    let cap = 1000.0 / (fixed + per_item * f64::from(o.max_batch)) * f64::from(o.max_batch);
    // At a fifth of the capacity, queueing is light: predicted p99 stays within a few batches.
    let light = calibrate::predicted(&profile, cap / 5.0, 60.0).unwrap();
    let p99 = light.p99_ms;
    assert!(p99 > 0.0 && p99 < 10.0 * (fixed + per_item * f64::from(o.max_batch)), "p99 {p99} ms");
    assert_eq!(light.failed, 0.0, "nothing fails at a fifth of the capacity");
    // Predicted and measured (replayed) maximum rates agree within a factor of two at this
    // tiny, noisy scale.
    let measured = calibrate::max_rps(
        |r| calibrate::replay(&points, o.max_batch, r, 4000, 1),
        calibrate::ramp_start(cap),
        o.slo_ms,
    );
    let none = calibrate::Load { p99_ms: f64::NAN, failed: 1.0 };
    let predicted = calibrate::max_rps(
        |r| calibrate::predicted(&profile, r, calibrate::step_secs(r, 4000, 0.0)).unwrap_or(none),
        calibrate::ramp_start(cap),
        o.slo_ms,
    );
    assert!(measured.0 > 0.0 && predicted.0 > 0.0, "{measured:?} {predicted:?}");
    let ratio = predicted.0 / measured.0;
    assert!((0.5..=2.0).contains(&ratio), "predicted {predicted:?} vs measured {measured:?}");

    // The same on the real executor: every batch runs on the adapter.
    let exec = calibrate::LiveExecutor::new(&gpu, &o.workload, o.max_batch).unwrap();
    let live =
        calibrate::max_rps(|r| exec.load(r, 150, 20.0 * o.slo_ms, 1).unwrap(), calibrate::ramp_start(cap), o.slo_ms);
    // The simulator runs the live test's own steps (150 requests or 20 objectives each).
    let same_steps = |profile: &scalelab_core::profile::ServingProfile| {
        calibrate::max_rps(
            |r| calibrate::predicted(profile, r, calibrate::step_secs(r, 150, 20.0 * o.slo_ms)).unwrap_or(none),
            calibrate::ramp_start(cap),
            o.slo_ms,
        )
    };
    let predicted = same_steps(&profile);
    let ratio = predicted.0 / live.0;
    assert!(live.0 > 0.0 && (0.5..=2.0).contains(&ratio), "predicted {predicted:?} vs live {live:?}");

    // The executor kept every batch time it ran: the largest bucket ran most near the top
    // rate, and a model fitted on those times predicts the live test as well.
    let observed = exec.observed(3);
    assert!(!observed.is_empty(), "no bucket ran three times");
    for p in &observed {
        assert!(p.samples_ms.len() >= 3 && p.median_ms > 0.0 && p.median_ms.is_finite(), "{p:?}");
        assert!(o.max_batch >= p.batch);
    }
    let total: usize = observed.iter().map(|p| p.samples_ms.len()).sum();
    assert!(total >= 10, "only {total} batches recorded over a whole ramp");
    if observed.len() >= 2 {
        let (f, pi, c) = calibrate::fit(&observed);
        let refit = same_steps(&calibrate::profile(f, pi, c, o.max_batch, !gpu.is_software()));
        let ratio = refit.0 / live.0;
        assert!((0.5..=2.0).contains(&ratio), "refit {refit:?} vs live {live:?}");
    }
}
