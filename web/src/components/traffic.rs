//! The run and its traffic: a preview of the offered rate (from the accepted plan, redrawn at
//! every edit), the peak rate that scales the whole shape, and the traffic forms.

use leptos::html;
use leptos::prelude::*;
use scalelab_core::Scenario;

use crate::state::PageState;
use crate::{chartdata, draw, edit, formview};

#[component]
pub fn TrafficPanel() -> impl IntoView {
    let state = expect_context::<PageState>();
    let preview_canvas: NodeRef<html::Canvas> = NodeRef::new();
    let peak = RwSignal::new(None::<f64>);
    Effect::new(move |_| {
        let style = state.style();
        let Some(c) = state.checked.get() else { return };
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
    let on_peak = move |ev: leptos::ev::Event| {
        let v = event_target_value(&ev);
        state.apply_edit(&move |s: &mut Scenario| edit::set_peak_rps(s, &v));
    };
    let field_error = state.field_error;
    view! {
        <fieldset>
            <legend>"Run and traffic"</legend>
            <canvas class="preview" node_ref=preview_canvas id="traffic-preview" role="img"
                aria-label=move || peak.get().map(|p| format!("Offered traffic over the run, peaking at {} requests per second", chartdata::fmt_num(p))).unwrap_or_default()></canvas>
            <label class="field">"Peak rate (req/s): scales the whole traffic shape"
                <input id="peak-rps" type="number" min="0" step="any" prop:value=move || peak.get().map(|p| format!("{}", (p * 1000.0).round() / 1000.0)).unwrap_or_default() on:change=on_peak/>
            </label>
            <p class="field-error" role="alert">{move || field_error.with(|e| e.as_ref().filter(|e| e.path == "traffic").map(|e| e.to_string()))}</p>
            <formview::TrafficForms/>
        </fieldset>
    }
}
