//! Random streams and distributions.
//!
//! One root seed is split into independent named streams (arrivals, routing, service times per
//! variant, …) so that changing one component does not perturb another's draws. The generator is
//! Xoshiro256++ (portable: the same bits on x86_64 and wasm32), and every transcendental function
//! comes from `libm`, never from `std`, so native and wasm runs are bit-identical. Exponential and
//! normal draws use ziggurat tables (built once with `libm`), so most draws need no
//! transcendental function at all.

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

    /// Exponential with mean 1 (ziggurat: one draw and a table lookup in 99 % of calls).
    pub fn exp1(&mut self) -> f64 {
        let z = zig_exp();
        loop {
            let bits = self.next_u64();
            let (i, l) = z.layer(bits);
            let x = (bits >> 11) as f64 * (1.0 / (1u64 << 53) as f64) * l.x;
            if x < l.x_in {
                return x;
            }
            if i == 0 {
                // The tail beyond R is R plus an exponential (memorylessness).
                return EXP_R - libm::log(self.uniform_open0());
            }
            if l.f_in + (l.f - l.f_in) * self.uniform() < libm::exp(-x) {
                return x;
            }
        }
    }

    /// Exponential with mean 1 by inversion (one logarithm per draw); the reference the
    /// ziggurat is tested against.
    pub fn exp1_by_inversion(&mut self) -> f64 {
        -libm::log(self.uniform_open0())
    }

    /// Standard normal (ziggurat, Marsaglia and Tsang 2000: one draw and a table lookup in
    /// 99 % of calls; `libm` only on the rare edges, so native and wasm agree bit for bit).
    pub fn normal(&mut self) -> f64 {
        let z = zig_norm();
        loop {
            let bits = self.next_u64();
            let (i, l) = z.layer(bits);
            // Symmetric in (-1, 1), from the 53 high bits (the low 8 chose the layer).
            let u = ((bits >> 11) as f64 + 0.5) * (2.0 / (1u64 << 53) as f64) - 1.0;
            let x = u * l.x;
            if x.abs() < l.x_in {
                return x;
            }
            if i == 0 {
                // Marsaglia's tail beyond R.
                loop {
                    let t = -libm::log(self.uniform_open0()) / NORM_R;
                    let y = -libm::log(self.uniform_open0());
                    if 2.0 * y >= t * t {
                        return if u < 0.0 { -(NORM_R + t) } else { NORM_R + t };
                    }
                }
            }
            if l.f_in + (l.f - l.f_in) * self.uniform() < libm::exp(-0.5 * x * x) {
                return x;
            }
        }
    }

    /// Standard normal by Box–Muller (one value per call); the reference the ziggurat is
    /// tested against.
    pub fn normal_by_box_muller(&mut self) -> f64 {
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

/// One ziggurat layer: its right edge `x` (for layer 0, the base strip's equivalent width),
/// the edge of the layer inside it `x_in` (the next one up), and the (unnormalised) density
/// at both.
#[derive(Clone, Copy, Debug, Default)]
struct Layer {
    x: f64,
    x_in: f64,
    f: f64,
    f_in: f64,
}

/// 256 layers of equal area.
#[derive(Debug)]
struct Ziggurat([Layer; 256]);

/// The rightmost layer edge and the common area of 256 layers (Marsaglia and Tsang 2000).
const NORM_R: f64 = 3.654_152_885_361_009;
const NORM_V: f64 = 0.004_928_673_233_99;
const EXP_R: f64 = 7.697_117_470_131_05;
const EXP_V: f64 = 0.003_949_659_822_581_557;

impl Ziggurat {
    /// Builds the layers of density `f` (decreasing, `f(0) = 1`) with inverse `f_inv`, all
    /// with `libm` so the tables are the same on every platform.
    fn new(r: f64, v: f64, f: impl Fn(f64) -> f64, f_inv: impl Fn(f64) -> f64) -> Ziggurat {
        // Edges from the base strip inwards: v / f(r), r, then each layer's top edge, then 0.
        let mut edges = vec![v / f(r), r];
        while edges.len() < 256 {
            let last = edges.last().copied().unwrap_or(r);
            edges.push(f_inv(v / last + f(last)));
        }
        edges.push(0.0);
        let mut z = Ziggurat([Layer::default(); 256]);
        for (l, w) in z.0.iter_mut().zip(edges.windows(2)) {
            if let [x, x_in] = *w {
                *l = Layer { x, x_in, f: f(x), f_in: f(x_in) };
            }
        }
        z
    }

    /// The layer the low 8 bits of `bits` choose, and its number.
    fn layer(&self, bits: u64) -> (u8, Layer) {
        let i = (bits & 0xff) as u8;
        (i, self.0.get(usize::from(i)).copied().unwrap_or_default())
    }
}

fn zig_norm() -> &'static Ziggurat {
    static T: std::sync::OnceLock<Ziggurat> = std::sync::OnceLock::new();
    T.get_or_init(|| Ziggurat::new(NORM_R, NORM_V, |x| libm::exp(-0.5 * x * x), |y| libm::sqrt(-2.0 * libm::log(y))))
}

