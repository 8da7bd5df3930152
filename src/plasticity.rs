//! Synaptic plasticity at exact spike times: pair-based STDP with exponential traces, and
//! Tsodyks–Markram short-term depression/facilitation.
//!
//! Weights live in the connectivity's weight array and are changed in place. Traces decay
//! analytically between events (each stores the time of its last update), so changes happen
//! at the exact spike times, with no grid. Conventions (also in docs/semantics.md):
//!
//! * a presynaptic spike counts at its **arrival** at the target (spike time + delay); a
//!   postsynaptic spike counts at its **emission** time; Δt = t_post − t_pre;
//! * at an arrival, depression from earlier postsynaptic spikes is applied first, then the
//!   spike is delivered with the updated weight;
//! * potentiation for a postsynaptic spike at t is applied at the end of the instant t,
//!   after every arrival at t: a pre/post pair at exactly the same time (Δt = 0) counts as
//!   potentiation, Δw = a_plus (the arrival may have caused the spike).

use crate::ids::NeuronId;

/// The rule index of a synapse without plasticity (here, not in the connectivity that
/// stores rule indices, so that plasticity does not depend on the network that holds it).
pub const STATIC: u16 = u16::MAX;

/// Pair-based STDP parameters (times in ms, weights in mV).
#[derive(Clone, Debug, PartialEq)]
pub struct Stdp {
    /// Potentiation time constant \[ms\].
    pub tau_plus: f64,
    /// Depression time constant \[ms\].
    pub tau_minus: f64,
    /// Potentiation amplitude \[mV\] (additive) or factor (multiplicative).
    pub a_plus: f64,
    /// Depression amplitude \[mV\] (additive) or factor (multiplicative).
    pub a_minus: f64,
    /// Lower weight bound \[mV\].
    pub w_min: f64,
    /// Upper weight bound \[mV\].
    pub w_max: f64,
    /// How a change scales with the weight.
    pub rule: StdpRule,
    /// Which spike pairs count.
    pub pairing: Pairing,
}

/// How an STDP weight change scales with the weight.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum StdpRule {
    /// Δw = ±a·trace, then clipped to [w_min, w_max].
    Additive,
    /// Δw = +a_plus·(w_max − w)·trace or −a_minus·(w − w_min)·trace.
    Multiplicative,
}

/// Which pre/post spike pairs count.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Pairing {
    /// Every pair.
    AllToAll,
    /// Each spike with the most recent spike of the other side.
    Nearest,
}

/// Tsodyks–Markram short-term plasticity parameters.
#[derive(Clone, Debug, PartialEq)]
pub struct TsodyksMarkram {
    /// Utilization U, in (0, 1].
    pub u: f64,
    /// Recovery time constant \[ms\].
    pub tau_rec: f64,
    /// Facilitation time constant \[ms\] (0: none).
    pub tau_fac: f64,
}

/// A connection's plasticity, resolved.
#[derive(Clone, Debug)]
pub enum Rule {
    /// STDP; `post` indexes the postsynaptic trace table it uses.
    Stdp {
        /// Parameters.
        p: Stdp,
        /// Index of its postsynaptic trace table.
        post: usize,
    },
    /// Short-term plasticity.
    Tm(TsodyksMarkram),
}

/// Per-synapse and per-neuron plasticity state (only built when a connection is plastic).
#[derive(Clone, Debug, Default)]
pub struct State {
    /// Rules, indexed by the connectivity's `rule` array.
    pub rules: Vec<Rule>,
    /// Per synapse: STDP presynaptic trace x, or TM utilization u.
    trace: Vec<f64>,
    /// Per synapse: TM available resources R.
    resources: Vec<f64>,
    /// Per synapse: time of the last presynaptic arrival.
    last: Vec<f64>,
    /// Per STDP rule, per neuron: postsynaptic trace y and the time it refers to.
    post_trace: Vec<Vec<f64>>,
    post_last: Vec<Vec<f64>>,
    /// Incoming STDP synapses per neuron (CSR transpose).
    in_offsets: Vec<u32>,
    in_syn: Vec<u32>,
    /// Neurons that fired in the current instant (potentiation is deferred to its end).
    fired: Vec<u32>,
}

