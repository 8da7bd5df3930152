//! The scenario types: a mirror of the JSON format (`docs/scenario-format.md`), also the Rust
//! API's way to describe a network in code.
//!
//! Everything here only says what the user wrote. Range checks, name resolution and random
//! draws happen in [`crate::build`]. Units: ms, mV, Hz.

use schemars::JsonSchema;
use serde::de::{self, MapAccess, SeqAccess, Visitor};
use serde::{Deserialize, Deserializer, Serialize};
use std::fmt;

pub use super::param::{Distribution, ParamValue};

/// A whole scenario.
#[derive(Clone, Debug, Deserialize, Serialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct Scenario {
    /// Scenario name, echoed in summary.json (default: file stem).
    #[serde(default)]
    pub name: Option<String>,
    /// Seed of every random choice (default 0).
    #[serde(default)]
    pub seed: u64,
    /// Simulate the interval [0, duration) \[ms\].
    pub duration: f64,
    /// Neuron populations.
    pub populations: Vec<Population>,
    /// Spike-source populations.
    #[serde(default)]
    pub inputs: Vec<Input>,
    /// Synapses.
    #[serde(default)]
    pub connections: Vec<Connection>,
    /// Injected currents: step functions of time added to neurons' `i_bias`.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub currents: Vec<Current>,
    /// What to write (default: spikes of every neuron population).
    #[serde(default)]
    pub record: Option<Record>,
}

/// A population of neurons of one model. (Parsed by `scenario::parse_str`, which dispatches
/// on `model` itself to keep error paths; the derives serve the schema and serialization.)
#[derive(Clone, Debug, Deserialize, Serialize, JsonSchema)]
pub struct Population {
    /// Unique name (shared namespace with inputs).
    pub name: String,
    /// Number of neurons.
    pub size: usize,
    /// `"model"` and its `"params"`.
    #[serde(flatten)]
    pub model: Model,
}

