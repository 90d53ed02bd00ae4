//! Text and CSV renderings of a report.

use std::fmt::Write;

use scalelab_core::Plan;
use scalelab_core::metrics::Row;
use scalelab_core::report::{Errors, Latency, Report};
use scalelab_core::time::Duration;

/// 1234567 → "1,234,567".
pub fn thousands(n: u64) -> String {
    scalelab_core::fmt::fmt_count(n as f64)
}

fn ms(v: Option<f64>) -> String {
    v.map_or_else(|| "–".into(), scalelab_core::fmt::fmt_ms)
}

fn latency_line(l: &Latency) -> String {
    format!("p50 {}   p90 {}   p99 {}   mean {}", ms(l.p50), ms(l.p90), ms(l.p99), ms(l.mean))
}

fn errors_line(e: &Errors) -> String {
    let throttled =
        if e.throttled > 0 { format!(" · ThrottlingException {}", thousands(e.throttled)) } else { String::new() };
    format!(
        "{}   ModelError {} · ServiceUnavailable {} · ValidationError (no capacity) {}{throttled}",
        thousands(e.total),
        thousands(e.model_error),
        thousands(e.service_unavailable),
        thousands(e.no_capacity)
    )
}

fn at(secs: f64) -> String {
    Duration::from_secs_f64(secs.round()).to_string()
}

fn pct(part: u64, whole: u64) -> String {
    if whole == 0 { "–".into() } else { format!("{:.2} %", part as f64 / whole as f64 * 100.0) }
}

pub fn summary_table(r: &Report, plan: &Plan) -> String {
    let s = &r.summary;
    let mut o = String::new();
    let name = if r.scenario.is_empty() { "scenario" } else { r.scenario.as_str() };
    let _ = writeln!(o, "{name}: {} from {}, seed {}", at(r.duration_secs), r.start, r.seed);
    let _ = writeln!(o, "  requests          {}", thousands(s.requests));
    let _ = writeln!(o, "  succeeded         {}  ({})", thousands(s.succeeded), pct(s.succeeded, s.requests));
    let _ = writeln!(o, "  errors            {}", errors_line(&s.errors));
    if s.in_flight > 0 {
        let _ = writeln!(o, "  in flight at end  {}", thousands(s.in_flight));
    }
    let _ = writeln!(o, "  latency           {}", latency_line(&s.latency_ms));
    let _ = writeln!(o, "  model latency     {}", latency_line(&s.model_latency_ms));
    let _ = writeln!(o, "  queue wait        {}", latency_line(&s.queue_wait_ms));
    if let (Some(slo), Some(att)) = (s.slo_latency_ms, s.slo_attainment) {
        let _ = writeln!(o, "  SLO {:<13} {:.2} % of requests succeeded within it", ms(Some(slo)), att * 100.0);
    }
    match s.first_error_secs {
        Some(t) => {
            let _ = writeln!(o, "  first error       at {}", at(t));
        }
        None => {
            let _ = writeln!(o, "  first error       none");
        }
    }
    let _ = writeln!(
        o,
        "  max in service    {} instance{}",
        s.max_in_service_instances,
        if s.max_in_service_instances == 1 { "" } else { "s" }
    );
    let _ = writeln!(o, "  instance-hours    {:.2}", s.instance_hours);
    let per_million = s.cost_per_million_usd.map(|c| format!(", ${c:.2} per 1M inferences")).unwrap_or_default();
    let _ = writeln!(o, "  cost              ${:.2}  (${:.3}/h{per_million})", s.cost_usd, s.cost_per_hour_usd);
    if r.variants.len() > 1 {
        let _ = writeln!(o, "  variants:");
        for v in &r.variants {
            let _ = writeln!(
                o,
                "    {:<12} {:<16} requests {:>10}  errors {:>8}  max {:>3} in service  ${:.2}",
                v.name,
                v.instance_type,
                thousands(v.requests),
                thousands(v.errors.total),
                v.max_in_service_instances,
                v.cost_usd
            );
        }
    }
    for a in &r.activities {
        let _ = writeln!(o, "  activity: {}", a.description);
    }
    for w in &r.warnings {
        let _ = writeln!(o, "  warning: {w}");
    }
    let _ = plan;
    o
}

pub const CSV_HEADER: &str = "t_secs,period_secs,variant,requests,invocations,invocations_per_instance,succeeded,model_errors,errors_5xx,errors_4xx,no_capacity_failures,model_latency_avg_ms,model_latency_p50_ms,model_latency_p90_ms,model_latency_p99_ms,model_latency_max_ms,overhead_latency_avg_ms,concurrent_requests_per_model,cpu_utilization,gpu_utilization,memory_utilization,desired_instances,pending_instances,in_service_instances,billed_instances,approximate_backlog_size,approximate_backlog_size_per_instance,approximate_age_of_oldest_request_secs,has_backlog_without_capacity,cost_usd";

pub fn series_csv(r: &Report, rows: &[Row]) -> String {
    let mut o = String::with_capacity(rows.len() * 160 + 512);
    o.push_str(CSV_HEADER);
    o.push('\n');
    let opt = |v: Option<f64>| v.map(|x| format!("{x}")).unwrap_or_default();
    for row in rows {
        let variant = r.variants.get(usize::from(row.variant)).map(|v| v.name.as_str()).unwrap_or("");
        let _ = writeln!(
            o,
            "{},{},{},{},{},{},{},{},{},{},{},{},{},{},{},{},{},{},{},{},{},{},{},{},{},{},{},{},{},{}",
            row.t_secs,
            row.period_secs,
            variant,
            row.requests,
            row.invocations,
            row.invocations_per_instance,
            row.succeeded,
            row.model_errors,
            row.errors_5xx,
            row.errors_4xx,
            row.no_capacity_failures,
            opt(row.model_latency_avg_ms),
            opt(row.model_latency_p50_ms),
            opt(row.model_latency_p90_ms),
            opt(row.model_latency_p99_ms),
            opt(row.model_latency_max_ms),
            opt(row.overhead_latency_avg_ms),
            opt(row.concurrent_requests_per_model),
            opt(row.cpu_utilization),
            opt(row.gpu_utilization),
            opt(row.memory_utilization),
            row.desired_instances,
            row.pending_instances,
            row.in_service_instances,
            row.billed_instances,
            opt(row.approximate_backlog_size),
            opt(row.approximate_backlog_size_per_instance),
            opt(row.approximate_age_of_oldest_request_secs),
            opt(row.has_backlog_without_capacity),
            row.cost_usd
        );
    }
    o
}

/// Peak resident memory of this process in KiB (Linux), from /proc/self/status VmHWM.
pub fn peak_memory() -> Option<u64> {
    let status = std::fs::read_to_string("/proc/self/status").ok()?;
    let line = status.lines().find(|l| l.starts_with("VmHWM:"))?;
    line.split_whitespace().nth(1)?.parse().ok()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn thousands_separators() {
        assert_eq!(thousands(0), "0");
        assert_eq!(thousands(999), "999");
        assert_eq!(thousands(1000), "1,000");
        assert_eq!(thousands(3_960_123), "3,960,123");
    }
}
