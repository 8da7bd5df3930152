//! Numbers as users write them: range checks with path-named messages, and the resolution
//! of a [`ParamValue`] (one value, a list, or a distribution) into one number per element.

use crate::error::ScenarioError;
use crate::network::connectivity::Values;
use crate::scenario::{Distribution, ParamValue};
use rand::Rng;
use rand_distr::{Distribution as _, StandardNormal};
use rand_pcg::Pcg64;

/// Largest number of synapses, spikes per input, or voltage samples accepted (indices are
/// 32-bit; larger requests are almost always mistakes in units).
pub const MAX_ELEMENTS: u64 = u32::MAX as u64;

/// The result of a build step.
pub type Res<T> = Result<T, ScenarioError>;

pub(crate) fn err<T>(path: impl Into<String>, msg: impl Into<String>) -> Res<T> {
    Err(ScenarioError::invalid(path, msg))
}

/// Largest magnitude accepted for any time \[ms\] or rate \[Hz\].
pub const MAX_MAGNITUDE: f64 = 1e12;
/// Largest magnitude accepted for potentials, biases and weights \[mV\].
pub const MAX_POTENTIAL: f64 = 1e6;
/// Smallest time constant accepted \[ms\].
pub const MIN_TAU: f64 = 1e-6;

/// A range constraint on numbers, with the message it gives. Every check also bounds the
/// magnitude so that no legal value can overflow the closed-form solutions to inf or NaN.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Check {
    /// Finite, magnitude at most MAX_MAGNITUDE.
    Finite,
    /// In (0, MAX_MAGNITUDE].
    Positive,
    /// In [0, MAX_MAGNITUDE].
    NonNegative,
    /// A time constant: in [MIN_TAU, MAX_MAGNITUDE] ms.
    Tau,
    /// A potential or weight: |v| <= MAX_POTENTIAL mV.
    Potential,
    /// A delay between neuron populations: like `Positive`, and the message says why.
    Delay,
}

impl Check {
    /// `Ok` when `v` passes, else the message (`must be ..., got v`).
    pub fn test(self, v: f64, unit: &str) -> Result<(), String> {
        let ok = v.is_finite()
            && match self {
                Check::Finite => v.abs() <= MAX_MAGNITUDE,
                Check::Positive | Check::Delay => v > 0.0 && v <= MAX_MAGNITUDE,
                Check::NonNegative => (0.0..=MAX_MAGNITUDE).contains(&v),
                Check::Tau => (MIN_TAU..=MAX_MAGNITUDE).contains(&v),
                Check::Potential => v.abs() <= MAX_POTENTIAL,
            };
        if ok {
            return Ok(());
        }
        let what = match self {
            Check::Finite => format!("a finite number with magnitude <= {MAX_MAGNITUDE:e}{unit}"),
            Check::Positive | Check::Delay if v > 0.0 && v.is_finite() => {
                format!("<= {MAX_MAGNITUDE:e}{unit}")
            }
            Check::Positive => format!("> 0{unit}"),
            Check::Delay => {
                return Err(format!(
                    "must be > 0{unit}, got {} (delays between neuron populations must be > 0, \
                     so that no spike causes another at the same instant)",
                    show(v)
                ))
            }
            Check::NonNegative if v >= 0.0 && v.is_finite() => {
                format!("<= {MAX_MAGNITUDE:e}{unit}")
            }
            Check::NonNegative => format!(">= 0{unit}"),
            Check::Tau if v > 0.0 && v.is_finite() => {
                format!("a time constant in [{MIN_TAU:e}, {MAX_MAGNITUDE:e}]{unit}")
            }
            Check::Tau => format!("> 0{unit}"),
            Check::Potential => format!("within ±{MAX_POTENTIAL:e}{unit}"),
        };
        Err(format!("must be {what}, got {}", show(v)))
    }
}

/// A step function's lists at `path`: `times` (ms; ≥ 0, strictly increasing) and one value
/// per time passing `check`; errors name `path.key[j]`.
pub(crate) fn steps(
    path: &str,
    (times_key, times): (&str, &[f64]),
    (values_key, values): (&str, &[f64]),
    check: Check,
    unit: &str,
) -> Res<()> {
    if times.len() != values.len() {
        let noun = values_key.trim_end_matches('s');
        return err(
            format!("{path}.{values_key}"),
            format!(
                "must have one {noun} per time: {} times, {} {values_key}",
                times.len(),
                values.len()
            ),
        );
    }
    let mut last = f64::NEG_INFINITY;
    for (j, &t) in times.iter().enumerate() {
        // The path is only formatted for an error: long step lists made this the cost.
        let at = || format!("{path}.{times_key}[{j}]");
        Check::NonNegative
            .test(t, " ms")
            .or_else(|m| err(at(), m))?;
        if t <= last {
            return err(
                at(),
                format!(
                    "must be after the time before it ({}), got {}: times strictly increase",
                    show(last),
                    show(t)
                ),
            );
        }
        last = t;
    }
    for (j, &v) in values.iter().enumerate() {
        check
            .test(v, unit)
            .or_else(|m| err(format!("{path}.{values_key}[{j}]"), m))?;
    }
    Ok(())
}