/// A registration table of the description layer: one line per variant, `Variant(Type) =
/// "json name"`. It defines the enum (serde tag, schema) and, from the same list,
/// `NAMES` (the tag values, for messages) and `parse` (dispatch on the tag, errors with
/// their JSON path).
macro_rules! registry {
    (
        $(#[$meta:meta])*
        pub enum $enum:ident {
            $($(#[$doc:meta])* $variant:ident($ty:ty) = $name:literal,)+
        }
    ) => {
        $(#[$meta])*
        pub enum $enum {
            $($(#[$doc])* #[serde(rename = $name)] $variant($ty),)+
        }

        impl $enum {
            /// The JSON names, in table order.
            pub const NAMES: &'static [&'static str] = &[$($name),+];

            /// The variant named `name`, its content parsed from `value` (errors name
            /// `path`); `None` for an unknown name.
            pub(crate) fn parse(
                name: &str,
                value: serde_json::Value,
                path: &str,
            ) -> Result<Option<Self>, crate::error::ScenarioError> {
                Ok(Some(match name {
                    $($name => $enum::$variant(super::typed(value, path)?),)+
                    _ => return Ok(None),
                }))
            }
        }
    };
}

registry! {
    /// Neuron models with their parameters: `"model"` names one, `"params"` holds its
    /// parameters. The model registration of the description layer (see
    /// docs/architecture.md, "Adding a neuron model").
    #[derive(Clone, Debug, Deserialize, Serialize, JsonSchema)]
    #[serde(tag = "model", content = "params")]
    pub enum Model {
        /// Leaky integrate-and-fire with delta/exp/alpha receptors.
        Lif(LifParams) = "lif",
        /// Quadratic integrate-and-fire with delta inputs (extension).
        Qif(QifParams) = "qif",
        /// Any stable linear neuron (extension).
        Linear(LinearParams) = "linear",
    }
}

/// Parameters of the `linear` model (extension; see docs/models.md): the state `x`
/// (`variables`, the first the membrane potential V) obeys `dx/dt = A (x − rest) + g·u·e_V`,
/// `A` = `matrix` \[1/ms\], `g = −A_VV`, `u` = `i_bias` plus injected currents \[mV\]. A
/// spike when V reaches `v_th`: V is reset to `v_reset` and held for `t_ref`, and each
/// variable in `jumps` is incremented. Each receptor adds a connection's weight to the
/// variable it names. `matrix`, `rest`, `receptors` and `jumps` are the population's;
/// the other values may differ per neuron.
#[derive(Clone, Debug, Deserialize, Serialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct LinearParams {
    /// Names of the state variables (1 to 8, distinct); the first is V \[mV\]. Required.
    pub variables: Vec<String>,
    /// `A` \[1/ms\], one row per variable (row k: dx_k/dt in the deviations from rest);
    /// stable (every eigenvalue with a negative real part), `A_VV < 0`. Required.
    pub matrix: Vec<Vec<f64>>,
    /// The state without input (default -70 mV for V, 0 for the others).
    #[serde(default)]
    pub rest: Option<Vec<f64>>,
    /// Threshold on V \[mV\]. Required.
    pub v_th: ParamValue,
    /// Reset \[mV\] (default rest of V), < v_th.
    #[serde(default)]
    pub v_reset: Option<ParamValue>,
    /// Refractory period \[ms\] (default 0): V held at v_reset, inputs to V discarded.
    #[serde(default)]
    pub t_ref: Option<ParamValue>,
    /// Constant drive \[mV\] (default 0): enters V's row as `−A_VV · i_bias`.
    #[serde(default)]
    pub i_bias: Option<ParamValue>,
    /// Initial V \[mV\] (default rest of V; the other variables start at rest).
    #[serde(default)]
    pub v_init: Option<ParamValue>,
    /// The variable each receptor adds its weight to, indexed by a connection's
    /// `receptor` (default: V only).
    #[serde(default)]
    pub receptors: Option<Vec<String>>,
    /// Increments of variables (not V) at each spike (default none).
    #[serde(default)]
    pub jumps: std::collections::BTreeMap<String, f64>,
}

/// Parameters of the `qif` model (extension; see docs/models.md):
/// `tau_m dV/dt = (V − v_rest)(V − v_crit)/(v_crit − v_rest) + i_bias`, spike when V
/// reaches `v_peak`, then reset to `v_reset` and hold for `t_ref`. Inputs are delta jumps.
#[derive(Clone, Debug, Deserialize, Serialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct QifParams {
    /// Time constant \[ms\], > 0. Required.
    pub tau_m: ParamValue,
    /// Stable rest \[mV\] (default -70).
    #[serde(default)]
    pub v_rest: Option<ParamValue>,
    /// Unstable critical potential \[mV\], > v_rest. Required.
    pub v_crit: ParamValue,
    /// Spike cut-off \[mV\], > v_crit. Required.
    pub v_peak: ParamValue,
    /// Reset \[mV\] (default v_rest), < v_peak.
    #[serde(default)]
    pub v_reset: Option<ParamValue>,
    /// Refractory period \[ms\] (default 0).
    #[serde(default)]
    pub t_ref: Option<ParamValue>,
    /// Constant drive \[mV\] (default 0).
    #[serde(default)]
    pub i_bias: Option<ParamValue>,
    /// Initial potential \[mV\] (default v_rest).
    #[serde(default)]
    pub v_init: Option<ParamValue>,
}

/// Parameters of the `lif` model (see docs/models.md). Each number may be a [`ParamValue`].
#[derive(Clone, Debug, Deserialize, Serialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct LifParams {
    /// Membrane time constant \[ms\], > 0. Required.
    pub tau_m: ParamValue,
    /// Resting potential \[mV\] (default -70).
    #[serde(default)]
    pub v_rest: Option<ParamValue>,
    /// Threshold \[mV\]. Required.
    pub v_th: ParamValue,
    /// Reset potential \[mV\] (default v_rest), < v_th.
    #[serde(default)]
    pub v_reset: Option<ParamValue>,
    /// Refractory period \[ms\] (default 0), ≥ 0.
    #[serde(default)]
    pub t_ref: Option<ParamValue>,
    /// Bias drive \[mV\] added to v_rest (default 0).
    #[serde(default)]
    pub i_bias: Option<ParamValue>,
    /// Initial potential \[mV\] (default v_rest).
    #[serde(default)]
    pub v_init: Option<ParamValue>,
    /// Receptors, indexed by a connection's `receptor` (default `[{"kind": "delta"}]`).
    #[serde(default)]
    pub receptors: Option<Vec<Receptor>>,
    /// Spike-triggered adaptation currents (default none).
    #[serde(default)]
    pub adaptation: Vec<Adaptation>,
    /// Spike-triggered threshold increments (extension; default none).
    #[serde(default)]
    pub threshold_adaptation: Vec<Adaptation>,
}

impl LifParams {
    /// Parameters with the given required values and every default.
    pub fn new(tau_m: f64, v_th: f64) -> Self {
        LifParams {
            tau_m: ParamValue::Value(tau_m),
            v_rest: None,
            v_th: ParamValue::Value(v_th),
            v_reset: None,
            t_ref: None,
            i_bias: None,
            v_init: None,
            receptors: None,
            adaptation: Vec::new(),
            threshold_adaptation: Vec::new(),
        }
    }
}

/// Receptor kinds.
#[derive(Clone, Copy, Debug, Deserialize, Serialize, JsonSchema, PartialEq, Eq)]
#[serde(rename_all = "snake_case")]
pub enum ReceptorKind {
    /// V jumps by the weight.
    Delta,
    /// Exponentially decaying current (tau) that starts at the weight.
    Exp,
    /// Alpha-shaped current w·(s/tau)·exp(1 - s/tau), peak w at s = tau.
    Alpha,
}

/// One receptor.
#[derive(Clone, Debug, Deserialize, Serialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct Receptor {
    /// Kind.
    pub kind: ReceptorKind,
    /// Time constant \[ms\] (exp and alpha only), > 0.
    #[serde(default)]
    pub tau: Option<ParamValue>,
}

/// A spike-triggered exponential term: decays with `tau`, jumps by `increment` at each
/// output spike.
#[derive(Clone, Debug, Deserialize, Serialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct Adaptation {
    /// Time constant \[ms\], > 0.
    pub tau: ParamValue,
    /// Jump at each spike \[mV\].
    pub increment: ParamValue,
}

