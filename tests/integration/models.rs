//! The `linear` model: against a 40-digit reference, against the `lif` model it contains,
//! and its bad parameters.

use crate::util::*;
use serde_json::{json, Value};

use crate::util::run_value as run;

/// Resonators, two compartments, a defective (Jordan block) matrix, subthreshold
/// adaptation with near-degenerate rates, and inputs tuned so that V's peak misses or
/// reaches threshold by 1e−7 mV, against `validation/numerics/linear_reference.py`
/// (mpmath at 40 digits: its own matrix exponentials, a grid, the sign of V′, bisection).
#[test]
fn linear_neurons_match_a_40_digit_reference() {
    let (total, worst) = match_reference("tests/data/linear_reference.json");
    assert!(total >= 20, "{total} reference spikes");
    eprintln!("linear model: {total} spikes, worst error {worst:.1e} ms");
}

/// A Poisson-driven population with exp receptors, adaptation, refractoriness and a bias,
/// once as `lif` and once as the `linear` model with the same equations: the same spikes
/// to 1e−9 ms (the two share no code: closed-form propagators against the matrix
/// exponential and its search).
#[test]
fn a_linear_lif_fires_as_the_lif_model() {
    linear_against_lif(json!([]), 100);
}

/// The same with step currents and sinusoids (with an offset, switched on and off, 20 Hz
/// to 1 kHz) on some neurons: the `lif` model's sinusoid search and the `linear` model's
/// periodic response and enclosure agree.
#[test]
fn a_linear_lif_with_sinusoidal_currents_fires_as_the_lif_model() {
    linear_against_lif(
        json!([
            {"to": "n", "neurons": [0, 1, 2, 3, 4, 5, 6, 7, 8, 9],
             "sine": {"amplitude": 12.0, "frequency": 20.0, "offset": 2.0, "phase": 30.0,
                      "start": 20.0, "stop": 300.0}},
            {"to": "n", "neurons": [5, 6, 7, 20, 21],
             "sine": {"amplitude": 30.0, "frequency": 1000.0, "start": 50.5}},
            {"to": "n", "neurons": [30, 31], "times": [100.0, 200.0], "amplitudes": [8.0, -2.0]}]),
        100,
    );
}

fn linear_against_lif(currents: Value, floor: usize) {
    let (tm, te, ti, ta) = (10.0f64, 3.0f64, 6.0f64, 50.0f64);
    let lif = json!({"model": "lif", "params": {
        "tau_m": tm, "v_rest": -65.0, "v_th": -50.0, "v_reset": -66.0, "t_ref": 2.0,
        "i_bias": 5.0, "v_init": {"uniform": [-66.0, -52.0]},
        "receptors": [{"kind": "exp", "tau": te}, {"kind": "exp", "tau": ti}, {"kind": "delta"}],
        "adaptation": [{"tau": ta, "increment": -2.0}]}});
    let linear = json!({"model": "linear", "params": {
        "variables": ["v", "e", "i", "a"],
        "matrix": [[-1.0 / tm, 1.0 / tm, 1.0 / tm, 1.0 / tm],
                   [0.0, -1.0 / te, 0.0, 0.0],
                   [0.0, 0.0, -1.0 / ti, 0.0],
                   [0.0, 0.0, 0.0, -1.0 / ta]],
        "rest": [-65.0, 0.0, 0.0, 0.0],
        "v_th": -50.0, "v_reset": -66.0, "t_ref": 2.0, "i_bias": 5.0,
        "v_init": {"uniform": [-66.0, -52.0]},
        "receptors": ["e", "i", "v"], "jumps": {"a": -2.0}}});
    let scenario = |model: &Value| {
        let mut pop = json!({"name": "n", "size": 40});
        pop["model"] = model["model"].clone();
        pop["params"] = model["params"].clone();
        json!({"duration": 400.0, "seed": 11, "populations": [pop], "currents": currents,
               "inputs": [{"name": "p", "kind": "poisson", "size": 60, "rate": 30.0}],
               "connections": [
                   {"from": "p", "to": "n", "rule": {"fixed_indegree": 12}, "weight": 9.0,
                    "delay": 0.5, "receptor": 0},
                   {"from": "p", "to": "n", "rule": {"fixed_indegree": 6}, "weight": -7.0,
                    "delay": 0.7, "receptor": 1},
                   {"from": "p", "to": "n", "rule": {"fixed_indegree": 3}, "weight": 1.5,
                    "delay": 0.3, "receptor": 2},
                   {"from": "n", "to": "n", "rule": {"fixed_probability": 0.1},
                    "weight": 4.0, "delay": 1.5, "receptor": 0}],
               "record": {"spikes": ["n"]}})
    };
    let a = run(scenario(&lif));
    let b = run(scenario(&linear));
    assert!(a.spikes.len() > floor, "{} spikes", a.spikes.len());
    assert_eq!(a.spikes.len(), b.spikes.len());
    let mut worst = 0.0f64;
    for (x, y) in a.spikes.iter().zip(&b.spikes) {
        assert_eq!(x.neuron, y.neuron, "at {} / {}", x.time, y.time);
        assert_close(y.time, x.time, 1e-9, "spike time");
        worst = worst.max((x.time - y.time).abs());
    }
    eprintln!(
        "linear vs lif: {} spikes, worst {worst:.1e} ms",
        a.spikes.len()
    );
}

