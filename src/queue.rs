//! The event queue: pending deliveries, source spikes and samples in a monotone radix heap
//! ([`radix::RadixQueue`]), and each neuron's predicted next spike in an indexed priority
//! queue.
//!
//! Order is total and deterministic: events sort by `(time, class, key)`, where `class`
//! fixes what happens first at one instant (see `docs/semantics.md`). A delivery's key is
//! its first synapse in the connectivity: deliveries at one instant are applied in synapse
//! order (source node, then delay group), whatever order they were scheduled in, so the
//! sums of simultaneous inputs do not depend on how the network is split or in which order
//! spikes were exchanged. For the other events `key` is an
//! insertion counter (FIFO among equals, as nexosim's epoch). Predictions live apart
//! ([`horizon::Predictions`], one per neuron): those due soon in an indexed heap
//! ([`indexed::IndexedHeap`]) updated in place in O(log n), the many far ahead in a flat
//! array where an update is one store; none is left behind as a stale entry.

pub mod horizon;
pub mod indexed;
pub mod radix;

use crate::ids::{NeuronId, SourceId};
use horizon::Predictions;
pub use horizon::{FarTimes, NONE as NO_PREDICTION};
use radix::RadixQueue;
use std::cmp::Reverse;
use std::collections::BinaryHeap;

/// Most items [`EventQueue::peek_event`] looks through in the heap's first bucket.
const PEEK_SCAN: usize = 8;

/// Keys of current steps within the sample class: above every insertion counter.
const CURRENT_KEYS: u64 = 1 << 61;

/// What happens first at one instant; lower classes first.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
#[repr(u8)]
pub enum Class {
    /// Voltage samples see the state before any event at the same time; then injected
    /// currents change (they move no potential, only its course from then on).
    Sample = 0,
    /// A neuron's own threshold crossing precedes arrivals at the same time.
    Crossing = 1,
    /// Source spikes, then
    Source = 2,
    /// the synaptic deliveries they (and earlier spikes) cause.
    Deliver = 3,
}

/// A pending event.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Event {
    /// Sample voltage probe `probe`.
    Sample {
        /// Probe index.
        probe: u32,
    },
    /// Sample weight probe `probe`.
    WeightSample {
        /// Weight-probe index.
        probe: u32,
    },
    /// Neuron `neuron` reaches threshold.
    Crossing {
        /// The neuron.
        neuron: NeuronId,
    },
    /// Source `source` emits a spike.
    Source {
        /// The source.
        source: SourceId,
        /// Its row's delay groups, `first..first + groups` (read when the spike was
        /// scheduled, while they were in cache: with many sources they are not when it pops).
        first: u32,
        /// Number of delay groups.
        groups: u32,
    },
    /// Deliver the synapses `start..end` of the connectivity (one delay group).
    Deliver {
        /// First synapse.
        start: u32,
        /// One past the last synapse.
        end: u32,
        /// No target appears twice in the group.
        distinct: bool,
    },
    /// Injected current `current` takes its next amplitude.
    Current {
        /// Index of the current in the network.
        current: u32,
    },
    /// Deliver the next delay group of a spike's row (rows of several delay groups are
    /// walked by one pending entry per spike; the walk's state is the simulation's).
    Walk {
        /// The walk.
        slot: u32,
        /// First synapse of the group it delivers (its canonical key).
        start: u32,
    },
}

impl Event {
    fn class(&self) -> Class {
        match self {
            Event::Sample { .. } | Event::WeightSample { .. } | Event::Current { .. } => {
                Class::Sample
            }
            Event::Crossing { .. } => Class::Crossing,
            Event::Source { .. } => Class::Source,
            Event::Deliver { .. } | Event::Walk { .. } => Class::Deliver,
        }
    }
}

/// A time's bits mapped so that integer order is numeric order (times are finite; −0 is taken
/// as +0): the high half of every queue key.
#[inline]
fn ordered(time: f64) -> u64 {
    let bits = (time + 0.0).to_bits();
    if bits >> 63 == 1 {
        !bits
    } else {
        bits | 1 << 63
    }
}

/// The time whose [`ordered`] bits these are.
#[inline]
fn unordered(bits: u64) -> f64 {
    f64::from_bits(if bits >> 63 == 1 {
        bits & !(1 << 63)
    } else {
        !bits
    })
}

