//! Parameter sweeps: run one scenario for every combination of values of some JSON fields,
//! in parallel, one output folder per point (`point-NNNN/`, each written by the one run
//! pipeline, with its guards and stop flag), plus `sweep.csv` with the summaries.
//!
//! Points are generated from their index (the last axis varies fastest), so a sweep holds
//! in memory only the points being run. Every point is checked before any is simulated.

use crate::error::RunError;
use crate::output::OutputDir;
use crate::pipeline::{self, RunOptions, Source};
use crate::records::Summary;
use rayon::prelude::*;
use serde_json::Value;
use std::fmt::Write as _;
use std::path::{Path, PathBuf};

/// Most points in one sweep (the product over all axes).
pub const MAX_POINTS: u64 = 100_000;

/// One swept field: a JSON pointer (RFC 6901, e.g. `/inputs/1/delay`) and its values.
#[derive(Clone, Debug, PartialEq)]
pub struct Axis {
    /// JSON pointer into the scenario.
    pub pointer: String,
    /// Values, in order.
    pub values: Vec<Value>,
}

fn opt_err(spec: &str, msg: impl std::fmt::Display) -> RunError {
    RunError::Option(format!("--set {spec:?}: {msg}"))
}

/// Parses `POINTER=VALUES`, where VALUES is a numeric range `start:stop:step` (stop
/// included when hit to within a millionth of a step), a JSON list (`[1, 2.5, "x"]`), or a
/// comma-separated list of JSON values (`1,2.5,"x"`; a bare word is a string).
pub fn parse_axis(spec: &str) -> Result<Axis, RunError> {
    let (pointer, values) = spec.split_once('=').ok_or_else(|| {
        opt_err(
            spec,
            "expected POINTER=VALUES, e.g. /inputs/1/delay=-0.3:0.3:0.01",
        )
    })?;
    if !pointer.starts_with('/') {
        return Err(opt_err(
            spec,
            "the pointer must start with '/', e.g. /duration",
        ));
    }
    let values = values.trim();
    let parts: Vec<&str> = values.split(':').collect();
    let nums: Vec<f64> = parts.iter().filter_map(|p| p.trim().parse().ok()).collect();
    let vals = if parts.len() == 3 && nums.len() == 3 {
        range(spec, nums[0], nums[1], nums[2])?
    } else if values.starts_with('[') {
        match serde_json::from_str::<Value>(values) {
            Ok(Value::Array(items)) => items,
            _ => return Err(opt_err(spec, "not a JSON list")),
        }
    } else if let Ok(Value::Array(items)) = serde_json::from_str(&format!("[{values}]")) {
        // JSON values, commas inside strings, lists and objects included
        items
    } else {
        top_level(values)
            .into_iter()
            .map(|v| {
                let v = v.trim();
                serde_json::from_str::<Value>(v).unwrap_or_else(|_| Value::String(v.into()))
            })
            .collect()
    };
    if vals.is_empty() {
        return Err(opt_err(spec, "no values"));
    }
    if vals.len() as u64 > MAX_POINTS {
        return Err(opt_err(
            spec,
            format!("{} values; at most {MAX_POINTS}", vals.len()),
        ));
    }
    Ok(Axis {
        pointer: pointer.to_string(),
        values: vals,
    })
}

/// `text` split at the commas outside quotes, brackets and braces.
fn top_level(text: &str) -> Vec<&str> {
    let (mut parts, mut start, mut depth, mut quoted, mut escaped) =
        (vec![], 0, 0i32, false, false);
    for (i, c) in text.char_indices() {
        match c {
            _ if escaped => escaped = false,
            '\\' if quoted => escaped = true,
            '"' => quoted = !quoted,
            '[' | '{' if !quoted => depth += 1,
            ']' | '}' if !quoted => depth -= 1,
            ',' if !quoted && depth == 0 => {
                parts.push(&text[start..i]);
                start = i + 1;
            }
            _ => {}
        }
    }
    parts.push(&text[start..]);
    parts
}

