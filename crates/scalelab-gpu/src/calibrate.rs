//! From benchmark to serving profile: latency per batch size, a fitted `fixed + per_item · n`
//! batch model with its variability, achieved FLOP/s and bytes/s against the device's peak,
//! a closed-loop load test that replays the measured batch times behind a dynamic batcher
//! (ramped like seed 004 until p99 passes the objective), and the same load through the
//! core's simulator with the fitted profile: predicted against measured.

use scalelab_core::profile::{Batching, ServingProfile};
use scalelab_core::rng::Family;
use scalelab_core::time::Duration;

use crate::gpu::{Gpu, GpuError};
use crate::workload::{Build, Workload};
pub use scalelab_core::measured::{BatchPoint, Fidelity, MeasuredProfile, Provenance, Refit};

/// A GPU's published peaks, from the vendor's data sheet.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct Peak {
    /// The name the report prints, e.g. "A100 80GB".
    pub name: &'static str,
    /// The SageMaker instance families with this GPU.
    pub instances: &'static str,
    /// FP32 TFLOP/s without tensor cores or sparsity.
    pub fp32_tflops: f64,
    /// Memory bandwidth, GB/s.
    pub bandwidth_gb_s: f64,
    /// Words the adapter's name must hold (compared whole and case-insensitively, so "L4" is
    /// not found in "L40S"); the first entry whose words are all there wins, hence the more
    /// specific variants come first.
    words: &'static [&'static str],
}

impl Peak {
    /// `gflops` GFLOP/s as a fraction of the FP32 peak.
    pub fn flops_share(&self, gflops: f64) -> f64 {
        gflops / (self.fp32_tflops * 1e3)
    }
    /// `gb_s` GB/s as a fraction of the memory bandwidth.
    pub fn bandwidth_share(&self, gb_s: f64) -> f64 {
        gb_s / self.bandwidth_gb_s
    }
}

impl std::fmt::Display for Peak {
    /// "H100 SXM: 66.9 TFLOP/s FP32, 3350 GB/s".
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{}: {} TFLOP/s FP32, {} GB/s", self.name, self.fp32_tflops, self.bandwidth_gb_s)
    }
}

const fn peak(name: &'static str, instances: &'static str, tf: f64, bw: f64, words: &'static [&'static str]) -> Peak {
    Peak { name, instances, fp32_tflops: tf, bandwidth_gb_s: bw, words }
}

/// Published peaks of the GPUs behind SageMaker instance types.
pub const KNOWN_PEAKS: &[Peak] = &[
    peak("T4", "ml.g4dn", 8.1, 320.0, &["T4"]),
    peak("A10G", "ml.g5", 31.2, 600.0, &["A10G"]),
    peak("L4", "ml.g6", 30.3, 300.0, &["L4"]),
    peak("L40S", "ml.g6e", 91.6, 864.0, &["L40S"]),
    peak("A100 80GB", "ml.p4de", 19.5, 2039.0, &["A100", "80GB"]),
    peak("A100 40GB", "ml.p4d", 19.5, 1555.0, &["A100"]),
    peak("H100 PCIe", "none (PCIe card)", 51.2, 2000.0, &["H100", "PCIe"]),
    peak("H100 SXM", "ml.p5", 66.9, 3350.0, &["H100"]),
    peak("H200 NVL", "none (PCIe card)", 60.0, 4800.0, &["H200", "NVL"]),
    peak("H200 SXM", "ml.p5e, ml.p5en", 66.9, 4800.0, &["H200"]),
];

/// The published peaks of the adapter called `adapter` (as the driver names it, e.g.
/// "NVIDIA A100-SXM4-80GB" or "Tesla T4"), if it is one of `KNOWN_PEAKS`.
pub fn known_peak(adapter: &str) -> Option<&'static Peak> {
    let words = adapter.split(|c: char| !c.is_ascii_alphanumeric()).filter(|w| !w.is_empty());
    KNOWN_PEAKS.iter().find(|p| p.words.iter().all(|w| words.clone().any(|x| x.eq_ignore_ascii_case(w))))
}

