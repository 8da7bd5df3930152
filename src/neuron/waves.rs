//! Sinusoidal drive: the first threshold crossing of an exponential polynomial plus
//! sinusoids.
//!
//! A `lif` neuron driven by `I(t) = a sin(ω t + φ)` (PyNN's `ACSource`, NEST's
//! `ac_generator`) has the periodic particular solution `P(t) = ρ sin(ω t + φ − δ)`,
//! `ρ = a / √(1 + (ωτ)²)`, `δ = atan(ωτ)` (τ the membrane time constant), and
//! `V = U + P` with `U` the neuron without the sinusoid: still closed form. Its distance
//! to threshold is then
//!
//! ```text
//! f(s) = g(s) + Σ_k A_k sin(ω_k s + φ_k),     g an ExpPoly
//! ```
//!
//! for which Rolle's argument ([`crossing`](super::crossing)) does not apply: a sinusoid
//! has no finite reduction. [`first_crossing`] isolates the first root by interval
//! enclosure instead: on `[a, b]` an upper bound of `f` (each monomial of `g` shifted to
//! `a` and bounded on its own, each sinusoid's exact maximum over the interval) that is
//! negative clears the interval; a derivative bounded away from zero (the same enclosure of
//! `f'`) with `f < 0` at both ends clears it too; otherwise it is halved, left half first,
//! down to adjacent floats. So no crossing is skipped (a graze is resolved to the float),
//! and the first one is refined by bisection to the float at which `f ≥ 0` first holds.
//! The search starts on a grid fixed by the drive alone (1/64 of the fastest sinusoid's
//! period, then doublings), so a root's bits never depend on the horizon.

use super::crossing::{max_monomial, ExpPoly, Term, N_COEFFS};
use super::kernels::{d1, d2};
use std::f64::consts::{FRAC_PI_2, PI, TAU};

/// The time course of a sinusoidal drive: `sin(omega · (t − start) + phase)`.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct Oscillation {
    /// Angular frequency, > 0 \[rad/ms\].
    pub omega: f64,
    /// The time its phase is given at \[ms\].
    pub start: f64,
    /// Phase at `start` \[rad\].
    pub phase: f64,
}

/// A sinusoidal drive of a neuron: `amp · sin(ω (t − start) + φ)` \[mV\], `R·I` as the
/// neuron's other drives.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct Sine {
    /// Amplitude \[mV\] (any sign).
    pub amp: f64,
    /// Its frequency and phase.
    pub osc: Oscillation,
}

/// One sinusoid `amp · sin(omega · s + phase)` of the time `s` since the search's origin.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct Wave {
    /// Amplitude, ≥ 0 \[mV\].
    pub amp: f64,
    /// Angular frequency, > 0 \[rad/ms\].
    pub omega: f64,
    /// Phase at `s = 0` \[rad\].
    pub phase: f64,
}

impl Wave {
    /// Value at `s`.
    #[inline]
    pub fn at(&self, s: f64) -> f64 {
        self.amp * (self.omega * s + self.phase).sin()
    }

    /// Derivative at `s`.
    #[inline]
    fn slope_at(&self, s: f64) -> f64 {
        self.amp * self.omega * (self.omega * s + self.phase).cos()
    }

    /// Upper bound of `amp · sin(θ)` for θ from `omega·a + phase + shift` to
    /// `omega·b + phase + shift`: its maximum, widened by the rounding of the phases.
    fn sup_on(&self, a: f64, b: f64, shift: f64, scale: f64) -> f64 {
        // (an infinite or NaN width holds a peak too)
        if b - a >= TAU / self.omega || (b - a).is_nan() {
            return scale;
        }
        let (ta, tb) = (
            self.omega * a + self.phase + shift,
            self.omega * b + self.phase + shift,
        );
        // a peak at π/2 + 2πn inside [ta, tb] (phases err by a few ulps of their size)
        let slack = 8.0 * f64::EPSILON * (ta.abs() + tb.abs() + 1.0);
        let n = ((ta - slack - FRAC_PI_2) / TAU).ceil();
        if FRAC_PI_2 + TAU * n <= tb + slack {
            return scale;
        }
        scale * ta.sin().max(tb.sin()) + scale * slack
    }
}

