//! Threads: `--threads N` gives the same files as one thread, byte for byte, on CUBA (exp and
//! delta, with voltage recording), a 20 000-neuron network, the Jeffress example, STDP with
//! weight recording, the golden scenario and every reference case; and the guards still stop
//! a threaded run.

use crate::util::*;
use serde_json::{json, Value};

fn example(name: &str) -> Value {
    serde_json::from_str(&std::fs::read_to_string(repo().join("examples").join(name)).unwrap())
        .unwrap()
}

/// Runs `sc` with each thread count and checks that every record file is identical.
fn same_for_any_thread_count(tag: &str, sc: &Value, threads: &[&str]) {
    let tmp = TempDir::new(tag);
    let f = tmp.path().join("s.json");
    std::fs::write(&f, sc.to_string()).unwrap();
    let one = tmp.path().join("t1");
    assert_success(&run_file(&f, &one, &[]));
    for t in threads {
        let many = tmp.path().join(format!("t{t}"));
        assert_success(&run_file(&f, &many, &["--threads", t]));
        for file in ["spikes.csv", "voltage.csv", "weights.csv", "state.csv"] {
            let (a, b) = (one.join(file), many.join(file));
            if a.exists() {
                let (x, y) = (std::fs::read(&a).unwrap(), std::fs::read(&b).unwrap());
                assert!(x == y, "{tag}: {file} differs between 1 and {t} threads");
            }
        }
        let s: Value =
            serde_json::from_str(&std::fs::read_to_string(many.join("summary.json")).unwrap())
                .unwrap();
        let r: Value =
            serde_json::from_str(&std::fs::read_to_string(one.join("summary.json")).unwrap())
                .unwrap();
        for key in [
            "spikes",
            "events",
            "neuron_spikes",
            "source_spikes",
            "predictions",
            "checks",
        ] {
            assert_eq!(s[key], r[key], "{tag}: summary {key} with {t} threads");
        }
    }
}

#[test]
fn cuba_with_voltage_recording() {
    for file in ["cuba.json", "cuba_delta.json"] {
        let mut sc = example(file);
        sc["duration"] = json!(300.0);
        sc["record"]["voltage"] = json!([{"population": "exc", "neurons": [0, 1, 3199], "every": 0.7},
                                          {"population": "inh", "every": 25.0}]);
        same_for_any_thread_count(file, &sc, &["2", "3"]);
    }
}

/// A network past the size from which deliveries prefetch their targets and checks the
/// next check's neuron (16 384 neurons), with two populations (targets and checks in both)
/// and per-synapse delays (walks): it runs (4 775 spikes) and gives the same files for 1
/// and 2 threads. (The prefetch is a hint and cannot change results; this keeps its path
/// exercised.)
#[test]
fn large_network_with_prefetch() {
    let mut sc = example("cuba.json");
    sc["duration"] = json!(40.0);
    sc["populations"][0]["size"] = json!(16_000);
    sc["populations"][1]["size"] = json!(4_000);
    for c in sc["connections"].as_array_mut().unwrap() {
        let k = if c["from"] == "exc" { 64 } else { 16 };
        c["rule"] = json!({ "fixed_indegree": k });
        c["delay"] = json!({"uniform": [0.1, 2.0]});
    }
    sc["record"] = json!({"spikes": ["exc", "inh"]});
    same_for_any_thread_count("large", &sc, &["2"]);
}

#[test]
fn jeffress_and_stdp() {
    same_for_any_thread_count("jeffress", &example("jeffress.json"), &["2"]);
    let mut stdp = example("stdp_song2000.json");
    stdp["duration"] = json!(20_000.0);
    same_for_any_thread_count("stdp", &stdp, &["2", "4"]);
}

#[test]
fn golden_and_reference_cases() {
    let golden: Value = serde_json::from_str(
        &std::fs::read_to_string(repo().join("tests/data/golden/small/scenario.json")).unwrap(),
    )
    .unwrap();
    same_for_any_thread_count("golden", &golden, &["2", "5"]);
    for dir in ["tests/data/shared_refs", "tests/data/refs"] {
        for e in std::fs::read_dir(repo().join(dir)).unwrap() {
            let p = e.unwrap().path();
            if p.extension().is_some_and(|x| x == "json") {
                let case: Value =
                    serde_json::from_str(&std::fs::read_to_string(&p).unwrap()).unwrap();
                same_for_any_thread_count("ref", &case["scenario"], &["2"]);
            }
        }
    }
}

