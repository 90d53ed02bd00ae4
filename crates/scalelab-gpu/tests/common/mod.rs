//! The adapter the GPU tests run on.

use scalelab_gpu::{Gpu, GpuError};

/// Whatever adapter exists (lavapipe in CI). Without any, the test prints why and is skipped,
/// since nothing may depend on a GPU; unless `SCALELAB_REQUIRE_ADAPTER` is set, as
/// `cargo xtask test` does after installing lavapipe: there a missing adapter is a failure,
/// not a silent pass.
pub fn gpu() -> Option<Gpu> {
    match Gpu::open() {
        Ok(g) => Some(g),
        Err(e @ GpuError::NoAdapter(_)) => {
            if std::env::var_os("SCALELAB_REQUIRE_ADAPTER").is_some() {
                panic!("SCALELAB_REQUIRE_ADAPTER is set and there is no adapter: {e}");
            }
            println!("SKIPPED: {e}");
            None
        }
        Err(e) => panic!("{e}"),
    }
}
