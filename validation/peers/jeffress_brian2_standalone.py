#!/usr/bin/env python3
"""The Jeffress showcase (examples/jeffress.json) side by side: exactspike against Brian2's
C++ standalone mode at dt = 0.01 and 0.001 ms, on the same input spikes.

exactspike runs the scenario (inputs recorded); Brian2 gets the same left/right spike trains
through SpikeGeneratorGroups (so both see identical inputs, rounded to its grid), the same
81 lif detectors (tau_m 0.1 ms, exp synapses tau 0.1 ms, v_th -50, v_rest = v_reset -70 mV,
t_ref 1 ms, exact integration of the linear equations) and the same per-synapse delays
(rounded to the grid by Brian2). Times: exactspike's `simulate_seconds` (summary.json) and
Brian2's own measurement of the network run (`device._last_run_time`; code generation,
compilation and synapse creation excluded). Also printed: each run's detector spike count
and the ITD read-out (thresholded spike-count centroid of
`exactspike jeffress-readout`; the true ITD is 100 µs). Rounds alternate; medians.

    python jeffress_brian2_standalone.py [--rounds 3]
(needs `pip install brian2==2.9.0 "numpy<2.4"`, g++, and target/release/exactspike)
"""
import argparse
import csv
import json
import pathlib
import statistics
import subprocess
import sys
import tempfile

REPO = pathlib.Path(__file__).resolve().parents[2]
EXE = REPO / "target" / "release" / "exactspike"


def readout(counts, best, frac=0.3):
    """`exactspike jeffress-readout`'s estimate: the count-weighted centroid (weights
    c − θ, θ = frac·max) over the contiguous run of detectors above θ around the first
    maximum."""
    top = max(counts)
    if top == 0:
        return float("nan")
    js = counts.index(top)
    th = frac * top
    lo = hi = js
    while lo > 0 and counts[lo - 1] > th:
        lo -= 1
    while hi + 1 < len(counts) and counts[hi + 1] > th:
        hi += 1
    w = [counts[j] - th for j in range(lo, hi + 1)]
    return sum(wj * best[lo + k] for k, wj in enumerate(w)) / sum(w)


def best_itds(sc):
    """A detector's best ITD: left delay − right delay (the right ear lags by the ITD)."""
    left = sc["connections"][0]["delay"]
    right = sc["connections"][1]["delay"]
    return [l - r for l, r in zip(left, right)]


def equal_tau_detectors(b2, n, p, dt):
    """`n` lif detectors with one exp receptor whose tau equals tau_m (parameters `p` as in the
    scenario). Brian2's exact solver divides by taum - taus (NaN when they are equal), so the
    equal-tau propagator is stepped by hand, exact for one step h:
    v' - El = (v - El) e^{-h/tau} + I (h/tau) e^{-h/tau},  I' = I e^{-h/tau}."""
    import math
    from brian2 import ms, mV
    ns = dict(El=p["v_rest"] * mV, Vt=p["v_th"] * mV, Vr=p["v_reset"] * mV,
              E1=math.exp(-dt / p["tau_m"]), H=dt / p["tau_m"])
    det = b2.NeuronGroup(n, "v : volt\nI : volt", threshold="v >= Vt", reset="v = Vr",
                         refractory=p["t_ref"] * ms, namespace=ns)
    det.run_regularly("""
    v = int(not_refractory) * (El + (v - El) * E1 + I * H * E1) + (1 - int(not_refractory)) * v
    I = I * E1
    """, when="groups")
    return det


def run_exactspike(sc, work):
    sc = json.loads(json.dumps(sc))
    sc["record"] = {"spikes": ["detectors", "left", "right"]}
    (work / "j.json").write_text(json.dumps(sc))
    subprocess.run([str(EXE), "run", str(work / "j.json"), "--out", str(work / "es"), "-q"], check=True)
    summary = json.loads((work / "es" / "summary.json").read_text())
    trains = {"left": [[] for _ in range(40)], "right": [[] for _ in range(40)]}
    counts = [0] * 81
    with open(work / "es" / "spikes.csv") as f:
        for row in csv.DictReader(f):
            if row["population"] == "detectors":
                counts[int(row["neuron"])] += 1
            else:
                trains[row["population"]][int(row["neuron"])].append(float(row["time"]))
    return summary["simulate_seconds"], counts, trains


