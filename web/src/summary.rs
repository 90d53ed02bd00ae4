//! Summary cards and the differences between two runs (compare mode).

use scalelab_core::report::Summary;

use crate::chartdata::{fmt_ms, fmt_num};

/// One card: a label, the value as text, and the raw number for comparisons.
#[derive(Clone, Debug, PartialEq, serde::Serialize, serde::Deserialize)]
pub struct Card {
    pub id: String,
    pub label: String,
    pub value: String,
    pub raw: Option<f64>,
    /// Whether a larger value is better (for colouring a difference).
    pub higher_is_better: bool,
}

pub fn cards(s: &Summary) -> Vec<Card> {
    let pct = |x: f64| format!("{} %", fmt_num(x * 100.0));
    let err_rate = if s.requests > 0 { s.errors.total as f64 / s.requests as f64 } else { 0.0 };
    vec![
        Card {
            id: "requests".into(),
            label: "Requests".into(),
            value: fmt_num(s.requests as f64),
            raw: Some(s.requests as f64),
            higher_is_better: true,
        },
        Card {
            id: "errors".into(),
            label: "Errors".into(),
            value: format!("{} ({})", fmt_num(s.errors.total as f64), pct(err_rate)),
            raw: Some(s.errors.total as f64),
            higher_is_better: false,
        },
        Card {
            id: "p99".into(),
            label: "p99 latency".into(),
            value: s.latency_ms.p99.map_or("–".into(), fmt_ms),
            raw: s.latency_ms.p99,
            higher_is_better: false,
        },
        Card {
            id: "slo".into(),
            label: "SLO attainment".into(),
            value: s.slo_attainment.map_or("no SLO".into(), pct),
            raw: s.slo_attainment,
            higher_is_better: true,
        },
        Card {
            id: "instance-hours".into(),
            label: "Instance-hours".into(),
            value: fmt_num(s.instance_hours),
            raw: Some(s.instance_hours),
            higher_is_better: false,
        },
        Card {
            id: "cost".into(),
            label: "Cost".into(),
            // A serverless endpoint's cost can be a fraction of a cent.
            value: if s.cost_usd > 0.0 && s.cost_usd < 0.01 {
                format!("${:.4}", s.cost_usd)
            } else {
                format!("${:.2}", s.cost_usd)
            },
            raw: Some(s.cost_usd),
            higher_is_better: false,
        },
        Card {
            id: "cost-per-million".into(),
            label: "Cost per 1M".into(),
            value: s.cost_per_million_usd.map_or("–".into(), |c| format!("${c:.2}")),
            raw: s.cost_per_million_usd,
            higher_is_better: false,
        },
    ]
}

/// The change from `a` to `b` for one card, as text with its sign, and whether it is better.
pub fn difference(a: &Card, b: &Card) -> Option<(String, bool)> {
    let (x, y) = (a.raw?, b.raw?);
    if x == y {
        return Some(("same".into(), true));
    }
    let d = y - x;
    let better = (d > 0.0) == a.higher_is_better;
    let text = if x != 0.0 {
        format!("{}{} %", if d > 0.0 { "+" } else { "−" }, fmt_num((d / x).abs() * 100.0))
    } else {
        format!("{}{}", if d > 0.0 { "+" } else { "−" }, fmt_num(d.abs()))
    };
    Some((text, better))
}

#[cfg(all(test, not(target_arch = "wasm32")))]
mod tests {
    #![allow(clippy::unwrap_used, clippy::indexing_slicing)]
    use super::*;

    #[test]
    fn seed_001_autoscaling_cuts_errors_and_the_comparison_says_so() {
        let run = |n: &str| scalelab_core::simulate(&scalelab_core::examples::get(n).unwrap(), Some(1)).unwrap();
        let (before, after) = (run("seed-001-before"), run("seed-001-after"));
        let (a, b) = (cards(&before.summary), cards(&after.summary));
        assert_eq!(a.len(), 7);
        let errors = a.iter().position(|c| c.id == "errors").unwrap();
        let (text, better) = difference(&a[errors], &b[errors]).unwrap();
        assert!(better, "autoscaling must reduce errors: {text}");
        assert!(text.starts_with('−'), "{text}");
        let cost = a.iter().position(|c| c.id == "cost").unwrap();
        let (_, cheaper) = difference(&a[cost], &b[cost]).unwrap();
        assert!(!cheaper, "more instances cost more");
        assert_eq!(a[cost].value, format!("${:.2}", before.summary.cost_usd));
    }
}
