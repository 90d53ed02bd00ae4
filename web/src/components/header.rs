//! The page's title and the display toggles (dark, larger text).

use leptos::prelude::*;

use crate::state::PageState;

#[component]
pub fn Header() -> impl IntoView {
    let PageState { dark, big, .. } = expect_context::<PageState>();
    view! {
        <header>
            <h1>"Scalelab"</h1>
            <p class="tagline">"What will a SageMaker endpoint do under this traffic and this scaling policy, and what will it cost?"</p>
            <div class="toggles">
                <label><input type="checkbox" prop:checked=move || dark.get() on:change=move |_| dark.update(|d| *d = !*d)/>" Dark"</label>
                <label><input type="checkbox" prop:checked=move || big.get() on:change=move |_| big.update(|b| *b = !*b)/>" Larger text"</label>
            </div>
        </header>
    }
}
