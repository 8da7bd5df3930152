//! Exact gradients of a loss on spike times, by the adjoint method run backward through the
//! exact event sequence (EventProp, generalised to a reset to `v_reset`, a refractory hold,
//! bias, exp/alpha receptors, adaptation and adaptive thresholds, and any linear neuron;
//! derivation in `docs/gradients.md`).
//!
//! The forward pass is the engine's own run (the same spikes as `exactspike run`). The
//! backward pass replays each neuron through its arrivals and spikes (closed form, no time
//! step), then runs the adjoint backward in global time order: between events in closed
//! form, at each spike the jump condition that moves the loss's sensitivity to the spike
//! time onto the state and, through the arrival times `t_spike + delay`, onto the spiking
//! neuron's inputs. Memory: the replayed state at each arrival and spike — proportional to
//! the number of events, not to the simulated time.
//!
//! ```
//! use exactspike::gradient::{evaluate, Loss};
//! let sc = exactspike::scenario::parse_str(r#"{
//!   "duration": 30,
//!   "populations": [{"name": "out", "size": 1, "model": "lif",
//!     "params": {"tau_m": 10, "v_th": -55, "receptors": [{"kind": "exp", "tau": 5}]}}],
//!   "inputs": [{"name": "in", "kind": "spike_times", "times": [[1.0, 2.0]]}],
//!   "connections": [{"from": "in", "to": "out", "rule": "all_to_all", "weight": 60, "delay": 1}]
//! }"#).unwrap();
//! // fire at 3 ms, please (it fires later)
//! let loss = Loss::SpikeTimes { population: "out".into(), targets: vec![vec![3.0]] };
//! let ev = evaluate(&sc, &loss, &Default::default()).unwrap();
//! let (_, t) = ev.output.spikes_of("out").unwrap();
//! assert!(t[0] > 3.0);
//! // a stronger synapse makes the neuron fire earlier, which lowers the loss
//! assert!(ev.gradients.connections[0].weight[0] < 0.0);
//! ```

mod linear;
pub mod loss;
mod tape;

pub use loss::Loss;

use crate::build::{self, BuildOptions};
use crate::error::ScenarioError;
use crate::neuron::lif::{Layout, Slot};
use crate::neuron::Population as Pop;
use crate::records::{Output, Stop, StopFlag};
use crate::scenario::{Model, Scenario};
use crate::simulation::{Guards, Simulation};
use serde::Serialize;
use tape::{Adjoint, Cell, Dynamics, Kind, ParamGrad, Syn, Tape, NONE};

/// Why a gradient could not be computed.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum GradientError {
    /// The scenario or the loss is invalid, or uses what has no gradient here.
    #[error(transparent)]
    Scenario(#[from] ScenarioError),
    /// The forward run was stopped.
    #[error("the forward run stopped early: {0}")]
    Stopped(Stop),
}

/// Options of a gradient evaluation.
#[derive(Clone, Debug, Default)]
pub struct Options {
    /// Limits of the build.
    pub limits: BuildOptions,
    /// Stops the forward run when raised.
    pub stop: Option<StopFlag>,
}

/// ∂L/∂(parameter) for every parameter, in the layout of `gradients.json`.
#[derive(Clone, Debug, Default, Serialize, PartialEq)]
pub struct Gradients {
    /// The loss.
    pub loss: f64,
    /// Per connection, in scenario order.
    pub connections: Vec<ConnectionGradient>,
    /// Per population, in scenario order.
    pub populations: Vec<PopulationGradient>,
}

impl Gradients {
    /// True when the loss and every derivative are finite numbers.
    pub fn is_finite(&self) -> bool {
        let fin = |v: &[f64]| v.iter().all(|x| x.is_finite());
        self.loss.is_finite()
            && self
                .connections
                .iter()
                .all(|c| fin(&c.weight) && fin(&c.delay))
            && self.populations.iter().all(|p| {
                fin(&p.tau_m)
                    && fin(&p.v_th)
                    && fin(&p.i_bias)
                    && p.receptors.iter().all(|r| fin(&r.tau))
                    && p.adaptation
                        .iter()
                        .chain(&p.threshold_adaptation)
                        .all(|a| fin(&a.tau) && fin(&a.increment))
            })
    }
}

