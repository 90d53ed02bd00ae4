// Batched C = act(A · op(B) · alpha + bias), 16×16 tiles in workgroup memory.
// Element (r, c) of matrix z's A is a[offA(z) + r * lda + c]; op(B) is B or Bᵀ (transB).
// Batch z splits into (outer, inner) = (z / inner, z % inner), each with its own stride, so
// that per-head slices of interleaved Q|K|V rows are addressed without copies.
struct Params {
    m: u32, n: u32, k: u32, batch: u32,
    lda: u32, ldb: u32, ldc: u32, inner: u32,
    a_off: u32, a_outer: u32, a_inner: u32, trans_b: u32,
    b_off: u32, b_outer: u32, b_inner: u32, act: u32,
    c_off: u32, c_outer: u32, c_inner: u32, has_bias: u32,
    alpha: f32, _p0: u32, _p1: u32, _p2: u32,
};

@group(0) @binding(0) var<uniform> p: Params;
@group(0) @binding(1) var<storage, read> a: array<f32>;
@group(0) @binding(2) var<storage, read> b: array<f32>;
@group(0) @binding(3) var<storage, read> bias: array<f32>;
@group(0) @binding(4) var<storage, read_write> c: array<f32>;

const T: u32 = 16u;
var<workgroup> ta: array<array<f32, 16>, 16>;
var<workgroup> tb: array<array<f32, 16>, 16>;

fn gelu(x: f32) -> f32 {
    // tanh approximation, as BERT and GPT-2 use.
    let u = 0.7978845608 * (x + 0.044715 * x * x * x);
    return 0.5 * x * (1.0 + tanh(u));
}

@compute @workgroup_size(16, 16, 1)
fn main(@builtin(workgroup_id) wg: vec3<u32>, @builtin(local_invocation_id) l: vec3<u32>) {
    let z = wg.z;
    let zo = z / p.inner;
    let zi = z % p.inner;
    let ao = p.a_off + zo * p.a_outer + zi * p.a_inner;
    let bo = p.b_off + zo * p.b_outer + zi * p.b_inner;
    let co = p.c_off + zo * p.c_outer + zi * p.c_inner;
    let row = wg.y * T + l.y;
    let col = wg.x * T + l.x;
    var acc = 0.0;
    let tiles = (p.k + T - 1u) / T;
    for (var t = 0u; t < tiles; t = t + 1u) {
        let ka = t * T + l.x;
        if (row < p.m && ka < p.k) { ta[l.y][l.x] = a[ao + row * p.lda + ka]; } else { ta[l.y][l.x] = 0.0; }
        let kb = t * T + l.y;
        var vb = 0.0;
        if (col < p.n && kb < p.k) {
            if (p.trans_b == 1u) { vb = b[bo + col * p.ldb + kb]; } else { vb = b[bo + kb * p.ldb + col]; }
        }
        tb[l.y][l.x] = vb;
        workgroupBarrier();
        for (var i = 0u; i < T; i = i + 1u) {
            acc = acc + ta[l.y][i] * tb[i][l.x];
        }
        workgroupBarrier();
    }
    if (row < p.m && col < p.n) {
        var v = acc * p.alpha;
        if (p.has_bias == 1u) { v = v + bias[col]; }
        if (p.act == 1u) { v = gelu(v); }
        c[co + row * p.ldc + col] = v;
    }
}
