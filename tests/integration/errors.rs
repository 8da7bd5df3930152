//! Bad input: every class of mistake exits with status 2, names the JSON path of the
//! offending value, and leaves `--out` untouched (not even created).

use crate::util::*;
use serde_json::{json, Value};

fn base() -> Value {
    json!({
        "name": "base", "seed": 1, "duration": 50.0,
        "populations": [
            {"name": "post", "size": 3, "model": "lif",
             "params": {"tau_m": 10.0, "v_th": -55.0, "t_ref": 2.0,
                        "receptors": [{"kind": "exp", "tau": 5.0}, {"kind": "delta"}]}},
            {"name": "other", "size": 2, "model": "lif", "params": {"tau_m": 10.0, "v_th": -55.0}}
        ],
        "inputs": [{"name": "in0", "kind": "spike_times", "times": [[1.0], [2.0]]}],
        "connections": [
            {"from": "in0", "to": "post", "rule": "all_to_all", "weight": 5.0, "delay": 1.0},
            {"from": "post", "to": "other", "rule": "all_to_all", "weight": 1.0, "delay": 1.0}
        ]
    })
}

/// Sets `pointer` in `v` (creating object keys as needed).
fn set(mut v: Value, pointer: &str, new: Value) -> Value {
    let (parent, key) = pointer.rsplit_once('/').unwrap();
    let target = v
        .pointer_mut(parent)
        .unwrap_or_else(|| panic!("no {parent}"));
    match target {
        Value::Object(m) => {
            m.insert(key.to_string(), new);
        }
        Value::Array(a) => a[key.parse::<usize>().unwrap()] = new,
        _ => panic!("cannot set {pointer}"),
    }
    v
}

fn remove(mut v: Value, pointer: &str) -> Value {
    let (parent, key) = pointer.rsplit_once('/').unwrap();
    v.pointer_mut(parent)
        .unwrap()
        .as_object_mut()
        .unwrap()
        .remove(key);
    v
}

fn expect_error(scenario: Value, path: &str, also: &str) {
    let tmp = TempDir::new("err");
    let (o, out) = run_json(tmp.path(), &scenario);
    let stderr = String::from_utf8_lossy(&o.stderr);
    assert_eq!(
        o.status.code(),
        Some(2),
        "expected exit 2 for {path}; stderr:\n{stderr}"
    );
    assert!(
        stderr.contains(path),
        "message should name {path:?}:\n{stderr}"
    );
    assert!(
        stderr.contains(also),
        "message should contain {also:?}:\n{stderr}"
    );
    assert!(!stderr.contains("panicked"), "{stderr}");
    assert!(
        !out.exists(),
        "--out must not be created for an invalid scenario"
    );
    // validate agrees
    let v = bin()
        .arg("validate")
        .arg(tmp.path().join("scenario.json"))
        .output()
        .unwrap();
    assert_eq!(v.status.code(), Some(2));
}

#[test]
fn the_base_scenario_is_valid() {
    let tmp = TempDir::new("ok");
    let (o, _) = run_json(tmp.path(), &base());
    assert_success(&o);
}

#[test]
fn unknown_key_with_suggestion() {
    let s = set(base(), "/populations/0/params/tau_mm", json!(3.0));
    expect_error(s, "populations[0].params.tau_mm", "did you mean \"tau_m\"");
    expect_error(
        set(base(), "/durration", json!(1.0)),
        "durration",
        "did you mean \"duration\"",
    );
}

#[test]
fn keys_and_names_with_control_characters_stay_on_one_line() {
    let tmp = TempDir::new("err-newline");
    for (pointer, path) in [("/a\nb", "a\\nb"), ("/inputs/0/kind", "inputs[0].kind")] {
        let s = set(base(), pointer, json!("x\ny"));
        let (o, _) = run_json(tmp.path(), &s);
        let stderr = String::from_utf8_lossy(&o.stderr);
        assert_eq!(o.status.code(), Some(2), "{stderr}");
        assert_eq!(stderr.trim_end().lines().count(), 1, "{stderr}");
        assert!(stderr.contains(path), "{stderr}");
    }
}

