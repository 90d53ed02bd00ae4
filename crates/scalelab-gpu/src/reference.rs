//! CPU references for the kernels, used by the tests at small sizes.

pub fn gelu(x: f32) -> f32 {
    let u = 0.797_884_6 * (x + 0.044_715 * x * x * x);
    0.5 * x * (1.0 + libm::tanhf(u))
}

/// C[m×n] = A[m×k] · B[k×n] (+ bias, GELU), row-major.
pub fn matmul(a: &[f32], b: &[f32], bias: Option<&[f32]>, m: usize, n: usize, k: usize, act_gelu: bool) -> Vec<f32> {
    let mut c = vec![0.0; m * n];
    for (i, row) in c.chunks_mut(n).enumerate() {
        for (j, out) in row.iter_mut().enumerate() {
            let mut s = 0.0;
            for kk in 0..k {
                s += a.get(i * k + kk).copied().unwrap_or(0.0) * b.get(kk * n + j).copied().unwrap_or(0.0);
            }
            if let Some(bias) = bias {
                s += bias.get(j).copied().unwrap_or(0.0);
            }
            *out = if act_gelu { gelu(s) } else { s };
        }
    }
    c
}

pub fn softmax_rows(x: &mut [f32], cols: usize) {
    for row in x.chunks_mut(cols) {
        let m = row.iter().copied().fold(f32::NEG_INFINITY, f32::max);
        let mut s = 0.0;
        for v in row.iter_mut() {
            *v = libm::expf(*v - m);
            s += *v;
        }
        for v in row.iter_mut() {
            *v /= s;
        }
    }
}

pub fn layer_norm_rows(x: &mut [f32], cols: usize, residual: Option<&[f32]>) {
    for (r, row) in x.chunks_mut(cols).enumerate() {
        if let Some(res) = residual {
            for (j, v) in row.iter_mut().enumerate() {
                *v += res.get(r * cols + j).copied().unwrap_or(0.0);
            }
        }
        let mean = row.iter().sum::<f32>() / cols as f32;
        let var = row.iter().map(|v| (v - mean) * (v - mean)).sum::<f32>() / cols as f32;
        let inv = 1.0 / libm::sqrtf(var + 1e-5);
        for v in row.iter_mut() {
            *v = (*v - mean) * inv;
        }
    }
}
