//! The predictions: each neuron's next possible crossing, split at a horizon.
//!
//! Most predictions lie far ahead (in the Brette CUBA network, 9 in 10 bounds are more than
//! 4 ms away, and only about one in a hundred is within 1 ms), and most are replaced by the
//! next input long before they are due. Keeping them all in one indexed heap costs a sift on
//! every update. Here only the predictions before a horizon `H` sit in the heap; the others
//! are a time in a flat per-neuron array, where an update is one store. When the heap runs
//! dry, one pass over the array finds the earliest far prediction `m`, moves the horizon to
//! `m + width` and brings every prediction before it into the heap. `width` adapts so that a
//! refill brings in a few dozen predictions (or a small share of a large network), so the
//! passes cost a small, bounded amount per event and the heap stays shallow.
//!
//! Invariant: every heap entry is before `H`, every far entry at or after it, and the heap is
//! empty only when the far part is. So the heap's top is the earliest prediction overall, in
//! the same `(time, id)` order as one heap over everything: the split changes the cost, never
//! the order.
//!
//! The flat array belongs to the caller ([`FarTimes`]): the simulation keeps each neuron's
//! far prediction in the same 16-byte record as its other per-neuron bookkeeping, which a
//! delivery reads anyway, so that replacing a far prediction touches no line of its own. It
//! must be handed to every call that may read or write it, and changed by nothing else.

use super::indexed::IndexedHeap;

/// A far slot that holds no prediction: what every id's far time starts as.
pub const NONE: f64 = f64::INFINITY;

/// The far predictions, one time per id (a record per id), [`NONE`] where there is none (or
/// the prediction is in the heap); kept by the caller in records of its own.
pub trait FarTimes {
    /// The far time of `id`.
    fn far(&self, id: usize) -> f64;
    /// Sets the far time of `id`.
    fn set_far(&mut self, id: usize, time: f64);
    /// The earliest far time ([`NONE`] when there is none): [`earliest_in`] over the records.
    fn earliest(&self) -> f64;
    /// Clears every far time before `horizon`, handing each to `take(id, time)`; returns how
    /// many: [`take_before_in`] over the records.
    fn take_before(&mut self, horizon: f64, take: impl FnMut(u32, f64)) -> usize;
}

/// Far times in a plain array.
impl FarTimes for [f64] {
    #[inline]
    fn far(&self, id: usize) -> f64 {
        self[id]
    }
    #[inline]
    fn set_far(&mut self, id: usize, time: f64) {
        self[id] = time;
    }
    fn earliest(&self) -> f64 {
        earliest_in(self, |t| *t)
    }
    fn take_before(&mut self, horizon: f64, take: impl FnMut(u32, f64)) -> usize {
        take_before_in(self, horizon, |t| t, take)
    }
}

/// Lanes of the refill's passes.
const LANES: usize = 8;

/// The smallest far time (`time` of each record) of `records`, [`NONE`] when there is none,
/// in independent lanes.
#[inline]
pub fn earliest_in<T>(records: &[T], time: impl Fn(&T) -> f64) -> f64 {
    let mut acc = [NONE; LANES];
    let chunks = records.chunks_exact(LANES);
    let rest = chunks.remainder();
    for c in chunks {
        for (a, r) in acc.iter_mut().zip(c) {
            let t = time(r);
            *a = if t < *a { t } else { *a };
        }
    }
    acc.into_iter()
        .chain(rest.iter().map(time))
        .fold(NONE, f64::min)
}

/// [`FarTimes::take_before`] over `records` whose far time is `time(record)`.
#[inline]
pub fn take_before_in<T>(
    records: &mut [T],
    horizon: f64,
    time: impl Fn(&mut T) -> &mut f64,
    mut take: impl FnMut(u32, f64),
) -> usize {
    let mut moved = 0;
    for (c, chunk) in records.chunks_mut(LANES).enumerate() {
        // (most chunks have nothing before the horizon: one test of a few lanes each)
        if chunk
            .iter_mut()
            .fold(false, |any, r| any | (*time(r) < horizon))
        {
            for (j, r) in chunk.iter_mut().enumerate() {
                let t = time(r);
                if *t < horizon {
                    take((c * LANES + j) as u32, *t);
                    *t = NONE;
                    moved += 1;
                }
            }
        }
    }
    moved
}

