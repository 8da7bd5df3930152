//! The `lif` model: leaky integrate-and-fire with any mix of `delta`, `exp` and `alpha`
//! receptors, bias, spike-triggered adaptation currents, threshold adaptation and a
//! refractory period, all solved in closed form (equations in `docs/models.md`).
//!
//! A population stores every neuron's constants and state in flat arrays, grouped by when
//! they are read: what every event touches (last update, V, refractory end, V∞, θ) in one
//! aligned cache line per neuron (`record`), the channel states and shared factors (or the
//! neuron's own rates) in one block per neuron — inside that line when they fit (two exp
//! channels, V∞ and θ the same for all: one line per delivery) — the rest in arrays of
//! their own. All derived constants are computed once at build time. Equal rates across a
//! population get shared exponentials (`shared`); per-neuron rates forgo them, and with a
//! simple layout get the factored propagator (`factored`: one `exp` per rate, the rates in
//! the neuron's block).

mod bounds;
mod evolve;
mod factored;
mod fused;
mod layout;
mod mixed;
mod record;
mod shared;
mod sines;

pub use fused::Fused;
pub use layout::{ChannelKind, Layout, NeuronInit, Scalars, Slot};

use super::crossing::{first_crossing_after, ExpPoly};
use super::kernels::d1_with;
use super::{NeuronModel, Next, Outcome};
use crate::memory;
use bounds::{bound_at, near_degenerate};
use evolve::evolve_parts;
use record::{Head, Hot, Place, IN_RECORD};
use shared::{separated, Shared};

/// Most current channels (exp/alpha receptors + adaptation) plus threshold terms per neuron.
pub const MAX_CHANNELS: usize = 16;

/// A population of `lif` neurons: constants and state.
#[derive(Clone, Debug)]
pub struct LifPopulation {
    layout: Layout,
    n: usize,
    scalars: Vec<Scalars>,
    /// n × channels: decay rate of each channel.
    chan_rate: Vec<f64>,
    /// n × n_adapt: adaptation increments.
    adapt_inc: Vec<f64>,
    /// n × n_thr: threshold-adaptation rates and increments.
    thr_rate: Vec<f64>,
    thr_inc: Vec<f64>,
    // ---- state ----
    /// Per neuron: what every event reads, in one 64-byte record (one cache line; see
    /// `record`) rather than one array each; then the blocks when they do not fit it.
    hot: memory::Pages<Hot>,
    state: memory::Pages<f64>,
    thr: Vec<f64>,
    // ---- shared exponentials (all neurons with the same rates; see `shared`) ----
    shared: Option<Shared>,
    /// Where each neuron's block (its channel states, then with shared exponentials
    /// `e^{λ(t_last - T)}` per rate, T the start of its epoch, or, factored, its rates) and
    /// V∞, θ are kept: in its record (compact) or a separate array. One block per neuron, so
    /// a delivery reads one place.
    place: Place,
    /// V_reset and t_ref when the same for every neuron (bit for bit): a firing then reads
    /// no line of `scalars`, cold in a large network.
    reset: Option<(f64, f64)>,
    /// Every channel is exp, no threshold adaptation and no rate within the near-degenerate
    /// band: the bound is computed without building the solver's polynomial.
    simple_bound: bool,
    /// Alpha channels or threshold terms, distinct rates: the bound without the polynomial
    /// (`mixed`).
    mixed_bound: bool,
    /// Rates differ between neurons but the layout is simple (see `factored`): each block
    /// also holds the neuron's rates.
    factored: bool,
    /// Shared or factored rates, each neuron's pairwise distinct: the specialised bound and
    /// (shared) propagator.
    distinct: bool,
    /// Shared or factored pairwise-distinct rates, exp channels only (at most 3), no
    /// threshold terms: a delivery advances, adds and bounds in one pass (`fused`).
    fused: bool,
    /// Each neuron's V∞ without injected drive (empty unless a current drives it).
    drive_base: Vec<f64>,
    /// Per neuron, its sinusoidal drives' responses (empty unless a sinusoidal current
    /// drives the population; see `sines`): the state then holds V minus their sum.
    sines: Vec<Vec<sines::Forced>>,
    /// One bit per neuron, set while it has a sinusoidal drive (empty unless one drives the
    /// population): the fused paths leave those neurons to the general calls, which add
    /// `P`, and keep the others (see `sines`).
    driven: Vec<u64>,
}

