//! Hard limits, so that no input can run away with time or memory. Beyond them a scenario gets a
//! clear error, never a hang or an out-of-memory.

/// Largest scenario text accepted, in bytes.
pub(crate) const MAX_INPUT_BYTES: usize = 8 * 1024 * 1024;
/// Longest simulated run: two weeks, room for weekly patterns.
pub(crate) const MAX_DURATION_SECS: u64 = 14 * 24 * 3600;
/// Highest request rate any shape may reach.
pub(crate) const MAX_RPS: f64 = 100_000.0;
/// Most requests one run may expect (the integral of the rate over the run).
pub(crate) const MAX_EXPECTED_REQUESTS: f64 = 50_000_000.0;
pub(crate) const MAX_VARIANTS: usize = 10;
/// Largest desired instance count of one variant.
pub(crate) const MAX_INSTANCES_PER_VARIANT: u32 = 1_000;
/// Most instances one run may launch in all (scale-outs included); further launches are refused
/// with a warning.
pub(crate) const MAX_LAUNCHES: usize = 20_000;
pub(crate) const MAX_WORKERS: u32 = 4_096;
pub(crate) const MAX_QUEUE_CAPACITY: u32 = 1_000_000;
pub(crate) const MAX_BATCH_SIZE: u32 = 1_024;
pub(crate) const MAX_CAPACITY_CHANGES: usize = 10_000;
pub(crate) const MAX_TRACE_POINTS: usize = 1_000_000;
/// Most requests an asynchronous variant's queue holds; more are refused (ServiceUnavailable).
pub(crate) const MAX_BACKLOG: usize = 2_000_000;
