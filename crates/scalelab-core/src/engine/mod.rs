//! The discrete-event engine: requests arrive, are routed to a variant and an instance, wait,
//! are served (alone or in batches) and end in exactly one outcome; instances launch, load,
//! serve, drain and terminate as capacity commands arrive.
//!
//! Events are ordered by `(time, sequence)`: FIFO among events at the same microsecond.
//! `run_until(t)` processes every event with time ≤ t.

//!
//! The scheduler (`queue`) is apart from the model, and the model is in components that own
//! their state: the `fleet` (instance lifecycle, hosts, scale-in choice), the per-instance
//! `server` (queue, workers, batching, expiry), the asynchronous `backlog`, the `clients`
//! (retries, a queue in front), `routing` and the `outcomes`. Each is handed a `Ctx` (the time
//! and the event queue) and has unit tests of its own; this module wires them together and
//! `report` assembles the report. Instances, hosts and variants are named by typed ids that
//! only their arenas create.

use std::cmp::Ordering;

use la_arena::{Arena, Idx, RawIdx};

mod backlog;
mod clients;
mod fleet;
mod outcomes;
mod queue;
mod report;
mod routing;
mod server;
mod serverless;
mod users;

use backlog::Backlog;
use clients::{Clients, Send};
use fleet::{Fleet, HostId, InstanceId, InstanceState, Pool, ScaleIn, Stage};
use outcomes::{Outcomes, WindowStats};
use queue::EventQueue;
use routing::Router;
use server::{Batches, Model};
use serverless::{Arrival, Serverless};
use users::Users;

use crate::client::RetryOn;
use crate::limits;
use crate::metrics::{Gauges, Recorder, UtilModel};
use crate::plan::{Plan, ScalerSpec};
use crate::report::{Activity, Change, Counted, Errors, Report};
use crate::scaling::{Command, Scaler, VariantView, View};
use crate::time::{SimTime, US_PER_SEC};
use crate::traffic::Arrivals;

/// A variant of the endpoint, named by an id that only the plan's variant list creates.
pub(crate) type VariantId = Idx<Variant>;

/// The index the metrics recorder and the report know a variant by.
fn ix(v: VariantId) -> usize {
    v.into_raw().into_u32() as usize
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Ev {
    Arrival,
    /// One request finished service.
    Done {
        inst: InstanceId,
        req: Req,
        start: SimTime,
    },
    /// A client sends attempt `attempt` (1 = the first) of a request first sent at `first`.
    Attempt {
        first: SimTime,
        attempt: u32,
    },
    /// A batch finished service; its requests are in the batch slot `slot`.
    BatchDone {
        inst: InstanceId,
        slot: u32,
        start: SimTime,
    },
    /// The oldest queued request has waited `maxWait`: dispatch a partial batch.
    BatchWait {
        inst: InstanceId,
    },
    /// The oldest queued request may have reached the invocation timeout.
    Expire {
        inst: InstanceId,
    },
    /// An instance finishes a cold-start stage.
    Stage {
        inst: InstanceId,
    },
    /// A managed instance has had no copies for the scale-in delay.
    HostIdle {
        host: HostId,
    },
    /// The oldest request in an asynchronous variant's queue may have timed out.
    BacklogExpire {
        variant: VariantId,
    },
    Wake {
        scaler: u16,
    },
    /// Free queue consumers take visible messages.
    Pump,
    /// The closed-loop user count changes.
    UserTarget,
    /// A closed-loop user sends its next request.
    UserSend,
    /// A serverless environment finished starting (`epoch`: the start it belongs to).
    EnvReady {
        variant: VariantId,
        env: u32,
        epoch: u32,
    },
    /// A serverless environment finished its request.
    EnvDone {
        variant: VariantId,
        env: u32,
    },
    /// A serverless environment has been idle for the idle timeout since `epoch`.
    EnvReclaim {
        variant: VariantId,
        env: u32,
        epoch: u32,
    },
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

/// What a component is handed to act: the time, and the event queue to schedule on.
struct Ctx<'a> {
    now: SimTime,
    queue: &'a mut EventQueue<Ev>,
}

impl Ctx<'_> {
    fn schedule(&mut self, time: SimTime, ev: Ev) {
        self.queue.schedule(time, ev);
    }
}

