//! Sinusoidal drives (`currents` with `sine`): the neuron's state holds `U = V − P(t)`,
//! where `P(t) = Σ ρ sin(ω (t − t_s) + φ − δ)` is the periodic response of the membrane to
//! its sinusoids (`ρ = a / √(1 + (ωτ)²)`, `δ = atan(ωτ)`), so everything else — channels,
//! inputs, the propagator — is the neuron without them, solved as before. `V = U + P`
//! wherever V is read: the threshold test, the crossing search (`waves`), samples. A reset
//! or a change of the drives keeps V where it must be: while V is held at `V_reset`, U is
//! held at `V_reset − P(t_ref_end)`, so that V is `V_reset` when refractoriness ends.

use super::{ChannelKind, LifPopulation};
use crate::neuron::crossing::ExpPoly;
use crate::neuron::waves::{first_crossing, Kernel, Sine, Wave};
use crate::neuron::Next;

/// One term of `P`: `rho · sin(omega · (t − start) + psi)`.
#[derive(Clone, Copy, Debug, PartialEq)]
pub(super) struct Forced {
    rho: f64,
    omega: f64,
    start: f64,
    psi: f64,
}

/// True if bit `i` of `bits` is set (false past its end: no sinusoid drives a population
/// whose bits are empty).
#[inline(always)]
pub(super) fn is_driven(bits: &[u64], i: usize) -> bool {
    bits.get(i / 64).is_some_and(|w| w >> (i % 64) & 1 != 0)
}

impl LifPopulation {
    /// Readies the population for [`set_sines`](Self::set_sines): one (empty) list of terms
    /// per neuron and the bits that send driven neurons off the fused paths. The propagator
    /// stays the population's: U evolves as V would without the sinusoids.
    pub fn expect_sines(&mut self) {
        if self.sines.is_empty() {
            self.expect_drive();
            self.sines = vec![Vec::new(); self.n];
            self.driven = vec![0; self.n.div_ceil(64)];
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
        let bit = 1u64 << (i % 64);
        if sines.is_empty() {
            self.driven[i / 64] &= !bit;
        } else {
            self.driven[i / 64] |= bit;
        }
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
        is_driven(&self.driven, i)
    }

    /// The first crossing of `U + P` in `[now, end)`, exactly.
    pub(super) fn next_sine(&self, i: usize, end: f64) -> Option<f64> {
        let now = self.hot[i].t_last;
        let t0 = now.max(self.hot[i].ref_until);
        if t0 >= end {
            return None;
        }
        let mut l = self.local(i);
        if t0 > now {
            self.evolve(i, &mut l, t0 - now, true);
        }
        let (ns, nt) = (self.layout.n_state, self.layout.n_thr);
        let (poly, kernels) = self.distance_kernels(i, l.v, &l.s[..ns], &l.th[..nt]);
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
        first_crossing(&poly, &kernels, &waves, value, t0, end)
    }

    /// The distance to threshold of U (V without the sinusoids) from state `v`, `st`, `th`
    /// as exponentials (V∞ − θ, V's own decay, threshold terms) and each channel's
    /// response as a whole kernel (`μ I₀ D1`, and `μ J₀ D2` for alpha): the same function
    /// as `distance_poly`, without its separated forms, whose coefficients cancel when a
    /// channel's rate is close to μ, nor its truncated series there.
    fn distance_kernels(&self, i: usize, v: f64, st: &[f64], th: &[f64]) -> (ExpPoly, Vec<Kernel>) {
        let ((mu, rates), (v_inf, v_th)) = (self.rates_of(i), self.consts(i));
        let mut p = ExpPoly::new();
        p.add(0.0, 0, v_inf - v_th);
        p.add(mu, 0, v - v_inf);
        let mut kernels = Vec::with_capacity(2 * self.layout.channels.len());
        for (c, kind) in self.layout.channels.iter().enumerate() {
            let (lam, o) = (rates[c], self.layout.offsets[c]);
            let mut push = |coef: f64, order| {
                if coef != 0.0 {
                    kernels.push(Kernel {
                        c: coef,
                        mu,
                        lam,
                        order,
                    });
                }
            };
            push(mu * st[o], 1);
            if *kind == ChannelKind::Alpha {
                push(mu * st[o + 1], 2);
            }
        }
        let nt = self.layout.n_thr;
        for (rate, x) in self.thr_rate[i * nt..(i + 1) * nt].iter().zip(th) {
            p.add(*rate, 0, -x);
        }
        (p, kernels)
    }

    /// [`next_bound`](Self::next_bound) for a driven neuron: the later of two quadratic
    /// bounds, `f(s) ≤ f(0) + f'(0) s + K s²/2` (`K` bounds `f''`: the terms' curvature plus
    /// `Σ |ρ| ω²`; one `cos` per sinusoid) and the same for `U` with the sinusoids' largest
    /// sum `Σ |ρ|` added (better where they are fast and small). No search: an exact one
    /// waits for a check, which the bound's accuracy makes rare enough (see performance.md,
    /// "Sinusoidal currents"). While refractory, the end of refractoriness.
    pub(super) fn bound_sine(&self, i: usize, end: f64) -> Next {
        let h = &self.hot[i];
        let t0 = h.t_last;
        if t0 < h.ref_until {
            // (nothing crosses while V is held; the check at the end bounds from there)
            return if h.ref_until >= end {
                Next::Never
            } else {
                Next::Check(h.ref_until)
            };
        }
        if t0 >= end {
            return Next::Never;
        }
        let (ns, nt) = (self.layout.n_state, self.layout.n_thr);
        let (st, th) = (&self.block(i)[..ns], &self.thr[i * nt..(i + 1) * nt]);
        let (v_th, th_sum) = (self.consts(i).1, th.iter().sum::<f64>());
        // (f0 rounded as the solver's value and the threshold test round it: a graze within
        // an ulp is then "crossing now" for all three)
        let f0 = h.v + self.forced(i, t0) - v_th - th_sum;
        let u0 = h.v - v_th - th_sum;
        if f0 >= 0.0 {
            return Next::Spike(t0);
        }
        let slope_u = self.slope_at(i, h.v, st, th);
        let curv_u = self.distance_poly(i, h.v, st, th).curvature_bound();
        let (mut slope, mut curv, mut peak) = (slope_u, curv_u, 0.0);
        for f in &self.sines[i] {
            slope += f.rho * f.omega * (f.omega * (t0 - f.start) + f.psi).cos();
            curv += f.rho.abs() * f.omega * f.omega;
            peak += f.rho.abs();
        }
        // the first roots of f0 + slope·s + curv·s²/2 and of (U's) + Σ|ρ|, without
        // cancellation, shrunk by 1e-9
        let mut s = crate::neuron::bound::quadratic_bound(f0, slope, curv);
        if u0 + peak < 0.0 {
            s = s.max(crate::neuron::bound::quadratic_bound(
                u0 + peak,
                slope_u,
                curv_u,
            ));
        }
        let tc = t0 + s;
        if tc >= end {
            Next::Never
        } else {
            Next::Check(tc)
        }
    }
}
