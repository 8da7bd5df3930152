//! Scenario → [`Network`]: resolve names, check ranges, draw random values, compute
//! per-neuron constants. Every error carries the JSON path of the offending value.
//!
//! Validation is transactional: everything is built into temporaries and nothing is
//! returned (or written) unless all checks pass.

use super::schema::*;
use crate::error::ScenarioError;
use crate::input::{self, stream, SourceTrain};
use crate::network::connectivity::{Block, Values, STATIC};
use crate::network::{Connectivity, InputEntry, Network, PopulationEntry, Probe};
use crate::neuron::lif::{Layout, LifPopulation, NeuronInit, Scalars, MAX_CHANNELS};
use crate::neuron::qif::{QifConsts, QifPopulation};
use crate::neuron::Population as ModelPopulation;
use rand::Rng;
use rand_distr::{Distribution as _, StandardNormal};
use rand_pcg::Pcg64;
use std::collections::HashMap;

/// Largest number of synapses, spikes per input, or voltage samples accepted (indices are
/// 32-bit; larger requests are almost always mistakes in units).
pub const MAX_ELEMENTS: u64 = u32::MAX as u64;

type Res<T> = Result<T, ScenarioError>;

/// Options applied while building: resource limits and clock-grid emulation.
#[derive(Clone, Copy, Debug)]
pub struct BuildOptions {
    /// Largest estimated memory for the network, its pregenerated inputs and recordings
    /// [bytes]. Checked before anything large is allocated.
    pub max_memory: u64,
    /// Round every input spike time to the nearest multiple of this step [ms], as a
    /// clock-driven simulator would (for comparisons; default none).
    pub input_grid: Option<f64>,
    /// With `input_grid`, also round synaptic delays to the grid (at least one step between
    /// neuron populations).
    pub grid_delays: bool,
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
        }
    }
}

/// Running estimate of memory use against [`BuildOptions::max_memory`].
struct Budget {
    limit: u64,
    used: f64,
}

