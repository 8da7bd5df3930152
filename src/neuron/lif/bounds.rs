//! The `lif` bounds' arithmetic: the distance to threshold as the solver's polynomial, the
//! exp-only fast paths, the slope at a state and small numerical helpers.

use super::{ChannelKind, ExpPoly, LifPopulation, MAX_CHANNELS};
pub(super) use crate::neuron::bound::{bound_at, quadratic_bound};
use crate::neuron::crossing::{CURV_NEG, CURV_SUP, E_NEG, SLOPE_NEG, SLOPE_SUP};

impl LifPopulation {
    /// `V(t0 + s) - θ(t0 + s)` as an exponential polynomial in `s`, from a non-refractory
    /// local state.
    #[inline]
    pub(super) fn distance_poly(&self, i: usize, v: f64, st: &[f64], th: &[f64]) -> ExpPoly {
        // (from the record or the shared propagator where they are: the same numbers as
        // `scalars` and `chan_rate`, whose lines are cold in a large network)
        let ((mu, rates), (v_inf, v_th)) = (self.rates_of(i), self.consts(i));
        let mut p = ExpPoly::new();
        p.add(0.0, 0, v_inf - v_th);
        p.add(mu, 0, v - v_inf);
        // Rates within a relative 1e-5 of μ over the time scale that matters are expanded
        // around μ (Taylor in d = λ - μ, error O((d s)^3)), because the separated form's
        // coefficients grow like 1/d and 1/d² and would cancel catastrophically. Only the
        // root isolation uses these coefficients; signs and the root itself are decided
        // with the closed-form propagator, which is accurate for every d.
        let near = |lam: f64| near_degenerate(mu, lam);
        for (c, kind) in self.layout.channels.iter().enumerate() {
            let lam = rates[c];
            let o = self.layout.offsets[c];
            let d = lam - mu;
            let ci = mu * st[o];
            // μ·I0·D1(s): (e^{-μs} - e^{-λs})/d, or s e^{-μs} (1 - d s/2 + d² s²/6)
            if lam == mu || near(lam) {
                p.add(mu, 1, ci);
                p.add(mu, 2, -0.5 * d * ci);
                p.add(mu, 3, d * d / 6.0 * ci);
            } else {
                p.add(mu, 0, ci / d);
                p.add(lam, 0, -ci / d);
            }
            if *kind == ChannelKind::Alpha {
                // μ·J0·D2(s): (e^{-μs} - e^{-λs}(1 + d s))/d², or s² e^{-μs} (1/2 - d s/3)
                let cj = mu * st[o + 1];
                if lam == mu || near(lam) {
                    p.add(mu, 2, 0.5 * cj);
                    p.add(mu, 3, -d / 3.0 * cj);
                } else {
                    p.add(mu, 0, cj / (d * d));
                    p.add(lam, 0, -cj / (d * d));
                    p.add(lam, 1, -cj / d);
                }
            }
        }
        let nt = self.layout.n_thr;
        for (rate, x) in self.thr_rate[i * nt..(i + 1) * nt].iter().zip(th) {
            p.add(*rate, 0, -x);
        }
        p
    }

    /// `(upper bound of g on [0, ∞), upper bound of g', quadratic bound)` through the
    /// solver's polynomial: the general path, for any layout, which every specialised path
    /// equals bit for bit. Second order too: alpha receptors and threshold adaptation close
    /// in on a crossing like exp-only neurons do (curvature bound of the polynomial).
    pub(super) fn polynomial_bounds(
        &self,
        i: usize,
        v: f64,
        st: &[f64],
        th: &[f64],
        g0: f64,
    ) -> (f64, f64, f64) {
        let poly = self.distance_poly(i, v, st, th);
        let g1 = self.slope_at(i, v, st, th);
        let s_quad = quadratic_bound(g0, g1, poly.curvature_bound());
        (poly.upper_bound(f64::INFINITY), poly.slope_bound(), s_quad)
    }

