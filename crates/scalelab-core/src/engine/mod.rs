//! The discrete-event engine: requests arrive, are routed to a variant and an instance, wait,
//! are served (alone or in batches) and end in exactly one outcome; instances launch, load,
//! serve, drain and terminate as capacity commands arrive.
//!
//! Events are ordered by `(time, sequence)`: FIFO among events at the same microsecond.
//! `run_until(t)` processes every event with time ≤ t.

use std::cmp::Ordering;
use std::collections::VecDeque;

mod fleet;
mod outcomes;
mod queue;

use fleet::{Host, IcRuntime, Instance, InstanceState, ScaleIn};
use outcomes::Outcomes;
use queue::EventQueue;

use crate::client::{AfterFailure, ClientPlan, RetryOn};
use crate::limits;
use crate::metrics::{Gauges, Recorder, UtilModel};
use crate::plan::{Plan, ScalerSpec};
use crate::report::{Activity, ClientSummary, Errors, InstanceRecord, Report, Summary, VariantSummary};
use crate::rng::{Sampler, Stream};
use crate::scaling::{Command, Guide, Scaler, StateChange, VariantView, View};
use crate::scenario::Routing;
use crate::time::{Duration, SimTime, US_PER_SEC, format_timestamp};
use crate::traffic::Arrivals;

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Ev {
    Arrival,
    /// One request finished service.
    Done {
        inst: u32,
        req: Req,
        start: SimTime,
    },
    /// A client sends attempt `attempt` (1 = the first) of a request first sent at `first`.
    Attempt {
        first: SimTime,
        attempt: u32,
    },
    /// A batch finished service; its arrival times are in `batches[slot]`.
    BatchDone {
        inst: u32,
        slot: u32,
        start: SimTime,
    },
    /// The oldest queued request has waited `maxWait`: dispatch a partial batch.
    BatchWait {
        inst: u32,
    },
    /// The oldest queued request may have reached the invocation timeout.
    Expire {
        inst: u32,
    },
    /// An instance finishes a cold-start stage.
    Stage {
        inst: u32,
    },
    /// A managed instance has had no copies for the scale-in delay.
    HostIdle {
        host: u32,
    },
    /// The oldest request in an asynchronous variant's queue may have timed out.
    BacklogExpire {
        variant: u16,
    },
    Wake {
        scaler: u16,
    },
    /// Free queue consumers take visible messages.
    Pump,
}

/// A request in an instance's queue or in service: when this attempt arrived, and when the
/// client first sent the request (earlier only after retries).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
struct Req {
    at: SimTime,
    first: SimTime,
}

impl Req {
    fn new(at: SimTime) -> Req {
        Req { at, first: at }
    }
}

impl queue::Event for Ev {
    fn is_arrival(&self) -> bool {
        matches!(self, Ev::Arrival)
    }
    fn arrival() -> Ev {
        Ev::Arrival
    }
}

#[derive(Debug)]
struct BatchCfg {
    max: u32,
    max_wait_us: SimTime,
    fixed_us: f64,
    per_item_us: f64,
    shape: Sampler,
}

#[derive(Debug)]
struct VariantState {
    name: String,
    instance_type: String,
    price_usd_per_hour: f64,
    capacity_rps: f64,
    workers: u32,
    queue_capacity: usize,
    service: Option<Sampler>,
    batching: Option<BatchCfg>,
    overhead: Sampler,
    provisioning: Sampler,
    image_pull: Sampler,
    model_load: Sampler,
    service_rng: Stream,
    overhead_rng: Stream,
    lifecycle_rng: Stream,
    weight: f64,
    desired: u32,
    /// Instances that count toward capacity: provisioning, loading or in service.
    live: Vec<u32>,
    /// Instances in service, the routing candidates.
    in_service: Vec<u32>,
    pending: u32,
    draining: u32,
    busy: u32,
    outstanding: u64,
    max_in_service: u32,
    /// Set when the model is an inference component: `live`, `in_service` etc. count copies.
    ic: Option<IcRuntime>,
    /// The invocation timeout of this variant's requests.
    timeout_us: SimTime,
    /// Asynchronous inference: the endpoint's queue of arrival times, oldest first.
    backlog: Option<VecDeque<SimTime>>,
    backlog_expire_pending: bool,
    // Outcome counters.
    requests: u64,
    succeeded: u64,
    errors: Errors,
}

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
}

/// A running simulation. Create it from a `Plan`, advance it with `run_until`, and turn it into a
/// `Report` with `finish`.
#[derive(Debug)]
pub struct Simulation {
    plan_name: String,
    seed: u64,
    start_unix_secs: i64,
    now: SimTime,
    end: SimTime,
    publish_delay_us: SimTime,
    routing: Routing,
    queue: EventQueue<Ev>,
    arrivals: Arrivals,
    /// The variant each request goes to (weighted).
    variant_rng: Stream,
    /// The instance within the variant (the offset a least-outstanding scan starts at, or the
    /// random pick). Its own stream, so that a variant's instance count never changes which
    /// variant later requests go to.
    instance_rng: Stream,
    variants: Vec<VariantState>,
    instances: Vec<Instance>,
    hosts: Vec<Host>,
    batches: Vec<Vec<Req>>,
    free_batches: Vec<u32>,
    scalers: Vec<Box<dyn Scaler>>,
    metrics: Recorder,
    outcomes: Outcomes,
    max_in_service_total: u32,
    activities: Vec<Activity>,
    warnings: Vec<String>,
    launch_limit_warned: bool,
    events: u64,
    client: Option<ClientPlan>,
    client_rng: Stream,
    clients: ClientCounters,
}