/// The sum of the waves at `s`.
#[inline]
pub fn waves_at(waves: &[Wave], s: f64) -> f64 {
    waves.iter().map(|w| w.at(s)).sum()
}

/// The sum of the waves' slopes at `s`.
pub fn waves_slope_at(waves: &[Wave], s: f64) -> f64 {
    waves.iter().map(|w| w.slope_at(s)).sum()
}

/// Upper bound of `Σ c_k x^k e^{-λx}` on `[0, h]`, each monomial on its own.
fn sup_shifted(rate: f64, c: &[f64; N_COEFFS], h: f64) -> f64 {
    let mut s = 0.0;
    for (k, &ck) in c.iter().enumerate() {
        if ck > 0.0 {
            s += ck * max_monomial(k, rate, h);
        } else if ck < 0.0 && k == 0 {
            s += ck
                * if h.is_finite() {
                    (-rate * h).exp()
                } else {
                    0.0
                };
        }
    }
    s
}

/// A term's polynomial re-centred at `a`: `P(x + a)`.
fn shift(c: &[f64; N_COEFFS], a: f64) -> [f64; N_COEFFS] {
    [
        c[0] + a * (c[1] + a * (c[2] + a * c[3])),
        c[1] + a * (2.0 * c[2] + 3.0 * a * c[3]),
        c[2] + 3.0 * a * c[3],
        c[3],
    ]
}

/// The term's derivative: `(P' − λP) e^{-λt}`, again a term of the same rate.
fn derivative(t: &Term) -> Term {
    let c = t.c;
    let mut d = [0.0; N_COEFFS];
    for (k, dk) in d.iter_mut().enumerate() {
        let next = if k + 1 < N_COEFFS {
            (k + 1) as f64 * c[k + 1]
        } else {
            0.0
        };
        *dk = next - t.rate * c[k];
    }
    Term { rate: t.rate, c: d }
}

/// Upper bound on `[a, b]` (`b` may be infinite) of the terms, times `sign`.
fn terms_sup(terms: &[Term], a: f64, b: f64, sign: f64) -> f64 {
    let h = b - a;
    let mut s = 0.0;
    for t in terms {
        let mut c = shift(&t.c, a);
        c.iter_mut().for_each(|x| *x *= sign);
        let scale = if t.rate == 0.0 {
            1.0
        } else {
            (-t.rate * a).exp()
        };
        let v = sup_shifted(t.rate, &c, h);
        if v != 0.0 {
            s += scale * v;
        }
    }
    s
}

/// A membrane kernel term `c · D_k(s)` of the distance (k = 1: an exp current's response,
/// `D1 = ∫₀ˢ e^{−μ(s−u)} e^{−λu} du`; k = 2: an alpha current's second part,
/// `D2 = ∫₀ˢ e^{−μ(s−u)} u e^{−λu} du`). Kept whole rather than as its exponentials, whose
/// coefficients grow like `1/(λ−μ)²` and cancel when the rates are close: bounded that way
/// an interval never clears, and the search crawled from float to float (a neuron with an
/// alpha receptor of τ = 10.0001 ms on τ_m = 10 ms and a sinusoid hung). `D_k` is
/// log-concave (a convolution of log-concave functions), so unimodal: its exact range on an
/// interval follows from its ends, and its peak from the tangents of `ln D_k` there.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct Kernel {
    /// Coefficient \[mV\].
    pub c: f64,
    /// Membrane rate μ > 0 \[1/ms\].
    pub mu: f64,
    /// Current rate λ > 0 \[1/ms\].
    pub lam: f64,
    /// 1 or 2.
    pub order: u8,
}

impl Kernel {
    /// `D_k(s)`, accurate for every pair of rates (`neuron::kernels`).
    fn d(&self, s: f64) -> f64 {
        if self.order == 1 {
            d1(self.mu, self.lam, s)
        } else {
            d2(self.mu, self.lam, s)
        }
    }

    /// The current's own shape `E(s)` (`e^{−λs}` or `s e^{−λs}`): `D_k' = E − μ D_k`.
    fn e(&self, s: f64) -> f64 {
        let x = (-self.lam * s).exp();
        if self.order == 1 {
            x
        } else {
            s * x
        }
    }

