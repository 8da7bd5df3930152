//! Read-outs of simulation results: the Jeffress ITD estimator.

use crate::network::Network;

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

/// The best ITD [ms] of each detector: `d_left(j) - d_right(j)`, the axonal delays from the
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
        let node = net.n_neurons() + inp.offset;
        let mut d = vec![None; n];
        for (delay, start, end) in net.connectivity.groups(node) {
            for k in start as usize..end as usize {
                let t = net.connectivity.target[k] as usize;
                if t >= det.offset && t < det.offset + n && d[t - det.offset].is_none() {
                    d[t - det.offset] = Some(delay);
                }
            }
        }
        Ok(d)
    };
    let (l, r) = (row(&names.left)?, row(&names.right)?);
    Ok(l.iter().zip(&r).map(|(a, b)| Some((*a)? - (*b)?)).collect())
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
