//! Serving profiles: how one model performs on one instance type.

use serde::{Deserialize, Serialize};

use crate::rng::TimeDist;
use crate::time::Duration;

/// How a model serves on one instance: concurrency, service time, batching, queue, utilization
/// and cold start.
#[derive(Clone, PartialEq, Debug, Serialize, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct ServingProfile {
    /// Maximum requests (or batches) in service at once on one instance.
    pub workers: u32,
    /// Time to serve one request. Required unless `batching` is set.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub service_time: Option<TimeDist>,
    /// Dynamic batching: a worker takes up to `maxBatchSize` queued requests at once.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub batching: Option<Batching>,
    /// Requests that may wait inside the container beyond those in service; more are refused
    /// with `ServiceUnavailable` (HTTP 503).
    pub queue_capacity: u32,
    /// SageMaker's own time around the model (OverheadLatency).
    #[serde(default = "default_overhead")]
    pub overhead: TimeDist,
    #[serde(default)]
    pub utilization: Utilization,
    #[serde(default)]
    pub cold_start: ColdStart,
}

fn default_overhead() -> TimeDist {
    TimeDist::lognormal(Duration::from_millis(2), 0.25)
}

/// Batch service time is drawn from `distribution` with mean `fixed + perItem × batch size`.
#[derive(Clone, PartialEq, Debug, Serialize, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct Batching {
    pub max_batch_size: u32,
    /// How long the oldest request may wait for a batch to fill.
    pub max_wait: Duration,
    pub fixed: Duration,
    pub per_item: Duration,
    pub distribution: crate::rng::Family,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub cv: Option<f64>,
}

/// Utilization as a function of work. CPU and GPU figures are per instance, summed over cores
/// or devices as CloudWatch reports them (4 vCPUs fully busy = 400 %).
#[derive(Clone, PartialEq, Debug, Serialize, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct Utilization {
    /// CPUUtilization of an idle instance.
    #[serde(default)]
    pub cpu_idle_pct: f64,
    /// CPUUtilization added by each busy worker.
    #[serde(default)]
    pub cpu_per_busy_worker_pct: f64,
    /// GPUUtilization added by each busy worker.
    #[serde(default)]
    pub gpu_per_busy_worker_pct: f64,
    /// MemoryUtilization of an idle instance (0..100).
    #[serde(default)]
    pub memory_base_pct: f64,
    /// MemoryUtilization added by each outstanding request.
    #[serde(default)]
    pub memory_per_request_pct: f64,
}

impl Default for Utilization {
    fn default() -> Self {
        Utilization {
            cpu_idle_pct: 2.0,
            cpu_per_busy_worker_pct: 100.0,
            gpu_per_busy_worker_pct: 0.0,
            memory_base_pct: 20.0,
            memory_per_request_pct: 0.05,
        }
    }
}

/// The stages a new instance goes through before it serves: provisioning the instance (Pending),
/// then pulling the image and loading the model (Loading).
#[derive(Clone, PartialEq, Debug, Serialize, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct ColdStart {
    pub provisioning: TimeDist,
    pub image_pull: TimeDist,
    pub model_load: TimeDist,
}

impl Default for ColdStart {
    /// A typical CPU model: about 4 minutes from the request to InService.
    fn default() -> Self {
        ColdStart {
            provisioning: TimeDist::lognormal(Duration::from_secs(150), 0.15),
            image_pull: TimeDist::lognormal(Duration::from_secs(60), 0.2),
            model_load: TimeDist::lognormal(Duration::from_secs(20), 0.2),
        }
    }
}

impl ServingProfile {
    /// Requests per second one instance completes when every worker is busy, without batching
    /// noise (the mean service rate).
    pub fn capacity_rps(&self) -> f64 {
        let workers = f64::from(self.workers);
        if let Some(b) = &self.batching {
            let n = f64::from(b.max_batch_size);
            let batch_secs = b.fixed.as_secs_f64() + b.per_item.as_secs_f64() * n;
            if batch_secs > 0.0 { workers * n / batch_secs } else { f64::INFINITY }
        } else if let Some(s) = &self.service_time {
            let secs = s.mean.as_secs_f64();
            if secs > 0.0 { workers / secs } else { f64::INFINITY }
        } else {
            0.0
        }
    }
}