/// A neuron's state copied out for look-ahead computations (no allocation).
#[derive(Clone, Copy)]
struct Local {
    v: f64,
    s: [f64; 2 * MAX_CHANNELS],
    th: [f64; MAX_CHANNELS],
}

impl LifPopulation {
    /// A population with the given layout and per-neuron values.
    pub fn new(layout: Layout, neurons: Vec<NeuronInit>) -> Self {
        let n = neurons.len();
        let nch = layout.channels.len();
        assert!(nch + layout.n_thr <= MAX_CHANNELS);
        let mut p = LifPopulation {
            n,
            scalars: Vec::with_capacity(n),
            chan_rate: Vec::with_capacity(n * nch),
            adapt_inc: Vec::with_capacity(n * layout.n_adapt),
            thr_rate: Vec::with_capacity(n * layout.n_thr),
            thr_inc: Vec::with_capacity(n * layout.n_thr),
            hot: memory::Pages::with_capacity(n),
            // (filled below, once the layout of the blocks is known)
            state: memory::Pages::new(),
            thr: vec![0.0; n * layout.n_thr],
            shared: None,
            place: Place {
                stride: layout.n_state,
                compact: None,
            },
            reset: None,
            simple_bound: false,
            mixed_bound: false,
            factored: false,
            distinct: false,
            fused: false,
            drive_base: Vec::new(),
            sines: Vec::new(),
            driven: Vec::new(),
            layout,
        };
        let all_exp = p.layout.channels.iter().all(|k| *k == ChannelKind::Exp);
        let first = neurons
            .first()
            .map(|ni| (ni.scalars.rate_m, ni.chan_rate.clone()));
        let uniform = neurons
            .iter()
            .all(|ni| Some((ni.scalars.rate_m, ni.chan_rate.clone())) == first);
        let same_consts = same_for_all(&neurons, |s| (s.v_inf, s.v_th));
        p.reset = same_for_all(&neurons, |s| (s.v_reset, s.t_ref));
        if let (true, true, 0, Some((mu, rates))) = (all_exp, uniform, p.layout.n_thr, &first) {
            p.shared = Shared::new(*mu, rates);
        }
        p.factored =
            p.shared.is_none() && all_exp && p.layout.n_thr == 0 && factored::applies(&neurons);
        // each neuron's initial block: channel states 0, then the shared factors e^0 = 1 or
        // (factored) its rates
        let ns = p.layout.n_state;
        let (shared, fac) = (p.shared.is_some(), p.factored);
        let ones = if shared { 1 + nch } else { 0 };
        p.place.stride = ns + ones + if fac { 1 + nch } else { 0 };
        if (shared || fac) && p.place.stride <= IN_RECORD {
            p.place.compact = same_consts;
        }
        if p.place.compact.is_none() {
            p.state = memory::Pages::with_capacity(n * p.place.stride);
            p.state.extend(
                neurons
                    .iter()
                    .flat_map(|ni| initial_block(ni, ns, ones, fac)),
            );
        }
        p.distinct =
            (p.shared.is_some() || p.factored) && neurons.iter().all(NeuronInit::distinct_rates);
        p.mixed_bound = mixed::applies(&p.layout.channels, p.layout.n_thr, &neurons);
        p.simple_bound = all_exp
            && p.layout.n_thr == 0
            && neurons.iter().all(|ni| {
                let mu = ni.scalars.rate_m;
                ni.chan_rate.iter().all(|&l| !near_degenerate(mu, l))
            });
        // (a simple bound means exp channels only, one state each, and no threshold terms)
        p.fused = p.distinct && p.simple_bound && nch <= fused::MAX_FUSED;
        for ni in neurons {
            debug_assert_eq!(ni.chan_rate.len(), nch);
            p.scalars.push(ni.scalars);
            // a record's floats after its head: the block (compact) or V∞ and θ
            let mut x0 = [0.0; IN_RECORD];
            match p.place.compact {
                Some(_) => {
                    let block = initial_block(&ni, ns, ones, fac);
                    x0.iter_mut().zip(block).for_each(|(x, c)| *x = c);
                }
                None => x0[..2].copy_from_slice(&[ni.scalars.v_inf, ni.scalars.v_th]),
            }
            p.hot.push(Hot {
                head: Head {
                    t_last: 0.0,
                    v: ni.v_init,
                    ref_until: f64::NEG_INFINITY,
                },
                x: x0,
            });
            p.chan_rate.extend_from_slice(&ni.chan_rate);
            p.adapt_inc.extend_from_slice(&ni.adapt_inc);
            p.thr_rate.extend_from_slice(&ni.thr_rate);
            p.thr_inc.extend_from_slice(&ni.thr_inc);
        }
        p
    }

