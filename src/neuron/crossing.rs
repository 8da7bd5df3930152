//! Exact threshold crossings of exponential-polynomial sums.
//!
//! Between two events the distance to threshold of every linear model in this crate is an
//! *exponential polynomial*
//!
//! ```text
//! g(t) = Σ_i P_i(t) · exp(-λ_i t),   λ_i ≥ 0 distinct,  deg P_i ≤ 3
//! ```
//!
//! ([`ExpPoly`]). [`first_crossing`] returns the first `t` in `[0, T)` with `g(t) ≥ 0`, and
//! never misses one. The argument (repeated in `docs/models.md`) is Rolle's theorem applied
//! recursively:
//!
//! * `G(t) = exp(λ_1 t) g(t)` has exactly the zeros of `g`.
//! * `G'(t) = exp(λ_1 t) h(t)` with `h = g' + λ_1 g`, again an exponential polynomial, with one
//!   coefficient fewer (the degree of `P_1` drops by one; a constant `P_1` disappears).
//! * Between two consecutive zeros of `h`, `G` is monotone, so `g` changes sign at most once
//!   there and its sign at the interval ends decides whether it does.
//!
//! The zeros of `h` are found by the same procedure, down to a single term `c·exp(-λt)`,
//! which has no zero unless it vanishes identically. Every level brackets each of its roots
//! between points of opposite sign, so no root that changes sign is lost; a root at which `g`
//! only touches zero (a graze) is an interior maximum of `g` and is therefore one of the
//! bracketed zeros of `h`, where `g` is evaluated directly.

/// Highest number of distinct rates in one [`ExpPoly`].
pub const MAX_TERMS: usize = 18;
/// Coefficients per term (a count, not a degree: polynomials of degree at most 3).
pub const N_COEFFS: usize = 4;

/// Sup and -inf over `x ≥ 0` of `-e^{-x}` and `x^{k-1}(k-x)e^{-x}` (the derivative of
/// `t^k e^{-λt}` over `λ^{1-k}`), k = 0..3, rounded up.
pub(crate) const SLOPE_SUP: [f64; N_COEFFS] = [0.0, 1.0, 0.4613, 0.7839];
/// See [`SLOPE_SUP`].
pub(crate) const SLOPE_NEG: [f64; N_COEFFS] = [1.0, 0.1354, 0.1590, 0.3418];
/// Sup and -inf over `x ≥ 0` of `e^{-x}`, `(x-2)e^{-x}`, `(2-4x+x²)e^{-x}` and
/// `x(6-6x+x²)e^{-x}` (the second derivative of `t^k e^{-λt}` over `λ^{2-k}`), rounded up.
pub(crate) const CURV_SUP: [f64; N_COEFFS] = [1.0, 0.04979, 2.0, 1.00909];
/// See [`CURV_SUP`].
pub(crate) const CURV_NEG: [f64; N_COEFFS] = [0.0, 2.0, 0.41202, 0.57881];
/// `e^{-k}`: the maximum of `t^k e^{-λt}` is `(k/λ)^k e^{-k}`.
pub(crate) const E_NEG: [f64; N_COEFFS] = [
    1.0,
    0.36787944117144233,
    0.1353352832366127,
    0.049787068367863944,
];

/// One term `(c[0] + c[1] t + c[2] t² + c[3] t³) · exp(-rate · t)`.
#[derive(Clone, Copy, Debug, Default, PartialEq)]
pub struct Term {
    /// Decay rate λ ≥ 0 \[1/ms\].
    pub rate: f64,
    /// Polynomial coefficients, lowest degree first.
    pub c: [f64; N_COEFFS],
}

impl Term {
    fn degree(&self) -> Option<usize> {
        (0..N_COEFFS).rev().find(|&k| self.c[k] != 0.0)
    }

    /// Value at `t` times `exp(shift · t)`.
    #[inline]
    fn eval_shifted(&self, t: f64, shift: f64) -> f64 {
        let p = self.c[0] + t * (self.c[1] + t * (self.c[2] + t * self.c[3]));
        if p == 0.0 {
            0.0
        } else {
            p * (-(self.rate - shift) * t).exp()
        }
    }
}

/// A sum of exponential-polynomial terms with distinct rates, stored inline (no allocation).
#[derive(Clone, Copy, Debug)]
pub struct ExpPoly {
    terms: [Term; MAX_TERMS],
    len: usize,
}

