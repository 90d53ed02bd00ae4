//! The fleet: instances (or inference component copies) and the managed instances hosting
//! copies, their lifecycle (provisioning, loading, in service, draining, terminated), and the
//! choices that are policy rather than bookkeeping: which instance a scale-in removes, and which
//! managed instance takes a new copy.
//!
//! Instances and hosts live in arenas and are named by typed ids that only the arenas create,
//! so an id in an event always refers to something.

use std::collections::VecDeque;

use la_arena::{Arena, Idx};

use super::{Ctx, Ev, Req, VariantId};
use crate::limits;
use crate::plan::{IcPlan, VariantPlan};
use crate::rng::{Sampler, Stream};
use crate::time::SimTime;

pub(crate) type InstanceId = Idx<Instance>;
pub(crate) type HostId = Idx<Host>;

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum InstanceState {
    Provisioning,
    Loading,
    InService,
    Draining,
    Terminated,
}

#[derive(Debug)]
pub(crate) struct Instance {
    pub(crate) variant: VariantId,
    pub(crate) state: InstanceState,
    pub(crate) launched_at: SimTime,
    pub(crate) in_service_at: Option<SimTime>,
    pub(crate) terminated_at: Option<SimTime>,
    /// Image pull plus model load, drawn at launch.
    pub(crate) load_us: SimTime,
    /// Busy workers (a batch occupies one worker).
    pub(crate) busy: u32,
    /// Requests in service (a batch counts its size).
    pub(crate) serving: u32,
    /// Queued requests, oldest first.
    pub(crate) queue: VecDeque<Req>,
    pub(crate) expire_pending: bool,
    pub(crate) batch_wait_pending: bool,
    /// For a copy of an inference component: the managed instance hosting it.
    pub(crate) host: Option<HostId>,
}

impl Instance {
    pub(crate) fn new(variant: VariantId, launched_at: SimTime, load_us: SimTime, host: Option<HostId>) -> Instance {
        Instance {
            variant,
            state: InstanceState::Provisioning,
            launched_at,
            in_service_at: None,
            terminated_at: None,
            load_us,
            busy: 0,
            serving: 0,
            queue: VecDeque::new(),
            expire_pending: false,
            batch_wait_pending: false,
            host,
        }
    }

    pub(crate) fn outstanding(&self) -> u64 {
        u64::from(self.serving) + self.queue.len() as u64
    }
}

/// A managed instance hosting inference component copies (billed; copies are not).
#[derive(Debug)]
pub(crate) struct Host {
    pub(crate) variant: VariantId,
    pub(crate) launched_at: SimTime,
    pub(crate) ready_at: SimTime,
    pub(crate) copies: u32,
    pub(crate) idle_since: Option<SimTime>,
    pub(crate) terminated_at: Option<SimTime>,
}

#[derive(Debug)]
pub(crate) struct IcRuntime {
    pub(crate) copies_per_instance: u32,
    pub(crate) min_instances: u32,
    pub(crate) max_instances: u32,
    pub(crate) scale_in_delay_us: SimTime,
    pub(crate) live_hosts: u32,
    pub(crate) full_warned: bool,
    pub(crate) name: String,
}

impl IcRuntime {
    fn new(ic: &IcPlan) -> IcRuntime {
        IcRuntime {
            copies_per_instance: ic.copies_per_instance.max(1),
            min_instances: ic.min_instances,
            max_instances: ic.max_instances,
            scale_in_delay_us: ic.scale_in_delay_us,
            live_hosts: 0,
            full_warned: false,
            name: ic.name.clone(),
        }
    }
}

/// The cold start of a variant's instances: provisioning, then image pull and model load.
#[derive(Debug)]
struct Startup {
    provisioning: Sampler,
    image_pull: Sampler,
    model_load: Sampler,
    rng: Stream,
}