/// `start, start + step, …` up to `stop`; whole numbers when start and step are whole.
fn range(spec: &str, a: f64, b: f64, s: f64) -> Result<Vec<Value>, RunError> {
    if !(s != 0.0 && s.is_finite() && a.is_finite() && b.is_finite() && (b - a) / s >= 0.0) {
        return Err(opt_err(
            spec,
            "range start:stop:step must step from start towards stop",
        ));
    }
    let n = ((b - a) / s + 1e-6).floor();
    if n + 1.0 > MAX_POINTS as f64 {
        return Err(opt_err(
            spec,
            format!("{} points; at most {MAX_POINTS}", n + 1.0),
        ));
    }
    let whole = a.fract() == 0.0 && s.fract() == 0.0 && a.abs() < 9e15 && b.abs() < 9e15;
    // start + k·step, rounded to six decimals below the step's so that 0.01-steps give
    // 0.0 and 0.07, not 5.55e-17 and 0.07000000000000001
    let decimals = (6 - s.abs().log10().floor() as i64).clamp(0, 17) as usize;
    Ok((0..=n as u64)
        .map(|k| {
            let v = a + k as f64 * s;
            if whole {
                return serde_json::json!(v as i64);
            }
            let r: f64 = format!("{v:.decimals$}").parse().unwrap_or(v);
            serde_json::json!(if r == 0.0 { 0.0 } else { r })
        })
        .collect())
}

/// One point of a sweep and what it produced.
#[derive(Clone, Debug)]
pub struct PointResult {
    /// Point index.
    pub index: usize,
    /// The values set, one per axis.
    pub values: Vec<Value>,
    /// Output folder.
    pub dir: PathBuf,
    /// The run's summary.
    pub summary: Summary,
}

/// Sets the value at `pointer`, which must name an existing field (or list element) or a
/// new key of an existing object. A whole number replaces a field that holds a whole
/// number as an integer, so integer fields (`/seed`, sizes) can be range-swept.
fn set_pointer(doc: &mut Value, pointer: &str, mut value: Value) -> Result<(), String> {
    if let (Some(old), Some(v)) = (doc.pointer(pointer), value.as_f64()) {
        if old.is_u64() && v >= 0.0 && v.fract() == 0.0 && v < 1.8e19 {
            value = serde_json::json!(v as u64);
        }
    }
    if let Some(slot) = doc.pointer_mut(pointer) {
        *slot = value;
        return Ok(());
    }
    let (parent, key) = pointer.rsplit_once('/').unwrap_or(("", pointer));
    let key = key.replace("~1", "/").replace("~0", "~");
    match doc.pointer_mut(parent) {
        Some(Value::Object(m)) => {
            m.insert(key, value);
            Ok(())
        }
        Some(Value::Array(a)) => Err(format!("{pointer}: index {key:?} out of range (list of {})", a.len())),
        _ => Err(format!(
            "{pointer}: no such place in the scenario (its parent {parent:?} is missing or not an object/list)"
        )),
    }
}

/// A sweep being run.
struct Plan<'a> {
    base: Value,
    axes: &'a [Axis],
    vary_seed: bool,
    n: u64,
}

impl Plan<'_> {
    /// The values of point `i` (mixed radix, last axis fastest).
    fn values(&self, mut i: u64) -> Vec<Value> {
        let mut out = vec![Value::Null; self.axes.len()];
        for (k, a) in self.axes.iter().enumerate().rev() {
            let len = a.values.len() as u64;
            out[k] = a.values[(i % len) as usize].clone();
            i /= len;
        }
        out
    }

    /// The scenario text of point `i`.
    fn doc(&self, i: u64, values: &[Value]) -> Result<Vec<u8>, RunError> {
        let mut doc = self.base.clone();
        for (axis, v) in self.axes.iter().zip(values) {
            set_pointer(&mut doc, &axis.pointer, v.clone()).map_err(RunError::Option)?;
        }
        if self.vary_seed {
            let base_seed = doc.get("seed").and_then(Value::as_u64).unwrap_or(0);
            doc["seed"] = serde_json::json!(base_seed.wrapping_add(i));
        }
        serde_json::to_vec_pretty(&doc).map_err(|e| RunError::Option(e.to_string()))
    }
}