#[test]
fn wrong_type() {
    expect_error(
        set(base(), "/populations/0/params/tau_m", json!("ten")),
        "populations[0].params.tau_m",
        "a number",
    );
    expect_error(
        set(base(), "/populations/0/size", json!(-3)),
        "populations[0].size",
        "must be a whole number ≥ 0",
    );
    expect_error(
        set(base(), "/populations/0/size", json!(2.5)),
        "populations[0].size",
        "got 2.5",
    );
    expect_error(
        set(base(), "/populations/0/size", json!(1e300)),
        "populations[0].size",
        "got 1e+300",
    );
    expect_error(
        set(base(), "/populations/0/size", json!(1e-300)),
        "populations[0].size",
        "got 1e-300",
    );
    // (a JSON integer past 2^64 reaches the parser as a float)
    expect_error(
        set(
            base(),
            "/seed",
            serde_json::from_str("18446744073709551616").unwrap(),
        ),
        "seed",
        "whole number from 0 to 18446744073709551615",
    );
    expect_error(
        set(base(), "/inputs/0/times", json!([[1.0], ["x"]])),
        "inputs[0].times[1][0]",
        "",
    );
}

#[test]
fn missing_required_field() {
    expect_error(
        remove(base(), "/populations/0/params/v_th"),
        "populations[0].params",
        "v_th",
    );
    expect_error(remove(base(), "/duration"), ".", "duration");
    expect_error(
        remove(base(), "/connections/0/delay"),
        "connections[0]",
        "delay",
    );
}

#[test]
fn duplicate_and_unknown_names() {
    expect_error(
        set(base(), "/populations/1/name", json!("post")),
        "populations[1].name",
        "duplicate",
    );
    expect_error(
        set(base(), "/inputs/0/name", json!("post")),
        "inputs[0].name",
        "duplicate",
    );
    expect_error(
        set(base(), "/connections/0/to", json!("pots")),
        "connections[0].to",
        "did you mean \"post\"",
    );
    expect_error(
        set(base(), "/connections/1/from", json!("nobody")),
        "connections[1].from",
        "unknown population \"nobody\"",
    );
    expect_error(
        set(base(), "/connections/0/to", json!("in0")),
        "connections[0].to",
        "input",
    );
}

#[test]
fn out_of_range_values() {
    expect_error(
        set(base(), "/populations/0/params/tau_m", json!(-1.0)),
        "populations[0].params.tau_m",
        "must be > 0 ms, got -1",
    );
    expect_error(
        set(base(), "/populations/0/params/tau_m", json!(0.0)),
        "populations[0].params.tau_m",
        "> 0",
    );
    expect_error(set(base(), "/duration", json!(0.0)), "duration", "> 0");
    expect_error(
        set(base(), "/populations/0/params/t_ref", json!(-1.0)),
        "populations[0].params.t_ref",
        ">= 0",
    );
    expect_error(
        set(base(), "/populations/0/params/receptors/0/tau", json!(-5.0)),
        "populations[0].params.receptors[0].tau",
        "> 0",
    );
    expect_error(
        set(base(), "/inputs/0/times", json!([[1.0], [-2.0]])),
        "inputs[0].times[1][0]",
        ">= 0",
    );
}

#[test]
fn list_lengths() {
    expect_error(
        set(base(), "/populations/0/params/tau_m", json!([10.0, 11.0])),
        "populations[0].params.tau_m",
        "expected 3",
    );
    expect_error(
        set(base(), "/connections/0/weight", json!([1.0, 2.0, 3.0])),
        "connections[0].weight",
        "expected 6",
    );
}

#[test]
fn reset_not_below_threshold() {
    expect_error(
        set(base(), "/populations/0/params/v_reset", json!(-50.0)),
        "populations[0].params.v_reset",
        "< v_th",
    );
    expect_error(
        set(base(), "/populations/1/params/v_rest", json!(-40.0)),
        "populations[1].params.v_rest",
        "< v_th",
    );
}

#[test]
fn receptor_index_out_of_range() {
    expect_error(
        set(base(), "/connections/0/receptor", json!(2)),
        "connections[0].receptor",
        "2 receptor(s)",
    );
}