#[derive(Clone, Debug)]
pub struct Options {
    pub workload: Workload,
    pub slo_ms: f64,
    pub max_batch: u32,
    pub repeats: u32,
    pub warmups: u32,
    pub date: String,
}

fn median(v: &[f64]) -> f64 {
    let mut s = v.to_vec();
    s.sort_by(f64::total_cmp);
    s.get(s.len() / 2).copied().unwrap_or(f64::NAN)
}

/// Batch sizes measured: powers of two up to `max` (and `max`).
pub fn batch_sizes(max: u32) -> Vec<u32> {
    let mut v: Vec<u32> = (0..16).map(|k| 1u32 << k).take_while(|b| *b < max.max(1)).collect();
    v.push(max.max(1));
    v
}

/// Runs the workload at each batch size: warm-ups, then `repeats` timed rounds that run every
/// batch size once each, so a drift in the adapter's speed (clocks, a busy CPU under a
/// software adapter) touches every size alike instead of bending the fitted line.
pub fn measure(gpu: &Gpu, o: &Options, mut log: impl FnMut(&str)) -> Result<Vec<BatchPoint>, GpuError> {
    let mut runs = Vec::new();
    for batch in batch_sizes(o.max_batch) {
        let built = o.workload.build(gpu, batch);
        let input = crate::workload::weights(built.input_len, 99, 1.0);
        let upload_ms = built.graph.upload(built.input, &input)? * 1e3;
        for _ in 0..o.warmups {
            built.graph.run()?;
        }
        runs.push((batch, built, upload_ms, Vec::new()));
    }
    for _ in 0..o.repeats.max(1) {
        for (_, built, _, samples) in &mut runs {
            let (wall, gpu_s) = built.graph.run()?;
            samples.push(gpu_s.unwrap_or(wall) * 1e3);
        }
    }
    let mut points = Vec::new();
    for (batch, built, upload_ms, samples) in runs {
        let (_, readback) = built.graph.download(built.output)?;
        let p = BatchPoint {
            batch,
            median_ms: median(&samples),
            samples_ms: samples,
            upload_ms,
            readback_ms: readback * 1e3,
            flops: built.graph.work.flops,
            bytes: built.graph.work.bytes,
        };
        log(&format!(
            "  batch {:>4}: {:>10.3} ms  (upload {:.3} ms, readback {:.3} ms, {:.2} GFLOP/s)",
            batch,
            p.median_ms,
            p.upload_ms,
            p.readback_ms,
            p.flops / (p.median_ms * 1e-3) / 1e9
        ));
        points.push(p);
    }
    Ok(points)
}

/// Time per kind of kernel for `workload` at `batch` (after two warm-up runs); `None` where
/// the adapter has no timestamp queries.
pub fn kernel_times(
    gpu: &Gpu,
    workload: &Workload,
    batch: u32,
) -> Result<Option<Vec<crate::graph::KernelTime>>, GpuError> {
    let built = workload.build(gpu, batch);
    let input = crate::workload::weights(built.input_len, 99, 1.0);
    built.graph.upload(built.input, &input)?;
    built.graph.run()?;
    built.graph.run()?;
    built.graph.profile_kernels()
}

/// Least squares `latency = fixed + per_item · batch` over the medians, and the coefficient
/// of variation of the samples around their medians (pooled).
pub fn fit(points: &[BatchPoint]) -> (f64, f64, f64) {
    let n = points.len() as f64;
    let (sx, sy) = points.iter().fold((0.0, 0.0), |(a, b), p| (a + f64::from(p.batch), b + p.median_ms));
    let (mx, my) = (sx / n, sy / n);
    let (mut sxy, mut sxx) = (0.0, 0.0);
    for p in points {
        let dx = f64::from(p.batch) - mx;
        sxy += dx * (p.median_ms - my);
        sxx += dx * dx;
    }
    let per_item = if sxx > 0.0 { (sxy / sxx).max(0.0) } else { 0.0 };
    let fixed = (my - per_item * mx).max(my * 0.05);
    let mut ss = 0.0;
    let mut count = 0.0;
    for p in points {
        for s in &p.samples_ms {
            let r = s / p.median_ms - 1.0;
            ss += r * r;
            count += 1.0;
        }
    }
    let cv = if count > 1.0 { libm::sqrt(ss / (count - 1.0)).clamp(0.01, 1.0) } else { 0.05 };
    (fixed, per_item, cv)
}

