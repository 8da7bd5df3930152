//! The shell around the engine: output formats and the results reader, the run pipeline
//! (signals, the output directory's rules, the scenario read once), command-line values,
//! runaway guards, names, sweeps, and partition-independent connectivity.

use crate::util::*;
use exactspike::build;
use exactspike::records::Summary;
use exactspike::results::Results;
use exactspike::scenario::parse_str;
use serde_json::{json, Value};
use std::io::Write;
use std::process::Stdio;

/// Runs the binary with `args`, expects exit 2 and every `needle` in stderr; returns stderr.
fn fails_with(args: &[&str], needles: &[&str]) -> String {
    let o = bin().args(args).output().unwrap();
    let err = String::from_utf8_lossy(&o.stderr).into_owned();
    assert_eq!(o.status.code(), Some(2), "{args:?}: {err}");
    assert!(!err.contains("panicked"), "{args:?}: {err}");
    for n in needles {
        assert!(err.contains(n), "{args:?}: expected {n:?} in: {err}");
    }
    err
}

fn golden() -> Value {
    let text =
        std::fs::read_to_string(repo().join("tests/data/golden/small/scenario.json")).unwrap();
    serde_json::from_str(&text).unwrap()
}

#[test]
fn npy_output_equals_csv_value_for_value() {
    let tmp = TempDir::new("npy");
    let mut sc = golden();
    // weights too: a probe on a plastic-free connection is enough to fill weights.npy
    sc["record"]["weights"] = json!([{"connection": 0, "every": 5.0}]);
    let f = tmp.path().join("s.json");
    std::fs::write(&f, sc.to_string()).unwrap();
    let (csv, npy) = (tmp.path().join("csv"), tmp.path().join("npy"));
    assert_success(&run_file(&f, &csv, &[]));
    assert_success(&run_file(&f, &npy, &["--format", "npy"]));
    for name in ["spikes.npy", "voltage.npy", "weights.npy"] {
        assert!(npy.join(name).is_file(), "{name}");
    }
    let (a, b) = (Results::open(&csv).unwrap(), Results::open(&npy).unwrap());
    assert_eq!(b.summary.format, "npy");
    let sa = a.spikes().unwrap();
    assert!(sa.len() > 10);
    assert_eq!(sa, b.spikes().unwrap());
    assert_eq!(a.voltages().unwrap(), b.voltages().unwrap());
    let wa = a.weights().unwrap();
    assert!(!wa.is_empty());
    assert_eq!(wa, b.weights().unwrap());
    // and the reader gives exactly what the library computed in memory
    let mem = exactspike::run(&parse_str(&sc.to_string()).unwrap()).unwrap();
    let bits = |v: &[exactspike::records::Spike]| -> Vec<(u32, u32, u64)> {
        v.iter()
            .map(|s| (s.population, s.neuron, s.time.to_bits()))
            .collect()
    };
    assert_eq!(bits(&mem.spikes), bits(&sa));
}

#[test]
fn sigterm_and_sighup_stop_a_run_like_ctrl_c() {
    for (sig, name) in [("-TERM", "SIGTERM"), ("-HUP", "SIGHUP")] {
        let tmp = TempDir::new("sigterm");
        let mut sc: Value = serde_json::from_str(
            &std::fs::read_to_string(repo().join("examples/cuba.json")).unwrap(),
        )
        .unwrap();
        sc["duration"] = json!(60_000.0);
        let f = tmp.path().join("long.json");
        std::fs::write(&f, sc.to_string()).unwrap();
        let out = tmp.path().join("out");
        let child = bin()
            .args([
                "run",
                f.to_str().unwrap(),
                "--out",
                out.to_str().unwrap(),
                "--quiet",
            ])
            .stderr(Stdio::piped())
            .spawn()
            .unwrap();
        let partial = out.join(".spikes.csv.partial");
        for _ in 0..200 {
            if std::fs::metadata(&partial).is_ok_and(|m| m.len() > 1000) {
                break;
            }
            std::thread::sleep(std::time::Duration::from_millis(20));
        }
        let id = child.id().to_string();
        assert!(std::process::Command::new("kill")
            .args([sig, &id])
            .status()
            .unwrap()
            .success());
        let o = child.wait_with_output().unwrap();
        assert_exit(&o, 3);
        let s = Results::open(&out).unwrap().summary;
        assert_eq!(s.stopped.as_deref(), Some(name));
        assert!(!s.complete);
        assert!(out.join("spikes.csv").is_file() && !partial.exists());
    }
}

