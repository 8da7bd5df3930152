//! Unit tests of the lif model against closed forms and dense sampling.
use super::*;
use crate::neuron::bound::quadratic_bound;
use crate::neuron::{BoundParts, Delivered};
use proptest::prelude::*;

#[test]
fn quadratic_bound_respects_convexity() {
    // g = 8.9 + e^{-5s} - 10 e^{-s}: rising (g' = 5) and convex (g'' = 15) at 0, so the
    // crossing (s ≈ 0.01946) comes before the tangent's (0.02): the bound must be earlier.
    let (g0, g1, curv) = (8.9 + 1.0 - 10.0, -5.0 + 10.0, 25.0);
    let b = quadratic_bound(g0, g1, curv);
    let g = |s: f64| 8.9 + (-5.0 * s).exp() - 10.0 * (-s).exp();
    assert!(g(0.019459) < 0.0 && g(0.01946) > 0.0);
    assert!(b > 0.019 && b < 0.019459, "{b}");
}

proptest! {
    /// The quadratic bound never passes the first crossing: random sums
    /// `c0 + Σ c_k e^{-λ_k s}` below zero at s = 0, against the exact solver and a dense
    /// sampling of `[0, bound]`.
    #[test]
    fn quadratic_bound_is_before_the_first_crossing(
        c0 in -5.0f64..15.0,
        terms in prop::collection::vec((0.01f64..5.0, -20.0f64..20.0), 1..4),
    ) {
        let mut p = ExpPoly::new();
        p.add(0.0, 0, c0);
        for &(rate, c) in &terms {
            p.add(rate, 0, c);
        }
        let g0 = p.eval(0.0);
        prop_assume!(g0 < -1e-9);
        let g1: f64 = p.terms().iter().map(|t| -t.rate * t.c[0]).sum();
        let curv: f64 = p.terms().iter().filter(|t| t.c[0] > 0.0).map(|t| t.rate * t.rate * t.c[0]).sum();
        let b = quadratic_bound(g0, g1, curv);
        prop_assert!(b > 0.0);
        if let Some(root) = super::super::crossing::first_crossing(&p, 1e4, |t| p.eval(t)) {
            prop_assert!(b <= root, "bound {b} after the crossing {root}");
        }
        if b.is_finite() {
            for k in 0..=2000 {
                let s = b * k as f64 / 2000.0;
                prop_assert!(p.eval(s) < 0.0, "g({s}) = {} >= 0 before the bound {b}", p.eval(s));
            }
        }
    }
}

fn single(receptors: &[Option<bool>], rates: Vec<f64>, v_inf: f64) -> LifPopulation {
    let layout = Layout::new(receptors, 0, 0);
    LifPopulation::new(
        layout,
        vec![NeuronInit {
            scalars: Scalars {
                rate_m: 0.1,
                v_inf,
                v_th: -55.0,
                v_reset: -70.0,
                t_ref: 2.0,
            },
            v_init: -70.0,
            chan_rate: rates,
            adapt_inc: vec![],
            thr_rate: vec![],
            thr_inc: vec![],
        }],
    )
}

#[test]
fn free_decay_matches_closed_form() {
    let mut p = single(&[None], vec![], -70.0);
    p.receive(0, 0, 10.0);
    let v = p.v_at(0, 7.3);
    let want = -70.0 + 10.0 * (-0.73f64).exp();
    assert!((v - want).abs() < 1e-13, "{v} {want}");
}

#[test]
fn dc_drive_first_spike_closed_form() {
    // V_inf = -50 > v_th: first spike at tau_m ln((V_inf - v0)/(V_inf - v_th)).
    let p = single(&[None], vec![], -50.0);
    let t = p.next_spike(0, 1e9).unwrap();
    let want = 10.0 * (20.0f64 / 5.0).ln();
    assert!((t - want).abs() < 1e-12, "{t} {want}");
}

#[test]
fn exp_psp_peak_degenerate_tau() {
    // tau_syn == tau_m: V - v_rest = w (t/tau) e^{-t/tau}, peak w/e at t = tau.
    let mut p = single(&[Some(false)], vec![0.1], -70.0);
    p.receive(0, 0, 10.0);
    let v = p.v_at(0, 10.0);
    assert!((v - (-70.0 + 10.0 / std::f64::consts::E)).abs() < 1e-13);
}