/// Counts of the client's behaviour (retries or queue); all zero without a client section.
#[derive(Debug, Default)]
struct ClientCounters {
    attempts: u64,
    retries: u64,
    retried_requests: u64,
    /// Requests waiting for their next attempt (backoff, visibility timeout, delivery delay).
    waiting: u64,
    gave_up: u64,
    /// A queue with bounded consumers: messages visible and waiting for a consumer
    /// (first sent, attempt), the consumers busy, and whether a `Pump` is scheduled.
    visible: VecDeque<(SimTime, u32)>,
    consumers_busy: u32,
    pump_pending: bool,
}

impl Simulation {
    /// Builds the simulation with the plan's scalers (its manual capacity schedule and, if the
    /// scenario has a scaling section, Application Auto Scaling).
    pub fn new(plan: &Plan) -> Simulation {
        Simulation::with_scalers(plan, plan.scalers.iter().map(ScalerSpec::build).collect())
    }

    /// Builds the simulation with other scalers than the plan's.
    pub fn with_scalers(plan: &Plan, scalers: Vec<Box<dyn Scaler>>) -> Simulation {
        let seed = plan.seed;
        let variants: Vec<VariantState> = plan
            .variants
            .iter()
            .map(|v| {
                let p = &v.profile;
                let batching = p.batching.as_ref().map(|b| BatchCfg {
                    max: b.max_batch_size.max(1),
                    max_wait_us: b.max_wait.as_micros(),
                    fixed_us: b.fixed.as_micros() as f64,
                    per_item_us: b.per_item.as_micros() as f64,
                    shape: Sampler::new(b.distribution, 1.0, b.cv.unwrap_or(0.0)),
                });
                VariantState {
                    name: v.name.clone(),
                    instance_type: v.instance_type.name.to_string(),
                    price_usd_per_hour: v.price_usd_per_hour,
                    capacity_rps: p.capacity_rps(),
                    workers: p.workers.max(1),
                    queue_capacity: p.queue_capacity as usize,
                    service: p.service_time.as_ref().map(|s| s.sampler()),
                    batching,
                    overhead: p.overhead.sampler(),
                    provisioning: p.cold_start.provisioning.sampler(),
                    image_pull: p.cold_start.image_pull.sampler(),
                    model_load: p.cold_start.model_load.sampler(),
                    service_rng: Stream::new(seed, &format!("service/{}", v.name)),
                    overhead_rng: Stream::new(seed, &format!("overhead/{}", v.name)),
                    lifecycle_rng: Stream::new(seed, &format!("lifecycle/{}", v.name)),
                    weight: v.weight,
                    desired: 0,
                    live: Vec::new(),
                    in_service: Vec::new(),
                    pending: 0,
                    draining: 0,
                    busy: 0,
                    outstanding: 0,
                    max_in_service: 0,
                    ic: v.inference_component.as_ref().map(|ic| IcRuntime {
                        copies_per_instance: ic.copies_per_instance.max(1),
                        min_instances: ic.min_instances,
                        max_instances: ic.max_instances,
                        scale_in_delay_us: ic.scale_in_delay_us,
                        live_hosts: 0,
                        full_warned: false,
                        name: ic.name.clone(),
                    }),
                    timeout_us: v.async_timeout_us.unwrap_or(plan.timeout_us),
                    backlog: v.async_timeout_us.map(|_| VecDeque::new()),
                    backlog_expire_pending: false,
                    requests: 0,
                    succeeded: 0,
                    errors: Errors::default(),
                }
            })
            .collect();
        let utils = plan
            .variants
            .iter()
            .map(|v| {
                let u = &v.profile.utilization;
                UtilModel {
                    cpu_idle_pct: u.cpu_idle_pct,
                    cpu_per_busy_worker_pct: u.cpu_per_busy_worker_pct,
                    gpu_per_busy_worker_pct: u.gpu_per_busy_worker_pct,
                    memory_base_pct: u.memory_base_pct,
                    memory_per_request_pct: u.memory_per_request_pct,
                    price_usd_per_hour: v.price_usd_per_hour,
                }
            })
            .collect();
        let horizon_secs = plan.duration_us.div_ceil(US_PER_SEC);
        let mut sim = Simulation {
            plan_name: plan.name.clone(),
            seed,
            start_unix_secs: plan.start_unix_secs,
            now: 0,
            end: plan.duration_us,
            publish_delay_us: plan.publish_delay_us,
            routing: plan.routing,
            queue: EventQueue::new(),
            arrivals: Arrivals::new(plan.rate.clone(), Stream::new(seed, "arrivals"), horizon_secs),
            variant_rng: Stream::new(seed, "routing/variant"),
            instance_rng: Stream::new(seed, "routing"),
            variants,
            instances: Vec::new(),
            hosts: Vec::new(),
            batches: Vec::new(),
            free_batches: Vec::new(),
            scalers,
            metrics: Recorder::new(utils),
            outcomes: Outcomes::new(plan.slo_us),
            max_in_service_total: 0,
            activities: Vec::new(),
            warnings: plan.warnings.clone(),
            launch_limit_warned: false,
            events: 0,
            client: plan.client.clone(),
            client_rng: Stream::new(seed, "client"),
            clients: ClientCounters::default(),
        };
        // The endpoint exists at the start: initial instances are in service from t = 0.
        for (v, vp) in plan.variants.iter().enumerate() {
            sim.variant_mut(v).desired = vp.initial_count;
            if let Some(ic) = &vp.inference_component {
                for _ in 0..ic.initial_instances {
                    sim.launch_host(v, 0);
                }
            }
            for _ in 0..vp.initial_count {
                if let Some(i) = sim.launch(v) {
                    sim.make_in_service(i);
                }
            }
            sim.sync_gauges(v);
        }
        if let Some(t) = sim.arrivals.next_arrival() {
            sim.schedule(t, Ev::Arrival);
        }
        for k in 0..sim.scalers.len() {
            if let Some(t) = sim.scalers.get(k).and_then(|s| s.next_wake()) {
                sim.schedule(t, Ev::Wake { scaler: k as u16 });
            }
        }
        sim
    }

