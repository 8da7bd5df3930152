//! What a run produces: recorded spikes, voltage and weight samples, counters, and the typed
//! [`Summary`] written as `summary.json`. Plain data, shared by the simulation (which fills
//! them), the output sinks (which write them) and the results reader (which reads them back).

use serde::{Deserialize, Serialize};
use std::collections::BTreeMap;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::Arc;

/// One recorded spike.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct Spike {
    /// Time \[ms\].
    pub time: f64,
    /// Index into the run's population list ([`Summary::populations`]): neuron populations
    /// in scenario order, then inputs.
    pub population: u32,
    /// Index within the population.
    pub neuron: u32,
}

/// One voltage sample.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct VoltageSample {
    /// Probe index (order in `record.voltage`).
    pub probe: u32,
    /// Position of the neuron in the probe's list.
    pub order: u32,
    /// Population index (neuron populations in scenario order).
    pub population: u32,
    /// Neuron index within the population.
    pub neuron: u32,
    /// Time \[ms\].
    pub time: f64,
    /// Membrane potential \[mV\], or the sampled variable's value.
    pub v: f64,
    /// [`MEMBRANE`](Self::MEMBRANE) for a voltage probe's sample (`voltage.csv`), else the
    /// index of the sampled variable in its model's variables (a state probe's,
    /// `state.csv`).
    pub variable: u32,
}

impl VoltageSample {
    /// The `variable` of a voltage probe's samples.
    pub const MEMBRANE: u32 = u32::MAX;
}

/// One synaptic-weight sample.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct WeightSample {
    /// Weight-probe index (order in `record.weights`).
    pub probe: u32,
    /// Position of the synapse in the probe's list.
    pub order: u32,
    /// Connection index.
    pub connection: u32,
    /// Synapse index within the connection (generation order).
    pub synapse: u32,
    /// Source index within its population or input.
    pub source: u32,
    /// Target index within its population.
    pub target: u32,
    /// Time \[ms\].
    pub time: f64,
    /// Weight \[mV\].
    pub weight: f64,
}

/// Why a run stopped before its end.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Stop {
    /// The event limit was reached (synaptic events plus spikes).
    MaxEvents,
    /// The wall-clock deadline passed.
    MaxWall,
    /// The events in flight (spikes on their way, queued inputs) outgrew the memory left
    /// by `--max-memory` after the network: a run whose queue grows without bound (for
    /// example an input far faster than its long delays drain).
    MaxMemory,
    /// Simulated time stopped advancing: 65 536 instants in a row, each within a few
    /// float steps of the one before ([`crate::simulation::STALL_ULPS`]).
    Stalled,
    /// Stopped on request through a [`StopFlag`] (e.g. KeyboardInterrupt in Python).
    Interrupted,
    /// Stopped by a signal (its number: 1 SIGHUP, 2 SIGINT, 15 SIGTERM).
    Signal(i32),
}

impl std::fmt::Display for Stop {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Stop::MaxEvents => f.write_str("max_events"),
            Stop::MaxWall => f.write_str("max_wall"),
            Stop::MaxMemory => f.write_str("max_memory"),
            Stop::Stalled => f.write_str("stalled"),
            Stop::Interrupted => f.write_str("interrupted"),
            Stop::Signal(1) => f.write_str("SIGHUP"),
            Stop::Signal(2) => f.write_str("SIGINT"),
            Stop::Signal(15) => f.write_str("SIGTERM"),
            Stop::Signal(n) => write!(f, "signal {n}"),
        }
    }
}

/// A request to stop a run, shared between the run and whoever may ask it to stop (a
/// signal handler, another thread). Cloning shares the flag.
#[derive(Clone, Debug, Default)]
pub struct StopFlag(Arc<AtomicUsize>);

