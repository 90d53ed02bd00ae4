//! The "Rightsize" view: the lab's form, its progress, seed 004's scatter (max RPS against price
//! per hour, with the counts for the maximum and the frontier), the latency of each type at its
//! maximum, the table sorted by cost, the recommendation with its tuned policy and the search it
//! explored, a selected type's load-test curves, and "Open as scenario".

use leptos::html::Canvas;
use leptos::prelude::*;
use scalelab_core::fmt::fmt_num;
use scalelab_core::rightsize::Rightsizing;

use crate::browser;
use crate::lab::{self, LabInputs, XyPlot};
use crate::labclient::{LabRunner, LabSignals};
use crate::state::PageState;

/// Which view the page shows.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Tab {
    Simulate,
    Rightsize,
}

/// The lab's state, in context.
#[derive(Clone, Copy)]
pub struct LabState {
    pub tab: RwSignal<Tab>,
    pub inputs: RwSignal<LabInputs>,
    pub signals: LabSignals,
    pub selected: RwSignal<Option<String>>,
    runner: StoredValue<LabRunner, LocalStorage>,
}

impl LabState {
    pub fn new() -> LabState {
        let signals = LabSignals {
            result: RwSignal::new(None),
            running: RwSignal::new(false),
            status: RwSignal::new(String::new()),
            error: RwSignal::new(None),
            wall_ms: RwSignal::new(None),
        };
        LabState {
            tab: RwSignal::new(Tab::Simulate),
            inputs: RwSignal::new(LabInputs::default()),
            signals,
            selected: RwSignal::new(None),
            runner: StoredValue::new_local(LabRunner::new(signals)),
        }
    }

    /// Opens the lab from a link's `lab=` value and runs it; a broken value is named in the
    /// page's notice and the defaults are shown.
    pub fn open_from_link(&self, state: &PageState, value: &str) {
        self.tab.set(Tab::Rightsize);
        match LabInputs::from_param(value) {
            Ok(i) => self.inputs.set(i),
            Err(e) => state.notice.set(Some(format!("{e}; the lab shows its defaults."))),
        }
        self.run(state);
    }

    /// Runs the lab on the form's inputs and puts them in the link.
    pub fn run(&self, state: &PageState) {
        let inputs = self.inputs.get_untracked();
        let scenario = state.scenario_copy();
        match inputs.request(scenario.as_ref()) {
            Ok(req) => {
                self.selected.set(None);
                self.runner.with_value(|r| r.start(req));
            }
            Err(e) => self.signals.error.set(Some(e)),
        }
        browser::set_lab_fragment(&state.json.get_untracked(), Some(&inputs.to_param()));
    }

    pub fn stop(&self) {
        self.runner.with_value(LabRunner::stop);
    }

    pub fn show(&self, state: &PageState, tab: Tab) {
        self.tab.set(tab);
        let lab = (tab == Tab::Rightsize).then(|| self.inputs.get_untracked().to_param());
        browser::set_lab_fragment(&state.json.get_untracked(), lab.as_deref());
    }
}

/// The two tabs above the page's main area.
#[component]
pub fn Tabs() -> impl IntoView {
    let state = expect_context::<PageState>();
    let lab = expect_context::<LabState>();
    let tab = lab.tab;
    let button = move |t: Tab, id: &'static str, text: &'static str| {
        view! {
            <button role="tab" id=id aria-selected=move || (tab.get() == t).to_string() class:active=move || tab.get() == t
                on:click=move |_| lab.show(&state, t)>{text}</button>
        }
    };
    view! {
        <nav class="tabs" role="tablist" aria-label="Views">
            {button(Tab::Simulate, "tab-simulate", "Simulate")}
            {button(Tab::Rightsize, "tab-rightsize", "Rightsize")}
        </nav>
    }
}