/// A spike-source population. (Parsed by `scenario::parse_str`, which dispatches on
/// `kind` itself to keep error paths; the derive serves the schema and serialization.)
#[derive(Clone, Debug, Deserialize, Serialize, JsonSchema)]
pub struct Input {
    /// Unique name (shared namespace with populations).
    pub name: String,
    /// What the sources emit.
    #[serde(flatten)]
    pub kind: InputKind,
}

registry! {
    /// Input kinds; the JSON key `kind` selects one. The input registration of the
    /// description layer (see docs/architecture.md, "Adding an input kind").
    #[derive(Clone, Debug, Deserialize, Serialize, JsonSchema)]
    #[serde(tag = "kind")]
    pub enum InputKind {
        /// Given spike times, one list per source.
        SpikeTimes(SpikeTimes) = "spike_times",
        /// Independent Poisson trains (homogeneous or sinusoidally modulated).
        Poisson(Poisson) = "poisson",
        /// Regular trains.
        Periodic(Periodic) = "periodic",
        /// Tone-locked trains (ear inputs).
        PhaseLocked(PhaseLocked) = "phase_locked",
        /// Renewal trains with gamma-distributed intervals (extension).
        Gamma(Gamma) = "gamma",
    }
}

/// `spike_times` input.
#[derive(Clone, Debug, Deserialize, Serialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct SpikeTimes {
    /// One list of times \[ms\] per source.
    pub times: Vec<Vec<f64>>,
}

