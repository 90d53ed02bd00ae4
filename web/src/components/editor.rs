//! The scenario's side of the page: the preset, its description, the run and traffic, the
//! endpoint, the scaling, the seed, the scenario JSON and the scaling export.

use leptos::prelude::*;
use scalelab_core::{Scenario, examples};

use super::endpoint::EndpointPanel;
use super::export::ExportPanel;
use super::scaling::ScalingPanel;
use super::source::ScenarioSource;
use super::traffic::TrafficPanel;
use crate::edit::FieldError;
use crate::state::PageState;

#[component]
pub fn Editor() -> impl IntoView {
    let state = expect_context::<PageState>();
    let groups: Vec<&'static str> = {
        let mut g: Vec<&'static str> = Vec::new();
        for e in examples::EXAMPLES {
            if !g.contains(&e.group) {
                g.push(e.group);
            }
        }
        g
    };
    let on_preset = move |ev: leptos::ev::Event| {
        let name = event_target_value(&ev);
        if let Some(e) = examples::EXAMPLES.iter().find(|e| e.name == name) {
            state.notice.set(None);
            state.scaling_said.set(None);
            state.accept(e.json.to_string(), true);
        }
    };
    let is_preset =
        move || state.with_scenario(|s| s.is_none_or(|s| examples::EXAMPLES.iter().any(|e| e.name == s.name)));
    let description = move || state.with_scenario(|s| s.map(|s| s.description.clone()).unwrap_or_default());
    view! {
        <section class="editor" aria-label="Scenario">
            <label class="field">"Preset"
                <select id="preset" on:change=on_preset>
                    // A scenario that is no preset (opened from a link, the lab, or edited JSON)
                    // is named as such rather than shown as the first preset.
                    <option value="" disabled selected=move || !is_preset() hidden=is_preset>
                        {move || state.with_scenario(|s| format!("your scenario: {}", s.map(|s| s.name.as_str()).filter(|n| !n.is_empty()).unwrap_or("unnamed")))}
                    </option>
                    {groups.into_iter().map(|g| view! {
                        <optgroup label=g>
                            {examples::EXAMPLES.iter().filter(|e| e.group == g).map(|e| {
                                let name = e.name;
                                view! { <option value=name selected=move || state.with_scenario(|s| s.is_some_and(|s| s.name == name))>{name}</option> }
                            }).collect_view()}
                        </optgroup>
                    }).collect_view()}
                </select>
            </label>
            <p class="description" id="description">{description}</p>
            <TrafficPanel/>
            <EndpointPanel/>
            <ScalingPanel/>
            <Seed/>
            <ScenarioSource/>
            <ExportPanel/>
        </section>
    }
}

/// The seed is part of the scenario, so a link carries it and gives the same numbers.
#[component]
fn Seed() -> impl IntoView {
    let state = expect_context::<PageState>();
    let on_seed = move |ev: leptos::ev::Event| {
        let text = event_target_value(&ev);
        state.apply_edit(&move |s: &mut Scenario| {
            let n: u64 = text.trim().parse().map_err(|_| FieldError {
                path: "seed".into(),
                message: format!("\"{}\" is not a whole number", text.trim()),
            })?;
            s.seed = Some(n);
            Ok(())
        });
    };
    let seed = move || {
        state.with_scenario(|s| s.and_then(|s| s.seed).unwrap_or(scalelab_core::plan::DEFAULT_SEED).to_string())
    };
    view! {
        <fieldset>
            <legend>"Randomness"</legend>
            <label class="field">"Seed"
                <input id="seed" type="number" min="0" prop:value=seed on:change=on_seed/>
            </label>
            <p class="field-error" role="alert">{state.field_message("seed")}</p>
        </fieldset>
    }
}