/// The serving profile: one worker (one GPU executor), dynamic batching with the fitted model.
pub fn profile(fixed_ms: f64, per_item_ms: f64, cv: f64, max_batch: u32, is_gpu: bool) -> ServingProfile {
    let mut p = ServingProfile {
        workers: 1,
        service_time: None,
        batching: Some(Batching {
            max_batch_size: max_batch.max(1),
            max_wait: Duration::from_millis(0),
            fixed: Duration::from_secs_f64(fixed_ms / 1e3),
            per_item: Duration::from_secs_f64(per_item_ms / 1e3),
            distribution: Family::Lognormal,
            // Three decimals: a spread estimated from a few dozen samples has no more, and a
            // short decimal reads back from JSON as the same number.
            cv: Some((cv * 1e3).round() / 1e3),
        }),
        queue_capacity: QUEUE_CAPACITY as u32,
        overhead: scalelab_core::rng::TimeDist::lognormal(Duration::from_millis(2), 0.25),
        utilization: Default::default(),
        cold_start: Default::default(),
    };
    if is_gpu {
        p.utilization.cpu_per_busy_worker_pct = 100.0;
        p.utilization.gpu_per_busy_worker_pct = 100.0;
    }
    p
}

/// A uniform draw in (0, 1) from a xorshift64* state.
fn uniform(state: &mut u64) -> f64 {
    *state ^= *state >> 12;
    *state ^= *state << 25;
    *state ^= *state >> 27;
    ((state.wrapping_mul(0x2545_F491_4F6C_DD1D) >> 11) as f64 + 0.5) / (1u64 << 53) as f64
}

/// Poisson arrival times in milliseconds at `rps`: at least `requests` of them and at least
/// `horizon_ms` of traffic, at most 50 000.
fn poisson_arrivals(rps: f64, requests: usize, horizon_ms: f64, seed: u64) -> Vec<f64> {
    let mut state = seed.wrapping_mul(0x9E37_79B9_7F4A_7C15) | 1;
    let (mut t, mut out) = (0.0, Vec::new());
    while (out.len() < requests || t < horizon_ms) && out.len() < MAX_STEP_REQUESTS {
        t += -libm::log(uniform(&mut state)) / rps * 1e3;
        out.push(t);
    }
    out
}

/// One executor behind a dynamic batcher: when free, it takes every request that has arrived
/// (up to `max_batch`), or waits for the next; `batch_ms(n)` is how long a batch of `n` takes.
/// Returns the p99 latency in milliseconds.
fn batched_load(
    arrivals: &[f64],
    max_batch: u32,
    mut batch_ms: impl FnMut(usize) -> Result<f64, GpuError>,
) -> Result<Load, GpuError> {
    let mut lat = Vec::with_capacity(arrivals.len());
    let mut queue = std::collections::VecDeque::new();
    let (mut free_at, mut next, mut failed) = (0.0f64, 0usize, 0usize);
    loop {
        if queue.is_empty() {
            let Some(&a) = arrivals.get(next) else { break };
            queue.push_back(a);
            next += 1;
        }
        let start = free_at.max(queue.front().copied().unwrap_or(free_at));
        // Arrivals until the batch starts join the queue in order; with it full, they are
        // refused (no departure happens between two batch starts, so checking here is the
        // same as checking at each arrival).
        while let Some(&a) = arrivals.get(next).filter(|a| **a <= start) {
            if queue.len() < QUEUE_CAPACITY {
                queue.push_back(a);
            } else {
                failed += 1;
            }
            next += 1;
        }
        let n = queue.len().min(max_batch.max(1) as usize);
        let end = start + batch_ms(n)?;
        for a in queue.drain(..n) {
            // An answer later than SageMaker's invocation timeout is a failure to the client.
            if end - a > TIMEOUT_MS {
                failed += 1;
            } else {
                lat.push(end - a);
            }
        }
        free_at = end;
    }
    lat.sort_by(f64::total_cmp);
    let p99_ms = lat.get((lat.len() as f64 * 0.99) as usize).copied().unwrap_or(f64::NAN);
    Ok(Load { p99_ms, failed: failed as f64 / arrivals.len().max(1) as f64 })
}