/// Gradients of one connection's synapses, in the connection's generation order.
#[derive(Clone, Debug, Default, Serialize, PartialEq)]
pub struct ConnectionGradient {
    /// ∂L/∂weight \[1/mV\].
    pub weight: Vec<f64>,
    /// ∂L/∂delay \[1/ms\].
    pub delay: Vec<f64>,
}

/// Gradients of one population's per-neuron parameters.
#[derive(Clone, Debug, Default, Serialize, PartialEq)]
pub struct PopulationGradient {
    /// ∂L/∂tau_m per neuron.
    pub tau_m: Vec<f64>,
    /// ∂L/∂v_th per neuron.
    pub v_th: Vec<f64>,
    /// ∂L/∂i_bias per neuron.
    pub i_bias: Vec<f64>,
    /// Per receptor: ∂L/∂tau per neuron (empty for a delta receptor, which has no tau).
    pub receptors: Vec<ReceptorGradient>,
    /// Per adaptation current, in scenario order (absent from JSON when there is none).
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub adaptation: Vec<AdaptationGradient>,
    /// Per threshold-adaptation term, in scenario order (absent from JSON when there is none).
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub threshold_adaptation: Vec<AdaptationGradient>,
}

/// Gradient with respect to one adaptation term's parameters.
#[derive(Clone, Debug, Default, Serialize, PartialEq)]
pub struct AdaptationGradient {
    /// ∂L/∂tau per neuron \[1/ms\].
    pub tau: Vec<f64>,
    /// ∂L/∂increment per neuron \[1/mV\].
    pub increment: Vec<f64>,
}

/// Gradient with respect to one receptor's time constant.
#[derive(Clone, Debug, Default, Serialize, PartialEq)]
pub struct ReceptorGradient {
    /// ∂L/∂tau per neuron.
    pub tau: Vec<f64>,
}

/// A forward run and its gradients.
#[derive(Clone, Debug)]
pub struct Evaluation {
    /// The gradients (and the loss).
    pub gradients: Gradients,
    /// The forward run's records: spikes of every population and input.
    pub output: Output,
    /// Spikes the loss wanted but the run did not produce (they count at the run's end and
    /// have no gradient; see [`Loss`]).
    pub missing: usize,
    /// Spike times the backward pass differentiated.
    pub spikes: usize,
    /// Events replayed by the backward pass (arrivals, spikes, ends of refractoriness).
    pub events: usize,
    /// Bytes the backward pass stored (replayed states and events).
    pub tape_bytes: u64,
    /// State variables of all neurons together (V plus channel states).
    pub state_floats: usize,
    /// Simulated time \[ms\].
    pub duration: f64,
}

impl Evaluation {
    /// What backpropagation through time on a grid of step `dt` would store for the same
    /// run at the least: every neuron's state at every step, in single precision.
    pub fn bptt_bytes(&self, dt: f64) -> f64 {
        self.state_floats as f64 * (self.duration / dt).ceil() * 4.0
    }
}

