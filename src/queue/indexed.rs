//! An indexed 4-ary min-heap over dense integer ids: each neuron has at most one entry, and
//! its key can be changed or removed in O(log n) through a position table.
//!
//! The ids are the neurons' global indices (dense, `0..n`), so the position table is a plain
//! vector: no hashing per update, which is what a general indexed priority queue (keyed by
//! any hashable item) has to pay on every event. Four children per node halve the depth of
//! a binary heap. Each entry is one 16-byte integer (the time's bits in an order-preserving
//! form, then the id), stored so that the four children of a node fill one aligned 64-byte
//! cache line: a sift touches one line per level, which matters once the heap no longer
//! fits the caches.

use super::{ordered, unordered};

/// `(time, id)` in one integer with the same order: the time's order-preserving bits, then
/// the id. Equal times are ordered by id, which is canonical (it does not depend on
/// insertion order).
#[inline]
fn key(time: f64, id: u32) -> u128 {
    (ordered(time) as u128) << 64 | id as u128
}

#[inline]
fn time_of(key: u128) -> f64 {
    unordered((key >> 64) as u64)
}

#[inline]
fn id_of(key: u128) -> u32 {
    key as u32
}

const ARITY: usize = 4;
const ABSENT: u32 = u32::MAX;
/// Node `n` lives at slot `n + SKEW`, so that the children `4n + 1 … 4n + 4` sit at slots
/// `4(n + 1) … 4(n + 1) + 3`: one line.
const SKEW: usize = ARITY - 1;

/// Four slots in one cache line.
#[derive(Clone, Copy, Debug, Default)]
#[repr(align(64))]
struct Line([u128; ARITY]);

/// The heap. Ids must be below the capacity given at construction.
#[derive(Clone, Debug, Default)]
pub struct IndexedHeap {
    lines: crate::memory::Pages<Line>,
    len: usize,
    pos: crate::memory::Pages<u32>,
}

impl IndexedHeap {
    /// An empty heap for ids `0..ids`.
    pub fn new(ids: usize) -> Self {
        IndexedHeap {
            lines: crate::memory::Pages::with_capacity((ids + SKEW).div_ceil(ARITY)),
            len: 0,
            pos: crate::memory::Pages::filled(ABSENT, ids),
        }
    }

    /// Number of entries.
    pub fn len(&self) -> usize {
        self.len
    }

    /// True when empty.
    pub fn is_empty(&self) -> bool {
        self.len == 0
    }

    #[inline]
    fn get(&self, n: usize) -> u128 {
        let s = n + SKEW;
        self.lines[s / ARITY].0[s % ARITY]
    }

    #[inline]
    fn put(&mut self, n: usize, k: u128) {
        let s = n + SKEW;
        self.lines[s / ARITY].0[s % ARITY] = k;
        self.pos[id_of(k) as usize] = n as u32;
    }

    /// The smallest entry: `(id, time)`.
    #[inline]
    pub fn peek(&self) -> Option<(u32, f64)> {
        (self.len > 0).then(|| {
            let k = self.get(0);
            (id_of(k), time_of(k))
        })
    }

    /// Sets the time of `id` (inserting it if absent). Returns true if it was absent.
    #[inline]
    pub fn set(&mut self, id: u32, time: f64) -> bool {
        if id as usize >= self.pos.len() {
            self.pos.resize(id as usize + 1, ABSENT);
        }
        let new = key(time, id);
        let p = self.pos[id as usize];
        if p == ABSENT {
            let n = self.len;
            if (n + SKEW) / ARITY >= self.lines.len() {
                self.lines.push(Line::default());
            }
            self.len += 1;
            self.sift_up(n, new);
            true
        } else {
            let p = p as usize;
            if new < self.get(p) {
                self.sift_up(p, new);
            } else {
                self.sift_down(p, new);
            }
            false
        }
    }

    /// Hints that `id`'s entry will be updated soon (its position in the heap).
    #[inline]
    pub fn prefetch(&self, id: u32) {
        if let Some(p) = self.pos.get(id as usize) {
            crate::prefetch::prefetch(p);
        }
    }

    /// Hints that `id`'s slot in the heap will be read soon.
    #[inline]
    pub fn prefetch_slot(&self, id: u32) {
        if let Some(&p) = self.pos.get(id as usize) {
            if let Some(l) = self.lines.get((p as usize).wrapping_add(SKEW) / ARITY) {
                crate::prefetch::prefetch(l);
            }
        }
    }

    /// Removes `id` if present; returns true if it was.
    pub fn remove(&mut self, id: u32) -> bool {
        match self.pos.get(id as usize) {
            Some(&p) if p != ABSENT => {
                self.remove_at(p as usize);
                true
            }
            _ => false,
        }
    }