/// `poisson` input.
#[derive(Clone, Debug, Deserialize, Serialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct Poisson {
    /// Number of sources.
    pub size: usize,
    /// Rate \[Hz\]: a number or a sinusoidal modulation.
    pub rate: Rate,
    /// Start of firing \[ms\] (default 0).
    #[serde(default)]
    pub start: Option<f64>,
    /// End of firing \[ms\] (default: duration).
    #[serde(default)]
    pub stop: Option<f64>,
}

/// `gamma` input (extension): independent renewal trains whose intervals are
/// gamma-distributed with the given shape and a mean of `1000 / rate` ms (PyNN's
/// `SpikeSourceGamma`).
#[derive(Clone, Debug, Deserialize, Serialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct Gamma {
    /// Number of sources.
    pub size: usize,
    /// Mean rate \[Hz\], ≥ 0.
    pub rate: f64,
    /// Shape k > 0 of the intervals' distribution (1: Poisson; larger: more regular, CV
    /// 1/√k).
    pub shape: f64,
    /// Start of firing \[ms\] (default 0): the first interval is drawn from it.
    #[serde(default)]
    pub start: Option<f64>,
    /// End of firing \[ms\] (default: duration).
    #[serde(default)]
    pub stop: Option<f64>,
}

/// `periodic` input.
#[derive(Clone, Debug, Deserialize, Serialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct Periodic {
    /// Number of sources.
    pub size: usize,
    /// Period \[ms\], > 0.
    pub period: f64,
    /// Time of the first spike \[ms\] (default 0).
    #[serde(default)]
    pub phase: Option<f64>,
    /// Gaussian jitter sd \[ms\] (default 0).
    #[serde(default)]
    pub jitter: Option<f64>,
}

/// `phase_locked` input.
#[derive(Clone, Debug, Deserialize, Serialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct PhaseLocked {
    /// Number of sources.
    pub size: usize,
    /// Tone frequency \[Hz\], > 0.
    pub frequency: f64,
    /// Mean rate \[Hz\], ≤ frequency.
    pub rate: f64,
    /// Gaussian jitter sd \[ms\], ≥ 0.
    pub jitter: f64,
    /// Phase of the tone \[rad\] (default 0).
    #[serde(default)]
    pub phase: Option<f64>,
    /// Extra delay \[ms\] (default 0): a number, or a moving source (extension).
    #[serde(default)]
    pub delay: Option<Itd>,
}

/// A Poisson rate: constant, one constant per source (extension), `max(0, mean +
/// amplitude·sin(2π f t/1000 + phase))`, or a step function of time (extension).
#[derive(Clone, Debug, Serialize, JsonSchema)]
#[serde(untagged)]
pub enum Rate {
    /// Constant rate \[Hz\].
    Constant(f64),
    /// A constant rate per source \[Hz\], one per source in order (extension).
    PerSource(Vec<f64>),
    /// Sinusoidally modulated rate.
    Sinusoidal(SinusoidalRate),
    /// Piecewise-constant rate (extension).
    Steps(StepRate),
}

/// Every key a rate object may have, read in one pass ([`Rate`]'s parser sorts them out).
#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RateObject {
    mean: Option<f64>,
    amplitude: Option<f64>,
    frequency: Option<f64>,
    phase: Option<f64>,
    times: Option<Vec<f64>>,
    rates: Option<Vec<f64>>,
}

/// A rate that is `rates[k]` from `times[k]` on, 0 before the first time.
#[derive(Clone, Debug, Deserialize, Serialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct StepRate {
    /// When the rate changes \[ms\], strictly increasing, each ≥ 0.
    pub times: Vec<f64>,
    /// The rate from the matching time on \[Hz\], each ≥ 0.
    pub rates: Vec<f64>,
}

