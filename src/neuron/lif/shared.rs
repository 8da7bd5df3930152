//! Shared exponentials: the propagator of a population whose neurons all have the same
//! rates, without a call to `exp` per event.
//!
//! Advancing a neuron from `t0` to `t` needs `e^{-λ(t - t0)}` for the membrane and every
//! channel. Time is cut into epochs of width `W` (a power of two, so epoch starts `T = kW`
//! are exact floats), and each neuron keeps `G_λ = e^{λ(t0 - T)}` from its last update.
//! All the neurons touched at one instant `t` share `E_λ = e^{-λ(t - T)}`, computed once per
//! instant, so
//!
//! ```text
//! e^{-λ(t - t0)} = E_λ(t) · G_λ(t0) [· e^{-λW} when t0 lies in the previous epoch]
//! ```
//!
//! costs one multiplication. `λW ≤ 4`, so each factor carries a relative error of a few ulp
//! (the argument `λ(t - T)` is at most 4). Where the membrane kernel `D1 = (e^{-μs} -
//! e^{-λs})/(λ - μ)` is formed from these factors, `|λ - μ| ≥ max(μ, λ)/4` keeps its absolute
//! error within a few ulp of the current it multiplies (populations closer to degenerate use
//! the general propagator, which expands around `λ = μ`). A channel with `λ = μ` exactly has
//! the kernel `s e^{-μs}`, formed from the membrane's factor and the elapsed time.

use super::{Head, LifPopulation};

/// The population-wide part: rates and the exponentials of the current instant.
#[derive(Clone, Debug)]
pub(super) struct Shared {
    /// Rates: membrane first, then one per channel.
    pub rates: Vec<f64>,
    /// Per channel: `1 / (λ - μ)`, or NaN for a channel with `λ = μ` (kernel `s e^{-μs}`).
    pub inv_d: Vec<f64>,
    /// Epoch width \[ms\], a power of two.
    width: f64,
    /// `e^{-λW}` per rate: carries a factor over one epoch boundary.
    pub step: Vec<f64>,
    /// The instant the factors below are for.
    pub now: f64,
    /// The start of its epoch, `T = kW` (exact), k = `floor(now / W)`.
    start: f64,
    /// `e^{-λ(now - T)}` per rate.
    pub e_now: Vec<f64>,
    /// `e^{λ(now - T)}` per rate: what a neuron updated now stores.
    pub g_now: Vec<f64>,
    /// The first [`LANES`] entries of the arrays above in fixed-size arrays, for the fused
    /// layout's at most three channels: read without a slice check per delivery.
    pub lanes: Lanes,
}

/// Rates a [`Lanes`] holds: the membrane and the fused layout's at most three channels.
pub(super) const LANES: usize = 4;

/// The first [`LANES`] rates' values of a [`Shared`] (zeros past its rates).
#[derive(Clone, Debug, Default)]
pub(super) struct Lanes {
    pub rates: [f64; LANES],
    pub inv_d: [f64; LANES],
    pub step: [f64; LANES],
    pub e_now: [f64; LANES],
    pub g_now: [f64; LANES],
}

/// The first [`LANES`] values of `x`.
fn lanes_of(x: &[f64]) -> [f64; LANES] {
    let mut a = [0.0; LANES];
    for (a, x) in a.iter_mut().zip(x) {
        *a = *x;
    }
    a
}

/// How far apart the rates must be for the factored kernel (see the module docs).
const MIN_SEPARATION: f64 = 0.25;

/// True when `D1 = (e^{-μs} - e^{-λs})/(λ - μ)` may be formed from the two exponentials
/// directly: `|λ - μ| ≥ max(λ, μ)/4`, so the cancellation costs at most a few ulp of the
/// current it multiplies (module docs), for any `s`.
#[inline]
pub(super) fn separated(mu: f64, lam: f64) -> bool {
    (lam - mu).abs() >= MIN_SEPARATION * lam.max(mu)
}

impl Shared {
    /// The shared propagator for membrane rate `mu` and channel rates `chan`, or `None` when a
    /// channel rate is too close to `mu` or a rate is not positive and finite.
    pub fn new(mu: f64, chan: &[f64]) -> Option<Shared> {
        let mut rates = vec![mu];
        rates.extend_from_slice(chan);
        if rates.iter().any(|r| !(r.is_finite() && *r > 0.0)) {
            return None;
        }
        // (a rate equal to μ is fine: its kernel s e^{-μs} has no difference to cancel)
        if chan.iter().any(|&l| l != mu && !separated(mu, l)) {
            return None;
        }
        let max_rate = rates.iter().cloned().fold(0.0, f64::max);
        // largest power of two with max_rate · W ≤ 4
        let width = 2f64.powi((4.0 / max_rate).log2().floor() as i32);
        if !(width.is_finite() && width > 0.0) {
            return None;
        }
        let n = rates.len();
        let mut sh = Shared {
            inv_d: chan
                .iter()
                .map(|&l| if l == mu { f64::NAN } else { 1.0 / (l - mu) })
                .collect(),
            step: rates.iter().map(|r| (-r * width).exp()).collect(),
            width,
            now: 0.0,
            start: 0.0,
            e_now: vec![1.0; n],
            g_now: vec![1.0; n],
            rates,
            lanes: Lanes::default(),
        };
        sh.lanes = Lanes {
            rates: lanes_of(&sh.rates),
            inv_d: lanes_of(&sh.inv_d),
            step: lanes_of(&sh.step),
            e_now: lanes_of(&sh.e_now),
            g_now: lanes_of(&sh.g_now),
        };
        Some(sh)
    }