/// A `Ctx` borrowing only the simulation's clock and queue, so the components (other fields)
/// can be borrowed beside it.
macro_rules! cx {
    ($sim:expr) => {
        &mut Ctx { now: $sim.now, queue: &mut $sim.queue }
    };
}

/// A variant: what the report names it by, its routing weight, its requests' outcomes, and its
/// components' state.
#[derive(Debug)]
pub(crate) struct Variant {
    name: String,
    instance_type: String,
    price_usd_per_hour: f64,
    capacity_rps: f64,
    weight: f64,
    pool: Pool,
    model: Model,
    /// Asynchronous inference: the endpoint's queue.
    backlog: Option<Backlog>,
    /// Serverless inference: the environments.
    serverless: Option<Serverless>,
    requests: u64,
    succeeded: u64,
    errors: Errors,
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
    queue: EventQueue<Ev>,
    arrivals: Arrivals,
    router: Router,
    variants: Arena<Variant>,
    fleet: Fleet,
    batches: Batches,
    clients: Clients,
    users: Option<Users>,
    scalers: Vec<Box<dyn Scaler>>,
    metrics: Recorder,
    outcomes: Outcomes,
    /// Per-window figures, kept only when asked for (`take_window`).
    window: Option<Box<WindowStats>>,
    activities: Vec<Activity>,
    warnings: Vec<String>,
    events: u64,
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
        let mut variants = Arena::new();
        let ids: Vec<VariantId> = plan
            .variants
            .iter()
            .map(|v| {
                variants.alloc(Variant {
                    name: v.name.clone(),
                    instance_type: v.instance_type.name.to_string(),
                    price_usd_per_hour: v.price_usd_per_hour,
                    capacity_rps: v.profile.capacity_rps(),
                    weight: v.weight,
                    pool: Pool::new(v, seed),
                    model: Model::new(v, seed, v.async_timeout_us.unwrap_or(plan.timeout_us)),
                    backlog: v.async_timeout_us.map(|_| Backlog::default()),
                    serverless: None,
                    requests: 0,
                    succeeded: 0,
                    errors: Errors::default(),
                })
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
            queue: EventQueue::new(),
            arrivals: Arrivals::new(plan.rate.clone(), crate::rng::Stream::new(seed, "arrivals"), horizon_secs),
            router: Router::new(plan.routing, seed),
            variants,
            fleet: Fleet::default(),
            batches: Batches::default(),
            clients: Clients::new(plan.client.clone(), seed),
            users: plan.users.as_ref().map(|u| Users::new(u, seed)),
            scalers,
            metrics: Recorder::new(utils),
            outcomes: Outcomes::new(plan.slo_us),
            window: None,
            activities: Vec::new(),
            warnings: plan.warnings.clone(),
            events: 0,
        };
        let horizons: Vec<(SimTime, bool)> = plan.scalers.iter().filter_map(ScalerSpec::distribution_horizon).collect();
        if let Some(h) = horizons.iter().map(|(h, _)| *h).max() {
            sim.metrics.keep_distributions(h, horizons.iter().all(|(_, per_minute)| *per_minute));
        }
        // The endpoint exists at the start: initial instances are in service from t = 0 (a
        // serverless variant's provisioned environments are warm).
        for (v, vp) in ids.into_iter().zip(&plan.variants) {
            let var = &mut sim.variants[v];
            var.pool.desired = vp.initial_count;
            if let Some(sp) = &vp.serverless {
                var.serverless = Some(Serverless::new(sp, v, &vp.name, seed));
                sim.sync_gauges(v);
                continue;
            }
            if let Some(ic) = &vp.inference_component {
                for _ in 0..ic.initial_instances {
                    sim.fleet.launch_host(v, &mut var.pool, 0, cx!(sim));
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
            sim.queue.schedule(t, Ev::Arrival);
        }
        if let Some(u) = sim.users.as_mut() {
            u.start(&mut Ctx { now: 0, queue: &mut sim.queue });
        }
        for k in 0..sim.scalers.len() {
            if let Some(t) = sim.scalers.get(k).and_then(|s| s.next_wake()) {
                sim.queue.schedule(t, Ev::Wake { scaler: k as u16 });
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

    /// The id of the variant at `index` in the plan, if there is one.
    fn variant_id(&self, index: usize) -> Option<VariantId> {
        (index < self.variants.len()).then(|| Idx::from_raw(RawIdx::from(index as u32)))
    }

    fn handle(&mut self, ev: Ev) {
        match ev {
            Ev::Arrival => {
                if let Some(t) = self.arrivals.next_arrival() {
                    self.queue.schedule(t, Ev::Arrival);
                }
                match self.clients.first_send(cx!(self)) {
                    Send::Now => self.arrive(self.now, 1),
                    Send::Pump => self.pump(),
                    Send::Later => {}
                }
            }
            Ev::Attempt { first, attempt } => match self.clients.attempt_due(first, attempt) {
                Send::Pump => self.pump(),
                Send::Now | Send::Later => self.arrive(first, attempt),
            },
            Ev::Pump => {
                self.clients.pumped();
                self.pump();
            }
            Ev::Done { inst, req, start } => self.done(inst, req, start),
            Ev::BatchDone { inst, slot, start } => self.batch_done(inst, slot, start),
            Ev::BatchWait { inst } => {
                self.fleet.instances[inst].batch_wait_pending = false;
                self.dispatch(inst);
                self.after_instance_change(inst);
            }
            Ev::Expire { inst } => {
                self.fleet.instances[inst].expire_pending = false;
                self.expire(inst);
                self.dispatch(inst);
                self.after_instance_change(inst);
            }
            Ev::Stage { inst } => self.stage(inst),
            Ev::HostIdle { host } => self.host_idle(host),
            Ev::BacklogExpire { variant } => {
                if let Some(b) = self.variants[variant].backlog.as_mut() {
                    b.expiry_due();
                }
                self.expire_backlog(variant);
                self.sync_gauges(variant);
            }
            Ev::Wake { scaler } => self.wake(scaler),
            Ev::UserTarget => {
                let new =
                    self.users.as_mut().map_or(0, |u| u.target_due(&mut Ctx { now: self.now, queue: &mut self.queue }));
                for _ in 0..new {
                    self.arrive(self.now, 1);
                }
            }
            Ev::UserSend => {
                if self.users.as_mut().is_some_and(Users::send_due) {
                    self.arrive(self.now, 1);
                }
            }
            Ev::EnvReady { variant, env, epoch } => {
                let next = self.variants[variant].serverless.as_mut().and_then(|s| s.ready(env, epoch, cx!(self)));
                if let Some(Some((req, wait))) = next {
                    self.serve_serverless(variant, env, req, wait);
                }
                self.sync_gauges(variant);
            }
            Ev::EnvDone { variant, env } => self.serverless_done(variant, env),
            Ev::EnvReclaim { variant, env, epoch } => {
                if self.variants[variant].serverless.as_mut().is_some_and(|s| s.reclaim(env, epoch)) {
                    self.sync_gauges(variant);
                }
            }
        }
    }

    /// Serverless inference: a warm environment takes the request, or one starts for it, or
    /// the request is throttled.
    fn arrive_serverless(&mut self, v: VariantId, first: SimTime, attempt: u32) {
        let req = Req { at: self.now, first };
        let Some(s) = self.variants[v].serverless.as_mut() else { return };
        match s.arrive(req, cx!(self)) {
            Arrival::Serve { env } => {
                self.metrics.invocation(ix(v), 1);
                self.serve_serverless(v, env, req, 0);
            }
            Arrival::ColdStart { setup_us } => {
                self.metrics.invocation(ix(v), 1);
                self.metrics.setup(ix(v), setup_us);
            }
            Arrival::Throttled => {
                self.metrics.throttled(ix(v));
                self.attempt_failed(v, RetryOn::Throttling, first, attempt);
            }
        }
        self.sync_gauges(v);
    }

    /// Environment `env` serves `req`, which waited `wait` for it to start.
    fn serve_serverless(&mut self, v: VariantId, env: u32, req: Req, wait: SimTime) {
        let var = &mut self.variants[v];
        let Some(s) = var.serverless.as_mut() else { return };
        let service = (var.model.one_request_us() as f64 * s.plan.slowdown).round() as SimTime;
        s.begin(env, req, wait, service, cx!(self));
    }

    /// A serverless environment finished: the request's outcome and inference cost; the
    /// environment takes the next waiting request or idles.
    fn serverless_done(&mut self, v: VariantId, env: u32) {
        let Some(s) = self.variants[v].serverless.as_mut() else { return };
        let Some((f, next)) = s.done(env, cx!(self)) else { return };
        let p = &s.plan;
        let rate =
            if f.provisioned { p.provisioned_inference_usd_per_gb_second } else { p.on_demand_usd_per_gb_second };
        // Billed by the millisecond of inference time.
        let ms = (self.now - f.start).div_ceil(1000);
        self.metrics.inference_cost(ix(v), ms as f64 / 1000.0 * p.memory_gb() * rate);
        self.metrics.serverless_invocation(ix(v), f.provisioned);
        self.complete(v, f.req, f.start, f.wait);
        if let Some((req, wait)) = next {
            self.serve_serverless(v, env, req, wait);
        }
        self.sync_gauges(v);
    }

    /// Attempt `attempt` of a request the client first sent at `first` reaches the endpoint.
    fn arrive(&mut self, first: SimTime, attempt: u32) {
        let Some(v) = self.router.pick_variant(self.variants.iter().map(|(id, v)| (id, v.weight))) else {
            // No variant takes traffic: a closed-loop user's request fails at once.
            if let Some(u) = self.users.as_mut() {
                u.ended(1, true, &mut Ctx { now: self.now, queue: &mut self.queue });
            }
            return;
        };
        self.metrics.request(ix(v));
        self.clients.attempted();
        let now = self.now;
        let var = &mut self.variants[v];
        var.requests += 1;
        if var.backlog.is_some() {
            self.arrive_async(v);
            return;
        }
        if var.serverless.is_some() {
            self.arrive_serverless(v, first, attempt);
            return;
        }
        let n = var.pool.in_service.len();
        if n == 0 {
            self.metrics.no_capacity(ix(v));
            self.attempt_failed(v, RetryOn::NoCapacity, first, attempt);
            return;
        }
        let Some(inst) = self.router.pick_instance(&var.pool.in_service, &self.fleet.instances) else { return };
        self.metrics.invocation(ix(v), n as u32);
        let i = &mut self.fleet.instances[inst];
        if !var.model.admit(inst, i, Req { at: now, first }, &mut self.batches, cx!(self)) {
            self.metrics.error_5xx(ix(v));
            self.attempt_failed(v, RetryOn::ServiceUnavailable, first, attempt);
        }
        self.sync_gauges(v);
    }

    /// Free consumers of a bounded queue take visible messages, oldest first.
    fn pump(&mut self) {
        while let Some((first, attempt)) = self.clients.take_visible() {
            self.arrive(first, attempt);
        }
    }

    /// `n` attempts ended (`failed`: refused, timed out or dropped).
    fn attempts_ended(&mut self, n: u64, failed: bool) {
        self.clients.attempts_ended(n, cx!(self));
        if let Some(u) = self.users.as_mut() {
            u.ended(n, failed, &mut Ctx { now: self.now, queue: &mut self.queue });
        }
    }

    /// An attempt failed at the endpoint (CloudWatch has counted it): the client retries it
    /// later, or the request ends with this error.
    fn attempt_failed(&mut self, v: VariantId, why: RetryOn, first: SimTime, attempt: u32) {
        if self.clients.failed(why, first, attempt, cx!(self)) {
            // The request is no longer this variant's: its next attempt is routed afresh.
            self.variants[v].requests -= 1;
        } else {
            let e = &mut self.variants[v].errors;
            match why {
                RetryOn::NoCapacity => e.no_capacity += 1,
                RetryOn::ServiceUnavailable => e.service_unavailable += 1,
                RetryOn::Throttling => e.throttled += 1,
            }
            self.outcomes.error_at(self.now);
        }
        self.attempts_ended(1, true);
    }

    fn dispatch(&mut self, inst: InstanceId) {
        let i = &mut self.fleet.instances[inst];
        self.variants[i.variant].model.dispatch(inst, i, &mut self.batches, cx!(self));
    }

    /// Drops queued requests that reached the invocation timeout; they end as `ModelError`.
    fn expire(&mut self, inst: InstanceId) {
        let i = &mut self.fleet.instances[inst];
        let v = i.variant;
        let dropped = self.variants[v].model.expire(inst, i, cx!(self));
        if dropped > 0 {
            self.attempts_ended(dropped, true);
            self.variants[v].errors.model_error += dropped;
            for _ in 0..dropped {
                self.metrics.model_error(ix(v));
            }
            self.outcomes.error_at(self.now);
        }
    }

    /// Records the outcome of one served request. `cold_wait`: how long a serverless request
    /// waited for its environment to start (OverheadLatency counts it, ModelLatency does not).
    fn complete(&mut self, v: VariantId, req: Req, start: SimTime, cold_wait: SimTime) {
        let now = self.now;
        let model_us = now - req.at - cold_wait;
        if model_us > self.variants[v].model.timeout_us {
            self.attempts_ended(1, true);
            let var = &mut self.variants[v];
            var.errors.model_error += 1;
            self.metrics.model_error(ix(v));
            self.outcomes.error_at(now);
            return;
        }
        let overhead = self.variants[v].model.overhead_us();
        // The client has its answer after SageMaker's overhead.
        self.clients.attempts_ended(1, cx!(self));
        if let Some(u) = self.users.as_mut() {
            u.ended_after(1, false, overhead, &mut Ctx { now: self.now, queue: &mut self.queue });
        }
        let var = &mut self.variants[v];
        var.succeeded += 1;
        self.metrics.success(ix(v), model_us, overhead + cold_wait);
        // The client waited from its first attempt: retries and backoffs included.
        self.outcomes.success(now - req.first + overhead, model_us, start - req.at);
        if let Some(w) = self.window.as_mut() {
            w.success(now - req.first + overhead, model_us);
        }
    }

    fn done(&mut self, inst: InstanceId, req: Req, start: SimTime) {
        let i = &mut self.fleet.instances[inst];
        let v = i.variant;
        self.variants[v].model.single_done(i);
        self.complete(v, req, start, 0);
        self.dispatch(inst);
        self.feed(inst);
        self.after_instance_change(inst);
    }

    fn batch_done(&mut self, inst: InstanceId, slot: u32, start: SimTime) {
        let i = &mut self.fleet.instances[inst];
        let v = i.variant;
        let batch = self.variants[v].model.batch_done(i, &mut self.batches, slot);
        for &req in &batch {
            self.complete(v, req, start, 0);
        }
        self.batches.release(slot, batch);
        self.dispatch(inst);
        self.feed(inst);
        self.after_instance_change(inst);
    }

    /// After work finished on an instance: a draining instance with nothing left terminates.
    fn after_instance_change(&mut self, inst: InstanceId) {
        let v = self.fleet.instances[inst].variant;
        self.fleet.drained(inst, &mut self.variants[v].pool, cx!(self));
        self.sync_gauges(v);
    }

    fn launch(&mut self, v: VariantId) -> Option<InstanceId> {
        let var = &mut self.variants[v];
        self.fleet.launch(v, &mut var.pool, &var.name, cx!(self), &mut self.warnings)
    }

    fn make_in_service(&mut self, inst: InstanceId) {
        let v = self.fleet.instances[inst].variant;
        if self.fleet.make_in_service(inst, &mut self.variants[v].pool, self.now) {
            self.feed(inst);
        }
    }

    fn stage(&mut self, inst: InstanceId) {
        let v = self.fleet.instances[inst].variant;
        match self.fleet.stage(inst, &mut self.variants[v].pool, cx!(self)) {
            Stage::Stale => return,
            Stage::Loading => {}
            Stage::InService => self.feed(inst),
        }
        self.sync_gauges(v);
    }

    fn host_idle(&mut self, host: HostId) {
        let v = self.fleet.hosts[host].variant;
        if self.fleet.host_idle(host, &mut self.variants[v].pool, self.now) {
            self.sync_gauges(v);
        }
    }

    /// Asynchronous inference: a request joins the endpoint's queue; an instance with room
    /// takes it at once.
    fn arrive_async(&mut self, v: VariantId) {
        let var = &mut self.variants[v];
        let timeout = var.model.timeout_us;
        let Some(b) = var.backlog.as_mut() else { return };
        if !b.push(v, timeout, cx!(self)) {
            var.errors.service_unavailable += 1;
            self.metrics.error_5xx(ix(v));
            self.outcomes.error_at(self.now);
            self.attempts_ended(1, true);
            return;
        }
        // `feed` never changes which instances are in service, so indexing is stable.
        let mut k = 0;
        while let Some(&inst) = self.variants[v].pool.in_service.get(k) {
            if self.variants[v].backlog.as_ref().is_none_or(Backlog::is_empty) {
                break;
            }
            self.feed(inst);
            k += 1;
        }
        self.sync_gauges(v);
    }

    /// Moves requests from an asynchronous variant's queue to instance `inst` while it has room
    /// (free workers, or free batch places), then serves them.
    fn feed(&mut self, inst: InstanceId) {
        let i = &self.fleet.instances[inst];
        if i.state != InstanceState::InService {
            return;
        }
        let v = i.variant;
        let var = &self.variants[v];
        if var.backlog.is_none() {
            return;
        }
        let room = var.model.room(i);
        if room == 0 {
            return;
        }
        self.expire_backlog(v);
        let var = &mut self.variants[v];
        let n = var.pool.in_service.len() as u32;
        let i = &mut self.fleet.instances[inst];
        let mut moved = 0;
        while moved < room {
            let Some(arrival) = var.backlog.as_mut().and_then(Backlog::pop) else { break };
            self.metrics.invocation(ix(v), n);
            var.model.enqueue(i, Req::new(arrival));
            moved += 1;
        }
        if moved > 0 {
            var.model.arm_expiry(inst, i, cx!(self));
            var.model.dispatch(inst, i, &mut self.batches, cx!(self));
        }
        self.sync_gauges(v);
    }

    /// Drops requests that waited in an asynchronous queue past the timeout (ModelError), and
    /// keeps one expiry event pending for the new oldest request.
    fn expire_backlog(&mut self, v: VariantId) {
        let now = self.now;
        let var = &mut self.variants[v];
        let timeout = var.model.timeout_us;
        let Some(b) = var.backlog.as_mut() else { return };
        let dropped = b.expire(now, timeout);
        if dropped > 0 {
            var.errors.model_error += dropped;
            for _ in 0..dropped {
                self.metrics.model_error(ix(v));
            }
            self.outcomes.error_at(now);
            self.attempts_ended(dropped, true);
        }
        if let Some(b) = self.variants[v].backlog.as_mut() {
            b.arm_expiry(v, timeout, cx!(self));
        }
    }

    fn wake(&mut self, k: u16) {
        let now = self.now;
        let variants = self
            .variants
            .values()
            .map(|v| VariantView {
                desired: v.pool.desired,
                pending: v.pool.pending,
                in_service: v.pool.in_service.len() as u32,
                weight: v.weight,
            })
            .collect();
        let view = View::new(now, &self.metrics.rows_10s, &self.metrics.rows_60s, self.publish_delay_us, variants)
            .with_distributions(self.metrics.distributions());
        let Some(scaler) = self.scalers.get_mut(k as usize) else { return };
        let commands = scaler.wake(now, &view);
        let next = scaler.next_wake();
        for c in commands {
            self.apply(c);
        }
        if let Some(t) = next {
            self.queue.schedule(t.max(now), Ev::Wake { scaler: k });
        }
    }

    /// Applies a capacity command at the current time.
    pub fn apply(&mut self, c: Command) {
        // Scalers name variants by their index in the plan; an index past the end (a scaler
        // built for another plan) changes nothing.
        let Some(v) = self.variant_id(c.variant) else { return };
        let now = self.now;
        let var = &mut self.variants[v];
        let (before, weight_before) = (var.pool.desired, var.weight);
        if let Some(w) = c.weight {
            var.weight = w.max(0.0);
        }
        if let Some(d) = c.desired {
            var.pool.desired = d.min(limits::MAX_INSTANCES_PER_VARIANT);
        }
        let (after, weight_after) = (var.pool.desired, var.weight);
        // What the desired count counts: instances of the variant, copies of its component, or
        // its provisioned concurrency.
        let counted = match (&var.pool.ic, &var.serverless) {
            (Some(ic), _) => Counted::Copies(ic.name.clone()),
            (None, Some(_)) => Counted::ProvisionedConcurrency(var.name.clone()),
            (None, None) => Counted::Instances(var.name.clone()),
        };
        let name = var.name.clone();
        let after = match var.serverless.as_mut() {
            Some(s) => {
                s.set_provisioned(after, cx!(self));
                // At most MaxConcurrency: the activity says what was provisioned.
                var.pool.desired = s.provisioned;
                s.provisioned
            }
            None => {
                self.reconcile(v);
                after
            }
        };
        self.activities.push(Activity::new(
            Change { at_us: now, start_unix_secs: self.start_unix_secs, variant: name, counted },
            (before, after),
            (weight_before, weight_after),
            c.cause,
        ));
        self.sync_gauges(v);
    }

    /// Launches or removes instances until the live count equals the desired count.
    fn reconcile(&mut self, v: VariantId) {
        loop {
            let pool = &self.variants[v].pool;
            match (pool.live.len() as u32).cmp(&pool.desired) {
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

    /// Scale-in of one instance (`false`: nothing to remove).
    fn remove_one(&mut self, v: VariantId) -> bool {
        match self.fleet.remove_one(&mut self.variants[v].pool, cx!(self)) {
            None => false,
            Some(ScaleIn::Cancel(_)) => true,
            Some(ScaleIn::Drain(inst)) => {
                self.after_instance_change(inst);
                true
            }
        }
    }

    fn sync_gauges(&mut self, v: VariantId) {
        let var = &self.variants[v];
        if let Some(s) = &var.serverless {
            let busy = s.busy();
            let g = Gauges {
                desired: s.provisioned,
                pending: s.starting(),
                in_service: s.warm(),
                billed: s.provisioned_envs(),
                busy,
                outstanding: u64::from(busy) + s.waiting(),
                max_concurrency: Some(s.plan.max_concurrency),
                provisioned: s.provisioned,
                provisioned_busy: s.provisioned_busy(),
                ..Gauges::default()
            };
            self.metrics.set_gauges(ix(v), self.now, g);
            return;
        }
        let p = &var.pool;
        let g = Gauges {
            desired: p.desired,
            pending: p.pending,
            in_service: p.in_service.len() as u32,
            draining: p.draining,
            billed: p.billed(),
            busy: var.model.busy,
            outstanding: var.model.outstanding,
            backlog: var.backlog.as_ref().map(Backlog::len),
            backlog_oldest: var.backlog.as_ref().and_then(Backlog::oldest),
            ..Gauges::default()
        };
        self.metrics.set_gauges(ix(v), self.now, g);
    }

    /// The figures since the last call (or the start): requests sent, ended, and the latency of
    /// those that succeeded. The first call opens the first window (it covers the run so far
    /// in counts only); a load test calls it at each step's boundaries.
    pub fn take_window(&mut self) -> crate::report::Window {
        let requests = self.variants.values().map(|v| v.requests).sum();
        let succeeded = self.variants.values().map(|v| v.succeeded).sum();
        let errors = self
            .variants
            .values()
            .map(|v| v.errors.model_error + v.errors.service_unavailable + v.errors.no_capacity + v.errors.throttled)
            .sum();
        let now = self.now;
        self.window.get_or_insert_with(Box::default).take(now, requests, succeeded, errors)
    }

    /// Requests queued or in service right now, over every instance (for invariant checks).
    pub fn outstanding_now(&self) -> u64 {
        let backlogs: u64 = self.variants.values().filter_map(|v| v.backlog.as_ref()).map(Backlog::len).sum();
        let serverless: u64 = self
            .variants
            .values()
            .filter_map(|v| v.serverless.as_ref())
            .map(|s| u64::from(s.busy()) + s.waiting())
            .sum();
        self.fleet.instances.values().map(fleet::Instance::outstanding).sum::<u64>() + backlogs + serverless
    }
}
