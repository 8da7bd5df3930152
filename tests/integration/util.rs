//! Helpers: run the real binary, read outputs, compare numbers with a readable message.

use std::path::{Path, PathBuf};
use std::process::{Command, Output};

pub fn bin() -> Command {
    Command::new(env!("CARGO_BIN_EXE_exactspike"))
}

pub fn repo() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
}

/// A fresh temporary directory, removed on drop.
pub struct TempDir(pub PathBuf);

impl TempDir {
    pub fn new(tag: &str) -> TempDir {
        use std::sync::atomic::{AtomicU64, Ordering};
        static N: AtomicU64 = AtomicU64::new(0);
        let p = std::env::temp_dir().join(format!(
            "exactspike-test-{}-{}-{tag}",
            std::process::id(),
            N.fetch_add(1, Ordering::Relaxed)
        ));
        let _ = std::fs::remove_dir_all(&p);
        std::fs::create_dir_all(&p).unwrap();
        TempDir(p)
    }
    pub fn path(&self) -> &Path {
        &self.0
    }
}

impl Drop for TempDir {
    fn drop(&mut self) {
        let _ = std::fs::remove_dir_all(&self.0);
    }
}

/// `exactspike run FILE --out OUT --quiet EXTRA...`.
pub fn run_file(file: &Path, out: &Path, extra: &[&str]) -> Output {
    bin()
        .arg("run")
        .arg(file)
        .arg("--out")
        .arg(out)
        .arg("--quiet")
        .args(extra)
        .output()
        .unwrap()
}

/// Writes `scenario` to a file in `dir` and runs `exactspike run` on it with `--out dir/out`.
pub fn run_json(dir: &Path, scenario: &serde_json::Value) -> (Output, PathBuf) {
    let sp = dir.join("scenario.json");
    std::fs::write(&sp, serde_json::to_string_pretty(scenario).unwrap()).unwrap();
    let out = dir.join("out");
    (run_file(&sp, &out, &[]), out)
}

/// Spike times of `population` from spikes.csv, in file order.
pub fn spikes_of(out: &Path, population: &str) -> Vec<f64> {
    read_spikes(out)
        .into_iter()
        .filter(|(p, _, _)| p == population)
        .map(|(_, _, t)| t)
        .collect()
}

pub fn read_spikes(out: &Path) -> Vec<(String, usize, f64)> {
    let text = std::fs::read_to_string(out.join("spikes.csv")).unwrap();
    let mut lines = text.lines();
    assert_eq!(lines.next(), Some("population,neuron,time"));
    lines
        .map(|l| {
            let f: Vec<&str> = l.split(',').collect();
            (
                f[0].to_string(),
                f[1].parse().unwrap(),
                f[2].parse().unwrap(),
            )
        })
        .collect()
}

pub fn assert_close(got: f64, want: f64, tol: f64, what: &str) {
    assert!(
        (got - want).abs() <= tol,
        "{what}: got {got}, want {want}, difference {:e} > tolerance {tol:e}",
        (got - want).abs()
    );
}

pub fn assert_success(o: &Output) {
    assert!(
        o.status.success(),
        "exactspike failed ({:?}):\n{}",
        o.status.code(),
        String::from_utf8_lossy(&o.stderr)
    );
}

/// Asserts that the binary exited with `code`, showing its stderr otherwise.
pub fn assert_exit(o: &Output, code: i32) {
    assert_eq!(
        o.status.code(),
        Some(code),
        "{}",
        String::from_utf8_lossy(&o.stderr)
    );
}

/// Asserts a refusal: exit 2, stderr naming every one of `words`, and no output folder `out`
/// left behind.
pub fn assert_refused(o: &Output, words: &[&str], out: &Path) {
    let stderr = String::from_utf8_lossy(&o.stderr);
    assert_eq!(o.status.code(), Some(2), "{stderr}");
    for w in words {
        assert!(stderr.contains(w), "stderr should name {w:?}: {stderr}");
    }
    assert!(!out.exists(), "output left behind: {}", out.display());
}

