//! Chart data shaped from a report, independent of any drawing: what each chart shows, its
//! reference lines, a CSV table behind it, and min/max decimation to the pixel columns drawn.

use scalelab_core::Report;
pub use scalelab_core::fmt::{fmt_clock, fmt_ms, fmt_num};
use scalelab_core::metrics::Row;
use scalelab_core::scaling::GuideRole;

/// One line of a chart: a value (or a gap, as CloudWatch leaves one) per x.
#[derive(Clone, Debug, PartialEq, serde::Serialize, serde::Deserialize)]
pub struct Line {
    pub name: String,
    pub ys: Vec<Option<f64>>,
}

/// A horizontal reference line (a target, an alarm threshold, an SLO).
#[derive(Clone, Debug, PartialEq, serde::Serialize, serde::Deserialize)]
pub struct Rule {
    pub name: String,
    pub y: f64,
}

#[derive(Clone, Debug, PartialEq, serde::Serialize, serde::Deserialize)]
pub struct Chart {
    pub id: String,
    pub title: String,
    pub unit: String,
    /// Seconds since the start of the run; shared by every line.
    pub xs: Vec<f64>,
    pub lines: Vec<Line>,
    pub rules: Vec<Rule>,
    /// Draw as steps (counts that hold until they change) rather than straight segments.
    pub steps: bool,
}

impl Chart {
    /// The largest value of any line or rule, for the y axis.
    pub fn y_max(&self) -> f64 {
        let lines = self.lines.iter().flat_map(|l| l.ys.iter().flatten().copied());
        let rules = self.rules.iter().map(|r| r.y);
        lines.chain(rules).filter(|y| y.is_finite()).fold(0.0, f64::max)
    }

    /// The data behind the chart as CSV: a time column and one column per line.
    pub fn csv(&self) -> String {
        let mut out = String::from("t_secs");
        for l in &self.lines {
            out.push(',');
            out.push_str(&l.name.replace(',', " "));
        }
        out.push('\n');
        for (k, x) in self.xs.iter().enumerate() {
            out.push_str(&format!("{x}"));
            for l in &self.lines {
                out.push(',');
                if let Some(Some(y)) = l.ys.get(k) {
                    out.push_str(&format!("{y}"));
                }
            }
            out.push('\n');
        }
        out
    }

    /// A sentence for screen readers: what the chart shows and its range.
    pub fn aria_label(&self) -> String {
        let names: Vec<&str> = self.lines.iter().map(|l| l.name.as_str()).collect();
        format!(
            "{}: {} over {} points; highest value {} {}",
            self.title,
            names.join(", "),
            self.xs.len(),
            fmt_num(self.y_max()),
            self.unit
        )
    }
}

impl Chart {
    /// The legend, in drawing order: each line's name with its swatch (`c0`…`c3`, the palette's
    /// classes in `style.css`), then each reference line's (`rule`). Shown beside the plot,
    /// never over it.
    pub fn legend(&self) -> Vec<(String, &'static str)> {
        const LINES: [&str; 4] = ["c0", "c1", "c2", "c3"];
        let lines =
            self.lines.iter().enumerate().map(|(k, l)| (l.name.clone(), LINES.get(k % 4).copied().unwrap_or("c0")));
        lines.chain(self.rules.iter().map(|r| (r.name.clone(), "rule"))).collect()
    }
}

/// An RGB colour.
pub type Rgb = (u8, u8, u8);

/// The charts' colours on one background. The four line colours are Okabe and Ito's
/// colour-blind-safe hues (blue, orange, green, purple), darkened on white and lightened on
/// the dark background so that each has at least 4.5:1 contrast with it (3:1 is WCAG's
/// figure for graphics); reference lines are red and dashed. `style.css` defines the same
/// colours as `--c0`…`--c3` and `--rule` for the legends (a test holds them equal).
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct Palette {
    pub lines: [Rgb; 4],
    pub rule: Rgb,
    pub background: Rgb,
    pub text: Rgb,
    pub grid: Rgb,
}

pub const LIGHT: Palette = Palette {
    lines: [(0x00, 0x72, 0xb2), (0xb3, 0x5c, 0x00), (0x00, 0x79, 0x5a), (0x9a, 0x4b, 0x85)],
    rule: (0xc0, 0x27, 0x2d),
    background: (0xff, 0xff, 0xff),
    text: (0x1e, 0x20, 0x24),
    grid: (0xe4, 0xe6, 0xea),
};

pub const DARK: Palette = Palette {
    lines: [(0x56, 0xb4, 0xe9), (0xe6, 0x9f, 0x00), (0x3c, 0xc2, 0x9a), (0xe0, 0x8e, 0xc0)],
    rule: (0xff, 0x6b, 0x6b),
    background: (0x18, 0x1a, 0x1f),
    text: (0xe1, 0xe4, 0xea),
    grid: (0x3a, 0x3e, 0x46),
};

pub fn palette(dark: bool) -> Palette {
    if dark { DARK } else { LIGHT }
}