/// One variant's share of the fleet: the desired count and the instances counting toward it.
#[derive(Debug)]
pub(crate) struct Pool {
    pub(crate) desired: u32,
    /// Instances that count toward capacity: provisioning, loading or in service.
    pub(crate) live: Vec<InstanceId>,
    /// Instances in service, the routing candidates, in the order they entered service.
    pub(crate) in_service: Vec<InstanceId>,
    pub(crate) pending: u32,
    pub(crate) draining: u32,
    pub(crate) max_in_service: u32,
    /// Set when the model is an inference component: `live`, `in_service` etc. count copies.
    pub(crate) ic: Option<IcRuntime>,
    startup: Startup,
}

impl Pool {
    pub(crate) fn new(v: &VariantPlan, seed: u64) -> Pool {
        let c = &v.profile.cold_start;
        Pool {
            desired: 0,
            live: Vec::new(),
            in_service: Vec::new(),
            pending: 0,
            draining: 0,
            max_in_service: 0,
            ic: v.inference_component.as_ref().map(IcRuntime::new),
            startup: Startup {
                provisioning: c.provisioning.sampler(),
                image_pull: c.image_pull.sampler(),
                model_load: c.model_load.sampler(),
                rng: Stream::new(seed, &format!("lifecycle/{}", v.name)),
            },
        }
    }

    /// Instances being billed: plain instances that exist, or the managed instances hosting
    /// copies.
    pub(crate) fn billed(&self) -> u32 {
        match &self.ic {
            Some(ic) => ic.live_hosts,
            None => self.pending + self.in_service.len() as u32 + self.draining,
        }
    }
}

/// What a cold-start stage event did.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum Stage {
    Loading,
    InService,
    Stale,
}

/// What a scale-in removes from a variant.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum ScaleIn {
    /// Cancel an instance still starting (the newest).
    Cancel(InstanceId),
    /// Drain the in-service instance with the fewest outstanding requests (the newest among
    /// equals).
    Drain(InstanceId),
}

/// Every instance and managed instance of the run (never removed: terminated ones stay for the
/// report).
#[derive(Debug, Default)]
pub(crate) struct Fleet {
    pub(crate) instances: Arena<Instance>,
    pub(crate) hosts: Arena<Host>,
    /// Instances in service now, and the most at any time, over all variants.
    in_service_now: u32,
    pub(crate) max_in_service_total: u32,
    launch_limit_warned: bool,
}

impl Fleet {
    /// Launches an instance (or places a copy) for variant `v`; `None` when the launch limit
    /// or the component's MaxInstanceCount is reached (with a warning, once).
    pub(crate) fn launch(
        &mut self,
        v: VariantId,
        pool: &mut Pool,
        name: &str,
        cx: &mut Ctx<'_>,
        warnings: &mut Vec<String>,
    ) -> Option<InstanceId> {
        if self.instances.len() >= limits::MAX_LAUNCHES {
            if !self.launch_limit_warned {
                self.launch_limit_warned = true;
                warnings.push(format!(
                    "the run reached the limit of {} instance launches; later launches were refused",
                    limits::MAX_LAUNCHES
                ));
            }
            return None;
        }
        let now = cx.now;
        let s = &mut pool.startup;
        let prov = s.provisioning.sample_us(&mut s.rng);
        let load = s.image_pull.sample_us(&mut s.rng) + s.model_load.sample_us(&mut s.rng);
        // A copy of an inference component goes on an instance with room, or on a new one
        // (whose provisioning it waits for); a plain instance provisions itself.
        let (host, starts_loading_at) = if pool.ic.is_some() {
            let (h, ready) = self.place_copy(v, pool, name, prov, cx, warnings)?;
            (Some(h), ready.max(now))
        } else {
            (None, now + prov)
        };
        let id = self.instances.alloc(Instance::new(v, now, load, host));
        pool.live.push(id);
        pool.pending += 1;
        // Initial instances are made in service at once by the caller; this event is then stale.
        cx.schedule(starts_loading_at, Ev::Stage { inst: id });
        Some(id)
    }

    /// Starts a managed instance for variant `v`, ready after `prov`.
    pub(crate) fn launch_host(&mut self, v: VariantId, pool: &mut Pool, prov: SimTime, cx: &mut Ctx<'_>) -> HostId {
        let now = cx.now;
        let id = self.hosts.alloc(Host {
            variant: v,
            launched_at: now,
            ready_at: now + prov,
            copies: 0,
            idle_since: Some(now),
            terminated_at: None,
        });
        if let Some(ic) = pool.ic.as_mut() {
            ic.live_hosts += 1;
            cx.schedule(now + ic.scale_in_delay_us, Ev::HostIdle { host: id });
        }
        id
    }

