//! One `lif` neuron replayed forward through its events (arrivals, own spikes, ends of
//! refractoriness) with its state stored at each, and its adjoint run backward through
//! them. Equations and their derivation: `docs/gradients.md`.
//!
//! State `x = (V, channel states..., threshold terms...)`, exactly as the engine's: an exp
//! channel (a receptor or an adaptation current) holds `I`, an alpha channel `(I, J)`, a
//! threshold-adaptation term its `θ_k`. Between events `x` follows the linear ODE in closed
//! form; so does the adjoint `λ = ∂L/∂x`, backward (`λ(t0) = Φᵀ λ(t1)`), and the parameter
//! derivatives of each segment are closed forms in the kernels `D1..D3`.

use crate::neuron::kernels::{d1, d2, d3};
use crate::neuron::lif::{ChannelKind, Layout, Scalars, Slot};
use std::f64::consts::E;

/// No source spike (the arrival comes from an input, whose times are fixed).
pub(super) const NONE: u32 = u32::MAX;

/// What happens at an event.
#[derive(Clone, Copy, Debug)]
pub(super) enum Kind {
    /// A synapse's input arrives; `applied` is false for a delta input discarded while
    /// refractory. `src` is the index of the source neuron's spike (or [`NONE`]).
    Arrive { syn: u32, src: u32, applied: bool },
    /// The neuron fires (spike index `id`); `trigger` is the delta arrival that lifted V to
    /// threshold at this instant, `None` for a continuous crossing.
    Spike {
        id: u32,
        trigger: Option<(u32, u32)>,
    },
    /// The refractory period of spike `spike` ends.
    RefEnd { spike: u32 },
}

/// One event of a neuron's replay.
#[derive(Clone, Copy, Debug)]
pub(super) struct Event {
    pub t: f64,
    pub kind: Kind,
    /// Refractory after the event (the mode of the segment that follows it).
    pub refr_after: bool,
}

/// A neuron's constants.
#[derive(Clone, Debug)]
pub(super) struct Cell {
    pub sc: Scalars,
    pub v_init: f64,
    /// Decay rate of each channel \[1/ms\].
    pub rates: Vec<f64>,
    /// Jump of each adaptation current (the last channels) at an own spike \[mV\].
    pub adapt_inc: Vec<f64>,
    /// Decay rate of each threshold-adaptation term \[1/ms\].
    pub thr_rate: Vec<f64>,
    /// Jump of each threshold-adaptation term at an own spike \[mV\].
    pub thr_inc: Vec<f64>,
}

/// The replay of one neuron: its events and the state just before and just after each.
#[derive(Debug, Default)]
pub(super) struct Tape {
    pub events: Vec<Event>,
    /// `dim` floats per event: the state just before it.
    pub pre: Vec<f64>,
    /// `dim` floats per event: the state just after it.
    pub post: Vec<f64>,
}

/// Accumulated parameter derivatives of one neuron.
#[derive(Clone, Debug, Default)]
pub(super) struct ParamGrad {
    /// ∂L/∂(1/tau_m).
    pub mu: f64,
    /// ∂L/∂V∞ (= ∂L/∂i_bias).
    pub v_inf: f64,
    /// ∂L/∂v_th.
    pub v_th: f64,
    /// ∂L/∂(1/tau) per channel.
    pub rates: Vec<f64>,
    /// ∂L/∂increment per adaptation current.
    pub adapt_inc: Vec<f64>,
    /// ∂L/∂(1/tau) per threshold-adaptation term.
    pub thr_rates: Vec<f64>,
    /// ∂L/∂increment per threshold-adaptation term.
    pub thr_inc: Vec<f64>,
}

impl ParamGrad {
    /// Zeros for a neuron of these constants.
    pub fn zeros(cell: &Cell) -> ParamGrad {
        ParamGrad {
            rates: vec![0.0; cell.rates.len()],
            adapt_inc: vec![0.0; cell.adapt_inc.len()],
            thr_rates: vec![0.0; cell.thr_rate.len()],
            thr_inc: vec![0.0; cell.thr_rate.len()],
            ..ParamGrad::default()
        }
    }
}

/// A synapse as the replay sees it.
#[derive(Clone, Copy, Debug)]
pub(super) struct Syn {
    pub w: f64,
    pub receptor: u8,
}

/// The most state variables a neuron has here: V and two per lif channel (a `linear`
/// neuron has at most 8).
pub(super) const MAX_DIM: usize = 1 + 2 * crate::neuron::lif::MAX_CHANNELS;

