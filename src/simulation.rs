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

use crate::ids::{NeuronId, NodeId, PopulationId, SourceId};
use crate::network::connectivity::STATIC;
use crate::network::Network;
use crate::neuron::{NeuronModel, Next, Outcome};
use crate::queue::{Event, EventQueue};
use crate::records::{
    sort_records, Output, Spike, Stats, Stop, StopFlag, VoltageSample, WeightSample,
};
use std::time::Instant;

mod currents;
mod delivery;
mod guards;
mod meta;
mod runs;
mod samples;
mod settle;
mod sources;
mod walk;
use meta::Meta;
use walk::Walk;

/// Times a check may be answered with a tightened bound before the exact solver runs
/// (CUBA with slope bounds only: solver calls 270 k with 0, 77 k with 1, 42 k with 2, 28 k
/// with 4; with the second-order bound, 8 rebounds leave one solver call per spike at most;
/// see docs/performance.md).
const MAX_REBOUNDS: u8 = 8;

/// Limits that stop a run early. They are checked between instants (every 256 of them)
/// and, within one instant, every [`GUARD_EVERY`] events, so a neuron that fires without
/// end at one instant is stopped too.
#[derive(Clone, Debug, Default)]
pub struct Guards {
    /// Stop once this many events have happened: synaptic events delivered plus spikes
    /// emitted by neurons and sources.
    pub max_events: Option<u64>,
    /// Stop at this wall-clock time.
    pub deadline: Option<Instant>,
    /// Stop when this flag is raised (by a signal handler, another thread, ...).
    pub interrupt: Option<StopFlag>,
    /// Stop when the queue of events in flight would need more than this many bytes
    /// ([`Stop::MaxMemory`]): checked with the others, against its buffers and their next
    /// growth, so that a queue growing without bound stops before an allocation fails.
    pub max_queue_bytes: Option<u64>,
    /// Count the records this simulation holds against `max_queue_bytes` too, twice (their
    /// merge at the end copies them): for a partition of a threaded or distributed run,
    /// which keeps its records until its window ends (the whole run without connections
    /// between neurons), and for a run whose records are all kept in memory (Python).
    pub count_records: bool,
}

impl Guards {
    /// The guards of one of `parts` partitions of a threaded or distributed run: the same
    /// deadline and stop flag; the event limit for its own events too (a window may be the
    /// whole run and the total is checked only between windows, so a run stops within
    /// `parts` times the limit); its share of the queue's budget, its records counted (they
    /// stay until its window ends).
    pub fn for_partition(&self, parts: u64) -> Guards {
        Guards {
            max_queue_bytes: self.max_queue_bytes.map(|m| m / parts.max(1)),
            count_records: true,
            ..self.clone()
        }
    }
}

/// Events processed within one instant between two guard checks.
pub const GUARD_EVERY: u32 = 4096;

/// A run stops ([`Stop::Stalled`]) after [`STALL_INSTANTS`] instants in a row, each at most
/// this many float steps (or [`STALL_FLOOR`]) after the one before: spikes causing spikes
/// within a float step of time (a delay rounded up to the next float, say), whose order is
/// rounding, not dynamics.
pub const STALL_ULPS: f64 = 4.0;
/// See [`STALL_ULPS`].
pub const STALL_INSTANTS: u32 = 1 << 16;
/// The step below which an instant counts as stalled whatever its float steps \[ms\]: near
/// t = 0 floats are dense, and a chain through a delay of 1e-300 ms from t = 0 would
/// otherwise creep on for ~10^285 spikes before its steps shrink to float steps.
pub const STALL_FLOOR: f64 = 1e-18;

/// How far [`Simulation::advance_until`] got.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Advance {
    /// Every event before the requested time has been processed.
    Reached,
    /// It stopped between two instants because the recorded results in memory reached the
    /// buffer limit ([`Simulation::set_buffer_limit`]): drain them and call again.
    BufferFull,
}

