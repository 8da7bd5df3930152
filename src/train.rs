//! Supervised training of spike timing with exact gradients (`exactspike train`): mini-batches
//! of samples run in parallel (rayon), each an exact forward run plus the adjoint pass of
//! [`crate::gradient`], gradients summed in sample order (so results do not depend on the
//! number of threads), Adam steps on the chosen parameters. Configuration format:
//! `docs/gradients.md`.

pub mod config;
pub mod data;

pub use config::{parse_config, Adam, ClassLoss, Learn, TrainConfig};

use crate::build::values::{MAX_MAGNITUDE, MAX_POTENTIAL};
use crate::build::{self, BuildOptions};
use crate::error::ScenarioError;
use crate::gradient::{evaluate, loss::first_times, Gradients, Loss, Options};
use crate::neuron::lif::Slot;
use crate::neuron::Population as Pop;
use crate::records::{Stop, StopFlag};
use crate::scenario::{self, InputKind, Model, ParamValue, Scenario};
use crate::simulation::{Guards, Simulation};
use data::Sample;
use rand::seq::SliceRandom;
use rand::SeedableRng;
use rayon::prelude::*;
use serde::Serialize;

/// One epoch's figures.
#[derive(Clone, Debug, Serialize)]
pub struct Epoch {
    /// Epoch number, from 1.
    pub epoch: usize,
    /// Mean training loss over the epoch's samples.
    pub loss: f64,
    /// Fraction of training samples classified correctly during the epoch.
    pub train_accuracy: f64,
    /// Fraction of test samples classified correctly after the epoch (null without test
    /// samples).
    pub test_accuracy: Option<f64>,
    /// Fraction of training samples whose label neuron stayed silent.
    pub silent: f64,
    /// Fraction of training samples whose gradient was clipped to `clip`.
    pub clipped: f64,
    /// Samples left out because their gradient was not finite.
    pub skipped: usize,
    /// Wall-clock time of the epoch \[s\].
    pub seconds: f64,
}

/// What `metrics.json` holds.
#[derive(Clone, Debug, Default, Serialize)]
pub struct Metrics {
    /// Training accuracy of the last epoch (fraction).
    pub train_accuracy: f64,
    /// Test accuracy after the last epoch (fraction; null without test samples, or before
    /// the first epoch ends).
    pub test_accuracy: Option<f64>,
    /// Test accuracy before training (null without test samples).
    pub initial_test_accuracy: Option<f64>,
    /// Mean training loss per epoch.
    pub loss: Vec<f64>,
    /// Every epoch.
    pub epochs: Vec<Epoch>,
    /// All epochs done.
    pub complete: bool,
    /// Why training stopped early (`complete: false`): a signal, or a sample's forward run
    /// at its share of `--max-memory` (`"max_memory"`: a network driven to fire without end).
    pub stopped: Option<String>,
    /// Training and test samples.
    pub samples: [usize; 2],
}

/// Why training could not run.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum TrainError {
    /// The configuration or its network is invalid.
    #[error(transparent)]
    Config(#[from] ScenarioError),
    /// Stopped (by the stop flag) before the first epoch ended.
    #[error("stopped: {0}")]
    Stopped(Stop),
}

/// The parameters being trained, in scenario layout.
#[derive(Clone, Debug)]
struct Params {
    /// Per connection, per synapse (generation order).
    weight: Vec<Vec<f64>>,
    delay: Vec<Vec<f64>>,
    /// Per population, per neuron.
    tau_m: Vec<Vec<f64>>,
    /// Per population, per receptor, per neuron (empty for delta receptors).
    receptor_tau: Vec<Vec<Vec<f64>>>,
    /// Per population, per adaptation current then per threshold-adaptation term, per
    /// neuron.
    adaptation_tau: Vec<Vec<Vec<f64>>>,
}

