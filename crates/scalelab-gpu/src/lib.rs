//! GPU calibration: model-shaped workloads (WGSL compute shaders through wgpu) measured on the
//! local adapter and turned into a serving profile the simulator uses, with provenance and a
//! predicted-versus-measured fidelity figure. See `calibrate` for the method.
//!
//! Nothing here is needed to build or test the rest of Scalelab; without a GPU, wgpu runs on
//! whatever adapter exists (Mesa's lavapipe on a CPU), and the results say so.

pub mod calibrate;
pub mod gpu;
pub mod graph;
pub mod reference;
pub mod workload;

pub use gpu::{Gpu, GpuError};
