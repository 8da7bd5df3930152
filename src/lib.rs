//! # exactspike
//!
//! Event-driven simulation of spiking neural networks with **exact spike times**: no time
//! step. Each neuron is advanced analytically between the events that reach it, and its
//! next threshold crossing is found exactly (and never missed) by the solver in
//! [`neuron::crossing`]. Times are in ms, potentials and synaptic weights in mV, rates in Hz.
//!
//! The layers, each depending only on those above it (no module cycles):
//!
//! ```text
//!   description   scenario (JSON contract: serde types, parsing with paths, builder)
//!        │
//!   build         build (description → runtime, in stages: names, models, inputs,
//!        │               connections, record; checks, random draws, memory budget)
//!        ▼
//!   runtime       network, neuron, input, plasticity, queue, simulation  (ids)
//!        │
//!   records       records (Spike, VoltageSample, WeightSample, Stats, Summary)
//!        │
//!   output        output (Sink: csv, npy; OutputDir), results (reader), npy
//!        │
//!   front ends    pipeline (one run pipeline), sweep, analysis, plot, the CLI (main.rs)
//! ```
//!
//! Extension points: neuron models ([`neuron::NeuronModel`] and the registration tables in
//! `neuron.rs`, `scenario/schema.rs` and `build/models.rs`), input kinds
//! ([`build::inputs::BuildInput`]) and output formats ([`output::Sink`]); see
//! `docs/architecture.md`.
//!
//! ## Example
//!
//! One neuron driven by a constant bias above threshold fires at the closed-form time
//! `t = tau_m ln((V_inf - V_0) / (V_inf - V_th))`:
//!
//! ```
//! use exactspike::scenario::{LifParams, Scenario};
//!
//! let mut params = LifParams::new(10.0, -55.0); // tau_m \[ms\], v_th \[mV\]; v_rest = -70
//! params.i_bias = Some(20.0.into());            // V relaxes to -50 mV
//! let scenario = Scenario::builder(20.0).population("n", 1, params).finish();
//! let out = exactspike::run(&scenario).unwrap();
//! let want = 10.0 * (20.0f64 / 5.0).ln();
//! assert_eq!(out.spikes.len(), 1);
//! assert!((out.spikes[0].time - want).abs() < 1e-12);
//! ```

pub mod analysis;
pub mod build;
#[cfg(feature = "mpi")]
pub mod distributed;
pub mod error;
pub mod gradient;
pub mod ids;
pub mod input;
mod memory;
pub mod network;
pub mod neuron;
pub mod npy;
pub mod output;
pub mod parallel;
pub mod pipeline;
pub mod plasticity;
#[cfg(feature = "plot")]
pub mod plot;
mod prefetch;
pub mod queue;
pub mod records;
pub mod results;
pub mod scenario;
pub mod simulation;
pub mod sweep;
pub mod train;

pub use error::{OutputError, RunError, ScenarioError};
pub use network::Network;
pub use records::{Output, Stats, Summary};
pub use simulation::Simulation;

/// Builds and runs a scenario described in code, keeping every record in memory. For
/// long runs written to files, see [`pipeline::run_scenario`].
pub fn run(scenario: &scenario::Scenario) -> Result<Output, ScenarioError> {
    let net = build::build(scenario, "scenario")?;
    Ok(Simulation::new(net).run())
}
