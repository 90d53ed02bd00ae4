//! The lessons panel: the list in the suggested workshop order with the progress kept in the
//! browser, and the open lesson: its question, the current step (which moves the charts'
//! cursor and marks the chart it names), the check question with its answer on request, the
//! takeaway and the AWS documentation it is about.

use leptos::prelude::*;
use scalelab_core::lesson::fill_or;

use crate::lessons::LessonState;
use crate::state::PageState;

#[component]
pub fn LessonsPanel() -> impl IntoView {
    let page = expect_context::<PageState>();
    let ls = expect_context::<LessonState>();
    let LessonState { current, step, revealed, list_open, done, .. } = ls;
    let total = ls.all.with_value(Vec::len);
    // The open lesson's text with the runs' numbers (… until a compared run is done).
    let facts = Memo::new(move |_| ls.facts(&page));
    let text = move |t: &str| facts.with(|f| fill_or(t, f, "…"));
    let list = move || {
        let mut part = String::new();
        ls.all.with_value(|all| {
            all.iter()
                .enumerate()
                .map(|(k, l)| {
                    let heading = (l.part != part).then(|| {
                        part = l.part.clone();
                        view! { <li class="lesson-part">{l.part.clone()}</li> }
                    });
                    let id = l.id.clone();
                    let is_done = Memo::new(move |_| done.with(|d| d.contains(&id)));
                    let label = format!("{}. {} ({} min)", k + 1, l.title, l.minutes);
                    view! {
                        {heading}
                        <li><button class="lesson-item" data-lesson=l.id.clone()
                            aria-current=move || (current.get() == Some(k)).then_some("true")
                            on:click=move |_| ls.open(&page, k, 0, None)>
                            <span class="done-mark" aria-label=move || if is_done.get() { "done" } else { "" }>{move || if is_done.get() { "✓ " } else { "" }}</span>
                            {label}</button></li>
                    }
                })
                .collect_view()
        })
    };
    view! {
        <section class="lessons" aria-label="Lessons">
            <div class="lessons-bar">
                <button id="lessons-toggle" aria-expanded=move || list_open.get().to_string()
                    on:click=move |_| list_open.update(|o| *o = !*o)>"Lessons"</button>
                <span class="lessons-progress">{move || format!("{} of {total} done", done.with(Vec::len))}</span>
            </div>
            <ol id="lesson-list" class="lesson-list" hidden=move || !list_open.get()>{list}</ol>
            {move || ls.lesson().map(|l| {
                let n = l.steps.len();
                let k = step.get().min(n.saturating_sub(1));
                let s = l.steps.get(k).cloned();
                let last = k + 1 >= n;
                let id = l.id.clone();
                let is_done = Memo::new(move |_| done.with(|d| d.contains(&id)));
                let docs = l.docs.clone();
                view! {
                    <article id="lesson" class="lesson-card" aria-labelledby="lesson-title">
                        <h2 id="lesson-title">{l.title.clone()}</h2>
                        <p class="lesson-question">{l.question.clone()}</p>
                        <p class="lesson-step-count">{format!("Step {} of {n}", k + 1)}</p>
                        <p id="lesson-step" aria-live="polite">{move || s.as_ref().map(|s| text(&s.text)).unwrap_or_default()}</p>
                        <div class="lesson-nav">
                            <button id="lesson-prev" prop:disabled=k == 0 on:click=move |_| ls.go(&page, k.saturating_sub(1))>"Previous"</button>
                            <button id="lesson-next" prop:disabled=last on:click=move |_| ls.go(&page, k + 1)>"Next"</button>
                            <button id="lesson-reset" on:click=move |_| ls.reset(&page)>"Reset lesson"</button>
                            <button id="lesson-close" on:click=move |_| ls.close(&page)>"Close"</button>
                        </div>
                        {last.then(|| {
                            let check = l.check.clone();
                            let takeaway = l.takeaway.clone();
                            view! {
                                <div class="lesson-check">
                                    <p id="lesson-check-question"><b>"Check: "</b>{let q = check.question.clone(); move || text(&q)}</p>
                                    <button id="lesson-reveal" aria-expanded=move || revealed.get().to_string()
                                        on:click=move |_| revealed.update(|r| *r = !*r)>
                                        {move || if revealed.get() { "Hide the answer" } else { "Show the answer" }}</button>
                                    <p id="lesson-answer" hidden=move || !revealed.get()>{let a = check.answer.clone(); move || text(&a)}</p>
                                    <p class="lesson-takeaway"><b>"Takeaway: "</b>{move || text(&takeaway)}</p>
                                    <label class="lesson-done"><input type="checkbox" id="lesson-done" prop:checked=move || is_done.get()
                                        on:change=move |ev| ls.set_done(event_target_checked(&ev))/>" Done"</label>
                                </div>
                            }
                        })}
                        <ol class="lesson-handout" aria-hidden="true">
                            {l.steps.iter().map(|st| { let t = st.text.clone(); view! { <li>{move || text(&t)}</li> } }).collect_view()}
                        </ol>
                        <ul class="lesson-docs">
                            {docs.into_iter().map(|d| view! { <li><a href=d.url.clone() target="_blank" rel="noopener">{d.title.clone()}</a></li> }).collect_view()}
                        </ul>
                    </article>
                }
            })}
        </section>
    }
}