/// `(time, class, seq)` packed into one integer with the same order: the time's [`ordered`]
/// bits, then two bits of class, then 62 bits of insertion counter.
#[inline]
fn pack(time: f64, class: Class, seq: u64) -> u128 {
    debug_assert!(seq < 1 << 62);
    (ordered(time) as u128) << 64 | (class as u128) << 62 | seq as u128
}

/// A walk's entry: the time's ordered bits, then its next group's first synapse and its
/// slot, in 16 bytes; ordered as their event keys are (ties, a source spiking twice at one
/// instant, by slot: the same synapses either way).
#[inline]
fn walk_key(time: f64, start: u32, slot: u32) -> u128 {
    u128::from(ordered(time)) << 64 | u128::from(start) << 32 | u128::from(slot)
}

/// The event key of a walk's entry: [`pack`] of its time, the delivery class and its start.
#[inline]
fn walk_event_key(w: u128) -> u128 {
    (w & !u128::from(u64::MAX))
        | ((Class::Deliver as u128) << 62)
        | ((w >> 32) & u128::from(u32::MAX))
}

#[inline]
fn unpack_time(key: u128) -> f64 {
    unordered((key >> 64) as u64)
}

/// Which structure holds the next event.
#[derive(Clone, Copy, Debug)]
enum Holder {
    Heap,
    Crossing,
    Walk,
}

/// The simulation's event queue.
#[derive(Debug, Default)]
pub struct EventQueue {
    heap: RadixQueue<Event>,
    crossings: Predictions,
    /// Walks of multi-group rows ([`walk_key`]): few at a time (one per spike in flight), so
    /// a small binary heap serves them in a few comparisons instead of the radix heap's
    /// bucket moves.
    walks: BinaryHeap<Reverse<u128>>,
    /// A walk was popped and waits for [`next_walk`](Self::next_walk) (debug check).
    walk_open: bool,
    seq: u64,
    peak: usize,
}

impl EventQueue {
    /// An empty queue with room for `capacity` heap entries and `neurons` predictions.
    pub fn with_capacity(capacity: usize, neurons: usize) -> Self {
        EventQueue {
            heap: RadixQueue::with_capacity(capacity),
            crossings: Predictions::new(neurons),
            walks: BinaryHeap::new(),
            walk_open: false,
            seq: 0,
            peak: 0,
        }
    }

    /// Schedules `event` at `time` (finite), at or after the last event popped. O(1).
    ///
    /// # Panics
    /// On a prediction (use [`set_crossing`](Self::set_crossing)), a non-finite time, or an
    /// event before the last one popped (the loop never schedules into the past).
    pub fn push(&mut self, time: f64, event: Event) {
        assert!(time.is_finite(), "internal error: event at time {time}");
        debug_assert!(!matches!(event, Event::Crossing { .. }));
        self.seq += 1;
        // canonical order for deliveries (module docs): their first synapse
        let key = match event {
            Event::Deliver { start, .. } => u64::from(start),
            // after the instant's samples (which see the state before any event), in the
            // network's order of currents whatever order they were scheduled in
            Event::Current { current } => CURRENT_KEYS | u64::from(current),
            Event::Walk { slot, start } => {
                self.walks.push(Reverse(walk_key(time, start, slot)));
                self.peak = self.peak.max(self.len());
                return;
            }
            _ => self.seq,
        };
        self.heap.push(pack(time, event.class(), key), event);
        self.peak = self.peak.max(self.len());
    }

    /// Sets (or, with `None`, clears) the predicted crossing of `neuron`: one store when it
    /// is far ahead, O(log n) when it is due soon.
    /// `far` holds the far predictions ([`FarTimes`]).
    #[inline]
    pub fn set_crossing<F: FarTimes + ?Sized>(
        &mut self,
        far: &mut F,
        neuron: NeuronId,
        time: Option<f64>,
    ) {
        match time {
            Some(t) => {
                assert!(t.is_finite(), "internal error: crossing at time {t}");
                if self.crossings.set(far, neuron.0, t) {
                    self.peak = self.peak.max(self.len());
                }
            }
            None => self.crossings.remove(far, neuron.0),
        }
    }

    /// The neuron of the earliest prediction in the heap (a hint: `None` when it is not
    /// at hand without a sweep).
    #[inline]
    pub fn peek_crossing(&self) -> Option<NeuronId> {
        self.crossings.peek().map(|(id, _)| NeuronId(id))
    }

