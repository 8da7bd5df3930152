//! An indexed 4-ary min-heap over dense integer ids: each neuron has at most one entry, and
//! its key can be changed or removed in O(log n) through a position table.
//!
//! The ids are the neurons' global indices (dense, `0..n`), so the position table is a plain
//! vector: no hashing per update, which is what a general indexed priority queue (keyed by
//! any hashable item) has to pay on every event. Four children per node halve the depth of
//! a binary heap and keep siblings in one cache line.

/// Key: time, then insertion counter (FIFO among equal times, for a deterministic order).
#[derive(Clone, Copy, Debug, PartialEq)]
struct Slot {
    time: f64,
    seq: u64,
    id: u32,
}

impl Slot {
    #[inline]
    fn before(&self, other: &Slot) -> bool {
        // times are finite (checked on insertion), so `<` is a total order here
        self.time < other.time || (self.time == other.time && self.seq < other.seq)
    }
}

const ARITY: usize = 4;
const ABSENT: u32 = u32::MAX;

/// The heap. Ids must be below the capacity given at construction.
#[derive(Clone, Debug, Default)]
pub struct IndexedHeap {
    heap: Vec<Slot>,
    pos: Vec<u32>,
}

impl IndexedHeap {
    /// An empty heap for ids `0..ids`.
    pub fn new(ids: usize) -> Self {
        IndexedHeap {
            heap: Vec::with_capacity(ids),
            pos: vec![ABSENT; ids],
        }
    }

    /// Number of entries.
    pub fn len(&self) -> usize {
        self.heap.len()
    }

    /// True when empty.
    pub fn is_empty(&self) -> bool {
        self.heap.is_empty()
    }

    /// The smallest entry: `(id, time, seq)`.
    #[inline]
    pub fn peek(&self) -> Option<(u32, f64, u64)> {
        self.heap.first().map(|s| (s.id, s.time, s.seq))
    }

    /// Sets the key of `id` (inserting it if absent).
    #[inline]
    pub fn set(&mut self, id: u32, time: f64, seq: u64) {
        if id as usize >= self.pos.len() {
            self.pos.resize(id as usize + 1, ABSENT);
        }
        let new = Slot { time, seq, id };
        let p = self.pos[id as usize];
        if p == ABSENT {
            self.heap.push(new);
            self.sift_up(self.heap.len() - 1);
        } else {
            let p = p as usize;
            let old = self.heap[p];
            self.heap[p] = new;
            if new.before(&old) {
                self.sift_up(p);
            } else {
                self.sift_down(p);
            }
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
        if let Some(s) = self
            .pos
            .get(id as usize)
            .and_then(|&p| self.heap.get(p as usize))
        {
            crate::prefetch::prefetch(s);
        }
    }

    /// Removes `id` if present.
    pub fn remove(&mut self, id: u32) {
        let Some(&p) = self.pos.get(id as usize) else {
            return;
        };
        if p != ABSENT {
            self.remove_at(p as usize);
        }
    }

    /// Removes and returns the smallest entry's id.
    pub fn pop(&mut self) -> Option<u32> {
        let id = self.heap.first()?.id;
        self.remove_at(0);
        Some(id)
    }

    fn remove_at(&mut self, p: usize) {
        let removed = self.heap.swap_remove(p);
        self.pos[removed.id as usize] = ABSENT;
        if p < self.heap.len() {
            let moved = self.heap[p];
            self.pos[moved.id as usize] = p as u32;
            if moved.before(&removed) {
                self.sift_up(p);
            } else {
                self.sift_down(p);
            }
        }
    }

    #[inline]
    fn sift_up(&mut self, mut p: usize) {
        let item = self.heap[p];
        while p > 0 {
            let parent = (p - 1) / ARITY;
            if !item.before(&self.heap[parent]) {
                break;
            }
            self.heap[p] = self.heap[parent];
            self.pos[self.heap[p].id as usize] = p as u32;
            p = parent;
        }
        self.heap[p] = item;
        self.pos[item.id as usize] = p as u32;
    }

    #[inline]
    fn sift_down(&mut self, mut p: usize) {
        let item = self.heap[p];
        let n = self.heap.len();
        loop {
            let first = p * ARITY + 1;
            if first >= n {
                break;
            }
            let mut best = first;
            for c in first + 1..(first + ARITY).min(n) {
                if self.heap[c].before(&self.heap[best]) {
                    best = c;
                }
            }
            if !self.heap[best].before(&item) {
                break;
            }
            self.heap[p] = self.heap[best];
            self.pos[self.heap[p].id as usize] = p as u32;
            p = best;
        }
        self.heap[p] = item;
        self.pos[item.id as usize] = p as u32;
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    proptest! {
        /// Against a sorted reference: any sequence of sets and removes pops in key order.
        #[test]
        fn matches_a_sorted_reference(ops in prop::collection::vec((0u32..40, 0u8..4, 0.0f64..10.0), 0..300)) {
            let mut h = IndexedHeap::new(40);
            let mut reference: std::collections::BTreeMap<u32, (f64, u64)> = Default::default();
            for (seq, (id, op, t)) in ops.into_iter().enumerate() {
                let t = (t * 4.0).round() / 4.0; // many equal times: exercises the seq order
                if op == 0 {
                    h.remove(id);
                    reference.remove(&id);
                } else {
                    h.set(id, t, seq as u64);
                    reference.insert(id, (t, seq as u64));
                }
                prop_assert_eq!(h.len(), reference.len());
            }
            let mut want: Vec<_> = reference.into_iter().collect();
            want.sort_by(|a, b| a.1.0.total_cmp(&b.1.0).then(a.1.1.cmp(&b.1.1)));
            let got: Vec<u32> = std::iter::from_fn(|| h.pop()).collect();
            prop_assert_eq!(got, want.into_iter().map(|w| w.0).collect::<Vec<_>>());
        }
    }
}
