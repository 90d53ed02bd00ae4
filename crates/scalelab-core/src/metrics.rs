//! CloudWatch-shaped metrics: per-variant accumulators closed every 10 s (high resolution) and
//! rolled up every 60 s. Counts are exact; utilizations are time-weighted averages over the
//! period; latency percentiles come from bounded histograms that are reset each period.

use serde::Serialize;

use crate::hist::{Histogram, Sparse};
use crate::time::{SimTime, US_PER_SEC};

pub const HIGH_RES_PERIOD_US: SimTime = 10 * US_PER_SEC;
pub const PERIOD_US: SimTime = 60 * US_PER_SEC;

/// One period of one variant's metrics. `None` is missing data (no instance in service, or no
/// sample), as CloudWatch leaves a gap.
#[derive(Clone, PartialEq, Debug, Serialize)]
pub struct Row {
    /// Start of the period, seconds since the start of the run.
    pub t_secs: f64,
    pub period_secs: f64,
    pub variant: u16,
    /// Requests that reached the variant, whatever became of them.
    pub requests: u64,
    /// `Invocations`: requests handed to an instance (refused-for-no-capacity ones are not).
    pub invocations: u64,
    /// `InvocationsPerInstance`: each invocation adds 1/N, N = instances in service at its arrival.
    pub invocations_per_instance: f64,
    pub succeeded: u64,
    /// `InvocationModelErrors`: the container did not answer within the invocation timeout.
    pub model_errors: u64,
    /// `Invocation5XXErrors`: refused because the instance's queue was full (ServiceUnavailable).
    pub errors_5xx: u64,
    /// `Invocation4XXErrors`: refused because the variant had no instance in service
    /// (ValidationError), also counted in `NoCapacityInvocationFailures`.
    pub errors_4xx: u64,
    pub no_capacity_failures: u64,
    /// `ModelLatency` of succeeded requests, milliseconds (CloudWatch reports microseconds).
    pub model_latency_avg_ms: Option<f64>,
    pub model_latency_p50_ms: Option<f64>,
    pub model_latency_p90_ms: Option<f64>,
    pub model_latency_p99_ms: Option<f64>,
    pub model_latency_max_ms: Option<f64>,
    pub overhead_latency_avg_ms: Option<f64>,
    /// `ConcurrentRequestsPerModel`: requests in service or queued in the container, time-average
    /// per instance in service.
    pub concurrent_requests_per_model: Option<f64>,
    /// Per-instance averages, summed over cores/devices (0..100 × vCPUs).
    pub cpu_utilization: Option<f64>,
    pub gpu_utilization: Option<f64>,
    pub memory_utilization: Option<f64>,
    /// Instance counts at the end of the period.
    pub desired_instances: u32,
    pub pending_instances: u32,
    pub in_service_instances: u32,
    /// Instances being billed at the end of the period (for an inference component: the
    /// managed instances hosting its copies, while the counts above are copies).
    pub billed_instances: u32,
    /// Asynchronous inference (`None` otherwise): `ApproximateBacklogSize` (time-average),
    /// per instance in service, `ApproximateAgeOfOldestRequest` (seconds, end of period) and
    /// `HasBacklogWithoutCapacity` (1 when requests wait and no instance serves, end of period).
    pub approximate_backlog_size: Option<f64>,
    pub approximate_backlog_size_per_instance: Option<f64>,
    pub approximate_age_of_oldest_request_secs: Option<f64>,
    pub has_backlog_without_capacity: Option<f64>,
    /// Instance cost accrued during the period (serverless: inference time and provisioned
    /// concurrency).
    pub cost_usd: f64,
    /// Serverless inference (absent otherwise). Requests refused beyond `MaxConcurrency`
    /// (`ThrottlingException`; CloudWatch publishes no metric of them).
    #[serde(skip_serializing_if = "is_zero")]
    pub throttled: u64,
    /// `ModelSetupTime`: the average cold start of the environments started in the period.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub model_setup_time_avg_ms: Option<f64>,
    /// `ServerlessConcurrentExecutionsUtilization`: executions / MaxConcurrency, time-average.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub serverless_concurrent_executions_utilization: Option<f64>,
    /// `ServerlessProvisionedConcurrencyExecutions` (time-average executions on provisioned
    /// environments) and `…Utilization` (over the provisioned concurrency, 0–1).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub serverless_provisioned_concurrency_executions: Option<f64>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub serverless_provisioned_concurrency_utilization: Option<f64>,
    /// `ServerlessProvisionedConcurrencyInvocations` and `…SpilloverInvocations` (served on
    /// demand beyond the provisioned concurrency).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub serverless_provisioned_concurrency_invocations: Option<u64>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub serverless_provisioned_concurrency_spillover_invocations: Option<u64>,
}

