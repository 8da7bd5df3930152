//! Source spikes: the next spike of a source queued, and, with many sources, hints of what
//! the next ones will read.

use super::Simulation;
use crate::ids::SourceId;
use crate::queue::Event;

impl Simulation {
    /// Input and index within it of `source`.
    #[inline]
    pub(super) fn source_at(&self, source: SourceId) -> (usize, usize) {
        // (few inputs: their starts are in cache, where a table per source is not)
        let inp = self.input_starts.partition_point(|&o| o <= source.0) - 1;
        (inp, source.index() - self.net.inputs[inp].offset.index())
    }

    /// When the next event is a source spike, hints what it will read: with many sources,
    /// misses that then overlap the work of the event at hand instead of following it. A
    /// software pipeline of two stages: when a source spike is handled (`row` false), the
    /// next one's first delay group and stream; when its delivery is (`row`), that group —
    /// requested at the first stage — gives the lines of the next spike's synapses.
    #[inline]
    pub(super) fn hint_next_source(&self, row: bool) {
        let Some(Event::Source {
            source,
            first,
            groups,
        }) = self.queue.peek_event()
        else {
            return;
        };
        let c = &self.net.connectivity;
        if row {
            if groups > 0 {
                let (_, start, end, _) = c.group(first);
                c.prefetch_row(start as usize, end as usize);
            }
        } else {
            c.prefetch_group(first);
            let (inp, s) = self.source_at(source);
            crate::prefetch::prefetch_all(&self.net.inputs[inp].sources[s]);
        }
    }

    /// Queues the next spike of source `s` of input `inp` (global `source`), whose row has
    /// the delay groups `first..first + groups`.
    pub(super) fn schedule_source(
        &mut self,
        inp: usize,
        s: usize,
        source: SourceId,
        (first, groups): (u32, u32),
    ) {
        let duration = self.net.duration;
        if let Some(mut t) = self.net.inputs[inp].sources[s].next_spike() {
            if let Some(dt) = self.net.inputs[inp].grid {
                t = (t / dt).round() * dt; // monotone, so trains stay sorted
            }
            if t < duration {
                self.queue.push(
                    t,
                    Event::Source {
                        source,
                        first,
                        groups,
                    },
                );
            }
        }
    }
}