    /// Finds room for one more copy of variant `v`: the running instance with room that is
    /// ready first, else a new instance. `None` when MaxInstanceCount is reached.
    fn place_copy(
        &mut self,
        v: VariantId,
        pool: &mut Pool,
        name: &str,
        prov: SimTime,
        cx: &mut Ctx<'_>,
        warnings: &mut Vec<String>,
    ) -> Option<(HostId, SimTime)> {
        let ic = pool.ic.as_mut()?;
        let (cpi, max) = (ic.copies_per_instance, ic.max_instances);
        let host = match host_with_room(&self.hosts, v, cpi) {
            Some(h) => h,
            None if ic.live_hosts < max => self.launch_host(v, pool, prov, cx),
            None => {
                if !ic.full_warned {
                    ic.full_warned = true;
                    warnings.push(format!(
                        "{name}: MaxInstanceCount {max} holds {} copies; more were asked for and not placed",
                        max * cpi
                    ));
                }
                return None;
            }
        };
        let h = &mut self.hosts[host];
        h.copies += 1;
        h.idle_since = None;
        Some((host, h.ready_at))
    }

    /// A cold-start stage ended: provisioning → loading, or loading → in service. Stale stages
    /// (cancelled instances, or initial instances made in service at once) change nothing.
    pub(crate) fn stage(&mut self, inst: InstanceId, pool: &mut Pool, cx: &mut Ctx<'_>) -> Stage {
        let i = &mut self.instances[inst];
        match i.state {
            InstanceState::Provisioning => {
                i.state = InstanceState::Loading;
                cx.schedule(cx.now + i.load_us, Ev::Stage { inst });
                Stage::Loading
            }
            InstanceState::Loading => {
                self.make_in_service(inst, pool, cx.now);
                Stage::InService
            }
            _ => Stage::Stale,
        }
    }

    /// A starting instance enters service (`false` if it was not starting).
    pub(crate) fn make_in_service(&mut self, inst: InstanceId, pool: &mut Pool, now: SimTime) -> bool {
        let i = &mut self.instances[inst];
        if !matches!(i.state, InstanceState::Provisioning | InstanceState::Loading) {
            return false;
        }
        i.state = InstanceState::InService;
        i.in_service_at = Some(now);
        pool.pending -= 1;
        pool.in_service.push(inst);
        pool.max_in_service = pool.max_in_service.max(pool.in_service.len() as u32);
        self.in_service_now += 1;
        self.max_in_service_total = self.max_in_service_total.max(self.in_service_now);
        true
    }

    /// Scale-in of one: cancels the newest instance still starting, else starts draining the
    /// in-service instance with the fewest outstanding requests (the newest among equals).
    /// `None` when the variant has nothing to remove.
    pub(crate) fn remove_one(&mut self, pool: &mut Pool, cx: &mut Ctx<'_>) -> Option<ScaleIn> {
        let choice = scale_in_choice(&pool.live, &pool.in_service, &self.instances)?;
        match choice {
            ScaleIn::Cancel(inst) => {
                pool.live.retain(|&i| i != inst);
                pool.pending -= 1;
                self.terminate(inst, pool, cx);
            }
            ScaleIn::Drain(inst) => {
                pool.live.retain(|&i| i != inst);
                pool.in_service.retain(|&i| i != inst);
                self.in_service_now -= 1;
                pool.draining += 1;
                self.instances[inst].state = InstanceState::Draining;
            }
        }
        Some(choice)
    }

    /// After work finished on an instance: a draining instance with nothing left terminates
    /// (`true`).
    pub(crate) fn drained(&mut self, inst: InstanceId, pool: &mut Pool, cx: &mut Ctx<'_>) -> bool {
        let i = &self.instances[inst];
        if i.state == InstanceState::Draining && i.outstanding() == 0 {
            self.terminate(inst, pool, cx);
            pool.draining -= 1;
            return true;
        }
        false
    }