/// A plot on a canvas with a hover target per point (its figures in `title`, selectable).
#[component]
fn Plot(plot: Signal<Option<XyPlot>>, #[prop(optional)] select: Option<Callback<String>>) -> impl IntoView {
    let state = expect_context::<PageState>();
    let canvas = NodeRef::<Canvas>::new();
    let spots = RwSignal::new(Vec::<(f64, f64, String)>::new());
    Effect::new(move |_| {
        let style = state.style();
        let Some(p) = plot.get() else { return };
        let Some(c) = canvas.get() else { return };
        if let Ok(drawn) = crate::labdraw::draw_xy(&c, &p, style) {
            spots.set(
                drawn
                    .into_iter()
                    .filter_map(|(si, pi, x, y)| {
                        let tip = p.series.get(si)?.tips.get(pi)?.clone();
                        Some((x, y, tip))
                    })
                    .collect(),
            );
        }
    });
    let title = move || plot.get().map(|p| p.title).unwrap_or_default();
    let id = move || plot.get().map(|p| p.id).unwrap_or_default();
    let legend = move || {
        plot.get().map(|p| {
            p.series
                .iter()
                .map(|s| {
                    let class = format!("key c{}", s.color % 4);
                    view! { <span class=class>{s.name.clone()}</span> }
                })
                .collect_view()
        })
    };
    view! {
        <figure class="xy" id=id hidden=move || plot.get().is_none()>
            <figcaption>{title}" "<span class="legend">{legend}</span></figcaption>
            <div class="xy-area">
                <canvas node_ref=canvas id=move || format!("{}-canvas", id()) role="img" aria-label=title></canvas>
                {move || spots.get().into_iter().map(|(x, y, tip)| {
                    let label = tip.clone();
                    let pick = tip.split(':').next().unwrap_or_default().trim().to_string();
                    view! {
                        <button class="spot" title=tip.clone() aria-label=label style:left=format!("{x}px") style:top=format!("{y}px")
                            on:click=move |_| if let Some(cb) = select { cb.run(pick.clone()) }></button>
                    }
                }).collect_view()}
            </div>
        </figure>
    }
}

/// The lab's form.
#[component]
fn LabForm() -> impl IntoView {
    let state = expect_context::<PageState>();
    let lab = expect_context::<LabState>();
    let inputs = lab.inputs;
    let running = lab.signals.running;
    let models: Vec<&'static str> = scalelab_core::profile::builtin_models().iter().map(|m| m.name).collect();
    let types = move || {
        scalelab_core::profile::builtin_model(&inputs.get().model)
            .map(|m| m.instance_types().map(str::to_string).collect::<Vec<_>>())
            .unwrap_or_default()
    };
    let number = |text: String| text.trim().parse::<f64>().ok();
    view! {
        <form class="lab-form" on:submit=move |ev| { ev.prevent_default(); lab.run(&state); }>
            <label>"Model "
                <select id="lab-model" disabled=move || inputs.get().use_scenario on:change=move |ev| { let m = event_target_value(&ev); inputs.update(|i| { i.model = m; i.types.clear(); }); }>
                    {models.into_iter().map(|m| view! { <option value=m selected=move || inputs.get().model == m>{m}</option> }).collect_view()}
                </select>
            </label>
            <fieldset disabled=move || inputs.get().use_scenario>
                <label>"Minimum RPS "<input id="lab-min" type="number" min="0" step="any" prop:value=move || inputs.get().min_rps.to_string()
                    on:change=move |ev| if let Some(v) = number(event_target_value(&ev)) { inputs.update(|i| i.min_rps = v) }/></label>
                <label>"Maximum RPS "<input id="lab-max" type="number" min="0" step="any" prop:value=move || inputs.get().max_rps.to_string()
                    on:change=move |ev| if let Some(v) = number(event_target_value(&ev)) { inputs.update(|i| i.max_rps = v) }/></label>
            </fieldset>
            <label>"Latency objective "<input id="lab-latency" type="text" placeholder="e.g. p99:500ms (empty: errors only)" prop:value=move || inputs.get().latency
                on:change=move |ev| { let v = event_target_value(&ev); inputs.update(|i| i.latency = v) }/></label>
            <label class="check"><input id="lab-use-scenario" type="checkbox" prop:checked=move || inputs.get().use_scenario
                on:change=move |_| inputs.update(|i| i.use_scenario = !i.use_scenario)/>" Use this scenario's traffic"</label>
            <label class="check"><input id="lab-tune" type="checkbox" prop:checked=move || inputs.get().tune
                on:change=move |_| inputs.update(|i| i.tune = !i.tune)/>" Tune a scaling policy"</label>
            <label class="check" hidden=move || { let i = inputs.get(); !i.use_scenario && !lab::runs_serverless(&i.model) }>
                <input id="lab-serverless" type="checkbox" prop:checked=move || inputs.get().serverless
                    on:change=move |_| inputs.update(|i| i.serverless = !i.serverless)/>" Serverless memory sizes (1–6 GB)"</label>
            <p class="hint" hidden=move || !inputs.get().use_scenario>"The scenario's own model on every instance type it has a profile for, sized for the scenario's lowest and highest rate and tuned on its traffic; its sloLatency is the p99 objective unless one is given here."</p>
            <fieldset class="lab-types" hidden=move || inputs.get().use_scenario>
                <legend>"Instance types"</legend>
                {move || types().into_iter().map(|t| {
                    let t2 = t.clone();
                    let t3 = t.clone();
                    view! {
                        <label class="check"><input type="checkbox"
                            prop:checked=move || { let i = inputs.get(); i.types.is_empty() || i.types.contains(&t2) }
                            on:change=move |_| inputs.update(|i| {
                                let all = types();
                                if i.types.is_empty() { i.types = all.clone(); }
                                if let Some(k) = i.types.iter().position(|x| *x == t3) { i.types.remove(k); } else { i.types.push(t3.clone()); }
                                if i.types.len() == all.len() { i.types.clear(); }
                            })/>{format!(" {t}")}</label>
                    }
                }).collect_view()}
            </fieldset>
            <div class="lab-actions">
                <button id="lab-run" type="submit" class="primary">"Rightsize"</button>
                <button id="lab-stop" type="button" disabled=move || !running.get() on:click=move |_| lab.stop()>"Stop"</button>
            </div>
        </form>
    }
}