impl Default for ExpPoly {
    fn default() -> Self {
        Self::new()
    }
}

impl ExpPoly {
    /// The zero function.
    pub const fn new() -> Self {
        ExpPoly {
            terms: [Term {
                rate: 0.0,
                c: [0.0; N_COEFFS],
            }; MAX_TERMS],
            len: 0,
        }
    }

    /// Adds `coef · t^power · exp(-rate t)`; terms with exactly equal rates are merged, which
    /// is what makes degenerate time constants (tau == tau_m) exact rather than perturbed.
    ///
    /// # Panics
    /// If more than [`MAX_TERMS`] distinct rates are added or `power >= N_COEFFS`; model
    /// construction checks both limits, so this is an internal error.
    pub fn add(&mut self, rate: f64, power: usize, coef: f64) {
        debug_assert!(rate >= 0.0 && rate.is_finite());
        if coef == 0.0 {
            return;
        }
        for term in &mut self.terms[..self.len] {
            if term.rate == rate {
                term.c[power] += coef;
                return;
            }
        }
        assert!(
            self.len < MAX_TERMS,
            "internal error: too many distinct rates"
        );
        self.terms[self.len] = Term {
            rate,
            c: [0.0; N_COEFFS],
        };
        self.terms[self.len].c[power] = coef;
        self.len += 1;
    }

    /// The terms, in insertion order.
    pub fn terms(&self) -> &[Term] {
        &self.terms[..self.len]
    }

    /// Value at `t`.
    #[inline]
    pub fn eval(&self, t: f64) -> f64 {
        self.terms()
            .iter()
            .map(|term| term.eval_shifted(t, 0.0))
            .sum()
    }

    /// `g(t) · exp(λ_min t)`, with λ_min the slowest rate present: the same sign as `g`, but
    /// without underflow far out, where every term of `g` itself rounds to zero and a sign
    /// change at the end of an interval would go unseen.
    #[inline]
    pub fn eval_scaled(&self, t: f64) -> f64 {
        let lmin = self
            .terms()
            .iter()
            .map(|term| term.rate)
            .fold(f64::INFINITY, f64::min);
        self.terms()
            .iter()
            .map(|term| term.eval_shifted(t, lmin))
            .sum()
    }

    /// True if every coefficient and rate is finite.
    pub fn is_finite(&self) -> bool {
        self.terms()
            .iter()
            .all(|t| t.rate.is_finite() && t.c.iter().all(|c| c.is_finite()))
    }

    /// Number of free coefficients Σ (deg P_i + 1); bounds the number of real zeros by
    /// `count - 1` (Pólya–Szegő).
    pub fn count(&self) -> usize {
        self.terms()
            .iter()
            .map(|t| t.degree().map_or(0, |d| d + 1))
            .sum()
    }

    /// An upper bound of `g` on `[0, horizon]`, each monomial bounded separately. Cheap; used
    /// to skip the exact solver when no crossing is possible.
    pub fn upper_bound(&self, horizon: f64) -> f64 {
        let mut bound = 0.0;
        for term in self.terms() {
            let decay_end = if horizon.is_finite() {
                (-term.rate * horizon).exp()
            } else if term.rate > 0.0 {
                0.0
            } else {
                1.0
            };
            for (k, &c) in term.c.iter().enumerate() {
                if c > 0.0 {
                    bound += c * max_monomial(k, term.rate, horizon);
                } else if c < 0.0 && k == 0 {
                    // min of exp(-λt) on [0, T] is at T; t^k exp(-λt) with k ≥ 1 has min 0.
                    bound += c * decay_end;
                }
            }
        }
        bound
    }

    /// An upper bound of `g'` on `[0, ∞)`: each monomial's derivative bounded separately
    /// (with `x = λt`, `d/dt t^k e^{-λt} = λ^{1-k} x^{k-1} (k - x) e^{-x}`, whose extremes are
    /// tabulated). Infinite if a polynomial term does not decay.
    pub fn slope_bound(&self) -> f64 {
        self.derivative_bound(1, &SLOPE_SUP, &SLOPE_NEG)
    }

    /// An upper bound of `g''` on `[0, ∞)`, monomial by monomial as in
    /// [`slope_bound`](Self::slope_bound): with `x = λt`,
    /// `d²/dt² t^k e^{-λt} = λ^{2-k} x^{k-2} (k(k-1) - 2k x + x²) e^{-x}`, whose extremes over
    /// `x ≥ 0` are tabulated. Infinite if a polynomial term does not decay.
    pub fn curvature_bound(&self) -> f64 {
        self.derivative_bound(2, &CURV_SUP, &CURV_NEG)
    }