    fn terminate(&mut self, inst: InstanceId, pool: &Pool, cx: &mut Ctx<'_>) {
        let i = &mut self.instances[inst];
        i.state = InstanceState::Terminated;
        i.terminated_at = Some(cx.now);
        // A copy stopped: its instance has room again, and starts its scale-in delay when empty.
        let Some(host) = i.host else { return };
        let h = &mut self.hosts[host];
        h.copies = h.copies.saturating_sub(1);
        if h.copies == 0 {
            h.idle_since = Some(cx.now);
            if let Some(ic) = &pool.ic {
                cx.schedule(cx.now + ic.scale_in_delay_us, Ev::HostIdle { host });
            }
        }
    }

    /// A managed instance that stayed without copies for the whole delay stops, unless the
    /// variant is at MinInstanceCount (`true`: it stopped).
    pub(crate) fn host_idle(&mut self, host: HostId, pool: &mut Pool, now: SimTime) -> bool {
        let h = &mut self.hosts[host];
        let Some(ic) = pool.ic.as_mut() else { return false };
        let expired =
            h.terminated_at.is_none() && h.copies == 0 && h.idle_since.is_some_and(|t| t + ic.scale_in_delay_us <= now);
        if !expired || ic.live_hosts <= ic.min_instances {
            return false;
        }
        h.terminated_at = Some(now);
        ic.live_hosts -= 1;
        true
    }
}

/// SageMaker's scale-in choice among a variant's `live` instances (launch order) and those
/// `in_service` (the order they entered service).
pub(crate) fn scale_in_choice(
    live: &[InstanceId],
    in_service: &[InstanceId],
    instances: &Arena<Instance>,
) -> Option<ScaleIn> {
    let starting = live
        .iter()
        .rev()
        .copied()
        .find(|&i| matches!(instances[i].state, InstanceState::Provisioning | InstanceState::Loading));
    if let Some(i) = starting {
        return Some(ScaleIn::Cancel(i));
    }
    in_service.iter().rev().copied().min_by_key(|&i| instances[i].outstanding()).map(ScaleIn::Drain)
}

/// The running managed instance of variant `v` with room for a copy (fewer than `per_instance`)
/// that is ready first (the oldest among equals).
pub(crate) fn host_with_room(hosts: &Arena<Host>, v: VariantId, per_instance: u32) -> Option<HostId> {
    hosts
        .iter()
        .filter(|(_, h)| h.variant == v && h.terminated_at.is_none() && h.copies < per_instance)
        .min_by_key(|(i, h)| (h.ready_at, *i))
        .map(|(i, _)| i)
}

#[cfg(test)]
mod tests {
    use la_arena::RawIdx;

    use super::*;
    use crate::engine::queue::EventQueue;

    fn variant(k: u32) -> VariantId {
        VariantId::from_raw(RawIdx::from(k))
    }

    fn instance(state: InstanceState, outstanding: usize) -> Instance {
        let mut i = Instance::new(variant(0), 0, 0, None);
        i.state = state;
        i.queue = std::iter::repeat_n(Req::new(0), outstanding).collect();
        i
    }

    fn arena(list: Vec<Instance>) -> (Arena<Instance>, Vec<InstanceId>) {
        let mut a = Arena::new();
        let ids = list.into_iter().map(|i| a.alloc(i)).collect();
        (a, ids)
    }

    #[test]
    fn scale_in_cancels_the_newest_starting_instance_first() {
        use InstanceState::*;
        let (fleet, id) = arena(vec![
            instance(InService, 0),
            instance(Provisioning, 0),
            instance(Loading, 0),
            instance(InService, 3),
        ]);
        assert_eq!(scale_in_choice(&id, &[id[0], id[3]], &fleet), Some(ScaleIn::Cancel(id[2])));
    }

    #[test]
    fn scale_in_drains_the_least_busy_newest_among_equals() {
        use InstanceState::*;
        let (fleet, id) =
            arena(vec![instance(InService, 2), instance(InService, 0), instance(InService, 0), instance(InService, 5)]);
        assert_eq!(scale_in_choice(&id, &id, &fleet), Some(ScaleIn::Drain(id[2])));
        assert_eq!(scale_in_choice(&[], &[], &fleet), None);
    }

