//! Serverless inference: a variant without instances. Each request runs in an environment of
//! its own (one request at a time). A request takes a warm idle environment (a provisioned one
//! first), or starts a new one and waits for it (a cold start), or, with `MaxConcurrency`
//! environments already running or starting, is throttled. An on-demand environment idle for
//! the idle timeout is reclaimed; provisioned environments stay warm. A request that finds an
//! environment free while others start takes it (first come, first served), and the
//! environment that was started for it goes idle when ready.

use std::collections::VecDeque;

use super::{Ctx, Ev, Req, VariantId};
use crate::plan::ServerlessPlan;
use crate::rng::{Sampler, Stream};
use crate::time::{SimTime, US_PER_SEC};

/// The longest cold start: SageMaker's 3 minutes to load and answer /ping.
const MAX_SETUP_US: SimTime = 180 * US_PER_SEC;

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum State {
    /// The slot holds no environment.
    Free,
    Starting,
    Idle,
    Busy,
}

#[derive(Clone, Copy, Debug)]
struct Env {
    state: State,
    provisioned: bool,
    /// Bumped whenever the environment changes state, so a stale ready or reclaim event does
    /// nothing.
    epoch: u32,
    /// The request in service, when it started, how long it waited for a cold start, and
    /// whether it runs on provisioned concurrency (as billed).
    req: Req,
    start: SimTime,
    wait: SimTime,
    on_provisioned: bool,
}

/// What became of an arriving request.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum Arrival {
    /// A warm environment takes it now.
    Serve { env: u32 },
    /// A new environment starts for it; it waits.
    ColdStart { setup_us: SimTime },
    /// `MaxConcurrency` environments run or start: `ThrottlingException`.
    Throttled,
}

/// A request an environment finished, with what the engine needs to record it.
#[derive(Clone, Copy, Debug)]
pub(crate) struct Finished {
    pub req: Req,
    pub start: SimTime,
    pub wait: SimTime,
    pub provisioned: bool,
}

#[derive(Debug)]
pub(crate) struct Serverless {
    pub(crate) plan: ServerlessPlan,
    variant: VariantId,
    envs: Vec<Env>,
    free: Vec<u32>,
    /// Requests waiting for an environment that is starting, oldest first.
    waiting: VecDeque<Req>,
    /// The provisioned concurrency asked for.
    pub(crate) provisioned: u32,
    cold: Sampler,
    rng: Stream,
}

impl Serverless {
    /// The variant's environments at the start: its provisioned concurrency, warm.
    pub(crate) fn new(plan: &ServerlessPlan, variant: VariantId, name: &str, seed: u64) -> Serverless {
        let env = |_| Env {
            state: State::Idle,
            provisioned: true,
            epoch: 0,
            req: Req::new(0),
            start: 0,
            wait: 0,
            on_provisioned: false,
        };
        Serverless {
            plan: plan.clone(),
            variant,
            envs: (0..plan.provisioned).map(env).collect(),
            free: Vec::new(),
            waiting: VecDeque::new(),
            provisioned: plan.provisioned,
            cold: plan.cold_start.sampler(),
            rng: Stream::new(seed, &format!("serverless/{name}")),
        }
    }

    fn count(&self, f: impl Fn(&Env) -> bool) -> u32 {
        self.envs.iter().filter(|e| e.state != State::Free && f(e)).count() as u32
    }

    /// Environments running or starting: what `MaxConcurrency` bounds.
    pub(crate) fn live(&self) -> u32 {
        self.count(|_| true)
    }
    pub(crate) fn warm(&self) -> u32 {
        self.count(|e| matches!(e.state, State::Idle | State::Busy))
    }
    pub(crate) fn starting(&self) -> u32 {
        self.count(|e| e.state == State::Starting)
    }
    pub(crate) fn busy(&self) -> u32 {
        self.count(|e| e.state == State::Busy)
    }
    pub(crate) fn provisioned_envs(&self) -> u32 {
        self.count(|e| e.provisioned)
    }
    pub(crate) fn provisioned_busy(&self) -> u32 {
        self.count(|e| e.provisioned && e.state == State::Busy)
    }
    pub(crate) fn waiting(&self) -> u64 {
        self.waiting.len() as u64
    }

