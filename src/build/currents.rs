//! Stage 4b: injected currents, checked and resolved to their populations.

use super::names::Names;
use super::values::{err, steps, Check, Res, MAX_ELEMENTS};
use super::Budget;
use crate::ids::PopulationId;
use crate::network::{CurrentSteps, PopulationEntry};
use crate::neuron::NeuronModel;
use crate::scenario::Scenario;

/// Every current of `sc`; the populations they drive are told to expect a changing drive.
pub(crate) fn build(
    sc: &Scenario,
    names: &Names<'_>,
    populations: &mut [PopulationEntry],
    budget: &mut Budget,
) -> Res<Vec<CurrentSteps>> {
    let mut out = Vec::with_capacity(sc.currents.len());
    // (which neurons a current lists, reset after each: one scratch for all currents)
    let mut seen: Vec<bool> = Vec::new();
    for (k, c) in sc.currents.iter().enumerate() {
        let path = format!("currents[{k}]");
        let p = names.population(
            &c.to,
            format!("{path}.to"),
            "; currents drive a neuron population",
        )?;
        let size = populations[p].neurons.len();
        let n_times = c.times.len() as u64;
        let n_neurons = c.neurons.as_ref().map_or(size, Vec::len) as u64;
        if n_times > MAX_ELEMENTS || n_neurons > MAX_ELEMENTS {
            return err(&path, format!("more than {MAX_ELEMENTS} times or neurons"));
        }
        budget.charge(
            16.0 * n_times as f64 + 4.0 * n_neurons as f64,
            &path,
            "the current's steps and neurons",
        )?;
        steps(
            &path,
            ("times", &c.times),
            ("amplitudes", &c.amplitudes),
            Check::Potential,
            " mV",
        )?;
        let neurons = match &c.neurons {
            None => (0..size as u32).collect(),
            Some(list) => {
                seen.resize(seen.len().max(size), false);
                let mut neurons = Vec::with_capacity(list.len());
                for (j, &i) in list.iter().enumerate() {
                    let at = || format!("{path}.neurons[{j}]");
                    let Some(s) = seen.get_mut(i as usize).filter(|_| i < size as u64) else {
                        return err(
                            at(),
                            format!("must be < {size} (the size of \"{}\"), got {i}", c.to),
                        );
                    };
                    if std::mem::replace(s, true) {
                        return err(at(), format!("neuron {i} is listed twice"));
                    }
                    neurons.push(i as u32);
                }
                for &i in &neurons {
                    seen[i as usize] = false;
                }
                neurons
            }
        };
        populations[p].neurons.expect_drive();
        // A step to the amplitude already in force changes nothing, and is dropped so that it
        // does not split a neuron's propagation either: such steps are bit-neutral.
        let (mut times, mut amplitudes) = (Vec::new(), Vec::new());
        let mut level = 0.0;
        for (&t, &a) in c.times.iter().zip(&c.amplitudes) {
            if a != level {
                times.push(t);
                amplitudes.push(a);
                level = a;
            }
        }
        out.push(CurrentSteps {
            population: PopulationId::new(p),
            neurons,
            times,
            amplitudes,
        });
    }
    Ok(out)
}
