//! Rows of several delay groups (per-synapse delays), delivered group by group: one pending
//! queue entry per spike, its next group, instead of one per group.

use super::{arrival, Simulation};

/// A spike's row being delivered group by group (its next group is queued).
#[derive(Clone, Copy, Debug)]
pub(super) struct Walk {
    /// Spike time \[ms\].
    pub t: f64,
    /// The group queued next, and one past the row's last group.
    pub next: u32,
    pub end: u32,
}

impl Simulation {
    /// The time of the next pending event (delivery, source spike, check, sample), if any:
    /// a parallel run starts its next window there when nothing is in flight between
    /// partitions, instead of stepping through empty windows.
    pub(crate) fn next_time(&self) -> Option<f64> {
        self.queue.peek_time()
    }

    /// Walk `slot`'s next group (arrival time, first synapse), if any before the end (past
    /// it, every later group is too).
    #[inline]
    pub(super) fn walk_next(&self, slot: u32) -> Option<(f64, u32)> {
        let w = self.walks[slot as usize];
        if w.next < w.end {
            let (delay, start, _, _) = self.net.connectivity.group(w.next);
            let at = arrival(w.t, delay);
            if at < self.net.duration {
                return Some((at, start));
            }
        }
        None
    }
}
