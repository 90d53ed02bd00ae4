//! The page's side of a run: `Runner` sends the accepted scenario to the simulation's Web
//! Worker, or, where the browser gives no worker, runs it on the page in slices. Either way a
//! run answers with the same `WorkerMessage`s, and only the newest run's reach the page.

use std::cell::Cell;
use std::rc::Rc;

use wasm_bindgen::JsCast;
use wasm_bindgen::JsValue;
use wasm_bindgen::closure::Closure;

use crate::runner;
use crate::view::{Checked, RunRequest, WorkerMessage};

/// The simulation's Web Worker, created by the Trunk loader shim next to the page.
const WORKER_URL: &str = "./scalelab-worker_loader.js";

/// Runs scenarios off the page's thread when it can; a newer run cancels the older one.
pub struct Runner {
    inner: Rc<Inner>,
}

struct Inner {
    /// The newest run's number; answers for older runs are dropped.
    generation: Cell<u64>,
    worker: Option<Worker>,
    on_message: Box<dyn Fn(WorkerMessage)>,
}

struct Worker {
    worker: web_sys::Worker,
    /// Whether the worker said it is ready (requests sent before that would be lost).
    ready: Cell<bool>,
    /// Until then, the newest request waits here.
    pending: Cell<Option<String>>,
}

impl Runner {
    /// A runner whose answers for the newest run go to `on_message` (never `Ready`).
    pub fn new(on_message: impl Fn(WorkerMessage) + 'static) -> Runner {
        let worker = web_sys::Worker::new(WORKER_URL).ok().map(|worker| Worker {
            worker,
            ready: Cell::new(false),
            pending: Cell::new(None),
        });
        let inner = Rc::new(Inner { generation: Cell::new(0), worker, on_message: Box::new(on_message) });
        if let Some(w) = &inner.worker {
            let receiver = inner.clone();
            let on_message = Closure::<dyn FnMut(web_sys::MessageEvent)>::new(move |ev: web_sys::MessageEvent| {
                let Some(text) = ev.data().as_string() else { return };
                if let Ok(msg) = serde_json::from_str::<WorkerMessage>(&text) {
                    receiver.receive(msg);
                }
            });
            w.worker.set_onmessage(Some(on_message.as_ref().unchecked_ref()));
            // The page keeps its runner as long as it lives.
            on_message.forget();
        }
        Runner { inner }
    }

    /// Whether runs go to a Web Worker (else they run on the page).
    pub fn uses_worker(&self) -> bool {
        self.inner.worker.is_some()
    }

    /// Starts a run of `checked`, cancelling the one before. Returns the run's number.
    pub fn start(&self, checked: &Checked) -> u64 {
        let id = self.inner.generation.get() + 1;
        self.inner.generation.set(id);
        match &self.inner.worker {
            Some(w) => {
                let req = RunRequest { id, scenario: checked.text.clone() };
                if let Ok(text) = serde_json::to_string(&req) {
                    w.post(text);
                }
            }
            None => {
                let inner = self.inner.clone();
                let scenario = checked.scenario.clone();
                wasm_bindgen_futures::spawn_local(async move {
                    let current = |g| inner.generation.get() == g;
                    runner::serve(&scenario, id, current, |m| inner.receive(m)).await;
                });
            }
        }
        id
    }
}

impl Inner {
    fn receive(&self, msg: WorkerMessage) {
        match (&msg, msg.id()) {
            (WorkerMessage::Ready, _) => {
                if let Some(w) = &self.worker {
                    w.ready.set(true);
                    if let Some(text) = w.pending.take() {
                        let _ = w.worker.post_message(&JsValue::from_str(&text));
                    }
                }
            }
            (_, Some(id)) if id == self.generation.get() => (self.on_message)(msg),
            _ => {}
        }
    }
}

impl Worker {
    fn post(&self, text: String) {
        if self.ready.get() {
            let _ = self.worker.post_message(&JsValue::from_str(&text));
        } else {
            self.pending.set(Some(text));
        }
    }
}
