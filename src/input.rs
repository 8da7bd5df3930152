//! Spike sources: given lists, exact Poisson trains (homogeneous, or sinusoidally modulated
//! by thinning), periodic and phase-locked (ear) trains.
//!
//! Each source draws from its own random stream derived from the scenario seed, the input's
//! name and the source index ([`stream`]), so adding or removing one input never changes
//! another input's spikes. Poisson trains are drawn lazily (memory stays bounded however long
//! the run); the others are generated up front and sorted.

use rand::{Rng, SeedableRng};
use rand_distr::{Distribution, Exp1, StandardNormal};
use rand_pcg::Pcg64;
use std::f64::consts::PI;
use std::sync::Arc;

/// A deterministic random stream for `(seed, label, index)`: FNV-1a of the label mixed with
/// the seed and index by SplitMix64. Portable and stable across platforms and releases.
pub fn stream(seed: u64, label: &str, index: u64) -> Pcg64 {
    let mut h: u64 = 0xcbf2_9ce4_8422_2325;
    for b in label.bytes() {
        h ^= b as u64;
        h = h.wrapping_mul(0x0000_0100_0000_01b3);
    }
    let mix = |mut z: u64| {
        z = z.wrapping_add(0x9e37_79b9_7f4a_7c15);
        z = (z ^ (z >> 30)).wrapping_mul(0xbf58_476d_1ce4_e5b9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94d0_49bb_1331_11eb);
        z ^ (z >> 31)
    };
    Pcg64::seed_from_u64(mix(mix(mix(seed) ^ h) ^ index))
}

/// A Poisson rate \[Hz\]: constant, or `max(0, mean + amplitude·sin(2π f t/1000 + phase))`.
/// (The modulation is shared by an input's sources, so that each source's train stays one
/// cache line.)
#[derive(Clone, Debug, PartialEq)]
pub enum Rate {
    /// Constant rate \[Hz\].
    Constant(f64),
    /// Sinusoidally modulated rate.
    Sinusoidal(Arc<Sinusoid>),
    /// Piecewise-constant rate: `rates[k]` \[Hz\] from `times[k]` \[ms\] on, 0 before the
    /// first time (times strictly increasing).
    Steps(Arc<(Vec<f64>, Vec<f64>)>),
    /// Not Poisson: a renewal process whose intervals \[ms\] follow this gamma
    /// distribution (a `gamma` input).
    Gamma(Arc<rand_distr::Gamma<f64>>),
}

/// The parameters of a sinusoidally modulated rate.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct Sinusoid {
    /// Mean rate \[Hz\].
    pub mean: f64,
    /// Amplitude \[Hz\].
    pub amplitude: f64,
    /// Modulation frequency \[Hz\].
    pub frequency: f64,
    /// Phase \[rad\].
    pub phase: f64,
}

/// An extra delay of a phase-locked train \[ms\]: constant, or
/// `offset + amplitude·sin(2π t / period + phase)` (a moving source).
#[derive(Clone, Debug, PartialEq)]
pub enum Itd {
    /// Constant delay \[ms\].
    Constant(f64),
    /// A sinusoidally moving delay.
    Moving {
        /// Mean delay \[ms\].
        offset: f64,
        /// Amplitude \[ms\].
        amplitude: f64,
        /// Period of the movement \[ms\].
        period: f64,
        /// Phase \[rad\].
        phase: f64,
    },
}

impl Itd {
    /// Largest magnitude the delay reaches \[ms\].
    pub fn reach(&self) -> f64 {
        match self {
            Itd::Constant(d) => d.abs(),
            Itd::Moving {
                offset, amplitude, ..
            } => offset.abs() + amplitude.abs(),
        }
    }
}

/// The spike train of one source, in one aligned cache line (with many sources a source
/// spike reads it cold; test `a_source_train_is_one_line`).
#[derive(Clone, Debug)]
#[repr(align(64))]
pub struct SourceTrain(Train);

/// A train's kinds. (An alignment on the enum itself would cost its discriminant's niche
/// and double its size.)
#[derive(Clone, Debug)]
enum Train {
    /// Precomputed ascending times (boxed: the Poisson variant sets the size).
    List(Box<Listed>),
    /// A Poisson process drawn on demand.
    Poisson {
        /// The source's stream.
        rng: Pcg64,
        /// Constant or sinusoidal rate.
        rate: Rate,
        /// Time of the last candidate \[ms\].
        t: f64,
        /// End of firing \[ms\].
        stop: f64,
    },
}