/// A model with built-in profiles for the instance types it was characterised on.
#[derive(Clone, Debug)]
pub struct BuiltinModel {
    pub name: &'static str,
    pub description: &'static str,
    /// (instance type, profile), sorted by instance type.
    pub profiles: Vec<(&'static str, ServingProfile)>,
}

impl BuiltinModel {
    pub fn profile_for(&self, instance_type: &str) -> Option<&ServingProfile> {
        self.profiles.iter().find(|(t, _)| *t == instance_type).map(|(_, p)| p)
    }
    pub fn instance_types(&self) -> impl Iterator<Item = &'static str> + '_ {
        self.profiles.iter().map(|(t, _)| *t)
    }
}

fn ms(v: f64) -> Duration {
    Duration::from_secs_f64(v / 1000.0)
}
fn secs(v: f64) -> Duration {
    Duration::from_secs_f64(v)
}

fn simple(workers: u32, service: TimeDist, queue_capacity: u32) -> ServingProfile {
    ServingProfile {
        workers,
        service_time: Some(service),
        batching: None,
        queue_capacity,
        overhead: default_overhead(),
        utilization: Utilization::default(),
        cold_start: ColdStart::default(),
    }
}

/// The decision-tree classifier of the load-test article (seed 001) on ml.m4.xlarge: four
/// workers of ~8.4 ms give ~476 RPS; below ~425 RPS latency stays under 15 ms, past ~467 RPS
/// (28 000 per minute) the queue fills and requests fail.
fn decision_tree() -> BuiltinModel {
    let mut m4 = simple(4, TimeDist::lognormal(ms(8.4), 0.3), 256);
    m4.utilization.cpu_per_busy_worker_pct = 95.0;
    let mut m5 = simple(4, TimeDist::lognormal(ms(7.6), 0.3), 256);
    m5.utilization.cpu_per_busy_worker_pct = 95.0;
    let mut c5 = simple(4, TimeDist::lognormal(ms(6.9), 0.3), 256);
    c5.utilization.cpu_per_busy_worker_pct = 95.0;
    let t2 = simple(2, TimeDist::lognormal(ms(9.5), 0.3), 128);
    BuiltinModel {
        name: "decision-tree",
        description: "scikit-learn decision tree on iris (seed 001): ~425 RPS per ml.m4.xlarge under 15 ms",
        profiles: vec![("ml.c5.xlarge", c5), ("ml.m4.xlarge", m4), ("ml.m5.xlarge", m5), ("ml.t2.medium", t2)],
    }
}

/// ResNet-50 image classification from the rightsizing article (seed 004): ~20 RPS on
/// ml.p2.xlarge, about twice that on ml.g4dn.xlarge (two hold 66 RPS), ~3 RPS on the largest
/// CPU type tested. Four model-server workers per instance.
fn resnet50() -> BuiltinModel {
    let gpu_profile = |mean_ms: f64, gpu_pct: f64| {
        let mut p = simple(4, TimeDist::lognormal(ms(mean_ms), 0.25), 64);
        p.utilization.cpu_per_busy_worker_pct = 35.0;
        p.utilization.gpu_per_busy_worker_pct = gpu_pct;
        p.utilization.memory_base_pct = 35.0;
        p.cold_start.image_pull = TimeDist::lognormal(secs(150.0), 0.2);
        p.cold_start.model_load = TimeDist::lognormal(secs(40.0), 0.2);
        p
    };
    let cpu_profile = |workers: u32, mean_ms: f64| {
        let mut p = simple(workers, TimeDist::lognormal(ms(mean_ms), 0.25), 32);
        p.utilization.memory_base_pct = 30.0;
        p.cold_start.model_load = TimeDist::lognormal(secs(30.0), 0.2);
        p
    };
    BuiltinModel {
        name: "resnet50",
        description: "PyTorch ResNet-50 image classifier (seed 004): ~20 RPS on ml.p2.xlarge, ~38 on ml.g4dn.xlarge, ~3 on CPU",
        profiles: vec![
            ("ml.c5.2xlarge", cpu_profile(8, 2_600.0)),
            ("ml.c5.xlarge", cpu_profile(4, 1_900.0)),
            ("ml.g4dn.xlarge", gpu_profile(104.0, 24.0)),
            ("ml.m5.large", cpu_profile(2, 1_500.0)),
            ("ml.m5.xlarge", cpu_profile(4, 2_100.0)),
            ("ml.p2.xlarge", gpu_profile(190.0, 24.0)),
            ("ml.p3.2xlarge", gpu_profile(62.0, 22.0)),
        ],
    }
}

/// LLM decode served with dynamic batching. Cold-start stages are the scale-from-zero
/// measurements of seed 003 (instance 1.748 min and model copy 2.28 min for the 8B model;
/// 3.018 and 1.984 min for 70B).
fn llm(
    provisioning_min: f64,
    load_min: f64,
    fixed_s: f64,
    per_item_s: f64,
    max_batch: u32,
    gpus: u32,
) -> ServingProfile {
    ServingProfile {
        workers: 1,
        service_time: None,
        batching: Some(Batching {
            max_batch_size: max_batch,
            max_wait: ms(50.0),
            fixed: secs(fixed_s),
            per_item: secs(per_item_s),
            distribution: crate::rng::Family::Lognormal,
            cv: Some(0.2),
        }),
        queue_capacity: 64,
        overhead: default_overhead(),
        utilization: Utilization {
            cpu_idle_pct: 5.0,
            cpu_per_busy_worker_pct: 100.0,
            gpu_per_busy_worker_pct: 90.0 * f64::from(gpus),
            memory_base_pct: 40.0,
            memory_per_request_pct: 0.2,
        },
        cold_start: ColdStart {
            provisioning: TimeDist::lognormal(secs(provisioning_min * 60.0), 0.1),
            image_pull: TimeDist::fixed(Duration::ZERO),
            model_load: TimeDist::lognormal(secs(load_min * 60.0), 0.1),
        },
    }
}

fn llama_8b() -> BuiltinModel {
    BuiltinModel {
        name: "llama3.1-8b",
        description: "Llama 3.1 8B Instruct, ~256 output tokens per request, dynamic batching up to 8 (seed 003 cold start)",
        profiles: vec![
            ("ml.g5.2xlarge", llm(1.748, 2.28, 6.0, 0.45, 8, 1)),
            ("ml.g5.xlarge", llm(1.748, 2.28, 6.2, 0.5, 8, 1)),
            ("ml.g6.xlarge", llm(1.748, 2.28, 7.5, 0.6, 8, 1)),
        ],
    }
}

fn llama_70b() -> BuiltinModel {
    BuiltinModel {
        name: "llama3.1-70b",
        description: "Llama 3.1 70B Instruct, ~256 output tokens per request, dynamic batching up to 16 (seed 003 cold start)",
        profiles: vec![
            ("ml.p4d.24xlarge", llm(3.018, 1.984, 9.0, 0.35, 16, 8)),
            ("ml.p5.48xlarge", llm(3.018, 1.984, 5.0, 0.2, 16, 8)),
        ],
    }
}

/// Every built-in model, sorted by name.
pub fn builtin_models() -> Vec<BuiltinModel> {
    vec![decision_tree(), llama_70b(), llama_8b(), resnet50()]
}

pub fn builtin_model(name: &str) -> Option<BuiltinModel> {
    builtin_models().into_iter().find(|m| m.name == name)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::catalog;

    #[test]
    fn builtin_profiles_name_catalog_types() {
        for m in builtin_models() {
            for t in m.instance_types() {
                assert!(catalog::lookup(t).is_some(), "{} uses unknown type {t}", m.name);
            }
        }
    }

    #[test]
    fn capacities_match_the_reference_articles() {
        let dt = builtin_model("decision-tree").unwrap();
        let m4 = dt.profile_for("ml.m4.xlarge").unwrap().capacity_rps();
        // Seed 001: 400–425 RPS served well, errors past ~467 RPS (28 000 per minute).
        assert!((425.0..=500.0).contains(&m4), "m4 capacity {m4}");

        let r = builtin_model("resnet50").unwrap();
        let p2 = r.profile_for("ml.p2.xlarge").unwrap().capacity_rps();
        let g4 = r.profile_for("ml.g4dn.xlarge").unwrap().capacity_rps();
        let c5 = r.profile_for("ml.c5.2xlarge").unwrap().capacity_rps();
        // Seed 004: p2 ~20 RPS, g4dn ~2× p2 (two hold 66 RPS), dearest CPU ~3 RPS.
        assert!((19.0..=23.0).contains(&p2), "p2 {p2}");
        assert!((33.0..=40.0).contains(&g4) && g4 / p2 > 1.6, "g4dn {g4}");
        assert!((2.5..=3.5).contains(&c5), "c5.2xlarge {c5}");
    }
}
