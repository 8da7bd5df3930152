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
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::Mutex;
use std::time::Instant;

/// What every partition decides, identically, at a window's end.
#[derive(Clone, Copy, Debug, PartialEq)]
enum Decision {
    Done,
    Full,
    Stop(Stop),
}

/// What a partition reports at a window's end.
#[derive(Clone, Copy, Debug, Default)]
struct Status {
    stop: Option<Stop>,
    /// Deliveries plus spikes so far (sources counted by the first partition only).
    events: u64,
    buffered: usize,
    now: f64,
    /// Its next pending event's time (infinite when none).
    next: f64,
}

/// A barrier for a fixed number of threads that spins (then yields) instead of sleeping:
/// windows are short, and waking a sleeping thread costs more than a window's work. With
/// more threads than cores it blocks instead: a spinning thread would hold the core the
/// thread it waits for needs (3 threads on 2 cores took 34 s for a 0.04 s run).
struct SpinBarrier {
    n: usize,
    count: AtomicUsize,
    generation: AtomicUsize,
    blocking: Option<std::sync::Barrier>,
}

impl SpinBarrier {
    fn new(n: usize) -> Self {
        let cores = std::thread::available_parallelism().map_or(1, |c| c.get());
        SpinBarrier {
            n,
            count: AtomicUsize::new(0),
            generation: AtomicUsize::new(0),
            blocking: (n > cores).then(|| std::sync::Barrier::new(n)),
        }
    }

    fn wait(&self) {
        if let Some(b) = &self.blocking {
            b.wait();
            return;
        }
        let generation = self.generation.load(Ordering::Acquire);
        if self.count.fetch_add(1, Ordering::AcqRel) + 1 == self.n {
            self.count.store(0, Ordering::Relaxed);
            self.generation.fetch_add(1, Ordering::Release);
            return;
        }
        let mut spins = 0u32;
        while self.generation.load(Ordering::Acquire) == generation {
            spins += 1;
            if spins < 1 << 10 {
                std::hint::spin_loop();
            } else {
                std::thread::yield_now();
            }
        }
    }
}

/// Spikes of one partition in one window.
type Spikes = Vec<(f64, NeuronId)>;

/// What the threads of one call share. Outboxes and statuses are double-buffered by window
/// parity: a slot written in window w is read by the others before they pass the barrier of
/// window w + 1, and rewritten only after it.
struct Shared {
    barrier: SpinBarrier,
    /// Spikes handed to other partitions (counted by the first partition).
    exchanged: std::sync::atomic::AtomicU64,
    outbox: Vec<[Mutex<Spikes>; 2]>,
    status: Vec<[Mutex<Status>; 2]>,
}

/// Locks `m` (a poisoned lock only means another partition panicked, which the join reports).
fn lock<T>(m: &Mutex<T>) -> std::sync::MutexGuard<'_, T> {
    m.lock().unwrap_or_else(|e| e.into_inner())
}

/// The parameters of one call, the same for every thread.
struct Session {
    start: f64,
    end_total: f64,
    window: f64,
    max_events: Option<u64>,
    buffer_limit: usize,
}

impl Session {
    /// Partition `k`'s loop over windows; returns the common decision, the time reached
    /// and the number of windows run.
    fn run(
        &self,
        k: usize,
        p: &mut Simulation,
        shared: &Shared,
        pending: &[(f64, NeuronId, usize)],
    ) -> (Decision, f64, usize) {
        for &(t, g, from) in pending {
            if from != k {
                p.inject(g, t);
            }
        }
        let mut now = self.start;
        let mut w = 0usize;
        loop {
            let end = window_end(now, self.window, self.end_total);
            if w > 0 {
                for (j, slots) in shared.outbox.iter().enumerate() {
                    if j != k {
                        for &(t, g) in lock(&slots[(w - 1) % 2]).iter() {
                            p.inject(g, t);
                        }
                    }
                }
            }
            let result = p.run_until(end);
            // swap buffers (the slot's old spikes were read before the last barrier): no
            // allocation per window once the buffers have grown
            p.swap_emitted(&mut lock(&shared.outbox[k][w % 2]));
            let s = p.stats();
            *lock(&shared.status[k][w % 2]) = Status {
                stop: result.err(),
                events: s.events + s.neuron_spikes + if k == 0 { s.source_spikes } else { 0 },
                buffered: p.buffered(),
                now: p.now(),
                next: p.next_time().unwrap_or(f64::INFINITY),
            };
            shared.barrier.wait();
            if k == 0 {
                let n: usize = shared.outbox.iter().map(|o| lock(&o[w % 2]).len()).sum();
                shared.exchanged.fetch_add(n as u64, Ordering::Relaxed);
            }
            // every partition reads the same statuses, so all decide alike
            let (mut stop, mut at, mut events, mut buffered) = (None, end, 0u64, 0usize);
            let mut next = f64::INFINITY;
            for st in &shared.status {
                let st = *lock(&st[w % 2]);
                stop = stop.or(st.stop);
                at = at.min(st.now);
                events += st.events;
                buffered += st.buffered;
                next = next.min(st.next);
            }
            // nothing in flight between partitions and nothing pending before `next`: the
            // windows up to it would be empty (with a tiny smallest delay, countless)
            let quiet = shared.outbox.iter().all(|o| lock(&o[w % 2]).is_empty());
            w += 1;
            if let Some(stop) = stop {
                // every partition is exact up to where the earliest one stopped
                return (Decision::Stop(stop), at, w);
            }
            if self.max_events.is_some_and(|m| events >= m) {
                return (Decision::Stop(Stop::MaxEvents), end, w);
            }
            now = if quiet && next > end {
                next.min(self.end_total)
            } else {
                end
            };
            if now >= self.end_total {
                return (Decision::Done, now, w);
            }
            if buffered >= self.buffer_limit {
                return (Decision::Full, now, w);
            }
        }
    }
}

