//! A neuron's record: what every event touches, in one cache line, and where its state
//! block and constants are kept.

use super::LifPopulation;
use crate::memory;

/// What every event touches of a neuron, in one aligned cache line: the scalars of
/// [`Head`], then either (compact record) the neuron's whole state block, so that a delivery
/// reads one line, or copies of its constants V∞ and θ (`scalars` has them too).
///
/// The compact record holds blocks of up to [`IN_RECORD`] floats (two exp channels: two
/// channel states and three shared factors, or, factored, the neuron's three rates) when V∞
/// and θ are the same for the whole population.
#[derive(Clone, Copy, Debug)]
#[repr(C, align(64))]
pub(super) struct Hot {
    pub head: Head,
    /// The block (compact record) or `[V∞, θ, unused…]`.
    pub x: [f64; IN_RECORD],
}

/// Floats of a record after its [`Head`].
pub(super) const IN_RECORD: usize = 5;

/// The scalars of a neuron's record.
#[derive(Clone, Copy, Debug)]
pub(super) struct Head {
    /// Time of the last update \[ms\]; the state is for this time (and, with shared
    /// exponentials, its factors for the epoch this time lies in).
    pub t_last: f64,
    /// Membrane potential \[mV\].
    pub v: f64,
    /// End of the refractory period \[ms\].
    pub ref_until: f64,
}

impl std::ops::Deref for Hot {
    type Target = Head;
    #[inline(always)]
    fn deref(&self) -> &Head {
        &self.head
    }
}

impl std::ops::DerefMut for Hot {
    #[inline(always)]
    fn deref_mut(&mut self) -> &mut Head {
        &mut self.head
    }
}

/// Where a population keeps each neuron's block and constants (see [`Hot`]): borrowed
/// apart from the arrays so that a view can carry it.
#[derive(Clone, Copy, Debug)]
pub(super) struct Place {
    pub stride: usize,
    pub compact: Option<(f64, f64)>,
}

impl Place {
    /// V∞ and θ of the neuron with record `h`.
    #[inline(always)]
    pub(super) fn consts(self, h: &Hot) -> (f64, f64) {
        self.compact.unwrap_or((h.x[0], h.x[1]))
    }

    /// Neuron `i`'s block.
    #[inline(always)]
    pub(super) fn block<'a>(self, hot: &'a [Hot], state: &'a [f64], i: usize) -> &'a [f64] {
        match self.compact {
            Some(_) => &hot[i].x[..self.stride],
            None => &state[i * self.stride..(i + 1) * self.stride],
        }
    }

    /// Hints that neuron `i`'s record and block will be read soon (compact records: the
    /// record is all; `state` is empty).
    #[inline(always)]
    pub(super) fn prefetch(self, hot: &[Hot], state: &[f64], i: usize) {
        if let Some(h) = hot.get(i) {
            crate::prefetch::prefetch(h);
        }
        if let Some(x) = state.get(i * self.stride) {
            crate::prefetch::prefetch(x);
        }
    }

    /// Neuron `i`'s scalars, block and constants, borrowed together.
    #[inline(always)]
    pub(super) fn split<'a>(
        self,
        hot: &'a mut [Hot],
        state: &'a mut [f64],
        i: usize,
    ) -> (&'a mut Head, &'a mut [f64], (f64, f64)) {
        let h = &mut hot[i];
        let c = self.consts(h);
        match self.compact {
            Some(_) => (&mut h.head, &mut h.x[..self.stride], c),
            None => (
                &mut h.head,
                &mut state[i * self.stride..(i + 1) * self.stride],
                c,
            ),
        }
    }
}

impl LifPopulation {
    /// Neuron `i`'s block.
    #[inline(always)]
    pub(super) fn block(&self, i: usize) -> &[f64] {
        self.place.block(&self.hot, &self.state, i)
    }

    /// Neuron `i`'s block, to change.
    #[inline(always)]
    pub(super) fn block_mut(&mut self, i: usize) -> &mut [f64] {
        let pl = self.place;
        pl.split(&mut self.hot, &mut self.state, i).1
    }

    /// Neuron `i`'s V∞ and θ.
    #[inline(always)]
    pub(super) fn consts(&self, i: usize) -> (f64, f64) {
        self.place.consts(&self.hot[i])
    }

    /// True when each neuron's state block (channel states and shared factors, or its own
    /// rates) is in the one cache line of its record, V∞ and θ being the same for the
    /// population: two exp channels at most, with shared exponentials or the factored
    /// propagator.
    pub fn compact_records(&self) -> bool {
        self.place.compact.is_some()
    }

    /// Moves each neuron's block out of its record into the separate array (the layout of
    /// populations whose blocks do not fit a record): the reference the compact record is
    /// tested against, and the baseline it is measured against. The same numbers.
    pub fn use_separate_records(&mut self) {
        if self.place.compact.take().is_none() {
            return;
        }
        let stride = self.place.stride;
        self.state = memory::Pages::with_capacity(self.n * stride);
        for (h, sc) in self.hot.iter_mut().zip(&self.scalars) {
            self.state.extend_from_slice(&h.x[..stride]);
            h.x = [0.0; IN_RECORD];
            h.x[..2].copy_from_slice(&[sc.v_inf, sc.v_th]);
        }
    }

    /// Readies the population for injected currents: V∞ becomes a per-neuron value that
    /// changes during the run, so it leaves the population-wide constants of compact
    /// records (the separate layout, the same numbers) and its value without drive is kept.
    pub fn expect_drive(&mut self) {
        if self.drive_base.is_empty() {
            self.use_separate_records();
            self.drive_base = self.scalars.iter().map(|s| s.v_inf).collect();
        }
    }

    /// Sets neuron `i`'s V∞ to its value without drive plus `drive` \[mV\] (from its
    /// current time on: the caller has advanced it).
    pub fn set_drive(&mut self, i: usize, drive: f64) {
        debug_assert!(self.place.compact.is_none(), "expect_drive first");
        let v_inf = self.drive_base[i] + drive;
        self.scalars[i].v_inf = v_inf;
        self.hot[i].x[0] = v_inf;
    }
}