/// `#0072b2`.
pub fn hex(c: Rgb) -> String {
    format!("#{:02x}{:02x}{:02x}", c.0, c.1, c.2)
}

/// Every chart of a report, on one time axis.
#[derive(Clone, Debug, PartialEq, serde::Serialize, serde::Deserialize)]
pub struct ChartSet {
    pub x_end: f64,
    pub charts: Vec<Chart>,
    /// The scaling activities that changed capacity, for markers, in time order.
    pub activities: Vec<ActivityMark>,
}

/// A scaling activity that changed a desired count, as the charts mark it.
#[derive(Clone, Debug, PartialEq, serde::Serialize, serde::Deserialize)]
pub struct ActivityMark {
    pub at_secs: f64,
    pub variant: String,
    pub desired_before: u32,
    pub desired_after: u32,
    /// The activity's sentence.
    pub description: String,
}

impl ActivityMark {
    /// The change as the marker shows it: "↑2", "↓1".
    pub fn label(&self) -> String {
        let (b, a) = (self.desired_before, self.desired_after);
        if a >= b { format!("↑{}", a - b) } else { format!("↓{}", b - a) }
    }

    /// Whether the change adds capacity.
    pub fn is_up(&self) -> bool {
        self.desired_after > self.desired_before
    }

    /// The marker's tooltip: the activity's sentence (it says when and what changed, and why).
    pub fn tooltip(&self) -> String {
        self.description.clone()
    }

    /// The marker's accessible name: its label in words, then the sentence.
    pub fn accessible_name(&self) -> String {
        let by = self.desired_after.abs_diff(self.desired_before);
        let what = if self.is_up() { "scaled out" } else { "scaled in" };
        format!("{} {what} by {by}: {}", self.label(), self.description)
    }
}

/// Stacks marker labels in lanes so that none overlaps another: each marker (at `xs`, CSS
/// pixels, in time order) takes the first lane whose last label ends `min_gap` before it; with
/// every lane taken it goes in the lane that frees first. Returns each marker's lane.
pub fn marker_lanes(xs: &[f64], min_gap: f64, max_lanes: usize) -> Vec<usize> {
    let mut ends: Vec<f64> = Vec::new();
    let mut out = Vec::with_capacity(xs.len());
    for &x in xs {
        let free = ends.iter().position(|end| x - end >= min_gap);
        let lane = match free {
            Some(l) => l,
            None if ends.len() < max_lanes.max(1) => {
                ends.push(f64::NEG_INFINITY);
                ends.len() - 1
            }
            None => ends.iter().enumerate().min_by(|a, b| a.1.total_cmp(b.1)).map_or(0, |(k, _)| k),
        };
        if let Some(end) = ends.get_mut(lane) {
            *end = x;
        }
        out.push(lane);
    }
    out
}

/// Rows per period summed (or maxed) over variants. Rows of one period are adjacent.
fn by_period(rows: &[Row]) -> Vec<&[Row]> {
    let mut out = Vec::new();
    let mut start = 0;
    for k in 1..=rows.len() {
        let split = match (rows.get(k), rows.get(start)) {
            (Some(a), Some(b)) => a.t_secs != b.t_secs,
            _ => true,
        };
        if split {
            if let Some(chunk) = rows.get(start..k)
                && !chunk.is_empty()
            {
                out.push(chunk);
            }
            start = k;
        }
    }
    out
}

fn sum<F: Fn(&Row) -> f64>(g: &[Row], f: F) -> f64 {
    g.iter().map(f).sum()
}
fn max_opt<F: Fn(&Row) -> Option<f64>>(g: &[Row], f: F) -> Option<f64> {
    g.iter().filter_map(f).fold(None, |m, y| Some(m.map_or(y, |m: f64| m.max(y))))
}

/// Lines for the invocations-per-instance chart (per-minute sums): the compiled thresholds of
/// the run's scalers on that metric, as the scalers compare them (a target tracking policy with
/// DisableScaleIn has no scale-in line; per-copy policies of inference components count).
fn invocation_rules(report: &Report) -> Vec<Rule> {
    let mut rules: Vec<Rule> = Vec::new();
    for g in &report.guides {
        // A one-minute period holds one datapoint, so any statistic but SampleCount is the
        // per-minute value the chart draws.
        if g.metric != "InvocationsPerInstance" || g.statistic == "SampleCount" || g.period_secs != 60 {
            continue;
        }
        let name = match g.role {
            GuideRole::Target => format!("target {}", fmt_num(g.value)),
            GuideRole::ScaleIn => format!("scale-in below {}", fmt_num(g.value)),
            GuideRole::Threshold => format!("{} {}", g.source, fmt_num(g.value)),
        };
        if !rules.iter().any(|r| r.name == name) {
            rules.push(Rule { name, y: g.value });
        }
    }
    rules
}

