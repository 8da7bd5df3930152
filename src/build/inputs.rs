//! Inputs (spike-source populations): the build side of the input registration. Each input
//! kind's description type implements [`BuildInput`]; [`builder`] maps an [`InputKind`] to
//! it (one line per kind; the match is exhaustive).

use super::values::{check, check_at, err, steps, Check, Res, MAX_ELEMENTS};
use super::Budget;
use crate::input::{self, Itd, Rate, Sinusoid, SourceTrain};
use crate::scenario::{self, InputKind, SpikeTimes};
use crate::scenario::{
    Gamma as GammaInput, Periodic as PeriodicInput, PhaseLocked as PhaseLockedInput,
    Poisson as PoissonInput,
};

/// Most spike times (or candidate cycles) drawn for one input before simulating.
pub const MAX_DRAWS: f64 = 2e8;

/// Bytes each source costs beyond its spikes: its train, its pending queue entry (with
/// the radix queue's slack), its input index and its connectivity row (measured: 2e6
/// Poisson sources with one synapse each peak at 115 B per source, the whole run).
pub(crate) const BYTES_PER_SOURCE: f64 = std::mem::size_of::<SourceTrain>() as f64 + 32.0;

/// Bytes per listed spike time at the peak: the JSON value while parsing (32), the
/// scenario's list (8), the runtime train (8), the text (about 8); and per listed source
/// the lists' own headers (measured: 5e6 times over 5e5 sources peak at 337 MiB).
const BYTES_PER_LISTED_TIME: f64 = 56.0;
const BYTES_PER_LIST: f64 = 80.0;

/// What building one input needs to know.
pub struct InputContext<'a> {
    /// JSON path of the input (`inputs[k]`).
    pub path: &'a str,
    /// Input name (keys its sources' random streams).
    pub name: &'a str,
    /// Scenario seed.
    pub seed: u64,
    /// Scenario duration \[ms\].
    pub duration: f64,
}

impl InputContext<'_> {
    fn size(&self, size: usize) -> Res<()> {
        if size == 0 {
            return err(format!("{}.size", self.path), "must be >= 1");
        }
        if size as u64 > MAX_ELEMENTS {
            return err(
                format!("{}.size", self.path),
                format!("must be <= {MAX_ELEMENTS}"),
            );
        }
        Ok(())
    }

    fn check(&self, key: &str, v: f64, c: Check, unit: &str) -> Res<f64> {
        check(&format!("{}.{key}", self.path), v, c, unit)
    }

    /// Refuses trains whose generation would take too long (`cycles` drawn) or too much
    /// memory (`spikes` kept), before any of it happens.
    fn guard(&self, budget: &mut Budget, cycles: f64, spikes: f64, key: &str) -> Res<()> {
        if cycles > MAX_DRAWS {
            return err(
                format!("{}.{key}", self.path),
                format!(
                    "would draw about {cycles:.3e} spike times (duration, rate, period and \
                     jitter together); at most {MAX_DRAWS:.0e}"
                ),
            );
        }
        budget.charge(spikes * 8.0, self.path, "the pregenerated input spikes")
    }
}

/// The build side of an input kind.
pub trait BuildInput {
    /// Checks the description, charges its memory and generates the sources' trains.
    fn build(&self, ctx: &InputContext, budget: &mut Budget) -> Res<Vec<SourceTrain>>;
}

/// The registration of each input kind's build side: one line per kind.
pub fn builder(kind: &InputKind) -> &dyn BuildInput {
    match kind {
        InputKind::SpikeTimes(k) => k,
        InputKind::Poisson(k) => k,
        InputKind::Periodic(k) => k,
        InputKind::PhaseLocked(k) => k,
        InputKind::Gamma(k) => k,
    }
}

impl BuildInput for SpikeTimes {
    fn build(&self, ctx: &InputContext, budget: &mut Budget) -> Res<Vec<SourceTrain>> {
        let path = ctx.path;
        if self.times.is_empty() {
            return err(
                format!("{path}.times"),
                "needs at least one list (one per source)",
            );
        }
        if self.times.len() as u64 > MAX_ELEMENTS {
            return err(
                format!("{path}.times"),
                format!("at most {MAX_ELEMENTS} sources"),
            );
        }
        let spikes: usize = self.times.iter().map(Vec::len).sum();
        budget.charge(
            spikes as f64 * BYTES_PER_LISTED_TIME
                + self.times.len() as f64 * (BYTES_PER_SOURCE + BYTES_PER_LIST),
            &format!("{path}.times"),
            "the listed spike times",
        )?;
        let mut out = Vec::with_capacity(self.times.len());
        for (i, list) in self.times.iter().enumerate() {
            for (k, &t) in list.iter().enumerate() {
                check_at(
                    || format!("{path}.times[{i}][{k}]"),
                    t,
                    Check::NonNegative,
                    " ms",
                )?;
            }
            let kept = list.iter().copied().filter(|&t| t < ctx.duration).collect();
            out.push(SourceTrain::list(kept));
        }
        Ok(out)
    }
}

