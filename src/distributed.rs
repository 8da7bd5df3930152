//! MPI (feature `mpi`): `mpirun -np K exactspike run ... --threads T` gives each rank a
//! share of the neurons, split again into T partitions run by T threads, with the same
//! conservative windows as the threads alone (see [`crate::parallel`]):
//! each rank runs its queue to the window's end, then the window's spikes are all-gathered
//! and every rank delivers the others' spikes to its neurons. Records are gathered to rank 0,
//! which writes the files: the same bytes as one process, for any K.
//!
//! Every rank builds the network from the same scenario and seed (identical by
//! construction), then keeps only the synapses onto its neurons; the neuron and source
//! state is replicated. Guards and signals are agreed on at each window's end, so every rank
//! stops at the same time; an error on one rank aborts all (`MPI_Abort`), never a hang.

use crate::ids::NeuronId;
use crate::network::Network;
use crate::parallel::{
    assemble_output, merge_stats, partition, partition_built, window_end, window_of,
};
use crate::records::{sort_records, Output, Spike, Stats, Stop, VoltageSample, WeightSample};
use crate::simulation::{Advance, Guards, Simulation};
use mpi::collective::SystemOperation;
use mpi::datatype::PartitionMut;
use mpi::topology::SimpleCommunicator;
use mpi::traits::*;
use mpi::Count;
use rayon::prelude::*;
use std::time::Instant;

/// This rank's part of a network simulated by several MPI processes.
pub struct Distributed {
    /// This rank's partitions (one per thread): global partition `rank · T + t`.
    parts: Vec<Simulation>,
    /// Threads for the partitions (none for one).
    pool: Option<rayon::ThreadPool>,
    meta: Network,
    world: SimpleCommunicator,
    rank: usize,
    window: f64,
    now: f64,
    /// The last window's spikes, delivered at the next one's start: the other ranks' (no
    /// local partition) and this rank's (from local partition `j`, for the others).
    pending: Vec<(f64, NeuronId, Option<usize>)>,
    max_events: Option<u64>,
    buffer_limit: usize,
    simulate_seconds: f64,
    windows: u64,
    exchanged: u64,
    /// This rank's neuron spikes at or after the common time of a stop inside a window:
    /// not in the records, so not counted either.
    beyond: u64,
}

fn code(stop: Option<Stop>) -> i64 {
    match stop {
        None => 0,
        Some(Stop::MaxEvents) => 1,
        Some(Stop::MaxWall) => 2,
        Some(Stop::Interrupted) => 3,
        Some(Stop::MaxMemory) => 4,
        Some(Stop::Stalled) => 5,
        Some(Stop::Signal(n)) => 100 + i64::from(n),
    }
}

fn decode(c: i64) -> Option<Stop> {
    match c {
        0 => None,
        1 => Some(Stop::MaxEvents),
        2 => Some(Stop::MaxWall),
        3 => Some(Stop::Interrupted),
        4 => Some(Stop::MaxMemory),
        5 => Some(Stop::Stalled),
        n => Some(Stop::Signal(i32::try_from(n - 100).unwrap_or(i32::MAX))),
    }
}

/// Counts and displacements of a variable-count collective.
fn layout(counts: &[Count]) -> Vec<Count> {
    counts
        .iter()
        .scan(0, |acc, &c| {
            let d = *acc;
            *acc += c;
            Some(d)
        })
        .collect()
}

