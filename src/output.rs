//! Writing a run's results into an output directory.
//!
//! * [`Sink`]: where records go, one implementation per file format ([`csv`], [`npy`]).
//!   Records arrive in slices as the run proceeds, so memory stays bounded however long the
//!   run.
//! * [`OutputDir`]: the directory itself and its rules (see `docs/reliability.md`):
//!   - an advisory lock (`.exactspike.lock`, holding the writer's process id): a second
//!     writer into the same directory is refused, naming the holder;
//!   - the directory must be new, empty, or an earlier exactspike output directory (it has
//!     the lock file). In an earlier output directory, every file a run writes — in any
//!     format, `scenario.json` and `.partial` temporaries included — is removed at the
//!     start; in any other directory a file with one of those names is an error, and
//!     nothing is deleted. Other files are never touched;
//!   - files are written under `.NAME.partial` (created new, never through a symlink) and
//!     renamed into place when complete; `summary.json` is written last, so a directory
//!     with a summary holds a finished (or cleanly stopped) run and nothing else; a run
//!     that fails after opening the directory removes its `.partial` files.

pub mod csv;
pub mod npy;

use crate::error::OutputError;
use crate::network::Network;
use crate::neuron::NeuronModel;
use crate::records::{PopulationSummary, Spike, Stats, Stop, Summary, VoltageSample, WeightSample};
use std::fs::{File, OpenOptions};
use std::io::{Read, Write};
use std::path::{Path, PathBuf};

/// File format of the record files.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub enum Format {
    /// `spikes.csv`, `voltage.csv`, `weights.csv` (text, one row per record).
    #[default]
    Csv,
    /// `spikes.npy`, `voltage.npy`, `weights.npy` (NumPy structured arrays).
    Npy,
}

impl Format {
    /// `"csv"` or `"npy"`.
    pub fn name(self) -> &'static str {
        match self {
            Format::Csv => "csv",
            Format::Npy => "npy",
        }
    }

    /// Parses `"csv"` or `"npy"`.
    pub fn parse(s: &str) -> Option<Format> {
        match s {
            "csv" => Some(Format::Csv),
            "npy" => Some(Format::Npy),
            _ => None,
        }
    }
}

/// Every file name a run may write (all formats): what is removed from an earlier output
/// directory, and what may not be overwritten elsewhere.
pub const OUTPUT_FILES: [&str; 13] = [
    "summary.json",
    "scenario.json",
    "spikes.csv",
    "voltage.csv",
    "weights.csv",
    "state.csv",
    "spikes.npy",
    "voltage.npy",
    "weights.npy",
    "state.npy",
    "gradients.json",
    "metrics.json",
    "trained.json",
];

/// The lock file that marks (and guards) an output directory.
pub const LOCK_FILE: &str = ".exactspike.lock";

/// What the record files of a run hold, for a sink to lay them out.
#[derive(Clone, Debug, Default)]
pub struct RecordLayout {
    /// Names in the order the records' `population` index refers to.
    pub names: Vec<String>,
    /// Whether voltage samples are recorded.
    pub voltage: bool,
    /// Whether weight samples are recorded.
    pub weights: bool,
    /// Whether state samples are recorded.
    pub state: bool,
    /// Each neuron population's variable names (what a state sample's `variable` indexes).
    pub variables: Vec<Vec<String>>,
}

impl RecordLayout {
    /// The layout of `net`'s records.
    pub fn of(net: &Network) -> Self {
        RecordLayout {
            names: net.record_names().into_iter().map(String::from).collect(),
            voltage: net
                .probes
                .iter()
                .any(|p| p.variable == VoltageSample::MEMBRANE),
            weights: !net.weight_probes.is_empty(),
            state: net
                .probes
                .iter()
                .any(|p| p.variable != VoltageSample::MEMBRANE),
            variables: net.variable_names(),
        }
    }
}

/// A destination for a run's records, in one file format.
pub trait Sink {
    /// Appends sorted records that follow everything appended before.
    fn append(
        &mut self,
        spikes: &[Spike],
        voltages: &[VoltageSample],
        weights: &[WeightSample],
    ) -> Result<(), OutputError>;

    /// Flushes and syncs the partial files and renames them into place.
    fn finish(self: Box<Self>) -> Result<(), OutputError>;
}

/// An error writing `path`.
pub(crate) fn io_err(path: &Path) -> impl FnOnce(std::io::Error) -> OutputError + '_ {
    move |source| OutputError::Io {
        path: path.to_path_buf(),
        source,
    }
}

/// An output directory, locked for one run.
#[derive(Debug)]
pub struct OutputDir {
    dir: PathBuf,
    /// Held open for the lock; released when dropped.
    _lock: File,
}