/// What a load test at one rate gives: the p99 latency of the answered requests and the share
/// of requests that failed (refused by a full queue, or answered after the timeout).
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct Load {
    pub p99_ms: f64,
    pub failed: f64,
}

impl Load {
    /// Within the objective: p99 at most `slo_ms` and fewer than 1 % of requests failed (the
    /// two stop rules of seed 004's load test).
    pub fn within(&self, slo_ms: f64) -> bool {
        self.p99_ms <= slo_ms && self.failed < MAX_FAILED
    }
}

/// The load test stops once this share of requests fails.
pub const MAX_FAILED: f64 = 0.01;
/// Requests waiting for the executor beyond this are refused (the profile's `queueCapacity`).
pub const QUEUE_CAPACITY: usize = 1024;
/// SageMaker's real-time invocation timeout.
pub const TIMEOUT_MS: f64 = 60_000.0;

/// Closed-loop load test on the measured batch times: each batch takes a time drawn from the
/// measurements at the nearest measured batch size at or above it (servers pad to buckets).
/// Returns the load figures at `rps` over `requests` arrivals.
pub fn replay(points: &[BatchPoint], max_batch: u32, rps: f64, requests: usize, seed: u64) -> Load {
    let arrivals = poisson_arrivals(rps, requests, 0.0, seed);
    let mut state = seed.wrapping_add(1).wrapping_mul(0xD1B5_4A32_D192_ED03) | 1;
    let draw = |n: usize| {
        let bucket = points.iter().find(|p| p.batch as usize >= n).or(points.last());
        Ok(bucket.map_or(0.0, |p| {
            let k =
                ((uniform(&mut state) * p.samples_ms.len() as f64) as usize).min(p.samples_ms.len().saturating_sub(1));
            p.samples_ms.get(k).copied().unwrap_or(p.median_ms)
        }))
    };
    batched_load(&arrivals, max_batch, draw).unwrap_or(Load { p99_ms: f64::NAN, failed: 1.0 })
}

/// How long one rate step of the load test sends traffic, in seconds: at least `requests`
/// arrivals and at least `horizon_ms` of traffic, at most [`MAX_STEP_REQUESTS`] arrivals
/// (the expected length of the arrivals [`LiveExecutor::load`] and [`replay`] draw).
pub fn step_secs(rps: f64, requests: usize, horizon_ms: f64) -> f64 {
    let by_count = requests.min(MAX_STEP_REQUESTS) as f64 / rps;
    by_count.max(horizon_ms / 1e3).min(MAX_STEP_REQUESTS as f64 / rps)
}

/// The most arrivals one rate step sends.
pub const MAX_STEP_REQUESTS: usize = 50_000;

