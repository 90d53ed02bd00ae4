//! The one place a report is assembled, for `finish` (the end of the run: the recorded lists
//! are moved) and `snapshot` (the run so far: they are copied), from the components' state.

use super::fleet::{Host, Instance};
use super::{Simulation, VariantId, ix};
use crate::report::{Activity, Errors, InstanceRecord, Report, Summary, VariantSummary};
use crate::scaling::{Guide, ScalerMetric, StateChange};
use crate::time::{SimTime, US_PER_SEC, format_timestamp};

/// What a report holds that the run recorded as it went.
struct Lists {
    series: Vec<crate::metrics::Row>,
    series_10s: Vec<crate::metrics::Row>,
    activities: Vec<Activity>,
    warnings: Vec<String>,
}

/// What `Simulation::summarize` computes for a report.
struct ReportParts {
    summary: Summary,
    variants: Vec<VariantSummary>,
    instances: Vec<InstanceRecord>,
    alarm_history: Vec<StateChange>,
    guides: Vec<Guide>,
    scaler_metrics: Vec<ScalerMetric>,
}

impl Simulation {
    /// Ends the run: closes the metric periods and builds the report.
    pub fn finish(mut self) -> Report {
        let end = self.end;
        self.now = self.now.max(end);
        self.metrics.finish(end);
        let lists = Lists {
            series: std::mem::take(&mut self.metrics.rows_60s),
            series_10s: std::mem::take(&mut self.metrics.rows_10s),
            activities: std::mem::take(&mut self.activities),
            warnings: std::mem::take(&mut self.warnings),
        };
        self.report(end, lists)
    }

    /// The run so far, as a report ending now: the periods completed, the activities and
    /// alarm changes until now, and a summary of the requests and costs until now (requests
    /// still queued or in service count as in flight). For showing a long run as it goes; the
    /// simulation continues unchanged.
    pub fn snapshot(&self) -> Report {
        let lists = Lists {
            series: self.metrics.rows_60s.clone(),
            series_10s: self.metrics.rows_10s.clone(),
            activities: self.activities.clone(),
            warnings: self.warnings.clone(),
        };
        self.report(self.now.min(self.end), lists)
    }

    /// The one place a report is assembled: from the state, with instance time counted until
    /// `end`, and the recorded lists (moved at the end of a run, copied for a snapshot).
    fn report(&self, end: SimTime, lists: Lists) -> Report {
        let parts = self.summarize(end, &lists.series);
        Report {
            scenario: self.plan_name.clone(),
            seed: self.seed,
            start: format_timestamp(self.start_unix_secs),
            duration_secs: end as f64 / US_PER_SEC as f64,
            summary: parts.summary,
            variants: parts.variants,
            series: lists.series,
            series_10s: lists.series_10s,
            activities: lists.activities,
            alarm_history: parts.alarm_history,
            guides: parts.guides,
            scaler_metrics: parts.scaler_metrics,
            instances: parts.instances,
            warnings: lists.warnings,
            events_processed: self.events,
        }
    }

