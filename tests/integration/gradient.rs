//! Exact gradients against central finite differences of the exact forward run, on random
//! networks with a hidden layer, several spikes per neuron, all three receptor kinds, a reset
//! below rest, and refractoriness on and off.

use exactspike::gradient::{evaluate, Gradients, Loss};
use exactspike::scenario;
use rand::{Rng, SeedableRng};
use serde_json::{json, Value};

fn uniform(rng: &mut rand_pcg::Pcg64, n: usize, lo: f64, hi: f64) -> Vec<f64> {
    (0..n).map(|_| rng.random_range(lo..hi)).collect()
}

fn lif(rng: &mut rand_pcg::Pcg64, n: usize, t_ref: f64) -> Value {
    json!({
        "tau_m": uniform(rng, n, 8.0, 20.0),
        "v_rest": -70.0,
        "v_th": uniform(rng, n, -56.0, -54.0),
        "v_reset": -72.0,
        "t_ref": t_ref,
        "i_bias": uniform(rng, n, 10.0, 22.0),
        "receptors": [
            {"kind": "exp", "tau": uniform(rng, n, 2.0, 6.0)},
            {"kind": "alpha", "tau": uniform(rng, n, 1.0, 4.0)},
            {"kind": "delta"}
        ]
    })
}

/// A random feed-forward network in → h → o plus recurrent delta synapses in h.
pub fn random_network(seed: u64, t_ref: f64, strong_delta: bool) -> Value {
    let mut rng = rand_pcg::Pcg64::seed_from_u64(seed);
    let (n_in, n_h, n_o) = (5, 7, 3);
    let times: Vec<Vec<f64>> = (0..n_in)
        .map(|_| {
            let k = rng.random_range(1..4);
            let mut t = uniform(&mut rng, k, 0.0, 20.0);
            t.sort_by(f64::total_cmp);
            t
        })
        .collect();
    let mut conn = |from: &str, to: &str, n: usize, receptor: usize, w: (f64, f64)| {
        json!({"from": from, "to": to, "rule": "all_to_all", "receptor": receptor,
               "weight": uniform(&mut rng, n, w.0, w.1),
               "delay": uniform(&mut rng, n, 0.5, 3.0)})
    };
    let mut connections = vec![
        conn("in", "h", n_in * n_h, 0, (-2.0, 8.0)),
        conn("in", "h", n_in * n_h, 1, (-1.0, 4.0)),
        conn("h", "h", n_h * (n_h - 1), 2, (-1.5, 1.5)),
        conn("h", "o", n_h * n_o, 0, (-2.0, 12.0)),
        conn("h", "o", n_h * n_o, 1, (-1.0, 5.0)),
    ];
    if strong_delta {
        // jumps that lift V over threshold at the arrival itself
        connections.push(conn("in", "h", n_in * n_h, 2, (1.0, 9.0)));
        connections.push(conn("h", "o", n_h * n_o, 2, (-1.0, 2.0)));
    }
    json!({
        "duration": 60.0,
        "populations": [
            {"name": "h", "size": n_h, "model": "lif", "params": lif(&mut rng, n_h, t_ref)},
            {"name": "o", "size": n_o, "model": "lif", "params": lif(&mut rng, n_o, t_ref)}
        ],
        "inputs": [{"name": "in", "kind": "spike_times", "times": times}],
        "connections": connections
    })
}

fn eval(sc: &Value, loss: &Loss) -> (Gradients, Vec<usize>) {
    let s = scenario::parse_value(sc.clone()).expect("valid scenario");
    let ev = evaluate(&s, loss, &Default::default()).expect("gradient");
    let mut counts = vec![0usize; ev.output.names.len()];
    for sp in &ev.output.spikes {
        counts[sp.population as usize] += 1;
    }
    (ev.gradients, counts)
}