/// The core's prediction of one rate step with `profile`: `rps` for `traffic_secs` (rounded
/// up to whole seconds), then nothing until the queue has drained, so the simulator sees the
/// same test as the executor (a short step near saturation ends before the queue has grown
/// to its steady state; judging the simulator on a longer run would blame it for that). The
/// p99 is end to end minus the fixed overhead, over every answered request; failures are
/// refusals by the same queue and answers after the same timeout.
pub fn predicted(profile: &ServingProfile, rps: f64, traffic_secs: f64) -> Option<Load> {
    let mut p = profile.clone();
    p.overhead = scalelab_core::rng::TimeDist::fixed(Duration::from_millis(0));
    p.queue_capacity = QUEUE_CAPACITY as u32;
    let traffic = libm::ceil(traffic_secs).max(1.0) as u64;
    // A full queue empties within the timeout (later answers are failures); a minute more for
    // the batch in progress.
    let drain = (TIMEOUT_MS / 1e3) as u64 + 60;
    let s = serde_json::json!({
        "version": 1,
        "duration": format!("{}s", traffic + drain),
        "traffic": {"sequence": [{"duration": format!("{traffic}s"), "traffic": {"constant": {"rps": rps}}}]},
        "endpoint": {"invocationTimeout": format!("{}s", TIMEOUT_MS / 1e3), "variants": [{
            "name": "Measured", "instanceType": "ml.g5.xlarge", "initialInstanceCount": 1, "profile": p
        }]}
    });
    let scenario = scalelab_core::Scenario::from_json(&s.to_string()).ok()?;
    let r = scalelab_core::simulate(&scenario, Some(7)).ok()?;
    // Requests still queued when the run ends (none, unless a batch outlasts the drain) are
    // neither answered nor failed.
    let done = r.summary.requests.saturating_sub(r.summary.in_flight);
    let failed = done.saturating_sub(r.summary.succeeded) as f64 / done.max(1) as f64;
    Some(Load { p99_ms: r.summary.latency_ms.p99.unwrap_or(f64::NAN), failed })
}

/// Ramps the rate (×1.25 per step, like seed 004's load test) from `start_rps` until p99
/// passes `slo_ms` or 1 % of requests fail, then bisects between the last rate within the
/// objective and the first beyond (6 steps: about 0.4 % resolution). When `start_rps` is
/// already beyond the objective, the rate halves until it is within (at most 10 times) before
/// the bisection. Returns the highest rate found within the objective and its load figures
/// (rate 0 when none is).
pub fn max_rps(mut load_at: impl FnMut(f64) -> Load, start_rps: f64, slo_ms: f64) -> (f64, Load) {
    let ok = |l: &Load| l.within(slo_ms);
    let (mut rps, mut best) = (start_rps, (0.0, Load { p99_ms: f64::NAN, failed: 0.0 }));
    let mut beyond = None;
    for _ in 0..60 {
        let load = load_at(rps);
        if !ok(&load) {
            beyond = Some(rps);
            break;
        }
        best = (rps, load);
        rps *= 1.25;
    }
    if best.0 == 0.0 {
        // Even the first rate is too much: come down until one is within.
        let mut r = start_rps;
        for _ in 0..10 {
            r /= 2.0;
            let load = load_at(r);
            if ok(&load) {
                best = (r, load);
                break;
            }
            beyond = Some(r);
        }
    }
    if let Some(mut hi) = beyond
        && best.0 > 0.0
    {
        let mut lo = best.0;
        for _ in 0..6 {
            let mid = (lo + hi) / 2.0;
            let load = load_at(mid);
            if ok(&load) {
                lo = mid;
                best = (mid, load);
            } else {
                hi = mid;
            }
        }
    }
    best
}

/// Where the ramp starts: a quarter of the fitted capacity (`capacity_rps`), where queueing is
/// still light. Lower rates add nothing (p99 is one batch there) and cost the most time on a
/// real executor, since every request runs alone.
pub fn ramp_start(capacity_rps: f64) -> f64 {
    capacity_rps / 4.0
}

/// The closed-loop load test on the real executor: Poisson arrivals (on a virtual clock) into
/// a dynamic batcher in front of the GPU; each batch really runs the workload's graph for the
/// smallest measured batch size that holds it, and the clock advances by the time it took.
#[derive(Debug)]
pub struct LiveExecutor<'g> {
    buckets: Vec<(u32, crate::workload::Built<'g>)>,
    max_batch: u32,
    /// Every batch time run so far, per bucket (milliseconds).
    seen: std::cell::RefCell<Vec<Vec<f64>>>,
}