    /// A request arrives (`req.at` is now).
    pub(crate) fn arrive(&mut self, req: Req, cx: &mut Ctx<'_>) -> Arrival {
        let idle =
            |provisioned: bool| self.envs.iter().position(|e| e.state == State::Idle && e.provisioned == provisioned);
        if let Some(k) = idle(true).or_else(|| idle(false)) {
            return Arrival::Serve { env: k as u32 };
        }
        if self.live() >= self.plan.max_concurrency {
            return Arrival::Throttled;
        }
        // A container that does not load and answer /ping within 3 minutes fails: the longest
        // start.
        let setup_us = self.cold.sample_us(&mut self.rng).min(MAX_SETUP_US);
        let k = self.add(State::Starting, false);
        self.waiting.push_back(req);
        self.schedule_ready(k, cx.now + setup_us, cx);
        Arrival::ColdStart { setup_us }
    }

    fn add(&mut self, state: State, provisioned: bool) -> u32 {
        let env = Env { state, provisioned, epoch: 0, req: Req::new(0), start: 0, wait: 0, on_provisioned: false };
        match self.free.pop() {
            Some(k) => {
                if let Some(e) = self.envs.get_mut(k as usize) {
                    *e = Env { epoch: e.epoch.wrapping_add(1), ..env };
                }
                k
            }
            None => {
                self.envs.push(env);
                (self.envs.len() - 1) as u32
            }
        }
    }

    fn schedule_ready(&mut self, k: u32, at: SimTime, cx: &mut Ctx<'_>) {
        if let Some(e) = self.envs.get(k as usize) {
            cx.schedule(at, Ev::EnvReady { variant: self.variant, env: k, epoch: e.epoch });
        }
    }

    /// Environment `env` serves `req` for `service_us` (it waited `wait` for a cold start).
    pub(crate) fn begin(&mut self, env: u32, req: Req, wait: SimTime, service_us: SimTime, cx: &mut Ctx<'_>) {
        let Some(e) = self.envs.get_mut(env as usize) else { return };
        *e = Env {
            state: State::Busy,
            epoch: e.epoch.wrapping_add(1),
            req,
            start: cx.now,
            wait,
            on_provisioned: e.provisioned,
            ..*e
        };
        cx.schedule(cx.now + service_us, Ev::EnvDone { variant: self.variant, env });
    }

    /// A starting environment is ready: it takes the oldest waiting request (returned, with
    /// how long it waited), or goes idle. `false`: a stale event.
    pub(crate) fn ready(&mut self, env: u32, epoch: u32, cx: &mut Ctx<'_>) -> Option<Option<(Req, SimTime)>> {
        let e = self.envs.get(env as usize)?;
        if e.epoch != epoch || e.state != State::Starting {
            return None;
        }
        Some(self.next(env, cx))
    }

    /// The oldest waiting request for `env`, or `env` goes idle (and, on demand, is reclaimed
    /// after the idle timeout unless a request comes).
    fn next(&mut self, env: u32, cx: &mut Ctx<'_>) -> Option<(Req, SimTime)> {
        if let Some(req) = self.waiting.pop_front() {
            return Some((req, cx.now.saturating_sub(req.at)));
        }
        self.idle(env, cx);
        None
    }

    fn idle(&mut self, env: u32, cx: &mut Ctx<'_>) {
        let timeout = self.plan.idle_timeout_us;
        let variant = self.variant;
        // Provisioned concurrency short of what was asked (no room to start more then) is made
        // up by on-demand environments as they free up.
        let short = self.provisioned_envs() < self.provisioned;
        let Some(e) = self.envs.get_mut(env as usize) else { return };
        if short {
            e.provisioned = true;
        }
        e.state = State::Idle;
        e.epoch = e.epoch.wrapping_add(1);
        if !e.provisioned {
            cx.schedule(cx.now + timeout, Ev::EnvReclaim { variant, env, epoch: e.epoch });
        }
    }

