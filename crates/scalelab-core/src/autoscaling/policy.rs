//! The arithmetic of scaling policies, as pure functions: target tracking's proportional
//! capacity, step lookup with AWS's inclusive/exclusive bounds, and percent rounding.

use super::aws::{AdjustmentType, StepAdjustment};

/// Target tracking: `ceil(current × metric / target)` (AWS promises proportionality, not the
/// formula; this is our documented choice). Never negative.
pub fn target_tracking_desired(current: u32, metric: f64, target: f64) -> u64 {
    if target <= 0.0 || !metric.is_finite() {
        return u64::from(current);
    }
    let x = f64::from(current) * metric / target;
    // Tolerate float noise just above an integer (e.g. 2.0000000000000004 → 2).
    let x = libm::ceil(x - 1e-9);
    if x <= 0.0 { 0 } else { x as u64 }
}

/// `PercentChangeInCapacity` rounding: above 1 round down; in (0, 1] → 1; in [−1, 0) → −1; below
/// −1 round toward zero. `MinAdjustmentMagnitude` is a floor on the size of the change.
pub fn percent_change(current: u32, percent: f64, min_magnitude: Option<u32>) -> i64 {
    let raw = f64::from(current) * percent / 100.0;
    let change = if raw > 1.0 {
        libm::floor(raw) as i64
    } else if raw > 0.0 {
        1
    } else if raw == 0.0 {
        0
    } else if raw >= -1.0 {
        -1
    } else {
        libm::ceil(raw) as i64
    };
    match min_magnitude {
        Some(m) if change != 0 && change.unsigned_abs() < u64::from(m) => change.signum() * i64::from(m),
        _ => change,
    }
}

/// The step whose interval holds `diff` (metric − threshold). Above the threshold the lower
/// bound is inclusive and the upper exclusive; below it, the reverse.
pub fn find_step(steps: &[StepAdjustment], diff: f64) -> Option<&StepAdjustment> {
    steps.iter().find(|s| {
        let lo = s.metric_interval_lower_bound.unwrap_or(f64::NEG_INFINITY);
        let hi = s.metric_interval_upper_bound.unwrap_or(f64::INFINITY);
        if diff >= 0.0 { lo <= diff && diff < hi } else { lo < diff && diff <= hi }
    })
}

/// New capacity (unclamped) from a step adjustment applied to `current`.
pub fn apply_adjustment(kind: AdjustmentType, current: u32, adjustment: i64, min_magnitude: Option<u32>) -> i64 {
    match kind {
        AdjustmentType::ChangeInCapacity => i64::from(current) + adjustment,
        AdjustmentType::ExactCapacity => adjustment,
        AdjustmentType::PercentChangeInCapacity => {
            i64::from(current) + percent_change(current, adjustment as f64, min_magnitude)
        }
    }
}