impl OutputDir {
    /// Creates `dir` if needed, takes its lock and clears the outputs of an earlier run
    /// (module docs give the rules).
    pub fn open(dir: &Path) -> Result<OutputDir, OutputError> {
        std::fs::create_dir_all(dir).map_err(io_err(dir))?;
        let lock_path = dir.join(LOCK_FILE);
        let ours = is_regular_file(&lock_path)?;
        if !ours {
            refuse_foreign_outputs(dir)?;
        }
        let mut lock = OpenOptions::new()
            .read(true)
            .write(true)
            .create(true)
            .truncate(false)
            .open(&lock_path)
            .map_err(io_err(&lock_path))?;
        match lock.try_lock() {
            Ok(()) => {}
            Err(std::fs::TryLockError::WouldBlock) => {
                let mut holder = String::new();
                let _ = lock.read_to_string(&mut holder);
                return Err(OutputError::Locked {
                    path: dir.to_path_buf(),
                    holder: holder.trim().to_string(),
                });
            }
            Err(std::fs::TryLockError::Error(e)) => return Err(io_err(&lock_path)(e)),
        }
        lock.set_len(0).map_err(io_err(&lock_path))?;
        writeln!(lock, "pid {}", std::process::id()).map_err(io_err(&lock_path))?;
        for name in OUTPUT_FILES {
            for f in [name.to_string(), format!(".{name}.partial")] {
                remove_if_present(&dir.join(f))?;
            }
        }
        Ok(OutputDir {
            dir: dir.to_path_buf(),
            _lock: lock,
        })
    }

    /// The directory.
    pub fn path(&self) -> &Path {
        &self.dir
    }

    /// Writes `name` whole, atomically (partial file, then rename).
    pub fn write(&self, name: &str, contents: &[u8]) -> Result<PathBuf, OutputError> {
        let mut f = create_partial(&self.dir, name)?;
        let tmp = self.dir.join(format!(".{name}.partial"));
        f.write_all(contents).map_err(io_err(&tmp))?;
        commit_partial(&self.dir, name, f)?;
        Ok(self.dir.join(name))
    }

    /// A sink of `format` for records laid out as `layout`.
    pub fn sink(
        &self,
        format: Format,
        layout: &RecordLayout,
    ) -> Result<Box<dyn Sink>, OutputError> {
        Ok(match format {
            Format::Csv => Box::new(csv::CsvSink::create(&self.dir, layout)?),
            Format::Npy => Box::new(npy::NpySink::create(&self.dir, layout)?),
        })
    }
}

/// A run that ends without renaming its files into place (a write error, a full disk, any
/// error after the directory was opened) leaves no half-written `.partial` file behind: they
/// are removed while the lock is still held. Complete files stay (`scenario.json`, and the
/// lock file that marks the directory as ours).
impl Drop for OutputDir {
    fn drop(&mut self) {
        for name in OUTPUT_FILES {
            let _ = std::fs::remove_file(self.dir.join(format!(".{name}.partial")));
        }
    }
}

/// Creates the partial file for `name` in `dir` (new; never through a symlink).
pub(crate) fn create_partial(dir: &Path, name: &str) -> Result<File, OutputError> {
    create_new(&dir.join(format!(".{name}.partial")))
}

/// Syncs `file` (the partial file of `name` in `dir`) and renames it into place.
pub(crate) fn commit_partial(dir: &Path, name: &str, file: File) -> Result<(), OutputError> {
    let tmp = dir.join(format!(".{name}.partial"));
    file.sync_all().map_err(io_err(&tmp))?;
    let fin = dir.join(name);
    std::fs::rename(&tmp, &fin).map_err(io_err(&fin))
}

/// True if `path` is a regular file; false if it does not exist; an error for a symlink
/// or anything else (the lock file must not lead elsewhere).
fn is_regular_file(path: &Path) -> Result<bool, OutputError> {
    match std::fs::symlink_metadata(path) {
        Ok(m) if m.file_type().is_file() => Ok(true),
        Ok(_) => Err(OutputError::Unsafe {
            path: path.to_path_buf(),
            why: "is not a regular file (a symlink?); remove it".into(),
        }),
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => Ok(false),
        Err(e) => Err(io_err(path)(e)),
    }
}

/// In a directory that is not an exactspike output directory, refuses to go on if a file
/// has the name of an output (it would be overwritten).
fn refuse_foreign_outputs(dir: &Path) -> Result<(), OutputError> {
    refuse_foreign(dir, &OUTPUT_FILES)
}

