//! A compute graph: storage buffers and a list of kernel dispatches (batched matmul, row-wise
//! softmax / layer norm, GEMV), recorded once and replayed in one compute pass per run.

pub use scalelab_core::measured::KernelTime;
use wgpu::util::DeviceExt;

use crate::gpu::{Gpu, GpuError};

#[repr(C)]
#[derive(Clone, Copy, Debug, Default, bytemuck::Pod, bytemuck::Zeroable)]
pub struct MatmulParams {
    pub m: u32,
    pub n: u32,
    pub k: u32,
    pub batch: u32,
    pub lda: u32,
    pub ldb: u32,
    pub ldc: u32,
    pub inner: u32,
    pub a_off: u32,
    pub a_outer: u32,
    pub a_inner: u32,
    pub trans_b: u32,
    pub b_off: u32,
    pub b_outer: u32,
    pub b_inner: u32,
    pub act: u32,
    pub c_off: u32,
    pub c_outer: u32,
    pub c_inner: u32,
    pub has_bias: u32,
    pub alpha: f32,
    pub _pad: [u32; 3],
}

impl MatmulParams {
    /// A plain C[m×n] = A[m×k] · B[k×n], row-major, one matrix.
    pub fn plain(m: u32, n: u32, k: u32) -> Self {
        MatmulParams { m, n, k, batch: 1, lda: k, ldb: n, ldc: n, inner: 1, alpha: 1.0, ..Default::default() }
    }
}

#[repr(C)]
#[derive(Clone, Copy, Debug, Default, bytemuck::Pod, bytemuck::Zeroable)]
struct RowsParams {
    rows: u32,
    cols: u32,
    op: u32,
    has_residual: u32,
}

#[repr(C)]
#[derive(Clone, Copy, Debug, Default, bytemuck::Pod, bytemuck::Zeroable)]
struct GemvParams {
    rows: u32,
    n: u32,
    k: u32,
    act: u32,
    has_bias: u32,
    _pad: [u32; 3],
}

/// A buffer of the graph, by index.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Buf(usize);

#[derive(Debug)]
struct Op {
    kind: usize,
    /// The kernel's name in reports: matmul, softmax, layer_norm, gemv.
    name: &'static str,
    work: Work,
    bind: wgpu::BindGroup,
    groups: (u32, u32, u32),
}

/// Timestamp queries per query set (wgpu's limit is 4096).
const QUERIES_PER_SET: usize = 4096;

/// Floating-point work and memory traffic of the graph, for achieved FLOP/s and bytes/s.
#[derive(Clone, Copy, Debug, Default, PartialEq)]
pub struct Work {
    pub flops: f64,
    pub bytes: f64,
}

#[derive(Debug)]
pub struct Graph<'g> {
    gpu: &'g Gpu,
    pipelines: [wgpu::ComputePipeline; 3],
    buffers: Vec<(wgpu::Buffer, usize)>,
    ops: Vec<Op>,
    empty: wgpu::Buffer,
    pub work: Work,
}

const MATMUL: usize = 0;
const ROWS: usize = 1;
const GEMV: usize = 2;

fn pipeline(gpu: &Gpu, src: &str, label: &str) -> wgpu::ComputePipeline {
    let module = gpu.device.create_shader_module(wgpu::ShaderModuleDescriptor {
        label: Some(label),
        source: wgpu::ShaderSource::Wgsl(src.into()),
    });
    gpu.device.create_compute_pipeline(&wgpu::ComputePipelineDescriptor {
        label: Some(label),
        layout: None,
        module: &module,
        entry_point: Some("main"),
        compilation_options: Default::default(),
        cache: None,
    })
}

impl<'g> Graph<'g> {
    pub fn new(gpu: &'g Gpu) -> Self {
        let pipelines = [
            pipeline(gpu, include_str!("shaders/matmul.wgsl"), "matmul"),
            pipeline(gpu, include_str!("shaders/rows.wgsl"), "rows"),
            pipeline(gpu, include_str!("shaders/gemv.wgsl"), "gemv"),
        ];
        let empty = gpu.device.create_buffer_init(&wgpu::util::BufferInitDescriptor {
            label: Some("empty"),
            contents: bytemuck::cast_slice(&[0f32; 4]),
            usage: wgpu::BufferUsages::STORAGE,
        });
        Graph { gpu, pipelines, buffers: Vec::new(), ops: Vec::new(), empty, work: Work::default() }
    }

