//! Example: Jeffress sound localisation through the Rust API.
//!
//! ```text
//!  left ear (40 fibres) ──delay d_L(j)──┐
//!                                       ├──▶ detector j  (fires when both arrive together)
//!  right ear (40 fibres) ─delay d_R(j)──┘
//! ```
//!
//! Two ears phase-lock to a 500 Hz tone; the right ear hears it `itd` ms later. Detector j
//! receives the left ear through `d_L(j) = D0 + x_j/2` and the right through
//! `d_R(j) = D0 - x_j/2`, so it is tuned to the ITD `x_j = d_L(j) - d_R(j)`; 81 detectors
//! span ±400 µs in 10 µs steps. The spike-count centroid of the detector array reads out the
//! ITD. The example checks the read-out for a few ITDs and fails (exit code 101) if any is
//! off by more than 10 µs. The same network as JSON: `examples/jeffress.json`.

use exactspike::analysis::{best_itds, itd_estimate, JeffressNames};
use exactspike::build::build;
use exactspike::scenario::*;
use exactspike::Simulation;
use std::f64::consts::FRAC_PI_2;

const DETECTORS: usize = 81;
const FIBRES: usize = 40;

fn ear(name: &str, delay: f64) -> Input {
    Input {
        name: name.into(),
        kind: InputKind::PhaseLocked(PhaseLocked {
            size: FIBRES,
            frequency: 500.0,
            rate: 300.0,
            jitter: 0.05,
            phase: Some(FRAC_PI_2),
            delay: Some(Itd::Constant(delay)),
        }),
    }
}

fn jeffress(itd: f64) -> Scenario {
    let mut params = LifParams::new(0.1, -50.0); // tau_m 0.1 ms, v_th -50 mV
    params.t_ref = Some(1.0.into());
    params.receptors = Some(vec![Receptor {
        kind: ReceptorKind::Exp,
        tau: Some(0.1.into()),
    }]);
    let best: Vec<f64> = (0..DETECTORS).map(|j| -0.4 + 0.01 * j as f64).collect();
    // one delay per synapse, source-major: fibre i, detector j at index i·DETECTORS + j
    let delays = |sign: f64| -> ParamValue {
        let row: Vec<f64> = best.iter().map(|x| 0.2 + sign * x / 2.0).collect();
        ParamValue::List(row.repeat(FIBRES))
    };
    let connect = |from: &str, sign: f64| Connection {
        from: from.into(),
        to: "detectors".into(),
        rule: Rule::AllToAll,
        weight: 1.3.into(),
        delay: delays(sign),
        receptor: 0,
        autapses: false,
        plasticity: None,
    };
    // ITD > 0: the sound reaches the left ear first, so the right ear is delayed.
    let (left_delay, right_delay) = if itd >= 0.0 { (0.0, itd) } else { (-itd, 0.0) };
    Scenario {
        name: Some("jeffress".into()),
        seed: 20240,
        duration: 1000.0,
        populations: vec![Population {
            name: "detectors".into(),
            size: DETECTORS,
            model: Model::Lif(params),
        }],
        inputs: vec![ear("left", left_delay), ear("right", right_delay)],
        connections: vec![connect("left", 1.0), connect("right", -1.0)],
        currents: vec![],
        record: Some(Record {
            spikes: Some(vec!["detectors".into()]),
            ..Record::default()
        }),
    }
}

fn main() {
    println!("true ITD (us)  estimate (us)  error (us)");
    for itd in [-0.25, -0.1, 0.0, 0.037, 0.1, 0.2] {
        let net = build(&jeffress(itd), "jeffress").expect("valid network");
        let itds = best_itds(&net, &JeffressNames::default()).expect("detectors and ears");
        let out = Simulation::new(net).run();
        let mut counts = vec![0u64; DETECTORS];
        for s in &out.spikes {
            counts[s.neuron as usize] += 1;
        }
        let est = itd_estimate(&counts, &itds, 0.3).expect("detectors fired");
        let err = (est - itd) * 1000.0;
        println!(
            "{:>13.1}  {:>13.2}  {:>10.2}",
            itd * 1000.0,
            est * 1000.0,
            err
        );
        assert!(err.abs() < 10.0, "ITD {itd} ms read out as {est} ms");
    }
    println!("all read-outs within 10 us");
}