    /// `env` finished its request; returns it, and the next request `env` takes, if any.
    pub(crate) fn done(&mut self, env: u32, cx: &mut Ctx<'_>) -> Option<(Finished, Option<(Req, SimTime)>)> {
        let e = *self.envs.get(env as usize)?;
        if e.state != State::Busy {
            return None;
        }
        let finished = Finished { req: e.req, start: e.start, wait: e.wait, provisioned: e.on_provisioned };
        Some((finished, self.next(env, cx)))
    }

    /// An on-demand environment idle since its last change is reclaimed.
    pub(crate) fn reclaim(&mut self, env: u32, epoch: u32) -> bool {
        let Some(e) = self.envs.get_mut(env as usize) else { return false };
        if e.epoch != epoch || e.state != State::Idle || e.provisioned {
            return false;
        }
        e.state = State::Free;
        self.free.push(env);
        true
    }

    /// Application Auto Scaling (or a scheduled action) sets the provisioned concurrency: warm
    /// on-demand environments become provisioned first, then new ones start; surplus
    /// provisioned environments become on-demand ones (idle ones are reclaimed later).
    pub(crate) fn set_provisioned(&mut self, n: u32, cx: &mut Ctx<'_>) {
        let n = n.min(self.plan.max_concurrency);
        self.provisioned = n;
        let mut have = self.provisioned_envs();
        // Idle on-demand environments first, then busy ones: already warm.
        for state in [State::Idle, State::Busy] {
            for e in self.envs.iter_mut().filter(|e| e.state == state && !e.provisioned) {
                if have >= n {
                    break;
                }
                e.provisioned = true;
                e.epoch = if state == State::Idle { e.epoch.wrapping_add(1) } else { e.epoch };
                have += 1;
            }
        }
        while have < n && self.live() < self.plan.max_concurrency {
            let k = self.add(State::Starting, true);
            let at = cx.now + self.plan.provisioned_start_us;
            self.schedule_ready(k, at, cx);
            have += 1;
        }
        // Surplus: starting ones go first, then idle ones become on-demand (reclaimed after the
        // timeout), then busy ones (reclaimed once idle).
        for state in [State::Starting, State::Idle, State::Busy] {
            for k in 0..self.envs.len() {
                if have <= n {
                    return;
                }
                let Some(e) = self.envs.get_mut(k) else { continue };
                if !e.provisioned || e.state != state {
                    continue;
                }
                e.provisioned = false;
                have -= 1;
                match state {
                    // Nobody waits for it (waiting requests are on-demand starts' own).
                    State::Starting if self.waiting.is_empty() => {
                        e.state = State::Free;
                        e.epoch = e.epoch.wrapping_add(1);
                        self.free.push(k as u32);
                    }
                    State::Idle => self.idle(k as u32, cx),
                    _ => {}
                }
            }
        }
    }
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used, clippy::indexing_slicing)]
    use la_arena::{Idx, RawIdx};

    use super::*;
    use crate::engine::queue::EventQueue;
    use crate::rng::TimeDist;
    use crate::time::{Duration, US_PER_SEC};

    fn plan(max: u32, provisioned: u32) -> ServerlessPlan {
        ServerlessPlan {
            memory_mb: 2048,
            max_concurrency: max,
            provisioned,
            cold_start: TimeDist::fixed(Duration::from_secs(5)),
            idle_timeout_us: 300 * US_PER_SEC,
            provisioned_start_us: 120 * US_PER_SEC,
            slowdown: 1.0,
            on_demand_usd_per_gb_second: 0.00002,
            provisioned_usd_per_gb_second: 0.000005,
            provisioned_inference_usd_per_gb_second: 0.0000117,
        }
    }

    fn sl(max: u32, provisioned: u32) -> Serverless {
        Serverless::new(&plan(max, provisioned), Idx::from_raw(RawIdx::from(0u32)), "v", 1)
    }

    #[test]
    fn warm_first_then_cold_then_throttled() {
        let mut q = EventQueue::new();
        let mut s = sl(2, 1);
        let mut cx = Ctx { now: 0, queue: &mut q };
        assert_eq!(s.arrive(Req::new(0), &mut cx), Arrival::Serve { env: 0 });
        s.begin(0, Req::new(0), 0, 1000, &mut cx);
        assert_eq!(s.arrive(Req::new(0), &mut cx), Arrival::ColdStart { setup_us: 5 * US_PER_SEC });
        assert_eq!(s.arrive(Req::new(0), &mut cx), Arrival::Throttled, "two environments run or start");
        assert_eq!((s.live(), s.warm(), s.starting(), s.busy(), s.waiting()), (2, 1, 1, 1, 1));
        // The provisioned one finishes first and takes the waiting request (it waited 1 ms).
        let mut cx = Ctx { now: 1000, queue: &mut q };
        let (f, next) = s.done(0, &mut cx).unwrap();
        assert!(f.provisioned);
        assert_eq!(next.map(|(_, w)| w), Some(1000));
        s.begin(0, next.unwrap().0, 1000, 1000, &mut cx);
        // The cold one is ready with no one waiting: idle, reclaimed after the timeout.
        let mut cx = Ctx { now: 5 * US_PER_SEC, queue: &mut q };
        assert_eq!(s.ready(1, s.envs[1].epoch, &mut cx), Some(None));
        let epoch = s.envs[1].epoch;
        assert!(!s.reclaim(1, epoch.wrapping_sub(1)), "a stale reclaim does nothing");
        assert!(s.reclaim(1, epoch));
        assert_eq!(s.live(), 1);
    }

    #[test]
    fn provisioned_concurrency_short_of_room_is_made_up_as_environments_free() {
        let mut q = EventQueue::new();
        let mut s = sl(2, 0);
        let mut cx = Ctx { now: 0, queue: &mut q };
        assert!(matches!(s.arrive(Req::new(0), &mut cx), Arrival::ColdStart { .. }));
        assert!(matches!(s.arrive(Req::new(0), &mut cx), Arrival::ColdStart { .. }));
        s.set_provisioned(1, &mut cx);
        assert_eq!(s.provisioned_envs(), 0, "no room to start one");
        let mut cx = Ctx { now: 5 * US_PER_SEC, queue: &mut q };
        let (req, wait) = s.ready(0, s.envs[0].epoch, &mut cx).unwrap().unwrap();
        assert_eq!(wait, 5 * US_PER_SEC);
        s.begin(0, req, wait, 1000, &mut cx);
        let mut cx = Ctx { now: 5 * US_PER_SEC + 1000, queue: &mut q };
        let (f, next) = s.done(0, &mut cx).unwrap();
        assert!(!f.provisioned, "it ran on demand");
        assert!(next.is_some(), "the other waiting request");
        // The second environment comes up with nobody waiting: it becomes the provisioned one.
        let (req, wait) = next.unwrap();
        s.begin(0, req, wait, 1000, &mut cx);
        assert_eq!(s.ready(1, s.envs[1].epoch, &mut cx), Some(None));
        assert_eq!(s.provisioned_envs(), 1);
        assert!(!s.reclaim(1, s.envs[1].epoch), "a provisioned environment is never reclaimed");
    }

    #[test]
    fn provisioned_concurrency_up_and_down() {
        let mut q = EventQueue::new();
        let mut s = sl(4, 1);
        let mut cx = Ctx { now: 0, queue: &mut q };
        s.set_provisioned(3, &mut cx);
        assert_eq!((s.provisioned_envs(), s.starting(), s.warm()), (3, 2, 1));
        s.set_provisioned(1, &mut cx);
        assert_eq!(s.provisioned_envs(), 1);
        assert_eq!(s.live(), 1, "provisioned environments still starting are cancelled");
        s.set_provisioned(9, &mut cx);
        assert_eq!(s.provisioned_envs(), 4, "at most MaxConcurrency");
    }
}