/// Predictions split at a horizon (see the module docs).
#[derive(Clone, Debug)]
pub struct Predictions {
    near: IndexedHeap,
    /// Ids with a far prediction (their times are the caller's [`FarTimes`]).
    far_len: usize,
    horizon: f64,
    width: f64,
    /// Largest heap a refill aims at; above it, before any split, the split is drawn.
    cap: usize,
    /// Refills so far (their cost is O(n) each).
    refills: u64,
}

impl Default for Predictions {
    fn default() -> Self {
        Predictions::new(0)
    }
}

impl Predictions {
    /// No predictions, for ids `0..ids`.
    pub fn new(ids: usize) -> Self {
        Predictions {
            near: IndexedHeap::new(ids),
            far_len: 0,
            // everything in the heap until the first pop draws the split
            horizon: f64::INFINITY,
            width: 1.0,
            cap: (ids / 16).max(64),
            refills: 0,
        }
    }

    /// Number of predictions.
    pub fn len(&self) -> usize {
        self.near.len() + self.far_len
    }

    /// True when there are none.
    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }

    /// The earliest prediction: `(id, time)`.
    #[inline]
    pub fn peek(&self) -> Option<(u32, f64)> {
        self.near.peek()
    }

    /// Sets the prediction of `id` (which has a record in `far`) to `time` (inserting it if
    /// absent). Returns true if `id` had none.
    #[inline]
    pub fn set<F: FarTimes + ?Sized>(&mut self, far: &mut F, id: u32, time: f64) -> bool {
        let i = id as usize;
        let was_far = far.far(i) != NONE;
        debug_assert!(time.is_finite(), "internal error: prediction at {time}");
        if time >= self.horizon {
            // the common case: far before and after, one store
            far.set_far(i, time);
            if was_far {
                return false;
            }
            self.far_len += 1;
            let was_near = self.near.remove(id);
            if was_near && self.near.is_empty() {
                self.refill(far);
            }
            return !was_near;
        }
        if was_far {
            far.set_far(i, NONE);
            self.far_len -= 1;
        }
        self.near.set(id, time) && !was_far
    }

    /// Removes the prediction of `id`, if any.
    pub fn remove<F: FarTimes + ?Sized>(&mut self, far: &mut F, id: u32) {
        let i = id as usize;
        if far.far(i) != NONE {
            far.set_far(i, NONE);
            self.far_len -= 1;
        } else if self.near.remove(id) && self.near.is_empty() {
            self.refill(far);
        }
    }

    /// Removes and returns the earliest prediction's id.
    pub fn pop<F: FarTimes + ?Sized>(&mut self, far: &mut F) -> Option<u32> {
        let id = self.near.pop()?;
        // (the split is drawn from an infinite horizon only: once drawn, a heap past its
        // cap is left alone, or predictions that all share one time would be drained and
        // brought back at every pop)
        if self.near.is_empty() || (self.horizon == f64::INFINITY && self.near.len() > self.cap) {
            self.redraw(far);
        }
        Some(id)
    }

    /// Hints that the prediction of `id` will be updated soon: its heap position (its far
    /// time is in the caller's record, which the caller hints itself).
    #[inline]
    pub fn prefetch(&self, id: u32) {
        self.near.prefetch(id);
    }

    /// Hints that the heap slot of `id` (if it is in the heap) will be read soon.
    #[inline]
    pub fn prefetch_slot(&self, id: u32) {
        self.near.prefetch_slot(id);
    }

    /// After a pop: draws the split again when the heap has run dry, or when it has grown
    /// past its cap with no split drawn (at the start, every prediction is in it).
    fn redraw<F: FarTimes + ?Sized>(&mut self, far: &mut F) {
        if self.near.len() > self.cap {
            let mut moved = 0;
            self.near.drain(|id, t| {
                far.set_far(id as usize, t);
                moved += 1;
            });
            self.far_len += moved;
        }
        self.refill(far);
    }

    /// Refills an empty heap: the horizon moves to `width` past the earliest far
    /// prediction, and every far prediction before it comes in. Two passes over the ids (the
    /// earliest, then the moves), then `width` adapts to the number brought in, so that a
    /// refill's O(n) is spread over at least `cap / 2` (n/32) predictions.
    fn refill<F: FarTimes + ?Sized>(&mut self, far: &mut F) {
        self.refills += 1;
        debug_assert!(self.near.is_empty());
        if self.far_len == 0 {
            self.horizon = f64::INFINITY;
            return;
        }
        let m = far.earliest();
        // at least the earliest comes in, whatever the width
        let horizon = (m + self.width).max(m.next_up());
        let near = &mut self.near;
        let moved = far.take_before(horizon, |id, t| {
            near.set(id, t);
        });
        self.far_len -= moved;
        self.horizon = horizon;
        // aim at half the cap to the cap per refill: few refills, a shallow heap
        if moved > self.cap && self.width > f64::MIN_POSITIVE {
            self.width *= 0.5;
        } else if moved < self.cap / 2 && self.width < 1e300 {
            self.width *= 2.0;
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    proptest! {
        /// Against a sorted reference: any sequence of sets, removes and pops gives the
        /// pops in `(time, id)` order, whatever the split (small caps and widths force
        /// redraws and refills).
        #[test]
        fn pops_like_one_sorted_set(
            ids in 1usize..200,
            ops in prop::collection::vec((0u32..200, 0u8..6, -10.0f64..10.0), 0..600),
            width in prop::sample::select(vec![1e-3, 0.25, 4.0]),
        ) {
            let mut q = Predictions::new(ids);
            let far = &mut vec![NONE; ids][..];
            q.width = width;
            let mut reference: std::collections::BTreeMap<u32, f64> = Default::default();
            for (id, op, t) in ops {
                let id = id % ids as u32;
                let t = (t * 4.0).round() / 4.0; // many equal times: the id order
                match op {
                    0 => {
                        q.remove(far, id);
                        reference.remove(&id);
                    }
                    1 => {
                        let want = reference
                            .iter()
                            .min_by(|a, b| (a.1 + 0.0).total_cmp(&(b.1 + 0.0)).then(a.0.cmp(b.0)))
                            .map(|(&id, _)| id);
                        prop_assert_eq!(q.pop(far), want);
                        if let Some(id) = want {
                            reference.remove(&id);
                        }
                    }
                    _ => {
                        let fresh = q.set(far, id, t);
                        prop_assert_eq!(fresh, reference.insert(id, t).is_none());
                    }
                }
                prop_assert_eq!(q.len(), reference.len());
                prop_assert_eq!(q.near.is_empty(), reference.is_empty());
            }
            let mut want: Vec<_> = reference.into_iter().collect();
            want.sort_by(|a, b| (a.1 + 0.0).total_cmp(&(b.1 + 0.0)).then(a.0.cmp(&b.0)));
            let got: Vec<u32> = std::iter::from_fn(|| q.pop(far)).collect();
            prop_assert_eq!(got, want.into_iter().map(|w| w.0).collect::<Vec<_>>());
        }
    }

    #[test]
    fn equal_predictions_are_not_swept_at_every_pop() {
        // every neuron predicted at one time (identical neurons, no input): the heap holds
        // them all after the split, and pops neither drain nor refill it
        let n = 20_000;
        let mut q = Predictions::new(n);
        let far = &mut vec![NONE; n][..];
        for id in 0..n as u32 {
            q.set(far, id, 7.5);
        }
        let got: Vec<u32> = std::iter::from_fn(|| q.pop(far)).collect();
        assert_eq!(got, (0..n as u32).collect::<Vec<_>>());
        assert!(q.refills <= 2, "{} refills", q.refills);
    }

    #[test]
    fn far_predictions_stay_out_of_the_heap() {
        let n = 4000;
        let mut q = Predictions::new(n);
        let far = &mut vec![NONE; n][..];
        for id in 0..n as u32 {
            q.set(far, id, 1.0 + f64::from(id) * 0.01);
        }
        assert_eq!(q.pop(far), Some(0));
        // the split is drawn: a few dozen in the heap, the rest far
        assert!(q.near.len() < q.cap, "{}", q.near.len());
        assert_eq!(q.len(), n - 1);
        let before = q.near.len();
        q.set(far, 3999, 39.0);
        assert_eq!(q.near.len(), before);
        assert_eq!(q.pop(far), Some(1));
    }
}