    /// Hints that `neuron`'s prediction will be updated soon (its heap position; its far
    /// time is the caller's to hint).
    #[inline]
    pub fn prefetch_crossing(&self, neuron: NeuronId) {
        self.crossings.prefetch(neuron.0);
    }

    /// Hints that `neuron`'s crossing will be updated soon: its slot in the heap (reads its
    /// position, so best once [`prefetch_crossing`](Self::prefetch_crossing) has brought
    /// that in).
    #[inline]
    pub fn prefetch_crossing_slot(&self, neuron: NeuronId) {
        self.crossings.prefetch_slot(neuron.0);
    }

    /// The next key, and where it is.
    #[inline]
    fn next_key(&self) -> Option<(u128, Holder)> {
        let mut best = self.heap.peek_key().map(|k| (k, Holder::Heap));
        if let Some((id, t)) = self.crossings.peek() {
            // (crossings at one time in neuron order)
            let k = pack(t, Class::Crossing, u64::from(id));
            if best.is_none_or(|b| k < b.0) {
                best = Some((k, Holder::Crossing));
            }
        }
        if let Some(&Reverse(w)) = self.walks.peek() {
            let k = walk_event_key(w);
            if best.is_none_or(|b| k < b.0) {
                best = Some((k, Holder::Walk));
            }
        }
        best
    }

    /// Time of the next event.
    #[inline]
    pub fn peek_time(&self) -> Option<f64> {
        self.next_key().map(|(k, _)| unpack_time(k))
    }

    /// The next event when it is a queued one (not a crossing or a walk) that can be found
    /// without a search; `None` says nothing. For hints: what the loop will handle next.
    #[inline]
    pub fn peek_event(&self) -> Option<Event> {
        match self.next_key()? {
            (_, Holder::Heap) => self.heap.peek_near(PEEK_SCAN).copied(),
            _ => None,
        }
    }

    /// Removes and returns the next event in `(time, class, seq)` order (`far` holds the far
    /// predictions, [`FarTimes`]).
    pub fn pop<F: FarTimes + ?Sized>(&mut self, far: &mut F) -> Option<(f64, Event)> {
        let (key, source) = self.next_key()?;
        match source {
            Holder::Crossing => {
                let neuron = NeuronId(self.crossings.pop(far)?);
                Some((unpack_time(key), Event::Crossing { neuron }))
            }
            Holder::Walk => {
                // left in place: the caller moves it on to the row's next group with
                // `next_walk`, one sift instead of a pop and a push
                let &Reverse(w) = self.walks.peek()?;
                debug_assert!(!self.walk_open, "internal error: walk not moved on");
                self.walk_open = true;
                let (start, slot) = ((w >> 32) as u32, w as u32);
                Some((unpack_time(key), Event::Walk { slot, start }))
            }
            Holder::Heap => {
                let (key, event) = self.heap.pop()?;
                Some((unpack_time(key), event))
            }
        }
    }

    /// After [`pop`](Self::pop) returned a walk: moves it on to its row's next group, at
    /// `next = (time, first synapse)` (at or after the walk's current time), or ends it.
    /// Must come before any other call on the queue.
    pub fn next_walk(&mut self, next: Option<(f64, u32)>) {
        debug_assert!(self.walk_open, "internal error: no walk popped");
        self.walk_open = false;
        match next {
            Some((time, start)) => {
                assert!(time.is_finite(), "internal error: event at time {time}");
                self.seq += 1;
                if let Some(mut top) = self.walks.peek_mut() {
                    let slot = top.0 as u32;
                    *top = Reverse(walk_key(time, start, slot));
                }
            }
            None => {
                self.walks.pop();
            }
        }
    }

    /// Pending events (including predictions).
    pub fn len(&self) -> usize {
        self.heap.len() + self.crossings.len() + self.walks.len()
    }

