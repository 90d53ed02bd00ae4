//! The forms on the page (traffic, endpoint, scaling), as components reading the `PageState`:
//! one card per entry (`forms::forms`), a row of buttons that add an entry of each kind, and
//! step tables. Cards and fields are keyed, so an edit updates
//! the values in place and keyboard focus stays where it was.

use leptos::prelude::*;
use scalelab_core::Scenario;

use crate::edit::FieldError;
use crate::forms::{self, Entry, Field, Form, Kind, Path, Template};
use crate::state::PageState;

/// What a card's control asks for; the page applies it to the scenario.
pub trait Apply: Fn(&dyn Fn(&mut Scenario) -> Result<(), FieldError>) + Copy + Send + Sync + 'static {}
impl<F: Fn(&dyn Fn(&mut Scenario) -> Result<(), FieldError>) + Copy + Send + Sync + 'static> Apply for F {}

/// Runs `f` with the accepted scenario's plan (an edit's scenario is a copy of that scenario).
fn with_plan<T>(
    state: PageState,
    f: impl FnOnce(&scalelab_core::Plan) -> Result<T, FieldError>,
) -> Result<T, FieldError> {
    let c = state
        .checked
        .get_untracked()
        .ok_or_else(|| FieldError { path: "scaling".into(), message: "fix the scenario's problems first".into() })?;
    f(&c.plan)
}

/// The page's way to apply an edit, for the cards' controls.
fn apply_of(state: PageState) -> impl Apply {
    move |f: &dyn Fn(&mut Scenario) -> Result<(), FieldError>| state.apply_edit(f)
}

/// The forms `read` makes of the accepted scenario and its plan, recomputed at each edit.
fn forms_of(state: PageState, read: fn(&scalelab_core::Plan, &Scenario) -> Vec<Form>) -> Memo<Vec<Form>> {
    Memo::new(move |_| state.checked.with(|c| c.as_ref().map(|c| read(&c.plan, &c.scenario)).unwrap_or_default()))
}

fn entry_key(e: Entry) -> String {
    format!("{e:?}")
}

/// The value a field shows now (the memo is re-read, so kept rows update in place).
fn current(all: Memo<Vec<Form>>, path: &str) -> String {
    all.with(|forms| {
        forms
            .iter()
            .flat_map(|f| f.fields.iter().chain(f.steps.iter().flatten()))
            .find(|f| f.path == path)
            .map(|f| f.value.clone())
            .unwrap_or_default()
    })
}

fn control(all: Memo<Vec<Form>>, f: Field, errors: RwSignal<Option<FieldError>>, apply: impl Apply) -> impl IntoView {
    let id = f.dom_id();
    let path = f.path.clone();
    let value = {
        let path = path.clone();
        move || current(all, &path)
    };
    let set = {
        let f = f.clone();
        move |text: String| {
            let f = f.clone();
            apply(&move |s: &mut Scenario| forms::set_field(s, &f, &text));
        }
    };
    let input = match f.kind.clone() {
        Kind::Bool => view! {
            <input type="checkbox" id=id.clone() prop:checked=move || value() == "true"
                on:change=move |ev| set(if event_target_checked(&ev) { "true".into() } else { "false".into() })/>
        }
        .into_any(),
        Kind::Choice(list) => {
            let optional = f.optional;
            let value2 = value.clone();
            let list2 = list.clone();
            view! {
                <select id=id.clone() on:change=move |ev| set(event_target_value(&ev))>
                    {optional.then(|| view! { <option value="" selected=move || value2().is_empty()>"(AWS default)"</option> })}
                    {move || {
                        let v = value();
                        // A value outside the list (from pasted JSON) is still shown as it is.
                        let extra = (!v.is_empty() && !list2.contains(&v.as_str())).then(|| v.clone());
                        extra.into_iter().map(|x| view! { <option value=x.clone() selected=true>{x.clone()}</option> }.into_any())
                            .chain(list.iter().map(|o| {
                                let o = *o;
                                view! { <option value=o selected=v == o>{o}</option> }.into_any()
                            }))
                            .collect_view()
                    }}
                </select>
            }
            .into_any()
        }
        Kind::Labelled(list) => {
            let list2 = list.clone();
            view! {
                <select id=id.clone() on:change=move |ev| set(event_target_value(&ev))>
                    {move || {
                        let v = value();
                        let extra = (!v.is_empty() && !list2.iter().any(|(x, _)| *x == v)).then(|| v.clone());
                        extra.into_iter().map(|x| view! { <option value=x.clone() selected=true>{x.clone()}</option> }.into_any())
                            .chain(list.iter().map(|(o, label)| {
                                view! { <option value=o.clone() selected=v == *o>{label.clone()}</option> }.into_any()
                            }))
                            .collect_view()
                    }}
                </select>
            }
            .into_any()
        }
        Kind::Text => view! {
            <input type="text" id=id.clone() spellcheck="false" prop:value=value on:change=move |ev| set(event_target_value(&ev))/>
        }
        .into_any(),
        Kind::Count | Kind::Signed | Kind::Number => {
            let min = (f.kind == Kind::Count).then_some("0");
            view! {
                <input type="number" id=id.clone() step="any" min=min placeholder=f.optional.then_some("default")
                    prop:value=value on:change=move |ev| set(event_target_value(&ev))/>
            }
            .into_any()
        }
    };
    let error = move || errors.with(|e| e.as_ref().filter(|e| e.path == path).map(|e| e.message.clone()));
    // Long option names (instance types with their prices, metric names) take the whole row.
    let wide = match &f.kind {
        Kind::Labelled(_) => true,
        Kind::Choice(list) => list.iter().any(|o| o.len() > 22),
        _ => false,
    };
    let class = match (&f.kind, wide) {
        (Kind::Bool, _) => "field check",
        (_, true) => "field wide",
        _ => "field",
    };
    view! {
        <label class=class>{f.label.clone()}{input}
            {move || error().map(|m| view! { <span class="field-error" role="alert">{m}</span> })}
        </label>
    }
}