#[test]
fn delays() {
    expect_error(
        set(base(), "/connections/1/delay", json!(0.0)),
        "connections[1].delay",
        "> 0",
    );
    expect_error(
        set(base(), "/connections/1/delay", json!(-1.0)),
        "connections[1].delay",
        "> 0",
    );
    expect_error(
        set(base(), "/connections/0/delay", json!(-1.0)),
        "connections[0].delay",
        ">= 0",
    );
    expect_error(
        set(
            base(),
            "/connections/1/delay",
            json!({"normal": [-5.0, 1.0]}),
        ),
        "connections[1].delay",
        "\"min\"",
    );
}

#[test]
fn probabilities_and_degrees() {
    expect_error(
        set(
            base(),
            "/connections/1/rule",
            json!({"fixed_probability": 1.5}),
        ),
        "connections[1].rule.fixed_probability",
        "[0, 1]",
    );
    expect_error(
        set(base(), "/connections/1/rule", json!({"fixed_indegree": 4})),
        "connections[1].rule.fixed_indegree",
        "3 distinct sources",
    );
    // (a degree far too large is that, not a network over the memory limit)
    expect_error(
        set(
            base(),
            "/connections/1/rule",
            json!({"fixed_indegree": 1_000_000_000_000u64}),
        ),
        "connections[1].rule.fixed_indegree",
        "3 distinct sources",
    );
    expect_error(
        set(base(), "/connections/1/rule", json!("some_to_some")),
        "connections[1].rule",
        "all_to_all",
    );
    expect_error(
        set(
            base(),
            "/connections/1/rule",
            json!({"pairs": [[0, 1], [3, 0]]}),
        ),
        "connections[1].rule.pairs[1][0]",
        "out of range",
    );
}

#[test]
fn distributions() {
    expect_error(
        set(
            base(),
            "/populations/0/params/tau_m",
            json!({"uniform": [5.0, 1.0]}),
        ),
        "populations[0].params.tau_m.uniform",
        "lo <= hi",
    );
    expect_error(
        set(
            base(),
            "/populations/0/params/tau_m",
            json!({"normal": [5.0, 1.0], "uniform": [1.0, 2.0]}),
        ),
        "populations[0].params.tau_m",
        "exactly one",
    );
    // finite bounds whose width is not: every draw would be ±inf
    expect_error(
        set(
            base(),
            "/populations/0/params/v_init",
            json!({"uniform": [-1e308, 1e308]}),
        ),
        "populations[0].params.v_init.uniform",
        "got [-1e308, 1e308]",
    );
    // a drawn value outside its range is shown as written, not in 300 digits
    expect_error(
        set(
            base(),
            "/connections/0/weight",
            json!({"uniform": [1e300, 1e300]}),
        ),
        "connections[0].weight",
        "the distribution drew 1e300 for synapse 0,",
    );
}

#[test]
fn inputs() {
    expect_error(
        set(base(), "/inputs/0/kind", json!("poison")),
        "inputs[0].kind",
        "did you mean \"poisson\"",
    );
    expect_error(
        set(
            base(),
            "/inputs/0",
            json!({"name": "in0", "kind": "poisson", "size": 2, "rate": -5.0}),
        ),
        "inputs[0].rate",
        ">= 0",
    );
    expect_error(
        set(
            base(),
            "/inputs/0",
            json!({"name": "in0", "kind": "periodic", "size": 2, "period": 0.0}),
        ),
        "inputs[0].period",
        "> 0",
    );
    expect_error(
        set(
            base(),
            "/inputs/0",
            json!({"name": "in0", "kind": "phase_locked", "size": 2, "frequency": 500.0, "rate": 600.0, "jitter": 0.1}),
        ),
        "inputs[0].rate",
        "<= frequency",
    );
    expect_error(
        set(
            base(),
            "/inputs/0",
            json!({"name": "in0", "kind": "periodic", "size": 2, "period": 1.0, "rate": 3}),
        ),
        "inputs[0].rate",
        "unknown key",
    );
}