/// Builds the charts. Runs up to 12 hours use the 10 s high-resolution rows; longer ones the
/// 60 s rows. Invocations per instance is always per minute, as CloudWatch publishes it.
pub fn charts(report: &Report) -> ChartSet {
    let fine = report.duration_secs <= 12.0 * 3600.0;
    let rows = if fine { &report.series_10s } else { &report.series };
    let periods = by_period(rows);
    let xs: Vec<f64> = periods.iter().filter_map(|g| g.first().map(|r| r.t_secs)).collect();
    let per_sec = |g: &[Row], f: fn(&Row) -> u64| {
        let len = g.first().map_or(1.0, |r| r.period_secs.max(1e-9));
        Some(g.iter().map(f).sum::<u64>() as f64 / len)
    };
    let line = |name: &str, f: &dyn Fn(&[Row]) -> Option<f64>| Line {
        name: name.to_string(),
        ys: periods.iter().map(|g| f(g)).collect(),
    };

    let mut charts = Vec::new();
    charts.push(Chart {
        id: "rate".into(),
        title: "Request rate".into(),
        unit: "req/s".into(),
        xs: xs.clone(),
        lines: vec![
            line("requests/s", &|g| per_sec(g, |r| r.requests)),
            line("invocations/s", &|g| per_sec(g, |r| r.invocations)),
            line("succeeded/s", &|g| per_sec(g, |r| r.succeeded)),
        ],
        rules: Vec::new(),
        steps: false,
    });

    let minutes = by_period(&report.series);
    // A serverless endpoint publishes no invocations per instance: its concurrency instead, as
    // a share of MaxConcurrency (and of the provisioned concurrency).
    let serverless = report.series.iter().any(|r| r.serverless_concurrent_executions_utilization.is_some());
    if serverless {
        let pct = |f: fn(&Row) -> Option<f64>| -> Vec<Option<f64>> {
            minutes.iter().map(|g| max_opt(g, f).map(|u| 100.0 * u)).collect()
        };
        charts.push(Chart {
            id: "ipi".into(),
            title: "Concurrent executions".into(),
            unit: "% of the limit".into(),
            xs: minutes.iter().filter_map(|g| g.first().map(|r| r.t_secs)).collect(),
            lines: vec![
                Line { name: "of MaxConcurrency".into(), ys: pct(|r| r.serverless_concurrent_executions_utilization) },
                Line {
                    name: "of provisioned concurrency".into(),
                    ys: pct(|r| r.serverless_provisioned_concurrency_utilization),
                },
            ],
            rules: Vec::new(),
            steps: false,
        });
    } else {
        charts.push(Chart {
            id: "ipi".into(),
            title: "Invocations per instance".into(),
            unit: "per minute".into(),
            xs: minutes.iter().filter_map(|g| g.first().map(|r| r.t_secs)).collect(),
            lines: vec![Line {
                name: "InvocationsPerInstance".into(),
                ys: minutes.iter().map(|g| Some(sum(g, |r| r.invocations_per_instance))).collect(),
            }],
            rules: invocation_rules(report),
            steps: false,
        });
    }

    charts.push(Chart {
        id: "instances".into(),
        title: if serverless { "Serverless environments".into() } else { "Instances".into() },
        unit: if serverless { "environments".into() } else { "instances".into() },
        xs: xs.clone(),
        lines: vec![
            line("desired", &|g| Some(sum(g, |r| f64::from(r.desired_instances)))),
            line("pending", &|g| Some(sum(g, |r| f64::from(r.pending_instances)))),
            line("in service", &|g| Some(sum(g, |r| f64::from(r.in_service_instances)))),
            line("billed", &|g| Some(sum(g, |r| f64::from(r.billed_instances)))),
        ],
        rules: Vec::new(),
        steps: true,
    });

    if let Some(c) = scaling_chart(report) {
        charts.push(c);
    }

    let mut latency_rules = Vec::new();
    if let Some(slo) = report.summary.slo_latency_ms {
        latency_rules.push(Rule { name: format!("SLO {}", fmt_ms(slo)), y: slo });
    }
    charts.push(Chart {
        id: "latency".into(),
        title: "Model latency".into(),
        unit: "ms".into(),
        xs: xs.clone(),
        lines: vec![
            line("p50", &|g| max_opt(g, |r| r.model_latency_p50_ms)),
            line("p90", &|g| max_opt(g, |r| r.model_latency_p90_ms)),
            line("p99", &|g| max_opt(g, |r| r.model_latency_p99_ms)),
        ],
        rules: latency_rules,
        steps: false,
    });

    charts.push(Chart {
        id: "errors".into(),
        title: "Errors (CloudWatch: every attempt)".into(),
        unit: "per period".into(),
        xs: xs.clone(),
        lines: vec![
            line("ModelError", &|g| Some(sum(g, |r| r.model_errors as f64))),
            line("503 ServiceUnavailable", &|g| Some(sum(g, |r| r.errors_5xx as f64))),
            line("ValidationError (no capacity)", &|g| Some(sum(g, |r| r.no_capacity_failures as f64))),
            line("ThrottlingException", &|g| Some(sum(g, |r| r.throttled as f64))),
        ],
        rules: Vec::new(),
        steps: false,
    });

    charts.push(Chart {
        id: "utilization".into(),
        title: "Utilization per instance".into(),
        unit: "%".into(),
        xs: xs.clone(),
        lines: vec![
            line("CPU", &|g| max_opt(g, |r| r.cpu_utilization)),
            line("GPU", &|g| max_opt(g, |r| r.gpu_utilization)),
            line("memory", &|g| max_opt(g, |r| r.memory_utilization)),
        ],
        rules: Vec::new(),
        steps: false,
    });

    let mut total = 0.0;
    let cost: Vec<Option<f64>> = periods
        .iter()
        .map(|g| {
            total += sum(g, |r| r.cost_usd);
            Some(total)
        })
        .collect();
    charts.push(Chart {
        id: "cost".into(),
        title: "Cumulative cost".into(),
        unit: "USD".into(),
        xs: xs.iter().zip(periods.iter()).map(|(x, g)| x + g.first().map_or(0.0, |r| r.period_secs)).collect(),
        lines: vec![Line { name: "cost".into(), ys: cost }],
        rules: Vec::new(),
        steps: false,
    });

    // Drop lines that are zero or missing throughout (a GPU line on a CPU instance).
    // (A chart whose lines are all zero keeps its first line, drawn flat at zero.)
    for c in &mut charts {
        let first = c.lines.first().cloned();
        c.lines.retain(|l| l.ys.iter().flatten().any(|y| *y != 0.0));
        if c.lines.is_empty()
            && let Some(f) = first
        {
            c.lines.push(f);
        }
    }

    let activities = report
        .activities
        .iter()
        .filter(|a| a.desired_after != a.desired_before)
        .map(|a| ActivityMark {
            at_secs: a.at_secs,
            variant: a.variant.clone(),
            desired_before: a.desired_before,
            desired_after: a.desired_after,
            description: a.description.clone(),
        })
        .collect();
    ChartSet { x_end: report.duration_secs, charts, activities }
}