/// The rows of a form: a step policy's adjustments or a traffic shape's phases or steps, with
/// buttons to add and remove rows.
fn rows_table(
    all: Memo<Vec<Form>>,
    form: Form,
    errors: RwSignal<Option<FieldError>>,
    apply: impl Apply,
) -> impl IntoView {
    #[derive(Clone)]
    enum Rows {
        Steps(usize),
        List(Path),
    }
    let rows_kind = match (&form.entry, &form.rows_path) {
        (Entry::Policy(p), _) => Rows::Steps(*p),
        (_, Some(list)) => Rows::List(list.clone()),
        _ => return ().into_any(),
    };
    let key = entry_key(form.entry);
    let rows = move || {
        all.with(|forms| forms.iter().find(|f| entry_key(f.entry) == key).map(|f| f.steps.clone()).unwrap_or_default())
    };
    let headers: Vec<String> =
        form.steps.first().map(|r| r.iter().map(|f| f.label.clone()).collect()).unwrap_or_default();
    let caption = match rows_kind {
        Rows::Steps(_) => "Step adjustments (bounds relative to the alarm threshold; empty = unbounded)",
        Rows::List(_) => "",
    };
    let (kind_rm, kind_add) = (rows_kind.clone(), rows_kind.clone());
    let each = move || rows().into_iter().enumerate().collect::<Vec<_>>();
    let row_key = |(k, row): &(usize, Vec<Field>)| (*k, row.len());
    let row_view = move |(k, row): (usize, Vec<Field>)| {
        let kind = kind_rm.clone();
        view! {
            <tr>
                {row.into_iter().map(|f| view! { <td>{control(all, f, errors, apply)}</td> }).collect_view()}
                <td><button class="link" aria-label=format!("Remove row {}", k + 1) title="Remove this row"
                    on:click=move |_| {
                        let kind = kind.clone();
                        apply(&move |s: &mut Scenario| match &kind {
                            Rows::Steps(p) => forms::remove_step(s, *p, k),
                            Rows::List(list) => forms::remove_row(s, list, k),
                        });
                    }>"✕"</button></td>
            </tr>
        }
    };
    let add_id = match &rows_kind {
        Rows::Steps(p) => format!("add-step-{p}"),
        Rows::List(list) => format!("add-row-{}", list.to_string().replace(['.', '[', ']'], "-")),
    };
    view! {
        <table class="steps">
            {(!caption.is_empty()).then(|| view! { <caption>{caption}</caption> })}
            <thead><tr>{headers.into_iter().map(|h| view! { <th>{h}</th> }).collect_view()}<th></th></tr></thead>
            <tbody>
                <For each=each key=row_key children=row_view/>
            </tbody>
        </table>
        <button class="small" id=add_id on:click=move |_| {
            let kind = kind_add.clone();
            apply(&move |s: &mut Scenario| match &kind {
                Rows::Steps(p) => forms::add_step(s, *p),
                Rows::List(list) => forms::add_row(s, list),
            });
        }>{match rows_kind { Rows::Steps(_) => "Add a step", Rows::List(_) => "Add a row" }}</button>
    }
    .into_any()
}

