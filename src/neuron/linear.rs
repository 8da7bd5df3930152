//! The `linear` model (extension): any stable linear neuron, solved exactly.
//!
//! The state `x` (n ≤ [`MAX_VARIABLES`] variables, `x_0` the membrane potential V) obeys
//!
//! ```text
//! dx/dt = A (x − rest) + g·u·e_0,        g = −A_00,  u = i_bias + injected current [mV]
//! ```
//!
//! with `A` Hurwitz (every eigenvalue with a negative real part): resonators (V coupled to a
//! slow variable, complex eigenvalues: damped subthreshold oscillations), two or more
//! passive compartments, adaptation with subthreshold coupling, synaptic currents as state
//! variables, or the `lif` model itself. A receptor adds a connection's weight to one
//! variable; at a spike V is reset and other variables may jump; during the refractory
//! period V is held at the reset (the row of V in `A` is zero) while the others evolve.
//!
//! **Trajectory.** Between events `x(t) = x* + e^{A s}(x(t0) − x*)`, `s = t − t0`,
//! `x* = rest + u·q` the equilibrium (`q = −g A^{-1} e_0`), with `e^{A s}` the matrix
//! exponential (nalgebra's Padé approximant with scaling and squaring: accurate for any
//! eigenstructure, defective or nearly so included, where an eigendecomposition would
//! cancel catastrophically).
//!
//! **Crossing search.** There is no finite reduction of a sum of damped sinusoids, so the
//! first time V reaches θ is isolated by interval enclosure with bounds from a Lyapunov
//! norm: `P` solves `Aᵀ P + P A = −I`, so `‖y‖_P = √(yᵀ P y)` of a deviation `y = x − x*`
//! never grows (it decays at least as `e^{−γ s}`, `γ = μ/(2 λ_max(P))`, μ the smallest
//! eigenvalue of the computed `−(AᵀP + PA)`), and any linear read-out `rᵀy` is bounded by
//! `‖r‖_{P⁻¹} ‖y‖_P`. On `[a, a + w]`, with `f = V − θ`,
//!
//! ```text
//! f(a + s) ≤ f(a) + f′(a)·s + σ₂ ‖y(a)‖_P s²/2,      σ₂ = ‖(A²)ᵀ e_0‖_{P⁻¹}
//! ```
//!
//! (convex, so its maximum over the interval is at an end): negative clears the interval;
//! a lower bound of `f′` above zero makes f increasing, so the crossing, if V(a + w) ≥ θ,
//! is bisected to the first float; otherwise the interval is halved, left half first, down
//! to adjacent floats, so no crossing is skipped and a graze is resolved to the float.
//! Beyond the point where `x*_0 + σ₀ ‖y‖_P < θ` nothing can cross. The search walks a grid
//! fixed by `A` alone (a first step of `1/(4‖A‖_∞)`, then doublings) from the neuron's
//! last update, never by the run's end, so a spike's bits do not depend on the horizon.
//! Every V the search compares is computed as [`advance`](NeuronModel::advance) computes
//! it, from the same origin.

use super::NeuronModel;
use nalgebra::{DMatrix, DVector};

/// Most state variables a `linear` model may have.
pub const MAX_VARIABLES: usize = 8;

/// Why a matrix cannot be a `linear` model's.
#[derive(Clone, Debug, PartialEq)]
pub enum MatrixError {
    /// Not square, or of the wrong size.
    Shape(String),
    /// V does not leak (`A_00 ≥ 0`): the drive's gain `−A_00` would not be positive.
    NoLeak,
    /// Not stable (some eigenvalue with a real part ≥ 0), or too close to it for the
    /// search's bounds.
    Unstable,
}

/// The population-wide constants of a `linear` model.
#[derive(Clone, Debug)]
pub struct LinearSystem {
    n: usize,
    a: DMatrix<f64>,
    /// `A` with the row of V set to zero: the refractory dynamics.
    a_ref: DMatrix<f64>,
    rest: DVector<f64>,
    /// Equilibrium shift per mV of drive.
    q: DVector<f64>,
    /// `Lᵀ`, `P = L Lᵀ`: `‖y‖_P = |Lᵀ y|`.
    lt: DMatrix<f64>,
    /// `‖(Aʲ)ᵀ e_0‖_{P⁻¹}` for j = 0, 1, 2: the largest V, V′, V″ per unit of `‖y‖_P`.
    sigma: [f64; 3],
    /// Decay rate of `‖y‖_P` \[1/ms\].
    gamma: f64,
    /// The search grid's first step \[ms\].
    h0: f64,
}

