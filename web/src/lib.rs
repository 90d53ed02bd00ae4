//! Scalelab's web playground. The pure parts (links, chart data, summaries, the scenario edits
//! that the forms make) are plain Rust, tested natively; the page itself (`app`, `draw`) is a
//! Leptos client-side app built for `wasm32-unknown-unknown` with Trunk.

pub mod chartdata;
pub mod edit;
pub mod link;
pub mod summary;
pub mod view;

#[cfg(target_arch = "wasm32")]
mod app;
#[cfg(target_arch = "wasm32")]
mod draw;
#[cfg(target_arch = "wasm32")]
pub mod runner;
#[cfg(target_arch = "wasm32")]
pub mod worker;

/// Mounts the page (wasm only).
#[cfg(target_arch = "wasm32")]
pub fn start() {
    console_error_panic_hook::set_once();
    leptos::mount::mount_to_body(app::App);
}
