//! Serving on one instance: the variant's serving model (workers, queue capacity, service-time
//! and batch distributions, the invocation timeout) applied to an instance's queue. Requests go
//! straight to a free worker or wait in the queue; batches form when they are full or the
//! oldest request has waited `maxWait`; queued requests past the timeout are dropped.

use super::fleet::{Instance, InstanceId, InstanceState};
use super::{Ctx, Ev, Req};
use crate::plan::VariantPlan;
use crate::rng::{Sampler, Stream};
use crate::time::SimTime;

#[derive(Debug)]
struct BatchCfg {
    max: u32,
    max_wait_us: SimTime,
    fixed_us: f64,
    per_item_us: f64,
    shape: Sampler,
}

/// A variant's serving model, and its requests in flight on every instance.
#[derive(Debug)]
pub(crate) struct Model {
    workers: u32,
    queue_capacity: usize,
    service: Option<Sampler>,
    batching: Option<BatchCfg>,
    overhead: Sampler,
    service_rng: Stream,
    overhead_rng: Stream,
    /// The invocation timeout of this variant's requests.
    pub(crate) timeout_us: SimTime,
    /// Busy workers and outstanding requests (queued or in service) over the variant's
    /// instances.
    pub(crate) busy: u32,
    pub(crate) outstanding: u64,
}

/// The requests of the batches in service, by slot (reused, so a run allocates a few vectors
/// rather than one per batch).
#[derive(Debug, Default)]
pub(crate) struct Batches {
    slots: Vec<Vec<Req>>,
    free: Vec<u32>,
}

impl Batches {
    fn take_slot(&mut self) -> u32 {
        match self.free.pop() {
            Some(s) => s,
            None => {
                self.slots.push(Vec::new());
                (self.slots.len() - 1) as u32
            }
        }
    }

    /// The requests of the batch in `slot`; give the vector back with `release`.
    pub(crate) fn take(&mut self, slot: u32) -> Vec<Req> {
        self.slots.get_mut(slot as usize).map(std::mem::take).unwrap_or_default()
    }

    pub(crate) fn release(&mut self, slot: u32, batch: Vec<Req>) {
        if let Some(b) = self.slots.get_mut(slot as usize) {
            *b = batch;
        }
        self.free.push(slot);
    }
}

impl Model {
    pub(crate) fn new(v: &VariantPlan, seed: u64, timeout_us: SimTime) -> Model {
        let p = &v.profile;
        Model {
            workers: p.workers.max(1),
            queue_capacity: p.queue_capacity as usize,
            service: p.service_time.as_ref().map(|s| s.sampler()),
            batching: p.batching.as_ref().map(|b| BatchCfg {
                max: b.max_batch_size.max(1),
                max_wait_us: b.max_wait.as_micros(),
                fixed_us: b.fixed.as_micros() as f64,
                per_item_us: b.per_item.as_micros() as f64,
                shape: Sampler::new(b.distribution, 1.0, b.cv.unwrap_or(0.0)),
            }),
            overhead: p.overhead.sampler(),
            service_rng: Stream::new(seed, &format!("service/{}", v.name)),
            overhead_rng: Stream::new(seed, &format!("overhead/{}", v.name)),
            timeout_us,
            busy: 0,
            outstanding: 0,
        }
    }

    /// The service time of one request alone (a batch of one with a batch profile): what a
    /// serverless environment takes.
    pub(crate) fn one_request_us(&mut self) -> SimTime {
        match (&self.service, &self.batching) {
            (Some(sampler), _) => sampler.sample_us(&mut self.service_rng),
            (None, Some(cfg)) => cfg.shape.with_mean(cfg.fixed_us + cfg.per_item_us).sample_us(&mut self.service_rng),
            (None, None) => 0,
        }
    }

    /// The overhead latency of one answered request.
    pub(crate) fn overhead_us(&mut self) -> SimTime {
        self.overhead.sample_us(&mut self.overhead_rng)
    }

    /// A request reaches instance `id`: it starts at once on a free worker, or waits in the
    /// queue (`false`: the queue is full and the request is refused).
    pub(crate) fn admit(
        &mut self,
        id: InstanceId,
        i: &mut Instance,
        req: Req,
        b: &mut Batches,
        cx: &mut Ctx<'_>,
    ) -> bool {
        if self.batching.is_none() && i.busy < self.workers && i.queue.is_empty() {
            self.outstanding += 1;
            self.start_single(id, i, req, cx);
        } else if i.queue.len() < self.queue_capacity {
            i.queue.push_back(req);
            if !i.expire_pending {
                i.expire_pending = true;
                cx.schedule(cx.now + self.timeout_us, Ev::Expire { inst: id });
            }
            self.outstanding += 1;
            if self.batching.is_some() {
                self.dispatch(id, i, b, cx);
            }
        } else {
            return false;
        }
        true
    }

