//! One `linear` neuron for the gradient's replay and adjoint: `dx/dt = A (x − x*)` with the
//! equilibrium `x* = rest + u·q` (u the drive), V = x₀; while refractory `A_ref` (A without
//! V's row) around `rest`. Between events `x₁ = x* + Φ (x₀ − x*)`, `Φ = e^{AΔ}`, so the
//! adjoint goes back as `λ₀ = Φᵀ λ₁` and the drive collects `λ₁ · (I − Φ) q`. The matrix
//! exponential is nalgebra's (Padé with scaling and squaring): the replay only needs the
//! state at the engine's event times, not the engine's own propagators.

use super::tape::{Adjoint, ParamGrad, Syn};
use crate::neuron::linear::{AdjointNeuron, AdjointSystem};
use nalgebra::{DMatrix, DVector};

/// What a population's neurons share: the engine's system and `A_ref`, `A` with V's row
/// zero (V held).
#[derive(Clone, Debug)]
pub(super) struct Shared {
    sys: AdjointSystem,
    a_ref: DMatrix<f64>,
}

impl From<AdjointSystem> for Shared {
    fn from(sys: AdjointSystem) -> Self {
        let mut a_ref = sys.a.clone();
        a_ref.row_mut(0).fill(0.0);
        Shared { sys, a_ref }
    }
}

/// One neuron's own values (its state: the initial one).
pub(super) type Cell = AdjointNeuron;

/// A `linear` neuron's dynamics.
pub(super) struct Dynamics<'a> {
    pub sh: &'a Shared,
    pub cell: &'a Cell,
}

impl Dynamics<'_> {
    /// The matrix of a segment: free or refractory.
    fn matrix(&self, refr: bool) -> &DMatrix<f64> {
        if refr {
            &self.sh.a_ref
        } else {
            &self.sh.sys.a
        }
    }

    /// The point a segment relaxes to.
    fn equilibrium(&self, refr: bool) -> DVector<f64> {
        if refr {
            self.sh.sys.rest.clone()
        } else {
            &self.sh.sys.rest + &self.sh.sys.q * self.cell.drive
        }
    }

    fn flow(&self, dt: f64, refr: bool) -> DMatrix<f64> {
        (self.matrix(refr) * dt).exp()
    }
}

impl Adjoint for Dynamics<'_> {
    fn dim(&self) -> usize {
        self.cell.x.len()
    }

    fn initial(&self) -> Vec<f64> {
        self.cell.x.clone()
    }

    fn t_ref(&self) -> f64 {
        self.cell.t_ref
    }

    fn v_th(&self) -> f64 {
        self.cell.v_th
    }

    fn propagate(&self, x0: &[f64], dt: f64, refr: bool, out: &mut [f64]) {
        let xs = self.equilibrium(refr);
        let y = DVector::from_column_slice(x0) - &xs;
        let x1 = xs + self.flow(dt, refr) * y;
        out.copy_from_slice(x1.as_slice());
        if refr {
            out[0] = x0[0]; // held exactly
        }
    }

    fn field(&self, x: &[f64], refr: bool, out: &mut [f64]) {
        let f = self.matrix(refr) * (DVector::from_column_slice(x) - self.equilibrium(refr));
        out.copy_from_slice(f.as_slice());
    }

    fn back_segment(&self, _x0: &[f64], dt: f64, refr: bool, lam: &mut [f64], g: &mut ParamGrad) {
        let phi = self.flow(dt, refr);
        let l1 = DVector::from_column_slice(lam);
        if !refr {
            // ∂x₁/∂u = (I − Φ) q
            g.v_inf += l1.dot(&self.sh.sys.q) - l1.dot(&(&phi * &self.sh.sys.q));
        }
        let l0 = phi.transpose() * l1;
        lam.copy_from_slice(l0.as_slice());
    }

    fn arrive(&self, x: &mut [f64], s: Syn, refractory: bool) -> (bool, bool) {
        let k = self.sh.sys.receptors[s.receptor as usize];
        if k == 0 && refractory {
            return (false, false);
        }
        x[k] += s.w;
        (true, k == 0)
    }

    fn reset(&self, x: &mut [f64]) {
        x[0] = self.cell.v_reset;
        for &(k, inc) in &self.sh.sys.jumps {
            x[k] += inc;
        }
    }

    fn threshold_terms(&self) -> std::ops::Range<usize> {
        0..0
    }

    fn spike_jumps(&self, _lam: &[f64], _g: &mut ParamGrad) {}

    fn weight_gradient(&self, lam: &[f64], s: Syn, _g: &mut ParamGrad) -> f64 {
        lam[self.sh.sys.receptors[s.receptor as usize]]
    }
}
