//! The rightsizing lab's pure side on the page: its inputs (kept in the link as `lab=`), the
//! request they make, and the plots and tables of a result, independent of any drawing.

use scalelab_core::loadtest::{LatencyObjective, LoadTestResult, ModelRef};
use scalelab_core::rightsize::{Configuration, Request, Rightsizing};
use scalelab_core::{Scenario, fmt::fmt_num};
use serde::{Deserialize, Serialize};

/// What the lab's form holds.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase", default)]
pub struct LabInputs {
    pub model: String,
    pub min_rps: f64,
    pub max_rps: f64,
    /// `p99:500ms`, or empty for "fewer than 1 % failed requests".
    pub latency: String,
    /// Candidate types; every profiled type when empty.
    pub types: Vec<String>,
    /// Size for the scenario's traffic (and tune on it) instead of the RPS range.
    pub use_scenario: bool,
    pub tune: bool,
    /// Serverless memory sizes are candidates too (where the model runs on CPUs).
    pub serverless: bool,
}

impl Default for LabInputs {
    /// Seed 004: ResNet-50 for 10 to 66 RPS.
    fn default() -> Self {
        LabInputs {
            model: "resnet50".into(),
            min_rps: 10.0,
            max_rps: 66.0,
            latency: String::new(),
            types: Vec::new(),
            use_scenario: false,
            tune: true,
            serverless: true,
        }
    }
}

impl LabInputs {
    /// The lab's request, or a sentence naming the field to fix.
    pub fn request(&self, scenario: Option<&Scenario>) -> Result<Request, String> {
        let objective = match self.latency.trim() {
            "" => None,
            text => Some(LatencyObjective::parse(text).map_err(|e| format!("Latency objective: {e}"))?),
        };
        let mut r = Request::new(&self.model, self.min_rps, self.max_rps);
        r.objective = objective;
        r.instance_types = self.types.clone();
        r.tune = self.tune;
        // Every serverless size with every instance type by default; with a chosen few types,
        // every size where the model can run serverless.
        r.serverless_memory_sizes = match (self.serverless, self.types.is_empty()) {
            (false, _) => Some(Vec::new()),
            (true, true) => None,
            (true, false) if runs_serverless(&self.model) => {
                Some(scalelab_core::plan::SERVERLESS_MEMORY_SIZES.to_vec())
            }
            (true, false) => Some(Vec::new()),
        };
        if self.use_scenario {
            // The scenario's traffic, and the model its first variant serves (on the types that
            // model has profiles for).
            let s = scenario.ok_or("Use this scenario's traffic: the scenario has problems; fix it first")?;
            r.scenario = Some(s.clone());
            r.min_rps = None;
            r.max_rps = None;
            r.model = ModelRef { model: None, profile: None };
            r.instance_types.clear();
            r.serverless_memory_sizes = (!self.serverless).then(Vec::new);
        } else if !(self.min_rps >= 0.0 && self.max_rps > 0.0 && self.min_rps <= self.max_rps) {
            return Err("Minimum and maximum RPS: need 0 ≤ minimum ≤ maximum and a maximum above 0".into());
        }
        Ok(r)
    }

    /// The inputs as the link's `lab=` value (the same encoding as scenarios).
    pub fn to_param(&self) -> String {
        crate::link::encode(&serde_json::to_string(self).unwrap_or_default())
    }

    /// The inputs of a link's `lab=` value; a broken one gives the defaults and a sentence.
    pub fn from_param(value: &str) -> Result<LabInputs, String> {
        let text = crate::link::decode(value).map_err(|e| format!("the rightsizing inputs in this link: {e}"))?;
        serde_json::from_str(&text).map_err(|e| format!("the rightsizing inputs in this link are not valid: {e}"))
    }
}

/// Whether a built-in model can run on a serverless endpoint (it has a CPU profile).
pub fn runs_serverless(model: &str) -> bool {
    scalelab_core::profile::builtin_model(model)
        .is_some_and(|m| scalelab_core::plan::serverless_reference_type(&m).is_some())
}

/// The `lab=` parameter of a fragment (`#lab=…&s=…`), as written.
pub fn lab_param(fragment: &str) -> Option<String> {
    let f = fragment.strip_prefix('#').unwrap_or(fragment);
    f.split('&').find_map(|kv| kv.strip_prefix("lab=")).map(|v| v.chars().take(4096).collect())
}