    /// Room for requests taken from an asynchronous queue: free workers (times the batch
    /// size) less what already waits.
    pub(crate) fn room(&self, i: &Instance) -> usize {
        let per_worker = self.batching.as_ref().map_or(1, |b| b.max as usize);
        (self.workers.saturating_sub(i.busy) as usize * per_worker).saturating_sub(i.queue.len())
    }

    /// Queues a request taken from an asynchronous queue (the caller checked `room`).
    pub(crate) fn enqueue(&mut self, i: &mut Instance, req: Req) {
        self.outstanding += 1;
        i.queue.push_back(req);
    }

    /// Makes sure an expiry is pending for the oldest queued request, at its timeout.
    pub(crate) fn arm_expiry(&mut self, id: InstanceId, i: &mut Instance, cx: &mut Ctx<'_>) {
        if !i.expire_pending
            && let Some(front) = i.queue.front()
        {
            i.expire_pending = true;
            cx.schedule((front.at + self.timeout_us).max(cx.now), Ev::Expire { inst: id });
        }
    }

    /// Starts serving one request on a free worker (no batching); it is already counted as
    /// outstanding.
    fn start_single(&mut self, inst: InstanceId, i: &mut Instance, req: Req, cx: &mut Ctx<'_>) {
        i.busy += 1;
        i.serving += 1;
        self.busy += 1;
        let s = match &self.service {
            Some(sampler) => sampler.sample_us(&mut self.service_rng),
            None => 0,
        };
        cx.schedule(cx.now + s, Ev::Done { inst, req, start: cx.now });
    }

    /// Moves queued requests into service while workers are free: one at a time, or in
    /// batches of up to the maximum size once full or once the oldest has waited `maxWait`.
    pub(crate) fn dispatch(&mut self, inst: InstanceId, i: &mut Instance, b: &mut Batches, cx: &mut Ctx<'_>) {
        if i.state == InstanceState::Terminated {
            return;
        }
        let now = cx.now;
        let Some(cfg) = &self.batching else {
            while i.busy < self.workers {
                let Some(req) = i.queue.pop_front() else { return };
                self.start_single(inst, i, req, cx);
            }
            return;
        };
        let (max, max_wait) = (cfg.max as usize, cfg.max_wait_us);
        while i.busy < self.workers && !i.queue.is_empty() {
            let oldest = i.queue.front().map_or(now, |r| r.at);
            if i.queue.len() < max && now < oldest + max_wait {
                if !i.batch_wait_pending {
                    i.batch_wait_pending = true;
                    cx.schedule(oldest + max_wait, Ev::BatchWait { inst });
                }
                return;
            }
            let n = i.queue.len().min(max);
            let slot = b.take_slot();
            if let Some(batch) = b.slots.get_mut(slot as usize) {
                batch.clear();
                batch.extend(i.queue.drain(..n));
            }
            i.busy += 1;
            i.serving += n as u32;
            self.busy += 1;
            let s = cfg.shape.with_mean(cfg.fixed_us + cfg.per_item_us * n as f64).sample_us(&mut self.service_rng);
            cx.schedule(now + s, Ev::BatchDone { inst, slot, start: now });
        }
    }

    /// Drops queued requests that reached the invocation timeout (they end as `ModelError`),
    /// keeps an expiry pending for the new oldest one, and returns how many were dropped.
    pub(crate) fn expire(&mut self, inst: InstanceId, i: &mut Instance, cx: &mut Ctx<'_>) -> u64 {
        let now = cx.now;
        let timeout = self.timeout_us;
        let mut dropped = 0u64;
        while i.queue.front().is_some_and(|r| r.at + timeout <= now) {
            i.queue.pop_front();
            dropped += 1;
        }
        if let Some(front) = i.queue.front() {
            i.expire_pending = true;
            cx.schedule(front.at + timeout, Ev::Expire { inst });
        }
        self.outstanding -= dropped;
        dropped
    }

    /// One request finished service.
    pub(crate) fn single_done(&mut self, i: &mut Instance) {
        i.busy -= 1;
        i.serving -= 1;
        self.busy -= 1;
        self.outstanding -= 1;
    }

