//! The playground's entry point, built by Trunk.

fn main() {
    #[cfg(target_arch = "wasm32")]
    scalelab_web::start();
}