def brian2(sc, trains, dt, work):
    """Runs in this process (one standalone network per process)."""
    import brian2 as b2
    from brian2 import ms, mV

    b2.set_device("cpp_standalone", directory=str(work / f"b2-{dt}"), build_on_run=False)
    b2.prefs.devices.cpp_standalone.openmp_threads = 0
    b2.defaultclock.dt = dt * ms
    p = sc["populations"][0]["params"]
    ns = dict(taum=p["tau_m"] * ms, El=p["v_rest"] * mV, Vt=p["v_th"] * mV, Vr=p["v_reset"] * mV,
              taus=p["receptors"][0]["tau"] * ms)
    same = p["tau_m"] == p["receptors"][0]["tau"]
    if not same:
        eqs = """
        dv/dt = (I - (v - El)) / taum : volt (unless refractory)
        dI/dt = -I / taus : volt
        """
        det = b2.NeuronGroup(81, eqs, threshold="v >= Vt", reset="v = Vr",
                             refractory=p["t_ref"] * ms, method="exact", namespace=ns)
    else:
        det = equal_tau_detectors(b2, 81, p, dt)
    det.v = p["v_rest"] * mV
    groups = []
    for k, name in enumerate(["left", "right"]):
        idx = [i for i, ts in enumerate(trains[name]) for _ in ts]
        times = [t for ts in trains[name] for t in ts]
        # a source cannot fire twice in one step: keep the first (rare at dt <= 0.01 ms)
        seen, keep_i, keep_t = set(), [], []
        for i, t in sorted(zip(idx, times), key=lambda x: x[1]):
            step = (i, round(t / dt))
            if step not in seen:
                seen.add(step)
                keep_i.append(i)
                keep_t.append(t)
        g = b2.SpikeGeneratorGroup(40, keep_i, keep_t * ms)
        c = sc["connections"][k]
        s = b2.Synapses(g, det, on_pre=f"I_post += {c['weight']}*mV")
        s.connect()
        # the example's delays depend on the detector only, linearly: a + b·j
        a, b = c["delay"][0], c["delay"][1] - c["delay"][0]
        assert all(abs(d - (a + b * (m % 81))) < 1e-12 for m, d in enumerate(c["delay"]))
        s.delay = f"({a!r} + {b!r} * j) * ms"
        groups += [g, s]
    mon = b2.SpikeMonitor(det)
    b2.Network(det, mon, *groups).run(sc["duration"] * ms)
    b2.device.build(directory=str(work / f"b2-{dt}"), compile=True, run=True, debug=False)
    counts = [0] * 81
    for i in mon.i[:]:
        counts[int(i)] += 1
    return float(b2.device._last_run_time), counts


def main():
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--rounds", type=int, default=3)
    ap.add_argument("--brian-dt", type=float, help=argparse.SUPPRESS)
    ap.add_argument("--work", help=argparse.SUPPRESS)
    args = ap.parse_args()
    sc = json.loads((REPO / "examples" / "jeffress.json").read_text())
    if args.brian_dt:  # child: one Brian2 standalone run
        work = pathlib.Path(args.work)
        trains = json.loads((work / "trains.json").read_text())
        secs, counts = brian2(sc, trains, args.brian_dt, work)
        print("RESULT " + json.dumps({"seconds": secs, "counts": counts}))
        return
    if not EXE.exists():
        sys.exit("build first: cargo build --release")
    best = best_itds(sc)
    rows = {"exactspike (exact)": [], "Brian2 standalone dt 0.01 ms": [], "Brian2 standalone dt 0.001 ms": []}
    info = {}
    with tempfile.TemporaryDirectory() as d:
        work = pathlib.Path(d)
        for r in range(args.rounds):
            secs, counts, trains = run_exactspike(sc, work)
            rows["exactspike (exact)"].append(secs)
            info["exactspike (exact)"] = counts
            (work / "trains.json").write_text(json.dumps(trains))
            for dt in (0.01, 0.001):
                out = subprocess.run([sys.executable, __file__, "--brian-dt", str(dt), "--work", str(work)],
                                     check=True, capture_output=True, text=True).stdout
                res = json.loads(out.split("RESULT ", 1)[1])
                key = f"Brian2 standalone dt {dt} ms"
                rows[key].append(res["seconds"])
                info[key] = res["counts"]
            print(f"round {r + 1}: " + ", ".join(f"{k} {v[-1]:.3f} s" for k, v in rows.items()), flush=True)
    base = statistics.median(rows["exactspike (exact)"])
    print(f"\n{'':32} {'run [s] (median)':>17} {'vs exactspike':>14} {'spikes':>7} {'read-out [µs]':>14}")
    for k, v in rows.items():
        m = statistics.median(v)
        est = readout(info[k], best) * 1000.0
        print(f"{k:32} {m:17.3f} {m / base:13.2f}x {sum(info[k]):7d} {est:14.2f}")


if __name__ == "__main__":
    main()
