//! Fuzzing on stable Rust with proptest: structured mutations of valid scenarios and raw
//! byte damage. The loader and the simulator must answer every input with a result or a
//! `ScenarioError`, never a panic, an abort or a runaway allocation. Bounded case counts keep
//! CI short; raise PROPTEST_CASES locally for longer campaigns.

use crate::util::*;
use exactspike::build::{self, BuildOptions};
use exactspike::scenario;
use proptest::prelude::*;
use serde_json::{json, Value};

fn seeds() -> Vec<Value> {
    let mut v = vec![json!({
        "name": "f", "seed": 2, "duration": 30.0,
        "populations": [
            {"name": "a", "size": 4, "model": "lif",
             "params": {"tau_m": [10.0, 11.0, 12.0, 13.0], "v_th": -55.0, "t_ref": 1.0, "i_bias": {"uniform": [0.0, 20.0]},
                        "receptors": [{"kind": "exp", "tau": 2.0}, {"kind": "alpha", "tau": 1.0}, {"kind": "delta"}],
                        "adaptation": [{"tau": 20.0, "increment": -1.0}],
                        "threshold_adaptation": [{"tau": 30.0, "increment": 1.0}]}},
            {"name": "b", "size": 2, "model": "lif", "params": {"tau_m": 5.0, "v_th": -60.0, "v_reset": -65.0}}
        ],
        "inputs": [
            {"name": "p", "kind": "poisson", "size": 3, "rate": {"mean": 50.0, "amplitude": 20.0, "frequency": 10.0}},
            {"name": "s", "kind": "spike_times", "times": [[1.0, 2.0], [3.0]]},
            {"name": "q", "kind": "poisson", "size": 2, "rate": [40.0, 400.0], "start": 1.0},
            {"name": "g", "kind": "gamma", "size": 2, "rate": 300.0, "shape": 3.0, "stop": 20.0},
            {"name": "r", "kind": "periodic", "size": 2, "period": 3.0, "jitter": 0.1},
            {"name": "e", "kind": "phase_locked", "size": 2, "frequency": 500.0, "rate": 200.0, "jitter": 0.05,
             "delay": {"amplitude": 0.2, "period": 10.0}}
        ],
        "connections": [
            {"from": "p", "to": "a", "rule": {"fixed_probability": 0.5}, "weight": 5.0, "delay": 0.5},
            {"from": "s", "to": "a", "rule": {"pairs": [[0, 1], [1, 2]]}, "weight": [3.0, 4.0], "delay": 0.0, "receptor": 1},
            {"from": "r", "to": "b", "rule": "one_to_one", "weight": 9.0, "delay": {"normal": [1.0, 0.1], "min": 0.5}},
            {"from": "e", "to": "b", "rule": {"fixed_indegree": 1}, "weight": 2.0, "delay": 1.0},
            {"from": "a", "to": "b", "rule": {"fixed_outdegree": 1}, "weight": -2.0, "delay": 0.7},
            {"from": "a", "to": "a", "rule": "all_to_all", "weight": 1.0, "delay": 1.0, "receptor": 2},
            {"from": "q", "to": "b", "rule": "all_to_all", "weight": 1.5, "delay": 0.3},
            {"from": "g", "to": "a", "rule": "all_to_all", "weight": 2.5, "delay": 0.4}
        ],
        "currents": [{"to": "a", "neurons": [0, 2], "times": [0.0, 5.0, 12.5], "amplitudes": [3.0, -2.0, 10.0]},
                     {"to": "b", "times": [1.0], "amplitudes": [4.0]},
                     {"to": "a", "neurons": [1], "sine": {"amplitude": 30.0, "frequency": 150.0, "phase": 20.0, "offset": 5.0, "start": 2.0, "stop": 15.0}}],
        "record": {"spikes": ["a", "p"], "voltage": [{"population": "a", "neurons": [0], "every": 1.0}]}
    })];
    for f in ["examples/cuba.json", "tests/data/refs/mixed.json"] {
        let text = std::fs::read_to_string(repo().join(f)).unwrap();
        let mut val: Value = serde_json::from_str(&text).unwrap();
        if let Some(sc) = val.get("scenario") {
            val = sc.clone();
        }
        v.push(val);
    }
    v
}

fn pointers(v: &Value, at: String, out: &mut Vec<String>) {
    out.push(at.clone());
    match v {
        Value::Object(m) => m
            .iter()
            .for_each(|(k, x)| pointers(x, format!("{at}/{k}"), out)),
        Value::Array(a) => a
            .iter()
            .enumerate()
            .take(8)
            .for_each(|(i, x)| pointers(x, format!("{at}/{i}"), out)),
        _ => {}
    }
}

