//! The page: presets, forms and the scenario JSON on the left; summary, charts and the activity
//! log on the right. Every edit re-simulates (the previous run is cancelled) and rewrites the
//! link in the address bar without adding a history entry.

use std::cell::Cell;
use std::rc::Rc;
use std::sync::Arc;

use leptos::html;
use leptos::prelude::*;
use leptos::task::spawn_local;
use scalelab_core::export::Format;
use scalelab_core::{Scenario, examples};
use wasm_bindgen::JsCast;

use crate::chartdata::{self, fmt_clock};
use crate::draw::{self, Style};
use crate::edit::{self, FieldError};
use crate::link;
use crate::runner::{self, Outcome};
use crate::summary;
use crate::view::{Checked, RunRequest, RunView, WorkerMessage, run_view};

const DEFAULT_EXAMPLE: &str = "seed-001-after";
const CHART_IDS: [&str; 7] = ["rate", "ipi", "instances", "latency", "errors", "utilization", "cost"];

/// The simulation's Web Worker, created by the Trunk loader shim next to the page.
const WORKER_URL: &str = "./scalelab-worker_loader.js";

type Run = RunView;

fn default_json() -> String {
    examples::EXAMPLES.iter().find(|e| e.name == DEFAULT_EXAMPLE).map(|e| e.json.to_string()).unwrap_or_default()
}

fn now_ms() -> f64 {
    window().and_then(|w| w.performance()).map_or(0.0, |p| p.now())
}

fn window() -> Option<web_sys::Window> {
    web_sys::window()
}

fn set_fragment(json: &str) {
    let Some(w) = window() else { return };
    let Ok(history) = w.history() else { return };
    let url = link::fragment(json);
    let _ = history.replace_state_with_url(&wasm_bindgen::JsValue::NULL, "", Some(&url));
}

fn page_url() -> String {
    window().and_then(|w| w.location().href().ok()).unwrap_or_default()
}

fn download(name: &str, mime: &str, text: &str) {
    let Some(doc) = window().and_then(|w| w.document()) else { return };
    let parts = js_sys::Array::of1(&wasm_bindgen::JsValue::from_str(text));
    let opts = web_sys::BlobPropertyBag::new();
    opts.set_type(mime);
    let Ok(blob) = web_sys::Blob::new_with_str_sequence_and_options(&parts, &opts) else { return };
    let Ok(url) = web_sys::Url::create_object_url_with_blob(&blob) else { return };
    if let Ok(a) = doc.create_element("a")
        && let Ok(a) = a.dyn_into::<web_sys::HtmlAnchorElement>()
    {
        a.set_href(&url);
        a.set_download(name);
        a.click();
    }
    let _ = web_sys::Url::revoke_object_url(&url);
}

/// The text of the file chosen in the `<input type="file">` behind `ev`, refusing files over
/// 1 MiB (`what` names what the file should be, for the message).
async fn read_chosen_file(ev: &leptos::ev::Event, what: &str) -> Result<String, String> {
    let input = ev.target().and_then(|t| t.dyn_into::<web_sys::HtmlInputElement>().ok());
    let file = input.and_then(|i| i.files()).and_then(|f| f.get(0)).ok_or_else(|| "no file was chosen".to_string())?;
    if file.size() > link::MAX_INFLATED_BYTES as f64 {
        return Err(format!("the file is larger than 1 MiB: not {what}"));
    }
    let text = wasm_bindgen_futures::JsFuture::from(file.text())
        .await
        .map_err(|_| "the file could not be read".to_string())?;
    Ok(text.as_string().unwrap_or_default())
}

fn copy_text(text: &str) {
    if let Some(w) = window() {
        let _ = w.navigator().clipboard().write_text(text);
    }
}

