//! A measured instance profile, as `scalelab calibrate` writes it: the serving profile fitted on
//! a GPU benchmark, and where it came from (adapter, workload, batch timings, achieved
//! throughput against the device's peak, and how close the simulator came to the load test).
//! Pure data and its one loader, shared by the CLI and the page; the GPU crate measures it.

use serde::{Deserialize, Serialize};

use crate::problem::{Problem, Problems};
use crate::profile::ServingProfile;
use crate::scenario::Scenario;

#[derive(Clone, Debug, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct BatchPoint {
    pub batch: u32,
    /// Median of the repeated runs, milliseconds: GPU timestamps where supported, else wall
    /// clock around submit-and-wait.
    pub median_ms: f64,
    pub samples_ms: Vec<f64>,
    pub upload_ms: f64,
    pub readback_ms: f64,
    pub flops: f64,
    pub bytes: f64,
}

/// The time one kind of kernel took in a run of the graph, over all its dispatches, from
/// timestamps around each dispatch in its own compute pass.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct KernelTime {
    pub kernel: String,
    pub dispatches: u32,
    pub ms: f64,
    pub flops: f64,
    pub bytes: f64,
}

impl KernelTime {
    pub fn gflops(&self) -> f64 {
        if self.ms > 0.0 { self.flops / self.ms / 1e6 } else { 0.0 }
    }
    pub fn gbytes_per_s(&self) -> f64 {
        if self.ms > 0.0 { self.bytes / self.ms / 1e6 } else { 0.0 }
    }
}

#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase", tag = "name")]
pub enum Workload {
    /// A small classifier: input → hidden (GELU) → classes.
    Mlp { input: u32, hidden: u32, classes: u32 },
    /// Transformer encoder layers: `seq` tokens per request.
    Encoder { seq: u32, hidden: u32, heads: u32, ffn: u32, layers: u32 },
    /// One decode step per request against a KV cache of `context` tokens.
    Decode { hidden: u32, heads: u32, ffn: u32, layers: u32, context: u32 },
}

impl Workload {
    pub const NAMES: [&'static str; 3] = ["mlp", "bert-base", "llm-decode"];

    pub fn mlp() -> Workload {
        Workload::Mlp { input: 512, hidden: 2048, classes: 16 }
    }
    /// BERT-base: 12 layers, hidden 768, 12 heads, FFN 3072.
    pub fn bert_base(seq: u32, layers: u32) -> Workload {
        Workload::Encoder { seq, hidden: 768, heads: 12, ffn: 3072, layers }
    }
    /// Llama-3-8B's layer shape (hidden 4096, 32 heads, FFN 14336), halved until one layer's
    /// weights fit `budget_bytes` and the largest matrix fits one binding of the device.
    pub fn llm_decode(budget_bytes: u64, max_binding: u64, layers: u32, context: u32) -> Workload {
        let mut hidden = 4096u32;
        loop {
            let ffn = hidden / 2 * 7;
            let layer = 4 * (4 * u64::from(hidden) * u64::from(hidden) + 2 * u64::from(hidden) * u64::from(ffn));
            let largest = 4 * u64::from(hidden) * u64::from(ffn);
            if (layer * u64::from(layers) <= budget_bytes && largest <= max_binding) || hidden <= 256 {
                return Workload::Decode { hidden, heads: (hidden / 128).max(1), ffn, layers, context };
            }
            hidden /= 2;
        }
    }

    pub fn label(&self) -> String {
        match self {
            Workload::Mlp { input, hidden, classes } => format!("mlp {input}→{hidden}→{classes}"),
            Workload::Encoder { seq, hidden, heads, ffn, layers } => {
                format!("encoder {layers} layers, seq {seq}, hidden {hidden}, {heads} heads, ffn {ffn}")
            }
            Workload::Decode { hidden, heads, ffn, layers, context } => {
                format!(
                    "llm decode step, {layers} layers, hidden {hidden}, {heads} heads, ffn {ffn}, context {context}"
                )
            }
        }
    }
}

#[derive(Clone, Debug, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Fidelity {
    pub slo_p99_ms: f64,
    pub measured_max_rps: f64,
    pub predicted_max_rps: f64,
    pub measured_p99_ms_at_max: f64,
    pub predicted_p99_ms_at_max: f64,
    /// |predicted − measured| / measured max RPS.
    pub max_rps_error: f64,
    pub method: String,
    /// The simulator again, given a profile fitted on the batch times the live load test
    /// itself saw: what is left of the error is the simulator's; the difference from
    /// `max_rps_error` is the adapter's speed drifting between benchmark and load test.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub with_load_test_batch_times: Option<Refit>,
}