    pub fn now(&self) -> SimTime {
        self.now
    }
    pub fn end(&self) -> SimTime {
        self.end
    }
    /// Fraction of simulated time done, 0..=1.
    pub fn progress(&self) -> f64 {
        if self.end == 0 { 1.0 } else { self.now as f64 / self.end as f64 }
    }
    pub fn events_processed(&self) -> u64 {
        self.events
    }
    pub fn is_done(&self) -> bool {
        self.now >= self.end && self.queue.nothing_until(self.end)
    }

    fn schedule(&mut self, time: SimTime, ev: Ev) {
        self.queue.schedule(time, ev);
    }

    /// Processes every event with time ≤ `t` (and ≤ the end of the run).
    pub fn run_until(&mut self, t: SimTime) {
        let limit = t.min(self.end);
        while let Some((time, ev)) = self.queue.pop_until(limit) {
            self.now = time;
            self.metrics.advance_to(time);
            self.events += 1;
            self.handle(ev);
        }
        self.now = self.now.max(limit);
    }

    /// Runs to the end and returns the report.
    pub fn run(mut self) -> Report {
        self.run_until(self.end);
        self.finish()
    }

    fn handle(&mut self, ev: Ev) {
        // Ids in events come from the engine itself; the handlers' `let … else { return }` on
        // lookups are for release builds only, and a test run stops here instead.
        debug_assert!(self.ids_in_range(ev), "{ev:?} refers to nothing");
        match ev {
            Ev::Arrival => {
                if let Some(t) = self.arrivals.next_arrival() {
                    self.schedule(t, Ev::Arrival);
                }
                let now = self.now;
                let bounded = self.client.as_ref().and_then(ClientPlan::consumers).is_some();
                match self.client.as_ref().map(ClientPlan::first_delay_us) {
                    Some(0) if bounded => {
                        self.clients.waiting += 1;
                        self.clients.visible.push_back((now, 1));
                        self.pump();
                    }
                    Some(delay) if delay > 0 => {
                        self.clients.waiting += 1;
                        self.schedule(now + delay, Ev::Attempt { first: now, attempt: 1 });
                    }
                    _ => self.arrive(now, 1),
                }
            }
            Ev::Attempt { first, attempt } => {
                if self.client.as_ref().and_then(ClientPlan::consumers).is_some() {
                    // The message is visible again: it waits for a free consumer.
                    self.clients.visible.push_back((first, attempt));
                    self.pump();
                } else {
                    self.clients.waiting -= 1;
                    self.arrive(first, attempt);
                }
            }
            Ev::Pump => {
                self.clients.pump_pending = false;
                self.pump();
            }
            Ev::Done { inst, req, start } => self.done(inst, req, start),
            Ev::BatchDone { inst, slot, start } => self.batch_done(inst, slot, start),
            Ev::BatchWait { inst } => {
                if let Some(i) = self.instances.get_mut(inst as usize) {
                    i.batch_wait_pending = false;
                }
                self.dispatch(inst);
                self.after_instance_change(inst);
            }
            Ev::Expire { inst } => {
                if let Some(i) = self.instances.get_mut(inst as usize) {
                    i.expire_pending = false;
                }
                self.expire(inst);
                self.dispatch(inst);
                self.after_instance_change(inst);
            }
            Ev::Stage { inst } => self.stage(inst),
            Ev::HostIdle { host } => self.host_idle(host),
            Ev::BacklogExpire { variant } => {
                let v = usize::from(variant);
                self.variant_mut(v).backlog_expire_pending = false;
                self.expire_backlog(v);
                self.sync_gauges(v);
            }
            Ev::Wake { scaler } => self.wake(scaler),
        }
    }

    fn ids_in_range(&self, ev: Ev) -> bool {
        match ev {
            Ev::Done { inst, .. }
            | Ev::BatchDone { inst, .. }
            | Ev::BatchWait { inst }
            | Ev::Expire { inst }
            | Ev::Stage { inst } => (inst as usize) < self.instances.len(),
            Ev::HostIdle { host } => (host as usize) < self.hosts.len(),
            Ev::BacklogExpire { variant } => usize::from(variant) < self.variants.len(),
            Ev::Wake { scaler } => usize::from(scaler) < self.scalers.len(),
            Ev::Arrival | Ev::Attempt { .. } | Ev::Pump => true,
        }
    }

    fn variant_mut(&mut self, v: usize) -> &mut VariantState {
        // Variant indices come from the plan and never go out of range: a test run stops here
        // if one does; a release build falls back to the first variant rather than panic.
        let n = self.variants.len();
        debug_assert!(v < n, "variant {v} of {n}");
        let idx = if v < n { v } else { 0 };
        #[allow(clippy::indexing_slicing)]
        &mut self.variants[idx]
    }

    fn inst(&self, i: u32) -> Option<&Instance> {
        self.instances.get(i as usize)
    }

    fn record_error_time(&mut self) {
        self.outcomes.error_at(self.now);
    }