    /// Largest `D_k` on `[a, b]` (`b` may be infinite), a little above it for rounding.
    fn d_max(&self, a: f64, b: f64) -> f64 {
        let up = 1.0 + 1e-12;
        let da = self.d(a);
        let ka = self.e(a) - self.mu * da;
        if da > 0.0 && ka <= 0.0 {
            // past the peak: falling from a on (at a = 0, D = D' = 0 for D2, which rises)
            return da * up;
        }
        // the peak anywhere: D1 ≤ s e^{−ms} ≤ 1/(e m), D2 ≤ s² e^{−ms}/2 ≤ 2/(e m)², m the
        // smaller rate
        let m = self.mu.min(self.lam);
        let r = 1.0 / (std::f64::consts::E * m);
        let global = if self.order == 1 { r } else { 2.0 * r * r } * up;
        if !b.is_finite() {
            return global;
        }
        let db = self.d(b);
        if db.is_nan() || db <= 0.0 {
            // (underflowed far past the peak: nothing to take a tangent of)
            return global;
        }
        let kb = self.e(b) - self.mu * db;
        if kb >= 0.0 {
            // still rising at b
            return (db * up).min(global);
        }
        // the peak inside: ln D lies below its tangents at a and at b (concave), so below
        // their lower envelope, whose top is where they meet
        let (sb, lb) = (kb / db, db.ln());
        let top = if da > 0.0 {
            let (sa, la) = (ka / da, da.ln());
            let x = ((lb - la + sa * a - sb * b) / (sa - sb)).clamp(a, b);
            (la + sa * (x - a)).min(lb + sb * (x - b))
        } else {
            // (D = 0 at a = 0: the tangent at b alone, at a)
            lb + sb * (a - b)
        };
        let v = top.exp();
        if v.is_nan() {
            return global;
        }
        (v.max(da.max(db)) * up).min(global)
    }

    /// Upper bound of `sign · c · D_k` on `[a, b]` (`b` may be infinite).
    fn sup(&self, a: f64, b: f64, sign: f64) -> f64 {
        let k = sign * self.c;
        if k >= 0.0 {
            k * self.d_max(a, b)
        } else if b.is_finite() {
            // the least value of a unimodal function is at an end
            k * self.d(a).min(self.d(b)) * (1.0 - 1e-12)
        } else {
            0.0
        }
    }

    /// Upper bound of `sign · c · D_k'` on `[a, b]`: `c E` and `−c μ D_k` each on its own.
    fn slope_sup(&self, a: f64, b: f64, sign: f64) -> f64 {
        let k = sign * self.c;
        // E: e^{−λs} falls; s e^{−λs} peaks at 1/λ
        let e = |s: f64| if s.is_finite() { self.e(s) } else { 0.0 };
        let (e_max, e_min) = if self.order == 1 {
            (e(a), e(b))
        } else {
            (e((1.0 / self.lam).clamp(a, b)), e(a).min(e(b)))
        };
        let from_e = if k >= 0.0 { k * e_max } else { k * e_min };
        let from_e = from_e + from_e.abs() * 1e-12;
        from_e
            + Kernel {
                c: -self.c * self.mu,
                ..*self
            }
            .sup(a, b, sign)
    }
}

/// The enclosure of `f = g + Σ kernels + Σ waves` and of `f'`.
struct Enclosure<'a> {
    terms: &'a [Term],
    slopes: [Term; super::crossing::MAX_TERMS],
    kernels: &'a [Kernel],
    waves: &'a [Wave],
}

impl Enclosure<'_> {
    /// Upper bound of `f` on `[a, b]`.
    fn sup(&self, a: f64, b: f64) -> f64 {
        terms_sup(self.terms, a, b, 1.0)
            + self.kernels.iter().map(|k| k.sup(a, b, 1.0)).sum::<f64>()
            + self
                .waves
                .iter()
                .map(|w| w.sup_on(a, b, 0.0, w.amp))
                .sum::<f64>()
    }

    /// Whether `f'` keeps one sign on `[a, b]`.
    fn monotone(&self, a: f64, b: f64) -> bool {
        let slopes = &self.slopes[..self.terms.len()];
        let up = terms_sup(slopes, a, b, 1.0)
            + self
                .kernels
                .iter()
                .map(|k| k.slope_sup(a, b, 1.0))
                .sum::<f64>()
            + self
                .waves
                .iter()
                .map(|w| w.sup_on(a, b, FRAC_PI_2, w.amp * w.omega))
                .sum::<f64>();
        if up < 0.0 {
            return true;
        }
        // −f' ≤ …: the sinusoids' slopes shifted by π more
        let down = terms_sup(slopes, a, b, -1.0)
            + self
                .kernels
                .iter()
                .map(|k| k.slope_sup(a, b, -1.0))
                .sum::<f64>()
            + self
                .waves
                .iter()
                .map(|w| w.sup_on(a, b, FRAC_PI_2 + PI, w.amp * w.omega))
                .sum::<f64>();
        down < 0.0
    }
}