/// Sinusoidal rate parameters.
#[derive(Clone, Debug, Deserialize, Serialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct SinusoidalRate {
    /// Mean rate \[Hz\].
    pub mean: f64,
    /// Amplitude \[Hz\].
    pub amplitude: f64,
    /// Modulation frequency \[Hz\].
    pub frequency: f64,
    /// Phase \[rad\] (default 0).
    #[serde(default)]
    pub phase: f64,
}

impl<'de> Deserialize<'de> for Rate {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        struct V;
        impl<'de> Visitor<'de> for V {
            type Value = Rate;
            fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
                f.write_str(
                    "a rate in Hz, a list of one rate per source, {\"mean\", \"amplitude\", \
                     \"frequency\", \"phase\"} or {\"times\", \"rates\"}",
                )
            }
            fn visit_f64<E: de::Error>(self, v: f64) -> Result<Rate, E> {
                Ok(Rate::Constant(v))
            }
            fn visit_i64<E: de::Error>(self, v: i64) -> Result<Rate, E> {
                Ok(Rate::Constant(v as f64))
            }
            fn visit_u64<E: de::Error>(self, v: u64) -> Result<Rate, E> {
                Ok(Rate::Constant(v as f64))
            }
            fn visit_seq<A: SeqAccess<'de>>(self, seq: A) -> Result<Rate, A::Error> {
                // (in place: an element's error keeps its index in the path)
                Vec::<f64>::deserialize(de::value::SeqAccessDeserializer::new(seq))
                    .map(Rate::PerSource)
            }
            fn visit_map<A: MapAccess<'de>>(self, map: A) -> Result<Rate, A::Error> {
                // Read in place (not buffered) so that errors inside keep their path; the
                // keys present say which kind it is.
                let o = RateObject::deserialize(de::value::MapAccessDeserializer::new(map))?;
                let need = |v: Option<f64>, k| v.ok_or_else(|| de::Error::missing_field(k));
                match (o.times, o.rates) {
                    (None, None) => Ok(Rate::Sinusoidal(SinusoidalRate {
                        mean: need(o.mean, "mean")?,
                        amplitude: need(o.amplitude, "amplitude")?,
                        frequency: need(o.frequency, "frequency")?,
                        phase: o.phase.unwrap_or(0.0),
                    })),
                    (times, rates) => {
                        if o.mean.or(o.amplitude).or(o.frequency).or(o.phase).is_some() {
                            return Err(de::Error::custom(
                                "a rate object is sinusoidal {\"mean\", \"amplitude\", \
                                 \"frequency\", \"phase\"} or steps {\"times\", \"rates\"}, \
                                 not both",
                            ));
                        }
                        Ok(Rate::Steps(StepRate {
                            times: times.ok_or_else(|| de::Error::missing_field("times"))?,
                            rates: rates.ok_or_else(|| de::Error::missing_field("rates"))?,
                        }))
                    }
                }
            }
        }
        d.deserialize_any(V)
    }
}

/// An interaural delay: a constant, or a moving source (extension).
#[derive(Clone, Debug, Serialize, JsonSchema)]
#[serde(untagged)]
pub enum Itd {
    /// Constant delay \[ms\].
    Constant(f64),
    /// `delay(t) = offset + amplitude·sin(2π t / period + phase)` \[ms\].
    Moving(MovingDelay),
}

/// A sinusoidally moving delay (a source circling the head).
#[derive(Clone, Debug, Deserialize, Serialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct MovingDelay {
    /// Mean delay \[ms\] (default 0).
    #[serde(default)]
    pub offset: f64,
    /// Amplitude \[ms\].
    pub amplitude: f64,
    /// Period of the movement \[ms\], > 0.
    pub period: f64,
    /// Phase \[rad\] (default 0).
    #[serde(default)]
    pub phase: f64,
}