    fn host(variant_k: u32, ready_at: SimTime, copies: u32, stopped: bool) -> Host {
        Host {
            variant: variant(variant_k),
            launched_at: 0,
            ready_at,
            copies,
            idle_since: None,
            terminated_at: stopped.then_some(ready_at),
        }
    }

    #[test]
    fn a_copy_goes_to_the_instance_ready_first_with_room() {
        let mut hosts = Arena::new();
        let ids: Vec<HostId> = [
            host(0, 50, 2, false),
            host(1, 10, 0, false),
            host(0, 40, 1, false),
            host(0, 30, 0, true),
            host(0, 40, 0, false),
        ]
        .into_iter()
        .map(|h| hosts.alloc(h))
        .collect();
        // Host 0 is full, 1 is another variant's, 3 stopped; 2 and 4 tie on readiness: the older.
        assert_eq!(host_with_room(&hosts, variant(0), 2), Some(ids[2]));
        let mut one = Arena::new();
        one.alloc(host(0, 50, 2, false));
        assert_eq!(host_with_room(&one, variant(0), 2), None);
    }

    fn pool() -> Pool {
        let plan = crate::plan(&crate::examples::get("seed-001-before").unwrap(), Some(1)).unwrap();
        Pool::new(plan.variants.first().unwrap(), 1)
    }

    #[test]
    fn an_instance_provisions_loads_and_serves_then_drains_and_terminates() {
        let mut fleet = Fleet::default();
        let mut queue = EventQueue::new();
        let mut warnings = Vec::new();
        let mut p = pool();
        let v = variant(0);
        let mut cx = Ctx { now: 0, queue: &mut queue };
        let id = fleet.launch(v, &mut p, "v", &mut cx, &mut warnings).unwrap();
        assert_eq!((p.live.len(), p.pending, p.billed()), (1, 1, 1));
        // Provisioning ends: loading starts (not yet serving).
        let (t1, ev) = queue.pop_until(SimTime::MAX).unwrap();
        assert_eq!(ev, Ev::Stage { inst: id });
        let mut cx = Ctx { now: t1, queue: &mut queue };
        assert_eq!(fleet.stage(id, &mut p, &mut cx), Stage::Loading);
        assert_eq!(fleet.instances[id].state, InstanceState::Loading);
        // Loading ends: in service.
        let (t2, _) = queue.pop_until(SimTime::MAX).unwrap();
        assert!(t2 >= t1);
        let mut cx = Ctx { now: t2, queue: &mut queue };
        assert_eq!(fleet.stage(id, &mut p, &mut cx), Stage::InService);
        assert_eq!((p.pending, p.in_service.len(), fleet.max_in_service_total), (0, 1, 1));
        // Scale-in drains it; with nothing outstanding it terminates at once.
        assert_eq!(fleet.remove_one(&mut p, &mut cx), Some(ScaleIn::Drain(id)));
        assert_eq!((p.live.len(), p.draining, p.billed()), (0, 1, 1));
        assert!(fleet.drained(id, &mut p, &mut cx));
        assert_eq!((p.draining, p.billed()), (0, 0));
        assert_eq!(fleet.instances[id].terminated_at, Some(t2));
        assert!(warnings.is_empty());
        assert_eq!(fleet.remove_one(&mut p, &mut cx), None);
    }

    #[test]
    fn a_stale_stage_changes_nothing() {
        let mut fleet = Fleet::default();
        let mut queue = EventQueue::new();
        let mut p = pool();
        let mut cx = Ctx { now: 0, queue: &mut queue };
        let id = fleet.launch(variant(0), &mut p, "v", &mut cx, &mut Vec::new()).unwrap();
        assert!(fleet.make_in_service(id, &mut p, 0));
        assert_eq!(fleet.stage(id, &mut p, &mut cx), Stage::Stale);
        assert!(!fleet.make_in_service(id, &mut p, 0));
        assert_eq!(p.in_service, vec![id]);
    }
}
