//! The fleet: instances (or inference component copies) and the managed instances hosting
//! copies, with the choices that are policy rather than bookkeeping: which instance a scale-in
//! removes, and which managed instance takes a new copy.

use std::collections::VecDeque;

use super::Req;
use crate::time::SimTime;

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
    pub(crate) variant: u16,
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
    pub(crate) host: Option<u32>,
}

/// A managed instance hosting inference component copies (billed; copies are not).
#[derive(Debug)]
pub(crate) struct Host {
    pub(crate) variant: u16,
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

impl Instance {
    pub(crate) fn outstanding(&self) -> u64 {
        u64::from(self.serving) + self.queue.len() as u64
    }
}

/// What a scale-in removes from a variant.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum ScaleIn {
    /// Cancel an instance still starting (the newest).
    Cancel(u32),
    /// Drain the in-service instance with the fewest outstanding requests (the newest among
    /// equals).
    Drain(u32),
}

/// SageMaker's scale-in choice among a variant's `live` instances (launch order) and those
/// `in_service` (the order they entered service).
pub(crate) fn scale_in_choice(live: &[u32], in_service: &[u32], instances: &[Instance]) -> Option<ScaleIn> {
    let get = |i: u32| instances.get(i as usize);
    let starting = live
        .iter()
        .rev()
        .copied()
        .find(|&i| get(i).is_some_and(|x| matches!(x.state, InstanceState::Provisioning | InstanceState::Loading)));
    if let Some(i) = starting {
        return Some(ScaleIn::Cancel(i));
    }
    in_service.iter().rev().copied().min_by_key(|&i| get(i).map_or(u64::MAX, Instance::outstanding)).map(ScaleIn::Drain)
}

/// The running managed instance of variant `v` with room for a copy (fewer than `per_instance`)
/// that is ready first (the oldest among equals).
pub(crate) fn host_with_room(hosts: &[Host], v: usize, per_instance: u32) -> Option<u32> {
    hosts
        .iter()
        .enumerate()
        .filter(|(_, h)| usize::from(h.variant) == v && h.terminated_at.is_none() && h.copies < per_instance)
        .min_by_key(|(i, h)| (h.ready_at, *i))
        .map(|(i, _)| i as u32)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn instance(state: InstanceState, outstanding: usize) -> Instance {
        Instance {
            variant: 0,
            state,
            launched_at: 0,
            in_service_at: None,
            terminated_at: None,
            load_us: 0,
            busy: 0,
            serving: 0,
            queue: std::iter::repeat_n(Req::new(0), outstanding).collect(),
            expire_pending: false,
            batch_wait_pending: false,
            host: None,
        }
    }

    #[test]
    fn scale_in_cancels_the_newest_starting_instance_first() {
        use InstanceState::*;
        let fleet = [instance(InService, 0), instance(Provisioning, 0), instance(Loading, 0), instance(InService, 3)];
        assert_eq!(scale_in_choice(&[0, 1, 2, 3], &[0, 3], &fleet), Some(ScaleIn::Cancel(2)));
    }

    #[test]
    fn scale_in_drains_the_least_busy_newest_among_equals() {
        use InstanceState::*;
        let fleet = [instance(InService, 2), instance(InService, 0), instance(InService, 0), instance(InService, 5)];
        assert_eq!(scale_in_choice(&[0, 1, 2, 3], &[0, 1, 2, 3], &fleet), Some(ScaleIn::Drain(2)));
        assert_eq!(scale_in_choice(&[], &[], &fleet), None);
    }

    fn host(variant: u16, ready_at: SimTime, copies: u32, stopped: bool) -> Host {
        Host { variant, launched_at: 0, ready_at, copies, idle_since: None, terminated_at: stopped.then_some(ready_at) }
    }

    #[test]
    fn a_copy_goes_to_the_instance_ready_first_with_room() {
        let hosts = [
            host(0, 50, 2, false),
            host(1, 10, 0, false),
            host(0, 40, 1, false),
            host(0, 30, 0, true),
            host(0, 40, 0, false),
        ];
        // Host 0 is full, 1 is another variant's, 3 stopped; 2 and 4 tie on readiness: the older.
        assert_eq!(host_with_room(&hosts, 0, 2), Some(2));
        assert_eq!(host_with_room(&hosts[..1], 0, 2), None);
    }
}