    /// The parts of a report computed from the state (the recorded rows and lists are moved
    /// or copied by the caller), with instance time counted until `end`.
    fn summarize(&self, end: SimTime, rows_60s: &[crate::metrics::Row]) -> ReportParts {
        let instance_secs = |i: &Instance| {
            let stop = i.terminated_at.unwrap_or(end).min(end);
            stop.saturating_sub(i.launched_at) as f64 / US_PER_SEC as f64
        };
        let host_secs = |h: &Host| {
            let stop = h.terminated_at.unwrap_or(end).min(end);
            stop.saturating_sub(h.launched_at) as f64 / US_PER_SEC as f64
        };
        let mut variant_summaries = Vec::new();
        let mut total = Errors::default();
        let (mut requests, mut succeeded, mut cost, mut inst_hours) = (0u64, 0u64, 0.0f64, 0.0f64);
        for (k, var) in self.variants.iter() {
            let rows_cost: f64 = rows_60s.iter().filter(|r| usize::from(r.variant) == ix(k)).map(|r| r.cost_usd).sum();
            let hours: f64 = if var.pool.ic.is_some() {
                self.fleet.hosts.values().filter(|h| h.variant == k).map(host_secs).sum::<f64>() / 3600.0
            } else {
                self.fleet.instances.values().filter(|i| i.variant == k).map(instance_secs).sum::<f64>() / 3600.0
            };
            let mut e = var.errors.clone();
            e.total = e.model_error + e.service_unavailable + e.no_capacity + e.throttled;
            total.throttled += e.throttled;
            total.model_error += e.model_error;
            total.service_unavailable += e.service_unavailable;
            total.no_capacity += e.no_capacity;
            requests += var.requests;
            succeeded += var.succeeded;
            cost += rows_cost;
            inst_hours += hours;
            variant_summaries.push(VariantSummary {
                name: var.name.clone(),
                instance_type: var.instance_type.clone(),
                price_usd_per_hour: var.price_usd_per_hour,
                instance_capacity_rps: var.capacity_rps,
                requests: var.requests,
                succeeded: var.succeeded,
                errors: e,
                max_in_service_instances: var.pool.max_in_service,
                instance_hours: hours,
                cost_usd: rows_cost,
            });
        }
        total.total = total.model_error + total.service_unavailable + total.no_capacity + total.throttled;
        // Requests waiting for a retry belong to no variant until their next attempt.
        requests += self.clients.waiting();
        let in_flight = requests - succeeded - total.total;
        let client = self.clients.summary();
        let duration_secs = end as f64 / US_PER_SEC as f64;
        let figures = self.outcomes.figures(requests);
        let summary = Summary {
            requests,
            succeeded,
            errors: total,
            in_flight,
            latency_ms: figures.latency_ms,
            model_latency_ms: figures.model_latency_ms,
            queue_wait_ms: figures.queue_wait_ms,
            max_in_service_instances: self.fleet.max_in_service_total,
            instance_hours: inst_hours,
            cost_usd: cost,
            cost_per_hour_usd: if duration_secs > 0.0 { cost / (duration_secs / 3600.0) } else { 0.0 },
            cost_per_million_usd: (succeeded > 0).then(|| cost / succeeded as f64 * 1e6),
            slo_latency_ms: figures.slo_latency_ms,
            slo_attainment: figures.slo_attainment,
            first_error_secs: figures.first_error_secs,
            client,
        };
        let to_secs = |t: SimTime| t as f64 / US_PER_SEC as f64;
        // Billed instances: plain instances, and the managed instances hosting copies.
        let is_ic = |v: VariantId| self.variants[v].pool.ic.is_some();
        let instances = self
            .fleet
            .instances
            .values()
            .filter(|i| !is_ic(i.variant))
            .map(|i| InstanceRecord {
                variant: ix(i.variant) as u16,
                launched_secs: to_secs(i.launched_at),
                in_service_secs: i.in_service_at.map(to_secs),
                terminated_secs: i.terminated_at.map(to_secs),
            })
            .chain(self.fleet.hosts.values().map(|h| InstanceRecord {
                variant: ix(h.variant) as u16,
                launched_secs: to_secs(h.launched_at),
                // An instance stopped (or the run ended) before it finished provisioning never
                // served.
                in_service_secs:
                    (h.ready_at <= end && h.terminated_at.is_none_or(|t| h.ready_at <= t)).then(|| to_secs(h.ready_at)),
                terminated_secs: h.terminated_at.map(to_secs),
            }))
            .collect();
        let mut alarm_history: Vec<_> = self.scalers.iter().flat_map(|s| s.history()).collect();
        alarm_history.sort_by(|a, b| a.at_secs.total_cmp(&b.at_secs));
        let guides = self.scalers.iter().flat_map(|s| s.guides()).collect();
        let scaler_metrics = self.scalers.iter().flat_map(|s| s.metrics()).collect();
        ReportParts { summary, variants: variant_summaries, instances, alarm_history, guides, scaler_metrics }
    }
}
