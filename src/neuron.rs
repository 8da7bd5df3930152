//! Neuron models.
//!
//! Every model is a population type holding its neurons' constants and state in flat
//! arrays and implementing [`NeuronModel`]. The registration table at the bottom of this
//! file (`neuron_models!`) lists the models once; from it follow the closed enum
//! [`Population`] and its dispatch, a `match` per delivered event (a cheap, predictable
//! branch), never a `dyn` call.
//!
//! * [`lif`]: leaky integrate-and-fire with delta/exp/alpha receptors, adaptation and
//!   threshold adaptation, solved exactly.
//! * [`qif`]: quadratic integrate-and-fire with delta inputs, a nonlinear model with a
//!   closed-form trajectory and spike time.
//! * [`linear`]: any stable linear neuron (resonators, compartments), solved with the
//!   matrix exponential and an interval search bounded by a Lyapunov norm.
//! * [`crossing`]: the exact first-threshold-crossing solver shared by linear models.
//! * [`bound`]: the arithmetic of the cheap bounds on the next crossing.
//! * [`kernels`]: closed-form membrane kernels, exact at degenerate time constants.
//! * [`waves`]: sinusoidal drives and the crossing search they need.
//!
//! Neurons are addressed by their index `i` within the population; times are in ms,
//! potentials and weights in mV.

pub mod bound;
pub mod crossing;
pub mod exp;
pub mod kernels;
pub mod lif;
pub mod linear;
pub mod qif;
pub mod waves;

pub use bound::{BoundParts, Delivered, Outcome};
pub use lif::{Fused, LifPopulation};
pub use linear::LinearPopulation;
pub use qif::QifPopulation;

/// What a neuron expects next without further input.
#[derive(Clone, Copy, Debug, PartialEq)]
pub enum Next {
    /// It cannot reach threshold before the end of the run.
    Never,
    /// It cannot reach threshold before this time; look again then.
    Check(f64),
    /// It reaches threshold exactly at this time.
    Spike(f64),
}