    /// Empties the heap, handing each entry `(id, time)` to `f` (in no particular order).
    pub fn drain(&mut self, mut f: impl FnMut(u32, f64)) {
        for n in 0..self.len {
            let k = self.get(n);
            self.pos[id_of(k) as usize] = ABSENT;
            f(id_of(k), time_of(k));
        }
        self.len = 0;
    }

    /// Removes and returns the smallest entry's id.
    pub fn pop(&mut self) -> Option<u32> {
        let id = self.peek()?.0;
        self.remove_at(0);
        Some(id)
    }

    fn remove_at(&mut self, p: usize) {
        let removed = self.get(p);
        self.pos[id_of(removed) as usize] = ABSENT;
        self.len -= 1;
        let last = self.len;
        if p < last {
            let moved = self.get(last);
            if moved < removed {
                self.sift_up(p, moved);
            } else {
                self.sift_down(p, moved);
            }
        }
    }

    /// Places `item` at node `p` or above.
    #[inline]
    fn sift_up(&mut self, mut p: usize, item: u128) {
        while p > 0 {
            let parent = (p - 1) / ARITY;
            let k = self.get(parent);
            if item >= k {
                break;
            }
            self.put(p, k);
            p = parent;
        }
        self.put(p, item);
    }

    /// Places `item` at node `p` or below.
    #[inline]
    fn sift_down(&mut self, mut p: usize, item: u128) {
        let n = self.len;
        loop {
            let first = p * ARITY + 1;
            if first >= n {
                break;
            }
            // the children are one line
            let line = &self.lines[(first + SKEW) / ARITY].0;
            let (best, k) = if n - first >= ARITY {
                // a tournament of four (selects, not branches, where the compiler can)
                let a = if line[1] < line[0] {
                    (1, line[1])
                } else {
                    (0, line[0])
                };
                let b = if line[3] < line[2] {
                    (3, line[3])
                } else {
                    (2, line[2])
                };
                if b.1 < a.1 {
                    b
                } else {
                    a
                }
            } else {
                let mut best = 0;
                for c in 1..n - first {
                    if line[c] < line[best] {
                        best = c;
                    }
                }
                (best, line[best])
            };
            if k >= item {
                break;
            }
            self.put(p, k);
            p = first + best;
        }
        self.put(p, item);
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    proptest! {
        /// Against a sorted reference: any sequence of sets and removes pops in
        /// `(time, id)` order.
        #[test]
        fn matches_a_sorted_reference(ops in prop::collection::vec((0u32..40, 0u8..4, -10.0f64..10.0), 0..300)) {
            let mut h = IndexedHeap::new(40);
            let mut reference: std::collections::BTreeMap<u32, f64> = Default::default();
            for (id, op, t) in ops {
                let t = (t * 4.0).round() / 4.0; // many equal times (and -0.0): the id order
                if op == 0 {
                    h.remove(id);
                    reference.remove(&id);
                } else {
                    h.set(id, t);
                    reference.insert(id, t);
                }
                prop_assert_eq!(h.len(), reference.len());
                if let Some((id, t)) = h.peek() {
                    prop_assert_eq!(reference.get(&id), Some(&t));
                }
            }
            let mut want: Vec<_> = reference.into_iter().collect();
            want.sort_by(|a, b| (a.1 + 0.0).total_cmp(&(b.1 + 0.0)).then(a.0.cmp(&b.0)));
            let got: Vec<u32> = std::iter::from_fn(|| h.pop()).collect();
            prop_assert_eq!(got, want.into_iter().map(|w| w.0).collect::<Vec<_>>());
        }
    }

    #[test]
    fn keys_order_like_times() {
        let ts = [-1e300, -2.5, -1e-310, -0.0, 0.0, 1e-310, 1.0, 3.5, 1e300];
        for w in ts.windows(2) {
            assert!(key(w[0], 7) <= key(w[1], 0) || w[0] == w[1], "{w:?}");
        }
        for &t in &ts {
            assert_eq!(time_of(key(t, 3)), t + 0.0);
            assert_eq!(id_of(key(t, 3)), 3);
        }
    }

    #[test]
    fn children_share_a_line() {
        assert_eq!(std::mem::size_of::<Line>(), 64);
        assert_eq!(std::mem::align_of::<Line>(), 64);
        for p in 0..100 {
            let first = p * ARITY + 1;
            assert_eq!((first + SKEW) / ARITY, (first + ARITY - 1 + SKEW) / ARITY);
        }
    }
}