    /// A storage buffer of `len` floats, zeroed or initialised.
    pub fn buffer(&mut self, len: usize, init: Option<&[f32]>) -> Buf {
        let usage = wgpu::BufferUsages::STORAGE | wgpu::BufferUsages::COPY_SRC | wgpu::BufferUsages::COPY_DST;
        let buf = match init {
            Some(data) => self.gpu.device.create_buffer_init(&wgpu::util::BufferInitDescriptor {
                label: None,
                contents: bytemuck::cast_slice(data),
                usage,
            }),
            None => self.gpu.device.create_buffer(&wgpu::BufferDescriptor {
                label: None,
                size: (len.max(1) * 4) as u64,
                usage,
                mapped_at_creation: false,
            }),
        };
        self.buffers.push((buf, len));
        Buf(self.buffers.len() - 1)
    }

    fn get(&self, b: Option<Buf>) -> &wgpu::Buffer {
        b.and_then(|Buf(i)| self.buffers.get(i)).map_or(&self.empty, |(buf, _)| buf)
    }

    #[allow(clippy::too_many_arguments)]
    fn push(
        &mut self,
        kind: usize,
        name: &'static str,
        work: Work,
        params: &[u8],
        bufs: [Option<Buf>; 4],
        groups: (u32, u32, u32),
    ) {
        self.work.flops += work.flops;
        self.work.bytes += work.bytes;
        let uniform = self.gpu.device.create_buffer_init(&wgpu::util::BufferInitDescriptor {
            label: None,
            contents: params,
            usage: wgpu::BufferUsages::UNIFORM,
        });
        let layout = self.pipelines.get(kind).map(|p| p.get_bind_group_layout(0));
        let Some(layout) = layout else { return };
        let mut entries = vec![wgpu::BindGroupEntry { binding: 0, resource: uniform.as_entire_binding() }];
        for (k, b) in bufs.iter().enumerate() {
            entries.push(wgpu::BindGroupEntry { binding: k as u32 + 1, resource: self.get(*b).as_entire_binding() });
        }
        let bind = self.gpu.device.create_bind_group(&wgpu::BindGroupDescriptor {
            label: None,
            layout: &layout,
            entries: &entries,
        });
        self.ops.push(Op { kind, name, work, bind, groups });
    }

    /// Batched `C = act(alpha · A · op(B) + bias)`; see `MatmulParams`.
    pub fn matmul(&mut self, p: MatmulParams, a: Buf, b: Buf, bias: Option<Buf>, c: Buf) {
        let p = MatmulParams { has_bias: u32::from(bias.is_some()), ..p };
        let groups = (p.n.div_ceil(16), p.m.div_ceil(16), p.batch);
        let work = Work {
            flops: 2.0 * f64::from(p.m) * f64::from(p.n) * f64::from(p.k) * f64::from(p.batch),
            bytes: 4.0
                * f64::from(p.batch)
                * (f64::from(p.m) * f64::from(p.k) + f64::from(p.k) * f64::from(p.n) + f64::from(p.m) * f64::from(p.n)),
        };
        self.push(MATMUL, "matmul", work, bytemuck::bytes_of(&p), [Some(a), Some(b), bias, Some(c)], groups);
    }

    /// Softmax of each row of `x` (rows × cols), in place.
    pub fn softmax(&mut self, x: Buf, rows: u32, cols: u32) {
        let p = RowsParams { rows, cols, op: 0, has_residual: 0 };
        let work =
            Work { flops: 5.0 * f64::from(rows) * f64::from(cols), bytes: 12.0 * f64::from(rows) * f64::from(cols) };
        self.push(
            ROWS,
            "softmax",
            work,
            bytemuck::bytes_of(&p),
            [Some(x), None, None, None],
            (rows.min(65535), rows.div_ceil(65535), 1),
        );
    }