    /// Attempt `attempt` of a request the client first sent at `first` reaches the endpoint.
    fn arrive(&mut self, first: SimTime, attempt: u32) {
        let v = self.pick_variant();
        self.metrics.request(v);
        self.clients.attempts += 1;
        let now = self.now;
        let var = self.variant_mut(v);
        var.requests += 1;
        if var.backlog.is_some() {
            self.arrive_async(v);
            return;
        }
        let n = var.in_service.len();
        if n == 0 {
            self.metrics.no_capacity(v);
            self.attempt_failed(v, RetryOn::NoCapacity, first, attempt);
            return;
        }
        let Some(inst) = self.route(v, n) else { return };
        self.metrics.invocation(v, n as u32);
        let Some(var) = self.variants.get(v) else { return };
        let (capacity, batching, workers) = (var.queue_capacity, var.batching.is_some(), var.workers);
        let Some(i) = self.instances.get_mut(inst as usize) else { return };
        let req = Req { at: now, first };
        if !batching && i.busy < workers && i.queue.is_empty() {
            // Straight into service.
            self.variant_mut(v).outstanding += 1;
            self.start_single(inst, req, now);
        } else if i.queue.len() < capacity {
            i.queue.push_back(req);
            let schedule_expiry = !i.expire_pending;
            i.expire_pending = true;
            self.variant_mut(v).outstanding += 1;
            if schedule_expiry {
                let timeout = self.variant_mut(v).timeout_us;
                self.schedule(now + timeout, Ev::Expire { inst });
            }
            if batching {
                self.dispatch(inst);
            }
        } else {
            self.metrics.error_5xx(v);
            self.attempt_failed(v, RetryOn::ServiceUnavailable, first, attempt);
        }
        self.sync_gauges(v);
    }

    /// Free consumers of a bounded queue take visible messages, oldest first.
    fn pump(&mut self) {
        let Some(limit) = self.client.as_ref().and_then(ClientPlan::consumers) else { return };
        while self.clients.consumers_busy < limit {
            let Some((first, attempt)) = self.clients.visible.pop_front() else { break };
            self.clients.consumers_busy += 1;
            self.clients.waiting -= 1;
            self.arrive(first, attempt);
        }
    }

    /// `n` attempts ended (answered, failed or timed out): a bounded queue's consumers that
    /// made them are free again and take more messages once the current event is done.
    fn attempts_ended(&mut self, n: u64) {
        if n == 0 || self.client.as_ref().and_then(ClientPlan::consumers).is_none() {
            return;
        }
        self.clients.consumers_busy = self.clients.consumers_busy.saturating_sub(n as u32);
        if !self.clients.pump_pending && !self.clients.visible.is_empty() {
            self.clients.pump_pending = true;
            let now = self.now;
            self.schedule(now, Ev::Pump);
        }
    }

    /// An attempt failed at the endpoint (CloudWatch has counted it): the client retries it
    /// later, or the request ends with this error.
    fn attempt_failed(&mut self, v: usize, why: RetryOn, first: SimTime, attempt: u32) {
        let now = self.now;
        let next = match &self.client {
            Some(c) => c.after_failure(why, attempt, first, now, &mut self.client_rng),
            None => AfterFailure::GiveUp,
        };
        match next {
            AfterFailure::RetryAt(t) => {
                // The request is no longer this variant's: its next attempt is routed afresh.
                self.variant_mut(v).requests -= 1;
                self.clients.waiting += 1;
                self.clients.retries += 1;
                if attempt == 1 {
                    self.clients.retried_requests += 1;
                }
                self.schedule(t, Ev::Attempt { first, attempt: attempt + 1 });
            }
            AfterFailure::GiveUp => {
                let e = &mut self.variant_mut(v).errors;
                match why {
                    RetryOn::NoCapacity => e.no_capacity += 1,
                    RetryOn::ServiceUnavailable => e.service_unavailable += 1,
                }
                if attempt > 1 {
                    self.clients.gave_up += 1;
                }
                self.record_error_time();
            }
        }
        self.attempts_ended(1);
    }

    /// Picks the instance of variant `v` (which has `n` > 0 instances in service).
    fn route(&mut self, v: usize, n: usize) -> Option<u32> {
        let offset = if n > 1 { self.instance_rng.below(n) } else { 0 };
        let in_service = &self.variants.get(v)?.in_service;
        match self.routing {
            Routing::Random => in_service.get(offset).copied(),
            Routing::LeastOutstandingRequests => {
                // Scan from a random offset so that ties spread evenly.
                let mut best = None;
                let mut best_load = u64::MAX;
                for k in 0..n {
                    let Some(&inst) = in_service.get((offset + k) % n) else { continue };
                    let load = self.instances.get(inst as usize).map_or(u64::MAX, Instance::outstanding);
                    if load < best_load {
                        best_load = load;
                        best = Some(inst);
                        if load == 0 {
                            break;
                        }
                    }
                }
                best
            }
        }
    }

    fn pick_variant(&mut self) -> usize {
        if self.variants.len() == 1 {
            return 0;
        }
        let total: f64 = self.variants.iter().map(|v| v.weight).sum();
        if total <= 0.0 {
            return 0;
        }
        let mut x = self.variant_rng.uniform() * total;
        for (k, v) in self.variants.iter().enumerate() {
            if x < v.weight {
                return k;
            }
            x -= v.weight;
        }
        self.variants.iter().rposition(|v| v.weight > 0.0).unwrap_or(0)
    }

    /// Starts serving one request on a free worker (no batching). The caller has already
    /// counted it in the variant's outstanding requests.
    fn start_single(&mut self, inst: u32, req: Req, now: SimTime) {
        let Some(i) = self.instances.get_mut(inst as usize) else { return };
        let v = i.variant as usize;
        i.busy += 1;
        i.serving += 1;
        let var = self.variant_mut(v);
        var.busy += 1;
        let s = match &var.service {
            Some(sampler) => sampler.sample_us(&mut var.service_rng),
            None => 0,
        };
        self.schedule(now + s, Ev::Done { inst, req, start: now });
    }

