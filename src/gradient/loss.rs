//! Losses on spike times.
//!
//! A spike the loss asks for but the run did not produce is taken at the run's end
//! (`duration`): it adds to the loss like any other time, and has no gradient (there is no
//! spike time to move). Training counters silence with the trainer's `silence_bump`.

use crate::error::ScenarioError;
use crate::scenario::Scenario;
use serde::{Deserialize, Serialize};

/// A loss on the spikes of one population.
#[derive(Clone, Debug, PartialEq, Deserialize, Serialize)]
#[serde(tag = "kind", rename_all = "snake_case", deny_unknown_fields)]
pub enum Loss {
    /// `½ Σ_n Σ_k (t_{n,k} − target_{n,k})²` over the first `len(targets[n])` spikes of each
    /// neuron `n` (`targets` has one list per neuron of the population; extra spikes are
    /// ignored).
    SpikeTimes {
        /// Population.
        population: String,
        /// Target times \[ms\], one list per neuron.
        targets: Vec<Vec<f64>>,
    },
    /// First-spike-time cross-entropy for classification (time-to-first-spike coding):
    /// `−log softmax(−t/tau0)[label] + alpha·(exp(t_label/tau1) − 1)`, with `t` each
    /// neuron's first spike time. Also accepted as `first_spike_cross_entropy`.
    #[serde(alias = "first_spike_cross_entropy")]
    FirstSpikeCe {
        /// Population (one neuron per class).
        population: String,
        /// The correct class.
        label: usize,
        /// Temperature \[ms\] (default 1).
        #[serde(default = "one")]
        tau0: f64,
        /// Weight of the early-spike regulariser (default 0: none).
        #[serde(default)]
        alpha: f64,
        /// Time constant of the regulariser \[ms\] (default 10).
        #[serde(default = "ten")]
        tau1: f64,
    },
}

fn one() -> f64 {
    1.0
}

fn ten() -> f64 {
    10.0
}

impl Loss {
    /// Parses a loss file's text (`{"kind": "spike_times", ...}`); errors are named by
    /// JSON path under `loss`, as the scenario's are.
    pub fn parse(text: &[u8]) -> Result<Loss, ScenarioError> {
        crate::scenario::parse_document(text, "loss", "a loss", "loss")
    }

    /// The population the loss is on.
    pub fn population(&self) -> &str {
        match self {
            Loss::SpikeTimes { population, .. } | Loss::FirstSpikeCe { population, .. } => {
                population
            }
        }
    }

    /// Checks the loss against the scenario; returns the population's index.
    pub fn check(&self, sc: &Scenario) -> Result<usize, ScenarioError> {
        let name = self.population();
        let Some(p) = sc.populations.iter().position(|p| p.name == name) else {
            return Err(ScenarioError::invalid(
                "loss.population",
                format!("no neuron population named {name:?} in the scenario"),
            ));
        };
        let size = sc.populations[p].size;
        match self {
            Loss::SpikeTimes { targets, .. } => {
                if targets.len() != size {
                    return Err(ScenarioError::invalid(
                        "loss.targets",
                        format!(
                            "needs one list per neuron of {name:?}: {size}, got {}",
                            targets.len()
                        ),
                    ));
                }
                for (n, ts) in targets.iter().enumerate() {
                    if let Some(k) = ts.iter().position(|t| !t.is_finite()) {
                        return Err(ScenarioError::invalid(
                            format!("loss.targets[{n}][{k}]"),
                            "must be a finite time in ms",
                        ));
                    }
                }
            }
            Loss::FirstSpikeCe {
                label,
                tau0,
                alpha,
                tau1,
                ..
            } => {
                if *label >= size {
                    return Err(ScenarioError::invalid(
                        "loss.label",
                        format!("must be a neuron index of {name:?} (< {size}), got {label}"),
                    ));
                }
                for (key, v) in [("tau0", *tau0), ("tau1", *tau1)] {
                    // (the scenario's range of time constants)
                    crate::build::values::Check::Tau
                        .test(v, " ms")
                        .map_err(|m| ScenarioError::invalid(format!("loss.{key}"), m))?;
                }
                if !(alpha.is_finite() && *alpha >= 0.0) {
                    return Err(ScenarioError::invalid(
                        "loss.alpha",
                        "must be a finite number >= 0",
                    ));
                }
            }
        }
        Ok(p)
    }

    /// The loss, given each neuron's spike times in order and the run's end.
    pub fn value(&self, spikes: &[Vec<f64>], end: f64) -> f64 {
        match self {
            Loss::SpikeTimes { targets, .. } => {
                let mut sum = 0.0;
                for (ts, got) in targets.iter().zip(spikes) {
                    for (k, target) in ts.iter().enumerate() {
                        let t = got.get(k).copied().unwrap_or(end);
                        sum += 0.5 * (t - target) * (t - target);
                    }
                }
                sum
            }
            Loss::FirstSpikeCe {
                label,
                tau0,
                alpha,
                tau1,
                ..
            } => {
                let t = first_times(spikes, end);
                let (m, log_sum, _) = softmax(&t, *tau0);
                // (t_label − t_min first: t/tau0 of each would cancel for a small tau0)
                let mut l = (t[*label] - m) / tau0 + log_sum;
                if *alpha > 0.0 {
                    l += alpha * ((t[*label] / tau1).exp() - 1.0);
                }
                l
            }
        }
    }