impl Params {
    /// The values a network was built with.
    fn initial(
        net: &crate::Network,
        blocks: &[crate::network::connectivity::Block],
    ) -> Result<Params, ScenarioError> {
        let mut params = Params {
            weight: blocks
                .iter()
                .map(|b| (0..b.pairs.len()).map(|m| b.weights.get(m)).collect())
                .collect(),
            delay: blocks
                .iter()
                .map(|b| (0..b.pairs.len()).map(|m| b.delays.get(m)).collect())
                .collect(),
            tau_m: vec![],
            receptor_tau: vec![],
            adaptation_tau: vec![],
        };
        for (k, p) in net.populations.iter().enumerate() {
            let l = match &p.neurons {
                Pop::Lif(l) => l,
                // weights and delays into and out of linear neurons; they have no time
                // constants of this kind
                Pop::Linear(_) => {
                    params.tau_m.push(vec![]);
                    params.receptor_tau.push(vec![]);
                    params.adaptation_tau.push(vec![]);
                    continue;
                }
                _ => {
                    return Err(invalid(
                        format!("network.populations[{k}].model"),
                        "training needs lif or linear populations",
                    ))
                }
            };
            params.tau_m.push(
                (0..l.len())
                    .map(|i| 1.0 / l.constants(i).0.rate_m)
                    .collect(),
            );
            params.receptor_tau.push(
                l.layout()
                    .receptors
                    .iter()
                    .map(|s| match s {
                        Slot::Delta => vec![],
                        Slot::Exp(c) | Slot::Alpha(c) => (0..l.len())
                            .map(|i| 1.0 / l.constants(i).1[*c as usize])
                            .collect(),
                    })
                    .collect(),
            );
            let lay = l.layout();
            let adapt = (0..lay.n_adapt).map(|k| {
                (0..l.len())
                    .map(|i| 1.0 / l.constants(i).1[lay.adaptation_channel(k)])
                    .collect()
            });
            let thr = (0..lay.n_thr).map(|k| {
                (0..l.len())
                    .map(|i| 1.0 / l.adaptation_constants(i).1[k])
                    .collect()
            });
            params.adaptation_tau.push(adapt.chain(thr).collect());
        }
        Ok(params)
    }
}

/// A training run, ready to go: the checked configuration, its samples and parameters.
pub struct Trainer {
    cfg: TrainConfig,
    template: Scenario,
    input: usize,
    train: Vec<Sample>,
    test: Vec<Sample>,
    params: Params,
    /// Per connection: (target population index, local target of each synapse).
    targets: Vec<(usize, Vec<u32>)>,
    /// Per connection: its source is an input (delays may be 0) or a population (> 0).
    from_input: Vec<bool>,
    out_pop: usize,
    moments: Vec<(Vec<f64>, Vec<f64>)>,
    /// Per learned parameter: its step size relative to `lr`.
    lr_scale: Vec<f64>,
    step: i32,
    /// Limits of each sample's forward run (its memory shared among the threads that run a
    /// batch).
    limits: BuildOptions,
}

fn invalid(path: impl Into<String>, msg: impl Into<String>) -> ScenarioError {
    ScenarioError::invalid(path, msg)
}

