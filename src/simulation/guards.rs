//! The guards that stop a run early, checked by the event loop.

use super::{Simulation, Stop, StopFlag};
use std::time::Instant;

impl Simulation {
    /// Total count the `max_events` guard compares: deliveries plus spikes.
    fn guarded_events(&self) -> u64 {
        let s = &self.out.stats;
        s.events + s.neuron_spikes + s.source_spikes
    }

    /// The first guard that fires, if any.
    pub(super) fn check_guards(&self) -> Result<(), Stop> {
        let g = &self.guards;
        if g.max_events.is_some_and(|m| self.guarded_events() >= m) {
            return Err(Stop::MaxEvents);
        }
        if g.deadline.is_some_and(|d| Instant::now() >= d) {
            return Err(Stop::MaxWall);
        }
        if g.max_queue_bytes
            .is_some_and(|m| self.memory_in_use(g.count_records) > m)
        {
            return Err(Stop::MaxMemory);
        }
        match g.interrupt.as_ref().and_then(StopFlag::requested) {
            Some(stop) => Err(stop),
            None => Ok(()),
        }
    }

    /// What the `max_queue_bytes` guard counts: the queue's buffers and their next growth,
    /// and with `records`, twice the records' buffers.
    fn memory_in_use(&self, records: bool) -> u64 {
        let mut bytes = self.queue.reserved_bytes() as u64;
        if records {
            bytes += 2 * self.out.reserved_bytes() as u64;
        }
        bytes
    }
}
