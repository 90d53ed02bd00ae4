//! Workshop lessons on the page: which lesson and step is open, the progress kept in the
//! browser, the runs a lesson compares with (in a worker of their own, one after another), and
//! opening a lesson from a link (`#lesson=<id>&step=<n>`).

use std::cell::RefCell;
use std::collections::VecDeque;
use std::rc::{Rc, Weak};

use leptos::prelude::*;
use scalelab_core::lesson::{self, Facts, Lesson};

use crate::browser;
use crate::client::Runner;
use crate::state::PageState;
use crate::view::{Checked, FactView, WorkerMessage, facts_of};

/// Where the progress is kept in the browser: the ids of the lessons done.
const DONE_KEY: &str = "scalelab.lessons.done";

/// The lessons panel's state, provided as context beside `PageState`.
#[derive(Clone, Copy)]
pub struct LessonState {
    /// Every lesson, in the suggested workshop order (empty if the built-in files were broken,
    /// which a test prevents).
    pub all: StoredValue<Vec<Lesson>>,
    /// The open lesson (an index into `all`) and its step.
    pub current: RwSignal<Option<usize>>,
    pub step: RwSignal<usize>,
    /// Whether the check question's answer is shown.
    pub revealed: RwSignal<bool>,
    /// Whether the list of lessons is shown.
    pub list_open: RwSignal<bool>,
    /// The ids of the lessons marked done.
    pub done: RwSignal<Vec<String>>,
    /// The facts of the runs the open lesson compares with, prefixed with their names.
    pub compared: RwSignal<Vec<FactView>>,
    /// Whether the step's chart is still to be marked (a lesson opened before its charts
    /// were on the page).
    mark_pending: StoredValue<bool>,
    compare: StoredValue<Rc<Compare>, LocalStorage>,
}

/// The compared runs of the open lesson, run one after another in a worker of their own so
/// that the lesson's own run is never cancelled by them.
struct Compare {
    runner: Runner,
    queue: RefCell<VecDeque<(String, Checked)>>,
    running: RefCell<Option<String>>,
    out: RwSignal<Vec<FactView>>,
}

impl Compare {
    fn new(out: RwSignal<Vec<FactView>>) -> Rc<Compare> {
        Rc::new_cyclic(|me: &Weak<Compare>| {
            let me = me.clone();
            Compare {
                runner: Runner::new(move |msg| {
                    if let Some(c) = me.upgrade() {
                        c.receive(msg);
                    }
                }),
                queue: RefCell::new(VecDeque::new()),
                running: RefCell::new(None),
                out,
            }
        })
    }

    fn receive(&self, msg: WorkerMessage) {
        let finished = match msg {
            WorkerMessage::Done { view, .. } => Some(view.facts),
            WorkerMessage::Invalid { .. } => Some(Vec::new()),
            _ => None,
        };
        let Some(facts) = finished else { return };
        if let Some(name) = self.running.borrow_mut().take() {
            self.out.update(|list| {
                list.extend(facts.into_iter().map(|f| FactView { name: format!("{name}.{}", f.name), ..f }));
            });
        }
        self.next();
    }

    fn next(&self) {
        let Some((name, checked)) = self.queue.borrow_mut().pop_front() else { return };
        *self.running.borrow_mut() = Some(name);
        self.runner.start(&checked);
    }

    /// Runs `runs` (name, scenario), dropping what was queued or running before.
    fn start(&self, runs: Vec<(String, Checked)>) {
        self.out.set(Vec::new());
        *self.queue.borrow_mut() = runs.into();
        *self.running.borrow_mut() = None;
        self.next();
    }
}

impl LessonState {
    pub fn new() -> LessonState {
        let compared = RwSignal::new(Vec::new());
        let done = browser::stored(DONE_KEY)
            .map(|s| s.split(',').filter(|x| !x.is_empty()).map(str::to_string).collect())
            .unwrap_or_default();
        LessonState {
            all: StoredValue::new(lesson::all().unwrap_or_default()),
            current: RwSignal::new(None),
            step: RwSignal::new(0),
            revealed: RwSignal::new(false),
            list_open: RwSignal::new(false),
            done: RwSignal::new(done),
            compared,
            mark_pending: StoredValue::new(false),
            compare: StoredValue::new_local(Compare::new(compared)),
        }
    }

    /// The open lesson (tracked).
    pub fn lesson(&self) -> Option<Lesson> {
        let k = self.current.get()?;
        self.all.with_value(|all| all.get(k).cloned())
    }

    /// The facts a lesson's text is filled from: the page's current run and the compared runs.
    pub fn facts(&self, page: &PageState) -> Facts {
        page.run
            .with(|r| self.compared.with(|compared| facts_of(r.iter().flat_map(|r| r.facts.iter()).chain(compared))))
    }

    /// Opens lesson `k` at `step`: loads its scenario (the one a link brought, if given), runs
    /// its comparisons, and writes the lesson into the address bar.
    pub fn open(&self, page: &PageState, k: usize, step: usize, scenario: Option<scalelab_core::Scenario>) {
        let Some(l) = self.all.with_value(|all| all.get(k).cloned()) else { return };
        let s = match scenario.map(Ok).unwrap_or_else(|| l.scenario.scenario()) {
            Ok(s) => s,
            Err(p) => {
                page.notice.set(Some(format!("The lesson \"{}\" could not be opened: {p}", l.title)));
                return;
            }
        };
        page.notice.set(None);
        self.current.set(Some(k));
        self.step.set(step.min(l.steps.len().saturating_sub(1)));
        self.revealed.set(false);
        self.list_open.set(false);
        page.accept_scenario(&s, false);
        self.write_link(page);
        let runs = l
            .compare
            .iter()
            .filter_map(|c| {
                let s = c.scenario.scenario().ok()?;
                let checked = Checked::from_text(s.to_json_pretty().ok()?).ok()?;
                Some((c.name.clone(), checked))
            })
            .collect();
        self.compare.with_value(|c| c.start(runs));
        // The charts may not be on the page yet: mark the step's chart when the run is drawn.
        self.mark_pending.set_value(true);
        self.show_step(page, true);
    }