impl<'de> Deserialize<'de> for Itd {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        struct V;
        impl<'de> Visitor<'de> for V {
            type Value = Itd;
            fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
                f.write_str("a delay in ms or {\"amplitude\", \"period\", \"offset\", \"phase\"}")
            }
            fn visit_f64<E: de::Error>(self, v: f64) -> Result<Itd, E> {
                Ok(Itd::Constant(v))
            }
            fn visit_i64<E: de::Error>(self, v: i64) -> Result<Itd, E> {
                Ok(Itd::Constant(v as f64))
            }
            fn visit_u64<E: de::Error>(self, v: u64) -> Result<Itd, E> {
                Ok(Itd::Constant(v as f64))
            }
            fn visit_map<A: MapAccess<'de>>(self, map: A) -> Result<Itd, A::Error> {
                MovingDelay::deserialize(de::value::MapAccessDeserializer::new(map))
                    .map(Itd::Moving)
            }
        }
        d.deserialize_any(V)
    }
}

/// A current injected into neurons of one population: a step function of time, added to
/// their `i_bias` (in mV, as `R·I`: the shift of the resting potential it would hold). It is
/// 0 before its first time, `amplitudes[k]` from `times[k]` on. A DC current from `a` to
/// `b` is `times [a, b]`, `amplitudes [I, 0]`.
#[derive(Clone, Debug, Deserialize, Serialize, JsonSchema, PartialEq)]
#[serde(deny_unknown_fields)]
pub struct Current {
    /// The neuron population it drives.
    pub to: String,
    /// Indices within the population of the neurons it drives (default: all of them).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub neurons: Option<Vec<u64>>,
    /// When the amplitude changes \[ms\], strictly increasing, each ≥ 0 (a step current;
    /// required unless `sine` is given).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub times: Option<Vec<f64>>,
    /// The amplitude from the matching time on \[mV\] (`R·I`), one per time (a step
    /// current).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub amplitudes: Option<Vec<f64>>,
    /// A sinusoidal current instead of steps (extension; PyNN's `ACSource`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub sine: Option<SineCurrent>,
}

/// A sinusoidal current: `offset + amplitude · sin(2π · frequency · (t − start) + phase)`
/// from `start` to `stop`, 0 outside (PyNN's `ACSource`).
#[derive(Clone, Debug, Deserialize, Serialize, JsonSchema, PartialEq)]
#[serde(deny_unknown_fields)]
pub struct SineCurrent {
    /// Amplitude of the sinusoid \[mV\] (`R·I`).
    pub amplitude: f64,
    /// Frequency \[Hz\], > 0.
    pub frequency: f64,
    /// Phase at `start` \[degrees\] (default 0).
    #[serde(default)]
    pub phase: f64,
    /// Constant added while the current is on \[mV\] (default 0).
    #[serde(default)]
    pub offset: f64,
    /// When it starts \[ms\] (default 0).
    #[serde(default)]
    pub start: f64,
    /// When it stops \[ms\] (default: never).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub stop: Option<f64>,
}

/// A set of synapses from one population (or input) to another.
#[derive(Clone, Debug, Deserialize, Serialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct Connection {
    /// Source population or input name.
    pub from: String,
    /// Target population name.
    pub to: String,
    /// Connectivity rule.
    pub rule: Rule,
    /// Weight \[mV\] per synapse.
    pub weight: ParamValue,
    /// Delay \[ms\] per synapse: ≥ 0 from an input, > 0 between neuron populations.
    pub delay: ParamValue,
    /// Index into the target's receptors (default 0).
    #[serde(default)]
    pub receptor: usize,
    /// Allow i → i synapses within one population (default false).
    #[serde(default)]
    pub autapses: bool,
    /// Synaptic plasticity (default none): STDP or Tsodyks–Markram.
    #[serde(default)]
    pub plasticity: Option<Plasticity>,
}

