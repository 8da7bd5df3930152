//! The build layer: a [`Scenario`] (the description) becomes a [`Network`] (the runtime),
//! in stages of their own:
//!
//! 1. [`names`]: the namespace of populations and inputs;
//! 2. [`models`]: each population through its model's [`BuildModel`](models::BuildModel);
//! 3. [`inputs`]: each input through its kind's [`BuildInput`](inputs::BuildInput);
//! 4. [`connections`]: synapses, weights, delays, the CSR, plasticity, and [`currents`]:
//!    injected step currents;
//! 5. [`record`]: spike recording, voltage and weight probes.
//!
//! Names are resolved, ranges checked and random values drawn here; every error carries the
//! JSON path of the offending value ([`values`]). Building is transactional: nothing is
//! returned unless every check passes, and memory is estimated ([`Budget`]) before anything
//! large is allocated.

pub mod connections;
pub mod currents;
pub mod inputs;
pub mod models;
pub mod names;
pub mod record;
pub mod values;

use crate::error::ScenarioError;
use crate::ids::{NeuronId, SourceId};
use crate::network::connectivity::Block;
use crate::network::{InputEntry, Network, PopulationEntry};
use crate::neuron::NeuronModel;
use crate::scenario::Scenario;
use std::path::Path;
use values::{err, Res, MAX_ELEMENTS};

pub use names::name_char;
pub use values::{MAX_MAGNITUDE, MAX_POTENTIAL, MIN_TAU};

/// Options applied while building: resource limits and clock-grid emulation.
#[derive(Clone, Copy, Debug)]
pub struct BuildOptions {
    /// Largest estimated memory for the network, its pregenerated inputs and recordings
    /// \[bytes\]. Checked before anything large is allocated.
    pub max_memory: u64,
    /// Round every input spike time to the nearest multiple of this step \[ms\], as a
    /// clock-driven simulator would (for comparisons; default none).
    pub input_grid: Option<f64>,
    /// With `input_grid`, also round synaptic delays to the grid (at least one step between
    /// neuron populations).
    pub grid_delays: bool,
    /// Keep only the synapses onto partition `p` of `k` (`Some((k, p))`): the neurons
    /// `[n p / k, n (p + 1) / k)`. For an MPI rank, whose memory then falls with `k`; the
    /// network is drawn exactly as whole (randomness is per target) and only then filtered.
    pub partition: Option<(u32, u32)>,
}

impl Default for BuildOptions {
    /// Half of the physical memory (from /proc/meminfo), or 8 GiB where that is unknown.
    fn default() -> Self {
        let total = std::fs::read_to_string("/proc/meminfo").ok().and_then(|m| {
            m.lines()
                .find(|l| l.starts_with("MemTotal:"))
                .and_then(|l| l.split_whitespace().nth(1)?.parse::<u64>().ok())
                .map(|kib| kib * 1024)
        });
        BuildOptions {
            max_memory: total.map_or(8 << 30, |t| t / 2),
            input_grid: None,
            grid_delays: false,
            partition: None,
        }
    }
}

/// Running estimate of memory use against [`BuildOptions::max_memory`].
pub struct Budget {
    limit: u64,
    used: f64,
}

impl Budget {
    /// Adds `bytes` (for `what`, at JSON path `path`) and fails once over the limit.
    pub fn charge(&mut self, bytes: f64, path: &str, what: &str) -> Res<()> {
        self.used += bytes.max(0.0);
        if self.used > self.limit as f64 {
            let mib = |b: f64| b / (1u64 << 20) as f64;
            return err(
                path,
                format!(
                    "{what} would need about {:.0} MiB of memory ({:.0} MiB in total so far), \
                     over the limit of {:.0} MiB; shrink the network or raise --max-memory",
                    mib(bytes),
                    mib(self.used),
                    mib(self.limit as f64)
                ),
            );
        }
        Ok(())
    }
}

impl Budget {
    /// A budget of `limit` bytes.
    pub fn new(limit: u64) -> Self {
        Budget { limit, used: 0.0 }
    }
}

/// Builds a network from a scenario with default [`BuildOptions`]. `default_name` is used when
/// the scenario has none.
pub fn build(sc: &Scenario, default_name: &str) -> Res<Network> {
    build_with(sc, default_name, &BuildOptions::default())
}

/// Reads, parses and builds a scenario file within `limits`.
pub fn load_with(path: &Path, limits: &BuildOptions) -> Res<(Scenario, Network)> {
    let sc = crate::scenario::read(path)?;
    let net = build_with(&sc, &crate::scenario::file_stem(path), limits)?;
    Ok((sc, net))
}

/// Builds a network from a scenario within `limits`.
pub fn build_with(sc: &Scenario, default_name: &str, limits: &BuildOptions) -> Res<Network> {
    build_inner(sc, default_name, limits, None)
}

/// Builds a network and also returns every connection's synapses in generation order (the
/// order `gradients.json` and weight lists use), one [`Block`] per connection.
pub fn build_with_blocks(
    sc: &Scenario,
    default_name: &str,
    limits: &BuildOptions,
) -> Res<(Network, Vec<Block>)> {
    let mut blocks = Vec::with_capacity(sc.connections.len());
    let net = build_inner(sc, default_name, limits, Some(&mut blocks))?;
    Ok((net, blocks))
}