fn is_zero(n: &u64) -> bool {
    *n == 0
}

impl Row {
    /// A period with no traffic and no instance: every count zero, every measurement missing.
    pub fn empty(t_secs: f64, period_secs: f64, variant: u16) -> Row {
        Row {
            t_secs,
            period_secs,
            variant,
            requests: 0,
            invocations: 0,
            invocations_per_instance: 0.0,
            succeeded: 0,
            model_errors: 0,
            errors_5xx: 0,
            errors_4xx: 0,
            no_capacity_failures: 0,
            model_latency_avg_ms: None,
            model_latency_p50_ms: None,
            model_latency_p90_ms: None,
            model_latency_p99_ms: None,
            model_latency_max_ms: None,
            overhead_latency_avg_ms: None,
            concurrent_requests_per_model: None,
            cpu_utilization: None,
            gpu_utilization: None,
            memory_utilization: None,
            desired_instances: 0,
            pending_instances: 0,
            in_service_instances: 0,
            billed_instances: 0,
            approximate_backlog_size: None,
            approximate_backlog_size_per_instance: None,
            approximate_age_of_oldest_request_secs: None,
            has_backlog_without_capacity: None,
            cost_usd: 0.0,
            throttled: 0,
            model_setup_time_avg_ms: None,
            serverless_concurrent_executions_utilization: None,
            serverless_provisioned_concurrency_executions: None,
            serverless_provisioned_concurrency_utilization: None,
            serverless_provisioned_concurrency_invocations: None,
            serverless_provisioned_concurrency_spillover_invocations: None,
        }
    }
}

/// The SageMaker metrics the simulator publishes.
#[derive(Clone, Copy, PartialEq, Eq, Debug)]
pub enum Metric {
    Invocations,
    InvocationsPerInstance,
    ModelLatency,
    OverheadLatency,
    Invocation4XXErrors,
    Invocation5XXErrors,
    InvocationModelErrors,
    NoCapacityInvocationFailures,
    ConcurrentRequestsPerModel,
    ApproximateBacklogSize,
    ApproximateBacklogSizePerInstance,
    ApproximateAgeOfOldestRequest,
    HasBacklogWithoutCapacity,
    CpuUtilization,
    GpuUtilization,
    MemoryUtilization,
    ModelSetupTime,
    ServerlessConcurrentExecutionsUtilization,
    ServerlessProvisionedConcurrencyExecutions,
    ServerlessProvisionedConcurrencyUtilization,
    ServerlessProvisionedConcurrencyInvocations,
    ServerlessProvisionedConcurrencySpilloverInvocations,
}

pub const NAMESPACE_INVOCATIONS: &str = "AWS/SageMaker";
pub const NAMESPACE_INSTANCES: &str = "/aws/sagemaker/Endpoints";

const METRICS: &[(&str, &str, Metric)] = &[
    (NAMESPACE_INVOCATIONS, "Invocations", Metric::Invocations),
    (NAMESPACE_INVOCATIONS, "InvocationsPerInstance", Metric::InvocationsPerInstance),
    (NAMESPACE_INVOCATIONS, "ModelLatency", Metric::ModelLatency),
    (NAMESPACE_INVOCATIONS, "OverheadLatency", Metric::OverheadLatency),
    (NAMESPACE_INVOCATIONS, "Invocation4XXErrors", Metric::Invocation4XXErrors),
    (NAMESPACE_INVOCATIONS, "Invocation5XXErrors", Metric::Invocation5XXErrors),
    (NAMESPACE_INVOCATIONS, "InvocationModelErrors", Metric::InvocationModelErrors),
    (NAMESPACE_INVOCATIONS, "ConcurrentRequestsPerModel", Metric::ConcurrentRequestsPerModel),
    // The same figures for an inference component, per copy.
    (NAMESPACE_INVOCATIONS, "InvocationsPerCopy", Metric::InvocationsPerInstance),
    (NAMESPACE_INVOCATIONS, "ConcurrentRequestsPerCopy", Metric::ConcurrentRequestsPerModel),
    (NAMESPACE_INVOCATIONS, "NoCapacityInvocationFailures", Metric::NoCapacityInvocationFailures),
    // Asynchronous inference (dimension EndpointName only).
    (NAMESPACE_INVOCATIONS, "ApproximateBacklogSize", Metric::ApproximateBacklogSize),
    (NAMESPACE_INVOCATIONS, "ApproximateBacklogSizePerInstance", Metric::ApproximateBacklogSizePerInstance),
    (NAMESPACE_INVOCATIONS, "ApproximateAgeOfOldestRequest", Metric::ApproximateAgeOfOldestRequest),
    (NAMESPACE_INVOCATIONS, "HasBacklogWithoutCapacity", Metric::HasBacklogWithoutCapacity),
    // Serverless inference.
    (NAMESPACE_INVOCATIONS, "ModelSetupTime", Metric::ModelSetupTime),
    (
        NAMESPACE_INVOCATIONS,
        "ServerlessConcurrentExecutionsUtilization",
        Metric::ServerlessConcurrentExecutionsUtilization,
    ),
    (
        NAMESPACE_INVOCATIONS,
        "ServerlessProvisionedConcurrencyExecutions",
        Metric::ServerlessProvisionedConcurrencyExecutions,
    ),
    (
        NAMESPACE_INVOCATIONS,
        "ServerlessProvisionedConcurrencyUtilization",
        Metric::ServerlessProvisionedConcurrencyUtilization,
    ),
    (
        NAMESPACE_INVOCATIONS,
        "ServerlessProvisionedConcurrencyInvocations",
        Metric::ServerlessProvisionedConcurrencyInvocations,
    ),
    (
        NAMESPACE_INVOCATIONS,
        "ServerlessProvisionedConcurrencySpilloverInvocations",
        Metric::ServerlessProvisionedConcurrencySpilloverInvocations,
    ),
    (NAMESPACE_INSTANCES, "CPUUtilization", Metric::CpuUtilization),
    (NAMESPACE_INSTANCES, "GPUUtilization", Metric::GpuUtilization),
    (NAMESPACE_INSTANCES, "MemoryUtilization", Metric::MemoryUtilization),
];

