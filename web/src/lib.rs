//! Scalelab's web playground. The pure parts (links, chart data, summaries, the scenario edits
//! that the forms make) are plain Rust, tested natively; the page itself (`app` composing the
//! `components` around a shared `state::PageState`, `client` running scenarios, `draw`) is a
//! Leptos client-side app built for `wasm32-unknown-unknown` with Trunk.

pub mod chartdata;
pub mod edit;
pub mod forms;
pub mod lab;
pub mod link;
pub mod playback;
pub mod summary;
pub mod view;

#[cfg(target_arch = "wasm32")]
mod app;
#[cfg(target_arch = "wasm32")]
mod browser;
#[cfg(target_arch = "wasm32")]
mod client;
#[cfg(target_arch = "wasm32")]
mod components;
#[cfg(target_arch = "wasm32")]
mod draw;
#[cfg(target_arch = "wasm32")]
mod formview;
#[cfg(target_arch = "wasm32")]
mod labclient;
#[cfg(target_arch = "wasm32")]
mod labdraw;
#[cfg(target_arch = "wasm32")]
mod lessons;
#[cfg(target_arch = "wasm32")]
pub mod runner;
#[cfg(target_arch = "wasm32")]
mod state;
#[cfg(target_arch = "wasm32")]
pub mod worker;

/// Mounts the page (wasm only).
#[cfg(target_arch = "wasm32")]
pub fn start() {
    console_error_panic_hook::set_once();
    leptos::mount::mount_to_body(app::App);
}

/// Bytes of this module's wasm memory.
#[cfg(target_arch = "wasm32")]
pub fn wasm_memory_bytes() -> f64 {
    use wasm_bindgen::JsCast;
    wasm_bindgen::memory()
        .dyn_into::<js_sys::WebAssembly::Memory>()
        .ok()
        .and_then(|m| m.buffer().dyn_into::<js_sys::ArrayBuffer>().ok())
        .map_or(0.0, |b| f64::from(b.byte_length()))
}

/// For `cargo xtask bench-web`: draws a one-million-point series on a fresh 1200×210 canvas
/// and returns the milliseconds of the second draw (the first warms caches), or -1.
#[cfg(target_arch = "wasm32")]
#[wasm_bindgen::prelude::wasm_bindgen]
pub fn bench_redraw_1m() -> f64 {
    use wasm_bindgen::JsCast;
    let Some(doc) = web_sys::window().and_then(|w| w.document()) else { return -1.0 };
    let Some(canvas) = doc.create_element("canvas").ok().and_then(|e| e.dyn_into::<web_sys::HtmlCanvasElement>().ok())
    else {
        return -1.0;
    };
    let _ = canvas.set_attribute("style", "width:1200px;height:210px;position:absolute;left:-5000px");
    let Some(body) = doc.body() else { return -1.0 };
    let _ = body.append_child(&canvas);
    let n = 1_000_000usize;
    let xs: Vec<f64> = (0..n).map(|i| i as f64).collect();
    let ys: Vec<Option<f64>> = (0..n).map(|i| Some(((i as u64 * 7919) % 1000) as f64)).collect();
    let chart = chartdata::Chart {
        id: "bench".into(),
        title: "bench".into(),
        unit: "".into(),
        xs,
        lines: vec![chartdata::Line { name: "1M points".into(), ys }],
        rules: Vec::new(),
        steps: false,
    };
    let style = draw::Style::default();
    let now = || web_sys::window().and_then(|w| w.performance()).map_or(0.0, |p| p.now());
    let _ = draw::draw(&canvas, &chart, None, n as f64, &[], style);
    let t = now();
    let ok = draw::draw(&canvas, &chart, None, n as f64, &[], style).is_ok();
    let ms = now() - t;
    canvas.remove();
    if ok { ms } else { -1.0 }
}
