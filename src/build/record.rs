//! What to record: spikes of which populations and inputs, voltage probes, weight probes.

use super::connections::Built;
use super::names::{Names, Node};
use super::values::{check, err, Check, Res, MAX_ELEMENTS};
use super::Budget;
use crate::ids::{ConnectionId, PopulationId, SynapseId};
use crate::network::{PopulationEntry, Probe, ProbedSynapse, WeightProbe};
use crate::neuron::NeuronModel;
use crate::records::VoltageSample;
use crate::scenario::{Record, Scenario};

/// The recording set-up of a network.
pub(crate) struct Recording {
    pub populations: Vec<bool>,
    pub inputs: Vec<bool>,
    pub probes: Vec<Probe>,
    pub weight_probes: Vec<WeightProbe>,
}

/// Resolves `sc.record` against the built populations and connections.
pub(crate) fn build(
    sc: &Scenario,
    names: &Names,
    populations: &[PopulationEntry],
    connections: &Built,
    budget: &mut Budget,
) -> Res<Recording> {
    let record = sc.record.clone().unwrap_or_default();
    let mut rec = Recording {
        populations: vec![false; sc.populations.len()],
        inputs: vec![false; sc.inputs.len()],
        probes: Vec::new(),
        weight_probes: Vec::new(),
    };
    match &record.spikes {
        None => rec.populations.iter_mut().for_each(|r| *r = true),
        Some(list) => {
            for (k, name) in list.iter().enumerate() {
                match names.lookup(name, format!("record.spikes[{k}]"))? {
                    Node::Population(p) => rec.populations[p] = true,
                    Node::Input(p) => rec.inputs[p] = true,
                }
            }
        }
    }
    rec.probes = voltage_probes(&record, sc.duration, names, populations, budget)?;
    rec.weight_probes = weight_probes(sc, &record, connections, budget)?;
    Ok(rec)
}

fn voltage_probes(
    record: &Record,
    duration: f64,
    names: &Names,
    populations: &[PopulationEntry],
    budget: &mut Budget,
) -> Res<Vec<Probe>> {
    let mut probes = Vec::new();
    let mut n_samples: u64 = 0;
    // voltage probes, then state probes: (path, population, variable, neurons, every, times)
    let voltage = record.voltage.iter().enumerate().map(|(k, v)| {
        let path = format!("record.voltage[{k}]");
        (path, &v.population, None, &v.neurons, v.every, &v.times)
    });
    let state = record.state.iter().enumerate().map(|(k, v)| {
        let path = format!("record.state[{k}]");
        (
            path,
            &v.population,
            Some(&v.variable),
            &v.neurons,
            v.every,
            &v.times,
        )
    });
    for (path, population, variable, chosen, every, at) in voltage.chain(state) {
        let p = names.population(
            population,
            format!("{path}.population"),
            if variable.is_some() {
                " and has no state variables"
            } else {
                " and has no membrane potential"
            },
        )?;
        let model = &populations[p].neurons;
        let variable = match variable {
            None => VoltageSample::MEMBRANE,
            Some(name) => {
                let known = model.variables();
                match known.iter().position(|v| v == name) {
                    Some(k) => k as u32,
                    None => {
                        return err(
                            format!("{path}.variable"),
                            format!(
                                "{name:?} is not a variable of \"{population}\" (its model has {known:?})"
                            ),
                        )
                    }
                }
            }
        };
        let size = model.len();
        let owner = format!("\"{population}\"");
        let neurons = indices(chosen, size, &format!("{path}.neurons"), &owner, "neurons")?;
        let sampling = Sampling {
            every,
            times: at,
            path: &path,
            duration,
        };
        let what = if path.starts_with("record.state") {
            "state"
        } else {
            "voltage"
        };
        let times = sampling.times(neurons.len(), budget, what)?;
        n_samples += (times.len() * neurons.len()) as u64;
        if n_samples > MAX_ELEMENTS {
            return err(&path, "too many voltage and state samples in total");
        }
        probes.push(Probe {
            population: PopulationId::new(p),
            neurons,
            times,
            variable,
        });
    }
    Ok(probes)
}

fn weight_probes(
    sc: &Scenario,
    record: &Record,
    connections: &Built,
    budget: &mut Budget,
) -> Res<Vec<WeightProbe>> {
    let mut probes = Vec::new();
    for (k, w) in record.weights.iter().enumerate() {
        let path = format!("record.weights[{k}]");
        let Some((pairs, position)) = connections.probed.get(&w.connection) else {
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
        let owner = format!("connection {}", w.connection);
        let chosen = indices(
            &w.synapses,
            pairs.len(),
            &format!("{path}.synapses"),
            &owner,
            "synapses",
        )?;
        let sampling = Sampling {
            every: w.every,
            times: &w.times,
            path: &path,
            duration: sc.duration,
        };
        let times = sampling.times(chosen.len(), budget, "weight")?;
        let synapses = chosen
            .iter()
            .map(|&i| ProbedSynapse {
                index: i as u32,
                synapse: SynapseId(position[i]),
                source: pairs[i].0,
                target: pairs[i].1,
            })
            .collect();
        probes.push(WeightProbe {
            connection: ConnectionId::new(w.connection),
            synapses,
            times,
        });
    }
    Ok(probes)
}

/// A probe's sampling: `every` ms from 0, or listed `times`.
struct Sampling<'a> {
    every: Option<f64>,
    times: &'a Option<Vec<f64>>,
    path: &'a str,
    duration: f64,
}

impl Sampling<'_> {
    /// Sampling times in [0, duration), ascending; charges the memory of `per_time`
    /// samples per time to the budget first.
    fn times(&self, per_time: usize, budget: &mut Budget, what: &str) -> Res<Vec<f64>> {
        let (path, duration) = (self.path, self.duration);
        Ok(match (self.every, self.times) {
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