impl Budget {
    fn charge(&mut self, bytes: f64, path: &str, what: &str) -> Res<()> {
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

/// Most spike times (or candidate cycles) drawn for one input before simulating.
pub const MAX_DRAWS: f64 = 2e8;

/// Bytes per synapse at the peak of building: a connection's pairs (8, twice while a
/// fixed-indegree rule sorts them by source), its weights (8), per-synapse delays (8, only
/// if they vary) and the CSR entry (target 4 + weight 8 + receptor 1).
const BUILD_BYTES_PER_SYNAPSE: f64 = 8.0 + 8.0 + 8.0 + 13.0;

fn err<T>(path: impl Into<String>, msg: impl Into<String>) -> Res<T> {
    Err(ScenarioError::invalid(path, msg))
}

/// Largest magnitude accepted for any time [ms] or rate [Hz].
pub const MAX_MAGNITUDE: f64 = 1e12;
/// Largest magnitude accepted for potentials, biases and weights [mV].
pub const MAX_POTENTIAL: f64 = 1e6;
/// Smallest time constant accepted [ms].
pub const MIN_TAU: f64 = 1e-6;

/// A range constraint on numbers, with the message it gives. Every check also bounds the
/// magnitude so that no legal value can overflow the closed-form solutions to inf or NaN.
#[derive(Clone, Copy)]
enum Check {
    Finite,
    Positive,
    NonNegative,
    /// A time constant: in [MIN_TAU, MAX_MAGNITUDE] ms.
    Tau,
    /// A potential or weight: |v| <= MAX_POTENTIAL mV.
    Potential,
}

impl Check {
    fn test(self, v: f64, unit: &str) -> Result<(), String> {
        let ok = v.is_finite()
            && match self {
                Check::Finite => v.abs() <= MAX_MAGNITUDE,
                Check::Positive => v > 0.0 && v <= MAX_MAGNITUDE,
                Check::NonNegative => (0.0..=MAX_MAGNITUDE).contains(&v),
                Check::Tau => (MIN_TAU..=MAX_MAGNITUDE).contains(&v),
                Check::Potential => v.abs() <= MAX_POTENTIAL,
            };
        if ok {
            return Ok(());
        }
        let what = match self {
            Check::Finite => format!("a finite number with magnitude <= {MAX_MAGNITUDE:e}{unit}"),
            Check::Positive if v > 0.0 && v.is_finite() => format!("<= {MAX_MAGNITUDE:e}{unit}"),
            Check::Positive => format!("> 0{unit}"),
            Check::NonNegative if v >= 0.0 && v.is_finite() => {
                format!("<= {MAX_MAGNITUDE:e}{unit}")
            }
            Check::NonNegative => format!(">= 0{unit}"),
            Check::Tau if v > 0.0 && v.is_finite() => {
                format!("a time constant in [{MIN_TAU:e}, {MAX_MAGNITUDE:e}]{unit}")
            }
            Check::Tau => format!("> 0{unit}"),
            Check::Potential => format!("within ±{MAX_POTENTIAL:e}{unit}"),
        };
        Err(format!("must be {what}, got {}", show(v)))
    }
}

/// A number as users wrote it: plain decimals in the usual range, exponent form for very
/// large or small magnitudes (1e308 rather than 309 digits).
pub(crate) fn show(v: f64) -> String {
    if v != 0.0 && v.is_finite() && !(1e-5..1e15).contains(&v.abs()) {
        format!("{v:e}")
    } else {
        v.to_string()
    }
}

fn check(path: &str, v: f64, c: Check, unit: &str) -> Res<f64> {
    c.test(v, unit)
        .map(|_| v)
        .map_err(|m| ScenarioError::invalid(path, m))
}

/// Resolves a [`ParamValue`] to `n` numbers, each checked with `c`.
fn resolve(
    value: &ParamValue,
    path: &str,
    n: usize,
    what: &str,
    c: Check,
    unit: &str,
    rng: &mut Pcg64,
) -> Res<Vec<f64>> {
    match value {
        ParamValue::Value(v) => Ok(vec![check(path, *v, c, unit)?; n]),
        ParamValue::List(vs) => {
            if vs.len() != n {
                return err(
                    path,
                    format!("list has {} values, expected {n} ({what})", vs.len()),
                );
            }
            for (k, v) in vs.iter().enumerate() {
                check(&format!("{path}[{k}]"), *v, c, unit)?;
            }
            Ok(vs.clone())
        }
        ParamValue::Distribution(d) => {
            let draw = sampler(d, path)?;
            let mut out = Vec::with_capacity(n);
            for k in 0..n {
                let v = draw(rng);
                if let Err(m) = c.test(v, unit) {
                    return err(
                        path,
                        format!(
                            "the distribution drew {v} for element {k}, but values {}; \
                             bound it with \"min\"/\"max\"",
                            m.split(", got").next().unwrap_or(&m)
                        ),
                    );
                }
                out.push(v);
            }
            Ok(out)
        }
    }
}

/// [`resolve`], keeping a single value single (stored once, not once per synapse).
fn resolve_values(
    value: &ParamValue,
    path: &str,
    n: usize,
    what: &str,
    c: Check,
    unit: &str,
    rng: &mut Pcg64,
) -> Res<Values> {
    match value {
        ParamValue::Value(v) => Ok(Values::Const(check(path, *v, c, unit)?)),
        _ => resolve(value, path, n, what, c, unit, rng).map(Values::Each),
    }
}

fn sampler(d: &Distribution, path: &str) -> Res<impl Fn(&mut Pcg64) -> f64> {
    let (lo_clip, hi_clip) = (
        d.min.unwrap_or(f64::NEG_INFINITY),
        d.max.unwrap_or(f64::INFINITY),
    );
    if d.min.is_some_and(|v| !v.is_finite()) || d.max.is_some_and(|v| !v.is_finite()) {
        return err(path, "\"min\" and \"max\" must be finite numbers");
    }
    if lo_clip > hi_clip {
        return err(
            format!("{path}.min"),
            format!("must be <= max ({hi_clip}), got {lo_clip}"),
        );
    }
    let (uniform, a, b) = match (d.uniform, d.normal) {
        (Some([lo, hi]), None) => {
            if !(lo.is_finite() && hi.is_finite() && lo <= hi) {
                return err(
                    format!("{path}.uniform"),
                    format!("needs finite [lo, hi] with lo <= hi, got [{lo}, {hi}]"),
                );
            }
            (true, lo, hi)
        }
        (None, Some([mean, sd])) => {
            if !(mean.is_finite() && sd.is_finite() && sd >= 0.0) {
                return err(
                    format!("{path}.normal"),
                    format!("needs a finite mean and sd >= 0, got [{mean}, {sd}]"),
                );
            }
            (false, mean, sd)
        }
        _ => {
            return err(
                path,
                "a distribution needs exactly one of \"uniform\" or \"normal\"",
            )
        }
    };
    Ok(move |rng: &mut Pcg64| {
        let v = if uniform {
            a + (b - a) * rng.random::<f64>()
        } else {
            let z: f64 = StandardNormal.sample(rng);
            a + b * z
        };
        v.clamp(lo_clip, hi_clip)
    })
}

/// What a name refers to.
#[derive(Clone, Copy, Debug)]
enum Node {
    Population(usize),
    Input(usize),
}

/// Builds a network from a scenario with default [`BuildOptions`]. `default_name` is used when
/// the scenario has none.
pub fn build(sc: &Scenario, default_name: &str) -> Res<Network> {
    build_with(sc, default_name, &BuildOptions::default())
}

/// Builds a network from a scenario within `limits`.
pub fn build_with(sc: &Scenario, default_name: &str, limits: &BuildOptions) -> Res<Network> {
    if let Some(dt) = limits.input_grid {
        if !(dt.is_finite() && dt > 0.0) {
            return err("--grid-dt", format!("must be > 0 ms, got {dt}"));
        }
    }
    let mut budget = Budget {
        limit: limits.max_memory,
        used: 0.0,
    };
    if !(sc.duration.is_finite() && sc.duration > 0.0) {
        return err(
            "duration",
            format!("must be a finite number > 0 ms, got {}", sc.duration),
        );
    }
    let duration = sc.duration;
    let seed = sc.seed;

    // ---- names ----
    let mut names: HashMap<&str, Node> = HashMap::new();
    let mut pop_names = Vec::new();
    for (k, p) in sc.populations.iter().enumerate() {
        let path = format!("populations[{k}].name");
        if p.name.is_empty() {
            return err(path, "must not be empty");
        }
        if names.insert(&p.name, Node::Population(k)).is_some() {
            return err(path, format!("duplicate name \"{}\"", p.name));
        }
        pop_names.push(p.name.as_str());
    }
    for (k, p) in sc.inputs.iter().enumerate() {
        let path = format!("inputs[{k}].name");
        if p.name.is_empty() {
            return err(path, "must not be empty");
        }
        if names.insert(&p.name, Node::Input(k)).is_some() {
            return err(
                path,
                format!(
                    "duplicate name \"{}\" (populations and inputs share one namespace)",
                    p.name
                ),
            );
        }
    }
    let known = || {
        let mut all: Vec<String> = sc
            .populations
            .iter()
            .map(|p| format!("\"{}\"", p.name))
            .collect();
        all.extend(sc.inputs.iter().map(|p| format!("\"{}\"", p.name)));
        if all.is_empty() {
            "none defined".to_string()
        } else {
            format!("known: {}", all.join(", "))
        }
    };
    let lookup = |name: &str, path: String| -> Res<Node> {
        names.get(name).copied().ok_or_else(|| {
            let hint = did_you_mean(name, names.keys().copied());
            ScenarioError::invalid(
                path,
                format!("unknown population \"{name}\" ({}){hint}", known()),
            )
        })
    };

    // ---- populations ----
    let mut populations = Vec::with_capacity(sc.populations.len());
    let mut offset = 0usize;
    for (k, p) in sc.populations.iter().enumerate() {
        let path = format!("populations[{k}]");
        if p.size == 0 {
            return err(format!("{path}.size"), "must be >= 1");
        }
        if p.size as u64 > MAX_ELEMENTS {
            return err(format!("{path}.size"), format!("must be <= {MAX_ELEMENTS}"));
        }
        let channels = match &p.model {
            Model::Lif(l) => {
                l.receptors.as_ref().map_or(1, Vec::len)
                    + l.adaptation.len()
                    + l.threshold_adaptation.len()
            }
            Model::Qif(_) => 0,
        };
        budget.charge(
            p.size as f64 * (160.0 + 48.0 * channels as f64),
            &format!("{path}.size"),
            &format!("{} neurons", p.size),
        )?;
        let pp = format!("{path}.params");
        let neurons = match &p.model {
            Model::Lif(params) => {
                ModelPopulation::Lif(build_lif(params, p.size, &pp, seed, &p.name)?)
            }
            Model::Qif(params) => {
                ModelPopulation::Qif(build_qif(params, p.size, &pp, seed, &p.name)?)
            }
        };
        populations.push(PopulationEntry {
            name: p.name.clone(),
            offset,
            neurons,
        });
        offset += p.size;
    }
    let n_neurons = offset;

    // ---- inputs ----
    let mut inputs = Vec::with_capacity(sc.inputs.len());
    let mut src_offset = 0usize;
    for (k, inp) in sc.inputs.iter().enumerate() {
        let ipath = format!("inputs[{k}]");
        let sources = build_input(inp, &ipath, seed, duration, &mut budget)?;
        let n = sources.len();
        inputs.push(InputEntry {
            name: inp.name.clone(),
            offset: src_offset,
            sources,
            grid: limits.input_grid,
        });
        src_offset += n;
    }
    let n_nodes = n_neurons + src_offset;
    if n_nodes as u64 > MAX_ELEMENTS {
        return err(
            "populations",
            format!("more than {MAX_ELEMENTS} neurons and sources in total"),
        );
    }

    // ---- connections ----
    let mut blocks: Vec<Block> = Vec::with_capacity(sc.connections.len());
    let mut n_synapses = 0usize;
    let mut rules = Vec::new();
    let mut n_stdp = 0usize;
    // the (source, target) pairs of the connections that weight probes sample
    let probed: Vec<usize> = sc
        .record
        .as_ref()
        .map_or(vec![], |r| r.weights.iter().map(|w| w.connection).collect());
    let mut probed_pairs: HashMap<usize, Vec<(u32, u32)>> = HashMap::new();
    for (k, c) in sc.connections.iter().enumerate() {
        let path = format!("connections[{k}]");
        let from = lookup(&c.from, format!("{path}.from"))?;
        let to = match lookup(&c.to, format!("{path}.to"))? {
            Node::Population(t) => t,
            Node::Input(_) => {
                return err(
                    format!("{path}.to"),
                    format!(
                        "\"{}\" is an input; connections must target a neuron population",
                        c.to
                    ),
                )
            }
        };
        let (src_size, src_base, from_input) = match from {
            Node::Population(s) => (populations[s].neurons.len(), populations[s].offset, false),
            Node::Input(s) => (inputs[s].sources.len(), n_neurons + inputs[s].offset, true),
        };
        let tgt_size = populations[to].neurons.len();
        let same = matches!(from, Node::Population(s) if s == to);
        let n_receptors = populations[to].neurons.n_receptors();
        if c.receptor >= n_receptors {
            return err(
                format!("{path}.receptor"),
                format!(
                    "index {} out of range: population \"{}\" has {n_receptors} receptor(s) (0..{})",
                    c.receptor,
                    c.to,
                    n_receptors.saturating_sub(1)
                ),
            );
        }
        let expected = match &c.rule {
            Rule::AllToAll => src_size as f64 * tgt_size as f64,
            Rule::OneToOne => src_size as f64,
            Rule::FixedProbability(p) => src_size as f64 * tgt_size as f64 * p.clamp(0.0, 1.0),
            Rule::FixedIndegree(k) => *k as f64 * tgt_size as f64,
            Rule::FixedOutdegree(k) => *k as f64 * src_size as f64,
            Rule::Pairs(p) => p.len() as f64,
        };
        budget.charge(
            expected * BUILD_BYTES_PER_SYNAPSE,
            &format!("{path}.rule"),
            &format!("about {expected:.3e} synapses"),
        )?;
        let mut rng = stream(seed, &format!("connections[{k}].rule"), 0);
        let pairs = generate_pairs(
            &c.rule,
            &format!("{path}.rule"),
            src_size,
            tgt_size,
            same,
            c.autapses,
            &mut rng,
        )?;
        let n = pairs.len();
        if (n_synapses + n) as u64 > MAX_ELEMENTS {
            return err(
                format!("{path}.rule"),
                format!("more than {MAX_ELEMENTS} synapses in total"),
            );
        }
        let mut wrng = stream(seed, &format!("connections[{k}].weight"), 0);
        let weights = resolve_values(
            &c.weight,
            &format!("{path}.weight"),
            n,
            "one per generated synapse",
            Check::Potential,
            " mV",
            &mut wrng,
        )?;
        let mut drng = stream(seed, &format!("connections[{k}].delay"), 0);
        let delay_check = if from_input {
            Check::NonNegative
        } else {
            Check::Positive
        };
        let delays = resolve_values(&c.delay, &format!("{path}.delay"), n, "one per generated synapse", delay_check, " ms", &mut drng)
            .map_err(|e| match e {
                ScenarioError::Invalid { path, message } if !from_input && message.contains("> 0") => ScenarioError::invalid(
                    path,
                    format!("{message} (delays between neuron populations must be > 0, so that no spike causes another at the same instant)"),
                ),
                e => e,
            })?;
        let delays = match limits.input_grid {
            Some(dt) if limits.grid_delays => {
                let snap = |d: f64| {
                    let r = (d / dt).round() * dt;
                    if from_input {
                        r
                    } else {
                        r.max(dt)
                    }
                };
                match delays {
                    Values::Const(d) => Values::Const(snap(d)),
                    Values::Each(ds) => Values::Each(ds.into_iter().map(snap).collect()),
                }
            }
            _ => delays,
        };
        let rule = match &c.plasticity {
            None => STATIC,
            Some(pl) => {
                let each: Vec<f64> = (0..n).map(|m| weights.get(m)).collect();
                rules.push(plasticity_rule(pl, &path, &each, &mut n_stdp)?);
                (rules.len() - 1) as u16
            }
        };
        let want_position = probed.contains(&k);
        if want_position {
            probed_pairs.insert(k, pairs.clone());
        }
        n_synapses += n;
        blocks.push(Block {
            source_base: src_base as u32,
            target_base: populations[to].offset as u32,
            pairs,
            weights,
            delays,
            receptor: c.receptor as u8,
            rule,
            want_position,
        });
    }
    let (connectivity, positions) = Connectivity::from_blocks(n_nodes, blocks);
    let plasticity = (!rules.is_empty()).then(|| {
        crate::plasticity::State::new(rules, &connectivity.rule, &connectivity.target, n_neurons)
    });

    // ---- record ----
    let record = sc.record.clone().unwrap_or_default();
    let mut record_populations = vec![false; populations.len()];
    let mut record_inputs = vec![false; inputs.len()];
    match &record.spikes {
        None => record_populations.iter_mut().for_each(|r| *r = true),
        Some(list) => {
            for (k, name) in list.iter().enumerate() {
                match lookup(name, format!("record.spikes[{k}]"))? {
                    Node::Population(p) => record_populations[p] = true,
                    Node::Input(p) => record_inputs[p] = true,
                }
            }
        }
    }
    let mut probes = Vec::new();
    let mut n_samples: u64 = 0;
    for (k, v) in record.voltage.iter().enumerate() {
        let path = format!("record.voltage[{k}]");
        let p = match lookup(&v.population, format!("{path}.population"))? {
            Node::Population(p) => p,
            Node::Input(_) => {
                return err(
                    format!("{path}.population"),
                    format!(
                        "\"{}\" is an input and has no membrane potential",
                        v.population
                    ),
                )
            }
        };
        let size = populations[p].neurons.len();
        let owner = format!("\"{}\"", v.population);
        let neurons = indices(
            &v.neurons,
            size,
            &format!("{path}.neurons"),
            &owner,
            "neurons",
        )?;
        let times = sample_times(
            v.every,
            &v.times,
            &path,
            duration,
            neurons.len(),
            &mut budget,
            "voltage",
        )?;
        n_samples += (times.len() * neurons.len()) as u64;
        if n_samples > MAX_ELEMENTS {
            return err(&path, "too many voltage samples in total");
        }
        probes.push(Probe {
            population: p,
            neurons,
            times,
        });
    }

    let mut weight_probes = Vec::new();
    for (k, w) in record.weights.iter().enumerate() {
        let path = format!("record.weights[{k}]");
        let Some(pairs) = probed_pairs.get(&w.connection) else {
            return err(
                format!("{path}.connection"),
                format!(
                    "no connection {} (there are {} connections, 0..{})",
                    w.connection,
                    sc.connections.len(),
                    sc.connections.len().saturating_sub(1)
                ),
            );
        };
        let n = pairs.len();
        let owner = format!("connection {}", w.connection);
        let chosen = indices(
            &w.synapses,
            n,
            &format!("{path}.synapses"),
            &owner,
            "synapses",
        )?;
        let times = sample_times(
            w.every,
            &w.times,
            &path,
            duration,
            chosen.len(),
            &mut budget,
            "weight",
        )?;
        let position = positions[w.connection]
            .as_ref()
            .expect("positions of a probed connection");
        let synapses = chosen
            .iter()
            .map(|&i| (i as u32, position[i], pairs[i].0, pairs[i].1))
            .collect();
        weight_probes.push(crate::network::WeightProbe {
            connection: w.connection,
            synapses,
            times,
        });
    }

    Ok(Network {
        name: sc.name.clone().unwrap_or_else(|| default_name.to_string()),
        duration,
        populations,
        inputs,
        connectivity,
        record_populations,
        record_inputs,
        probes,
        weight_probes,
        plasticity,
    })
}

/// Sampling times from `every` (from 0) or `times`, in [0, duration), ascending; charges
/// the memory of `per_time` samples per time to the budget first.
fn sample_times(
    every: Option<f64>,
    times: &Option<Vec<f64>>,
    path: &str,
    duration: f64,
    per_time: usize,
    budget: &mut Budget,
    what: &str,
) -> Res<Vec<f64>> {
    Ok(match (every, times) {
        (Some(every), None) => {
            check(&format!("{path}.every"), every, Check::Positive, " ms")?;
            let count = (duration / every).ceil();
            if count * per_time.max(1) as f64 > MAX_ELEMENTS as f64 {
                return err(
                    format!("{path}.every"),
                    format!("{every} ms gives {count} samples per element; too many"),
                );
            }
            budget.charge(
                count * (8.0 + 40.0 * per_time as f64),
                &format!("{path}.every"),
                &format!("the {what} samples"),
            )?;
            (0..count as u64)
                .map(|i| i as f64 * every)
                .filter(|&t| t < duration)
                .collect()
        }
        (None, Some(times)) => {
            budget.charge(
                times.len() as f64 * 40.0 * per_time as f64,
                &format!("{path}.times"),
                &format!("the {what} samples"),
            )?;
            let mut ts = Vec::with_capacity(times.len());
            for (m, &t) in times.iter().enumerate() {
                if !(t.is_finite() && (0.0..duration).contains(&t)) {
                    return err(
                        format!("{path}.times[{m}]"),
                        format!("must be in [0, duration) = [0, {duration}) ms, got {t}"),
                    );
                }
                ts.push(t);
            }
            ts.sort_by(f64::total_cmp);
            ts
        }
        (Some(_), Some(_)) => return err(path, "give either \"every\" or \"times\", not both"),
        (None, None) => {
            return err(
                path,
                "missing sampling: give \"every\" (ms) or \"times\" (list of ms)",
            )
        }
    })
}

/// Resolves a connection's plasticity, checking its parameters and the initial weights.
fn plasticity_rule(
    pl: &Plasticity,
    path: &str,
    weights: &[f64],
    n_stdp: &mut usize,
) -> Res<crate::plasticity::Rule> {
    match pl {
        Plasticity::Stdp(p) => {
            let pp = format!("{path}.plasticity.stdp");
            check(&format!("{pp}.tau_plus"), p.tau_plus, Check::Tau, " ms")?;
            check(&format!("{pp}.tau_minus"), p.tau_minus, Check::Tau, " ms")?;
            check(&format!("{pp}.a_plus"), p.a_plus, Check::NonNegative, "")?;
            check(&format!("{pp}.a_minus"), p.a_minus, Check::NonNegative, "")?;
            check(&format!("{pp}.w_min"), p.w_min, Check::Potential, " mV")?;
            check(&format!("{pp}.w_max"), p.w_max, Check::Potential, " mV")?;
            if p.w_min > p.w_max {
                return err(
                    format!("{pp}.w_min"),
                    format!("must be <= w_max ({} mV), got {}", p.w_max, p.w_min),
                );
            }
            if let Some((k, w)) = weights
                .iter()
                .enumerate()
                .find(|(_, &w)| w < p.w_min || w > p.w_max)
            {
                return err(
                    format!("{path}.weight"),
                    format!(
                        "synapse {k} starts at {w} mV, outside the STDP bounds [{}, {}] mV",
                        p.w_min, p.w_max
                    ),
                );
            }
            *n_stdp += 1;
            Ok(crate::plasticity::Rule::Stdp {
                p: p.clone(),
                post: *n_stdp - 1,
            })
        }
        Plasticity::TsodyksMarkram(tm) => {
            let pp = format!("{path}.plasticity.tsodyks_markram");
            if !(tm.u > 0.0 && tm.u <= 1.0) {
                return err(
                    format!("{pp}.u"),
                    format!("must be in (0, 1], got {}", tm.u),
                );
            }
            check(&format!("{pp}.tau_rec"), tm.tau_rec, Check::Tau, " ms")?;
            check(
                &format!("{pp}.tau_fac"),
                tm.tau_fac,
                Check::NonNegative,
                " ms",
            )?;
            Ok(crate::plasticity::Rule::Tm(tm.clone()))
        }
    }
}

/// `; did you mean "x"?` for the closest candidate, or nothing when none is close.
pub(crate) fn did_you_mean<'a>(name: &str, candidates: impl Iterator<Item = &'a str>) -> String {
    closest(name, candidates)
        .map(|c| format!("; did you mean \"{c}\"?"))
        .unwrap_or_default()
}

/// The closest candidate by edit distance, if it is close enough to be a likely typo.
fn closest<'a>(name: &str, candidates: impl Iterator<Item = &'a str>) -> Option<&'a str> {
    candidates
        .map(|c| (strsim::damerau_levenshtein(name, c), c))
        .filter(|(d, c)| *d <= 2.max(c.len() / 3))
        .min()
        .map(|(_, c)| c)
}