    /// Neuron `i`'s constants and channel decay rates (the gradient pass replays from them).
    pub fn constants(&self, i: usize) -> (Scalars, &[f64]) {
        let nch = self.layout.channels.len();
        (self.scalars[i], &self.chan_rate[i * nch..(i + 1) * nch])
    }

    /// Neuron `i`'s adaptation increments, threshold-adaptation rates and threshold-adaptation
    /// increments (the gradient pass replays from them).
    pub fn adaptation_constants(&self, i: usize) -> (&[f64], &[f64], &[f64]) {
        let (na, nt) = (self.layout.n_adapt, self.layout.n_thr);
        (
            &self.adapt_inc[i * na..(i + 1) * na],
            &self.thr_rate[i * nt..(i + 1) * nt],
            &self.thr_inc[i * nt..(i + 1) * nt],
        )
    }

    /// Neuron `i`'s membrane potential at its last update (its `v_init` before a run).
    pub fn potential(&self, i: usize) -> f64 {
        self.hot[i].v
    }

    /// Number of neurons.
    pub fn len(&self) -> usize {
        self.n
    }

    /// True for an empty population.
    pub fn is_empty(&self) -> bool {
        self.n == 0
    }

    /// True if neurons advance with shared per-instant exponentials (see `lif/shared.rs`).
    pub fn uses_shared_exponentials(&self) -> bool {
        self.shared.is_some()
    }

    /// True if neurons advance with the factored per-neuron propagator (see `lif/factored.rs`).
    pub fn uses_factored_propagator(&self) -> bool {
        self.factored
    }

    /// Switches to the general propagator (one `exp` per rate and event): the reference the
    /// shared-exponential path is tested against, and the baseline it is measured against.
    pub fn use_general_propagator(&mut self) {
        // the factor (or constant) slots stay in each neuron's block, unused
        self.shared = None;
        self.factored = false;
        self.distinct = false;
        self.fused = false;
    }

    /// The shared layout.
    pub fn layout(&self) -> &Layout {
        &self.layout
    }

    fn local(&self, i: usize) -> Local {
        let ns = self.layout.n_state;
        let nt = self.layout.n_thr;
        let mut l = Local {
            v: self.hot[i].v,
            s: [0.0; 2 * MAX_CHANNELS],
            th: [0.0; MAX_CHANNELS],
        };
        l.s[..ns].copy_from_slice(&self.block(i)[..ns]);
        l.th[..nt].copy_from_slice(&self.thr[i * nt..(i + 1) * nt]);
        l
    }