/// A population of neurons of one model: what the event loop asks of it.
///
/// The loop's contract: between events a neuron is only ever moved forward in time
/// ([`advance`](Self::advance)); all inputs of one instant are applied
/// ([`receive`](Self::receive)) before the threshold test
/// ([`above_threshold`](Self::above_threshold)); after any change the loop asks for the
/// next crossing, first as a cheap bound ([`next_bound`](Self::next_bound)), then exactly
/// ([`next_spike`](Self::next_spike)) when the bound is reached without an input.
pub trait NeuronModel {
    /// Number of neurons.
    fn len(&self) -> usize;
    /// True for an empty population.
    fn is_empty(&self) -> bool {
        self.len() == 0
    }
    /// Number of receptors a connection may name (index `0..n`).
    fn n_receptors(&self) -> usize;
    /// Brings neuron `i` to time `t` (≥ its current time) in closed form.
    fn advance(&mut self, i: usize, t: f64);
    /// Applies weight `w` on receptor `r` at the neuron's current time.
    fn receive(&mut self, i: usize, r: usize, w: f64);
    /// Hints that neuron `i` will be advanced soon (a delivery's targets ahead): fetch its
    /// state into the cache. Optional.
    fn prefetch(&self, _i: usize) {}
    /// True if neuron `i` fires at its current time.
    fn above_threshold(&self, i: usize) -> bool;
    /// An input to neuron `i`: [`advance`](Self::advance) to `t`, then
    /// [`receive`](Self::receive) `w` on receptor `r` (the default); models may do both in
    /// one pass, with the same numbers.
    fn apply(&mut self, i: usize, t: f64, r: usize, w: f64) {
        self.advance(i, t);
        self.receive(i, r, w);
    }
    /// Whether neuron `i` is [at threshold](Self::above_threshold) (the caller fires it) or
    /// its [`next_bound`](Self::next_bound) before `end`, at its current time; models may
    /// leave the bound's last steps to the caller ([`Outcome::Bound`]), with the same
    /// numbers (the default answers in full).
    fn settle(&self, i: usize, end: f64) -> Outcome {
        if self.above_threshold(i) {
            Outcome::Fires
        } else {
            Outcome::Next(self.next_bound(i, end))
        }
    }
    /// A delivery's whole work on one target when it is the target's last input at `t`:
    /// [`advance`](Self::advance) to `t`, [`receive`](Self::receive) `w` on receptor `r`,
    /// then whether the neuron is [at threshold](Self::above_threshold) (the caller fires
    /// it) or its [`next_bound`](Self::next_bound) before `end`. Models may do it in one
    /// pass over the neuron's state and leave the bound's last steps to the caller
    /// ([`Outcome::Bound`]); the numbers must be those of the separate calls (the default).
    fn deliver(&mut self, i: usize, t: f64, r: usize, w: f64, end: f64) -> Outcome {
        self.apply(i, t, r, w);
        self.settle(i, end)
    }
    /// Emits a spike at the neuron's current time (reset, refractoriness, adaptation).
    fn fire(&mut self, i: usize);
    /// The exact next threshold crossing in `[now, end)` without further input.
    fn next_spike(&self, i: usize, end: f64) -> Option<f64>;
    /// The exact search as the event loop runs it: the crossing, `Never`, or — from a
    /// model whose search can take long and stops after a bounded amount of work —
    /// `Check(t)` with no crossing before `t`, to be asked again from there (the loop looks
    /// at its guards in between). The default is [`next_spike`](Self::next_spike).
    fn search(&self, i: usize, end: f64) -> Next {
        match self.next_spike(i, end) {
            Some(t) => Next::Spike(t),
            None => Next::Never,
        }
    }
    /// A cheap lower bound on the next crossing, or the crossing itself when that is as
    /// cheap. The default is the exact answer.
    fn next_bound(&self, i: usize, end: f64) -> Next {
        match self.next_spike(i, end) {
            Some(t) => Next::Spike(t),
            None => Next::Never,
        }
    }
    /// True if neuron `i`, left alone, is at or above threshold at `t`. Lets the loop
    /// accept a crossing that bounds have pinned to one float without running the solver;
    /// models whose prediction is closed form answer `false` (the default).
    fn reached_at(&self, _i: usize, _t: f64) -> bool {
        false
    }
    /// Membrane potential at time `t` (≥ the neuron's current time), state unchanged.
    fn v_at(&self, i: usize, t: f64) -> f64;
    /// Names of the state variables a state probe may sample; the first is the membrane
    /// potential `v` (the default: only it).
    fn variables(&self) -> Vec<String> {
        vec!["v".to_string()]
    }
    /// Variable `k` (an index into [`variables`](Self::variables)) at time `t` (≥ the
    /// neuron's current time), state unchanged (the default: V for k = 0).
    fn value_at(&self, i: usize, _k: usize, t: f64) -> f64 {
        self.v_at(i, t)
    }
    /// Readies the population for [`set_drive`](Self::set_drive): an injected current
    /// drives some of its neurons (called once, by the build; may change the layout).
    fn expect_drive(&mut self);
    /// Sets the injected drive of neuron `i` \[mV\] (added to its `i_bias`) from its current
    /// time on. Only after [`expect_drive`](Self::expect_drive).
    fn set_drive(&mut self, i: usize, drive: f64);
    /// True if the model takes sinusoidal drives ([`set_sines`](Self::set_sines)).
    fn takes_sines(&self) -> bool {
        false
    }
    /// Readies the population for [`set_sines`](Self::set_sines) (called once, by the
    /// build, only if it [takes them](Self::takes_sines)).
    fn expect_sines(&mut self) {}
    /// Sets the sinusoidal drives of neuron `i` (they add to its other drives) from its
    /// current time on; the membrane potential is continuous. Only after
    /// [`expect_sines`](Self::expect_sines).
    fn set_sines(&mut self, _i: usize, _sines: &[waves::Sine]) {}
}

