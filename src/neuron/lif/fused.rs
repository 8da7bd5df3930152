//! Fused delivery: a target's advance, input, threshold test and bound in one pass, for the
//! common layout (exp channels only, at most three, pairwise-distinct rates, no threshold
//! terms) under the shared or the factored propagator. The same operations in the same
//! order as `advance`, `receive`, `above_threshold` and `next_bound`, so the same numbers
//! (proptest `fused_delivery_equals_the_separate_calls`), without their dispatch, their
//! repeated checks and their re-reads of the state.

use super::{LifPopulation, Slot};
use crate::neuron::{BoundParts, Delivered, Next, Outcome};

/// Most channels the fused path takes.
pub(super) const MAX_FUSED: usize = 3;

impl LifPopulation {
    /// [`NeuronModel::apply`](crate::neuron::NeuronModel::apply): fused where the layout
    /// allows.
    #[inline]
    pub fn apply(&mut self, i: usize, t: f64, r: usize, w: f64) {
        let done = match (self.fused, self.layout.n_state) {
            (true, 0) => self.apply_fused::<0>(i, t, r, w),
            (true, 1) => self.apply_fused::<1>(i, t, r, w),
            (true, 2) => self.apply_fused::<2>(i, t, r, w),
            (true, 3) => self.apply_fused::<3>(i, t, r, w),
            _ => false,
        };
        if !done {
            self.advance(i, t);
            self.receive(i, r, w);
        }
    }

    /// [`NeuronModel::settle`](crate::neuron::NeuronModel::settle): fused where the layout
    /// allows.
    #[inline]
    pub fn settle(&self, i: usize, end: f64) -> Outcome {
        let fused = match (self.fused, self.layout.n_state) {
            (true, 0) => self.bound_fused::<0>(i, end),
            (true, 1) => self.bound_fused::<1>(i, end),
            (true, 2) => self.bound_fused::<2>(i, end),
            (true, 3) => self.bound_fused::<3>(i, end),
            _ => None,
        };
        fused.unwrap_or_else(|| self.settle_general(i, end))
    }

    /// [`NeuronModel::deliver`](crate::neuron::NeuronModel::deliver): fused where the
    /// layout allows.
    #[inline]
    pub fn deliver(&mut self, i: usize, t: f64, r: usize, w: f64, end: f64) -> Outcome {
        let fused = match (self.fused, self.layout.n_state) {
            (true, 0) => self.deliver_fused::<0>(i, t, r, w, end),
            (true, 1) => self.deliver_fused::<1>(i, t, r, w, end),
            (true, 2) => self.deliver_fused::<2>(i, t, r, w, end),
            (true, 3) => self.deliver_fused::<3>(i, t, r, w, end),
            _ => None,
        };
        fused.unwrap_or_else(|| {
            self.advance(i, t);
            self.receive(i, r, w);
            self.settle_general(i, end)
        })
    }

    /// The threshold test and bound by the general calls.
    fn settle_general(&self, i: usize, end: f64) -> Outcome {
        Outcome::from_next((!self.above_threshold(i)).then(|| self.next_bound(i, end)))
    }

    /// [`advance`](Self::advance) and [`receive`](Self::receive) in one pass for the fused
    /// layout with `N` channels. False, with nothing changed, when the neuron needs the
    /// general path (refractory at its last update, no time elapsed, or shared factors more
    /// than one epoch old).
    #[inline(always)]
    pub(super) fn apply_fused<const N: usize>(
        &mut self,
        i: usize,
        t: f64,
        r: usize,
        w: f64,
    ) -> bool {
        let h = &self.hot[i];
        let t0 = h.t_last;
        let ready = t > t0 && t0 >= h.ref_until;
        let st = if let Some(sh) = self.shared.as_mut() {
            sh.set_now(t);
            if !ready {
                return false;
            }
            match self.advance_distinct::<N>(i) {
                Some(st) => st,
                None => return false,
            }
        } else if ready {
            self.advance_factored_distinct::<N>(i, t - t0)
        } else {
            return false;
        };
        self.input::<N>(i, t, r, w, st);
        true
    }

    /// The input of a fused delivery to neuron `i`, advanced to `t` with channel states
    /// `st`; returns the states after it (also stored).
    #[inline(always)]
    fn input<const N: usize>(
        &mut self,
        i: usize,
        t: f64,
        r: usize,
        w: f64,
        mut st: [f64; N],
    ) -> [f64; N] {
        self.hot[i].t_last = t;
        // not refractory from here on (t > t_last ≥ ref_until)
        match self.layout.receptors[r] {
            Slot::Delta => self.hot[i].v += w,
            Slot::Exp(c) => {
                let c = c as usize;
                self.state[i * self.stride + c] += w;
                // (constant indices: a dynamic one would keep `st` in memory, and the bound
                // would read it back with wide loads that the narrow stores cannot forward to)
                for (k, s) in st.iter_mut().enumerate() {
                    if k == c {
                        *s += w;
                    }
                }
            }
            Slot::Alpha(_) => unreachable!("fused layouts have exp channels only"),
        }
        st
    }

