//! The event loop.
//!
//! ```text
//!            ┌──────────── EventQueue (time, class, seq) ────────────┐
//!            │ samples │ crossings (1/neuron) │ sources │ deliveries │
//!            └────┬──────────┬──────────────────┬──────────┬─────────┘
//!   pop all events│at time t │                  │          │
//!                 ▼          ▼                  ▼          ▼
//!             sample V   fire neuron      fan out spike  advance target to t,
//!                        (reset, ref.)    (1 entry per   apply weight, mark dirty
//!                            │             delay group)
//!                            └──────► fan out
//!   then, for each dirty neuron: fire if V ≥ θ now; predict the next crossing exactly
//!   (crossing solver) and update its entry in the queue.
//! ```
//!
//! All events at one instant are applied before any threshold test (simultaneous
//! excitation and inhibition cancel); see `docs/semantics.md` for the tie rules.

use crate::monitor::{Spike, VoltageSample, WeightSample};
use crate::network::connectivity::STATIC;
use crate::network::Network;
use crate::neuron::Next;
use crate::queue::{Event, EventQueue};
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Arc;
use std::time::Instant;

/// Times a check may be answered with a tightened bound before the exact solver runs
/// (CUBA with slope bounds only: solver calls 270 k with 0, 77 k with 1, 42 k with 2, 28 k
/// with 4; with the second-order bound, 8 rebounds leave one solver call per spike at most;
/// see docs/performance.md).
const MAX_REBOUNDS: u8 = 8;

/// Limits that stop a run early, checked between instants (every 256 of them).
#[derive(Clone, Debug, Default)]
pub struct Guards {
    /// Stop once this many synaptic events have been delivered.
    pub max_events: Option<u64>,
    /// Stop at this wall-clock time.
    pub deadline: Option<Instant>,
    /// Stop when this flag is set (e.g. by a SIGINT handler).
    pub interrupt: Option<Arc<AtomicBool>>,
}

/// Why a run stopped before its end.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Stop {
    /// `max_events` was reached.
    MaxEvents,
    /// The wall-clock deadline passed.
    MaxWall,
    /// The interrupt flag was set.
    Interrupted,
}

impl std::fmt::Display for Stop {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(match self {
            Stop::MaxEvents => "max_events",
            Stop::MaxWall => "max_wall",
            Stop::Interrupted => "interrupted",
        })
    }
}

/// Counters of one run.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct Stats {
    /// Synaptic events delivered (one per synapse per presynaptic spike).
    pub events: u64,
    /// Spikes emitted by neurons (recorded or not).
    pub neuron_spikes: u64,
    /// Spikes emitted by sources.
    pub source_spikes: u64,
    /// Threshold-crossing predictions computed.
    pub predictions: u64,
    /// Lower-bound checks reached without an input in between (each tightens the bound or
    /// runs the exact solver).
    pub checks: u64,
    /// Largest number of pending queue entries.
    pub peak_queue: usize,
    /// Wall-clock seconds spent in the event loop.
    pub simulate_seconds: f64,
}

/// What a run produced.
#[derive(Clone, Debug, Default)]
pub struct Output {
    /// Recorded spikes, sorted by time, then population order, then neuron index.
    pub spikes: Vec<Spike>,
    /// Voltage samples, sorted by time, then probe order, then neuron order.
    pub voltages: Vec<VoltageSample>,
    /// Weight samples, sorted by time, then probe order, then synapse order.
    pub weights: Vec<WeightSample>,
    /// Counters.
    pub stats: Stats,
}

/// The event loop's per-neuron bookkeeping.
#[derive(Clone, Copy, Debug, Default)]
struct Meta {
    /// Population index.
    pop: u32,
    /// Listed in `dirty` for the end of the current instant.
    dirty: bool,
    /// Its queued crossing is exact (fire) rather than a lower bound (look again).
    exact: bool,
    /// How many times its current check came from a tightened bound.
    rebounded: u8,
}

