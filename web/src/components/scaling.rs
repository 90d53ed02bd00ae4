//! The scaling configuration: its forms, and AWS JSON pasted in (checked as it is typed,
//! against a copy of the scenario).

use leptos::prelude::*;

use crate::edit::{self, FieldError};
use crate::formview;
use crate::state::PageState;

#[component]
pub fn ScalingPanel() -> impl IntoView {
    let state = expect_context::<PageState>();
    let paste = RwSignal::new(String::new());
    let paste_result: RwSignal<Result<String, Vec<FieldError>>> = RwSignal::new(Ok(String::new()));
    let paste_applied = RwSignal::new(false);
    let on_paste_apply = move |_| {
        let Some(mut s) = state.scenario_copy() else { return };
        let r = edit::apply_aws_json(&mut s, &paste.get_untracked());
        if r.is_ok() {
            state.accept_scenario(&s, true);
        }
        paste_applied.set(r.is_ok());
        paste_result.set(r);
    };
    let on_paste_input = move |ev: leptos::ev::Event| {
        let text = event_target_value(&ev);
        paste.set(text.clone());
        paste_applied.set(false);
        if text.trim().is_empty() {
            paste_result.set(Ok(String::new()));
        } else if let Some(mut s) = state.scenario_copy() {
            paste_result.set(edit::apply_aws_json(&mut s, &text));
        }
    };
    view! {
        <fieldset>
            <legend>"Scaling (Application Auto Scaling)"</legend>
            <formview::ScalingForms/>
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
    }
}