    /// [`deliver`](crate::neuron::NeuronModel::deliver) in one pass for the fused layout with
    /// `N` channels, the bound's square root and divisions left to the caller
    /// ([`Outcome::Bound`]). `None`, with nothing changed, when the neuron needs the general
    /// path (see [`apply_fused`](Self::apply_fused)).
    #[inline]
    pub(super) fn deliver_fused<const N: usize>(
        &mut self,
        i: usize,
        t: f64,
        r: usize,
        w: f64,
        end: f64,
    ) -> Option<Outcome> {
        let mut parts = BoundParts::default();
        match self.deliver_into::<N>(i, t, r, w, end, &mut parts) {
            Delivered::General => None,
            Delivered::Fires => Some(Outcome::Fires),
            Delivered::Never => Some(Outcome::Next(Next::Never)),
            Delivered::Parts => Some(Outcome::Bound(parts)),
        }
    }

    /// [`deliver_fused`](Self::deliver_fused) for a layout of `N` channels, with the bound's
    /// parts written straight into `out` (a batch's slot) instead of returned in an
    /// [`Outcome`]: an event loop that knows every population's layout calls it with `N`
    /// fixed, so the whole delivery compiles to one straight path whose results go to
    /// memory once ([`Delivered::General`], nothing changed, when the layout or the neuron
    /// needs the general path).
    #[inline(always)]
    pub fn deliver_into<const N: usize>(
        &mut self,
        i: usize,
        t: f64,
        r: usize,
        w: f64,
        end: f64,
        out: &mut BoundParts,
    ) -> Delivered {
        if !(self.fused && self.layout.n_state == N) {
            return Delivered::General;
        }
        // `apply_fused`'s steps, with the rest of the delivery in each branch: no merge of
        // the two propagators' states, which would go through memory
        let h = &self.hot[i];
        let t0 = h.t_last;
        let ready = t > t0 && t0 >= h.ref_until;
        if let Some(sh) = self.shared.as_mut() {
            sh.set_now(t);
            if !ready {
                return Delivered::General;
            }
            let Some(st) = self.advance_distinct::<N>(i) else {
                return Delivered::General;
            };
            let st = self.input::<N>(i, t, r, w, st);
            self.bound_into::<N>(i, end, &st, out)
        } else if ready {
            let st = self.advance_factored_distinct::<N>(i, t - t0);
            let st = self.input::<N>(i, t, r, w, st);
            self.bound_into::<N>(i, end, &st, out)
        } else {
            Delivered::General
        }
    }

    /// The number of channels of the fused layout, `None` if this population does not take
    /// the fused path.
    pub fn fused_channels(&self) -> Option<usize> {
        self.fused.then_some(self.layout.n_state)
    }

    /// [`above_threshold`](Self::above_threshold) and [`next_bound`](Self::next_bound) at
    /// the neuron's current time in one pass for the fused layout with `N` channels, the
    /// bound's square root and divisions left to the caller. `None` while refractory (the
    /// general path looks ahead on a copy).
    #[inline(always)]
    pub(super) fn bound_fused<const N: usize>(&self, i: usize, end: f64) -> Option<Outcome> {
        if self.hot[i].t_last < self.hot[i].ref_until {
            return None;
        }
        let at = i * self.stride;
        let st: [f64; N] = std::array::from_fn(|c| self.state[at + c]);
        let mut parts = BoundParts::default();
        Some(match self.bound_into::<N>(i, end, &st, &mut parts) {
            Delivered::Fires => Outcome::Fires,
            Delivered::Parts => Outcome::Bound(parts),
            _ => Outcome::Next(Next::Never),
        })
    }

    /// The threshold test and the bound's parts (into `out`) of neuron `i`, outside
    /// refractoriness, with channel states `st`: `Fires`, `Never` (at or past the run's
    /// end) or `Parts`.
    #[inline(always)]
    fn bound_into<const N: usize>(
        &self,
        i: usize,
        end: f64,
        st: &[f64; N],
        out: &mut BoundParts,
    ) -> Delivered {
        let h = &self.hot[i];
        let (t, v) = (h.t_last, h.v);
        if v >= h.v_th {
            return Delivered::Fires;
        }
        if t >= end {
            return Delivered::Never;
        }
        // (`next_bound` subtracts the empty sum of threshold terms, which leaves g0 as is)
        let g0 = v - h.v_th;
        let (mu, lam) = self.rates_of(i);
        let (upper, slope, g1, curv) = self.distinct_parts::<N>(i, mu, lam, v, st);
        out.g0 = g0;
        out.g1 = g1;
        out.curv = curv;
        out.upper = upper;
        out.slope = slope;
        Delivered::Parts
    }
}
