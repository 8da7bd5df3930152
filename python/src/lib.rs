//! `exactspike._native`: the engine for Python. Scenarios arrive as JSON text (the Python
//! layer turns dicts, paths and builders into it), run in memory with the GIL released, and
//! come back as numpy arrays moved out of the engine's vectors (no copy).

use exactspike::output::{self, Ending, Format};
use exactspike::pipeline::Runner;
use exactspike::pipeline::{self, Source};
use exactspike::records::Stop;
use exactspike::records::{Output, StopFlag};
use exactspike::simulation::Guards;
use exactspike::RunError;
use numpy::{IntoPyArray, PyArray1, PyReadonlyArrayDyn, PyUntypedArrayMethods};
use pyo3::create_exception;
use pyo3::exceptions::{PyKeyError, PyOSError, PyValueError};
use pyo3::prelude::*;
use serde_json::Value;

create_exception!(
    _native,
    ScenarioError,
    PyValueError,
    "An invalid scenario. The message names the JSON path of the offending value, which is \
     also in the `path` attribute (None for syntax and file errors)."
);

/// A numpy array of indices handed to Python.
type U32s<'py> = Bound<'py, PyArray1<u32>>;
/// A numpy array of times or values handed to Python.
type F64s<'py> = Bound<'py, PyArray1<f64>>;

/// Slices of simulated time between checks for Ctrl-C.
const SLICES: u32 = 200;

fn to_py(py: Python<'_>, e: RunError) -> PyErr {
    match e {
        RunError::Scenario(s) => {
            let path = s.path().map(str::to_string);
            let err = ScenarioError::new_err(s.to_string());
            let _ = err.value(py).setattr("path", path);
            err
        }
        RunError::Option(m) => PyValueError::new_err(m),
        other => PyOSError::new_err(other.to_string()),
    }
}

/// What a run produced, held by the engine until Python asks for arrays.
#[pyclass(frozen, module = "exactspike._native")]
struct NativeResult {
    out: Output,
    summary: String,
}

#[pymethods]
impl NativeResult {
    /// Names of the populations, then the inputs (the record index order).
    fn names(&self) -> Vec<String> {
        self.out.names.clone()
    }

    /// `summary.json` of the run, as JSON text.
    fn summary_json(&self) -> &str {
        &self.summary
    }

    /// Spikes of one population: (neurons uint32, times float64 in ms), time order.
    fn spikes<'py>(&self, py: Python<'py>, population: &str) -> PyResult<(U32s<'py>, F64s<'py>)> {
        let (n, t) = self
            .out
            .spikes_of(population)
            .ok_or_else(|| unknown(&self.out, population))?;
        Ok((n.into_pyarray(py), t.into_pyarray(py)))
    }

    /// Every spike: (population index, neuron, time), in spikes.csv order.
    fn all_spikes<'py>(&self, py: Python<'py>) -> (U32s<'py>, U32s<'py>, F64s<'py>) {
        let s = &self.out.spikes;
        let p: Vec<u32> = s.iter().map(|x| x.population).collect();
        let n: Vec<u32> = s.iter().map(|x| x.neuron).collect();
        let t: Vec<f64> = s.iter().map(|x| x.time).collect();
        (p.into_pyarray(py), n.into_pyarray(py), t.into_pyarray(py))
    }

    /// Voltage samples of one population: (neurons, times in ms, v in mV).
    fn voltage<'py>(
        &self,
        py: Python<'py>,
        population: &str,
    ) -> PyResult<(U32s<'py>, F64s<'py>, F64s<'py>)> {
        let (n, t, v) = self
            .out
            .voltage_of(population)
            .ok_or_else(|| unknown(&self.out, population))?;
        Ok((n.into_pyarray(py), t.into_pyarray(py), v.into_pyarray(py)))
    }

    /// Weight samples: (connection, synapse, source, target, time in ms, weight in mV).
    fn weights<'py>(
        &self,
        py: Python<'py>,
    ) -> (
        U32s<'py>,
        U32s<'py>,
        U32s<'py>,
        U32s<'py>,
        F64s<'py>,
        F64s<'py>,
    ) {
        let w = &self.out.weights;
        let col = |f: fn(&exactspike::records::WeightSample) -> u32| -> Vec<u32> {
            w.iter().map(f).collect()
        };
        let (c, s, a, b) = (
            col(|x| x.connection),
            col(|x| x.synapse),
            col(|x| x.source),
            col(|x| x.target),
        );
        let t: Vec<f64> = w.iter().map(|x| x.time).collect();
        let v: Vec<f64> = w.iter().map(|x| x.weight).collect();
        (
            c.into_pyarray(py),
            s.into_pyarray(py),
            a.into_pyarray(py),
            b.into_pyarray(py),
            t.into_pyarray(py),
            v.into_pyarray(py),
        )
    }
}