/// The forms of `all` as keyed cards.
fn cards(
    all: Memo<Vec<Form>>,
    errors: RwSignal<Option<FieldError>>,
    said: RwSignal<Option<String>>,
    apply: impl Apply,
) -> impl IntoView {
    let card = move |form: Form| {
        let entry = form.entry;
        let prefix = form.prefix.clone();
        let own: Vec<String> = form.fields.iter().chain(form.steps.iter().flatten()).map(|f| f.path.clone()).collect();
        // A problem inside the card that no field shows (a gap between steps, a missing alarm).
        let card_error = move || {
            errors.with(|e| {
                e.as_ref().filter(|e| e.path.starts_with(&prefix) && !own.contains(&e.path)).map(|e| e.to_string())
            })
        };
        let key = entry_key(entry);
        let note = move || {
            all.with(|forms| {
                forms.iter().find(|f| entry_key(f.entry) == key).map(|f| f.note.clone()).unwrap_or_default()
            })
        };
        let remove = form.removable.then(|| {
            let title = form.title.clone();
            view! {
                <button class="link remove" aria-label=format!("Remove {title}") on:click=move |_| {
                    apply(&move |s: &mut Scenario| forms::remove(s, entry).map(|m| said.set(Some(m))));
                }>"Remove"</button>
            }
        });
        let rows = (!form.steps.is_empty()).then(|| rows_table(all, form.clone(), errors, apply));
        // A variant on a built-in model: copy its profile inline to edit it.
        let inline = match entry {
            Entry::Variant(v) if form.fields.iter().any(|f| f.path.ends_with(".model")) => Some(view! {
                <button class="small" id=format!("inline-profile-{v}") on:click=move |_| {
                    apply(&move |s: &mut Scenario| forms::inline_profile(s, v).map(|m| said.set(Some(m))));
                }>"Edit the serving profile"</button>
            }),
            _ => None,
        };
        view! {
            <div class="policy" data-entry=entry_key(entry)>
                <div class="policy-head"><span class="kind">{form.kind}</span>" "<b>{form.title.clone()}</b>{remove}</div>
                {move || { let n = note(); (!n.is_empty()).then(|| view! { <p class="hint">{n}</p> }) }}
                <div class="grid">
                    {form.fields.iter().cloned().map(|f| control(all, f, errors, apply)).collect_view()}
                </div>
                {rows}
                {inline}
                {move || card_error().map(|m| view! { <p class="field-error" role="alert">{m}</p> })}
            </div>
        }
    };
    view! {
        <For each=move || all.get()
            // Same entry, same title, same fields: keep the card (and the focus in it).
            key=|f: &Form| (entry_key(f.entry), f.kind, f.title.clone(), f.fields.len(), f.steps.len())
            children=card/>
    }
}

/// The run's fields and the traffic's shapes, with a picker that replaces the shape.
#[component]
pub fn TrafficForms() -> impl IntoView {
    let state = expect_context::<PageState>();
    let apply = apply_of(state);
    let all = forms_of(state, |_, s| forms::traffic_forms(s));
    let said = RwSignal::new(None::<String>);
    view! {
        <label class="field">"Shape: replace the traffic with one sized to the same peak"
            <select id="traffic-shape" on:change=move |ev| {
                let id = event_target_value(&ev);
                if !id.is_empty() {
                    apply(&move |s: &mut Scenario| with_plan(state, |plan| forms::set_shape(s, plan, &id)));
                }
            }>
                <option value="" selected=true>"Choose a shape…"</option>
                {forms::SHAPES.iter().map(|(id, label)| view! { <option value=*id>{*label}</option> }).collect_view()}
            </select>
        </label>
        {cards(all, state.field_error, said, apply)}
    }
}

/// Every scaling entry as a card, and buttons adding new ones; the sentence an add or remove
/// returns is shown below them.
#[component]
pub fn ScalingForms() -> impl IntoView {
    let state = expect_context::<PageState>();
    let apply = apply_of(state);
    let all = forms_of(state, |_, s| forms::forms(s));
    let said = state.scaling_said;
    view! {
        {cards(all, state.field_error, said, apply)}
        {move || all.with(Vec::is_empty).then(|| view! { <p class="hint">"No scaling yet: the instance count stays as it is. Add a policy below, or paste AWS JSON."</p> })}
        <div class="add-row" role="group" aria-label="Add to the scaling configuration">
            <span class="hint">"Add:"</span>
            {Template::ALL.into_iter().map(|t| view! {
                <button class="small" id=format!("add-{}", t.id()) on:click=move |_| {
                    apply(&move |s: &mut Scenario| with_plan(state, |plan| forms::add(s, plan, t)).map(|m| said.set(Some(m))));
                }>{t.label()}</button>
            }).collect_view()}
        </div>
        {move || said.get().map(|m| view! { <p class="ok" role="status" id="scaling-said">{m}</p> })}
    }
}

/// Each variant of the endpoint as a card.
#[component]
pub fn EndpointForms() -> impl IntoView {
    let state = expect_context::<PageState>();
    let all = forms_of(state, |plan, s| forms::endpoint_forms(s, plan));
    let said = RwSignal::new(None::<String>);
    view! {
        {cards(all, state.field_error, said, apply_of(state))}
        {move || said.get().map(|m| view! { <p class="ok" role="status">{m}</p> })}
    }
}