    /// Exact evolution of a local state by `dt` ≥ 0; `frozen` keeps V fixed (refractory).
    #[inline]
    fn evolve(&self, i: usize, l: &mut Local, dt: f64, frozen: bool) {
        let (ns, nt) = (self.layout.n_state, self.layout.n_thr);
        // (rates and V∞ from the record or the shared propagator where they are: the same
        // numbers as `scalars` and `chan_rate`, without their cache lines)
        let (mu, rates) = self.rates_of(i);
        evolve_parts(
            &self.layout,
            (mu, self.consts(i).0),
            rates,
            &self.thr_rate[i * nt..(i + 1) * nt],
            (&mut l.v, &mut l.s[..ns], &mut l.th[..nt]),
            dt,
            frozen,
        );
    }

    /// Evolves `l` (at `t0`) to `t`, splitting at the end of refractoriness.
    fn evolve_to(&self, i: usize, l: &mut Local, t0: f64, t: f64) {
        let r = self.hot[i].ref_until;
        if t0 < r {
            let t1 = t.min(r);
            self.evolve(i, l, t1 - t0, true);
            if t > r {
                self.evolve(i, l, t - r, false);
            }
        } else {
            self.evolve(i, l, t - t0, false);
        }
    }

    /// Brings neuron `i` to time `t` (≥ its last update).
    pub fn advance(&mut self, i: usize, t: f64) {
        let t0 = self.hot[i].t_last;
        debug_assert!(
            t >= t0,
            "internal error: neuron advanced backwards {t0} -> {t}"
        );
        if let Some(sh) = &mut self.shared {
            sh.set_now(t);
        }
        if t <= t0 {
            return;
        }
        if self.shared.is_some() && t0 >= self.hot[i].ref_until && self.advance_shared(i) {
            self.hot[i].t_last = t;
            return;
        }
        if self.factored && t0 >= self.hot[i].ref_until {
            self.advance_factored(i, t - t0);
            self.hot[i].t_last = t;
            return;
        }
        // In place (the hot path: every delivery): no copy of the state.
        let (ns, nt) = (self.layout.n_state, self.layout.n_thr);
        let nch = self.layout.channels.len();
        let r = self.hot[i].ref_until;
        let pl = self.place;
        let mut step = |dt: f64, frozen: bool| {
            let (h, blk, _) = pl.split(&mut self.hot, &mut self.state, i);
            evolve_parts(
                &self.layout,
                (self.scalars[i].rate_m, self.scalars[i].v_inf),
                &self.chan_rate[i * nch..(i + 1) * nch],
                &self.thr_rate[i * nt..(i + 1) * nt],
                (
                    &mut h.v,
                    &mut blk[..ns],
                    &mut self.thr[i * nt..(i + 1) * nt],
                ),
                dt,
                frozen,
            )
        };
        if t0 < r {
            let t1 = t.min(r);
            step(t1 - t0, true);
            if t > r {
                step(t - r, false);
            }
        } else {
            step(t - t0, false);
        }
        self.hot[i].t_last = t;
        self.store_shared(i);
    }

    /// Records the current instant's shared factors as the neuron's last update.
    #[inline]
    fn store_shared(&mut self, i: usize) {
        if let Some(sh) = &self.shared {
            // (the epoch is the one the record's time lies in: `t_last` is now)
            let (ns, pl) = (self.layout.n_state, self.place);
            let blk = pl.split(&mut self.hot, &mut self.state, i).1;
            blk[ns..ns + sh.rates.len()].copy_from_slice(&sh.g_now);
        }
    }

