//! Fused delivery: a target's advance, input, threshold test and bound in one pass, for the
//! common layout (exp channels only, at most three, pairwise-distinct rates, no threshold
//! terms) under the shared or the factored propagator. The same operations in the same
//! order as `advance`, `receive`, `above_threshold` and `next_bound`, so the same numbers
//! (proptest `fused_delivery_equals_the_separate_calls`), without their dispatch, their
//! repeated checks and their re-reads of the state.

use super::bounds::distinct_parts_of;
use super::factored::step_factored_distinct;
use super::shared::step_distinct;
use super::{bound_at, d1_with, separated, Head, Hot, LifPopulation, Place, Shared, Slot};
use crate::neuron::bound::quadratic_bound;
use crate::neuron::{BoundParts, Delivered, Next, Outcome};

/// Most channels the fused path takes.
pub(super) const MAX_FUSED: usize = 3;

impl LifPopulation {
    /// [`NeuronModel::apply`](crate::neuron::NeuronModel::apply): fused where the layout
    /// allows.
    #[inline]
    pub fn apply(&mut self, i: usize, t: f64, r: usize, w: f64) {
        let done = match (self.fused, self.layout.n_state) {
            (true, 0) => self.apply_into::<0>(i, t, r, w),
            (true, 1) => self.apply_into::<1>(i, t, r, w),
            (true, 2) => self.apply_into::<2>(i, t, r, w),
            (true, 3) => self.apply_into::<3>(i, t, r, w),
            _ => false,
        };
        if !done {
            self.advance(i, t);
            self.receive(i, r, w);
        }
    }

    /// [`NeuronModel::settle`](crate::neuron::NeuronModel::settle): fused where the layout
    /// allows.
    #[inline]
    pub fn settle(&self, i: usize, end: f64) -> Outcome {
        let fused = match (self.fused, self.layout.n_state) {
            (true, 0) => self.bound_fused::<0>(i, end),
            (true, 1) => self.bound_fused::<1>(i, end),
            (true, 2) => self.bound_fused::<2>(i, end),
            (true, 3) => self.bound_fused::<3>(i, end),
            _ => None,
        };
        fused.unwrap_or_else(|| self.settle_general(i, end))
    }

    /// [`NeuronModel::deliver`](crate::neuron::NeuronModel::deliver): fused where the
    /// layout allows.
    #[inline]
    pub fn deliver(&mut self, i: usize, t: f64, r: usize, w: f64, end: f64) -> Outcome {
        let fused = match (self.fused, self.layout.n_state) {
            (true, 0) => self.deliver_fused::<0>(i, t, r, w, end),
            (true, 1) => self.deliver_fused::<1>(i, t, r, w, end),
            (true, 2) => self.deliver_fused::<2>(i, t, r, w, end),
            (true, 3) => self.deliver_fused::<3>(i, t, r, w, end),
            _ => None,
        };
        fused.unwrap_or_else(|| {
            self.advance(i, t);
            self.receive(i, r, w);
            self.settle_general(i, end)
        })
    }

    /// The threshold test and bound by the general calls.
    fn settle_general(&self, i: usize, end: f64) -> Outcome {
        Outcome::from_next((!self.above_threshold(i)).then(|| self.next_bound(i, end)))
    }

    /// [`deliver`](crate::neuron::NeuronModel::deliver) in one pass for the fused layout with
    /// `N` channels, the bound's square root and divisions left to the caller
    /// ([`Outcome::Bound`]), and a delivery to a refractory neuron by its own path. `None`,
    /// with nothing changed, when the neuron needs the general path.
    #[inline]
    pub(super) fn deliver_fused<const N: usize>(
        &mut self,
        i: usize,
        t: f64,
        r: usize,
        w: f64,
        end: f64,
    ) -> Option<Outcome> {
        let mut parts = BoundParts::default();
        match self.deliver_into::<N>(i, t, r, w, end, &mut parts) {
            Delivered::General => {
                let h = &self.hot[i];
                (self.fused
                    && self.layout.n_state == N
                    && t > h.t_last
                    && h.t_last < h.ref_until
                    && !self.driven(i))
                .then(|| self.deliver_refractory::<N>(i, t, r, w, end))
            }
            done => done.outcome(parts),
        }
    }

