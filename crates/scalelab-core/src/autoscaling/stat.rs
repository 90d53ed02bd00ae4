//! CloudWatch statistics as text, as `ExtendedStatistic` and a metric-math `MetricStat`'s `Stat`
//! take them: the five basic statistics, percentiles (`p99`, `p99.9`) and trimmed means (`tm90`,
//! `TM(10%:90%)`, `IQM`). Percentiles and trimmed means need each period's distribution of
//! values, which the simulator keeps for `ModelLatency` and `OverheadLatency` only.

use std::fmt;

use super::aws::Statistic;
use crate::metrics::Metric;

/// A statistic over one period's values.
#[derive(Clone, Copy, PartialEq, Debug)]
pub enum Stat {
    Basic(Statistic),
    /// `pNN`: the value at this percentile (0–100) of the period's values.
    Percentile(f64),
    /// `TM(lo%:hi%)`: the mean of the values between these percentiles.
    TrimmedMean {
        lo: f64,
        hi: f64,
    },
}

/// What `Stat::parse` accepts, for messages.
pub const STAT_FORMS: &str = "Average, Sum, Minimum, Maximum, SampleCount, a percentile (p50, p99, p99.9), or a trimmed mean (tm90, TM(10%:90%), IQM)";

/// Statistics CloudWatch offers that the simulator does not compute.
const NOT_SIMULATED: &[&str] = &["wm", "WM", "tc", "TC", "ts", "TS", "PR"];

fn percent(text: &str) -> Option<f64> {
    // One to three digits before an optional point and at most ten after: AWS's `p99.9999`.
    let (int, frac) = text.split_once('.').unwrap_or((text, ""));
    let digits = |s: &str| s.bytes().all(|b| b.is_ascii_digit());
    if int.is_empty() || int.len() > 3 || !digits(int) || frac.len() > 10 || !digits(frac) || text.ends_with('.') {
        return None;
    }
    let v: f64 = text.parse().ok()?;
    (0.0..=100.0).contains(&v).then_some(v)
}

impl Stat {
    pub fn parse(text: &str) -> Result<Stat, String> {
        let basic = match text {
            "Average" => Some(Statistic::Average),
            "Sum" => Some(Statistic::Sum),
            "Minimum" => Some(Statistic::Minimum),
            "Maximum" => Some(Statistic::Maximum),
            "SampleCount" => Some(Statistic::SampleCount),
            _ => None,
        };
        if let Some(s) = basic {
            return Ok(Stat::Basic(s));
        }
        let bad = || format!("\"{text}\" is not a statistic; write {STAT_FORMS}");
        if text == "IQM" {
            return Ok(Stat::TrimmedMean { lo: 25.0, hi: 75.0 });
        }
        if let Some(rest) = text.strip_prefix("tm") {
            let hi = percent(rest).filter(|h| *h > 0.0).ok_or_else(bad)?;
            return Ok(Stat::TrimmedMean { lo: 0.0, hi });
        }
        if let Some(inner) = text.strip_prefix("TM(").and_then(|r| r.strip_suffix(')')) {
            let (a, b) = inner.split_once(':').ok_or_else(bad)?;
            let bound = |s: &str, default: f64| -> Result<f64, String> {
                if s.is_empty() {
                    return Ok(default);
                }
                let p = s.strip_suffix('%').ok_or_else(|| {
                    format!("\"{text}\": write the bounds as percentages, like TM(10%:90%) (bounds in the metric's units are not simulated)")
                })?;
                percent(p).ok_or_else(bad)
            };
            let (lo, hi) = (bound(a, 0.0)?, bound(b, 100.0)?);
            if lo >= hi {
                return Err(format!("\"{text}\": the lower bound must be below the upper one"));
            }
            return Ok(Stat::TrimmedMean { lo, hi });
        }
        if let Some(rest) = text.strip_prefix('p') {
            return percent(rest).map(Stat::Percentile).ok_or_else(bad);
        }
        let lower = text.to_ascii_lowercase();
        if lower != text && (lower.starts_with('p') || lower.starts_with("tm")) && Stat::parse(&lower).is_ok() {
            return Err(format!("\"{text}\" is not a statistic; did you mean {lower}?"));
        }
        let head: String = text.chars().take_while(|c| c.is_ascii_alphabetic()).collect();
        if NOT_SIMULATED.contains(&head.as_str()) {
            return Err(format!("\"{text}\": the statistic {head} is not simulated; write {STAT_FORMS}"));
        }
        let near = crate::problem::nearest(text, &["Average", "Sum", "Minimum", "Maximum", "SampleCount"]);
        Err(match near {
            Some(n) => format!("\"{text}\" is not a statistic; did you mean {n}?"),
            None => bad(),
        })
    }

