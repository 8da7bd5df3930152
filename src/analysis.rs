//! Read-outs of simulation results: the Jeffress ITD estimator.

use crate::build::{self, BuildOptions};
use crate::error::{ResultsError, RunError};
use crate::network::Network;
use crate::neuron::NeuronModel;
use crate::results::Results;
use std::path::Path;

/// Which populations form a Jeffress network.
#[derive(Clone, Debug)]
pub struct JeffressNames {
    /// The coincidence-detector population.
    pub detectors: String,
    /// The left-ear input.
    pub left: String,
    /// The right-ear input.
    pub right: String,
}

impl Default for JeffressNames {
    fn default() -> Self {
        JeffressNames {
            detectors: "detectors".into(),
            left: "left".into(),
            right: "right".into(),
        }
    }
}

/// The best ITD \[ms\] of each detector: `d_left(j) - d_right(j)`, the axonal delays from the
/// first fibre of each ear to detector j. A sound whose right-ear signal lags the left by
/// this ITD makes both ears' spikes arrive at detector j together. `None` for a detector
/// that the first fibre of either ear does not reach.
pub fn best_itds(net: &Network, names: &JeffressNames) -> Result<Vec<Option<f64>>, String> {
    let det = net
        .populations
        .iter()
        .find(|p| p.name == names.detectors)
        .ok_or_else(|| format!("no population named \"{}\"", names.detectors))?;
    let n = det.neurons.len();
    let row = |ear: &str| -> Result<Vec<Option<f64>>, String> {
        let inp = net
            .inputs
            .iter()
            .find(|p| p.name == ear)
            .ok_or_else(|| format!("no input named \"{ear}\""))?;
        let node = net.node_of_source(inp.offset);
        let first = det.offset.index();
        let mut d = vec![None; n];
        for (delay, start, end) in net.connectivity.groups(node) {
            for k in start as usize..end as usize {
                let t = net.connectivity.target[k].index();
                if t >= first && t < first + n && d[t - first].is_none() {
                    d[t - first] = Some(delay);
                }
            }
        }
        Ok(d)
    };
    let (l, r) = (row(&names.left)?, row(&names.right)?);
    Ok(l.iter().zip(&r).map(|(a, b)| Some((*a)? - (*b)?)).collect())
}

/// The read-out of one run directory.
#[derive(Clone, Debug, PartialEq)]
pub struct Readout {
    /// Estimated ITD \[ms\], or `None` when no detector fired.
    pub itd: Option<f64>,
    /// Spikes of the detectors.
    pub detector_spikes: u64,
    /// Number of detectors.
    pub detectors: usize,
}

/// Checks a read-out threshold fraction: a number in [0, 1).
pub fn check_frac(frac: f64) -> Result<f64, RunError> {
    if frac.is_finite() && (0.0..1.0).contains(&frac) {
        Ok(frac)
    } else {
        Err(RunError::Option(format!(
            "--frac: must be a number in [0, 1), got {frac}"
        )))
    }
}

/// The ITD estimate of the run in `dir`: best ITDs from the network rebuilt from its
/// `scenario.json` with `limits` (nominal delays: no grid), counts from its spikes.
pub fn readout_dir(
    dir: &Path,
    names: &JeffressNames,
    frac: f64,
    limits: &BuildOptions,
) -> Result<Readout, RunError> {
    let frac = check_frac(frac)?;
    let (_, net) = build::load_with(&dir.join("scenario.json"), limits)?;
    let itds = best_itds(&net, names).map_err(|m| ResultsError::new(dir, m))?;
    let results = Results::open(dir)?;
    let (neurons, _) = results.spikes_of(&names.detectors)?;
    let mut counts = vec![0u64; itds.len()];
    for j in neurons {
        if let Some(c) = counts.get_mut(j as usize) {
            *c += 1;
        }
    }
    Ok(Readout {
        itd: itd_estimate(&counts, &itds, frac),
        detector_spikes: counts.iter().sum(),
        detectors: counts.len(),
    })
}

/// Thresholded-centroid ITD estimate from detector spike counts.
///
/// 1. `M = max c_j`; no estimate when `M = 0`.
/// 2. `j*` = the lowest index with `c_j = M`.
/// 3. `θ = frac · M`; the run `[lo, hi]` is the largest contiguous range around `j*` with
///    `c_j > θ` (activity elsewhere is ignored).
/// 4. estimate = `Σ (c_j - θ) x_j / Σ (c_j - θ)` over the run.
///
/// A flat or skewed top moves a plain arg-max by whole detectors; the centroid interpolates
/// between them. Detectors without a best ITD end the run.
pub fn itd_estimate(counts: &[u64], itds: &[Option<f64>], frac: f64) -> Option<f64> {
    let m = *counts.iter().max()?;
    if m == 0 {
        return None;
    }
    let js = counts.iter().position(|&c| c == m)?;
    itds[js]?;
    let th = frac * m as f64;
    let ok = |j: usize| counts[j] as f64 > th && itds[j].is_some();
    let (mut lo, mut hi) = (js, js);
    while lo > 0 && ok(lo - 1) {
        lo -= 1;
    }
    while hi + 1 < counts.len() && ok(hi + 1) {
        hi += 1;
    }
    let (mut num, mut den) = (0.0, 0.0);
    for j in lo..=hi {
        let w = counts[j] as f64 - th;
        num += w * itds[j]?;
        den += w;
    }
    Some(num / den)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn centroid_of_a_symmetric_peak_is_its_centre() {
        let itds: Vec<Option<f64>> = (0..9).map(|j| Some(j as f64 * 0.01 - 0.04)).collect();
        let counts = [0, 1, 5, 20, 30, 20, 5, 1, 0];
        let e = itd_estimate(&counts, &itds, 0.3).unwrap();
        assert!(e.abs() < 1e-15, "{e}");
        // a flat top of two detectors: between them
        let counts = [0, 0, 5, 30, 30, 5, 0, 0, 0];
        let e = itd_estimate(&counts, &itds, 0.3).unwrap();
        assert!((e - (-0.005)).abs() < 1e-12, "{e}");
        assert_eq!(itd_estimate(&[0; 9], &itds, 0.3), None);
    }
}
