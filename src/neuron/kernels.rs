//! Closed-form convolution kernels of the membrane equation, accurate for every pair of
//! rates including equal and nearly equal ones.
//!
//! With `μ = 1/tau_m` and a current decaying at rate `λ`, the membrane response needs
//!
//! ```text
//! D1(μ, λ, t) = ∫_0^t e^{-μ(t-s)} e^{-λ s} ds
//! D2(μ, λ, t) = ∫_0^t e^{-μ(t-s)} s e^{-λ s} ds
//! ```
//!
//! The textbook forms `(e^{-μt} - e^{-λt})/(λ-μ)` lose all precision as `λ → μ`; here the
//! difference `x = (λ-μ) t` is handled with `expm1` or a series when it is small, so the
//! degenerate case `λ = μ` is the exact limit (`t e^{-μt}`, `t²/2 e^{-μt}`), not a special
//! perturbation.

/// `D1(μ, λ, t)`; see the module docs.
#[inline]
pub fn d1(mu: f64, lam: f64, t: f64) -> f64 {
    d1_with(mu, lam, t, (-mu * t).exp(), (-lam * t).exp())
}

/// `D1` given `e_mu = exp(-μt)` and `e_lam = exp(-λt)` (the propagator needs them anyway).
#[inline]
pub fn d1_with(mu: f64, lam: f64, t: f64, e_mu: f64, e_lam: f64) -> f64 {
    let d = lam - mu;
    let x = d * t;
    if x == 0.0 {
        t * e_mu
    } else if x.abs() < 0.5 {
        e_mu * t * (-(-x).exp_m1() / x)
    } else {
        (e_mu - e_lam) / d
    }
}

/// `D2(μ, λ, t)`; see the module docs.
#[inline]
pub fn d2(mu: f64, lam: f64, t: f64) -> f64 {
    d2_with(mu, lam, t, (-mu * t).exp(), (-lam * t).exp())
}

/// The coefficients `(-1)^n (n-1) / n!`, n = 2‥21, of `D2`'s series: for |x| < 0.5 the
/// first term left out is below 1e-25 of the sum.
const D2_SERIES: [f64; 20] = {
    let mut c = [0.0; 20];
    let mut fact = 2.0; // n! (exact up to 18!, then within an ulp or so)
    let mut n = 2;
    while n < 22 {
        let sign = if n % 2 == 0 { 1.0 } else { -1.0 };
        c[n - 2] = sign * (n as f64 - 1.0) / fact;
        fact *= (n + 1) as f64;
        n += 1;
    }
    c
};

/// `D2` given `e_mu = exp(-μt)` and `e_lam = exp(-λt)`.
#[inline]
pub fn d2_with(mu: f64, lam: f64, t: f64, e_mu: f64, e_lam: f64) -> f64 {
    let d = lam - mu;
    let x = d * t;
    if x.abs() < 0.5 {
        // (1 - e^{-x}(1+x)) / x² = Σ_{n≥2} (-1)^n (n-1) x^{n-2} / n!, by Horner from the
        // tabulated coefficients (no division per term)
        let sum = D2_SERIES.iter().rev().fold(0.0, |acc, c| acc * x + c);
        e_mu * t * t * sum
    } else {
        (e_mu - e_lam * (1.0 + x)) / (d * d)
    }
}

