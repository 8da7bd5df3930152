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
    let d = lam - mu;
    let x = d * t;
    if x == 0.0 {
        t * (-mu * t).exp()
    } else if x.abs() < 0.5 {
        (-mu * t).exp() * t * (-(-x).exp_m1() / x)
    } else {
        ((-mu * t).exp() - (-lam * t).exp()) / d
    }
}

/// `D2(μ, λ, t)`; see the module docs.
#[inline]
pub fn d2(mu: f64, lam: f64, t: f64) -> f64 {
    let d = lam - mu;
    let x = d * t;
    if x.abs() < 0.5 {
        // (1 - e^{-x}(1+x)) / x² = Σ_{n≥2} (-1)^n (n-1) x^{n-2} / n!
        let mut sum = 0.0;
        let mut pow = 1.0; // x^{n-2}
        let mut fact = 2.0; // n!
        for n in 2..22 {
            let sign = if n % 2 == 0 { 1.0 } else { -1.0 };
            sum += sign * (n as f64 - 1.0) * pow / fact;
            pow *= x;
            fact *= (n + 1) as f64;
        }
        (-mu * t).exp() * t * t * sum
    } else {
        ((-mu * t).exp() - (-lam * t).exp() * (1.0 + x)) / (d * d)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Composite Simpson integration as an independent check.
    fn simpson(f: impl Fn(f64) -> f64, t: f64) -> f64 {
        let n = 20_000;
        let h = t / n as f64;
        let mut s = f(0.0) + f(t);
        for i in 1..n {
            s += f(i as f64 * h) * if i % 2 == 1 { 4.0 } else { 2.0 };
        }
        s * h / 3.0
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
                let q1 = simpson(|s| (-mu * (t - s)).exp() * (-lam * s).exp(), t);
                let q2 = simpson(|s| (-mu * (t - s)).exp() * s * (-lam * s).exp(), t);
                let (a, b) = (d1(mu, lam, t), d2(mu, lam, t));
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
    fn kernels_are_continuous_across_the_branch_switch() {
        let mu = 0.1;
        let t = 5.0;
        // x = (λ-μ) t = 0.5 at λ = 0.2
        let below = 0.2 - 1e-12;
        let above = 0.2 + 1e-12;
        assert!((d1(mu, below, t) - d1(mu, above, t)).abs() < 1e-12);
        assert!((d2(mu, below, t) - d2(mu, above, t)).abs() < 1e-12);
    }
}
