//! Unit tests of the exact-root solver and its bounds.
use super::*;

fn solve(p: &ExpPoly, h: f64) -> Option<f64> {
    first_crossing(p, h, |t| p.eval(t))
}

#[test]
fn constant_and_single_exponential() {
    let mut p = ExpPoly::new();
    p.add(0.0, 0, -1.0);
    assert_eq!(solve(&p, f64::INFINITY), None);
    // -1 + 2 (1 - e^{-t}) = 1 - 2 e^{-t}: root ln 2
    let mut p = ExpPoly::new();
    p.add(0.0, 0, 1.0);
    p.add(1.0, 0, -2.0);
    let r = solve(&p, f64::INFINITY).unwrap();
    assert!((r - 2f64.ln()).abs() < 1e-14, "{r}");
    assert_eq!(solve(&p, 0.5), None);
}

#[test]
fn double_root_graze() {
    // -1 + 4 t e^{-t}... max at t = 1 of 4/e - 1 > 0; build one with max exactly m.
    for &(m, hit) in &[(1e-7, true), (-1e-7, false), (1e-9, true)] {
        let a = (1.0 + m) * std::f64::consts::E; // a t e^{-t} peaks at a/e
        let mut p = ExpPoly::new();
        p.add(0.0, 0, -1.0);
        p.add(1.0, 1, a);
        let r = solve(&p, f64::INFINITY);
        assert_eq!(r.is_some(), hit, "margin {m}: {r:?}");
        if let Some(r) = r {
            // root of a t e^{-t} = 1 near t = 1: width ~ sqrt(2m)
            assert!((r - 1.0).abs() < 2.0 * (2.0 * m).sqrt() + 1e-6, "{r}");
            assert!(p.eval(r) >= 0.0);
        }
    }
}

#[test]
fn maxima_far_out_are_not_lost_to_underflow() {
    // Regression: tau_m = 0.01 ms, an exp input with tau == tau_m: the maximum of
    // -3.29 - 11.7 e^{-100 s} + 2137 s e^{-100 s} lies at s ≈ 0.0155, and the derivative
    // underflows to exactly 0 at the end of an 80 ms horizon.
    let mut p = ExpPoly::new();
    p.add(0.0, 0, -3.290667539146146);
    p.add(100.0, 0, -11.709332460853854);
    p.add(100.0, 1, 2136.9500983216618);
    let r = solve(&p, 80.0).expect("crossing");
    assert!(r > 0.004 && r < 0.01, "{r}");
    assert!(p.eval(r) >= 0.0 && p.eval(r - 1e-9) < 0.0);
}

#[test]
fn two_roots_close_together() {
    // (t - 1)(t - 1 - 1e-12) sign flipped: -(t-1)(t-1-d) e^{-0 t}: positive between roots
    let d = 1e-6;
    let mut p = ExpPoly::new();
    // -(t² - (2+d) t + (1+d))
    p.add(0.0, 2, -1.0);
    p.add(0.0, 1, 2.0 + d);
    p.add(0.0, 0, -(1.0 + d));
    let r = solve(&p, 10.0).unwrap();
    assert!((r - 1.0).abs() < 1e-9, "{r}");
}

#[test]
fn slope_bound_bounds_the_derivative() {
    let mut p = ExpPoly::new();
    p.add(0.0, 0, -3.0);
    p.add(0.1, 0, 2.0);
    p.add(0.5, 1, 3.0);
    p.add(0.5, 2, -0.7);
    p.add(0.2, 0, -1.0);
    p.add(0.3, 3, 0.05);
    p.add(0.7, 3, -0.2);
    let m = p.slope_bound();
    let h = 1e-5;
    for i in 0..=40_000 {
        let t = i as f64 * 0.002;
        let slope = (p.eval(t + h) - p.eval(t)) / h;
        assert!(slope <= m + 1e-6, "t = {t}: slope {slope} > bound {m}");
    }
}

use proptest::prelude::*;

proptest! {
    #![proptest_config(ProptestConfig { cases: 3000, failure_persistence: None, ..ProptestConfig::default() })]

    /// Random exponential polynomials against a slow check: dense sampling every 1 µs.
    /// The solver's root must be at or past threshold and no sample before it may be
    /// clearly (1e-7) above threshold; when sampling finds a clear crossing the solver
    /// must find one no later.
    #[test]
    fn solver_agrees_with_dense_sampling(
        c0 in -3.0f64..-0.01,
        level in -1.0f64..1.5,
        terms in prop::collection::vec((0.02f64..3.0, 0usize..3, -6.0f64..6.0), 1..4),
    ) {
        let mut rest = ExpPoly::new();
        for &(rate, k, c) in &terms {
            rest.add(rate, k, c);
        }
        // start below threshold (g(0) ≤ c0 < 0), with a constant level that decides
        // whether the decaying terms can lift g over 0 later
        let mut p = rest;
        p.add(0.0, 0, c0 - rest.eval(0.0).max(0.0) + level.min(0.0) + level.max(0.0) * 0.1);
        prop_assume!(p.eval(0.0) < 0.0);
        let horizon = 30.0;
        let root = solve(&p, horizon);
        let h = 1e-3;
        let first_clear = (0..(horizon / h) as usize).map(|i| i as f64 * h).find(|&t| p.eval(t) >= 1e-7);
        match (root, first_clear) {
            (Some(r), fc) => {
                prop_assert!(p.eval(r) >= 0.0, "root {r} is below threshold: {}", p.eval(r));
                if let Some(t) = fc {
                    prop_assert!(r <= t + 1e-12, "solver root {r} after a sampled crossing at {t}");
                }
            }
            (None, Some(t)) => prop_assert!(false, "missed a crossing sampled at {t}: g = {}", p.eval(t)),
            (None, None) => {}
        }
    }

    /// The curvature bound against second differences of random polynomials (each
    /// monomial's extreme is hit by some term; dropping a table entry fails this).
    #[test]
    fn curvature_bound_bounds_the_second_derivative(
        terms in prop::collection::vec((0.05f64..3.0, 0usize..4, -6.0f64..6.0), 1..5),
    ) {
        let mut p = ExpPoly::new();
        terms.iter().for_each(|&(rate, k, c)| p.add(rate, k, c));
        let m = p.curvature_bound();
        let h = 1e-3;
        for i in 0..4000 {
            let t = h + i as f64 * 0.01;
            let d2 = (p.eval(t + h) - 2.0 * p.eval(t) + p.eval(t - h)) / (h * h);
            prop_assert!(d2 <= m + 1e-3 * (1.0 + m.abs()), "t = {t}: g'' {d2} > bound {m}");
        }
    }
}

#[test]
fn upper_bound_is_an_upper_bound() {
    let mut p = ExpPoly::new();
    p.add(0.0, 0, -3.0);
    p.add(0.1, 0, 2.0);
    p.add(0.5, 1, 3.0);
    p.add(0.2, 0, -1.0);
    let b = p.upper_bound(20.0);
    for i in 0..=2000 {
        let t = i as f64 * 0.01;
        assert!(p.eval(t) <= b + 1e-12);
    }
}
