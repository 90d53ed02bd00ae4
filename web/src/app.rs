//! The page: presets, forms and the scenario JSON on the left; summary, charts and the activity
//! log on the right. Every edit re-simulates (the previous run is cancelled) and rewrites the
//! link in the address bar without adding a history entry. `App` makes the `PageState`,
//! provides it to the components, opens the link, and lays the components out.

use leptos::prelude::*;

use crate::components::{ActivityLog, Cards, Charts, Editor, Header, Toolbar};
use crate::state::PageState;

#[component]
pub fn App() -> impl IntoView {
    let state = PageState::new();
    provide_context(state);
    state.open_link();
    let PageState { dark, big, notice, presenter, .. } = state;
    view! {
        <div class="page" class:dark=move || dark.get() class:big=move || big.get() class:presenter=move || presenter.get()>
            <Header/>
            {move || notice.get().map(|n| view! { <div class="notice" role="alert" id="notice">{n}</div> })}
            <main>
                <Editor/>
                <section class="results" aria-label="Results">
                    <Toolbar/>
                    <Cards/>
                    <Charts/>
                    <ActivityLog/>
                </section>
            </main>
        </div>
    }
}
