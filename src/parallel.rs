//! Threads: the network split into partitions of neurons, simulated in conservative windows,
//! with results identical to one thread's, bit for bit.
//!
//! ```text
//!   partition k owns neurons [a_k, b_k) and the synapses onto them (target-side storage)
//!   window [T, T + L), L = the smallest neuron → neuron delay:
//!       every partition (one thread each) runs its own queue to T + L
//!       — no spike of another partition can arrive before T + L —
//!   then the spikes of the window are handed to every other partition, whose deliveries
//!   (all at or after T + L) join its queue; next window
//! ```
//!
//! Why the result does not depend on the split: a neuron's state evolves only through its
//! own inputs and checks; the inputs of one instant are applied in the canonical order of
//! the queue (by synapse, see [`crate::queue`]), not in the order spikes were exchanged; and
//! sources are replayed in every partition from the same streams. Records are merged and
//! sorted as a single run sorts them. `docs/semantics.md` states the rule.
//!
//! Memory: every partition holds its own synapses only, but a copy of all neuron and
//! source state, and the network as built is kept for the summary (simple and fast for
//! threads on one machine; an MPI rank would hold only its own part).

use crate::ids::{NeuronId, SynapseId};
use crate::network::Network;
use crate::records::{sort_records, Output, Spike, Stats, Stop, VoltageSample, WeightSample};
use crate::simulation::{Advance, Guards, Simulation};
use rayon::prelude::*;
use std::time::Instant;

/// A network simulated by several threads.
pub struct Parallel {
    parts: Vec<Simulation>,
    /// The network as built (names, sizes, counts for the summary; its state is not used).
    meta: Network,
    pool: rayon::ThreadPool,
    /// Window length: the smallest neuron → neuron delay (the whole run without one).
    window: f64,
    now: f64,
    /// Spikes of the last window, with the partition they came from.
    pending: Vec<(f64, NeuronId, usize)>,
    max_events: Option<u64>,
    buffer_limit: usize,
    simulate_seconds: f64,
}

/// Splits `net` into `k` partitions of contiguous neurons (each with the synapses onto its
/// neurons and the probes' entries it owns).
fn split(net: &Network, k: usize) -> Vec<Simulation> {
    let n = net.n_neurons() as u64;
    let rules = net.plasticity.as_ref().map(|p| p.rules.clone());
    (0..k)
        .map(|p| {
            let owned = (n * p as u64 / k as u64) as u32..(n * (p as u64 + 1) / k as u64) as u32;
            let (connectivity, map) = net.connectivity.restrict(owned.clone());
            let mut weight_probes = net.weight_probes.clone();
            for probe in &mut weight_probes {
                for s in &mut probe.synapses {
                    s.synapse = SynapseId(map[s.synapse.index()]);
                }
            }
            let plasticity = rules.clone().map(|rules| {
                crate::plasticity::State::new(
                    rules,
                    &connectivity.rule,
                    &connectivity.target,
                    n as usize,
                )
            });
            let part = Network {
                name: net.name.clone(),
                duration: net.duration,
                populations: net.populations.clone(),
                inputs: net.inputs.clone(),
                connectivity,
                record_populations: net.record_populations.clone(),
                // sources are replayed everywhere; the first partition records them
                record_inputs: if p == 0 {
                    net.record_inputs.clone()
                } else {
                    vec![false; net.inputs.len()]
                },
                probes: net.probes.clone(),
                weight_probes,
                plasticity,
                memory_estimate: net.memory_estimate,
            };
            let mut sim = Simulation::owning(part, owned);
            sim.collect_emitted();
            sim
        })
        .collect()
}

impl Parallel {
    /// Prepares `net` for `threads` threads (at least 2; see [`Simulation`] for one).
    ///
    /// # Panics
    /// If the thread pool cannot be created.
    pub fn new(net: Network, threads: usize) -> Self {
        let k = threads.max(1);
        let window = net
            .connectivity
            .min_neuron_delay(net.n_neurons())
            .unwrap_or(net.duration)
            .max(f64::MIN_POSITIVE);
        let parts = split(&net, k);
        let pool = rayon::ThreadPoolBuilder::new()
            .num_threads(k)
            .build()
            .expect("internal error: cannot start threads");
        Parallel {
            parts,
            meta: net,
            pool,
            window,
            now: 0.0,
            pending: Vec::new(),
            max_events: None,
            buffer_limit: usize::MAX,
            simulate_seconds: 0.0,
        }
    }

