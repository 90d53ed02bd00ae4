//! The simulation's Web Worker, built by Trunk as a second binary (`data-type="worker"`).

fn main() {
    #[cfg(target_arch = "wasm32")]
    scalelab_web::worker::start();
}