#[test]
fn a_threaded_run_stops_on_its_guards() {
    let tmp = TempDir::new("thrstop");
    let mut sc = example("cuba.json");
    sc["duration"] = json!(100_000.0);
    let f = tmp.path().join("s.json");
    std::fs::write(&f, sc.to_string()).unwrap();
    let out = tmp.path().join("o");
    let o = run_file(&f, &out, &["--threads", "2", "--max-events", "500000"]);
    assert_exit(&o, 3);
    let s: Value =
        serde_json::from_str(&std::fs::read_to_string(out.join("summary.json")).unwrap()).unwrap();
    assert_eq!(s["stopped"], "max_events");
    // what was written is what a single thread writes: both stopped runs agree on
    // everything before the earlier of their stopping times
    let one = tmp.path().join("one");
    let o = run_file(&f, &one, &["--max-events", "500000"]);
    assert_eq!(o.status.code(), Some(3));
    let r: Value =
        serde_json::from_str(&std::fs::read_to_string(one.join("summary.json")).unwrap()).unwrap();
    let until = s["simulated_until"]
        .as_f64()
        .unwrap()
        .min(r["simulated_until"].as_f64().unwrap());
    assert!(until > 10.0, "{until}");
    let before = |dir: &std::path::Path| -> Vec<String> {
        std::fs::read_to_string(dir.join("spikes.csv"))
            .unwrap()
            .lines()
            .skip(1)
            .filter(|l| l.rsplit(',').next().unwrap().parse::<f64>().unwrap() < until)
            .map(String::from)
            .collect()
    };
    let (a, b) = (before(&one), before(&out));
    assert!(a.len() > 1000);
    assert_eq!(a, b);
    // the counter counts the spikes the files hold (every population is recorded), also
    // when a partition ran past the common time in the last window
    for summary in [&s, &r] {
        assert_eq!(summary["neuron_spikes"], summary["spikes"]);
    }
}

/// Without neuron → neuron connections the whole run is one window, so a partition's guard
/// stops it inside the window while the other partition runs on: the files end at the
/// common time, and `neuron_spikes` counts what they hold.
#[test]
fn a_stop_inside_a_window_counts_what_the_files_hold() {
    let tmp = TempDir::new("thrwin");
    let sc = json!({"duration": 100_000.0, "seed": 3,
        "populations": [{"name": "n", "size": 200, "model": "lif",
            "params": {"tau_m": 10.0, "v_th": -55.0, "receptors": [{"kind": "exp", "tau": 2.0}]}}],
        "inputs": [{"name": "p", "kind": "poisson", "size": 100, "rate": 50.0}],
        "connections": [{"from": "p", "to": "n", "rule": {"fixed_indegree": 20},
                         "weight": 9.0, "delay": 1.0}],
        "record": {"spikes": ["n"]}});
    let f = tmp.path().join("s.json");
    std::fs::write(&f, sc.to_string()).unwrap();
    for threads in ["1", "2", "3"] {
        let out = tmp.path().join(format!("t{threads}"));
        let o = run_file(&f, &out, &["--threads", threads, "--max-events", "8000"]);
        assert_exit(&o, 3);
        let s: Value =
            serde_json::from_str(&std::fs::read_to_string(out.join("summary.json")).unwrap())
                .unwrap();
        assert!(s["spikes"].as_u64().unwrap() > 100, "{s}");
        assert_eq!(s["neuron_spikes"], s["spikes"], "{threads} threads");
    }
}

/// Injected currents switching in the middle of windows (and at their edges) on CUBA.
#[test]
fn cuba_with_injected_currents() {
    let mut sc = example("cuba.json");
    sc["duration"] = json!(200.0);
    sc["currents"] = json!([
        {"to": "exc", "times": [20.0, 80.0, 150.0], "amplitudes": [6.0, -3.0, 0.0]},
        {"to": "inh", "neurons": [0, 5, 799], "times": [0.0, 33.3], "amplitudes": [12.0, 2.5]}]);
    sc["record"] = json!({"voltage": [{"population": "inh", "neurons": [0, 1, 5], "every": 0.9}]});
    same_for_any_thread_count("currents", &sc, &["2", "3"]);
}

/// Sinusoidal currents (with offsets, switched on and off inside windows) on CUBA.
#[test]
fn cuba_with_sinusoidal_currents() {
    let mut sc = example("cuba.json");
    sc["duration"] = json!(150.0);
    sc["currents"] = json!([
        {"to": "inh", "sine": {"amplitude": 8.0, "frequency": 20.0, "offset": 2.0, "start": 20.3, "stop": 120.0}},
        {"to": "exc", "neurons": [0, 7, 3199], "sine": {"amplitude": 30.0, "frequency": 130.0, "phase": 45.0}}]);
    sc["record"] = json!({"voltage": [{"population": "exc", "neurons": [0, 1, 7], "every": 0.9}]});
    same_for_any_thread_count("sines", &sc, &["2", "3"]);
}

/// A recurrent network of `linear` resonators and `lif` neurons, with a step current and
/// sinusoids on the resonators, voltage and state probes.
#[test]
fn linear_resonators_in_a_recurrent_network() {
    same_for_any_thread_count("linear", &resonator_network(200.0), &["2", "3"]);
}