/// Refuses `dir` if it is not an exactspike output directory (no lock file) and holds a
/// file of one of these `names` (which a command would overwrite).
pub fn refuse_foreign(dir: &Path, names: &[&str]) -> Result<(), OutputError> {
    if is_regular_file(&dir.join(LOCK_FILE))? {
        return Ok(());
    }
    for name in names {
        let p = dir.join(name);
        if std::fs::symlink_metadata(&p).is_ok() {
            return Err(OutputError::Unsafe {
                path: p,
                why: format!(
                    "would be overwritten, and {} is not an exactspike output directory \
                     (it has no {LOCK_FILE}); choose another --out or remove the file",
                    dir.display()
                ),
            });
        }
    }
    Ok(())
}

/// Removes `path` if it exists; a symlink is removed itself, never followed.
fn remove_if_present(path: &Path) -> Result<(), OutputError> {
    match std::fs::symlink_metadata(path) {
        Ok(m) if m.is_dir() => Err(OutputError::Unsafe {
            path: path.to_path_buf(),
            why: "is a directory where an output file goes; remove it".into(),
        }),
        Ok(_) => std::fs::remove_file(path).map_err(io_err(path)),
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => Ok(()),
        Err(e) => Err(io_err(path)(e)),
    }
}

/// Creates `path`, failing if anything (a symlink included) is already there.
fn create_new(path: &Path) -> Result<File, OutputError> {
    OpenOptions::new()
        .write(true)
        .create_new(true)
        .open(path)
        .map_err(io_err(path))
}

/// How a run ended, for the summary.
#[derive(Clone, Copy, Debug)]
pub struct Ending {
    /// `None` for a complete run, or why it stopped early.
    pub stop: Option<Stop>,
    /// Simulated time reached \[ms\].
    pub simulated_until: f64,
}

/// The summary of a run of `net`; `counts` are recorded spikes per record index
/// (populations, then inputs).
pub fn summary(
    net: &Network,
    stats: &Stats,
    counts: &[u64],
    build_seconds: f64,
    ending: Ending,
    format: Format,
) -> Summary {
    let seconds = ending.simulated_until / 1000.0;
    let mut populations = Vec::with_capacity(counts.len());
    let entries = (net.populations.iter()).map(|p| (&p.name, "neurons", p.neurons.len()));
    let inputs = net
        .inputs
        .iter()
        .map(|i| (&i.name, "input", i.sources.len()));
    let recorded = net.record_populations.iter().chain(&net.record_inputs);
    for (k, ((name, kind, size), &rec)) in entries.chain(inputs).zip(recorded).enumerate() {
        let spikes = if rec {
            counts.get(k).copied().unwrap_or(0)
        } else {
            0
        };
        populations.push(PopulationSummary {
            name: name.clone(),
            kind: kind.into(),
            size: size as u64,
            recorded: rec,
            spikes,
            rate_hz: if rec && seconds > 0.0 && size > 0 {
                spikes as f64 / size as f64 / seconds
            } else {
                0.0
            },
        });
    }
    let sim = stats.simulate_seconds;
    Summary {
        name: net.name.clone(),
        duration: net.duration,
        spikes: counts.iter().sum(),
        spikes_by_population: populations
            .iter()
            .filter(|p| p.recorded)
            .map(|p| (p.name.clone(), p.spikes))
            .collect(),
        populations,
        events: stats.events,
        wall_seconds: build_seconds + sim,
        build_seconds,
        simulate_seconds: sim,
        events_per_second: if sim > 0.0 {
            stats.events as f64 / sim
        } else {
            0.0
        },
        neurons: net.n_neurons() as u64,
        sources: net.n_sources() as u64,
        synapses: net.synapse_count,
        neuron_spikes: stats.neuron_spikes,
        source_spikes: stats.source_spikes,
        predictions: stats.predictions,
        checks: stats.checks,
        peak_queue: stats.peak_queue as u64,
        windows: stats.windows,
        exchanged_spikes: stats.exchanged_spikes,
        complete: ending.stop.is_none(),
        stopped: ending.stop.map(|s| s.to_string()),
        simulated_until: ending.simulated_until,
        memory_estimate_bytes: net.memory_estimate,
        peak_rss_bytes: peak_rss(),
        format: format.name().into(),
        version: env!("CARGO_PKG_VERSION").into(),
    }
}

/// Peak resident memory of this process \[bytes\] (`VmHWM` in /proc/self/status), or 0.
pub fn peak_rss() -> u64 {
    let status = std::fs::read_to_string("/proc/self/status").unwrap_or_default();
    status
        .lines()
        .find_map(|l| l.strip_prefix("VmHWM:"))
        .and_then(|v| v.trim().trim_end_matches("kB").trim().parse::<u64>().ok())
        .map_or(0, |kib| kib * 1024)
}

/// Streams a run's records into an [`OutputDir`] through a [`Sink`] and writes
/// `summary.json` last.
pub struct Writer {
    dir: OutputDir,
    sink: Box<dyn Sink>,
    counts: Vec<u64>,
    format: Format,
}