#[test]
fn record_section() {
    expect_error(
        set(base(), "/record", json!({"spikes": ["posst"]})),
        "record.spikes[0]",
        "did you mean \"post\"",
    );
    expect_error(
        set(
            base(),
            "/record",
            json!({"voltage": [{"population": "post", "neurons": [5], "every": 1.0}]}),
        ),
        "record.voltage[0].neurons[0]",
        "out of range",
    );
    expect_error(
        set(
            base(),
            "/record",
            json!({"voltage": [{"population": "post"}]}),
        ),
        "record.voltage[0]",
        "every",
    );
}

#[test]
fn unreadable_empty_and_malformed_files() {
    let tmp = TempDir::new("files");
    let out = tmp.path().join("out");
    let run = |file: &std::path::Path| {
        bin()
            .arg("run")
            .arg(file)
            .arg("--out")
            .arg(&out)
            .output()
            .unwrap()
    };
    let missing = run(&tmp.path().join("missing.json"));
    assert_eq!(missing.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&missing.stderr).contains("cannot read"));
    for (name, text, needle) in [
        ("empty.json", "", "empty"),
        ("broken.json", "{\"duration\": 1.0,", "broken.json:1:"),
        ("array.json", "[1, 2]", "expected a JSON object"),
        ("binary.json", "\u{0}\u{1}\u{2}", "invalid JSON"),
    ] {
        let f = tmp.path().join(name);
        std::fs::write(&f, text).unwrap();
        let o = run(&f);
        let e = String::from_utf8_lossy(&o.stderr);
        assert_eq!(o.status.code(), Some(2), "{name}: {e}");
        assert!(e.contains(needle), "{name}: {e}");
        assert!(!e.contains("panicked"));
    }
    assert!(!out.exists());
}

#[test]
fn out_directory_that_cannot_be_created() {
    let tmp = TempDir::new("outdir");
    let sp = tmp.path().join("s.json");
    std::fs::write(&sp, base().to_string()).unwrap();
    let blocker = tmp.path().join("file");
    std::fs::write(&blocker, "x").unwrap();
    let o = bin()
        .arg("run")
        .arg(&sp)
        .arg("--out")
        .arg(blocker.join("sub"))
        .output()
        .unwrap();
    assert_eq!(o.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&o.stderr).contains("--out"));
}

#[test]
fn plasticity_parameters() {
    let stdp = json!({"tau_plus": 20.0, "tau_minus": 20.0, "a_plus": 0.01, "a_minus": 0.01, "w_min": 0.0, "w_max": 10.0});
    let with = |p: Value| set(base(), "/connections/0/plasticity", p);
    let mut bad = stdp.clone();
    bad["w_min"] = json!(20.0);
    expect_error(
        with(json!({"stdp": bad})),
        "connections[0].plasticity.stdp.w_min",
        "<= w_max",
    );
    let mut bad = stdp.clone();
    bad["tau_plus"] = json!(-1.0);
    expect_error(
        with(json!({"stdp": bad})),
        "connections[0].plasticity.stdp.tau_plus",
        "> 0",
    );
    let mut bad = stdp.clone();
    bad["a_minus"] = json!(-0.5);
    expect_error(
        with(json!({"stdp": bad})),
        "connections[0].plasticity.stdp.a_minus",
        ">= 0",
    );
    let mut bad = stdp.clone();
    bad["w_max"] = json!(2.0);
    expect_error(
        with(json!({"stdp": bad})),
        "connections[0].weight",
        "outside the STDP bounds",
    );
    let mut bad = stdp.clone();
    bad["pairing"] = json!("closest");
    expect_error(
        with(json!({"stdp": bad})),
        "connections[0].plasticity.stdp.pairing",
        "nearest",
    );
    expect_error(
        with(json!({"hebbian": {}})),
        "connections[0].plasticity",
        "stdp",
    );
    expect_error(
        with(json!({"tsodyks_markram": {"u": 1.5, "tau_rec": 100.0, "tau_fac": 0.0}})),
        "connections[0].plasticity.tsodyks_markram.u",
        "(0, 1]",
    );
    // plasticity on a pairs rule whose weight list does not match
    let s = set(
        set(
            base(),
            "/connections/1/rule",
            json!({"pairs": [[0, 0], [1, 1]]}),
        ),
        "/connections/1/weight",
        json!([1.0, 2.0, 3.0]),
    );
    expect_error(
        set(s, "/connections/1/plasticity", json!({"stdp": stdp})),
        "connections[1].weight",
        "expected 2",
    );
    expect_error(
        set(
            base(),
            "/record",
            json!({"weights": [{"connection": 7, "every": 1.0}]}),
        ),
        "record.weights[0].connection",
        "no connection 7",
    );
    expect_error(
        set(
            base(),
            "/record",
            json!({"weights": [{"connection": 0, "synapses": [99], "every": 1.0}]}),
        ),
        "record.weights[0].synapses[0]",
        "out of range",
    );
}