fn unknown(out: &Output, name: &str) -> PyErr {
    PyKeyError::new_err(format!(
        "no population or input \"{name}\" (known: {})",
        out.names.join(", ")
    ))
}

/// Checks a scenario (JSON text) fully without running it; raises ScenarioError.
#[pyfunction]
#[pyo3(signature = (text, name, max_memory=None))]
fn validate_json(py: Python<'_>, text: &str, name: &str, max_memory: Option<u64>) -> PyResult<()> {
    let limits = limits(max_memory);
    let bytes = text.as_bytes();
    py.detach(|| pipeline::prepare(Source::Bytes { bytes, name }, &limits).map(drop))
        .map_err(|e| to_py(py, e))
}

fn limits(max_memory: Option<u64>) -> exactspike::build::BuildOptions {
    let mut l = exactspike::build::BuildOptions::default();
    if let Some(m) = max_memory {
        l.max_memory = m;
    }
    l
}

/// Builds and runs a scenario (JSON text) in memory. The GIL is released while building and
/// simulating; Ctrl-C raises KeyboardInterrupt between slices of the run and the partial
/// results are discarded.
#[pyfunction]
#[pyo3(signature = (text, name, max_memory=None, threads=1))]
fn run_json(
    py: Python<'_>,
    text: &str,
    name: &str,
    max_memory: Option<u64>,
    threads: usize,
) -> PyResult<NativeResult> {
    let limits = limits(max_memory);
    let bytes = text.as_bytes();
    let prepared = py
        .detach(|| pipeline::prepare(Source::Bytes { bytes, name }, &limits))
        .map_err(|e| to_py(py, e))?;
    simulate(
        py,
        prepared.network,
        prepared.build_seconds,
        threads,
        limits.max_memory,
    )
}

/// [`run_json`] for a scenario whose large numeric arrays travel as numpy arrays: `text`
/// holds `{"$array": k}` where `arrays[k]` goes (a 1-D array becomes a list of numbers, an
/// `(n, 2)` integer array a list of pairs). No JSON text is made of them.
#[pyfunction]
#[pyo3(signature = (text, name, arrays, max_memory=None, threads=1))]
fn run_parts(
    py: Python<'_>,
    text: &str,
    name: &str,
    arrays: Vec<PyReadonlyArrayDyn<'_, f64>>,
    max_memory: Option<u64>,
    threads: usize,
) -> PyResult<NativeResult> {
    let limits = limits(max_memory);
    let mut doc: Value = serde_json::from_str(text)
        .map_err(|e| ScenarioError::new_err(format!("{name}: invalid JSON: {e}")))?;
    let values: Vec<Value> = arrays.iter().map(array_value).collect();
    insert_arrays(&mut doc, &values)?;
    let t0 = std::time::Instant::now();
    let net = py
        .detach(|| {
            let sc = exactspike::scenario::parse_value(doc)?;
            exactspike::build::build_with(&sc, name, &limits)
        })
        .map_err(|e| to_py(py, RunError::Scenario(e)))?;
    simulate(
        py,
        net,
        t0.elapsed().as_secs_f64(),
        threads,
        limits.max_memory,
    )
}

