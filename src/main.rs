//! The `exactspike` command line: a thin layer over the library. It parses and checks
//! arguments (before touching any file), calls the library, reports, and maps the outcome
//! to an exit status: 0 complete, 2 bad input or unwritable output, 3 stopped early
//! (`--max-events`, `--max-wall`, SIGINT, SIGTERM or SIGHUP; results so far are kept and
//! marked incomplete).

#[path = "cli/args.rs"]
mod args;
#[path = "cli/learn.rs"]
mod learn;

use args::{parse_format, parse_frac, parse_grid_dt, parse_seconds, parse_size};

use clap::{Parser, Subcommand};
use exactspike::analysis::{self, JeffressNames};
use exactspike::build::BuildOptions;
use exactspike::output::Format;
use exactspike::pipeline::{self, Progress, RunOptions, Source};
use exactspike::records::{StopFlag, Summary};
use exactspike::{sweep, RunError};
use std::io::IsTerminal;
use std::path::{Path, PathBuf};
use std::process::ExitCode;
use std::time::{Duration, Instant};

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
    /// No progress, summary or log output on stderr (errors are still printed).
    #[arg(short, long, global = true)]
    quiet: bool,
    /// Refuse scenarios estimated to need more memory than this: bytes, or with a suffix
    /// K, M, G, T (KiB, MiB, GiB, TiB; "GB", "GiB" and "G" all mean GiB), at least 1M.
    /// Default: half of the physical memory.
    #[arg(long, global = true, value_parser = parse_size)]
    max_memory: Option<u64>,
    /// Emulate a clock-driven simulator: round every input spike time to a multiple of DT
    /// ms, 1e-12 to 1e12 (for comparisons with the exact result).
    #[arg(long, global = true, value_name = "DT", value_parser = parse_grid_dt)]
    grid_dt: Option<f64>,
    /// With --grid-dt, also round synaptic delays to the grid.
    #[arg(long, global = true, requires = "grid_dt")]
    grid_delays: bool,
    #[command(subcommand)]
    command: Command,
}

/// Options of a simulation run (also used by every sweep point).
#[derive(clap::Args, Clone)]
struct RunArgs {
    /// Stop cleanly after this many events (synaptic deliveries plus spikes).
    #[arg(long, value_parser = clap::value_parser!(u64).range(1..))]
    max_events: Option<u64>,
    /// Stop cleanly after this many seconds of wall-clock time.
    #[arg(long, value_name = "SECONDS", value_parser = parse_seconds)]
    max_wall: Option<Duration>,
    /// Format of the record files: csv (spikes.csv, ...) or npy (spikes.npy, ...: NumPy
    /// structured arrays).
    #[arg(long, default_value = "csv", value_parser = parse_format)]
    format: Format,
    /// Threads simulating the network (0: one per core). The results are identical, bit for
    /// bit, for any number.
    #[arg(long, default_value_t = 1, value_parser = clap::value_parser!(u16).range(0..=pipeline::MAX_THREADS as i64))]
    threads: u16,
}