/// Runs `sc` and returns `loss` and its gradient with respect to every weight, delay,
/// `tau_m`, receptor `tau`, `v_th`, `i_bias` and adaptation `tau` and `increment`. Models:
/// `lif` with delta, exp and alpha receptors, bias, refractoriness, adaptation currents and
/// threshold adaptation; `linear` (weights, delays, `v_th`, `i_bias`); no plasticity or
/// injected currents (refused with the path of what is not supported).
pub fn evaluate(sc: &Scenario, loss: &Loss, opts: &Options) -> Result<Evaluation, GradientError> {
    check_supported(sc)?;
    let target_pop = loss.check(sc)?;
    let (mut net, blocks) = build::build_with_blocks(sc, "scenario", &opts.limits)?;
    let (models, cells, pop_of) = replay_constants(&net);
    let neuron = |i: usize| Neuron::of(&models[pop_of[i]], &cells[i]);
    let offsets: Vec<usize> = net.populations.iter().map(|p| p.offset.index()).collect();
    let source_offsets: Vec<usize> = net.inputs.iter().map(|i| i.offset.index()).collect();
    net.record_populations.iter_mut().for_each(|r| *r = true);
    net.record_inputs.iter_mut().for_each(|r| *r = true);
    net.probes.clear();
    net.weight_probes.clear();
    let duration = net.duration;
    let n_neurons = net.n_neurons();
    let n_nodes = n_neurons + net.n_sources();
    // (what --max-memory leaves after the network, for the events in flight and the spikes,
    // which stay in memory for the replay: a network that runs away stops there)
    let budget = opts.limits.max_memory.saturating_sub(net.memory_estimate);
    let mut sim = Simulation::new(net);
    sim.set_guards(Guards {
        interrupt: opts.stop.clone(),
        max_queue_bytes: Some(budget),
        count_records: true,
        ..Guards::default()
    });
    sim.run_until(duration).map_err(GradientError::Stopped)?;
    let (_, output) = sim.finish();

    // spikes: per neuron (time, id); all nodes' spikes for the fan-out
    let n_pops = offsets.len();
    let mut own: Vec<Vec<(f64, u32)>> = vec![vec![]; n_neurons];
    let mut fired: Vec<(f64, u32, u32)> = Vec::with_capacity(output.spikes.len());
    let mut n_spikes = 0u32;
    for s in &output.spikes {
        let p = s.population as usize;
        if p < n_pops {
            let n = offsets[p] + s.neuron as usize;
            own[n].push((s.time, n_spikes));
            fired.push((s.time, n as u32, n_spikes));
            n_spikes += 1;
        } else {
            let node = n_neurons + source_offsets[p - n_pops] + s.neuron as usize;
            fired.push((s.time, node as u32, NONE));
        }
    }
    let table = SynapseTable::new(&blocks, n_nodes);
    let dims: Vec<usize> = (0..n_neurons).map(|i| neuron(i).dim()).collect();
    check_tape_memory(&fired, &table, &dims, opts.limits.max_memory)?;
    let mut arrivals = arrivals_of(&fired, &table, n_neurons, duration);

    // the loss and its derivative with respect to each spike time
    let pop_spikes: Vec<Vec<f64>> = (0..sc.populations[target_pop].size)
        .map(|i| own[offsets[target_pop] + i].iter().map(|s| s.0).collect())
        .collect();
    let value = loss.value(&pop_spikes, duration);
    let mut dspike = vec![0.0; n_spikes as usize];
    for (i, ds) in loss.derivative(&pop_spikes, duration).iter().enumerate() {
        for (k, d) in ds.iter().enumerate() {
            dspike[own[offsets[target_pop] + i][k].1 as usize] = *d;
        }
    }

    let tapes: Vec<Tape> = (0..n_neurons)
        .map(|n| {
            arrivals[n].sort_by(|a, b| a.0.total_cmp(&b.0));
            tape::replay(&neuron(n), &arrivals[n], &own[n], &table.syn)
        })
        .collect();
    drop(arrivals);
    let mut back = Backward {
        models: &models,
        cells: &cells,
        pop_of: &pop_of,
        tapes: &tapes,
        syns: &table.syn,
        dspike,
        d_weight: vec![0.0; table.syn.len()],
        d_delay: vec![0.0; table.syn.len()],
        params: cells
            .iter()
            .map(|c| match c {
                NeuronCell::Lif(c) => ParamGrad::zeros(c),
                NeuronCell::Linear(_) => ParamGrad::default(),
            })
            .collect(),
    };
    back.run(duration);
    let events: usize = tapes.iter().map(|t| t.events.len()).sum();
    let floats: usize = tapes.iter().map(|t| t.pre.len() + t.post.len()).sum();
    let tape_bytes = (floats * 8 + events * std::mem::size_of::<tape::Event>()) as u64;
    let gradients = back.collect(sc, value, &blocks, &table, &offsets);
    if !gradients.is_finite() {
        // (JSON has no inf or NaN: written, they would read as null)
        return Err(ScenarioError::invalid(
            "loss",
            format!(
                "the loss ({value}) or its gradient is not a finite number in double \
                 precision: its parameters or targets are too extreme (a tau or target far \
                 from the run's time scale)"
            ),
        )
        .into());
    }
    let state_floats = dims.iter().sum();
    Ok(Evaluation {
        gradients,
        output,
        missing: loss.missing(&pop_spikes),
        spikes: n_spikes as usize,
        events,
        tape_bytes,
        state_floats,
        duration,
    })
}

/// A population's part of the replay.
enum PopModel {
    Lif(Layout),
    Linear(linear::Shared),
}

/// A neuron's part of the replay.
enum NeuronCell {
    Lif(Cell),
    Linear(linear::Cell),
}

