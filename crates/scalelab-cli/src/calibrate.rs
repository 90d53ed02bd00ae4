//! `scalelab calibrate` and `scalelab run --instance-profile`.

use std::path::Path;

use anyhow::Context;

use crate::failure::{Failure, Outcome};
use scalelab_core::Scenario;
use scalelab_gpu::calibrate::{self, Fidelity, MeasuredProfile, Options, Provenance};
use scalelab_gpu::workload::Workload;
use scalelab_gpu::{Gpu, GpuError};

fn today() -> String {
    // Days since the epoch to a civil date (Howard Hinnant's algorithm), from the system clock.
    let secs = std::time::SystemTime::now().duration_since(std::time::UNIX_EPOCH).map_or(0, |d| d.as_secs());
    let z = (secs / 86_400) as i64 + 719_468;
    let era = z.div_euclid(146_097);
    let doe = z - era * 146_097;
    let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let d = doy - (153 * mp + 2) / 5 + 1;
    let m = if mp < 10 { mp + 3 } else { mp - 9 };
    let y = yoe + era * 400 + i64::from(m <= 2);
    format!("{y:04}-{m:02}-{d:02}")
}

/// Requests per rate step of the replayed load test (drawing batch times costs nothing).
const REPLAY_REQUESTS: usize = 20_000;