fn describe(axes: &[Axis], values: &[Value]) -> String {
    let parts: Vec<String> = axes
        .iter()
        .zip(values)
        .map(|(a, v)| format!("{}={v}", a.pointer))
        .collect();
    parts.join(", ")
}

/// Runs the sweep into `out` with `opts` for every point (their guards and stop flag;
/// a stopped point stops the sweep: the points not run are left out of `sweep.csv`).
/// With `vary_seed`, point k runs with seed `seed + k`.
pub fn run(
    scenario_path: &Path,
    axes: &[Axis],
    out: &Path,
    opts: &RunOptions,
    vary_seed: bool,
) -> Result<Vec<PointResult>, RunError> {
    for (k, a) in axes.iter().enumerate() {
        if axes[..k].iter().any(|b| b.pointer == a.pointer) {
            return Err(RunError::Option(format!(
                "--set {}: given twice",
                a.pointer
            )));
        }
    }
    let n = axes
        .iter()
        .try_fold(1u64, |n, a| n.checked_mul(a.values.len() as u64));
    let n = n.filter(|&n| n <= MAX_POINTS).ok_or_else(|| {
        RunError::Option(format!(
            "the sweep has more than {MAX_POINTS} points in total"
        ))
    })?;
    let bytes = crate::scenario::read_bytes(scenario_path)?;
    let name = scenario_path.display().to_string();
    crate::scenario::parse_bytes(&bytes, &name)?;
    let base: Value = serde_json::from_slice(bytes.strip_prefix(b"\xEF\xBB\xBF").unwrap_or(&bytes))
        .map_err(|e| RunError::Option(format!("{name}: {e}")))?;
    let plan = Plan {
        base,
        axes,
        vary_seed,
        n,
    };
    let stem = crate::scenario::file_stem(scenario_path);
    // every point checked before any runs (built and dropped: bounded memory)
    (0..plan.n).into_par_iter().try_for_each(|i| {
        let values = plan.values(i);
        let doc = plan.doc(i, &values)?;
        let source = Source::Bytes {
            bytes: &doc,
            name: &stem,
        };
        pipeline::prepare(source, &opts.limits)
            .map(drop)
            .map_err(|e| RunError::Option(format!("point {i} ({}): {e}", describe(axes, &values))))
    })?;
    // (its tables are not among a run's files, which OutputDir guards)
    if out.is_dir() {
        crate::output::refuse_foreign(out, &["sweep.csv", "readout.csv"])?;
    }
    let root = OutputDir::open(out)?;
    clear_old_points(out)?;
    let results: Vec<Option<PointResult>> = (0..plan.n)
        .into_par_iter()
        .map(|i| run_point(&plan, i, out, &stem, opts))
        .collect::<Result<_, _>>()?;
    let results: Vec<PointResult> = results.into_iter().flatten().collect();
    root.write("sweep.csv", sweep_csv(axes, &results).as_bytes())?;
    Ok(results)
}

/// Runs point `i`, unless the sweep has been stopped.
fn run_point(
    plan: &Plan,
    i: u64,
    out: &Path,
    stem: &str,
    opts: &RunOptions,
) -> Result<Option<PointResult>, RunError> {
    if opts.stop.as_ref().is_some_and(|s| s.requested().is_some()) {
        return Ok(None);
    }
    let values = plan.values(i);
    let doc = plan.doc(i, &values)?;
    let dir = out.join(format!("point-{i:04}"));
    let source = Source::Bytes {
        bytes: &doc,
        name: stem,
    };
    let summary = pipeline::run_scenario(source, &dir, opts, &mut |_| {})?;
    Ok(Some(PointResult {
        index: i as usize,
        values,
        dir,
        summary,
    }))
}