/// One neuron's dynamics, whatever its model (enum dispatch: the backward sweep calls these
/// per event).
enum Neuron<'a> {
    Lif(Dynamics<'a>),
    Linear(linear::Dynamics<'a>),
}

impl<'a> Neuron<'a> {
    fn of(model: &'a PopModel, cell: &'a NeuronCell) -> Neuron<'a> {
        match (model, cell) {
            (PopModel::Lif(lay), NeuronCell::Lif(cell)) => Neuron::Lif(Dynamics { lay, cell }),
            (PopModel::Linear(sh), NeuronCell::Linear(cell)) => {
                Neuron::Linear(linear::Dynamics { sh, cell })
            }
            _ => unreachable!("a neuron's cell is of its population's model"),
        }
    }
}

/// `Neuron` forwards every method of [`Adjoint`] to its model's.
macro_rules! forward {
    ($(fn $name:ident(&self $(, $arg:ident: $ty:ty)*) $(-> $ret:ty)?;)*) => {
        impl Adjoint for Neuron<'_> {
            $(fn $name(&self $(, $arg: $ty)*) $(-> $ret)? {
                match self {
                    Neuron::Lif(d) => d.$name($($arg),*),
                    Neuron::Linear(d) => d.$name($($arg),*),
                }
            })*
        }
    };
}

forward! {
    fn dim(&self) -> usize;
    fn initial(&self) -> Vec<f64>;
    fn t_ref(&self) -> f64;
    fn v_th(&self) -> f64;
    fn propagate(&self, x0: &[f64], dt: f64, refr: bool, out: &mut [f64]);
    fn field(&self, x: &[f64], refr: bool, out: &mut [f64]);
    fn back_segment(&self, x0: &[f64], dt: f64, refr: bool, lam: &mut [f64], g: &mut ParamGrad);
    fn arrive(&self, x: &mut [f64], s: Syn, refractory: bool) -> (bool, bool);
    fn reset(&self, x: &mut [f64]);
    fn threshold_terms(&self) -> std::ops::Range<usize>;
    fn spike_jumps(&self, lam: &[f64], g: &mut ParamGrad);
    fn weight_gradient(&self, lam: &[f64], s: Syn, g: &mut ParamGrad) -> f64;
}

/// Every population's and neuron's constants for the replay, and each neuron's population
/// (read before the run: the state is still the initial one).
fn replay_constants(net: &crate::Network) -> (Vec<PopModel>, Vec<NeuronCell>, Vec<usize>) {
    let mut models = Vec::with_capacity(net.populations.len());
    let mut cells = Vec::with_capacity(net.n_neurons());
    let mut pop_of = Vec::with_capacity(net.n_neurons());
    for (p, entry) in net.populations.iter().enumerate() {
        match &entry.neurons {
            Pop::Lif(l) => {
                models.push(PopModel::Lif(l.layout().clone()));
                for i in 0..l.len() {
                    let (scalars, rates) = l.constants(i);
                    let (adapt_inc, thr_rate, thr_inc) = l.adaptation_constants(i);
                    cells.push(NeuronCell::Lif(Cell {
                        sc: scalars,
                        v_init: l.potential(i),
                        rates: rates.to_vec(),
                        adapt_inc: adapt_inc.to_vec(),
                        thr_rate: thr_rate.to_vec(),
                        thr_inc: thr_inc.to_vec(),
                    }));
                    pop_of.push(p);
                }
            }
            Pop::Linear(l) => {
                models.push(PopModel::Linear(l.adjoint_system().into()));
                for i in 0..crate::neuron::NeuronModel::len(l) {
                    cells.push(NeuronCell::Linear(l.adjoint_neuron(i)));
                    pop_of.push(p);
                }
            }
            _ => unreachable!("checked: lif and linear only"),
        }
    }
    (models, cells, pop_of)
}

/// Each neuron's arrivals `(time, synapse, source spike)` from every spike that fired, at
/// `t + delay` as the engine schedules them (a delay below the resolution of `t` lands on
/// the next float; arrivals at or after the end are dropped).
fn arrivals_of(
    fired: &[(f64, u32, u32)],
    table: &SynapseTable,
    n_neurons: usize,
    duration: f64,
) -> Vec<Vec<(f64, u32, u32)>> {
    let mut arrivals: Vec<Vec<(f64, u32, u32)>> = vec![vec![]; n_neurons];
    for &(t, node, id) in fired {
        for &syn in table.out(node as usize) {
            let at = crate::simulation::arrival(t, table.delay[syn as usize]);
            if at < duration {
                arrivals[table.target[syn as usize] as usize].push((at, syn, id));
            }
        }
    }
    arrivals
}