#[allow(clippy::too_many_arguments)]
pub fn calibrate(
    workload: &str,
    slo_ms: f64,
    max_batch: u32,
    seq: u32,
    layers: Option<u32>,
    repeats: u32,
    live: bool,
    requests: usize,
    out: &Path,
) -> Outcome {
    let valid = slo_ms.is_finite() && slo_ms > 0.0 && (1..=1024).contains(&max_batch) && (1..=4096).contains(&seq);
    if !valid {
        return Err(Failure::Usage("--slo-ms must be above 0, --max-batch 1..=1024, --seq 1..=4096".into()));
    }
    let gpu = match Gpu::open() {
        Ok(g) => g,
        Err(e @ GpuError::NoAdapter(_)) => return Err(Failure::Other(anyhow::anyhow!("{e}"))),
        Err(e) => return Err(e.into()),
    };
    let w = match workload {
        "mlp" => Workload::mlp(),
        "bert-base" => Workload::bert_base(seq, layers.unwrap_or(12)),
        "llm-decode" => {
            let limits = gpu.device.limits();
            Workload::llm_decode(1 << 30, limits.max_storage_buffer_binding_size, layers.unwrap_or(2), 1024)
        }
        other => {
            return Err(Failure::Usage(format!(
                "unknown workload {other:?}: choose one of {}",
                Workload::NAMES.join(", ")
            )));
        }
    };
    let info = &gpu.info;
    println!(
        "adapter   {} ({:?}, {}, driver {} {})",
        info.name,
        info.backend,
        gpu.device_type(),
        info.driver,
        info.driver_info
    );
    if gpu.is_software() {
        println!();
        println!("  !!! This adapter is a SOFTWARE rasterizer running on the CPU (e.g. Mesa lavapipe).");
        println!("  !!! The numbers below describe this CPU, not any GPU. Do not use them for a GPU instance.");
        println!();
    }
    let timing = if gpu.timestamps {
        "GPU timestamp queries around the compute pass (converted with the queue's timestamp period)"
    } else {
        "wall clock around submit and wait (the adapter has no timestamp queries)"
    };
    println!("workload  {}", w.label());
    println!("timing    {timing}");
    let o = Options { workload: w.clone(), slo_ms, max_batch, repeats, warmups: 3, date: today() };
    let points = calibrate::measure(&gpu, &o, |line| println!("{line}"))?;
    let (fixed, per_item, cv) = calibrate::fit(&points);
    println!("fit       latency ≈ {fixed:.3} ms + {per_item:.3} ms × batch, cv {cv:.3}");
    let best = points.iter().max_by(|a, b| (a.flops / a.median_ms).total_cmp(&(b.flops / b.median_ms)));
    let (gflops, gbs) = best.map_or((0.0, 0.0), |p| (p.flops / p.median_ms / 1e6, p.bytes / p.median_ms / 1e6));
    let peak = calibrate::known_peak(&info.name);
    println!("achieved  {gflops:.2} GFLOP/s, {gbs:.2} GB/s (largest of the batch sizes)");
    let (pf, pb) = match peak {
        Some(p) => {
            let (pf, pb) = (p.flops_share(gflops), p.bandwidth_share(gbs));
            println!(
                "peak      {p} ({}) → {:.1} % of FLOP/s, {:.1} % of bandwidth",
                p.instances,
                pf * 100.0,
                pb * 100.0
            );
            (Some(pf), Some(pb))
        }
        None => {
            let known: Vec<&str> = calibrate::KNOWN_PEAKS.iter().map(|p| p.name).collect();
            println!("peak      unknown for this adapter (known: {})", known.join(", "));
            (None, None)
        }
    };
    // Per kernel at the largest batch: GEMM FLOP/s and GEMV bandwidth against the peaks.
    let kernels = calibrate::kernel_times(&gpu, &w, max_batch)?.unwrap_or_default();
    for k in &kernels {
        let share = match (peak, k.kernel.as_str()) {
            (Some(p), "matmul") => format!("  {:.1} % of peak FLOP/s", p.flops_share(k.gflops()) * 100.0),
            (Some(p), "gemv") => format!("  {:.1} % of peak bandwidth", p.bandwidth_share(k.gbytes_per_s()) * 100.0),
            _ => String::new(),
        };
        println!(
            "kernel    {:<10} {:>4} dispatches {:>10.3} ms  {:>9.2} GFLOP/s {:>9.2} GB/s{share}",
            k.kernel,
            k.dispatches,
            k.ms,
            k.gflops(),
            k.gbytes_per_s()
        );
    }
    if kernels.is_empty() {
        println!("kernel    times not measured: the adapter has no timestamp queries");
    }
    let profile = calibrate::profile(fixed, per_item, cv, max_batch, !gpu.is_software());
    let cap = 1000.0 / (fixed + per_item * f64::from(max_batch)) * f64::from(max_batch);
    let single = points.first().map_or(f64::INFINITY, |p| p.median_ms);
    let fidelity = if single * 1.5 > slo_ms {
        println!(
            "max RPS   not measured: one request takes {single:.1} ms, too close to the {slo_ms} ms objective \
             (raise --slo-ms above {:.0})",
            single * 3.0
        );
        None
    } else {
        let failed_load = calibrate::Load { p99_ms: f64::NAN, failed: 1.0 };
        let (m_rps, m, observed) = if live {
            println!(
                "closed loop: every batch run on the adapter, per rate step at least {requests} requests and 20 × {slo_ms} ms"
            );
            let exec = calibrate::LiveExecutor::new(&gpu, &w, max_batch)?;
            let (r, l) = calibrate::max_rps(
                |r| exec.load(r, requests, 20.0 * slo_ms, 1).unwrap_or(failed_load),
                calibrate::ramp_start(cap),
                slo_ms,
            );
            (r, l, exec.observed(5))
        } else {
            let (r, l) = calibrate::max_rps(
                |r| calibrate::replay(&points, max_batch, r, REPLAY_REQUESTS, 1),
                calibrate::ramp_start(cap),
                slo_ms,
            );
            (r, l, Vec::new())
        };
        // The simulator runs the very steps the load test ran: the same traffic length.
        let step_secs = |r: f64| {
            if live {
                calibrate::step_secs(r, requests, 20.0 * slo_ms)
            } else {
                calibrate::step_secs(r, REPLAY_REQUESTS, 0.0)
            }
        };
        let predict = |profile: &scalelab_core::profile::ServingProfile| {
            calibrate::max_rps(
                |r| calibrate::predicted(profile, r, step_secs(r)).unwrap_or(failed_load),
                calibrate::ramp_start(cap),
                slo_ms,
            )
        };
        let error = |p_rps: f64| if m_rps > 0.0 { (p_rps - m_rps).abs() / m_rps } else { 1.0 };
        let (p_rps, p) = predict(&profile);
        let (m_p99, p_p99) = (m.p99_ms, p.p99_ms);
        let err = error(p_rps);
        println!(
            "max RPS   measured {m_rps:.1} (p99 {m_p99:.1} ms, {:.2} % failed) · predicted by the simulator {p_rps:.1} (p99 {p_p99:.1} ms, {:.2} % failed) · error {:.1} %",
            m.failed * 100.0,
            p.failed * 100.0,
            err * 100.0
        );
        // The same prediction from the batch times the load test itself saw: separates the
        // simulator's error from the adapter's speed drifting since the benchmark.
        let refit = (observed.len() >= 2).then(|| {
            let (f, pi, c) = calibrate::fit(&observed);
            let (r_rps, _) = predict(&calibrate::profile(f, pi, c, max_batch, !gpu.is_software()));
            let batches: Vec<(u32, f64, usize)> =
                observed.iter().map(|o| (o.batch, o.median_ms, o.samples_ms.len())).collect();
            let drift = batches
                .iter()
                .filter_map(|(b, ms, _)| Some((*b, *ms, points.iter().find(|p| p.batch == *b)?.median_ms)))
                .map(|(b, live_ms, bench_ms)| format!("batch {b} {bench_ms:.1} → {live_ms:.1} ms"))
                .collect::<Vec<_>>()
                .join(", ");
            println!("load test batch times (benchmark → load test, medians): {drift}");
            println!(
                "          fitted on them: {f:.3} ms + {pi:.3} ms × batch, cv {c:.3} → predicted {r_rps:.1} · error {:.1} % \
                 (the difference from the error above is the adapter's speed changing between benchmark and load test)",
                error(r_rps) * 100.0
            );
            calibrate::Refit {
                batches,
                fixed_ms: f,
                per_item_ms: pi,
                cv: c,
                predicted_max_rps: r_rps,
                max_rps_error: error(r_rps),
            }
        });
        Some(Fidelity {
            with_load_test_batch_times: refit,
            slo_p99_ms: slo_ms,
            measured_max_rps: m_rps,
            predicted_max_rps: p_rps,
            measured_p99_ms_at_max: if m_p99.is_finite() { m_p99 } else { 0.0 },
            predicted_p99_ms_at_max: if p_p99.is_finite() { p_p99 } else { 0.0 },
            max_rps_error: err,
            method: format!(
                "closed-loop load test ({}) behind a dynamic batcher, Poisson arrivals, rate ×1.25 per step from a quarter of the fitted capacity \
                 then bisection until p99 passes the objective or 1 % of requests fail (queue of 1024, 60 s timeout); against the core's simulation of the fitted \
                 profile running the same steps (the same rates and traffic length, then drained)",
                if live {
                    format!(
                        "every batch run on the adapter, at least {requests} requests and 20 objectives of time per step"
                    )
                } else {
                    "batch times drawn from the measurements".to_string()
                }
            ),
        })
    };
    let note = if gpu.is_software() {
        "measured on a software adapter: the numbers describe a CPU".to_string()
    } else {
        format!("measured on {}", info.name)
    };
    let measured = MeasuredProfile {
        profile,
        provenance: Provenance {
            adapter: info.name.clone(),
            backend: format!("{:?}", info.backend),
            driver: format!("{} {}", info.driver, info.driver_info).trim().to_string(),
            device_type: gpu.device_type().to_string(),
            date: o.date.clone(),
            workload: w.clone(),
            workload_label: w.label(),
            max_batch,
            timing: timing.to_string(),
            points,
            achieved_gflops: gflops,
            achieved_gbytes_per_s: gbs,
            peak_reference: peak.map(ToString::to_string),
            peak_fraction_flops: pf,
            peak_fraction_bandwidth: pb,
            kernels,
            fidelity,
            note,
        },
    };
    std::fs::write(out, serde_json::to_string_pretty(&measured)? + "\n")
        .with_context(|| format!("writing {}", out.display()))?;
    println!("wrote     {} (use it with: scalelab run <scenario> --instance-profile {})", out.display(), out.display());
    Ok(())
}

/// Puts a measured profile on every variant of the scenario (the core's loader, as the page).
pub fn apply_profile(s: &mut Scenario, path: &Path) -> Outcome {
    let text = std::fs::read_to_string(path).with_context(|| format!("reading {}", path.display()))?;
    let source = path.display().to_string();
    let m =
        MeasuredProfile::from_json(&text).map_err(|problems| Failure::Problems { source: source.clone(), problems })?;
    m.apply_to(s).map_err(|problems| Failure::Problems { source: format!("{source} on this scenario"), problems })?;
    for v in &s.endpoint.variants {
        eprintln!("{}: profile {}", v.name, m.label());
    }
    Ok(())
}
