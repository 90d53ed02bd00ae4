//! The simulation's Web Worker: receives `RunRequest`s as JSON, runs them in slices (a newer
//! request cancels the older run at its next slice), and answers with progress and a `RunView`;
//! and rightsizing `JobRequest`s, answered with their outcome.

use std::cell::Cell;

use scalelab_core::Scenario;
use wasm_bindgen::JsCast;
use wasm_bindgen::prelude::*;
use web_sys::{DedicatedWorkerGlobalScope, MessageEvent};

use crate::runner;
use crate::view::{RunRequest, WorkerMessage};

thread_local! {
    /// The newest request received; older runs stop at their next slice.
    static LATEST: Cell<u64> = const { Cell::new(0) };
}

fn post(scope: &DedicatedWorkerGlobalScope, m: &WorkerMessage) {
    if let Ok(text) = serde_json::to_string(m) {
        let _ = scope.post_message(&JsValue::from_str(&text));
    }
}

/// Installs the message handler (called once when the worker's module starts).
pub fn start() {
    console_error_panic_hook::set_once();
    let scope: DedicatedWorkerGlobalScope = js_sys::global().unchecked_into();
    let handler_scope = scope.clone();
    let on_message = Closure::<dyn FnMut(MessageEvent)>::new(move |ev: MessageEvent| {
        let Some(text) = ev.data().as_string() else { return };
        // A rightsizing job runs at once and is answered with its outcome.
        if let Ok(job) = serde_json::from_str::<crate::lab::JobRequest>(&text) {
            if let Ok(answer) = serde_json::to_string(&crate::lab::LabMessage::answer(&job)) {
                let _ = handler_scope.post_message(&JsValue::from_str(&answer));
            }
            return;
        }
        let Ok(req) = serde_json::from_str::<RunRequest>(&text) else { return };
        LATEST.with(|l| l.set(req.id));
        let scope = handler_scope.clone();
        wasm_bindgen_futures::spawn_local(async move { handle(scope, req).await });
    });
    scope.set_onmessage(Some(on_message.as_ref().unchecked_ref()));
    on_message.forget();
    post(&scope, &WorkerMessage::Ready);
}

async fn handle(scope: DedicatedWorkerGlobalScope, req: RunRequest) {
    match Scenario::from_json(&req.scenario) {
        Ok(s) => runner::serve(&s, req.id, |g| LATEST.with(|l| l.get()) == g, |m| post(&scope, &m)).await,
        Err(p) => post(&scope, &WorkerMessage::invalid(req.id, &p)),
    }
}