/// Plasticity of a connection: `{"stdp": {...}}` or `{"tsodyks_markram": {...}}`.
#[derive(Clone, Debug, Deserialize, Serialize, JsonSchema, PartialEq)]
#[serde(rename_all = "snake_case", deny_unknown_fields)]
pub enum Plasticity {
    /// Pair-based spike-timing-dependent plasticity with exponential traces.
    Stdp(Stdp),
    /// Short-term depression and facilitation.
    TsodyksMarkram(TsodyksMarkram),
}

/// Pair-based STDP. A presynaptic spike counts at its arrival time at the target, a
/// postsynaptic spike at its emission time; Δt = t_post − t_pre.
#[derive(Clone, Debug, Deserialize, Serialize, JsonSchema, PartialEq)]
#[serde(deny_unknown_fields)]
pub struct Stdp {
    /// Potentiation time constant \[ms\], > 0.
    pub tau_plus: f64,
    /// Depression time constant \[ms\], > 0.
    pub tau_minus: f64,
    /// Potentiation amplitude \[mV\] (additive) or factor (multiplicative), ≥ 0.
    pub a_plus: f64,
    /// Depression amplitude \[mV\] (additive) or factor (multiplicative), ≥ 0.
    pub a_minus: f64,
    /// Lower weight bound \[mV\].
    pub w_min: f64,
    /// Upper weight bound \[mV\], ≥ w_min.
    pub w_max: f64,
    /// `additive` (default) or `multiplicative`.
    #[serde(default)]
    pub rule: StdpRule,
    /// `all_to_all` (default) or `nearest`.
    #[serde(default)]
    pub pairing: Pairing,
}

/// How an STDP weight change scales with the weight.
#[derive(Clone, Copy, Debug, Default, Deserialize, Serialize, JsonSchema, PartialEq, Eq)]
#[serde(rename_all = "snake_case")]
pub enum StdpRule {
    /// Δw = +a_plus·e^{−Δt/τ+} or −a_minus·e^{Δt/τ−}, then clipped to [w_min, w_max].
    #[default]
    Additive,
    /// Δw = +a_plus·(w_max − w)·e^{−Δt/τ+} or −a_minus·(w − w_min)·e^{Δt/τ−}.
    Multiplicative,
}

/// Which spike pairs count.
#[derive(Clone, Copy, Debug, Default, Deserialize, Serialize, JsonSchema, PartialEq, Eq)]
#[serde(rename_all = "snake_case")]
pub enum Pairing {
    /// Every pre/post pair.
    #[default]
    AllToAll,
    /// Each spike pairs only with the most recent spike of the other side.
    Nearest,
}

/// Tsodyks–Markram short-term plasticity: at each presynaptic arrival, after Δ ms,
/// `R ← 1 − (1 − R(1 − u)) e^{−Δ/tau_rec}`, `u ← U + u(1 − U) e^{−Δ/tau_fac}`, and the
/// synapse delivers `w·u·R` (starting from u = 0, R = 1, so the first arrival gives w·U).
#[derive(Clone, Debug, Deserialize, Serialize, JsonSchema, PartialEq)]
#[serde(deny_unknown_fields)]
pub struct TsodyksMarkram {
    /// Utilization U, in (0, 1].
    pub u: f64,
    /// Recovery time constant \[ms\], > 0.
    pub tau_rec: f64,
    /// Facilitation time constant \[ms\], ≥ 0 (0: no facilitation).
    pub tau_fac: f64,
}

/// Connectivity rules. Synapses are generated source-major.
#[derive(Clone, Debug, Serialize, JsonSchema, PartialEq)]
#[serde(rename_all = "snake_case")]
pub enum Rule {
    /// Every source to every target.
    AllToAll,
    /// Source i to target i (equal sizes).
    OneToOne,
    /// Each pair independently with probability p.
    FixedProbability(f64),
    /// Each target gets exactly k distinct sources.
    FixedIndegree(usize),
    /// Each source gets exactly k distinct targets (extension).
    FixedOutdegree(usize),
    /// Explicit (source, target) index pairs, kept in the given order.
    Pairs(Vec<[usize; 2]>),
}

