//! Parameter sweeps: run one scenario for every combination of values of some JSON fields,
//! in parallel, one output folder per point, plus `sweep.csv` with the summaries.

use crate::monitor;
use crate::scenario::{self, build::BuildOptions};
use crate::simulation::Simulation;
use rayon::prelude::*;
use serde_json::Value;
use std::fmt::Write as _;
use std::path::{Path, PathBuf};
use std::time::Instant;

/// One swept field: a JSON pointer (RFC 6901, e.g. `/inputs/1/delay`) and its values.
#[derive(Clone, Debug, PartialEq)]
pub struct Axis {
    /// JSON pointer into the scenario.
    pub pointer: String,
    /// Values, in order.
    pub values: Vec<Value>,
}

/// Parses `POINTER=VALUES`, where VALUES is a comma-separated list of JSON values
/// (`1,2.5,"x"`) or a numeric range `start:stop:step` (stop included when hit to within a
/// millionth of a step).
pub fn parse_axis(spec: &str) -> Result<Axis, String> {
    let (pointer, values) = spec.split_once('=').ok_or_else(|| {
        format!("--set {spec:?}: expected POINTER=VALUES, e.g. /inputs/1/delay=-0.3:0.3:0.01")
    })?;
    if !pointer.starts_with('/') {
        return Err(format!(
            "--set {spec:?}: the pointer must start with '/', e.g. /duration"
        ));
    }
    let parts: Vec<&str> = values.split(':').collect();
    let vals = if parts.len() == 3 && parts.iter().all(|p| p.trim().parse::<f64>().is_ok()) {
        let [a, b, s] = [parts[0], parts[1], parts[2]].map(|p| p.trim().parse::<f64>().unwrap());
        if !(s != 0.0 && s.is_finite() && a.is_finite() && b.is_finite() && (b - a) / s >= 0.0) {
            return Err(format!(
                "--set {spec:?}: range start:stop:step must step from start towards stop"
            ));
        }
        let n = ((b - a) / s + 1e-6).floor() as u64;
        if n > 1_000_000 {
            return Err(format!("--set {spec:?}: {n} points is too many"));
        }
        // start + k·step, rounded to six decimals below the step's so that 0.01-steps give
        // 0.0 and 0.07, not 5.55e-17 and 0.07000000000000001
        let decimals = (6 - s.abs().log10().floor() as i64).clamp(0, 17) as usize;
        (0..=n)
            .map(|k| {
                let v = a + k as f64 * s;
                let r: f64 = format!("{v:.decimals$}").parse().unwrap_or(v);
                serde_json::json!(if r == 0.0 { 0.0 } else { r })
            })
            .collect()
    } else {
        values
            .split(',')
            .map(|v| {
                serde_json::from_str::<Value>(v.trim())
                    .or_else(|_| Ok::<_, String>(Value::String(v.trim().to_string())))
            })
            .collect::<Result<Vec<_>, _>>()?
    };
    if vals.is_empty() {
        return Err(format!("--set {spec:?}: no values"));
    }
    Ok(Axis {
        pointer: pointer.to_string(),
        values: vals,
    })
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
    /// The run's summary.json.
    pub summary: Value,
}

fn set_pointer(doc: &mut Value, pointer: &str, value: Value) -> Result<(), String> {
    let (parent, key) = pointer.rsplit_once('/').unwrap_or(("", pointer));
    let key = key.replace("~1", "/").replace("~0", "~");
    let target = if parent.is_empty() {
        Some(&mut *doc)
    } else {
        doc.pointer_mut(parent)
    };
    match target {
        Some(Value::Object(m)) => {
            m.insert(key, value);
            Ok(())
        }
        Some(Value::Array(a)) => {
            let i: usize = key.parse().map_err(|_| format!("{pointer}: {key:?} is not a list index"))?;
            let len = a.len();
            let slot = a.get_mut(i).ok_or_else(|| format!("{pointer}: index {i} out of range (list of {len})"))?;
            *slot = value;
            Ok(())
        }
        _ => Err(format!("{pointer}: no such place in the scenario (its parent {parent:?} is missing or not an object/list)")),
    }
}

