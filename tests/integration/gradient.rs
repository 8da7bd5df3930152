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
        for i in 0..pg.tau_m.len() {
            out.push((format!("/populations/{p}/params/tau_m/{i}"), pg.tau_m[i]));
            out.push((format!("/populations/{p}/params/v_th/{i}"), pg.v_th[i]));
            out.push((format!("/populations/{p}/params/i_bias/{i}"), pg.i_bias[i]));
            for (r, rg) in pg.receptors.iter().enumerate() {
                if let Some(v) = rg.tau.get(i) {
                    out.push((format!("/populations/{p}/params/receptors/{r}/tau/{i}"), *v));
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

#[test]
fn gradients_match_finite_differences_without_refractoriness() {
    let mut tally = Tally {
        checked: 0,
        skipped: 0,
        worst: 0.0,
    };
    for seed in 0..3 {
        let sc = random_network(seed, 0.0, false);
        let loss = out_targets(&sc, seed);
        check(&sc, &loss, &mut tally);
    }
    eprintln!(
        "checked {} skipped {} worst relative error {:e}",
        tally.checked, tally.skipped, tally.worst
    );
    assert!(tally.checked > 10 * tally.skipped, "too many kinks skipped");
}

#[test]
fn gradients_match_finite_differences_with_refractoriness() {
    let mut tally = Tally {
        checked: 0,
        skipped: 0,
        worst: 0.0,
    };
    for seed in 10..13 {
        let sc = random_network(seed, 2.0, false);
        let loss = out_targets(&sc, seed);
        check(&sc, &loss, &mut tally);
    }
    eprintln!(
        "checked {} skipped {} worst relative error {:e}",
        tally.checked, tally.skipped, tally.worst
    );
    assert!(tally.checked > 10 * tally.skipped, "too many kinks skipped");
}

#[test]
fn gradients_match_finite_differences_with_jumps_and_cross_entropy() {
    let mut tally = Tally {
        checked: 0,
        skipped: 0,
        worst: 0.0,
    };
    for seed in 20..23 {
        let mut sc = random_network(seed, 1.0, true);
        // the degenerate case tau = tau_m for one neuron's exp receptor
        let tau_m = sc["populations"][1]["params"]["tau_m"][0].clone();
        sc["populations"][1]["params"]["receptors"][0]["tau"][0] = tau_m;
        let loss = Loss::FirstSpikeCe {
            population: "o".into(),
            label: seed as usize % 3,
            tau0: 2.0,
            alpha: 0.01,
            tau1: 20.0,
        };
        check(&sc, &loss, &mut tally);
    }
    eprintln!(
        "checked {} skipped {} worst relative error {:e}",
        tally.checked, tally.skipped, tally.worst
    );
    assert!(tally.checked > 10 * tally.skipped, "too many kinks skipped");
}