#[test]
fn a_second_run_into_a_busy_directory_is_refused_naming_the_holder() {
    let tmp = TempDir::new("busy");
    let out = tmp.path().join("out");
    let _held = exactspike::output::OutputDir::open(&out).unwrap();
    let f = tmp.path().join("s.json");
    std::fs::write(&f, golden().to_string()).unwrap();
    let o = run_file(&f, &out, &[]);
    let err = String::from_utf8_lossy(&o.stderr);
    assert_eq!(o.status.code(), Some(2), "{err}");
    assert!(err.contains("in use") && err.contains("pid"), "{err}");
    assert!(!out.join("spikes.csv").exists() && !out.join("summary.json").exists());
}

#[test]
fn outputs_of_an_earlier_run_are_replaced_and_foreign_files_kept() {
    let tmp = TempDir::new("replace");
    let f = tmp.path().join("s.json");
    std::fs::write(&f, golden().to_string()).unwrap();
    let out = tmp.path().join("out");
    assert_success(&run_file(&f, &out, &["--format", "npy"]));
    std::fs::write(out.join("notes.txt"), "mine").unwrap();
    // a symlink planted where a partial file goes must be removed, not followed
    let victim = tmp.path().join("victim");
    std::fs::write(&victim, "precious").unwrap();
    std::os::unix::fs::symlink(&victim, out.join(".spikes.csv.partial")).unwrap();
    assert_success(&run_file(&f, &out, &[]));
    assert_eq!(std::fs::read_to_string(&victim).unwrap(), "precious");
    assert_eq!(
        std::fs::read_to_string(out.join("notes.txt")).unwrap(),
        "mine"
    );
    assert!(out.join("spikes.csv").is_file());
    assert!(
        !out.join("spikes.npy").exists(),
        "the earlier run's npy files are removed"
    );
    // a directory that is not an output directory: a file named like an output is refused
    let other = tmp.path().join("other");
    std::fs::create_dir_all(&other).unwrap();
    std::fs::write(other.join("summary.json"), "{}").unwrap();
    let o = run_file(&f, &other, &[]);
    assert_eq!(o.status.code(), Some(2));
    assert_eq!(
        std::fs::read_to_string(other.join("summary.json")).unwrap(),
        "{}"
    );
}

#[test]
fn the_scenario_is_read_once_and_saved_as_read() {
    let tmp = TempDir::new("stdin");
    let out = tmp.path().join("out");
    let text = golden().to_string();
    let mut child = bin()
        .args(["run", "-", "--out", out.to_str().unwrap(), "--quiet"])
        .stdin(Stdio::piped())
        .spawn()
        .unwrap();
    child
        .stdin
        .take()
        .unwrap()
        .write_all(text.as_bytes())
        .unwrap();
    assert!(child.wait().unwrap().success());
    assert_eq!(
        std::fs::read_to_string(out.join("scenario.json")).unwrap(),
        text
    );
}