/// Every metric the simulator publishes, as (namespace, metric name), in the order above.
pub fn published() -> impl Iterator<Item = (&'static str, &'static str)> {
    METRICS.iter().map(|(ns, n, _)| (*ns, *n))
}

impl Metric {
    pub fn lookup(namespace: &str, name: &str) -> Result<Metric, String> {
        if let Some((_, _, m)) = METRICS.iter().find(|(ns, n, _)| *ns == namespace && *n == name) {
            return Ok(*m);
        }
        if let Some((ns, _, _)) = METRICS.iter().find(|(_, n, _)| *n == name) {
            return Err(format!("{name} is published in namespace \"{ns}\", not \"{namespace}\""));
        }
        let names: Vec<&str> = METRICS.iter().map(|(_, n, _)| *n).collect();
        let hint = match crate::problem::nearest(name, &names) {
            Some(n) => format!("did you mean {n}?"),
            None => format!("the simulator publishes {}", names.join(", ")),
        };
        Err(format!("unknown metric {name}; {hint}"))
    }

    /// The metric published under `name` (in either namespace).
    pub fn by_name(name: &str) -> Option<Metric> {
        METRICS.iter().find(|(_, n, _)| *n == name).map(|(_, _, m)| *m)
    }

    pub fn name(self) -> &'static str {
        METRICS.iter().find(|(_, _, m)| *m == self).map(|(_, n, _)| *n).unwrap_or("?")
    }

    /// Published as values, so CloudWatch has percentiles and trimmed means of it (the
    /// simulator keeps each period's distribution when a scaler asks for one).
    pub fn has_distribution(self) -> bool {
        matches!(self, Metric::ModelLatency | Metric::OverheadLatency)
    }

    /// Emitted every 10 s (the others every 60 s).
    pub fn high_resolution(self) -> bool {
        self == Metric::ConcurrentRequestsPerModel
    }

    /// The value one row contributes as a sample. Counts are 0 while instances serve and
    /// missing when none does; latencies are reported in microseconds, as CloudWatch does.
    pub(crate) fn sample(self, r: &Row) -> Option<f64> {
        // The endpoint reports while it serves or while requests reach it (failed ones too).
        let serving = r.in_service_instances > 0 || r.requests > 0;
        let count = |c: u64| serving.then_some(c as f64);
        match self {
            Metric::Invocations => count(r.invocations),
            Metric::InvocationsPerInstance => serving.then_some(r.invocations_per_instance),
            Metric::Invocation4XXErrors => count(r.errors_4xx),
            Metric::Invocation5XXErrors => count(r.errors_5xx),
            Metric::InvocationModelErrors => count(r.model_errors),
            Metric::NoCapacityInvocationFailures => count(r.no_capacity_failures),
            Metric::ModelLatency => r.model_latency_avg_ms.map(|ms| ms * 1000.0),
            Metric::OverheadLatency => r.overhead_latency_avg_ms.map(|ms| ms * 1000.0),
            Metric::ConcurrentRequestsPerModel => r.concurrent_requests_per_model,
            Metric::CpuUtilization => r.cpu_utilization,
            Metric::GpuUtilization => r.gpu_utilization,
            Metric::MemoryUtilization => r.memory_utilization,
            Metric::ApproximateBacklogSize => r.approximate_backlog_size,
            Metric::ApproximateBacklogSizePerInstance => r.approximate_backlog_size_per_instance,
            Metric::ApproximateAgeOfOldestRequest => r.approximate_age_of_oldest_request_secs,
            Metric::HasBacklogWithoutCapacity => r.has_backlog_without_capacity,
            Metric::ModelSetupTime => r.model_setup_time_avg_ms.map(|ms| ms * 1000.0),
            Metric::ServerlessConcurrentExecutionsUtilization => r.serverless_concurrent_executions_utilization,
            Metric::ServerlessProvisionedConcurrencyExecutions => r.serverless_provisioned_concurrency_executions,
            Metric::ServerlessProvisionedConcurrencyUtilization => r.serverless_provisioned_concurrency_utilization,
            Metric::ServerlessProvisionedConcurrencyInvocations => {
                r.serverless_provisioned_concurrency_invocations.map(|c| c as f64)
            }
            Metric::ServerlessProvisionedConcurrencySpilloverInvocations => {
                r.serverless_provisioned_concurrency_spillover_invocations.map(|c| c as f64)
            }
        }
    }
}

