//! Above the results: the share link, pinning a baseline, the run's progress and its status
//! line (whose data attributes carry the timings `cargo xtask bench-web` reads); on narrow
//! screens, where the results come first, a button down to the scenario's editor; then the
//! playback bar (`Playback`).

use leptos::prelude::*;

use super::playback::Playback;
use crate::browser::{copy_text, page_url};
use crate::chartdata;
use crate::state::PageState;

/// Scrolls the scenario's editor into view (it follows the results on narrow screens).
fn to_editor() {
    let editor =
        web_sys::window().and_then(|w| w.document()).and_then(|d| d.query_selector("section.editor").ok().flatten());
    if let Some(e) = editor {
        e.scroll_into_view();
    }
}

/// The page's address with its scenario in the short form (the preset's name and the
/// differences) where that is shorter; the address bar keeps the full form.
fn short_url(url: &str) -> String {
    match url.split_once('#') {
        Some((base, fragment)) => match crate::link::shorten(fragment) {
            Some(short) => format!("{base}{short}"),
            None => url.to_string(),
        },
        None => url.to_string(),
    }
}

#[component]
pub fn Toolbar() -> impl IntoView {
    let state = expect_context::<PageState>();
    let PageState { run, baseline, progress, running, timings, .. } = state;
    let share = RwSignal::new(String::new());
    let uses_worker = state.uses_worker();
    view! {
        <div class="toolbar">
            <button id="copy-link" on:click=move |_| { let u = short_url(&page_url()); copy_text(&u); share.set(u); }>"Copy link"</button>
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
                data-draw-ms=move || timings.draw_ms.get().to_string()
                data-first-charts-ms=move || timings.first_charts_ms.get().map(|t| t.to_string()).unwrap_or_default()
                data-edit-to-charts-ms=move || timings.edit_to_charts_ms.get().to_string()
                data-edit-to-first-ms=move || timings.edit_to_first_ms.get().to_string()
                data-wasm-memory=move || run.with(|r| r.as_ref().map_or(0.0, |r| r.wasm_memory_bytes)).to_string()
                data-running=move || running.get().to_string()
                data-worker=uses_worker.to_string()>
                {move || if running.get() { "simulating…".to_string() } else {
                    run.with(|r| r.as_ref().map(|r| format!("{} events · simulated in {:.0} ms · drawn in {:.0} ms",
                        chartdata::fmt_num(r.events as f64), r.wall_ms, timings.draw_ms.get())).unwrap_or_default())
                }}</span>
            <button class="to-editor" on:click=move |_| to_editor()>"Edit the scenario ↓"</button>
        </div>
        <Playback/>
    }
}