/// Refuses a backward pass whose store would exceed `limit` bytes (the `--max-memory` of the
/// build): arrivals are known once the forward run is done, before anything is allocated.
fn check_tape_memory(
    fired: &[(f64, u32, u32)],
    table: &SynapseTable,
    dims: &[usize],
    limit: u64,
) -> Result<(), ScenarioError> {
    let max_dim = dims.iter().copied().max().unwrap_or(1);
    let arrivals: usize = fired.iter().map(|f| table.out(f.1 as usize).len()).sum();
    let per_event = 24 + 2 * 8 * max_dim + std::mem::size_of::<tape::Event>() + 24;
    let bytes = (arrivals + 2 * fired.len()) as f64 * per_event as f64 + dims.len() as f64 * 64.0;
    if bytes > limit as f64 {
        return Err(ScenarioError::invalid(
            "duration",
            format!(
                "the backward pass would store ~{:.1} GiB for {arrivals} synaptic arrivals, \
                 over the memory limit of {:.1} GiB (--max-memory); shorten the run or \
                 shrink the network",
                bytes / f64::from(1u32 << 30),
                limit as f64 / f64::from(1u32 << 30)
            ),
        ));
    }
    Ok(())
}

/// Refuses what the adjoint does not cover, with the path of the offending value.
fn check_supported(sc: &Scenario) -> Result<(), ScenarioError> {
    for (k, p) in sc.populations.iter().enumerate() {
        let path = format!("populations[{k}]");
        match &p.model {
            Model::Lif(_) | Model::Linear(_) => {}
            Model::Qif(_) => {
                return Err(ScenarioError::invalid(
                    format!("{path}.model"),
                    "gradients cover the lif and linear models, not qif",
                ))
            }
        }
    }
    for (k, c) in sc.connections.iter().enumerate() {
        if c.plasticity.is_some() {
            return Err(ScenarioError::invalid(
                format!("connections[{k}].plasticity"),
                "gradients of plastic connections are not defined; remove the plasticity",
            ));
        }
    }
    if !sc.currents.is_empty() {
        return Err(ScenarioError::invalid(
            "currents",
            "gradients do not cover injected currents yet; use i_bias for a constant drive",
        ));
    }
    Ok(())
}

/// Every synapse, numbered connection by connection in generation order, with a per-node
/// index of outgoing synapses.
struct SynapseTable {
    syn: Vec<Syn>,
    target: Vec<u32>,
    delay: Vec<f64>,
    /// First synapse of each connection.
    conn_start: Vec<usize>,
    out_start: Vec<u32>,
    out: Vec<u32>,
}

impl SynapseTable {
    fn new(blocks: &[crate::network::connectivity::Block], n_nodes: usize) -> Self {
        let total: usize = blocks.iter().map(|b| b.pairs.len()).sum();
        let mut t = SynapseTable {
            syn: Vec::with_capacity(total),
            target: Vec::with_capacity(total),
            delay: Vec::with_capacity(total),
            conn_start: Vec::with_capacity(blocks.len() + 1),
            out_start: vec![0; n_nodes + 1],
            out: vec![0; total],
        };
        let mut source = Vec::with_capacity(total);
        for b in blocks {
            t.conn_start.push(t.syn.len());
            for (m, &(i, j)) in b.pairs.iter().enumerate() {
                t.syn.push(Syn {
                    w: b.weights.get(m),
                    receptor: b.receptor,
                });
                t.target.push(b.target_base + j);
                t.delay.push(b.delays.get(m));
                source.push(b.source_base + i);
            }
        }
        t.conn_start.push(t.syn.len());
        for &s in &source {
            t.out_start[s as usize + 1] += 1;
        }
        for n in 0..n_nodes {
            t.out_start[n + 1] += t.out_start[n];
        }
        let mut cursor = t.out_start.clone();
        for (k, &s) in source.iter().enumerate() {
            t.out[cursor[s as usize] as usize] = k as u32;
            cursor[s as usize] += 1;
        }
        t
    }

    fn out(&self, node: usize) -> &[u32] {
        &self.out[self.out_start[node] as usize..self.out_start[node + 1] as usize]
    }
}

