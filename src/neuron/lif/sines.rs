//! Sinusoidal drives (`currents` with `sine`): the neuron's state holds `U = V − P(t)`,
//! where `P(t) = Σ ρ sin(ω (t − t_s) + φ − δ)` is the periodic response of the membrane to
//! its sinusoids (`ρ = a / √(1 + (ωτ)²)`, `δ = atan(ωτ)`), so everything else — channels,
//! inputs, the propagator — is the neuron without them, solved as before. `V = U + P`
//! wherever V is read: the threshold test, the crossing search (`waves`), samples. A reset
//! or a change of the drives keeps V where it must be: while V is held at `V_reset`, U is
//! held at `V_reset − P(t_ref_end)`, so that V is `V_reset` when refractoriness ends.

use super::LifPopulation;
use crate::neuron::waves::{first_crossing, Found, Sine, Wave};
use crate::neuron::Next;

/// One term of `P`: `rho · sin(omega · (t − start) + psi)`.
#[derive(Clone, Copy, Debug, PartialEq)]
pub(super) struct Forced {
    rho: f64,
    omega: f64,
    start: f64,
    psi: f64,
}

/// The intervals one bound may examine before it settles for a check time: bounds are
/// asked at every input, the exact answer only when a check is reached.
const BOUND_BUDGET: usize = 4;

impl LifPopulation {
    /// Readies the population for [`set_sines`](Self::set_sines): the general propagator
    /// (the fused paths know nothing of `P`) and one (empty) list of terms per neuron.
    pub fn expect_sines(&mut self) {
        if self.sines.is_empty() {
            self.expect_drive();
            self.use_general_propagator();
            self.sines = vec![Vec::new(); self.n];
        }
    }

    /// Neuron `i`'s sinusoidal drives from its current time on (it has been advanced there).
    pub fn set_sines(&mut self, i: usize, sines: &[Sine]) {
        debug_assert!(!self.sines.is_empty(), "expect_sines first");
        let at = self.hot[i].t_last.max(self.hot[i].ref_until);
        let before = self.forced(i, at);
        let tau = 1.0 / self.scalars[i].rate_m;
        self.sines[i] = sines
            .iter()
            .map(|s| {
                let wt = s.osc.omega * tau;
                Forced {
                    rho: s.amp / 1f64.hypot(wt),
                    omega: s.osc.omega,
                    start: s.osc.start,
                    psi: s.osc.phase - wt.atan(),
                }
            })
            .collect();
        // V (or the V it is held at) unchanged: U takes the difference of the responses
        let after = self.forced(i, at);
        self.hot[i].v += before - after;
    }

    /// `P(t)` of neuron `i` (0 without sinusoids).
    #[inline]
    pub(super) fn forced(&self, i: usize, t: f64) -> f64 {
        match self.sines.get(i) {
            None => 0.0,
            Some(f) => f
                .iter()
                .map(|f| f.rho * (f.omega * (t - f.start) + f.psi).sin())
                .sum(),
        }
    }

    /// True if neuron `i` has a sinusoidal drive now.
    #[inline]
    pub(super) fn driven(&self, i: usize) -> bool {
        self.sines.get(i).is_some_and(|f| !f.is_empty())
    }

    /// The first crossing of `U + P` in `[now, end)`, exactly (`budget` none) or as far as
    /// `budget` intervals of the search reach (then a check time).
    pub(super) fn next_sine(&self, i: usize, end: f64, budget: Option<usize>) -> Next {
        let now = self.hot[i].t_last;
        let t0 = now.max(self.hot[i].ref_until);
        if t0 >= end {
            return Next::Never;
        }
        let mut l = self.local(i);
        if t0 > now {
            self.evolve(i, &mut l, t0 - now, true);
        }
        let (ns, nt) = (self.layout.n_state, self.layout.n_thr);
        let poly = self.distance_poly(i, l.v, &l.s[..ns], &l.th[..nt]);
        let waves: Vec<Wave> = self.sines[i]
            .iter()
            .map(|f| {
                let phase = f.omega * (t0 - f.start) + f.psi;
                // (amplitudes ≥ 0: a negative one is the same wave half a period on)
                let (amp, phase) = if f.rho < 0.0 {
                    (-f.rho, phase + std::f64::consts::PI)
                } else {
                    (f.rho, phase)
                };
                Wave {
                    amp,
                    omega: f.omega,
                    phase,
                }
            })
            .collect();
        let v_th = self.consts(i).1;
        // V − θ at t0 + s from the closed-form propagator, as the threshold test sees it
        let value = |s: f64| {
            let mut m = l;
            self.evolve(i, &mut m, s, false);
            m.v + self.forced(i, t0 + s) - v_th - m.th[..nt].iter().sum::<f64>()
        };
        match first_crossing(&poly, &waves, value, t0, end, budget) {
            Found::Crossing(t) => Next::Spike(t),
            Found::Never => Next::Never,
            Found::Clear(t) => Next::Check(t),
        }
    }

    /// [`next_bound`](Self::next_bound) for a driven neuron: first the quadratic bound
    /// `f(s) ≤ f(0) + f'(0) s + K s²/2` (`K` bounds `f''`: the terms' curvature plus
    /// `Σ |ρ| ω²`), which costs one `cos` and no search; when that leaves less than the
    /// search's first segment, the search within a budget.
    pub(super) fn bound_sine(&self, i: usize, end: f64) -> Next {
        let h = &self.hot[i];
        let t0 = h.t_last;
        if t0 < h.ref_until {
            return self.next_sine(i, end, Some(BOUND_BUDGET));
        }
        if t0 >= end {
            return Next::Never;
        }
        let (ns, nt) = (self.layout.n_state, self.layout.n_thr);
        let (st, th) = (&self.block(i)[..ns], &self.thr[i * nt..(i + 1) * nt]);
        let f0 = h.v + self.forced(i, t0) - self.consts(i).1 - th.iter().sum::<f64>();
        if f0 >= 0.0 {
            return Next::Spike(t0);
        }
        let (mut slope, mut curv, mut omega) = (self.slope_at(i, h.v, st, th), 0.0, 0.0f64);
        for f in &self.sines[i] {
            slope += f.rho * f.omega * (f.omega * (t0 - f.start) + f.psi).cos();
            curv += f.rho.abs() * f.omega * f.omega;
            omega = omega.max(f.omega);
        }
        curv += self.distance_poly(i, h.v, st, th).curvature_bound();
        // the first root of f0 + slope·s + curv·s²/2, without cancellation, shrunk by 1e-9
        let s = crate::neuron::bound::quadratic_bound(f0, slope, curv);
        if s.is_nan() || s < std::f64::consts::TAU / omega / 64.0 {
            return self.next_sine(i, end, Some(BOUND_BUDGET));
        }
        let tc = t0 + s;
        if tc >= end {
            Next::Never
        } else {
            Next::Check(tc)
        }
    }
}
