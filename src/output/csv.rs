//! The CSV sink: `spikes.csv` (`population,neuron,time`), `voltage.csv`
//! (`population,neuron,time,v`), `weights.csv`
//! (`connection,synapse,source,target,time,weight`) and `state.csv`
//! (`population,neuron,variable,time,value`). Numbers use Rust's shortest
//! round-trip formatting of f64, so every value reads back bit for bit. Population names
//! are restricted to `[A-Za-z0-9_.-]` by the builder, so no field needs quoting.

use super::{commit_partial, create_partial, io_err, RecordLayout, Sink};
use crate::error::OutputError;
use crate::records::{Spike, VoltageSample, WeightSample};
use std::fmt::Write as _;
use std::fs::File;
use std::io::{BufWriter, Write};
use std::path::{Path, PathBuf};

/// Header of `spikes.csv`.
pub const SPIKES_HEADER: &str = "population,neuron,time";
/// Header of `voltage.csv`.
pub const VOLTAGE_HEADER: &str = "population,neuron,time,v";
/// Header of `weights.csv`.
pub const WEIGHTS_HEADER: &str = "connection,synapse,source,target,time,weight";
/// Header of `state.csv`.
pub const STATE_HEADER: &str = "population,neuron,variable,time,value";

/// One CSV file being written.
struct Table {
    name: &'static str,
    out: BufWriter<File>,
}

impl Table {
    fn create(dir: &Path, name: &'static str, header: &str) -> Result<Table, OutputError> {
        let mut out = BufWriter::with_capacity(1 << 16, create_partial(dir, name)?);
        out.write_all(header.as_bytes())
            .and_then(|_| out.write_all(b"\n"))
            .map_err(io_err(&dir.join(name)))?;
        Ok(Table { name, out })
    }

    fn write(&mut self, dir: &Path, text: &str) -> Result<(), OutputError> {
        self.out
            .write_all(text.as_bytes())
            .map_err(io_err(&dir.join(self.name)))
    }

    fn commit(self, dir: &Path) -> Result<(), OutputError> {
        let path = dir.join(format!(".{}.partial", self.name));
        let file = self.out.into_inner().map_err(|e| OutputError::Io {
            path,
            source: e.into_error(),
        })?;
        commit_partial(dir, self.name, file)
    }
}

/// Writes records as CSV into an output directory.
pub struct CsvSink {
    dir: PathBuf,
    names: Vec<String>,
    spikes: Table,
    voltage: Option<Table>,
    weights: Option<Table>,
    state: Option<Table>,
    variables: Vec<Vec<String>>,
    buf: String,
}

impl CsvSink {
    /// Opens the partial files in `dir` with their headers.
    pub fn create(dir: &Path, layout: &RecordLayout) -> Result<Self, OutputError> {
        Ok(CsvSink {
            dir: dir.to_path_buf(),
            names: layout.names.clone(),
            spikes: Table::create(dir, "spikes.csv", SPIKES_HEADER)?,
            voltage: layout
                .voltage
                .then(|| Table::create(dir, "voltage.csv", VOLTAGE_HEADER))
                .transpose()?,
            weights: layout
                .weights
                .then(|| Table::create(dir, "weights.csv", WEIGHTS_HEADER))
                .transpose()?,
            state: layout
                .state
                .then(|| Table::create(dir, "state.csv", STATE_HEADER))
                .transpose()?,
            variables: layout.variables.clone(),
            buf: String::new(),
        })
    }

    fn name(&self, p: u32) -> &str {
        self.names.get(p as usize).map_or("?", String::as_str)
    }
}

impl Sink for CsvSink {
    fn append(
        &mut self,
        spikes: &[Spike],
        voltages: &[VoltageSample],
        weights: &[WeightSample],
    ) -> Result<(), OutputError> {
        let mut buf = std::mem::take(&mut self.buf);
        buf.clear();
        for s in spikes {
            let _ = writeln!(buf, "{},{},{}", self.name(s.population), s.neuron, s.time);
        }
        self.spikes.write(&self.dir, &buf)?;
        if let Some(t) = &mut self.voltage {
            buf.clear();
            for v in voltages
                .iter()
                .filter(|v| v.variable == VoltageSample::MEMBRANE)
            {
                let name = self
                    .names
                    .get(v.population as usize)
                    .map_or("?", String::as_str);
                let _ = writeln!(buf, "{},{},{},{}", name, v.neuron, v.time, v.v);
            }
            t.write(&self.dir, &buf)?;
        }
        if let Some(t) = &mut self.state {
            buf.clear();
            for v in voltages
                .iter()
                .filter(|v| v.variable != VoltageSample::MEMBRANE)
            {
                let name = self
                    .names
                    .get(v.population as usize)
                    .map_or("?", String::as_str);
                let var = self
                    .variables
                    .get(v.population as usize)
                    .and_then(|vars| vars.get(v.variable as usize))
                    .map_or("?", String::as_str);
                let _ = writeln!(buf, "{},{},{},{},{}", name, v.neuron, var, v.time, v.v);
            }
            t.write(&self.dir, &buf)?;
        }
        if let Some(t) = &mut self.weights {
            buf.clear();
            for w in weights {
                let _ = writeln!(
                    buf,
                    "{},{},{},{},{},{}",
                    w.connection, w.synapse, w.source, w.target, w.time, w.weight
                );
            }
            t.write(&self.dir, &buf)?;
        }
        self.buf = buf;
        Ok(())
    }

    fn finish(self: Box<Self>) -> Result<(), OutputError> {
        let CsvSink {
            dir,
            spikes,
            voltage,
            weights,
            state,
            ..
        } = *self;
        let files = std::iter::once(spikes)
            .chain(voltage)
            .chain(weights)
            .chain(state);
        files.into_iter().try_for_each(|f| f.commit(&dir))
    }
}