/// The offered request rate of a scenario over its run, from the traffic alone (no
/// simulation): the editor's instant preview.
pub fn traffic_preview(plan: &scalelab_core::Plan) -> Chart {
    let end = plan.duration_us as f64 / 1e6;
    let n = 240;
    let xs: Vec<f64> = (0..=n).map(|k| end * k as f64 / n as f64).collect();
    let ys = xs.iter().map(|&t| Some(plan.rate.at(t.min(end - 1e-6).max(0.0)))).collect();
    Chart {
        id: "traffic".into(),
        title: "Offered traffic".into(),
        unit: "req/s".into(),
        xs,
        lines: vec![Line { name: "offered req/s".into(), ys }],
        rules: Vec::new(),
        steps: false,
    }
}

/// A pixel column being filled: its index and its first, lowest, highest and last points.
type Column = (i64, (f64, f64), (f64, f64), (f64, f64), (f64, f64));

/// Reduces a line to at most two points per pixel column (the minimum and the maximum, in
/// their order) plus the first and last point, so a million points draw as fast as a few
/// thousand and no spike disappears. Gaps (`None`) split the line into segments.
pub fn decimate(xs: &[f64], ys: &[Option<f64>], x0: f64, x1: f64, columns: usize) -> Vec<Vec<(f64, f64)>> {
    let mut segments: Vec<Vec<(f64, f64)>> = Vec::new();
    let mut seg: Vec<(f64, f64)> = Vec::new();
    let columns = columns.max(1);
    let width = (x1 - x0).max(f64::MIN_POSITIVE);
    let col_of = |x: f64| (((x - x0) / width) * columns as f64).floor() as i64;
    // The open column: its index, first, min, max and last points.
    let mut open: Option<Column> = None;
    let flush = |open: &mut Option<Column>, seg: &mut Vec<(f64, f64)>| {
        if let Some((_, first, lo, hi, last)) = open.take() {
            let (a, b) = if lo.0 <= hi.0 { (lo, hi) } else { (hi, lo) };
            seg.push(first);
            for p in [a, b, last] {
                if seg.last() != Some(&p) {
                    seg.push(p);
                }
            }
        }
    };
    for (x, y) in xs.iter().copied().zip(ys.iter().copied()) {
        let Some(y) = y.filter(|y| y.is_finite()) else {
            flush(&mut open, &mut seg);
            if !seg.is_empty() {
                segments.push(std::mem::take(&mut seg));
            }
            continue;
        };
        let c = col_of(x);
        let p = (x, y);
        match &mut open {
            Some((col, _, lo, hi, last)) if *col == c => {
                if y < lo.1 {
                    *lo = p;
                }
                if y > hi.1 {
                    *hi = p;
                }
                *last = p;
            }
            _ => {
                flush(&mut open, &mut seg);
                open = Some((c, p, p, p, p));
            }
        }
    }
    flush(&mut open, &mut seg);
    if !seg.is_empty() {
        segments.push(seg);
    }
    segments
}