/// A batch model fitted on the batch times a live load test saw, and the simulator's answer
/// with it.
#[derive(Clone, Debug, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Refit {
    /// Batch size, median milliseconds and number of batches the load test ran, per bucket.
    pub batches: Vec<(u32, f64, usize)>,
    pub fixed_ms: f64,
    pub per_item_ms: f64,
    pub cv: f64,
    pub predicted_max_rps: f64,
    pub max_rps_error: f64,
}

#[derive(Clone, Debug, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Provenance {
    pub adapter: String,
    pub backend: String,
    pub driver: String,
    pub device_type: String,
    pub date: String,
    pub workload: Workload,
    pub workload_label: String,
    pub max_batch: u32,
    pub timing: String,
    pub points: Vec<BatchPoint>,
    pub achieved_gflops: f64,
    pub achieved_gbytes_per_s: f64,
    /// The published peaks the fractions are of, e.g. "H100 SXM: 66.9 TFLOP/s FP32, 3350 GB/s".
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub peak_reference: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub peak_fraction_flops: Option<f64>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub peak_fraction_bandwidth: Option<f64>,
    /// Time per kind of kernel at the largest batch (GPU timestamps around each dispatch).
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub kernels: Vec<KernelTime>,
    /// Absent when the latency objective is below one request's latency (no rate meets it).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub fidelity: Option<Fidelity>,
    pub note: String,
}

/// A measured instance profile: the core's serving profile plus where it came from.
#[derive(Clone, Debug, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct MeasuredProfile {
    pub profile: ServingProfile,
    pub provenance: Provenance,
}

impl MeasuredProfile {
    /// Reads a profile file. Problems name their place (`profile.workers`, `provenance`).
    pub fn from_json(text: &str) -> Result<MeasuredProfile, Problems> {
        let one = |path: &str, m: String| Problems(vec![Problem::new(path, m)]);
        let v: serde_json::Value = serde_json::from_str(text).map_err(|e| one("", format!("not valid JSON: {e}")))?;
        let Some(profile) = v.get("profile") else {
            return Err(one("", "has no \"profile\": use a file written by `scalelab calibrate`".into()));
        };
        let profile: ServingProfile =
            serde_path_to_error::deserialize(profile.clone()).map_err(|e| at("profile", &e))?;
        let Some(provenance) = v.get("provenance") else {
            return Err(one("", "has no \"provenance\": use a file written by `scalelab calibrate`".into()));
        };
        let provenance: Provenance =
            serde_path_to_error::deserialize(provenance.clone()).map_err(|e| at("provenance", &e))?;
        Ok(MeasuredProfile { profile, provenance })
    }

    /// "measured on NVIDIA A10G (discrete, 2026-11-23), encoder 12 layers, …", with how far the
    /// simulator was from the load test on that hardware where it was measured.
    pub fn label(&self) -> String {
        let p = &self.provenance;
        let mut label = format!("measured on {} ({}, {}), {}", p.adapter, p.device_type, p.date, p.workload_label);
        if let Some(f) = &p.fidelity {
            label.push_str(&format!(
                "; max RPS at p99 ≤ {} ms: {:.1} measured, {:.1} simulated ({:.1} % apart)",
                f.slo_p99_ms,
                f.measured_max_rps,
                f.predicted_max_rps,
                f.max_rps_error * 100.0
            ));
        }
        label
    }