    /// Layer norm of each row of `x` after adding `residual`, in place.
    pub fn layer_norm(&mut self, x: Buf, rows: u32, cols: u32, gain: Buf, shift: Buf, residual: Option<Buf>) {
        let p = RowsParams { rows, cols, op: 1, has_residual: u32::from(residual.is_some()) };
        let work =
            Work { flops: 8.0 * f64::from(rows) * f64::from(cols), bytes: 16.0 * f64::from(rows) * f64::from(cols) };
        self.push(
            ROWS,
            "layer_norm",
            work,
            bytemuck::bytes_of(&p),
            [Some(x), Some(gain), Some(shift), residual],
            (rows.min(65535), rows.div_ceil(65535), 1),
        );
    }

    /// `y[rows × n] = act(x[rows × k] · W[k × n] + bias)`.
    #[allow(clippy::too_many_arguments)]
    pub fn gemv(&mut self, x: Buf, w: Buf, bias: Option<Buf>, y: Buf, rows: u32, n: u32, k: u32, gelu: bool) {
        let p = GemvParams { rows, n, k, act: u32::from(gelu), has_bias: u32::from(bias.is_some()), _pad: [0; 3] };
        let work = Work {
            flops: 2.0 * f64::from(rows) * f64::from(n) * f64::from(k),
            bytes: 4.0 * (f64::from(k) * f64::from(n) + f64::from(rows) * (f64::from(k) + f64::from(n))),
        };
        self.push(
            GEMV,
            "gemv",
            work,
            bytemuck::bytes_of(&p),
            [Some(x), Some(w), bias, Some(y)],
            (n.div_ceil(256), rows, 1),
        );
    }

    fn dispatch(&self, pass: &mut wgpu::ComputePass<'_>, op: &Op) {
        if let Some(p) = self.pipelines.get(op.kind) {
            pass.set_pipeline(p);
            pass.set_bind_group(0, &op.bind, &[]);
            pass.dispatch_workgroups(op.groups.0, op.groups.1, op.groups.2);
        }
    }

    /// Records every op in one compute pass.
    pub fn encode(&self, timestamps: Option<&wgpu::QuerySet>) -> wgpu::CommandBuffer {
        let mut enc = self.gpu.device.create_command_encoder(&Default::default());
        {
            let tw = timestamps.map(|q| wgpu::ComputePassTimestampWrites {
                query_set: q,
                beginning_of_pass_write_index: Some(0),
                end_of_pass_write_index: Some(1),
            });
            let mut pass = enc.begin_compute_pass(&wgpu::ComputePassDescriptor { label: None, timestamp_writes: tw });
            for op in &self.ops {
                self.dispatch(&mut pass, op);
            }
        }
        enc.finish()
    }

    /// Runs the graph once and returns (wall seconds, GPU seconds from timestamps if supported).
    pub fn run(&self) -> Result<(f64, Option<f64>), GpuError> {
        if !self.gpu.timestamps {
            return Ok((self.gpu.submit_timed(self.encode(None))?, None));
        }
        let qs = self.gpu.device.create_query_set(&wgpu::QuerySetDescriptor {
            label: None,
            ty: wgpu::QueryType::Timestamp,
            count: 2,
        });
        let resolve = self.gpu.device.create_buffer(&wgpu::BufferDescriptor {
            label: None,
            size: 16,
            usage: wgpu::BufferUsages::QUERY_RESOLVE | wgpu::BufferUsages::COPY_SRC,
            mapped_at_creation: false,
        });
        let cmd = self.encode(Some(&qs));
        let mut enc = self.gpu.device.create_command_encoder(&Default::default());
        enc.resolve_query_set(&qs, 0..2, &resolve, 0);
        let wall = {
            let t = std::time::Instant::now();
            self.gpu.queue.submit([cmd, enc.finish()]);
            self.gpu.wait()?;
            t.elapsed().as_secs_f64()
        };
        let ticks: Vec<u64> = bytemuck::pod_collect_to_vec::<u8, u64>(&self.gpu.read_bytes(&resolve, 16)?);
        let period_ns = f64::from(self.gpu.queue.get_timestamp_period());
        let gpu = match (ticks.first(), ticks.get(1)) {
            (Some(a), Some(b)) if b > a => Some((b - a) as f64 * period_ns * 1e-9),
            _ => None,
        };
        Ok((wall, gpu))
    }