/// How utilization follows work, per variant.
#[derive(Clone, Copy, Debug)]
pub struct UtilModel {
    pub cpu_idle_pct: f64,
    pub cpu_per_busy_worker_pct: f64,
    pub gpu_per_busy_worker_pct: f64,
    pub memory_base_pct: f64,
    pub memory_per_request_pct: f64,
    pub price_usd_per_hour: f64,
}

/// Raw sums for one period; rows are derived from them so that roll-ups stay exact.
#[derive(Clone, Debug, Default)]
struct Acc {
    requests: u64,
    invocations: u64,
    ipi: f64,
    succeeded: u64,
    model_errors: u64,
    errors_5xx: u64,
    errors_4xx: u64,
    overhead_sum_us: u64,
    /// Integrals over time, in instance·µs (or worker·µs, request·µs).
    in_service_area: f64,
    busy_area: f64,
    outstanding_area: f64,
    billed_area: f64,
    backlog_area: f64,
    /// Serverless: throttled requests, cold starts (count and total time), invocations on
    /// provisioned environments and beyond them, provisioned environment-µs (busy, and all),
    /// and the inference-time cost.
    throttled: u64,
    setups: u64,
    setup_sum_us: u64,
    pc_invocations: u64,
    spillover: u64,
    pc_busy_area: f64,
    pc_area: f64,
    inference_cost_usd: f64,
    latency: Histogram,
    /// Overhead latencies, recorded only while distributions are kept.
    overhead: Histogram,
}

impl Acc {
    fn merge(&mut self, o: &Acc) {
        self.requests += o.requests;
        self.invocations += o.invocations;
        self.ipi += o.ipi;
        self.succeeded += o.succeeded;
        self.model_errors += o.model_errors;
        self.errors_5xx += o.errors_5xx;
        self.errors_4xx += o.errors_4xx;
        self.overhead_sum_us += o.overhead_sum_us;
        self.in_service_area += o.in_service_area;
        self.busy_area += o.busy_area;
        self.outstanding_area += o.outstanding_area;
        self.billed_area += o.billed_area;
        self.backlog_area += o.backlog_area;
        self.throttled += o.throttled;
        self.setups += o.setups;
        self.setup_sum_us += o.setup_sum_us;
        self.pc_invocations += o.pc_invocations;
        self.spillover += o.spillover;
        self.pc_busy_area += o.pc_busy_area;
        self.pc_area += o.pc_area;
        self.inference_cost_usd += o.inference_cost_usd;
        self.latency.merge(&o.latency);
        self.overhead.merge(&o.overhead);
    }

    fn clear(&mut self) {
        let mut latency = std::mem::take(&mut self.latency);
        let mut overhead = std::mem::take(&mut self.overhead);
        latency.clear();
        overhead.clear();
        *self = Acc { latency, overhead, ..Acc::default() };
    }

