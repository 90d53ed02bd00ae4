//! Scalelab's core: a pure, deterministic simulation of an Amazon SageMaker inference endpoint.
//!
//! Traffic in; instances, queues, latency, errors, CloudWatch-shaped metrics and cost out. The
//! core does no I/O, reads no clock, spawns no thread and asks no OS for randomness: a run is a
//! pure function of (scenario, seed) and gives byte-identical reports natively and in wasm.
//!
//! ```
//! let scenario = scalelab_core::examples::get("seed-001-before").unwrap();
//! let report = scalelab_core::simulate(&scenario, Some(7)).unwrap();
//! assert!(report.summary.requests > 0);
//! ```

#![warn(unreachable_pub)]

pub mod autoscaling;
pub mod catalog;
mod client;
mod engine;
pub mod examples;
pub mod export;
pub mod fmt;
mod hist;
pub mod lesson;
mod limits;
pub mod loadtest;
pub mod measured;
pub mod metrics;
pub mod plan;
pub mod problem;
pub mod profile;
pub mod report;
pub mod rightsize;
pub mod rng;
pub mod scaling;
pub mod scenario;
pub mod time;
pub mod traffic;
pub mod vocab;

pub use client::Client;
pub use engine::Simulation;
pub use plan::{Plan, plan};
pub use problem::{Problem, Problems};
pub use report::Report;
pub use scenario::Scenario;

/// Checks a scenario and runs it to the end. `seed` overrides the scenario's own.
pub fn simulate(scenario: &Scenario, seed: Option<u64>) -> Result<Report, Problems> {
    let plan = plan::plan(scenario, seed)?;
    Ok(Simulation::new(&plan).run())
}

/// Parses, checks and runs scenario JSON.
pub fn simulate_json(json: &str, seed: Option<u64>) -> Result<Report, Problems> {
    simulate(&Scenario::from_json(json)?, seed)
}