/// Every parameter the gradient covers, as (JSON pointer, gradient).
fn parameters(sc: &Value, g: &Gradients) -> Vec<(String, f64)> {
    let mut out = vec![];
    for (k, c) in g.connections.iter().enumerate() {
        for m in 0..c.weight.len() {
            out.push((format!("/connections/{k}/weight/{m}"), c.weight[m]));
            out.push((format!("/connections/{k}/delay/{m}"), c.delay[m]));
        }
    }
    for (p, pg) in g.populations.iter().enumerate() {
        for i in 0..pg.v_th.len() {
            // (a linear population has no tau_m)
            if let Some(g) = pg.tau_m.get(i) {
                out.push((format!("/populations/{p}/params/tau_m/{i}"), *g));
            }
            out.push((format!("/populations/{p}/params/v_th/{i}"), pg.v_th[i]));
            out.push((format!("/populations/{p}/params/i_bias/{i}"), pg.i_bias[i]));
            for (r, rg) in pg.receptors.iter().enumerate() {
                if let Some(v) = rg.tau.get(i) {
                    out.push((format!("/populations/{p}/params/receptors/{r}/tau/{i}"), *v));
                }
            }
            for (key, terms) in [
                ("adaptation", &pg.adaptation),
                ("threshold_adaptation", &pg.threshold_adaptation),
            ] {
                for (k, a) in terms.iter().enumerate() {
                    let at = format!("/populations/{p}/params/{key}/{k}");
                    out.push((format!("{at}/tau/{i}"), a.tau[i]));
                    out.push((format!("{at}/increment/{i}"), a.increment[i]));
                }
            }
        }
    }
    let _ = sc;
    out
}

struct Tally {
    checked: usize,
    skipped: usize,
    worst: f64,
}

/// Central differences of every parameter; a parameter whose ±h runs differ in spike counts
/// (a spike appears or vanishes: the loss is not smooth there) or whose one-sided
/// differences disagree is skipped and counted.
fn check(sc: &Value, loss: &Loss, tally: &mut Tally) {
    let (g, counts) = eval(sc, loss);
    let base = g.loss;
    let nonzero = parameters(sc, &g).iter().filter(|p| p.1 != 0.0).count();
    eprintln!("spikes per population {counts:?}, loss {base}, nonzero gradients {nonzero}");
    for (ptr, grad) in parameters(sc, &g) {
        let x = sc.pointer(&ptr).and_then(Value::as_f64).expect(&ptr);
        let h = 1e-6 * x.abs().max(1.0);
        let at = |v: f64| {
            let mut s = sc.clone();
            *s.pointer_mut(&ptr).unwrap() = json!(v);
            eval(&s, loss)
        };
        let ((gp, cp), (gm, cm)) = (at(x + h), at(x - h));
        if cp != counts || cm != counts {
            tally.skipped += 1;
            continue;
        }
        let fd = (gp.loss - gm.loss) / (2.0 * h);
        let (right, left) = ((gp.loss - base) / h, (base - gm.loss) / h);
        let scale = fd.abs().max(grad.abs());
        // a kink within ±h (a spike crossing an arrival, a delta input meeting the end of
        // refractoriness): one-sided slopes disagree far beyond the curvature
        if (right - left).abs() > 1e-3 * scale.max(1e-3) {
            tally.skipped += 1;
            continue;
        }
        // rounding of the loss differences: ~1e-16·|L|/h
        let noise = 1e-9 * (1.0 + base.abs()) / h;
        let err = (grad - fd).abs();
        assert!(
            err <= 1e-4 * scale + noise,
            "{ptr}: gradient {grad:e} vs finite difference {fd:e} (loss {base})"
        );
        if scale > 10.0 * noise {
            tally.worst = tally.worst.max(err / scale);
        }
        tally.checked += 1;
    }
}

fn out_targets(sc: &Value, seed: u64) -> Loss {
    let s = scenario::parse_value(sc.clone()).unwrap();
    let out = exactspike::Simulation::new(exactspike::build::build(&s, "t").unwrap()).run();
    let (idx, times) = out.spikes_of("o").unwrap();
    let mut rng = rand_pcg::Pcg64::seed_from_u64(seed);
    let mut targets = vec![vec![]; 3];
    for (n, t) in idx.into_iter().zip(times) {
        if targets[n as usize].len() < 3 {
            targets[n as usize].push(t + rng.random_range(-2.0..2.0));
        }
    }
    Loss::SpikeTimes {
        population: "o".into(),
        targets,
    }
}

/// Checks every case and prints how many gradients were compared; a case set where more
/// than a tenth were skipped as kinks checks too little.
fn check_all(cases: impl Iterator<Item = (Value, Loss)>) {
    let mut tally = Tally {
        checked: 0,
        skipped: 0,
        worst: 0.0,
    };
    for (sc, loss) in cases {
        check(&sc, &loss, &mut tally);
    }
    eprintln!(
        "checked {} skipped {} worst relative error {:e}",
        tally.checked, tally.skipped, tally.worst
    );
    assert!(tally.checked > 10 * tally.skipped, "too many kinks skipped");
}