/// Voltage samples follow the matrix exponential's closed form below threshold: a two-
/// variable resonator kicked once oscillates around rest with the eigenvalues' frequency.
#[test]
fn a_resonator_rings_at_its_eigenfrequency() {
    // A = [[-α, -β], [β, -α]]: eigenvalues -α ± iβ; from x − rest = (0, -k):
    // V − rest = k e^{-αt} sin(βt)
    let (al, be, k) = (0.05f64, 0.4f64, 3.0f64);
    let out = run(json!({"duration": 60.0, "populations": [
        {"name": "n", "size": 1, "model": "linear", "params": {
            "variables": ["v", "w"], "matrix": [[-al, -be], [be, -al]], "rest": [-65.0, 0.0],
            "v_th": -40.0, "receptors": ["w"]}}],
        "inputs": [{"name": "k", "kind": "spike_times", "times": [[0.0]]}],
        "connections": [{"from": "k", "to": "n", "rule": "all_to_all", "weight": -k,
                         "delay": 10.0}],
        "record": {"voltage": [{"population": "n", "every": 0.5}]}}));
    assert_eq!(out.voltages.len(), 120);
    for s in &out.voltages {
        let t = s.time - 10.0;
        let want = if t <= 0.0 {
            -65.0
        } else {
            -65.0 + k * (-al * t).exp() * (be * t).sin()
        };
        assert_close(s.v, want, 1e-12, &format!("V at {}", s.time));
    }
}

fn linear_base() -> Value {
    json!({"duration": 20.0, "populations": [
        {"name": "n", "size": 2, "model": "linear", "params": {
            "variables": ["v", "w"], "matrix": [[-0.1, -0.5], [0.05, -0.02]],
            "rest": [-65.0, 0.0], "v_th": -50.0, "receptors": ["v", "w"],
            "jumps": {"w": 1.0}}}],
        "inputs": [{"name": "k", "kind": "spike_times", "times": [[1.0]]}],
        "connections": [{"from": "k", "to": "n", "rule": "all_to_all", "weight": 3.0,
                         "delay": 1.0, "receptor": 1}]})
}

