//! Reading a run's results back from its output directory, in either format: the one
//! reader that `plot`, `sweep` and the Jeffress read-out use. Records come back as the
//! same [`Spike`]/[`VoltageSample`]/[`WeightSample`] values the run wrote (bit for bit:
//! CSV numbers are shortest round-trip decimals). Malformed files give a
//! [`ResultsError`] naming the file and line, never a panic; non-finite times or values
//! are refused.

use crate::error::ResultsError;
use crate::npy;
use crate::output::csv::{SPIKES_HEADER, VOLTAGE_HEADER, WEIGHTS_HEADER};
use crate::records::{Spike, Summary, VoltageSample, WeightSample};
use std::path::{Path, PathBuf};

type Res<T> = Result<T, ResultsError>;

/// An output directory opened for reading: its summary and where its records are.
#[derive(Clone, Debug)]
pub struct Results {
    dir: PathBuf,
    /// The run's summary.json.
    pub summary: Summary,
}

impl Results {
    /// Opens `dir` (it must hold a `summary.json`).
    pub fn open(dir: &Path) -> Res<Results> {
        let path = dir.join("summary.json");
        let text = std::fs::read_to_string(&path)
            .map_err(|e| ResultsError::new(&path, format!("cannot read: {e}")))?;
        let summary: Summary = serde_json::from_str(&text)
            .map_err(|e| ResultsError::new(&path, format!("not a summary: {e}")))?;
        Ok(Results {
            dir: dir.to_path_buf(),
            summary,
        })
    }

    /// The directory.
    pub fn dir(&self) -> &Path {
        &self.dir
    }

    /// Population and input names, in the order the records' `population` index uses. For
    /// a summary written before that list existed, the names are taken from the records.
    pub fn names(&self) -> Vec<String> {
        self.summary
            .populations
            .iter()
            .map(|p| p.name.clone())
            .collect()
    }

    fn is_npy(&self) -> bool {
        self.summary.format == "npy"
    }

    /// Every recorded spike, in file order (time, population, neuron).
    pub fn spikes(&self) -> Res<Vec<Spike>> {
        if self.is_npy() {
            let t = self.table("spikes.npy")?;
            let (p, n, time) = (t.u32("population")?, t.u32("neuron")?, t.f64("time")?);
            for k in 0..t.rows {
                self.in_range(p[k], n[k])
                    .map_err(|m| ResultsError::new(&t.path, format!("row {k}: {m}")))?;
            }
            return Ok((0..t.rows)
                .map(|k| Spike {
                    population: p[k],
                    neuron: n[k],
                    time: time[k],
                })
                .collect());
        }
        let names = self.names();
        let mut out = Vec::new();
        self.csv("spikes.csv", SPIKES_HEADER, |f, at| {
            let (population, neuron) = (index_of(&names, f[0], at)?, int(f[1], at)?);
            self.in_range(population, neuron)
                .map_err(|m| format!("{at}: {m}"))?;
            out.push(Spike {
                population,
                neuron,
                time: finite(f[2], at)?,
            });
            Ok(())
        })?;
        Ok(out)
    }

    /// `Err` unless population index `p` is one of the summary's and `neuron` one of its
    /// neurons (sources).
    fn in_range(&self, p: u32, neuron: u32) -> Result<(), String> {
        let pops = &self.summary.populations;
        match pops.get(p as usize) {
            None if pops.is_empty() => Ok(()),
            None => Err(format!(
                "population index {p}, but the run has {} populations and inputs",
                pops.len()
            )),
            Some(pop) if u64::from(neuron) >= pop.size => Err(format!(
                "neuron {neuron} of \"{}\", which has {}",
                pop.name, pop.size
            )),
            Some(_) => Ok(()),
        }
    }

    /// The spikes of population `name`: neuron indices and times \[ms\].
    pub fn spikes_of(&self, name: &str) -> Res<(Vec<u32>, Vec<f64>)> {
        let p = self.population_index(name)?;
        Ok(self
            .spikes()?
            .into_iter()
            .filter(|s| s.population == p)
            .map(|s| (s.neuron, s.time))
            .unzip())
    }

    /// Index of population `name`, or an error listing the known ones.
    pub fn population_index(&self, name: &str) -> Res<u32> {
        let names = self.names();
        names
            .iter()
            .position(|n| n == name)
            .map(|p| p as u32)
            .ok_or_else(|| {
                ResultsError::new(
                    self.dir.join("summary.json"),
                    format!("no population \"{name}\" (known: {})", names.join(", ")),
                )
            })
    }

    /// Every voltage sample (probe and order are not stored in files: both 0).
    pub fn voltages(&self) -> Res<Vec<VoltageSample>> {
        let row = |population, neuron, time, v| VoltageSample {
            probe: 0,
            order: 0,
            population,
            neuron,
            time,
            v,
            variable: VoltageSample::MEMBRANE,
        };
        if self.is_npy() {
            let t = self.table("voltage.npy")?;
            let (p, n) = (t.u32("population")?, t.u32("neuron")?);
            let (time, v) = (t.f64("time")?, t.f64("v")?);
            for k in 0..t.rows {
                self.in_range(p[k], n[k])
                    .map_err(|m| ResultsError::new(&t.path, format!("row {k}: {m}")))?;
            }
            return Ok((0..t.rows)
                .map(|k| row(p[k], n[k], time[k], v[k]))
                .collect());
        }
        let names = self.names();
        let mut out = Vec::new();
        self.csv("voltage.csv", VOLTAGE_HEADER, |f, at| {
            let (p, n) = (index_of(&names, f[0], at)?, int(f[1], at)?);
            self.in_range(p, n).map_err(|m| format!("{at}: {m}"))?;
            out.push(row(p, n, finite(f[2], at)?, finite(f[3], at)?));
            Ok(())
        })?;
        Ok(out)
    }