/// A network being simulated.
pub struct Simulation {
    net: Network,
    queue: EventQueue,
    /// Per neuron: the loop's bookkeeping, in one 8-byte record (one cache access per
    /// delivery instead of four).
    meta: Vec<Meta>,
    /// Global source index → input index.
    input_of: Vec<u32>,
    dirty: Vec<u32>,
    probe_next: Vec<usize>,
    weight_probe_next: Vec<usize>,
    now: f64,
    out: Output,
    guards: Guards,
}

impl Simulation {
    /// Prepares a simulation of `net` starting at t = 0.
    pub fn new(net: Network) -> Self {
        let n = net.n_neurons();
        let mut meta = Vec::with_capacity(n);
        for (p, pop) in net.populations.iter().enumerate() {
            meta.extend(std::iter::repeat_n(
                Meta {
                    pop: p as u32,
                    dirty: true,
                    ..Meta::default()
                },
                pop.neurons.len(),
            ));
        }
        let mut input_of = Vec::with_capacity(net.n_sources());
        for (k, inp) in net.inputs.iter().enumerate() {
            input_of.extend(std::iter::repeat_n(k as u32, inp.sources.len()));
        }
        let mut sim = Simulation {
            queue: EventQueue::with_capacity(1024 + net.n_sources(), n),
            meta,
            input_of,
            dirty: (0..n as u32).collect(),
            probe_next: vec![0; net.probes.len()],
            weight_probe_next: vec![0; net.weight_probes.len()],
            now: 0.0,
            out: Output::default(),
            guards: Guards::default(),
            net,
        };
        let n_neurons = n;
        for inp in 0..sim.net.inputs.len() {
            for s in 0..sim.net.inputs[inp].sources.len() {
                let global = sim.net.inputs[inp].offset + s;
                sim.schedule_source(inp, s, (n_neurons + global) as u32);
            }
        }
        for p in 0..sim.net.probes.len() {
            sim.schedule_probe(p);
        }
        for p in 0..sim.net.weight_probes.len() {
            sim.schedule_weight_probe(p);
        }
        sim
    }

    /// The network (state included).
    pub fn network(&self) -> &Network {
        &self.net
    }

    /// Current simulation time [ms]: every event before it has been processed.
    pub fn now(&self) -> f64 {
        self.now
    }

    fn schedule_source(&mut self, inp: usize, s: usize, node: u32) {
        let duration = self.net.duration;
        if let Some(mut t) = self.net.inputs[inp].sources[s].next_spike() {
            if let Some(dt) = self.net.inputs[inp].grid {
                t = (t / dt).round() * dt; // monotone, so trains stay sorted
            }
            if t < duration {
                self.queue.push(t, Event::Source { source: node });
            }
        }
    }

    fn schedule_probe(&mut self, p: usize) {
        if let Some(&t) = self.net.probes[p].times.get(self.probe_next[p]) {
            self.queue.push(t, Event::Sample { probe: p as u32 });
        }
    }

    fn schedule_weight_probe(&mut self, p: usize) {
        if let Some(&t) = self.net.weight_probes[p]
            .times
            .get(self.weight_probe_next[p])
        {
            self.queue.push(t, Event::WeightSample { probe: p as u32 });
        }
    }

    fn sample_weights(&mut self, probe: usize, t: f64) {
        let pr = &self.net.weight_probes[probe];
        for (order, &(idx, k, src, tgt)) in pr.synapses.iter().enumerate() {
            self.out.weights.push(WeightSample {
                probe: probe as u32,
                order: order as u32,
                connection: pr.connection as u32,
                synapse: idx,
                source: src,
                target: tgt,
                time: t,
                weight: self.net.connectivity.weight[k as usize],
            });
        }
        self.weight_probe_next[probe] += 1;
        self.schedule_weight_probe(probe);
    }

    /// Runs to the end of the scenario's duration and returns the results.
    pub fn run(self) -> Output {
        self.run_to_end().1
    }