    /// Moves queued requests into service while workers are free.
    fn dispatch(&mut self, inst: u32) {
        let now = self.now;
        let Some(i) = self.instances.get(inst as usize) else { return };
        let v = i.variant as usize;
        if matches!(i.state, InstanceState::Terminated) {
            return;
        }
        let Some(var) = self.variants.get(v) else { return };
        let workers = var.workers;
        if let Some(b) = &var.batching {
            let (max, max_wait) = (b.max as usize, b.max_wait_us);
            loop {
                let Some(i) = self.instances.get_mut(inst as usize) else { return };
                if i.busy >= workers || i.queue.is_empty() {
                    return;
                }
                let oldest = i.queue.front().map_or(now, |r| r.at);
                if i.queue.len() < max && now < oldest + max_wait {
                    if !i.batch_wait_pending {
                        i.batch_wait_pending = true;
                        self.schedule(oldest + max_wait, Ev::BatchWait { inst });
                    }
                    return;
                }
                let n = i.queue.len().min(max);
                let slot = match self.free_batches.pop() {
                    Some(s) => s,
                    None => {
                        self.batches.push(Vec::new());
                        (self.batches.len() - 1) as u32
                    }
                };
                let Some(batch) = self.batches.get_mut(slot as usize) else { return };
                batch.clear();
                batch.extend(i.queue.drain(..n));
                i.busy += 1;
                i.serving += n as u32;
                let var = self.variant_mut(v);
                var.busy += 1;
                let s = match &var.batching {
                    Some(b) => b.shape.with_mean(b.fixed_us + b.per_item_us * n as f64).sample_us(&mut var.service_rng),
                    None => 0,
                };
                self.schedule(now + s, Ev::BatchDone { inst, slot, start: now });
            }
        } else {
            loop {
                let Some(i) = self.instances.get_mut(inst as usize) else { return };
                if i.busy >= workers {
                    return;
                }
                let Some(req) = i.queue.pop_front() else { return };
                self.start_single(inst, req, now);
            }
        }
    }

    /// Drops queued requests that reached the invocation timeout; they end as `ModelError`.
    fn expire(&mut self, inst: u32) {
        let now = self.now;
        let Some(v) = self.inst(inst).map(|i| usize::from(i.variant)) else { return };
        let timeout = self.variant_mut(v).timeout_us;
        let Some(i) = self.instances.get_mut(inst as usize) else { return };
        let mut dropped = 0u64;
        while i.queue.front().is_some_and(|r| r.at + timeout <= now) {
            i.queue.pop_front();
            dropped += 1;
        }
        let next = i.queue.front().map(|r| r.at + timeout);
        if let Some(t) = next {
            i.expire_pending = true;
            self.schedule(t, Ev::Expire { inst });
        }
        if dropped > 0 {
            self.attempts_ended(dropped);
            let var = self.variant_mut(v);
            var.errors.model_error += dropped;
            var.outstanding -= dropped;
            for _ in 0..dropped {
                self.metrics.model_error(v);
            }
            self.record_error_time();
        }
    }

    /// Records the outcome of one served request.
    fn complete(&mut self, v: usize, req: Req, start: SimTime) {
        let now = self.now;
        self.attempts_ended(1);
        let model_us = now - req.at;
        if model_us > self.variant_mut(v).timeout_us {
            self.variant_mut(v).errors.model_error += 1;
            self.metrics.model_error(v);
            self.record_error_time();
            return;
        }
        let var = self.variant_mut(v);
        var.succeeded += 1;
        let overhead = var.overhead.sample_us(&mut var.overhead_rng);
        self.metrics.success(v, model_us, overhead);
        // The client waited from its first attempt: retries and backoffs included.
        self.outcomes.success(now - req.first + overhead, model_us, start - req.at);
    }

    fn done(&mut self, inst: u32, req: Req, start: SimTime) {
        let Some(i) = self.instances.get_mut(inst as usize) else { return };
        i.busy -= 1;
        i.serving -= 1;
        let v = i.variant as usize;
        let var = self.variant_mut(v);
        var.busy -= 1;
        var.outstanding -= 1;
        self.complete(v, req, start);
        self.dispatch(inst);
        self.feed(inst);
        self.after_instance_change(inst);
    }

    fn batch_done(&mut self, inst: u32, slot: u32, start: SimTime) {
        let Some(i) = self.instances.get_mut(inst as usize) else { return };
        let v = i.variant as usize;
        let batch = self.batches.get_mut(slot as usize).map(std::mem::take).unwrap_or_default();
        let n = batch.len() as u32;
        if let Some(i) = self.instances.get_mut(inst as usize) {
            i.busy -= 1;
            i.serving -= n;
        }
        let var = self.variant_mut(v);
        var.busy -= 1;
        var.outstanding -= u64::from(n);
        for &req in &batch {
            self.complete(v, req, start);
        }
        if let Some(b) = self.batches.get_mut(slot as usize) {
            *b = batch;
        }
        self.free_batches.push(slot);
        self.dispatch(inst);
        self.feed(inst);
        self.after_instance_change(inst);
    }

    /// After work finished on an instance: a draining instance with nothing left terminates.
    fn after_instance_change(&mut self, inst: u32) {
        let Some(i) = self.inst(inst) else { return };
        let v = i.variant as usize;
        if i.state == InstanceState::Draining && i.outstanding() == 0 {
            self.terminate(inst);
            self.variant_mut(v).draining -= 1;
        }
        self.sync_gauges(v);
    }