    /// Every weight sample (probe and order: 0).
    pub fn weights(&self) -> Res<Vec<WeightSample>> {
        let row = |ids: [u32; 4], time, weight| WeightSample {
            probe: 0,
            order: 0,
            connection: ids[0],
            synapse: ids[1],
            source: ids[2],
            target: ids[3],
            time,
            weight,
        };
        if self.is_npy() {
            let t = self.table("weights.npy")?;
            let ids = [
                t.u32("connection")?,
                t.u32("synapse")?,
                t.u32("source")?,
                t.u32("target")?,
            ];
            let (time, w) = (t.f64("time")?, t.f64("weight")?);
            return Ok((0..t.rows)
                .map(|k| row([ids[0][k], ids[1][k], ids[2][k], ids[3][k]], time[k], w[k]))
                .collect());
        }
        let mut out = Vec::new();
        self.csv("weights.csv", WEIGHTS_HEADER, |f, at| {
            let ids = [
                int(f[0], at)?,
                int(f[1], at)?,
                int(f[2], at)?,
                int(f[3], at)?,
            ];
            out.push(row(ids, finite(f[4], at)?, finite(f[5], at)?));
            Ok(())
        })?;
        Ok(out)
    }

    /// True if the run wrote `name` (e.g. `voltage` in its format).
    pub fn has(&self, stem: &str) -> bool {
        let ext = if self.is_npy() { "npy" } else { "csv" };
        self.dir.join(format!("{stem}.{ext}")).is_file()
    }

    fn table(&self, name: &str) -> Res<Table> {
        let path = self.dir.join(name);
        let bytes = std::fs::read(&path)
            .map_err(|e| ResultsError::new(&path, format!("cannot read: {e}")))?;
        let table = npy::read(&bytes).map_err(|e| ResultsError::new(&path, e))?;
        Ok(Table {
            path,
            table,
            rows: 0,
        }
        .counted())
    }

    /// Calls `row` with the fields of every data line of CSV file `name` (which must start
    /// with `header` and have its number of fields per line) and the line number for
    /// messages. The file is streamed: memory is the records, not the text.
    fn csv(
        &self,
        name: &str,
        header: &str,
        mut row: impl FnMut(&[&str], Line) -> Result<(), String>,
    ) -> Res<()> {
        use std::io::BufRead;
        let width = header.split(',').count();
        let path = self.dir.join(name);
        let file = std::fs::File::open(&path)
            .map_err(|e| ResultsError::new(&path, format!("cannot read: {e}")))?;
        let reader = std::io::BufReader::with_capacity(1 << 16, file);
        let mut lines = reader.lines().enumerate();
        match lines.next() {
            Some((_, Ok(first))) if first == header => {}
            Some((_, Ok(first))) => {
                return Err(ResultsError::new(
                    &path,
                    format!("line 1: expected the header {header:?}, got {first:?}"),
                ))
            }
            Some((_, Err(e))) => return Err(ResultsError::new(&path, format!("line 1: {e}"))),
            None => {
                return Err(ResultsError::new(
                    &path,
                    format!("empty (not even its header {header:?}): not a finished run's file"),
                ))
            }
        }
        for (k, line) in lines {
            let at = Line(k + 1);
            let line = line.map_err(|e| ResultsError::new(&path, format!("{at}: {e}")))?;
            let fields: Vec<&str> = line.split(',').collect();
            if fields.len() != width {
                return Err(ResultsError::new(
                    &path,
                    format!("{at}: expected {width} fields, got {}", fields.len()),
                ));
            }
            row(&fields, at).map_err(|m| ResultsError::new(&path, m))?;
        }
        Ok(())
    }
}

/// A line number in a CSV file, for messages (`line 7`).
#[derive(Clone, Copy, Debug)]
struct Line(usize);

impl std::fmt::Display for Line {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "line {}", self.0)
    }
}

/// An NPY table with typed column access.
struct Table {
    path: PathBuf,
    table: npy::Table,
    rows: usize,
}

impl Table {
    fn counted(mut self) -> Self {
        self.rows = self.table.rows;
        self
    }
    fn u32(&self, name: &str) -> Res<&[u32]> {
        self.table
            .u32_column(name)
            .ok_or_else(|| ResultsError::new(&self.path, format!("no u32 field \"{name}\"")))
    }
    fn f64(&self, name: &str) -> Res<&[f64]> {
        let col = self
            .table
            .f64_column(name)
            .ok_or_else(|| ResultsError::new(&self.path, format!("no f64 field \"{name}\"")))?;
        match col.iter().position(|v| !v.is_finite()) {
            Some(k) => Err(ResultsError::new(
                &self.path,
                format!("row {k}: {name} is {}, not a finite number", col[k]),
            )),
            None => Ok(col),
        }
    }
}

fn index_of(names: &[String], name: &str, at: Line) -> Result<u32, String> {
    names
        .iter()
        .position(|n| n == name)
        .map(|p| p as u32)
        .ok_or_else(|| format!("{at}: unknown population \"{name}\""))
}

fn int(s: &str, at: Line) -> Result<u32, String> {
    s.parse()
        .map_err(|_| format!("{at}: {s:?} is not an index"))
}

fn finite(s: &str, at: Line) -> Result<f64, String> {
    match s.parse::<f64>() {
        Ok(v) if v.is_finite() => Ok(v),
        _ => Err(format!("{at}: {s:?} is not a finite number")),
    }
}