    /// Runs to the end (ignoring guards) and returns the final network and the results.
    pub fn run_to_end(mut self) -> (Network, Output) {
        self.guards = Guards::default();
        let _ = self.run_until(self.net.duration);
        self.finish()
    }

    /// Sets the limits that may stop [`run_until`](Self::run_until) early.
    pub fn set_guards(&mut self, guards: Guards) {
        self.guards = guards;
    }

    /// Processes every event before `t` (clamped to the duration). Can be called repeatedly
    /// with increasing `t`. Returns early with the reason when a guard fires; the state is
    /// then complete up to [`now`](Self::now) (every instant before it, and the instant
    /// itself, fully processed).
    pub fn run_until(&mut self, t: f64) -> Result<(), Stop> {
        let end = t.min(self.net.duration);
        let start = Instant::now();
        if self.now == 0.0 && !self.dirty.is_empty() {
            // t = 0: initial threshold tests and predictions, together with events at 0.
            self.batch(0.0);
        }
        let mut instants = 0u32;
        while let Some(t) = self.queue.peek_time() {
            if t >= end {
                break;
            }
            self.batch(t);
            instants = instants.wrapping_add(1);
            if instants % 256 == 0 {
                if let Err(stop) = self.check_guards() {
                    self.out.stats.simulate_seconds += start.elapsed().as_secs_f64();
                    return Err(stop);
                }
            }
        }
        self.now = self.now.max(end);
        self.out.stats.simulate_seconds += start.elapsed().as_secs_f64();
        self.check_guards()
    }

    fn check_guards(&self) -> Result<(), Stop> {
        let g = &self.guards;
        if g.max_events.is_some_and(|m| self.out.stats.events >= m) {
            return Err(Stop::MaxEvents);
        }
        if g.deadline.is_some_and(|d| Instant::now() >= d) {
            return Err(Stop::MaxWall);
        }
        if g.interrupt
            .as_ref()
            .is_some_and(|f| f.load(Ordering::Relaxed))
        {
            return Err(Stop::Interrupted);
        }
        Ok(())
    }

    /// Removes and returns, sorted, the spikes and samples recorded so far: all of them are
    /// final (nothing before [`now`](Self::now) can change). For streaming long runs.
    pub fn drain(&mut self) -> (Vec<Spike>, Vec<VoltageSample>, Vec<WeightSample>) {
        let mut spikes = std::mem::take(&mut self.out.spikes);
        let mut samples = std::mem::take(&mut self.out.voltages);
        let mut weights = std::mem::take(&mut self.out.weights);
        sort_records(&mut spikes, &mut samples, &mut weights);
        (spikes, samples, weights)
    }

    /// Sorts and returns the results, with the network in its final state.
    pub fn finish(mut self) -> (Network, Output) {
        self.out.stats.peak_queue = self.queue.peak_len();
        sort_records(
            &mut self.out.spikes,
            &mut self.out.voltages,
            &mut self.out.weights,
        );
        (self.net, self.out)
    }