#[test]
fn gradients_match_finite_differences_without_refractoriness() {
    check_all((0..3).map(|seed| {
        let sc = random_network(seed, 0.0, false);
        let loss = out_targets(&sc, seed);
        (sc, loss)
    }));
}

#[test]
fn gradients_match_finite_differences_with_refractoriness() {
    check_all((10..13).map(|seed| {
        let sc = random_network(seed, 2.0, false);
        let loss = out_targets(&sc, seed);
        (sc, loss)
    }));
}

#[test]
fn gradients_match_finite_differences_with_jumps_and_cross_entropy() {
    check_all((20..23).map(|seed| {
        let mut sc = random_network(seed, 1.0, true);
        // the degenerate case tau = tau_m for one neuron's exp receptor
        let tau_m = sc["populations"][1]["params"]["tau_m"][0].clone();
        sc["populations"][1]["params"]["receptors"][0]["tau"][0] = tau_m;
        // and for an alpha receptor of another neuron
        let tau_m1 = sc["populations"][0]["params"]["tau_m"][1].clone();
        sc["populations"][0]["params"]["receptors"][1]["tau"][1] = tau_m1;
        let loss = Loss::FirstSpikeCe {
            population: "o".into(),
            label: seed as usize % 3,
            tau0: 2.0,
            alpha: 0.01,
            tau1: 20.0,
        };
        (sc, loss)
    }));
}

/// Adaptive LIF (ALIF) in both layers: a spike-triggered adaptation current and two
/// threshold-adaptation terms, per-neuron values; one adaptation rate equal to tau_m
/// (the degenerate kernel) and, with `t_ref`, terms that keep moving while V is held.
fn with_adaptation(mut sc: Value, seed: u64) -> Value {
    let mut rng = rand_pcg::Pcg64::seed_from_u64(seed ^ 0xada);
    for p in 0..2 {
        let n = sc["populations"][p]["size"].as_u64().unwrap() as usize;
        let params = &mut sc["populations"][p]["params"];
        let mut adapt_tau = uniform(&mut rng, n, 30.0, 120.0);
        adapt_tau[0] = params["tau_m"][0].as_f64().unwrap();
        params["adaptation"] = json!([{
            "tau": adapt_tau,
            "increment": uniform(&mut rng, n, -3.0, -0.5)
        }]);
        params["threshold_adaptation"] = json!([
            {"tau": uniform(&mut rng, n, 15.0, 60.0), "increment": uniform(&mut rng, n, 0.5, 3.0)},
            {"tau": uniform(&mut rng, n, 3.0, 10.0), "increment": uniform(&mut rng, n, 0.2, 1.0)}
        ]);
    }
    sc
}

#[test]
fn gradients_match_finite_differences_with_adaptation() {
    check_all((30..33).map(|seed| {
        let t_ref = if seed == 31 { 2.0 } else { 0.0 };
        let sc = with_adaptation(random_network(seed, t_ref, seed == 32), seed);
        let loss = out_targets(&sc, seed);
        (sc, loss)
    }));
}

/// `linear` neurons: resonators (V coupled to a slow variable, damped oscillations) with a
/// current of their own, a jump of the slow variable at each spike, inputs to each of the
/// three variables (to V: delta-like, firing at the arrival), per-neuron thresholds, drives,
/// refractory periods and initial potentials; a `lif` layer after them, or a second
/// resonator layer holding the loss.
fn linear_network(seed: u64) -> Value {
    let mut sc = random_network(seed, 1.0, seed.is_multiple_of(2));
    let mut rng = rand_pcg::Pcg64::seed_from_u64(seed ^ 0x11ea);
    let layers = if seed % 3 == 2 { 2 } else { 1 };
    for p in 0..layers {
        let n = sc["populations"][p]["size"].as_u64().unwrap() as usize;
        sc["populations"][p]["model"] = json!("linear");
        sc["populations"][p]["params"] = json!({
            "variables": ["v", "w", "i_e"],
            "matrix": [[-0.1, -0.1, 0.1], [0.1, -0.1, 0.0], [0.0, 0.0, -0.25]],
            "rest": [-70.0, 0.0, 0.0],
            "v_th": uniform(&mut rng, n, -56.0, -54.0),
            "v_reset": -72.0,
            "t_ref": uniform(&mut rng, n, 0.0, 2.0),
            "i_bias": uniform(&mut rng, n, 26.0, 34.0),
            "v_init": uniform(&mut rng, n, -71.0, -60.0),
            // the random network's receptors 0, 1, 2 (exp, alpha, delta) become i_e, w, v
            "receptors": ["i_e", "w", "v"],
            "jumps": {"w": 0.4}
        });
    }
    sc
}

