//! The run's charts: one canvas each, redrawn when the run, the baseline, the style or the
//! layout (presenter view, window size) change, each with its legend beside the plot. Over
//! each canvas, elements placed through the CSSOM (the content-security policy refuses style
//! attributes), so moving them redraws no canvas: the shared cursor's line, the playback's veil
//! over what follows the cursor, and on the instances chart a label per scaling activity (↑2,
//! ↓1) whose tooltip is the activity's sentence. In the presenter view only the charts of
//! `PageState::presenter_charts` show, in that order.

use leptos::html;
use leptos::prelude::*;

use crate::browser::{download, now_ms};
use crate::chartdata::{self, fmt_clock};
use crate::draw;
use crate::state::PageState;

/// The scaling-metric chart (`scaling`) exists only for runs whose scalers compute a metric
/// (metric math, percentiles); its figure is hidden otherwise.
const CHART_IDS: [&str; 8] = ["rate", "ipi", "scaling", "instances", "latency", "errors", "utilization", "cost"];
/// The chart whose top carries the activity markers' labels.
const MARKED: &str = "instances";
/// The least room between two marker labels on one lane (CSS pixels), and the most lanes.
const MARKER_GAP: f64 = 34.0;
const MARKER_LANES: usize = 3;

#[component]
pub fn Charts() -> impl IntoView {
    let state = expect_context::<PageState>();
    let PageState { run, baseline, cursor, timings, playback, presenter, presenter_charts, why, .. } = state;
    let canvases: Vec<NodeRef<html::Canvas>> = CHART_IDS.iter().map(|_| NodeRef::new()).collect();
    // Counts layout changes that resize the canvases; the charts are redrawn (and the markers
    // placed) after each, once the browser has laid the page out again.
    let layout = RwSignal::new(0u32);
    let relayout = move || {
        request_animation_frame(move || {
            let _ = layout.try_update(|n| *n = n.wrapping_add(1));
        })
    };
    Effect::new(move |_| {
        presenter.track();
        presenter_charts.track();
        relayout();
    });
    let resize_pending = StoredValue::new(false);
    let on_resize = window_event_listener(leptos::ev::resize, move |_| {
        if !resize_pending.get_value() {
            resize_pending.set_value(true);
            request_animation_frame(move || {
                resize_pending.set_value(false);
                let _ = layout.try_update(|n| *n = n.wrapping_add(1));
            });
        }
    });
    on_cleanup(move || on_resize.remove());
    {
        let canvases = canvases.clone();
        Effect::new(move |_| {
            let r = run.get();
            let b = baseline.get();
            layout.track();
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
            let present = r.charts.charts.iter().filter(|c| CHART_IDS.contains(&c.id.as_str())).count();
            if drawn == present {
                timings.charts_drawn(t1, r.partial.is_none());
            }
        });
    }
    let veiled = move || playback.get().is_on();
    view! {
        <div class="charts">
            {CHART_IDS.iter().enumerate().map(|(k, id)| {
                let node = canvases.get(k).copied().unwrap_or_default();
                let chart = move || run.with(|r| r.as_ref().and_then(|r| r.charts.charts.iter().find(|c| c.id == *id).cloned()));
                // Whether the run has this chart (the scaling metric's exists only for some runs).
                let present = move || run.with(|r| r.as_ref().is_some_and(|r| r.charts.charts.iter().any(|c| c.id == *id)));
                let caption = move || run.with(|r| r.as_ref().and_then(|r| r.charts.charts.iter().find(|c| c.id == *id)).map(|c| format!("{} ({})", c.title, c.unit))).unwrap_or_default();
                let legend = move || run.with(|r| r.as_ref().and_then(|r| r.charts.charts.iter().find(|c| c.id == *id)).map(|c| c.legend())).unwrap_or_default();
                let x_end = move || run.with(|r| r.as_ref().map_or(1.0, |r| r.charts.x_end));
                let width = move || node.get().map_or(0.0, |c| f64::from(c.client_width()));
                // The cursor's line over this chart, placed by CSS.
                let cursor_left = move || {
                    layout.track();
                    if !present() {
                        return None;
                    }
                    cursor.get().and_then(|t| chartdata::cursor_left(t, width(), x_end()))
                };
                let px = |x: Option<f64>| x.map(|x| format!("{x:.1}px")).unwrap_or_default();
                // "Why did it scale?": the periods the chosen activity's alarm evaluated, on the
                // chart of its metric.
                let bands = move || {
                    layout.track();
                    let k = why.get()?;
                    let e = run.with(|r| r.as_ref().and_then(|r| r.activities.get(k)).and_then(|a| a.evidence.clone()))?;
                    (chartdata::chart_of_evidence(&e.metric, &e.statistic) == *id).then(|| {
                        let (w, end) = (width(), x_end());
                        e.datapoints
                            .iter()
                            .filter_map(|&(start, v)| {
                                let (left, wide) = chartdata::period_band(start, e.period_secs as f64, w, end)?;
                                let breach = v.is_some_and(|v| e.breaches(v));
                                let value = v.map_or("missing".to_string(), |v| e.value_text(v));
                                let label = format!("{}: {value} from {}", e.alarm, fmt_clock(start));
                                Some((left, wide, breach, label))
                            })
                            .collect::<Vec<_>>()
                    })
                };
                let presenting = move || presenter.get() && presenter_charts.with(|l| l.iter().any(|c| c == id));
                // The presenter's order (in the presenter view only: elsewhere the page's).
                let order = move || presenting().then(|| presenter_charts.with(|l| l.iter().position(|c| c == id).map(|k| k.to_string()))).flatten().unwrap_or_default();
                view! {
                    <figure class="chart" data-chart=*id class:presenting=presenting style:order=order
                        hidden=move || !present()>
                        <figcaption>
                            <span class="title">{caption}</span>
                            <ul class="legend" aria-label="Legend">
                                {move || legend().into_iter().map(|(name, swatch)| view! {
                                    <li><span class=format!("swatch {swatch}") aria-hidden="true"></span>{name}</li>
                                }).collect_view()}
                                {move || baseline.with(|b| b.as_ref().map(|b| b.name.clone())).map(|name| view! {
                                    <li><span class="swatch base" aria-hidden="true"></span>{format!("baseline: {name}")}</li>
                                })}
                            </ul>
                        </figcaption>
                        {(*id == MARKED).then(|| view! { <Markers width=Signal::derive(move || { layout.track(); width() })/> })}
                        <div class="plot">
                            {move || bands().unwrap_or_default().into_iter().map(|(left, wide, breach, label)| view! {
                                <div class="evidence-band" class:breaching=breach title=label.clone() aria-label=label role="img"
                                    style:left=format!("{left:.1}px") style:width=format!("{wide:.1}px")></div>
                            }).collect_view()}
                            <div class="veil" aria-hidden="true"
                                style:left=move || px(if veiled() { cursor_left() } else { None })
                                style:display=move || if veiled() && cursor_left().is_some() { "block" } else { "none" }></div>
                            <div class="cursor-line" aria-hidden="true"
                                style:left=move || px(cursor_left())
                                style:display=move || if cursor_left().is_some() { "block" } else { "none" }></div>
                            <canvas node_ref=node id=format!("chart-{id}") role="img" tabindex="0"
                                aria-label=move || chart().map(|c| c.aria_label()).unwrap_or_default()
                                on:mousemove=move |ev: leptos::ev::MouseEvent| {
                                    // While a playback is on, the cursor is the playback's.
                                    if !playback.get_untracked().is_on() {
                                        cursor.set(draw::time_at(f64::from(ev.offset_x()), width(), x_end()));
                                    }
                                }
                                on:mouseleave=move |_| if !playback.get_untracked().is_on() { cursor.set(None) }></canvas>
                        </div>
                        <button class="link" on:click=move |_| if let Some(c) = chart() { download(&format!("{}.csv", c.id), "text/csv", &c.csv()) }>"Data (CSV)"</button>
                    </figure>
                }
            }).collect_view()}
        </div>
        <div class="cursor-readout" role="status" aria-live=move || if veiled() { "off" } else { "polite" }>
            {move || cursor.get().map(|t| format!("cursor at {}", fmt_clock(t)))}
        </div>
    }
}