/// Removes the `point-*` folders of an earlier sweep into `out` (only exactspike output
/// folders: they hold the lock file) and its tables.
fn clear_old_points(out: &Path) -> Result<(), RunError> {
    let io = |e: std::io::Error| {
        RunError::Output(crate::error::OutputError::Io {
            path: out.to_path_buf(),
            source: e,
        })
    };
    for entry in std::fs::read_dir(out).map_err(io)? {
        let entry = entry.map_err(io)?;
        let name = entry.file_name();
        let is_point = name.to_str().is_some_and(|n| n.starts_with("point-"));
        let ours = entry.path().join(crate::output::LOCK_FILE).is_file();
        if is_point && entry.file_type().map_err(io)?.is_dir() && ours {
            std::fs::remove_dir_all(entry.path()).map_err(io)?;
        }
    }
    for f in ["sweep.csv", "readout.csv"] {
        match std::fs::remove_file(out.join(f)) {
            Err(e) if e.kind() != std::io::ErrorKind::NotFound => return Err(io(e)),
            _ => {}
        }
    }
    Ok(())
}

/// The combined table: point, one column per axis, then summary counters.
pub fn sweep_csv(axes: &[Axis], results: &[PointResult]) -> String {
    let mut s = String::from("point");
    for a in axes {
        let _ = write!(s, ",{}", csv_field(&a.pointer));
    }
    s.push_str(",spikes,events,neuron_spikes,wall_seconds,events_per_second,complete,dir\n");
    for r in results {
        let _ = write!(s, "{}", r.index);
        for v in &r.values {
            let _ = write!(s, ",{}", csv_value(v));
        }
        let m = &r.summary;
        let _ = writeln!(
            s,
            ",{},{},{},{},{},{},{}",
            m.spikes,
            m.events,
            m.neuron_spikes,
            m.wall_seconds,
            m.events_per_second,
            m.complete,
            r.dir.file_name().and_then(|d| d.to_str()).unwrap_or("")
        );
    }
    s
}

/// A value as one CSV field: a string as itself (as JSON if it holds a line break), any
/// other value as JSON; quoted when needed ([`csv_field`]).
fn csv_value(v: &Value) -> String {
    match v {
        Value::String(s) if !s.contains(['\n', '\r']) => csv_field(s),
        other => csv_field(&other.to_string()),
    }
}

/// `s` as one CSV field: quoted (RFC 4180) when it holds a comma or a quote.
pub fn csv_field(s: &str) -> String {
    if s.contains([',', '"']) {
        format!("\"{}\"", s.replace('"', "\"\""))
    } else {
        s.to_string()
    }
}

/// The fields of one line of a CSV table written by [`sweep_csv`] (quoted fields unquoted).
pub fn csv_fields(line: &str) -> Vec<String> {
    let (mut fields, mut field, mut quoted) = (vec![], String::new(), false);
    let mut chars = line.chars().peekable();
    while let Some(c) = chars.next() {
        match c {
            '"' if quoted && chars.peek() == Some(&'"') => {
                field.push('"');
                chars.next();
            }
            '"' => quoted = !quoted,
            ',' if !quoted => fields.push(std::mem::take(&mut field)),
            c => field.push(c),
        }
    }
    fields.push(field);
    fields
}

/// A sweep's table read back: the axis pointers, and per point its folder name and the
/// axis values as written.
pub type SweepTable = (Vec<String>, Vec<(String, Vec<String>)>);