/// The runtime rate of a checked description (`None`: one constant per source, checked by
/// [`per_source`]).
fn rate(ctx: &InputContext, r: &scenario::Rate) -> Res<Option<Rate>> {
    Ok(Some(match r {
        scenario::Rate::Constant(r) => {
            Rate::Constant(ctx.check("rate", *r, Check::NonNegative, " Hz")?)
        }
        scenario::Rate::PerSource(_) => return Ok(None),
        scenario::Rate::Sinusoidal(s) => Rate::Sinusoidal(std::sync::Arc::new(Sinusoid {
            mean: ctx.check("rate.mean", s.mean, Check::NonNegative, " Hz")?,
            amplitude: ctx.check("rate.amplitude", s.amplitude, Check::Finite, " Hz")?,
            frequency: ctx.check("rate.frequency", s.frequency, Check::NonNegative, " Hz")?,
            phase: ctx.check("rate.phase", s.phase, Check::Finite, " rad")?,
        })),
        scenario::Rate::Steps(s) => {
            steps(
                &format!("{}.rate", ctx.path),
                ("times", &s.times),
                ("rates", &s.rates),
                Check::NonNegative,
                " Hz",
            )?;
            Rate::Steps(std::sync::Arc::new((s.times.clone(), s.rates.clone())))
        }
    }))
}

/// One constant rate per source, each checked, as many as sources.
fn per_source<'a>(ctx: &InputContext, rates: &'a [f64], size: u64) -> Res<&'a [f64]> {
    if rates.len() as u64 != size {
        return err(
            format!("{}.rate", ctx.path),
            format!(
                "has {} rates for {size} sources (one rate per source, or one number for all)",
                rates.len()
            ),
        );
    }
    for (i, &r) in rates.iter().enumerate() {
        check_at(
            || format!("{}.rate[{i}]", ctx.path),
            r,
            Check::NonNegative,
            " Hz",
        )?;
    }
    Ok(rates)
}

/// Largest number of Poisson spikes expected per input (the documented limit, §5.2 of
/// docs/scenario-format.md: more are almost always a mistake in units).
pub const MAX_POISSON_SPIKES: f64 = MAX_ELEMENTS as f64;

impl BuildInput for PoissonInput {
    fn build(&self, ctx: &InputContext, budget: &mut Budget) -> Res<Vec<SourceTrain>> {
        ctx.size(self.size)?;
        let rate = rate(ctx, &self.rate)?;
        let each = match &self.rate {
            scenario::Rate::PerSource(r) => per_source(ctx, r, self.size as u64)?,
            _ => &[],
        };
        if let Some(Rate::Steps(s)) = &rate {
            budget.charge(
                16.0 * s.0.len() as f64,
                &format!("{}.rate", ctx.path),
                "the rate's steps",
            )?;
        }
        let (start, stop) = firing_window(ctx, self.start, self.stop)?;
        let window = (stop - start).max(0.0);
        let per_source = match &rate {
            Some(Rate::Constant(r)) => r * window,
            // (never built from a `poisson` input)
            Some(Rate::Gamma(_)) => 0.0,
            Some(Rate::Sinusoidal(m)) => (m.mean + m.amplitude.abs()) * window,
            // each piece's rate over the part of it inside [start, stop)
            Some(Rate::Steps(s)) => (0..s.0.len())
                .map(|k| {
                    let end = s.0.get(k + 1).copied().unwrap_or(f64::INFINITY);
                    s.1[k] * (end.min(stop) - s.0[k].max(start)).max(0.0)
                })
                .sum(),
            // (their mean, so that the size below makes the sum)
            None => each.iter().sum::<f64>() / each.len().max(1) as f64 * window,
        };
        drawn_lazily(ctx, budget, per_source, (self.size, "Poisson"))?;
        Ok(match rate {
            Some(rate) => input::poisson(ctx.seed, ctx.name, self.size, &rate, start, stop),
            None => input::poisson_each(ctx.seed, ctx.name, each, start, stop),
        })
    }
}

/// An input's `start` and `stop` \[ms\] checked (`stop` ≥ `start`), `stop` at most the
/// duration.
fn firing_window(ctx: &InputContext, start: Option<f64>, stop: Option<f64>) -> Res<(f64, f64)> {
    let a = ctx.check("start", start.unwrap_or(0.0), Check::NonNegative, " ms")?;
    let b = ctx
        .check(
            "stop",
            stop.unwrap_or(ctx.duration),
            Check::NonNegative,
            " ms",
        )?
        .min(ctx.duration);
    if stop.is_some_and(|s| s < a) {
        return err(
            format!("{}.stop", ctx.path),
            format!("must be >= start ({a} ms)"),
        );
    }
    Ok((a, b))
}

/// The spike-count limit of trains drawn during the run (`per_source` the expected spikes
/// of one source times 1000), and their state charged to the budget.
fn drawn_lazily(
    ctx: &InputContext,
    budget: &mut Budget,
    per_source: f64,
    (size, what): (usize, &str),
) -> Res<()> {
    let expected = per_source / 1000.0 * size as f64;
    if expected > MAX_POISSON_SPIKES {
        return err(
            format!("{}.rate", ctx.path),
            format!(
                "would emit about {expected:.3e} spikes (rate × duration × size); at most \
                 {MAX_ELEMENTS} per input"
            ),
        );
    }
    // the trains are drawn lazily during the run: only their state is kept
    budget.charge(
        BYTES_PER_SOURCE * size as f64,
        &format!("{}.size", ctx.path),
        &format!("{size} {what} sources"),
    )
}