    /// An upper bound on `[0, ∞)` of the `order`-th derivative (1 or 2): each monomial's
    /// derivative is `λ^{order-k}` times a function of `x = λt` whose sup and -inf are
    /// `sup[k]` and `neg[k]`.
    fn derivative_bound(&self, order: i32, sup: &[f64; N_COEFFS], neg: &[f64; N_COEFFS]) -> f64 {
        let mut m = 0.0;
        for term in self.terms() {
            let lam = term.rate;
            for (k, &c) in term.c.iter().enumerate() {
                if c == 0.0 {
                    continue;
                }
                if lam == 0.0 {
                    // a constant has no derivative; a growing polynomial has no bound
                    if k > 0 {
                        return f64::INFINITY;
                    }
                    continue;
                }
                let scale = match order - k as i32 {
                    2 => lam * lam,
                    1 => lam,
                    0 => 1.0,
                    -1 => 1.0 / lam,
                    _ => 1.0 / (lam * lam),
                };
                m += scale * if c > 0.0 { c * sup[k] } else { -c * neg[k] };
            }
        }
        m
    }

    /// `g' + rate · g`, the exponential polynomial whose zeros are the critical points of
    /// `exp(rate t) g(t)`.
    fn reduce(&self, rate: f64) -> ExpPoly {
        let mut out = ExpPoly::new();
        for term in self.terms() {
            let s = rate - term.rate;
            let c = term.c;
            // d/dt P(t) e^{-λt} + rate P e^{-λt} = (P' + (rate-λ) P) e^{-λt}
            let mut n = Term {
                rate: term.rate,
                c: [0.0; N_COEFFS],
            };
            for k in 0..N_COEFFS {
                let deriv = if k + 1 < N_COEFFS {
                    (k + 1) as f64 * c[k + 1]
                } else {
                    0.0
                };
                n.c[k] = deriv + s * c[k];
            }
            if n.degree().is_some() {
                out.terms[out.len] = n;
                out.len += 1;
            }
        }
        out
    }

    /// All points in `(a, b)` where `g` changes sign or vanishes, ascending, written into
    /// `out` (returns how many). Rigorous up to floating-point evaluation of `g`.
    fn sign_changes(
        &self,
        a: f64,
        b: f64,
        scale: f64,
        out: &mut [f64; MAX_TERMS * N_COEFFS],
    ) -> usize {
        // The count drops by one per level, so the recursion depth is at most MAX_TERMS·N_COEFFS;
        // non-finite coefficients (which validation keeps out) would break that, so stop.
        if self.count() <= 1 || !self.is_finite() {
            return 0; // c·t^k·e^{-λt} with one coefficient: no sign change for t > 0
        }
        let mut crit = [0.0; MAX_TERMS * N_COEFFS];
        let lead = self.terms().iter().find(|t| t.degree().is_some());
        let Some(lead) = lead else { return 0 };
        let ncrit = self.reduce(lead.rate).sign_changes(a, b, scale, &mut crit);
        let mut n = 0;
        let mut lo = a;
        let mut glo = self.eval_scaled(a);
        // the pieces between consecutive critical points, then up to b
        for (i, &hi) in crit[..ncrit].iter().chain(std::iter::once(&b)).enumerate() {
            let ghi = self.eval_scaled(hi);
            if hi > lo {
                if ghi == 0.0 && i < ncrit {
                    out[n] = hi;
                    n += 1;
                } else if (glo < 0.0 && ghi > 0.0) || (glo > 0.0 && ghi < 0.0) {
                    out[n] = false_position(|t| self.eval_scaled(t), lo, hi, glo, ghi, scale);
                    n += 1;
                }
            }
            lo = hi;
            glo = ghi;
        }
        n
    }
}

/// max of t^k exp(-λ t) on [0, T].
pub(crate) fn max_monomial(k: usize, rate: f64, horizon: f64) -> f64 {
    if k == 0 {
        return 1.0;
    }
    if rate == 0.0 {
        return horizon.powi(k as i32);
    }
    let peak = k as f64 / rate;
    if peak < horizon {
        // (k/λ)^k e^{-k}, without an `exp` call (on every bound of an alpha or λ = μ channel)
        return peak.powi(k as i32) * E_NEG[k];
    }
    horizon.powi(k as i32) * (-rate * horizon).exp()
}