fn build_inner(
    sc: &Scenario,
    default_name: &str,
    limits: &BuildOptions,
    keep: Option<&mut Vec<Block>>,
) -> Res<Network> {
    if let Some(dt) = limits.input_grid {
        if !(dt.is_finite() && dt > 0.0) {
            return err("--grid-dt", format!("must be > 0 ms, got {dt}"));
        }
    }
    if !(sc.duration.is_finite() && sc.duration > 0.0) {
        return err(
            "duration",
            format!(
                "must be a finite number > 0 ms, got {}",
                values::show(sc.duration)
            ),
        );
    }
    if sc.duration > MAX_MAGNITUDE {
        return err(
            "duration",
            format!(
                "must be <= {MAX_MAGNITUDE:e} ms, got {}",
                values::show(sc.duration)
            ),
        );
    }
    let mut budget = Budget::new(limits.max_memory);
    let names = names::Names::new(sc)?;
    let mut populations = build_populations(sc, &mut budget)?;
    let currents = currents::build(sc, &names, &mut populations, &mut budget)?;
    let n_neurons = populations.iter().map(|p| p.neurons.len()).sum::<usize>();
    let inputs = build_inputs(sc, limits, &mut budget)?;
    let n_sources: usize = inputs.iter().map(|i| i.sources.len()).sum();
    if (n_neurons + n_sources) as u64 > MAX_ELEMENTS {
        return err(
            "populations",
            format!("more than {MAX_ELEMENTS} neurons and sources in total"),
        );
    }
    let owned = limits.partition.map(|(k, p)| {
        let (n, k, p) = (n_neurons as u64, u64::from(k.max(1)), u64::from(p));
        (n * p / k) as u32..(n * (p + 1) / k) as u32
    });
    let nodes = connections::Nodes {
        names: &names,
        populations: &populations,
        inputs: &inputs,
        n_neurons,
        owned,
    };
    let conns = connections::build_all(sc, &nodes, limits, &mut budget, keep)?;
    let rec = record::build(sc, &names, &populations, &conns, &mut budget)?;
    Ok(Network {
        name: sc.name.clone().unwrap_or_else(|| default_name.to_string()),
        duration: sc.duration,
        populations,
        inputs,
        connectivity: conns.connectivity,
        record_populations: rec.populations,
        record_inputs: rec.inputs,
        currents,
        probes: rec.probes,
        weight_probes: rec.weight_probes,
        plasticity: conns.plasticity,
        memory_estimate: budget.used as u64,
        synapse_count: conns.total,
    })
}

/// Stage 2: every neuron population, neurons numbered in scenario order.
fn build_populations(sc: &Scenario, budget: &mut Budget) -> Res<Vec<PopulationEntry>> {
    let mut populations = Vec::with_capacity(sc.populations.len());
    let mut offset = 0usize;
    for (k, p) in sc.populations.iter().enumerate() {
        let path = format!("populations[{k}]");
        if p.size == 0 {
            return err(format!("{path}.size"), "must be >= 1");
        }
        if p.size as u64 > MAX_ELEMENTS || (offset + p.size) as u64 > MAX_ELEMENTS {
            return err(
                format!("{path}.size"),
                format!("must be <= {MAX_ELEMENTS} in total"),
            );
        }
        let builder = models::builder(&p.model);
        budget.charge(
            p.size as f64 * builder.bytes_per_neuron(),
            &format!("{path}.size"),
            &format!("{} neurons", p.size),
        )?;
        let params_path = format!("{path}.params");
        let ctx = models::ModelContext {
            n: p.size,
            path: &params_path,
            seed: sc.seed,
            population: &p.name,
        };
        populations.push(PopulationEntry {
            name: p.name.clone(),
            offset: NeuronId::new(offset),
            neurons: builder.build(&ctx)?,
        });
        offset += p.size;
    }
    Ok(populations)
}

/// Stage 3: every input, sources numbered in scenario order.
fn build_inputs(sc: &Scenario, limits: &BuildOptions, budget: &mut Budget) -> Res<Vec<InputEntry>> {
    let mut inputs = Vec::with_capacity(sc.inputs.len());
    let mut offset = 0usize;
    for (k, inp) in sc.inputs.iter().enumerate() {
        let path = format!("inputs[{k}]");
        let ctx = inputs::InputContext {
            path: &path,
            name: &inp.name,
            seed: sc.seed,
            duration: sc.duration,
        };
        let sources = inputs::builder(&inp.kind).build(&ctx, budget)?;
        let n = sources.len();
        if (offset + n) as u64 > MAX_ELEMENTS {
            return err(path, format!("more than {MAX_ELEMENTS} sources in total"));
        }
        inputs.push(InputEntry {
            name: inp.name.clone(),
            offset: SourceId::new(offset),
            sources,
            grid: limits.input_grid,
        });
        offset += n;
    }
    Ok(inputs)
}

/// Checks a scenario fully (everything [`build_with`] checks) without keeping the network.
pub fn validate(sc: &Scenario, limits: &BuildOptions) -> Result<(), ScenarioError> {
    build_with(sc, "scenario", limits).map(drop)
}
