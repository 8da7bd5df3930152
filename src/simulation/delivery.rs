//! Delivery of one group of synapses (targets of one spike at one instant).

use super::runs::{in_runs, At};
use super::{Meta, Simulation, STATIC};
use crate::ids::NeuronId;
use crate::network::Network;
use crate::neuron::{Delivered, Fused, NeuronModel, Next, Outcome, Population};
use crate::queue::EventQueue;

/// How many synapses ahead a delivery prefetches its targets' state.
const AHEAD: usize = 4;
/// From how many neurons on deliveries prefetch (below, the state fits in L2).
pub(super) const PREFETCH_FROM: usize = 16_384;

impl Simulation {
    /// Delivers synapses `start..end` (one group: same source, same delay) at `t`.
    pub(super) fn deliver(&mut self, start: usize, end: usize, distinct: bool, t: f64) {
        self.out.stats.events += (end - start) as u64;
        if let Some(g) = self.row_hint.take() {
            // (hinted at the last crossing: its bookkeeping and group offset have arrived)
            if self.meta[g.index()].exact {
                self.net.connectivity.prefetch_first_group_of(g.into());
            }
        }
        if self.net.plasticity.is_some() {
            return self.deliver_plastic(start, end, t);
        }
        // When this group is the instant's last event and names each target once, a target
        // not touched earlier in the instant has all its inputs once this one is applied: test
        // and predict it at once, while its state is in cache (the common case: one spike's
        // fan-out alone at its instant). Otherwise mark it for the end of the instant.
        let last = distinct && self.queue.peek_time() != Some(t);
        if last {
            match self.fused_channels {
                Some(0) => self.deliver_last_fused::<0>(start, end, t),
                Some(1) => self.deliver_last_fused::<1>(start, end, t),
                Some(2) => self.deliver_last_fused::<2>(start, end, t),
                Some(3) => self.deliver_last_fused::<3>(start, end, t),
                _ => self.deliver_last(start, end, t),
            }
        } else {
            match self.fused_channels {
                Some(0) => self.apply_marked_fused::<0>(start, end, t),
                Some(1) => self.apply_marked_fused::<1>(start, end, t),
                Some(2) => self.apply_marked_fused::<2>(start, end, t),
                Some(3) => self.apply_marked_fused::<3>(start, end, t),
                _ => {
                    self.apply_inputs(start, end, t);
                    for k in start..end {
                        self.mark(self.net.connectivity.target[k]);
                    }
                }
            }
        }
    }

    /// Advances each target of synapses `start..end` to `t` and adds its weight.
    #[inline]
    fn apply_inputs(&mut self, start: usize, end: usize, t: f64) {
        for k in start..end {
            if self.prefetch {
                self.prefetch_ahead(k, end);
            } else if let Some(&g) = self.net.connectivity.target[..end].get(k + AHEAD) {
                // (a small network's state is in L2, not L1: the target's record and block)
                let (p, i) = self.locate(g);
                self.net.populations[p].neurons.prefetch(i);
            }
            let g = self.net.connectivity.target[k];
            let (p, i) = self.locate(g);
            self.net.populations[p].neurons.apply(
                i,
                t,
                self.net.connectivity.receptor[k] as usize,
                self.net.connectivity.weight[k],
            );
        }
    }

    /// Delivers a group that is the instant's last event and names each target once, in three
    /// passes: each target not marked earlier in the instant gets its input, threshold test
    /// and most of its bound in one call ([`deliver`](crate::neuron::NeuronModel::deliver);
    /// in large networks its crossing-heap slot is also requested, its position having been
    /// prefetched a few synapses earlier); then the bounds' last steps; then the firings and
    /// the queue updates.
    fn deliver_last(&mut self, start: usize, end: usize, t: f64) {
        let mut next = std::mem::take(&mut self.batch_next);
        next.clear();
        let duration = self.net.duration;
        for k in start..end {
            if self.prefetch {
                self.prefetch_ahead(k, end);
            }
            let g = self.net.connectivity.target[k];
            let (p, i) = self.locate(g);
            let pop = &mut self.net.populations[p].neurons;
            let (r, w) = (
                self.net.connectivity.receptor[k] as usize,
                self.net.connectivity.weight[k],
            );
            if self.meta[g.index()].dirty {
                pop.apply(i, t, r, w);
                next.push(Outcome::Fires); // (skipped: settled at the instant's end)
            } else {
                if self.prefetch {
                    self.queue.prefetch_crossing_slot(g);
                }
                next.push(pop.deliver(i, t, r, w, duration));
            }
        }
        Outcome::finish_all(&mut next, t, duration);
        self.settle_in_order(start, end, &next, t);
        self.batch_next = next;
    }

