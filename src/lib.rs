//! # exactspike
//!
//! Event-driven simulation of spiking neural networks with **exact spike times**: no time
//! step. Each neuron is advanced analytically between the events that reach it, and its
//! next threshold crossing is found exactly (and never missed) by the solver in
//! [`neuron::crossing`]. Times are in ms, potentials and synaptic weights in mV, rates in Hz.
//!
//! The nouns:
//!
//! * [`scenario`]: the description of a network (JSON or Rust), parsed and validated with
//!   path-named errors, and built into a
//! * [`network::Network`]: neuron populations ([`neuron`]), spike sources ([`input`]) and
//!   connectivity (CSR, grouped by delay), simulated by a
//! * [`simulation::Simulation`]: the event loop over an [`queue::EventQueue`], whose
//!   results ([`monitor`]) are recorded spikes, voltage and weight samples and counters;
//!   [`plasticity`] changes weights at exact spike times.
//!
//! Around them: [`sweep`] (parallel parameter sweeps), [`analysis`] (the Jeffress ITD
//! read-out) and [`plot`] (SVG/PNG pictures).
//!
//! ```text
//!   JSON ──parse──▶ Scenario ──build──▶ Network ──▶ Simulation::run ──▶ Output
//!                  (schema)     (checks, draws)     (event loop)        spikes.csv, ...
//! ```
//!
//! ## Example
//!
//! One neuron driven by a constant bias above threshold fires at the closed-form time
//! `t = tau_m ln((V_inf - V_0) / (V_inf - V_th))`:
//!
//! ```
//! use exactspike::scenario::{LifParams, Model, Population, Scenario};
//!
//! let mut params = LifParams::new(10.0, -55.0); // tau_m [ms], v_th [mV]; v_rest = -70
//! params.i_bias = Some(20.0.into());            // V relaxes to -50 mV
//! let scenario = Scenario {
//!     name: None,
//!     seed: 0,
//!     duration: 20.0,
//!     populations: vec![Population { name: "n".into(), size: 1, model: Model::Lif(params) }],
//!     inputs: vec![],
//!     connections: vec![],
//!     record: None,
//! };
//! let out = exactspike::run(&scenario).unwrap();
//! let want = 10.0 * (20.0f64 / 5.0).ln();
//! assert_eq!(out.spikes.len(), 1);
//! assert!((out.spikes[0].time - want).abs() < 1e-12);
//! ```

pub mod analysis;
pub mod error;
pub mod input;
pub mod monitor;
pub mod network;
pub mod neuron;
pub mod plasticity;
pub mod plot;
pub mod queue;
pub mod scenario;
pub mod simulation;
pub mod sweep;

pub use error::ScenarioError;
pub use network::Network;
pub use simulation::{Output, Simulation, Stats};

/// Builds and runs a scenario described in code.
pub fn run(scenario: &scenario::Scenario) -> Result<Output, ScenarioError> {
    let net = scenario::build::build(scenario, "scenario")?;
    Ok(Simulation::new(net).run())
}