/// Precomputed spike times and the next to emit.
#[derive(Clone, Debug)]
struct Listed {
    /// Spike times \[ms\], ascending.
    times: Vec<f64>,
    /// Next index to emit.
    next: usize,
}

impl SourceTrain {
    /// A train from given times (sorted here).
    pub fn list(mut times: Vec<f64>) -> Self {
        times.sort_by(f64::total_cmp);
        SourceTrain(Train::List(Box::new(Listed { times, next: 0 })))
    }

    /// The next spike time, or `None` when the train is exhausted.
    pub fn next_spike(&mut self) -> Option<f64> {
        match &mut self.0 {
            Train::List(l) => {
                let t = l.times.get(l.next).copied();
                l.next += 1;
                t
            }
            Train::Poisson { rng, rate, t, stop } => {
                let (r_max, modulated) = match rate {
                    Rate::Steps(steps) => return next_in_steps(rng, steps, t, *stop),
                    Rate::Gamma(g) => {
                        *t += g.sample(rng);
                        return (*t < *stop).then_some(*t);
                    }
                    Rate::Constant(r) => (*r, None),
                    Rate::Sinusoidal(m) => (
                        m.mean + m.amplitude.abs(),
                        Some((m.mean, m.amplitude, m.frequency, m.phase)),
                    ),
                };
                if r_max <= 0.0 {
                    return None;
                }
                let per_ms = r_max / 1000.0;
                loop {
                    let e: f64 = Exp1.sample(rng);
                    *t += e / per_ms;
                    if *t >= *stop {
                        return None;
                    }
                    match &modulated {
                        None => return Some(*t),
                        Some((mean, amplitude, frequency, phase)) => {
                            // thinning: accept with probability rate(t) / r_max
                            let r = (mean
                                + amplitude * (2.0 * PI * frequency * *t / 1000.0 + phase).sin())
                            .max(0.0);
                            let u: f64 = rng.random();
                            if u * r_max < r {
                                return Some(*t);
                            }
                        }
                    }
                }
            }
        }
    }
}

/// The next spike of a Poisson process with a piecewise-constant rate after `*t`, before
/// `stop`: within each piece a constant-rate process; a candidate past the piece's end is
/// dropped and the process restarts at the end with the next piece's rate (exact, the
/// exponential being memoryless).
fn next_in_steps(
    rng: &mut Pcg64,
    steps: &(Vec<f64>, Vec<f64>),
    t: &mut f64,
    stop: f64,
) -> Option<f64> {
    let (times, rates) = steps;
    loop {
        // the piece holding *t: rates[k - 1] on [times[k - 1], times[k]) (k = 0: rate 0)
        let k = times.partition_point(|&x| x <= *t);
        let end = times.get(k).copied().unwrap_or(f64::INFINITY);
        let rate = if k == 0 { 0.0 } else { rates[k - 1] };
        let next = if rate > 0.0 {
            let e: f64 = Exp1.sample(rng);
            *t + e / (rate / 1000.0)
        } else {
            f64::INFINITY
        };
        if next < end {
            if next >= stop {
                return None;
            }
            *t = next;
            return Some(next);
        }
        if end >= stop {
            return None;
        }
        *t = end;
    }
}

/// Gamma renewal sources in `[start, stop)`: intervals of shape `shape` and mean
/// `1000 / rate` ms, the first drawn from `start`; none at rate 0. Source `i`'s stream as
/// for [`poisson`].
pub fn gamma(
    seed: u64,
    name: &str,
    size: usize,
    (rate, shape): (f64, f64),
    start: f64,
    stop: f64,
) -> Vec<SourceTrain> {
    let dist = (rate > 0.0)
        .then(|| rand_distr::Gamma::new(shape, 1000.0 / rate / shape).ok())
        .flatten();
    let Some(dist) = dist else {
        return (0..size).map(|_| SourceTrain::list(Vec::new())).collect();
    };
    poisson(seed, name, size, &Rate::Gamma(Arc::new(dist)), start, stop)
}