    /// [`deliver_last`](Self::deliver_last) when every population is LIF with the fused
    /// layout of `N` channels: the same operations in the same order, but each target's
    /// delivery is one straight path with `N` fixed ([`LifPopulation::deliver_into`]) that
    /// writes its bound's parts to a slot of its own, and the connectivity's arrays are
    /// sliced once for the group.
    ///
    /// [`LifPopulation::deliver_into`]: crate::neuron::LifPopulation::deliver_into
    fn deliver_last_fused<const N: usize>(&mut self, start: usize, end: usize, t: f64) {
        let len = end - start;
        let duration = self.net.duration;
        let mut b = std::mem::take(&mut self.batch);
        b.ready(len);
        {
            let (tg, rc, wt) = self.net.connectivity.arrays(start, end);
            let (queue, large) = (&self.queue, self.prefetch);
            // (slices of the group's length: no bounds check per target on them)
            let mut scratch = (&mut b.resolved[..len], &mut b.parts[..len], &mut b.pending);
            in_runs::<N, _>(
                tg,
                &mut self.meta,
                &mut self.net.populations,
                t,
                &mut scratch,
                |(next, parts, pending), f, at, meta| {
                    let j = at.j;
                    hint_run(tg, at, f, meta, queue, large);
                    let (g, r, w) = (tg[j], rc[j] as usize, wt[j]);
                    if meta[g.index()].dirty {
                        // (skipped by the last pass: settled at the instant's end)
                        return f.apply(at.i, t, r, w);
                    }
                    if large {
                        queue.prefetch_crossing_slot(g);
                    }
                    next[j] = match f.deliver(at.i, t, r, w, duration, &mut parts[j]) {
                        Delivered::Parts => {
                            pending.push(j as u32);
                            return true;
                        }
                        Delivered::Fires => None,
                        Delivered::Never => Some(Next::Never),
                        Delivered::General => return false,
                    };
                    true
                },
                // (refractory, say)
                |(next, _, _), neurons, at, meta| {
                    let (j, i) = (at.j, at.i);
                    let (r, w) = (rc[j] as usize, wt[j]);
                    if meta[tg[j].index()].dirty {
                        neurons.apply(i, t, r, w);
                    } else {
                        next[j] = neurons.deliver(i, t, r, w, duration).resolve(t, duration);
                    }
                },
            );
        }
        b.finish_pending(t, duration);
        // in synapse order: queue each bound, or fire (a 16-byte outcome each, not 48)
        for (k, &o) in (start..end).zip(&b.resolved[..len]) {
            let g = self.net.connectivity.target[k];
            if self.meta[g.index()].dirty {
                continue;
            }
            self.settle_resolved(g, o, t);
        }
        self.batch = b;
    }

    /// [`apply_inputs`](Self::apply_inputs) and the marks when every population is LIF with
    /// the fused layout of `N` channels ([`deliver_last_fused`](Self::deliver_last_fused)'s
    /// scheme).
    fn apply_marked_fused<const N: usize>(&mut self, start: usize, end: usize, t: f64) {
        let (tg, rc, wt) = self.net.connectivity.arrays(start, end);
        let (queue, large) = (&self.queue, self.prefetch);
        in_runs::<N, _>(
            tg,
            &mut self.meta,
            &mut self.net.populations,
            t,
            &mut self.dirty,
            |dirty, f, at, meta| {
                hint_run(tg, at, f, meta, queue, large);
                let j = at.j;
                let done = f.apply(at.i, t, rc[j] as usize, wt[j]);
                if done {
                    mark(meta, dirty, tg[j]);
                }
                done
            },
            |dirty, neurons, at, meta| {
                let j = at.j;
                neurons.apply(at.i, t, rc[j] as usize, wt[j]);
                mark(meta, dirty, tg[j]);
            },
        );
    }