/// What the replay and the backward sweep need of a neuron model: its state's course
/// between events, its jumps at events, and their derivatives.
pub(super) trait Adjoint {
    /// State variables.
    fn dim(&self) -> usize;
    /// The state at t = 0.
    fn initial(&self) -> Vec<f64>;
    /// Refractory period \[ms\].
    fn t_ref(&self) -> f64;
    /// Threshold without adaptation \[mV\].
    fn v_th(&self) -> f64;
    /// `x(t0 + dt)` from `x0`: free, or refractory (V held).
    fn propagate(&self, x0: &[f64], dt: f64, refr: bool, out: &mut [f64]);
    /// The vector field `dx/dt` at `x`.
    fn field(&self, x: &[f64], refr: bool, out: &mut [f64]);
    /// The adjoint backward over a segment of length `dt` that starts at `x0`: adds
    /// `λ(t1) · ∂x(t1)/∂p` to `g` and replaces `lam` = λ(t1) by λ(t0) = Φᵀ λ(t1).
    fn back_segment(&self, x0: &[f64], dt: f64, refr: bool, lam: &mut [f64], g: &mut ParamGrad);
    /// Applies input `s` (while refractory or not): whether it was applied, and whether it
    /// jumped V (then the neuron may fire at its arrival).
    fn arrive(&self, x: &mut [f64], s: Syn, refractory: bool) -> (bool, bool);
    /// An own spike's reset and jumps.
    fn reset(&self, x: &mut [f64]);
    /// The threshold-adaptation terms' indices in the state (θ = v_th + their sum).
    fn threshold_terms(&self) -> std::ops::Range<usize>;
    /// At an own spike, from λ just after it: the derivatives of its jumps' parameters.
    fn spike_jumps(&self, lam: &[f64], g: &mut ParamGrad);
    /// ∂L/∂w of an applied input from λ just after it (`λ · ∂x⁺/∂w`), and the input's share
    /// of other parameters' derivatives.
    fn weight_gradient(&self, lam: &[f64], s: Syn, g: &mut ParamGrad) -> f64;

    /// `d(V − θ)/dt`, the slope of the distance to threshold, from the field `f`.
    fn threshold_slope(&self, f: &[f64]) -> f64 {
        f[0] - f[self.threshold_terms()].iter().sum::<f64>()
    }

    /// `λ · f(x)`.
    fn lam_field(&self, lam: &[f64], x: &[f64], refr: bool) -> f64 {
        let mut f = [0.0; MAX_DIM];
        self.field(x, refr, &mut f[..x.len()]);
        lam.iter().zip(&f).map(|(a, b)| a * b).sum()
    }

    /// True when the neuron starts at or above threshold: it fires at t = 0 whatever its
    /// parameters and inputs, so that spike has no time to move.
    fn starts_above(&self) -> bool {
        self.initial()[0] >= self.v_th()
    }
}

/// The dynamics of one `lif` neuron: its population's layout and its constants.
pub(super) struct Dynamics<'a> {
    pub lay: &'a Layout,
    pub cell: &'a Cell,
}

impl Dynamics<'_> {
    /// Index of the first threshold-adaptation term in the state.
    fn thr_base(&self) -> usize {
        1 + self.lay.n_state
    }

    /// Index of adaptation current `k`'s state.
    fn adapt_index(&self, k: usize) -> usize {
        1 + self.lay.offsets[self.lay.adaptation_channel(k)]
    }
}