fn usd(v: f64) -> String {
    format!("${:.3}", v)
}

/// The recommendation, its policy and "Open as scenario".
#[component]
fn Recommendation(result: Signal<Option<Rightsizing>>) -> impl IntoView {
    let state = expect_context::<PageState>();
    let lab = expect_context::<LabState>();
    let open = move |_| {
        let Some(s) = result.get_untracked().and_then(|r| r.scenario) else { return };
        lab.tab.set(Tab::Simulate);
        browser::set_lab_fragment(&state.json.get_untracked(), None);
        state.accept_scenario(&s, true);
    };
    move || {
        let r = result.get()?;
        let rec = r.recommendation.clone()?;
        let done = r.stage == "done";
        let policy = r.tuning.clone().map(|t| {
            view! {
                <p class="lab-policy">"Scaling policy: target tracking on SageMakerVariantInvocationsPerInstance, "
                    <strong>{format!("TargetValue {}", fmt_num(t.target_value))}</strong>
                    {format!(", MinCapacity {}, MaxCapacity {}, ScaleInCooldown {} s, ScaleOutCooldown {} s. ", rec.instances_for_min_rps, rec.instances_for_max_rps, t.scale_in_cooldown, t.scale_out_cooldown)}
                    {t.note.clone()}
                    {format!(" Cost on the traffic: ${:.2}", t.cost_usd)}
                    {t.guidance_cost_usd.map(|g| format!(" (AWS's guidance, target {}: ${g:.2}).", fmt_num(t.guidance_target_value)))}
                </p>
            }
        });
        Some(view! {
            <div class="lab-recommendation" id="lab-recommendation">
                <h3>"Recommendation"</h3>
                <p class="big-answer">{format!("{} × {} for {} RPS ({}/h), {} for {} RPS ({}/h)",
                    rec.instances_for_min_rps, rec.instance_type, fmt_num(r.min_rps), usd(rec.cost_per_hour_at_min),
                    rec.instances_for_max_rps, fmt_num(r.max_rps), usd(rec.cost_per_hour_at_max))}</p>
                {match (rec.cost_per_million_at_min, rec.cost_per_million_at_max) {
                    (Some(a), Some(b)) => Some(view! { <p>{format!("Cost per million inferences: ${a:.2} at the minimum, ${b:.2} at the maximum.")}</p> }),
                    _ => None,
                }}
                {rec.linear_estimate.clone().map(|l| view! { <p class="lab-linear">{format!("Seed 004's linear estimate: {}.", l.note)}</p> })}
                {policy}
                <button id="lab-open" class="primary" disabled=move || !done on:click=open>"Open as scenario"</button>
            </div>
        })
    }
}

