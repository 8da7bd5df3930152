//! The end of an instant and the queueing of what a delivery or a check found: each
//! marked neuron's threshold test and bound, the firing of those at threshold, and the
//! prediction queued for the others.

use super::runs::in_runs;
use super::Simulation;
use crate::ids::NeuronId;
use crate::neuron::{BoundParts, Delivered, NeuronModel, Next, Outcome, Population};

impl Simulation {
    /// The end of instant `t`: the threshold test and prediction of every marked neuron (each
    /// already at `t`: marked when an input or its firing brought it there), in passes like a
    /// delivery's ([`deliver_last`](Self::deliver_last)): the tests and most of the bounds,
    /// the bounds' last steps in one tight loop, then in marking order the firings and queue
    /// updates. Firing only queues events, so no neuron's state changes between its test and
    /// its update: the same results as settling one neuron at a time.
    pub(super) fn settle_marked(&mut self, t: f64) {
        match self.fused_channels {
            Some(0) => return self.settle_marked_fused::<0>(t),
            Some(1) => return self.settle_marked_fused::<1>(t),
            Some(2) => return self.settle_marked_fused::<2>(t),
            Some(3) => return self.settle_marked_fused::<3>(t),
            _ => {}
        }
        let dirty = std::mem::take(&mut self.dirty);
        let mut next = std::mem::take(&mut self.batch_next);
        next.clear();
        let end = self.net.duration;
        for &g in &dirty {
            self.meta[g.index()].dirty = false;
            let (p, i) = self.locate(g);
            next.push(self.net.populations[p].neurons.settle(i, end));
        }
        Outcome::finish_all(&mut next, t, end);
        for (&g, &o) in dirty.iter().zip(&next) {
            self.settle_outcome(g, o, t);
        }
        self.dirty = dirty;
        self.dirty.clear();
        self.batch_next = next;
    }

    /// [`LifPopulation::check_into`](crate::neuron::LifPopulation::check_into) for neuron
    /// `i` of population `p` when every population takes the fused layout.
    #[inline]
    pub(super) fn check_fused(&mut self, p: usize, i: usize, t: f64) -> Option<Next> {
        let end = self.net.duration;
        let Population::Lif(pop) = &mut self.net.populations[p].neurons else {
            return None;
        };
        match self.fused_channels? {
            0 => pop.check_into::<0>(i, t, end),
            1 => pop.check_into::<1>(i, t, end),
            2 => pop.check_into::<2>(i, t, end),
            3 => pop.check_into::<3>(i, t, end),
            _ => None,
        }
    }

    /// Acts on what a delivery or the instant's end left of neuron `g` at `t`: queues its
    /// bound, or fires it and settles it after its reset.
    #[inline(always)]
    pub(super) fn settle_outcome(&mut self, g: NeuronId, o: Outcome, t: f64) {
        self.settle_resolved(g, o.resolve(t, self.net.duration), t);
    }

    /// [`settle_outcome`](Self::settle_outcome) of a resolved outcome: `None` fires.
    #[inline(always)]
    pub(super) fn settle_resolved(&mut self, g: NeuronId, o: Option<Next>, t: f64) {
        match o {
            Some(nx) => self.schedule(g, nx),
            None => {
                let (p, i) = self.locate(g);
                self.settle(g, p, i, t);
            }
        }
    }

    /// Threshold test and next prediction for neuron `g` (population `p`, index `i`) once
    /// every input of instant `t` has been applied to it.
    #[inline]
    pub(super) fn settle(&mut self, g: NeuronId, p: usize, i: usize, t: f64) {
        let pop = &mut self.net.populations[p].neurons;
        if pop.above_threshold(i) {
            self.fire(g, p, i, t);
        }
        // Cheap bound first; the exact solver runs when the bound is reached with no
        // input in between (most inputs move the bound and never need the solver).
        let next = self.net.populations[p]
            .neurons
            .next_bound(i, self.net.duration);
        self.schedule(g, next);
    }

    /// Queues what [`settle`](Self::settle) found for neuron `g`.
    #[inline]
    pub(super) fn schedule(&mut self, g: NeuronId, next: Next) {
        let (time, exact) = match next {
            Next::Never => (None, false),
            Next::Check(tc) => (Some(tc), false),
            Next::Spike(ts) => (Some(ts), true),
        };
        self.meta[g.index()].exact = exact;
        self.meta[g.index()].rebounded = 0;
        self.queue.set_crossing(&mut self.meta[..], g, time);
    }

    /// [`settle_marked`](Self::settle_marked) when every population is LIF with the fused
    /// layout of `N` channels: the same passes, each neuron's bound's parts written to a
    /// slot of its own ([`deliver_last_fused`](Self::deliver_last_fused)'s scheme).
    pub(super) fn settle_marked_fused<const N: usize>(&mut self, t: f64) {
        let dirty = std::mem::take(&mut self.dirty);
        let len = dirty.len();
        let end = self.net.duration;
        let mut b = std::mem::take(&mut self.batch);
        b.ready(len);
        let (next, parts) = (&mut b.resolved[..len], &mut b.parts[..len]);
        let mut scratch = (next, parts, &mut b.pending);
        // runs of neurons in one population (they are marked in synapse order)
        in_runs::<N, _>(
            &dirty,
            &mut self.meta,
            &mut self.net.populations,
            t,
            &mut scratch,
            |(next, parts, pending), f, at, meta| {
                let j = at.j;
                next[j] = match f.settle(at.i, end, &mut parts[j]) {
                    Delivered::Parts => {
                        pending.push(j as u32);
                        meta[dirty[j].index()].dirty = false;
                        return true;
                    }
                    Delivered::Fires => None,
                    Delivered::Never => Some(Next::Never),
                    Delivered::General => return false,
                };
                meta[dirty[j].index()].dirty = false;
                true
            },
            |(next, _, _), neurons, at, meta| {
                meta[dirty[at.j].index()].dirty = false;
                next[at.j] = neurons.settle(at.i, end).resolve(t, end);
            },
        );
        b.finish_pending(t, end);
        for (&g, &o) in dirty.iter().zip(&b.resolved[..len]) {
            self.settle_resolved(g, o, t);
        }
        self.dirty = dirty;
        self.dirty.clear();
        self.batch = b;
    }
}

/// Scratch of the loops specialised to a fused layout: per target, its resolved outcome
/// (`None`: it fires) and its bound's parts, and the targets that left parts.
#[derive(Debug, Default)]
pub(super) struct Batch {
    pub resolved: Vec<Option<Next>>,
    pub parts: Vec<BoundParts>,
    pub pending: Vec<u32>,
}

impl Batch {
    /// Room for `len` targets (grown once; entries not written by a loop are never read).
    pub fn ready(&mut self, len: usize) {
        if self.resolved.len() < len {
            self.resolved.resize(len, None);
        }
        if self.parts.len() < len {
            self.parts.resize(len, BoundParts::default());
        }
        self.pending.clear();
    }

    /// The pending targets' bounds finished (targets at `t`, a run ending at `end`): their
    /// square roots and divisions in one tight loop, independent of each other.
    #[inline(always)]
    pub fn finish_pending(&mut self, t: f64, end: f64) {
        for &j in &self.pending {
            let j = j as usize;
            self.resolved[j] = Some(self.parts[j].finish(t, end));
        }
    }
}
