// y[r, n] = act(Σ_k x[r, k] · W[k, n] + bias[n]) for a few rows r: one thread per output
// column, reading W row by row so that neighbouring threads read neighbouring memory. The
// decode step of an LLM is this, bound by the bandwidth of reading W.
struct Params { rows: u32, n: u32, k: u32, act: u32, has_bias: u32, _p0: u32, _p1: u32, _p2: u32 };

@group(0) @binding(0) var<uniform> p: Params;
@group(0) @binding(1) var<storage, read> x: array<f32>;
@group(0) @binding(2) var<storage, read> w: array<f32>;
@group(0) @binding(3) var<storage, read> bias: array<f32>;
@group(0) @binding(4) var<storage, read_write> y: array<f32>;

fn gelu(v: f32) -> f32 {
    let u = 0.7978845608 * (v + 0.044715 * v * v * v);
    return 0.5 * v * (1.0 + tanh(u));
}

@compute @workgroup_size(256, 1, 1)
fn main(@builtin(global_invocation_id) g: vec3<u32>) {
    let col = g.x;
    let r = g.y;
    if (col >= p.n || r >= p.rows) { return; }
    var acc = 0.0;
    for (var k = 0u; k < p.k; k = k + 1u) {
        acc = acc + x[r * p.k + k] * w[k * p.n + col];
    }
    if (p.has_bias == 1u) { acc = acc + bias[col]; }
    if (p.act == 1u) { acc = gelu(acc); }
    y[r * p.n + col] = acc;
}
