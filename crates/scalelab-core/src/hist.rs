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
        if other.total == 0 {
            return;
        }
        for (a, b) in self.counts.iter_mut().zip(other.counts.iter()) {
            *a += b;
        }
        self.total += other.total;
        self.sum_us += other.sum_us;
        self.max_us = self.max_us.max(other.max_us);
    }

    /// The mean of the values ranked between quantiles `lo` and `hi` (in [0, 1], `lo < hi`):
    /// CloudWatch's trimmed mean `TM(lo:hi)`. A bucket straddling a bound counts with the
    /// fraction of its values inside. `None` when empty.
    pub(crate) fn trimmed_mean_us(&self, lo: f64, hi: f64) -> Option<f64> {
        if self.total == 0 || lo >= hi {
            return None;
        }
        let n = self.total as f64;
        let (from, to) = (lo.clamp(0.0, 1.0) * n, hi.clamp(0.0, 1.0) * n);
        let (mut seen, mut weight, mut sum) = (0.0, 0.0, 0.0);
        for (i, &c) in self.counts.iter().enumerate() {
            if c == 0 {
                continue;
            }
            let (a, b) = (seen, seen + c as f64);
            seen = b;
            let w = b.min(to) - a.max(from);
            if w > 0.0 {
                weight += w;
                sum += w * midpoint(i).min(self.max_us as f64);
            }
            if seen >= to {
                break;
            }
        }
        (weight > 0.0).then(|| sum / weight)
    }

    /// The non-empty buckets, for keeping many periods' distributions compactly.
    pub(crate) fn sparse(&self) -> Sparse {
        Sparse {
            buckets: self
                .counts
                .iter()
                .enumerate()
                .filter(|(_, c)| **c > 0)
                .map(|(i, c)| (i as u16, u32::try_from(*c).unwrap_or(u32::MAX)))
                .collect(),
            total: self.total,
            sum_us: self.sum_us,
            max_us: self.max_us,
        }
    }

    /// Adds a sparse histogram's values.
    pub(crate) fn add(&mut self, s: &Sparse) {
        for &(i, c) in &s.buckets {
            if let Some(x) = self.counts.get_mut(usize::from(i)) {
                *x += u64::from(c);
            }
        }
        self.total += s.total;
        self.sum_us += s.sum_us;
        self.max_us = self.max_us.max(s.max_us);
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

/// A histogram's non-empty buckets (a period's latencies take tens to hundreds of them, not
/// 2048).
#[derive(Clone, Debug, Default, PartialEq)]
pub(crate) struct Sparse {
    buckets: Vec<(u16, u32)>,
    total: u64,
    sum_us: u128,
    max_us: u64,
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
    fn trimmed_means_and_sparse_copies() {
        let mut h = Histogram::default();
        for v in 1..=100_000u64 {
            h.record(v);
        }
        // TM(10%:90%) of 1..=100000 is 50000.5; tm50 is 25000.5; IQM 50000.5.
        for (lo, hi, want) in [(0.1, 0.9, 50_000.5), (0.0, 0.5, 25_000.5), (0.25, 0.75, 50_000.5), (0.0, 1.0, 50_000.5)]
        {
            let got = h.trimmed_mean_us(lo, hi).unwrap();
            assert!((got / want - 1.0).abs() < 0.008, "TM({lo}:{hi}): {got} vs {want}");
        }
        assert_eq!(Histogram::default().trimmed_mean_us(0.0, 0.9), None);
        let mut copy = Histogram::default();
        copy.add(&h.sparse());
        assert_eq!(copy.quantile_us(0.99), h.quantile_us(0.99));
        assert_eq!(copy.mean_us(), h.mean_us());
        assert!(h.sparse().buckets.len() < BUCKETS);
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