    /// The last pass of [`deliver_last`](Self::deliver_last): in synapse order, each
    /// unmarked target's bound `next[k - start]` queued, or (`Outcome::Fires`) the target
    /// fired and settled — the same operations in the same order per target as settling one
    /// target at a time, so the same results.
    #[inline]
    fn settle_in_order(&mut self, start: usize, end: usize, next: &[Outcome], t: f64) {
        for (k, &o) in (start..end).zip(next) {
            let g = self.net.connectivity.target[k];
            if self.meta[g.index()].dirty {
                continue;
            }
            self.settle_outcome(g, o, t);
        }
    }

    /// Hints the targets a few synapses past `k` (below `end`): their bookkeeping first,
    /// then, once that has arrived, their state and crossing-heap position, so that the cache
    /// misses of a large network overlap instead of queueing.
    #[inline]
    fn prefetch_ahead(&self, k: usize, end: usize) {
        let tg = &self.net.connectivity.target[..end];
        if let Some(&g) = tg.get(k + 2 * AHEAD) {
            crate::prefetch::prefetch(&self.meta[g.index()]);
        }
        if let Some(&g) = tg.get(k + AHEAD) {
            let (p, i) = self.locate(g);
            self.net.populations[p].neurons.prefetch(i);
            self.queue.prefetch_crossing(g);
        }
    }

    /// Delivery when some connection is plastic: static synapses as usual, plastic ones
    /// update their state and deliver their current amplitude. (A separate path so that
    /// static networks pay one predictable branch per delivery group, nothing per synapse.)
    fn deliver_plastic(&mut self, start: usize, end: usize, t: f64) {
        let net = &mut self.net;
        let pl = net.plasticity.as_mut().expect("plastic network");
        for k in start..end {
            let g = net.connectivity.target[k];
            let p = self.meta[g.index()].pop.index();
            let i = g.index() - net.populations[p].offset.index();
            let rule = net.connectivity.rule[k];
            let amplitude = if rule == STATIC {
                net.connectivity.weight[k]
            } else {
                pl.on_arrival(rule, k, g, t, &mut net.connectivity.weight[k])
            };
            let r = net.connectivity.receptor[k] as usize;
            net.populations[p].neurons.apply(i, t, r, amplitude);
            if !self.meta[g.index()].dirty {
                self.meta[g.index()].dirty = true;
                self.dirty.push(g);
            }
        }
    }
}

/// The channel count of the fused layout when every population of `net` is LIF with that
/// layout (see [`Simulation::deliver_last_fused`]).
pub(super) fn uniform_fused_channels(net: &Network) -> Option<usize> {
    let mut n = None;
    for pe in &net.populations {
        let Population::Lif(p) = &pe.neurons else {
            return None;
        };
        let c = p.fused_channels()?;
        if n.is_some_and(|m| m != c) {
            return None;
        }
        n = Some(c);
    }
    n
}

/// Marks neuron `g` for the end of the instant (once).
#[inline(always)]
fn mark(meta: &mut [Meta], dirty: &mut Vec<NeuronId>, g: NeuronId) {
    let m = &mut meta[g.index()];
    if !m.dirty {
        m.dirty = true;
        dirty.push(g);
    }
}

/// The hints of a specialised loop at target `at.j` of a group's targets `tg`, within a run
/// of targets in one population (its view `f`): the state of the target [`AHEAD`] synapses
/// on when it is in the same population (a small network's state is in L2, not L1; at a
/// run's end the next run's first targets go without) and, in a large network (`large`),
/// `prefetch_ahead`'s other hints.
#[inline(always)]
fn hint_run<const N: usize>(
    tg: &[NeuronId],
    at: At,
    f: &Fused<'_, N>,
    meta: &[Meta],
    queue: &EventQueue,
    large: bool,
) {
    if large {
        if let Some(&g) = tg.get(at.j + 2 * AHEAD) {
            crate::prefetch::prefetch(&meta[g.index()]);
        }
    }
    if let Some(&g) = tg.get(at.j + AHEAD) {
        f.prefetch(g.index().wrapping_sub(at.off));
        if large {
            queue.prefetch_crossing(g);
        }
    }
}
