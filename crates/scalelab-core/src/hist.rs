//! A bounded-memory latency histogram (log-linear buckets, HDR style).
//!
//! Values are microseconds. Below 64 µs every value has its own bucket; above, each power of two
//! is split into 64 buckets, so a bucket is at most 1/64 (1.6 %) of its value wide and the
//! midpoint reported for a percentile is within 0.8 % of any value in it. Values from 2^36 µs
//! (19 hours) upwards share the last bucket. Memory: 2048 counters, whatever the number of samples.

const SUB_BITS: u32 = 6;
const SUB: u64 = 1 << SUB_BITS;
const MAX_SHIFT: u32 = 30;
/// Number of buckets.
pub(crate) const BUCKETS: usize = ((MAX_SHIFT as usize) + 2) * SUB as usize;

#[derive(Clone, Debug)]
pub(crate) struct Histogram {
    counts: Box<[u64; BUCKETS]>,
    total: u64,
    sum_us: u128,
    max_us: u64,
}

impl Default for Histogram {
    fn default() -> Self {
        Histogram { counts: Box::new([0; BUCKETS]), total: 0, sum_us: 0, max_us: 0 }
    }
}

fn index(v: u64) -> usize {
    if v < SUB {
        return v as usize;
    }
    let msb = 63 - v.leading_zeros();
    let shift = msb - SUB_BITS;
    if shift > MAX_SHIFT {
        return BUCKETS - 1;
    }
    (((u64::from(shift) + 1) << SUB_BITS) + ((v >> shift) - SUB)) as usize
}

/// The midpoint of bucket `i`, in microseconds.
fn midpoint(i: usize) -> f64 {
    let i = i as u64;
    if i < SUB {
        return i as f64;
    }
    let shift = (i >> SUB_BITS) - 1;
    let sub = i & (SUB - 1);
    let lower = (SUB + sub) << shift;
    let width = 1u64 << shift;
    lower as f64 + (width as f64 - 1.0) / 2.0
}

impl Histogram {
    pub(crate) fn record(&mut self, us: u64) {
        if let Some(c) = self.counts.get_mut(index(us)) {
            *c += 1;
        }
        self.total += 1;
        self.sum_us += u128::from(us);
        self.max_us = self.max_us.max(us);
    }

    pub(crate) fn count(&self) -> u64 {
        self.total
    }

    pub(crate) fn max_us(&self) -> u64 {
        self.max_us
    }

    /// Exact mean in microseconds (sums are kept exactly), `None` when empty.
    pub(crate) fn mean_us(&self) -> Option<f64> {
        (self.total > 0).then(|| self.sum_us as f64 / self.total as f64)
    }

    /// The value at quantile `q` in [0, 1] (nearest rank), `None` when empty.
    pub(crate) fn quantile_us(&self, q: f64) -> Option<f64> {
        if self.total == 0 {
            return None;
        }
        let rank = ((q.clamp(0.0, 1.0) * self.total as f64).ceil() as u64).max(1);
        if rank >= self.total {
            return Some(self.max_us as f64);
        }
        let mut seen = 0;
        for (i, &c) in self.counts.iter().enumerate() {
            seen += c;
            if seen >= rank {
                // Never report more than the largest value seen.
                return Some(midpoint(i).min(self.max_us as f64));
            }
        }
        Some(self.max_us as f64)
    }

    pub(crate) fn merge(&mut self, other: &Histogram) {
        for (a, b) in self.counts.iter_mut().zip(other.counts.iter()) {
            *a += b;
        }
        self.total += other.total;
        self.sum_us += other.sum_us;
        self.max_us = self.max_us.max(other.max_us);
    }

    pub(crate) fn clear(&mut self) {
        if self.total > 0 {
            self.counts.fill(0);
        }
        self.total = 0;
        self.sum_us = 0;
        self.max_us = 0;
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn buckets_are_monotonic_and_narrow() {
        let mut last = 0;
        for v in (0..1_000_000u64).step_by(7).chain([u64::MAX / 2, u64::MAX]) {
            let i = index(v);
            assert!(i >= last, "index must not decrease at {v}");
            assert!(i < BUCKETS);
            last = i;
            if v < (1 << 36) {
                let m = midpoint(i);
                assert!((m - v as f64).abs() <= (v as f64 / 128.0).max(0.5), "{v} → {m}");
            }
        }
    }

    #[test]
    fn quantiles_of_a_uniform_sample() {
        let mut h = Histogram::default();
        for v in 1..=100_000u64 {
            h.record(v);
        }
        for (q, want) in [(0.5, 50_000.0), (0.9, 90_000.0), (0.99, 99_000.0)] {
            let got = h.quantile_us(q).unwrap();
            assert!((got / want - 1.0).abs() < 0.008, "q{q}: {got} vs {want}");
        }
        assert_eq!(h.mean_us(), Some(50_000.5));
        assert_eq!(h.quantile_us(1.0), Some(100_000.0));
    }

    #[test]
    fn empty_and_merge() {
        let mut a = Histogram::default();
        assert_eq!(a.quantile_us(0.5), None);
        let mut b = Histogram::default();
        b.record(10);
        b.record(30);
        a.merge(&b);
        assert_eq!(a.count(), 2);
        assert_eq!(a.mean_us(), Some(20.0));
        a.clear();
        assert_eq!(a.count(), 0);
    }
}