/// Each mistake in a `linear` model's parameters exits 2 and names its path.
#[test]
fn bad_linear_parameters_are_refused_with_their_path() {
    let p = "/populations/0/params";
    let cases: Vec<(&str, Value, &str, &str)> = vec![
        (
            "matrix",
            json!([[0.1, 0.0], [0.0, -0.1]]),
            "params.matrix",
            "must leak",
        ),
        (
            "matrix",
            json!([[-0.1, 0.0], [0.0, 0.1]]),
            "params.matrix",
            "stable",
        ),
        (
            "matrix",
            json!([[-0.1, -1.0], [1.0, 0.1]]),
            "params.matrix",
            "stable",
        ),
        (
            "matrix",
            json!([[-0.1, 0.0]]),
            "params.matrix",
            "one row per variable",
        ),
        (
            "matrix",
            json!([[-0.1], [0.0, -0.1]]),
            "params.matrix[0]",
            "one entry",
        ),
        (
            "matrix",
            json!([[-0.1, 1e300], [0.0, -0.1]]),
            "params.matrix[0][1]",
            "must be",
        ),
        (
            "variables",
            json!(["v", "v"]),
            "params.variables[1]",
            "distinct",
        ),
        ("variables", json!([]), "params.variables", "1 to 8"),
        // (written unquoted in state.csv)
        (
            "variables",
            json!(["v", "a,b"]),
            "params.variables[1]",
            "names may use only",
        ),
        (
            "rest",
            json!([-65.0]),
            "params.rest",
            "one value per variable",
        ),
        (
            "receptors",
            json!(["v", "x"]),
            "params.receptors[1]",
            "not a variable",
        ),
        ("receptors", json!([]), "params.receptors", "empty"),
        ("jumps", json!({"v": 1.0}), "params.jumps.v", "reset"),
        (
            "jumps",
            json!({"q": 1.0}),
            "params.jumps.q",
            "not a variable",
        ),
        ("v_reset", json!(-40.0), "params.v_reset", "< v_th"),
        (
            "receptors",
            json!(vec!["v"; 256]),
            "params.receptors",
            "at most 255",
        ),
    ];
    let tmp = TempDir::new("linerr");
    for (key, value, path, also) in cases {
        let mut sc = linear_base();
        sc.pointer_mut(p).unwrap()[key] = value;
        let (o, out) = run_json(tmp.path(), &sc);
        assert_refused(&o, &[path, also], &out);
    }
    // a slow variable that grows while V is held
    let mut sc = linear_base();
    sc["populations"][0]["params"]["matrix"] = json!([[-3.0, -2.0], [2.0, 0.5]]);
    sc["populations"][0]["params"]["t_ref"] = json!(2000.0);
    let (o, out) = run_json(tmp.path(), &sc);
    assert_refused(&o, &["params.t_ref", "grows"], &out);
    // (a short refractory period too: repeated, it multiplied w by e^10 each time until the
    // state overflowed and the search stopped silently)
    sc["populations"][0]["params"]["t_ref"] = json!(2.0);
    let (o, _) = run_json(tmp.path(), &sc);
    assert_eq!(o.status.code(), Some(2));
    sc["populations"][0]["params"]["t_ref"] = json!(0.0);
    let (o, _) = run_json(tmp.path(), &sc);
    assert_success(&o);
    // gradients through a linear population (checked against finite differences in
    // gradient.rs): its thresholds and drives, no tau_m
    let sc = exactspike::scenario::parse_str(&linear_base().to_string()).unwrap();
    let loss = exactspike::gradient::Loss::SpikeTimes {
        population: "n".into(),
        targets: vec![vec![10.0], vec![12.0]],
    };
    let g = exactspike::gradient::evaluate(&sc, &loss, &Default::default()).unwrap();
    let pg = &g.gradients.populations[0];
    assert!(pg.tau_m.is_empty() && pg.v_th.len() == 2 && pg.i_bias.len() == 2);
    // and the base itself runs
    let (o, _) = run_json(tmp.path(), &linear_base());
    assert_success(&o);
}

/// `examples/resonator.json`: resonators (eigenvalues −α ± iβ, period 10 ms) each receive a
/// doublet of kicks to their slow variable, 0.5 to 30 ms apart. Only doublets close
/// together (the kicks add) or about one period apart (in phase) fire: the model's closed
/// form, `V − rest = k Σ e^{−α(t−t_i)} sin(β(t−t_i))`, scanned every µs and bisected, gives
/// the same neurons and first spike times.
#[test]
fn resonators_fire_for_doublets_at_their_period() {
    let sc: Value = serde_json::from_str(
        &std::fs::read_to_string(repo().join("examples/resonator.json")).unwrap(),
    )
    .unwrap();
    let p = &sc["populations"][0]["params"];
    let (al, be) = (
        -p["matrix"][0][0].as_f64().unwrap(),
        p["matrix"][1][0].as_f64().unwrap(),
    );
    let room = p["v_th"].as_f64().unwrap() - p["rest"][0].as_f64().unwrap();
    let k = -sc["connections"][0]["weight"].as_f64().unwrap();
    let delay = sc["connections"][0]["delay"].as_f64().unwrap();
    let out = run(sc.clone());
    let mut fired = 0;
    for (i, times) in sc["inputs"][0]["times"]
        .as_array()
        .unwrap()
        .iter()
        .enumerate()
    {
        let ts: Vec<f64> = times
            .as_array()
            .unwrap()
            .iter()
            .map(|t| t.as_f64().unwrap() + delay)
            .collect();
        let v = |t: f64| -> f64 {
            ts.iter()
                .filter(|&&ti| t > ti)
                .map(|&ti| k * (-al * (t - ti)).exp() * (be * (t - ti)).sin())
                .sum()
        };
        let mut want = None;
        let mut t = ts[0];
        while t < 60.0 {
            if v(t + 1e-3) >= room {
                let (mut lo, mut hi) = (t, t + 1e-3);
                while hi - lo > 1e-13 {
                    let mid = 0.5 * (lo + hi);
                    if v(mid) >= room {
                        hi = mid
                    } else {
                        lo = mid
                    }
                }
                want = Some(hi);
                break;
            }
            t += 1e-3;
        }
        let got = out
            .spikes
            .iter()
            .find(|s| s.neuron as usize == i)
            .map(|s| s.time);
        match (got, want) {
            (Some(g), Some(w)) => {
                assert_close(g, w, 1e-9, &format!("neuron {i}"));
                fired += 1;
            }
            (None, None) => {}
            other => panic!("neuron {i} (doublet {ts:?}): {other:?}"),
        }
    }
    // the close doublets and those a period apart
    assert!((4..=12).contains(&fired), "{fired} neurons fired");
}

