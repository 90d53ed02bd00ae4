//! The endpoint's variants, and a measured instance profile (from `scalelab calibrate`)
//! loaded from a file.

use leptos::prelude::*;
use leptos::task::spawn_local;

use crate::browser::read_chosen_file;
use crate::edit::{self, FieldError};
use crate::formview;
use crate::state::PageState;

#[component]
pub fn EndpointPanel() -> impl IntoView {
    let state = expect_context::<PageState>();
    let profile_label: RwSignal<Option<String>> = RwSignal::new(None);
    let on_profile_file = move |ev: leptos::ev::Event| {
        spawn_local(async move {
            let outcome = read_chosen_file(&ev, "a profile from scalelab calibrate").await.and_then(|text| {
                let mut s = state.scenario_copy().ok_or_else(|| "no scenario to apply it to".to_string())?;
                let label = edit::apply_measured_profile(&mut s, &text).map_err(|e| e.to_string())?;
                Ok((s, label))
            });
            match outcome {
                Ok((s, label)) => {
                    profile_label.set(Some(label));
                    state.accept_scenario(&s, true);
                }
                Err(message) => state.field_error.set(Some(FieldError { path: "instance profile".into(), message })),
            }
        });
    };
    view! {
        <fieldset>
            <legend>"Endpoint"</legend>
            <formview::EndpointForms/>
            <p class="field-error" role="alert">{state.field_message("instance profile")}</p>
            <label class="button">"Use a measured instance profile…"
                <input id="instance-profile" type="file" accept=".json,application/json" class="hidden-file" on:change=on_profile_file/>
            </label>
            {move || profile_label.get().map(|l| view! { <p class="hint" id="profile-label">{l}</p> })}
        </fieldset>
    }
}