    /// [`deliver_fused`](Self::deliver_fused) for a neuron refractory at its last update
    /// (`t_last < ref_until`, `t > t_last`): the general calls' operations in their order
    /// (`advance` split at the end of refractoriness, `receive`, the threshold test and
    /// `next_bound`'s look-ahead to the end of refractoriness), specialised to the fused
    /// layout (exp channels with rates separated from μ, no threshold terms), so the same
    /// numbers (proptest `fused_delivery_equals_the_separate_calls`) without the general
    /// path's copies and loops over the layout.
    #[inline(never)]
    fn deliver_refractory<const N: usize>(
        &mut self,
        i: usize,
        t: f64,
        r: usize,
        w: f64,
        end: f64,
    ) -> Outcome {
        // (the shared factors' or the neuron's block's copies of its rates, and the record's
        // of V∞: the same values as `scalars` and `chan_rate`, without two more lines to miss)
        let (mu, lam) = self.rates_of(i);
        let mut rates = [0.0; N];
        rates.copy_from_slice(&lam[..N]);
        let (v_inf, v_th) = self.consts(i);
        let mut st = [0.0; N];
        st.copy_from_slice(&self.block(i)[..N]);
        let (t0, until) = (self.hot[i].t_last, self.hot[i].ref_until);
        let mut v = self.hot[i].v;
        // `advance` (`evolve_parts` while frozen, then live)
        decay_frozen(&mut st, &rates, t.min(until) - t0);
        if t > until {
            let dt = t - until;
            let e_mu = (-mu * dt).exp();
            v = v_inf + (v - v_inf) * e_mu;
            for (s, &lam) in st.iter_mut().zip(&rates) {
                let decay = (-lam * dt).exp();
                let i0 = *s;
                if i0 != 0.0 {
                    let d1 = if separated(mu, lam) {
                        (e_mu - decay) / (lam - mu)
                    } else {
                        d1_with(mu, lam, dt, e_mu, decay)
                    };
                    v += mu * i0 * d1;
                }
                *s = i0 * decay;
            }
        }
        self.block_mut(i)[..N].copy_from_slice(&st);
        self.hot[i].v = v;
        self.hot[i].t_last = t;
        self.store_shared(i);
        let slot = self.layout.receptors[r];
        if t >= until {
            // out of refractoriness: as a fused delivery from here
            let (h, blk, _) = self.place.split(&mut self.hot, &mut self.state, i);
            let st = input_to::<N>(h, blk, slot, t, w, st);
            let (mu, lam) = self.rates_of(i);
            let mut parts = BoundParts::default();
            let h = &self.hot[i].head;
            let done = bound_parts::<N>(h, (v_inf, v_th), mu, lam, &st, end, &mut parts);
            return done
                .outcome(parts)
                .expect("a bound's test is never `General`");
        }
        // `receive` while refractory: a delta input is lost, a channel's kept
        match slot {
            Slot::Delta => {}
            Slot::Exp(c) => {
                let c = c as usize;
                self.block_mut(i)[c] += w;
                st[c] += w;
            }
            Slot::Alpha(_) => unreachable!("fused layouts have exp channels only"),
        }
        // never above threshold while refractory; `next_bound` looks ahead to its end
        if until >= end {
            return Outcome::Next(Next::Never);
        }
        decay_frozen(&mut st, &rates, until - t);
        // (less the empty sum of threshold terms, which leaves it as is)
        let g0 = v - v_th;
        if g0 >= 0.0 {
            return Outcome::Next(Next::Spike(until));
        }
        let (mu, lam) = self.rates_of(i);
        let (upper, slope, g1, curv) = distinct_parts_of::<N>(v_inf, v_th, mu, lam, v, &st);
        Outcome::Next(bound_at(
            until,
            g0,
            (upper, slope, quadratic_bound(g0, g1, curv)),
            end,
        ))
    }

    /// `deliver_fused` (a fused delivery) for a layout of `N` channels, with the bound's
    /// parts written straight into `out` (a batch's slot) instead of returned in an
    /// [`Outcome`]: [`Fused::deliver`] through a view made for this one call
    /// ([`Delivered::General`], nothing changed, when the layout or the neuron needs the
    /// general path).
    #[inline(always)]
    pub fn deliver_into<const N: usize>(
        &mut self,
        i: usize,
        t: f64,
        r: usize,
        w: f64,
        end: f64,
        out: &mut BoundParts,
    ) -> Delivered {
        if self.driven(i) {
            return Delivered::General;
        }
        match self.view::<N>() {
            Some(mut f) => {
                f.at(t);
                f.deliver(i, t, r, w, end, out)
            }
            None => Delivered::General,
        }
    }