/// Chart layout in CSS pixels, shared by the drawing and the pointer and cursor mapping.
pub const MARGIN: f64 = 8.0;
/// Room on the right for the last time label.
pub const MARGIN_RIGHT: f64 = 28.0;
pub const Y_LABELS: f64 = 58.0;
pub const X_LABELS: f64 = 24.0;

/// Time (seconds) under a pointer at `css_x` on a canvas `css_width` wide, if inside the plot.
pub fn time_at(css_x: f64, css_width: f64, x_end: f64) -> Option<f64> {
    let left = MARGIN + Y_LABELS;
    let right = css_width - MARGIN_RIGHT;
    (css_x >= left && css_x <= right && right > left).then(|| (css_x - left) / (right - left) * x_end)
}

/// Where the cursor at time `t` stands on a canvas `css_width` wide (CSS pixels from its left
/// edge): the inverse of `time_at`. `None` outside the run.
pub fn cursor_left(t: f64, css_width: f64, x_end: f64) -> Option<f64> {
    let left = MARGIN + Y_LABELS;
    let right = css_width - MARGIN_RIGHT;
    (x_end > 0.0 && right > left && (0.0..=x_end).contains(&t)).then(|| left + t / x_end * (right - left))
}

/// The chart that draws a metric an alarm reads, where "why did it scale?" marks the
/// datapoints the alarm evaluated.
/// The chart of the metric an alarm evaluated, by its name and statistic: a metric math
/// expression or a percentile is on the scaling-metric chart, the others on their own.
pub fn chart_of_evidence(metric: &str, statistic: &str) -> &'static str {
    if derived(statistic) { "scaling" } else { chart_of_metric(metric) }
}

/// Whether a statistic is one the report's rows do not hold (an expression, a percentile or
/// trimmed mean), so its values come from the scaler's own series.
fn derived(statistic: &str) -> bool {
    !matches!(statistic, "Average" | "Sum" | "Minimum" | "Maximum" | "SampleCount")
}

/// The metrics the scalers computed themselves (metric math expressions, percentiles), as they
/// read them each period, against their thresholds; latencies in milliseconds like the
/// latency chart. `None` when the run has none.
fn scaling_chart(report: &Report) -> Option<Chart> {
    let first = report.scaler_metrics.first()?;
    let latency = |m: &str| m == "ModelLatency" || m == "OverheadLatency";
    let all_latency = report.scaler_metrics.iter().all(|m| latency(&m.metric));
    let scale = |m: &str, v: f64| if latency(m) { v / 1000.0 } else { v };
    let xs: Vec<f64> = first.points.iter().map(|(t, _)| *t).collect();
    let lines = report
        .scaler_metrics
        .iter()
        .take(4)
        .map(|m| Line {
            name: if m.statistic == "Expression" { m.metric.clone() } else { format!("{} {}", m.metric, m.statistic) },
            ys: {
                // Both in time order: one pass.
                let by_time: std::collections::BTreeMap<u64, Option<f64>> =
                    m.points.iter().map(|(t, v)| (t.to_bits(), *v)).collect();
                xs.iter().map(|x| by_time.get(&x.to_bits()).copied().flatten().map(|v| scale(&m.metric, v))).collect()
            },
        })
        .collect();
    let mut rules: Vec<Rule> = Vec::new();
    for g in &report.guides {
        let Some(m) = report.scaler_metrics.iter().find(|m| {
            (m.variant, &m.metric, &m.statistic, m.period_secs) == (g.variant, &g.metric, &g.statistic, g.period_secs)
        }) else {
            continue;
        };
        let y = scale(&m.metric, g.value);
        let name = match g.role {
            GuideRole::Target => format!("target {}", fmt_num(y)),
            GuideRole::ScaleIn => format!("scale-in below {}", fmt_num(y)),
            GuideRole::Threshold => format!("{} {}", g.source, fmt_num(y)),
        };
        if !rules.iter().any(|r| r.name == name) {
            rules.push(Rule { name, y });
        }
    }
    let title = if first.statistic == "Expression" {
        format!("Scaling metric: {}", first.metric)
    } else {
        format!("Scaling metric: {} {}", first.metric, first.statistic)
    };
    Some(Chart {
        id: "scaling".into(),
        title,
        unit: if all_latency { "ms".into() } else { format!("one datapoint per {} s", first.period_secs) },
        xs,
        lines,
        rules,
        steps: false,
    })
}

pub fn chart_of_metric(metric: &str) -> &'static str {
    match metric {
        "InvocationsPerInstance" | "InvocationsPerCopy" => "ipi",
        "ModelLatency" | "OverheadLatency" => "latency",
        "CPUUtilization" | "GPUUtilization" | "MemoryUtilization" => "utilization",
        "Invocations" => "rate",
        m if m.contains("Error") || m.contains("Failures") => "errors",
        _ => "instances",
    }
}

