#!/usr/bin/env python3
"""The Jeffress network of the issue "exact at grid speed", side by side: exactspike against
Brian2's C++ standalone mode at dt = 0.01 ms and 0.001 ms.

9 azimuths (true ITDs -0.24 ... +0.24 ms in steps of 0.06 ms), each heard by an array of 41
coincidence detectors (best ITDs -0.4 ... +0.4 ms in steps of 0.02 ms) fed by 20 auditory
fibres per ear through delay lines (left delay 0.01·j ms, right 0.4 - 0.01·j ms for detector
j: one delay per synapse). The sound is Gaussian noise band-limited to 0.1-2 kHz, a new one
per azimuth; each fibre fires as an inhomogeneous Poisson process (continuous spike times,
thinning) with a rate 0.3·[s]₊² per ms following the rectified, normalised sound, and a 1 ms
dead time (about 120 Hz); the right ear hears the sound delayed by the ITD. 1 s. Detectors as
in examples/jeffress.json (tau_m = tau_s = 0.1 ms), weight 5 mV. (The issue's parameters
beyond the sizes are not known; these were chosen for a working array: weights 4 and 6 gave
mean read-out errors of 11.8 and 7.6 µs, ITDs out to ±0.32 ms were pulled toward the centre
by the array's ends.)

The input spike trains are written into the scenario (`spike_times`), so both simulators get
the same spikes (Brian2 rounds them to its grid and drops a second spike of a fibre within
one step). Read-out per azimuth: the count-weighted centroid of `exactspike
jeffress-readout`; errors against the true ITD in µs, mean and max over the azimuths.
Times: exactspike's `simulate_seconds`, Brian2's own measurement of the network run.

    python jeffress_array.py [--rounds 3] [--write S.json]
(needs numpy, and for the Brian2 runs `pip install brian2==2.9.0 "numpy<2.4"`, g++, and
target/release/exactspike)
"""
import argparse
import csv
import json
import math
import pathlib
import statistics
import subprocess
import sys
import tempfile

import numpy as np

sys.path.insert(0, str(pathlib.Path(__file__).resolve().parent))
from jeffress_brian2_standalone import equal_tau_detectors, readout  # noqa: E402 (shared)

REPO = pathlib.Path(__file__).resolve().parents[2]
EXE = REPO / "target" / "release" / "exactspike"
ITDS = [round(-0.24 + 0.06 * k, 2) for k in range(9)]
N_DET, N_FIB = 41, 20
BEST = [round(-0.4 + 0.02 * j, 2) for j in range(N_DET)]
LEFT = [round(0.01 * j, 2) for j in range(N_DET)]
RIGHT = [round(0.4 - 0.01 * j, 2) for j in range(N_DET)]
DURATION = 1000.0  # ms
PARAMS = {"tau_m": 0.1, "v_rest": -70.0, "v_th": -50.0, "v_reset": -70.0, "t_ref": 1.0,
          "receptors": [{"kind": "exp", "tau": 0.1}]}
WEIGHT = 5.0


def sound(rng, fs=100.0, band=(0.1, 2.0)):
    """Band-limited noise sampled every 1/fs ms (fs in kHz), unit variance, with a margin
    before 0 for the largest ITD."""
    n = int((DURATION + 1.0) * fs)
    spec = np.fft.rfft(rng.standard_normal(n))
    f = np.fft.rfftfreq(n, d=1.0 / fs)  # kHz
    spec[(f < band[0]) | (f > band[1])] = 0.0
    s = np.fft.irfft(spec, n)
    return s / s.std(), fs


def fibre(rng, s, fs, shift, rmax=0.3, dead=1.0, power=2):
    """Spike times [ms] in [0, DURATION) of one fibre: rate rmax·[s(t - shift)]₊^power per
    ms (linear interpolation), thinning of a homogeneous process, then a dead time."""
    peak = rmax * max(s.max(), 1e-9) ** power
    n = rng.poisson(peak * DURATION)
    t = np.sort(rng.uniform(0.0, DURATION, n))
    x = (t - shift + 1.0) * fs  # the margin of 1 ms
    rate = rmax * np.clip(np.interp(x, np.arange(s.size), s), 0.0, None) ** power
    t = t[rng.uniform(0.0, peak, n) < rate]
    out, last = [], -math.inf
    for ti in t:
        if ti - last >= dead:
            out.append(float(ti))
            last = ti
    return out


def scenario(seed=2026):
    rng = np.random.default_rng(seed)
    pops, inputs, conns = [], [], []
    for a, itd in enumerate(ITDS):
        s, fs = sound(rng)
        pops.append({"name": f"det{a}", "size": N_DET, "model": "lif", "params": PARAMS})
        for ear, shift, delays in [("L", 0.0, LEFT), ("R", itd, RIGHT)]:
            trains = [fibre(rng, s, fs, shift) for _ in range(N_FIB)]
            inputs.append({"name": f"{ear}{a}", "kind": "spike_times", "times": trains})
            conns.append({"from": f"{ear}{a}", "to": f"det{a}", "rule": "all_to_all",
                          "weight": WEIGHT, "delay": [delays[m % N_DET] for m in range(N_FIB * N_DET)]})
    return {"name": "jeffress_array", "seed": seed, "duration": DURATION, "populations": pops,
            "inputs": inputs, "connections": conns,
            "record": {"spikes": [p["name"] for p in pops]}}


