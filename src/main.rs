//! The `exactspike` command line: a thin layer over the library. It parses arguments,
//! loads a scenario, runs it, writes the results and maps errors to exit codes
//! (0 success, 2 bad input or unwritable output).

use clap::{Parser, Subcommand};
use exactspike::scenario;
use exactspike::simulation::{Guards, Simulation, Stop};
use exactspike::{analysis, monitor, sweep};
use std::path::PathBuf;
use std::process::ExitCode;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Arc;
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
    /// Refuse scenarios estimated to need more memory than this (bytes, or with a K/M/G
    /// suffix, e.g. 4G). Default: half of the physical memory.
    #[arg(long, global = true, value_parser = parse_size)]
    max_memory: Option<u64>,
    /// Emulate a clock-driven simulator: round every input spike time to a multiple of DT
    /// ms (for comparisons with the exact result).
    #[arg(long, global = true, value_name = "DT")]
    grid_dt: Option<f64>,
    /// With --grid-dt, also round synaptic delays to the grid.
    #[arg(long, global = true, requires = "grid_dt")]
    grid_delays: bool,
    #[command(subcommand)]
    command: Command,
}

#[derive(Subcommand)]
enum Command {
    /// Simulate a scenario; writes DIR/spikes.csv, DIR/summary.json (+ DIR/voltage.csv).
    /// Exit 0 when complete, 2 on bad input, 3 when stopped early (--max-events,
    /// --max-wall or Ctrl-C: what was simulated is written, summary says "complete": false).
    Run {
        /// Scenario file (JSON, see docs/scenario-format.md).
        scenario: PathBuf,
        /// Output directory (created if missing).
        #[arg(long)]
        out: PathBuf,
        /// Stop cleanly after this many synaptic events.
        #[arg(long)]
        max_events: Option<u64>,
        /// Stop cleanly after this many seconds of wall-clock time.
        #[arg(long, value_name = "SECONDS")]
        max_wall: Option<f64>,
    },
    /// Check a scenario without simulating: exit 0 and a one-line summary, or an error.
    Validate {
        /// Scenario file.
        scenario: PathBuf,
    },
    /// Print the JSON Schema of the scenario format.
    Schema,
    /// Run a scenario for every combination of values of some fields, in parallel; writes
    /// DIR/point-NNNN/ per point and DIR/sweep.csv.
    Sweep {
        /// Scenario file.
        scenario: PathBuf,
        /// POINTER=VALUES: a JSON pointer and a comma list or start:stop:step range, e.g.
        /// --set /inputs/1/delay=-0.3:0.3:0.01 (repeat for a grid).
        #[arg(long = "set", required = true)]
        set: Vec<String>,
        /// Output directory.
        #[arg(long)]
        out: PathBuf,
        /// Parallel runs (default: number of cores).
        #[arg(long)]
        jobs: Option<usize>,
        /// Give point k the seed `seed + k` (independent replicates instead of common
        /// random numbers).
        #[arg(long)]
        vary_seed: bool,
    },
    /// Render pictures of a run or sweep directory to SVG and PNG: spike raster, voltage
    /// traces, and the ITD tuning curve of a read-out sweep.
    Plot {
        /// Output directories of `run`, or of `sweep` after `jeffress-readout`.
        #[arg(required = true)]
        dirs: Vec<PathBuf>,
        /// Also draw the read-out errors of all given sweeps in one figure
        /// (tuning-compare.svg/png) into this directory.
        #[arg(long)]
        compare: Option<PathBuf>,
    },
    /// Estimate the interaural time difference from a Jeffress run (or every point of a
    /// sweep): thresholded spike-count centroid over the detectors' best ITDs.
    JeffressReadout {
        /// Output directory of `run` or `sweep`.
        dir: PathBuf,
        /// Detector population.
        #[arg(long, default_value = "detectors")]
        detectors: String,
        /// Left-ear input.
        #[arg(long, default_value = "left")]
        left: String,
        /// Right-ear input.
        #[arg(long, default_value = "right")]
        right: String,
        /// Threshold as a fraction of the largest count.
        #[arg(long, default_value_t = 0.3)]
        frac: f64,
    },
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
    let mut limits = scenario::build::BuildOptions::default();
    if let Some(m) = cli.max_memory {
        limits.max_memory = m;
    }
    limits.input_grid = cli.grid_dt;
    limits.grid_delays = cli.grid_delays;
    match run(cli.command, cli.quiet, &limits) {
        Ok(()) if STOPPED_EARLY.load(std::sync::atomic::Ordering::Relaxed) => ExitCode::from(3),
        Ok(()) => ExitCode::SUCCESS,
        Err(msg) => {
            eprintln!("error: {msg}");
            ExitCode::from(2)
        }
    }
}