/// The registration table of neuron models: one line per model, `Variant(type)`, where
/// the type implements [`NeuronModel`]. It defines [`Population`] and its dispatch.
macro_rules! neuron_models {
    ($($(#[$doc:meta])* $variant:ident($ty:ty)),+ $(,)?) => {
        /// The closed set of neuron models; one value per population.
        #[derive(Clone, Debug)]
        // One value per population, not per neuron: boxing the larger variant would only
        // add an indirection to every event.
        #[allow(clippy::large_enum_variant)]
        pub enum Population {
            $($(#[$doc])* $variant($ty),)+
        }

        impl NeuronModel for Population {
            #[inline]
            fn len(&self) -> usize {
                match self { $(Population::$variant(p) => p.len(),)+ }
            }
            #[inline]
            fn n_receptors(&self) -> usize {
                match self { $(Population::$variant(p) => p.n_receptors(),)+ }
            }
            #[inline]
            fn advance(&mut self, i: usize, t: f64) {
                match self { $(Population::$variant(p) => p.advance(i, t),)+ }
            }
            #[inline]
            fn receive(&mut self, i: usize, r: usize, w: f64) {
                match self { $(Population::$variant(p) => p.receive(i, r, w),)+ }
            }
            #[inline]
            fn prefetch(&self, i: usize) {
                match self { $(Population::$variant(p) => p.prefetch(i),)+ }
            }
            #[inline]
            fn above_threshold(&self, i: usize) -> bool {
                match self { $(Population::$variant(p) => p.above_threshold(i),)+ }
            }
            #[inline]
            fn settle(&self, i: usize, end: f64) -> Outcome {
                match self { $(Population::$variant(p) => p.settle(i, end),)+ }
            }
            #[inline]
            fn apply(&mut self, i: usize, t: f64, r: usize, w: f64) {
                match self { $(Population::$variant(p) => p.apply(i, t, r, w),)+ }
            }
            #[inline]
            fn deliver(&mut self, i: usize, t: f64, r: usize, w: f64, end: f64) -> Outcome {
                match self { $(Population::$variant(p) => p.deliver(i, t, r, w, end),)+ }
            }
            #[inline]
            fn fire(&mut self, i: usize) {
                match self { $(Population::$variant(p) => p.fire(i),)+ }
            }
            #[inline]
            fn next_spike(&self, i: usize, end: f64) -> Option<f64> {
                match self { $(Population::$variant(p) => p.next_spike(i, end),)+ }
            }
            #[inline]
            fn search(&self, i: usize, end: f64) -> Next {
                match self { $(Population::$variant(p) => p.search(i, end),)+ }
            }
            #[inline]
            fn next_bound(&self, i: usize, end: f64) -> Next {
                match self { $(Population::$variant(p) => p.next_bound(i, end),)+ }
            }
            #[inline]
            fn reached_at(&self, i: usize, t: f64) -> bool {
                match self { $(Population::$variant(p) => p.reached_at(i, t),)+ }
            }
            #[inline]
            fn v_at(&self, i: usize, t: f64) -> f64 {
                match self { $(Population::$variant(p) => p.v_at(i, t),)+ }
            }
            fn variables(&self) -> Vec<String> {
                match self { $(Population::$variant(p) => p.variables(),)+ }
            }
            fn value_at(&self, i: usize, k: usize, t: f64) -> f64 {
                match self { $(Population::$variant(p) => p.value_at(i, k, t),)+ }
            }
            fn expect_drive(&mut self) {
                match self { $(Population::$variant(p) => p.expect_drive(),)+ }
            }
            fn set_drive(&mut self, i: usize, drive: f64) {
                match self { $(Population::$variant(p) => p.set_drive(i, drive),)+ }
            }
            fn takes_sines(&self) -> bool {
                match self { $(Population::$variant(p) => p.takes_sines(),)+ }
            }
            fn expect_sines(&mut self) {
                match self { $(Population::$variant(p) => p.expect_sines(),)+ }
            }
            fn set_sines(&mut self, i: usize, sines: &[waves::Sine]) {
                match self { $(Population::$variant(p) => p.set_sines(i, sines),)+ }
            }
        }
    };
}

neuron_models! {
    /// Leaky integrate-and-fire.
    Lif(LifPopulation),
    /// Quadratic integrate-and-fire (extension).
    Qif(QifPopulation),
    /// Any stable linear neuron (extension).
    Linear(LinearPopulation),
}