/// A sign change of `f` in `[lo, hi]`, given `fl = f(lo)` and `fh = f(hi)` of opposite
/// signs (or `fh == 0`). Returns the right end of the final bracket: the smallest float
/// found on the far side of the sign change, with the bracket shrunk to a few ulps.
///
/// Illinois false position (superlinear on smooth functions) with a guard: whenever two
/// steps have not halved the bracket, the next step bisects, so the worst case is still
/// linear convergence.
///
/// `scale` is the absolute time of `t = 0`: the caller adds the root to it, so the bracket
/// need not be narrower than a fraction of that sum's ulp (without it, a crossing found a
/// hair after a check, `t ~ 1e-13` ms, was refined to 1e-28 ms through 50 steps of rounding
/// noise).
fn false_position(
    f: impl Fn(f64) -> f64,
    mut lo: f64,
    mut hi: f64,
    mut fl: f64,
    mut fh: f64,
    scale: f64,
) -> f64 {
    let neg = fl < 0.0;
    let mut side = 0i8;
    let mut width_before = hi - lo;
    for iter in 0..300 {
        let width = hi - lo;
        if width <= root_tolerance(lo, hi, scale) {
            break;
        }
        let force_bisect = iter % 2 == 0 && iter > 0 && width > 0.5 * width_before;
        if iter % 2 == 0 {
            width_before = width;
        }
        let mid = lo + 0.5 * width;
        let mut x = if !force_bisect && fh != fl && fl.is_finite() && fh.is_finite() {
            lo - fl * (width / (fh - fl))
        } else {
            mid
        };
        if !(x > lo && x < hi) {
            x = mid;
            if !(x > lo && x < hi) {
                break;
            }
        }
        let fx = f(x);
        let below = if neg { fx < 0.0 } else { fx > 0.0 };
        if below {
            lo = x;
            fl = fx;
            if side == -1 {
                fh *= 0.5;
            }
            side = -1;
        } else {
            hi = x;
            fh = fx;
            if side == 1 {
                fl *= 0.5;
            }
            side = 1;
        }
    }
    hi
}

/// First `t` in `[0, horizon)` at which `g(t) ≥ 0`, or `None`.
///
/// `precise` evaluates the same function as `poly` but may be more accurate (the models pass
/// the closed-form propagator, which stays accurate when two time constants nearly
/// coincide); it decides signs and refines the final root. `poly` isolates the critical
/// points. `horizon` may be infinite.
pub fn first_crossing(poly: &ExpPoly, horizon: f64, precise: impl Fn(f64) -> f64) -> Option<f64> {
    first_crossing_after(poly, horizon, |t| (precise(t), f64::NAN), 0.0)
}

/// [`first_crossing`] for a function of `t - origin`, `origin` being the absolute time its
/// `t = 0` stands for: roots are resolved to a fraction of the ulp of `origin + t` (the
/// caller's sum), not beyond. `precise` returns the value and its derivative (NaN if
/// unknown): with a derivative the final refinement takes Newton steps inside the bracket.
pub fn first_crossing_after(
    poly: &ExpPoly,
    horizon: f64,
    precise: impl Fn(f64) -> (f64, f64),
    origin: f64,
) -> Option<f64> {
    let value = |t| precise(t).0;
    let g0 = value(0.0);
    if g0 >= 0.0 {
        return Some(0.0);
    }
    if !g0.is_finite() || !poly.is_finite() {
        debug_assert!(false, "internal error: non-finite neuron state");
        return None;
    }
    if horizon.is_nan() || horizon <= 0.0 || poly.upper_bound(horizon) < 0.0 {
        return None;
    }
    // The brackets never depend on the horizon, so neither does a root's last bit: a run's
    // spikes before t are the same however long it runs. They end at the critical points,
    // then at the time past which all decaying terms only approach the constant, then at
    // doublings of it (a crossing that late needs a constant within 1e-17 of the terms
    // above 0); none is searched that starts at or past the horizon.
    let end = settle_time(poly);
    let mut crit = [0.0; MAX_TERMS * N_COEFFS];
    let lead = poly.terms().iter().find(|t| t.degree().is_some())?;
    let ncrit = poly
        .reduce(lead.rate)
        .sign_changes(0.0, end, origin, &mut crit);
    let doublings = std::iter::successors(Some(2.0 * end), |&h| Some(2.0 * h));
    let mut lo = 0.0;
    let mut glo = g0;
    for hi in crit[..ncrit]
        .iter()
        .copied()
        .chain(std::iter::once(end))
        .chain(doublings)
    {
        if lo >= horizon || !hi.is_finite() {
            return None;
        }
        if hi <= lo {
            continue;
        }
        let ghi = value(hi);
        if ghi >= 0.0 {
            let root = newton(&precise, lo, hi, glo, ghi, origin);
            return (root < horizon).then_some(root);
        }
        if hi > end && ghi <= glo {
            return None; // past the settling time and not rising: it never crosses
        }
        lo = hi;
        glo = ghi;
    }
    None
}