/// A network simulated by several threads.
pub struct Parallel {
    parts: Vec<Simulation>,
    /// The network as built (names, sizes, counts for the summary; its state is not used).
    meta: Network,
    /// Window length: the smallest neuron → neuron delay (the whole run without one).
    window: f64,
    now: f64,
    /// Spikes of the last window, with the partition they came from.
    pending: Vec<(f64, NeuronId, usize)>,
    max_events: Option<u64>,
    buffer_limit: usize,
    simulate_seconds: f64,
    windows: u64,
    exchanged: u64,
    /// Neuron spikes at or after the common time of a stop inside a window: not in the
    /// records, so not counted either.
    beyond: u64,
}

/// Splits `net` into `k` partitions of contiguous neurons.
fn split(net: &Network, k: usize) -> Vec<Simulation> {
    (0..k).map(|p| partition(net, k, p)).collect()
}

/// The neurons of partition `p` of `k` among `n`: `[n p / k, n (p + 1) / k)`.
pub(crate) fn owned_range(n: usize, k: usize, p: usize) -> std::ops::Range<u32> {
    let (n, k, p) = (n as u64, k as u64, p as u64);
    (n * p / k) as u32..(n * (p + 1) / k) as u32
}

/// Partition `p` of `k`: the simulation of its neurons ([`owned_range`]) with the synapses
/// onto them, the probes' entries they own, and (for `p = 0` only) the recording of the
/// sources, which every partition replays.
pub(crate) fn partition(net: &Network, k: usize, p: usize) -> Simulation {
    let owned = owned_range(net.n_neurons(), k, p);
    let (connectivity, map) = net.connectivity.restrict(owned.clone());
    let mut weight_probes = net.weight_probes.clone();
    for probe in &mut weight_probes {
        for s in &mut probe.synapses {
            // (a synapse another MPI rank stores stays unmapped)
            if s.synapse.0 != u32::MAX {
                s.synapse = SynapseId(map[s.synapse.index()]);
            }
        }
    }
    assemble(net, connectivity, weight_probes, k, p)
}

/// [`partition`] of a network built with only partition `p`'s synapses
/// (`BuildOptions::partition`): its connectivity is moved, not copied.
#[cfg(feature = "mpi")]
pub(crate) fn partition_built(net: &mut Network, k: usize, p: usize) -> Simulation {
    let connectivity = std::mem::take(&mut net.connectivity);
    let weight_probes = net.weight_probes.clone();
    assemble(net, connectivity, weight_probes, k, p)
}

fn assemble(
    net: &Network,
    connectivity: crate::network::Connectivity,
    weight_probes: Vec<crate::network::WeightProbe>,
    k: usize,
    p: usize,
) -> Simulation {
    let n = net.n_neurons();
    let plasticity = net.plasticity.as_ref().map(|pl| {
        crate::plasticity::State::new(
            pl.rules.clone(),
            &connectivity.rule,
            &connectivity.target,
            n,
        )
    });
    let part = Network {
        name: net.name.clone(),
        duration: net.duration,
        populations: net.populations.clone(),
        inputs: net.inputs.clone(),
        connectivity,
        record_populations: net.record_populations.clone(),
        record_inputs: if p == 0 {
            net.record_inputs.clone()
        } else {
            vec![false; net.inputs.len()]
        },
        currents: net.currents.clone(),
        probes: net.probes.clone(),
        weight_probes,
        plasticity,
        memory_estimate: net.memory_estimate,
        synapse_count: net.synapse_count,
    };
    let mut sim = Simulation::owning(part, owned_range(n, k, p));
    sim.collect_emitted();
    sim
}

/// The counters of `parts` merged: sums, the largest queue, and the source spikes of the
/// first partition only (every partition replays the sources).
pub(crate) fn merge_stats(parts: &[Simulation]) -> Stats {
    let mut s = Stats::default();
    for (k, p) in parts.iter().enumerate() {
        let q = p.stats();
        s.events += q.events;
        s.neuron_spikes += q.neuron_spikes;
        if k == 0 {
            s.source_spikes = q.source_spikes;
        }
        s.predictions += q.predictions;
        s.checks += q.checks;
        s.peak_queue = s.peak_queue.max(q.peak_queue);
    }
    s
}

