//! The summary cards, with their difference from the pinned baseline, and the "so far" line
//! while a run goes.

use leptos::prelude::*;

use crate::state::PageState;
use crate::summary;

#[component]
pub fn Cards() -> impl IntoView {
    let PageState { run, baseline, .. } = expect_context::<PageState>();
    view! {
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
    }
}