/// A number as users wrote it: plain decimals in the usual range, exponent form for very
/// large or small magnitudes (1e308 rather than 309 digits).
pub(crate) fn show(v: f64) -> String {
    if v != 0.0 && v.is_finite() && !(1e-5..1e15).contains(&v.abs()) {
        format!("{v:e}")
    } else {
        v.to_string()
    }
}

pub(crate) fn check(path: &str, v: f64, c: Check, unit: &str) -> Res<f64> {
    c.test(v, unit)
        .map(|_| v)
        .map_err(|m| ScenarioError::invalid(path, m))
}

/// [`check`] for the elements of long lists: the path is only made for an error (formatting
/// one per element was most of the time `validate` took on large spike lists).
pub(crate) fn check_at(path: impl FnOnce() -> String, v: f64, c: Check, unit: &str) -> Res<f64> {
    c.test(v, unit)
        .map(|_| v)
        .map_err(|m| ScenarioError::invalid(path(), m))
}

/// Resolves a [`ParamValue`] to `n` numbers, each checked with `c`.
pub(crate) fn resolve(
    value: &ParamValue,
    path: &str,
    n: usize,
    what: &str,
    c: Check,
    unit: &str,
    rng: &mut Pcg64,
) -> Res<Vec<f64>> {
    match value {
        ParamValue::Value(v) => Ok(vec![check(path, *v, c, unit)?; n]),
        ParamValue::List(vs) => {
            if vs.len() != n {
                return err(
                    path,
                    format!("list has {} values, expected {n} ({what})", vs.len()),
                );
            }
            for (k, v) in vs.iter().enumerate() {
                check_at(|| format!("{path}[{k}]"), *v, c, unit)?;
            }
            Ok(vs.clone())
        }
        ParamValue::Distribution(d) => {
            let draw = sampler(d, path)?;
            let mut out = Vec::with_capacity(n);
            for k in 0..n {
                let v = draw(rng);
                if let Err(m) = c.test(v, unit) {
                    return err(path, drew(v, &format!("element {k}"), &m));
                }
                out.push(v);
            }
            Ok(out)
        }
    }
}

/// The message for a drawn value `v` of element `at` that fails its check with `m`.
pub(crate) fn drew(v: f64, at: &str, m: &str) -> String {
    format!(
        "the distribution drew {} for {at}, but values {}; bound it with \"min\"/\"max\"",
        show(v),
        m.split(", got").next().unwrap_or(m)
    )
}

/// [`resolve`], keeping a single value single (stored once, not once per synapse).
pub(crate) fn resolve_values(
    value: &ParamValue,
    path: &str,
    n: usize,
    what: &str,
    c: Check,
    unit: &str,
    rng: &mut Pcg64,
) -> Res<Values> {
    match value {
        ParamValue::Value(v) => Ok(Values::Const(check(path, *v, c, unit)?)),
        _ => resolve(value, path, n, what, c, unit, rng).map(Values::Each),
    }
}

pub(crate) fn sampler(d: &Distribution, path: &str) -> Res<impl Fn(&mut Pcg64) -> f64> {
    let (lo_clip, hi_clip) = (
        d.min.unwrap_or(f64::NEG_INFINITY),
        d.max.unwrap_or(f64::INFINITY),
    );
    if d.min.is_some_and(|v| !v.is_finite()) || d.max.is_some_and(|v| !v.is_finite()) {
        return err(path, "\"min\" and \"max\" must be finite numbers");
    }
    if lo_clip > hi_clip {
        return err(
            format!("{path}.min"),
            format!("must be <= max ({}), got {}", show(hi_clip), show(lo_clip)),
        );
    }
    let (uniform, a, b) = match (d.uniform, d.normal) {
        (Some([lo, hi]), None) => {
            // (a width past f64::MAX would draw ±inf from finite bounds)
            if !(lo.is_finite() && hi.is_finite() && lo <= hi && (hi - lo).is_finite()) {
                return err(
                    format!("{path}.uniform"),
                    format!(
                        "needs finite [lo, hi] with lo <= hi, at most {} apart, got [{}, {}]",
                        show(f64::MAX),
                        show(lo),
                        show(hi)
                    ),
                );
            }
            (true, lo, hi)
        }
        (None, Some([mean, sd])) => {
            if !(mean.is_finite() && sd.is_finite() && sd >= 0.0) {
                return err(
                    format!("{path}.normal"),
                    format!(
                        "needs a finite mean and sd >= 0, got [{}, {}]",
                        show(mean),
                        show(sd)
                    ),
                );
            }
            (false, mean, sd)
        }
        _ => {
            return err(
                path,
                "a distribution needs exactly one of \"uniform\" or \"normal\"",
            )
        }
    };
    Ok(move |rng: &mut Pcg64| {
        let v = if uniform {
            a + (b - a) * rng.random::<f64>()
        } else {
            let z: f64 = StandardNormal.sample(rng);
            a + b * z
        };
        v.clamp(lo_clip, hi_clip)
    })
}