    /// Sets the limits: the deadline and stop flag hold within windows, the event limit is
    /// checked between windows.
    pub fn set_guards(&mut self, guards: Guards) {
        self.max_events = guards.max_events;
        for p in &mut self.parts {
            p.set_guards(Guards {
                max_events: None,
                deadline: guards.deadline,
                interrupt: guards.interrupt.clone(),
            });
        }
    }

    /// Returns between windows once about `rows` records are buffered.
    pub fn set_buffer_limit(&mut self, rows: usize) {
        self.buffer_limit = rows.max(1);
    }

    /// Simulated time reached \[ms\].
    pub fn now(&self) -> f64 {
        self.now
    }

    /// Counters merged over the partitions.
    pub fn stats(&self) -> Stats {
        let mut s = Stats::default();
        for (k, p) in self.parts.iter().enumerate() {
            let q = p.stats();
            s.events += q.events;
            s.neuron_spikes += q.neuron_spikes;
            if k == 0 {
                s.source_spikes = q.source_spikes; // replayed in every partition
            }
            s.predictions += q.predictions;
            s.checks += q.checks;
            s.peak_queue = s.peak_queue.max(q.peak_queue);
        }
        s.simulate_seconds = self.simulate_seconds;
        s
    }

    fn buffered(&self) -> usize {
        self.parts.iter().map(|p| p.buffered()).sum()
    }

    /// Simulates up to `t` (clamped to the duration) window by window. Like
    /// [`Simulation::advance_until`]: returns early between windows when the buffer is full,
    /// or with the reason a guard stopped the run (everything before [`now`](Self::now) is
    /// then final).
    pub fn advance_until(&mut self, t: f64) -> Result<Advance, Stop> {
        let started = Instant::now();
        let result = self.windows(t.min(self.meta.duration));
        self.simulate_seconds += started.elapsed().as_secs_f64();
        result
    }

    fn windows(&mut self, end_total: f64) -> Result<Advance, Stop> {
        while self.now < end_total {
            let end = (self.now + self.window)
                .max(self.now.next_up())
                .min(end_total);
            let pending = std::mem::take(&mut self.pending);
            let parts = &mut self.parts;
            let results: Vec<Result<Advance, Stop>> = self.pool.install(|| {
                parts
                    .par_iter_mut()
                    .enumerate()
                    .map(|(k, p)| {
                        for &(t, g, from) in &pending {
                            if from != k {
                                p.inject(g, t);
                            }
                        }
                        p.run_until(end).map(|_| Advance::Reached)
                    })
                    .collect()
            });
            for (k, p) in self.parts.iter_mut().enumerate() {
                self.pending
                    .extend(p.take_emitted().into_iter().map(|(t, g)| (t, g, k)));
            }
            if let Some(stop) = results.into_iter().find_map(Result::err) {
                // every partition is exact up to where the earliest one stopped
                self.now = self.parts.iter().map(Simulation::now).fold(end, f64::min);
                return Err(stop);
            }
            self.now = end;
            let s = self.stats();
            if self
                .max_events
                .is_some_and(|m| s.events + s.neuron_spikes + s.source_spikes >= m)
            {
                return Err(Stop::MaxEvents);
            }
            if self.buffered() >= self.buffer_limit && self.now < end_total {
                return Ok(Advance::BufferFull);
            }
        }
        Ok(Advance::Reached)
    }

    /// Removes and returns, merged and sorted as one run sorts them, the records before
    /// [`now`](Self::now).
    pub fn drain(&mut self) -> (Vec<Spike>, Vec<VoltageSample>, Vec<WeightSample>) {
        let now = self.now;
        let (mut spikes, mut samples, mut weights) = (vec![], vec![], vec![]);
        for p in &mut self.parts {
            let (a, b, c) = p.drain();
            spikes.extend(a);
            samples.extend(b);
            weights.extend(c);
        }
        // after a stop inside a window, what lies beyond the common time is not final
        let stopped_early = |t: f64| t >= now && now < self.meta.duration;
        spikes.retain(|s| !stopped_early(s.time));
        samples.retain(|s| !stopped_early(s.time));
        weights.retain(|s| !stopped_early(s.time));
        sort_records(&mut spikes, &mut samples, &mut weights);
        (spikes, samples, weights)
    }

    /// The merged results, with the network as built (its state is not the final one).
    pub fn finish(mut self) -> (Network, Output) {
        let stats = self.stats();
        let (spikes, voltages, weights) = self.drain();
        let names = self
            .meta
            .record_names()
            .into_iter()
            .map(String::from)
            .collect();
        (
            self.meta,
            Output {
                names,
                spikes,
                voltages,
                weights,
                stats,
            },
        )
    }
}