    /// The population as a [`Fused`] view with `N` channels, `None` if it does not take the
    /// fused path with that layout or a sinusoid drives some of its neurons (a view knows
    /// nothing of them). Those populations go neuron by neuron through
    /// [`deliver`](Self::deliver) and the like, which send only the driven neurons to the
    /// general calls: a test per delivery there, none in a view's loop (measured: a test of
    /// the bits in that loop cost CUBA without sinusoids 1 % more instructions).
    #[inline(always)]
    pub fn fused_view<const N: usize>(&mut self) -> Option<Fused<'_, N>> {
        if !self.driven.is_empty() {
            return None;
        }
        self.view()
    }

    /// [`fused_view`](Self::fused_view) whatever the sinusoids: for a neuron the caller
    /// knows is not driven.
    #[inline(always)]
    fn view<const N: usize>(&mut self) -> Option<Fused<'_, N>> {
        if !(self.fused && self.layout.n_state == N) {
            return None;
        }
        Some(Fused {
            place: self.place,
            hot: &mut self.hot,
            state: &mut self.state,
            receptors: &self.layout.receptors,
            shared: self.shared.as_mut(),
        })
    }

    /// [`settle`](crate::neuron::NeuronModel::settle) for a layout of `N` channels, the
    /// bound's parts written into `out` ([`deliver_into`](Self::deliver_into)'s contract;
    /// `General` also while refractory or driven by a sinusoid).
    #[inline(always)]
    pub fn settle_into<const N: usize>(
        &self,
        i: usize,
        end: f64,
        out: &mut BoundParts,
    ) -> Delivered {
        if !(self.fused && self.layout.n_state == N) || self.driven(i) {
            return Delivered::General;
        }
        let (h, pl) = (&self.hot[i], self.place);
        let blk = pl.block(&self.hot, &self.state, i);
        settle_parts::<N>(h, pl.consts(h), blk, self.shared.as_ref(), end, out)
    }

    /// [`advance`](Self::advance) and [`receive`](Self::receive) in one pass for a layout of
    /// `N` channels ([`Fused::apply`] through a view made for this one call); false,
    /// nothing changed, when the general path must apply it.
    #[inline(always)]
    pub fn apply_into<const N: usize>(&mut self, i: usize, t: f64, r: usize, w: f64) -> bool {
        !self.driven(i)
            && self.view::<N>().is_some_and(|mut f| {
                f.at(t);
                f.apply(i, t, r, w)
            })
    }

    /// A check of neuron `i` at `t` (its bound ran out without an input) for a layout of `N`
    /// channels: [`advance`](Self::advance) to `t` and [`next_bound`](Self::next_bound) in
    /// one pass, the same operations in the same order. `None`, with nothing changed, when
    /// the general calls must do it (refractory at its last update, no time elapsed, shared
    /// factors more than an epoch old, or `t` at the end of the run).
    #[inline]
    pub fn check_into<const N: usize>(&mut self, i: usize, t: f64, end: f64) -> Option<Next> {
        if t >= end || self.driven(i) {
            return None;
        }
        let mut f = self.view::<N>()?;
        f.at(t);
        let (h, c, st, mu, lam) = f.step(i, t, None)?;
        let mut parts = BoundParts::default();
        // (`next_bound`: at or above threshold is a crossing now)
        Some(
            match bound_parts::<N>(h, c, mu, lam, &st, end, &mut parts) {
                Delivered::Fires => Next::Spike(t),
                Delivered::Parts => parts.finish(t, end),
                _ => Next::Never,
            },
        )
    }

    /// The number of channels of the fused layout, `None` if this population does not take
    /// the fused path.
    pub fn fused_channels(&self) -> Option<usize> {
        self.fused.then_some(self.layout.n_state)
    }

    /// [`above_threshold`](Self::above_threshold) and [`next_bound`](Self::next_bound) at
    /// the neuron's current time in one pass for the fused layout with `N` channels, the
    /// bound's square root and divisions left to the caller. `None` while refractory (the
    /// general path looks ahead on a copy) or driven by a sinusoid.
    #[inline(always)]
    pub(super) fn bound_fused<const N: usize>(&self, i: usize, end: f64) -> Option<Outcome> {
        let mut parts = BoundParts::default();
        self.settle_into::<N>(i, end, &mut parts).outcome(parts)
    }
}