impl State {
    /// State for `rules` over synapses with rule indices `syn_rule` and targets `target`.
    pub fn new(rules: Vec<Rule>, syn_rule: &[u16], target: &[NeuronId], n_neurons: usize) -> State {
        let n = syn_rule.len();
        let n_post = rules
            .iter()
            .filter(|r| matches!(r, Rule::Stdp { .. }))
            .count();
        let is_stdp = |r: u16| r != STATIC && matches!(rules[r as usize], Rule::Stdp { .. });
        let mut in_offsets = vec![0u32; n_neurons + 1];
        for k in 0..n {
            if is_stdp(syn_rule[k]) {
                in_offsets[target[k].index() + 1] += 1;
            }
        }
        for i in 0..n_neurons {
            in_offsets[i + 1] += in_offsets[i];
        }
        let mut fill = in_offsets.clone();
        let mut in_syn = vec![0u32; in_offsets[n_neurons] as usize];
        for k in 0..n {
            if is_stdp(syn_rule[k]) {
                let t = target[k].index();
                in_syn[fill[t] as usize] = k as u32;
                fill[t] += 1;
            }
        }
        State {
            trace: vec![0.0; n],
            resources: vec![1.0; n],
            last: vec![f64::NEG_INFINITY; n],
            post_trace: vec![vec![0.0; n_neurons]; n_post],
            post_last: vec![vec![f64::NEG_INFINITY; n_neurons]; n_post],
            in_offsets,
            in_syn,
            fired: Vec::new(),
            rules,
        }
    }

    /// A presynaptic spike arrives on synapse `k` (target neuron `target`) at `t`: updates
    /// the weight `w` in place and returns the amplitude to deliver.
    #[inline]
    pub fn on_arrival(
        &mut self,
        rule: u16,
        k: usize,
        target: NeuronId,
        t: f64,
        w: &mut f64,
    ) -> f64 {
        match &self.rules[rule as usize] {
            Rule::Stdp { p, post } => {
                let i = target.index();
                // depression by earlier postsynaptic spikes (strictly before t: those at t
                // are registered only at the end of the instant)
                let y =
                    self.post_trace[*post][i] * decay(t - self.post_last[*post][i], p.tau_minus);
                if y > 0.0 {
                    let dw = match p.rule {
                        StdpRule::Additive => -p.a_minus * y,
                        StdpRule::Multiplicative => -p.a_minus * (*w - p.w_min) * y,
                    };
                    *w = (*w + dw).clamp(p.w_min, p.w_max);
                }
                let x = self.trace[k] * decay(t - self.last[k], p.tau_plus);
                self.trace[k] = match p.pairing {
                    Pairing::AllToAll => x + 1.0,
                    Pairing::Nearest => 1.0,
                };
                self.last[k] = t;
                *w
            }
            Rule::Tm(tm) => {
                let dt = t - self.last[k];
                let (u0, r0) = (self.trace[k], self.resources[k]);
                let r = 1.0 - (1.0 - r0 * (1.0 - u0)) * decay(dt, tm.tau_rec);
                let u = tm.u + u0 * (1.0 - tm.u) * decay(dt, tm.tau_fac);
                self.trace[k] = u;
                self.resources[k] = r;
                self.last[k] = t;
                *w * u * r
            }
        }
    }

    /// Neuron `i` fired at the current instant; potentiation is applied by
    /// [`end_of_instant`](Self::end_of_instant).
    #[inline]
    pub fn on_post(&mut self, n: NeuronId) {
        if self.in_offsets[n.index()] != self.in_offsets[n.index() + 1] {
            self.fired.push(n.0);
        }
    }

    /// Applies potentiation for the spikes of this instant (at `t`) and advances the
    /// postsynaptic traces.
    pub fn end_of_instant(&mut self, t: f64, weights: &mut [f64], syn_rule: &[u16]) {
        for f in 0..self.fired.len() {
            let i = self.fired[f] as usize;
            for &k in &self.in_syn[self.in_offsets[i] as usize..self.in_offsets[i + 1] as usize] {
                let k = k as usize;
                let Rule::Stdp { p, .. } = &self.rules[syn_rule[k] as usize] else {
                    continue;
                };
                let x = self.trace[k] * decay(t - self.last[k], p.tau_plus);
                if x > 0.0 {
                    let w = &mut weights[k];
                    let dw = match p.rule {
                        StdpRule::Additive => p.a_plus * x,
                        StdpRule::Multiplicative => p.a_plus * (p.w_max - *w) * x,
                    };
                    *w = (*w + dw).clamp(p.w_min, p.w_max);
                }
            }
            for r in &self.rules {
                if let Rule::Stdp { p, post } = r {
                    let y = self.post_trace[*post][i]
                        * decay(t - self.post_last[*post][i], p.tau_minus);
                    self.post_trace[*post][i] = match p.pairing {
                        Pairing::AllToAll => y + 1.0,
                        Pairing::Nearest => 1.0,
                    };
                    self.post_last[*post][i] = t;
                }
            }
        }
        self.fired.clear();
    }

    /// True if some neuron fired in this instant and awaits [`end_of_instant`](Self::end_of_instant).
    #[inline]
    pub fn pending(&self) -> bool {
        !self.fired.is_empty()
    }
}

/// exp(−dt/tau) for dt ≥ 0, and 0 for tau = 0 (no memory) or dt = ∞.
#[inline]
fn decay(dt: f64, tau: f64) -> f64 {
    if tau > 0.0 {
        (-dt / tau).exp()
    } else {
        0.0
    }
}