#[test]
fn gradients_of_linear_neurons_match_finite_differences() {
    check_all((50..53).map(|seed| {
        let sc = linear_network(seed);
        let loss = out_targets(&sc, seed);
        (sc, loss)
    }));
}

/// Neurons that start above threshold fire at t = 0 whatever their parameters: that spike's
/// time has no gradient, and the rest of the run still has one (found by a randomized
/// check: v_th's gradient came out nonzero where the loss does not depend on it).
#[test]
fn a_spike_at_t0_from_v_init_has_a_fixed_time() {
    check_all((40..42).map(|seed| {
        let mut sc = with_adaptation(random_network(seed, 1.0, false), seed);
        for p in 0..2 {
            let params = &mut sc["populations"][p]["params"];
            let v_th: Vec<f64> = serde_json::from_value(params["v_th"].clone()).unwrap();
            // the first neuron of each layer starts 2 mV above its threshold
            let v_init: Vec<f64> = (0..v_th.len())
                .map(|i| if i == 0 { v_th[i] + 2.0 } else { -70.0 })
                .collect();
            params["v_init"] = json!(v_init);
        }
        let loss = out_targets(&sc, seed);
        (sc, loss)
    }));
}

use crate::util::{assert_exit, assert_refused, assert_success, bin, read_spikes, TempDir};
use std::path::Path;
use std::process::Output;

fn gradient_cli(dir: &std::path::Path, sc: &Value, loss: &Value) -> std::process::Output {
    std::fs::write(dir.join("s.json"), sc.to_string()).unwrap();
    std::fs::write(dir.join("l.json"), loss.to_string()).unwrap();
    bin()
        .args(["gradient", "--quiet", "--loss"])
        .arg(dir.join("l.json"))
        .arg("--out")
        .arg(dir.join("g"))
        .arg(dir.join("s.json"))
        .output()
        .unwrap()
}

#[test]
fn gradients_json_loss_equals_the_loss_of_the_runs_spikes() {
    let tmp = TempDir::new("gradient-cli");
    let sc = random_network(3, 1.0, false);
    let targets = vec![vec![10.0, 20.0], vec![5.0], vec![15.0, 30.0, 45.0]];
    let loss = json!({"kind": "spike_times", "population": "o", "targets": targets});
    let o = gradient_cli(tmp.path(), &sc, &loss);
    assert_success(&o);
    let g: Value =
        serde_json::from_slice(&std::fs::read(tmp.path().join("g/gradients.json")).unwrap())
            .unwrap();
    // the loss from `exactspike run`'s spikes.csv, missing spikes at the end (60 ms)
    let (run, out) = crate::util::run_json(tmp.path(), &sc);
    assert_success(&run);
    let spikes = read_spikes(&out);
    let mut want = 0.0;
    for (n, ts) in targets.iter().enumerate() {
        let got: Vec<f64> = spikes
            .iter()
            .filter(|s| s.0 == "o" && s.1 == n)
            .map(|s| s.2)
            .collect();
        for (k, t) in ts.iter().enumerate() {
            let x = got.get(k).copied().unwrap_or(60.0);
            want += 0.5 * (x - t) * (x - t);
        }
    }
    assert_eq!(g["loss"].as_f64().unwrap(), want);
    // the gradient's forward run is `run`'s: every spike of every population, bit for bit
    let ev = evaluate(
        &scenario::parse_value(sc.clone()).unwrap(),
        &Loss::parse(loss.to_string().as_bytes()).unwrap(),
        &Default::default(),
    )
    .unwrap();
    let mine: Vec<(String, usize, f64)> = ev
        .output
        .spikes
        .iter()
        .filter(|s| (s.population as usize) < 2)
        .map(|s| {
            let name = ev.output.names[s.population as usize].clone();
            (name, s.neuron as usize, s.time)
        })
        .collect();
    assert!(!mine.is_empty());
    assert_eq!(mine, spikes);
    // layout: per connection one value per synapse, per population one per neuron
    assert_eq!(g["connections"].as_array().unwrap().len(), 5);
    assert_eq!(g["connections"][0]["weight"].as_array().unwrap().len(), 35);
    assert_eq!(g["connections"][2]["delay"].as_array().unwrap().len(), 42);
    assert_eq!(g["populations"][1]["tau_m"].as_array().unwrap().len(), 3);
    assert_eq!(
        g["populations"][1]["receptors"][1]["tau"]
            .as_array()
            .unwrap()
            .len(),
        3
    );
    assert_eq!(
        g["populations"][1]["receptors"][2]["tau"]
            .as_array()
            .unwrap()
            .len(),
        0
    );
}