    /// Makes the factors those of instant `t`.
    #[inline(always)]
    pub fn set_now(&mut self, t: f64) {
        if t != self.now {
            self.move_to(t);
        }
    }

    /// [`set_now`](Self::set_now) for a new instant: once per instant, not per event.
    #[inline(never)]
    fn move_to(&mut self, t: f64) {
        self.now = t;
        // exact: k·W is a float (W a power of two, so t/W is exact too) and t - kW is exact
        // by Sterbenz' lemma; within the current epoch k is known (no `floor`)
        let start = self.start;
        let u = if t >= start && t - start < self.width {
            t - start
        } else {
            let k = (t / self.width).floor();
            self.start = k * self.width;
            t - self.start
        };
        for (r, rate) in self.rates.iter().enumerate() {
            let (e, g) = if r > 0 && *rate == self.rates[0] {
                // a channel with λ = μ (its factors are never read; kept equal for clarity)
                (self.e_now[0], self.g_now[0])
            } else {
                let e = (-rate * u).exp();
                // one `exp` per rate: the reciprocal adds half an ulp (e ≥ e^{-4}: no overflow)
                (e, 1.0 / e)
            };
            (self.e_now[r], self.g_now[r]) = (e, g);
            if r < LANES {
                (self.lanes.e_now[r], self.lanes.g_now[r]) = (e, g);
            }
        }
    }

    /// Where a neuron last updated at `t_last` (≤ the current instant) stands: `Some(true)`
    /// when that time lies in the current epoch, `Some(false)` in the one before, `None`
    /// further back. Every update stores the factors of the epoch its time lies in (the
    /// instant's: `floor(t / W)`), so the record's time tells the epoch of its factors.
    #[inline(always)]
    pub fn epoch_of(&self, t_last: f64) -> Option<bool> {
        if t_last >= self.start {
            Some(true)
        } else if t_last >= self.start - self.width {
            // (exact: (k − 1)·W)
            Some(false)
        } else {
            None
        }
    }
}

impl LifPopulation {
    /// [`advance_shared`](super::LifPopulation) for `N` channels with pairwise distinct rates
    /// (none equal to μ): the same operations in the same order, unrolled, with the
    /// neuron's block and the instant's factors as fixed-size slices; false, nothing
    /// changed, when its factors are more than an epoch old.
    #[inline(always)]
    pub(super) fn advance_distinct<const N: usize>(&mut self, i: usize) -> bool {
        let Some(sh) = &self.shared else { return false };
        let (h, blk, (v_inf, _)) = self.place.split(&mut self.hot, &mut self.state, i);
        step_distinct::<N>(sh, h, blk, v_inf).is_some()
    }
}

/// [`LifPopulation::advance_distinct`] on a neuron's scalars `h` and its block `blk` (`N`
/// channel states, then `N + 1` factors), borrowed once by the caller, and its `v_inf`. Returns the new
/// channel states (also stored), so that a fused delivery keeps them in registers instead
/// of reading back what it just wrote.
#[inline(always)]
pub(super) fn step_distinct<const N: usize>(
    sh: &Shared,
    h: &mut Head,
    blk: &mut [f64],
    v_inf: f64,
) -> Option<[f64; N]> {
    let same = sh.epoch_of(h.t_last)?;
    let l = &sh.lanes;
    let (e_now, g_now, step) = (&l.e_now[..N + 1], &l.g_now[..N + 1], &l.step[..N + 1]);
    let inv_d = &l.inv_d[..N];
    let (st, g) = blk[..2 * N + 1].split_at_mut(N);
    // every rate's factor first, behind one test of the epoch (not one per factor)
    let mut f = [0.0; LANES];
    for r in 0..=N {
        f[r] = e_now[r] * g[r];
    }
    if !same {
        for r in 0..=N {
            f[r] *= step[r];
        }
    }
    let e_mu = f[0];
    let mu = l.rates[0];
    let mut v = v_inf + (h.v - v_inf) * e_mu;
    let mut out = [0.0; N];
    for c in 0..N {
        // (no branch for a channel with zero current: its term is a zero, v keeps its value)
        let i0 = st[c];
        let decay = f[c + 1];
        v += mu * i0 * ((e_mu - decay) * inv_d[c]);
        out[c] = i0 * decay;
        st[c] = out[c];
    }
    h.v = v;
    g.copy_from_slice(g_now);
    Some(out)
}
