//! Same scenario and seed → byte-identical outputs; each random element has its own stream.

use crate::util::*;
use serde_json::json;

fn random_net(seed: u64, extra_input: bool) -> serde_json::Value {
    let mut inputs = vec![
        json!({"name": "noise", "kind": "poisson", "size": 20, "rate": 40.0}),
        json!({"name": "tick", "kind": "periodic", "size": 5, "period": 7.0, "jitter": 0.3}),
    ];
    if extra_input {
        inputs.insert(
            0,
            json!({"name": "zzz", "kind": "poisson", "size": 3, "rate": 100.0}),
        );
    }
    json!({
        "seed": seed, "duration": 300.0,
        "populations": [{"name": "exc", "size": 30, "model": "lif",
            "params": {"tau_m": {"uniform": [8.0, 12.0]}, "v_th": -55.0, "t_ref": 2.0,
                       "v_init": {"normal": [-65.0, 3.0], "max": -56.0},
                       "receptors": [{"kind": "exp", "tau": 3.0}, {"kind": "alpha", "tau": 1.0}]}}],
        "inputs": inputs,
        "connections": [
            {"from": "noise", "to": "exc", "rule": {"fixed_probability": 0.3}, "weight": {"uniform": [5.0, 15.0]}, "delay": {"uniform": [0.5, 2.0]}},
            {"from": "tick", "to": "exc", "rule": {"fixed_indegree": 2}, "weight": 8.0, "delay": 1.0, "receptor": 1},
            {"from": "exc", "to": "exc", "rule": {"fixed_probability": 0.1}, "weight": -2.0, "delay": 1.5}
        ],
        "record": {"spikes": ["exc", "noise", "tick"], "voltage": [{"population": "exc", "neurons": [0, 7], "every": 1.0}]}
    })
}

/// Runs `a` and `b` and asserts that they succeed with byte-identical spikes and voltages
/// (`what` names the difference in a failure); returns the first run's spikes.
fn same_outputs(
    tag: &str,
    a: &serde_json::Value,
    b: &serde_json::Value,
    what: &str,
) -> Vec<(String, usize, f64)> {
    let da = TempDir::new(&format!("{tag}-a"));
    let db = TempDir::new(&format!("{tag}-b"));
    let (oa, outa) = run_json(da.path(), a);
    let (ob, outb) = run_json(db.path(), b);
    assert_success(&oa);
    assert_success(&ob);
    for f in ["spikes.csv", "voltage.csv"] {
        let x = std::fs::read(outa.join(f)).unwrap();
        let y = std::fs::read(outb.join(f)).unwrap();
        assert!(x == y, "{f} differs {what}");
    }
    read_spikes(&outa)
}

#[test]
fn same_seed_gives_identical_files() {
    let net = random_net(7, false);
    let spikes = same_outputs("det", &net, &net, "between two runs with the same seed");
    assert!(
        spikes.iter().filter(|s| s.0 == "exc").count() > 10,
        "the network should be active"
    );
}

#[test]
fn different_seed_gives_different_spikes() {
    let a = TempDir::new("det-c");
    let b = TempDir::new("det-d");
    let (_, outa) = run_json(a.path(), &random_net(7, false));
    let (_, outb) = run_json(b.path(), &random_net(8, false));
    assert_ne!(read_spikes(&outa), read_spikes(&outb));
}

#[test]
fn adding_an_input_does_not_change_other_inputs_draws() {
    let a = TempDir::new("det-e");
    let b = TempDir::new("det-f");
    let (_, outa) = run_json(a.path(), &random_net(7, false));
    let (_, outb) = run_json(b.path(), &random_net(7, true));
    for src in ["noise", "tick"] {
        let x: Vec<_> = read_spikes(&outa)
            .into_iter()
            .filter(|s| s.0 == src)
            .collect();
        let y: Vec<_> = read_spikes(&outb)
            .into_iter()
            .filter(|s| s.0 == src)
            .collect();
        assert!(!x.is_empty());
        assert_eq!(
            x, y,
            "spikes of {src} changed when an unrelated input was added"
        );
    }
}

