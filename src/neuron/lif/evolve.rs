//! The exact evolution of one `lif` neuron's state between events, in closed form (the
//! general propagator: one `exp` per rate; equations in `docs/models.md`).

use super::shared::separated;
use super::{ChannelKind, Layout};
use crate::neuron::kernels::{d1_with, d2_with};

/// Exact evolution by `dt` ≥ 0 of one neuron's state (V, channel states, threshold terms);
/// `frozen` keeps V fixed (refractory). A free function over the population's parts so that
/// [`LifPopulation::advance`](super::LifPopulation::advance) can work in place.
#[inline]
pub(super) fn evolve_parts(
    layout: &Layout,
    (mu, v_inf): (f64, f64),
    rates: &[f64],
    thr_rates: &[f64],
    (v_state, s, th): (&mut f64, &mut [f64], &mut [f64]),
    dt: f64,
    frozen: bool,
) {
    if dt == 0.0 {
        return;
    }
    // while refractory V is held, so its factor is not needed
    let e_mu = if frozen { 0.0 } else { (-mu * dt).exp() };
    let mut v = if frozen {
        *v_state
    } else {
        v_inf + (*v_state - v_inf) * e_mu
    };
    for (c, kind) in layout.channels.iter().enumerate() {
        let lam = rates[c];
        let o = layout.offsets[c];
        let decay = (-lam * dt).exp();
        match kind {
            ChannelKind::Exp => {
                let i0 = s[o];
                if !frozen && i0 != 0.0 {
                    // well-separated rates: from the two exponentials, as the shared
                    // propagator does (no `expm1`; error a few ulp of the current)
                    let d1 = if separated(mu, lam) {
                        (e_mu - decay) / (lam - mu)
                    } else {
                        d1_with(mu, lam, dt, e_mu, decay)
                    };
                    v += mu * i0 * d1;
                }
                s[o] = i0 * decay;
            }
            ChannelKind::Alpha => {
                let (i0, j0) = (s[o], s[o + 1]);
                if !frozen && (i0 != 0.0 || j0 != 0.0) {
                    v += mu
                        * (i0 * d1_with(mu, lam, dt, e_mu, decay)
                            + j0 * d2_with(mu, lam, dt, e_mu, decay));
                }
                s[o] = (i0 + j0 * dt) * decay;
                s[o + 1] = j0 * decay;
            }
        }
    }
    *v_state = v;
    for (x, rate) in th.iter_mut().zip(thr_rates) {
        *x *= (-rate * dt).exp();
    }
}
