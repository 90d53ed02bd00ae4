//! What the page shows of a run, computed where the simulation ran (a Web Worker) and sent to
//! the page as JSON: summary cards, charts, activities and alarm history, never the raw report.

use serde::{Deserialize, Serialize};

use scalelab_core::lesson::{Fact, Facts};
use scalelab_core::scaling::Evidence;
use scalelab_core::{Plan, Problems, Report, Scenario};

use crate::chartdata::{self, ChartSet};
use crate::summary::{self, Card};

#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct ActivityView {
    pub at_secs: f64,
    pub status: String,
    pub description: String,
    /// What the scaler evaluated, for "why did it scale?" (policy-driven activities only).
    #[serde(default)]
    pub evidence: Option<Evidence>,
}

/// A number a lesson may quote (`scalelab_core::lesson::Facts`), as the page receives it.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct FactView {
    pub name: String,
    pub value: f64,
    pub text: String,
}

/// The facts of a run (and of runs compared with it), as the lesson text reads them.
pub fn facts_of<'a>(list: impl IntoIterator<Item = &'a FactView>) -> Facts {
    let mut f = Facts::default();
    for x in list {
        f.insert(&x.name, Fact { value: x.value, text: x.text.clone() });
    }
    f
}

#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct RunView {
    pub name: String,
    pub cards: Vec<Card>,
    pub charts: ChartSet,
    pub activities: Vec<ActivityView>,
    pub alarms: Vec<String>,
    pub events: u64,
    pub wall_ms: f64,
    /// Size of the wasm memory of the module that ran the simulation after the run (wasm
    /// memory only grows, so this is its peak); 0 when unknown.
    #[serde(default)]
    pub wasm_memory_bytes: f64,
    /// The share of the run done when this is a view of a run still going (charts drawn so
    /// far, summary until now); `None` for a finished run.
    #[serde(default)]
    pub partial: Option<f64>,
    /// The numbers a lesson may quote about this run.
    #[serde(default)]
    pub facts: Vec<FactView>,
}

/// At most this many alarm state changes are listed (a long run can have thousands).
pub const MAX_ALARM_LINES: usize = 500;

/// One accepted scenario, computed once per edit: its text (what the editor shows and the
/// worker reads), the typed scenario (what the forms read) and its plan (what the traffic
/// preview reads).
#[derive(Clone, Debug)]
pub struct Checked {
    pub text: String,
    pub scenario: Scenario,
    pub plan: Plan,
}

impl Checked {
    /// Parses and checks `text`; the problems are the core's, with their paths.
    pub fn from_text(text: String) -> Result<Checked, Problems> {
        let scenario = Scenario::from_json(&text)?;
        let plan = scalelab_core::plan(&scenario, None)?;
        Ok(Checked { text, scenario, plan })
    }
}

pub fn run_view(report: &Report, scenario: &Scenario, wall_ms: f64) -> RunView {
    RunView {
        name: if scenario.name.is_empty() { "scenario".into() } else { scenario.name.clone() },
        cards: summary::cards(&report.summary),
        charts: chartdata::charts(report),
        activities: report
            .activities
            .iter()
            .map(|a| ActivityView {
                at_secs: a.at_secs,
                status: a.status.clone(),
                description: a.description.clone(),
                evidence: a.evidence.clone(),
            })
            .collect(),
        alarms: report
            .alarm_history
            .iter()
            .take(MAX_ALARM_LINES)
            .map(|h| {
                format!(
                    "{} {}: {} → {}. {}",
                    chartdata::fmt_clock(h.at_secs),
                    h.alarm,
                    state(&h.from),
                    state(&h.to),
                    h.reason
                )
            })
            .collect(),
        events: report.events_processed,
        wall_ms,
        wasm_memory_bytes: 0.0,
        partial: None,
        facts: {
            let f = Facts::of(report);
            f.names()
                .filter_map(|n| {
                    f.get(n).map(|x| FactView { name: n.to_string(), value: x.value, text: x.text.clone() })
                })
                .collect()
        },
    }
}

/// The view of a run still going (`Simulation::snapshot`): the charts keep the whole run's
/// time axis, so they fill in from the left.
pub fn partial_view(snapshot: &Report, scenario: &Scenario, wall_ms: f64, progress: f64) -> RunView {
    let mut v = run_view(snapshot, scenario, wall_ms);
    v.charts.x_end = scenario.duration.as_secs_f64();
    v.partial = Some(progress);
    v
}

/// An alarm state as AWS spells it (`ALARM`, `OK`, `INSUFFICIENT_DATA`).
fn state<T: Serialize>(x: &T) -> String {
    serde_json::to_string(x).unwrap_or_default().trim_matches('"').to_string()
}

/// A request to the simulation worker.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct RunRequest {
    pub id: u64,
    pub scenario: String,
}