impl Writer {
    /// Opens (locks, clears) `dir` and starts the record files of `net` in `format`.
    pub fn create(dir: &Path, net: &Network, format: Format) -> Result<Writer, OutputError> {
        let dir = OutputDir::open(dir)?;
        Self::in_dir(dir, net, format)
    }

    /// Starts the record files of `net` in an opened directory.
    pub fn in_dir(dir: OutputDir, net: &Network, format: Format) -> Result<Writer, OutputError> {
        let layout = RecordLayout::of(net);
        let sink = dir.sink(format, &layout)?;
        Ok(Writer {
            counts: vec![0; layout.names.len()],
            dir,
            sink,
            format,
        })
    }

    /// The output directory.
    pub fn dir(&self) -> &OutputDir {
        &self.dir
    }

    /// Appends sorted records that follow everything appended before.
    pub fn append(
        &mut self,
        spikes: &[Spike],
        samples: &[VoltageSample],
        weights: &[WeightSample],
    ) -> Result<(), OutputError> {
        for sp in spikes {
            if let Some(c) = self.counts.get_mut(sp.population as usize) {
                *c += 1;
            }
        }
        self.sink.append(spikes, samples, weights)
    }

    /// Closes the record files and writes summary.json; returns the summary.
    pub fn finish(
        self,
        net: &Network,
        stats: &Stats,
        build_seconds: f64,
        ending: Ending,
    ) -> Result<Summary, OutputError> {
        self.sink.finish()?;
        let summary = summary(net, stats, &self.counts, build_seconds, ending, self.format);
        let text = serde_json::to_string_pretty(&summary).map_err(|e| OutputError::Io {
            path: self.dir.path().join("summary.json"),
            source: std::io::Error::other(e),
        })? + "\n";
        self.dir.write("summary.json", text.as_bytes())?;
        Ok(summary)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn tmp(name: &str) -> PathBuf {
        let d = std::env::temp_dir().join(format!("exactspike-out-{name}-{}", std::process::id()));
        let _ = std::fs::remove_dir_all(&d);
        d
    }

    #[test]
    fn a_second_writer_is_refused_while_the_first_holds_the_lock() {
        let d = tmp("lock");
        let first = OutputDir::open(&d).unwrap();
        let err = OutputDir::open(&d).unwrap_err().to_string();
        assert!(
            err.contains("in use") && err.contains(&format!("pid {}", std::process::id())),
            "{err}"
        );
        drop(first);
        OutputDir::open(&d).unwrap();
        let _ = std::fs::remove_dir_all(&d);
    }

    #[test]
    fn foreign_files_named_like_outputs_are_not_deleted() {
        let d = tmp("foreign");
        std::fs::create_dir_all(&d).unwrap();
        std::fs::write(d.join("spikes.csv"), "mine").unwrap();
        let err = OutputDir::open(&d).unwrap_err().to_string();
        assert!(err.contains("spikes.csv"), "{err}");
        assert_eq!(
            std::fs::read_to_string(d.join("spikes.csv")).unwrap(),
            "mine"
        );
        let _ = std::fs::remove_dir_all(&d);
    }

    #[test]
    fn a_run_that_fails_leaves_no_partial_file() {
        let d = tmp("failed");
        let out = OutputDir::open(&d).unwrap();
        out.write("scenario.json", b"{}").unwrap();
        let mut f = create_partial(&d, "voltage.csv").unwrap();
        f.write_all(b"t,v\n0.0,").unwrap();
        assert!(d.join(".voltage.csv.partial").exists());
        drop(out); // (an error returned before the rename, say)
        assert!(!d.join(".voltage.csv.partial").exists());
        assert!(d.join("scenario.json").exists());
        let _ = std::fs::remove_dir_all(&d);
    }

    #[test]
    fn planted_symlinks_are_removed_not_followed() {
        let d = tmp("symlink");
        let victim = tmp("victim");
        std::fs::create_dir_all(&d).unwrap();
        std::fs::write(&victim, "precious").unwrap();
        drop(OutputDir::open(&d).unwrap());
        std::os::unix::fs::symlink(&victim, d.join(".spikes.csv.partial")).unwrap();
        std::os::unix::fs::symlink(&victim, d.join("summary.json")).unwrap();
        let out = OutputDir::open(&d).unwrap();
        out.write("spikes.csv", b"x").unwrap();
        assert_eq!(std::fs::read_to_string(&victim).unwrap(), "precious");
        assert!(!d.join("summary.json").exists());
        let _ = std::fs::remove_dir_all(&d);
        let _ = std::fs::remove_file(&victim);
    }
}
