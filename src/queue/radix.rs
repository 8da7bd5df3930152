//! A monotone min-queue on 128-bit keys (a radix heap, Ahuja et al. 1990).
//!
//! The event loop only ever schedules events at or after the one it is processing, so the
//! queue is *monotone*: every key pushed is ≥ the last key popped. A radix heap exploits that:
//! an item lives in bucket `b = bit length of (key XOR last)`; a push is an append, and a
//! pop empties the first non-empty bucket into lower ones around its minimum. Each item
//! moves to strictly lower buckets, so it is touched a bounded number of times, and every
//! access is a sequential walk of a vector: no `log n` random walk through a large heap,
//! which is what made a binary heap slow once a million source spikes were pending.
//!
//! Unlike the `radix-heap` crate, the minimum can be looked at without popping and without
//! moving the reference point (the loop peeks at the next time while it may still schedule
//! events before it): each bucket keeps its minimum.

const BUCKETS: usize = 129;

/// The queue; values of type `V` travel with their keys.
#[derive(Clone, Debug)]
pub struct RadixQueue<V> {
    buckets: Vec<Vec<(u128, V)>>,
    /// Smallest key per bucket (`u128::MAX` when empty).
    min: [u128; BUCKETS],
    /// Bit `b` set when bucket `b` is non-empty.
    occupied: u128,
    /// Bucket 128 (the 129th) is tracked separately: `occupied` has 128 bits.
    top_bucket: bool,
    /// The last key popped: every key pushed must be ≥ it.
    last: u128,
    len: usize,
}

impl<V> Default for RadixQueue<V> {
    fn default() -> Self {
        Self::new()
    }
}

impl<V> RadixQueue<V> {
    /// An empty queue.
    pub fn new() -> Self {
        RadixQueue {
            buckets: (0..BUCKETS).map(|_| Vec::new()).collect(),
            min: [u128::MAX; BUCKETS],
            occupied: 0,
            top_bucket: false,
            last: 0,
            len: 0,
        }
    }

    /// An empty queue expecting about `n` items.
    pub fn with_capacity(n: usize) -> Self {
        let mut q = Self::new();
        q.buckets[128].reserve(n);
        q
    }

    /// Number of items.
    pub fn len(&self) -> usize {
        self.len
    }

    /// True when empty.
    pub fn is_empty(&self) -> bool {
        self.len == 0
    }

    /// Bytes its buckets hold, plus what the largest one would take on its next growth
    /// (buckets never shrink, and an item moves between them as the queue advances).
    pub fn reserved_bytes(&self) -> usize {
        let (sum, largest) = self
            .buckets
            .iter()
            .fold((0, 0), |(s, m), b| (s + b.capacity(), m.max(b.capacity())));
        (sum + largest) * std::mem::size_of::<(u128, V)>()
    }

    #[inline]
    fn bucket_of(&self, key: u128) -> usize {
        (128 - (key ^ self.last).leading_zeros()) as usize
    }

    #[inline]
    fn put(&mut self, key: u128, value: V) {
        let b = self.bucket_of(key);
        self.buckets[b].push((key, value));
        if key < self.min[b] {
            self.min[b] = key;
        }
        if b < 128 {
            self.occupied |= 1 << b;
        } else {
            self.top_bucket = true;
        }
    }

    /// Adds an item.
    ///
    /// # Panics
    /// If `key` is below the last key popped (the caller broke monotonicity: an internal
    /// error, since it would reorder events).
    #[inline]
    pub fn push(&mut self, key: u128, value: V) {
        assert!(
            key >= self.last,
            "internal error: event scheduled before the one being processed"
        );
        self.put(key, value);
        self.len += 1;
    }

    #[inline]
    fn first_bucket(&self) -> Option<usize> {
        if self.occupied != 0 {
            Some(self.occupied.trailing_zeros() as usize)
        } else if self.top_bucket {
            Some(128)
        } else {
            None
        }
    }

    /// The smallest key, without removing it. O(1).
    #[inline]
    pub fn peek_key(&self) -> Option<u128> {
        self.first_bucket().map(|b| self.min[b])
    }

    /// The item with the smallest key when its bucket holds at most `scan` items (found
    /// without searching a large bucket), else `None`. O(`scan`).
    #[inline]
    pub fn peek_near(&self, scan: usize) -> Option<&V> {
        let b = self.first_bucket()?;
        let bucket = &self.buckets[b];
        if bucket.len() > scan {
            return None;
        }
        let m = self.min[b];
        bucket.iter().find(|(k, _)| *k == m).map(|(_, v)| v)
    }

    /// Removes and returns the item with the smallest key.
    pub fn pop(&mut self) -> Option<(u128, V)> {
        let b = self.first_bucket()?;
        if b > 0 {
            // new reference point: the minimum; its bucket's items all move lower
            self.last = self.min[b];
            let items = std::mem::take(&mut self.buckets[b]);
            self.min[b] = u128::MAX;
            if b < 128 {
                self.occupied &= !(1 << b);
            } else {
                self.top_bucket = false;
            }
            let mut items = items;
            for (k, v) in items.drain(..) {
                self.put(k, v);
            }
            // keep the emptied vector's capacity for the next time this bucket fills
            self.buckets[b] = items;
        }
        // bucket 0 holds the keys equal to `last`
        let item = self.buckets[0].pop()?;
        if self.buckets[0].is_empty() {
            self.min[0] = u128::MAX;
            self.occupied &= !1;
        }
        self.len -= 1;
        Some(item)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    proptest! {
        /// Against a sorted reference, with pushes interleaved with pops as the event loop
        /// does them (never below the last key popped), including huge and equal-high keys.
        #[test]
        fn pops_in_key_order(ops in prop::collection::vec((any::<bool>(), 0u128..1000, 0u8..3), 0..400)) {
            let mut q = RadixQueue::new();
            // keys are unique in the event queue (they end in an insertion counter)
            let mut reference = std::collections::BTreeMap::new();
            let mut last = 0u128; // keys start above 0: last + 1
            let mut seq = 0u128;
            for (pop, delta, scale) in ops {
                if pop {
                    let want = reference.pop_first();
                    prop_assert_eq!(q.peek_key(), want.map(|(k, _)| k));
                    // a near look finds the same item, or declines
                    if let Some(v) = q.peek_near(4) {
                        prop_assert_eq!(Some(*v), want.map(|(_, v)| v));
                    }
                    let got = q.pop();
                    prop_assert_eq!(got, want);
                    if let Some((k, _)) = got {
                        last = k;
                    }
                } else {
                    seq += 1;
                    // spread keys over the whole width: low bits, middle bits, top bits
                    let key = match scale {
                        0 => last.saturating_add(delta),
                        1 => last.saturating_add(delta << 60),
                        _ => last.saturating_add(delta << 118),
                    };
                    let key = key.max(last.saturating_add(1));
                    if reference.contains_key(&key) {
                        continue;
                    }
                    q.push(key, seq);
                    reference.insert(key, seq);
                }
                prop_assert_eq!(q.len(), reference.len());
            }
            while let Some(want) = reference.pop_first() {
                prop_assert_eq!(q.pop(), Some(want));
            }
            prop_assert_eq!(q.pop(), None);
        }
    }
}