/// The first time `t` in `[origin, end)` at which `f(t − origin) ≥ 0`, where
/// `f = poly + Σ kernels + Σ waves` and `value` evaluates `f` of the time since `origin`
/// (more precisely than the terms where the model can: it decides signs, the terms only
/// bound); `None` if there is none.
pub fn first_crossing(
    poly: &ExpPoly,
    kernels: &[Kernel],
    waves: &[Wave],
    value: impl Fn(f64) -> f64,
    origin: f64,
    end: f64,
) -> Option<f64> {
    let f0 = value(0.0);
    if f0 >= 0.0 {
        return (origin < end).then_some(origin);
    }
    if origin.partial_cmp(&end) != Some(std::cmp::Ordering::Less)
        || !f0.is_finite()
        || !poly.is_finite()
        || !kernels
            .iter()
            .all(|k| k.c.is_finite() && k.mu > 0.0 && k.lam > 0.0)
    {
        debug_assert!(f0.is_finite(), "internal error: non-finite neuron state");
        return None;
    }
    let mut enc = Enclosure {
        terms: poly.terms(),
        slopes: [Term::default(); super::crossing::MAX_TERMS],
        kernels,
        waves,
    };
    for (d, t) in enc.slopes.iter_mut().zip(poly.terms()) {
        *d = derivative(t);
    }
    // Segments of the time since `origin`, fixed by the drive: 1/64 of the fastest
    // sinusoid's period (1/64 ms without), then doublings: a crossing near `origin` (the
    // common case after a check) is isolated on short intervals, a far one in few segments.
    let omega = waves.iter().map(|w| w.omega).fold(0.0, f64::max);
    let first = if omega > 0.0 { TAU / omega } else { 1.0 } / 64.0;
    let horizon = end - origin;
    let (mut a, mut fa) = (0.0, f0);
    let mut b = first;
    // intervals (a, b, f(a), f(b)) still to examine within the segment, the leftmost last
    let mut stack: Vec<(f64, f64, f64, f64)> = Vec::with_capacity(64);
    loop {
        if a >= horizon {
            return None;
        }
        // nothing left to reach: the terms' bound from here on plus every amplitude
        if enc.sup(a, f64::INFINITY) < 0.0 {
            return None;
        }
        let fb = value(b);
        stack.clear();
        stack.push((a, b, fa, fb));
        while let Some((lo, hi, flo, fhi)) = stack.pop() {
            let mid = lo + 0.5 * (hi - lo);
            let tiny = origin + mid <= origin + lo || origin + mid >= origin + hi;
            if fhi >= 0.0 {
                // a crossing in (lo, hi]: the only one if f is monotone there
                if tiny || enc.monotone(lo, hi) {
                    let t = refine(&value, origin, lo, hi);
                    return (t < end).then_some(t);
                }
            } else if tiny || enc.sup(lo, hi) < 0.0 || enc.monotone(lo, hi) {
                continue;
            }
            let fmid = value(mid);
            // (when f(mid) ≥ 0 the right half no longer matters: a crossing is in the left)
            if fmid < 0.0 {
                stack.push((mid, hi, fmid, fhi));
            }
            stack.push((lo, mid, flo, fmid));
        }
        a = b;
        fa = fb;
        b *= 2.0;
        if a >= horizon {
            return None;
        }
    }
}

