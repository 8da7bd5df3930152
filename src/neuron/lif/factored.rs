//! The factored propagator: for a population whose rates differ from neuron to neuron (so no
//! shared exponentials) but whose layout is simple — exp channels only, no threshold terms,
//! every channel rate λ equal to the neuron's μ or separated from it (`shared::separated`).
//!
//! Each neuron's block then carries, after its channel states, its rates `[μ, λ_1 … λ_n]`,
//! so that a delivery reads one place (with V∞ and θ the same for the population and at
//! most two channels, the neuron's record: one cache line). The membrane kernel
//! `D1 = (e^{-μs} − e^{-λs})/(λ − μ)` is formed from the two exponentials times the
//! reciprocal `1/(λ − μ)` (the shared propagator's rule, with its error bound: a few ulp of
//! the current it multiplies), computed at each delivery rather than stored: a division
//! costs less than the line it would take, and gives the same bits. A channel with λ = μ
//! exactly has the kernel `s e^{-μs}`.

use super::{separated, Head, LifPopulation, NeuronInit};
use crate::neuron::exp::{exp, exp2_near, exp4_near, exp_near, FAST};

/// True when every neuron's rates allow the factored propagator.
pub(super) fn applies(neurons: &[NeuronInit]) -> bool {
    neurons.iter().all(|ni| {
        let mu = ni.scalars.rate_m;
        let ok = |r: f64| r.is_finite() && r > 0.0;
        ok(mu)
            && ni
                .chan_rate
                .iter()
                .all(|&l| ok(l) && (l == mu || separated(mu, l)))
    })
}

/// The constants of a neuron's block after its channel states (see the module docs): μ,
/// then its channel rates.
pub(super) fn rates(ni: &NeuronInit) -> impl Iterator<Item = f64> + '_ {
    std::iter::once(ni.scalars.rate_m).chain(ni.chan_rate.iter().copied())
}

impl LifPopulation {
    /// Advances non-refractory neuron `i` by `dt` > 0 with the factored propagator.
    #[inline]
    pub(super) fn advance_factored(&mut self, i: usize, dt: f64) {
        let n = self.layout.n_state;
        let (h, blk, (v_inf, _)) = self.place.split(&mut self.hot, &mut self.state, i);
        let (st, k) = blk.split_at_mut(n);
        let (mu, rates) = (k[0], &k[1..n + 1]);
        let e_mu = exp(-mu * dt);
        let mut v = v_inf + (h.v - v_inf) * e_mu;
        for c in 0..n {
            let i0 = st[c];
            if i0 == 0.0 {
                continue;
            }
            let lam = rates[c];
            if lam == mu {
                v += mu * i0 * (dt * e_mu);
                st[c] = i0 * e_mu;
            } else {
                let decay = exp(-lam * dt);
                v += mu * i0 * ((e_mu - decay) * (1.0 / (lam - mu)));
                st[c] = i0 * decay;
            }
        }
        h.v = v;
    }

    /// Neuron `i`'s membrane rate and channel rates: from the shared propagator when rates are
    /// uniform, from the neuron's block when the factored propagator is on (one cache line
    /// fewer per bound either way), else from the rate arrays.
    #[inline(always)]
    pub(super) fn rates_of(&self, i: usize) -> (f64, &[f64]) {
        let n = self.layout.channels.len();
        if let Some(sh) = &self.shared {
            (sh.rates[0], &sh.rates[1..])
        } else if self.factored {
            let (at, blk) = (self.layout.n_state, self.block(i));
            (blk[at], &blk[at + 1..at + 1 + n])
        } else {
            (self.scalars[i].rate_m, &self.chan_rate[i * n..(i + 1) * n])
        }
    }
}

/// [`LifPopulation::advance_factored`] for `N` channels with pairwise distinct rates (none
/// equal to μ), the same operations in the same order, unrolled, on a neuron's scalars `h`
/// and its block `blk` (`N` channel states, then `μ` and the `N` rates), with its `v_inf`;
/// returns the new channel states (also stored).
#[inline(always)]
pub(super) fn step_factored_distinct<const N: usize>(
    h: &mut Head,
    blk: &mut [f64],
    dt: f64,
    v_inf: f64,
) -> [f64; N] {
    let (st, k) = blk[..1 + 2 * N].split_at_mut(N);
    let (mu, rates) = (k[0], &k[1..N + 1]);
    // the N + 1 exponentials in one vector register or in pairs (`exp4_near`, `exp2_near`:
    // several for little more than the price of one), behind one range test: the arguments
    // are −rate·dt with rates > 0 and dt > 0, so the largest rate bounds them all
    let mut decay = [0.0; N];
    let largest = rates.iter().fold(mu, |m, &l| m.max(l));
    let e_mu = if largest * dt <= FAST {
        exps_near(mu, rates, dt, &mut decay)
    } else {
        decay = std::array::from_fn(|c| exp(-rates[c] * dt));
        exp(-mu * dt)
    };
    let inv_d = reciprocals::<N>(mu, rates);
    let mut v = v_inf + (h.v - v_inf) * e_mu;
    let mut out = [0.0; N];
    for c in 0..N {
        // (no branch for a channel with zero current: its terms are zeros, v and the state
        // keep their values)
        let i0 = st[c];
        v += mu * i0 * ((e_mu - decay[c]) * inv_d[c]);
        out[c] = i0 * decay[c];
        st[c] = out[c];
    }
    h.v = v;
    out
}

/// `1/(λ_c − μ)` for the `N` ≤ 4 channels in the lanes of one vector (one division instead
/// of `N` on the processor's one divider; each lane rounds as the scalar division would).
#[inline(always)]
fn reciprocals<const N: usize>(mu: f64, rates: &[f64]) -> [f64; N] {
    use wide::f64x4;
    let mut d = [1.0; 4];
    for c in 0..N.min(4) {
        d[c] = rates[c] - mu;
    }
    let r = (f64x4::splat(1.0) / f64x4::from(d)).to_array();
    std::array::from_fn(|c| if c < 4 { r[c] } else { 1.0 / (rates[c] - mu) })
}

/// `e^{−μ dt}` (returned) and `e^{−λ_c dt}` (into `decay`), all arguments within the fast
/// path of [`exp`]: up to four at once (one AVX register where the build has AVX), the
/// membrane's and one channel's as a pair.
#[inline(always)]
fn exps_near<const N: usize>(mu: f64, rates: &[f64], dt: f64, decay: &mut [f64; N]) -> f64 {
    match N {
        0 => exp_near(-mu * dt),
        1 => {
            let [e_mu, d0] = exp2_near([-mu * dt, -rates[0] * dt]);
            decay[0] = d0;
            e_mu
        }
        2 | 3 => {
            // (the fourth lane repeats the last channel when N = 2)
            let last = rates[N - 1];
            let x = [-mu * dt, -rates[0] * dt, -rates[1] * dt, -last * dt];
            let e = exp4_near(x);
            decay.copy_from_slice(&e[1..N + 1]);
            e[0]
        }
        // (fused layouts have at most three channels: one at a time beyond)
        _ => {
            *decay = std::array::from_fn(|c| exp_near(-rates[c] * dt));
            exp_near(-mu * dt)
        }
    }
}