fn interesting(k: usize) -> Value {
    [
        json!(null),
        json!(0),
        json!(-1),
        json!(1e308),
        json!(-1e-300),
        json!(0.5),
        json!(3),
        json!(1e9),
        json!(""),
        json!("a"),
        json!("lif"),
        json!([]),
        json!([1.0]),
        json!({}),
        json!({"uniform": [1.0, 0.0]}),
        json!({"normal": [0.0, 5.0]}),
        json!(true),
        json!([[0, 0]]),
        json!(u64::MAX),
        json!(-0.0),
        json!({"fixed_indegree": 100000}),
        json!("all_to_all"),
    ][k % 22]
        .clone()
}

/// Applies mutation `op` at the `which`-th pointer of `v`.
fn mutate(v: &mut Value, which: usize, op: usize, val: usize) {
    let mut ps = vec![];
    pointers(v, String::new(), &mut ps);
    let p = ps[which % ps.len()].clone();
    if p.is_empty() {
        if op.is_multiple_of(7) {
            *v = interesting(val);
        }
        return;
    }
    let (parent, key) = p.rsplit_once('/').unwrap();
    let Some(parent) = v.pointer_mut(parent) else {
        return;
    };
    match (parent, op % 5) {
        (Value::Object(m), 0) => {
            m.remove(key);
        }
        (Value::Object(m), 1) => {
            m.insert(format!("{key}x"), interesting(val));
        }
        (Value::Array(a), 0) => {
            let i: usize = key.parse().unwrap();
            a.remove(i);
        }
        (Value::Array(a), 1) => {
            let i: usize = key.parse().unwrap();
            let dup = a[i].clone();
            a.push(dup);
        }
        (parent, _) => {
            if let Some(slot) = match parent {
                Value::Object(m) => m.get_mut(key),
                Value::Array(a) => key.parse::<usize>().ok().and_then(|i| a.get_mut(i)),
                _ => None,
            } {
                *slot = interesting(val);
            }
        }
    }
}

/// Parse, build within a small memory budget, and simulate a short run: must not panic.
fn exercise(text: &str) {
    let Ok(mut sc) = scenario::parse_str(text) else {
        return;
    };
    if sc.duration.is_finite() && sc.duration > 20.0 {
        sc.duration = 20.0;
    }
    let limits = BuildOptions {
        max_memory: 64 << 20,
        ..BuildOptions::default()
    };
    if let Ok(net) = build::build_with(&sc, "fuzz", &limits) {
        let out = exactspike::Simulation::new(net).run();
        for s in &out.spikes {
            assert!(s.time.is_finite() && s.time >= 0.0 && s.time < 20.0 + 1e-9);
        }
    }
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 1500, failure_persistence: None, ..ProptestConfig::default() })]

    #[test]
    fn structured_mutations_never_panic(base in 0usize..3, muts in prop::collection::vec((0usize..400, 0usize..35, 0usize..100), 1..4)) {
        let mut v = seeds()[base].clone();
        for (w, op, val) in muts {
            mutate(&mut v, w, op, val);
        }
        exercise(&v.to_string());
    }

    #[test]
    fn damaged_bytes_never_panic(base in 0usize..3, cut in 0usize..5000, flips in prop::collection::vec((0usize..5000, any::<u8>()), 0..6)) {
        let mut bytes = seeds()[base].to_string().into_bytes();
        bytes.truncate(cut.max(1).min(bytes.len()));
        for (i, b) in flips {
            let n = bytes.len();
            bytes[i % n] = b;
        }
        exercise(&String::from_utf8_lossy(&bytes));
    }
}

/// The real binary on a handful of mutated files: only exit codes 0 or 2, no panic text.
#[test]
fn binary_exits_with_0_or_2_on_mutated_files() {
    let tmp = TempDir::new("fuzz-bin");
    let mut rng_state = 0x2545_f491_4f6c_dd1du64;
    let mut next = || {
        rng_state ^= rng_state << 13;
        rng_state ^= rng_state >> 7;
        rng_state ^= rng_state << 17;
        rng_state as usize
    };
    for case in 0..24 {
        let mut v = seeds()[0].clone();
        v["duration"] = json!(20.0);
        for _ in 0..(1 + case % 3) {
            let (w, op, val) = (next(), next(), next());
            mutate(&mut v, w, op, val);
        }
        let f = tmp.path().join(format!("m{case}.json"));
        std::fs::write(&f, v.to_string()).unwrap();
        let o = bin()
            .arg("run")
            .arg(&f)
            .arg("--out")
            .arg(tmp.path().join(format!("o{case}")))
            .arg("--max-memory")
            .arg("64M")
            .output()
            .unwrap();
        let code = o.status.code();
        let err = String::from_utf8_lossy(&o.stderr);
        assert!(
            code == Some(0) || code == Some(2),
            "case {case}: exit {code:?}\n{err}\n{v}"
        );
        assert!(!err.contains("panicked"), "{err}");
    }
}
