//! Playback and the presenter view's switch, under the toolbar: play/pause, the speed, the
//! cursor's clock, and the page-wide keys (`playback::page_key`). Playing moves the shared
//! cursor once per animation frame; the charts veil what follows it (`Charts`), so a frame
//! redraws no canvas. The loop stops by itself at the end of the run, on pause, or when a
//! newer play starts (each play has its own number, and an older loop sees it is stale).

use leptos::prelude::*;
use wasm_bindgen::JsCast;

use crate::browser::now_ms;
use crate::playback::{self, Focus, PageKey, Playback as Mode, fmt_hms, speed_label};
use crate::state::PageState;

/// The length of the shown run, if there is one (untracked).
fn run_end(state: PageState) -> Option<f64> {
    state.run.try_with_untracked(|r| r.as_ref().map(|r| r.charts.x_end)).flatten()
}

/// One frame of a playback: moves the cursor by the real time since the last frame, then asks
/// for the next frame, unless the playback ended, was paused or was replaced by a newer one.
fn frame(state: PageState, plays: StoredValue<u64>, mine: u64, last_ms: f64) {
    request_animation_frame(move || {
        if plays.try_get_value() != Some(mine) || state.playback.try_get_untracked() != Some(Mode::Playing) {
            return;
        }
        let Some(end) = run_end(state) else {
            state.playback.set(Mode::Off);
            return;
        };
        let now = now_ms();
        let at = state.cursor.try_get_untracked().flatten().unwrap_or(0.0);
        let (t, ended) = playback::advance(at, now - last_ms, state.speed.try_get_untracked().unwrap_or(0), end);
        state.cursor.set(Some(t));
        if ended {
            state.playback.set(Mode::Off);
        } else {
            frame(state, plays, mine, now);
        }
    });
}

/// Starts playing, or pauses.
fn play_pause(state: PageState, plays: StoredValue<u64>) {
    if state.playback.get_untracked() == Mode::Playing {
        state.playback.set(Mode::Paused);
        return;
    }
    let Some(end) = run_end(state) else { return };
    state.cursor.set(Some(playback::start_at(state.cursor.get_untracked(), end)));
    state.playback.set(Mode::Playing);
    let mine = plays.get_value().wrapping_add(1);
    plays.set_value(mine);
    frame(state, plays, mine, now_ms());
}

/// Where the keyboard focus is, from a key event's target.
fn focus_of(target: Option<web_sys::EventTarget>) -> Focus {
    let Some(el) = target.and_then(|t| t.dyn_into::<web_sys::HtmlElement>().ok()) else { return Focus::Other };
    if el.is_content_editable() {
        return Focus::Text;
    }
    match el.tag_name().to_ascii_lowercase().as_str() {
        "textarea" | "select" => Focus::Text,
        "input" => {
            let kind = el.get_attribute("type").unwrap_or_default().to_ascii_lowercase();
            if matches!(kind.as_str(), "checkbox" | "radio" | "button" | "submit" | "reset" | "file" | "color") {
                Focus::Control
            } else {
                Focus::Text
            }
        }
        "button" | "a" | "summary" => Focus::Control,
        "canvas" => Focus::Chart,
        _ => Focus::Other,
    }
}

#[component]
pub fn Playback() -> impl IntoView {
    let state = expect_context::<PageState>();
    let PageState { run, cursor, playback: mode, speed, presenter, .. } = state;
    let plays = StoredValue::new(0u64);

    let on_key = window_event_listener(leptos::ev::keydown, move |ev: web_sys::KeyboardEvent| {
        if ev.default_prevented() || ev.is_composing() {
            return;
        }
        let modifier = ev.ctrl_key() || ev.alt_key() || ev.meta_key();
        let end = run_end(state);
        let key = playback::page_key(
            &ev.key(),
            ev.shift_key(),
            modifier,
            focus_of(ev.target()),
            cursor.get_untracked(),
            end.unwrap_or(0.0),
        );
        let handled = match key {
            None => false,
            Some(PageKey::PlayPause) => {
                play_pause(state, plays);
                true
            }
            Some(PageKey::Cursor(t)) => {
                end.is_some() && {
                    cursor.set(Some(t));
                    true
                }
            }
            Some(PageKey::Slower) => {
                speed.update(|s| *s = playback::change_speed(*s, false));
                true
            }
            Some(PageKey::Faster) => {
                speed.update(|s| *s = playback::change_speed(*s, true));
                true
            }
            Some(PageKey::TogglePresenter) => {
                presenter.update(|p| *p = !*p);
                true
            }
            Some(PageKey::LeavePresenter) => {
                let on = presenter.get_untracked();
                if on {
                    presenter.set(false);
                }
                on
            }
        };
        if handled {
            ev.prevent_default();
        }
    });
    on_cleanup(move || on_key.remove());
    // Entering or leaving the presenter view starts at the top of the page.
    Effect::new(move |previous: Option<bool>| {
        let on = presenter.get();
        if previous.is_some_and(|p| p != on)
            && let Some(w) = web_sys::window()
        {
            w.scroll_to_with_x_and_y(0.0, 0.0);
        }
        on
    });

    let playing = move || mode.get() == Mode::Playing;
    let no_run = move || run.with(|r| r.is_none());
    let clock = move || cursor.get().map_or_else(|| "–:––:––".to_string(), fmt_hms);
    let length =
        move || run.with(|r| r.as_ref().map(|r| format!(" of {}", fmt_hms(r.charts.x_end)))).unwrap_or_default();
    view! {
        <div class="playback" role="group" aria-label="Playback">
            <button id="play" class="play" aria-label="Play" aria-pressed=move || playing().to_string()
                aria-keyshortcuts="Space" title="Play or pause (Space)"
                prop:disabled=no_run on:click=move |_| play_pause(state, plays)>
                <span class="icon" aria-hidden="true">{move || if playing() { "❚❚" } else { "▶" }}</span>
                " Play"
            </button>
            <span class="speed">
                <button id="slower" class="small" aria-label="Slower" aria-keyshortcuts="[" title="Slower ([)"
                    prop:disabled={move || speed.get() == 0}
                    on:click=move |_| speed.update(|s| *s = playback::change_speed(*s, false))>"−"</button>
                <span id="speed" aria-live="polite"><span class="sr-only">"Speed "</span>{move || speed_label(speed.get())}</span>
                <button id="faster" class="small" aria-label="Faster" aria-keyshortcuts="]" title="Faster (])"
                    prop:disabled={move || speed.get() + 1 >= playback::SPEEDS.len()}
                    on:click=move |_| speed.update(|s| *s = playback::change_speed(*s, true))>"+"</button>
            </span>
            <span id="clock" class="clock" role="timer" class:veiled=move || mode.get().is_on()>
                <span class="sr-only">"Cursor at "</span>{clock}<span class="of">{length}</span>
            </span>
            <span class="keys">"Space play · ←/→ a minute · [ ] speed · p presenter"</span>
            <button id="presenter-toggle" aria-pressed=move || presenter.get().to_string()
                aria-keyshortcuts="p" title="Presenter view for a projector (p; Escape leaves it)"
                on:click=move |_| presenter.update(|p| *p = !*p)>"Presenter view"</button>
        </div>
    }
}
