//! Voltage and weight probes: their samples and the scheduling of the next one.

use super::Simulation;
use crate::neuron::NeuronModel;
use crate::queue::Event;
use crate::records::{VoltageSample, WeightSample};

impl Simulation {
    /// Queues probe `p`'s next sampling time, if any.
    pub(super) fn schedule_probe(&mut self, p: usize) {
        if let Some(&t) = self.net.probes[p].times.get(self.probe_next[p]) {
            self.queue.push(t, Event::Sample { probe: p as u32 });
        }
    }

    /// Queues weight probe `p`'s next sampling time, if any.
    pub(super) fn schedule_weight_probe(&mut self, p: usize) {
        if let Some(&t) = self.net.weight_probes[p]
            .times
            .get(self.weight_probe_next[p])
        {
            self.queue.push(t, Event::WeightSample { probe: p as u32 });
        }
    }

    /// Records weight probe `probe`'s synapses (those stored here) at `t`.
    pub(super) fn sample_weights(&mut self, probe: usize, t: f64) {
        let pr = &self.net.weight_probes[probe];
        for (order, ps) in pr.synapses.iter().enumerate() {
            if ps.synapse.0 == u32::MAX {
                continue; // stored in another partition
            }
            self.out.weights.push(WeightSample {
                probe: probe as u32,
                order: order as u32,
                connection: pr.connection.0,
                synapse: ps.index,
                source: ps.source,
                target: ps.target,
                time: t,
                weight: self.net.connectivity.weight[ps.synapse.index()],
            });
        }
        self.weight_probe_next[probe] += 1;
        self.schedule_weight_probe(probe);
    }

    /// Records probe `probe`'s potentials (of the neurons owned here) at `t`.
    pub(super) fn sample(&mut self, probe: usize, t: f64) {
        let pr = &self.net.probes[probe];
        let pop = &self.net.populations[pr.population.index()].neurons;
        let first = self.net.populations[pr.population.index()].offset.0;
        for (order, &i) in pr.neurons.iter().enumerate() {
            if !self.owned.contains(&(first + i as u32)) {
                continue; // owned by another partition
            }
            self.out.voltages.push(VoltageSample {
                probe: probe as u32,
                order: order as u32,
                population: pr.population.0,
                neuron: i as u32,
                time: t,
                v: if pr.variable == VoltageSample::MEMBRANE {
                    pop.v_at(i, t)
                } else {
                    pop.value_at(i, pr.variable as usize, t)
                },
                variable: pr.variable,
            });
        }
        self.probe_next[probe] += 1;
        self.schedule_probe(probe);
    }
}