/// `D3(μ, λ, t) = ∫_0^t e^{-μ(t-s)} s² e^{-λ s} ds` (the gradient of an alpha current's
/// contribution with respect to its rate needs it).
pub fn d3(mu: f64, lam: f64, t: f64) -> f64 {
    let (e_mu, e_lam) = ((-mu * t).exp(), (-lam * t).exp());
    let d = lam - mu;
    let x = d * t;
    if x.abs() < 1.0 {
        // ∫_0^1 u² e^{-xu} du = Σ_k (-x)^k / (k! (k+3))
        let (mut sum, mut term) = (0.0, 1.0);
        for k in 0..30 {
            sum += term / (k as f64 + 3.0);
            term *= -x / (k as f64 + 1.0);
        }
        e_mu * t * t * t * sum
    } else {
        (2.0 * e_mu - e_lam * (x * x + 2.0 * x + 2.0)) / (d * d * d)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Composite Gauss-Legendre (5 points on each of 400 pieces) as an independent check.
    fn quad(f: impl Fn(f64) -> f64, t: f64) -> f64 {
        const X: [f64; 5] = [
            0.0,
            -0.538_469_310_105_683,
            0.538_469_310_105_683,
            -0.906_179_845_938_664,
            0.906_179_845_938_664,
        ];
        const W: [f64; 5] = [
            0.568_888_888_888_889,
            0.478_628_670_499_366,
            0.478_628_670_499_366,
            0.236_926_885_056_189,
            0.236_926_885_056_189,
        ];
        let n = 400;
        let h = t / n as f64;
        let mut s = 0.0;
        for k in 0..n {
            let mid = (k as f64 + 0.5) * h;
            for j in 0..5 {
                s += W[j] * f(mid + 0.5 * h * X[j]) * 0.5 * h;
            }
        }
        s
    }

    #[test]
    fn kernels_match_quadrature() {
        for &(mu, lam) in &[
            (0.1, 0.2),
            (0.1, 0.1),
            (0.1, 0.1 + 1e-9),
            (0.1, 0.1 - 1e-12),
            (1.0, 0.01),
            (0.05, 5.0),
        ] {
            for &t in &[0.0, 1e-6, 0.3, 2.0, 17.0, 60.0] {
                let q1 = quad(|s| (-mu * (t - s)).exp() * (-lam * s).exp(), t);
                let q2 = quad(|s| (-mu * (t - s)).exp() * s * (-lam * s).exp(), t);
                let q3 = quad(|s| (-mu * (t - s)).exp() * s * s * (-lam * s).exp(), t);
                let (a, b) = (d1(mu, lam, t), d2(mu, lam, t));
                let c = d3(mu, lam, t);
                assert!(
                    (c - q3).abs() <= 1e-11 * (1.0 + q3.abs()),
                    "d3 {mu} {lam} {t}: {c} vs {q3}"
                );
                assert!(
                    (a - q1).abs() <= 1e-12 * (1.0 + q1.abs()),
                    "d1 {mu} {lam} {t}: {a} vs {q1}"
                );
                assert!(
                    (b - q2).abs() <= 1e-11 * (1.0 + q2.abs()),
                    "d2 {mu} {lam} {t}: {b} vs {q2}"
                );
            }
        }
    }

    #[test]
    fn d2_series_by_horner_matches_term_by_term_summation() {
        // the series as first written (one division per term, summed forward)
        let reference = |x: f64| {
            let (mut sum, mut pow, mut fact) = (0.0, 1.0, 2.0);
            for n in 2..22 {
                let sign = if n % 2 == 0 { 1.0 } else { -1.0 };
                sum += sign * (n as f64 - 1.0) * pow / fact;
                pow *= x;
                fact *= (n + 1) as f64;
            }
            sum
        };
        for k in -500..500 {
            let x = k as f64 * 1e-3 + 1.234e-4;
            let (mu, t) = (0.1, 2.0);
            let lam = mu + x / t;
            let got = d2_with(mu, lam, t, (-mu * t).exp(), (-lam * t).exp());
            let want = (-mu * t).exp() * t * t * reference(lam * t - mu * t);
            assert!(
                (got - want).abs() <= 4.0 * f64::EPSILON * want.abs(),
                "x = {x}: {got} vs {want}"
            );
        }
    }

    #[test]
    fn kernels_are_continuous_across_the_branch_switch() {
        let mu = 0.1;
        let t = 5.0;
        // x = (λ-μ) t = 0.5 at λ = 0.2
        // neighbouring floats on either side of the switch: both branches must agree
        let below = f64::from_bits(0.2f64.to_bits() - 1);
        let above = f64::from_bits(0.2f64.to_bits() + 1);
        assert!((d1(mu, below, t) - d1(mu, above, t)).abs() < 1e-14);
        assert!((d2(mu, below, t) - d2(mu, above, t)).abs() < 1e-14);
        // d3 switches at x = 1 (λ = 0.3)
        let below = f64::from_bits(0.3f64.to_bits() - 1);
        let above = f64::from_bits(0.3f64.to_bits() + 1);
        assert!((d3(mu, below, t) - d3(mu, above, t)).abs() < 1e-13);
    }
}
