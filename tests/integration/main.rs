//! One integration-test binary (faster to build and link than one per file).

mod analytic;
mod cli;
mod currents;
mod determinism;
mod errors;
mod fuzz;
mod fuzz_cli;
mod gradient;
mod jeffress;
mod models;
#[cfg(feature = "mpi")]
mod mpi;
mod plasticity;
mod properties;
mod redesign;
mod refs;
mod reliability;
mod threads;
mod util;