    /// The propagator with shared exponentials (no `exp` call), for a neuron outside
    /// refractoriness whose last update is at most one epoch back; false if it is further
    /// back (the caller then uses the general propagator).
    #[inline]
    fn advance_shared(&mut self, i: usize) -> bool {
        let Some(sh) = &self.shared else { return false };
        let nr = sh.rates.len();
        if self.distinct {
            match nr - 1 {
                0 => return self.advance_distinct::<0>(i),
                1 => return self.advance_distinct::<1>(i),
                2 => return self.advance_distinct::<2>(i),
                3 => return self.advance_distinct::<3>(i),
                _ => {}
            }
        }
        let Some(same) = sh.epoch_of(self.hot[i].t_last) else {
            return false;
        };
        // the block: nr - 1 exp channel states, then nr factors
        let (h, blk, (v_inf, _)) = self.place.split(&mut self.hot, &mut self.state, i);
        let (st, g) = blk.split_at_mut(nr - 1);
        let factor = |r: usize| {
            let x = sh.e_now[r] * g[r];
            if same {
                x
            } else {
                x * sh.step[r]
            }
        };
        let e_mu = factor(0);
        let mu = sh.rates[0];
        let mut v = v_inf + (h.v - v_inf) * e_mu;
        // all channels are exp: one state variable each, in channel order
        for (c, x) in st.iter_mut().enumerate() {
            let i0 = *x;
            if sh.rates[c + 1] == mu {
                // λ = μ: D1 = s e^{-μs}
                if i0 != 0.0 {
                    v += mu * i0 * ((sh.now - h.t_last) * e_mu);
                }
                *x = i0 * e_mu;
                continue;
            }
            let decay = factor(c + 1);
            if i0 != 0.0 {
                v += mu * i0 * ((e_mu - decay) * sh.inv_d[c]);
            }
            *x = i0 * decay;
        }
        h.v = v;
        g.copy_from_slice(&sh.g_now);
        true
    }

    /// Membrane potential at `t` ≥ last update, without changing the state.
    pub fn v_at(&self, i: usize, t: f64) -> f64 {
        let mut l = self.local(i);
        let t = t.max(self.hot[i].t_last);
        self.evolve_to(i, &mut l, self.hot[i].t_last, t);
        if self.driven(i) {
            // (while V is held, U is held at V_reset − P(end of refractoriness))
            return l.v + self.forced(i, t.max(self.hot[i].ref_until));
        }
        l.v
    }

    /// True if, without further input, the neuron is at or above threshold at `t` (≥ its last
    /// update) and outside refractoriness then.
    pub fn reached_at(&self, i: usize, t: f64) -> bool {
        if t < self.hot[i].ref_until {
            return false;
        }
        let mut l = self.local(i);
        self.evolve_to(i, &mut l, self.hot[i].t_last, t.max(self.hot[i].t_last));
        let nt = self.layout.n_thr;
        let v = if self.driven(i) {
            l.v + self.forced(i, t)
        } else {
            l.v
        };
        v >= self.consts(i).1 + l.th[..nt].iter().sum::<f64>()
    }

    /// Effective threshold at the neuron's last update.
    fn threshold(&self, i: usize) -> f64 {
        let nt = self.layout.n_thr;
        self.consts(i).1 + self.thr[i * nt..(i + 1) * nt].iter().sum::<f64>()
    }

    /// True while the neuron is refractory at its last update time.
    pub fn refractory(&self, i: usize) -> bool {
        self.hot[i].t_last < self.hot[i].ref_until
    }

    /// Applies an arriving weight on receptor `r` at the neuron's current time (call
    /// [`advance`](Self::advance) first). Delta inputs are discarded while refractory.
    #[inline]
    pub fn receive(&mut self, i: usize, r: usize, w: f64) {
        match self.layout.receptors[r] {
            Slot::Delta => {
                if !self.refractory(i) {
                    self.hot[i].v += w;
                }
            }
            Slot::Exp(c) => {
                let o = self.layout.offsets[c as usize];
                self.block_mut(i)[o] += w;
            }
            Slot::Alpha(c) => {
                let nch = self.layout.channels.len();
                let rate = self.chan_rate[i * nch + c as usize];
                let o = self.layout.offsets[c as usize];
                self.block_mut(i)[o + 1] += w * std::f64::consts::E * rate;
            }
        }
    }

    /// True if the neuron, at its current time, is at or above threshold and may fire.
    pub fn above_threshold(&self, i: usize) -> bool {
        if self.driven(i) {
            let h = &self.hot[i];
            return !self.refractory(i) && h.v + self.forced(i, h.t_last) >= self.threshold(i);
        }
        !self.refractory(i) && self.hot[i].v >= self.threshold(i)
    }