fn build_lif(p: &LifParams, n: usize, path: &str, seed: u64, pop: &str) -> Res<LifPopulation> {
    let rng = |key: &str| stream(seed, &format!("populations/{pop}/{key}"), 0);
    let what = "one per neuron";
    let get = |v: &ParamValue, key: &str, c: Check, unit: &str, rng: &mut Pcg64| {
        resolve(v, &format!("{path}.{key}"), n, what, c, unit, rng)
    };
    let tau_m = get(&p.tau_m, "tau_m", Check::Tau, " ms", &mut rng("tau_m"))?;
    let v_rest = match &p.v_rest {
        Some(v) => get(v, "v_rest", Check::Potential, " mV", &mut rng("v_rest"))?,
        None => vec![-70.0; n],
    };
    let v_th = get(&p.v_th, "v_th", Check::Potential, " mV", &mut rng("v_th"))?;
    let v_reset = match &p.v_reset {
        Some(v) => get(v, "v_reset", Check::Potential, " mV", &mut rng("v_reset"))?,
        None => v_rest.clone(),
    };
    for i in 0..n {
        if v_reset[i] >= v_th[i] {
            let (key, which) = if p.v_reset.is_some() {
                ("v_reset", "")
            } else {
                ("v_rest", " (v_reset defaults to v_rest)")
            };
            let at = if n > 1 {
                format!(" for neuron {i}")
            } else {
                String::new()
            };
            return err(
                format!("{path}.{key}"),
                format!(
                    "must be < v_th{which}: got {} >= {}{at}",
                    v_reset[i], v_th[i]
                ),
            );
        }
    }
    let t_ref = match &p.t_ref {
        Some(v) => get(v, "t_ref", Check::NonNegative, " ms", &mut rng("t_ref"))?,
        None => vec![0.0; n],
    };
    let i_bias = match &p.i_bias {
        Some(v) => get(v, "i_bias", Check::Potential, " mV", &mut rng("i_bias"))?,
        None => vec![0.0; n],
    };
    let v_init = match &p.v_init {
        Some(v) => get(v, "v_init", Check::Potential, " mV", &mut rng("v_init"))?,
        None => v_rest.clone(),
    };
    let default_receptors = vec![Receptor {
        kind: ReceptorKind::Delta,
        tau: None,
    }];
    let receptors = p.receptors.as_ref().unwrap_or(&default_receptors);
    if receptors.len() > 255 {
        return err(format!("{path}.receptors"), "at most 255 receptors");
    }
    let mut kinds = Vec::new();
    let mut chan_taus: Vec<Vec<f64>> = Vec::new();
    for (k, r) in receptors.iter().enumerate() {
        let rp = format!("receptors[{k}]");
        match (r.kind, &r.tau) {
            (ReceptorKind::Delta, None) => kinds.push(None),
            (ReceptorKind::Delta, Some(_)) => {
                return err(
                    format!("{path}.{rp}.tau"),
                    "a delta receptor has no time constant; remove \"tau\"",
                )
            }
            (kind, Some(tau)) => {
                kinds.push(Some(kind == ReceptorKind::Alpha));
                chan_taus.push(get(
                    tau,
                    &format!("{rp}.tau"),
                    Check::Tau,
                    " ms",
                    &mut rng(&format!("{rp}.tau")),
                )?);
            }
            (_, None) => {
                return err(
                    format!("{path}.{rp}"),
                    "missing field `tau` (ms): exp and alpha receptors need a time constant",
                )
            }
        }
    }
    let mut adapt_inc = Vec::new();
    for (k, a) in p.adaptation.iter().enumerate() {
        let ap = format!("adaptation[{k}]");
        chan_taus.push(get(
            &a.tau,
            &format!("{ap}.tau"),
            Check::Tau,
            " ms",
            &mut rng(&format!("{ap}.tau")),
        )?);
        adapt_inc.push(get(
            &a.increment,
            &format!("{ap}.increment"),
            Check::Potential,
            " mV",
            &mut rng(&format!("{ap}.increment")),
        )?);
    }
    let mut thr_tau = Vec::new();
    let mut thr_inc = Vec::new();
    for (k, a) in p.threshold_adaptation.iter().enumerate() {
        let ap = format!("threshold_adaptation[{k}]");
        thr_tau.push(get(
            &a.tau,
            &format!("{ap}.tau"),
            Check::Tau,
            " ms",
            &mut rng(&format!("{ap}.tau")),
        )?);
        thr_inc.push(get(
            &a.increment,
            &format!("{ap}.increment"),
            Check::NonNegative,
            " mV",
            &mut rng(&format!("{ap}.increment")),
        )?);
    }
    if chan_taus.len() + thr_tau.len() > MAX_CHANNELS {
        return err(
            path,
            format!(
                "at most {MAX_CHANNELS} exp/alpha receptors, adaptation and threshold-adaptation terms \
                 per population, got {}",
                chan_taus.len() + thr_tau.len()
            ),
        );
    }
    let layout = Layout::new(&kinds, p.adaptation.len(), p.threshold_adaptation.len());
    let neurons = (0..n)
        .map(|i| NeuronInit {
            scalars: Scalars {
                rate_m: 1.0 / tau_m[i],
                v_inf: v_rest[i] + i_bias[i],
                v_th: v_th[i],
                v_reset: v_reset[i],
                t_ref: t_ref[i],
            },
            v_init: v_init[i],
            chan_rate: chan_taus.iter().map(|t| 1.0 / t[i]).collect(),
            adapt_inc: adapt_inc.iter().map(|a| a[i]).collect(),
            thr_rate: thr_tau.iter().map(|t| 1.0 / t[i]).collect(),
            thr_inc: thr_inc.iter().map(|a| a[i]).collect(),
        })
        .collect();
    Ok(LifPopulation::new(layout, neurons))
}

