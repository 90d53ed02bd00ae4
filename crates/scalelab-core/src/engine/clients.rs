//! The endpoint's clients as the scenario's `client` section describes them: retries with
//! backoff, or a queue in front of the endpoint (delivery delay, visibility timeout, bounded
//! consumers). Without a client section every request is sent once, at its arrival.

use std::collections::VecDeque;

use super::{Ctx, Ev};
use crate::client::{AfterFailure, ClientPlan, RetryOn};
use crate::report::ClientSummary;
use crate::rng::Stream;
use crate::time::SimTime;

/// What becomes of a request's attempt when it is due.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum Send {
    /// It reaches the endpoint now.
    Now,
    /// It waits for a free consumer of a bounded queue: pump.
    Pump,
    /// It is sent later (a delivery delay).
    Later,
}

#[derive(Debug)]
pub(crate) struct Clients {
    plan: Option<ClientPlan>,
    rng: Stream,
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

impl Clients {
    pub(crate) fn new(plan: Option<ClientPlan>, seed: u64) -> Clients {
        Clients {
            plan,
            rng: Stream::new(seed, "client"),
            attempts: 0,
            retries: 0,
            retried_requests: 0,
            waiting: 0,
            gave_up: 0,
            visible: VecDeque::new(),
            consumers_busy: 0,
            pump_pending: false,
        }
    }

    fn consumers(&self) -> Option<u32> {
        self.plan.as_ref().and_then(ClientPlan::consumers)
    }

    /// Requests waiting for an attempt: they belong to no variant until it is made.
    pub(crate) fn waiting(&self) -> u64 {
        self.waiting
    }

    /// A request arrives from the traffic at `now`.
    pub(crate) fn first_send(&mut self, cx: &mut Ctx<'_>) -> Send {
        let now = cx.now;
        match self.plan.as_ref().map(ClientPlan::first_delay_us) {
            Some(0) if self.consumers().is_some() => {
                self.waiting += 1;
                self.visible.push_back((now, 1));
                Send::Pump
            }
            Some(delay) if delay > 0 => {
                self.waiting += 1;
                cx.schedule(now + delay, Ev::Attempt { first: now, attempt: 1 });
                Send::Later
            }
            _ => Send::Now,
        }
    }

    /// Attempt `attempt` of a request first sent at `first` is due.
    pub(crate) fn attempt_due(&mut self, first: SimTime, attempt: u32) -> Send {
        if self.consumers().is_some() {
            // The message is visible again: it waits for a free consumer.
            self.visible.push_back((first, attempt));
            Send::Pump
        } else {
            self.waiting -= 1;
            Send::Now
        }
    }

    /// A free consumer of a bounded queue takes the oldest visible message: (first sent,
    /// attempt).
    pub(crate) fn take_visible(&mut self) -> Option<(SimTime, u32)> {
        let limit = self.consumers()?;
        if self.consumers_busy >= limit {
            return None;
        }
        let m = self.visible.pop_front()?;
        self.consumers_busy += 1;
        self.waiting -= 1;
        Some(m)
    }

    /// The scheduled `Pump` happened.
    pub(crate) fn pumped(&mut self) {
        self.pump_pending = false;
    }

    /// An attempt reaches the endpoint.
    pub(crate) fn attempted(&mut self) {
        self.attempts += 1;
    }

    /// `n` attempts ended (answered, failed or timed out): a bounded queue's consumers that
    /// made them are free again and take more messages once the current event is done.
    pub(crate) fn attempts_ended(&mut self, n: u64, cx: &mut Ctx<'_>) {
        if n == 0 || self.consumers().is_none() {
            return;
        }
        self.consumers_busy = self.consumers_busy.saturating_sub(n as u32);
        if !self.pump_pending && !self.visible.is_empty() {
            self.pump_pending = true;
            cx.schedule(cx.now, Ev::Pump);
        }
    }