#[test]
fn gradient_refuses_bad_losses_and_unsupported_models_before_writing() {
    let tmp = TempDir::new("gradient-bad");
    let sc = random_network(4, 0.0, false);
    let bad_losses = [
        json!({"kind": "spike_times", "population": "nope", "targets": []}),
        json!({"kind": "spike_times", "population": "o", "targets": [[1.0]]}),
        json!({"kind": "first_spike_ce", "population": "o", "label": 3}),
        json!({"kind": "first_spike_ce", "population": "o", "label": 0, "tau0": -1}),
        json!({"kind": "spike_times", "population": "o", "targets": [[], [], []], "extra": 1}),
        json!({"kind": "hinge", "population": "o"}),
        json!([1, 2]),
        // valid, but its value overflows: JSON would get null for inf
        json!({"kind": "spike_times", "population": "o", "targets": [[1e308], [-1e308], []]}),
    ];
    for loss in &bad_losses {
        let o = gradient_cli(tmp.path(), &sc, loss);
        assert_exit(&o, 2);
        let err = String::from_utf8_lossy(&o.stderr);
        assert!(
            err.contains("l.json") && err.contains("loss"),
            "{loss}: {err}"
        );
        assert!(!tmp.path().join("g").exists(), "{loss}: output written");
    }
    let ok = json!({"kind": "spike_times", "population": "o", "targets": [[], [], []]});
    let mut current = sc.clone();
    current["currents"] = json!([{"to": "o", "times": [1.0], "amplitudes": [5.0]}]);
    let mut plastic = sc.clone();
    plastic["connections"][0]["plasticity"] = json!({"stdp": {"tau_plus": 20, "tau_minus": 20,
        "a_plus": 0.01, "a_minus": 0.01, "w_max": 10}});
    let qif = json!({"duration": 10, "populations": [{"name": "o", "size": 3, "model": "qif",
        "params": {"tau_m": 10, "v_crit": -50, "v_peak": 0}}]});
    for (bad, path) in [
        (current, "currents"),
        (plastic, "connections[0].plasticity"),
        (qif, "populations[0].model"),
    ] {
        let o = gradient_cli(tmp.path(), &bad, &ok);
        assert_exit(&o, 2);
        let err = String::from_utf8_lossy(&o.stderr);
        assert!(err.contains(path), "{path}: {err}");
        assert!(!tmp.path().join("g").exists());
    }
}

/// `exactspike train CONFIG --out OUT` (with `RAYON_NUM_THREADS` when `threads` is given),
/// and `OUT/metrics.json` when the run wrote one.
fn train_cli(config: &Path, out: &Path, threads: Option<&str>) -> (Output, Option<Value>) {
    let mut cmd = bin();
    if let Some(n) = threads {
        cmd.env("RAYON_NUM_THREADS", n);
    }
    let o = cmd
        .args(["train", "--out"])
        .arg(out)
        .arg(config)
        .output()
        .unwrap();
    let metrics = std::fs::read(out.join("metrics.json"))
        .ok()
        .map(|b| serde_json::from_slice(&b).unwrap());
    (o, metrics)
}

/// Writes `cfg` into `dir`, trains into `dir/t` (which must succeed) and returns the run and
/// its metrics.
fn train_ok(dir: &Path, cfg: &Value) -> (Output, Value) {
    let path = dir.join("cfg.json");
    std::fs::write(&path, cfg.to_string()).unwrap();
    let (o, m) = train_cli(&path, &dir.join("t"), None);
    assert_success(&o);
    (o, m.unwrap())
}

