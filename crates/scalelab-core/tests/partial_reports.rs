//! `Simulation::snapshot`: the run so far, taken while it goes, without changing it.

#![allow(clippy::unwrap_used, clippy::indexing_slicing)]

use scalelab_core::{Simulation, examples, plan, simulate};

#[test]
fn snapshots_are_prefixes_of_the_final_report_and_change_nothing() {
    for name in ["seed-001-after", "seed-003-scale-to-zero", "seed-002-async-backlog"] {
        let s = examples::shortened(&examples::get(name).unwrap(), 4);
        let whole = simulate(&s, Some(5)).unwrap();
        let p = plan(&s, Some(5)).unwrap();
        let mut sim = Simulation::new(&p);
        let mut last_requests = 0;
        for k in 1..=4u64 {
            sim.run_until(sim.end() * k / 5);
            let snap = sim.snapshot();
            // The completed periods are exactly the final report's first rows.
            assert!(snap.series.len() <= whole.series.len(), "{name}");
            assert_eq!(snap.series[..], whole.series[..snap.series.len()], "{name}: 60 s rows at {k}/5");
            assert_eq!(snap.series_10s[..], whole.series_10s[..snap.series_10s.len()], "{name}: 10 s rows");
            assert_eq!(snap.activities[..], whole.activities[..snap.activities.len()], "{name}: activities");
            // Counts grow and add up: every request so far succeeded, failed or is in flight.
            let sum = &snap.summary;
            assert!(sum.requests >= last_requests && sum.requests <= whole.summary.requests, "{name}");
            assert_eq!(sum.requests, sum.succeeded + sum.errors.total + sum.in_flight, "{name}");
            assert!((snap.duration_secs - whole.duration_secs * k as f64 / 5.0).abs() < 1e-6, "{name}");
            last_requests = sum.requests;
        }
        // Taking snapshots left the run as it was.
        let after = sim_to_end(sim);
        assert_eq!(after, whole, "{name}: snapshots changed the run");
    }
}

fn sim_to_end(mut sim: Simulation) -> scalelab_core::Report {
    sim.run_until(sim.end());
    sim.finish()
}