#[test]
fn qif_parameters_and_unknown_models() {
    let qif = json!({"name": "other", "size": 2, "model": "qif", "params": {"tau_m": 10.0, "v_crit": -50.0, "v_peak": 20.0}});
    let with = |pop: Value| set(base(), "/populations/1", pop);
    let tmp = TempDir::new("qif-ok");
    let (o, _) = run_json(tmp.path(), &with(qif.clone()));
    assert_success(&o);
    let mut bad = qif.clone();
    bad["params"]["v_peak"] = json!(-60.0);
    expect_error(with(bad), "populations[1].params.v_peak", "> v_crit");
    let mut bad = qif.clone();
    bad["params"]["v_crit"] = json!(-80.0);
    expect_error(with(bad), "populations[1].params.v_crit", "> v_rest");
    let mut bad = qif.clone();
    bad["params"]["receptors"] = json!([]);
    expect_error(with(bad), "populations[1].params.receptors", "unknown key");
    let mut bad = qif.clone();
    bad["model"] = json!("liff");
    expect_error(with(bad), "populations[1].model", "did you mean \"lif\"");
    expect_error(
        set(base(), "/populations/0/sise", json!(3)),
        "populations[0].sise",
        "did you mean \"size\"",
    );
}

#[test]
fn bad_currents() {
    let with = |c: Value| set(base(), "/currents", json!([c]));
    let ok = json!({"to": "post", "times": [1.0, 2.0], "amplitudes": [3.0, 0.0]});
    expect_error(
        with(set(ok.clone(), "/to", json!("pots"))),
        "currents[0].to",
        "unknown population",
    );
    expect_error(
        with(set(ok.clone(), "/to", json!("in0"))),
        "currents[0].to",
        "is an input",
    );
    expect_error(
        with(set(ok.clone(), "/amplitudes", json!([3.0]))),
        "currents[0].amplitudes",
        "one amplitude per time",
    );
    expect_error(
        with(set(ok.clone(), "/times", json!([2.0, 2.0]))),
        "currents[0].times[1]",
        "strictly increase",
    );
    expect_error(
        with(set(ok.clone(), "/times", json!([-1.0, 2.0]))),
        "currents[0].times[0]",
        ">= 0",
    );
    expect_error(
        with(set(ok.clone(), "/amplitudes", json!([3.0, 1e7]))),
        "currents[0].amplitudes[1]",
        "within",
    );
    expect_error(
        with(set(ok.clone(), "/neurons", json!([0, 3]))),
        "currents[0].neurons[1]",
        "must be < 3",
    );
    expect_error(
        with(set(ok.clone(), "/neurons", json!([1, 1]))),
        "currents[0].neurons[1]",
        "twice",
    );
    expect_error(
        with(set(ok.clone(), "/neurons", json!([-1]))),
        "currents[0].neurons[0]",
        "",
    );
    expect_error(
        with(set(ok.clone(), "/start", json!(1.0))),
        "currents[0].start",
        "unknown key",
    );
    expect_error(with(remove(ok.clone(), "/times")), "currents[0]", "times");
    let sine = json!({"to": "post", "sine": {"amplitude": 3.0, "frequency": 10.0}});
    expect_error(
        with(set(sine.clone(), "/times", json!([1.0]))),
        "currents[0]",
        "either steps",
    );
    expect_error(
        with(set(sine.clone(), "/sine/frequency", json!(0.0))),
        "currents[0].sine.frequency",
        "> 0",
    );
    expect_error(
        with(set(sine.clone(), "/sine/frequency", json!(2e6))),
        "currents[0].sine.frequency",
        "<= 1e6",
    );
    expect_error(
        with(set(sine.clone(), "/sine/amplitude", json!(1e7))),
        "currents[0].sine.amplitude",
        "within",
    );
    expect_error(
        with(set(
            set(sine.clone(), "/sine/start", json!(5.0)),
            "/sine/stop",
            json!(5.0),
        )),
        "currents[0].sine.stop",
        "after start",
    );
    expect_error(
        with(set(sine.clone(), "/sine/start", json!(-1.0))),
        "currents[0].sine.start",
        ">= 0",
    );
    expect_error(
        with(set(sine.clone(), "/sine/period", json!(1.0))),
        "currents[0].sine.period",
        "unknown key",
    );
    expect_error(
        with(remove(sine, "/sine/frequency")),
        "currents[0].sine",
        "frequency",
    );
}

