//! Small numerical helpers of the `lif` bounds.

/// A time before which `g(s) = g0 + g1 s + ∫∫ g''` stays negative, given `g0 < 0`, the slope
/// `g1 = g'(0)` and `curv ≥ sup g''` on `[0, ∞)` (for `Σ c_k e^{-λ_k s}`, the positive
/// terms' `Σ λ_k² c_k`): the first root of `g0 + g1 s + curv s²/2`, which bounds `g` from
/// above (Taylor with remainder). Far tighter than the slope bound near a crossing, where it
/// closes in like Newton's method from below. Shrunk by 1e-9 so that rounding cannot place
/// it past the true root. Infinite when the bound never reaches zero.
pub(super) fn quadratic_bound(g0: f64, g1: f64, curv: f64) -> f64 {
    let s = if curv > 0.0 {
        let root = (g1 * g1 - 2.0 * curv * g0).sqrt();
        if g1 > 0.0 {
            // rationalised: no cancellation between g1 and the root
            -2.0 * g0 / (g1 + root)
        } else {
            (root - g1) / curv
        }
    } else if g1 > 0.0 {
        -g0 / g1
    } else {
        f64::INFINITY
    };
    if s.is_nan() {
        0.0
    } else {
        s * (1.0 - 1e-9)
    }
}

/// Rates within a relative 1e-5 of `mu` over the time scale that matters (see
/// `distance_poly`).
pub(super) fn near_degenerate(mu: f64, lam: f64) -> bool {
    let d = lam - mu;
    d != 0.0 && (d * 10.0 / mu.min(lam)).abs() < 1e-5
}
