//! Resource guards and interruption: oversized networks are refused before anything is
//! allocated, runaway runs stop cleanly, Ctrl-C keeps what was simulated, and a killed run
//! never leaves a summary claiming completeness.

use crate::util::*;
use std::process::Stdio;

fn long_cuba(dir: &std::path::Path, duration: f64) -> std::path::PathBuf {
    let text = std::fs::read_to_string(repo().join("examples/cuba.json")).unwrap();
    let mut v: serde_json::Value = serde_json::from_str(&text).unwrap();
    v["duration"] = serde_json::json!(duration);
    let f = dir.join("long.json");
    std::fs::write(&f, v.to_string()).unwrap();
    f
}

fn summary(out: &std::path::Path) -> serde_json::Value {
    serde_json::from_str(&std::fs::read_to_string(out.join("summary.json")).unwrap()).unwrap()
}

/// Waits (up to 4 s) until the run is under way: `file` exists with more than `bytes`.
fn wait_for_data(file: &std::path::Path, bytes: u64) {
    for _ in 0..200 {
        if std::fs::metadata(file).is_ok_and(|m| m.len() > bytes) {
            return;
        }
        std::thread::sleep(std::time::Duration::from_millis(20));
    }
}

/// Every spike row parses and is at or before the time the run reached.
fn check_valid_partial(out: &std::path::Path) {
    let s = summary(out);
    assert_eq!(s["complete"], false);
    let until = s["simulated_until"].as_f64().unwrap();
    let spikes = read_spikes(out);
    assert_eq!(spikes.len() as u64, s["spikes"].as_u64().unwrap());
    assert!(spikes.iter().all(|x| x.2 <= until));
    assert!(spikes.windows(2).all(|w| w[0].2 <= w[1].2));
}

#[test]
fn ten_billion_synapses_are_refused_before_building() {
    let tmp = TempDir::new("huge");
    let f = tmp.path().join("huge.json");
    std::fs::write(
        &f,
        r#"{"duration": 10, "populations": [{"name": "a", "size": 100000, "model": "lif", "params": {"tau_m": 10, "v_th": -55}}],
            "connections": [{"from": "a", "to": "a", "rule": "all_to_all", "weight": 1, "delay": 1}]}"#,
    )
    .unwrap();
    let out = tmp.path().join("out");
    let o = bin()
        .arg("run")
        .arg(&f)
        .arg("--out")
        .arg(&out)
        .output()
        .unwrap();
    assert_refused(&o, &["connections[0].rule", "memory"], &out);
    // and a limit can be set explicitly
    let o = bin()
        .args(["--max-memory", "1M", "validate"])
        .arg(repo().join("examples/cuba.json"))
        .output()
        .unwrap();
    assert_eq!(o.status.code(), Some(2));
}

#[test]
fn max_events_stops_a_run_cleanly() {
    let tmp = TempDir::new("maxev");
    let f = long_cuba(tmp.path(), 1000.0);
    let out = tmp.path().join("out");
    let o = run_file(&f, &out, &["--max-events", "200000"]);
    assert_exit(&o, 3);
    let s = summary(&out);
    assert_eq!(s["stopped"], "max_events");
    // the limit counts deliveries and spikes
    let counted: u64 = ["events", "neuron_spikes", "source_spikes"]
        .iter()
        .map(|k| s[k].as_u64().unwrap())
        .sum();
    assert!(counted >= 200_000, "{counted}");
    check_valid_partial(&out);
}

#[test]
fn ctrl_c_flushes_what_was_simulated() {
    let tmp = TempDir::new("sigint");
    let f = long_cuba(tmp.path(), 60_000.0);
    let out = tmp.path().join("out");
    let child = bin()
        .arg("run")
        .arg(&f)
        .arg("--out")
        .arg(&out)
        .arg("--quiet")
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    // wait until the run is under way (the partial file exists and has data)
    let partial = out.join(".spikes.csv.partial");
    for _ in 0..200 {
        if std::fs::metadata(&partial)
            .map(|m| m.len() > 1000)
            .unwrap_or(false)
        {
            break;
        }
        std::thread::sleep(std::time::Duration::from_millis(20));
    }
    let status = std::process::Command::new("kill")
        .args(["-INT", &child.id().to_string()])
        .status()
        .unwrap();
    assert!(status.success());
    let o = child.wait_with_output().unwrap();
    assert_exit(&o, 3);
    assert_eq!(summary(&out)["stopped"], "SIGINT");
    check_valid_partial(&out);
    assert!(!partial.exists());
}