    fn launch(&mut self, v: usize) -> Option<u32> {
        if self.instances.len() >= limits::MAX_LAUNCHES {
            if !self.launch_limit_warned {
                self.launch_limit_warned = true;
                self.warnings.push(format!(
                    "the run reached the limit of {} instance launches; later launches were refused",
                    limits::MAX_LAUNCHES
                ));
            }
            return None;
        }
        let now = self.now;
        let var = self.variant_mut(v);
        let prov = var.provisioning.sample_us(&mut var.lifecycle_rng);
        let load = var.image_pull.sample_us(&mut var.lifecycle_rng) + var.model_load.sample_us(&mut var.lifecycle_rng);
        // A copy of an inference component goes on an instance with room, or on a new one
        // (whose provisioning it waits for); a plain instance provisions itself.
        let (host, starts_loading_at) = if self.variant_mut(v).ic.is_some() {
            match self.place_copy(v, prov) {
                Some((h, ready)) => (Some(h), ready.max(now)),
                None => return None,
            }
        } else {
            (None, now + prov)
        };
        let id = self.instances.len() as u32;
        self.instances.push(Instance {
            variant: v as u16,
            state: InstanceState::Provisioning,
            launched_at: now,
            in_service_at: None,
            terminated_at: None,
            load_us: load,
            busy: 0,
            serving: 0,
            queue: VecDeque::new(),
            expire_pending: false,
            batch_wait_pending: false,
            host,
        });
        let var = self.variant_mut(v);
        var.live.push(id);
        var.pending += 1;
        // Initial instances are made in service at once by the caller; this event is then stale.
        self.schedule(starts_loading_at, Ev::Stage { inst: id });
        Some(id)
    }

    /// Starts a managed instance for variant `v`, ready after `prov`. Returns its index.
    fn launch_host(&mut self, v: usize, prov: SimTime) -> u32 {
        let now = self.now;
        let id = self.hosts.len() as u32;
        self.hosts.push(Host {
            variant: v as u16,
            launched_at: now,
            ready_at: now + prov,
            copies: 0,
            idle_since: Some(now),
            terminated_at: None,
        });
        if let Some(ic) = self.variant_mut(v).ic.as_mut() {
            ic.live_hosts += 1;
            let delay = ic.scale_in_delay_us;
            self.schedule(now + delay, Ev::HostIdle { host: id });
        }
        id
    }

    /// Finds room for one more copy of variant `v`: the running instance with room that is
    /// ready first, else a new instance. `None` when MaxInstanceCount is reached.
    fn place_copy(&mut self, v: usize, prov: SimTime) -> Option<(u32, SimTime)> {
        let ic = self.variants.get(v)?.ic.as_ref()?;
        let (cpi, max) = (ic.copies_per_instance, ic.max_instances);
        let live_hosts = ic.live_hosts;
        let host = match fleet::host_with_room(&self.hosts, v, cpi) {
            Some(h) => h,
            None if live_hosts < max => self.launch_host(v, prov),
            None => {
                let name = self.variant_mut(v).name.clone();
                if let Some(ic) = self.variant_mut(v).ic.as_mut()
                    && !ic.full_warned
                {
                    ic.full_warned = true;
                    self.warnings.push(format!(
                        "{name}: MaxInstanceCount {max} holds {} copies; more were asked for and not placed",
                        max * cpi
                    ));
                }
                return None;
            }
        };
        let h = self.hosts.get_mut(host as usize)?;
        h.copies += 1;
        h.idle_since = None;
        Some((host, h.ready_at))
    }

    /// A copy stopped: its instance has room again, and starts its scale-in delay when empty.
    fn release_copy(&mut self, inst: u32) {
        let now = self.now;
        let Some(host) = self.inst(inst).and_then(|i| i.host) else { return };
        let Some(h) = self.hosts.get_mut(host as usize) else { return };
        h.copies = h.copies.saturating_sub(1);
        if h.copies == 0 {
            h.idle_since = Some(now);
            let v = usize::from(h.variant);
            if let Some(delay) = self.variants.get(v).and_then(|x| x.ic.as_ref()).map(|ic| ic.scale_in_delay_us) {
                self.schedule(now + delay, Ev::HostIdle { host });
            }
        }
    }

    /// An instance that stayed without copies for the whole delay stops, unless the variant is
    /// at MinInstanceCount.
    fn host_idle(&mut self, host: u32) {
        let now = self.now;
        let Some(h) = self.hosts.get(host as usize) else { return };
        let v = usize::from(h.variant);
        let Some(ic) = self.variants.get(v).and_then(|x| x.ic.as_ref()) else { return };
        let expired =
            h.terminated_at.is_none() && h.copies == 0 && h.idle_since.is_some_and(|t| t + ic.scale_in_delay_us <= now);
        if !expired || ic.live_hosts <= ic.min_instances {
            return;
        }
        if let Some(h) = self.hosts.get_mut(host as usize) {
            h.terminated_at = Some(now);
        }
        if let Some(ic) = self.variant_mut(v).ic.as_mut() {
            ic.live_hosts -= 1;
        }
        self.sync_gauges(v);
    }

    fn make_in_service(&mut self, inst: u32) {
        let now = self.now;
        let Some(i) = self.instances.get_mut(inst as usize) else { return };
        if !matches!(i.state, InstanceState::Provisioning | InstanceState::Loading) {
            return;
        }
        i.state = InstanceState::InService;
        i.in_service_at = Some(now);
        let v = i.variant as usize;
        let var = self.variant_mut(v);
        var.pending -= 1;
        var.in_service.push(inst);
        var.max_in_service = var.max_in_service.max(var.in_service.len() as u32);
        let total: u32 = self.variants.iter().map(|v| v.in_service.len() as u32).sum();
        self.max_in_service_total = self.max_in_service_total.max(total);
        self.feed(inst);
    }