/// The range of a gamma input's shape (docs/scenario-format.md §5.7).
pub const MIN_GAMMA_SHAPE: f64 = 0.1;
/// See [`MIN_GAMMA_SHAPE`].
pub const MAX_GAMMA_SHAPE: f64 = 1e6;

impl BuildInput for GammaInput {
    fn build(&self, ctx: &InputContext, budget: &mut Budget) -> Res<Vec<SourceTrain>> {
        ctx.size(self.size)?;
        let rate = ctx.check("rate", self.rate, Check::NonNegative, " Hz")?;
        let shape = ctx.check("shape", self.shape, Check::Positive, "")?;
        // (below 0.1 the sampler's draws round to intervals of exactly 0: a source would fire
        // at one time forever; above 1e6 the train is periodic to within 1e-3)
        if !(MIN_GAMMA_SHAPE..=MAX_GAMMA_SHAPE).contains(&shape) {
            return err(
                format!("{}.shape", ctx.path),
                format!("must be in [{MIN_GAMMA_SHAPE}, {MAX_GAMMA_SHAPE:e}], got {shape}"),
            );
        }
        let (start, stop) = firing_window(ctx, self.start, self.stop)?;
        drawn_lazily(
            ctx,
            budget,
            rate * (stop - start).max(0.0),
            (self.size, "gamma"),
        )?;
        Ok(input::gamma(
            ctx.seed,
            ctx.name,
            self.size,
            (rate, shape),
            start,
            stop,
        ))
    }
}

impl BuildInput for PeriodicInput {
    fn build(&self, ctx: &InputContext, budget: &mut Budget) -> Res<Vec<SourceTrain>> {
        ctx.size(self.size)?;
        let period = ctx.check("period", self.period, Check::Positive, " ms")?;
        let phase = ctx.check("phase", self.phase.unwrap_or(0.0), Check::Finite, " ms")?;
        let jitter = ctx.check(
            "jitter",
            self.jitter.unwrap_or(0.0),
            Check::NonNegative,
            " ms",
        )?;
        let d = ctx.duration;
        let cycles = ((d + 20.0 * jitter) / period + 1.0) * self.size as f64;
        let spikes = (d / period + 1.0) * self.size as f64;
        ctx.guard(budget, cycles, spikes, "period")?;
        budget.charge(BYTES_PER_SOURCE * self.size as f64, ctx.path, "the sources")?;
        Ok(input::periodic(
            ctx.seed, ctx.name, self.size, period, phase, jitter, d,
        ))
    }
}

/// The runtime delay of a checked description.
fn itd(ctx: &InputContext, d: &Option<scenario::Itd>) -> Res<Itd> {
    Ok(match d {
        None => Itd::Constant(0.0),
        Some(scenario::Itd::Constant(d)) => {
            Itd::Constant(ctx.check("delay", *d, Check::Finite, " ms")?)
        }
        Some(scenario::Itd::Moving(m)) => Itd::Moving {
            offset: ctx.check("delay.offset", m.offset, Check::Finite, " ms")?,
            amplitude: ctx.check("delay.amplitude", m.amplitude, Check::Finite, " ms")?,
            period: ctx.check("delay.period", m.period, Check::Positive, " ms")?,
            phase: ctx.check("delay.phase", m.phase, Check::Finite, " rad")?,
        },
    })
}

impl BuildInput for PhaseLockedInput {
    fn build(&self, ctx: &InputContext, budget: &mut Budget) -> Res<Vec<SourceTrain>> {
        ctx.size(self.size)?;
        let freq = ctx.check("frequency", self.frequency, Check::Positive, " Hz")?;
        let rate = ctx.check("rate", self.rate, Check::NonNegative, " Hz")?;
        if rate > freq {
            return err(
                format!("{}.rate", ctx.path),
                format!(
                    "must be <= frequency ({freq} Hz): at most one spike per cycle, got {rate}"
                ),
            );
        }
        let jitter = ctx.check("jitter", self.jitter, Check::NonNegative, " ms")?;
        let phase = ctx.check("phase", self.phase.unwrap_or(0.0), Check::Finite, " rad")?;
        let delay = itd(ctx, &self.delay)?;
        let reach = delay.reach() + 10.0 * jitter;
        let d = ctx.duration;
        let cycles = ((d + 2.0 * reach) * freq / 1000.0 + 1.0) * self.size as f64;
        let spikes = (d * rate / 1000.0 + 1.0) * self.size as f64;
        ctx.guard(budget, cycles, spikes, "frequency")?;
        budget.charge(BYTES_PER_SOURCE * self.size as f64, ctx.path, "the sources")?;
        Ok(input::phase_locked(
            ctx.seed, ctx.name, self.size, freq, rate, jitter, phase, &delay, d,
        ))
    }
}