/// The sign change of `f` in `[lo, hi]` (`f(lo) < 0 ≤ f(hi)`, no other sign change inside),
/// with the same contract as [`false_position`]: the right end of a final bracket no wider than
/// [`root_tolerance`]. Newton steps from the derivative that `fd` returns alongside the value,
/// kept inside the bracket; a step that would leave it, a missing derivative, or a step not
/// at most half the one before last (rtsafe's guard) falls back to bisection. When Newton has
/// converged to within the tolerance, one step just across the estimate closes the bracket
/// from the other side.
fn newton(
    fd: impl Fn(f64) -> (f64, f64),
    mut lo: f64,
    mut hi: f64,
    mut fl: f64,
    mut fh: f64,
    scale: f64,
) -> f64 {
    // start from the secant point
    let mut x = if fh > fl && fl.is_finite() && fh.is_finite() {
        lo - fl * ((hi - lo) / (fh - fl))
    } else {
        lo + 0.5 * (hi - lo)
    };
    // length of the step before last (rtsafe's guard: Newton must at least halve it)
    let mut step_before = hi - lo;
    let mut last_step = hi - lo;
    for _ in 0..100 {
        let tol = root_tolerance(lo, hi, scale);
        if hi - lo <= tol {
            break;
        }
        if !(x > lo && x < hi) {
            x = lo + 0.5 * (hi - lo);
            if !(x > lo && x < hi) {
                break;
            }
        }
        let (fx, dx) = fd(x);
        if fx < 0.0 {
            lo = x;
            fl = fx;
        } else {
            hi = x;
            fh = fx;
        }
        let width = hi - lo;
        let step = fx / dx;
        let slow = step.abs() > 0.5 * step_before.abs();
        step_before = last_step;
        x = if slow || !step.is_finite() || dx <= 0.0 || !(x - step > lo && x - step < hi) {
            last_step = 0.5 * width;
            lo + 0.5 * width
        } else if step.abs() < 0.5 * tol {
            // converged: step just across the estimate so the bracket closes around it
            let target = x - step;
            if fx < 0.0 {
                target + tol
            } else {
                target - tol
            }
        } else {
            last_step = step;
            x - step
        };
    }
    // Not resolved in 100 steps (the guard can keep Newton out when the root hugs one end of
    // a wide bracket, e.g. near t = 0): finish with guarded false position.
    if hi - lo > root_tolerance(lo, hi, scale) {
        return false_position(|t| fd(t).0, lo, hi, fl, fh, scale);
    }
    hi
}

/// Width at which a root bracket `[lo, hi]` is resolved: two ulps of the bracket, or a quarter
/// of an ulp of `scale + hi` when `scale` (the absolute time of `t = 0`) dominates, since the
/// caller's sum rounds finer detail away.
#[inline]
fn root_tolerance(lo: f64, hi: f64, scale: f64) -> f64 {
    2.0 * f64::EPSILON * lo.abs().max(hi.abs()).max(0.125 * scale.abs()) + f64::MIN_POSITIVE
}

/// A time after which `g` can no longer reach a value it has not approached before: every
/// decaying term is below 1e-17 of the total magnitude. Used only for infinite horizons.
fn settle_time(poly: &ExpPoly) -> f64 {
    let mut end: f64 = 1.0;
    for term in poly.terms() {
        if term.rate > 0.0 {
            // (|c0| + |c1| t + |c2| t²) e^{-λt} < tiny once λt > ~ 45 + log(poly); generous.
            let d = term.degree().unwrap_or(0) as f64;
            end = end.max((60.0 + 10.0 * d) / term.rate);
        }
    }
    end
}

#[cfg(test)]
mod tests;