    /// A batch finished service: its requests (give the vector back to `b` when done).
    pub(crate) fn batch_done(&mut self, i: &mut Instance, b: &mut Batches, slot: u32) -> Vec<Req> {
        let batch = b.take(slot);
        let n = batch.len() as u32;
        i.busy -= 1;
        i.serving -= n;
        self.busy -= 1;
        self.outstanding -= u64::from(n);
        batch
    }
}

/// An id for tests of a component on its own.
#[cfg(test)]
pub(crate) fn test_id<T>(k: u32) -> la_arena::Idx<T> {
    la_arena::Idx::from_raw(la_arena::RawIdx::from(k))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::engine::queue::EventQueue;
    use crate::time::US_PER_SEC;

    /// The serving model of an example's first variant, with an instance in service.
    fn setup(example: &str) -> (Model, Instance) {
        let plan = crate::plan(&crate::examples::get(example).unwrap(), Some(1)).unwrap();
        let v = plan.variants.first().unwrap();
        let mut i = Instance::new(test_id(0), 0, 0, None);
        i.state = InstanceState::InService;
        (Model::new(v, 1, 60 * US_PER_SEC), i)
    }

    fn drain(q: &mut EventQueue<Ev>) -> Vec<(SimTime, Ev)> {
        std::iter::from_fn(|| q.pop_until(SimTime::MAX)).collect()
    }

    #[test]
    fn requests_start_on_free_workers_then_queue_then_are_refused() {
        let (mut m, mut i) = setup("seed-001-before");
        let (workers, capacity) = (m.workers as usize, m.queue_capacity);
        let mut q = EventQueue::new();
        let mut b = Batches::default();
        let id = test_id(0);
        let mut cx = Ctx { now: 0, queue: &mut q };
        for _ in 0..workers + capacity {
            assert!(m.admit(id, &mut i, Req::new(0), &mut b, &mut cx));
        }
        assert!(!m.admit(id, &mut i, Req::new(0), &mut b, &mut cx));
        assert_eq!((i.busy as usize, i.queue.len(), m.outstanding as usize), (workers, capacity, workers + capacity));
        let events = drain(&mut q);
        // One completion per worker, and one expiry for the queue.
        assert_eq!(events.iter().filter(|(_, e)| matches!(e, Ev::Done { .. })).count(), workers);
        assert_eq!(events.iter().filter(|(_, e)| matches!(e, Ev::Expire { .. })).count(), 1);
    }

    #[test]
    fn queued_requests_past_the_timeout_are_dropped() {
        let (mut m, mut i) = setup("seed-001-before");
        let mut q = EventQueue::new();
        let id = test_id(0);
        i.busy = m.workers;
        i.queue.extend([Req::new(0), Req::new(10 * US_PER_SEC), Req::new(70 * US_PER_SEC)]);
        m.outstanding = 3;
        let mut cx = Ctx { now: 70 * US_PER_SEC, queue: &mut q };
        assert_eq!(m.expire(id, &mut i, &mut cx), 2);
        assert_eq!((i.queue.len(), m.outstanding), (1, 1));
        // The next expiry is the new oldest request's timeout.
        assert_eq!(drain(&mut q), vec![(130 * US_PER_SEC, Ev::Expire { inst: id })]);
    }

    #[test]
    fn a_partial_batch_waits_for_max_wait_and_a_full_one_goes_at_once() {
        let (mut m, mut i) = setup("llama-8b-business-day");
        let cfg = m.batching.as_ref().map(|c| (c.max as usize, c.max_wait_us)).unwrap();
        let mut q = EventQueue::new();
        let mut b = Batches::default();
        let id = test_id(0);
        let mut cx = Ctx { now: 0, queue: &mut q };
        assert!(m.admit(id, &mut i, Req::new(0), &mut b, &mut cx));
        assert_eq!((i.busy, i.queue.len()), (0, 1));
        for _ in 1..cfg.0 {
            assert!(m.admit(id, &mut i, Req::new(0), &mut b, &mut cx));
        }
        // Full: one batch of the maximum size went into service.
        assert_eq!((i.busy as usize, i.serving as usize, i.queue.len()), (1, cfg.0, 0));
        let events = drain(&mut q);
        assert!(events.contains(&(cfg.1, Ev::BatchWait { inst: id })));
        let done = events.iter().find(|(_, e)| matches!(e, Ev::BatchDone { .. }));
        let Some(&(_, Ev::BatchDone { slot, .. })) = done else { panic!("no batch: {events:?}") };
        assert_eq!(m.batch_done(&mut i, &mut b, slot).len(), cfg.0);
        assert_eq!((i.busy, i.serving, m.outstanding, m.busy), (0, 0, 0, 0));
    }
}