/// With many sources the loop looks ahead at the next source spike and prefetches what it
/// will read (a hint only). 10 000 sources stay below the threshold; 10 000 more, connected
/// to nothing (delay groups: none), take the run above it: the network's spikes and
/// voltages must be the same bytes.
#[test]
fn the_look_ahead_of_many_sources_changes_nothing() {
    let net = |idle: bool| {
        let mut inputs =
            vec![json!({"name": "bg", "kind": "poisson", "size": 10000, "rate": 20.0})];
        if idle {
            inputs.push(json!({"name": "idle", "kind": "poisson", "size": 10000, "rate": 20.0}));
        }
        json!({
            "seed": 5, "duration": 200.0,
            "populations": [{"name": "exc", "size": 200, "model": "lif",
                "params": {"tau_m": 10.0, "v_th": -55.0, "t_ref": 2.0,
                           "receptors": [{"kind": "exp", "tau": 3.0}, {"kind": "exp", "tau": 6.0}]}}],
            "inputs": inputs,
            "connections": [
                {"from": "bg", "to": "exc", "rule": {"fixed_outdegree": 2}, "weight": 3.0, "delay": 0.0},
                {"from": "exc", "to": "exc", "rule": {"fixed_probability": 0.05}, "weight": -1.0, "delay": 1.0, "receptor": 1}
            ],
            "record": {"spikes": ["exc"], "voltage": [{"population": "exc", "neurons": [0, 7], "every": 1.0}]}
        })
    };
    let spikes = same_outputs("look", &net(false), &net(true), "with the look-ahead on");
    assert!(spikes.len() > 100, "the network should be active");
}

/// The delivery loops specialised to a uniform fused layout (runs of targets in one
/// population, each run through one view) against the general loop, which the same network
/// takes when one more population, of another layout and connected to nothing, is added:
/// two recurrent populations with refractoriness, inputs at shared instants (a periodic
/// input whose sources fire together: groups whose targets were marked earlier in the instant),
/// rows that alternate between the populations (explicit pairs in mixed order) and
/// repeated targets; the spikes and voltages must be the same bytes.
#[test]
fn the_specialised_delivery_loops_equal_the_general_loop() {
    let net = |extra: bool| {
        let lif = |tau: f64| {
            json!({"tau_m": tau, "v_th": -55.0, "t_ref": 2.0, "i_bias": 8.0,
                   "v_init": {"uniform": [-70.0, -56.0]},
                   "receptors": [{"kind": "exp", "tau": 3.0}, {"kind": "exp", "tau": 7.0}]})
        };
        let mut pops = vec![
            json!({"name": "a", "size": 60, "model": "lif", "params": lif(10.0)}),
            json!({"name": "b", "size": 40, "model": "lif", "params": lif(10.0)}),
        ];
        if extra {
            pops.push(json!({"name": "z", "size": 3, "model": "lif",
                "params": {"tau_m": 10.0, "v_th": -55.0, "receptors": [{"kind": "alpha", "tau": 2.0}]}}));
        }
        // rows that go a, b, a, b, ... and name a target twice
        let pairs: Vec<_> = (0..40)
            .flat_map(|k| [json!([k % 10, k % 60]), json!([k % 10, 60 + k % 40])])
            .collect();
        json!({
            "seed": 3, "duration": 300.0,
            "populations": pops,
            "inputs": [{"name": "drive", "kind": "poisson", "size": 10, "rate": 300.0},
                       {"name": "tick", "kind": "periodic", "size": 5, "period": 7.0, "phase": 1.0}],
            "connections": [
                {"from": "tick", "to": "a", "rule": {"fixed_probability": 0.5}, "weight": 3.0, "delay": 0.25},
                {"from": "tick", "to": "b", "rule": {"fixed_probability": 0.5}, "weight": 3.0, "delay": 0.25, "receptor": 1},
                {"from": "drive", "to": "a", "rule": {"fixed_probability": 0.5}, "weight": 4.0, "delay": 0.5},
                {"from": "drive", "to": "b", "rule": {"fixed_probability": 0.5}, "weight": 4.0, "delay": 0.5},
                {"from": "a", "to": "b", "rule": {"fixed_probability": 0.2}, "weight": 1.5, "delay": 0.5},
                {"from": "b", "to": "a", "rule": {"fixed_probability": 0.2}, "weight": -3.0, "delay": 0.5, "receptor": 1},
                {"from": "a", "to": "a", "rule": {"pairs": pairs.iter().filter(|p| p[1].as_u64().unwrap() < 60).cloned().collect::<Vec<_>>()}, "weight": 0.7, "delay": 0.5, "autapses": true},
                {"from": "a", "to": "b", "rule": {"pairs": pairs.iter().filter(|p| p[1].as_u64().unwrap() >= 60).map(|p| json!([p[0], p[1].as_u64().unwrap() - 60])).collect::<Vec<_>>()}, "weight": 0.7, "delay": 0.5}
            ],
            "record": {"spikes": ["a", "b"], "voltage": [{"population": "a", "neurons": [0, 7], "every": 0.5},
                                                         {"population": "b", "neurons": [3], "every": 0.5}]}
        })
    };
    let what = "between the specialised and the general loop";
    let spikes = same_outputs("loops", &net(false), &net(true), what);
    assert!(spikes.len() > 200, "the network should be active");
}