impl Adjoint for Dynamics<'_> {
    fn dim(&self) -> usize {
        1 + self.lay.n_state + self.lay.n_thr
    }

    fn initial(&self) -> Vec<f64> {
        let mut x = vec![0.0; self.dim()];
        x[0] = self.cell.v_init;
        x
    }

    fn t_ref(&self) -> f64 {
        self.cell.sc.t_ref
    }

    fn v_th(&self) -> f64 {
        self.cell.sc.v_th
    }

    fn threshold_terms(&self) -> std::ops::Range<usize> {
        self.thr_base()..self.dim()
    }

    fn arrive(&self, x: &mut [f64], s: Syn, refractory: bool) -> (bool, bool) {
        match self.lay.receptors[s.receptor as usize] {
            Slot::Delta => {
                if !refractory {
                    x[0] += s.w;
                }
                (!refractory, !refractory)
            }
            Slot::Exp(c) => {
                x[1 + self.lay.offsets[c as usize]] += s.w;
                (true, false)
            }
            Slot::Alpha(c) => {
                let c = c as usize;
                x[2 + self.lay.offsets[c]] += s.w * E * self.cell.rates[c];
                (true, false)
            }
        }
    }

    fn reset(&self, x: &mut [f64]) {
        x[0] = self.cell.sc.v_reset;
        for (k, inc) in self.cell.adapt_inc.iter().enumerate() {
            x[self.adapt_index(k)] += inc;
        }
        let tb = self.thr_base();
        for (k, inc) in self.cell.thr_inc.iter().enumerate() {
            x[tb + k] += inc;
        }
    }

    fn spike_jumps(&self, lam: &[f64], g: &mut ParamGrad) {
        for (k, d) in g.adapt_inc.iter_mut().enumerate() {
            *d += lam[self.adapt_index(k)];
        }
        for (d, l) in g.thr_inc.iter_mut().zip(&lam[self.thr_base()..]) {
            *d += l;
        }
    }

    /// For an alpha receptor also the part of ∂L/∂rate that comes through its jump
    /// `w·e·rate`.
    fn weight_gradient(&self, lam: &[f64], s: Syn, g: &mut ParamGrad) -> f64 {
        match self.lay.receptors[s.receptor as usize] {
            Slot::Delta => lam[0],
            Slot::Exp(c) => lam[1 + self.lay.offsets[c as usize]],
            Slot::Alpha(c) => {
                let c = c as usize;
                let lj = lam[2 + self.lay.offsets[c]];
                let rate = self.cell.rates[c];
                g.rates[c] += lj * s.w * E;
                lj * E * rate
            }
        }
    }

    fn propagate(&self, x0: &[f64], dt: f64, refr: bool, out: &mut [f64]) {
        let mu = self.cell.sc.rate_m;
        let v_inf = self.cell.sc.v_inf;
        let mut v = if refr {
            x0[0]
        } else {
            v_inf + (x0[0] - v_inf) * (-mu * dt).exp()
        };
        for (c, kind) in self.lay.channels.iter().enumerate() {
            let o = 1 + self.lay.offsets[c];
            let lam = self.cell.rates[c];
            let e = (-lam * dt).exp();
            match kind {
                ChannelKind::Exp => {
                    if !refr {
                        v += mu * x0[o] * d1(mu, lam, dt);
                    }
                    out[o] = x0[o] * e;
                }
                ChannelKind::Alpha => {
                    if !refr {
                        v += mu * (x0[o] * d1(mu, lam, dt) + x0[o + 1] * d2(mu, lam, dt));
                    }
                    out[o] = (x0[o] + x0[o + 1] * dt) * e;
                    out[o + 1] = x0[o + 1] * e;
                }
            }
        }
        let tb = self.thr_base();
        for (k, rho) in self.cell.thr_rate.iter().enumerate() {
            out[tb + k] = x0[tb + k] * (-rho * dt).exp();
        }
        out[0] = v;
    }

    fn field(&self, x: &[f64], refr: bool, out: &mut [f64]) {
        let mut drive = self.cell.sc.v_inf - x[0];
        for (c, kind) in self.lay.channels.iter().enumerate() {
            let o = 1 + self.lay.offsets[c];
            let lam = self.cell.rates[c];
            drive += x[o];
            match kind {
                ChannelKind::Exp => out[o] = -lam * x[o],
                ChannelKind::Alpha => {
                    out[o] = -lam * x[o] + x[o + 1];
                    out[o + 1] = -lam * x[o + 1];
                }
            }
        }
        let tb = self.thr_base();
        for (k, rho) in self.cell.thr_rate.iter().enumerate() {
            out[tb + k] = -rho * x[tb + k];
        }
        out[0] = if refr {
            0.0
        } else {
            self.cell.sc.rate_m * drive
        };
    }

    fn back_segment(&self, x0: &[f64], dt: f64, refr: bool, lam: &mut [f64], g: &mut ParamGrad) {
        let mu = self.cell.sc.rate_m;
        let lv = lam[0];
        let em = (-mu * dt).exp();
        let mut g_mu = 0.0;
        if !refr {
            g.v_inf += lv * (1.0 - em);
            g_mu -= dt * em * (x0[0] - self.cell.sc.v_inf);
            lam[0] = em * lv;
        }
        for (c, kind) in self.lay.channels.iter().enumerate() {
            let o = 1 + self.lay.offsets[c];
            let rate = self.cell.rates[c];
            let e = (-rate * dt).exp();
            let (k1, k2) = (d1(mu, rate, dt), d2(mu, rate, dt));
            match kind {
                ChannelKind::Exp => {
                    let (i0, li) = (x0[o], lam[o]);
                    let i1 = i0 * e;
                    g.rates[c] -= li * dt * i1;
                    if !refr {
                        g_mu += i0 * (k1 + mu * (k2 - dt * k1));
                        g.rates[c] -= lv * mu * i0 * k2;
                        lam[o] = mu * k1 * lv + e * li;
                    } else {
                        lam[o] = e * li;
                    }
                }
                ChannelKind::Alpha => {
                    let (i0, j0) = (x0[o], x0[o + 1]);
                    let (li, lj) = (lam[o], lam[o + 1]);
                    let (i1, j1) = ((i0 + j0 * dt) * e, j0 * e);
                    g.rates[c] -= li * dt * i1 + lj * dt * j1;
                    let (mut ni, mut nj) = (e * li, dt * e * li + e * lj);
                    if !refr {
                        let k3 = d3(mu, rate, dt);
                        g_mu += i0 * (k1 + mu * (k2 - dt * k1)) + j0 * (k2 + mu * (k3 - dt * k2));
                        g.rates[c] -= lv * mu * (i0 * k2 + j0 * k3);
                        ni += mu * k1 * lv;
                        nj += mu * k2 * lv;
                    }
                    lam[o] = ni;
                    lam[o + 1] = nj;
                }
            }
        }
        // threshold terms decay alone, refractory or not
        let tb = self.thr_base();
        for (k, rho) in self.cell.thr_rate.iter().enumerate() {
            let e = (-rho * dt).exp();
            g.thr_rates[k] -= lam[tb + k] * dt * x0[tb + k] * e;
            lam[tb + k] *= e;
        }
        if !refr {
            g.mu += lv * g_mu;
        }
    }
}