    /// True when nothing is pending.
    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }

    /// About the bytes the queue of events holds and may take on its next growth (the
    /// predictions, one per neuron at most, are part of the network's estimate).
    pub fn reserved_bytes(&self) -> usize {
        self.heap.reserved_bytes() + self.walks.capacity() * std::mem::size_of::<u128>()
    }

    /// Largest number of pending events seen.
    pub fn peak_len(&self) -> usize {
        self.peak
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn walks_and_deliveries_share_the_canonical_order() {
        let mut q = EventQueue::default();
        let far = &mut vec![NO_PREDICTION; 8][..];
        let d = |start| Event::Deliver {
            start,
            end: start + 1,
            distinct: true,
        };
        q.push(2.0, d(7));
        q.push(2.0, Event::Walk { slot: 4, start: 5 });
        q.push(2.0, d(3));
        q.push(1.5, Event::Walk { slot: 1, start: 9 });
        q.set_crossing(far, NeuronId(0), Some(2.0));
        // a popped walk stays queued until moved on: the first one to its next group
        // (start 4 at 2.0: after the delivery starting at 3, before the one at 5), the others ended
        let mut moved = false;
        let order: Vec<_> = std::iter::from_fn(|| {
            let e = q.pop(far);
            if let Some((_, Event::Walk { .. })) = e {
                q.next_walk((!moved).then_some((2.0, 4)));
                moved = true;
            }
            e
        })
        .collect();
        assert_eq!(
            order,
            vec![
                (1.5, Event::Walk { slot: 1, start: 9 }),
                (
                    2.0,
                    Event::Crossing {
                        neuron: NeuronId(0)
                    }
                ),
                (2.0, d(3)),
                (2.0, Event::Walk { slot: 1, start: 4 }),
                (2.0, Event::Walk { slot: 4, start: 5 }),
                (2.0, d(7)),
            ]
        );
    }

    #[test]
    fn ties_follow_class_then_insertion() {
        let mut q = EventQueue::default();
        let far = &mut vec![NO_PREDICTION; 8][..];
        q.push(
            1.0,
            Event::Deliver {
                start: 0,
                end: 1,
                distinct: true,
            },
        );
        q.push(
            1.0,
            Event::Source {
                source: SourceId(3),
                first: 0,
                groups: 0,
            },
        );
        q.set_crossing(far, NeuronId(7), Some(1.0));
        q.push(1.0, Event::Sample { probe: 0 });
        q.push(
            1.0,
            Event::Deliver {
                start: 5,
                end: 6,
                distinct: true,
            },
        );
        q.push(
            0.5,
            Event::Deliver {
                start: 9,
                end: 10,
                distinct: true,
            },
        );
        let order: Vec<_> = std::iter::from_fn(|| q.pop(far)).collect();
        assert_eq!(
            order,
            vec![
                (
                    0.5,
                    Event::Deliver {
                        start: 9,
                        end: 10,
                        distinct: true
                    }
                ),
                (1.0, Event::Sample { probe: 0 }),
                (
                    1.0,
                    Event::Crossing {
                        neuron: NeuronId(7)
                    }
                ),
                (
                    1.0,
                    Event::Source {
                        source: SourceId(3),
                        first: 0,
                        groups: 0
                    }
                ),
                (
                    1.0,
                    Event::Deliver {
                        start: 0,
                        end: 1,
                        distinct: true
                    }
                ),
                (
                    1.0,
                    Event::Deliver {
                        start: 5,
                        end: 6,
                        distinct: true
                    }
                ),
            ]
        );
    }

    #[test]
    fn current_steps_follow_samples_in_network_order() {
        let mut q = EventQueue::default();
        let far = &mut vec![NO_PREDICTION; 8][..];
        q.push(1.0, Event::Current { current: 2 });
        q.set_crossing(far, NeuronId(1), Some(1.0));
        q.push(1.0, Event::Current { current: 0 });
        q.push(1.0, Event::Sample { probe: 5 });
        q.push(0.5, Event::Current { current: 9 });
        let order: Vec<_> = std::iter::from_fn(|| q.pop(far)).collect();
        assert_eq!(
            order,
            vec![
                (0.5, Event::Current { current: 9 }),
                (1.0, Event::Sample { probe: 5 }),
                (1.0, Event::Current { current: 0 }),
                (1.0, Event::Current { current: 2 }),
                (
                    1.0,
                    Event::Crossing {
                        neuron: NeuronId(1)
                    }
                ),
            ]
        );
    }

    #[test]
    fn crossing_updates_replace_the_old_prediction() {
        let mut q = EventQueue::default();
        let far = &mut vec![NO_PREDICTION; 8][..];
        q.set_crossing(far, NeuronId(1), Some(5.0));
        q.set_crossing(far, NeuronId(1), Some(2.0));
        q.set_crossing(far, NeuronId(2), Some(3.0));
        q.set_crossing(far, NeuronId(2), None);
        assert_eq!(
            q.pop(far),
            Some((
                2.0,
                Event::Crossing {
                    neuron: NeuronId(1)
                }
            ))
        );
        assert_eq!(q.pop(far), None);
    }
}
