//! Random streams and distributions.
//!
//! One root seed is split into independent named streams (arrivals, routing, service times per
//! variant, …) so that changing one component does not perturb another's draws. The generator is
//! Xoshiro256++ (portable: the same bits on x86_64 and wasm32), and every transcendental function
//! comes from `libm`, never from `std`, so native and wasm runs are bit-identical.

use rand_core::{Rng, SeedableRng};
use rand_xoshiro::Xoshiro256PlusPlus;
use serde::{Deserialize, Serialize};

use crate::time::Duration;

/// A named, independent random stream.
#[derive(Clone, Debug)]
pub struct Stream(Xoshiro256PlusPlus);

impl Stream {
    /// The stream called `name` under the root `seed`.
    pub fn new(seed: u64, name: &str) -> Stream {
        let mut key = splitmix64(seed ^ 0x5ca1_ab1e_0000_0001);
        for b in name.bytes() {
            key = splitmix64(key ^ u64::from(b));
        }
        Stream(Xoshiro256PlusPlus::seed_from_u64(key))
    }

    pub fn next_u64(&mut self) -> u64 {
        self.0.next_u64()
    }

    /// Uniform in [0, 1), 53 bits.
    pub fn uniform(&mut self) -> f64 {
        (self.next_u64() >> 11) as f64 * (1.0 / (1u64 << 53) as f64)
    }

    /// Uniform in (0, 1]: safe to take the logarithm of.
    pub fn uniform_open0(&mut self) -> f64 {
        1.0 - self.uniform()
    }

    /// Exponential with mean 1.
    pub fn exp1(&mut self) -> f64 {
        -libm::log(self.uniform_open0())
    }

    /// Standard normal (Box–Muller, one value per call).
    pub fn normal(&mut self) -> f64 {
        let u1 = self.uniform_open0();
        let u2 = self.uniform();
        libm::sqrt(-2.0 * libm::log(u1)) * libm::cos(2.0 * std::f64::consts::PI * u2)
    }

    /// Uniform integer in 0..n (n > 0), by Lemire's multiply-shift (bias below 2^-32 for the
    /// small n used here).
    pub fn below(&mut self, n: usize) -> usize {
        ((u128::from(self.next_u64()) * n as u128) >> 64) as usize
    }
}

fn splitmix64(mut z: u64) -> u64 {
    z = z.wrapping_add(0x9e37_79b9_7f4a_7c15);
    z = (z ^ (z >> 30)).wrapping_mul(0xbf58_476d_1ce4_e5b9);
    z = (z ^ (z >> 27)).wrapping_mul(0x94d0_49bb_1331_11eb);
    z ^ (z >> 31)
}

/// The family of a time distribution.
#[derive(Clone, Copy, PartialEq, Eq, Debug, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub enum Family {
    /// Always the mean.
    Deterministic,
    /// Memoryless: coefficient of variation 1.
    Exponential,
    /// Log-normal with the given mean and coefficient of variation.
    Lognormal,
}

/// A distribution of durations, by mean and coefficient of variation.
#[derive(Clone, PartialEq, Debug, Serialize, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct TimeDist {
    pub distribution: Family,
    pub mean: Duration,
    /// Coefficient of variation (standard deviation / mean); lognormal only.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub cv: Option<f64>,
}

impl TimeDist {
    pub fn fixed(mean: Duration) -> TimeDist {
        TimeDist { distribution: Family::Deterministic, mean, cv: None }
    }
    pub fn exponential(mean: Duration) -> TimeDist {
        TimeDist { distribution: Family::Exponential, mean, cv: None }
    }
    pub fn lognormal(mean: Duration, cv: f64) -> TimeDist {
        TimeDist { distribution: Family::Lognormal, mean, cv: Some(cv) }
    }

    pub fn sampler(&self) -> Sampler {
        Sampler::new(self.distribution, self.mean.as_micros() as f64, self.cv.unwrap_or(0.0))
    }
}

/// A prepared distribution over microseconds (parameters derived once, not per draw).
#[derive(Clone, Copy, Debug)]
pub struct Sampler {
    family: Family,
    mean_us: f64,
    /// Lognormal: mu and sigma of the underlying normal.
    mu: f64,
    sigma: f64,
}