proptest! {
    /// The exp-only fast path of the bounds (including channels with λ = μ exactly, the
    /// s e^{-μs} terms) gives bit for bit the numbers of the general path through the
    /// solver's polynomial.
    #[test]
    fn fast_bounds_equal_the_polynomial_bounds(
        v in -80.0f64..-55.5,
        lam in prop::sample::select(vec![0.1, 0.05, 0.2, 0.5]),
        st in prop::collection::vec(-20.0f64..20.0, 3),
        zero in 0usize..4,
    ) {
        // rates μ, λ, μ: one or two channels degenerate with the membrane
        let mut p = single(&[Some(false), Some(false), Some(false)], vec![0.1, lam, 0.1], -60.0);
        prop_assert!(p.simple_bound);
        let mut st = st;
        if zero < 3 {
            st[zero] = 0.0;
        }
        p.block_mut(0)[..3].copy_from_slice(&st);
        let g0 = v - p.consts(0).1;
        let fast = p.simple_bounds(0, v, &st, g0);
        prop_assert_eq!(fast, p.polynomial_bounds(0, v, &st, &[], g0));
    }
}

proptest! {
    /// The bound for shared, pairwise distinct rates (0 to 3 channels, some currents zero)
    /// gives bit for bit the numbers of the general path through the solver's polynomial.
    #[test]
    fn shared_distinct_bounds_equal_the_polynomial_bounds(
        v in -80.0f64..-55.5,
        n in 0usize..4,
        first in 0usize..4,
        st in prop::collection::vec(-20.0f64..20.0, 3),
        zero in 0usize..4,
    ) {
        let pool = [0.2, 0.05, 0.5, 0.025, 1.0, 0.3];
        let rates: Vec<f64> = (0..n).map(|k| pool[first + k]).collect();
        let mut p = single(&vec![Some(false); n], rates, -60.0);
        prop_assert!(p.shared.is_some() && p.distinct && p.simple_bound);
        let mut st = st[..n].to_vec();
        if zero < n {
            st[zero] = 0.0;
        }
        p.block_mut(0)[..n].copy_from_slice(&st);
        let g0 = v - p.consts(0).1;
        let fast = p.simple_bounds(0, v, &st, g0);
        prop_assert_eq!(fast, p.polynomial_bounds(0, v, &st, &[], g0));
    }
}

proptest! {
    /// The same for a population whose neurons have rates of their own (the factored
    /// propagator's layout): neuron 1's fast bound, read from its block, against the
    /// polynomial.
    #[test]
    fn factored_distinct_bounds_equal_the_polynomial_bounds(
        v in -80.0f64..-55.5,
        n in 1usize..4,
        first in 0usize..4,
        scale in 1.05f64..1.5,
        st in prop::collection::vec(-20.0f64..20.0, 3),
    ) {
        let pool = [0.2, 0.05, 0.5, 0.025, 1.0, 0.3];
        let rates: Vec<f64> = (0..n).map(|k| pool[first + k]).collect();
        let neuron = |s: f64| NeuronInit {
            scalars: Scalars { rate_m: 0.1 * s, v_inf: -60.0, v_th: -55.0, v_reset: -70.0, t_ref: 2.0 },
            v_init: -70.0,
            chan_rate: rates.iter().map(|r| r * s).collect(),
            adapt_inc: vec![],
            thr_rate: vec![],
            thr_inc: vec![],
        };
        let mut p = LifPopulation::new(Layout::new(&vec![Some(false); n], 0, 0), vec![neuron(1.0), neuron(scale)]);
        prop_assert!(p.shared.is_none() && p.factored && p.distinct && p.simple_bound);
        let st = &st[..n];
        p.block_mut(1)[..n].copy_from_slice(st);
        let g0 = v - p.consts(1).1;
        let fast = p.simple_bounds(1, v, st, g0);
        prop_assert_eq!(fast, p.polynomial_bounds(1, v, st, &[], g0));
    }
}