    /// Runs the graph once with every dispatch in its own compute pass between two timestamps,
    /// and sums the times by kernel (in the order kernels first appear). `None` without
    /// timestamp queries. Separate passes add a little synchronisation, so the sum may exceed
    /// a plain run's time; the split between kernels is what this is for.
    pub fn profile_kernels(&self) -> Result<Option<Vec<KernelTime>>, GpuError> {
        if !self.gpu.timestamps {
            return Ok(None);
        }
        let mut out: Vec<KernelTime> = Vec::new();
        for chunk in self.ops.chunks(QUERIES_PER_SET / 2) {
            let count = (chunk.len() * 2) as u32;
            let qs = self.gpu.device.create_query_set(&wgpu::QuerySetDescriptor {
                label: None,
                ty: wgpu::QueryType::Timestamp,
                count,
            });
            let size = u64::from(count) * 8;
            let resolve = self.gpu.device.create_buffer(&wgpu::BufferDescriptor {
                label: None,
                size,
                usage: wgpu::BufferUsages::QUERY_RESOLVE | wgpu::BufferUsages::COPY_SRC,
                mapped_at_creation: false,
            });
            let mut enc = self.gpu.device.create_command_encoder(&Default::default());
            for (k, op) in chunk.iter().enumerate() {
                let tw = wgpu::ComputePassTimestampWrites {
                    query_set: &qs,
                    beginning_of_pass_write_index: Some(2 * k as u32),
                    end_of_pass_write_index: Some(2 * k as u32 + 1),
                };
                let mut pass =
                    enc.begin_compute_pass(&wgpu::ComputePassDescriptor { label: None, timestamp_writes: Some(tw) });
                self.dispatch(&mut pass, op);
            }
            enc.resolve_query_set(&qs, 0..count, &resolve, 0);
            self.gpu.queue.submit([enc.finish()]);
            self.gpu.wait()?;
            let ticks: Vec<u64> = bytemuck::pod_collect_to_vec::<u8, u64>(&self.gpu.read_bytes(&resolve, size)?);
            let period_ns = f64::from(self.gpu.queue.get_timestamp_period());
            for (k, op) in chunk.iter().enumerate() {
                let ms = match (ticks.get(2 * k), ticks.get(2 * k + 1)) {
                    (Some(a), Some(b)) if b >= a => (b - a) as f64 * period_ns * 1e-6,
                    _ => 0.0,
                };
                match out.iter_mut().find(|t| t.kernel == op.name) {
                    Some(t) => {
                        t.dispatches += 1;
                        t.ms += ms;
                        t.flops += op.work.flops;
                        t.bytes += op.work.bytes;
                    }
                    None => out.push(KernelTime {
                        kernel: op.name.to_string(),
                        dispatches: 1,
                        ms,
                        flops: op.work.flops,
                        bytes: op.work.bytes,
                    }),
                }
            }
        }
        Ok(Some(out))
    }

    /// Writes input data (an upload) and returns the wall seconds it took to land.
    pub fn upload(&self, b: Buf, data: &[f32]) -> Result<f64, GpuError> {
        let t = std::time::Instant::now();
        self.gpu.queue.write_buffer(self.get(Some(b)), 0, bytemuck::cast_slice(data));
        self.gpu.queue.submit([]);
        self.gpu.wait()?;
        Ok(t.elapsed().as_secs_f64())
    }

    /// Reads a buffer back (the readback) with the wall seconds it took.
    pub fn download(&self, b: Buf) -> Result<(Vec<f32>, f64), GpuError> {
        let t = std::time::Instant::now();
        let len = self.buffers.get(b.0).map_or(0, |(_, l)| *l);
        let v = self.gpu.read(self.get(Some(b)), len)?;
        Ok((v, t.elapsed().as_secs_f64()))
    }
}