    /// Puts the profile on every variant of `s`, replacing their models, if the scenario then
    /// passes its checks; otherwise `s` is unchanged.
    pub fn apply_to(&self, s: &mut Scenario) -> Result<(), Problems> {
        let mut next = s.clone();
        for v in &mut next.endpoint.variants {
            v.model = None;
            v.profile = Some(self.profile.clone());
        }
        crate::plan::plan(&next, None)?;
        *s = next;
        Ok(())
    }
}

/// A structural error in one section of the file, worded as the scenario's are (near-miss
/// suggestions, missing fields at their own path).
fn at(section: &str, e: &serde_path_to_error::Error<serde_json::Error>) -> Problems {
    let inner = e.path().to_string();
    let path = if inner == "." { section.to_string() } else { format!("{section}.{inner}") };
    Problems(vec![crate::scenario::explain_serde_error(path, &e.inner().to_string()).0])
}

#[cfg(test)]
mod tests {
    use super::*;

    fn file() -> serde_json::Value {
        let model = crate::profile::builtin_model("resnet50").unwrap();
        let profile = model.profile_for(model.instance_types().next().unwrap()).unwrap().clone();
        serde_json::json!({
            "profile": profile,
            "provenance": {"adapter": "NVIDIA L4", "backend": "Vulkan", "driver": "550", "deviceType": "discrete",
                "date": "2026-12-01", "workload": {"name": "mlp", "input": 512, "hidden": 2048, "classes": 16},
                "workloadLabel": "mlp 512→2048→16", "maxBatch": 8, "timing": "timestamps", "points": [],
                "achievedGflops": 1.0, "achievedGbytesPerS": 2.0, "note": ""}
        })
    }

    #[test]
    fn a_file_round_trips_and_labels_itself() {
        let m = MeasuredProfile::from_json(&file().to_string()).unwrap();
        assert_eq!(m.provenance.workload, Workload::mlp());
        assert_eq!(m.label(), "measured on NVIDIA L4 (discrete, 2026-12-01), mlp 512→2048→16");
        let again = MeasuredProfile::from_json(&serde_json::to_string(&m).unwrap()).unwrap();
        assert_eq!(again.profile, m.profile);
    }

    #[test]
    fn problems_name_their_place_in_the_file() {
        let mut bad = file();
        bad["profile"]["workers"] = "four".into();
        let p = MeasuredProfile::from_json(&bad.to_string()).unwrap_err();
        assert_eq!(p.0[0].path, "profile.workers", "{p}");
        let mut bad = file();
        bad["provenance"].as_object_mut().unwrap().remove("adapter");
        let p = MeasuredProfile::from_json(&bad.to_string()).unwrap_err();
        assert!(p.0[0].path.starts_with("provenance") && p.to_string().contains("adapter"), "{p}");
        assert!(MeasuredProfile::from_json("{}").unwrap_err().to_string().contains("scalelab calibrate"));
        assert!(MeasuredProfile::from_json("nope").unwrap_err().to_string().starts_with("not valid JSON"));
    }

    #[test]
    fn applying_replaces_every_model_or_changes_nothing() {
        let m = MeasuredProfile::from_json(&file().to_string()).unwrap();
        let mut s = crate::examples::get("ab-test-variants").unwrap();
        m.apply_to(&mut s).unwrap();
        assert!(s.endpoint.variants.iter().all(|v| v.model.is_none() && v.profile.as_ref() == Some(&m.profile)));
        let mut broken = m.clone();
        broken.profile.workers = 0;
        let before = s.clone();
        assert!(broken.apply_to(&mut s).is_err());
        assert_eq!(s, before);
    }
}
