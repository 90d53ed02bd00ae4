//! The run's scaling activities (a click puts the charts' cursor at its time) and its alarm
//! history.

use leptos::prelude::*;

use crate::chartdata::fmt_clock;
use crate::state::PageState;

#[component]
pub fn ActivityLog() -> impl IntoView {
    let PageState { run, cursor, .. } = expect_context::<PageState>();
    view! {
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
    }
}