/// Runs every scenario of a reference file (`[{"scenario": …, "spikes": ["t", …]}, …]`,
/// made by a script in `validation/numerics/`) through the library and compares its spike
/// times (1e−9 ms); the number of reference spikes and the largest error.
pub fn match_reference(file: &str) -> (usize, f64) {
    let text = std::fs::read_to_string(repo().join(file)).unwrap();
    let cases: serde_json::Value = serde_json::from_str(&text).unwrap();
    let (mut worst, mut total) = (0.0f64, 0);
    for c in cases.as_array().unwrap() {
        let name = c["scenario"]["name"].as_str().unwrap().to_string();
        let out = run_value(c["scenario"].clone());
        let want: Vec<f64> = c["spikes"]
            .as_array()
            .unwrap()
            .iter()
            .map(|s| s.as_str().unwrap().parse().unwrap())
            .collect();
        let got: Vec<f64> = out.spikes.iter().map(|s| s.time).collect();
        assert_eq!(got.len(), want.len(), "{name}: {got:?} vs {want:?}");
        for (&g, &w) in got.iter().zip(&want) {
            assert_close(g, w, 1e-9, &format!("{name}: spike time"));
            worst = worst.max((g - w).abs());
        }
        total += want.len();
    }
    (total, worst)
}

/// A recurrent network of 300 `linear` resonators (3 variables) and 200 `lif` neurons, with
/// a sinusoid on three resonators and voltage and state probes (threads and MPI tests).
pub fn resonator_network(duration: f64) -> serde_json::Value {
    serde_json::json!({"duration": duration, "seed": 5,
        "populations": [
            {"name": "res", "size": 300, "model": "linear", "params": {
                "variables": ["v", "w", "i_e"],
                "matrix": [[-0.1, -1.0, 0.1], [0.1, -0.05, 0.0], [0.0, 0.0, -0.2]],
                "rest": [-65.0, 0.0, 0.0], "v_th": -50.0, "t_ref": 2.0,
                "v_init": {"uniform": [-66.0, -55.0]},
                "receptors": ["i_e", "w"], "jumps": {"w": 0.5}}},
            {"name": "lif", "size": 200, "model": "lif", "params": {
                "tau_m": 10.0, "v_th": -50.0, "v_rest": -65.0, "t_ref": 2.0}}],
        "inputs": [{"name": "p", "kind": "poisson", "size": 100, "rate": 20.0}],
        "connections": [
            {"from": "p", "to": "res", "rule": {"fixed_indegree": 10}, "weight": 60.0, "delay": 0.5},
            {"from": "res", "to": "lif", "rule": {"fixed_indegree": 20}, "weight": 2.0, "delay": 1.2},
            {"from": "lif", "to": "res", "rule": {"fixed_indegree": 10}, "weight": 1.0,
             "delay": 0.8, "receptor": 1}],
        "currents": [{"to": "res", "times": [50.0, 120.0], "amplitudes": [40.0, 0.0]},
                     {"to": "res", "neurons": [0, 5, 299], "sine": {"amplitude": 30.0,
                      "frequency": 60.0, "start": 30.3, "stop": 120.0}}],
        "record": {"spikes": ["res", "lif"],
                   "voltage": [{"population": "res", "neurons": [0, 1, 299], "every": 0.9}],
                   "state": [{"population": "res", "variable": "w", "neurons": [3, 0, 200],
                              "every": 1.1},
                             {"population": "lif", "variable": "v", "every": 5.0}]}})
}

/// Parses and runs a scenario given as JSON through the library.
pub fn run_value(v: serde_json::Value) -> exactspike::records::Output {
    exactspike::run(&exactspike::scenario::parse_str(&v.to_string()).unwrap()).unwrap()
}