/// A population that takes the fused path with `N` channels, its arrays and constants
/// borrowed once for a run of deliveries to its neurons: what each delivery reads from the
/// population is then found once per run, not once per target.
pub struct Fused<'a, const N: usize> {
    place: Place,
    hot: &'a mut [Hot],
    state: &'a mut [f64],
    receptors: &'a [Slot],
    shared: Option<&'a mut Shared>,
}

impl<const N: usize> Fused<'_, N> {
    /// Number of neurons.
    #[inline(always)]
    pub fn len(&self) -> usize {
        self.hot.len()
    }

    /// True when the population is empty.
    #[inline(always)]
    pub fn is_empty(&self) -> bool {
        self.hot.is_empty()
    }

    /// Hints that neuron `i`'s record and state block will be read soon.
    #[inline(always)]
    pub fn prefetch(&self, i: usize) {
        self.place.prefetch(self.hot, self.state, i);
    }

    /// Makes `t` the instant of the deliveries that follow (the shared factors' instant):
    /// once per run of deliveries at one instant, not once per delivery.
    #[inline(always)]
    pub fn at(&mut self, t: f64) {
        if let Some(sh) = self.shared.as_deref_mut() {
            sh.set_now(t);
        }
    }

    /// [`LifPopulation::deliver_into`]: a delivery of weight `w` on receptor `r` to neuron
    /// `i` at `t` (after [`at`](Self::at)`(t)`), its bound's parts into `out`;
    /// [`Delivered::General`], nothing changed, when the neuron needs the general path.
    #[inline(always)]
    pub fn deliver(
        &mut self,
        i: usize,
        t: f64,
        r: usize,
        w: f64,
        end: f64,
        out: &mut BoundParts,
    ) -> Delivered {
        match self.step(i, t, Some((r, w))) {
            Some((h, c, st, mu, lam)) => bound_parts::<N>(h, c, mu, lam, &st, end, out),
            None => Delivered::General,
        }
    }

    /// The advance to `t` (after [`at`](Self::at)`(t)`) and, with `input` = `(receptor,
    /// weight)`, the input of a delivery, a group's input or (without) a check, with the
    /// neuron's record and block borrowed once (not re-indexed at each use): its scalars,
    /// V∞ and θ, its channel states at `t` (in registers, not read back) and its rates
    /// (membrane, channels); `None`, nothing changed, when the general path must take it (refractory
    /// at its last update, no time elapsed, or shared factors more than an epoch old).
    #[inline(always)]
    fn step(&mut self, i: usize, t: f64, input: Option<(usize, f64)>) -> Option<Stepped<'_, N>> {
        let (h, blk, c) = self.place.split(self.hot, self.state, i);
        let t0 = h.t_last;
        let ready = t > t0 && t0 >= h.ref_until;
        // one branch per propagator from the advance to the rates: no merge of their states,
        // which would go through memory
        if let Some(sh) = self.shared.as_deref_mut() {
            debug_assert!(
                sh.now == t,
                "internal error: a fused view not at its instant"
            );
            if !ready {
                return None;
            }
            let blk = &mut blk[..2 * N + 1];
            let st = step_distinct::<N>(sh, h, blk, c.0)?;
            let st = input_or_time(h, blk, self.receptors, input, t, st);
            Some((h, c, st, sh.lanes.rates[0], &sh.lanes.rates[1..]))
        } else if ready {
            let blk = &mut blk[..2 * N + 1];
            let st = step_factored_distinct::<N>(h, blk, t - t0, c.0);
            let st = input_or_time(h, blk, self.receptors, input, t, st);
            Some((h, c, st, blk[N], &blk[N + 1..]))
        } else {
            None
        }
    }

    /// [`LifPopulation::settle_into`]: neuron `i`'s threshold test and bound's parts (into
    /// `out`) at its last update; `General` while refractory.
    #[inline(always)]
    pub fn settle(&self, i: usize, end: f64, out: &mut BoundParts) -> Delivered {
        let h = &self.hot[i];
        let blk = self.place.block(self.hot, self.state, i);
        settle_parts::<N>(
            h,
            self.place.consts(h),
            blk,
            self.shared.as_deref(),
            end,
            out,
        )
    }

    /// [`LifPopulation::apply_into`]: the input of weight `w` on receptor `r` to neuron `i`
    /// at `t` (after [`at`](Self::at)`(t)`; advance and receive); false, nothing changed,
    /// when the general path must apply it (refractory at its last update, no time elapsed,
    /// or shared factors more than an epoch old).
    #[inline(always)]
    pub fn apply(&mut self, i: usize, t: f64, r: usize, w: f64) -> bool {
        self.step(i, t, Some((r, w))).is_some()
    }
}