fn build_qif(p: &QifParams, n: usize, path: &str, seed: u64, pop: &str) -> Res<QifPopulation> {
    let rng = |key: &str| stream(seed, &format!("populations/{pop}/{key}"), 0);
    let get = |v: &ParamValue, key: &str, c: Check, unit: &str| {
        resolve(
            v,
            &format!("{path}.{key}"),
            n,
            "one per neuron",
            c,
            unit,
            &mut rng(key),
        )
    };
    let opt = |v: &Option<ParamValue>, key: &str, c: Check, unit: &str, default: &[f64]| match v {
        Some(v) => get(v, key, c, unit),
        None => Ok(default.to_vec()),
    };
    let tau_m = get(&p.tau_m, "tau_m", Check::Tau, " ms")?;
    let v_rest = opt(
        &p.v_rest,
        "v_rest",
        Check::Potential,
        " mV",
        &vec![-70.0; n],
    )?;
    let v_crit = get(&p.v_crit, "v_crit", Check::Potential, " mV")?;
    let v_peak = get(&p.v_peak, "v_peak", Check::Potential, " mV")?;
    let v_reset = opt(&p.v_reset, "v_reset", Check::Potential, " mV", &v_rest)?;
    let t_ref = opt(&p.t_ref, "t_ref", Check::NonNegative, " ms", &vec![0.0; n])?;
    let i_bias = opt(&p.i_bias, "i_bias", Check::Potential, " mV", &vec![0.0; n])?;
    let v_init = opt(&p.v_init, "v_init", Check::Potential, " mV", &v_rest)?;
    let at = |i: usize| {
        if n > 1 {
            format!(" for neuron {i}")
        } else {
            String::new()
        }
    };
    // (checked key, its values, the bound's name, the bound's values, must be above it)
    let orders = [
        ("v_crit", &v_crit, "v_rest", &v_rest, true),
        ("v_peak", &v_peak, "v_crit", &v_crit, true),
        ("v_reset", &v_reset, "v_peak", &v_peak, false),
        ("v_init", &v_init, "v_peak", &v_peak, false),
    ];
    for (key, vals, bound_name, bound, above) in orders {
        for i in 0..n {
            let ok = if above {
                vals[i] > bound[i]
            } else {
                vals[i] < bound[i]
            };
            if !ok {
                let rel = if above { ">" } else { "<" };
                return err(
                    format!("{path}.{key}"),
                    format!(
                        "must be {rel} {bound_name} ({} mV), got {}{}",
                        bound[i],
                        vals[i],
                        at(i)
                    ),
                );
            }
        }
    }
    let mut consts = Vec::with_capacity(n);
    for i in 0..n {
        let d = v_crit[i] - v_rest[i];
        consts.push(QifConsts {
            tau: tau_m[i] * d,
            mid: 0.5 * (v_rest[i] + v_crit[i]),
            c: i_bias[i] * d - 0.25 * d * d,
            v_peak: v_peak[i],
            v_reset: v_reset[i],
            t_ref: t_ref[i],
        });
    }
    Ok(QifPopulation::new(consts, v_init))
}