/// The serverless answer: a memory size and MaxConcurrency, its cost on the traffic beside the
/// tuned instance policy's, and "Open as scenario".
#[component]
fn ServerlessAnswer(result: Signal<Option<Rightsizing>>) -> impl IntoView {
    let state = expect_context::<PageState>();
    let lab = expect_context::<LabState>();
    let open = move |_| {
        let Some(s) = result.get_untracked().and_then(|r| r.serverless).and_then(|s| s.scenario) else { return };
        lab.tab.set(Tab::Simulate);
        browser::set_lab_fragment(&state.json.get_untracked(), None);
        state.accept_scenario(&s, true);
    };
    move || {
        let r = result.get()?;
        let sl = r.serverless.clone()?;
        let done = r.stage == "done";
        Some(view! {
            <div class="lab-recommendation" id="lab-serverless-answer">
                <h3>"Serverless"</h3>
                <p class="big-answer">{format!("ServerlessConfig: MemorySizeInMB {}, MaxConcurrency {}{}", sl.memory_size_in_mb, sl.max_concurrency, if sl.meets { "" } else { " (did not hold)" })}</p>
                <p>{sl.note.clone()}</p>
                <button id="lab-open-serverless" disabled=move || !done on:click=open>"Open as scenario"</button>
            </div>
        })
    }
}

/// The table of configurations sorted by cost at the maximum.
#[component]
fn ConfigTable(result: Signal<Option<Rightsizing>>) -> impl IntoView {
    let lab = expect_context::<LabState>();
    move || {
        let r = result.get()?;
        let rows = r.by_cost()
            .into_iter()
            .map(|c| {
                let t = c.instance_type.clone();
                let pick = t.clone();
                let chosen = r.recommendation.as_ref().is_some_and(|x| x.instance_type == t);
                let sel = t.clone();
                view! {
                    <tr class:chosen=chosen class:selected=move || lab.selected.get().as_deref() == Some(sel.as_str())>
                        <th scope="row"><button class="link" on:click=move |_| lab.selected.set(Some(pick.clone()))>{t.clone()}</button>
                            {c.frontier.then_some(" ◆")}</th>
                        <td>{usd(c.price_per_hour)}</td>
                        <td>{if c.load_test.is_some() || c.serverless.is_some() { format!("{:.1}", c.max_rps) } else { "…".into() }}</td>
                        <td>{c.cost_per_million().map_or("-".into(), |v| format!("${v:.2}"))}</td>
                        <td>{lab::count_text(c.for_min.as_ref())}</td>
                        <td>{lab::count_text(c.for_max.as_ref())}</td>
                        <td>{c.cost_at_max().map_or("-".into(), usd)}</td>
                        <td class="muted">{c.problem.clone().unwrap_or_default()}</td>
                    </tr>
                }
            })
            .collect_view();
        Some(view! {
            <div class="table-wrap">
                <table class="lab-table" id="lab-table">
                    <caption>{format!("{} for {}–{} RPS, cheapest first; ◆ on the price/performance frontier; click a type for its load test{}", r.model, fmt_num(r.min_rps), fmt_num(r.max_rps),
                        if r.configurations.iter().any(|c| c.serverless.is_some()) { ". Serverless rows: the counts are MaxConcurrency, $/h is one environment busy for an hour, $/h at the maximum the billed inference" } else { "" })}</caption>
                    <thead><tr><th scope="col">"Configuration"</th><th scope="col">"$/h"</th><th scope="col">"Max RPS (one)"</th><th scope="col">"$ per 1M"</th>
                        <th scope="col">"For the minimum"</th><th scope="col">"For the maximum"</th><th scope="col">"$/h at the maximum"</th><th scope="col"></th></tr></thead>
                    <tbody>{rows}</tbody>
                </table>
            </div>
        })
    }
}

