//! The NPY sink: `spikes.npy`, `voltage.npy`, `weights.npy` and `state.npy`, NumPy
//! structured arrays (loadable with `numpy.load(path, allow_pickle=False)`), with the same
//! values as the CSV files. The `population` field indexes the `populations` list of
//! `summary.json`; `state.npy`'s `variable` indexes the model's variables.

use super::{commit_partial, create_partial, io_err, RecordLayout, Sink};
use crate::error::OutputError;
use crate::npy::{Field, FieldType, NpyWriter};
use crate::records::{Spike, VoltageSample, WeightSample};
use std::fs::File;
use std::io::BufWriter;
use std::path::{Path, PathBuf};

const U: FieldType = FieldType::U32;
const F: FieldType = FieldType::F64;

/// Fields of `spikes.npy`.
pub const SPIKE_FIELDS: [Field; 3] = [
    Field {
        name: "population",
        ty: U,
    },
    Field {
        name: "neuron",
        ty: U,
    },
    Field {
        name: "time",
        ty: F,
    },
];
/// Fields of `voltage.npy`.
pub const VOLTAGE_FIELDS: [Field; 4] = [
    Field {
        name: "population",
        ty: U,
    },
    Field {
        name: "neuron",
        ty: U,
    },
    Field {
        name: "time",
        ty: F,
    },
    Field { name: "v", ty: F },
];
/// Fields of `weights.npy`.
pub const WEIGHT_FIELDS: [Field; 6] = [
    Field {
        name: "connection",
        ty: U,
    },
    Field {
        name: "synapse",
        ty: U,
    },
    Field {
        name: "source",
        ty: U,
    },
    Field {
        name: "target",
        ty: U,
    },
    Field {
        name: "time",
        ty: F,
    },
    Field {
        name: "weight",
        ty: F,
    },
];

/// Fields of `state.npy`.
pub const STATE_FIELDS: [Field; 5] = [
    Field {
        name: "population",
        ty: U,
    },
    Field {
        name: "neuron",
        ty: U,
    },
    Field {
        name: "variable",
        ty: U,
    },
    Field {
        name: "time",
        ty: F,
    },
    Field {
        name: "value",
        ty: F,
    },
];

/// One structured array being written.
struct Array {
    name: &'static str,
    out: NpyWriter<BufWriter<File>>,
}

impl Array {
    fn create(dir: &Path, name: &'static str, fields: &[Field]) -> Result<Array, OutputError> {
        let file = BufWriter::with_capacity(1 << 16, create_partial(dir, name)?);
        let out = NpyWriter::new(file, fields).map_err(io_err(&dir.join(name)))?;
        Ok(Array { name, out })
    }

    fn row(&mut self, dir: &Path, values: &[f64]) -> Result<(), OutputError> {
        self.out
            .write_row(values)
            .map_err(io_err(&dir.join(self.name)))
    }

    fn commit(self, dir: &Path) -> Result<(), OutputError> {
        let path = dir.join(format!(".{}.partial", self.name));
        let buffered = self.out.finish().map_err(io_err(&path))?;
        let file = buffered.into_inner().map_err(|e| OutputError::Io {
            path,
            source: e.into_error(),
        })?;
        commit_partial(dir, self.name, file)
    }
}

/// Writes records as NPY structured arrays.
pub struct NpySink {
    dir: PathBuf,
    spikes: Array,
    voltage: Option<Array>,
    weights: Option<Array>,
    state: Option<Array>,
}

impl NpySink {
    /// Opens the partial files in `dir`.
    pub fn create(dir: &Path, layout: &RecordLayout) -> Result<Self, OutputError> {
        Ok(NpySink {
            dir: dir.to_path_buf(),
            spikes: Array::create(dir, "spikes.npy", &SPIKE_FIELDS)?,
            voltage: layout
                .voltage
                .then(|| Array::create(dir, "voltage.npy", &VOLTAGE_FIELDS))
                .transpose()?,
            weights: layout
                .weights
                .then(|| Array::create(dir, "weights.npy", &WEIGHT_FIELDS))
                .transpose()?,
            state: layout
                .state
                .then(|| Array::create(dir, "state.npy", &STATE_FIELDS))
                .transpose()?,
        })
    }
}

impl Sink for NpySink {
    fn append(
        &mut self,
        spikes: &[Spike],
        voltages: &[VoltageSample],
        weights: &[WeightSample],
    ) -> Result<(), OutputError> {
        let dir = &self.dir;
        for s in spikes {
            let row = [s.population as f64, s.neuron as f64, s.time];
            self.spikes.row(dir, &row)?;
        }
        if let Some(a) = &mut self.voltage {
            for v in voltages
                .iter()
                .filter(|v| v.variable == VoltageSample::MEMBRANE)
            {
                a.row(dir, &[v.population as f64, v.neuron as f64, v.time, v.v])?;
            }
        }
        if let Some(a) = &mut self.state {
            for v in voltages
                .iter()
                .filter(|v| v.variable != VoltageSample::MEMBRANE)
            {
                let ids = [v.population, v.neuron, v.variable].map(f64::from);
                a.row(dir, &[ids[0], ids[1], ids[2], v.time, v.v])?;
            }
        }
        if let Some(a) = &mut self.weights {
            for w in weights {
                let ids = [w.connection, w.synapse, w.source, w.target].map(f64::from);
                a.row(dir, &[ids[0], ids[1], ids[2], ids[3], w.time, w.weight])?;
            }
        }
        Ok(())
    }

    fn finish(self: Box<Self>) -> Result<(), OutputError> {
        let NpySink {
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