/// A fragment with the lab's inputs (`lab=`) in front of its other parameters, or as it is.
pub fn with_lab(fragment: &str, lab: Option<&str>) -> String {
    match lab {
        Some(lab) => format!("#lab={lab}&{}", fragment.trim_start_matches('#')),
        None => fragment.to_string(),
    }
}

/// How a series is drawn.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub enum Mark {
    Dots,
    Rings,
    Line,
    Dashed,
}

#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct XySeries {
    pub name: String,
    pub mark: Mark,
    pub points: Vec<(f64, f64)>,
    /// A label per point (drawn beside dots and rings), or none.
    pub labels: Vec<String>,
    /// The figures shown on hover, one per point.
    pub tips: Vec<String>,
    /// Palette index.
    pub color: usize,
}

/// An x–y plot with numeric axes.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct XyPlot {
    pub id: String,
    pub title: String,
    pub x_label: String,
    pub y_label: String,
    pub series: Vec<XySeries>,
    /// Horizontal reference lines (name, y).
    pub rules: Vec<(String, f64)>,
    /// The y axis spans the values (not from 0): for small differences between large values.
    pub zoom_y: bool,
}

impl XyPlot {
    /// Axis ranges: x from 0, y from 0 (or the smallest value when zoomed) to a little above
    /// the largest value.
    pub fn ranges(&self) -> (f64, (f64, f64)) {
        let pts = self.series.iter().flat_map(|s| s.points.iter());
        let x = pts.clone().map(|p| p.0).filter(|v| v.is_finite()).fold(0.0, f64::max);
        let ys = pts.map(|p| p.1).chain(self.rules.iter().map(|r| r.1)).filter(|v| v.is_finite());
        let y = ys.clone().fold(0.0, f64::max);
        let y_top = if y > 0.0 { y * 1.1 } else { 1.0 };
        let y_low = if self.zoom_y { ys.fold(f64::INFINITY, f64::min) } else { 0.0 };
        let y_low = if y_low.is_finite() && y_low < y { (y_low - 0.1 * (y - y_low)).max(0.0) } else { 0.0 };
        let y_top = if self.zoom_y && y > y_low { y + 0.1 * (y - y_low) } else { y_top };
        (if x > 0.0 { x * 1.12 } else { 1.0 }, (y_low, y_top))
    }
}

fn short(t: &str) -> String {
    t.strip_prefix("ml.").unwrap_or(t).to_string()
}

/// Seed 004's scatter: max RPS against price per hour, one labelled dot per type, the verified
/// counts for the maximum as rings, the frontier as a dashed line.
pub fn scatter(r: &Rightsizing) -> XyPlot {
    let tested: Vec<&Configuration> = r.configurations.iter().filter(|c| c.load_test.is_some()).collect();
    let dot = |c: &Configuration| (c.price_per_hour, c.max_rps);
    let tip = |c: &Configuration, n: u32, rps: f64| {
        format!(
            "{n} × {}: ${:.3}/h, max {:.1} RPS{}",
            c.instance_type,
            f64::from(n) * c.price_per_hour,
            rps,
            c.load_test
                .as_ref()
                .filter(|_| n == 1)
                .and_then(|l| l.cost_per_million)
                .map_or(String::new(), |m| format!(", ${m:.2} per 1M inferences"))
        )
    };
    let mut frontier: Vec<&Configuration> = tested.iter().copied().filter(|c| c.frontier).collect();
    frontier.sort_by(|a, b| a.price_per_hour.total_cmp(&b.price_per_hour));
    let pooled: Vec<(&Configuration, &LoadTestResult)> =
        tested.iter().filter_map(|c| c.pooled.as_ref().map(|p| (*c, p))).collect();
    let mut series = vec![XySeries {
        name: "one instance".into(),
        mark: Mark::Dots,
        points: tested.iter().map(|c| dot(c)).collect(),
        labels: tested.iter().map(|c| short(&c.instance_type)).collect(),
        tips: tested.iter().map(|c| tip(c, 1, c.max_rps)).collect(),
        color: 0,
    }];
    if !pooled.is_empty() {
        series.push(XySeries {
            name: "count for the maximum".into(),
            mark: Mark::Rings,
            points: pooled.iter().map(|(c, p)| (f64::from(p.count) * c.price_per_hour, p.max_rps)).collect(),
            labels: pooled.iter().map(|(c, p)| format!("{}×{}", p.count, short(&c.instance_type))).collect(),
            tips: pooled.iter().map(|(c, p)| tip(c, p.count, p.max_rps)).collect(),
            color: 1,
        });
    }
    if frontier.len() > 1 {
        series.push(XySeries {
            name: "frontier".into(),
            mark: Mark::Dashed,
            points: frontier.iter().map(|c| dot(c)).collect(),
            labels: Vec::new(),
            tips: Vec::new(),
            color: 2,
        });
    }
    let mut rules = Vec::new();
    if r.max_rps > 0.0 {
        rules.push((format!("maximum {} RPS", fmt_num(r.max_rps)), r.max_rps));
    }
    XyPlot {
        id: "lab-scatter".into(),
        title: "Max RPS against price per hour".into(),
        x_label: "USD per hour".into(),
        y_label: "max RPS".into(),
        series,
        rules,
        zoom_y: false,
    }
}