impl LinearSystem {
    /// The system `dx/dt = A (x − rest) + …` (`a` row-major, n × n; `rest` n values).
    pub fn new(a: &[Vec<f64>], rest: &[f64]) -> Result<Self, MatrixError> {
        let n = rest.len();
        if n == 0 || n > MAX_VARIABLES {
            return Err(MatrixError::Shape(format!(
                "must have 1 to {MAX_VARIABLES} variables, got {n}"
            )));
        }
        if a.len() != n || a.iter().any(|r| r.len() != n) {
            return Err(MatrixError::Shape(format!(
                "must be {n} × {n} (one row and one column per variable)"
            )));
        }
        let a = DMatrix::from_fn(n, n, |i, j| a[i][j]);
        if a[(0, 0)] >= 0.0 {
            return Err(MatrixError::NoLeak);
        }
        // Lyapunov equation Aᵀ P + P A = −I as a linear system in vec(P) (column-major):
        // (I ⊗ Aᵀ + Aᵀ ⊗ I) vec(P) = −vec(I).
        let at = a.transpose();
        let id = DMatrix::<f64>::identity(n, n);
        let k = id.kronecker(&at) + at.kronecker(&id);
        let rhs = DVector::from_fn(n * n, |m, _| if m % (n + 1) == 0 { -1.0 } else { 0.0 });
        let vec_p = k.lu().solve(&rhs).ok_or(MatrixError::Unstable)?;
        let p = DMatrix::from_column_slice(n, n, vec_p.as_slice());
        let p = (&p + p.transpose()) * 0.5;
        let chol = p.clone().cholesky().ok_or(MatrixError::Unstable)?;
        let lt = chol.l().transpose();
        let p_inv = chol.inverse();
        // the decay the computed P certifies: −(AᵀP + PA) ≥ μ I, ‖y‖²_P ≤ λ_max(P) |y|²
        let m = -(&at * &p + &p * &a);
        let mu = m.symmetric_eigen().eigenvalues.min();
        let lam_max = p.clone().symmetric_eigen().eigenvalues.max();
        let gamma = mu / (2.0 * lam_max);
        let norm_inf = (0..n)
            .map(|i| a.row(i).iter().map(|v| v.abs()).sum::<f64>())
            .fold(0.0, f64::max);
        // (a decay a billion times slower than the fastest rate: the search's bounds would
        // crawl)
        if !(mu > 0.5 && gamma.is_finite() && gamma > 1e-9 * norm_inf) {
            return Err(MatrixError::Unstable);
        }
        let norm_inv = |r: DVector<f64>| (r.dot(&(&p_inv * &r))).max(0.0).sqrt();
        let e0 = DVector::from_fn(n, |i, _| if i == 0 { 1.0 } else { 0.0 });
        let r1 = at.column(0).into_owned();
        let r2 = &at * &r1;
        let sigma = [norm_inv(e0.clone()), norm_inv(r1), norm_inv(r2)];
        let gain = -a[(0, 0)];
        let q = a.clone().lu().solve(&(e0 * -gain)).ok_or(MatrixError::Unstable)?;
        let mut a_ref = a.clone();
        a_ref.row_mut(0).fill(0.0);
        if !sigma.iter().all(|s| s.is_finite()) || !q.iter().all(|v| v.is_finite()) {
            return Err(MatrixError::Unstable);
        }
        Ok(LinearSystem {
            n,
            a,
            a_ref,
            rest: DVector::from_column_slice(rest),
            q,
            lt,
            sigma,
            gamma,
            h0: 0.25 / norm_inf,
        })
    }

    /// Number of state variables.
    pub fn n(&self) -> usize {
        self.n
    }

    /// The decay rate γ of the Lyapunov norm \[1/ms\].
    pub fn gamma(&self) -> f64 {
        self.gamma
    }

    /// The equilibrium under a drive of `u` mV.
    fn equilibrium(&self, u: f64) -> DVector<f64> {
        &self.rest + &self.q * u
    }

    /// `e^{A s} y` (free) or `e^{A_ref s} y` (refractory).
    fn propagate(&self, y: &DVector<f64>, s: f64, refractory: bool) -> DVector<f64> {
        if s == 0.0 {
            return y.clone();
        }
        let m = if refractory { &self.a_ref } else { &self.a };
        (m * s).exp() * y
    }