/// Checks that step intervals neither overlap nor leave gaps. Returns a message naming the fix.
pub fn check_steps(steps: &[StepAdjustment]) -> Result<(), String> {
    if steps.is_empty() {
        return Err("needs at least one step adjustment".into());
    }
    let mut sorted: Vec<(f64, f64)> = steps
        .iter()
        .map(|s| {
            (
                s.metric_interval_lower_bound.unwrap_or(f64::NEG_INFINITY),
                s.metric_interval_upper_bound.unwrap_or(f64::INFINITY),
            )
        })
        .collect();
    if sorted.iter().any(|(lo, hi)| lo >= hi) {
        return Err("each step's MetricIntervalLowerBound must be below its MetricIntervalUpperBound".into());
    }
    sorted.sort_by(|a, b| a.0.total_cmp(&b.0));
    for w in sorted.windows(2) {
        if let [(_, hi), (lo, _)] = w {
            if hi > lo {
                return Err(format!("steps overlap: one ends at {hi} after the next begins at {lo}"));
            }
            if hi < lo {
                return Err(format!("steps leave a gap between {hi} and {lo}: make one step's bound meet the next"));
            }
        }
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn step(lo: Option<f64>, hi: Option<f64>, adj: i64) -> StepAdjustment {
        StepAdjustment { metric_interval_lower_bound: lo, metric_interval_upper_bound: hi, scaling_adjustment: adj }
    }

    #[test]
    fn percent_rounding_as_documented() {
        // 12.7 → 12, 0.5 → 1, −0.5 → −1, −6.67 → −6.
        assert_eq!(percent_change(127, 10.0, None), 12);
        assert_eq!(percent_change(5, 10.0, None), 1);
        assert_eq!(percent_change(5, -10.0, None), -1);
        assert_eq!(percent_change(3, -222.333_333_333, None), -6);
        assert_eq!(percent_change(100, -6.67, None), -6);
        // MinAdjustmentMagnitude: 25 % of 4 is 1, raised to 2.
        assert_eq!(percent_change(4, 25.0, Some(2)), 2);
        assert_eq!(percent_change(4, -25.0, Some(2)), -2);
        assert_eq!(percent_change(40, 25.0, Some(2)), 10);
    }

    #[test]
    fn the_documented_step_example() {
        // Threshold 50; [0, 10) → 0 %, [10, 20) → +10 %, [20, ∞) → +30 %; capacity 10.
        let steps = vec![step(Some(0.0), Some(10.0), 0), step(Some(10.0), Some(20.0), 10), step(Some(20.0), None, 30)];
        check_steps(&steps).unwrap();
        let threshold = 50.0;
        let kind = AdjustmentType::PercentChangeInCapacity;
        // Metric 60 → +10 % of 10 → 11.
        let s = find_step(&steps, 60.0 - threshold).unwrap();
        let after_first = apply_adjustment(kind, 10, s.scaling_adjustment, None);
        assert_eq!(after_first, 11);
        // Then metric 70 → +30 % of 11 = 3.3 → 3 → 14.
        let s = find_step(&steps, 70.0 - threshold).unwrap();
        assert_eq!(apply_adjustment(kind, 11, s.scaling_adjustment, None), 14);
    }

    #[test]
    fn bounds_are_inclusive_on_the_threshold_side() {
        let up = vec![step(Some(0.0), Some(10.0), 1), step(Some(10.0), None, 2)];
        assert_eq!(find_step(&up, 0.0).unwrap().scaling_adjustment, 1);
        assert_eq!(find_step(&up, 10.0).unwrap().scaling_adjustment, 2);
        let down = vec![step(None, Some(-10.0), -2), step(Some(-10.0), Some(0.0), -1)];
        assert_eq!(find_step(&down, -10.0).unwrap().scaling_adjustment, -2);
        assert_eq!(find_step(&down, -5.0).unwrap().scaling_adjustment, -1);
        assert!(find_step(&up, -1.0).is_none());
    }

    #[test]
    fn overlaps_and_gaps_are_refused() {
        assert!(
            check_steps(&[step(Some(0.0), Some(10.0), 1), step(Some(5.0), None, 2)]).unwrap_err().contains("overlap")
        );
        assert!(check_steps(&[step(Some(0.0), Some(10.0), 1), step(Some(15.0), None, 2)]).unwrap_err().contains("gap"));
        assert!(check_steps(&[]).is_err());
    }

    #[test]
    fn target_tracking_is_proportional() {
        // Seed 001 after: 1 instance at 41 000 invocations per minute, target 25 000 → 2.
        assert_eq!(target_tracking_desired(1, 41_000.0, 25_000.0), 2);
        assert_eq!(target_tracking_desired(4, 12_000.0, 25_000.0), 2);
        assert_eq!(target_tracking_desired(3, 25_000.0, 25_000.0), 3);
        assert_eq!(target_tracking_desired(0, 50_000.0, 25_000.0), 0, "cannot scale out from zero");
        assert_eq!(target_tracking_desired(2, 0.0, 25_000.0), 0);
    }
}
