//! The `qif` model (extension): quadratic integrate-and-fire with delta inputs, a nonlinear
//! model whose trajectory and next spike time are still closed form, to show that the engine
//! is not tied to linear dynamics.
//!
//! ```text
//! tau_m dV/dt = (V − v_rest)(V − v_crit)/(v_crit − v_rest) + i_bias
//! ```
//!
//! With d = v_crit − v_rest, m = (v_rest + v_crit)/2 and x = V − m this is
//! `τ' dx/dt = x² + c` with `τ' = tau_m·d` and `c = i_bias·d − d²/4`:
//!
//! * c > 0 (drive above rheobase): x(t) = √c·tan(√c·t/τ' + atan(x0/√c)); it reaches the
//!   peak x_p after `τ'/√c·(atan(x_p/√c) − atan(x0/√c))`;
//! * c = 0: x(t) = x0/(1 − x0·t/τ'); a spike after `τ'(1/x0 − 1/x_p)` if x0 > 0;
//! * c < 0, k = √−c: fixed points ±k; for |x0| < k, x(t) = −k·tanh(k·t/τ' − atanh(x0/k)),
//!   no spike; for x0 > k, x(t) = −k·coth(k·t/τ' − acoth(x0/k)), a spike after
//!   `τ'/k·(acoth(x0/k) − acoth(x_p/k))`; for x0 < −k it relaxes to −k.

use super::NeuronModel;

/// Per-neuron constants.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct QifConsts {
    /// τ' = tau_m·(v_crit − v_rest) [ms·mV].
    pub tau: f64,
    /// m = (v_rest + v_crit)/2 \[mV\].
    pub mid: f64,
    /// c = i_bias·d − d²/4 \[mV²\].
    pub c: f64,
    /// d = v_crit − v_rest \[mV\] (a drive of `x` mV adds `x·d` to `c`).
    pub span: f64,
    /// Spike cut-off \[mV\].
    pub v_peak: f64,
    /// Reset \[mV\].
    pub v_reset: f64,
    /// Refractory period \[ms\].
    pub t_ref: f64,
}

/// A population of `qif` neurons.
#[derive(Clone, Debug)]
pub struct QifPopulation {
    consts: Vec<QifConsts>,
    t_last: Vec<f64>,
    v: Vec<f64>,
    ref_until: Vec<f64>,
    /// Each neuron's `c` without injected drive (empty unless a current drives it).
    drive_base: Vec<f64>,
}

fn acoth(y: f64) -> f64 {
    0.5 * ((y + 1.0) / (y - 1.0)).ln()
}

impl QifConsts {
    /// x after time `t` from x0 (no spike in between assumed).
    fn evolve(&self, x0: f64, t: f64) -> f64 {
        if t == 0.0 {
            return x0;
        }
        let c = self.c;
        let tau = self.tau;
        if c > 0.0 {
            let r = c.sqrt();
            r * (r * t / tau + (x0 / r).atan()).tan()
        } else if c == 0.0 {
            x0 / (1.0 - x0 * t / tau)
        } else {
            let k = (-c).sqrt();
            let y = x0 / k;
            if y.abs() < 1.0 {
                -k * (k * t / tau - y.atanh()).tanh()
            } else if y == 1.0 || y == -1.0 {
                x0
            } else {
                // −k·coth(k t/τ' − acoth(y))
                -k / (k * t / tau - acoth(y)).tanh()
            }
        }
    }

    /// Time from x0 (< x_p) until x reaches x_p, or None.
    fn time_to_peak(&self, x0: f64) -> Option<f64> {
        let xp = self.v_peak - self.mid;
        let (c, tau) = (self.c, self.tau);
        if c > 0.0 {
            let r = c.sqrt();
            Some(tau / r * ((xp / r).atan() - (x0 / r).atan()))
        } else if c == 0.0 {
            (x0 > 0.0).then(|| tau * (1.0 / x0 - 1.0 / xp))
        } else {
            let k = (-c).sqrt();
            (x0 > k).then(|| tau / k * (acoth(x0 / k) - acoth(xp / k)))
        }
    }
}

impl QifPopulation {
    /// A population from per-neuron constants and initial potentials.
    pub fn new(consts: Vec<QifConsts>, v_init: Vec<f64>) -> Self {
        let n = consts.len();
        QifPopulation {
            consts,
            t_last: vec![0.0; n],
            v: v_init,
            ref_until: vec![f64::NEG_INFINITY; n],
            drive_base: Vec::new(),
        }
    }

    fn v_after(&self, i: usize, t: f64) -> f64 {
        let (t0, r) = (self.t_last[i], self.ref_until[i]);
        let k = &self.consts[i];
        let free_from = t0.max(r);
        if t <= free_from {
            return self.v[i];
        }
        // V is held during refractoriness; then the closed form. Never past the peak: the
        // engine fires first.
        k.mid + k.evolve(self.v[i] - k.mid, t - free_from)
    }
}

