//! The device: adapter selection, what it is (discrete, integrated, software), and running a
//! recorded command buffer with its time measured.

use std::fmt;
use std::time::Instant;

/// Why there is no GPU to measure.
#[derive(Debug)]
pub enum GpuError {
    NoAdapter(String),
    NoDevice(String),
    Readback(String),
}

impl fmt::Display for GpuError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            GpuError::NoAdapter(e) => write!(
                f,
                "no GPU adapter found ({e}). Install a Vulkan driver (on Debian without a GPU: \
                 apt-get install mesa-vulkan-drivers libvulkan1 for the lavapipe CPU driver) or run on a \
                 machine with a GPU"
            ),
            GpuError::NoDevice(e) => write!(f, "the GPU adapter refused to open a device: {e}"),
            GpuError::Readback(e) => write!(f, "reading results back from the GPU failed: {e}"),
        }
    }
}

impl std::error::Error for GpuError {}

/// An open device and what is known about it.
#[derive(Debug)]
pub struct Gpu {
    pub device: wgpu::Device,
    pub queue: wgpu::Queue,
    pub info: wgpu::AdapterInfo,
    /// Whether compute passes can write GPU timestamps.
    pub timestamps: bool,
}

impl Gpu {
    /// Opens the highest-performance adapter (`WGPU_BACKEND` narrows the backends).
    pub fn open() -> Result<Gpu, GpuError> {
        let instance = wgpu::Instance::new(wgpu::InstanceDescriptor::new_without_display_handle_from_env());
        let adapter = pollster::block_on(instance.request_adapter(&wgpu::RequestAdapterOptions {
            power_preference: wgpu::PowerPreference::HighPerformance,
            ..Default::default()
        }))
        .map_err(|e| GpuError::NoAdapter(e.to_string()))?;
        let info = adapter.get_info();
        let timestamps = adapter.features().contains(wgpu::Features::TIMESTAMP_QUERY);
        let features = if timestamps { wgpu::Features::TIMESTAMP_QUERY } else { wgpu::Features::empty() };
        let mut limits = wgpu::Limits::downlevel_defaults().using_resolution(adapter.limits());
        let al = adapter.limits();
        limits.max_storage_buffer_binding_size = al.max_storage_buffer_binding_size;
        limits.max_buffer_size = al.max_buffer_size;
        limits.max_compute_workgroups_per_dimension = al.max_compute_workgroups_per_dimension;
        limits.max_storage_buffers_per_shader_stage = al.max_storage_buffers_per_shader_stage.max(4);
        let (device, queue) = pollster::block_on(adapter.request_device(&wgpu::DeviceDescriptor {
            label: Some("scalelab-calibrate"),
            required_features: features,
            required_limits: limits,
            ..Default::default()
        }))
        .map_err(|e| GpuError::NoDevice(e.to_string()))?;
        Ok(Gpu { device, queue, info, timestamps })
    }

    /// "discrete", "integrated", "virtual", "software (CPU)" or "other".
    pub fn device_type(&self) -> &'static str {
        match self.info.device_type {
            wgpu::DeviceType::DiscreteGpu => "discrete",
            wgpu::DeviceType::IntegratedGpu => "integrated",
            wgpu::DeviceType::VirtualGpu => "virtual",
            wgpu::DeviceType::Cpu => "software (CPU)",
            wgpu::DeviceType::Other => "other",
        }
    }

    pub fn is_software(&self) -> bool {
        self.info.device_type == wgpu::DeviceType::Cpu
    }

    /// Blocks until the queue is idle.
    pub fn wait(&self) -> Result<(), GpuError> {
        self.device.poll(wgpu::PollType::wait_indefinitely()).map(|_| ()).map_err(|e| GpuError::Readback(e.to_string()))
    }

    /// Submits and waits; returns the wall-clock seconds from submit to idle.
    pub fn submit_timed(&self, cmd: wgpu::CommandBuffer) -> Result<f64, GpuError> {
        let t = Instant::now();
        self.queue.submit([cmd]);
        self.wait()?;
        Ok(t.elapsed().as_secs_f64())
    }

    /// Copies a storage buffer of floats back to the CPU.
    pub fn read(&self, buf: &wgpu::Buffer, len_f32: usize) -> Result<Vec<f32>, GpuError> {
        let bytes = self.read_bytes(buf, (len_f32 * 4) as u64)?;
        Ok(bytemuck::pod_collect_to_vec::<u8, f32>(&bytes))
    }

    /// Copies the first `size` bytes of a buffer back to the CPU.
    pub fn read_bytes(&self, buf: &wgpu::Buffer, size: u64) -> Result<Vec<u8>, GpuError> {
        let staging = self.device.create_buffer(&wgpu::BufferDescriptor {
            label: Some("readback"),
            size,
            usage: wgpu::BufferUsages::MAP_READ | wgpu::BufferUsages::COPY_DST,
            mapped_at_creation: false,
        });
        let mut enc = self.device.create_command_encoder(&Default::default());
        enc.copy_buffer_to_buffer(buf, 0, &staging, 0, size);
        self.queue.submit([enc.finish()]);
        let slice = staging.slice(..);
        let (tx, rx) = std::sync::mpsc::channel();
        slice.map_async(wgpu::MapMode::Read, move |r| {
            let _ = tx.send(r);
        });
        self.wait()?;
        rx.recv().map_err(|e| GpuError::Readback(e.to_string()))?.map_err(|e| GpuError::Readback(e.to_string()))?;
        let out = slice.get_mapped_range().map_err(|e| GpuError::Readback(format!("{e:?}")))?.to_vec();
        staging.unmap();
        Ok(out)
    }
}