fn build_input(
    inp: &Input,
    path: &str,
    seed: u64,
    duration: f64,
    budget: &mut Budget,
) -> Res<Vec<SourceTrain>> {
    let name = inp.name.as_str();
    // Refuses trains whose generation would take too long (cycles drawn) or too much memory
    // (spikes kept), before any of it happens.
    let mut guard = |cycles: f64, spikes: f64, key: &str| -> Res<()> {
        if cycles > MAX_DRAWS {
            return err(
                format!("{path}.{key}"),
                format!(
                    "would draw about {cycles:.3e} spike times (duration, rate, period and \
                     jitter together); at most {MAX_DRAWS:.0e}"
                ),
            );
        }
        budget.charge(spikes * 8.0, path, "the pregenerated input spikes")
    };
    let size_check = |size: usize| -> Res<()> {
        if size == 0 {
            return err(format!("{path}.size"), "must be >= 1");
        }
        if size as u64 > MAX_ELEMENTS {
            return err(format!("{path}.size"), format!("must be <= {MAX_ELEMENTS}"));
        }
        Ok(())
    };
    Ok(match &inp.kind {
        InputKind::SpikeTimes(s) => {
            if s.times.is_empty() {
                return err(
                    format!("{path}.times"),
                    "needs at least one list (one per source)",
                );
            }
            let mut out = Vec::with_capacity(s.times.len());
            for (i, list) in s.times.iter().enumerate() {
                for (k, &t) in list.iter().enumerate() {
                    check(
                        &format!("{path}.times[{i}][{k}]"),
                        t,
                        Check::NonNegative,
                        " ms",
                    )?;
                }
                out.push(SourceTrain::list(
                    list.iter().copied().filter(|&t| t < duration).collect(),
                ));
            }
            out
        }
        InputKind::Poisson(p) => {
            size_check(p.size)?;
            match &p.rate {
                Rate::Constant(r) => {
                    check(&format!("{path}.rate"), *r, Check::NonNegative, " Hz")?;
                }
                Rate::Sinusoidal(s) => {
                    check(
                        &format!("{path}.rate.mean"),
                        s.mean,
                        Check::NonNegative,
                        " Hz",
                    )?;
                    check(
                        &format!("{path}.rate.amplitude"),
                        s.amplitude,
                        Check::Finite,
                        " Hz",
                    )?;
                    check(
                        &format!("{path}.rate.frequency"),
                        s.frequency,
                        Check::NonNegative,
                        " Hz",
                    )?;
                    check(
                        &format!("{path}.rate.phase"),
                        s.phase,
                        Check::Finite,
                        " rad",
                    )?;
                }
            }
            let start = check(
                &format!("{path}.start"),
                p.start.unwrap_or(0.0),
                Check::NonNegative,
                " ms",
            )?;
            let stop = check(
                &format!("{path}.stop"),
                p.stop.unwrap_or(duration),
                Check::NonNegative,
                " ms",
            )?
            .min(duration);
            if p.stop.is_some_and(|s| s < start) {
                return err(
                    format!("{path}.stop"),
                    format!("must be >= start ({start} ms)"),
                );
            }
            // Poisson trains are drawn lazily during the run: only their state is kept.
            guard(0.0, 8.0 * p.size as f64, "rate")?;
            input::poisson(seed, name, p.size, &p.rate, start, stop)
        }
        InputKind::Periodic(p) => {
            size_check(p.size)?;
            check(&format!("{path}.period"), p.period, Check::Positive, " ms")?;
            let phase = check(
                &format!("{path}.phase"),
                p.phase.unwrap_or(0.0),
                Check::Finite,
                " ms",
            )?;
            let jitter = check(
                &format!("{path}.jitter"),
                p.jitter.unwrap_or(0.0),
                Check::NonNegative,
                " ms",
            )?;
            let cycles = ((duration + 20.0 * jitter) / p.period + 1.0) * p.size as f64;
            let spikes = (duration / p.period + 1.0) * p.size as f64;
            guard(cycles, spikes, "period")?;
            input::periodic(seed, name, p.size, p.period, phase, jitter, duration)
        }
        InputKind::PhaseLocked(p) => {
            size_check(p.size)?;
            check(
                &format!("{path}.frequency"),
                p.frequency,
                Check::Positive,
                " Hz",
            )?;
            check(&format!("{path}.rate"), p.rate, Check::NonNegative, " Hz")?;
            if p.rate > p.frequency {
                return err(
                    format!("{path}.rate"),
                    format!(
                        "must be <= frequency ({} Hz): at most one spike per cycle, got {}",
                        p.frequency, p.rate
                    ),
                );
            }
            check(
                &format!("{path}.jitter"),
                p.jitter,
                Check::NonNegative,
                " ms",
            )?;
            let phase = check(
                &format!("{path}.phase"),
                p.phase.unwrap_or(0.0),
                Check::Finite,
                " rad",
            )?;
            let delay = p.delay.clone().unwrap_or(Itd::Constant(0.0));
            match &delay {
                Itd::Constant(d) => {
                    check(&format!("{path}.delay"), *d, Check::Finite, " ms")?;
                }
                Itd::Moving(m) => {
                    check(
                        &format!("{path}.delay.offset"),
                        m.offset,
                        Check::Finite,
                        " ms",
                    )?;
                    check(
                        &format!("{path}.delay.amplitude"),
                        m.amplitude,
                        Check::Finite,
                        " ms",
                    )?;
                    check(
                        &format!("{path}.delay.period"),
                        m.period,
                        Check::Positive,
                        " ms",
                    )?;
                    check(
                        &format!("{path}.delay.phase"),
                        m.phase,
                        Check::Finite,
                        " rad",
                    )?;
                }
            }
            let reach = match &delay {
                Itd::Constant(d) => d.abs(),
                Itd::Moving(m) => m.offset.abs() + m.amplitude.abs(),
            } + 10.0 * p.jitter;
            let cycles = ((duration + 2.0 * reach) * p.frequency / 1000.0 + 1.0) * p.size as f64;
            let spikes = (duration * p.rate / 1000.0 + 1.0) * p.size as f64;
            guard(cycles, spikes, "frequency")?;
            input::phase_locked(
                seed,
                name,
                p.size,
                p.frequency,
                p.rate,
                p.jitter,
                phase,
                &delay,
                duration,
            )
        }
    })
}

