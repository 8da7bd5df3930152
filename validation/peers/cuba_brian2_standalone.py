#!/usr/bin/env python3
"""Brette et al. (2007) CUBA in Brian2's C++ standalone mode, as a peer for exactspike.

The same network as validation/peers/cuba_brian2.py (which documents the units and the
model: examples/cuba.json and examples/cuba_delta.json), generated as a C++ project, compiled
with g++ and run. Timing: `simulate` is the generated program's own measurement of the
network run (Brian2's `device._last_run_time`: neither code generation, compilation, nor the
creation of the synapses); `total` is the wall clock of the whole `build` (generation +
compilation + run). Single-threaded (no OpenMP). Events are counted exactly as in
cuba_brian2.py (out-degrees of spikes arriving before the end). The last line is the result
as JSON.

    python cuba_brian2_standalone.py --variant exp|delta [--dt 0.1] [--duration 1000]
    python cuba_brian2_standalone.py --compare [--rounds 3]
    python cuba_brian2_standalone.py --scale 4000,100000,1000000 [--duration 100] [--rounds 1]
(needs `pip install brian2==2.9.0 "numpy<2.4"` and g++; --compare also target/release/exactspike)

--compare alternates exactspike (examples/cuba.json, examples/cuba_delta.json: simulate
time and events from summary.json) and Brian2 standalone runs, both variants, and prints the
medians side by side.

--scale N1,N2,... compares the two at several network sizes: CUBA exp with N neurons (4:1
exc:inh) and a fixed out-degree instead of p = 0.02 (each excitatory neuron to 64 excitatory
and 16 inhibitory targets, each inhibitory one likewise; mean in-degree 64 + 16 as at N = 4000),
so the dynamics stay the same while the network grows. Prints ns per event for each and
their ratio per size, then how much each one's cost per event grew from the first size to
the last.
"""
import argparse
import json
import pathlib
import statistics
import subprocess
import sys
import tempfile
import time

import numpy as np

N_EXC, N_INH = 3200, 800
P_CONN = 0.02


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--variant", choices=["exp", "delta"], default="exp")
    ap.add_argument("--duration", type=float, default=1000.0, help="ms")
    ap.add_argument("--dt", type=float, default=0.1, help="ms")
    ap.add_argument("--seed", type=int, default=12345)
    ap.add_argument("--directory", default=None, help="where to build (default: a temporary directory)")
    ap.add_argument("--compare", action="store_true", help="side by side with exactspike")
    ap.add_argument("--rounds", type=int, default=3)
    ap.add_argument("--neurons", type=int, default=N_EXC + N_INH)
    ap.add_argument("--outdegree", action="store_true",
                    help="64 exc + 16 inh targets per neuron instead of p = 0.02")
    ap.add_argument("--scale", default=None, help="comma-separated sizes (see above)")
    args = ap.parse_args()
    if args.compare:
        return compare(args.rounds)
    if args.scale:
        return scale([int(x) for x in args.scale.split(",")], args.duration, args.rounds)
    n_exc = args.neurons * 4 // 5
    n_inh = args.neurons - n_exc

    import brian2 as b2
    from brian2 import ms, mV

    workdir = args.directory or tempfile.mkdtemp(prefix="cuba-standalone-")
    b2.set_device("cpp_standalone", directory=workdir, build_on_run=False)
    b2.prefs.devices.cpp_standalone.openmp_threads = 0
    b2.defaultclock.dt = args.dt * ms
    b2.seed(args.seed)
    ns = dict(taum=20 * ms, El=-49 * mV, Vt=-50 * mV, Vr=-60 * mV, taue=5 * ms, taui=10 * ms)
    if args.variant == "exp":
        eqs = """
        dv/dt  = (ge + gi - (v - El)) / taum : volt (unless refractory)
        dge/dt = -ge / taue : volt
        dgi/dt = -gi / taui : volt
        """
        on_pre = {"exc": "ge_post += 1.62*mV", "inh": "gi_post += -9*mV"}
    else:
        eqs = "dv/dt = -(v - El) / taum : volt (unless refractory)"
        on_pre = {"exc": "v_post += 0.25*mV*int(not_refractory_post)",
                  "inh": "v_post += -2.25*mV*int(not_refractory_post)"}
    P = b2.NeuronGroup(n_exc + n_inh, eqs, threshold="v > Vt", reset="v = Vr",
                       refractory=5 * ms, method="exact", namespace=ns)
    P.v = "Vr + rand() * (Vt - Vr)"
    Pe, Pi = P[:n_exc], P[n_exc:]
    syn = []
    for pre, kind in [(Pe, "exc"), (Pi, "inh")]:
        if args.outdegree:
            # 64 targets among the excitatory and 16 among the inhibitory neurons
            for post, k in [(Pe, 64), (Pi, 16)]:
                S = b2.Synapses(pre, post, on_pre=on_pre[kind], delay=0.1 * ms)
                S.connect(j=f"k for k in sample(N_post, size={k})")
                syn.append((S, pre is Pi, post is Pi))
        else:
            S = b2.Synapses(pre, P, on_pre=on_pre[kind], delay=0.1 * ms)
            off = n_exc if pre is Pi else 0
            S.connect(condition=f"i + {off} != j", p=P_CONN)
            syn.append((S, pre is Pi, False))
    mon = b2.SpikeMonitor(P)
    # an explicit network: the synapses live in a list, where the magic run would miss them
    net = b2.Network(P, mon, *[S for S, _, _ in syn])
    net.run(args.duration * ms)
    t0 = time.perf_counter()
    b2.device.build(directory=workdir, compile=True, run=True, debug=False)
    total = time.perf_counter() - t0
    sim = float(b2.device._last_run_time)

    out_degree = np.zeros(n_exc + n_inh, dtype=np.int64)
    for S, from_inh, _ in syn:
        off = n_exc if from_inh else 0
        deg = np.bincount(np.asarray(S.i[:]), minlength=n_inh if from_inh else n_exc)
        out_degree[off:off + deg.size] += deg
    senders = np.asarray(mon.i[:])
    times = np.asarray(mon.t[:] / ms)
    events = int(out_degree[senders[times + 0.1 < args.duration]].sum())
    res = {
        "simulator": "Brian2",
        "version": b2.__version__,
        "model": f"cuba_{args.variant} (cpp_standalone)",
        "dt_ms": args.dt,
        "neurons": n_exc + n_inh,
        "synapses": int(sum(len(S) for S, _, _ in syn)),
        "spikes": int(senders.size),
        "events": events,
        "simulate_seconds": sim,
        "total_seconds": total,
        "events_per_second": events / sim,
    }
    print(f"Brian2 {res['version']} cpp_standalone, CUBA {args.variant}, dt {args.dt} ms: "
          f"{res['spikes']} spikes, {events} events, run {sim:.3f} s "
          f"({events / sim / 1e6:.2f} M events/s), generate+compile+run {total:.1f} s")
    print("RESULT " + json.dumps(res))