/// The first float `t = origin + s`, `s` in `(lo, hi]`, with `f(s) ≥ 0`, by bisection in
/// absolute time (`f(lo) < 0 ≤ f(hi)`, one sign change between).
fn refine(value: &impl Fn(f64) -> f64, origin: f64, lo: f64, hi: f64) -> f64 {
    let (mut tl, mut th) = (origin + lo, origin + hi);
    loop {
        let tm = tl + 0.5 * (th - tl);
        if tm <= tl || tm >= th {
            return th;
        }
        if value(tm - origin) >= 0.0 {
            th = tm;
        } else {
            tl = tm;
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The first crossing by dense sampling then bisection: a reference for small cases.
    fn sampled(f: &impl Fn(f64) -> f64, end: f64, n: usize) -> Option<f64> {
        let mut lo = 0.0;
        for k in 1..=n {
            let s = end * k as f64 / n as f64;
            if f(s) >= 0.0 {
                return Some(refine(f, 0.0, lo, s));
            }
            lo = s;
        }
        None
    }

    fn poly(c0: f64, terms: &[(f64, f64)]) -> ExpPoly {
        let mut p = ExpPoly::new();
        p.add(0.0, 0, c0);
        for &(rate, c) in terms {
            p.add(rate, 0, c);
        }
        p
    }

    #[test]
    fn a_pure_sinusoid_crosses_where_its_closed_form_says() {
        // -1 + 2 sin(s): first ≥ 0 at s = π/6
        let p = poly(-1.0, &[]);
        let w = [Wave {
            amp: 2.0,
            omega: 1.0,
            phase: 0.0,
        }];
        let f = |s: f64| p.eval(s) + waves_at(&w, s);
        let t = first_crossing(&p, &[], &w, f, 0.0, 100.0).expect("a crossing");
        assert!((t - PI / 6.0).abs() < 1e-15, "{t}");
    }

    #[test]
    fn a_sinusoid_that_stays_below_never_crosses_and_costs_little() {
        let p = poly(-1.0, &[(0.1, -3.0)]);
        let w = [Wave {
            amp: 0.999,
            omega: 3.0,
            phase: 0.3,
        }];
        let calls = std::cell::Cell::new(0);
        let f = |s: f64| {
            calls.set(calls.get() + 1);
            p.eval(s) + waves_at(&w, s)
        };
        assert_eq!(first_crossing(&p, &[], &w, f, 5.0, 1e6), None);
        // (the terms' bound to infinity plus the amplitude rules out the rest early)
        assert!(calls.get() < 200, "{} evaluations", calls.get());
    }

    #[test]
    fn a_crossing_after_many_grazing_peaks_is_found() {
        // peaks just below zero for a while (rising envelope), then a crossing
        let p = poly(-1.0, &[(0.01, -0.05)]);
        let w = [Wave {
            amp: 1.0 + 1e-4,
            omega: 2.0,
            phase: 0.0,
        }];
        let f = |s: f64| p.eval(s) + waves_at(&w, s);
        let t = first_crossing(&p, &[], &w, f, 0.0, 1e4).expect("a crossing");
        let want = sampled(&f, 1e4, 4_000_000).unwrap();
        assert!((t - want).abs() < 1e-9, "{t} vs {want}");
    }

    proptest::proptest! {
        /// A kernel's bounds on an interval hold its values there (dense samples), and its
        /// largest value is found within 1e-6 of the interval's scale on short intervals.
        #[test]
        fn kernel_bounds_enclose_the_kernel(
            mu in 0.01f64..2.0,
            rel in -1.0f64..1.0,
            tiny in proptest::bool::ANY,
            two in proptest::bool::ANY,
            c in -5.0f64..5.0,
            a in proptest::prop_oneof![proptest::strategy::Just(0.0), 0.0f64..40.0],
            w in proptest::prop_oneof![1e-6f64..20.0, 100.0f64..20_000.0],
        ) {
            // rates far apart or within 1e-6 relative (where the separated forms cancel)
            let lam = mu * (1.0 + if tiny { rel * 1e-6 } else { rel * 0.9 });
            let k = Kernel { c, mu, lam, order: if two { 2 } else { 1 } };
            let b = a + w;
            let (up, down) = (k.sup(a, b, 1.0), -k.sup(a, b, -1.0));
            let (sup_d, down_d) = (k.slope_sup(a, b, 1.0), -k.slope_sup(a, b, -1.0));
            let mut hi = f64::NEG_INFINITY;
            // (evenly, and densely near a, where the kernels start at 0)
            for j in 0..=4001 {
                let x = (j % 2001) as f64 / 2000.0;
                let s = a + w * if j <= 2000 { x } else { x * x * x };
                let v = c * k.d(s);
                let dv = c * (k.e(s) - mu * k.d(s));
                hi = hi.max(v);
                proptest::prop_assert!(v <= up + 1e-15 * v.abs() && v >= down - 1e-15 * v.abs(),
                    "{} not in [{}, {}] at {}", v, down, up, s);
                proptest::prop_assert!(dv <= sup_d + 1e-13 && dv >= down_d - 1e-13,
                    "slope {} not in [{}, {}] at {}", dv, down_d, sup_d, s);
            }
            // tight where the interval is short against the kernel's time scale
            if w * mu.max(lam) < 0.01 {
                proptest::prop_assert!(up - hi <= 1e-6 * (hi.abs() + c.abs() / mu), "{} vs {}", up, hi);
            }
            // from a to infinity: still above every value ahead
            let far = k.sup(a, f64::INFINITY, 1.0);
            proptest::prop_assert!(far >= hi - 1e-15 * hi.abs());
        }

        /// Near-degenerate kernels (alpha and exp currents with rates within 1e-6 of the
        /// membrane's) plus sinusoids: the search ends, never later than dense sampling.
        #[test]
        fn near_degenerate_kernels_with_sinusoids_are_searched_exactly(
            c0 in -3.0f64..-0.5,
            k1 in -20.0f64..20.0,
            k2 in -20.0f64..20.0,
            rel in -1e-6f64..1e-6,
            amp in 0.0f64..3.0,
            omega in 0.05f64..5.0,
            phase in -7.0f64..7.0,
        ) {
            let mu = 0.1;
            let lam = mu * (1.0 + rel);
            let mut p = ExpPoly::new();
            p.add(0.0, 0, c0);
            let ks = [
                Kernel { c: k1, mu, lam, order: 1 },
                Kernel { c: k2, mu, lam, order: 2 },
            ];
            let w = [Wave { amp, omega, phase }];
            let f = |s: f64| c0 + ks.iter().map(|k| k.c * k.d(s)).sum::<f64>() + waves_at(&w, s);
            let end = 60.0;
            let got = first_crossing(&p, &ks, &w, f, 0.0, end);
            let want = sampled(&f, end, 200_000);
            match (got, want) {
                (Some(t), Some(u)) => {
                    proptest::prop_assert!(t <= u + 1e-12, "{} after {}", t, u);
                    proptest::prop_assert!(f(t) >= 0.0);
                }
                (Some(t), None) => proptest::prop_assert!(f(t) >= 0.0),
                (None, Some(u)) => proptest::prop_assert!(false, "missed {}", u),
                (None, None) => {}
            }
        }

        /// Against dense sampling: the search never reports a crossing later than one the
        /// samples see, and a crossing it reports is a sign change to the float.
        #[test]
        fn never_misses_a_crossing_dense_sampling_finds(
            c0 in -3.0f64..-0.1,
            c1 in -4.0f64..4.0,
            r1 in 0.05f64..2.0,
            c2 in -4.0f64..4.0,
            r2 in 0.05f64..2.0,
            amp in 0.0f64..3.0,
            omega in 0.05f64..5.0,
            phase in -7.0f64..7.0,
            amp2 in 0.0f64..1.0,
            omega2 in 0.05f64..20.0,
        ) {
            let mut p = poly(c0, &[(r1, c1)]);
            p.add(r2 + 2.5, 0, c2);
            let w = [
                Wave { amp, omega, phase },
                Wave { amp: amp2, omega: omega2, phase: 0.0 },
            ];
            let f = |s: f64| p.eval(s) + waves_at(&w, s);
            let end = 60.0;
            let got = first_crossing(&p, &[], &w, f, 0.0, end);
            let want = sampled(&f, end, 200_000);
            match (got, want) {
                (Some(t), Some(u)) => {
                    proptest::prop_assert!(t <= u + 1e-12, "{} after {}", t, u);
                    proptest::prop_assert!(f(t) >= 0.0);
                    proptest::prop_assert!(f(t.next_down()) < 0.0 || t == 0.0);
                }
                (Some(t), None) => {
                    // a crossing between samples: it must be real
                    proptest::prop_assert!(f(t) >= 0.0);
                }
                (None, Some(u)) => proptest::prop_assert!(false, "missed {}", u),
                (None, None) => {}
            }
        }
    }
}