    /// Processes all events at time `t`, then threshold tests and predictions.
    fn batch(&mut self, t: f64) {
        debug_assert!(
            t >= self.now,
            "internal error: event at {t} before now {}",
            self.now
        );
        self.now = t;
        while self.queue.peek_time() == Some(t) {
            let Some((_, ev)) = self.queue.pop() else {
                break;
            };
            match ev {
                Event::Sample { probe } => self.sample(probe as usize, t),
                Event::WeightSample { probe } => self.sample_weights(probe as usize, t),
                Event::Crossing { neuron } => {
                    let (p, i) = self.locate(neuron);
                    self.net.populations[p].neurons.advance(i, t);
                    if self.meta[neuron as usize].exact {
                        self.fire(neuron, p, i, t);
                        self.mark(neuron);
                    } else {
                        self.out.stats.checks += 1;
                        // The bound ran out without an input. Tighten it from the new state
                        // (cheap; often far enough that an input comes first), at most
                        // MAX_REBOUNDS times, then solve exactly.
                        let pop = &self.net.populations[p].neurons;
                        let rebound = self.meta[neuron as usize].rebounded < MAX_REBOUNDS;
                        match pop.next_bound(i, self.net.duration) {
                            Next::Check(tc) if rebound && tc > t => {
                                self.meta[neuron as usize].rebounded += 1;
                                self.queue.set_crossing(neuron, Some(tc));
                            }
                            Next::Never => self.queue.set_crossing(neuron, None),
                            // The bounds have closed in on the crossing to within one float:
                            // V < θ at t, so if V ≥ θ at the next float that is the first
                            // representable time at or above threshold, the solver's answer.
                            Next::Check(tc)
                                if tc <= t
                                    && t.next_up() < self.net.duration
                                    && pop.reached_at(i, t.next_up()) =>
                            {
                                self.meta[neuron as usize].exact = true;
                                self.queue.set_crossing(neuron, Some(t.next_up()));
                            }
                            _ => {
                                let next = pop.next_spike(i, self.net.duration);
                                self.out.stats.predictions += 1;
                                self.meta[neuron as usize].exact = true;
                                self.queue.set_crossing(neuron, next);
                            }
                        }
                    }
                }
                Event::Source { source } => {
                    let n_neurons = self.meta.len();
                    let global_src = source as usize - n_neurons;
                    let inp = self.input_of[global_src] as usize;
                    let s = global_src - self.net.inputs[inp].offset;
                    self.out.stats.source_spikes += 1;
                    if self.net.record_inputs[inp] {
                        self.out.spikes.push(Spike {
                            time: t,
                            population: (self.net.populations.len() + inp) as u32,
                            neuron: s as u32,
                        });
                    }
                    self.fan_out(source as usize, t);
                    self.schedule_source(inp, s, source);
                }
                Event::Deliver {
                    start,
                    end,
                    distinct,
                } => self.deliver(start as usize, end as usize, distinct, t),
            }
        }
        // Threshold tests after every input at t has been applied, then predictions.
        let mut k = 0;
        while k < self.dirty.len() {
            let g = self.dirty[k];
            k += 1;
            self.meta[g as usize].dirty = false;
            let (p, i) = self.locate(g);
            self.net.populations[p].neurons.advance(i, t);
            self.settle(g, p, i, t);
        }
        self.dirty.clear();
        // STDP potentiation for this instant's spikes, after every arrival at t
        if let Some(pl) = &mut self.net.plasticity {
            if pl.pending() {
                pl.end_of_instant(
                    t,
                    &mut self.net.connectivity.weight,
                    &self.net.connectivity.rule,
                );
            }
        }
    }

    /// Threshold test and next prediction for neuron `g` (population `p`, index `i`) once
    /// every input of instant `t` has been applied to it.
    #[inline]
    fn settle(&mut self, g: u32, p: usize, i: usize, t: f64) {
        let pop = &mut self.net.populations[p].neurons;
        if pop.above_threshold(i) {
            self.fire(g, p, i, t);
        }
        // Cheap bound first; the exact solver runs when the bound is reached with no
        // input in between (most inputs move the bound and never need the solver).
        let (time, exact) = match self.net.populations[p]
            .neurons
            .next_bound(i, self.net.duration)
        {
            Next::Never => (None, false),
            Next::Check(tc) => (Some(tc), false),
            Next::Spike(ts) => (Some(ts), true),
        };
        self.meta[g as usize].exact = exact;
        self.meta[g as usize].rebounded = 0;
        self.queue.set_crossing(g, time);
    }

    #[inline]
    fn locate(&self, neuron: u32) -> (usize, usize) {
        let p = self.meta[neuron as usize].pop as usize;
        (p, neuron as usize - self.net.populations[p].offset)
    }

    #[inline]
    fn mark(&mut self, neuron: u32) {
        if !self.meta[neuron as usize].dirty {
            self.meta[neuron as usize].dirty = true;
            self.dirty.push(neuron);
        }
    }