def errors(counts):
    """Read-out error per azimuth [µs]."""
    return [abs(readout(c, BEST) - itd) * 1000.0 for c, itd in zip(counts, ITDS)]


def run_exactspike(sc, work):
    (work / "s.json").write_text(json.dumps(sc))
    subprocess.run([str(EXE), "run", str(work / "s.json"), "--out", str(work / "es"), "-q"], check=True)
    summary = json.loads((work / "es" / "summary.json").read_text())
    counts = [[0] * N_DET for _ in ITDS]
    with open(work / "es" / "spikes.csv") as f:
        for row in csv.DictReader(f):
            counts[int(row["population"][3:])][int(row["neuron"])] += 1
    return summary["simulate_seconds"], counts


def brian2(sc, dt, work):
    """Runs in this process (one standalone network per process)."""
    import brian2 as b2
    from brian2 import ms, mV

    b2.set_device("cpp_standalone", directory=str(work / f"b2-{dt}"), build_on_run=False)
    b2.prefs.devices.cpp_standalone.openmp_threads = 0
    b2.defaultclock.dt = dt * ms
    p = PARAMS
    det = equal_tau_detectors(b2, len(ITDS) * N_DET, p, dt)
    det.v = p["v_rest"] * mV
    # all fibres in one generator: input k (L0, R0, L1, ...) owns indices k·N_FIB ...
    idx, times = [], []
    for k, inp in enumerate(sc["inputs"]):
        seen = set()
        for f, ts in enumerate(inp["times"]):
            for t in ts:
                step = (f, round(t / dt))
                if step not in seen:
                    seen.add(step)
                    idx.append(k * N_FIB + f)
                    times.append(t)
    gen = b2.SpikeGeneratorGroup(len(sc["inputs"]) * N_FIB, idx, times * ms)
    syn = b2.Synapses(gen, det, on_pre=f"I_post += {WEIGHT}*mV")
    pre, post, delay = [], [], []
    for k, c in enumerate(sc["connections"]):
        a = k // 2
        for m, d in enumerate(c["delay"]):
            pre.append(k * N_FIB + m // N_DET)
            post.append(a * N_DET + m % N_DET)
            delay.append(d)
    syn.connect(i=np.array(pre), j=np.array(post))
    syn.delay = np.array(delay) * ms
    mon = b2.SpikeMonitor(det)
    b2.Network(det, gen, syn, mon).run(DURATION * ms)
    b2.device.build(directory=str(work / f"b2-{dt}"), compile=True, run=True, debug=False)
    counts = [[0] * N_DET for _ in ITDS]
    for i in mon.i[:]:
        counts[int(i) // N_DET][int(i) % N_DET] += 1
    return float(b2.device._last_run_time), counts


def main():
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--rounds", type=int, default=3)
    ap.add_argument("--write", help="only write the scenario to this file")
    ap.add_argument("--brian-dt", type=float, help=argparse.SUPPRESS)
    ap.add_argument("--work", help=argparse.SUPPRESS)
    args = ap.parse_args()
    sc = scenario()
    if args.write:
        pathlib.Path(args.write).write_text(json.dumps(sc))
        return
    if args.brian_dt:
        secs, counts = brian2(sc, args.brian_dt, pathlib.Path(args.work))
        print("RESULT " + json.dumps({"seconds": secs, "counts": counts}))
        return
    rows = {}
    with tempfile.TemporaryDirectory() as d:
        work = pathlib.Path(d)
        for r in range(args.rounds):
            secs, counts = run_exactspike(sc, work)
            rows.setdefault("exactspike (exact)", []).append((secs, counts))
            for dt in (0.01, 0.001):
                out = subprocess.run([sys.executable, __file__, "--brian-dt", str(dt), "--work", d],
                                     check=True, capture_output=True, text=True).stdout
                res = json.loads(out.split("RESULT ", 1)[1])
                rows.setdefault(f"Brian2 standalone dt {dt} ms", []).append((res["seconds"], res["counts"]))
            print(f"round {r + 1}: " + ", ".join(f"{k} {v[-1][0]:.3f} s" for k, v in rows.items()), flush=True)
    base = statistics.median(x[0] for x in rows["exactspike (exact)"])
    print(f"\n{'':32} {'run [s] (median)':>16} {'vs exactspike':>13} {'spikes':>7} "
          f"{'error mean/max [µs]':>20}")
    for name, v in rows.items():
        secs = statistics.median(x[0] for x in v)
        counts = v[0][1]
        e = errors(counts)
        print(f"{name:32} {secs:16.3f} {secs / base:12.2f}x {sum(map(sum, counts)):7d} "
              f"{statistics.mean(e):10.1f} / {max(e):.1f}")


if __name__ == "__main__":
    main()
