//! Playback of a finished (or still growing) run, as plain Rust: the speeds, how far the cursor
//! moves in a frame, where a playback starts, the clock readout, and what a key pressed anywhere
//! on the page asks for. `components::playback` wires these to the page.

use crate::chartdata::cursor_key;

/// Simulated seconds per real second, slowest first.
pub const SPEEDS: [f64; 6] = [60.0, 120.0, 300.0, 600.0, 1800.0, 3600.0];
/// 2 simulated minutes a second: a 2-hour run plays in a minute.
pub const DEFAULT_SPEED: usize = 1;
/// The most real time one frame may advance (a tab in the background gets no frames; coming
/// back must not jump the cursor by the whole absence).
pub const MAX_FRAME_MS: f64 = 100.0;

/// Whether a playback is on: while it is, the charts are veiled after the cursor and the
/// pointer does not move the cursor.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub enum Playback {
    /// No playback: the whole run is shown, the pointer moves the cursor.
    #[default]
    Off,
    Playing,
    /// Stopped part way: what follows the cursor stays hidden.
    Paused,
}

impl Playback {
    pub fn is_on(self) -> bool {
        self != Playback::Off
    }
}

/// The speed at `index`, clamped to the list.
pub fn speed_secs_per_sec(index: usize) -> f64 {
    SPEEDS.get(index).or(SPEEDS.last()).copied().unwrap_or(60.0)
}

/// "1 min/s", "30 min/s", "1 h/s".
pub fn speed_label(index: usize) -> String {
    let s = speed_secs_per_sec(index);
    if s >= 3600.0 { format!("{} h/s", s / 3600.0) } else { format!("{} min/s", s / 60.0) }
}

/// A slower (`faster == false`) or faster speed index, staying in the list.
pub fn change_speed(index: usize, faster: bool) -> usize {
    let top = SPEEDS.len() - 1;
    if faster { (index + 1).min(top) } else { index.min(top).saturating_sub(1) }
}

/// The cursor after `elapsed_ms` of real time at speed `index`, and whether it reached the end
/// of a run `x_end` seconds long.
pub fn advance(at: f64, elapsed_ms: f64, index: usize, x_end: f64) -> (f64, bool) {
    let elapsed = elapsed_ms.clamp(0.0, MAX_FRAME_MS) / 1000.0;
    let end = x_end.max(0.0);
    let t = (at + elapsed * speed_secs_per_sec(index)).clamp(0.0, end);
    (t, t >= end)
}

/// Where pressing play starts: at the cursor when it stands inside the run, else at the start.
pub fn start_at(cursor: Option<f64>, x_end: f64) -> f64 {
    cursor.filter(|t| *t >= 0.0 && *t < x_end).unwrap_or(0.0)
}

/// A clock for the readout: "0:45:30" (hours always shown, so the width never jumps).
pub fn fmt_hms(secs: f64) -> String {
    let s = if secs.is_finite() { secs.max(0.0) as u64 } else { 0 };
    format!("{}:{:02}:{:02}", s / 3600, (s % 3600) / 60, s % 60)
}

/// Where the keyboard focus is when a key is pressed.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Focus {
    /// A text field, a number field, a select or editable text: every key is its own.
    Text,
    /// A button, link, checkbox or the like: Space activates it, so Space is left to it.
    Control,
    /// A chart's canvas: Home and End move the cursor too.
    Chart,
    /// Anything else (the page itself).
    Other,
}

/// What a key pressed on the page asks for.
#[derive(Clone, Copy, Debug, PartialEq)]
pub enum PageKey {
    PlayPause,
    /// The cursor to this time.
    Cursor(f64),
    Slower,
    Faster,
    TogglePresenter,
    LeavePresenter,
}