    /// Attempt `attempt` of a request first sent at `first` failed with `why`: the client
    /// retries it later (`true`), or the request ends with this error.
    pub(crate) fn failed(&mut self, why: RetryOn, first: SimTime, attempt: u32, cx: &mut Ctx<'_>) -> bool {
        let next = match &self.plan {
            Some(c) => c.after_failure(why, attempt, first, cx.now, &mut self.rng),
            None => AfterFailure::GiveUp,
        };
        match next {
            AfterFailure::RetryAt(t) => {
                self.waiting += 1;
                self.retries += 1;
                if attempt == 1 {
                    self.retried_requests += 1;
                }
                cx.schedule(t, Ev::Attempt { first, attempt: attempt + 1 });
                true
            }
            AfterFailure::GiveUp => {
                if attempt > 1 {
                    self.gave_up += 1;
                }
                false
            }
        }
    }

    pub(crate) fn summary(&self) -> Option<ClientSummary> {
        self.plan.as_ref().map(|c| ClientSummary {
            mode: match c {
                ClientPlan::Retry { .. } => "retry".into(),
                ClientPlan::Queue { .. } => "queue".into(),
            },
            attempts: self.attempts,
            retries: self.retries,
            retried_requests: self.retried_requests,
            gave_up_after_retry: self.gave_up,
            waiting_at_end: self.waiting,
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::engine::queue::EventQueue;
    use crate::time::US_PER_SEC;

    fn clients(example: &str) -> Clients {
        let plan = crate::plan(&crate::examples::get(example).unwrap(), Some(1)).unwrap();
        Clients::new(plan.client, 1)
    }

    #[test]
    fn without_a_client_every_request_is_sent_once() {
        let mut c = Clients::new(None, 1);
        let mut q = EventQueue::new();
        let mut cx = Ctx { now: 5, queue: &mut q };
        assert_eq!(c.first_send(&mut cx), Send::Now);
        assert!(!c.failed(RetryOn::NoCapacity, 5, 1, &mut cx));
        assert_eq!(c.summary(), None);
        assert_eq!(q.pop_until(SimTime::MAX), None);
    }

    #[test]
    fn a_failed_attempt_is_retried_after_a_backoff_until_the_client_gives_up() {
        let mut c = clients("seed-003-client-retries");
        let mut q = EventQueue::new();
        let mut attempt = 1;
        while c.failed(RetryOn::NoCapacity, 0, attempt, &mut Ctx { now: 0, queue: &mut q }) {
            let (t, ev) = q.pop_until(SimTime::MAX).unwrap();
            assert_eq!(ev, Ev::Attempt { first: 0, attempt: attempt + 1 });
            assert!(t < 3600 * US_PER_SEC);
            assert_eq!(c.attempt_due(0, attempt + 1), Send::Now);
            attempt += 1;
        }
        let s = c.summary().unwrap();
        assert!(attempt > 1);
        assert_eq!(
            (s.retries, s.retried_requests, s.gave_up_after_retry, s.waiting_at_end),
            (attempt as u64 - 1, 1, 1, 0)
        );
    }

    #[test]
    fn bounded_consumers_take_messages_as_attempts_end() {
        let mut c = clients("seed-003-sqs-buffer");
        let Some(limit) = c.consumers() else { return };
        let mut q = EventQueue::new();
        let mut taken = 0;
        for now in 0..u64::from(limit) + 3 {
            let mut cx = Ctx { now, queue: &mut q };
            if c.first_send(&mut cx) == Send::Pump {
                while c.take_visible().is_some() {
                    taken += 1;
                }
            }
        }
        assert_eq!(taken, limit);
        assert_eq!(c.waiting(), 3);
        c.attempts_ended(1, &mut Ctx { now: 10, queue: &mut q });
        assert_eq!(q.pop_until(SimTime::MAX), Some((10, Ev::Pump)));
        c.pumped();
        assert!(c.take_visible().is_some());
        assert!(c.take_visible().is_none());
    }
}
