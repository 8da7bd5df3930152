//! Plasticity at exact spike times, against closed forms: the STDP window, nearest vs
//! all-to-all pairing, the multiplicative rule, and the Tsodyks–Markram recursion.

use crate::util::*;
use serde_json::{json, Value};

const TAU_PLUS: f64 = 16.8;
const TAU_MINUS: f64 = 33.7;
const A_PLUS: f64 = 0.01;
const A_MINUS: f64 = 0.012;
const GAP: f64 = 3000.0; // traces decay by e^{-89} between protocol repetitions

/// One post neuron, a plastic input `pre` and a strong static input `force` that makes the
/// post neuron fire exactly at its arrival times; weights sampled at `samples`.
fn protocol(pre: &[f64], post: &[f64], samples: &[f64], stdp: Value, duration: f64) -> Value {
    json!({
        "duration": duration,
        "populations": [{"name": "post", "size": 1, "model": "lif",
            "params": {"tau_m": 10.0, "v_th": -55.0, "t_ref": 1.0}}],
        "inputs": [
            {"name": "pre", "kind": "spike_times", "times": [pre]},
            {"name": "force", "kind": "spike_times", "times": [post]}
        ],
        "connections": [
            {"from": "pre", "to": "post", "rule": "all_to_all", "weight": 1.0, "delay": 0.0,
             "plasticity": {"stdp": stdp}},
            {"from": "force", "to": "post", "rule": "all_to_all", "weight": 100.0, "delay": 0.0}
        ],
        "record": {"spikes": ["post"], "weights": [{"connection": 0, "times": samples}]}
    })
}

fn stdp(pairing: &str, rule: &str) -> Value {
    json!({"tau_plus": TAU_PLUS, "tau_minus": TAU_MINUS, "a_plus": A_PLUS, "a_minus": A_MINUS,
           "w_min": 0.0, "w_max": 5.0, "pairing": pairing, "rule": rule})
}

fn run_weights(sc: &Value) -> (Vec<f64>, Vec<(String, usize, f64)>) {
    let tmp = TempDir::new("stdp");
    let (o, out) = run_json(tmp.path(), sc);
    assert_success(&o);
    let text = std::fs::read_to_string(out.join("weights.csv")).unwrap();
    let mut lines = text.lines();
    assert_eq!(
        lines.next(),
        Some("connection,synapse,source,target,time,weight")
    );
    let w = lines
        .map(|l| l.rsplit(',').next().unwrap().parse().unwrap())
        .collect();
    (w, read_spikes(&out))
}

fn assert_rel(got: f64, want: f64, what: &str) {
    let rel = ((got - want) / want).abs();
    assert!(
        rel <= 1e-12,
        "{what}: got {got:e}, want {want:e}, relative error {rel:e}"
    );
}

#[test]
fn pair_protocol_reproduces_the_stdp_window() {
    let dts = [
        -50.0, -20.0, -5.0, -1.0, -1e-4, -1e-7, 0.0, 1e-7, 1e-4, 1.0, 5.0, 20.0, 50.0,
    ];
    let base = |k: usize| 100.0 + GAP * k as f64;
    let pre: Vec<f64> = (0..dts.len()).map(base).collect();
    let post: Vec<f64> = dts.iter().enumerate().map(|(k, d)| base(k) + d).collect();
    let samples: Vec<f64> = (0..=dts.len()).map(|k| base(k) - 50.0).collect();
    let duration = base(dts.len());
    let (w, spikes) = run_weights(&protocol(
        &pre,
        &post,
        &samples,
        stdp("all_to_all", "additive"),
        duration,
    ));
    assert_eq!(
        spikes.len(),
        dts.len(),
        "the post neuron fires once per pair, at the forced times"
    );
    assert_eq!(w[0], 1.0);
    for (k, &d) in dts.iter().enumerate() {
        // Δt as the simulator sees it: the f64 difference of the two event times
        let dt = post[k] - pre[k];
        assert_eq!(spikes[k].2, post[k]);
        let want = if dt >= 0.0 {
            A_PLUS * (-dt / TAU_PLUS).exp()
        } else {
            -A_MINUS * (dt / TAU_MINUS).exp()
        };
        assert_rel(w[k + 1] - w[k], want, &format!("Δw at Δt = {d} ms"));
    }
}

#[test]
fn nearest_and_all_to_all_pairing_differ_as_their_closed_forms_say() {
    // two pre spikes then one post (potentiation), and two post spikes then one pre (depression)
    let t = 100.0;
    let u = t + GAP;
    let pre = vec![t, t + 5.0, u + 10.0];
    let post = vec![t + 10.0, u, u + 5.0];
    let samples = vec![50.0, u - 50.0, u + 500.0];
    let (x10, x5) = ((-10.0 / TAU_PLUS).exp(), (-5.0 / TAU_PLUS).exp());
    let (y10, y5) = ((-10.0 / TAU_MINUS).exp(), (-5.0 / TAU_MINUS).exp());
    // the second pre spike at u+10 also sees... only the posts at u and u+5 (earlier pairs decayed)
    for (pairing, up, down) in [
        ("all_to_all", A_PLUS * (x10 + x5), -A_MINUS * (y10 + y5)),
        ("nearest", A_PLUS * x5, -A_MINUS * y5),
    ] {
        let (w, _) = run_weights(&protocol(
            &pre,
            &post,
            &samples,
            stdp(pairing, "additive"),
            u + 1000.0,
        ));
        assert_rel(w[1] - w[0], up, &format!("{pairing}: potentiation"));
        assert_rel(w[2] - w[1], down, &format!("{pairing}: depression"));
    }
}

