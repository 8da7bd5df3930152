//! The training configuration (`exactspike train CONFIG.json`; docs/gradients.md).

use super::data::Data;
use crate::error::ScenarioError;
use serde::{Deserialize, Serialize};

/// A training configuration (`exactspike train CONFIG.json`).
#[derive(Clone, Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct TrainConfig {
    /// The network: a scenario whose input `input` is a `spike_times` input (its times are
    /// replaced by each sample's) and whose parameters are the initial values.
    pub network: serde_json::Value,
    /// The samples.
    pub data: Data,
    /// The input that receives each sample's spike times.
    pub input: String,
    /// The classification loss (first-spike-time cross-entropy; the label comes from each
    /// sample).
    pub loss: ClassLoss,
    /// What to learn: any of "weight", "delay", "tau_m", "receptor_tau", "adaptation_tau"
    /// (default weights).
    #[serde(default = "weights_only")]
    pub learn: Vec<Learn>,
    /// Adam's settings.
    #[serde(default)]
    pub optimizer: Adam,
    /// Passes over the training samples.
    pub epochs: usize,
    /// Samples per gradient step.
    pub batch_size: usize,
    /// Seed of the sample order.
    #[serde(default)]
    pub seed: u64,
    /// Largest Euclidean norm of one sample's gradient (larger ones are scaled down to it;
    /// default: no limit). Spikes that barely reach threshold have huge exact gradients.
    #[serde(default)]
    pub clip: Option<f64>,
    /// When the label neuron stays silent, the weights onto it grow by this much per sample
    /// (the exact gradient is zero without a spike; default 0).
    #[serde(default)]
    pub silence_bump: f64,
}

impl TrainConfig {
    /// Checks the settings (not the network or data, which the trainer checks).
    pub fn check(&self) -> Result<(), ScenarioError> {
        let bad = |path: &str, msg: &str, v: f64| {
            Err(ScenarioError::invalid(path, format!("{msg}, got {v}")))
        };
        if self.epochs == 0 {
            return bad("epochs", "must be >= 1", 0.0);
        }
        if self.batch_size == 0 {
            return bad("batch_size", "must be >= 1", 0.0);
        }
        let a = self.optimizer;
        let positive = [
            ("optimizer.lr", Some(a.lr)),
            ("optimizer.lr_delay", a.lr_delay),
            ("optimizer.lr_tau_m", a.lr_tau_m),
            ("optimizer.lr_receptor_tau", a.lr_receptor_tau),
            ("optimizer.lr_adaptation_tau", a.lr_adaptation_tau),
            ("optimizer.epsilon", Some(a.epsilon)),
        ];
        for (path, v) in positive {
            if let Some(v) = v.filter(|v| !(v.is_finite() && *v > 0.0)) {
                return bad(path, "must be a finite number > 0", v);
            }
        }
        for (path, v) in [("optimizer.beta1", a.beta1), ("optimizer.beta2", a.beta2)] {
            if !(0.0..1.0).contains(&v) {
                return bad(path, "must be in [0, 1)", v);
            }
        }
        if !(a.decay > 0.0 && a.decay <= 1.0) {
            return bad("optimizer.decay", "must be in (0, 1]", a.decay);
        }
        if !(self.silence_bump.is_finite() && self.silence_bump >= 0.0) {
            return bad(
                "silence_bump",
                "must be a finite number >= 0 (mV)",
                self.silence_bump,
            );
        }
        if let Some(c) = self.clip.filter(|c| !(c.is_finite() && *c > 0.0)) {
            return bad("clip", "must be a finite number > 0", c);
        }
        Ok(())
    }
}

fn weights_only() -> Vec<Learn> {
    vec![Learn::Weight]
}

/// A parameter kind to learn.
#[derive(Clone, Copy, Debug, Deserialize, Serialize, PartialEq, Eq)]
#[serde(rename_all = "snake_case")]
pub enum Learn {
    /// Synaptic weights.
    Weight,
    /// Synaptic delays.
    Delay,
    /// Membrane time constants.
    TauM,
    /// Receptor time constants.
    ReceptorTau,
    /// Time constants of adaptation currents and threshold-adaptation terms.
    AdaptationTau,
}

/// First-spike-time cross-entropy on a population (see [`crate::gradient::Loss::FirstSpikeCe`]).
#[derive(Clone, Debug, Deserialize, Serialize)]
#[serde(deny_unknown_fields)]
pub struct ClassLoss {
    /// Output population: one neuron per class.
    pub population: String,
    /// Temperature \[ms\] (default 1, as for the `first_spike_ce` loss).
    #[serde(default = "one")]
    pub tau0: f64,
    /// Regulariser weight (default 0).
    #[serde(default)]
    pub alpha: f64,
    /// Regulariser time constant \[ms\] (default 10).
    #[serde(default = "ten")]
    pub tau1: f64,
}

fn ten() -> f64 {
    10.0
}

fn one() -> f64 {
    1.0
}

/// Adam (Kingma & Ba 2015).
#[derive(Clone, Copy, Debug, Deserialize, Serialize)]
#[serde(deny_unknown_fields, default)]
pub struct Adam {
    /// Step size.
    pub lr: f64,
    /// First-moment decay.
    pub beta1: f64,
    /// Second-moment decay.
    pub beta2: f64,
    /// Denominator guard.
    pub epsilon: f64,
    /// Factor applied to `lr` after every epoch (default 1: constant).
    pub decay: f64,
    /// Step size for delays \[ms\] (default `lr`).
    pub lr_delay: Option<f64>,
    /// Step size for `tau_m` \[ms\] (default `lr`).
    pub lr_tau_m: Option<f64>,
    /// Step size for receptor time constants \[ms\] (default `lr`).
    pub lr_receptor_tau: Option<f64>,
    /// Step size for adaptation time constants \[ms\] (default `lr`).
    pub lr_adaptation_tau: Option<f64>,
}

impl Default for Adam {
    fn default() -> Self {
        Adam {
            lr: 1e-3,
            beta1: 0.9,
            beta2: 0.999,
            epsilon: 1e-8,
            decay: 1.0,
            lr_delay: None,
            lr_tau_m: None,
            lr_receptor_tau: None,
            lr_adaptation_tau: None,
        }
    }
}

/// Parses a training configuration's text (errors name the JSON path, as the scenario's).
pub fn parse_config(text: &[u8]) -> Result<TrainConfig, ScenarioError> {
    crate::scenario::parse_document(text, "config", "a training configuration", "")
}