#[component]
pub fn App() -> impl IntoView {
    // What the user typed (never overwritten by a failed parse) and the last valid scenario.
    let json = RwSignal::new(String::new());
    let scenario: RwSignal<Option<Scenario>> = RwSignal::new(None);
    // The accepted scenario's text, typed scenario and plan, computed once per edit.
    let checked: RwSignal<Option<Arc<Checked>>> = RwSignal::new(None);
    let problems: RwSignal<Vec<String>> = RwSignal::new(Vec::new());
    let notice: RwSignal<Option<String>> = RwSignal::new(None);
    let field_error: RwSignal<Option<FieldError>> = RwSignal::new(None);
    let run: RwSignal<Option<Arc<Run>>> = RwSignal::new(None);
    let baseline: RwSignal<Option<Arc<Run>>> = RwSignal::new(None);
    let progress = RwSignal::new(0.0f64);
    let running = RwSignal::new(false);
    let cursor: RwSignal<Option<f64>> = RwSignal::new(None);
    let dark = RwSignal::new(
        window()
            .and_then(|w| w.match_media("(prefers-color-scheme: dark)").ok().flatten())
            .is_some_and(|m| m.matches()),
    );
    let big = RwSignal::new(false);
    let share = RwSignal::new(String::new());
    let paste = RwSignal::new(String::new());
    let paste_result: RwSignal<Result<String, Vec<FieldError>>> = RwSignal::new(Ok(String::new()));
    let paste_applied = RwSignal::new(false);
    let export_format = RwSignal::new("cli".to_string());
    let scaling_said: RwSignal<Option<String>> = RwSignal::new(None);
    let generation = Rc::new(Cell::new(0u64));
    // Timings for the status line and `cargo xtask bench-web`: the last draw of every chart,
    // and the moment (since navigation) the first complete set of charts was drawn.
    let draw_ms = RwSignal::new(0.0f64);
    let first_charts_ms: RwSignal<Option<f64>> = RwSignal::new(None);
    let edit_started_ms = RwSignal::new(0.0f64);
    let edit_to_charts_ms = RwSignal::new(0.0f64);
    // From an edit to the first charts of the new run, partial or complete.
    let edit_to_first_ms = RwSignal::new(0.0f64);
    let first_pending = RwSignal::new(false);

    // The simulation runs in a Web Worker; its answers carry the run number, and only the
    // newest run's are used. Without workers, runs go on the page in slices.
    let worker: Option<web_sys::Worker> = web_sys::Worker::new(WORKER_URL).ok();
    // Until the worker says it is ready, the newest request waits here.
    let pending: Rc<std::cell::RefCell<Option<String>>> = Rc::new(std::cell::RefCell::new(None));
    let ready = Rc::new(Cell::new(false));
    if let Some(w) = &worker {
        let generation = generation.clone();
        let (pending, ready, w2) = (pending.clone(), ready.clone(), w.clone());
        let on_message = wasm_bindgen::closure::Closure::<dyn FnMut(web_sys::MessageEvent)>::new(
            move |ev: web_sys::MessageEvent| {
                let Some(text) = ev.data().as_string() else { return };
                let Ok(msg) = serde_json::from_str::<WorkerMessage>(&text) else { return };
                match msg {
                    WorkerMessage::Ready => {
                        ready.set(true);
                        if let Some(text) = pending.borrow_mut().take() {
                            let _ = w2.post_message(&wasm_bindgen::JsValue::from_str(&text));
                        }
                    }
                    WorkerMessage::Progress { id, progress: p } if id == generation.get() => progress.set(p),
                    WorkerMessage::Partial { id, view } if id == generation.get() => run.set(Some(Arc::new(*view))),
                    WorkerMessage::Done { id, view } if id == generation.get() => {
                        running.set(false);
                        run.set(Some(Arc::new(*view)));
                    }
                    WorkerMessage::Invalid { id, problems: p } if id == generation.get() => {
                        running.set(false);
                        problems.set(p);
                    }
                    _ => {}
                }
            },
        );
        w.set_onmessage(Some(on_message.as_ref().unchecked_ref()));
        on_message.forget();
    }
    let uses_worker = worker.is_some();

    // Starts a run of the current scenario; a newer call cancels it.
    let start_run = {
        let generation = generation.clone();
        let (pending, ready) = (pending.clone(), ready.clone());
        move || {
            let Some(c) = checked.get_untracked() else { return };
            let s = c.scenario.clone();
            edit_started_ms.set(now_ms());
            first_pending.set(true);
            let g = generation.get() + 1;
            generation.set(g);
            running.set(true);
            progress.set(0.0);
            if let Some(w) = &worker {
                let req = RunRequest { id: g, scenario: c.text.clone() };
                if let Ok(text) = serde_json::to_string(&req) {
                    if ready.get() {
                        let _ = w.post_message(&wasm_bindgen::JsValue::from_str(&text));
                    } else {
                        *pending.borrow_mut() = Some(text);
                    }
                }
                return;
            }
            let current = generation.clone();
            spawn_local(async move {
                let out = runner::run(
                    s.clone(),
                    g,
                    |id| current.get() == id,
                    |p| progress.set(p),
                    |sim, wall_ms| {
                        let v = crate::view::partial_view(&sim.snapshot(), &s, wall_ms, sim.progress());
                        run.set(Some(Arc::new(v)));
                    },
                )
                .await;
                if current.get() != g {
                    return;
                }
                running.set(false);
                match out {
                    Outcome::Done { report, wall_ms } => {
                        let mut view = run_view(&report, &s, wall_ms);
                        view.wasm_memory_bytes = crate::wasm_memory_bytes();
                        run.set(Some(Arc::new(view)));
                    }
                    Outcome::Invalid(p) => problems.set(p.0.iter().map(|p| p.to_string()).collect()),
                    Outcome::Cancelled => {}
                }
            });
        }
    };
    let start_run = StoredValue::new_local(Rc::new(start_run) as Rc<dyn Fn()>);

    // Accepts scenario JSON: parse, check, and run if valid; keep the text either way.
    let accept = {
        Rc::new(move |text: String, write_link: bool| {
            json.set(text.clone());
            match Checked::from_text(text.clone()) {
                Ok(c) => {
                    problems.set(Vec::new());
                    field_error.set(None);
                    scenario.set(Some(c.scenario.clone()));
                    checked.set(Some(Arc::new(c)));
                    if write_link {
                        set_fragment(&text);
                    }
                    start_run.with_value(|f| f());
                }
                Err(p) => problems.set(p.0.iter().map(|p| p.to_string()).collect()),
            }
        })
    };
    let accept: StoredValue<Rc<dyn Fn(String, bool)>, LocalStorage> = StoredValue::new_local(accept);

    // A form edit: applied to a copy of the scenario; on error the field shows it.
    let apply_edit = move |f: &dyn Fn(&mut Scenario) -> Result<(), FieldError>| {
        let Some(mut s) = scenario.get_untracked() else { return };
        match f(&mut s) {
            Ok(()) => match s.to_json_pretty() {
                Ok(text) => accept.with_value(|a| a(text, true)),
                Err(e) => notice.set(Some(not_json(&e))),
            },
            Err(e) => field_error.set(Some(e)),
        }
    };

    // Opening: a link's scenario, or the default one with the link's problem explained.
    {
        let hash = window().and_then(|w| w.location().hash().ok()).unwrap_or_default();
        match link::decode_fragment(&hash) {
            Ok(text) => {
                let ok = Scenario::from_json(&text).and_then(|s| scalelab_core::plan(&s, None).map(|_| s));
                match ok {
                    // Links hold compact JSON: show it laid out, in the format's field order.
                    Ok(s) => match s.to_json_pretty() {
                        Ok(text) => accept.with_value(|a| a(text, false)),
                        Err(e) => notice.set(Some(not_json(&e))),
                    },
                    Err(p) => {
                        notice.set(Some(format!(
                            "The link's scenario has problems; the default scenario is shown instead. {}",
                            p.0.iter().map(|p| p.to_string()).collect::<Vec<_>>().join("; ")
                        )));
                        accept.with_value(|a| a(default_json(), false));
                    }
                }
            }
            Err(link::LinkError::Absent) => accept.with_value(|a| a(default_json(), false)),
            Err(e) => {
                notice.set(Some(format!("This link could not be opened: {e}. The default scenario is shown instead.")));
                accept.with_value(|a| a(default_json(), false));
            }
        }
    }

    // Charts: one canvas each, redrawn when the run, the baseline or the style change (the
    // cursor is a line over the canvases: moving it redraws nothing).
    let canvases: Vec<NodeRef<html::Canvas>> = CHART_IDS.iter().map(|_| NodeRef::new()).collect();
    {
        let canvases = canvases.clone();
        Effect::new(move |_| {
            let r = run.get();
            let b = baseline.get();
            let style = Style { dark: dark.get(), big: big.get() };
            let Some(r) = r else { return };
            let t0 = now_ms();
            let mut drawn = 0;
            for (k, id) in CHART_IDS.iter().enumerate() {
                let Some(canvas) = canvases.get(k).and_then(|n| n.get()) else { continue };
                let Some(chart) = r.charts.charts.iter().find(|c| c.id == *id) else { continue };
                let base = b.as_ref().and_then(|b| b.charts.charts.iter().find(|c| c.id == *id));
                match draw::draw(&canvas, chart, base, r.charts.x_end, &r.charts.activities, style) {
                    Ok(()) => drawn += 1,
                    Err(e) => web_sys::console::warn_1(&format!("chart {id}: {e}").into()),
                }
            }
            let t1 = now_ms();
            draw_ms.set(t1 - t0);
            if drawn == CHART_IDS.len() {
                let complete = r.partial.is_none();
                if complete && first_charts_ms.get_untracked().is_none() {
                    first_charts_ms.set(Some(t1));
                }
                let started = edit_started_ms.get_untracked();
                if started > 0.0 {
                    if first_pending.get_untracked() {
                        edit_to_first_ms.set(t1 - started);
                        first_pending.set(false);
                    }
                    if complete {
                        edit_to_charts_ms.set(t1 - started);
                        edit_started_ms.set(0.0);
                    }
                }
            }
        });
    }

    let on_preset = move |ev: leptos::ev::Event| {
        let name = event_target_value(&ev);
        if let Some(e) = examples::EXAMPLES.iter().find(|e| e.name == name) {
            notice.set(None);
            scaling_said.set(None);
            accept.with_value(|a| a(e.json.to_string(), true));
        }
    };
    let on_json_input = move |ev: leptos::ev::Event| accept.with_value(|a| a(event_target_value(&ev), true));
    // The seed is part of the scenario, so a link carries it and gives the same numbers.
    let on_peak = move |ev: leptos::ev::Event| {
        let v = event_target_value(&ev);
        apply_edit(&move |s: &mut Scenario| edit::set_peak_rps(s, &v));
    };
    // The traffic preview: the offered rate from the traffic alone, redrawn at every edit.
    let preview_canvas: NodeRef<html::Canvas> = NodeRef::new();
    let peak = RwSignal::new(None::<f64>);
    Effect::new(move |_| {
        let style = Style { dark: dark.get(), big: big.get() };
        let Some(c) = checked.get() else { return };
        let plan = &c.plan;
        peak.set(Some(plan.peak_rps));
        let chart = chartdata::traffic_preview(plan);
        if let Some(canvas) = preview_canvas.get() {
            let end = plan.duration_us as f64 / 1e6;
            if let Err(e) = draw::draw(&canvas, &chart, None, end, &[], style) {
                web_sys::console::warn_1(&format!("traffic preview: {e}").into());
            }
        }
    });
    let on_seed = move |ev: leptos::ev::Event| {
        let text = event_target_value(&ev);
        apply_edit(&move |s: &mut Scenario| {
            let n: u64 = text.trim().parse().map_err(|_| FieldError {
                path: "seed".into(),
                message: format!("\"{}\" is not a whole number", text.trim()),
            })?;
            s.seed = Some(n);
            Ok(())
        });
    };
    let on_paste_apply = move |_| {
        let Some(mut s) = scenario.get_untracked() else { return };
        let r = edit::apply_aws_json(&mut s, &paste.get_untracked());
        if r.is_ok() {
            match s.to_json_pretty() {
                Ok(text) => accept.with_value(|a| a(text, true)),
                Err(e) => notice.set(Some(not_json(&e))),
            }
        }
        paste_applied.set(r.is_ok());
        paste_result.set(r);
    };
    // The pasted text is checked as it is typed, against a copy of the scenario.
    let on_paste_input = move |ev: leptos::ev::Event| {
        let text = event_target_value(&ev);
        paste.set(text.clone());
        paste_applied.set(false);
        if text.trim().is_empty() {
            paste_result.set(Ok(String::new()));
        } else if let Some(mut s) = scenario.get_untracked() {
            paste_result.set(edit::apply_aws_json(&mut s, &text));
        }
    };
    let on_import = move |ev: leptos::ev::Event| {
        spawn_local(async move {
            match read_chosen_file(&ev, "a Scalelab scenario").await {
                Ok(text) => accept.with_value(|a| a(text, true)),
                Err(e) => notice.set(Some(e)),
            }
        });
    };

    // A measured instance profile from `scalelab calibrate`, loaded from a file.
    let profile_label: RwSignal<Option<String>> = RwSignal::new(None);
    let on_profile_file = move |ev: leptos::ev::Event| {
        spawn_local(async move {
            let outcome = read_chosen_file(&ev, "a profile from scalelab calibrate").await.and_then(|text| {
                let mut s = scenario.get_untracked().ok_or_else(|| "no scenario to apply it to".to_string())?;
                let label = edit::apply_measured_profile(&mut s, &text).map_err(|e| e.to_string())?;
                Ok((s, label))
            });
            match outcome {
                Ok((s, label)) => {
                    profile_label.set(Some(label));
                    match s.to_json_pretty() {
                        Ok(text) => accept.with_value(|a| a(text, true)),
                        Err(e) => notice.set(Some(not_json(&e))),
                    }
                }
                Err(message) => field_error.set(Some(FieldError { path: "instance profile".into(), message })),
            }
        });
    };
    let description = move || scenario.with(|s| s.as_ref().map(|s| s.description.clone()).unwrap_or_default());
    let field_msg = move |path_part: &'static str| {
        move || field_error.with(|e| e.as_ref().filter(|e| e.path.contains(path_part)).map(|e| e.to_string()))
    };
    let export_text = move || {
        let f = match export_format.get().as_str() {
            "boto3" => Format::Boto3,
            "cloudformation" => Format::CloudFormation,
            "cdk" => Format::Cdk,
            "json" => Format::Json,
            _ => Format::Cli,
        };
        scenario.with(|s| {
            s.as_ref()
                .map(|s| scalelab_core::export::export(s, f).unwrap_or_else(|e| format!("The export failed: {e}")))
                .unwrap_or_default()
        })
    };

    let groups: Vec<&'static str> = {
        let mut g: Vec<&'static str> = Vec::new();
        for e in examples::EXAMPLES {
            if !g.contains(&e.group) {
                g.push(e.group);
            }
        }
        g
    };

    view! {
        <div class="page" class:dark=move || dark.get() class:big=move || big.get()>
            <header>
                <h1>"Scalelab"</h1>
                <p class="tagline">"What will a SageMaker endpoint do under this traffic and this scaling policy, and what will it cost?"</p>
                <div class="toggles">
                    <label><input type="checkbox" prop:checked=move || dark.get() on:change=move |_| dark.update(|d| *d = !*d)/>" Dark"</label>
                    <label><input type="checkbox" prop:checked=move || big.get() on:change=move |_| big.update(|b| *b = !*b)/>" Larger text"</label>
                </div>
            </header>
            {move || notice.get().map(|n| view! { <div class="notice" role="alert" id="notice">{n}</div> })}
            <main>
                <section class="editor" aria-label="Scenario">
                    <label class="field">"Preset"
                        <select id="preset" on:change=on_preset>
                            {groups.into_iter().map(|g| view! {
                                <optgroup label=g>
                                    {examples::EXAMPLES.iter().filter(|e| e.group == g).map(|e| {
                                        let name = e.name;
                                        view! { <option value=name selected=move || scenario.with(|s| s.as_ref().is_some_and(|s| s.name == name))>{name}</option> }
                                    }).collect_view()}
                                </optgroup>
                            }).collect_view()}
                        </select>
                    </label>
                    <p class="description" id="description">{description}</p>
                    <fieldset>
                        <legend>"Run and traffic"</legend>
                        <canvas class="preview" node_ref=preview_canvas id="traffic-preview" role="img"
                            aria-label=move || peak.get().map(|p| format!("Offered traffic over the run, peaking at {} requests per second", chartdata::fmt_num(p))).unwrap_or_default()></canvas>
                        <label class="field">"Peak rate (req/s): scales the whole traffic shape"
                            <input id="peak-rps" type="number" min="0" step="any" prop:value=move || peak.get().map(|p| format!("{}", (p * 1000.0).round() / 1000.0)).unwrap_or_default() on:change=on_peak/>
                        </label>
                        <p class="field-error" role="alert">{move || field_error.with(|e| e.as_ref().filter(|e| e.path == "traffic").map(|e| e.to_string()))}</p>
                        {crate::formview::traffic_forms(checked, field_error, apply_edit)}
                    </fieldset>
                    <fieldset>
                        <legend>"Endpoint"</legend>
                        {crate::formview::endpoint_forms(checked, field_error, apply_edit)}
                        <p class="field-error" role="alert">{field_msg("instance profile")}</p>
                        <label class="button">"Use a measured instance profile…"
                            <input id="instance-profile" type="file" accept=".json,application/json" class="hidden-file" on:change=on_profile_file/>
                        </label>
                        {move || profile_label.get().map(|l| view! { <p class="hint" id="profile-label">{l}</p> })}
                    </fieldset>
                    <fieldset>
                        <legend>"Scaling (Application Auto Scaling)"</legend>
                        {crate::formview::scaling_forms(checked, field_error, scaling_said, apply_edit)}
                        <label class="field">"Paste AWS JSON (PutScalingPolicy, RegisterScalableTarget, PutMetricAlarm, PutScheduledAction, or a whole scaling section)"
                            <textarea id="aws-paste" rows="6" spellcheck="false" prop:value=move || paste.get() on:input=on_paste_input></textarea>
                        </label>
                        <button id="aws-apply" on:click=on_paste_apply>"Apply to scenario"</button>
                        <div id="aws-result" role="status">
                            {move || match paste_result.get() {
                                Ok(s) if s.is_empty() => ().into_any(),
                                Ok(s) if paste_applied.get() => view! { <p class="ok">"Applied: " {s}</p> }.into_any(),
                                Ok(s) => view! { <p class="valid">"Valid. Apply adds or replaces: " {s}</p> }.into_any(),
                                Err(errs) => view! {
                                    <ul class="problems">{errs.into_iter().map(|e| view! { <li><code>{e.path.clone()}</code>" " {e.message.clone()}</li> }).collect_view()}</ul>
                                }.into_any(),
                            }}
                        </div>
                    </fieldset>
                    <fieldset>
                        <legend>"Randomness"</legend>
                        <label class="field">"Seed"
                            <input id="seed" type="number" min="0" prop:value=move || scenario.with(|s| s.as_ref().and_then(|s| s.seed).unwrap_or(scalelab_core::plan::DEFAULT_SEED).to_string()) on:change=on_seed/>
                        </label>
                        <p class="field-error" role="alert">{field_msg("seed")}</p>
                    </fieldset>
                    <details open>
                        <summary>"Scenario JSON"</summary>
                        <textarea id="scenario-json" rows="18" spellcheck="false" aria-label="Scenario JSON"
                            prop:value=move || json.get() on:input=on_json_input></textarea>
                        <ul class="problems" id="problems" role="alert">
                            {move || problems.get().into_iter().map(|p| view! { <li>{p}</li> }).collect_view()}
                        </ul>
                        <div class="row">
                            <button on:click=move |_| download("scenario.json", "application/json", &json.get_untracked())>"Download JSON"</button>
                            <label class="button">"Open JSON file…"<input type="file" accept=".json,application/json" class="hidden-file" on:change=on_import/></label>
                        </div>
                    </details>
                    <details>
                        <summary>"Export scaling configuration"</summary>
                        <select id="export-format" on:change=move |ev| export_format.set(event_target_value(&ev))>
                            <option value="cli">"AWS CLI"</option>
                            <option value="boto3">"boto3 (Python)"</option>
                            <option value="cloudformation">"CloudFormation"</option>
                            <option value="cdk">"CDK (TypeScript)"</option>
                            <option value="json">"JSON"</option>
                        </select>
                        <button on:click=move |_| copy_text(&export_text())>"Copy"</button>
                        <pre class="export" id="export">{export_text}</pre>
                    </details>
                </section>
                <section class="results" aria-label="Results">
                    <div class="toolbar">
                        <button id="copy-link" on:click=move |_| { let u = page_url(); copy_text(&u); share.set(u); }>"Copy link"</button>
                        <input id="share-link" readonly aria-label="Link to this scenario" prop:value=move || share.get()/>
                        <button id="pin" prop:disabled=move || run.with(|r| r.as_ref().is_none_or(|r| r.partial.is_some()))
                            on:click=move |_| baseline.set(run.get_untracked().filter(|r| r.partial.is_none()))>"Pin as baseline"</button>
                        {move || baseline.get().map(|b| view! {
                            <span class="baseline">"Comparing with " <b>{b.name.clone()}</b>
                                <button on:click=move |_| baseline.set(None)>"Clear"</button></span>
                        })}
                        <progress id="progress" max="1" prop:value=move || progress.get() class:idle=move || !running.get()></progress>
                        <span id="run-status" class="status"
                            data-run-ms=move || run.with(|r| r.as_ref().map_or(0.0, |r| r.wall_ms)).to_string()
                            data-draw-ms=move || draw_ms.get().to_string()
                            data-first-charts-ms=move || first_charts_ms.get().map(|t| t.to_string()).unwrap_or_default()
                            data-edit-to-charts-ms=move || edit_to_charts_ms.get().to_string()
                            data-edit-to-first-ms=move || edit_to_first_ms.get().to_string()
                            data-wasm-memory=move || run.with(|r| r.as_ref().map_or(0.0, |r| r.wasm_memory_bytes)).to_string()
                            data-running=move || running.get().to_string()
                            data-worker=uses_worker.to_string()>
                            {move || if running.get() { "simulating…".to_string() } else {
                                run.with(|r| r.as_ref().map(|r| format!("{} events · simulated in {:.0} ms · drawn in {:.0} ms",
                                    chartdata::fmt_num(r.events as f64), r.wall_ms, draw_ms.get())).unwrap_or_default())
                            }}</span>
                    </div>
                    {move || run.with(|r| r.as_ref().and_then(|r| r.partial)).map(|p| view! {
                        <p class="hint so-far" id="so-far">{format!("So far: the first {:.0} % of the run; the figures below grow until it ends.", p * 100.0)}</p>
                    })}
                    <div class="cards" id="summary" class:partial=move || run.with(|r| r.as_ref().is_some_and(|r| r.partial.is_some()))>
                        {move || run.get().map(|r| {
                            let base = baseline.get().filter(|_| r.partial.is_none());
                            r.cards.iter().enumerate().map(|(k, c)| {
                                let diff = base.as_ref().and_then(|b| b.cards.get(k)).and_then(|b| summary::difference(b, c));
                                view! {
                                    <div class="card" data-card=c.id.clone()>
                                        <div class="label">{c.label.clone()}</div>
                                        <div class="value">{c.value.clone()}</div>
                                        {diff.map(|(t, better)| view! { <div class="diff" class:better=better class:worse=!better>{t}</div> })}
                                    </div>
                                }
                            }).collect_view()
                        })}
                    </div>
                    <div class="charts">
                        {CHART_IDS.iter().enumerate().map(|(k, id)| {
                            let node = canvases.get(k).copied().unwrap_or_default();
                            let chart = move || run.with(|r| r.as_ref().and_then(|r| r.charts.charts.iter().find(|c| c.id == *id).cloned()));
                            let x_end = move || run.with(|r| r.as_ref().map_or(1.0, |r| r.charts.x_end));
                            // The cursor's line over this chart, placed by CSS.
                            // (Set through the CSSOM: the content-security policy refuses style attributes.)
                            let cursor_left = move || {
                                let w = node.get().map_or(0.0, |c| f64::from(c.client_width()));
                                cursor.get().and_then(|t| chartdata::cursor_left(t, w, x_end()))
                            };
                            view! {
                                <figure class="chart">
                                    <figcaption>{move || chart().map(|c| format!("{} ({})", c.title, c.unit)).unwrap_or_default()}</figcaption>
                                    <div class="plot">
                                    <div class="cursor-line" aria-hidden="true"
                                        style:left=move || cursor_left().map(|x| format!("{x:.1}px")).unwrap_or_default()
                                        style:display=move || if cursor_left().is_some() { "block" } else { "none" }></div>
                                    <canvas node_ref=node id=format!("chart-{id}") role="img"
                                        aria-label=move || chart().map(|c| c.aria_label()).unwrap_or_default()
                                        on:mousemove=move |ev: leptos::ev::MouseEvent| {
                                            let w = node.get().map_or(0.0, |c| f64::from(c.client_width()));
                                            cursor.set(draw::time_at(f64::from(ev.offset_x()), w, x_end()));
                                        }
                                        on:mouseleave=move |_| cursor.set(None)
                                        tabindex="0"
                                        on:keydown=move |ev: leptos::ev::KeyboardEvent| {
                                            if let Some(t) = chartdata::cursor_key(&ev.key(), ev.shift_key(), cursor.get_untracked(), x_end()) {
                                                ev.prevent_default();
                                                cursor.set(Some(t));
                                            }
                                        }></canvas>
                                    </div>
                                    <button class="link" on:click=move |_| if let Some(c) = chart() { download(&format!("{}.csv", c.id), "text/csv", &c.csv()) }>"Data (CSV)"</button>
                                </figure>
                            }
                        }).collect_view()}
                    </div>
                    <div class="cursor-readout" role="status">{move || cursor.get().map(|t| format!("cursor at {}", fmt_clock(t)))}</div>
                    <section class="log" aria-label="Scaling activities">
                        <h2>"Scaling activities"</h2>
                        <ol id="activities">
                            {move || run.get().map(|r| r.activities.iter().map(|a| {
                                let t = a.at_secs;
                                let status = a.status.clone();
                                let text = a.description.clone();
                                view! { <li><button class="activity" on:click=move |_| cursor.set(Some(t))>
                                    <span class="when">{fmt_clock(t)}</span>" "<span class="status">{status}</span>" "{text}</button></li> }
                            }).collect_view())}
                        </ol>
                        <h2>"Alarm history"</h2>
                        <ol id="alarms">
                            {move || run.get().map(|r| r.alarms.iter().map(|line| {
                                let line = line.clone();
                                view! { <li>{line}</li> }
                            }).collect_view())}
                        </ol>
                    </section>
                </section>
            </main>
        </div>
    }
}

/// The sentence shown when a scenario cannot be written as JSON (nothing typed is lost).
fn not_json(e: &serde_json::Error) -> String {
    format!("The scenario could not be written as JSON ({e}); the last accepted version is kept.")
}