/// Each type's ModelLatency at its maximum, as bars (seed 004's optional latency plot).
#[component]
fn LatencyBars(result: Signal<Option<Rightsizing>>) -> impl IntoView {
    move || {
        let r = result.get()?;
        let bars = lab::latency_bars(&r);
        if bars.is_empty() {
            return None;
        }
        Some(view! {
            <figure class="lab-bars" id="lab-bars">
                <figcaption>"ModelLatency at each type's maximum (p50 · p90 · p99, ms)"</figcaption>
                {bars.into_iter().map(|b| view! {
                    <div class="bar-row">
                        <span class="bar-name">{b.instance_type.clone()}</span>
                        <span class="bar" style:width=format!("{:.1}%", b.width * 70.0)></span>
                        <span class="bar-figures">{format!("{} · {} · {}", fmt_num(b.p50.round()), fmt_num(b.p90.round()), fmt_num(b.p99.round()))}</span>
                    </div>
                }).collect_view()}
            </figure>
        })
    }
}

#[component]
pub fn RightsizeView() -> impl IntoView {
    let lab = expect_context::<LabState>();
    let s = lab.signals;
    let result: Signal<Option<Rightsizing>> = s.result.into();
    let scatter = Signal::derive(move || {
        result.get().filter(|r| r.configurations.iter().any(|c| c.load_test.is_some())).map(|r| lab::scatter(&r))
    });
    let tuning = Signal::derive(move || result.get().and_then(|r| lab::tuning_curve(&r)));
    let selected_config = move || {
        let r = result.get()?;
        let t = lab.selected.get().or_else(|| r.recommendation.as_ref().map(|x| x.instance_type.clone()))?;
        let c = r.configurations.iter().find(|c| c.instance_type == t)?.clone();
        lab::step_curves(&c, r.objective)
    };
    let answered = Signal::derive(move || selected_config().map(|p| p.0));
    let latency = Signal::derive(move || selected_config().map(|p| p.1));
    let select = Callback::new(move |tip: String| {
        // A tip starts with "<count> × <type>".
        if let Some(t) = tip.split('×').nth(1).map(|t| t.trim().to_string()) {
            lab.selected.set(Some(t));
        }
    });
    view! {
        <section class="lab" aria-label="Rightsizing lab">
            <div class="lab-intro">
                <h2>"Rightsize an endpoint"</h2>
                <p>"Load-test the model on each instance type in simulation, find the smallest count for the minimum and the maximum load (checked by simulating it), pick the cheapest, and tune a target-tracking policy on the traffic — seed 004's workflow and Inference Recommender's, in seconds."</p>
            </div>
            <LabForm/>
            <p class="lab-status" role="status" id="lab-status" data-wall-ms=move || s.wall_ms.get().map(|ms| format!("{ms:.0}"))>
                {move || s.status.get()}
                {move || s.wall_ms.get().map(|ms| format!(" in {:.1} s", ms / 1000.0))}
                {move || result.get().map(|r| format!(" · {} simulated requests", fmt_num(r.simulated_requests as f64)))}
            </p>
            {move || s.error.get().map(|e| view! { <p class="notice" role="alert" id="lab-error">{e}</p> })}
            <Recommendation result=result/>
            <ServerlessAnswer result=result/>
            <div class="lab-plots">
                <Plot plot=scatter select=select/>
                <LatencyBars result=result/>
            </div>
            <ConfigTable result=result/>
            <div class="lab-plots">
                <Plot plot=answered/>
                <Plot plot=latency/>
            </div>
            <Plot plot=tuning/>
            {move || result.get().filter(|r| !r.notes.is_empty()).map(|r| view! {
                <ul class="lab-notes">{r.notes.into_iter().map(|n| view! { <li>{n}</li> }).collect_view()}</ul>
            })}
        </section>
    }
}