    fn fire(&mut self, g: u32, p: usize, i: usize, t: f64) {
        self.net.populations[p].neurons.fire(i);
        if let Some(pl) = &mut self.net.plasticity {
            pl.on_post(g);
        }
        self.out.stats.neuron_spikes += 1;
        if self.net.record_populations[p] {
            self.out.spikes.push(Spike {
                time: t,
                population: p as u32,
                neuron: i as u32,
            });
        }
        self.fan_out(g as usize, t);
    }

    fn fan_out(&mut self, node: usize, t: f64) {
        let end = self.net.duration;
        for (delay, start, stop, distinct) in self.net.connectivity.groups_distinct(node) {
            // A positive delay below the float resolution at t would land at t itself and
            // could let neurons excite each other forever within one instant: round it up to
            // the next representable time, keeping cause strictly before effect.
            let mut at = t + delay;
            if delay > 0.0 && at <= t {
                at = t.next_up();
            }
            if at < end {
                self.queue.push(
                    at,
                    Event::Deliver {
                        start,
                        end: stop,
                        distinct,
                    },
                );
            }
        }
    }

    fn deliver(&mut self, start: usize, end: usize, distinct: bool, t: f64) {
        self.out.stats.events += (end - start) as u64;
        if self.net.plasticity.is_some() {
            return self.deliver_plastic(start, end, t);
        }
        // When this group is the instant's last event and names each target once, a target
        // not touched earlier in the instant has all its inputs once this one is applied: test
        // and predict it at once, while its state is in cache (the common case: one spike's
        // fan-out alone at its instant). Otherwise mark it for the end of the instant.
        let last = distinct && self.queue.peek_time() != Some(t);
        for k in start..end {
            let g = self.net.connectivity.target[k];
            let (p, i) = self.locate(g);
            let pop = &mut self.net.populations[p].neurons;
            pop.advance(i, t);
            pop.receive(
                i,
                self.net.connectivity.receptor[k] as usize,
                self.net.connectivity.weight[k],
            );
            if last && !self.meta[g as usize].dirty {
                self.settle(g, p, i, t);
            } else {
                self.mark(g);
            }
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
            let p = self.meta[g as usize].pop as usize;
            let i = g as usize - net.populations[p].offset;
            let rule = net.connectivity.rule[k];
            let amplitude = if rule == STATIC {
                net.connectivity.weight[k]
            } else {
                pl.on_arrival(rule, k, g, t, &mut net.connectivity.weight[k])
            };
            let pop = &mut net.populations[p].neurons;
            pop.advance(i, t);
            pop.receive(i, net.connectivity.receptor[k] as usize, amplitude);
            if !self.meta[g as usize].dirty {
                self.meta[g as usize].dirty = true;
                self.dirty.push(g);
            }
        }
    }

    fn sample(&mut self, probe: usize, t: f64) {
        let pr = &self.net.probes[probe];
        let pop = &self.net.populations[pr.population].neurons;
        for (order, &i) in pr.neurons.iter().enumerate() {
            self.out.voltages.push(VoltageSample {
                probe: probe as u32,
                order: order as u32,
                population: pr.population as u32,
                neuron: i as u32,
                time: t,
                v: pop.v_at(i, t),
            });
        }
        self.probe_next[probe] += 1;
        self.schedule_probe(probe);
    }
}

/// Spikes by (time, population, neuron); samples by (time, probe, order in the probe).
fn sort_records(spikes: &mut [Spike], samples: &mut [VoltageSample], weights: &mut [WeightSample]) {
    weights.sort_by(|a, b| {
        a.time
            .total_cmp(&b.time)
            .then(a.probe.cmp(&b.probe))
            .then(a.order.cmp(&b.order))
    });
    spikes.sort_by(|a, b| {
        a.time
            .total_cmp(&b.time)
            .then(a.population.cmp(&b.population))
            .then(a.neuron.cmp(&b.neuron))
    });
    samples.sort_by(|a, b| {
        a.time
            .total_cmp(&b.time)
            .then(a.probe.cmp(&b.probe))
            .then(a.order.cmp(&b.order))
    });
}