    fn row(&self, t: SimTime, len: SimTime, variant: u16, gauges: Gauges, u: &UtilModel) -> Row {
        let ms = |us: f64| us / 1000.0;
        let serverless = gauges.max_concurrency.is_some();
        let per_instance = |area: f64| (self.in_service_area > 0.0).then(|| area / self.in_service_area);
        let busy = per_instance(self.busy_area);
        let outstanding = per_instance(self.outstanding_area);
        Row {
            t_secs: t as f64 / US_PER_SEC as f64,
            period_secs: len as f64 / US_PER_SEC as f64,
            variant,
            requests: self.requests,
            invocations: self.invocations,
            invocations_per_instance: self.ipi,
            succeeded: self.succeeded,
            model_errors: self.model_errors,
            errors_5xx: self.errors_5xx,
            errors_4xx: self.errors_4xx,
            no_capacity_failures: self.errors_4xx,
            model_latency_avg_ms: self.latency.mean_us().map(ms),
            model_latency_p50_ms: self.latency.quantile_us(0.5).map(ms),
            model_latency_p90_ms: self.latency.quantile_us(0.9).map(ms),
            model_latency_p99_ms: self.latency.quantile_us(0.99).map(ms),
            model_latency_max_ms: (self.latency.count() > 0).then(|| ms(self.latency.max_us() as f64)),
            overhead_latency_avg_ms: (self.succeeded > 0)
                .then(|| ms(self.overhead_sum_us as f64 / self.succeeded as f64)),
            concurrent_requests_per_model: if serverless { None } else { outstanding },
            // Serverless endpoints publish no CPU or GPU utilization.
            cpu_utilization: busy.filter(|_| !serverless).map(|b| u.cpu_idle_pct + u.cpu_per_busy_worker_pct * b),
            gpu_utilization: busy.filter(|_| !serverless).map(|b| u.gpu_per_busy_worker_pct * b),
            memory_utilization: outstanding.map(|o| (u.memory_base_pct + u.memory_per_request_pct * o).min(100.0)),
            desired_instances: gauges.desired,
            pending_instances: gauges.pending,
            in_service_instances: gauges.in_service,
            billed_instances: gauges.billed,
            approximate_backlog_size: gauges.backlog.map(|_| self.backlog_area / len.max(1) as f64),
            approximate_backlog_size_per_instance: gauges
                .backlog
                .map(|_| self.backlog_area / len.max(1) as f64 / f64::from(gauges.in_service.max(1))),
            approximate_age_of_oldest_request_secs: gauges
                .backlog
                .map(|_| gauges.backlog_oldest.map_or(0.0, |o| (t + len).saturating_sub(o) as f64 / US_PER_SEC as f64)),
            has_backlog_without_capacity: gauges
                .backlog
                .map(|b| if b > 0 && gauges.in_service == 0 { 1.0 } else { 0.0 }),
            cost_usd: self.billed_area / (3600.0 * US_PER_SEC as f64) * u.price_usd_per_hour + self.inference_cost_usd,
            throttled: self.throttled,
            model_setup_time_avg_ms: (self.setups > 0).then(|| ms(self.setup_sum_us as f64 / self.setups as f64)),
            serverless_concurrent_executions_utilization: gauges
                .max_concurrency
                .map(|m| self.busy_area / (len.max(1) as f64 * f64::from(m.max(1)))),
            serverless_provisioned_concurrency_executions: gauges
                .max_concurrency
                .filter(|_| self.pc_area > 0.0)
                .map(|_| self.pc_busy_area / len.max(1) as f64),
            serverless_provisioned_concurrency_utilization: gauges
                .max_concurrency
                .filter(|_| self.pc_area > 0.0)
                .map(|_| self.pc_busy_area / self.pc_area),
            serverless_provisioned_concurrency_invocations: gauges
                .max_concurrency
                .filter(|_| self.pc_area > 0.0)
                .map(|_| self.pc_invocations),
            serverless_provisioned_concurrency_spillover_invocations: gauges
                .max_concurrency
                .filter(|_| self.pc_area > 0.0)
                .map(|_| self.spillover),
        }
    }
}

/// Instantaneous state of a variant, as the engine sees it.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct Gauges {
    pub desired: u32,
    pub pending: u32,
    pub in_service: u32,
    /// Instances finishing their last requests before termination.
    pub draining: u32,
    /// Instances being billed: pending, in service and draining.
    pub billed: u32,
    /// Busy workers over all instances in service.
    pub busy: u32,
    /// Requests in service or queued over all instances in service.
    pub outstanding: u64,
    /// Asynchronous inference: requests in the endpoint's queue, and the oldest one's arrival.
    pub backlog: Option<u64>,
    pub backlog_oldest: Option<SimTime>,
    /// Serverless inference: `MaxConcurrency`, the provisioned environments, and those of them
    /// serving a request.
    pub max_concurrency: Option<u32>,
    pub provisioned: u32,
    pub provisioned_busy: u32,
}

#[derive(Debug)]
struct VariantMetrics {
    util: UtilModel,
    gauges: Gauges,
    /// Time up to which the integrals have been accumulated.
    integrated_to: SimTime,
    acc10: Acc,
    acc60: Acc,
}