    /// `‖y‖_P`.
    fn norm(&self, y: &DVector<f64>) -> f64 {
        (&self.lt * y).norm()
    }
}

/// A population of `linear` neurons sharing one [`LinearSystem`].
#[derive(Clone, Debug)]
pub struct LinearPopulation {
    sys: LinearSystem,
    v_th: Vec<f64>,
    v_reset: Vec<f64>,
    t_ref: Vec<f64>,
    /// Drive per neuron \[mV\]: i_bias plus injected current.
    drive: Vec<f64>,
    /// i_bias alone (the drive without injected current).
    bias: Vec<f64>,
    /// States, n per neuron.
    x: Vec<f64>,
    t_last: Vec<f64>,
    ref_until: Vec<f64>,
    /// The variable each receptor adds its weight to.
    receptors: Vec<usize>,
    /// (variable, increment) added at each spike.
    jumps: Vec<(usize, f64)>,
}

/// Per-neuron values of a `linear` population.
#[derive(Clone, Debug)]
pub struct LinearNeurons {
    /// Threshold \[mV\].
    pub v_th: Vec<f64>,
    /// Reset \[mV\] (< v_th).
    pub v_reset: Vec<f64>,
    /// Refractory period \[ms\].
    pub t_ref: Vec<f64>,
    /// Constant drive \[mV\].
    pub i_bias: Vec<f64>,
    /// Initial potential \[mV\] (the other variables start at rest).
    pub v_init: Vec<f64>,
}

impl LinearPopulation {
    /// A population of `values.v_th.len()` neurons.
    pub fn new(
        sys: LinearSystem,
        values: LinearNeurons,
        receptors: Vec<usize>,
        jumps: Vec<(usize, f64)>,
    ) -> Self {
        let n = sys.n;
        let size = values.v_th.len();
        let mut x = Vec::with_capacity(n * size);
        for &v in &values.v_init {
            x.push(v);
            x.extend(sys.rest.iter().skip(1));
        }
        LinearPopulation {
            sys,
            v_th: values.v_th,
            v_reset: values.v_reset,
            t_ref: values.t_ref,
            drive: values.i_bias.clone(),
            bias: values.i_bias,
            x,
            t_last: vec![0.0; size],
            ref_until: vec![f64::NEG_INFINITY; size],
            receptors,
            jumps,
        }
    }

    fn state(&self, i: usize) -> DVector<f64> {
        let n = self.sys.n;
        DVector::from_column_slice(&self.x[i * n..(i + 1) * n])
    }

    /// The state at `t ≥ t_last` (refractory part, then free part), and the time from
    /// which the neuron is free.
    fn state_at(&self, i: usize, t: f64) -> DVector<f64> {
        let sys = &self.sys;
        let mut x = self.state(i);
        let t0 = self.t_last[i];
        let free = t0.max(self.ref_until[i]);
        if t0 < free {
            let upto = t.min(free);
            x = &sys.rest + sys.propagate(&(&x - &sys.rest), upto - t0, true);
            x[0] = self.v_reset[i];
        }
        if t > free {
            let eq = sys.equilibrium(self.drive[i]);
            x = &eq + sys.propagate(&(&x - &eq), t - free, false);
        }
        x
    }

    /// The first float `T ≥ t0` with V(T) ≥ θ for the free system from `x0` at `t0`
    /// (module docs), if before `end`.
    fn first_crossing(&self, i: usize, t0: f64, x0: &DVector<f64>, end: f64) -> Option<f64> {
        let sys = &self.sys;
        let th = self.v_th[i];
        let eq = sys.equilibrium(self.drive[i]);
        let y0 = x0 - &eq;
        if x0[0] >= th {
            return (t0 < end).then_some(t0);
        }
        // V at T and the deviation there, computed as `state_at` computes them
        let at = |t: f64| -> (f64, DVector<f64>) {
            let y = sys.propagate(&y0, t - t0, false);
            (eq[0] + y[0], y)
        };
        let scale = eq[0].abs() + th.abs();
        let (mut a, mut h) = (t0, sys.h0);
        loop {
            if a >= end {
                return None;
            }
            let (_, y) = at(a);
            let reach = sys.sigma[0] * sys.norm(&y);
            let slack = 64.0 * f64::EPSILON * (scale + reach);
            if eq[0] + reach + slack < th {
                return None;
            }
            let b = a + h;
            if let Some(t) = self.segment(a, b, th, scale, &at) {
                return (t < end).then_some(t);
            }
            a = b;
            h *= 2.0;
        }
    }