/// The backward sweep's state.
struct Backward<'a> {
    models: &'a [PopModel],
    cells: &'a [NeuronCell],
    pop_of: &'a [usize],
    tapes: &'a [Tape],
    syns: &'a [Syn],
    /// ∂L/∂(spike time), completed as later events are processed.
    dspike: Vec<f64>,
    d_weight: Vec<f64>,
    d_delay: Vec<f64>,
    params: Vec<ParamGrad>,
}

impl<'a> Backward<'a> {
    /// Processes every neuron's events in decreasing time order (a spike's sensitivity is
    /// complete once all later arrivals it caused are processed).
    fn run(&mut self, duration: f64) {
        let mut order: Vec<(f64, u32, u32)> = Vec::new();
        for (n, tape) in self.tapes.iter().enumerate() {
            for (e, ev) in tape.events.iter().enumerate() {
                order.push((ev.t, n as u32, e as u32));
            }
        }
        order.sort_by(|a, b| b.0.total_cmp(&a.0).then(a.1.cmp(&b.1)).then(b.2.cmp(&a.2)));
        let n = self.tapes.len();
        let dims: Vec<usize> = (0..n).map(|i| self.neuron(i).dim()).collect();
        let mut lam_start = vec![0usize; n + 1];
        for i in 0..n {
            lam_start[i + 1] = lam_start[i] + dims[i];
        }
        let mut lam = vec![0.0; lam_start[n]];
        let mut t_cur = vec![duration; n];
        for &(t, i, e) in &order {
            let i = i as usize;
            let l = &mut lam[lam_start[i]..lam_start[i + 1]];
            self.event(i, e as usize, t_cur[i], l);
            t_cur[i] = t;
        }
        // back to t = 0 from the first event (or the end) over the initial state
        for i in 0..n {
            let l = &mut lam[lam_start[i]..lam_start[i + 1]];
            if l.iter().any(|&v| v != 0.0) {
                let neuron = self.neuron(i);
                neuron.back_segment(&neuron.initial(), t_cur[i], false, l, &mut self.params[i]);
            }
        }
    }

