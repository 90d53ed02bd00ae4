//! Runs the simulation in slices of about 12 ms of wall time, yielding to the event loop
//! between slices, so that a newer request can cancel a stale run and progress can be shown.
//! Used inside the Web Worker, and on the page itself when workers are unavailable (`serve`
//! answers with the same messages in both places).

use scalelab_core::{Problems, Report, Scenario, Simulation};
use wasm_bindgen::{JsCast, JsValue};

use crate::view::{WorkerMessage, partial_view, run_view};

/// Wall-clock budget of one slice, milliseconds.
const SLICE_MS: f64 = 12.0;
/// A run still going after this long shows what it has so far, then again after at least
/// `PARTIAL_EVERY_MS` and at least as long as it has run.
const FIRST_PARTIAL_MS: f64 = 60.0;
const PARTIAL_EVERY_MS: f64 = 500.0;

fn now_ms() -> f64 {
    js_sys::Date::now()
}

/// Lets the event loop run (messages, input, painting), then continues. Works in a window and
/// in a worker: both have a global `setTimeout`.
pub(crate) async fn yield_now() {
    let promise = js_sys::Promise::new(&mut |resolve, _reject| {
        let global = js_sys::global();
        if let Ok(f) = js_sys::Reflect::get(&global, &JsValue::from_str("setTimeout"))
            && let Ok(f) = f.dyn_into::<js_sys::Function>()
        {
            let _ = f.call2(&global, &resolve, &JsValue::from(0));
        }
    });
    let _ = wasm_bindgen_futures::JsFuture::from(promise).await;
}

#[derive(Debug)]
pub enum Outcome {
    Done {
        report: Box<Report>,
        wall_ms: f64,
    },
    Invalid(Problems),
    /// A newer run started.
    Cancelled,
}

/// Runs `scenario` as run number `id`; `is_current(id)` says whether it is still wanted.
/// `partial` sees the simulation when a long run has something to show (after about 60 ms,
/// then at growing intervals from 500 ms), for `Simulation::snapshot`.
pub async fn run(
    scenario: &Scenario,
    id: u64,
    is_current: impl Fn(u64) -> bool,
    progress: impl Fn(f64),
    mut partial: impl FnMut(&Simulation, f64),
) -> Outcome {
    let start = now_ms();
    let plan = match scalelab_core::plan(scenario, None) {
        Ok(p) => p,
        Err(p) => return Outcome::Invalid(p),
    };
    let mut sim = Simulation::new(&plan);
    let end = sim.end();
    // Simulated time per step: small enough to check the clock often.
    let step = (end / 400).max(1_000_000);
    let mut slice_start = now_ms();
    let mut next_partial = start + FIRST_PARTIAL_MS;
    while !sim.is_done() {
        let t = sim.now().saturating_add(step).min(end);
        sim.run_until(t);
        if now_ms() - slice_start > SLICE_MS {
            progress(sim.progress());
            if now_ms() >= next_partial {
                partial(&sim, now_ms() - start);
                // Then at intervals that grow with the run, so a long run sends few.
                next_partial = now_ms() + PARTIAL_EVERY_MS.max(now_ms() - start);
            }
            yield_now().await;
            if !is_current(id) {
                return Outcome::Cancelled;
            }
            slice_start = now_ms();
        }
        if sim.now() >= end {
            sim.run_until(end);
            break;
        }
    }
    progress(1.0);
    Outcome::Done { report: Box::new(sim.finish()), wall_ms: now_ms() - start }
}

/// Runs `scenario` as run number `id` and tells `emit` how it goes: progress, the run so far
/// while a long run goes, then the whole run's view (or its problems); nothing more once
/// `is_current(id)` says a newer run started.
pub async fn serve(scenario: &Scenario, id: u64, is_current: impl Fn(u64) -> bool, emit: impl Fn(WorkerMessage)) {
    let emit = &emit;
    let out = run(
        scenario,
        id,
        is_current,
        |p| emit(WorkerMessage::Progress { id, progress: p }),
        |sim, wall_ms| {
            let view = partial_view(&sim.snapshot(), scenario, wall_ms, sim.progress());
            emit(WorkerMessage::Partial { id, view: Box::new(view) });
        },
    )
    .await;
    match out {
        Outcome::Done { report, wall_ms } => {
            let mut view = run_view(&report, scenario, wall_ms);
            drop(report);
            view.wasm_memory_bytes = crate::wasm_memory_bytes();
            emit(WorkerMessage::Done { id, view: Box::new(view) });
        }
        Outcome::Invalid(p) => emit(WorkerMessage::invalid(id, &p)),
        Outcome::Cancelled => {}
    }
}