    /// [`ExpPoly::upper_bound`](super::ExpPoly::upper_bound) on `[0, ∞)` and [`ExpPoly::slope_bound`](super::ExpPoly::slope_bound) of
    /// [`distance_poly`](Self::distance_poly), computed straight from the state for the
    /// common layout (exp channels only, no threshold adaptation, no near-degenerate rate):
    /// the same terms summed in the same order, so the same numbers, without filling the
    /// solver's 18-term polynomial on every input.
    #[inline]
    pub(super) fn simple_bounds(&self, i: usize, v: f64, st: &[f64], g0: f64) -> (f64, f64, f64) {
        // pairwise distinct rates (shared, or every neuron's own): the specialised path
        if self.distinct {
            let (mu, lam) = self.rates_of(i);
            match st.len() {
                0 => return self.distinct_bounds::<0>(i, mu, lam, v, st, g0),
                1 => return self.distinct_bounds::<1>(i, mu, lam, v, st, g0),
                2 => return self.distinct_bounds::<2>(i, mu, lam, v, st, g0),
                3 => return self.distinct_bounds::<3>(i, mu, lam, v, st, g0),
                _ => {}
            }
        }
        // a term buffer sized for the common few channels: no zeroing of the full one
        if self.layout.channels.len() < 4 {
            self.simple_bounds_in::<4>(i, v, st, g0)
        } else {
            self.simple_bounds_in::<{ MAX_CHANNELS + 1 }>(i, v, st, g0)
        }
    }

    /// [`simple_bounds`](Self::simple_bounds) with room for `N - 1` channels.
    #[inline]
    fn simple_bounds_in<const N: usize>(
        &self,
        i: usize,
        v: f64,
        st: &[f64],
        g0: f64,
    ) -> (f64, f64, f64) {
        let (v_inf, v_th) = self.consts(i);
        let nch = self.layout.channels.len();
        let (mu, rates) = self.rates_of(i);
        // (rate, coefficient of e^{-rate s}); equal channel rates merge as in ExpPoly::add
        let mut terms = [(0.0, 0.0); N];
        terms[0] = (mu, v - v_inf);
        let mut len = 1;
        // coefficient of s e^{-μ s}: channels with λ = μ exactly (μ I0 s e^{-μ s})
        let mut c1 = 0.0;
        for (c, &lam) in rates.iter().enumerate() {
            let ci = mu * st[c];
            if ci == 0.0 {
                continue;
            }
            if lam == mu {
                c1 += ci;
                continue;
            }
            // -(ci/d) == (-ci)/d exactly (rounding is symmetric): one division, not two
            let q = ci / (lam - mu);
            terms[0].1 += q;
            match terms[1..len].iter_mut().find(|t| t.0 == lam) {
                Some(t) => t.1 += -q,
                None => {
                    terms[len] = (lam, -q);
                    len += 1;
                }
            }
        }
        let mut upper = v_inf - v_th;
        let mut slope = 0.0;
        let mut curv = 0.0;
        // g'(0) = V'(0) = μ (ΣI − (V − V∞)) straight from the state: summing −λ c over the
        // terms would cancel large coefficients (∝ 1/(λ − μ)) near a maximum of V
        let g1 = mu * (st[..nch].iter().sum::<f64>() - (v - v_inf));
        for (k, &(rate, c)) in terms[..len].iter().enumerate() {
            if c > 0.0 {
                upper += c;
                curv += rate * rate * c;
            } else if c < 0.0 {
                slope += -rate * c;
            }
            if k == 0 && c1 != 0.0 {
                // the μ term's linear part, with ExpPoly's per-monomial extremes: max of
                // s e^{-μs} is e^{-1}/μ; of its derivative 1 and -e^{-2}; of its second
                // derivative μ e^{-3} and -2μ
                // (the same products as ExpPoly's, so the same numbers)
                if c1 > 0.0 {
                    upper += c1 * ((1.0 / mu) * E_NEG[1]);
                    slope += c1 * SLOPE_SUP[1];
                    curv += mu * (c1 * CURV_SUP[1]);
                } else {
                    slope += -c1 * SLOPE_NEG[1];
                    curv += mu * (-c1 * CURV_NEG[1]);
                }
            }
        }
        (upper, slope, quadratic_bound(g0, g1, curv))
    }