impl StopFlag {
    /// A flag nobody has raised.
    pub fn new() -> Self {
        Self::default()
    }
    /// Asks the run to stop (reported as [`Stop::Interrupted`]).
    pub fn raise(&self) {
        let _ = self
            .0
            .compare_exchange(0, usize::MAX, Ordering::Relaxed, Ordering::Relaxed);
    }
    /// Asks the run to stop because of signal `signal` (the first request wins).
    pub fn raise_signal(&self, signal: i32) {
        let n = usize::try_from(signal).unwrap_or(usize::MAX);
        let _ = self
            .0
            .compare_exchange(0, n, Ordering::Relaxed, Ordering::Relaxed);
    }
    /// The shared cell, for signal handlers that store the signal number themselves
    /// (`usize::MAX` means a plain request).
    pub fn cell(&self) -> &Arc<AtomicUsize> {
        &self.0
    }
    /// The stop requested so far, if any.
    pub fn requested(&self) -> Option<Stop> {
        match self.0.load(Ordering::Relaxed) {
            0 => None,
            usize::MAX => Some(Stop::Interrupted),
            n => Some(Stop::Signal(i32::try_from(n).unwrap_or(i32::MAX))),
        }
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
    /// Windows of a parallel run (threads or MPI ranks; 0 for one thread).
    pub windows: u64,
    /// Spikes exchanged between partitions at window ends (each counted once).
    pub exchanged_spikes: u64,
}

/// What a run produced.
#[derive(Clone, Debug, Default)]
pub struct Output {
    /// Names of the populations, then the inputs: what the records' `population` index
    /// refers to.
    pub names: Vec<String>,
    /// Recorded spikes, sorted by time, then population order, then neuron index.
    pub spikes: Vec<Spike>,
    /// Voltage samples, sorted by time, then probe order, then neuron order.
    pub voltages: Vec<VoltageSample>,
    /// Weight samples, sorted by time, then probe order, then synapse order.
    pub weights: Vec<WeightSample>,
    /// Counters.
    pub stats: Stats,
    /// Each neuron population's state-variable names (what a state sample's `variable`
    /// indexes).
    pub variables: Vec<Vec<String>>,
}

impl Output {
    /// Bytes of the record buffers (their capacity, not only their length).
    pub fn reserved_bytes(&self) -> usize {
        self.spikes.capacity() * std::mem::size_of::<Spike>()
            + self.voltages.capacity() * std::mem::size_of::<VoltageSample>()
            + self.weights.capacity() * std::mem::size_of::<WeightSample>()
    }

    /// Index of population or input `name` in [`names`](Self::names).
    pub fn population_index(&self, name: &str) -> Option<u32> {
        self.names.iter().position(|n| n == name).map(|p| p as u32)
    }

    /// The recorded spikes of population (or input) `name`, as parallel arrays of neuron
    /// indices and times \[ms\], in time order; `None` for an unknown name.
    pub fn spikes_of(&self, name: &str) -> Option<(Vec<u32>, Vec<f64>)> {
        let p = self.population_index(name)?;
        let it = self.spikes.iter().filter(|s| s.population == p);
        Some(it.map(|s| (s.neuron, s.time)).unzip())
    }

    /// The voltage samples of population `name`: neuron indices, times \[ms\] and potentials
    /// \[mV\], in time order; `None` for an unknown name.
    pub fn voltage_of(&self, name: &str) -> Option<(Vec<u32>, Vec<f64>, Vec<f64>)> {
        self.samples_of(name, VoltageSample::MEMBRANE)
    }

    /// The state-probe samples of variable `variable` of population `name`: neuron
    /// indices, times \[ms\] and values, in time order; `None` for an unknown population or
    /// variable.
    pub fn state_of(&self, name: &str, variable: &str) -> Option<(Vec<u32>, Vec<f64>, Vec<f64>)> {
        let p = self.population_index(name)? as usize;
        let k = self.variables.get(p)?.iter().position(|v| v == variable)?;
        self.samples_of(name, k as u32)
    }