/// One 10 s period's latency distributions of one variant, kept for percentile statistics.
#[derive(Clone, Debug)]
pub struct PeriodDistribution {
    pub(crate) start: SimTime,
    pub(crate) len: SimTime,
    pub(crate) variant: u16,
    model: Sparse,
    overhead: Sparse,
}

impl PeriodDistribution {
    /// The distribution of `metric` (ModelLatency or OverheadLatency) in this period.
    pub(crate) fn of(&self, metric: Metric) -> Option<&Sparse> {
        match metric {
            Metric::ModelLatency => Some(&self.model),
            Metric::OverheadLatency => Some(&self.overhead),
            _ => None,
        }
    }
}

/// The 10 s distributions of the last `horizon`, oldest first.
#[derive(Debug)]
struct Distributions {
    horizon: SimTime,
    /// Kept per minute (every alarm reading them has a period of a minute or more), else per
    /// 10 s.
    per_minute: bool,
    periods: Vec<PeriodDistribution>,
}

/// Collects every variant's metrics; closes periods lazily as time advances.
#[derive(Debug)]
pub struct Recorder {
    /// Latency distributions per 10 s period, when a scaler reads percentiles.
    distributions: Option<Distributions>,
    variants: Vec<VariantMetrics>,
    /// Start of the open 10 s period.
    period_start: SimTime,
    /// Start of the open 60 s period.
    minute_start: SimTime,
    pub rows_10s: Vec<Row>,
    pub rows_60s: Vec<Row>,
}

impl Recorder {
    pub fn new(utils: Vec<UtilModel>) -> Recorder {
        Recorder {
            distributions: None,
            variants: utils
                .into_iter()
                .map(|util| VariantMetrics {
                    util,
                    gauges: Gauges::default(),
                    integrated_to: 0,
                    acc10: Acc::default(),
                    acc60: Acc::default(),
                })
                .collect(),
            period_start: 0,
            minute_start: 0,
            rows_10s: Vec::new(),
            rows_60s: Vec::new(),
        }
    }

    /// Keeps each period's latency distributions (model and overhead latency; per minute, or
    /// per 10 s when `per_minute` is false) for `horizon` after the period ends, for percentile
    /// statistics; older ones are dropped, so memory stays bounded however long the run.
    pub fn keep_distributions(&mut self, horizon: SimTime, per_minute: bool) {
        self.distributions = Some(Distributions { horizon, per_minute, periods: Vec::new() });
    }

    /// The kept distributions, oldest first (empty unless `keep_distributions` was called).
    pub fn distributions(&self) -> &[PeriodDistribution] {
        self.distributions.as_ref().map_or(&[], |d| d.periods.as_slice())
    }

    /// Closes every period that ends at or before `now`. Call before recording anything at `now`.
    #[inline]
    pub fn advance_to(&mut self, now: SimTime) {
        while now >= self.period_start + HIGH_RES_PERIOD_US {
            self.close_period(self.period_start + HIGH_RES_PERIOD_US);
        }
    }

    fn close_period(&mut self, end: SimTime) {
        let start = self.period_start;
        let closes_minute = end - self.minute_start >= PERIOD_US;
        let minute_start = self.minute_start;
        for (i, v) in self.variants.iter_mut().enumerate() {
            integrate(v, end);
            if let Some(d) = self.distributions.as_mut().filter(|d| !d.per_minute) {
                d.record(start, end, i, &v.acc10);
            }
            let row = v.acc10.row(start, end - start, i as u16, v.gauges, &v.util);
            self.rows_10s.push(row);
            let acc10 = std::mem::take(&mut v.acc10);
            v.acc60.merge(&acc10);
            v.acc10 = acc10;
            v.acc10.clear();
            if closes_minute {
                if let Some(d) = self.distributions.as_mut().filter(|d| d.per_minute) {
                    d.record(minute_start, end, i, &v.acc60);
                }
                let row = v.acc60.row(self.minute_start, end - self.minute_start, i as u16, v.gauges, &v.util);
                self.rows_60s.push(row);
                v.acc60.clear();
            }
        }
        self.period_start = end;
        if closes_minute {
            self.minute_start = end;
        }
    }

    /// Closes the open periods at the end of the run, even if they are shorter than a period.
    pub fn finish(&mut self, end: SimTime) {
        self.advance_to(end);
        let close_10s = end > self.period_start;
        let close_60s = end > self.minute_start;
        for (i, v) in self.variants.iter_mut().enumerate() {
            integrate(v, end);
            if close_10s {
                let start = self.period_start;
                self.rows_10s.push(v.acc10.row(start, end - start, i as u16, v.gauges, &v.util));
                let acc10 = std::mem::take(&mut v.acc10);
                v.acc60.merge(&acc10);
            }
            if close_60s {
                let start = self.minute_start;
                self.rows_60s.push(v.acc60.row(start, end - start, i as u16, v.gauges, &v.util));
                v.acc60.clear();
            }
        }
        self.period_start = end;
        self.minute_start = end;
    }

