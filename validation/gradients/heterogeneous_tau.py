#!/usr/bin/env python3
"""Heterogeneous membrane time constants learned on a timing task.

Trains the Yin-Yang network of examples/yinyang.json (features coded as spike times) with a
smaller hidden layer twice, with the same seed and initial weights: learning the weights
only (every tau_m = 20 ms, homogeneous), and learning the weights and every neuron's tau_m.
Prints the test accuracies, and draws (docs/img/gradients-tau.png) the learned tau_m
distribution and the test accuracy per epoch of both runs. Several seeds: --seeds 3.

    python3 validation/gradients/heterogeneous_tau.py [--hidden 30] [--epochs 20] [--seeds 1] [--lr-tau 0.05]
"""

import argparse
import json
import pathlib
import subprocess
import sys
import tempfile

REPO = pathlib.Path(__file__).resolve().parents[2]
EXE = REPO / "target" / "release" / "exactspike"


def train(cfg, out):
    path = out / "cfg.json"
    path.write_text(json.dumps(cfg))
    subprocess.run([str(EXE), "train", str(path), "--out", str(out / "run"), "-q"], check=True)
    metrics = json.loads((out / "run" / "metrics.json").read_text())
    trained = json.loads((out / "run" / "trained.json").read_text())
    return metrics, trained


def main():
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--hidden", type=int, default=30)
    ap.add_argument("--epochs", type=int, default=20)
    ap.add_argument("--seeds", type=int, default=1)
    ap.add_argument("--lr-tau", type=float, default=0.05, help="Adam step size for tau_m [ms]")
    ap.add_argument("--plot", default=str(REPO / "docs" / "img" / "gradients-tau.png"))
    args = ap.parse_args()
    if not EXE.exists():
        sys.exit("build first: cargo build --release")
    base = json.loads((REPO / "examples" / "yinyang.json").read_text())
    base["network"]["populations"][0]["size"] = args.hidden
    base["epochs"] = args.epochs
    base["optimizer"]["lr_tau_m"] = args.lr_tau
    rows = []
    keep = None
    for seed in range(args.seeds):
        cfg = json.loads(json.dumps(base))
        cfg["network"]["seed"] = 7 + seed
        cfg["seed"] = 1 + seed
        res = {}
        for label, learn in [("homogeneous", ["weight"]), ("learned tau_m", ["weight", "tau_m"])]:
            cfg["learn"] = learn
            with tempfile.TemporaryDirectory() as d:
                res[label] = train(cfg, pathlib.Path(d))
        rows.append(res)
        h, t = res["homogeneous"][0], res["learned tau_m"][0]
        print(f"seed {seed}: test accuracy weights only {100 * h['test_accuracy']:.1f} %, "
              f"weights + tau_m {100 * t['test_accuracy']:.1f} % "
              f"(best epoch {100 * max(e['test_accuracy'] for e in h['epochs']):.1f} / "
              f"{100 * max(e['test_accuracy'] for e in t['epochs']):.1f} %)")
        keep = keep or res
    taus = keep["learned tau_m"][1]["populations"]
    hidden = taus[0]["params"]["tau_m"]
    out = taus[1]["params"]["tau_m"]
    print(f"learned hidden tau_m: min {min(hidden):.2f}, median {sorted(hidden)[len(hidden) // 2]:.2f}, "
          f"max {max(hidden):.2f} ms; output {', '.join(f'{t:.2f}' for t in out)} ms")
    try:
        import matplotlib
        matplotlib.use("Agg")
        import matplotlib.pyplot as plt
    except ImportError:
        print("matplotlib not installed: no plot")
        return
    fig, (a, b) = plt.subplots(1, 2, figsize=(10, 3.8))
    a.hist(hidden, bins=20, color="tab:blue", label="hidden")
    for t in out:
        a.axvline(t, color="tab:red", lw=1.5)
    a.axvline(20.0, color="k", ls="--", lw=1, label="initial (20 ms)")
    a.plot([], [], color="tab:red", label="output neurons")
    a.set_xlabel("learned tau_m [ms]")
    a.set_ylabel("neurons")
    a.legend(frameon=False)
    a.set_title("tau_m after training (seed 0)")
    for label, color in [("homogeneous", "0.4"), ("learned tau_m", "tab:blue")]:
        for k, res in enumerate(rows):
            acc = [100 * e["test_accuracy"] for e in res[label][0]["epochs"]]
            b.plot(range(1, len(acc) + 1), acc, color=color, lw=1.5,
                   label=label if k == 0 else None)
    b.set_xlabel("epoch")
    b.set_ylabel("test accuracy [%]")
    b.set_title(f"Yin-Yang, {args.hidden} hidden neurons")
    b.legend(frameon=False)
    fig.tight_layout()
    fig.savefig(args.plot, dpi=120)
    print("wrote", args.plot)


if __name__ == "__main__":
    main()
