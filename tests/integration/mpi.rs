//! MPI (feature `mpi`): `mpirun -np 2` (also with `--threads 2` in each rank) writes the
//! same files as one process, byte for byte,
//! and an error on the root rank ends the whole job with exit status 2 (no hang).
//! Run: `cargo test --release --features mpi --test integration mpi`.

use crate::util::*;
use serde_json::{json, Value};
use std::process::Command;

fn mpirun(np: &str, args: &[&str]) -> std::process::Output {
    Command::new("timeout")
        .arg("300")
        .args([
            "mpirun",
            "--allow-run-as-root",
            "--oversubscribe",
            "-np",
            np,
        ])
        .arg(env!("CARGO_BIN_EXE_exactspike"))
        .args(args)
        .output()
        .expect("mpirun (apt-get install openmpi-bin)")
}

fn same_files(tag: &str, sc: &Value) {
    let tmp = TempDir::new(tag);
    let f = tmp.path().join("s.json");
    std::fs::write(&f, sc.to_string()).unwrap();
    let one = tmp.path().join("one");
    assert_success(&run_file(&f, &one, &[]));
    // 2 and 3 ranks, and 2 ranks of 2 threads each
    for (np, threads) in [("2", "1"), ("3", "1"), ("2", "2")] {
        let many = tmp.path().join(format!("np{np}t{threads}"));
        let (f, m) = (f.to_str().unwrap(), many.to_str().unwrap());
        let o = mpirun(np, &["run", f, "--out", m, "--quiet", "--threads", threads]);
        let err = String::from_utf8_lossy(&o.stderr);
        assert!(
            o.status.success(),
            "{tag} -np {np} --threads {threads}: {err}"
        );
        for file in ["spikes.csv", "voltage.csv", "weights.csv", "state.csv"] {
            if one.join(file).exists() {
                assert!(
                    std::fs::read(one.join(file)).unwrap()
                        == std::fs::read(many.join(file)).unwrap(),
                    "{tag}: {file} differs with -np {np} --threads {threads}"
                );
            }
        }
    }
}

fn example(name: &str) -> Value {
    serde_json::from_str(&std::fs::read_to_string(repo().join("examples").join(name)).unwrap())
        .unwrap()
}

#[test]
fn ranks_write_the_files_of_one_process() {
    let mut cuba = example("cuba.json");
    cuba["duration"] = json!(200.0);
    cuba["record"]["voltage"] = json!([{"population": "exc", "neurons": [0, 3199], "every": 0.5},
                                        {"population": "inh", "every": 10.0}]);
    same_files("mpi-cuba", &cuba);
    same_files("mpi-jeffress", &example("jeffress.json"));
    let mut stdp = example("stdp_song2000.json");
    stdp["duration"] = json!(10_000.0);
    same_files("mpi-stdp", &stdp);
    let mut delta = example("cuba_delta.json");
    delta["duration"] = json!(200.0);
    same_files("mpi-delta", &delta);
    cuba["currents"] = json!([
        {"to": "exc", "times": [20.0, 80.0, 150.0], "amplitudes": [6.0, -3.0, 0.0]},
        {"to": "inh", "neurons": [0, 5, 799], "times": [0.0, 33.3], "amplitudes": [12.0, 2.5]},
        {"to": "inh", "neurons": [3, 400], "sine": {"amplitude": 20.0, "frequency": 45.0, "offset": 1.0, "start": 10.0, "stop": 170.0}}]);
    same_files("mpi-currents", &cuba);
    // linear resonators and lif neurons, with sinusoids, voltage and state probes
    same_files("mpi-linear", &resonator_network(150.0));
}

#[test]
fn ranks_reproduce_the_golden_and_reference_cases() {
    let golden: Value = serde_json::from_str(
        &std::fs::read_to_string(repo().join("tests/data/golden/small/scenario.json")).unwrap(),
    )
    .unwrap();
    same_files("mpi-golden", &golden);
    for e in std::fs::read_dir(repo().join("tests/data/shared_refs")).unwrap() {
        let p = e.unwrap().path();
        if p.extension().is_some_and(|x| x == "json") {
            let case: Value = serde_json::from_str(&std::fs::read_to_string(&p).unwrap()).unwrap();
            same_files("mpi-ref", &case["scenario"]);
        }
    }
}

#[test]
fn an_error_on_the_root_ends_every_rank() {
    let tmp = TempDir::new("mpi-err");
    let f = tmp.path().join("s.json");
    std::fs::copy(repo().join("tests/data/golden/small/scenario.json"), &f).unwrap();
    let blocker = tmp.path().join("file");
    std::fs::write(&blocker, "x").unwrap();
    let out = blocker.join("sub");
    let o = mpirun(
        "2",
        &["run", f.to_str().unwrap(), "--out", out.to_str().unwrap()],
    );
    let err = String::from_utf8_lossy(&o.stderr);
    assert!(!o.status.success(), "{err}");
    assert_ne!(o.status.code(), Some(124), "the job hung: {err}");
    assert!(err.contains("--out"), "{err}");
}

/// A rank's guard stops it inside a window (no neuron → neuron connection: the windows are
/// the runner's slices) while another rank runs on: the files end at the common time, and
/// the summary's `neuron_spikes` counts what they hold.
#[test]
fn a_stop_inside_a_window_counts_what_the_files_hold() {
    let tmp = TempDir::new("mpi-stop");
    let sc = json!({"duration": 100_000.0, "seed": 3,
        "populations": [{"name": "n", "size": 200, "model": "lif",
            "params": {"tau_m": 10.0, "v_th": -55.0, "receptors": [{"kind": "exp", "tau": 2.0}]}}],
        "inputs": [{"name": "p", "kind": "poisson", "size": 100, "rate": 50.0}],
        "connections": [{"from": "p", "to": "n", "rule": {"fixed_indegree": 20},
                         "weight": 9.0, "delay": 1.0}],
        "record": {"spikes": ["n"]}});
    let f = tmp.path().join("s.json");
    std::fs::write(&f, sc.to_string()).unwrap();
    for (np, threads) in [("2", "1"), ("2", "2")] {
        let out = tmp.path().join(format!("np{np}t{threads}"));
        let (f, m) = (f.to_str().unwrap(), out.to_str().unwrap());
        let o = mpirun(
            np,
            &[
                "run",
                f,
                "--out",
                m,
                "--quiet",
                "--threads",
                threads,
                "--max-events",
                "8000",
            ],
        );
        let s: Value =
            serde_json::from_str(&std::fs::read_to_string(out.join("summary.json")).unwrap())
                .unwrap();
        assert_eq!(
            s["stopped"],
            "max_events",
            "{}",
            String::from_utf8_lossy(&o.stderr)
        );
        assert!(s["spikes"].as_u64().unwrap() > 100, "{s}");
        assert_eq!(
            s["neuron_spikes"], s["spikes"],
            "-np {np} --threads {threads}"
        );
    }
}