    /// Emits a spike at the neuron's current time: reset, adaptation jumps, refractoriness.
    pub fn fire(&mut self, i: usize) {
        let t = self.hot[i].t_last;
        let (v_reset, t_ref) = self.reset.unwrap_or_else(|| {
            let sc = &self.scalars[i];
            (sc.v_reset, sc.t_ref)
        });
        self.hot[i].v = v_reset;
        self.hot[i].ref_until = if t_ref > 0.0 {
            t + t_ref
        } else {
            f64::NEG_INFINITY
        };
        let na = self.layout.n_adapt;
        for k in 0..na {
            let inc = self.adapt_inc[i * na + k];
            let o = self.layout.offsets[self.layout.adaptation_channel(k)];
            self.block_mut(i)[o] += inc;
        }
        let nt = self.layout.n_thr;
        for k in 0..nt {
            self.thr[i * nt + k] += self.thr_inc[i * nt + k];
        }
        if self.driven(i) {
            // V is V_reset when refractoriness ends (now, without it)
            let at = t.max(self.hot[i].ref_until);
            self.hot[i].v -= self.forced(i, at);
        }
    }

    /// What to schedule for the neuron after a change of its state, cheaply: a time before
    /// which it certainly does not reach threshold ([`Next::Check`]), or nothing if it never
    /// can before `end`. The bound is `g(s) ≤ g(0) + M s` with `M` an upper bound of the
    /// slope of the distance to threshold; costs no exponentials and no root finding.
    pub fn next_bound(&self, i: usize, end: f64) -> Next {
        if self.driven(i) {
            return self.bound_sine(i, end);
        }
        let now = self.hot[i].t_last;
        let t0 = now.max(self.hot[i].ref_until);
        if t0 >= end {
            return Next::Never;
        }
        let (ns, nt) = (self.layout.n_state, self.layout.n_thr);
        // Outside refractoriness (the common case) read the state in place; otherwise look
        // ahead on a copy to the end of refractoriness.
        let copy;
        // (a refractory neuron without channels or threshold terms is unchanged at the end
        // of its refractory period: V is held and nothing else evolves)
        let (v, st, th) = if t0 > now && ns + nt > 0 {
            let mut l = self.local(i);
            self.evolve(i, &mut l, t0 - now, true);
            copy = l;
            (copy.v, &copy.s[..ns], &copy.th[..nt])
        } else {
            (
                self.hot[i].v,
                &self.block(i)[..ns],
                &self.thr[i * nt..(i + 1) * nt],
            )
        };
        let g0 = v - self.consts(i).1 - th.iter().sum::<f64>();
        if g0 >= 0.0 {
            return Next::Spike(t0);
        }
        let (upper, m, s_quad) = if self.simple_bound {
            self.simple_bounds(i, v, st, g0)
        } else if self.mixed_bound {
            self.mixed_bounds(i, v, st, th, g0)
        } else {
            self.polynomial_bounds(i, v, st, th, g0)
        };
        bound_at(t0, g0, (upper, m, s_quad), end)
    }

    /// The next time in `[now, end)` at which the neuron crosses threshold if no further
    /// input arrives, or `None`. `now` must be the neuron's current time.
    pub fn next_spike(&self, i: usize, end: f64) -> Option<f64> {
        if self.driven(i) {
            return self.next_sine(i, end);
        }
        let now = self.hot[i].t_last;
        let mut l = self.local(i);
        let t0 = now.max(self.hot[i].ref_until);
        if t0 >= end {
            return None;
        }
        if t0 > now {
            self.evolve(i, &mut l, t0 - now, true);
        }
        let (ns, nt) = (self.layout.n_state, self.layout.n_thr);
        let poly = self.distance_poly(i, l.v, &l.s[..ns], &l.th[..nt]);
        let horizon = end - t0;
        let v_th = self.consts(i).1;
        // value and slope of V - θ after s
        let precise = |s: f64| {
            let mut m = l;
            self.evolve(i, &mut m, s, false);
            let (st, th) = (&m.s[..ns], &m.th[..nt]);
            (
                m.v - v_th - th.iter().sum::<f64>(),
                self.slope_at(i, m.v, st, th),
            )
        };
        let s = first_crossing_after(&poly, horizon, precise, t0)?;
        let t = t0 + s;
        (t < end).then_some(t)
    }
}