/// The next spike is closed form, so the default bound (the exact answer) is used.
impl NeuronModel for QifPopulation {
    fn len(&self) -> usize {
        self.consts.len()
    }

    fn n_receptors(&self) -> usize {
        1
    }

    /// Brings neuron `i` to time `t`.
    fn advance(&mut self, i: usize, t: f64) {
        if t > self.t_last[i] {
            self.v[i] = self.v_after(i, t).min(self.consts[i].v_peak);
            self.t_last[i] = t;
        }
    }

    /// Membrane potential at `t`, state unchanged.
    fn v_at(&self, i: usize, t: f64) -> f64 {
        self.v_after(i, t.max(self.t_last[i]))
            .min(self.consts[i].v_peak)
    }

    fn expect_drive(&mut self) {
        if self.drive_base.is_empty() {
            self.drive_base = self.consts.iter().map(|k| k.c).collect();
        }
    }

    /// `c = c₀ + drive·d`: the drive adds to `i_bias`, which enters `c` times `d`.
    fn set_drive(&mut self, i: usize, drive: f64) {
        self.consts[i].c = self.drive_base[i] + drive * self.consts[i].span;
    }

    /// A delta input of `w` mV (discarded while refractory).
    fn receive(&mut self, i: usize, _receptor: usize, w: f64) {
        if self.t_last[i] >= self.ref_until[i] {
            self.v[i] += w;
        }
    }

    /// True if the neuron is at or above its peak and not refractory.
    fn above_threshold(&self, i: usize) -> bool {
        self.t_last[i] >= self.ref_until[i] && self.v[i] >= self.consts[i].v_peak
    }

    /// Spike at the current time: reset and refractoriness.
    fn fire(&mut self, i: usize) {
        let k = self.consts[i];
        self.v[i] = k.v_reset;
        self.ref_until[i] = if k.t_ref > 0.0 {
            self.t_last[i] + k.t_ref
        } else {
            f64::NEG_INFINITY
        };
    }

    /// The exact next spike time in `[now, end)`, or None.
    fn next_spike(&self, i: usize, end: f64) -> Option<f64> {
        let k = &self.consts[i];
        let t0 = self.t_last[i].max(self.ref_until[i]);
        if self.v[i] >= k.v_peak {
            return (t0 < end).then_some(t0);
        }
        let t = t0 + k.time_to_peak(self.v[i] - k.mid)?;
        (t < end).then_some(t)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Independent check: 4th-order Runge-Kutta with a tiny step.
    fn rk4(k: &QifConsts, x0: f64, t: f64) -> f64 {
        let f = |x: f64| (x * x + k.c) / k.tau;
        let n = 200_000;
        let h = t / n as f64;
        let mut x = x0;
        for _ in 0..n {
            let a = f(x);
            let b = f(x + 0.5 * h * a);
            let c = f(x + 0.5 * h * b);
            let d = f(x + h * c);
            x += h / 6.0 * (a + 2.0 * b + 2.0 * c + d);
        }
        x
    }

    fn consts(bias: f64) -> QifConsts {
        // v_rest -70, v_crit -50, tau_m 10: d = 20, m = -60
        QifConsts {
            tau: 10.0 * 20.0,
            mid: -60.0,
            c: bias * 20.0 - 100.0,
            span: 20.0,
            v_peak: 20.0,
            v_reset: -70.0,
            t_ref: 0.0,
        }
    }

    #[test]
    fn closed_form_matches_runge_kutta_in_every_regime() {
        for &(bias, x0, t) in &[
            (8.0, -10.0, 3.0),  // c > 0
            (5.0, 2.0, 10.0),   // c = 0, x0 > 0
            (5.0, -3.0, 10.0),  // c = 0, x0 < 0
            (2.0, 3.0, 10.0),   // c < 0, |x0| < k
            (2.0, 10.0, 2.0),   // c < 0, x0 > k
            (2.0, -12.0, 10.0), // c < 0, x0 < -k
        ] {
            let k = consts(bias);
            let a = k.evolve(x0, t);
            let b = rk4(&k, x0, t);
            assert!(
                (a - b).abs() < 1e-9 * (1.0 + b.abs()),
                "bias {bias} x0 {x0}: {a} vs {b}"
            );
        }
    }

    #[test]
    fn time_to_peak_lands_on_the_peak() {
        for &(bias, x0) in &[(8.0, -10.0), (5.0, 2.0), (2.0, 10.0)] {
            let k = consts(bias);
            let t = k.time_to_peak(x0).unwrap();
            let just_before = k.evolve(x0, t * (1.0 - 1e-9));
            assert!(just_before < k.v_peak - k.mid);
            let at = k.evolve(x0, t);
            assert!(((at - (k.v_peak - k.mid)) / 80.0).abs() < 1e-9, "{at}");
        }
        assert_eq!(consts(2.0).time_to_peak(3.0), None);
        assert_eq!(consts(5.0).time_to_peak(-1.0), None);
    }
}