    fn samples_of(&self, name: &str, variable: u32) -> Option<(Vec<u32>, Vec<f64>, Vec<f64>)> {
        let p = self.population_index(name)?;
        let mut out = (vec![], vec![], vec![]);
        let of = |v: &&VoltageSample| v.population == p && v.variable == variable;
        for v in self.voltages.iter().filter(of) {
            out.0.push(v.neuron);
            out.1.push(v.time);
            out.2.push(v.v);
        }
        Some(out)
    }
}

/// Spikes by (time, population, neuron); samples by (time, probe, order in the probe).
pub fn sort_records(
    spikes: &mut [Spike],
    samples: &mut [VoltageSample],
    weights: &mut [WeightSample],
) {
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
    weights.sort_by(|a, b| {
        a.time
            .total_cmp(&b.time)
            .then(a.probe.cmp(&b.probe))
            .then(a.order.cmp(&b.order))
    });
}

/// Recorded spikes and rate of one population, in the summary.
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
pub struct PopulationSummary {
    /// Name.
    pub name: String,
    /// `"neurons"` or `"input"`.
    pub kind: String,
    /// Number of neurons or sources.
    pub size: u64,
    /// Whether its spikes were recorded.
    pub recorded: bool,
    /// Recorded spikes (0 when not recorded).
    pub spikes: u64,
    /// Mean rate over the simulated time \[Hz\] (spikes / size / simulated seconds).
    pub rate_hz: f64,
}

/// The `summary.json` document of a run. Every field is written; readers of older files
/// get defaults for fields those lacked.
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
#[serde(default)]
pub struct Summary {
    /// Scenario name.
    pub name: String,
    /// Scenario duration \[ms\].
    pub duration: f64,
    /// Recorded spikes in total.
    pub spikes: u64,
    /// Recorded spikes per recorded population or input, by name.
    pub spikes_by_population: BTreeMap<String, u64>,
    /// Every population, then every input, in the order the `population` index of
    /// spike and voltage records refers to.
    pub populations: Vec<PopulationSummary>,
    /// Synaptic events delivered.
    pub events: u64,
    /// Build plus simulation time \[s\] (varies from run to run).
    pub wall_seconds: f64,
    /// Time to build the network \[s\].
    pub build_seconds: f64,
    /// Time in the event loop \[s\].
    pub simulate_seconds: f64,
    /// `events / simulate_seconds`.
    pub events_per_second: f64,
    /// Number of neurons.
    pub neurons: u64,
    /// Number of spike sources.
    pub sources: u64,
    /// Number of synapses.
    pub synapses: u64,
    /// Spikes emitted by neurons (recorded or not).
    pub neuron_spikes: u64,
    /// Spikes emitted by sources.
    pub source_spikes: u64,
    /// Threshold-crossing predictions computed.
    pub predictions: u64,
    /// Bound checks reached.
    pub checks: u64,
    /// Largest number of pending queue entries (a parallel run: the largest partition's).
    pub peak_queue: u64,
    /// Windows of a parallel run (0 for one thread).
    pub windows: u64,
    /// Spikes exchanged between partitions at window ends.
    pub exchanged_spikes: u64,
    /// True when the run reached its duration.
    pub complete: bool,
    /// Why it stopped early (`"max_events"`, `"max_wall"`, `"interrupted"`, `"SIGINT"`,
    /// `"SIGTERM"`, `"SIGHUP"`), or null.
    pub stopped: Option<String>,
    /// Simulated time reached \[ms\].
    pub simulated_until: f64,
    /// The builder's memory estimate for the network, inputs and recordings \[bytes\].
    pub memory_estimate_bytes: u64,
    /// Peak resident memory of the process \[bytes\] (Linux `VmHWM`; 0 where unknown).
    pub peak_rss_bytes: u64,
    /// Output format of the record files: `"csv"` or `"npy"`.
    pub format: String,
    /// exactspike version.
    pub version: String,
}

impl Summary {
    /// The summary of population (or input) `name`, if the run had one of that name.
    pub fn population(&self, name: &str) -> Option<&PopulationSummary> {
        self.populations.iter().find(|p| p.name == name)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn stop_flag_reports_the_first_request() {
        let f = StopFlag::new();
        assert_eq!(f.requested(), None);
        f.raise_signal(15);
        f.raise();
        assert_eq!(f.requested(), Some(Stop::Signal(15)));
        assert_eq!(Stop::Signal(15).to_string(), "SIGTERM");
        let g = StopFlag::new();
        g.raise();
        assert_eq!(g.requested(), Some(Stop::Interrupted));
    }

    #[test]
    fn summary_reads_back_what_it_writes() {
        let s = Summary {
            name: "x".into(),
            stopped: Some("SIGTERM".into()),
            ..Summary::default()
        };
        let text = serde_json::to_string(&s).unwrap();
        assert_eq!(serde_json::from_str::<Summary>(&text).unwrap(), s);
    }
}