proptest! {
    /// Layouts with alpha channels (mixed with exp): the bound without the polynomial gives
    /// bit for bit the polynomial's numbers, some channel states zero.
    #[test]
    fn mixed_bounds_equal_the_polynomial_bounds(
        v in -80.0f64..-55.5,
        kinds in prop::collection::vec(any::<bool>(), 1..4),
        first in 0usize..4,
        st in prop::collection::vec(-20.0f64..20.0, 6),
        zero in 0usize..8,
    ) {
        prop_assume!(kinds.iter().any(|&a| a));
        let pool = [0.2, 0.05, 0.5, 0.025, 1.0, 0.3];
        let n = kinds.len();
        let rates: Vec<f64> = (0..n).map(|k| pool[first + k]).collect();
        let receptors: Vec<Option<bool>> = kinds.iter().map(|&a| Some(a)).collect();
        let mut p = single(&receptors, rates, -60.0);
        prop_assert!(p.mixed_bound && !p.simple_bound);
        let ns = p.layout.n_state;
        let mut st = st[..ns].to_vec();
        if zero < ns {
            st[zero] = 0.0;
        }
        p.block_mut(0)[..ns].copy_from_slice(&st);
        let g0 = v - p.consts(0).1;
        let fast = p.mixed_bounds(0, v, &st, &[], g0);
        prop_assert_eq!(fast, p.polynomial_bounds(0, v, &st, &[], g0));
    }
}

proptest! {
    /// Threshold adaptation (with exp or alpha channels): the bound without the polynomial
    /// gives bit for bit the polynomial's numbers.
    #[test]
    fn threshold_terms_bounds_equal_the_polynomial_bounds(
        v in -80.0f64..-45.0,
        kinds in prop::collection::vec(any::<bool>(), 0..3),
        n_thr in 1usize..3,
        st in prop::collection::vec(-20.0f64..20.0, 6),
        th in prop::collection::vec(-3.0f64..8.0, 2),
        zero in 0usize..3,
    ) {
        let n = kinds.len();
        let rates: Vec<f64> = [0.2, 0.05, 0.5][..n].to_vec();
        let receptors: Vec<Option<bool>> = kinds.iter().map(|&a| Some(a)).collect();
        let ni = NeuronInit {
            scalars: Scalars { rate_m: 0.1, v_inf: -60.0, v_th: -55.0, v_reset: -70.0, t_ref: 2.0 },
            v_init: -70.0,
            chan_rate: rates,
            adapt_inc: vec![],
            thr_rate: [0.02, 0.3][..n_thr].to_vec(),
            thr_inc: vec![1.0; n_thr],
        };
        let mut p = LifPopulation::new(Layout::new(&receptors, 0, n_thr), vec![ni]);
        prop_assert!(p.mixed_bound && !p.simple_bound);
        let ns = p.layout.n_state;
        let st = st[..ns].to_vec();
        let mut th = th[..n_thr].to_vec();
        if zero < n_thr {
            th[zero] = 0.0;
        }
        p.block_mut(0)[..ns].copy_from_slice(&st);
        p.thr[..n_thr].copy_from_slice(&th);
        let g0 = v - p.consts(0).1 - th.iter().sum::<f64>();
        prop_assume!(g0 < 0.0);
        let fast = p.mixed_bounds(0, v, &st, &th, g0);
        prop_assert_eq!(fast, p.polynomial_bounds(0, v, &st, &th, g0));
    }
}

