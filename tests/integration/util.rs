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