    /// Sets a variant's gauges at `now`, integrating the old values up to `now` first.
    #[inline]
    pub fn set_gauges(&mut self, variant: usize, now: SimTime, gauges: Gauges) {
        if let Some(v) = self.variants.get_mut(variant) {
            integrate(v, now);
            v.gauges = gauges;
        }
    }

    pub fn gauges(&self, variant: usize) -> Gauges {
        self.variants.get(variant).map(|v| v.gauges).unwrap_or_default()
    }

    #[inline]
    fn acc(&mut self, variant: usize) -> Option<&mut Acc> {
        self.variants.get_mut(variant).map(|v| &mut v.acc10)
    }

    pub fn request(&mut self, variant: usize) {
        if let Some(a) = self.acc(variant) {
            a.requests += 1;
        }
    }
    pub fn invocation(&mut self, variant: usize, in_service: u32) {
        if let Some(a) = self.acc(variant) {
            a.invocations += 1;
            a.ipi += 1.0 / f64::from(in_service.max(1));
        }
    }
    pub fn success(&mut self, variant: usize, model_latency_us: u64, overhead_us: u64) {
        let keep = self.distributions.is_some();
        if let Some(a) = self.acc(variant) {
            a.succeeded += 1;
            a.overhead_sum_us += overhead_us;
            a.latency.record(model_latency_us);
            if keep {
                a.overhead.record(overhead_us);
            }
        }
    }
    pub fn model_error(&mut self, variant: usize) {
        if let Some(a) = self.acc(variant) {
            a.model_errors += 1;
        }
    }
    pub fn error_5xx(&mut self, variant: usize) {
        if let Some(a) = self.acc(variant) {
            a.errors_5xx += 1;
        }
    }
    pub fn no_capacity(&mut self, variant: usize) {
        if let Some(a) = self.acc(variant) {
            a.errors_4xx += 1;
        }
    }
    /// Serverless: a request refused beyond `MaxConcurrency`.
    pub fn throttled(&mut self, variant: usize) {
        if let Some(a) = self.acc(variant) {
            a.throttled += 1;
        }
    }
    /// Serverless: an environment started, taking `us` (`ModelSetupTime`).
    pub fn setup(&mut self, variant: usize, us: SimTime) {
        if let Some(a) = self.acc(variant) {
            a.setups += 1;
            a.setup_sum_us += us;
        }
    }
    /// Serverless: an invocation on a provisioned environment, or beyond them (spillover).
    pub fn serverless_invocation(&mut self, variant: usize, provisioned: bool) {
        if let Some(a) = self.acc(variant) {
            if provisioned {
                a.pc_invocations += 1;
            } else {
                a.spillover += 1;
            }
        }
    }
    /// Serverless: the cost of one request's inference time.
    pub fn inference_cost(&mut self, variant: usize, usd: f64) {
        if let Some(a) = self.acc(variant) {
            a.inference_cost_usd += usd;
        }
    }
}

impl Distributions {
    /// Keeps the closing period `[start, end)` of every variant, and drops what is past the
    /// horizon.
    /// Keeps a closing period `[start, end)` of one variant, and drops what is past the horizon.
    fn record(&mut self, start: SimTime, end: SimTime, variant: usize, acc: &Acc) {
        if acc.latency.count() > 0 || acc.overhead.count() > 0 {
            self.periods.push(PeriodDistribution {
                start,
                len: end - start,
                variant: variant as u16,
                model: acc.latency.sparse(),
                overhead: acc.overhead.sparse(),
            });
        }
        let keep_from = end.saturating_sub(self.horizon);
        let old = self.periods.partition_point(|p| p.start + p.len <= keep_from);
        // Dropped in batches, so the copy is amortised.
        if old > 64 && old * 2 > self.periods.len() {
            self.periods.drain(..old);
        }
    }
}