/// Set when a run stopped early (guard or Ctrl-C): its results are written and marked
/// incomplete, and the exit status is 3.
static STOPPED_EARLY: std::sync::atomic::AtomicBool = std::sync::atomic::AtomicBool::new(false);

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

fn run(cmd: Command, quiet: bool, limits: &scenario::build::BuildOptions) -> Result<(), String> {
    match cmd {
        Command::Schema => {
            let s = serde_json::to_string_pretty(&scenario::json_schema())
                .map_err(|e| e.to_string())?;
            println!("{s}");
            Ok(())
        }
        Command::Validate { scenario: path } => {
            let (_, net) = scenario::load_with(&path, limits).map_err(|e| e.to_string())?;
            print_stdout(&format!(
                "{}: valid: {} population(s), {} neuron(s), {} input(s), {} source(s), {} synapse(s), duration {} ms",
                path.display(),
                net.populations.len(),
                net.n_neurons(),
                net.inputs.len(),
                net.n_sources(),
                net.connectivity.len(),
                net.duration
            ))
        }
        Command::Plot { dirs, compare } => {
            let mut files = vec![];
            for dir in &dirs {
                files.extend(exactspike::plot::plot_dir(dir)?);
            }
            if let Some(out) = compare {
                std::fs::create_dir_all(&out)
                    .map_err(|e| format!("--compare {}: {e}", out.display()))?;
                files.extend(exactspike::plot::plot_compare(&dirs, &out)?);
            }
            for f in files {
                print_stdout(&f.display().to_string())?;
            }
            Ok(())
        }
        Command::Sweep {
            scenario: path,
            set,
            out,
            jobs,
            vary_seed,
        } => {
            let axes = set
                .iter()
                .map(|s| sweep::parse_axis(s))
                .collect::<Result<Vec<_>, _>>()?;
            if let Some(j) = jobs {
                rayon::ThreadPoolBuilder::new()
                    .num_threads(j.max(1))
                    .build_global()
                    .map_err(|e| e.to_string())?;
            }
            let t0 = Instant::now();
            let results = sweep::run(&path, &axes, &out, limits, vary_seed)?;
            if !quiet {
                eprintln!(
                    "{} point(s) in {:.1} s; table in {}",
                    results.len(),
                    t0.elapsed().as_secs_f64(),
                    out.join("sweep.csv").display()
                );
            }
            Ok(())
        }
        Command::JeffressReadout {
            dir,
            detectors,
            left,
            right,
            frac,
        } => {
            let names = analysis::JeffressNames {
                detectors,
                left,
                right,
            };
            // Best ITDs are the designed (unrounded) ones, whatever grid the runs emulated.
            let nominal = scenario::build::BuildOptions {
                input_grid: None,
                grid_delays: false,
                ..*limits
            };
            jeffress_readout(&dir, &names, frac, &nominal)
        }
        Command::Run {
            scenario: path,
            out,
            max_events,
            max_wall,
        } => {
            let t0 = Instant::now();
            let (_, net) = scenario::load_with(&path, limits).map_err(|e| e.to_string())?;
            let build_seconds = t0.elapsed().as_secs_f64();
            if let Some(w) = max_wall {
                if !(w.is_finite() && w > 0.0) {
                    return Err(format!(
                        "--max-wall: must be a number of seconds > 0, got {w}"
                    ));
                }
            }
            let scenario_text =
                std::fs::read(&path).map_err(|e| format!("cannot read {}: {e}", path.display()))?;
            tracing::info!(
                neurons = net.n_neurons(),
                synapses = net.connectivity.len(),
                build_seconds,
                "network built"
            );
            // Create the output directory only once the scenario is known to be valid.
            let mut writer = monitor::Writer::create(&out, &net)
                .map_err(|e| format!("--out {}: {e}", out.display()))?;
            let interrupt = Arc::new(AtomicBool::new(false));
            {
                let flag = interrupt.clone();
                // Ctrl-C stops between instants; results so far are flushed and marked
                // incomplete. (Failure to install the handler only loses that nicety.)
                let _ = ctrlc::set_handler(move || flag.store(true, Ordering::Relaxed));
            }
            let duration = net.duration;
            let mut sim = Simulation::new(net);
            sim.set_guards(Guards {
                max_events,
                deadline: max_wall.map(|w| Instant::now() + std::time::Duration::from_secs_f64(w)),
                interrupt: Some(interrupt),
            });
            let stop = run_with_progress(&mut sim, duration, quiet, &mut writer)?;
            let simulated_until = sim.now();
            let (net, output) = sim.finish();
            writer
                .append(&net, &output.spikes, &output.voltages, &output.weights)
                .map_err(|e| e.to_string())?;
            let summary = writer
                .finish(
                    &net,
                    &output.stats,
                    build_seconds,
                    monitor::Ending {
                        stop,
                        simulated_until,
                    },
                )
                .map_err(|e| e.to_string())?;
            // Keep the input beside the results (provenance; read by jeffress-readout).
            monitor::write_file(&out, "scenario.json", &scenario_text)
                .map_err(|e| e.to_string())?;
            tracing::info!(
                events = output.stats.events,
                spikes = summary["spikes"].as_u64().unwrap_or(0),
                seconds = output.stats.simulate_seconds,
                "done"
            );
            if let Some(reason) = stop {
                STOPPED_EARLY.store(true, Ordering::Relaxed);
                eprintln!(
                    "stopped early ({reason}) at t = {simulated_until} ms of {duration} ms; \
                     results so far are in {} and summary.json says \"complete\": false",
                    out.display()
                );
            }
            Ok(())
        }
    }
}

