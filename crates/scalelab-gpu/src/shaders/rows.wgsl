// Row-wise operations, one workgroup of 256 threads per row:
//  op 0: softmax in place (x - max, exp, / sum), with an optional causal/valid length;
//  op 1: layer norm in place with gain and bias, epsilon 1e-5, optionally adding a residual
//        row first (x = x + r).
struct Params { rows: u32, cols: u32, op: u32, has_residual: u32 };

@group(0) @binding(0) var<uniform> p: Params;
@group(0) @binding(1) var<storage, read_write> x: array<f32>;
@group(0) @binding(2) var<storage, read> gain: array<f32>;
@group(0) @binding(3) var<storage, read> shift: array<f32>;
@group(0) @binding(4) var<storage, read> residual: array<f32>;

var<workgroup> red: array<f32, 256>;

fn reduce_sum(v: f32, i: u32) -> f32 {
    red[i] = v;
    workgroupBarrier();
    var s = 128u;
    loop {
        if (s == 0u) { break; }
        if (i < s) { red[i] = red[i] + red[i + s]; }
        workgroupBarrier();
        s = s / 2u;
    }
    let r = red[0];
    workgroupBarrier();
    return r;
}

fn reduce_max(v: f32, i: u32) -> f32 {
    red[i] = v;
    workgroupBarrier();
    var s = 128u;
    loop {
        if (s == 0u) { break; }
        if (i < s) { red[i] = max(red[i], red[i + s]); }
        workgroupBarrier();
        s = s / 2u;
    }
    let r = red[0];
    workgroupBarrier();
    return r;
}

@compute @workgroup_size(256, 1, 1)
fn main(@builtin(workgroup_id) wg: vec3<u32>, @builtin(local_invocation_id) l: vec3<u32>) {
    let row = wg.x + wg.y * 65535u;
    if (row >= p.rows) { return; }
    let base = row * p.cols;
    let i = l.x;
    if (p.op == 0u) {
        var m = -3.4e38;
        for (var j = i; j < p.cols; j = j + 256u) { m = max(m, x[base + j]); }
        m = reduce_max(m, i);
        var s = 0.0;
        for (var j = i; j < p.cols; j = j + 256u) {
            let e = exp(x[base + j] - m);
            x[base + j] = e;
            s = s + e;
        }
        s = reduce_sum(s, i);
        for (var j = i; j < p.cols; j = j + 256u) { x[base + j] = x[base + j] / s; }
    } else {
        if (p.has_residual == 1u) {
            for (var j = i; j < p.cols; j = j + 256u) { x[base + j] = x[base + j] + residual[base + j]; }
        }
        var s = 0.0;
        for (var j = i; j < p.cols; j = j + 256u) { s = s + x[base + j]; }
        let mean = reduce_sum(s, i) / f32(p.cols);
        var q = 0.0;
        for (var j = i; j < p.cols; j = j + 256u) { let d = x[base + j] - mean; q = q + d * d; }
        let inv = inverseSqrt(reduce_sum(q, i) / f32(p.cols) + 1e-5);
        for (var j = i; j < p.cols; j = j + 256u) {
            x[base + j] = (x[base + j] - mean) * inv * gain[j] + shift[j];
        }
    }
}