fn generate_pairs(
    rule: &Rule,
    path: &str,
    ns: usize,
    nt: usize,
    same: bool,
    autapses: bool,
    rng: &mut Pcg64,
) -> Res<Vec<(u32, u32)>> {
    let skip = |i: usize, j: usize| same && !autapses && i == j;
    let guard = |count: f64| -> Res<()> {
        if count > MAX_ELEMENTS as f64 {
            return err(
                path,
                format!("would create about {count:.3e} synapses; at most {MAX_ELEMENTS}"),
            );
        }
        Ok(())
    };
    let mut out = Vec::new();
    match rule {
        Rule::AllToAll => {
            guard(ns as f64 * nt as f64)?;
            out.reserve(ns * nt);
            for i in 0..ns {
                for j in 0..nt {
                    if !skip(i, j) {
                        out.push((i as u32, j as u32));
                    }
                }
            }
        }
        Rule::OneToOne => {
            if ns != nt {
                return err(
                    path,
                    format!("one_to_one needs equal sizes, got {ns} sources and {nt} targets"),
                );
            }
            if same && !autapses {
                return err(path, "one_to_one within one population connects each neuron to itself; set \"autapses\": true");
            }
            out.extend((0..ns as u32).map(|i| (i, i)));
        }
        Rule::FixedProbability(p) => {
            if !(0.0..=1.0).contains(p) {
                return err(
                    format!("{path}.fixed_probability"),
                    format!("must be in [0, 1], got {p}"),
                );
            }
            guard(ns as f64 * nt as f64 * p)?;
            // `random::<f64>() < p` without the float: that draw is (x >> 11) · 2^-53 for a
            // 64-bit x, so it is below p exactly when x >> 11 is below ⌈p · 2^53⌉ (p · 2^53
            // is exact; an integer product gives the same strict test). Same stream, same
            // network, fewer instructions in the loop that dominates building large networks.
            let below = (p * (1u64 << 53) as f64).ceil() as u64;
            for i in 0..ns {
                for j in 0..nt {
                    if !skip(i, j) && (rng.random::<u64>() >> 11) < below {
                        out.push((i as u32, j as u32));
                    }
                }
            }
        }
        Rule::FixedIndegree(k) => {
            let avail = if same && !autapses { ns - 1 } else { ns };
            if *k > avail {
                return err(
                    format!("{path}.fixed_indegree"),
                    format!(
                        "{k} is more than the {avail} distinct sources available{}",
                        if same && !autapses {
                            " (autapses excluded)"
                        } else {
                            ""
                        }
                    ),
                );
            }
            guard(nt as f64 * *k as f64)?;
            out.reserve(nt * k);
            for j in 0..nt {
                for i in choose(rng, ns, *k, same && !autapses, j) {
                    out.push((i as u32, j as u32));
                }
            }
            // source-major order: a stable counting sort by source keeps targets ascending
            out = sort_by_source(out, ns);
        }
        Rule::FixedOutdegree(k) => {
            let avail = if same && !autapses { nt - 1 } else { nt };
            if *k > avail {
                return err(
                    format!("{path}.fixed_outdegree"),
                    format!(
                        "{k} is more than the {avail} distinct targets available{}",
                        if same && !autapses {
                            " (autapses excluded)"
                        } else {
                            ""
                        }
                    ),
                );
            }
            guard(ns as f64 * *k as f64)?;
            for i in 0..ns {
                let mut js = choose(rng, nt, *k, same && !autapses, i);
                js.sort_unstable();
                out.extend(js.into_iter().map(|j| (i as u32, j as u32)));
            }
        }
        Rule::Pairs(pairs) => {
            for (m, &[i, j]) in pairs.iter().enumerate() {
                if i >= ns {
                    return err(
                        format!("{path}.pairs[{m}][0]"),
                        format!("source index {i} out of range (0..{})", ns - 1),
                    );
                }
                if j >= nt {
                    return err(
                        format!("{path}.pairs[{m}][1]"),
                        format!("target index {j} out of range (0..{})", nt - 1),
                    );
                }
                if skip(i, j) {
                    return err(format!("{path}.pairs[{m}]"), "an autapse (i -> i within one population); set \"autapses\": true to allow it");
                }
                out.push((i as u32, j as u32));
            }
        }
    }
    Ok(out)
}