/// A network being simulated.
pub struct Simulation {
    net: Network,
    queue: EventQueue,
    /// Per neuron: the loop's bookkeeping, in one 8-byte record (one cache access per
    /// delivery instead of four).
    meta: crate::memory::Pages<Meta>,
    /// Each input's first source (sorted; few, so a search stays in cache).
    input_starts: Vec<u32>,
    /// Number of neurons (sources' connectivity rows follow them).
    n_neurons: u32,
    dirty: Vec<NeuronId>,
    probe_next: Vec<usize>,
    weight_probe_next: Vec<usize>,
    drives: currents::Drives,
    now: f64,
    out: Output,
    guards: Guards,
    /// Recorded rows kept in memory before [`advance_until`](Self::advance_until) returns
    /// [`Advance::BufferFull`].
    buffer_limit: usize,
    /// Events popped in the current instant since its last guard check.
    instant_events: u32,
    /// Instants in a row that each came at most [`STALL_ULPS`] float steps after the one
    /// before: time that has stopped advancing in any meaningful sense.
    stalled: u32,
    /// In a partition of a parallel run: the spikes of this window, for the others.
    emitted: Option<Vec<(f64, NeuronId)>>,
    /// The neurons this simulation owns (all of them, unless it is a partition).
    owned: std::ops::Range<u32>,
    /// Rows of several delay groups being walked (slots of [`Event::Walk`]), free slots.
    walks: Vec<Walk>,
    free_walks: Vec<u32>,
    /// Scratch for a batched delivery: per target, what the delivery left of it.
    batch_next: Vec<Outcome>,
    /// Scratch of the loops specialised to a fused layout.
    batch: settle::Batch,
    /// Every population is LIF with the fused layout of this many channels: deliveries take
    /// the loop specialised for it.
    fused_channels: Option<usize>,
    /// Deliveries prefetch their targets (networks larger than the caches).
    prefetch: bool,
    /// The next crossing's neuron, whose group offset a crossing hinted: the next delivery
    /// group, by when it has arrived, hints its first delay group if it is to fire.
    row_hint: Option<NeuronId>,
    /// Source spikes look ahead at the next event (many sources: their rows and streams are
    /// not in cache).
    look_ahead: bool,
}

/// When a spike at `t` arrives over `delay`. A positive delay below the float resolution at
/// `t` would land at `t` itself and could let neurons excite each other forever within one
/// instant: it is rounded up to the next representable time, keeping cause before effect.
#[inline]
pub(crate) fn arrival(t: f64, delay: f64) -> f64 {
    let at = t + delay;
    if delay > 0.0 && at <= t {
        t.next_up()
    } else {
        at
    }
}

impl Simulation {
    /// Prepares a simulation of `net` starting at t = 0.
    pub fn new(net: Network) -> Self {
        let n = net.n_neurons() as u32;
        Self::owning(net, 0..n)
    }

    /// A simulation that owns only the neurons `owned` (a partition of a parallel run: the
    /// others never receive input here and are never tested or predicted).
    pub(crate) fn owning(net: Network, owned: std::ops::Range<u32>) -> Self {
        let n = net.n_neurons();
        let mut meta = crate::memory::Pages::with_capacity(n);
        for (p, pop) in net.populations.iter().enumerate() {
            meta.extend(std::iter::repeat_n(
                Meta {
                    pop: PopulationId::new(p),
                    ..Meta::default()
                },
                pop.neurons.len(),
            ));
        }
        let input_starts = net.inputs.iter().map(|inp| inp.offset.0).collect();
        let mut sim = Simulation {
            queue: EventQueue::with_capacity(1024 + net.n_sources(), n),
            meta,
            input_starts,
            n_neurons: n as u32,
            dirty: owned.clone().map(NeuronId).collect(),
            probe_next: vec![0; net.probes.len()],
            weight_probe_next: vec![0; net.weight_probes.len()],
            drives: currents::Drives::new(&net),
            now: 0.0,
            out: Output {
                names: net.record_names().into_iter().map(String::from).collect(),
                variables: net.variable_names(),
                ..Output::default()
            },
            guards: Guards::default(),
            buffer_limit: usize::MAX,
            instant_events: 0,
            stalled: 0,
            emitted: None,
            owned: owned.clone(),
            walks: Vec::new(),
            free_walks: Vec::new(),
            batch_next: Vec::new(),
            batch: settle::Batch::default(),
            fused_channels: delivery::uniform_fused_channels(&net),
            prefetch: n >= delivery::PREFETCH_FROM,
            row_hint: None,
            look_ahead: net.n_sources() >= delivery::PREFETCH_FROM,
            net,
        };
        for g in owned {
            sim.meta[g as usize].dirty = true;
        }
        for inp in 0..sim.net.inputs.len() {
            for s in 0..sim.net.inputs[inp].sources.len() {
                let source = SourceId(sim.net.inputs[inp].offset.0 + s as u32);
                let node = NodeId(sim.n_neurons + source.0);
                let (first, end) = sim.net.connectivity.group_range(node);
                sim.schedule_source(inp, s, source, (first, end - first));
            }
        }
        for p in 0..sim.net.probes.len() {
            sim.schedule_probe(p);
        }
        for p in 0..sim.net.weight_probes.len() {
            sim.schedule_weight_probe(p);
        }
        for c in 0..sim.net.currents.len() {
            sim.schedule_current(c);
        }
        sim
    }

