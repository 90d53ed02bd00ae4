//! Runs the rightsizing lab on the page: each stage's jobs go to a pool of Web Workers (one job
//! per worker at a time), the outcomes come back in any order and are handed to the lab in job
//! order, and the answer so far is shown after every stage. Without workers the jobs run on the
//! page, yielding between jobs. A newer run (or "Stop") abandons the older one.

use std::cell::{Cell, RefCell};
use std::collections::VecDeque;
use std::rc::Rc;

use leptos::prelude::*;
use scalelab_core::Problems;
use scalelab_core::rightsize::{Job, Lab, Outcome, Request, Rightsizing};
use wasm_bindgen::JsCast;
use wasm_bindgen::JsValue;
use wasm_bindgen::closure::Closure;

use crate::lab::{JobRequest, LabMessage};

const WORKER_URL: &str = "./scalelab-worker_loader.js";

/// What the view shows of a run.
#[derive(Clone, Copy, Debug)]
pub struct LabSignals {
    pub result: RwSignal<Option<Rightsizing>>,
    pub running: RwSignal<bool>,
    /// "3 of 7 jobs: load tests".
    pub status: RwSignal<String>,
    pub error: RwSignal<Option<String>>,
    pub wall_ms: RwSignal<Option<f64>>,
}

struct Run {
    generation: u64,
    lab: Lab,
    jobs: Vec<Job>,
    queue: VecDeque<usize>,
    outcomes: Vec<Option<Result<Outcome, Problems>>>,
    started_ms: f64,
}

struct PoolWorker {
    worker: web_sys::Worker,
    ready: Cell<bool>,
    /// The worker failed (its script did not load, or it crashed): it takes no more jobs.
    dead: Cell<bool>,
    /// The job this worker is running (index in the stage), if any.
    busy: Cell<Option<usize>>,
}

/// The pool and the run in progress.
pub struct LabRunner {
    inner: Rc<Inner>,
}

struct Inner {
    workers: Vec<PoolWorker>,
    run: RefCell<Option<Run>>,
    generation: Cell<u64>,
    signals: LabSignals,
}

fn workers_wanted() -> usize {
    let n = web_sys::window().map_or(2.0, |w| w.navigator().hardware_concurrency());
    (n as usize).clamp(2, 4)
}

impl LabRunner {
    pub fn new(signals: LabSignals) -> LabRunner {
        let mut workers = Vec::new();
        for _ in 0..workers_wanted() {
            match web_sys::Worker::new(WORKER_URL) {
                Ok(worker) => workers.push(PoolWorker {
                    worker,
                    ready: Cell::new(false),
                    dead: Cell::new(false),
                    busy: Cell::new(None),
                }),
                Err(_) => break,
            }
        }
        let inner = Rc::new(Inner { workers, run: RefCell::new(None), generation: Cell::new(0), signals });
        for k in 0..inner.workers.len() {
            let receiver = inner.clone();
            let on_message = Closure::<dyn FnMut(web_sys::MessageEvent)>::new(move |ev: web_sys::MessageEvent| {
                let Some(text) = ev.data().as_string() else { return };
                if let Ok(msg) = serde_json::from_str::<LabMessage>(&text) {
                    receiver.receive(k, msg);
                }
            });
            if let Some(w) = inner.workers.get(k) {
                w.worker.set_onmessage(Some(on_message.as_ref().unchecked_ref()));
            }
            on_message.forget();
            let failed = inner.clone();
            let on_error = Closure::<dyn FnMut(web_sys::Event)>::new(move |_: web_sys::Event| failed.worker_failed(k));
            if let Some(w) = inner.workers.get(k) {
                w.worker.set_onerror(Some(on_error.as_ref().unchecked_ref()));
            }
            on_error.forget();
        }
        LabRunner { inner }
    }

    /// Starts the lab on `req`, abandoning a run in progress.
    pub fn start(&self, req: Request) {
        let s = self.inner.signals;
        let lab = match Lab::new(req) {
            Ok(l) => l,
            Err(p) => {
                self.stop();
                s.error.set(Some(p.0.iter().map(|p| p.to_string()).collect::<Vec<_>>().join("; ")));
                return;
            }
        };
        let generation = self.inner.generation.get() + 1;
        self.inner.generation.set(generation);
        for w in &self.inner.workers {
            // Answers of the abandoned run are dropped by generation; the worker is free again
            // once it answers.
            if w.busy.get().is_some() {
                w.busy.set(Some(usize::MAX));
            }
        }
        s.error.set(None);
        s.result.set(Some(lab.result().clone()));
        s.running.set(true);
        s.wall_ms.set(None);
        *self.inner.run.borrow_mut() = Some(Run {
            generation,
            lab,
            jobs: Vec::new(),
            queue: VecDeque::new(),
            outcomes: Vec::new(),
            started_ms: crate::browser::now_ms(),
        });
        Inner::next_stage(&self.inner);
    }

    /// Abandons the run in progress (its partial answer stays shown).
    pub fn stop(&self) {
        self.inner.generation.set(self.inner.generation.get() + 1);
        *self.inner.run.borrow_mut() = None;
        self.inner.signals.running.set(false);
        self.inner.signals.status.set("stopped".into());
    }
}

