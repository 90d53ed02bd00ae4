//! Closed-loop users (`traffic.users`): each sends a request, waits for it to end, thinks, and
//! sends the next. The user count follows the compiled schedule; users above it retire when
//! their request ends or their pause is over.

use super::{Ctx, Ev};
use crate::rng::{Sampler, Stream};
use crate::time::SimTime;
use crate::traffic::{USER_MIN_CYCLE_US, UserSchedule};

#[derive(Debug)]
pub(crate) struct Users {
    changes: Vec<(SimTime, u32)>,
    next_change: usize,
    think: Sampler,
    rng: Stream,
    target: u32,
    /// Users alive: waiting for an answer or thinking.
    active: u32,
}

impl Users {
    pub(crate) fn new(schedule: &UserSchedule, seed: u64) -> Users {
        Users {
            changes: schedule.changes.clone(),
            next_change: 0,
            think: schedule.think.sampler(),
            rng: Stream::new(seed, "users"),
            target: 0,
            active: 0,
        }
    }

    /// Schedules the first change of the user count.
    pub(crate) fn start(&mut self, cx: &mut Ctx<'_>) {
        if let Some(&(t, _)) = self.changes.first() {
            cx.schedule(t, Ev::UserTarget);
        }
    }

    /// The user count changes now: returns how many new users send their first request now.
    pub(crate) fn target_due(&mut self, cx: &mut Ctx<'_>) -> u32 {
        let Some(&(_, target)) = self.changes.get(self.next_change) else { return 0 };
        self.next_change += 1;
        if let Some(&(t, _)) = self.changes.get(self.next_change) {
            cx.schedule(t, Ev::UserTarget);
        }
        self.target = target;
        let new = target.saturating_sub(self.active);
        self.active += new;
        new
    }

    /// A user's pause is over: `true` if it sends now, `false` if it retired.
    pub(crate) fn send_due(&mut self) -> bool {
        if self.active > self.target {
            self.active -= 1;
            return false;
        }
        true
    }

    /// `n` requests of users ended (`failed`: refused or timed out). Each user retires or thinks
    /// and sends again; a failed request's user waits at least a round trip.
    pub(crate) fn ended(&mut self, n: u64, failed: bool, cx: &mut Ctx<'_>) {
        self.ended_after(n, failed, 0, cx);
    }

    /// As `ended`, the answer reaching the users `after_us` later (SageMaker's overhead).
    pub(crate) fn ended_after(&mut self, n: u64, failed: bool, after_us: u64, cx: &mut Ctx<'_>) {
        for _ in 0..n {
            if self.active == 0 {
                return;
            }
            if self.active > self.target {
                self.active -= 1;
                continue;
            }
            let mut pause = self.think.sample_us(&mut self.rng);
            if failed {
                pause = pause.max(USER_MIN_CYCLE_US);
            }
            cx.schedule(cx.now.saturating_add(after_us).saturating_add(pause), Ev::UserSend);
        }
    }

    #[cfg(test)]
    pub(crate) fn active(&self) -> u32 {
        self.active
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::engine::queue::EventQueue;
    use crate::traffic::{UserStage, Users as Spec};

    #[test]
    fn users_spawn_at_the_rate_then_retire_when_the_count_falls() {
        let spec = Spec {
            stages: vec![
                UserStage {
                    duration: crate::time::Duration::from_secs(10),
                    users: 4,
                    spawn_rate: Some(1.0),
                    name: None,
                },
                UserStage { duration: crate::time::Duration::from_secs(10), users: 1, spawn_rate: None, name: None },
            ],
            think_time: None,
        };
        let s = spec.schedule();
        assert_eq!(
            s.changes,
            vec![
                (0, 0),
                (1_000_000, 1),
                (2_000_000, 2),
                (3_000_000, 3),
                (4_000_000, 4),
                (10_000_000, 1),
                (20_000_000, 0)
            ]
        );
        let mut u = Users::new(&s, 1);
        let mut q = EventQueue::new();
        u.start(&mut Ctx { now: 0, queue: &mut q });
        let mut sent = 0;
        while let Some((t, ev)) = q.pop_until(9_000_000) {
            assert_eq!(ev, Ev::UserTarget);
            sent += u.target_due(&mut Ctx { now: t, queue: &mut q });
        }
        assert_eq!((sent, u.active()), (4, 4));
        // The count drops to 1: three of the four users retire as their requests end.
        let (t, _) = q.pop_until(SimTime::MAX).unwrap();
        assert_eq!(u.target_due(&mut Ctx { now: t, queue: &mut q }), 0);
        u.ended(4, false, &mut Ctx { now: t, queue: &mut q });
        assert_eq!(u.active(), 1);
        // The remaining user thinks 0 s and sends again; a failed one waits a round trip.
        assert_eq!(q.pop_until(t), Some((t, Ev::UserSend)));
        assert!(u.send_due());
        u.ended(1, true, &mut Ctx { now: t, queue: &mut q });
        assert_eq!(q.pop_until(t + USER_MIN_CYCLE_US), Some((t + USER_MIN_CYCLE_US, Ev::UserSend)));
    }
}
