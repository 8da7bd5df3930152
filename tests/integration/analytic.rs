//! Closed-form checks through the Rust API: DC-driven firing (also over 1e6 ms), PSP peaks,
//! refractoriness, simultaneous inputs.

use crate::util::assert_close;
use exactspike::scenario::*;
use serde_json::json;

fn scenario(v: serde_json::Value) -> Scenario {
    parse_str(&v.to_string()).unwrap()
}

/// First spike from v0 and the period under constant drive:
/// t1 = tau ln((V_inf - v0)/(V_inf - v_th)), P = t_ref + tau ln((V_inf - v_reset)/(V_inf - v_th)).
#[test]
fn bias_driven_train_over_a_million_ms() {
    let (tau, v_rest, v_th, v_reset, t_ref, bias) = (10.0, -70.0, -55.0, -75.0, 2.0, 20.0);
    let sc = scenario(json!({
        "duration": 1.0e6,
        "populations": [{"name": "n", "size": 1, "model": "lif",
            "params": {"tau_m": tau, "v_rest": v_rest, "v_th": v_th, "v_reset": v_reset, "t_ref": t_ref, "i_bias": bias}}]
    }));
    let out = exactspike::run(&sc).unwrap();
    let v_inf: f64 = v_rest + bias;
    let t1 = tau * ((v_inf - v_rest) / (v_inf - v_th)).ln();
    let period = t_ref + tau * ((v_inf - v_reset) / (v_inf - v_th)).ln();
    let expected = ((1.0e6 - t1) / period).floor() as usize + 1;
    assert_eq!(out.spikes.len(), expected);
    let mut worst: f64 = 0.0;
    for (k, s) in out.spikes.iter().enumerate() {
        worst = worst.max((s.time - (t1 + k as f64 * period)).abs());
    }
    // State is kept relative to the last update, so the error is only the rounding of the
    // absolute times (ulp(1e6) ≈ 1.2e-10) plus the accumulated float error of the sum.
    assert!(
        worst < 1e-6,
        "largest deviation from the closed-form train: {worst:e} ms"
    );
}

#[test]
fn exp_psp_peak_time_and_amplitude() {
    let (tm, ts, w) = (10.0f64, 2.0f64, 30.0);
    let t_peak = tm * ts / (tm - ts) * (tm / ts).ln();
    let amp = w * ts / (tm - ts) * ((-t_peak / tm).exp() - (-t_peak / ts).exp());
    // V - v_rest = w/(tm) * ∫ ... = w ts/(tm - ts) (e^{-t/tm} - e^{-t/ts})
    let sc = scenario(json!({
        "duration": 20.0,
        "populations": [{"name": "n", "size": 1, "model": "lif",
            "params": {"tau_m": tm, "v_th": 0.0, "receptors": [{"kind": "exp", "tau": ts}]}}],
        "inputs": [{"name": "i", "kind": "spike_times", "times": [[1.0]]}],
        "connections": [{"from": "i", "to": "n", "rule": "all_to_all", "weight": w, "delay": 0.0}],
        "record": {"voltage": [{"population": "n", "times": [1.0 + t_peak, 1.0 + t_peak - 1e-3, 1.0 + t_peak + 1e-3]}]}
    }));
    let out = exactspike::run(&sc).unwrap();
    let v: Vec<f64> = out.voltages.iter().map(|s| s.v).collect();
    // sorted by time: before, at, after
    assert_close(v[1], -70.0 + amp, 1e-12, "PSP peak amplitude");
    assert!(v[0] < v[1] && v[2] < v[1], "the peak is a maximum: {v:?}");
}