impl<'g> LiveExecutor<'g> {
    pub fn new(gpu: &'g Gpu, workload: &Workload, max_batch: u32) -> Result<Self, GpuError> {
        let mut buckets = Vec::new();
        for b in batch_sizes(max_batch) {
            let built = workload.build(gpu, b);
            let input = crate::workload::weights(built.input_len, 99, 1.0);
            built.graph.upload(built.input, &input)?;
            built.graph.run()?;
            buckets.push((b, built));
        }
        let seen = std::cell::RefCell::new(vec![Vec::new(); buckets.len()]);
        Ok(LiveExecutor { buckets, max_batch, seen })
    }

    /// The load figures at `rps` over at least `requests` arrivals and at least `horizon_ms`
    /// of traffic: a test shorter than a few latency objectives hides an overload in its
    /// transient (capped at 50 000 requests).
    pub fn load(&self, rps: f64, requests: usize, horizon_ms: f64, seed: u64) -> Result<Load, GpuError> {
        let arrivals = poisson_arrivals(rps, requests, horizon_ms, seed);
        batched_load(&arrivals, self.max_batch, |n| {
            let i =
                self.buckets.iter().position(|(b, _)| *b as usize >= n).unwrap_or(self.buckets.len().saturating_sub(1));
            match self.buckets.get(i) {
                Some((_, built)) => {
                    let (wall, gpu) = built.graph.run()?;
                    let ms = gpu.unwrap_or(wall) * 1e3;
                    if let Some(v) = self.seen.borrow_mut().get_mut(i) {
                        v.push(ms);
                    }
                    Ok(ms)
                }
                None => Ok(0.0),
            }
        })
    }