#[test]
fn a_killed_run_leaves_no_summary() {
    let tmp = TempDir::new("sigkill");
    let f = long_cuba(tmp.path(), 60_000.0);
    let out = tmp.path().join("out");
    // an earlier complete run into the same directory (an exactspike output directory:
    // it has the lock file)
    std::fs::create_dir_all(&out).unwrap();
    std::fs::write(out.join(".exactspike.lock"), "").unwrap();
    std::fs::write(out.join("summary.json"), r#"{"complete": true}"#).unwrap();
    let mut child = bin()
        .arg("run")
        .arg(&f)
        .arg("--out")
        .arg(&out)
        .arg("--quiet")
        .spawn()
        .unwrap();
    let partial = out.join(".spikes.csv.partial");
    wait_for_data(&partial, 0);
    child.kill().unwrap();
    let _ = child.wait();
    assert!(
        !out.join("summary.json").exists(),
        "a killed run must not leave a summary claiming completeness"
    );
    assert!(!out.join("spikes.csv").exists());
}

/// Every input that ever crashed or hung the runner (tests/data/fuzz_corpus, see its
/// README) now gets a prompt answer: exit 0 or 2, no panic, well within the wall limit.
#[test]
fn regression_corpus() {
    let tmp = TempDir::new("corpus");
    let mut n = 0;
    for e in std::fs::read_dir(repo().join("tests/data/fuzz_corpus")).unwrap() {
        let f = e.unwrap().path();
        if f.extension().is_none_or(|x| x != "json") {
            continue;
        }
        n += 1;
        let out = tmp.path().join(format!("out{n}"));
        let o = run_file(&f, &out, &["--max-wall", "30"]);
        let e = String::from_utf8_lossy(&o.stderr);
        assert!(
            matches!(o.status.code(), Some(0) | Some(2)),
            "{}: exit {:?}\n{e}",
            f.display(),
            o.status.code()
        );
        assert!(!e.contains("panicked"), "{e}");
    }
    assert!(n >= 5);
}

/// Extreme but legal values work: time constants of 1e-3 ms and 1e5 ms, weights of 1e6 mV,
/// a duration of 1e8 ms.
#[test]
fn extreme_but_legal_parameters_work() {
    let tmp = TempDir::new("extreme");
    let sc = serde_json::json!({
        "duration": 1.0e8,
        "populations": [
            {"name": "fast", "size": 1, "model": "lif",
             "params": {"tau_m": 1e-3, "v_th": -55.0, "receptors": [{"kind": "exp", "tau": 1e-3}, {"kind": "delta"}]}},
            {"name": "slow", "size": 1, "model": "lif",
             "params": {"tau_m": 1e5, "v_th": -55.0, "receptors": [{"kind": "alpha", "tau": 1e5}, {"kind": "delta"}]}}
        ],
        "inputs": [{"name": "tick", "kind": "periodic", "size": 1, "period": 1.0e7, "phase": 5.0e6}],
        "connections": [
            {"from": "tick", "to": "fast", "rule": "all_to_all", "weight": 1.0e6, "delay": 0.0, "receptor": 1},
            {"from": "tick", "to": "slow", "rule": "all_to_all", "weight": 1.0e6, "delay": 0.0, "receptor": 1},
            {"from": "tick", "to": "fast", "rule": "all_to_all", "weight": -1.0e6, "delay": 1.0, "receptor": 0},
            {"from": "tick", "to": "slow", "rule": "all_to_all", "weight": 0.001, "delay": 1.0, "receptor": 0}
        ]
    });
    let (o, out) = run_json(tmp.path(), &sc);
    assert_success(&o);
    let spikes = read_spikes(&out);
    // each 1e6 mV delta input fires both neurons at the tick times 5e6 + k·1e7
    for pop in ["fast", "slow"] {
        let t: Vec<f64> = spikes.iter().filter(|s| s.0 == pop).map(|s| s.2).collect();
        let want: Vec<f64> = (0..10).map(|k| 5.0e6 + 1.0e7 * k as f64).collect();
        assert!(want.iter().all(|w| t.contains(w)), "{pop}: {t:?}");
    }
    let s = summary(&out);
    assert_eq!(s["complete"], true);
}