/// A sinusoidal current on a `qif` population is refused by name (its crossings under a
/// sinusoid have no exact solver).
#[test]
fn a_sinusoid_on_qif_is_refused() {
    let sc = json!({"duration": 10.0,
        "populations": [{"name": "q", "size": 2, "model": "qif",
            "params": {"tau_m": 10.0, "v_crit": -50.0, "v_peak": 20.0}}],
        "currents": [{"to": "q", "sine": {"amplitude": 3.0, "frequency": 10.0}}]});
    expect_error(sc, "currents[0].sine", "only `lif`");
}

#[test]
fn bad_step_rates() {
    let poisson = |rate: Value| {
        set(
            base(),
            "/inputs/0",
            json!({"name": "in0", "kind": "poisson", "size": 2, "rate": rate}),
        )
    };
    expect_error(
        poisson(json!({"times": [0.0, 5.0], "rates": [3.0]})),
        "inputs[0].rate.rates",
        "one rate per time",
    );
    expect_error(
        poisson(json!({"times": [5.0, 5.0], "rates": [3.0, 1.0]})),
        "inputs[0].rate.times[1]",
        "strictly increase",
    );
    expect_error(
        poisson(json!({"times": [0.0], "rates": [-3.0]})),
        "inputs[0].rate.rates[0]",
        ">= 0",
    );
    expect_error(
        poisson(json!({"times": [-1.0], "rates": [3.0]})),
        "inputs[0].rate.times[0]",
        ">= 0",
    );
    expect_error(
        poisson(json!({"times": [0.0, 10.0], "rates": [1e12, 1.0]})),
        "inputs[0].rate",
        "would emit",
    );
    // errors inside a rate object keep their path
    expect_error(
        poisson(json!({"times": [0.0], "rates": [null]})),
        "inputs[0].rate.rates[0]",
        "invalid type",
    );
    expect_error(
        poisson(json!({"mean": 1.0, "amplitude": 1.0, "frequency": "1"})),
        "inputs[0].rate.frequency",
        "invalid type",
    );
    expect_error(
        poisson(json!({"times": [0.0], "rates": [1.0], "mean": 2.0})),
        "inputs[0].rate",
        "not both",
    );
    expect_error(
        poisson(json!({"rates": [1.0]})),
        "inputs[0].rate",
        "missing field `times`",
    );
}

#[test]
fn bad_per_source_rates() {
    let poisson = |rate: Value| {
        set(
            base(),
            "/inputs/0",
            json!({"name": "in0", "kind": "poisson", "size": 3, "rate": rate}),
        )
    };
    expect_error(
        poisson(json!([1.0, 2.0])),
        "inputs[0].rate",
        "2 rates for 3 sources",
    );
    expect_error(
        poisson(json!([])),
        "inputs[0].rate",
        "0 rates for 3 sources",
    );
    expect_error(
        poisson(json!([1.0, -2.0, 3.0])),
        "inputs[0].rate[1]",
        ">= 0",
    );
    expect_error(
        poisson(json!([1.0, 2.0, "3"])),
        "inputs[0].rate[2]",
        "invalid type",
    );
    expect_error(
        poisson(json!([1.0, null, 3.0])),
        "inputs[0].rate[1]",
        "invalid type",
    );
    // the count limit sums the sources' rates
    expect_error(
        poisson(json!([1e11, 1e11, 1e11])),
        "inputs[0].rate",
        "would emit",
    );
}