/// The policy search: cost on the traffic against the target value, candidates that held and
/// those that did not (each seed a point).
pub fn tuning_curve(r: &Rightsizing) -> Option<XyPlot> {
    let t = r.tuning.as_ref()?;
    let point = |p: &scalelab_core::rightsize::PolicyPoint| (p.target_value, p.cost_usd);
    let tip = |p: &scalelab_core::rightsize::PolicyPoint| {
        format!(
            "TargetValue {}, ScaleInCooldown {} s, seed {}: ${}, {} failed ({}%){}",
            fmt_num(p.target_value),
            p.scale_in_cooldown,
            p.seed,
            fmt_num((p.cost_usd * 100.0).round() / 100.0),
            p.errors,
            fmt_num((p.error_ratio * 10_000.0).round() / 100.0),
            p.latency_ms.map_or(String::new(), |l| format!(", latency {} ms", fmt_num(l.round())))
        )
    };
    let (held, failed): (Vec<_>, Vec<_>) = t.points.iter().partition(|p| p.meets);
    let mut series = Vec::new();
    for (name, pts, mark, color) in [("held the objective", held, Mark::Dots, 0), ("did not", failed, Mark::Rings, 3)] {
        if !pts.is_empty() {
            series.push(XySeries {
                name: name.into(),
                mark,
                points: pts.iter().map(|p| point(p)).collect(),
                labels: Vec::new(),
                tips: pts.iter().map(|p| tip(p)).collect(),
                color,
            });
        }
    }
    Some(XyPlot {
        id: "lab-tuning".into(),
        title: "The policy search: cost on the traffic against TargetValue".into(),
        x_label: "TargetValue (invocations per instance per minute)".into(),
        y_label: "USD".into(),
        series,
        rules: Vec::new(),
        zoom_y: true,
    })
}

/// A type's load test as two plots against the offered rate: answered RPS, and p99 ModelLatency.
pub fn step_curves(c: &Configuration, objective: Option<LatencyObjective>) -> Option<(XyPlot, XyPlot)> {
    let lt = c.load_test.as_ref()?;
    let x = |s: &scalelab_core::loadtest::StepResult| s.nominal_rps.unwrap_or(s.offered_rps);
    let tips = |f: &dyn Fn(&scalelab_core::loadtest::StepResult) -> String| lt.steps.iter().map(f).collect::<Vec<_>>();
    let answered = XyPlot {
        id: "lab-throughput".into(),
        title: format!("{}: answered against offered RPS", c.instance_type),
        x_label: "offered RPS".into(),
        y_label: "answered RPS".into(),
        series: vec![
            XySeries {
                name: "answered".into(),
                mark: Mark::Line,
                points: lt.steps.iter().map(|s| (x(s), s.throughput_rps)).collect(),
                labels: Vec::new(),
                tips: tips(&|s| {
                    format!(
                        "{}: answered {} RPS, {}% failed",
                        s.label,
                        fmt_num((s.throughput_rps * 10.0).round() / 10.0),
                        fmt_num((s.error_ratio * 1000.0).round() / 10.0)
                    )
                }),
                color: 0,
            },
            XySeries {
                name: "offered".into(),
                mark: Mark::Dashed,
                points: lt.steps.iter().map(|s| (x(s), x(s))).collect(),
                labels: Vec::new(),
                tips: Vec::new(),
                color: 3,
            },
        ],
        rules: vec![(format!("max {} RPS", fmt_num((lt.max_rps * 10.0).round() / 10.0)), lt.max_rps)],
        zoom_y: false,
    };
    let latency = XyPlot {
        id: "lab-latency".into(),
        title: format!("{}: p99 ModelLatency against offered RPS", c.instance_type),
        x_label: "offered RPS".into(),
        y_label: "ms".into(),
        series: vec![XySeries {
            name: "p99".into(),
            mark: Mark::Line,
            points: lt.steps.iter().filter_map(|s| Some((x(s), s.model_latency_p99_ms?))).collect(),
            labels: Vec::new(),
            tips: Vec::new(),
            color: 1,
        }],
        rules: objective.map(|o| (format!("objective {o}"), o.value_in_milliseconds)).into_iter().collect(),
        zoom_y: false,
    };
    Some((answered, latency))
}