    /// The network (state included).
    pub fn network(&self) -> &Network {
        &self.net
    }

    /// Counters so far (the queue's peak included: a snapshot of a run that goes on reports
    /// it too, not only the finished run).
    pub fn stats(&self) -> Stats {
        Stats {
            peak_queue: self.queue.peak_len(),
            ..self.out.stats.clone()
        }
    }

    /// Current simulation time \[ms\]: every event before it has been processed.
    pub fn now(&self) -> f64 {
        self.now
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

    /// Keeps at most about `rows` recorded spikes and samples in memory during
    /// [`advance_until`](Self::advance_until), which then returns
    /// [`Advance::BufferFull`] so the caller can [`drain`](Self::drain) them.
    pub fn set_buffer_limit(&mut self, rows: usize) {
        self.buffer_limit = rows.max(1);
    }

    pub(crate) fn buffered(&self) -> usize {
        self.out.spikes.len() + self.out.voltages.len() + self.out.weights.len()
    }

    /// Processes every event before `t` (clamped to the duration). Can be called repeatedly
    /// with increasing `t`. Returns early with the reason when a guard fires; the state is
    /// then complete up to [`now`](Self::now) (every instant before it processed; the
    /// instant itself too, unless a guard fired within it).
    pub fn run_until(&mut self, t: f64) -> Result<(), Stop> {
        let limit = std::mem::replace(&mut self.buffer_limit, usize::MAX);
        let result = self.advance_until(t).map(|_| ());
        self.buffer_limit = limit;
        result
    }

    /// [`run_until`](Self::run_until) that also returns between two instants once the
    /// buffer limit is reached, with everything before [`now`](Self::now) final.
    pub fn advance_until(&mut self, t: f64) -> Result<Advance, Stop> {
        let end = t.min(self.net.duration);
        let start = Instant::now();
        let result = self.event_loop(end);
        self.out.stats.simulate_seconds += start.elapsed().as_secs_f64();
        result
    }

    fn event_loop(&mut self, end: f64) -> Result<Advance, Stop> {
        if self.now == 0.0 && !self.dirty.is_empty() {
            // t = 0: initial threshold tests and predictions, together with events at 0.
            self.batch(0.0)?;
        }
        let mut instants = 0u32;
        while let Some(t) = self.queue.peek_time() {
            if t >= end {
                break;
            }
            let before = self.now;
            self.batch(t)?;
            let step = (STALL_ULPS * (before.next_up() - before)).max(STALL_FLOOR);
            self.stalled = if t - before <= step {
                self.stalled + 1
            } else {
                0
            };
            if self.stalled >= STALL_INSTANTS {
                return Err(Stop::Stalled);
            }
            instants = instants.wrapping_add(1);
            if instants.is_multiple_of(256) {
                self.check_guards()?;
            }
            if self.buffered() >= self.buffer_limit {
                return Ok(Advance::BufferFull);
            }
        }
        self.now = self.now.max(end);
        self.check_guards().map(|_| Advance::Reached)
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

    /// Processes all events at time `t`, then threshold tests and predictions. Checks the
    /// guards every [`GUARD_EVERY`] events, so that an instant without end is stopped.
    fn batch(&mut self, t: f64) -> Result<(), Stop> {
        debug_assert!(
            t >= self.now,
            "internal error: event at {t} before now {}",
            self.now
        );
        self.now = t;
        self.instant_events = 0;
        while self.queue.peek_time() == Some(t) {
            let Some((_, ev)) = self.queue.pop(&mut self.meta[..]) else {
                break;
            };
            self.instant_events += 1;
            if self.instant_events == GUARD_EVERY {
                self.instant_events = 0;
                self.check_guards()?;
            }
            match ev {
                Event::Sample { probe } => self.sample(probe as usize, t),
                Event::WeightSample { probe } => self.sample_weights(probe as usize, t),
                Event::Current { current } => self.step_current(current as usize, t),
                Event::Crossing { neuron } => {
                    if self.prefetch {
                        self.hint_crossing();
                    }
                    let (p, i) = self.locate(neuron);
                    let exact = self.meta[neuron.index()].exact;
                    // a check in a network of fused layouts: advance and bound in one call
                    let fused = if exact {
                        None
                    } else {
                        self.check_fused(p, i, t)
                    };
                    if fused.is_none() {
                        self.net.populations[p].neurons.advance(i, t);
                    }
                    if exact {
                        self.fire(neuron, p, i, t);
                        self.mark(neuron);
                    } else {
                        self.out.stats.checks += 1;
                        // The bound ran out without an input. Tighten it from the new state
                        // (cheap; often far enough that an input comes first), at most
                        // MAX_REBOUNDS times, then solve exactly.
                        let pop = &self.net.populations[p].neurons;
                        let rebound = self.meta[neuron.index()].rebounded < MAX_REBOUNDS;
                        let next = fused.unwrap_or_else(|| pop.next_bound(i, self.net.duration));
                        match next {
                            Next::Check(tc) if rebound && tc > t => {
                                self.meta[neuron.index()].rebounded += 1;
                                self.queue
                                    .set_crossing(&mut self.meta[..], neuron, Some(tc));
                            }
                            Next::Never => {
                                self.queue.set_crossing(&mut self.meta[..], neuron, None)
                            }
                            // The bounds have closed in on the crossing to within one float:
                            // V < θ at t, so if V ≥ θ at the next float that is the first
                            // representable time at or above threshold, the solver's answer.
                            Next::Check(tc)
                                if tc <= t
                                    && t.next_up() < self.net.duration
                                    && pop.reached_at(i, t.next_up()) =>
                            {
                                self.meta[neuron.index()].exact = true;
                                self.queue.set_crossing(
                                    &mut self.meta[..],
                                    neuron,
                                    Some(t.next_up()),
                                );
                            }
                            _ => {
                                self.out.stats.predictions += 1;
                                match pop.search(i, self.net.duration) {
                                    Next::Spike(ts) => {
                                        self.meta[neuron.index()].exact = true;
                                        self.queue.set_crossing(
                                            &mut self.meta[..],
                                            neuron,
                                            Some(ts),
                                        );
                                    }
                                    Next::Never => {
                                        self.meta[neuron.index()].exact = true;
                                        self.queue.set_crossing(&mut self.meta[..], neuron, None);
                                    }
                                    // a long search stopped part way: resume it from there,
                                    // after a look at the guards
                                    Next::Check(tc) => {
                                        self.queue.set_crossing(
                                            &mut self.meta[..],
                                            neuron,
                                            Some(tc),
                                        );
                                        self.check_guards()?;
                                    }
                                }
                            }
                        }
                    }
                }
                Event::Source {
                    source,
                    first,
                    groups,
                } => {
                    let (inp, s) = self.source_at(source);
                    // its stream is read below, after the row: ask for it now so that
                    // with many sources the two cache misses overlap
                    crate::prefetch::prefetch_all(&self.net.inputs[inp].sources[s]);
                    if self.look_ahead {
                        self.hint_next_source(false);
                    }
                    self.out.stats.source_spikes += 1;
                    if self.net.record_inputs[inp] {
                        self.out.spikes.push(Spike {
                            time: t,
                            population: (self.net.populations.len() + inp) as u32,
                            neuron: s as u32,
                        });
                    }
                    self.fan_out_groups(first, first + groups, t);
                    self.schedule_source(inp, s, source, (first, groups));
                }
                Event::Deliver {
                    start,
                    end,
                    distinct,
                } => {
                    if self.look_ahead {
                        self.hint_next_source(true);
                    }
                    self.deliver(start as usize, end as usize, distinct, t)
                }
                Event::Walk { slot, .. } => {
                    let w = &mut self.walks[slot as usize];
                    let g = w.next;
                    w.next += 1;
                    // move the walk on to the row's next group first, so that `deliver`
                    // sees what else is pending at this instant
                    let next = self.walk_next(slot);
                    self.queue.next_walk(next);
                    if next.is_none() {
                        self.free_walks.push(slot);
                    }
                    let (_, start, end, distinct) = self.net.connectivity.group(g);
                    self.deliver(start as usize, end as usize, distinct, t);
                }
            }
        }
        // Threshold tests after every input at t has been applied, then predictions.
        self.settle_marked(t);
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
        Ok(())
    }

    #[inline]
    fn locate(&self, neuron: NeuronId) -> (usize, usize) {
        let p = self.meta[neuron.index()].pop.index();
        (p, neuron.index() - self.net.populations[p].offset.index())
    }

    /// In a large network, at a crossing: hints that the next crossing's neuron will be
    /// read soon (its bookkeeping and its state; its population found from the offsets, not
    /// from the bookkeeping being requested), so that a run of checks overlaps its misses
    /// instead of taking them one after the other.
    #[inline]
    fn hint_crossing(&mut self) {
        let Some(g) = self.queue.peek_crossing() else {
            return;
        };
        let pops = &self.net.populations;
        let p = pops.partition_point(|e| e.offset <= g).saturating_sub(1);
        if let (Some(m), Some(e)) = (self.meta.get(g.index()), pops.get(p)) {
            crate::prefetch::prefetch(m);
            e.neurons.prefetch(g.index() - e.offset.index());
            // (should it fire: where its row starts, then, from the next delivery group on,
            // its first delay group: a second miss behind the first)
            self.net.connectivity.prefetch_groups_of(g.into());
            self.row_hint = Some(g);
        }
    }

    /// Marks `neuron`, which must be at the current instant, for the threshold test and
    /// prediction at the instant's end.
    #[inline]
    fn mark(&mut self, neuron: NeuronId) {
        if !self.meta[neuron.index()].dirty {
            self.meta[neuron.index()].dirty = true;
            self.dirty.push(neuron);
        }
    }

    fn fire(&mut self, g: NeuronId, p: usize, i: usize, t: f64) {
        self.net.populations[p].neurons.fire(i);
        if let Some(pl) = &mut self.net.plasticity {
            pl.on_post(g);
        }
        self.out.stats.neuron_spikes += 1;
        if let Some(e) = &mut self.emitted {
            e.push((t, g));
        }
        if self.net.record_populations[p] {
            self.out.spikes.push(Spike {
                time: t,
                population: p as u32,
                neuron: i as u32,
            });
        }
        self.fan_out(g.into(), t);
    }

    /// Collects this partition's spikes for the others from now on.
    pub(crate) fn collect_emitted(&mut self) {
        self.emitted = Some(Vec::new());
    }

    /// The spikes emitted since the last call (time order within an instant is the order
    /// of firing; the receiver's canonical delivery order makes it irrelevant).
    #[cfg(feature = "mpi")]
    pub(crate) fn take_emitted(&mut self) -> Vec<(f64, NeuronId)> {
        self.emitted
            .as_mut()
            .map(std::mem::take)
            .unwrap_or_default()
    }

    /// Hands this window's spikes over in `slot` and takes `slot`'s old buffer, emptied, to
    /// collect the next window's (no allocation once both have grown).
    pub(crate) fn swap_emitted(&mut self, slot: &mut Vec<(f64, NeuronId)>) {
        if let Some(e) = &mut self.emitted {
            std::mem::swap(e, slot);
            e.clear();
        }
    }

    /// A spike of neuron `g` at `t` from another partition: its deliveries to this one's
    /// neurons (all at or after the current window's end).
    pub(crate) fn inject(&mut self, g: NeuronId, t: f64) {
        self.fan_out(g.into(), t);
    }

    /// Schedules the delivery of a spike of `node` at `t`: a row of one delay group as one
    /// event; a longer row (delays sorted ascending) as a walk that keeps one entry queued
    /// per spike, its next group, instead of one per group.
    fn fan_out(&mut self, node: NodeId, t: f64) {
        let (a, b) = self.net.connectivity.group_range(node);
        self.fan_out_groups(a, b, t);
    }

    /// [`fan_out`](Self::fan_out) of a node's delay groups `a..b`.
    fn fan_out_groups(&mut self, a: u32, b: u32, t: f64) {
        if b <= a {
            return;
        }
        if b - a == 1 {
            let (delay, start, end, distinct) = self.net.connectivity.group(a);
            let at = arrival(t, delay);
            if at < self.net.duration {
                // the group's targets and weights: soon read when the delay is short (a miss
                // each in large networks otherwise, one after the other)
                self.net
                    .connectivity
                    .prefetch_row(start as usize, end as usize);
                self.queue.push(
                    at,
                    Event::Deliver {
                        start,
                        end,
                        distinct,
                    },
                );
            }
            return;
        }
        let w = Walk { t, next: a, end: b };
        let slot = match self.free_walks.pop() {
            Some(s) => {
                self.walks[s as usize] = w;
                s
            }
            None => {
                self.walks.push(w);
                (self.walks.len() - 1) as u32
            }
        };
        match self.walk_next(slot) {
            Some((at, start)) => self.queue.push(at, Event::Walk { slot, start }),
            None => self.free_walks.push(slot),
        }
    }
}