/// Where a datapoint's period `[start, start + period)` lies on a chart `css_width` wide:
/// (left, width) in CSS pixels, clipped to the run; `None` outside it.
pub fn period_band(start: f64, period: f64, css_width: f64, x_end: f64) -> Option<(f64, f64)> {
    let a = cursor_left(start.max(0.0), css_width, x_end)?;
    let b = cursor_left((start + period).min(x_end), css_width, x_end)?;
    (b > a).then_some((a, b - a))
}

/// Moves the chart cursor from the keyboard: arrows by one step (a minute, or 1 % of a long
/// run, in whole minutes), Shift+arrows by ten, Home and End to the ends. From no cursor, an
/// arrow starts at the beginning. `None` for keys that do not move it.
pub fn cursor_key(key: &str, shift: bool, at: Option<f64>, x_end: f64) -> Option<f64> {
    let step = ((x_end / 100.0 / 60.0).round() * 60.0).max(60.0) * if shift { 10.0 } else { 1.0 };
    let t = match (key, at) {
        ("Home", _) => 0.0,
        ("End", _) => x_end,
        ("ArrowRight" | "ArrowLeft", None) => 0.0,
        ("ArrowRight", Some(t)) => t + step,
        ("ArrowLeft", Some(t)) => t - step,
        _ => return None,
    };
    Some(t.clamp(0.0, x_end.max(0.0)))
}

#[cfg(all(test, not(target_arch = "wasm32")))]
mod tests {
    #![allow(clippy::unwrap_used, clippy::indexing_slicing, clippy::panic)]
    use super::*;
    use proptest::prelude::*;

    #[test]
    fn an_alarms_datapoints_are_marked_on_the_chart_of_its_metric() {
        assert_eq!(chart_of_metric("InvocationsPerInstance"), "ipi");
        assert_eq!(chart_of_metric("ModelLatency"), "latency");
        assert_eq!(chart_of_metric("NoCapacityInvocationFailures"), "errors");
        // A minute of a two-hour run on an 800 px chart; the band ends where the next begins.
        let (left, width) = period_band(1800.0, 60.0, 800.0, 7200.0).unwrap();
        let (next, _) = period_band(1860.0, 60.0, 800.0, 7200.0).unwrap();
        assert!((left + width - next).abs() < 1e-9 && width > 0.0);
        assert_eq!(period_band(-120.0, 60.0, 800.0, 7200.0), None, "a period before the run");
        assert_eq!(period_band(7200.0, 60.0, 800.0, 7200.0), None);
    }

    #[test]
    fn the_keyboard_moves_the_cursor_in_minutes_within_the_run() {
        // A 2-hour run: a minute per arrow, ten with Shift, clamped to the run.
        let end = 7200.0;
        assert_eq!(cursor_key("ArrowRight", false, None, end), Some(0.0));
        assert_eq!(cursor_key("ArrowRight", false, Some(600.0), end), Some(660.0));
        assert_eq!(cursor_key("ArrowLeft", true, Some(600.0), end), Some(0.0));
        assert_eq!(cursor_key("ArrowRight", true, Some(7000.0), end), Some(7200.0));
        assert_eq!(
            (cursor_key("Home", false, Some(5.0), end), cursor_key("End", false, None, end)),
            (Some(0.0), Some(end))
        );
        assert_eq!(cursor_key("a", false, Some(5.0), end), None);
        // A 2-day run: 1 % steps, in whole minutes (1728 s → 1740 s).
        assert_eq!(cursor_key("ArrowRight", false, Some(0.0), 172_800.0), Some(1740.0));
    }

    /// WCAG's contrast ratio of two colours (1 to 21).
    #[allow(clippy::disallowed_methods)]
    fn contrast(a: Rgb, b: Rgb) -> f64 {
        let channel = |c: u8| {
            let c = f64::from(c) / 255.0;
            if c <= 0.03928 { c / 12.92 } else { ((c + 0.055) / 1.055).powf(2.4) }
        };
        let lum = |c: Rgb| 0.2126 * channel(c.0) + 0.7152 * channel(c.1) + 0.0722 * channel(c.2);
        let (x, y) = (lum(a), lum(b));
        (x.max(y) + 0.05) / (x.min(y) + 0.05)
    }

    #[test]
    fn the_palette_reads_on_its_background_and_the_legends_use_the_same_colours() {
        const CSS: &str = include_str!("../style.css");
        let dark_at = CSS.find(".page.dark {").unwrap();
        for (p, dark) in [(LIGHT, false), (DARK, true)] {
            for c in p.lines.iter().chain([&p.rule]) {
                let ratio = contrast(*c, p.background);
                assert!(ratio >= 4.5, "{} on {}: {ratio:.2}", hex(*c), hex(p.background));
            }
            assert!(contrast(p.text, p.background) >= 12.0);
            // style.css: the light colours on `.page`, the dark ones on `.page.dark`.
            let vars =
                p.lines.iter().enumerate().map(|(k, c)| (format!("--c{k}"), *c)).chain([("--rule".into(), p.rule)]);
            for (var, c) in vars {
                let decl = format!("{var}: {};", hex(c));
                let at = CSS.find(&decl).unwrap_or_else(|| panic!("style.css lacks {decl}"));
                let at = if dark { CSS[dark_at..].find(&decl).map(|a| a + dark_at).unwrap_or(at) } else { at };
                assert_eq!(at > dark_at, dark, "{decl} in the wrong block");
            }
        }
        assert_eq!(palette(true), DARK);
    }