/// A resonator (`A = [[−α, −β], [β, −α]]`) driven by sinusoids of several frequencies:
/// after the transient has decayed (e^{−α·400} ≈ 2e−9), V swings around rest with the
/// amplitude `α a |(iω + α)/((iω + α)² + β²)|`, largest near ω = β (the eigenfrequency).
#[test]
fn a_driven_resonator_swings_with_its_transfer_function() {
    let (al, be, amp) = (0.05f64, 0.4f64, 5.0f64);
    let mut gains = Vec::new();
    for f in [10.0f64, 40.0, 63.66, 100.0, 250.0] {
        let w = 2.0 * std::f64::consts::PI * f / 1000.0;
        let out = run(json!({"duration": 500.0, "populations": [
            {"name": "n", "size": 1, "model": "linear", "params": {
                "variables": ["v", "w"], "matrix": [[-al, -be], [be, -al]],
                "rest": [-65.0, 0.0], "v_th": 0.0}}],
            "currents": [{"to": "n", "sine": {"amplitude": amp, "frequency": f}}],
            "record": {"voltage": [{"population": "n", "every": 0.01}]}}));
        let swing = out
            .voltages
            .iter()
            .filter(|s| s.time >= 400.0)
            .map(|s| (s.v + 65.0).abs())
            .fold(0.0f64, f64::max);
        // |α a (iω + α)| / |(iω + α)² + β²| by hand
        let (re, im) = (al * al - w * w + be * be, 2.0 * al * w);
        let want = al * amp * (w * w + al * al).sqrt() / (re * re + im * im).sqrt();
        // (a sample every 10 µs misses the peak by at most ω²·want·(5e−3)²/2)
        assert_close(swing, want, 2e-8 + 2e-5 * w * w * want, &format!("{f} Hz"));
        gains.push(want / amp);
    }
    // the resonance: 63.66 Hz (ω = β) swings most
    assert!(
        gains[2] > gains[1] && gains[2] > gains[3] && gains[0] < gains[2] / 4.0,
        "{gains:?}"
    );
}