    /// Asynchronous inference: a request joins the endpoint's queue; an instance with room
    /// takes it at once.
    fn arrive_async(&mut self, v: usize) {
        let now = self.now;
        let var = self.variant_mut(v);
        let Some(q) = var.backlog.as_mut() else { return };
        if q.len() >= limits::MAX_BACKLOG {
            var.errors.service_unavailable += 1;
            self.metrics.error_5xx(v);
            self.record_error_time();
            self.attempts_ended(1);
            return;
        }
        q.push_back(now);
        if !var.backlog_expire_pending {
            var.backlog_expire_pending = true;
            let t = now + var.timeout_us;
            self.schedule(t, Ev::BacklogExpire { variant: v as u16 });
        }
        // `feed` never changes which instances are in service, so indexing is stable.
        let mut k = 0;
        while let Some(&inst) = self.variants.get(v).and_then(|x| x.in_service.get(k)) {
            if self.variants.get(v).is_none_or(|x| x.backlog.as_ref().is_none_or(VecDeque::is_empty)) {
                break;
            }
            self.feed(inst);
            k += 1;
        }
        self.sync_gauges(v);
    }

    /// Moves requests from an asynchronous variant's queue to instance `inst` while it has room
    /// (free workers, or free batch places), then serves them.
    fn feed(&mut self, inst: u32) {
        let now = self.now;
        let Some(i) = self.inst(inst) else { return };
        if i.state != InstanceState::InService {
            return;
        }
        let v = usize::from(i.variant);
        let (busy, queued) = (i.busy, i.queue.len());
        let Some(var) = self.variants.get(v) else { return };
        if var.backlog.is_none() {
            return;
        }
        let per_worker = var.batching.as_ref().map_or(1, |b| b.max as usize);
        let room = (var.workers.saturating_sub(busy) as usize * per_worker).saturating_sub(queued);
        if room == 0 {
            return;
        }
        self.expire_backlog(v);
        let n = self.variants.get(v).map_or(0, |x| x.in_service.len() as u32);
        let mut moved = 0;
        while moved < room {
            let Some(arrival) = self.variant_mut(v).backlog.as_mut().and_then(VecDeque::pop_front) else { break };
            self.metrics.invocation(v, n);
            self.variant_mut(v).outstanding += 1;
            if let Some(i) = self.instances.get_mut(inst as usize) {
                i.queue.push_back(Req::new(arrival));
            }
            moved += 1;
        }
        if moved > 0 {
            let pending = self.inst(inst).is_some_and(|i| i.expire_pending);
            if !pending && let Some(front) = self.inst(inst).and_then(|i| i.queue.front().map(|r| r.at)) {
                let t = (front + self.variant_mut(v).timeout_us).max(now);
                if let Some(i) = self.instances.get_mut(inst as usize) {
                    i.expire_pending = true;
                }
                self.schedule(t, Ev::Expire { inst });
            }
            self.dispatch(inst);
        }
        self.sync_gauges(v);
    }

    /// Drops requests that waited in an asynchronous queue past the timeout (ModelError), and
    /// keeps one expiry event pending for the new oldest request.
    fn expire_backlog(&mut self, v: usize) {
        let now = self.now;
        let var = self.variant_mut(v);
        let timeout = var.timeout_us;
        let Some(q) = var.backlog.as_mut() else { return };
        let mut dropped = 0;
        while q.front().is_some_and(|&a| a + timeout <= now) {
            q.pop_front();
            dropped += 1;
        }
        let next = q.front().map(|&a| a + timeout);
        if dropped > 0 {
            var.errors.model_error += dropped;
            for _ in 0..dropped {
                self.metrics.model_error(v);
            }
            self.record_error_time();
            self.attempts_ended(dropped);
        }
        let var = self.variant_mut(v);
        if let Some(t) = next
            && !var.backlog_expire_pending
        {
            var.backlog_expire_pending = true;
            self.schedule(t, Ev::BacklogExpire { variant: v as u16 });
        }
    }

    fn stage(&mut self, inst: u32) {
        let now = self.now;
        let Some(i) = self.instances.get_mut(inst as usize) else { return };
        let v = i.variant as usize;
        match i.state {
            InstanceState::Provisioning => {
                i.state = InstanceState::Loading;
                let t = now + i.load_us;
                self.schedule(t, Ev::Stage { inst });
            }
            InstanceState::Loading => self.make_in_service(inst),
            _ => return, // stale: cancelled, or made in service at the start
        }
        self.sync_gauges(v);
    }

    fn terminate(&mut self, inst: u32) {
        let now = self.now;
        if let Some(i) = self.instances.get_mut(inst as usize) {
            i.state = InstanceState::Terminated;
            i.terminated_at = Some(now);
        }
        self.release_copy(inst);
    }

    fn wake(&mut self, k: u16) {
        let now = self.now;
        let variants = self
            .variants
            .iter()
            .map(|v| VariantView {
                desired: v.desired,
                pending: v.pending,
                in_service: v.in_service.len() as u32,
                weight: v.weight,
            })
            .collect();
        let view = View::new(now, &self.metrics.rows_10s, &self.metrics.rows_60s, self.publish_delay_us, variants);
        let Some(scaler) = self.scalers.get_mut(k as usize) else { return };
        let commands = scaler.wake(now, &view);
        let next = scaler.next_wake();
        for c in commands {
            self.apply(c);
        }
        if let Some(t) = next {
            self.schedule(t.max(now), Ev::Wake { scaler: k });
        }
    }

