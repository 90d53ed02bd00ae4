//! Asynchronous inference: the endpoint's queue of requests (arrival times, oldest first) that
//! waits for an instance with room, and drops requests that waited past the timeout.

use std::collections::VecDeque;

use super::{Ctx, Ev, VariantId};
use crate::limits;
use crate::time::SimTime;

#[derive(Debug, Default)]
pub(crate) struct Backlog {
    queue: VecDeque<SimTime>,
    /// Whether a `BacklogExpire` event is scheduled.
    expire_pending: bool,
}

impl Backlog {
    /// A request joins the queue at `now` (`false`: the queue is at its limit and refuses it).
    pub(crate) fn push(&mut self, v: VariantId, timeout: SimTime, cx: &mut Ctx<'_>) -> bool {
        if self.queue.len() >= limits::MAX_BACKLOG {
            return false;
        }
        self.queue.push_back(cx.now);
        if !self.expire_pending {
            self.expire_pending = true;
            cx.schedule(cx.now + timeout, Ev::BacklogExpire { variant: v });
        }
        true
    }

    /// The oldest request leaves for an instance.
    pub(crate) fn pop(&mut self) -> Option<SimTime> {
        self.queue.pop_front()
    }

    pub(crate) fn is_empty(&self) -> bool {
        self.queue.is_empty()
    }

    pub(crate) fn len(&self) -> u64 {
        self.queue.len() as u64
    }

    pub(crate) fn oldest(&self) -> Option<SimTime> {
        self.queue.front().copied()
    }

    /// The pending expiry event happened.
    pub(crate) fn expiry_due(&mut self) {
        self.expire_pending = false;
    }

    /// Drops the requests that waited `timeout` by `now`; returns how many.
    pub(crate) fn expire(&mut self, now: SimTime, timeout: SimTime) -> u64 {
        let mut dropped = 0;
        while self.queue.front().is_some_and(|&a| a + timeout <= now) {
            self.queue.pop_front();
            dropped += 1;
        }
        dropped
    }

    /// Keeps one expiry event pending for the oldest request.
    pub(crate) fn arm_expiry(&mut self, v: VariantId, timeout: SimTime, cx: &mut Ctx<'_>) {
        if let Some(&oldest) = self.queue.front()
            && !self.expire_pending
        {
            self.expire_pending = true;
            cx.schedule(oldest + timeout, Ev::BacklogExpire { variant: v });
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::engine::queue::EventQueue;
    use crate::engine::server::test_id;

    #[test]
    fn one_expiry_is_pending_for_the_oldest_request() {
        let mut q = EventQueue::new();
        let mut b = Backlog::default();
        let v = test_id(0);
        for now in [0, 5, 9] {
            assert!(b.push(v, 10, &mut Ctx { now, queue: &mut q }));
        }
        assert_eq!(q.pop_until(SimTime::MAX), Some((10, Ev::BacklogExpire { variant: v })));
        assert_eq!(q.pop_until(SimTime::MAX), None);
        b.expiry_due();
        assert_eq!(b.expire(15, 10), 2);
        assert_eq!((b.len(), b.oldest()), (1, Some(9)));
        b.arm_expiry(v, 10, &mut Ctx { now: 15, queue: &mut q });
        b.arm_expiry(v, 10, &mut Ctx { now: 15, queue: &mut q });
        assert_eq!(q.pop_until(SimTime::MAX), Some((19, Ev::BacklogExpire { variant: v })));
        assert_eq!(q.pop_until(SimTime::MAX), None);
    }

    #[test]
    fn a_full_backlog_refuses() {
        let mut q = EventQueue::new();
        let mut b = Backlog { queue: std::iter::repeat_n(0, limits::MAX_BACKLOG).collect(), expire_pending: true };
        assert!(!b.push(test_id(0), 10, &mut Ctx { now: 1, queue: &mut q }));
        assert_eq!(b.len(), limits::MAX_BACKLOG as u64);
    }
}
