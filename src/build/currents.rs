//! Stage 4b: injected currents, checked and resolved to their populations.

use super::names::Names;
use super::values::{check, err, steps, Check, Res, MAX_ELEMENTS};
use super::Budget;
use crate::ids::PopulationId;
use crate::network::{CurrentSteps, PopulationEntry};
use crate::neuron::waves::Oscillation;
use crate::neuron::NeuronModel;

/// The highest frequency of a sinusoidal current \[Hz\]: far above any membrane's cut-off,
/// and it keeps the crossing search's work per period bounded.
pub(crate) const MAX_FREQUENCY: f64 = 1e6;
use crate::scenario::Scenario;

/// Every current of `sc`; the populations they drive are told to expect a changing drive.
pub(crate) fn build(
    sc: &Scenario,
    names: &Names<'_>,
    populations: &mut [PopulationEntry],
    budget: &mut Budget,
) -> Res<Vec<CurrentSteps>> {
    let mut out = Vec::with_capacity(sc.currents.len());
    // (which neurons a current lists, reset after each: one scratch for all currents)
    let mut seen: Vec<bool> = Vec::new();
    for (k, c) in sc.currents.iter().enumerate() {
        let path = format!("currents[{k}]");
        let p = names.population(
            &c.to,
            format!("{path}.to"),
            "; currents drive a neuron population",
        )?;
        let size = populations[p].neurons.len();
        let (times, amplitudes) = match (&c.times, &c.amplitudes, &c.sine) {
            (Some(t), Some(a), None) => (t.as_slice(), a.as_slice()),
            (None, None, Some(_)) => (&[][..], &[][..]),
            (_, _, Some(_)) => {
                return err(
                    &path,
                    "has `sine` and `times` or `amplitudes`: a current is either steps \
                     (`times`, `amplitudes`) or a sinusoid (`sine`)",
                )
            }
            (t, _, None) => {
                let key = if t.is_none() { "times" } else { "amplitudes" };
                return err(
                    &path,
                    format!(
                        "missing field `{key}` (a step current has `times` and `amplitudes`; \
                         a sinusoidal one `sine`)"
                    ),
                );
            }
        };
        let n_times = times.len() as u64;
        let n_neurons = c.neurons.as_ref().map_or(size, Vec::len) as u64;
        if n_times > MAX_ELEMENTS || n_neurons > MAX_ELEMENTS {
            return err(&path, format!("more than {MAX_ELEMENTS} times or neurons"));
        }
        budget.charge(
            16.0 * n_times.max(4) as f64 + 4.0 * n_neurons as f64,
            &path,
            "the current's steps and neurons",
        )?;
        let sine = match &c.sine {
            Some(sine) => Some(check_sine(&format!("{path}.sine"), sine, sc.duration)?),
            None => {
                steps(
                    &path,
                    ("times", times),
                    ("amplitudes", amplitudes),
                    Check::Potential,
                    " mV",
                )?;
                None
            }
        };
        let neurons = match &c.neurons {
            None => (0..size as u32).collect(),
            Some(list) => {
                seen.resize(seen.len().max(size), false);
                let mut neurons = Vec::with_capacity(list.len());
                for (j, &i) in list.iter().enumerate() {
                    let at = || format!("{path}.neurons[{j}]");
                    let Some(s) = seen.get_mut(i as usize).filter(|_| i < size as u64) else {
                        return err(
                            at(),
                            format!("must be < {size} (the size of \"{}\"), got {i}", c.to),
                        );
                    };
                    if std::mem::replace(s, true) {
                        return err(at(), format!("neuron {i} is listed twice"));
                    }
                    neurons.push(i as u32);
                }
                for &i in &neurons {
                    seen[i as usize] = false;
                }
                neurons
            }
        };
        let population = PopulationId::new(p);
        let mut push = |times: &[f64], amplitudes: &[f64], sine| {
            // A step to the amplitude already in force changes nothing, and is dropped so
            // that it does not split a neuron's propagation either: such steps are
            // bit-neutral.
            let (mut ts, mut amps) = (Vec::new(), Vec::new());
            let mut level = 0.0;
            for (&t, &a) in times.iter().zip(amplitudes) {
                if a != level {
                    ts.push(t);
                    amps.push(a);
                    level = a;
                }
            }
            out.push(CurrentSteps {
                population,
                neurons: neurons.clone(),
                times: ts,
                amplitudes: amps,
                sine,
            });
        };
        match (&c.sine, sine) {
            (Some(sc_sine), Some((osc, on))) => {
                let model = &mut populations[p].neurons;
                if !model.takes_sines() {
                    return err(
                        format!("{path}.sine"),
                        format!(
                            "population \"{}\" cannot take a sinusoidal current (only `lif` and `linear` \
                             populations can)",
                            c.to
                        ),
                    );
                }
                model.expect_sines();
                if sc_sine.offset != 0.0 {
                    model.expect_drive();
                }
                push(&on, &[sc_sine.amplitude, 0.0][..on.len()], Some(osc));
                push(&on, &[sc_sine.offset, 0.0][..on.len()], None);
            }
            _ => {
                populations[p].neurons.expect_drive();
                push(times, amplitudes, None);
            }
        }
    }
    Ok(out)
}

/// Checks a sinusoidal current: its oscillation (ω in rad/ms, phase in rad at `start`) and
/// when it is on (`[start]` or `[start, stop]`).
fn check_sine(
    path: &str,
    s: &crate::scenario::SineCurrent,
    duration: f64,
) -> Res<(Oscillation, Vec<f64>)> {
    let at = |key: &str| format!("{path}.{key}");
    check(&at("amplitude"), s.amplitude, Check::Potential, " mV")?;
    check(&at("offset"), s.offset, Check::Potential, " mV")?;
    check(&at("frequency"), s.frequency, Check::Positive, " Hz")?;
    if s.frequency > MAX_FREQUENCY {
        return err(
            at("frequency"),
            format!("must be <= {MAX_FREQUENCY:e} Hz, got {}", s.frequency),
        );
    }
    check(&at("phase"), s.phase, Check::Finite, " degrees")?;
    check(&at("start"), s.start, Check::NonNegative, " ms")?;
    let mut on = vec![s.start];
    if let Some(stop) = s.stop {
        check(&at("stop"), stop, Check::NonNegative, " ms")?;
        if stop <= s.start {
            return err(
                at("stop"),
                format!("must be after start ({} ms), got {stop}", s.start),
            );
        }
        on.push(stop);
    }
    // (times at or past the end never happen: dropped like a step's)
    on.retain(|&t| t < duration);
    let osc = Oscillation {
        omega: 2.0 * std::f64::consts::PI * s.frequency / 1000.0,
        start: s.start,
        // (reduced first, exactly: a phase of 1e12 degrees is 280 degrees to the bit)
        phase: (s.phase % 360.0).to_radians(),
    };
    Ok((osc, on))
}