/// Runs in slices of simulated time, streaming each slice's results to `writer` and
/// drawing a progress bar on stderr once the run has taken more than a second (if stderr is
/// a terminal and `--quiet` is not given). Returns why the run stopped early, if it did.
fn run_with_progress(
    sim: &mut Simulation,
    duration: f64,
    quiet: bool,
    writer: &mut monitor::Writer,
) -> Result<Option<Stop>, String> {
    use indicatif::{ProgressBar, ProgressDrawTarget, ProgressStyle};
    use std::io::IsTerminal;
    let show = !quiet && std::io::stderr().is_terminal();
    let steps = 1000u64;
    let started = Instant::now();
    let mut bar: Option<ProgressBar> = None;
    let mut stop = None;
    for k in 1..=steps {
        let result = sim.run_until(duration * k as f64 / steps as f64);
        let (spikes, samples, weights) = sim.drain();
        writer
            .append(sim.network(), &spikes, &samples, &weights)
            .map_err(|e| e.to_string())?;
        if let Err(s) = result {
            stop = Some(s);
            break;
        }
        if show && bar.is_none() && started.elapsed().as_secs_f64() > 1.0 {
            let b = ProgressBar::with_draw_target(Some(steps), ProgressDrawTarget::stderr());
            b.set_style(
                ProgressStyle::with_template(
                    "{elapsed_precise} [{bar:40}] {percent:>3}% {msg} (eta {eta})",
                )
                .expect("valid template")
                .progress_chars("=> "),
            );
            bar = Some(b);
        }
        if let Some(b) = &bar {
            b.set_position(k);
            b.set_message(format!("t = {:.1} ms", sim.now()));
        }
    }
    if let Some(b) = bar {
        b.finish_and_clear();
    }
    Ok(stop)
}