    /// Applies a capacity command at the current time.
    pub fn apply(&mut self, c: Command) {
        if c.variant >= self.variants.len() {
            return;
        }
        let v = c.variant;
        let now = self.now;
        let var = self.variant_mut(v);
        let (before, weight_before) = (var.desired, var.weight);
        if let Some(w) = c.weight {
            var.weight = w.max(0.0);
        }
        if let Some(d) = c.desired {
            var.desired = d.min(limits::MAX_INSTANCES_PER_VARIANT);
        }
        let (after, weight_after) = (var.desired, var.weight);
        let name = var.name.clone();
        // What the desired count counts: instances of the variant, or copies of its component.
        let what = match &var.ic {
            Some(ic) => format!("copies of inference component {}", ic.name),
            None => format!("instances of {name}"),
        };
        self.reconcile(v);
        let mut parts = Vec::new();
        if after != before {
            parts.push(format!("desired {what} {before} → {after}"));
        }
        if weight_after != weight_before {
            parts.push(format!("weight of {name} {weight_before} → {weight_after}"));
        }
        let status = if parts.is_empty() { "NotScaled" } else { "Successful" };
        if parts.is_empty() {
            parts.push(format!("{what} stay at {after}"));
        }
        let at = Duration(now);
        let unix = self.start_unix_secs + (now / US_PER_SEC) as i64;
        let wall =
            jiff::Timestamp::from_second(unix).map(|t| t.strftime("%a %H:%M UTC").to_string()).unwrap_or_default();
        self.activities.push(Activity {
            at_secs: now as f64 / US_PER_SEC as f64,
            variant: name,
            desired_before: before,
            desired_after: after,
            weight_before,
            weight_after,
            status: status.into(),
            description: format!("At {at} ({wall}): {} ({}).", parts.join(", "), c.cause),
            cause: c.cause,
            evidence: c.evidence,
        });
        self.sync_gauges(v);
    }

    /// Launches or removes instances until the live count equals the desired count.
    fn reconcile(&mut self, v: usize) {
        loop {
            let var = self.variant_mut(v);
            let live = var.live.len() as u32;
            match live.cmp(&var.desired) {
                Ordering::Equal => return,
                Ordering::Less => {
                    if self.launch(v).is_none() {
                        return;
                    }
                }
                Ordering::Greater => {
                    if !self.remove_one(v) {
                        return;
                    }
                }
            }
        }
    }

    /// Scale-in: cancels the newest instance still starting, else drains the in-service instance
    /// with the fewest outstanding requests (the newest among equals).
    fn remove_one(&mut self, v: usize) -> bool {
        let Some(var) = self.variants.get(v) else { return false };
        let inst = match fleet::scale_in_choice(&var.live, &var.in_service, &self.instances) {
            None => return false,
            Some(ScaleIn::Cancel(inst)) => {
                let var = self.variant_mut(v);
                var.live.retain(|&i| i != inst);
                var.pending -= 1;
                self.terminate(inst);
                return true;
            }
            Some(ScaleIn::Drain(inst)) => inst,
        };
        let var = self.variant_mut(v);
        var.live.retain(|&i| i != inst);
        var.in_service.retain(|&i| i != inst);
        var.draining += 1;
        if let Some(i) = self.instances.get_mut(inst as usize) {
            i.state = InstanceState::Draining;
        }
        self.after_instance_change(inst);
        true
    }

    fn sync_gauges(&mut self, v: usize) {
        let Some(var) = self.variants.get(v) else { return };
        let in_service = var.in_service.len() as u32;
        let g = Gauges {
            desired: var.desired,
            pending: var.pending,
            in_service,
            draining: var.draining,
            billed: match &var.ic {
                Some(ic) => ic.live_hosts,
                None => var.pending + in_service + var.draining,
            },
            busy: var.busy,
            outstanding: var.outstanding,
            backlog: var.backlog.as_ref().map(|q| q.len() as u64),
            backlog_oldest: var.backlog.as_ref().and_then(|q| q.front().copied()),
        };
        self.metrics.set_gauges(v, self.now, g);
    }

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
        for (k, var) in self.variants.iter().enumerate() {
            let rows_cost: f64 = rows_60s.iter().filter(|r| r.variant as usize == k).map(|r| r.cost_usd).sum();
            let hours: f64 = if var.ic.is_some() {
                self.hosts.iter().filter(|h| usize::from(h.variant) == k).map(host_secs).sum::<f64>() / 3600.0
            } else {
                self.instances.iter().filter(|i| i.variant as usize == k).map(instance_secs).sum::<f64>() / 3600.0
            };
            let mut e = var.errors.clone();
            e.total = e.model_error + e.service_unavailable + e.no_capacity;
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
                max_in_service_instances: var.max_in_service,
                instance_hours: hours,
                cost_usd: rows_cost,
            });
        }
        total.total = total.model_error + total.service_unavailable + total.no_capacity;
        // Requests waiting for a retry belong to no variant until their next attempt.
        requests += self.clients.waiting;
        let in_flight = requests - succeeded - total.total;
        let client = self.client.as_ref().map(|c| ClientSummary {
            mode: match c {
                ClientPlan::Retry { .. } => "retry".into(),
                ClientPlan::Queue { .. } => "queue".into(),
            },
            attempts: self.clients.attempts,
            retries: self.clients.retries,
            retried_requests: self.clients.retried_requests,
            gave_up_after_retry: self.clients.gave_up,
            waiting_at_end: self.clients.waiting,
        });
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
            max_in_service_instances: self.max_in_service_total,
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
        let is_ic = |v: u16| self.variants.get(usize::from(v)).is_some_and(|x| x.ic.is_some());
        let instances = self
            .instances
            .iter()
            .filter(|i| !is_ic(i.variant))
            .map(|i| InstanceRecord {
                variant: i.variant,
                launched_secs: to_secs(i.launched_at),
                in_service_secs: i.in_service_at.map(to_secs),
                terminated_secs: i.terminated_at.map(to_secs),
            })
            .chain(self.hosts.iter().map(|h| InstanceRecord {
                variant: h.variant,
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
        ReportParts { summary, variants: variant_summaries, instances, alarm_history, guides }
    }

    /// Requests queued or in service right now, over every instance (for invariant checks).
    pub fn outstanding_now(&self) -> u64 {
        let backlogs: u64 = self.variants.iter().filter_map(|v| v.backlog.as_ref()).map(|q| q.len() as u64).sum();
        self.instances.iter().map(Instance::outstanding).sum::<u64>() + backlogs
    }
}