#[test]
fn bad_command_line_values_are_refused_before_any_file_is_touched() {
    let tmp = TempDir::new("args");
    let f = tmp.path().join("s.json");
    std::fs::write(&f, golden().to_string()).unwrap();
    let out = tmp.path().join("out");
    assert_success(&run_file(&f, &out, &[]));
    for bad in [
        vec!["--max-wall", "1e19"],
        vec!["--max-wall", "nan"],
        vec!["--max-wall", "-1"],
        vec!["--max-events", "0"],
        vec!["--format", "hdf5"],
        vec!["--max-memory", "0.0001"],
        vec!["--max-memory", "12Q"],
        // (a step so fine that t / dt overflows dropped every input spike but the first)
        vec!["--grid-dt", "1e-308"],
        vec!["--grid-dt", "0"],
    ] {
        let o = run_file(&f, &out, &bad);
        let err = String::from_utf8_lossy(&o.stderr);
        assert_eq!(o.status.code(), Some(2), "{bad:?}: {err}");
        assert!(!err.contains("panicked"), "{bad:?}: {err}");
        assert!(
            out.join("summary.json").is_file(),
            "{bad:?} deleted earlier results"
        );
    }
    for good in ["1GB", "1GiB", "512M", "2048K"] {
        assert_success(&run_file(&f, &out, &["--max-memory", good]));
    }
    for frac in ["--frac=1", "--frac=nan", "--frac=-0.1"] {
        fails_with(
            &["jeffress-readout", out.to_str().unwrap(), frac],
            &["--frac"],
        );
    }
    // a closed pipe is not a panic
    let mut child = bin().arg("schema").stdout(Stdio::piped()).spawn().unwrap();
    drop(child.stdout.take());
    let status = child.wait().unwrap();
    assert!(status.code() == Some(0), "{status:?}");
}

#[test]
fn a_neuron_firing_without_end_is_stopped_by_the_guards() {
    let tmp = TempDir::new("runaway");
    let sc = json!({"duration": 1e6, "populations": [{"name": "r", "size": 1, "model": "lif",
        "params": {"tau_m": 1e-6, "v_th": -55.0, "i_bias": 1e5}}]});
    let f = tmp.path().join("s.json");
    std::fs::write(&f, sc.to_string()).unwrap();
    let out = tmp.path().join("out");
    let o = run_file(&f, &out, &["--max-events", "300000"]);
    assert_exit(&o, 3);
    let s = Results::open(&out).unwrap().summary;
    assert_eq!(s.stopped.as_deref(), Some("max_events"));
    assert!(
        s.neuron_spikes >= 300_000 && s.neuron_spikes < 400_000,
        "{}",
        s.neuron_spikes
    );
    let started = std::time::Instant::now();
    let o = run_file(&f, &tmp.path().join("wall"), &["--max-wall", "1"]);
    assert_eq!(o.status.code(), Some(3));
    assert!(
        started.elapsed().as_secs_f64() < 20.0,
        "the wall-clock guard held"
    );
}

#[test]
fn a_queue_outgrowing_max_memory_stops_cleanly() {
    // 10^7 spikes/s through 1000 ms delays: ~10^7 in flight, far more than 32 MiB holds
    let tmp = TempDir::new("queue-memory");
    let sc = json!({"duration": 2000.0,
        "populations": [{"name": "a", "size": 10, "model": "lif",
                         "params": {"tau_m": 10.0, "v_th": -55.0}}],
        "inputs": [{"name": "s", "kind": "poisson", "size": 1, "rate": 1e7}],
        "connections": [{"from": "s", "to": "a", "rule": "all_to_all", "weight": 0.0,
                         "delay": 1000.0}]});
    let f = tmp.path().join("s.json");
    std::fs::write(&f, sc.to_string()).unwrap();
    for threads in ["1", "2"] {
        let out = tmp.path().join(format!("out{threads}"));
        let o = run_file(&f, &out, &["--max-memory", "32M", "--threads", threads]);
        assert_exit(&o, 3);
        let s = Results::open(&out).unwrap().summary;
        assert_eq!(s.stopped.as_deref(), Some("max_memory"));
        // (stopped while the first spikes were still on their way)
        assert!(s.simulated_until > 0.0 && s.simulated_until < 1000.0);
    }
}

/// Runs 50 neurons firing at ~10^6/ms, with no connections between neurons (so a thread's
/// window is the whole run, its records held and its events counted by it alone until the
/// window ends), with `--threads 2` and `flags`; the summary.
fn fast_firing_with_two_threads(name: &str, duration: f64, flags: &[&str]) -> Summary {
    let tmp = TempDir::new(name);
    let sc = json!({"duration": duration,
        "populations": [{"name": "a", "size": 50, "model": "lif",
                         "params": {"tau_m": 1e-6, "v_th": -55.0, "i_bias": 20.0}}]});
    let f = tmp.path().join("s.json");
    std::fs::write(&f, sc.to_string()).unwrap();
    let out = tmp.path().join("out");
    let mut args = vec!["--threads", "2", "--max-wall", "120"];
    args.extend_from_slice(flags);
    let o = run_file(&f, &out, &args);
    assert_exit(&o, 3);
    Results::open(&out).unwrap().summary
}