impl Trainer {
    /// Checks `cfg` fully (network, input, loss, data) and draws the initial parameters.
    pub fn new(cfg: TrainConfig) -> Result<Trainer, ScenarioError> {
        let template = scenario::parse_value(cfg.network.clone()).map_err(|e| match e {
            ScenarioError::Invalid { path, message } => invalid(format!("network.{path}"), message),
            e => e,
        })?;
        let input = template
            .inputs
            .iter()
            .position(|i| i.name == cfg.input && matches!(i.kind, InputKind::SpikeTimes(_)))
            .ok_or_else(|| {
                invalid(
                    "input",
                    format!("the network has no spike_times input named {:?}", cfg.input),
                )
            })?;
        let n_sources = match &template.inputs[input].kind {
            InputKind::SpikeTimes(s) => s.times.len(),
            _ => unreachable!(),
        };
        let out_pop = template
            .populations
            .iter()
            .position(|p| p.name == cfg.loss.population)
            .ok_or_else(|| {
                invalid(
                    "loss.population",
                    format!("no population named {:?}", cfg.loss.population),
                )
            })?;
        cfg.check()?;
        let (train, test) = cfg
            .data
            .samples(n_sources, template.populations[out_pop].size)?;
        let (net, blocks) = build::build_with_blocks(
            &template,
            "network",
            &BuildOptions::default(),
        )
        .map_err(|e| match e {
            ScenarioError::Invalid { path, message } => invalid(format!("network.{path}"), message),
            e => e,
        })?;
        let params = Params::initial(&net, &blocks)?;
        let pop_index = |name: &str| template.populations.iter().position(|p| p.name == name);
        let targets = template
            .connections
            .iter()
            .zip(&blocks)
            .map(|(c, b)| {
                (
                    pop_index(&c.to).unwrap_or(0),
                    b.pairs.iter().map(|p| p.1).collect(),
                )
            })
            .collect();
        let from_input = template
            .connections
            .iter()
            .map(|c| pop_index(&c.from).is_none())
            .collect();
        let mut t = Trainer {
            cfg,
            template,
            input,
            train,
            test,
            params,
            targets,
            from_input,
            out_pop,
            moments: vec![],
            lr_scale: vec![],
            step: 0,
            limits: BuildOptions::default(),
        };
        let n = t.flatten_params().len();
        t.moments = vec![(vec![0.0; n], vec![0.0; n])];
        t.lr_scale = t.step_scales();
        // one sample through the whole gradient path: every check of evaluate up front
        if let Some(s) = t.train.first().cloned() {
            t.sample_gradient(&t.scenario(), &s, None)
                .map_err(|e| match e {
                    TrainError::Config(e) => e,
                    TrainError::Stopped(s) => invalid("", s.to_string()),
                })?;
        }
        Ok(t)
    }

    /// Limits each sample's forward run by `limits` (the memory shared among the threads of
    /// a batch); a run that would exceed them stops training ([`TrainError::Stopped`]).
    pub fn set_limits(&mut self, limits: BuildOptions) {
        self.limits = limits;
    }

    /// One forward run's share of the memory limit: the threads of a batch run at once.
    fn memory_per_run(&self) -> u64 {
        self.limits.max_memory / rayon::current_num_threads().max(1) as u64
    }

    /// The network with the current parameters (what `trained.json` holds).
    pub fn scenario(&self) -> Scenario {
        let mut sc = self.template.clone();
        let p = &self.params;
        for (k, c) in sc.connections.iter_mut().enumerate() {
            c.weight = ParamValue::List(p.weight[k].clone());
            c.delay = ParamValue::List(p.delay[k].clone());
        }
        for (k, pop) in sc.populations.iter_mut().enumerate() {
            if let Model::Lif(l) = &mut pop.model {
                l.tau_m = ParamValue::List(p.tau_m[k].clone());
                if let Some(rs) = &mut l.receptors {
                    for (r, rec) in rs.iter_mut().enumerate() {
                        if rec.tau.is_some() {
                            rec.tau = Some(ParamValue::List(p.receptor_tau[k][r].clone()));
                        }
                    }
                }
                let terms = l.adaptation.iter_mut().chain(&mut l.threshold_adaptation);
                for (a, tau) in terms.zip(&p.adaptation_tau[k]) {
                    a.tau = ParamValue::List(tau.clone());
                }
            }
        }
        sc
    }

    fn with_input(&self, sc: &Scenario, s: &Sample) -> Scenario {
        let mut sc = sc.clone();
        sc.inputs[self.input].kind = InputKind::SpikeTimes(scenario::SpikeTimes {
            times: s.times.clone(),
        });
        sc
    }

    fn class_loss(&self, label: usize) -> Loss {
        let l = &self.cfg.loss;
        Loss::FirstSpikeCe {
            population: l.population.clone(),
            label,
            tau0: l.tau0,
            alpha: l.alpha,
            tau1: l.tau1,
        }
    }