/// Runs the sweep; every point is checked before any is simulated (an invalid point fails
/// the whole sweep with its error and nothing is run).
/// With `vary_seed`, point k runs with seed `seed + k`.
pub fn run(
    scenario_path: &Path,
    axes: &[Axis],
    out: &Path,
    limits: &BuildOptions,
    vary_seed: bool,
) -> Result<Vec<PointResult>, String> {
    let text = std::fs::read_to_string(scenario_path)
        .map_err(|e| format!("cannot read {}: {e}", scenario_path.display()))?;
    let base: Value = serde_json::from_str(&text)
        .map_err(|e| format!("{}: invalid JSON: {e}", scenario_path.display()))?;
    // cartesian product, last axis fastest
    let mut combos: Vec<Vec<Value>> = vec![vec![]];
    for axis in axes {
        combos = combos
            .into_iter()
            .flat_map(|c| {
                axis.values
                    .iter()
                    .map(move |v| [c.clone(), vec![v.clone()]].concat())
            })
            .collect();
    }
    let stem = scenario_path
        .file_stem()
        .and_then(|s| s.to_str())
        .unwrap_or("scenario")
        .to_string();
    let mut points = Vec::with_capacity(combos.len());
    for (i, values) in combos.into_iter().enumerate() {
        let mut doc = base.clone();
        for (axis, v) in axes.iter().zip(&values) {
            set_pointer(&mut doc, &axis.pointer, v.clone())?;
        }
        if vary_seed {
            let base_seed = doc.get("seed").and_then(Value::as_u64).unwrap_or(0);
            doc["seed"] = serde_json::json!(base_seed.wrapping_add(i as u64));
        }
        let sc = scenario::parse_str(&doc.to_string())
            .map_err(|e| format!("point {i} ({}): {e}", describe(axes, &values)))?;
        // Build once now to validate every point before running any; the networks are
        // dropped and rebuilt per point below, so a sweep holds at most one network per
        // thread in memory (keeping them would hold every point's at once).
        scenario::build::build_with(&sc, &stem, limits)
            .map_err(|e| format!("point {i} ({}): {e}", describe(axes, &values)))?;
        points.push((i, values, doc, sc));
    }
    std::fs::create_dir_all(out)
        .map_err(|e| format!("--out {}: cannot create directory: {e}", out.display()))?;
    let results: Vec<Result<PointResult, String>> = points
        .into_par_iter()
        .map(|(i, values, doc, sc)| {
            let dir = out.join(format!("point-{i:04}"));
            let t0 = Instant::now();
            let net = scenario::build::build_with(&sc, &stem, limits).map_err(|e| e.to_string())?;
            let build_seconds = t0.elapsed().as_secs_f64();
            let (net, output) = Simulation::new(net).run_to_end();
            let summary = monitor::write_outputs(&dir, &net, &output, build_seconds)
                .map_err(|e| e.to_string())?;
            monitor::write_file(
                &dir,
                "scenario.json",
                serde_json::to_string_pretty(&doc)
                    .unwrap_or_default()
                    .as_bytes(),
            )
            .map_err(|e| e.to_string())?;
            Ok(PointResult {
                index: i,
                values,
                dir,
                summary,
            })
        })
        .collect();
    let results: Vec<PointResult> = results.into_iter().collect::<Result<_, _>>()?;
    monitor::write_file(out, "sweep.csv", sweep_csv(axes, &results).as_bytes())
        .map_err(|e| e.to_string())?;
    Ok(results)
}

fn describe(axes: &[Axis], values: &[Value]) -> String {
    axes.iter()
        .zip(values)
        .map(|(a, v)| format!("{}={v}", a.pointer))
        .collect::<Vec<_>>()
        .join(", ")
}

/// The combined table: point, one column per axis, then summary counters.
pub fn sweep_csv(axes: &[Axis], results: &[PointResult]) -> String {
    let mut s = String::from("point");
    for a in axes {
        let _ = write!(s, ",{}", a.pointer);
    }
    s.push_str(",spikes,events,neuron_spikes,wall_seconds,events_per_second,dir\n");
    for r in results {
        let _ = write!(s, "{}", r.index);
        for v in &r.values {
            let _ = write!(s, ",{}", csv_value(v));
        }
        let g = |k: &str| r.summary.get(k).cloned().unwrap_or(Value::Null);
        let _ = writeln!(
            s,
            ",{},{},{},{},{},{}",
            g("spikes"),
            g("events"),
            g("neuron_spikes"),
            g("wall_seconds"),
            g("events_per_second"),
            r.dir.file_name().and_then(|d| d.to_str()).unwrap_or("")
        );
    }
    s
}

fn csv_value(v: &Value) -> String {
    match v {
        Value::String(s) => s.clone(),
        other => other.to_string().replace(',', ";"),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

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
    }
}
