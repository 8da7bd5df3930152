//! The event loop's per-neuron bookkeeping record.

use crate::ids::PopulationId;
use crate::queue::{FarTimes, NO_PREDICTION};

/// The event loop's per-neuron bookkeeping, with the neuron's far prediction (the queue's
/// [`FarTimes`]): one 16-byte record, so that a delivery reads one line for its flags and
/// its prediction.
#[derive(Clone, Copy, Debug)]
pub(super) struct Meta {
    /// Far prediction, or [`NO_PREDICTION`].
    pub far: f64,
    /// Population.
    pub pop: PopulationId,
    /// Listed in `dirty` for the end of the current instant.
    pub dirty: bool,
    /// Its queued crossing is exact (fire) rather than a lower bound (look again).
    pub exact: bool,
    /// How many times its current check came from a tightened bound.
    pub rebounded: u8,
}

// (four records per cache line)
const _: () = assert!(std::mem::size_of::<Meta>() == 16);

impl Default for Meta {
    fn default() -> Self {
        Meta {
            far: NO_PREDICTION,
            pop: PopulationId::default(),
            dirty: false,
            exact: false,
            rebounded: 0,
        }
    }
}

impl FarTimes for [Meta] {
    #[inline(always)]
    fn far(&self, id: usize) -> f64 {
        self[id].far
    }
    #[inline(always)]
    fn set_far(&mut self, id: usize, time: f64) {
        self[id].far = time;
    }
    fn earliest(&self) -> f64 {
        crate::queue::horizon::earliest_in(self, |m| m.far)
    }
    fn take_before(&mut self, horizon: f64, take: impl FnMut(u32, f64)) -> usize {
        crate::queue::horizon::take_before_in(self, horizon, |m| &mut m.far, take)
    }
}