/// Forward replay of neuron `d`: `arrivals` `(time, synapse, source spike)` and the
/// neuron's own spikes `(time, spike index)`, both in time order.
pub(super) fn replay<D: Adjoint>(
    d: &D,
    arrivals: &[(f64, u32, u32)],
    spikes: &[(f64, u32)],
    syns: &[Syn],
) -> Tape {
    let dim = d.dim();
    let mut tape = Tape::default();
    let n_ev = arrivals.len() + 2 * spikes.len();
    tape.events.reserve(n_ev);
    tape.pre.reserve(n_ev * dim);
    tape.post.reserve(n_ev * dim);
    let mut x = d.initial();
    let mut next = vec![0.0; dim];
    let (mut t, mut ia, mut is) = (0.0, 0, 0);
    // refractory until, for spike index
    let mut pending: Option<(f64, u32)> = None;
    let mut last_delta: Option<(f64, u32, u32)> = None;
    loop {
        let ta = arrivals.get(ia).map_or(f64::INFINITY, |a| a.0);
        let ts = spikes.get(is).map_or(f64::INFINITY, |s| s.0);
        let tr = pending.map_or(f64::INFINITY, |p| p.0);
        let te = ta.min(ts).min(tr);
        if te == f64::INFINITY {
            break;
        }
        d.propagate(&x, te - t, pending.is_some(), &mut next);
        std::mem::swap(&mut x, &mut next);
        t = te;
        tape.pre.extend_from_slice(&x);
        let kind = if tr <= ta.min(ts) {
            let (_, spike) = pending.take().expect("pending end");
            Kind::RefEnd { spike }
        } else if ta <= ts {
            let (_, syn, src) = arrivals[ia];
            ia += 1;
            let (applied, jumped_v) = d.arrive(&mut x, syns[syn as usize], pending.is_some());
            if jumped_v {
                last_delta = Some((te, syn, src));
            }
            Kind::Arrive { syn, src, applied }
        } else {
            let (_, id) = spikes[is];
            is += 1;
            let trigger = last_delta
                .filter(|d| d.0 == te)
                .map(|(_, syn, src)| (syn, src));
            d.reset(&mut x);
            if d.t_ref() > 0.0 {
                pending = Some((te + d.t_ref(), id));
            }
            Kind::Spike { id, trigger }
        };
        tape.post.extend_from_slice(&x);
        tape.events.push(Event {
            t: te,
            kind,
            refr_after: pending.is_some(),
        });
    }
    tape
}