/// The pair `of` every neuron's scalars when it is the same for all of them bit for bit, so
/// that one population-wide copy stands for each neuron's own (-0.0 and 0.0 included).
fn same_for_all(neurons: &[NeuronInit], of: impl Fn(&Scalars) -> (f64, f64)) -> Option<(f64, f64)> {
    let bits = |ni: &NeuronInit| {
        let (a, b) = of(&ni.scalars);
        (a.to_bits(), b.to_bits())
    };
    let first = neurons.first()?;
    neurons
        .iter()
        .all(|ni| bits(ni) == bits(first))
        .then(|| of(&first.scalars))
}

/// A neuron's initial block: `ns` channel states 0, then `ones` shared factors e^0 = 1 or
/// (`rates`, the factored propagator) μ and its channel rates.
fn initial_block(
    ni: &NeuronInit,
    ns: usize,
    ones: usize,
    rates: bool,
) -> impl Iterator<Item = f64> + '_ {
    let rates = rates.then(|| factored::rates(ni)).into_iter().flatten();
    std::iter::repeat_n(0.0, ns)
        .chain(std::iter::repeat_n(1.0, ones))
        .chain(rates)
}

/// The event loop's view; the inherent methods above are the implementation.
impl NeuronModel for LifPopulation {
    #[inline]
    fn len(&self) -> usize {
        LifPopulation::len(self)
    }
    #[inline]
    fn n_receptors(&self) -> usize {
        self.layout().receptors.len()
    }
    #[inline]
    fn advance(&mut self, i: usize, t: f64) {
        LifPopulation::advance(self, i, t)
    }
    #[inline]
    fn receive(&mut self, i: usize, r: usize, w: f64) {
        LifPopulation::receive(self, i, r, w)
    }
    #[inline]
    fn prefetch(&self, i: usize) {
        self.place.prefetch(&self.hot, &self.state, i);
    }
    #[inline]
    fn above_threshold(&self, i: usize) -> bool {
        LifPopulation::above_threshold(self, i)
    }
    #[inline]
    fn apply(&mut self, i: usize, t: f64, r: usize, w: f64) {
        LifPopulation::apply(self, i, t, r, w)
    }
    #[inline]
    fn settle(&self, i: usize, end: f64) -> Outcome {
        LifPopulation::settle(self, i, end)
    }
    #[inline]
    fn deliver(&mut self, i: usize, t: f64, r: usize, w: f64, end: f64) -> Outcome {
        LifPopulation::deliver(self, i, t, r, w, end)
    }
    #[inline]
    fn fire(&mut self, i: usize) {
        LifPopulation::fire(self, i)
    }
    #[inline]
    fn next_spike(&self, i: usize, end: f64) -> Option<f64> {
        LifPopulation::next_spike(self, i, end)
    }
    #[inline]
    fn next_bound(&self, i: usize, end: f64) -> Next {
        LifPopulation::next_bound(self, i, end)
    }
    #[inline]
    fn reached_at(&self, i: usize, t: f64) -> bool {
        LifPopulation::reached_at(self, i, t)
    }
    #[inline]
    fn v_at(&self, i: usize, t: f64) -> f64 {
        LifPopulation::v_at(self, i, t)
    }
    fn expect_drive(&mut self) {
        LifPopulation::expect_drive(self)
    }
    fn set_drive(&mut self, i: usize, drive: f64) {
        LifPopulation::set_drive(self, i, drive)
    }
    fn takes_sines(&self) -> bool {
        true
    }
    fn expect_sines(&mut self) {
        LifPopulation::expect_sines(self)
    }
    fn set_sines(&mut self, i: usize, sines: &[super::waves::Sine]) {
        LifPopulation::set_sines(self, i, sines)
    }
}

#[cfg(test)]
mod tests;
