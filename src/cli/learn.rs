//! `exactspike gradient` and `exactspike train`: thin wrappers over
//! `pipeline::gradient_files` and `pipeline::train_files` that report on stderr.

use exactspike::build::BuildOptions;
use exactspike::pipeline;
use exactspike::records::StopFlag;
use exactspike::RunError;
use std::path::Path;
use std::time::Instant;

/// `exactspike gradient`.
pub fn gradient(
    scenario: &Path,
    loss: &Path,
    out: &Path,
    quiet: bool,
    limits: &BuildOptions,
    stop: StopFlag,
) -> Result<(), RunError> {
    let started = Instant::now();
    let opts = exactspike::gradient::Options {
        limits: *limits,
        stop: Some(stop),
    };
    let ev = pipeline::gradient_files(scenario, loss, out, &opts)?;
    if !quiet {
        eprintln!(
            "loss {:.6e}; {} spike(s) differentiated, {} missing; {} events replayed, {:.1} MB stored (BPTT would store {:.1} MB at dt = 0.1 ms, {:.1} MB at 0.01 ms); {:.2} s -> {}",
            ev.gradients.loss,
            ev.spikes,
            ev.missing,
            ev.events,
            ev.tape_bytes as f64 / 1e6,
            ev.bptt_bytes(0.1) / 1e6,
            ev.bptt_bytes(0.01) / 1e6,
            started.elapsed().as_secs_f64(),
            out.join("gradients.json").display()
        );
    }
    Ok(())
}

/// `exactspike train`; true when every epoch ran.
pub fn train(
    config: &Path,
    out: &Path,
    epochs: Option<u32>,
    quiet: bool,
    limits: &BuildOptions,
    stop: StopFlag,
) -> Result<bool, RunError> {
    let m = pipeline::train_files(
        config,
        out,
        epochs.map(|e| e as usize),
        limits,
        Some(&stop),
        &mut |e| {
            if !quiet {
                eprintln!(
                "epoch {:>3}: loss {:.4}, train {:.1} %, test {}, label silent {:.1} %, {:.1} s",
                e.epoch,
                e.loss,
                100.0 * e.train_accuracy,
                percent(e.test_accuracy),
                100.0 * e.silent,
                e.seconds
            );
            }
        },
    )?;
    if let Some(why) = m.stopped.as_ref().filter(|_| !quiet) {
        eprintln!("training stopped early: {why}");
    }
    if !quiet {
        eprintln!(
            "test accuracy {} (before training {}) -> {}",
            percent(m.test_accuracy),
            percent(m.initial_test_accuracy),
            out.join("metrics.json").display()
        );
    }
    Ok(m.complete)
}

/// An accuracy in per cent, or "-" without test samples.
fn percent(fraction: Option<f64>) -> String {
    fraction.map_or_else(|| "-".into(), |f| format!("{:.1} %", 100.0 * f))
}
