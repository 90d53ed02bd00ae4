//! The page: presets, forms and the scenario JSON on the left; summary, charts and the activity
//! log on the right. Every edit re-simulates (the previous run is cancelled) and rewrites the
//! link in the address bar without adding a history entry. `App` makes the `PageState`,
//! provides it to the components, opens the link, and lays the components out.

use leptos::prelude::*;

use crate::browser;
use crate::components::{
    ActivityLog, Cards, Charts, Editor, Header, LabState, LessonsPanel, RightsizeView, Tab, Tabs, Toolbar,
};
use crate::lessons::LessonState;
use crate::link;
use crate::state::PageState;

#[component]
pub fn App() -> impl IntoView {
    let state = PageState::new();
    provide_context(state);
    let lessons = LessonState::new();
    provide_context(lessons);
    state.open_link();
    // A lesson link opens the lesson, over the link's own (edited) scenario when it has one.
    if let Some((id, step)) = link::lesson_param(&browser::fragment()) {
        let own = link::decode_fragment(&browser::fragment()).is_ok() && state.notice.get_untracked().is_none();
        lessons.open_from_link(&state, &id, step, if own { state.scenario_copy() } else { None });
    }
    lessons.follow_runs(state);
    let lab = LabState::new();
    provide_context(lab);
    if let Some(value) = crate::lab::lab_param(&browser::fragment()) {
        lab.open_from_link(&state, &value);
    }
    let tab = lab.tab;
    let PageState { dark, big, notice, presenter, .. } = state;
    view! {
        <div class="page" class:dark=move || dark.get() class:big=move || big.get() class:presenter=move || presenter.get()>
            <Header/>
            {move || notice.get().map(|n| view! { <div class="notice" role="alert" id="notice">{n}</div> })}
            <Tabs/>
            <Show when=move || tab.get() == Tab::Simulate fallback=|| view! { <main class="lab-main"><RightsizeView/></main> }>
                <main>
                    <Editor/>
                    <section class="results" aria-label="Results">
                        <LessonsPanel/>
                        <Toolbar/>
                        <Cards/>
                        <Charts/>
                        <ActivityLog/>
                    </section>
                </main>
            </Show>
        </div>
    }
}