impl Sampler {
    pub fn new(family: Family, mean_us: f64, cv: f64) -> Sampler {
        let sigma2 = libm::log(1.0 + cv * cv);
        let mu = libm::log(mean_us.max(1e-9)) - sigma2 / 2.0;
        Sampler { family, mean_us, mu, sigma: libm::sqrt(sigma2) }
    }

    /// The same shape scaled to another mean (used for batch latency `a + b·n`).
    pub fn with_mean(&self, mean_us: f64) -> Sampler {
        let sigma2 = self.sigma * self.sigma;
        Sampler { family: self.family, mean_us, mu: libm::log(mean_us.max(1e-9)) - sigma2 / 2.0, sigma: self.sigma }
    }

    pub fn mean_us(&self) -> f64 {
        self.mean_us
    }

    /// One draw, in whole microseconds (at least 1 unless the mean is 0).
    pub fn sample_us(&self, rng: &mut Stream) -> u64 {
        let x = match self.family {
            Family::Deterministic => self.mean_us,
            Family::Exponential => self.mean_us * rng.exp1(),
            Family::Lognormal => {
                if self.sigma == 0.0 {
                    self.mean_us
                } else {
                    libm::exp(self.mu + self.sigma * rng.normal())
                }
            }
        };
        if self.mean_us <= 0.0 {
            0
        } else {
            // Round to nearest; clamp to [1 µs, 10 days] so one draw can never overflow time.
            (x + 0.5).clamp(1.0, 864e9) as u64
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn mean_and_cv(s: &Sampler, n: usize) -> (f64, f64) {
        let mut rng = Stream::new(7, "test");
        let xs: Vec<f64> = (0..n).map(|_| s.sample_us(&mut rng) as f64).collect();
        let m = xs.iter().sum::<f64>() / n as f64;
        let v = xs.iter().map(|x| (x - m) * (x - m)).sum::<f64>() / (n - 1) as f64;
        (m, libm::sqrt(v) / m)
    }

    #[test]
    fn streams_are_independent_and_repeatable() {
        let a1: Vec<u64> = (0..4).map(|_| Stream::new(1, "arrivals").next_u64()).collect();
        assert!(a1.windows(2).all(|w| w[0] == w[1]), "same name, same seed → same stream");
        let mut a = Stream::new(1, "arrivals");
        let mut b = Stream::new(1, "service");
        assert_ne!(a.next_u64(), b.next_u64());
        assert_ne!(Stream::new(1, "x").next_u64(), Stream::new(2, "x").next_u64());
    }

    #[test]
    fn distributions_have_the_asked_moments() {
        // 200k draws: the standard error of the mean is cv/sqrt(n) ≈ 0.22 % for cv = 1, so 1.5 %
        // is > 6 standard errors; the cv estimate converges more slowly for the lognormal tail.
        let exp = Sampler::new(Family::Exponential, 8_000.0, 0.0);
        let (m, cv) = mean_and_cv(&exp, 200_000);
        assert!((m / 8_000.0 - 1.0).abs() < 0.015, "exp mean {m}");
        assert!((cv - 1.0).abs() < 0.02, "exp cv {cv}");

        let ln = Sampler::new(Family::Lognormal, 8_000.0, 0.5);
        let (m, cv) = mean_and_cv(&ln, 200_000);
        assert!((m / 8_000.0 - 1.0).abs() < 0.01, "lognormal mean {m}");
        assert!((cv - 0.5).abs() < 0.02, "lognormal cv {cv}");

        let det = Sampler::new(Family::Deterministic, 8_000.0, 0.0);
        assert_eq!(mean_and_cv(&det, 10), (8_000.0, 0.0));
    }

    #[test]
    fn below_is_in_range_and_roughly_uniform() {
        let mut rng = Stream::new(3, "t");
        let mut counts = [0u32; 5];
        for _ in 0..50_000 {
            counts[rng.below(5)] += 1;
        }
        // Expected 10 000 each; sd = 89; 500 is > 5 sd.
        assert!(counts.iter().all(|&c| (c as i64 - 10_000).abs() < 500), "{counts:?}");
    }
}