    /// One sample's loss, gradient, correctness and whether its label neuron was silent.
    fn sample_gradient(
        &self,
        sc: &Scenario,
        s: &Sample,
        stop: Option<&StopFlag>,
    ) -> Result<(Gradients, bool, bool), TrainError> {
        let sc = self.with_input(sc, s);
        let mut limits = self.limits;
        limits.max_memory = self.memory_per_run();
        let opts = Options {
            limits,
            stop: stop.cloned(),
        };
        let ev = evaluate(&sc, &self.class_loss(s.label), &opts).map_err(|e| match e {
            crate::gradient::GradientError::Scenario(e) => TrainError::Config(e),
            crate::gradient::GradientError::Stopped(s) => TrainError::Stopped(s),
        })?;
        let first = self.first_spikes(&ev.output, sc.duration);
        let silent = !first[s.label].is_finite();
        Ok((ev.gradients, predict(&first) == Some(s.label), silent))
    }

    /// First spike time of each output neuron (infinite when silent).
    fn first_spikes(&self, out: &crate::records::Output, end: f64) -> Vec<f64> {
        let size = self.template.populations[self.out_pop].size;
        let mut spikes = vec![vec![]; size];
        if let Some((idx, times)) = out.spikes_of(&self.cfg.loss.population) {
            for (i, t) in idx.into_iter().zip(times) {
                if spikes[i as usize].is_empty() {
                    spikes[i as usize].push(t);
                }
            }
        }
        first_times(&spikes, f64::INFINITY)
            .into_iter()
            .map(|t| if t < end { t } else { f64::INFINITY })
            .collect()
    }

    /// Fraction of `samples` classified correctly by the current parameters (forward runs
    /// only); `None` for an empty set.
    pub fn accuracy(&self, which: Which) -> Option<f64> {
        let samples = match which {
            Which::Train => &self.train,
            Which::Test => &self.test,
        };
        if samples.is_empty() {
            return None;
        }
        let sc = self.scenario();
        let correct: usize = samples
            .par_iter()
            .map(|s| {
                let sc = self.with_input(&sc, s);
                let Ok(net) = build::build(&sc, "sample") else {
                    return 0;
                };
                // (a network that runs away stops at its share of the memory limit; its
                // first spikes, the prediction, are in what it simulated)
                let budget = self.memory_per_run().saturating_sub(net.memory_estimate);
                let duration = net.duration;
                let mut sim = Simulation::new(net);
                sim.set_guards(Guards {
                    max_queue_bytes: Some(budget),
                    count_records: true,
                    ..Guards::default()
                });
                let _ = sim.run_until(duration);
                let (_, out) = sim.finish();
                usize::from(predict(&self.first_spikes(&out, sc.duration)) == Some(s.label))
            })
            .sum();
        Some(correct as f64 / samples.len() as f64)
    }

    /// Runs one epoch (number `epoch`, from 1); stops between batches when `stop` is raised.
    pub fn epoch(&mut self, epoch: usize, stop: Option<&StopFlag>) -> Result<Epoch, TrainError> {
        let started = std::time::Instant::now();
        let mut order: Vec<usize> = (0..self.train.len()).collect();
        let mut rng = rand_pcg::Pcg64::seed_from_u64(self.cfg.seed.wrapping_add(epoch as u64));
        order.shuffle(&mut rng);
        let (mut loss, mut correct, mut silent) = (0.0, 0usize, 0usize);
        let (mut clipped, mut skipped) = (0usize, 0usize);
        for batch in order.chunks(self.cfg.batch_size) {
            if let Some(s) = stop.and_then(StopFlag::requested) {
                return Err(TrainError::Stopped(s));
            }
            let sc = self.scenario();
            let results: Vec<_> = batch
                .par_iter()
                .map(|&i| self.sample_gradient(&sc, &self.train[i], stop))
                .collect();
            let mut sum = vec![0.0; self.moments[0].0.len()];
            let mut silent_labels = vec![];
            for (r, &i) in results.into_iter().zip(batch) {
                let (g, ok, quiet) = r?;
                loss += g.loss;
                correct += usize::from(ok);
                let flat = self.flatten_gradients(&g);
                if quiet {
                    silent += 1;
                    silent_labels.push(self.train[i].label);
                }
                let mut flat = flat;
                let norm = flat.iter().map(|v| v * v).sum::<f64>().sqrt();
                if !norm.is_finite() {
                    // a spike that grazes threshold: dt/dp is unbounded there
                    skipped += 1;
                    continue;
                }
                if let Some(c) = self.cfg.clip.filter(|&c| norm > c) {
                    clipped += 1;
                    flat.iter_mut().for_each(|v| *v *= c / norm);
                }
                for (s, v) in sum.iter_mut().zip(flat) {
                    *s += v;
                }
            }
            let scale = 1.0 / batch.len() as f64;
            sum.iter_mut().for_each(|v| *v *= scale);
            self.adam_step(&sum);
            for label in silent_labels {
                self.bump(label);
            }
        }
        let n = self.train.len().max(1) as f64;
        self.cfg.optimizer.lr *= self.cfg.optimizer.decay;
        Ok(Epoch {
            epoch,
            loss: loss / n,
            train_accuracy: correct as f64 / n,
            test_accuracy: self.accuracy(Which::Test),
            silent: silent as f64 / n,
            clipped: clipped as f64 / n,
            skipped,
            seconds: started.elapsed().as_secs_f64(),
        })
    }