#[test]
fn multiplicative_rule_scales_with_the_distance_to_the_bounds() {
    let pre = vec![100.0, 100.0 + GAP + 7.0];
    let post = vec![103.0, 100.0 + GAP];
    let samples = vec![50.0, 600.0, 100.0 + GAP + 500.0];
    let (w, _) = run_weights(&protocol(
        &pre,
        &post,
        &samples,
        stdp("all_to_all", "multiplicative"),
        100.0 + GAP + 1000.0,
    ));
    let w1 = 1.0 + A_PLUS * (5.0 - 1.0) * (-3.0 / TAU_PLUS).exp();
    assert_rel(w[1], w1, "potentiation");
    let w2 = w1 - A_MINUS * (w1 - 0.0) * (-7.0 / TAU_MINUS).exp();
    assert_rel(w[2], w2, "depression");
}

#[test]
fn tsodyks_markram_amplitudes_follow_the_recursion() {
    let (u_, tau_rec, tau_fac, w) = (0.2, 150.0, 400.0, 2.0);
    let times: Vec<f64> = (0..12)
        .map(|k| 10.0 + 20.0 * k as f64 + if k > 8 { 300.0 } else { 0.0 })
        .collect();
    let eps = 1e-9;
    let mut samples: Vec<f64> = times.iter().flat_map(|&t| [t, t + eps]).collect();
    samples.sort_by(f64::total_cmp);
    let sc = json!({
        "duration": 600.0,
        "populations": [{"name": "n", "size": 1, "model": "lif",
            "params": {"tau_m": 1e9, "v_th": 1e5}}],
        "inputs": [{"name": "pre", "kind": "spike_times", "times": [times]}],
        "connections": [{"from": "pre", "to": "n", "rule": "all_to_all", "weight": w, "delay": 0.0,
            "plasticity": {"tsodyks_markram": {"u": u_, "tau_rec": tau_rec, "tau_fac": tau_fac}}}],
        "record": {"voltage": [{"population": "n", "times": samples}]}
    });
    let tmp = TempDir::new("tm");
    let (o, out) = run_json(tmp.path(), &sc);
    assert_success(&o);
    let text = std::fs::read_to_string(out.join("voltage.csv")).unwrap();
    let v: Vec<f64> = text
        .lines()
        .skip(1)
        .map(|l| l.rsplit(',').next().unwrap().parse().unwrap())
        .collect();
    let (mut u, mut r, mut last) = (0.0f64, 1.0f64, f64::NEG_INFINITY);
    for (k, &t) in times.iter().enumerate() {
        let d = t - last;
        r = 1.0 - (1.0 - r * (1.0 - u)) * (-d / tau_rec).exp();
        u = u_ + u * (1.0 - u_) * (-d / tau_fac).exp();
        last = t;
        let jump = v[2 * k + 1] - v[2 * k];
        let want = w * u * r;
        assert!(
            ((jump - want) / want).abs() < 1e-11,
            "spike {k}: PSC amplitude {jump} vs recursion {want}"
        );
    }
}

#[test]
fn static_connections_are_untouched_by_plastic_ones() {
    // the golden network's outputs do not change when an unrelated connection is plastic:
    // compared in golden_outputs_are_reproduced_byte_for_byte; here the weight of a static
    // connection stays constant in weights.csv
    let pre = vec![100.0, 200.0];
    let post = vec![105.0, 195.0];
    let mut sc = protocol(
        &pre,
        &post,
        &[50.0, 150.0, 250.0],
        stdp("all_to_all", "additive"),
        300.0,
    );
    sc["record"]["weights"] = json!([{"connection": 1, "every": 50.0}]);
    let (w, _) = run_weights(&sc);
    assert!(w.iter().all(|&x| x == 100.0), "{w:?}");
}

/// The Song et al. (2000) example: the weight distribution becomes bimodal.
#[test]
fn stdp_song2000_example_becomes_bimodal() {
    let tmp = TempDir::new("song");
    let out = tmp.path().join("out");
    let o = run_file(&repo().join("examples/stdp_song2000.json"), &out, &[]);
    assert_success(&o);
    let text = std::fs::read_to_string(out.join("weights.csv")).unwrap();
    let rows: Vec<(f64, f64)> = text
        .lines()
        .skip(1)
        .map(|l| {
            let f: Vec<&str> = l.split(',').collect();
            (f[4].parse().unwrap(), f[5].parse().unwrap())
        })
        .collect();
    let last_t = rows.last().unwrap().0;
    let last: Vec<f64> = rows.iter().filter(|r| r.0 == last_t).map(|r| r.1).collect();
    assert_eq!(last.len(), 1000);
    let low = last.iter().filter(|&&w| w <= 0.1).count() as f64 / 1000.0;
    let high = last.iter().filter(|&&w| w >= 0.9).count() as f64 / 1000.0;
    assert!(
        low + high > 0.7 && low > 0.1 && high > 0.1,
        "not bimodal: {low} near 0, {high} near w_max"
    );
}