    /// Whether the statistic needs each period's distribution (a percentile or trimmed mean).
    pub fn needs_distribution(self) -> bool {
        !matches!(self, Stat::Basic(_))
    }

    /// Checks that `metric` has this statistic: CloudWatch has percentiles only of metrics
    /// published as values, which here are the latencies.
    pub fn check_for(self, metric: Metric) -> Result<(), String> {
        if self.needs_distribution() && !metric.has_distribution() {
            return Err(format!(
                "{} has no percentiles or trimmed means (it is published as a count or an average); use Average, Sum, Minimum, Maximum or SampleCount, or a percentile of ModelLatency or OverheadLatency",
                metric.name()
            ));
        }
        Ok(())
    }
}

impl fmt::Display for Stat {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Stat::Basic(s) => write!(f, "{s:?}"),
            Stat::Percentile(p) => write!(f, "p{p}"),
            Stat::TrimmedMean { lo, hi } if *lo == 0.0 => write!(f, "tm{hi}"),
            Stat::TrimmedMean { lo, hi } => write!(f, "TM({lo}%:{hi}%)"),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn forms_cloudwatch_takes() {
        assert_eq!(Stat::parse("Sum"), Ok(Stat::Basic(Statistic::Sum)));
        assert_eq!(Stat::parse("p99"), Ok(Stat::Percentile(99.0)));
        assert_eq!(Stat::parse("p99.9"), Ok(Stat::Percentile(99.9)));
        assert_eq!(Stat::parse("p0.0"), Ok(Stat::Percentile(0.0)));
        assert_eq!(Stat::parse("p100"), Ok(Stat::Percentile(100.0)));
        assert_eq!(Stat::parse("tm90"), Ok(Stat::TrimmedMean { lo: 0.0, hi: 90.0 }));
        assert_eq!(Stat::parse("TM(10%:90%)"), Ok(Stat::TrimmedMean { lo: 10.0, hi: 90.0 }));
        assert_eq!(Stat::parse("TM(:95%)"), Ok(Stat::TrimmedMean { lo: 0.0, hi: 95.0 }));
        assert_eq!(Stat::parse("IQM"), Ok(Stat::TrimmedMean { lo: 25.0, hi: 75.0 }));
        for s in ["p99", "p99.9", "tm90", "TM(10%:90%)", "Average"] {
            assert_eq!(Stat::parse(s).map(|x| x.to_string()).as_deref(), Ok(s));
        }
    }

    #[test]
    fn refusals_say_what_to_write() {
        for bad in ["p101", "p", "p9.", "P99", "pp", "TM(90%:10%)", "p-1", "tm0"] {
            assert!(Stat::parse(bad).is_err(), "{bad}");
        }
        assert!(Stat::parse("Averag").unwrap_err().contains("did you mean Average"));
        assert!(Stat::parse("wm99").unwrap_err().contains("not simulated"));
        assert!(Stat::parse("TM(1:2)").unwrap_err().contains("percentages"));
        assert!(Stat::parse("p99").unwrap().check_for(Metric::Invocations).unwrap_err().contains("no percentiles"));
        assert!(Stat::parse("p99").unwrap().check_for(Metric::ModelLatency).is_ok());
    }
}
