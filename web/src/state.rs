//! `PageState`: what the page's components share, provided once by `App` as Leptos context
//! (`expect_context::<PageState>()` in a component). It holds the typed text, the accepted
//! scenario (`Checked`, the one source of the scenario, its plan and its text), the last run
//! and the baseline, the shared cursor, the display toggles and the timings; and the one way
//! to change the scenario (`accept`, `apply_edit`) and to run it (`Runner`).

use std::sync::Arc;

use leptos::prelude::*;
use scalelab_core::{Scenario, examples};

use crate::browser::{self, now_ms};
use crate::client::Runner;
use crate::draw::Style;
use crate::edit::FieldError;
use crate::link;
use crate::playback::{self, Playback};
use crate::view::{Checked, RunView, WorkerMessage};

const DEFAULT_EXAMPLE: &str = "seed-001-after";
/// The charts the presenter view shows unless a lesson chooses others.
pub const PRESENTER_CHARTS: [&str; 3] = ["rate", "instances", "latency"];

fn default_json() -> String {
    examples::EXAMPLES.iter().find(|e| e.name == DEFAULT_EXAMPLE).map(|e| e.json.to_string()).unwrap_or_default()
}

/// The sentence shown when a scenario cannot be written as JSON (nothing typed is lost).
fn not_json(e: &serde_json::Error) -> String {
    format!("The scenario could not be written as JSON ({e}); the last accepted version is kept.")
}

/// Timings for the status line and `cargo xtask bench-web`.
#[derive(Clone, Copy)]
pub struct Timings {
    /// The last draw of every chart.
    pub draw_ms: RwSignal<f64>,
    /// The moment (since navigation) the first complete set of charts was drawn.
    pub first_charts_ms: RwSignal<Option<f64>>,
    /// When the newest edit started its run (0 once its charts are complete).
    pub edit_started_ms: RwSignal<f64>,
    /// From an edit to the complete charts of its run.
    pub edit_to_charts_ms: RwSignal<f64>,
    /// From an edit to the first charts of the new run, partial or complete.
    pub edit_to_first_ms: RwSignal<f64>,
    first_pending: RwSignal<bool>,
}

impl Timings {
    fn new() -> Timings {
        Timings {
            draw_ms: RwSignal::new(0.0),
            first_charts_ms: RwSignal::new(None),
            edit_started_ms: RwSignal::new(0.0),
            edit_to_charts_ms: RwSignal::new(0.0),
            edit_to_first_ms: RwSignal::new(0.0),
            first_pending: RwSignal::new(false),
        }
    }

    fn edit_started(&self) {
        self.edit_started_ms.set(now_ms());
        self.first_pending.set(true);
    }

    /// Every chart of a run was drawn at `t` (ms since navigation); `complete` unless the run
    /// is still going.
    pub fn charts_drawn(&self, t: f64, complete: bool) {
        if complete && self.first_charts_ms.get_untracked().is_none() {
            self.first_charts_ms.set(Some(t));
        }
        let started = self.edit_started_ms.get_untracked();
        if started > 0.0 {
            if self.first_pending.get_untracked() {
                self.edit_to_first_ms.set(t - started);
                self.first_pending.set(false);
            }
            if complete {
                self.edit_to_charts_ms.set(t - started);
                self.edit_started_ms.set(0.0);
            }
        }
    }
}

/// The page's shared state; `Copy`, so closures take it by value.
#[derive(Clone, Copy)]
pub struct PageState {
    /// What the user typed (never overwritten by a failed parse).
    pub json: RwSignal<String>,
    /// The accepted scenario's text, typed scenario and plan, computed once per edit.
    pub checked: RwSignal<Option<Arc<Checked>>>,
    /// The typed text's problems, or the run's.
    pub problems: RwSignal<Vec<String>>,
    /// A sentence over the page (a link that could not be opened, a file refused).
    pub notice: RwSignal<Option<String>>,
    /// The refused form edit, shown at its field.
    pub field_error: RwSignal<Option<FieldError>>,
    /// What the last scaling add or remove did.
    pub scaling_said: RwSignal<Option<String>>,
    /// The newest run's view, partial while it goes.
    pub run: RwSignal<Option<Arc<RunView>>>,
    /// A pinned complete run to compare with.
    pub baseline: RwSignal<Option<Arc<RunView>>>,
    pub progress: RwSignal<f64>,
    pub running: RwSignal<bool>,
    /// The time (seconds into the run) the charts' shared cursor shows.
    pub cursor: RwSignal<Option<f64>>,
    /// The activity whose "why did it scale?" is shown (an index into the run's activities).
    pub why: RwSignal<Option<usize>>,
    pub dark: RwSignal<bool>,
    pub big: RwSignal<bool>,
    /// Whether the cursor plays through the run (`components::Playback`), and how fast (an index
    /// into `playback::SPEEDS`).
    pub playback: RwSignal<Playback>,
    pub speed: RwSignal<usize>,
    /// The presenter view (editor hidden, a few charts large), and the charts it shows, by id,
    /// in order (a lesson may choose its own).
    pub presenter: RwSignal<bool>,
    pub presenter_charts: RwSignal<Vec<String>>,
    pub timings: Timings,
    runner: StoredValue<Runner, LocalStorage>,
}

