//! The run's charts: one canvas each, redrawn when the run, the baseline or the style change,
//! and the shared cursor as a line over each (placed through the CSSOM: the content-security
//! policy refuses style attributes), so moving it redraws no canvas.

use leptos::html;
use leptos::prelude::*;

use crate::browser::{download, now_ms};
use crate::chartdata::{self, fmt_clock};
use crate::draw;
use crate::state::PageState;

const CHART_IDS: [&str; 7] = ["rate", "ipi", "instances", "latency", "errors", "utilization", "cost"];

#[component]
pub fn Charts() -> impl IntoView {
    let state = expect_context::<PageState>();
    let PageState { run, baseline, cursor, timings, .. } = state;
    let canvases: Vec<NodeRef<html::Canvas>> = CHART_IDS.iter().map(|_| NodeRef::new()).collect();
    {
        let canvases = canvases.clone();
        Effect::new(move |_| {
            let r = run.get();
            let b = baseline.get();
            let style = state.style();
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
            timings.draw_ms.set(t1 - t0);
            if drawn == CHART_IDS.len() {
                timings.charts_drawn(t1, r.partial.is_none());
            }
        });
    }
    view! {
        <div class="charts">
            {CHART_IDS.iter().enumerate().map(|(k, id)| {
                let node = canvases.get(k).copied().unwrap_or_default();
                let chart = move || run.with(|r| r.as_ref().and_then(|r| r.charts.charts.iter().find(|c| c.id == *id).cloned()));
                let x_end = move || run.with(|r| r.as_ref().map_or(1.0, |r| r.charts.x_end));
                // The cursor's line over this chart, placed by CSS.
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
    }
}
