//! Built-in scenarios. Each teaches one thing; the text is in its `description`.

use crate::scenario::Scenario;
use crate::traffic::Traffic;

/// A built-in scenario: its name, the group it is listed under, and its JSON.
#[derive(Clone, Copy, Debug)]
pub struct Example {
    pub name: &'static str,
    pub group: &'static str,
    pub json: &'static str,
}

/// Every built-in scenario, in display order.
pub const EXAMPLES: &[Example] = &[
    Example {
        name: "seed-001-before",
        group: "Load test (seed 001)",
        json: include_str!("../scenarios/seed-001-before.json"),
    },
    Example {
        name: "seed-001-after",
        group: "Load test (seed 001)",
        json: include_str!("../scenarios/seed-001-after.json"),
    },
    Example {
        name: "seed-001-metric-math",
        group: "Load test (seed 001)",
        json: include_str!("../scenarios/seed-001-metric-math.json"),
    },
    Example {
        name: "seed-001-on-demand",
        group: "Load test (seed 001)",
        json: include_str!("../scenarios/seed-001-on-demand.json"),
    },
    Example {
        name: "seed-000-target-tracking-cpu",
        group: "Scaling options (seed 000)",
        json: include_str!("../scenarios/seed-000-target-tracking-cpu.json"),
    },
    Example {
        name: "seed-000-step-scaling-latency",
        group: "Scaling options (seed 000)",
        json: include_str!("../scenarios/seed-000-step-scaling-latency.json"),
    },
    Example {
        name: "seed-000-step-scaling-p99",
        group: "Scaling options (seed 000)",
        json: include_str!("../scenarios/seed-000-step-scaling-p99.json"),
    },
    Example {
        name: "seed-000-scheduled",
        group: "Scaling options (seed 000)",
        json: include_str!("../scenarios/seed-000-scheduled.json"),
    },
    Example {
        name: "seed-002-async-backlog",
        group: "Policies by model type (seed 002)",
        json: include_str!("../scenarios/seed-002-async-backlog.json"),
    },
    Example {
        name: "serverless-sporadic",
        group: "Scale to zero (seed 003)",
        json: include_str!("../scenarios/serverless-sporadic.json"),
    },
    Example {
        name: "seed-003-scale-to-zero",
        group: "Scale to zero (seed 003)",
        json: include_str!("../scenarios/seed-003-scale-to-zero.json"),
    },
    Example {
        name: "seed-003-client-retries",
        group: "Scale to zero (seed 003)",
        json: include_str!("../scenarios/seed-003-client-retries.json"),
    },
    Example {
        name: "seed-003-sqs-buffer",
        group: "Scale to zero (seed 003)",
        json: include_str!("../scenarios/seed-003-sqs-buffer.json"),
    },
    Example {
        name: "seed-003-weekend-schedule",
        group: "Scale to zero (seed 003)",
        json: include_str!("../scenarios/seed-003-weekend-schedule.json"),
    },
    Example {
        name: "seed-004-p2-ramp",
        group: "Rightsizing (seed 004)",
        json: include_str!("../scenarios/seed-004-p2-ramp.json"),
    },
    Example {
        name: "seed-004-g4dn-pair",
        group: "Rightsizing (seed 004)",
        json: include_str!("../scenarios/seed-004-g4dn-pair.json"),
    },
    Example { name: "ab-test-variants", group: "Endpoints", json: include_str!("../scenarios/ab-test-variants.json") },
    Example { name: "spiky-diurnal", group: "Traffic shapes", json: include_str!("../scenarios/spiky-diurnal.json") },
    Example {
        name: "llama-8b-business-day",
        group: "Generative AI",
        json: include_str!("../scenarios/llama-8b-business-day.json"),
    },
];

/// The built-in scenario called `name`, parsed.
pub fn get(name: &str) -> Option<Scenario> {
    EXAMPLES.iter().find(|e| e.name == name).and_then(|e| Scenario::from_json(e.json).ok())
}

pub fn names() -> impl Iterator<Item = &'static str> {
    EXAMPLES.iter().map(|e| e.name)
}

/// The scenario with every phase, segment and the run itself `factor` times shorter (for quick
/// looks at long load tests). Shapes tied to the clock (diurnal, business hours, traces) keep
/// their own time.
pub fn shortened(s: &Scenario, factor: u32) -> Scenario {
    let f = u64::from(factor.max(1));
    let mut out = s.clone();
    out.duration = crate::time::Duration(s.duration.0 / f);
    shorten_traffic(&mut out.traffic, f);
    for c in &mut out.capacity_changes {
        if let crate::time::TimeSpec::Offset(d) = &mut c.at {
            d.0 /= f;
        }
    }
    if !out.name.is_empty() {
        out.name = format!("{} (1/{f} time)", out.name);
    }
    out
}

fn shorten_traffic(t: &mut Traffic, f: u64) {
    match t {
        Traffic::Phases(phases) => phases.iter_mut().for_each(|p| p.duration.0 /= f),
        Traffic::Steps(steps) => steps.iter_mut().for_each(|s| s.at.0 /= f),
        Traffic::Spike { at, duration, .. } => {
            at.0 /= f;
            duration.0 = (duration.0 / f).max(crate::time::US_PER_SEC);
        }
        Traffic::Sum(parts) => parts.iter_mut().for_each(|p| shorten_traffic(p, f)),
        Traffic::Sequence(segs) => segs.iter_mut().for_each(|s| {
            s.duration.0 /= f;
            shorten_traffic(&mut s.traffic, f);
        }),
        _ => {}
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_example_parses_validates_and_is_named_after_its_file() {
        for e in EXAMPLES {
            let s = Scenario::from_json(e.json).unwrap_or_else(|p| panic!("{}: {p}", e.name));
            assert_eq!(s.name, e.name);
            assert!(!s.description.is_empty(), "{} needs a description", e.name);
            crate::plan::plan(&s, None).unwrap_or_else(|p| panic!("{}: {p}", e.name));
        }
    }

    #[test]
    fn shortening_keeps_the_shape() {
        let s = get("seed-001-before").unwrap();
        let short = shortened(&s, 10);
        assert_eq!(short.duration, crate::time::Duration::from_secs(720));
        let p = crate::plan::plan(&short, None).unwrap();
        assert_eq!(p.rate.at(360.0), 600.0);
    }
}
