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

    /// State samples of one population's variable: (neurons, times in ms, values).
    fn state<'py>(
        &self,
        py: Python<'py>,
        population: &str,
        variable: &str,
    ) -> PyResult<(U32s<'py>, F64s<'py>, F64s<'py>)> {
        let (n, t, v) = self.out.state_of(population, variable).ok_or_else(|| {
            pyo3::exceptions::PyKeyError::new_err(format!(
                "no population {population:?} with a variable {variable:?} (populations: {:?})",
                self.out.names
            ))
        })?;
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
    let t0 = std::time::Instant::now();
    let net = build_parts(py, text, name, arrays, &limits)?;
    simulate(
        py,
        net,
        t0.elapsed().as_secs_f64(),
        threads,
        limits.max_memory,
    )
}

/// The network of a scenario sent as JSON text with `{"$array": k}` placeholders.
fn build_parts(
    py: Python<'_>,
    text: &str,
    name: &str,
    arrays: Vec<PyReadonlyArrayDyn<'_, f64>>,
    limits: &exactspike::build::BuildOptions,
) -> PyResult<exactspike::Network> {
    let mut doc: Value = serde_json::from_str(text).map_err(|e| {
        // (`path` is None for syntax errors, as from `run(dict)`)
        let err = ScenarioError::new_err(format!("{name}: invalid JSON: {e}"));
        let _ = err.value(py).setattr("path", None::<String>);
        err
    })?;
    let values: Vec<Value> = arrays.iter().map(array_value).collect();
    insert_arrays(&mut doc, &values)?;
    py.detach(|| {
        let sc = exactspike::scenario::parse_value(doc)?;
        exactspike::build::build_with(&sc, name, limits)
    })
    .map_err(|e| to_py(py, RunError::Scenario(e)))
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

/// A network being simulated: advanced to later times on request, with the records so far.
/// One-shot runs ([`run_json`], [`run_parts`]) and [`NativeSession`] both go through it.
struct Engine {
    runner: Runner,
    names: Vec<String>,
    variables: Vec<Vec<String>>,
    spikes: Vec<exactspike::records::Spike>,
    voltages: Vec<exactspike::records::VoltageSample>,
    weights: Vec<exactspike::records::WeightSample>,
    build_seconds: f64,
    /// Bytes the events in flight and the records may take (`max_memory` less the network).
    budget: u64,
}

/// The guards of a run for Python: no stop flag raised (Ctrl-C is checked between slices),
/// the events in flight and the records within `bytes`.
fn guards(bytes: u64) -> Guards {
    Guards {
        interrupt: Some(StopFlag::new()),
        max_queue_bytes: Some(bytes),
        // (every record is kept for Python)
        count_records: true,
        ..Guards::default()
    }
}

impl Engine {
    fn new(net: exactspike::Network, build_seconds: f64, threads: usize, max_memory: u64) -> Self {
        let budget = max_memory.saturating_sub(net.memory_estimate);
        let names = net.record_names().into_iter().map(String::from).collect();
        let variables = net.variable_names();
        let mut runner = Runner::new(net, threads.max(1));
        runner.set_guards(guards(budget));
        Engine {
            runner,
            names,
            variables,
            spikes: Vec::new(),
            voltages: Vec::new(),
            weights: Vec::new(),
            build_seconds,
            budget,
        }
    }

    fn duration(&self) -> f64 {
        self.runner.network().duration
    }

    /// Simulates up to `t` (at most the duration) in slices of the duration with the GIL
    /// released, checking for Ctrl-C between slices; MemoryError when the events in flight
    /// outgrow what `max_memory` leaves after the network. Results before a time do not
    /// depend on how the run was sliced, or on the duration.
    fn advance(&mut self, py: Python<'_>, t: f64) -> PyResult<()> {
        let duration = self.duration();
        let t = t.min(duration);
        let slice = duration / f64::from(SLICES);
        while self.runner.now() < t {
            // the next multiple of the slice (the grid of a one-shot run), past now
            let now = self.runner.now();
            let next = ((now / slice).floor() + 1.0) * slice;
            let end = next.max(now.next_up()).min(t);
            let runner = &mut self.runner;
            // (the flag is never raised: the queue's memory and a stall are what can stop it)
            match py.detach(|| runner.advance_until(end)) {
                Err(Stop::MaxMemory) => {
                    return Err(pyo3::exceptions::PyMemoryError::new_err(format!(
                        "stopped at t = {} ms: the events in flight (spikes on their way) and \
                         the records kept need more than the {} bytes max_memory leaves after \
                         the network; raise max_memory, record less, or shorten the delays or \
                         rates that keep spikes in flight",
                        self.runner.now(),
                        self.budget
                    )))
                }
                Err(stop) => {
                    return Err(pyo3::exceptions::PyRuntimeError::new_err(format!(
                        "stopped at t = {} ms ({stop}): 65 536 instants in a row each came \
                         within a few float steps of the one before (spikes causing spikes \
                         within a float step of time: a delay of almost nothing, say)",
                        self.runner.now()
                    )))
                }
                Ok(_) => {}
            }
            py.check_signals()?;
        }
        let (spikes, voltages, weights) = self.runner.drain();
        self.spikes.extend(spikes);
        self.voltages.extend(voltages);
        self.weights.extend(weights);
        // the records kept here count against max_memory too (twice, as the runner counts
        // its own: a result copies them), so a session advanced in many steps stops where
        // one advance would
        let held = std::mem::size_of_val(self.spikes.as_slice())
            + std::mem::size_of_val(self.voltages.as_slice())
            + std::mem::size_of_val(self.weights.as_slice());
        let left = self.budget.saturating_sub(2 * held as u64);
        self.runner.set_guards(guards(left));
        Ok(())
    }

    /// The results so far: `out`'s records with the summary up to now.
    fn result(&self, out: Output) -> PyResult<NativeResult> {
        let mut counts = vec![0u64; out.names.len()];
        for s in &out.spikes {
            counts[s.population as usize] += 1;
        }
        let ending = Ending {
            stop: None,
            simulated_until: self.runner.now(),
        };
        let summary = output::summary(
            self.runner.network(),
            &out.stats,
            &counts,
            self.build_seconds,
            ending,
            Format::Csv,
        );
        let mut summary =
            serde_json::to_value(&summary).map_err(|e| PyValueError::new_err(e.to_string()))?;
        summary["format"] = Value::Null; // nothing was written
        summary["complete"] = Value::Bool(self.runner.now() >= self.duration());
        Ok(NativeResult {
            out,
            summary: summary.to_string(),
        })
    }

    /// A copy of the records so far, as a result.
    fn snapshot(&self) -> PyResult<NativeResult> {
        self.result(Output {
            names: self.names.clone(),
            variables: self.variables.clone(),
            spikes: self.spikes.clone(),
            voltages: self.voltages.clone(),
            weights: self.weights.clone(),
            stats: self.runner.stats(),
        })
    }

    /// The records, moved into a result.
    fn into_result(mut self) -> PyResult<NativeResult> {
        let out = Output {
            names: std::mem::take(&mut self.names),
            variables: std::mem::take(&mut self.variables),
            spikes: std::mem::take(&mut self.spikes),
            voltages: std::mem::take(&mut self.voltages),
            weights: std::mem::take(&mut self.weights),
            stats: self.runner.stats(),
        };
        self.result(out)
    }
}

/// Simulates `net` (with `threads` threads) to its end; see [`Engine::advance`].
fn simulate(
    py: Python<'_>,
    net: exactspike::Network,
    build_seconds: f64,
    threads: usize,
    max_memory: u64,
) -> PyResult<NativeResult> {
    let mut engine = Engine::new(net, build_seconds, threads, max_memory);
    engine.advance(py, f64::INFINITY)?;
    engine.into_result()
}

/// A simulation kept between calls (`exactspike.Session`): advanced to later times on
/// request, its records so far readable at any time. A run advanced in steps gives the
/// records of one run, bit for bit.
#[pyclass(module = "exactspike._native")]
struct NativeSession {
    engine: std::sync::Mutex<Engine>,
}

impl NativeSession {
    fn engine(&self) -> std::sync::MutexGuard<'_, Engine> {
        // (a panic inside the engine is a bug; its state is then no worse than stopped)
        self.engine.lock().unwrap_or_else(|e| e.into_inner())
    }
}