#[inline]
fn integrate(v: &mut VariantMetrics, now: SimTime) {
    if now <= v.integrated_to {
        return;
    }
    let dt = (now - v.integrated_to) as f64;
    let g = v.gauges;
    let a = &mut v.acc10;
    // Draining instances still serve: they count toward per-instance averages.
    a.in_service_area += f64::from(g.in_service + g.draining) * dt;
    a.busy_area += f64::from(g.busy) * dt;
    a.outstanding_area += g.outstanding as f64 * dt;
    a.billed_area += f64::from(g.billed) * dt;
    a.backlog_area += g.backlog.unwrap_or(0) as f64 * dt;
    a.pc_area += f64::from(g.provisioned) * dt;
    a.pc_busy_area += f64::from(g.provisioned_busy) * dt;
    v.integrated_to = now;
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn metric_names_are_checked() {
        assert_eq!(Metric::lookup("AWS/SageMaker", "InvocationsPerInstance"), Ok(Metric::InvocationsPerInstance));
        assert!(Metric::lookup("AWS/SageMaker", "CPUUtilization").unwrap_err().contains("/aws/sagemaker/Endpoints"));
        assert!(
            Metric::lookup("AWS/SageMaker", "InvocationPerInstance")
                .unwrap_err()
                .contains("did you mean InvocationsPerInstance")
        );
    }

    fn util() -> UtilModel {
        UtilModel {
            cpu_idle_pct: 0.0,
            cpu_per_busy_worker_pct: 100.0,
            gpu_per_busy_worker_pct: 0.0,
            memory_base_pct: 10.0,
            memory_per_request_pct: 1.0,
            price_usd_per_hour: 3.6,
        }
    }

    #[test]
    fn periods_roll_up_and_utilization_is_time_weighted() {
        let mut r = Recorder::new(vec![util()]);
        let g = |in_service, busy, outstanding| Gauges {
            desired: 2,
            pending: 0,
            in_service,
            draining: 0,
            billed: in_service,
            busy,
            outstanding,
            ..Gauges::default()
        };
        r.set_gauges(0, 0, g(2, 0, 0));
        // Busy: 1 worker for the first 30 s of the minute, 2 for the rest.
        r.set_gauges(0, 0, g(2, 1, 1));
        r.advance_to(30 * US_PER_SEC);
        r.set_gauges(0, 30 * US_PER_SEC, g(2, 2, 3));
        for _ in 0..6 {
            r.invocation(0, 2);
        }
        r.advance_to(60 * US_PER_SEC);
        assert_eq!(r.rows_10s.len(), 6);
        assert_eq!(r.rows_60s.len(), 1);
        let m = &r.rows_60s[0];
        assert_eq!(m.invocations, 6);
        assert_eq!(m.invocations_per_instance, 3.0);
        // Average busy workers per instance: (0.5·30 + 1·30)/60 = 0.75 → 75 %.
        assert!((m.cpu_utilization.unwrap() - 75.0).abs() < 1e-9);
        // Two instances for one minute at $3.6/h: $0.12.
        assert!((m.cost_usd - 0.12).abs() < 1e-12);
        assert!((r.rows_10s[0].cpu_utilization.unwrap() - 50.0).abs() < 1e-9);
    }

    #[test]
    fn a_run_ending_mid_minute_emits_the_partial_minute() {
        for end_secs in [130, 135] {
            let mut r = Recorder::new(vec![util()]);
            r.set_gauges(0, 0, Gauges { desired: 1, in_service: 1, billed: 1, ..Gauges::default() });
            r.advance_to(125 * US_PER_SEC);
            r.request(0);
            r.finish(end_secs * US_PER_SEC);
            assert_eq!(r.rows_60s.len(), 3, "end {end_secs}s");
            let last = &r.rows_60s[2];
            assert_eq!((last.t_secs, last.period_secs, last.requests), (120.0, (end_secs - 120) as f64, 1));
            let cost: f64 = r.rows_60s.iter().map(|x| x.cost_usd).sum();
            assert!((cost - 3.6 * end_secs as f64 / 3600.0).abs() < 1e-12, "end {end_secs}s: {cost}");
            assert_eq!(r.rows_10s.iter().map(|x| x.requests).sum::<u64>(), 1);
        }
    }

    #[test]
    fn kept_distributions_stay_within_their_horizon() {
        let mut r = Recorder::new(vec![util(), util()]);
        r.keep_distributions(5 * 60 * US_PER_SEC, false);
        for k in 0..2 * 3600u64 {
            r.advance_to(k * US_PER_SEC);
            r.success(0, 1000 + k, 10);
            r.success(1, 2000 + k, 10);
        }
        // 30 periods of 10 s in 5 minutes, two variants, and at most as many again awaiting a
        // batched drop.
        let kept = r.distributions().len();
        assert!((60..=2 * 60 + 130).contains(&kept), "{kept} kept");
        assert!(r.distributions().first().is_some_and(|d| d.start >= 2 * 3600 * US_PER_SEC - 11 * 60 * US_PER_SEC));
    }

    #[test]
    fn no_instance_means_missing_data() {
        let mut r = Recorder::new(vec![util()]);
        r.advance_to(10 * US_PER_SEC);
        assert_eq!(r.rows_10s[0].cpu_utilization, None);
        assert_eq!(r.rows_10s[0].model_latency_p99_ms, None);
    }
}