fn zig_exp() -> &'static Ziggurat {
    static T: std::sync::OnceLock<Ziggurat> = std::sync::OnceLock::new();
    T.get_or_init(|| Ziggurat::new(EXP_R, EXP_V, |x| libm::exp(-x), |y| -libm::log(y)))
}

/// `e^x` from a table of 2^(j/256) (built once with `libm`) and a short polynomial: within
/// 2 ulp of `libm::exp` and several times faster, with basic IEEE arithmetic only, so the same
/// bits on every platform. Outside ±700 (and for NaN), `libm::exp` itself.
pub fn exp(x: f64) -> f64 {
    // ln 2 / 256 split so that `k · HI` is exact for |k| < 2^21.
    const HI: f64 = 6.931_471_803_691_238e-1 / 256.0;
    const LO: f64 = 1.908_214_929_270_587_7e-10 / 256.0;
    if !(-700.0..=700.0).contains(&x) {
        return libm::exp(x);
    }
    // Round to the nearest integer by adding and taking away 1.5 · 2^52 (IEEE round to
    // nearest even, the default everywhere; no call).
    const SHIFT: f64 = 6_755_399_441_055_744.0;
    let kf = (x * (256.0 / std::f64::consts::LN_2) + SHIFT) - SHIFT;
    let k = kf as i64;
    let r = (x - kf * HI) - kf * LO;
    // k = 256 e + j with j in 0..256 (the shift floors negative k too).
    let (e, j) = (k >> 8, (k & 0xff) as usize);
    let two_e = f64::from_bits(((1023 + e) as u64) << 52);
    let p = 1.0 + r * (1.0 + r * (0.5 + r * (1.0 / 6.0 + r * (1.0 / 24.0 + r * (1.0 / 120.0)))));
    two_e * exp2_table().get(j).copied().unwrap_or(1.0) * p
}

