//! Recorded results and their files: `spikes.csv`, `voltage.csv`, `summary.json`.
//!
//! Files are written under temporary names in the output directory and renamed into place
//! once complete, so a reader never sees a half-written file under its final name.

use crate::error::OutputError;
use crate::network::Network;
use crate::simulation::{Output, Stats, Stop};
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
    /// Time [ms].
    pub time: f64,
    /// Weight [mV].
    pub weight: f64,
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

/// Appends spike rows to `s`. Times use Rust's shortest round-trip formatting of f64.
fn spike_rows(s: &mut String, net: &Network, spikes: &[Spike]) {
    for sp in spikes {
        let _ = writeln!(
            s,
            "{},{},{}",
            population_name(net, sp.population),
            sp.neuron,
            sp.time
        );
    }
}

/// Appends voltage rows to `s`.
fn voltage_rows(s: &mut String, net: &Network, samples: &[VoltageSample]) {
    for v in samples {
        let _ = writeln!(
            s,
            "{},{},{},{}",
            net.populations[v.population as usize].name, v.neuron, v.time, v.v
        );
    }
}

/// Appends weight rows to `s`.
fn weight_rows(s: &mut String, samples: &[WeightSample]) {
    for w in samples {
        let _ = writeln!(
            s,
            "{},{},{},{},{},{}",
            w.connection, w.synapse, w.source, w.target, w.time, w.weight
        );
    }
}

/// How a run ended, for summary.json.
#[derive(Clone, Copy, Debug)]
pub struct Ending {
    /// `None` for a complete run, or why it stopped early.
    pub stop: Option<Stop>,
    /// Simulated time reached [ms].
    pub simulated_until: f64,
}

/// The summary.json document. `counts` are recorded spikes per population order
/// (populations, then inputs).
pub fn summary(
    net: &Network,
    stats: &Stats,
    counts: &[u64],
    build_seconds: f64,
    ending: Ending,
) -> serde_json::Value {
    let mut by_pop = serde_json::Map::new();
    for (p, pop) in net.populations.iter().enumerate() {
        if net.record_populations[p] {
            by_pop.insert(pop.name.clone(), json!(counts.get(p).copied().unwrap_or(0)));
        }
    }
    let np = net.populations.len();
    for (k, inp) in net.inputs.iter().enumerate() {
        if net.record_inputs[k] {
            by_pop.insert(
                inp.name.clone(),
                json!(counts.get(np + k).copied().unwrap_or(0)),
            );
        }
    }
    let sim = stats.simulate_seconds;
    json!({
        "name": net.name,
        "duration": net.duration,
        "spikes": counts.iter().sum::<u64>(),
        "spikes_by_population": by_pop,
        "events": stats.events,
        "wall_seconds": build_seconds + sim,
        "build_seconds": build_seconds,
        "simulate_seconds": sim,
        "events_per_second": if sim > 0.0 { stats.events as f64 / sim } else { 0.0 },
        "neurons": net.n_neurons(),
        "sources": net.n_sources(),
        "synapses": net.connectivity.len(),
        "neuron_spikes": stats.neuron_spikes,
        "source_spikes": stats.source_spikes,
        "predictions": stats.predictions,
        "checks": stats.checks,
        "peak_queue": stats.peak_queue,
        "complete": ending.stop.is_none(),
        "stopped": ending.stop.map(|s| s.to_string()),
        "simulated_until": ending.simulated_until,
        "version": env!("CARGO_PKG_VERSION"),
    })
}

/// Streams results into an output directory: rows are appended to `.spikes.csv.partial`
/// (and `.voltage.csv.partial`) as the run proceeds, so memory stays bounded however long
/// the run; [`finish`](Self::finish) flushes, renames them into place and writes
/// summary.json last. A killed process leaves only `.partial` files and no summary, so no
/// file ever claims a complete run that did not complete.
pub struct Writer {
    dir: PathBuf,
    spikes: std::io::BufWriter<std::fs::File>,
    voltage: Option<std::io::BufWriter<std::fs::File>>,
    weights: Option<std::io::BufWriter<std::fs::File>>,
    counts: Vec<u64>,
    buf: String,
}

fn io_err(path: &Path) -> impl FnOnce(std::io::Error) -> OutputError + '_ {
    move |source| OutputError::Io {
        path: path.to_path_buf(),
        source,
    }
}

