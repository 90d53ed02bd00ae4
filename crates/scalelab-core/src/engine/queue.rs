//! The engine's scheduler: events in `(time, sequence)` order, FIFO among events at the same
//! microsecond. The queue is the only owner of the sequence counter. Arrivals have a lane of
//! their own beside the heap: at most one is pending at a time and they are half of all events,
//! so keeping them out of the heap halves its traffic without changing the order.

use std::cmp::Ordering;
use std::collections::BinaryHeap;

use crate::time::SimTime;

/// What an event is, apart from its time (the engine's `Ev`; generic so the queue can be
/// tested on its own).
pub(crate) trait Event {
    /// Whether this is the arrival kind, kept in its own lane.
    fn is_arrival(&self) -> bool;
    /// The arrival event (what the lane holds).
    fn arrival() -> Self;
}

#[derive(Debug)]
struct Entry<E> {
    time: SimTime,
    seq: u64,
    ev: E,
}

impl<E> PartialEq for Entry<E> {
    fn eq(&self, o: &Self) -> bool {
        (self.time, self.seq) == (o.time, o.seq)
    }
}
impl<E> Eq for Entry<E> {}
impl<E> PartialOrd for Entry<E> {
    fn partial_cmp(&self, o: &Self) -> Option<Ordering> {
        Some(self.cmp(o))
    }
}
impl<E> Ord for Entry<E> {
    /// Reversed, so the max-heap pops the earliest (time, seq).
    fn cmp(&self, o: &Self) -> Ordering {
        (o.time, o.seq).cmp(&(self.time, self.seq))
    }
}

#[derive(Debug)]
pub(crate) struct EventQueue<E> {
    heap: BinaryHeap<Entry<E>>,
    /// The pending arrival's (time, seq).
    arrival: Option<(SimTime, u64)>,
    seq: u64,
}

impl<E: Event> EventQueue<E> {
    pub(crate) fn new() -> EventQueue<E> {
        EventQueue { heap: BinaryHeap::with_capacity(1024), arrival: None, seq: 0 }
    }

    /// Schedules `ev` at `time`, after every event already scheduled for that time.
    pub(crate) fn schedule(&mut self, time: SimTime, ev: E) {
        self.seq += 1;
        if ev.is_arrival() {
            debug_assert!(self.arrival.is_none(), "one arrival is pending at a time");
            self.arrival = Some((time, self.seq));
        } else {
            self.heap.push(Entry { time, seq: self.seq, ev });
        }
    }

    /// Removes and returns the earliest event if its time is ≤ `limit`.
    pub(crate) fn pop_until(&mut self, limit: SimTime) -> Option<(SimTime, E)> {
        let top = self.heap.peek().map(|e| (e.time, e.seq));
        match (self.arrival, top) {
            (Some(a), h) if h.is_none_or(|h| a < h) => {
                if a.0 > limit {
                    return None;
                }
                self.arrival = None;
                Some((a.0, E::arrival()))
            }
            (_, Some((time, _))) => {
                if time > limit {
                    return None;
                }
                self.heap.pop().map(|e| (time, e.ev))
            }
            (_, None) => None,
        }
    }

    /// Whether no event is scheduled at or before `t`.
    pub(crate) fn nothing_until(&self, t: SimTime) -> bool {
        self.heap.peek().is_none_or(|e| e.time > t) && self.arrival.is_none_or(|(a, _)| a > t)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[derive(Clone, Copy, Debug, PartialEq)]
    enum E {
        Arrival,
        Other(u32),
    }

    impl Event for E {
        fn is_arrival(&self) -> bool {
            matches!(self, E::Arrival)
        }
        fn arrival() -> E {
            E::Arrival
        }
    }

    fn drain(q: &mut EventQueue<E>, limit: SimTime) -> Vec<(SimTime, E)> {
        std::iter::from_fn(|| q.pop_until(limit)).collect()
    }

    #[test]
    fn earliest_first_and_fifo_at_the_same_time() {
        let mut q = EventQueue::new();
        q.schedule(20, E::Other(1));
        q.schedule(10, E::Other(2));
        q.schedule(20, E::Other(3));
        q.schedule(10, E::Other(4));
        assert_eq!(drain(&mut q, 100), [(10, E::Other(2)), (10, E::Other(4)), (20, E::Other(1)), (20, E::Other(3))]);
        assert!(q.nothing_until(u64::MAX));
    }

    #[test]
    fn the_arrival_lane_keeps_the_scheduling_order() {
        let mut q = EventQueue::new();
        q.schedule(10, E::Other(1));
        q.schedule(10, E::Arrival);
        q.schedule(10, E::Other(2));
        assert_eq!(drain(&mut q, 10), [(10, E::Other(1)), (10, E::Arrival), (10, E::Other(2))]);
        // An arrival scheduled before a same-time event runs first.
        q.schedule(30, E::Arrival);
        q.schedule(30, E::Other(3));
        assert_eq!(drain(&mut q, 30), [(30, E::Arrival), (30, E::Other(3))]);
    }

    #[test]
    fn nothing_after_the_limit_is_taken() {
        let mut q = EventQueue::new();
        q.schedule(50, E::Arrival);
        q.schedule(40, E::Other(1));
        assert_eq!(drain(&mut q, 39), []);
        assert!(!q.nothing_until(40));
        assert_eq!(drain(&mut q, 45), [(40, E::Other(1))]);
        assert!(q.nothing_until(49));
        assert!(!q.nothing_until(50));
        assert_eq!(drain(&mut q, 50), [(50, E::Arrival)]);
    }
}
