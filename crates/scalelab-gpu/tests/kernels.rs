//! Every kernel against its CPU reference at small sizes, on whatever adapter exists (lavapipe
//! in CI). Without any adapter the tests print why and return (see `common::gpu`).
//! Tolerance: relative 1e-4 of the largest magnitude (f32 sums of up to a few hundred terms).

#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic, clippy::indexing_slicing)]

use scalelab_gpu::graph::{Graph, MatmulParams};
use scalelab_gpu::reference as cpu;
use scalelab_gpu::workload::{Build, Workload, weights};

mod common;
use common::gpu;

fn close(got: &[f32], want: &[f32], what: &str) {
    assert_eq!(got.len(), want.len(), "{what}: lengths");
    let scale = want.iter().fold(1e-3f32, |m, v| m.max(v.abs()));
    for (i, (g, w)) in got.iter().zip(want).enumerate() {
        assert!((g - w).abs() <= 1e-4 * scale, "{what}[{i}]: gpu {g}, cpu {w}");
    }
}

#[test]
fn matmul_with_bias_and_gelu() {
    let Some(gpu) = gpu() else { return };
    let (m, n, k) = (37usize, 29usize, 45usize);
    let (a, b, bias) = (weights(m * k, 1, 1.0), weights(k * n, 2, 1.0), weights(n, 3, 1.0));
    let mut g = Graph::new(&gpu);
    let (ba, bb) = (g.buffer(a.len(), Some(&a)), g.buffer(b.len(), Some(&b)));
    let (bbias, bc) = (g.buffer(n, Some(&bias)), g.buffer(m * n, None));
    g.matmul(MatmulParams { act: 1, ..MatmulParams::plain(m as u32, n as u32, k as u32) }, ba, bb, Some(bbias), bc);
    g.run().unwrap();
    close(&g.download(bc).unwrap().0, &cpu::matmul(&a, &b, Some(&bias), m, n, k, true), "matmul");
}

#[test]
fn softmax_and_layer_norm_rows() {
    let Some(gpu) = gpu() else { return };
    let (rows, cols) = (5usize, 300usize);
    let x = weights(rows * cols, 4, 3.0);
    let res = weights(rows * cols, 5, 1.0);
    let mut g = Graph::new(&gpu);
    let sx = g.buffer(x.len(), Some(&x));
    let lx = g.buffer(x.len(), Some(&x));
    let r = g.buffer(res.len(), Some(&res));
    let gain = g.buffer(cols, Some(&vec![1.0; cols]));
    let shift = g.buffer(cols, Some(&vec![0.0; cols]));
    g.softmax(sx, rows as u32, cols as u32);
    g.layer_norm(lx, rows as u32, cols as u32, gain, shift, Some(r));
    g.run().unwrap();
    let mut want = x.clone();
    cpu::softmax_rows(&mut want, cols);
    close(&g.download(sx).unwrap().0, &want, "softmax");
    let mut want = x.clone();
    cpu::layer_norm_rows(&mut want, cols, Some(&res));
    close(&g.download(lx).unwrap().0, &want, "layer norm");
}

#[test]
fn gemv_with_gelu() {
    let Some(gpu) = gpu() else { return };
    let (rows, n, k) = (3usize, 300usize, 77usize);
    let (x, w) = (weights(rows * k, 6, 1.0), weights(k * n, 7, 1.0));
    let mut g = Graph::new(&gpu);
    let (bx, bw, by) = (g.buffer(x.len(), Some(&x)), g.buffer(w.len(), Some(&w)), g.buffer(rows * n, None));
    g.gemv(bx, bw, None, by, rows as u32, n as u32, k as u32, true);
    g.run().unwrap();
    close(&g.download(by).unwrap().0, &cpu::matmul(&x, &w, None, rows, n, k, true), "gemv");
}