#[derive(Subcommand)]
enum Command {
    /// Simulate a scenario; writes DIR/spikes.csv, DIR/summary.json, DIR/scenario.json
    /// (+ voltage.csv, weights.csv; or .npy with --format npy). Exit 0 when complete, 2 on
    /// bad input, 3 when stopped early (--max-events, --max-wall, Ctrl-C, SIGTERM, SIGHUP:
    /// what was simulated is written, summary says "complete": false).
    Run {
        /// Scenario file (JSON, see docs/scenario-format.md); `-` or /dev/stdin reads stdin.
        scenario: PathBuf,
        /// Output directory (created if missing; see docs/reliability.md for what is
        /// replaced in it).
        #[arg(long)]
        out: PathBuf,
        #[command(flatten)]
        run: RunArgs,
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
        /// POINTER=VALUES: a JSON pointer and a start:stop:step range, a JSON list or a
        /// comma list, e.g. --set /inputs/1/delay=-0.3:0.3:0.01 (repeat for a grid).
        #[arg(long = "set", required = true)]
        set: Vec<String>,
        /// Output directory.
        #[arg(long)]
        out: PathBuf,
        /// Parallel runs (default: number of cores).
        #[arg(long, value_parser = clap::value_parser!(u16).range(1..))]
        jobs: Option<u16>,
        /// Give point k the seed `seed + k` (independent replicates instead of common
        /// random numbers).
        #[arg(long)]
        vary_seed: bool,
        #[command(flatten)]
        run: RunArgs,
    },
    /// Render pictures of a run or sweep directory to SVG and PNG: spike raster, voltage
    /// traces, weights, and the ITD tuning curve of a read-out sweep.
    Plot {
        /// Output directories of `run`, or of `sweep` after `jeffress-readout`.
        #[arg(required = true)]
        dirs: Vec<PathBuf>,
        /// Also draw the read-out errors of all given sweeps in one figure
        /// (tuning-compare.svg/png) into this directory.
        #[arg(long)]
        compare: Option<PathBuf>,
    },
    /// Exact gradient of a loss on spike times with respect to every weight, delay, tau_m,
    /// receptor tau, v_th, i_bias and adaptation tau and increment (adjoint through the exact
    /// spikes; docs/gradients.md). Writes DIR/gradients.json. Models: lif (with adaptation
    /// and threshold adaptation) and linear, static synapses.
    Gradient {
        /// Scenario file.
        scenario: PathBuf,
        /// Loss file: {"kind": "spike_times", "population": P, "targets": [[t, ...], ...]}
        /// or {"kind": "first_spike_ce", "population": P, "label": K, "tau0": T}.
        #[arg(long)]
        loss: PathBuf,
        /// Output directory.
        #[arg(long)]
        out: PathBuf,
    },
    /// Supervised training with exact gradients and Adam (docs/gradients.md): writes
    /// DIR/metrics.json (loss and accuracies per epoch) and DIR/trained.json (the network
    /// with the learned parameters) after every epoch. Exit 3 when stopped early.
    Train {
        /// Training configuration (JSON; e.g. examples/yinyang.json).
        config: PathBuf,
        /// Output directory.
        #[arg(long)]
        out: PathBuf,
        /// Override the configuration's number of epochs.
        #[arg(long, value_parser = clap::value_parser!(u32).range(1..))]
        epochs: Option<u32>,
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
        /// Threshold as a fraction of the largest count, in [0, 1).
        #[arg(long, default_value_t = 0.3, value_parser = parse_frac)]
        frac: f64,
    },
}

/// How a command ended, when it did not fail.
enum Outcome {
    Done,
    Stopped,
}

/// The MPI world when launched by `mpirun` with more than one process (feature `mpi`).
#[cfg(feature = "mpi")]
type World = Option<mpi::topology::SimpleCommunicator>;
#[cfg(not(feature = "mpi"))]
type World = Option<()>;