/// One row of the latency bars: a type's p50, p90 and p99 ModelLatency at its maximum.
#[derive(Clone, Debug, PartialEq)]
pub struct LatencyBar {
    pub instance_type: String,
    pub p50: f64,
    pub p90: f64,
    pub p99: f64,
    /// p99 as a share of the largest p99 shown (0..=1).
    pub width: f64,
}

pub fn latency_bars(r: &Rightsizing) -> Vec<LatencyBar> {
    let mut bars: Vec<LatencyBar> = r
        .configurations
        .iter()
        .filter_map(|c| {
            let l = c.load_test.as_ref()?;
            Some(LatencyBar {
                instance_type: c.instance_type.clone(),
                p50: l.model_latency_p50_ms?,
                p90: l.model_latency_p90_ms?,
                p99: l.model_latency_p99_ms?,
                width: 0.0,
            })
        })
        .collect();
    let top = bars.iter().map(|b| b.p99).fold(0.0, f64::max).max(1e-9);
    for b in &mut bars {
        b.width = b.p99 / top;
    }
    bars.sort_by(|a, b| a.p99.total_cmp(&b.p99));
    bars
}

/// A count cell: the verified count, with the linear estimate where it differs.
pub fn count_text(s: Option<&scalelab_core::rightsize::CountSearch>) -> String {
    match s {
        Some(s) => match s.verified {
            Some(v) if v != s.linear => format!("{v} (linear: {})", s.linear),
            Some(v) => v.to_string(),
            None if s.done => format!("> {}", s.limit),
            None => "…".into(),
        },
        None => "…".into(),
    }
}

#[cfg(all(test, not(target_arch = "wasm32")))]
mod tests {
    #![allow(clippy::unwrap_used, clippy::panic, clippy::indexing_slicing)]
    use super::*;

    #[test]
    fn inputs_survive_the_link_and_a_broken_one_is_named() {
        let i = LabInputs { latency: "p99:500ms".into(), types: vec!["ml.g4dn.xlarge".into()], ..LabInputs::default() };
        let frag = format!("#lab={}&s=1.abc", i.to_param());
        assert_eq!(LabInputs::from_param(&lab_param(&frag).unwrap()).unwrap(), i);
        assert!(LabInputs::from_param("1.@@@").unwrap_err().contains("rightsizing inputs"));
        assert!(lab_param("#s=1.abc").is_none());
    }

    #[test]
    fn bad_inputs_name_the_field() {
        let i = LabInputs { latency: "p98:1s".into(), ..LabInputs::default() };
        assert!(i.request(None).unwrap_err().starts_with("Latency objective"));
        let i = LabInputs { min_rps: 70.0, ..LabInputs::default() };
        assert!(i.request(None).unwrap_err().starts_with("Minimum and maximum RPS"));
        let i = LabInputs { use_scenario: true, ..LabInputs::default() };
        assert!(i.request(None).is_err());
    }

