//! The scenario as JSON: typed text is accepted at every keystroke (or its problems listed),
//! downloaded, or opened from a file.

use leptos::prelude::*;
use leptos::task::spawn_local;

use crate::browser::{download, read_chosen_file};
use crate::state::PageState;

#[component]
pub fn ScenarioSource() -> impl IntoView {
    let state = expect_context::<PageState>();
    let PageState { json, problems, .. } = state;
    let on_json_input = move |ev: leptos::ev::Event| state.accept(event_target_value(&ev), true);
    let on_import = move |ev: leptos::ev::Event| {
        spawn_local(async move {
            match read_chosen_file(&ev, "a Scalelab scenario").await {
                Ok(text) => state.accept(text, true),
                Err(e) => state.notice.set(Some(e)),
            }
        });
    };
    view! {
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
    }
}