#[test]
fn records_held_by_threads_count_against_max_memory() {
    let s = fast_firing_with_two_threads("record-memory", 1000.0, &["--max-memory", "64M"]);
    assert_eq!(s.stopped.as_deref(), Some("max_memory"));
    assert!(s.simulated_until > 0.0 && s.simulated_until < 1000.0);
}

#[test]
fn max_events_holds_within_a_thread_window() {
    let s = fast_firing_with_two_threads("events-window", 50.0, &["--max-events", "100000"]);
    assert_eq!(s.stopped.as_deref(), Some("max_events"));
    // each thread stops at the limit for its own events: at most twice it in all
    assert!(s.neuron_spikes <= 2 * 100_000 + 2, "{}", s.neuron_spikes);
}

#[test]
fn time_that_stops_advancing_stops_the_run() {
    // two neurons exciting each other through a delay of 1e-300 ms: from their first spike
    // on, each spike causes the next one float step later
    let tmp = TempDir::new("stalled");
    let sc = json!({"duration": 20.0,
        "populations": [{"name": "a", "size": 2, "model": "lif",
                         "params": {"tau_m": 10.0, "v_th": -55.0, "i_bias": 20.0}}],
        "connections": [{"from": "a", "to": "a", "rule": "all_to_all", "weight": 30.0,
                         "delay": 1e-300}]});
    let f = tmp.path().join("s.json");
    std::fs::write(&f, sc.to_string()).unwrap();
    for threads in ["1", "2"] {
        let out = tmp.path().join(format!("out{threads}"));
        let o = run_file(&f, &out, &["--threads", threads, "--max-wall", "60"]);
        assert_exit(&o, 3);
        let s = Results::open(&out).unwrap().summary;
        assert_eq!(s.stopped.as_deref(), Some("stalled"));
        // the first spike: V from -70 towards -50 crosses -55 at 10 ln 4 ms; then 2^16
        // instants a few float steps (2e-15 ms) apart
        let after_first = s.simulated_until - 10.0 * 4f64.ln();
        assert!((0.0..1e-9).contains(&after_first), "{after_first}");
        assert!(s.neuron_spikes >= 1 << 16, "{}", s.neuron_spikes);
    }
    // the same from t = 0 (a neuron starting at threshold onto itself): floats are dense
    // there, each spike comes 1e-300 ms after the last, far more than a float step
    let sc = json!({"duration": 1.0,
        "populations": [{"name": "a", "size": 1, "model": "lif",
                         "params": {"tau_m": 10.0, "v_th": -55.0, "v_init": -55.0}}],
        "connections": [{"from": "a", "to": "a", "rule": "all_to_all", "autapses": true,
                         "weight": 20.0, "delay": 1e-300}]});
    std::fs::write(&f, sc.to_string()).unwrap();
    for threads in ["1", "2"] {
        let out = tmp.path().join(format!("zero{threads}"));
        let o = run_file(&f, &out, &["--threads", threads, "--max-wall", "60"]);
        assert_exit(&o, 3);
        let s = Results::open(&out).unwrap().summary;
        assert_eq!(s.stopped.as_deref(), Some("stalled"));
        assert!(s.simulated_until < 1e-290, "{}", s.simulated_until);
    }
}

#[test]
fn names_that_would_break_csv_are_refused() {
    let tmp = TempDir::new("names");
    let mut sc = golden();
    sc["populations"][0]["name"] = json!("exc,1");
    let (o, _) = run_json(tmp.path(), &sc);
    let err = String::from_utf8_lossy(&o.stderr);
    assert_eq!(o.status.code(), Some(2));
    assert!(
        err.contains("populations[0].name") && err.contains("letters, digits"),
        "{err}"
    );
}