/// Poisson sources in `[start, stop)`.
pub fn poisson(
    seed: u64,
    name: &str,
    size: usize,
    rate: &Rate,
    start: f64,
    stop: f64,
) -> Vec<SourceTrain> {
    drawn(seed, name, (0..size).map(|_| rate.clone()), start, stop)
}

/// Poisson sources of constant rates, `rates[i]` \[Hz\] for source `i` (its stream as for
/// [`poisson`]: source `i` of a uniform input of that rate draws the same times).
pub fn poisson_each(
    seed: u64,
    name: &str,
    rates: &[f64],
    start: f64,
    stop: f64,
) -> Vec<SourceTrain> {
    drawn(
        seed,
        name,
        rates.iter().map(|&r| Rate::Constant(r)),
        start,
        stop,
    )
}

/// Sources drawn during the run in `[start, stop)`, source `i` with the `i`-th rate and its
/// own stream `(seed, name, i)`.
fn drawn(
    seed: u64,
    name: &str,
    rates: impl Iterator<Item = Rate>,
    start: f64,
    stop: f64,
) -> Vec<SourceTrain> {
    rates
        .enumerate()
        .map(|(i, rate)| {
            SourceTrain(Train::Poisson {
                rng: stream(seed, name, i as u64),
                rate,
                t: start,
                stop,
            })
        })
        .collect()
}

/// Periodic sources: spikes at `phase + k·period` plus Gaussian jitter, kept in [0, duration).
pub fn periodic(
    seed: u64,
    name: &str,
    size: usize,
    period: f64,
    phase: f64,
    jitter: f64,
    duration: f64,
) -> Vec<SourceTrain> {
    (0..size)
        .map(|i| {
            let mut rng = stream(seed, name, i as u64);
            let mut times = Vec::new();
            // Only cycles whose jittered spike can land in [0, duration) (±10 sd).
            let (k0, k1) = cycle_range(phase, period, 10.0 * jitter, duration);
            for k in k0..=k1 {
                let base = phase + k as f64 * period;
                let t = if jitter > 0.0 {
                    let z: f64 = StandardNormal.sample(&mut rng);
                    base + jitter * z
                } else {
                    base
                };
                if (0.0..duration).contains(&t) {
                    times.push(t);
                }
            }
            SourceTrain::list(times)
        })
        .collect()
}

/// First and last cycle index k ≥ 0 with `offset + k·period` in
/// `[-reach, duration + reach]` (empty when the first exceeds the last).
pub fn cycle_range(offset: f64, period: f64, reach: f64, duration: f64) -> (u64, u64) {
    let first = ((-reach - offset) / period).ceil().max(0.0);
    let last = ((duration + reach - offset) / period).floor();
    if last.is_nan() || last < first {
        return (1, 0);
    }
    (first as u64, last as u64)
}

/// Evaluates an interaural delay at time `t` \[ms\].
pub fn itd_at(itd: &Itd, t: f64) -> f64 {
    match *itd {
        Itd::Constant(d) => d,
        Itd::Moving {
            offset,
            amplitude,
            period,
            phase,
        } => offset + amplitude * (2.0 * PI * t / period + phase).sin(),
    }
}