/// A numpy array as a JSON value: 1-D → numbers, 2-D → rows (NaN/inf → null, refused later
/// with the path).
fn array_value(a: &PyReadonlyArrayDyn<'_, f64>) -> Value {
    let num = |x: f64| serde_json::Number::from_f64(x).map_or(Value::Null, Value::Number);
    let view = a.as_array();
    if a.ndim() == 2 {
        let rows = view
            .outer_iter()
            .map(|r| Value::Array(r.iter().map(|&x| int_or_num(x)).collect()));
        return Value::Array(rows.collect());
    }
    Value::Array(view.iter().map(|&x| num(x)).collect())
}

/// Whole numbers as JSON integers (pairs are indices), others as numbers.
fn int_or_num(x: f64) -> Value {
    if x.fract() == 0.0 && (0.0..9.0e15).contains(&x) {
        Value::from(x as u64)
    } else {
        serde_json::Number::from_f64(x).map_or(Value::Null, Value::Number)
    }
}

/// Replaces every `{"$array": k}` in `doc` by `values[k]`.
fn insert_arrays(doc: &mut Value, values: &[Value]) -> PyResult<()> {
    match doc {
        Value::Object(m) if m.len() == 1 && m.contains_key("$array") => {
            let k = m["$array"].as_u64().and_then(|k| values.get(k as usize));
            *doc = k
                .cloned()
                .ok_or_else(|| PyValueError::new_err("bad array placeholder"))?;
        }
        Value::Object(m) => {
            for v in m.values_mut() {
                insert_arrays(v, values)?;
            }
        }
        Value::Array(a) => {
            for v in a {
                insert_arrays(v, values)?;
            }
        }
        _ => {}
    }
    Ok(())
}

/// Simulates `net` (with `threads` threads) in slices with the GIL released, checking for
/// Ctrl-C between slices; MemoryError when the events in flight outgrow what `max_memory`
/// leaves after the network.
fn simulate(
    py: Python<'_>,
    net: exactspike::Network,
    build_seconds: f64,
    threads: usize,
    max_memory: u64,
) -> PyResult<NativeResult> {
    let duration = net.duration;
    let budget = max_memory.saturating_sub(net.memory_estimate);
    let mut sim = Runner::new(net, threads.max(1));
    let stop = StopFlag::new();
    sim.set_guards(Guards {
        interrupt: Some(stop.clone()),
        max_queue_bytes: Some(budget),
        // (every record is kept for Python)
        count_records: true,
        ..Guards::default()
    });
    for k in 1..=SLICES {
        let end = duration * f64::from(k) / f64::from(SLICES);
        // (the flag is never raised: the queue's memory and a stall are what can stop it)
        match py.detach(|| sim.advance_until(end)) {
            Err(Stop::MaxMemory) => {
                return Err(pyo3::exceptions::PyMemoryError::new_err(format!(
                    "stopped at t = {} ms: the events in flight (spikes on their way) and the \
                     records kept need more than the {budget} bytes max_memory leaves after \
                     the network; raise max_memory, record less, or shorten the delays or \
                     rates that keep spikes in flight",
                    sim.now()
                )))
            }
            Err(stop) => {
                return Err(pyo3::exceptions::PyRuntimeError::new_err(format!(
                    "stopped at t = {} ms ({stop}): 65 536 instants in a row each came \
                     within a few float steps of the one before (spikes causing spikes within \
                     a float step of time: a delay of almost nothing, say)",
                    sim.now()
                )))
            }
            Ok(_) => {}
        }
        py.check_signals()?;
    }
    let simulated_until = sim.now();
    let (net, out) = sim.finish();
    let mut counts = vec![0u64; out.names.len()];
    for s in &out.spikes {
        counts[s.population as usize] += 1;
    }
    let ending = Ending {
        stop: None,
        simulated_until,
    };
    let summary = output::summary(
        &net,
        &out.stats,
        &counts,
        build_seconds,
        ending,
        Format::Csv,
    );
    let mut summary =
        serde_json::to_value(&summary).map_err(|e| PyValueError::new_err(e.to_string()))?;
    summary["format"] = Value::Null; // nothing was written
    Ok(NativeResult {
        out,
        summary: summary.to_string(),
    })
}