#[test]
fn duplicate_keys_are_refused_and_a_byte_order_mark_accepted() {
    let tmp = TempDir::new("dupkeys");
    let f = tmp.path().join("s.json");
    let text = r#"{"duration": 10, "duration": 20, "populations": []}"#;
    std::fs::write(&f, text).unwrap();
    let o = run_file(&f, &tmp.path().join("out"), &[]);
    let err = String::from_utf8_lossy(&o.stderr);
    assert_eq!(o.status.code(), Some(2));
    assert!(err.contains("duplicate key \"duration\""), "{err}");
    let mut bom = b"\xEF\xBB\xBF".to_vec();
    bom.extend(golden().to_string().as_bytes());
    std::fs::write(&f, bom).unwrap();
    assert_success(&run_file(&f, &tmp.path().join("out2"), &[]));
}

#[test]
fn sweeps_type_values_by_field_and_refuse_what_they_cannot_do() {
    let tmp = TempDir::new("sweep");
    let f = tmp.path().join("s.json");
    std::fs::write(&f, golden().to_string()).unwrap();
    let out = tmp.path().join("sw");
    let sweep = |args: &[&str]| {
        bin()
            .args([
                "sweep",
                f.to_str().unwrap(),
                "--out",
                out.to_str().unwrap(),
                "--quiet",
                "--jobs",
                "2",
            ])
            .args(args)
            .output()
            .unwrap()
    };
    let o = sweep(&["--set", "/seed=1:3:1"]);
    assert_success(&o);
    let table = std::fs::read_to_string(out.join("sweep.csv")).unwrap();
    assert_eq!(table.lines().count(), 4, "{table}");
    assert!(table.lines().nth(1).unwrap().starts_with("0,1,"), "{table}");
    // a smaller sweep into the same folder leaves none of the old points behind
    assert_success(&sweep(&["--set", "/seed=[5]"]));
    assert!(out.join("point-0000").is_dir() && !out.join("point-0002").exists());
    for bad in [
        vec!["--set", "/seed=1,2", "--set", "/seed=3"],
        vec!["--set", "/seed=0:999:1", "--set", "/duration=1:1000:1"],
    ] {
        let o = sweep(&bad);
        assert_eq!(o.status.code(), Some(2), "{bad:?}");
    }
    // a malformed sweep table read back is an error, not a panic
    std::fs::write(out.join("sweep.csv"), "point,spikes\n1,2,3,4\n").unwrap();
    let o = bin()
        .args(["jeffress-readout", out.to_str().unwrap()])
        .output()
        .unwrap();
    assert_eq!(o.status.code(), Some(2));
}

#[test]
fn connectivity_does_not_depend_on_the_rest_of_the_network() {
    // Target j's sources (and weights) are drawn from j's own stream: growing the target
    // population, or the source population's neighbours, leaves the first targets' synapses
    // as they were.
    let net = |targets: usize, rule: Value| {
        let sc = json!({"duration": 1.0, "seed": 4,
            "populations": [{"name": "a", "size": 300, "model": "lif", "params": {"tau_m": 10.0, "v_th": -55.0}},
                            {"name": "b", "size": targets, "model": "lif", "params": {"tau_m": 10.0, "v_th": -55.0}}],
            "connections": [{"from": "a", "to": "b", "rule": rule, "weight": {"uniform": [0.0, 1.0]}, "delay": 1.0}]});
        build::build(&parse_str(&sc.to_string()).unwrap(), "t").unwrap()
    };
    for rule in [
        json!({"fixed_probability": 0.1}),
        json!({"fixed_indegree": 7}),
    ] {
        let (small, big) = (net(20, rule.clone()), net(50, rule.clone()));
        let incoming = |n: &exactspike::Network, j: u32| {
            let c = &n.connectivity;
            let mut v: Vec<(u32, u64)> = (0..c.len())
                .filter(|&k| c.target[k].0 == 300 + j)
                .map(|k| (k as u32, c.weight[k].to_bits()))
                .collect();
            v.sort();
            v.into_iter().map(|x| x.1).collect::<Vec<_>>()
        };
        for j in 0..20 {
            assert_eq!(incoming(&small, j), incoming(&big, j), "{rule}: target {j}");
        }
    }
}