/// Phase-locked sources: on cycle k a source fires with probability `rate/frequency` at
/// `1000 k/f + 1000 phase/(2πf) + delay(t_k) + N(0, jitter²)`, kept in [0, duration).
#[allow(clippy::too_many_arguments)] // mirrors the scenario keys one to one
pub fn phase_locked(
    seed: u64,
    name: &str,
    size: usize,
    frequency: f64,
    rate: f64,
    jitter: f64,
    phase: f64,
    delay: &Itd,
    duration: f64,
) -> Vec<SourceTrain> {
    let period = 1000.0 / frequency;
    let p = rate / frequency;
    let offset = phase / (2.0 * PI) * period;
    let max_delay = delay.reach();
    (0..size)
        .map(|i| {
            let mut rng = stream(seed, name, i as u64);
            let mut times = Vec::new();
            let (k0, k1) = cycle_range(offset, period, max_delay + 10.0 * jitter, duration);
            for k in k0..=k1 {
                let base = k as f64 * period + offset;
                // Draw both numbers every cycle so the stream stays aligned across rates.
                let u: f64 = rng.random();
                let z: f64 = StandardNormal.sample(&mut rng);
                if u < p {
                    let t = base + itd_at(delay, base) + jitter * z;
                    if (0.0..duration).contains(&t) {
                        times.push(t);
                    }
                }
            }
            SourceTrain::list(times)
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn streams_are_independent_of_each_other_and_reproducible() {
        let a: f64 = stream(1, "left", 0).random();
        let b: f64 = stream(1, "left", 0).random();
        let c: f64 = stream(1, "left", 1).random();
        let d: f64 = stream(1, "right", 0).random();
        assert_eq!(a, b);
        assert_ne!(a, c);
        assert_ne!(a, d);
    }

    #[test]
    fn moving_source_shifts_each_cycle_by_its_delay() {
        // rate = frequency and no jitter: one spike per cycle at k·T + delay(k·T)
        let itd = Itd::Moving {
            offset: 0.05,
            amplitude: 0.3,
            period: 100.0,
            phase: 0.0,
        };
        let mut trains = phase_locked(1, "ear", 1, 500.0, 500.0, 0.0, 0.0, &itd, 200.0);
        let times: Vec<f64> = std::iter::from_fn(|| trains[0].next_spike()).collect();
        assert_eq!(times.len(), 100);
        for (k, t) in times.iter().enumerate() {
            let base = 2.0 * k as f64;
            let want = base + 0.05 + 0.3 * (2.0 * PI * base / 100.0).sin();
            assert!((t - want).abs() < 1e-12, "cycle {k}: {t} vs {want}");
        }
    }

    #[test]
    fn sinusoidal_poisson_follows_its_rate() {
        // rate(t) = 50 + 50 sin(2π 5 t/1000): the first half of each 200 ms cycle has
        // mean 50 + 100/π Hz, the second half 50 − 100/π Hz
        let rate = Rate::Sinusoidal(Arc::new(Sinusoid {
            mean: 50.0,
            amplitude: 50.0,
            frequency: 5.0,
            phase: 0.0,
        }));
        let mut trains = poisson(9, "p", 50, &rate, 0.0, 20_000.0);
        let (mut up, mut down) = (0.0, 0.0);
        for tr in &mut trains {
            while let Some(t) = tr.next_spike() {
                if t % 200.0 < 100.0 {
                    up += 1.0;
                } else {
                    down += 1.0;
                }
            }
        }
        // expected counts: 50 sources × 20 s / 2 × rate
        let (eu, ed) = (500.0 * (50.0 + 100.0 / PI), 500.0 * (50.0 - 100.0 / PI));
        assert!((up - eu).abs() < 5.0 * eu.sqrt(), "{up} vs {eu}");
        assert!((down - ed).abs() < 5.0 * ed.sqrt(), "{down} vs {ed}");
    }

    #[test]
    fn step_rate_poisson_is_poisson_in_each_piece() {
        // 0 Hz before 100 ms, 80 Hz to 2 s, 0 Hz to 3 s, 10 Hz after; stop at 9 s
        let rate = Rate::Steps(Arc::new((
            vec![100.0, 2000.0, 3000.0],
            vec![80.0, 0.0, 10.0],
        )));
        let mut trains = poisson(5, "s", 200, &rate, 50.0, 9000.0);
        let pieces = [
            (0.0, 100.0, 0.0),
            (100.0, 2000.0, 80.0),
            (2000.0, 3000.0, 0.0),
            (3000.0, 9000.0, 10.0),
        ];
        let mut counts = [0.0; 4];
        let (mut isi_sum, mut isi_sq, mut n_isi) = (0.0, 0.0, 0.0);
        for tr in &mut trains {
            let times: Vec<f64> = std::iter::from_fn(|| tr.next_spike()).collect();
            assert!(times.windows(2).all(|w| w[0] < w[1]) && times.iter().all(|&t| t < 9000.0));
            for &t in &times {
                counts[pieces.iter().position(|p| (p.0..p.1).contains(&t)).unwrap()] += 1.0;
            }
            // intervals inside the 80 Hz piece: exponential, mean 12.5 ms, CV 1
            for w in times.windows(2).filter(|w| w[0] >= 100.0 && w[1] < 2000.0) {
                let d = w[1] - w[0];
                (isi_sum, isi_sq, n_isi) = (isi_sum + d, isi_sq + d * d, n_isi + 1.0);
            }
        }
        for (c, p) in counts.iter().zip(&pieces) {
            let want = 200.0 * p.2 * (p.1 - p.0) / 1000.0;
            assert!(
                (c - want).abs() <= 5.0 * want.sqrt(),
                "{c} spikes in {p:?}, expected {want}"
            );
        }
        let mean = isi_sum / n_isi;
        let cv = (isi_sq / n_isi - mean * mean).sqrt() / mean;
        assert!(
            (mean - 12.5).abs() < 0.3 && (cv - 1.0).abs() < 0.03,
            "ISI mean {mean}, CV {cv}"
        );
    }

    #[test]
    fn a_source_train_is_one_line() {
        assert_eq!(std::mem::size_of::<SourceTrain>(), 64);
        assert_eq!(std::mem::align_of::<SourceTrain>(), 64);
    }

    #[test]
    fn a_source_of_its_own_rate_draws_what_a_uniform_input_of_that_rate_does() {
        let rates = [0.0, 3.0, 50.0, 700.0];
        let mut each = poisson_each(9, "p", &rates, 2.0, 3_000.0);
        for (i, tr) in each.iter_mut().enumerate() {
            let mut uniform = poisson(9, "p", 4, &Rate::Constant(rates[i]), 2.0, 3_000.0);
            let a: Vec<f64> = std::iter::from_fn(|| tr.next_spike()).collect();
            let b: Vec<f64> = std::iter::from_fn(|| uniform[i].next_spike()).collect();
            assert_eq!(a, b, "source {i}");
            // expected rate × 2.998 s spikes, within 5 standard deviations
            let want = rates[i] * 2.998;
            assert!(
                (a.len() as f64 - want).abs() <= 5.0 * want.sqrt(),
                "{} vs {want}",
                a.len()
            );
        }
    }

    #[test]
    fn gamma_trains_have_their_mean_interval_and_regularity() {
        // 200 sources at 40 Hz, shape 4: intervals of mean 25 ms and CV 1/2
        let mut trains = gamma(5, "g", 200, (40.0, 4.0), 50.0, 5_050.0);
        let (mut n, mut sum, mut sq, mut spikes) = (0.0, 0.0, 0.0, 0.0);
        for tr in &mut trains {
            let times: Vec<f64> = std::iter::from_fn(|| tr.next_spike()).collect();
            assert!(times.windows(2).all(|w| w[0] < w[1]));
            assert!(times.iter().all(|&t| (50.0..5_050.0).contains(&t)));
            spikes += times.len() as f64;
            for w in times.windows(2) {
                let d = w[1] - w[0];
                (n, sum, sq) = (n + 1.0, sum + d, sq + d * d);
            }
        }
        let mean = sum / n;
        let cv = (sq / n - mean * mean).sqrt() / mean;
        assert!(
            (mean - 25.0).abs() < 0.25 && (cv - 0.5).abs() < 0.01,
            "{mean} {cv}"
        );
        // 200 × 5 s × 40 Hz, less about half an interval each at the edges
        assert!((spikes - 40_000.0).abs() < 400.0, "{spikes}");
        // the same streams as Poisson sources of that input name: reproducible
        let again: Vec<f64> =
            std::iter::from_fn(|| gamma(5, "g", 200, (40.0, 4.0), 50.0, 5_050.0)[7].next_spike())
                .take(1)
                .collect();
        let mut first = gamma(5, "g", 200, (40.0, 4.0), 50.0, 5_050.0);
        assert_eq!(first[7].next_spike(), again.first().copied());
        // rate 0: silent
        assert!(gamma(5, "g", 3, (0.0, 2.0), 0.0, 100.0)
            .iter_mut()
            .all(|t| t.next_spike().is_none()));
    }

    #[test]
    fn poisson_rate_is_right() {
        let mut trains = poisson(3, "p", 20, &Rate::Constant(50.0), 0.0, 10_000.0);
        let n: usize = trains
            .iter_mut()
            .map(|t| std::iter::from_fn(|| t.next_spike()).count())
            .sum();
        // expected 20 * 500 = 10000, sd 100
        assert!((n as f64 - 10_000.0).abs() < 500.0, "{n}");
    }
}
