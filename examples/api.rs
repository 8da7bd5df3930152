//! Example: the Rust API end to end. A network written with `Scenario::builder` (the same
//! description a JSON file gives, validated the same way), run in memory and through the
//! run pipeline into an output directory in NPY format, then read back with the results
//! reader. It checks that both paths give the same spikes and that the firing rate is the
//! closed-form one (exit code 101 otherwise).
//!
//! ```text
//!   Scenario::builder() ──▶ exactspike::run (in memory) ──▶ Output::spikes_of("cells")
//!            │
//!            └──────────▶ pipeline::run_scenario (files) ──▶ Results::open(dir).spikes_of("cells")
//! ```

use exactspike::output::Format;
use exactspike::pipeline::{run_scenario, RunOptions, Source};
use exactspike::results::Results;
use exactspike::scenario::{LifParams, Periodic, Rule, Scenario};

fn neurons_of(out: &exactspike::Output) -> Vec<u32> {
    out.spikes_of("cells").map(|(n, _)| n).unwrap_or_default()
}

fn main() -> Result<(), Box<dyn std::error::Error>> {
    // 10 neurons driven by a bias to V_inf = -50 mV (threshold -55 mV), reset to -70 mV:
    // each fires every tau_m ln((V_inf - V_reset)/(V_inf - V_th)) = 10 ln 4 ms.
    let mut lif = LifParams::new(10.0, -55.0); // tau_m [ms], v_th [mV]
    lif.i_bias = Some(20.0.into()); // [mV]
    let sc = Scenario::builder(200.0) // duration [ms]
        .name("api-example")
        .population("cells", 10, lif)
        .input("clock", Periodic::new(1, 50.0)) // one source, every 50 ms
        .connect("clock", "cells", Rule::AllToAll, 0.5, 1.0) // weight [mV], delay [ms]
        .record_voltage("cells", 1.0)
        .finish();

    let in_memory = exactspike::run(&sc)?;
    let (neurons, times) = in_memory.spikes_of("cells").expect("population exists");
    println!("{} spikes in memory", times.len());

    let dir = std::env::temp_dir().join(format!("exactspike-api-{}", std::process::id()));
    let opts = RunOptions {
        format: Format::Npy,
        ..RunOptions::default()
    };
    let summary = run_scenario(Source::Scenario(&sc), &dir, &opts, &mut |_| {})?;
    let results = Results::open(&dir)?;
    let (file_neurons, file_times) = results.spikes_of("cells")?;
    println!(
        "{} spikes written to {} ({} Hz per cell)",
        summary.spikes,
        dir.display(),
        summary.population("cells").map_or(0.0, |p| p.rate_hz)
    );
    assert_eq!((neurons, times.clone()), (file_neurons, file_times));

    // between kicks (they arrive at 1, 51, 101, 151 ms) neuron 0 fires exactly every
    // 10 ln 4 ms
    let period = 10.0 * 4f64.ln();
    let t0: Vec<f64> = times
        .iter()
        .zip(&neurons_of(&in_memory))
        .filter(|(_, &n)| n == 0)
        .map(|(t, _)| *t)
        .collect();
    let mut checked = 0;
    for w in t0.windows(2) {
        let kicked = [1.0, 51.0, 101.0, 151.0]
            .iter()
            .any(|&k| w[0] < k && k <= w[1]);
        if !kicked {
            assert!(
                (w[1] - w[0] - period).abs() < 1e-12,
                "{} vs {period}",
                w[1] - w[0]
            );
            checked += 1;
        }
    }
    assert!(checked >= 5, "{checked} intervals checked");
    println!("{checked} inter-spike intervals equal 10 ln 4 ms to 1e-12 ms");
    std::fs::remove_dir_all(&dir)?;
    Ok(())
}