/// The point folders and axis values listed in a sweep's `sweep.csv`.
pub fn read_sweep_csv(dir: &Path) -> Result<SweepTable, RunError> {
    let path = dir.join("sweep.csv");
    let bad = |m: String| RunError::Results(crate::error::ResultsError::new(&path, m));
    let text = std::fs::read_to_string(&path).map_err(|e| bad(format!("cannot read: {e}")))?;
    let mut lines = text.lines();
    let header = csv_fields(lines.next().unwrap_or(""));
    let Some(n_axes) = header
        .iter()
        .position(|h| *h == "spikes")
        .and_then(|p| p.checked_sub(1))
    else {
        return Err(bad("no \"spikes\" column: not a sweep table".into()));
    };
    let axes = header[1..=n_axes].iter().map(|s| s.to_string()).collect();
    let mut points = Vec::new();
    for (k, line) in lines.enumerate() {
        let f = csv_fields(line);
        if f.len() != header.len() {
            return Err(bad(format!(
                "line {}: expected {} fields, got {}",
                k + 2,
                header.len(),
                f.len()
            )));
        }
        let point = &f[f.len() - 1];
        if !point.starts_with("point-") || point.contains(['/', '\\']) {
            return Err(bad(format!(
                "line {}: {point:?} is not a point folder",
                k + 2
            )));
        }
        points.push((
            point.to_string(),
            f[1..=n_axes].iter().map(|s| s.to_string()).collect(),
        ));
    }
    Ok((axes, points))
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Commas inside JSON strings, lists and objects do not split a list of values, and
    /// such values survive a trip through `sweep.csv`.
    #[test]
    fn commas_inside_values() {
        let a = parse_axis(r#"/name="a,b","c""#).unwrap();
        assert_eq!(a.values, vec![Value::from("a,b"), Value::from("c")]);
        let b = parse_axis(r#"/rule={"fixed_probability":0.1},all_to_all"#).unwrap();
        assert_eq!(
            b.values,
            vec![
                serde_json::json!({"fixed_probability": 0.1}),
                Value::from("all_to_all")
            ]
        );
        for v in [
            &a.values[0],
            &b.values[0],
            &Value::from("say \"hi\", twice"),
        ] {
            let line = format!("0,{},x", csv_value(v));
            let f = csv_fields(&line);
            assert_eq!(f.len(), 3, "{line}");
            let want = match v {
                Value::String(s) => s.clone(),
                other => other.to_string(),
            };
            assert_eq!(f[1], want);
        }
    }

    /// A folder that is not an exactspike output folder keeps its own sweep.csv.
    #[test]
    fn a_foreign_sweep_table_is_not_overwritten() {
        let dir = std::env::temp_dir().join(format!("es-sweep-foreign-{}", std::process::id()));
        std::fs::create_dir_all(&dir).unwrap();
        std::fs::write(dir.join("sweep.csv"), "mine").unwrap();
        let axes = [parse_axis("/seed=1,2").unwrap()];
        let scenario = dir.join("s.json");
        let base = r#"{"duration": 1, "populations": [{"name": "p", "size": 1, "model": "lif", "params": {"tau_m": 10, "v_th": -50}}]}"#;
        std::fs::write(&scenario, base).unwrap();
        let err = run(&scenario, &axes, &dir, &RunOptions::default(), false);
        let msg = err.unwrap_err().to_string();
        assert!(msg.contains("not an exactspike output"), "{msg}");
        assert_eq!(
            std::fs::read_to_string(dir.join("sweep.csv")).unwrap(),
            "mine"
        );
        std::fs::remove_dir_all(&dir).unwrap();
    }

    #[test]
    fn ranges_and_lists() {
        let a = parse_axis("/inputs/1/delay=-0.3:0.3:0.1").unwrap();
        assert_eq!(a.pointer, "/inputs/1/delay");
        let v: Vec<f64> = a.values.iter().map(|v| v.as_f64().unwrap()).collect();
        assert_eq!(v, vec![-0.3, -0.2, -0.1, 0.0, 0.1, 0.2, 0.3]);
        let b = parse_axis("/seed=1,2,3").unwrap();
        assert_eq!(b.values.len(), 3);
        assert!(parse_axis("seed=1").is_err());
        assert!(parse_axis("/x=1:0:0.1").is_err());
        let c = parse_axis("/seed=1:4:1").unwrap();
        assert_eq!(
            c.values,
            vec![
                serde_json::json!(1),
                serde_json::json!(2),
                serde_json::json!(3),
                serde_json::json!(4)
            ]
        );
        let d = parse_axis("/x=[[1, 2], 3]").unwrap();
        assert_eq!(
            d.values,
            vec![serde_json::json!([1, 2]), serde_json::json!(3)]
        );
        assert!(parse_axis("/x=0:1e9:1").is_err());
    }

    #[test]
    fn whole_numbers_fill_integer_fields_as_integers() {
        let mut doc = serde_json::json!({"seed": 3, "duration": 10.0});
        set_pointer(&mut doc, "/seed", serde_json::json!(7.0)).unwrap();
        set_pointer(&mut doc, "/duration", serde_json::json!(20)).unwrap();
        assert_eq!(doc, serde_json::json!({"seed": 7, "duration": 20}));
        assert!(set_pointer(&mut doc, "/a/b", serde_json::json!(1)).is_err());
    }
}
