//! Recorded results and their files: `spikes.csv`, `voltage.csv`, `summary.json`.
//!
//! Files are written under temporary names in the output directory and renamed into place
//! once complete, so a reader never sees a half-written file under its final name.

use crate::error::OutputError;
use crate::network::Network;
use crate::simulation::Output;
use serde_json::json;
use std::fmt::Write as _;
use std::io::Write;
use std::path::{Path, PathBuf};

/// One recorded spike.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct Spike {
    /// Time [ms].
    pub time: f64,
    /// Population order: neuron populations in scenario order, then inputs.
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
    /// Population index.
    pub population: u32,
    /// Neuron index within the population.
    pub neuron: u32,
    /// Time [ms].
    pub time: f64,
    /// Membrane potential [mV].
    pub v: f64,
}

/// Name of population `p` in spike-record order (populations, then inputs).
pub fn population_name(net: &Network, p: u32) -> &str {
    let p = p as usize;
    if p < net.populations.len() {
        &net.populations[p].name
    } else {
        &net.inputs[p - net.populations.len()].name
    }
}

/// The text of spikes.csv. Times use Rust's shortest round-trip formatting of f64.
pub fn spikes_csv(net: &Network, out: &Output) -> String {
    let mut s = String::with_capacity(32 * out.spikes.len() + 32);
    s.push_str("population,neuron,time\n");
    for sp in &out.spikes {
        let _ = writeln!(
            s,
            "{},{},{}",
            population_name(net, sp.population),
            sp.neuron,
            sp.time
        );
    }
    s
}

/// The text of voltage.csv.
pub fn voltage_csv(net: &Network, out: &Output) -> String {
    let mut s = String::with_capacity(48 * out.voltages.len() + 32);
    s.push_str("population,neuron,time,v\n");
    for v in &out.voltages {
        let _ = writeln!(
            s,
            "{},{},{},{}",
            net.populations[v.population as usize].name, v.neuron, v.time, v.v
        );
    }
    s
}

/// The summary.json document.
pub fn summary(net: &Network, out: &Output, build_seconds: f64) -> serde_json::Value {
    let mut by_pop = serde_json::Map::new();
    for (p, pop) in net.populations.iter().enumerate() {
        if net.record_populations[p] {
            by_pop.insert(pop.name.clone(), json!(0));
        }
    }
    for (k, inp) in net.inputs.iter().enumerate() {
        if net.record_inputs[k] {
            by_pop.insert(inp.name.clone(), json!(0));
        }
    }
    for sp in &out.spikes {
        let name = population_name(net, sp.population);
        if let Some(c) = by_pop.get_mut(name) {
            *c = json!(c.as_u64().unwrap_or(0) + 1);
        }
    }
    let st = &out.stats;
    let sim = st.simulate_seconds;
    json!({
        "name": net.name,
        "duration": net.duration,
        "spikes": out.spikes.len(),
        "spikes_by_population": by_pop,
        "events": st.events,
        "wall_seconds": build_seconds + sim,
        "build_seconds": build_seconds,
        "simulate_seconds": sim,
        "events_per_second": if sim > 0.0 { st.events as f64 / sim } else { 0.0 },
        "neurons": net.n_neurons(),
        "sources": net.n_sources(),
        "synapses": net.connectivity.len(),
        "neuron_spikes": st.neuron_spikes,
        "source_spikes": st.source_spikes,
        "predictions": st.predictions,
        "peak_queue": st.peak_queue,
        "complete": true,
        "version": env!("CARGO_PKG_VERSION"),
    })
}

/// Writes `name` in `dir` atomically (temporary file, then rename).
pub fn write_file(dir: &Path, name: &str, contents: &[u8]) -> Result<PathBuf, OutputError> {
    let fin = dir.join(name);
    let tmp = dir.join(format!(".{name}.partial"));
    let io = |path: &Path| {
        let path = path.to_path_buf();
        move |source| OutputError::Io { path, source }
    };
    let mut f = std::fs::File::create(&tmp).map_err(io(&tmp))?;
    f.write_all(contents).map_err(io(&tmp))?;
    f.sync_all().map_err(io(&tmp))?;
    std::fs::rename(&tmp, &fin).map_err(io(&fin))?;
    Ok(fin)
}

/// Writes spikes.csv, voltage.csv (when probes exist) and summary.json into `dir`
/// (created if needed).
pub fn write_outputs(
    dir: &Path,
    net: &Network,
    out: &Output,
    build_seconds: f64,
) -> Result<(), OutputError> {
    std::fs::create_dir_all(dir).map_err(|source| OutputError::Io {
        path: dir.to_path_buf(),
        source,
    })?;
    write_file(dir, "spikes.csv", spikes_csv(net, out).as_bytes())?;
    if !net.probes.is_empty() {
        write_file(dir, "voltage.csv", voltage_csv(net, out).as_bytes())?;
    } else {
        // A voltage.csv left by an earlier run into the same directory would be stale.
        let _ = std::fs::remove_file(dir.join("voltage.csv"));
    }
    let s = serde_json::to_string_pretty(&summary(net, out, build_seconds))
        .expect("summary serializes");
    write_file(dir, "summary.json", (s + "\n").as_bytes())?;
    Ok(())
}
