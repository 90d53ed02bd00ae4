//! Runs the simulation without freezing the page: the event loop advances in slices of about
//! 12 ms of wall time, yielding to the browser between slices (input, painting, the progress
//! bar). A newer run cancels an older one at its next slice.

use std::cell::Cell;
use std::rc::Rc;

use scalelab_core::{Problems, Report, Scenario, Simulation};

/// Wall-clock budget of one slice, milliseconds.
const SLICE_MS: f64 = 12.0;

fn now_ms() -> f64 {
    web_sys::window().and_then(|w| w.performance()).map_or(0.0, |p| p.now())
}

/// Lets the browser handle input and paint, then continues.
async fn yield_to_browser() {
    let promise = js_sys::Promise::new(&mut |resolve, _reject| {
        if let Some(w) = web_sys::window() {
            let _ = w.set_timeout_with_callback_and_timeout_and_arguments_0(&resolve, 0);
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

/// Runs `scenario`; `generation` is this run's number and `current` the latest one started.
pub async fn run(
    scenario: Scenario,
    seed: Option<u64>,
    generation: u64,
    current: Rc<Cell<u64>>,
    progress: impl Fn(f64),
) -> Outcome {
    let start = now_ms();
    let plan = match scalelab_core::plan(&scenario, seed) {
        Ok(p) => p,
        Err(p) => return Outcome::Invalid(p),
    };
    let mut sim = Simulation::new(&plan);
    let end = sim.end();
    // Simulated time per step: small enough to check the clock often.
    let step = (end / 400).max(1_000_000);
    let mut slice_start = now_ms();
    while !sim.is_done() {
        let t = sim.now().saturating_add(step).min(end);
        sim.run_until(t);
        if now_ms() - slice_start > SLICE_MS {
            progress(sim.progress());
            yield_to_browser().await;
            if current.get() != generation {
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
    let report = sim.finish();
    Outcome::Done { report: Box::new(report), wall_ms: now_ms() - start }
}
