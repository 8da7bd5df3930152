#!/usr/bin/env python3
"""Learning a Jeffress array: delay lines that start at random are trained, with exact
gradients, until detector k fires first for interaural time difference ITD_k.

Network: F fibres per ear (one `spike_times` input "ears": sources 0..F-1 left, F..2F-1
right), K coincidence detectors (lif, exp synapses), every fibre onto every detector with a
delay of its own, drawn uniformly from [0.2, 1.2] ms. A "sound" is a few clicks at random
times; each fibre fires at each click with probability 0.9 and 30 µs jitter, the right ear
ITD later. Training (`exactspike train`, first-spike cross-entropy) learns the delays and
every detector's tau_m; the weights stay fixed. Ideal array: d_left − d_right = ITD_k.

Then both the learned array and the hand-built one (ideal delays) read out the ITD of test
sounds on a fine grid of ITDs (the ITD of the detector that fires first) with the Python
package. Prints the figures and draws docs/img/gradients-jeffress.png.

    python3 validation/gradients/jeffress_learn.py [--epochs 30]
(needs target/release/exactspike, and the Python package and matplotlib for the read-out)
"""

import argparse
import json
import pathlib
import random
import subprocess
import sys
import tempfile

REPO = pathlib.Path(__file__).resolve().parents[2]
EXE = REPO / "target" / "release" / "exactspike"
K, F = 11, 8
ITDS = [round((k - K // 2) * 0.1, 10) for k in range(K)]  # ms
TAU_M, TAU_S, W = 1.0, 0.25, 0.7
TRAIN = 150  # sounds per class


def sound(rng, itd):
    clicks, t = [], 1.0 + rng.random()
    while t < 12.0:
        clicks.append(t)
        t += 2.5 + 2.0 * rng.random()
    ears = []
    for shift in (0.0, itd):
        for _ in range(F):
            ears.append(sorted(c + shift + rng.gauss(0.0, 0.03) for c in clicks if rng.random() < 0.9))
    return ears


def network(delays_left, delays_right, tau_m):
    """Detectors receive every left fibre (pairs rule) and every right fibre."""
    left = [[i, k] for k in range(K) for i in range(F)]
    right = [[F + i, k] for k in range(K) for i in range(F)]
    lif = {"tau_m": tau_m, "v_rest": 0.0, "v_reset": 0.0, "v_th": 1.0, "t_ref": 0.5,
           "receptors": [{"kind": "exp", "tau": TAU_S}]}
    return {
        "name": "jeffress-learn", "seed": 1, "duration": 20.0,
        "populations": [{"name": "detectors", "size": K, "model": "lif", "params": lif}],
        "inputs": [{"name": "ears", "kind": "spike_times", "times": [[] for _ in range(2 * F)]}],
        "connections": [
            {"from": "ears", "to": "detectors", "rule": {"pairs": left}, "weight": W, "delay": delays_left},
            {"from": "ears", "to": "detectors", "rule": {"pairs": right}, "weight": W, "delay": delays_right},
        ],
    }


def config(epochs, rng, lr=0.01, tau0=0.1, learn=("delay", "tau_m")):
    n = K * F
    net = network([rng.uniform(0.2, 1.2) for _ in range(n)],
                  [rng.uniform(0.2, 1.2) for _ in range(n)], TAU_M)
    samples = lambda per_class: [{"times": sound(rng, ITDS[k]), "label": k}
                                 for _ in range(per_class) for k in range(K)]
    return {
        "network": net, "input": "ears",
        "data": {"kind": "samples", "train": samples(TRAIN), "test": samples(20)},
        "loss": {"population": "detectors", "tau0": tau0},
        "learn": list(learn),
        "optimizer": {"lr": lr, "decay": 0.95},
        "epochs": epochs, "batch_size": 16, "seed": 3, "clip": 100.0,
    }


def per_detector(delays):
    """Mean delay of each detector's F synapses (pairs are detector-major)."""
    return [sum(delays[k * F:(k + 1) * F]) / F for k in range(K)]


def readout(es, net, rng, grid, per_itd):
    """Mean and max |estimate − ITD| (µs) with the first-firing detector's ITD as estimate,
    and the fraction of sounds with no detector spike."""
    errs, silent = [], 0
    for itd in grid:
        for _ in range(per_itd):
            net["inputs"][0]["times"] = sound(rng, itd)
            n, t = es.run(net).spikes("detectors")
            if len(t) == 0:
                silent += 1
                continue
            errs.append(abs(ITDS[int(n[t.argmin()])] - itd) * 1000.0)
    return sum(errs) / max(len(errs), 1), max(errs, default=float("nan")), silent / (len(grid) * per_itd)


def main():
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--epochs", type=int, default=60)
    ap.add_argument("--lr", type=float, default=0.003)
    ap.add_argument("--tau0", type=float, default=0.03)
    ap.add_argument("--learn", default="delay,tau_m")
    ap.add_argument("--plot", default=str(REPO / "docs" / "img" / "gradients-jeffress.png"))
    args = ap.parse_args()
    if not EXE.exists():
        sys.exit("build first: cargo build --release")
    rng = random.Random(2026)
    cfg = config(args.epochs, rng, args.lr, args.tau0, args.learn.split(","))
    with tempfile.TemporaryDirectory() as d:
        d = pathlib.Path(d)
        (d / "cfg.json").write_text(json.dumps(cfg))
        subprocess.run([str(EXE), "train", str(d / "cfg.json"), "--out", str(d / "run")], check=True)
        metrics = json.loads((d / "run" / "metrics.json").read_text())
        trained = json.loads((d / "run" / "trained.json").read_text())
    init_l = per_detector(cfg["network"]["connections"][0]["delay"])
    init_r = per_detector(cfg["network"]["connections"][1]["delay"])
    left = per_detector(trained["connections"][0]["delay"])
    right = per_detector(trained["connections"][1]["delay"])
    tau = trained["populations"][0]["params"]["tau_m"]
    print(f"test accuracy {100 * metrics['initial_test_accuracy']:.1f} % before, "
          f"{100 * metrics['test_accuracy']:.1f} % after {args.epochs} epochs")
    print(" ITD [µs]  initial dL−dR  learned dL−dR  tau_m [ms]")
    for k in range(K):
        print(f"{1000 * ITDS[k]:8.0f}  {1000 * (init_l[k] - init_r[k]):12.0f}  "
              f"{1000 * (left[k] - right[k]):13.0f}  {tau[k]:9.3f}")
    try:
        import exactspike as es
    except ImportError:
        print("the Python package is not installed: no read-out comparison")
        return
    grid = [round(-0.5 + 0.02 * i, 10) for i in range(51)]
    built = network([0.7 + ITDS[k] / 2 for k in range(K) for _ in range(F)],
                    [0.7 - ITDS[k] / 2 for k in range(K) for _ in range(F)], TAU_M)
    correct = 0
    for smp in cfg["data"]["test"]:
        built["inputs"][0]["times"] = smp["times"]
        n, t = es.run(built).spikes("detectors")
        correct += len(t) > 0 and int(n[t.argmin()]) == smp["label"]
    built_acc = 100 * correct / len(cfg["data"]["test"])
    print(f"hand-built array on the same test sounds: {built_acc:.1f} %")
    res = {}
    for label, net in [("learned", trained), ("hand-built", built), ("initial", cfg["network"])]:
        res[label] = readout(es, json.loads(json.dumps(net)), random.Random(7), grid, 10)
        m, x, s = res[label]
        print(f"{label:>10}: read-out error mean {m:.1f} µs, max {x:.1f} µs over ITDs in "
              f"[-500, 500] µs (grid 100 µs: 25 µs is the floor of a 100 µs array), silent {100 * s:.1f} %")
    try:
        import matplotlib
        matplotlib.use("Agg")
        import matplotlib.pyplot as plt
    except ImportError:
        return
    fig, (a, b) = plt.subplots(1, 2, figsize=(10, 3.8))
    ideal = [1000 * x for x in ITDS]
    a.plot(ideal, ideal, "k--", lw=1, label="ideal (hand-built)")
    a.plot(ideal, [1000 * (l - r) for l, r in zip(init_l, init_r)], "o", color="0.6", label="initial (random)")
    a.plot(ideal, [1000 * (l - r) for l, r in zip(left, right)], "o", color="tab:blue", label="learned")
    a.set_xlabel("detector's ITD [µs]")
    a.set_ylabel("mean left − right delay [µs]")
    a.legend(frameon=False)
    a.set_title("delay lines")
    acc = [100 * e["test_accuracy"] for e in metrics["epochs"]]
    b.plot(range(1, len(acc) + 1), acc, color="tab:blue", lw=1.5, label="learned (test sounds)")
    b.axhline(built_acc, color="k", ls="--", lw=1, label="hand-built array")
    b.legend(frameon=False, loc="center right")
    b.set_xlabel("epoch")
    b.set_ylabel("detector k first for ITD_k [%]")
    txt = "\n".join(f"{k}: mean error {v[0]:.0f} µs" for k, v in res.items())
    b.text(0.95, 0.05, txt, transform=b.transAxes, ha="right", va="bottom")
    b.set_title("training")
    fig.tight_layout()
    fig.savefig(args.plot, dpi=120)
    print("wrote", args.plot)


if __name__ == "__main__":
    main()