/// The page-wide keys: Space plays or pauses, ← and → step the cursor (a minute; with Shift
/// ten), `[` and `]` change the speed, `p` switches the presenter view and Escape leaves it.
/// Nothing is taken from a text field, and no key with Ctrl, Alt or Meta (the browser's own).
pub fn page_key(
    key: &str,
    shift: bool,
    modifier: bool,
    focus: Focus,
    cursor: Option<f64>,
    x_end: f64,
) -> Option<PageKey> {
    if modifier || focus == Focus::Text {
        return None;
    }
    match key {
        " " | "Spacebar" if focus != Focus::Control => Some(PageKey::PlayPause),
        "ArrowLeft" | "ArrowRight" => cursor_key(key, shift, cursor, x_end).map(PageKey::Cursor),
        "Home" | "End" if focus == Focus::Chart => cursor_key(key, shift, cursor, x_end).map(PageKey::Cursor),
        "[" => Some(PageKey::Slower),
        "]" => Some(PageKey::Faster),
        "p" | "P" => Some(PageKey::TogglePresenter),
        "Escape" => Some(PageKey::LeavePresenter),
        _ => None,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn speeds_step_within_the_list_and_read_as_people_say_them() {
        assert_eq!(speed_label(0), "1 min/s");
        assert_eq!(speed_label(DEFAULT_SPEED), "2 min/s");
        assert_eq!(speed_label(SPEEDS.len() - 1), "1 h/s");
        assert_eq!(speed_label(99), "1 h/s", "out of range reads as the fastest");
        assert_eq!(change_speed(0, false), 0);
        assert_eq!(change_speed(0, true), 1);
        assert_eq!(change_speed(SPEEDS.len() - 1, true), SPEEDS.len() - 1);
        assert_eq!(change_speed(99, false), SPEEDS.len() - 2);
    }

    #[test]
    fn a_frame_moves_the_cursor_by_the_speed_and_stops_at_the_end() {
        // 2 min/s: 50 ms of real time is 6 simulated seconds.
        assert_eq!(advance(600.0, 50.0, 1, 7200.0), (606.0, false));
        // A long absence (a background tab) counts as one short frame.
        assert_eq!(advance(600.0, 60_000.0, 1, 7200.0), (612.0, false));
        assert_eq!(advance(7199.0, 50.0, 5, 7200.0), (7200.0, true));
        assert_eq!(advance(10.0, -5.0, 1, 7200.0), (10.0, false), "a clock going backwards moves nothing");
        assert_eq!(advance(10.0, 16.0, 1, 0.0), (0.0, true), "an empty run ends at once");
        // A 2-hour run at the default speed plays in a minute.
        let (mut t, mut frames) = (0.0, 0);
        while !advance(t, 16.0, DEFAULT_SPEED, 7200.0).1 {
            t = advance(t, 16.0, DEFAULT_SPEED, 7200.0).0;
            frames += 1;
        }
        assert_eq!(frames, 3749, "60 s at 16 ms a frame");
    }

    #[test]
    fn play_starts_at_the_cursor_inside_the_run_else_at_the_start() {
        assert_eq!(start_at(Some(900.0), 7200.0), 900.0);
        assert_eq!(start_at(Some(7200.0), 7200.0), 0.0, "from the end, play again from the start");
        assert_eq!(start_at(None, 7200.0), 0.0);
    }

    #[test]
    fn the_clock_always_shows_hours() {
        assert_eq!(fmt_hms(0.0), "0:00:00");
        assert_eq!(fmt_hms(2730.4), "0:45:30");
        assert_eq!(fmt_hms(172_800.0), "48:00:00");
        assert_eq!(fmt_hms(f64::NAN), "0:00:00");
    }

    #[test]
    fn page_keys_leave_text_fields_and_browser_shortcuts_alone() {
        let key = |k: &str, focus| page_key(k, false, false, focus, Some(600.0), 7200.0);
        assert_eq!(key(" ", Focus::Other), Some(PageKey::PlayPause));
        assert_eq!(key(" ", Focus::Chart), Some(PageKey::PlayPause));
        assert_eq!(key(" ", Focus::Control), None, "Space presses the focused button");
        assert_eq!(key(" ", Focus::Text), None);
        assert_eq!(key("ArrowRight", Focus::Other), Some(PageKey::Cursor(660.0)));
        assert_eq!(key("ArrowLeft", Focus::Control), Some(PageKey::Cursor(540.0)));
        assert_eq!(key("ArrowLeft", Focus::Text), None, "the caret moves in a field");
        assert_eq!(key("Home", Focus::Other), None, "Home scrolls the page");
        assert_eq!(key("Home", Focus::Chart), Some(PageKey::Cursor(0.0)));
        assert_eq!(key("[", Focus::Other), Some(PageKey::Slower));
        assert_eq!(key("]", Focus::Control), Some(PageKey::Faster));
        assert_eq!(key("p", Focus::Other), Some(PageKey::TogglePresenter));
        assert_eq!(key("p", Focus::Text), None, "typing a p in the JSON");
        assert_eq!(key("Escape", Focus::Other), Some(PageKey::LeavePresenter));
        assert_eq!(page_key("p", false, true, Focus::Other, None, 7200.0), None, "Ctrl+P prints");
        assert_eq!(page_key("ArrowRight", true, false, Focus::Other, Some(0.0), 7200.0), Some(PageKey::Cursor(600.0)));
        assert_eq!(key("x", Focus::Other), None);
    }
}