fn main() -> ExitCode {
    // MPI first (it may rewrite the environment); dropped, so finalized, when main returns
    #[cfg(feature = "mpi")]
    let universe = mpi::initialize();
    #[cfg(feature = "mpi")]
    let world: World = universe.as_ref().and_then(|u| {
        use mpi::traits::Communicator;
        let w = u.world();
        (w.size() > 1).then_some(w)
    });
    #[cfg(not(feature = "mpi"))]
    let world: World = None;
    let cli = match Cli::try_parse() {
        Ok(c) => c,
        Err(e) => {
            let code = if e.use_stderr() { 2 } else { 0 };
            let _ = e.print();
            return ExitCode::from(code);
        }
    };
    init_logging(cli.verbose, cli.quiet);
    let mut limits = BuildOptions::default();
    if let Some(m) = cli.max_memory {
        limits.max_memory = m;
    }
    limits.input_grid = cli.grid_dt;
    limits.grid_delays = cli.grid_delays;
    match dispatch(cli.command, cli.quiet, &limits, world) {
        Ok(Outcome::Done) => ExitCode::SUCCESS,
        Ok(Outcome::Stopped) => ExitCode::from(3),
        Err(e) => {
            eprintln!("error: {e}");
            ExitCode::from(e.exit_code())
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
        .with_ansi(std::io::stderr().is_terminal())
        .try_init();
}

fn dispatch(
    cmd: Command,
    quiet: bool,
    limits: &BuildOptions,
    world: World,
) -> Result<Outcome, RunError> {
    if world.is_some() && !matches!(cmd, Command::Run { .. }) {
        return Err(RunError::Option(
            "under mpirun only `run` is distributed; run the other commands in one process".into(),
        ));
    }
    match cmd {
        Command::Schema => {
            let s = serde_json::to_string_pretty(&exactspike::scenario::json_schema())
                .map_err(|e| RunError::Option(e.to_string()))?;
            print_stdout(&s)?;
        }
        Command::Validate { scenario: path } => {
            let prepared = pipeline::prepare(Source::File(&stdin_alias(&path)), limits)?;
            let net = &prepared.network;
            print_stdout(&format!(
                "{}: valid: {} population(s), {} neuron(s), {} input(s), {} source(s), {} synapse(s), duration {} ms",
                path.display(),
                net.populations.len(),
                net.n_neurons(),
                net.inputs.len(),
                net.n_sources(),
                net.synapse_count,
                readable(net.duration)
            ))?;
        }
        Command::Plot { dirs, compare } => {
            let mut files = vec![];
            for dir in &dirs {
                files.extend(exactspike::plot::plot_dir(dir).map_err(RunError::Option)?);
            }
            if let Some(out) = compare {
                std::fs::create_dir_all(&out)
                    .map_err(|e| RunError::Option(format!("--compare {}: {e}", out.display())))?;
                files
                    .extend(exactspike::plot::plot_compare(&dirs, &out).map_err(RunError::Option)?);
            }
            for f in files {
                print_stdout(&f.display().to_string())?;
            }
        }
        Command::Sweep {
            scenario: path,
            set,
            out,
            jobs,
            vary_seed,
            run,
        } => return run_sweep(&path, &set, &out, jobs, vary_seed, &run, quiet, limits),
        Command::JeffressReadout {
            dir,
            detectors,
            left,
            right,
            frac,
        } => {
            let names = JeffressNames {
                detectors,
                left,
                right,
            };
            // Best ITDs are the designed (unrounded) ones, whatever grid the runs emulated.
            let nominal = BuildOptions {
                input_grid: None,
                grid_delays: false,
                ..*limits
            };
            jeffress_readout(&dir, &names, frac, &nominal)?;
        }
        Command::Train {
            config,
            out,
            epochs,
        } => {
            let complete = learn::train(&config, &out, epochs, quiet, limits, signal_flag())?;
            return Ok(if complete {
                Outcome::Done
            } else {
                Outcome::Stopped
            });
        }
        Command::Gradient {
            scenario,
            loss,
            out,
        } => learn::gradient(
            &stdin_alias(&scenario),
            &loss,
            &out,
            quiet,
            limits,
            signal_flag(),
        )?,
        Command::Run {
            scenario: path,
            out,
            run,
        } => return run_one(&stdin_alias(&path), &out, &run, quiet, limits, world),
    }
    Ok(Outcome::Done)
}

/// `-` means standard input.
fn stdin_alias(path: &Path) -> PathBuf {
    if path == Path::new("-") {
        PathBuf::from("/dev/stdin")
    } else {
        path.to_path_buf()
    }
}

/// A stop flag raised by SIGINT, SIGTERM and SIGHUP (with the signal's number).
fn signal_flag() -> StopFlag {
    let flag = StopFlag::new();
    for sig in [
        signal_hook::consts::SIGINT,
        signal_hook::consts::SIGTERM,
        signal_hook::consts::SIGHUP,
    ] {
        let n = usize::try_from(sig).unwrap_or(usize::MAX);
        // Failing to install a handler only loses the clean stop on that signal.
        let _ = signal_hook::flag::register_usize(sig, flag.cell().clone(), n);
    }
    flag
}

fn run_options(args: &RunArgs, limits: &BuildOptions, stop: StopFlag) -> RunOptions {
    RunOptions {
        limits: *limits,
        format: args.format,
        max_events: args.max_events,
        max_wall: args.max_wall,
        stop: Some(stop),
        threads: match args.threads {
            0 => std::thread::available_parallelism().map_or(1, |n| n.get()),
            n => usize::from(n),
        },
        ..RunOptions::default()
    }
}

/// A number as Rust writes it, in scientific notation when it is tiny or huge (5e-324, not
/// 324 digits).
fn readable(x: f64) -> String {
    if x == 0.0 || (1e-4..1e15).contains(&x.abs()) {
        format!("{x}")
    } else {
        format!("{x:e}")
    }
}

fn run_one(
    path: &Path,
    out: &Path,
    args: &RunArgs,
    quiet: bool,
    limits: &BuildOptions,
    world: World,
) -> Result<Outcome, RunError> {
    let opts = run_options(args, limits, signal_flag());
    #[cfg(feature = "mpi")]
    if let Some(world) = world {
        return run_mpi(path, out, &opts, quiet, world);
    }
    let _ = world;
    let prepared = pipeline::prepare(Source::File(path), &opts.limits)?;
    tracing::info!(
        neurons = prepared.network.n_neurons(),
        synapses = prepared.network.synapse_count,
        build_seconds = prepared.build_seconds,
        "network built"
    );
    let mut bar = ProgressBar::new(quiet);
    let summary = pipeline::run_prepared(prepared, out, &opts, &mut |p| bar.update(p))
        .map_err(|e| out_error(out, e))?;
    bar.finish();
    if !quiet {
        report(&summary, out);
    }
    Ok(if summary.complete {
        Outcome::Done
    } else {
        Outcome::Stopped
    })
}

/// `run` as one rank of an MPI job: every rank simulates its partition, rank 0 writes the
/// files and reports. An error on any rank aborts the whole job (no rank is left waiting).
#[cfg(feature = "mpi")]
fn run_mpi(
    path: &Path,
    out: &Path,
    opts: &RunOptions,
    quiet: bool,
    world: mpi::topology::SimpleCommunicator,
) -> Result<Outcome, RunError> {
    use mpi::traits::Communicator;
    let root = world.rank() == 0;
    let abort = world.duplicate();
    // each rank builds only the synapses onto its neurons: memory per rank falls with K
    let mut limits = opts.limits;
    limits.partition = Some((world.size() as u32, world.rank() as u32));
    let result = pipeline::prepare(Source::File(path), &limits).and_then(|prepared| {
        let mut bar = ProgressBar::new(quiet || !root);
        let threads = opts.threads;
        let make = move |net| {
            let d = exactspike::distributed::Distributed::new(net, world, threads);
            pipeline::Runner::Mpi(Box::new(d))
        };
        let summary = pipeline::run_on(prepared, out, opts, &mut |p| bar.update(p), make, root);
        bar.finish();
        summary.map_err(|e| out_error(out, e))
    });
    match result {
        Ok(summary) => {
            if root && !quiet {
                report(&summary, out);
            }
            Ok(if summary.complete {
                Outcome::Done
            } else {
                Outcome::Stopped
            })
        }
        Err(e) => {
            eprintln!("error (MPI rank {}): {e}", abort.rank());
            abort.abort(i32::from(e.exit_code()))
        }
    }
}

/// An output error names the `--out` directory it is about.
fn out_error(out: &Path, e: RunError) -> RunError {
    match e {
        RunError::Output(e) => RunError::Option(format!("--out {}: {e}", out.display())),
        e => e,
    }
}

/// The closing lines on stderr: one summary line, spikes and rates per population, a
/// warning for each recorded population that never fired, and how a stopped run ended.
fn report(s: &Summary, out: &Path) {
    let fired = s
        .populations
        .iter()
        .filter(|p| p.kind == "neurons" && p.recorded);
    let neurons: u64 = fired.clone().map(|p| p.size).sum();
    let events = if s.events >= 1_000_000 {
        format!("{:.2} M", s.events as f64 / 1e6)
    } else {
        s.events.to_string()
    };
    eprintln!(
        "{} spikes from {} neurons, {events} events in {:.2} s -> {}/",
        s.spikes,
        neurons,
        s.wall_seconds,
        out.display()
    );
    for p in s.populations.iter().filter(|p| p.recorded) {
        eprintln!(
            "  {:<16} {:>8} spikes  {:>9.3} Hz  ({} {})",
            p.name,
            p.spikes,
            p.rate_hz,
            p.size,
            if p.kind == "input" {
                "sources"
            } else {
                "neurons"
            }
        );
    }
    for p in fired.filter(|p| p.spikes == 0) {
        eprintln!(
            "warning: population \"{}\" never fired; check the weights' size and units \
             (docs/scenario-format.md, \"Units and weights\")",
            p.name
        );
    }
    if let Some(reason) = &s.stopped {
        eprintln!(
            "stopped early ({reason}) at t = {} ms of {} ms; results so far are in {} and \
             summary.json says \"complete\": false",
            s.simulated_until,
            s.duration,
            out.display()
        );
        if reason == "stalled" {
            eprintln!(
                "  65 536 instants in a row each came within a few float steps of the one \
                 before: spikes causing spikes within a float step of time (a delay of almost \
                 nothing, say), whose order is rounding, not dynamics"
            );
        }
        if reason == "max_memory" {
            eprintln!(
                "  the events in flight (spikes on their way through the delays) outgrew the \
                 memory --max-memory leaves after the network; raise --max-memory, or lower \
                 the rates or delays that keep so many in flight"
            );
        }
    }
}

#[allow(clippy::too_many_arguments)] // one per command-line option
fn run_sweep(
    path: &Path,
    set: &[String],
    out: &Path,
    jobs: Option<u16>,
    vary_seed: bool,
    args: &RunArgs,
    quiet: bool,
    limits: &BuildOptions,
) -> Result<Outcome, RunError> {
    let axes = set
        .iter()
        .map(|s| sweep::parse_axis(s))
        .collect::<Result<Vec<_>, _>>()?;
    if let Some(j) = jobs {
        rayon::ThreadPoolBuilder::new()
            .num_threads(usize::from(j))
            .build_global()
            .map_err(|e| RunError::Option(e.to_string()))?;
    }
    let t0 = Instant::now();
    let stop = signal_flag();
    let opts = run_options(args, limits, stop.clone());
    let results = sweep::run(path, &axes, out, &opts, vary_seed)?;
    let complete = results.iter().all(|r| r.summary.complete) && stop.requested().is_none();
    if !quiet {
        eprintln!(
            "{} point(s) in {:.1} s; table in {}{}",
            results.len(),
            t0.elapsed().as_secs_f64(),
            out.join("sweep.csv").display(),
            if complete {
                ""
            } else {
                " (stopped early: some points incomplete or not run)"
            }
        );
    }
    Ok(if complete {
        Outcome::Done
    } else {
        Outcome::Stopped
    })
}

/// A progress bar on stderr, shown once a run has taken more than a second (if stderr is a
/// terminal and `--quiet` is not given).
struct ProgressBar {
    show: bool,
    bar: Option<indicatif::ProgressBar>,
}

impl ProgressBar {
    fn new(quiet: bool) -> Self {
        ProgressBar {
            show: !quiet && std::io::stderr().is_terminal(),
            bar: None,
        }
    }

    fn update(&mut self, p: &Progress) {
        use indicatif::{ProgressDrawTarget, ProgressStyle};
        if self.show && self.bar.is_none() && p.elapsed > Duration::from_secs(1) {
            let b =
                indicatif::ProgressBar::with_draw_target(Some(1000), ProgressDrawTarget::stderr());
            if let Ok(style) = ProgressStyle::with_template(
                "{elapsed_precise} [{bar:40}] {percent:>3}% {msg} (eta {eta})",
            ) {
                b.set_style(style.progress_chars("=> "));
            }
            self.bar = Some(b);
        }
        if let Some(b) = &self.bar {
            b.set_position((1000.0 * p.now / p.duration) as u64);
            b.set_message(format!(
                "t = {:.1} ms, {:.2} M events",
                p.now,
                p.events as f64 / 1e6
            ));
        }
    }

    fn finish(self) {
        if let Some(b) = self.bar {
            b.finish_and_clear();
        }
    }
}

/// Prints a line to stdout; a closed pipe (`exactspike schema | head`) is not an error.
fn print_stdout(text: &str) -> Result<(), RunError> {
    use std::io::Write;
    let mut out = std::io::stdout().lock();
    match writeln!(out, "{text}").and_then(|_| out.flush()) {
        Err(e) if e.kind() != std::io::ErrorKind::BrokenPipe => {
            Err(RunError::Option(format!("cannot write to stdout: {e}")))
        }
        _ => Ok(()),
    }
}

/// Prints the ITD estimate of one run directory, or a table for a sweep directory (also
/// written to DIR/readout.csv).
fn jeffress_readout(
    dir: &Path,
    names: &JeffressNames,
    frac: f64,
    limits: &BuildOptions,
) -> Result<(), RunError> {
    let fmt = |e: Option<f64>| e.map_or("none".to_string(), |v| format!("{v:.6}"));
    if dir.join("sweep.csv").exists() {
        let (axes, points) = sweep::read_sweep_csv(dir)?;
        let fields = |v: &[String]| -> String {
            let quoted: Vec<String> = v.iter().map(|f| sweep::csv_field(f)).collect();
            quoted.join(",")
        };
        let mut table = format!("point,{},estimated_itd_ms,detector_spikes\n", fields(&axes));
        for (point, values) in points {
            let r = analysis::readout_dir(&dir.join(&point), names, frac, limits)?;
            let index = point.trim_start_matches("point-");
            table.push_str(&format!(
                "{index},{},{},{}\n",
                fields(&values),
                fmt(r.itd),
                r.detector_spikes
            ));
        }
        let out = exactspike::output::OutputDir::open(dir)?;
        out.write("readout.csv", table.as_bytes())?;
        print_stdout(table.trim_end())
    } else {
        let r = analysis::readout_dir(dir, names, frac, limits)?;
        print_stdout(&match r.itd {
            Some(v) => format!(
                "estimated ITD: {:.2} us ({v:.6} ms) from {} spikes of {} detectors",
                v * 1000.0,
                r.detector_spikes,
                r.detectors
            ),
            None => format!(
                "estimated ITD: none (no spikes among {} detectors)",
                r.detectors
            ),
        })
    }
}
