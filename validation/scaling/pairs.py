#!/usr/bin/env python3
"""Two of the issue "exact at grid speed"'s targets are ratios between two workloads of
exactspike itself; this measures them the way docs/performance.md reports them: one binary,
the two scenarios alternating round by round (so both see the same machine), cost per event
from `summary.json` (`simulate_seconds / events`), then the ratio of the minima and the
median of the per-round ratios.

    cargo build --release
    python3 validation/scaling/pairs.py heterogeneous [--rounds 8]   # target: within 1.15
    python3 validation/scaling/pairs.py sources [--rounds 4]         # target: within 2

* heterogeneous: CUBA (examples/cuba.json, 1 s) against the same network with every time
  constant different (tau_m from uniform [19, 21] ms, each receptor tau within ±5 %).
* sources: the 4000-neuron network of scaling.py with 10³ against 10⁶ Poisson sources (1 MHz
  in total, 2 s, each source to 8 targets).
"""
import argparse
import copy
import json
import os
import statistics
import sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from scaling import ROOT, run, with_sources  # noqa: E402


def heterogeneous_pair():
    base = json.load(open(os.path.join(ROOT, "examples", "cuba.json")))
    base["record"] = {"spikes": []}
    het = copy.deepcopy(base)
    for p in het["populations"]:
        prm = p["params"]
        prm["tau_m"] = {"uniform": [19.0, 21.0]}
        for r in prm["receptors"]:
            r["tau"] = {"uniform": [r["tau"] * 0.95, r["tau"] * 1.05]}
    return ("homogeneous", base), ("heterogeneous", het)


def sources_pair():
    return ("1e3 sources", with_sources(1000)), ("1e6 sources", with_sources(1_000_000))


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("pair", choices=["heterogeneous", "sources"])
    ap.add_argument("--rounds", type=int, default=6)
    a = ap.parse_args()
    (na, sa), (nb, sb) = heterogeneous_pair() if a.pair == "heterogeneous" else sources_pair()
    xs, ys = [], []
    for r in range(a.rounds):
        for sc, acc in ((sa, xs), (sb, ys)):
            s = run(sc)
            acc.append(1e9 * s["simulate_seconds"] / s["events"])
        print(f"round {r + 1}: {na} {xs[-1]:.1f}, {nb} {ys[-1]:.1f} ns/event", flush=True)
    paired = statistics.median(y / x for x, y in zip(xs, ys))
    print(f"{na}: {min(xs):.1f} / {statistics.median(xs):.1f} ns/event (min / median)")
    print(f"{nb}: {min(ys):.1f} / {statistics.median(ys):.1f} ns/event (min / median)")
    print(f"{nb} / {na}: {min(ys) / min(xs):.3f} (ratio of minima), {paired:.3f} (median of "
          f"the paired ratios)")


if __name__ == "__main__":
    main()