    /// The first crossing in `(a, b]` (V(a) < θ), left-first subdivision.
    fn segment(
        &self,
        a: f64,
        b: f64,
        th: f64,
        scale: f64,
        at: &impl Fn(f64) -> (f64, DVector<f64>),
    ) -> Option<f64> {
        let sys = &self.sys;
        let mut stack = vec![(a, b)];
        while let Some((lo, hi)) = stack.pop() {
            let (v_lo, y) = at(lo);
            if v_lo >= th {
                return Some(lo);
            }
            let w = hi - lo;
            let norm = sys.norm(&y);
            let f = v_lo - th;
            let fp = sys.a.row(0).tr_dot(&y);
            let curv = sys.sigma[2] * norm;
            let slack = 64.0 * f64::EPSILON * (scale + sys.sigma[0] * norm + fp.abs() * w);
            if f.max(f + fp * w + 0.5 * curv * w * w) + slack < 0.0 {
                continue;
            }
            let mid = lo + 0.5 * w;
            let adjacent = mid <= lo || mid >= hi;
            if adjacent || fp - curv * w > 64.0 * f64::EPSILON * fp.abs() {
                // increasing on [lo, hi] (or nothing between the ends): the crossing, if
                // V(hi) ≥ θ, is the first float from lo at or above threshold
                let (v_hi, _) = at(hi);
                if v_hi >= th {
                    return Some(bisect(lo, hi, |t| at(t).0 >= th));
                }
                continue;
            }
            stack.push((mid, hi));
            stack.push((lo, mid));
        }
        None
    }
}

/// The first float in `(lo, hi]` where `above` holds, given `!above(lo)` and `above(hi)`
/// with `above` monotone between.
fn bisect(mut lo: f64, mut hi: f64, above: impl Fn(f64) -> bool) -> f64 {
    loop {
        let mid = lo + 0.5 * (hi - lo);
        if mid <= lo || mid >= hi {
            return hi;
        }
        if above(mid) {
            hi = mid;
        } else {
            lo = mid;
        }
    }
}

impl NeuronModel for LinearPopulation {
    fn len(&self) -> usize {
        self.v_th.len()
    }

    fn n_receptors(&self) -> usize {
        self.receptors.len()
    }

    fn advance(&mut self, i: usize, t: f64) {
        if t > self.t_last[i] {
            let x = self.state_at(i, t);
            let n = self.sys.n;
            self.x[i * n..(i + 1) * n].copy_from_slice(x.as_slice());
            self.t_last[i] = t;
        }
    }

    /// Adds `w` to the receptor's variable (an input to V is discarded while refractory).
    fn receive(&mut self, i: usize, r: usize, w: f64) {
        let k = self.receptors[r];
        if k == 0 && self.t_last[i] < self.ref_until[i] {
            return;
        }
        self.x[i * self.sys.n + k] += w;
    }

    fn above_threshold(&self, i: usize) -> bool {
        self.t_last[i] >= self.ref_until[i] && self.x[i * self.sys.n] >= self.v_th[i]
    }

    /// Reset of V, the variables' jumps, refractoriness.
    fn fire(&mut self, i: usize) {
        let n = self.sys.n;
        self.x[i * n] = self.v_reset[i];
        for &(k, inc) in &self.jumps {
            self.x[i * n + k] += inc;
        }
        self.ref_until[i] = if self.t_ref[i] > 0.0 {
            self.t_last[i] + self.t_ref[i]
        } else {
            f64::NEG_INFINITY
        };
    }

    fn next_spike(&self, i: usize, end: f64) -> Option<f64> {
        let t0 = self.t_last[i].max(self.ref_until[i]);
        if t0 >= end {
            return None;
        }
        let x0 = self.state_at(i, t0);
        self.first_crossing(i, t0, &x0, end)
    }

    fn v_at(&self, i: usize, t: f64) -> f64 {
        self.state_at(i, t.max(self.t_last[i]))[0]
    }

    fn expect_drive(&mut self) {}