#[test]
fn geometric_skipping_draws_each_pair_with_probability_p() {
    let sc = json!({"duration": 1.0, "seed": 9,
        "populations": [{"name": "a", "size": 400, "model": "lif", "params": {"tau_m": 10.0, "v_th": -55.0}}],
        "connections": [{"from": "a", "to": "a", "rule": {"fixed_probability": 0.05}, "weight": 1.0, "delay": 1.0}]});
    let net = build::build(&parse_str(&sc.to_string()).unwrap(), "p").unwrap();
    let c = &net.connectivity;
    let pairs = 400.0 * 399.0;
    let (mean, sd) = (pairs * 0.05, (pairs * 0.05 * 0.95f64).sqrt());
    assert!(
        (c.len() as f64 - mean).abs() < 5.0 * sd,
        "{} vs {mean}",
        c.len()
    );
    assert!((0..c.len()).all(|k| c.target[k].0 < 400));
    // no autapse, and the in-degrees spread like Binomial(399, 0.05)
    let mut indeg = [0u32; 400];
    for k in 0..c.len() {
        indeg[c.target[k].index()] += 1;
    }
    let m = indeg.iter().map(|&d| d as f64).sum::<f64>() / 400.0;
    let var = indeg.iter().map(|&d| (d as f64 - m).powi(2)).sum::<f64>() / 399.0;
    let want = 399.0 * 0.05 * 0.95;
    assert!((var - want).abs() < 0.35 * want, "variance {var} vs {want}");
}

#[test]
fn plots_refuse_non_finite_values_and_read_both_formats() {
    let tmp = TempDir::new("plot");
    let f = tmp.path().join("s.json");
    std::fs::write(&f, golden().to_string()).unwrap();
    for format in ["csv", "npy"] {
        let out = tmp.path().join(format);
        assert_success(&run_file(&f, &out, &["--format", format]));
        let o = bin()
            .args(["plot", out.to_str().unwrap()])
            .output()
            .unwrap();
        assert_success(&o);
        for pic in ["raster.svg", "raster.png", "voltage.svg", "voltage.png"] {
            assert!(out.join(pic).is_file(), "{format}: {pic}");
        }
    }
    // an infinite time in a results file once made `plot` loop forever
    let out = tmp.path().join("csv");
    let text = std::fs::read_to_string(out.join("spikes.csv")).unwrap();
    let broken = text.replacen("\nexc,", "\nexc,0,inf\nexc,", 1);
    std::fs::write(out.join("spikes.csv"), broken).unwrap();
    let started = std::time::Instant::now();
    fails_with(&["plot", out.to_str().unwrap()], &["spikes.csv", "finite"]);
    assert!(started.elapsed().as_secs() < 10);
    // what no run writes is refused, naming the file (and line): a neuron the population
    // does not have, a file without its header, an empty file, a summary that does not read
    for (file, text, words) in [
        (
            "spikes.csv",
            text.replacen("\nexc,", "\nexc,4000000000,1.0\nexc,", 1),
            vec!["line ", "neuron 4000000000"],
        ),
        (
            "spikes.csv",
            text.replacen("population,neuron,time", "pop,n,t", 1),
            vec!["header"],
        ),
        ("spikes.csv", String::new(), vec!["spikes.csv", "empty"]),
        (
            "summary.json",
            "{".to_string(),
            vec!["summary.json", "not a summary"],
        ),
    ] {
        let keep = std::fs::read(out.join(file)).unwrap();
        std::fs::write(out.join(file), &text).unwrap();
        fails_with(&["plot", out.to_str().unwrap()], &words);
        std::fs::write(out.join(file), keep).unwrap();
    }
    // a huge duration is reported at `duration`, not at a key the user never wrote
    let mut sc = golden();
    sc["duration"] = json!(1e308);
    let (o, _) = run_json(tmp.path(), &sc);
    let err = String::from_utf8_lossy(&o.stderr);
    assert_eq!(o.status.code(), Some(2));
    assert!(err.contains("error: duration: must be <= 1e12 ms"), "{err}");
}

