//! Model-shaped workloads on random weights (throughput does not depend on the values): an MLP
//! classifier, a transformer encoder at BERT-base shape, and one LLM decode step at a
//! Llama-8B-like shape scaled to the device.

use crate::gpu::Gpu;
use crate::graph::{Buf, Graph, MatmulParams};

/// Deterministic pseudo-random weights in [-scale, scale] (xorshift64*).
pub fn weights(n: usize, seed: u64, scale: f32) -> Vec<f32> {
    let mut s = seed.wrapping_mul(0x9E37_79B9_7F4A_7C15) | 1;
    (0..n)
        .map(|_| {
            s ^= s >> 12;
            s ^= s << 25;
            s ^= s >> 27;
            let u = (s.wrapping_mul(0x2545_F491_4F6C_DD1D) >> 40) as f32 / (1u64 << 24) as f32;
            (u * 2.0 - 1.0) * scale
        })
        .collect()
}

pub use scalelab_core::measured::Workload;

/// Builds a workload's forward pass on a GPU.
pub trait Build {
    /// Records the forward pass for `batch` requests: the graph, its input and output buffers
    /// and their lengths.
    fn build<'g>(&self, gpu: &'g Gpu, batch: u32) -> Built<'g>;
}

impl Build for Workload {
    fn build<'g>(&self, gpu: &'g Gpu, batch: u32) -> Built<'g> {
        let mut g = Graph::new(gpu);
        let mut seed = 1u64;
        let mut w = |g: &mut Graph<'g>, n: usize, fan_in: u32| {
            seed += 1;
            g.buffer(n, Some(&weights(n, seed, 1.0 / (fan_in.max(1) as f32).sqrt())))
        };
        match *self {
            Workload::Mlp { input, hidden, classes } => {
                let x = g.buffer((batch * input) as usize, None);
                let w1 = w(&mut g, (input * hidden) as usize, input);
                let b1 = w(&mut g, hidden as usize, 1);
                let w2 = w(&mut g, (hidden * classes) as usize, hidden);
                let h = g.buffer((batch * hidden) as usize, None);
                let y = g.buffer((batch * classes) as usize, None);
                g.matmul(MatmulParams { act: 1, ..MatmulParams::plain(batch, hidden, input) }, x, w1, Some(b1), h);
                g.matmul(MatmulParams::plain(batch, classes, hidden), h, w2, None, y);
                Built { graph: g, input: x, input_len: (batch * input) as usize, output: y }
            }
            Workload::Encoder { seq, hidden: h, heads, ffn, layers } => {
                let rows = batch * seq;
                let d = h / heads.max(1);
                let x0 = g.buffer((rows * h) as usize, None);
                let mut x = x0;
                for _ in 0..layers {
                    let wqkv = w(&mut g, (h * 3 * h) as usize, h);
                    let bqkv = w(&mut g, (3 * h) as usize, 1);
                    let wo = w(&mut g, (h * h) as usize, h);
                    let w1 = w(&mut g, (h * ffn) as usize, h);
                    let w2 = w(&mut g, (ffn * h) as usize, ffn);
                    let gain = g.buffer(h as usize, Some(&vec![1.0; h as usize]));
                    let shift = g.buffer(h as usize, Some(&vec![0.0; h as usize]));
                    let qkv = g.buffer((rows * 3 * h) as usize, None);
                    let scores = g.buffer((batch * heads * seq * seq) as usize, None);
                    let ctx = g.buffer((rows * h) as usize, None);
                    let o = g.buffer((rows * h) as usize, None);
                    let f1 = g.buffer((rows * ffn) as usize, None);
                    let f2 = g.buffer((rows * h) as usize, None);
                    g.matmul(MatmulParams::plain(rows, 3 * h, h), x, wqkv, Some(bqkv), qkv);
                    attention(
                        &mut g,
                        qkv,
                        scores,
                        ctx,
                        AttentionShape { batch, heads, q_len: seq, kv_len: seq, d, h },
                        None,
                    );
                    g.matmul(MatmulParams::plain(rows, h, h), ctx, wo, None, o);
                    g.layer_norm(o, rows, h, gain, shift, Some(x));
                    g.matmul(MatmulParams { act: 1, ..MatmulParams::plain(rows, ffn, h) }, o, w1, None, f1);
                    g.matmul(MatmulParams::plain(rows, h, ffn), f1, w2, None, f2);
                    g.layer_norm(f2, rows, h, gain, shift, Some(o));
                    x = f2;
                }
                Built { graph: g, input: x0, input_len: (rows * h) as usize, output: x }
            }
            Workload::Decode { hidden: h, heads, ffn, layers, context } => {
                let d = h / heads.max(1);
                let x0 = g.buffer((batch * h) as usize, None);
                let mut x = x0;
                for _ in 0..layers {
                    let wqkv = w(&mut g, (h * 3 * h) as usize, h);
                    let wo = w(&mut g, (h * h) as usize, h);
                    let w1 = w(&mut g, (h * ffn) as usize, h);
                    let w2 = w(&mut g, (ffn * h) as usize, ffn);
                    let gain = g.buffer(h as usize, Some(&vec![1.0; h as usize]));
                    let shift = g.buffer(h as usize, Some(&vec![0.0; h as usize]));
                    // The KV cache of each request: context × hidden keys and values.
                    let kv = (batch * context * h) as usize;
                    let kcache = w(&mut g, kv, 1);
                    let vcache = w(&mut g, kv, 1);
                    let qkv = g.buffer((batch * 3 * h) as usize, None);
                    let scores = g.buffer((batch * heads * context) as usize, None);
                    let ctx = g.buffer((batch * h) as usize, None);
                    let o = g.buffer((batch * h) as usize, None);
                    let f1 = g.buffer((batch * ffn) as usize, None);
                    let f2 = g.buffer((batch * h) as usize, None);
                    g.gemv(x, wqkv, None, qkv, batch, 3 * h, h, false);
                    let shape = AttentionShape { batch, heads, q_len: 1, kv_len: context, d, h };
                    attention(&mut g, qkv, scores, ctx, shape, Some((kcache, vcache)));
                    g.gemv(ctx, wo, None, o, batch, h, h, false);
                    g.layer_norm(o, batch, h, gain, shift, Some(x));
                    g.gemv(o, w1, None, f1, batch, ffn, h, true);
                    g.gemv(f1, w2, None, f2, batch, h, ffn, false);
                    g.layer_norm(f2, batch, h, gain, shift, Some(o));
                    x = f2;
                }
                Built { graph: g, input: x0, input_len: (batch * h) as usize, output: x }
            }
        }
    }
}

