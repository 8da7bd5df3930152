//! Fuzzing the edges around the engine: command-line arguments, and output files read back
//! (`plot`, `jeffress-readout`, sweep tables, the results reader). Every input gets a result
//! or a clear error (exit 2), never a panic or a hang. Bounded case counts keep CI short.

use crate::util::*;
use exactspike::build::BuildOptions;
use exactspike::results::Results;
use proptest::prelude::*;
use std::path::{Path, PathBuf};
use std::sync::OnceLock;

/// Words the argument fuzzer builds command lines from.
const WORDS: [&str; 40] = [
    "LOSS",
    "CONFIG",
    "--loss",
    "--epochs",
    "--threads",
    "3",
    "--out",
    "--max-wall",
    "--max-events",
    "--max-memory",
    "--format",
    "--set",
    "--frac",
    "--jobs",
    "--grid-dt",
    "--grid-delays",
    "--vary-seed",
    "--detectors",
    "--compare",
    "-v",
    "-q",
    "1e19",
    "nan",
    "-1",
    "0",
    "inf",
    "1GB",
    "0.0001",
    "npy",
    "csv",
    "/seed=1:2:1",
    "/x=[1",
    "/seed=1,2",
    "=",
    "",
    "💥",
    "SCENARIO",
    "MISSING",
    "/dev/null",
    "OUT",
];
const COMMANDS: [&str; 10] = [
    "run",
    "gradient",
    "train",
    "validate",
    "schema",
    "sweep",
    "plot",
    "jeffress-readout",
    "bogus",
    "--help",
];

/// A small valid scenario, shared by all cases.
fn scenario() -> &'static PathBuf {
    static F: OnceLock<PathBuf> = OnceLock::new();
    F.get_or_init(|| {
        let dir = std::env::temp_dir().join(format!("exactspike-fuzzcli-{}", std::process::id()));
        std::fs::create_dir_all(&dir).unwrap();
        let f = dir.join("s.json");
        std::fs::copy(repo().join("tests/data/golden/small/scenario.json"), &f).unwrap();
        let loss =
            r#"{"kind": "spike_times", "population": "exc", "targets": [[1], [], [], [], [2, 3]]}"#;
        std::fs::write(dir.join("loss.json"), loss).unwrap();
        let mut cfg: serde_json::Value = serde_json::from_str(
            &std::fs::read_to_string(repo().join("examples/yinyang.json")).unwrap(),
        )
        .unwrap();
        cfg["data"]["train"] = serde_json::json!(20);
        cfg["data"]["test"] = serde_json::json!(10);
        cfg["network"]["populations"][0]["size"] = serde_json::json!(5);
        cfg["epochs"] = serde_json::json!(1);
        std::fs::write(dir.join("train.json"), cfg.to_string()).unwrap();
        f
    })
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 200, failure_persistence: None, ..ProptestConfig::default() })]

    #[test]
    fn command_lines_never_panic(cmd in 0usize..COMMANDS.len(), words in prop::collection::vec(0usize..WORDS.len(), 0..6)) {
        let tmp = TempDir::new("fuzzcli");
        let out = tmp.path().join("o");
        let args: Vec<String> = std::iter::once(COMMANDS[cmd].to_string())
            .chain(words.iter().map(|&w| match WORDS[w] {
                "SCENARIO" => scenario().display().to_string(),
                "LOSS" => scenario().with_file_name("loss.json").display().to_string(),
                "CONFIG" => scenario().with_file_name("train.json").display().to_string(),
                "MISSING" => tmp.path().join("missing.json").display().to_string(),
                "OUT" => out.display().to_string(),
                w => w.to_string(),
            }))
            .collect();
        let o = bin().args(&args).env("RUST_BACKTRACE", "0").output().unwrap();
        let err = String::from_utf8_lossy(&o.stderr);
        prop_assert!(!err.contains("panicked"), "{args:?}: {err}");
        prop_assert!(matches!(o.status.code(), Some(0 | 2 | 3)), "{args:?}: {:?} {err}", o.status);
    }
}