/// The output of a parallel run: `records` (merged, sorted) with the names of `meta`.
pub(crate) fn assemble_output(
    meta: &Network,
    (spikes, voltages, weights): (Vec<Spike>, Vec<VoltageSample>, Vec<WeightSample>),
    stats: Stats,
) -> Output {
    Output {
        names: meta.record_names().into_iter().map(String::from).collect(),
        variables: meta.variable_names(),
        spikes,
        voltages,
        weights,
        stats,
    }
}

/// The window length of `net`: its smallest neuron → neuron delay (the whole run without
/// one).
pub(crate) fn window_of(net: &Network) -> f64 {
    net.connectivity
        .min_neuron_delay(net.n_neurons())
        .unwrap_or(net.duration)
        .max(f64::MIN_POSITIVE)
}

/// The end of the window starting at `now`: `now + L`, at least one float later, at most
/// `limit`.
pub(crate) fn window_end(now: f64, window: f64, limit: f64) -> f64 {
    (now + window).max(now.next_up()).min(limit)
}

impl Parallel {
    /// Prepares `net` for `threads` threads (see [`Simulation`] for one).
    pub fn new(net: Network, threads: usize) -> Self {
        let k = threads.max(1);
        let window = window_of(&net);
        let parts = split(&net, k);
        Parallel {
            parts,
            meta: net,
            window,
            now: 0.0,
            pending: Vec::new(),
            max_events: None,
            buffer_limit: usize::MAX,
            simulate_seconds: 0.0,
            windows: 0,
            exchanged: 0,
            beyond: 0,
        }
    }

    /// Sets the limits: the deadline and stop flag hold within windows, the event limit is
    /// checked between windows for the total and within them for each partition's own.
    pub fn set_guards(&mut self, guards: Guards) {
        self.max_events = guards.max_events;
        let parts = self.parts.len() as u64;
        for p in &mut self.parts {
            p.set_guards(guards.for_partition(parts));
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

    /// The network as built (names, sizes; its state is not the partitions').
    pub fn network(&self) -> &Network {
        &self.meta
    }

    /// Counters merged over the partitions.
    pub fn stats(&self) -> Stats {
        let mut s = merge_stats(&self.parts);
        s.neuron_spikes -= self.beyond;
        s.simulate_seconds = self.simulate_seconds;
        s.windows = self.windows;
        s.exchanged_spikes = self.exchanged;
        s
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
        if self.now >= end_total {
            return Ok(Advance::Reached);
        }
        let k = self.parts.len();
        let shared = Shared {
            barrier: SpinBarrier::new(k),
            exchanged: Default::default(),
            outbox: (0..k).map(|_| Default::default()).collect(),
            status: (0..k).map(|_| Default::default()).collect(),
        };
        let session = Session {
            start: self.now,
            end_total,
            window: self.window,
            max_events: self.max_events,
            buffer_limit: self.buffer_limit,
        };
        let pending = std::mem::take(&mut self.pending);
        // one thread per partition (this one runs the first), kept for the whole call and
        // synchronised by a spinning barrier at each window's end
        let outcomes: Vec<(Decision, f64, usize)> = std::thread::scope(|scope| {
            let (first, rest) = self
                .parts
                .split_first_mut()
                .expect("at least one partition");
            let handles: Vec<_> = rest
                .iter_mut()
                .enumerate()
                .map(|(j, p)| {
                    let (shared, session, pending) = (&shared, &session, &pending);
                    scope.spawn(move || session.run(j + 1, p, shared, pending))
                })
                .collect();
            let mut out = vec![session.run(0, first, &shared, &pending)];
            out.extend(
                handles
                    .into_iter()
                    .map(|h| h.join().expect("a partition panicked")),
            );
            out
        });
        // the last window's spikes go to the others at the start of the next call
        // (the slot written last; every partition ran the same number of windows)
        for (j, slots) in shared.outbox.iter().enumerate() {
            let w = outcomes[j].2;
            let mut v = lock(&slots[(w - 1) % 2]);
            self.pending.extend(v.drain(..).map(|(t, g)| (t, g, j)));
        }
        let (decision, now, windows) = outcomes[0];
        self.windows += windows as u64;
        self.exchanged += shared.exchanged.load(Ordering::Relaxed);
        self.now = now;
        match decision {
            Decision::Done => Ok(Advance::Reached),
            Decision::Full => Ok(Advance::BufferFull),
            Decision::Stop(stop) => {
                // the partitions' last window is all in `pending`; `drain` drops its part
                // at or after `now`, and the count follows
                if now < self.meta.duration {
                    self.beyond += self.pending.iter().filter(|s| s.0 >= now).count() as u64;
                }
                Err(stop)
            }
        }
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
        let records = self.drain();
        let output = assemble_output(&self.meta, records, stats);
        (self.meta, output)
    }
}