    fn set_drive(&mut self, i: usize, drive: f64) {
        self.drive[i] = self.bias[i] + drive;
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A lif neuron with one exp receptor as a linear system: V, I.
    fn lif_exp(tau_m: f64, tau_s: f64) -> LinearSystem {
        LinearSystem::new(
            &[vec![-1.0 / tau_m, 1.0 / tau_m], vec![0.0, -1.0 / tau_s]],
            &[-70.0, 0.0],
        )
        .unwrap()
    }

    fn one(sys: LinearSystem, v_init: f64, i_bias: f64) -> LinearPopulation {
        LinearPopulation::new(
            sys,
            LinearNeurons {
                v_th: vec![-50.0],
                v_reset: vec![-70.0],
                t_ref: vec![2.0],
                i_bias: vec![i_bias],
                v_init: vec![v_init],
            },
            vec![0, 1],
            vec![],
        )
    }

    #[test]
    fn unstable_and_ill_shaped_matrices_are_refused() {
        let bad = |a: &[Vec<f64>], rest: &[f64]| LinearSystem::new(a, rest).unwrap_err();
        assert_eq!(bad(&[vec![0.1]], &[0.0]), MatrixError::NoLeak);
        // a slow variable that feeds itself: an eigenvalue > 0
        assert_eq!(
            bad(&[vec![-0.1, 0.0], vec![0.0, 0.01]], &[0.0, 0.0]),
            MatrixError::Unstable
        );
        // undamped oscillation: eigenvalues ±i
        assert_eq!(
            bad(&[vec![-1e-300, -1.0], vec![1.0, 0.0]], &[0.0, 0.0]),
            MatrixError::Unstable
        );
        assert!(matches!(
            bad(&[vec![-0.1, 0.0]], &[0.0, 0.0]),
            MatrixError::Shape(_)
        ));
        assert!(matches!(bad(&[], &[]), MatrixError::Shape(_)));
    }

    /// The lif model's closed form: V(t) with an exp current, from rest.
    #[test]
    fn a_lif_with_an_exp_current_follows_its_closed_form() {
        let (tm, ts) = (10.0, 3.0);
        let mut p = one(lif_exp(tm, ts), -70.0, 4.0);
        p.receive(0, 1, 30.0);
        for &t in &[0.5, 1.0, 2.5, 7.0, 30.0] {
            let k = tm * ts / (tm - ts) / tm;
            let want = -70.0 + 4.0 * (1.0 - (-t / tm).exp())
                + 30.0 * k * ((-t / tm).exp() - (-t / ts).exp());
            let got = p.v_at(0, t);
            assert!((got - want).abs() < 1e-12, "t {t}: {got} vs {want}");
        }
    }

    /// Against dense sampling: the search never misses a crossing, and V is below θ just
    /// before the time it returns and at or above it there.
    #[test]
    fn the_search_finds_the_first_crossing_of_a_damped_oscillation() {
        // resonator: V coupled to w, complex eigenvalues (period ≈ 2π/0.3 ≈ 21 ms)
        let sys = LinearSystem::new(
            &[vec![-0.1, -1.0], vec![0.1, -0.05]],
            &[-65.0, 0.0],
        )
        .unwrap();
        let mut outcomes = Vec::new();
        for &kick in &[4.0, 6.0, 6.5, 7.0, 7.5, 8.0, 12.0] {
            let mut p = LinearPopulation::new(
                sys.clone(),
                LinearNeurons {
                    v_th: vec![-50.0],
                    v_reset: vec![-65.0],
                    t_ref: vec![0.0],
                    i_bias: vec![0.0],
                    v_init: vec![-65.0],
                },
                vec![0, 1],
                vec![],
            );
            // a negative kick to w: rebound excitation peaks after a quarter period
            p.receive(0, 1, -kick);
            let got = p.next_spike(0, 200.0);
            let mut first = None;
            let mut t = 0.0;
            while t < 200.0 {
                if p.v_at(0, t) >= -50.0 {
                    first = Some(t);
                    break;
                }
                t += 1e-3;
            }
            match (got, first) {
                (Some(g), Some(f)) => {
                    assert!(g <= f + 1e-12 && g > f - 1e-3, "kick {kick}: {g} vs {f}");
                    assert!(p.v_at(0, g) >= -50.0 && p.v_at(0, g.next_down()) < -50.0);
                }
                (None, None) => {}
                other => panic!("kick {kick}: {other:?}"),
            }
            outcomes.push(got);
        }
        assert!(outcomes.iter().any(Option::is_none) && outcomes.iter().any(Option::is_some));
    }
}