#[test]
fn the_summary_states_rates_and_memory_and_warns_about_silent_populations() {
    let tmp = TempDir::new("silent");
    let mut sc = golden();
    sc["populations"][1]["params"]["v_th"] = json!(50.0); // inh can never fire
    let (o, out) = run_json(tmp.path(), &sc);
    assert!(o.status.success());
    let s = Results::open(&out).unwrap().summary;
    let inh = s.population("inh").unwrap();
    assert_eq!((inh.spikes, inh.rate_hz, inh.size), (0, 0.0, 2));
    let exc = s.population("exc").unwrap();
    assert!(exc.spikes > 0);
    assert!((exc.rate_hz - exc.spikes as f64 / 5.0 / 0.04).abs() < 1e-9);
    assert!(s.memory_estimate_bytes > 0 && s.peak_rss_bytes > 0);
    // without --quiet the closing summary names the silent population
    let o = bin()
        .args([
            "run",
            tmp.path().join("scenario.json").to_str().unwrap(),
            "--out",
        ])
        .arg(tmp.path().join("out2"))
        .output()
        .unwrap();
    let err = String::from_utf8_lossy(&o.stderr);
    assert!(err.contains("spikes from 7 neurons"), "{err}");
    assert!(err.contains("population \"inh\" never fired"), "{err}");
    assert!(
        !err.contains('\u{1b}'),
        "no colour codes when stderr is not a terminal"
    );
}

#[test]
fn the_documented_demo_output_is_the_real_output() {
    let doc = std::fs::read_to_string(repo().join("docs/scenario-format.md")).unwrap();
    let at = doc.find("### A complete example").unwrap();
    let json_start = doc[at..].find("```json\n").unwrap() + at + 8;
    let json_end = doc[json_start..].find("```").unwrap() + json_start;
    let text_start = doc[json_end..].find("```text\n").unwrap() + json_end + 8;
    let text_end = doc[text_start..].find("```").unwrap() + text_start;
    let tmp = TempDir::new("demo");
    let f = tmp.path().join("demo.json");
    std::fs::write(&f, &doc[json_start..json_end]).unwrap();
    let out = tmp.path().join("out");
    assert_success(&run_file(&f, &out, &[]));
    let got = std::fs::read_to_string(out.join("spikes.csv")).unwrap();
    assert_eq!(
        got,
        &doc[text_start..text_end],
        "docs/scenario-format.md §1 is out of date"
    );
}

#[test]
fn the_memory_estimate_covers_what_inputs_allocate() {
    // input-dominated networks: peak RSS within 1.5x of the builder's estimate
    let tmp = TempDir::new("memest");
    let pop =
        json!([{"name": "n", "size": 1, "model": "lif", "params": {"tau_m": 10.0, "v_th": -55.0}}]);
    let times: Vec<Vec<f64>> = (0..300_000)
        .map(|i| {
            (0..10)
                .map(|j| (i % 1000) as f64 * 0.001 + j as f64 * 0.01)
                .collect()
        })
        .collect();
    let cases = [
        json!({"duration": 10.0, "populations": pop,
               "inputs": [{"name": "p", "kind": "poisson", "size": 2_000_000, "rate": 1.0}]}),
        json!({"duration": 100.0, "populations": pop,
               "inputs": [{"name": "s", "kind": "spike_times", "times": times}]}),
    ];
    for (k, sc) in cases.iter().enumerate() {
        let f = tmp.path().join(format!("{k}.json"));
        std::fs::write(&f, sc.to_string()).unwrap();
        let out = tmp.path().join(format!("out{k}"));
        assert_success(&run_file(&f, &out, &[]));
        let s = Results::open(&out).unwrap().summary;
        let (est, peak) = (s.memory_estimate_bytes as f64, s.peak_rss_bytes as f64);
        assert!(
            peak <= 1.5 * est && est <= 1.5 * peak,
            "case {k}: estimate {est}, peak {peak}"
        );
    }
    // the documented Poisson limit is enforced
    let big = json!({"duration": 1e9, "populations": pop,
        "inputs": [{"name": "p", "kind": "poisson", "size": 1000, "rate": 1000.0}]});
    let f = tmp.path().join("big.json");
    std::fs::write(&f, big.to_string()).unwrap();
    fails_with(
        &["validate", f.to_str().unwrap()],
        &["inputs[0].rate", "spikes"],
    );
}
