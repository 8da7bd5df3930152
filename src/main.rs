//! The `exactspike` command line: a thin layer over the library. It parses arguments,
//! loads a scenario, runs it, writes the results and maps errors to exit codes
//! (0 success, 2 bad input or unwritable output).

use clap::{Parser, Subcommand};
use exactspike::monitor;
use exactspike::scenario;
use exactspike::simulation::Simulation;
use std::path::PathBuf;
use std::process::ExitCode;
use std::time::Instant;

#[derive(Parser)]
#[command(
    name = "exactspike",
    version,
    about = "Event-driven spiking network simulator with exact spike times"
)]
struct Cli {
    /// More log output (-v info, -vv debug); RUST_LOG overrides.
    #[arg(short, long, action = clap::ArgAction::Count, global = true)]
    verbose: u8,
    /// No progress or log output on stderr.
    #[arg(short, long, global = true)]
    quiet: bool,
    #[command(subcommand)]
    command: Command,
}

#[derive(Subcommand)]
enum Command {
    /// Simulate a scenario; writes DIR/spikes.csv, DIR/summary.json (+ DIR/voltage.csv).
    Run {
        /// Scenario file (JSON, see docs/scenario-format.md).
        scenario: PathBuf,
        /// Output directory (created if missing).
        #[arg(long)]
        out: PathBuf,
    },
    /// Check a scenario without simulating: exit 0 and a one-line summary, or an error.
    Validate {
        /// Scenario file.
        scenario: PathBuf,
    },
    /// Print the JSON Schema of the scenario format.
    Schema,
}

fn main() -> ExitCode {
    let cli = match Cli::try_parse() {
        Ok(c) => c,
        Err(e) => {
            let code = if e.use_stderr() { 2 } else { 0 };
            let _ = e.print();
            return ExitCode::from(code);
        }
    };
    init_logging(cli.verbose, cli.quiet);
    match run(cli.command) {
        Ok(()) => ExitCode::SUCCESS,
        Err(msg) => {
            eprintln!("error: {msg}");
            ExitCode::from(2)
        }
    }
}

fn init_logging(verbose: u8, quiet: bool) {
    use tracing_subscriber::EnvFilter;
    let level = match (quiet, verbose) {
        (true, _) => "error",
        (_, 0) => "warn",
        (_, 1) => "info",
        _ => "debug",
    };
    let filter = EnvFilter::try_from_default_env()
        .unwrap_or_else(|_| EnvFilter::new(format!("exactspike={level}")));
    let _ = tracing_subscriber::fmt()
        .with_env_filter(filter)
        .with_writer(std::io::stderr)
        .try_init();
}

fn run(cmd: Command) -> Result<(), String> {
    match cmd {
        Command::Schema => {
            let s = serde_json::to_string_pretty(&scenario::json_schema())
                .map_err(|e| e.to_string())?;
            println!("{s}");
            Ok(())
        }
        Command::Validate { scenario: path } => {
            let (_, net) = scenario::load(&path).map_err(|e| e.to_string())?;
            println!(
                "{}: valid: {} population(s), {} neuron(s), {} input(s), {} source(s), {} synapse(s), duration {} ms",
                path.display(),
                net.populations.len(),
                net.n_neurons(),
                net.inputs.len(),
                net.n_sources(),
                net.connectivity.len(),
                net.duration
            );
            Ok(())
        }
        Command::Run {
            scenario: path,
            out,
        } => {
            let t0 = Instant::now();
            let (_, net) = scenario::load(&path).map_err(|e| e.to_string())?;
            let build_seconds = t0.elapsed().as_secs_f64();
            // Create the output directory only once the scenario is known to be valid.
            std::fs::create_dir_all(&out)
                .map_err(|e| format!("--out {}: cannot create directory: {e}", out.display()))?;
            tracing::info!(
                neurons = net.n_neurons(),
                synapses = net.connectivity.len(),
                build_seconds,
                "network built"
            );
            let mut sim = Simulation::new(net);
            sim.run_until(f64::INFINITY);
            let (net, output) = sim.finish();
            monitor::write_outputs(&out, &net, &output, build_seconds)
                .map_err(|e| e.to_string())?;
            let st = &output.stats;
            tracing::info!(
                events = st.events,
                spikes = output.spikes.len(),
                seconds = st.simulate_seconds,
                "done"
            );
            Ok(())
        }
    }
}
