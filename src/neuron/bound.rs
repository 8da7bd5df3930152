//! The arithmetic of the cheap bounds on the next threshold crossing, shared by the models
//! and the event loop: from the distance to threshold `g0 < 0`, its slope `g1`, a bound on
//! its curvature and on its rise, a time before which it cannot reach zero.
//!
//! A delivery may leave the last steps (a square root and two divisions) of each target's
//! bound to one tight loop over the whole group ([`Outcome::Bound`]), so that the processor
//! overlaps the targets' long-latency operations instead of waiting on each in turn.

use super::Next;

/// A time before which `g(s) = g0 + g1 s + ∫∫ g''` stays negative, given `g0 < 0`, the slope
/// `g1 = g'(0)` and `curv ≥ sup g''` on `[0, ∞)` (for `Σ c_k e^{-λ_k s}`, the positive
/// terms' `Σ λ_k² c_k`): the first root of `g0 + g1 s + curv s²/2`, which bounds `g` from
/// above (Taylor with remainder). Far tighter than the slope bound near a crossing, where it
/// closes in like Newton's method from below. Shrunk by 1e-9 so that rounding cannot place
/// it past the true root. Infinite when the bound never reaches zero.
#[inline(always)]
pub fn quadratic_bound(g0: f64, g1: f64, curv: f64) -> f64 {
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

/// The bound a linear model's [`next_bound`](super::NeuronModel::next_bound) returns, from
/// the distance `g0 < 0` to threshold at `t0` and the (upper bound, slope bound, quadratic
/// bound) of the distance ahead.
#[inline]
pub fn bound_at(t0: f64, g0: f64, (upper, m, s_quad): (f64, f64, f64), end: f64) -> Next {
    if upper < 0.0 || m <= 0.0 {
        return Next::Never;
    }
    let t = t0 + (-g0 / m).max(s_quad);
    if t >= end {
        Next::Never
    } else {
        Next::Check(t)
    }
}

/// What a delivery leaves of a target's bound: the inputs of [`bound_at`] and
/// [`quadratic_bound`] besides the time and the end of the run, which the whole delivery
/// shares.
#[derive(Clone, Copy, Debug, Default, PartialEq)]
pub struct BoundParts {
    /// Its distance to threshold (< 0) \[mV\].
    pub g0: f64,
    /// The distance's slope now \[mV/ms\].
    pub g1: f64,
    /// A bound on the distance's curvature ahead \[mV/ms²\].
    pub curv: f64,
    /// A bound on the distance's maximum ahead \[mV\].
    pub upper: f64,
    /// A bound on the distance's slope ahead \[mV/ms\].
    pub slope: f64,
}

impl BoundParts {
    /// The bound, for a target at `t0` in a run that ends at `end` \[ms\].
    #[inline(always)]
    pub fn finish(&self, t0: f64, end: f64) -> Next {
        let s_quad = quadratic_bound(self.g0, self.g1, self.curv);
        bound_at(t0, self.g0, (self.upper, self.slope, s_quad), end)
    }
}

/// What a delivery into a batch's slot did (see
/// [`LifPopulation::deliver_into`](super::LifPopulation::deliver_into)).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Delivered {
    /// Not taken, nothing changed: the general path delivers.
    General,
    /// At or above threshold: the loop fires it.
    Fires,
    /// Below threshold, and the run ends before anything can happen.
    Never,
    /// Below threshold, its bound's parts written to the slot, to be
    /// [finished](BoundParts::finish).
    Parts,
}

impl Delivered {
    /// The same as an [`Outcome`] (the bound's parts `parts` when `Parts`); `None` for
    /// `General`.
    #[inline(always)]
    pub fn outcome(self, parts: BoundParts) -> Option<Outcome> {
        match self {
            Delivered::General => None,
            Delivered::Fires => Some(Outcome::Fires),
            Delivered::Never => Some(Outcome::Next(Next::Never)),
            Delivered::Parts => Some(Outcome::Bound(parts)),
        }
    }
}

/// A target's state after a delivery, before the loop settles it.
#[derive(Clone, Copy, Debug, PartialEq)]
pub enum Outcome {
    /// At or above threshold: the loop fires it.
    Fires,
    /// Below threshold, with its next bound or crossing.
    Next(Next),
    /// Below threshold, its bound still to be [finished](BoundParts::finish).
    Bound(BoundParts),
}

impl Outcome {
    /// `None` when it fires, else its bound (for a target at `t0`, a run ending at `end`).
    #[inline(always)]
    pub fn resolve(self, t0: f64, end: f64) -> Option<Next> {
        match self {
            Outcome::Fires => None,
            Outcome::Next(n) => Some(n),
            Outcome::Bound(b) => Some(b.finish(t0, end)),
        }
    }

    /// Finishes every [`Bound`](Outcome::Bound) of `outcomes` (targets at `t0`, a run ending
    /// at `end`): the square roots and divisions of independent targets in one tight loop,
    /// which the processor overlaps.
    #[inline(always)]
    pub fn finish_all(outcomes: &mut [Outcome], t0: f64, end: f64) {
        for o in outcomes {
            if let Outcome::Bound(b) = *o {
                *o = Outcome::Next(b.finish(t0, end));
            }
        }
    }

    /// The same from a [`NeuronModel::deliver`](super::NeuronModel::deliver)-style answer.
    #[inline(always)]
    pub fn from_next(next: Option<Next>) -> Outcome {
        next.map_or(Outcome::Fires, Outcome::Next)
    }
}