/// Exact gradient of a loss (JSON text) for a scenario (JSON text): the `gradients.json`
/// document as JSON text. The GIL is released; Ctrl-C raises KeyboardInterrupt.
#[pyfunction]
#[pyo3(signature = (text, name, loss, max_memory=None))]
fn gradient_json(
    py: Python<'_>,
    text: &str,
    name: &str,
    loss: &str,
    max_memory: Option<u64>,
) -> PyResult<String> {
    use exactspike::gradient::{evaluate, GradientError, Loss, Options};
    let sc = exactspike::scenario::parse_bytes(text.as_bytes(), name)
        .map_err(|e| to_py(py, RunError::Scenario(e)))?;
    let loss = Loss::parse(loss.as_bytes()).map_err(|e| to_py(py, RunError::Scenario(e)))?;
    let stop = StopFlag::new();
    let opts = Options {
        limits: limits(max_memory),
        stop: Some(stop.clone()),
    };
    let result = py.detach(|| {
        let worker = std::thread::scope(|s| {
            let h = s.spawn(|| evaluate(&sc, &loss, &opts));
            loop {
                if h.is_finished() {
                    break h.join();
                }
                if Python::attach(|py| py.check_signals()).is_err() {
                    stop.raise();
                }
                std::thread::sleep(std::time::Duration::from_millis(20));
            }
        });
        worker.unwrap_or_else(|_| panic!("gradient thread panicked"))
    });
    match result {
        Ok(ev) => {
            serde_json::to_string(&ev.gradients).map_err(|e| PyValueError::new_err(e.to_string()))
        }
        Err(GradientError::Scenario(e)) => Err(to_py(py, RunError::Scenario(e))),
        Err(GradientError::Stopped(_)) => Err(pyo3::exceptions::PyKeyboardInterrupt::new_err(
            "gradient interrupted",
        )),
        Err(e) => Err(PyValueError::new_err(e.to_string())),
    }
}

/// Trains as `exactspike train` does, from a configuration's JSON text, writing
/// `metrics.json` and `trained.json` into `out`; returns the metrics as JSON text.
#[pyfunction]
#[pyo3(signature = (text, out, epochs=None))]
fn train_json(py: Python<'_>, text: &str, out: &str, epochs: Option<usize>) -> PyResult<String> {
    let out = std::path::PathBuf::from(out);
    let m = py
        .detach(|| pipeline::train_to(text.as_bytes(), "config", &out, epochs, None, &mut |_| {}))
        .map_err(|e| to_py(py, e))?;
    serde_json::to_string(&m).map_err(|e| PyValueError::new_err(e.to_string()))
}

/// The JSON Schema of the scenario format, as JSON text.
#[pyfunction]
fn json_schema() -> String {
    exactspike::scenario::json_schema().to_string()
}

#[pymodule]
fn _native(m: &Bound<'_, PyModule>) -> PyResult<()> {
    m.add("ScenarioError", m.py().get_type::<ScenarioError>())?;
    m.add("__version__", env!("CARGO_PKG_VERSION"))?;
    m.add_class::<NativeResult>()?;
    m.add_function(wrap_pyfunction!(run_json, m)?)?;
    m.add_function(wrap_pyfunction!(run_parts, m)?)?;
    m.add_function(wrap_pyfunction!(validate_json, m)?)?;
    m.add_function(wrap_pyfunction!(json_schema, m)?)?;
    m.add_function(wrap_pyfunction!(gradient_json, m)?)?;
    m.add_function(wrap_pyfunction!(train_json, m)?)?;
    Ok(())
}
