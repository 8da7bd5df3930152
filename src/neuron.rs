//! Neuron models.
//!
//! Every model is a population type holding its neurons' constants and state in flat
//! arrays. [`Population`] is the closed set of models; the simulation matches on it once per
//! delivered event (a cheap, predictable branch), never through a `dyn` call.
//!
//! * [`lif`]: leaky integrate-and-fire with delta/exp/alpha receptors, adaptation and
//!   threshold adaptation, solved exactly.
//! * [`qif`]: quadratic integrate-and-fire with delta inputs, a nonlinear model with a
//!   closed-form trajectory and spike time.
//! * [`crossing`]: the exact first-threshold-crossing solver shared by linear models.
//! * [`kernels`]: closed-form membrane kernels, exact at degenerate time constants.

pub mod crossing;
pub mod kernels;
pub mod lif;
pub mod qif;

pub use lif::{LifPopulation, Next};
pub use qif::QifPopulation;

/// The closed set of neuron models; one value per population.
#[derive(Clone, Debug)]
// One value per population, not per neuron: boxing the larger variant would only add an
// indirection to every event.
#[allow(clippy::large_enum_variant)]
pub enum Population {
    /// Leaky integrate-and-fire.
    Lif(LifPopulation),
    /// Quadratic integrate-and-fire (extension).
    Qif(QifPopulation),
}

macro_rules! dispatch {
    ($self:expr, $p:ident => $e:expr) => {
        match $self {
            Population::Lif($p) => $e,
            Population::Qif($p) => $e,
        }
    };
}

impl Population {
    /// Number of neurons.
    pub fn len(&self) -> usize {
        dispatch!(self, p => p.len())
    }
    /// True for an empty population.
    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }
    /// Brings neuron `i` to time `t`.
    #[inline]
    pub fn advance(&mut self, i: usize, t: f64) {
        dispatch!(self, p => p.advance(i, t))
    }
    /// Applies weight `w` on receptor `r` at the neuron's current time.
    #[inline]
    pub fn receive(&mut self, i: usize, r: usize, w: f64) {
        dispatch!(self, p => p.receive(i, r, w))
    }
    /// True if neuron `i` may fire at its current time.
    #[inline]
    pub fn above_threshold(&self, i: usize) -> bool {
        dispatch!(self, p => p.above_threshold(i))
    }
    /// Emits a spike at the neuron's current time.
    #[inline]
    pub fn fire(&mut self, i: usize) {
        dispatch!(self, p => p.fire(i))
    }
    /// Next threshold crossing in `[now, end)` without further input.
    #[inline]
    pub fn next_spike(&self, i: usize, end: f64) -> Option<f64> {
        dispatch!(self, p => p.next_spike(i, end))
    }
    /// Cheap lower bound on the next crossing (see [`LifPopulation::next_bound`]).
    #[inline]
    pub fn next_bound(&self, i: usize, end: f64) -> Next {
        dispatch!(self, p => p.next_bound(i, end))
    }
    /// True if neuron `i`, left alone, is at or above threshold at `t` (`lif`; `qif` answers
    /// false and leaves it to its closed-form prediction).
    #[inline]
    pub fn reached_at(&self, i: usize, t: f64) -> bool {
        match self {
            Population::Lif(p) => p.reached_at(i, t),
            Population::Qif(_) => false,
        }
    }
    /// Number of receptors a connection may name.
    pub fn n_receptors(&self) -> usize {
        match self {
            Population::Lif(p) => p.layout().receptors.len(),
            Population::Qif(_) => 1,
        }
    }
    /// Membrane potential at time `t` (≥ the neuron's last update), state unchanged.
    pub fn v_at(&self, i: usize, t: f64) -> f64 {
        dispatch!(self, p => p.v_at(i, t))
    }
}