/// The scaling activities' labels over the top of a chart `width` CSS pixels wide: one button
/// per activity that changed capacity, in lanes so that none overlaps another; hovering or
/// focusing one shows its sentence, clicking it puts the cursor there. During a playback the
/// labels after the cursor are hidden with the rest of the future.
#[component]
fn Markers(width: Signal<f64>) -> impl IntoView {
    let PageState { run, cursor, playback, why, .. } = expect_context::<PageState>();
    let placed = move || {
        let w = width.get();
        run.with(|r| {
            let Some(r) = r else { return Vec::new() };
            let end = r.charts.x_end;
            let marks: Vec<_> = r
                .charts
                .activities
                .iter()
                .filter_map(|m| chartdata::cursor_left(m.at_secs, w, end).map(|x| (m.clone(), x)))
                .collect();
            let xs: Vec<f64> = marks.iter().map(|(_, x)| *x).collect();
            let lanes = chartdata::marker_lanes(&xs, MARKER_GAP, MARKER_LANES);
            marks.into_iter().zip(lanes).map(|((m, x), lane)| (m, x, lane, x > w / 2.0)).collect::<Vec<_>>()
        })
    };
    let lanes = move || placed().iter().map(|p| p.2 + 1).max().unwrap_or(0);
    view! {
        <div class="markers" class:lanes-2={move || lanes() == 2} class:lanes-3={move || lanes() >= 3}
            class:empty={move || lanes() == 0}>
            {move || placed().into_iter().map(|(m, x, lane, right)| {
                let t = m.at_secs;
                let sentence = m.description.clone();
                let tip = m.tooltip();
                let name = m.accessible_name();
                let future = move || playback.get().is_on() && cursor.get().is_none_or(|c| c < t);
                view! {
                    <button class="marker" class:up=m.is_up() class:down=!m.is_up() class:right=right
                        class:lane-1={lane == 1} class:lane-2={lane >= 2} class:future=future
                        prop:disabled=future
                        style:left=format!("{x:.1}px") aria-label=name
                        on:click=move |_| {
                            cursor.set(Some(t));
                            // The same activity's "why did it scale?", when an alarm decided it.
                            let k = run.with_untracked(|r| r.as_ref().and_then(|r| {
                                r.activities.iter().position(|a| a.at_secs == t && a.description == sentence && a.evidence.is_some())
                            }));
                            if k.is_some() {
                                why.set(k);
                            }
                        }>
                        {m.label()}
                        <span class="tip" aria-hidden="true">{tip}</span>
                    </button>
                }
            }).collect_view()}
        </div>
    }
}