impl Distributed {
    /// This rank's part of `net`, built with `BuildOptions::partition` = `(size, rank)`
    /// (only the synapses onto this rank's neurons; every rank builds from the same
    /// scenario), split further into `threads` partitions run by as many threads.
    ///
    /// # Panics
    /// If the threads cannot be started.
    pub fn new(mut net: Network, world: SimpleCommunicator, threads: usize) -> Self {
        let (rank, size) = (world.rank() as usize, world.size() as usize);
        // the smallest delay over all ranks' synapses: the same windows everywhere
        let mine = window_of(&net);
        let mut window = mine;
        world.all_reduce_into(&mine, &mut window, SystemOperation::min());
        let t = threads.max(1);
        let parts = if t == 1 {
            vec![partition_built(&mut net, size, rank)]
        } else {
            // global partition rank·T + j owns a sub-range of this rank's neurons
            let parts = (0..t)
                .map(|j| partition(&net, size * t, rank * t + j))
                .collect();
            net.connectivity = Default::default();
            parts
        };
        let pool = (t > 1).then(|| {
            rayon::ThreadPoolBuilder::new()
                .num_threads(t)
                .build()
                .expect("internal error: cannot start threads")
        });
        // the rank's copy for the summary keeps the description, not the synapses
        net.plasticity = None;
        Distributed {
            window,
            parts,
            pool,
            meta: net,
            world,
            rank,
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

    /// True on the rank that writes the files.
    pub fn is_root(&self) -> bool {
        self.rank == 0
    }

    /// Sets the limits (agreed on at each window's end).
    pub fn set_guards(&mut self, guards: Guards) {
        self.max_events = guards.max_events;
        // (each of this rank's partitions its share of the rank's budget)
        let parts = self.parts.len() as u64;
        for p in &mut self.parts {
            p.set_guards(guards.for_partition(parts));
        }
    }

    /// Returns between windows once about `rows` records are buffered on any rank.
    pub fn set_buffer_limit(&mut self, rows: usize) {
        self.buffer_limit = rows.max(1);
    }

    /// Simulated time reached \[ms\] (the same on every rank).
    pub fn now(&self) -> f64 {
        self.now
    }

    /// The network as built (names, sizes; without synapses or state).
    pub fn network(&self) -> &Network {
        &self.meta
    }

    /// This rank's own counters, summed over its partitions (not a collective). Sources
    /// are replayed by every partition: counted for the first only.
    pub fn local_stats(&self) -> Stats {
        let mut s = merge_stats(&self.parts);
        s.neuron_spikes -= self.beyond;
        s
    }

    fn local_events(&self) -> u64 {
        let s = self.local_stats();
        s.events + s.neuron_spikes + if self.rank == 0 { s.source_spikes } else { 0 }
    }

    /// Counters summed over the ranks (a collective: every rank must call it).
    pub fn stats(&self) -> Stats {
        let s = self.local_stats();
        let mine = [
            s.events,
            s.neuron_spikes,
            if self.rank == 0 { s.source_spikes } else { 0 },
            s.predictions,
            s.checks,
        ];
        let mut sum = [0u64; 5];
        self.world
            .all_reduce_into(&mine[..], &mut sum[..], SystemOperation::sum());
        let mut peak = 0u64;
        self.world
            .all_reduce_into(&(s.peak_queue as u64), &mut peak, SystemOperation::max());
        Stats {
            events: sum[0],
            neuron_spikes: sum[1],
            source_spikes: sum[2],
            predictions: sum[3],
            checks: sum[4],
            peak_queue: peak as usize,
            simulate_seconds: self.simulate_seconds,
            windows: self.windows,
            exchanged_spikes: self.exchanged,
        }
    }

    /// All-gathers this window's spikes; keeps the other ranks' for the next window.
    fn exchange(&mut self, mine: &[(f64, NeuronId)]) {
        let size = self.world.size() as usize;
        let n = Count::try_from(2 * mine.len()).expect("too many spikes in one window");
        let mut counts = vec![0 as Count; size];
        self.world.all_gather_into(&n, &mut counts[..]);
        let send: Vec<f64> = mine
            .iter()
            .flat_map(|&(t, g)| [t, f64::from(g.0)])
            .collect();
        let displs = layout(&counts);
        let total: usize = counts.iter().map(|&c| c as usize).sum();
        self.windows += 1;
        self.exchanged += (total / 2) as u64;
        let mut buf = vec![0.0f64; total];
        {
            let mut part = PartitionMut::new(&mut buf[..], &counts[..], &displs[..]);
            self.world.all_gather_varcount_into(&send[..], &mut part);
        }
        for (r, (&c, &d)) in counts.iter().zip(&displs).enumerate() {
            if r != self.rank {
                let chunk = &buf[d as usize..(d + c) as usize];
                self.pending.extend(
                    chunk
                        .chunks_exact(2)
                        .map(|x| (x[0], NeuronId(x[1] as u32), None)),
                );
            }
        }
    }

    /// Like [`Simulation::advance_until`], window by window, in step with the other ranks.
    pub fn advance_until(&mut self, t: f64) -> Result<Advance, Stop> {
        let started = Instant::now();
        let end_total = t.min(self.meta.duration);
        let result = self.windows(end_total);
        self.simulate_seconds += started.elapsed().as_secs_f64();
        result
    }

    fn windows(&mut self, end_total: f64) -> Result<Advance, Stop> {
        while self.now < end_total {
            let end = window_end(self.now, self.window, end_total);
            let pending = std::mem::take(&mut self.pending);
            let step = |(j, p): (usize, &mut Simulation)| {
                for &(t, g, from) in &pending {
                    if from != Some(j) {
                        p.inject(g, t);
                    }
                }
                p.run_until(end)
            };
            let results: Vec<Result<(), Stop>> = match &self.pool {
                None => self.parts.iter_mut().enumerate().map(step).collect(),
                Some(pool) => {
                    let parts = &mut self.parts;
                    pool.install(|| parts.par_iter_mut().enumerate().map(step).collect())
                }
            };
            let result = results.into_iter().find(Result::is_err).unwrap_or(Ok(()));
            let several = self.parts.len() > 1;
            let mut mine = Vec::new();
            for (j, p) in self.parts.iter_mut().enumerate() {
                for (t, g) in p.take_emitted() {
                    mine.push((t, g));
                    if several {
                        self.pending.push((t, g, Some(j)));
                    }
                }
            }
            self.exchange(&mine);
            // the same decision on every rank: the lowest rank's stop wins
            let size = self.world.size() as usize;
            let mut codes = vec![0i64; size];
            self.world
                .all_gather_into(&code(result.err()), &mut codes[..]);
            // how far every partition got, and (when nothing is in flight here) the next
            // pending event, so that the ranks skip windows with nothing in them together
            let local_now = self.parts.iter().map(Simulation::now).fold(end, f64::min);
            let local_next = if self.pending.is_empty() {
                let next = self.parts.iter().filter_map(Simulation::next_time);
                next.fold(f64::INFINITY, f64::min)
            } else {
                end
            };
            let mut reduced = [0.0f64; 2];
            self.world.all_reduce_into(
                &[local_now, local_next][..],
                &mut reduced[..],
                SystemOperation::min(),
            );
            let [at, next] = reduced;
            if let Some(stop) = codes.iter().find_map(|&c| decode(c)) {
                self.now = at.min(end);
                // `drain` drops the records at or after `now`; the count follows
                if self.now < self.meta.duration {
                    let now = self.now;
                    self.beyond += mine.iter().filter(|s| s.0 >= now).count() as u64;
                }
                return Err(stop);
            }
            let buffered: usize = self.parts.iter().map(Simulation::buffered).sum();
            let mine = [self.local_events(), buffered as u64];
            let mut sum = [0u64; 2];
            self.world
                .all_reduce_into(&mine[..], &mut sum[..], SystemOperation::sum());
            self.now = if next > end { next.min(end_total) } else { end };
            if self.max_events.is_some_and(|m| sum[0] >= m) {
                return Err(Stop::MaxEvents);
            }
            if sum[1] as usize >= self.buffer_limit && self.now < end_total {
                return Ok(Advance::BufferFull);
            }
        }
        Ok(Advance::Reached)
    }

    /// Gathers `rows` (each `width` numbers) to rank 0; returns them there, nothing elsewhere.
    fn gather(&self, rows: Vec<f64>) -> Vec<f64> {
        let root = self.world.process_at_rank(0);
        let n = Count::try_from(rows.len()).expect("too many records in one slice");
        if self.rank == 0 {
            let size = self.world.size() as usize;
            let mut counts = vec![0 as Count; size];
            root.gather_into_root(&n, &mut counts[..]);
            let displs = layout(&counts);
            let mut buf = vec![0.0f64; counts.iter().map(|&c| c as usize).sum()];
            {
                let mut part = PartitionMut::new(&mut buf[..], &counts[..], &displs[..]);
                root.gather_varcount_into_root(&rows[..], &mut part);
            }
            buf
        } else {
            root.gather_into(&n);
            root.gather_varcount_into(&rows[..]);
            Vec::new()
        }
    }

    /// The records before [`now`](Self::now), gathered, merged and sorted on rank 0 (empty
    /// elsewhere). A collective: every rank must call it.
    pub fn drain(&mut self) -> (Vec<Spike>, Vec<VoltageSample>, Vec<WeightSample>) {
        let (mut s, mut v, mut w) = (vec![], vec![], vec![]);
        for p in &mut self.parts {
            let (a, b, c) = p.drain();
            s.extend(a);
            v.extend(b);
            w.extend(c);
        }
        let now = self.now;
        let stopped = |t: f64| t >= now && now < self.meta.duration;
        let s: Vec<f64> = s
            .iter()
            .filter(|x| !stopped(x.time))
            .flat_map(|x| [x.time, f64::from(x.population), f64::from(x.neuron)])
            .collect();
        let v: Vec<f64> = v
            .iter()
            .filter(|x| !stopped(x.time))
            .flat_map(|x| {
                [x.probe, x.order, x.population, x.neuron, x.variable]
                    .map(f64::from)
                    .into_iter()
                    .chain([x.time, x.v])
            })
            .collect();
        let w: Vec<f64> = w
            .iter()
            .filter(|x| !stopped(x.time))
            .flat_map(|x| {
                [
                    x.probe,
                    x.order,
                    x.connection,
                    x.synapse,
                    x.source,
                    x.target,
                ]
                .map(f64::from)
                .into_iter()
                .chain([x.time, x.weight])
            })
            .collect();
        let (s, v, w) = (self.gather(s), self.gather(v), self.gather(w));
        let mut spikes: Vec<Spike> = s
            .chunks_exact(3)
            .map(|x| Spike {
                time: x[0],
                population: x[1] as u32,
                neuron: x[2] as u32,
            })
            .collect();
        let mut samples: Vec<VoltageSample> = v
            .chunks_exact(7)
            .map(|x| VoltageSample {
                probe: x[0] as u32,
                order: x[1] as u32,
                population: x[2] as u32,
                neuron: x[3] as u32,
                variable: x[4] as u32,
                time: x[5],
                v: x[6],
            })
            .collect();
        let mut weights: Vec<WeightSample> = w
            .chunks_exact(8)
            .map(|x| WeightSample {
                probe: x[0] as u32,
                order: x[1] as u32,
                connection: x[2] as u32,
                synapse: x[3] as u32,
                source: x[4] as u32,
                target: x[5] as u32,
                time: x[6],
                weight: x[7],
            })
            .collect();
        sort_records(&mut spikes, &mut samples, &mut weights);
        (spikes, samples, weights)
    }

    /// The results (complete on rank 0), with the network as built.
    pub fn finish(mut self) -> (Network, Output) {
        let stats = self.stats();
        let records = self.drain();
        let output = assemble_output(&self.meta, records, stats);
        (self.meta, output)
    }
}