/// The worker's answers (the page answers itself the same way when it runs without a worker).
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(tag = "kind", rename_all = "lowercase")]
pub enum WorkerMessage {
    /// The worker's handler is installed (requests sent before it would be lost).
    Ready,
    Progress {
        id: u64,
        progress: f64,
    },
    /// The run so far, sent while a long run goes.
    Partial {
        id: u64,
        view: Box<RunView>,
    },
    Done {
        id: u64,
        view: Box<RunView>,
    },
    Invalid {
        id: u64,
        problems: Vec<String>,
    },
}

impl WorkerMessage {
    /// The problems of run `id`, one sentence each.
    pub fn invalid(id: u64, problems: &Problems) -> WorkerMessage {
        WorkerMessage::Invalid { id, problems: problems.0.iter().map(|p| p.to_string()).collect() }
    }

    /// The run this answer belongs to (`None` for `Ready`).
    pub fn id(&self) -> Option<u64> {
        match self {
            WorkerMessage::Ready => None,
            WorkerMessage::Progress { id, .. }
            | WorkerMessage::Partial { id, .. }
            | WorkerMessage::Done { id, .. }
            | WorkerMessage::Invalid { id, .. } => Some(*id),
        }
    }
}

#[cfg(all(test, not(target_arch = "wasm32")))]
mod tests {
    #![allow(clippy::unwrap_used, clippy::panic)]
    use super::*;

    #[test]
    fn a_run_view_survives_the_trip_to_the_page() {
        let s = scalelab_core::examples::get("seed-000-step-scaling-latency").unwrap();
        let r = scalelab_core::simulate(&s, Some(2)).unwrap();
        let v = run_view(&r, &s, 12.5);
        let msg = WorkerMessage::Done { id: 7, view: Box::new(v.clone()) };
        let back: WorkerMessage = serde_json::from_str(&serde_json::to_string(&msg).unwrap()).unwrap();
        // Text survives exactly; numbers to within JSON's float printing.
        let WorkerMessage::Done { id, view: b } = back else { panic!("kind") };
        assert_eq!(id, 7);
        assert_eq!(
            (&b.cards.len(), &b.activities, &b.alarms, b.events),
            (&v.cards.len(), &v.activities, &v.alarms, v.events)
        );
        for (x, y) in b.charts.charts.iter().zip(&v.charts.charts) {
            assert_eq!((&x.id, x.xs.len(), x.lines.len()), (&y.id, y.xs.len(), y.lines.len()));
            for (lx, ly) in x.lines.iter().zip(&y.lines) {
                for (a, b) in lx.ys.iter().zip(&ly.ys) {
                    assert!(a.zip(*b).is_none_or(|(a, b)| (a - b).abs() <= 1e-12 * b.abs().max(1.0)), "{a:?} {b:?}");
                }
            }
        }
        assert_eq!(v.activities.len(), r.activities.len());
        assert_eq!(v.alarms.len(), r.alarm_history.len().min(MAX_ALARM_LINES));
        assert!(v.alarms.iter().all(|a| a.contains(" → ")));
    }

    #[test]
    fn a_partial_view_keeps_the_whole_time_axis_and_says_how_far_it_is() {
        let s = scalelab_core::examples::get("seed-001-after").unwrap();
        let p = scalelab_core::plan(&s, Some(1)).unwrap();
        let mut sim = scalelab_core::Simulation::new(&p);
        sim.run_until(sim.end() / 10);
        let v = partial_view(&sim.snapshot(), &s, 80.0, sim.progress());
        assert_eq!(v.charts.x_end, 7200.0);
        assert_eq!(v.partial, Some(0.1));
        // The charts hold the first tenth: the rate chart's points end by 720 s.
        let rate = v.charts.charts.iter().find(|c| c.id == "rate").unwrap();
        assert!(rate.xs.last().is_some_and(|x| *x <= 720.0) && rate.xs.len() > 5, "{:?}", rate.xs.last());
        let back: WorkerMessage =
            serde_json::from_str(&serde_json::to_string(&WorkerMessage::Partial { id: 3, view: Box::new(v) }).unwrap())
                .unwrap();
        assert!(matches!(&back, WorkerMessage::Partial { id: 3, view } if view.partial == Some(0.1)));
        assert_eq!((back.id(), WorkerMessage::Ready.id()), (Some(3), None));
    }
}

#[cfg(test)]
mod checked_tests {
    use super::*;

    #[test]
    fn a_checked_scenario_keeps_its_text_and_plan_and_a_bad_one_its_problems() {
        let text = scalelab_core::examples::get("seed-001-before").unwrap().to_json_pretty().unwrap();
        let c = Checked::from_text(text.clone()).unwrap();
        assert_eq!(c.text, text);
        assert_eq!(c.plan.name, c.scenario.name);
        assert!((c.plan.peak_rps - 800.0).abs() < 1.0, "{}", c.plan.peak_rps);
        let bad = text.replace("\"ml.m4.xlarge\"", "\"ml.m4.xlarg\"");
        let p = Checked::from_text(bad).unwrap_err();
        assert!(p.0[0].path.ends_with("instanceType"), "{p}");
    }
}