    #[test]
    fn the_scatter_labels_every_tested_type_and_marks_the_frontier() {
        let req = LabInputs { tune: false, ..LabInputs::default() }.request(None).unwrap();
        let r = scalelab_core::rightsize::run(req, scalelab_core::rightsize::sequential, |_| {}).unwrap();
        let p = scatter(&r);
        // Instance types on the scatter; serverless sizes (priced per busy hour) in the table.
        let instances = r.configurations.iter().filter(|c| c.serverless.is_none()).count();
        assert_eq!(r.configurations.len() - instances, 6, "every serverless memory size is a candidate");
        assert_eq!(p.series[0].labels.len(), instances);
        assert!(p.series[0].labels.contains(&"g4dn.xlarge".to_string()));
        assert!(p.series.iter().any(|s| s.mark == Mark::Rings && s.labels.contains(&"2×g4dn.xlarge".to_string())));
        assert!(p.series.iter().any(|s| s.mark == Mark::Dashed && s.points.len() > 1));
        let g4 = r.configurations.iter().find(|c| c.instance_type == "ml.g4dn.xlarge").unwrap();
        let (answered, latency) = step_curves(g4, None).unwrap();
        assert!(answered.series[0].points.len() > 5 && !latency.series[0].points.is_empty());
        assert_eq!(latency_bars(&r).len(), instances);
        assert_eq!(r.by_cost()[0].instance_type, "ml.g4dn.xlarge");
    }
}

/// A job sent to a Web Worker.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct JobRequest {
    pub job_id: u64,
    pub job: scalelab_core::rightsize::Job,
}

/// A worker's answers to the lab (`ready` is the same message the simulation runner gets).
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(tag = "kind", rename_all = "lowercase")]
pub enum LabMessage {
    Ready,
    Job { job_id: u64, outcome: Box<Result<scalelab_core::rightsize::Outcome, Vec<String>>> },
}

impl LabMessage {
    /// Runs a job (in a worker, or on the page without one).
    pub fn answer(req: &JobRequest) -> LabMessage {
        LabMessage::Job {
            job_id: req.job_id,
            outcome: Box::new(req.job.run().map_err(|p| p.0.iter().map(|p| p.to_string()).collect())),
        }
    }

    /// The outcome as the lab takes it.
    pub fn outcome(
        outcome: Result<scalelab_core::rightsize::Outcome, Vec<String>>,
    ) -> Result<scalelab_core::rightsize::Outcome, scalelab_core::Problems> {
        outcome
            .map_err(|m| scalelab_core::Problems(m.into_iter().map(|m| scalelab_core::Problem::new("", m)).collect()))
    }
}

#[cfg(all(test, not(target_arch = "wasm32")))]
mod protocol_tests {
    #![allow(clippy::unwrap_used, clippy::panic, clippy::indexing_slicing)]
    use super::*;

    #[test]
    fn every_kind_of_job_and_outcome_survives_the_trip_to_a_worker() {
        let req = LabInputs::default().request(None).unwrap();
        let mut lab = scalelab_core::rightsize::Lab::new(req).unwrap();
        let mut kinds = std::collections::BTreeSet::new();
        loop {
            let jobs = lab.next_jobs();
            if jobs.is_empty() {
                break;
            }
            let mut outcomes = Vec::new();
            for (k, job) in jobs.iter().enumerate() {
                let text = serde_json::to_string(&JobRequest { job_id: k as u64, job: job.clone() }).unwrap();
                let back: JobRequest = serde_json::from_str(&text).unwrap();
                assert_eq!(&back.job, job);
                kinds.insert(text.split('"').nth(5).unwrap_or_default().to_string());
                let answer = serde_json::to_string(&LabMessage::answer(&back)).unwrap();
                let LabMessage::Job { job_id, outcome } = serde_json::from_str(&answer).unwrap() else {
                    panic!("kind")
                };
                assert_eq!(job_id, k as u64);
                outcomes.push(LabMessage::outcome(*outcome));
            }
            lab.accept(outcomes);
        }
        assert_eq!(kinds.len(), 3, "{kinds:?}");
        let direct = scalelab_core::rightsize::run(
            LabInputs::default().request(None).unwrap(),
            scalelab_core::rightsize::sequential,
            |_| {},
        )
        .unwrap();
        assert_eq!(serde_json::to_string(lab.result()).unwrap(), serde_json::to_string(&direct).unwrap());
        assert!(serde_json::from_str::<LabMessage>(r#"{"kind":"ready"}"#).is_ok());
    }
}
