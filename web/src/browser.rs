//! The browser calls the page makes: the clock, the address bar, downloads, the clipboard and
//! chosen files. Each does nothing (or returns an empty value) where the browser refuses.

use wasm_bindgen::JsCast;

use crate::link;

pub fn window() -> Option<web_sys::Window> {
    web_sys::window()
}

/// Milliseconds since navigation.
pub fn now_ms() -> f64 {
    window().and_then(|w| w.performance()).map_or(0.0, |p| p.now())
}

/// Puts `json` in the address bar's fragment without adding a history entry, keeping the
/// lesson the fragment names (an edited lesson scenario stays in its lesson).
pub fn set_fragment(json: &str) {
    let f = fragment();
    let lesson = link::lesson_param(&f);
    let url = link::fragment_with(json, lesson.as_ref().map(|(id, step)| (id.as_str(), *step)));
    // The rightsizing lab's inputs stay in the link while the lab is open.
    set_url(&crate::lab::with_lab(&url, crate::lab::lab_param(&f).as_deref()));
}

/// Puts the lab's inputs (or none) in the address bar beside `json`.
pub fn set_lab_fragment(json: &str, lab: Option<&str>) {
    set_url(&crate::lab::with_lab(&link::fragment(json), lab));
}

/// Puts `json` in the address bar within `lesson` (id, step), or outside any lesson.
pub fn set_lesson_fragment(json: &str, lesson: Option<(&str, usize)>) {
    set_url(&link::fragment_with(json, lesson));
}

fn set_url(url: &str) {
    let Some(w) = window() else { return };
    let Ok(history) = w.history() else { return };
    let _ = history.replace_state_with_url(&wasm_bindgen::JsValue::NULL, "", Some(url));
}

/// A value kept in the browser's local storage (`None` where storage is refused).
pub fn stored(key: &str) -> Option<String> {
    window().and_then(|w| w.local_storage().ok().flatten()).and_then(|s| s.get_item(key).ok().flatten())
}

pub fn store(key: &str, value: &str) {
    if let Some(s) = window().and_then(|w| w.local_storage().ok().flatten()) {
        let _ = s.set_item(key, value);
    }
}

/// The address bar's fragment (`#s=1.…`), or "".
pub fn fragment() -> String {
    window().and_then(|w| w.location().hash().ok()).unwrap_or_default()
}

pub fn page_url() -> String {
    window().and_then(|w| w.location().href().ok()).unwrap_or_default()
}

/// Whether the reader's system asks for dark colours.
pub fn prefers_dark() -> bool {
    window().and_then(|w| w.match_media("(prefers-color-scheme: dark)").ok().flatten()).is_some_and(|m| m.matches())
}

pub fn download(name: &str, mime: &str, text: &str) {
    let Some(doc) = window().and_then(|w| w.document()) else { return };
    let parts = js_sys::Array::of1(&wasm_bindgen::JsValue::from_str(text));
    let opts = web_sys::BlobPropertyBag::new();
    opts.set_type(mime);
    let Ok(blob) = web_sys::Blob::new_with_str_sequence_and_options(&parts, &opts) else { return };
    let Ok(url) = web_sys::Url::create_object_url_with_blob(&blob) else { return };
    if let Ok(a) = doc.create_element("a")
        && let Ok(a) = a.dyn_into::<web_sys::HtmlAnchorElement>()
    {
        a.set_href(&url);
        a.set_download(name);
        a.click();
    }
    let _ = web_sys::Url::revoke_object_url(&url);
}

/// The text of the file chosen in the `<input type="file">` behind `ev`, refusing files over
/// 1 MiB (`what` names what the file should be, for the message).
pub async fn read_chosen_file(ev: &leptos::ev::Event, what: &str) -> Result<String, String> {
    let input = ev.target().and_then(|t| t.dyn_into::<web_sys::HtmlInputElement>().ok());
    let file = input.and_then(|i| i.files()).and_then(|f| f.get(0)).ok_or_else(|| "no file was chosen".to_string())?;
    if file.size() > link::MAX_INFLATED_BYTES as f64 {
        return Err(format!("the file is larger than 1 MiB: not {what}"));
    }
    let text = wasm_bindgen_futures::JsFuture::from(file.text())
        .await
        .map_err(|_| "the file could not be read".to_string())?;
    Ok(text.as_string().unwrap_or_default())
}

pub fn copy_text(text: &str) {
    if let Some(w) = window() {
        let _ = w.navigator().clipboard().write_text(text);
    }
}
