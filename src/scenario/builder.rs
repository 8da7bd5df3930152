//! Scenarios written in code: [`ScenarioBuilder`] assembles the same [`Scenario`] a JSON
//! file describes, with the same defaults; building it (`exactspike::run`,
//! [`crate::build::build`]) applies the same validation, with the same path-named errors.
//!
//! ```
//! use exactspike::scenario::{LifParams, Periodic, Rule, Scenario};
//!
//! let mut lif = LifParams::new(10.0, -55.0); // tau_m \[ms\], v_th \[mV\]
//! lif.i_bias = Some(10.0.into());
//! let sc = Scenario::builder(100.0)          // duration \[ms\]
//!     .seed(1)
//!     .population("cells", 10, lif)
//!     .input("clock", Periodic::new(1, 5.0))  // one source, every 5 ms
//!     .connect("clock", "cells", Rule::AllToAll, 6.0, 1.0) // weight \[mV\], delay \[ms\]
//!     .record_voltage("cells", 0.5)
//!     .finish();
//! let run = exactspike::run(&sc).unwrap();
//! let (neurons, times) = run.spikes_of("cells").unwrap();
//! assert_eq!(neurons.len(), times.len());
//! assert!(!times.is_empty());
//! ```

use super::schema::*;

/// Assembles a [`Scenario`] step by step; see the module documentation.
#[derive(Clone, Debug)]
pub struct ScenarioBuilder {
    sc: Scenario,
}

impl Scenario {
    /// A builder for a scenario simulating `[0, duration)` ms.
    pub fn builder(duration: f64) -> ScenarioBuilder {
        ScenarioBuilder {
            sc: Scenario {
                name: None,
                seed: 0,
                duration,
                populations: vec![],
                inputs: vec![],
                connections: vec![],
                currents: vec![],
                record: None,
            },
        }
    }
}

impl ScenarioBuilder {
    /// Sets the name echoed in the summary.
    pub fn name(mut self, name: &str) -> Self {
        self.sc.name = Some(name.to_string());
        self
    }

    /// Sets the seed of every random choice (default 0).
    pub fn seed(mut self, seed: u64) -> Self {
        self.sc.seed = seed;
        self
    }

    /// Adds a population of `size` neurons of `model` (e.g. [`LifParams`]).
    pub fn population(mut self, name: &str, size: usize, model: impl Into<Model>) -> Self {
        self.sc.populations.push(Population {
            name: name.to_string(),
            size,
            model: model.into(),
        });
        self
    }

    /// Adds an input (e.g. [`Poisson`], [`Periodic`], [`SpikeTimes`], [`PhaseLocked`]).
    pub fn input(mut self, name: &str, kind: impl Into<InputKind>) -> Self {
        self.sc.inputs.push(Input {
            name: name.to_string(),
            kind: kind.into(),
        });
        self
    }

    /// Connects `from` (a population or input) to population `to` with `rule`, weights
    /// \[mV\] and delays \[ms\] (numbers, per-synapse lists or distributions), on receptor 0.
    pub fn connect(
        self,
        from: &str,
        to: &str,
        rule: Rule,
        weight: impl Into<ParamValue>,
        delay: impl Into<ParamValue>,
    ) -> Self {
        self.connection(Connection::new(from, to, rule, weight, delay))
    }

    /// Adds a fully specified connection (receptor, autapses, plasticity).
    pub fn connection(mut self, c: Connection) -> Self {
        self.sc.connections.push(c);
        self
    }

    /// Injects into every neuron of `to` a current that is `amplitudes[k]` \[mV\] (`R·I`)
    /// from `times[k]` \[ms\] on, and 0 before the first time.
    pub fn current(mut self, to: &str, times: &[f64], amplitudes: &[f64]) -> Self {
        self.sc.currents.push(Current {
            to: to.to_string(),
            neurons: None,
            times: Some(times.to_vec()),
            amplitudes: Some(amplitudes.to_vec()),
            sine: None,
        });
        self
    }

    /// Injects into every neuron of `to` a sinusoidal current
    /// `amplitude · sin(2π · frequency · (t − start))` \[mV, Hz, ms\] from `start` on
    /// (phase, offset and stop: build a [`SineCurrent`] and push a [`Current`] yourself).
    pub fn sine_current(mut self, to: &str, amplitude: f64, frequency: f64, start: f64) -> Self {
        self.sc.currents.push(Current {
            to: to.to_string(),
            neurons: None,
            times: None,
            amplitudes: None,
            sine: Some(SineCurrent {
                amplitude,
                frequency,
                phase: 0.0,
                offset: 0.0,
                start,
                stop: None,
            }),
        });
        self
    }

    /// Records the spikes of these populations and inputs only (default: every neuron
    /// population).
    pub fn record_spikes(mut self, names: &[&str]) -> Self {
        let r = self.sc.record.get_or_insert_with(Record::default);
        r.spikes = Some(names.iter().map(|n| n.to_string()).collect());
        self
    }

    /// Samples the membrane potential of every neuron of `population` every `every` ms.
    pub fn record_voltage(mut self, population: &str, every: f64) -> Self {
        let r = self.sc.record.get_or_insert_with(Record::default);
        r.voltage.push(VoltageProbe {
            population: population.to_string(),
            neurons: None,
            every: Some(every),
            times: None,
        });
        self
    }

    /// The scenario.
    pub fn finish(self) -> Scenario {
        self.sc
    }
}

impl Connection {
    /// A static connection on receptor 0 without autapses.
    pub fn new(
        from: &str,
        to: &str,
        rule: Rule,
        weight: impl Into<ParamValue>,
        delay: impl Into<ParamValue>,
    ) -> Self {
        Connection {
            from: from.to_string(),
            to: to.to_string(),
            rule,
            weight: weight.into(),
            delay: delay.into(),
            receptor: 0,
            autapses: false,
            plasticity: None,
        }
    }
}

impl Periodic {
    /// `size` sources firing every `period` ms from t = 0, without jitter.
    pub fn new(size: usize, period: f64) -> Self {
        Periodic {
            size,
            period,
            phase: None,
            jitter: None,
        }
    }
}

impl Poisson {
    /// `size` independent Poisson sources at `rate` Hz for the whole run.
    pub fn new(size: usize, rate: f64) -> Self {
        Poisson {
            size,
            rate: Rate::Constant(rate),
            start: None,
            stop: None,
        }
    }

    /// One Poisson source per rate, source `i` at `rates[i]` Hz for the whole run.
    pub fn per_source(rates: Vec<f64>) -> Self {
        Poisson {
            size: rates.len(),
            rate: Rate::PerSource(rates),
            start: None,
            stop: None,
        }
    }
}

macro_rules! into_variant {
    ($enum:ident: $($variant:ident($ty:ty)),+) => {
        $(impl From<$ty> for $enum {
            fn from(v: $ty) -> Self {
                $enum::$variant(v)
            }
        })+
    };
}

into_variant!(Model: Lif(LifParams), Qif(QifParams), Linear(LinearParams));
into_variant!(
    InputKind: SpikeTimes(SpikeTimes),
    Poisson(Poisson),
    Periodic(Periodic),
    PhaseLocked(PhaseLocked)
);