#[pymethods]
impl NativeSession {
    /// Simulates up to `t` ms (at most the duration); earlier times are a no-op.
    fn advance(&self, py: Python<'_>, t: f64) -> PyResult<()> {
        if t.is_nan() {
            return Err(PyValueError::new_err("advance: t is NaN"));
        }
        self.engine().advance(py, t)
    }

    /// Simulated time reached \[ms\].
    fn now(&self) -> f64 {
        self.engine().runner.now()
    }

    /// The duration the session was built with \[ms\].
    fn duration(&self) -> f64 {
        self.engine().duration()
    }

    /// The records so far (a copy), with the summary up to now.
    fn result(&self) -> PyResult<NativeResult> {
        self.engine().snapshot()
    }
}

/// [`run_parts`]'s network, built and kept as a session, not yet simulated.
#[pyfunction]
#[pyo3(signature = (text, name, arrays, max_memory=None, threads=1))]
fn session_parts(
    py: Python<'_>,
    text: &str,
    name: &str,
    arrays: Vec<PyReadonlyArrayDyn<'_, f64>>,
    max_memory: Option<u64>,
    threads: usize,
) -> PyResult<NativeSession> {
    let limits = limits(max_memory);
    let t0 = std::time::Instant::now();
    let net = build_parts(py, text, name, arrays, &limits)?;
    let engine = Engine::new(net, t0.elapsed().as_secs_f64(), threads, limits.max_memory);
    Ok(NativeSession {
        engine: std::sync::Mutex::new(engine),
    })
}