/// What [`Fused::step`] leaves of a neuron: its scalars, V∞ and θ, channel states, and
/// rates (membrane, channels).
type Stepped<'a, const N: usize> = (&'a Head, (f64, f64), [f64; N], f64, &'a [f64]);

/// The settle of a fused neuron (scalars `h`, V∞ and θ `c`, block `blk`: its `N` channel
/// states, then the shared factors or, without `shared`, the factored propagator's rates):
/// `General` while refractory, else [`bound_parts`] with its rates.
#[inline(always)]
fn settle_parts<const N: usize>(
    h: &Head,
    c: (f64, f64),
    blk: &[f64],
    shared: Option<&Shared>,
    end: f64,
    out: &mut BoundParts,
) -> Delivered {
    if h.t_last < h.ref_until {
        return Delivered::General;
    }
    let mut st = [0.0; N];
    st.copy_from_slice(&blk[..N]);
    match shared {
        Some(sh) => bound_parts::<N>(h, c, sh.lanes.rates[0], &sh.lanes.rates[1..], &st, end, out),
        None => bound_parts::<N>(h, c, blk[N], &blk[N + 1..], &st, end, out),
    }
}

/// After a fused step to `t`: [`input_to`] for an input `(receptor, weight)` (receptor
/// slots `receptors`), else the record's time only (a check).
#[inline(always)]
fn input_or_time<const N: usize>(
    h: &mut Head,
    blk: &mut [f64],
    receptors: &[Slot],
    input: Option<(usize, f64)>,
    t: f64,
    st: [f64; N],
) -> [f64; N] {
    match input {
        Some((r, w)) => input_to::<N>(h, blk, receptors[r], t, w, st),
        None => {
            h.t_last = t;
            st
        }
    }
}

/// The input of a fused delivery to a neuron (record `h`, block `blk`) advanced to `t` with
/// channel states `st`; returns the states after it (also stored).
#[inline(always)]
fn input_to<const N: usize>(
    h: &mut Head,
    blk: &mut [f64],
    slot: Slot,
    t: f64,
    w: f64,
    mut st: [f64; N],
) -> [f64; N] {
    h.t_last = t;
    // not refractory from here on (t > t_last ≥ ref_until)
    match slot {
        Slot::Delta => h.v += w,
        Slot::Exp(c) => {
            let c = c as usize;
            blk[c] += w;
            // (constant indices: a dynamic one would keep `st` in memory, and the bound
            // would read it back with wide loads that the narrow stores cannot forward to)
            for (k, s) in st.iter_mut().enumerate() {
                if k == c {
                    *s += w;
                }
            }
        }
        Slot::Alpha(_) => unreachable!("fused layouts have exp channels only"),
    }
    st
}

/// The threshold test and the bound's parts (into `out`) of a neuron outside
/// refractoriness (scalars `h`, V∞ and θ, rates `mu`, `lam`, channel states `st`): `Fires`,
/// `Never` (at or past the run's end) or `Parts`.
#[inline(always)]
fn bound_parts<const N: usize>(
    h: &Head,
    (v_inf, v_th): (f64, f64),
    mu: f64,
    lam: &[f64],
    st: &[f64; N],
    end: f64,
    out: &mut BoundParts,
) -> Delivered {
    let (t, v) = (h.t_last, h.v);
    if v >= v_th {
        return Delivered::Fires;
    }
    if t >= end {
        return Delivered::Never;
    }
    // (`next_bound` subtracts the empty sum of threshold terms, which leaves g0 as is)
    let g0 = v - v_th;
    let (upper, slope, g1, curv) = distinct_parts_of::<N>(v_inf, v_th, mu, lam, v, st);
    out.g0 = g0;
    out.g1 = g1;
    out.curv = curv;
    out.upper = upper;
    out.slope = slope;
    Delivered::Parts
}

/// `evolve_parts` on exp channel states `st` (rates `rates`) over `dt` while the membrane is
/// held: each decays by its own `exp`.
#[inline(always)]
fn decay_frozen<const N: usize>(st: &mut [f64; N], rates: &[f64; N], dt: f64) {
    if dt == 0.0 {
        return;
    }
    for (s, &lam) in st.iter_mut().zip(rates) {
        *s *= (-lam * dt).exp();
    }
}