    /// ∂loss/∂t for each spike the loss uses: per neuron, one value per spike from the first.
    pub fn derivative(&self, spikes: &[Vec<f64>], end: f64) -> Vec<Vec<f64>> {
        match self {
            Loss::SpikeTimes { targets, .. } => targets
                .iter()
                .zip(spikes)
                .map(|(ts, got)| got.iter().zip(ts).map(|(t, target)| t - target).collect())
                .collect(),
            Loss::FirstSpikeCe {
                label,
                tau0,
                alpha,
                tau1,
                ..
            } => {
                let t = first_times(spikes, end);
                let (_, _, p) = softmax(&t, *tau0);
                spikes
                    .iter()
                    .enumerate()
                    .map(|(n, got)| {
                        if got.is_empty() {
                            return vec![];
                        }
                        let hit = if n == *label { 1.0 } else { 0.0 };
                        let mut d = (hit - p[n]) / tau0;
                        if n == *label && *alpha > 0.0 {
                            d += alpha / tau1 * (t[n] / tau1).exp();
                        }
                        vec![d]
                    })
                    .collect()
            }
        }
    }

    /// Spikes the loss uses that the run did not produce.
    pub fn missing(&self, spikes: &[Vec<f64>]) -> usize {
        match self {
            Loss::SpikeTimes { targets, .. } => targets
                .iter()
                .zip(spikes)
                .map(|(ts, got)| ts.len().saturating_sub(got.len()))
                .sum(),
            Loss::FirstSpikeCe { .. } => spikes.iter().filter(|s| s.is_empty()).count(),
        }
    }
}

/// Each neuron's first spike time, or `end` for a silent neuron.
pub fn first_times(spikes: &[Vec<f64>], end: f64) -> Vec<f64> {
    spikes
        .iter()
        .map(|s| s.first().copied().unwrap_or(end))
        .collect()
}

/// `(m, log Σ exp(−(t − m)/tau0), softmax(−t/tau0))` with `m` the earliest time: the
/// log-sum-exp is `log_sum − m/tau0`, left to the caller to combine without cancellation.
fn softmax(t: &[f64], tau0: f64) -> (f64, f64, Vec<f64>) {
    let m = t.iter().copied().fold(f64::INFINITY, f64::min);
    let e: Vec<f64> = t.iter().map(|x| (-(x - m) / tau0).exp()).collect();
    let s: f64 = e.iter().sum();
    (m, s.ln(), e.iter().map(|x| x / s).collect())
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Two neurons firing together: the loss is ln 2 whatever tau0 (a small tau0 used to
    /// cancel t/tau0 terms: 0.693145751953125 at 1e−10, 0 at 1e−300).
    #[test]
    fn cross_entropy_of_a_tie_is_ln_2_for_any_tau0() {
        for tau0 in [1e-6, 1e-3, 1.0, 1e6] {
            let loss = Loss::FirstSpikeCe {
                population: "out".into(),
                label: 0,
                tau0,
                alpha: 0.0,
                tau1: 10.0,
            };
            let l = loss.value(&[vec![12.345], vec![12.345]], 100.0);
            assert!(
                (l - std::f64::consts::LN_2).abs() < 1e-15,
                "tau0 {tau0}: {l}"
            );
        }
    }

    #[test]
    fn cross_entropy_derivative_matches_differences() {
        let loss = Loss::FirstSpikeCe {
            population: "o".into(),
            label: 1,
            tau0: 0.7,
            alpha: 0.01,
            tau1: 5.0,
        };
        let spikes = vec![vec![3.0], vec![4.5, 6.0], vec![2.2]];
        let d = loss.derivative(&spikes, 20.0);
        for n in 0..3 {
            let h = 1e-6;
            let mut a = spikes.clone();
            let mut b = spikes.clone();
            a[n][0] += h;
            b[n][0] -= h;
            let fd = (loss.value(&a, 20.0) - loss.value(&b, 20.0)) / (2.0 * h);
            assert!((fd - d[n][0]).abs() < 1e-7, "{n}: {fd} vs {}", d[n][0]);
        }
        // a silent neuron counts at the end and has no derivative
        let silent = vec![vec![3.0], vec![], vec![2.2]];
        assert!(loss.derivative(&silent, 20.0)[1].is_empty());
        assert_eq!(loss.missing(&silent), 1);
    }

    #[test]
    fn spike_time_loss_counts_missing_spikes_at_the_end() {
        let loss = Loss::SpikeTimes {
            population: "o".into(),
            targets: vec![vec![1.0, 5.0], vec![]],
        };
        let spikes = vec![vec![2.0], vec![3.0]];
        assert_eq!(loss.value(&spikes, 10.0), 0.5 * 1.0 + 0.5 * 25.0);
        let alias = r#"{"kind": "first_spike_cross_entropy", "population": "o", "label": 1}"#;
        assert!(matches!(
            Loss::parse(alias.as_bytes()),
            Ok(Loss::FirstSpikeCe { label: 1, .. })
        ));
        assert_eq!(loss.derivative(&spikes, 10.0), vec![vec![1.0], vec![]]);
        assert_eq!(loss.missing(&spikes), 1);
    }
}