/// `examples/yinyang.json` with `train` and `test` samples, `hidden` hidden neurons and two
/// epochs.
fn small_yinyang(train: usize, test: usize, hidden: usize) -> Value {
    let mut cfg: Value = serde_json::from_slice(
        &std::fs::read(crate::util::repo().join("examples/yinyang.json")).unwrap(),
    )
    .unwrap();
    cfg["data"]["train"] = json!(train);
    cfg["data"]["test"] = json!(test);
    cfg["network"]["populations"][0]["size"] = json!(hidden);
    cfg["epochs"] = json!(2);
    cfg
}

#[test]
fn training_is_independent_of_the_thread_count_and_its_result_runs() {
    let tmp = TempDir::new("train");
    let mut cfg = small_yinyang(120, 60, 20);
    // ALIF hidden neurons, whose adaptation time constants are learned too
    let hidden = &mut cfg["network"]["populations"][0]["params"];
    hidden["adaptation"] = json!([{"tau": 40.0, "increment": -0.1}]);
    hidden["threshold_adaptation"] = json!([{"tau": 20.0, "increment": 0.2}]);
    cfg["learn"] = json!(["weight", "delay", "tau_m", "receptor_tau", "adaptation_tau"]);
    cfg["optimizer"]["lr_adaptation_tau"] = json!(0.1);
    let path = tmp.path().join("cfg.json");
    std::fs::write(&path, cfg.to_string()).unwrap();
    let mut metrics = vec![];
    for threads in ["1", "2"] {
        let out = tmp.path().join(format!("t{threads}"));
        let (o, m) = train_cli(&path, &out, Some(threads));
        assert_success(&o);
        let m = m.unwrap();
        assert_eq!(m["complete"], json!(true));
        assert_eq!(m["loss"].as_array().unwrap().len(), 2);
        let t = std::fs::read(out.join("trained.json")).unwrap();
        metrics.push((m["loss"].clone(), t));
    }
    assert_eq!(metrics[0], metrics[1], "results depend on the thread count");
    // the trained network is a scenario `run` accepts
    let trained: Value = serde_json::from_slice(&metrics[0].1).unwrap();
    let (o, _) = crate::util::run_json(tmp.path(), &trained);
    assert_success(&o);
    // with learned, per-neuron adaptation time constants (a term moves only where its
    // neuron fires twice within a sample)
    let hidden = &trained["populations"][0]["params"];
    for (key, initial) in [("adaptation", 40.0), ("threshold_adaptation", 20.0)] {
        let taus = hidden[key][0]["tau"].as_array().unwrap();
        assert_eq!(taus.len(), 20);
        let moved = taus
            .iter()
            .filter(|t| t.as_f64().unwrap() != initial)
            .count();
        eprintln!("{key}: {moved} of 20 time constants learned");
        assert!(moved > 0, "{key}: no time constant learned");
    }
    // a broken configuration: exit 2, nothing written
    cfg["data"]["kind"] = json!("mnist");
    std::fs::write(&path, cfg.to_string()).unwrap();
    let out = tmp.path().join("bad");
    let (o, _) = train_cli(&path, &out, None);
    assert_refused(&o, &["data"], &out);
}

/// A hidden layer of `linear` neurons (V with a current of its own and an adaptation-like
/// slow variable) trains: weights and delays move, the loss falls, the result runs.
#[test]
fn a_network_of_linear_neurons_trains() {
    let tmp = TempDir::new("train-linear");
    let mut cfg = small_yinyang(200, 0, 30);
    cfg["network"]["populations"][0]["model"] = json!("linear");
    cfg["network"]["populations"][0]["params"] = json!({
        "variables": ["v", "i", "a"],
        "matrix": [[-0.05, 0.05, 0.05], [0.0, -0.2, 0.0], [0.0, 0.0, -0.02]],
        "rest": [0.0, 0.0, 0.0], "v_th": 1.0, "v_reset": 0.0,
        "receptors": ["i"], "jumps": {"a": -0.3}});
    cfg["learn"] = json!(["weight", "delay"]);
    cfg["epochs"] = json!(3);
    let (_, m) = train_ok(tmp.path(), &cfg);
    let out = tmp.path().join("t");
    let loss: Vec<f64> = serde_json::from_value(m["loss"].clone()).unwrap();
    eprintln!(
        "loss per epoch {loss:?}, train accuracy {}",
        m["train_accuracy"]
    );
    assert!(loss[2] < loss[0], "{loss:?}");
    let trained: Value =
        serde_json::from_slice(&std::fs::read(out.join("trained.json")).unwrap()).unwrap();
    assert_eq!(trained["populations"][0]["model"], json!("linear"));
    let (o, _) = crate::util::run_json(tmp.path(), &trained);
    assert_success(&o);
}