impl Writer {
    /// Creates `dir` if needed and opens the partial files with their headers.
    pub fn create(dir: &Path, net: &Network) -> Result<Writer, OutputError> {
        std::fs::create_dir_all(dir).map_err(io_err(dir))?;
        // Results of an earlier run into the same directory must not survive as if they
        // belonged to this one (summary.json first: it is what marks a run complete).
        for old in ["summary.json", "spikes.csv", "voltage.csv", "weights.csv"] {
            let _ = std::fs::remove_file(dir.join(old));
        }
        let open = |name: &str, header: &str| -> Result<_, OutputError> {
            let p = dir.join(format!(".{name}.partial"));
            let mut f = std::io::BufWriter::with_capacity(
                1 << 16,
                std::fs::File::create(&p).map_err(io_err(&p))?,
            );
            f.write_all(header.as_bytes()).map_err(io_err(&p))?;
            Ok(f)
        };
        let spikes = open("spikes.csv", "population,neuron,time\n")?;
        let voltage = if net.probes.is_empty() {
            None
        } else {
            Some(open("voltage.csv", "population,neuron,time,v\n")?)
        };
        let weights = if net.weight_probes.is_empty() {
            None
        } else {
            Some(open(
                "weights.csv",
                "connection,synapse,source,target,time,weight\n",
            )?)
        };
        Ok(Writer {
            dir: dir.to_path_buf(),
            spikes,
            voltage,
            weights,
            counts: vec![0; net.populations.len() + net.inputs.len()],
            buf: String::new(),
        })
    }

    /// Appends sorted spikes and samples that follow everything appended before.
    pub fn append(
        &mut self,
        net: &Network,
        spikes: &[Spike],
        samples: &[VoltageSample],
        weights: &[WeightSample],
    ) -> Result<(), OutputError> {
        for sp in spikes {
            self.counts[sp.population as usize] += 1;
        }
        self.buf.clear();
        spike_rows(&mut self.buf, net, spikes);
        let p = self.dir.join(".spikes.csv.partial");
        self.spikes
            .write_all(self.buf.as_bytes())
            .map_err(io_err(&p))?;
        if let Some(v) = &mut self.voltage {
            self.buf.clear();
            voltage_rows(&mut self.buf, net, samples);
            let p = self.dir.join(".voltage.csv.partial");
            v.write_all(self.buf.as_bytes()).map_err(io_err(&p))?;
        }
        if let Some(w) = &mut self.weights {
            self.buf.clear();
            weight_rows(&mut self.buf, weights);
            let p = self.dir.join(".weights.csv.partial");
            w.write_all(self.buf.as_bytes()).map_err(io_err(&p))?;
        }
        Ok(())
    }

    /// Flushes and renames the files into place and writes summary.json; returns it.
    pub fn finish(
        self,
        net: &Network,
        stats: &Stats,
        build_seconds: f64,
        ending: Ending,
    ) -> Result<serde_json::Value, OutputError> {
        let close = |w: std::io::BufWriter<std::fs::File>, name: &str| -> Result<(), OutputError> {
            let tmp = self.dir.join(format!(".{name}.partial"));
            let f = w.into_inner().map_err(|e| OutputError::Io {
                path: tmp.clone(),
                source: e.into_error(),
            })?;
            f.sync_all().map_err(io_err(&tmp))?;
            let fin = self.dir.join(name);
            std::fs::rename(&tmp, &fin).map_err(io_err(&fin))
        };
        let Writer {
            spikes,
            voltage,
            weights,
            counts,
            ..
        } = self;
        close(spikes, "spikes.csv")?;
        if let Some(v) = voltage {
            close(v, "voltage.csv")?;
        }
        if let Some(w) = weights {
            close(w, "weights.csv")?;
        }
        let summary = summary(net, stats, &counts, build_seconds, ending);
        let text = serde_json::to_string_pretty(&summary).expect("summary serializes") + "\n";
        write_file(&self.dir, "summary.json", text.as_bytes())?;
        Ok(summary)
    }
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

/// Writes spikes.csv, voltage.csv (when probes exist) and summary.json of a finished run
/// into `dir` (created if needed); returns the summary.
pub fn write_outputs(
    dir: &Path,
    net: &Network,
    out: &Output,
    build_seconds: f64,
) -> Result<serde_json::Value, OutputError> {
    let mut w = Writer::create(dir, net)?;
    w.append(net, &out.spikes, &out.voltages, &out.weights)?;
    w.finish(
        net,
        &out.stats,
        build_seconds,
        Ending {
            stop: None,
            simulated_until: net.duration,
        },
    )
}