impl<'de> Deserialize<'de> for Rule {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        #[derive(Deserialize)]
        #[serde(rename_all = "snake_case", deny_unknown_fields)]
        enum Obj {
            FixedProbability(f64),
            FixedIndegree(usize),
            FixedOutdegree(usize),
            Pairs(Vec<[usize; 2]>),
        }
        struct V;
        impl<'de> Visitor<'de> for V {
            type Value = Rule;
            fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
                f.write_str(
                    "\"all_to_all\", \"one_to_one\", {\"fixed_probability\": p}, \
                     {\"fixed_indegree\": k}, {\"fixed_outdegree\": k} or {\"pairs\": [[i, j], ...]}",
                )
            }
            fn visit_str<E: de::Error>(self, v: &str) -> Result<Rule, E> {
                match v {
                    "all_to_all" => Ok(Rule::AllToAll),
                    "one_to_one" => Ok(Rule::OneToOne),
                    _ => Err(E::invalid_value(de::Unexpected::Str(v), &self)),
                }
            }
            fn visit_map<A: MapAccess<'de>>(self, map: A) -> Result<Rule, A::Error> {
                Ok(
                    match Obj::deserialize(de::value::MapAccessDeserializer::new(map))? {
                        Obj::FixedProbability(p) => Rule::FixedProbability(p),
                        Obj::FixedIndegree(k) => Rule::FixedIndegree(k),
                        Obj::FixedOutdegree(k) => Rule::FixedOutdegree(k),
                        Obj::Pairs(p) => Rule::Pairs(p),
                    },
                )
            }
        }
        d.deserialize_any(V)
    }
}

/// What to record.
#[derive(Clone, Debug, Default, Deserialize, Serialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct Record {
    /// Populations (or inputs) whose spikes go to spikes.csv (default: every neuron
    /// population).
    #[serde(default)]
    pub spikes: Option<Vec<String>>,
    /// Membrane potential probes written to voltage.csv.
    #[serde(default)]
    pub voltage: Vec<VoltageProbe>,
    /// Synaptic weight probes written to weights.csv.
    #[serde(default)]
    pub weights: Vec<WeightProbe>,
    /// State-variable probes written to state.csv (extension).
    #[serde(default)]
    pub state: Vec<StateProbe>,
}

/// A probe of a model's state variable other than through `voltage` (extension): a
/// `linear` model's variables by name; `"v"` (the membrane potential) for every model.
#[derive(Clone, Debug, Deserialize, Serialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct StateProbe {
    /// Population name.
    pub population: String,
    /// The variable's name.
    pub variable: String,
    /// Neuron indices (default: all).
    #[serde(default)]
    pub neurons: Option<Vec<usize>>,
    /// Sample every this many ms from 0.
    #[serde(default)]
    pub every: Option<f64>,
    /// Or sample at these times \[ms\].
    #[serde(default)]
    pub times: Option<Vec<f64>>,
}

/// A synaptic-weight probe.
#[derive(Clone, Debug, Deserialize, Serialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct WeightProbe {
    /// Index of the connection in `connections`.
    pub connection: usize,
    /// Synapse indices within the connection, in generation order (default: all).
    #[serde(default)]
    pub synapses: Option<Vec<usize>>,
    /// Sample every this many ms from 0.
    #[serde(default)]
    pub every: Option<f64>,
    /// Or sample at these times \[ms\].
    #[serde(default)]
    pub times: Option<Vec<f64>>,
}

/// A membrane-potential probe.
#[derive(Clone, Debug, Deserialize, Serialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct VoltageProbe {
    /// Population name.
    pub population: String,
    /// Neuron indices (default: all).
    #[serde(default)]
    pub neurons: Option<Vec<usize>>,
    /// Sample every this many ms from 0.
    #[serde(default)]
    pub every: Option<f64>,
    /// Or sample at these times \[ms\].
    #[serde(default)]
    pub times: Option<Vec<f64>>,
}