/// Without test samples the test accuracies are null, not 0 (a number would read as a
/// network that classifies nothing right).
#[test]
fn training_without_test_samples_reports_no_test_accuracy() {
    let tmp = TempDir::new("train-notest");
    let cfg = small_yinyang(40, 0, 10);
    let (o, m) = train_ok(tmp.path(), &cfg);
    assert!(
        m["test_accuracy"].is_null() && m["initial_test_accuracy"].is_null(),
        "{m}"
    );
    assert!(m["epochs"][1]["test_accuracy"].is_null());
    assert!(m["train_accuracy"].as_f64().is_some());
    assert!(String::from_utf8_lossy(&o.stderr).contains("test accuracy - (before training -)"));
}

/// A network driven to fire without end stops `gradient` at `--max-memory` (exit 3, nothing
/// written) and `train` (exit 3, metrics say why) instead of taking the machine's memory; a
/// training step far too large leaves weights within the scenario's range, so the trained
/// network still runs.
#[test]
fn runaway_forward_runs_stop_and_huge_steps_leave_a_valid_network() {
    let tmp = TempDir::new("runaway");
    let sc = json!({"duration": 1e5, "populations": [{"name": "out", "size": 1, "model": "lif",
        "params": {"tau_m": 10, "v_th": -55, "i_bias": 1e6}}]});
    let loss = json!({"kind": "spike_times", "population": "out", "targets": [[1.0]]});
    std::fs::write(tmp.path().join("s.json"), sc.to_string()).unwrap();
    std::fs::write(tmp.path().join("l.json"), loss.to_string()).unwrap();
    let o = bin()
        .args(["--max-memory", "32M", "gradient", "--loss"])
        .arg(tmp.path().join("l.json"))
        .arg("--out")
        .arg(tmp.path().join("g"))
        .arg(tmp.path().join("s.json"))
        .output()
        .unwrap();
    assert_exit(&o, 3);
    assert!(String::from_utf8_lossy(&o.stderr).contains("max_memory"));
    assert!(!tmp.path().join("g").exists());

    let mut cfg = small_yinyang(20, 10, 10);
    cfg["optimizer"]["lr"] = json!(1e300);
    cfg["silence_bump"] = json!(1e7);
    let path = tmp.path().join("cfg.json");
    std::fs::write(&path, cfg.to_string()).unwrap();
    let out = tmp.path().join("t");
    let o = bin()
        .args(["--max-memory", "64M", "train", "--quiet", "--out"])
        .arg(&out)
        .arg(&path)
        .output()
        .unwrap();
    // (weights of 1e6 mV drive some samples' neurons to fire without end: their forward
    // runs stop at the memory limit, and so does training, saying why)
    let m: Value =
        serde_json::from_slice(&std::fs::read(out.join("metrics.json")).unwrap()).unwrap();
    if o.status.code() == Some(3) {
        assert_eq!(m["stopped"], json!("max_memory"), "{m}");
    } else {
        assert_success(&o);
    }
    let trained = std::fs::read(out.join("trained.json")).unwrap();
    let (o, _) = crate::util::run_json(tmp.path(), &serde_json::from_slice(&trained).unwrap());
    assert_success(&o);
    // a bad setting names its key
    let set = |v: &mut Value, key: &str, x: Value| *v.pointer_mut(key).unwrap() = x;
    for (key, value, name) in [
        ("/batch_size", json!(0), "batch_size"),
        ("/silence_bump", json!(-1), "silence_bump"),
        ("/optimizer/lr", json!(0), "optimizer.lr"),
    ] {
        let mut bad = cfg.clone();
        set(&mut bad, key, value);
        std::fs::write(&path, bad.to_string()).unwrap();
        let (o, _) = train_cli(&path, &tmp.path().join("bad"), None);
        assert_exit(&o, 2);
        let err = String::from_utf8_lossy(&o.stderr);
        assert!(err.contains(&format!("{name}: must be")), "{key}: {err}");
    }
}