proptest! {
    /// The fused delivery and input (pairwise-distinct rates, 0 to 3 exp channels and a
    /// delta receptor; shared rates, or each neuron its own under the factored propagator)
    /// return and leave bit for bit what `advance`, `receive`, `above_threshold` and
    /// `next_bound` do, over random input trains with firing, refractoriness, inputs at the same instant
    /// and gaps of several epochs (where the shared path falls back).
    #[test]
    fn fused_delivery_equals_the_separate_calls(
        n in 0usize..4,
        first in 0usize..3,
        own in prop::option::of(1.05f64..1.5),
        inputs in prop::collection::vec((0u8..6, 0.0f64..3.0, 0usize..8, -4.0f64..12.0), 1..80),
    ) {
        let pool = [0.2, 0.05, 0.5, 0.025, 1.0];
        let rates: Vec<f64> = (0..n).map(|k| pool[first + k]).collect();
        let mut receptors = vec![None];
        receptors.extend(std::iter::repeat_n(Some(false), n));
        let neuron = |s: f64| NeuronInit {
            scalars: Scalars { rate_m: 0.1 * s, v_inf: -52.0, v_th: -55.0, v_reset: -70.0, t_ref: 2.0 },
            v_init: -70.0,
            chan_rate: rates.iter().map(|r| r * s).collect(),
            adapt_inc: vec![],
            thr_rate: vec![],
            thr_inc: vec![],
        };
        // with `own`, neuron 1's rates are scaled: no shared exponentials
        let neurons = vec![neuron(1.0), neuron(own.unwrap_or(1.0))];
        let mut fused = LifPopulation::new(Layout::new(&receptors, 0, 0), neurons);
        prop_assert!(fused.fused);
        prop_assert_eq!(fused.shared.is_none(), own.is_some());
        let mut reference = fused.clone();
        let mut t = 0.0;
        for (kind, dt, r, w) in inputs {
            // same instant, a short step, or a gap of many epochs
            t += match kind { 0 => 0.0, 5 => 60.0 * dt, _ => dt };
            let (i, r) = (r / 4, r % (n + 1));
            if kind == 4 {
                // a check first: the event loop's advance and bound without an input
                let got = match n {
                    0 => fused.check_into::<0>(i, t, 1e6),
                    1 => fused.check_into::<1>(i, t, 1e6),
                    2 => fused.check_into::<2>(i, t, 1e6),
                    _ => fused.check_into::<3>(i, t, 1e6),
                };
                let got = got.unwrap_or_else(|| {
                    fused.advance(i, t);
                    fused.next_bound(i, 1e6)
                });
                reference.advance(i, t);
                prop_assert_eq!(got, reference.next_bound(i, 1e6));
            }
            reference.advance(i, t);
            reference.receive(i, r, w);
            let want = (!reference.above_threshold(i)).then(|| reference.next_bound(i, 1e6));
            // an input alone (`apply`, a group that is not its instant's last) and the
            // test and bound at the instant's end (`settle`), or all in one (`deliver`)
            // (or, kind 2, the event loop's specialised call with the channel count fixed)
            let got = if kind == 1 {
                NeuronModel::apply(&mut fused, i, t, r, w);
                NeuronModel::settle(&fused, i, 1e6).resolve(t, 1e6)
            } else if kind == 3 {
                // the event loop's specialised input and end-of-instant calls
                let applied = match n {
                    0 => fused.apply_into::<0>(i, t, r, w),
                    1 => fused.apply_into::<1>(i, t, r, w),
                    2 => fused.apply_into::<2>(i, t, r, w),
                    _ => fused.apply_into::<3>(i, t, r, w),
                };
                if !applied {
                    NeuronModel::apply(&mut fused, i, t, r, w);
                }
                let mut parts = BoundParts::default();
                let done = match n {
                    0 => fused.settle_into::<0>(i, 1e6, &mut parts),
                    1 => fused.settle_into::<1>(i, 1e6, &mut parts),
                    2 => fused.settle_into::<2>(i, 1e6, &mut parts),
                    _ => fused.settle_into::<3>(i, 1e6, &mut parts),
                };
                match done {
                    Delivered::Parts => Some(parts.finish(t, 1e6)),
                    Delivered::Fires => None,
                    Delivered::Never => Some(Next::Never),
                    Delivered::General => NeuronModel::settle(&fused, i, 1e6).resolve(t, 1e6),
                }
            } else if kind == 2 {
                let mut parts = BoundParts::default();
                let done = match n {
                    0 => fused.deliver_into::<0>(i, t, r, w, 1e6, &mut parts),
                    1 => fused.deliver_into::<1>(i, t, r, w, 1e6, &mut parts),
                    2 => fused.deliver_into::<2>(i, t, r, w, 1e6, &mut parts),
                    _ => fused.deliver_into::<3>(i, t, r, w, 1e6, &mut parts),
                };
                match done {
                    Delivered::Parts => Some(parts.finish(t, 1e6)),
                    Delivered::Fires => None,
                    Delivered::Never => Some(Next::Never),
                    Delivered::General => NeuronModel::deliver(&mut fused, i, t, r, w, 1e6).resolve(t, 1e6),
                }
            } else {
                NeuronModel::deliver(&mut fused, i, t, r, w, 1e6).resolve(t, 1e6)
            };
            prop_assert_eq!(got, want);
            let h = |p: &LifPopulation| (p.hot[i].v.to_bits(), p.hot[i].t_last.to_bits());
            prop_assert_eq!(h(&fused), h(&reference));
            let bits = |p: &LifPopulation| (0..p.len()).flat_map(|k| p.block(k).iter().map(|x| x.to_bits())).collect::<Vec<_>>();
            prop_assert_eq!(bits(&fused), bits(&reference));
            if got.is_none() {
                fused.fire(i);
                reference.fire(i);
            }
        }
    }
}
