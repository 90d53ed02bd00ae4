//! The core as a bare WebAssembly module with a C ABI, for the native-vs-wasm determinism check
//! (`cargo xtask test` runs `tests/wasm/determinism.mjs` under node). No wasm-bindgen: the host
//! writes scenario JSON into memory it got from `probe_alloc` and calls `probe_report_hash`.
//!
//! This is the only crate that allows `unsafe`: taking ownership of a buffer across the ABI.
#![allow(unsafe_code)]

/// Allocates `len` bytes for the host to fill; ownership passes back with `probe_report_hash`.
#[unsafe(no_mangle)]
pub extern "C" fn probe_alloc(len: usize) -> *mut u8 {
    let mut buf = Vec::<u8>::with_capacity(len);
    let ptr = buf.as_mut_ptr();
    std::mem::forget(buf);
    ptr
}

/// Runs the scenario JSON at `ptr..ptr+len` with `seed` and returns the report hash, or 0 if the
/// scenario is invalid. Frees the buffer.
///
/// # Safety
/// `ptr` must come from `probe_alloc(len)` and hold `len` initialised bytes; it is consumed.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn probe_report_hash(ptr: *mut u8, len: usize, seed: u64) -> u64 {
    // SAFETY: the caller passes a buffer from `probe_alloc(len)`, fully written.
    let bytes = unsafe { Vec::from_raw_parts(ptr, len, len) };
    report_hash(&bytes, seed)
}

/// The same computation for native callers.
pub fn report_hash(json: &[u8], seed: u64) -> u64 {
    let Ok(text) = std::str::from_utf8(json) else { return 0 };
    scalelab_core::simulate_json(text, Some(seed)).ok().and_then(|r| r.hash().ok()).unwrap_or(0)
}

/// Runs the rightsizing lab on the request JSON at `ptr..ptr+len` (its `seed` replaced) and
/// returns the hash of its answer, or 0 if the request is invalid. Frees the buffer.
///
/// # Safety
/// `ptr` must come from `probe_alloc(len)` and hold `len` initialised bytes; it is consumed.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn probe_rightsize_hash(ptr: *mut u8, len: usize, seed: u64) -> u64 {
    // SAFETY: the caller passes a buffer from `probe_alloc(len)`, fully written.
    let bytes = unsafe { Vec::from_raw_parts(ptr, len, len) };
    rightsize_hash(&bytes, seed)
}

/// The same computation for native callers.
pub fn rightsize_hash(json: &[u8], seed: u64) -> u64 {
    use scalelab_core::rightsize;
    let Ok(mut req) = serde_json::from_slice::<rightsize::Request>(json) else { return 0 };
    req.seed = seed;
    rightsize::run(req, rightsize::sequential, |_| {}).ok().and_then(|r| r.hash().ok()).unwrap_or(0)
}