    /// Raises the weights onto a label neuron that stayed silent by `silence_bump` (the
    /// exact gradient cannot: without a spike there is no spike time to move).
    fn bump(&mut self, label: usize) {
        if self.cfg.silence_bump == 0.0 || !self.cfg.learn.contains(&Learn::Weight) {
            return;
        }
        for (k, (pop, tgt)) in self.targets.iter().enumerate() {
            if *pop != self.out_pop {
                continue;
            }
            for (m, &j) in tgt.iter().enumerate() {
                if j as usize == label {
                    let w = &mut self.params.weight[k][m];
                    *w = (*w + self.cfg.silence_bump).min(MAX_POTENTIAL);
                }
            }
        }
    }

    /// Each learned parameter's step size relative to `lr` (per-kind step sizes).
    fn step_scales(&self) -> Vec<f64> {
        let a = self.cfg.optimizer;
        let rel = |v: Option<f64>| v.unwrap_or(a.lr) / a.lr;
        let p = &self.params;
        let fill = |v: &[Vec<f64>], r: f64| v.iter().map(|x| vec![r; x.len()]).collect::<Vec<_>>();
        let fill3 = |v: &[Vec<Vec<f64>>], r: f64| v.iter().map(|x| fill(x, r)).collect();
        self.flatten(&Params {
            weight: fill(&p.weight, 1.0),
            delay: fill(&p.delay, rel(a.lr_delay)),
            tau_m: fill(&p.tau_m, rel(a.lr_tau_m)),
            receptor_tau: fill3(&p.receptor_tau, rel(a.lr_receptor_tau)),
            adaptation_tau: fill3(&p.adaptation_tau, rel(a.lr_adaptation_tau)),
        })
    }

    /// The learned parameters as one vector, in a fixed order (weights, delays, tau_m,
    /// receptor taus, adaptation taus; only the kinds learned).
    fn flatten_params(&self) -> Vec<f64> {
        self.flatten(&self.params)
    }

    fn flatten_gradients(&self, g: &Gradients) -> Vec<f64> {
        self.flatten(&Params {
            weight: g.connections.iter().map(|c| c.weight.clone()).collect(),
            delay: g.connections.iter().map(|c| c.delay.clone()).collect(),
            tau_m: g.populations.iter().map(|p| p.tau_m.clone()).collect(),
            receptor_tau: g
                .populations
                .iter()
                .map(|p| p.receptors.iter().map(|r| r.tau.clone()).collect())
                .collect(),
            adaptation_tau: g
                .populations
                .iter()
                .map(|p| {
                    let terms = p.adaptation.iter().chain(&p.threshold_adaptation);
                    terms.map(|a| a.tau.clone()).collect()
                })
                .collect(),
        })
    }

