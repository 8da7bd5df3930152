//! The built network: neuron populations, spike sources and connectivity.
//!
//! Nodes are numbered globally: neurons `0..n_neurons` (populations in order), then sources
//! (inputs in order). Connectivity is a CSR in struct-of-arrays form; each row (the
//! outgoing synapses of one node) is sorted by delay and split into *delay groups*, so a
//! spike costs one queue entry per distinct delay, not one per synapse.

pub mod connectivity;

pub use connectivity::Connectivity;

use crate::ids::{ConnectionId, NeuronId, NodeId, PopulationId, SourceId, SynapseId};
use crate::input::SourceTrain;
use crate::neuron::{NeuronModel, Population};

/// A neuron population in a network.
#[derive(Clone, Debug)]
pub struct PopulationEntry {
    /// Name.
    pub name: String,
    /// Its first neuron.
    pub offset: NeuronId,
    /// The neurons.
    pub neurons: Population,
}

/// A spike-source population in a network.
#[derive(Clone, Debug)]
pub struct InputEntry {
    /// Name.
    pub name: String,
    /// Its first source (its node in the connectivity is [`Network::node_of_source`]).
    pub offset: SourceId,
    /// One spike train per source.
    pub sources: Vec<SourceTrain>,
    /// Emulated clock: spike times are rounded to multiples of this step \[ms\].
    pub grid: Option<f64>,
}

/// Voltage sampling of some neurons of one population.
#[derive(Clone, Debug)]
pub struct Probe {
    /// The population.
    pub population: PopulationId,
    /// Local neuron indices.
    pub neurons: Vec<usize>,
    /// Sampling times, ascending, all in [0, duration).
    pub times: Vec<f64>,
    /// [`VoltageSample::MEMBRANE`](crate::records::VoltageSample::MEMBRANE) for a voltage
    /// probe, else the index of a state probe's variable in the model's variables.
    pub variable: u32,
}

/// A current injected into some neurons of one population: a step function of time
/// (`docs/scenario-format.md`, currents), added to their `i_bias`.
#[derive(Clone, Debug, PartialEq)]
pub struct CurrentSteps {
    /// The population.
    pub population: PopulationId,
    /// Local indices of the driven neurons, distinct.
    pub neurons: Vec<u32>,
    /// When the amplitude changes \[ms\], strictly increasing, each ≥ 0.
    pub times: Vec<f64>,
    /// The amplitude from the matching time on \[mV\] (0 before the first); of the
    /// sinusoid when `sine` is set.
    pub amplitudes: Vec<f64>,
    /// For a sinusoidal current, its frequency and phase: the current is then
    /// `amplitude · sin(ω (t − start) + φ)` with the amplitude in force.
    pub sine: Option<crate::neuron::waves::Oscillation>,
}

/// Weight sampling of some synapses of one connection.
#[derive(Clone, Debug)]
pub struct WeightProbe {
    /// The connection.
    pub connection: ConnectionId,
    /// The sampled synapses, in the probe's order.
    pub synapses: Vec<ProbedSynapse>,
    /// Sampling times, ascending, in [0, duration).
    pub times: Vec<f64>,
}

/// One synapse sampled by a [`WeightProbe`].
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct ProbedSynapse {
    /// Index within its connection (generation order).
    pub index: u32,
    /// Where it is stored in the connectivity.
    pub synapse: SynapseId,
    /// Source index within its population or input.
    pub source: u32,
    /// Target index within its population.
    pub target: u32,
}

/// A network ready to simulate.
#[derive(Clone, Debug)]
pub struct Network {
    /// Scenario name.
    pub name: String,
    /// Simulated interval [0, duration) \[ms\].
    pub duration: f64,
    /// Neuron populations.
    pub populations: Vec<PopulationEntry>,
    /// Spike sources.
    pub inputs: Vec<InputEntry>,
    /// Synapses.
    pub connectivity: Connectivity,
    /// Which populations' spikes are recorded (population index).
    pub record_populations: Vec<bool>,
    /// Which inputs' spikes are recorded (input index).
    pub record_inputs: Vec<bool>,
    /// Injected currents.
    pub currents: Vec<CurrentSteps>,
    /// Voltage probes.
    pub probes: Vec<Probe>,
    /// Weight probes.
    pub weight_probes: Vec<WeightProbe>,
    /// Plasticity state, when any connection is plastic.
    pub plasticity: Option<crate::plasticity::State>,
    /// The builder's estimate of the memory the network, its inputs and recordings need
    /// \[bytes\] (checked against `--max-memory`).
    pub memory_estimate: u64,
    /// Synapses in the whole network (the connectivity may hold only a partition's).
    pub synapse_count: u64,
}

impl Network {
    /// Total number of neurons.
    pub fn n_neurons(&self) -> usize {
        self.populations.iter().map(|p| p.neurons.len()).sum()
    }

    /// Total number of sources.
    pub fn n_sources(&self) -> usize {
        self.inputs.iter().map(|p| p.sources.len()).sum()
    }

    /// The connectivity row of source `s` (sources come after all neurons).
    #[inline]
    pub fn node_of_source(&self, s: SourceId) -> NodeId {
        NodeId(self.n_neurons() as u32 + s.0)
    }

    /// Names of the populations, then the inputs: the list that the `population` index of
    /// spike and voltage records refers to.
    pub fn record_names(&self) -> Vec<&str> {
        let pops = self.populations.iter().map(|p| p.name.as_str());
        pops.chain(self.inputs.iter().map(|i| i.name.as_str()))
            .collect()
    }

    /// Each neuron population's state-variable names: what a state sample's `variable`
    /// indexes.
    pub fn variable_names(&self) -> Vec<Vec<String>> {
        use crate::neuron::NeuronModel;
        self.populations
            .iter()
            .map(|p| p.neurons.variables())
            .collect()
    }

    /// Makes every `lif` population keep its neurons' state blocks apart from their records
    /// (see `LifPopulation::use_separate_records`; for differential tests and benchmarks:
    /// the same results).
    pub fn use_separate_records(&mut self) {
        for p in &mut self.populations {
            if let crate::neuron::Population::Lif(l) = &mut p.neurons {
                l.use_separate_records();
            }
        }
    }

    /// Makes every `lif` population use the general propagator instead of shared
    /// exponentials (for differential tests and benchmarks; results agree to rounding).
    pub fn use_general_propagator(&mut self) {
        for p in &mut self.populations {
            if let crate::neuron::Population::Lif(l) = &mut p.neurons {
                l.use_general_propagator();
            }
        }
    }
}