#[test]
fn alpha_psp_with_tau_equal_tau_m_has_the_closed_form() {
    // tau_s == tau_m == τ: V - v_rest = w e (t/τ)² / 2 · e^{-t/τ}, peak at t = 2τ of 2w/e.
    let tau = 5.0f64;
    let w = 3.0;
    let sc = scenario(json!({
        "duration": 30.0,
        "populations": [{"name": "n", "size": 1, "model": "lif",
            "params": {"tau_m": tau, "v_th": 0.0, "receptors": [{"kind": "alpha", "tau": tau}]}}],
        "inputs": [{"name": "i", "kind": "spike_times", "times": [[0.0]]}],
        "connections": [{"from": "i", "to": "n", "rule": "all_to_all", "weight": w, "delay": 0.0}],
        "record": {"voltage": [{"population": "n", "times": [1.0, 10.0, 17.5]}]}
    }));
    let out = exactspike::run(&sc).unwrap();
    for s in &out.voltages {
        let x: f64 = s.time / tau;
        let want = -70.0 + w * std::f64::consts::E * x * x / 2.0 * (-x).exp();
        assert_close(s.v, want, 1e-12, &format!("V at {}", s.time));
    }
}

#[test]
fn delta_inputs_during_refractoriness_are_discarded_but_currents_are_not() {
    let sc = scenario(json!({
        "duration": 10.0,
        "populations": [{"name": "n", "size": 1, "model": "lif",
            "params": {"tau_m": 10.0, "v_th": -55.0, "t_ref": 2.0,
                       "receptors": [{"kind": "delta"}, {"kind": "exp", "tau": 1.0}]}}],
        "inputs": [{"name": "i", "kind": "spike_times", "times": [[1.0], [2.0], [2.5]]}],
        "connections": [
            {"from": "i", "to": "n", "rule": {"pairs": [[0, 0], [1, 0]]}, "weight": 20.0, "delay": 0.0},
            {"from": "i", "to": "n", "rule": {"pairs": [[2, 0]]}, "weight": 5.0, "delay": 0.0, "receptor": 1}
        ],
        "record": {"voltage": [{"population": "n", "times": [2.9, 3.0, 3.5]}]}
    }));
    let out = exactspike::run(&sc).unwrap();
    assert_eq!(out.spikes.len(), 1);
    assert_eq!(out.spikes[0].time, 1.0);
    // at 2.9 still refractory: V held at reset
    assert_eq!(out.voltages[0].v, -70.0);
    assert_eq!(out.voltages[1].v, -70.0);
    // after 3.0 the exp current that arrived at 2.5 (during refractoriness) drives V:
    // I(3) = 5 e^{-0.5}; V(3 + s) - v_rest = I(3) μ D1(μ, 1, s)
    let i3 = 5.0 * (-0.5f64).exp();
    let (mu, s) = (0.1f64, 0.5f64);
    let want = -70.0 + i3 * mu * ((-mu * s).exp() - (-s).exp()) / (1.0 - mu);
    assert_close(out.voltages[2].v, want, 1e-12, "V(3.5)");
}

#[test]
fn simultaneous_excitation_and_inhibition_cancel() {
    let sc = scenario(json!({
        "duration": 10.0,
        "populations": [{"name": "n", "size": 1, "model": "lif", "params": {"tau_m": 10.0, "v_th": -55.0}}],
        "inputs": [{"name": "i", "kind": "spike_times", "times": [[2.0], [2.0]]}],
        "connections": [{"from": "i", "to": "n", "rule": "all_to_all", "weight": [-20.0, 20.0], "delay": 0.0}]
    }));
    assert!(exactspike::run(&sc).unwrap().spikes.is_empty());
}

/// `qif` (extension): above rheobase the period from reset to peak is
/// τ'/√c (atan(x_p/√c) − atan(x_r/√c)) + t_ref, with τ' = tau_m·d, c = i_bias·d − d²/4.
#[test]
fn qif_bias_driven_train_has_the_closed_form_period() {
    let (tau, v_rest, v_crit, v_peak, v_reset, t_ref, bias) =
        (10.0f64, -70.0, -50.0, 20.0, -65.0, 1.0, 8.0);
    let sc = scenario(json!({
        "duration": 2000.0,
        "populations": [{"name": "q", "size": 1, "model": "qif",
            "params": {"tau_m": tau, "v_rest": v_rest, "v_crit": v_crit, "v_peak": v_peak,
                       "v_reset": v_reset, "t_ref": t_ref, "i_bias": bias}}]
    }));
    let out = exactspike::run(&sc).unwrap();
    let d = v_crit - v_rest;
    let (mid, c, tp) = ((v_rest + v_crit) / 2.0, bias * d - d * d / 4.0, tau * d);
    let r = c.sqrt();
    let rise = |x0: f64| tp / r * (((v_peak - mid) / r).atan() - (x0 / r).atan());
    let t1 = rise(v_rest - mid);
    let period = t_ref + rise(v_reset - mid);
    assert!(out.spikes.len() > 10);
    for (k, s) in out.spikes.iter().enumerate() {
        assert_close(
            s.time,
            t1 + k as f64 * period,
            1e-9,
            &format!("qif spike {k}"),
        );
    }
}

