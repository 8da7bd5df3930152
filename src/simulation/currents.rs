//! Injected currents: each step changes its neurons' drive at its instant (a sinusoidal
//! current's steps switch its sinusoid on and off).

use super::Simulation;
use crate::ids::NeuronId;
use crate::neuron::waves::{Oscillation, Sine};
use crate::neuron::NeuronModel;
use crate::queue::Event;

/// The run's side of the network's currents: each one's next step and present amplitude,
/// and per neuron which currents drive it (their amplitudes add, in the network's order).
#[derive(Debug, Default)]
pub(super) struct Drives {
    next: Vec<usize>,
    value: Vec<f64>,
    /// Each current's oscillation, if it is sinusoidal.
    sine: Vec<Option<Oscillation>>,
    /// Per neuron (global index), `starts[g]..starts[g + 1]` indexes `by_neuron`; empty
    /// without currents.
    starts: Vec<u32>,
    by_neuron: Vec<u32>,
}

impl Drives {
    /// The drives of `net`'s currents, all 0 until their first step.
    pub(super) fn new(net: &crate::network::Network) -> Drives {
        if net.currents.is_empty() {
            return Drives::default();
        }
        let mut count = vec![0u32; net.n_neurons() + 1];
        let global = |c: &crate::network::CurrentSteps, i: u32| {
            net.populations[c.population.index()].offset.index() + i as usize
        };
        for c in &net.currents {
            for &i in &c.neurons {
                count[global(c, i) + 1] += 1;
            }
        }
        for g in 1..count.len() {
            count[g] += count[g - 1];
        }
        let mut fill = count.clone();
        let mut by_neuron = vec![0; *count.last().unwrap_or(&0) as usize];
        for (k, c) in net.currents.iter().enumerate() {
            for &i in &c.neurons {
                let at = &mut fill[global(c, i)];
                by_neuron[*at as usize] = k as u32;
                *at += 1;
            }
        }
        Drives {
            sine: net.currents.iter().map(|c| c.sine).collect(),
            next: vec![0; net.currents.len()],
            value: vec![0.0; net.currents.len()],
            starts: count,
            by_neuron,
        }
    }

    /// The currents that drive neuron `g`, in the network's order.
    fn on(&self, g: usize) -> impl Iterator<Item = usize> + '_ {
        let (a, b) = (self.starts[g] as usize, self.starts[g + 1] as usize);
        self.by_neuron[a..b].iter().map(|&k| k as usize)
    }

    /// Neuron `g`'s drive: the amplitudes of the step currents that drive it, summed in
    /// order.
    fn of(&self, g: usize) -> f64 {
        self.on(g)
            .filter(|&k| self.sine[k].is_none())
            .fold(0.0, |sum, k| sum + self.value[k])
    }

    /// Neuron `g`'s sinusoidal drives in force, in order, into `out`.
    fn sines_of(&self, g: usize, out: &mut Vec<Sine>) {
        out.clear();
        out.extend(self.on(g).filter_map(|k| {
            let osc = self.sine[k]?;
            (self.value[k] != 0.0).then_some(Sine {
                amp: self.value[k],
                osc,
            })
        }));
    }
}

impl Simulation {
    /// Queues current `c`'s next step, if any.
    pub(super) fn schedule_current(&mut self, c: usize) {
        let steps = &self.net.currents[c];
        if let Some(&t) = steps.times.get(self.drives.next[c]) {
            self.queue.push(t, Event::Current { current: c as u32 });
        }
    }

    /// Current `c` takes its next amplitude at `t`: each neuron it drives (of this
    /// partition) is brought to `t`, takes its new drive and is settled at the instant's end.
    pub(super) fn step_current(&mut self, c: usize, t: f64) {
        let k = self.drives.next[c];
        self.drives.value[c] = self.net.currents[c].amplitudes[k];
        self.drives.next[c] = k + 1;
        let steps = &self.net.currents[c];
        let p = steps.population.index();
        let sine = steps.sine.is_some();
        let mut sines = Vec::new();
        let offset = self.net.populations[p].offset.index();
        for j in 0..steps.neurons.len() {
            let i = self.net.currents[c].neurons[j] as usize;
            let g = offset + i;
            if !self.owned.contains(&(g as u32)) {
                continue;
            }
            let pop = &mut self.net.populations[p].neurons;
            pop.advance(i, t);
            if sine {
                self.drives.sines_of(g, &mut sines);
                pop.set_sines(i, &sines);
            } else {
                pop.set_drive(i, self.drives.of(g));
            }
            self.mark(NeuronId::new(g));
        }
        self.schedule_current(c);
    }
}
