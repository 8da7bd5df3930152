//! The one run pipeline shared by every front end (`run`, `sweep`, the Rust API, the
//! Python package): read the scenario once, build and check it before touching the output
//! directory, then simulate in slices, streaming the records to a [`Sink`](crate::output::Sink)
//! under the guards (event and wall-clock limits, a stop flag raised by signals or the
//! caller), and write `summary.json` last.

use crate::build::{self, BuildOptions};
use crate::error::RunError;
use crate::network::Network;
use crate::output::{Ending, Format, OutputDir, Writer};
use crate::parallel::Parallel;
use crate::records::{Output, Spike, Stats, Stop, VoltageSample, WeightSample};
use crate::records::{StopFlag, Summary};
use crate::scenario::{self, Scenario};
use crate::simulation::{Advance, Guards, Simulation};
use std::path::Path;
use std::time::{Duration, Instant};

/// Where the scenario comes from.
#[derive(Clone, Copy, Debug)]
pub enum Source<'a> {
    /// A JSON file (read once; `/dev/stdin` works).
    File(&'a Path),
    /// JSON bytes, with the name used in error messages and as the default scenario name.
    Bytes {
        /// The JSON text.
        bytes: &'a [u8],
        /// Its name (a file stem, `sweep point 3`, ...).
        name: &'a str,
    },
    /// A scenario built in code.
    Scenario(&'a Scenario),
}

/// How to run.
#[derive(Clone, Debug)]
pub struct RunOptions {
    /// Resource limits and clock-grid emulation.
    pub limits: BuildOptions,
    /// Format of the record files.
    pub format: Format,
    /// Stop after this many events (deliveries plus spikes).
    pub max_events: Option<u64>,
    /// Stop after this much wall-clock time (counted from the start of the simulation).
    pub max_wall: Option<Duration>,
    /// Stop when this flag is raised (by signal handlers or the caller).
    pub stop: Option<StopFlag>,
    /// Recorded rows kept in memory before they are written out.
    pub buffer_rows: usize,
    /// Threads simulating the network (1: the serial engine). The results are the same,
    /// bit for bit, for any number.
    pub threads: usize,
}

impl Default for RunOptions {
    fn default() -> Self {
        RunOptions {
            limits: BuildOptions::default(),
            format: Format::Csv,
            max_events: None,
            max_wall: None,
            stop: None,
            buffer_rows: 1 << 20,
            threads: 1,
        }
    }
}

/// Where a run is, for progress displays.
#[derive(Clone, Copy, Debug)]
pub struct Progress {
    /// Simulated time reached \[ms\].
    pub now: f64,
    /// Scenario duration \[ms\].
    pub duration: f64,
    /// Events so far (deliveries).
    pub events: u64,
    /// Wall-clock time since the simulation started.
    pub elapsed: Duration,
}

/// Slices of simulated time between progress reports and flushes.
const SLICES: u32 = 1000;

/// A scenario read, parsed and built: what a run needs before touching any file.
pub struct Prepared {
    /// The network.
    pub network: Network,
    /// The scenario text to save beside the results (exactly the bytes that were parsed).
    pub text: Vec<u8>,
    /// Time to build \[s\].
    pub build_seconds: f64,
}

/// Reads (once), parses and builds the scenario.
pub fn prepare(source: Source, limits: &BuildOptions) -> Result<Prepared, RunError> {
    let t0 = Instant::now();
    let (sc, text, name) = match source {
        Source::File(path) => {
            let bytes = scenario::read_bytes(path)?;
            let sc = scenario::parse_bytes(&bytes, &path.display().to_string())?;
            (sc, bytes, scenario::file_stem(path))
        }
        Source::Bytes { bytes, name } => (
            scenario::parse_bytes(bytes, name)?,
            bytes.to_vec(),
            name.to_string(),
        ),
        Source::Scenario(sc) => {
            let text = serde_json::to_vec_pretty(sc)
                .map_err(|e| RunError::Option(format!("scenario does not serialize: {e}")))?;
            (sc.clone(), text, "scenario".to_string())
        }
    };
    let network = build::build_with(&sc, &name, limits)?;
    Ok(Prepared {
        network,
        text,
        build_seconds: t0.elapsed().as_secs_f64(),
    })
}

/// Runs a scenario into the output directory `out`; see the module documentation. A run
/// stopped by a guard or the stop flag is not an error: its summary says `complete: false`.
pub fn run_scenario(
    source: Source,
    out: &Path,
    opts: &RunOptions,
    progress: &mut dyn FnMut(&Progress),
) -> Result<Summary, RunError> {
    let prepared = prepare(source, &opts.limits)?;
    run_prepared(prepared, out, opts, progress)
}

/// [`run_scenario`] for a scenario already prepared.
pub fn run_prepared(
    prepared: Prepared,
    out: &Path,
    opts: &RunOptions,
    progress: &mut dyn FnMut(&Progress),
) -> Result<Summary, RunError> {
    let threads = opts.threads;
    run_on(
        prepared,
        out,
        opts,
        progress,
        |net| Runner::new(net, threads),
        true,
    )
}

/// [`run_prepared`] on the runner `make` returns. Only the process that `writes` opens the
/// output directory and writes the files (the others of an MPI run only simulate and take
/// part in the collectives); they return a summary of their counters.
pub fn run_on(
    prepared: Prepared,
    out: &Path,
    opts: &RunOptions,
    progress: &mut dyn FnMut(&Progress),
    make: impl FnOnce(Network) -> Runner,
    writes: bool,
) -> Result<Summary, RunError> {
    let Prepared {
        network,
        text,
        build_seconds,
    } = prepared;
    let mut writer = if writes {
        let dir = OutputDir::open(out)?;
        dir.write("scenario.json", &text)?;
        Some(Writer::in_dir(dir, &network, opts.format)?)
    } else {
        None
    };
    let duration = network.duration;
    // what --max-memory leaves after the network's own estimate, for the events in flight
    let queue_budget = opts
        .limits
        .max_memory
        .saturating_sub(network.memory_estimate);
    let mut sim = make(network);
    let started = Instant::now();
    sim.set_guards(Guards {
        max_events: opts.max_events,
        deadline: opts.max_wall.and_then(|w| started.checked_add(w)),
        interrupt: opts.stop.clone(),
        max_queue_bytes: Some(queue_budget),
        // (one simulation's records go to disk every `buffer_rows`; a threaded or
        // distributed runner counts its partitions' own)
        count_records: false,
    });
    sim.set_buffer_limit(opts.buffer_rows);
    let mut stop = None;
    let mut k = 1;
    while k <= SLICES {
        let result = sim.advance_until(duration * f64::from(k) / f64::from(SLICES));
        let (spikes, samples, weights) = sim.drain();
        if let Some(w) = &mut writer {
            w.append(&spikes, &samples, &weights)?;
        }
        match result {
            Err(s) => {
                stop = Some(s);
                break;
            }
            Ok(Advance::BufferFull) => continue,
            Ok(Advance::Reached) => k += 1,
        }
        progress(&Progress {
            now: sim.now(),
            duration,
            events: sim.events(),
            elapsed: started.elapsed(),
        });
    }
    let simulated_until = sim.now();
    let (net, output) = sim.finish();
    let ending = Ending {
        stop,
        simulated_until,
    };
    match writer {
        Some(mut w) => {
            w.append(&output.spikes, &output.voltages, &output.weights)?;
            Ok(w.finish(&net, &output.stats, build_seconds, ending)?)
        }
        None => Ok(crate::output::summary(
            &net,
            &output.stats,
            &[],
            build_seconds,
            ending,
            opts.format,
        )),
    }
}

/// `exactspike gradient`: reads the scenario and the loss, evaluates the gradient, and only
/// then opens `out` and writes `gradients.json` (and the scenario beside it).
pub fn gradient_files(
    scenario_path: &Path,
    loss_path: &Path,
    out: &Path,
    opts: &crate::gradient::Options,
) -> Result<crate::gradient::Evaluation, RunError> {
    use crate::gradient::{evaluate, GradientError, Loss};
    let text = scenario::read_bytes(scenario_path)?;
    let sc = scenario::parse_bytes(&text, &scenario_path.display().to_string())?;
    let loss_text = scenario::read_bytes(loss_path)?;
    let in_loss_file =
        |e: crate::ScenarioError| RunError::Option(format!("{}: {e}", loss_path.display()));
    let loss = Loss::parse(&loss_text).map_err(in_loss_file)?;
    let ev = evaluate(&sc, &loss, opts).map_err(|e| match e {
        GradientError::Scenario(e) if e.path().is_some_and(|p| p.starts_with("loss")) => {
            in_loss_file(e)
        }
        GradientError::Scenario(e) => RunError::Scenario(e),
        GradientError::Stopped(s) => RunError::Stopped("gradient", s),
    })?;
    let json = pretty(&ev.gradients)?;
    let dir = OutputDir::open(out)?;
    dir.write("scenario.json", &text)?;
    dir.write("gradients.json", &json)?;
    Ok(ev)
}

/// `exactspike train`: checks the configuration fully, then opens `out` and trains, writing
/// `metrics.json` and `trained.json` (the network with the learned parameters) after every
/// epoch. Returns the metrics (`complete: false` when `stop` ended it early).
/// Each sample's forward run is limited by `limits` (its memory shared among the threads
/// of a batch).
pub fn train_files(
    config: &Path,
    out: &Path,
    epochs: Option<usize>,
    limits: &BuildOptions,
    stop: Option<&StopFlag>,
    progress: &mut dyn FnMut(&crate::train::Epoch),
) -> Result<crate::train::Metrics, RunError> {
    let text = scenario::read_bytes(config)?;
    let name = config.display().to_string();
    train_to(&text, &name, out, epochs, limits, stop, progress)
}

/// [`train_files`] for a configuration's JSON text; `name` labels its errors.
pub fn train_to(
    text: &[u8],
    name: &str,
    out: &Path,
    epochs: Option<usize>,
    limits: &BuildOptions,
    stop: Option<&StopFlag>,
    progress: &mut dyn FnMut(&crate::train::Epoch),
) -> Result<crate::train::Metrics, RunError> {
    use crate::train::{parse_config, Metrics, TrainError, Trainer, Which};
    let in_config = |e: crate::ScenarioError| RunError::Option(format!("{name}: {e}"));
    let mut cfg = parse_config(text).map_err(in_config)?;
    if let Some(n) = epochs {
        cfg.epochs = n;
    }
    let mut trainer = Trainer::new(cfg).map_err(in_config)?;
    trainer.set_limits(*limits);
    let dir = OutputDir::open(out)?;
    let mut metrics = Metrics {
        initial_test_accuracy: trainer.accuracy(Which::Test),
        samples: trainer.sizes(),
        ..Metrics::default()
    };
    let write = |m: &Metrics, t: &Trainer| -> Result<(), RunError> {
        dir.write("metrics.json", &pretty(m)?)?;
        dir.write("trained.json", &pretty(&t.scenario())?)?;
        Ok(())
    };
    write(&metrics, &trainer)?;
    for epoch in 1..=trainer.epochs() {
        match trainer.epoch(epoch, stop) {
            Ok(e) => {
                progress(&e);
                metrics.loss.push(e.loss);
                metrics.train_accuracy = e.train_accuracy;
                metrics.test_accuracy = e.test_accuracy;
                metrics.epochs.push(e);
            }
            Err(TrainError::Stopped(s)) => {
                metrics.stopped = Some(s.to_string());
                write(&metrics, &trainer)?;
                break;
            }
            Err(TrainError::Config(e)) => return Err(RunError::Scenario(e)),
        }
        metrics.complete = epoch == trainer.epochs();
        write(&metrics, &trainer)?;
    }
    Ok(metrics)
}

/// Pretty JSON of what a command writes.
fn pretty<T: serde::Serialize>(v: &T) -> Result<Vec<u8>, RunError> {
    serde_json::to_vec_pretty(v).map_err(|e| RunError::Option(format!("does not serialize: {e}")))
}

/// The most threads a run uses (the command line's `--threads` range; any front end asking
/// for more gets this many: the results are the same, and spawning 10⁵ threads fails).
pub const MAX_THREADS: usize = 1024;

/// The serial engine or the threaded one, behind one interface.
// One value per run: boxing the larger variant would only add an indirection.
#[allow(clippy::large_enum_variant)]
pub enum Runner {
    /// One thread.
    One(Simulation),
    /// Several threads.
    Many(Parallel),
    /// This process's part of an MPI run.
    #[cfg(feature = "mpi")]
    Mpi(Box<crate::distributed::Distributed>),
}

impl Runner {
    /// `threads` = 1 runs the serial engine. At most one thread per neuron: the results are
    /// the same for any number, and a partition without neurons only adds a thread to every
    /// window's barrier (1024 threads on 9 neurons did not finish 60 ms in a minute).
    pub fn new(net: Network, threads: usize) -> Runner {
        let threads = threads.min(net.n_neurons().max(1)).min(MAX_THREADS);
        if threads > 1 {
            Runner::Many(Parallel::new(net, threads))
        } else {
            Runner::One(Simulation::new(net))
        }
    }
    /// See [`Simulation::set_guards`].
    pub fn set_guards(&mut self, g: Guards) {
        match self {
            Runner::One(s) => s.set_guards(g),
            Runner::Many(p) => p.set_guards(g),
            #[cfg(feature = "mpi")]
            Runner::Mpi(d) => d.set_guards(g),
        }
    }
    /// See [`Simulation::set_buffer_limit`].
    pub fn set_buffer_limit(&mut self, rows: usize) {
        match self {
            Runner::One(s) => s.set_buffer_limit(rows),
            Runner::Many(p) => p.set_buffer_limit(rows),
            #[cfg(feature = "mpi")]
            Runner::Mpi(d) => d.set_buffer_limit(rows),
        }
    }
    /// See [`Simulation::advance_until`].
    pub fn advance_until(&mut self, t: f64) -> Result<Advance, Stop> {
        match self {
            Runner::One(s) => s.advance_until(t),
            Runner::Many(p) => p.advance_until(t),
            #[cfg(feature = "mpi")]
            Runner::Mpi(d) => d.advance_until(t),
        }
    }
    /// See [`Simulation::drain`].
    pub fn drain(&mut self) -> (Vec<Spike>, Vec<VoltageSample>, Vec<WeightSample>) {
        match self {
            Runner::One(s) => s.drain(),
            Runner::Many(p) => p.drain(),
            #[cfg(feature = "mpi")]
            Runner::Mpi(d) => d.drain(),
        }
    }
    /// Simulated time reached \[ms\].
    pub fn now(&self) -> f64 {
        match self {
            Runner::One(s) => s.now(),
            Runner::Many(p) => p.now(),
            #[cfg(feature = "mpi")]
            Runner::Mpi(d) => d.now(),
        }
    }
    /// The network: its final state with one thread; with several, or MPI ranks, the
    /// network as built (for names and sizes).
    pub fn network(&self) -> &Network {
        match self {
            Runner::One(s) => s.network(),
            Runner::Many(p) => p.network(),
            #[cfg(feature = "mpi")]
            Runner::Mpi(d) => d.network(),
        }
    }
    /// Synaptic events so far (this process's, in an MPI run).
    pub fn events(&self) -> u64 {
        match self {
            Runner::One(s) => s.stats().events,
            Runner::Many(p) => p.stats().events,
            #[cfg(feature = "mpi")]
            Runner::Mpi(d) => d.local_stats().events,
        }
    }
    /// Counters so far (in an MPI run a collective: every process must call it).
    pub fn stats(&self) -> Stats {
        match self {
            Runner::One(s) => s.stats(),
            Runner::Many(p) => p.stats(),
            #[cfg(feature = "mpi")]
            Runner::Mpi(d) => d.stats(),
        }
    }
    /// See [`Simulation::finish`].
    pub fn finish(self) -> (Network, Output) {
        match self {
            Runner::One(s) => s.finish(),
            Runner::Many(p) => p.finish(),
            #[cfg(feature = "mpi")]
            Runner::Mpi(d) => d.finish(),
        }
    }
}