/// A run's results before t do not depend on how long it runs: CUBA (chaotic: one ulp
/// anywhere and the trains part within ~100 ms), alpha receptors with threshold adaptation
/// and phase-locked, periodic and step-rate inputs, STDP, QIF, and currents, each run for T
/// and for 2.3·T, agree bit for bit on every spike and sample before T.
#[test]
fn results_before_t_do_not_depend_on_the_duration() {
    let example = |name: &str| -> serde_json::Value {
        serde_json::from_str(&std::fs::read_to_string(repo().join("examples").join(name)).unwrap())
            .unwrap()
    };
    let mut cuba = example("cuba.json");
    cuba["record"]["voltage"] = json!([{"population": "exc", "neurons": [0, 5], "every": 0.37}]);
    cuba["currents"] = json!([{"to": "inh", "times": [40.0, 90.0], "amplitudes": [4.0, -1.0]},
        {"to": "exc", "neurons": [0, 5, 9], "sine": {"amplitude": 25.0, "frequency": 60.0, "start": 30.0}}]);
    let mut mixed = random_net(4, true);
    mixed["populations"][0]["params"]["threshold_adaptation"] =
        json!([{"tau": 30.0, "increment": 2.0}]);
    mixed["inputs"].as_array_mut().unwrap().extend([
        json!({"name": "ear", "kind": "phase_locked", "size": 4, "frequency": 300.0, "rate": 150.0, "jitter": 0.1}),
        json!({"name": "steps", "kind": "poisson", "size": 4, "rate": {"times": [10.0, 60.0], "rates": [80.0, 5.0]}}),
        json!({"name": "each", "kind": "poisson", "size": 3, "rate": [0.0, 30.0, 90.0]})]);
    mixed["connections"].as_array_mut().unwrap().extend([
        json!({"from": "ear", "to": "exc", "rule": "all_to_all", "weight": 6.0, "delay": 0.3}),
        json!({"from": "steps", "to": "exc", "rule": "all_to_all", "weight": 4.0, "delay": 0.2}),
        json!({"from": "each", "to": "exc", "rule": "all_to_all", "weight": 3.0, "delay": 0.7}),
    ]);
    let stdp = example("stdp_song2000.json");
    let qif = json!({"seed": 2, "duration": 100.0,
        "populations": [{"name": "q", "size": 20, "model": "qif",
            "params": {"tau_m": 10.0, "v_crit": -50.0, "v_peak": 20.0, "i_bias": {"uniform": [4.0, 6.0]}}}],
        "inputs": [{"name": "p", "kind": "poisson", "size": 10, "rate": 100.0}],
        "connections": [{"from": "p", "to": "q", "rule": {"fixed_probability": 0.5}, "weight": 3.0, "delay": 0.5},
                        {"from": "q", "to": "q", "rule": {"fixed_probability": 0.2}, "weight": 2.0, "delay": 1.0}]});
    for (tag, sc, t) in [
        ("cuba", cuba, 150.0),
        ("mixed", mixed, 120.0),
        ("stdp", stdp, 3000.0),
        ("qif", qif, 150.0),
    ] {
        let tmp = TempDir::new("prefix");
        let rows = |duration: f64, dir: &str| {
            let mut s = sc.clone();
            s["duration"] = json!(duration);
            let f = tmp.path().join(format!("{dir}.json"));
            std::fs::write(&f, s.to_string()).unwrap();
            let out = tmp.path().join(dir);
            assert_success(&run_file(&f, &out, &[]));
            let keep = |file: &str| -> Vec<String> {
                let text = std::fs::read_to_string(out.join(file)).unwrap_or_default();
                text.lines()
                    .skip(1)
                    .filter(|l| {
                        l.split(',')
                            .nth(2)
                            .is_some_and(|x| x.parse::<f64>().unwrap() < t)
                    })
                    .map(String::from)
                    .collect()
            };
            (keep("spikes.csv"), keep("voltage.csv"))
        };
        let (short, long) = (rows(t, "short"), rows(2.3 * t, "long"));
        assert!(short.0.len() > 50, "{tag}: {} spikes", short.0.len());
        assert!(
            short == long,
            "{tag}: results before {t} ms differ with the run's duration"
        );
    }
}