impl PageState {
    /// Fresh state, with a runner whose answers land in it.
    pub fn new() -> PageState {
        let run: RwSignal<Option<Arc<RunView>>> = RwSignal::new(None);
        let progress = RwSignal::new(0.0);
        let running = RwSignal::new(false);
        let problems = RwSignal::new(Vec::new());
        let runner = Runner::new(move |msg| match msg {
            WorkerMessage::Progress { progress: p, .. } => progress.set(p),
            WorkerMessage::Partial { view, .. } => run.set(Some(Arc::new(*view))),
            WorkerMessage::Done { view, .. } => {
                running.set(false);
                run.set(Some(Arc::new(*view)));
            }
            WorkerMessage::Invalid { problems: p, .. } => {
                running.set(false);
                problems.set(p);
            }
            WorkerMessage::Ready => {}
        });
        PageState {
            json: RwSignal::new(String::new()),
            checked: RwSignal::new(None),
            problems,
            notice: RwSignal::new(None),
            field_error: RwSignal::new(None),
            scaling_said: RwSignal::new(None),
            run,
            baseline: RwSignal::new(None),
            progress,
            running,
            cursor: RwSignal::new(None),
            why: RwSignal::new(None),
            dark: RwSignal::new(browser::prefers_dark()),
            big: RwSignal::new(false),
            playback: RwSignal::new(Playback::Off),
            speed: RwSignal::new(playback::DEFAULT_SPEED),
            presenter: RwSignal::new(false),
            presenter_charts: RwSignal::new(PRESENTER_CHARTS.iter().map(|id| id.to_string()).collect()),
            timings: Timings::new(),
            runner: StoredValue::new_local(runner),
        }
    }

    /// Whether runs go to a Web Worker.
    pub fn uses_worker(&self) -> bool {
        self.runner.with_value(Runner::uses_worker)
    }

    /// The chart style the toggles ask for (tracked).
    pub fn style(&self) -> Style {
        Style { dark: self.dark.get(), big: self.big.get(), presenter: self.presenter.get() }
    }

    /// `f` of the accepted scenario (tracked).
    pub fn with_scenario<T>(&self, f: impl FnOnce(Option<&Scenario>) -> T) -> T {
        self.checked.with(|c| f(c.as_deref().map(|c| &c.scenario)))
    }

    /// A copy of the accepted scenario, to edit (untracked).
    pub fn scenario_copy(&self) -> Option<Scenario> {
        self.checked.with_untracked(|c| c.as_ref().map(|c| c.scenario.clone()))
    }

    /// The refused edit's message, when its path contains `part` (for a control whose errors
    /// have no path of their own, like the seed).
    pub fn field_message(&self, part: &'static str) -> impl Fn() -> Option<String> + Copy + use<> {
        let field_error = self.field_error;
        move || field_error.with(|e| e.as_ref().filter(|e| e.path.contains(part)).map(|e| e.to_string()))
    }

    /// Accepts scenario JSON: parse, check, and run if valid; keep the text either way.
    /// `write_link` puts it in the address bar.
    pub fn accept(&self, text: String, write_link: bool) {
        self.json.set(text.clone());
        match Checked::from_text(text) {
            Ok(c) => {
                self.problems.set(Vec::new());
                self.field_error.set(None);
                if write_link {
                    browser::set_fragment(&c.text);
                }
                let c = Arc::new(c);
                self.checked.set(Some(c.clone()));
                self.start_run(&c);
            }
            Err(p) => self.problems.set(p.0.iter().map(|p| p.to_string()).collect()),
        }
    }

    /// Accepts a scenario the page made (laid out as JSON in the format's field order).
    pub fn accept_scenario(&self, s: &Scenario, write_link: bool) {
        match s.to_json_pretty() {
            Ok(text) => self.accept(text, write_link),
            Err(e) => self.notice.set(Some(not_json(&e))),
        }
    }

    /// A form edit: applied to a copy of the scenario; on error the field shows it.
    pub fn apply_edit(&self, f: &dyn Fn(&mut Scenario) -> Result<(), FieldError>) {
        let Some(mut s) = self.scenario_copy() else { return };
        match f(&mut s) {
            Ok(()) => self.accept_scenario(&s, true),
            Err(e) => self.field_error.set(Some(e)),
        }
    }

    fn start_run(&self, c: &Checked) {
        self.timings.edit_started();
        self.running.set(true);
        self.progress.set(0.0);
        self.runner.with_value(|r| r.start(c));
    }

    /// Opens the page: a link's scenario, or the default one with the link's problem explained.
    pub fn open_link(&self) {
        let default = |notice: Option<String>| {
            if notice.is_some() {
                self.notice.set(notice);
            }
            self.accept(default_json(), false);
        };
        match link::decode_fragment(&browser::fragment()) {
            Ok(text) => match Scenario::from_json(&text).and_then(|s| scalelab_core::plan(&s, None).map(|_| s)) {
                // Links hold compact JSON: show it laid out, in the format's field order.
                Ok(s) => self.accept_scenario(&s, false),
                Err(p) => default(Some(format!(
                    "The link's scenario has problems; the default scenario is shown instead. {}",
                    p.0.iter().map(|p| p.to_string()).collect::<Vec<_>>().join("; ")
                ))),
            },
            Err(link::LinkError::Absent) => default(None),
            Err(e) => {
                default(Some(format!("This link could not be opened: {e}. The default scenario is shown instead.")))
            }
        }
    }
}