    /// The batch times the load tests have run so far, as measurements per bucket (buckets
    /// run fewer than `min_runs` times are left out).
    pub fn observed(&self, min_runs: usize) -> Vec<BatchPoint> {
        let seen = self.seen.borrow();
        self.buckets
            .iter()
            .zip(seen.iter())
            .filter(|(_, v)| v.len() >= min_runs.max(1))
            .map(|((batch, built), v)| BatchPoint {
                batch: *batch,
                median_ms: median(v),
                samples_ms: v.clone(),
                upload_ms: 0.0,
                readback_ms: 0.0,
                flops: built.graph.work.flops,
                bytes: built.graph.work.bytes,
            })
            .collect()
    }
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]
    use super::*;

    /// A 10 ms batch of any size, up to 8: 800 requests/s at most.
    fn fixed_10ms(arrivals: &[f64]) -> Load {
        batched_load(arrivals, 8, |_| Ok(10.0)).unwrap()
    }

    #[test]
    fn adapters_find_their_own_peaks_and_not_a_namesake() {
        // Names as NVIDIA's Vulkan driver reports them.
        let cases = [
            ("Tesla T4", Some("T4")),
            ("NVIDIA A10G", Some("A10G")),
            ("NVIDIA L4", Some("L4")),
            ("NVIDIA L40S", Some("L40S")),
            ("NVIDIA A100-SXM4-40GB", Some("A100 40GB")),
            ("NVIDIA A100-SXM4-80GB", Some("A100 80GB")),
            ("NVIDIA H100 80GB HBM3", Some("H100 SXM")),
            ("NVIDIA H100 PCIe", Some("H100 PCIe")),
            ("NVIDIA H200", Some("H200 SXM")),
            ("NVIDIA H200 NVL", Some("H200 NVL")),
            ("NVIDIA GeForce RTX 4090", None),
            ("NVIDIA L40", None),
            ("llvmpipe (LLVM 15.0.6, 256 bits)", None),
        ];
        for (adapter, want) in cases {
            assert_eq!(known_peak(adapter).map(|p| p.name), want, "{adapter}");
        }
        // The shares and the reference a profile records (T4: 8.1 TFLOP/s, 320 GB/s).
        let t4 = known_peak("Tesla T4").unwrap();
        assert!((t4.flops_share(810.0) - 0.1).abs() < 1e-12);
        assert!((t4.bandwidth_share(160.0) - 0.5).abs() < 1e-12);
        assert_eq!(t4.to_string(), "T4: 8.1 TFLOP/s FP32, 320 GB/s");
        // Every entry can be found by its own name's words.
        for p in KNOWN_PEAKS {
            assert_eq!(known_peak(&format!("NVIDIA {}", p.words.join(" "))).map(|q| q.name), Some(p.name));
        }
    }

    #[test]
    fn below_capacity_nothing_fails_and_p99_is_one_or_two_batches() {
        let load = fixed_10ms(&poisson_arrivals(200.0, 5000, 0.0, 3));
        assert_eq!(load.failed, 0.0);
        // A request waits at most for the running batch, then its own: 10..=20 ms.
        assert!((10.0..=20.0).contains(&load.p99_ms), "{load:?}");
    }

    #[test]
    fn an_overload_fills_the_queue_and_the_excess_is_refused() {
        // 2 000 requests/s for 10 s into an 800/s server: 60 % of what comes after the queue
        // fills is refused; the queue holds 1024 (1.3 s of work), far below the timeout.
        let arrivals: Vec<f64> = (0..20_000).map(|k| f64::from(k) * 0.5).collect();
        let load = fixed_10ms(&arrivals);
        let expected = (20_000.0 - 8_000.0 - QUEUE_CAPACITY as f64) / 20_000.0;
        assert!((load.failed - expected).abs() < 0.01, "{load:?} vs {expected}");
        assert!(!load.within(f64::INFINITY), "1 % failed stops the ramp even without a latency bound");
    }

    #[test]
    fn answers_after_the_timeout_count_as_failures() {
        // One request every 30 ms into a 70 s batch of one: the second waits 140 s.
        let arrivals = [0.0, 30.0];
        let load = batched_load(&arrivals, 1, |_| Ok(70_000.0)).unwrap();
        assert_eq!(load.failed, 1.0);
        assert!(load.p99_ms.is_nan());
    }

    #[test]
    fn the_ramp_stops_at_the_failure_rule_when_latency_allows_more() {
        // Latency grows slowly but failures appear above 100 requests/s.
        let at = |r: f64| Load { p99_ms: r, failed: if r > 100.0 { 0.05 } else { 0.0 } };
        let (rps, load) = max_rps(at, 10.0, 10_000.0);
        assert!((95.0..=100.0).contains(&rps), "{rps} {load:?}");
        // And at the latency rule when nothing fails.
        let (rps, _) = max_rps(|r| Load { p99_ms: r, failed: 0.0 }, 10.0, 50.0);
        assert!((49.0..=50.0).contains(&rps), "{rps}");
    }

    #[test]
    fn a_step_lasts_for_its_requests_or_its_horizon_whichever_is_longer() {
        // 400 requests at 20 rps: 20 s; a 30 s horizon wins; at 1 rps the cap of 50 000
        // requests is never reached by 400, but 100 000 requests are cut to 50 000.
        assert!((step_secs(20.0, 400, 0.0) - 20.0).abs() < 1e-9);
        assert!((step_secs(20.0, 400, 30_000.0) - 30.0).abs() < 1e-9);
        assert!((step_secs(1000.0, 100_000, 0.0) - 50.0).abs() < 1e-9);
        assert!((step_secs(1000.0, 10, 120_000_000.0) - 50.0).abs() < 1e-9, "the cap bounds the horizon too");
        // The arrivals drawn for a step last about as long.
        let a = poisson_arrivals(20.0, 400, 30_000.0, 5);
        let last = a.last().copied().unwrap_or(0.0) / 1e3;
        assert!((last - step_secs(20.0, 400, 30_000.0)).abs() < 1.0, "{last} s");
    }

    #[test]
    fn a_start_beyond_the_objective_comes_down_then_bisects() {
        // Within up to 7 requests/s; the ramp starts at 40.
        let (rps, load) = max_rps(|r| Load { p99_ms: r, failed: 0.0 }, 40.0, 7.0);
        assert!((6.8..=7.0).contains(&rps), "{rps} {load:?}");
        // Nothing within at all: rate 0.
        assert_eq!(max_rps(|_| Load { p99_ms: 1e9, failed: 0.0 }, 40.0, 7.0).0, 0.0);
    }
}