/// A whole encoder layer (strided, batched, transposed matmuls for attention) against a CPU
/// forward pass with the same weights.
#[test]
fn encoder_layer_matches_the_cpu_forward_pass() {
    let Some(gpu) = gpu() else { return };
    let (batch, seq, h, heads, ffn) = (2usize, 5usize, 16usize, 2usize, 32usize);
    let wl = Workload::Encoder { seq: seq as u32, hidden: h as u32, heads: heads as u32, ffn: ffn as u32, layers: 1 };
    let built = wl.build(&gpu, batch as u32);
    let x = weights(batch * seq * h, 99, 1.0);
    built.graph.upload(built.input, &x).unwrap();
    built.graph.run().unwrap();
    let got = built.graph.download(built.output).unwrap().0;

    // Weights in the order `Workload::build` draws them (seeds 2, 3, …).
    let s = |n: usize, seed: u64, fan_in: usize| weights(n, seed, 1.0 / (fan_in as f32).sqrt());
    let (wqkv, bqkv, wo) = (s(h * 3 * h, 2, h), s(3 * h, 3, 1), s(h * h, 4, h));
    let (w1, w2) = (s(h * ffn, 5, h), s(ffn * h, 6, ffn));
    let rows = batch * seq;
    let d = h / heads;
    let qkv = cpu::matmul(&x, &wqkv, Some(&bqkv), rows, 3 * h, h, false);
    let mut ctx = vec![0.0f32; rows * h];
    for b in 0..batch {
        for hd in 0..heads {
            let mut p = vec![0.0f32; seq * seq];
            for i in 0..seq {
                for j in 0..seq {
                    let mut dot = 0.0;
                    for t in 0..d {
                        dot += qkv[(b * seq + i) * 3 * h + hd * d + t] * qkv[(b * seq + j) * 3 * h + h + hd * d + t];
                    }
                    p[i * seq + j] = dot / (d as f32).sqrt();
                }
            }
            cpu::softmax_rows(&mut p, seq);
            for i in 0..seq {
                for t in 0..d {
                    ctx[(b * seq + i) * h + hd * d + t] =
                        (0..seq).map(|j| p[i * seq + j] * qkv[(b * seq + j) * 3 * h + 2 * h + hd * d + t]).sum();
                }
            }
        }
    }
    let mut o = cpu::matmul(&ctx, &wo, None, rows, h, h, false);
    cpu::layer_norm_rows(&mut o, h, Some(&x));
    let f1 = cpu::matmul(&o, &w1, None, rows, ffn, h, true);
    let mut f2 = cpu::matmul(&f1, &w2, None, rows, h, ffn, false);
    cpu::layer_norm_rows(&mut f2, h, Some(&o));
    close(&got, &f2, "encoder layer");
}

#[test]
fn kernel_times_split_the_encoder_by_kernel_and_keep_its_work() {
    let Some(gpu) = gpu() else { return };
    let wl = Workload::Encoder { seq: 16, hidden: 32, heads: 2, ffn: 64, layers: 2 };
    let Some(times) = scalelab_gpu::calibrate::kernel_times(&gpu, &wl, 2).unwrap() else {
        println!("SKIPPED: {} has no timestamp queries", gpu.info.name);
        return;
    };
    let names: Vec<&str> = times.iter().map(|t| t.kernel.as_str()).collect();
    for k in ["matmul", "softmax", "layer_norm"] {
        assert!(names.contains(&k), "{k} missing from {names:?}");
    }
    // Every dispatch is counted once: the kernels' work adds up to the graph's.
    let built = wl.build(&gpu, 2);
    let flops: f64 = times.iter().map(|t| t.flops).sum();
    let bytes: f64 = times.iter().map(|t| t.bytes).sum();
    assert!((flops / built.graph.work.flops - 1.0).abs() < 1e-9, "{flops} vs {}", built.graph.work.flops);
    assert!((bytes / built.graph.work.bytes - 1.0).abs() < 1e-9);
    assert!(times.iter().all(|t| t.ms >= 0.0 && t.ms.is_finite()) && times.iter().any(|t| t.ms > 0.0), "{times:?}");
    // Two layers: matmuls dominate the dispatch count, one softmax per layer.
    let count = |k: &str| times.iter().find(|t| t.kernel == k).map_or(0, |t| t.dispatches);
    assert_eq!(count("softmax"), 2, "{times:?}");
    assert!(count("matmul") > count("layer_norm"), "{times:?}");
}

/// Only on a real GPU with a published peak: the encoder's GEMMs reach a useful share of it.
/// The bound is loose (our tiled WGSL matmul is not a vendor BLAS); it catches a kernel that
/// falls back to something pathological.
#[test]
fn on_a_known_gpu_the_gemm_reaches_a_share_of_the_published_peak() {
    let Some(gpu) = gpu() else { return };
    if gpu.is_software() {
        println!("SKIPPED: {} is a software adapter; this check needs a real GPU", gpu.info.name);
        return;
    }
    let Some(peak) = scalelab_gpu::calibrate::known_peak(&gpu.info.name) else {
        println!("SKIPPED: no published peak for {}", gpu.info.name);
        return;
    };
    let Some(times) = scalelab_gpu::calibrate::kernel_times(&gpu, &Workload::bert_base(128, 2), 8).unwrap() else {
        println!("SKIPPED: {} has no timestamp queries", gpu.info.name);
        return;
    };
    let mm = times.iter().find(|t| t.kernel == "matmul").unwrap();
    let share = peak.flops_share(mm.gflops());
    println!("matmul {:.1} GFLOP/s = {:.1} % of {peak}", mm.gflops(), share * 100.0);
    assert!(share > 0.02, "GEMM at {:.2} % of {peak}", share * 100.0);
}