/// The indices a probe lists (all of `0..n` when it lists none), each checked to be below
/// `n`; an error names `path[m]` and says that `owner` has `n` `noun`.
fn indices(
    list: &Option<Vec<usize>>,
    n: usize,
    path: &str,
    owner: &str,
    noun: &str,
) -> Res<Vec<usize>> {
    let Some(list) = list else {
        return Ok((0..n).collect());
    };
    if let Some((m, i)) = list.iter().enumerate().find(|(_, &i)| i >= n) {
        return err(
            format!("{path}[{m}]"),
            format!("index {i} out of range: {owner} has {n} {noun}"),
        );
    }
    Ok(list.clone())
}

/// Pairs reordered by source, stably (counting sort: O(n), one extra buffer).
fn sort_by_source(pairs: Vec<(u32, u32)>, ns: usize) -> Vec<(u32, u32)> {
    let mut start = vec![0usize; ns + 1];
    for &(i, _) in &pairs {
        start[i as usize + 1] += 1;
    }
    for i in 0..ns {
        start[i + 1] += start[i];
    }
    let mut out = vec![(0, 0); pairs.len()];
    for p in pairs {
        let k = &mut start[p.0 as usize];
        out[*k] = p;
        *k += 1;
    }
    out
}

/// `k` distinct indices from `0..n`, excluding `exclude` when `skip` is set; ascending.
fn choose(rng: &mut Pcg64, n: usize, k: usize, skip: bool, exclude: usize) -> Vec<usize> {
    let m = if skip { n - 1 } else { n };
    let mut picked: Vec<usize> = rand::seq::index::sample(rng, m, k).into_iter().collect();
    if skip {
        for v in &mut picked {
            if *v >= exclude {
                *v += 1;
            }
        }
    }
    picked.sort_unstable();
    picked
}
