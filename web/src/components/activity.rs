//! The run's scaling activities and its alarm history. A click on an activity puts the charts'
//! cursor at its time and opens "why did it scale?": the alarm, the datapoints it evaluated
//! (each against the threshold), the policy's arithmetic, the limits and the cooldown. During a
//! playback, activities after the cursor are hidden with the rest of the run's future.

use leptos::prelude::*;
use scalelab_core::scaling::Evidence;

use crate::chartdata::fmt_clock;
use crate::state::PageState;

#[component]
pub fn ActivityLog() -> impl IntoView {
    let PageState { run, cursor, why, playback, .. } = expect_context::<PageState>();
    // During a playback the activities after the cursor are not told yet.
    let future = move |t: f64| playback.get().is_on() && cursor.get().is_none_or(|c| c < t);
    view! {
        <section class="log" aria-label="Scaling activities">
            <h2>"Scaling activities"</h2>
            <ol id="activities">
                {move || run.get().map(|r| r.activities.iter().enumerate().map(|(k, a)| {
                    let t = a.at_secs;
                    let status = a.status.clone();
                    let text = a.description.clone();
                    let has_why = a.evidence.is_some();
                    view! { <li hidden=move || future(t)><button class="activity" class:has-why=has_why
                        aria-pressed=move || (why.get() == Some(k)).to_string()
                        on:click=move |_| { cursor.set(Some(t)); why.set(Some(k)); }>
                        <span class="when">{fmt_clock(t)}</span>" "<span class="status">{status}</span>" "{text}</button></li> }
                }).collect_view())}
            </ol>
            <WhyPanel/>
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

/// "Why did it scale?" for the chosen activity.
#[component]
fn WhyPanel() -> impl IntoView {
    let PageState { run, why, .. } = expect_context::<PageState>();
    let chosen = move || {
        let k = why.get()?;
        run.with(|r| r.as_ref().and_then(|r| r.activities.get(k).cloned()))
    };
    move || {
        chosen().map(|a| {
            let at = fmt_clock(a.at_secs);
            let body = match a.evidence {
                Some(e) => evidence_view(&e).into_any(),
                None => view! { <p>"No alarm decided this one: " {a.description.clone()}</p> }.into_any(),
            };
            view! {
                <div id="why" class="why" role="region" aria-label="Why did it scale?">
                    <h3>{format!("Why did it scale at {at}?")}
                        <button class="link close" aria-label="Close" on:click=move |_| why.set(None)>"×"</button></h3>
                    {body}
                </div>
            }
        })
    }
}

fn evidence_view(e: &Evidence) -> impl IntoView + use<> {
    let rows: Vec<_> = e
        .datapoints
        .iter()
        .map(|&(start, v)| {
            let (value, breach) = match v {
                Some(v) => (e.value_text(v), if e.breaches(v) { "breaching" } else { "not breaching" }),
                None => ("missing".to_string(), "missing"),
            };
            view! { <tr class:breaching=breach == "breaching"><td>{fmt_clock(start.max(0.0))}</td><td>{value}</td><td>{breach}</td></tr> }
        })
        .collect();
    let threshold = e.value_text(e.threshold);
    let outcome = match (&e.not_scaled, &e.limited_by, e.desired) {
        (Some(reason), _, Some(d)) => format!("Not scaled: {reason} ({d} is the limit)."),
        (None, Some(by), Some(d)) => format!("It asked for {}, limited to {d} by {by}.", e.wanted),
        (_, _, Some(d)) => format!("It asked for {}: desired capacity {d}.", e.wanted),
        _ => format!("It asked for {}.", e.wanted),
    };
    let cooldown = e.cooldown.map(|c| format!("Cooldown: {c}."));
    view! {
        <p id="why-alarm">{format!(
            "Alarm {} read {} ({} per {} s). {} of {} datapoints {} {} ({} needed):",
            e.alarm, e.metric, e.statistic, e.period_secs, e.breaching, e.datapoints.len(), e.comparison, threshold, e.datapoints_to_alarm
        )}</p>
        <table id="why-datapoints" class="why-datapoints">
            <thead><tr><th scope="col">"Period from"</th><th scope="col">"Value"</th><th scope="col">"Against the threshold"</th></tr></thead>
            <tbody>{rows}</tbody>
        </table>
        <p id="why-formula">{format!("Policy {}: {}.", e.policy, e.formula())}</p>
        <p id="why-outcome">{outcome}</p>
        {cooldown.map(|c| view! { <p>{c}</p> })}
    }
}