    /// [`simple_bounds`](Self::simple_bounds) for pairwise distinct rates: the parts
    /// ([`distinct_parts_of`]) and the quadratic bound.
    #[inline(always)]
    pub(super) fn distinct_bounds<const N: usize>(
        &self,
        i: usize,
        mu: f64,
        lam: &[f64],
        v: f64,
        st: &[f64],
        g0: f64,
    ) -> (f64, f64, f64) {
        let (v_inf, v_th) = self.consts(i);
        let (upper, slope, g1, curv) = distinct_parts_of::<N>(v_inf, v_th, mu, lam, v, st);
        (upper, slope, quadratic_bound(g0, g1, curv))
    }

    /// `d/ds (V - θ)` at a non-refractory local state: `V' = μ (Σ I - (V - V∞))`,
    /// `θ_j' = -ρ_j θ_j`, straight from the state (no cancellation of the polynomial's
    /// large coefficients).
    pub(super) fn slope_at(&self, i: usize, v: f64, st: &[f64], th: &[f64]) -> f64 {
        let ((mu, _), nt) = (self.rates_of(i), self.layout.n_thr);
        let v_inf = self.consts(i).0;
        let nch = self.layout.channels.len();
        let current: f64 = (0..nch).map(|c| st[self.layout.offsets[c]]).sum();
        let rho = &self.thr_rate[i * nt..(i + 1) * nt];
        let dth: f64 = rho.iter().zip(th).map(|(r, x)| -r * x).sum();
        mu * (current - (v - v_inf)) - dth
    }
}

/// Rates within a relative 1e-5 of `mu` over the time scale that matters (see
/// `distance_poly`).
pub(super) fn near_degenerate(mu: f64, lam: f64) -> bool {
    let d = lam - mu;
    d != 0.0 && (d * 10.0 / mu.min(lam)).abs() < 1e-5
}

/// The parts of [`LifPopulation::simple_bounds`] for a neuron with constants `v_inf`,
/// `v_th`, pairwise distinct rates `mu`, `lam` (no channel rate equal to `mu` or to another)
/// and `N` channels: no term merging, fixed-size loops and no branches per term. The same
/// terms summed in the same order as the general path (a term ≤ 0 adds +0 to `upper` and
/// `curv`, one ≥ 0 adds −0 to `slope`: no change), so the same numbers: `(upper, slope, g1,
/// curv)`, the quadratic bound's square root and divisions left to the caller.
#[inline(always)]
pub(super) fn distinct_parts_of<const N: usize>(
    v_inf: f64,
    v_th: f64,
    mu: f64,
    lam: &[f64],
    v: f64,
    st: &[f64],
) -> (f64, f64, f64, f64) {
    let (lam, st) = (&lam[..N], &st[..N]);
    // coefficients of e^{-μs} and e^{-λ_c s}
    let mut c_mu = v - v_inf;
    let mut c: [f64; N] = [0.0; N];
    for k in 0..N {
        let q = (mu * st[k]) / (lam[k] - mu);
        c_mu += q;
        c[k] = -q;
    }
    let term = |(upper, slope, curv): (f64, f64, f64), rate: f64, c: f64| {
        (
            upper + c.max(0.0),
            slope + -rate * c.min(0.0),
            curv + rate * rate * c.max(0.0),
        )
    };
    let mut acc = term((v_inf - v_th, 0.0, 0.0), mu, c_mu);
    for k in 0..N {
        acc = term(acc, lam[k], c[k]);
    }
    let g1 = mu * (st.iter().sum::<f64>() - (v - v_inf));
    (acc.0, acc.1, g1, acc.2)
}