    /// The learned kinds of `p` (parameters, gradients or step sizes in their layout) as
    /// one vector.
    fn flatten(&self, p: &Params) -> Vec<f64> {
        let mut out = vec![];
        let learn = &self.cfg.learn;
        if learn.contains(&Learn::Weight) {
            p.weight.iter().for_each(|v| out.extend_from_slice(v));
        }
        if learn.contains(&Learn::Delay) {
            p.delay.iter().for_each(|v| out.extend_from_slice(v));
        }
        if learn.contains(&Learn::TauM) {
            p.tau_m.iter().for_each(|v| out.extend_from_slice(v));
        }
        if learn.contains(&Learn::ReceptorTau) {
            p.receptor_tau
                .iter()
                .flatten()
                .for_each(|v| out.extend_from_slice(v));
        }
        if learn.contains(&Learn::AdaptationTau) {
            p.adaptation_tau
                .iter()
                .flatten()
                .for_each(|v| out.extend_from_slice(v));
        }
        out
    }

    /// One Adam step with the mean gradient `g`, then the constraints: delays ≥ 0 from
    /// inputs and ≥ 1 µs between populations, time constants ≥ 0.05 ms.
    fn adam_step(&mut self, g: &[f64]) {
        self.step += 1;
        let a = self.cfg.optimizer;
        let (m, v) = &mut self.moments[0];
        let (c1, c2) = (1.0 - a.beta1.powi(self.step), 1.0 - a.beta2.powi(self.step));
        let mut delta = vec![0.0; g.len()];
        for k in 0..g.len() {
            m[k] = a.beta1 * m[k] + (1.0 - a.beta1) * g[k];
            v[k] = a.beta2 * v[k] + (1.0 - a.beta2) * g[k] * g[k];
            delta[k] = -a.lr * self.lr_scale[k] * (m[k] / c1) / ((v[k] / c2).sqrt() + a.epsilon);
        }
        let mut it = delta.into_iter();
        let learn = self.cfg.learn.clone();
        let p = &mut self.params;
        // (each parameter kept within what a scenario accepts, so that a step too large —
        // a large `lr` — leaves a network that still runs and a valid trained.json)
        let (max_w, max_t) = (MAX_POTENTIAL, MAX_MAGNITUDE);
        if learn.contains(&Learn::Weight) {
            p.weight
                .iter_mut()
                .flatten()
                .for_each(|x| *x = (*x + it.next().unwrap_or(0.0)).clamp(-max_w, max_w));
        }
        if learn.contains(&Learn::Delay) {
            for (k, ds) in p.delay.iter_mut().enumerate() {
                let min = if self.from_input[k] { 0.0 } else { 1e-3 };
                ds.iter_mut()
                    .for_each(|x| *x = (*x + it.next().unwrap_or(0.0)).clamp(min, max_t));
            }
        }
        let mut tau_step = |x: &mut f64| *x = (*x + it.next().unwrap_or(0.0)).clamp(0.05, max_t);
        if learn.contains(&Learn::TauM) {
            p.tau_m.iter_mut().flatten().for_each(&mut tau_step);
        }
        for (kind, taus) in [
            (Learn::ReceptorTau, &mut p.receptor_tau),
            (Learn::AdaptationTau, &mut p.adaptation_tau),
        ] {
            if learn.contains(&kind) {
                taus.iter_mut().flatten().flatten().for_each(&mut tau_step);
            }
        }
    }

    /// Training and test sample counts.
    pub fn sizes(&self) -> [usize; 2] {
        [self.train.len(), self.test.len()]
    }

    /// Epochs to run.
    pub fn epochs(&self) -> usize {
        self.cfg.epochs
    }
}

/// Which samples.
#[derive(Clone, Copy, Debug)]
pub enum Which {
    /// Training samples.
    Train,
    /// Test samples.
    Test,
}

/// The class of the earliest first spike (lowest index on ties); `None` if all are silent.
pub fn predict(first: &[f64]) -> Option<usize> {
    let mut best: Option<(usize, f64)> = None;
    for (i, &t) in first.iter().enumerate() {
        if t.is_finite() && best.is_none_or(|b| t < b.1) {
            best = Some((i, t));
        }
    }
    best.map(|b| b.0)
}