/// The spike-count limit integrates a step rate over its pieces: a brief high rate in a
/// long run is fine.
#[test]
fn a_brief_high_step_rate_is_not_refused() {
    let sc = set(
        base(),
        "/inputs/0",
        json!({"name": "in0", "kind": "poisson", "size": 1000,
        "rate": {"times": [0.0, 10.0], "rates": [100000.0, 0.0]}}),
    );
    let sc = set(sc, "/duration", json!(1e5));
    let tmp = TempDir::new("brief");
    let f = tmp.path().join("s.json");
    std::fs::write(&f, sc.to_string()).unwrap();
    let o = bin().arg("validate").arg(&f).output().unwrap();
    assert_success(&o);
}

#[test]
fn bad_gamma_inputs() {
    let gamma = |extra: Value| {
        let mut g = json!({"name": "in0", "kind": "gamma", "size": 2, "rate": 10.0, "shape": 3.0});
        for (k, v) in extra.as_object().unwrap() {
            g[k] = v.clone();
        }
        set(base(), "/inputs/0", g)
    };
    expect_error(gamma(json!({"shape": 0.0})), "inputs[0].shape", "> 0");
    expect_error(gamma(json!({"shape": -1.0})), "inputs[0].shape", "> 0");
    // (tiny shapes drew intervals of exactly 0: one source fired at one time forever)
    expect_error(
        gamma(json!({"shape": 1e-300})),
        "inputs[0].shape",
        "must be in [0.1",
    );
    expect_error(
        gamma(json!({"shape": 1e7})),
        "inputs[0].shape",
        "must be in [0.1",
    );
    expect_error(gamma(json!({"rate": -1.0})), "inputs[0].rate", ">= 0");
    expect_error(
        gamma(json!({"start": 10.0, "stop": 5.0})),
        "inputs[0].stop",
        ">= start",
    );
    expect_error(
        gamma(json!({"rate": 1e11, "size": 100})),
        "inputs[0].rate",
        "would emit",
    );
    expect_error(gamma(json!({"period": 1.0})), "inputs[0]", "period");
    let mut missing = gamma(json!({}));
    missing["inputs"][0]
        .as_object_mut()
        .unwrap()
        .remove("shape");
    expect_error(missing, "inputs[0]", "shape");
}

/// `Poisson::per_source` writes the JSON's list of rates: the same spikes.
#[test]
fn the_builder_writes_per_source_rates_of_the_json() {
    use exactspike::scenario::{LifParams, Poisson, Rule, Scenario};
    let built = Scenario::builder(200.0)
        .population("n", 3, LifParams::new(10.0, -55.0))
        .input("p", Poisson::per_source(vec![0.0, 80.0, 400.0]))
        .connect("p", "n", Rule::OneToOne, 20.0, 1.0)
        .finish();
    let json = exactspike::scenario::parse_str(
        &json!({"duration": 200.0,
            "populations": [{"name": "n", "size": 3, "model": "lif",
                             "params": {"tau_m": 10.0, "v_th": -55.0}}],
            "inputs": [{"name": "p", "kind": "poisson", "size": 3, "rate": [0.0, 80.0, 400.0]}],
            "connections": [{"from": "p", "to": "n", "rule": "one_to_one", "weight": 20.0, "delay": 1.0}]})
        .to_string(),
    )
    .unwrap();
    let (a, b) = (
        exactspike::run(&built).unwrap(),
        exactspike::run(&json).unwrap(),
    );
    assert!(a.spikes.iter().all(|s| s.neuron != 0) && a.spikes.len() > 10);
    assert_eq!(a.spikes, b.spikes);
}