def compare(rounds):
    repo = pathlib.Path(__file__).resolve().parents[2]
    exe = repo / "target" / "release" / "exactspike"
    rows = {}
    with tempfile.TemporaryDirectory() as d:
        for r in range(rounds):
            for variant, sc in [("exp", "cuba.json"), ("delta", "cuba_delta.json")]:
                subprocess.run([str(exe), "run", str(repo / "examples" / sc), "--out", f"{d}/es", "-q"],
                               check=True)
                s = json.loads(pathlib.Path(f"{d}/es/summary.json").read_text())
                rows.setdefault(("exactspike (exact)", variant), []).append(
                    (s["simulate_seconds"], s["events"]))
                out = subprocess.run([sys.executable, __file__, "--variant", variant,
                                      "--directory", f"{d}/b2-{variant}"],
                                     check=True, capture_output=True, text=True).stdout
                res = json.loads(out.split("RESULT ", 1)[1])
                rows.setdefault(("Brian2 cpp_standalone dt 0.1 ms", variant), []).append(
                    (res["simulate_seconds"], res["events"]))
            print(f"round {r + 1} done", flush=True)
    print(f"{'':34} {'variant':>7} {'run [s]':>8} {'events':>9} {'M events/s':>11}")
    for (name, variant), v in sorted(rows.items(), key=lambda kv: (kv[0][1], kv[0][0])):
        secs = statistics.median(x[0] for x in v)
        ev = v[0][1]
        print(f"{name:34} {variant:>7} {secs:8.3f} {ev:9d} {ev / secs / 1e6:11.2f}")
    for variant in ("exp", "delta"):
        e = rows[("exactspike (exact)", variant)]
        b = rows[("Brian2 cpp_standalone dt 0.1 ms", variant)]
        ratio = (statistics.median(x[1] / x[0] for x in e)) / (statistics.median(x[1] / x[0] for x in b))
        print(f"{variant}: exactspike / Brian2 standalone events/s = {ratio:.2f}")


def scale(sizes, duration, rounds):
    """exactspike and Brian2 standalone on CUBA exp at each size (fixed out-degree)."""
    repo = pathlib.Path(__file__).resolve().parents[2]
    exe = repo / "target" / "release" / "exactspike"
    print(f"{'neurons':>9} {'events':>11} {'exactspike ns/event':>20} {'Brian2 ns/event':>16} "
          f"{'ratio (events/s)':>17}")
    rows = []
    for n in sizes:
        e, b = [], []
        with tempfile.TemporaryDirectory() as d:
            sc = json.loads((repo / "examples" / "cuba.json").read_text())
            sc["duration"] = duration
            sc["populations"][0]["size"] = n * 4 // 5
            sc["populations"][1]["size"] = n - n * 4 // 5
            for c in sc["connections"]:
                c["rule"] = {"fixed_outdegree": 64 if c["to"] == "exc" else 16}
            sc["record"] = {"spikes": []}
            pathlib.Path(f"{d}/s.json").write_text(json.dumps(sc))
            for _ in range(rounds):
                subprocess.run([str(exe), "run", f"{d}/s.json", "--out", f"{d}/es", "-q"], check=True)
                s = json.loads(pathlib.Path(f"{d}/es/summary.json").read_text())
                e.append(s["simulate_seconds"] / s["events"])
                out = subprocess.run([sys.executable, __file__, "--variant", "exp", "--outdegree",
                                      "--neurons", str(n), "--duration", str(duration),
                                      "--directory", f"{d}/b2"],
                                     check=True, capture_output=True, text=True).stdout
                res = json.loads(out.split("RESULT ", 1)[1])
                b.append(res["simulate_seconds"] / res["events"])
        es, bs = statistics.median(e), statistics.median(b)
        print(f"{n:9d} {s['events']:11d} {es * 1e9:20.1f} {bs * 1e9:16.1f} {bs / es:17.2f}",
              flush=True)
        rows.append((n, es, bs))
    # the question: how each one's cost per event grows with the network
    (n0, e0, b0), (n1, e1, b1) = rows[0], rows[-1]
    if n1 != n0:
        print(f"cost per event from {n0} to {n1} neurons: exactspike {e1 / e0:.2f}x, "
              f"Brian2 standalone {b1 / b0:.2f}x")


if __name__ == "__main__":
    main()