/// `qif` below rheobase: a delta kick above the unstable point v_crit fires after the
/// closed-form escape time; a kick just below it decays back.
#[test]
fn qif_kick_over_the_unstable_point_fires_at_the_escape_time() {
    let (tau, v_rest, v_crit, v_peak) = (10.0f64, -70.0, -50.0, 20.0);
    let sc = scenario(json!({
        "duration": 200.0,
        "populations": [{"name": "q", "size": 2, "model": "qif",
            "params": {"tau_m": tau, "v_rest": v_rest, "v_crit": v_crit, "v_peak": v_peak}}],
        "inputs": [{"name": "i", "kind": "spike_times", "times": [[5.0]]}],
        "connections": [{"from": "i", "to": "q", "rule": "all_to_all", "weight": [20.5, 19.5], "delay": 0.0}]
    }));
    let out = exactspike::run(&sc).unwrap();
    assert_eq!(out.spikes.len(), 1, "{:?}", out.spikes);
    assert_eq!(out.spikes[0].neuron, 0);
    // c = -d²/4 → k = d/2 = 10; x0 = -49.5 + 60 = 10.5; x_p = 80
    let (k, tp) = (10.0f64, tau * 20.0);
    let acoth = |y: f64| 0.5 * ((y + 1.0) / (y - 1.0)).ln();
    let want = 5.0 + tp / k * (acoth(10.5 / k) - acoth(80.0 / k));
    assert_close(out.spikes[0].time, want, 1e-9, "escape time");
}

/// `qif` at rheobase and a hair either side of it (c = 0, ±1e−12 mV²): a kick above the
/// critical point fires at the c = 0 closed form's time, to 1e−9 ms on all three sides. The
/// textbook tan/atan form missed by about 1e−6 ms here (cancellation near ±π/2).
#[test]
fn qif_near_rheobase_fires_at_the_limit_closed_form_time() {
    let (tau, v_rest, v_crit, v_peak) = (10.0f64, -70.0, -50.0, 20.0);
    let pop = |name: &str, bias: f64| {
        json!({"name": name, "size": 1, "model": "qif",
            "params": {"tau_m": tau, "v_rest": v_rest, "v_crit": v_crit, "v_peak": v_peak,
                       "i_bias": bias}})
    };
    // c = i_bias·d − d²/4 with d = 20: 5 mV is rheobase exactly
    let sc = scenario(json!({
        "duration": 200.0,
        "populations": [pop("at", 5.0), pop("above", 5.0 + 5e-14), pop("below", 5.0 - 5e-14)],
        "inputs": [{"name": "i", "kind": "spike_times", "times": [[5.0]]}],
        "connections": [
            {"from": "i", "to": "at", "rule": "all_to_all", "weight": 20.5, "delay": 0.0},
            {"from": "i", "to": "above", "rule": "all_to_all", "weight": 20.5, "delay": 0.0},
            {"from": "i", "to": "below", "rule": "all_to_all", "weight": 20.5, "delay": 0.0}]
    }));
    let out = exactspike::run(&sc).unwrap();
    assert_eq!(out.spikes.len(), 3, "{:?}", out.spikes);
    // c = 0: x(t) = x0/(1 − x0·t/τ'), the peak after τ'(1/x − 1/x_p); x = V + 60
    let tp = tau * 20.0;
    let x5 = -10.0 / (1.0 + 10.0 * 5.0 / tp) + 20.5;
    let want = 5.0 + tp * (1.0 / x5 - 1.0 / 80.0);
    for s in &out.spikes {
        assert_close(s.time, want, 1e-9, &format!("{s:?}"));
    }
}