/// A recorded workload.
#[derive(Debug)]
pub struct Built<'g> {
    pub graph: Graph<'g>,
    pub input: Buf,
    pub input_len: usize,
    pub output: Buf,
}

#[derive(Clone, Copy, Debug)]
struct AttentionShape {
    batch: u32,
    heads: u32,
    q_len: u32,
    kv_len: u32,
    d: u32,
    h: u32,
}

/// Scaled dot-product attention per (request, head), reading Q (and K, V unless a cache is
/// given) from the interleaved Q|K|V rows: scores = Q·Kᵀ/√d, softmax, context = P·V.
fn attention(g: &mut Graph<'_>, qkv: Buf, scores: Buf, ctx: Buf, s: AttentionShape, cache: Option<(Buf, Buf)>) {
    let AttentionShape { batch, heads, q_len, kv_len, d, h } = s;
    let row3 = 3 * h;
    let (kbuf, koff, kld, kouter, vbuf, voff, vld, vouter) = match cache {
        Some((k, v)) => (k, 0, h, kv_len * h, v, 0, h, kv_len * h),
        None => (qkv, h, row3, q_len * row3, qkv, 2 * h, row3, q_len * row3),
    };
    let alpha = 1.0 / (d.max(1) as f32).sqrt();
    g.matmul(
        MatmulParams {
            m: q_len,
            n: kv_len,
            k: d,
            batch: batch * heads,
            inner: heads,
            lda: row3,
            a_off: 0,
            a_outer: q_len * row3,
            a_inner: d,
            ldb: kld,
            b_off: koff,
            b_outer: kouter,
            b_inner: d,
            trans_b: 1,
            ldc: kv_len,
            c_off: 0,
            c_outer: heads * q_len * kv_len,
            c_inner: q_len * kv_len,
            alpha,
            ..Default::default()
        },
        qkv,
        kbuf,
        None,
        scores,
    );
    g.softmax(scores, batch * heads * q_len, kv_len);
    g.matmul(
        MatmulParams {
            m: q_len,
            n: d,
            k: kv_len,
            batch: batch * heads,
            inner: heads,
            lda: kv_len,
            a_off: 0,
            a_outer: heads * q_len * kv_len,
            a_inner: q_len * kv_len,
            ldb: vld,
            b_off: voff,
            b_outer: vouter,
            b_inner: d,
            trans_b: 0,
            ldc: h,
            c_off: 0,
            c_outer: q_len * h,
            c_inner: d,
            alpha: 1.0,
            ..Default::default()
        },
        scores,
        vbuf,
        None,
        ctx,
    );
}