/// State probes (`record.state`): a kicked resonator's slow variable against its closed form
/// `w = −k e^{−αt} cos(βt)`, its `v` equal to the voltage probe's samples, `state.csv`'s
/// rows and header, and `voltage.csv` holding only the voltage probe.
#[test]
fn state_probes_sample_a_linear_models_variables() {
    let (al, be, k) = (0.05f64, 0.4f64, 3.0f64);
    let sc = json!({"duration": 30.0, "populations": [
        {"name": "n", "size": 2, "model": "linear", "params": {
            "variables": ["v", "w"], "matrix": [[-al, -be], [be, -al]], "rest": [-65.0, 0.0],
            "v_th": -40.0, "receptors": ["w"]}}],
        "inputs": [{"name": "k", "kind": "spike_times", "times": [[0.0]]}],
        "connections": [{"from": "k", "to": "n", "rule": "all_to_all", "weight": -k,
                         "delay": 10.0}],
        "record": {"voltage": [{"population": "n", "neurons": [1], "every": 0.5}],
                   "state": [{"population": "n", "variable": "w", "every": 0.5},
                             {"population": "n", "variable": "v", "neurons": [1], "every": 0.5}]}});
    let out = run(sc.clone());
    let (n, t, w) = out.state_of("n", "w").unwrap();
    assert_eq!(n.len(), 120);
    for ((&i, &t), &w) in n.iter().zip(&t).zip(&w) {
        assert!(i < 2);
        let s = t - 10.0;
        let want = if s <= 0.0 {
            0.0
        } else {
            -k * (-al * s).exp() * (be * s).cos()
        };
        assert_close(w, want, 1e-12, &format!("w at {t}"));
    }
    assert_eq!(
        out.state_of("n", "v").unwrap(),
        out.voltage_of("n").unwrap()
    );
    assert!(out.state_of("n", "x").is_none() && out.state_of("m", "w").is_none());

    let tmp = TempDir::new("state");
    let (o, dir) = run_json(tmp.path(), &sc);
    assert_success(&o);
    let state = std::fs::read_to_string(dir.join("state.csv")).unwrap();
    let mut lines = state.lines();
    assert_eq!(lines.next(), Some("population,neuron,variable,time,value"));
    let rows: Vec<&str> = lines.collect();
    assert_eq!(rows.len(), 180);
    // at one time: probe 0's neurons 0 and 1, then probe 1's neuron 1
    assert!(
        rows[0].starts_with("n,0,w,0,") && rows[1].starts_with("n,1,w,0,"),
        "{rows:?}"
    );
    assert!(rows[2].starts_with("n,1,v,0,-65"), "{rows:?}");
    let voltage = std::fs::read_to_string(dir.join("voltage.csv")).unwrap();
    assert_eq!(voltage.lines().count(), 61);
}

/// Every model has `v`; other names are refused with the model's variables.
#[test]
fn a_state_probe_of_an_unknown_variable_is_refused() {
    let tmp = TempDir::new("staterr");
    let sc = json!({"duration": 10.0, "populations": [
        {"name": "l", "size": 2, "model": "lif", "params": {"tau_m": 10.0, "v_th": -50.0}}],
        "record": {"state": [{"population": "l", "variable": "v", "every": 1.0},
                             {"population": "l", "variable": "w", "every": 1.0}]}});
    let (o, out) = run_json(tmp.path(), &sc);
    assert_refused(&o, &["record.state[1].variable", "[\"v\"]"], &out);
    let mut sc = sc;
    sc["record"]["state"] = json!([{"population": "l", "variable": "v", "every": 1.0}]);
    let out = run(sc);
    let (_, _, v) = out.state_of("l", "v").unwrap();
    assert_eq!(v.len(), 20);
    assert!(v.iter().all(|&v| v == -70.0));
}

/// At rheobase (the equilibrium exactly at threshold, or an ulp below) a `linear` neuron
/// does not fire: V approaches θ without reaching it, and the search compares
/// (V* − θ) + (V − V*), which stays below 0. It used to fire once its deviation underflowed
/// (every ~36 τ), or walk every float an ulp below. (The `lif` model still fires at exact
/// rheobase once V − V∞ rounds away: its bounds compare V itself; see docs/semantics.md.)
#[test]
fn at_rheobase_a_linear_neuron_does_not_fire() {
    for bias in [15.0f64, 15.0f64.next_down(), 14.99999999999999] {
        for (vars, matrix, rest) in [
            (json!(["v"]), json!([[-0.1]]), json!([-65.0])),
            (
                json!(["v", "i"]),
                json!([[-0.1, 0.1], [0.0, -0.2]]),
                json!([-65.0, 0.0]),
            ),
        ] {
            let start = std::time::Instant::now();
            let out = run(json!({"duration": 20_000.0, "populations": [
                {"name": "n", "size": 1, "model": "linear", "params": {"variables": vars,
                 "matrix": matrix, "rest": rest,
                 "v_th": -50.0, "i_bias": bias}}]}));
            assert!(out.spikes.is_empty(), "{bias}: {:?}", out.spikes);
            // (not a timing test: a generous limit against the float-by-float walk, minutes)
            assert!(start.elapsed().as_secs() < 10);
        }
    }
}