fn exp2_table() -> &'static [f64; 256] {
    static T: std::sync::OnceLock<[f64; 256]> = std::sync::OnceLock::new();
    T.get_or_init(|| std::array::from_fn(|j| libm::exp2(j as f64 / 256.0)))
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
                    exp(self.mu + self.sigma * rng.normal())
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
    fn ziggurat_layers_are_decreasing_and_finite() {
        for z in [zig_norm(), zig_exp()] {
            let l = &z.0;
            assert!(l.iter().all(|l| [l.x, l.x_in, l.f, l.f_in].iter().all(|v| v.is_finite() && *v >= 0.0)));
            assert!(l.iter().all(|l| l.x > l.x_in && l.f <= l.f_in), "each layer sits inside the one below");
            assert!(l.windows(2).all(|w| w[0].x_in == w[1].x), "layers stack without gaps");
            assert!(l[255].x > 0.0 && l[255].x_in == 0.0 && l[255].f_in == 1.0);
        }
    }

    /// Kolmogorov–Smirnov distance between `n` draws and the distribution function `cdf`.
    fn ks(mut xs: Vec<f64>, cdf: impl Fn(f64) -> f64) -> f64 {
        xs.sort_by(f64::total_cmp);
        let n = xs.len() as f64;
        xs.iter()
            .enumerate()
            .map(|(i, x)| {
                let c = cdf(*x);
                (c - i as f64 / n).abs().max((c - (i + 1) as f64 / n).abs())
            })
            .fold(0.0, f64::max)
    }

    #[test]
    fn ziggurat_draws_follow_their_distributions() {
        // KS at 200 000 draws: the 1 % critical value is 1.63 / sqrt(n) = 0.0036.
        let n = 200_000;
        let crit = 1.63 / libm::sqrt(n as f64);
        let mut rng = Stream::new(11, "zig");
        let normal: Vec<f64> = (0..n).map(|_| rng.normal()).collect();
        let d = ks(normal, |x| 0.5 * (1.0 + libm::erf(x / std::f64::consts::SQRT_2)));
        assert!(d < crit, "normal KS {d} ≥ {crit}");
        let exp: Vec<f64> = (0..n).map(|_| rng.exp1()).collect();
        let d = ks(exp, |x| 1.0 - libm::exp(-x));
        assert!(d < crit, "exponential KS {d} ≥ {crit}");
        // The reference methods pass the same test (so the test can tell a good sampler).
        let bm: Vec<f64> = (0..n).map(|_| rng.normal_by_box_muller()).collect();
        assert!(ks(bm, |x| 0.5 * (1.0 + libm::erf(x / std::f64::consts::SQRT_2))) < crit);
        let inv: Vec<f64> = (0..n).map(|_| rng.exp1_by_inversion()).collect();
        assert!(ks(inv, |x| 1.0 - libm::exp(-x)) < crit);
    }

    #[test]
    fn ziggurat_tails_beyond_the_last_layer_have_their_weight() {
        // P(|Z| > R) = 2.58e-4 and P(E > R') = 4.54e-4: 2 M draws expect 516 and 908
        // (standard deviations 23 and 30); 20 % is over 4 of them. Beyond 4.5 the normal
        // expects 13.6 per 2 M draws: some must come (the tail branch works).
        let n = 2_000_000;
        let mut rng = Stream::new(5, "tails");
        let (mut past_r, mut past_4_5, mut max) = (0u32, 0u32, 0.0f64);
        for _ in 0..n {
            let z = rng.normal();
            past_r += u32::from(z.abs() > NORM_R);
            past_4_5 += u32::from(z.abs() > 4.5);
            max = max.max(z.abs());
        }
        let expect = 2.0 * 0.5 * libm::erfc(NORM_R / std::f64::consts::SQRT_2) * n as f64;
        assert!((f64::from(past_r) / expect - 1.0).abs() < 0.2, "{past_r} past R, expected {expect}");
        assert!(past_4_5 > 0 && max > 4.5, "no draw beyond 4.5 in 2 M ({max})");
        let past = (0..n).filter(|_| rng.exp1() > EXP_R).count() as f64;
        let expect = libm::exp(-EXP_R) * n as f64;
        assert!((past / expect - 1.0).abs() < 0.2, "{past} past R, expected {expect}");
    }

    #[test]
    fn the_table_exp_agrees_with_libm_within_two_ulp() {
        let mut rng = Stream::new(2, "exp");
        let mut worst = 0.0f64;
        // Uniform over ±700, dense over the range the lognormal draws use, and the edges.
        let mut xs: Vec<f64> = (0..200_000).map(|_| rng.uniform() * 1400.0 - 700.0).collect();
        xs.extend((0..200_000).map(|_| rng.uniform() * 60.0 - 30.0));
        xs.extend([0.0, -0.0, 1.0, -1.0, 700.0, -700.0, 1e-300, -1e-300, std::f64::consts::LN_2]);
        for x in xs {
            let (a, b) = (exp(x), libm::exp(x));
            let ulp = (a.to_bits() as i64 - b.to_bits() as i64).abs();
            worst = worst.max(ulp as f64);
            assert!(ulp <= 2, "exp({x}) = {a}, libm {b}: {ulp} ulp apart");
        }
        assert!(worst >= 1.0, "agreement to the bit everywhere would mean the table path never ran");
        // Beyond the table's range, libm's own answers (overflow, underflow, NaN).
        assert_eq!(exp(710.0), f64::INFINITY);
        assert_eq!(exp(-800.0), libm::exp(-800.0));
        assert!(exp(f64::NAN).is_nan());
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