    #[test]
    fn activity_marks_say_the_change_and_the_sentence() {
        let s = scalelab_core::examples::get("seed-001-after").unwrap();
        let r = scalelab_core::simulate(&s, Some(1)).unwrap();
        let marks = charts(&r).activities;
        assert!(marks.windows(2).all(|w| w[0].at_secs <= w[1].at_secs), "in time order");
        let first = &marks[0];
        assert_eq!(first.label(), format!("↑{}", first.desired_after - first.desired_before));
        assert!(first.is_up());
        assert_eq!(first.tooltip(), first.description);
        assert!(first.description.contains("1 → 2"), "{}", first.description);
        assert_eq!(first.accessible_name(), format!("↑1 scaled out by 1: {}", first.description));
        let down = ActivityMark { desired_before: 3, desired_after: 2, ..first.clone() };
        assert_eq!((down.label(), down.is_up()), ("↓1".to_string(), false));
        assert!(down.accessible_name().starts_with("↓1 scaled in by 1: "));
    }

    #[test]
    fn marker_labels_take_lanes_so_none_overlaps() {
        assert_eq!(marker_lanes(&[10.0, 100.0, 200.0], 30.0, 3), [0, 0, 0]);
        assert_eq!(marker_lanes(&[10.0, 20.0, 25.0, 60.0], 30.0, 3), [0, 1, 2, 0]);
        // Every lane taken: the one that frees first.
        assert_eq!(marker_lanes(&[10.0, 12.0, 14.0], 30.0, 2), [0, 1, 0]);
        assert_eq!(marker_lanes(&[], 30.0, 2), Vec::<usize>::new());
        assert_eq!(marker_lanes(&[1.0, 2.0], 30.0, 0), [0, 0], "at least one lane");
    }

    #[test]
    fn legends_list_lines_then_reference_lines() {
        let s = scalelab_core::examples::get("seed-001-after").unwrap();
        let set = charts(&scalelab_core::simulate(&s, Some(1)).unwrap());
        let ipi = set.charts.iter().find(|c| c.id == "ipi").unwrap();
        let legend: Vec<_> = ipi.legend().into_iter().map(|(n, c)| format!("{n}:{c}")).collect();
        assert_eq!(legend, ["InvocationsPerInstance:c0", "target 25,000:rule", "scale-in below 22,500:rule"]);
    }

    #[test]
    fn decimation_keeps_extremes_and_bounds_the_point_count() {
        let n = 1_000_000;
        let xs: Vec<f64> = (0..n).map(|i| i as f64).collect();
        let mut ys: Vec<Option<f64>> = (0..n).map(|i| Some(((i as u64 * 7919) % 97) as f64 / 97.0)).collect();
        ys[123_457] = Some(50.0);
        ys[876_543] = Some(-50.0);
        let out = decimate(&xs, &ys, 0.0, n as f64, 800);
        let pts: Vec<_> = out.concat();
        assert!(pts.len() <= 4 * 800 + 2, "{} points", pts.len());
        assert!(pts.contains(&(123_457.0, 50.0)) && pts.contains(&(876_543.0, -50.0)));
        assert!(pts.windows(2).all(|w| w[0].0 <= w[1].0), "x stays ordered");
        assert_eq!(pts.first(), Some(&(0.0, 0.0)));
        assert_eq!(pts.last().unwrap().0, (n - 1) as f64);
    }

    #[test]
    fn gaps_split_lines() {
        let xs = [0.0, 1.0, 2.0, 3.0, 4.0];
        let ys = [Some(1.0), Some(2.0), None, Some(3.0), Some(4.0)];
        let out = decimate(&xs, &ys, 0.0, 5.0, 100);
        assert_eq!(out, vec![vec![(0.0, 1.0), (1.0, 2.0)], vec![(3.0, 3.0), (4.0, 4.0)]]);
    }

    proptest! {
        #[test]
        fn decimated_range_equals_the_data_range(ys in proptest::collection::vec(-1e6f64..1e6, 1..3000), cols in 1usize..400) {
            let xs: Vec<f64> = (0..ys.len()).map(|i| i as f64).collect();
            let opt: Vec<Option<f64>> = ys.iter().copied().map(Some).collect();
            let pts = decimate(&xs, &opt, 0.0, ys.len() as f64, cols).concat();
            let lo = ys.iter().copied().fold(f64::INFINITY, f64::min);
            let hi = ys.iter().copied().fold(f64::NEG_INFINITY, f64::max);
            prop_assert_eq!(pts.iter().map(|p| p.1).fold(f64::INFINITY, f64::min), lo);
            prop_assert_eq!(pts.iter().map(|p| p.1).fold(f64::NEG_INFINITY, f64::max), hi);
            prop_assert!(pts.len() <= 4 * cols + 4);
        }
    }

