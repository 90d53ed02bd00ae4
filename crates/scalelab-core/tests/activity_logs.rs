//! Snapshots of what each built-in scenario decides and why: scaling activities and alarm
//! state changes. A change in scaling behaviour shows up here as a diff to review.

#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic, clippy::indexing_slicing)]

use std::fmt::Write;

use scalelab_core::{examples, simulate};

fn log(name: &str) -> String {
    let r = simulate(&examples::get(name).unwrap(), Some(1)).unwrap();
    let mut o = String::new();
    let s = &r.summary;
    let _ = writeln!(
        o,
        "requests {} · succeeded {} · errors {} · max in service {} · cost ${:.2}",
        s.requests, s.succeeded, s.errors.total, s.max_in_service_instances, s.cost_usd
    );
    for a in &r.activities {
        let _ = writeln!(o, "[{}] {}", a.status, a.description);
    }
    for h in &r.alarm_history {
        let _ = writeln!(o, "{:>6}s {} {} → {}: {}", h.at_secs, h.alarm, h.from.as_str(), h.to.as_str(), h.reason);
    }
    o
}

#[test]
fn activity_logs_of_the_built_in_scenarios() {
    for name in examples::names() {
        insta::assert_snapshot!(name, log(name));
    }
}