/// [`run_json`]'s network, built and kept as a session, not yet simulated.
#[pyfunction]
#[pyo3(signature = (text, name, max_memory=None, threads=1))]
fn session_json(
    py: Python<'_>,
    text: &str,
    name: &str,
    max_memory: Option<u64>,
    threads: usize,
) -> PyResult<NativeSession> {
    let limits = limits(max_memory);
    let bytes = text.as_bytes();
    let prepared = py
        .detach(|| pipeline::prepare(Source::Bytes { bytes, name }, &limits))
        .map_err(|e| to_py(py, e))?;
    let engine = Engine::new(
        prepared.network,
        prepared.build_seconds,
        threads,
        limits.max_memory,
    );
    Ok(NativeSession {
        engine: std::sync::Mutex::new(engine),
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
        Err(GradientError::Stopped(Stop::MaxMemory)) => {
            Err(pyo3::exceptions::PyMemoryError::new_err(
                "gradient: the forward run's spikes and events in flight outgrew max_memory \
                 (a network that fires without end?)",
            ))
        }
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
        .detach(|| {
            let limits = exactspike::build::BuildOptions::default();
            pipeline::train_to(
                text.as_bytes(),
                "config",
                &out,
                epochs,
                &limits,
                None,
                &mut |_| {},
            )
        })
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
    m.add_class::<NativeSession>()?;
    m.add_function(wrap_pyfunction!(session_json, m)?)?;
    m.add_function(wrap_pyfunction!(session_parts, m)?)?;
    m.add_function(wrap_pyfunction!(run_json, m)?)?;
    m.add_function(wrap_pyfunction!(run_parts, m)?)?;
    m.add_function(wrap_pyfunction!(validate_json, m)?)?;
    m.add_function(wrap_pyfunction!(json_schema, m)?)?;
    m.add_function(wrap_pyfunction!(gradient_json, m)?)?;
    m.add_function(wrap_pyfunction!(train_json, m)?)?;
    Ok(())
}