    /// Neuron `i`'s dynamics (borrowing the tables, not `self`).
    fn neuron(&self, i: usize) -> Neuron<'a> {
        let (models, cells): (&'a [PopModel], &'a [NeuronCell]) = (self.models, self.cells);
        Neuron::of(&models[self.pop_of[i]], &cells[i])
    }

    /// Neuron `i`'s event `e`: the segment from the event to `t_next` backward, then the
    /// event's jump condition. `lam` is the adjoint at `t_next` on entry, just before the
    /// event on return.
    fn event(&mut self, i: usize, e: usize, t_next: f64, lam: &mut [f64]) {
        let tapes: &'a [Tape] = self.tapes;
        let tape = &tapes[i];
        let ev = tape.events[e];
        let dim = lam.len();
        let pre = &tape.pre[e * dim..(e + 1) * dim];
        let post = &tape.post[e * dim..(e + 1) * dim];
        let live = lam.iter().any(|&v| v != 0.0);
        let dynamics = self.neuron(i);
        if live {
            dynamics.back_segment(post, t_next - ev.t, ev.refr_after, lam, &mut self.params[i]);
        }
        let refr_before = match ev.kind {
            Kind::RefEnd { .. } => true,
            Kind::Spike { .. } => false,
            Kind::Arrive { .. } => ev.refr_after,
        };
        match ev.kind {
            Kind::Arrive { syn, src, applied } => {
                if !applied || !live {
                    return;
                }
                let s = syn as usize;
                let w = dynamics.weight_gradient(lam, self.syns[s], &mut self.params[i]);
                self.d_weight[s] += w;
                let dt = dynamics.lam_field(lam, pre, refr_before)
                    - dynamics.lam_field(lam, post, ev.refr_after);
                self.time_of_arrival(syn, src, dt);
            }
            Kind::RefEnd { spike } => {
                if live {
                    let dt =
                        dynamics.lam_field(lam, post, true) - dynamics.lam_field(lam, post, false);
                    self.dspike[spike as usize] += dt;
                }
            }
            Kind::Spike { id, trigger } => {
                // the jumps of adaptation currents and threshold terms add their increments
                dynamics.spike_jumps(lam, &mut self.params[i]);
                let explicit =
                    self.dspike[id as usize] - dynamics.lam_field(lam, post, ev.refr_after);
                lam[0] = 0.0;
                let total = dynamics.lam_field(lam, pre, false) + explicit;
                // the initial threshold test (v_init at or above threshold) fires at t = 0
                // whatever the parameters and inputs: that spike has no time to move
                let initial = ev.t == 0.0 && dynamics.starts_above();
                match trigger {
                    _ if initial => {}
                    Some((syn, src)) => self.time_of_arrival(syn, src, total),
                    None => {
                        // a continuous crossing of g = V − v_th − Σθ_k: its time moves by
                        // −δg/ġ, so ∂g/∂x = (1, 0…, −1…) carries `total/ġ` onto λ
                        let mut f = vec![0.0; dim];
                        dynamics.field(pre, false, &mut f);
                        let c = total / dynamics.threshold_slope(&f);
                        lam[0] = -c;
                        for l in &mut lam[dynamics.threshold_terms()] {
                            *l += c;
                        }
                        self.params[i].v_th += c;
                    }
                }
            }
        }
    }

    /// Sends ∂L/∂(arrival time) to the synapse's delay and to the source neuron's spike.
    fn time_of_arrival(&mut self, syn: u32, src: u32, dt: f64) {
        self.d_delay[syn as usize] += dt;
        if src != NONE {
            self.dspike[src as usize] += dt;
        }
    }

    /// The gradients in the layout of `gradients.json`.
    fn collect(
        &self,
        sc: &Scenario,
        loss: f64,
        blocks: &[crate::network::connectivity::Block],
        table: &SynapseTable,
        offsets: &[usize],
    ) -> Gradients {
        let connections = (0..blocks.len())
            .map(|k| {
                let r = table.conn_start[k]..table.conn_start[k + 1];
                ConnectionGradient {
                    weight: self.d_weight[r.clone()].to_vec(),
                    delay: self.d_delay[r].to_vec(),
                }
            })
            .collect();
        let populations = sc
            .populations
            .iter()
            .enumerate()
            .map(|(p, pop)| {
                let range = offsets[p]..offsets[p] + pop.size;
                let per = |f: &dyn Fn(usize) -> f64| range.clone().map(f).collect::<Vec<f64>>();
                let PopModel::Lif(lay) = &self.models[p] else {
                    // linear: threshold and drive (its matrix has no gradient here)
                    return PopulationGradient {
                        v_th: per(&|i| self.params[i].v_th),
                        i_bias: per(&|i| self.params[i].v_inf),
                        ..PopulationGradient::default()
                    };
                };
                let lif = |i: usize| match &self.cells[i] {
                    NeuronCell::Lif(c) => c,
                    NeuronCell::Linear(_) => unreachable!("a lif population's neuron"),
                };
                let mu2 = |i: usize| lif(i).sc.rate_m.powi(2);
                PopulationGradient {
                    tau_m: per(&|i| 0.0 - mu2(i) * self.params[i].mu),
                    v_th: per(&|i| self.params[i].v_th),
                    i_bias: per(&|i| self.params[i].v_inf),
                    receptors: lay
                        .receptors
                        .iter()
                        .map(|slot| match slot {
                            Slot::Delta => ReceptorGradient::default(),
                            Slot::Exp(c) | Slot::Alpha(c) => {
                                let c = *c as usize;
                                ReceptorGradient {
                                    tau: per(&|i| {
                                        0.0 - lif(i).rates[c].powi(2) * self.params[i].rates[c]
                                    }),
                                }
                            }
                        })
                        .collect(),
                    adaptation: (0..lay.n_adapt)
                        .map(|k| {
                            let c = lay.adaptation_channel(k);
                            AdaptationGradient {
                                tau: per(&|i| {
                                    0.0 - lif(i).rates[c].powi(2) * self.params[i].rates[c]
                                }),
                                increment: per(&|i| self.params[i].adapt_inc[k]),
                            }
                        })
                        .collect(),
                    threshold_adaptation: (0..lay.n_thr)
                        .map(|k| AdaptationGradient {
                            tau: per(&|i| {
                                0.0 - lif(i).thr_rate[k].powi(2) * self.params[i].thr_rates[k]
                            }),
                            increment: per(&|i| self.params[i].thr_inc[k]),
                        })
                        .collect(),
                }
            })
            .collect();
        Gradients {
            loss,
            connections,
            populations,
        }
    }
}