impl Inner {
    /// Takes the lab's next stage, or finishes.
    fn next_stage(this: &Rc<Inner>) {
        let done = {
            let mut run = this.run.borrow_mut();
            let Some(r) = run.as_mut() else { return };
            r.jobs = r.lab.next_jobs();
            r.queue = (0..r.jobs.len()).collect();
            r.outcomes = (0..r.jobs.len()).map(|_| None).collect();
            r.jobs.is_empty()
        };
        if done {
            let run = this.run.borrow_mut().take();
            if let Some(r) = run {
                this.signals.wall_ms.set(Some(crate::browser::now_ms() - r.started_ms));
                this.signals.result.set(Some(r.lab.into_result()));
            }
            this.signals.running.set(false);
            this.signals.status.set("done".into());
            return;
        }
        this.show_status();
        if this.workers.iter().all(|w| w.dead.get()) {
            Inner::run_on_page(this.clone());
        } else {
            this.dispatch();
        }
    }

    /// A worker failed: its job goes back to the queue; when no worker is left the jobs run
    /// on the page.
    fn worker_failed(self: &Rc<Self>, k: usize) {
        let Some(w) = self.workers.get(k) else { return };
        if w.dead.replace(true) {
            return;
        }
        let job = w.busy.take();
        let all_dead = self.workers.iter().all(|w| w.dead.get());
        {
            let mut run = self.run.borrow_mut();
            if let (Some(r), Some(j)) = (run.as_mut(), job)
                && j < r.jobs.len()
            {
                r.queue.push_front(j);
            }
        }
        if all_dead {
            if self.run.borrow().is_some() {
                Inner::run_on_page(self.clone());
            }
        } else {
            self.dispatch();
        }
    }

    fn show_status(&self) {
        let run = self.run.borrow();
        let Some(r) = run.as_ref() else { return };
        let left = r.outcomes.iter().filter(|o| o.is_none()).count();
        let res = r.lab.result();
        self.signals.status.set(format!(
            "{}: {} of {} jobs of this stage left ({} done in all)",
            res.stage,
            left,
            r.jobs.len(),
            res.jobs_done + r.jobs.len() - left
        ));
    }

    /// Gives every free, ready worker the next queued job.
    fn dispatch(&self) {
        let mut run = self.run.borrow_mut();
        let Some(r) = run.as_mut() else { return };
        for w in &self.workers {
            if !w.ready.get() || w.dead.get() || w.busy.get().is_some() {
                continue;
            }
            let Some(k) = r.queue.pop_front() else { return };
            let Some(job) = r.jobs.get(k) else { continue };
            let req = JobRequest { job_id: r.generation << 20 | k as u64, job: job.clone() };
            if let Ok(text) = serde_json::to_string(&req) {
                w.busy.set(Some(k));
                let _ = w.worker.post_message(&JsValue::from_str(&text));
            }
        }
    }

    fn receive(self: &Rc<Self>, k: usize, msg: LabMessage) {
        let Some(w) = self.workers.get(k) else { return };
        match msg {
            LabMessage::Ready => w.ready.set(true),
            LabMessage::Job { job_id, outcome } => {
                w.busy.set(None);
                let (generation, index) = (job_id >> 20, (job_id & 0xF_FFFF) as usize);
                let stage_done = {
                    let mut run = self.run.borrow_mut();
                    match run.as_mut() {
                        Some(r) if r.generation == generation => {
                            if let Some(slot) = r.outcomes.get_mut(index) {
                                *slot = Some(LabMessage::outcome(*outcome));
                            }
                            r.outcomes.iter().all(Option::is_some)
                        }
                        _ => false,
                    }
                };
                if stage_done {
                    self.accept_stage();
                    Inner::next_stage(self);
                    return;
                }
                self.show_status();
            }
        }
        self.dispatch();
    }

    fn accept_stage(&self) {
        let mut run = self.run.borrow_mut();
        let Some(r) = run.as_mut() else { return };
        let outcomes = std::mem::take(&mut r.outcomes).into_iter().flatten().collect();
        r.lab.accept(outcomes);
        self.signals.result.set(Some(r.lab.result().clone()));
    }

    /// Without workers: one job at a time on the page, yielding between jobs.
    fn run_on_page(this: Rc<Inner>) {
        wasm_bindgen_futures::spawn_local(async move {
            loop {
                let job = {
                    let mut run = this.run.borrow_mut();
                    let Some(r) = run.as_mut() else { return };
                    match r.queue.pop_front() {
                        Some(k) => r.jobs.get(k).cloned().map(|j| (k, j, r.generation)),
                        None => None,
                    }
                };
                let Some((k, job, generation)) = job else { break };
                crate::runner::yield_now().await;
                let answer = LabMessage::answer(&JobRequest { job_id: 0, job });
                let mut run = this.run.borrow_mut();
                match (run.as_mut(), answer) {
                    (Some(r), LabMessage::Job { outcome, .. }) if r.generation == generation => {
                        if let Some(slot) = r.outcomes.get_mut(k) {
                            *slot = Some(LabMessage::outcome(*outcome));
                        }
                    }
                    _ => return,
                }
                drop(run);
                this.show_status();
            }
            this.accept_stage();
            Inner::next_stage(&this);
        });
    }
}