    /// Restores the open lesson's own scenario (after edits).
    pub fn reset(&self, page: &PageState) {
        if let Some(k) = self.current.get_untracked() {
            let step = self.step.get_untracked();
            self.open(page, k, step, None);
        }
    }

    /// Leaves the lesson (the scenario stays).
    pub fn close(&self, page: &PageState) {
        self.current.set(None);
        self.compare.with_value(|c| c.start(Vec::new()));
        if let Some(text) = page.checked.with_untracked(|c| c.as_ref().map(|c| c.text.clone())) {
            browser::set_lesson_fragment(&text, None);
        }
        highlight_chart(None);
    }

    /// Goes to step `step` of the open lesson.
    pub fn go(&self, page: &PageState, step: usize) {
        self.step.set(step);
        self.write_link(page);
        self.show_step(page, true);
    }

    /// Marks the open lesson done (or not) and keeps the progress.
    pub fn set_done(&self, done: bool) {
        let Some(l) = self.lesson_untracked() else { return };
        self.done.update(|d| {
            d.retain(|x| *x != l.id);
            if done {
                d.push(l.id.clone());
            }
        });
        browser::store(DONE_KEY, &self.done.get_untracked().join(","));
    }

    fn lesson_untracked(&self) -> Option<Lesson> {
        let k = self.current.get_untracked()?;
        self.all.with_value(|all| all.get(k).cloned())
    }

    fn write_link(&self, page: &PageState) {
        let Some(l) = self.lesson_untracked() else { return };
        if let Some(text) = page.checked.with_untracked(|c| c.as_ref().map(|c| c.text.clone())) {
            browser::set_lesson_fragment(&text, Some((&l.id, self.step.get_untracked())));
        }
    }

    /// Puts the cursor where the current step points (once the run has the facts its `at` may
    /// name) and, when `mark`, marks and shows the step's chart.
    fn show_step(&self, page: &PageState, mark: bool) {
        let Some(l) = self.lesson_untracked() else { return };
        let Some(s) = l.steps.get(self.step.get_untracked()) else { return };
        if mark {
            highlight_chart(s.chart.as_deref());
        }
        // The presenter view shows the step's chart first, then the lesson's other charts.
        let mut charts: Vec<String> = s.chart.iter().cloned().collect();
        for c in l.steps.iter().filter_map(|x| x.chart.clone()).chain(["instances".into(), "rate".into()]) {
            if !charts.contains(&c) && charts.len() < 3 {
                charts.push(c);
            }
        }
        page.presenter_charts.set(charts);
        if let Some(at) = &s.at {
            let facts = self.facts_untracked(page);
            let t = facts
                .get(at)
                .map(|f| f.value)
                .or_else(|| scalelab_core::time::Duration::parse(at).ok().map(|d| d.as_secs_f64()));
            if let Some(t) = t {
                page.cursor.set(Some(t));
            }
        }
    }

    fn facts_untracked(&self, page: &PageState) -> Facts {
        page.run.with_untracked(|r| r.as_ref().map(|r| facts_of(&r.facts)).unwrap_or_default())
    }

    /// Opens the lesson a link names; a broken one is a sentence and the list, over the
    /// scenario the link brought (or the default).
    pub fn open_from_link(&self, page: &PageState, id: &str, step: usize, scenario: Option<scalelab_core::Scenario>) {
        match self.all.with_value(|all| all.iter().position(|l| l.id == id)) {
            Some(k) => self.open(page, k, step, scenario),
            None => {
                let shown: String = id.chars().filter(|c| !c.is_control()).take(40).collect();
                page.notice.set(Some(format!(
                    "This link names a lesson \"{shown}\" that does not exist (any more); the lessons are listed below."
                )));
                self.list_open.set(true);
            }
        }
    }

    /// Re-applies the step's cursor once a run finished (its `at` may be a fact of the run),
    /// without scrolling the page under the reader.
    pub fn follow_runs(&self, page: PageState) {
        let me = *self;
        Effect::new(move |_| {
            let finished = page.run.with(|r| r.as_ref().is_some_and(|r| r.partial.is_none()));
            if finished && me.current.get_untracked().is_some() {
                let mark = me.mark_pending.get_value();
                me.mark_pending.set_value(false);
                me.show_step(&page, mark);
            }
        });
    }
}

/// Marks the chart a step points at (and scrolls it into view); `None` clears the mark.
fn highlight_chart(id: Option<&str>) {
    let Some(doc) = browser::window().and_then(|w| w.document()) else { return };
    let figure =
        |chart: &str| doc.get_element_by_id(&format!("chart-{chart}")).and_then(|c| c.closest("figure").ok().flatten());
    for chart in lesson::CHARTS {
        if let Some(f) = figure(chart) {
            let _ = f.class_list().remove_1("lesson-focus");
        }
    }
    if let Some(f) = id.and_then(figure) {
        let _ = f.class_list().add_1("lesson-focus");
        // To the bottom of the window: the lesson panel stays in view above it.
        f.scroll_into_view_with_bool(false);
    }
}