/// A run directory in each format and a one-axis Jeffress-style sweep with its read-out,
/// made once; cases copy and damage them.
fn fixtures() -> &'static PathBuf {
    static D: OnceLock<PathBuf> = OnceLock::new();
    D.get_or_init(|| {
        let dir = std::env::temp_dir().join(format!("exactspike-fuzzout-{}", std::process::id()));
        let _ = std::fs::remove_dir_all(&dir);
        std::fs::create_dir_all(&dir).unwrap();
        let mut sc: serde_json::Value = serde_json::from_str(
            &std::fs::read_to_string(repo().join("examples/jeffress.json")).unwrap(),
        )
        .unwrap();
        sc["duration"] = serde_json::json!(30.0);
        let f = dir.join("j.json");
        std::fs::write(&f, sc.to_string()).unwrap();
        assert_success(&run_file(&f, &dir.join("csv"), &[]));
        assert_success(&run_file(&f, &dir.join("npy"), &["--format", "npy"]));
        let o = bin()
            .args([
                "sweep",
                f.to_str().unwrap(),
                "--quiet",
                "--set",
                "/seed=1,2",
                "--out",
            ])
            .arg(dir.join("sweep"))
            .output()
            .unwrap();
        assert_success(&o);
        let o = bin()
            .arg("jeffress-readout")
            .arg(dir.join("sweep"))
            .output()
            .unwrap();
        assert_success(&o);
        dir
    })
}

fn copy_dir(from: &Path, to: &Path) {
    std::fs::create_dir_all(to).unwrap();
    for e in std::fs::read_dir(from).unwrap() {
        let e = e.unwrap();
        if e.file_type().unwrap().is_dir() {
            copy_dir(&e.path(), &to.join(e.file_name()));
        } else {
            std::fs::copy(e.path(), to.join(e.file_name())).unwrap();
        }
    }
}

/// Damage: cut at `cut`, then overwrite or insert bytes.
fn damage(bytes: &mut Vec<u8>, cut: usize, edits: &[(usize, u8, bool)]) {
    if cut < bytes.len() {
        bytes.truncate(cut.max(1));
    }
    const NASTY: [&[u8]; 6] = [b"inf", b"nan", b",", b"\n", b"-1", b"1e999"];
    for &(at, b, insert) in edits {
        let at = at % (bytes.len() + 1);
        if insert {
            let piece = NASTY[b as usize % NASTY.len()];
            bytes.splice(at..at, piece.iter().copied());
        } else if at < bytes.len() {
            bytes[at] = b;
        }
    }
}

const FILES: [(&str, &str); 9] = [
    ("csv", "spikes.csv"),
    ("npy", "scenario.json"),
    ("csv", "summary.json"),
    ("csv", "scenario.json"),
    ("npy", "spikes.npy"),
    ("npy", "summary.json"),
    ("sweep", "sweep.csv"),
    ("sweep", "readout.csv"),
    ("sweep", "point-0000/spikes.csv"),
];

proptest! {
    #![proptest_config(ProptestConfig { cases: 400, failure_persistence: None, ..ProptestConfig::default() })]

    #[test]
    fn damaged_output_files_never_panic_the_readers(
        which in 0usize..FILES.len(),
        cut in 0usize..4000,
        edits in prop::collection::vec((0usize..4000, any::<u8>(), any::<bool>()), 0..5),
    ) {
        let tmp = TempDir::new("fuzzout");
        let (sub, file) = FILES[which];
        let dir = tmp.path().join(sub);
        copy_dir(&fixtures().join(sub), &dir);
        let path = dir.join(file);
        let mut bytes = std::fs::read(&path).unwrap();
        damage(&mut bytes, cut, &edits);
        std::fs::write(&path, bytes).unwrap();
        // the library readers: a value or an error
        if let Ok(r) = Results::open(&dir) {
            let _ = r.spikes();
            let _ = r.voltages();
            let _ = r.spikes_of("detectors");
        }
        let names = exactspike::analysis::JeffressNames::default();
        let _ = exactspike::analysis::readout_dir(&dir, &names, 0.3, &BuildOptions::default());
        let _ = exactspike::sweep::read_sweep_csv(&dir);
        // the binary on every fifth case (plotting is the slow part)
        if cut % 5 == 0 {
            for cmd in ["plot", "jeffress-readout"] {
                let o = bin().arg(cmd).arg(&dir).env("RUST_BACKTRACE", "0").output().unwrap();
                let err = String::from_utf8_lossy(&o.stderr);
                prop_assert!(!err.contains("panicked"), "{cmd} on damaged {sub}/{file}: {err}");
                prop_assert!(matches!(o.status.code(), Some(0 | 2)), "{cmd}: {:?} {err}", o.status);
            }
        }
    }
}