/// Parses a byte count with an optional K, M or G suffix (powers of 1024).
fn parse_size(text: &str) -> Result<u64, String> {
    let t = text.trim();
    let (num, mult) = match t.char_indices().last() {
        Some((i, c)) if c.is_ascii_alphabetic() => {
            let m: u64 = match c.to_ascii_uppercase() {
                'K' => 1 << 10,
                'M' => 1 << 20,
                'G' => 1 << 30,
                'T' => 1 << 40,
                _ => return Err(format!("unknown size suffix {c:?} (use K, M, G or T)")),
            };
            (&t[..i], m)
        }
        _ => (t, 1),
    };
    let v: f64 = num
        .trim()
        .parse()
        .map_err(|_| format!("not a size: {text:?}"))?;
    if !(v.is_finite() && v > 0.0) {
        return Err(format!("must be > 0, got {text:?}"));
    }
    Ok((v * mult as f64) as u64)
}

/// Prints a line to stdout; a closed pipe (`exactspike schema | head`) is not an error.
fn print_stdout(text: &str) -> Result<(), String> {
    use std::io::Write;
    let mut out = std::io::stdout().lock();
    match writeln!(out, "{text}").and_then(|_| out.flush()) {
        Err(e) if e.kind() != std::io::ErrorKind::BrokenPipe => {
            Err(format!("cannot write to stdout: {e}"))
        }
        _ => Ok(()),
    }
}

/// Prints the ITD estimate of one run directory, or a table for a sweep directory (also
/// written to DIR/readout.csv).
fn jeffress_readout(
    dir: &std::path::Path,
    names: &analysis::JeffressNames,
    frac: f64,
    limits: &scenario::build::BuildOptions,
) -> Result<(), String> {
    let one = |d: &std::path::Path| -> Result<(Option<f64>, u64, usize), String> {
        let (_, net) =
            scenario::load_with(&d.join("scenario.json"), limits).map_err(|e| e.to_string())?;
        let itds = analysis::best_itds(&net, names)?;
        let mut counts = vec![0u64; itds.len()];
        let text = std::fs::read_to_string(d.join("spikes.csv"))
            .map_err(|e| format!("{}: {e}", d.join("spikes.csv").display()))?;
        for line in text.lines().skip(1) {
            let mut f = line.split(',');
            if f.next() == Some(names.detectors.as_str()) {
                if let Some(j) = f.next().and_then(|x| x.parse::<usize>().ok()) {
                    if j < counts.len() {
                        counts[j] += 1;
                    }
                }
            }
        }
        let total = counts.iter().sum();
        Ok((
            analysis::itd_estimate(&counts, &itds, frac),
            total,
            counts.len(),
        ))
    };
    let fmt = |e: Option<f64>| e.map_or("none".to_string(), |v| format!("{v:.6}"));
    let sweep_csv = dir.join("sweep.csv");
    if sweep_csv.exists() {
        let text = std::fs::read_to_string(&sweep_csv).map_err(|e| e.to_string())?;
        let mut lines = text.lines();
        let header: Vec<&str> = lines.next().unwrap_or("").split(',').collect();
        let n_axes = header
            .iter()
            .position(|h| *h == "spikes")
            .unwrap_or(1)
            .saturating_sub(1);
        let mut table = format!(
            "point,{},estimated_itd_ms,detector_spikes\n",
            header[1..=n_axes].join(",")
        );
        for line in lines {
            let f: Vec<&str> = line.split(',').collect();
            let d = dir.join(f.last().copied().unwrap_or_default());
            let (e, total, _) = one(&d)?;
            table.push_str(&format!(
                "{},{},{},{}\n",
                f[0],
                f[1..=n_axes].join(","),
                fmt(e),
                total
            ));
        }
        monitor::write_file(dir, "readout.csv", table.as_bytes()).map_err(|e| e.to_string())?;
        print_stdout(table.trim_end())
    } else {
        let (e, total, n) = one(dir)?;
        print_stdout(&match e {
            Some(v) => format!(
                "estimated ITD: {:.2} us ({v:.6} ms) from {total} spikes of {n} detectors",
                v * 1000.0
            ),
            None => format!("estimated ITD: none (no spikes among {n} detectors)"),
        })
    }
}