    #[test]
    fn seed_001_after_charts_show_the_scale_out_and_the_target() {
        let s = scalelab_core::examples::get("seed-001-after").unwrap();
        let r = scalelab_core::simulate(&s, Some(1)).unwrap();
        let set = charts(&r);
        let ids: Vec<_> = set.charts.iter().map(|c| c.id.as_str()).collect();
        assert_eq!(ids, ["rate", "ipi", "instances", "latency", "errors", "utilization", "cost"]);
        let inst = &set.charts[2];
        let in_service = inst.lines.iter().find(|l| l.name == "in service").unwrap();
        let max = in_service.ys.iter().flatten().copied().fold(0.0, f64::max);
        assert_eq!(max, f64::from(r.summary.max_in_service_instances));
        // The cost line ends at the report's total (to the cent).
        let cost = set.charts.iter().find(|c| c.id == "cost").unwrap();
        let last = cost.lines[0].ys.last().unwrap().unwrap();
        assert!((last - r.summary.cost_usd).abs() < 0.01, "{last} vs {}", r.summary.cost_usd);
        // The requests line integrates to the report's requests.
        let rate = &set.charts[0];
        let total: f64 = rate.lines[0].ys.iter().flatten().map(|y| y * 10.0).sum();
        assert!((total - r.summary.requests as f64).abs() / (r.summary.requests as f64) < 0.01);
        assert!(!set.activities.is_empty());
        let ipi = &set.charts[1];
        assert!(!ipi.rules.is_empty(), "seed-001-after tracks InvocationsPerInstance");
        let csv = rate.csv();
        assert_eq!(csv.lines().count(), rate.xs.len() + 1);
        assert!(csv.starts_with("t_secs,requests/s,"));
    }

    fn ipi_rules_of(s: &scalelab_core::Scenario) -> Vec<String> {
        let r = scalelab_core::simulate(s, Some(1)).unwrap();
        charts(&r).charts.into_iter().find(|c| c.id == "ipi").unwrap().rules.into_iter().map(|r| r.name).collect()
    }

    #[test]
    fn ipi_rules_follow_the_compiled_policy() {
        let mut s = scalelab_core::examples::get("seed-001-after").unwrap();
        assert_eq!(ipi_rules_of(&s), ["target 25,000", "scale-in below 22,500"]);
        // DisableScaleIn: target tracking makes no scale-in alarm, so no scale-in line.
        let policy = &mut s.scaling.as_mut().unwrap().put_scaling_policy[0];
        policy.target_tracking_scaling_policy_configuration.as_mut().unwrap().disable_scale_in = true;
        assert_eq!(ipi_rules_of(&s), ["target 25,000"]);
    }

    #[test]
    fn per_copy_policies_draw_their_target() {
        // An inference component tracking invocations per copy.
        let mut s = scalelab_core::examples::get("seed-003-scale-to-zero").unwrap();
        let cfg = s.scaling.as_mut().unwrap();
        let tt = cfg.put_scaling_policy[0].target_tracking_scaling_policy_configuration.as_mut().unwrap();
        tt.predefined_metric_specification.as_mut().unwrap().predefined_metric_type =
            "SageMakerInferenceComponentInvocationsPerCopy".into();
        tt.target_value = 300.0;
        let rules = ipi_rules_of(&s);
        assert_eq!(rules.first().map(String::as_str), Some("target 300"), "{rules:?}");
    }

    #[test]
    fn the_cursor_line_stands_where_the_pointer_reads_its_time() {
        let (w, end) = (800.0, 7200.0);
        for x in [66.0, 100.0, 400.5, 772.0] {
            let t = time_at(x, w, end).unwrap();
            assert!((cursor_left(t, w, end).unwrap() - x).abs() < 1e-9, "{x}");
        }
        assert_eq!(cursor_left(0.0, w, end), Some(MARGIN + Y_LABELS));
        assert_eq!(cursor_left(end + 1.0, w, end), None);
        assert_eq!(time_at(10.0, w, end), None, "over the y labels");
    }

    #[test]
    fn the_traffic_preview_follows_the_rate_function() {
        let s = scalelab_core::examples::get("seed-001-before").unwrap();
        let plan = scalelab_core::plan(&s, None).unwrap();
        let c = traffic_preview(&plan);
        let max = c.y_max();
        assert!((max - plan.peak_rps).abs() / plan.peak_rps < 0.02, "{max} vs {}", plan.peak_rps);
        assert_eq!(c.lines[0].ys[0], Some(plan.rate.at(0.0)));
    }
}
