//! The bound for layouts with alpha channels or threshold adaptation, straight from the
//! state: the numbers of
//! [`ExpPoly`](super::ExpPoly)'s `upper_bound`, `slope_bound` and `curvature_bound` of
//! `distance_poly`, without building the polynomial (its 18-term buffer, merging and loops
//! over every coefficient were 40 % of a CUBA run with alpha receptors).
//!
//! It applies when every neuron's rates (membrane, channels, threshold terms) are pairwise
//! distinct, nonzero and not near-degenerate: then the polynomial is, in order, the constant
//! `V∞ − θ`, one `e^{−μs}` term, one term per channel, `(a + b s) e^{−λ s}` (`b = 0` for exp),
//! and one `−θ_j e^{−ρ_j s}` per threshold term, and its bounds are sums over those monomials
//! in that order, which this code repeats term for term (a monomial that does not count adds
//! a zero, which changes no sum), so the numbers are the same bit for bit. (Exp-only layouts
//! without threshold terms have their own path, `simple_bounds`.)

use super::{ChannelKind, LifPopulation, NeuronInit};
use crate::neuron::crossing::{CURV_NEG, CURV_SUP, E_NEG, SLOPE_NEG, SLOPE_SUP};

/// Most channels the path handles (a fixed-size buffer; more use the polynomial).
pub(super) const MAX: usize = 4;

/// True when the layout and every neuron's rates allow [`LifPopulation::mixed_bounds`].
pub(super) fn applies(channels: &[ChannelKind], n_thr: usize, neurons: &[NeuronInit]) -> bool {
    channels.len() <= MAX
        && (n_thr > 0 || channels.contains(&ChannelKind::Alpha))
        && neurons.iter().all(|ni| {
            let mu = ni.scalars.rate_m;
            let mut r = vec![mu];
            r.extend_from_slice(&ni.chan_rate);
            r.extend_from_slice(&ni.thr_rate);
            r.iter().all(|&x| x > 0.0 && x.is_finite())
                && ni.chan_rate.iter().all(|&l| !super::near_degenerate(mu, l))
                && ni.distinct_rates()
        })
}

/// One monomial's share of a derivative bound: `scale·sup·c` for `c > 0`, `scale·neg·|c|`
/// otherwise (zero for `c = 0`).
#[inline]
fn share(scale: f64, c: f64, sup: f64, neg: f64) -> f64 {
    scale * if c > 0.0 { c * sup } else { -c * neg }
}

impl LifPopulation {
    /// `(upper bound of g on [0, ∞), upper bound of g', quadratic bound)` for neuron `i` at
    /// the non-refractory state `v`, `st`, `th` (see the module docs).
    pub(super) fn mixed_bounds(
        &self,
        i: usize,
        v: f64,
        st: &[f64],
        th: &[f64],
        g0: f64,
    ) -> (f64, f64, f64) {
        let sc = &self.scalars[i];
        let (mu, rates) = self.rates_of(i);
        let nch = self.layout.channels.len();
        // the e^{−μs} coefficient, and per channel (λ, a, b) of (a + b s) e^{−λs}, built
        // with the polynomial's operations in its order
        let mut c_mu = v - sc.v_inf;
        let mut ch = [(0.0, 0.0, 0.0); MAX];
        for (c, kind) in self.layout.channels.iter().enumerate() {
            let lam = rates[c];
            let o = self.layout.offsets[c];
            let d = lam - mu;
            let ci = mu * st[o];
            c_mu += ci / d;
            let mut a = -ci / d;
            let mut b = 0.0;
            if *kind == ChannelKind::Alpha {
                let cj = mu * st[o + 1];
                c_mu += cj / (d * d);
                a += -cj / (d * d);
                b = -cj / d;
            }
            ch[c] = (lam, a, b);
        }
        let ch = &ch[..nch];
        // sup g: the constant, every positive e^{−λs} coefficient (max 1) and every positive
        // s e^{−λs} coefficient (max e^{−1}/λ)
        let mut upper = 0.0 + (sc.v_inf - sc.v_th);
        upper += c_mu.max(0.0);
        for &(lam, a, b) in ch {
            upper += a.max(0.0);
            upper += b.max(0.0) * ((1.0 / lam) * E_NEG[1]);
        }
        // sup g' and sup g'': λ^{order−k} times the tabulated extremes, monomial by monomial
        let mut slope = share(mu, c_mu, SLOPE_SUP[0], SLOPE_NEG[0]);
        let mut curv = share(mu * mu, c_mu, CURV_SUP[0], CURV_NEG[0]);
        for &(lam, a, b) in ch {
            slope += share(lam, a, SLOPE_SUP[0], SLOPE_NEG[0]);
            slope += share(1.0, b, SLOPE_SUP[1], SLOPE_NEG[1]);
            curv += share(lam * lam, a, CURV_SUP[0], CURV_NEG[0]);
            curv += share(lam, b, CURV_SUP[1], CURV_NEG[1]);
        }
        // the threshold terms −θ_j e^{−ρ_j s}, last
        let nt = self.layout.n_thr;
        for (&rho, &x) in self.thr_rate[i * nt..(i + 1) * nt].iter().zip(th) {
            let c = -x;
            upper += c.max(0.0);
            slope += share(rho, c, SLOPE_SUP[0], SLOPE_NEG[0]);
            curv += share(rho * rho, c, CURV_SUP[0], CURV_NEG[0]);
        }
        let g1 = self.slope_at(i, v, st, th);
        (upper, slope, super::bounds::quadratic_bound(g0, g1, curv))
    }
}
