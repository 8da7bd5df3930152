"""The Brette et al. (2007) CUBA network built in Python from numpy arrays (initial
potentials, explicit synapse lists with per-synapse weights), run by exactspike.

    python python/examples/cuba.py            # run it, print rates
    python python/examples/cuba.py --compare  # time it against the CLI on the same network

With --compare the scenario is also written to a temporary file and run by
target/release/exactspike; the wall times of the two (build included, 3 alternating
rounds) are printed: docs/performance.md quotes them.
"""

import json
import pathlib
import subprocess
import sys
import tempfile
import time

import numpy as np

import exactspike as es

REPO = pathlib.Path(__file__).resolve().parents[2]


def cuba(seed: int = 12345) -> es.Network:
    rng = np.random.default_rng(seed)
    n_exc, n_inh, p = 3200, 800, 0.02
    net = es.Network(duration=1000.0, seed=seed, name="cuba-python")
    for name, size in (("exc", n_exc), ("inh", n_inh)):
        lif = es.LIF(tau_m=20.0, v_th=-50.0, v_rest=-49.0, v_reset=-60.0, t_ref=5.0,
                     v_init=rng.uniform(-60.0, -50.0, size),
                     receptors=[es.Exp(5.0), es.Exp(10.0)])
        net.population(name, size, lif)
    for src, ns, w, receptor in (("exc", n_exc, 1.62, 0), ("inh", n_inh, -9.0, 1)):
        for tgt, nt in (("exc", n_exc), ("inh", n_inh)):
            mask = rng.random((ns, nt)) < p
            if src == tgt:
                np.fill_diagonal(mask, False)
            pairs = np.argwhere(mask)  # source-major
            weights = np.full(len(pairs), w)
            net.connect(src, tgt, es.Pairs(pairs), weight=weights, delay=0.1, receptor=receptor)
    return net


def main() -> None:
    t0 = time.perf_counter()
    net = cuba()
    res = net.run()
    wall = time.perf_counter() - t0
    s = res.summary
    print(f"{s['spikes']} spikes, {s['events']} events, {wall:.2f} s in Python "
          f"(building the arrays included)")
    for p in s["populations"]:
        print(f"  {p['name']}: {p['rate_hz']:.2f} Hz")
    if "--compare" not in sys.argv:
        return
    exe = REPO / "target" / "release" / "exactspike"
    with tempfile.TemporaryDirectory() as tmp:
        f = pathlib.Path(tmp) / "cuba.json"
        f.write_text(json.dumps(net.to_scenario()))
        py, cli = [], []
        for k in range(3):
            t0 = time.perf_counter()
            es.run(cuba())
            py.append(time.perf_counter() - t0)
            t0 = time.perf_counter()
            subprocess.run([str(exe), "run", str(f), "--out", f"{tmp}/o{k}", "--quiet"], check=True)
            cli.append(time.perf_counter() - t0)
        print("python (build arrays + run):", " ".join(f"{x:.3f}" for x in py), "s")
        print("cli (read file + run + write):", " ".join(f"{x:.3f}" for x in cli), "s")
        print(f"median ratio python/cli: {np.median(py) / np.median(cli):.3f}")


if __name__ == "__main__":
    main()
